#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# signing { algorithm }: EdDSA and ES256 tokens with their kid, the key
# files, the public key set and its discovery, and the forged headers
# the strict parser refuses (alg none, key confusion, jku, jwk, x5u,
# x5c, crit, unknown kids, wrong signature lengths).  HS256 stays the
# default, with a kid derived from the secret.
. "$(dirname "$0")/../lib.sh"
need python3 openssl
td_init
FORGE="python3 $TOP/regress/jwtforge.py"
SIGN="python3 $TOP/regress/jwtsign.py"
b64() { printf %s "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
hdr() { printf %s "$1" | cut -d. -f1 | tr '_-' '/+' |
    awk '{ while (length($0) % 4) $0 = $0 "="; print }' | base64 -d 2>/dev/null; }
me() { http GET /users/me -H "Authorization: Bearer $1"; }
stop() { kill -TERM "$TD_PID"; wait "$TD_PID" 2>/dev/null; }
start_alg() {
	td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" 'signing {' \
	    "	algorithm $1" ${2:+"	key \"$2\""} '}'
	: > "$T/log"
	td_up "signing_$1"
	CTL="$TOKENCTL -s $T/tokend.sock"
}

# --- HS256, the default: a kid derived from the secret, no public keys.
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}"
td_up signing_hs256
echo 'user pass' | $CTL user add dana@example.com >/dev/null
AT=$(token dana@example.com 'user pass')
H=$(hdr "$AT")
HSKID=$(printf %s "$H" | sed -n 's/.*"kid":"\([^"]*\)".*/\1/p')
case "$H" in '{"alg":"HS256","typ":"JWT","kid":"'*'"}') ok signing_hs256_header_kid ;;
*) fail signing_hs256_header_kid "$H" ;; esac
expect signing_hs256_token_works '200 *dana@example.com*' "$(me "$AT")"
# The kid reveals nothing of the secret: neither it nor its hash.
[ ${#HSKID} -eq 22 ] && ! grep -q "$HSKID" "$T/secret" &&
    [ "$HSKID" != "$(b64 "$(head -c 16 "$T/secret")")" ] &&
    ok signing_hs256_kid_opaque || fail signing_hs256_kid_opaque "$HSKID"
expect signing_hs256_jwks_empty '200 {"keys":[]}' "$(http GET /.well-known/jwks.json)"
expect signing_hs256_auth_jwks_empty '200 {"keys":[]}' "$(http GET /auth/jwks)"
P=$(jwt_payload "$AT")
# A token without kid, as Directus signs with the same secret: taken.
T1=$($SIGN "$T/secret" '{"alg":"HS256","typ":"JWT"}' "$P")
expect signing_hs256_no_kid_directus '200 *dana@example.com*' "$(me "$T1")"
T1=$($SIGN "$T/secret" "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"x$HSKID\"}" "$P")
expect signing_hs256_unknown_kid_403 '403 *INVALID_TOKEN*' "$(me "$T1")"
T1=$($SIGN "$T/secret" '{"alg":"EdDSA","typ":"JWT"}' "$P")
expect signing_hs256_refuses_eddsa_header '403 *INVALID_TOKEN*' "$(me "$T1")"
stop
td_start || fail signing_hs256_restart
AT2=$(token dana@example.com 'user pass')
[ "$(hdr "$AT2")" = "$H" ] && ok signing_hs256_kid_stable ||
    fail signing_hs256_kid_stable "$(hdr "$AT2")"
stop

# --- EdDSA: a key made on first start, mode 0600, next to the secret.
start_alg EdDSA
KEY="$T/secret-eddsa.pem"
[ "$(stat -c %a "$KEY" 2>/dev/null)" = 600 ] && ok signing_eddsa_key_created_0600 ||
    fail signing_eddsa_key_created_0600 "$(ls -l "$KEY" 2>&1)"
openssl pkey -in "$KEY" -pubout -out "$T/pub.pem" 2>/dev/null
KID=$($FORGE thumb "$T/pub.pem")
AT=$(token dana@example.com 'user pass')
H=$(hdr "$AT")
[ "$H" = "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"$KID\"}" ] &&
    ok signing_eddsa_header_thumbprint_kid || fail signing_eddsa_header_thumbprint_kid "$H / $KID"
$FORGE verify EdDSA "$T/pub.pem" "$AT" && ok signing_eddsa_verifies_with_openssl ||
    fail signing_eddsa_verifies_with_openssl
[ "$(printf %s "$AT" | cut -d. -f3 | wc -c)" -eq 87 ] && ok signing_eddsa_sig_64_bytes ||
    fail signing_eddsa_sig_64_bytes
expect signing_eddsa_token_works '200 *dana@example.com*' "$(me "$AT")"
RT=$(login dana@example.com 'user pass' >/dev/null; j refresh_token)
r=$(http POST /auth/refresh -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$RT\"}")
AT3=$(j access_token)
case "$r" in "200 "*) [ "$(hdr "$AT3")" = "$H" ] && ok signing_eddsa_refresh ||
    fail signing_eddsa_refresh "$(hdr "$AT3")" ;; *) fail signing_eddsa_refresh "$r" ;; esac

# The key set: one OKP key, its kid the token's; public, cached no
# longer than an access token lives (15 minutes here).
J=$($FORGE jwk "$T/pub.pem")
X=$(printf %s "$J" | sed -n 's/.*"x":"\([^"]*\)".*/\1/p')
want="{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"$X\",\"kid\":\"$KID\",\"alg\":\"EdDSA\",\"use\":\"sig\"}]}"
expect signing_jwks_eddsa "200 $want" "$(http GET /.well-known/jwks.json)"
grep -qi '^cache-control: public, max-age=900' "$T/h" && ok signing_jwks_cache_control ||
    fail signing_jwks_cache_control "$(grep -i cache-control "$T/h")"
grep -qi '^content-type: application/json' "$T/h" && ok signing_jwks_content_type ||
    fail signing_jwks_content_type
expect signing_auth_jwks_eddsa "200 $want" "$(http GET /auth/jwks)"
expect signing_jwks_post_404 '404 *' "$(http POST /.well-known/jwks.json -d '{}')"
expect signing_openid_configuration \
    "200 {\"issuer\":\"directus\",\"jwks_uri\":\"$URL/.well-known/jwks.json\",\"id_token_signing_alg_values_supported\":[\"EdDSA\"]}" \
    "$(http GET /.well-known/openid-configuration)"
expect signing_openid_bad_host_400 '400 *INVALID_QUERY*' \
    "$(http GET /.well-known/openid-configuration -H 'Host: evil.example/x?')"
# Hostile headers, each signed with the server's own key where a
# signature applies: the parser refuses them before any signature counts.
P=$(jwt_payload "$AT")
sign() { $FORGE sign EdDSA "$KEY" "$1" "$P" $2; }
T1=$(sign "{\"alg\":\"EdDSA\",\"kid\":\"$KID\"}")
expect signing_forged_control_own_key '200 *dana@example.com*' "$(me "$T1")"
T1="$(b64 "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"$KID\"}").$(b64 "$P")."
expect signing_alg_none_403 '403 *INVALID_TOKEN*' "$(me "$T1")"
T1="$(b64 '{"alg":"none"}').$(b64 "$P").$(printf %s "$AT" | cut -d. -f3)"
expect signing_alg_none_with_sig_403 '403 *INVALID_TOKEN*' "$(me "$T1")"
# Key confusion: HS256 with the public key (PEM, DER and raw) as secret.
openssl pkey -pubin -in "$T/pub.pem" -outform DER -out "$T/pub.der" 2>/dev/null
tail -c 32 "$T/pub.der" > "$T/pub.raw"
for form in pem der raw; do
	for h in "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"$KID\"}" '{"alg":"HS256","typ":"JWT"}'; do
		T1=$($SIGN "$T/pub.$form" "$h" "$P")
		me "$T1"
	done
done > "$T/confusion"
[ "$(grep -c '^403 .*INVALID_TOKEN' "$T/confusion")" -eq 6 ] &&
    ok signing_key_confusion_hs256_public_key_403 ||
    fail signing_key_confusion_hs256_public_key_403 "$(cat "$T/confusion")"
for member in "\"jku\":\"http://evil.example/jwks\"" \
    "\"jwk\":$J" "\"x5u\":\"http://evil.example/x5\"" \
    '"x5c":["MIIB"]' '"crit":["exp"]'; do
	T1=$(sign "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"$KID\",$member}")
	r=$(me "$T1")
	case "$r" in "403 "*INVALID_TOKEN*) ;; *) echo "$member: $r" ;; esac
done > "$T/members"
[ ! -s "$T/members" ] && ok signing_jku_jwk_x5u_x5c_crit_403 ||
    fail signing_jku_jwk_x5u_x5c_crit_403 "$(cat "$T/members")"
T1=$(sign "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"x$KID\"}")
expect signing_unknown_kid_403 '403 *INVALID_TOKEN*' "$(me "$T1")"
T1=$(sign '{"alg":"EdDSA","typ":"JWT"}')
expect signing_eddsa_without_kid_403 '403 *INVALID_TOKEN*' "$(me "$T1")"
openssl genpkey -algorithm ed25519 -out "$T/other.pem" 2>/dev/null
openssl pkey -in "$T/other.pem" -pubout -out "$T/other.pub" 2>/dev/null
T1=$($FORGE sign EdDSA "$T/other.pem" "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"$($FORGE thumb "$T/other.pub")\"}" "$P")
expect signing_other_key_own_kid_403 '403 *INVALID_TOKEN*' "$(me "$T1")"
T1=$($FORGE sign EdDSA "$T/other.pem" "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"$KID\"}" "$P")
expect signing_other_key_our_kid_403 '403 *INVALID_TOKEN*' "$(me "$T1")"
T1=$(sign "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"$KID\"}" short)
expect signing_sig_63_bytes_403 '403 *INVALID_TOKEN*' "$(me "$T1")"
T1=$(sign "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"$KID\"}" long)
expect signing_sig_65_bytes_403 '403 *INVALID_TOKEN*' "$(me "$T1")"
T1="$(printf %s "$AT" | cut -d. -f1,2).$(printf %s "$AT" | cut -d. -f3 | cut -c1-43)"
expect signing_sig_32_bytes_403 '403 *INVALID_TOKEN*' "$(me "$T1")"
openssl ecparam -name prime256v1 -genkey -noout -out "$T/p256.pem" 2>/dev/null
T1=$($FORGE sign ES256 "$T/p256.pem" "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"$KID\"}" "$P")
expect signing_es256_on_eddsa_server_403 '403 *INVALID_TOKEN*' "$(me "$T1")"
stop

# The key file keyd refuses: readable by others, or of another kind.
# The parent refuses the first already (tokend -n).
chmod 644 "$KEY"
conf_refused signing_conf_refuses_readable_key "$T/tokend.conf" "signing key $KEY"
# ...and keyd whenever it starts.
chmod 600 "$KEY"
: > "$T/log"
td_start || fail signing_restart "$(tail -3 "$T/log")"
chmod 644 "$KEY"
kill -9 "$(td_keyd)"
td_until 'grep -q "signing key .* accessible by group or others" "$T/log"' 100 &&
    ok signing_refuses_readable_key || fail signing_refuses_readable_key "$(tail -3 "$T/log")"
chmod 600 "$KEY"
td_until '[ "$(curl -s -m 1 $URL/server/health)" = "{\"status\":\"ok\"}" ]' 150 &&
    ok signing_recovers_after_fix || fail signing_recovers_after_fix
stop
start_alg EdDSA "$T/p256.pem"
td_until 'grep -q "is no Ed25519 key" "$T/log"' 100 &&
    ok signing_refuses_key_of_other_kind || fail signing_refuses_key_of_other_kind "$(tail -3 "$T/log")"
stop

# --- ES256 with the operator's PEM file: R||S signatures of 64 bytes.
start_alg ES256 "$T/p256.pem"
openssl pkey -in "$T/p256.pem" -pubout -out "$T/p256.pub" 2>/dev/null
KID=$($FORGE thumb "$T/p256.pub")
AT=$(token dana@example.com 'user pass')
[ "$(hdr "$AT")" = "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"$KID\"}" ] &&
    ok signing_es256_header_thumbprint_kid || fail signing_es256_header_thumbprint_kid "$(hdr "$AT")"
$FORGE verify ES256 "$T/p256.pub" "$AT" && ok signing_es256_rs_verifies_with_openssl ||
    fail signing_es256_rs_verifies_with_openssl
expect signing_es256_token_works '200 *dana@example.com*' "$(me "$AT")"
J=$($FORGE jwk "$T/p256.pub")
X=$(printf %s "$J" | sed -n 's/.*"x":"\([^"]*\)".*/\1/p')
Y=$(printf %s "$J" | sed -n 's/.*"y":"\([^"]*\)".*/\1/p')
expect signing_jwks_es256 "200 {\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"$X\",\"y\":\"$Y\",\"kid\":\"$KID\",\"alg\":\"ES256\",\"use\":\"sig\"}]}" \
    "$(http GET /.well-known/jwks.json)"
P=$(jwt_payload "$AT")
T1=$($SIGN "$T/p256.pub" "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"$KID\"}" "$P")
expect signing_es256_key_confusion_403 '403 *INVALID_TOKEN*' "$(me "$T1")"
T1=$($FORGE sign EdDSA "$KEY" "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"$KID\"}" "$P")
expect signing_eddsa_on_es256_server_403 '403 *INVALID_TOKEN*' "$(me "$T1")"
T1=$($FORGE sign ES256 "$T/p256.pem" "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"$KID\"}" "$P" short)
expect signing_es256_sig_63_bytes_403 '403 *INVALID_TOKEN*' "$(me "$T1")"
# The EdDSA token of before: its key is gone.
T1=$($FORGE sign EdDSA "$KEY" "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"$($FORGE thumb "$T/pub.pem")\"}" "$P")
expect signing_old_alg_token_refused '403 *INVALID_TOKEN*' "$(me "$T1")"
stop
