/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Tiny harness for the C unit tests: every check prints one line,
 * "ok NAME" or "FAILED NAME (file:line)", which regress/run.sh counts.
 * main() returns regress_exit().
 */
#ifndef TOKEND_REGRESS_H
#define TOKEND_REGRESS_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

static int regress_failed;

#define CHECK(name, cond) do {						\
	if (cond)							\
		printf("ok %s\n", (name));				\
	else {								\
		printf("FAILED %s (%s:%d: %s)\n", (name), __FILE__,	\
		    __LINE__, #cond);					\
		regress_failed++;					\
	}								\
	fflush(stdout);							\
} while (0)

#define regress_exit()	(regress_failed ? 1 : 0)

static inline double
regress_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A yardstick for "linear, not quadratic": the time of reps passes of a
 * byte-serial hash over n bytes, the fastest of three tries.  A parser's
 * time is judged against it, not against a number of seconds that a
 * loaded machine or valgrind would break: both slow down alike, while a
 * quadratic parser on a megabyte is a million times off.
 */
static inline double
regress_pass(const void *buf, size_t n, size_t reps)
{
	const volatile unsigned char	*p = buf;
	volatile unsigned int		 sink;
	unsigned int			 h;
	double				 t, best = 0;
	size_t				 r, i;
	int				 try;

	for (try = 0; try < 3; try++) {
		t = regress_now();
		for (r = 0, h = 0; r < reps; r++)
			for (i = 0; i < n; i++)
				h = h * 31 + p[i];
		sink = h;
		(void)sink;
		t = regress_now() - t;
		if (try == 0 || t < best)
			best = t;
	}
	return best;
}

/* The time a parser took is within factor of the yardstick's. */
#define REGRESS_LINEAR(t, buf, n, reps, factor)			\
	((t) < (factor) * regress_pass((buf), (n), (reps)) + 0.01)

#endif /* TOKEND_REGRESS_H */
