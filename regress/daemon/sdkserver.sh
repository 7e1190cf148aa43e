#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Interop: @directus/sdk 18.0.3 serverInfo(), readProviders(),
# readOpenApiSpec() and the track page request against tokend, as the
# public role and as a user with a static token.
. "$(dirname "$0")/../lib.sh"
td_sdk sdk_server
td_init
td_conf "${TD_FAST_PASSWORD[@]}" 'limits {' '	query-limit 300' '}'
td_up sdk_server
echo 'sdk password 1' | $CTL user add sdk@example.com >/dev/null 2>&1
STATIC=$($CTL user token sdk@example.com 2>&1)
(cd "$IO" && node server.mjs "$URL" "$STATIC" 300)
