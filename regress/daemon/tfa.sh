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
    '	login-lockout 3s' '}' "${TD_FAST_PASSWORD[@]}"
td_up tfa
CDB="$T/keyd/db/credentials.db"
SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
AID=$(echo 'alice pass' | $CTL user add alice@example.com)
BID=$(echo 'bob pass' | $CTL user add bob@example.com)
sql() { sqlite3 -cmd '.timeout 5000' "$CDB" "$1"; }
# code OFFSET: the TOTP code of the time step OFFSET steps from now.
code() {
	python3 - "$SECRET" "$1" <<'PY'
import base64, hashlib, hmac, struct, sys, time
k = base64.b32decode(sys.argv[1])
t = int(time.time()) // 30 + int(sys.argv[2])
h = hmac.new(k, struct.pack(">Q", t), hashlib.sha1).digest()
o = h[-1] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000))
PY
}
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
for i in 1 2 3 4; do
	tfa_login alice@example.com 'alice pass' "$(code 7)" 3 | cut -c1-3
done > "$T/r"
r=$(tfa_login alice@example.com 'alice pass' "$(code 1)" 3)
case "$(tr '\n' ' ' < "$T/r")$r" in *"429 {"*REQUESTS_EXCEEDED*)
	ok tfa_wrong_codes_count ;;
*) fail tfa_wrong_codes_count "$(tr '\n' ' ' < "$T/r") $r" ;; esac

# Sealed at the next start: the row no longer holds the secret.
kill -TERM "$TD_PID"; wait "$TD_PID"
cp "$T/log" "$T/log.first"
td_start || { fail tfa_restart "$(tail -5 $T/log)"; exit 1; }
v=$(sql "SELECT tfa_secret FROM users WHERE id = '$AID'")
case "$v" in tokend-tfa-1:*) ok tfa_sealed_at_start ;;
*) fail tfa_sealed_at_start "$v" ;; esac
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
