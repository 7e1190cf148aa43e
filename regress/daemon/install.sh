#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# make install and uninstall (issue 15, points 2 and 3): the tree a
# DESTDIR install writes, compared with regress/install.list; an edited
# configuration kept on a second install and by uninstall; uninstall
# leaves no other file; the systemd unit with the install's paths,
# clean for systemd-analyze verify, exposure 2.5 or lower; the binary
# looks for its configuration under SYSCONFDIR.
. "$(dirname "$0")/../lib.sh"
need systemd-analyze
td_init
R="$T/root"
inst() { make -s -C "$TOP" --no-print-directory install-files DESTDIR="$R" "$@"; }

inst > "$T/out" 2>&1 || fail install_runs "$(tail -3 "$T/out")"
(cd "$R" && find . | LC_ALL=C sort) > "$T/list"
diff -u "$TOP/regress/install.list" "$T/list" > "$T/diff" &&
    ok install_tree || fail install_tree "$(head -20 "$T/diff")"
[ "$(stat -c %a "$R/etc/tokend.conf")" = 600 ] &&
    [ "$(stat -c %a "$R/usr/local/sbin/tokend")" = 755 ] &&
    ok install_modes || fail install_modes "$(stat -c '%a %n' "$R/etc/tokend.conf")"
cmp -s "$TOP/server/tokend" "$R/usr/local/sbin/tokend" &&
    cmp -s "$TOP/keyd/keyd" "$R/usr/local/libexec/tokend/keyd" &&
    ok install_binaries || fail install_binaries

# The unit: the install's paths, verified with the installed binary and
# man pages, and its exposure.
U="$R/usr/local/lib/systemd/system/tokend.service"
grep -q '^ExecStart=/usr/local/sbin/tokend -d$' "$U" && ok install_unit_paths ||
    fail install_unit_paths "$(grep Exec "$U")"
sed "s|/usr/local/sbin/|$R/usr/local/sbin/|" "$U" > "$T/tokend.service"
MANPATH="$R/usr/local/share/man" systemd-analyze verify "$T/tokend.service" \
    > "$T/verify" 2>&1 && [ ! -s "$T/verify" ] && ok install_unit_verify ||
    fail install_unit_verify "$(head -5 "$T/verify")"
score=$(systemd-analyze security --offline=yes "$U" 2>/dev/null |
    sed -n 's/.*Overall exposure level for tokend.service: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security: exposure $score"
[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }' &&
    ok install_unit_exposure || fail install_unit_exposure "exposure '$score'"

# Another prefix: the unit follows it.
inst PREFIX=/usr > /dev/null 2>&1
grep -q '^ExecStart=/usr/sbin/tokend -d$' "$R/usr/lib/systemd/system/tokend.service" &&
    ok install_prefix_usr || fail install_prefix_usr
make -s -C "$TOP" --no-print-directory uninstall DESTDIR="$R" PREFIX=/usr > /dev/null 2>&1

# Without -f, the configuration of SYSCONFDIR (/etc here).
out=$("$R/usr/local/sbin/tokend" -n 2>&1)
case "$out" in *"/etc/tokend.conf"*) ok install_default_config ;;
*) fail install_default_config "$out" ;; esac

# An edited configuration survives a second install and uninstall.
echo '# mine' >> "$R/etc/tokend.conf"
inst > /dev/null 2>&1
out=$(make -s -C "$TOP" --no-print-directory uninstall DESTDIR="$R" 2>&1)
left=$(cd "$R" && find . -type f | LC_ALL=C sort | tr '\n' ' ')
[ "$left" = "./etc/tokend.conf " ] && tail -1 "$R/etc/tokend.conf" | grep -q '^# mine$' &&
    echo "$out" | grep -q 'tokend.conf is changed, kept' &&
    ok install_edited_config_kept || fail install_edited_config_kept "$left | $out"
rm "$R/etc/tokend.conf"
inst > /dev/null 2>&1
make -s -C "$TOP" --no-print-directory uninstall DESTDIR="$R" > /dev/null 2>&1
left=$(cd "$R" && find . -type f | wc -l)
[ "$left" = 0 ] && ok uninstall_leaves_no_file || fail uninstall_leaves_no_file "$left files"
