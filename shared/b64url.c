/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Canonical base64 without padding, in the URL-safe alphabet (JWS) or
 * the standard one (PHC strings).  See b64url.h for what the decoder
 * refuses.
 */
#include <stddef.h>
#include <stdint.h>

#include "b64url.h"

static const char *const b64_alphabets[] = {
	[B64_URL] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
	[B64_STD] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
};

static int	 b64_value(enum b64_alphabet, unsigned char);

/* The value of a character in the alphabet, or -1. */
static int
b64_value(enum b64_alphabet which, unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (unsigned char)b64_alphabets[which][62])
		return 62;
	if (c == (unsigned char)b64_alphabets[which][63])
		return 63;
	return -1;
}

/*
 * Encode len bytes; returns the length written (no NUL is added), or 0
 * when out is too small for a non-empty input.
 */
size_t
b64_encode(enum b64_alphabet which, const uint8_t *in, size_t len,
    char *out, size_t outlen)
{
	const char	*alphabet = b64_alphabets[which];
	size_t		 i, o = 0;
	uint32_t	 v;

	if (outlen < B64URL_ENCLEN(len))
		return 0;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
	} else if (len - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
	}
	return o;
}

/*
 * Decode exactly len characters into out; -1 on any non-canonical input
 * or when out is too small.
 */
int
b64_decode(enum b64_alphabet which, const char *in, size_t len, uint8_t *out,
    size_t outlen, size_t *decoded)
{
	size_t		 i, o = 0, rest = len % 4;
	uint32_t	 v = 0;
	int		 c, n = 0;

	if (rest == 1 || outlen < B64URL_DECLEN(len))
		return -1;
	for (i = 0; i < len; i++) {
		if ((c = b64_value(which, (unsigned char)in[i])) == -1)
			return -1;
		v = v << 6 | (uint32_t)c;
		if (++n == 4) {
			out[o++] = (v >> 16) & 0xff;
			out[o++] = (v >> 8) & 0xff;
			out[o++] = v & 0xff;
			v = 0;
			n = 0;
		}
	}
	if (rest == 2) {
		if (v & 0x0f)		/* 12 bits, 8 used */
			return -1;
		out[o++] = (v >> 4) & 0xff;
	} else if (rest == 3) {
		if (v & 0x03)		/* 18 bits, 16 used */
			return -1;
		out[o++] = (v >> 10) & 0xff;
		out[o++] = (v >> 2) & 0xff;
	}
	*decoded = o;
	return 0;
}

size_t
b64url_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	return b64_encode(B64_URL, in, len, out, outlen);
}

int
b64url_decode(const char *in, size_t len, uint8_t *out, size_t outlen,
    size_t *decoded)
{
	return b64_decode(B64_URL, in, len, out, outlen, decoded);
}
