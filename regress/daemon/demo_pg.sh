#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# make run on PostgreSQL (etc/demo.sh): DATABASE puts the credential
# store and the items there (the items as the role tokend_items, which
# the demo makes), and a second demo from the same tree, in RUNDIR with
# the first one's SECRET, shares them: the first one's administrator
# logs in on the second, which reads the seeded articles and writes one
# the first reads.
. "$(dirname "$0")/../lib.sh"
TD_NAME=demo_pg
td_init
td_pg_start
case $? in
0) ;;
1) skip demo_pg "$TD_PG_WHY"; exit 0 ;;
*) fail demo_pg_cluster "$TD_PG_WHY"; exit 1 ;;
esac
SPORT=$(td_free_port)
mkdir -p "$T/sink"
sink_start

demo() {
	DATABASE=$PG_URI TOKEND_PORT=$1 TOKEND_MAIL_PORT=$SPORT RUNDIR=$2 \
	    SECRET=$3 "$TOP/etc/demo.sh" > "$T/log.$4" 2>&1 &
	TD_PIDS="$TD_PIDS $!"
}
demo "$PORT" "$T/run" "" 1
if ! td_until 'grep -q "^demo: seeded 3 articles" "$T/log.1"' 3000; then
	fail demo_pg_start "$(grep -v '^ ' "$T/log.1" | tail -5)"
	exit 1
fi
ok demo_pg_start
grep -q "^	database \"$PG_URI\"\$" "$T/run/tokend.conf" &&
    grep -q "^items \"postgresql://tokend_items@127.0.0.1:$PG_PORT/tokend?" \
    "$T/run/tokend.conf" && [ ! -e "$T/run/server/data/items.db" ] &&
    [ ! -e "$T/run/keyd/db/credentials.db" ] &&
    ok demo_pg_conf || fail demo_pg_conf "$(grep -E 'database|items' "$T/run/tokend.conf")"
[ "$(td_pg 'SELECT count(*) FROM tokend_items.items_articles')" = 3 ] &&
    ok demo_pg_items_in_postgresql ||
    fail demo_pg_items_in_postgresql "$(td_pg '\dt tokend_items.*' 2>&1)"

PORT2=$(td_free_port)
demo "$PORT2" "$T/run2" "$T/run/secret" 2
URL2="http://127.0.0.1:$PORT2"
# Its health answers once its keyd reads the store (a ping does sooner).
td_until '[ "$(curl -s -m 1 "$URL2/server/health")" = "{\"status\":\"ok\"}" ]' 1200 &&
    ok demo_pg_second_start || { fail demo_pg_second_start "$(tail -5 "$T/log.2")"; exit 1; }
grep -q "^	secret \"$T/run/secret\"\$" "$T/run2/tokend.conf" &&
    [ ! -e "$T/run2/secret" ] && [ ! -e "$T/run2/admin-password" ] &&
    ok demo_pg_second_shares_secret || fail demo_pg_second_shares_secret
PW=$(cat "$T/run/admin-password")
URL=$URL2
r=$(login admin@example.com "$PW")
case "$r" in 200*) ok demo_pg_admin_on_second ;; *) fail demo_pg_admin_on_second "$r" ;; esac
AD=$(j access_token)
r=$(http GET '/items/articles?fields=title&sort=id' -H "Authorization: Bearer $AD")
expect demo_pg_second_reads_seeded \
    '200 {"data":[{"title":"Hello, tokend"},{"title":"Permissions"},{"title":"Unfinished"}]}' "$r"
r=$(http POST /items/articles -H "Authorization: Bearer $AD" \
    -H 'Content-Type: application/json' -d '{"title":"From two","status":"published"}')
case "$r" in 200*) ok demo_pg_second_writes ;; *) fail demo_pg_second_writes "$r" ;; esac
URL="http://127.0.0.1:$PORT"
r=$(http GET '/items/articles?fields=title&filter={"title":{"_eq":"From%20two"}}' -g)
expect demo_pg_first_reads_it '200 {"data":[{"title":"From two"}]}' "$r"
