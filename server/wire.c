/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The strict reader of request framing; see wire.h for what it refuses.
 * It mirrors what evhttp (libevent 2.1) reads from the same bytes, so
 * that whatever it accepts, evhttp frames the same way: field values
 * that matter for framing are taken after the whitespace evhttp skips
 * and before the whitespace it trims, and a tab before such a value,
 * which evhttp would keep, is refused.
 */
#include <sys/types.h>

#include <string.h>
#include <strings.h>

#include "wire.h"

enum wire_state {
	WS_IDLE,
	WS_METHOD,
	WS_TARGET,
	WS_VERSION,
	WS_LINE_LF,
	WS_FIELD,
	WS_NAME,
	WS_OWS,
	WS_VALUE,
	WS_FIELD_LF,
	WS_HEAD_LF,
	WS_BODY,
	WS_CHUNK_SIZE,
	WS_CHUNK_SIZE_LF,
	WS_CHUNK_DATA,
	WS_CHUNK_CR,
	WS_CHUNK_LF,
	WS_END_CR,
	WS_END_LF,
	WS_FAILED
};

/* The header fields that decide the framing. */
enum wire_field {
	WF_OTHER,
	WF_CL,
	WF_TE,
	WF_HOST,
	WF_CONN,
	WF_EXPECT
};

/*
 * evhttp 2.1.12 reads a body with every method it allows but HEAD.
 * SEARCH it does not know: the edge hands it over as GET (wire_search).
 */
static const struct {
	const char	*name;
	int		 body;
} wire_methods[] = {
	{ "GET", 1 }, { "HEAD", 0 }, { "DELETE", 1 }, { "OPTIONS", 1 },
	{ "POST", 1 }, { "PUT", 1 }, { "PATCH", 1 }, { "SEARCH", 1 },
};
#define WIRE_SEARCH	7	/* its row */
#define WIRE_NMETHODS	(sizeof(wire_methods) / sizeof(wire_methods[0]))

static const struct {
	const char	*name;
	size_t		 len;
	enum wire_field	 field;
} wire_fields[] = {
#define WIRE_FIELD(name, field)	{ name, sizeof(name) - 1, field }
	WIRE_FIELD("content-length", WF_CL),
	WIRE_FIELD("transfer-encoding", WF_TE),
	WIRE_FIELD("host", WF_HOST),
	WIRE_FIELD("connection", WF_CONN),
	WIRE_FIELD("expect", WF_EXPECT),
#undef WIRE_FIELD
};
#define WIRE_NFIELDS	(sizeof(wire_fields) / sizeof(wire_fields[0]))

/* Byte classes, filled once. */
#define WC_TCHAR	0x01	/* token */
#define WC_VCHAR	0x02	/* VCHAR or obs-text */
#define WC_WS		0x04	/* SP or HTAB */
#define WC_TARGET	0x08	/* printable ASCII but SP */

static uint8_t	 wire_class[256];

#define WIRE_BAD(w, why)	wire_fail((w), 400, "BAD_REQUEST",	\
				    "Bad request. " why ".")

static void	 wire_classes(void);
static size_t	 wire_run(struct wire *, const uint8_t *, size_t);
static size_t	 wire_target_run(struct wire *, const uint8_t *, size_t);
static void	 wire_target_keep(struct wire *, const uint8_t *, size_t);
static enum wire_event wire_fail(struct wire *, int, const char *,
		    const char *);
static int	 wire_tchar(int);
static int	 wire_vchar(int);
static void	 wire_begin(struct wire *);
static enum wire_event wire_byte(struct wire *, int);
static enum wire_event wire_line_byte(struct wire *, int);
static enum wire_event wire_method_byte(struct wire *, int);
static enum wire_event wire_target_byte(struct wire *, int);
static enum wire_event wire_version_end(struct wire *);
static enum wire_event wire_field_byte(struct wire *, int);
static enum wire_event wire_name_end(struct wire *);
static void	 wire_value_add(struct wire *, int);
static enum wire_event wire_field_end(struct wire *);
static enum wire_event wire_length(struct wire *);
static int	 wire_value_is(const struct wire *, const char *);
static enum wire_event wire_head_end(struct wire *);
static enum wire_event wire_body_start(struct wire *, uint64_t);
static enum wire_event wire_chunk_byte(struct wire *, int);
static enum wire_event wire_chunk_size(struct wire *, int);
static enum wire_event wire_skip(struct wire *, size_t, size_t *);

static void
wire_classes(void)
{
	const char	*punct = "!#$%&'*+-.^_`|~";
	int		 c;

	for (c = 0; c < 256; c++) {
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != 0 && strchr(punct, c)))
			wire_class[c] |= WC_TCHAR;
		if (c > 0x20 && c != 0x7f)
			wire_class[c] |= WC_VCHAR;
		if (c > 0x20 && c < 0x7f)
			wire_class[c] |= WC_TARGET;
		if (c == ' ' || c == '\t')
			wire_class[c] |= WC_WS;
	}
}

void
wire_init(struct wire *w, const struct wire_limits *lim)
{
	if (wire_class['a'] == 0)
		wire_classes();
	memset(w, 0, sizeof(*w));
	w->lim = *lim;
	w->state = WS_IDLE;
}

int
wire_idle(const struct wire *w)
{
	return w->state == WS_IDLE;
}

/*
 * Is the request being read, or the last one read, a SEARCH whose
 * method token is complete?  Its first WIRE_SEARCH_LEN bytes are then
 * "SEARCH ", and its target is printable ASCII.
 */
int
wire_search(const struct wire *w)
{
	return w->state != WS_METHOD && w->state != WS_FAILED &&
	    w->method == WIRE_SEARCH;
}

int
wire_in_body(const struct wire *w)
{
	return w->state >= WS_BODY && w->state < WS_FAILED;
}

static enum wire_event
wire_fail(struct wire *w, int status, const char *code, const char *message)
{
	w->state = WS_FAILED;
	w->status = status;
	w->code = code;
	w->message = message;
	return WIRE_ERROR;
}

/* RFC 9110 tchar */
static int
wire_tchar(int c)
{
	return wire_class[c & 0xff] & WC_TCHAR;
}

/* VCHAR or obs-text: what a field value may hold besides SP and HTAB. */
static int
wire_vchar(int c)
{
	return wire_class[c & 0xff] & WC_VCHAR;
}

/* A new request: everything but the limits starts over. */
static void
wire_begin(struct wire *w)
{
	struct wire_limits	 lim = w->lim;

	wire_init(w, &lim);
	w->state = WS_METHOD;
}

enum wire_event
wire_feed(struct wire *w, const uint8_t *p, size_t len, size_t *used)
{
	enum wire_event	 ev = WIRE_MORE;
	size_t		 i = 0, n;

	while (i < len && ev == WIRE_MORE) {
		switch (w->state) {
		case WS_FAILED:
			*used = i;
			return WIRE_ERROR;
		case WS_IDLE:
			wire_begin(w);
			*used = i;
			return WIRE_BEGIN;
		case WS_BODY:
		case WS_CHUNK_DATA:
			ev = wire_skip(w, len - i, &n);
			i += n;
			break;
		case WS_METHOD:
		case WS_TARGET:
		case WS_VERSION:
		case WS_NAME:
		case WS_VALUE:
			if ((n = wire_run(w, p + i, len - i)) > 0) {
				i += n;
				break;
			}
			/* FALLTHROUGH */
		default:
			ev = wire_byte(w, p[i++]);
			break;
		}
	}
	*used = i;
	return ev;
}

/*
 * The bulk of a head, quickly: a run of bytes that changes nothing but
 * the counts and the token being read (method, target, the usual
 * version, a field name, or the value of a field whose value does not
 * matter for framing).  It stops short of the limits, and at any byte
 * it does not expect, which wire_byte then reads and judges.
 */
static size_t
wire_run(struct wire *w, const uint8_t *p, size_t len)
{
	size_t	 room, n = 0;
	int	 line = w->state <= WS_LINE_LF;

	room = w->lim.head_max - w->head_len;
	if (line && w->lim.line_max - w->line_len < room)
		room = w->lim.line_max - w->line_len;
	if (w->state == WS_METHOD && WIRE_METHOD_MAX - w->tok_len < room)
		room = WIRE_METHOD_MAX - w->tok_len;
	if (len > room)
		len = room;
	switch (w->state) {
	case WS_VALUE:
		if (w->field == WF_OTHER || w->field == WF_HOST)
			while (n < len &&
			    (wire_class[p[n]] & (WC_VCHAR | WC_WS)))
				n++;
		break;
	case WS_NAME:
	case WS_METHOD:
		for (; n < len && (wire_class[p[n]] & WC_TCHAR); n++)
			if (w->tok_len + n < sizeof(w->tok) - 1)
				w->tok[w->tok_len + n] = (char)(p[n] >= 'A' &&
				    p[n] <= 'Z' && w->state == WS_NAME ?
				    p[n] - 'A' + 'a' : p[n]);
		w->tok_len += n;
		break;
	case WS_TARGET:
		n = wire_target_run(w, p, len);
		break;
	default:	/* WS_VERSION */
		if (w->tok_len == 0 && len >= 10 &&
		    memcmp(p, "HTTP/1.1\r\n", 10) == 0) {
			w->minor = 1;
			w->state = WS_FIELD;
			n = 10;
		}
		break;
	}
	if (line)
		w->line_len += n;
	w->head_len += n;
	return n;
}

static size_t
wire_target_run(struct wire *w, const uint8_t *p, size_t len)
{
	size_t	 n = 0;

	if (w->tok_len == 0)
		return 0;	/* wire_byte checks the leading '/' */
	while (n < len && (wire_class[p[n]] & WC_TARGET))
		n++;
	wire_target_keep(w, p, n);
	return n;
}

/* The first bytes of the target are kept for small_body. */
static void
wire_target_keep(struct wire *w, const uint8_t *p, size_t n)
{
	if (w->tok_len < WIRE_TARGET_KEEP)
		memcpy(w->target + w->tok_len, p, n < WIRE_TARGET_KEEP -
		    w->tok_len ? n : WIRE_TARGET_KEEP - w->tok_len);
	w->tok_len += n;
}

/* Bytes of a body or of chunk data: counted, not looked at. */
static enum wire_event
wire_skip(struct wire *w, size_t avail, size_t *n)
{
	*n = w->left < avail ? (size_t)w->left : avail;
	w->left -= *n;
	if (w->left > 0)
		return WIRE_MORE;
	if (w->state == WS_CHUNK_DATA) {
		w->state = WS_CHUNK_CR;
		return WIRE_MORE;
	}
	w->state = WS_IDLE;
	return WIRE_DONE;
}

static enum wire_event
wire_byte(struct wire *w, int c)
{
	if (w->state >= WS_BODY)
		return wire_chunk_byte(w, c);
	if (w->state <= WS_LINE_LF && ++w->line_len > w->lim.line_max)
		return wire_fail(w, 414, "URI_TOO_LONG", "URI too long.");
	if (++w->head_len > w->lim.head_max)
		return wire_fail(w, 431, "HEADERS_TOO_LARGE",
		    "Request header fields too large.");
	if (w->state <= WS_LINE_LF)
		return wire_line_byte(w, c);
	return wire_field_byte(w, c);
}

/* METHOD SP /target SP HTTP/1.x CRLF */
static enum wire_event
wire_line_byte(struct wire *w, int c)
{
	switch (w->state) {
	case WS_METHOD:
		return wire_method_byte(w, c);
	case WS_TARGET:
		return wire_target_byte(w, c);
	case WS_VERSION:
		if (c == '\r')
			return wire_version_end(w);
		if (w->tok_len >= 8)
			return WIRE_BAD(w, "Unsupported HTTP version");
		w->tok[w->tok_len++] = (char)c;
		return WIRE_MORE;
	default:	/* WS_LINE_LF */
		if (c != '\n')
			return WIRE_BAD(w, "Lines must end in CRLF");
		w->state = WS_FIELD;
		return WIRE_MORE;
	}
}

static enum wire_event
wire_method_byte(struct wire *w, int c)
{
	size_t	 i;

	if (c != ' ') {
		if (!wire_tchar(c) || w->tok_len >= WIRE_METHOD_MAX)
			return WIRE_BAD(w, "Invalid request line");
		w->tok[w->tok_len++] = (char)c;
		return WIRE_MORE;
	}
	if (w->tok_len == 0)
		return WIRE_BAD(w, "Invalid request line");
	w->tok[w->tok_len] = '\0';
	for (i = 0; i < WIRE_NMETHODS; i++)
		if (strcmp(w->tok, wire_methods[i].name) == 0)
			break;
	if (i == WIRE_NMETHODS)
		return wire_fail(w, 405, "METHOD_NOT_ALLOWED",
		    "Method not allowed.");
	w->method = (int)i;
	w->state = WS_TARGET;
	w->tok_len = 0;
	return WIRE_MORE;
}

/* The origin form only: a path and a query, printable ASCII. */
static enum wire_event
wire_target_byte(struct wire *w, int c)
{
	uint8_t	 byte = (uint8_t)c;

	if (c == ' ') {
		if (w->tok_len == 0)
			return WIRE_BAD(w, "Invalid request line");
		w->small = w->lim.small_body != NULL &&
		    w->lim.small_body(w->target, w->tok_len <
		    WIRE_TARGET_KEEP ? w->tok_len : WIRE_TARGET_KEEP);
		w->state = WS_VERSION;
		w->tok_len = 0;
		return WIRE_MORE;
	}
	if (c <= 0x20 || c >= 0x7f)
		return WIRE_BAD(w, "Invalid character in the request target");
	if (w->tok_len == 0 && c != '/')
		return WIRE_BAD(w, "The request target must be a path");
	wire_target_keep(w, &byte, 1);
	return WIRE_MORE;
}

static enum wire_event
wire_version_end(struct wire *w)
{
	if (w->tok_len == 8 && memcmp(w->tok, "HTTP/1.1", 8) == 0)
		w->minor = 1;
	else if (w->tok_len == 8 && memcmp(w->tok, "HTTP/1.0", 8) == 0)
		w->minor = 0;
	else
		return WIRE_BAD(w, "Unsupported HTTP version");
	w->state = WS_LINE_LF;
	return WIRE_MORE;
}

static enum wire_event
wire_field_byte(struct wire *w, int c)
{
	switch (w->state) {
	case WS_FIELD:
		if (c == '\r') {
			w->state = WS_HEAD_LF;
			return WIRE_MORE;
		}
		if (c == ' ' || c == '\t')
			return WIRE_BAD(w, "Obsolete line folding");
		if (!wire_tchar(c))
			return WIRE_BAD(w, "Invalid header field name");
		w->state = WS_NAME;
		w->tok_len = 0;
		/* FALLTHROUGH */
	case WS_NAME:
		if (c == ':')
			return wire_name_end(w);
		if (c == ' ' || c == '\t')
			return WIRE_BAD(w, "Whitespace before a colon");
		if (!wire_tchar(c))
			return WIRE_BAD(w, "Invalid header field name");
		if (w->tok_len < sizeof(w->tok) - 1)
			w->tok[w->tok_len] = (char)(c >= 'A' && c <= 'Z' ?
			    c - 'A' + 'a' : c);
		w->tok_len++;
		return WIRE_MORE;
	case WS_OWS:
		if (c == ' ')
			return WIRE_MORE;
		if (c == '\t' && w->field != WF_OTHER)
			return WIRE_BAD(w, "Tab before a framing field value");
		if (c == '\t')
			return WIRE_MORE;
		/* FALLTHROUGH */
	case WS_VALUE:
		if (c == '\r') {
			w->state = WS_FIELD_LF;
			return WIRE_MORE;
		}
		if (!wire_vchar(c) && c != ' ' && c != '\t')
			return WIRE_BAD(w, "Invalid character in a header field");
		w->state = WS_VALUE;
		wire_value_add(w, c);
		return WIRE_MORE;
	case WS_FIELD_LF:
		if (c != '\n')
			return WIRE_BAD(w, "Lines must end in CRLF");
		w->state = WS_FIELD;
		return wire_field_end(w);
	default:	/* WS_HEAD_LF */
		if (c != '\n')
			return WIRE_BAD(w, "Lines must end in CRLF");
		return wire_head_end(w);
	}
}

static enum wire_event
wire_name_end(struct wire *w)
{
	size_t	 i;

	w->field = WF_OTHER;
	for (i = 0; i < WIRE_NFIELDS; i++)
		if (w->tok_len == wire_fields[i].len &&
		    memcmp(w->tok, wire_fields[i].name, w->tok_len) == 0)
			w->field = wire_fields[i].field;
	w->value_len = w->value_end = 0;
	w->value_long = 0;
	w->state = WS_OWS;
	return WIRE_MORE;
}

/* Only framing fields are kept; trailing SP and HTAB are not counted. */
static void
wire_value_add(struct wire *w, int c)
{
	if (w->field == WF_OTHER)
		return;
	if (w->value_len >= sizeof(w->value)) {
		w->value_long = 1;
		return;
	}
	w->value[w->value_len++] = (char)c;
	if (c != ' ' && c != '\t')
		w->value_end = w->value_len;
}

static int
wire_value_is(const struct wire *w, const char *s)
{
	size_t	 len = strlen(s);

	return !w->value_long && w->value_end == len &&
	    strncasecmp(w->value, s, len) == 0;
}

static enum wire_event
wire_field_end(struct wire *w)
{
	if (++w->fields > w->lim.fields_max)
		return wire_fail(w, 431, "HEADERS_TOO_LARGE",
		    "Too many header fields.");
	switch (w->field) {
	case WF_CL:
		return wire_length(w);
	case WF_TE:
		if (w->n_te++ > 0)
			return WIRE_BAD(w, "Repeated Transfer-Encoding");
		if (!wire_value_is(w, "chunked"))
			return WIRE_BAD(w,
			    "Transfer-Encoding other than chunked");
		break;
	case WF_HOST:
		if (w->n_host++ > 0)
			return WIRE_BAD(w, "Repeated Host");
		break;
	case WF_CONN:
		break;
	case WF_EXPECT:
		if (w->n_expect++ == 0)
			w->expect_ok = wire_value_is(w, "100-continue");
		break;
	default:
		break;
	}
	return WIRE_MORE;
}

static enum wire_event
wire_length(struct wire *w)
{
	size_t	 i;

	if (w->n_cl++ > 0)
		return WIRE_BAD(w, "Repeated Content-Length");
	if (w->value_long || w->value_end == 0 ||
	    w->value_end > WIRE_CL_DIGITS)
		return WIRE_BAD(w, "Invalid Content-Length");
	w->cl = 0;
	for (i = 0; i < w->value_end; i++) {
		if (w->value[i] < '0' || w->value[i] > '9')
			return WIRE_BAD(w, "Invalid Content-Length");
		w->cl = w->cl * 10 + (uint64_t)(w->value[i] - '0');
	}
	return WIRE_MORE;
}

static enum wire_event
wire_head_end(struct wire *w)
{
	if (w->minor == 1 && w->n_host == 0)
		return WIRE_BAD(w, "Missing Host");
	if (w->n_te > 0 && w->minor == 0)
		return WIRE_BAD(w, "Transfer-Encoding in an HTTP/1.0 request");
	if (w->n_te > 0 && w->n_cl > 0)
		return WIRE_BAD(w,
		    "Content-Length together with Transfer-Encoding");
	if (!wire_methods[w->method].body) {
		if (w->n_te > 0 || w->cl > 0)
			return WIRE_BAD(w, "A body is not allowed with this "
			    "method");
		w->state = WS_IDLE;
		return WIRE_DONE;
	}
	if ((w->n_te > 0 || w->cl > 0) && w->n_expect > 0 && w->minor == 1 &&
	    !w->expect_ok)
		return wire_fail(w, 417, "EXPECTATION_FAILED",
		    "Expectation failed.");
	return wire_body_start(w, w->cl);
}

static enum wire_event
wire_body_start(struct wire *w, uint64_t cl)
{
	uint64_t	 max = w->lim.body_max;

	if (w->small && w->lim.small_body_max < max)
		w->lim.body_max = max = w->lim.small_body_max;
	if (cl > max)
		return wire_fail(w, 413, "CONTENT_TOO_LARGE",
		    "Content too large.");
	if (w->n_te > 0) {
		w->state = WS_CHUNK_SIZE;
		return WIRE_HEAD;
	}
	if (cl == 0) {
		w->state = WS_IDLE;
		return WIRE_DONE;
	}
	w->left = cl;
	w->state = WS_BODY;
	return WIRE_HEAD;
}

/* chunk-size CRLF chunk-data CRLF ... "0" CRLF CRLF, nothing else. */
static enum wire_event
wire_chunk_byte(struct wire *w, int c)
{
	switch (w->state) {
	case WS_CHUNK_SIZE:
		return wire_chunk_size(w, c);
	case WS_CHUNK_SIZE_LF:
		if (c != '\n')
			return WIRE_BAD(w, "Lines must end in CRLF");
		w->body += w->left;
		w->state = w->left == 0 ? WS_END_CR : WS_CHUNK_DATA;
		return WIRE_MORE;
	case WS_CHUNK_CR:
		if (c != '\r')
			return WIRE_BAD(w, "Chunk data longer than its size");
		w->state = WS_CHUNK_LF;
		return WIRE_MORE;
	case WS_CHUNK_LF:
		if (c != '\n')
			return WIRE_BAD(w, "Chunk data longer than its size");
		w->state = WS_CHUNK_SIZE;
		w->digits = 0;
		return WIRE_MORE;
	case WS_END_CR:
		if (c != '\r')
			return WIRE_BAD(w, "Trailer fields are not accepted");
		w->state = WS_END_LF;
		return WIRE_MORE;
	default:	/* WS_END_LF */
		if (c != '\n')
			return WIRE_BAD(w, "Lines must end in CRLF");
		w->state = WS_IDLE;
		return WIRE_DONE;
	}
}

static enum wire_event
wire_chunk_size(struct wire *w, int c)
{
	int	 v;

	if (c == '\r') {
		if (w->digits == 0)
			return WIRE_BAD(w, "Invalid chunk size");
		w->state = WS_CHUNK_SIZE_LF;
		return WIRE_MORE;
	}
	if (c == ';')
		return WIRE_BAD(w, "Chunk extensions are not accepted");
	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	else
		return WIRE_BAD(w, "Invalid chunk size");
	if (w->digits++ == 0)
		w->left = 0;
	w->left = w->left * 16 + (uint64_t)v;
	if (w->digits > WIRE_CHUNK_DIGITS ||
	    w->body + w->left > w->lim.body_max)
		return wire_fail(w, 413, "CONTENT_TOO_LARGE",
		    "Content too large.");
	return WIRE_MORE;
}
