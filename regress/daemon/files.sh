#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Files that hold secrets: keyd refuses a credential database (or one of
# its journal files) or a signing secret with the wrong type, owner or
# mode, says which and why, and starts once it is fixed; tokend refuses
# a configuration file that others could change.
. "$(dirname "$0")/../lib.sh"
td_init
td_conf
td_start || { fail files_start "$(tail -5 $T/log)"; exit 1; }
kill -TERM "$TD_PID"; wait "$TD_PID"
DB="$T/keyd/db/credentials.db"
KU=_tokend_keyd
is_root || KU=$(id -un)

# refused NAME PATTERN: tokend starts, keyd logs PATTERN and exits, the
# workers answer health with 503; then tokend is stopped.
refused() {
	"$TOKEND" -d -v -f "$T/tokend.conf" > "$T/log" 2>&1 &
	TD_PID=$!
	TD_PIDS="$TD_PIDS $TD_PID"
	if td_until "grep -q -- \"$2\" \"$T/log\"" 100; then
		ok "$1"
	else
		fail "$1" "$(tail -3 "$T/log")"
	fi
	r=$(http GET /server/health)
	[ "$r" = '503 {"status":"error"}' ] && ok "${1}_health_503" ||
	    fail "${1}_health_503" "$r"
	kill -TERM "$TD_PID"; wait "$TD_PID"
}

# starts NAME: tokend starts and keyd answers health.
starts() {
	td_start && ok "$1" || fail "$1" "$(tail -3 "$T/log")"
	kill -TERM "$TD_PID"; wait "$TD_PID"
}

[ "$(stat -c '%a %U' "$DB")" = "600 $KU" ] && ok files_db_created_0600 ||
    fail files_db_created_0600 "$(stat -c '%a %U' "$DB")"

chmod 644 "$DB"
refused files_db_readable_refused "credentials.db is accessible by group or others (mode 644)"
grep -q "cannot open the credential database" "$T/log" &&
    ok files_db_refusal_names_database || fail files_db_refusal_names_database
[ "$(stat -c %a "$DB")" = 644 ] && ok files_db_not_repaired ||
    fail files_db_not_repaired "$(stat -c %a "$DB")"
chmod 660 "$DB"
refused files_db_group_writable_refused "mode 660), it must be 0600"
chmod 600 "$DB"
starts files_db_fixed_starts

touch "$DB-wal"
chmod 604 "$DB-wal"
is_root && chown "$KU" "$DB-wal"
refused files_db_wal_refused "credentials.db-wal is accessible by group or others"
rm -f "$DB-wal"

mv "$DB" "$T/real.db"
ln -s "$T/real.db" "$DB"
refused files_db_symlink_refused "credentials.db is not a regular file"
rm -f "$DB"
mv "$T/real.db" "$DB"

if is_root; then
	chown nobody "$DB"
	refused files_db_foreign_owner_refused "credentials.db is owned by uid $(id -u nobody), it must belong to keyd's user"
	chown root "$DB"
	refused files_db_root_owner_refused "credentials.db is owned by uid 0"
	chown "$KU" "$DB"

	chown nobody "$T/secret"
	refused files_secret_foreign_owner_refused "secret $T/secret is owned by uid $(id -u nobody)"
	# Root's own file is accepted: keyd reads the secret before it
	# gives up root, and nobody else can read or replace it.
	chown root "$T/secret"
	starts files_secret_root_owner_starts
	chown "$KU" "$T/secret"
else
	for n in db_foreign_owner db_root_owner secret_foreign_owner \
	    secret_root_owner; do
		skip "files_$n" "needs root"
	done
fi
starts files_all_fixed_starts

# The secret: the parent refuses a mode that lets others in before any
# child starts (tokend -n), keyd checks again whenever it starts.
for m in 640 604 620; do
	chmod $m "$T/secret"
	conf_refused "files_secret_${m}_refused" "$T/tokend.conf" "$T/secret"
done
chmod 600 "$T/secret"

# The configuration file and what it includes: nobody but root or the
# user running tokend may be able to change them.
cp "$T/tokend.conf" "$T/c.conf"
chmod 602 "$T/c.conf"
conf_refused files_conf_world_writable_refused "$T/c.conf" "writable by group or others"
printf 'include "%s"\n' "$T/c.conf" > "$T/top.conf"
chmod 600 "$T/top.conf"
chmod 620 "$T/c.conf"
conf_refused files_conf_include_writable_refused "$T/top.conf" "c.conf: file is writable"
chmod 600 "$T/c.conf"
ln -s "$T/c.conf" "$T/link.conf"
out=$("$TOKEND" -n -f "$T/link.conf" 2>&1); rc=$?
[ $rc -eq 0 ] && ok files_conf_symlink_to_good_file ||
    fail files_conf_symlink_to_good_file "$rc $out"
if is_root; then
	chown nobody "$T/c.conf"
	conf_refused files_conf_foreign_owner_refused "$T/c.conf" "not owned by root"
	chown root "$T/c.conf"
else
	skip files_conf_foreign_owner_refused "needs root"
fi
out=$("$TOKEND" -n -f "$T/c.conf" 2>&1); rc=$?
[ $rc -eq 0 ] && ok files_conf_fixed || fail files_conf_fixed "$rc $out"
