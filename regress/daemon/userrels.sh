#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Relational fields of /users/me and /users as the real Directus 11.3.5
# answers them for the same roles, policies and users: "policies.*"
# (the access rows) and "policies.policy.*" (their policies), never
# kept in nor served from a worker's cache; "role.*" with the role's
# policies (to administrators) and the users of it the caller may read.  The last
# administrator is also one through a policy it holds itself.
. "$(dirname "$0")/../lib.sh"
need python3
td_init
P1=aaaaaaaa-0000-4000-8000-000000000001
PA=aaaaaaaa-0000-4000-8000-000000000003
R1=bbbbbbbb-0000-4000-8000-000000000001
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    "policy \"p1\" { id \"$P1\"; app-access yes }" \
    "policy \"padmin\" { id \"$PA\"; admin-access yes; app-access yes }" \
    "role \"r1\" { id \"$R1\"; policy \"p1\" }" \
    'role "rv" {' '	id "bbbbbbbb-0000-4000-8000-000000000002"' '	app-access yes' '	permission "directus_users" read {' \
    '		fields id email role' \
    "		filter '{\"email\":{\"_neq\":\"hidden@example.com\"}}'" '	}' '}'
td_up userrels
# keys: the sorted keys of the object at a path of the body, or its JSON.
keys() {
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(",".join(sorted(v)) if isinstance(v, dict) else json.dumps(v))' \
	    "$T/body" "$@" 2>&1
}
me() { http GET "/users/me?fields=$2" -H "Authorization: Bearer $1"; }

RT=$(echo 'root pass' | $CTL user add -r admin root@example.com)
U1=$(echo 'u1 pass' | $CTL user add -r r1 u1@example.com)
U3=$(echo 'u3 pass' | $CTL user add -r r1 u3@example.com)
$CTL user policy add u3@example.com padmin >/dev/null
AD=$(token root@example.com 'root pass')
T1=$(token u1@example.com 'u1 pass')
T3=$(token u3@example.com 'u3 pass')

# policies.*: the access rows (Directus: id, role, user, policy, sort).
r=$(me "$T3" 'policies.*')
[ "${r%% *}" = 200 ] && [ "$(keys data policies 0)" = id,policy,role,sort,user ] &&
    [ "$(keys data policies 0 policy)" = "\"$PA\"" ] &&
    [ "$(keys data policies 0 user)" = "\"$U3\"" ] &&
    [ "$(keys data policies 0 role)" = null ] &&
    ok userrels_me_policies_rows || fail userrels_me_policies_rows "$r"
r=$(me "$T3" 'policies.policy.*')
[ "${r%% *}" = 200 ] && [ "$(keys data policies 0)" = policy ] &&
    [ "$(keys data policies 0 policy)" = admin_access,app_access,description,enforce_tfa,icon,id,ip_access,name,permissions,roles,users ] &&
    [ "$(keys data policies 0 policy name)" = '"padmin"' ] &&
    ok userrels_me_policies_policy || fail userrels_me_policies_policy "$r"
r=$(me "$T3" 'id,policies.policy.name,policies.id')
[ "${r%% *}" = 200 ] && [ "$(keys data)" = id,policies ] &&
    [ "$(keys data policies 0)" = id,policy ] &&
    [ "$(keys data policies 0 policy)" = name ] &&
    ok userrels_me_policies_some || fail userrels_me_policies_some "$r"
expect userrels_me_policies_none '200 {"data":{"policies":[]}}' \
    "$(me "$T1" 'policies.*')"
# The nested answer is this request's alone: a plain request before and
# after it (both from the cache) shows the ids.
for n in 1 2; do
	r=$(me "$T3" '')
	[ "$(keys data policies 0 | head -c 1)" = '"' ] || break
	r=$(me "$T3" 'policies.*')
	[ "$(keys data policies 0)" = id,policy,role,sort,user ] || break
done
[ "$(keys data policies 0)" = id,policy,role,sort,user ] &&
    r=$(me "$T3" 'policies') && [ "$(keys data policies 0 | head -c 1)" = '"' ] &&
    ok userrels_me_policies_not_cached || fail userrels_me_policies_not_cached "$r"
expect userrels_me_policies_unknown_403 '403 *nope*directus_access*FORBIDDEN*' \
    "$(me "$T3" 'policies.nope')"
expect userrels_me_policies_policy_unknown_403 '403 *nope*directus_policies*FORBIDDEN*' \
    "$(me "$T3" 'policies.policy.nope')"
expect userrels_me_policies_role_400 '400 *one relation deep*INVALID_QUERY*' \
    "$(me "$T3" 'policies.role.name')"
expect userrels_me_patch_nested_400 '400 *GET /users/me*INVALID_QUERY*' \
    "$(http PATCH '/users/me?fields=policies.*' -H "Authorization: Bearer $T3" \
    -H 'Content-Type: application/json' -d '{"first_name":"x"}')"

# role.*: Directus 11.3.5 gives a user of app access its role without
# "policies", and itself alone as its users; an administrator the
# role's access rows and every user of it.
r=$(me "$T1" 'role.*')
[ "${r%% *}" = 200 ] && [ "$(keys data role)" = children,description,icon,id,name,parent,users ] &&
    [ "$(keys data role users)" = "[\"$U1\"]" ] &&
    ok userrels_me_role_app || fail userrels_me_role_app "$r"
r=$(me "$T3" 'role.*')
want=$(printf '%s\n' "$U1" "$U3" | sort | sed 's/.*/"&"/' | paste -sd, - | sed 's/,/, /g')
[ "${r%% *}" = 200 ] && [ "$(keys data role)" = children,description,icon,id,name,parent,policies,users ] &&
    [ "$(keys data role users)" = "[$want]" ] &&
    [ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["data"]["role"]["policies"]))' "$T/body")" = 1 ] &&
    ok userrels_me_role_admin || fail userrels_me_role_admin "$r"
r=$(me "$AD" 'role.users,role.name')
[ "$(keys data role)" = name,users ] && [ "$(keys data role users)" = "[\"$RT\"]" ] &&
    ok userrels_me_role_users || fail userrels_me_role_users "$r"
# GET /roles shows the same access row ids as the role's policies.
http GET "/roles/$R1?fields=policies" -H "Authorization: Bearer $AD" >/dev/null
rp=$(keys data policies)
me "$T3" 'role.policies' >/dev/null
[ "$(keys data role policies)" = "$rp" ] && ok userrels_me_role_policies_as_roles ||
    fail userrels_me_role_policies_as_roles "$rp $(cat "$T/body")"

# A role's users are those the caller may read (Directus 11.3.5, for a
# policy that reads users other than "hidden"), in the order of ids.
V1=$(echo 'v1 pass' | $CTL user add -r rv v1@example.com)
V2=$(echo 'v2 pass' | $CTL user add -r rv v2@example.com)
echo 'h pass' | $CTL user add -r rv hidden@example.com >/dev/null
TV=$(token v1@example.com 'v1 pass')
want=$(printf '%s\n' "$V1" "$V2" | sort | sed 's/.*/"&"/' | paste -sd, - | sed 's/,/, /g')
r=$(me "$TV" 'role.users,role.policies')
[ "$(keys data role)" = users ] && [ "$(keys data role users)" = "[$want]" ] &&
    ok userrels_me_role_users_readable || fail userrels_me_role_users_readable "$r"
r=$(http GET "/users/$V2?fields=email,role.*" -H "Authorization: Bearer $TV")
[ "$(keys data role)" = children,description,icon,id,name,parent,users ] &&
    [ "$(keys data role users)" = "[$want]" ] &&
    ok userrels_users_role_users_readable || fail userrels_users_role_users_readable "$r"
r=$(http GET "/users?fields=email,role.*&filter=%7B%22email%22:%7B%22_eq%22:%22u1@example.com%22%7D%7D" \
    -H "Authorization: Bearer $T3")
want=$(printf '%s\n' "$U1" "$U3" | sort | sed 's/.*/"&"/' | paste -sd, - | sed 's/,/, /g')
[ "$(keys data 0 role)" = children,description,icon,id,name,parent,policies,users ] &&
    [ "$(keys data 0 role users)" = "[$want]" ] &&
    ok userrels_users_role_admin || fail userrels_users_role_admin "$r"

# The last administrator: u3 is one through the policy it holds itself.
# The role's administrator may go, then u3 may not lose its policy, be
# suspended or deleted (422, as Directus).
expect userrels_admin_by_role_may_go '204 ' \
    "$(http DELETE "/users/$RT" -H "Authorization: Bearer $T3")"
expect userrels_last_admin_policy_kept '422 *last admin*' \
    "$(http PATCH "/users/$U3" -H "Authorization: Bearer $T3" \
    -H 'Content-Type: application/json' -d '{"policies":[]}')"
expect userrels_last_admin_not_suspended '422 *last admin*' \
    "$(http PATCH "/users/$U3" -H "Authorization: Bearer $T3" \
    -H 'Content-Type: application/json' -d '{"status":"suspended"}')"
expect userrels_last_admin_not_deleted '422 *last admin*' \
    "$(http DELETE "/users/$U3" -H "Authorization: Bearer $T3")"
r=$($CTL user policy list u3@example.com 2>&1)
[ "$r" = "padmin $PA" ] && ok userrels_last_admin_policy_stays ||
    fail userrels_last_admin_policy_stays "$r"
# With another administrator, the policy may go.
U4=$(echo 'u4 pass' | $CTL user add -r admin u4@example.com)
expect userrels_admin_policy_may_go '200 *' \
    "$(http PATCH "/users/$U3" -H "Authorization: Bearer $T3" \
    -H 'Content-Type: application/json' -d '{"policies":[]}')"
