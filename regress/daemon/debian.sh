#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The Debian package (issue 15, point 5): dpkg-buildpackage builds it
# from this tree; lintian finds no error; dpkg -i installs it into this
# machine; the installed tokend checks and then serves its installed
# configuration on a test port, where a user made with the installed
# tokenctl logs in; dpkg --purge leaves no file of it and no user it
# made.  Runs alone (regress/run.sh SERIAL): it installs into the host.
. "$(dirname "$0")/../lib.sh"
need dpkg-buildpackage lintian curl
td_init
if dpkg -s tokend >/dev/null 2>&1 || [ -e /etc/tokend.conf ]; then
	skip debian_package "tokend is installed on this host: not touching it"
	exit 0
fi
if ! is_root; then
	skip debian_package "dpkg -i needs root"
	exit 0
fi
PKGFILES="/usr/sbin/tokend /usr/sbin/tokenctl /usr/libexec/tokend
/etc/tokend.conf /etc/tokend /var/db/tokend /var/tokend /var/lib/tokend
/usr/lib/systemd/system/tokend.service /usr/share/doc/tokend"
USERS="_tokend _tokend_keyd _tokend_items _tokend_mail"
before=""
for u in $USERS; do getent passwd "$u" >/dev/null && before="$before $u"; done
# The package is purged at the end whatever happened, once this test
# has started to build it (never the one the skip above left alone).
cleanup() {
	[ -n "$PKGPID" ] && kill -TERM "$PKGPID" 2>/dev/null && wait "$PKGPID"
	dpkg --purge tokend >/dev/null 2>&1
	td_cleanup
}
trap cleanup EXIT

# The tree as it is, tracked and new files, built outside it.
mkdir -p "$T/src"
(cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
    xargs -0 cp --parents -t "$T/src") 2>/dev/null
# Not make check's own variables (SANITIZE=1, T=...): a plain build.
(cd "$T/src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" \
    dpkg-buildpackage -b -us -uc > "$T/build.log" 2>&1)
DEB=$(ls "$T"/tokend_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] && ok debian_builds || { fail debian_builds "$(tail -5 "$T/build.log")"; exit 1; }
lintian "$DEB" > "$T/lintian" 2>&1
grep -q '^E:' "$T/lintian" && fail debian_lintian_no_error "$(grep '^E:' "$T/lintian" | head -3)" ||
    ok debian_lintian_no_error
dpkg-deb -c "$DEB" > "$T/contents"; grep -q ' ./usr/lib/systemd/system/tokend.service$' "$T/contents" &&
    dpkg-deb -I "$DEB" conffiles | grep -q '^/etc/tokend.conf$' &&
    ok debian_contents || fail debian_contents "$(dpkg-deb -I "$DEB" conffiles)"

dpkg -i "$DEB" > "$T/dpkg.log" 2>&1 && ok debian_installs ||
    { fail debian_installs "$(tail -5 "$T/dpkg.log")"; exit 1; }
for u in $USERS; do getent passwd "$u" >/dev/null || missing="$missing $u"; done
[ -z "$missing" ] && [ -d /var/db/tokend ] && [ -d /var/tokend ] &&
    [ "$(stat -c %a /etc/tokend.conf)" = 600 ] && ok debian_users_and_dirs ||
    fail debian_users_and_dirs "missing:$missing"
out=$(/usr/sbin/tokend -n 2>&1)
[ "$out" = "configuration OK" ] && ok debian_config_ok || fail debian_config_ok "$out"

# The installed daemon, its installed configuration, a test port.
/usr/sbin/tokend -d -D port="$PORT" > "$T/pkg.log" 2>&1 &
PKGPID=$!
td_until "curl -s -m 1 $URL/server/ping | grep -q pong" 100 &&
    ok debian_daemon_serves || fail debian_daemon_serves "$(tail -5 "$T/pkg.log")"
# keyd may still be starting when the workers answer.
td_until '! /usr/sbin/tokenctl status 2>&1 | grep -q "keyd.*starting\|keyd is not running"' 100
o=$(echo 'pkg admin pass' | /usr/sbin/tokenctl user add -r admin pkg@example.com 2>&1)
expect debian_login '200 *access_token*' "$(login pkg@example.com 'pkg admin pass') $o"
kill -TERM "$PKGPID"; wait "$PKGPID"; PKGPID=
[ -f /var/db/tokend/db/credentials.db ] && [ -f /etc/tokend/secret ] &&
    ok debian_state_made || fail debian_state_made

# Purge: no file, and no user the package made.
dpkg --purge tokend > "$T/purge.log" 2>&1 || fail debian_purge "$(tail -3 "$T/purge.log")"
left=""
for f in $PKGFILES; do [ -e "$f" ] && left="$left $f"; done
[ -z "$left" ] && ! dpkg -s tokend >/dev/null 2>&1 && ok debian_purge_no_file ||
    fail debian_purge_no_file "left:$left"
wrong=""
for u in $USERS; do
	case " $before " in
	*" $u "*) getent passwd "$u" >/dev/null || wrong="$wrong $u(removed)" ;;
	*) getent passwd "$u" >/dev/null && wrong="$wrong $u(left)" ;;
	esac
done
[ -z "$wrong" ] && ok debian_purge_users || fail debian_purge_users "$wrong (before:$before)"
