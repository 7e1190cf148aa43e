#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Two tokend hosts on one PostgreSQL, what pg.sh leaves out: a TFA code
# taken on A is refused on B; failed logins spread over the hosts lock
# the account on both, and make the address wait on both; a refresh
# token used again after the
# grace ends its family on both hosts; A's keyd killed (-9) during a
# storm of refreshes on both: every rotation acknowledged is durable
# (its token refreshes on B) and B answers throughout; PostgreSQL
# restarted during logins and refreshes on both: 503s, then 200s again.
. "$(dirname "$0")/../lib.sh"
TD_NAME=pghosts
PREFORK=1
td_init
td_pg_start
case $? in
0) ;;
1) skip pghosts "$TD_PG_WHY"; exit 0 ;;
*) fail pghosts_cluster "$TD_PG_WHY"; exit 1 ;;
esac
ROOT=$T
td_pg_pair pghosts 'password {' '	memory 1M' '	iterations 1' '	parallelism 1' '}' \
    'auth {' '	login-stall 1ms' '	session-grace 1s' \
    '	login-attempts 3' '}'
at() { URL=$1; shift; "$@"; }
refresh() {
	at "$1" http POST /auth/refresh -H 'Content-Type: application/json' \
	    -d "{\"refresh_token\":\"$2\",\"mode\":\"json\"}"
}
echo pw | $CTLA user add erin@example.com >/dev/null
echo pw | $CTLA user add tess@example.com >/dev/null

# TFA: enabled on A; a code taken on A is refused on B (the last step
# taken is the user's row, changed by one conditional UPDATE).
code() { td_totp "$SECRET" "$1"; }
post() {
	at "$1" http POST "$3" -H "Authorization: Bearer $2" \
	    -H 'Content-Type: application/json' -d "$4"
}
r=$(at "$A" login tess@example.com pw)
TT=$(j access_token)
r=$(post "$A" "$TT" /users/me/tfa/generate '{"password":"pw"}')
SECRET=$(j secret)
r=$(post "$A" "$TT" /users/me/tfa/enable \
    '{"secret":"'"$SECRET"'","otp":"'"$(code 0)"'"}')
case "$r" in 204*|200*) ok pghosts_tfa_enable_a ;; *) fail pghosts_tfa_enable_a "$r" ;; esac
c=$(code 1)
otp_login() {
	at "$1" http POST /auth/login -H 'Content-Type: application/json' \
	    -d '{"email":"tess@example.com","password":"pw","otp":"'"$2"'"}'
}
r=$(otp_login "$A" "$c")
case "$r" in 200*) ok pghosts_tfa_code_a ;; *) fail pghosts_tfa_code_a "$r" ;; esac
r=$(otp_login "$B" "$c")
case "$r" in 401*INVALID_OTP*) ok pghosts_tfa_replay_b ;;
*) fail pghosts_tfa_replay_b "$r" ;; esac

# Failed logins on both hosts lock the account as they would on one:
# two on A and one on B are login-attempts (3); then the password is
# refused on A (which saw two) and on B.
echo pw | $CTLA user add lou@example.com >/dev/null
lf() { at "$1" login lou@example.com "$2" | cut -c1-3; }
r="$(lf "$A" bad) $(lf "$A" bad) $(lf "$B" bad)"
same pghosts_lock_failures "401 401 401" "$r"
same pghosts_locked_a 429 "$(lf "$A" pw)"
same pghosts_locked_b 429 "$(lf "$B" pw)"
same pghosts_lock_row "0|t" \
    "$(td_pg "SELECT failures, until > 0 FROM lockouts WHERE kind = 'u' AND key = 'lou@example.com'")"
# The operator's activate on A lifts it on B too.
$CTLA user activate lou@example.com >/dev/null
same pghosts_unlocked_b "" \
    "$(td_pg "SELECT failures FROM lockouts WHERE kind = 'u' AND key = 'lou@example.com'")"

# An address's failures are counted by the hosts together too: those
# above on A and B are past login-attempts (3), so one more on B makes
# the address wait, whatever the account, on A as well.  The wait B set
# (1 or 2 s) is stretched to 5 s in the row, so that a slow machine
# still checks A within it; it ends by itself.
echo pw | $CTLA user add wes@example.com >/dev/null
lf "$B" nobody@example.com >/dev/null
[ "$(td_pg "SELECT failures > 3 AND until > 0 FROM lockouts WHERE kind = 'a'")" = t ] &&
    ok pghosts_address_row || fail pghosts_address_row \
    "$(td_pg "SELECT kind, failures, until FROM lockouts")"
td_pg "UPDATE lockouts SET until = $(($(date +%s%3N) + 5000)) WHERE kind = 'a'" >/dev/null
r=$(at "$A" login wes@example.com pw)
case "$r" in 429*) ok pghosts_address_wait_a ;;
*) fail pghosts_address_wait_a "$r" ;; esac
td_until '[ "$(at "$A" login wes@example.com pw | cut -c1-3)" = 200 ]' 300 &&
    ok pghosts_address_wait_ends || fail pghosts_address_wait_ends

# Reuse after the grace (1 s): the family ends on both hosts, its live
# token (rotated on A) refused on A and on B.
r=$(at "$A" login erin@example.com pw)
rt1=$(j refresh_token)
r=$(refresh "$A" "$rt1")
rt2=$(j refresh_token)
case "$r" in 200*) [ -n "$rt2" ] ;; *) false ;; esac &&
    ok pghosts_rotate_a || fail pghosts_rotate_a "$r"
# Past the grace: session-grace is a duration, nothing to wait on.
sleep 1.5
r=$(refresh "$B" "$rt1")
case "$r" in 401*) ok pghosts_reuse_refused_b ;; *) fail pghosts_reuse_refused_b "$r" ;; esac
r=$(refresh "$A" "$rt2")
case "$r" in 401*) ok pghosts_family_ended_a ;; *) fail pghosts_family_ended_a "$r" ;; esac
r=$(refresh "$B" "$rt2")
case "$r" in 401*) ok pghosts_family_ended_b ;; *) fail pghosts_family_ended_b "$r" ;; esac
[ "$(td_pg "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'erin@example.com'")" = 0 ] &&
    ok pghosts_family_gone || fail pghosts_family_gone

# The storm: chains of refreshes, half on A and half on B, each chain
# keeping its last acknowledged token; A's keyd killed in the middle.
chain() {	# HOST N FILE: refresh N times, each 200'd token to FILE
	_u=$1
	_rt=$(cat "$3")
	for _i in $(seq "$2"); do
		_r=$(curl -s -m 5 -w ' %{http_code}' -H 'Content-Type: application/json' \
		    -d "{\"refresh_token\":\"$_rt\",\"mode\":\"json\"}" "$_u/auth/refresh")
		case "$_r" in *' 200')
			_n=$(echo "$_r" | sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p')
			[ -n "$_n" ] && _rt=$_n && echo "$_rt" > "$3" ;;
		*' 401') echo "$_rt" > "$3.lost"; return ;;
		esac
		[ "$_u" = "$B" ] && echo "${_r##* }" >> "$3.codes"
	done
}
for i in 1 2 3 4 5 6; do
	r=$(at "$A" login erin@example.com pw)
	j refresh_token > "$T/chain.$i"
	cp "$T/chain.$i" "$T/chain.$i.first"
done
pids=""
for i in 1 2 3 4 5 6; do
	if [ $((i % 2)) -eq 0 ]; then u=$A; else u=$B; fi
	chain "$u" 40 "$T/chain.$i" &
	pids="$pids $!"
done
T=$ROOT/a
TD_PID=$PIDA
# In the middle: once B's chains and A's have rotated a few times.
td_until '[ "$(cat "$ROOT"/chain.1.codes 2>/dev/null | wc -l)" -ge 5 ] &&
    [ "$(cat "$ROOT"/chain.2 2>/dev/null)" != "$(cat "$ROOT"/chain.2.first)" ]' 200
kill -9 $(td_keyd)
T=$ROOT
wait $pids
grep -q 'restarting keyd' "$ROOT/a/log" && ok pghosts_storm_keyd_killed ||
    fail pghosts_storm_keyd_killed "$(grep -i keyd "$ROOT/a/log" | tail -3)"
[ ! -e "$T/chain.1.lost" ] && [ ! -e "$T/chain.3.lost" ] &&
    [ ! -e "$T/chain.5.lost" ] && ok pghosts_storm_b_chains ||
    fail pghosts_storm_b_chains "$(cat "$T"/chain.*.lost 2>/dev/null | wc -l) lost"
r=$(cat "$T"/chain.[135].codes | sort | uniq -c | tr '\n' ' ' | tr -s ' ')
[ "$r" = " 120 200 " ] && ok pghosts_storm_b_answers ||
    fail pghosts_storm_b_answers "$r"
# Every acknowledged rotation: its token refreshes, on B.  An A chain
# may have lost one answer at the kill: its token was then rotated by a
# refresh whose commit happened and whose answer died with keyd (the
# retry got 401 within the grace).  That rotation must be in the store:
# its session's generation moved on.
bad=0
for i in 1 2 3 4 5 6; do
	if [ -e "$T/chain.$i.lost" ]; then
		# The session the token names (keyd/auth.c) moved on from it.
		set -- $(python3 -c 'import base64, struct, sys
t = sys.argv[1].strip()
b = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))
print(*struct.unpack(">QI", b[1:13]))' "$(cat "$T/chain.$i.lost")")
		n=$(td_pg "SELECT count(*) FROM sessions WHERE id = $1 AND gen > $2")
		[ "$n" = 1 ] || { bad=$((bad + 1)); echo "chain $i: lost, not rotated" >> "$T/durable"; }
		continue
	fi
	r=$(refresh "$B" "$(cat "$T/chain.$i")")
	case "$r" in 200*) ;; *) bad=$((bad + 1)); echo "chain $i: $r" >> "$T/durable" ;; esac
done
[ $bad -eq 0 ] && ok pghosts_storm_durable ||
    fail pghosts_storm_durable "$(head -3 "$T/durable")"
# A's keyd is back (the parent restarts it) and A answers again.
td_until '[ "$(at "$A" http GET /server/health | cut -c1-3)" = 200 ]' 100 &&
    ok pghosts_a_back || fail pghosts_a_back "$(at "$A" http GET /server/health)"

# PostgreSQL restarted during load on both hosts: logins and refreshes
# answer 503 (never 500) while it is away, then 200 again on both,
# without a restart of tokend.
pgctl() { (cd "$T/pg" && $TD_PG_AS "$PG_BIN/pg_ctl" -D "$TD_PG_DATA" -w "$@") \
    >> "$T/pg/log" 2>&1; }
load() {	# HOST FILE: logins and a refresh each, codes to FILE, until $T/stop
	while [ ! -e "$T/stop" ]; do
		_r=$(curl -s -m 5 -w ' %{http_code}' -H 'Content-Type: application/json' \
		    -d '{"email":"erin@example.com","password":"pw"}' "$1/auth/login")
		echo "login ${_r##* }" >> "$2"
		_t=$(echo "$_r" | sed -n 's/.*"refresh_token":"\([^"]*\)".*/\1/p')
		[ -n "$_t" ] || continue
		_r=$(curl -s -m 5 -o /dev/null -w '%{http_code}' \
		    -H 'Content-Type: application/json' \
		    -d "{\"refresh_token\":\"$_t\",\"mode\":\"json\"}" "$1/auth/refresh")
		echo "refresh $_r" >> "$2"
	done
}
load "$A" "$T/load.a" & la=$!
load "$B" "$T/load.b" & lb=$!
td_until '[ "$(grep -c "^refresh 200" "$T/load.a" "$T/load.b" 2>/dev/null | grep -c ":[1-9]")" = 2 ]' 100
pgctl -m fast stop && ok pghosts_pg_stopped || fail pghosts_pg_stopped
td_until '[ "$(grep -c "^login 503" "$T/load.a" "$T/load.b" | grep -c ":[1-9]")" = 2 ]' 300 &&
    ok pghosts_down_503 || fail pghosts_down_503 "$(sort "$T/load.a" "$T/load.b" | uniq -c | tr '\n' ' ')"
wc -l < "$T/load.a" > "$T/load.a.mark"
wc -l < "$T/load.b" > "$T/load.b.mark"
pgctl -l "$T/pg/server.log" -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT \
    -c unix_socket_directories=$T/pg" start && ok pghosts_pg_restarted ||
    fail pghosts_pg_restarted
# Back: a login and a refresh of each host's load succeed after the marks.
after() { tail -n +"$(($(cat "$1.mark") + 1))" "$1"; }
td_until '[ "$(after "$T/load.a" | grep -c "^refresh 200")" -ge 1 ] &&
    [ "$(after "$T/load.b" | grep -c "^refresh 200")" -ge 1 ]' 300 &&
    ok pghosts_recovered || fail pghosts_recovered \
    "$(after "$T/load.a" | sort | uniq -c | tr '\n' ' ') / $(after "$T/load.b" | sort | uniq -c | tr '\n' ' ')"
touch "$T/stop"
wait $la $lb
r=$(cut -d' ' -f2 "$T/load.a" "$T/load.b" | sort -u | tr '\n' ' ')
[ -z "$(cut -d' ' -f2 "$T/load.a" "$T/load.b" | grep -v '^\(200\|503\)$')" ] &&
    ok pghosts_only_200_503 || fail pghosts_only_200_503 "$r"
[ "$(cat /proc/$PIDA/stat 2>/dev/null | cut -d' ' -f1)" = "$PIDA" ] &&
    ok pghosts_tokend_not_restarted || fail pghosts_tokend_not_restarted
