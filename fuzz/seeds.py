#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
"""Write the seed corpora of the fuzz targets into fuzz/corpus/NAME/.

The seeds are valid examples plus the hostile inputs of the security
catalog (sections 1 to 3: token format, time claims, token transport;
L7, J1 to J5 and P1 for the bodies; J1 to J3, T8 and T10 for filters,
with the examples of the Directus documentation and the filter on a
password hash of directus-auth.md section 10).  Each file is named after what it
holds, with the catalog row first where there is one.  The output is
committed; run this again only to change the seeds.  Files of other
names (merged by "make fuzz-merge") are left alone.
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import sys

TOP = os.path.dirname(os.path.abspath(__file__))
SECRET = b"fuzz-seed-secret-0123456789abcdef"
UUID = "11111111-1111-4111-8111-111111111111"
ROLE = "a0000000-0000-4000-8000-000000000001"
SESSION = "A" * 30 + "b_-" + "9" * 31          # 64 of [A-Za-z0-9_-]


def write(target, name, data):
    d = os.path.join(TOP, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def b64u(b):
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64s(b):
    return base64.b64encode(b).rstrip(b"=").decode()


def jwt(header, payload, sig=None):
    """header and payload: dicts (dumped) or raw strings (as given)."""
    h = header if isinstance(header, str) else json.dumps(header)
    p = payload if isinstance(payload, str) else json.dumps(payload)
    signing = b64u(h) + "." + b64u(p)
    if sig is None:
        sig = b64u(hmac.new(SECRET, signing.encode(), hashlib.sha256)
                   .digest())
    return signing + "." + sig


HS = {"alg": "HS256", "typ": "JWT"}
CLAIMS = {"id": UUID, "role": ROLE, "app_access": True,
          "admin_access": False, "iat": 1700000000, "exp": 1700000900,
          "iss": "directus"}


def claims(**kw):
    c = dict(CLAIMS)
    for k, v in kw.items():
        if v is KeyError:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def seeds_jwt():
    t = {}
    t["valid"] = jwt(HS, CLAIMS)
    t["valid-session"] = jwt(HS, claims(session=SESSION))
    t["valid-role-null-nbf"] = jwt(HS, claims(role=None, nbf=1700000000))
    t["valid-no-typ-kid"] = jwt({"alg": "HS256", "kid": "k1"}, CLAIMS)
    t["valid-uppercase-uuid"] = jwt(HS, claims(id=UUID.upper()))
    t["static-token"] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    t["foreign-jwt-no-iss"] = jwt(HS, claims(iss=KeyError))
    t["T13-iss-other"] = jwt(HS, claims(iss="directus2"))
    t["T13-iss-number"] = jwt(HS, claims(iss=1))
    for i, alg in enumerate(["none", "None", "NONE", "nOnE", "", None]):
        t["T1-alg-%d" % i] = jwt({"alg": alg, "typ": "JWT"}, CLAIMS, "")
        t["T1-alg-%d-sig" % i] = jwt({"alg": alg}, CLAIMS)
    t["T1-alg-missing"] = jwt({"typ": "JWT"}, CLAIMS)
    t["T1-alg-number"] = jwt({"alg": 256}, CLAIMS)
    t["T1-alg-array"] = jwt({"alg": ["HS256"]}, CLAIMS)
    v = jwt(HS, CLAIMS)
    h, p, s = v.split(".")
    t["T2-empty-sig"] = h + "." + p + "."
    t["T2-two-segments"] = h + "." + p
    t["T2-four-segments"] = v + "." + s
    t["T2-jwe-five"] = ".".join([h, p, s, s, s])
    t["T2-sig-31-bytes"] = h + "." + p + "." + b64u(b"\x01" * 31)
    t["T2-sig-33-bytes"] = h + "." + p + "." + b64u(b"\x01" * 33)
    flipped = s[:-1] + ("B" if s[-1] != "B" else "C")
    t["T3-sig-flipped"] = h + "." + p + "." + flipped
    for alg in ["RS256", "ES256", "EdDSA", "PS256", "HS384", "HS512"]:
        t["T4-alg-" + alg] = jwt({"alg": alg, "typ": "JWT"}, CLAIMS)
    for i, kid in enumerate(["../../../../dev/null",
                             "' UNION SELECT 'secret' --", "a\u0000b",
                             "k" * 300, 7, None, ["a"]]):
        t["T5-kid-%d" % i] = jwt({"alg": "HS256", "kid": kid}, CLAIMS)
    t["T6-jku"] = jwt({"alg": "HS256", "jku": "http://169.254.169.254/"},
                      CLAIMS)
    t["T6-x5u"] = jwt({"alg": "HS256", "x5u": "http://localhost/"}, CLAIMS)
    t["T6-jwk"] = jwt({"alg": "HS256", "jwk": {"kty": "oct", "k": "AA"}},
                      CLAIMS)
    t["T6-x5c"] = jwt({"alg": "HS256", "x5c": ["MIIB"]}, CLAIMS)
    for i, crit in enumerate([["exp"], ["foo"], [], "b64"]):
        t["T7-crit-%d" % i] = jwt({"alg": "HS256", "crit": crit}, CLAIMS)
    t["T7-b64-false"] = jwt({"alg": "HS256", "b64": False}, CLAIMS)
    pj = json.dumps(CLAIMS)
    t["T8-dup-alg"] = jwt('{"alg":"HS256","alg":"none"}', CLAIMS)
    t["T8-dup-exp"] = jwt(HS, pj[:-1] + ',"exp":9999999999}')
    t["T8-dup-role"] = jwt(HS, pj[:-1] + ',"role":"%s"}' % UUID)
    t["T8-dup-iss"] = jwt(HS, pj[:-1] + ',"iss":"directus"}')
    t["T9-padding"] = h + "." + p + "." + s + "="
    t["T9-padded-payload"] = h + "." + p + "==." + s
    t["T9-std-alphabet"] = (h + "." + p + "." +
                            s.replace("-", "+").replace("_", "/"))
    t["T9-whitespace"] = h + "." + p[:10] + " \n" + p[10:] + "." + s
    t["T9-len-1-mod-4"] = h + "." + p + "A." + s
    t["T9-trailing-bits"] = h + "." + p + "." + s[:-1] + chr(ord(s[-1]) + 1)
    for i, body in enumerate(["[]", '"x"', "1", "null",
                              '{"iss":"directus","id":"\\ud800"}',
                              '\ufeff{"iss":"directus"}',
                              '{"iss":"directus","id":"abc\\u0000evil"}',
                              '{"iss":"directus","exp":1e309}',
                              '{"iss":"directus","exp":-0}',
                              '{"iss":"directus","exp":0x10}',
                              '{"iss":"directus","exp":0010}']):
        t["T10-payload-%d" % i] = jwt(HS, body)
    t["T10-invalid-utf8"] = (b64u(json.dumps(HS)) + "." +
                             b64u(b'{"iss":"directus","id":"\xc3\x28"}') +
                             "." + s)
    t["T10-overlong-utf8"] = (b64u(json.dumps(HS)) + "." +
                              b64u(b'{"iss":"directus","id":"\xc0\xaf"}') +
                              "." + s)
    t["T11-dots"] = "." * 4096
    t["T11-4097"] = jwt(HS, claims(pad="x" * 2900))[:4097]
    t["T11-max"] = next(x for x in (
        jwt({"alg": "HS256", "kid": "k" * k}, claims(pad="x" * n))
        for n in range(2700, 2900) for k in range(3)) if len(x) == 4096)
    t["T11-nested"] = jwt(HS, '{"iss":"directus","a":' + "[" * 1000 +
                          "]" * 1000 + "}")
    t["T11-many-claims"] = jwt(HS, pj[:-1] + "".join(
        ',"c%d":%d' % (i, i) for i in range(250)) + "}")
    t["T12-refresh-as-access"] = SESSION
    for i, exp in enumerate(['"9999999999"', "1.7e9", "-1", "9007199254740992",
                             "9007199254740993", "9223372036854775808",
                             "1e309", "null", "[1]", "true"]):
        t["E3-exp-%d" % i] = jwt(HS, json.dumps(claims(exp=KeyError))[:-1]
                                 + ',"exp":%s}' % exp)
    t["E2-no-exp"] = jwt(HS, claims(exp=KeyError))
    t["E4-nbf-string"] = jwt(HS, claims(nbf="1"))
    t["E5-iat-negative"] = jwt(HS, claims(iat=-5))
    t["T14-share"] = jwt(HS, claims(share=UUID))
    t["session-short"] = jwt(HS, claims(session="abc"))
    t["session-bad-char"] = jwt(HS, claims(session=SESSION[:-1] + "!"))
    t["uuid-mixed-case"] = jwt(HS, claims(
        id="aaaaaaaa-AAAA-4aaa-8aaa-aaaaaaaaaaaa"))
    t["uuid-short"] = jwt(HS, claims(id=UUID[:-1]))
    t["uuid-no-dashes"] = jwt(HS, claims(id=UUID.replace("-", "0")))
    t["access-bool-number"] = jwt(HS, claims(app_access=1))
    t["uuid-alone"] = UUID
    for k, v in t.items():
        write("jwt", k, v)


def seeds_b64():
    url = b"\x00"
    std = b"\x01"
    s = {
        "url-empty": url, "std-empty": std,
        "url-valid": url + b64u(bytes(range(40))).encode(),
        "std-valid": std + b64s(bytes(range(40))).encode(),
        "url-rest-2": url + b64u(b"a").encode(),
        "url-rest-3": url + b64u(b"ab").encode(),
        "T9-padding": url + base64.urlsafe_b64encode(b"ab"),
        "T9-std-in-url": url + b"ab+/",
        "T9-url-in-std": std + b"ab-_",
        "T9-whitespace": url + b"YWJj ZGVm",
        "T9-newline": url + b"YWJj\nZGVm",
        "T9-len-1-mod-4": url + b"YWJjZ",
        "T9-trailing-bits-2": url + b"YR",
        "T9-trailing-bits-3": url + b"YWJ",
        "T9-trailing-bits-3b": url + b"YWK",
        "mac-32": url + b64u(hashlib.sha256(b"x").digest()).encode(),
        "high-bytes": url + bytes(range(128, 256)),
        "T11-long": url + b"A" * 4096,
    }
    for k, v in s.items():
        write("b64", k, v)


def token_input(query=None, name=None, auth=(), cookie=(), out=3):
    flags = ((query is not None) | (name is not None) << 1 |
             len(auth) << 2 | len(cookie) << 4 | out << 6)
    parts = []
    if query is not None:
        parts.append(query)
    if name is not None:
        parts.append(name)
    parts += list(auth) + list(cookie)
    return bytes([flags]) + b"\0".join(p.encode("latin-1") for p in parts)


def seeds_token():
    tok = jwt(HS, CLAIMS)
    sc = "directus_session_token"
    s = {}
    s["public"] = token_input()
    s["query"] = token_input(query="access_token=" + tok)
    s["query-other-params"] = token_input(query="a=1&access_token=abc&b")
    s["header"] = token_input(auth=["Bearer " + tok])
    s["cookie"] = token_input(name=sc, cookie=[sc + "=" + tok])
    s["cookie-quoted"] = token_input(name=sc, cookie=['a=1; %s="%s"' %
                                                      (sc, tok)])
    s["cookie-two-headers"] = token_input(name=sc, cookie=["a=1", sc + "=x"])
    s["cookie-blanks"] = token_input(name=sc, cookie=[" \t%s \t= \tx \t;b"
                                                      % sc])
    s["cookie-empty"] = token_input(name=sc, cookie=[sc + "="])
    s["cookie-no-name"] = token_input(name=sc, cookie=["=x; ;;" + sc])
    for i, h in enumerate(["bearer x", "BEARER x", "Bearer  x", "Bearer\tx",
                           "Bearerx", "Basic dXNlcjpwYXNz", "", "Bearer ",
                           "Bearer x y", "Bearer"]):
        s["H1-header-%d" % i] = token_input(auth=[h])
    s["H2-header-and-query"] = token_input(query="access_token=a",
                                           auth=["Bearer b"])
    s["H2-same-both"] = token_input(query="access_token=a", auth=["Bearer a"])
    s["H2-two-headers"] = token_input(auth=["Bearer a", "Bearer b"])
    s["H2-three-headers"] = token_input(auth=["Bearer a", "x", "y"])
    s["H2-query-twice"] = token_input(query="access_token=a&access_token=b")
    s["H2-query-twice-encoded"] = token_input(
        query="access_token=a&access%5Ftoken=b")
    s["H2-header-and-cookie"] = token_input(name=sc, auth=["Bearer a"],
                                            cookie=[sc + "=b"])
    s["H2-cookie-twice"] = token_input(name=sc, cookie=[sc + "=a; " + sc +
                                                        "=b"])
    s["H2-cookie-twice-headers"] = token_input(name=sc, cookie=[
        sc + "=a", "x=1; " + sc + "=b"])
    s["H2-query-empty-and-header"] = token_input(query="access_token=",
                                                 auth=["Bearer b"])
    for i, q in enumerate(["access_token=%2e%2e", "access_token=%00",
                           "access_token=a+b", "access_token=%252e",
                           "access_token=%", "access_token=%4", "access_token"
                           "=%zz", "%61ccess_token=x", "access_token",
                           "access_token=%41%42%43", "&&&=&", "=x&=",
                           "access_token=\x7f\xff"]):
        s["H4-query-%d" % i] = token_input(query=q)
    s["T11-header-4097"] = token_input(auth=["Bearer " + "a" * 4097])
    s["T11-header-4096"] = token_input(auth=["Bearer " + "a" * 4096])
    s["T11-query-encoded-long"] = token_input(query="access_token=" +
                                              "%41" * 2100)
    s["T11-dots"] = token_input(auth=["Bearer " + "." * 4000])
    s["lookup-small-out"] = token_input(query="fields=id,email",
                                        name="fields", out=1)
    s["lookup-out-1"] = token_input(query="fields=", name="fields", out=0)
    s["lookup-cookie-small"] = token_input(name="a", cookie=["a=123456789"],
                                           out=1)
    for k, v in s.items():
        write("token", k, v)


# proto.h
MSG = dict(HELLO=1, CONFIG=2, RELOAD=3, READY=4, RELOAD_DONE=5,
           KEYD_CHANNEL=6, KEYD_DROP=7, SERVER_KEYD=8, SHUTDOWN=9, HEALTH=10,
           HEALTH_RESULT=11, AUTH=12, AUTH_RESULT=13, LOGIN=14, REFRESH=15,
           TOKENS=16, LOGOUT=17, DONE=18, USER_GET=19, USER_UPDATE=20,
           USER=21, CTL_RELOAD=22, CTL_STATUS=23, CTL_RESULT=24,
           CTL_ADMIN=25, MAX=26)

CONFIG_JSON = json.dumps(json.loads(
    '{"listen":[{"host":"127.0.0.1","address":"127.0.0.1","port":8055}],'
    '"prefork":2,"server_user":"_tokend","server_chroot":"/var/tokend",'
    '"items_user":"_tokend_items","items_chroot":"/var/tokend",'
    '"keyd_user":"_tokend_keyd","keyd_chroot":"/var/db/tokend",'
    '"keyd_program":"/usr/local/libexec/tokend/keyd",'
    '"database":"/var/db/tokend/db/credentials.db",'
    '"secret":"/etc/tokend/secret","tfa_key":"/etc/tokend/tfa-key",'
    '"control":"/var/run/tokend.sock","header_max":8192,'
    '"body_max":1048576,"connections":1024,"request_timeout":30,'
    '"line_max":0,"header_count":100,"header_deadline":10000,'
    '"body_deadline":30000,"rate_points":0,"rate_duration":1000,'
    '"auth_rate_points":0,"auth_rate_duration":60000,'
    '"rate_addresses":16384,"keyd_timeout":2000,"access_ttl":900000,'
    '"refresh_ttl":604800000,"session_ttl":86400000,'
    '"session_grace":10000,"login_stall":500,"login_attempts":25,'
    '"login_lockout":900000,"tfa_issuer":"tokend","hash_memory":65536,'
    '"hash_iterations":3,"hash_parallelism":4,"hash_threads":2,'
    '"hash_queue":64,"refresh_cookie":"directus_refresh_token",'
    '"refresh_cookie_secure":false,"refresh_cookie_samesite":"Lax",'
    '"refresh_cookie_domain":"",'
    '"session_cookie":"directus_session_token",'
    '"session_cookie_secure":false,"session_cookie_samesite":"Lax",'
    '"session_cookie_domain":"","public_url":"",'
    '"items":"/var/tokend/data/items.db","query_limit":1000,'
    '"collections":[{"name":"articles","primary_key":"integer",'
    '"fields":["title","body","status","author"]},{"name":"notes",'
    '"primary_key":"uuid","fields":"*"}],"roles":[{"name":"editor",'
    '"id":"5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60","admin_access":false,'
    '"app_access":true,"permissions":[{"collection":"articles",'
    '"actions":["create","read","update"],"fields":"*",'
    '"filter":{"author":{"_eq":"$CURRENT_USER"}},'
    '"validation":{"title":{"_nnull":true}},'
    '"presets":{"status":"draft"}},{"collection":"directus_users",'
    '"actions":["read"],"fields":["id","email"],"filter":null,'
    '"validation":null,"presets":null}],"enforce_tfa":false}],'
    '"public":[{"collection":"articles","actions":["read"],'
    '"fields":["title","body"],"filter":{"status":{"_eq":"published"}},'
    '"validation":null,"presets":null}]}'))

DATA_CONF = """chroot "/var/tokend"
items "/var/tokend/data/items.db"
limits { query-limit 500 }
collection "articles" {
	primary-key integer
	fields "title" "body" "status" "author"
}
collection notes { primary-key uuid }
role "editor" {
	id "5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60"
	app-access yes
	permission "articles" create read update {
		fields "*"
		filter '{"author":{"_eq":"$CURRENT_USER"}}'
		validation '{"title":{"_nnull":true}}'
		presets '{"status":"draft"}'
	}
	permission "articles" delete { filter '{"author":{"_eq":"$CURRENT_USER"}}' }
	permission "directus_users" read { fields id email first_name }
}
public {
	permission "articles" read { filter '{"status":{"_eq":"published"}}' }
}
"""


def u8(v):
    return struct.pack("=B", v)


def u32(v):
    return struct.pack("=I", v)


def u64(v):
    return struct.pack("=Q", v)


def blob(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def frame(type_, payload, id_=7, pid=1234, length=None):
    n = len(payload) if length is None else length
    return u32(type_) + u32(n) + u32(id_) + u32(pid) + payload


def seeds_frame():
    keyd, child, ctl, huge = b"\0", b"\1", b"\2", b"\3"
    tok = jwt(HS, CLAIMS)
    h, p, s = tok.split(".")
    cred = u8(1) + blob(h + "." + p) + blob(base64.urlsafe_b64decode(s + "="))
    f = {}
    f["hello"] = child + frame(MSG["HELLO"], u32(1) + u32(0) + u32(1))
    f["config"] = child + frame(MSG["CONFIG"], blob(CONFIG_JSON))
    f["reload-bad-json"] = child + frame(MSG["RELOAD"], blob('{"prefork":'))
    f["ready-shutdown"] = child + frame(MSG["READY"], b"") + frame(
        MSG["SHUTDOWN"], b"")
    f["reload-done"] = child + frame(MSG["RELOAD_DONE"], u32(1) +
                                     blob("bad config"))
    f["keyd-channel"] = child + frame(MSG["KEYD_CHANNEL"], u32(1) + u32(2) +
                                      u32(999))
    f["keyd-drop"] = child + frame(MSG["KEYD_DROP"], u32(1) + u32(2))
    f["health-result"] = keyd + frame(MSG["HEALTH"], b"") + frame(
        MSG["HEALTH_RESULT"], u32(3) + blob("ok"))
    f["auth-jwt"] = keyd + frame(MSG["AUTH"], cred)
    f["auth-static"] = keyd + frame(MSG["AUTH"], u8(2) + blob("statictoken")
                                    + blob(b""))
    f["auth-result"] = keyd + frame(MSG["AUTH_RESULT"], u32(0) + blob(UUID) +
                                    blob(ROLE) + u8(1) + u8(1) +
                                    blob(SESSION))
    f["auth-result-id-too-long"] = keyd + frame(
        MSG["AUTH_RESULT"], u32(0) + blob(UUID + "x" * 40) + blob("") +
        u8(0) + u8(0) + blob(""))
    f["auth-result-bad-code"] = keyd + frame(
        MSG["AUTH_RESULT"], u32(99) + blob(UUID) + blob("") + u8(0) + u8(0) +
        blob(""))
    f["login"] = keyd + frame(MSG["LOGIN"], blob("a@example.com") +
                              blob("pass word") + u32(0) + blob("") +
                              blob("127.0.0.1") + blob("curl/8") + blob(""))
    f["refresh"] = keyd + frame(MSG["REFRESH"], blob(SESSION) + u32(1))
    f["tokens"] = keyd + frame(MSG["TOKENS"], u32(0) + blob(tok) +
                               u64(900000) + blob(SESSION) + u64(604800000))
    f["logout-done"] = keyd + frame(MSG["LOGOUT"], blob(SESSION)) + frame(
        MSG["DONE"], u32(0))
    f["user-get"] = keyd + frame(MSG["USER_GET"], cred)
    f["user-update"] = keyd + frame(MSG["USER_UPDATE"], cred +
                                    blob('{"first_name":"A"}'))
    f["user"] = keyd + frame(MSG["USER"], u32(0) + blob('{"id":"%s"}' % UUID))
    f["ctl"] = ctl + frame(MSG["CTL_RELOAD"], b"") + frame(
        MSG["CTL_STATUS"], b"") + frame(MSG["CTL_RESULT"], u32(0) +
                                        blob("server 1: pid 3"))
    f["ctl-admin"] = ctl + frame(MSG["CTL_ADMIN"], u32(1) +
                                 blob("a@example.com") + blob(ROLE) +
                                 blob("secret") + blob(""))
    f["many"] = keyd + b"".join(frame(MSG["DONE"], u32(i), id_=i)
                                for i in range(20))
    f["truncated-header"] = keyd + frame(MSG["DONE"], u32(0))[:10]
    f["truncated-payload"] = keyd + frame(MSG["TOKENS"], u32(0) + blob(tok))[
        :40]
    f["len-past-bound"] = keyd + frame(MSG["USER"], b"", length=16 * 1024 + 1)
    f["len-at-bound"] = keyd + frame(MSG["USER"], u32(0) + blob(
        "x" * (16 * 1024 - 8)))
    f["len-huge"] = huge + frame(MSG["USER"], b"", length=0xffffffff)
    f["len-payload-max"] = huge + frame(MSG["USER"], b"",
                                        length=1024 * 1024 + 1)
    f["type-none"] = keyd + frame(0, b"")
    f["type-max"] = keyd + frame(MSG["MAX"], b"")
    f["type-all-ones"] = keyd + frame(0xffffffff, b"")
    f["str-with-nul"] = keyd + frame(MSG["LOGOUT"], blob(b"ab\0cd"))
    f["str-len-past-payload"] = keyd + frame(MSG["LOGOUT"], u32(100) + b"ab")
    f["str-len-huge"] = keyd + frame(MSG["LOGOUT"], u32(0xffffffff))
    f["trailing-bytes"] = keyd + frame(MSG["DONE"], u32(0) + b"x")
    f["short-u64"] = keyd + frame(MSG["TOKENS"], u32(0) + blob("") + b"\1\2")
    f["blob-past-max"] = keyd + frame(MSG["AUTH"], u8(1) + blob("a") +
                                      blob(b"\0" * 33))
    f["password-past-max"] = ctl + frame(MSG["CTL_ADMIN"], u32(2) + blob("a")
                                         + blob("") + blob("p" * 1025) +
                                         blob(""))
    for k, v in f.items():
        write("frame", k, v)


def seeds_config():
    c = {}
    with open(os.path.join(TOP, "..", "etc", "tokend.conf"), "rb") as f:
        c["etc-tokend.conf"] = f.read()
    c["empty"] = ""
    c["full"] = """
addr = "127.0.0.1"
listen on $addr port 8055
listen on ::1 port 8056
listen on * port 8057
prefork 4
user "_tokend"
chroot "/var/empty"
control socket "/var/run/tokend.sock"
keyd {
	user "_tokend_keyd"; chroot "/var/db/tokend"
	program "/usr/local/libexec/tokend/keyd"
	database "/var/db/tokend/db/credentials.db"
	secret "/etc/tokend/secret"
}
limits { header-size 16K; body-size 2M; connections 512 }
timeout { request 1m; keyd 500ms }
auth {
	access-ttl 10m
	refresh-ttl 30d
	session-ttl 12h
	session-grace 0
	login-stall 0
	login-attempts 0
}
password { memory 1M; iterations 1; parallelism 1; threads 2; queue 8 }
cookie refresh { name "rt"; secure yes; same-site none; domain "example.com" }
cookie session { name "st"; secure yes; same-site strict; domain "" }
"""
    c["one-line-blocks"] = ("limits { header-size 1K }\ntimeout { keyd 100ms"
                            " }\npassword { memory 256M; parallelism 16 }")
    c["no-final-newline"] = "prefork 2"
    c["quotes-escapes"] = ('user \'_tok\\\'end\'\nchroot "/var/\\"empty"\n'
                           'user "a\\\nb" # comment\n')
    c["line-joint"] = "listen \\\non 127.0.0.1 \\\nport 80\n"
    c["macros"] = ('p = "8055"\nh = 127.0.0.1\nlisten on $h port $p\n'
                   'x = "$p"\nprefork $x\n')
    c["macro-keyword-name"] = 'port = 80\nlisten on 127.0.0.1 port $port\n'
    c["macro-undefined"] = "prefork $nothing\n"
    c["macro-empty-name"] = "prefork $\n"
    c["macro-recursive"] = 'a = "$a$a"\nprefork $a\n'
    c["macro-long"] = 'a = "' + "1" * 4096 + '"\nb = "$a$a"\nprefork $a\n'
    c["include-missing"] = 'include "nothing.conf"\n'
    c["include-self-dev"] = 'include "/dev/null"\ninclude ""\n'
    c["errors-everywhere"] = ("bogus\nlisten\nlisten on\nprefork x\n"
                              "prefork 0\nprefork 65\nuser \"\"\n"
                              "user \"ro ot\"\nchroot relative\nkeyd {\n"
                              "bogus 1\nuser\n}\nlimits { header-size 1G }\n"
                              "timeout { request 1500ms }\n"
                              "password { memory 1025 }\n}\n{\n")
    c["unterminated-block"] = "keyd {\nuser \"x\"\n"
    c["unterminated-string"] = 'user "abc\n'
    c["invalid-chars"] = "user \x01\x7f\xff\n"
    c["overlong-line"] = "user " + "a" * 9000 + "\n"
    c["overlong-word"] = "user " + "a" * 8200 + "\n"
    c["overlong-string"] = 'user "' + "a" * 4100 + "\\\n" + "a" * 4100 + '"\n'
    c["ports"] = ("listen on 127.0.0.1 port 0\nlisten on 127.0.0.1 port 65536"
                  "\nlisten on 127.0.0.1 port -1\nlisten on 127.0.0.1 port "
                  "99999999999999999999\nlisten on 127.0.0.1 port 1\n")
    c["listen-hostname"] = "listen on localhost port 8055\n"
    c["listen-17"] = "".join("listen on 127.0.0.%d port 80\n" % i
                             for i in range(1, 18))
    c["listen-duplicate"] = ("listen on 127.0.0.1 port 80\n"
                             "listen on 127.0.0.1 port 80\n")
    c["units"] = ("limits { header-size 65536; body-size 64m; "
                  "connections 65536 }\nauth { access-ttl 86400s; "
                  "refresh-ttl 365d; session-ttl 1h; session-grace 5m; "
                  "login-stall 10s }\ntimeout { request 3600; keyd 60s }\n")
    c["units-out-of-range"] = ("limits { header-size 1023 }\nauth { "
                               "access-ttl 9999ms; refresh-ttl 366d; "
                               "session-grace 301s; login-stall "
                               "99999999999999999999999999999999ms }\n")
    c["samesite-none-insecure"] = "cookie refresh { same-site none }\n"
    c["cookie-same-names"] = ('cookie refresh { name "a" }\n'
                              'cookie session { name "a" }\n')
    c["cookie-bad-name"] = ('cookie refresh { name "a;b" }\ncookie session '
                            '{ domain ".example..com" }\n')
    c["cookie-kind-missing"] = "cookie { name \"a\" }\n"
    c["password-memory-vs-lanes"] = ("password { memory 1M; parallelism 16 "
                                     "}\npassword { memory 100K }\n")
    c["database-outside-chroot"] = ('keyd { chroot "/var/db/tokend"; '
                                    'database "/tmp/x.db" }\n')
    c["paths-dotdot"] = ('chroot "/var/../etc"\ncontrol socket "a/b"\nkeyd '
                         '{ program "/x/./y" }\n')
    c["semicolon-top"] = "prefork 1; prefork 2\n"
    c["braces-only"] = "}}}{{{\n"
    c["nul-byte"] = "prefork 1\0\nuser x\n"
    c["crlf"] = "prefork 1\r\nuser x\r\n"
    c["data"] = DATA_CONF
    c["data-errors"] = ("collection directus_a\ncollection A { fields id }\n"
                        "collection a { fields b; primary-key text }\n"
                        "role admin { id a0000000-0000-4000-8000-00000000000"
                        "1 }\nrole r { permission a read write { fields c; "
                        "filter '[1]'; presets '{\"b\":{}}' } }\n"
                        "role r2 { id 5A3C0F8E-2B1D-4C6E-9F7A-1B2C3D4E5F60 }"
                        "\npublic { permission nope read\npermission a "
                        "create { filter '{}' } }\n")
    c["data-nested-json"] = ("collection a\npublic { permission a read { "
                             "filter '" + '{"_and":[' * 200 + "]}" * 200 +
                             "' } }\n")
    for k, v in c.items():
        write("config", k, v)


def seeds_config_json():
    base = json.loads(CONFIG_JSON)

    def dump(d):
        return json.dumps(d, separators=(",", ":"))

    c = {"valid": CONFIG_JSON, "empty": "", "not-object": "[]",
         "truncated": CONFIG_JSON[:100]}
    c["dup-key"] = CONFIG_JSON[:-1] + ',"prefork":3}'
    c["trailing"] = CONFIG_JSON + "x"
    variants = {
        "extra-key": dict(base, extra=1),
        "missing-key": {k: v for k, v in base.items() if k != "secret"},
        "no-listen": {k: v for k, v in base.items() if k != "listen"},
        "listen-empty": dict(base, listen=[]),
        "listen-ipv6": dict(base, listen=[{"host": "::1", "address": "::1",
                                           "port": 1}]),
        "listen-hostname": dict(base, listen=[{"host": "localhost", "address":
                                               "localhost", "port": 80}]),
        "listen-extra-key": dict(base, listen=[{"host": "a", "address":
                                                "127.0.0.1", "port": 80,
                                                "x": 1}]),
        "listen-17": dict(base, listen=[{"host": "h", "address": "127.0.0.%d"
                                         % i, "port": 80}
                                        for i in range(1, 18)]),
        "listen-port-0": dict(base, listen=[{"host": "h", "address":
                                             "127.0.0.1", "port": 0}]),
        "listen-nul": dict(base, listen=[{"host": "a\u0000b", "address":
                                          "127.0.0.1", "port": 80}]),
        "prefork-string": dict(base, prefork="2"),
        "prefork-real": dict(base, prefork=2.0),
        "prefork-negative": dict(base, prefork=-1),
        "prefork-huge": dict(base, prefork=2 ** 63 - 1),
        "body-max": dict(base, body_max=64 * 1024 * 1024 + 1),
        "ttl-bounds": dict(base, access_ttl=10000, refresh_ttl=60000,
                           session_grace=0, login_attempts=0),
        "secure-number": dict(base, refresh_cookie_secure=1),
        "samesite-none": dict(base, session_cookie_samesite="None"),
        "samesite-none-secure": dict(base, session_cookie_samesite="None",
                                     session_cookie_secure=True),
        "samesite-lower": dict(base, session_cookie_samesite="lax"),
        "cookie-same-name": dict(base, session_cookie="directus_refresh_token"),
        "cookie-name-long": dict(base, session_cookie="a" * 64),
        "domain-bad": dict(base, refresh_cookie_domain="a..b"),
        "path-relative": dict(base, secret="etc/secret"),
        "path-long": dict(base, secret="/" + "a" * 5000),
        "user-nul": dict(base, server_user="a\u0000"),
        "memory-lanes": dict(base, hash_memory=1024, hash_parallelism=16),
        "threads-zero": dict(base, hash_threads=0),
        "data-empty": dict(base, collections=[], roles=[], public=[]),
        "data-items-outside": dict(base, items="/tmp/items.db"),
        "data-reserved": dict(base, collections=[{"name": "directus_a",
                              "primary_key": "integer", "fields": "*"}]),
        "data-role-admin-id": dict(base, roles=[dict(base["roles"][0],
                                   id=ROLE)]),
        "data-filter-string": dict(base, public=[dict(base["public"][0],
                                   filter="{}")]),
        "data-presets-nested": dict(base, roles=[dict(
            base["roles"][0], permissions=[dict(
                base["roles"][0]["permissions"][0],
                presets={"status": {"a": 1}})])]),
        "data-actions-dup": dict(base, public=[dict(base["public"][0],
                                 actions=["read", "read"])]),
    }
    for k, v in variants.items():
        c[k] = dump(v)
    for k, v in c.items():
        write("config_json", k, v)


def phc(type_="argon2id", v="v=19$", m=65536, t=3, p=4, salt=b"s" * 16,
        h=b"h" * 32):
    return "$%s$%sm=%s,t=%s,p=%s$%s$%s" % (type_, v, m, t, p, b64s(salt),
                                           b64s(h))


def seeds_phc():
    s = {}
    s["argon2id-v19"] = phc()
    s["argon2i-v19"] = phc("argon2i")
    s["argon2d-v16"] = phc("argon2d", "v=16$")
    s["no-version"] = phc(v="")
    s["node-argon2"] = ("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2Fs"
                        "dA$3uFFDQn8hlRK2S5oHPtu9lKYZMJO/dWwNMkAE1GHwIc")
    s["min-params"] = phc(m=8, t=1, p=1, salt=b"s" * 8, h=b"h" * 16)
    s["max-params"] = phc(m=262144, t=16, p=16, salt=b"s" * 64, h=b"h" * 128)
    s["L7-absurd"] = phc(m=4194304, t=1000, p=255)
    s["L7-bcrypt"] = ("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0"
                      "jWMUW")
    s["L7-plain"] = "password"
    s["empty"] = ""
    s["argon2-other"] = phc("argon2x")
    s["version-13"] = phc(v="v=13$")
    s["version-leading-zero"] = phc(v="v=019$")
    s["m-leading-zero"] = phc(m="065536")
    s["m-negative"] = phc(m="-1")
    s["m-huge"] = phc(m="99999999999999999999999")
    s["params-order"] = "$argon2id$v=19$t=3,m=65536,p=4$%s$%s" % (
        b64s(b"s" * 16), b64s(b"h" * 32))
    s["params-extra"] = "$argon2id$v=19$m=65536,t=3,p=4,data=abc$%s$%s" % (
        b64s(b"s" * 16), b64s(b"h" * 32))
    s["m-below-lanes"] = phc(m=31, p=4)
    s["salt-short"] = phc(salt=b"s" * 7)
    s["salt-long"] = phc(salt=b"s" * 65)
    s["hash-short"] = phc(h=b"h" * 15)
    s["hash-long"] = phc(h=b"h" * 129)
    s["padding"] = phc() + "="
    s["url-alphabet"] = phc(salt=b"\xfb\xff" * 8).replace("+", "-").replace(
        "/", "_")
    s["trailing-bits"] = phc(salt=b"s" * 17)[:-1] + "B"
    s["trailing-dollar"] = phc() + "$"
    s["missing-hash"] = phc().rsplit("$", 1)[0]
    s["nul-inside"] = phc()[:20] + "\0" + phc()[20:]
    s["too-long"] = phc(h=b"h" * 128) + "A" * 300
    s["whitespace"] = phc().replace("$m=", "$ m=")
    for k, v in s.items():
        write("phc", k, v)


def seeds_login():
    s = {}
    ok = {"email": "a@example.com", "password": "pass word"}
    s["valid"] = json.dumps(ok)
    for mode in ["json", "cookie", "session", "JSON", "", "other"]:
        s["L6-mode-" + (mode or "empty")] = json.dumps(dict(ok, mode=mode))
    s["L6-mode-number"] = json.dumps(dict(ok, mode=1))
    s["L6-otp"] = json.dumps(dict(ok, otp="123456"))
    s["L6-otp-number"] = json.dumps(dict(ok, otp=123456))
    s["L6-otp-long"] = json.dumps(dict(ok, otp="1" * 513))
    s["L6-otp-nul"] = json.dumps(dict(ok, otp="12\u000034"))
    s["empty"] = ""
    s["empty-object"] = "{}"
    s["J1-truncated"] = json.dumps(ok)[:-3]
    s["J1-trailing"] = json.dumps(ok) + "x"
    s["J1-comment"] = '{"email":"a@b.cd", /* c */ "password":"x"}'
    s["J1-single-quotes"] = "{'email':'a@b.cd','password':'x'}"
    s["J1-nan"] = '{"email":"a@b.cd","password":NaN}'
    s["J1-dup-email"] = '{"email":"a@b.cd","email":"b@b.cd","password":"x"}'
    s["J1-dup-password"] = '{"email":"a@b.cd","password":"x","password":"y"}'
    s["J1-email-array"] = '{"email":["a@b.cd"],"password":"x"}'
    s["J1-password-object"] = '{"email":"a@b.cd","password":{}}'
    s["J1-not-object"] = '["a@b.cd","x"]'
    s["J2-deep"] = "[" * 4000 + "]" * 4000
    s["J2-deep-object"] = '{"a":' * 1500 + "1" + "}" * 1500
    s["J2-many-keys"] = "{" + ",".join('"k%d":%d' % (i, i)
                                       for i in range(700)) + "}"
    s["J2-escapes"] = json.dumps(dict(ok, password="\\u0000" * 300))
    s["J3-sqli"] = json.dumps({"email": "admin@x.com'--", "password":
                               "' OR 1=1 --"})
    s["J3-wildcards"] = json.dumps({"email": "%@%.com", "password": "_"})
    for i, e in enumerate(["Admin@X.com", "\uff41dmin@x.com",
                           "admin@xn--bcher-kva.example", "admin@b\u00fccher.de",
                           "admin@x.com.", "admin@x.com ", "a\u200d@x.com",
                           "\u0131@x.com", "a" * 300 + "@x.com", "no-at",
                           "a@b@c.com", "a@b..com", "@x.com", "a@.com",
                           "a@x.c", "a@x.c0m", "a@x", "a\r\nBcc: b@x.com@x.com",
                           "a\u0000@x.com", ""]):
        s["J4-J5-email-%d" % i] = json.dumps(dict(ok, email=e),
                                             ensure_ascii=(i % 2 == 0))
    s["L5-password-empty"] = json.dumps(dict(ok, password=""))
    s["L5-password-1024"] = json.dumps(dict(ok, password="p" * 1024))
    s["L5-password-1025"] = json.dumps(dict(ok, password="p" * 1025))
    s["L5-password-nul"] = json.dumps(dict(ok, password="a\u0000b"))
    s["L5-password-utf8"] = json.dumps(dict(ok, password="\u00e9\u0301"),
                                       ensure_ascii=False)
    s["L5-password-invalid-utf8"] = b'{"email":"a@b.cd","password":"\xff\xfe"}'
    s["L5-password-surrogate"] = '{"email":"a@b.cd","password":"\\ud800"}'
    s["password-null"] = '{"email":"a@b.cd","password":null}'
    s["email-missing"] = '{"password":"x"}'
    s["password-missing"] = '{"email":"a@b.cd"}'
    s["bom"] = "\ufeff" + json.dumps(ok)
    for k, v in s.items():
        write("login", k, v)


def seeds_refresh():
    s = {}
    s["body-token"] = json.dumps({"refresh_token": SESSION})
    s["body-token-cookie-mode"] = json.dumps({"refresh_token": SESSION,
                                              "mode": "cookie"})
    s["session-mode"] = json.dumps({"mode": "session"})
    s["cookie-mode"] = json.dumps({"mode": "cookie"})
    s["json-mode-no-token"] = json.dumps({"mode": "json"})
    s["mode-bad"] = json.dumps({"refresh_token": SESSION, "mode": "x"})
    s["mode-null"] = json.dumps({"refresh_token": SESSION, "mode": None})
    s["empty"] = ""
    s["empty-object"] = "{}"
    s["token-empty"] = json.dumps({"refresh_token": ""})
    s["token-null"] = json.dumps({"refresh_token": None})
    s["token-number"] = json.dumps({"refresh_token": 5})
    s["token-4096"] = json.dumps({"refresh_token": "t" * 4096})
    s["token-4097"] = json.dumps({"refresh_token": "t" * 4097})
    s["token-nul"] = '{"refresh_token":"ab\\u0000cd"}'
    s["token-unicode"] = json.dumps({"refresh_token": "\u00e9" * 10},
                                    ensure_ascii=False)
    s["dup-token"] = '{"refresh_token":"a","refresh_token":"b"}'
    s["not-object"] = '"' + SESSION + '"'
    s["R6-jwt-token"] = json.dumps({"refresh_token": jwt(HS, CLAIMS)})
    for k, v in s.items():
        write("refresh", k, v)


def seeds_user_patch():
    s = {}
    s["profile"] = json.dumps({"first_name": "Dana", "tags": ["a", "b"],
                               "email_notifications": False})
    s["text-null"] = json.dumps({"last_name": None, "avatar": None})
    s["all-text"] = json.dumps({k: "x" for k in [
        "first_name", "last_name", "location", "title", "description",
        "avatar", "language", "appearance", "theme_light", "theme_dark",
        "last_page"]})
    s["email"] = json.dumps({"email": "new@example.com"})
    s["email-no-at"] = json.dumps({"email": "new"})
    s["password"] = json.dumps({"password": "new pass"})
    s["password-empty"] = json.dumps({"password": ""})
    s["password-long"] = json.dumps({"password": "p" * 1025})
    s["token"] = json.dumps({"token": "static-token"})
    s["token-null"] = json.dumps({"token": None})
    s["token-long"] = json.dumps({"token": "t" * 256})
    s["tags-65"] = json.dumps({"tags": ["t"] * 65})
    s["tags-long"] = json.dumps({"tags": ["t" * 257]})
    s["tags-number"] = json.dumps({"tags": [1]})
    s["bool-string"] = json.dumps({"email_notifications": "true"})
    s["text-long"] = json.dumps({"title": "t" * 4097})
    for f, v in [("role", ROLE), ("status", "active"), ("id", UUID),
                 ("provider", "x"), ("tfa_secret", "AAAA"),
                 ("admin_access", True), ("app_access", True),
                 ("external_identifier", "x"), ("auth_data", "{}"),
                 ("last_access", "2024-01-01"), ("policies", [])]:
        s["P1-" + f] = json.dumps({"first_name": "Changed", f: v})
    s["P1-password-provider"] = json.dumps({
        "password": "x", "provider": "default", "external_identifier": "e"})
    s["unknown-field"] = json.dumps({"nickname": "x"})
    s["unknown-long-name"] = json.dumps({"n" * 200: "x"})
    s["dup-role"] = '{"first_name":"a","first_name":"b"}'
    s["empty-object"] = "{}"
    s["not-object"] = "[1,2]"
    s["invalid"] = "{"
    s["empty"] = ""
    for k, v in s.items():
        write("user_patch", k, v)


def nest(k, group="_and", leaf='{"a":{"_eq":1}}'):
    """k filter objects, each but the last holding the next in a group."""
    return ('{"%s":[' % group) * (k - 1) + leaf + "]}" * (k - 1)


def wide(k):
    """One filter object of k fields: 1 + k nodes."""
    return "{" + ",".join('"f%d":{"_eq":1}' % i for i in range(k)) + "}"


def seeds_filter():
    s = {}
    # The Directus documentation's examples (reference, filter rules).
    s["doc-eq"] = '{"title":{"_eq":"Hello World"}}'
    s["doc-published-before-now"] = json.dumps({"_and": [
        {"status": {"_eq": "published"}},
        {"date_published": {"_lte": "$NOW"}}]})
    s["doc-owner-current-user"] = '{"user_created":{"_eq":"$CURRENT_USER"}}'
    s["doc-role-current-role"] = '{"role":{"_eq":"$CURRENT_ROLE"}}'
    s["doc-or"] = json.dumps({"_or": [{"vegan": {"_eq": True}},
                                      {"spicy": {"_eq": False}}]})
    s["doc-between"] = '{"year":{"_between":[1990,2000]}}'
    s["doc-between-csv"] = '{"year":{"_between":"1990,2000"}}'
    s["doc-in"] = '{"id":{"_in":[1,2,3]}}'
    s["doc-in-csv"] = '{"status":{"_in":"draft,published"}}'
    s["doc-null"] = '{"date_published":{"_null":true}}'
    s["doc-nnull-text"] = '{"date_published":{"_nnull":"true"}}'
    s["doc-empty"] = '{"title":{"_empty":true}}'
    s["doc-nested-groups"] = json.dumps({"_or": [
        {"_and": [{"a": {"_gt": 1}}, {"b": {"_lt": 2}}]},
        {"_and": [{"c": {"_contains": "x"}}, {"d": {"_nin": ["y"]}}]}]})
    s["implicit-and"] = json.dumps({"a": {"_gt": 1, "_lt": 9},
                                    "b": {"_neq": None}})
    ops = {"_eq": "a", "_neq": 5, "_lt": 2.5, "_lte": "b", "_gt": -1,
           "_gte": "$NOW", "_in": ["a", 1, True], "_nin": ["$CURRENT_USER"],
           "_null": False, "_nnull": True, "_contains": "%",
           "_ncontains": "_", "_starts_with": 5, "_ends_with": "",
           "_between": ["a", "z"], "_empty": "false", "_nempty": True}
    for op, v in ops.items():
        s["op" + op] = json.dumps({"a": {op: v}})
    s["empty"] = "{}"
    s["empty-and"] = '{"_and":[]}'
    s["empty-or"] = '{"_or":[]}'
    s["depth-8"] = nest(8)
    s["depth-9"] = nest(9, "_or")
    s["nodes-256"] = wide(255)
    s["nodes-257"] = wide(256)
    s["in-1000"] = json.dumps({"a": {"_in": list(range(1000))}})
    s["in-1001"] = json.dumps({"a": {"_in": list(range(1001))}})
    s["in-csv-empty-items"] = '{"a":{"_in":",,"}}'
    s["unknown-op"] = '{"a":{"_icontains":"x"}}'
    s["relation"] = '{"author":{"name":{"_eq":"x"}}}'
    s["field-uppercase"] = '{"Title":{"_eq":1}}'
    s["field-64"] = json.dumps({"a" * 64: {"_eq": 1}})
    s["text-operand-real"] = '{"a":{"_contains":1.5}}'
    # J1: malformed JSON.
    s["J1-truncated"] = '{"a":{"_eq":'
    s["J1-trailing-garbage"] = '{"a":{"_eq":1}}x'
    s["J1-comment"] = '/*x*/{"a":{"_eq":1}}'
    s["J1-single-quotes"] = "{'a':{'_eq':1}}"
    s["J1-nan"] = '{"a":{"_eq":NaN}}'
    s["J1-wrong-type"] = '{"a":{"_eq":{"_eq":1}}}'
    s["J1-not-object"] = '[{"a":{"_eq":1}}]'
    # J2: deep nesting, many keys, escapes.
    s["J2-deep-brackets"] = "[" * 3000 + "]" * 3000
    s["J2-deep-and"] = nest(100)
    s["J2-many-keys"] = wide(2000)
    s["J2-escapes"] = json.dumps({"a": {"_eq": "\\u0041" * 500}})
    # J3: SQL injection and LIKE wildcards, which must match literally.
    s["J3-or-1-1"] = json.dumps({"a": {"_eq": "' OR 1=1 --"}})
    s["J3-drop-table"] = json.dumps({"a": {"_contains": "'; DROP TABLE t; --"}})
    s["J3-wildcards"] = json.dumps({"a": {"_starts_with": "%_%"}})
    s["J3-field-name"] = '{"a) OR 1=1 --":{"_eq":1}}'
    s["J3-json-path"] = json.dumps({"a": {"_eq": '$."b"'}})
    # T8: duplicate members.
    s["T8-duplicate-field"] = '{"a":{"_eq":1},"a":{"_eq":2}}'
    s["T8-duplicate-op"] = '{"a":{"_in":[1],"_in":[2]}}'
    # T10: strange JSON values.
    s["T10-nul-escape"] = '{"a":{"_eq":"x\\u0000y"}}'
    s["T10-surrogate"] = '{"a":{"_eq":"\\ud800"}}'
    s["T10-bom"] = '\ufeff{"a":{"_eq":1}}'
    s["T10-invalid-utf8"] = b'{"a":{"_eq":"\xff\xfe"}}'
    s["T10-big-number"] = '{"a":{"_eq":1e309}}'
    s["T10-big-integer"] = '{"a":{"_gt":99999999999999999999}}'
    s["T10-2-53"] = '{"a":{"_eq":9007199254740993}}'
    # directus-auth.md section 10 item 11: the hash, a character at a time.
    s["CVE-2023-27481-password-starts-with"] = \
        '{"password":{"_starts_with":"$argon2id$"}}'
    s["too-long"] = json.dumps({"a": {"_eq": "x" * 16400}})
    for k, v in s.items():
        write("filter", k, v)


def query_input(fields=None, filter=None, sort=None, limit=None,
                offset=None, page=None, meta=None, huge_cap=False):
    """The flags byte, then the parameters separated by NUL bytes."""
    v = [fields, filter, sort, limit, offset, page, meta]
    flags = sum(1 << i for i, x in enumerate(v) if x is not None)
    if huge_cap:
        flags |= 0x80
    return bytes([flags]) + b"\0".join(
        (x or "").encode("utf-8", "surrogatepass") for x in v)


def seeds_query():
    s = {}
    s["none"] = query_input()
    s["all"] = query_input("id,title", '{"title":{"_contains":"a"}}',
                           "-date_created,id", "10", "5", "2", "*")
    s["fields-star"] = query_input(fields="*")
    s["fields-duplicates"] = query_input(fields="id,id,title")
    s["fields-relation"] = query_input(fields="author.name")
    s["fields-257"] = query_input(fields=",".join(
        "f%d" % i for i in range(257)))
    s["sort-17"] = query_input(sort=",".join("s%d" % i for i in range(17)))
    s["sort-dash"] = query_input(sort="-")
    s["limit-all"] = query_input(limit="-1")
    s["limit-all-huge-cap"] = query_input(limit="-1", page="3",
                                          huge_cap=True)
    s["limit-over"] = query_input(limit="100000000")
    s["limit-negative"] = query_input(limit="-2")
    s["limit-overflow"] = query_input(limit="99999999999999999999")
    s["offset-max"] = query_input(offset=str(1 << 40))
    s["offset-over"] = query_input(offset=str((1 << 40) + 1))
    s["page-2"] = query_input(limit="10", page="2")
    s["page-0"] = query_input(page="0")
    s["page-huge"] = query_input(page=str(1 << 40), limit="-1",
                                 huge_cap=True)
    s["meta-total"] = query_input(meta="total_count")
    s["meta-both"] = query_input(meta="total_count,filter_count")
    s["meta-bad"] = query_input(meta="count")
    s["meta-empty"] = query_input(meta="")
    s["filter-bad"] = query_input(filter='{"a":1}')
    s["filter-too-long"] = query_input(filter=" " * 16385)
    s["fields-too-long"] = query_input(fields="id," * 5462)
    for k, v in s.items():
        write("query", k, v)


def seeds_smtp():
    """Relay replies: single and multi-line, and the malformed forms."""
    s = {
        "greeting": "220 relay ESMTP\r\n",
        "ehlo-multi": "250-relay hello\r\n250-8BITMIME\r\n250 SIZE 1000\r\n",
        "code-only": "354\r\n",
        "bare-lf": "221 bye\n",
        "code-changes": "250-a\r\n251 b\r\n",
        "two-replies": "250 a\r\n220 next\r\n",
        "incomplete": "250-a\r\n250 b",
        "not-digits": "2x0 a\r\n",
        "code-low": "199 low\r\n",
        "bad-separator": "250_a\r\n",
        "tempfail": "451 4.3.0 later\r\n",
        "permfail": "554 5.7.1 no\r\n",
        "line-too-long": "250 " + "x" * 1000 + "\r\n",
        "too-many-lines": "250-a\r\n" * 65 + "250 a\r\n",
    }
    for k, v in s.items():
        write("smtp", k, v)


def seeds_register():
    s = {}
    ok = {"email": "new@example.com", "password": "pass word"}
    url = "http://localhost:3000/verify"
    s["valid"] = json.dumps(ok)
    s["valid-all"] = json.dumps(dict(ok, verification_url=url,
                                     first_name="Reg", last_name="One"))
    s["url-query"] = json.dumps(dict(ok, verification_url=url + "?a=b"))
    s["url-fragment"] = json.dumps(dict(ok, verification_url=url + "#f"))
    s["url-listed-query"] = json.dumps(dict(
        ok, verification_url="https://app.example/v?x=1"))
    s["url-other-query"] = json.dumps(dict(
        ok, verification_url="https://app.example/v?y=2"))
    s["url-prefix"] = json.dumps(dict(ok, verification_url=url + "x"))
    s["url-evil"] = json.dumps(dict(ok, verification_url="http://evil.test/"))
    s["url-empty"] = json.dumps(dict(ok, verification_url=""))
    s["url-null"] = json.dumps(dict(ok, verification_url=None))
    s["url-number"] = json.dumps(dict(ok, verification_url=5))
    s["url-512"] = json.dumps(dict(ok, verification_url=url + "?" +
                                   "a" * (511 - len(url))))
    s["url-513"] = json.dumps(dict(ok, verification_url=url + "?" +
                                   "a" * (512 - len(url))))
    s["url-crlf"] = json.dumps(dict(ok, verification_url=url +
                                    "?a\r\nBcc: x@example.com"))
    s["url-space"] = json.dumps(dict(ok, verification_url=url + "? a"))
    s["url-nul"] = '{"email":"a@b.cd","password":"x",' \
        '"verification_url":"http://localhost:3000/verify\\u0000x"}'
    s["url-utf8"] = json.dumps(dict(ok, verification_url=url +
                                    "?\u00e9" * 200), ensure_ascii=False)
    s["role-not-allowed"] = json.dumps(dict(ok, role="x"))
    s["status-not-allowed"] = json.dumps(dict(ok, status="active"))
    s["key-utf8"] = json.dumps({"\u00e9": 1}, ensure_ascii=False)
    s["key-long"] = json.dumps({"k" * 100: 1})
    s["key-before-email"] = json.dumps({"extra": 1, "password": "x"})
    s["email-missing"] = json.dumps({"password": "x"})
    s["email-invalid"] = json.dumps(dict(ok, email="not-an-email"))
    s["email-array"] = json.dumps(dict(ok, email=["a@b.cd"]))
    s["email-crlf"] = json.dumps(dict(ok, email="a\r\nBcc: b@x.com"))
    s["email-long"] = json.dumps(dict(ok, email="a" * 250 + "@x.com"))
    s["password-missing"] = json.dumps({"email": "a@b.cd"})
    s["password-empty"] = json.dumps(dict(ok, password=""))
    s["password-number"] = json.dumps(dict(ok, password=5))
    s["password-1024"] = json.dumps(dict(ok, password="p" * 1024))
    s["password-1025"] = json.dumps(dict(ok, password="p" * 1025))
    s["password-nul"] = '{"email":"a@b.cd","password":"a\\u0000b"}'
    for name in ["first_name", "last_name"]:
        s[name + "-empty"] = json.dumps(dict(ok, **{name: ""}))
        s[name + "-number"] = json.dumps(dict(ok, **{name: 5}))
        s[name + "-null"] = json.dumps(dict(ok, **{name: None}))
        s[name + "-4096"] = json.dumps(dict(ok, **{name: "n" * 4096}))
        s[name + "-4097"] = json.dumps(dict(ok, **{name: "n" * 4097}))
        s[name + "-utf8"] = json.dumps(dict(ok, **{name: "\u00e9" * 9}),
                                       ensure_ascii=False)
    s["dup-email"] = '{"email":"a@b.cd","email":"b@b.cd","password":"x"}'
    s["empty"] = ""
    s["empty-object"] = "{}"
    s["J1-not-object"] = json.dumps([ok])
    s["J1-truncated"] = json.dumps(ok)[:-3]
    for k, v in s.items():
        write("register", k, v)


def seeds_mail_token():
    s = {}
    invite = jwt(HS, {"email": "a@example.com", "scope": "invite",
                      "iat": 1796558066, "exp": 1797162866,
                      "iss": "directus"})
    reset = jwt(HS, {"id": UUID, "email": "a@example.com",
                     "scope": "password-reset", "iat": 1796558066,
                     "exp": 1796561666, "iss": "directus"})
    s["invite"] = json.dumps({"token": invite, "password": "new pass"})
    s["reset"] = json.dumps({"token": reset, "password": "new pass"})
    s["extra"] = json.dumps({"token": invite, "password": "x", "extra": 1})
    s["extra-first"] = json.dumps({"extra": 1, "token": ""})
    s["key-utf8"] = json.dumps({"\u00e9": 1}, ensure_ascii=False)
    s["key-long"] = json.dumps({"k" * 100: 1})
    s["token-missing"] = json.dumps({"password": "x"})
    s["token-empty"] = json.dumps({"token": "", "password": "x"})
    s["token-null"] = json.dumps({"token": None, "password": "x"})
    s["token-number"] = json.dumps({"token": 5, "password": "x"})
    s["token-4096"] = json.dumps({"token": "t" * 4096, "password": "x"})
    s["token-4097"] = json.dumps({"token": "t" * 4097, "password": "x"})
    s["token-nul"] = '{"token":"ab\\u0000cd","password":"x"}'
    s["password-missing"] = json.dumps({"token": invite})
    s["password-empty"] = json.dumps({"token": invite, "password": ""})
    s["password-object"] = json.dumps({"token": invite, "password": {}})
    s["password-1024"] = json.dumps({"token": invite, "password": "p" * 1024})
    s["password-1025"] = json.dumps({"token": invite, "password": "p" * 1025})
    s["password-nul"] = '{"token":"a.b.c","password":"a\\u0000b"}'
    s["password-utf8"] = json.dumps({"token": invite, "password":
                                     "\u00e9\u0301"}, ensure_ascii=False)
    s["dup-token"] = '{"token":"a","token":"b","password":"x"}'
    s["empty"] = ""
    s["empty-object"] = "{}"
    s["J1-not-object"] = json.dumps([invite, "x"])
    for k, v in s.items():
        write("mail_token", k, v)


def main():
    seeds_b64()
    seeds_jwt()
    seeds_token()
    seeds_frame()
    seeds_config()
    seeds_config_json()
    seeds_phc()
    seeds_login()
    seeds_refresh()
    seeds_register()
    seeds_mail_token()
    seeds_user_patch()
    seeds_filter()
    seeds_query()
    seeds_smtp()


if __name__ == "__main__":
    sys.exit(main())
