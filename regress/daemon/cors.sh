#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# CORS (cors { }): the preflight and the headers of every answer, as the
# real Directus 11.3.5 sends them for the same configuration, and the
# cross-site guard that lets a listed origin send its cookies.
#
# Directus 11.3.5 with CORS_ENABLED=true CORS_ORIGIN=http://localhost:3000
# CORS_METHODS=GET,POST,PATCH,DELETE CORS_ALLOWED_HEADERS=Content-Type,
# Authorization CORS_EXPOSED_HEADERS=Content-Range CORS_CREDENTIALS=true
# CORS_MAX_AGE=18000 answered (its other headers left out):
#   OPTIONS /auth/login, Origin: http://localhost:3000,
#   Access-Control-Request-Method: POST:
#     204 No Content
#     Access-Control-Allow-Origin: http://localhost:3000
#     Vary: Origin
#     Access-Control-Allow-Credentials: true
#     Access-Control-Allow-Methods: GET,POST,PATCH,DELETE
#     Access-Control-Allow-Headers: Content-Type,Authorization
#     Access-Control-Max-Age: 18000
#     Access-Control-Expose-Headers: Content-Range
#     Content-Length: 0
#   (the same on any path, /nope too, and without Origin)
#   GET /server/ping and GET /users/me (401), GET /nope (404), with
#   Origin: http://localhost:3000:
#     Access-Control-Allow-Origin: http://localhost:3000
#     Vary: Origin
#     Access-Control-Allow-Credentials: true
#     Access-Control-Expose-Headers: Content-Range
#   With Origin: http://evil.com, Directus (one origin configured) names
#   http://localhost:3000 all the same.  With two origins
#   (CORS_ORIGIN=array:http://localhost:3000,http://127.0.0.1:3000) it
#   names http://127.0.0.1:3000 to that origin, as above, and to
#   http://evil.com sends no Access-Control-Allow-Origin but the other
#   headers all the same (Vary, Allow-Credentials, and on the preflight
#   Allow-Methods, Allow-Headers, Max-Age, Expose-Headers).  tokend
#   sends an origin it does not list Vary: Origin alone (the browser
#   refuses it in every case).
. "$(dirname "$0")/../lib.sh"
td_init
CORS=('cors {' '	origin "http://localhost:3000 http://127.0.0.1:3000"'
    '	methods "GET,POST,PATCH,DELETE"'
    '	allowed-headers "Content-Type,Authorization"'
    '	exposed-headers "Content-Range"' '	credentials yes'
    '	max-age 18000' '}')
APP=http://localhost:3000
FOREIGN=http://evil.example.com

# cors_headers: the CORS part of the last answer's head, in its order.
cors_headers() {
	tr -d '\r' < "$T/h" | grep -iE '^(HTTP/|access-control-|vary:|content-length:)' |
	    sed 's/^HTTP\/1\.1 \([0-9]*\).*/\1/'
}
PREFLIGHT="204
Access-Control-Allow-Origin: http://localhost:3000
Vary: Origin
Access-Control-Allow-Credentials: true
Access-Control-Allow-Methods: GET,POST,PATCH,DELETE
Access-Control-Allow-Headers: Content-Type,Authorization
Access-Control-Max-Age: 18000
Access-Control-Expose-Headers: Content-Range
Content-Length: 0"
simple() {
	printf '%s\nAccess-Control-Allow-Origin: %s\nVary: Origin\n%s\n%s' "$1" \
	    "$APP" 'Access-Control-Allow-Credentials: true' \
	    'Access-Control-Expose-Headers: Content-Range'
}
# Off by default: OPTIONS is no route, and no answer names an origin.
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}"
td_up cors
expect cors_off_options_404 '404 *ROUTE_NOT_FOUND*' \
    "$(http OPTIONS /auth/login -H "Origin: $APP" -H 'Access-Control-Request-Method: POST')"
http GET /server/ping -H "Origin: $APP" >/dev/null
grep -qi '^access-control-\|^vary:' "$T/h" && fail cors_off_no_headers "$(cat "$T/h")" ||
    ok cors_off_no_headers

td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" "${CORS[@]}"
td_reload > "$T/reload" 2>&1 && ok cors_reload || fail cors_reload "$(cat "$T/reload")"
echo 'user pass' | $CTL user add dana@example.com >/dev/null

# The preflight, as Directus answers it, on any path, without keyd.
for p in /auth/login /users/me /nope; do
	http OPTIONS "$p" -H "Origin: $APP" -H 'Access-Control-Request-Method: POST' \
	    -H 'Access-Control-Request-Headers: content-type,authorization' >/dev/null
	same "cors_preflight_${p//\//_}" "$PREFLIGHT" "$(cors_headers)"
done
[ -s "$T/body" ] && fail cors_preflight_empty "$(cat "$T/body")" || ok cors_preflight_empty
# The other listed origin, its default port written.
http OPTIONS /auth/login -H 'Origin: http://127.0.0.1:3000' >/dev/null
grep -q '^Access-Control-Allow-Origin: http://127.0.0.1:3000' "$T/h" &&
    ok cors_preflight_second_origin || fail cors_preflight_second_origin "$(cat "$T/h")"
# An origin not listed, a sibling, another scheme or port, "null",
# two Origin headers: 204 without any permission, Vary: Origin still.
for o in "$FOREIGN" http://x.localhost:3000 https://localhost:3000 \
    http://localhost:3001 null 'http://localhost:3000/' 'http://localhost:3000, http://evil.com'; do
	http OPTIONS /auth/login -H "Origin: $o" -H 'Access-Control-Request-Method: POST' >/dev/null
	echo "$o: $(cors_headers | tr '\n' ' ')"
done > "$T/refused"
http OPTIONS /auth/login -H "Origin: $APP" -H "Origin: $FOREIGN" >/dev/null
echo "two: $(cors_headers | tr '\n' ' ')" >> "$T/refused"
[ "$(grep -c ': 204 Vary: Origin Content-Length: 0 $' "$T/refused")" -eq 8 ] &&
    ok cors_preflight_refused || fail cors_preflight_refused "$(cat "$T/refused")"

# Simple requests and every error answer carry the headers.
http GET /server/ping -H "Origin: $APP" >/dev/null
same cors_simple_ping "$(simple 200)" "$(cors_headers | grep -v -i content-length)"
http GET /users/me -H "Origin: $APP" >/dev/null
same cors_error_401 "$(simple 401)" "$(cors_headers | grep -v -i content-length)"
http GET /nope -H "Origin: $APP" >/dev/null
same cors_error_404 "$(simple 404)" "$(cors_headers | grep -v -i content-length)"
http POST /auth/login -H "Origin: $APP" -H 'Content-Type: text/plain' -d x >/dev/null
same cors_error_415 "$(simple 415)" "$(cors_headers | grep -v -i content-length)"
http POST /auth/login -H "Origin: $APP" -H 'Content-Type: application/json' \
    -d '{"email":"dana@example.com","password":"wrong"}' >/dev/null
same cors_error_login_401 "$(simple 401)" "$(cors_headers | grep -v -i content-length)"
http GET /server/ping -H "Origin: $FOREIGN" >/dev/null
same cors_simple_foreign "200
Vary: Origin" "$(cors_headers | grep -v -i content-length)"

# The cross-site guard: a listed origin may send its cookies (the SDK's
# cookie mode: login, then refresh and logout with the refresh cookie).
login dana@example.com 'user pass' cookie >/dev/null
RC="directus_refresh_token=$(sed -n 's/^[Ss]et-[Cc]ookie: directus_refresh_token=\([^;]*\);.*/\1/p' "$T/h" | tr -d '\r')"
expect cors_csrf_refresh_listed_200 '200 *"access_token"*' \
    "$(http POST /auth/refresh -b "$RC" -H "Origin: $APP" -H 'Content-Type: application/json' -d '{"mode":"cookie"}')"
grep -q "^Access-Control-Allow-Origin: $APP" "$T/h" && ok cors_csrf_refresh_acao ||
    fail cors_csrf_refresh_acao "$(cat "$T/h")"
RC="directus_refresh_token=$(sed -n 's/^[Ss]et-[Cc]ookie: directus_refresh_token=\([^;]*\);.*/\1/p' "$T/h" | tr -d '\r')"
expect cors_csrf_refresh_foreign_403 '403 *allowed CORS origin.*FORBIDDEN*' \
    "$(http POST /auth/refresh -b "$RC" -H "Origin: $FOREIGN" -H 'Content-Type: application/json' -d '{"mode":"cookie"}')"
expect cors_csrf_refresh_sibling_403 '403 *FORBIDDEN*' \
    "$(http POST /auth/refresh -b "$RC" -H 'Origin: http://localhost:3001' -H 'Content-Type: application/json' -d '{"mode":"cookie"}')"
expect cors_csrf_logout_listed_204 '204 ' \
    "$(http POST /auth/logout -b "$RC" -H 'Origin: http://127.0.0.1:3000')"
# A session cookie, with a Referer of a listed origin.
login dana@example.com 'user pass' session >/dev/null
SES="directus_session_token=$(session_cookie)"
expect cors_csrf_session_referer_200 '200 *"first_name":"Cors"*' \
    "$(http PATCH /users/me -b "$SES" -H "Referer: $APP/app/page" -H 'Content-Type: application/json' -d '{"first_name":"Cors"}')"
expect cors_csrf_session_foreign_403 '403 *FORBIDDEN*' \
    "$(http PATCH /users/me -b "$SES" -H "Origin: $FOREIGN" -H 'Content-Type: application/json' -d '{"first_name":"Evil"}')"

# Secure is set by itself when public-url is https.
grep -qi '^set-cookie: directus_session_token=.*; Secure' "$T/h" &&
    fail cors_cookie_not_secure_http "$(grep -i set-cookie "$T/h")" || ok cors_cookie_not_secure_http
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" "${CORS[@]}" \
    'public-url "https://tokend.example.com/"'
td_reload > /dev/null 2>&1
login dana@example.com 'user pass' session >/dev/null
grep -qi '^set-cookie: directus_session_token=.*SameSite=Lax; Secure' "$T/h" &&
    ok cors_cookie_secure_https || fail cors_cookie_secure_https "$(grep -i set-cookie "$T/h")"

# "*": any origin may read without credentials; never with them, and
# it lets no cookie through the cross-site guard.
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" 'cors {' '	origin "*"' \
    '	credentials no' '}'
td_reload > /dev/null 2>&1
http GET /server/ping -H "Origin: $FOREIGN" >/dev/null
same cors_star_no_credentials "200
Access-Control-Allow-Origin: *
Vary: Origin
Access-Control-Expose-Headers: Content-Range" "$(cors_headers | grep -v -i content-length)"
login dana@example.com 'user pass' session >/dev/null
SES="directus_session_token=$(session_cookie)"
expect cors_star_csrf_403 '403 *FORBIDDEN*' \
    "$(http PATCH /users/me -b "$SES" -H "Origin: $FOREIGN" -H 'Content-Type: application/json' -d '{"first_name":"Star"}')"

# Bad values: tokend -n names the setting and says why.
bad() {
	printf 'cors {\n%s\n}\n' "$2" > "$T/cors.conf"
	chmod 600 "$T/cors.conf"
	conf_refused "$1" "$T/cors.conf" "$3"
}
bad cors_conf_star_credentials 'origin "*"' 'any origin with credentials'
bad cors_conf_origin_path 'origin "http://a.example.com/app"' 'without a path'
bad cors_conf_origin_scheme 'origin "ftp://a.example.com"' 'not an http'
bad cors_conf_methods 'methods "GET POST;"' 'not a list of HTTP methods'
bad cors_conf_headers 'allowed-headers "X-A\r"' 'not a list'
bad cors_conf_max_age 'max-age 999999999' 'max-age'
bad cors_conf_unknown 'origins "http://a.example.com"' 'unknown keyword "origins"'
