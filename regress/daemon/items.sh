#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# /items: the permission matrix (public, editor, reader, a role without
# permissions, admin), every filter operator, sort/limit/offset/page/meta,
# malformed and hostile queries, batches that fail as a whole, reload.
. "$(dirname "$0")/../lib.sh"
need sqlite3
td_init
EDITOR=5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60
READER=6b4d1f9f-3c2e-4d7f-8a8b-2c3d4e5f6071
NOTHING=7c5e2a0a-4d3f-4e80-9b9c-3d4e5f607182
items_conf() {
	td_conf 'password {' '	memory 1M' '	iterations 1' '	parallelism 1' '}' \
	    'auth {' '	login-stall 10ms' '}' \
	    "items \"$T/empty/data/items.db\"" \
	    'limits {' '	query-limit 6' '	header-size 32K' '	request-line 32K' '}' \
	    'collection "articles" {' '	fields "title" "body" "status" "author" "rank"' '}' \
	    'collection "nums" {' '}' \
	    'collection "notes" {' '	primary-key uuid' '}' \
	    'role "editor" {' "	id \"$EDITOR\"" '	app-access yes' \
	    '	permission "articles" create read update {' \
	    "		presets '{\"status\":\"draft\",\"author\":\"\$CURRENT_USER\"}'" \
	    "		validation '{\"title\":{\"_nnull\":true}}'" '	}' \
	    '	permission "articles" delete {' \
	    "		filter '{\"author\":{\"_eq\":\"\$CURRENT_USER\"}}'" '	}' '}' \
	    'role "reader" {' "	id \"$READER\"" \
	    '	permission "articles" read {' '		fields "id" "title"' \
	    "		filter '{\"status\":{\"_eq\":\"published\"}}'" '	}' '}' \
	    'role "nothing" {' "	id \"$NOTHING\"" '}' \
	    'public {' "$1" '}'
}
PUBLIC_READ='	permission "articles" read { filter '"'"'{"status":{"_eq":"published"}}'"'"' }'
items_conf "$PUBLIC_READ"
td_start || { fail items_start "$(grep -v restarting $T/log | head -20)"; exit 1; }
CTL="$TOKENCTL -s $T/tokend.sock"
echo 'admin pass' | $CTL user add -r admin root@example.com >/dev/null
echo 'editor pass' | $CTL user add -r editor ed@example.com >/dev/null
echo 'reader pass' | $CTL user add -r reader rita@example.com >/dev/null
echo 'nothing pass' | $CTL user add -r nothing nick@example.com >/dev/null
DB="$T/empty/data/items.db"
AD=$(token root@example.com 'admin pass')
ED=$(token ed@example.com 'editor pass')
RD=$(token rita@example.com 'reader pass')
NO=$(token nick@example.com 'nothing pass')
[ -n "$AD" ] && [ -n "$ED" ] && [ -n "$RD" ] && [ -n "$NO" ] && ok items_logins ||
    fail items_logins "$(tail -3 $T/log)"
http GET /users/me -H "Authorization: Bearer $ED" >/dev/null; ED_ID=$(j id)
# as TOKEN METHOD PATH [curl args]; asb BODY TOKEN METHOD PATH
# Query parameters are sent URL-encoded (curl -G), split at "&".
as() {
	_t=$1 _m=$2 _p=${3%%\?*} _q=
	case "$3" in *\?*) _q=${3#*\?} ;; esac
	shift 3
	[ -n "$_t" ] && set -- "$@" -H "Authorization: Bearer $_t"
	if [ -n "$_q" ]; then
		set -- "$@" -G
		while [ -n "$_q" ]; do
			set -- "$@" --data-urlencode "${_q%%&*}"
			case "$_q" in *'&'*) _q=${_q#*&} ;; *) _q= ;; esac
		done
	fi
	http "$_m" "$_p" "$@"
}
asb() {
	_b=$1
	shift
	_t=$1 _m=$2 _p=$3
	shift 3
	[ -n "$_t" ] && set -- "$@" -H "Authorization: Bearer $_t"
	http "$_m" "$_p" -g -H 'Content-Type: application/json' -d "$_b" "$@"
}
# The store's own view (SQLite's file, or PostgreSQL as the item role
# under TD_ITEMS_PG): count TABLE, field TABLE ID FIELD, intact.
if [ -n "$TD_ITEMS_PG" ]; then
	count() { td_items_sql "SELECT count(*) FROM items_$1"; }
	field() { td_items_sql "SELECT doc->>'$3' FROM items_$1 WHERE id=$2"; }
	lost() { td_items_sql "SELECT count(*) FROM items_nums WHERE doc->>'s'='lost'"; }
	intact() { echo ok; }
else
	count() { sqlite3 "$DB" "SELECT count(*) FROM items_$1"; }
	field() { sqlite3 "$DB" "SELECT json_extract(doc,'$.$3') FROM items_$1 WHERE id=$2"; }
	lost() { sqlite3 "$DB" "SELECT count(*) FROM items_nums WHERE json_extract(doc,'$.s')='lost'"; }
	intact() { sqlite3 "$DB" 'PRAGMA integrity_check'; }
fi

# Seeding as admin: one array, all or nothing.
B='[{"title":"One","body":"first","status":"published","rank":1},
    {"title":"Two","body":"second","status":"published","rank":2},
    {"title":"Three","body":"third","status":"draft","rank":3}]'
r=$(asb "$B" "$AD" POST /items/articles)
expect items_admin_create_many '200 {"data":[{"id":1,"title":"One"*},{"id":2,*},{"id":3,*}]}' "$r"

# The public role: published articles only, nothing else.
r=$(as "" GET /items/articles)
expect items_public_reads_published '200 {"data":[{"id":1,*"status":"published"*},{"id":2,*"status":"published"*}]}' "$r"
case "$r" in *draft*|*Three*) fail items_public_no_draft "$r" ;; *) ok items_public_no_draft ;; esac
expect items_public_draft_403 '403 *FORBIDDEN*' "$(as "" GET /items/articles/3)"
expect items_public_missing_403 '403 *FORBIDDEN*' "$(as "" GET /items/articles/99)"
expect items_public_unknown_collection_403 '403 *FORBIDDEN*' "$(as "" GET /items/nope)"
expect items_public_system_collection_403 '403 *FORBIDDEN*' "$(as "" GET /items/directus_users)"
expect items_public_other_collection_403 '403 *FORBIDDEN*' "$(as "" GET /items/nums)"
expect items_public_bad_key_403 '403 *FORBIDDEN*' "$(as "" GET /items/articles/abc)"
r=$(asb '{"title":"anon"}' "" POST /items/articles)
expect items_public_create_403 '403 *FORBIDDEN*' "$r"
r=$(asb '{"title":"anon"}' "" PATCH /items/articles/1)
expect items_public_update_403 '403 *FORBIDDEN*' "$r"
expect items_public_delete_403 '403 *FORBIDDEN*' "$(as "" DELETE /items/articles/1)"
[ "$(count articles)" = 3 ] && [ "$(field articles 1 title)" = One ] &&
    ok items_public_refusals_change_nothing || fail items_public_refusals_change_nothing
expect items_bad_token_not_public '401 *INVALID_CREDENTIALS*' "$(as garbage GET /items/articles)"
expect items_bad_jwt_not_public '403 *INVALID_TOKEN*' "$(as "${AD%?}x" GET /items/articles)"
expect items_two_tokens_400 '400 *INVALID_PAYLOAD*' "$(as "$AD" GET "/items/articles?access_token=$AD")"

# editor: create (with the presets: author is the creating user, as
# Directus resolves $CURRENT_USER in a preset), read all, update, delete
# only its own.
r=$(asb '{"title":"Mine"}' "$ED" POST /items/articles)
expect items_editor_create_preset "200 {\"data\":{\"id\":4,*\"status\":\"draft\",\"author\":\"$ED_ID\"*}}" "$r"
r=$(asb '{"title":"Given","author":"someone"}' "$ED" POST /items/articles?fields=author)
expect items_editor_preset_not_over_payload '200 {"data":{"author":"someone"}}' "$r"
expect items_preset_cleanup '204 ' "$(as "$AD" DELETE /items/articles/5)"
r=$(asb '{"title":null,"body":"no title"}' "$ED" POST /items/articles)
expect items_editor_validation_400 '400 *FAILED_VALIDATION*' "$r"
r=$(asb '[{"title":"ok"},{"title":null}]' "$ED" POST /items/articles)
expect items_editor_batch_validation_400 '400 *FAILED_VALIDATION*' "$r"
[ "$(count articles)" = 4 ] && ok items_failed_batch_writes_nothing || fail items_failed_batch_writes_nothing "$(count articles)"
r=$(as "$ED" GET '/items/articles?fields=id,status')
expect items_editor_reads_all '200 {"data":[{"id":1,*},{"id":2,*},{"id":3,"status":"draft"},{"id":4,"status":"draft"}]}' "$r"
r=$(asb '{"title":"Two!"}' "$ED" PATCH /items/articles/2)
expect items_editor_update '200 {"data":{"id":2,"title":"Two!"*}}' "$r"
expect items_editor_delete_foreign_403 '403 *FORBIDDEN*' "$(as "$ED" DELETE /items/articles/1)"
expect items_editor_delete_own_204 '204 ' "$(as "$ED" DELETE /items/articles/4)"
[ "$(count articles)" = 3 ] && ok items_editor_delete_effect || fail items_editor_delete_effect
r=$(asb '{"nonsense":1}' "$ED" PATCH /items/articles/2)
expect items_unknown_field_400 '400 *INVALID_PAYLOAD*' "$r"
r=$(asb '{"id":7}' "$ED" PATCH /items/articles/2)
expect items_key_change_400 '400 *INVALID_PAYLOAD*' "$r"
expect items_editor_other_collection_403 '403 *FORBIDDEN*' "$(as "$ED" GET /items/nums)"

# reader: its role's policy alone (id and title of the published): a
# user of a role does not get the public policy (Directus 11.3.5 gives
# it to callers of no role only), so the public's body stays out.
r=$(as "$RD" GET '/items/articles?fields=id,title')
expect items_reader_fields_public_on '200 {"data":[{"id":1,"title":"One"},{"id":2,"title":"Two!"}]}' "$r"
expect items_reader_no_public_union '403 *FORBIDDEN*' "$(as "$RD" GET '/items/articles?fields=id,title,body')"
expect items_reader_draft_403 '403 *FORBIDDEN*' "$(as "$RD" GET /items/articles/3)"
r=$(asb '{"title":"r"}' "$RD" POST /items/articles)
expect items_reader_create_403 '403 *FORBIDDEN*' "$r"
expect items_reader_delete_403 '403 *FORBIDDEN*' "$(as "$RD" DELETE /items/articles/1)"

# A role without permissions has no access: not even the public's.
expect items_nothing_role_no_public_read '403 *FORBIDDEN*' "$(as "$NO" GET '/items/articles?fields=id')"
r=$(asb '{"title":"n"}' "$NO" POST /items/articles)
expect items_nothing_role_create_403 '403 *FORBIDDEN*' "$r"
expect items_nothing_role_nums_403 '403 *FORBIDDEN*' "$(as "$NO" GET /items/nums)"

# Admin: everything, field-limited reads too.
expect items_admin_reads_draft '200 {"data":{"id":3,"title":"Three"}}' "$(as "$AD" GET '/items/articles/3?fields=id,title')"
expect items_admin_unknown_collection_403 '403 *FORBIDDEN*' "$(as "$AD" GET /items/nope)"
expect items_admin_unknown_field_403 '403 *FORBIDDEN*' "$(as "$AD" GET '/items/articles?fields=nope')"

# Filters: every operator, on a schemaless collection.
B='[{"n":1,"s":"apple","t":null},{"n":2,"s":"banana","t":""},{"n":3,"s":"cherry"},
    {"n":4,"s":"apricot","t":"x"},{"n":5,"s":"50%_off"},{"n":6,"s":"O'"'"'Brien"}]'
r=$(asb "$B" "$AD" POST /items/nums)
expect items_nums_seed '200 {"data":[*' "$r"
ids() {
	as "$AD" GET "/items/nums?fields=id&filter=$1" | cut -d' ' -f2- |
	    grep -o '"id":[0-9]*' | cut -d: -f2 | paste -sd, -
}
f() {	# NAME FILTER EXPECTED-IDS
	_got=$(ids "$2")
	[ "$_got" = "$3" ] && ok "items_filter_$1" || fail "items_filter_$1" "got '$_got' want '$3'"
}
f eq '{"n":{"_eq":3}}' 3
f neq '{"n":{"_neq":3}}' 1,2,4,5,6
f lt '{"n":{"_lt":3}}' 1,2
f lte '{"n":{"_lte":3}}' 1,2,3
f gt '{"n":{"_gt":4}}' 5,6
f gte '{"n":{"_gte":4}}' 4,5,6
f in '{"n":{"_in":[1,5,9]}}' 1,5
f nin '{"n":{"_nin":[1,2,3]}}' 4,5,6
f null '{"t":{"_null":true}}' 1,3,5,6
f nnull '{"t":{"_nnull":true}}' 2,4
f contains '{"s":{"_contains":"an"}}' 2
f ncontains '{"s":{"_ncontains":"a"}}' 3,5,6
f starts_with '{"s":{"_starts_with":"ap"}}' 1,4
f ends_with '{"s":{"_ends_with":"rry"}}' 3
f between '{"n":{"_between":[2,4]}}' 2,3,4
f empty '{"t":{"_empty":true}}' 1,2,3,5,6
f and '{"_and":[{"n":{"_gt":1}},{"s":{"_starts_with":"a"}}]}' 4
f or '{"_or":[{"n":{"_eq":1}},{"s":{"_eq":"cherry"}}]}' 1,3
f implicit_and '{"n":{"_gt":1,"_lt":4}}' 2,3
f like_wildcards_literal '{"s":{"_contains":"%_"}}' 5
f quote_literal '{"s":{"_eq":"O'"'"'Brien"}}' 6
f id '{"id":{"_in":[2,4]}}' 2,4
f current_user '{"owner":{"_eq":"$CURRENT_USER"}}' ''

# sort, limit, offset, page, meta (query-limit is 6 here).
expect items_sort_desc '200 {"data":[{"id":6},{"id":5},{"id":4}]}' "$(as "$AD" GET '/items/nums?fields=id&sort=-n&limit=3')"
expect items_sort_text '200 {"data":[{"s":"50%_off"},{"s":"O'"'"'Brien"},{"s":"apple"}]}' "$(as "$AD" GET '/items/nums?fields=s&sort=s&limit=3')"
expect items_offset '200 {"data":[{"id":3},{"id":4}]}' "$(as "$AD" GET '/items/nums?fields=id&limit=2&offset=2')"
expect items_page '200 {"data":[{"id":5},{"id":6}]}' "$(as "$AD" GET '/items/nums?fields=id&limit=2&page=3')"
expect items_meta '200 {"data":[{"id":1}],"meta":{"total_count":6,"filter_count":2}}' \
    "$(as "$AD" GET '/items/nums?fields=id&limit=1&meta=*&filter={"n":{"_lt":3}}')"
expect items_meta_public_counts_visible '200 {"data":[*],"meta":{"total_count":2}}' \
    "$(as "" GET '/items/articles?fields=id&meta=total_count')"
asb '[{"n":7},{"n":8}]' "$AD" POST /items/nums >/dev/null
r=$(as "$AD" GET '/items/nums?fields=id&limit=100000')
[ "$(echo "$r" | grep -o '"id"' | wc -l)" = 6 ] && ok items_oversized_limit_capped || fail items_oversized_limit_capped "$r"
r=$(as "$AD" GET '/items/nums?fields=id&limit=-1')
[ "$(echo "$r" | grep -o '"id"' | wc -l)" = 6 ] && ok items_limit_all_capped || fail items_limit_all_capped "$r"

# Malformed and hostile queries: 400 or 403, the table intact.
for q in 'filter=notjson' 'filter={"n":{"_regex":"x"}}' 'filter={"n":3}' 'filter=[1]' \
    'filter={"n":{"_in":[]}}' 'filter={"n":{"_between":[1]}}' 'limit=abc' 'limit=-2' \
    'offset=-1' 'page=0' 'meta=everything' 'sort=n;DROP' 'fields=id,%22' \
    'filter[n][_eq]=1' 'limit=1&limit=2'; do
	r=$(as "$AD" GET "/items/nums?$q")
	case "$r" in "400 "*INVALID_QUERY*) echo ok ;; *) echo "FAILED $q: $r" ;; esac
done > "$T/malformed"
[ "$(grep -c ^ok "$T/malformed")" -eq 15 ] && ok items_malformed_queries_400 ||
    fail items_malformed_queries_400 "$(grep -v ^ok "$T/malformed" | head -3)"
for q in 'fields=id;DELETE%20FROM%20items_nums' 'sort=-id,n%20DESC' \
    "filter={\"s\":{\"_eq\":\"x'%20OR%201=1;DROP%20TABLE%20items_nums;--\"}}" \
    'filter={"s%22)%20OR%201=1--":{"_eq":1}}'; do
	r=$(as "$AD" GET "/items/nums?$q")
	case "$r" in "400 "*|"403 "*|'200 {"data":[]}') echo ok ;; *) echo "FAILED $q: $r" ;; esac
done > "$T/inject"
[ "$(grep -c ^ok "$T/inject")" -eq 4 ] && [ "$(count nums)" = 8 ] &&
    [ "$(intact)" = ok ] && ok items_injection_refused ||
    fail items_injection_refused "$(grep -v ^ok "$T/inject" | head -3) count=$(count nums)"
deep='{"n":{"_eq":1}}'
for i in $(seq 1 12); do deep="{\"_and\":[$deep]}"; done
expect items_deep_filter_400 '400 *INVALID_QUERY*' "$(as "$AD" GET "/items/nums?filter=$deep")"
big=$(printf '{"n":{"_eq":1}},%.0s' $(seq 1 300))
expect items_wide_filter_400 '400 *INVALID_QUERY*' "$(as "$AD" GET "/items/nums?filter={\"_or\":[${big%,}]}")"

# Batches: keys + data, arrays; one refused key and nothing changes.
r=$(asb '{"keys":[1,2],"data":{"s":"same"}}' "$AD" PATCH /items/nums)
expect items_patch_keys '200 {"data":[{"id":1,*"same"*},{"id":2,*"same"*}]}' "$r"
r=$(asb '[{"id":3,"s":"three"},{"id":4,"s":"four"}]' "$AD" PATCH /items/nums)
expect items_patch_array '200 {"data":[{"id":3,*"three"*},{"id":4,*"four"*}]}' "$r"
r=$(asb '{"keys":[5,999],"data":{"s":"lost"}}' "$AD" PATCH /items/nums)
expect items_patch_missing_key_403 '403 *FORBIDDEN*' "$r"
[ "$(lost)" = 0 ] &&
    ok items_patch_all_or_nothing || fail items_patch_all_or_nothing
r=$(asb '[7,999]' "$AD" DELETE /items/nums)
expect items_delete_missing_key_403 '403 *FORBIDDEN*' "$r"
[ "$(count nums)" = 8 ] && ok items_delete_all_or_nothing || fail items_delete_all_or_nothing
r=$(asb '{"keys":[7,8]}' "$AD" DELETE /items/nums)
expect items_delete_keys_204 '204 ' "$r"
r=$(asb '[6]' "$AD" DELETE /items/nums)
expect items_delete_array_204 '204 ' "$r"
[ "$(count nums)" = 5 ] && ok items_delete_effect || fail items_delete_effect "$(count nums)"
r=$(asb '{"id":2,"n":0}' "$AD" POST /items/nums)
expect items_duplicate_key_400 '400 *RECORD_NOT_UNIQUE*' "$r"
r=$(asb '{"n":' "$AD" POST /items/nums)
expect items_bad_json_400 '400 *INVALID_PAYLOAD*' "$r"
r=$(asb '"text"' "$AD" POST /items/nums)
expect items_bad_shape_400 '400 *INVALID_PAYLOAD*' "$r"
r=$(asb '{"bad key":1}' "$AD" POST /items/nums)
expect items_bad_field_name_400 '400 *INVALID_PAYLOAD*' "$r"

# uuid keys.
r=$(asb '{"text":"hello"}' "$AD" POST /items/notes)
expect items_uuid_create '200 {"data":{"id":"????????-????-4???-????-????????????","text":"hello"}}' "$r"
NID=$(j id)
expect items_uuid_read '200 {"data":{"id":"'"$NID"'","text":"hello"}}' "$(as "$AD" GET "/items/notes/$NID")"
expect items_uuid_bad_key_403 '403 *FORBIDDEN*' "$(as "$AD" GET /items/notes/12)"

# Writes from both workers at once: every acknowledged item is there.
before=$(count nums)
for w in 1 2 3 4; do
	( for i in $(seq 1 25); do
		curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $AD" \
		    -H 'Content-Type: application/json' -d "{\"w\":$w,\"i\":$i}" \
		    "$URL/items/nums"
	done > "$T/writer$w" ) &
	writers="$writers $!"
done
wait $writers
acked=$(cat "$T"/writer? | grep -c '^200$')
[ "$acked" = 100 ] && [ "$(count nums)" = $((before + 100)) ] &&
    [ "$(intact)" = ok ] && ok items_concurrent_writes ||
    fail items_concurrent_writes "acked $acked, rows $(count nums) (was $before)"

# A reload applies new permissions to the next request.
items_conf ''
td_reload >/dev/null 2>&1
td_until '[ "$(as "" GET /items/articles | cut -c1-3)" = 403 ]' 50
expect items_reload_revokes_public '403 *FORBIDDEN*' "$(as "" GET /items/articles)"
# reader, without the public policy: published only, and only id and title.
r=$(as "$RD" GET /items/articles)
expect items_reader_fields '200 {"data":[{"id":1,"title":"One"},{"id":2,"title":"Two!"}]}' "$r"
expect items_reader_field_403 '403 *FORBIDDEN*' "$(as "$RD" GET '/items/articles?fields=body')"
expect items_reader_filter_field_403 '403 *FORBIDDEN*' "$(as "$RD" GET '/items/articles?filter={"body":{"_eq":"x"}}')"
expect items_reader_sort_field_403 '403 *FORBIDDEN*' "$(as "$RD" GET '/items/articles?sort=body')"
items_conf "$PUBLIC_READ"
td_reload >/dev/null 2>&1
td_until '[ "$(as "" GET /items/articles | cut -c1-3)" = 200 ]' 50
expect items_reload_grants_public '200 *' "$(as "" GET /items/articles)"
grep -q 'signal 31\|SIGSYS\|exited' "$T/log" && fail items_no_sandbox_kill "$(grep -m1 'signal 31\|SIGSYS\|exited' $T/log)" ||
    ok items_no_sandbox_kill
exit 0
