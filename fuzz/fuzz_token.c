/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * server/token.c: token_extract(), token_query_param() and
 * token_cookie(), on what a request may carry.
 *
 * Input: a flags byte, then NUL-separated strings taken in this order:
 * the query string (flags & 0x01), the session cookie name (0x02;
 * otherwise none, and "directus_session_token" for token_cookie), the
 * (flags >> 2 & 3) Authorization header values, the (flags >> 4 & 3)
 * Cookie header values.  Missing strings are empty.  flags >> 6 picks
 * the buffer size given to token_query_param() and token_cookie(): 1,
 * 8, 65 or TOKEN_MAX + 1 bytes, allocated to that size.
 *
 * Properties: every answer is one of the documented ones; a token is
 * NUL-terminated, at most TOKEN_MAX bytes, and non-empty; the header and
 * cookie values hold no NUL; a public request has no token; a query
 * token is what token_query_param() finds for access_token; a lookup
 * never answers more than fits, and leaves "" when it finds nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../server/token.h"
#include "fuzz.h"

#define FUZZ_TOKEN_PARTS	8	/* query, name, 3 auth, 3 cookie */

static const size_t fuzz_token_outlen[] = { 1, 8, 65, TOKEN_MAX + 1 };

/* The next NUL-ended string of the input, or "" past its end. */
static const char *
fuzz_token_part(char **p, const char *end)
{
	const char	*s = *p;

	if (*p >= end)
		return "";
	*p += strlen(*p) + 1;
	return s;
}

static void
fuzz_token_lookups(const char *query, const char *const *cookie,
    size_t ncookie, const char *name, size_t outlen)
{
	char	*out;
	size_t	 len = 12345;
	int	 rv;

	if ((out = malloc(outlen)) == NULL)
		abort();
	rv = token_query_param(query, name, out, outlen, &len);
	FUZZ_ASSERT(rv == 0 || rv == -1 || rv == -2 || rv == -3);
	if (rv == 0)
		FUZZ_ASSERT(len < outlen && out[len] == '\0');
	else
		FUZZ_ASSERT(len == 0 && out[0] == '\0');
	len = 12345;
	rv = token_cookie(cookie, ncookie, name, out, outlen, &len);
	FUZZ_ASSERT(rv == 0 || rv == -1 || rv == -2 || rv == -3);
	if (rv == 0)
		FUZZ_ASSERT(len < outlen && strlen(out) == len);
	else
		FUZZ_ASSERT(len == 0 && out[0] == '\0');
	free(out);
}

static void
fuzz_token_extract(const char *query, const char *const *auth, size_t nauth,
    const char *const *cookie, size_t ncookie, const char *name)
{
	struct token_ref	*ref, *q;
	enum token_status	 st;
	int			 rv;

	if ((ref = malloc(sizeof(*ref))) == NULL ||
	    (q = malloc(sizeof(*q))) == NULL)
		abort();
	st = token_extract(query, auth, nauth, cookie, ncookie, name, ref);
	FUZZ_ASSERT(st == TOKEN_OK || st == TOKEN_CONFLICT ||
	    st == TOKEN_TOO_LONG);
	if (nauth > 1)
		FUZZ_ASSERT(st == TOKEN_CONFLICT);
	if (st != TOKEN_OK || ref->source == TOKEN_NONE) {
		FUZZ_ASSERT(ref->len == 0 && ref->value[0] == '\0');
		FUZZ_ASSERT(st != TOKEN_OK || ref->source == TOKEN_NONE);
	} else {
		FUZZ_ASSERT(ref->len > 0 && ref->len <= TOKEN_MAX);
		FUZZ_ASSERT(ref->value[ref->len] == '\0');
		if (ref->source != TOKEN_QUERY)
			FUZZ_ASSERT(strlen(ref->value) == ref->len);
		if (ref->source == TOKEN_COOKIE)
			FUZZ_ASSERT(name != NULL);
	}
	if (st == TOKEN_OK && ref->source == TOKEN_QUERY) {
		rv = token_query_param(query, "access_token", q->value,
		    sizeof(q->value), &q->len);
		FUZZ_ASSERT(rv == 0 && q->len == ref->len &&
		    memcmp(q->value, ref->value, ref->len) == 0);
	}
	free(q);
	free(ref);
}

void
fuzz_token(const uint8_t *data, size_t size)
{
	const char	*auth[3], *cookie[3], *query = NULL, *name = NULL;
	char		*buf, *p, *end;
	size_t		 nauth, ncookie, i;
	uint8_t		 flags;

	if (size == 0)
		return;
	flags = data[0];
	nauth = (flags >> 2) & 3;
	ncookie = (flags >> 4) & 3;
	buf = fuzz_cstring(data + 1, size - 1);
	p = buf;
	end = buf + size - 1;
	if (flags & 0x01)
		query = fuzz_token_part(&p, end);
	if (flags & 0x02)
		name = fuzz_token_part(&p, end);
	for (i = 0; i < nauth; i++)
		auth[i] = fuzz_token_part(&p, end);
	for (i = 0; i < ncookie; i++)
		cookie[i] = fuzz_token_part(&p, end);

	fuzz_token_extract(query, auth, nauth, cookie, ncookie, name);
	fuzz_token_lookups(query, cookie, ncookie, name != NULL ? name :
	    "directus_session_token", fuzz_token_outlen[flags >> 6]);
	free(buf);
}

FUZZ_TARGET(fuzz_token)
