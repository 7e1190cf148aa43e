/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The counters behind GET /server/metrics: one shared memory area that
 * the parent makes, where each worker and keyd count in slots of their
 * own (one writer a slot, no lock), and that the worker answering a
 * scrape adds up.
 */
#ifndef TOKEND_METRICS_H
#define TOKEND_METRICS_H

#include <stdint.h>

#define METRICS_ROUTES		96	/* route table rows, and one for none */
#define METRICS_METHODS		8	/* GET ... OPTIONS, and other */
#define METRICS_CLASSES		5	/* 1xx ... 5xx */
#define METRICS_BUCKETS		12	/* histogram bounds, +Inf apart */
#define METRICS_WORKERS_MAX	64	/* CONF_PREFORK_MAX */

/* Upper bounds of the histograms' buckets, in microseconds. */
#define METRICS_BOUNDS_US	{ 250, 500, 1000, 2500, 5000, 10000,	\
				  25000, 50000, 100000, 250000, 1000000, \
				  5000000 }

struct metrics_histogram {
	uint64_t	 bucket[METRICS_BUCKETS + 1];	/* last: +Inf */
	uint64_t	 count;
	uint64_t	 sum_us;
};

/* What one worker counts. */
struct metrics_worker {
	uint64_t		 requests[METRICS_ROUTES][METRICS_METHODS]
				    [METRICS_CLASSES];
	struct metrics_histogram latency;	/* request to answer */
	struct metrics_histogram keyd;		/* a keyd round trip */
	uint64_t		 logins_ok;
	uint64_t		 logins_failed;
	uint64_t		 refreshes_ok;
	uint64_t		 refreshes_failed;
	uint64_t		 cache_hits;
	uint64_t		 cache_misses;
	int64_t			 connections;	/* open now */
};

struct metrics_area {
	uint32_t		 magic;
	uint32_t		 nworkers;
	int64_t			 hash_queue;	/* keyd: waiting and running */
	uint64_t		 keyd_restarts;	/* the parent's */
	struct metrics_worker	 worker[];	/* nworkers */
};

#define METRICS_MAGIC		0x746b6d31	/* "tkm1" */

/* What a worker counts besides its requests (metrics_count()). */
enum metrics_count {
	METRIC_LOGIN_OK, METRIC_LOGIN_FAILED, METRIC_REFRESH_OK,
	METRIC_REFRESH_FAILED, METRIC_CACHE_HIT, METRIC_CACHE_MISS,
	METRIC_CONN_OPEN, METRIC_CONN_CLOSE
};

extern struct metrics_worker	*metrics_slot;

struct metrics_area *metrics_create(uint32_t, int *);
struct metrics_area *metrics_attach(int);
void		 metrics_observe(struct metrics_histogram *, int64_t);
void		 metrics_count(enum metrics_count);
void		 metrics_keyd(int64_t);

#endif /* TOKEND_METRICS_H */
