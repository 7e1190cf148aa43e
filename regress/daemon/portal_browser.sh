#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The sign-in portal and the account page in a real browser: Debian's
# Chromium, headless, driven by puppeteer-core (regress/interop/
# portal.mjs).  Its screenshots of the login and account pages at 1280
# and 375 pixels stay in $T/shots while the test runs (copied to
# $PORTAL_SHOTS when that is set).
. "$(dirname "$0")/../lib.sh"
need chromium sqlite3
td_sdk portal_browser_interop
td_init
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'portal {' '	title "Example Corp"' \
    "	redirect-allow \"http://127.0.0.1:$PORT/server/\"" \
    "	directory \"$TOP/portal\"" '}'
td_up portal_browser
SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
echo 'ann pass 1' | $CTL user add -r admin ann@example.com >/dev/null
TID=$(echo 'tina pass' | $CTL user add tina@example.com)
sqlite3 -cmd '.timeout 5000' "$T/keyd/db/credentials.db" \
    "UPDATE users SET tfa_secret = '$SECRET', first_name = 'Tina' WHERE id = '$TID'"
mkdir -p "$T/shots"
# The test's port moves when it was taken: the allow list follows.
sed -i "s#redirect-allow \"http://127.0.0.1:[0-9]*/server/\"#redirect-allow \"$URL/server/\"#" \
    "$T/tokend.conf"
td_reload >/dev/null
(cd "$IO" && timeout 300 node portal.mjs "$URL" "$(command -v chromium)" \
    "$T/shots" ann@example.com 'ann pass 1' tina@example.com 'tina pass' \
    "$SECRET") || { [ $? = 124 ] && fail portal_browser_timeout; }
n=$(ls "$T/shots"/login-1280.png "$T/shots"/login-375.png \
    "$T/shots"/account-1280.png "$T/shots"/account-375.png 2>/dev/null | wc -l)
[ "$n" = 4 ] && ok portal_browser_screenshots ||
    fail portal_browser_screenshots "$n of 4"
[ -n "$PORTAL_SHOTS" ] && cp "$T/shots"/*.png "$PORTAL_SHOTS"/ 2>/dev/null
exit 0
