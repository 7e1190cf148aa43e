/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * keyd/lockout.c with a fake clock: the free failures and the doubling
 * wait of an address, the account's wait and lock that hold back only
 * the addresses that failed on it, the exempt last administrator, the
 * end of a lock, logins under way, tables that stay bounded under
 * a flood without losing a lock, and the counts shared with other hosts
 * through the store.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../keyd/keyd.h"
#include "regress.h"

static const struct lockout_policy	 pol = { 4, 10000 };

/*
 * The store's shared counts: none at first, as SQLite shares none
 * (store.c); test_shared() turns on a store of a few rows that behaves
 * as PostgreSQL's (store_pg.c), to stand for the other hosts.
 */
#define FAKE_ROWS	16
struct fake_row {
	char	 kind;
	char	 key[LOCKOUT_WHERE_MAX + STORE_EMAIL_MAX + 1];
	int64_t	 failures, last, until;
};
static struct fake_row	 fake[FAKE_ROWS];
static int		 fake_on;

static struct fake_row *
fake_find(char kind, const char *key, int create)
{
	struct fake_row	*free_row = NULL;
	int		 i;

	for (i = 0; i < FAKE_ROWS; i++) {
		if (fake[i].kind == kind && strcmp(fake[i].key, key) == 0)
			return &fake[i];
		if (fake[i].kind == 0 && free_row == NULL)
			free_row = &fake[i];
	}
	if (!create || free_row == NULL)
		return NULL;
	free_row->kind = kind;
	(void)strlcpy(free_row->key, key, sizeof(free_row->key));
	return free_row;
}

static int
fake_live(const struct fake_row *r, int64_t now, int64_t lockout)
{
	return (r->last + lockout > r->until ? r->last + lockout : r->until) >
	    now;
}

int
store_lockout_fail(char kind, const char *key, int64_t now, int64_t lockout,
    int64_t attempts, int64_t *failures, int64_t *until)
{
	struct fake_row	*r;

	if (!fake_on || (r = fake_find(kind, key, 1)) == NULL)
		return 1;
	if (r->failures > 0 && !fake_live(r, now, lockout))
		r->failures = r->until = 0;
	r->failures++;
	r->last = now;
	if (attempts > 0 && r->failures >= attempts) {
		r->failures = 0;
		r->until = now + lockout;
	}
	*failures = r->failures;
	*until = r->until;
	return 0;
}

int
store_lockout_wait(char kind, const char *key, int64_t until)
{
	struct fake_row	*r;

	if (!fake_on || (r = fake_find(kind, key, 0)) == NULL)
		return 1;
	if (until > r->until)
		r->until = until;
	return 0;
}

int
store_lockout_get(char kind, const char *key, int64_t now, int64_t lockout,
    int64_t *failures, int64_t *until)
{
	struct fake_row	*r;

	if (!fake_on || (r = fake_find(kind, key, 0)) == NULL ||
	    !fake_live(r, now, lockout))
		return 1;
	*failures = r->failures;
	*until = r->until;
	return 0;
}

int
store_lockout_clear(char kind, const char *key)
{
	struct fake_row	*r;

	if (!fake_on || (r = fake_find(kind, key, 0)) == NULL)
		return 1;
	memset(r, 0, sizeof(*r));
	return 0;
}

/* Another host's count, as its keyd left it in the store. */
static void
fake_put(char kind, const char *key, int64_t failures, int64_t until)
{
	struct fake_row	*r = fake_find(kind, key, 1);

	r->failures = failures;
	r->last = now_ms(CLOCK_REALTIME);
	r->until = until;
}

static int64_t
wait_of(const char *email, const char *ip, int exempt, int64_t now,
    enum lockout_why *why)
{
	struct lockout_login	 l;
	int			 first;

	(void)lockout_login(&l, email, ip);
	l.exempt = exempt;
	return lockout_check(&l, &pol, now, why, &first);
}

/* Is this refusal the first of its wait (the one keyd logs)? */
static int
first_refusal(const char *email, const char *ip, int64_t now)
{
	struct lockout_login	 l;
	enum lockout_why	 why;
	int			 first;

	(void)lockout_login(&l, email, ip);
	return lockout_check(&l, &pol, now, &why, &first) > 0 && first;
}

static int
fail(const char *email, const char *ip, int exempt, int64_t now)
{
	struct lockout_login	 l;

	(void)lockout_login(&l, email, ip);
	l.exempt = exempt;
	return lockout_failed(&l, &pol, now);
}

static void
test_address(void)
{
	enum lockout_why	 why;
	int64_t			 t = 1000000;
	char			 email[64];
	int			 i;

	for (i = 0; i < 4; i++) {
		(void)snprintf(email, sizeof(email), "a%d@example.com", i);
		(void)fail(email, "192.0.2.1", 0, t);
	}
	CHECK("address: login-attempts failures are free",
	    wait_of("new@example.com", "192.0.2.1", 0, t, &why) == 0);
	(void)fail("a4@example.com", "192.0.2.1", 0, t);
	CHECK("address: then it waits 1 s, whatever the account",
	    wait_of("new@example.com", "192.0.2.1", 0, t, &why) == 1000 &&
	    why == LOCKOUT_ADDRESS);
	CHECK("address: the exempt administrator waits too",
	    wait_of("new@example.com", "192.0.2.1", 1, t + 500, &why) == 500);
	(void)fail("a5@example.com", "192.0.2.1", 0, t + 1000);
	CHECK("address: the wait doubles",
	    wait_of("new@example.com", "192.0.2.1", 0, t + 1000, &why) ==
	    2000);
	for (i = 0; i < 20; i++)
		(void)fail("a6@example.com", "192.0.2.1", 0, t + 2000);
	CHECK("address: the wait is at most login-lockout",
	    wait_of("new@example.com", "192.0.2.1", 0, t + 2000, &why) ==
	    10000);
	CHECK("address: other addresses are not held back",
	    wait_of("new@example.com", "192.0.2.2", 0, t + 2000, &why) == 0);
	CHECK("address: forgotten login-lockout after its last failure",
	    wait_of("new@example.com", "192.0.2.1", 0, t + 12000, &why) == 0);
	for (i = 0; i < 5; i++)
		(void)fail("v6@example.com", i % 2 ? "2001:db8::1" :
		    "2001:db8::2", 0, t);
	CHECK("address: IPv6 counts per /64",
	    wait_of("x@example.com", "2001:db8::99", 0, t, &why) == 1000 &&
	    wait_of("x@example.com", "2001:db8:0:1::1", 0, t, &why) == 0);
	for (i = 0; i < 5; i++)
		(void)fail("m@example.com", "::ffff:198.51.100.7", 0, t);
	CHECK("address: IPv4-mapped IPv6 is the IPv4 address",
	    wait_of("x@example.com", "198.51.100.7", 0, t, &why) == 1000);
}

static void
test_account(void)
{
	struct lockout_login	 l;
	enum lockout_why	 why;
	int64_t			 t = 5000000;

	(void)fail("victim@example.com", "203.0.113.1", 0, t);
	(void)fail("victim@example.com", "203.0.113.1", 0, t);
	CHECK("account: the first two failures are free",
	    wait_of("victim@example.com", "203.0.113.1", 0, t, &why) == 0);
	(void)fail("victim@example.com", "203.0.113.1", 0, t);
	CHECK("account: the first refusal of a wait is told, once",
	    first_refusal("victim@example.com", "203.0.113.1", t) &&
	    !first_refusal("victim@example.com", "203.0.113.1", t));
	CHECK("account: then the address that failed waits",
	    wait_of("victim@example.com", "203.0.113.1", 0, t, &why) ==
	    1000 && why == LOCKOUT_ACCOUNT);
	CHECK("account: an address that has not failed does not",
	    wait_of("victim@example.com", "203.0.113.2", 0, t, &why) == 0);
	CHECK("account: emails are counted without case",
	    wait_of("Victim@EXAMPLE.com", "203.0.113.1", 0, t, &why) == 1000);
	CHECK("account: the login-attempts-th failure locks",
	    fail("victim@example.com", "203.0.113.1", 0, t + 1000) == 1);
	CHECK("account: the lock's first refusal is told again",
	    first_refusal("victim@example.com", "203.0.113.1", t + 1000) &&
	    !first_refusal("victim@example.com", "203.0.113.1", t + 1000));
	CHECK("account: locked for the address that failed",
	    wait_of("victim@example.com", "203.0.113.1", 0, t + 1000, &why) ==
	    10000 && why == LOCKOUT_LOCKED);
	CHECK("account: not for another address",
	    wait_of("victim@example.com", "203.0.113.2", 0, t + 1000, &why) ==
	    0);
	(void)fail("victim@example.com", "203.0.113.3", 0, t + 2000);
	CHECK("account: whose failure then counts and locks it for it",
	    wait_of("victim@example.com", "203.0.113.3", 0, t + 2000, &why) ==
	    9000 && why == LOCKOUT_LOCKED);
	CHECK("account: the lock ends by itself",
	    wait_of("victim@example.com", "203.0.113.1", 0, t + 11000, &why) ==
	    0);
	(void)fail("owner@example.com", "203.0.113.9", 0, t);
	(void)fail("owner@example.com", "203.0.113.9", 0, t);
	(void)fail("owner@example.com", "203.0.113.9", 0, t);
	CHECK("account: (the owner's own failures make it wait)",
	    wait_of("owner@example.com", "203.0.113.9", 0, t, &why) == 1000);
	(void)lockout_login(&l, "owner@example.com", "203.0.113.9");
	lockout_succeeded(&l, &pol, t);
	CHECK("account: a success clears that address's failures",
	    wait_of("owner@example.com", "203.0.113.9", 0, t, &why) == 0);
}

static void
test_exempt_and_off(void)
{
	static const struct lockout_policy	 off = { 0, 10000 };
	struct lockout_login			 l;
	enum lockout_why			 why;
	int64_t					 t = 9000000;
	int					 i, locked = 0;

	for (i = 0; i < 10; i++)
		locked |= fail("root@example.com", "198.51.100.1", 1, t);
	CHECK("exempt: the last administrator is never locked",
	    !locked && wait_of("root@example.com", "198.51.100.2", 1, t,
	    &why) == 0);
	CHECK("exempt: its failing address waits (address count)",
	    wait_of("root@example.com", "198.51.100.1", 1, t, &why) > 0 &&
	    why == LOCKOUT_ADDRESS);
	(void)lockout_login(&l, "off@example.com", "198.51.100.3");
	for (i = 0; i < 10; i++)
		locked |= lockout_failed(&l, &off, t);
	CHECK("off: login-attempts 0 counts nothing",
	    !locked && lockout_check(&l, &off, t, &why, &i) == 0 &&
	    wait_of("off@example.com", "198.51.100.3", 0, t, &why) == 0);
}

static void
test_under_way(void)
{
	struct lockout_login	 l, m, ls[8];
	enum lockout_why	 why;
	int64_t			 t = 15000000;
	int			 i;

	for (i = 0; i < 8; i++) {
		(void)lockout_login(&ls[i], "busy@example.com", "192.0.2.50");
		lockout_begin(&ls[i], &pol, t);
	}
	CHECK("under way: any number within the free failures",
	    wait_of("busy@example.com", "192.0.2.50", 0, t, &why) == 0);
	for (i = 0; i < 8; i++)
		lockout_finish(&ls[i], &pol, t);
	(void)fail("busy2@example.com", "192.0.2.51", 0, t);
	(void)lockout_login(&l, "busy2@example.com", "192.0.2.51");
	lockout_begin(&l, &pol, t);
	CHECK("under way: one at a time on an account the address failed on",
	    wait_of("busy2@example.com", "192.0.2.51", 0, t, &why) > 0 &&
	    why == LOCKOUT_BUSY &&
	    wait_of("other@example.com", "192.0.2.51", 0, t, &why) == 0 &&
	    wait_of("busy2@example.com", "192.0.2.52", 0, t, &why) == 0);
	lockout_finish(&l, &pol, t);
	CHECK("under way: the next one once it is done",
	    wait_of("busy2@example.com", "192.0.2.51", 0, t, &why) == 0);
	for (i = 0; i < 5; i++)
		(void)fail("b3@example.com", "192.0.2.53", 1, t);
	(void)lockout_login(&m, "b4@example.com", "192.0.2.53");
	lockout_begin(&m, &pol, t + 1000);
	CHECK("under way: one at a time past the free failures",
	    wait_of("b5@example.com", "192.0.2.53", 0, t + 1000, &why) > 0 &&
	    why == LOCKOUT_BUSY);
	lockout_finish(&m, &pol, t + 1000);
	CHECK("under way: done",
	    wait_of("b5@example.com", "192.0.2.53", 0, t + 1000, &why) == 0);
}

static void
test_flood(void)
{
	enum lockout_why	 why;
	int64_t			 t = 20000000;
	uint64_t		 before = lockout_evicted();
	char			 email[64], ip[32];
	int			 i;

	for (i = 0; i < 4; i++)
		(void)fail("target@example.com", "192.0.2.200", 0, t);
	for (i = 0; i < 20 * LOCKOUT_SLOTS; i++) {
		(void)snprintf(email, sizeof(email), "f%d@example.com", i);
		(void)snprintf(ip, sizeof(ip), "10.%d.%d.%d", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		(void)fail(email, ip, 0, t + 1);
	}
	CHECK("flood: counts were forgotten for want of room",
	    lockout_evicted() > before);
	CHECK("flood: the lock is still there",
	    wait_of("target@example.com", "192.0.2.200", 0, t + 1, &why) ==
	    9999 && why == LOCKOUT_LOCKED);
}

/*
 * With a shared store, the counts other hosts made hold here, and ours
 * go to the store under keys every host makes the same way (the
 * address in hex, then the email).
 */
static void
test_shared(void)
{
	struct lockout_login	 l;
	enum lockout_why	 why;
	struct fake_row		*r;
	int64_t			 t = 5000000, wall, w;

	fake_on = 1;
	wall = now_ms(CLOCK_REALTIME);
	fake_put(LOCKOUT_KIND_ADDRESS, "04c0000232", 6, wall + 4000);
	w = wait_of("new@example.com", "192.0.2.50", 0, t, &why);
	CHECK("shared: another host's wait of an address holds here",
	    why == LOCKOUT_ADDRESS && w > 3000 && w <= 4000);
	CHECK("shared: other addresses are not held back",
	    wait_of("new@example.com", "192.0.2.53", 0, t, &why) == 0);

	(void)fail("s@example.com", "192.0.2.51", 0, t);
	CHECK("shared: a failure is counted in the store, by kind",
	    (r = fake_find(LOCKOUT_KIND_ADDRESS, "04c0000233", 0)) != NULL &&
	    r->failures == 1 &&
	    (r = fake_find(LOCKOUT_KIND_ACCOUNT, "s@example.com", 0)) !=
	    NULL && r->failures == 1 &&
	    (r = fake_find(LOCKOUT_KIND_PAIR, "04c0000233 s@example.com",
	    0)) != NULL && r->failures == 1);

	fake_put(LOCKOUT_KIND_PAIR, "04c0000234 t@example.com", 3,
	    wall + 2000);
	fake_put(LOCKOUT_KIND_ACCOUNT, "t@example.com", 3, 0);
	w = wait_of("t@example.com", "192.0.2.52", 0, t, &why);
	CHECK("shared: another host's wait of an address on an account",
	    why == LOCKOUT_ACCOUNT && w > 1000 && w <= 2000);
	CHECK("shared: that wait is for that account only",
	    wait_of("u@example.com", "192.0.2.52", 0, t, &why) == 0);
	fake_put(LOCKOUT_KIND_ACCOUNT, "t@example.com", 0, wall + 9000);
	w = wait_of("t@example.com", "192.0.2.52", 0, t, &why);
	CHECK("shared: another host's lock holds here",
	    why == LOCKOUT_LOCKED && w > 8000 && w <= 9000);

	(void)lockout_login(&l, "s@example.com", "192.0.2.51");
	lockout_succeeded(&l, &pol, t);
	CHECK("shared: a success ends the address's count on the account "
	    "in the store", fake_find(LOCKOUT_KIND_PAIR,
	    "04c0000233 s@example.com", 0) == NULL);
	fake_on = 0;
}

int
main(void)
{
	test_address();
	test_account();
	test_exempt_and_off();
	test_under_way();
	test_flood();
	test_shared();
	return regress_exit();
}
