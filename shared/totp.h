/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * TOTP (RFC 6238) as Directus and authenticator apps use it: HMAC-SHA1,
 * 6 digits, 30-second steps from the epoch, over a base32 secret
 * (RFC 4648).
 */
#ifndef TOKEND_TOTP_H
#define TOKEND_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_STEP_S		30
#define TOTP_DIGITS		6
#define TOTP_KEY_MAX		64	/* bytes of a decoded secret */
#define TOTP_SECRET_MAX		128	/* base32 characters of one */

/* totp.c */
int		 totp_base32_decode(const char *, uint8_t *, size_t, size_t *);
size_t		 totp_base32_encode(const uint8_t *, size_t, char *, size_t);
uint32_t	 totp_code(const uint8_t *, size_t, int64_t, int);
int		 totp_match(const uint8_t *, size_t, const char *, int64_t,
		    int, int64_t *);

#endif /* TOKEND_TOTP_H */
