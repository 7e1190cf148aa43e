#!/bin/bash
# The routes of the foundation: ping, health, unknown routes.
. "$(dirname "$0")/../lib.sh"
td_init
td_conf
td_start || { fail routes_start "tokend did not start: $(tail -5 $T/log)"; exit 1; }

r=$(curl -s -m 5 -D "$T/h" "$URL/server/ping")
[ "$r" = pong ] && ok routes_ping_body || fail routes_ping_body "$r"
grep -qi '^content-type: text/html; charset=utf-8' "$T/h" &&
    ok routes_ping_type || fail routes_ping_type
grep -q '^HTTP/1.1 200' "$T/h" && ok routes_ping_status ||
    fail routes_ping_status

# A token, good or bad, never breaks ping (it runs before any token logic).
r=$(curl -s -m 5 -H 'Authorization: Bearer garbage.x.y' \
    "$URL/server/ping?access_token=also-garbage")
[ "$r" = pong ] && ok routes_ping_ignores_token || fail routes_ping_ignores_token "$r"

r=$(curl -s -m 5 -D "$T/h" "$URL/server/health")
[ "$r" = '{"status":"ok"}' ] && ok routes_health_body || fail routes_health_body "$r"
grep -qi '^content-type: application/health+json' "$T/h" &&
    ok routes_health_type || fail routes_health_type

r=$(http GET /nope)
[ "$r" = '404 {"errors":[{"message":"Route /nope doesn'"'"'t exist.","extensions":{"code":"ROUTE_NOT_FOUND"}}]}' ] &&
    ok routes_404_envelope || fail routes_404_envelope "$r"

r=$(http POST /server/ping)
case "$r" in
"404 "*ROUTE_NOT_FOUND*) ok routes_ping_post_404 ;;
*) fail routes_ping_post_404 "$r" ;;
esac

# Client bytes are echoed only through the JSON encoder.
r=$(http GET '/a%22b%5C%0d%0aSet-Cookie:x=1')
case "$r" in
"404 "*ROUTE_NOT_FOUND*) ok routes_404_hostile_path ;;
*) fail routes_404_hostile_path "$r" ;;
esac
grep -qi '^set-cookie' "$T/h" && fail routes_no_header_injection ||
    ok routes_no_header_injection

r=$(printf 'GET /\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
    timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat >&3; cat <&3" |
    head -1 | tr -d '\r')
case "$r" in
"HTTP/1.1 404"*|"HTTP/1.1 400"*) ok routes_binary_path ;;
*) fail routes_binary_path "$r" ;;
esac

curl -s -m 5 -I "$URL/server/ping" | head -1 | grep -q 200 &&
    ok routes_head_ping || fail routes_head_ping

# Still alive after all of the above.
[ "$(curl -s -m 5 "$URL/server/ping")" = pong ] && ok routes_alive ||
    fail routes_alive
