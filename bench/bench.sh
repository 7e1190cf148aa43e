#!/bin/bash
# make bench: tokend against nginx on this machine, in one run.
#
# Starts a private nginx (fixed JSON, the HTTP ceiling of the machine) and
# tokend from the build tree, both on 127.0.0.1, loads them alternately
# with wrk, prints one table and writes it to bench/out/latest.txt.
# Only ratios measured in one run mean anything: see bench/README.md.
#
# Knobs (environment):
#	BENCH_SECONDS	length of each measured wrk run (10)
#	BENCH_ROUNDS	measured runs per scenario, alternated (3)
#	BENCH_WARMUP	length of the warm-up run per scenario (2)
#
# Exit status: 0 when the benchmark ran (target met or not), 1 when
# something is missing or failed to start or died during the run.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
TOKEND="$TOP/server/tokend"
KEYD="$TOP/keyd/keyd"
NGINX=/usr/sbin/nginx
OUT="$TOP/bench/out"

SECONDS_RUN=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-2}
THREADS=2
CONNS=50
NCPU=$(nproc)
TARGET=0.50

die() { echo "bench: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

case "$SECONDS_RUN$ROUNDS$WARMUP" in
*[!0-9]*) die "BENCH_SECONDS, BENCH_ROUNDS and BENCH_WARMUP are whole numbers" ;;
esac
if [ "$SECONDS_RUN" -lt 1 ] || [ "$ROUNDS" -lt 1 ]; then
	die "BENCH_SECONDS and BENCH_ROUNDS must be at least 1"
fi

# --- 1. tools -----------------------------------------------------------

missing=""
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
[ -x "$NGINX" ] || missing="$missing nginx-light"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v ps >/dev/null 2>&1 || missing="$missing procps"
if [ -n "$missing" ]; then
	if ! is_root; then
		echo "bench: missing packages:$missing" >&2
		echo "bench: run: sudo apt-get install -y$missing" >&2
		exit 1
	fi
	echo "bench: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	apt-get install -y -q $missing ||
	    { apt-get update -q && apt-get install -y -q $missing; } ||
	    die "apt-get install$missing failed"
	if ! command -v wrk >/dev/null 2>&1 || [ ! -x "$NGINX" ]; then
		die "wrk or $NGINX still missing after apt-get"
	fi
fi
if [ ! -x "$TOKEND" ] || [ ! -x "$KEYD" ]; then
	die "$TOKEND or $KEYD not built; run make all"
fi

# --- scratch directory and cleanup -----------------------------------------

T=$(mktemp -d /tmp/tokend-bench.XXXXXX) || die "mktemp failed"
chmod 0755 "$T"
NGINX_PID=""
TOKEND_PID=""
mkdir -p "$OUT"
rm -f "$OUT/tokend.log" "$OUT/nginx-error.log" "$OUT/wrk-raw.txt"

# Every descendant of a pid.
tree() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$c"
		tree "$c"
	done
}

# shellcheck disable=SC2317
cleanup() {
	local all="" p
	set +e
	for p in $TOKEND_PID $NGINX_PID; do
		all="$all $p $(tree "$p")"
	done
	if [ -n "${all// /}" ]; then
		# shellcheck disable=SC2086
		kill -TERM $all 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			# shellcheck disable=SC2086
			kill -0 $all 2>/dev/null || break
			sleep 0.2
		done
		# shellcheck disable=SC2086
		kill -KILL $all 2>/dev/null
		for p in $TOKEND_PID $NGINX_PID; do wait "$p" 2>/dev/null; done
	fi
	# Keep the server logs of the last run next to the table.
	[ -f "$T/tokend.log" ] && cp "$T/tokend.log" "$OUT/tokend.log"
	[ -f "$T/nginx/error.log" ] && cp "$T/nginx/error.log" "$OUT/nginx-error.log"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# A port nobody listens on.
free_port() {
	local p
	while :; do
		p=$(( ($(od -An -N2 -tu2 /dev/urandom) % 20000) + 20000 ))
		[ "$p" != "${NGINX_PORT:-}" ] || continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

# wait_body URL BODY PID: until URL answers BODY (10 s), PID alive.
wait_body() {
	local i=0
	while [ $i -lt 100 ]; do
		[ "$(curl -s -m 1 "$1" 2>/dev/null)" = "$2" ] && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# --- 1b. nginx ------------------------------------------------------------

NGINX_PORT=$(free_port)
mkdir -p "$T/nginx"
{
	if is_root; then
		echo "user nobody $(id -gn nobody 2>/dev/null || echo nogroup);"
	fi
	cat <<EOF
worker_processes $NCPU;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events {
	worker_connections 4096;
}
http {
	access_log off;
	client_body_temp_path $T/nginx/client_body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fastcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	keepalive_requests 1000000;
	keepalive_timeout 65s;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		location / {
			default_type application/json;
			return 200 '{"data":"pong"}';
		}
	}
}
EOF
} > "$T/nginx/nginx.conf"
"$NGINX" -p "$T/nginx" -e "$T/nginx/error.log" -c "$T/nginx/nginx.conf" \
    -g 'daemon off;' > "$T/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
NGINX_URL="http://127.0.0.1:$NGINX_PORT/"
if ! wait_body "$NGINX_URL" '{"data":"pong"}' "$NGINX_PID"; then
	cat "$T/nginx/stdout.log" "$T/nginx/error.log" >&2 2>/dev/null || :
	die "nginx did not answer on $NGINX_URL"
fi

# --- 2. tokend ------------------------------------------------------------

TOKEND_PORT=$(free_port)
mkdir -p "$T/empty" "$T/keyd"
chmod 0755 "$T/empty" "$T/keyd"
if is_root; then
	"$TOP/etc/users.sh" _tokend _tokend_keyd >/dev/null ||
	    die "etc/users.sh _tokend _tokend_keyd failed"
else
	# Without root keyd does not create the database directory itself
	# (it does so only before its privilege drop).
	mkdir -m 0700 "$T/keyd/db"
fi
(
	umask 077
	cat > "$T/tokend.conf" <<EOF
# Written by bench/bench.sh.
listen on 127.0.0.1 port $TOKEND_PORT
prefork $NCPU
user "_tokend"
chroot "$T/empty"
keyd {
	user "_tokend_keyd"
	chroot "$T/keyd"
	program "$KEYD"
	database "$T/keyd/db/credentials.db"
	secret "$T/secret"
}
control socket "$T/tokend.sock"
EOF
)
chmod 0600 "$T/tokend.conf"
"$TOKEND" -d -f "$T/tokend.conf" > "$T/tokend.log" 2>&1 &
TOKEND_PID=$!
TOKEND_URL="http://127.0.0.1:$TOKEND_PORT/server/ping"
if ! wait_body "$TOKEND_URL" pong "$TOKEND_PID"; then
	tail -n 30 "$T/tokend.log" >&2 || :
	die "tokend did not answer pong on $TOKEND_URL"
fi
# Wait (up to 5 s) for all the preforked workers and keyd to be up.
i=0
while [ "$(tree "$TOKEND_PID" | wc -l)" -lt $((NCPU + 1)) ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done

# --- 3. load ----------------------------------------------------------------

# wrk_run NAME URL SECONDS: wrk output in $T/wrk-NAME.txt.
wrk_run() {
	wrk -t$THREADS -c$CONNS -d"$3"s --latency "$2" > "$T/wrk-$1.txt" 2>&1 || {
		cat "$T/wrk-$1.txt" >&2
		die "wrk failed on $2"
	}
}

# parse FILE: "reqs p50ms p99ms errors" from one wrk --latency output.
parse() {
	awk '
	function ms(v,   n, u) {
		n = v + 0
		u = v
		sub(/^[0-9.]+/, "", u)
		if (u == "us") return n / 1000
		if (u == "ms") return n
		if (u == "s")  return n * 1000
		if (u == "m")  return n * 60000
		if (u == "h")  return n * 3600000
		return -1
	}
	$1 == "50%" { p50 = ms($2) }
	$1 == "99%" { p99 = ms($2) }
	/^Requests\/sec:/ { rps = $2 }
	/Socket errors:/ {
		for (i = 1; i <= NF; i++) {
			f = $i
			sub(/,$/, "", f)
			if (f ~ /^[0-9]+$/) err += f
		}
	}
	/Non-2xx or 3xx responses:/ { err += $NF }
	END {
		if (rps == "" || p50 == "" || p99 == "") exit 1
		printf "%.2f %.3f %.3f %d\n", rps, p50, p99, err
	}' "$1"
}

# median: the median of the numbers on stdin.
median() {
	sort -g | awk '{ v[NR] = $1 }
	END {
		if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2
	}'
}

SCEN="nginx tokend"
url_of() { if [ "$1" = nginx ]; then echo "$NGINX_URL"; else echo "$TOKEND_URL"; fi; }

echo "bench: nginx on $NGINX_URL, tokend on $TOKEND_URL (prefork $NCPU)"
echo "bench: warm-up ${WARMUP}s each, then $ROUNDS x ${SECONDS_RUN}s per scenario, alternated"
if [ "$WARMUP" -gt 0 ]; then
	for s in $SCEN; do wrk_run "warmup-$s" "$(url_of "$s")" "$WARMUP"; done
fi
: > "$T/results"
for r in $(seq 1 "$ROUNDS"); do
	for s in $SCEN; do
		wrk_run "$s-$r" "$(url_of "$s")" "$SECONDS_RUN"
		res=$(parse "$T/wrk-$s-$r.txt") || {
			cat "$T/wrk-$s-$r.txt" >&2
			die "cannot parse the wrk output for $s"
		}
		echo "$s $r $res" >> "$T/results"
		printf 'bench: round %d %-6s %s req/s\n' "$r" "$s" "${res%% *}"
	done
done
for f in "$T"/wrk-*.txt; do
	n=${f##*/wrk-}
	echo "== ${n%.txt}"
	cat "$f"
done > "$OUT/wrk-raw.txt"

# RSS of every tokend process, after the load.
rss_line() {
	local p name kb total=0 line="" keyd_seen=0
	for p in "$TOKEND_PID" $(tree "$TOKEND_PID"); do
		kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || kb=""
		[ -n "$kb" ] || continue
		if [ "$p" = "$TOKEND_PID" ]; then
			name=parent
		else
			case "$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)" in
			keyd*|*/keyd*) name=keyd ;;
			*server*) name=worker ;;
			*) name=$(cat "/proc/$p/comm" 2>/dev/null) || name=child ;;
			esac
		fi
		[ "$name" = keyd ] && keyd_seen=1
		line="$line $name($p) $(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }'),"
		total=$((total + kb))
	done
	echo "tokend RSS MiB:${line%,}; total $(awk -v k="$total" 'BEGIN { printf "%.1f", k / 1024 }')"
	[ "$keyd_seen" -eq 1 ] || echo "tokend: no keyd process after the run; see bench/out/tokend.log"
}
alive=1
kill -0 "$TOKEND_PID" 2>/dev/null || alive=0
RSS=$(rss_line)

# --- 4. report ----------------------------------------------------------------

col() {	# col SCENARIO FIELD(3..6): median (or sum for errors) of a column.
	if [ "$2" -eq 6 ]; then
		awk -v s="$1" '$1 == s { n += $6 } END { print n + 0 }' "$T/results"
	else
		awk -v s="$1" -v f="$2" '$1 == s { print $f }' "$T/results" | median
	fi
}
N_RPS=$(col nginx 3)
T_RPS=$(col tokend 3)
RATIO=$(awk -v t="$T_RPS" -v n="$N_RPS" 'BEGIN { r = n > 0 ? t / n : 0; printf "%.2f", r }')
ROUND_RATIOS=$(awk '$1 == "nginx" { n[$2] = $3 } $1 == "tokend" { t[$2] = $3 }
	END { for (r = 1; r in n; r++) { x = n[r] > 0 ? t[r] / n[r] : 0; printf " %.2f", x } }' "$T/results")
MET=$(awk -v r="$RATIO" -v g="$TARGET" 'BEGIN { m = (r + 0 >= g + 0) ? "met" : "NOT met"; print m }')

row() {	# row LABEL SCENARIO RATIO
	printf '| %-26s | %10.0f | %7.2f | %7.2f | %7d | %8s |\n' "$1" \
	    "$(col "$2" 3)" "$(col "$2" 4)" "$(col "$2" 5)" "$(col "$2" 6)" "$3"
}
{
	echo "tokend bench $(date -u '+%Y-%m-%d %H:%M UTC'), nproc $NCPU," \
	    "wrk -t$THREADS -c$CONNS -d${SECONDS_RUN}s," \
	    "median of $ROUNDS alternated runs, errors summed"
	echo
	printf '| %-26s | %10s | %7s | %7s | %7s | %8s |\n' scenario 'req/s' \
	    'p50 ms' 'p99 ms' errors 'vs nginx'
	printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 28))" \
	    "$(printf -- '-%.0s' $(seq 11)):" "$(printf -- '-%.0s' $(seq 8)):" \
	    "$(printf -- '-%.0s' $(seq 8)):" "$(printf -- '-%.0s' $(seq 8)):" \
	    "$(printf -- '-%.0s' $(seq 9)):"
	row 'nginx fixed JSON /' nginx 1.00
	row 'tokend GET /server/ping' tokend "$RATIO"
	echo
	echo "per-round ratio tokend/nginx:$ROUND_RATIOS"
	echo "$RSS"
	[ "$alive" -eq 1 ] || echo "tokend: the parent process DIED during the run"
	echo "target: /server/ping >= $TARGET of nginx: $MET (ratio $RATIO)"
} | tee "$OUT/latest.txt"

[ "$alive" -eq 1 ] || die "tokend died during the run; see $OUT/tokend.log"
exit 0
