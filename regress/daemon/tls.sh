#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# TLS listeners: a plain and a tls listener side by side, with a
# certificate made here; the protocols (TLS 1.2 and 1.3 only), the
# ciphers and the server's preference among them, ALPN, session tickets
# good on every worker, HSTS, a plain request, garbage and a slow
# handshake on the TLS port (each logged, none felt by other clients),
# a refusal of the edge read through TLS, a login round over TLS, and a
# renewed certificate taken on SIGHUP while wrk holds keep-alive
# connections (not one request fails).
. "$(dirname "$0")/../lib.sh"
need openssl wrk
td_init

# mkcert NAME CN: $T/NAME-cert.pem and $T/NAME-key.pem, self-signed.
mkcert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 2 -subj "/CN=$2" \
	    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	    -keyout "$T/$1-key.pem" -out "$T/$1-cert.pem" >/dev/null 2>&1
}
mkcert first tokend-first && mkcert renewed tokend-renewed &&
    mkcert other tokend-other || { fail tls_mkcert; exit 1; }
cp "$T/first-cert.pem" "$T/cert.pem"
cp "$T/first-key.pem" "$T/key.pem"

TLSPORT=$(td_free_port)
TURL="https://127.0.0.1:$TLSPORT"
td_conf "listen on 127.0.0.1 port $TLSPORT tls" \
    'tls {' "	certificate \"$T/cert.pem\"" "	key \"$T/key.pem\"" \
    '	hsts 365d' '}' \
    'timeout {' '	handshake-deadline 1s' '}' \
    "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}"

# -n reads the certificate and the key, and refuses what does not fit.
"$TOKEND" -n -f "$T/tokend.conf" >/dev/null 2>&1 && ok tls_conf_checks ||
    fail tls_conf_checks "$("$TOKEND" -n -f "$T/tokend.conf" 2>&1)"
sed "s#$T/key.pem#$T/other-key.pem#" "$T/tokend.conf" > "$T/bad.conf"
conf_refused tls_conf_key_mismatch "$T/bad.conf" "tls: the certificate or its key"
sed "s#$T/key.pem#$T/missing.pem#" "$T/tokend.conf" > "$T/bad.conf"
conf_refused tls_conf_key_missing "$T/bad.conf" "missing.pem: No such file"
grep -v "key \"$T/key.pem\"" "$T/tokend.conf" > "$T/bad.conf"
conf_refused tls_conf_key_needed "$T/bad.conf" "tls needs tls"
sed 's#^\thsts 365d#\tprotocols "tlsv1.1 tlsv1.2"#' "$T/tokend.conf" \
    > "$T/bad.conf"
conf_refused tls_conf_protocols "$T/bad.conf" "only tlsv1.2 and tlsv1.3"

td_up tls

tcurl() { curl -s -m 5 --cacert "$T/first-cert.pem" "$@"; }
# sclient ARGS...: openssl s_client's report of one handshake.
sclient() {
	timeout 5 openssl s_client -connect "127.0.0.1:$TLSPORT" "$@" \
	    </dev/null 2>&1
}

r=$(tcurl "$TURL/server/ping")
same tls_ping pong "$r"
r=$(curl -s -m 5 "$URL/server/ping")
same tls_plain_listener_too pong "$r"
r=$(tcurl -D - -o /dev/null "$TURL/server/ping" | tr -d '\r')
case "$r" in *'Strict-Transport-Security: max-age=31536000'*) ok tls_hsts ;;
*) fail tls_hsts "$r" ;; esac
r=$(curl -s -m 5 -D - -o /dev/null "$URL/server/ping")
case "$r" in *Strict-Transport*) fail tls_no_hsts_plain "$r" ;;
*) ok tls_no_hsts_plain ;; esac

# Protocols: 1.2 and 1.3 only.  The client is allowed the old ones
# (security level 0), so that the refusal is the server's.
r=$(sclient -tls1_3)
case "$r" in *'New, TLSv1.3'*) ok tls_13 ;; *) fail tls_13 "$r" ;; esac
r=$(sclient -tls1_2)
case "$r" in *'New, TLSv1.2'*) ok tls_12 ;; *) fail tls_12 "$r" ;; esac
for v in tls1_1 tls1; do
	r=$(sclient -$v -cipher 'DEFAULT:@SECLEVEL=0')
	case "$r" in *'New, (NONE), Cipher is (NONE)'*) ok tls_refuses_$v ;;
	*) fail tls_refuses_$v "$(echo "$r" | grep -e New -e alert)" ;; esac
done
td_until "grep -q 'handshake failed: unsupported protocol' '$T/log'" &&
    ok tls_old_protocol_logged || fail tls_old_protocol_logged

# Ciphers: forward secrecy and AEAD only in TLS 1.2, in the server's
# order (it prefers AES-GCM to the client's first choice, ChaCha20).
r=$(sclient -tls1_2 -cipher \
    'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256')
case "$r" in *'Cipher is ECDHE-ECDSA-AES128-GCM-SHA256'*)
	ok tls_server_preference ;;
*) fail tls_server_preference "$(echo "$r" | grep Cipher)" ;; esac
for c in ECDHE-ECDSA-AES128-SHA AES128-GCM-SHA256 ECDHE-ECDSA-AES256-SHA384; do
	r=$(sclient -tls1_2 -cipher "$c")
	case "$r" in *"Cipher is $c"*) fail "tls_refuses_$c" ;;
	*) ok "tls_refuses_$c" ;; esac
done

# ALPN: http/1.1, nothing else.
r=$(sclient -alpn http/1.1)
case "$r" in *'ALPN protocol: http/1.1'*) ok tls_alpn ;;
*) fail tls_alpn "$(echo "$r" | grep -i alpn)" ;; esac
r=$(sclient -alpn h2)
case "$r" in *'no application protocol'*|*'Cipher is (NONE)'*)
	ok tls_alpn_h2_refused ;;
*) fail tls_alpn_h2_refused "$(echo "$r" | grep -i -e alpn -e alert)" ;; esac

# Session tickets: the parent's key is every worker's, so that each new
# connection (SO_REUSEPORT spreads them) resumes.
sclient -tls1_2 -sess_out "$T/sess" >/dev/null
n=0
for i in 1 2 3 4 5 6; do
	sclient -tls1_2 -sess_in "$T/sess" | grep -q '^Reused, TLSv1.2' &&
	    n=$((n + 1))
done
[ $n -eq 6 ] && ok tls_ticket_resumes || fail tls_ticket_resumes "$n of 6"

# TLS 1.3, as browsers and wrk use it: a request with "Connection:
# close" ends with close_notify (no "unexpected eof" for the client,
# which then keeps its session), one ticket a handshake, and every
# resumption gets the next ticket (a client uses each once), so that a
# chain of connections resumes one after the other.
sreq() {
	printf 'GET /server/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	    timeout 5 openssl s_client -connect "127.0.0.1:$TLSPORT" -tls1_3 \
	    -ign_eof -msg "$@" 2>&1
}
r=$(sreq -sess_out "$T/s13a")
case "$r" in *'New, TLSv1.3'*pong*) ok tls13_request ;;
*) fail tls13_request "$(echo "$r" | grep -e New -e pong -e rror)" ;; esac
case "$r" in *'unexpected eof'*) fail tls13_close_notify \
	"$(echo "$r" | grep 'unexpected eof')" ;;
*) ok tls13_close_notify ;; esac
n=$(echo "$r" | grep -c '<<< .*NewSessionTicket')
same tls13_one_ticket 1 "$n"
# A small answer leaves in one TLS record (head and body together), as
# nginx sends it, not one record for each of evhttp's chunks.
n=$(echo "$r" | awk '/^<<< TLS 1.3, InnerContent/ { getline; if ($1 == "17") n++ }
    END { print n + 0 }')
same tls13_one_record_per_answer 1 "$n"
r=$(sreq -sess_in "$T/s13a" -sess_out "$T/s13b")
case "$r" in *'Reused, TLSv1.3'*pong*) ok tls13_resumes ;;
*) fail tls13_resumes "$(echo "$r" | grep -e Reused -e New)" ;; esac
r=$([ -s "$T/s13b" ] && sreq -sess_in "$T/s13b")
case "$r" in *'Reused, TLSv1.3'*pong*) ok tls13_resumption_renews_ticket ;;
*) fail tls13_resumption_renews_ticket "no ticket after a resumption" ;; esac

# A worker started again (after the parent's filter is in place) gets
# the certificate and the ticket key, and resumes the same sessions.
victim=$(td_servers | head -n 1)
kill -KILL "$victim"
td_until "[ \$(td_servers | grep -vx '$victim' | wc -l) -ge 2 ]" 100 &&
    ok tls_worker_respawned || fail tls_worker_respawned
n=0
for i in 1 2 3 4 5 6 7 8; do
	sclient -tls1_2 -sess_in "$T/sess" | grep -q '^Reused, TLSv1.2' &&
	    n=$((n + 1))
done
[ $n -eq 8 ] && ok tls_respawned_worker_serves ||
    fail tls_respawned_worker_serves "$n of 8 resumed: $(grep -e killed \
    -e 'exited with' "$T/log" | tail -2)"

# A login, a refresh and /users/me over TLS.
echo 'tls password' | $CTL user add -r admin tls@example.com >/dev/null
r=$(tcurl -X POST -H 'Content-Type: application/json' \
    -d '{"email":"tls@example.com","password":"tls password"}' \
    "$TURL/auth/login")
AT=$(echo "$r" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
RT=$(echo "$r" | sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p')
[ -n "$AT" ] && [ -n "$RT" ] && ok tls_login || fail tls_login "$r"
r=$(tcurl -X POST -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$RT\"}" "$TURL/auth/refresh")
AT=$(echo "$r" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$AT" ] && ok tls_refresh || fail tls_refresh "$r"
r=$(tcurl -H "Authorization: Bearer $AT" "$TURL/users/me")
case "$r" in *'"email":"tls@example.com"'*) ok tls_users_me ;;
*) fail tls_users_me "$r" ;; esac

# The edge's refusal, read through TLS (not written in clear on it).
r=$(printf 'GET /server/ping HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n' |
    timeout 5 openssl s_client -quiet -connect "127.0.0.1:$TLSPORT" 2>/dev/null |
    head -1 | tr -d '\r')
case "$r" in 'HTTP/1.1 400 '*) ok tls_edge_refusal ;;
*) fail tls_edge_refusal "$r" ;; esac

# A plain request on the TLS port: a plain 400, a log line.
r=$(curl -s -m 5 -w ' %{http_code}' "http://127.0.0.1:$TLSPORT/server/ping")
case "$r" in *'sent to a TLS port'*' 400') ok tls_plain_request ;;
*) fail tls_plain_request "$r" ;; esac
td_until "grep -q 'a plain HTTP request on a TLS port' '$T/log'" &&
    ok tls_plain_request_logged || fail tls_plain_request_logged

# Garbage instead of a ClientHello: logged, the connection ends.
r=$(printf '\026\003\001\000\005hello' |
    timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$TLSPORT; cat >&3; cat <&3" |
    wc -c)
td_until "grep -q 'handshake failed' '$T/log'" &&
    ok tls_garbage_logged || fail tls_garbage_logged

# A slow handshake: half a ClientHello, then nothing.  The deadline
# (1s) ends it, while other clients are served.
start=$(date +%s%N)
( exec 3<>"/dev/tcp/127.0.0.1/$TLSPORT"; printf '\026\003\001' >&3
  timeout 5 cat <&3 >/dev/null; echo $? > "$T/slow" ) &
slow=$!
sleep 0.3
r=$(tcurl "$TURL/server/ping")
same tls_others_served_meanwhile pong "$r"
wait $slow
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$(cat "$T/slow")" = 0 ] && [ $ms -lt 3000 ] && ok tls_handshake_deadline ||
    fail tls_handshake_deadline "status $(cat "$T/slow"), $ms ms"
td_until "grep -q 'handshake timed out' '$T/log'" &&
    ok tls_handshake_deadline_logged || fail tls_handshake_deadline_logged
# No handshake at all, only the connection: the same deadline.
( exec 3<>"/dev/tcp/127.0.0.1/$TLSPORT"; timeout 5 cat <&3 >/dev/null
  echo $? > "$T/silent" ) &
wait $!
[ "$(cat "$T/silent")" = 0 ] && ok tls_silent_client_deadline ||
    fail tls_silent_client_deadline "status $(cat "$T/silent")"

# The certificate renewed and SIGHUP, while wrk holds keep-alive
# connections over TLS: no request fails, new handshakes get the new
# certificate.
wrk -t 2 -c 16 -d 4s "$TURL/server/ping" > "$T/wrk" 2>&1 &
w=$!
sleep 1.5
cp "$T/renewed-cert.pem" "$T/cert.pem.new" && mv "$T/cert.pem.new" "$T/cert.pem"
cp "$T/renewed-key.pem" "$T/key.pem.new" && mv "$T/key.pem.new" "$T/key.pem"
kill -HUP "$TD_PID"
wait $w
if grep -q 'requests in' "$T/wrk" && ! grep -q -e 'Socket errors' \
    -e 'Non-2xx' "$T/wrk"; then
	ok tls_reload_under_load
else
	fail tls_reload_under_load "$(tr '\n' ' ' < "$T/wrk")"
fi
td_until "grep -q 'configuration reloaded' '$T/log'" || fail tls_reloaded
ok_cn=0
for i in 1 2 3 4; do
	sclient | grep -q 'subject=CN *= *tokend-renewed' && ok_cn=$((ok_cn + 1))
done
[ $ok_cn -eq 4 ] && ok tls_renewed_certificate ||
    fail tls_renewed_certificate "$ok_cn of 4: $(sclient | grep subject=)"

# A key that does not go with the certificate: the reload is refused,
# the renewed certificate stays.
cp "$T/other-key.pem" "$T/key.pem"
kill -HUP "$TD_PID"
td_until "grep -q 'reload refused: tls: the certificate or its key' '$T/log'" &&
    ok tls_bad_reload_refused || fail tls_bad_reload_refused "$(tail -3 "$T/log")"
r=$(curl -s -m 5 --cacert "$T/renewed-cert.pem" "$TURL/server/ping")
same tls_still_serving pong "$r"

# No worker died on the way but the one killed above (its filter kills
# it for a system call it may not make, with SIGSYS), and neither keyd
# nor the item processes got the key.
kill -0 "$TD_PID" && ! grep -q -E -e 'killed by signal ([0-8]|[1-9][0-9])$' \
    -e 'exited with status' "$T/log" && ok tls_no_child_died ||
    fail tls_no_child_died "$(grep -e killed -e exited "$T/log")"
grep -q 'keyd.*TLS_CERT\|unexpected TLS' "$T/log" &&
    fail tls_key_only_to_workers || ok tls_key_only_to_workers
