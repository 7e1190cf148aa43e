#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Privilege separation as root: users, chroots, titles, and a worker's
# user cannot read the secret or the credential database.
. "$(dirname "$0")/../lib.sh"
if ! is_root; then
	skip privsep_as_root "not running as root"
	exit 0
fi
need setpriv
td_init
td_conf
td_start || { fail privsep_start "$(tail -5 $T/log)"; exit 1; }

uid_of() { awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$1/status"; }
su=$(id -u _tokend)
ku=$(id -u _tokend_keyd)

[ "$(uid_of $TD_PID)" = "0 0 0 0" ] && ok privsep_parent_root ||
    fail privsep_parent_root "$(uid_of $TD_PID)"
good=0; n=0
for p in $(td_servers); do
	n=$((n + 1))
	[ "$(uid_of $p)" = "$su $su $su $su" ] &&
	    [ "$(readlink /proc/$p/root)" = "$T/empty" ] && good=$((good + 1))
done
[ $n -ge 2 ] && [ $good -eq $n ] && ok privsep_workers_uid_chroot ||
    fail privsep_workers_uid_chroot "$good of $n"
k=$(td_keyd)
[ "$(uid_of $k)" = "$ku $ku $ku $ku" ] && ok privsep_keyd_uid ||
    fail privsep_keyd_uid "$(uid_of $k)"
[ "$(readlink /proc/$k/root)" = "$T/keyd" ] && ok privsep_keyd_chroot ||
    fail privsep_keyd_chroot "$(readlink /proc/$k/root)"
g=$(awk '/^Groups:/ { print $2 }' /proc/$(td_servers | head -1)/status)
[ "$g" = "$(id -g _tokend)" ] && ok privsep_worker_groups ||
    fail privsep_worker_groups "$g"

ps -o args= -p "$TD_PID" | grep -q '^tokend: parent' &&
    ok privsep_title_parent || fail privsep_title_parent "$(ps -o args= -p $TD_PID)"
ps -o args= -p "$(td_servers | head -1)" | grep -q '^tokend: server' &&
    ok privsep_title_server || fail privsep_title_server
[ "$(ps -o args= -p "$k" | sed 's/ *$//')" = keyd ] && ok privsep_title_keyd ||
    fail privsep_title_keyd "$(ps -o args= -p $k)"

[ "$(stat -c %U "$T/secret")" = _tokend_keyd ] && ok privsep_secret_owner ||
    fail privsep_secret_owner "$(stat -c %U "$T/secret")"
as_worker() {
	setpriv --reuid=_tokend --regid=_tokend --init-groups "$@"
}
as_worker cat "$T/secret" >/dev/null 2>&1 &&
    fail privsep_worker_cannot_read_secret ||
    ok privsep_worker_cannot_read_secret
as_worker cat "$T/keyd/db/credentials.db" >/dev/null 2>&1 &&
    fail privsep_worker_cannot_read_db || ok privsep_worker_cannot_read_db
# The check above must be able to succeed: a readable file is read.
echo hi > "$T/public"; chmod 644 "$T/public"
as_worker cat "$T/public" >/dev/null 2>&1 &&
    ok privsep_worker_probe_works || fail privsep_worker_probe_works
# Inside its chroot, a worker's view has no secret and no database.
p=$(td_servers | head -1)
[ ! -e "/proc/$p/root/$(basename $T)/secret" ] &&
    [ -z "$(ls -A "/proc/$p/root" 2>/dev/null)" ] &&
    ok privsep_worker_chroot_empty || fail privsep_worker_chroot_empty

# Development mode: started by an ordinary user, tokend warns once and
# runs without chroot or a change of user.
kill -TERM "$TD_PID"; wait "$TD_PID"
if td_start_unprivileged
then ok privsep_unprivileged_runs
else fail privsep_unprivileged_runs "$(tail -3 $D/log)"
fi
[ "$(grep -c 'not started as root' "$D/log")" -eq 1 ] &&
    ok privsep_unprivileged_warns_once || fail privsep_unprivileged_warns_once
[ "$(readlink /proc/$(td_servers | head -1)/root)" = / ] &&
    ok privsep_unprivileged_no_chroot || fail privsep_unprivileged_no_chroot
kill -TERM "$TD_PID"; wait "$TD_PID"
rm -rf "$D"

# From a tree that nobody cannot enter (a clone under /root is mode
# 0700): the programs live in a root-only directory here, and the
# unprivileged run still starts, keyd and the workers with it.
mkdir -m 0700 "$T/closed"
cp "$TOKEND" "$KEYD" "$T/closed/"
TOKEND="$T/closed/tokend" KEYD="$T/closed/keyd"
td_conf
if td_start_unprivileged && [ -n "$(td_keyd)" ] &&
    ! grep -q 'exited with status 127' "$D/log"; then
	ok privsep_unprivileged_from_closed_tree
else
	fail privsep_unprivileged_from_closed_tree "$(tail -3 $D/log)"
fi
kill -TERM "$TD_PID"; wait "$TD_PID"
rm -rf "$D"
