/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Unit tests for shared/totp.c: the SHA-1 test vectors of RFC 6238
 * (appendix B, 8 digits, and the same as 6), base32 of RFC 4648, and
 * the window of totp_match().
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "regress.h"
#include "totp.h"

/* RFC 6238's SHA-1 key: "12345678901234567890". */
static const uint8_t	 key[] = "12345678901234567890";
#define KEYLEN		20

static const struct {
	int64_t		 t;
	uint32_t	 code8;
} vectors[] = {
	{ 59, 94287082 },
	{ 1111111109, 7081804 },
	{ 1111111111, 14050471 },
	{ 1234567890, 89005924 },
	{ 2000000000, 69279037 },
	{ 20000000000LL, 65353130 },
};

static int
match_at(const char *otp, int64_t now, int window, int64_t *step)
{
	return totp_match(key, KEYLEN, otp, now, window, step);
}

int
main(void)
{
	char		 name[64], otp[16], enc[64];
	uint8_t		 dec[64];
	size_t		 i, n;
	int64_t		 step = -7;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		snprintf(name, sizeof(name), "totp: RFC 6238 T=%lld, 8 digits",
		    (long long)vectors[i].t);
		CHECK(name, totp_code(key, KEYLEN, vectors[i].t / 30, 8) ==
		    vectors[i].code8);
		snprintf(name, sizeof(name), "totp: RFC 6238 T=%lld, 6 digits",
		    (long long)vectors[i].t);
		CHECK(name, totp_code(key, KEYLEN, vectors[i].t / 30, 6) ==
		    vectors[i].code8 % 1000000);
	}

	snprintf(otp, sizeof(otp), "%06u", 94287082 % 1000000);
	CHECK("totp: match in its step", match_at(otp, 59, 0, &step) == 0 &&
	    step == 1);
	CHECK("totp: one step later, inside a window of one",
	    match_at(otp, 89, 1, &step) == 0 && step == 1);
	CHECK("totp: one step later, outside a window of none",
	    match_at(otp, 89, 0, &step) == -1);
	CHECK("totp: two steps later, outside a window of one",
	    match_at(otp, 119, 1, &step) == -1);
	CHECK("totp: one step earlier, inside a window of one",
	    match_at(otp, 29, 1, &step) == 0 && step == 1);
	CHECK("totp: five digits refused", match_at("28708", 59, 1, &step) ==
	    -1);
	CHECK("totp: seven digits refused", match_at("2870820", 59, 1,
	    &step) == -1);
	CHECK("totp: not digits refused", match_at("28708a", 59, 1, &step) ==
	    -1 && match_at(" 87082", 59, 1, &step) == -1);
	CHECK("totp: a negative clock refused", match_at(otp, -1, 1, &step) ==
	    -1);

	CHECK("base32: RFC 4648 'foobar'", totp_base32_decode("MZXW6YTBOI",
	    dec, sizeof(dec), &n) == 0 && n == 6 && memcmp(dec, "foobar",
	    6) == 0);
	CHECK("base32: lower case and padding", totp_base32_decode(
	    "mzxw6ytb", dec, sizeof(dec), &n) == 0 && n == 5 &&
	    memcmp(dec, "fooba", 5) == 0 && totp_base32_decode("MZXW6===",
	    dec, sizeof(dec), &n) == 0 && n == 3);
	CHECK("base32: bad characters refused", totp_base32_decode("MZXW1",
	    dec, sizeof(dec), &n) == -1 && totp_base32_decode("MZ W6",
	    dec, sizeof(dec), &n) == -1 && totp_base32_decode("MZ=XW",
	    dec, sizeof(dec), &n) == -1 && totp_base32_decode("", dec,
	    sizeof(dec), &n) == -1);
	CHECK("base32: too long for the buffer refused",
	    totp_base32_decode("MZXW6YTBOI", dec, 5, &n) == -1);
	CHECK("base32: encode and back", totp_base32_encode(key, KEYLEN, enc,
	    sizeof(enc)) == 32 && strcmp(enc,
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") == 0 &&
	    totp_base32_decode(enc, dec, sizeof(dec), &n) == 0 &&
	    n == KEYLEN && memcmp(dec, key, KEYLEN) == 0);
	CHECK("base32: encode refuses a short buffer",
	    totp_base32_encode(key, KEYLEN, enc, 32) == 0);
	return regress_exit();
}
