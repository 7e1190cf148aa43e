#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The Debian package (issue 15, point 5): dpkg-buildpackage builds it
# from this tree; lintian finds no error; dpkg -i installs it into this
# machine; the installed tokend checks and then serves its installed
# configuration on a test port, where a user made with the installed
# tokenctl logs in; dpkg --purge leaves no file of it and no user it
# made.
#
# The package lives in a mount namespace of its own whose /etc is a copy
# without the _tokend users, which the other tests keep using: the
# package must make them, and its purge must take them away.  What it
# installs under /usr and /var is the machine's, and the purge takes it.
# Runs alone (regress/run.sh SERIAL).
. "$(dirname "$0")/../lib.sh"
USERS="_tokend _tokend_keyd _tokend_items _tokend_mail"
PKGFILES="/usr/sbin/tokend /usr/sbin/tokenctl /usr/libexec/tokend
/etc/tokend.conf /etc/tokend /var/db/tokend /var/tokend /var/lib/tokend
/usr/lib/systemd/system/tokend.service /usr/share/doc/tokend
/usr/share/tokend"

# The inner part, in the namespace: debian.sh inner T PORT DEB.
if [ "$1" = inner ]; then
	T=$2 PORT=$3 URL="http://127.0.0.1:$3" DEB=$4
	cp -a /etc "$T/etc"
	for f in passwd group shadow gshadow; do
		[ -f "$T/etc/$f" ] &&
		    sed -i '/^_tokend\(_keyd\|_items\|_mail\)\{0,1\}:/d' "$T/etc/$f"
	done
	mount --bind "$T/etc" /etc || { fail debian_namespace; exit 1; }
	PKGPID=""
	inner_cleanup() {
		[ -n "$PKGPID" ] && kill -TERM "$PKGPID" 2>/dev/null &&
		    wait "$PKGPID"
		dpkg -s tokend >/dev/null 2>&1 && dpkg --purge tokend >/dev/null 2>&1
	}
	trap inner_cleanup EXIT
	dpkg -i "$DEB" > "$T/dpkg.log" 2>&1 && ok debian_installs ||
	    { fail debian_installs "$(tail -5 "$T/dpkg.log")"; exit 1; }
	n=0
	for u in $USERS; do getent passwd "$u" >/dev/null && n=$((n + 1)); done
	[ "$n" = 4 ] && [ -d /var/db/tokend ] && [ -d /var/tokend ] &&
	    [ "$(stat -c %a /etc/tokend.conf)" = 600 ] &&
	    ok debian_users_and_dirs || fail debian_users_and_dirs "$n users"
	out=$(/usr/sbin/tokend -n 2>&1)
	[ "$out" = "configuration OK" ] && ok debian_config_ok ||
	    fail debian_config_ok "$out"
	# The installed daemon, its installed configuration, a test port.
	/usr/sbin/tokend -d -D port="$PORT" > "$T/pkg.log" 2>&1 &
	PKGPID=$!
	td_until "curl -s -m 1 $URL/server/ping | grep -q pong" 100 &&
	    ok debian_daemon_serves ||
	    fail debian_daemon_serves "$(tail -5 "$T/pkg.log")"
	# keyd may still be starting when the workers answer.
	td_until '! /usr/sbin/tokenctl status 2>&1 | grep -q "keyd.*starting\|keyd is not running"' 100
	o=$(echo 'pkg admin pass' |
	    /usr/sbin/tokenctl user add -r admin pkg@example.com 2>&1)
	expect debian_login '200 *access_token*' \
	    "$(login pkg@example.com 'pkg admin pass') $o"
	kill -TERM "$PKGPID"; wait "$PKGPID"; PKGPID=
	[ -f /var/db/tokend/db/credentials.db ] && [ -f /etc/tokend/secret ] &&
	    ok debian_state_made || fail debian_state_made
	# Purge: no file, and none of the users it made.
	dpkg --purge tokend > "$T/purge.log" 2>&1 ||
	    fail debian_purge "$(tail -3 "$T/purge.log")"
	left=""
	for f in $PKGFILES; do [ -e "$f" ] && left="$left $f"; done
	[ -z "$left" ] && ! dpkg -s tokend >/dev/null 2>&1 &&
	    ok debian_purge_no_file || fail debian_purge_no_file "left:$left"
	left=""
	for u in $USERS; do getent passwd "$u" >/dev/null && left="$left $u"; done
	for u in $USERS; do getent group "$u" >/dev/null && left="$left $u(group)"; done
	[ -z "$left" ] && ok debian_purge_users || fail debian_purge_users "$left"
	exit "${TD_FAILED:-0}"
fi

need dpkg-buildpackage lintian curl unshare
td_init
if dpkg -s tokend >/dev/null 2>&1 || [ -e /etc/tokend.conf ]; then
	skip debian_package "tokend is installed on this host: not touching it"
	exit 0
fi
if ! is_root; then
	skip debian_package "dpkg -i needs root"
	exit 0
fi

# The tree as it is, tracked and new files, built outside it, without
# make check's own variables (SANITIZE=1, T=...): a plain build.
mkdir -p "$T/src"
(cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
    xargs -0 cp --parents -t "$T/src") 2>/dev/null
(cd "$T/src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" \
    dpkg-buildpackage -b -us -uc > "$T/build.log" 2>&1)
DEB=$(ls "$T"/tokend_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] && ok debian_builds ||
    { fail debian_builds "$(tail -5 "$T/build.log")"; exit 1; }
lintian "$DEB" > "$T/lintian" 2>&1
grep -q '^E:' "$T/lintian" &&
    fail debian_lintian_no_error "$(grep '^E:' "$T/lintian" | head -3)" ||
    ok debian_lintian_no_error
dpkg-deb -c "$DEB" > "$T/contents"
grep -q ' ./usr/lib/systemd/system/tokend.service$' "$T/contents" &&
    dpkg-deb -I "$DEB" conffiles | grep -q '^/etc/tokend.conf$' &&
    ok debian_contents || fail debian_contents "$(dpkg-deb -I "$DEB" conffiles)"
unshare -m bash "$0" inner "$T" "$PORT" "$DEB" || TD_FAILED=1
# The machine's own users and /etc are as they were.
for u in $USERS; do getent passwd "$u" >/dev/null || lost="$lost $u"; done
[ -z "$lost" ] && [ ! -e /etc/tokend.conf ] && ok debian_host_untouched ||
    fail debian_host_untouched "lost:$lost"
