/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/totp.c: totp_base32_decode(), totp_base32_encode() and
 * totp_match(), what a TFA request body (a secret, an otp) reaches.
 *
 * Input: the text, taken as a base32 secret and as an otp.
 *
 * Properties: a decoded secret re-encodes to the same letters (upper
 * case, without padding) and decodes back to the same bytes; a buffer
 * one byte short is refused, never overrun; totp_match() accepts only
 * exactly six digits, and then only the code of the step it says.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "totp.h"

void
fuzz_totp(const uint8_t *data, size_t size)
{
	uint8_t		 key[TOTP_KEY_MAX], back[TOTP_KEY_MAX], *exact;
	char		 enc[2 * TOTP_KEY_MAX], want[16], *s;
	size_t		 n = 0, m = 0, i;
	int64_t		 step = -1;

	s = fuzz_cstring(data, size);
	if (totp_base32_decode(s, key, sizeof(key), &n) == 0) {
		FUZZ_ASSERT(n > 0 && n <= sizeof(key));
		FUZZ_ASSERT(totp_base32_encode(key, n, enc, sizeof(enc)) > 0);
		FUZZ_ASSERT(totp_base32_decode(enc, back, sizeof(back),
		    &m) == 0 && m == n && memcmp(back, key, n) == 0);
		if ((exact = malloc(n - 1 > 0 ? n - 1 : 1)) == NULL)
			abort();
		FUZZ_ASSERT(n == 1 || totp_base32_decode(s, exact, n - 1,
		    &m) == -1);
		free(exact);
	}
	memset(key, 0x5a, 20);
	if (totp_match(key, 20, s, 1700000000, 1, &step) == 0) {
		FUZZ_ASSERT(strlen(s) == TOTP_DIGITS);
		for (i = 0; i < TOTP_DIGITS; i++)
			FUZZ_ASSERT(isdigit((unsigned char)s[i]));
		FUZZ_ASSERT(step >= 1700000000 / 30 - 1 &&
		    step <= 1700000000 / 30 + 1);
		(void)snprintf(want, sizeof(want), "%06u",
		    totp_code(key, 20, step, TOTP_DIGITS));
		FUZZ_ASSERT(strcmp(want, s) == 0);
	}
	free(s);
}

FUZZ_TARGET(fuzz_totp)
