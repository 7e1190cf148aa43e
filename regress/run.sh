#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Run the regress tests: the C unit tests in regress/unit/bin/ and the
# daemon tests regress/daemon/*.sh (bash).  Each prints lines "ok NAME",
# "FAILED NAME ..." or "SKIPPED NAME ...".  The last line of the run is
# "N passed, N failed" (", N skipped" when any were skipped).
#
# usage: run.sh [-j jobs] [name[,name...] ...]
#
# A name selects the files it names: "auth" is regress/daemon/auth.sh,
# "jwt" or "test_jwt" is regress/unit/bin/test_jwt, "cache" is both
# test_cache and cache.sh; "unit" and "daemon" are every file of the
# kind, "daemon/cache" or "unit/test_cache" one of them.  No name: all.
#
# Files run in parallel, jobs at a time, each one's output printed whole
# when it ends.  The default is twice the number of CPUs: a daemon test
# mostly waits (login stalls, timers, its daemon's answers), so that one
# job a CPU leaves them idle (a whole run uses about half of one CPU).
# The files in SERIAL measure time or load the machine, or install a
# package into it (debian: its users are the others' too), or wait for
# a lock of a second or two to hold (tfa), or run a whole browser
# (portal_browser, sdkbrowser, fabrowser): they run afterwards, one at
# a time, with nothing else running.
SERIAL="catalog_timing faults hashpool httpslow keydstall lockout"
SERIAL="$SERIAL ratelimit debian tfa portal_browser sdkbrowser fabrowser"

top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/regress/out"
# make check T=... J=... exports them: T is every daemon test's directory.
unset T J

usage() {
	echo "usage: run.sh [-j jobs] [name[,name...] ...]" >&2
	exit 2
}

ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)
jobs=$((2 * ncpu))
while getopts j: opt; do
	case $opt in
	j)	jobs=$OPTARG ;;
	*)	usage ;;
	esac
done
shift $((OPTIND - 1))
case "$jobs" in ''|*[!0-9]*|0) echo "run.sh: -j wants a number >= 1" >&2; exit 2 ;; esac

# Every test file as "kind/name", units first.
all_files() {
	for t in "$top"/regress/unit/bin/test_*; do
		[ -x "$t" ] && echo "unit/$(basename "$t")"
	done
	for t in "$top"/regress/daemon/*.sh; do
		[ -f "$t" ] && echo "daemon/$(basename "$t" .sh)"
	done
}

# The files NAME selects, one a line.
select_name() {
	case "$1" in
	unit|daemon)
		all_files | grep "^$1/" ;;
	unit/*|daemon/*)
		all_files | grep -Fx "$1" ;;
	*)
		all_files | grep -Fx -e "daemon/$1" -e "unit/$1" \
		    -e "unit/test_$1" ;;
	esac
}

files=""
if [ $# -eq 0 ]; then
	files=$(all_files)
else
	bad=0
	for arg in "$@"; do
		for n in ${arg//,/ }; do
			sel=$(select_name "$n")
			if [ -z "$sel" ]; then
				echo "run.sh: no test file named \"$n\"" \
				    "(regress/daemon/$n.sh, regress/unit/bin/test_$n)" >&2
				bad=1
			fi
			files="$files
$sel"
		done
	done
	[ $bad -eq 0 ] || exit 2
	# Each file once, in the order of all_files.
	files=$(all_files | grep -Fx -f <(echo "$files" | grep .))
fi

# How long each file took, kept from run to run (for the order below).
times="$top/regress/out/times"
old_times=$(cat "$times" 2>/dev/null)
rm -rf "$out"
mkdir -p "$out"
: > "$out/all"
echo "$old_times" | grep . > "$times"

is_serial() {
	case " $SERIAL " in *" ${1#daemon/} "*) [ "${1%%/*}" = daemon ] ;;
	*) false ;; esac
}

log_of() { echo "$out/$(echo "$1" | tr '/' '_').log"; }

# run_one KIND/NAME: the file's output in its log; a last line in
# .status says how it ended.
run_one() {
	log=$(log_of "$1")
	case "$1" in
	unit/*)	"$top/regress/unit/bin/${1#unit/}" ;;
	daemon/*) bash "$top/regress/$1.sh" ;;
	esac > "$log" 2> "$log.err" < /dev/null
	echo $? > "$log.status"
}

# report KIND/NAME: its output, whole, to the terminal and to all.
report() {
	log=$(log_of "$1")
	rc=$(cat "$log.status")
	cat "$log"
	cat "$log" >> "$out/all"
	if [ "$rc" -ne 0 ] && ! grep -q '^FAILED ' "$log"; then
		echo "FAILED $1 (exit status $rc, see $log.err)" |
		    tee -a "$out/all"
	fi
	if grep -q '^FAILED ' "$log" && [ -s "$log.err" ]; then
		echo "--- stderr of $1 (last lines):"
		tail -n 15 "$log.err"
	fi
}

# The parallel files, the longest known first (from the last run's
# times), so that the slow ones do not start last; then SERIAL.
by_time() {
	while read -r f; do
		s=$(awk -v f="$f" '$1 == f { print $2 }' "$times" 2>/dev/null)
		echo "${s:-0} $f"
	done | sort -rn -s -k1,1 | cut -d' ' -f2
}
parallel=""
serial=""
for f in $files; do
	if is_serial "$f"; then serial="$serial $f"; else parallel="$parallel
$f"; fi
done
parallel=$(echo "$parallel" | grep . | by_time)

# Run one file in the background, timing it.
start() {
	(
		s=$(date +%s%N)
		run_one "$1"
		echo "$1 $(( ($(date +%s%N) - s) / 1000000 ))" > "$(log_of "$1").time"
	) &
	running["$!"]=$1
}

# Wait for any running file to end, and report it.
reap() {
	local pid
	wait -n 2>/dev/null
	for pid in "${!running[@]}"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			report "${running[$pid]}"
			unset "running[$pid]"
		fi
	done
}

declare -A running=()
for f in $parallel; do
	while [ ${#running[@]} -ge "$jobs" ]; do reap; done
	start "$f"
done
while [ ${#running[@]} -gt 0 ]; do reap; done
for f in $serial; do
	start "$f"
	while [ ${#running[@]} -gt 0 ]; do reap; done
done

# Remember how long each file took (ms), older figures for the others.
cat "$out"/*.time "$times" 2>/dev/null | awk '!seen[$1]++' | sort \
    > "$times.new" && mv "$times.new" "$times"

passed=$(grep -c '^ok ' "$out/all")
failed=$(grep -c '^FAILED ' "$out/all")
skipped=$(grep -c '^SKIPPED ' "$out/all")
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
