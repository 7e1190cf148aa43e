#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The HTTP edge (server/edge.c, server/wire.c): request smuggling
# framings, malformed heads and oversized requests are answered with a
# Directus error and the connection is closed, before any route runs
# and before evhttp reads a byte of them; what follows them on the same
# connection is never answered.  Raw bytes over bash's /dev/tcp.
. "$(dirname "$0")/../lib.sh"
td_init
td_conf 'limits {' '	request-line 1K' '	header-count 20' '}'
td_start || { fail edge_start "$(tail -5 $T/log)"; exit 1; }
workers=$(td_servers | sort | tr '\n' ' ')

# raw BYTES: send them (printf %b escapes), read until the server
# closes, at most 4 s.  $T/raw holds the answer; RAW_RC is 0 when the
# server closed the connection, 124 when it kept it open.
raw() {
	printf '%b' "$1" | timeout 4 bash -c \
	    "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat >&3; cat <&3" \
	    > "$T/raw" 2>/dev/null
	RAW_RC=$?
}

# refused NAME STATUS CODE BYTES: exactly one answer, that status, the
# Directus envelope with that code, Connection: close, and closed.
refused() {
	raw "$4"
	local line n
	line=$(head -n 1 "$T/raw" | tr -d '\r')
	n=$(grep -o 'HTTP/1\.[01] [0-9]' "$T/raw" | wc -l)
	if [ "$line" = "HTTP/1.1 $2 $(reason "$2")" ] && [ "$n" -eq 1 ] &&
	    grep -q "^{\"errors\":\[{\"message\":\"[^\"]*\",\"extensions\":{\"code\":\"$3\"}}\]}\$" "$T/raw" &&
	    grep -qi '^connection: close' "$T/raw" && [ $RAW_RC -eq 0 ]
	then
		ok "$1"
	else
		fail "$1" "rc $RAW_RC, $n answers: $(tr '\r\n' '  ' < "$T/raw" | cut -c1-200)"
	fi
}

reason() {
	case $1 in
	400) echo "Bad Request" ;;
	405) echo "Method Not Allowed" ;;
	408) echo "Request Timeout" ;;
	413) echo "Content Too Large" ;;
	414) echo "URI Too Long" ;;
	417) echo "Expectation Failed" ;;
	431) echo "Request Header Fields Too Large" ;;
	esac
}

H='Host: x\r\n'
LOGIN='POST /auth/login HTTP/1.1\r\n'"$H"
SMUGGLED='GET /server/ping HTTP/1.1\r\nHost: x\r\n\r\n'

# The catalog's smuggling framings (X1), each followed by a request
# that must never be answered.
refused edge_te_gzip 400 BAD_REQUEST \
    "${LOGIN}Transfer-Encoding: gzip\r\n\r\n$SMUGGLED"
refused edge_te_gzip_with_cl 400 BAD_REQUEST \
    "${LOGIN}Transfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}$SMUGGLED"
refused edge_te_list 400 BAD_REQUEST \
    "${LOGIN}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n$SMUGGLED"
refused edge_te_xchunked 400 BAD_REQUEST \
    "${LOGIN}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n$SMUGGLED"
refused edge_te_twice 400 BAD_REQUEST \
    "${LOGIN}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$SMUGGLED"
refused edge_te_and_cl 400 BAD_REQUEST \
    "${LOGIN}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$SMUGGLED"
refused edge_te_space_before_colon 400 BAD_REQUEST \
    "${LOGIN}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n$SMUGGLED"
refused edge_te_tab_value 400 BAD_REQUEST \
    "${LOGIN}Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n$SMUGGLED"
refused edge_te_http10 400 BAD_REQUEST \
    'POST /auth/login HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'"$SMUGGLED"
refused edge_te_obs_fold 400 BAD_REQUEST \
    "${LOGIN}X: y\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n$SMUGGLED"
refused edge_cl_twice_same 400 BAD_REQUEST \
    "${LOGIN}Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}$SMUGGLED"
refused edge_cl_twice_different 400 BAD_REQUEST \
    "${LOGIN}Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}$SMUGGLED"
refused edge_cl_plus 400 BAD_REQUEST \
    "${LOGIN}Content-Length: +2\r\n\r\n{}$SMUGGLED"
refused edge_cl_hex 400 BAD_REQUEST \
    "${LOGIN}Content-Length: 0x2\r\n\r\n{}$SMUGGLED"
refused edge_cl_negative 400 BAD_REQUEST \
    "${LOGIN}Content-Length: -1\r\n\r\n$SMUGGLED"
refused edge_cl_list 400 BAD_REQUEST \
    "${LOGIN}Content-Length: 2, 2\r\n\r\n{}$SMUGGLED"
refused edge_cl_overflow 400 BAD_REQUEST \
    "${LOGIN}Content-Length: 18446744073709551617\r\n\r\n$SMUGGLED"
# evhttp reads no body on HEAD: these bytes would be its next request.
refused edge_head_with_body 400 BAD_REQUEST \
    "HEAD /server/ping HTTP/1.1\r\n${H}Content-Length: 39\r\n\r\n$SMUGGLED"
refused edge_head_chunked 400 BAD_REQUEST \
    "HEAD /server/ping HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n$SMUGGLED"

# Malformed heads (X6) and protocol errors.
refused edge_nul_in_value 400 BAD_REQUEST \
    "GET /server/ping HTTP/1.1\r\n${H}X: a\x00b\r\n\r\n"
refused edge_bare_cr 400 BAD_REQUEST \
    "GET /server/ping HTTP/1.1\r\n${H}X: a\rb\r\n\r\n"
refused edge_bare_lf 400 BAD_REQUEST \
    "GET /server/ping HTTP/1.1\r\n${H}X: a\nb: c\r\n\r\n"
refused edge_non_ascii_name 400 BAD_REQUEST \
    "GET /server/ping HTTP/1.1\r\n${H}X\xc3\xa9: a\r\n\r\n"
refused edge_ctl_in_target 400 BAD_REQUEST \
    "GET /server/\x01ping HTTP/1.1\r\n${H}\r\n"
refused edge_missing_host 400 BAD_REQUEST \
    'GET /server/ping HTTP/1.1\r\n\r\n'
refused edge_two_hosts 400 BAD_REQUEST \
    "GET /server/ping HTTP/1.1\r\n${H}${H}\r\n"
refused edge_http2_version 400 BAD_REQUEST \
    "GET /server/ping HTTP/2.0\r\n${H}\r\n"
refused edge_absolute_form 400 BAD_REQUEST \
    "GET http://x/server/ping HTTP/1.1\r\n${H}\r\n"
refused edge_chunk_extension 400 BAD_REQUEST \
    "${LOGIN}Transfer-Encoding: chunked\r\n\r\n2;x=1\r\n{}\r\n0\r\n\r\n"
refused edge_chunk_trailer 400 BAD_REQUEST \
    "${LOGIN}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nAuthorization: Bearer x\r\n\r\n"
refused edge_chunk_bad_size 400 BAD_REQUEST \
    "${LOGIN}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
refused edge_trace 405 METHOD_NOT_ALLOWED "TRACE / HTTP/1.1\r\n${H}\r\n"
grep -qi '^allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS' "$T/raw" &&
    ok edge_405_allow || fail edge_405_allow
refused edge_unknown_method 405 METHOD_NOT_ALLOWED "BREW / HTTP/1.1\r\n${H}\r\n"
refused edge_expect_other 417 EXPECTATION_FAILED \
    "${LOGIN}Expect: 201-maybe\r\nContent-Length: 2\r\n\r\n{}"

# Bounds (X3, X4): request line, head, header count, bodies.
long=$(head -c 1100 /dev/zero | tr '\0' a)
refused edge_request_line_414 414 URI_TOO_LONG \
    "GET /$long HTTP/1.1\r\n${H}\r\n"
big=$(head -c 9000 /dev/zero | tr '\0' a)
refused edge_head_431 431 HEADERS_TOO_LARGE \
    "GET /server/ping HTTP/1.1\r\n${H}X-Big: $big\r\n\r\n"
many=$(for i in $(seq 1 21); do printf 'X-%d: 1\\r\\n' "$i"; done)
refused edge_header_count_431 431 HEADERS_TOO_LARGE \
    "GET /server/ping HTTP/1.1\r\n${H}$many\r\n"
fewer=$(for i in $(seq 1 17); do printf 'X-%d: 1\\r\\n' "$i"; done)
raw "GET /server/ping HTTP/1.1\r\n${H}${fewer}Connection: close\r\n\r\n"
grep -q '^pong$' <(tail -n 1 "$T/raw"; echo) && ok edge_header_count_fits ||
    fail edge_header_count_fits "$(head -n 1 "$T/raw")"
refused edge_body_413 413 CONTENT_TOO_LARGE \
    "POST /nope HTTP/1.1\r\n${H}Content-Length: 2000000\r\n\r\n"
refused edge_expect_continue_413 413 CONTENT_TOO_LARGE \
    "POST /nope HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 2000000\r\n\r\n"
# /auth bodies are small: refused from the head, before any body byte.
refused edge_auth_body_413 413 CONTENT_TOO_LARGE \
    "${LOGIN}Content-Length: 8193\r\n\r\n"
chunks=$(for i in $(seq 1 5); do printf '800\\r\\n%s\\r\\n' "${big:0:2048}"; done)
refused edge_auth_chunked_413 413 CONTENT_TOO_LARGE \
    "${LOGIN}Transfer-Encoding: chunked\r\n\r\n$chunks"

# What is accepted still works: a chunked login body reaches the route,
# pipelined requests are all answered, in order.
raw "${LOGIN}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
grep -q '"email\\" is required' "$T/raw" && ok edge_chunked_login_reaches_route ||
    fail edge_chunked_login_reaches_route "$(tr '\r\n' '  ' < "$T/raw" | cut -c1-200)"
raw "GET /server/ping HTTP/1.1\r\n${H}\r\nPOST /nope HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabcGET /server/ping HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
[ "$(grep -o 'HTTP/1.1 [0-9]*' "$T/raw" | tr '\n' ' ')" = \
    "HTTP/1.1 200 HTTP/1.1 404 HTTP/1.1 200 " ] &&
    grep -q 'ROUTE_NOT_FOUND' "$T/raw" && ok edge_pipelined_answered ||
    fail edge_pipelined_answered "$(tr '\r\n' '  ' < "$T/raw" | cut -c1-300)"
# Answers that outgrow the socket: 200 pipelined requests for the
# OpenAPI document (32 KB each), 6 MB in all, from a client with a small
# receive window that reads nothing for half a second.  Each answer the
# worker writes at once (edge_send_now) until the socket is full; the
# rest of a partly written one goes out as the client reads.  All 200
# arrive whole, and the last closes the connection.
echo 'big pass' | $TOKENCTL -s "$T/tokend.sock" user add big@example.com \
    > /dev/null
BIG=$($TOKENCTL -s "$T/tokend.sock" user token big@example.com)
python3 - "$PORT" "$BIG" > "$T/big" 2>&1 <<'PY'
import json, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.settimeout(10)
s.connect(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rb")
def answer():
    status = f.readline().split()[1].decode()
    n = 0
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        k, _, v = line.decode().partition(":")
        if k.lower() == "content-length":
            n = int(v)
    body = f.read(n)
    try:
        json.loads(body)
        kind = "json"
    except ValueError:
        kind = "broken"
    return f"{status} {len(body)} {kind}"
get = (b"GET /server/specs/oas HTTP/1.1\r\nHost: x\r\n"
       b"Authorization: Bearer " + sys.argv[2].encode() + b"\r\n")
s.sendall((get + b"\r\n") * 199 + get + b"Connection: close\r\n\r\n")
time.sleep(0.5)
seen = {}
for i in range(200):
    a = answer()
    seen[a] = seen.get(a, 0) + 1
print(" ".join(f"{n}x{a.replace(' ', ':')}" for a, n in seen.items()),
      "closed" if f.read() == b"" else "open")
PY
r=$(cat "$T/big")
case "$r" in
200x200:*:json\ closed) ok edge_big_answers_slow_reader ;;
*) fail edge_big_answers_slow_reader "$(head -c 300 "$T/big")" ;;
esac
r=$(curl -s -m 30 -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' \
    --data-binary '{"email":"nobody@example.com","password":"x"}' "$URL/auth/login")
case "$r" in
*INVALID_CREDENTIALS*) ok edge_curl_chunked_login ;;
*) fail edge_curl_chunked_login "$r" ;;
esac
raw "GET /server/ping HTTP/1.0\r\n\r\n"
tail -n 1 "$T/raw" | grep -q '^pong$' && ok edge_http10_no_host ||
    fail edge_http10_no_host "$(head -n 1 "$T/raw")"

# evhttp reads a body with GET and DELETE: it is read and skipped, and
# what follows it is the next request.
raw "GET /server/ping HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nGET /GET /nope HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
[ "$(grep -o 'HTTP/1.1 [0-9]*' "$T/raw" | tr '\n' ' ')" = \
    "HTTP/1.1 200 HTTP/1.1 404 " ] && ok edge_get_body_skipped ||
    fail edge_get_body_skipped "$(tr '\r\n' '  ' < "$T/raw" | cut -c1-300)"

# Bad requests pipelined behind good ones in the same packet: the good
# ones are answered first, in order, then the refusal, and nothing after
# it reaches a route.
raw "GET /server/ping HTTP/1.1\r\n${H}\r\nGET /nope HTTP/1.1\r\n${H}\r\nHEAD /server/ping HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\n$SMUGGLED"
[ "$(grep -o 'HTTP/1.1 [0-9]*' "$T/raw" | tr '\n' ' ')" = \
    "HTTP/1.1 200 HTTP/1.1 404 HTTP/1.1 400 " ] && [ $RAW_RC -eq 0 ] &&
    ok edge_pipelined_bad_refused || fail edge_pipelined_bad_refused \
    "$(tr '\r\n' '  ' < "$T/raw" | cut -c1-300)"

# A reload applies to the next request of a connection already open.
exec 5<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /server/ping HTTP/1.1\r\nHost: x\r\n\r\n' >&5
timeout 1 cat <&5 > "$T/first"
td_conf 'limits {' '	request-line 1K' '	header-count 8' '}'
kill -HUP "$TD_PID"
td_until '[ "$(td_reloads)" -ge "$(td_servers | wc -w)" ]' 50
printf '%b' "GET /server/ping HTTP/1.1\r\n${H}${fewer}\r\n" >&5
timeout 5 cat <&5 > "$T/second"
exec 5<&-
grep -q pong "$T/first" && grep -q '^HTTP/1.1 431' "$T/second" &&
    ok edge_reload_applies_to_open_connection ||
    fail edge_reload_applies_to_open_connection "$(head -n 1 "$T/second")"

grep -q 'edge: 127.0.0.1 port [0-9]*: 400 Bad request. Transfer-Encoding other than chunked.' \
    "$T/log" && ok edge_refusal_logged || fail edge_refusal_logged
[ "$(td_servers | sort | tr '\n' ' ')" = "$workers" ] &&
    ok edge_workers_survived || fail edge_workers_survived
[ "$(curl -s -m 5 "$URL/server/ping")" = pong ] && ok edge_alive ||
    fail edge_alive
# Every connection's edge state was freed with it.
td_until td_edge_settled 50 && ok edge_edge_state_freed ||
    fail edge_edge_state_freed "$(grep 'edge:' "$T/log" | tail -n 2)"
