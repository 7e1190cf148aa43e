#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Directus 11's access endpoints: /policies, /policies/me/globals,
# /roles (and /roles/me), /permissions (and /permissions/me, by
# collection and by item), /access; for an administrator, a user with
# app access, one without and the public, with the status, shape and
# query parameters Directus 11.3.5 answers with.  Writes are refused.
. "$(dirname "$0")/../lib.sh"
td_init
EDITOR=5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f80
READER=5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f81
SUPER=5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f82
PUBLIC=abf8a154-5b1c-4a46-ac9c-7300570f4f17
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    "items \"$T/empty/data/items.db\"" \
    'collection "articles" { fields "title" "status" "body" "author" }' \
    'role "editor" {' "	id \"$EDITOR\"" '	app-access yes' \
    '	permission "articles" read' \
    '	permission "articles" update {' '		fields "title"' \
    "		filter '{\"author\":{\"_eq\":\"\$CURRENT_USER\"}}'" '	}' '}' \
    'role "reader" {' "	id \"$READER\"" '	enforce-tfa yes' \
    '	permission "articles" read {' '		fields "id" "title" "status"' \
    "		filter '{\"status\":{\"_eq\":\"published\"}}'" '	}' \
    '	permission "articles" delete {' \
    "		filter '{\"status\":{\"_eq\":\"draft\"}}'" '	}' \
    '	permission "directus_users" update' '}' \
    'role "super" {' "	id \"$SUPER\"" '	admin-access yes' '}' \
    'public {' '	permission "articles" read {' '		fields "id" "title"' \
    "		filter '{\"status\":{\"_eq\":\"published\"}}'" '	}' '}'
td_up policyapi
ROOT=$(echo 'admin pass' | $CTL user add -r admin admin@example.com)
APP=$(echo 'app pass' | $CTL user add -r editor app@example.com)
RDR=$(echo 'reader pass' | $CTL user add -r reader reader@example.com)
DIR=$(echo 'direct pass' | $CTL user add direct@example.com)
AT=$(token admin@example.com 'admin pass')
PT=$(token app@example.com 'app pass')
RT=$(token reader@example.com 'reader pass')
DT=$(token direct@example.com 'direct pass')
as() { with_token "$@"; }
FORBID='You don'"'"'t have permission to access'
# coll NAME: Directus's 403 for a collection the caller may not read.
coll() {
	echo "403 {\"errors\":[{\"message\":\"$FORBID collection \\\"$1\\\" or it does not exist. Queried in root.\",\"extensions\":{\"reason\":\"$FORBID collection \\\"$1\\\" or it does not exist. Queried in root.\",\"code\":\"FORBIDDEN\"}}]}"
}
PLAIN="403 {\"errors\":[{\"message\":\"$FORBID this.\",\"extensions\":{\"code\":\"FORBIDDEN\"}}]}"
as "$AT" POST /items/articles '[{"title":"one","status":"published"},{"title":"two","status":"draft","author":"'"$APP"'"}]' >/dev/null

# The policies: an administrator's alone.
r=$(as "$AT" GET /policies)
expect policies_admin_editor '200 {"data":[*{"id":"*","name":"editor","icon":"badge","description":null,"ip_access":null,"enforce_tfa":false,"admin_access":false,"app_access":true,"permissions":[*,*],"users":["*"],"roles":["*"]}*' "$r"
expect policies_admin_administrator '200 {"data":[*{"id":"*","name":"Administrator","icon":"verified","description":"$t:admin_description","ip_access":null,"enforce_tfa":false,"admin_access":true,"app_access":true,"permissions":[],"users":["*"],"roles":["*"]}*' "$r"
expect policies_admin_public '200 {"data":[*{"id":"abf8a154-5b1c-4a46-ac9c-7300570f4f17","name":"$t:public_label","icon":"public","description":"$t:public_description","ip_access":null,"enforce_tfa":false,"admin_access":false,"app_access":false,"permissions":[*],"users":["*"],"roles":["*"]}*' "$r"
[ "$(echo "$r" | grep -o '"name"' | wc -l)" = 5 ] && ok policies_admin_count ||
    fail policies_admin_count "$r"
EP=$(echo "$r" | sed -n 's/.*{"id":"\([^"]*\)","name":"editor".*/\1/p')
for t in PT RT DT; do
	same policies_${t}_403 "$(coll directus_policies)" "$(as "${!t}" GET /policies)"
	same policy_${t}_403 "$(coll directus_policies)" "$(as "${!t}" GET /policies/$EP)"
done
same policies_public_403 "$(coll directus_policies)" "$(http GET /policies)"
expect policy_admin "200 {\"data\":{\"id\":\"$EP\",\"name\":\"editor\",*\"permissions\":[*,*],*}}" \
    "$(as "$AT" GET /policies/$EP)"
same policy_missing_403 "$PLAIN" "$(as "$AT" GET /policies/nope)"
same policy_public_fields "200 {\"data\":{\"id\":\"$PUBLIC\",\"name\":\"\$t:public_label\"}}" \
    "$(as "$AT" GET "/policies/$PUBLIC?fields=id,name")"

# The query parameters of a list, as Directus answers them.
same policies_fields "200 {\"data\":[{\"name\":\"Administrator\"}]}" \
    "$(as "$AT" GET '/policies?fields=name&sort=name&offset=1&limit=1')"
same policies_sort_desc '200 {"data":[{"name":"super"},{"name":"reader"},{"name":"editor"},{"name":"Administrator"},{"name":"$t:public_label"}]}' \
    "$(as "$AT" GET '/policies?fields=name&sort=-name')"
same policies_offset '200 {"data":[{"name":"Administrator"},{"name":"editor"}]}' \
    "$(as "$AT" GET '/policies?fields=name&sort=name&limit=2&offset=1')"
same policies_page '200 {"data":[{"name":"editor"},{"name":"reader"}]}' \
    "$(as "$AT" GET '/policies?fields=name&sort=name&limit=2&page=2')"
same policies_filter '200 {"data":[{"name":"Administrator"},{"name":"super"}],"meta":{"total_count":5,"filter_count":2}}' \
    "$(as "$AT" GET '/policies?fields=name&sort=name&meta=*&filter=%7B%22admin_access%22:%7B%22_eq%22:true%7D%7D')"
same policies_unknown_field_403 "403 {\"errors\":[{\"message\":\"$FORBID field \\\"nope\\\" in collection \\\"directus_policies\\\" or it does not exist. Queried in root.\",\"extensions\":{\"reason\":\"$FORBID field \\\"nope\\\" in collection \\\"directus_policies\\\" or it does not exist. Queried in root.\",\"code\":\"FORBIDDEN\"}}]}" \
    "$(as "$AT" GET '/policies?fields=id,nope')"
expect policies_unknown_sort_403 '403 *access field ?"x?" in collection ?"directus_policies?"*' \
    "$(as "$AT" GET '/policies?sort=x')"
expect policies_unknown_filter_403 '403 *access field ?"x?" in collection*' \
    "$(as "$AT" GET '/policies?filter=%7B%22x%22:%7B%22_eq%22:1%7D%7D')"
for p in search=x 'aggregate%5Bcount%5D=*' 'groupBy=name' 'deep=%7B%7D' \
    'alias=%7B%7D' 'export=json' 'filter%5Bname%5D%5B_eq%5D=x'; do
	n=${p%%=*}; n=${n%%%5B*}
	expect "policies_param_${n}_400" "400 *Invalid query. ?\"$n?\" is not supported on /policies.*INVALID_QUERY*" \
	    "$(as "$AT" GET "/policies?$p")"
done
expect policies_limit_400 '400 *INVALID_QUERY*' "$(as "$AT" GET '/policies?limit=x')"
# Relational fields are not built here: refused, never left out of a
# 200 (Directus 11.3.5 nests the rows).
for t in 'policies users.*' 'policies permissions.id' 'roles policies.*' \
    'roles users.email' 'access policy.name' 'permissions policy.*'; do
	set -- $t
	expect "${1}_nested_${2%%.*}_400" "400 *Invalid query. ?\"fields?\" does not nest ?\"${2%%.*}?\" on /$1*INVALID_QUERY*" \
	    "$(as "$AT" GET "/$1?fields=id,$2")"
done
expect policies_twice_400 '400 *given more than once*' \
    "$(as "$AT" GET '/policies?fields=id&fields=name')"

# The caller's globals.
same globals_admin '200 {"data":{"app_access":true,"admin_access":true,"enforce_tfa":false}}' \
    "$(as "$AT" GET /policies/me/globals)"
same globals_app '200 {"data":{"app_access":true,"admin_access":false,"enforce_tfa":false}}' \
    "$(as "$PT" GET /policies/me/globals)"
same globals_reader_tfa '200 {"data":{"app_access":false,"admin_access":false,"enforce_tfa":true}}' \
    "$(as "$RT" GET /policies/me/globals)"
same globals_no_role '200 {"data":{"app_access":false,"admin_access":false,"enforce_tfa":false}}' \
    "$(as "$DT" GET /policies/me/globals)"
same globals_public '200 {"data":{"app_access":false}}' "$(http GET /policies/me/globals)"

# The roles: all of them for an administrator, with their users (from
# keyd) and policies; its own for a user with app access, without its
# policies; nothing for the others.
r=$(as "$AT" GET /roles)
expect roles_admin "200 {\"data\":[{\"id\":\"$EDITOR\",\"name\":\"editor\",\"icon\":\"supervised_user_circle\",\"description\":null,\"parent\":null,\"children\":[],\"policies\":[\"*\"],\"users\":[\"$APP\"]},{\"id\":\"$READER\",*\"users\":[\"$RDR\"]},{\"id\":\"$SUPER\",*\"users\":[]},{\"id\":\"a0000000-0000-4000-8000-000000000001\",\"name\":\"Administrator\",\"icon\":\"verified\",\"description\":\"\$t:admin_description\",\"parent\":null,\"children\":[],\"policies\":[\"*\"],\"users\":[\"$ROOT\"]}]}" "$r"
same roles_app "200 {\"data\":[{\"id\":\"$EDITOR\",\"name\":\"editor\",\"icon\":\"supervised_user_circle\",\"description\":null,\"parent\":null,\"children\":[],\"users\":[\"$APP\"]}]}" \
    "$(as "$PT" GET /roles)"
same roles_app_no_policies "200 {\"data\":[{\"id\":\"$EDITOR\"}]}" \
    "$(as "$PT" GET '/roles?fields=id,policies')"
same roles_app_other_403 "$PLAIN" "$(as "$PT" GET /roles/$READER)"
same roles_reader_403 "$(coll directus_roles)" "$(as "$RT" GET /roles)"
same roles_no_role_403 "$(coll directus_roles)" "$(as "$DT" GET /roles/$EDITOR)"
same roles_public_403 "$(coll directus_roles)" "$(http GET /roles)"
same roles_one_fields "200 {\"data\":{\"name\":\"reader\",\"users\":[\"$RDR\"]}}" \
    "$(as "$AT" GET "/roles/$READER?fields=name,users")"
same roles_missing_403 "$PLAIN" "$(as "$AT" GET /roles/99999999-9999-4999-8999-999999999999)"
expect roles_param_400 '400 *?"search?" is not supported on /roles*' \
    "$(as "$AT" GET '/roles?search=x')"

# /roles/me: the caller's role, every one and no meta; its id alone for
# a user without app access; none without a role; 403 for the public.
expect roles_me_admin "200 {\"data\":[{\"id\":\"a0000000-0000-4000-8000-000000000001\",\"name\":\"Administrator\",*\"policies\":[\"*\"],\"users\":[\"$ROOT\"]}]}" \
    "$(as "$AT" GET /roles/me)"
same roles_me_app "200 {\"data\":[{\"id\":\"$EDITOR\",\"name\":\"editor\",\"icon\":\"supervised_user_circle\",\"description\":null,\"parent\":null,\"children\":[],\"users\":[\"$APP\"]}]}" \
    "$(as "$PT" GET '/roles/me?limit=0&meta=*')"
same roles_me_reader "200 {\"data\":[{\"id\":\"$READER\"}]}" "$(as "$RT" GET /roles/me)"
same roles_me_no_role '200 {"data":[]}' "$(as "$DT" GET /roles/me)"
same roles_me_public "$PLAIN" "$(http GET /roles/me)"

# The permission rows carry their policy.
r=$(as "$AT" GET /permissions)
# Rows in the order of the policies (the public policy's first), each
# action its row; the app's minimal permissions close the list.
expect permissions_admin_editor "200 {\"data\":[*{\"id\":*,\"collection\":\"articles\",\"action\":\"read\",\"permissions\":null,\"validation\":null,\"presets\":null,\"fields\":[\"*\"],\"policy\":\"$EP\"},{\"id\":*,\"collection\":\"articles\",\"action\":\"update\",\"permissions\":{\"author\":{\"_eq\":\"\$CURRENT_USER\"}},\"validation\":null,\"presets\":null,\"fields\":[\"title\"],\"policy\":\"$EP\"}*" "$r"
expect permissions_admin_public "200 {\"data\":[*{\"id\":*,\"collection\":\"articles\",\"action\":\"read\",\"permissions\":{\"status\":{\"_eq\":\"published\"}},\"validation\":null,\"presets\":null,\"fields\":[\"id\",\"title\"],\"policy\":\"$PUBLIC\"}*" "$r"
expect permissions_admin_system '200 {"data":[*},{"policy":null,"permissions":{},"validation":null,"presets":null,"fields":["*"],"system":true,"collection":"directus_collections","action":"read"}*"collection":"directus_users","action":"read"}]}' "$r"
[ "$(echo "$r" | grep -o '{"id":[0-9]*,' | wc -l)" = 6 ] && ok permissions_admin_count ||
    fail permissions_admin_count "$r"
PID=$(as "$AT" GET "/permissions?fields=id&filter=%7B%22policy%22:%7B%22_eq%22:%22$PUBLIC%22%7D%7D" |
    sed -n 's/^200 {"data":\[{"id":\([0-9]*\)}.*/\1/p')
case "$r" in *'],"role":'*) fail permissions_no_role "$r" ;; *) ok permissions_no_role ;; esac
same permission_one "200 {\"data\":{\"id\":$PID,\"action\":\"read\",\"policy\":\"$PUBLIC\"}}" \
    "$(as "$AT" GET "/permissions/$PID?fields=id,action,policy")"
same permission_missing_403 "$PLAIN" "$(as "$AT" GET /permissions/99)"
same permissions_filter_policy "200 {\"data\":[{\"id\":$PID}]}" \
    "$(as "$AT" GET "/permissions?fields=id&filter=%7B%22policy%22:%7B%22_eq%22:%22$PUBLIC%22%7D%7D")"
for t in PT RT DT; do
	same permissions_${t}_403 "$(coll directus_permissions)" "$(as "${!t}" GET /permissions)"
done
same permissions_public_403 "$(coll directus_permissions)" "$(http GET /permissions)"

# /permissions/me: the merged access of the caller's policies.
r=$(as "$AT" GET /permissions/me)
expect permissions_me_admin '200 {"data":{"directus_migrations":{"create":{"access":"full","fields":["*"]},"read":{"access":"full","fields":["*"]},"update":{"access":"full","fields":["*"]},"delete":{"access":"full","fields":["*"]},"share":{"access":"full","fields":["*"]}},*"articles":{"create":{"access":"full","fields":["*"]},*"share":{"access":"full","fields":["*"]}}}}' "$r"
expect permissions_me_app '200 {"data":{"articles":{"read":{"access":"full","fields":["*"]},"create":{"access":"none"},"update":{"access":"partial","fields":["title"]},"delete":{"access":"none"},"share":{"access":"none"}},"directus_collections":{"read":{"access":"full","fields":["*"]},*"directus_users":{"read":{"access":"partial","fields":["id","first_name",*"role"]},"create":{"access":"none"},"update":{"access":"none"},"delete":{"access":"none"},"share":{"access":"none"}}}}' \
    "$(as "$PT" GET /permissions/me)"
same permissions_me_reader '200 {"data":{"articles":{"read":{"access":"partial","fields":["id","title","status"]},"create":{"access":"none"},"update":{"access":"none"},"delete":{"access":"partial","fields":["*"]},"share":{"access":"none"}},"directus_users":{"read":{"access":"none"},"create":{"access":"none"},"update":{"access":"full","fields":["*"]},"delete":{"access":"none"},"share":{"access":"none"}}}}' \
    "$(as "$RT" GET /permissions/me)"
same permissions_me_no_role '200 {"data":{"articles":{"read":{"access":"partial","fields":["id","title"]},"create":{"access":"none"},"update":{"access":"none"},"delete":{"access":"none"},"share":{"access":"none"}}}}' \
    "$(as "$DT" GET /permissions/me)"
same permissions_me_public "$PLAIN" "$(http GET /permissions/me)"

# /permissions/me/<collection>[/<key>]: by the item's own filter.
ALL='200 {"data":{"update":{"access":true},"delete":{"access":true},"share":{"access":true}}}'
NONE='200 {"data":{"update":{"access":false},"delete":{"access":false},"share":{"access":false}}}'
item() { echo "200 {\"data\":{\"update\":{\"access\":$1},\"delete\":{\"access\":$2},\"share\":{\"access\":false}}}"; }
same item_admin "$ALL" "$(as "$AT" GET /permissions/me/articles/1)"
same item_admin_collection "$ALL" "$(as "$AT" GET /permissions/me/articles)"
same item_admin_unknown "$ALL" "$(as "$AT" GET /permissions/me/nope/1)"
same item_app_not_author "$NONE" "$(as "$PT" GET /permissions/me/articles/1)"
same item_app_author "$(item true false)" "$(as "$PT" GET /permissions/me/articles/2)"
same item_app_collection "$(item true false)" "$(as "$PT" GET /permissions/me/articles)"
same item_reader_published "$NONE" "$(as "$RT" GET /permissions/me/articles/1)"
same item_reader_draft "$(item false true)" "$(as "$RT" GET /permissions/me/articles/2)"
same item_reader_missing "$NONE" "$(as "$RT" GET /permissions/me/articles/99)"
same item_reader_bad_key "$NONE" "$(as "$RT" GET /permissions/me/articles/x)"
same item_no_role "$NONE" "$(as "$DT" GET /permissions/me/articles/2)"
same item_unknown_collection "$NONE" "$(as "$PT" GET /permissions/me/nope/1)"
same item_users_reader "$(item true false)" "$(as "$RT" GET /permissions/me/directus_users/$ROOT)"
same item_users_reader_missing "$NONE" "$(as "$RT" GET /permissions/me/directus_users/x)"
same item_users_app "$NONE" "$(as "$PT" GET /permissions/me/directus_users/$APP)"
same item_public_403 "$PLAIN" "$(http GET /permissions/me/articles/1)"
expect item_deeper_404 '404 *ROUTE_NOT_FOUND*' "$(as "$RT" GET /permissions/me/articles/1/x)"

# Who holds which policy.
r=$(as "$AT" GET /access)
expect access_admin "200 {\"data\":[{\"id\":\"*\",\"role\":\"a0000000-0000-4000-8000-000000000001\",\"user\":null,\"policy\":\"*\",\"sort\":null},{\"id\":\"*\",\"role\":\"$EDITOR\",\"user\":null,\"policy\":\"$EP\",\"sort\":null},*{\"id\":\"*\",\"role\":null,\"user\":null,\"policy\":\"$PUBLIC\",\"sort\":1}]}" "$r"
AID=$(echo "$r" | sed -n 's/.*{"id":"\([^"]*\)","role":null,"user":null,"policy".*/\1/p')
same access_one "200 {\"data\":{\"id\":\"$AID\",\"role\":null,\"user\":null,\"policy\":\"$PUBLIC\",\"sort\":1}}" \
    "$(as "$AT" GET /access/$AID)"
for t in PT RT DT; do
	same access_${t}_403 "$(coll directus_access)" "$(as "${!t}" GET /access)"
done
same access_public_403 "$(coll directus_access)" "$(http GET /access)"

# The configuration is the source of truth: every write is refused.
for p in /roles /policies /permissions /access; do
	for m in POST PATCH DELETE; do
		same "${p#/}_${m}_403" '403 {"errors":[{"message":"Roles, policies, permissions and access are read-only: tokend.conf is their source of truth.","extensions":{"code":"FORBIDDEN"}}]}' \
		    "$(as "$AT" $m "$p/1" '{"name":"x"}')"
	done
done
same policies_post_403 '403 {"errors":[{"message":"Roles, policies, permissions and access are read-only: tokend.conf is their source of truth.","extensions":{"code":"FORBIDDEN"}}]}' \
    "$(as "$AT" POST /policies '{"name":"x"}')"
expect policies_put_404 '404 *ROUTE_NOT_FOUND*' "$(as "$AT" PUT /policies '{}')"

# Policies of their own: one that two holders share, one limited to
# networks the caller is not in; the public names one too.
WRITERS=11111111-2222-4333-8444-555555555501
OFFICE=11111111-2222-4333-8444-555555555502
CONF2=("${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    "items \"$T/empty/data/items.db\"" \
    'collection "articles" { fields "title" "status" "body" "author" }' \
    'policy "writers" {' "	id \"$WRITERS\"" '	app-access yes' \
    '	permission "articles" create { fields "title" "status" }' '}' \
    'policy "office" {' "	id \"$OFFICE\"" '	enforce-tfa yes' \
    '	ip-allow 10.0.0.0/8 "192.168.0.0/16"' \
    '	permission "articles" update' '}' \
    'role "editor" {' "	id \"$EDITOR\"" '	policy "writers"' \
    '	app-access yes' '	permission "articles" read' '}' \
    'role "reader" {' "	id \"$READER\"" '	policy "office"' \
    '	permission "articles" read' '}' \
    'role "super" {' "	id \"$SUPER\"" '	admin-access yes' '}' \
    'public {' '	permission "articles" read { fields "id" "title" }' \
    '	policy "writers"' '}')
td_conf "${CONF2[@]}"
out=$(td_reload 2>&1) && ok policyapi_reload || fail policyapi_reload "$out"
AT=$(token admin@example.com 'admin pass')
PT=$(token app@example.com 'app pass')
RT=$(token reader@example.com 'reader pass')
DT=$(token direct@example.com 'direct pass')
same policy_configured "200 {\"data\":{\"id\":\"$WRITERS\",\"name\":\"writers\",\"icon\":\"badge\",\"description\":null,\"ip_access\":null,\"enforce_tfa\":false,\"admin_access\":false,\"app_access\":true}}" \
    "$(as "$AT" GET "/policies/$WRITERS?fields=id,name,icon,description,ip_access,enforce_tfa,admin_access,app_access")"
same policy_ip_access '200 {"data":{"ip_access":["10.0.0.0/8","192.168.0.0/16"],"enforce_tfa":true}}' \
    "$(as "$AT" GET "/policies/$OFFICE?fields=ip_access,enforce_tfa")"
r=$(as "$AT" GET "/access?fields=role,policy,sort&filter=%7B%22policy%22:%7B%22_eq%22:%22$WRITERS%22%7D%7D")
same access_shared_policy "200 {\"data\":[{\"role\":\"$EDITOR\",\"policy\":\"$WRITERS\",\"sort\":null},{\"role\":null,\"policy\":\"$WRITERS\",\"sort\":2}]}" "$r"
r=$(as "$AT" GET "/policies/$WRITERS?fields=users,roles")
[ "$(echo "$r" | grep -o '"[0-9a-f-]\{36\}"' | wc -l)" = 4 ] &&
    ok policy_holders || fail policy_holders "$r"
r=$(as "$AT" GET "/roles/$EDITOR?fields=policies")
[ "$(echo "$r" | grep -o '"[0-9a-f-]\{36\}"' | wc -l)" = 2 ] &&
    ok role_two_policies || fail role_two_policies "$r"
expect permissions_me_two_policies '200 {"data":{"articles":{"read":{"access":"full","fields":["*"]},"create":{"access":"full","fields":["title","status"]},"update":{"access":"none"},*' \
    "$(as "$PT" GET /permissions/me)"
same permissions_me_public_policies '200 {"data":{"articles":{"read":{"access":"full","fields":["id","title"]},"create":{"access":"full","fields":["title","status"]},"update":{"access":"none"},"delete":{"access":"none"},"share":{"access":"none"}}}}' \
    "$(as "$DT" GET /permissions/me)"
# office applies from 10/8 and 192.168/16 alone; tests run on loopback.
same permissions_me_ip_allow '200 {"data":{"articles":{"read":{"access":"full","fields":["*"]},"create":{"access":"none"},"update":{"access":"none"},"delete":{"access":"none"},"share":{"access":"none"}}}}' \
    "$(as "$RT" GET /permissions/me)"
same globals_ip_allow_tfa '200 {"data":{"app_access":false,"admin_access":false,"enforce_tfa":false}}' \
    "$(as "$RT" GET /policies/me/globals)"

# The users of roles come from keyd a page (query-limit) at a time.
td_conf "${CONF2[@]}" 'limits {' '	query-limit 2' '}'
out=$(td_reload 2>&1) && ok policyapi_reload_limit || fail policyapi_reload_limit "$out"
same roles_users_pages "200 {\"data\":[{\"id\":\"$EDITOR\",\"users\":[\"$APP\"]},{\"id\":\"$READER\",\"users\":[\"$RDR\"]}]}" \
    "$(as "$AT" GET '/roles?fields=id,users')"
same roles_users_pages_2 "200 {\"data\":[{\"id\":\"$SUPER\",\"users\":[]},{\"id\":\"a0000000-0000-4000-8000-000000000001\",\"users\":[\"$ROOT\"]}]}" \
    "$(as "$AT" GET '/roles?fields=id,users&page=2')"
