#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The /users admin API, /roles and /permissions: shapes and status codes,
# the query parameters, sessions ended at once, concealed fields, the
# last administrator, injection attempts.
. "$(dirname "$0")/../lib.sh"
need sqlite3
td_init
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}"
td_up users
DB="$T/keyd/db/credentials.db"
ROOT=$(echo 'admin pass' | $CTL user add -r admin root@example.com)
echo 'plain pass' | $CTL user add pat@example.com >/dev/null

# api METHOD PATH [BODY]: as root, with its JWT.
api() { with_token "$RA" "$@"; }
users_count() { sqlite3 "$DB" 'SELECT count(*) FROM users'; }

login root@example.com 'admin pass' >/dev/null; RA=$(j access_token)
login pat@example.com 'plain pass' >/dev/null; PA=$(j access_token)

# Who may ask at all.
expect users_public_403 '403 *directus_users*FORBIDDEN*' "$(http GET /users)"
expect users_public_create_403 '403 *FORBIDDEN*' "$(http POST /users \
    -H 'Content-Type: application/json' -d '{"email":"x@example.com"}')"
expect users_bad_token_401 '401 *INVALID_CREDENTIALS*' \
    "$(http GET /users -H 'Authorization: Bearer not-a-token')"
expect users_two_tokens_400 '400 *INVALID_PAYLOAD*' \
    "$(http GET "/users?access_token=$RA" -H "Authorization: Bearer $RA")"
expect users_no_role_403 '403 *FORBIDDEN*' \
    "$(http GET /users -H "Authorization: Bearer $PA")"
expect users_no_role_patch_403 '403 *FORBIDDEN*' "$(http PATCH /users/$ROOT \
    -H "Authorization: Bearer $PA" -H 'Content-Type: application/json' \
    -d '{"first_name":"x"}')"
expect users_no_role_delete_403 '403 *FORBIDDEN*' \
    "$(http DELETE /users/$ROOT -H "Authorization: Bearer $PA")"
expect users_unknown_method_404 '404 *ROUTE_NOT_FOUND*' "$(api PUT /users)"
expect users_post_id_404 '404 *ROUTE_NOT_FOUND*' "$(api POST /users/$ROOT '{}')"
expect users_deeper_path_404 '404 *ROUTE_NOT_FOUND*' "$(api GET /users/$ROOT/x)"

# Create: one object, the answer re-read with ?fields.
r=$(api POST '/users?fields=id,email,status,role,password' \
    '{"email":"dana@example.com","password":"dana pass","first_name":"Dana"}')
expect users_create_one '200 {"data":{"id":"*","email":"dana@example.com","password":"\*\*\*\*\*\*\*\*\*\*","status":"active","role":null}}' "$r"
DANA=$(j id)
r=$(api POST /users '[{"email":"erin@example.com","password":"erin pass","role":"a0000000-0000-4000-8000-000000000001","status":"draft"},{"email":"fay@example.com","last_name":"F","tags":["x","y"]}]')
expect users_create_array '200 {"data":\[{"id":*"email":"erin@example.com"*"status":"draft"*"role":"a0000000-0000-4000-8000-000000000001"*},{*"email":"fay@example.com"*"password":null*"tags":\["x","y"\]*}]}' "$r"
ERIN=$(sqlite3 "$DB" "SELECT id FROM users WHERE email = 'erin@example.com'")
FAY=$(sqlite3 "$DB" "SELECT id FROM users WHERE email = 'fay@example.com'")
r=$(api POST /users '{"id":"11111111-2222-4333-8444-555555555555","email":"gus@example.com"}')
expect users_create_with_id '200 {"data":{"id":"11111111-2222-4333-8444-555555555555"*' "$r"
n=$(users_count)
expect users_create_duplicate_email '400 *RECORD_NOT_UNIQUE*' \
    "$(api POST /users '{"email":"DANA@example.com"}')"
expect users_create_duplicate_in_batch '400 *RECORD_NOT_UNIQUE*' \
    "$(api POST /users '[{"email":"hal@example.com"},{"email":"hal@example.com"}]')"
expect users_create_batch_all_or_nothing "$n" "$(users_count)"
expect users_create_no_email '400 *email*INVALID_PAYLOAD*' "$(api POST /users '{"first_name":"x"}')"
expect users_create_bad_email '400 *INVALID_PAYLOAD*' "$(api POST /users '{"email":"x@localhost"}')"
expect users_create_unknown_field '400 *INVALID_PAYLOAD*' \
    "$(api POST /users '{"email":"x@example.com","is_admin":true}')"
expect users_create_bad_status '400 *INVALID_PAYLOAD*' \
    "$(api POST /users '{"email":"x@example.com","status":"god"}')"
expect users_create_unknown_role '400 *INVALID_FOREIGN_KEY*' \
    "$(api POST /users '{"email":"x@example.com","role":"99999999-9999-4999-8999-999999999999"}')"
expect users_create_tfa_secret '400 *tfa_secret*INVALID_PAYLOAD*' \
    "$(api POST /users '{"email":"x@example.com","tfa_secret":"AAAA"}')"
expect users_create_not_json '400 *INVALID_PAYLOAD*' "$(api POST /users 'not json')"
expect users_create_empty_array '400 *INVALID_PAYLOAD*' "$(api POST /users '[]')"
many=$(for i in $(seq 1 101); do printf '{"email":"m%d@example.com"},' $i; done)
expect users_create_too_many '400 *INVALID_PAYLOAD*' "$(api POST /users "[${many%,}]")"
{ printf '{"email":"x@example.com","description":"'
    head -c 300000 /dev/zero | tr '\0' a; printf '"}'; } > "$T/big.json"
expect users_body_too_large '413 *INVALID_PAYLOAD*' "$(http POST /users \
    -H "Authorization: Bearer $RA" -H 'Content-Type: application/json' \
    --data-binary @"$T/big.json")"
expect users_bad_creates_changed_nothing "$n" "$(users_count)"
r=$(login dana@example.com 'dana pass')
expect users_created_user_logs_in '200 *access_token*' "$r"
sqlite3 "$DB" "SELECT password FROM users WHERE email = 'dana@example.com'" |
    grep -q '^\$argon2id\$' && ok users_create_password_hashed ||
    fail users_create_password_hashed

# Read: one, list, the query parameters.
same users_read_one "200 {\"data\":{\"id\":\"$DANA\",\"email\":\"dana@example.com\"}}" \
    "$(api GET "/users/$DANA?fields=id,email")"
grep -qi '^Cache-Control: no-store' "$T/h" && grep -qi '^Referrer-Policy: no-referrer' "$T/h" &&
    ok users_answer_not_cached || fail users_answer_not_cached
expect users_read_missing_403 '403 *FORBIDDEN*' \
    "$(api GET /users/99999999-9999-4999-8999-999999999999)"
expect users_read_not_uuid_403 '403 *FORBIDDEN*' "$(api GET /users/nosuchuser)"
expect users_read_long_id_403 '403 *FORBIDDEN*' \
    "$(api GET /users/$DANA$DANA)"
r=$(api GET '/users?fields=email&sort=email')
same users_list_sorted '200 {"data":[{"email":"dana@example.com"},{"email":"erin@example.com"},{"email":"fay@example.com"},{"email":"gus@example.com"},{"email":"pat@example.com"},{"email":"root@example.com"}]}' "$r"
same users_list_desc_limit '200 {"data":[{"email":"root@example.com"},{"email":"pat@example.com"}]}' \
    "$(api GET '/users?fields=email&sort=-email&limit=2')"
same users_list_offset '200 {"data":[{"email":"fay@example.com"}]}' \
    "$(api GET '/users?fields=email&sort=email&limit=1&offset=2')"
same users_list_page '200 {"data":[{"email":"fay@example.com"},{"email":"gus@example.com"}]}' \
    "$(api GET '/users?fields=email&sort=email&limit=2&page=2')"
same users_list_meta '200 {"data":[{"email":"dana@example.com"}],"meta":{"total_count":6,"filter_count":1}}' \
    "$(http GET '/users?fields=email&meta=*&filter=%7B%22first_name%22:%7B%22_eq%22:%22Dana%22%7D%7D' \
    -H "Authorization: Bearer $RA")"
same users_list_filter_in '200 {"data":[{"email":"erin@example.com"},{"email":"fay@example.com"}]}' \
    "$(http GET '/users?fields=email&sort=email' --data-urlencode \
    "filter={\"id\":{\"_in\":[\"$ERIN\",\"$FAY\"]}}" -G -H "Authorization: Bearer $RA")"
same users_list_filter_plus_is_space '200 {"data":[{"email":"dana@example.com"}]}' \
    "$(api GET '/users?fields=email&filter=%7B%22first_name%22:%7B%22_starts_with%22:%22Da%22%7D,%22email%22:%7B%22_ncontains%22:%22+x%22%7D%7D')"
same users_list_filter_role '200 {"data":[{"email":"erin@example.com"},{"email":"root@example.com"}]}' \
    "$(api GET '/users?fields=email&sort=email&filter=%7B%22role%22:%7B%22_nnull%22:true%7D%7D')"
expect users_fields_star '200 {"data":{"id":*"token":null*"theme_dark":null,"policies":\[\]}}' \
    "$(api GET "/users/$DANA?fields=*")"

# Bad queries: 400 INVALID_QUERY; unknown and concealed fields: 403.
expect users_query_bad_filter '400 *INVALID_QUERY*' "$(api GET '/users?filter=nojson')"
expect users_query_bad_limit '400 *INVALID_QUERY*' "$(api GET '/users?limit=abc')"
expect users_query_bad_meta '400 *INVALID_QUERY*' "$(api GET '/users?meta=everything')"
expect users_query_bad_page '400 *INVALID_QUERY*' "$(api GET '/users?page=0')"
expect users_query_twice '400 *INVALID_QUERY*' "$(api GET '/users?limit=1&limit=2')"
expect users_query_brackets '400 *INVALID_QUERY*' \
    "$(api GET '/users?filter%5Bemail%5D%5B_eq%5D=x')"
expect users_query_unknown_field '403 *nonexistent*FORBIDDEN*' \
    "$(api GET '/users?fields=nonexistent')"
expect users_query_unknown_sort '403 *FORBIDDEN*' "$(api GET '/users?sort=nonexistent')"
expect users_query_filter_password '403 *concealed*FORBIDDEN*' \
    "$(api GET '/users?filter=%7B%22password%22:%7B%22_nnull%22:true%7D%7D')"
expect users_query_filter_token '403 *concealed*FORBIDDEN*' \
    "$(api GET '/users?filter=%7B%22token%22:%7B%22_starts_with%22:%22a%22%7D%7D')"
expect users_query_sort_tfa '403 *concealed*FORBIDDEN*' "$(api GET '/users?sort=-tfa_secret')"
deep='{"_and":[{"_and":[{"_and":[{"_and":[{"_and":[{"_and":[{"_and":[{"_and":[{"_and":[{"_and":[{"email":{"_eq":"x"}}]}]}]}]}]}]}]}]}]}]}'
expect users_query_too_deep '400 *INVALID_QUERY*' \
    "$(http GET /users --data-urlencode "filter=$deep" -G -H "Authorization: Bearer $RA")"

# Injection attempts: values are bound, names are checked.
n=$(users_count)
for q in "filter={\"email\":{\"_eq\":\"x' OR '1'='1\"}}" \
    "filter={\"email\\\" OR 1=1 --\":{\"_eq\":\"x\"}}" \
    "filter={\"email\":{\"_in\":[\"a'); DROP TABLE users; --\"]}}" \
    "sort=email; DROP TABLE users" "sort=-(SELECT password FROM users)" \
    "fields=id,(SELECT password FROM users)" "fields=email FROM users; --" \
    "limit=1; DROP TABLE users" "offset=0 UNION SELECT password FROM users"; do
	r=$(http GET /users --data-urlencode "$q" -G -H "Authorization: Bearer $RA")
	case "$r" in '200 {"data":[]}'|"400 "*INVALID_QUERY*|"403 "*FORBIDDEN*) ;;
	*) echo "$q: $r" ;; esac
done > "$T/inject"
[ -s "$T/inject" ] && fail users_injection_refused "$(head -3 "$T/inject")" ||
    ok users_injection_refused
expect users_injection_table_intact "$n" "$(users_count)"
grep -q 'argon2' "$T/body" && fail users_injection_no_hash_leak || ok users_injection_no_hash_leak

# Update: one, several; what ends sessions.
same users_update_one "200 {\"data\":{\"first_name\":\"Danielle\",\"tags\":[\"a\"]}}" \
    "$(api PATCH "/users/$DANA?fields=first_name,tags" '{"first_name":"Danielle","tags":["a"]}')"
same users_update_keys '200 {"data":[{"last_name":"Same"},{"last_name":"Same"}]}' \
    "$(api PATCH '/users?fields=last_name' "{\"keys\":[\"$ERIN\",\"$FAY\"],\"data\":{\"last_name\":\"Same\"}}")"
expect users_update_missing_204 '204 ' \
    "$(api PATCH /users/99999999-9999-4999-8999-999999999999 '{"first_name":"x"}')"
expect users_update_bad_keys '400 *INVALID_PAYLOAD*' "$(api PATCH /users '{"keys":"x","data":{}}')"
# An array of users with their ids is Directus 11's batch update
# (users_bulk.sh); one without an id is refused.
expect users_update_array_no_id_400 '400 *misses primary key*INVALID_PAYLOAD*' \
    "$(api PATCH /users '[{"first_name":"x"}]')"
expect users_update_array "200 {\"data\":[{\"id\":\"$DANA\"*" \
    "$(api PATCH /users "[{\"id\":\"$DANA\"}]")"
expect users_update_id_400 '400 *INVALID_PAYLOAD*' "$(api PATCH /users/$DANA "{\"id\":\"$FAY\"}")"
expect users_update_duplicate_email '400 *RECORD_NOT_UNIQUE*' \
    "$(api PATCH /users/$DANA '{"email":"erin@example.com"}')"
expect users_update_bad_status '400 *INVALID_PAYLOAD*' "$(api PATCH /users/$DANA '{"status":"x"}')"
expect users_update_last_access '400 *INVALID_PAYLOAD*' \
    "$(api PATCH /users/$DANA '{"last_access":"2020-01-01T00:00:00Z"}')"

# A static token set by an admin: stored hashed, read back concealed.
r=$(api PATCH "/users/$DANA?fields=token" '{"token":"dana-static-token-0001"}')
same users_token_set '200 {"data":{"token":"**********"}}' "$r"
expect users_token_works '200 *dana@example.com*' \
    "$(http GET /users/me -H 'Authorization: Bearer dana-static-token-0001')"
strings "$DB" "$DB-wal" 2>/dev/null | grep -q dana-static-token-0001 &&
    fail users_token_stored_hashed || ok users_token_stored_hashed
expect users_token_unique '400 *token*RECORD_NOT_UNIQUE*' \
    "$(api PATCH /users/$FAY '{"token":"dana-static-token-0001"}')"

# Suspension ends everything at once: JWT, refresh token, static token.
login dana@example.com 'dana pass' >/dev/null; DA=$(j access_token); DR=$(j refresh_token)
expect users_before_suspend '200 *' "$(http GET /users/me -H "Authorization: Bearer $DA")"
same users_suspend '200 {"data":{"status":"suspended"}}' \
    "$(api PATCH "/users/$DANA?fields=status" '{"status":"suspended"}')"
expect users_suspended_jwt_fails '401 *' "$(http GET /users/me -H "Authorization: Bearer $DA")"
expect users_suspended_static_fails '401 *' \
    "$(http GET /users/me -H 'Authorization: Bearer dana-static-token-0001')"
expect users_suspended_refresh_fails '401 *' "$(http POST /auth/refresh \
    -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$DR\"}")"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM sessions WHERE user_id = '$DANA'")" = 0 ] &&
    ok users_suspend_ends_sessions || fail users_suspend_ends_sessions
api PATCH "/users/$DANA" '{"status":"active"}' >/dev/null
expect users_reactivated_refresh_still_dead '401 *' "$(http POST /auth/refresh \
    -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$DR\"}")"
expect users_reactivated_static_works '200 *' \
    "$(http GET /users/me -H 'Authorization: Bearer dana-static-token-0001')"

# A new password set by an admin ends that user's sessions.
login dana@example.com 'dana pass' >/dev/null; DR=$(j refresh_token)
expect users_password_change '200 *' "$(api PATCH "/users/$DANA" '{"password":"dana new pass"}')"
expect users_password_ends_sessions '401 *' "$(http POST /auth/refresh \
    -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$DR\"}")"
expect users_old_password_fails '401 *' "$(login dana@example.com 'dana pass')"
expect users_new_password_works '200 *' "$(login dana@example.com 'dana new pass')"

# Deleting ends everything at once too.
DA=$(j access_token); DR=$(j refresh_token)
expect users_delete_one '204 ' "$(api DELETE /users/$DANA)"
expect users_deleted_jwt_fails '401 *' "$(http GET /users/me -H "Authorization: Bearer $DA")"
expect users_deleted_static_fails '401 *' \
    "$(http GET /users/me -H 'Authorization: Bearer dana-static-token-0001')"
expect users_deleted_refresh_fails '401 *' "$(http POST /auth/refresh \
    -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$DR\"}")"
expect users_deleted_read_403 '403 *FORBIDDEN*' "$(api GET /users/$DANA)"
expect users_delete_missing_204 '204 ' "$(api DELETE /users/$DANA)"
expect users_delete_array '204 ' "$(api DELETE /users "[\"$FAY\"]")"
expect users_delete_keys '204 ' "$(api DELETE /users '{"keys":["11111111-2222-4333-8444-555555555555"]}')"
expect users_delete_bad_body '400 *INVALID_PAYLOAD*' "$(api DELETE /users '{"keys":[1]}')"
same users_after_deletes '200 {"data":[{"email":"erin@example.com"},{"email":"pat@example.com"},{"email":"root@example.com"}]}' \
    "$(api GET '/users?fields=email&sort=email')"

# The last active administrator stays.
expect users_last_admin_delete '422 *last admin*UNPROCESSABLE_CONTENT*' "$(api DELETE /users/$ROOT)"
expect users_last_admin_suspend '422 *UNPROCESSABLE_CONTENT*' \
    "$(api PATCH /users/$ROOT '{"status":"suspended"}')"
expect users_last_admin_demote '422 *UNPROCESSABLE_CONTENT*' "$(api PATCH /users/$ROOT '{"role":null}')"
expect users_last_admin_batch '422 *UNPROCESSABLE_CONTENT*' \
    "$(api DELETE /users "[\"$ROOT\",\"$ERIN\"]")"
expect users_second_admin '200 *' "$(api PATCH /users/$ERIN '{"status":"active"}')"
same users_admin_demoted_with_another '200 {"data":{"role":null}}' \
    "$(api PATCH "/users/$ERIN?fields=role" '{"role":null}')"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM users WHERE id = '$ROOT' AND status = 'active'")" = 1 ] &&
    ok users_last_admin_intact || fail users_last_admin_intact

# A page too large for one answer is refused, not cut; fewer fields fit.
sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
    INSERT INTO users (id, email, description) SELECT printf('00000000-0000-4000-8000-%012d', i),
    printf('bulk%d@example.com', i), printf('%.4000c', 'x') FROM n"
expect users_page_too_large '400 *larger than*INVALID_QUERY*' "$(api GET '/users?limit=-1')"
r=$(api GET '/users?limit=-1&fields=id')
[ "$(echo "$r" | grep -o '"id"' | wc -l)" -eq 303 ] && ok users_page_fewer_fields ||
    fail users_page_fewer_fields "${r:0:100}"
sqlite3 "$DB" "DELETE FROM users WHERE email LIKE 'bulk%'"

# /roles and /permissions: read-only, administrators only.
same roles_admin "200 {\"data\":[{\"id\":\"a0000000-0000-4000-8000-000000000001\",\"name\":\"Administrator\",\"icon\":\"verified\",\"description\":\"\$t:admin_description\",\"parent\":null,\"children\":[],\"policies\":[\"$(api GET '/access?fields=id&limit=1' | sed 's/.*"id":"\([^"]*\)".*/\1/')\"],\"users\":[\"$ROOT\"]}]}" \
    "$(api GET /roles)"
same roles_one_fields '200 {"data":{"name":"Administrator"}}' \
    "$(api GET '/roles/a0000000-0000-4000-8000-000000000001?fields=name')"
expect roles_missing_403 '403 *FORBIDDEN*' "$(api GET /roles/99999999-9999-4999-8999-999999999999)"
expect roles_public_403 '403 *FORBIDDEN*' "$(http GET /roles)"
expect roles_no_role_403 '403 *FORBIDDEN*' "$(http GET /roles -H "Authorization: Bearer $PA")"
expect roles_bad_token_401 '401 *' "$(http GET /roles -H 'Authorization: Bearer nope')"
# No permission is configured: Directus adds the app's minimal ones.
expect permissions_admin '200 {"data":[{"policy":null,"permissions":{},"validation":null,"presets":null,"fields":["*"],"system":true,"collection":"directus_collections","action":"read"}*' \
    "$(api GET /permissions)"
expect permissions_missing_403 '403 *FORBIDDEN*' "$(api GET /permissions/1)"
expect permissions_public_403 '403 *FORBIDDEN*' "$(http GET /permissions)"
for m in POST PATCH DELETE; do
	expect roles_${m}_403 '403 *tokend.conf*FORBIDDEN*' "$(api $m /roles '{"name":"x"}')"
	expect permissions_${m}_403 '403 *tokend.conf*FORBIDDEN*' \
	    "$(api $m /permissions/1 '{"action":"read"}')"
done
expect roles_put_404 '404 *ROUTE_NOT_FOUND*' "$(api PUT /roles '{}')"

grep -q 'dana pass\|dana new pass\|dana-static-token-0001\|erin pass' "$T/log" &&
    fail users_no_secrets_in_log || ok users_no_secrets_in_log
kill -0 "$(td_keyd)" 2>/dev/null && ok users_keyd_alive || fail users_keyd_alive

# One schema: /users/<id> shows a user as /users/me shows it to itself,
# member for member, and a NUL in a string is refused as a bad body.
login root@example.com 'admin pass' >/dev/null; RA=$(j access_token)
ME=$(http GET /users/me -H "Authorization: Bearer $RA")
RID=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$ME" | head -1)
expect users_self_shape '200 {"data":{"id":*"theme_dark":*}}' "$ME"
same users_self_same_json "${ME/,\"enforce_tfa\":false/}" "$(api GET "/users/$RID")"
expect users_nul_refused '400 *INVALID_PAYLOAD*' \
    "$(api PATCH "/users/$RID" '{"first_name":"ro\u0000ot"}')"
