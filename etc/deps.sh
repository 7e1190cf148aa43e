#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Install the Debian packages named on the command line that are missing:
# with apt-get when root, otherwise print the exact command and fail.
#
# An argument PACKAGE:COMMAND is satisfied by COMMAND on PATH, whatever
# installed it: a node that did not come from Debian (NodeSource's
# nodejs, nvm) is kept, not replaced.  These are installed after the
# others, one at a time in their order, each only if its command is
# still missing: NodeSource's nodejs brings npm and conflicts with
# Debian's npm package, Debian's nodejs needs it.
missing=""
bycmd=""
if ! command -v dpkg-query >/dev/null 2>&1; then
	pkg-config --exists libevent jansson sqlite3 libargon2 && exit 0
	echo "deps: not a Debian system; install libevent, jansson, sqlite3," \
	    "libargon2 and bison with your package manager, and for make" \
	    "check: curl, sqlite3, argon2, python3, wrk, mandoc, node, npm" \
	    "and git" >&2
	exit 1
fi
has() { command -v "$1" >/dev/null 2>&1; }
for a in "$@"; do
	case "$a" in
	*:*)	has "${a#*:}" || bycmd="$bycmd $a"
		continue ;;
	esac
	s=$(dpkg-query -W -f='${db:Status-Status}' "$a" 2>/dev/null)
	[ "$s" = installed ] || missing="$missing $a"
done
[ -z "$missing$bycmd" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	for a in $bycmd; do missing="$missing ${a%%:*}"; done
	echo "deps: missing packages:$missing" >&2
	echo "deps: run: sudo apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
updated=0
install() {
	echo "deps: installing $*"
	apt-get install -y -q "$@" && return 0
	[ $updated -eq 0 ] || return 1
	updated=1
	apt-get update -q && apt-get install -y -q "$@"
}
[ -z "$missing" ] || install $missing || exit 1
for a in $bycmd; do
	has "${a#*:}" || install "${a%%:*}" || exit 1
done
