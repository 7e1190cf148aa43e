/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Per-address rate limits of a worker: fixed windows, as the memory
 * limiter of Directus keeps them.  A window opens with an address's
 * first request and lasts the configured duration; every request in it
 * counts, and those past the limit are refused until it ends.
 *
 * The table has a fixed size, chosen by rate-limit-addresses and
 * allocated on first use.  An address lives in one of RL_PROBE slots
 * after its seeded hash; a new address takes an empty slot there, or
 * one whose windows are over, or else the one whose windows end first,
 * so memory stays bounded whatever the number of addresses.  The hash
 * is keyed with random bits, so that nobody can choose addresses that
 * crowd one neighbourhood.  IPv6 addresses count per /64.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

#define RL_PROBE	8	/* slots an address may live in */

static uint64_t	 ratelimit_hash(const struct ratelimit *,
		    const struct rl_key *);
static struct rl_entry *ratelimit_find(struct ratelimit *,
		    const struct rl_key *, int64_t);
static int64_t	 ratelimit_end(const struct rl_entry *);

void
ratelimit_init(struct ratelimit *rl, size_t entries)
{
	memset(rl, 0, sizeof(*rl));
	rl->want = entries;
	arc4random_buf(&rl->seed, sizeof(rl->seed));
}

void
ratelimit_free(struct ratelimit *rl)
{
	free(rl->slots);
	rl->slots = NULL;
	rl->size = 0;
}

/* A new size forgets every count; the same size keeps them. */
void
ratelimit_resize(struct ratelimit *rl, size_t entries)
{
	if (entries == rl->want)
		return;
	ratelimit_free(rl);
	rl->want = entries;
}

/* IPv4, IPv4-mapped IPv6 as IPv4, other IPv6 by its first 64 bits. */
int
ratelimit_key(const struct sockaddr *sa, struct rl_key *key)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	uint32_t			 v4;

	memset(key, 0, sizeof(*key));
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)(const void *)sa;
		memcpy(&v4, &sin->sin_addr, sizeof(v4));
		key->family = AF_INET;
		key->addr = ntohl(v4);
		return 0;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(&v4, &sin6->sin6_addr.s6_addr[12], sizeof(v4));
			key->family = AF_INET;
			key->addr = ntohl(v4);
		} else {
			memcpy(&key->addr, sin6->sin6_addr.s6_addr, 8);
			key->family = AF_INET6;
		}
		return 0;
	default:
		return -1;
	}
}

/* splitmix64's finaliser over the key and the seed. */
static uint64_t
ratelimit_hash(const struct ratelimit *rl, const struct rl_key *key)
{
	uint64_t	 z;

	z = key->addr ^ rl->seed ^ ((uint64_t)key->family << 56);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int64_t
ratelimit_end(const struct rl_entry *e)
{
	int64_t	 end = 0;
	int	 i;

	for (i = 0; i < RL_NLIMITS; i++)
		if (e->win[i].end > end)
			end = e->win[i].end;
	return end;
}

/* The entry of key, made if need be; NULL only without memory. */
static struct rl_entry *
ratelimit_find(struct ratelimit *rl, const struct rl_key *key, int64_t now)
{
	struct rl_entry	*e, *victim = NULL;
	uint64_t	 h;
	size_t		 i;

	if (rl->slots == NULL) {
		for (rl->size = RL_PROBE; rl->size < rl->want; rl->size <<= 1)
			;
		if ((rl->slots = calloc(rl->size, sizeof(*rl->slots))) ==
		    NULL) {
			rl->size = 0;
			return NULL;
		}
	}
	h = ratelimit_hash(rl, key);
	for (i = 0; i < RL_PROBE; i++) {
		e = &rl->slots[(h + i) & (rl->size - 1)];
		if (e->used && e->key.addr == key->addr &&
		    e->key.family == key->family)
			return e;
		if (victim == NULL || !e->used ||
		    (victim->used && ratelimit_end(e) < ratelimit_end(victim)))
			victim = e;
	}
	if (victim->used && ratelimit_end(victim) > now)
		rl->evicted++;
	memset(victim, 0, sizeof(*victim));
	victim->used = 1;
	victim->key = *key;
	return victim;
}

/*
 * One request of key against limit which (RL_GENERAL, RL_AUTH).
 * Returns 0 when it is allowed, else the milliseconds until its window
 * ends.  Without memory for the table, everything is allowed.
 */
int64_t
ratelimit_take(struct ratelimit *rl, const struct rl_key *key, int which,
    int points, int64_t duration, int64_t now)
{
	struct rl_entry		*e;
	struct rl_window	*w;

	if (points <= 0 || which < 0 || which >= RL_NLIMITS ||
	    (e = ratelimit_find(rl, key, now)) == NULL)
		return 0;
	w = &e->win[which];
	if (w->end <= now) {
		w->end = now + duration;
		w->count = 0;
	}
	if (w->count < UINT32_MAX)
		w->count++;
	if (w->count <= (uint32_t)points)
		return 0;
	return w->end - now;
}
