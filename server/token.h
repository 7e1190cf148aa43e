/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Where a request's access token comes from (Directus 10.10+ rules).
 *
 * Sources, in order: the "access_token" query parameter; a single
 * Authorization header "Bearer <token>" (split on one space into
 * exactly two non-empty parts, the scheme compared case-insensitively;
 * any other form is ignored and the request stays public); the session
 * cookie, looked at only when neither gave a token.  An empty
 * access_token or cookie value is absent.
 *
 * TOKEN_CONFLICT (400 INVALID_PAYLOAD): two or more Authorization
 * headers, access_token given more than once, a query token together
 * with a usable header, or the session cookie given more than once when
 * it is the source.  TOKEN_TOO_LONG: the token is longer than TOKEN_MAX.
 * A token with bytes outside printable ASCII is kept as it is: it is a
 * bad token, not an absent one.
 *
 * Query strings are split on '&' only; names and values are
 * percent-decoded exactly once, as evhttp_uridecode() does with
 * decode_plus 0: "%XX" with two hex digits is one byte (%00 included),
 * a '%' without them stays as it is, and '+' stays '+'.  A parameter
 * without '=' has the empty value.
 *
 * Cookie header values are "name=value" pairs separated by ';'; spaces
 * and tabs around names and values are dropped, names are compared
 * exactly, a value in double quotes loses them (RFC 6265), and values
 * are not percent-decoded.  Several Cookie headers read as one list.
 *
 * The lookups return 0 found, -1 not found, -2 present more than once,
 * -3 found but longer than outlen - 1; on any but 0, out is "".
 * All of it is linear in the input.
 */
#ifndef TOKEND_TOKEN_H
#define TOKEND_TOKEN_H

#include <stddef.h>

#include "jwt.h"

#define TOKEN_MAX	JWT_TOKEN_MAX

enum token_source {
	TOKEN_NONE,
	TOKEN_QUERY,
	TOKEN_HEADER,
	TOKEN_COOKIE
};

enum token_status {
	TOKEN_OK,
	TOKEN_CONFLICT,		/* 400 INVALID_PAYLOAD */
	TOKEN_TOO_LONG		/* 401 */
};

struct token_ref {
	enum token_source	 source;
	char			 value[TOKEN_MAX + 1]; /* NUL-ended */
	size_t			 len;
};

/*
 * token_extract(query, auth, nauth, cookie, ncookie, session_cookie,
 * out): query is the raw query string after '?' (or NULL), auth the values
 * of the nauth Authorization headers, cookie the values of the ncookie
 * Cookie headers, session_cookie the configured cookie name (or NULL).
 * On TOKEN_OK, out->source is TOKEN_NONE when the request is public.
 *
 * token_cookie(cookie, ncookie, name, out, outlen, len) and
 * token_query_param(query, name, out, outlen, len): one named value.
 */

/* token.c */
enum token_status	 token_extract(const char *, const char *const *,
			    size_t, const char *const *, size_t, const char *,
			    struct token_ref *);
int			 token_cookie(const char *const *, size_t,
			    const char *, char *, size_t, size_t *);
int			 token_name_is(const char *, size_t, const char *);
int			 token_query_param(const char *, const char *,
			    char *, size_t, size_t *);

#endif /* TOKEND_TOKEN_H */
