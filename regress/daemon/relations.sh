#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Relational fields: "role.name" and "role.*" on /users and /users/me,
# nested as Directus 11 nests them, within what the caller may read;
# deeper paths refused with a clear 400, never dropped.
# Many-to-one relations between collections (field "category"
# references "categories"): fields and filters through them, within
# the read permission of the related collection.
. "$(dirname "$0")/../lib.sh"
need sqlite3
td_init
VIEWER=6b3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f70
OTHER=6b3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f71
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    "items \"$T/empty/data/items.db\"" \
    'collection "categories" {' '	fields "name" "secret"' '}' \
    'collection "articles" {' '	fields "title" "status"' \
    '	field "author" references "directus_users"' \
    '	field "category" references "categories"' '}' \
    'role "viewer" {' "	id \"$VIEWER\"" '	app-access yes' \
    '	permission "directus_users" read {' \
    '		fields id email role' '	}' \
    '	permission "articles" read' \
    '	permission "categories" read {' '		fields id name' \
    "		filter '{\"name\":{\"_eq\":\"news\"}}'" '	}' '}' \
    'role "other" {' "	id \"$OTHER\"" \
    '	permission "articles" read {' '		fields title author' '	}' '}' \
    'public {' '	permission "articles" read {' \
    '		fields title category' '	}' '}'
td_up relations
add() { echo "$2" | $CTL user add ${3:+-r $3} "$1"; }
ROOT=$(add root@example.com 'root pass' admin)
VIC=$(add vic@example.com 'vic pass' $VIEWER)
OLA=$(add ola@example.com 'ola pass' $OTHER)
as() { with_token "$@"; }
RT=$(token root@example.com 'root pass')
VT=$(token vic@example.com 'vic pass')
ADMIN=a0000000-0000-4000-8000-000000000001

# /users/me: the caller's own role, nested.
same rel_me_role_name "200 {\"data\":{\"email\":\"vic@example.com\",\"role\":{\"name\":\"viewer\"}}}" \
    "$(as $VT GET '/users/me?fields=email,role.name')"
same rel_me_role_id "200 {\"data\":{\"role\":{\"id\":\"$VIEWER\"}}}" \
    "$(as $VT GET '/users/me?fields=role.id')"
# Directus 11.3.5 shows a user of app access itself alone as its role's
# users, and not the role's policies.
same rel_me_role_all "200 {\"data\":{\"role\":{\"id\":\"$VIEWER\",\"name\":\"viewer\",\"icon\":\"supervised_user_circle\",\"description\":null,\"parent\":null,\"children\":[],\"users\":[\"$VIC\"]}}}" \
    "$(as $VT GET '/users/me?fields=role.*')"
same rel_me_role_plain "200 {\"data\":{\"role\":\"$VIEWER\"}}" \
    "$(as $VT GET '/users/me?fields=role')"
expect rel_me_star_and_role "200 {\"data\":{\"id\":\"$VIC\"*\"email\":\"vic@example.com\"*\"role\":{\"name\":\"viewer\"}*}}" \
    "$(as $VT GET '/users/me?fields=*,role.name')"
same rel_me_admin_role "200 {\"data\":{\"role\":{\"name\":\"Administrator\",\"icon\":\"verified\"}}}" \
    "$(as $RT GET '/users/me?fields=role.name,role.icon')"
# Directus 11's roles have no admin_access: it is a policy's.
expect rel_me_role_admin_access_403 '403 *admin_access*directus_roles*FORBIDDEN*' \
    "$(as $RT GET '/users/me?fields=role.name,role.admin_access')"
# The access rows the viewer holds itself: none (userrels.sh has more).
expect rel_me_policies '200 {"data":{"policies":[]}}' \
    "$(as $VT GET '/users/me?fields=policies.*')"
expect rel_me_not_relation_400 '400 *email*not a relation*INVALID_QUERY*' \
    "$(as $VT GET '/users/me?fields=email.x')"
expect rel_me_role_unknown_403 '403 *nope*directus_roles*FORBIDDEN*' \
    "$(as $VT GET '/users/me?fields=role.nope')"
expect rel_me_too_deep_400 '400 *one relation deep*INVALID_QUERY*' \
    "$(as $VT GET '/users/me?fields=role.name.x')"

# /users: every role for an administrator.
same rel_users_admin "200 {\"data\":[{\"email\":\"ola@example.com\",\"role\":{\"name\":\"other\"}},{\"email\":\"root@example.com\",\"role\":{\"name\":\"Administrator\"}},{\"email\":\"vic@example.com\",\"role\":{\"name\":\"viewer\"}}]}" \
    "$(as $RT GET '/users?fields=email,role.name&sort=email')"
# An administrator sees the role's access rows (as GET /roles) and users.
as $RT GET "/roles/$OTHER?fields=policies" >/dev/null
OTHER_POL=$(sed -n 's/.*"policies":\(\[[^]]*\]\).*/\1/p' "$T/body")
same rel_users_one_star "200 {\"data\":{\"email\":\"ola@example.com\",\"role\":{\"id\":\"$OTHER\",\"name\":\"other\",\"icon\":\"supervised_user_circle\",\"description\":null,\"parent\":null,\"children\":[],\"policies\":$OTHER_POL,\"users\":[\"$OLA\"]}}}" \
    "$(as $RT GET "/users/$OLA?fields=email,role.*")"
# Others: their own role; another role only with a read permission on
# directus_roles, which the viewer has not: null, as Directus answers a
# related item it may not read.
same rel_users_viewer "200 {\"data\":[{\"email\":\"ola@example.com\",\"role\":null},{\"email\":\"root@example.com\",\"role\":null},{\"email\":\"vic@example.com\",\"role\":{\"name\":\"viewer\"}}]}" \
    "$(as $VT GET '/users?fields=email,role.name&sort=email')"
# policies.*: the users' access rows (none here); a field access rows
# lack is refused.
same rel_users_policies "200 {\"data\":[{\"email\":\"ola@example.com\",\"policies\":[]},{\"email\":\"root@example.com\",\"policies\":[]},{\"email\":\"vic@example.com\",\"policies\":[]}]}" \
    "$(as $RT GET '/users?fields=email,policies.*&sort=email')"
expect rel_users_policies_field_403 '403 *nope*directus_access*FORBIDDEN*' \
    "$(as $RT GET '/users?fields=policies.nope')"
expect rel_users_role_unknown_403 '403 *nope*directus_roles*FORBIDDEN*' \
    "$(as $RT GET '/users?fields=role.nope')"
expect rel_users_not_relation_400 '400 *email*not a relation*INVALID_QUERY*' \
    "$(as $RT GET '/users?fields=email.x')"
expect rel_users_unknown_403 '403 *nope*directus_users*FORBIDDEN*' \
    "$(as $RT GET '/users?fields=nope.x')"
# A relation to a field outside the permission is that field's 403.


# Items and their related items.
OT=$(token ola@example.com 'ola pass')
r=$(as $RT POST /items/categories '[{"name":"news","secret":"s1"},{"name":"tech","secret":"s2"}]')
expect rel_setup_categories '200 *"name":"tech"*' "$r"
r=$(as $RT POST /items/articles "[{\"title\":\"a1\",\"status\":\"published\",\"author\":\"$ROOT\",\"category\":1},{\"title\":\"a2\",\"status\":\"draft\",\"author\":\"$VIC\",\"category\":2},{\"title\":\"a3\",\"status\":\"draft\",\"author\":null,\"category\":null}]")
expect rel_setup_articles '200 *"title":"a3"*' "$r"
same rel_items_field "200 {\"data\":[{\"title\":\"a1\",\"category\":{\"name\":\"news\"}},{\"title\":\"a2\",\"category\":{\"name\":\"tech\"}},{\"title\":\"a3\",\"category\":null}]}" \
    "$(as $RT GET '/items/articles?fields=title,category.name')"
same rel_items_star "200 {\"data\":[{\"title\":\"a1\",\"category\":{\"id\":1,\"name\":\"news\",\"secret\":\"s1\"}}]}" \
    "$(as $RT GET '/items/articles?fields=title,category.*&limit=1')"
same rel_items_star_and_field "200 {\"data\":{\"id\":2,\"title\":\"a2\",\"status\":\"draft\",\"author\":\"$VIC\",\"category\":{\"name\":\"tech\"}}}" \
    "$(as $RT GET '/items/articles/2?fields=*,category.name')"
expect rel_items_write_relational_fields_400 '400 *GET only*INVALID_QUERY*' \
    "$(as $RT POST '/items/articles?fields=title,category.name' '{"title":"x"}')"
same rel_items_write_refused_before '200 {"data":[]}' \
    "$(as $RT GET '/items/articles?fields=title&filter=%7B%22title%22:%7B%22_eq%22:%22x%22%7D%7D')"
same rel_items_filter '200 {"data":[{"title":"a2"}]}' \
    "$(as $RT GET '/items/articles?fields=title&filter=%7B%22category%22:%7B%22name%22:%7B%22_eq%22:%22tech%22%7D%7D%7D')"
same rel_items_filter_or '200 {"data":[{"title":"a1"},{"title":"a3"}]}' \
    "$(as $RT GET '/items/articles?fields=title&filter=%7B%22_or%22:%5B%7B%22category%22:%7B%22name%22:%7B%22_eq%22:%22news%22%7D%7D%7D,%7B%22category%22:%7B%22_null%22:true%7D%7D%5D%7D')"
expect rel_items_not_relation '400 *title*is not a relation*INVALID_QUERY*' \
    "$(as $RT GET '/items/articles?fields=title.x')"
expect rel_items_unknown_related '403 *nope*categories*Queried in*category*FORBIDDEN*' \
    "$(as $RT GET '/items/articles?fields=category.nope')"
expect rel_items_too_deep '400 *one relation deep*INVALID_QUERY*' \
    "$(as $RT GET '/items/articles?fields=category.name.x')"
# The viewer reads categories: the field "name" of those named "news".
same rel_viewer_field "200 {\"data\":[{\"title\":\"a1\",\"category\":{\"id\":1,\"name\":\"news\"}},{\"title\":\"a2\",\"category\":null},{\"title\":\"a3\",\"category\":null}]}" \
    "$(as $VT GET '/items/articles?fields=title,category.*')"
expect rel_viewer_field_forbidden '403 {"errors":[{"message":"You don*t have permission to access field *secret* in collection *categories* or it does not exist. Queried in *category*."*FORBIDDEN*' \
    "$(as $VT GET '/items/articles?fields=title,category.secret')"
expect rel_viewer_filter_field_forbidden '403 *secret*categories*Queried in*category*FORBIDDEN*' \
    "$(as $VT GET '/items/articles?fields=title&filter=%7B%22category%22:%7B%22secret%22:%7B%22_eq%22:%22s2%22%7D%7D%7D')"
# A related item outside the permission's filter matches nothing.
same rel_viewer_filter_outside '200 {"data":[]}' \
    "$(as $VT GET '/items/articles?fields=title&filter=%7B%22category%22:%7B%22name%22:%7B%22_eq%22:%22tech%22%7D%7D%7D')"
same rel_viewer_filter_inside '200 {"data":[{"title":"a1"}]}' \
    "$(as $VT GET '/items/articles?fields=title&filter=%7B%22category%22:%7B%22name%22:%7B%22_eq%22:%22news%22%7D%7D%7D')"
# No read permission on the related collection: 403, for the fields
# and for the filter.
expect rel_public_no_collection '403 *access collection *categories* or it does not exist. Queried in *category*FORBIDDEN*' \
    "$(http GET '/items/articles?fields=title,category.name')"
expect rel_public_filter_no_collection '403 *access collection *categories*FORBIDDEN*' \
    "$(http GET '/items/articles?fields=title&filter=%7B%22category%22:%7B%22name%22:%7B%22_eq%22:%22news%22%7D%7D%7D')"
# The relation's own field outside the permission: the relation is
# left out, as Directus 11.3.5 does (a plain field named is refused).
same rel_other_field_left_out '200 {"data":[{"title":"a1"},{"title":"a2"},{"title":"a3"}]}' \
    "$(as $OT GET '/items/articles?fields=title,category.name')"
expect rel_other_field_plain_403 '403 *field ?"category?" in collection ?"articles?"*Queried in root.*FORBIDDEN*' \
    "$(as $OT GET '/items/articles?fields=title,category')"

# Items and their users, whom the worker reads from keyd under the
# caller's own permissions on directus_users.
FILTER_VIC='%7B%22author%22:%7B%22email%22:%7B%22_eq%22:%22vic@example.com%22%7D%7D%7D'
same rel_users_field "200 {\"data\":[{\"title\":\"a1\",\"author\":{\"email\":\"root@example.com\"}},{\"title\":\"a2\",\"author\":{\"email\":\"vic@example.com\"}},{\"title\":\"a3\",\"author\":null}]}" \
    "$(as $RT GET '/items/articles?fields=title,author.email')"
same rel_users_star_and_field "200 {\"data\":{\"id\":2,\"title\":\"a2\",\"status\":\"draft\",\"author\":{\"first_name\":null},\"category\":2}}" \
    "$(as $RT GET '/items/articles/2?fields=*,author.first_name')"
r=$(as $RT GET '/items/articles?fields=author.*&limit=1')
expect rel_users_star "200 {\"data\":[{\"author\":{\"id\":\"$ROOT\"*\"email\":\"root@example.com\",\"password\":\"\*\*\*\*\*\*\*\*\*\*\"*\"tfa_secret\":null*\"role\":\"$ADMIN\"*}}]}" "$r"
case "$r" in *argon2*) fail rel_users_star_no_hash "$r" ;; *) ok rel_users_star_no_hash ;; esac
same rel_users_two_relations "200 {\"data\":[{\"title\":\"a2\",\"author\":{\"email\":\"vic@example.com\"},\"category\":{\"name\":\"tech\"}}]}" \
    "$(as $RT GET "/items/articles?fields=title,author.email,category.name&filter=$FILTER_VIC")"
same rel_users_filter '200 {"data":[{"title":"a2"}]}' \
    "$(as $RT GET "/items/articles?fields=title&filter=$FILTER_VIC")"
same rel_users_filter_or '200 {"data":[{"title":"a2"},{"title":"a3"}]}' \
    "$(as $RT GET '/items/articles?fields=title&filter=%7B%22_or%22:%5B%7B%22author%22:%7B%22email%22:%7B%22_ends_with%22:%22vic@example.com%22%7D%7D%7D,%7B%22author%22:%7B%22_null%22:true%7D%7D%5D%7D')"
same rel_users_filter_none '200 {"data":[]}' \
    "$(as $RT GET '/items/articles?fields=title&filter=%7B%22author%22:%7B%22email%22:%7B%22_eq%22:%22nobody@example.com%22%7D%7D%7D')"
same rel_users_filter_meta '200 {"data":[{"title":"a2"}],"meta":{"filter_count":1}}' \
    "$(as $RT GET "/items/articles?fields=title&meta=filter_count&filter=$FILTER_VIC")"
# The viewer may read id, email and role of users.
same rel_users_viewer "200 {\"data\":[{\"title\":\"a1\",\"author\":{\"email\":\"root@example.com\",\"role\":\"$ADMIN\"}}]}" \
    "$(as $VT GET '/items/articles?fields=title,author.email,author.role&limit=1')"
# Refused in Directus 11.3.5's words, where the relation asked for it,
# though no row has a user.
M='You don'"'"'t have permission to access field \"first_name\" in collection \"directus_users\" or it does not exist. Queried in \"author\".'
r=$(as $VT GET '/items/articles?fields=title,author.first_name')
[ "$r" = "403 {\"errors\":[{\"message\":\"$M\",\"extensions\":{\"reason\":\"$M\",\"code\":\"FORBIDDEN\"}}]}" ] &&
    ok rel_users_viewer_field_403 || fail rel_users_viewer_field_403 "$r"
expect rel_users_viewer_field_no_key_403 '403 *first_name*Queried in ?"author?".*FORBIDDEN*' \
    "$(as $VT GET '/items/articles?fields=title,author.first_name&filter=%7B%22author%22:%7B%22_null%22:true%7D%7D')"
expect rel_users_viewer_filter_403 '403 *first_name*FORBIDDEN*' \
    "$(as $VT GET '/items/articles?fields=title&filter=%7B%22author%22:%7B%22first_name%22:%7B%22_eq%22:%22x%22%7D%7D%7D')"
expect rel_users_viewer_concealed_403 '403 *password*FORBIDDEN*' \
    "$(as $VT GET '/items/articles?fields=title,author.password')"
# No read permission on directus_users at all, nor app access: the
# relation is left out, with or without keys, as Directus 11.3.5
# answers (with app access, its minimal permissions, it reads null,
# as compare.sh's readItems_m2o_editor checks); a filter through it is
# refused.
same rel_users_other_left_out '200 {"data":[{"title":"a1"},{"title":"a2"},{"title":"a3"}]}' \
    "$(as $OT GET '/items/articles?fields=title,author.email')"
same rel_users_other_left_out_star '200 {"data":[{"title":"a3"}]}' \
    "$(as $OT GET '/items/articles?fields=title,author.*&filter=%7B%22title%22:%7B%22_eq%22:%22a3%22%7D%7D')"
expect rel_users_other_filter_403 '403 *directus_users*FORBIDDEN*' \
    "$(as $OT GET "/items/articles?fields=title&filter=$FILTER_VIC")"
# The relation's own field outside the permission: left out.
same rel_users_public_field_left_out '200 {"data":[{"title":"a1"},{"title":"a2"},{"title":"a3"}]}' \
    "$(http GET '/items/articles?fields=title,author.email')"
# A filter through users reaches 1000 of them at most: refused beyond,
# never cut.
for i in $(seq 1 1001); do echo "INSERT INTO users (id, email, status, role) SELECT 'many-$i', 'm$i@many.example.com', status, role FROM users WHERE id = '$OLA';"; done | sqlite3 "$T/keyd/db/credentials.db"
expect rel_users_filter_too_many '400 *too many*INVALID_QUERY*' \
    "$(as $RT GET '/items/articles?fields=title&filter=%7B%22author%22:%7B%22email%22:%7B%22_ends_with%22:%22many.example.com%22%7D%7D%7D')"
