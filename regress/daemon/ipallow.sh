#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# ip-allow and the access flags: a policy's admin and app access count
# where the request comes from an address it lets in, as Directus
# 11.3.5 fetches a request's policies with its ip: the claims of a
# login (Directus signs them with the login's ip), keyd's decisions on
# /users and the worker's on /policies, /roles and /permissions.  The
# tests run on loopback: "lan" lets them in, "far" does not.
. "$(dirname "$0")/../lib.sh"
td_init
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'policy "lan" {' '	id "aaaaaaaa-0000-4000-8000-0000000000b1"' \
    '	ip-allow "127.0.0.0/8" "::1"' '	admin-access yes' '}' \
    'policy "far" {' '	id "aaaaaaaa-0000-4000-8000-0000000000b2"' \
    '	ip-allow "10.0.0.0/8"' '	admin-access yes' '}' \
    'role "local" { id "dddddddd-0000-4000-8000-000000000001"; policy "lan" }' \
    'role "remote" { id "dddddddd-0000-4000-8000-000000000002"; policy "far"; app-access yes }'
td_up ipallow
claims() { jwt_payload "$(j access_token)"; }
echo 'lo pass' | $CTL user add -r local lo@example.com >/dev/null
echo 'rm pass' | $CTL user add -r remote rm@example.com >/dev/null

r=$(login lo@example.com 'lo pass')
c=$(claims)
case "$r $c" in "200 "*'"admin_access":true'*) ok ipallow_login_claims_admin ;;
*) fail ipallow_login_claims_admin "$r $c" ;; esac
TL=$(j access_token)
expect ipallow_users_as_admin '200 {"data":[*' \
    "$(http GET '/users?fields=email' -H "Authorization: Bearer $TL")"
expect ipallow_policies_as_admin '200 {"data":[*' \
    "$(http GET '/policies?fields=name' -H "Authorization: Bearer $TL")"
expect ipallow_globals_admin '200 {"data":{"app_access":false,"admin_access":true,"enforce_tfa":false}}' \
    "$(http GET /policies/me/globals -H "Authorization: Bearer $TL")"

r=$(login rm@example.com 'rm pass')
c=$(claims)
case "$r $c" in "200 "*'"app_access":true,"admin_access":false'*)
	ok ipallow_elsewhere_no_admin ;;
*) fail ipallow_elsewhere_no_admin "$r $c" ;; esac
TR=$(j access_token)
expect ipallow_elsewhere_users_403 '403 *' \
    "$(http GET '/users?fields=email' -H "Authorization: Bearer $TR")"
expect ipallow_elsewhere_policies_403 '403 *' \
    "$(http GET '/policies?fields=name' -H "Authorization: Bearer $TR")"

# /users/me's role.*: the role's policies (its access rows) show to an
# administrator, here one by the address it asks from, as Directus
# 11.3.5 answers; not to one whose admin policy lets in other networks.
expect ipallow_me_role_policies '200 {"data":{"role":{"id":"dddddddd-0000-4000-8000-000000000001",*"policies":["*"]*"users":["*"]*' \
    "$(http GET '/users/me?fields=role.*' -H "Authorization: Bearer $TL")"
r=$(http GET '/users/me?fields=role.*' -H "Authorization: Bearer $TR")
case "$r" in '200 {"data":{"role":{"id":"dddddddd-0000-4000-8000-000000000002",'*)
	case "$r" in *'"policies"'*) fail ipallow_elsewhere_me_role_no_policies "$r" ;;
	*) ok ipallow_elsewhere_me_role_no_policies ;; esac ;;
*) fail ipallow_elsewhere_me_role_no_policies "$r" ;; esac
