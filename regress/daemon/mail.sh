#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Password reset by mail, through the mail process and keyd's outbox, to
# the SMTP sink of regress/smtpsink.py: a request mails one working link
# to an active user and nothing for an unknown email, with the same
# answer; the token resets the password once and ends the sessions; the
# relay down then up, a 4xx then 250, a 5xx, and tokend killed with mail
# in the outbox each end with the mail delivered once or dropped and
# logged; no value of the request reaches a header.
. "$(dirname "$0")/../lib.sh"
need python3
td_init
SPORT=$(td_free_port)
SINK=
ALLOW='http://localhost:3000/reset, http://app.test/account/reset'
td_conf "${TD_FAST_PASSWORD[@]}" 'auth {' '	login-stall 200ms' \
    "	reset-url-allow \"$ALLOW\"" '}' \
    'mail {' "	relay 127.0.0.1; port $SPORT" '	from "noreply@example.com"' \
    '	project "Regress Co"' "	reset-template \"$TOP/etc/mail-reset.txt\"" \
    '	timeout 5s' '}'

outbox() { $CTL mail list 2>/dev/null | grep -c password-reset; }
request() {
	http POST /auth/password/request -H 'Content-Type: application/json' \
	    -d "$1"
}
reset() {
	http POST /auth/password/reset -H 'Content-Type: application/json' \
	    -d "{\"token\":\"$1\",\"password\":\"$2\"}"
}
trap 'sink_stop; td_cleanup' EXIT

sink_start
td_up mail
ANN=$(echo 'old pass' | $CTL user add -r admin ann@example.com)
echo 'bob pass' | $CTL user add bob@example.com >/dev/null
$CTL user suspend bob@example.com >/dev/null

# The mail process: its own user, in its chroot, started by the parent.
MP=$(td_mail)
st=$(awk '/^Uid:/ { print $2 }' /proc/$MP/status 2>/dev/null)
[ -n "$MP" ] && [ "$st" = "$(id -u _tokend_mail)" ] &&
    [ "$(readlink /proc/$MP/root)" = "$T/empty" ] &&
    grep -q '^Seccomp:[[:space:]]*2' /proc/$MP/status && ok mail_process_confined ||
    fail mail_process_confined "pid '$MP' uid '$st' root $(readlink /proc/$MP/root)"

# A session of ann's, to be ended by the reset.
login ann@example.com 'old pass' >/dev/null
RT=$(j refresh_token)

# A request for an active user: 204, one mail with a working link.
t0=$(date +%s%N)
r=$(request '{"email":"ann@example.com","reset_url":"http://localhost:3000/reset"}')
t1=$(date +%s%N)
cp "$T/h" "$T/h.known"
expect mail_request_204 '204 ' "$r"
td_until '[ "$(mails)" -ge 1 ]' 50
M="$T/sink/mail.1"
[ "$(mails)" = 1 ] && grep -q '^X-Sink-To: <ann@example.com>' "$M" &&
    grep -q '^Subject: Password Reset Request' "$M" &&
    grep -q '^From: "Regress Co" <noreply@example.com>' "$M" &&
    grep -q 'reset the password of ann@example.com on Regress Co' "$M" &&
    ok mail_reset_delivered || fail mail_reset_delivered "$(cat "$M" 2>/dev/null | head -20)"
TOKEN=$(sed -n 's|^http://localhost:3000/reset?token=\([A-Za-z0-9._-]*\).*|\1|p' "$M" | tr -d '\r')
[ -n "$TOKEN" ] && ok mail_reset_link || fail mail_reset_link "$(grep token "$M")"
[ "$(outbox)" = 0 ] && ok mail_outbox_emptied || fail mail_outbox_emptied "$($CTL mail list)"

# An unknown email, and a suspended user: the same 204 in the same time,
# and no mail.
t2=$(date +%s%N)
r=$(request '{"email":"nobody@example.com","reset_url":"http://localhost:3000/reset"}')
t3=$(date +%s%N)
r2=$(request '{"email":"bob@example.com"}')
sleep 1.2
hk=$(grep -v -i '^date:' "$T/h.known" | cut -d: -f1 | sort | tr '\n' ' ')
hu=$(grep -v -i '^date:' "$T/h" | cut -d: -f1 | sort | tr '\n' ' ')
[ "$r" = '204 ' ] && [ "$r2" = '204 ' ] && [ "$(mails)" = 1 ] && [ "$hk" = "$hu" ] &&
    ok mail_unknown_same_answer_no_mail || fail mail_unknown_same_answer_no_mail "$r|$r2|$(mails)|$hk|$hu"
k=$(( (t1 - t0) / 1000000 )) u=$(( (t3 - t2) / 1000000 ))
[ $k -ge 200 ] && [ $u -ge 200 ] && [ $k -lt 5000 ] && [ $u -lt 5000 ] &&
    ok mail_request_stalled || fail mail_request_stalled "known ${k}ms unknown ${u}ms"

# reset_url off the allow list: Directus's 400; the origin and path of
# an entry with a query of its own is allowed.
r=$(request '{"email":"ann@example.com","reset_url":"http://evil.test/reset"}')
expect mail_reset_url_refused '400 *Invalid payload. URL ?"http://evil.test/reset?" can?t be used to reset passwords.*INVALID_PAYLOAD*' "$r"
r=$(request '{"email":"ann@example.com","reset_url":"http://localhost:3000/reset/x"}')
expect mail_reset_url_prefix_refused '400 *INVALID_PAYLOAD*' "$r"
r=$(request '{"email":"nobody@example.com","reset_url":"http://app.test/account/reset?lang=en"}')
expect mail_reset_url_path_allowed '204 ' "$r"
r=$(request '{"reset_url":"http://localhost:3000/reset"}')
expect mail_request_email_required '400 *?"email?" is required.*INVALID_PAYLOAD*' "$r"

# Header injection: CR or LF in any value that could reach the mail is
# refused before anything is sent.
n0=$(mails)
r1=$(request '{"email":"ann@example.com\r\nBcc: eve@evil.test","reset_url":"http://localhost:3000/reset"}')
r2=$(request '{"email":"ann@example.com","reset_url":"http://localhost:3000/reset\r\nBcc: eve@evil.test"}')
r3=$(request '{"email":"ann@example.com","reset_url":"http://localhost:3000/reset?x=\nBcc:eve@evil.test"}')
r4=$(request '{"email":"ann@example.com","reset_url":"http://localhost:3000/reset?x=a b"}')
sleep 0.5
case "$r1$r2$r3$r4" in
400*400*400*400*) ! grep -ql 'eve@evil' "$T/sink"/mail.* "$T/sink/sessions" &&
    [ "$(mails)" = "$n0" ] && ok mail_header_injection_refused ||
    fail mail_header_injection_refused "mail sent" ;;
*)	fail mail_header_injection_refused "$r1|$r2|$r3|$r4" ;;
esac
cat "$T/tokend.conf" > "$T/inj.conf"
printf 'mail {\n\tproject "Caf\303\251"\n}\n' >> "$T/inj.conf"
out=$("$TOKEND" -n -f "$T/inj.conf" 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q 'mail project.*non-ASCII' &&
    ok mail_config_control_refused || fail mail_config_control_refused "$out"
cat "$T/tokend.conf" > "$T/host.conf"
printf 'mail {\n\thostname "a.test\tb"\n}\n' >> "$T/host.conf"
out=$("$TOKEND" -n -f "$T/host.conf" 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q 'mail hostname' &&
    ok mail_config_hostname_refused || fail mail_config_hostname_refused "$out"

# The token: resets the password once, ends the sessions.
r=$(reset "$TOKEN" 'new pass')
expect mail_reset_204 '204 ' "$r"
grep -q "user $ANN: password changed by server [0-9]* (pid [0-9]*)$" "$T/log" &&
    ok mail_reset_logged || fail mail_reset_logged "$(grep "user $ANN" "$T/log" | tail -3)"
r=$(login ann@example.com 'old pass')
expect mail_old_password_refused '401 *INVALID_CREDENTIALS*' "$r"
r=$(login ann@example.com 'new pass')
expect mail_new_password_works '200 *access_token*' "$r"
r=$(http POST /auth/refresh -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$RT\"}")
expect mail_reset_ended_sessions '401 *' "$r"
r=$(reset "$TOKEN" 'third pass')
expect mail_token_single_use '403 *FORBIDDEN*' "$r"
sig=${TOKEN##*.}
! grep -qF -e "$sig" -e "$TOKEN" "$T/log" && ok mail_token_not_logged ||
    fail mail_token_not_logged "$(grep -F "$sig" "$T/log" | head -2)"
r=$(reset "${TOKEN%?}x" 'third pass')
expect mail_token_forged '403 *INVALID_TOKEN*' "$r"
AT=$(token ann@example.com 'new pass')
r=$(reset "$AT" 'third pass')
expect mail_access_token_not_reset_token '403 *FORBIDDEN*' "$r"
r=$(http POST /auth/password/reset -H 'Content-Type: application/json' -d '{"password":"x"}')
expect mail_reset_token_required '400 *?"token?" is required.*INVALID_PAYLOAD*' "$r"

# The relay down, then up: kept in the outbox, delivered once; a second
# request meanwhile adds no mail.
sink_stop
request '{"email":"ann@example.com"}' >/dev/null
td_until 'grep -q "mail 2 .*not delivered.*Connection refused" "$T/log"' 50
request '{"email":"ann@example.com"}' >/dev/null
[ "$(outbox)" = 1 ] && grep -q 'a reset mail waits already' "$T/log" &&
    ok mail_relay_down_kept || fail mail_relay_down_kept "$($CTL mail list)"
sink_start
td_until '[ "$(mails)" -ge 2 ]' 60
sleep 1
[ "$(mails)" = 2 ] && [ "$(outbox)" = 0 ] &&
    grep -q '^http://localhost:3000/reset?token=' "$T/sink/mail.2" &&
    ok mail_relay_up_delivered_once || fail mail_relay_up_delivered_once "$(mails) $($CTL mail list)"

# The mail process killed: the parent starts another and links it to
# keyd; the next mails go through it.
kill -KILL "$MP"
td_until '[ -n "$(td_mail)" ] && [ "$(td_mail)" != "$MP" ] &&
    [ "$(grep -c "channel to the mail process added" "$T/log")" -ge 2 ]' 50
[ -n "$(td_mail)" ] && [ "$(td_mail)" != "$MP" ] && ok mail_process_respawned ||
    fail mail_process_respawned "$(grep -i 'mail' "$T/log" | tail -3)"

# keyd killed: it comes back with the outbox and a new channel to a
# mail process.
n0=$(grep -c "channel to the mail process added" "$T/log")
kill -KILL "$(td_keyd)"
td_until '[ "$(grep -c "channel to the mail process added" "$T/log")" -gt $n0 ] &&
    [ "$(curl -s -m 1 $URL/server/health)" = "{\"status\":\"ok\"}" ]' 80
[ "$(grep -c "channel to the mail process added" "$T/log")" -gt $n0 ] &&
    ok mail_keyd_restart_relinked || fail mail_keyd_restart_relinked "$(tail -5 "$T/log")"

# 4xx, then 250: one delivery.
echo tempfail-once > "$T/sink/mode"
request '{"email":"ann@example.com"}' >/dev/null
td_until '[ "$(mails)" -ge 3 ]' 60
sleep 1
[ "$(mails)" = 3 ] && grep -q 'D: .*tempfail' "$T/sink/sessions" &&
    grep -q 'mail 3 .*not delivered: 451' "$T/log" &&
    ok mail_tempfail_then_delivered_once || fail mail_tempfail_then_delivered_once "$(mails) $(tail -3 "$T/sink/sessions")"

# 5xx: dropped and logged.
echo permfail > "$T/sink/mode"
request '{"email":"ann@example.com"}' >/dev/null
td_until 'grep -q "mail 4 .*refused by the relay: 554" "$T/log"' 50
[ "$(mails)" = 3 ] && [ "$(outbox)" = 0 ] &&
    grep -q 'mail 4 .*refused by the relay: 554.*dropped' "$T/log" &&
    ok mail_permfail_dropped_logged || fail mail_permfail_dropped_logged "$(grep 'mail 4' "$T/log")"
echo ok > "$T/sink/mode"

# tokenctl mail list and flush.
sink_stop
request '{"email":"ann@example.com"}' >/dev/null
td_until 'grep -q "mail 5 .*not delivered" "$T/log"' 50
l=$($CTL mail list)
f=$($CTL mail flush)
echo "$l" | grep -q "^5	password-reset	[0-9a-f-]*	ann@example.com	" &&
    [ "$f" = "1 mail to send now" ] && ok mail_tokenctl_list_flush ||
    fail mail_tokenctl_list_flush "$l|$f"

# kill -9 of tokend with the mail in the outbox: sent once after the
# restart.
{ kill -KILL $TD_PID $(td_tree $TD_PID); wait $TD_PID; } 2>/dev/null
sink_start
td_start || { fail mail_restart "$(tail -5 "$T/log")"; exit 1; }
td_until '[ "$(mails)" -ge 4 ]' 100
sleep 1
[ "$(mails)" = 4 ] && [ "$(outbox)" = 0 ] &&
    ok mail_outbox_survives_kill_delivered_once ||
    fail mail_outbox_survives_kill_delivered_once "$(mails) $($CTL mail list)"

# A newer request's token ends the earlier ones: only the last link works.
link() { sed -n 's|^http://localhost:3000/reset?token=\([A-Za-z0-9._-]*\).*|\1|p' \
    "$T/sink/mail.$1" | tr -d '\r'; }
request '{"email":"ann@example.com"}' >/dev/null
td_until '[ "$(mails)" -ge 5 ] && [ "$(outbox)" = 0 ]' 50
request '{"email":"ann@example.com"}' >/dev/null
td_until '[ "$(mails)" -ge 6 ]' 50
T1=$(link 5) T2=$(link 6)
r1=$(reset "$T1" 'fourth pass')
r2=$(reset "$T2" 'fourth pass')
[ -n "$T1" ] && [ -n "$T2" ] && [[ $r1 == '403 '*FORBIDDEN* ]] && [ "$r2" = '204 ' ] &&
    ok mail_newer_token_ends_older || fail mail_newer_token_ends_older "$r1|$r2"

# A mail that cannot be delivered before it expires (reset-ttl) is
# logged and dropped.
sed -i 's/^\treset-url-allow/\treset-ttl 2s\n&/' "$T/tokend.conf"
$CTL reload >/dev/null
sink_stop
request '{"email":"ann@example.com"}' >/dev/null
td_until 'grep -q "mail 8 .*expired after [0-9]* attempts: dropped" "$T/log"' 60
[ "$(outbox)" = 0 ] && grep -q 'mail 8 .*expired after' "$T/log" &&
    ok mail_expired_dropped_logged ||
    fail mail_expired_dropped_logged "$($CTL mail list) $(grep 'mail 8' "$T/log")"
