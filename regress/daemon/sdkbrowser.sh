#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# @directus/sdk's browser build in Chromium (regress/interop/
# sdkbrowser.mjs, which says why its origins prove what they prove): a
# page on an allowed CORS origin logs in in cookie mode, reads the user,
# reloads, refreshes from the cookie and logs out; pages of origins not
# allowed are refused the answers; a form of a same-site origin not
# allowed, which the browser sends with the Lax cookie, is refused by
# the cross-site rule, and the session goes on.
. "$(dirname "$0")/../lib.sh"
need chromium
td_sdk sdk_browser_interop
td_init
PA=$(td_free_port)
PB=$(td_free_port)
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'cors {' "	origin \"http://127.0.0.1:$PA\"" '}'
td_up sdkbrowser
echo 'page password' | $CTL user add page@example.com >/dev/null
(cd "$IO" && timeout 300 node sdkbrowser.mjs "$URL" "$(command -v chromium)" \
    "$T" page@example.com 'page password' "$PA" "$PB") ||
    { [ $? = 124 ] && fail sdk_browser_timeout; }
exit 0
