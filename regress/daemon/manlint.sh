#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Every man page is clean under "mandoc -Tlint -W warning".
# Needs only mandoc (and lib.sh's need), not the daemon.
. "$(dirname "$0")/../lib.sh"
need mandoc
top=$TOP

failed=0
for page in tokend.8 keyd.8 tokend.conf.5 tokenctl.8; do
	name="manlint_${page%.*}"
	name=${name//./_}
	file="$top/man/$page"
	if [ ! -f "$file" ]; then
		echo "FAILED $name (man/$page is missing)"
		failed=1
		continue
	fi
	if out=$(mandoc -Tlint -W warning "$file" 2>&1); then
		echo "ok $name"
	else
		first=$(printf '%s\n' "$out" | head -n 1)
		n=$(printf '%s\n' "$out" | grep -c .)
		echo "FAILED $name ($n messages; first: ${first//"$top/"/})"
		printf '%s\n' "$out" >&2
		failed=1
	fi
done
exit $failed
