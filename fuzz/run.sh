#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Run the fuzzers in fuzz/bin/ one after the other, each for the given
# number of seconds, from its seed corpus (fuzz/corpus/NAME/), its
# regress cases (fuzz/regress/NAME/) and its dictionary
# (fuzz/dict/NAME.dict).  Inputs found go to a temporary directory and
# are thrown away; with -m those that add coverage are merged into
# fuzz/corpus/NAME/.  An input that makes a fuzzer crash, leak, hang or
# run out of memory is kept in fuzz/crashes/ and fails the run.  The
# full output of each is in fuzz/out/NAME.log.
#
#	fuzz/run.sh [-m] seconds name ...
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
merge=0
if [ "${1:-}" = -m ]; then
	merge=1
	shift
fi
if [ $# -lt 2 ]; then
	echo "usage: fuzz/run.sh [-m] seconds name ..." >&2
	exit 2
fi
secs=$1
shift

# Room past each input's limit, so that the limit itself is fuzzed.
max_len() {
	case $1 in
	b64|jwt)	echo 4200 ;;	# JWT_TOKEN_MAX 4096
	config)		echo 16384 ;;	# PARSE_LINE_MAX 8192
	frame)		echo 20000 ;;	# every frame but a /users page
	phc)		echo 600 ;;	# HASH_PHC_MAX 512
	filter|query)	echo 16500 ;;	# QUERY_TEXT_MAX 16384
	token)		echo 9000 ;;	# TOKEN_MAX 4096, twice
	*)		echo 8192 ;;	# AUTH_BODY_MAX, JSON bodies
	esac
}

# "name: value" of the last libFuzzer status line and the final stats.
summary() {
	log=$1
	status=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -n 1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	new=$(sed -n 's/^stat::new_units_added: *//p' "$log")
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
	seeds=$(sed -n 's/^INFO: seed corpus: files: \([0-9]*\).*/\1/p' "$log")
	cov=$(echo "$status" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$status" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$status" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	echo "${runs:-?} runs, ${rate:-?} exec/s, cov ${cov:-?}," \
	    "ft ${ft:-?}, corpus ${seeds:-?} -> ${corp:-?}" \
	    "(${new:-?} new), ${rss:-?} MB"
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
work=$(mktemp -d "${TMPDIR:-/tmp}/tokend-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
mkdir -p fuzz/crashes fuzz/out
failed=0
for name in "$@"; do
	bin=fuzz/bin/fuzz_$name
	log=fuzz/out/$name.log
	mkdir "$work/$name"
	dirs="fuzz/corpus/$name"
	[ -d "fuzz/regress/$name" ] && dirs="$dirs fuzz/regress/$name"
	dict=""
	[ -f "fuzz/dict/$name.dict" ] && dict="-dict=fuzz/dict/$name.dict"
	"$bin" -max_total_time="$secs" -max_len="$(max_len "$name")" \
	    -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="fuzz/crashes/$name-" $dict \
	    "$work/$name" $dirs > "$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		echo "FAILED fuzz_$name (exit status $rc): $(summary "$log")"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*property failed|artifact_prefix|Test unit written)' \
		    "$log" | head -n 20
		echo "--- see $log; add the input to fuzz/regress/$name/"
		continue
	fi
	echo "ok fuzz_$name ($secs s): $(summary "$log")"
	if [ $merge -eq 1 ]; then
		before=$(ls "fuzz/corpus/$name" | wc -l)
		"$bin" -merge=1 -max_len="$(max_len "$name")" \
		    "fuzz/corpus/$name" "$work/$name" >> "$log" 2>&1 ||
		    { echo "FAILED merging fuzz_$name"; failed=$((failed + 1)); }
		echo "   merged: fuzz/corpus/$name has $before ->" \
		    "$(ls "fuzz/corpus/$name" | wc -l) inputs"
	fi
done
echo "fuzz: $# targets, $failed failed"
[ $failed -eq 0 ]
