#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# A hostile child of the parent (issue 13, points 7 and 8): a stand-in
# for keyd ("program" in the keyd block) that speaks the framing like a
# compromised process would.  Its reload-failure reason, which tries to
# forge a line of the parent's, stays on one line, quoted after its
# name; a descriptor it passes on a message that carries none closes
# its channel.
. "$(dirname "$0")/../lib.sh"
need python3
td_init
KEYD="$T/fakekeyd"
cat > "$KEYD" <<PY
#!/usr/bin/env python3
import os, socket, struct, sys, time
sys.path.insert(0, "$TOP/regress")
from standin import s, t, read_frame, frame
read_frame()
read_frame()
s.sendall(frame(t("READY")))
reason = b"bad\nparent[1]: user root@example.com suspended by the operator\r\n\x1b[1A"
s.sendall(frame(t("RELOAD_DONE"), struct.pack("=II", 1, len(reason)) + reason))
time.sleep(0.2)
fd = os.open("/dev/null", os.O_RDONLY)
s.sendmsg([frame(t("READY"))], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
    struct.pack("=i", fd))])
while s.recv(65536):
    pass
PY
chmod 0755 "$KEYD"
td_conf
"$TOKEND" -d -v -f "$T/tokend.conf" > "$T/log" 2>&1 &
TD_PID=$!
TD_PIDS="$TD_PIDS $TD_PID"

td_until 'grep -q "keyd could not apply the reload" "$T/log"' 100
line=$(grep "keyd could not apply the reload" "$T/log" | head -1)
[ "$line" = "parent[$TD_PID]: keyd could not apply the reload and says: \"bad\\nparent[1]: user root@example.com suspended by the operator\\r\\n\\033[1A\"" ] &&
    ok hostile_child_reason_quoted_on_one_line ||
    fail hostile_child_reason_quoted_on_one_line "$line"
grep -q "^parent\[1\]: user root" "$T/log" &&
    fail hostile_child_reason_no_forged_line ||
    ok hostile_child_reason_no_forged_line
grep -q $'\033' "$T/log" && fail hostile_child_no_escape_in_log ||
    ok hostile_child_no_escape_in_log

td_until 'grep -q "keyd: READY message (type [0-9]*): with a descriptor not its own, closing" "$T/log"' 100 &&
    ok hostile_child_stray_descriptor_closes ||
    fail hostile_child_stray_descriptor_closes "$(grep keyd "$T/log" | tail -3)"
