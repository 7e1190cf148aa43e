#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# GET /server/metrics (issue 15, point 6): off by default (404); for a
# client on metrics-allow, or a token of metrics-role, and 403 for
# others; the Prometheus text passes Debian's promtool; the counters
# move as requests are made, summed over the workers; no label carries
# a value of a request.
. "$(dirname "$0")/../lib.sh"
need promtool curl
td_init
MON=7c2d9e41-3b5a-4f60-8a1e-2d3c4b5a6f70
conf() {
	td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" "$@" \
	    "role \"monitor\" { id \"$MON\" }"
}
conf
td_up metrics
echo 'mon pass' | $CTL user add -r monitor mon@example.com >/dev/null
echo 'pat pass' | $CTL user add pat@example.com >/dev/null
MT=$(echo | $CTL user token mon@example.com 2>/dev/null | tail -1)
PT=$(echo | $CTL user token pat@example.com 2>/dev/null | tail -1)
expect metrics_off_404 '404 *ROUTE_NOT_FOUND*' "$(http GET /server/metrics)"

# On for loopback (the demo's setting) and for the monitor role.
conf 'metrics-allow "127.0.0.0/8, ::1"' 'metrics-role "monitor"'
td_reload >/dev/null
scrape() { curl -s -m 5 "$@" "$URL/server/metrics"; }
val() {	# val SERIES-PREFIX: its value in a new scrape
	scrape > "$T/m"
	get "$1"
}
get() {	# get SERIES-PREFIX: its value in the last scrape
	awk -v k="$1" 'index($0, k) == 1 { print $NF; exit }' "$T/m"
}
scrape -D "$T/h" > "$T/m1"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/h" &&
    grep -q '^tokend_workers 2$' "$T/m1" && ok metrics_loopback_allowed ||
    fail metrics_loopback_allowed "$(head -5 "$T/m1")"
promtool check metrics < "$T/m1" > "$T/lint" 2>&1 &&
    ok metrics_promtool || fail metrics_promtool "$(head -5 "$T/lint")"

# The counters move, over both workers' slots.
l0=$(val 'tokend_logins_total{result="ok"}')
f0=$(val 'tokend_logins_total{result="failed"}')
p0=$(val 'tokend_requests_total{route="/server/ping",method="GET",status="2xx"}')
login pat@example.com 'pat pass' >/dev/null
RT=$(j refresh_token)
login pat@example.com 'wrong' >/dev/null
http POST /auth/refresh -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$RT\"}" >/dev/null
for i in 1 2 3 4 5 6; do curl -s -m 2 -o /dev/null "$URL/server/ping"; done
http GET '/nowhere?secret=hunter2' >/dev/null
l1=$(val 'tokend_logins_total{result="ok"}')
f1=$(val 'tokend_logins_total{result="failed"}')
p1=$(val 'tokend_requests_total{route="/server/ping",method="GET",status="2xx"}')
r1=$(val 'tokend_refreshes_total{result="ok"}')
[ "$((l1 - l0))" = 1 ] && [ "$((f1 - f0))" = 1 ] && [ "$((${p1:-0} - ${p0:-0}))" = 6 ] &&
    [ "$r1" = 1 ] && ok metrics_counters_move ||
    fail metrics_counters_move "logins $l0->$l1 failed $f0->$f1 ping $p0->$p1 refresh $r1"
grep -q '^tokend_requests_total{route="none",method="GET",status="4xx"} [1-9]' "$T/m" &&
    ! grep -q -e hunter2 -e nowhere -e pat@example -e "$RT" "$T/m" &&
    ok metrics_labels_no_request_values || fail metrics_labels_no_request_values "$(grep none "$T/m")"
c=$(val 'tokend_request_duration_seconds_count')
inf=$(get 'tokend_request_duration_seconds_bucket{le="+Inf"}')
k=$(get 'tokend_keyd_duration_seconds_count')
[ "$c" = "$inf" ] && [ "$c" -ge 10 ] && [ "$k" -ge 3 ] && ok metrics_histograms ||
    fail metrics_histograms "count $c inf $inf keyd $k"
grep -q '^tokend_hash_queue 0$' "$T/m" && grep -q '^tokend_keyd_restarts_total 0$' "$T/m" &&
    grep -Eq '^tokend_connections [0-9]+$' "$T/m" && ok metrics_gauges ||
    fail metrics_gauges "$(grep -e hash_queue -e restarts -e connections "$T/m")"
promtool check metrics < "$T/m" > "$T/lint" 2>&1 &&
    ok metrics_promtool_after_traffic || fail metrics_promtool_after_traffic "$(head -5 "$T/lint")"

# keyd killed: the parent counts its restart.
kill -KILL "$(td_keyd)"
td_until '[ "$(val tokend_keyd_restarts_total)" = 1 ]' 100 &&
    ok metrics_keyd_restart || fail metrics_keyd_restart "$(grep restarts "$T/m")"

# Others: only the monitor role's token.
conf 'metrics-allow "10.0.0.0/8"' 'metrics-role "monitor"'
td_reload >/dev/null
expect metrics_other_address_403 '403 *FORBIDDEN*' "$(http GET /server/metrics)"
expect metrics_other_role_403 '403 *FORBIDDEN*' \
    "$(http GET /server/metrics -H "Authorization: Bearer $PT")"
r=$(http GET /server/metrics -H "Authorization: Bearer $MT")
case "$r" in "200 "*tokend_workers*) ok metrics_role_token ;; *) fail metrics_role_token "${r:0:200}" ;; esac
expect metrics_bad_token_401 '401 *INVALID_CREDENTIALS*' \
    "$(http GET /server/metrics -H 'Authorization: Bearer nope')"
sed 's|^metrics-role .*|metrics-role "nosuch"|' "$T/tokend.conf" > "$T/bad.conf"
conf_refused metrics_role_unknown_refused "$T/bad.conf" 'metrics-role "nosuch": no such role'
