#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Interop: @directus/sdk 18.0.3 access commands (readPolicies,
# readPolicy, readPolicyGlobals, readRoles, readRolesMe,
# readPermissions, readUserPermissions, readItemPermissions) against
# tokend, for an administrator, a user with app access, one without and
# the public.
. "$(dirname "$0")/../lib.sh"
td_sdk sdk_policies
td_init
td_conf "${TD_FAST_PASSWORD[@]}" \
    "items \"$T/empty/data/items.db\"" \
    'collection "articles" { fields "title" "status" "body" "author" }' \
    'role "editor" {' '	id "5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f90"' '	app-access yes' '	permission "articles" read' \
    '	permission "articles" update {' '		fields "title"' \
    "		filter '{\"author\":{\"_eq\":\"\$CURRENT_USER\"}}'" '	}' '}' \
    'role "reader" {' '	id "5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f91"' \
    '	permission "articles" read {' \
    '		fields "id" "title" "status"' \
    "		filter '{\"status\":{\"_eq\":\"published\"}}'" '	}' \
    '	permission "articles" delete {' \
    "		filter '{\"status\":{\"_eq\":\"draft\"}}'" '	}' '}' \
    'public {' '	permission "articles" read {' '		fields "id" "title"' \
    "		filter '{\"status\":{\"_eq\":\"published\"}}'" '	}' '}'
td_up sdk_policies
for u in admin:admin app:editor reader:reader; do
	echo "$u pass" | $CTL user add -r "${u#*:}" "${u%:*}@example.com" \
	    >/dev/null 2>&1
done
AT=$($CTL user token admin@example.com 2>&1)
PT=$($CTL user token app@example.com 2>&1)
RT=$($CTL user token reader@example.com 2>&1)
APP=$(with_token "$PT" GET '/users/me?fields=id' | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
r=$(with_token "$AT" POST /items/articles \
    "{\"title\":\"draft\",\"status\":\"draft\",\"author\":\"$APP\"}")
ITEM=$(echo "$r" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
[ -n "$ITEM" ] || { fail sdk_policies_item "$r"; exit 1; }
(cd "$IO" && node policies.mjs "$URL" "$AT" "$PT" "$RT" "$ITEM")
