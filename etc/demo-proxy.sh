#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# make demo-proxy: with make run going, nginx on 127.0.0.1:8080 in front
# of a small application (etc/demo-app.py on 127.0.0.1:8081) that
# tokend protects through forward auth (GET /auth/verify): a browser not
# signed in goes to tokend's portal, and the application shows the
# email nginx passes it in Remote-Email.  In the foreground until
# Ctrl-C.  TOKEND_PORT, DEMO_PROXY_PORT, DEMO_APP_PORT and TOKEND_RUN
# change the ports and the directory (regress/daemon/demoproxy.sh).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
run=${TOKEND_RUN:-$top/run}
port=${TOKEND_PORT:-8055}
proxy=${DEMO_PROXY_PORT:-8080}
app=${DEMO_APP_PORT:-8081}
nginx=${NGINX:-/usr/sbin/nginx}
dir="$run/proxy"

if ! curl -s -m 2 -o /dev/null "http://127.0.0.1:$port/server/ping"; then
	echo "demo-proxy: tokend does not answer on 127.0.0.1:$port;" \
	    "start make run first" >&2
	exit 1
fi
[ -x "$nginx" ] || { echo "demo-proxy: no $nginx (make deps)" >&2; exit 1; }
mkdir -p "$dir"
# The server block is the example users are given
# (etc/examples/nginx-forward-auth.conf), with the demo's ports.
{
	cat <<CONF
# Written by make demo-proxy (etc/demo-proxy.sh).
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log stderr;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $dir/body;
	proxy_temp_path $dir/proxy;
	server {
		listen 127.0.0.1:$proxy;
CONF
	sed -e "s|127\.0\.0\.1:8055|127.0.0.1:$port|" \
	    -e "s|127\.0\.0\.1:3000|127.0.0.1:$app|" \
	    -e '/^#/d' -e 's/^/\t\t/' "$top/etc/examples/nginx-forward-auth.conf"
	printf '\t}\n}\n'
} > "$dir/nginx.conf"
python3 "$top/etc/demo-app.py" "$app" \
    "http://127.0.0.1:$port/portal/account" &
apppid=$!
"$nginx" -e stderr -c "$dir/nginx.conf" -p "$dir" &
ngxpid=$!
trap 'kill $apppid $ngxpid 2>/dev/null; exit 0' INT TERM
echo "demo-proxy: the application on http://127.0.0.1:$proxy/ behind nginx" \
    "and tokend's forward auth (Ctrl-C stops it)"
echo "demo-proxy: try: curl -H \"Authorization: Bearer TOKEN\"" \
    "http://127.0.0.1:$proxy/ (without a token: 401, a browser the portal)"
wait $ngxpid
kill $apppid 2>/dev/null
