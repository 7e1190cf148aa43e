#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Relational fields: "role.name" and "role.*" on /users and /users/me,
# nested as Directus 11 nests them, within what the caller may read;
# "policies.*" and deeper paths refused with a clear 400, never dropped.
. "$(dirname "$0")/../lib.sh"
td_init
VIEWER=6b3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f70
OTHER=6b3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f71
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'role "viewer" {' "	id \"$VIEWER\"" '	app-access yes' \
    '	permission "directus_users" read {' \
    '		fields id email role' '	}' '}' \
    'role "other" {' "	id \"$OTHER\"" '}'
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
same rel_me_role_all "200 {\"data\":{\"role\":{\"id\":\"$VIEWER\",\"name\":\"viewer\",\"icon\":null,\"description\":null,\"ip_access\":null,\"enforce_tfa\":false,\"admin_access\":false,\"app_access\":true}}}" \
    "$(as $VT GET '/users/me?fields=role.*')"
same rel_me_role_plain "200 {\"data\":{\"role\":\"$VIEWER\"}}" \
    "$(as $VT GET '/users/me?fields=role')"
expect rel_me_star_and_role "200 {\"data\":{\"id\":\"$VIC\"*\"email\":\"vic@example.com\"*\"role\":{\"name\":\"viewer\"}*}}" \
    "$(as $VT GET '/users/me?fields=*,role.name')"
same rel_me_admin_role "200 {\"data\":{\"role\":{\"name\":\"Administrator\",\"admin_access\":true}}}" \
    "$(as $RT GET '/users/me?fields=role.name,role.admin_access')"
expect rel_me_policies_400 '400 *policies*INVALID_QUERY*' \
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
same rel_users_one_star "200 {\"data\":{\"email\":\"ola@example.com\",\"role\":{\"id\":\"$OTHER\",\"name\":\"other\",\"icon\":null,\"description\":null,\"ip_access\":null,\"enforce_tfa\":false,\"admin_access\":false,\"app_access\":false}}}" \
    "$(as $RT GET "/users/$OLA?fields=email,role.*")"
# Others: their own role; another role only with a read permission on
# directus_roles, which the viewer has not: null, as Directus answers a
# related item it may not read.
same rel_users_viewer "200 {\"data\":[{\"email\":\"ola@example.com\",\"role\":null},{\"email\":\"root@example.com\",\"role\":null},{\"email\":\"vic@example.com\",\"role\":{\"name\":\"viewer\"}}]}" \
    "$(as $VT GET '/users?fields=email,role.name&sort=email')"
expect rel_users_policies_400 '400 *policies*INVALID_QUERY*' \
    "$(as $RT GET '/users?fields=policies.*')"
expect rel_users_role_unknown_403 '403 *nope*directus_roles*FORBIDDEN*' \
    "$(as $RT GET '/users?fields=role.nope')"
expect rel_users_not_relation_400 '400 *email*not a relation*INVALID_QUERY*' \
    "$(as $RT GET '/users?fields=email.x')"
expect rel_users_unknown_403 '403 *nope*directus_users*FORBIDDEN*' \
    "$(as $RT GET '/users?fields=nope.x')"
# A relation to a field outside the permission is that field's 403.
