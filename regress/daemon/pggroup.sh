#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Group commit of refreshes on PostgreSQL, with keyd's statements sent
# in pipeline mode (keyd/store_pg.c): a refresh is answered 200 only
# once its rotation is committed.
#   - A storm: 30 refresh tokens, each refreshed at once on A and on B:
#     exactly one of the two wins, and every winner's new token
#     refreshes afterwards (each acknowledged rotation is durable).
#   - A group whose transaction fails: the refreshes queue behind one
#     stalled in PostgreSQL (a lock, as in pgstall.sh), so that they
#     share one group commit, and one of them (the user victim's: a
#     trigger refuses its rotation) fails in PostgreSQL.  The group's
#     COMMIT then only rolls back: no refresh of it may be answered
#     200 (its token would not exist), each keeps its old token, which
#     refreshes once the trigger is gone.
. "$(dirname "$0")/../lib.sh"
TD_NAME=pggroup
PREFORK=1
td_init
td_pg_start
case $? in
0) ;;
1) skip pggroup "$TD_PG_WHY"; exit 0 ;;
*) fail pggroup_cluster "$TD_PG_WHY"; exit 1 ;;
esac
ROOT=$T
# The grace at its longest: a loser that comes late (a slow build) is
# a reuse within it, not one after it that would end the family.
td_pg_pair pggroup "${TD_FAST_PASSWORD[@]}" 'timeout {' '	keyd 60s' '}' \
    'auth {' "	session-grace 300s" '}'
for u in erin victim; do
	echo 'pw' | $CTLA user add $u@example.com >/dev/null ||
	    { fail pggroup_user_add "$(tail -5 "$ROOT/a/log")"; exit 1; }
done
ok pggroup_user_add
at() { URL=$1; shift; "$@"; }
# tokens URL EMAIL N FILE: N refresh tokens of EMAIL's logins on URL.
tokens() {
	local i
	: > "$4"
	for i in $(seq "$3"); do
		at "$1" login "$2" pw > /dev/null
		echo "$(j refresh_token)" >> "$4"
	done
}
# refresh URL TOKEN OUT: POST /auth/refresh in the background, its
# status in OUT.code and its body in OUT.body.
refresh() {
	curl -s -m 60 -o "$3.body" -w '%{http_code}' \
	    -H 'Content-Type: application/json' \
	    -d "{\"refresh_token\":\"$2\",\"mode\":\"json\"}" \
	    "$1/auth/refresh" > "$3.code" &
	PIDS="$PIDS $!"
}
newtok() { sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p' "$1.body"; }

# The storm.
tokens "$A" erin@example.com 15 "$T/storm"
tokens "$B" erin@example.com 15 "$T/storm2"
cat "$T/storm2" >> "$T/storm"
[ "$(grep -c . "$T/storm")" = 30 ] && ok pggroup_storm_logins ||
    fail pggroup_storm_logins "$(grep -c . "$T/storm") tokens"
mkdir "$T/s"
i=0
while read -r rt; do
	i=$((i + 1))
	refresh "$A" "$rt" "$T/s/$i.a"
	refresh "$B" "$rt" "$T/s/$i.b"
done < "$T/storm"
wait $PIDS
PIDS=""
bad=""
mkdir "$T/s2"
for i in $(seq 30); do
	c="$(cat "$T/s/$i.a.code") $(cat "$T/s/$i.b.code")"
	case "$c" in
	# The loser: 401, or 503 when PostgreSQL chose its group's
	# rotation as the victim of a deadlock between the two groups
	# (its savepoint undone: the rest of its group commits).
	"200 401"|"200 503") w=a; u=$A ;;
	"401 200"|"503 200") w=b; u=$B ;;
	*) bad="$bad $i:$c"; continue ;;
	esac
	# The winner's new token, on the other host.
	[ $w = a ] && u=$B || u=$A
	refresh "$u" "$(newtok "$T/s/$i.$w")" "$T/s2/$i"
done
wait $PIDS
PIDS=""
[ -z "$bad" ] && ok pggroup_storm_one_winner || fail pggroup_storm_one_winner "$bad"
bad=""
for i in $(seq 30); do
	[ -f "$T/s2/$i.code" ] || continue
	[ "$(cat "$T/s2/$i.code")" = 200 ] || bad="$bad $i:$(cat "$T/s2/$i.code")"
done
[ -z "$bad" ] && ok pggroup_storm_durable || fail pggroup_storm_durable "$bad"

# A group that fails.  Six refresh tokens on A: one to stall, four of
# erin's and the victim's.
tokens "$A" erin@example.com 5 "$T/gt"
at "$A" login victim@example.com pw > /dev/null
vt=$(j refresh_token)
td_pg "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$
    BEGIN IF EXISTS (SELECT 1 FROM users u WHERE u.id = NEW.user_id
    AND u.email = 'victim@example.com') THEN RAISE EXCEPTION 'refused';
    END IF; RETURN NEW; END \$\$;
    CREATE TRIGGER refuse BEFORE UPDATE ON sessions FOR EACH ROW
    EXECUTE FUNCTION refuse();" > /dev/null &&
    ok pggroup_trigger || fail pggroup_trigger
waiting() {
	td_pg "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type =
	    'Lock' AND datname = 'tokend'"
}
td_pg_lock_sessions && ok pggroup_locked ||
    fail pggroup_locked "$(cat "$T/pg/lock.out")"
mkdir "$T/g"
refresh "$A" "$(sed -n 1p "$T/gt")" "$T/g/stall"
td_until '[ "$(waiting)" -ge 1 ]' 100 && ok pggroup_stalled ||
    fail pggroup_stalled "no statement waits for the lock"
# Queued on keyd's store fiber behind the stalled one, in this order
# (the victim last, so that the others precede it in the group).
for i in 2 3 4 5; do
	refresh "$A" "$(sed -n ${i}p "$T/gt")" "$T/g/$i"
	sleep 0.2
done
sleep 0.5
refresh "$A" "$vt" "$T/g/v"
sleep 1
echo 'COMMIT;' >&3
exec 3>&-
wait $LOCKER $PIDS
c=$(cat "$T/g/v.code")
case "$c" in 503) ok pggroup_victim_refused ;;
*) fail pggroup_victim_refused "$c $(cat "$T/g/v.body")" ;; esac
td_pg 'DROP TRIGGER refuse ON sessions' > /dev/null
# Each answered 200: its new token refreshes; each refused: its old one.
bad=""
n200=0
for i in stall 2 3 4 5 v; do
	c=$(cat "$T/g/$i.code")
	case "$c" in
	200) n200=$((n200 + 1)); t=$(newtok "$T/g/$i") ;;
	503) case $i in stall) t=$(sed -n 1p "$T/gt") ;; v) t=$vt ;;
	     *) t=$(sed -n ${i}p "$T/gt") ;; esac ;;
	*) bad="$bad $i:answered-$c"; continue ;;
	esac
	r=$(at "$A" http POST /auth/refresh -H 'Content-Type: application/json' \
	    -d "{\"refresh_token\":\"$t\",\"mode\":\"json\"}")
	case "$r" in 200*) ;; *) bad="$bad $i:$c-then-${r%% *}" ;; esac
done
[ -z "$bad" ] && ok pggroup_failed_group_not_acknowledged ||
    fail pggroup_failed_group_not_acknowledged "$bad"
grep -q 'keyd (pid .*) exited' "$ROOT/a/log" &&
    fail pggroup_keyd_kept "$(grep keyd "$ROOT/a/log" | tail -3)" ||
    ok pggroup_keyd_kept
