#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Two-factor login (keyd/tfa.c): a user whose row carries a TFA secret
# (here imported as Directus keeps it, base32 text) logs in only with a
# current TOTP code: none or a wrong one is 401 INVALID_OTP, a code is
# taken once, one step either side is accepted; wrong codes count as
# failed logins; at its next start keyd seals the imported secret with
# its TFA key, and a sealed secret moved to another user opens for
# nobody.
. "$(dirname "$0")/../lib.sh"
need sqlite3 python3
td_init
td_conf 'auth {' '	login-stall 10ms' '	login-attempts 4' \
    '	login-lockout 3s' '	tfa-issuer "tokend tests"' '}' \
    "${TD_FAST_PASSWORD[@]}"
td_up tfa
CDB="$T/keyd/db/credentials.db"
SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
AID=$(echo 'alice pass' | $CTL user add alice@example.com)
BID=$(echo 'bob pass' | $CTL user add bob@example.com)
sql() { sqlite3 -cmd '.timeout 5000' "$CDB" "$1"; }
# code OFFSET: the TOTP code of the time step OFFSET steps from now.
code() { td_totp "$SECRET" "$1"; }
# tfa_login EMAIL PASSWORD [OTP] [ADDRESS]
tfa_login() {
	local body="{\"email\":\"$1\",\"password\":\"$2\"${3:+,\"otp\":\"$3\"}}"
	http POST /auth/login --interface "127.0.0.${4:-1}" \
	    -H 'Content-Type: application/json' -d "$body"
}
INVALID_OTP='401 {"errors":[{"message":"Invalid user OTP.","extensions":{"code":"INVALID_OTP"}}]}'

# Before: a user without a secret logs in with the password alone.
r=$(tfa_login alice@example.com 'alice pass')
case "$r" in "200 "*access_token*) ok tfa_none_password_alone ;;
*) fail tfa_none_password_alone "$r" ;; esac

# Imported as Directus keeps it, while tokend runs.
sql "UPDATE users SET tfa_secret = '$SECRET' WHERE id = '$AID'"
expect tfa_otp_missing_401 "$INVALID_OTP" "$(tfa_login alice@example.com 'alice pass')"
expect tfa_otp_wrong_401 "$INVALID_OTP" \
    "$(tfa_login alice@example.com 'alice pass' "$(code 5)" 7)"
expect tfa_otp_malformed_401 "$INVALID_OTP" \
    "$(tfa_login alice@example.com 'alice pass' 12345x 8)"
r=$(tfa_login alice@example.com 'wrong pass' "$(code 0)" 9)
case "$r" in "401 "*INVALID_CREDENTIALS*) ok tfa_password_first ;;
*) fail tfa_password_first "$r" ;; esac
c=$(code 0)
r=$(tfa_login alice@example.com 'alice pass' "$c" 2)
case "$r" in "200 "*access_token*) ok tfa_code_logs_in ;;
*) fail tfa_code_logs_in "$r" ;; esac
expect tfa_code_replay_refused "$INVALID_OTP" \
    "$(tfa_login alice@example.com 'alice pass' "$c" 2)"
expect tfa_earlier_step_refused "$INVALID_OTP" \
    "$(tfa_login alice@example.com 'alice pass' "$(code -1)" 10)"

# Wrong codes count like wrong passwords: address 3 fails on the
# account until it must wait, and then even a good code is refused.
# The good code follows the first refusal at once: the wait is a second
# or two, which a slow (sanitized) build could let pass otherwise: the
# codes are made before the first attempt.
: > "$T/r"
r=""
bad=$(code 7)
good=$(code 1)
for i in 1 2 3 4; do
	tfa_login alice@example.com 'alice pass' "$bad" 3 | cut -c1-3 >> "$T/r"
	if grep -q 429 "$T/r"; then
		r=$(tfa_login alice@example.com 'alice pass' "$good" 3)
		break
	fi
done
case "$(tr '\n' ' ' < "$T/r")$r" in *"429 {"*REQUESTS_EXCEEDED*)
	ok tfa_wrong_codes_count ;;
*) fail tfa_wrong_codes_count "$(tr '\n' ' ' < "$T/r") $r" ;; esac

# Sealed at the next start: the row no longer holds the secret.
kill -TERM "$TD_PID"; wait "$TD_PID"
cp "$T/log" "$T/log.first"
td_start || { fail tfa_restart "$(tail -5 $T/log)"; exit 1; }
v=$(sql "SELECT tfa_secret FROM users WHERE id = '$AID'")
# Nonce, the 32 characters, tag: 60 bytes, 80 of base64url, nothing else.
echo "$v" | grep -Eqx 'tokend-tfa-1:[A-Za-z0-9_-]{80}' &&
    ok tfa_sealed_at_start || fail tfa_sealed_at_start "$(echo "$v" | cat -v)"
grep -q "sealed the TFA secrets of 1 imported users" "$T/log" &&
    ok tfa_sealed_logged || fail tfa_sealed_logged "$(grep -i tfa $T/log)"
grep -q "$SECRET\|$(code 0)" "$T/log" "$T/log.first" &&
    fail tfa_secret_not_logged || ok tfa_secret_not_logged
[ "$(stat -c %a "$T/tfa-key")" = 600 ] && [ "$(stat -c %s "$T/tfa-key")" = 32 ] &&
    ok tfa_key_file || fail tfa_key_file "$(stat -c '%a %s' "$T/tfa-key")"
# The next step's code (the window), sealed secret and all.
r=$(tfa_login alice@example.com 'alice pass' "$(code 1)" 4)
tok=$(j access_token)
case "$r" in "200 "*access_token*) ok tfa_sealed_logs_in ;;
*) fail tfa_sealed_logs_in "$r" ;; esac
# Moved to another row, a sealed secret opens for nobody.
sql "UPDATE users SET tfa_secret = '$v' WHERE id = '$BID'"
r=$(tfa_login bob@example.com 'bob pass' "$(code 1)" 5)
case "$r" in "200 "*) fail tfa_moved_secret_refused "$r" ;;
*) ok tfa_moved_secret_refused ;; esac
grep -q "user $BID: TFA secret does not open" "$T/log" &&
    ok tfa_moved_secret_logged || fail tfa_moved_secret_logged
# Concealed when read.
r=$(http GET /users/me -H "Authorization: Bearer $tok")
case "$r" in *"$SECRET"*|*tokend-tfa-1*) fail tfa_secret_concealed "$r" ;;
"200 "*'"tfa_secret":"**********"'*) ok tfa_secret_concealed ;;
*) fail tfa_secret_concealed "$r" ;; esac

# The routes that turn it on and off, with Directus's answers.
post() {	# TOKEN PATH BODY
	http POST "$2" -H "Authorization: Bearer $1" \
	    -H 'Content-Type: application/json' -d "$3"
}
PAYLOAD='400 {"errors":[{"message":"Invalid payload. '
for u in carol dave erin frank; do
	echo "$u pass" | $CTL user add "$u@example.com" >/dev/null
done
CT=$(tfa_login carol@example.com 'carol pass' "" 11 >/dev/null; j access_token)
same tfa_generate_no_password "$PAYLOAD"'\"password\" is required.","extensions":{"code":"INVALID_PAYLOAD"}}]}' \
    "$(post "$CT" /users/me/tfa/generate '{}')"
r=$(post "$CT" /users/me/tfa/generate '{"password":"nope"}')
case "$r" in "401 "*INVALID_CREDENTIALS*) ok tfa_generate_wrong_password ;;
*) fail tfa_generate_wrong_password "$r" ;; esac
r=$(post "" /users/me/tfa/generate '{"password":"carol pass"}')
case "$r" in "401 "*INVALID_CREDENTIALS*) ok tfa_generate_anonymous_401 ;;
*) fail tfa_generate_anonymous_401 "$r" ;; esac
r=$(post "$CT" /users/me/tfa/generate '{"password":"carol pass"}')
SECRET=$(j secret)
case "$r" in "200 "*'"otpauth_url":"otpauth://totp/tokend%20tests:carol%40example.com?secret='"$SECRET"'&period=30&digits=6&algorithm=SHA1&issuer=tokend%20tests"'*)
	[ ${#SECRET} -eq 32 ] && ok tfa_generate || fail tfa_generate "$r" ;;
*) fail tfa_generate "$r" ;; esac
[ -z "$(sql "SELECT tfa_secret FROM users WHERE email = 'carol@example.com'")" ] &&
    ok tfa_generate_stores_nothing || fail tfa_generate_stores_nothing
same tfa_enable_no_secret "$PAYLOAD"'\"secret\" is required.","extensions":{"code":"INVALID_PAYLOAD"}}]}' \
    "$(post "$CT" /users/me/tfa/enable '{"otp":"123456"}')"
same tfa_enable_no_otp "$PAYLOAD"'\"otp\" is required.","extensions":{"code":"INVALID_PAYLOAD"}}]}' \
    "$(post "$CT" /users/me/tfa/enable '{"secret":"'"$SECRET"'"}')"
OTP_INVALID="$PAYLOAD"'\"otp\" is invalid.","extensions":{"code":"INVALID_PAYLOAD"}}]}'
same tfa_enable_wrong_otp "$OTP_INVALID" \
    "$(post "$CT" /users/me/tfa/enable '{"secret":"'"$SECRET"'","otp":"'"$(code 5)"'"}')"
same tfa_enable_bad_secret "$OTP_INVALID" \
    "$(post "$CT" /users/me/tfa/enable '{"secret":"not base32!","otp":"123456"}')"
c=$(code 0)
expect tfa_enable_204 "204 " \
    "$(post "$CT" /users/me/tfa/enable '{"secret":"'"$SECRET"'","otp":"'"$c"'"}')"
same tfa_enable_twice "$PAYLOAD"'TFA Secret is already set for this user.","extensions":{"code":"INVALID_PAYLOAD"}}]}' \
    "$(post "$CT" /users/me/tfa/enable '{"secret":"'"$SECRET"'","otp":"'"$(code 1)"'"}')"
expect tfa_enabled_needs_otp "$INVALID_OTP" "$(tfa_login carol@example.com 'carol pass' "" 12)"
expect tfa_enabling_code_spent "$INVALID_OTP" "$(tfa_login carol@example.com 'carol pass' "$c" 13)"
r=$(tfa_login carol@example.com 'carol pass' "$(code 1)" 14)
case "$r" in "200 "*access_token*) ok tfa_enabled_logs_in ;;
*) fail tfa_enabled_logs_in "$r" ;; esac
grep -q "user [0-9a-f-]*: two-factor authentication enabled by server" "$T/log" &&
    ok tfa_enable_logged || fail tfa_enable_logged
grep -q "$SECRET" "$T/log" && fail tfa_new_secret_not_logged ||
    ok tfa_new_secret_not_logged

# enable_for USER: generate and enable; the token in $TOK, the status
# of enable in $E.
enable_for() {
	tfa_login "$1@example.com" "$1 pass" "" 15 >/dev/null
	TOK=$(j access_token)
	post "$TOK" /users/me/tfa/generate "{\"password\":\"$1 pass\"}" >/dev/null
	SECRET=$(j secret)
	E=$(post "$TOK" /users/me/tfa/enable \
	    '{"secret":"'"$SECRET"'","otp":"'"$(code 0)"'"}' | cut -c1-3)
}
enable_for dave; [ "$E" = 204 ] || fail tfa_dave_enabled "$E"
same tfa_disable_no_otp "$PAYLOAD"'\"otp\" is required.","extensions":{"code":"INVALID_PAYLOAD"}}]}' \
    "$(post "$TOK" /users/me/tfa/disable '{}')"
same tfa_disable_wrong_otp "$OTP_INVALID" \
    "$(post "$TOK" /users/me/tfa/disable '{"otp":"'"$(code 5)"'"}')"
expect tfa_disable_204 "204 " \
    "$(post "$TOK" /users/me/tfa/disable '{"otp":"'"$(code 1)"'"}')"
r=$(tfa_login dave@example.com 'dave pass' "" 16)
case "$r" in "200 "*access_token*) ok tfa_disabled_password_alone ;;
*) fail tfa_disabled_password_alone "$r" ;; esac
DID=$(sql "SELECT id FROM users WHERE email = 'dave@example.com'")
same tfa_disable_none "$PAYLOAD"'User \"'"$DID"'\" doesn'"'"'t have TFA enabled.","extensions":{"code":"INVALID_PAYLOAD"}}]}' \
    "$(post "$TOK" /users/me/tfa/disable '{"otp":"123456"}')"

# An administrator turns it off for another; nobody else can.
enable_for erin; [ "$E" = 204 ] || fail tfa_erin_enabled "$E"
EID=$(sql "SELECT id FROM users WHERE email = 'erin@example.com'")
r=$(post "$TOK" "/users/$EID/tfa/disable" '')
case "$r" in "403 "*FORBIDDEN*) ok tfa_admin_disable_others_403 ;;
*) fail tfa_admin_disable_others_403 "$r" ;; esac
echo 'root pass' | $CTL user add -r admin root@example.com >/dev/null
RT=$(tfa_login root@example.com 'root pass' "" 17 >/dev/null; j access_token)
r=$(post "$RT" /users/00000000-0000-4000-8000-000000000000/tfa/disable '')
case "$r" in "403 "*FORBIDDEN*) ok tfa_admin_disable_unknown_403 ;;
*) fail tfa_admin_disable_unknown_403 "$r" ;; esac
expect tfa_admin_disable_204 "204 " "$(post "$RT" "/users/$EID/tfa/disable" '')"
r=$(tfa_login erin@example.com 'erin pass' "" 18)
case "$r" in "200 "*access_token*) ok tfa_admin_disabled_password_alone ;;
*) fail tfa_admin_disabled_password_alone "$r" ;; esac

# Walking through the codes of disable: wrong codes lock it.
enable_for frank; [ "$E" = 204 ] || fail tfa_frank_enabled "$E"
# The good code follows the first refusal at once (the lock is short:
# a second), so every code is made before the first request.
: > "$T/r"
r=""
good=$(code 1)
wrong=""
for i in 1 2 3 4 5; do wrong="$wrong $(code $((7 + i)))"; done
for w in $wrong; do
	post "$TOK" /users/me/tfa/disable '{"otp":"'"$w"'"}' |
	    cut -c1-3 >> "$T/r"
	if grep -q 429 "$T/r"; then
		r=$(post "$TOK" /users/me/tfa/disable '{"otp":"'"$good"'"}')
		break
	fi
done
case "$(tr '\n' ' ' < "$T/r")$r" in *"400 "*"429 {"*REQUESTS_EXCEEDED*)
	ok tfa_disable_codes_locked ;;
*) fail tfa_disable_codes_locked "$(tr '\n' ' ' < "$T/r") $r" ;; esac

# Recovery codes (a tokend extension): ten, shown once, each good for
# one login in place of a code.
echo 'gina pass' | $CTL user add gina@example.com >/dev/null
tfa_login gina@example.com 'gina pass' "" 19 >/dev/null
GT=$(j access_token)
GID=$(sql "SELECT id FROM users WHERE email = 'gina@example.com'")
same tfa_recovery_without_tfa "$PAYLOAD"'User \"'"$GID"'\" doesn'"'"'t have TFA enabled.","extensions":{"code":"INVALID_PAYLOAD"}}]}' \
    "$(post "$GT" /users/me/tfa/recovery-codes '{"otp":"123456"}')"
enable_for gina; [ "$E" = 204 ] || fail tfa_gina_enabled "$E"
same tfa_recovery_wrong_otp "$OTP_INVALID" \
    "$(post "$TOK" /users/me/tfa/recovery-codes '{"otp":"'"$(code 6)"'"}')"
r=$(post "$TOK" /users/me/tfa/recovery-codes '{"otp":"'"$(code 1)"'"}')
echo "${r#* }" | python3 -c 'import json,sys
for c in json.load(sys.stdin)["data"]["codes"]: print(c)' > "$T/codes" 2>/dev/null
[ "$(grep -Ecx '[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}' "$T/codes")" = 10 ] &&
    [ "$(sort -u "$T/codes" | wc -l)" = 10 ] && ok tfa_recovery_codes ||
    fail tfa_recovery_codes "$r"
[ "$(sql "SELECT count(*) FROM tfa_recovery WHERE user_id = '$GID'")" = 10 ] &&
    ! sql "SELECT hex(hash) FROM tfa_recovery" | grep -qi "$(head -1 "$T/codes" | tr -d -)" &&
    ok tfa_recovery_kept_hashed || fail tfa_recovery_kept_hashed
rc=$(sed -n 1p "$T/codes")
r=$(tfa_login gina@example.com 'gina pass' "$rc" 20)
case "$r" in "200 "*access_token*) ok tfa_recovery_logs_in ;;
*) fail tfa_recovery_logs_in "$r" ;; esac
expect tfa_recovery_once "$INVALID_OTP" "$(tfa_login gina@example.com 'gina pass' "$rc" 21)"
rc=$(sed -n 2p "$T/codes" | tr -d - | tr a-z A-Z)
r=$(tfa_login gina@example.com 'gina pass' "$rc" 22)
case "$r" in "200 "*access_token*) ok tfa_recovery_any_case ;;
*) fail tfa_recovery_any_case "$r" ;; esac
[ "$(sql "SELECT count(*) FROM tfa_recovery WHERE user_id = '$GID'")" = 8 ] &&
    ok tfa_recovery_used_up || fail tfa_recovery_used_up
grep -q "$(sed -n 3p "$T/codes")" "$T/log" && fail tfa_recovery_not_logged ||
    ok tfa_recovery_not_logged
r=$(post "$RT" "/users/$GID/tfa/disable" '')
[ "$(sql "SELECT count(*) FROM tfa_recovery WHERE user_id = '$GID'")" = 0 ] &&
    ok tfa_recovery_gone_with_tfa || fail tfa_recovery_gone_with_tfa "$r"

# A role may require TFA: its users without it get enforce_tfa in their
# access token, as Directus does; its policy shows it.
kill -TERM "$TD_PID"; wait "$TD_PID"
MEMBER=8d6f3b1b-5e4a-4f91-a0c1-4e5f60718293
cat >> "$T/tokend.conf" <<CONF
role "member" {
	id "$MEMBER"
	enforce-tfa yes
}
CONF
td_start || { fail tfa_enforce_start "$(tail -5 $T/log)"; exit 1; }
echo 'hank pass' | $CTL user add -r member hank@example.com >/dev/null
tfa_login hank@example.com 'hank pass' "" 23 >/dev/null
HT=$(j access_token)
case "$(jwt_payload "$HT")" in *'"admin_access":false,"enforce_tfa":true,"iat":'*)
	ok tfa_enforce_claim ;;
*) fail tfa_enforce_claim "$(jwt_payload "$HT")" ;; esac
tfa_login carol@example.com 'carol pass' "$(code 1)" 24 >/dev/null
case "$(jwt_payload "$(j access_token)")" in *enforce_tfa*)
	fail tfa_enforce_claim_other_roles "$(jwt_payload "$(j access_token)")" ;;
*) ok tfa_enforce_claim_other_roles ;; esac
r=$(http GET /users/me -H "Authorization: Bearer $HT")
r2=$(http GET '/users/me?fields=enforce_tfa' -H "Authorization: Bearer $HT")
case "$r|$r2" in '200 {"data":{"id":'*'"enforce_tfa":true}}|200 {"data":{"enforce_tfa":true}}')
	ok tfa_enforce_users_me ;;
*) fail tfa_enforce_users_me "$r|$r2" ;; esac
r=$(http GET '/policies?fields=name,enforce_tfa&filter=%7B%22name%22:%7B%22_eq%22:%22member%22%7D%7D' \
    -H "Authorization: Bearer $RT")
case "$r" in '200 {"data":[{"name":"member","enforce_tfa":true}]}') ok tfa_enforce_roles ;;
*) fail tfa_enforce_roles "$r" ;; esac
# Once the user has TFA, the claim is gone.
post "$HT" /users/me/tfa/generate '{"password":"hank pass"}' >/dev/null
SECRET=$(j secret)
post "$HT" /users/me/tfa/enable '{"secret":"'"$SECRET"'","otp":"'"$(code 0)"'"}' >/dev/null
tfa_login hank@example.com 'hank pass' "$(code 1)" 25 >/dev/null
case "$(jwt_payload "$(j access_token)")" in *'"admin_access":false,"iat":'*)
	ok tfa_enforce_claim_gone ;;
*) fail tfa_enforce_claim_gone "$(jwt_payload "$(j access_token)")" ;; esac
r=$(http GET '/users/me?fields=enforce_tfa' -H "Authorization: Bearer $(j access_token)")
same tfa_enforce_users_me_gone '200 {"data":{"enforce_tfa":false}}' "$r"

# An operator turns it off with tokenctl.
r=$($CTL user tfa-disable hank@example.com 2>&1)
[ "$r" = "two-factor authentication disabled" ] &&
    [ -z "$(sql "SELECT tfa_secret FROM users WHERE email = 'hank@example.com'")" ] &&
    ok tfa_tokenctl_disable || fail tfa_tokenctl_disable "$r"
r=$(tfa_login hank@example.com 'hank pass' "" 26)
case "$r" in "200 "*access_token*) ok tfa_tokenctl_disabled_password_alone ;;
*) fail tfa_tokenctl_disabled_password_alone "$r" ;; esac
r=$($CTL user tfa-disable nobody@example.com 2>&1)
[ "$r" = "no such user" ] && ok tfa_tokenctl_disable_unknown ||
    fail tfa_tokenctl_disable_unknown "$r"
