#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# /items and /users queries beyond filters: search, aggregate with
# groupBy (every function, the plain, bracket and JSON forms), the
# SEARCH method with the query in its body, the permission's item
# filter applied before counting, and every parameter Directus knows
# that tokend does not implement refused with 400 INVALID_QUERY.  The
# expected answers are those of Directus 11.3.5 on SQLite for the same
# items (a collection with typed fields there).
. "$(dirname "$0")/../lib.sh"
td_init
READER=6b4d1f9f-3c2e-4d7f-8a8b-2c3d4e5f6071
td_conf "${TD_FAST_PASSWORD[@]}" \
    "items \"$T/empty/data/items.db\"" \
    'collection "articles" {' \
    '	fields "title" "status" "body" "views" "score" "price" "flag" "big"' '}' \
    'collection "empty" {' '	fields "n" "s"' '}' \
    'collection "notes" {' '	primary-key uuid' '}' \
    'role "reader" {' "	id \"$READER\"" \
    '	permission "articles" read {' '		fields "id" "title" "status" "views"' \
    "		filter '{\"status\":{\"_eq\":\"published\"}}'" '	}' '}'
td_up aggregate
CTL="$TOKENCTL -s $T/tokend.sock"
echo 'admin pass' | $CTL user add -r admin root@example.com >/dev/null
echo 'reader pass' | $CTL user add -r reader rita@example.com >/dev/null
AD=$(token root@example.com 'admin pass')
RD=$(token rita@example.com 'reader pass')
[ -n "$AD" ] && [ -n "$RD" ] && ok aggregate_logins ||
    fail aggregate_logins "$(tail -3 $T/log)"
# q NAME TOKEN QUERY EXPECTED: GET /items/articles?QUERY (sent as it is,
# curl -g), the answer exactly EXPECTED.
q() {
	same "$1" "$4" "$(http GET "/items/articles?$3" -g \
	    -H "Authorization: Bearer $2")"
}
# srch NAME TOKEN PATH BODY EXPECTED: SEARCH PATH with BODY.
srch() {
	same "$1" "$5" "$(http SEARCH "$3" -H "Authorization: Bearer $2" \
	    -H 'Content-Type: application/json' -d "$4")"
}
B='[{"title":"Hello World","status":"published","body":"first post","views":10,"score":1.5,"price":2.5,"flag":true,"big":5},
    {"title":"second","status":"draft","body":"HELLO again","views":20,"score":2.5,"flag":false,"big":7},
    {"title":"Third 10","status":"published","body":null,"views":10,"score":null},
    {"title":null,"status":"archived","views":null}]'
expect aggregate_seed '200 {"data":[{"id":1,*' "$(http POST /items/articles \
    -H "Authorization: Bearer $AD" -H 'Content-Type: application/json' -d "$B")"

# search: text in any letter case, numbers equal to a numeric term,
# the key, with filter; only the fields the caller may read.
q search_text "$AD" 'search=hello&fields=id' '200 {"data":[{"id":1},{"id":2}]}'
q search_number "$AD" 'search=10&fields=id' '200 {"data":[{"id":1},{"id":3}]}'
q search_real "$AD" 'search=1.5&fields=id' '200 {"data":[{"id":1}]}'
q search_key "$AD" 'search=2&fields=id' '200 {"data":[{"id":2}]}'
q search_not_number "$AD" 'search=1e1&fields=id' '200 {"data":[]}'
q search_filter "$AD" 'search=hello&filter={"status":{"_eq":"draft"}}&fields=id' \
    '200 {"data":[{"id":2}]}'
q search_empty "$AD" 'search=&fields=id' \
    '200 {"data":[{"id":1},{"id":2},{"id":3},{"id":4}]}'
q search_literal "$AD" 'search=%25&fields=id' '200 {"data":[]}'
q search_meta "$AD" 'search=hello&fields=id&meta=*' \
    '200 {"data":[{"id":1},{"id":2}],"meta":{"total_count":4,"filter_count":2}}'
# The reader may not read "body": "again" is only there; "5" only in big.
q search_perm_fields "$RD" 'search=again&fields=id' '200 {"data":[]}'
q search_perm_number "$RD" 'search=5&fields=id' '200 {"data":[]}'
q search_perm_rows "$RD" 'search=hello&fields=id' '200 {"data":[{"id":1}]}'
long=$(printf 'x%.0s' $(seq 1 300))
expect search_too_long '400 *search?" is longer than 256*INVALID_QUERY*' \
    "$(http GET "/items/articles?search=$long" -H "Authorization: Bearer $AD")"
expect search_not_utf8 '400 *search?" is not UTF-8*INVALID_QUERY*' \
    "$(http GET "/items/articles?search=%9F" -H "Authorization: Bearer $AD")"
expect search_twice '400 *search?" is given more than once*INVALID_QUERY*' \
    "$(http GET '/items/articles?search=a&search=b' -H "Authorization: Bearer $AD")"

# aggregate: each function, numbers as Directus's SQLite answers them.
q agg_count_star "$AD" 'aggregate[count]=*' '200 {"data":[{"count":4}]}'
q agg_count_id "$AD" 'aggregate[count]=id' '200 {"data":[{"count":{"id":4}}]}'
q agg_count "$AD" 'aggregate[count]=views' '200 {"data":[{"count":{"views":3}}]}'
q agg_count_distinct "$AD" 'aggregate[countDistinct]=views' \
    '200 {"data":[{"countDistinct":{"views":2}}]}'
q agg_count_all "$AD" 'aggregate[countAll]=*' '200 {"data":[{"countAll":4}]}'
q agg_sum "$AD" 'aggregate[sum]=views' '200 {"data":[{"sum":{"views":40}}]}'
q agg_sum_distinct "$AD" 'aggregate[sumDistinct]=views' \
    '200 {"data":[{"sumDistinct":{"views":30}}]}'
q agg_avg "$AD" 'aggregate[avg]=views' \
    '200 {"data":[{"avg":{"views":13.333333333333334}}]}'
q agg_avg_distinct "$AD" 'aggregate[avgDistinct]=views' \
    '200 {"data":[{"avgDistinct":{"views":15}}]}'
q agg_min "$AD" 'aggregate[min]=views' '200 {"data":[{"min":{"views":10}}]}'
q agg_max_text "$AD" 'aggregate[max]=title' '200 {"data":[{"max":{"title":"second"}}]}'
q agg_sum_real "$AD" 'aggregate[sum]=score' '200 {"data":[{"sum":{"score":4}}]}'
q agg_avg_real "$AD" 'aggregate[avg]=score' '200 {"data":[{"avg":{"score":2}}]}'
q agg_sum_text "$AD" 'aggregate[sum]=title' '200 {"data":[{"sum":{"title":0}}]}'
q agg_bool "$AD" 'aggregate[min]=flag&aggregate[max]=big&aggregate[avg]=flag&aggregate[sum]=price' \
    '200 {"data":[{"min":{"flag":0},"max":{"big":7},"avg":{"flag":0.5},"sum":{"price":2.5}}]}'
q agg_json_form "$AD" 'aggregate={"count":["*"],"sum":["views"]}' \
    '200 {"data":[{"count":4,"sum":{"views":40}}]}'
q agg_json_csv "$AD" 'aggregate={"sum":"views,score"}' \
    '200 {"data":[{"sum":{"views":40,"score":4}}]}'
q agg_filter "$AD" 'aggregate[count]=*&filter={"views":{"_eq":10}}' '200 {"data":[{"count":2}]}'
q agg_search "$AD" 'aggregate[count]=*&search=hello' '200 {"data":[{"count":2}]}'
q agg_limit0 "$AD" 'aggregate[count]=*&limit=0' '200 {"data":[]}'
q agg_meta "$AD" 'aggregate[count]=*&meta=*' \
    '200 {"data":[{"count":4}],"meta":{"total_count":4,"filter_count":4}}'

# groupBy: the plain, bracket and comma forms; sort, limit, offset, page.
G='200 {"data":[{"status":"archived","count":1},{"status":"draft","count":1},{"status":"published","count":2}]}'
q group_bracket "$AD" 'aggregate[count]=*&groupBy[]=status' "$G"
q group_plain "$AD" 'aggregate[count]=*&groupBy=status' "$G"
q group_sdk "$AD" 'aggregate={"count":"*"}&groupBy=status' "$G"
q group_two "$AD" 'aggregate[count]=*&groupBy[]=status&groupBy[]=views' \
    '200 {"data":[{"status":"archived","views":null,"count":1},{"status":"draft","views":20,"count":1},{"status":"published","views":10,"count":2}]}'
q group_sums "$AD" 'aggregate[sum]=views,score&aggregate[count]=*&groupBy=status,views' \
    '200 {"data":[{"status":"archived","views":null,"sum":{"views":null,"score":null},"count":1},{"status":"draft","views":20,"sum":{"views":20,"score":2.5},"count":1},{"status":"published","views":10,"sum":{"views":20,"score":1.5},"count":2}]}'
q group_only "$AD" 'groupBy[]=status' \
    '200 {"data":[{"status":"archived"},{"status":"draft"},{"status":"published"}]}'
q group_limit "$AD" 'aggregate[count]=*&groupBy[]=status&limit=1' \
    '200 {"data":[{"status":"archived","count":1}]}'
q group_sort "$AD" 'aggregate[count]=*&groupBy[]=status&sort=-status' \
    '200 {"data":[{"status":"published","count":2},{"status":"draft","count":1},{"status":"archived","count":1}]}'
# Directus leaves groups of equal count in no stated order; tokend
# orders them by the groupBy fields.
q group_sort_count "$AD" 'aggregate[count]=*&groupBy[]=status&sort=-count' \
    '200 {"data":[{"status":"published","count":2},{"status":"archived","count":1},{"status":"draft","count":1}]}'
q group_offset "$AD" 'aggregate[count]=*&offset=1&groupBy=status' \
    '200 {"data":[{"status":"draft","count":1},{"status":"published","count":2}]}'
q group_page "$AD" 'aggregate[count]=*&page=2&limit=1&groupBy=status' \
    '200 {"data":[{"status":"draft","count":1}]}'
q group_meta "$AD" 'aggregate[count]=*&groupBy[]=status&meta=*' \
    "${G%\}},\"meta\":{\"total_count\":4,\"filter_count\":4}}"

# The permission's item filter comes before the counts: the reader sees
# the published rows only, and may aggregate only the fields it reads.
q perm_count "$RD" 'aggregate[count]=*' '200 {"data":[{"count":2}]}'
q perm_group "$RD" 'aggregate[count]=*&aggregate[sum]=views&groupBy[]=status' \
    '200 {"data":[{"status":"published","count":2,"sum":{"views":20}}]}'
q perm_field "$RD" 'aggregate[sum]=score' \
    '403 {"errors":[{"message":"You don'"'"'t have permission to access field \"score\" or it does not exist.","extensions":{"code":"FORBIDDEN"}}]}'
expect perm_group_field '403 *field ?"body?"*FORBIDDEN*' \
    "$(http GET '/items/articles?aggregate[count]=*&groupBy[]=body' -g -H "Authorization: Bearer $RD")"
expect perm_filter_field '403 *field ?"score?"*FORBIDDEN*' \
    "$(http GET '/items/articles?aggregate[count]=*&filter={"score":{"_gt":0}}' -g -H "Authorization: Bearer $RD")"
expect agg_unknown_field '403 *field ?"nope?"*FORBIDDEN*' \
    "$(http GET '/items/articles?aggregate[sum]=nope' -g -H "Authorization: Bearer $AD")"
expect public_agg '403 *FORBIDDEN*' "$(http GET '/items/articles?aggregate[count]=*' -g)"

# An empty collection: counts are 0, the others null, no groups.
same empty_count '200 {"data":[{"count":0,"sum":{"n":null},"max":{"s":null}}]}' \
    "$(http GET '/items/empty?aggregate[count]=*&aggregate[sum]=n&aggregate[max]=s' -g \
    -H "Authorization: Bearer $AD")"
same empty_group '200 {"data":[]}' "$(http GET '/items/empty?aggregate[count]=*&groupBy=s' -g \
    -H "Authorization: Bearer $AD")"

# A sum past the largest double is null, as JSON.stringify writes it.
http POST /items/empty -H "Authorization: Bearer $AD" \
    -H 'Content-Type: application/json' -d '[{"n":1e308},{"n":1e308}]' >/dev/null
same agg_sum_infinite '200 {"data":[{"sum":{"n":null},"max":{"n":1e308}}]}' \
    "$(http GET '/items/empty?aggregate[sum]=n&aggregate[max]=n' -g -H "Authorization: Bearer $AD")"

# What tokend refuses where Directus would ignore or misread it.
e() { expect "$1" "400 *$2*INVALID_QUERY*" "$(http GET "/items/articles?$3" -g \
    -H "Authorization: Bearer $AD")"; }
e agg_unknown_fn 'unknown function' 'aggregate[foo]=views'
e agg_not_json 'aggregate?" must be an object' 'aggregate=xx'
e agg_not_utf8 'aggregate?" must be an object' 'aggregate[sum]=%9F'
e agg_fn_not_utf8 'aggregate?" must be an object' 'aggregate[%9F]=a'
e group_not_utf8 'groupBy' 'aggregate[count]=*&groupBy[]=%9F'
e agg_empty_field 'invalid field' 'aggregate[sum]='
e agg_star_sum 'invalid field' 'aggregate[sum]=*'
e agg_twice 'given more than once' 'aggregate[count]=*&aggregate={"count":"*"}'
e group_bad 'groupBy' 'aggregate[count]=*&groupBy=a,,b'
e count_star_and_field 'takes \* or fields' 'aggregate[count]=*,views'
e group_sort_other 'groupBy' 'aggregate[count]=*&groupBy=status&sort=title'
expect agg_one_item '400 *one item*INVALID_QUERY*' "$(http GET '/items/articles/1?aggregate[count]=*' -g \
    -H "Authorization: Bearer $AD")"
for p in deep alias export version versionRaw backlink; do
	e "unsupported_$p" "?\"$p?\" is not supported" "$p=1"
done
e unsupported_deep_bracket 'deep?" is not supported' 'deep[a][_limit]=1'
e unsupported_alias_bracket 'alias?" is not supported' 'alias[x]=title'
e bracket_fields 'not in bracket form' 'fields[]=id'
e bracket_sort 'not in bracket form' 'sort[]=id'
e bracket_filter 'must be a JSON string' 'filter[views][_eq]=10'

# SEARCH: the query in the body, as @directus/sdk's withSearch() sends it.
srch search_method "$AD" /items/articles '{"query":{"search":"hello","fields":["id","title"]}}' \
    '200 {"data":[{"id":1,"title":"Hello World"},{"id":2,"title":"second"}]}'
srch search_method_group "$AD" /items/articles \
    '{"query":{"aggregate":{"count":"*"},"groupBy":["status"],"sort":["-status"],"limit":2}}' \
    '200 {"data":[{"status":"published","count":2},{"status":"draft","count":1}]}'
srch search_method_filter "$AD" /items/articles \
    '{"query":{"filter":{"views":{"_eq":10}},"fields":"id"}}' '200 {"data":[{"id":1},{"id":3}]}'
srch search_method_empty "$AD" /items/articles '{}' \
    "$(http GET '/items/articles' -H "Authorization: Bearer $AD")"
srch search_method_perm "$RD" /items/articles '{"query":{"aggregate":{"count":"*"}}}' \
    '200 {"data":[{"count":2}]}'
expect search_method_deep '400 *deep?" is not supported*INVALID_QUERY*' \
    "$(http SEARCH /items/articles -H "Authorization: Bearer $AD" -d '{"query":{"deep":{}}}')"
expect search_method_bad_json '400 *INVALID_PAYLOAD*' \
    "$(http SEARCH /items/articles -H "Authorization: Bearer $AD" -d 'x')"
expect search_method_bad_type '400 *limit?" is invalid*INVALID_QUERY*' \
    "$(http SEARCH /items/articles -H "Authorization: Bearer $AD" -d '{"query":{"limit":[1]}}')"
expect search_method_query_string '400 *SEARCH takes its query in the body*INVALID_QUERY*' \
    "$(http SEARCH '/items/articles?limit=1' -H "Authorization: Bearer $AD" -d '{}')"
expect search_method_item '404 *' "$(http SEARCH /items/articles/1 -H "Authorization: Bearer $AD" -d '{}')"
expect search_method_filter_long '400 *INVALID_QUERY*' \
    "$(http SEARCH /items/articles -H "Authorization: Bearer $AD" \
    -d "{\"query\":{\"search\":\"$long\"}}")"

# Two SEARCH requests pipelined in one write, then one sent a byte at a
# time: the edge rewrites each, wherever its reads cut it.
r=$(python3 -c '
import socket, sys, time
tok = sys.argv[2]
def req(path):
    body = b"{\"query\":{\"fields\":[\"id\"],\"limit\":1}}"
    return (b"SEARCH " + path + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
        tok.encode() + b"\r\nContent-Length: " + str(len(body)).encode() +
        b"\r\n\r\n" + body)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(req(b"/items/articles") + req(b"/users"))
for c in req(b"/items/articles"):
    s.send(bytes([c]))
    time.sleep(0.002)
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
print(data.count(b"HTTP/1.1 200"), data.count(b"{\"data\":[{\"id\":"))' "$PORT" "$AD")
same search_pipelined_and_split '3 3' "$r"

# The marker that carries SEARCH through evhttp cannot come from a
# client: the edge refuses a target that is not printable ASCII.
r=$(python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(b"GET \x7f\x7f\x7f/items/articles HTTP/1.1\r\nHost: x\r\n\r\n")
print(s.recv(200).decode("latin-1").split("\r\n")[0])' "$PORT")
expect search_marker_forged '*400*' "$r"

# /users: search over the fields the caller may read, SEARCH, and the
# parameters it does not implement.
u() { http GET "/users?$2" -g -H "Authorization: Bearer $1"; }
same users_search '200 {"data":[{"email":"rita@example.com"}]}' "$(u "$AD" 'search=RITA&fields=email')"
same users_search_none '200 {"data":[]}' "$(u "$AD" 'search=nobody&fields=email')"
expect users_search_not_utf8 '400 *search?" is not UTF-8*INVALID_QUERY*' "$(u "$AD" 'search=%9F')"
expect users_search_reader '403 *' "$(u "$RD" 'search=root')"
srch users_search_method "$AD" /users '{"query":{"search":"root","fields":["email"]}}' \
    '200 {"data":[{"email":"root@example.com"}]}'
for p in deep alias export version backlink; do
	expect "users_unsupported_$p" "400 *?\"$p?\" is not supported*INVALID_QUERY*" \
	    "$(u "$AD" "$p=1")"
done
# aggregate and groupBy on /users: usersagg.sh.
expect users_aggregate '200 {"data":[{"count":*}]}' \
    "$(u "$AD" 'aggregate[count]=*')"
expect users_group '200 {"data":[{"status":"active"}]}' \
    "$(u "$AD" 'groupBy=status')"
exit 0
