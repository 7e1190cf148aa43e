/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/b64url.c: b64_decode() and b64_encode() in both alphabets.
 *
 * Input: one byte whose low bit picks the alphabet (0 base64url, 1 the
 * standard one of PHC strings), then the text to decode, which is also
 * used as bytes to encode.  Every buffer is allocated to its exact size
 * so that a write or read past it is caught.
 *
 * Properties: one encoding per byte string (whatever decodes re-encodes
 * to exactly the same text, and decodes to B64URL_DECLEN bytes); a
 * buffer one byte short is refused, never overrun; encoding then
 * decoding gives the bytes back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "fuzz.h"

static uint8_t *
fuzz_b64_alloc(size_t n)
{
	uint8_t	*p;

	if ((p = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	return p;
}

static void
fuzz_b64_decode(enum b64_alphabet which, const char *in, size_t len)
{
	uint8_t	*out;
	char	*again;
	size_t	 outlen = B64URL_DECLEN(len), n = 0, m = 0;
	int	 rv;

	out = fuzz_b64_alloc(outlen);
	rv = b64_decode(which, in, len, out, outlen, &n);
	if (which == B64_URL)
		FUZZ_ASSERT(b64url_decode(in, len, out, outlen, &m) == rv);
	if (rv == 0) {
		FUZZ_ASSERT(n == outlen);
		again = (char *)fuzz_b64_alloc(B64URL_ENCLEN(n));
		FUZZ_ASSERT(b64_encode(which, out, n, again,
		    B64URL_ENCLEN(n)) == len);
		FUZZ_ASSERT(len == 0 || memcmp(again, in, len) == 0);
		free(again);
	}
	free(out);
	if (outlen > 0) {
		out = fuzz_b64_alloc(outlen - 1);
		FUZZ_ASSERT(b64_decode(which, in, len, out, outlen - 1,
		    &n) == -1);
		free(out);
	}
}

static void
fuzz_b64_encode(enum b64_alphabet which, const uint8_t *in, size_t len)
{
	char	*text;
	uint8_t	*back;
	size_t	 textlen = B64URL_ENCLEN(len), n;

	text = (char *)fuzz_b64_alloc(textlen);
	FUZZ_ASSERT(b64_encode(which, in, len, text, textlen) == textlen);
	if (which == B64_URL)
		FUZZ_ASSERT(b64url_encode(in, len, text, textlen) == textlen);
	back = fuzz_b64_alloc(len);
	FUZZ_ASSERT(b64_decode(which, text, textlen, back, len, &n) == 0);
	FUZZ_ASSERT(n == len && (len == 0 || memcmp(back, in, len) == 0));
	free(back);
	free(text);
	if (len > 0) {
		text = (char *)fuzz_b64_alloc(textlen - 1);
		FUZZ_ASSERT(b64_encode(which, in, len, text, textlen - 1) == 0);
		free(text);
	}
}

void
fuzz_b64(const uint8_t *data, size_t size)
{
	enum b64_alphabet	 which;

	if (size == 0)
		return;
	which = data[0] & 1 ? B64_STD : B64_URL;
	fuzz_b64_decode(which, (const char *)data + 1, size - 1);
	fuzz_b64_encode(which, data + 1, size - 1);
}

FUZZ_TARGET(fuzz_b64)
