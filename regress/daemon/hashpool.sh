#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The hashing pool is bounded: a full queue answers 503 at once instead
# of piling up work, and a stored hash with absurd parameters is refused
# without tying up the machine.
. "$(dirname "$0")/../lib.sh"
need sqlite3
td_init
td_conf 'password {' '	memory 32M' '	iterations 2' '	parallelism 1' \
    '	threads 1' '	queue 2' '}' 'auth {' '	login-stall 10ms' '}'
td_start || { fail hashpool_start "$(tail -5 $T/log)"; exit 1; }
CTL="$TOKENCTL -s $T/tokend.sock"
echo 'pool pass' | $CTL user add pool@example.com >/dev/null
: > "$T/codes"
logins_at_once 12 '{"email":"pool@example.com","password":"pool pass"}' \
    "$T/codes"
n503=$(grep -c '^503' "$T/codes"); n200=$(grep -c '^200' "$T/codes")
[ "$n503" -ge 1 ] && [ "$n200" -ge 2 ] && [ $((n503 + n200)) -eq 12 ] &&
    ok hashpool_full_queue_503 || fail hashpool_full_queue_503 "$(sort $T/codes | uniq -c | tr '\n' ' ')"
r=$(http POST /auth/login -H 'Content-Type: application/json' \
    -d '{"email":"pool@example.com","password":"pool pass"}')
case "$r" in "200 "*) ok hashpool_recovers ;; *) fail hashpool_recovers "$r" ;; esac

# A poisoned row: m=4 GiB, t=1000.  Refused fast, like a wrong password.
DB="$T/keyd/db/credentials.db"
sqlite3 "$DB" "INSERT INTO users (id, email, password) VALUES
    ('44444444-4444-4444-8444-444444444444', 'poison@example.com',
    '\$argon2id\$v=19\$m=4194304,t=1000,p=255\$c2FsdHNhbHRzYWx0\$aGFzaGhhc2hoYXNoaGFzaGhhc2g')"
start=$(date +%s%N)
r=$(http POST /auth/login -H 'Content-Type: application/json' \
    -d '{"email":"poison@example.com","password":"anything"}')
ms=$(( ($(date +%s%N) - start) / 1000000 ))
case "$r" in "401 "*INVALID_CREDENTIALS*) [ $ms -lt 3000 ] && ok hashpool_absurd_params_refused ||
    fail hashpool_absurd_params_refused "$ms ms" ;;
*) fail hashpool_absurd_params_refused "$r" ;; esac
