/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Password hashing for keyd: argon2 on a bounded pool of threads, never
 * on the event loop.  Stored hashes are PHC strings as Directus and
 * node-argon2 write them:
 *
 *	$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>
 *
 * salt and hash in standard base64 without padding.  Every parameter of
 * a stored string is held to the ceilings below when it is parsed, so a
 * planted row cannot make keyd hash with 4 GiB of memory.
 *
 * Callbacks always run on the event loop thread given to
 * hash_pool_init(), from a later loop iteration, never from inside
 * hash_verify() or hash_create().
 */
#ifndef TOKEND_HASH_H
#define TOKEND_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <argon2.h>

/* Ceilings for any stored or configured hash; m in KiB. */
#define HASH_M_MAX		262144
#define HASH_T_MAX		16
#define HASH_P_MAX		16
#define HASH_PASSWORD_MAX	1024	/* longer passwords are never hashed */
#define HASH_PHC_MAX		512	/* longest PHC string accepted */
#define HASH_THREADS_MAX	64
/*
 * The hashing threads run at this nice value (Linux: per thread), so
 * that cheap requests keep their pace while logins hash.
 */
#define HASH_NICE		10
#define HASH_SALT_MIN		8
#define HASH_SALT_MAX		64
#define HASH_OUT_MIN		16
#define HASH_OUT_MAX		128
#define HASH_SALT_NEW		16	/* what hash_create() writes */
#define HASH_OUT_NEW		32

#define HASH_M_DEFAULT		65536	/* what Directus 11 writes */
#define HASH_T_DEFAULT		3
#define HASH_P_DEFAULT		4

enum hash_result {
	HASH_MATCH,
	HASH_MISMATCH,
	HASH_INVALID,		/* bad stored hash, or password too long */
	HASH_BUSY,		/* not produced by this module; for callers */
	HASH_ERROR		/* argon2 failed, or the pool shut down */
};

struct hash_params {
	uint32_t	 m_kib;
	uint32_t	 t;
	uint32_t	 p;
};

/* A parsed PHC string; version is ARGON2_VERSION_10 or _13. */
struct hash_phc {
	argon2_type	 type;
	uint32_t	 version;
	uint32_t	 m_kib;
	uint32_t	 t;
	uint32_t	 p;
	uint8_t		 salt[HASH_SALT_MAX];
	size_t		 saltlen;
	uint8_t		 hash[HASH_OUT_MAX];
	size_t		 hashlen;
};

struct event_base;

/* phc: the new hash for hash_create(), else NULL; valid during the call. */
typedef void (*hash_cb)(enum hash_result, const char *phc, void *arg);

/*
 * hash.c.  hash_verify() and hash_create() return -1 with no callback
 * when the queue is full (or before init); otherwise exactly one
 * callback follows.  hash_verify() with a NULL or empty phc does the
 * dummy work and answers HASH_MISMATCH; an unusable phc does the dummy
 * work and answers HASH_INVALID; a password over HASH_PASSWORD_MAX is
 * not hashed and answers HASH_INVALID.  hash_create() answers
 * HASH_MATCH with the new string.  hash_pool_shutdown() runs every
 * pending callback with HASH_ERROR before it returns.  hash_dummy() is
 * NULL before init.
 */
int		 hash_phc_parse(const char *, struct hash_phc *);
int		 hash_params_valid(const struct hash_params *);
int		 hash_pool_init(struct event_base *, int, int,
		    const struct hash_params *);
void		 hash_pool_shutdown(void);
int		 hash_verify(const char *, const uint8_t *, size_t, hash_cb,
		    void *);
int		 hash_create(const uint8_t *, size_t, hash_cb, void *);
const char	*hash_dummy(void);
void		 hash_set_params(const struct hash_params *);

void		 hash_pool_gauge(int64_t *);
void		 hash_pool_defer(int (*)(void (*)(int, short, void *), int,
		    short, void *));

#endif /* TOKEND_HASH_H */
