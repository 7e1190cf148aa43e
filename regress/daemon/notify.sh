#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The service manager's readiness protocol (issue 15, point 3): with
# NOTIFY_SOCKET (a path, or an abstract '@' name) the parent sends
# READY=1 once keyd and every worker are ready, and only then;
# RELOADING=1 (with MONOTONIC_USEC) and READY=1 around SIGHUP;
# STOPPING=1 on SIGTERM; no child sees the variable.
. "$(dirname "$0")/../lib.sh"
need python3 curl
td_init
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}"

# A datagram socket that writes each message on a line, and at READY=1
# asks /server/ping at once: the workers must answer by then.
cat > "$T/listen.py" <<'PY'
import socket, sys, urllib.request
addr, out, url = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
with open(out, "a", buffering=1) as f:
    while True:
        m = s.recv(4096).decode()
        if m.startswith("READY=1"):
            try:
                ping = urllib.request.urlopen(url, timeout=2).read().decode()
            except Exception as e:
                ping = "error " + str(e)
            f.write(m.replace("\n", "|") + " ping=" + ping + "\n")
        else:
            f.write(m.replace("\n", "|") + "\n")
PY

run() {	# run SOCKET: tokend under that NOTIFY_SOCKET
	python3 "$T/listen.py" "$1" "$T/got" "$URL/server/ping" &
	TD_PIDS="$TD_PIDS $!"
	# Bound before tokend starts: a datagram to nobody is lost.
	if [ "${1:0:1}" = @ ]; then
		td_until "grep -q ' @${1:1}\$' /proc/net/unix" 100
	else
		td_until "[ -S '$1' ]" 100
	fi
	NOTIFY_SOCKET=$1 "$TOKEND" -d -v -f "$T/tokend.conf" > "$T/log" 2>&1 &
	TD_PID=$!
	TD_PIDS="$TD_PIDS $TD_PID"
}

: > "$T/got"
run "$T/notify.sock"
td_until 'grep -q "^READY=1" "$T/got"' 200
grep -q '^READY=1 ping=pong$' "$T/got" && [ "$(grep -c READY=1 "$T/got")" = 1 ] &&
    ok notify_ready_after_workers || fail notify_ready_after_workers "$(cat "$T/got")"
grep -q 'keyd and 2 workers ready' "$T/log" && ok notify_ready_logged ||
    fail notify_ready_logged "$(tail -3 "$T/log")"
# No child has the variable.
found=0
for p in $(td_tree "$TD_PID"); do
	tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -q '^NOTIFY_SOCKET=' && found=1
done
[ "$found" = 0 ] && ok notify_children_without_socket || fail notify_children_without_socket
kill -HUP "$TD_PID"
td_until '[ "$(grep -c READY=1 "$T/got")" = 2 ]' 50
grep -Eq '^RELOADING=1\|MONOTONIC_USEC=[0-9]+$' "$T/got" &&
    [ "$(sed -n 2p "$T/got")" != "" ] && ok notify_reload ||
    fail notify_reload "$(cat "$T/got")"
"$TOKENCTL" -s "$T/tokend.sock" reload >/dev/null
td_until '[ "$(grep -c READY=1 "$T/got")" = 3 ]' 50 &&
    [ "$(grep -c '^RELOADING=1' "$T/got")" = 2 ] && ok notify_reload_tokenctl ||
    fail notify_reload_tokenctl "$(cat "$T/got")"
kill -TERM "$TD_PID"; wait "$TD_PID"
grep -q '^STOPPING=1$' "$T/got" && ok notify_stopping || fail notify_stopping "$(cat "$T/got")"

# An abstract socket name works the same.
: > "$T/got"
run "@tokend-regress-$$"
td_until 'grep -q "^READY=1" "$T/got"' 200 && grep -q '^READY=1 ping=pong$' "$T/got" &&
    ok notify_abstract || fail notify_abstract "$(cat "$T/got")"
kill -TERM "$TD_PID"; wait "$TD_PID"
