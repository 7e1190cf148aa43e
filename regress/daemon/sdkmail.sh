#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Interop: @directus/sdk 18.0.3's passwordRequest and passwordReset
# against tokend, the mail caught by regress/smtpsink.py.
. "$(dirname "$0")/../lib.sh"
td_sdk sdk_mail_interop
need python3
td_init
SPORT=$(td_free_port)
td_conf "${TD_FAST_PASSWORD[@]}" 'auth {' '	login-stall 50ms' \
    '	reset-url-allow "http://localhost:3000/reset"' '}' \
    'mail {' "	relay 127.0.0.1; port $SPORT" "	reset-template \"$TOP/etc/mail-reset.txt\"" '}'
sink_start
td_up sdkmail
echo 'sdk password 1' | $CTL user add sdk@example.com >/dev/null
(cd "$IO" && node reset.mjs "$URL" request sdk@example.com \
    http://localhost:3000/reset)
td_until '[ -f "$T/sink/mail.1" ]' 50
TOKEN=$(sed -n 's|^http://localhost:3000/reset?token=\([A-Za-z0-9._-]*\).*|\1|p' \
    "$T/sink/mail.1" 2>/dev/null | tr -d '\r')
[ -n "$TOKEN" ] && ok sdk_password_mail || fail sdk_password_mail "no link"
(cd "$IO" && node reset.mjs "$URL" reset "$TOKEN" 'sdk password 2' \
    sdk@example.com)
