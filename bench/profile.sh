#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# bench/profile.sh: where tokend spends its time on one request, with
# perf(1).  Starts tokend from the build tree on 127.0.0.1 (prefork =
# nproc, the regress configuration shape, no -v), creates one admin,
# loads one scenario with wrk -t2 -c50 and records every tokend process
# with perf record -g for PROFILE_SECONDS, then prints the hottest
# symbols of the workers and of keyd.  Everything it started is ended and
# its scratch directory removed on exit.
#
#	bench/profile.sh jwt|static|ping|items|refresh [SECONDS]
#
# The report stays in bench/out/profile-SCENARIO.txt, the samples in
# bench/out/perf-SCENARIO.data.
# Needs perf (Debian linux-perf), wrk, curl; as a normal user
# kernel.perf_event_paranoid must allow it.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
SCEN=${1:-jwt}
SECS=${2:-${PROFILE_SECONDS:-10}}
OUT="$TOP/bench/out"

die() { echo "profile: $*" >&2; exit 1; }
case "$SCEN" in jwt|static|ping|items|refresh) ;; *) die "unknown scenario $SCEN" ;; esac
case "$SECS" in ''|*[!0-9]*) die "SECONDS is a whole number" ;; esac
for t in perf wrk curl; do
	command -v "$t" > /dev/null || die "$t is missing"
done
for b in server/tokend keyd/keyd tokenctl/tokenctl; do
	[ -x "$TOP/$b" ] || die "$b is not built: run make first"
done

# shellcheck source=../regress/lib.sh
. "$TOP/regress/lib.sh"
# lib.sh finds the tree from a test's place, two levels down.
TOP=$(cd "$(dirname "$0")/.." && pwd)
TOKEND="$TOP/server/tokend" KEYD="$TOP/keyd/keyd" TOKENCTL="$TOP/tokenctl/tokenctl"
td_init
PREFORK=$(nproc)
export PREFORK
td_conf "auth {" "	access-ttl 1d" "}"
"$TOKEND" -d -f "$T/tokend.conf" > "$T/log" 2>&1 &
TD_PID=$!
TD_PIDS="$TD_PID"
td_wait_ready || die "tokend did not start: $(tail -3 "$T/log")"
CTL="$TOKENCTL -s $T/tokend.sock"
echo profile-password | $CTL user add -r admin prof@example.com > /dev/null ||
    die "tokenctl user add failed"

jfield() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
login() {
	curl -s -H 'Content-Type: application/json' \
	    -d '{"email":"prof@example.com","password":"profile-password"}' \
	    "$URL/auth/login"
}
JWT=$(login | jfield access_token)
[ -n "$JWT" ] || die "login failed"
STATIC=$($CTL user token prof@example.com) || die "tokenctl user token failed"

case "$SCEN" in
ping)	set -- "$URL/server/ping" ;;
jwt)	set -- -H "Authorization: Bearer $JWT" "$URL/users/me" ;;
static)	set -- -H "Authorization: Bearer $STATIC" "$URL/users/me" ;;
items)	curl -s -o /dev/null -H "Authorization: Bearer $STATIC" \
	    -H 'Content-Type: application/json' \
	    -d '[{"n":1},{"n":2},{"n":3}]' "$URL/items/articles"
	set -- -H "Authorization: Bearer $STATIC" "$URL/items/articles" ;;
refresh)
	# 100 sessions of the one user (no login limit applies to
	# successes), then refresh.lua rotates them.
	# (sed keeps the missing newline at the end of the answer)
	for i in $(seq 1 100); do echo "$(login | jfield refresh_token)"; done \
	    > "$T/pool"
	[ "$(wc -l < "$T/pool")" -eq 100 ] ||
	    die "only $(wc -l < "$T/pool") of 100 logins gave a refresh token"
	export BENCH_POOL="$T/pool" BENCH_THREADS=2
	set -- -s "$TOP/bench/refresh.lua" "$URL/auth/refresh" ;;
esac

# group_pids workers|keyd: their pids, comma-separated.
group_pids() {
	if [ "$1" = keyd ]; then td_keyd; else td_servers; fi | paste -sd,
}

mkdir -p "$OUT"
pids=$(echo "$TD_PID" $(td_tree "$TD_PID") | tr ' ' ',')
wrk -t2 -c50 -d$((SECS + 2))s --latency "$@" > "$T/wrk.txt" 2>&1 &
wrkpid=$!
sleep 1
perf record -q -g -o "$OUT/perf-$SCEN.data" -p "$pids" -- sleep "$SECS" \
    > /dev/null 2>&1 || die "perf record failed (perf_event_paranoid?)"
wait "$wrkpid"
# System calls per request of each process group, both counted over the
# same 2 s inside a second run.
wrk -t2 -c50 -d4s "$@" > "$T/wrk2.txt" 2>&1 &
wrkpid=$!
sleep 1
stats=""
for who in workers keyd; do
	perf stat -x, -e raw_syscalls:sys_enter -p "$(group_pids "$who")" \
	    -- sleep 2 2> "$T/stat-$who" > /dev/null &
	stats="$stats $!"
done
wait $stats "$wrkpid"
{
	echo "profile $SCEN, $(date -u '+%Y-%m-%d %H:%M UTC'), ${SECS}s:" \
	    "$(awk '/^Requests\/sec/ { print $2 " req/s" }' "$T/wrk.txt")"
	rate=$(awk '/^Requests\/sec/ { print $2 }' "$T/wrk2.txt")
	for who in workers keyd; do
		awk -F, -v r="$rate" -v w="$who" '/raw_syscalls/ && r > 0 {
		    printf "system calls per request, %s: %.2f\n", w, $1 / 2 / r }' \
		    "$T/stat-$who"
	done
	for who in workers keyd; do
		p=$(group_pids "$who")
		echo
		echo "== $who: where their samples go, by library, then symbol"
		perf report -q -i "$OUT/perf-$SCEN.data" --pid "$p" \
		    --no-children --percentage relative --sort dso --percent-limit 1 -g none \
		    2> /dev/null | grep -v '^$' | sed 's/ *$//'
		perf report -q -i "$OUT/perf-$SCEN.data" --pid "$p" \
		    --no-children --percentage relative --sort dso,symbol --percent-limit 0.7 -g none \
		    2> /dev/null | grep -v '^$' | sed 's/ *- *- *$//; s/ *$//' | head -25
	done
} | tee "$OUT/profile-$SCEN.txt"
