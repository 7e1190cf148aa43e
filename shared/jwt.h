/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Directus access tokens: split a JWT and read its claims.
 *
 * jwt_parse() answers three ways.  JWT_NOT_DIRECTUS: the token is not
 * a Directus JWT (no two dots, a third dot, a payload that is not
 * canonical base64url of a JSON object without duplicate members, an
 * "iss" that is not exactly "directus", or a token longer than
 * JWT_TOKEN_MAX); the caller treats it as a static token.
 * JWT_DIRECTUS: every rule below holds and out is filled in.
 * JWT_MALFORMED: the payload claims to be ours but something else is
 * wrong; the caller answers 403 INVALID_TOKEN.
 *
 * Once "iss" is "directus", nothing is lenient: the header is a JSON
 * object whose "alg" is exactly the configured algorithm (jwt_keys;
 * "HS256" by default), "typ" if present exactly "JWT", without "crit",
 * "b64", "jku", "jwk", "x5u" or "x5c", and with "kid" a string of at
 * most JWT_KID_MAX bytes that, once keyd has told the worker its keys,
 * is one of theirs.  "kid" may be absent with HS256 only (a token
 * Directus signed with the same secret has none).  The signature is
 * canonical base64url of exactly 32 bytes (HS256) or 64 (EdDSA, and
 * ES256 as R||S); the payload has "id" (a
 * uuid), "role" (a uuid or null), "app_access" and "admin_access"
 * (booleans), "iat" and "exp" (integers in 0..2^53), optionally
 * "session" (canonical base64url of JWT_SESSION_BYTES bytes: the SHA-256
 * of the session's refresh token, never the token itself) and "nbf" (an
 * integer in 0..2^53), and no "share".  Other claims are ignored.
 *
 * The MAC is not checked here and the clock is never read: both are the
 * caller's.  Work and memory are bounded by JWT_TOKEN_MAX.  The token
 * need not be NUL-terminated; exactly len bytes are read.
 */
#ifndef TOKEND_JWT_H
#define TOKEND_JWT_H

#include <stddef.h>
#include <stdint.h>

#define JWT_TOKEN_MAX	4096	/* longer: refused undecoded */
#define JWT_ID_MAX	64
#define JWT_SESSION_BYTES 32	/* session id: SHA-256 of its refresh token */
#define JWT_SESSION_LEN	43	/* ... in base64url, unpadded */
#define JWT_KID_MAX	256	/* bytes of a "kid" */
#define JWT_MAC_LEN	32	/* HS256 */
#define JWT_SIG_MAX	64	/* EdDSA; ES256 as R||S */
#define JWT_ALG_MAX	8	/* "HS256", "EdDSA", "ES256" and the NUL */
#define JWT_KEYS_MAX	8
#define JWT_KIDS_MAX	(JWT_KEYS_MAX * 65 + 1)
#define JWT_INT_MAX	((int64_t)1 << 53)	/* exact in any JSON */

/* The spellings uuid_valid() accepts. */
#define UUID_LOWER	0x01	/* letters a-f */
#define UUID_UPPER	0x02	/* letters A-F */

enum jwt_kind {
	JWT_NOT_DIRECTUS,
	JWT_DIRECTUS,
	JWT_MALFORMED
};

/*
 * What a token's header must say: its algorithm, and once known (keyd's
 * MSG_KEYS) the kid of every key that verifies, each followed by a
 * space.  Before that, keyd alone judges the kid.
 */
struct jwt_keys {
	char	 alg[JWT_ALG_MAX];
	int	 known;
	char	 kids[JWT_KIDS_MAX];
};

struct jwt {
	size_t	 signing_len;		/* of "header.payload" */
	uint8_t	 mac[JWT_SIG_MAX];	/* decoded signature */
	size_t	 mac_len;
	char	 id[JWT_ID_MAX + 1];	/* user uuid */
	char	 role[JWT_ID_MAX + 1];	/* "" when null */
	int	 role_null, app_access, admin_access;
	int64_t	 iat, exp;
	int64_t	 nbf;			/* 0 when absent */
	char	 session[JWT_SESSION_LEN + 1];	/* "" when absent */
};

/* jwt.c */
enum jwt_kind	 jwt_parse(const char *, size_t, struct jwt *);
enum jwt_kind	 jwt_parse_keys(const char *, size_t, const struct jwt_keys *,
		    struct jwt *);
enum jwt_kind	 jwt_parse_payload(const char *, size_t, struct jwt *);
size_t		 jwt_sig_len(const char *);
int		 uuid_valid(const char *, int);
int		 jwt_uuid_valid(const char *);

#endif /* TOKEND_JWT_H */
