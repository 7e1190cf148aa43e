/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Failed logins slow down who fails and lock an account for a while;
 * they never suspend anybody.  Three counts, in keyd's memory (and
 * shared by the hosts of one PostgreSQL store too, see
 * lockout_shared_fail()):
 *
 *	address		the client (IPv6 per /64): login-attempts failures
 *			are free, then it waits 1 s, 2 s, 4 s ... at most
 *			login-lockout before its next login, whatever the
 *			account.
 *	account		the email asked for (known or not, so that the
 *			answers tell nobody which accounts exist): its
 *			login-attempts-th failure locks it for login-lockout.
 *	account from address
 *			an address that has failed on an account waits
 *			after each failure 1 s, 2 s, 4 s ... (doubling with
 *			the account's failures, the first LOCKOUT_FREE ones
 *			free) before its next try on that account, and while
 *			the account is locked it may not try at all.
 *
 * Logins that are being hashed are counted too: an address past its
 * free failures may have only one under way, and so may an address on
 * an account it has failed on, so that bursts of concurrent guesses do
 * not slip past the waits.
 *
 * An address that has not failed on an account always has its password
 * checked, locked or not: failures elsewhere never hold the owner back.
 * The last active administrator is exempt from the account counts (only
 * the address count applies), so that nobody can lock it out.  A refused
 * login is answered at once and checks no password.  A count is
 * forgotten login-lockout after its last failure (a lock when it ends).
 *
 * Each table has a fixed size.  A key lives in one of LOCKOUT_PROBE
 * slots after its hash, keyed with random bits so that nobody can crowd
 * one neighbourhood; a new key takes a free slot there, else one that
 * holds nobody back now, else the one that would be forgotten first, so
 * memory stays bounded whatever the number of addresses and emails, and
 * a flood of new failures does not wipe the locks and waits.  A restart
 * forgets everything but what a shared store keeps.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyd.h"
#include "sign.h"

#define LOCKOUT_PROBE		8	/* slots a key may live in */
#define LOCKOUT_FREE		2	/* an account's failures without a wait */
#define LOCKOUT_BUSY_WAIT	1000	/* ms, when enough logins are under way */
#define LOCKOUT_TEXT_MAX	(16 + 1 + STORE_EMAIL_MAX + 1 + LOCKOUT_ADDR_LEN)

struct lockout_entry {
	uint8_t		 key[LOCKOUT_KEY_LEN];
	int64_t		 last;		/* its last failure, ms; 0: free */
	int64_t		 until;		/* refused before this, ms */
	uint32_t	 failures;
	uint32_t	 pending;	/* logins under way (lockout_begin) */
	int		 told;		/* a refusal until then was logged */
};

struct lockout_table {
	struct lockout_entry	 slots[LOCKOUT_SLOTS];
	uint64_t		 evicted;	/* live counts forgotten */
};

static struct lockout_table	 lockout_addresses, lockout_accounts,
				 lockout_pairs;
static uint8_t			 lockout_seed[16];
static int			 lockout_seeded;

static void	 lockout_key(uint8_t *, char, const char *, const uint8_t *,
		    size_t);
static int	 lockout_address(const char *, uint8_t *, size_t *);
static int64_t	 lockout_end(const struct lockout_entry *, int64_t);
static int64_t	 lockout_refuse(struct lockout_entry *, int64_t, int *);
static int	 lockout_busy(const struct lockout_entry *,
		    const struct lockout_policy *);
static int	 lockout_before(const struct lockout_entry *,
		    const struct lockout_entry *, int64_t, int64_t);
static struct lockout_entry *lockout_find(struct lockout_table *,
		    const uint8_t *, int64_t, int64_t, int);
static int64_t	 lockout_delay(uint32_t, int64_t);
static void	 lockout_shared_fail(char, const char *,
		    const struct lockout_policy *, int64_t, int64_t,
		    struct lockout_entry *);
static void	 lockout_merge(struct lockout_entry *, int64_t, int64_t,
		    int64_t, int64_t);
static void	 lockout_shared_wait(char, const char *,
		    const struct lockout_entry *, int64_t);
static struct lockout_entry *lockout_shared(struct lockout_table *,
		    const uint8_t *, char, const char *,
		    const struct lockout_policy *, int64_t);
static void	 lockout_hex(char *, size_t, const uint8_t *, size_t);

/*
 * SHA-256 over the seed, a kind byte, the email folded to lower case
 * (as the store compares them) and the address key.
 */
static void
lockout_key(uint8_t *out, char kind, const char *email, const uint8_t *addr,
    size_t alen)
{
	uint8_t	 text[LOCKOUT_TEXT_MAX], hash[32];
	size_t	 n = 0, i;

	if (!lockout_seeded) {
		arc4random_buf(lockout_seed, sizeof(lockout_seed));
		lockout_seeded = 1;
	}
	memcpy(text, lockout_seed, sizeof(lockout_seed));
	n = sizeof(lockout_seed);
	text[n++] = (uint8_t)kind;
	for (i = 0; email != NULL && email[i] != '\0' &&
	    n < sizeof(text) - LOCKOUT_ADDR_LEN - 1; i++)
		text[n++] = (uint8_t)(email[i] >= 'A' && email[i] <= 'Z' ?
		    email[i] - 'A' + 'a' : email[i]);
	text[n++] = '\0';
	if (addr != NULL && alen <= LOCKOUT_ADDR_LEN) {
		memcpy(text + n, addr, alen);
		n += alen;
	}
	sign_sha256(text, n, hash);
	memcpy(out, hash, LOCKOUT_KEY_LEN);
	explicit_bzero(text, sizeof(text));
}

/*
 * The key of an address: IPv4 (also IPv4-mapped IPv6), the first 64
 * bits of other IPv6, or the text itself when it is neither (the
 * worker's word: bounded, never printed).  Returns the family, or 0.
 */
static int
lockout_address(const char *ip, uint8_t *out, size_t *len)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;

	if (inet_pton(AF_INET, ip, &a4) == 1) {
		out[0] = 4;
		memcpy(out + 1, &a4, sizeof(a4));
		*len = 1 + sizeof(a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, ip, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			out[0] = 4;
			memcpy(out + 1, &a6.s6_addr[12], 4);
			*len = 5;
			return AF_INET;
		}
		out[0] = 6;
		memcpy(out + 1, a6.s6_addr, 8);
		*len = 9;
		return AF_INET6;
	}
	out[0] = 0;
	*len = 1 + strnlen(ip, LOCKOUT_ADDR_LEN - 1);
	memcpy(out + 1, ip, *len - 1);
	return 0;
}

/* When an entry is forgotten: login-lockout after its last failure. */
static int64_t
lockout_end(const struct lockout_entry *e, int64_t lockout)
{
	int64_t	 end = e->last + lockout;

	return e->until > end ? e->until : end;
}

/*
 * Is a a better slot to reuse than b?  A free one, then one that holds
 * nobody back now, then the one that would be forgotten first: a flood
 * of new failures does not wipe a lock or a wait.
 */
static int
lockout_before(const struct lockout_entry *a, const struct lockout_entry *b,
    int64_t now, int64_t lockout)
{
	if (a->last == 0 || b->last == 0)
		return a->last == 0 && b->last != 0;
	if ((a->until > now) != (b->until > now))
		return b->until > now;
	return lockout_end(a, lockout) < lockout_end(b, lockout);
}

/* The entry of key, made if create; NULL if none. */
static struct lockout_entry *
lockout_find(struct lockout_table *t, const uint8_t *key, int64_t now,
    int64_t lockout, int create)
{
	struct lockout_entry	*e, *victim = NULL;
	uint64_t		 h;
	size_t			 i;

	memcpy(&h, key, sizeof(h));
	for (i = 0; i < LOCKOUT_PROBE; i++) {
		e = &t->slots[(h + i) & (LOCKOUT_SLOTS - 1)];
		if (e->last != 0 && lockout_end(e, lockout) <= now)
			memset(e, 0, sizeof(*e));
		if (e->last != 0 && memcmp(e->key, key, LOCKOUT_KEY_LEN) == 0)
			return e;
		if (victim == NULL || lockout_before(e, victim, now, lockout))
			victim = e;
	}
	if (!create)
		return NULL;
	if (victim->last != 0)
		t->evicted++;
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->key, key, LOCKOUT_KEY_LEN);
	victim->last = now;
	return victim;
}

/*
 * Hosts sharing one store (PostgreSQL) share the counts (store_lockout_*
 * by kind and key: the email, the address in hex, both), so that
 * failures spread over the hosts count as they would on one: an
 * account's lock, an address's waits and an address's waits on an
 * account hold on every host.  Logins under way stay each keyd's.  The
 * store's times are wall-clock ms, ours monotonic.  A store that shares
 * nothing (SQLite), or is out of reach, leaves our own count.
 *
 * A failure: e's count becomes the shared one; the store locks the
 * account itself when attempts (0: never) is reached.
 */
static void
lockout_shared_fail(char kind, const char *key,
    const struct lockout_policy *p, int64_t attempts, int64_t now,
    struct lockout_entry *e)
{
	int64_t	 wall = now_ms(CLOCK_REALTIME), failures, until;

	if (store_lockout_fail(kind, key, wall, p->lockout, attempts,
	    &failures, &until) == 0)
		lockout_merge(e, failures, until, wall, now);
}

/* The store's count and end (wall-clock ms) into e (monotonic ms). */
static void
lockout_merge(struct lockout_entry *e, int64_t failures, int64_t until,
    int64_t wall, int64_t now)
{
	e->failures = failures > UINT32_MAX ? UINT32_MAX :
	    failures < 0 ? 0 : (uint32_t)failures;
	if (until > wall && now + (until - wall) > e->until)
		e->until = now + (until - wall);
}

/* The wait e now sets (an address's, a pair's), for the other hosts. */
static void
lockout_shared_wait(char kind, const char *key, const struct lockout_entry *e,
    int64_t now)
{
	if (e->until > now)
		(void)store_lockout_wait(kind, key,
		    now_ms(CLOCK_REALTIME) + (e->until - now));
}

/*
 * The entry of key with what the other hosts counted: made when the
 * store has a live count, else ours (NULL when there is none).
 */
static struct lockout_entry *
lockout_shared(struct lockout_table *t, const uint8_t *lkey, char kind,
    const char *key, const struct lockout_policy *p, int64_t now)
{
	struct lockout_entry	*e;
	int64_t			 wall = now_ms(CLOCK_REALTIME), failures, until;

	if (store_lockout_get(kind, key, wall, p->lockout, &failures,
	    &until) != 0)
		return lockout_find(t, lkey, now, p->lockout, 0);
	e = lockout_find(t, lkey, now, p->lockout, 1);
	lockout_merge(e, failures, until, wall, now);
	return e;
}

/* 0 for step 0, then 1 s, 2 s, 4 s ... never more than lockout. */
static int64_t
lockout_delay(uint32_t step, int64_t lockout)
{
	if (step == 0)
		return 0;
	if (step > 30 || (1000LL << (step - 1)) > lockout)
		return lockout;
	return 1000LL << (step - 1);
}

/* The keys of one login; returns the address family (0: not an IP). */
int
lockout_login(struct lockout_login *l, const char *email, const char *ip)
{
	uint8_t	 addr[LOCKOUT_ADDR_LEN];
	size_t	 alen;
	int	 af;

	memset(l, 0, sizeof(*l));
	af = lockout_address(ip, addr, &alen);
	lockout_key(l->address, 'a', NULL, addr, alen);
	lockout_key(l->account, 'u', email, NULL, 0);
	lockout_key(l->pair, 'p', email, addr, alen);
	(void)strlcpy(l->email, email, sizeof(l->email));
	lockout_hex(l->where, sizeof(l->where), addr, alen);
	(void)snprintf(l->pair_key, sizeof(l->pair_key), "%s %s", l->where,
	    email);
	explicit_bzero(addr, sizeof(addr));
	return af;
}

/* The address as the shared counts name it. */
static void
lockout_hex(char *out, size_t size, const uint8_t *b, size_t len)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len && 2 * i + 2 < size; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0xf];
	}
	out[2 * i] = '\0';
}

/*
 * A refusal because of e: the wait, and in *first whether it is the
 * first refusal of this wait (the one to log).
 */
static int64_t
lockout_refuse(struct lockout_entry *e, int64_t now, int *first)
{
	*first = !e->told;
	e->told = 1;
	return e->until - now;
}

/*
 * May this login have its password checked?  0, or the milliseconds it
 * must wait, with *why set and *first as lockout_refuse() sets it.  No
 * count changes: a refusal is not a failure.
 */
int64_t
lockout_check(const struct lockout_login *l, const struct lockout_policy *p,
    int64_t now, enum lockout_why *why, int *first)
{
	struct lockout_entry	*a, *u, *pair;

	*why = LOCKOUT_NONE;
	*first = 0;
	if (p->attempts == 0)
		return 0;
	a = lockout_shared(&lockout_addresses, l->address,
	    LOCKOUT_KIND_ADDRESS, l->where, p, now);
	if (a != NULL && a->until > now) {
		*why = LOCKOUT_ADDRESS;
		return lockout_refuse(a, now, first);
	}
	if (a != NULL && lockout_busy(a, p)) {
		*why = LOCKOUT_BUSY;
		return LOCKOUT_BUSY_WAIT;
	}
	if (l->exempt || (pair = lockout_shared(&lockout_pairs, l->pair,
	    LOCKOUT_KIND_PAIR, l->pair_key, p, now)) == NULL)
		return 0;
	u = lockout_shared(&lockout_accounts, l->account,
	    LOCKOUT_KIND_ACCOUNT, l->email, p, now);
	if (u != NULL && u->until > now) {
		*why = LOCKOUT_LOCKED;
		/* Once per address and lock. */
		if (pair->until < u->until) {
			pair->until = u->until;
			pair->told = 0;
		}
		return lockout_refuse(pair, now, first);
	}
	if (pair->until > now) {
		*why = LOCKOUT_ACCOUNT;
		return lockout_refuse(pair, now, first);
	}
	if (pair->pending > 0) {
		*why = LOCKOUT_BUSY;
		return LOCKOUT_BUSY_WAIT;
	}
	return 0;
}

/*
 * An address past its free failures may have one login under way; one
 * within them, any number (a proxy, a load test).
 */
static int
lockout_busy(const struct lockout_entry *a, const struct lockout_policy *p)
{
	return a->failures > (uint32_t)p->attempts && a->pending > 0;
}

/* A login passed lockout_check() and goes to the hashing pool. */
void
lockout_begin(struct lockout_login *l, const struct lockout_policy *p,
    int64_t now)
{
	struct lockout_entry	*a, *pair;

	if (p->attempts == 0)
		return;
	a = lockout_find(&lockout_addresses, l->address, now, p->lockout, 1);
	if (a->pending < UINT32_MAX)
		a->pending++;
	l->pending |= LOCKOUT_PENDING_ADDRESS;
	if (!l->exempt && (pair = lockout_find(&lockout_pairs, l->pair, now,
	    p->lockout, 0)) != NULL) {
		if (pair->pending < UINT32_MAX)
			pair->pending++;
		l->pending |= LOCKOUT_PENDING_PAIR;
	}
}

/* Its hash is done (or could not start): it is no longer under way. */
void
lockout_finish(struct lockout_login *l, const struct lockout_policy *p,
    int64_t now)
{
	struct lockout_entry	*e;

	/* What begin counted, whatever the policy now (a reload). */
	if ((l->pending & LOCKOUT_PENDING_ADDRESS) && (e = lockout_find(
	    &lockout_addresses, l->address, now, p->lockout, 0)) != NULL &&
	    e->pending > 0)
		e->pending--;
	if ((l->pending & LOCKOUT_PENDING_PAIR) && (e = lockout_find(
	    &lockout_pairs, l->pair, now, p->lockout, 0)) != NULL &&
	    e->pending > 0)
		e->pending--;
	l->pending = 0;
}

/*
 * A wrong password (or an unknown email, or an inactive user).  Returns
 * 1 when this failure locks the account.  Without a free slot the
 * oldest count goes (lockout_find).
 */
int
lockout_failed(const struct lockout_login *l, const struct lockout_policy *p,
    int64_t now)
{
	struct lockout_entry	*a, *u, *pair;

	if (p->attempts == 0)
		return 0;
	a = lockout_find(&lockout_addresses, l->address, now, p->lockout, 1);
	a->last = now;
	if (a->failures < UINT32_MAX)
		a->failures++;
	lockout_shared_fail(LOCKOUT_KIND_ADDRESS, l->where, p, 0, now, a);
	if (a->failures > (uint32_t)p->attempts) {
		a->until = now + lockout_delay(a->failures -
		    (uint32_t)p->attempts, p->lockout);
		a->told = 0;
		lockout_shared_wait(LOCKOUT_KIND_ADDRESS, l->where, a, now);
	}
	if (l->exempt)
		return 0;
	u = lockout_find(&lockout_accounts, l->account, now, p->lockout, 1);
	u->last = now;
	if (u->failures < UINT32_MAX)
		u->failures++;
	lockout_shared_fail(LOCKOUT_KIND_ACCOUNT, l->email, p, p->attempts,
	    now, u);
	pair = lockout_find(&lockout_pairs, l->pair, now, p->lockout, 1);
	pair->last = now;
	if (pair->failures < UINT32_MAX)
		pair->failures++;
	lockout_shared_fail(LOCKOUT_KIND_PAIR, l->pair_key, p, 0, now, pair);
	pair->until = now + lockout_delay(u->failures > LOCKOUT_FREE ?
	    u->failures - LOCKOUT_FREE : 0, p->lockout);
	pair->told = 0;
	lockout_shared_wait(LOCKOUT_KIND_PAIR, l->pair_key, pair, now);
	if (u->failures < (uint32_t)p->attempts)
		return 0;
	/* The count starts again: a lock ends by itself. */
	u->failures = 0;
	u->until = now + p->lockout;
	return 1;
}

/* A correct password: this address's failures on the account go. */
void
lockout_succeeded(const struct lockout_login *l,
    const struct lockout_policy *p, int64_t now)
{
	struct lockout_entry	*pair;

	if ((pair = lockout_find(&lockout_pairs, l->pair, now, p->lockout,
	    0)) != NULL) {
		explicit_bzero(pair, sizeof(*pair));
		(void)store_lockout_clear(LOCKOUT_KIND_PAIR, l->pair_key);
	}
}

/* The operator activated the account or set its password: no lock. */
void
lockout_forget(const char *email)
{
	struct lockout_entry	*u;
	uint8_t			 key[LOCKOUT_KEY_LEN];

	lockout_key(key, 'u', email, NULL, 0);
	if ((u = lockout_find(&lockout_accounts, key, 0, 0, 0)) != NULL)
		explicit_bzero(u, sizeof(*u));
	(void)store_lockout_clear(LOCKOUT_KIND_ACCOUNT, email);
}

/* How many live counts were forgotten for want of room (tests, logs). */
uint64_t
lockout_evicted(void)
{
	return lockout_addresses.evicted + lockout_accounts.evicted +
	    lockout_pairs.evicted;
}
