# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# One wrk run's output (--latency) as "req/s p50ms p99ms errors": with
# the Lua scripts, the rate is their "Good responses/sec"; errors are
# non-2xx and bad responses and socket errors.  bench/pg/pg.sh and
# bench/scale/scale.sh read it.
function ms(v) {
	if (v ~ /us$/) return v / 1000
	if (v ~ /ms$/) return v + 0
	if (v ~ /s$/) return v * 1000
	return v
}
$1 == "50%" { p50 = ms($2) }
$1 == "99%" { p99 = ms($2) }
/^Requests\/sec:/ { r = $2 }
/^Good responses\/sec:/ { g = $NF }
/Non-2xx|^Bad responses:/ { e += $NF }
/Socket errors:/ {
	for (i = 1; i <= NF; i++) {
		f = $i
		sub(/,$/, "", f)
		if (f ~ /^[0-9]+$/) e += f
	}
}
END { if (g != "") r = g; printf "%s %.2f %.2f %d\n", r, p50, p99, e }
