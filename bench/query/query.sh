#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# make bench-query: two heavy /items queries over 100,000 items, each
# against the same SQL statement run directly on the same SQLite file
# (bench/query/sqlrate.c, built from the same query code), in one run:
#	GET /items/big?aggregate[count]=*&groupBy[]=status
#	GET /items/big?search=zanzibar&fields=id   (100 matches, a full scan)
# as the public role, which may read the collection.  Target (issue 16):
# tokend at least 0.3 of the direct rate.  Only the ratios mean
# anything.  make bench runs it at its end; make bench-query alone (its
# own tokend, started with regress/lib.sh).
#
# Knobs: BENCH_QUERY_SECONDS (each run, default 10), BENCH_QUERY_CONNS
# (wrk connections, default 2 per CPU), BENCH_QUERY_ITEMS (100000).
. "$(dirname "$0")/../../regress/lib.sh"
need wrk python3
SECS=${BENCH_QUERY_SECONDS:-10}
NCPU=$(nproc 2>/dev/null || echo 1)
CONNS=${BENCH_QUERY_CONNS:-$((2 * NCPU))}
NITEMS=${BENCH_QUERY_ITEMS:-100000}
td_init
DB="$T/empty/data/items.db"
td_conf "items \"$DB\"" 'collection "big" {' \
    '	fields "title" "status" "body" "views"' '}' \
    'public {' '	permission "big" read' '}'
TD_QUIET=1
td_up bench_query
cc -O2 -I"$TOP/shared" -o "$T/sqlrate" "$TOP/bench/query/sqlrate.c" \
    "$TOP/shared/libtokend.a" -ljansson -lsqlite3 -lbsd -lcrypto -lpthread ||
    { echo "bench-query: cannot build sqlrate" >&2; exit 1; }
# The items, written into the item store as tokend writes them.
python3 - "$DB" "$NITEMS" <<'PY' || { echo "bench-query: seeding failed" >&2; exit 1; }
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
statuses = ["draft", "published", "archived", "review", "deleted"]
rows = []
for i in range(int(sys.argv[2])):
    body = "Lorem ipsum dolor sit amet %d, consectetur adipiscing elit" % i
    if i % 1000 == 500:
        body += " Zanzibar"
    rows.append((json.dumps({"title": "Item %d of the bench" % i,
        "status": statuses[i % 5], "body": body, "views": i % 977},
        separators=(",", ":")),))
db.executemany('INSERT INTO "items_big" (doc) VALUES (?)', rows)
db.commit()
PY

# rate QUERY: wrk's requests per second on /items/big?QUERY.
rate() {
	wrk -t "$NCPU" -c "$CONNS" -d "${SECS}s" --timeout 30s \
	    "$URL/items/big?$1" 2>/dev/null |
	    sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
AGG='aggregate[count]=*&groupBy[]=status'
SEARCH='search=zanzibar&fields=id'
# The answers are right before they are timed.
expect bench_query_aggregate '200 {"data":[{"status":"archived","count":*' \
    "$(http GET "/items/big?$AGG" -g)"
expect bench_query_search '200 {"data":[{"id":501},*' "$(http GET "/items/big?$SEARCH")"
[ "$(http GET "/items/big?$SEARCH" | grep -o '"id"' | wc -l)" = 100 ] ||
    { echo "bench-query: the search does not find its 100 items" >&2; exit 1; }
ta=$(rate "$AGG")
da=$("$T/sqlrate" "$DB" big "$SECS" "$NCPU" 'aggregate={"count":"*"}&groupBy=status' 2>/dev/null)
ts=$(rate "$SEARCH")
ds=$("$T/sqlrate" "$DB" big "$SECS" "$NCPU" 'search=zanzibar' 2>/dev/null)
printf '%-46s %9s %9s %6s %7s\n' "items queries, $NITEMS items (one run, $NCPU CPUs)" \
    tokend direct ratio target
printf '%-46s %9s %9s %6s %7s\n' "aggregate[count]=*&groupBy[]=status /s" \
    "$ta" "$da" "$(ratio "$ta" "$da")" 0.30
printf '%-46s %9s %9s %6s %7s\n' "search (full scan, 100 matches) /s" \
    "$ts" "$ds" "$(ratio "$ts" "$ds")" 0.30
exit 0
