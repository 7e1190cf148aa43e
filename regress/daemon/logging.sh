#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Children log through the parent (issue 13, points 6 and 8).  As a
# daemon, in a mount namespace whose /dev/log is this test's own
# logger: a worker's and keyd's lines reach the log from the parent,
# after the child's name and pid; no child holds a datagram socket.  A
# compromised worker (the selftest build's "log" probe, which writes
# raw MSG_LOG frames on its channel) and a hostile keyd (a stand-in,
# "program" in the keyd block) each send a forged line, which is
# written on one line with its control characters escaped, and a flood,
# which is cut to the rate with a count of what was dropped, the
# parent's memory unchanged; a priority no child may use closes the
# channel.
. "$(dirname "$0")/../lib.sh"
need python3 unshare mount
td_init
SELFTEST="$TOP/server/tokend-selftest"
[ -x "$SELFTEST" ] ||
    { fail logging "no $SELFTEST: make check builds it (make selftest)"; exit 1; }
if ! is_root; then
	skip logging "mount namespaces need root"
	exit 0
fi

# The system logger: every datagram to $T/dev/log, one per line.  The
# parent's syslog(3) waits while the logger's queue is full, so the
# logger reads all that waits before it writes it out: a logger slower
# than the parent's rate cap (on a loaded machine) would leave the
# flood below it, with nothing to cut.
mkdir -p "$T/dev"
python3 - "$T/dev/log" "$T/syslog" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab") as out:
    while True:
        lines = [s.recv(65536)]
        try:
            while len(lines) < 4096:
                lines.append(s.recv(65536, socket.MSG_DONTWAIT))
        except BlockingIOError:
            pass
        out.write(b"".join(line + b"\n" for line in lines))
        out.flush()
PY
TD_PIDS="$TD_PIDS $!"
td_until '[ -S "$T/dev/log" ]' 50 || { fail logging_logger; exit 1; }

# keyd's stand-in: HELLO and CONFIG, READY, then once $T/go exists a
# forged line, a flood, a line once the parent told how many it
# dropped (or 8 s later), and a priority no child
# may use (LOG_EMERG), which closes its channel.
FAKE="$T/fakekeyd"
cat > "$FAKE" <<PY
#!/usr/bin/env python3
import os, socket, struct, sys, time
sys.path.insert(0, "$TOP/regress")
from standin import s, t, read_frame, frame
def log(pri, line):
    s.sendall(frame(t("LOG"), struct.pack("=II", pri, len(line)) + line))
read_frame()
read_frame()
s.sendall(frame(t("READY")))
while not os.path.exists("$T/go"):
    time.sleep(0.05)
if os.path.exists("$T/done"):	# restarted: once is enough
    while s.recv(65536):
        pass
open("$T/done", "w").close()
log(3, b"forged\nparent: user root@example.com suspended by the operator\r\n\x1b[1A")
for i in range(6000):
    log(6, b"flood")
# The parent tells the count when the second of the drops ends, with
# no further line of ours: wait for it (8 s at most: on a loaded
# machine the parent may lag behind what we sent), then say.
told = False
for _ in range(160):
    with open("$T/syslog", "rb") as f:
        if b"keyd (pid %d): " % os.getpid() in f.read():
            told = True
            break
    time.sleep(0.05)
log(6, b"after the flood" + (b"" if told else b", no count told"))
time.sleep(0.2)
log(0, b"an emergency of mine")
while s.recv(65536):
    pass
PY
chmod 0755 "$FAKE"

# td_daemon: tokend as a daemon, its /dev/log the logger above (and
# the rest of its /dev the host's null, zero and random devices); the
# parent's pid in TD_PID, keyd's in K, the workers' in W.
for n in null zero random urandom; do touch "$T/dev/$n"; done
td_daemon() {
	: > "$T/syslog"
	unshare -m --propagation private sh -c '
		for n in null zero random urandom; do
			mount --bind /dev/$n "$1/dev/$n" || exit 1
		done
		mount --rbind "$1/dev" /dev || exit 1
		exec "$2" -v -f "$1/tokend.conf"' sh "$T" "$TOKEND" \
	    > "$T/log" 2>&1 || return 1
	td_until '[ "$(st | grep -c "^server [0-9]* pid [1-9][0-9]*$")" = 2 ]' 50
	TD_PID=$(st | sed -n 's/^parent pid //p')
	[ -n "$TD_PID" ] || return 1
	TD_PIDS="$TD_PIDS $TD_PID"
	K=$(st | sed -n 's/^keyd pid \([0-9]*\).*/\1/p')
	W=$(td_servers)
	# Settled: the second worker said it is ready (both, as a pid).
	td_until "grep -q 'server\[[0-9]*\]: server 1 ready\|\[[0-9]*\]: server: server 1 ready' '$T/syslog'" 50
	return 0
}
st() { $TOKENCTL -s $T/tokend.sock status 2>/dev/null; }
td_stop() {
	kill -TERM "$TD_PID"
	td_until '! kill -0 $TD_PID 2>/dev/null' 50
}

td_conf
export TOKEND_SELFTEST_PROBE=log
TOKEND=$SELFTEST td_daemon ||
    { fail logging_daemon_start "$(cat "$T/log" "$T/syslog")"; exit 1; }

# Each worker's lines, from the parent: "tokend[parent]: server[pid]:",
# and keyd's.
for w in $W; do
	grep -q "tokend\[$TD_PID\]: server\[$w\]: server [01] ready" "$T/syslog" ||
	    echo "$w"
done > "$T/missing"
[ -n "$W" ] && [ ! -s "$T/missing" ] && ok logging_worker_lines_through_parent ||
    fail logging_worker_lines_through_parent "$(cat "$T/syslog")"
td_until "grep -q 'tokend\[$TD_PID\]: keyd\[$K\]: ready' '$T/syslog'" 50 &&
    ok logging_keyd_lines_through_parent ||
    fail logging_keyd_lines_through_parent "$(cat "$T/syslog")"
I=$(td_items)
for p in $I; do
	grep -q "tokend\[$TD_PID\]: items\[$p\]: items [01] ready" "$T/syslog" ||
	    echo "$p"
done > "$T/missing"
[ -n "$I" ] && [ ! -s "$T/missing" ] && ok logging_items_lines_through_parent ||
    fail logging_items_lines_through_parent "$I: $(cat "$T/syslog")"
grep -q "tokend\[[0-9]*\]: server: \|tokend\[[0-9]*\]: keyd: \|tokend\[[0-9]*\]: items: " "$T/syslog" &&
    fail logging_no_child_line_of_its_own "$(grep ': server: \|: keyd: ' "$T/syslog")" ||
    ok logging_no_child_line_of_its_own
grep -q "tokend\[$TD_PID\]: parent: started: keyd, 2 servers" "$T/syslog" &&
    ok logging_parent_own_lines || fail logging_parent_own_lines

# No child holds a datagram socket (the system logger's kind): none of
# its socket descriptors is a SOCK_DGRAM entry of /proc/net/unix.
dgram_sockets() {
	local fd ino
	for fd in /proc/$1/fd/*; do
		ino=$(readlink "$fd" 2>/dev/null) || continue
		case "$ino" in socket:\[*\]) ino=${ino#socket:[}; ino=${ino%]} ;;
		*) continue ;; esac
		awk -v i="$ino" '$7 == i && $5 == "0002"' /proc/net/unix
	done
}
M=$(td_mail)
td_until "grep -q 'tokend\[$TD_PID\]: mail\[$M\]: mail ready' '$T/syslog'" 50 &&
    ok logging_mail_lines_through_parent ||
    fail logging_mail_lines_through_parent "$M: $(grep mail "$T/syslog" | head -3)"
for p in $W $K $I $M; do
	[ -d /proc/$p ] || echo "$p gone"
	dgram_sockets "$p"
done > "$T/dgram"
[ -n "$W" ] && [ -n "$K" ] && [ -n "$I" ] && [ -n "$M" ] &&
    [ ! -s "$T/dgram" ] && ok logging_children_no_datagram_socket ||
    fail logging_children_no_datagram_socket "workers $W keyd $K items $I mail $M: $(cat "$T/dgram")"
[ -n "$(dgram_sockets "$TD_PID")" ] && ok logging_parent_has_syslog_socket ||
    fail logging_parent_has_syslog_socket

# hostile NAME WHO PID NAMED: what child PID (WHO its name in its lines,
# NAMED in the parent's) sent after $T/go, a forged line and a flood,
# as the parent wrote it.
rss() { awk '/^VmRSS:/ { print $2 }' /proc/$TD_PID/status; }
# The parent keeps nothing of a child's lines: its memory may grow by
# less than this (kB) during a flood.  AddressSanitizer's allocator
# keeps freed memory in quarantine, so a SANITIZE build gets more room.
RSS_KB=2048
td_sanitize && RSS_KB=16384
hostile() {
	local forged line n
	td_until "grep -q '$2\[$3\]: after the flood' '$T/syslog'" 150
	forged="tokend[$TD_PID]: $2[$3]: forged\\nparent: user root@example.com suspended by the operator\\r\\n\\033[1A"
	line=$(grep "$2\[$3\]: forged" "$T/syslog")
	[ "$(grep -c "$2\[$3\]: forged" "$T/syslog")" = 1 ] &&
	    [ "${line%"$forged"}" != "$line" ] &&
	    ok logging_$1_forged_line_on_one_line ||
	    fail logging_$1_forged_line_on_one_line "$line"
	grep -q "^parent: user\|: parent: user" "$T/syslog" &&
	    fail logging_$1_forged_no_line_of_the_parent ||
	    ok logging_$1_forged_no_line_of_the_parent
	grep -q $'\033' "$T/syslog" && fail logging_$1_no_escape_in_log ||
	    ok logging_$1_no_escape_in_log
	n=$(grep -c "$2\[$3\]: flood$" "$T/syslog")
	[ "$n" -ge 1000 ] && [ "$n" -lt 6000 ] && ok logging_$1_flood_cut ||
	    fail logging_$1_flood_cut "$n of 6000 written"
	# Told when the second of the drops ends: at most a second on.
	td_until "grep -q 'tokend\[$TD_PID\]: parent: $4 (pid $3): [0-9]* lines of its log dropped, more than [0-9]* a second' '$T/syslog'" 30 &&
	    ok logging_$1_flood_counted ||
	    fail logging_$1_flood_counted "$(grep -v flood "$T/syslog" | tail -5)"
	rss1=$(rss)
	[ -n "$rss0" ] && [ -n "$rss1" ] && [ $((rss1 - rss0)) -lt $RSS_KB ] &&
	    ok logging_$1_flood_parent_memory ||
	    fail logging_$1_flood_parent_memory "VmRSS $rss0 kB, then $rss1 kB"
}

# A compromised worker.
w=$(echo $W | cut -d' ' -f1)
slot=$(st | sed -n "s/^server \([0-9]*\) pid $w\( .*\)*\$/\1/p")
rss0=$(rss)
kill -USR2 "$w"
hostile worker server "$w" "server $slot"
td_stop

# The hostile keyd.
KEYD=$FAKE td_conf
td_daemon || { fail logging_hostile_start "$(cat "$T/log" "$T/syslog")"; exit 1; }
rss0=$(rss)
touch "$T/go"
hostile keyd keyd "$K" keyd
# The count is told when the second of the drops ends, before the
# stand-in logs again (it waits for the count to do so).
grep -q "keyd\[$K\]: after the flood\$" "$T/syslog" &&
    ok logging_keyd_flood_counted_in_time ||
    fail logging_keyd_flood_counted_in_time "$(grep "after the flood" "$T/syslog")"
td_until "grep -q 'parent: keyd (pid $K) killed by signal 9' '$T/syslog'" 50 &&
    ! grep -q "emergency of mine" "$T/syslog" &&
    ok logging_bad_priority_hostile ||
    fail logging_bad_priority_hostile "$(grep -v flood "$T/syslog" | tail -5)"
td_stop
