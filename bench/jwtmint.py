#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# jwtmint.py ALG KEY TOKEN N: N distinct tokens like TOKEN (its header
# and claims, "iat" lowered by 1..N seconds), signed with KEY (the
# secret for HS256, the PEM private key for EdDSA and ES256), one a
# line, for bench/signing.sh's cold runs.  Needs Python's cryptography
# for EdDSA and ES256.
import base64, hashlib, hmac, json, sys

def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

alg, keyfile, token, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
h, p, _ = token.split(".")
claims = json.loads(unb64(p))
key = open(keyfile, "rb").read()
if alg != "HS256":
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, utils
    pk = serialization.load_pem_private_key(key, None)
for k in range(1, n + 1):
    claims["iat"] = claims["iat"] - 1
    signing = (h + "." + b64(json.dumps(claims, separators=(",", ":"))
                             .encode())).encode()
    if alg == "HS256":
        sig = hmac.new(key, signing, hashlib.sha256).digest()
    elif alg == "EdDSA":
        sig = pk.sign(signing)
    else:
        r, s = utils.decode_dss_signature(pk.sign(signing,
                                                  ec.ECDSA(hashes.SHA256())))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    print(signing.decode() + "." + b64(sig))
