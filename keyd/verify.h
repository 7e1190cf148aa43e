/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * keyd's verification pool: EdDSA and ES256 token signatures checked on
 * threads of keyd's own while its loop serves on (verify.c).  Callbacks
 * run on the loop's thread given to verify_pool_init(), from a later
 * iteration, never from inside verify_submit().
 */
#ifndef TOKEND_VERIFY_H
#define TOKEND_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#define VERIFY_THREADS_MAX	16
#define VERIFY_QUEUE_MAX	1024	/* jobs; past it the loop verifies */

enum verify_verdict {
	VERIFY_NONE,		/* the pool shut down: no verdict */
	VERIFY_FORGED,
	VERIFY_GOOD
};

struct event_base;

/* The verdict, and the key store's generation it holds for. */
typedef void (*verify_cb)(enum verify_verdict, uint64_t, void *);

/* verify.c */
int	 verify_pool_init(struct event_base *, int, int);
void	 verify_pool_shutdown(void);
int	 verify_submit(const char *, size_t, const uint8_t *, size_t,
	    verify_cb, void *);

#endif /* TOKEND_VERIFY_H */
