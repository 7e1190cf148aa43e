#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Clean stops: a signal sent to tokend's whole process group (Ctrl-C on
# tokend -d, a service manager's stop) reaches the parent, keyd and the
# workers at once.  SIGTERM and SIGINT stop tokend: every child exits
# with status 0 and nothing is killed (by its own sandbox, say).
# SIGHUP to the group reloads and leaves every process running.
. "$(dirname "$0")/../lib.sh"
need setsid
td_init
PREFORK=2
# A collection: the workers hold the item store open when they stop.
td_conf 'collection "notes" { fields "title" }'

# td_start_group: tokend -d as the leader of a process group of its own.
# A background job of a script is no group leader, so setsid(1) does
# not fork: $! is tokend.
td_start_group() {
	setsid "$TOKEND" -d -v -f "$T/tokend.conf" > "$T/log" 2>&1 &
	TD_PID=$!
	TD_PIDS="$TD_PIDS $TD_PID"
	td_wait_ready && [ "$(ps -o pgid= -p "$TD_PID" | tr -d ' ')" = "$TD_PID" ]
}
# exits: the children whose exit the parent logged with status 0.
exits() { grep -cE "(keyd|server [0-9]+) \(pid [0-9]+\) exited with status 0$" "$T/log"; }

for sig in TERM INT; do
	name=stop_group_sig$(echo $sig | tr A-Z a-z)
	if ! td_start_group; then
		fail ${name}_start "$(tail -3 $T/log)"
		continue
	fi
	kids="$(td_tree $TD_PID)"
	kill -$sig -- -$TD_PID
	wait $TD_PID
	rc=$?
	left=0
	for p in $kids; do kill -0 $p 2>/dev/null && left=$((left + 1)); done
	[ $rc -eq 0 ] && [ $left -eq 0 ] && ok ${name}_parent_exits_0 ||
	    fail ${name}_parent_exits_0 "status $rc, $left left"
	[ "$(exits)" -eq 3 ] && ok ${name}_children_exit_0 ||
	    fail ${name}_children_exit_0 "$(grep -E 'exited|killed' $T/log | head -3)"
	! grep -qE "killed by signal|forbidden system call|still running" \
	    "$T/log" && ok ${name}_nothing_killed ||
	    fail ${name}_nothing_killed "$(grep -E 'killed|forbidden|still' $T/log | head -3)"
done

# SIGHUP to the group: a reload, every process stays.
if td_start_group; then
	kids="$(td_tree $TD_PID | sort | tr '\n' ' ')"
	kill -HUP -- -$TD_PID
	td_until '[ "$(td_reloads)" -ge 2 ]' 50 &&
	    [ "$(td_tree $TD_PID | sort | tr '\n' ' ')" = "$kids" ] &&
	    ! grep -qE "killed by signal|exited with" "$T/log" &&
	    ok stop_group_sighup_reloads ||
	    fail stop_group_sighup_reloads "$(grep -E 'reload|killed|exited' $T/log | head -3)"
	r=$(curl -s -m 2 "$URL/server/health")
	[ "$r" = '{"status":"ok"}' ] && ok stop_group_sighup_still_serving ||
	    fail stop_group_sighup_still_serving "$r"
	kill -TERM -- -$TD_PID
	wait $TD_PID
	rc=$?
	[ $rc -eq 0 ] && [ "$(exits)" -eq 3 ] &&
	    ! grep -q "killed by signal" "$T/log" &&
	    ok stop_group_sigterm_after_sighup ||
	    fail stop_group_sigterm_after_sighup "status $rc"
else
	fail stop_group_sighup_start "$(tail -3 $T/log)"
fi

# SIGTERM to one worker alone: it exits with status 0 and is replaced.
if td_start_group; then
	victim=$(td_servers | head -1)
	kill -TERM $victim
	td_until '[ "$(td_servers | wc -w)" -eq 2 ] &&
	    ! td_servers | grep -qx "$victim"' 50 &&
	    grep -q "(pid $victim) exited with status 0" "$T/log" &&
	    ok stop_worker_sigterm_exits_0 ||
	    fail stop_worker_sigterm_exits_0 "$(grep "pid $victim" $T/log | tail -2)"
	kill -TERM -- -$TD_PID
	wait $TD_PID
fi
