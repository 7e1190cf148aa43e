#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The generators of bench/scale/scale.sh (bench/scale/gen.py) write rows
# keyd accepts: with 50 generated users and sessions, on SQLite and on
# PostgreSQL, a generated user logs in, its generated refresh token
# rotates (once: the second use is refused), a minted access token for
# it and the rotated one serve /users/me, and the counts are exactly 50.
. "$(dirname "$0")/../lib.sh"
TD_NAME=scalegen
need python3 sqlite3
PREFORK=1
td_init
ROOT=$T
. "$TOP/bench/scale/lib.sh"
SCALE_SEED=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
N=50

# check NAME: the checks on host NAME (T, URL its), copy 25 of N.
check_host() {
	local b=$1 r rt me id acc
	scale_files $N 2
	# Copies 1 and 26; the second is the one checked.
	read -r email pw < <(sed -n 2p "$T/users")
	[ "$email" = scale26@example.com ] && ok "scalegen_${b}_spread" ||
	    fail "scalegen_${b}_spread" "$(cat "$T/users")"
	r=$(login "$email" "$pw")
	case $r in 200*'"refresh_token"'*) ok "scalegen_${b}_login" ;;
	*) fail "scalegen_${b}_login" "$r" ;; esac
	rt=$(sed -n 2p "$T/refresh")
	r=$(http POST /auth/refresh -H 'Content-Type: application/json' \
	    -d "{\"refresh_token\":\"$rt\"}")
	case $r in 200*'"refresh_token"'*) ok "scalegen_${b}_refresh" ;;
	*) fail "scalegen_${b}_refresh" "$r" ;; esac
	acc=$(j access_token)
	r=$(http POST /auth/refresh -H 'Content-Type: application/json' \
	    -d "{\"refresh_token\":\"$rt\"}")
	case $r in 401*) ok "scalegen_${b}_refresh_once" ;;
	*) fail "scalegen_${b}_refresh_once" "$r" ;; esac
	me=$(http GET /users/me -H "Authorization: Bearer $acc")
	case $me in 200*"\"email\":\"$email\""*) ok "scalegen_${b}_me_refreshed" ;;
	*) fail "scalegen_${b}_me_refreshed" "$me" ;; esac
	id=$(j id)
	r=$(http GET /users/me -H "Authorization: Bearer $(sed -n 2p "$T/tokens")")
	case $r in 200*"\"id\":\"$id\""*"\"email\":\"$email\""*)
		ok "scalegen_${b}_me_minted" ;;
	*) fail "scalegen_${b}_me_minted" "$r (id $id)" ;; esac
	case $(j status) in active) ok "scalegen_${b}_active" ;;
	*) fail "scalegen_${b}_active" "$r" ;; esac
}

scale_host s "" $N || { fail scalegen_sqlite_gen; exit 1; }
db=$T/keyd/db/credentials.db
[ "$(sqlite3 "$db" 'SELECT count(*) FROM users')" = $N ] &&
    [ "$(sqlite3 "$db" 'SELECT count(*) FROM sessions')" = $N ] &&
    [ "$(sqlite3 "$db" "SELECT count(*) FROM sessions s JOIN users u ON
	u.id = s.user_id WHERE s.gen = 0 AND s.token_hash IS NULL AND u.email LIKE
	'scale%@example.com'")" = $N ] &&
    ok scalegen_sqlite_counts ||
    fail scalegen_sqlite_counts "$(sqlite3 "$db" 'SELECT count(*) FROM users; SELECT count(*) FROM sessions')"
check_host sqlite

T=$ROOT
td_pg_start
case $? in
0) ;;
1) skip scalegen_pg "$TD_PG_WHY"; exit 0 ;;
*) fail scalegen_pg_cluster "$TD_PG_WHY"; exit 1 ;;
esac
SCALE_PSQL=$PG_PSQL
scale_host p "$PG_URI" $N || { fail scalegen_pg_gen; exit 1; }
pgc() { (cd "$ROOT/pg" && $PG_PSQL -c "$1"); }
[ "$(pgc 'SELECT count(*) FROM users')" = $N ] &&
    [ "$(pgc 'SELECT count(*) FROM sessions WHERE gen = 0 AND token_hash IS NULL')" = $N ] &&
    [ "$(pgc 'SELECT count(DISTINCT seq) FROM users')" = $N ] &&
    ok scalegen_pg_counts ||
    fail scalegen_pg_counts "$(pgc 'SELECT count(*) FROM users')"
check_host pg
# Both generators make the same ids and sessions of one seed.
T=$ROOT
a=$(sqlite3 "$ROOT/s/keyd/db/credentials.db" "SELECT u.id || s.id ||
    hex(s.salt) FROM users u JOIN sessions s ON s.user_id = u.id
    WHERE u.email = 'scale7@example.com'")
b=$(pgc "SELECT u.id || s.id || upper(encode(s.salt, 'hex')) FROM users u
    JOIN sessions s ON s.user_id = u.id WHERE u.email =
    'scale7@example.com'")
[ -n "$a" ] && [ "$a" = "$b" ] && ok scalegen_same_rows ||
    fail scalegen_same_rows "sqlite $a, pg $b"
