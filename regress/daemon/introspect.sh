#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# POST /auth/introspect (RFC 7662, issue 17 point 5) for a static token
# of introspect-role: active, sub, exp, iat, scope of a live access
# token, {"active":false} for anything else (forged, expired, ended,
# suspended, not a JWT); 404 without introspect-role, 403 or 401 for
# other callers.  And with EdDSA, on a worker that never saw the token
# (issue 17 point 4): an ended session's token and a forged signature
# are refused at once.
. "$(dirname "$0")/../lib.sh"
need python3 openssl
td_init
FORGE="python3 $TOP/regress/jwtforge.py"
GW=5e0c7a12-9b3d-4c8e-a1f2-3d4e5f607182
conf() {
	td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
	    'signing {' '	algorithm EdDSA' '}' \
	    "role \"gateway\" { id \"$GW\" }" "$@"
}
# flip TOKEN: the same token with its signature's first character changed.
flip() {
	local sig=${1##*.}
	local c=${sig:0:1}
	[ "$c" = A ] && c=B || c=A
	printf '%s.%s' "${1%.*}" "$c${sig:1}"
}
me() { http GET /users/me -H "Authorization: Bearer $1"; }
cookie() { printf 'Cookie: directus_session_token=%s' "$1"; }
rcookie() { sed -n 's/^[Ss]et-[Cc]ookie: directus_refresh_token=\([^;]*\);.*/\1/p' "$T/h" | tr -d '\r'; }

conf
td_up introspect
echo 'gw pass' | $CTL user add -r gateway gw@example.com >/dev/null
echo 'dana pass' | $CTL user add dana@example.com >/dev/null
echo 'eve pass' | $CTL user add eve@example.com >/dev/null
GT=$(echo | $CTL user token gw@example.com 2>/dev/null | tail -1)
DT=$(echo | $CTL user token dana@example.com 2>/dev/null | tail -1)
DANA=$($CTL user list 2>/dev/null | awk '/dana@example.com/ { print $1 }')
intro() {	# intro CALLER-TOKEN [curl args]: as a form unless told
	local t=$1
	shift
	http POST /auth/introspect ${t:+-H "Authorization: Bearer $t"} "$@"
}
form() { intro "$GT" -H 'Content-Type: application/x-www-form-urlencoded' --data-raw "token=$1"; }

# --- Off without introspect-role.
expect introspect_off_404 '404 *ROUTE_NOT_FOUND*' "$(form x)"
conf 'auth {' '	introspect-role "gateway"' '}'
td_reload >/dev/null

# --- The callers.
AT=$(token dana@example.com 'dana pass')
expect introspect_no_credential_403 '403 *FORBIDDEN*' \
    "$(intro '' -H 'Content-Type: application/x-www-form-urlencoded' -d "token=$AT")"
expect introspect_bad_static_401 '401 *INVALID_CREDENTIALS*' \
    "$(intro nope -H 'Content-Type: application/x-www-form-urlencoded' -d "token=$AT")"
expect introspect_other_role_403 '403 *FORBIDDEN*' \
    "$(intro "$DT" -H 'Content-Type: application/x-www-form-urlencoded' -d "token=$AT")"
GJ=$(token gw@example.com 'gw pass')
expect introspect_jwt_caller_403 '403 *FORBIDDEN*' \
    "$(intro "$GJ" -H 'Content-Type: application/x-www-form-urlencoded' -d "token=$AT")"
expect introspect_text_plain_415 '415 *UNSUPPORTED_MEDIA_TYPE*' \
    "$(intro "$GT" -H 'Content-Type: text/plain' -d "token=$AT")"
expect introspect_missing_token_400 '400 *token?" is required*INVALID_PAYLOAD*' \
    "$(intro "$GT" -H 'Content-Type: application/x-www-form-urlencoded' -d 'token_type_hint=access_token')"
expect introspect_empty_body_400 '400 *INVALID_PAYLOAD*' "$(intro "$GT")"
expect introspect_token_twice_400 '400 *INVALID_PAYLOAD*' \
    "$(intro "$GT" -H 'Content-Type: application/x-www-form-urlencoded' -d "token=$AT&token=$AT")"
expect introspect_bad_json_400 '400 *INVALID_PAYLOAD*' \
    "$(intro "$GT" -H 'Content-Type: application/json' -d '{"token":1}')"

# --- A live access token, as a form and as JSON.
P=$(jwt_payload "$AT")
EXP=$(printf %s "$P" | sed -n 's/.*"exp":\([0-9]*\).*/\1/p')
IAT=$(printf %s "$P" | sed -n 's/.*"iat":\([0-9]*\).*/\1/p')
want="{\"active\":true,\"sub\":\"$DANA\",\"exp\":$EXP,\"iat\":$IAT,\"iss\":\"directus\"*"
expect introspect_form_active "200 $want" "$(form "$AT")"
grep -qi '^cache-control: no-store' "$T/h" && ok introspect_no_store ||
    fail introspect_no_store "$(grep -i cache-control "$T/h")"
expect introspect_json_active "200 $want" \
    "$(intro "$GT" -H 'Content-Type: application/json' -d "{\"token\":\"$AT\",\"token_type_hint\":\"access_token\"}")"
[ -n "$DANA" ] && [ -n "$EXP" ] && [ -n "$IAT" ] && ok introspect_claims_known ||
    fail introspect_claims_known "$DANA $EXP $IAT"
# The admin's access shows in scope.
echo 'root pass' | $CTL user add -r admin root@example.com >/dev/null
RA=$(token root@example.com 'root pass')
r=$(form "$RA")
case "$r" in '200 {"active":true,'*'"scope":"admin app"}') ok introspect_scope_admin_app ;;
*) fail introspect_scope_admin_app "$r" ;; esac

# --- Anything else: inactive, no detail.
expect introspect_garbage_inactive '200 {"active":false}' "$(form garbage)"
expect introspect_forged_inactive '200 {"active":false}' "$(form "$(flip "$AT")")"
expect introspect_static_inactive '200 {"active":false}' "$(form "$DT")"
RT=$(login dana@example.com 'dana pass' >/dev/null; j refresh_token)
expect introspect_refresh_inactive '200 {"active":false}' "$(form "$RT")"
EP=$(printf %s "$P" | sed 's/"exp":[0-9]*/"exp":1000/')
KID=$(printf %s "$AT" | cut -d. -f1 | tr '_-' '/+' |
    awk '{ while (length($0) % 4) $0 = $0 "="; print }' | base64 -d 2>/dev/null |
    sed -n 's/.*"kid":"\([^"]*\)".*/\1/p')
ET=$($FORGE sign EdDSA "$T/secret-eddsa.pem" "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"$KID\"}" "$EP")
expect introspect_expired_inactive '200 {"active":false}' "$(form "$ET")"
expect introspect_long_inactive '200 {"active":false}' "$(form "$(head -c 5000 /dev/zero | tr '\0' a)")"
# A suspended user's token: inactive at once.
ET=$(token eve@example.com 'eve pass')
expect introspect_eve_active '200 {"active":true*' "$(form "$ET")"
$CTL user suspend eve@example.com >/dev/null
expect introspect_suspended_inactive '200 {"active":false}' "$(form "$ET")"

# --- Session mode: active until the session ends, then inactive at once.
login dana@example.com 'dana pass' session >/dev/null
SK=$(session_cookie)
RK=$(rcookie)
expect introspect_session_active '200 {"active":true*' "$(form "$SK")"
http POST /auth/logout -H 'Content-Type: application/json' -H "Origin: $URL" \
    -d '{"mode":"session"}' -H "Cookie: directus_session_token=$SK; directus_refresh_token=$RK" >/dev/null
expect introspect_session_ended_inactive '200 {"active":false}' "$(form "$SK")"

# --- EdDSA on cold workers: never-seen tokens, refused at once.
login dana@example.com 'dana pass' session >/dev/null
SK=$(session_cookie)
RK=$(rcookie)
r=$(http POST /auth/logout -H 'Content-Type: application/json' -H "Origin: $URL" \
    -d '{"mode":"session"}' -H "Cookie: directus_session_token=$SK; directus_refresh_token=$RK")
case "$r" in "204 "*) ;; *) fail introspect_cold_logout "$r" ;; esac
for i in 1 2 3 4; do http GET /users/me -H "$(cookie "$SK")"; echo; done > "$T/cold"
[ "$(grep -c '^401 .*INVALID_CREDENTIALS' "$T/cold")" -eq 4 ] &&
    ok eddsa_cold_ended_session_401 || fail eddsa_cold_ended_session_401 "$(cat "$T/cold")"
AT=$(token dana@example.com 'dana pass')
for i in 1 2 3 4; do me "$(flip "$AT")"; echo; done > "$T/cold"
[ "$(grep -c '^403 .*INVALID_TOKEN' "$T/cold")" -eq 4 ] &&
    ok eddsa_cold_forged_signature_403 || fail eddsa_cold_forged_signature_403 "$(cat "$T/cold")"
expect eddsa_cold_real_token_200 '200 *dana@example.com*' "$(me "$AT")"

sed 's|^	introspect-role .*|	introspect-role "nosuch"|' "$T/tokend.conf" > "$T/bad.conf"
conf_refused introspect_role_unknown_refused "$T/bad.conf" 'introspect-role "nosuch": no such role'
