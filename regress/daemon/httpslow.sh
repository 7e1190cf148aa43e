#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Slow clients (catalog X2): a head trickled byte by byte (slowloris),
# a slow body and an endless chunked body are answered 408 and closed
# at their deadline, while ordinary clients on the same worker keep
# their latency; a deadline waits while the server itself is answering;
# a silent connection ends at the idle timeout; the connection cap of a
# worker holds and a worker out of descriptors does not spin.
. "$(dirname "$0")/../lib.sh"
td_init
PREFORK=1
td_conf 'timeout {' '	header-deadline 1s' '	body-deadline 1s' \
    '	request 3s' '}' 'auth {' '	login-stall 1500ms' '}' \
    'limits {' '	connections 16' '}'
td_start || { fail slow_start "$(tail -5 $T/log)"; exit 1; }
W=$(td_servers)

# slow OUT PREFIX TRICKLE DELAY: in the background, send PREFIX at
# once, then TRICKLE one byte every DELAY seconds; OUT gets the answer,
# OUT.ms the milliseconds until the server closed the connection.
slow() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 1
		s0=$(date +%s%N)
		(
			printf '%b' "$2" >&3
			t=$(printf '%b' "$3")
			i=0
			while [ $i -lt ${#t} ]; do
				printf '%s' "${t:$i:1}" >&3 || exit 0
				sleep "$4"
				i=$((i + 1))
			done
			sleep 30
		) 2>/dev/null &
		w=$!
		timeout 20 cat <&3 > "$1"
		echo $(( ($(date +%s%N) - s0) / 1000000 )) > "$1.ms"
		kill $w 2>/dev/null
	) &
}

H='Host: x\r\n'
pad=$(head -c 400 /dev/zero | tr '\0' a)
n=0
for i in 1 2 3 4 5 6 7 8; do
	slow "$T/loris$i" "GET /server/ping HTTP/1.1\r\n" "${H}X-Pad: $pad" 0.1
	slow "$T/body$i" "POST /nope HTTP/1.1\r\n${H}Content-Length: 400\r\n\r\n" \
	    "$pad" 0.1
	slow "$T/chunk$i" "POST /nope HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n" \
	    "$(for j in $(seq 1 40); do printf '1\\r\\nx\\r\\n'; done)" 0.05
done

# Ordinary clients meanwhile: every ping answered, quickly.
sleep 0.3
worst=0
bad=0
for i in $(seq 1 20); do
	out=$(curl -s -m 3 -w ' %{time_total}' "$URL/server/ping")
	[ "${out% *}" = pong ] || bad=$((bad + 1))
	ms=$(echo "${out#* }" | awk '{ printf "%d", $1 * 1000 }')
	[ "$ms" -gt "$worst" ] && worst=$ms
	sleep 0.02
done
[ $bad -eq 0 ] && [ "$worst" -lt 500 ] && ok slow_normal_clients_keep_latency ||
    fail slow_normal_clients_keep_latency "$bad failed, slowest ${worst} ms"
echo "# slowest ping among 24 slow clients: ${worst} ms"

wait_all() {
	td_until '[ $(ls "$T"/*.ms 2>/dev/null | wc -l) -ge 24 ]' 150
}
wait_all || fail slow_clients_finished "$(ls "$T"/*.ms 2>/dev/null | wc -l) of 24"

# judge KIND MESSAGE: every client of that kind got the 408 and was
# closed between 0.9 and 3 seconds after it connected.
judge() {
	local good=0 f ms
	for f in "$T/$1"[0-9]; do
		ms=$(cat "$f.ms" 2>/dev/null || echo 99999)
		if grep -q '^HTTP/1.1 408 Request Timeout' "$f" &&
		    grep -q "\"message\":\"Request timeout. $2\",\"extensions\":{\"code\":\"REQUEST_TIMEOUT\"}" "$f" &&
		    [ "$ms" -ge 900 ] && [ "$ms" -lt 3000 ]; then
			good=$((good + 1))
		else
			echo "# $f: $ms ms: $(head -c 150 "$f" | tr '\r\n' '  ')"
		fi
	done
	[ $good -eq 8 ] && ok "slow_$1_dropped" || fail "slow_$1_dropped" "$good of 8"
}
judge loris 'The request header did not arrive in time.'
judge body 'The request body did not arrive in time.'
judge chunk 'The request body did not arrive in time.'

# A deadline does not run out while the server is answering: a login
# (stalled 1.5 s) with the start of the next request behind it, whose
# head is finished at 1.8 s, long after its 1 s deadline.
b='{"email":"nobody@example.com","password":"wrong"}'
: > "$T/busy"
(
	exec 3<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%sGET /server/ping HTTP/1.1\r\nHo' \
	    ${#b} "$b" >&3
	sleep 1.8
	printf 'st: x\r\nConnection: close\r\n\r\n' >&3
	timeout 5 cat <&3 > "$T/busy"
) 2>/dev/null
[ "$(grep -o 'HTTP/1.1 [0-9]*' "$T/busy" | tr '\n' ' ')" = \
    "HTTP/1.1 401 HTTP/1.1 200 " ] && ok slow_deadline_waits_for_server ||
    fail slow_deadline_waits_for_server "$(tr '\r\n' '  ' < "$T/busy" | cut -c1-200)"

# A connection that sends nothing is closed by the idle timeout.
s0=$(date +%s%N)
timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat <&3" > /dev/null
ms=$(( ($(date +%s%N) - s0) / 1000000 ))
[ $ms -ge 2500 ] && [ $ms -lt 6000 ] && ok slow_idle_closed ||
    fail slow_idle_closed "$ms ms"

# The cap: connections 16 is an open file limit of 80 for the worker.
# 120 silent connections: the worker holds at most 80 descriptors,
# pauses accepting instead of spinning, and serves again once they go.
ticks() { awk '{ print $14 + $15 }' "/proc/$W/stat"; }
fds=""
for i in $(seq 1 120); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" && fds="$fds $fd"
done
sleep 0.5
t0=$(ticks)
sleep 2
t1=$(ticks)
nfd=$(ls "/proc/$W/fd" | wc -l)
[ "$nfd" -le 80 ] && ok slow_connection_cap || fail slow_connection_cap "$nfd descriptors"
grep -q 'accept: Too many open files, pausing for 100 ms' "$T/log" &&
    ok slow_accept_paused || fail slow_accept_paused
[ $((t1 - t0)) -lt 40 ] && ok slow_no_spin_at_cap ||
    fail slow_no_spin_at_cap "$((t1 - t0)) ticks of CPU in 2 s"
echo "# worker CPU at the cap: $((t1 - t0)) ticks in 2 s, $nfd descriptors"
for fd in $fds; do exec {fd}<&-; done
td_until '[ "$(curl -s -m 1 "$URL/server/ping")" = pong ]' 100 &&
    ok slow_serves_after_cap || fail slow_serves_after_cap
[ "$(td_servers)" = "$W" ] && ok slow_worker_survived ||
    fail slow_worker_survived
# Every connection's edge state was freed with it.
td_until td_edge_settled 50 && ok slow_edge_state_freed ||
    fail slow_edge_state_freed "$(grep 'edge:' "$T/log" | tail -n 2)"
