#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Create the daemon users named on the command line when they are missing:
# system users without a home or a login shell.
[ "$(id -u)" -eq 0 ] || { echo "users.sh: must be root" >&2; exit 1; }
for u in "$@"; do
	id -u "$u" >/dev/null 2>&1 && continue
	case "$(uname -s)" in
	OpenBSD)
		useradd -d /var/empty -s /sbin/nologin -L daemon "$u" ;;
	*)
		useradd --system --no-create-home --home-dir /nonexistent \
		    --shell /usr/sbin/nologin --user-group "$u" ;;
	esac || exit 1
	echo "users.sh: created user $u"
done
