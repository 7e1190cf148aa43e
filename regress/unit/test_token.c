/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * server/token.c: where the access token comes from (Directus 10.10+
 * rules) and the hostile forms of each source (security catalog
 * section 3: H1, H2, H4; T11 for the 1 MB headers).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "regress.h"
#include "../../server/token.h"

#define SESSION	"directus_session_token"
#define BIG	(1024 * 1024)
/*
 * A parse of BIG bytes: within this factor of a byte-serial hash of them
 * (the slowest parse here, 1 MB of semicolons, is about 60 times one;
 * a quadratic one would be some 100,000 times).
 */
#define LINEAR	1000

static struct token_ref	 ref;

static enum token_status
ex(const char *query, const char *auth, const char *auth2,
    const char *cookie, const char *cookie2)
{
	const char	*a[2] = { auth, auth2 }, *c[2] = { cookie, cookie2 };

	return token_extract(query, a, auth == NULL ? 0 : auth2 == NULL ? 1 : 2,
	    c, cookie == NULL ? 0 : cookie2 == NULL ? 1 : 2, SESSION, &ref);
}

/* TOKEN_OK from source with exactly value. */
static int
got(enum token_status st, enum token_source source, const char *value)
{
	return st == TOKEN_OK && ref.source == source &&
	    ref.len == strlen(value) && strcmp(ref.value, value) == 0;
}

static int
public(enum token_status st)
{
	return st == TOKEN_OK && ref.source == TOKEN_NONE && ref.len == 0 &&
	    ref.value[0] == '\0';
}

static int
header(const char *auth, const char *want)
{
	enum token_status	 st = ex(NULL, auth, NULL, NULL, NULL);

	return want == NULL ? public(st) : got(st, TOKEN_HEADER, want);
}

static int
query(const char *q, const char *want)
{
	enum token_status	 st = ex(q, NULL, NULL, NULL, NULL);

	return want == NULL ? public(st) : got(st, TOKEN_QUERY, want);
}

static int
cookie(const char *c, const char *want)
{
	enum token_status	 st = ex(NULL, NULL, NULL, c, NULL);

	return want == NULL ? public(st) : got(st, TOKEN_COOKIE, want);
}

static void
test_sources(void)
{
	CHECK("token_none", public(ex(NULL, NULL, NULL, NULL, NULL)) &&
	    public(ex("", NULL, NULL, "", NULL)));
	CHECK("token_query_only", query("access_token=abc", "abc"));
	CHECK("token_query_among_others", query("a=1&access_token=abc&b=2",
	    "abc"));
	CHECK("token_header_bearer", header("Bearer abc", "abc"));
	CHECK("token_H1_header_lower", header("bearer abc", "abc"));
	CHECK("token_H1_header_upper", header("BEARER abc", "abc") &&
	    header("bEaReR abc", "abc"));
	CHECK("token_cookie_only", cookie(SESSION "=abc", "abc"));
	CHECK("token_cookie_among_others", cookie("a=1; " SESSION "=abc; b=2",
	    "abc"));
	CHECK("token_H2_cookie_ignored_with_header", got(ex(NULL, "Bearer h",
	    NULL, SESSION "=c", NULL), TOKEN_HEADER, "h"));
	CHECK("token_H2_cookie_ignored_with_query", got(ex("access_token=q",
	    NULL, NULL, SESSION "=c", NULL), TOKEN_QUERY, "q"));
	CHECK("token_cookie_twice_ignored_with_header", got(ex(NULL,
	    "Bearer h", NULL, SESSION "=c; " SESSION "=d", NULL),
	    TOKEN_HEADER, "h"));
	CHECK("token_cookie_no_name_configured", token_extract(NULL, NULL, 0,
	    (const char *const []){ SESSION "=c" }, 1, NULL, &ref) ==
	    TOKEN_OK && ref.source == TOKEN_NONE);
	CHECK("token_unusable_header_falls_to_cookie", got(ex(NULL,
	    "Basic dXNlcjpwYXNz", NULL, SESSION "=c", NULL), TOKEN_COOKIE,
	    "c"));
	CHECK("token_query_with_unusable_header", got(ex("access_token=q",
	    "Basic x", NULL, NULL, NULL), TOKEN_QUERY, "q"));
}

/* H1: anything but "bearer" SP token is ignored: the request is public. */
static void
test_header_forms(void)
{
	CHECK("token_H1_two_spaces", header("Bearer  x", NULL));
	CHECK("token_H1_tab", header("Bearer\tx", NULL));
	CHECK("token_H1_no_space", header("Bearerx", NULL));
	CHECK("token_H1_basic", header("Basic dXNlcjpwYXNz", NULL));
	CHECK("token_H1_token_scheme", header("Token x", NULL));
	CHECK("token_H1_bare_token", header("abc.def.ghi", NULL));
	CHECK("token_H1_empty", header("", NULL));
	CHECK("token_H1_empty_token", header("Bearer ", NULL) &&
	    header("Bearer", NULL));
	CHECK("token_H1_three_parts", header("Bearer x y", NULL) &&
	    header("Bearer x ", NULL) && header(" Bearer x", NULL));
	CHECK("token_H1_scheme_near_miss", header("Bearer_ x", NULL) &&
	    header("Bearers x", NULL) && header("Bear x", NULL));
}

/* H2: every way of giving two tokens. */
static void
test_conflicts(void)
{
	CHECK("token_H2_query_and_header", ex("access_token=a", "Bearer b",
	    NULL, NULL, NULL) == TOKEN_CONFLICT);
	CHECK("token_H2_query_and_header_same", ex("access_token=a",
	    "Bearer a", NULL, NULL, NULL) == TOKEN_CONFLICT);
	CHECK("token_H2_two_authorization", ex(NULL, "Bearer a", "Bearer a",
	    NULL, NULL) == TOKEN_CONFLICT && ex(NULL, "Bearer a", "Basic b",
	    NULL, NULL) == TOKEN_CONFLICT);
	CHECK("token_H2_repeated_access_token", ex("access_token=a&"
	    "access_token=b", NULL, NULL, NULL, NULL) == TOKEN_CONFLICT);
	CHECK("token_H2_repeated_one_empty", ex("access_token=&access_token=b",
	    NULL, NULL, NULL, NULL) == TOKEN_CONFLICT);
	CHECK("token_H2_repeated_encoded_name", ex("access_token=a&"
	    "access%5Ftoken=b", NULL, NULL, NULL, NULL) == TOKEN_CONFLICT);
	CHECK("token_H2_cookie_twice", ex(NULL, NULL, NULL,
	    SESSION "=a; " SESSION "=b", NULL) == TOKEN_CONFLICT);
	CHECK("token_H2_cookie_twice_two_headers", ex(NULL, NULL, NULL,
	    SESSION "=a", SESSION "=b") == TOKEN_CONFLICT);
	CHECK("token_conflict_leaves_no_token", ex("access_token=a",
	    "Bearer b", NULL, NULL, NULL) == TOKEN_CONFLICT &&
	    ref.source == TOKEN_NONE && ref.len == 0);
}

/* H4 and the query's decoding. */
static void
test_query_decoding(void)
{
	CHECK("token_empty_access_token_absent", query("access_token=", NULL) &&
	    query("access_token", NULL));
	CHECK("token_empty_access_token_with_header", got(ex("access_token=",
	    "Bearer h", NULL, NULL, NULL), TOKEN_HEADER, "h"));
	CHECK("token_empty_access_token_with_cookie", got(ex("access_token=",
	    NULL, NULL, SESSION "=c", NULL), TOKEN_COOKIE, "c"));
	CHECK("token_H4_dots", query("access_token=%2e%2e", ".."));
	CHECK("token_H4_decoded_once", query("access_token=%252e", "%2e"));
	CHECK("token_H4_plus_stays", query("access_token=a+b", "a+b"));
	CHECK("token_H4_bad_escapes_literal", query("access_token=%2", "%2") &&
	    query("access_token=%zz%4", "%zz%4") &&
	    query("access_token=%41%42", "AB"));
	CHECK("token_H4_nul_kept", ex("access_token=%00", NULL, NULL, NULL,
	    NULL) == TOKEN_OK && ref.source == TOKEN_QUERY && ref.len == 1 &&
	    ref.value[0] == '\0');
	CHECK("token_H4_crlf_kept", query("access_token=a%0d%0ab", "a\r\nb"));
	CHECK("token_H4_space_kept", query("access_token=a%20b", "a b"));
	CHECK("token_encoded_name", query("access%5ftoken=x", "x"));
	CHECK("token_name_prefix", query("xaccess_token=a&access_tokenx=b",
	    NULL));
	CHECK("token_header_control_bytes_kept", header("Bearer a\x01\x7f",
	    "a\x01\x7f"));
}

static void
test_cookies(void)
{
	CHECK("token_cookie_quoted", cookie(SESSION "=\"abc\"", "abc"));
	CHECK("token_cookie_quoted_empty", cookie(SESSION "=\"\"", NULL) &&
	    cookie(SESSION "=", NULL));
	CHECK("token_cookie_half_quoted", cookie(SESSION "=\"abc", "\"abc"));
	CHECK("token_cookie_name_prefix", cookie("x" SESSION "=a; " SESSION
	    "=b", "b"));
	CHECK("token_cookie_name_suffix", cookie(SESSION "x=a", NULL) &&
	    cookie(SESSION "x=a;" SESSION "=b", "b"));
	CHECK("token_cookie_name_exact_case", cookie("Directus_Session_Token=a",
	    NULL));
	CHECK("token_cookie_blanks", cookie("a=1 ;\t" SESSION " = c ", "c") &&
	    cookie("a=1;" SESSION "=c", "c"));
	CHECK("token_cookie_two_headers", got(ex(NULL, NULL, NULL, "a=1",
	    SESSION "=c"), TOKEN_COOKIE, "c"));
	CHECK("token_cookie_no_equals", cookie(SESSION "; a=b", NULL));
	CHECK("token_cookie_value_with_equals", cookie(SESSION "=a=b", "a=b"));
}

static void
test_lengths(void)
{
	char		*big, *q;
	size_t		 i;
	double		 t;

	if ((big = malloc(BIG + 64)) == NULL || (q = malloc(3 * BIG)) == NULL)
		abort();
	memcpy(big, "Bearer ", 7);
	memset(big + 7, 'a', TOKEN_MAX);
	big[7 + TOKEN_MAX] = '\0';
	CHECK("token_header_at_max", ex(NULL, big, NULL, NULL, NULL) ==
	    TOKEN_OK && ref.len == TOKEN_MAX && ref.value[TOKEN_MAX] == '\0');
	big[7 + TOKEN_MAX] = 'a';
	big[8 + TOKEN_MAX] = '\0';
	CHECK("token_header_too_long", ex(NULL, big, NULL, NULL, NULL) ==
	    TOKEN_TOO_LONG && ref.len == 0);

	memcpy(q, "access_token=", 13);
	for (i = 0; i < TOKEN_MAX; i++)
		memcpy(q + 13 + 3 * i, "%41", 3);
	q[13 + 3 * TOKEN_MAX] = '\0';
	CHECK("token_query_encoded_at_max", ex(q, NULL, NULL, NULL, NULL) ==
	    TOKEN_OK && ref.len == TOKEN_MAX && ref.value[0] == 'A');
	memcpy(q + 13 + 3 * TOKEN_MAX, "A", 2);
	CHECK("token_query_too_long", ex(q, NULL, NULL, NULL, NULL) ==
	    TOKEN_TOO_LONG && ref.len == 0);

	memcpy(big, SESSION "=", sizeof(SESSION));
	memset(big + sizeof(SESSION), 'c', TOKEN_MAX + 1);
	big[sizeof(SESSION) + TOKEN_MAX + 1] = '\0';
	CHECK("token_cookie_too_long", ex(NULL, NULL, NULL, big, NULL) ==
	    TOKEN_TOO_LONG);

	/* T11: "Bearer " and 1 MB of dots. */
	memcpy(big, "Bearer ", 7);
	memset(big + 7, '.', BIG);
	big[7 + BIG] = '\0';
	t = regress_now();
	for (i = 0; i < 20; i++)
		(void)ex(NULL, big, NULL, NULL, NULL);
	CHECK("token_T11_1mb_bearer", ex(NULL, big, NULL, NULL, NULL) ==
	    TOKEN_TOO_LONG && REGRESS_LINEAR(regress_now() - t, big, BIG, 21,
	    LINEAR));

	/* 1 MB of short cookie pairs, then the session cookie. */
	for (i = 0; i + 5 < BIG; i += 5)
		memcpy(big + i, "a=b; ", 5);
	snprintf(big + i, 64, SESSION "=tok");
	t = regress_now();
	for (i = 0; i < 20; i++)
		(void)ex(NULL, NULL, NULL, big, NULL);
	CHECK("token_1mb_cookie_header", ex(NULL, NULL, NULL, big, NULL) ==
	    TOKEN_OK && strcmp(ref.value, "tok") == 0 &&
	    REGRESS_LINEAR(regress_now() - t, big, BIG, 21, LINEAR));

	/* 1 MB of blanks and of semicolons. */
	memset(big, ' ', BIG);
	big[BIG] = '\0';
	t = regress_now();
	CHECK("token_1mb_blank_cookie", public(ex(NULL, NULL, NULL, big,
	    NULL)) && REGRESS_LINEAR(regress_now() - t,
	    big, BIG, 1, LINEAR));
	memset(big, ';', BIG);
	t = regress_now();
	CHECK("token_1mb_semicolons", public(ex(NULL, NULL, NULL, big,
	    NULL)) && REGRESS_LINEAR(regress_now() - t,
	    big, BIG, 1, LINEAR));
	memset(big, '=', BIG);
	t = regress_now();
	CHECK("token_1mb_equals_cookie", public(ex(NULL, NULL, NULL, big,
	    NULL)) && REGRESS_LINEAR(regress_now() - t,
	    big, BIG, 1, LINEAR));

	/* 1 MB queries: '&' only, '=' only, and one long value. */
	memset(q, '&', BIG);
	q[BIG] = '\0';
	t = regress_now();
	CHECK("token_1mb_ampersands", public(ex(q, NULL, NULL, NULL, NULL)) &&
	    REGRESS_LINEAR(regress_now() - t,
	    q, BIG, 1, LINEAR));
	memset(q, '%', BIG);
	t = regress_now();
	CHECK("token_1mb_percent_name", public(ex(q, NULL, NULL, NULL, NULL)) &&
	    REGRESS_LINEAR(regress_now() - t,
	    q, BIG, 1, LINEAR));
	memcpy(q, "access_token=", 13);
	memset(q + 13, '%', BIG);
	q[13 + BIG] = '\0';
	t = regress_now();
	CHECK("token_1mb_query_value", ex(q, NULL, NULL, NULL, NULL) ==
	    TOKEN_TOO_LONG && REGRESS_LINEAR(regress_now() - t,
	    q, BIG, 1, LINEAR));
	free(big);
	free(q);
}

static void
test_lookups(void)
{
	const char	*c[2] = { "a=1; b=\"two\"", "c=3; a=4" };
	char		 out[8];
	size_t		 len;

	CHECK("token_cookie_found", token_cookie(c, 2, "b", out, sizeof(out),
	    &len) == 0 && len == 3 && strcmp(out, "two") == 0);
	CHECK("token_cookie_absent", token_cookie(c, 2, "d", out, sizeof(out),
	    &len) == -1 && out[0] == '\0' && len == 0);
	CHECK("token_cookie_duplicate", token_cookie(c, 2, "a", out,
	    sizeof(out), &len) == -2 && out[0] == '\0');
	CHECK("token_cookie_none", token_cookie(NULL, 0, "a", out, sizeof(out),
	    &len) == -1);
	c[0] = "long=12345678";
	CHECK("token_cookie_too_long", token_cookie(c, 1, "long", out,
	    sizeof(out), &len) == -3 && out[0] == '\0');
	c[0] = "long=1234567";
	CHECK("token_cookie_fits", token_cookie(c, 1, "long", out,
	    sizeof(out), &len) == 0 && len == 7);

	CHECK("token_param_found", token_query_param("fields=id%2Cname&x=1",
	    "fields", out, sizeof(out), &len) == 0 && len == 7 &&
	    strcmp(out, "id,name") == 0);
	CHECK("token_param_absent", token_query_param("x=1", "fields", out,
	    sizeof(out), &len) == -1 && out[0] == '\0' &&
	    token_query_param(NULL, "fields", out, sizeof(out), &len) == -1);
	CHECK("token_param_duplicate", token_query_param("f=1&f=2", "f", out,
	    sizeof(out), &len) == -2 && out[0] == '\0');
	CHECK("token_param_no_equals", token_query_param("a&f", "f", out,
	    sizeof(out), &len) == 0 && len == 0 && out[0] == '\0');
	CHECK("token_param_too_long", token_query_param("f=12345678", "f", out,
	    sizeof(out), &len) == -3 && out[0] == '\0');
	CHECK("token_param_decoded_fits", token_query_param("f=%31%32%33%34"
	    "%35%36%37", "f", out, sizeof(out), &len) == 0 && len == 7 &&
	    strcmp(out, "1234567") == 0);
}

int
main(void)
{
	test_sources();
	test_header_forms();
	test_conflicts();
	test_query_decoding();
	test_cookies();
	test_lengths();
	test_lookups();
	return regress_exit();
}
