#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# keyd's reader fibers send the statements of one pass of its loop with
# one sync (keyd/store_pg.c, pg_rd_sync_cb()).  When one of them fails,
# PostgreSQL skips the others until that sync: their readers send them
# again, and their answers are what they would have been alone.  A
# user whose tags are not JSON makes the one statement of a cold
# GET /users/me fail; wrk keeps sending that user's tokens and good
# ones meanwhile, so that failures share syncs with the requests
# checked here, which each get their own user, or fail for that user.
. "$(dirname "$0")/../lib.sh"
TD_NAME=pgsync
PREFORK=1
need python3 wrk
td_init
td_pg_start
case $? in
0) ;;
1) skip pgsync "$TD_PG_WHY"; exit 0 ;;
*) fail pgsync_cluster "$TD_PG_WHY"; exit 1 ;;
esac
td_conf 'password {' '	memory 1M' '	iterations 1' '	parallelism 1' '}'
sed -i "s#^	database .*#	database \"${PG_URI//&/\\&}\"#" "$T/tokend.conf"
td_start || { fail pgsync_start "$(tail -5 "$T/log")"; exit 1; }
CTL="$TOKENCTL -s $T/tokend.sock"
NUSERS=6
NTOK=40

# Distinct tokens of each user (each one misses the worker's cache),
# "EMAIL TOKEN" a line; the bad user's in $T/bad.
: > "$T/good"
bad=""
for u in $(seq 1 $NUSERS) bad; do
	echo pw | $CTL user add "u$u@example.com" > /dev/null ||
	    bad="$bad add:$u"
	jwt=$(token "u$u@example.com" pw)
	[ -n "$jwt" ] || bad="$bad token:$u"
	python3 "$TOP/bench/jwtmint.py" HS256 "$T/secret" "$jwt" $NTOK |
	    sed "s/^/u$u@example.com /" >> "$T/good"
done
[ -z "$bad" ] && ok pgsync_tokens || { fail pgsync_tokens "$bad"; exit 1; }
grep '^ubad@' "$T/good" > "$T/bad"
sed -i '/^ubad@/d' "$T/good"
td_pg "UPDATE users SET tags = 'not json' WHERE email = 'ubad@example.com'"
r=$(http GET /users/me -H "Authorization: Bearer $(sed -n 1p "$T/bad" | cut -d' ' -f2)")
case "$r" in 200*) fail pgsync_bad_fails "$r" ;; *) ok pgsync_bad_fails ;; esac

# The load: the bad user's tokens, a good one between each two.
paste -d '\n' <(cut -d' ' -f2 "$T/bad") <(cut -d' ' -f2 "$T/good" | head -$NTOK) \
    > "$T/mixed"
BENCH_TOKENS="$T/mixed" wrk -t1 -c16 -d4s --timeout 10s \
    -s "$TOP/bench/tokens.lua" "$URL/users/me" > "$T/wrk.out" 2>&1 &
WPID=$!
sleep 0.5
# Meanwhile: every good token once and the bad ones, many at once.
cat "$T/good" "$T/bad" | shuf | sed "s#\$# $URL#" | xargs -P 16 -L 1 sh -c \
    'echo "$0 $(curl -s -m 10 -w " %{http_code}" \
    -H "Authorization: Bearer $1" "$2/users/me")"' > "$T/answers"
wait $WPID
# Each good answer is its own user's; the bad user's ones all fail.
wrong=$(awk '$1 != "ubad@example.com" && !($NF == 200 &&
    index($0, "\"email\":\"" $1 "\"")) { n++ } END { print n + 0 }' "$T/answers")
right=$(awk '$1 != "ubad@example.com" && $NF == 200 { n++ } END { print n + 0 }' "$T/answers")
[ "$wrong" = 0 ] && [ "$right" = $((NUSERS * NTOK)) ] && ok pgsync_good_right ||
    fail pgsync_good_right "$wrong wrong, $right right of $((NUSERS * NTOK)): $(grep -v '^ubad@' "$T/answers" | grep -v ' 200$' | head -2)"
badok=$(awk '$1 == "ubad@example.com" && $NF == 200 { n++ } END { print n + 0 }' "$T/answers")
[ "$badok" = 0 ] && ok pgsync_bad_fail || fail pgsync_bad_fail "$badok answered"
# The failures did share syncs with others' statements, which went again.
grep -q "sent again" "$T/log" && ok pgsync_sent_again ||
    fail pgsync_sent_again "no read skipped for another's failure: $(grep -c 'invalid input' "$T/log") failures"
grep -qE "connection lost|out of step|broke" "$T/log" &&
    fail pgsync_connection "$(grep -E 'connection lost|out of step|broke' "$T/log" | head -2)" ||
    ok pgsync_connection
# Once the row is mended, the user reads as any other.
td_pg "UPDATE users SET tags = NULL WHERE email = 'ubad@example.com'"
r=$(http GET /users/me -H "Authorization: Bearer $(sed -n 2p "$T/bad" | cut -d' ' -f2)")
case "$r" in 200*ubad@*) ok pgsync_mended ;; *) fail pgsync_mended "$r" ;; esac
