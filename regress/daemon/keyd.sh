#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# keyd: the secret and the database it creates, health when keyd stalls
# or dies, and the secrets it refuses.
. "$(dirname "$0")/../lib.sh"
need sqlite3
td_init
td_conf 'timeout {' '	keyd 300ms' '}'
td_start || { fail keyd_start "$(tail -5 $T/log)"; exit 1; }

[ "$(stat -c %a "$T/secret")" = 600 ] && ok keyd_secret_mode ||
    fail keyd_secret_mode "$(stat -c %a "$T/secret")"
[ "$(stat -c %s "$T/secret")" -eq 32 ] && ok keyd_secret_size ||
    fail keyd_secret_size
[ "$(stat -c %a "$T/keyd/db/credentials.db")" = 600 ] && ok keyd_db_mode ||
    fail keyd_db_mode "$(stat -c %a "$T/keyd/db/credentials.db")"
v=$(sqlite3 "file:$T/keyd/db/credentials.db?mode=ro" 'PRAGMA user_version' 2>&1)
[ "$v" = 12 ] && ok keyd_db_schema || fail keyd_db_schema "$v"
# A login's sweep of expired sessions and retired tokens must not read
# either table whole: the retired tokens by their expiry, the sessions
# a slice of rowids at a time (their expiry has no index: store.c,
# migration 11).
for q in "retired USING INDEX retired_expires|expires < 1" \
    "sessions USING INTEGER PRIMARY KEY|rowid >= 1 AND rowid < 33 AND expires < 1"; do
	tb=${q%% *}
	p=$(sqlite3 "file:$T/keyd/db/credentials.db?mode=ro" \
	    "EXPLAIN QUERY PLAN DELETE FROM $tb WHERE ${q#*|}" 2>&1)
	case "$p" in
	*"SEARCH ${q%|*}"*) ok "keyd_db_${tb}_sweep_indexed" ;;
	*) fail "keyd_db_${tb}_sweep_indexed" "$p" ;;
	esac
done
# ... and a login still sweeps an expired session: on a store this
# small its slice is the whole table.
DB=$T/keyd/db/credentials.db
echo 'kim pass' | $TOKENCTL -s "$T/tokend.sock" user add kim@example.com \
    > /dev/null
sqlite3 -cmd '.timeout 5000' "$DB" "INSERT INTO sessions (token_hash,
    user_id, expires, family) SELECT randomblob(32), id, 1, randomblob(32)
    FROM users WHERE email = 'kim@example.com'"
r=$(login kim@example.com 'kim pass')
n=$(sqlite3 -cmd '.timeout 5000' "file:$DB?mode=ro" \
    'SELECT count(*) FROM sessions WHERE expires < 1000')
[[ $r == '200 '* ]] && [ "$n" = 0 ] && ok keyd_db_sessions_swept ||
    fail keyd_db_sessions_swept "$r, $n expired"
j=$(sqlite3 "file:$T/keyd/db/credentials.db?mode=ro" 'PRAGMA journal_mode' 2>&1)
[ "$j" = wal ] && ok keyd_db_wal || fail keyd_db_wal "$j"

k=$(td_keyd)
kill -STOP "$k"
r=$(http GET /server/health)
[ "$r" = '503 {"status":"error"}' ] && ok keyd_stalled_health_503 ||
    fail keyd_stalled_health_503 "$r"
[ "$(curl -s -m 2 "$URL/server/ping")" = pong ] && ok keyd_stalled_ping_ok ||
    fail keyd_stalled_ping_ok
kill -CONT "$k"
r=$(http GET /server/health)
[ "$r" = '200 {"status":"ok"}' ] && ok keyd_resumed_health_ok ||
    fail keyd_resumed_health_ok "$r"

kill -9 "$k"
r=$(http GET /server/health)
case "$r" in
"503 "*|"200 "*) ok keyd_killed_no_hang ;;
*) fail keyd_killed_no_hang "$r" ;;
esac
if td_until '[ -n "$(td_keyd)" ] && [ "$(td_keyd)" != "$k" ] &&
    [ "$(curl -s -m 1 $URL/server/health)" = "{\"status\":\"ok\"}" ]' 80
then ok keyd_restarted_workers_reconnected
else fail keyd_restarted_workers_reconnected "$(tail -3 $T/log)"
fi
# Every worker got its new channel: ask enough times to hit each one.
bad=0
for i in $(seq 1 20); do
	[ "$(curl -s -m 2 "$URL/server/health")" = '{"status":"ok"}' ] ||
	    bad=$((bad + 1))
done
[ $bad -eq 0 ] && ok keyd_all_workers_reconnected ||
    fail keyd_all_workers_reconnected "$bad failed"
kill -TERM "$TD_PID"; wait "$TD_PID"

# Secrets keyd must refuse.  The parent's check comes first...
chmod 644 "$T/secret"
conf_refused keyd_conf_refuses_readable_secret "$T/tokend.conf" "$T/secret"
# ...and keyd checks again whenever it starts.
chmod 600 "$T/secret"
td_start || fail keyd_restart "$(tail -3 $T/log)"
chmod 644 "$T/secret"
kill -9 "$(td_keyd)"
td_until 'grep -q "accessible by group or others" "$T/log"' 50 &&
    ok keyd_refuses_readable_secret || fail keyd_refuses_readable_secret
r=$(http GET /server/health)
[ "$r" = '503 {"status":"error"}' ] && ok keyd_refused_health_503 ||
    fail keyd_refused_health_503 "$r"
chmod 600 "$T/secret"
td_until '[ "$(curl -s -m 1 $URL/server/health)" = "{\"status\":\"ok\"}" ]' 150 &&
    ok keyd_recovers_after_fix || fail keyd_recovers_after_fix
kill -TERM "$TD_PID"; wait "$TD_PID"

rm -f "$T/secret"
head -c 16 /dev/urandom > "$T/secret"
chmod 600 "$T/secret"
is_root && chown _tokend_keyd "$T/secret"
: > "$T/log"
td_start
td_until 'grep -q "shorter than 32 bytes" "$T/log"' 50 &&
    ok keyd_refuses_short_secret || fail keyd_refuses_short_secret
kill -TERM "$TD_PID"; wait "$TD_PID"
