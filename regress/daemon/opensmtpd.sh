#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# A real relay: OpenSMTPD from Debian, on loopback, takes a password
# reset mail from the mail process and delivers it into a maildir; the
# link in it resets the password.  smtpd needs root (its privilege
# separation); as another user the test cannot run it.
. "$(dirname "$0")/../lib.sh"
if ! is_root; then
	skip opensmtpd "OpenSMTPD needs root to start"
	exit 0
fi
need smtpd
td_init
SPORT=$(td_free_port)
SMTPD=
mkdir -p "$T/smtpd/queue" "$T/maildir"
chmod 0711 "$T/smtpd"
# Every recipient is delivered to nobody's maildir of this test
# (smtpd delivers to no root).
chown nobody "$T/maildir"
cat > "$T/smtpd/smtpd.conf" <<EOF
listen on 127.0.0.1 port $SPORT
table vusers { "@" = "nobody" }
action "local" maildir "$T/maildir" virtual <vusers>
match from any for any action "local"
EOF
chmod 0600 "$T/smtpd/smtpd.conf"
smtpd_stop() {
	[ -n "$SMTPD" ] && kill "$SMTPD" 2>/dev/null && wait "$SMTPD" 2>/dev/null
	SMTPD=
}
trap 'smtpd_stop; td_cleanup' EXIT
smtpd -d -f "$T/smtpd/smtpd.conf" > "$T/smtpd.log" 2>&1 &
SMTPD=$!
td_until "(exec 3<>/dev/tcp/127.0.0.1/$SPORT) 2>/dev/null" 100 ||
    { fail opensmtpd_start "$(tail -5 "$T/smtpd.log")"; exit 1; }
ok opensmtpd_start

td_conf "${TD_FAST_PASSWORD[@]}" 'auth {' '	login-stall 50ms' \
    '	reset-url-allow "http://localhost:3000/reset"' '}' \
    'mail {' "	relay 127.0.0.1; port $SPORT" '	from "noreply@example.com"' \
    "	reset-template \"$TOP/etc/mail-reset.txt\"" '	timeout 10s' '}'
td_up opensmtpd
echo 'old pass' | $CTL user add ann@example.com >/dev/null
r=$(http POST /auth/password/request -H 'Content-Type: application/json' \
    -d '{"email":"ann@example.com","reset_url":"http://localhost:3000/reset"}')
[ "$r" = "204 " ] && ok opensmtpd_request_204 || fail opensmtpd_request_204 "$r"
delivered() { ls "$T/maildir/new" 2>/dev/null | wc -l; }
td_until '[ "$(delivered)" -ge 1 ]' 150 &&
    ok opensmtpd_delivered ||
    fail opensmtpd_delivered "$(tail -5 "$T/smtpd.log") $(grep -i mail "$T/log" | tail -3)"
[ "$(delivered)" = 1 ] && ok opensmtpd_delivered_once ||
    fail opensmtpd_delivered_once "$(delivered)"
[ "$($CTL mail list 2>/dev/null | grep -c password-reset)" = 0 ] &&
    ok opensmtpd_outbox_empty || fail opensmtpd_outbox_empty
m=$(cat "$T"/maildir/new/* 2>/dev/null)
case "$m" in *"To: <ann@example.com>"*"http://localhost:3000/reset?token="*)
	ok opensmtpd_mail_content ;;
*) fail opensmtpd_mail_content "${m:0:300}" ;; esac
tok=$(echo "$m" | sed -n 's|.*http://localhost:3000/reset?token=\([A-Za-z0-9._-]*\).*|\1|p' | head -1)
r=$(http POST /auth/password/reset -H 'Content-Type: application/json' \
    -d "{\"token\":\"$tok\",\"password\":\"new pass\"}")
[ "$r" = "204 " ] && ok opensmtpd_link_resets || fail opensmtpd_link_resets "$r"
r=$(login ann@example.com 'new pass')
case "$r" in "200 "*access_token*) ok opensmtpd_new_password ;;
*) fail opensmtpd_new_password "$r" ;; esac
