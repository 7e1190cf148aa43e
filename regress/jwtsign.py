#!/usr/bin/env python3
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
import base64, hashlib, hmac, os, sys

def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def raw(s):
    if s.startswith("@"):
        return open(s[1:], "rb").read().rstrip(b"\n")
    return bytes.fromhex(s[4:]) if s.startswith("hex:") else s.encode()

key = open(sys.argv[1], "rb").read()
mode = sys.argv[4] if len(sys.argv) > 4 else ""
signing = b64(raw(sys.argv[2])) + "." + b64(raw(sys.argv[3]))
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
print(signing + "." + sig)
