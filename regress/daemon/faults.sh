#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Faults (issue 5, item 6): kill -9 of a worker under load from wrk,
# kill -9 of keyd, kill -9 of every process in the middle of a refresh
# and item-write storm followed by a restart on the same files, and a
# full or read-only credential database and item store.
. "$(dirname "$0")/../lib.sh"
is_root || { skip faults "not root"; exit 0; }
need wrk python3 sqlite3 chattr mount umount runuser
td_init
PREFORK=2
CDB="$T/keyd/db/credentials.db"
IDB="$T/empty/data/items.db"
# A tmpfs under each database, to fill it up later (skip that part
# when mount is refused here).
MOUNTS=""
for du in "$T/keyd/db:_tokend_keyd" "$T/empty/data:_tokend_items"; do
	d=${du%:*}
	mkdir -p "$d"
	if mount -t tmpfs -o size=32m,mode=0700,uid=$(id -u ${du#*:}),gid=$(id -g ${du#*:}) \
	    tmpfs "$d" 2>/dev/null; then
		MOUNTS="$MOUNTS $d"
	fi
done
faults_cleanup() {
	td_cleanup_mounts=$MOUNTS
	for p in $TD_PIDS; do kill -KILL $p $(td_tree $p) 2>/dev/null; done
	for p in $TD_PIDS; do wait $p 2>/dev/null; done
	for d in $td_cleanup_mounts; do
		chattr -i "$d"/* 2>/dev/null
		umount "$d" 2>/dev/null
	done
	td_cleanup
}
trap faults_cleanup EXIT
td_conf 'password {' '	memory 1M' '	iterations 1' '	parallelism 1' '}' \
    'auth {' '	login-stall 10ms' '	session-grace 1s' '}' \
    'collection "notes" {' '	fields "n" "who"' '}'
td_start || { fail faults_start "$(tail -5 $T/log)"; exit 1; }
CTL="$TOKENCTL -s $T/tokend.sock"
echo 'admin pass' | $CTL user add -r admin root@example.com >/dev/null
login_root() { login root@example.com 'admin pass'; }
login_root >/dev/null
AT=$(j access_token)
[ -n "$AT" ] && ok faults_login || { fail faults_login "$(tail -3 $T/log)"; exit 1; }

# wrk_errors FILE: socket errors plus non-2xx answers in a wrk report.
wrk_errors() {
	awk '/Socket errors/ { gsub(",", ""); n += $4 + $6 + $8 + $10 }
	    /Non-2xx/ { n += $5 } END { print n + 0 }' "$1"
}
wrk_requests() { awk '/requests in/ { print $1 }' "$1"; }
# hundred PATH [curl args]: how many of 100 requests answer 200, one
# after another, each on a connection of its own (one curl for all).
hundred() {
	local p=$1 i args=()
	shift
	for i in $(seq 1 100); do args+=(-o /dev/null "$URL$p"); done
	curl -s -m 5 -H 'Connection: close' -w '%{http_code}\n' "$@" \
	    "${args[@]}" 2>/dev/null | grep -c '^200$'
}

# 1. kill -9 of one worker under load: at most that worker's in-flight
# requests fail (one per connection wrk had on it), the parent replaces
# it, then every request succeeds.
C=8
wrk -t2 -c$C -d3s -H "Authorization: Bearer $AT" "$URL/users/me" \
    > "$T/wrk1" 2>&1 &
WRK=$!
sleep 1
victim=$(td_servers | head -1)
kill -9 "$victim"
wait $WRK
req=$(wrk_requests "$T/wrk1"); err=$(wrk_errors "$T/wrk1")
[ "${req:-0}" -gt 100 ] && [ "$err" -le $C ] &&
    ok faults_worker_kill_errors_bounded ||
    fail faults_worker_kill_errors_bounded "$req requests, $err errors"
td_until '[ "$(td_servers | wc -w)" -eq 2 ] && ! td_servers | grep -qx "$victim"' 50 &&
    ok faults_worker_respawned || fail faults_worker_respawned "$(td_servers)"
n=$(hundred /users/me -H "Authorization: Bearer $AT")
[ "$n" -eq 100 ] && ok faults_worker_after_respawn_100 ||
    fail faults_worker_after_respawn_100 "$n of 100"

# 2. kill -9 of keyd: workers fail what waits on keyd with 503 and
# /server/health is 503 until keyd is back, /server/ping keeps working;
# keyd is restarted, the workers get new channels (they are not
# restarted), a JWT issued before still verifies and logins work.
workers=$(td_servers | sort | tr '\n' ' ')
kpid=$(td_keyd)
kill -9 "$kpid"
h=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$URL/server/health")
p=$(curl -s -m 2 "$URL/server/ping")
[ "$h" = 503 ] && ok faults_keyd_kill_health_503 || fail faults_keyd_kill_health_503 "$h"
[ "$p" = pong ] && ok faults_keyd_kill_ping_works || fail faults_keyd_kill_ping_works "$p"
grep -q "keyd.*killed by signal 9\|killed by signal 9.*keyd" "$T/log" &&
    ok faults_keyd_death_logged || fail faults_keyd_death_logged "$(grep -i keyd $T/log | tail -2)"
td_until '[ "$(curl -s -m 1 $URL/server/health)" = "{\"status\":\"ok\"}" ]' 100 &&
    ok faults_keyd_restarted_health_ok || fail faults_keyd_restarted_health_ok
nk=$(td_keyd)
[ -n "$nk" ] && [ "$nk" != "$kpid" ] && ok faults_keyd_new_pid || fail faults_keyd_new_pid "$nk"
[ "$(td_servers | sort | tr '\n' ' ')" = "$workers" ] &&
    ok faults_keyd_workers_kept || fail faults_keyd_workers_kept "$workers / $(td_servers)"
n=$(hundred /users/me -H "Authorization: Bearer $AT")
[ "$n" -eq 100 ] && ok faults_keyd_old_jwt_verifies_100 ||
    fail faults_keyd_old_jwt_verifies_100 "$n of 100"
r=$(login_root)
case "$r" in "200 "*access_token*) ok faults_keyd_login_after ;;
*) fail faults_keyd_login_after "$r" ;; esac
# The same under load: the errors are bounded, the service recovers.
wrk -t2 -c$C -d3s -H "Authorization: Bearer $AT" "$URL/users/me" \
    > "$T/wrk2" 2>&1 &
WRK=$!
sleep 1
kill -9 "$(td_keyd)"
wait $WRK
req=$(wrk_requests "$T/wrk2"); err=$(wrk_errors "$T/wrk2")
[ "${req:-0}" -gt 100 ] && [ "$err" -lt "$req" ] &&
    ok faults_keyd_kill_under_load "$req requests, $err errors" ||
    fail faults_keyd_kill_under_load "$req requests, $err errors"
td_until '[ "$(curl -s -m 1 $URL/server/health)" = "{\"status\":\"ok\"}" ]' 100
n=$(hundred /users/me -H "Authorization: Bearer $AT")
[ "$n" -eq 100 ] && ok faults_keyd_load_after_100 ||
    fail faults_keyd_load_after_100 "$n of 100"

# 3. kill -9 of every process in the middle of a storm of refreshes (4
# chains) and item writes, then a restart on the same files.  The client
# logs "sent T" before presenting refresh token T and "got T" for every
# token it receives in a 200, and the id of every item written with 200.
cat > "$T/storm.py" <<'PY'
import http.client, json, sys, threading, os, time
host, port, out, at = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def req(method, path, body, hdrs={}):
    c = http.client.HTTPConnection(host, port, timeout=5)
    h = {"Content-Type": "application/json"}
    h.update(hdrs)
    c.request(method, path, json.dumps(body), h)
    r = c.getresponse()
    d = r.read()
    c.close()
    return r.status, d
def first(*a):
    # Nothing is acknowledged yet: a refused connection is retried.
    for _ in range(50):
        try:
            return req(*a)
        except ConnectionRefusedError:
            time.sleep(0.1)
    return req(*a)
def chain(i):
    f = open("%s/chain%d" % (out, i), "a", buffering=1)
    try:
        s, d = first("POST", "/auth/login", {"email": "root@example.com",
            "password": "admin pass"})
        rt = json.loads(d)["data"]["refresh_token"]
        f.write("got %s\n" % rt)
        while True:
            f.write("sent %s\n" % rt)
            s, d = req("POST", "/auth/refresh", {"refresh_token": rt})
            if s != 200:
                f.write("status %d\n" % s)
                return
            rt = json.loads(d)["data"]["refresh_token"]
            f.write("got %s\n" % rt)
    except Exception as e:
        f.write("error %s\n" % type(e).__name__)
def writer(i):
    f = open("%s/items%d" % (out, i), "a", buffering=1)
    n = 0
    try:
        first("GET", "/server/ping", None)
        while True:
            n += 1
            s, d = req("POST", "/items/notes", {"n": n, "who": i},
                {"Authorization": "Bearer " + at})
            if s != 200:
                f.write("status %d\n" % s)
                return
            f.write("%s %d\n" % (json.loads(d)["data"]["id"], n))
    except Exception as e:
        f.write("error %s\n" % type(e).__name__)
ts = [threading.Thread(target=chain, args=(i,)) for i in range(4)]
ts += [threading.Thread(target=writer, args=(i,)) for i in range(2)]
for t in ts: t.start()
for t in ts: t.join()
PY
cat > "$T/verify.py" <<'PY'
import http.client, json, sys, glob
host, port, out, at = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def req(method, path, body=None, hdrs={}):
    c = http.client.HTTPConnection(host, port, timeout=5)
    h = {"Content-Type": "application/json"}
    h.update(hdrs)
    c.request(method, path, json.dumps(body) if body is not None else None, h)
    r = c.getresponse()
    d = r.read()
    c.close()
    return r.status, d
def refresh(t):
    return req("POST", "/auth/refresh", {"refresh_token": t})[0]
bad = []
rotations = inflight = 0
for fn in sorted(glob.glob(out + "/chain*")):
    lines = [l.split() for l in open(fn) if l.strip()]
    got = [l[1] for l in lines if l[0] == "got"]
    rotations += len(got)
    last = lines[-1]
    # A 503 or a broken connection is no acknowledgement: that
    # refresh was in flight when the processes died.
    if last[0] in ("status", "error") and len(lines) > 1:
        last = lines[-2]
    if last[0] == "sent":
        # Killed with this refresh in flight: it may have been used.
        inflight += 1
        s = refresh(last[1])
        if s == 200 and refresh(last[1]) != 401:
            bad.append("%s: in-flight token worked twice" % fn)
        elif s not in (200, 401):
            bad.append("%s: in-flight token gave %d" % (fn, s))
    elif last[0] == "got":
        s1 = refresh(last[1]); s2 = refresh(last[1])
        if (s1, s2) != (200, 401):
            bad.append("%s: latest token gave %d then %d" % (fn, s1, s2))
    else:
        bad.append("%s: ended with %s" % (fn, last))
    for old in got[:-1][-3:]:
        s = refresh(old)
        if s != 401:
            bad.append("%s: rotated token gave %d" % (fn, s))
items = 0
for fn in sorted(glob.glob(out + "/items*")):
    for l in open(fn):
        w = l.split()
        if w[0] in ("error", "status"):
            continue
        items += 1
        s, d = req("GET", "/items/notes/" + w[0], None,
            {"Authorization": "Bearer " + at})
        if s != 200 or json.loads(d)["data"]["n"] != int(w[1]):
            bad.append("item %s: %d %s" % (w[0], s, d[:80]))
print("rotations=%d inflight=%d items=%d" % (rotations, inflight, items))
for b in bad[:10]:
    print("BAD", b)
sys.exit(1 if bad or rotations < 8 or items < 8 else 0)
PY
mkdir "$T/storm"
td_until '[ "$(td_servers | wc -w)" -eq 2 ] && [ "$(curl -s -m 1 $URL/server/health)" = "{\"status\":\"ok\"}" ]' 100 ||
    echo "# before the storm: $(td_servers | wc -w) workers, $(tail -3 $T/log)"
python3 "$T/storm.py" 127.0.0.1 $PORT "$T/storm" "$AT" &
STORM=$!
sleep 2
kill -9 $TD_PID $(td_tree $TD_PID)
wait $TD_PID 2>/dev/null
wait $STORM
integrity() {	# USER DB
	runuser -u "$1" -- sqlite3 "$2" 'PRAGMA integrity_check' 2>&1
}
r1=$(integrity _tokend_keyd "$CDB"); r2=$(integrity _tokend_items "$IDB")
[ "$r1" = ok ] && ok faults_crash_credentials_integrity ||
    fail faults_crash_credentials_integrity "$r1"
[ "$r2" = ok ] && ok faults_crash_items_integrity ||
    fail faults_crash_items_integrity "$r2"
cp "$T/log" "$T/log.1"
td_start || { fail faults_restart "$(tail -5 $T/log)"; exit 1; }
ok faults_restart
if out=$(python3 "$T/verify.py" 127.0.0.1 $PORT "$T/storm" "$AT" 2>&1); then
	ok faults_storm_tokens_once_items_kept
else
	fail faults_storm_tokens_once_items_kept "$out"
fi
echo "# storm: $out"

# 4. A full file system under the item store and under the credential
# database: 503 SERVICE_UNAVAILABLE, reads keep working, nothing that
# was acknowledged is lost, the files stay sound, and writes work again
# once there is room.
BIG=$(head -c 1500 /dev/zero | tr '\0' x)
post_item() {
	http POST /items/notes -H "Authorization: Bearer $AT" \
	    -H 'Content-Type: application/json' -d "{\"n\":$1,\"who\":\"$BIG\"}"
}
# fill_until DIR CMD: fill DIR, then run CMD (prints "STATUS BODY")
# until it is not 200, at most 400 times; prints the last answer, and
# the ids of the items acknowledged meanwhile in $T/acked.
fill_until() {
	dd if=/dev/zero of="$1/fill" bs=64k 2>/dev/null
	_i=0
	while [ $_i -lt 400 ]; do
		_r=$($2 $_i)
		[ "${_r%% *}" = 200 ] || break
		sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$T/body" >> "$T/acked"
		_i=$((_i + 1))
	done
	echo "$_r"
}
: > "$T/acked"
if echo "$MOUNTS" | grep -q "$T/empty/data"; then
	before=$(runuser -u _tokend_items -- sqlite3 "$IDB" 'SELECT count(*) FROM items_notes')
	r=$(fill_until "$T/empty/data" post_item)
	case "$r" in "503 "*SERVICE_UNAVAILABLE*) ok faults_items_full_503 ;;
	*) fail faults_items_full_503 "${r:0:200}" ;; esac
	r=$(http GET '/items/notes?limit=1' -H "Authorization: Bearer $AT")
	case "$r" in "200 "*) ok faults_items_full_reads ;;
	*) fail faults_items_full_reads "${r:0:200}" ;; esac
	rm -f "$T/empty/data/fill"
	r=$(post_item 1)
	case "$r" in "200 "*) ok faults_items_full_recovers ;;
	*) fail faults_items_full_recovers "${r:0:200}" ;; esac
	r=$(integrity _tokend_items "$IDB")
	[ "$r" = ok ] && ok faults_items_full_integrity || fail faults_items_full_integrity "$r"
	# Every acknowledged write is there, no refused one is.
	have=$(runuser -u _tokend_items -- sqlite3 "$IDB" 'SELECT count(*) FROM items_notes')
	want=$((before + $(grep -c . "$T/acked") + 1))
	[ "$have" = "$want" ] && ok faults_items_full_acked_kept ||
	    fail faults_items_full_acked_kept "$have rows, want $want"
else
	skip faults_items_full "cannot mount a tmpfs here"
fi
if echo "$MOUNTS" | grep -q "$T/keyd/db"; then
	login_root >/dev/null; RT0=$(j refresh_token)
	r=$(fill_until "$T/keyd/db" login_root)
	case "$r" in "503 "*SERVICE_UNAVAILABLE*) ok faults_credentials_full_503 ;;
	*) fail faults_credentials_full_503 "${r:0:200}" ;; esac
	r=$(http POST /auth/refresh -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$RT0\"}")
	case "$r" in "503 "*SERVICE_UNAVAILABLE*) ok faults_credentials_full_refresh_503 ;;
	*) fail faults_credentials_full_refresh_503 "${r:0:200}" ;; esac
	r=$(http GET /users/me -H "Authorization: Bearer $AT")
	case "$r" in "200 "*) ok faults_credentials_full_verify_works ;;
	*) fail faults_credentials_full_verify_works "${r:0:200}" ;; esac
	rm -f "$T/keyd/db/fill"
	r=$(login_root)
	case "$r" in "200 "*access_token*) ok faults_credentials_full_recovers ;;
	*) fail faults_credentials_full_recovers "${r:0:200}" ;; esac
	# The refresh refused while full did not consume its token.
	r=$(http POST /auth/refresh -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$RT0\"}")
	case "$r" in "200 "*) ok faults_credentials_full_refresh_after ;;
	*) fail faults_credentials_full_refresh_after "${r:0:200}" ;; esac
	r=$(integrity _tokend_keyd "$CDB")
	[ "$r" = ok ] && ok faults_credentials_full_integrity ||
	    fail faults_credentials_full_integrity "$r"
else
	skip faults_credentials_full "cannot mount a tmpfs here"
fi

# 5. A read-only item store and credential database.  A file made
# read-only under a running process stays writable through the
# descriptor it holds, so the file is made immutable (chattr +i, which
# holds for root too) and the process that opens it (each item
# process, keyd) is restarted with kill -9; the same again once the file
# is writable.
if chattr +i "$IDB" 2>/dev/null; then
	old=$(td_items)
	kill -9 $old 2>/dev/null
	td_until "[ \"\$(td_items | wc -w)\" -eq 2 ] && [ -z \"\$(td_items | grep -xF \"$old\")\" ]" 100
	td_until td_items_ready 50
	r=$(post_item 7)
	case "$r" in "503 "*SERVICE_UNAVAILABLE*) ok faults_items_readonly_503 ;;
	*) fail faults_items_readonly_503 "${r:0:200} $(tail -5 $T/log)" ;; esac
	r=$(http GET '/items/notes?limit=1' -H "Authorization: Bearer $AT")
	case "$r" in "200 "*) ok faults_items_readonly_reads ;;
	*) fail faults_items_readonly_reads "${r:0:200}" ;; esac
	chattr -i "$IDB"
	old=$(td_items)
	kill -9 $old 2>/dev/null
	td_until "[ \"\$(td_items | wc -w)\" -eq 2 ] && [ -z \"\$(td_items | grep -xF \"$old\")\" ]" 100
	td_until '[ "$(post_item 8 | cut -c1-3)" = 200 ]' 50 &&
	    ok faults_items_readonly_recovers || fail faults_items_readonly_recovers "$(tail -5 $T/log)"
	r=$(integrity _tokend_items "$IDB")
	[ "$r" = ok ] && ok faults_items_readonly_integrity || fail faults_items_readonly_integrity "$r"
else
	skip faults_items_readonly "chattr +i refused on this file system"
fi
if chattr +i "$CDB" 2>/dev/null; then
	kill -9 "$(td_keyd)"
	sleep 1
	r=$(login_root)
	case "$r" in "503 "*SERVICE_UNAVAILABLE*) ok faults_credentials_readonly_503 ;;
	*) fail faults_credentials_readonly_503 "${r:0:200} $(tail -5 $T/log)" ;; esac
	chattr -i "$CDB"
	kill -9 "$(td_keyd)" 2>/dev/null
	td_until '[ "$(login_root | cut -c1-3)" = 200 ]' 150 &&
	    ok faults_credentials_readonly_recovers ||
	    fail faults_credentials_readonly_recovers "$(tail -5 $T/log)"
	r=$(integrity _tokend_keyd "$CDB")
	[ "$r" = ok ] && ok faults_credentials_readonly_integrity ||
	    fail faults_credentials_readonly_integrity "$r"
else
	skip faults_credentials_readonly "chattr +i refused on this file system"
fi
