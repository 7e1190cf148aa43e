#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Authentication end to end: login, /users/me with a JWT and a static
# token, refresh and rotation, logout, token passing, the stall, failed
# logins and the lock they lead to.  Users are imported into the credential
# database the way a Directus user table would be: rows with argon2 PHC
# hashes (made with the argon2 command-line tool).
. "$(dirname "$0")/../lib.sh"
need argon2 sqlite3
td_init
td_conf 'auth {' '	login-stall 300ms' '	login-attempts 3' '	access-ttl 10s' \
    '	session-grace 1s' '}' \
    'password {' '	memory 1M' '	iterations 1' '	parallelism 1' '}'
td_start || { fail auth_start "$(tail -5 $T/log)"; exit 1; }
DB="$T/keyd/db/credentials.db"
ADMIN_ROLE=a0000000-0000-4000-8000-000000000001

phc() {
	printf %s "$1" | argon2 "$(head -c 12 /dev/urandom | base64 |
	    tr -d '=+/')" -id -t 1 -m 10 -p 1 -e
}
# add_user ID EMAIL PASSWORD [ROLE] [STATUS] [STATIC_TOKEN]
add_user() {
	local th=NULL
	[ -n "$6" ] && th="X'$(printf %s "$6" | sha256sum | cut -c1-64)'"
	sqlite3 "$DB" "INSERT INTO users (id, email, password, role, status,
	    token_hash) VALUES ('$1', '$2', '$(phc "$3")', nullif('$4', ''),
	    '${5:-active}', $th)"
}
U1=11111111-1111-4111-8111-111111111111
U2=22222222-2222-4222-8222-222222222222
U3=33333333-3333-4333-8333-333333333333
add_user $U1 admin@example.com 'correct horse' $ADMIN_ROLE active \
    'static-token-of-admin-0123456789'
add_user $U2 Editor@Example.com 'pw2' '' active
add_user $U3 gone@example.com 'pw3' '' suspended


r=$(login_json '{"email":"admin@example.com","password":"correct horse"}')
case "$r" in "200 "*'"access_token":"'*'"refresh_token":"'*'"expires":10000'*|\
"200 "*'"expires":10000'*) ok auth_login_json ;;
*) fail auth_login_json "$r" ;; esac
AT=$(j access_token); RT=$(j refresh_token)
# This token is the one that expires at the end (auth_jwt_expired).
EXPIRING=$AT
EXP=$(jwt_payload "$AT" | sed -n 's/.*"exp":\([0-9]*\).*/\1/p')
[ ${#RT} -eq 60 ] && ok auth_refresh_token_60 || fail auth_refresh_token_60 "$RT"
grep -qi '^set-cookie' "$T/h" && fail auth_json_mode_no_cookie ||
    ok auth_json_mode_no_cookie

r=$(http GET /users/me -H "Authorization: Bearer $AT")
case "$r" in "200 "*"\"id\":\"$U1\""*'"password":"**********"'*) ok auth_me_jwt ;;
*) fail auth_me_jwt "$r" ;; esac
case "$r" in *'"token":"**********"'*) ok auth_me_token_concealed ;;
*) fail auth_me_token_concealed "$r" ;; esac
case "$r" in *argon2*) fail auth_me_no_hash "$r" ;; *) ok auth_me_no_hash ;; esac
r=$(http GET "/users/me?access_token=$AT")
case "$r" in "200 "*"$U1"*) ok auth_me_query_token ;; *) fail auth_me_query_token "$r" ;; esac
r=$(http GET /users/me -H "Authorization: bEaReR $AT")
case "$r" in "200 "*) ok auth_bearer_case_insensitive ;; *) fail auth_bearer_case_insensitive "$r" ;; esac
r=$(http GET "/users/me?access_token=$AT" -H "Authorization: Bearer $AT")
case "$r" in "400 "*INVALID_PAYLOAD*) ok auth_two_sources_400 ;; *) fail auth_two_sources_400 "$r" ;; esac
r=$(http GET /users/me -H "Authorization: Bearer  $AT")
case "$r" in "401 "*INVALID_CREDENTIALS*) ok auth_two_spaces_is_public ;;
*) fail auth_two_spaces_is_public "$r" ;; esac
r=$(http GET /users/me)
case "$r" in "401 "*INVALID_CREDENTIALS*) ok auth_me_public_401 ;; *) fail auth_me_public_401 "$r" ;; esac
r=$(http GET '/users/me?fields=id,email')
r=$(http GET '/users/me?fields=id,email' -H "Authorization: Bearer $AT")
[ "$r" = "200 {\"data\":{\"id\":\"$U1\",\"email\":\"admin@example.com\"}}" ] &&
    ok auth_me_fields || fail auth_me_fields "$r"

# A bad token is an error, never the public role.
bad="${AT%?}"; last="${AT: -1}"; [ "$last" = A ] && bad="${bad}B" || bad="${bad}A"
r=$(http GET /users/me -H "Authorization: Bearer $bad")
case "$r" in "403 "*INVALID_TOKEN*) ok auth_bad_signature_403 ;; *) fail auth_bad_signature_403 "$r" ;; esac
hdr=$(printf '{"alg":"none","typ":"JWT"}' | base64 | tr '+/' '-_' | tr -d '=')
r=$(http GET /users/me -H "Authorization: Bearer $hdr.$(echo "$AT" | cut -d. -f2).")
case "$r" in "403 "*INVALID_TOKEN*|"401 "*) ok auth_alg_none_refused ;; *) fail auth_alg_none_refused "$r" ;; esac
r=$(http GET /users/me -H "Authorization: Bearer not-a-known-token")
case "$r" in "401 "*INVALID_CREDENTIALS*) ok auth_unknown_static_401 ;; *) fail auth_unknown_static_401 "$r" ;; esac
r=$(http GET /users/me -H "Authorization: Bearer static-token-of-admin-0123456789")
case "$r" in "200 "*"$U1"*) ok auth_static_token ;; *) fail auth_static_token "$r" ;; esac
if strings "$DB" "$DB-wal" 2>/dev/null | grep -q static-token-of-admin; then
	fail auth_static_token_not_stored
else
	ok auth_static_token_not_stored
fi

# Refresh rotates: the new pair works, the old refresh token is dead.
r=$(http POST /auth/refresh -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$RT\"}")
case "$r" in "200 "*'"refresh_token":"'*) ok auth_refresh_json ;; *) fail auth_refresh_json "$r" ;; esac
RT2=$(j refresh_token); AT2=$(j access_token)
[ "$RT2" != "$RT" ] && [ ${#RT2} -eq 60 ] && ok auth_refresh_rotates || fail auth_refresh_rotates
r=$(http GET /users/me -H "Authorization: Bearer $AT2")
case "$r" in "200 "*) ok auth_refreshed_jwt_works ;; *) fail auth_refreshed_jwt_works "$r" ;; esac
r=$(http POST /auth/refresh -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$RT\"}")
case "$r" in "401 "*INVALID_CREDENTIALS*) ok auth_refresh_reuse_401 ;; *) fail auth_refresh_reuse_401 "$r" ;; esac
r=$(http POST /auth/refresh -H 'Content-Type: application/json' -d '{}')
case "$r" in "400 "*INVALID_PAYLOAD*) ok auth_refresh_missing_400 ;; *) fail auth_refresh_missing_400 "$r" ;; esac
r=$(http POST /auth/refresh -H 'Cookie: directus_refresh_token=')
case "$r" in "400 "*INVALID_PAYLOAD*) ok auth_refresh_empty_cookie_400 ;; *) fail auth_refresh_empty_cookie_400 "$r" ;; esac
r=$(http POST /auth/logout -H 'Cookie: directus_refresh_token=""')
case "$r" in "400 "*INVALID_PAYLOAD*) ok auth_logout_empty_cookie_400 ;; *) fail auth_logout_empty_cookie_400 "$r" ;; esac

# Of 20 concurrent refreshes with one token exactly one succeeds (a
# token of its own: RT's reuse above ends RT2's family when it came
# after the grace).
r=$(login_json '{"email":"admin@example.com","password":"correct horse"}')
RT2=$(j refresh_token)
pids=""
for i in $(seq 1 20); do
	curl -s -m 10 -o /dev/null -w '%{http_code}\n' -X POST \
	    -H 'Content-Type: application/json' \
	    -d "{\"refresh_token\":\"$RT2\"}" "$URL/auth/refresh" >> "$T/race" &
	pids="$pids $!"
done
wait $pids
n200=$(grep -c '^200' "$T/race"); n401=$(grep -c '^401' "$T/race")
[ "$n200" -eq 1 ] && [ "$n401" -eq 19 ] && ok auth_refresh_race_one_winner ||
    fail auth_refresh_race_one_winner "$n200 ok, $n401 refused: $(sort "$T/race" | uniq -c | tr -s "\n " " ")"

# A rotated token presented again after the grace period ends the whole
# session: its current refresh token stops working too.
r=$(login_json '{"email":"admin@example.com","password":"correct horse"}')
RA=$(j refresh_token)
r=$(http POST /auth/refresh -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$RA\"}")
RB=$(j refresh_token)
sleep 1.3
r=$(http POST /auth/refresh -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$RA\"}")
case "$r" in "401 "*) ok auth_reuse_refused ;; *) fail auth_reuse_refused "$r" ;; esac
r=$(http POST /auth/refresh -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$RB\"}")
case "$r" in "401 "*) ok auth_reuse_ends_session ;; *) fail auth_reuse_ends_session "$r" ;; esac

# A token naming a live session (its id, generation and salt) with a MAC
# keyd did not make is unknown: 401, and the session goes on.
refresh_rt() {
	http POST /auth/refresh -H 'Content-Type: application/json' \
	    -d "{\"refresh_token\":\"$1\"}"
}
r=$(login_json '{"email":"admin@example.com","password":"correct horse"}')
RC=$(j refresh_token)
last=${RC: -1}; [ "$last" = A ] && other=B || other=A
forged=${RC:0:40}$(printf '%020d' 0 | tr 0 "$other")
r=$(refresh_rt "$forged")
r2=$(refresh_rt "$RC")
case "$r $r2" in "401 "*" 200 "*) ok auth_forged_mac_changes_nothing ;;
*) fail auth_forged_mac_changes_nothing "$r / $r2" ;; esac
# A token two generations old is reused at once (no grace): the session
# ends, its live token with it.
RD=$(j refresh_token)
r=$(refresh_rt "$RD"); RE=$(j refresh_token)
r=$(refresh_rt "$RC")
r2=$(refresh_rt "$RE")
case "$r $r2" in "401 "*" 401 "*) ok auth_two_generations_old_ends_session ;;
*) fail auth_two_generations_old_ends_session "$r / $r2" ;; esac
grep -q "used again" "$T/log" && ok auth_reuse_logged || fail auth_reuse_logged

# Cookie mode: the refresh token travels in an HttpOnly cookie.
r=$(login_json '{"email":"admin@example.com","password":"correct horse","mode":"cookie"}')
case "$r" in *refresh_token*) fail auth_login_cookie "$r" ;; "200 "*access_token*) ok auth_login_cookie ;;
*) fail auth_login_cookie "$r" ;; esac
grep -qi '^set-cookie: directus_refresh_token=[A-Za-z0-9_-]\{60\}; Max-Age=604800; Path=/; Expires=.*; HttpOnly; SameSite=Lax' "$T/h" &&
    ok auth_cookie_attributes || fail auth_cookie_attributes "$(grep -i set-cookie $T/h)"
CK=$(sed -n 's/^[Ss]et-[Cc]ookie: directus_refresh_token=\([^;]*\);.*/\1/p' "$T/h" | tr -d '\r')
r=$(http POST /auth/refresh -H "Origin: $URL" -H "Cookie: directus_refresh_token=$CK")
case "$r" in "200 "*access_token*) ok auth_refresh_cookie ;; *) fail auth_refresh_cookie "$r" ;; esac
CK=$(sed -n 's/^[Ss]et-[Cc]ookie: directus_refresh_token=\([^;]*\);.*/\1/p' "$T/h" | tr -d '\r')
r=$(http POST /auth/logout -H "Origin: $URL" -H "Cookie: directus_refresh_token=$CK")
[ "${r%% *}" = 204 ] && ok auth_logout_204 || fail auth_logout_204 "$r"
grep -qi '^set-cookie: directus_refresh_token=; Max-Age=0' "$T/h" &&
    ok auth_logout_clears_cookie || fail auth_logout_clears_cookie
r=$(http POST /auth/refresh -H "Origin: $URL" -H "Cookie: directus_refresh_token=$CK")
case "$r" in "401 "*) ok auth_refresh_after_logout_401 ;; *) fail auth_refresh_after_logout_401 "$r" ;; esac
r=$(http POST /auth/logout -H 'Content-Type: application/json' \
    -d '{"refresh_token":"unknown-unknown-unknown-unknown-unknown-unknown-unknown-unknown1"}')
[ "${r%% *}" = 204 ] && ok auth_logout_unknown_204 || fail auth_logout_unknown_204 "$r"

# Session mode: the access token lives in the session cookie and dies
# with its session.
r=$(login_json '{"email":"admin@example.com","password":"correct horse","mode":"session"}')
[ "$r" = '200 {"data":{"expires":86400000}}' ] && ok auth_login_session ||
    fail auth_login_session "$r"
SK=$(sed -n 's/^[Ss]et-[Cc]ookie: directus_session_token=\([^;]*\);.*/\1/p' "$T/h" | tr -d '\r')
RK=$(sed -n 's/^[Ss]et-[Cc]ookie: directus_refresh_token=\([^;]*\);.*/\1/p' "$T/h" | tr -d '\r')
r=$(http GET /users/me -H "Cookie: directus_session_token=$SK")
case "$r" in "200 "*"$U1"*) ok auth_session_cookie_me ;; *) fail auth_session_cookie_me "$r" ;; esac
# Tabs refreshing one session at once all get the same new session.
pids=""
for i in 1 2 3 4 5; do
	curl -s -m 10 -D "$T/sh$i" -o /dev/null -X POST \
	    -H 'Content-Type: application/json' -d '{"mode":"session"}' \
	    -H "Origin: $URL" \
	    -H "Cookie: directus_session_token=$SK; directus_refresh_token=$RK" \
	    "$URL/auth/refresh" &
	pids="$pids $!"
done
wait $pids
# Other tabs still send the old cookie for a moment: it works within the
# grace period (asked at once, before anything else: the grace is 1s).
r=$(http GET /users/me -H "Cookie: directus_session_token=$SK")
case "$r" in "200 "*) ok auth_session_old_cookie_within_grace ;;
*) fail auth_session_old_cookie_within_grace "$r" ;; esac
sessions=$(for i in 1 2 3 4 5; do
	sed -n 's/^[Ss]et-[Cc]ookie: directus_session_token=[^.]*\.\([^.]*\)\..*/\1/p' "$T/sh$i" |
	    tr '_-' '/+' | awk '{ while (length($0) % 4) $0 = $0 "="; print }' |
	    base64 -d 2>/dev/null | sed -n 's/.*"session":"\([^"]*\)".*/\1/p'
	echo
done | sort | uniq -c)
[ "$(echo "$sessions" | wc -l)" -eq 1 ] && echo "$sessions" | grep -q '^ *5 .\{43\}$' &&
    ok auth_session_grace_same_successor || fail auth_session_grace_same_successor "$sessions"
# ... and not after the grace period.
sleep 1.2
r=$(http GET /users/me -H "Cookie: directus_session_token=$SK")
case "$r" in "401 "*) ok auth_session_old_cookie_after_grace ;;
*) fail auth_session_old_cookie_after_grace "$r" ;; esac
SK=$(sed -n 's/^[Ss]et-[Cc]ookie: directus_session_token=\([^;]*\);.*/\1/p' "$T/sh1" | tr -d '\r')
RK=$(sed -n 's/^[Ss]et-[Cc]ookie: directus_refresh_token=\([^;]*\);.*/\1/p' "$T/sh1" | tr -d '\r')
r=$(http POST /auth/logout -H 'Content-Type: application/json' -d '{"mode":"session"}' \
    -H "Origin: $URL" -H "Cookie: directus_session_token=$SK; directus_refresh_token=$RK")
r=$(http GET /users/me -H "Cookie: directus_session_token=$SK")
case "$r" in "401 "*INVALID_CREDENTIALS*) ok auth_session_dies_on_logout ;;
*) fail auth_session_dies_on_logout "$r" ;; esac

# Login failures: one answer for all, never before the stall.
for body in '{"email":"nobody@example.com","password":"x"}' \
    '{"email":"admin@example.com","password":"wrong"}' \
    '{"email":"gone@example.com","password":"pw3"}'; do
	start=$(date +%s%N)
	r=$(login_json "$body")
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$r" = '401 {"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}' ] &&
	    [ $ms -ge 300 ] && echo ok || echo "FAILED ($r, $ms ms)"
done > "$T/fails"
[ "$(grep -c '^ok' "$T/fails")" -eq 3 ] && ok auth_login_failures_uniform_and_stalled ||
    fail auth_login_failures_uniform_and_stalled "$(cat $T/fails)"
r=$(login_json '{"email":"not-an-email","password":"x"}')
case "$r" in "400 "*email*INVALID_PAYLOAD*) ok auth_login_bad_email_400 ;; *) fail auth_login_bad_email_400 "$r" ;; esac
r=$(login_json '{"email":"admin@example.com"}')
case "$r" in "400 "*password*) ok auth_login_no_password_400 ;; *) fail auth_login_no_password_400 "$r" ;; esac
r=$(login_json '{"email":"admin@example.com","password":"x","mode":"bogus"}')
case "$r" in "400 "*mode*) ok auth_login_bad_mode_400 ;; *) fail auth_login_bad_mode_400 "$r" ;; esac
r=$(login_json 'not json')
case "$r" in "400 "*INVALID_PAYLOAD*) ok auth_login_not_json_400 ;; *) fail auth_login_not_json_400 "$r" ;; esac
r=$(login_json '{"email":"EDITOR@example.COM","password":"pw2"}')
case "$r" in "200 "*) ok auth_email_case_insensitive ;; *) fail auth_email_case_insensitive "$r" ;; esac

# The limit is 3: the third failure locks the account, for a while and
# for the addresses that failed on it, instead of suspending it
# (lockout.sh tests the model).  Three addresses fail once each.
for i in 2 3 4; do
	http POST /auth/login --interface 127.0.0.$i -H 'Content-Type: application/json' \
	    -d '{"email":"editor@example.com","password":"no"}' >/dev/null
done
st=$(sqlite3 "$DB" "SELECT status FROM users WHERE id = '$U2'")
[ "$st" = active ] && ok auth_locked_not_suspended_after_limit ||
    fail auth_locked_not_suspended_after_limit "$st"
r=$(http POST /auth/login --interface 127.0.0.2 -H 'Content-Type: application/json' \
    -d '{"email":"editor@example.com","password":"pw2"}')
case "$r" in "429 "*REQUESTS_EXCEEDED*) ok auth_locked_refused ;; *) fail auth_locked_refused "$r" ;; esac

# Correct logins reset the count; concurrent correct logins never suspend.
logins_at_once 10 '{"email":"admin@example.com","password":"correct horse"}' \
    "$T/logins"
[ "$(grep -c '^200' "$T/logins")" -eq 10 ] &&
    [ "$(sqlite3 "$DB" "SELECT status FROM users WHERE id = '$U1'")" = active ] &&
    ok auth_concurrent_logins_ok || fail auth_concurrent_logins_ok "$(sort $T/logins | uniq -c)"

# Expiry: a JWT past its exp answers TOKEN_EXPIRED.  The first one of
# this test (access-ttl 10s): wait until the clock is past its exp.
r=$(login_json '{"email":"admin@example.com","password":"correct horse"}')
AT=$(j access_token)
td_until '[ $(( $(date +%s%N) / 1000000 )) -ge $(( ${EXP:-0} * 1000 + 100 )) ]' 150
r=$(http GET /users/me -H "Authorization: Bearer $EXPIRING")
case "$r" in "401 "*TOKEN_EXPIRED*) ok auth_jwt_expired ;; *) fail auth_jwt_expired "$r" ;; esac

# Nothing secret in the logs.
if grep -q "correct horse\|$RT\|$AT\|static-token-of-admin" "$T/log"; then
	fail auth_no_secrets_in_log
else
	ok auth_no_secrets_in_log
fi
