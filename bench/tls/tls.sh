#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# make bench-tls: tokend's TLS against nginx's, same certificate, same
# protocols and TLS 1.2 ciphers, same machine, one run.  Two figures:
# new handshakes per second (wrk, "Connection: close": a TCP connection
# and a TLS handshake per request; wrk offers the session ticket of its
# last connection, as a browser does, so each handshake is a TLS 1.3
# resumption when the server renews tickets) and keep-alive GET
# /users/me over TLS (nginx answers a fixed JSON there, the ceiling of
# the machine).  Targets (issue 15): handshakes at least 0.8 of nginx,
# keep-alive at least 0.6.  Only the ratios mean anything.  make bench
# runs it at its end; make bench-tls alone (its own nginx, its own
# tokend started with regress/lib.sh).
#
# Knobs: BENCH_TLS_SECONDS (each wrk run, default 5), BENCH_TLS_CONNS
# (keep-alive connections, default 64).
. "$(dirname "$0")/../../regress/lib.sh"
. "$(dirname "$0")/../nginx.sh"
need openssl wrk
NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || { echo "bench-tls: $NGINX is missing (nginx-light)" >&2
    exit 1; }
SECS=${BENCH_TLS_SECONDS:-5}
CONNS=${BENCH_TLS_CONNS:-64}
NCPU=$(nproc 2>/dev/null || echo 1)
td_init

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 ||
    { echo "bench-tls: openssl req failed" >&2; exit 1; }
CIPHERS="ECDHE+AESGCM:ECDHE+CHACHA20"

# nginx: TLS 1.2 and 1.3, the same ciphers, tickets on, fixed JSON.
NPORT=$(td_free_port)
mkdir -p "$T/nginx"
{
	nginx_conf_head "$T/nginx"
	cat <<EOF
	server {
		listen 127.0.0.1:$NPORT ssl;
		ssl_certificate $T/cert.pem;
		ssl_certificate_key $T/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_ciphers $CIPHERS;
		ssl_prefer_server_ciphers on;
		location / {
			default_type application/json;
			return 200 '{"data":{"id":"x","email":"bench@example.com"}}';
		}
	}
}
EOF
} > "$T/nginx/nginx.conf"
"$NGINX" -p "$T/nginx" -e "$T/nginx/error.log" -c "$T/nginx/nginx.conf" \
    -g 'daemon off;' > "$T/nginx/stdout.log" 2>&1 &
TD_PIDS="$TD_PIDS $!"

TLSPORT=$(td_free_port)
PREFORK=$NCPU
td_conf "listen on 127.0.0.1 port $TLSPORT tls" \
    'tls {' "	certificate \"$T/cert.pem\"" "	key \"$T/key.pem\"" \
    "	ciphers \"$CIPHERS\"" '}' "${TD_FAST_PASSWORD[@]}" \
    "${TD_FAST_AUTH[@]}" 'limits {' '	connections 4096' '}'
TD_QUIET=1	# -d without -v, as bench/bench.sh runs tokend
td_up bench_tls
echo 'bench password' | $CTL user add -r admin bench@example.com >/dev/null
STATIC=$($CTL user token bench@example.com)
export CURL_CA_BUNDLE="$T/cert.pem"
td_until "curl -s -o /dev/null https://127.0.0.1:$NPORT/" 50 ||
    { echo "bench-tls: nginx did not start" >&2; exit 1; }

# rate ARGS...: wrk's requests per second.
rate() {
	wrk -t "$NCPU" -d "${SECS}s" "$@" 2>/dev/null |
	    sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

ME="/users/me"
nh=$(rate -c 16 -H 'Connection: close' "https://127.0.0.1:$NPORT$ME")
th=$(rate -c 16 -H 'Connection: close' -H "Authorization: Bearer $STATIC" \
    "https://127.0.0.1:$TLSPORT$ME")
nk=$(rate -c "$CONNS" "https://127.0.0.1:$NPORT$ME")
tk=$(rate -c "$CONNS" -H "Authorization: Bearer $STATIC" \
    "https://127.0.0.1:$TLSPORT$ME")
rh=$(ratio "$th" "$nh")
rk=$(ratio "$tk" "$nk")
printf '%-40s %10s %10s %6s %7s\n' "TLS (one run, $NCPU CPUs)" tokend nginx ratio target
printf '%-40s %10s %10s %6s %7s\n' "new handshakes /s (Connection: close)" \
    "$th" "$nh" "$rh" 0.80
printf '%-40s %10s %10s %6s %7s\n' "keep-alive GET /users/me /s" \
    "$tk" "$nk" "$rk" 0.60
