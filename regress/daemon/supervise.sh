#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Supervision: a killed worker is replaced, the service keeps answering,
# SIGTERM and SIGINT leave no process behind, startup is logged.
. "$(dirname "$0")/../lib.sh"
td_init
PREFORK=2
td_conf
td_start || { fail supervise_start "$(tail -5 $T/log)"; exit 1; }

n=$(td_servers | wc -w)
[ "$n" -eq 2 ] && ok supervise_prefork_count || fail supervise_prefork_count "$n"
[ -n "$(td_keyd)" ] && ok supervise_keyd_running || fail supervise_keyd_running

victim=$(td_servers | head -1)
kill -9 "$victim"
# While it is being replaced, the other worker answers.
good=0
for i in $(seq 1 20); do
	[ "$(curl -s -m 2 "$URL/server/ping")" = pong ] && good=$((good + 1))
done
[ $good -eq 20 ] && ok supervise_answers_during_kill ||
    fail supervise_answers_during_kill "$good of 20"
if td_until '[ "$(td_servers | wc -w)" -eq 2 ] && ! td_servers | grep -qx "$victim"' 50
then ok supervise_worker_replaced
else fail supervise_worker_replaced "$(td_servers)"
fi
grep -q "killed by signal 9" "$T/log" && ok supervise_death_logged ||
    fail supervise_death_logged
r=$(curl -s -m 5 "$URL/server/health")
[ "$r" = '{"status":"ok"}' ] && ok supervise_health_after_respawn ||
    fail supervise_health_after_respawn "$r"

# A crash loop backs off instead of spinning.
for i in 1 2 3 4; do
	td_until '[ "$(td_servers | wc -w)" -eq 2 ]' 50
	kill -9 $(td_servers | head -1) 2>/dev/null
	sleep 0.05
done
grep -q "restarting server 0 in 200 ms\|restarting server 1 in 200 ms\|in [48]00 ms" "$T/log" &&
    ok supervise_backoff || fail supervise_backoff "$(grep restarting $T/log | tail -3)"

all="$TD_PID $(td_tree $TD_PID)"
kill -TERM "$TD_PID"
start=$(date +%s%N)
wait "$TD_PID"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $ms -lt 5000 ] && ok supervise_sigterm_exits || fail supervise_sigterm_exits "$ms ms"
left=0
for p in $all; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
[ $left -eq 0 ] && ok supervise_sigterm_no_leftover ||
    fail supervise_sigterm_no_leftover "$left left"
[ ! -e "$T/tokend.sock" ] && ok supervise_control_socket_removed ||
    fail supervise_control_socket_removed

td_start || { fail supervise_restart "$(tail -5 $T/log)"; exit 1; }
all="$TD_PID $(td_tree $TD_PID)"
kill -INT "$TD_PID"
wait "$TD_PID"
left=0
for p in $all; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
[ $left -eq 0 ] && ok supervise_sigint_no_leftover ||
    fail supervise_sigint_no_leftover "$left left"
