#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# rate-limit-shared yes: the auth-rate-limit of /auth/login and
# /auth/refresh counted in PostgreSQL, so that requests spread over two
# hosts are limited as on one; the row of the address holds the count.
. "$(dirname "$0")/../lib.sh"
TD_NAME=pgrate
PREFORK=1
td_init
td_pg_start
case $? in
0) ;;
1) skip pgrate "$TD_PG_WHY"; exit 0 ;;
*) fail pgrate_cluster "$TD_PG_WHY"; exit 1 ;;
esac
ROOT=$T
td_pg_pair pgrate "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'limits {' '	auth-rate-limit 4 per 1h' '	rate-limit-shared yes' '}'
at() { URL=$1; shift; "$@"; }
echo pw | $CTLA user add erin@example.com >/dev/null
r="$(at "$A" login erin@example.com pw | cut -c1-3)"
RT=$(j refresh_token)
r="$r $(at "$A" login erin@example.com pw | cut -c1-3)"
r="$r $(at "$B" login erin@example.com pw | cut -c1-3)"
r="$r $(at "$B" login erin@example.com pw | cut -c1-3)"
same pgrate_four_admitted "200 200 200 200" "$r"
r=$(at "$A" login erin@example.com pw)
case "$r" in 429*REQUESTS_EXCEEDED*) ok pgrate_fifth_refused_a ;;
*) fail pgrate_fifth_refused_a "$r" ;; esac
grep -qi '^Retry-After: [1-9]' "$T/h" && ok pgrate_retry_after ||
    fail pgrate_retry_after "$(cat "$T/h")"
r=$(at "$B" http POST /auth/refresh -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$RT\",\"mode\":\"json\"}")
case "$r" in 429*REQUESTS_EXCEEDED*) ok pgrate_refresh_refused_b ;;
*) fail pgrate_refresh_refused_b "$r" ;; esac
same pgrate_row "127.0.0.1|6" \
    "$(td_pg 'SELECT address, count FROM rate_counts')"
# Other routes keep the workers' counts: /users/me is not limited.
r=$(at "$B" http GET /server/ping)
case "$r" in 200*) ok pgrate_other_routes ;; *) fail pgrate_other_routes "$r" ;; esac
