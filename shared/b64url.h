/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Canonical base64url (RFC 4648 section 5) without padding, as JWS
 * requires (RFC 7515 section 2); the same in the standard alphabet for
 * PHC strings.  The decoder accepts exactly one
 * encoding per byte string: no '=', no '+' or '/', no whitespace, no
 * length of 1 modulo 4, and no stray bits in the last character.
 */
#ifndef TOKEND_B64URL_H
#define TOKEND_B64URL_H

#include <stddef.h>
#include <stdint.h>

#define B64URL_ENCLEN(n)	(((n) * 4 + 2) / 3)
#define B64URL_DECLEN(n)	(((n) * 3) / 4)

enum b64_alphabet {
	B64_URL,	/* RFC 4648 section 5: JWS */
	B64_STD,	/* RFC 4648 section 4, unpadded: PHC strings */
};

/* b64url.c */
size_t	 b64_encode(enum b64_alphabet, const uint8_t *, size_t, char *,
	    size_t);
int	 b64_decode(enum b64_alphabet, const char *, size_t, uint8_t *,
	    size_t, size_t *);
size_t	 b64url_encode(const uint8_t *, size_t, char *, size_t);
int	 b64url_decode(const char *, size_t, uint8_t *, size_t, size_t *);

#endif /* TOKEND_B64URL_H */
