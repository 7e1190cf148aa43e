#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
"""The users and live sessions of bench/scale/scale.sh (standard library).

    gen.py sqlite DB TEMPLATE-EMAIL SEED N
    gen.py pgsql TEMPLATE-EMAIL SEED N      (SQL for psql on stdout)
    gen.py refresh SECRET SEED N K          (refresh tokens)
    gen.py users SEED N K PASSWORD          (login.lua's users)
    gen.py jwts SECRET JWT SEED N K         (access tokens)

sqlite, pgsql: N copies of the user TEMPLATE-EMAIL (made by tokenctl,
so its password's PHC hash, role and every other column are what keyd
writes) and N copies of its one session (made by a login: expiry, ip,
user agent, last use), one session per user, in one transaction; then
the template is deleted (its session with it), so that the database
holds exactly N users and N sessions.  Copy i (1..N) is:

    id          a version 4 uuid from md5("SEED:u:i")
    email       scale<i>@example.com
    session     id i, generation 0, salt sha256("SEED:s:i")[:8], no
                token_hash nor family (a session of the current format)
    refresh     its token as keyd makes it (keyd/auth.c): base64url of
                1, id, generation, salt, HMAC-SHA256 (first 24 bytes)
                under HMAC-SHA256(SECRET, KEYD_REFRESH_LABEL of
                keyd/keyd.h) of the bytes before

SQLite: a recursive CTE with sha256 and md5 from Python; PostgreSQL:
generate_series with its md5() and sha256().  Every other column is
copied from the template's row (the column lists are read from the
schema, so a new column is copied too; PostgreSQL's serial columns
take their defaults).

refresh, users, jwts: for K copies spread evenly over 1..N (copy
1 + j * N / K, j = 0..K-1, the copies repeated in turn when K > N):
their refresh tokens; their "email PASSWORD" lines; and access tokens
like JWT (its header and claims) with the copy's id, "iat" lowered by
one second for each round over the copies so that every token is
distinct, signed HS256 with the secret file SECRET.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import sqlite3
import struct
import sys


def uid(seed, i):
    h = hashlib.md5(("%s:u:%d" % (seed, i)).encode()).hexdigest()
    return "%s-%s-4%s-8%s-%s" % (h[0:8], h[8:12], h[13:16], h[17:20],
                                 h[20:32])


def salt(seed, i):
    return hashlib.sha256(("%s:s:%d" % (seed, i)).encode()).digest()[:8]


def refresh_key(secretfile):
    h = open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "..", "..", "keyd", "keyd.h")).read()
    label = re.search(r'#define KEYD_REFRESH_LABEL\s+"([^"]*)"', h).group(1)
    return hmac.new(open(secretfile, "rb").read(), label.encode(),
                    hashlib.sha256).digest()


def refresh(key, seed, i):
    body = struct.pack(">BQI", 1, i, 0) + salt(seed, i)
    mac = hmac.new(key, body, hashlib.sha256).digest()[:24]
    return base64.urlsafe_b64encode(body + mac).rstrip(b"=").decode()


def spread(n, k):
    return [1 + j % n if k >= n else 1 + j * n // k for j in range(k)]


def sqlite_gen(db, template, seed, n):
    con = sqlite3.connect(db, timeout=30, isolation_level=None)
    con.create_function("uid", 1, lambda i: uid(seed, i),
                        deterministic=True)
    con.create_function("salt", 1, lambda i: salt(seed, i),
                        deterministic=True)
    row = con.execute("SELECT id FROM users WHERE email = ?",
                      (template,)).fetchone()
    if row is None:
        sys.exit("gen.py: no user %s in %s" % (template, db))
    tid = row[0]
    if con.execute("SELECT count(*) FROM sessions WHERE user_id = ?",
                   (tid,)).fetchone()[0] != 1:
        sys.exit("gen.py: %s needs exactly one session" % template)
    over = {"id": "uid(i)", "email": "'scale' || i || '@example.com'"}
    ucols = [r[1] for r in con.execute("PRAGMA table_info(users)")]
    uexpr = [over.get(c, "t." + c) for c in ucols]
    over = {"id": "i", "token_hash": "NULL", "family": "NULL",
            "gen": "0", "salt": "salt(i)", "rotated": "NULL",
            "user_id": "uid(i)"}
    scols = [r[1] for r in con.execute("PRAGMA table_info(sessions)")]
    sexpr = [over.get(c, "t." + c) for c in scols]
    series = ("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL "
              "SELECT i + 1 FROM s WHERE i < %d) " % n)
    con.execute("BEGIN IMMEDIATE")
    con.execute("UPDATE sessions SET id = -1 WHERE user_id = ?", (tid,))
    con.execute(series + "INSERT INTO users (%s) SELECT %s FROM s, users t "
                "WHERE t.id = ?" % (", ".join(ucols), ", ".join(uexpr)),
                (tid,))
    con.execute(series + "INSERT INTO sessions (%s) SELECT %s FROM s, "
                "sessions t WHERE t.user_id = ?" % (", ".join(scols),
                                                     ", ".join(sexpr)),
                (tid,))
    con.execute("DELETE FROM sessions WHERE user_id = ?", (tid,))
    con.execute("DELETE FROM users WHERE id = ?", (tid,))
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def pgsql(template, seed, n):
    s = lit(seed)
    # The same functions as uid() and rhash() above, in SQL.
    md = "md5(%s || ':u:' || i)" % s
    uidx = ("substr(%s, 1, 8) || '-' || substr(%s, 9, 4) || '-4' || "
            "substr(%s, 14, 3) || '-8' || substr(%s, 18, 3) || '-' || "
            "substr(%s, 21, 12)") % (md, md, md, md, md)
    sl = "substr(sha256(convert_to(%s || ':s:' || i, 'UTF8')), 1, 8)" % s
    # Each table's columns but those a sequence fills, and the
    # template's value or the copy's expression for each.
    cols = ("SELECT string_agg(quote_ident(column_name), ',' ORDER BY "
            "ordinal_position), string_agg(CASE column_name %s ELSE 't.' "
            "|| quote_ident(column_name) END, ',' ORDER BY "
            "ordinal_position) INTO %s FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = '%s' "
            "AND (coalesce(column_default, '') NOT LIKE 'nextval(%%' OR "
            "table_name = 'sessions' AND column_name = 'id');")
    print("SET synchronous_commit = off;")
    print("BEGIN;")
    print("DO $gen$ DECLARE tid text; uc text; ue text; sc text; "
          "se text; BEGIN")
    print("SELECT id INTO tid FROM users WHERE email = %s;" % lit(template))
    print("IF tid IS NULL THEN RAISE EXCEPTION 'no user %s'; END IF;"
          % template.replace("'", "''"))
    print(cols % ("WHEN 'id' THEN %s WHEN 'email' THEN %s" %
                  (lit(uidx), lit("'scale' || i || '@example.com'")),
                  "uc, ue", "users"))
    print(cols % ("WHEN 'id' THEN 'i' WHEN 'token_hash' THEN 'NULL' "
                  "WHEN 'family' THEN 'NULL' WHEN 'gen' THEN '0' "
                  "WHEN 'rotated' THEN 'NULL' WHEN 'salt' THEN %s "
                  "WHEN 'user_id' THEN %s" % (lit(sl), lit(uidx)),
                  "sc, se", "sessions"))
    print("IF (SELECT count(*) FROM sessions WHERE user_id = tid) != 1 "
          "THEN RAISE EXCEPTION 'the template needs exactly one session'; "
          "END IF;")
    print("EXECUTE format('INSERT INTO users (%%s) SELECT %%s FROM "
          "generate_series(1, %d) i, users t WHERE t.id = %%L', uc, ue, "
          "tid);" % n)
    print("UPDATE sessions SET id = -1 WHERE user_id = tid;")
    print("EXECUTE format('INSERT INTO sessions (%%s) SELECT %%s FROM "
          "generate_series(1, %d) i, sessions t WHERE t.user_id = %%L', "
          "sc, se, tid);" % n)
    print("DELETE FROM sessions WHERE user_id = tid;")
    print("DELETE FROM users WHERE id = tid;")
    print("PERFORM setval(pg_get_serial_sequence('sessions', 'id'), %d);"
          % n)
    print("END $gen$;")
    print("COMMIT;")
    print("VACUUM ANALYZE users;")
    print("VACUUM ANALYZE sessions;")


def jwts(secretfile, token, seed, n, k):
    key = open(secretfile, "rb").read()
    h, p, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    iat = claims["iat"]
    for j, i in enumerate(spread(n, k)):
        claims["id"] = uid(seed, i)
        claims["iat"] = iat - j // n
        signing = (h + "." + base64.urlsafe_b64encode(json.dumps(
            claims, separators=(",", ":")).encode()).rstrip(b"=").decode())
        sig = hmac.new(key, signing.encode(), hashlib.sha256).digest()
        print(signing + "." +
              base64.urlsafe_b64encode(sig).rstrip(b"=").decode())


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == "sqlite":
        sqlite_gen(a[1], a[2], a[3], int(a[4]))
    elif len(a) == 4 and a[0] == "pgsql":
        pgsql(a[1], a[2], int(a[3]))
    elif len(a) == 5 and a[0] == "refresh":
        key = refresh_key(a[1])
        for i in spread(int(a[3]), int(a[4])):
            print(refresh(key, a[2], i))
    elif len(a) == 5 and a[0] == "users":
        for i in spread(int(a[2]), int(a[3])):
            print("scale%d@example.com %s" % (i, a[4]))
    elif len(a) == 6 and a[0] == "jwts":
        jwts(a[1], a[2], a[3], int(a[4]), int(a[5]))
    else:
        sys.exit(__doc__)
