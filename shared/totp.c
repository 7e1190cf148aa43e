/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * TOTP codes: HOTP (RFC 4226) of the time step (RFC 6238), and the
 * base32 of their secrets (RFC 4648, section 6).
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "totp.h"

static const char	 b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/*
 * Decode base32: letters of either case, '=' padding only at the end,
 * no other character.  -1 when it is malformed or does not fit.
 */
int
totp_base32_decode(const char *s, uint8_t *out, size_t outlen, size_t *n)
{
	const char	*p;
	uint32_t	 acc = 0;
	int		 bits = 0, pad = 0;

	*n = 0;
	for (; *s != '\0'; s++) {
		if (*s == '=') {
			pad = 1;
			continue;
		}
		if (pad || (p = strchr(b32, toupper((unsigned char)*s))) ==
		    NULL || *s == '\0')
			return -1;
		acc = (acc << 5) | (uint32_t)(p - b32);
		if ((bits += 5) >= 8) {
			if (*n >= outlen)
				return -1;
			bits -= 8;
			out[(*n)++] = (uint8_t)(acc >> bits);
		}
	}
	return *n > 0 ? 0 : -1;
}

/* Encode as unpadded upper-case base32; the length, 0 when it does not fit. */
size_t
totp_base32_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	uint32_t	 acc = 0;
	size_t		 i, n = 0;
	int		 bits = 0;

	for (i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			if (n + 1 >= outlen)
				return 0;
			bits -= 5;
			out[n++] = b32[(acc >> bits) & 31];
		}
	}
	if (bits > 0) {
		if (n + 1 >= outlen)
			return 0;
		out[n++] = b32[(acc << (5 - bits)) & 31];
	}
	out[n] = '\0';
	return n;
}

/* The code of one time step, digits long (at most 9). */
uint32_t
totp_code(const uint8_t *key, size_t keylen, int64_t step, int digits)
{
	uint8_t		 msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	uint32_t	 bin, mod = 1;
	int		 i, off;

	for (i = 0; i < 8; i++)
		msg[i] = (uint8_t)((uint64_t)step >> (56 - 8 * i));
	if (HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), mac,
	    &maclen) == NULL || maclen < 20)
		return UINT32_MAX;
	off = mac[maclen - 1] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	    (uint32_t)mac[off + 2] << 8 | mac[off + 3];
	for (i = 0; i < digits; i++)
		mod *= 10;
	explicit_bzero(mac, sizeof(mac));
	return bin % mod;
}

/*
 * Does otp (TOTP_DIGITS digits) match the code of a step within window
 * steps of now (seconds since the epoch)?  0 with *step set when it
 * does, -1 when it does not or is malformed.  Every step of the window
 * is compared, in constant time, whatever matches.
 */
int
totp_match(const uint8_t *key, size_t keylen, const char *otp, int64_t now,
    int window, int64_t *step)
{
	char	 want[16];
	int64_t	 t = now / TOTP_STEP_S, s;
	int	 i, found = 0;

	for (i = 0; i < TOTP_DIGITS; i++)
		if (!isdigit((unsigned char)otp[i]))
			return -1;
	if (otp[TOTP_DIGITS] != '\0' || now < 0)
		return -1;
	for (s = t - window; s <= t + window; s++) {
		(void)snprintf(want, sizeof(want), "%0*u", TOTP_DIGITS,
		    totp_code(key, keylen, s, TOTP_DIGITS));
		if (CRYPTO_memcmp(want, otp, TOTP_DIGITS) == 0 && !found) {
			found = 1;
			*step = s;
		}
	}
	explicit_bzero(want, sizeof(want));
	return found ? 0 : -1;
}
