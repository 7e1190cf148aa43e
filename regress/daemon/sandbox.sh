#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The Linux sandbox: every process runs under seccomp with no_new_privs,
# keyd is not dumpable, nobody dumps core, workers cannot fork; the
# sandboxed parent still reloads, answers tokenctl, restarts children
# and stops; a worker that tries a forbidden call (the test-only
# tokend-selftest: open, execve, sockets, the fcntl commands that
# signal another process) is killed by SIGSYS and replaced while the
# service keeps answering.
. "$(dirname "$0")/../lib.sh"
if [ "$(uname -s)" != Linux ]; then
	skip sandbox_linux "not Linux"
	exit 0
fi
if ! is_root; then
	skip sandbox_as_root "not running as root"
	exit 0
fi
need setpriv
# make SANITIZE=1: forbidden calls are logged, not killed, and workers
# may clone (LSan at exit); see shared/sandbox_linux.c.
# make SANDBOX_DEBUG=1: the worker reports the call and exits instead.
sanitize=0
td_sanitize && sanitize=1
died="killed by signal 31"
grep -q SANDBOX_DEBUG "$TOP/.build-flags" 2>/dev/null &&
    died="exited with status 159"
td_init
PREFORK=2
td_conf 'limits {' '	connections 100' '}'
td_start || { fail sandbox_start "$(tail -5 $T/log)"; exit 1; }
CTL="$TOKENCTL -s $T/tokend.sock"

# field PID NAME: a field of /proc/PID/status.
field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }
confined() {
	[ "$(field $1 Seccomp)" = 2 ] && [ "$(field $1 NoNewPrivs)" = 1 ]
}
seccomp_of() {
	grep -E 'Seccomp|NoNewPrivs' "/proc/$1/status" | tr '\n\t' '  '
}
# limit PID NAME: the soft and hard value of one line of /proc/PID/limits.
limit() { grep "^$2 " "/proc/$1/limits" | awk '{ print $(NF-2), $(NF-1) }'; }
nofile() { limit $1 'Max open files' | cut -d' ' -f1; }
all_confined() {
	_n=0
	for _p in "$@"; do confined "$_p" || return 1; _n=$((_n + 1)); done
	[ $_n -gt 0 ]
}

td_until 'confined $TD_PID' 30 && ok sandbox_parent_confined ||
    fail sandbox_parent_confined "$(seccomp_of $TD_PID)"
all_confined $(td_servers) && ok sandbox_workers_confined ||
    fail sandbox_workers_confined
k=$(td_keyd)
td_until 'confined $k' 30 && ok sandbox_keyd_confined ||
    fail sandbox_keyd_confined "$(seccomp_of $k)"
# TSYNC: the hashing threads got the filter too.
all_confined $(ls /proc/$k/task | sed "s#^#$k/task/#") &&
    [ "$(ls /proc/$k/task | wc -l)" -gt 1 ] &&
    ok sandbox_keyd_threads_confined || fail sandbox_keyd_threads_confined
# Not dumpable: the kernel hands the files of /proc/PID to root.  As root
# the change of user does this already; the development-mode run below
# tells keyd's own prctl apart.
[ "$(stat -c %u /proc/$k/environ)" = 0 ] && [ "$(field $k Uid)" != 0 ] &&
    ok sandbox_keyd_not_dumpable || fail sandbox_keyd_not_dumpable
w=$(td_servers | head -1)
good=0
for p in $TD_PID $k $(td_servers); do
	[ "$(limit $p 'Max core file size')" = "0 0" ] && good=$((good + 1))
done
[ $good -eq 4 ] && ok sandbox_no_core_files ||
    fail sandbox_no_core_files "$good of 4"
if [ $sanitize -eq 1 ]; then
	skip sandbox_worker_nproc_0 "SANITIZE build"
elif [ "$(limit $w 'Max processes')" = "0 0" ]; then
	ok sandbox_worker_nproc_0
else
	fail sandbox_worker_nproc_0 "$(limit $w 'Max processes')"
fi
# connections + SERVER_FD_RESERVE
[ "$(nofile $w)" = 164 ] && ok sandbox_worker_nofile ||
    fail sandbox_worker_nofile "$(nofile $w)"

# The parent in its sandbox: reload on SIGHUP (the file is read again,
# the workers apply the new connection cap with setrlimit), tokenctl.
td_conf 'limits {' '	connections 200' '}'
kill -HUP "$TD_PID"
td_until '[ "$(nofile $w)" = 264 ]' 30 && ok sandbox_sighup_reload ||
    fail sandbox_sighup_reload "$(nofile $w)"
r=$($CTL reload 2>&1)
[ "$r" = "configuration reloaded" ] && ok sandbox_tokenctl_reload ||
    fail sandbox_tokenctl_reload "$r"
echo 'sandbox pass' | $CTL user add sandbox@example.com >/dev/null 2>&1
$CTL user list 2>/dev/null | grep -q sandbox@example.com &&
    ok sandbox_tokenctl_user_add || fail sandbox_tokenctl_user_add
# A login hashes at the real argon2 cost (its thread's system calls are
# what is checked); http waits TD_HTTP_MAX for it.
case "$(login sandbox@example.com 'sandbox pass')" in 200*access_token*) ok sandbox_login ;;
*) fail sandbox_login "$(cat $T/status) $(cat $T/body)" ;; esac

# Children started by the sandboxed parent carry its filter as well as
# their own, and still work.
w_other=$(td_servers | grep -vx "$w")
kill -9 "$w" "$k"
td_until '[ "$(td_servers | wc -w)" -eq 2 ] && ! td_servers | grep -qx "$w" &&
    [ -n "$(td_keyd)" ] && [ "$(td_keyd)" != "$k" ]' 50 &&
    ok sandbox_respawned || fail sandbox_respawned
# Seccomp_filters (Linux 5.9): the parent's filter and their own.
k2=$(td_keyd)
w2=$(td_servers | grep -vx "$w_other")
two() { confined $1 && [ "$(field $1 Seccomp_filters)" = 2 ]; }
if [ -z "$(field $TD_PID Seccomp_filters)" ]; then
	skip sandbox_respawned_two_filters "no Seccomp_filters in /proc"
elif td_until 'two $k2 && two $w2' 30; then
	ok sandbox_respawned_two_filters
else
	fail sandbox_respawned_two_filters \
	    "$(field $k2 Seccomp_filters) $(field $w2 Seccomp_filters)"
fi
healthy() { [ "$(curl -s -m 2 "$URL/server/health")" = '{"status":"ok"}' ]; }
td_until healthy 50 && ok sandbox_health_after_respawn ||
    fail sandbox_health_after_respawn
case "$(login sandbox@example.com 'sandbox pass')" in 200*access_token*) ok sandbox_login_after_respawn ;;
*) fail sandbox_login_after_respawn "$(cat $T/status) $(cat $T/body)" ;; esac
kill -HUP "$TD_PID"
td_until '[ "$(grep -c "configuration reloaded" $T/log)" -ge 3 ]' 30 &&
    ! grep -q "could not apply" "$T/log" &&
    ok sandbox_reload_after_respawn || fail sandbox_reload_after_respawn
r=$($CTL status 2>&1)
echo "$r" | grep -q "^keyd pid $k2$" && ok sandbox_status_after_respawn ||
    fail sandbox_status_after_respawn "$r"
! grep -q "killed by signal 31" "$T/log" && ok sandbox_nothing_killed ||
    fail sandbox_nothing_killed "$(grep 'signal 31' $T/log | head -3)"

all="$TD_PID $(td_tree $TD_PID)"
kill -TERM "$TD_PID"
wait "$TD_PID"
left=0
for p in $all; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
[ $left -eq 0 ] && [ ! -e "$T/tokend.sock" ] && ok sandbox_sigterm ||
    fail sandbox_sigterm "$left left"

# The misbehaving worker.  The switch exists only in the test binary.
SELFTEST="$TOP/server/tokend-selftest"
if grep -q "sandbox selftest" "$TOKEND"; then
	fail sandbox_selftest_not_in_tokend
else
	ok sandbox_selftest_not_in_tokend
fi
if [ ! -x "$SELFTEST" ]; then
	fail sandbox_selftest "no $SELFTEST: make check builds it (make selftest)"
elif [ $sanitize -eq 1 ]; then
	skip sandbox_selftest "SANITIZE build: forbidden calls are only logged"
else
	REAL_TOKEND=$TOKEND
	TOKEND=$SELFTEST
	# socket: AF_INET; unix: an AF_UNIX datagram socket (a way to an
	# abstract socket of the host); setown, setsig, async: the fcntl(2)
	# steps of having the kernel signal another process; syslog: the
	# socket glibc's syslog(3) opens to reconnect (workers log through
	# the parent: no socket at all).
	for probe in open execve socket unix setown setsig async syslog; do
		export TOKEND_SELFTEST_PROBE=$probe
		if ! td_start; then
			fail sandbox_selftest_start "$(tail -5 $T/log)"
			break
		fi
		victim=$(td_servers | head -1)
		kill -USR2 "$victim"
		good=0
		for i in $(seq 1 20); do
			[ "$(curl -s -m 2 "$URL/server/ping")" = pong ] &&
			    good=$((good + 1))
		done
		if td_until '[ "$(td_servers | wc -w)" -eq 2 ] &&
		    ! td_servers | grep -qx "$victim"' 50 &&
		    grep -q "trying $probe" "$T/log" &&
		    grep -q "(pid $victim) $died" "$T/log" &&
		    ! grep -q "still alive" "$T/log"; then
			ok sandbox_selftest_${probe}_killed
		else
			fail sandbox_selftest_${probe}_killed \
			    "$(grep -E 'selftest|signal' $T/log | tail -3)"
		fi
		[ $good -eq 20 ] &&
		    [ "$(curl -s -m 2 "$URL/server/ping")" = pong ] &&
		    ok sandbox_selftest_${probe}_service_answers ||
		    fail sandbox_selftest_${probe}_service_answers "$good of 20"
		kill -TERM "$TD_PID"
		wait "$TD_PID"
	done
	unset TOKEND_SELFTEST_PROBE
	TOKEND=$REAL_TOKEND
fi

# As a daemon the workers log through the parent (see logging.sh); a
# reload, which they log, leaves them alive.
td_conf
if "$TOKEND" -v -f "$T/tokend.conf" > "$T/log" 2>&1; then
	# Both workers up and past starting, so that "before" is settled.
	td_until '[ "$($TOKENCTL -s $T/tokend.sock status 2>/dev/null |
	    grep -c "^server [0-9]* pid [1-9][0-9]*$")" = 2 ]' 50
	st() { $TOKENCTL -s $T/tokend.sock status 2>/dev/null; }
	TD_PID=$(st | sed -n 's/^parent pid //p')
	TD_PIDS="$TD_PIDS $TD_PID"
	before=$(st | grep '^server')
	r=$($TOKENCTL -s $T/tokend.sock reload 2>&1)
	sleep 0.5
	[ "$r" = "configuration reloaded" ] && [ -n "$before" ] &&
	    [ "$(st | grep '^server')" = "$before" ] &&
	    [ "$(curl -s -m 2 "$URL/server/ping")" = pong ] &&
	    ok sandbox_daemon_workers_log || fail sandbox_daemon_workers_log \
	    "$(echo $before) / $(st | grep '^server' | tr '\n' ' ')"
	kill -TERM "$TD_PID"
	td_until '! kill -0 $TD_PID 2>/dev/null' 50
else
	fail sandbox_daemon_start "$(tail -3 $T/log)"
fi

# Development mode: started by an ordinary user, everything is still
# sandboxed; keyd's prctl(PR_SET_DUMPABLE, 0) is what hands its /proc/PID
# entry to root (no change of user does it here), the workers' stays
# theirs.
if td_start_unprivileged; then
	ok sandbox_unprivileged_runs
else
	fail sandbox_unprivileged_runs "$(tail -3 $D/log)"
fi
k=$(td_keyd)
td_until 'confined $TD_PID && confined $k' 30 &&
    all_confined $(td_servers) && ok sandbox_unprivileged_confined ||
    fail sandbox_unprivileged_confined
nobody=$(id -u nobody)
[ "$(stat -c %u /proc/$k/environ)" = 0 ] &&
    [ "$(field $k Uid)" = "$nobody" ] &&
    ok sandbox_unprivileged_keyd_not_dumpable ||
    fail sandbox_unprivileged_keyd_not_dumpable "$(stat -c %u /proc/$k/environ)"
w=$(td_servers | head -1)
[ "$(stat -c %u /proc/$w/environ)" = "$nobody" ] &&
    ok sandbox_unprivileged_worker_dumpable ||
    fail sandbox_unprivileged_worker_dumpable
# The limit is the worker's own: the user's other processes keep theirs.
if [ $sanitize -eq 1 ]; then
	skip sandbox_unprivileged_worker_nproc_0 "SANITIZE build"
else
	[ "$(limit $w 'Max processes')" = "0 0" ] &&
	    [ "$(limit $TD_PID 'Max processes')" != "0 0" ] &&
	    ok sandbox_unprivileged_worker_nproc_0 ||
	    fail sandbox_unprivileged_worker_nproc_0
fi
kill -TERM "$TD_PID"
wait "$TD_PID"
rm -rf "$D"
