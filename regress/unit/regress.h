/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Tiny harness for the C unit tests: every check prints one line,
 * "ok NAME" or "FAILED NAME (file:line)", which regress/run.sh counts.
 * main() returns regress_exit().
 */
#ifndef TOKEND_REGRESS_H
#define TOKEND_REGRESS_H

#include <stdio.h>

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

#endif /* TOKEND_REGRESS_H */
