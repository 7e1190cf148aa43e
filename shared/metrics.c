/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The metrics area (metrics.h): made by the parent as an anonymous
 * shared file (memfd on Linux, an unlinked shm object elsewhere), which
 * the workers and keyd inherit at PROTO_FD_METRICS and map before their
 * sandbox closes.  It holds counts only: nothing of a user, a token or
 * a secret.
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"

static size_t
metrics_size(uint32_t nworkers)
{
	return offsetof(struct metrics_area, worker) +
	    (size_t)nworkers * sizeof(struct metrics_worker);
}

/* The parent's area for nworkers workers; *fd is what children get. */
struct metrics_area *
metrics_create(uint32_t nworkers, int *fd)
{
	struct metrics_area	*m;
	size_t			 len = metrics_size(nworkers);
#ifndef __linux__
	char			 name[] = "/tmp/tokend-metrics.XXXXXXXXXX";
#endif

	if (nworkers == 0 || nworkers > METRICS_WORKERS_MAX) {
		errno = EINVAL;
		return NULL;
	}
#ifdef __linux__
	*fd = memfd_create("tokend-metrics", MFD_CLOEXEC);
#else
	if ((*fd = shm_mkstemp(name)) != -1)
		(void)shm_unlink(name);
#endif
	if (*fd == -1)
		return NULL;
	if (ftruncate(*fd, (off_t)len) == -1 || (m = mmap(NULL, len,
	    PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0)) == MAP_FAILED) {
		close(*fd);
		*fd = -1;
		return NULL;
	}
	memset(m, 0, len);
	m->magic = METRICS_MAGIC;
	m->nworkers = nworkers;
	return m;
}

/* A child's view of the parent's area, or NULL. */
struct metrics_area *
metrics_attach(int fd)
{
	struct metrics_area	*m;
	uint32_t		 n;
	off_t			 len;

	if ((len = lseek(fd, 0, SEEK_END)) < (off_t)metrics_size(1) ||
	    pread(fd, &n, sizeof(n), offsetof(struct metrics_area,
	    nworkers)) != (ssize_t)sizeof(n) || n == 0 ||
	    n > METRICS_WORKERS_MAX || (size_t)len != metrics_size(n))
		return NULL;
	m = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED || m->magic != METRICS_MAGIC)
		return NULL;
	return m;
}

/* The slot this process counts in (a worker's), or NULL. */
struct metrics_worker	*metrics_slot;

/* One of the worker's own counts. */
void
metrics_count(enum metrics_count which)
{
	struct metrics_worker	*w = metrics_slot;

	if (w == NULL)
		return;
	switch (which) {
	case METRIC_LOGIN_OK:		w->logins_ok++; break;
	case METRIC_LOGIN_FAILED:	w->logins_failed++; break;
	case METRIC_REFRESH_OK:		w->refreshes_ok++; break;
	case METRIC_REFRESH_FAILED:	w->refreshes_failed++; break;
	case METRIC_CACHE_HIT:		w->cache_hits++; break;
	case METRIC_CACHE_MISS:		w->cache_misses++; break;
	case METRIC_CONN_OPEN:		w->connections++; break;
	case METRIC_CONN_CLOSE:		w->connections--; break;
	}
}

/* A keyd round trip of us microseconds. */
void
metrics_keyd(int64_t us)
{
	if (metrics_slot != NULL)
		metrics_observe(&metrics_slot->keyd, us);
}

/* One observation of us microseconds into h. */
void
metrics_observe(struct metrics_histogram *h, int64_t us)
{
	static const int64_t	 bounds[METRICS_BUCKETS] = METRICS_BOUNDS_US;
	size_t			 i;

	if (us < 0)
		us = 0;
	for (i = 0; i < METRICS_BUCKETS && us > bounds[i]; i++)
		;
	h->bucket[i]++;
	h->count++;
	h->sum_us += (uint64_t)us;
}
