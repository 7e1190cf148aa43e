/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The request's access token: query, Authorization header or session
 * cookie.  See token.h for the rules.
 *
 * Every scan walks its input once, left to right, and copies at most
 * the caller's buffer: a hostile 1 MB header costs linear time and no
 * memory.  Values are located first and copied only once the source is
 * decided, so a conflict is found before anything is copied.
 */
#include <stddef.h>
#include <string.h>

#include "token.h"

#define TOKEN_OWS	" \t"

static int	 token_hex(unsigned char);
static size_t	 token_pct_decode(const char *, size_t, char *, size_t);
static int	 token_query_find(const char *, const char *, const char **,
		    size_t *);
static int	 token_cookie_pair(const char *, const char *, const char *,
		    const char **, size_t *);
static int	 token_cookie_find(const char *const *, size_t, const char *,
		    const char **, size_t *);
static int	 token_bearer(const char *, const char **, size_t *);
static enum token_status token_take(struct token_ref *, enum token_source,
		    const char *, size_t);

enum token_status
token_extract(const char *query, const char *const *auth, size_t nauth,
    const char *const *cookie, size_t ncookie, const char *session_cookie,
    struct token_ref *out)
{
	const char	*qv = NULL, *hv = NULL, *cv = NULL;
	size_t		 qlen = 0, hlen = 0, clen = 0;

	out->source = TOKEN_NONE;
	out->value[0] = '\0';
	out->len = 0;
	if (nauth > 1)
		return TOKEN_CONFLICT;
	if (query != NULL &&
	    token_query_find(query, "access_token", &qv, &qlen) == -2)
		return TOKEN_CONFLICT;
	if (nauth == 1 && token_bearer(auth[0], &hv, &hlen) == 0 && qlen > 0)
		return TOKEN_CONFLICT;
	/* Decoding never turns a non-empty value into an empty one. */
	if (qlen > 0)
		return token_take(out, TOKEN_QUERY, qv, qlen);
	if (hv != NULL)
		return token_take(out, TOKEN_HEADER, hv, hlen);
	if (session_cookie == NULL)
		return TOKEN_OK;
	if (token_cookie_find(cookie, ncookie, session_cookie, &cv,
	    &clen) == -2)
		return TOKEN_CONFLICT;
	if (clen > 0)
		return token_take(out, TOKEN_COOKIE, cv, clen);
	return TOKEN_OK;
}

int
token_cookie(const char *const *cookie, size_t ncookie, const char *name,
    char *out, size_t outlen, size_t *len)
{
	const char	*v;
	size_t		 vlen;
	int		 rv;

	*len = 0;
	if (outlen == 0)
		return -3;
	out[0] = '\0';
	if ((rv = token_cookie_find(cookie, ncookie, name, &v, &vlen)) != 0)
		return rv;
	if (vlen >= outlen)
		return -3;
	memcpy(out, v, vlen);
	out[vlen] = '\0';
	*len = vlen;
	return 0;
}

int
token_query_param(const char *query, const char *name, char *out,
    size_t outlen, size_t *len)
{
	const char	*v;
	size_t		 vlen, n;
	int		 rv;

	*len = 0;
	if (outlen == 0)
		return -3;
	out[0] = '\0';
	if (query == NULL)
		return -1;
	if ((rv = token_query_find(query, name, &v, &vlen)) != 0)
		return rv;
	if ((n = token_pct_decode(v, vlen, out, outlen)) >= outlen) {
		explicit_bzero(out, outlen);
		return -3;
	}
	*len = n;
	return 0;
}

static int
token_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode len bytes into out, NUL-terminated.  Returns the decoded
 * length, or outlen (nothing usable in out) when it does not fit;
 * decoding stops there.
 */
static size_t
token_pct_decode(const char *in, size_t len, char *out, size_t outlen)
{
	size_t	 i, n = 0;
	int	 hi, lo;

	for (i = 0; i < len; i++) {
		if (n + 1 >= outlen)
			return outlen;
		if (in[i] == '%' && i + 2 < len &&
		    (hi = token_hex(in[i + 1])) != -1 &&
		    (lo = token_hex(in[i + 2])) != -1) {
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[n++] = in[i];
	}
	out[n] = '\0';
	return n;
}

/*
 * Does the percent-decoding of in[0..len) equal name?  As the token's
 * parameter is found, so the access log finds what to redact.
 */
int
token_name_is(const char *in, size_t len, const char *name)
{
	size_t	 i;
	int	 hi, lo, c;

	for (i = 0; i < len; i++, name++) {
		c = (unsigned char)in[i];
		if (c == '%' && i + 2 < len &&
		    (hi = token_hex(in[i + 1])) != -1 &&
		    (lo = token_hex(in[i + 2])) != -1) {
			c = hi << 4 | lo;
			i += 2;
		}
		if (*name == '\0' || (unsigned char)*name != c)
			return 0;
	}
	return *name == '\0';
}

/* The raw (still encoded) value of name in query. */
static int
token_query_find(const char *query, const char *name, const char **val,
    size_t *vlen)
{
	const char	*p = query, *end, *eq;
	int		 found = 0;

	*val = NULL;
	*vlen = 0;
	for (;;) {
		end = p + strcspn(p, "&");
		if ((eq = memchr(p, '=', end - p)) == NULL)
			eq = end;
		if (token_name_is(p, eq - p, name)) {
			if (found++)
				return -2;
			*val = eq == end ? end : eq + 1;
			*vlen = end - *val;
		}
		if (*end == '\0')
			break;
		p = end + 1;
	}
	return found ? 0 : -1;
}

/*
 * One "name=value" pair in [p, end): 1 and the value (quotes and
 * surrounding blanks dropped) when it is name's, else 0.
 */
static int
token_cookie_pair(const char *p, const char *end, const char *name,
    const char **val, size_t *vlen)
{
	const char	*eq, *k;
	size_t		 nlen = strlen(name);

	p += strspn(p, TOKEN_OWS);
	if ((eq = memchr(p, '=', end - p)) == NULL)
		return 0;
	for (k = eq; k > p && (k[-1] == ' ' || k[-1] == '\t'); k--)
		;
	if ((size_t)(k - p) != nlen || memcmp(p, name, nlen) != 0)
		return 0;
	for (p = eq + 1; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end - p >= 2 && *p == '"' && end[-1] == '"') {
		p++;
		end--;
	}
	*val = p;
	*vlen = end - p;
	return 1;
}

static int
token_cookie_find(const char *const *cookie, size_t ncookie,
    const char *name, const char **val, size_t *vlen)
{
	const char	*p, *end;
	size_t		 i;
	int		 found = 0;

	*val = NULL;
	*vlen = 0;
	for (i = 0; i < ncookie; i++) {
		for (p = cookie[i]; ; p = end + 1) {
			end = p + strcspn(p, ";");
			if (token_cookie_pair(p, end, name, val, vlen) == 1 &&
			    found++ > 0)
				return -2;
			if (*end == '\0')
				break;
		}
	}
	return found ? 0 : -1;
}

/* "Bearer <token>": exactly one space, two non-empty parts. */
static int
token_bearer(const char *v, const char **tok, size_t *len)
{
	static const char	 scheme[] = "bearer";
	size_t			 i;

	for (i = 0; i < sizeof(scheme) - 1; i++) {
		if (v[i] == '\0' || (v[i] | 0x20) != scheme[i])
			return -1;
	}
	if (v[i] != ' ' || v[i + 1] == '\0' || strchr(v + i + 1, ' ') != NULL)
		return -1;
	*tok = v + i + 1;
	*len = strlen(*tok);
	return 0;
}

static enum token_status
token_take(struct token_ref *out, enum token_source source, const char *v,
    size_t len)
{
	out->source = source;
	if (source == TOKEN_QUERY)
		len = token_pct_decode(v, len, out->value, sizeof(out->value));
	else if (len < sizeof(out->value)) {
		memcpy(out->value, v, len);
		out->value[len] = '\0';
	}
	if (len > TOKEN_MAX) {
		explicit_bzero(out->value, sizeof(out->value));
		out->len = 0;
		return TOKEN_TOO_LONG;
	}
	out->len = len;
	return TOKEN_OK;
}
