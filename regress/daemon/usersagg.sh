#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# aggregate and groupBy on /users, in SQL with the permission's filter
# applied before aggregation, in the shape the real Directus 11.3.5
# answers (GET /users?aggregate[count]=*&groupBy[]=role gave
# [{"role":"...","count":2},...], the groups in the order of the
# groupBy values); never over a concealed field (Directus 11.3.5 gives
# aggregate[min]=password's hash), nor over a field a merge of
# policies shows in some rows only.
. "$(dirname "$0")/../lib.sh"
need python3
td_init
RV=bbbbbbbb-0000-4000-8000-000000000002
RM=bbbbbbbb-0000-4000-8000-000000000003
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'role "rv" {' "	id \"$RV\"" '	app-access yes' \
    '	permission "directus_users" read {' '		fields id email role' \
    "		filter '{\"email\":{\"_neq\":\"hidden@example.com\"}}'" '	}' '}' \
    'policy "pa" {' '	id "aaaaaaaa-0000-4000-8000-00000000000a"' \
    '	permission "directus_users" read {' '		fields id email' \
    "		filter '{\"email\":{\"_starts_with\":\"v\"}}'" '	}' '}' \
    'policy "pb" {' '	id "aaaaaaaa-0000-4000-8000-00000000000b"' \
    '	permission "directus_users" read {' \
    '		fields id email first_name' \
    "		filter '{\"email\":{\"_starts_with\":\"m\"}}'" '	}' '}' \
    "role \"rm\" { id \"$RM\"; policy \"pa\"; policy \"pb\" }"
td_up usersagg
echo 'root pass' | $CTL user add -r admin root@example.com >/dev/null
for u in v1 v2 hidden; do
	echo "$u pass" | $CTL user add -r rv $u@example.com >/dev/null
done
echo 'm pass' | $CTL user add -r rm m1@example.com >/dev/null
AD=$(token root@example.com 'root pass')
TV=$(token v1@example.com 'v1 pass')
TM=$(token m1@example.com 'm pass')
as() { _t=$1; shift; http GET "$@" -H "Authorization: Bearer $_t" -g; }

expect usersagg_count '200 {"data":[{"count":5}]}' \
    "$(as "$AD" '/users?aggregate[count]=*')"
expect usersagg_group_role "200 {\"data\":[{\"role\":\"a0000000-0000-4000-8000-000000000001\",\"count\":1},{\"role\":\"$RV\",\"count\":3},{\"role\":\"$RM\",\"count\":1}]}" \
    "$(as "$AD" '/users?aggregate[count]=*&groupBy[]=role')"
expect usersagg_sort_count "200 {\"data\":[{\"role\":\"$RV\",\"count\":3},{\"role\":\"a0000000-0000-4000-8000-000000000001\",\"count\":1},{\"role\":\"$RM\",\"count\":1}]}" \
    "$(as "$AD" '/users?aggregate[count]=*&groupBy[]=role&sort=-count')"
expect usersagg_count_distinct '200 {"data":[{"countDistinct":{"role":3}}]}' \
    "$(as "$AD" '/users?aggregate[countDistinct]=role')"
expect usersagg_plain_form '200 {"data":[{"status":"active","count":{"id":5}}]}' \
    "$(as "$AD" '/users?aggregate={"count":"id"}&groupBy=status')"
expect usersagg_group_only '200 {"data":[{"status":"active"}]}' \
    "$(as "$AD" '/users?groupBy[]=status')"
expect usersagg_meta '200 {"data":[{"count":{"id":5}}],"meta":{"total_count":5}}' \
    "$(as "$AD" '/users?aggregate[count]=id&meta=total_count')"
expect usersagg_filter '200 {"data":[{"max":{"email":"v2@example.com"}}]}' \
    "$(as "$AD" '/users?aggregate[max]=email&filter={"role":{"_eq":"'$RV'"}}')"
r=$(http SEARCH /users -H "Authorization: Bearer $AD" \
    -H 'Content-Type: application/json' \
    -d '{"query":{"aggregate":{"count":"*"},"groupBy":["status"]}}')
expect usersagg_search_body '200 {"data":[{"status":"active","count":5}]}' "$r"
# Secrets are never aggregated, not even for an administrator.
expect usersagg_password_403 '403 *password*FORBIDDEN*' \
    "$(as "$AD" '/users?aggregate[min]=password')"
expect usersagg_token_403 '403 *token*FORBIDDEN*' \
    "$(as "$AD" '/users?groupBy[]=token')"
expect usersagg_one_user_400 '400 *aggregate*INVALID_QUERY*' \
    "$(as "$AD" "/users/x?aggregate[count]=*")"
expect usersagg_activity_400 '400 *aggregate*activity*INVALID_QUERY*' \
    "$(as "$AD" '/activity?aggregate[count]=*')"
expect usersagg_bad_function_400 '400 *INVALID_QUERY*' \
    "$(as "$AD" '/users?aggregate[nope]=id')"
expect usersagg_twice_400 '400 *aggregate*more than once*INVALID_QUERY*' \
    "$(as "$AD" '/users?aggregate={"count":"*"}&aggregate[count]=id')"

# The permission's filter comes first: v1 counts none of "hidden"
# (Directus 11.3.5 counted 7 of its 8 users the same way).
expect usersagg_perm_filter "200 {\"data\":[{\"role\":\"a0000000-0000-4000-8000-000000000001\",\"count\":1},{\"role\":\"$RV\",\"count\":2},{\"role\":\"$RM\",\"count\":1}]}" \
    "$(as "$TV" '/users?aggregate[count]=*&groupBy[]=role')"
expect usersagg_perm_field_403 '403 *first_name*FORBIDDEN*' \
    "$(as "$TV" '/users?aggregate[max]=first_name')"
expect usersagg_perm_filter_field_403 '403 *first_name*FORBIDDEN*' \
    "$(as "$TV" '/users?aggregate[count]=*&filter={"first_name":{"_null":true}}')"
# Two policies: email shows in every row either lets through, first_name
# only in pb's; an aggregate over it would tell what pa's rows hide.
expect usersagg_merged_everywhere '200 {"data":[{"count":{"email":3}}]}' \
    "$(as "$TM" '/users?aggregate[count]=email')"
expect usersagg_merged_partial_403 '403 *first_name*FORBIDDEN*' \
    "$(as "$TM" '/users?aggregate[count]=first_name')"
