/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/jwt.c: jwt_parse() on a raw token, as the worker calls it on
 * what token_extract() found, jwt_parse_keys() under an EdDSA key set,
 * and jwt_uuid_valid().
 *
 * Input: the token, exactly as many bytes as given (jwt_parse() must
 * not need a NUL).
 *
 * Properties: a JWT_DIRECTUS answer describes this token (two dots,
 * signing_len the second one, the signature the canonical encoding of
 * the MAC) and only claims that keyd and the worker may trust as
 * C strings: canonical uuids, a session id (32 bytes, base64url), times in
 * 0..2^53.  Any other answer leaves the output zeroed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "fuzz.h"
#include "jwt.h"

static int
fuzz_jwt_zeroed(const struct jwt *jwt)
{
	const uint8_t	*p = (const uint8_t *)jwt;
	size_t		 i;

	for (i = 0; i < sizeof(*jwt); i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static int
fuzz_jwt_session_valid(const char *s)
{
	uint8_t	 id[JWT_SESSION_BYTES + 1];
	size_t	 n;

	if (s[0] == '\0')
		return 1;
	return strlen(s) == JWT_SESSION_LEN && b64url_decode(s,
	    JWT_SESSION_LEN, id, sizeof(id), &n) == 0 &&
	    n == JWT_SESSION_BYTES;
}

static void
fuzz_jwt_directus(const char *token, size_t len, const struct jwt *jwt)
{
	char		 sig[B64URL_ENCLEN(JWT_MAC_LEN)];
	const char	*dot;
	size_t		 dots = 0, i;

	FUZZ_ASSERT(len <= JWT_TOKEN_MAX);
	for (i = 0; i < len; i++)
		dots += token[i] == '.';
	FUZZ_ASSERT(dots == 2);
	FUZZ_ASSERT(jwt->signing_len < len && token[jwt->signing_len] == '.');
	dot = memchr(token, '.', len);
	FUZZ_ASSERT(dot != NULL && (size_t)(dot - token) < jwt->signing_len);
	FUZZ_ASSERT(len - jwt->signing_len - 1 == sizeof(sig));
	FUZZ_ASSERT(b64url_encode(jwt->mac, jwt->mac_len, sig,
	    sizeof(sig)) == sizeof(sig));
	FUZZ_ASSERT(memcmp(sig, token + jwt->signing_len + 1,
	    sizeof(sig)) == 0);
	FUZZ_ASSERT(jwt_uuid_valid(jwt->id));
	if (jwt->role_null)
		FUZZ_ASSERT(jwt->role[0] == '\0');
	else
		FUZZ_ASSERT(jwt_uuid_valid(jwt->role));
	FUZZ_ASSERT(jwt->app_access == 0 || jwt->app_access == 1);
	FUZZ_ASSERT(jwt->admin_access == 0 || jwt->admin_access == 1);
	FUZZ_ASSERT(jwt->iat >= 0 && jwt->iat <= JWT_INT_MAX);
	FUZZ_ASSERT(jwt->exp >= 0 && jwt->exp <= JWT_INT_MAX);
	FUZZ_ASSERT(jwt->nbf >= 0 && jwt->nbf <= JWT_INT_MAX);
	FUZZ_ASSERT(fuzz_jwt_session_valid(jwt->session));
}

void
fuzz_jwt(const uint8_t *data, size_t size)
{
	static const struct jwt_keys	 ed = { .alg = "EdDSA", .known = 1,
					    .kids = "kA kB " };
	struct jwt	 jwt;
	enum jwt_kind	 kind;
	char		*s;

	kind = jwt_parse((const char *)data, size, &jwt);
	FUZZ_ASSERT(kind == JWT_NOT_DIRECTUS || kind == JWT_DIRECTUS ||
	    kind == JWT_MALFORMED);
	if (kind == JWT_DIRECTUS)
		fuzz_jwt_directus((const char *)data, size, &jwt);
	else
		FUZZ_ASSERT(fuzz_jwt_zeroed(&jwt));

	/* The same bytes under an EdDSA key set: 64-byte signatures. */
	kind = jwt_parse_keys((const char *)data, size, &ed, &jwt);
	FUZZ_ASSERT(kind == JWT_NOT_DIRECTUS || kind == JWT_DIRECTUS ||
	    kind == JWT_MALFORMED);
	if (kind == JWT_DIRECTUS)
		FUZZ_ASSERT(jwt.mac_len == JWT_SIG_MAX &&
		    jwt.signing_len < size && data[jwt.signing_len] == '.');
	else
		FUZZ_ASSERT(fuzz_jwt_zeroed(&jwt));

	s = fuzz_cstring(data, size);
	if (jwt_uuid_valid(s))
		FUZZ_ASSERT(strlen(s) == 36);
	free(s);
}

FUZZ_TARGET(fuzz_jwt)
