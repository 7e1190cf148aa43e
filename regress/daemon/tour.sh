#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# README.md's "Try it", command by command as it is written there
# (regress/tour.py reads them from README.md, so that the text and the
# test cannot drift), against the demo of make run (etc/demo.sh) in a
# directory of its own, its mail going to the SMTP sink: every answer
# the README shows must be tokend's.
. "$(dirname "$0")/../lib.sh"
need python3
td_init
SPORT=$(td_free_port)
RUN="$T/run"
W="$T/top"
mkdir -p "$T/sink" "$RUN" "$W"
chmod 0755 "$RUN"
ln -s "$RUN" "$W/run"
ln -s "$TOP/tokenctl" "$W/tokenctl"
sink_start
TOKEND_RUN=$RUN TOKEND_PORT=$PORT TOKEND_MAIL_PORT=$SPORT \
    "$TOP/etc/demo.sh" > "$T/log" 2>&1 &
TD_PIDS="$TD_PIDS $!"
if ! td_until 'grep -q "^demo: seeded 3 articles" "$T/log"' 300; then
	fail tour_start "$(grep -v '^ ' "$T/log" | tail -5)"
	exit 1
fi
ok tour_start
python3 "$TOP/regress/tour.py" "$TOP/README.md" "$PORT" "$T/sink" "$W"
rc=$?
exit $(( ${TD_FAILED:-0} | rc ))
