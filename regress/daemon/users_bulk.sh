#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Batch changes of /users as Directus 11 takes them: PATCH with an
# array of users (each with its id), {keys, data} and {query, data};
# DELETE with [ids], {keys} and {query}.  All or nothing; a query that
# matches too many users is refused, never cut; others than
# administrators only within their permission.
. "$(dirname "$0")/../lib.sh"
need sqlite3
td_init
VIEWER=7c3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f70
MANAGER=7c3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f71
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'role "viewer" {' "	id \"$VIEWER\"" '}' \
    'role "manager" {' "	id \"$MANAGER\"" \
    '	permission "directus_users" read update delete {' \
    '		fields id email first_name last_name' \
    "		filter '{\"role\":{\"_eq\":\"$VIEWER\"}}'" '	}' '}'
td_up users_bulk
DB="$T/keyd/db/credentials.db"
add() { echo "$2" | $CTL user add ${3:+-r $3} "$1"; }
ROOT=$(add root@example.com 'root pass' admin)
A1=$(add a1@example.com 'a1 pass' $VIEWER)
A2=$(add a2@example.com 'a2 pass' $VIEWER)
A3=$(add a3@example.com 'a3 pass' $VIEWER)
MAX=$(add max@example.com 'max pass' $MANAGER)
as() { with_token "$@"; }
RT=$(token root@example.com 'root pass')
MT=$(token max@example.com 'max pass')
names() { sqlite3 "$DB" "SELECT group_concat(email || '=' || coalesce(first_name, '-'), ' ') FROM (SELECT * FROM users WHERE email LIKE 'a%' ORDER BY email)"; }

# An array of users, each with its id: each gets its own change.
r=$(as $RT PATCH '/users?fields=id,first_name' "[{\"id\":\"$A1\",\"first_name\":\"One\"},{\"id\":\"$A2\",\"first_name\":\"Two\",\"password\":\"new two pass\"}]")
expect bulk_array "200 {\"data\":[{\"id\":\"*\",\"first_name\":\"*\"},{\"id\":\"*\",\"first_name\":\"*\"}]}" "$r"
same bulk_array_written 'a1@example.com=One a2@example.com=Two a3@example.com=-' "$(names)"
expect bulk_array_password '200 *access_token*' "$(login a2@example.com 'new two pass')"
expect bulk_array_no_id '400 {"errors":[{"message":"Invalid payload. Item in update misses primary key."*INVALID_PAYLOAD*' \
    "$(as $RT PATCH /users '[{"first_name":"x"}]')"
expect bulk_array_twice '400 *twice*INVALID_PAYLOAD*' \
    "$(as $RT PATCH /users "[{\"id\":\"$A1\",\"first_name\":\"x\"},{\"id\":\"$A1\",\"last_name\":\"y\"}]")"
same bulk_array_empty '200 {"data":[]}' "$(as $RT PATCH /users '[]')"
# One bad user: nothing is written.
expect bulk_array_all_or_nothing '400 *INVALID_PAYLOAD*' \
    "$(as $RT PATCH /users "[{\"id\":\"$A1\",\"first_name\":\"Z\"},{\"id\":\"$A2\",\"status\":\"god\"}]")"
same bulk_array_nothing_written 'a1@example.com=One a2@example.com=Two a3@example.com=-' "$(names)"
many=$(for i in $(seq 1 101); do printf '{"id":"%s","first_name":"m"},' "$i"; done)
expect bulk_array_too_many '400 *INVALID_PAYLOAD*' "$(as $RT PATCH /users "[${many%,}]")"

# {keys, data}
r=$(as $RT PATCH '/users?fields=first_name' "{\"keys\":[\"$A1\",\"$A3\"],\"data\":{\"first_name\":\"K\"}}")
same bulk_keys '200 {"data":[{"first_name":"K"},{"first_name":"K"}]}' "$r"
expect bulk_keys_no_data '400 {"errors":[{"message":"Invalid payload. \\"data\\" is required."*' \
    "$(as $RT PATCH /users "{\"keys\":[\"$A1\"]}")"
expect bulk_unknown_key '400 *nope*is not allowed*INVALID_PAYLOAD*' \
    "$(as $RT PATCH /users '{"nope":1,"data":{}}')"

# {query, data}
r=$(as $RT PATCH '/users?fields=email,last_name' '{"query":{"filter":{"email":{"_starts_with":"a"}},"sort":["email"]},"data":{"last_name":"Q"}}')
expect bulk_query '200 {"data":[{"last_name":"Q","email":"a1@example.com"},{"last_name":"Q","email":"a2@example.com"},{"last_name":"Q","email":"a3@example.com"}]}' "$r"
r=$(as $RT PATCH '/users?fields=email,first_name' '{"query":{"filter":{"email":{"_starts_with":"a"}},"sort":"-email","limit":1},"data":{"first_name":"L"}}')
same bulk_query_limit '200 {"data":[{"first_name":"L","email":"a3@example.com"}]}' "$r"
same bulk_query_none '200 {"data":[]}' \
    "$(as $RT PATCH /users '{"query":{"filter":{"email":{"_eq":"nobody@example.com"}}},"data":{"first_name":"N"}}')"
expect bulk_query_bad_field '403 *nope*FORBIDDEN*' \
    "$(as $RT PATCH /users '{"query":{"filter":{"nope":{"_eq":1}}},"data":{"first_name":"N"}}')"
expect bulk_query_search_400 '400 *search*INVALID_QUERY*' \
    "$(as $RT PATCH /users '{"query":{"search":"a"},"data":{"first_name":"N"}}')"
expect bulk_query_concealed_403 '403 *concealed*FORBIDDEN*' \
    "$(as $RT PATCH /users '{"query":{"filter":{"password":{"_null":true}}},"data":{"first_name":"N"}}')"
expect bulk_query_limit_over_400 '400 *100 users*INVALID_QUERY*' \
    "$(as $RT PATCH /users '{"query":{"limit":101},"data":{"first_name":"N"}}')"
same bulk_query_limit_all '200 {"data":[{"email":"a1@example.com"}]}' \
    "$(as $RT PATCH '/users?fields=email' '{"query":{"filter":{"email":{"_eq":"a1@example.com"}},"limit":-1},"data":{"title":"T"}}')"
for i in $(seq 1 100); do echo "INSERT INTO users (id, email, status, role) SELECT 'bulk-$i', 'b$i@example.com', status, role FROM users WHERE id = '$A1';"; done | sqlite3 "$DB"
expect bulk_query_too_many_400 '400 *more than 100 users*INVALID_QUERY*' \
    "$(as $RT PATCH /users '{"query":{"filter":{"email":{"_ends_with":"example.com"}}},"data":{"first_name":"N"}}')"
same bulk_query_too_many_nothing_written 0 \
    "$(sqlite3 "$DB" "SELECT count(*) FROM users WHERE first_name = 'N'")"
expect bulk_query_demotes_last_admin '422 *last admin*' \
    "$(as $RT PATCH /users '{"query":{"filter":{"email":{"_eq":"root@example.com"}}},"data":{"status":"suspended"}}')"

# Others than administrators: within their permission only.
r=$(as $MT PATCH '/users?fields=email' '{"query":{"filter":{"email":{"_ends_with":"@example.com"}},"sort":["email"],"limit":2},"data":{"first_name":"M"}}')
same bulk_manager_query '200 {"data":[{"email":"a1@example.com"},{"email":"a2@example.com"}]}' "$r"
expect bulk_manager_array_outside_403 '403 *FORBIDDEN*' \
    "$(as $MT PATCH /users "[{\"id\":\"$A1\",\"first_name\":\"x\"},{\"id\":\"$ROOT\",\"first_name\":\"x\"}]")"
same bulk_manager_outside_nothing_written 'M' \
    "$(sqlite3 "$DB" "SELECT first_name FROM users WHERE id = '$A1'")"
expect bulk_manager_field_403 '403 *FORBIDDEN*' \
    "$(as $MT PATCH /users "[{\"id\":\"$A1\",\"status\":\"suspended\"}]")"
expect bulk_viewer_403 '403 *FORBIDDEN*' \
    "$(with_token "$(token a1@example.com 'a1 pass')" PATCH /users "[{\"id\":\"$A1\",\"first_name\":\"x\"}]")"

# DELETE: {query}, [ids], {keys}.
n=$(sqlite3 "$DB" 'SELECT count(*) FROM users')
expect bulk_delete_query_too_many '400 *more than 100 users*INVALID_QUERY*' \
    "$(as $RT DELETE /users '{"query":{"filter":{"email":{"_ends_with":"example.com"}}}}')"
same bulk_delete_query_none '204 ' \
    "$(as $RT DELETE /users '{"query":{"filter":{"email":{"_eq":"nobody@example.com"}}}}')"
same bulk_delete_query '204 ' \
    "$(as $RT DELETE /users '{"query":{"filter":{"email":{"_starts_with":"b"}},"limit":100}}')"
same bulk_delete_query_gone "$((n - 100))" "$(sqlite3 "$DB" 'SELECT count(*) FROM users')"
expect bulk_delete_filter_not_allowed '400 {"errors":[{"message":"Invalid payload. \\"filter\\" is not allowed."*' \
    "$(as $RT DELETE /users '{"filter":{"email":{"_eq":"a1@example.com"}}}')"
expect bulk_delete_last_admin '422 *last admin*' \
    "$(as $RT DELETE /users '{"query":{"filter":{"email":{"_eq":"root@example.com"}}}}')"
expect bulk_delete_manager_outside_403 '403 *FORBIDDEN*' \
    "$(as $MT DELETE /users "[\"$A1\",\"$ROOT\"]")"
same bulk_delete_manager_query '204 ' \
    "$(as $MT DELETE /users '{"query":{"filter":{"email":{"_ends_with":"@example.com"}}}}')"
same bulk_delete_manager_only_viewers 'max@example.com root@example.com' \
    "$(sqlite3 "$DB" "SELECT group_concat(email, ' ') FROM (SELECT email FROM users ORDER BY email)")"
