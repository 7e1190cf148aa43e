#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Refreshes share group commits: many at once all succeed, each token
# once; every answered rotation survives keyd killed right after it.
. "$(dirname "$0")/../lib.sh"
td_init
td_conf 'password {' '	memory 1M' '	iterations 1' '	parallelism 1' '}' \
    'auth {' '	login-stall 1ms' '	session-grace 1s' '}'
td_start || { fail refresh_start "$(tail -5 $T/log)"; exit 1; }
CTL="$TOKENCTL -s $T/tokend.sock"
echo 'pw' | $CTL user add erin@example.com >/dev/null
N=40
pids=""
rt() { grep -o '"refresh_token":"[^"]*' "$1" | cut -d'"' -f4; }
for i in $(seq $N); do
	curl -s -m 10 -H 'Content-Type: application/json' \
	    -d '{"email":"erin@example.com","password":"pw"}' \
	    -o "$T/l.$i" "$URL/auth/login" &
	pids="$pids $!"
done
wait $pids
for i in $(seq $N); do rt "$T/l.$i"; done > "$T/old"
[ "$(grep -c . "$T/old")" -eq $N ] && ok refresh_logins || fail refresh_logins

# All at once: every one answered 200 with a new token.
i=0
while read -r t; do
	i=$((i + 1))
	curl -s -m 10 -H 'Content-Type: application/json' \
	    -d "{\"refresh_token\":\"$t\"}" -o "$T/r.$i" -w '%{http_code}\n' \
	    "$URL/auth/refresh" > "$T/c.$i" &
	pids="$pids $!"
done < "$T/old"
wait $pids
[ "$(cat "$T"/c.* | grep -c '^200$')" -eq $N ] && ok refresh_concurrent_all_200 ||
    fail refresh_concurrent_all_200 "$(cat "$T"/c.* | sort | uniq -c | tr '\n' ' ')"
for i in $(seq $N); do rt "$T/r.$i"; done > "$T/new"
[ "$(sort -u "$T/new" | grep -c .)" -eq $N ] && ok refresh_concurrent_distinct ||
    fail refresh_concurrent_distinct
# They did share commits: one sync for several of them.
grep -q 'group commit of \([2-9]\|[1-9][0-9]\) refreshes' "$T/log" &&
    ok refresh_grouped || fail refresh_grouped "$(grep -c 'group commit of 1 ' $T/log)"

# keyd dies at once: what was answered is on disk.
k=$(td_keyd)
kill -KILL "$k"
td_until '[ -n "$(td_keyd)" ] && [ "$(td_keyd)" != "$k" ]' 50
td_wait_keyd || fail refresh_keyd_back "$(tail -3 $T/log)"
codes() {
	while read -r t; do
		curl -s -m 10 -o /dev/null -w '%{http_code}\n' \
		    -H 'Content-Type: application/json' \
		    -d "{\"refresh_token\":\"$t\"}" "$URL/auth/refresh"
	done < "$1" | sort | uniq -c | tr '\n' ' ' | tr -s ' '
}
# The new tokens first: an old one presented again after the session
# grace (1 s, soon over on a loaded machine) ends its session, and the
# new token with it.  Afterwards an old one is refused either way.
r=$(codes "$T/new")
[ "$r" = " $N 200 " ] && ok refresh_rotations_durable_new_work ||
    fail refresh_rotations_durable_new_work "$r"
r=$(codes "$T/old")
[ "$r" = " $N 401 " ] && ok refresh_rotations_durable_old_refused ||
    fail refresh_rotations_durable_old_refused "$r"

# One token sent ten times at once: exactly one rotation.
curl -s -m 10 -H 'Content-Type: application/json' \
    -d '{"email":"erin@example.com","password":"pw"}' -o "$T/l" "$URL/auth/login"
t=$(rt "$T/l")
for i in $(seq 10); do
	curl -s -m 10 -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
	    -d "{\"refresh_token\":\"$t\"}" "$URL/auth/refresh" > "$T/d.$i" &
	pids="$pids $!"
done
wait $pids
r=$(cat "$T"/d.* | sort | uniq -c | tr '\n' ' ' | tr -s ' ')
[ "$r" = " 1 200 9 401 " ] && ok refresh_same_token_once || fail refresh_same_token_once "$r"
# A rotated token used again after the grace ends its session, inside
# a group commit too.
rf() {
	curl -s -m 10 -o "$T/rf" -w '%{http_code}' -H 'Content-Type: application/json' \
	    -d "{\"refresh_token\":\"$1\"}" "$URL/auth/refresh"
}
curl -s -m 10 -H 'Content-Type: application/json' \
    -d '{"email":"erin@example.com","password":"pw"}' -o "$T/l" "$URL/auth/login"
a=$(rt "$T/l")
rf "$a" > /dev/null
b=$(rt "$T/rf")
sleep 1.2
r="$(rf "$a") $(rf "$b")"
[ "$r" = "401 401" ] && ok refresh_reuse_ends_session || fail refresh_reuse_ends_session "$r"
grep -q 'group commit .* failed' "$T/log" && fail refresh_no_failed_commit ||
    ok refresh_no_failed_commit
exit 0
