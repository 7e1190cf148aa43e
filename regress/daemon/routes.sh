#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
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

# How a method and a path find their row of the route table: matched
# as written, except exact paths, which are percent-decoded first; a
# method or a path no row has is 404.  A body ("big" or "edge": 9000
# bytes) over 8192 bytes under /auth/ is refused at the edge, which
# closes the connection; on another small-body route, once it is read.
big=$(head -c 9000 /dev/zero | tr '\0' x)
while read -r name m p want body; do
	args=(-s -m 5 --path-as-is -D "$T/h" -o /dev/null -w '%{http_code}')
	[ "$m" = HEAD ] && args+=(-I) || args+=(-X "$m")
	[ -n "$body" ] && args+=(--data-binary "$big")
	r=$(curl "${args[@]}" "$URL$p")
	grep -qi '^connection: close' "$T/h" && [ "$body" = big ] &&
	    r="$r closed"
	[ "$body" = edge ] && ! grep -qi '^connection: close' "$T/h" &&
	    r="$r kept open"
	[ "$r" = "$want" ] && ok "routes_$name" || fail "routes_$name" "$r"
done <<'CASES'
me_head HEAD /users/me 404
me_slash GET /users/me/ 404
me_encoded GET /users/m%65 401
me_big_get GET /users/me 401 big
me_big_patch PATCH /users/me 413 big
ping_encoded GET /server/pin%67 200
ping_slash GET /server/ping/ 404
ping_options OPTIONS /server/ping 404
login_get GET /auth/login 404
login_slash POST /auth/login/ 404
auth_unknown_big POST /auth/nope 413 edge
auth_encoded_big POST /%61uth/login 413 big
users_slash GET /users/ 403
users_post_id POST /users/x 404
roles_write POST /roles 403
roles_put PUT /roles 404
items_put PUT /items/x 404
items_head HEAD /items/x 404
items_empty GET /items/ 404
items_deep GET /items/x/1/2 404
CASES

# tokend.8 lists exactly the routes of the table (tokend -R): each
# ".It Li METHOD[ , METHOD...] /path[ Ns Ar x[ Ns Li /more]][ , Li ...]"
# line of the page gives "METHOD /path" pairs, a variable part written
# "*".
man_routes() {
	awk '/^\.It Li (GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|SEARCH)[ ,]/ {
		line = substr($0, 5)
		gsub(/ Ns Ar [^ ,]* Ns Li /, "*", line)
		gsub(/ Ns Ar [^,]*/, "*", line)
		n = split(line, piece, ",")
		methods = ""; after_path = 0
		for (i = 1; i <= n; i++) {
			k = split(piece[i], word, " ")
			for (j = 1; j <= k; j++) {
				w = word[j]
				if (w == "Li")
					continue
				if (w ~ /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|SEARCH)$/) {
					if (after_path)
						methods = ""
					methods = methods " " w; after_path = 0
				} else if (w ~ /^\//) {
					m = split(methods, each, " ")
					for (x = 1; x <= m; x++)
						print each[x], w
					after_path = 1
				} else {
					print "UNREADABLE", FILENAME ":" FNR ":", w
				}
			}
		}
	}' "$TOP/man/tokend.8" | sort -u
}
"$TOKEND" -R | awk '$1 != "-" { print $1, $2 }' | sort -u > "$T/table"
man_routes > "$T/man"
if [ ! -s "$T/table" ] || [ ! -s "$T/man" ]; then
	fail routes_man_list "empty list: table $(wc -l < "$T/table"), man $(wc -l < "$T/man")"
elif cmp -s "$T/table" "$T/man"; then
	ok routes_man_list
else
	fail routes_man_list "$(comm -3 "$T/table" "$T/man" |
	    sed 's/^\t/only in tokend.8: /; t; s/^/only in the table: /' |
	    tr '\n' ';')"
fi

# A route flagged no-keyd answers while keyd is stopped.
KPID=$(td_keyd)
if [ -n "$KPID" ] && kill -STOP $KPID; then
	for p in $("$TOKEND" -R | awk '$1 == "GET" && / no-keyd/ && $2 !~ /\*/ { print $2 }'); do
		s=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$URL$p")
		[ "$s" = 200 ] && ok "routes_no_keyd_${p//\//_}" ||
		    fail "routes_no_keyd_${p//\//_}" "$s"
	done
	kill -CONT $KPID
else
	fail routes_no_keyd "no keyd to stop"
fi

# Still alive after all of the above.
[ "$(curl -s -m 5 "$URL/server/ping")" = pong ] && ok routes_alive ||
    fail routes_alive

# Every answer leaves through http_reply (server/http.c), which has the
# edge write it at once: no other file calls evhttp_send_reply.
r=$(grep -l 'evhttp_send_reply' "$TOP"/server/*.c | xargs -n1 basename |
    tr '\n' ' ')
[ "$r" = "http.c " ] && ok routes_one_reply_path ||
    fail routes_one_reply_path "$r"
