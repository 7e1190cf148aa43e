#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Interop: @directus/sdk 18.0.3's inviteUser, acceptUserInvite,
# registerUser and registerUserVerify against tokend, the mails caught
# by regress/smtpsink.py and their tokens handed to the next step.
. "$(dirname "$0")/../lib.sh"
td_sdk sdk_accounts_interop
need python3
td_init
SPORT=$(td_free_port)
MEMBER=3b9f1c2e-6d4a-4e8b-9c1d-2f3a4b5c6d7e
td_conf "${TD_FAST_PASSWORD[@]}" 'auth {' '	login-stall 50ms' \
    '	invite-url-allow "http://localhost:3000/invite"' \
    '	register yes' '	register-role "member"' \
    '	register-email "*@example.com"' '	register-verify yes' \
    '	register-url-allow "http://localhost:3000/verify"' '}' \
    'mail {' "	relay 127.0.0.1; port $SPORT" \
    "	invite-template \"$TOP/etc/mail-invite.txt\"" \
    "	verify-template \"$TOP/etc/mail-verify.txt\"" \
    "	exists-template \"$TOP/etc/mail-exists.txt\"" '}' \
    "role \"member\" { id \"$MEMBER\" }"
sink_start
td_up sdkaccounts
echo 'sdk admin pass' | $CTL user add -r admin admin@example.com >/dev/null
echo 'known pass' | $CTL user add known@example.com >/dev/null

# mail_to ADDR: the newest mail to ADDR.
mail_to() {
	grep -l "^X-Sink-To: <$1>" "$T"/sink/mail.* 2>/dev/null |
	    sort -t. -k2 -n | tail -1
}
# link_token ADDR PREFIX: the token of the link in the mail to ADDR.
link_token() {
	td_until "[ -n \"\$(mail_to $1)\" ]" 50
	sed -n "s|^$2?token=\([A-Za-z0-9._-]*\).*|\1|p" "$(mail_to "$1")" \
	    2>/dev/null | tr -d '\r' | tail -1
}
sdk() { (cd "$IO" && node accounts.mjs "$URL" "$@"); }

sdk invite admin@example.com 'sdk admin pass' "$MEMBER" \
    sdk-inv@example.com http://localhost:3000/invite \
    sdk-arr1@example.com sdk-arr2@example.com
I1=$(link_token sdk-inv@example.com http://localhost:3000/invite)
A1=$(link_token sdk-arr1@example.com http://localhost:3000/invite)
A2=$(link_token sdk-arr2@example.com http://localhost:3000/invite)
[ -n "$I1" ] && [ -n "$A1" ] && [ -n "$A2" ] && ok sdk_invite_mails ||
    fail sdk_invite_mails "$(ls "$T/sink" 2>/dev/null | tr '\n' ' ')"
sdk accept "$I1" 'invited pass' sdk-inv@example.com
sdk accept "$A2" 'array pass' sdk-arr2@example.com array

sdk register sdk-reg@example.com 'registered pass' \
    http://localhost:3000/verify known@example.com
V1=$(link_token sdk-reg@example.com http://localhost:3000/verify)
[ -n "$V1" ] && ok sdk_register_mail || fail sdk_register_mail "no link"
td_until '[ -n "$(mail_to known@example.com)" ]' 50
M=$(mail_to known@example.com)
[ -n "$M" ] && grep -q 'has an account already' "$M" &&
    ! grep -q 'token=' "$M" && ok sdk_register_known_mail ||
    fail sdk_register_known_mail "$(head -20 "$M" 2>/dev/null)"
sdk verify "$V1" sdk-reg@example.com 'registered pass'
