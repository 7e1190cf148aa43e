#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Policies (Directus 11): a signed-in user gets the union of its role's
# policies and the public policy; two policies on one collection show
# each row's fields where their own filters match (the answers of the
# real Directus 11.3.5 for the same policies and items); admin access
# through a policy; ip-allow keeps a policy to the networks it lists;
# the role's own lines keep working as its own policy.
. "$(dirname "$0")/../lib.sh"
need python3 sqlite3
td_init
P1=aaaaaaaa-0000-4000-8000-000000000001
P2=aaaaaaaa-0000-4000-8000-000000000002
R1=bbbbbbbb-0000-4000-8000-000000000001
R12=bbbbbbbb-0000-4000-8000-000000000012
CHIEF=bbbbbbbb-0000-4000-8000-000000000003
REMOTE=bbbbbbbb-0000-4000-8000-000000000004
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'collection "articles" { fields "title" "body" "status" "author" }' \
    'policy "p1" {' "	id \"$P1\"" '	permission "articles" read {' \
    '		fields "id" "title" "status"' \
    "		filter '{\"status\":{\"_eq\":\"published\"}}'" '	}' '}' \
    'policy "p2" {' "	id \"$P2\"" '	permission "articles" read {' \
    '		fields "id" "body" "author"' \
    "		filter '{\"author\":{\"_eq\":\"bob\"}}'" '	}' '}' \
    'policy "boss" { id "aaaaaaaa-0000-4000-8000-000000000005"; admin-access yes }' \
    'policy "office" {' '	id "aaaaaaaa-0000-4000-8000-000000000006"' \
    '	ip-allow "127.0.0.0/8" "::1"' '	permission "articles" update' '}' \
    'policy "far" {' '	id "aaaaaaaa-0000-4000-8000-000000000007"' \
    '	ip-allow "10.0.0.0/8"' '	admin-access yes' \
    '	permission "articles" delete' '}' \
    "role \"r1\" { id \"$R1\"; policy \"p1\" }" \
    "role \"r12\" { id \"$R12\"; policy \"p1\"; policy \"p2\"; app-access yes }" \
    "role \"chief\" { id \"$CHIEF\"; policy \"boss\" }" \
    "role \"remote\" { id \"$REMOTE\"; policy \"far\"; policy \"office\" }" \
    'public {' '	permission "articles" read {' '		fields "id" "status"' \
    "		filter '{\"status\":{\"_eq\":\"archived\"}}'" '	}' '}'
td_up policies
claims() { jwt_payload "$(j access_token)"; }
# norm: the JSON of stdin with sorted keys, to compare with Directus's.
norm() {
	python3 -c 'import json, sys
print(json.dumps(json.loads(sys.stdin.read()), sort_keys=True))' 2>&1
}
same() {
	_got=$(printf %s "$3" | norm)
	_want=$(printf %s "$2" | norm)
	[ "$_got" = "$_want" ] && ok "$1" || fail "$1" "$3"
}
read_as() {
	if [ -n "$1" ]; then
		http GET "/items/articles$2" -H "Authorization: Bearer $1" -g
	else
		http GET "/items/articles$2" -g
	fi >/dev/null
	cat "$T/body"
}

echo 'admin pass' | $CTL user add -r admin root@example.com >/dev/null
for u in u1:r1 u12:r12 ch:chief rm:remote; do
	echo "${u%%:*} pass" | $CTL user add -r "${u#*:}" "${u%%:*}@example.com" >/dev/null
done
AD=$(token root@example.com 'admin pass')
r=$(http POST /items/articles -H "Authorization: Bearer $AD" \
    -H 'Content-Type: application/json' -d '[
    {"title":"a","body":"b1","status":"published","author":"alice"},
    {"title":"b","body":"b2","status":"draft","author":"bob"},
    {"title":"c","body":"b3","status":"published","author":"bob"},
    {"title":"d","body":"b4","status":"archived","author":"carol"},
    {"title":"e","body":"b5","status":"draft","author":"carol"}]')
expect policies_seed '200 *' "$r"

# The public policy alone; a user of a role gets its role's policies and
# not the public's (Directus 11.3.5: the public policy is for callers of
# no role); a user of no role holding policies gets theirs and the
# public's, united (below).
same policies_public '{"data":[{"id":4,"status":"archived"}]}' \
    "$(read_as "" "")"
T1=$(token u1@example.com 'u1 pass')
same policies_role_not_public '{"data":[{"id":1,"status":"published","title":"a"},{"id":3,"status":"published","title":"c"}]}' \
    "$(read_as "$T1" "")"
T12=$(token u12@example.com 'u12 pass')
c=$(claims)
case "$c" in *'"app_access":true,"admin_access":false'*) ok policies_r12_claims ;;
*) fail policies_r12_claims "$c" ;; esac
R12='{"data":[{"id":1,"status":"published","title":"a","body":null,"author":null},{"id":2,"status":null,"title":null,"body":"b2","author":"bob"},{"id":3,"status":"published","title":"c","body":"b3","author":"bob"}]}'
U12='{"data":[{"id":1,"status":"published","title":"a","body":null,"author":null},{"id":2,"status":null,"title":null,"body":"b2","author":"bob"},{"id":3,"status":"published","title":"c","body":"b3","author":"bob"},{"id":4,"status":"archived","title":null,"body":null,"author":null}]}'
same policies_two_policies_fields_by_row "$R12" "$(read_as "$T12" "")"
same policies_two_policies_fields_asked "$R12" \
    "$(read_as "$T12" "?fields=id,title,body,status,author")"
same policies_filter_on_stored_values '{"data":[{"id":1,"title":"a"}]}' \
    "$(read_as "$T12" '?fields=id,title&filter={"body":{"_eq":"b1"}}')"
r=$(http GET '/items/articles?fields=body' -H "Authorization: Bearer $T1")
expect policies_field_no_policy_covers_403 '403 *FORBIDDEN*' "$r"

# Admin access through a policy of the role.
r=$(login ch@example.com 'ch pass')
c=$(claims)
case "$r $c" in "200 "*'"admin_access":true'*) ok policies_admin_via_policy ;;
*) fail policies_admin_via_policy "$r $c" ;; esac
TC=$(j access_token)
r=$(http DELETE /items/articles/5 -H "Authorization: Bearer $TC")
expect policies_admin_via_policy_deletes '204 ' "$r"

# ip-allow: "office" (loopback) applies, "far" (10/8) does not, neither
# its admin access nor its delete.
r=$(login rm@example.com 'rm pass')
c=$(claims)
case "$r $c" in "200 "*'"admin_access":false'*) ok policies_ip_allow_no_admin ;;
*) fail policies_ip_allow_no_admin "$r $c" ;; esac
TR=$(j access_token)
r=$(http PATCH /items/articles/2 -H "Authorization: Bearer $TR" \
    -H 'Content-Type: application/json' -d '{"title":"b2"}')
# No read permission: 204, as Directus answers an update it cannot show.
expect policies_ip_allow_applies '204 ' "$r"
[ "$(sqlite3 "$T/empty/data/items.db" "SELECT json_extract(doc, '$.title') FROM items_articles WHERE id = 2")" = b2 ] &&
    ok policies_ip_allow_update_written ||
    fail policies_ip_allow_update_written
r=$(http DELETE /items/articles/2 -H "Authorization: Bearer $TR")
expect policies_ip_allow_elsewhere_403 '403 *FORBIDDEN*' "$r"

# Policies a user of no role holds itself (tokenctl user policy): with
# the public one; listed; added twice or unknown, refused; taken
# away, gone from the next request of the same token (the workers
# forget what they kept of the user).
echo 'up pass' | $CTL user add up@example.com >/dev/null
out=$($CTL user policy add up@example.com p1 2>&1) &&
    out2=$($CTL user policy add up@example.com "$P2" 2>&1) &&
    ok policies_user_add || fail policies_user_add "$out $out2"
out=$($CTL user policy add up@example.com p1 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "holds the policy already" &&
    ok policies_user_add_twice_refused || fail policies_user_add_twice_refused "$out"
out=$($CTL user policy add up@example.com nope 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "unknown policy" &&
    ok policies_user_add_unknown_refused ||
    fail policies_user_add_unknown_refused "$out"
out=$($CTL user policy list up@example.com 2>&1)
[ "$out" = "p1 $P1
p2 $P2" ] && ok policies_user_list || fail policies_user_list "$out"
TU=$(token up@example.com 'up pass')
same policies_user_policies_union "$U12" "$(read_as "$TU" "")"
# Its access rows, as Directus 11 nests them ("policies.*").
UP=$(http GET '/users?fields=id&filter={"email":{"_eq":"up@example.com"}}' \
    -g -H "Authorization: Bearer $AD" | sed 's/.*"id":"\([^"]*\)".*/\1/')
r=$(http GET "/users/$UP?fields=email,policies.policy,policies.user,policies.sort" \
    -H "Authorization: Bearer $AD")
expect policies_user_access_rows "200 {\"data\":{\"email\":\"up@example.com\",\"policies\":[{\"user\":\"$UP\",\"policy\":\"$P1\",\"sort\":1},{\"user\":\"$UP\",\"policy\":\"$P2\",\"sort\":2}]}}" "$r"
# The rows though "id" is not asked for, one user and the list
# (Directus 11.3.5: the access rows; tokend gave their ids).
r=$(http GET "/users/$UP?fields=policies.*" -H "Authorization: Bearer $AD")
expect policies_user_access_rows_without_id "200 {\"data\":{\"policies\":[{\"id\":\"*\",\"role\":null,\"user\":\"$UP\",\"policy\":\"$P1\",\"sort\":1},{\"id\":\"*\",\"role\":null,\"user\":\"$UP\",\"policy\":\"$P2\",\"sort\":2}]}}" "$r"
r=$(http GET '/users?fields=email,policies.policy&filter={"email":{"_eq":"up@example.com"}}' \
    -g -H "Authorization: Bearer $AD")
expect policies_user_list_access_rows "200 {\"data\":[{\"email\":\"up@example.com\",\"policies\":[{\"policy\":\"$P1\"},{\"policy\":\"$P2\"}]}]}" "$r"
# GET /access and a policy's users and roles list the rows of the
# policies users hold themselves too (keyd keeps them), as Directus
# 11.3.5 lists every row of directus_access.
r=$(http GET '/access?fields=user,policy,sort&filter={"user":{"_nnull":true}}' \
    -g -H "Authorization: Bearer $AD")
expect policies_access_user_rows "200 {\"data\":[{\"user\":\"$UP\",\"policy\":\"$P1\",\"sort\":1},{\"user\":\"$UP\",\"policy\":\"$P2\",\"sort\":2}]}" "$r"
RID=$(http GET "/users/$UP?fields=policies.id" -H "Authorization: Bearer $AD" |
    sed 's/.*"policies":\[{"id":"\([^"]*\)".*/\1/')
r=$(http GET "/access/$RID?fields=user,policy" -H "Authorization: Bearer $AD")
expect policies_access_user_row_one "200 {\"data\":{\"user\":\"$UP\",\"policy\":\"$P1\"}}" "$r"
r=$(http GET "/policies/$P1?fields=users,roles" -H "Authorization: Bearer $AD")
case "$r" in "200 "*"\"users\":["*"\"$RID\""*"\"roles\":["*"\"$RID\""*) ok policies_policy_users_held ;;
*) fail policies_policy_users_held "$r" ;; esac
out=$($CTL user policy del up@example.com p2 2>&1) ||
    fail policies_user_del "$out"
same policies_user_del_applies_at_once '{"data":[{"id":1,"status":"published","title":"a"},{"id":3,"status":"published","title":"c"},{"id":4,"status":"archived","title":null}]}' \
    "$(read_as "$TU" "")"
out=$($CTL user policy del up@example.com p2 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "does not hold" &&
    ok policies_user_del_absent_refused || fail policies_user_del_absent_refused "$out"
$CTL user policy add up@example.com boss >/dev/null 2>&1
r=$(login up@example.com 'up pass')
c=$(claims)
case "$r $c" in "200 "*'"admin_access":true'*) ok policies_user_admin_policy ;;
*) fail policies_user_admin_policy "$r $c" ;; esac
$CTL user policy del up@example.com boss >/dev/null 2>&1
r=$(login up@example.com 'up pass')
c=$(claims)
case "$r $c" in "200 "*'"admin_access":false'*) ok policies_user_admin_policy_gone ;;
*) fail policies_user_admin_policy_gone "$r $c" ;; esac

# PATCH /users/:id {"policies": ...} in Directus 11's shapes (admins
# only): the change adds access rows, "policies" lists their ids, a
# delete names one; the whole list replaces them; a policy that is not
# configured is refused.
UPID=$(http GET '/users?filter={"email":{"_eq":"up@example.com"}}&fields=id' -g \
    -H "Authorization: Bearer $AD" >/dev/null; j id)
patch_user() {
	http PATCH "/users/$UPID" -H "Authorization: Bearer $1" \
	    -H 'Content-Type: application/json' -d "$2"
}
r=$(patch_user "$AD" "{\"policies\":{\"create\":[{\"policy\":\"$P2\"}],\"update\":[],\"delete\":[]}}")
expect policies_patch_create '200 {"data":{*"policies":\["????????-????-????-????-????????????","????????-????-????-????-????????????"\]*' "$r"
ROW2=$(sed -n 's/.*"policies":\["[^"]*","\([^"]*\)"\].*/\1/p' "$T/body")
out=$($CTL user policy list up@example.com 2>&1)
[ "$out" = "p1 $P1
p2 $P2" ] && ok policies_patch_create_applied || fail policies_patch_create_applied "$out"
same policies_patch_create_reads "$U12" "$(read_as "$TU" "")"
r=$(patch_user "$AD" "{\"policies\":{\"delete\":[\"$ROW2\"]}}")
expect policies_patch_delete '200 {"data":{*"policies":\["????????-????-????-????-????????????"\]*' "$r"
r=$(patch_user "$AD" "{\"policies\":[{\"policy\":\"$P2\"}]}")
out=$($CTL user policy list up@example.com 2>&1)
[ "${r%% *}" = 200 ] && [ "$out" = "p2 $P2" ] && ok policies_patch_replace ||
    fail policies_patch_replace "$r $out"
r=$(patch_user "$AD" '{"policies":[{"policy":"11111111-1111-4111-8111-111111111111"}]}')
expect policies_patch_unknown_400 '400 *INVALID_FOREIGN_KEY*' "$r"
r=$(patch_user "$AD" '{"policies":{"create":[{"policy":"x"}]}}')
expect policies_patch_malformed_400 '400 *INVALID_PAYLOAD*' "$r"
r=$(patch_user "$TU" "{\"policies\":[{\"policy\":\"$P1\"}]}")
expect policies_patch_not_admin_403 '403 *FORBIDDEN*' "$r"
exit 0
