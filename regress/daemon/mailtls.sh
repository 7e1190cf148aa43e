#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# STARTTLS towards the relay (mail { starttls yes }): the mail goes over
# TLS to a relay whose certificate verifies for its address or for
# tls-name; a certificate for another name, or a relay that does not
# offer STARTTLS, keeps the mail in the outbox and nothing is sent in
# clear.  The relay is regress/smtpsink.py with a certificate made here.
. "$(dirname "$0")/../lib.sh"
need python3 openssl
td_init
SPORT=$(td_free_port)
SINK=
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=relay.test \
    -addext 'subjectAltName=IP:127.0.0.1,DNS:relay.test' \
    -keyout "$T/relay.key" -out "$T/relay.crt" 2>/dev/null ||
    { fail mailtls_cert "openssl req failed"; exit 1; }
chmod 0644 "$T/relay.crt"
td_conf "${TD_FAST_PASSWORD[@]}" 'auth {' '	login-stall 10ms' \
    '	reset-url-allow "http://localhost:3000/reset"' '}' \
    'mail {' "	relay 127.0.0.1; port $SPORT" '	from "noreply@example.com"' \
    '	starttls yes' "	ca-file \"$T/relay.crt\"" \
    "	reset-template \"$TOP/etc/mail-reset.txt\"" '	timeout 5s' '}'

outbox() { $CTL mail list 2>/dev/null | grep -c password-reset; }
request() {
	http POST /auth/password/request -H 'Content-Type: application/json' \
	    -d '{"email":"ann@example.com"}' >/dev/null
}
trap 'sink_stop; td_cleanup' EXIT

sink_start -t "$T/relay.crt" "$T/relay.key"
td_up mailtls
echo 'old pass' | $CTL user add ann@example.com >/dev/null

# Verified for the relay's address: delivered over TLS.
request
td_until '[ "$(mails)" -ge 1 ]' 50
[ "$(mails)" = 1 ] && grep -q '^X-Sink-TLS: yes' "$T/sink/mail.1" &&
    grep -q 'T: TLS started' "$T/sink/sessions" &&
    [ "$(grep -c '^C: EHLO' "$T/sink/sessions")" = 2 ] &&
    ok mailtls_delivered_over_tls ||
    fail mailtls_delivered_over_tls "$(mails) $(cat "$T/sink/sessions") $(grep 'mail 1' "$T/log")"

# A name the certificate does not hold: not sent, kept, logged.
sed -i 's/^\tstarttls yes$/&\n\ttls-name "other.test"/' "$T/tokend.conf"
$CTL reload >/dev/null
td_until 'grep -q "mail: configuration reloaded" "$T/log"' 30
request
td_until 'grep -q "mail 2 .*not delivered: TLS with other.test" "$T/log"' 50
[ "$(mails)" = 1 ] && [ "$(outbox)" = 1 ] &&
    [ "$(grep -c 'MAIL FROM' "$T/sink/sessions")" = 1 ] &&
    ok mailtls_wrong_name_refused ||
    fail mailtls_wrong_name_refused "$(mails) $(grep 'mail 2' "$T/log")"

# The name it holds: the mail waiting goes out.
sed -i 's/^\ttls-name "other.test"$/\ttls-name "relay.test"/' "$T/tokend.conf"
$CTL reload >/dev/null
$CTL mail flush >/dev/null
td_until '[ "$(mails)" -ge 2 ]' 50
[ "$(mails)" = 2 ] && [ "$(outbox)" = 0 ] &&
    grep -q '^X-Sink-TLS: yes' "$T/sink/mail.2" &&
    ok mailtls_name_verified || fail mailtls_name_verified "$(mails) $(grep 'mail 2' "$T/log")"

# A relay without STARTTLS: nothing in clear, the mail waits.
sink_stop
: > "$T/sink/sessions"
sink_start
request
td_until 'grep -q "mail 3 .*does not offer STARTTLS" "$T/log"' 50
[ "$(mails)" = 2 ] && [ "$(outbox)" = 1 ] &&
    ! grep -q 'MAIL FROM' "$T/sink/sessions" &&
    ok mailtls_no_downgrade || fail mailtls_no_downgrade "$(cat "$T/sink/sessions")"

# A ca-file that cannot be read: the mail process says so and exits
# (the parent keeps restarting it), nothing goes out.
kill -TERM $TD_PID; wait $TD_PID 2>/dev/null
sed -i "s|ca-file \"$T/relay.crt\"|ca-file \"$T/missing.crt\"|" "$T/tokend.conf"
td_start
td_until "grep -q 'mail ca-file $T/missing.crt' $T/log" 50
grep -q "mail ca-file $T/missing.crt" "$T/log" && ok mailtls_cafile_checked ||
    fail mailtls_cafile_checked "$(grep -i mail "$T/log" | tail -3)"
