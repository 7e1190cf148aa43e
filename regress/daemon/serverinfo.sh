#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# GET /server/info, GET /auth, GET /server/specs/oas and PATCH
# /users/me/track/page, each against what Directus 11.3.5 answered (in
# the comments), with tokend's values where Directus has its own.  The
# OpenAPI document is checked by a validator (@apidevtools/swagger-parser,
# regress/interop) and must hold every route of tokend -R.
. "$(dirname "$0")/../lib.sh"
need python3
td_sdk serverinfo
td_init
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'limits {' '	query-limit 200' '	rate-limit 500 per 2s' '}' \
    'mail {' '	project "Acme"' '}' \
    'auth {' '	register yes' '	register-verify no' '}'
td_up serverinfo
echo 'admin pass' | $CTL user add -r admin root@example.com >/dev/null
echo 'user pass' | $CTL user add dana@example.com >/dev/null
AT=$(token root@example.com 'admin pass')
UT=$(token dana@example.com 'user pass')

# Directus, no token (no settings stored):
# {"data":{"project":{"project_name":"Directus","project_color":"#6644FF",
#  "default_language":"en-US","default_appearance":"auto",
#  "public_registration":false,"public_registration_verify_email":true}}}
PROJECT='{"project_name":"Acme","project_color":"#6644FF","default_language":"en-US","default_appearance":"auto","public_registration":true,"public_registration_verify_email":false}'
same serverinfo_public "200 {\"data\":{\"project\":$PROJECT}}" \
    "$(http GET /server/info)"
grep -qi '^content-type: application/json; charset=utf-8' "$T/h" &&
    ok serverinfo_type || fail serverinfo_type
# Directus, a user's or an administrator's token alike, with
# RATE_LIMITER_POINTS=500, RATE_LIMITER_DURATION=2, QUERY_LIMIT_MAX=200:
# ...,"rateLimit":{"points":500,"duration":2},"rateLimitGlobal":false,
# "extensions":{"limit":null},"queryLimit":{"default":100,"max":200},
# "websocket":false,"version":"11.3.5"}}
VERSION=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
MORE="\"rateLimit\":{\"points\":500,\"duration\":2},\"rateLimitGlobal\":false,\"extensions\":{\"limit\":null},\"queryLimit\":{\"default\":100,\"max\":200},\"websocket\":false,\"version\":\"$VERSION\""
same serverinfo_user "200 {\"data\":{\"project\":$PROJECT,$MORE}}" \
    "$(with_token "$UT" GET /server/info)"
same serverinfo_admin "200 {\"data\":{\"project\":$PROJECT,$MORE}}" \
    "$(with_token "$AT" GET /server/info)"
# The same members, in the same order, of the same JSON types as the
# answers Directus gave (recorded above), to the public and to a user.
shape() {
	python3 -c 'import json, sys
def walk(v, p):
	if isinstance(v, dict):
		for k in v: walk(v[k], p + "." + k)
	print(p, type(v).__name__)
walk(json.loads(sys.argv[1]), "")' "$1"
}
DIRECTUS_PUBLIC='{"data":{"project":{"project_name":"Directus","project_color":"#6644FF","default_language":"en-US","default_appearance":"auto","public_registration":false,"public_registration_verify_email":true}}}'
DIRECTUS_USER='{"data":{"project":{"project_name":"Directus","project_color":"#6644FF","default_language":"en-US","default_appearance":"auto","public_registration":false,"public_registration_verify_email":true},"rateLimit":{"points":500,"duration":2},"rateLimitGlobal":false,"extensions":{"limit":null},"queryLimit":{"default":100,"max":200},"websocket":false,"version":"11.3.5"}}'
http GET /server/info >/dev/null
[ "$(shape "$(cat "$T/body")")" = "$(shape "$DIRECTUS_PUBLIC")" ] &&
    ok serverinfo_public_shape || fail serverinfo_public_shape "$(cat "$T/body")"
for t in "$UT" "$AT"; do
	with_token "$t" GET /server/info >/dev/null
	[ "$(shape "$(cat "$T/body")")" = "$(shape "$DIRECTUS_USER")" ] &&
	    echo ok || echo "FAILED $(cat "$T/body")"
done > "$T/shapes"
[ "$(grep -c '^ok' "$T/shapes")" = 2 ] && ok serverinfo_user_shape ||
    fail serverinfo_user_shape "$(grep -v '^ok' "$T/shapes")"
STATIC=$($CTL user token dana@example.com 2>&1)
same serverinfo_static_token "200 {\"data\":{\"project\":$PROJECT,$MORE}}" \
    "$(http GET "/server/info?access_token=$STATIC")"
# Directus: a bad token is refused, not taken for the public role.
same serverinfo_bad_token '401 {"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}' \
    "$(with_token "not-a-token" GET /server/info)"
# Directus ignores a parameter it does not use; tokend says so.
same serverinfo_unknown_param '400 {"errors":[{"message":"Invalid query. \"fields\" is not a parameter of /server/info.","extensions":{"code":"INVALID_QUERY"}}]}' \
    "$(http GET '/server/info?fields=project')"
expect serverinfo_post_404 '404 *ROUTE_NOT_FOUND*' "$(http POST /server/info)"

# Directus: {"data":[],"disableDefault":false}, with or without
# sessionOnly (the SDK's readProviders(true) sends "?sessionOnly").
for q in '' '?sessionOnly' '?sessionOnly=true' '?sessionOnly=false'; do
	same "serverinfo_auth_providers$q" '200 {"data":[],"disableDefault":false}' \
	    "$(http GET "/auth$q")"
done
same serverinfo_auth_providers_user '200 {"data":[],"disableDefault":false}' \
    "$(with_token "$UT" GET /auth)"
same serverinfo_auth_bad_token '401 {"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}' \
    "$(with_token "not-a-token" GET /auth)"
same serverinfo_auth_unknown_param '400 {"errors":[{"message":"Invalid query. \"limit\" is not a parameter of /auth.","extensions":{"code":"INVALID_QUERY"}}]}' \
    "$(http GET '/auth?limit=1')"
# A hostile name is echoed through the JSON encoder only, cut short.
same serverinfo_auth_hostile_param '400 {"errors":[{"message":"Invalid query. \"a?b?c\" is not a parameter of /auth.","extensions":{"code":"INVALID_QUERY"}}]}' \
    "$(http GET '/auth?a%22b%5Cc=1')"

# The OpenAPI document: Directus lets anybody read it (the public gets
# the paths its permissions reach, and Directus's version); tokend's
# holds the whole table and its version, so only a signed-in user gets it.
same serverinfo_oas_public '403 {"errors":[{"message":"You don'"'"'t have permission to access this.","extensions":{"code":"FORBIDDEN"}}]}' \
    "$(http GET /server/specs/oas)"
expect serverinfo_oas_admin '200 {"openapi":"3.0.1",*' \
    "$(with_token "$AT" GET /server/specs/oas)"
expect serverinfo_oas_user '200 {"openapi":"3.0.1",*' \
    "$(with_token "$UT" GET /server/specs/oas)"
cp "$T/body" "$T/oas.json"
"$TOKEND" -R | awk '$1 != "-" { print $1, $2 }' > "$T/routes"
(cd "$IO" && node oas.mjs "$T/oas.json" "$T/routes")
same serverinfo_oas_bad_token '401 {"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}' \
    "$(with_token "not-a-token" GET /server/specs/oas)"

# PATCH /users/me/track/page.  Directus: 204 without a body, and
# last_page is then in the user.
track() {
	http PATCH /users/me/track/page -H "Authorization: Bearer $1" \
	    -H 'Content-Type: application/json' -d "$2"
}
same serverinfo_track_page '204 ' "$(track "$UT" '{"last_page":"/content/articles"}')"
same serverinfo_track_page_stored '200 {"data":{"last_page":"/content/articles"}}' \
    "$(with_token "$UT" GET '/users/me?fields=last_page')"
r=$(with_token "$UT" GET /users/me)
case "$r" in *'"last_page":"/content/articles"'*) ok serverinfo_track_page_in_user ;;
*) fail serverinfo_track_page_in_user "$r" ;; esac
# Directus: 400 INVALID_PAYLOAD "\"last_page\" key is required" for a
# missing, empty or null page.
for body in '{}' '{"last_page":""}' '{"last_page":null}' '{"last_page":false}'; do
	same "serverinfo_track_page_required $body" '400 {"errors":[{"message":"Invalid payload. \"last_page\" key is required.","extensions":{"code":"INVALID_PAYLOAD"}}]}' \
	    "$(track "$UT" "$body")"
done
# Directus stores 123 as "123"; tokend takes a string only.
same serverinfo_track_page_string '400 {"errors":[{"message":"Invalid payload. \"last_page\" must be a string.","extensions":{"code":"INVALID_PAYLOAD"}}]}' \
    "$(track "$UT" '{"last_page":123}')"
expect serverinfo_track_page_too_long '400 *INVALID_PAYLOAD*' \
    "$(track "$UT" "{\"last_page\":\"/$(head -c 5000 /dev/zero | tr '\0' a)\"}")"
expect serverinfo_track_page_not_json '400 *INVALID_PAYLOAD*' \
    "$(track "$UT" 'nope')"
# Directus: 401 INVALID_CREDENTIALS without a token.
same serverinfo_track_page_no_token '401 {"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}' \
    "$(http PATCH /users/me/track/page -H 'Content-Type: application/json' -d '{"last_page":"/x"}')"
# Only last_page is written, whatever else the body holds.
same serverinfo_track_page_only '204 ' \
    "$(track "$UT" '{"last_page":"/x","first_name":"Evil","role":null}')"
same serverinfo_track_page_only_page '200 {"data":{"first_name":null,"last_page":"/x"}}' \
    "$(with_token "$UT" GET '/users/me?fields=last_page,first_name')"
expect serverinfo_track_page_get_404 '404 *ROUTE_NOT_FOUND*' \
    "$(with_token "$UT" GET /users/me/track/page)"
