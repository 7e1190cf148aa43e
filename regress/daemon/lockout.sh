#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Failed logins slow down and lock, they never suspend (keyd/lockout.c,
# tokend.8 LOGIN LOCKOUT): an address that failed on an account waits,
# then is refused while the account is locked, with a 429 that checks
# no password; the owner logs in from another address all along; the
# lock ends by itself; the last administrator is never locked, only
# its failing address waits; unknown emails answer alike.  Each
# address is one of 127/8, bound with curl --interface.
. "$(dirname "$0")/../lib.sh"
td_init
td_conf 'auth {' '	login-stall 10ms' '	login-attempts 4' \
    '	login-lockout 3s' '}' "${TD_FAST_PASSWORD[@]}"
td_up lockout
if ! curl -s -m 2 --interface 127.0.0.2 -o /dev/null "$URL/server/ping"; then
	fail lockout_loopback "cannot bind 127.0.0.2"
	exit 1
fi
ROOT=$(echo 'root pass' | $CTL user add -r admin root@example.com)
VID=$(echo 'victim pass' | $CTL user add victim@example.com)

# from ADDRESS EMAIL PASSWORD: a login from 127.0.0.ADDRESS.
from() {
	http POST /auth/login --interface "127.0.0.$1" \
	    -H 'Content-Type: application/json' \
	    -d "{\"email\":\"$2\",\"password\":\"$3\"}"
}
ms() { echo $(( $(date +%s%N) / 1000000 )); }
status() { $CTL user list | awk -v e="$1" '$2 == e { print $3 }'; }
TOO_MANY='429 {"errors":[{"message":"Too many requests, retry after *","extensions":{"code":"REQUESTS_EXCEEDED","limit":4,"reset":"20*Z"}}]}'

# Address 1 fails three times: it waits 1 s before it may try this
# account again, and even the right password is refused meanwhile.
for i in 1 2 3; do from 1 victim@example.com wrong | cut -c1-3; done > "$T/r"
[ "$(tr '\n' ' ' < "$T/r")" = "401 401 401 " ] && ok lockout_failures_401 ||
    fail lockout_failures_401 "$(tr '\n' ' ' < "$T/r")"
expect lockout_failing_address_waits "$TOO_MANY" \
    "$(from 1 victim@example.com 'victim pass')"
ra=$(sed -n 's/^retry-after: *\([0-9]*\).*/\1/ip' "$T/h")
[ "$ra" = 1 ] && ok lockout_retry_after || fail lockout_retry_after "'$ra'"
grep -q "login of $VID from 127.0.0.1 refused for [0-9]*ms: a failure on this account just now" \
    "$T/log" && ok lockout_refusal_logged || fail lockout_refusal_logged

# After the wait, its fourth failure locks the account for 3 s.
td_until '[ "$(from 1 victim@example.com wrong | cut -c1-3)" = 401 ]' 30 &&
    ok lockout_fourth_failure_checked || fail lockout_fourth_failure_checked
LOCKED=$(ms)
expect lockout_locked_refuses_failing_address "$TOO_MANY" \
    "$(from 1 victim@example.com 'victim pass')"

# The owner, from an address that has not failed, logs in meanwhile; a
# new address has its password checked, and its failure counts.
expect lockout_other_address_logs_in '200 *"access_token":*' \
    "$(from 2 victim@example.com 'victim pass')"
expect lockout_new_address_checked '401 *INVALID_CREDENTIALS*' \
    "$(from 4 victim@example.com wrong)"
expect lockout_new_address_then_refused "$TOO_MANY" \
    "$(from 4 victim@example.com 'victim pass')"
[ "$(status victim@example.com)" = active ] && ok lockout_not_suspended ||
    fail lockout_not_suspended "$(status victim@example.com)"
AT=$(from 3 root@example.com 'root pass' >/dev/null; j access_token)
same lockout_users_shows_active '200 {"data":{"status":"active"}}' \
    "$(with_token "$AT" GET "/users/$VID?fields=status")"

# The last administrator: address 5 gets login-attempts failures free
# and a fifth, then waits; the account itself is never locked, nor does
# the address wait on it, and it stays active.
for i in 1 2 3 4 5; do from 5 root@example.com wrong | cut -c1-3; done > "$T/r"
[ "$(tr '\n' ' ' < "$T/r")" = "401 401 401 401 401 " ] && ok lockout_admin_failures ||
    fail lockout_admin_failures "$(tr '\n' ' ' < "$T/r")"
expect lockout_admin_failing_address_waits "$TOO_MANY" \
    "$(from 5 root@example.com 'root pass')"
expect lockout_last_admin_not_locked '200 *"access_token":*' \
    "$(from 6 root@example.com 'root pass')"
td_until '[ "$(from 5 root@example.com "root pass" | cut -c1-3)" = 200 ]' 30 &&
    ok lockout_admin_address_wait_ends || fail lockout_admin_address_wait_ends
[ "$(status root@example.com)" = active ] && ok lockout_admin_active ||
    fail lockout_admin_active "$(status root@example.com)"

# An unknown email answers as a known one: no way to tell them apart.
for i in 1 2 3; do from 7 nobody@example.com wrong > /dev/null; done
expect lockout_unknown_email_alike "$TOO_MANY" \
    "$(from 7 nobody@example.com wrong)"

# Meanwhile the lock has run: it ends by itself, after login-lockout.
td_until '[ "$(from 1 victim@example.com "victim pass" | cut -c1-3)" = 200 ]' 60 &&
    ok lockout_lock_expires || fail lockout_lock_expires
took=$(( $(ms) - LOCKED ))
[ "$took" -ge 2500 ] && ok lockout_lock_lasts || fail lockout_lock_lasts "${took}ms"

grep -q "user $VID: logins locked for 3s after 4 failed logins, the last from 127.0.0.1" \
    "$T/log" && ok lockout_lock_logged || fail lockout_lock_logged
grep -q 'victim pass\|root pass' "$T/log" && fail lockout_no_password_logged ||
    ok lockout_no_password_logged
grep -q 'suspended' "$T/log" && fail lockout_nobody_suspended "$(grep suspended "$T/log")" ||
    ok lockout_nobody_suspended
