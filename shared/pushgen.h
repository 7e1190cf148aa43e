/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * keyd's push generation: one counter in a page of shared memory that
 * keyd moves on once every worker's socket holds what it pushed (an
 * invalidation, the end of a channel), and that the workers may only
 * read.  A worker that finds it where it was at its last full read of
 * keyd's channel knows that channel holds no invalidation it must
 * apply before it answers from its cache, and skips the read
 * (server/cache.c; the reasoning is in keyd/invalidate.c).
 *
 * The parent makes the page and keeps a writable mapping (it moves the
 * counter on when keyd ends).  keyd gets a writable descriptor; every
 * worker a descriptor opened read-only, so that no mapping it makes of
 * it can ever be written (mprotect() refuses): a worker taken over
 * cannot hold the counter still for the others.
 */
#ifndef TOKEND_PUSHGEN_H
#define TOKEND_PUSHGEN_H

#include <stdint.h>

#define PUSHGEN_MAGIC	0x746b6770U	/* "tkgp" */

struct pushgen {
	uint32_t	 magic;
	uint32_t	 pad;
	uint64_t	 gen;
};

struct pushgen	*pushgen_create(int *, int *);
struct pushgen	*pushgen_attach(int, int);
void		 pushgen_bump(struct pushgen *);
uint64_t	 pushgen_read(const struct pushgen *);

#endif
