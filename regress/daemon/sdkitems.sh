#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Interop: @directus/sdk 18.0.3 items commands (readItems, readItem,
# createItem(s), updateItem(s), deleteItem(s)) against tokend, as an
# admin with a static token and as the public role.
. "$(dirname "$0")/../lib.sh"
td_sdk sdk_items
td_init
td_conf "${TD_FAST_PASSWORD[@]}" \
    "items \"$T/empty/data/items.db\"" \
    'collection "articles" {' '	fields "title" "body" "status" "author"' '}' \
    'public {' \
    "	permission \"articles\" read { filter '{\"status\":{\"_eq\":\"published\"}}' }" '}'
td_up sdk_items
echo 'sdk password 1' | $CTL user add -r admin sdk@example.com >/dev/null 2>&1
STATIC=$($CTL user token sdk@example.com 2>&1)
(cd "$IO" && node items.mjs "$URL" "$STATIC")
