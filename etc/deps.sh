#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Install the Debian packages named on the command line that are missing:
# with apt-get when root, otherwise print the exact command and fail.
#
# An argument PACKAGE:COMMAND is satisfied by COMMAND on PATH, whatever
# installed it, and installs PACKAGE only without one: a node that did
# not come from Debian's nodejs (NodeSource's package, nvm) is kept, not
# replaced (Debian's npm conflicts with NodeSource's nodejs).
missing=""
if ! command -v dpkg-query >/dev/null 2>&1; then
	pkg-config --exists libevent jansson sqlite3 libargon2 && exit 0
	echo "deps: not a Debian system; install libevent, jansson, sqlite3," \
	    "libargon2 and bison with your package manager, and for make" \
	    "check: curl, sqlite3, argon2, python3, wrk, mandoc, node, npm" \
	    "and git" >&2
	exit 1
fi
for a in "$@"; do
	p=${a%%:*}
	case "$a" in
	*:*)	command -v "${a#*:}" >/dev/null 2>&1 && continue ;;
	esac
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
	[ "$s" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q $missing || {
	apt-get update -q && apt-get install -y -q $missing
}
