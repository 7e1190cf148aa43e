#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# jwtforge.py: asymmetric JWTs for the signing tests, with the openssl
# command (no Python crypto module needed).
#   sign ALG KEY.pem HEADER PAYLOAD [MODE]   a token signed by KEY
#       ALG EdDSA or ES256 (R||S, RFC 7518 3.4); MODE short or long
#       drops or adds a byte of the signature
#   verify ALG PUB.pem TOKEN                  exit 0 when it verifies
#   thumb PUB.pem                             the RFC 7638 thumbprint
#   jwk PUB.pem                               the public JWK members
import base64, hashlib, json, os, subprocess, sys, tempfile

def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data,
                          capture_output=True, check=True).stdout

def der_len(b, i):
    n = b[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7f
    return int.from_bytes(b[i + 1:i + 1 + k], "big"), i + 1 + k

def der_to_rs(der):
    _, i = der_len(der, 1)
    out = b""
    for _ in range(2):
        n, i = der_len(der, i + 1)
        out += der[i:i + n].lstrip(b"\0").rjust(32, b"\0")
        i += n
    return out

def der_int(x):
    x = x.lstrip(b"\0") or b"\0"
    if x[0] & 0x80:
        x = b"\0" + x
    return b"\x02" + bytes([len(x)]) + x

def rs_to_der(sig):
    body = der_int(sig[:32]) + der_int(sig[32:])
    return b"\x30" + bytes([len(body)]) + body

def raw_sign(alg, key, data):
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        if alg == "EdDSA":
            return openssl("pkeyutl", "-sign", "-rawin", "-inkey", key,
                           "-in", f.name)
        return der_to_rs(openssl("dgst", "-sha256", "-sign", key, f.name))

def raw_verify(alg, pub, data, sig):
    with tempfile.NamedTemporaryFile() as f, \
         tempfile.NamedTemporaryFile() as s:
        f.write(data)
        f.flush()
        s.write(sig if alg == "EdDSA" else rs_to_der(sig))
        s.flush()
        args = (["pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", pub,
                 "-in", f.name, "-sigfile", s.name] if alg == "EdDSA" else
                ["dgst", "-sha256", "-verify", pub, "-signature", s.name,
                 f.name])
        try:
            openssl(*args)
            return True
        except subprocess.CalledProcessError:
            return False

def public_jwk(pub):
    der = openssl("pkey", "-pubin", "-in", pub, "-outform", "DER")
    if len(der) == 44:
        return {"crv": "Ed25519", "kty": "OKP", "x": b64(der[-32:])}
    pt = der[-65:]
    return {"crv": "P-256", "kty": "EC", "x": b64(pt[1:33]),
            "y": b64(pt[33:])}

def main(a):
    if a[0] == "sign":
        alg, key, header, payload = a[1:5]
        mode = a[5] if len(a) > 5 else ""
        signing = b64(header.encode()) + "." + b64(payload.encode())
        sig = raw_sign(alg, key, signing.encode())
        if mode == "short":
            sig = sig[:-1]
        elif mode == "long":
            sig = sig + b"\0"
        print(signing + "." + b64(sig))
    elif a[0] == "verify":
        alg, pub, token = a[1:4]
        h, p, s = token.split(".")
        sys.exit(0 if raw_verify(alg, pub, (h + "." + p).encode(),
                                 unb64(s)) else 1)
    elif a[0] == "thumb":
        jwk = public_jwk(a[1])
        text = json.dumps(jwk, sort_keys=True, separators=(",", ":"))
        print(b64(hashlib.sha256(text.encode()).digest()))
    elif a[0] == "jwk":
        print(json.dumps(public_jwk(a[1]), sort_keys=True,
                         separators=(",", ":")))

main(sys.argv[1:])
