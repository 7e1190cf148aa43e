#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# PATCH /users/me: what a user may change of itself, and what it may not.
. "$(dirname "$0")/../lib.sh"
need sqlite3
td_init
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}"
td_up me
echo 'admin pass' | $CTL user add -r admin root@example.com >/dev/null
echo 'user pass' | $CTL user add dana@example.com >/dev/null
echo 'other pass' | $CTL user add erin@example.com >/dev/null
DB="$T/keyd/db/credentials.db"
patch() {
	http PATCH "/users/me$3" -H "Authorization: Bearer $1" \
	    -H 'Content-Type: application/json' -d "$2"
}
login dana@example.com 'user pass' >/dev/null; AT=$(j access_token); RT=$(j refresh_token)
login dana@example.com 'user pass' >/dev/null; AT2=$(j access_token); RT2=$(j refresh_token)

r=$(patch "$AT" '{"first_name":"Dana","tags":["a","b"],"email_notifications":false}')
case "$r" in "200 "*'"first_name":"Dana"'*'"tags":["a","b"]'*'"email_notifications":false'*) ok me_patch_profile ;;
*) fail me_patch_profile "$r" ;; esac
r=$(patch "$AT" '{"last_name":"X"}' '?fields=last_name')
[ "$r" = '200 {"data":{"last_name":"X"}}' ] && ok me_patch_fields || fail me_patch_fields "$r"

for field in '"role":"a0000000-0000-4000-8000-000000000001"' '"status":"active"' \
    '"id":"11111111-1111-4111-8111-111111111111"' '"provider":"x"' \
    '"tfa_secret":"AAAA"' '"admin_access":true'; do
	r=$(patch "$AT" "{\"first_name\":\"Changed\",$field}")
	case "$r" in "403 "*FORBIDDEN*) echo ok ;; *) echo "FAILED $field: $r" ;; esac
done > "$T/refused"
[ "$(grep -c ^ok "$T/refused")" -eq 6 ] && ok me_patch_refused_fields_403 ||
    fail me_patch_refused_fields_403 "$(grep -v ^ok $T/refused)"
[ "$(sqlite3 "$DB" "SELECT first_name || '/' || coalesce(role, '-') FROM users WHERE email = 'dana@example.com'")" = 'Dana/-' ] &&
    ok me_patch_refused_changes_nothing || fail me_patch_refused_changes_nothing
expect me_patch_token_not_for_users '403 *FORBIDDEN*' \
    "$(patch "$AT" '{"token":"my-own-static-token-1234"}')"
expect me_patch_unknown_field_400 '400 *INVALID_PAYLOAD*' \
    "$(patch "$AT" '{"nonsense":1}')"
expect me_patch_bad_type_400 '400 *INVALID_PAYLOAD*' \
    "$(patch "$AT" '{"first_name":12}')"
expect me_patch_not_json_400 '400 *INVALID_PAYLOAD*' \
    "$(patch "$AT" 'not json')"
expect me_patch_bad_email_400 '400 *INVALID_PAYLOAD*' \
    "$(patch "$AT" '{"email":"dana@localhost"}')"
expect me_patch_email_unique '400 *RECORD_NOT_UNIQUE*' \
    "$(patch "$AT" '{"email":"ERIN@example.com"}')"
expect me_patch_public_401 '401 *INVALID_CREDENTIALS*' \
    "$(http PATCH /users/me -H 'Content-Type: application/json' -d '{"first_name":"anon"}')"
big=$(head -c 20000 /dev/zero | tr '\0' a)
r=$(patch "$AT" "{\"description\":\"$big\"}")
case "$r" in "413 "*|"400 "*) ok me_patch_oversized ;; *) fail me_patch_oversized "${r:0:80}" ;; esac

# A new password: the other sessions end, this token keeps working.
r=$(patch "$AT" '{"password":"new user pass"}')
case "$r" in "200 "*'"password":"**********"'*) ok me_patch_password ;; *) fail me_patch_password "$r" ;; esac
r=$(http POST /auth/refresh -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$RT2\"}")
case "$r" in "401 "*) ok me_password_ends_other_sessions ;; *) fail me_password_ends_other_sessions "$r" ;; esac
r=$(login dana@example.com 'user pass')
case "$r" in "401 "*) ok me_old_password_refused ;; *) fail me_old_password_refused "$r" ;; esac
r=$(login dana@example.com 'new user pass')
case "$r" in "200 "*) ok me_new_password_works ;; *) fail me_new_password_works "$r" ;; esac

# An admin may set and clear its own static token; it reads back concealed.
login root@example.com 'admin pass' >/dev/null; RA=$(j access_token)
r=$(patch "$RA" '{"token":"admin-static-token-5678"}')
case "$r" in "200 "*'"token":"**********"'*) ok me_admin_sets_token ;; *) fail me_admin_sets_token "$r" ;; esac
r=$(http GET /users/me -H 'Authorization: Bearer admin-static-token-5678')
case "$r" in "200 "*root@example.com*) ok me_admin_token_works ;; *) fail me_admin_token_works "$r" ;; esac
strings "$DB" "$DB-wal" 2>/dev/null | grep -q admin-static-token-5678 &&
    fail me_token_stored_hashed || ok me_token_stored_hashed
r=$(patch "$RA" '{"token":null}')
case "$r" in "200 "*'"token":null'*) ok me_admin_clears_token ;; *) fail me_admin_clears_token "$r" ;; esac
r=$(http GET /users/me -H 'Authorization: Bearer admin-static-token-5678')
case "$r" in "401 "*) ok me_cleared_token_fails ;; *) fail me_cleared_token_fails "$r" ;; esac
grep -q 'new user pass\|admin-static-token-5678' "$T/log" &&
    fail me_no_secrets_in_log || ok me_no_secrets_in_log

# A NUL inside a string is refused, as /users refuses it (400,
# INVALID_PAYLOAD), and changes nothing.  Both parse the body without
# JSON_ALLOW_NUL, so the parser refuses it before the value check.
login dana@example.com 'new user pass' >/dev/null; AT=$(j access_token)
DID=$(sqlite3 "$DB" "SELECT id FROM users WHERE email = 'dana@example.com'")
r=$(patch "$AT" '{"first_name":"Da\u0000na"}')
ra=$(http PATCH "/users/$DID" -H "Authorization: Bearer $RA" \
    -H 'Content-Type: application/json' -d '{"first_name":"Da\u0000na"}')
case "$r/$ra" in '400 '*'"Invalid payload. Invalid JSON."'*INVALID_PAYLOAD*/'400 '*INVALID_PAYLOAD*)
	ok me_patch_nul_refused ;;
*) fail me_patch_nul_refused "$r / $ra" ;; esac
r=$(patch "$AT" '{"password":"new\u0000pass"}')
case "$r" in '400 '*INVALID_PAYLOAD*) ok me_patch_nul_password ;;
*) fail me_patch_nul_password "$r" ;; esac
[ "$(sqlite3 "$DB" "SELECT first_name FROM users WHERE email = 'dana@example.com'")" = Dana ] &&
    ok me_patch_nul_changes_nothing || fail me_patch_nul_changes_nothing
