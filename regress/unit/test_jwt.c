/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/jwt.c: telling Directus JWTs from static tokens, and the
 * strict reading of ours (security catalog sections 1 and 2: T1, T2,
 * T4 to T11, E2, E3).  Tokens are built here; the MAC is a fixed fake,
 * since parsing never checks it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "b64url.h"
#include "jwt.h"
#include "regress.h"

#define UID	"\"8a4f5e2c-1b3d-4e5f-9a6b-7c8d9e0f1a2b\""
#define RID	"\"0b6e1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d\""
#define HDR	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
/* A session id: canonical base64url of 32 bytes (the last has 2 zero bits). */
#define SESSION	"A" STAIL
#define STAIL	"b0_-cdefghijklmnopqrstuvwxyz" \
		"ABCDEFGHIJKLME"
/* What Directus puts there: a refresh token, 64 of [A-Za-z0-9_-]. */
#define REFRESH	"Ab0_-cdefghijklmnopqrstuvwxyz" \
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345678"
#define P(x)	"{\"id\":" UID ",\"role\":" RID ",\"app_access\":true," \
		"\"admin_access\":false,\"iat\":1700000000," \
		"\"exp\":1700000900,\"iss\":\"directus\"" x "}"
#define GOOD	P("")

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static uint8_t	 fake_mac[JWT_MAC_LEN];
static char	 tok[JWT_TOKEN_MAX * 2];
static struct jwt jwt;

static size_t
enc(const char *s, size_t len, char *out, size_t outlen)
{
	return b64url_encode((const uint8_t *)s, len, out, outlen);
}

/* header.payload.mac, built from JSON text; returns the length. */
static size_t
mk(char *out, size_t outlen, const char *hdr, const char *payload)
{
	size_t	 n;

	n = enc(hdr, strlen(hdr), out, outlen);
	out[n++] = '.';
	n += enc(payload, strlen(payload), out + n, outlen - n);
	out[n++] = '.';
	n += b64url_encode(fake_mac, sizeof(fake_mac), out + n, outlen - n);
	out[n] = '\0';
	return n;
}

static enum jwt_kind
kind(const char *hdr, const char *payload)
{
	size_t	 n = mk(tok, sizeof(tok), hdr, payload);

	return jwt_parse(tok, n, &jwt);
}

static enum jwt_kind
kind_raw(const char *s)
{
	return jwt_parse(s, strlen(s), &jwt);
}

static int
malformed_hdr(const char *hdr)
{
	return kind(hdr, GOOD) == JWT_MALFORMED;
}

static int
malformed(const char *payload)
{
	return kind(HDR, payload) == JWT_MALFORMED;
}

static int
foreign(const char *payload)
{
	return kind(HDR, payload) == JWT_NOT_DIRECTUS;
}

/* Replace the signature segment of tok with s. */
static enum jwt_kind
with_sig(const char *s)
{
	char	*dot;

	mk(tok, sizeof(tok), HDR, GOOD);
	dot = strrchr(tok, '.');
	strlcpy(dot + 1, s, sizeof(tok) - (dot + 1 - tok));
	return kind_raw(tok);
}

/* The good token with the character at "at" changed to c. */
static enum jwt_kind
with_char(size_t at, char c)
{
	size_t	 n = mk(tok, sizeof(tok), HDR, GOOD);

	tok[at] = c;
	return jwt_parse(tok, n, &jwt);
}

/*
 * The good token with blanks before the payload's '}', so that the
 * payload segment's length is want modulo 4; dot1 and dot2 say where
 * the dots are.
 */
static size_t
mk_mod4(size_t want, size_t *dot1, size_t *dot2)
{
	char	 p[512];
	size_t	 k, n, len = strlen(GOOD) - 1;

	for (k = 0; k < 3; k++) {
		snprintf(p, sizeof(p), "%.*s%*s}", (int)len, GOOD, (int)k, "");
		n = mk(tok, sizeof(tok), HDR, p);
		*dot1 = strchr(tok, '.') - tok;
		*dot2 = strrchr(tok, '.') - tok;
		if ((*dot2 - *dot1 - 1) % 4 == want)
			return n;
	}
	abort();
}

static void
test_good(void)
{
	char	 buf[JWT_TOKEN_MAX + 16], *dot;
	size_t	 n;

	n = mk(tok, sizeof(tok), HDR, GOOD);
	dot = strrchr(tok, '.');
	CHECK("jwt_good_directus", jwt_parse(tok, n, &jwt) == JWT_DIRECTUS);
	CHECK("jwt_good_id", strcmp(jwt.id,
	    "8a4f5e2c-1b3d-4e5f-9a6b-7c8d9e0f1a2b") == 0);
	CHECK("jwt_good_role", strcmp(jwt.role,
	    "0b6e1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d") == 0 && !jwt.role_null);
	CHECK("jwt_good_flags", jwt.app_access == 1 && jwt.admin_access == 0);
	CHECK("jwt_good_times", jwt.iat == 1700000000 &&
	    jwt.exp == 1700000900 && jwt.nbf == 0);
	CHECK("jwt_good_no_session", jwt.session[0] == '\0');
	CHECK("jwt_good_signing_len", jwt.signing_len ==
	    (size_t)(dot - tok));
	CHECK("jwt_good_mac", memcmp(jwt.mac, fake_mac, sizeof(fake_mac)) == 0);

	/* Exactly len bytes are read: no NUL needed, none read past. */
	memset(buf, 'A', sizeof(buf));
	memcpy(buf, tok, n);
	CHECK("jwt_not_nul_terminated", jwt_parse(buf, n, &jwt) ==
	    JWT_DIRECTUS);
	CHECK("jwt_len_short_by_one", jwt_parse(tok, n - 1, &jwt) ==
	    JWT_MALFORMED);

	CHECK("jwt_session", kind(HDR, P(",\"session\":\"" SESSION "\"")) ==
	    JWT_DIRECTUS && strcmp(jwt.session, SESSION) == 0);
	CHECK("jwt_role_null", kind(HDR, "{\"id\":" UID ",\"role\":null,"
	    "\"app_access\":false,\"admin_access\":true,\"iat\":0,\"exp\":1,"
	    "\"iss\":\"directus\"}") == JWT_DIRECTUS && jwt.role_null &&
	    jwt.role[0] == '\0' && jwt.admin_access == 1 && jwt.iat == 0);
	CHECK("jwt_typ_optional", kind("{\"alg\":\"HS256\"}", GOOD) ==
	    JWT_DIRECTUS);
	CHECK("jwt_claims_any_order", kind(
	    "{\"typ\":\"JWT\",\"alg\":\"HS256\"}",
	    "{\"iss\":\"directus\",\"exp\":2,\"iat\":1,\"admin_access\":false,"
	    "\"app_access\":false,\"role\":null,\"id\":" UID "}") ==
	    JWT_DIRECTUS);
	CHECK("jwt_unknown_claims_allowed", kind(HDR,
	    P(",\"enforce_tfa\":true,\"aud\":[\"x\"],\"x\":{\"y\":[1,2]}")) ==
	    JWT_DIRECTUS);
	CHECK("jwt_nbf", kind(HDR, P(",\"nbf\":1700000001")) ==
	    JWT_DIRECTUS && jwt.nbf == 1700000001);
	CHECK("jwt_id_upper_case", kind(HDR, "{\"id\":"
	    "\"8A4F5E2C-1B3D-4E5F-9A6B-7C8D9E0F1A2B\",\"role\":null,"
	    "\"app_access\":false,\"admin_access\":false,\"iat\":0,\"exp\":1,"
	    "\"iss\":\"directus\"}") == JWT_DIRECTUS);
	CHECK("jwt_int_bound_2_53", malformed(P(",\"nbf\":9007199254740993")) &&
	    kind(HDR, P(",\"nbf\":9007199254740992")) == JWT_DIRECTUS &&
	    jwt.nbf == ((int64_t)1 << 53));
	CHECK("jwt_exp_before_iat_parses", kind(HDR, "{\"id\":" UID
	    ",\"role\":null,\"app_access\":false,\"admin_access\":false,"
	    "\"iat\":5,\"exp\":4,\"iss\":\"directus\"}") == JWT_DIRECTUS);
	CHECK("jwt_kid_ignored", kind("{\"alg\":\"HS256\",\"kid\":"
	    "\"../../../../dev/null\"}", GOOD) == JWT_DIRECTUS &&
	    kind("{\"alg\":\"HS256\",\"kid\":\"' UNION SELECT 'secret' --\"}",
	    GOOD) == JWT_DIRECTUS);
}

static void
test_not_directus(void)
{
	CHECK("jwt_empty", jwt_parse("", 0, &jwt) == JWT_NOT_DIRECTUS);
	CHECK("jwt_random_string", kind_raw("a5Xq9-random_static_token") ==
	    JWT_NOT_DIRECTUS);
	CHECK("jwt_foreign_iss", foreign("{\"id\":" UID ",\"role\":null,"
	    "\"app_access\":true,\"admin_access\":true,\"iat\":0,\"exp\":1,"
	    "\"iss\":\"someone-else\"}"));
	CHECK("jwt_iss_case", foreign("{\"iss\":\"Directus\"}") &&
	    foreign("{\"iss\":\"directus \"}"));
	CHECK("jwt_iss_missing", foreign("{\"id\":" UID ",\"role\":null,"
	    "\"app_access\":true,\"admin_access\":true,\"iat\":0,\"exp\":1}"));
	CHECK("jwt_iss_not_string", foreign("{\"iss\":[\"directus\"]}") &&
	    foreign("{\"iss\":null}"));
	CHECK("jwt_payload_not_json", foreign("not json") &&
	    foreign("{\"iss\":\"directus\""));
	/* A foreign token is never held to our strict rules. */
	CHECK("jwt_foreign_alg_none", kind("{\"alg\":\"none\"}",
	    "{\"iss\":\"other\"}") == JWT_NOT_DIRECTUS);
}

/* T1, T4, T5, T6, T7, typ. */
static void
test_header(void)
{
	char	 hdr[400];

	CHECK("jwt_T1_alg_none", malformed_hdr("{\"alg\":\"none\"}") &&
	    malformed_hdr("{\"alg\":\"None\"}") &&
	    malformed_hdr("{\"alg\":\"NONE\"}") &&
	    malformed_hdr("{\"alg\":\"nOnE\"}"));
	CHECK("jwt_T1_alg_empty", malformed_hdr("{\"alg\":\"\"}"));
	CHECK("jwt_T1_alg_null", malformed_hdr("{\"alg\":null}"));
	CHECK("jwt_T1_alg_missing", malformed_hdr("{\"typ\":\"JWT\"}") &&
	    malformed_hdr("{}"));
	CHECK("jwt_T1_alg_number_array", malformed_hdr("{\"alg\":256}") &&
	    malformed_hdr("{\"alg\":[\"HS256\"]}"));
	CHECK("jwt_T1_alg_near_misses", malformed_hdr("{\"alg\":\"hs256\"}") &&
	    malformed_hdr("{\"alg\":\"HS256 \"}") &&
	    malformed_hdr("{\"alg\":\"HS2560\"}"));
	CHECK("jwt_T1_alg_none_empty_sig", kind("{\"alg\":\"none\"}", GOOD) ==
	    JWT_MALFORMED && with_sig("") == JWT_MALFORMED);
	CHECK("jwt_T4_rs256_es256", malformed_hdr("{\"alg\":\"RS256\"}") &&
	    malformed_hdr("{\"alg\":\"ES256\"}"));
	CHECK("jwt_T4_hs384_hs512", malformed_hdr("{\"alg\":\"HS384\"}") &&
	    malformed_hdr("{\"alg\":\"HS512\"}"));
	CHECK("jwt_T4_eddsa_ps256", malformed_hdr("{\"alg\":\"EdDSA\"}") &&
	    malformed_hdr("{\"alg\":\"PS256\"}"));
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"%0256d\"}", 0);
	CHECK("jwt_T5_kid_256", kind(hdr, GOOD) == JWT_DIRECTUS);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"%0257d\"}", 0);
	CHECK("jwt_T5_kid_257", malformed_hdr(hdr));
	CHECK("jwt_T5_kid_not_string",
	    malformed_hdr("{\"alg\":\"HS256\",\"kid\":1}") &&
	    malformed_hdr("{\"alg\":\"HS256\",\"kid\":null}") &&
	    malformed_hdr("{\"alg\":\"HS256\",\"kid\":{\"a\":\"b\"}}"));
	CHECK("jwt_T5_kid_nul", malformed_hdr(
	    "{\"alg\":\"HS256\",\"kid\":\"a\\u0000b\"}"));
	CHECK("jwt_T6_jku", malformed_hdr("{\"alg\":\"HS256\",\"jku\":"
	    "\"http://169.254.169.254/keys\"}"));
	CHECK("jwt_T6_x5u", malformed_hdr("{\"alg\":\"HS256\",\"x5u\":"
	    "\"http://localhost/x\"}"));
	CHECK("jwt_T6_jwk", malformed_hdr("{\"alg\":\"HS256\",\"jwk\":"
	    "{\"kty\":\"oct\",\"k\":\"AAAA\"}}"));
	CHECK("jwt_T6_x5c", malformed_hdr("{\"alg\":\"HS256\",\"x5c\":"
	    "[\"MIIB\"]}") &&
	    malformed_hdr("{\"alg\":\"HS256\",\"x5c\":null}"));
	CHECK("jwt_T7_crit", malformed_hdr("{\"alg\":\"HS256\",\"crit\":"
	    "[\"exp\"]}") && malformed_hdr("{\"alg\":\"HS256\",\"crit\":"
	    "[\"foo\"]}"));
	CHECK("jwt_T7_crit_empty_or_string", malformed_hdr("{\"alg\":\"HS256\","
	    "\"crit\":[]}") && malformed_hdr("{\"alg\":\"HS256\","
	    "\"crit\":\"b64\"}"));
	CHECK("jwt_T7_b64_false", malformed_hdr("{\"alg\":\"HS256\","
	    "\"b64\":false}") && malformed_hdr("{\"alg\":\"HS256\","
	    "\"b64\":true}"));
	CHECK("jwt_typ_exact", malformed_hdr("{\"alg\":\"HS256\",\"typ\":"
	    "\"jwt\"}") && malformed_hdr("{\"alg\":\"HS256\",\"typ\":null}") &&
	    malformed_hdr("{\"alg\":\"HS256\",\"typ\":\"JWS\"}"));
	CHECK("jwt_T8_duplicate_alg", malformed_hdr("{\"alg\":\"HS256\","
	    "\"alg\":\"none\"}") && malformed_hdr("{\"alg\":\"none\","
	    "\"alg\":\"HS256\"}") && malformed_hdr("{\"alg\":\"HS256\","
	    "\"alg\":\"HS256\"}"));
	CHECK("jwt_T10_header_not_object", malformed_hdr("[]") &&
	    malformed_hdr("[\"HS256\"]") && malformed_hdr("\"x\"") &&
	    malformed_hdr("1") && malformed_hdr("") && malformed_hdr("null"));
	CHECK("jwt_T10_header_bad_utf8", malformed_hdr("{\"alg\":\"HS256\","
	    "\"x\":\"\xff\"}") && malformed_hdr("{\"alg\":\"HS256\","
	    "\"x\":\"\xc0\xaf\"}"));
	CHECK("jwt_T10_header_bom", malformed_hdr("\xef\xbb\xbf" HDR));
}

/* T2, T9. */
static void
test_encoding(void)
{
	char	 sig[64];
	size_t	 n, dot1, at;

	CHECK("jwt_T2_two_segments", kind_raw("eyJhbGciOiJIUzI1NiJ9.eyJpc3Mi"
	    "OiJkaXJlY3R1cyJ9") == JWT_NOT_DIRECTUS);
	n = mk(tok, sizeof(tok), HDR, GOOD);
	strlcat(tok, ".AAAA", sizeof(tok));
	CHECK("jwt_T2_four_segments", kind_raw(tok) == JWT_NOT_DIRECTUS);
	strlcat(tok, ".AAAA", sizeof(tok));
	CHECK("jwt_T2_five_segments", kind_raw(tok) == JWT_NOT_DIRECTUS);
	tok[n] = '\0';
	strlcat(tok, ".", sizeof(tok));
	CHECK("jwt_T2_trailing_dot", kind_raw(tok) == JWT_NOT_DIRECTUS);
	CHECK("jwt_T2_empty_signature", with_sig("") == JWT_MALFORMED);
	n = b64url_encode(fake_mac, 31, sig, sizeof(sig));
	sig[n] = '\0';
	CHECK("jwt_T2_signature_31_bytes", with_sig(sig) == JWT_MALFORMED);
	n = b64url_encode((const uint8_t *)"0123456789abcdef0123456789abcdef!",
	    33, sig, sizeof(sig));
	sig[n] = '\0';
	CHECK("jwt_T2_signature_33_bytes", with_sig(sig) == JWT_MALFORMED);

	n = b64url_encode(fake_mac, 32, sig, sizeof(sig));
	sig[n] = '\0';
	CHECK("jwt_sig_is_43_chars", n == 43 && with_sig(sig) == JWT_DIRECTUS);
	strlcat(sig, "=", sizeof(sig));
	CHECK("jwt_T9_sig_padding", with_sig(sig) == JWT_MALFORMED);
	sig[n] = '\0';
	sig[5] = '+';
	CHECK("jwt_T9_sig_plus", with_sig(sig) == JWT_MALFORMED);
	sig[5] = '/';
	CHECK("jwt_T9_sig_slash", with_sig(sig) == JWT_MALFORMED);
	sig[5] = ' ';
	CHECK("jwt_T9_sig_space", with_sig(sig) == JWT_MALFORMED);
	n = b64url_encode(fake_mac, 32, sig, sizeof(sig));
	sig[n] = '\0';
	/* 43 characters carry 258 bits: the last two must be zero. */
	sig[42] = alphabet[(strchr(alphabet, sig[42]) - alphabet) | 1];
	CHECK("jwt_T9_sig_stray_bits", with_sig(sig) == JWT_MALFORMED);
	n = b64url_encode(fake_mac, 32, sig, sizeof(sig));
	memcpy(sig + n, "AA", 3);
	CHECK("jwt_T9_sig_len_mod4_1", with_sig(sig) == JWT_MALFORMED);

	n = mk(tok, sizeof(tok), HDR, GOOD);
	dot1 = strchr(tok, '.') - tok;
	CHECK("jwt_T9_header_plus", with_char(3, '+') == JWT_MALFORMED);
	CHECK("jwt_T9_header_newline", with_char(3, '\n') == JWT_MALFORMED);
	CHECK("jwt_T9_payload_plus", with_char(dot1 + 4, '+') ==
	    JWT_NOT_DIRECTUS);
	CHECK("jwt_T9_payload_slash", with_char(dot1 + 4, '/') ==
	    JWT_NOT_DIRECTUS);
	CHECK("jwt_T9_payload_nul", with_char(dot1 + 4, '\0') ==
	    JWT_NOT_DIRECTUS);

	/* Padding, stray bits and a bad length in the payload segment. */
	n = mk_mod4(3, &dot1, &at);
	CHECK("jwt_payload_len_3_mod4", jwt_parse(tok, n, &jwt) ==
	    JWT_DIRECTUS);
	tok[at - 1] = alphabet[(strchr(alphabet, tok[at - 1]) - alphabet) | 1];
	CHECK("jwt_T9_payload_stray_bits", jwt_parse(tok, n, &jwt) ==
	    JWT_NOT_DIRECTUS);
	n = mk_mod4(3, &dot1, &at);
	memmove(tok + at + 1, tok + at, n - at + 1);
	tok[at] = '=';
	CHECK("jwt_T9_payload_padding", jwt_parse(tok, n + 1, &jwt) ==
	    JWT_NOT_DIRECTUS);
	n = mk_mod4(0, &dot1, &at);
	memmove(tok + at + 1, tok + at, n - at + 1);
	tok[at] = 'A';
	CHECK("jwt_T9_payload_len_mod4_1", jwt_parse(tok, n + 1, &jwt) ==
	    JWT_NOT_DIRECTUS);
}

/* T8, T10, E2, E3 and the claims. */
static void
test_claims(void)
{
	CHECK("jwt_T8_duplicate_exp", foreign(P(",\"exp\":9999999999")));
	CHECK("jwt_T8_duplicate_id", foreign(P(",\"id\":" UID)));
	CHECK("jwt_T8_duplicate_iss", foreign(P(",\"iss\":\"directus\"")));
	CHECK("jwt_T10_payload_not_object", foreign("[]") &&
	    foreign("[{\"iss\":\"directus\"}]") && foreign("\"x\"") &&
	    foreign("1") && foreign(""));
	CHECK("jwt_T10_payload_bad_utf8", foreign(P(",\"x\":\"\xff\"")) &&
	    foreign(P(",\"x\":\"\xc0\xaf\"")) &&
	    foreign(P(",\"x\":\"\xed\xa0\x80\"")));
	CHECK("jwt_T10_payload_surrogate", foreign(P(",\"x\":\"\\ud800\"")));
	CHECK("jwt_T10_payload_bom", foreign("\xef\xbb\xbf" GOOD));
	CHECK("jwt_T10_nul_in_id", foreign("{\"id\":"
	    "\"8a4f5e2c-1b3d-4e5f-9a6b-7c8d9e0f1a2b\\u0000evil\","
	    "\"role\":null,\"app_access\":true,\"admin_access\":true,"
	    "\"iat\":0,\"exp\":1,\"iss\":\"directus\"}") &&
	    jwt.id[0] == '\0');
	CHECK("jwt_T10_exp_1e309", foreign("{\"id\":" UID ",\"role\":null,"
	    "\"app_access\":true,\"admin_access\":true,\"iat\":0,"
	    "\"exp\":1e309,\"iss\":\"directus\"}") &&
	    foreign(P(",\"nbf\":-1e309")));
	CHECK("jwt_T10_numbers_not_json", foreign(P(",\"nbf\":0x10")) &&
	    foreign(P(",\"nbf\":0123")) && foreign(P(",\"nbf\":+1")));
	CHECK("jwt_E2_exp_missing", malformed("{\"id\":" UID ",\"role\":null,"
	    "\"app_access\":true,\"admin_access\":true,\"iat\":0,"
	    "\"iss\":\"directus\"}"));
	CHECK("jwt_iat_missing", malformed("{\"id\":" UID ",\"role\":null,"
	    "\"app_access\":true,\"admin_access\":true,\"exp\":1,"
	    "\"iss\":\"directus\"}"));
	CHECK("jwt_E3_exp_string", malformed("{\"id\":" UID ",\"role\":null,"
	    "\"app_access\":true,\"admin_access\":true,\"iat\":0,"
	    "\"exp\":\"9999999999\",\"iss\":\"directus\"}"));
	CHECK("jwt_E3_exp_float", malformed("{\"id\":" UID ",\"role\":null,"
	    "\"app_access\":true,\"admin_access\":true,\"iat\":0,"
	    "\"exp\":1.7e9,\"iss\":\"directus\"}") && malformed("{\"id\":" UID
	    ",\"role\":null,\"app_access\":true,\"admin_access\":true,"
	    "\"iat\":0,\"exp\":1700000000.0,\"iss\":\"directus\"}"));
	CHECK("jwt_E3_exp_negative", malformed("{\"id\":" UID ",\"role\":null,"
	    "\"app_access\":true,\"admin_access\":true,\"iat\":0,"
	    "\"exp\":-1,\"iss\":\"directus\"}"));
	CHECK("jwt_E3_exp_2_63", foreign("{\"id\":" UID ",\"role\":null,"
	    "\"app_access\":true,\"admin_access\":true,\"iat\":0,"
	    "\"exp\":9223372036854775808,\"iss\":\"directus\"}"));
	CHECK("jwt_E3_exp_2_63_minus_1", malformed("{\"id\":" UID ",\"role\":"
	    "null,\"app_access\":true,\"admin_access\":true,\"iat\":0,"
	    "\"exp\":9223372036854775807,\"iss\":\"directus\"}"));
	CHECK("jwt_E3_exp_null_array", malformed("{\"id\":" UID ",\"role\":"
	    "null,\"app_access\":true,\"admin_access\":true,\"iat\":0,"
	    "\"exp\":null,\"iss\":\"directus\"}") && malformed("{\"id\":" UID
	    ",\"role\":null,\"app_access\":true,\"admin_access\":true,"
	    "\"iat\":0,\"exp\":[1],\"iss\":\"directus\"}"));
	CHECK("jwt_iat_negative", malformed("{\"id\":" UID ",\"role\":null,"
	    "\"app_access\":true,\"admin_access\":true,\"iat\":-5,\"exp\":1,"
	    "\"iss\":\"directus\"}"));
	CHECK("jwt_nbf_not_integer", malformed(P(",\"nbf\":\"1\"")) &&
	    malformed(P(",\"nbf\":1.5")) && malformed(P(",\"nbf\":null")));
	CHECK("jwt_id_missing", malformed("{\"role\":null,\"app_access\":true,"
	    "\"admin_access\":true,\"iat\":0,\"exp\":1,\"iss\":\"directus\"}"));
	CHECK("jwt_id_not_uuid", malformed("{\"id\":\"admin\",\"role\":null,"
	    "\"app_access\":true,\"admin_access\":true,\"iat\":0,\"exp\":1,"
	    "\"iss\":\"directus\"}") && malformed("{\"id\":1,\"role\":null,"
	    "\"app_access\":true,\"admin_access\":true,\"iat\":0,\"exp\":1,"
	    "\"iss\":\"directus\"}"));
	CHECK("jwt_role_missing", malformed("{\"id\":" UID ",\"app_access\":"
	    "true,\"admin_access\":true,\"iat\":0,\"exp\":1,"
	    "\"iss\":\"directus\"}"));
	CHECK("jwt_role_not_uuid", malformed("{\"id\":" UID ",\"role\":\"x\","
	    "\"app_access\":true,\"admin_access\":true,\"iat\":0,\"exp\":1,"
	    "\"iss\":\"directus\"}") && malformed("{\"id\":" UID ",\"role\":"
	    "false,\"app_access\":true,\"admin_access\":true,\"iat\":0,"
	    "\"exp\":1,\"iss\":\"directus\"}"));
	CHECK("jwt_app_access_string", malformed("{\"id\":" UID ",\"role\":"
	    "null,\"app_access\":\"true\",\"admin_access\":true,\"iat\":0,"
	    "\"exp\":1,\"iss\":\"directus\"}"));
	CHECK("jwt_app_access_integer", malformed("{\"id\":" UID ",\"role\":"
	    "null,\"app_access\":1,\"admin_access\":true,\"iat\":0,"
	    "\"exp\":1,\"iss\":\"directus\"}") && malformed("{\"id\":" UID
	    ",\"role\":null,\"app_access\":null,\"admin_access\":true,"
	    "\"iat\":0,\"exp\":1,\"iss\":\"directus\"}"));
	CHECK("jwt_admin_access_missing", malformed("{\"id\":" UID ",\"role\":"
	    "null,\"app_access\":true,\"iat\":0,\"exp\":1,"
	    "\"iss\":\"directus\"}"));
	CHECK("jwt_share_claim", malformed(P(",\"share\":" RID)) &&
	    malformed(P(",\"share\":null")));
	CHECK("jwt_session_bad", malformed(P(",\"session\":\"abc\"")) &&
	    malformed(P(",\"session\":null")) &&
	    malformed(P(",\"session\":\"" SESSION "x\"")) &&
	    malformed(P(",\"session\":\"." SESSION "\"")));
	CHECK("jwt_session_bad_char", malformed(P(",\"session\":\"+" STAIL
	    "\"")) && malformed(P(",\"session\":\"=" STAIL "\"")) &&
	    kind(HDR, P(",\"session\":\"-" STAIL "\"")) == JWT_DIRECTUS);
	/* 2 bits past the 32 bytes, or a padded one: not canonical. */
	CHECK("jwt_session_not_canonical", malformed(P(",\"session\":\""
	    "Ab0_-cdefghijklmnopqrstuvwxyzABCDEFGHIJKLMF\"")) &&
	    malformed(P(",\"session\":\"" SESSION "=\"")));
	/* A session claim that carries a refresh token is refused. */
	CHECK("jwt_session_refresh_token_refused",
	    malformed(P(",\"session\":\"" REFRESH "\"")));
	CHECK("jwt_malformed_clears_out", malformed(P(",\"share\":1")) &&
	    jwt.id[0] == '\0' && jwt.signing_len == 0 && jwt.iat == 0);
}

/* T11: size bounds and hostile shapes cost no more than a normal token. */
static void
test_bounds(void)
{
	char	*big, *payload;
	size_t	 i, n, plen;
	double	 t;

	big = malloc(1 << 20);
	payload = malloc(2 << 20);
	if (big == NULL || payload == NULL)
		abort();
	n = mk(big, 1 << 20, HDR, GOOD);
	memset(big + n, 'A', 8192 - n);
	CHECK("jwt_T11_8k_token", jwt_parse(big, 8192, &jwt) ==
	    JWT_NOT_DIRECTUS);
	CHECK("jwt_T11_4097_bytes", jwt_parse(big, JWT_TOKEN_MAX + 1, &jwt) ==
	    JWT_NOT_DIRECTUS);

	memset(big, '.', 1 << 20);
	t = regress_now();
	for (i = 0; i < 1000; i++)
		(void)jwt_parse(big, 1 << 20, &jwt);
	CHECK("jwt_T11_1mb_dots_fast", jwt_parse(big, 1 << 20, &jwt) ==
	    JWT_NOT_DIRECTUS && REGRESS_LINEAR(regress_now() - t, big,
	    JWT_TOKEN_MAX, 1001, 1000));
	t = regress_now();
	for (i = 0; i < 1000; i++)
		(void)jwt_parse(big, JWT_TOKEN_MAX, &jwt);
	CHECK("jwt_T11_max_dots_fast", jwt_parse(big, JWT_TOKEN_MAX, &jwt) ==
	    JWT_NOT_DIRECTUS && REGRESS_LINEAR(regress_now() - t, big,
	    JWT_TOKEN_MAX, 1001, 1000));

	/* 100 000 claims: far over the bound, refused before decoding. */
	plen = strlcpy(payload, "{\"iss\":\"directus\"", 2 << 20);
	for (i = 0; i < 100000; i++)
		plen += snprintf(payload + plen, (2 << 20) - plen,
		    ",\"c%zu\":0", i);
	strlcat(payload, "}", 2 << 20);
	n = b64url_encode((const uint8_t *)payload, strlen(payload), big,
	    1 << 20);
	t = regress_now();
	CHECK("jwt_T11_100k_claims", jwt_parse(big, n, &jwt) ==
	    JWT_NOT_DIRECTUS && REGRESS_LINEAR(regress_now() - t, big, n, 1,
	    1000));

	/* As many claims as fit under the bound still parse. */
	plen = snprintf(payload, 2 << 20, "%s", P(""));
	plen--;
	for (i = 0; B64URL_ENCLEN(plen + 12) + 36 + 45 < JWT_TOKEN_MAX; i++)
		plen += snprintf(payload + plen, (2 << 20) - plen,
		    ",\"c%zu\":0", i);
	strlcat(payload, "}", 2 << 20);
	n = mk(big, 1 << 20, HDR, payload);
	CHECK("jwt_T11_many_claims_within_bound", n <= JWT_TOKEN_MAX &&
	    i > 200 && jwt_parse(big, n, &jwt) == JWT_DIRECTUS);

	/* Deep nesting within the bound: jansson's depth limit, no crash. */
	plen = strlcpy(payload, "{\"iss\":\"directus\",\"x\":", 2 << 20);
	for (i = 0; i < 1400; i++)
		payload[plen++] = '[';
	for (i = 0; i < 1400; i++)
		payload[plen++] = ']';
	memcpy(payload + plen, "}", 2);
	n = mk(big, 1 << 20, HDR, payload);
	CHECK("jwt_T11_deep_nesting", n <= JWT_TOKEN_MAX &&
	    jwt_parse(big, n, &jwt) != JWT_DIRECTUS);
	free(big);
	free(payload);
}

static void
test_uuid(void)
{
	CHECK("jwt_uuid_lower", jwt_uuid_valid(
	    "8a4f5e2c-1b3d-4e5f-9a6b-7c8d9e0f1a2b"));
	CHECK("jwt_uuid_upper", jwt_uuid_valid(
	    "8A4F5E2C-1B3D-4E5F-9A6B-7C8D9E0F1A2B"));
	CHECK("jwt_uuid_mixed_case", !jwt_uuid_valid(
	    "8a4f5e2c-1b3d-4e5f-9a6b-7C8D9E0F1A2B"));
	CHECK("jwt_uuid_length", !jwt_uuid_valid(
	    "8a4f5e2c-1b3d-4e5f-9a6b-7c8d9e0f1a2") && !jwt_uuid_valid(
	    "8a4f5e2c-1b3d-4e5f-9a6b-7c8d9e0f1a2bb") && !jwt_uuid_valid(""));
	CHECK("jwt_uuid_dashes", !jwt_uuid_valid(
	    "8a4f5e2c1-b3d-4e5f-9a6b-7c8d9e0f1a2b") && !jwt_uuid_valid(
	    "8a4f5e2c11b3d14e5f19a6b17c8d9e0f1a2b"));
	CHECK("jwt_uuid_not_hex", !jwt_uuid_valid(
	    "8a4f5e2g-1b3d-4e5f-9a6b-7c8d9e0f1a2b") && !jwt_uuid_valid(
	    "{a4f5e2c-1b3d-4e5f-9a6b-7c8d9e0f1a2}") && !jwt_uuid_valid(NULL));
}

/* header.payload.sig with siglen bytes of signature, parsed with keys. */
static enum jwt_kind
kind_keys(const struct jwt_keys *keys, const char *hdr, size_t siglen)
{
	uint8_t	 sig[JWT_SIG_MAX + 1];
	size_t	 n;

	memset(sig, 7, sizeof(sig));
	n = enc(hdr, strlen(hdr), tok, sizeof(tok));
	tok[n++] = '.';
	n += enc(GOOD, strlen(GOOD), tok + n, sizeof(tok) - n);
	tok[n++] = '.';
	n += b64url_encode(sig, siglen, tok + n, sizeof(tok) - n);
	tok[n] = '\0';
	return jwt_parse_keys(tok, n, keys, &jwt);
}

/* Issue 17: exactly the configured alg, a known kid, its signature size. */
static void
test_keys(void)
{
	struct jwt_keys	 ed = { .alg = "EdDSA", .known = 1,
			    .kids = "kA kB " };
	struct jwt_keys	 hs = { .alg = "HS256", .known = 1, .kids = "hK " };
	struct jwt_keys	 early = { .alg = "EdDSA" };

	CHECK("keys_eddsa_known_kid", kind_keys(&ed,
	    "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"kB\"}", 64) ==
	    JWT_DIRECTUS && jwt.mac_len == 64);
	CHECK("keys_eddsa_unknown_kid", kind_keys(&ed,
	    "{\"alg\":\"EdDSA\",\"kid\":\"kC\"}", 64) == JWT_MALFORMED);
	CHECK("keys_eddsa_kid_prefix", kind_keys(&ed,
	    "{\"alg\":\"EdDSA\",\"kid\":\"k\"}", 64) == JWT_MALFORMED &&
	    kind_keys(&ed, "{\"alg\":\"EdDSA\",\"kid\":\"kA kB\"}", 64) ==
	    JWT_MALFORMED && kind_keys(&ed, "{\"alg\":\"EdDSA\",\"kid\":\"\"}",
	    64) == JWT_MALFORMED);
	CHECK("keys_eddsa_no_kid", kind_keys(&ed, "{\"alg\":\"EdDSA\"}", 64) ==
	    JWT_MALFORMED && kind_keys(&early, "{\"alg\":\"EdDSA\"}", 64) ==
	    JWT_MALFORMED);
	CHECK("keys_eddsa_sig_32_63_65", kind_keys(&ed,
	    "{\"alg\":\"EdDSA\",\"kid\":\"kA\"}", 32) == JWT_MALFORMED &&
	    kind_keys(&ed, "{\"alg\":\"EdDSA\",\"kid\":\"kA\"}", 63) ==
	    JWT_MALFORMED && kind_keys(&ed, "{\"alg\":\"EdDSA\",\"kid\":\"kA\"}",
	    65) == JWT_MALFORMED);
	CHECK("keys_eddsa_refuses_hs256", kind_keys(&ed,
	    "{\"alg\":\"HS256\",\"kid\":\"kA\"}", 32) == JWT_MALFORMED &&
	    kind_keys(&ed, "{\"alg\":\"HS256\",\"kid\":\"kA\"}", 64) ==
	    JWT_MALFORMED);
	CHECK("keys_eddsa_refuses_none_es256", kind_keys(&ed,
	    "{\"alg\":\"none\",\"kid\":\"kA\"}", 64) == JWT_MALFORMED &&
	    kind_keys(&ed, "{\"alg\":\"ES256\",\"kid\":\"kA\"}", 64) ==
	    JWT_MALFORMED);
	CHECK("keys_eddsa_refuses_jku_jwk_x5u_x5c_crit", kind_keys(&ed,
	    "{\"alg\":\"EdDSA\",\"kid\":\"kA\",\"jku\":\"http://x/\"}", 64) ==
	    JWT_MALFORMED && kind_keys(&ed, "{\"alg\":\"EdDSA\",\"kid\":\"kA\","
	    "\"jwk\":{}}", 64) == JWT_MALFORMED && kind_keys(&ed,
	    "{\"alg\":\"EdDSA\",\"kid\":\"kA\",\"x5u\":\"http://x/\"}", 64) ==
	    JWT_MALFORMED && kind_keys(&ed, "{\"alg\":\"EdDSA\",\"kid\":\"kA\","
	    "\"x5c\":[]}", 64) == JWT_MALFORMED && kind_keys(&ed,
	    "{\"alg\":\"EdDSA\",\"kid\":\"kA\",\"crit\":[\"exp\"]}", 64) ==
	    JWT_MALFORMED);
	CHECK("keys_early_any_kid", kind_keys(&early,
	    "{\"alg\":\"EdDSA\",\"kid\":\"anything\"}", 64) == JWT_DIRECTUS);
	CHECK("keys_es256_rs", kind_keys(&(struct jwt_keys){ .alg = "ES256",
	    .known = 1, .kids = "e1 " }, "{\"alg\":\"ES256\",\"kid\":\"e1\"}",
	    64) == JWT_DIRECTUS);
	CHECK("keys_hs256_kid", kind_keys(&hs,
	    "{\"alg\":\"HS256\",\"kid\":\"hK\"}", 32) == JWT_DIRECTUS &&
	    kind_keys(&hs, "{\"alg\":\"HS256\"}", 32) == JWT_DIRECTUS &&
	    kind_keys(&hs, "{\"alg\":\"HS256\",\"kid\":\"hX\"}", 32) ==
	    JWT_MALFORMED && kind_keys(&hs, "{\"alg\":\"HS256\",\"kid\":\"hK\"}",
	    64) == JWT_MALFORMED);
	CHECK("keys_unknown_alg", kind_keys(&(struct jwt_keys){ .alg = "RS256" },
	    "{\"alg\":\"RS256\",\"kid\":\"r\"}", 64) == JWT_MALFORMED);
}

/* payload's claims read alone: as jwt_parse() reads them in a token. */
static enum jwt_kind
payload_kind(const char *payload, struct jwt *out)
{
	char	 seg[JWT_TOKEN_MAX];
	size_t	 n = enc(payload, strlen(payload), seg, sizeof(seg));

	return jwt_parse_payload(seg, n, out);
}

static int
payload_agrees(const char *payload)
{
	struct jwt	 alone;
	enum jwt_kind	 k = payload_kind(payload, &alone);

	return k == kind(HDR, payload) && (k != JWT_DIRECTUS ||
	    (strcmp(alone.id, jwt.id) == 0 &&
	    strcmp(alone.role, jwt.role) == 0 &&
	    alone.role_null == jwt.role_null &&
	    alone.app_access == jwt.app_access &&
	    alone.admin_access == jwt.admin_access &&
	    alone.iat == jwt.iat && alone.exp == jwt.exp &&
	    alone.nbf == jwt.nbf &&
	    strcmp(alone.session, jwt.session) == 0));
}

/*
 * jwt_parse_payload(): keyd's read of a token whose header it wrote,
 * the same claims with the same verdicts as the whole token's parse.
 */
static void
test_payload(void)
{
	struct jwt	 out;
	char		 seg[64];

	CHECK("jwt_payload_good", payload_agrees(GOOD) &&
	    payload_kind(GOOD, &out) == JWT_DIRECTUS);
	CHECK("jwt_payload_session", payload_agrees(P(",\"session\":\""
	    SESSION "\"")));
	CHECK("jwt_payload_role_null", payload_agrees("{\"id\":" UID
	    ",\"role\":null,\"app_access\":false,\"admin_access\":false,"
	    "\"iat\":1,\"exp\":2,\"iss\":\"directus\"}"));
	CHECK("jwt_payload_nbf", payload_agrees(P(",\"nbf\":1700000001")));
	CHECK("jwt_payload_share_refused", payload_agrees(P(",\"share\":1")) &&
	    payload_kind(P(",\"share\":1"), &out) == JWT_MALFORMED);
	CHECK("jwt_payload_bad_id", payload_agrees("{\"id\":\"x\","
	    "\"iss\":\"directus\"}"));
	CHECK("jwt_payload_foreign", payload_agrees("{\"iss\":\"other\"}") &&
	    payload_kind("{\"iss\":\"other\"}", &out) == JWT_NOT_DIRECTUS);
	CHECK("jwt_payload_duplicate", payload_agrees("{\"iss\":\"directus\","
	    "\"iss\":\"directus\"}"));
	CHECK("jwt_payload_not_object", payload_kind("[1]", &out) ==
	    JWT_NOT_DIRECTUS);
	CHECK("jwt_payload_empty", jwt_parse_payload("", 0, &out) ==
	    JWT_NOT_DIRECTUS);
	/* A whole token is no payload segment. */
	CHECK("jwt_payload_dots_refused", jwt_parse_payload(tok,
	    mk(tok, sizeof(tok), HDR, GOOD), &out) == JWT_NOT_DIRECTUS);
	/* Not canonical base64url: padding. */
	snprintf(seg, sizeof(seg), "e30=");
	CHECK("jwt_payload_padding_refused", jwt_parse_payload(seg,
	    strlen(seg), &out) == JWT_NOT_DIRECTUS);
}

int
main(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(fake_mac); i++)
		fake_mac[i] = (uint8_t)(i * 37 + 11);
	test_good();
	test_not_directus();
	test_header();
	test_encoding();
	test_claims();
	test_bounds();
	test_uuid();
	test_keys();
	test_payload();
	return regress_exit();
}
