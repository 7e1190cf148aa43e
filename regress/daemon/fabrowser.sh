#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Forward auth in Chromium (regress/interop/fabrowser.mjs) through the
# shipped examples of Debian's nginx (auth_request) and Caddy
# (forward_auth) in front of an application that echoes the headers
# naming the user: the portal and back, the wrong role, sign-out, a
# suspended user, the access_token form, an rd not allowed.
. "$(dirname "$0")/../lib.sh"
need chromium nginx caddy
td_sdk fa_browser_interop
td_init
NPORT=$(td_free_port)
CPORT=$(td_free_port)
APORT=$(td_free_port)
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'protect "*" "/admin/" { admin-access yes }' \
    'forward-auth {' "	portal-url \"$URL/portal/\"" '}' \
    'portal {' \
    "	redirect-allow \"http://127.0.0.1:$NPORT/\" \"http://127.0.0.1:$CPORT/\"" \
    "	directory \"$TOP/portal\"" '}'
td_up fabrowser
# The test's port moves when it was taken: the portal's URL follows.
sed -i "s#portal-url \"http://127.0.0.1:[0-9]*/portal/\"#portal-url \"$URL/portal/\"#" \
    "$T/tokend.conf"
td_reload >/dev/null
echo 'admin pass' | $CTL user add -r admin root@example.com >/dev/null
echo 'una pass' | $CTL user add una@example.com >/dev/null
SID=$(echo 'sue pass' | $CTL user add sue@example.com)
td_fa_nginx "$NPORT" "$APORT" ||
    { fail fa_browser_nginx_start "$(cat "$T/nginx/error.log")"; exit 0; }
td_fa_caddy "$CPORT" "$APORT" ||
    { fail fa_browser_caddy_start "$(tail -5 "$T/caddy/log")"; exit 0; }
(cd "$IO" && timeout 300 node fabrowser.mjs "$URL" "$(command -v chromium)" \
    "$T" "$NPORT" "$CPORT" "$APORT" una@example.com 'una pass' \
    sue@example.com 'sue pass' "$SID" root@example.com 'admin pass') ||
    { [ $? = 124 ] && fail fa_browser_timeout; }
exit 0
