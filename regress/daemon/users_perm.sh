#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# /users for others than administrators: what tokend.conf grants on
# directus_users (fields, item filter, validation, presets), the public
# role, a configured role with admin access, concealed fields.
. "$(dirname "$0")/../lib.sh"
need sqlite3
td_init
VIEWER=5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f70
MANAGER=5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f71
BOSS=5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f72
NONE=5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f73
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'role "viewer" {' "	id \"$VIEWER\"" '	app-access yes' \
    '	permission "directus_users" read {' \
    '		fields id email first_name status password token' \
    "		filter '{\"status\":{\"_eq\":\"active\"}}'" '	}' '}' \
    'role "manager" {' "	id \"$MANAGER\"" \
    '	permission "directus_users" create read update delete {' \
    '		fields "*"' \
    "		filter '{\"role\":{\"_eq\":\"$VIEWER\"}}'" \
    "		validation '{\"email\":{\"_ends_with\":\"@example.com\"}}'" \
    "		presets '{\"role\":\"$VIEWER\",\"first_name\":\"New\"}'" \
    '	}' '}' \
    'role "boss" {' "	id \"$BOSS\"" '	admin-access yes' '}' \
    'role "none" {' "	id \"$NONE\"" '}' \
    'public {' '	permission "directus_users" read {' \
    '		fields id first_name' \
    "		filter '{\"first_name\":{\"_eq\":\"Public\"}}'" '	}' '}'
td_up users_perm
DB="$T/keyd/db/credentials.db"
add() { echo "$2" | $CTL user add ${3:+-r $3} "$1"; }
ROOT=$(add root@example.com 'root pass' admin)
VIC=$(add vic@example.com 'vic pass' $VIEWER)
VAL=$(add val@example.com 'val pass' $VIEWER)
SUS=$(add sus@example.com 'sus pass' $VIEWER)
$CTL user suspend sus@example.com >/dev/null
MAX=$(add max@example.com 'max pass' $MANAGER)
BO=$(add bo@example.com 'bo pass' $BOSS)
NO=$(add no@example.com 'no pass' $NONE)
sqlite3 "$DB" "UPDATE users SET first_name = 'Public', last_name = 'L' WHERE id = '$NO'"

# as TOKEN METHOD PATH [BODY]
as() { with_token "$@"; }
VT=$(token vic@example.com 'vic pass')
MT=$(token max@example.com 'max pass')
BT=$(token bo@example.com 'bo pass')
NT=$(token no@example.com 'no pass')

# A role that may read some fields of active users.
same perm_viewer_list "200 {\"data\":[{\"id\":\"$VAL\",\"first_name\":null,\"email\":\"val@example.com\",\"status\":\"active\"},{\"id\":\"$VIC\",\"first_name\":null,\"email\":\"vic@example.com\",\"status\":\"active\"}]}" \
    "$(as $VT GET '/users?sort=email&filter=%7B%22email%22:%7B%22_starts_with%22:%22v%22%7D%7D')"
expect perm_viewer_filter_role_outside '403 *role*FORBIDDEN*' \
    "$(as $VT GET "/users?filter=%7B%22role%22:%7B%22_eq%22:%22$VIEWER%22%7D%7D")"
expect perm_viewer_no_concealed '200 *' "$(as $VT GET /users)"
grep -q '"password"\|"token"\|"tfa_secret"\|"last_name"' "$T/body" &&
    fail perm_viewer_no_concealed_fields "$(cat $T/body)" ||
    ok perm_viewer_no_concealed_fields
expect perm_viewer_ask_password '403 *FORBIDDEN*' "$(as $VT GET '/users?fields=id,password')"
expect perm_viewer_ask_token '403 *FORBIDDEN*' "$(as $VT GET "/users/$VIC?fields=token")"
expect perm_viewer_ask_outside '403 *last_name*FORBIDDEN*' "$(as $VT GET '/users?fields=last_name')"
expect perm_viewer_filter_outside '403 *FORBIDDEN*' \
    "$(as $VT GET '/users?filter=%7B%22last_name%22:%7B%22_null%22:true%7D%7D')"
expect perm_viewer_sort_outside '403 *FORBIDDEN*' "$(as $VT GET '/users?sort=last_name')"
# Directus 11.3.5's words for a field a read names but may not read,
# with the reason: 403 {"errors":[{"message":M,"extensions":{"reason":
# M,"code":"FORBIDDEN"}}]} (a wildcard leaves such fields out instead).
M='You don'"'"'t have permission to access field \"last_name\" in collection \"directus_users\" or it does not exist. Queried in root.'
for q in 'fields=id,last_name' 'sort=last_name' \
    'filter=%7B%22last_name%22:%7B%22_null%22:true%7D%7D'; do
	r=$(as $VT GET "/users?$q")
	[ "$r" = "403 {\"errors\":[{\"message\":\"$M\",\"extensions\":{\"reason\":\"$M\",\"code\":\"FORBIDDEN\"}}]}" ] &&
	    ok "perm_viewer_words_${q%%=*}" || fail "perm_viewer_words_${q%%=*}" "$r"
done
expect perm_viewer_filter_concealed '403 *concealed*FORBIDDEN*' \
    "$(as $VT GET '/users?filter=%7B%22password%22:%7B%22_null%22:true%7D%7D')"
expect perm_viewer_suspended_hidden '403 *FORBIDDEN*' "$(as $VT GET "/users/$SUS")"
same perm_viewer_meta '200 {"data":[],"meta":{"total_count":6,"filter_count":0}}' \
    "$(as $VT GET '/users?fields=id&meta=*&filter=%7B%22email%22:%7B%22_eq%22:%22sus@example.com%22%7D%7D')"
expect perm_viewer_create_403 '403 *FORBIDDEN*' "$(as $VT POST /users '{"email":"x@example.com"}')"
expect perm_viewer_update_403 '403 *FORBIDDEN*' "$(as $VT PATCH /users/$VIC '{"first_name":"x"}')"
expect perm_viewer_delete_403 '403 *FORBIDDEN*' "$(as $VT DELETE /users/$VAL)"
# App access reads its own role, as in Directus 11.
same perm_viewer_roles_own "200 {\"data\":[{\"id\":\"$VIEWER\"}]}" \
    "$(as $VT GET '/roles?fields=id')"
expect perm_viewer_permissions_403 '403 *FORBIDDEN*' "$(as $VT GET /permissions)"

# A role that manages the viewers: presets, validation, item filter.
n=$(sqlite3 "$DB" 'SELECT count(*) FROM users')
r=$(as $MT POST '/users?fields=email,first_name,role' '{"email":"new@example.com","password":"new pass"}')
same perm_manager_create_presets "200 {\"data\":{\"first_name\":\"New\",\"email\":\"new@example.com\",\"role\":\"$VIEWER\"}}" "$r"
expect perm_manager_validation '400 *FAILED_VALIDATION*' \
    "$(as $MT POST /users '{"email":"new@example.org"}')"
expect perm_manager_no_admin_role '403 *FORBIDDEN*' \
    "$(as $MT POST /users "{\"email\":\"b2@example.com\",\"role\":\"$BOSS\"}")"
expect perm_manager_no_token '403 *FORBIDDEN*' \
    "$(as $MT POST /users '{"email":"t2@example.com","token":"some-token-123"}')"
expect perm_manager_create_outside_filter_204 '204 ' \
    "$(as $MT POST /users "{\"email\":\"m2@example.com\",\"role\":\"$MANAGER\"}")"
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM users')" = $((n + 2)) ] &&
    ok perm_manager_refused_created_nothing || fail perm_manager_refused_created_nothing
expect perm_manager_update_viewer '200 {"data":{"last_name":"V"}}' \
    "$(as $MT PATCH "/users/$VAL?fields=last_name" '{"last_name":"V"}')"
expect perm_manager_update_admin_403 '403 *FORBIDDEN*' "$(as $MT PATCH /users/$ROOT '{"last_name":"X"}')"
expect perm_manager_update_mixed_403 '403 *FORBIDDEN*' \
    "$(as $MT PATCH /users "{\"keys\":[\"$VAL\",\"$ROOT\"],\"data\":{\"last_name\":\"Y\"}}")"
[ "$(sqlite3 "$DB" "SELECT coalesce(last_name, '-') FROM users WHERE id IN ('$VAL', '$ROOT') ORDER BY email")" = "$(printf -- '-\nV')" ] &&
    ok perm_manager_refused_changed_nothing || fail perm_manager_refused_changed_nothing
expect perm_manager_delete_admin_403 '403 *FORBIDDEN*' "$(as $MT DELETE /users/$ROOT)"
expect perm_manager_update_validation '400 *FAILED_VALIDATION*' \
    "$(as $MT PATCH /users/$VAL '{"email":"val@example.org"}')"
expect perm_manager_promote_403 '403 *FORBIDDEN*' "$(as $MT PATCH /users/$VAL "{\"role\":\"$BOSS\"}")"

# A manager's suspension of a viewer ends the viewer's tokens at once.
VT2=$(token val@example.com 'val pass')
expect perm_manager_suspends '200 *' "$(as $MT PATCH /users/$VAL '{"status":"suspended"}')"
expect perm_suspended_viewer_fails '401 *' "$(as $VT2 GET /users/me)"
expect perm_manager_deletes_viewer '204 ' "$(as $MT DELETE /users/$VAL)"

# A configured role with admin access is an administrator.
expect perm_boss_reads_all '200 *"password":"\*\*\*\*\*\*\*\*\*\*"*' "$(as $BT GET "/users/$ROOT")"
expect perm_boss_roles '200 {"data":[{"id":"5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f70","name":"viewer"*"name":"manager"*"name":"boss"*"name":"none"*{"id":"a0000000-0000-4000-8000-000000000001","name":"Administrator"*' \
    "$(as $BT GET /roles)"
# One row per action, in the order of the policies: the public's first.
expect perm_boss_permissions "200 {\"data\":\\[{\"id\":1,\"collection\":\"directus_users\",\"action\":\"read\",\"permissions\":{\"first_name\":{\"_eq\":\"Public\"}},\"validation\":null,\"presets\":null,\"fields\":\\[\"id\",\"first_name\"\\],\"policy\":\"abf8a154-5b1c-4a46-ac9c-7300570f4f17\"},{\"id\":2,\"collection\":\"directus_users\",\"action\":\"read\",\"permissions\":{\"status\":{\"_eq\":\"active\"}},\"validation\":null,\"presets\":null,\"fields\":\\[*\"password\"*\"policy\":\"*\"}*\"id\":6,\"collection\":\"directus_users\",\"action\":\"delete\"*}\\]}" \
    "$(as $BT GET /permissions)"
same perm_boss_permission_one '200 {"data":{"id":1,"action":"read","policy":"abf8a154-5b1c-4a46-ac9c-7300570f4f17"}}' \
    "$(as $BT GET '/permissions/1?fields=id,action,policy')"
expect perm_root_deletable_with_boss '204 ' "$(as $BT DELETE /users/$ROOT)"
expect perm_boss_last_admin '422 *UNPROCESSABLE_CONTENT*' "$(as $BT DELETE /users/$BO)"

# A role with no permission has none: the public policy is for callers
# of no role (Directus 11.3.5).  No token: the public's.
expect perm_none_role_not_public '403 *FORBIDDEN*' "$(as $NT GET /users)"
same perm_public "200 {\"data\":[{\"id\":\"$NO\",\"first_name\":\"Public\"}]}" \
    "$(http GET /users)"
expect perm_public_outside_field '403 *FORBIDDEN*' "$(http GET '/users?fields=email')"
expect perm_public_create_403 '403 *FORBIDDEN*' \
    "$(http POST /users -H 'Content-Type: application/json' -d '{"email":"p@example.com"}')"
expect perm_public_bad_token_401 '401 *' "$(http GET /users -H 'Authorization: Bearer nope')"
