#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Per-address rate limits (catalog L3): off by default; rate-limit
# counts every request before any route and answers 429
# REQUESTS_EXCEEDED with Retry-After; auth-rate-limit is a separate,
# stricter count for login and refresh, whose refusals never reach keyd,
# so they neither count against the user's failed logins nor lock the
# account for anyone else; each worker counts for itself.
. "$(dirname "$0")/../lib.sh"
td_init
PREFORK=1
AUTHCONF='auth {	login-stall 0; login-attempts 5 }'
PWCONF='password {	memory 1M; iterations 1; parallelism 1 }'
td_conf "$AUTHCONF" "$PWCONF"
td_start || { fail rate_start "$(tail -5 $T/log)"; exit 1; }
CTL="$TOKENCTL -s $T/tokend.sock"
echo 'right password' | $CTL user add victim@example.com > /dev/null ||
    fail rate_user_add

# codes N PATH [curl args]: the statuses of N requests on one connection.
codes() {
	local n=$1 path=$2 urls="" i
	shift 2
	for i in $(seq 1 "$n"); do urls="$urls -o /dev/null $URL$path"; done
	curl -s -m 10 -w '%{http_code} ' "$@" $urls
}
restart() {
	kill -TERM "$TD_PID"; wait "$TD_PID"
	td_conf "$@"
	td_start || fail rate_restart "$(tail -5 $T/log)"
}

r=$(codes 300 /server/ping)
[ "$(echo $r | tr ' ' '\n' | grep -c 200)" -eq 300 ] && ok rate_off_by_default ||
    fail rate_off_by_default "$(echo $r | tr ' ' '\n' | sort | uniq -c | tr '\n' ' ')"

restart 'limits { rate-limit 5 per 2s; auth-rate-limit 3 per 30s }' \
    "$AUTHCONF" "$PWCONF"
sleep 2.1	# past the window of td_start's own requests
r=$(codes 8 /server/ping)
[ "$r" = "200 200 200 200 200 429 429 429 " ] && ok rate_limit_points ||
    fail rate_limit_points "$r"
r=$(http GET /server/ping)
case "$r" in
'429 {"errors":[{"message":"Too many requests, retry after '[12]'s.","extensions":{"code":"REQUESTS_EXCEEDED","limit":5,"reset":"'20[0-9][0-9]-[01][0-9]-[0-3][0-9]T*Z'"}}]}')
	ok rate_429_envelope ;;
*)	fail rate_429_envelope "$r" ;;
esac
ra=$(sed -n 's/^retry-after: *\([0-9]*\).*/\1/ip' "$T/h")
[ "$ra" = 1 ] || [ "$ra" = 2 ] && ok rate_retry_after_seconds ||
    fail rate_retry_after_seconds "'$ra'"
grep -qi '^content-type: application/json; charset=utf-8' "$T/h" &&
    ok rate_429_type || fail rate_429_type

# The window ends, and every route counts, unknown ones too.
sleep 2.1
r=$(codes 6 /nope)
[ "$r" = "404 404 404 404 404 429 " ] && ok rate_counts_every_route ||
    fail rate_counts_every_route "$r"
r=$(http GET /server/ping)
[ "${r%% *}" = 429 ] && ok rate_same_count_all_routes ||
    fail rate_same_count_all_routes "${r:0:60}"
sleep 2.1
r=$(http GET /server/ping)
[ "$r" = "200 pong" ] && ok rate_window_ends || fail rate_window_ends "$r"

# The login limit: 3 per 30 s; the general one out of the way.
restart 'limits { rate-limit 1000 per 1s; auth-rate-limit 3 per 30s }' \
    "$AUTHCONF" "$PWCONF"
try_login() {
	local pw=$1
	shift
	curl -s -m 5 -o /dev/null -w '%{http_code} ' -H 'Content-Type: application/json' \
	    -d "{\"email\":\"victim@example.com\",\"password\":\"$pw\"}" "$@" \
	    "$URL/auth/login"
}
r=""
for i in 1 2 3 4 5 6 7; do r="$r$(try_login wrong)"; done
[ "$r" = "401 401 401 429 429 429 429 " ] && ok rate_auth_limit_logins ||
    fail rate_auth_limit_logins "$r"
st=$($CTL user list | awk '$2 == "victim@example.com" { print $3 }')
[ "$st" = active ] && ok rate_refused_logins_not_counted ||
    fail rate_refused_logins_not_counted "status $st"
r=$(http POST /auth/refresh -H 'Content-Type: application/json' \
    -d '{"refresh_token":"x"}')
[ "${r%% *}" = 429 ] && ok rate_auth_limit_refresh_shares ||
    fail rate_auth_limit_refresh_shares "${r:0:80}"
# evhttp decodes the path of a route it matches: no spelling of
# /auth/login or /auth/refresh gets past the auth limit.
for p in /auth/log%69n /auth/%6cogin /auth/refres%68; do
	r=$(http POST "$p" -H 'Content-Type: application/json' \
	    -d '{"email":"victim@example.com","password":"wrong"}')
	[ "${r%% *}" = 429 ] && ok "rate_auth_limit_encoded_${p##*/}" ||
	    fail "rate_auth_limit_encoded_${p##*/}" "${r:0:80}"
done
# The routes that take a password or a mail's token share the count,
# and neither reaches keyd (nothing hashed, nothing mailed).
for p in /users/register /users/invite/accept /auth/password/request \
    /auth/password/reset /users/register/verify-email; do
	if [ "$p" = /users/register/verify-email ]; then
		r=$(http GET "$p?token=x")
	else
		r=$(http POST "$p" -H 'Content-Type: application/json' \
		    -d '{"email":"victim@example.com","password":"p","token":"t"}')
	fi
	[ "${r%% *}" = 429 ] && ok "rate_auth_limit_shared_${p//\//_}" ||
	    fail "rate_auth_limit_shared_${p//\//_}" "${r:0:80}"
done
r=$(http POST /auth/logout -H 'Content-Type: application/json' \
    -d '{"refresh_token":"x"}')
[ "${r%% *}" != 429 ] && ok rate_logout_not_auth_limited ||
    fail rate_logout_not_auth_limited "${r:0:80}"
[ "$(curl -s -m 5 "$URL/server/ping")" = pong ] &&
    ok rate_auth_limit_leaves_other_routes ||
    fail rate_auth_limit_leaves_other_routes
# Another address is not held back: the owner logs in from it.
if curl -s -m 2 --interface 127.0.0.2 -o /dev/null "$URL/server/ping"; then
	r=$(try_login 'right password' --interface 127.0.0.2)
	[ "$r" = "200 " ] && ok rate_other_address_logs_in ||
	    fail rate_other_address_logs_in "$r"
else
	skip rate_other_address_logs_in "no 127.0.0.2"
fi
grep -q 'passw\|right password' "$T/log" && fail rate_no_password_logged ||
    ok rate_no_password_logged

# Each worker counts for itself: 2 workers, 10 per window each, 40
# requests on 40 connections: at least 10 and at most 20 pass.
PREFORK=2
restart 'limits { rate-limit 10 per 20s }' "$AUTHCONF" "$PWCONF"
n=0
for i in $(seq 1 40); do
	[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$URL/server/ping")" = 200 ] &&
	    n=$((n + 1))
done
[ $n -ge 10 ] && [ $n -le 20 ] && ok rate_per_worker_bound ||
    fail rate_per_worker_bound "$n passed"
echo "# 2 workers, rate-limit 10: $n of 40 passed"
