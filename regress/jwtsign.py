#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# jwtsign.py SECRET-FILE HEADER PAYLOAD [MODE]: a JWT for the catalog
# tests.  HEADER and PAYLOAD are taken as they are, byte for byte (so
# duplicate members, odd numbers and bad JSON survive); "hex:..." gives
# raw bytes, "@FILE" the bytes of a file.  The MAC is HMAC-SHA256 with the file's raw bytes, unless
# MODE says otherwise:
#   sha384, sha512      HMAC with that hash (an HS384/HS512 signature)
#   other               HMAC-SHA256 with 32 other random bytes
#   empty               HMAC-SHA256 with an empty key (/dev/null's bytes)
#   trailing            a canonical MAC re-encoded with the unused low
#                       bits of its last character set
#   pad, std            the MAC with "=" padding / in the +/ alphabet
#
# jwtsign.py SECRET-FILE -: the same for many tokens in one process (a
# test signs hundreds; a Python start each costs seconds under load):
# each request on stdin is its argument count, then HEADER PAYLOAD
# [MODE], each followed by a NUL byte; each token is a line on stdout.
import base64, hashlib, hmac, os, sys

def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def raw(s):
    if s.startswith("@"):
        return open(s[1:], "rb").read().rstrip(b"\n")
    return bytes.fromhex(s[4:]) if s.startswith("hex:") else s.encode()

def sign(secret, header, payload, mode=""):
    key = open(secret, "rb").read()
    signing = b64(raw(header)) + "." + b64(raw(payload))
    digest = {"sha384": hashlib.sha384, "sha512": hashlib.sha512}.get(mode,
        hashlib.sha256)
    if mode == "other":
        key = os.urandom(32)
    elif mode == "empty":
        key = b""
    mac = hmac.new(key, signing.encode(), digest).digest()
    sig = b64(mac)
    if mode == "trailing":
        alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        sig = sig[:-1] + alpha[alpha.index(sig[-1]) | 3]
    elif mode == "pad":
        sig = base64.urlsafe_b64encode(mac).decode()
    elif mode == "std":
        sig = base64.b64encode(mac).rstrip(b"=").decode()
        if "+" not in sig and "/" not in sig:
            sig = sig[:-2] + "+/"        # still not base64url: refused either way
    return signing + "." + sig

def field(f):
    b = bytearray()
    while True:
        c = f.read(1)
        if not c:
            sys.exit(0)
        if c == b"\0":
            return b.decode("utf-8", "surrogateescape")
        b += c

if sys.argv[2:] == ["-"]:
    stdin = sys.stdin.buffer
    while True:
        args = [field(stdin) for _ in range(int(field(stdin)))]
        print(sign(sys.argv[1], *args), flush=True)
else:
    print(sign(*sys.argv[1:5]))
