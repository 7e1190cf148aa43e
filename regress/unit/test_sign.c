/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * keyd's HS256 signer: RFC 4231 vectors through the pre-keyed context,
 * the token layout, and every tampered token the verifier must refuse
 * (security catalog T3).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "b64url.h"
#include "regress.h"
#include "../../keyd/sign.h"

static const uint8_t rfc4231_tc1_mac[32] = {
	0xb0, 0x34, 0x4c, 0x61, 0xd8, 0xdb, 0x38, 0x53,
	0x5c, 0xa8, 0xaf, 0xce, 0xaf, 0x0b, 0xf1, 0x2b,
	0x88, 0x1d, 0xc2, 0x00, 0xc9, 0x83, 0x3d, 0xa7,
	0x26, 0xe9, 0x37, 0x6c, 0x2e, 0x32, 0xcf, 0xf7
};
static const uint8_t rfc4231_tc2_mac[32] = {
	0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e,
	0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
	0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83,
	0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43
};
static const uint8_t sha256_abc[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
	0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
	0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
	0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad
};

/* The example token of jwt.io, signed with "your-256-bit-secret". */
#define JWTIO_PAYLOAD \
	"{\"sub\":\"1234567890\",\"name\":\"John Doe\",\"iat\":1516239022}"
#define JWTIO_TOKEN \
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." \
	"eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2M" \
	"jM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

/* Split a token and check it the way keyd is asked to. */
static int
token_verifies(const char *token)
{
	const char	*dot;
	uint8_t		 mac[64];
	size_t		 maclen;

	if ((dot = strrchr(token, '.')) == NULL ||
	    b64url_decode(dot + 1, strlen(dot + 1), mac, sizeof(mac),
	    &maclen) == -1)
		return 0;
	return sign_verify(token, dot - token, mac, maclen) == 0;
}

/* Three canonical base64url segments. */
static int
token_canonical(const char *token)
{
	const char	*s = token, *dot;
	uint8_t		 buf[SIGN_TOKEN_MAX];
	size_t		 n;
	int		 segments = 0;

	for (;;) {
		dot = strchr(s, '.');
		n = dot != NULL ? (size_t)(dot - s) : strlen(s);
		if (n == 0 || b64url_decode(s, n, buf, sizeof(buf), &n) == -1)
			return 0;
		segments++;
		if (dot == NULL)
			break;
		s = dot + 1;
	}
	return segments == 3;
}

/* Flip the lowest bit of the 6 that the character at "at" encodes. */
static int
flip_verifies(const char *token, size_t at)
{
	static const char	 alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	char			 copy[SIGN_TOKEN_MAX];
	const char		*c;

	strlcpy(copy, token, sizeof(copy));
	if ((c = strchr(alphabet, copy[at])) == NULL || *c == '\0')
		return -1;
	copy[at] = alphabet[(c - alphabet) ^ 1];
	return token_verifies(copy);
}

static void
test_vectors(void)
{
	uint8_t	 key[20], digest[32], mac[33];

	memset(key, 0x0b, sizeof(key));
	CHECK("sign_init_rfc4231_tc1", sign_init(key, sizeof(key)) == 0);
	CHECK("sign_rfc4231_tc1", sign_verify("Hi There", 8,
	    rfc4231_tc1_mac, 32) == 0);
	CHECK("sign_rfc4231_tc1_twice", sign_verify("Hi There", 8,
	    rfc4231_tc1_mac, 32) == 0);
	CHECK("sign_init_rfc4231_tc2", sign_init((const uint8_t *)"Jefe",
	    4) == 0);
	CHECK("sign_rfc4231_tc2", sign_verify("what do ya want for nothing?",
	    28, rfc4231_tc2_mac, 32) == 0);
	CHECK("sign_rejects_other_key_after_reinit", sign_verify("Hi There",
	    8, rfc4231_tc1_mac, 32) == -1);
	memcpy(mac, rfc4231_tc2_mac, 32);
	mac[32] = 0;
	CHECK("sign_rejects_31_byte_mac", sign_verify(
	    "what do ya want for nothing?", 28, mac, 31) == -1);
	CHECK("sign_rejects_33_byte_mac", sign_verify(
	    "what do ya want for nothing?", 28, mac, 33) == -1);
	CHECK("sign_rejects_empty_mac", sign_verify(
	    "what do ya want for nothing?", 28, mac, 0) == -1);
	mac[31] ^= 0x01;
	CHECK("sign_rejects_last_bit_of_mac", sign_verify(
	    "what do ya want for nothing?", 28, mac, 32) == -1);
	sign_sha256("abc", 3, digest);
	CHECK("sign_sha256_abc", memcmp(digest, sha256_abc, 32) == 0);
	CHECK("sign_init_rejects_empty_key", sign_init(key, 0) == -1);
	CHECK("sign_verify_without_key", sign_verify("Hi There", 8,
	    rfc4231_tc1_mac, 32) == -1);
}

static void
test_jwt(void)
{
	const char	*secret = "your-256-bit-secret";
	char		 tok[SIGN_TOKEN_MAX + 1], small[100];
	char		 big[SIGN_TOKEN_MAX];
	size_t		 hlen = strlen(SIGN_JWT_HEADER);
	int		 n;

	CHECK("sign_init_jwtio", sign_init((const uint8_t *)secret,
	    strlen(secret)) == 0);
	n = sign_jwt(JWTIO_PAYLOAD, strlen(JWTIO_PAYLOAD), tok, sizeof(tok));
	CHECK("sign_jwt_jwtio_vector", n > 0 && (size_t)n == strlen(tok) &&
	    strcmp(tok, JWTIO_TOKEN) == 0);
	CHECK("sign_jwt_header_segment", strncmp(tok, SIGN_JWT_HEADER,
	    hlen) == 0 && tok[hlen] == '.' && strcmp(SIGN_JWT_HEADER,
	    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9") == 0);
	CHECK("sign_jwt_three_canonical_segments", token_canonical(tok));
	CHECK("sign_verify_own_token", token_verifies(tok));
	CHECK("sign_rejects_flipped_header", flip_verifies(tok, 3) == 0);
	CHECK("sign_rejects_flipped_payload", flip_verifies(tok,
	    hlen + 5) == 0);
	CHECK("sign_rejects_flipped_signature", flip_verifies(tok,
	    strlen(tok) - 5) == 0);
	CHECK("sign_rejects_truncated_input", sign_verify(tok, hlen,
	    (const uint8_t *)"0123456789abcdef0123456789abcdef", 32) == -1);
	CHECK("sign_jwt_buffer_too_small", sign_jwt(JWTIO_PAYLOAD,
	    strlen(JWTIO_PAYLOAD), small, sizeof(small)) == -1 &&
	    small[0] == '\0');
	CHECK("sign_jwt_buffer_one_short", sign_jwt(JWTIO_PAYLOAD,
	    strlen(JWTIO_PAYLOAD), tok, strlen(JWTIO_TOKEN)) == -1);
	CHECK("sign_jwt_buffer_exact", sign_jwt(JWTIO_PAYLOAD,
	    strlen(JWTIO_PAYLOAD), tok, strlen(JWTIO_TOKEN) + 1) ==
	    (int)strlen(JWTIO_TOKEN));
	memset(big, 'x', sizeof(big));
	/* 3000 bytes make a token of 4081, 3040 one of 4135. */
	CHECK("sign_jwt_under_token_max", sign_jwt(big, 3000, tok,
	    sizeof(tok)) == 4081 && token_verifies(tok));
	CHECK("sign_jwt_over_token_max", sign_jwt(big, 3040, tok,
	    sizeof(tok)) == -1);
	n = sign_jwt("{}", 2, tok, sizeof(tok));
	CHECK("sign_jwt_small_payload", n > 0 && token_verifies(tok));
	CHECK("sign_init_other_key", sign_init((const uint8_t *)"another "
	    "secret of 32 bytes at least....", 39) == 0);
	CHECK("sign_rejects_token_of_other_key", !token_verifies(tok));
}

static void
test_loop(void)
{
	char	 tok[SIGN_TOKEN_MAX], payload[64];
	uint8_t	 digest[32];
	int	 i, ok = 1;

	for (i = 0; i < 10000 && ok; i++) {
		snprintf(payload, sizeof(payload), "{\"id\":%d}", i);
		if (sign_jwt(payload, strlen(payload), tok,
		    sizeof(tok)) == -1 || !token_verifies(tok))
			ok = 0;
		sign_sha256(tok, strlen(tok), digest);
	}
	CHECK("sign_10000_sign_verify", ok);
}

int
main(void)
{
	test_vectors();
	test_jwt();
	test_loop();
	sign_free();
	sign_free();
	return regress_exit();
}
