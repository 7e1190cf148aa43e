#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# make deps installs every program the tests run, and a test whose
# program is missing fails instead of skipping: lib.sh's need on a
# fake PATH; every tool the tests need has its package in DEB_PKGS; each
# test file, run with a PATH that lacks the first tool it needs, fails
# at once and names it (as another user than root, a file may skip for
# that first).
. "$(dirname "$0")/../lib.sh"
T=$(mktemp -d /tmp/tokend-regress.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT

# need on a PATH with and without the tool.
mkdir "$T/fake"
printf '#!/bin/sh\n' > "$T/fake/tdfake"
chmod 755 "$T/fake/tdfake"
out=$(TD_TOOL_PKG[tdfake]=tdfake-pkg; PATH=$T/fake; need tdfake; echo went on)
[ "$out" = "went on" ] && ok deps_need_present || fail deps_need_present "$out"
out=$(TD_TOOL_PKG[tdfake]=tdfake-pkg; PATH=$T; need tdfake; echo went on)
rc=$?
[ $rc -eq 1 ] &&
    [ "$out" = "FAILED deps (missing: tdfake (package tdfake-pkg); make deps installs them)" ] &&
    ok deps_need_missing_fails || fail deps_need_missing_fails "$rc $out"
out=$(need tdfake; echo went on)
rc=$?
[ $rc -eq 1 ] && [[ $out == "FAILED deps (need tdfake: not in TD_TOOL_PKG"* ]] &&
    ok deps_need_unknown_fails || fail deps_need_unknown_fails "$rc $out"

# Every package of TD_TOOL_PKG is one make deps installs.
pkgs=$(printf 'td-print-deb-pkgs:\n\t@echo $(DEB_PKGS)\n' |
    make -s --no-print-directory -C "$TOP" -f GNUmakefile -f - \
    td-print-deb-pkgs 2>&1)
bad=""
for t in "${!TD_TOOL_PKG[@]}"; do
	p=${TD_TOOL_PKG[$t]}
	case " $pkgs " in
	*" $p "*|*" $p:"*) ;;
	*) bad="$bad $t:$p" ;;
	esac
done
[ -n "$pkgs" ] && [ -z "$bad" ] && ok deps_tools_in_deb_pkgs ||
    fail deps_tools_in_deb_pkgs "not in DEB_PKGS:$bad ($pkgs)"

# The tools each file needs (its first need line; lib.sh's td_init and
# td_sdk for the files that call them), each one known to need.
first_need() {
	local w
	w=$(sed -n 's/^[[:space:]]*need \([a-z0-9 -]*\).*/\1/p' "$1" | head -n 1)
	if [ -z "$w" ]; then
		grep -q '^td_sdk ' "$1" && w="node"
		grep -q '^td_init' "$1" && [ -z "$w" ] && w="curl"
	fi
	echo "$w"
}
bad=""
for f in "$TOP"/regress/daemon/*.sh "$TOP/regress/lib.sh"; do
	for t in $(sed -n 's/^[[:space:]]*\(is_root && \)\{0,1\}need \([a-z0-9 -]*\).*/\2/p' "$f"); do
		[ -n "${TD_TOOL_PKG[$t]}" ] || bad="$bad ${f##*/}:$t"
	done
done
[ -z "$bad" ] && ok deps_needed_tools_known || fail deps_needed_tools_known "$bad"

# A PATH that is the real one less one tool: a directory of links to
# every program of PATH (the first of each name), where the test
# removes one and puts it back.
mkdir "$T/bin"
IFS=: read -r -a dirs <<< "$PATH"
for d in "${dirs[@]}"; do
	[ -d "$d" ] && find "$d/" -maxdepth 1 ! -type d -exec ln -s -t "$T/bin" {} + \
	    2>/dev/null
done
bad=""
n=0
for f in "$TOP"/regress/daemon/*.sh; do
	name=$(basename "$f" .sh)
	[ "$name" = deps ] && continue
	t=$(first_need "$f")
	t=${t%% *}
	[ -n "$t" ] || continue
	if [ ! -L "$T/bin/$t" ]; then
		bad="$bad $name:$t(not on PATH)"
		continue
	fi
	mv "$T/bin/$t" "$T/hidden"
	out=$(PATH=$T/bin timeout 60 bash "$f" 2>&1 < /dev/null)
	rc=$?
	mv "$T/hidden" "$T/bin/$t"
	n=$((n + 1))
	case "$rc $out" in
	"1 FAILED $name (missing: $t (package ${TD_TOOL_PKG[$t]})"*) ;;
	"0 SKIPPED "*root*)
		is_root && bad="$bad $name:$t(${out:0:120})" ;;
	*)	bad="$bad $name:$t(${rc} ${out:0:120})" ;;
	esac
done
[ -z "$bad" ] && [ $n -ge 10 ] && ok deps_test_without_tool_fails ||
    fail deps_test_without_tool_fails "$n files;$bad"
