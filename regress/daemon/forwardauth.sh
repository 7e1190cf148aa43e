#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Forward auth (GET /auth/verify) behind Debian's nginx (auth_request)
# and Caddy (forward_auth), in front of an upstream that echoes the
# headers the proxy passes it: nobody signed in 401 (a browser: the
# portal with rd), a token (header, cookie, access_token of the URI
# asked for) 200 with Remote-User seen by the upstream, protect rules
# (first match, role or admin access) 403, a suspended user refused at
# once.
. "$(dirname "$0")/../lib.sh"
need curl nginx caddy
td_init
PREFORK=1
EDITOR=b0000000-0000-4000-8000-0000000000e1
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'public-url "http://auth.example.test/"' \
    "role \"editor\" { id \"$EDITOR\" }" \
    'protect "*" "/admin/" { admin-access yes }' \
    'protect "app.example.test" "/edit/" { role "editor" }' \
    'protect "*" "/edit/" { admin-access yes }' \
    'forward-auth { groups-header "Remote-Role" }'
NGX= CADDY=
trap '[ -n "$NGX" ] && kill "$NGX" 2>/dev/null; [ -n "$CADDY" ] && kill "$CADDY" 2>/dev/null; td_cleanup' EXIT
td_up forwardauth
echo 'admin pass' | $CTL user add -r admin root@example.com >/dev/null
echo 'ed pass' | $CTL user add -r editor ed@example.com >/dev/null
echo 'user pass' | $CTL user add una@example.com >/dev/null
AT_ED=$(token ed@example.com 'ed pass')
AT_UNA=$(token una@example.com 'user pass')
AT_ROOT=$(token root@example.com 'admin pass')
login ed@example.com 'ed pass' session >/dev/null
SES_ED="directus_session_token=$(session_cookie)"
http PATCH /users/me -H "Authorization: Bearer $AT_ED" -H 'Content-Type: application/json' \
    -d '{"first_name":"Ed","last_name":"Itor"}' >/dev/null

# Straight to tokend first.
expect fa_none_401 '401 *INVALID_CREDENTIALS*' "$(http GET /auth/verify)"
grep -q '^WWW-Authenticate: Bearer' "$T/h" && ok fa_none_www_authenticate ||
    fail fa_none_www_authenticate "$(cat "$T/h")"
# A forwarded URI with a blank is not believed: rd is the host's root.
http GET /auth/verify -H 'Accept: text/html,application/xhtml+xml' \
    -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-Host: app.example.test' \
    -H 'X-Forwarded-Uri: /docs/a b?x=1&y=2' >/dev/null
same fa_browser_302 "302 http://auth.example.test/portal/?rd=https%3A%2F%2Fapp.example.test%2F" \
    "$(cat "$T/status") $(sed -n 's/^Location: \(.*\)\r$/\1/p' "$T/h")"
http GET /auth/verify -H 'Accept: text/html' -H 'X-Forwarded-Proto: https' \
    -H 'X-Forwarded-Host: app.example.test' -H 'X-Forwarded-Uri: /docs/?x=1&y=2' >/dev/null
same fa_browser_rd_encoded "302 http://auth.example.test/portal/?rd=https%3A%2F%2Fapp.example.test%2Fdocs%2F%3Fx%3D1%26y%3D2" \
    "$(cat "$T/status") $(sed -n 's/^Location: \(.*\)\r$/\1/p' "$T/h")"
expect fa_bad_token_401 '401 *' "$(http GET /auth/verify -H 'Authorization: Bearer nope')"
http GET /auth/verify -H "Authorization: Bearer $AT_ED" -H 'X-Forwarded-Uri: /' >/dev/null
same fa_headers "200|Remote-User: ed@example.com|Remote-Email: ed@example.com|Remote-Name: Ed Itor|Remote-Role: editor" \
    "$(cat "$T/status")|$(tr -d '\r' < "$T/h" | grep '^Remote-' | paste -sd'|')"
expect fa_cookie_200 '200 ' "$(http GET /auth/verify -b "$SES_ED")"
expect fa_query_200 '200 ' \
    "$(http GET /auth/verify -H "X-Forwarded-Uri: /page?a=1&access_token=$AT_ED")"
expect fa_query_bad_401 '401 *' \
    "$(http GET /auth/verify -H "X-Forwarded-Uri: /page?access_token=x$AT_ED")"
# protect: the first rule that matches decides; the default is any user.
v() {	# v TOKEN HOST URI: the status of /auth/verify
	curl -s -m 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" \
	    -H "X-Forwarded-Host: $2" -H "X-Forwarded-Uri: $3" "$URL/auth/verify"
}
r="$(v "$AT_UNA" app.example.test /) $(v "$AT_UNA" app.example.test /admin/x) $(v "$AT_ED" app.example.test /admin/) $(v "$AT_ROOT" app.example.test /admin/)"
[ "$r" = "200 403 403 200" ] && ok fa_protect_admin || fail fa_protect_admin "$r"
r="$(v "$AT_ED" APP.example.test:8080 /edit/x) $(v "$AT_UNA" app.example.test /edit/x) $(v "$AT_ED" other.example.test /edit/x) $(v "$AT_ROOT" other.example.test /edit/)"
[ "$r" = "200 403 403 200" ] && ok fa_protect_role_first_match || fail fa_protect_role_first_match "$r"
r="$(v "$AT_UNA" app.example.test /administrator) $(v "$AT_UNA" app.example.test /edit)"
[ "$r" = "200 200" ] && ok fa_protect_prefix || fail fa_protect_prefix "$r"
expect fa_403_body '403 *FORBIDDEN*' \
    "$(http GET /auth/verify -H "Authorization: Bearer $AT_UNA" -H 'X-Forwarded-Uri: /admin/')"

# Bad protect rules.
bad() {
	printf '%s\n' "$2" > "$T/p.conf"
	chmod 600 "$T/p.conf"
	conf_refused "$1" "$T/p.conf" "$3"
}
bad fa_conf_no_role 'protect "*" "/" { role "nobody" }' 'no role "nobody"'
bad fa_conf_path 'protect "*" "admin" { admin-access yes }' 'not a path'
bad fa_conf_host 'protect "a b" "/" { admin-access yes }' 'not a host name'
bad fa_conf_header 'forward-auth { user-header "X User" }' 'not a header name'

# nginx: auth_request in front of a second server of its own that
# echoes what it was passed; a browser's 401 goes to the Location.
NPORT=$(td_free_port)
UPORT=$(td_free_port)
mkdir -p "$T/nginx"
cat > "$T/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	server {
		listen 127.0.0.1:$UPORT;
		location / {
			default_type text/plain;
			return 200 "user=\$http_remote_user email=\$http_remote_email role=\$http_remote_role uri=\$request_uri\n";
		}
	}
	server {
		listen 127.0.0.1:$NPORT;
		location = /_tokend_verify {
			internal;
			proxy_pass http://127.0.0.1:$PORT/auth/verify;
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Original-URI \$request_uri;
			proxy_set_header X-Forwarded-Host \$http_host;
			proxy_set_header X-Forwarded-Proto \$scheme;
		}
		location / {
			auth_request /_tokend_verify;
			auth_request_set \$tokend_user \$upstream_http_remote_user;
			auth_request_set \$tokend_email \$upstream_http_remote_email;
			auth_request_set \$tokend_role \$upstream_http_remote_role;
			auth_request_set \$tokend_portal \$upstream_http_location;
			error_page 401 = @tokend_login;
			proxy_set_header Remote-User \$tokend_user;
			proxy_set_header Remote-Email \$tokend_email;
			proxy_set_header Remote-Role \$tokend_role;
			proxy_pass http://127.0.0.1:$UPORT;
		}
		location @tokend_login {
			if (\$tokend_portal) { return 302 \$tokend_portal; }
			return 401;
		}
	}
}
CONF
/usr/sbin/nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" &
NGX=$!
td_until "curl -s -m 1 -o /dev/null http://127.0.0.1:$UPORT/" 50 ||
    { fail fa_nginx_start "$(cat "$T/nginx/error.log")"; exit 1; }
NURL=http://127.0.0.1:$NPORT
via() {	# via URL [curl args]: status and body through the proxy
	local u=$1
	shift
	curl -s -m 5 -D "$T/ph" -o "$T/pbody" -w '%{http_code}' "$@" "$u" > "$T/pstatus"
	echo "$(cat "$T/pstatus") $(cat "$T/pbody")"
}
expect fa_nginx_none_401 '401 *' "$(via "$NURL/docs/")"
via "$NURL/docs/?q=1" -H 'Accept: text/html' >/dev/null
same fa_nginx_browser_302 "302 http://auth.example.test/portal/?rd=http%3A%2F%2F127.0.0.1%3A$NPORT%2Fdocs%2F%3Fq%3D1" \
    "$(cat "$T/pstatus") $(sed -n 's/^Location: \(.*\)\r$/\1/p' "$T/ph")"
expect fa_nginx_token_200 "200 user=ed@example.com email=ed@example.com role=editor uri=/docs/" \
    "$(via "$NURL/docs/" -H "Authorization: Bearer $AT_ED")"
expect fa_nginx_cookie_200 "200 user=ed@example.com *" "$(via "$NURL/x" -b "$SES_ED")"
expect fa_nginx_query_200 "200 user=ed@example.com *uri=/x?access_token=*" \
    "$(via "$NURL/x?access_token=$AT_ED")"
expect fa_nginx_admin_403 '403 *' "$(via "$NURL/admin/" -H "Authorization: Bearer $AT_UNA")"
# A client's own Remote-User is not what the upstream sees.
expect fa_nginx_forged_header "200 user=una@example.com *" \
    "$(via "$NURL/x" -H "Authorization: Bearer $AT_UNA" -H 'Remote-User: root@example.com')"

# Caddy: forward_auth, which passes the 302 of a browser on as is.
CPORT=$(td_free_port)
mkdir -p "$T/caddy"
cat > "$T/caddy/Caddyfile" <<CONF
{
	admin off
	auto_https off

	storage file_system $T/caddy/data
}
http://127.0.0.1:$CPORT {
	forward_auth 127.0.0.1:$PORT {
		uri /auth/verify
		copy_headers Remote-User Remote-Email Remote-Role
	}
	reverse_proxy 127.0.0.1:$UPORT
}
CONF
XDG_DATA_HOME=$T/caddy XDG_CONFIG_HOME=$T/caddy HOME=$T/caddy \
    caddy run --config "$T/caddy/Caddyfile" --adapter caddyfile > "$T/caddy/log" 2>&1 &
CADDY=$!
td_until "curl -s -m 1 -o /dev/null http://127.0.0.1:$CPORT/" 100 ||
    { fail fa_caddy_start "$(tail -5 "$T/caddy/log")"; exit 1; }
CURL_=http://127.0.0.1:$CPORT
expect fa_caddy_none_401 '401 *' "$(via "$CURL_/docs/")"
via "$CURL_/docs/?q=1" -H 'Accept: text/html' >/dev/null
same fa_caddy_browser_302 "302 http://auth.example.test/portal/?rd=http%3A%2F%2F127.0.0.1%3A$CPORT%2Fdocs%2F%3Fq%3D1" \
    "$(cat "$T/pstatus") $(sed -n 's/^Location: \(.*\)\r$/\1/p' "$T/ph")"
expect fa_caddy_token_200 "200 user=ed@example.com email=ed@example.com role=editor uri=/docs/" \
    "$(via "$CURL_/docs/" -H "Authorization: Bearer $AT_ED")"
expect fa_caddy_cookie_200 "200 user=ed@example.com *" "$(via "$CURL_/x" -b "$SES_ED")"
expect fa_caddy_query_200 "200 user=ed@example.com *" "$(via "$CURL_/x?access_token=$AT_ED")"
expect fa_caddy_admin_403 '403 *' "$(via "$CURL_/admin/" -H "Authorization: Bearer $AT_UNA")"

# A suspended user's token and session are refused at once, through
# both proxies (the worker's cache answered them a moment ago).
$CTL user suspend ed@example.com >/dev/null
st() { via "$@" >/dev/null; cat "$T/pstatus"; }
r="$(st "$NURL/x" -H "Authorization: Bearer $AT_ED") $(st "$NURL/x" -b "$SES_ED") $(st "$CURL_/x" -H "Authorization: Bearer $AT_ED") $(v "$AT_ED" app.example.test /)"
[ "$r" = "401 401 401 401" ] && ok fa_suspended_refused || fail fa_suspended_refused "$r"

# The names the worker's cache keeps for forward auth follow the user:
# after its own change of email and name, the next verify (keyd's
# answer: the change dropped the token from the cache) and the one
# after it (the cache's again) name the new ones.
fa_names() {
	http GET /auth/verify -H "Authorization: Bearer $AT_ROOT" >/dev/null
	echo "$(cat "$T/status")|$(tr -d '\r' < "$T/h" | grep -E '^Remote-(User|Email|Name)' | paste -sd'|')"
}
fa_names >/dev/null
same fa_cached_names "200|Remote-User: root@example.com|Remote-Email: root@example.com|Remote-Name: " \
    "$(fa_names)"
http PATCH /users/me -H "Authorization: Bearer $AT_ROOT" -H 'Content-Type: application/json' \
    -d '{"email":"boss@example.com","first_name":"Ro","last_name":"Ot"}' >/dev/null
same fa_names_follow_change "200|Remote-User: boss@example.com|Remote-Email: boss@example.com|Remote-Name: Ro Ot" \
    "$(fa_names)"
same fa_cached_names_follow_change "200|Remote-User: boss@example.com|Remote-Email: boss@example.com|Remote-Name: Ro Ot" \
    "$(fa_names)"
