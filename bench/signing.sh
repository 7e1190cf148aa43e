#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# bench/signing.sh: the signing algorithms against nginx, on their own
# (make bench's full run takes a quarter of an hour).  For HS256, EdDSA
# and ES256 in turn: GET /users/me with one token (the worker's cache
# answers: "cached"), with a different token each request out of 20000
# (keyd verifies every signature: "cold"), and GET /.well-known/jwks.json,
# each run alternated with nginx's fixed answer; prints req/s, p99 and
# the ratio to nginx of the same rounds.
#	BENCH_SECONDS	length of each run (5)
#	BENCH_ROUNDS	rounds (3)
#	BENCH_ALGS	the algorithms ("HS256 EdDSA ES256")
# make bench (bench/bench.sh) runs it too and reads its table.

. "$(dirname "$0")/../regress/lib.sh"
. "$(dirname "$0")/nginx.sh"
# lib.sh finds the tree from regress/daemon/; this file is in bench/.
TOP=$(cd "$(dirname "$0")/.." && pwd)
TOKEND="$TOP/server/tokend" KEYD="$TOP/keyd/keyd" TOKENCTL="$TOP/tokenctl/tokenctl"
need wrk python3
NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || { echo "bench: no $NGINX" >&2; exit 1; }
python3 -c 'import cryptography' 2>/dev/null ||
    { echo "bench: needs python3-cryptography" >&2; exit 1; }
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
ALGS=${BENCH_ALGS:-HS256 EdDSA ES256}
NTOK=20000
export TD_QUIET=1 PREFORK=${PREFORK:-$(nproc)}
td_init
NPORT=$(td_free_port)
mkdir -p "$T/nginx"
{
	nginx_conf_head "$T/nginx"
	cat <<CONF
	server {
		listen 127.0.0.1:$NPORT;
		location / { default_type application/json; return 200 '{"data":"pong"}'; }
	}
}
CONF
} > "$T/nginx/nginx.conf"
"$NGINX" -p "$T/nginx" -e "$T/nginx/error.log" -c "$T/nginx/nginx.conf" \
    -g 'daemon off;' > /dev/null 2>&1 &
TD_PIDS="$TD_PIDS $!"
td_until "curl -s -m 1 http://127.0.0.1:$NPORT/ | grep -q pong" 50 ||
    { echo "bench: nginx did not start" >&2; exit 1; }

# run NAME ARGS...: "req/s p99ms errors" of one wrk run.
run() {
	local name=$1
	shift
	BENCH_THREADS=2 wrk -t2 -c50 -d"${SECS}"s --latency "$@" > "$T/wrk-$name" 2>&1
	awk '$1 == "99%" { p = $2 } /^Requests\/sec:/ { r = $2 }
	    /Non-2xx|Socket errors/ { e = e $0 }
	    END { printf "%s %s %s\n", r, p, (e == "" ? 0 : "errors") }' "$T/wrk-$name"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: > "$T/results"
for alg in $ALGS; do
	rm -rf "$T/keyd/db" "$T/secret"*
	td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" 'signing {' \
	    "	algorithm $alg" '}'
	td_up "bench_$alg"
	echo 'bench pass' | $CTL user add bench@example.com >/dev/null
	JWT=$(token bench@example.com 'bench pass')
	key="$T/secret"
	[ $alg = HS256 ] || key="$T/secret-$(echo $alg | tr A-Z a-z).pem"
	python3 "$TOP/bench/jwtmint.py" $alg "$key" "$JWT" $NTOK > "$T/tokens-$alg"
	r=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(tail -1 "$T/tokens-$alg")" "$URL/users/me")
	[ "$r" = 200 ] || { echo "bench: a minted $alg token got $r" >&2; exit 1; }
	scen="nginx cached cold"
	[ $alg = HS256 ] || scen="$scen jwks"
	for r in $(seq 1 "$ROUNDS"); do
		for s in $scen; do
			case $s in
			nginx)	res=$(run $alg-$s-$r "http://127.0.0.1:$NPORT/") ;;
			cached)	res=$(run $alg-$s-$r -H "Authorization: Bearer $JWT" "$URL/users/me") ;;
			cold)	res=$(BENCH_TOKENS="$T/tokens-$alg" run $alg-$s-$r \
				    -s "$TOP/bench/tokens.lua" "$URL/users/me") ;;
			jwks)	res=$(run $alg-$s-$r "$URL/.well-known/jwks.json") ;;
			esac
			echo "$alg $s $r $res" >> "$T/results"
			echo "bench: $alg $s round $r: $res" >&2
		done
	done
	kill -TERM "$TD_PID"; wait "$TD_PID" 2>/dev/null
done

printf '| %-6s | %-7s | %10s | %8s | %9s | %s\n' alg request 'req/s' 'p99' 'of nginx' errors
for alg in $ALGS; do
	n=$(awk -v a=$alg '$1 == a && $2 == "nginx" { print $4 }' "$T/results" | median)
	for s in nginx cached cold jwks; do
		grep -q "^$alg $s " "$T/results" || continue
		m=$(awk -v a=$alg -v s=$s '$1 == a && $2 == s { print $4 }' "$T/results" | median)
		p=$(awk -v a=$alg -v s=$s '$1 == a && $2 == s { print $5 }' "$T/results" | sort | tail -1)
		e=$(awk -v a=$alg -v s=$s '$1 == a && $2 == s && $6 != 0 { x = "yes" } END { print x ? x : "none" }' "$T/results")
		printf '| %-6s | %-7s | %10.0f | %8s | %9.2f | %s\n' $alg $s "$m" "$p" \
		    "$(echo "$m $n" | awk '{ printf "%.2f", $1 / $2 }')" "$e"
	done
done
