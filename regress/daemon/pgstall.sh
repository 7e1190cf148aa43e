#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# A slow PostgreSQL does not stall keyd's loop (issue 19, point 1): a
# second session holds an ACCESS EXCLUSIVE lock on sessions, so that a
# refresh waits in PostgreSQL.  Meanwhile cached /users/me keeps
# answering, /server/health (which asks keyd each time) answers at
# once, a request queued behind the refresh waits its turn, keyd is not
# replaced; once the lock is released the refresh and the queued login
# complete, and keyd's log names no store call made off its fiber.
# A token no worker has seen is checked meanwhile too: its read runs on
# a reader fiber and connection of its own (fiber.c), not behind the
# refresh's open transaction; when PostgreSQL ends that connection,
# keyd connects again by itself.
. "$(dirname "$0")/../lib.sh"
TD_NAME=pgstall
PREFORK=1
td_init
td_pg_start
case $? in
0) ;;
1) skip pgstall "$TD_PG_WHY"; exit 0 ;;
*) fail pgstall_cluster "$TD_PG_WHY"; exit 1 ;;
esac
# keyd's answers may take as long as the lock is held.
td_conf 'password {' '	memory 1M' '	iterations 1' '	parallelism 1' '}' \
    'timeout {' '	keyd 60s' '}'
sed -i "s#^	database .*#	database \"${PG_URI//&/\\&}\"#" "$T/tokend.conf"
td_start || { fail pgstall_start "$(tail -5 "$T/log")"; exit 1; }
KEYD0=$(td_keyd)
CTL="$TOKENCTL -s $T/tokend.sock"
echo 'pw' | $CTL user add erin@example.com >/dev/null &&
    ok pgstall_user_add || fail pgstall_user_add "$(tail -5 "$T/log")"
r=$(login erin@example.com pw)
case "$r" in 200*) ok pgstall_login ;; *) fail pgstall_login "$r" ;; esac
acc=$(j access_token)
rt=$(j refresh_token)
# A second access token, first shown to tokend while the lock is held.
r=$(login erin@example.com pw)
case "$r" in 200*) ok pgstall_login_cold ;; *) fail pgstall_login_cold "$r" ;; esac
cold=$(j access_token)
r=$(http GET /users/me -H "Authorization: Bearer $acc")
case "$r" in 200*erin@*) ok pgstall_me_cached ;;
*) fail pgstall_me_cached "$r" ;; esac

# The lock, held by a psql session fed from a FIFO until it is told.
td_pg_lock_sessions && ok pgstall_locked || fail pgstall_locked "$(cat "$T/pg/lock.out")"

# The refresh waits for the lock, in PostgreSQL.
curl -s -m 60 -o "$T/refresh.body" -w '%{http_code}' \
    -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$rt\",\"mode\":\"json\"}" \
    "$URL/auth/refresh" > "$T/refresh.code" &
RPID=$!
waiting() {
	td_pg "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type =
	    'Lock' AND datname = 'tokend'"
}
for i in $(seq 100); do [ "$(waiting)" -ge 1 ] && break; sleep 0.1; done
[ "$(waiting)" -ge 1 ] && ok pgstall_refresh_waits ||
    fail pgstall_refresh_waits "no statement waits for the lock"
# A login behind it: it needs the store, so it waits its turn.
curl -s -m 60 -o "$T/login2.body" -w '%{http_code}' \
    -H 'Content-Type: application/json' \
    -d '{"email":"erin@example.com","password":"pw","mode":"json"}' \
    "$URL/auth/login" > "$T/login2.code" &
LPID=$!

# While it waits: keyd's loop answers (each curl gives up after 5 s).
bad=""
for i in 1 2 3; do
	r=$(http GET /users/me -H "Authorization: Bearer $acc")
	case "$r" in 200*erin@*) ;; *) bad="$bad me:$r" ;; esac
	r=$(http GET /server/health)
	case "$r" in 200*) ;; *) bad="$bad health:$r" ;; esac
	sleep 1
done
[ -z "$bad" ] && ok pgstall_answers_meanwhile || fail pgstall_answers_meanwhile "$bad"
# Not cached by any worker: keyd reads the user from PostgreSQL while
# the refresh's transaction waits for the lock, and commits nothing.
r=$(http GET /users/me -H "Authorization: Bearer $cold")
case "$r" in 200*erin@*) ok pgstall_cold_meanwhile ;;
*) fail pgstall_cold_meanwhile "$r" ;; esac
[ ! -s "$T/refresh.code" ] && [ "$(waiting)" -ge 1 ] &&
    ok pgstall_still_waiting ||
    fail pgstall_still_waiting "the refresh did not wait: $(cat "$T/refresh.code")"

# Released: the refresh and the login complete.
echo 'COMMIT;' >&3
exec 3>&-
wait $LOCKER
wait $RPID $LPID
c=$(cat "$T/refresh.code")
[ "$c" = 200 ] && grep -q '"refresh_token"' "$T/refresh.body" &&
    ok pgstall_refresh_done || fail pgstall_refresh_done "$c $(cat "$T/refresh.body")"
c=$(cat "$T/login2.code")
[ "$c" = 200 ] && ok pgstall_login_done || fail pgstall_login_done "$c"
nrt=$(sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p' "$T/refresh.body")
r=$(http POST /auth/refresh -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$nrt\",\"mode\":\"json\"}")
case "$r" in 200*) ok pgstall_rotated_durable ;;
*) fail pgstall_rotated_durable "$r" ;; esac
[ "$(td_keyd)" = "$KEYD0" ] && ! grep -q 'keyd (pid .*) exited' "$T/log" &&
    ok pgstall_keyd_kept || fail pgstall_keyd_kept "$(grep keyd "$T/log" | tail -5)"
grep -q 'off the store.s fiber' "$T/log" &&
    fail pgstall_fiber_only "$(grep 'off the store' "$T/log" | head -3)" ||
    ok pgstall_fiber_only

# The readers' connection ended by PostgreSQL: keyd notices it by
# itself, connects again (both connections) and reads a token no worker
# has seen from the store again, with no restart.
r=$(login erin@example.com pw)
case "$r" in 200*) ok pgstall_login_fresh ;; *) fail pgstall_login_fresh "$r" ;; esac
fresh=$(j access_token)
readers() {
	td_pg "SELECT count(*) FROM pg_stat_activity
	    WHERE application_name = 'tokend keyd reader'"
}
[ "$(readers)" = 1 ] && ok pgstall_reader_named ||
    fail pgstall_reader_named "$(readers) reader connections"
lost=$(grep -c 'PostgreSQL connection lost' "$T/log")
td_pg "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE application_name = 'tokend keyd reader'" > /dev/null
td_until '[ "$(grep -c "PostgreSQL connection lost" "$T/log")" -gt "$lost" ]' 100 &&
    ok pgstall_reader_lost || fail pgstall_reader_lost "keyd did not notice"
td_until '[ "$(http GET /users/me -H "Authorization: Bearer $fresh" |
    cut -c1-3)" = 200 ]' 150 && [ "$(readers)" = 1 ] &&
    ok pgstall_reader_back ||
    fail pgstall_reader_back "$(http GET /users/me -H "Authorization: Bearer $fresh"), $(readers) readers"
[ "$(td_keyd)" = "$KEYD0" ] && ok pgstall_reader_keyd_kept ||
    fail pgstall_reader_keyd_kept "$(grep keyd "$T/log" | tail -5)"
