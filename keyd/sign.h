/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * HS256 for keyd: one HMAC-SHA256 context keyed once with the signing
 * secret and re-initialised for every token, and SHA-256 for the tokens
 * that are stored hashed.  Event loop thread only: the context is
 * shared.
 */
#ifndef TOKEND_SIGN_H
#define TOKEND_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_MAC_LEN	32
#define SIGN_TOKEN_MAX	4096	/* bytes of a complete JWT */

/* base64url of {"alg":"HS256","typ":"JWT"}, the only header we write. */
#define SIGN_JWT_HEADER	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

/* sign.c */
int	 sign_init(const uint8_t *, size_t);
void	 sign_free(void);
int	 sign_jwt(const char *, size_t, char *, size_t);
int	 sign_verify(const char *, size_t, const uint8_t *, size_t);
void	 sign_sha256(const void *, size_t, uint8_t [32]);

#endif /* TOKEND_SIGN_H */
