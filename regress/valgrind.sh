#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# make check-valgrind: every unit test in regress/unit/bin/ under
# valgrind's memcheck.  An invalid read or write, a use of uninitialised
# memory, or a leak (definite, indirect or possible) fails the test, as
# does a failed check of the test itself.  A canary that leaks on purpose
# runs first, so that a valgrind that no longer reports anything cannot
# pass silently.  The last line is "N passed, N failed".
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/regress/out/valgrind"
rm -rf "$out"
mkdir -p "$out"
: > "$out/all"
VG_ERR=99

vg() {
	valgrind -q --error-exitcode=$VG_ERR --leak-check=full \
	    --show-leak-kinds=definite,indirect,possible \
	    --errors-for-leak-kinds=definite,indirect,possible "$@"
}

say() { echo "$1" | tee -a "$out/all"; }

canary() {
	printf '#include <stdlib.h>\nint main(void){ void *p = malloc(64);'\
' p = NULL; return p != NULL; }\n' > "$out/canary.c"
	if ! cc -g -O0 -o "$out/canary" "$out/canary.c"; then
		say "FAILED valgrind_canary (cannot compile)"
		return
	fi
	vg "$out/canary" > /dev/null 2> "$out/canary.err"
	if [ $? -eq $VG_ERR ] && grep -q 'definitely lost' "$out/canary.err"
	then
		say "ok valgrind_canary_leak_caught"
	else
		say "FAILED valgrind_canary_leak_caught (valgrind missed a leak)"
	fi
}

command -v valgrind > /dev/null 2>&1 || {
	echo "valgrind is not installed"
	exit 1
}
canary
for t in "$top"/regress/unit/bin/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	vg "$t" > "$out/$name.log" 2> "$out/$name.err"
	rc=$?
	if [ $rc -eq $VG_ERR ]; then
		say "FAILED valgrind_$name (memcheck, see $out/$name.err)"
		grep '^==' "$out/$name.err" | head -n 30
	elif [ $rc -ne 0 ] || grep -q '^FAILED ' "$out/$name.log"; then
		say "FAILED valgrind_$name (the test failed, exit $rc)"
		grep '^FAILED ' "$out/$name.log" | head -n 10
	else
		say "ok valgrind_$name ($(grep -c '^ok ' "$out/$name.log") checks)"
	fi
done
passed=$(grep -c '^ok ' "$out/all")
failed=$(grep -c '^FAILED ' "$out/all")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
