#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Every source file carries the ISC header that points at LICENSE, and
# LICENSE is the ISC license.  Needs only git (and lib.sh's need).
. "$(dirname "$0")/../lib.sh"
need git
top=$TOP
cd "$top" || exit 1

if ! git rev-parse --git-dir >/dev/null 2>&1; then
	echo "SKIPPED license (not a git checkout: the tracked files are unknown)"
	exit 0
fi
grep -q 'Permission to use, copy, modify, and distribute this software' \
    LICENSE 2>/dev/null && echo "ok license_file_isc" ||
    echo "FAILED license_file_isc (LICENSE is missing or not ISC)"
missing=""
n=0
for f in $(git ls-files '*.c' '*.h' '*.y' '*.sh' '*.py' '*.mjs' '*.lua' \
    '*.5' '*.8' GNUmakefile .ci/run); do
	n=$((n + 1))
	head -n 3 "$f" | grep -q 'SPDX-License-Identifier: ISC' ||
	    missing="$missing $f"
done
if [ -z "$missing" ] && [ "$n" -gt 100 ]; then
	echo "ok license_headers ($n files)"
else
	echo "FAILED license_headers (of $n files, without the header:$missing)"
fi
