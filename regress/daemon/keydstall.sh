#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# A worker that does not read its channel to keyd does not slow keyd
# down: keyd closes that channel at once when an invalidation does not
# fit in it (it used to wait up to a second each time), and the other
# worker's requests to keyd keep their latency meanwhile.
. "$(dirname "$0")/../lib.sh"
PREFORK=2
td_init
td_conf 'password {' '	memory 1M' '	iterations 1' '	parallelism 1' '}' \
    'auth {' '	login-stall 10ms' '}'
td_start || { fail keydstall_start "$(tail -5 $T/log)"; exit 1; }
CTL="$TOKENCTL -s $T/tokend.sock"
bearer() { echo "Authorization: Bearer $1"; }
echo 'root pass' | $CTL user add -r admin root@example.com >/dev/null
login root@example.com 'root pass' >/dev/null; RA=$(j access_token)
W=$(td_servers | head -1)
kill -STOP "$W"
# Invalidations, one after another, fill the stopped worker's channel
# again and again (each new channel it gets too).
args=()
for i in $(seq 3000); do args+=(-o /dev/null "$URL/users/me"); done
curl -s -m 60 -X PATCH -H "$(bearer "$RA")" -H 'Content-Type: application/json' \
    -d '{"last_page":"/x"}' "${args[@]}" > /dev/null 2>&1 &
FLOOD=$!
# Meanwhile, health checks (each asks keyd) on the other worker.
: > "$T/lat"
while kill -0 "$FLOOD" 2>/dev/null; do
	curl -s -m 10 -o /dev/null -w '%{time_total} %{http_code}\n' \
	    "$URL/server/health" >> "$T/lat" 2>/dev/null
done
wait "$FLOOD"
kill -CONT "$W"
stalls=$(grep -c 'did not read its channel' "$T/log")
[ "$stalls" -ge 1 ] && ok keydstall_channel_closed ||
    fail keydstall_channel_closed "no stall logged"
max=$(awk '$2 == 200 { if ($1 > m) m = $1; n++ } END { printf "%.3f %d", m, n }' "$T/lat")
# keyd used to wait 1 s for the stopped worker at each stall.
awk -v m="${max% *}" -v n="${max#* }" 'BEGIN { exit !(n >= 5 && m < 0.5) }' &&
    ok keydstall_others_not_frozen ||
    fail keydstall_others_not_frozen "slowest health ${max% *} s of ${max#* }, $stalls stalls"
td_until "grep -q 'new channel to keyd' $T/log" 50 &&
    ok keydstall_relinked || fail keydstall_relinked
grep -q 'FATAL\|killed by signal' "$T/log" &&
    fail keydstall_no_crash "$(grep -m1 'FATAL\|killed' $T/log)" ||
    ok keydstall_no_crash
exit 0
