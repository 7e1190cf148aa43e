#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Interop: @directus/sdk 18.0.3 relational fields and filters
# (readItems with fields ['*', {author: ['email']}], filters through a
# relation), readUsers and readMe with role fields, updateUsers,
# updateUsersBatch and deleteUsers, against tokend.
. "$(dirname "$0")/../lib.sh"
td_sdk sdk_relations
td_init
td_conf "${TD_FAST_PASSWORD[@]}" \
    "items \"$T/empty/data/items.db\"" \
    'collection "categories" {' '	fields "name"' '}' \
    'collection "articles" {' '	fields "title"' \
    '	field "author" references "directus_users"' \
    '	field "category" references "categories"' '}'
td_up sdk_relations
echo 'sdk password 1' | $CTL user add -r admin sdk@example.com >/dev/null 2>&1
STATIC=$($CTL user token sdk@example.com 2>&1)
(cd "$IO" && node relations.mjs "$URL" "$STATIC")
