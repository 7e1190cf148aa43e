#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Tests of the SQLite store run again on PostgreSQL: /users (lists,
# filters, sorts, search, meta counts, relational fields, aggregates
# and groups), /activity and a user's own sessions, each file on an
# empty database of one throwaway cluster.  Each line of theirs comes
# out as pg_FILE: LINE.
. "$(dirname "$0")/../lib.sh"
TD_NAME=pgsuite
td_init
td_pg_start
case $? in
0) ;;
1) skip pgsuite "$TD_PG_WHY"; exit 0 ;;
*) fail pgsuite_cluster "$TD_PG_WHY"; exit 1 ;;
esac
DIR=$(cd "$(dirname "$0")" && pwd)
for t in userrels usersagg portal; do
	td_pg 'SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public' ||
	    { fail "pg_${t}_reset"; continue; }
	TD_DATABASE=$PG_URI bash "$DIR/$t.sh" > "$T/$t.out" 2>&1
	rc=$?
	sed -n "s/^\(ok\|FAILED\|SKIPPED\) /\1 pg_$t: /p" "$T/$t.out"
	grep -q '^FAILED ' "$T/$t.out" && TD_FAILED=1
	[ $rc -eq 0 ] || grep -q '^FAILED ' "$T/$t.out" ||
	    fail "pg_$t" "exit $rc: $(tail -3 "$T/$t.out")"
	grep -q '^ok ' "$T/$t.out" || fail "pg_$t" "no check ran"
done

# The same users and requests on SQLite and on PostgreSQL: every
# answer the same (no id, no instant in them), each operator of a
# filter, search, sort, pages, meta counts, aggregates, /activity.
ROOT=$T
store() {
	td_pg_host "$1" "$2" "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}"
	td_start || { fail "pgsame_start_$1" "$(tail -3 "$T/log")"; return 1; }
	CTL="$TOKENCTL -s $T/tokend.sock"
	echo 'root pass' | $CTL user add -r admin root@example.com >/dev/null
	ACC=$(token root@example.com 'root pass')
	for u in 'ann:{"first_name":"Ann","title":"10","location":""}' \
	    'bob:{"first_name":"Bob","last_name":"B","title":"9","email_notifications":false}' \
	    'cy:{"title":"2","location":"Lyon"}' \
	    'dee:{"first_name":"Dee","status":"suspended","description":"5"}'; do
		id=$(echo pw | $CTL user add "${u%%:*}@example.com")
		http PATCH "/users/$id" -H "Authorization: Bearer $ACC" \
		    -H 'Content-Type: application/json' -d "${u#*:}" >/dev/null
	done
	login ann@example.com wrong >/dev/null
	login bob@example.com pw >/dev/null
}
td_pg 'SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public' ||
    { fail pgsame_reset; exit 1; }
store sqlite "" && SQ=$URL && SQACC=$ACC &&
store pghost "$PG_URI" && PGU=$URL && PGACC=$ACC || exit 1
T=$ROOT
n=0
while read -r q; do
	[ -n "$q" ] || continue
	n=$((n + 1))
	URL=$SQ
	a=$(http GET "$q" -g -H "Authorization: Bearer $SQACC")
	URL=$PGU
	b=$(http GET "$q" -g -H "Authorization: Bearer $PGACC")
	case "$a" in 200*) ;; *) fail "pgsame_$n" "SQLite: $q: ${a:0:200}"; continue ;; esac
	[ "$a" = "$b" ] && ok "pgsame_$n" ||
	    fail "pgsame_$n" "$q: SQLite ${a:0:300} PostgreSQL ${b:0:300}"
done <<'Q'
/users?fields=email,first_name,title
/users?fields=email&filter={"first_name":{"_eq":"Ann"}}
/users?fields=email&filter={"first_name":{"_neq":"Ann"}}
/users?fields=email&filter={"title":{"_lt":"2"}}
/users?fields=email&filter={"title":{"_gte":"2"}}
/users?fields=email&filter={"title":{"_eq":10}}
/users?fields=email&filter={"email_notifications":{"_eq":false}}
/users?fields=email&filter={"email_notifications":{"_eq":true}}
/users?fields=email&filter={"email_notifications":{"_gt":"0"}}
/users?fields=email&filter={"email":{"_contains":"b"}}
/users?fields=email&filter={"email":{"_ncontains":"b"}}
/users?fields=email&filter={"email":{"_starts_with":"d"}}
/users?fields=email&filter={"email":{"_ends_with":"e.com"}}
/users?fields=email&filter={"email":{"_ends_with":""}}
/users?fields=email&filter={"location":{"_empty":true}}
/users?fields=email&filter={"location":{"_nempty":true}}
/users?fields=email&filter={"location":{"_null":true}}
/users?fields=email&filter={"last_name":{"_nnull":true}}
/users?fields=email&filter={"first_name":{"_in":["Ann","Dee"]}}
/users?fields=email&filter={"first_name":{"_nin":["Ann","Dee"]}}
/users?fields=email&filter={"title":{"_in":["9",10,"2"]}}
/users?fields=email&filter={"title":{"_between":["1","5"]}}
/users?fields=email&filter={"last_access":{"_gte":"2000-01-01"}}
/users?fields=email&filter={"_or":[{"first_name":{"_eq":"Ann"}},{"title":{"_null":true}}]}
/users?fields=email&filter={"_and":[]}
/users?fields=email&filter={"_or":[]}
/users?fields=email&filter={"first_name":{"_eq":"$CURRENT_USER"}}
/users?fields=email&search=ANN
/users?fields=email&search=lyo
/users?fields=email,first_name&sort=-first_name,email
/users?fields=email&sort=title&limit=2&offset=1
/users?fields=email&meta=total_count,filter_count&filter={"status":{"_eq":"active"}}
/users?aggregate%5Bcount%5D=*&groupBy%5B%5D=status
/users?aggregate%5BcountDistinct%5D=first_name&aggregate%5Bmax%5D=email
/users?aggregate%5Bsum%5D=email_notifications&aggregate%5Bavg%5D=email_notifications
/users?aggregate%5Bsum%5D=title&aggregate%5Bmin%5D=title
/users?aggregate%5Bsum%5D=first_name&aggregate%5Bavg%5D=title
/users?aggregate%5Bcount%5D=*&groupBy%5B%5D=email_notifications&sort=-count
/activity?fields=action&sort=id&meta=total_count,filter_count&filter={"action":{"_eq":"login"}}
/activity?fields=action,collection&sort=-id&limit=3
/activity?fields=action&filter={"timestamp":{"_gte":"2000-01-01"}}&meta=filter_count
Q
