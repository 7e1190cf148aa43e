#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Child roles (parent in a role block): a user of a role gets its
# parents' policies too, as Directus 11.3.5 does (a role whose own
# policy has no app access, under a parent whose policy has it, gave
# its users app_access: true); roles show their parent and children
# (to who may read roles: a user of app access sees no children, as
# Directus answers); a parent must be a role declared before.
. "$(dirname "$0")/../lib.sh"
td_init
BASE=cccccccc-0000-4000-8000-000000000001
CHILD=cccccccc-0000-4000-8000-000000000002
BOSS=cccccccc-0000-4000-8000-000000000003
SUB=cccccccc-0000-4000-8000-000000000004
parent_conf() {
	td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
	    'collection "articles" { fields "title" }' \
	    'policy "pp" {' '	id "aaaaaaaa-0000-4000-8000-0000000000a1"' \
	    '	app-access yes' '	permission "articles" read' '}' \
	    "role \"base\" { id \"$BASE\"; policy \"pp\" }" \
	    'role "child" {' "	id \"$CHILD\"" '	parent "base"' \
	    '	permission "articles" create' '}' \
	    "role \"boss\" { id \"$BOSS\"; admin-access yes }" \
	    "role \"sub\" { id \"$SUB\"; parent \"boss\" }" "$@"
}
parent_conf
td_up roleparent
claims() { jwt_payload "$(j access_token)"; }
echo 'root pass' | $CTL user add -r admin root@example.com >/dev/null
echo 'kid pass' | $CTL user add -r child kid@example.com >/dev/null
echo 'sub pass' | $CTL user add -r sub sub@example.com >/dev/null
AD=$(token root@example.com 'root pass')

r=$(login kid@example.com 'kid pass')
c=$(claims)
case "$r $c" in "200 "*'"app_access":true,"admin_access":false'*)
	ok roleparent_inherits_app_access ;;
*) fail roleparent_inherits_app_access "$r $c" ;; esac
TK=$(j access_token)
expect roleparent_own_permission '200 *' "$(http POST /items/articles \
    -H "Authorization: Bearer $TK" -H 'Content-Type: application/json' \
    -d '{"title":"t"}')"
expect roleparent_parent_permission '200 {"data":[{"id":1,"title":"t"}]}' \
    "$(http GET /items/articles -H "Authorization: Bearer $TK")"
expect roleparent_globals '200 {"data":{"app_access":true,"admin_access":false,"enforce_tfa":false}}' \
    "$(http GET /policies/me/globals -H "Authorization: Bearer $TK")"
expect roleparent_me_role "200 {\"data\":{\"role\":{\"id\":\"$CHILD\",\"name\":\"child\",\"icon\":\"supervised_user_circle\",\"description\":null,\"parent\":\"$BASE\",\"children\":[]}}}" \
    "$(http GET '/users/me?fields=role.id,role.name,role.icon,role.description,role.parent,role.children' \
    -H "Authorization: Bearer $TK")"
r=$(login sub@example.com 'sub pass')
c=$(claims)
case "$r $c" in "200 "*'"admin_access":true'*) ok roleparent_inherits_admin ;;
*) fail roleparent_inherits_admin "$r $c" ;; esac

# GET /roles: the parent, and the children of each role.
expect roleparent_roles_children "200 {\"data\":[{\"id\":\"$BASE\",\"parent\":null,\"children\":[\"$CHILD\"]}]}" \
    "$(http GET "/roles?fields=id,parent,children&filter=%7B%22id%22:%7B%22_eq%22:%22$BASE%22%7D%7D" \
    -H "Authorization: Bearer $AD")"
expect roleparent_roles_parent "200 {\"data\":{\"id\":\"$CHILD\",\"parent\":\"$BASE\",\"children\":[]}}" \
    "$(http GET "/roles/$CHILD?fields=id,parent,children" -H "Authorization: Bearer $AD")"
expect roleparent_users_role_parent "200 {\"data\":[{\"role\":{\"parent\":\"$BASE\",\"children\":[]}}]}" \
    "$(http GET "/users?fields=role.parent,role.children&filter=%7B%22role%22:%7B%22_eq%22:%22$CHILD%22%7D%7D" \
    -H "Authorization: Bearer $AD")"

# A parent is a role declared before; once.
cp "$T/tokend.conf" "$T/good.conf"
parent_conf 'role "late" { id "cccccccc-0000-4000-8000-000000000005"; parent "nope" }'
conf_refused roleparent_unknown_refused "$T/tokend.conf" 'parent "nope": no such role declared before it'
parent_conf 'role "a" { id "cccccccc-0000-4000-8000-000000000006"; parent "b" }' \
    'role "b" { id "cccccccc-0000-4000-8000-000000000007" }'
conf_refused roleparent_later_refused "$T/tokend.conf" 'parent "b": no such role declared before it'
parent_conf 'role "c" { id "cccccccc-0000-4000-8000-000000000008"; parent "c" }'
conf_refused roleparent_self_refused "$T/tokend.conf" 'parent "c": no such role declared before it'
parent_conf 'role "d" { id "cccccccc-0000-4000-8000-000000000009"; parent "base"; parent "boss" }'
conf_refused roleparent_twice_refused "$T/tokend.conf" 'parent given twice'
