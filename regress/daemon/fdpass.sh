#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# A descriptor passed on a message of a type that carries none closes
# the channel, and the descriptor is closed: the parent's open
# descriptors do not grow (issue 13, point 7).  The control socket is
# the parent's channel a test can reach; keyd and the workers read
# their channels with the same code (shared/frame.c, test_frame).
. "$(dirname "$0")/../lib.sh"
need python3
td_init
td_conf
td_up fdpass

# Eight connections, each with a CTL_STATUS frame that carries a
# descriptor, all held open: prints the parent's descriptors before and
# after, and how many connections it closed without an answer.
out=$(python3 - "$T/tokend.sock" "$TD_PID" "$TOP/shared/proto.h" <<'PY'
import os, re, socket, struct, sys, time
path, pid, proto = sys.argv[1], int(sys.argv[2]), sys.argv[3]
text = open(proto).read()
block = text[text.index("#define MSG_LIST(X)"):]
block = block[:block.index("\n\n")]
types = re.findall(r"X\((\w+),", block)
status = types.index("CTL_STATUS") + 1
def nfds():
    return len(os.listdir("/proc/%d/fd" % pid))
before = nfds()
conns = []
for i in range(8):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    fd = os.open("/dev/null", os.O_RDONLY)
    hdr = struct.pack("=IIII", status, 0, i + 1, os.getpid())
    s.sendmsg([hdr], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
        struct.pack("=i", fd))])
    os.close(fd)
    conns.append(s)
closed = 0
for s in conns:
    s.settimeout(3)
    try:
        if s.recv(64) == b"":
            closed += 1
    except socket.timeout:
        pass
deadline = time.time() + 3
while nfds() > before and time.time() < deadline:
    time.sleep(0.05)
print(before, nfds(), closed)
for s in conns:
    s.close()
PY
)
set -- $out
[ "${3:-0}" -eq 8 ] && ok fdpass_channel_closed_without_answer ||
    fail fdpass_channel_closed_without_answer "$out"
[ -n "$2" ] && [ "$2" -le "$1" ] && ok fdpass_parent_descriptors_not_grown ||
    fail fdpass_parent_descriptors_not_grown "$out"
grep -q "control: CTL_STATUS message (type [0-9]*): with a descriptor not its own" \
    "$T/log" && ok fdpass_logged_with_type ||
    fail fdpass_logged_with_type "$(grep control "$T/log" | tail -2)"
$CTL status >/dev/null 2>&1 && ok fdpass_control_still_answers ||
    fail fdpass_control_still_answers
