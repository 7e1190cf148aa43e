#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Configured roles in keyd: tokenctl adds users by role name or id,
# admin and app access come from the role and follow a reload, a role
# that is gone gives no access; the parent makes the items directory.
. "$(dirname "$0")/../lib.sh"
need sqlite3
td_init
EDITOR=5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60
BOSS=5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f61
roles_conf() {
	td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
	    'collection "articles" { fields "title" "body" "status" "author" }' \
	    'role "editor" {' "	id \"$EDITOR\"" "	app-access $1" \
	    '	permission "articles" create read update' \
	    '	permission "articles" delete {' \
	    "		filter '{\"author\":{\"_eq\":\"\$CURRENT_USER\"}}'" '	}' '}' \
	    "$2"
}
roles_conf yes "role boss { id \"$BOSS\"; admin-access yes }"
td_up roles
# The claims of the access token of the last login.
claims() { jwt_payload "$(j access_token)"; }

items_dir_made roles_items_dir_made

id=$(echo 'ed pass' | $CTL user add -r editor ed@example.com 2>&1)
echo "$id" | grep -Eq '^[0-9a-f-]{36}$' && ok roles_add_by_name ||
    fail roles_add_by_name "$id"
out=$(echo 'bo pass' | $CTL user add -r "$BOSS" bo@example.com 2>&1)
echo "$out" | grep -Eq '^[0-9a-f-]{36}$' && ok roles_add_by_id ||
    fail roles_add_by_id "$out"
out=$(echo 'x' | $CTL user add -r writer x@example.com 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "unknown role" &&
    ok roles_add_unknown_name_refused || fail roles_add_unknown_name_refused "$out"
out=$(echo 'x' | $CTL user add -r 11111111-1111-4111-8111-111111111111 \
    x@example.com 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "unknown role" &&
    ok roles_add_unconfigured_uuid_refused ||
    fail roles_add_unconfigured_uuid_refused "$out"
[ "$(sqlite3 "$T/keyd/db/credentials.db" "SELECT role FROM users WHERE email = 'ed@example.com'")" = "$EDITOR" ] &&
    ok roles_stored_as_uuid || fail roles_stored_as_uuid

r=$(login ed@example.com 'ed pass')
c=$(claims)
case "$r $c" in "200 "*"\"role\":\"$EDITOR\""*'"app_access":true,"admin_access":false'*)
	ok roles_editor_claims ;;
*) fail roles_editor_claims "$r $c" ;; esac
AT=$(j access_token)
r=$(http GET /users/me -H "Authorization: Bearer $AT")
case "$r" in "200 "*"\"role\":\"$EDITOR\""*) ok roles_me_role_uuid ;;
*) fail roles_me_role_uuid "$r" ;; esac
r=$(login bo@example.com 'bo pass')
c=$(claims)
case "$r $c" in "200 "*"\"role\":\"$BOSS\""*'"app_access":false,"admin_access":true'*)
	ok roles_admin_access_claims ;;
*) fail roles_admin_access_claims "$r $c" ;; esac

# A reload changes the access of a role, and drops another.
roles_conf no ''
out=$(td_reload 2>&1) && ok roles_reload || fail roles_reload "$out"
r=$(login ed@example.com 'ed pass')
c=$(claims)
case "$r $c" in "200 "*'"app_access":false,"admin_access":false'*)
	ok roles_reload_applies ;;
*) fail roles_reload_applies "$r $c" ;; esac
r=$(login bo@example.com 'bo pass')
c=$(claims)
case "$r $c" in "200 "*"\"role\":\"$BOSS\""*'"app_access":false,"admin_access":false'*)
	ok roles_gone_role_no_access ;;
*) fail roles_gone_role_no_access "$r $c" ;; esac
out=$(echo 'x' | $CTL user add -r boss y@example.com 2>&1) &&
    fail roles_gone_role_refused "$out" || ok roles_gone_role_refused

# The items path needs a restart; a directory open to others is refused.
sed -i "s|$T/empty/data/items.db|$T/empty/data2/items.db|" "$T/tokend.conf"
out=$($CTL reload 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "items changed" &&
    ok roles_items_needs_restart || fail roles_items_needs_restart "$rc $out"
if is_root; then
	mkdir -m 0755 "$T/empty/data2"
	chown _tokend_items "$T/empty/data2"
	out=$("$TOKEND" -d -f "$T/tokend.conf" 2>&1); rc=$?
	[ $rc -ne 0 ] && echo "$out" | grep -q "data2 must be mode 0700 and owned by _tokend_items" &&
	    ok roles_items_dir_loose_refused || fail roles_items_dir_loose_refused "$rc $out"
else
	skip roles_items_dir_loose_refused "not root"
fi
