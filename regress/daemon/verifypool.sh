#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# keyd's verification pool (keyd/verify.c): with EdDSA and ES256 keyd
# checks the signatures of cold requests on threads of its own.  Many
# never-seen tokens at once, of two users and forged ones mixed, each
# get their own answer: the user of the token, or 403 for a forged
# signature; an ended session's token stays refused.  HS256 starts no
# pool.
. "$(dirname "$0")/../lib.sh"
need python3 curl
python3 -c "import cryptography" 2>/dev/null ||
    { fail verifypool_start "no python3 cryptography (make deps: python3-cryptography)"; exit 1; }
td_init
N=120
stop() { kill -TERM "$TD_PID"; wait "$TD_PID" 2>/dev/null; }
# keyd's threads: its loop's, SQLite's checkpoints' (store.c), the
# hashing pool's (threads 1) and, with an asymmetric key, the
# verification pool's (as many).
threads() { awk '$1 == "Threads:" { print $2 }' "/proc/$(td_keyd)/status"; }
flip() {
	local sig=${1##*.}
	local c=${sig:5:1}
	[ "$c" = A ] && c=B || c=A
	printf '%s.%s' "${1%.*}" "${sig:0:5}$c${sig:6}"
}
rcookie() { sed -n 's/^[Ss]et-[Cc]ookie: directus_refresh_token=\([^;]*\);.*/\1/p' "$T/h" | tr -d '\r'; }
start_alg() {
	td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
	    'password {' '	threads 1' '}' 'signing {' "	algorithm $1" '}'
	: > "$T/log"
	rm -rf "$T/keyd/db"
	td_up "verifypool_$1"
	CTL="$TOKENCTL -s $T/tokend.sock"
}

td_conf "${TD_FAST_PASSWORD[@]}" 'password {' '	threads 1' '}'
td_up verifypool_hs256
[ "$(threads)" = 3 ] && ok verifypool_hs256_no_pool ||
    fail verifypool_hs256_no_pool "$(threads) threads"
stop

for alg in EdDSA ES256; do
	start_alg $alg
	key="$T/secret-$(echo $alg | tr A-Z a-z).pem"
	[ "$(threads)" = 4 ] && ok "verifypool_${alg}_threads" ||
	    fail "verifypool_${alg}_threads" "$(threads) threads"
	for u in dana eve; do
		echo "$u pass" | $CTL user add $u@example.com >/dev/null
		python3 "$TOP/bench/jwtmint.py" $alg "$key" \
		    "$(token $u@example.com "$u pass")" $N > "$T/tok-$u"
	done
	# Interleaved: dana, eve, a forged one of dana's, ...
	paste -d'\n' "$T/tok-dana" "$T/tok-eve" "$T/tok-dana" |
	    awk '{ print (NR % 3 == 1 ? "dana" : NR % 3 == 2 ? "eve" : "forged"), $0 }' |
	    while read -r who tok; do
		[ $who = forged ] && tok=$(flip "$tok")
		echo "$who $tok"
	    done > "$T/jobs"
	# 16 at a time, each a new token to both workers' caches.
	xargs -P 16 -L 1 sh -c 'r=$(curl -s -m 20 -w " %{http_code}" \
	    -H "Authorization: Bearer $1" "$2/users/me"); echo "$0 ${r##* } $r"' \
	    < <(sed "s|\$| $URL|" "$T/jobs") > "$T/answers"
	bad=$(awk '
	    $1 == "dana" && !($2 == 200 && /"dana@example.com"/) { print; next }
	    $1 == "eve" && !($2 == 200 && /"eve@example.com"/) { print; next }
	    $1 == "forged" && !($2 == 403 && /INVALID_TOKEN/) { print }' "$T/answers")
	[ "$(wc -l < "$T/answers")" -eq $((3 * N)) ] && [ -z "$bad" ] &&
	    ok "verifypool_${alg}_each_its_answer" ||
	    fail "verifypool_${alg}_each_its_answer" "$(wc -l < "$T/answers") answers; $(echo "$bad" | head -3 | cut -c1-200)"
	# A session ended: its token, new to the workers, refused at once.
	login dana@example.com 'dana pass' session >/dev/null
	SK=$(session_cookie)
	RK=$(rcookie)
	r=$(http POST /auth/logout -H 'Content-Type: application/json' \
	    -H "Origin: $URL" -d '{"mode":"session"}' \
	    -H "Cookie: directus_session_token=$SK; directus_refresh_token=$RK")
	case "$r" in "204 "*) ;; *) fail "verifypool_${alg}_logout" "$r" ;; esac
	expect "verifypool_${alg}_ended_session_401" '401 *INVALID_CREDENTIALS*' \
	    "$(http GET /users/me -H "Cookie: directus_session_token=$SK")"
	stop
done
