#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# tokenctl migrate sqlite:PATH postgresql://...: a SQLite credential
# database copied into PostgreSQL in one transaction; a tokend on the
# copy knows the users (their passwords), their sessions (a refresh
# token of the SQLite host refreshes), the audit trail; a target with
# no schema, or with rows, is refused and left as it was.
. "$(dirname "$0")/../lib.sh"
TD_NAME=pgmigrate
need sqlite3
td_init
td_pg_start
case $? in
0) ;;
1) skip pgmigrate "$TD_PG_WHY"; exit 0 ;;
*) fail pgmigrate_cluster "$TD_PG_WHY"; exit 1 ;;
esac
ROOT=$T
host() {
	td_pg_host "$1" "$2" "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}"
	CTL="$TOKENCTL -s $T/tokend.sock"
}
host lite
td_up pgmigrate_lite
DB=$T/keyd/db/credentials.db
echo 'root pass' | $CTL user add -r admin root@example.com >/dev/null
ERIN=$(echo pw | $CTL user add erin@example.com)
ACC=$(token root@example.com 'root pass')
http PATCH "/users/$ERIN" -H "Authorization: Bearer $ACC" \
    -H 'Content-Type: application/json' -d '{"first_name":"Erin","title":"t"}' >/dev/null
login erin@example.com wrong >/dev/null
login erin@example.com pw >/dev/null
RT=$(j refresh_token)
LIST='/users?fields=email,first_name,title,status,role'
want=$(http GET "$LIST" -H "Authorization: Bearer $ACC")
kill -TERM "$TD_PID"; wait "$TD_PID" 2>/dev/null
T=$ROOT
n_audit=$(sqlite3 "$DB" 'SELECT count(*) FROM audit')

# No schema yet: refused, nothing made.
$TOKENCTL migrate "sqlite:$DB" "$PG_URI" > "$T/m0" 2>&1 &&
    fail pgmigrate_no_schema "$(cat "$T/m0")" ||
    { grep -q 'no tokend schema' "$T/m0" && ok pgmigrate_no_schema ||
    fail pgmigrate_no_schema "$(cat "$T/m0")"; }

# A tokend on the empty database makes the schema; then the copy.
host pghost "$PG_URI"
cp -a "$ROOT/lite/secret" "$T/secret"
cp -a "$ROOT/lite/tfa-key" "$T/tfa-key"
td_up pgmigrate_pg
PGH=$URL
T=$ROOT
$TOKENCTL migrate "sqlite:$DB" "$PG_URI" > "$T/m1" 2>&1 &&
    grep -q '^users 2$' "$T/m1" && grep -q '^sessions [1-9]' "$T/m1" &&
    ok pgmigrate_copied || fail pgmigrate_copied "$(cat "$T/m1")"
[ "$(td_pg 'SELECT count(*) FROM audit')" = "$n_audit" ] &&
    ok pgmigrate_audit || fail pgmigrate_audit "$(td_pg 'SELECT count(*) FROM audit') != $n_audit"
# Again: the target has rows now.
$TOKENCTL migrate "sqlite:$DB" "$PG_URI" > "$T/m2" 2>&1 &&
    fail pgmigrate_not_empty "$(cat "$T/m2")" ||
    { grep -q 'not empty' "$T/m2" &&
    [ "$(td_pg 'SELECT count(*) FROM users')" = 2 ] &&
    ok pgmigrate_not_empty || fail pgmigrate_not_empty "$(cat "$T/m2")"; }

URL=$PGH
T=$ROOT/pghost
# The SQLite host's refresh token refreshes here; the users log in.
r=$(http POST /auth/refresh -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$RT\",\"mode\":\"json\"}")
case "$r" in 200*) ok pgmigrate_session ;; *) fail pgmigrate_session "$r" ;; esac
r=$(login erin@example.com pw)
case "$r" in 200*) ok pgmigrate_password ;; *) fail pgmigrate_password "$r" ;; esac
ACC=$(token root@example.com 'root pass')
same pgmigrate_users "$want" "$(http GET "$LIST" -H "Authorization: Bearer $ACC")"
# A user made after the copy comes after the copied ones.
echo pw | $CTL user add zed@example.com >/dev/null
r=$(http GET '/users?fields=email' -H "Authorization: Bearer $ACC")
same pgmigrate_order '200 {"data":[{"email":"root@example.com"},{"email":"erin@example.com"},{"email":"zed@example.com"}]}' "$r"
T=$ROOT
