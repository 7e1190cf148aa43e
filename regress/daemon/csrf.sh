#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Cross-site requests: an unsafe method reads only an application/json
# body, and a request that a cookie authenticates must come from
# tokend's own origin (Origin, else Referer); bearer tokens are not
# concerned.
. "$(dirname "$0")/../lib.sh"
td_init
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}"
td_up csrf
echo 'admin pass' | $CTL user add -r admin root@example.com >/dev/null
echo 'user pass' | $CTL user add dana@example.com >/dev/null

AT=$(token root@example.com 'admin pass')
login root@example.com 'admin pass' session >/dev/null
SES="directus_session_token=$(session_cookie)"
FOREIGN=http://evil.example.com
users() { with_token "$AT" GET '/users?fields=id&limit=-1' | grep -o '"id"' | wc -l; }
# as_cookie METHOD PATH CONTENT-TYPE BODY [curl args]: with the session cookie
as_cookie() {
	_m=$1 _p=$2 _ct=$3 _b=$4
	shift 4
	http "$_m" "$_p" -b "$SES" -H "Content-Type: $_ct" --data-binary "$_b" "$@"
}
NEW='{"email":"mallory@example.com","password":"evil pass","role":"a0000000-0000-4000-8000-000000000001"}'
[ -n "$AT" ] && [ -n "$(session_cookie)" ] && ok csrf_logins || fail csrf_logins

n0=$(users)
# The forged form posts of the issue, even with tokend's own Origin.
for ct in text/plain application/x-www-form-urlencoded 'multipart/form-data; boundary=x' ''; do
	r=$(as_cookie POST /users "$ct" "$NEW" -H "Origin: $URL")
	case "$r" in "415 "*UNSUPPORTED_MEDIA_TYPE*) echo ok ;; *) echo "FAILED [$ct]: $r" ;; esac
done > "$T/types"
[ "$(grep -c ^ok "$T/types")" -eq 4 ] && ok csrf_non_json_body_415 ||
    fail csrf_non_json_body_415 "$(grep -v ^ok "$T/types")"
# ... and as a real forged form sends them: another site's Origin, or none.
expect csrf_text_plain_foreign_403 '403 *FORBIDDEN*' \
    "$(as_cookie POST /users text/plain "$NEW" -H "Origin: $FOREIGN")"
expect csrf_form_no_origin_403 '403 *FORBIDDEN*' \
    "$(as_cookie POST /users application/x-www-form-urlencoded "$NEW")"
n1=$(users)
[ "$n1" -eq "$n0" ] && ok csrf_forged_creates_nothing ||
    fail csrf_forged_creates_nothing "$n0 users before, $n1 after"

# application/json, labelled as Directus accepts it, from tokend's origin.
expect csrf_json_same_origin_200 '200 *"email":"mallory@example.com"*' \
    "$(as_cookie POST /users 'Application/JSON; charset=utf-8' "$NEW" -H "Origin: $URL")"
uid=$(j id)
n2=$(users)
[ "$n2" -eq $((n0 + 1)) ] && ok csrf_json_created_one ||
    fail csrf_json_created_one "$n0 users before, $n2 after"
expect csrf_json_like_415 '415 *Unsupported media type*application/jsonx*in Content-Type header*' \
    "$(as_cookie PATCH /users/me application/jsonx '{"first_name":"A"}' -H "Origin: $URL")"

# A cookie-authenticated unsafe request from elsewhere, or from nowhere.
P='{"first_name":"Forged"}'
expect csrf_foreign_origin_403 '403 *FORBIDDEN*' \
    "$(as_cookie PATCH /users/me application/json "$P" -H "Origin: $FOREIGN")"
expect csrf_sibling_origin_403 '403 *FORBIDDEN*' \
    "$(as_cookie PATCH /users/me application/json "$P" -H "Origin: http://x.${URL#http://}")"
expect csrf_null_origin_403 '403 *FORBIDDEN*' \
    "$(as_cookie PATCH /users/me application/json "$P" -H 'Origin: null')"
expect csrf_no_origin_403 '403 *FORBIDDEN*' \
    "$(as_cookie PATCH /users/me application/json "$P")"
expect csrf_foreign_referer_403 '403 *FORBIDDEN*' \
    "$(as_cookie PATCH /users/me application/json "$P" -H "Referer: $FOREIGN/page")"
expect csrf_two_origins_403 '403 *FORBIDDEN*' \
    "$(as_cookie PATCH /users/me application/json "$P" -H "Origin: $URL" -H "Origin: $FOREIGN")"
expect csrf_delete_foreign_403 '403 *FORBIDDEN*' \
    "$(http DELETE "/users/$uid" -b "$SES" -H "Origin: $FOREIGN")"
r=$(http GET '/users/me?fields=first_name' -b "$SES")
case "$r" in "200 "*Forged*|[!2]*) fail csrf_not_forged "$r" ;; *) ok csrf_not_forged ;; esac
expect csrf_referer_same_origin_200 '200 *"first_name":"Referred"*' \
    "$(as_cookie PATCH /users/me application/json '{"first_name":"Referred"}' -H "Referer: $URL/admin/page?x=1")"
expect csrf_delete_same_origin_204 '204 ' \
    "$(http DELETE "/users/$uid" -b "$SES" -H "Origin: $URL")"

# A bearer token is not a cookie: no Origin needed, another one ignored;
# the body rule holds for it too.
expect csrf_bearer_foreign_origin_200 '200 *"first_name":"Bearer"*' \
    "$(http PATCH /users/me -H "Authorization: Bearer $AT" -H "Origin: $FOREIGN" \
    -H 'Content-Type: application/json' -d '{"first_name":"Bearer"}')"
expect csrf_bearer_text_plain_415 '415 *UNSUPPORTED_MEDIA_TYPE*' \
    "$(http PATCH /users/me -H "Authorization: Bearer $AT" \
    -H 'Content-Type: text/plain' -d '{"first_name":"Plain"}')"

# /auth: a login labelled text/plain is refused; an empty body with any
# label is {} (Directus: "email" is required).
expect csrf_login_text_plain_415 '415 *UNSUPPORTED_MEDIA_TYPE*' \
    "$(http POST /auth/login -H 'Content-Type: text/plain' \
    -d '{"email":"root@example.com","password":"admin pass"}')"
expect csrf_login_empty_400 '400 *email*is required*' \
    "$(http POST /auth/login -H 'Content-Type: text/plain')"

# The refresh cookie (cookie mode) authenticates refresh and logout.
login dana@example.com 'user pass' cookie >/dev/null
RC="directus_refresh_token=$(sed -n 's/^[Ss]et-[Cc]ookie: directus_refresh_token=\([^;]*\);.*/\1/p' "$T/h" | tr -d '\r')"
expect csrf_refresh_no_origin_403 '403 *FORBIDDEN*' \
    "$(http POST /auth/refresh -b "$RC" -H 'Content-Type: application/json' -d '{"mode":"cookie"}')"
expect csrf_logout_foreign_403 '403 *FORBIDDEN*' \
    "$(http POST /auth/logout -b "$RC" -H "Origin: $FOREIGN")"
expect csrf_logout_bearer_foreign_403 '403 *FORBIDDEN*' \
    "$(http POST '/auth/logout' -b "$RC" -H "Authorization: Bearer $AT" -H "Origin: $FOREIGN")"
expect csrf_refresh_same_origin_200 '200 *"access_token"*' \
    "$(http POST /auth/refresh -b "$RC" -H "Origin: $URL" -H 'Content-Type: application/json' -d '{"mode":"cookie"}')"
RC="directus_refresh_token=$(sed -n 's/^[Ss]et-[Cc]ookie: directus_refresh_token=\([^;]*\);.*/\1/p' "$T/h" | tr -d '\r')"
expect csrf_logout_no_body_204 '204 ' \
    "$(http POST /auth/logout -b "$RC" -H "Origin: $URL")"
# A refresh token in the body, without a cookie, is not a cookie.
login dana@example.com 'user pass' >/dev/null
expect csrf_refresh_body_200 '200 *"access_token"*' \
    "$(http POST /auth/refresh -H "Origin: $FOREIGN" -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$(j refresh_token)\"}")"

# public-url: behind a proxy that rewrites Host (nginx passes the
# upstream's), the Origin is the public URL's origin, not the Host.
# A reload sets it: the setting is reloadable.
PUB=https://Tokend.Example.COM:443/directus/
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" "public-url \"$PUB\""
td_reload > "$T/reload" 2>&1 && ok csrf_public_url_reload ||
    fail csrf_public_url_reload "$(cat "$T/reload")"
# pub NAME PATTERN HEADER: a cookie PATCH of /users/me with that header
# (the Host curl sends stays 127.0.0.1:port).
pub() {
	expect "$1" "$2" "$(as_cookie PATCH /users/me application/json \
	    '{"first_name":"Public"}' -H "$3")"
}
pub csrf_public_origin_200 '200 *"first_name":"Public"*' \
    'Origin: https://tokend.example.com'
pub csrf_public_origin_port_200 '200 *"first_name":"Public"*' \
    'Origin: https://TOKEND.example.com:443'
pub csrf_public_referer_200 '200 *"first_name":"Public"*' \
    'Referer: https://tokend.example.com/directus/admin?x=1'
pub csrf_public_host_origin_403 '403 *FORBIDDEN*' "Origin: $URL"
pub csrf_public_scheme_403 '403 *FORBIDDEN*' 'Origin: http://tokend.example.com'
pub csrf_public_other_port_403 '403 *FORBIDDEN*' \
    'Origin: https://tokend.example.com:8443'
pub csrf_public_sibling_403 '403 *FORBIDDEN*' \
    'Origin: https://x.tokend.example.com'
pub csrf_public_suffix_referer_403 '403 *FORBIDDEN*' \
    'Referer: https://tokend.example.com.evil.com/directus/'
pub csrf_public_user_part_403 '403 *FORBIDDEN*' \
    'Origin: https://evil.com@tokend.example.com'
pub csrf_public_origin_path_403 '403 *FORBIDDEN*' \
    'Origin: https://tokend.example.com/directus'
# http on its default port, written or not, in the Referer too.
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'public-url "http://tokend.example.com"'
td_reload > /dev/null 2>&1
pub csrf_public_http_port_200 '200 *"first_name":"Public"*' \
    'Origin: http://tokend.example.com:80'
pub csrf_public_http_referer_port_200 '200 *"first_name":"Public"*' \
    'Referer: http://tokend.example.com:80/'
pub csrf_public_http_https_403 '403 *FORBIDDEN*' \
    'Origin: https://tokend.example.com'

# Bad public-url values: tokend -n names the setting and says why.
bad_url() {
	printf 'public-url "%s"\n' "$2" > "$T/url.conf"
	chmod 600 "$T/url.conf"
	conf_refused "$1" "$T/url.conf" "url.conf:1: public-url .*$3"
}
bad_url csrf_public_url_scheme ftp://tokend.example.com 'not an http:// or https:// URL'
bad_url csrf_public_url_no_host https:// 'no host'
bad_url csrf_public_url_query 'https://tokend.example.com/?a=1' 'no query or fragment'
bad_url csrf_public_url_fragment 'https://tokend.example.com/#top' 'no query or fragment'
bad_url csrf_public_url_user 'https://u@tokend.example.com' 'a user part'
bad_url csrf_public_url_port 'https://tokend.example.com:65536' 'port must be'
bad_url csrf_public_url_blank 'https://tokend.example.com/a b' 'blanks'
bad_url csrf_public_url_long "https://$(printf '%0600d' 0).example.com" 'too long'
