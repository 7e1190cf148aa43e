#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The security catalog's login timing rows (L1, L2), apart from
# catalog.sh because they measure time: regress/run.sh runs this file
# alone.  The four failure classes of catalog.sh: an unknown user, a
# wrong password, a suspended user, a user with a wrong password whose
# hash is still stored.  And the password reset request (PR1): a known
# and an unknown email answered alike, in the same time.
. "$(dirname "$0")/../lib.sh"
need python3
td_init
MPORT=$(td_free_port)	# nobody listens: the reset mails wait in the outbox
td_conf "${TD_FAST_PASSWORD[@]}" \
    'auth {' '	login-stall 100ms' '	login-attempts 0' '	session-grace 1s' \
    '	reset-url-allow "http://localhost:3000/reset"' '}' \
    'mail {' "	relay 127.0.0.1; port $MPORT" '}'
td_up catalog_timing
echo 'catalog editor pass 2' | $CTL user add ed@example.com >/dev/null
echo 'catalog suspended pass' | $CTL user add sus@example.com >/dev/null
echo 'catalog nohash pass' | $CTL user add nohash@example.com >/dev/null
$CTL user suspend sus@example.com >/dev/null

# L1: 200 logins per class, interleaved, 8 at a time; medians within 5 ms
# of one another (login-stall makes them equal by design) and none
# answered before the stall (100 ms, less the 4 ms tick of libevent's
# coarse monotonic clock: 90).
python3 - "$URL" > "$T/timing" <<'PY'
import http.client, json, random, statistics, sys, time, threading, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
classes = {"unknown": ("nobody@example.com", "x"),
           "wrong": ("ed@example.com", "wrong password"),
           "suspended": ("sus@example.com", "catalog suspended pass"),
           "nohash": ("nohash@example.com", "x")}
jobs = [c for c in classes for _ in range(200)]
random.shuffle(jobs)
res = {c: [] for c in classes}
bodies = {c: set() for c in classes}
lock = threading.Lock()
def work():
    while True:
        with lock:
            if not jobs: return
            c = jobs.pop()
        e, p = classes[c]
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        t = time.monotonic()
        conn.request("POST", "/auth/login", json.dumps({"email": e, "password": p}),
            {"Content-Type": "application/json"})
        r = conn.getresponse(); b = r.read()
        ms = (time.monotonic() - t) * 1000
        conn.close()
        with lock:
            res[c].append(ms)
            bodies[c].add((r.status, b, tuple(sorted(k.lower() for k, v in r.getheaders()))))
ts = [threading.Thread(target=work) for _ in range(8)]
for t in ts: t.start()
for t in ts: t.join()
med = {c: statistics.median(v) for c, v in res.items()}
print("medians", " ".join("%s=%.1f" % kv for kv in med.items()))
print("min", " ".join("%s=%.1f" % (c, min(v)) for c, v in res.items()))
print("spread %.1f" % (max(med.values()) - min(med.values())))
print("answers %d" % len(set().union(*bodies.values())))
PY
spread=$(awk '/^spread/ { print $2 }' "$T/timing")
awk -v s="$spread" 'BEGIN { exit !(s < 5) }' && ok catalog_L1_timing_medians_within_5ms ||
    fail catalog_L1_timing_medians_within_5ms "$(cat $T/timing)"
awk '/^min/ { for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[2] < 90) bad = 1 } } END { exit bad }' "$T/timing" &&
    ok catalog_L1_never_before_stall || fail catalog_L1_never_before_stall "$(cat $T/timing)"
echo "# L1: $(head -1 $T/timing)"
# L2: one status, body and header set for every failure class.
grep -q '^answers 1$' "$T/timing" && ok catalog_L2_one_answer_for_all_failures ||
    fail catalog_L2_one_answer_for_all_failures "$(cat $T/timing)"

# PR1: 200 password reset requests for an active user and 200 for an
# unknown email, interleaved, 8 at a time: the same answer (204, body,
# header names), medians within 5 ms, none before the stall.
python3 - "$URL" > "$T/prtiming" <<'PY'
import http.client, json, random, statistics, sys, time, threading, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
classes = {"known": "ed@example.com", "unknown": "nobody@example.com"}
jobs = [c for c in classes for _ in range(200)]
random.shuffle(jobs)
res = {c: [] for c in classes}
answers = set()
lock = threading.Lock()
def work():
    while True:
        with lock:
            if not jobs: return
            c = jobs.pop()
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        t = time.monotonic()
        conn.request("POST", "/auth/password/request", json.dumps({"email":
            classes[c], "reset_url": "http://localhost:3000/reset"}),
            {"Content-Type": "application/json"})
        r = conn.getresponse(); b = r.read()
        ms = (time.monotonic() - t) * 1000
        conn.close()
        with lock:
            res[c].append(ms)
            answers.add((r.status, b, tuple(sorted(k.lower() for k, v in
                r.getheaders() if k.lower() != "date"))))
ts = [threading.Thread(target=work) for _ in range(8)]
for t in ts: t.start()
for t in ts: t.join()
med = {c: statistics.median(v) for c, v in res.items()}
print("medians", " ".join("%s=%.1f" % kv for kv in med.items()))
print("min", " ".join("%s=%.1f" % (c, min(v)) for c, v in res.items()))
print("spread %.1f" % (max(med.values()) - min(med.values())))
print("answers %d %s" % (len(answers), " ".join(str(a[0]) for a in answers)))
PY
spread=$(awk '/^spread/ { print $2 }' "$T/prtiming")
awk -v s="$spread" 'BEGIN { exit !(s < 5) }' && ok catalog_PR1_timing_medians_within_5ms ||
    fail catalog_PR1_timing_medians_within_5ms "$(cat $T/prtiming)"
awk '/^min/ { for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[2] < 90) bad = 1 } } END { exit bad }' "$T/prtiming" &&
    ok catalog_PR1_never_before_stall || fail catalog_PR1_never_before_stall "$(cat $T/prtiming)"
grep -q '^answers 1 204$' "$T/prtiming" && ok catalog_PR1_one_answer ||
    fail catalog_PR1_one_answer "$(cat $T/prtiming)"
[ "$($CTL mail list | grep -c password-reset)" = 1 ] && ok catalog_PR1_one_mail_waits ||
    fail catalog_PR1_one_mail_waits "$($CTL mail list | head -3)"
echo "# PR1: $(head -1 $T/prtiming)"
