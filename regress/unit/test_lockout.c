/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * keyd/lockout.c with a fake clock: the free failures and the doubling
 * wait of an address, the account's wait and lock that hold back only
 * the addresses that failed on it, the exempt last administrator, the
 * end of a lock, logins under way, and tables that stay bounded under
 * a flood without losing a lock.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../keyd/keyd.h"
#include "regress.h"

static const struct lockout_policy	 pol = { 4, 10000 };

/* No store here: it shares no count, as SQLite's does not (store.c). */
int
store_lockout_fail(const char *email, int64_t now, int64_t lockout,
    int64_t attempts, int64_t *failures, int64_t *until)
{
	return 1;
}

int
store_lockout_get(const char *email, int64_t now, int64_t lockout,
    int64_t *failures, int64_t *until)
{
	return 1;
}

int
store_lockout_clear(const char *email)
{
	return 1;
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

int
main(void)
{
	test_address();
	test_account();
	test_exempt_and_off();
	test_under_way();
	test_flood();
	return regress_exit();
}
