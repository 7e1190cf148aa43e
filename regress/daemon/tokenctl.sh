#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# tokenctl manages users and sessions through the running daemon, and
# every change takes effect at once.
. "$(dirname "$0")/../lib.sh"
td_init
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}"
td_up tokenctl

id=$(echo 'first pass' | $CTL user add -r admin ann@example.com 2>&1)
echo "$id" | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' &&
    ok tokenctl_add_prints_uuid || fail tokenctl_add_prints_uuid "$id"
echo 'x' | $CTL user add ann@example.com >/dev/null 2>&1 &&
    fail tokenctl_add_duplicate_refused || ok tokenctl_add_duplicate_refused
echo 'x' | $CTL user add -r nosuchrole bob@example.com >/dev/null 2>&1 &&
    fail tokenctl_add_bad_role_refused || ok tokenctl_add_bad_role_refused
echo 'bob pass' | $CTL user add bob@example.com >/dev/null 2>&1 &&
    ok tokenctl_add_without_role || fail tokenctl_add_without_role
echo 'x' | $CTL user add carol@localhost >/dev/null 2>&1 &&
    fail tokenctl_add_bad_email_refused || ok tokenctl_add_bad_email_refused
$CTL user add carol@example.com < /dev/null >/dev/null 2>&1 &&
    fail tokenctl_add_needs_password || ok tokenctl_add_needs_password

out=$($CTL user list)
[ "$(echo "$out" | wc -l)" -eq 2 ] && echo "$out" | grep -q "^$id	ann@example.com	active	" &&
    ok tokenctl_list || fail tokenctl_list "$out"

r=$(login ann@example.com 'first pass')
case "$r" in "200 "*) ok tokenctl_added_user_logs_in ;; *) fail tokenctl_added_user_logs_in "$r" ;; esac
AT=$(j access_token); RT=$(j refresh_token)
r=$(login bob@example.com 'bob pass')
case "$r" in "200 "*) ok tokenctl_user_without_role_logs_in ;; *) fail tokenctl_user_without_role_logs_in "$r" ;; esac

out=$($CTL session list ann@example.com)
[ "$(echo "$out" | wc -l)" -eq 1 ] && ok tokenctl_session_list || fail tokenctl_session_list "$out"
sid=$(echo "$out" | cut -f1)
$CTL session revoke "$sid" >/dev/null && ok tokenctl_session_revoke || fail tokenctl_session_revoke
r=$(http POST /auth/refresh -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$RT\"}")
case "$r" in "401 "*) ok tokenctl_revoked_session_refused ;; *) fail tokenctl_revoked_session_refused "$r" ;; esac
$CTL session revoke "$sid" >/dev/null 2>&1 && fail tokenctl_revoke_unknown || ok tokenctl_revoke_unknown

TOK=$($CTL user token ann@example.com)
r=$(http GET /users/me -H "Authorization: Bearer $TOK")
case "$r" in "200 "*"$id"*) ok tokenctl_static_token_works ;; *) fail tokenctl_static_token_works "$r" ;; esac
TOK2=$($CTL user token ann@example.com)
r=$(http GET /users/me -H "Authorization: Bearer $TOK")
case "$r" in "401 "*) ok tokenctl_new_token_replaces_old ;; *) fail tokenctl_new_token_replaces_old "$r" ;; esac
$CTL user token -d ann@example.com >/dev/null
r=$(http GET /users/me -H "Authorization: Bearer $TOK2")
case "$r" in "401 "*) ok tokenctl_token_cleared ;; *) fail tokenctl_token_cleared "$r" ;; esac
grep -q "$TOK2" "$T/keyd/db/credentials.db" "$T/log" 2>/dev/null &&
    fail tokenctl_token_not_stored || ok tokenctl_token_not_stored

# Suspension ends sessions and stops tokens at once; activation restores.
r=$(login ann@example.com 'first pass'); AT=$(j access_token); RT=$(j refresh_token)
$CTL user suspend ann@example.com >/dev/null
r=$(http GET /users/me -H "Authorization: Bearer $AT")
case "$r" in "401 "*) ok tokenctl_suspend_stops_jwt ;; *) fail tokenctl_suspend_stops_jwt "$r" ;; esac
r=$(login ann@example.com 'first pass')
case "$r" in "401 "*) ok tokenctl_suspended_cannot_login ;; *) fail tokenctl_suspended_cannot_login "$r" ;; esac
$CTL user activate ann@example.com >/dev/null
r=$(http POST /auth/refresh -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$RT\"}")
case "$r" in "401 "*) ok tokenctl_suspend_ended_sessions ;; *) fail tokenctl_suspend_ended_sessions "$r" ;; esac
r=$(login ann@example.com 'first pass'); RT=$(j refresh_token)
case "$r" in "200 "*) ok tokenctl_activate ;; *) fail tokenctl_activate "$r" ;; esac

# A new password ends the user's sessions.
echo 'second pass' | $CTL user passwd ann@example.com >/dev/null &&
    ok tokenctl_passwd || fail tokenctl_passwd
r=$(http POST /auth/refresh -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$RT\"}")
case "$r" in "401 "*) ok tokenctl_passwd_ends_sessions ;; *) fail tokenctl_passwd_ends_sessions "$r" ;; esac
r=$(login ann@example.com 'first pass')
case "$r" in "401 "*) ok tokenctl_old_password_refused ;; *) fail tokenctl_old_password_refused "$r" ;; esac
r=$(login ann@example.com 'second pass'); AT=$(j access_token)
case "$r" in "200 "*) ok tokenctl_new_password_works ;; *) fail tokenctl_new_password_works "$r" ;; esac

$CTL user delete ann@example.com >/dev/null && ok tokenctl_delete || fail tokenctl_delete
r=$(http GET /users/me -H "Authorization: Bearer $AT")
case "$r" in "401 "*) ok tokenctl_deleted_user_token_fails ;; *) fail tokenctl_deleted_user_token_fails "$r" ;; esac
$CTL user delete ann@example.com >/dev/null 2>&1 && fail tokenctl_delete_unknown || ok tokenctl_delete_unknown
$CTL user frobnicate x >/dev/null 2>&1 && fail tokenctl_usage || ok tokenctl_usage
