/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * keyd's signer: RFC 4231 vectors through the pre-keyed HS256 context,
 * the token layout, and every tampered token the verifier must refuse
 * (security catalog T3); Ed25519 against RFC 8037 appendix A, ES256
 * against RFC 7515 appendix A.3, and a store of several keys.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "b64url.h"
#include "jwt.h"
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


/* RFC 8037 appendix A: the Ed25519 key, its JWK, thumbprint and JWS. */
#define RFC8037_D	"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
#define RFC8037_X	"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
#define RFC8037_KID	"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
#define RFC8037_INPUT	"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
#define RFC8037_SIG	"hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4k" \
	"i4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

/* RFC 7515 appendix A.3: the P-256 key and the ES256 JWS. */
#define RFC7515_X	"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define RFC7515_Y	"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define RFC7515_D	"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
#define RFC7515_INPUT	"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEz" \
	"MDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
#define RFC7515_SIG	"DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5d" \
	"jxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"

static size_t
unb64(const char *s, uint8_t *out, size_t len)
{
	size_t	 n = 0;

	if (b64url_decode(s, strlen(s), out, len, &n) == -1)
		return 0;
	return n;
}

static EVP_PKEY *
ed25519_key(const char *d64)
{
	uint8_t	 d[32];

	if (unb64(d64, d, sizeof(d)) != 32)
		return NULL;
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, 32);
}

/* A P-256 key from its JWK members; d NULL for the public key only. */
static EVP_PKEY *
p256_key(const char *x64, const char *y64, const char *d64)
{
	OSSL_PARAM_BLD	*bld;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*pkey = NULL;
	BIGNUM		*d = NULL;
	uint8_t		 pub[65], priv[32];

	pub[0] = 0x04;
	if (unb64(x64, pub + 1, 32) != 32 || unb64(y64, pub + 33, 32) != 32)
		return NULL;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		return NULL;
	(void)OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0);
	(void)OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    pub, sizeof(pub));
	if (d64 != NULL && unb64(d64, priv, sizeof(priv)) == 32 &&
	    (d = BN_bin2bn(priv, 32, NULL)) != NULL)
		(void)OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d);
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (params != NULL && ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1)
		(void)EVP_PKEY_fromdata(ctx, &pkey, d != NULL ? EVP_PKEY_KEYPAIR :
		    EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(d);
	return pkey;
}

/* The header a token of ours carries, decoded. */
static int
header_is(const char *token, const char *want)
{
	char	 h[256];
	size_t	 n;

	if (b64url_decode(token, strchr(token, '.') - token, (uint8_t *)h,
	    sizeof(h) - 1, &n) == -1)
		return 0;
	h[n] = '\0';
	return strcmp(h, want) == 0;
}

static void
test_rfc8037(void)
{
	EVP_PKEY	*pkey = ed25519_key(RFC8037_D);
	uint8_t		 sig[SIGN_SIG_MAX], want[SIGN_SIG_MAX];
	char		 jwks[SIGN_JWKS_MAX], tok[SIGN_TOKEN_MAX], kids[256];
	char		 hs[SIGN_TOKEN_MAX];
	size_t		 n, wlen = unb64(RFC8037_SIG, want, sizeof(want));
	int		 len;

	sign_free();
	CHECK("rfc8037_key", pkey != NULL && sign_add_pkey(pkey) == 0);
	CHECK("rfc8037_alg", sign_current_alg() == SIGN_EDDSA);
	CHECK("rfc8037_a3_thumbprint_kid",
	    strcmp(sign_current_kid(), RFC8037_KID) == 0);
	len = sign_jwks(jwks, sizeof(jwks));
	CHECK("rfc8037_a2_jwk", len > 0 && strcmp(jwks, "{\"keys\":[{\"kty\":"
	    "\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\",\"kid\":\""
	    RFC8037_KID "\",\"alg\":\"EdDSA\",\"use\":\"sig\"}]}") == 0);
	CHECK("rfc8037_kids", sign_kids(kids, sizeof(kids)) > 0 &&
	    strcmp(kids, RFC8037_KID " ") == 0);
	CHECK("rfc8037_a4_sign", sign_raw(RFC8037_INPUT,
	    strlen(RFC8037_INPUT), sig, &n) == 0 && n == 64 && wlen == 64 &&
	    memcmp(sig, want, 64) == 0);
	CHECK("rfc8037_a5_verify", sign_raw_verify(RFC8037_INPUT,
	    strlen(RFC8037_INPUT), want, wlen) == 0);
	want[10] ^= 1;
	CHECK("rfc8037_flipped_sig", sign_raw_verify(RFC8037_INPUT,
	    strlen(RFC8037_INPUT), want, wlen) == -1);
	want[10] ^= 1;
	CHECK("rfc8037_63_bytes", sign_raw_verify(RFC8037_INPUT,
	    strlen(RFC8037_INPUT), want, 63) == -1);
	/* The RFC's header names no kid: a token of ours must. */
	CHECK("rfc8037_header_without_kid_refused", sign_verify(RFC8037_INPUT,
	    strlen(RFC8037_INPUT), want, wlen) == -1);
	len = sign_jwt("{\"a\":1}", 7, tok, sizeof(tok));
	CHECK("eddsa_jwt_header", len > 0 && header_is(tok,
	    "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"" RFC8037_KID "\"}"));
	CHECK("eddsa_jwt_verifies", token_verifies(tok));
	CHECK("eddsa_jwt_flipped", flip_verifies(tok, strlen(tok) - 5) == 0);
	/* Key confusion: HS256 keyed with the public key, in the header. */
	CHECK("eddsa_key_confusion", sign_init((const uint8_t *)RFC8037_X,
	    strlen(RFC8037_X)) == 0 && (len = sign_jwt("{\"a\":1}", 7, hs,
	    sizeof(hs))) > 0);
	sign_free();
	CHECK("eddsa_key_again", (pkey = ed25519_key(RFC8037_D)) != NULL &&
	    sign_add_pkey(pkey) == 0);
	CHECK("eddsa_refuses_hs256_of_public_key", !token_verifies(hs));
	CHECK("eddsa_jwt_keys_view", strcmp(sign_jwt_keys()->alg, "EdDSA") ==
	    0 && sign_jwt_keys()->known &&
	    strcmp(sign_jwt_keys()->kids, RFC8037_KID " ") == 0);
}

static void
test_rfc7515_a3(void)
{
	EVP_PKEY	*pkey = p256_key(RFC7515_X, RFC7515_Y, NULL);
	uint8_t		 sig[SIGN_SIG_MAX], want[SIGN_SIG_MAX];
	char		 tok[SIGN_TOKEN_MAX], kid[64];
	size_t		 n, wlen = unb64(RFC7515_SIG, want, sizeof(want));
	int		 len;

	sign_free();
	CHECK("rfc7515_a3_key", pkey != NULL && sign_add_pkey(pkey) == 0 &&
	    sign_current_alg() == SIGN_ES256);
	CHECK("rfc7515_a3_verify", wlen == 64 && sign_raw_verify(
	    RFC7515_INPUT, strlen(RFC7515_INPUT), want, wlen) == 0);
	want[40] ^= 0x80;
	CHECK("rfc7515_a3_flipped_s", sign_raw_verify(RFC7515_INPUT,
	    strlen(RFC7515_INPUT), want, wlen) == -1);
	want[40] ^= 0x80;
	CHECK("rfc7515_a3_other_input", sign_raw_verify(RFC7515_INPUT,
	    strlen(RFC7515_INPUT) - 1, want, wlen) == -1);
	CHECK("rfc7515_a3_65_bytes", sign_raw_verify(RFC7515_INPUT,
	    strlen(RFC7515_INPUT), want, 65) == -1);
	(void)strlcpy(kid, sign_current_kid(), sizeof(kid));
	sign_free();
	pkey = p256_key(RFC7515_X, RFC7515_Y, RFC7515_D);
	CHECK("rfc7515_a3_private_key", pkey != NULL &&
	    sign_add_pkey(pkey) == 0 && strcmp(sign_current_kid(), kid) == 0);
	CHECK("es256_sign_rs_64", sign_raw(RFC7515_INPUT,
	    strlen(RFC7515_INPUT), sig, &n) == 0 && n == 64 &&
	    sign_raw_verify(RFC7515_INPUT, strlen(RFC7515_INPUT), sig, n) == 0);
	len = sign_jwt("{\"a\":1}", 7, tok, sizeof(tok));
	CHECK("es256_jwt", len > 0 && token_verifies(tok) &&
	    strlen(strrchr(tok, '.') + 1) == 86);
	CHECK("es256_jwt_flipped", flip_verifies(tok, strlen(tok) - 5) == 0);
}

/* Several keys: the current one signs, the others still verify. */
static void
test_store(void)
{
	char	 ed[SIGN_TOKEN_MAX], es[SIGN_TOKEN_MAX], jwks[SIGN_JWKS_MAX];
	char	 kids[SIGN_KIDS_MAX];

	sign_free();
	CHECK("store_ed25519", sign_add_pkey(ed25519_key(RFC8037_D)) == 0 &&
	    sign_jwt("{}", 2, ed, sizeof(ed)) > 0);
	CHECK("store_p256", sign_add_pkey(p256_key(RFC7515_X, RFC7515_Y,
	    RFC7515_D)) == 0 && sign_current_alg() == SIGN_ES256 &&
	    sign_jwt("{}", 2, es, sizeof(es)) > 0);
	CHECK("store_old_key_verifies", token_verifies(ed) &&
	    token_verifies(es));
	CHECK("store_jwks_two", sign_jwks(jwks, sizeof(jwks)) > 0 &&
	    strstr(jwks, "\"OKP\"") != NULL && strstr(jwks, "\"EC\"") != NULL);
	CHECK("store_kids_two", sign_kids(kids, sizeof(kids)) > 0 &&
	    strncmp(kids, RFC8037_KID " ", strlen(RFC8037_KID) + 1) == 0 &&
	    strchr(kids + strlen(RFC8037_KID) + 1, ' ') != NULL);
	CHECK("store_secret_kid", sign_add_secret((const uint8_t *)
	    "a secret of at least thirty-two bytes", 37) == 0 &&
	    strlen(sign_current_kid()) == 22 &&
	    sign_jwks(jwks, sizeof(jwks)) > 0 && strstr(jwks, "oct") == NULL);
	sign_free();
}

/* What rotate.c does with the store: current, times, removal. */
static void
test_rotate(void)
{
	char		 a[SIGN_TOKEN_MAX], b[SIGN_TOKEN_MAX];
	char		 ka[SIGN_KID_MAX + 1], kb[SIGN_KID_MAX + 1];
	char		 kids[SIGN_KIDS_MAX];
	struct sign_info si;
	int		 i, ok;

	sign_free();
	CHECK("rotate_first", sign_add_secret((const uint8_t *)
	    "the first secret, thirty-two bytes", 34) == 0 &&
	    sign_jwt("{}", 2, a, sizeof(a)) > 0);
	strlcpy(ka, sign_current_kid(), sizeof(ka));
	CHECK("rotate_second", sign_add_secret((const uint8_t *)
	    "the second secret, thirty-two byte", 34) == 0 &&
	    sign_jwt("{}", 2, b, sizeof(b)) > 0);
	strlcpy(kb, sign_current_kid(), sizeof(kb));
	CHECK("rotate_kids_differ", strcmp(ka, kb) != 0 &&
	    strstr(b, ".") != NULL && strncmp(a, b, strchr(a, '.') - a) != 0);
	CHECK("rotate_both_verify", token_verifies(a) && token_verifies(b));
	CHECK("rotate_set_current", sign_set_current(ka) == 0 &&
	    strcmp(sign_current_kid(), ka) == 0 &&
	    sign_set_current("no such kid") == -1 &&
	    strcmp(sign_current_kid(), ka) == 0);
	CHECK("rotate_times", sign_set_times(kb, 100, 0) == 0 &&
	    sign_set_times(ka, 50, 200) == 0 && sign_count() == 2 &&
	    sign_info(1, &si) == 0 && strcmp(si.kid, kb) == 0 &&
	    si.created == 100 && si.until == 0 && !si.current &&
	    sign_info(0, &si) == 0 && si.current && si.until == 200 &&
	    sign_info(2, &si) == -1);
	CHECK("rotate_current_not_removed", sign_remove(ka) == -1 &&
	    sign_count() == 2);
	ok = sign_set_current(kb) == 0 && sign_remove(ka) == 0 &&
	    sign_count() == 1 && strcmp(sign_current_kid(), kb) == 0;
	CHECK("rotate_remove", ok);
	CHECK("rotate_removed_refused", !token_verifies(a) &&
	    token_verifies(b));
	CHECK("rotate_kids_one", sign_kids(kids, sizeof(kids)) > 0 &&
	    strstr(kids, ka) == NULL && strstr(kids, kb) != NULL &&
	    strstr(sign_jwt_keys()->kids, ka) == NULL);
	/* A full store refuses; its current key survives removals. */
	for (i = 0, ok = 1; i < SIGN_KEYS_MAX - 1; i++) {
		snprintf(a, sizeof(a), "secret number %d of many bytes", i);
		ok &= sign_add_secret((const uint8_t *)a, strlen(a)) == 0;
	}
	CHECK("rotate_store_full", ok && sign_count() == SIGN_KEYS_MAX &&
	    sign_add_secret((const uint8_t *)"one too many secret bytes",
	    25) == -1);
	strlcpy(ka, sign_current_kid(), sizeof(ka));
	CHECK("rotate_remove_first", sign_remove(kb) == 0 &&
	    strcmp(sign_current_kid(), ka) == 0 &&
	    sign_jwt("{}", 2, b, sizeof(b)) > 0 && token_verifies(b));
	sign_free();
}

/*
 * The verification pool's parts (keyd/verify.c): the key a token's
 * signature goes to a thread with, the check a thread makes, and the
 * verdict the loop then takes for exactly those bytes of that key set;
 * and the header keyd wrote, whose payload alone keyd reads.
 */
static void
test_pool_parts(void)
{
	EVP_PKEY	*pkey, *held;
	EVP_MD		*md = EVP_MD_fetch(NULL, "SHA256", NULL);
	enum sign_alg	 alg;
	uint64_t	 gen, gen2;
	uint8_t		 sig[SIGN_SIG_MAX], bad[SIGN_SIG_MAX];
	char		 tok[SIGN_TOKEN_MAX], other[SIGN_TOKEN_MAX];
	char		 ed[SIGN_TOKEN_MAX];
	const char	*dot;
	size_t		 n, len;

	sign_free();
	CHECK("pool_ed25519_key", (pkey = ed25519_key(RFC8037_D)) != NULL &&
	    sign_add_pkey(pkey) == 0 && sign_jwt("{\"a\":1}", 7, tok,
	    sizeof(tok)) > 0);
	dot = strrchr(tok, '.');
	len = (size_t)(dot - tok);
	CHECK("pool_sig", b64url_decode(dot + 1, strlen(dot + 1), sig,
	    sizeof(sig), &n) == 0 && n == SIGN_SIG_MAX);
	memcpy(bad, sig, sizeof(bad));
	bad[7] ^= 1;
	held = sign_pkey_for(tok, len, &alg, &gen);
	CHECK("pool_key_for", held != NULL && alg == SIGN_EDDSA);
	CHECK("pool_thread_check", held != NULL &&
	    sign_pkey_verify(held, alg, md, tok, len, sig, n) == 0 &&
	    sign_pkey_verify(held, alg, md, tok, len, bad, n) == -1 &&
	    sign_pkey_verify(held, SIGN_HS256, md, tok, len, sig, n) == -1);
	/* The store lets the key go; the thread's reference keeps it. */
	sign_free();
	CHECK("pool_key_outlives_store", held != NULL &&
	    sign_pkey_verify(held, alg, md, tok, len, sig, n) == 0);
	EVP_PKEY_free(held);
	CHECK("pool_key_again", (pkey = ed25519_key(RFC8037_D)) != NULL &&
	    sign_add_pkey(pkey) == 0 && (held = sign_pkey_for(tok, len, &alg,
	    &gen)) != NULL);
	EVP_PKEY_free(held);
	/* A forged verdict stands only for its own bytes and key set. */
	sign_verdict_set(tok, len, bad, n, gen, 0);
	CHECK("pool_verdict_forged", sign_verify(tok, len, sig, n) == 0 &&
	    sign_verify(tok, len, bad, n) == -1);
	sign_verdict_set(tok, len, sig, n, gen, 0);
	CHECK("pool_verdict_taken", sign_verify(tok, len, sig, n) == -1);
	strlcpy(other, tok, sizeof(other));
	other[len - 2] = other[len - 2] == 'A' ? 'B' : 'A';
	CHECK("pool_verdict_other_bytes", sign_verify(other, len, sig,
	    n) == -1);
	sign_verdict_set(tok, len, sig, n, gen - 1, 0);
	CHECK("pool_verdict_old_keys", sign_verify(tok, len, sig, n) == 0);
	sign_verdict_set(tok, len, sig, n, gen, 0);
	sign_verdict_clear();
	CHECK("pool_verdict_cleared", sign_verify(tok, len, sig, n) == 0 &&
	    sign_verify(tok, len, bad, n) == -1);
	CHECK("pool_header_ours", sign_header_ours(tok, len) &&
	    !sign_header_ours(other + 1, len - 1));
	strlcpy(ed, tok, sizeof(ed));
	/* HS256 stays on the loop. */
	CHECK("pool_hs256_not_sent", sign_add_secret((const uint8_t *)
	    "a secret of thirty-two bytes, too", 33) == 0 &&
	    sign_jwt("{}", 2, tok, sizeof(tok)) > 0 &&
	    sign_pkey_for(tok, strrchr(tok, '.') - tok, &alg,
	    &gen2) == NULL);
	/* An EdDSA key verifying beside an HS256 one: not the alg's. */
	CHECK("pool_header_other_alg", sign_header_ours(tok,
	    strlen(tok)) && !sign_header_ours(ed, len));
	EVP_MD_free(md);
	sign_free();
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
	test_rfc8037();
	test_rfc7515_a3();
	test_store();
	test_rotate();
	test_pool_parts();
	sign_free();
	sign_free();
	return regress_exit();
}
