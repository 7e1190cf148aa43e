#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Behind a reverse proxy (trusted-proxy, issue 15 point 8): the client is
# the right-most hop of X-Forwarded-For that is no trusted proxy, and
# that address is what the rate limits count and a session records; a
# forged header from an untrusted peer, or left of the proxy's own hop,
# changes nothing.  Then through Debian's nginx on loopback: two
# clients behind it are counted apart.
. "$(dirname "$0")/../lib.sh"
need curl nginx
td_init
PREFORK=1
LIMITS='limits { auth-rate-limit 2 per 60s }'
# No lockout of keyd's: only the rate limit answers 429 here.
AUTH='auth { login-stall 10ms; login-attempts 0 }'
td_conf "${TD_FAST_PASSWORD[@]}" "$AUTH" "$LIMITS" \
    'trusted-proxy "127.0.0.1/32, ::1"'
NGX=
trap '[ -n "$NGX" ] && kill "$NGX" 2>/dev/null; td_cleanup' EXIT
td_up proxy
echo 'right pass' | $CTL user add pat@example.com >/dev/null

# try XFF...: the status of a failed login with those X-Forwarded-For
# headers (none when no argument).
try() {
	local h=() x
	for x in "$@"; do h+=(-H "X-Forwarded-For: $x"); done
	curl -s -m 5 -o /dev/null -w '%{http_code}' "${h[@]}" \
	    -H 'Content-Type: application/json' \
	    -d '{"email":"pat@example.com","password":"wrong"}' "$URL/auth/login"
}

# Each forwarded client has its own count; the proxy's own requests too.
r="$(try 203.0.113.5) $(try 203.0.113.5) $(try 203.0.113.5)"
[ "$r" = "401 401 429" ] && ok proxy_client_counted || fail proxy_client_counted "$r"
r="$(try 203.0.113.6) $(try '203.0.113.6') $(try)"
[ "$r" = "401 401 401" ] && ok proxy_clients_apart || fail proxy_clients_apart "$r"
# What a client writes left of the proxy's hop is not read: the forged
# 203.0.113.7 does not escape 203.0.113.5's count.
r=$(try '203.0.113.7, 203.0.113.5')
[ "$r" = 429 ] && ok proxy_forged_left_hop_ignored || fail proxy_forged_left_hop_ignored "$r"
# Trusted hops are skipped from the right: the client stands left of
# them, also over two headers.
r="$(try '203.0.113.8, 127.0.0.1') $(try 203.0.113.8 '::1, 127.0.0.1') $(try '203.0.113.8, ::ffff:127.0.0.1')"
[ "$r" = "401 401 429" ] && ok proxy_trusted_hops_skipped || fail proxy_trusted_hops_skipped "$r"
# A hop that is no address ends the walk at the proxy that wrote it:
# the count is the proxy's (127.0.0.1, one failure so far).
r="$(try 'garbage, 203.0.113.9') $(try 'nonsense') $(try '203.0.113.9 x')"
[ "$r" = "401 401 429" ] && ok proxy_bad_hop_stops || fail proxy_bad_hop_stops "$r"

# The session records the client's address.
kill -TERM "$TD_PID"; wait "$TD_PID"
td_conf "${TD_FAST_PASSWORD[@]}" "$AUTH" \
    'trusted-proxy "127.0.0.1"'
td_up proxy2
http POST /auth/login -H 'Content-Type: application/json' \
    -H 'X-Forwarded-For: 198.51.100.20' \
    -d '{"email":"pat@example.com","password":"right pass"}' >/dev/null
$CTL session list pat@example.com | grep -q '198\.51\.100\.20' &&
    ok proxy_session_address || fail proxy_session_address "$($CTL session list)"

# The scheme: a trusted proxy's X-Forwarded-Proto says what the client
# used, and a cookie's unsafe request must come from that scheme's
# origin; from an untrusted peer the header is not believed.
login pat@example.com 'right pass' session >/dev/null
SES="directus_session_token=$(session_cookie)"
patch_me() {	# patch_me ORIGIN [XFP]
	http PATCH /users/me -b "$SES" -H 'Content-Type: application/json' \
	    -H "Origin: $1" ${2:+-H "X-Forwarded-Proto: $2"} \
	    -d '{"first_name":"P"}' | cut -c1-3
}
H=${URL#http://}
r="$(patch_me "https://$H" https) $(patch_me "http://$H" https) $(patch_me "http://$H") $(patch_me "https://$H")"
[ "$r" = "200 403 200 403" ] && ok proxy_forwarded_proto || fail proxy_forwarded_proto "$r"

# An untrusted peer's header is ignored: trusted-proxy names another
# network, so every request counts as 127.0.0.1's.
kill -TERM "$TD_PID"; wait "$TD_PID"
td_conf "${TD_FAST_PASSWORD[@]}" "$AUTH" "$LIMITS" \
    'trusted-proxy "10.0.0.0/8"'
td_up proxy3
login pat@example.com 'right pass' session >/dev/null
SES="directus_session_token=$(session_cookie)"
r="$(try 203.0.113.10) $(try 203.0.113.11)"
[ "$r" = "401 429" ] && ok proxy_untrusted_peer_ignored || fail proxy_untrusted_peer_ignored "$r"
H=${URL#http://}
r="$(patch_me "https://$H" https) $(patch_me "http://$H" https)"
[ "$r" = "403 200" ] && ok proxy_untrusted_proto_ignored || fail proxy_untrusted_proto_ignored "$r"

# Bad lists are refused.
for v in '10.0.0.1/8' '300.1.1.1' '10.0.0.0/33' 'example.com' '::1/129'; do
	sed "s|^trusted-proxy .*|trusted-proxy \"$v\"|" "$T/tokend.conf" > "$T/bad.conf"
	conf_refused "proxy_refused_${v//[^0-9a-z]/_}" "$T/bad.conf" 'trusted-proxy'
done

# Through nginx: two clients on their own loopback addresses, each
# counted for itself; a header the client forged is kept left of the
# hop nginx adds, and not read.
if ! curl -s -m 2 --interface 127.0.0.2 -o /dev/null "$URL/server/ping"; then
	skip proxy_nginx "no 127.0.0.2 on this host"
	exit 0
fi
kill -TERM "$TD_PID"; wait "$TD_PID"
td_conf "${TD_FAST_PASSWORD[@]}" "$AUTH" "$LIMITS" \
    'trusted-proxy "127.0.0.1"'
td_up proxy4
NPORT=$(td_free_port)
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
		listen 127.0.0.1:$NPORT;
		location / {
			proxy_pass http://127.0.0.1:$PORT;
			proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
			proxy_set_header X-Forwarded-Proto \$scheme;
		}
	}
}
CONF
/usr/sbin/nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" &
NGX=$!
td_until "curl -s -m 1 -o /dev/null http://127.0.0.1:$NPORT/server/ping" 50 ||
    { fail proxy_nginx_start "$(cat "$T/nginx/error.log")"; exit 1; }
via() {	# via ADDR [XFF]: a failed login from ADDR through nginx
	curl -s -m 5 -o /dev/null -w '%{http_code}' --interface "$1" \
	    ${2:+-H "X-Forwarded-For: $2"} -H 'Content-Type: application/json' \
	    -d '{"email":"pat@example.com","password":"wrong"}' \
	    "http://127.0.0.1:$NPORT/auth/login"
}
r="$(via 127.0.0.2) $(via 127.0.0.2) $(via 127.0.0.2) $(via 127.0.0.3) $(via 127.0.0.3 198.51.100.9)"
[ "$r" = "401 401 429 401 401" ] && ok proxy_nginx_per_client ||
    fail proxy_nginx_per_client "$r"
r=$(via 127.0.0.3 198.51.100.10)
[ "$r" = 429 ] && ok proxy_nginx_forged_ignored || fail proxy_nginx_forged_ignored "$r"
