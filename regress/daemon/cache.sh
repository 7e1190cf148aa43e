#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The workers' cache of verified credentials: it is used, and every
# change of a user or a session takes effect at once on every worker.
# Each check sends its requests one after another, each on a connection
# of its own, so that they spread over the workers.
. "$(dirname "$0")/../lib.sh"
PREFORK=3
td_init
conf() {
	td_conf 'password {' '	memory 1M' '	iterations 1' '	parallelism 1' '}' \
	    'auth {' '	login-stall 10ms' '	session-grace 1s' "$@" '}' \
	    'timeout { keyd 500ms }'
}
conf
td_start || { fail cache_start "$(tail -5 $T/log)"; exit 1; }
CTL="$TOKENCTL -s $T/tokend.sock"
echo 'dana pass' | $CTL user add dana@example.com >/dev/null
echo 'root pass' | $CTL user add -r admin root@example.com >/dev/null
# The claim $2 of the JWT $1.
claim() {
	jwt_payload "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}
# fetch N PATH CURL-ARGS...: N requests in a row, each on a new
# connection; their statuses in $T/st, their bodies in $T/b.1 ...
fetch() {
	local n=$1 path=$2 i
	shift 2
	local args=()
	for i in $(seq "$n"); do args+=(-o "$T/b.$i" "$URL$path"); done
	rm -f "$T"/b.*
	curl -s -m 20 -H 'Connection: close' -w '%{http_code}\n' "$@" \
	    "${args[@]}" > "$T/st" 2>/dev/null
}
# all NAME STATUS N PATH CURL-ARGS...: ok when all N answer STATUS.
all() {
	local name=$1 want=$2
	shift 2
	fetch "$@"
	if [ "$(grep -c "^$want\$" "$T/st")" -eq "$1" ]; then
		ok "$name"
	else
		fail "$name" "$(sort "$T/st" | uniq -c | tr '\n' ' ')"
	fi
}
# warm PATH CURL-ARGS...: 60 requests, 8 at a time on new connections,
# so that every worker answers some and keeps the credential.  Which
# worker accepts a connection is the kernel's choice: on a loaded
# machine one may get none of the 60, so they are sent again (at most 5
# times) until each worker has closed a connection since the start.
closed_by() { grep -c "^server\[$1\]: edge: a connection closed" "$T/log"; }
warm() {
	local path=$1 i w round=0 before=""
	shift
	local args=()
	for i in $(seq 60); do args+=(-o /dev/null "$URL$path"); done
	for w in $(td_servers); do before="$before $w:$(closed_by "$w")"; done
	while [ $round -lt 5 ]; do
		curl -s -m 20 -Z --parallel-max 8 -H 'Connection: close' "$@" \
		    "${args[@]}" > /dev/null 2>&1
		round=$((round + 1))
		td_until 'warmed $before' 5 && return 0
	done
	echo "# warm $path: a worker answered none of $((round * 60))"
}
# warmed PID:CLOSED...: each worker closed more connections since then.
warmed() {
	local wc
	for wc in "$@"; do
		[ "$(closed_by "${wc%:*}")" -gt "${wc#*:}" ] || return 1
	done
}
bearer() { echo "Authorization: Bearer $1"; }
cookie() { echo "Cookie: directus_session_token=$1${2:+; directus_refresh_token=$2}"; }
# The refresh cookie set by the last answer (session mode sets both).
refresh_cookie() {
	sed -n 's/^[Ss]et-[Cc]ookie: directus_refresh_token=\([^;]*\);.*/\1/p' \
	    "$T/h" | tr -d '\r'
}
KEYD_PID=$(td_keyd)

# The cache is used: with keyd stopped, warmed credentials still answer
# on every worker, and a credential never seen does not.
login dana@example.com 'dana pass' >/dev/null; AT=$(j access_token); RT=$(j refresh_token)
ST=$($CTL user token dana@example.com)
warm /users/me -H "$(bearer "$AT")"
warm /users/me -H "$(bearer "$ST")"
kill -STOP "$KEYD_PID"
all cache_jwt_answers_without_keyd 200 20 /users/me -H "$(bearer "$AT")"
all cache_static_answers_without_keyd 200 20 /users/me -H "$(bearer "$ST")"
r=$(http GET /users/me -H "$(bearer not-a-token-anybody-knows)")
case "$r" in "503 "*) ok cache_unknown_token_needs_keyd ;; *) fail cache_unknown_token_needs_keyd "$r" ;; esac
kill -CONT "$KEYD_PID"
r=$(http GET '/users/me?fields=email' -H "$(bearer "$AT")")
[ "$r" = '200 {"data":{"email":"dana@example.com"}}' ] && ok cache_fields_from_cache ||
    fail cache_fields_from_cache "$r"
for t in "$AT" "$ST"; do
	http GET /users/me -H "$(bearer "$t")" > /dev/null
	cp "$T/body" "$T/me.$((n = ${n:-0} + 1))"
done
cmp -s "$T/me.1" "$T/me.2" && ok cache_same_answer_both_ways || fail cache_same_answer_both_ways

# A profile change shows at once everywhere.
http PATCH /users/me -H "$(bearer "$AT")" -H 'Content-Type: application/json' \
    -d '{"first_name":"Dana"}' > /dev/null
fetch 50 /users/me -H "$(bearer "$ST")"
[ "$(grep -l '"first_name":"Dana"' "$T"/b.* | wc -l)" -eq 50 ] &&
    ok cache_patch_seen_at_once || fail cache_patch_seen_at_once
# So does a login (last access).
fetch 20 /users/me -H "$(bearer "$AT")"
last=$(sed -n 's/.*"last_access":"\([^"]*\)".*/\1/p' "$T/b.1")
sleep 0.01
login dana@example.com 'dana pass' >/dev/null
fetch 50 /users/me -H "$(bearer "$AT")"
[ -n "$last" ] && [ "$(grep -l "\"last_access\":\"$last\"" "$T"/b.* | wc -l)" -eq 0 ] &&
    [ "$(grep -l '"last_access":"' "$T"/b.* | wc -l)" -eq 50 ] &&
    ok cache_login_last_access || fail cache_login_last_access "$last"

# A new static token: the old one fails at once everywhere.
ST2=$($CTL user token dana@example.com)
all cache_static_replaced 401 50 /users/me -H "$(bearer "$ST")"
all cache_static_new_works 200 20 /users/me -H "$(bearer "$ST2")"
$CTL user token -d dana@example.com > /dev/null
all cache_static_cleared 401 50 /users/me -H "$(bearer "$ST2")"

# Session mode: logout, revoke, rotation and reuse end a session-mode
# token at once everywhere.
login dana@example.com 'dana pass' session > /dev/null; SK=$(session_cookie); RK=$(refresh_cookie)
warm /users/me -H "$(cookie "$SK")"
http POST /auth/logout -H 'Content-Type: application/json' -d '{"mode":"session"}' \
    -H "Origin: $URL" -H "$(cookie "$SK" "$RK")" > /dev/null
all cache_session_logout 401 50 /users/me -H "$(cookie "$SK")"

login dana@example.com 'dana pass' session > /dev/null; SK=$(session_cookie)
warm /users/me -H "$(cookie "$SK")"
id=$($CTL session list dana@example.com | tail -1 | cut -f1)
$CTL session revoke "$id" > /dev/null
all cache_session_revoked 401 50 /users/me -H "$(cookie "$SK")"

login dana@example.com 'dana pass' session > /dev/null; SK=$(session_cookie); RK=$(refresh_cookie)
warm /users/me -H "$(cookie "$SK")"
http POST /auth/refresh -H 'Content-Type: application/json' -d '{"mode":"session"}' \
    -H "Origin: $URL" -H "$(cookie "$SK" "$RK")" > /dev/null
SK2=$(session_cookie)
all cache_session_old_within_grace 200 20 /users/me -H "$(cookie "$SK")"
sleep 1.2
all cache_session_old_after_grace 401 50 /users/me -H "$(cookie "$SK")"
all cache_session_new_works 200 40 /users/me -H "$(cookie "$SK2")"
# The first token of that session used again: the whole session ends.
http POST /auth/refresh -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$RK\"}" > /dev/null
all cache_session_reuse_ends_it 401 50 /users/me -H "$(cookie "$SK2")"

# A new password ends the sessions; a json-mode JWT lives on, as in
# Directus.
login dana@example.com 'dana pass' session > /dev/null; SK=$(session_cookie)
warm /users/me -H "$(cookie "$SK")"
echo 'dana new pass' | $CTL user passwd dana@example.com > /dev/null
all cache_passwd_ends_session 401 50 /users/me -H "$(cookie "$SK")"
all cache_passwd_jwt_lives_on 200 20 /users/me -H "$(bearer "$AT")"

# Suspension, and deletion.
ST=$($CTL user token dana@example.com)
warm /users/me -H "$(bearer "$ST")"
$CTL user suspend dana@example.com > /dev/null
all cache_suspend_jwt 401 50 /users/me -H "$(bearer "$AT")"
all cache_suspend_static 401 50 /users/me -H "$(bearer "$ST")"
$CTL user activate dana@example.com > /dev/null
all cache_activate_again 200 20 /users/me -H "$(bearer "$AT")"
$CTL user delete dana@example.com > /dev/null
all cache_delete 401 50 /users/me -H "$(bearer "$AT")"

# A worker that does not read its channel: keyd closes it instead of
# waiting, the worker gets a new one, and a revocation made meanwhile
# holds on it as well.  Each worker accepts on a socket of its own
# (listen.sh), so the PATCHes that make keyd push invalidations go on
# one keep-alive connection (the shell's descriptor 3) that another
# worker accepted before this one stops.  The parent, which would
# replace a worker stopped for TOKEND_ANSWER_MS, is stopped as well
# until keyd has cut the worker off (on a loaded machine that can take
# longer); once running again, it gives the worker a new
# TOKEND_ANSWER_MS, and the worker resumes well within it.
# conn_worker PID: the worker holding the other end of PID's connection.
conn_worker() {
	local f l ino cport w hp
	hp=$(printf ':%04X' "$PORT")
	for f in /proc/$1/fd/*; do
		l=$(readlink "$f" 2>/dev/null) || continue
		case "$l" in socket:\[*\]) ino=${l#socket:[}; ino=${ino%]} ;; *) continue ;; esac
		cport=$(awk -v i="$ino" -v p="$hp" '$10 == i && $3 ~ p"$" {
		    split($2, a, ":"); print ":" a[2] }' /proc/net/tcp)
		[ -n "$cport" ] || continue
		ino=$(awk -v p="$hp" -v c="$cport" '$2 ~ p"$" && $3 ~ c"$" {
		    print $10 }' /proc/net/tcp)
		for w in $(td_servers); do
			ls -l "/proc/$w/fd" 2>/dev/null | grep -q "socket:\[$ino\]" &&
			    { echo "$w"; return 0; }
		done
	done
	return 1
}
# patch_fd3: PATCH /users/me on descriptor 3, its answer read whole.
# The body ends with a newline so that the shell, which flushes its
# output at the last one, sends the request in one segment (two would
# wait for a delayed ACK: 40 ms a request).
patch_fd3() {
	local body=$'{"last_page":"/x"}\n' req line len=0 st LC_ALL=C
	printf -v req 'PATCH /users/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
	    "$RA" ${#body} "$body"
	echo -n "$req" >&3 || return 1
	IFS= read -r -t 10 line <&3 || return 1
	st=${line#HTTP/1.1 }
	while IFS= read -r -t 10 line <&3 && [ "$line" != $'\r' ]; do
		case "${line,,}" in content-length:*) len=${line//[!0-9]/} ;; esac
	done
	[ "$len" -eq 0 ] || IFS= read -r -N "$len" -t 10 line <&3
	[ "${st%% *}" = 200 ]
}
login root@example.com 'root pass' >/dev/null; RA=$(j access_token)
RS=$($CTL user token root@example.com)
warm /users/me -H "$(bearer "$RS")"
C=""
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
patch_fd3 && td_until 'C=$(conn_worker $$)' 50
W=$(td_servers | grep -vx "${C:-none}" | head -1)
kill -STOP "$TD_PID" "$W"
n=0
while [ -n "$C" ] && [ $n -lt 3000 ] && patch_fd3; do
	n=$((n + 1))
	[ $((n % 10)) -eq 0 ] && grep -q 'did not read its channel' "$T/log" && break
done
exec 3>&-
td_until "grep -q 'did not read its channel' $T/log" 50 && cut=ok ||
    cut="$n PATCHes on '$C'"
kill -CONT "$TD_PID"
$CTL user suspend root@example.com > /dev/null
kill -CONT "$W"
[ "$cut" = ok ] && ok cache_stalled_worker_cut_off || fail cache_stalled_worker_cut_off "$cut"
all cache_stalled_worker_revoked 401 50 /users/me -H "$(bearer "$RS")"
$CTL user activate root@example.com > /dev/null
td_until "grep -q 'new channel to keyd' $T/log" 50 &&
    all cache_stalled_worker_relinked 200 50 /users/me -H "$(bearer "$RS")" ||
    fail cache_stalled_worker_relinked "$(grep -c 'new channel' $T/log)"
td_servers | grep -qx "$W" && ! grep -q 'not answering' "$T/log" &&
    ok cache_stalled_worker_kept || fail cache_stalled_worker_kept \
    "$(grep -m1 'not answering' "$T/log")"

# The /users API: an administrator's change of another user shows at
# once everywhere, and so do a suspension and a deletion.
echo 'erin pass' | $CTL user add erin@example.com >/dev/null
echo 'finn pass' | $CTL user add finn@example.com >/dev/null
login erin@example.com 'erin pass' >/dev/null; ET=$(j access_token)
login finn@example.com 'finn pass' >/dev/null; FT=$(j access_token)
EID=$(claim "$ET" id)
FID=$(claim "$FT" id)
warm /users/me -H "$(bearer "$ET")"
warm /users/me -H "$(bearer "$FT")"
http PATCH "/users/$EID" -H "$(bearer "$RA")" -H 'Content-Type: application/json' \
    -d '{"first_name":"Erin","role":"a0000000-0000-4000-8000-000000000001"}' > /dev/null
fetch 50 /users/me -H "$(bearer "$ET")"
[ "$(grep -l '"first_name":"Erin"' "$T"/b.* | wc -l)" -eq 50 ] &&
    [ "$(grep -l '"role":"a0000000-0000-4000-8000-000000000001"' "$T"/b.* | wc -l)" -eq 50 ] &&
    ok cache_users_patch_seen_at_once || fail cache_users_patch_seen_at_once "$(head -c 300 $T/b.1)"
http PATCH "/users/$EID" -H "$(bearer "$RA")" -H 'Content-Type: application/json' \
    -d '{"status":"suspended"}' > /dev/null
all cache_users_suspend 401 50 /users/me -H "$(bearer "$ET")"
http DELETE "/users/$FID" -H "$(bearer "$RA")" > /dev/null
all cache_users_delete 401 50 /users/me -H "$(bearer "$FT")"

# A JWT is good until its exp, to the second, and not a moment longer,
# also from the cache.  A reload (shorter tokens) empties the caches.
conf '	access-ttl 10s'
td_reload > /dev/null
login root@example.com 'root pass' >/dev/null; AT=$(j access_token)
exp=$(claim "$AT" exp)
warm /users/me -H "$(bearer "$AT")"
now=$(date +%s%N)
wait_ms=$(( exp * 1000 - now / 1000000 - 1500 ))
[ "$wait_ms" -gt 0 ] && sleep "$(awk -v m="$wait_ms" 'BEGIN { print m / 1000 }')"
all cache_jwt_before_exp 200 20 /users/me -H "$(bearer "$AT")"
now=$(date +%s%N)
wait_ms=$(( exp * 1000 - now / 1000000 + 20 ))
[ "$wait_ms" -gt 0 ] && sleep "$(awk -v m="$wait_ms" 'BEGIN { print m / 1000 }')"
fetch 50 /users/me -H "$(bearer "$AT")"
[ "$(grep -c '^401$' "$T/st")" -eq 50 ] &&
    [ "$(grep -l TOKEN_EXPIRED "$T"/b.* | wc -l)" -eq 50 ] &&
    ok cache_jwt_expires_exactly || fail cache_jwt_expires_exactly "$(sort "$T/st" | uniq -c)"
grep -q 'FATAL\|killed by signal' "$T/log" && fail cache_no_crash "$(grep -m1 'FATAL\|killed' $T/log)" ||
    ok cache_no_crash
exit 0
