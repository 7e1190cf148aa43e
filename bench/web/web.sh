#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# make bench-web: forward auth and the CORS preflight against nginx, one
# run, one machine.  Two figures:
#  - GET of an application behind nginx with auth_request to tokend's
#    /auth/verify (a static token, answered from the worker's cache),
#    against the same nginx passing the same request to the same
#    upstream without auth_request.  Target (issue 18): at least 0.5.
#    Beside it, the ceiling: the same auth_request answered by nginx
#    itself (a fixed 200), which no authentication server beats.
#  - a CORS preflight (OPTIONS with Origin and
#    Access-Control-Request-Method) answered by tokend's workers,
#    against nginx answering it with the same headers (add_header).
#    Target: at least 0.6.
# Only the ratios mean anything.  make bench runs it at its end; make
# bench-web alone (its own nginx, its own tokend started with
# regress/lib.sh).
#
# Knobs: BENCH_WEB_SECONDS (each wrk run, default 5), BENCH_WEB_CONNS
# (keep-alive connections, default 50), BENCH_WEB_ROUNDS (alternated
# runs of each, the median kept, default 3).
. "$(dirname "$0")/../../regress/lib.sh"
. "$(dirname "$0")/../nginx.sh"
need wrk curl
NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || { echo "bench-web: $NGINX is missing (nginx-light)" >&2
    exit 1; }
SECS=${BENCH_WEB_SECONDS:-5}
CONNS=${BENCH_WEB_CONNS:-50}
ROUNDS=${BENCH_WEB_ROUNDS:-3}
NCPU=$(nproc 2>/dev/null || echo 1)
APP=http://localhost:3000
td_init

PREFORK=$NCPU
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'limits {' '	connections 4096' '}' \
    'cors {' "	origin \"$APP\"" '}'
TD_QUIET=1	# -d without -v, as bench/bench.sh runs tokend
td_up bench_web
echo 'bench password' | $CTL user add bench@example.com >/dev/null
STATIC=$($CTL user token bench@example.com)

# nginx: the front (the application's server, with and without
# auth_request), the upstream application (a fixed page), and the
# preflight answered by nginx itself with tokend's headers.
FPORT=$(td_free_port)
UPORT=$(td_free_port)
mkdir -p "$T/nginx"
{
	nginx_conf_head "$T/nginx"
	cat <<CONF
	upstream app { server 127.0.0.1:$UPORT; keepalive 64; }
	upstream tokend { server 127.0.0.1:$PORT; keepalive 64; }
	server {
		listen 127.0.0.1:$UPORT;
		location / {
			default_type text/html;
			return 200 "<p>Hello \$http_remote_user</p>\n";
		}
		location = /verify {
			add_header Remote-User "bench@example.com";
			return 200;
		}
	}
	server {
		listen 127.0.0.1:$FPORT;
		# Keep-alive to both upstreams: HTTP/1.1 and no Connection
		# header.  proxy_set_header in a location replaces every one
		# the server sets, so each location that sets one says
		# Connection "" itself; without it nginx sends
		# "Connection: close" and every request opens a connection.
		proxy_http_version 1.1;
		location = /_tokend_verify {
			internal;
			proxy_set_header Connection "";
			proxy_pass http://tokend/auth/verify;
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Original-URI \$request_uri;
			proxy_set_header X-Forwarded-Host \$http_host;
			proxy_set_header X-Forwarded-Proto \$scheme;
		}
		location /auth/ {
			proxy_set_header Connection "";
			auth_request /_tokend_verify;
			auth_request_set \$tokend_user \$upstream_http_remote_user;
			proxy_set_header Remote-User \$tokend_user;
			proxy_pass http://app;
		}
		location = /_free_verify {
			internal;
			proxy_set_header Connection "";
			proxy_pass http://app/verify;
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Original-URI \$request_uri;
		}
		location /free/ {
			proxy_set_header Connection "";
			auth_request /_free_verify;
			auth_request_set \$tokend_user \$upstream_http_remote_user;
			proxy_set_header Remote-User \$tokend_user;
			proxy_pass http://app;
		}
		location /plain/ {
			proxy_set_header Connection "";
			proxy_set_header Remote-User "bench@example.com";
			proxy_pass http://app;
		}
		location /preflight {
			add_header Access-Control-Allow-Origin \$http_origin;
			add_header Vary Origin;
			add_header Access-Control-Allow-Credentials true;
			add_header Access-Control-Allow-Methods GET,POST,PATCH,DELETE;
			add_header Access-Control-Allow-Headers Content-Type,Authorization;
			add_header Access-Control-Max-Age 18000;
			add_header Access-Control-Expose-Headers Content-Range;
			return 204;
		}
	}
}
CONF
} > "$T/nginx/nginx.conf"
"$NGINX" -p "$T/nginx" -e "$T/nginx/error.log" -c "$T/nginx/nginx.conf" \
    -g 'daemon off;' > "$T/nginx/stdout.log" 2>&1 &
TD_PIDS="$TD_PIDS $!"
F=http://127.0.0.1:$FPORT
td_until "curl -s -o /dev/null $F/plain/" 50 ||
    { echo "bench-web: nginx did not start: $(cat "$T/nginx/error.log")" >&2; exit 1; }
# Both ways answer what they should before they are measured.
r="$(curl -s -H "Authorization: Bearer $STATIC" "$F/auth/x") $(curl -s -o /dev/null -w '%{http_code}' "$F/auth/x")"
[ "$r" = "<p>Hello bench@example.com</p> 401" ] ||
    { echo "bench-web: forward auth does not answer as it should: $r" >&2; exit 1; }
PF=(-X OPTIONS -H "Origin: $APP" -H 'Access-Control-Request-Method: POST')
r=$(curl -s -o /dev/null -D - "${PF[@]}" "$URL/users/me" | tr -d '\r' |
    grep -c "^Access-Control-Allow-Origin: $APP")
[ "$r" = 1 ] || { echo "bench-web: tokend does not answer the preflight" >&2; exit 1; }

# rate ARGS...: wrk's requests per second, with the non-2xx count
# added to $T/errors.
rate() {
	wrk -t "$NCPU" -c "$CONNS" -d "${SECS}s" "$@" > "$T/wrk.txt" 2>&1
	awk '/Non-2xx|Socket errors/ { n++ } END { print n + 0 }' "$T/wrk.txt" >> "$T/errors"
	sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$T/wrk.txt"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# wrk's OPTIONS: a script sets the method and the headers.
cat > "$T/preflight.lua" <<LUA
wrk.method = "OPTIONS"
wrk.headers["Origin"] = "$APP"
wrk.headers["Access-Control-Request-Method"] = "POST"
wrk.headers["Access-Control-Request-Headers"] = "content-type,authorization"
LUA
: > "$T/errors"
for r in $(seq 1 "$ROUNDS"); do
	rate -H "Authorization: Bearer $STATIC" "$F/plain/page" >> "$T/plain"
	rate -H "Authorization: Bearer $STATIC" "$F/auth/page" >> "$T/verify"
	rate -H "Authorization: Bearer $STATIC" "$F/free/page" >> "$T/free"
	rate -s "$T/preflight.lua" "$F/preflight" >> "$T/npre"
	rate -s "$T/preflight.lua" "$URL/users/me" >> "$T/tpre"
done
plain=$(median < "$T/plain")
verify=$(median < "$T/verify")
free=$(median < "$T/free")
npre=$(median < "$T/npre")
tpre=$(median < "$T/tpre")
printf '%-44s %10s %10s %6s %7s\n' "web (median of $ROUNDS, $NCPU CPUs, -c$CONNS)" \
    tokend nginx ratio target
printf '%-44s %10s %10s %6s %7s\n' "GET behind nginx, auth_request /auth/verify" \
    "$verify" "$plain" "$(ratio "$verify" "$plain")" 0.50
printf '%-44s %10s %10s %6s %7s\n' "(ceiling: auth_request to nginx itself)" \
    "$free" "$plain" "$(ratio "$free" "$plain")" -
printf '%-44s %10s %10s %6s %7s\n' "CORS preflight OPTIONS" \
    "$tpre" "$npre" "$(ratio "$tpre" "$npre")" 0.60
echo "runs with errors (non-2xx or socket): $(awk '$1 > 0 { n++ } END { print n + 0 }' "$T/errors")"
