#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Two tokend hosts whose credential store and item store are one
# PostgreSQL: items written on one are read on the other, and the item
# processes connect as a role granted their own schema only, which
# cannot read (nor write) the credential tables: a raw query as that
# role is refused.  items_pg.sh, aggregate_pg.sh, relations_pg.sh and
# sdkitems_pg.sh run the item suites themselves on PostgreSQL.
. "$(dirname "$0")/../lib.sh"
TD_NAME=pgitems
PREFORK=1
td_init
td_pg_start
case $? in
0) ;;
1) skip pgitems "$TD_PG_WHY"; exit 0 ;;
*) fail pgitems_cluster "$TD_PG_WHY"; exit 1 ;;
esac
td_items_pg_role && ok pgitems_role || { fail pgitems_role "$(tail -3 "$T/pg/log")"; exit 1; }
ROOT=$T
td_pg_pair pgitems 'password {' '	memory 1M' '	iterations 1' '	parallelism 1' '}' \
    "items \"$ITEMS_PG_URI\"" \
    'collection "notes" {' '	fields "title" "n"' '}' \
    'collection "tags" {' '	primary-key uuid' '}' \
    'public {' '	permission "notes" read' '}'
at() { URL=$1; shift; "$@"; }

# tokend -n checks the item store too: it answers, and a URI that does
# not answer fails the check, with the keyword that names it.
"$TOKEND" -n -f "$ROOT/a/tokend.conf" > "$ROOT/n.out" 2>&1 &&
    grep -q '^items: PostgreSQL [0-9.]* answers' "$ROOT/n.out" &&
    grep -q '^database: PostgreSQL [0-9.]* answers' "$ROOT/n.out" &&
    ok pgitems_check_connects || fail pgitems_check_connects "$(cat "$ROOT/n.out")"
sed "/^items /s#127.0.0.1:$PG_PORT/#127.0.0.1:$(td_free_port)/#" \
    "$ROOT/a/tokend.conf" > "$ROOT/bad.conf"
chmod 600 "$ROOT/bad.conf"
if "$TOKEND" -n -f "$ROOT/bad.conf" > "$ROOT/bad.out" 2>&1; then
	fail pgitems_check_refused "$(cat "$ROOT/bad.out")"
else
	grep -q 'items: cannot connect to PostgreSQL' "$ROOT/bad.out" &&
	    grep -q '^database: PostgreSQL [0-9.]* answers' "$ROOT/bad.out" &&
	    ok pgitems_check_refused || fail pgitems_check_refused "$(cat "$ROOT/bad.out")"
fi

# The tables are the item role's, in its schema; none is on the disk.
[ "$(td_pg "SELECT schemaname || ' ' || tableowner FROM pg_tables WHERE tablename = 'items_notes'")" = \
    "tokend_items tokend_items" ] && [ ! -e "$ROOT/a/empty/data" ] &&
    ok pgitems_tables_in_role_schema ||
    fail pgitems_tables_in_role_schema "$(td_pg "SELECT schemaname, tablename, tableowner FROM pg_tables WHERE tablename LIKE 'items_%'")"

echo 'admin pass' | $CTLA user add -r admin root@example.com >/dev/null
r=$(at "$A" login root@example.com 'admin pass')
AD=$(j access_token)
as() { _u=$1 _m=$2 _p=$3; shift 3
	at "$_u" http "$_m" "$_p" -g -H "Authorization: Bearer $AD" "$@"; }
asb() { _d=$1; shift; as "$@" -H 'Content-Type: application/json' -d "$_d"; }

# Written on A, read on B; changed on B, read on A; and deleted.
r=$(asb '[{"title":"one","n":1},{"title":"two","n":2},{"title":"Three","n":3}]' \
    "$A" POST /items/notes)
expect pgitems_create_a '200 {"data":[{"id":1,*},{"id":2,*},{"id":3,*}]}' "$r"
r=$(as "$B" GET '/items/notes?fields=id,title&sort=-n')
expect pgitems_read_b '200 {"data":[{"id":3,"title":"Three"},{"id":2,"title":"two"},{"id":1,"title":"one"}]}' "$r"
r=$(asb '{"title":"uno"}' "$B" PATCH /items/notes/1)
expect pgitems_patch_b '200 {"data":{"id":1,"title":"uno","n":1}}' "$r"
r=$(as "$A" GET /items/notes/1)
expect pgitems_patch_seen_a '200 {"data":{"id":1,"title":"uno","n":1}}' "$r"
# A key given on one host moves the sequence: the next host's new key
# is past it.
r=$(asb '{"id":10,"title":"ten"}' "$B" POST /items/notes)
r=$(asb '{"title":"next"}' "$A" POST /items/notes)
expect pgitems_key_after_given '200 {"data":{"id":11,*' "$r"
r=$(asb '{"id":10,"title":"again"}' "$A" POST /items/notes)
expect pgitems_duplicate_key '400 *RECORD_NOT_UNIQUE*' "$r"
# Filters, search, aggregates and groups in PostgreSQL's SQL, on B.
r=$(as "$B" GET '/items/notes?filter={"n":{"_gte":2}}&fields=id')
expect pgitems_filter_b '200 {"data":[{"id":2},{"id":3}]}' "$r"
r=$(as "$B" GET '/items/notes?search=THR&fields=id')
expect pgitems_search_b '200 {"data":[{"id":3}]}' "$r"
r=$(as "$B" GET '/items/notes?filter={"title":{"_contains":"n"}}&fields=id')
expect pgitems_contains_b '200 {"data":[{"id":1},{"id":10},{"id":11}]}' "$r"
r=$(as "$B" GET '/items/notes?aggregate[sum]=n&aggregate[count]=*')
expect pgitems_aggregate_b '200 {"data":[{"sum":{"n":6},"count":5}]}' "$r"
r=$(asb '{"name":"x"}' "$A" POST /items/tags)
tag=$(echo "$r" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
r=$(as "$B" GET "/items/tags/$tag")
expect pgitems_uuid_b "200 {\"data\":{\"id\":\"$tag\",\"name\":\"x\"}}" "$r"
r=$(as "$B" DELETE /items/notes/2)
expect pgitems_delete_b '204*' "$r"
r=$(as "$A" GET /items/notes/2)
expect pgitems_deleted_a '403 *FORBIDDEN*' "$r"

# The proof: as the item role, the credential tables are refused.
for t in users sessions; do
	out=$(td_items_sql "SELECT count(*) FROM $t" 2>&1)
	case "$out" in *"permission denied"*) ok "pgitems_role_cannot_read_$t" ;;
	*) fail "pgitems_role_cannot_read_$t" "$out" ;; esac
done
out=$(td_items_sql "UPDATE users SET status = 'active'" 2>&1)
case "$out" in *"permission denied"*) ok pgitems_role_cannot_write_users ;;
*) fail pgitems_role_cannot_write_users "$out" ;; esac
[ "$(td_items_sql 'SELECT count(*) FROM items_notes')" = 4 ] &&
    ok pgitems_role_reads_items || fail pgitems_role_reads_items
# The item process's connection is the item role's, never keyd's.
[ "$(td_pg "SELECT count(*) FROM pg_stat_activity WHERE usename = 'tokend_items' AND application_name <> 'psql'")" -ge 2 ] &&
    ok pgitems_processes_connect_as_role ||
    fail pgitems_processes_connect_as_role "$(td_pg 'SELECT usename, application_name FROM pg_stat_activity')"

# PostgreSQL restarted: an item process that lost its connection exits
# and the parent starts another, which connects again; the items answer
# on both hosts without a restart of tokend.
pgctl() { (cd "$T/pg" && $TD_PG_AS "$PG_BIN/pg_ctl" -D "$TD_PG_DATA" -w "$@") \
    >> "$T/pg/log" 2>&1; }
pgctl -m fast stop && ok pgitems_pg_stopped || fail pgitems_pg_stopped
# (Public reads: the item process alone, no token for keyd to check.)
pub() { at "$1" http GET "$2"; }
r=$(pub "$A" /items/notes/1)
case "$r" in 503*SERVICE_UNAVAILABLE*) ok pgitems_down_503 ;;
*) fail pgitems_down_503 "$r" ;; esac
pgctl -l "$T/pg/server.log" -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT \
    -c unix_socket_directories=$T/pg" start && ok pgitems_pg_restarted ||
    fail pgitems_pg_restarted
back=0
for h in "$A" "$B"; do
	td_until '[ "$(pub "$h" /items/notes/1 | cut -c1-3)" = 200 ]' 300 &&
	    back=$((back + 1))
done
[ $back -eq 2 ] && ok pgitems_reconnected ||
    fail pgitems_reconnected "$(grep 'item store' "$ROOT/a/log" | tail -3)"
