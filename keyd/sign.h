/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Token signatures for keyd: a small store of signing keys, one current
 * (it signs) and the others verifying only, each with its JWS "alg",
 * its "kid" and its header; and SHA-256 for the tokens that are stored
 * hashed.  HS256 keys are HMAC-SHA256 contexts keyed once and
 * re-initialised for every token; EdDSA (Ed25519) and ES256 (P-256) keys
 * are EVP_PKEYs.  Event loop thread only: the contexts are shared;
 * sign_pkey_ctx(), sign_ctx_verify() and sign_pkey_verify() alone may
 * run on a verification thread (verify.c).
 */
#ifndef TOKEND_SIGN_H
#define TOKEND_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

struct jwt_keys;

#define SIGN_MAC_LEN	32	/* HS256 */
#define SIGN_SIG_MAX	64	/* Ed25519; ES256 as R||S (RFC 7518 3.4) */
#define SIGN_TOKEN_MAX	4096	/* bytes of a complete JWT */
#define SIGN_KEYS_MAX	8	/* the current key and the verifying ones */
#define SIGN_KID_MAX	64	/* a kid: 43 for a thumbprint, 22 for HS256 */
#define SIGN_HEADER_MAX	256	/* base64url of a header we write */
#define SIGN_JWK_MAX	512	/* one public JWK as JSON */
#define SIGN_JWKS_MAX	(SIGN_KEYS_MAX * SIGN_JWK_MAX + 16)
#define SIGN_KIDS_MAX	(SIGN_KEYS_MAX * (SIGN_KID_MAX + 1))

/* base64url of {"alg":"HS256","typ":"JWT"}: sign_init()'s key, no kid. */
#define SIGN_JWT_HEADER	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

enum sign_alg {
	SIGN_NONE = 0,
	SIGN_HS256,
	SIGN_EDDSA,
	SIGN_ES256
};

/* What rotate.c sees of a key (sign_info()). */
struct sign_info {
	char		 kid[SIGN_KID_MAX + 1];
	enum sign_alg	 alg;
	int64_t		 created;	/* unix seconds */
	int64_t		 until;		/* 0: it signs or verifies for good */
	int		 current;
};

/* sign.c */
enum sign_alg	 sign_alg_from_name(const char *);
const char	*sign_alg_name(enum sign_alg);
int	 sign_init(const uint8_t *, size_t);
int	 sign_add_secret(const uint8_t *, size_t);
int	 sign_add_pkey(EVP_PKEY *);
void	 sign_free(void);
const char *sign_current_kid(void);
enum sign_alg sign_current_alg(void);
int	 sign_raw(const char *, size_t, uint8_t *, size_t *);
int	 sign_raw_verify(const char *, size_t, const uint8_t *, size_t);
int	 sign_jwt(const char *, size_t, char *, size_t);
int	 sign_verify(const char *, size_t, const uint8_t *, size_t);
int	 sign_header_ours(const char *, size_t);
EVP_MD_CTX *sign_pkey_ctx(EVP_PKEY *, enum sign_alg, const EVP_MD *);
int	 sign_ctx_verify(const EVP_MD_CTX *, enum sign_alg, const char *,
	    size_t, const uint8_t *, size_t);
int	 sign_pkey_verify(EVP_PKEY *, enum sign_alg, const EVP_MD *,
	    const char *, size_t, const uint8_t *, size_t);
EVP_PKEY *sign_pkey_for(const char *, size_t, enum sign_alg *, uint64_t *);
void	 sign_verdict_set(const char *, size_t, const uint8_t *, size_t,
	    uint64_t, int);
void	 sign_verdict_clear(void);
int	 sign_jwks(char *, size_t);
int	 sign_kids(char *, size_t);
int	 sign_thumbprint(EVP_PKEY *, char *, size_t);
const struct jwt_keys *sign_jwt_keys(void);
void	 sign_sha256(const void *, size_t, uint8_t [32]);
int	 sign_set_current(const char *);
int	 sign_remove(const char *);
int	 sign_set_times(const char *, int64_t, int64_t);
size_t	 sign_count(void);
int	 sign_info(size_t, struct sign_info *);

#endif /* TOKEND_SIGN_H */
