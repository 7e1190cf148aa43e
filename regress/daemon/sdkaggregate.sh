#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Interop: @directus/sdk 18.0.3's aggregate(), readItems({search}),
# withSearch() and readUsers({search}) against tokend
# (regress/interop/aggregate.mjs).
. "$(dirname "$0")/../lib.sh"
td_sdk sdk_aggregate
td_init
READER=6b4d1f9f-3c2e-4d7f-8a8b-2c3d4e5f6071
td_conf "${TD_FAST_PASSWORD[@]}" \
    "items \"$T/empty/data/items.db\"" \
    'collection "articles" {' '	fields "title" "status" "body" "views" "score"' '}' \
    'role "reader" {' "	id \"$READER\"" \
    '	permission "articles" read {' '		fields "id" "title" "status" "views"' \
    "		filter '{\"status\":{\"_eq\":\"published\"}}'" '	}' '}'
td_up sdk_aggregate
echo 'sdk password 1' | $CTL user add -r admin root@example.com >/dev/null 2>&1
echo 'reader pass' | $CTL user add -r reader rita@example.com >/dev/null 2>&1
STATIC=$($CTL user token root@example.com 2>&1)
RD=$(token rita@example.com 'reader pass')
(cd "$IO" && node aggregate.mjs "$URL" "$STATIC" "$RD")
