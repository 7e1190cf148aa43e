#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The sign-in portal (server/portal.c) over HTTP: its pages with their
# security headers and the configured title, the redirect after a login
# (an open redirect refused, whatever the rd), the QR code, the files
# read again on reload, and the configuration's checks; and the user's
# own sessions (GET and DELETE /users/me/sessions, keyd/sessions.c):
# another user's session cannot be read or ended; POST
# /users/me/password, which needs the current password.
. "$(dirname "$0")/../lib.sh"
td_init
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'portal {' '	title "Test <Portal> & co"' \
    '	redirect-allow "https://*.example.com/" "http://127.0.0.1:8080/app/"' \
    "	directory \"$T/portal\"" '}'
mkdir -p "$T/portal"
cp "$TOP"/portal/* "$T/portal/"
td_up portal
CSP="default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
# header NAME: its value in the last answer's headers.
header() { sed -n "s/^$1: \(.*\)\r$/\1/Ip" "$T/h" | tail -1; }

# The pages, each with the security headers.
for p in "" account portal.css portal.js; do
	r=$(http GET "/portal/$p")
	name=portal_page_${p:-login}
	name=${name//./_}
	if [ "${r%% *}" = 200 ] && [ "$(header Content-Security-Policy)" = "$CSP" ] &&
	    [ "$(header X-Content-Type-Options)" = nosniff ] &&
	    [ "$(header Referrer-Policy)" = no-referrer ]; then
		ok "$name"
	else
		fail "$name" "${r:0:80} csp '$(header Content-Security-Policy)'"
	fi
done
# Every other answer under the portal's path, each refusal included
# (the cross-site guard's and the body label's come before the
# portal's own code), has them too.
bad=
while IFS='|' read -r m p a1 a2; do
	r=$(http "$m" "$p" ${a1:+-H "$a1"} ${a2:+-H "$a2"} \
	    $([ "$m" = POST ] && echo -d x))
	[ "$(header Content-Security-Policy)" = "$CSP" ] &&
	    [ "$(header X-Content-Type-Options)" = nosniff ] &&
	    [ "$(header Referrer-Policy)" = no-referrer ] ||
	    bad="$bad [$m $p: ${r%% *}]"
done <<'LIST'
GET|/portal
GET|/portal/nope
GET|/portal/next?rd=https://evil.com/
HEAD|/portal/
PUT|/portal/
DELETE|/portal/account
OPTIONS|/portal/
POST|/portal/qr|Content-Type: text/plain
POST|/portal/qr|Content-Type: application/json
POST|/portal/qr|Origin: https://evil.example|Cookie: directus_session_token=x
LIST
[ -z "$bad" ] && ok portal_error_headers || fail portal_error_headers "$bad"
http GET /portal/ >/dev/null
[ "$(header Content-Type)" = "text/html; charset=utf-8" ] &&
    grep -q '<h1>Test &lt;Portal&gt; &amp; co</h1>' "$T/body" &&
    ! grep -q '{{title}}' "$T/body" && ok portal_title_escaped ||
    fail portal_title_escaped "$(header Content-Type) $(grep h1 "$T/body")"
http GET /portal/portal.js >/dev/null
[ "$(header Content-Type)" = "text/javascript; charset=utf-8" ] &&
    ok portal_js_type || fail portal_js_type "$(header Content-Type)"
# No inline script or style in the pages: the CSP would refuse them.
if grep -Eqi '<script>|<script [^>]*>[^<]|<style|[[:space:]]style=|[[:space:]]on[a-z]+=' \
    "$TOP/portal/login.html" "$TOP/portal/account.html"; then
	fail portal_no_inline
else
	ok portal_no_inline
fi
http GET /portal >/dev/null
[ "$(cat "$T/status")" = 302 ] && [ "$(header Location)" = /portal/ ] &&
    ok portal_slash_redirect || fail portal_slash_redirect "$(cat "$T/status")"
expect portal_unknown_404 '404 *ROUTE_NOT_FOUND*' "$(http GET /portal/nope)"
expect portal_post_page_404 '404 *' "$(http POST /portal/account)"
# The API's routes stay the API's.
expect portal_api_untouched '200 pong' "$(http GET /server/ping)"

# next?rd=: the allowed URLs, and every other one to the account page.
good=
next_to() {
	curl -s -m 5 -o /dev/null -D "$T/h" -G "$URL/portal/next" \
	    --data-urlencode "rd=$1" >/dev/null
	header Location
}
for u in "https://app.example.com/" "https://a.b.example.com/x?y=1#z" \
    "https://APP.example.com:443/path" "http://127.0.0.1:8080/app/" \
    "http://127.0.0.1:8080/app/page?q=1"; do
	[ "$(next_to "$u")" = "$u" ] || { good="$good $u"; }
done
[ -z "$good" ] && ok portal_rd_allowed || fail portal_rd_allowed "refused:$good"

bad=0
while IFS= read -r u; do
	got=$(next_to "$u")
	if [ "$got" != /portal/account ]; then
		fail portal_rd_refused "'$u' -> '$got'"
		bad=1
	fi
done <<'LIST'
https://example.com/
http://app.example.com/
https://app.example.com.evil.com/
https://app.example.com.evil.com/.example.com/
//evil.com/
///evil.com/
https://evil.com/
https://evil.com/?x=.example.com/
https://evil.com#@app.example.com/
https://evil.com\@app.example.com/
https://app.example.com\@evil.com/
https:\\evil.com/
https://user@app.example.com/
https://app.example.com@evil.com/
https://app.example.com:444/
https://app.example.com
https:/app.example.com/
javascript:alert(1)
JavaScript://app.example.com/%0aalert(1)
data:text/html,<script>alert(1)</script>
 https://app.example.com/
https://app.example.com/ x
http://127.0.0.1:8080/other
http://127.0.0.1:8080/ap
http://127.0.0.1:8081/app/
https://127.0.0.1:8080/app/
/portal/account
/\evil.com
https://*.example.com/
https://app.example.com./
https://-x.example.com/
https://[::1]/
https://app%2eexample.com/
LIST
# A CR LF decoded from the query never reaches a header.
got=$(next_to $'https://app.example.com/\r\nSet-Cookie: x=1')
[ "$got" = /portal/account ] && ! grep -qi '^Set-Cookie: x=1' "$T/h" ||
    { fail portal_rd_refused "CRLF -> $got"; bad=1; }
# Twice, or not at all.
curl -s -m 5 -o /dev/null -D "$T/h" \
    "$URL/portal/next?rd=https%3A%2F%2Fapp.example.com%2F&rd=https%3A%2F%2Fevil.com%2F"
[ "$(header Location)" = /portal/account ] || { fail portal_rd_refused "rd twice"; bad=1; }
curl -s -m 5 -o /dev/null -D "$T/h" "$URL/portal/next"
[ "$(header Location)" = /portal/account ] || { fail portal_rd_refused "no rd"; bad=1; }
[ $bad = 0 ] && ok portal_rd_refused

# The QR code of a text, as SVG; the text in the body only.
OTP_URL='otpauth://totp/tokend:ann%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=tokend'
r=$(http POST /portal/qr -H 'Content-Type: application/json' \
    -d "{\"text\":\"$OTP_URL\"}")
[ "${r%% *}" = 200 ] && [ "$(header Content-Type)" = image/svg+xml ] &&
    [[ $r == "200 <svg xmlns=\"http://www.w3.org/2000/svg\""*'<path fill="#000" d="M'* ]] &&
    [ "$(header Content-Security-Policy)" = "$CSP" ] && ok portal_qr_svg ||
    fail portal_qr_svg "${r:0:120}"
expect portal_qr_no_text '400 *INVALID_PAYLOAD*' "$(http POST /portal/qr \
    -H 'Content-Type: application/json' -d '{"text":""}')"
expect portal_qr_too_long '400 *INVALID_PAYLOAD*' "$(http POST /portal/qr \
    -H 'Content-Type: application/json' \
    -d "{\"text\":\"$(head -c 1100 /dev/zero | tr '\0' a)\"}")"
expect portal_qr_json_only '415 *' "$(http POST /portal/qr \
    -H 'Content-Type: text/plain' -d 'otpauth://x')"

# The sessions of the caller, and only its own.
echo 'ann pass' | $CTL user add ann@example.com >/dev/null
echo 'bob pass' | $CTL user add bob@example.com >/dev/null
cookie() {
	sed -n "s/^[Ss]et-[Cc]ookie: $1=\([^;]*\);.*/\1/p" "$T/h" |
	    tr -d '\r' | tail -1
}
login ann@example.com 'ann pass' session >/dev/null
ANN_S1=$(cookie directus_session_token)
http POST /auth/login -H 'Content-Type: application/json' \
    -H 'User-Agent: second-browser/1.0' \
    -d '{"email":"ann@example.com","password":"ann pass","mode":"session"}' >/dev/null
ANN_S2=$(cookie directus_session_token)
ANN=$(token ann@example.com 'ann pass')
BOB=$(token bob@example.com 'bob pass')
r=$(http GET /users/me/sessions -H "Cookie: directus_session_token=$ANN_S1")
n=$(grep -o '"id":' "$T/body" | wc -l)
[ "${r%% *}" = 200 ] && [ "$n" = 3 ] &&
    [ "$(grep -o '"current":true' "$T/body" | wc -l)" = 1 ] &&
    grep -q '"ip":"127.0.0.1"' "$T/body" &&
    grep -q '"user_agent":"second-browser/1.0"' "$T/body" &&
    grep -q '"last_used":"20[0-9-]*T[0-9:.]*Z"' "$T/body" &&
    ok portal_sessions_list || fail portal_sessions_list "$n ${r:0:300}"
S2_ID=$(sed -n 's/.*{"id":\([0-9]*\),[^}]*"user_agent":"second-browser\/1.0".*/\1/p' "$T/body")
with_token "$BOB" GET /users/me/sessions >/dev/null
BOB_ID=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$T/body" | head -1)
[ "$(grep -o '"id":' "$T/body" | wc -l)" = 1 ] && ok portal_sessions_own_only ||
    fail portal_sessions_own_only "$(cat "$T/body")"
expect portal_sessions_other_user_403 '403 *FORBIDDEN*' \
    "$(with_token "$ANN" DELETE "/users/me/sessions/$BOB_ID")"
expect portal_sessions_other_user_kept '200 *"id":'"$BOB_ID"'*' \
    "$(with_token "$BOB" GET /users/me/sessions)"
expect portal_sessions_bad_id_403 '403 *FORBIDDEN*' \
    "$(with_token "$ANN" DELETE "/users/me/sessions/1x")"
expect portal_sessions_none_403 '403 *FORBIDDEN*' \
    "$(with_token "$ANN" DELETE "/users/me/sessions/99999")"
expect portal_sessions_no_token '401 *' "$(http GET /users/me/sessions)"
# The second browser's session works, then is ended by the first.
expect portal_sessions_before '200 *ann@example.com*' \
    "$(http GET /users/me -H "Cookie: directus_session_token=$ANN_S2")"
r=$(http DELETE "/users/me/sessions/$S2_ID" -H "Origin: $URL" \
    -H "Cookie: directus_session_token=$ANN_S1")
[ "${r%% *}" = 204 ] && [ -n "$S2_ID" ] && ok portal_sessions_revoke ||
    fail portal_sessions_revoke "id '$S2_ID' $r"
expect portal_sessions_revoked_refused '401 *' \
    "$(http GET /users/me -H "Cookie: directus_session_token=$ANN_S2")"
expect portal_sessions_caller_kept '200 *ann@example.com*' \
    "$(http GET /users/me -H "Cookie: directus_session_token=$ANN_S1")"
# A cookie alone from another site ends nothing (the cross-site guard).
expect portal_sessions_cross_site '403 *Cross-site*' \
    "$(http DELETE "/users/me/sessions/$S2_ID" -H 'Origin: https://evil.example' \
    -H "Cookie: directus_session_token=$ANN_S1")"

# POST /users/me/password: keyd checks the current password, so that
# a session cookie alone cannot change it; the other sessions end.
echo 'cy pass' | $CTL user add cy@example.com >/dev/null
login cy@example.com 'cy pass' session >/dev/null
CY_S1=$(cookie directus_session_token)
login cy@example.com 'cy pass' session >/dev/null
CY_S2=$(cookie directus_session_token)
CY=$(token cy@example.com 'cy pass')
pw() {	# pw BODY [curl args]: POST /users/me/password with cy's first cookie
	local b=$1
	shift
	http POST /users/me/password -H 'Content-Type: application/json' \
	    -H "Origin: $URL" -H "Cookie: directus_session_token=$CY_S1" "$@" -d "$b"
}
expect portal_password_wrong_current \
    '401 {"errors":[{"message":"Invalid user credentials.","extensions":{"code":"INVALID_CREDENTIALS"}}]}' \
    "$(pw '{"password_current":"not it","password":"cy new"}')"
expect portal_password_no_current '400 *"Invalid payload. \\"password_current\\" is required."*INVALID_PAYLOAD*' \
    "$(pw '{"password":"cy new"}')"
expect portal_password_no_new '400 *"Invalid payload. \\"password\\" is required."*INVALID_PAYLOAD*' \
    "$(pw '{"password_current":"cy pass"}')"
expect portal_password_not_string '400 *"Invalid payload. \\"password\\" must be a string."*' \
    "$(pw '{"password_current":"cy pass","password":7}')"
expect portal_password_other_key '400 *"Invalid payload. \\"email\\" is not allowed."*' \
    "$(pw '{"password_current":"cy pass","password":"cy new","email":"x@example.com"}')"
expect portal_password_bad_json '400 *INVALID_PAYLOAD*' "$(pw '{"password_current":')"
expect portal_password_no_token '401 *' "$(http POST /users/me/password \
    -H 'Content-Type: application/json' -d '{"password_current":"cy pass","password":"cy new"}')"
expect portal_password_cross_site '403 *Cross-site*' \
    "$(pw '{"password_current":"cy pass","password":"cy new"}' -H 'Origin: https://evil.example')"
expect portal_password_unchanged '200 *' "$(login cy@example.com 'cy pass')"
expect portal_password_changed '204 ' "$(pw '{"password_current":"cy pass","password":"cy new"}')"
r="$(login cy@example.com 'cy new' | cut -c1-3) $(login cy@example.com 'cy pass' | cut -c1-3)"
same portal_password_new_only "200 401" "$r"
r="$(http GET /users/me -H "Cookie: directus_session_token=$CY_S1" | cut -c1-3) $(http GET /users/me -H "Cookie: directus_session_token=$CY_S2" | cut -c1-3)"
same portal_password_other_sessions_end "200 401" "$r"
# A bearer token works as for PATCH /users/me, which stays as Directus has it.
CY=$(token cy@example.com 'cy new')
expect portal_password_bearer '204 ' "$(with_token "$CY" POST /users/me/password \
    '{"password_current":"cy new","password":"cy 3"}')"
expect portal_password_patch_kept '200 *cy@example.com*' \
    "$(with_token "$CY" PATCH /users/me '{"password":"cy 4"}')"

# Wrong current passwords count as failed logins do: a stolen session
# cannot walk through passwords.  After a few, even the right one waits.
echo 'dee pass' | $CTL user add dee@example.com >/dev/null
DEE=$(token dee@example.com 'dee pass')
: > "$T/dee"
for i in 1 2 3 4 5 6; do
	with_token "$DEE" POST /users/me/password \
	    '{"password_current":"not it '$i'","password":"dee new"}' | cut -c1-3 >> "$T/dee"
	grep -q 429 "$T/dee" && break
done
r=$(with_token "$DEE" POST /users/me/password '{"password_current":"dee pass","password":"dee new"}')
case "$(tr '\n' ' ' < "$T/dee")/ $r" in "401 401 401 "*"429 / 429 "*REQUESTS_EXCEEDED*)
	ok portal_password_wrong_current_locks ;;
*) fail portal_password_wrong_current_locks "$(tr '\n' ' ' < "$T/dee")/ $r" ;; esac
grep -q "password change refused: too many wrong current passwords" "$T/log" &&
    ok portal_password_lock_logged || fail portal_password_lock_logged
expect portal_password_locked_unchanged '200 *' "$(login dee@example.com 'dee pass')"

# Edited files and a new title come in with a reload.
sed -i 's/Sign in</Log in</' "$T/portal/login.html"
sed -i 's/title "Test <Portal> & co"/title "Renamed"/' "$T/tokend.conf"
td_reload >/dev/null
r=$(http GET /portal/)
[[ $r == *'<h1>Renamed</h1>'* && $r == *'Log in<'* ]] && ok portal_reload ||
    fail portal_reload "$(grep -E 'h1|h2' "$T/body")"
# A reload whose files are missing is refused; the old pages stay.
mv "$T/portal/portal.css" "$T/portal/gone.css"
$TOKENCTL -s "$T/tokend.sock" reload >/dev/null 2>&1
expect portal_reload_missing_kept '200 *' "$(http GET /portal/portal.css)"
grep -q 'reload refused: portal: .*portal.css' "$T/log" && ok portal_reload_refused ||
    fail portal_reload_refused "$(grep -i portal "$T/log" | tail -2)"
mv "$T/portal/gone.css" "$T/portal/portal.css"

# The configuration's checks.
conf_with() {
	sed '/^portal {/,/^}/d' "$T/tokend.conf" > "$T/c.conf"
	printf '%s\n' "$@" >> "$T/c.conf"
}
conf_with 'portal {' '	redirect-allow "javascript:alert(1)"' '}'
conf_refused portal_conf_bad_redirect "$T/c.conf" 'portal redirect-allow'
conf_with 'portal {' '	redirect-allow "https://x.example.com"' '}'
conf_refused portal_conf_redirect_no_path "$T/c.conf" 'portal redirect-allow'
conf_with 'portal {' '	path "/portal"' '}'
conf_refused portal_conf_bad_path "$T/c.conf" 'portal path'
conf_with 'portal {' '	path "/a/../b/"' '}'
conf_refused portal_conf_dotdot_path "$T/c.conf" 'portal path'
conf_with 'portal {' '	title "a" "b"' '}'
conf_refused portal_conf_one_title "$T/c.conf" 'title takes one value'
conf_with 'portal {' "	directory \"$T/nowhere\"" '}'
conf_refused portal_conf_no_files "$T/c.conf" 'portal: .*nowhere/login.html'
# Without a portal block there is no portal.
conf_with 'portal {' '	enable no' "	directory \"$T/nowhere\"" '}'
"$TOKEND" -n -f "$T/c.conf" >/dev/null 2>&1 && ok portal_conf_enable_no ||
    fail portal_conf_enable_no
