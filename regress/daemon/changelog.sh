#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Every change of a password, email, role or static token is logged by
# keyd with the worker (or the control socket) that asked, never with
# the value.
. "$(dirname "$0")/../lib.sh"
need sqlite3
td_init
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}"
td_up changelog
ADMIN_ROLE=a0000000-0000-4000-8000-000000000001
ROOT=$(echo 'admin pass' | $CTL user add -r admin root@example.com)
grep -q "user $ROOT: password changed by the control socket" "$T/log" &&
    ok changelog_ctl_password || fail changelog_ctl_password "$(tail -5 "$T/log")"

login root@example.com 'admin pass' >/dev/null; RA=$(j access_token)
api() { with_token "$RA" "$@"; }
by='changed by server [0-9][0-9]* (pid [0-9][0-9]*)$'

# PATCH /users/me: a new password and a static token.
expect changelog_me_patch '200 *' \
    "$(api PATCH /users/me '{"password":"Sekrit-New-Pass-42","token":"Static-Token-Value-9876"}')"
grep -q "user $ROOT: password $by" "$T/log" && ok changelog_me_password ||
    fail changelog_me_password "$(tail -5 "$T/log")"
grep -q "user $ROOT: token $by" "$T/log" && ok changelog_me_token ||
    fail changelog_me_token "$(tail -5 "$T/log")"

# POST /users with a role, then PATCH /users/<id> to another.
r=$(api POST '/users?fields=id' "{\"email\":\"dana@example.com\",\"password\":\"Dana-Pass-Value-7\",\"role\":\"$ADMIN_ROLE\"}")
expect changelog_create '200 *' "$r"
DANA=$(j id)
grep -q "user $DANA: role $by" "$T/log" && ok changelog_create_role ||
    fail changelog_create_role "$(tail -5 "$T/log")"
grep -q "user $DANA: email $by" "$T/log" && ok changelog_create_email ||
    fail changelog_create_email "$(tail -5 "$T/log")"
n=$(grep -c "user $DANA: role $by" "$T/log")
expect changelog_patch '200 *' "$(api PATCH /users/$DANA '{"role":null}')"
[ "$(grep -c "user $DANA: role $by" "$T/log")" -eq $((n + 1)) ] &&
    ok changelog_patch_role || fail changelog_patch_role "$(tail -5 "$T/log")"
expect changelog_patch_keys '200 *' \
    "$(api PATCH /users "{\"keys\":[\"$DANA\"],\"data\":{\"email\":\"dana2@example.com\"}}")"
[ "$(grep -c "user $DANA: email $by" "$T/log")" -eq 2 ] &&
    ok changelog_patch_email || fail changelog_patch_email "$(tail -5 "$T/log")"
# A field that is none of these is not logged as a change.
expect changelog_profile '200 *' "$(api PATCH /users/$DANA '{"first_name":"Dana"}')"
grep -q "user $DANA: first_name" "$T/log" && fail changelog_profile_quiet ||
    ok changelog_profile_quiet

# tokenctl's static token.
TOK=$($CTL user token dana2@example.com)
grep -q "user $DANA: token changed by the control socket" "$T/log" &&
    ok changelog_ctl_token || fail changelog_ctl_token "$(tail -5 "$T/log")"

# No value in the log.
for v in Sekrit-New-Pass-42 Static-Token-Value-9876 Dana-Pass-Value-7 \
    'admin pass' dana2@example.com "$TOK"; do
	grep -qF -- "$v" "$T/log" && echo "$v"
done > "$T/leaked"
[ -s "$T/leaked" ] && fail changelog_no_values "$(cat "$T/leaked")" ||
    ok changelog_no_values
