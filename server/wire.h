/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The framing of HTTP/1.1 requests, read strictly (RFC 9112), byte by
 * byte, in front of evhttp.  edge.c feeds it every byte a connection
 * receives before evhttp parses them; a request this reader refuses
 * never reaches evhttp, so that the two can never disagree on where a
 * request ends.
 *
 * What is refused, with the status:
 *	400	a request line that is not METHOD SP /target SP HTTP/1.x
 *		CRLF (the target in origin form, printable ASCII); an empty
 *		line before it; a header field name that is not a token,
 *		whitespace before the colon, obs-fold, control characters
 *		(NUL, bare CR or LF, DEL) in a value; a line not ended by
 *		CRLF; a missing or repeated Host in HTTP/1.1;
 *		Transfer-Encoding other than the single coding "chunked"
 *		(any letter case), or repeated, or in HTTP/1.0; a repeated
 *		or malformed Content-Length (digits only); Content-Length
 *		together with Transfer-Encoding; a body (Content-Length
 *		above 0, or Transfer-Encoding) on HEAD, which evhttp would
 *		read as the next request; chunk extensions, trailer fields,
 *		a chunk size that is not hex digits, chunk data not followed
 *		by CRLF.
 *	405	a method other than GET HEAD POST PUT PATCH DELETE OPTIONS
 *		SEARCH.
 *	413	a body larger than the limit, declared or counted in chunks;
 *		the limit is the small one for a target that small_body
 *		names, asked of the target's first WIRE_TARGET_KEEP bytes.
 *	414	a request line longer than its limit.
 *	417	an Expect field other than "100-continue" on an HTTP/1.1
 *		request with a body, which evhttp would answer itself.
 *	431	a head larger than its limit, or too many header fields.
 *
 * Linear in the input, no allocation, state of a fixed size.
 */
#ifndef TOKEND_WIRE_H
#define TOKEND_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_METHOD_MAX		16	/* bytes of a method token */
#define WIRE_NAME_MAX		24	/* field names compared, lower case */
#define WIRE_VALUE_MAX		64	/* bytes kept of a framing field value */
#define WIRE_CL_DIGITS		18	/* Content-Length, no overflow */
#define WIRE_CHUNK_DIGITS	15	/* hex digits of a chunk size */
#define WIRE_TARGET_KEEP	64	/* bytes of a target kept for small_body */
#define WIRE_SEARCH_LEN		7	/* "SEARCH " */

enum wire_event {
	WIRE_MORE,		/* every byte used, nothing to report */
	WIRE_BEGIN,		/* a request starts with the next byte */
	WIRE_HEAD,		/* the head is complete, a body follows */
	WIRE_DONE,		/* the request is complete */
	WIRE_ERROR		/* refused: status, code, message */
};

struct wire_limits {
	size_t		 line_max;	/* request line, CRLF included */
	size_t		 head_max;	/* request line and header fields */
	int		 fields_max;	/* header fields */
	uint64_t	 body_max;
	uint64_t	 small_body_max;
	/* Does the target, of which the first bytes are given, get
	 * small_body_max?  NULL: no target does. */
	int		(*small_body)(const char *, size_t);
};

struct wire {
	struct wire_limits lim;
	int		 state;
	size_t		 head_len;	/* bytes of the head so far */
	size_t		 line_len;	/* bytes of the request line so far */
	int		 fields;
	int		 method;
	int		 minor;		/* HTTP/1.minor */
	int		 small;		/* the target gets small_body_max */
	size_t		 tok_len;
	char		 tok[WIRE_NAME_MAX + 1];
	char		 target[WIRE_TARGET_KEEP];	/* its first bytes */
	int		 field;		/* the field being read, WF_* */
	size_t		 value_len;
	size_t		 value_end;	/* value_len without trailing OWS */
	int		 value_long;
	char		 value[WIRE_VALUE_MAX];
	int		 n_cl, n_te, n_host, n_expect;
	int		 expect_ok;	/* the first Expect is "100-continue" */
	uint64_t	 cl;
	uint64_t	 left;		/* body or chunk bytes still to come */
	uint64_t	 body;		/* chunked body so far */
	int		 digits;
	int		 status;
	const char	*code;
	const char	*message;
};

void		 wire_init(struct wire *, const struct wire_limits *);
enum wire_event	 wire_feed(struct wire *, const uint8_t *, size_t,
		    size_t *);
int		 wire_idle(const struct wire *);
int		 wire_in_body(const struct wire *);
int		 wire_search(const struct wire *);

#endif /* TOKEND_WIRE_H */
