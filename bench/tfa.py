#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
"""The two-factor users of bench.sh and their TOTP codes (standard library).

    tfa.py seed DB TEMPLATE-EMAIL PASSWORD N OUT
    tfa.py codes SECRETS SECONDS OUT
    tfa.py users DB

seed: N copies of the user TEMPLATE-EMAIL in the credential database DB
(its password hash, role and every other column), tfa0001@example.com
and on, each with a new id and a TFA secret of its own (20 random bytes,
base32) in users.tfa_secret as Directus keeps it: keyd seals them with
its tfa-key at its next start (keyd/tfa.c).  Written in one transaction
while tokend runs (SQLite's WAL lets keyd read meanwhile).  OUT gets
"email password secret" a line.

codes: for every user of SECRETS (the OUT of seed), "email password S C0
C1 ... CK": the codes of the time steps S (the step now) to S + K, K
covering SECONDS from now and one step more (RFC 6238: HMAC-SHA-1, 30 s
steps, 6 digits).  tfa.lua picks the code of the step it sends in.

users: "suspended not-active sealed", the users of DB that are
suspended, that are not active, and whose TFA secret keyd sealed
(tokenctl user list stops at 60 KiB, a few hundred users).
"""
import base64
import hashlib
import hmac
import os
import sqlite3
import struct
import sys
import time
import uuid

STEP = 30


def totp(key, step):
    h = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff)
                     % 1000000)


def seed(db, template, password, n, out):
    con = sqlite3.connect(db, timeout=30)
    cols = [r[1] for r in con.execute("PRAGMA table_info(users)")]
    row = con.execute("SELECT * FROM users WHERE email = ?",
                      (template,)).fetchone()
    if row is None:
        sys.exit("tfa.py: no user %s in %s" % (template, db))
    tmpl = dict(zip(cols, row))
    sql = "INSERT INTO users (%s) VALUES (%s)" % (
        ", ".join(cols), ", ".join("?" * len(cols)))
    lines = []
    with con:
        for i in range(1, n + 1):
            secret = base64.b32encode(os.urandom(20)).decode()
            u = dict(tmpl, id=str(uuid.uuid4()),
                     email="tfa%04d@example.com" % i, tfa_secret=secret,
                     tfa_last_step=None, token_hash=None, last_access=None)
            con.execute(sql, [u[c] for c in cols])
            lines.append("%s %s %s\n" % (u["email"], password, secret))
    con.close()
    with open(out, "w") as f:
        f.writelines(lines)


def codes(secrets, seconds, out):
    s0 = int(time.time()) // STEP
    k = seconds // STEP + 2
    with open(secrets) as f, open(out + ".tmp", "w") as o:
        for line in f:
            email, password, secret = line.split()
            key = base64.b32decode(secret)
            o.write("%s %s %d %s\n" % (email, password, s0, " ".join(
                totp(key, s) for s in range(s0, s0 + k + 1))))
    os.rename(out + ".tmp", out)


def users(db):
    con = sqlite3.connect(db, timeout=30)
    print(*con.execute(
        "SELECT count(*) FILTER (WHERE status = 'suspended'),"
        " count(*) FILTER (WHERE status != 'active'),"
        " count(*) FILTER (WHERE tfa_secret LIKE 'tokend-tfa-1:%')"
        " FROM users").fetchone())
    con.close()


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "seed":
        seed(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
             sys.argv[6])
    elif len(sys.argv) == 5 and sys.argv[1] == "codes":
        codes(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 3 and sys.argv[1] == "users":
        users(sys.argv[2])
    else:
        sys.exit(__doc__)
