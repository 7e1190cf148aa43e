#!/bin/sh
# Run every regress test: the C unit tests in regress/unit/bin/ and the
# daemon tests regress/daemon/*.sh (bash).  Each prints lines "ok NAME",
# "FAILED NAME ..." or "SKIPPED NAME ...".  The last line of the run is
# "N passed, N failed" (", N skipped" when any were skipped).
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/regress/out"
rm -rf "$out"
mkdir -p "$out"
: > "$out/all"

run_one() {
	name=$1
	shift
	log="$out/$(echo "$name" | tr '/' '_').log"
	"$@" > "$log" 2> "$log.err"
	rc=$?
	cat "$log"
	cat "$log" >> "$out/all"
	if [ $rc -ne 0 ] && ! grep -q '^FAILED ' "$log"; then
		echo "FAILED $name (exit status $rc, see $log.err)" |
		    tee -a "$out/all"
	fi
	if grep -q '^FAILED ' "$log" && [ -s "$log.err" ]; then
		echo "--- stderr of $name (last lines):"
		tail -n 15 "$log.err"
	fi
}

for t in "$top"/regress/unit/bin/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
for t in "$top"/regress/daemon/*.sh; do
	[ -f "$t" ] || continue
	run_one "daemon/$(basename "$t" .sh)" bash "$t"
done

passed=$(grep -c '^ok ' "$out/all")
failed=$(grep -c '^FAILED ' "$out/all")
skipped=$(grep -c '^SKIPPED ' "$out/all")
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
