/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The push generation's page (pushgen.h): made by the parent as an
 * anonymous shared file (memfd on Linux, an unlinked shm object
 * elsewhere), with a second descriptor of it opened read-only for the
 * workers.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pushgen.h"

#define PUSHGEN_SIZE	4096	/* a page of its own */

/*
 * The parent's page: *rw is the descriptor keyd gets, *ro the one the
 * workers get.  NULL, nothing open, on failure.
 */
struct pushgen *
pushgen_create(int *rw, int *ro)
{
	struct pushgen	*p;
#ifdef __linux__
	char		 path[64];
#else
	char		 name[] = "/tmp/tokend-pushgen.XXXXXXXXXX";
#endif

	*ro = -1;
#ifdef __linux__
	if ((*rw = memfd_create("tokend-pushgen", MFD_CLOEXEC)) != -1) {
		(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", *rw);
		*ro = open(path, O_RDONLY | O_CLOEXEC);
	}
#else
	if ((*rw = shm_mkstemp(name)) != -1) {
		*ro = shm_open(name, O_RDONLY, 0);
		(void)shm_unlink(name);
	}
#endif
	if (*rw == -1 || *ro == -1 || ftruncate(*rw, PUSHGEN_SIZE) == -1 ||
	    (p = mmap(NULL, PUSHGEN_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    *rw, 0)) == MAP_FAILED) {
		if (*rw != -1)
			(void)close(*rw);
		if (*ro != -1)
			(void)close(*ro);
		*rw = *ro = -1;
		return NULL;
	}
	p->magic = PUSHGEN_MAGIC;
	p->gen = 1;
	return p;
}

/*
 * A child's mapping of the page at fd: writable for keyd, read-only
 * for a worker (whose descriptor could not give it anything else).
 * NULL when fd is not the page.
 */
struct pushgen *
pushgen_attach(int fd, int writable)
{
	struct pushgen	*p;
	struct stat	 sb;

	if (fstat(fd, &sb) == -1 || sb.st_size != PUSHGEN_SIZE)
		return NULL;
	p = mmap(NULL, PUSHGEN_SIZE, writable ? PROT_READ | PROT_WRITE :
	    PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (p->magic != PUSHGEN_MAGIC) {
		(void)munmap(p, PUSHGEN_SIZE);
		return NULL;
	}
	return p;
}

/* keyd (and the parent): what was pushed is in every socket now. */
void
pushgen_bump(struct pushgen *p)
{
	if (p != NULL)
		__atomic_add_fetch(&p->gen, 1, __ATOMIC_RELEASE);
}

/* A worker: the generation now (0 without a page: never the same). */
uint64_t
pushgen_read(const struct pushgen *p)
{
	return p == NULL ? 0 : __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE);
}
