#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Two tokend hosts on one PostgreSQL credential store: a login on one
# is a session on the other, a refresh token rotates once whichever
# host gets it, and a logout on one ends the session on both.
. "$(dirname "$0")/../lib.sh"
TD_NAME=pg
# One worker a host: what it caches is what the next request meets.
PREFORK=1
td_init
td_pg_start
case $? in
0) ;;
1) skip pg "$TD_PG_WHY"; exit 0 ;;
*) fail pg_cluster "$TD_PG_WHY"; exit 1 ;;
esac
ROOT=$T
# host NAME: one host in $ROOT/NAME, with the settings of all.  The
# grace is long so that none of the 20 refreshes of one token below
# comes after it on a slow machine (a reuse then, which ends the
# session: pghosts.sh checks that).
host() {
	td_pg_host "$1" "$PG_URI" 'password {' '	memory 1M' '	iterations 1' \
	    '	parallelism 1' '}' 'auth {' '	login-stall 1ms' \
	    '	session-grace 30s' '}'
}
host a
"$TOKEND" -n -f "$T/tokend.conf" > "$T/n.out" 2>&1 &&
    grep -q 'PostgreSQL' "$T/n.out" && ok pg_check_connects ||
    fail pg_check_connects "$(cat "$T/n.out")"
td_start || { fail pg_start_a "$(tail -5 "$T/log")"; T=$ROOT; exit 1; }
A=$URL
PIDA=$TD_PID
CTLA="$TOKENCTL -s $T/tokend.sock"
host b
# The same secret and TFA key on both (keyd made them on A).
cp -a "$ROOT/a/secret" "$T/secret"
cp -a "$ROOT/a/tfa-key" "$T/tfa-key"
td_start || { fail pg_start_b "$(tail -5 "$T/log")"; T=$ROOT; exit 1; }
B=$URL
T=$ROOT
[ "$(td_pg 'SELECT version FROM tokend_schema')" = 4 ] &&
    ok pg_schema_once || fail pg_schema_once "$(td_pg 'SELECT * FROM tokend_schema')"

echo 'pw' | $CTLA user add erin@example.com >/dev/null &&
    ok pg_user_add || fail pg_user_add "$(tail -5 "$ROOT/a/log")"

# Rotated keys would be one host's files: with PostgreSQL, none.
out=$($CTLA key rotate 2>&1) && fail pg_key_rotate_refused "$out" ||
case $out in
*"no key rotation with a PostgreSQL database"*) ok pg_key_rotate_refused ;;
*) fail pg_key_rotate_refused "$out" ;;
esac
at() { URL=$1; shift; "$@"; }
r=$(at "$A" login erin@example.com pw)
case "$r" in 200*) ok pg_login_a ;; *) fail pg_login_a "$r" ;; esac
acc=$(j access_token)
rt=$(j refresh_token)
r=$(at "$B" http GET /users/me -H "Authorization: Bearer $acc")
case "$r" in 200*'"email":"erin@example.com"'*) ok pg_me_on_b ;;
*) fail pg_me_on_b "$r" ;; esac
r=$(at "$B" http GET /users/me -H "Authorization: Bearer $acc")
case "$r" in 200*'"email":"erin@example.com"'*) ok pg_me_on_b_again ;;
*) fail pg_me_on_b_again "$r" ;; esac

# 20 refreshes of one token at once, over both hosts: one wins.
pids=""
for i in $(seq 20); do
	if [ $((i % 2)) -eq 0 ]; then u=$A; else u=$B; fi
	curl -s -m 20 -o "$T/rb.$i" -w '%{http_code}\n' \
	    -H 'Content-Type: application/json' \
	    -d "{\"refresh_token\":\"$rt\",\"mode\":\"json\"}" \
	    "$u/auth/refresh" > "$T/rc.$i" &
	pids="$pids $!"
done
wait $pids
r=$(cat "$T"/rc.* | sort | uniq -c | tr '\n' ' ' | tr -s ' ')
[ "$r" = " 1 200 19 401 " ] && ok pg_refresh_one_winner ||
    fail pg_refresh_one_winner "$r"
w=$(grep -l '^200$' "$T"/rc.* | head -1)
w=${w##*.}
acc=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$T/rb.$w")
rt=$(sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p' "$T/rb.$w")
[ "$(td_pg 'SELECT count(*) FROM sessions')" = 1 ] &&
    ok pg_refresh_one_session || fail pg_refresh_one_session
r=$(at "$A" http GET /users/me -H "Authorization: Bearer $acc")
case "$r" in 200*) ok pg_me_winner_on_a ;; *) fail pg_me_winner_on_a "$r" ;; esac

# Logout on B (json mode): the session is gone from the database, and
# its refresh token refused on A.  (A json-mode access token is a JWT of
# no session: it stays good until it expires, as in Directus.)
r=$(at "$B" http POST /auth/logout -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$rt\"}")
case "$r" in 204*|200*) ok pg_logout_b ;; *) fail pg_logout_b "$r" ;; esac
[ "$(td_pg 'SELECT count(*) FROM sessions')" = 0 ] &&
    ok pg_logout_gone || fail pg_logout_gone
r=$(at "$A" http POST /auth/refresh -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$rt\",\"mode\":\"json\"}")
case "$r" in 401*) ok pg_logout_refresh_refused_a ;;
*) fail pg_logout_refresh_refused_a "$r" ;; esac

# refresh URL TOKEN: its answer (j reads its body).
refresh() {
	URL=$1 http POST /auth/refresh -H 'Content-Type: application/json' \
	    -d "{\"refresh_token\":\"$2\",\"mode\":\"json\"}"
}
gens() { td_pg 'SELECT coalesce(sum(gen), -1) FROM sessions'; }
# A token that names a live session with a MAC keyd did not make is
# unknown on both hosts: 401, nothing changes.
r=$(at "$A" login erin@example.com pw)
r0=$(j refresh_token)
last=${r0: -1}; [ "$last" = A ] && other=B || other=A
g=$(gens)
r=$(refresh "$B" "${r0:0:40}$(printf '%020d' 0 | tr 0 "$other")")
case "$r $(gens)" in "401 "*" $g") ok pg_forged_mac_changes_nothing ;;
*) fail pg_forged_mac_changes_nothing "$r (generations $g, then $(gens))" ;; esac
# A token two generations old ends its session on both hosts, grace or
# not: its live token is refused too.
r=$(refresh "$A" "$r0"); r1=$(j refresh_token)
r=$(refresh "$B" "$r1"); r2=$(j refresh_token)
r=$(refresh "$B" "$r0")
r3=$(refresh "$A" "$r2")
case "$r $r3 $(td_pg 'SELECT count(*) FROM sessions')" in "401 "*" 401 "*" 0")
	ok pg_two_generations_old_ends_session ;;
*) fail pg_two_generations_old_ends_session "$r / $r3" ;; esac
# A session of the token format before (64 characters, found by its
# hash), as a store migrated with sessions under way holds them: it
# refreshes once, gets a token of the current format, and goes on.
old=$(head -c 48 /dev/urandom | base64 | tr '+/' '-_')
td_pg "INSERT INTO sessions (token_hash, user_id, expires, family)
    SELECT sha256(convert_to('$old', 'UTF8')), id,
    (extract(epoch FROM now())::bigint + 3600) * 1000,
    sha256(convert_to('$old', 'UTF8')) FROM users
    WHERE email = 'erin@example.com'" > /dev/null
r=$(refresh "$B" "$old"); n1=$(j refresh_token)
r2=$(refresh "$A" "$n1"); n2=$(j refresh_token)
case "$r $r2 ${#n1} ${#n2}" in "200 "*" 200 "*" 60 60")
	ok pg_legacy_session_refreshes ;;
*) fail pg_legacy_session_refreshes "$r / $r2" ;; esac
r=$(at "$A" http POST /auth/logout -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$n2\"}")
[ "$(td_pg 'SELECT count(*) FROM sessions')" = 0 ] &&
    ok pg_legacy_session_logout || fail pg_legacy_session_logout "$r"

# A session-mode login on A, used (and so cached) on both hosts, ended
# by a logout on B: A's workers learn it from B (LISTEN/NOTIFY), long
# before the token's expiry.
CTLB="$TOKENCTL -s $ROOT/b/tokend.sock"
me() { at "$1" http GET /users/me -H "Cookie: directus_session_token=$2"; }
r=$(at "$A" login erin@example.com pw session)
sk=$(session_cookie)
rk=$(sed -n 's/^[Ss]et-[Cc]ookie: directus_refresh_token=\([^;]*\);.*/\1/p' \
    "$T/h" | tr -d '\r')
case "$r" in 200*) [ -n "$sk" ] ;; *) false ;; esac &&
    ok pg_session_login_a || fail pg_session_login_a "$r"
for h in "$A" "$B" "$A" "$B"; do r=$(me "$h" "$sk"); done
case "$r" in 200*) ok pg_session_me_both ;; *) fail pg_session_me_both "$r" ;; esac
r=$(at "$B" http POST /auth/logout -H 'Content-Type: application/json' \
    -H "Origin: $B" \
    -H "Cookie: directus_session_token=$sk; directus_refresh_token=$rk" \
    -d '{"mode":"session"}')
case "$r" in 204*) ok pg_session_logout_b ;; *) fail pg_session_logout_b "$r" ;; esac
r=$(me "$B" "$sk")
case "$r" in 401*) ok pg_session_refused_b ;; *) fail pg_session_refused_b "$r" ;; esac
td_until '[ "$(me "$A" "$sk" | cut -c1-3)" = 401 ]' 100 &&
    ok pg_session_refused_a || fail pg_session_refused_a "$(me "$A" "$sk")"

# A profile change on A shows on B at once, B's cached copy included.
r=$(at "$A" login erin@example.com pw)
acc=$(j access_token)
r=$(at "$B" http GET /users/me -H "Authorization: Bearer $acc")
r=$(at "$A" http PATCH /users/me -H "Authorization: Bearer $acc" \
    -H 'Content-Type: application/json' -d '{"first_name":"Erin"}')
case "$r" in 200*'"first_name":"Erin"'*) ok pg_patch_a ;; *) fail pg_patch_a "$r" ;; esac
td_until '[ "$(at "$B" http GET "/users/me?fields=first_name" \
    -H "Authorization: Bearer $acc")" = "200 {\"data\":{\"first_name\":\"Erin\"}}" ]' 100 &&
    ok pg_patch_seen_b || fail pg_patch_seen_b "$(at "$B" http GET "/users/me?fields=first_name" -H "Authorization: Bearer $acc")"
# tokenctl on B lists the session made on A and revokes it.
$CTLB session list erin@example.com > "$T/sl" 2>&1
[ "$(grep -c erin@example.com "$T/sl")" -ge 1 ] && ok pg_session_list_b ||
    fail pg_session_list_b "$(cat "$T/sl")"
# /users on PostgreSQL (shared/query_sql.c's PostgreSQL words): the
# list in the order of creation, a filter, a count; a user added on B
# listed on A.
echo 'root pass' | $CTLB user add -r admin root@example.com >/dev/null
r=$(at "$B" login root@example.com 'root pass')
ROOTACC=$(j access_token)
r=$(at "$A" http GET '/users?fields=email&meta=total_count' \
    -H "Authorization: Bearer $ROOTACC")
same pg_users_list '200 {"data":[{"email":"erin@example.com"},{"email":"root@example.com"}],"meta":{"total_count":2}}' "$r"
r=$(at "$A" http GET '/users?fields=email&filter=%7B%22email%22:%7B%22_starts_with%22:%22ro%22%7D%7D' \
    -H "Authorization: Bearer $ROOTACC")
same pg_users_filter '200 {"data":[{"email":"root@example.com"}]}' "$r"

# Suspension with tokenctl on B: A's cached /users/me of the user's
# access token goes too.
r=$(at "$A" login erin@example.com pw)
acc=$(j access_token)
for i in 1 2 3; do
	r=$(at "$A" http GET /users/me -H "Authorization: Bearer $acc")
done
case "$r" in 200*) ok pg_suspend_before ;; *) fail pg_suspend_before "$r" ;; esac
$CTLB user suspend erin@example.com >/dev/null &&
    ok pg_suspend_b || fail pg_suspend_b
td_until '[ "$(at "$A" http GET /users/me -H "Authorization: Bearer $acc" |
    cut -c1-3)" = 401 ]' 100 && ok pg_suspend_refused_a ||
    fail pg_suspend_refused_a "$(at "$A" http GET /users/me -H "Authorization: Bearer $acc")"
r=$(at "$A" login erin@example.com pw)
case "$r" in 401*) ok pg_suspend_login_refused_a ;;
*) fail pg_suspend_login_refused_a "$r" ;; esac

# A keyd the parent restarts (after its own sandbox) connects again.
$CTLB user activate erin@example.com >/dev/null
T=$ROOT/a; TD_PID=$PIDA
k=$(td_keyd)
kill -KILL "$k"
td_until '[ -n "$(td_keyd)" ] && [ "$(td_keyd)" != "$k" ]' 100
URL=$A td_wait_keyd && ok pg_keyd_restarted || fail pg_keyd_restarted "$(tail -3 "$T/log")"
T=$ROOT
loginat() { at "$1" login erin@example.com pw | cut -c1-3; }
[ "$(loginat "$A")" = 200 ] && ok pg_keyd_restarted_login ||
    fail pg_keyd_restarted_login "$(tail -3 "$ROOT/a/log")"

# PostgreSQL down: health and logins answer 503 (not a hang, not a
# wrong answer).  Started again, both hosts reconnect by themselves
# (health answers again, a login works on each), no restart of tokend.
pgctl() { (cd "$T/pg" && $TD_PG_AS "$PG_BIN/pg_ctl" -D "$TD_PG_DATA" -w "$@") \
    >> "$T/pg/log" 2>&1; }
health() { curl -s -m 5 "$1/server/health"; }
# An access token no worker of B has seen.
r=$(at "$A" login erin@example.com pw)
unseen=$(j access_token)
pgctl -m fast stop && ok pg_stopped || fail pg_stopped
td_until '[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" "$A/server/health")" = 503 ]' 300 &&
    ok pg_down_health_503 || fail pg_down_health_503 "$(health "$A")"
r=$(at "$A" login erin@example.com pw)
case "$r" in 503*SERVICE_UNAVAILABLE*) ok pg_down_login_503 ;;
*) fail pg_down_login_503 "$r" ;; esac
# A token keyd must read the store for is not called invalid (a client
# would sign out): 503.
r=$(at "$B" http GET /users/me -H "Authorization: Bearer $unseen")
case "$r" in 503*SERVICE_UNAVAILABLE*) ok pg_down_cold_token_503 ;;
*) fail pg_down_cold_token_503 "$r" ;; esac
pgctl -l "$T/pg/server.log" -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT \
    -c unix_socket_directories=$T/pg" start && ok pg_restarted || fail pg_restarted
back=0
for h in "$A" "$B"; do
	td_until '[ "$(health "$h")" = "{\"status\":\"ok\"}" ] &&
	    [ "$(loginat "$h")" = 200 ]' 300 && back=$((back + 1))
done
[ $back -eq 2 ] && ok pg_reconnected ||
    fail pg_reconnected "$(grep store: "$ROOT/a/log" | tail -3)"
grep -q 'PostgreSQL connection back' "$ROOT/a/log" && ok pg_reconnect_logged ||
    fail pg_reconnect_logged

# tokend -n fails on a database that does not answer.
sed "s#127.0.0.1:$PG_PORT/#127.0.0.1:$(td_free_port)/#" "$ROOT/a/tokend.conf" \
    > "$ROOT/bad.conf"
chmod 600 "$ROOT/bad.conf"
if "$TOKEND" -n -f "$ROOT/bad.conf" > "$ROOT/bad.out" 2>&1; then
	fail pg_check_refused "$(cat "$ROOT/bad.out")"
else
	grep -q 'cannot connect to PostgreSQL' "$ROOT/bad.out" &&
	    ok pg_check_refused || fail pg_check_refused "$(cat "$ROOT/bad.out")"
fi

# Two hosts starting at once on an empty database: each migration step
# is applied once (the advisory lock), and both come up.
td_pg 'CREATE DATABASE tokend2' >/dev/null
PG_URI=${PG_URI/\/tokend\?//tokend2?}
host c
cp -a "$ROOT/a/secret" "$ROOT/a/tfa-key" "$T/"
host d
cp -a "$ROOT/a/secret" "$ROOT/a/tfa-key" "$T/"
T=$ROOT
for h in c d; do
	"$TOKEND" -d -v -f "$ROOT/$h/tokend.conf" > "$ROOT/$h/log" 2>&1 &
	TD_PIDS="$TD_PIDS $!"
done
up=0
for h in c d; do
	u=http://127.0.0.1:$(sed -n 's/^listen on 127.0.0.1 port \([0-9]*\)$/\1/p' \
	    "$ROOT/$h/tokend.conf")
	td_until '[ "$(health "$u")" = "{\"status\":\"ok\"}" ]' 300 && up=$((up + 1))
done
[ $up -eq 2 ] && ok pg_start_together || fail pg_start_together \
    "$(grep -h store: "$ROOT/c/log" "$ROOT/d/log" | tail -3)"
n=$(cat "$ROOT/c/log" "$ROOT/d/log" | grep -c 'migrated to schema version 1$')
[ "$n" = 1 ] && [ "$(cd "$T/pg" && ${PG_PSQL% -d tokend} -d tokend2 -c \
    'SELECT version FROM tokend_schema')" = 4 ] &&
    ! grep -q 'cannot open the credential database' "$ROOT/c/log" \
    "$ROOT/d/log" && ok pg_migrated_once || fail pg_migrated_once \
    "$n $(grep -h 'store:' "$ROOT/c/log" "$ROOT/d/log" | head -3)"

# No password hash, token or row of the database in either host's log.
if grep -l -e '\$argon2' -e 'Failing row' -e "$rt" "$ROOT/a/log" "$ROOT/b/log" >/dev/null; then
	fail pg_logs_clean "$(grep -h -e '\$argon2' -e 'Failing row' "$ROOT/a/log" "$ROOT/b/log" | head -2)"
else
	ok pg_logs_clean
fi
