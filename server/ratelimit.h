/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Per-address rate limits of one worker (ratelimit.c).
 */
#ifndef TOKEND_RATELIMIT_H
#define TOKEND_RATELIMIT_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

enum {
	RL_GENERAL,		/* rate-limit: every request */
	RL_AUTH,		/* auth-rate-limit: login and refresh */
	RL_NLIMITS
};

/* An IPv4 address, or the first 64 bits of an IPv6 address. */
struct rl_key {
	uint64_t	 addr;
	int		 family;
};

struct rl_window {
	int64_t		 end;		/* CLOCK_MONOTONIC milliseconds */
	uint32_t	 count;
};

struct rl_entry {
	struct rl_key	 key;
	int		 used;
	struct rl_window win[RL_NLIMITS];
};

struct ratelimit {
	struct rl_entry	*slots;		/* NULL until the first request */
	size_t		 size;		/* a power of two */
	size_t		 want;		/* rate-limit-addresses */
	uint64_t	 seed;
	uint64_t	 evicted;	/* live windows forgotten */
};

void		 ratelimit_init(struct ratelimit *, size_t);
void		 ratelimit_free(struct ratelimit *);
void		 ratelimit_resize(struct ratelimit *, size_t);
int		 ratelimit_key(const struct sockaddr *, struct rl_key *);
int64_t		 ratelimit_take(struct ratelimit *, const struct rl_key *, int,
		    int, int64_t, int64_t);

#endif /* TOKEND_RATELIMIT_H */
