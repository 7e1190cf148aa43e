/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * server/wire.c: the strict reader of request framing.  Every case is
 * fed whole and then one byte at a time; both must give the same
 * outcome.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../server/wire.h"
#include "regress.h"

static int	 small_body(const char *, size_t);

static const struct wire_limits lim = {
	.line_max = 256,
	.head_max = 1024,
	.fields_max = 8,
	.body_max = 4096,
	.small_body_max = 64,
	.small_body = small_body,
};

static size_t	 small_longest;	/* the most target bytes small_body saw */

/* As the edge asks route.c, for the one prefix /auth/. */
static int
small_body(const char *target, size_t len)
{
	if (len > small_longest)
		small_longest = len;
	return len >= 6 && memcmp(target, "/auth/", 6) == 0;
}

/*
 * Feeds len bytes in pieces of step bytes (0: all at once).  Returns
 * the status of a refusal, or 0 when every byte was read without one;
 * *done counts complete requests, *heads the heads followed by a body.
 */
static int
run(const char *s, size_t len, size_t step, int *done, int *heads)
{
	struct wire	 w;
	size_t		 off = 0, n, used;
	enum wire_event	 ev;

	wire_init(&w, &lim);
	*done = *heads = 0;
	while (off < len) {
		n = step == 0 || len - off < step ? len - off : step;
		ev = wire_feed(&w, (const uint8_t *)s + off, n, &used);
		off += used;
		if (ev == WIRE_ERROR)
			return w.status;
		if (ev == WIRE_DONE)
			(*done)++;
		if (ev == WIRE_HEAD)
			(*heads)++;
	}
	return wire_idle(&w) ? 0 : -1;	/* -1: stopped inside a request */
}

/* status: expected refusal (0 none, -1 incomplete); ndone: requests. */
static void
expect_n(const char *name, const char *s, size_t len, int status, int ndone)
{
	char	 label[128];
	int	 d1, d2, h1, h2, r1, r2;

	r1 = run(s, len, 0, &d1, &h1);
	r2 = run(s, len, 1, &d2, &h2);
	(void)snprintf(label, sizeof(label), "wire_%s", name);
	if (r1 != status || d1 != ndone)
		printf("# %s: status %d done %d\n", name, r1, d1);
	CHECK(label, r1 == status && d1 == ndone);
	(void)snprintf(label, sizeof(label), "wire_%s_bytewise", name);
	CHECK(label, r2 == r1 && d2 == d1 && h2 == h1);
}

static void
expect(const char *name, const char *s, int status, int ndone)
{
	expect_n(name, s, strlen(s), status, ndone);
}

#define H	"Host: x\r\n"

/*
 * wire_search() tells the edge a SEARCH once its method is read, until
 * the next request begins; never for another method.
 */
static void
test_search_flag(void)
{
	static const char	 s[] = "SEARCH /x HTTP/1.1\r\n" H
				    "Content-Length: 2\r\n\r\n{}";
	static const char	 g[] = "GET /x HTTP/1.1\r\n" H "\r\n";
	struct wire		 w;
	size_t			 used, off;
	enum wire_event		 ev = WIRE_MORE;

	wire_init(&w, &lim);
	CHECK("wire_search_not_before", !wire_search(&w));
	(void)wire_feed(&w, (const uint8_t *)s, 1, &used);	/* BEGIN */
	(void)wire_feed(&w, (const uint8_t *)s, 6, &used);
	CHECK("wire_search_not_in_method", !wire_search(&w));
	(void)wire_feed(&w, (const uint8_t *)s + 6, 1, &used);
	CHECK("wire_search_after_method", wire_search(&w));
	for (off = 7; off < sizeof(s) - 1 && ev != WIRE_DONE; off += used)
		ev = wire_feed(&w, (const uint8_t *)s + off, sizeof(s) - 1 -
		    off, &used);
	CHECK("wire_search_after_done", ev == WIRE_DONE && wire_search(&w));
	(void)wire_feed(&w, (const uint8_t *)g, sizeof(g) - 1, &used);
	(void)wire_feed(&w, (const uint8_t *)g, sizeof(g) - 1, &used);
	CHECK("wire_search_not_for_get", !wire_search(&w));
}

static void
test_good(void)
{
	expect("get", "GET / HTTP/1.1\r\n" H "\r\n", 0, 1);
	expect("get_query", "GET /users/me?fields=a,b&x=%20 HTTP/1.1\r\n"
	    H "\r\n", 0, 1);
	expect("http10_no_host", "GET / HTTP/1.0\r\n\r\n", 0, 1);
	expect("post_cl", "POST /auth/login HTTP/1.1\r\n" H
	    "Content-Length: 2\r\n\r\n{}", 0, 1);
	expect("post_cl_ows", "POST /x HTTP/1.1\r\n" H
	    "Content-Length:   2  \r\n\r\n{}", 0, 1);
	expect("post_cl_zero", "POST /x HTTP/1.1\r\n" H
	    "Content-Length: 0\r\n\r\n", 0, 1);
	expect("post_no_length", "POST /x HTTP/1.1\r\n" H "\r\n", 0, 1);
	expect("post_no_length_close", "POST /x HTTP/1.1\r\n" H
	    "Connection: close\r\n\r\n", 0, 1);
	expect("chunked", "POST /x HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n3\r\nabc\r\n"
	    "0\r\n\r\n", 0, 1);
	expect("chunked_caps", "POST /x HTTP/1.1\r\n" H
	    "transfer-encoding: CHUNKED\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
	    0, 1);
	expect("pipelined", "GET /a HTTP/1.1\r\n" H "\r\nPOST /b HTTP/1.1\r\n"
	    H "Content-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\n" H "\r\n", 0, 3);
	expect("get_cl_zero", "GET / HTTP/1.1\r\n" H
	    "Content-Length: 0\r\n\r\n", 0, 1);
	expect("expect_continue", "POST /x HTTP/1.1\r\n" H
	    "Expect: 100-Continue\r\nContent-Length: 1\r\n\r\nx", 0, 1);
	expect("obs_text_value", "GET / HTTP/1.1\r\n" H "X: caf\xc3\xa9\r\n\r\n",
	    0, 1);
	expect("tab_in_other_value", "GET / HTTP/1.1\r\n" H
	    "X:\tone\ttwo\t\r\n\r\n", 0, 1);
	expect("incomplete_head", "GET / HTTP/1.1\r\nHo", -1, 0);
	expect("incomplete_body", "POST /x HTTP/1.1\r\n" H
	    "Content-Length: 5\r\n\r\nab", -1, 0);
}

static void
test_smuggling(void)
{
	expect("te_gzip", "POST /x HTTP/1.1\r\n" H
	    "Transfer-Encoding: gzip\r\n\r\n{}", 400, 0);
	expect("te_list", "POST /x HTTP/1.1\r\n" H
	    "Transfer-Encoding: gzip, chunked\r\n\r\n", 400, 0);
	expect("te_chunked_twice_list", "POST /x HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked, chunked\r\n\r\n", 400, 0);
	expect("te_xchunked", "POST /x HTTP/1.1\r\n" H
	    "Transfer-Encoding: xchunked\r\n\r\n", 400, 0);
	expect("te_repeated", "POST /x HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	    400, 0);
	expect("te_and_cl", "POST /x HTTP/1.1\r\n" H "Content-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, 0);
	expect("te_space_before_colon", "POST /x HTTP/1.1\r\n" H
	    "Transfer-Encoding : chunked\r\n\r\n", 400, 0);
	expect("te_tab_before_value", "POST /x HTTP/1.1\r\n" H
	    "Transfer-Encoding:\tchunked\r\n\r\n", 400, 0);
	expect("te_http10", "POST /x HTTP/1.0\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, 0);
	expect("te_obs_fold", "POST /x HTTP/1.1\r\n" H "X: y\r\n"
	    " Transfer-Encoding: chunked\r\n\r\n", 400, 0);
	expect("te_on_options_is_body", "OPTIONS / HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, 1);
	expect("cl_repeated_same", "POST /x HTTP/1.1\r\n" H
	    "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400, 0);
	expect("cl_repeated_other", "POST /x HTTP/1.1\r\n" H
	    "Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}", 400, 0);
	expect("cl_list", "POST /x HTTP/1.1\r\n" H
	    "Content-Length: 2, 2\r\n\r\n{}", 400, 0);
	expect("cl_plus", "POST /x HTTP/1.1\r\n" H
	    "Content-Length: +2\r\n\r\n{}", 400, 0);
	expect("cl_minus", "POST /x HTTP/1.1\r\n" H
	    "Content-Length: -1\r\n\r\n", 400, 0);
	expect("cl_hex", "POST /x HTTP/1.1\r\n" H
	    "Content-Length: 0x2\r\n\r\n", 400, 0);
	expect("cl_empty", "POST /x HTTP/1.1\r\n" H
	    "Content-Length:\r\n\r\n", 400, 0);
	expect("cl_overflow", "POST /x HTTP/1.1\r\n" H
	    "Content-Length: 99999999999999999999999\r\n\r\n", 400, 0);
	expect("cl_on_head", "HEAD / HTTP/1.1\r\n" H
	    "Content-Length: 5\r\n\r\nGET /", 400, 0);
	expect("te_on_head", "HEAD / HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, 0);
	expect("cl_on_get_is_body", "GET / HTTP/1.1\r\n" H
	    "Content-Length: 5\r\n\r\nGET /", 0, 1);
	expect("cl_on_delete_is_body", "DELETE /x HTTP/1.1\r\n" H
	    "Content-Length: 2\r\n\r\n[]", 0, 1);
	expect("keepalive_no_length", "POST /x HTTP/1.1\r\n" H
	    "Connection: keep-alive\r\n\r\n", 0, 1);
	expect("expect_other", "POST /x HTTP/1.1\r\n" H
	    "Expect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417, 0);
	expect("expect_other_no_body", "POST /x HTTP/1.1\r\n" H
	    "Expect: 200-ok\r\n\r\n", 0, 1);
	expect("expect_other_http10", "POST /x HTTP/1.0\r\n"
	    "Expect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 0, 1);
}

static void
test_syntax(void)
{
	expect("bare_lf", "GET / HTTP/1.1\n" H "\n", 400, 0);
	expect("bare_cr", "GET / HTTP/1.1\r\n" "X: a\rb\r\n" H "\r\n", 400, 0);
	expect_n("nul_value", "GET / HTTP/1.1\r\n" H "X: a\0b\r\n\r\n",
	    sizeof("GET / HTTP/1.1\r\n" H "X: a\0b\r\n\r\n") - 1, 400, 0);
	expect("del_value", "GET / HTTP/1.1\r\n" H "X: a\x7f\r\n\r\n", 400, 0);
	expect("bad_name", "GET / HTTP/1.1\r\n" H "X(y): a\r\n\r\n", 400, 0);
	expect("no_colon", "GET / HTTP/1.1\r\n" H "Xyz\r\n\r\n", 400, 0);
	expect("empty_line_first", "\r\nGET / HTTP/1.1\r\n" H "\r\n", 400, 0);
	expect("http2", "GET / HTTP/2.0\r\n" H "\r\n", 400, 0);
	expect("http09", "GET /\r\n\r\n", 400, 0);
	expect("lower_version", "GET / http/1.1\r\n" H "\r\n", 400, 0);
	expect("two_spaces", "GET  / HTTP/1.1\r\n" H "\r\n", 400, 0);
	expect("absolute_form", "GET http://x/ HTTP/1.1\r\n" H "\r\n", 400, 0);
	expect("asterisk", "OPTIONS * HTTP/1.1\r\n" H "\r\n", 400, 0);
	expect("binary_target", "GET /\xff\xfe HTTP/1.1\r\n" H "\r\n", 400, 0);
	expect("missing_host", "GET / HTTP/1.1\r\n\r\n", 400, 0);
	expect("repeated_host", "GET / HTTP/1.1\r\n" H H "\r\n", 400, 0);
	expect("trace", "TRACE / HTTP/1.1\r\n" H "\r\n", 405, 0);
	expect("search_body", "SEARCH /items/a HTTP/1.1\r\n" H
	    "Content-Length: 2\r\n\r\n{}GET / HTTP/1.1\r\n" H "\r\n", 0, 2);
	expect("search_chunked", "SEARCH /users HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 0, 1);
	expect("search_lowercase", "search / HTTP/1.1\r\n" H "\r\n", 405, 0);
	expect("search_marker_target", "GET \x7f\x7f\x7f/items/a HTTP/1.1\r\n"
	    H "\r\n", 400, 0);
	test_search_flag();
	expect("connect", "CONNECT x:1 HTTP/1.1\r\n" H "\r\n", 405, 0);
	expect("unknown_method", "BREW / HTTP/1.1\r\n" H "\r\n", 405, 0);
	expect("lowercase_method", "get / HTTP/1.1\r\n" H "\r\n", 405, 0);
	expect("method_16", "ABCDEFGHIJKLMNOP / HTTP/1.1\r\n" H "\r\n",
	    405, 0);
	expect("method_17", "ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n" H "\r\n",
	    400, 0);
	expect("long_field_name", "GET / HTTP/1.1\r\n" H
	    "X-A-Very-Long-Field-Name-Indeed-Longer-Than-24: 1\r\n\r\n", 0, 1);
	expect("long_name_like_cl", "POST /x HTTP/1.1\r\n" H
	    "Content-Length-And-Then-Some-More: x\r\nContent-Length: 1\r\n\r\n"
	    "x", 0, 1);
	expect("http10_post", "POST /x HTTP/1.0\r\nContent-Length: 1\r\n\r\nx",
	    0, 1);
	expect("version_then_garbage", "GET / HTTP/1.1x\r\n" H "\r\n", 400, 0);
	expect("version_lf_only", "GET / HTTP/1.1\n" H "\r\n", 400, 0);
}

static void
test_chunks(void)
{
	const char	*head = "POST /x HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked\r\n\r\n";
	char		 buf[512];

#define CHUNKS(name, body, status, n) do {				\
	(void)snprintf(buf, sizeof(buf), "%s%s", head, body);		\
	expect(name, buf, status, n);					\
} while (0)
	CHUNKS("chunk_extension", "2;x=y\r\n{}\r\n0\r\n\r\n", 400, 0);
	CHUNKS("chunk_trailer", "2\r\n{}\r\n0\r\nX: y\r\n\r\n", 400, 0);
	CHUNKS("chunk_bad_size", "zz\r\n{}\r\n0\r\n\r\n", 400, 0);
	CHUNKS("chunk_empty_size", "\r\n", 400, 0);
	CHUNKS("chunk_space", "2 \r\n{}\r\n0\r\n\r\n", 400, 0);
	CHUNKS("chunk_too_long_data", "2\r\n{}x\r\n0\r\n\r\n", 400, 0);
	CHUNKS("chunk_bare_lf", "2\n{}\r\n0\r\n\r\n", 400, 0);
	CHUNKS("chunk_huge", "FFFFFFFFFFFFFFFFFFFF\r\n", 413, 0);
	CHUNKS("chunk_endless", "1\r\nx\r\n1\r\nx\r\n1\r\nx\r\n", -1, 0);
#undef CHUNKS
}

static void
test_limits(void)
{
	char	 buf[4096], big[2048];
	int	 i;
	size_t	 off;

	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	(void)snprintf(buf, sizeof(buf), "GET /%.300s HTTP/1.1\r\n" H "\r\n",
	    big);
	expect("line_too_long", buf, 414, 0);
	(void)snprintf(buf, sizeof(buf), "GET /%.200s HTTP/1.1\r\n" H "\r\n",
	    big);
	expect("line_fits", buf, 0, 1);
	(void)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n" H
	    "X: %.1100s\r\n\r\n", big);
	expect("head_too_large", buf, 431, 0);
	off = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n" H);
	for (i = 0; i < 8; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "X%d: y\r\n", i);
	(void)snprintf(buf + off, sizeof(buf) - off, "\r\n");
	expect("too_many_fields", buf, 431, 0);
	(void)snprintf(buf, sizeof(buf), "POST /x HTTP/1.1\r\n" H
	    "Content-Length: 4097\r\n\r\n");
	expect("body_too_large", buf, 413, 0);
	(void)snprintf(buf, sizeof(buf), "POST /auth/login HTTP/1.1\r\n" H
	    "Content-Length: 65\r\n\r\n");
	expect("auth_body_too_large", buf, 413, 0);
	(void)snprintf(buf, sizeof(buf), "POST /authx HTTP/1.1\r\n" H
	    "Content-Length: 65\r\n\r\n%.65s", big);
	expect("not_auth_prefix", buf, 0, 1);
	(void)snprintf(buf, sizeof(buf), "POST /auth/refresh HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked\r\n\r\n40\r\n%.64s\r\n1\r\n",
	    big);
	expect("auth_chunked_too_large", buf, 413, 0);
	/* The start of a long target decides; small_body sees no more. */
	small_longest = 0;
	(void)snprintf(buf, sizeof(buf), "POST /auth/%.200s?q HTTP/1.1\r\n"
	    H "Content-Length: 65\r\n\r\n", big);
	expect("auth_long_target_too_large", buf, 413, 0);
	CHECK("wire_small_body_sees_target_start",
	    small_longest == WIRE_TARGET_KEEP);
	(void)snprintf(buf, sizeof(buf), "POST /%.100s/auth/ HTTP/1.1\r\n"
	    H "Content-Length: 65\r\n\r\n%.65s", big, big);
	expect("auth_late_in_target", buf, 0, 1);
	(void)snprintf(buf, sizeof(buf), "POST /x HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked\r\n\r\n800\r\n%.2047s", big);
	expect("chunked_at_limit_pending", buf, -1, 0);
	(void)snprintf(buf, sizeof(buf), "POST /x HTTP/1.1\r\n" H
	    "Transfer-Encoding: chunked\r\n\r\n1001\r\n");
	expect("chunked_over_limit", buf, 413, 0);
}

int
main(void)
{
	test_good();
	test_smuggling();
	test_syntax();
	test_chunks();
	test_limits();
	return regress_exit();
}
