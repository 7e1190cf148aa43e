#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Interop: @directus/sdk 18.0.3 in cookie mode from a browser page on an
# allowed CORS origin (regress/interop/cors.mjs plays the browser's
# part): login, readMe, a reload followed by refresh from the refresh
# cookie, logout; the same refused from an origin not allowed, by CORS
# and by the cross-site rule.
. "$(dirname "$0")/../lib.sh"
td_sdk sdk_cors
td_init
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'cors {' '	origin "http://localhost:3000 http://127.0.0.1:3000"' '}'
td_up sdkcors
echo 'page password' | $CTL user add page@example.com >/dev/null
(cd "$IO" && node cors.mjs "$URL" page@example.com 'page password' \
    http://localhost:3000 http://evil.example.com)
