/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Token signatures.  keyd holds a small store of keys: the current one
 * signs, every one verifies the tokens that name it.  A key is of one
 * algorithm only, and a token is checked only by the key its header
 * names and only when the header's "alg" is that key's: an HS256 token
 * is never checked with a public key taken as an HMAC secret (the
 * key-confusion attack), and a store of asymmetric keys holds no HMAC
 * key at all.
 *
 * HS256: the secret is keyed once into an HMAC-SHA256 EVP_MAC_CTX; each
 * token re-initialises that context with a NULL key, which keeps the key
 * schedule and costs a quarter of re-keying.  Its kid is derived from
 * the secret by that HMAC over a fixed text that no token can be (it has
 * no dot), so it reveals nothing of the secret.
 *
 * EdDSA (Ed25519, RFC 8037) and ES256 (ECDSA P-256 with SHA-256, RFC
 * 7518 3.4, whose signature is R||S, 32 bytes each, not DER): their kid
 * is the RFC 7638 thumbprint of the public JWK.
 *
 * A token is three base64url segments, header.payload.signature, where
 * the signature covers the first two exactly as they are written.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <jansson.h>

#include "b64url.h"
#include "jwt.h"
#include "log.h"
#include "sign.h"

/* HMAC input for the HS256 kid: no dot, so never a signing input. */
#define SIGN_KID_LABEL	"tokend HS256 key id v1"
#define SIGN_HS_KID_BYTES 16
#define SIGN_EC_COORD	32

struct sign_key {
	enum sign_alg	 alg;
	char		 kid[SIGN_KID_MAX + 1];	/* "": none (sign_init) */
	char		 header[SIGN_HEADER_MAX + 1];	/* base64url */
	size_t		 header_len;
	EVP_MAC_CTX	*mac;		/* HS256 */
	EVP_PKEY	*pkey;		/* EdDSA, ES256 */
	EVP_MD_CTX	*vctx;		/* keyed to verify, made at first */
	char		 jwk[SIGN_JWK_MAX];	/* public JWK; "" for HS256 */
	int64_t		 created;	/* unix seconds (rotate.c) */
	int64_t		 until;		/* verifying only: leaves then */
};

static struct sign_key	 sign_keys[SIGN_KEYS_MAX];
static size_t		 sign_nkeys;
static struct sign_key	*sign_current;
static EVP_MD		*sign_md;
static struct jwt_keys	 sign_view;	/* what a token's header must say */
static uint64_t		 sign_gen;	/* one more at each change of keys */
static struct {
	const char	*in;		/* NULL: no verdict */
	size_t		 len;
	const uint8_t	*sig;
	size_t		 siglen;
	uint64_t	 gen;
	int		 ok;
} sign_verdict;

static const char *const sign_alg_names[] = {
	[SIGN_NONE] = "none",
	[SIGN_HS256] = "HS256",
	[SIGN_EDDSA] = "EdDSA",
	[SIGN_ES256] = "ES256"
};

static void	 sign_sslerr(const char *);
static struct sign_key *sign_key_new(enum sign_alg);
static int	 sign_key_header(struct sign_key *);
static void	 sign_key_clear(struct sign_key *);
static int	 sign_mac(struct sign_key *, const void *, size_t, uint8_t *);
static int	 sign_key_sign(struct sign_key *, const char *, size_t,
		    uint8_t *, size_t *);
static int	 sign_key_verify(struct sign_key *, const char *, size_t,
		    const uint8_t *, size_t);
static struct sign_key *sign_key_for(const char *, size_t);
static int	 sign_ec_coords(EVP_PKEY *, uint8_t *, uint8_t *);
static int	 sign_pkey_jwk(EVP_PKEY *, enum sign_alg, const char *,
		    char *, size_t);
static enum sign_alg sign_pkey_alg(EVP_PKEY *);
static void	 sign_view_update(void);

static void
sign_sslerr(const char *what)
{
	char	 buf[256];

	ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
	log_warnx("%s: %s", what, buf);
	ERR_clear_error();
}

enum sign_alg
sign_alg_from_name(const char *name)
{
	size_t	 i;

	for (i = SIGN_HS256; i < sizeof(sign_alg_names) /
	    sizeof(sign_alg_names[0]); i++)
		if (strcmp(name, sign_alg_names[i]) == 0)
			return (enum sign_alg)i;
	return SIGN_NONE;
}

const char *
sign_alg_name(enum sign_alg alg)
{
	if ((size_t)alg >= sizeof(sign_alg_names) / sizeof(sign_alg_names[0]))
		return "none";
	return sign_alg_names[alg];
}

/* A free slot of the store, or NULL when it is full. */
static struct sign_key *
sign_key_new(enum sign_alg alg)
{
	struct sign_key	*k;

	if (sign_nkeys == SIGN_KEYS_MAX) {
		log_warnx("more than %d signing keys", SIGN_KEYS_MAX);
		return NULL;
	}
	if (sign_md == NULL &&
	    (sign_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		sign_sslerr("EVP_MD_fetch");
		return NULL;
	}
	k = &sign_keys[sign_nkeys];
	memset(k, 0, sizeof(*k));
	k->alg = alg;
	return k;
}

/* {"alg":...,"typ":"JWT"[,"kid":...]}, base64url, as every token has it. */
static int
sign_key_header(struct sign_key *k)
{
	char	 json[SIGN_HEADER_MAX];
	int	 n;

	if (k->kid[0] == '\0')
		n = snprintf(json, sizeof(json), "{\"alg\":\"%s\",\"typ\":\"JWT\"}",
		    sign_alg_name(k->alg));
	else
		n = snprintf(json, sizeof(json),
		    "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
		    sign_alg_name(k->alg), k->kid);
	if (n < 0 || (size_t)n >= sizeof(json) ||
	    B64URL_ENCLEN((size_t)n) > SIGN_HEADER_MAX)
		return -1;
	k->header_len = b64url_encode((const uint8_t *)json, (size_t)n,
	    k->header, sizeof(k->header));
	k->header[k->header_len] = '\0';
	return 0;
}

static void
sign_key_clear(struct sign_key *k)
{
	EVP_MD_CTX_free(k->vctx);
	EVP_MAC_CTX_free(k->mac);
	EVP_PKEY_free(k->pkey);
	explicit_bzero(k, sizeof(*k));
}

/* An HS256 key; kid 0: none in its header (sign_init). */
static int
sign_add_hmac(const uint8_t *key, size_t keylen, int kid)
{
	struct sign_key	*k;
	EVP_MAC		*mac;
	OSSL_PARAM	 params[2];
	uint8_t		 id[SIGN_MAC_LEN];
	char		 digest[] = "SHA256";
	size_t		 n;

	if (key == NULL || keylen == 0 || (k = sign_key_new(SIGN_HS256)) == NULL)
		return -1;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL) {
		sign_sslerr("EVP_MAC_fetch");
		return -1;
	}
	k->mac = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (k->mac == NULL || EVP_MAC_init(k->mac, key, keylen, params) != 1 ||
	    EVP_MAC_CTX_get_mac_size(k->mac) != SIGN_MAC_LEN) {
		sign_sslerr("HMAC key");
		sign_key_clear(k);
		return -1;
	}
	if (kid) {
		if (sign_mac(k, SIGN_KID_LABEL, strlen(SIGN_KID_LABEL),
		    id) == -1) {
			sign_key_clear(k);
			return -1;
		}
		n = b64url_encode(id, SIGN_HS_KID_BYTES, k->kid,
		    sizeof(k->kid));
		k->kid[n] = '\0';
		explicit_bzero(id, sizeof(id));
	}
	if (sign_key_header(k) == -1) {
		sign_key_clear(k);
		return -1;
	}
	sign_current = &sign_keys[sign_nkeys++];
	sign_view_update();
	return 0;
}

/* One HS256 key without a kid, the only one: the tests' form. */
int
sign_init(const uint8_t *key, size_t keylen)
{
	sign_free();
	return sign_add_hmac(key, keylen, 0);
}

/* The HS256 secret, with its derived kid, made current. */
int
sign_add_secret(const uint8_t *key, size_t keylen)
{
	return sign_add_hmac(key, keylen, 1);
}

static enum sign_alg
sign_pkey_alg(EVP_PKEY *pkey)
{
	char	 group[32];
	size_t	 n;

	if (EVP_PKEY_is_a(pkey, "ED25519"))
		return SIGN_EDDSA;
	if (EVP_PKEY_is_a(pkey, "EC") &&
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), &n) == 1 &&
	    (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0))
		return SIGN_ES256;
	return SIGN_NONE;
}

/* The affine coordinates of a P-256 public key, 32 bytes each. */
static int
sign_ec_coords(EVP_PKEY *pkey, uint8_t *x, uint8_t *y)
{
	BIGNUM	*bx = NULL, *by = NULL;
	int	 rv = -1;

	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &bx) == 1 &&
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &by) == 1 &&
	    BN_bn2binpad(bx, x, SIGN_EC_COORD) == SIGN_EC_COORD &&
	    BN_bn2binpad(by, y, SIGN_EC_COORD) == SIGN_EC_COORD)
		rv = 0;
	BN_free(bx);
	BN_free(by);
	return rv;
}

/*
 * The public JWK of pkey.  With kid NULL, only the members RFC 7638
 * hashes, in its order (the thumbprint's input); else the JWK that the
 * key set publishes (RFC 7517).
 */
static int
sign_pkey_jwk(EVP_PKEY *pkey, enum sign_alg alg, const char *kid, char *out,
    size_t outlen)
{
	uint8_t	 x[SIGN_EC_COORD], y[SIGN_EC_COORD];
	char	 bx[B64URL_ENCLEN(SIGN_EC_COORD) + 1];
	char	 by[B64URL_ENCLEN(SIGN_EC_COORD) + 1];
	size_t	 len = sizeof(x);
	int	 n;

	if (alg == SIGN_EDDSA) {
		if (EVP_PKEY_get_raw_public_key(pkey, x, &len) != 1 ||
		    len != sizeof(x))
			return -1;
	} else if (sign_ec_coords(pkey, x, y) == -1)
		return -1;
	bx[b64url_encode(x, sizeof(x), bx, sizeof(bx))] = '\0';
	if (alg == SIGN_EDDSA && kid == NULL)
		n = snprintf(out, outlen,
		    "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", bx);
	else if (alg == SIGN_EDDSA)
		n = snprintf(out, outlen, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
		    "\"x\":\"%s\",\"kid\":\"%s\",\"alg\":\"EdDSA\","
		    "\"use\":\"sig\"}", bx, kid);
	else {
		by[b64url_encode(y, sizeof(y), by, sizeof(by))] = '\0';
		if (kid == NULL)
			n = snprintf(out, outlen, "{\"crv\":\"P-256\","
			    "\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", bx, by);
		else
			n = snprintf(out, outlen, "{\"kty\":\"EC\","
			    "\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\","
			    "\"kid\":\"%s\",\"alg\":\"ES256\",\"use\":\"sig\"}",
			    bx, by, kid);
	}
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* The RFC 7638 thumbprint of an Ed25519 or P-256 key, base64url. */
int
sign_thumbprint(EVP_PKEY *pkey, char *out, size_t outlen)
{
	char		 json[SIGN_JWK_MAX];
	uint8_t		 hash[32];
	enum sign_alg	 alg = sign_pkey_alg(pkey);

	if (alg == SIGN_NONE || outlen < B64URL_ENCLEN(sizeof(hash)) + 1 ||
	    sign_pkey_jwk(pkey, alg, NULL, json, sizeof(json)) == -1)
		return -1;
	sign_sha256(json, strlen(json), hash);
	out[b64url_encode(hash, sizeof(hash), out, outlen)] = '\0';
	return 0;
}

/*
 * An Ed25519 or P-256 private key, which the store now owns, made
 * current.  On failure the caller still owns pkey.
 */
int
sign_add_pkey(EVP_PKEY *pkey)
{
	struct sign_key	*k;
	enum sign_alg	 alg = sign_pkey_alg(pkey);

	if (alg == SIGN_NONE) {
		log_warnx("a signing key is neither Ed25519 nor P-256");
		return -1;
	}
	if ((k = sign_key_new(alg)) == NULL)
		return -1;
	if (sign_thumbprint(pkey, k->kid, sizeof(k->kid)) == -1 ||
	    sign_pkey_jwk(pkey, alg, k->kid, k->jwk, sizeof(k->jwk)) == -1 ||
	    sign_key_header(k) == -1) {
		sign_sslerr("signing key");
		explicit_bzero(k, sizeof(*k));
		return -1;
	}
	k->pkey = pkey;
	sign_current = &sign_keys[sign_nkeys++];
	sign_view_update();
	return 0;
}

void
sign_free(void)
{
	size_t	 i;

	for (i = 0; i < sign_nkeys; i++)
		sign_key_clear(&sign_keys[i]);
	sign_nkeys = 0;
	sign_current = NULL;
	EVP_MD_free(sign_md);
	sign_md = NULL;
	sign_view_update();
}

/* The rules of jwt_parse_keys() for the current key set. */
static void
sign_view_update(void)
{
	sign_gen++;
	memset(&sign_view, 0, sizeof(sign_view));
	(void)strlcpy(sign_view.alg, sign_alg_name(sign_current_alg()),
	    sizeof(sign_view.alg));
	/* A key without kid (sign_init) takes any: the tests' Directus. */
	sign_view.known = sign_current != NULL &&
	    sign_current->kid[0] != '\0' &&
	    sign_kids(sign_view.kids, sizeof(sign_view.kids)) != -1;
}

const struct jwt_keys *
sign_jwt_keys(void)
{
	return &sign_view;
}

const char *
sign_current_kid(void)
{
	return sign_current != NULL ? sign_current->kid : "";
}

enum sign_alg
sign_current_alg(void)
{
	return sign_current != NULL ? sign_current->alg : SIGN_NONE;
}

/* HMAC-SHA256 with the pre-keyed context; out holds SIGN_MAC_LEN. */
static int
sign_mac(struct sign_key *k, const void *in, size_t len, uint8_t *out)
{
	size_t	 outlen;

	if (k->mac == NULL)
		return -1;
	if (EVP_MAC_init(k->mac, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(k->mac, in, len) != 1 ||
	    EVP_MAC_final(k->mac, out, &outlen, SIGN_MAC_LEN) != 1 ||
	    outlen != SIGN_MAC_LEN) {
		sign_sslerr("HMAC-SHA256");
		return -1;
	}
	return 0;
}

/* The signature of in by k into sig (SIGN_SIG_MAX bytes), *siglen set. */
static int
sign_key_sign(struct sign_key *k, const char *in, size_t len, uint8_t *sig,
    size_t *siglen)
{
	EVP_MD_CTX	*ctx;
	ECDSA_SIG	*es = NULL;
	uint8_t		 der[128];
	const uint8_t	*p = der;
	size_t		 n = sizeof(der);
	int		 rv = -1;

	if (k->alg == SIGN_HS256) {
		*siglen = SIGN_MAC_LEN;
		return sign_mac(k, in, len, sig);
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (k->alg == SIGN_EDDSA) {
		n = SIGN_SIG_MAX;
		if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
		    EVP_DigestSign(ctx, sig, &n, (const uint8_t *)in,
		    len) == 1 && n == SIGN_SIG_MAX)
			rv = 0;
	} else if (EVP_DigestSignInit(ctx, NULL, sign_md, NULL,
	    k->pkey) == 1 &&
	    EVP_DigestSign(ctx, der, &n, (const uint8_t *)in, len) == 1 &&
	    (es = d2i_ECDSA_SIG(NULL, &p, (long)n)) != NULL &&
	    BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, SIGN_EC_COORD) ==
	    SIGN_EC_COORD &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + SIGN_EC_COORD,
	    SIGN_EC_COORD) == SIGN_EC_COORD) {
		n = 2 * SIGN_EC_COORD;
		rv = 0;
	}
	if (rv == -1)
		sign_sslerr(sign_alg_name(k->alg));
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	*siglen = n;
	return rv;
}

/*
 * 0 when sig is k's signature of in.  An HS256 MAC is compared in
 * constant time over all 32 bytes, and the MAC computed for an input the
 * caller chose is wiped: it would be a valid signature.
 */
static int
sign_key_verify(struct sign_key *k, const char *in, size_t len,
    const uint8_t *sig, size_t siglen)
{
	uint8_t		 want[SIGN_MAC_LEN];
	int		 rv = -1;

	if (k->alg == SIGN_HS256) {
		if (siglen == SIGN_MAC_LEN && sign_mac(k, in, len, want) == 0 &&
		    CRYPTO_memcmp(want, sig, SIGN_MAC_LEN) == 0)
			rv = 0;
		explicit_bzero(want, sizeof(want));
		return rv;
	}
	if (k->vctx == NULL &&
	    (k->vctx = sign_pkey_ctx(k->pkey, k->alg, sign_md)) == NULL)
		return -1;
	return sign_ctx_verify(k->vctx, k->alg, in, len, sig, siglen);
}

/*
 * A context keyed with pkey that checks its EdDSA or ES256 signatures
 * (md: SHA-256, for ES256).  Each check works on a copy of it
 * (sign_ctx_verify()): keying a context costs more than copying one,
 * so the loop keeps one for each key and a verification thread one for
 * the key it saw last (verify.c).  NULL on failure.
 */
EVP_MD_CTX *
sign_pkey_ctx(EVP_PKEY *pkey, enum sign_alg alg, const EVP_MD *md)
{
	EVP_MD_CTX	*ctx;

	if ((alg != SIGN_EDDSA && alg != SIGN_ES256) || pkey == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (EVP_DigestVerifyInit(ctx, NULL, alg == SIGN_ES256 ? md : NULL,
	    NULL, pkey) != 1) {
		sign_sslerr("verification context");
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * 0 when sig is the signature of in by the key of tmpl (sign_pkey_ctx(),
 * of alg), which is left as it is.  It touches nothing of the key
 * store, so a verification thread may call it.  An ES256 signature is
 * R||S; it is re-encoded as DER for OpenSSL.
 */
int
sign_ctx_verify(const EVP_MD_CTX *tmpl, enum sign_alg alg, const char *in,
    size_t len, const uint8_t *sig, size_t siglen)
{
	uint8_t		 der[128], *p = der;
	const uint8_t	*check = sig;
	EVP_MD_CTX	*ctx;
	ECDSA_SIG	*es = NULL;
	BIGNUM		*r, *s;
	size_t		 clen = siglen;
	int		 n, rv = -1;

	if (tmpl == NULL || (alg != SIGN_EDDSA && alg != SIGN_ES256) ||
	    siglen != SIGN_SIG_MAX)
		return -1;
	if (alg == SIGN_ES256) {
		if ((es = ECDSA_SIG_new()) == NULL)
			return -1;
		r = BN_bin2bn(sig, SIGN_EC_COORD, NULL);
		s = BN_bin2bn(sig + SIGN_EC_COORD, SIGN_EC_COORD, NULL);
		if (r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
			BN_free(r);
			BN_free(s);
			ECDSA_SIG_free(es);
			return -1;
		}
		if ((n = i2d_ECDSA_SIG(es, NULL)) <= 0 ||
		    (size_t)n > sizeof(der) || i2d_ECDSA_SIG(es, &p) != n) {
			ECDSA_SIG_free(es);
			return -1;
		}
		ECDSA_SIG_free(es);
		check = der;
		clen = (size_t)n;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_MD_CTX_copy_ex(ctx, tmpl) == 1 &&
	    EVP_DigestVerify(ctx, check, clen, (const uint8_t *)in, len) == 1)
		rv = 0;
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return rv;
}

/* 0 when sig is pkey's EdDSA or ES256 signature of in. */
int
sign_pkey_verify(EVP_PKEY *pkey, enum sign_alg alg, const EVP_MD *md,
    const char *in, size_t len, const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX	*tmpl;
	int		 rv;

	if ((tmpl = sign_pkey_ctx(pkey, alg, md)) == NULL)
		return -1;
	rv = sign_ctx_verify(tmpl, alg, in, len, sig, siglen);
	EVP_MD_CTX_free(tmpl);
	return rv;
}

/* The current key's signature of in, whatever in's header says. */
int
sign_raw(const char *in, size_t len, uint8_t *sig, size_t *siglen)
{
	if (sign_current == NULL)
		return -1;
	return sign_key_sign(sign_current, in, len, sig, siglen);
}

int
sign_raw_verify(const char *in, size_t len, const uint8_t *sig,
    size_t siglen)
{
	if (sign_current == NULL)
		return -1;
	return sign_key_verify(sign_current, in, len, sig, siglen);
}

/*
 * The key that checks a token: the one whose header is the token's,
 * byte for byte (every token keyd wrote); else the one whose kid the
 * header names, when the header's alg is that key's; else, for a header
 * without kid (a token Directus signed with the same secret), the HS256
 * key when the alg is HS256.  NULL: no key may check it.
 */
static struct sign_key *
sign_key_for(const char *in, size_t len)
{
	const char	*dot;
	json_t		*h;
	const char	*alg, *kid;
	uint8_t		 buf[B64URL_DECLEN(SIGN_TOKEN_MAX)];
	struct sign_key	*k = NULL;
	size_t		 i, hlen, n;

	/* sign_init()'s one key, without kid, checks anything, as before. */
	if (sign_nkeys == 1 && sign_keys[0].kid[0] == '\0')
		return &sign_keys[0];
	if ((dot = memchr(in, '.', len)) == NULL)
		return NULL;
	hlen = (size_t)(dot - in);
	for (i = 0; i < sign_nkeys; i++)
		if (sign_keys[i].header_len == hlen &&
		    memcmp(sign_keys[i].header, in, hlen) == 0)
			return &sign_keys[i];
	if (b64url_decode(in, hlen, buf, sizeof(buf), &n) == -1 ||
	    (h = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL)
		return NULL;
	alg = json_string_value(json_object_get(h, "alg"));
	kid = json_string_value(json_object_get(h, "kid"));
	/* Without kid, the current secret first: it is Directus's too. */
	if (alg != NULL && kid == NULL && sign_current != NULL &&
	    sign_current->alg == SIGN_HS256 && strcmp(alg, "HS256") == 0)
		k = sign_current;
	for (i = 0; k == NULL && alg != NULL && i < sign_nkeys; i++) {
		if (strcmp(sign_alg_name(sign_keys[i].alg), alg) != 0)
			continue;
		if (kid != NULL ? strcmp(sign_keys[i].kid, kid) == 0 :
		    sign_keys[i].alg == SIGN_HS256) {
			k = &sign_keys[i];
			break;
		}
	}
	json_decref(h);
	return k;
}

/*
 * header.payload.signature from a payload JSON text, NUL-terminated in
 * out, signed by the current key.  Returns the length, or -1 when the
 * token would exceed SIGN_TOKEN_MAX or outlen.
 */
int
sign_jwt(const char *payload, size_t len, char *out, size_t outlen)
{
	uint8_t	 sig[SIGN_SIG_MAX];
	size_t	 hlen, plen, n, siglen, want;

	if (outlen > 0)
		out[0] = '\0';
	if (sign_current == NULL || len > SIGN_TOKEN_MAX)
		return -1;
	hlen = sign_current->header_len;
	plen = B64URL_ENCLEN(len);
	n = hlen + 1 + plen;
	want = B64URL_ENCLEN(sign_current->alg == SIGN_HS256 ? SIGN_MAC_LEN :
	    SIGN_SIG_MAX);
	if (n + 1 + want > SIGN_TOKEN_MAX || n + 1 + want + 1 > outlen)
		return -1;
	memcpy(out, sign_current->header, hlen);
	out[hlen] = '.';
	if (b64url_encode((const uint8_t *)payload, len, out + hlen + 1,
	    plen) != plen || sign_key_sign(sign_current, out, n, sig,
	    &siglen) == -1) {
		out[0] = '\0';
		return -1;
	}
	out[n++] = '.';
	n += b64url_encode(sig, siglen, out + n, outlen - n);
	out[n] = '\0';
	return (int)n;
}

/*
 * 0 when sig is the signature of input (header.payload as received) by
 * the key its header names, of the algorithm its header names.  The
 * verdict of keyd's verification pool for these very bytes, when there
 * is one (sign_verdict_set()) and no key left the store since, stands
 * for the check made here.
 */
int
sign_verify(const char *input, size_t len, const uint8_t *sig,
    size_t siglen)
{
	struct sign_key	*k;

	if (sig == NULL || siglen == 0 || siglen > SIGN_SIG_MAX ||
	    len > SIGN_TOKEN_MAX)
		return -1;
	if (sign_verdict.in != NULL && sign_verdict.gen == sign_gen &&
	    sign_verdict.len == len && sign_verdict.siglen == siglen &&
	    memcmp(sign_verdict.in, input, len) == 0 &&
	    memcmp(sign_verdict.sig, sig, siglen) == 0)
		return sign_verdict.ok ? 0 : -1;
	if ((k = sign_key_for(input, len)) == NULL)
		return -1;
	return sign_key_verify(k, input, len, sig, siglen);
}

/*
 * 1 when input's header is byte for byte the header of a key in the
 * store of the current algorithm (every token keyd wrote): it names
 * that algorithm, "typ" JWT and a known kid, and nothing else, so the
 * strict rules of jwt_parse_keys() hold for it without parsing it.
 */
int
sign_header_ours(const char *input, size_t len)
{
	const char	*dot;
	size_t		 i, hlen;

	if (sign_current == NULL || (dot = memchr(input, '.', len)) == NULL)
		return 0;
	hlen = (size_t)(dot - input);
	for (i = 0; i < sign_nkeys; i++)
		if (sign_keys[i].alg == sign_current->alg &&
		    sign_keys[i].header_len == hlen &&
		    memcmp(sign_keys[i].header, input, hlen) == 0)
			return 1;
	return 0;
}

/*
 * For the verification pool: the EdDSA or ES256 key that checks input,
 * with a new reference the caller frees, its algorithm in *alg and the
 * store's generation in *gen.  NULL for an HS256 key (a MAC costs less
 * than the trip to a thread) or when no key may check it.
 */
EVP_PKEY *
sign_pkey_for(const char *input, size_t len, enum sign_alg *alg,
    uint64_t *gen)
{
	struct sign_key	*k;

	if (len > SIGN_TOKEN_MAX || (k = sign_key_for(input, len)) == NULL ||
	    k->pkey == NULL || EVP_PKEY_up_ref(k->pkey) != 1)
		return NULL;
	*alg = k->alg;
	*gen = sign_gen;
	return k->pkey;
}

/*
 * The pool's verdict on sig over input, for the request about to run:
 * the bytes are not copied, they must stay until sign_verdict_clear().
 */
void
sign_verdict_set(const char *input, size_t len, const uint8_t *sig,
    size_t siglen, uint64_t gen, int ok)
{
	sign_verdict.in = input;
	sign_verdict.len = len;
	sign_verdict.sig = sig;
	sign_verdict.siglen = siglen;
	sign_verdict.gen = gen;
	sign_verdict.ok = ok;
}

void
sign_verdict_clear(void)
{
	memset(&sign_verdict, 0, sizeof(sign_verdict));
}

/* The public key set, RFC 7517: {"keys":[...]}, empty with HS256. */
int
sign_jwks(char *out, size_t outlen)
{
	size_t	 i, off;
	int	 n, first = 1;

	if ((n = snprintf(out, outlen, "{\"keys\":[")) < 0 ||
	    (size_t)n >= outlen)
		return -1;
	off = (size_t)n;
	for (i = 0; i < sign_nkeys; i++) {
		if (sign_keys[i].jwk[0] == '\0')
			continue;
		n = snprintf(out + off, outlen - off, "%s%s", first ? "" : ",",
		    sign_keys[i].jwk);
		if (n < 0 || (size_t)n >= outlen - off)
			return -1;
		off += (size_t)n;
		first = 0;
	}
	if ((n = snprintf(out + off, outlen - off, "]}")) < 0 ||
	    (size_t)n >= outlen - off)
		return -1;
	return (int)(off + (size_t)n);
}

/* The kid of every key, each followed by a space ("" for a key without). */
int
sign_kids(char *out, size_t outlen)
{
	size_t	 i, off = 0, n;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	for (i = 0; i < sign_nkeys; i++) {
		if (sign_keys[i].kid[0] == '\0')
			continue;
		n = strlen(sign_keys[i].kid);
		if (off + n + 2 > outlen)
			return -1;
		memcpy(out + off, sign_keys[i].kid, n);
		out[off + n] = ' ';
		off += n + 1;
		out[off] = '\0';
	}
	return (int)off;
}

/* The key of kid, or NULL. */
static struct sign_key *
sign_key_named(const char *kid)
{
	size_t	 i;

	for (i = 0; i < sign_nkeys; i++)
		if (sign_keys[i].kid[0] != '\0' &&
		    strcmp(sign_keys[i].kid, kid) == 0)
			return &sign_keys[i];
	return NULL;
}

/* Make the key of kid the one that signs. */
int
sign_set_current(const char *kid)
{
	struct sign_key	*k;

	if ((k = sign_key_named(kid)) == NULL)
		return -1;
	sign_current = k;
	sign_view_update();
	return 0;
}

/* The key of kid leaves the store; never the current one. */
int
sign_remove(const char *kid)
{
	struct sign_key	*k;
	char		 cur[SIGN_KID_MAX + 1];
	size_t		 i;

	if ((k = sign_key_named(kid)) == NULL || k == sign_current)
		return -1;
	(void)strlcpy(cur, sign_current_kid(), sizeof(cur));
	i = (size_t)(k - sign_keys);
	EVP_MD_CTX_free(k->vctx);
	EVP_MAC_CTX_free(k->mac);
	EVP_PKEY_free(k->pkey);
	memmove(&sign_keys[i], &sign_keys[i + 1],
	    (sign_nkeys - i - 1) * sizeof(sign_keys[0]));
	explicit_bzero(&sign_keys[--sign_nkeys], sizeof(sign_keys[0]));
	sign_current = sign_key_named(cur);
	sign_view_update();
	return 0;
}

/* The created and until times of the key of kid (until 0: current). */
int
sign_set_times(const char *kid, int64_t created, int64_t until)
{
	struct sign_key	*k;

	if ((k = sign_key_named(kid)) == NULL)
		return -1;
	k->created = created;
	k->until = until;
	return 0;
}

size_t
sign_count(void)
{
	return sign_nkeys;
}

/* What the i-th key is, for rotate.c: never its secret. */
int
sign_info(size_t i, struct sign_info *si)
{
	const struct sign_key	*k;

	if (i >= sign_nkeys)
		return -1;
	k = &sign_keys[i];
	(void)strlcpy(si->kid, k->kid, sizeof(si->kid));
	si->alg = k->alg;
	si->created = k->created;
	si->until = k->until;
	si->current = k == sign_current;
	return 0;
}

/* Static and refresh tokens are stored as their SHA-256 only. */
void
sign_sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int	 n = 0;

	if (EVP_Digest(data, len, out, &n, sign_md != NULL ? sign_md :
	    EVP_sha256(), NULL) != 1 || n != 32)
		fatalx("%s: EVP_Digest failed", __func__);
}
