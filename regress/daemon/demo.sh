#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The demo of make run (etc/demo.sh), in a directory of its own
# (TOKEND_RUN) with its mail to the SMTP sink on a port of its own
# (TOKEND_MAIL_PORT): a demo configuration of before public registration
# is set aside; the new one sends the reset, invite and verification
# links to http://localhost:3000/ (the three allowed paths, not any URL
# that starts with it), has the TFA issuer "tokend demo", and lets
# anyone sign up, verified by mail, into the role "member" that may do
# no more than the public role; the editor's articles have it as their
# author (the preset), and it changes and deletes those only.
. "$(dirname "$0")/../lib.sh"
need python3
td_init
SPORT=$(td_free_port)
RUN="$T/run"
MEMBER=0d7c4a2e-9b31-4f6a-8e25-6c1f3b9a7d40
mkdir -p "$T/sink" "$RUN"
chmod 0755 "$RUN"
sink_start

# A demo configuration of before: collections and a TFA key, no sign-up.
printf '%s\n' 'listen on 127.0.0.1 port 1' 'keyd { tfa-key "/x" }' \
    'collection "articles" { fields "title" }' > "$RUN/tokend.conf"

TOKEND_RUN=$RUN TOKEND_PORT=$PORT TOKEND_MAIL_PORT=$SPORT \
    "$TOP/etc/demo.sh" > "$T/log" 2>&1 &
DEMO=$!
TD_PIDS="$TD_PIDS $DEMO"
if ! td_until 'grep -q "^demo: seeded 3 articles" "$T/log"' 1200; then
	fail demo_start "$(grep -v '^ ' "$T/log" | tail -5)"
	exit 1
fi
ok demo_start
# The sign-in portal, its URL printed, redirects allowed to the demo app.
grep -q "^demo: sign-in portal: http://127.0.0.1:$PORT/portal/\$" "$T/log" &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/portal/")" = 200 ] &&
    [ "$(curl -s -o /dev/null -w '%{redirect_url}' \
    "$URL/portal/next?rd=http%3A%2F%2F127.0.0.1%3A8080%2Fapp")" = \
    http://127.0.0.1:8080/app ] && ok demo_portal || fail demo_portal
grep -q 'port 1$' "$RUN/tokend.conf.old" &&
    grep -q '^demo: older .* moved to tokend.conf.old' "$T/log" &&
    grep -q '^	register yes$' "$RUN/tokend.conf" &&
    ok demo_old_conf_set_aside || fail demo_old_conf_set_aside
CTL="$TOKENCTL -s $RUN/tokend.sock"
PW=$(cat "$RUN/admin-password")
post() {
	http POST "$1" -H 'Content-Type: application/json' "${@:3}" -d "$2"
}
# mail_link ADDR PREFIX: the token of the newest mail to ADDR whose
# link starts with PREFIX, once it has arrived.
mail_link() {
	local f
	td_until "grep -lq '^X-Sink-To: <$1>' '$T'/sink/mail.* 2>/dev/null" 100
	f=$(grep -l "^X-Sink-To: <$1>" "$T"/sink/mail.* 2>/dev/null |
	    sort -t. -k2 -n | tail -1)
	[ -n "$f" ] && sed -n "s|^$2?token=\([A-Za-z0-9._-]*\).*|\1|p" "$f" |
	    tr -d '\r' | tail -1
}

# Sign up, verified by mail, into "member".
r=$(post /users/register '{"email":"fay@example.com","password":"fay pass","verification_url":"http://localhost:3000/verify"}')
[ "$r" = "204 " ] && ok demo_register || fail demo_register "$r"
tok=$(mail_link fay@example.com http://localhost:3000/verify)
[ -n "$tok" ] && ok demo_register_mail || fail demo_register_mail
r=$(login fay@example.com 'fay pass')
[ "${r%% *}" = 401 ] && ok demo_register_unverified ||
    fail demo_register_unverified "$r"
r=$(http GET "/users/register/verify-email?token=$tok")
[ "$r" = "204 " ] && ok demo_register_verify || fail demo_register_verify "$r"
r=$(login fay@example.com 'fay pass')
AT=$(j access_token)
[ "${r%% *}" = 200 ] && [ -n "$AT" ] && ok demo_register_login ||
    fail demo_register_login "$r"
r=$(http GET '/users/me?fields=role' -H "Authorization: Bearer $AT")
[ "$r" = "200 {\"data\":{\"role\":\"$MEMBER\"}}" ] && ok demo_register_role ||
    fail demo_register_role "$r"
# member may do what the public role may: the published articles only.
pub=$(http GET '/items/articles?fields=id')
r=$(http GET '/items/articles?fields=id' -H "Authorization: Bearer $AT")
[ "$r" = "$pub" ] && [ "$r" = '200 {"data":[{"id":1},{"id":2}]}' ] &&
    ok demo_member_reads_published || fail demo_member_reads_published "$r"
r=$(http GET /items/articles/3 -H "Authorization: Bearer $AT")
r2=$(post /items/articles '{"title":"x"}' -H "Authorization: Bearer $AT")
[ "${r%% *}" = 403 ] && [ "${r2%% *}" = 403 ] && ok demo_member_no_more ||
    fail demo_member_no_more "$r / $r2"
r=$(post /users/register '{"email":"x@example.com","password":"x","verification_url":"http://localhost:3000/verify/x"}')
case "$r" in
"400 "*"can't be used to verify registered users"*) ok demo_register_url_exact ;;
*) fail demo_register_url_exact "$r" ;;
esac

# The editor writes articles, each one its own (the preset makes it the
# author), and deletes its own only.
echo 'ed pass' | $CTL user add -r editor ed@example.com > /dev/null
# (the demo hashes as Directus does, which takes long on a loaded
# machine: the login is tried again when it times out)
td_until 'login ed@example.com "ed pass" > /dev/null; [ -n "$(j access_token)" ]' 5
ED="Authorization: Bearer $(j access_token)"
http GET '/users/me?fields=id' -H "$ED" > /dev/null
ED_ID=$(j id)
r=$(post /items/articles '{"title":"Mine","status":"draft"}' -H "$ED")
[ "$r" = "200 {\"data\":{\"id\":4,\"title\":\"Mine\",\"body\":null,\"status\":\"draft\",\"author\":\"$ED_ID\"}}" ] &&
    ok demo_editor_author_preset || fail demo_editor_author_preset "$r"
r=$(http PATCH /items/articles/1 -H "$ED" -H 'Content-Type: application/json' -d '{"title":"x"}')
r2=$(http DELETE /items/articles/1 -H "$ED")
[ "${r%% *}" = 403 ] && [ "${r2%% *}" = 403 ] && ok demo_editor_not_others ||
    fail demo_editor_not_others "$r / $r2"
r=$(http DELETE /items/articles/4 -H "$ED")
r2=$(http GET '/items/articles?fields=id' -H "$ED")
[ "$r" = "204 " ] && [ "$r2" = '200 {"data":[{"id":1},{"id":2},{"id":3}]}' ] &&
    ok demo_editor_deletes_own || fail demo_editor_deletes_own "$r / $r2"
# The demo's access is written as policies.
if grep -q '^policy "authors"' "$RUN/tokend.conf" &&
    grep -q '^	policy "readers"' "$RUN/tokend.conf"; then
	ok demo_conf_policies
else
	fail demo_conf_policies "$(grep -c '^policy ' "$RUN/tokend.conf") policy blocks"
fi

# An invite into member, accepted.
login admin@example.com "$PW" > /dev/null
A="Authorization: Bearer $(j access_token)"
r=$(post /users/invite "{\"email\":\"gus@example.com\",\"role\":\"$MEMBER\",\"invite_url\":\"http://localhost:3000/invitation\"}" -H "$A")
case "$r" in
"400 "*"can't be used to invite users"*) ok demo_invite_url_exact ;;
*) fail demo_invite_url_exact "$r" ;;
esac
r=$(post /users/invite "{\"email\":\"gus@example.com\",\"role\":\"$MEMBER\",\"invite_url\":\"http://localhost:3000/invite\"}" -H "$A")
[ "$r" = "204 " ] && ok demo_invite || fail demo_invite "$r"
tok=$(mail_link gus@example.com http://localhost:3000/invite)
r=$(post /users/invite/accept "{\"token\":\"$tok\",\"password\":\"gus pass\"}")
r2=$(login gus@example.com 'gus pass')
[ "$r" = "204 " ] && [ "${r2%% *}" = 200 ] && ok demo_invite_accept ||
    fail demo_invite_accept "$r / ${r2:0:80}"

# A password reset, to localhost:3000/reset only.
r=$(post /auth/password/request '{"email":"gus@example.com","reset_url":"http://localhost:3000/reset2"}')
case "$r" in
"400 "*) ok demo_reset_url_exact ;;
*) fail demo_reset_url_exact "$r" ;;
esac
r=$(post /auth/password/request '{"email":"gus@example.com","reset_url":"http://localhost:3000/reset"}')
tok=$(mail_link gus@example.com http://localhost:3000/reset)
r2=$(post /auth/password/reset "{\"token\":\"$tok\",\"password\":\"gus new\"}")
r3=$(login gus@example.com 'gus new')
[ "$r" = "204 " ] && [ "$r2" = "204 " ] && [ "${r3%% *}" = 200 ] &&
    ok demo_reset || fail demo_reset "$r / $r2 / ${r3:0:80}"

# The TFA issuer.
r=$(post /users/me/tfa/generate '{"password":"gus new"}' \
    -H "Authorization: Bearer $(j access_token)")
case "$r" in
"200 "*"issuer=tokend%20demo"*) ok demo_tfa_issuer ;;
*) fail demo_tfa_issuer "$r" ;;
esac

# Metrics for clients on this machine.
r=$(http GET /server/metrics)
case "$r" in
"200 "*"tokend_logins_total{result=\"ok\"} "*) ok demo_metrics_loopback ;;
*) fail demo_metrics_loopback "${r:0:120}" ;;
esac

# CORS for the demo's application origins, and none other.
for o in http://localhost:3000 http://127.0.0.1:3000 http://localhost:3001; do
	http OPTIONS /auth/login -H "Origin: $o" -H 'Access-Control-Request-Method: POST' > /dev/null
	echo "$(cat "$T/status") $(sed -n 's/^Access-Control-Allow-Origin: \(.*\)\r$/\1/p' "$T/h")"
done > "$T/cors"
[ "$(paste -sd'|' "$T/cors")" = "204 http://localhost:3000|204 http://127.0.0.1:3000|204 " ] &&
    ok demo_cors || fail demo_cors "$(paste -sd'|' "$T/cors")"

# make demo-proxy: nginx in front of the demo application, which shows
# the email of the user forward auth let through.
need nginx
PPORT=$(td_free_port)
APORT=$(td_free_port)
TOKEND_RUN=$RUN TOKEND_PORT=$PORT DEMO_PROXY_PORT=$PPORT DEMO_APP_PORT=$APORT \
    "$TOP/etc/demo-proxy.sh" > "$T/proxylog" 2>&1 &
PROXY=$!
TD_PIDS="$TD_PIDS $PROXY"
P=http://127.0.0.1:$PPORT
if td_until "curl -s -m 1 -o /dev/null $P/ && curl -s -m 1 -o /dev/null http://127.0.0.1:$APORT/" 100; then
	r=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$P/")
	[ "$r" = 401 ] && ok demo_proxy_401 || fail demo_proxy_401 "$r"
	r=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Accept: text/html' "$P/page?x=1")
	[ "$r" = "302 http://127.0.0.1:$PORT/portal/?rd=http%3A%2F%2F127.0.0.1%3A$PPORT%2Fpage%3Fx%3D1" ] &&
	    ok demo_proxy_portal || fail demo_proxy_portal "$r"
	r=$(curl -s -m 5 -H "$ED" "$P/")
	case "$r" in *'Signed in as <strong id=email>ed@example.com</strong>, role editor.'*)
		ok demo_proxy_user ;;
	*) fail demo_proxy_user "${r:0:200}" ;; esac
else
	fail demo_proxy_start "$(tail -5 "$T/proxylog")"
fi
kill -TERM "$PROXY"; wait "$PROXY" 2>/dev/null
td_until "! curl -s -m 1 -o /dev/null http://127.0.0.1:$APORT/" 50 &&
    ok demo_proxy_stops || fail demo_proxy_stops

# make run ALG=EdDSA: the same demo, its tokens signed with Ed25519.
kill -TERM "$DEMO"; wait "$DEMO" 2>/dev/null
ALG=EdDSA TOKEND_RUN=$RUN TOKEND_PORT=$PORT TOKEND_MAIL_PORT=$SPORT \
    "$TOP/etc/demo.sh" > "$T/log2" 2>&1 &
TD_PIDS="$TD_PIDS $!"
if td_until '[ "$(curl -s -m 1 $URL/server/health)" = "{\"status\":\"ok\"}" ]' 150 &&
    grep -q '^demo: tokens signed with EdDSA' "$T/log2"; then
	r=$(login admin@example.com "$PW")
	h=$(j access_token | cut -d. -f1 | tr '_-' '/+' |
	    awk '{ while (length($0) % 4) $0 = $0 "="; print }' | base64 -d 2>/dev/null)
	case "$h" in '{"alg":"EdDSA","typ":"JWT","kid":"'*) ok demo_alg_eddsa ;;
	*) fail demo_alg_eddsa "${r:0:80} $h" ;; esac
	expect demo_alg_eddsa_jwks '200 {"keys":[{"kty":"OKP","crv":"Ed25519",*' \
	    "$(http GET /.well-known/jwks.json)"
else
	fail demo_alg_eddsa "$(tail -3 "$T/log2")"
fi

exit "${TD_FAILED:-0}"
