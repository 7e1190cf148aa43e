/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * keyd/hash.c: hash_phc_parse(), which keyd runs on every stored hash
 * it reads (security catalog L7: a planted row).
 *
 * Input: the string; parsed up to its first NUL, as a C string from
 * the database would be.
 *
 * Properties: an accepted string is an argon2 type and version we
 * hash, parameters within the ceilings, salt and hash lengths within
 * bounds; it has one spelling: written back in the canonical form it
 * parses to the same values, and when it carries its version ("v=")
 * that form is the very string given.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../keyd/hash.h"
#include "b64url.h"
#include "fuzz.h"

static void
fuzz_phc_valid(const struct hash_phc *phc)
{
	struct hash_params	 hp;

	FUZZ_ASSERT(phc->type == Argon2_d || phc->type == Argon2_i ||
	    phc->type == Argon2_id);
	FUZZ_ASSERT(phc->version == ARGON2_VERSION_10 ||
	    phc->version == ARGON2_VERSION_13);
	hp.m_kib = phc->m_kib;
	hp.t = phc->t;
	hp.p = phc->p;
	FUZZ_ASSERT(hash_params_valid(&hp));
	FUZZ_ASSERT(phc->m_kib <= HASH_M_MAX && phc->t <= HASH_T_MAX &&
	    phc->p <= HASH_P_MAX);
	FUZZ_ASSERT(phc->saltlen >= HASH_SALT_MIN &&
	    phc->saltlen <= HASH_SALT_MAX);
	FUZZ_ASSERT(phc->hashlen >= HASH_OUT_MIN &&
	    phc->hashlen <= HASH_OUT_MAX);
}

/* The canonical string of a parsed hash, as node-argon2 writes it. */
static void
fuzz_phc_encode(const struct hash_phc *phc, char *out, size_t len)
{
	char	 salt[B64URL_ENCLEN(HASH_SALT_MAX) + 1];
	char	 hash[B64URL_ENCLEN(HASH_OUT_MAX) + 1];
	size_t	 n;
	int	 rv;

	n = b64_encode(B64_STD, phc->salt, phc->saltlen, salt,
	    sizeof(salt) - 1);
	salt[n] = '\0';
	n = b64_encode(B64_STD, phc->hash, phc->hashlen, hash,
	    sizeof(hash) - 1);
	hash[n] = '\0';
	rv = snprintf(out, len, "$%s$v=%u$m=%u,t=%u,p=%u$%s$%s",
	    argon2_type2string(phc->type, 0),
	    phc->version == ARGON2_VERSION_13 ? 19 : 16, phc->m_kib, phc->t,
	    phc->p, salt, hash);
	FUZZ_ASSERT(rv > 0 && (size_t)rv < len);
}

void
fuzz_phc(const uint8_t *data, size_t size)
{
	struct hash_phc	 phc, again;
	char		 canon[HASH_PHC_MAX + 1];
	char		*s;
	const char	*dollar;

	s = fuzz_cstring(data, size);
	if (hash_phc_parse(s, &phc) == 0) {
		fuzz_phc_valid(&phc);
		fuzz_phc_encode(&phc, canon, sizeof(canon));
		FUZZ_ASSERT(hash_phc_parse(canon, &again) == 0);
		FUZZ_ASSERT(memcmp(&phc, &again, sizeof(phc)) == 0);
		dollar = strchr(s + 1, '$');
		if (dollar != NULL && strncmp(dollar, "$v=", 3) == 0)
			FUZZ_ASSERT(strcmp(s, canon) == 0);
	}
	free(s);
	FUZZ_ASSERT(hash_phc_parse(NULL, &phc) == -1);
}

FUZZ_TARGET(fuzz_phc)
