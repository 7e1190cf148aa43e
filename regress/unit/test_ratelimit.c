/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * server/ratelimit.c: keys per address (IPv6 per /64), fixed windows
 * with a fake clock, the two limits kept apart, and a table whose size
 * does not grow with the number of addresses.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../server/ratelimit.h"
#include "regress.h"

static struct rl_key
key4(const char *s)
{
	struct sockaddr_in	 sin;
	struct rl_key		 k;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	(void)inet_pton(AF_INET, s, &sin.sin_addr);
	(void)ratelimit_key((struct sockaddr *)&sin, &k);
	return k;
}

static struct rl_key
key6(const char *s)
{
	struct sockaddr_in6	 sin6;
	struct rl_key		 k;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	(void)inet_pton(AF_INET6, s, &sin6.sin6_addr);
	(void)ratelimit_key((struct sockaddr *)&sin6, &k);
	return k;
}

static int
same(struct rl_key a, struct rl_key b)
{
	return a.family == b.family && a.addr == b.addr;
}

static void
test_keys(void)
{
	struct sockaddr		 sa;

	CHECK("rl_key_v4", key4("192.0.2.1").family == AF_INET &&
	    key4("192.0.2.1").addr == 0xc0000201);
	CHECK("rl_key_v4_differ", !same(key4("192.0.2.1"), key4("192.0.2.2")));
	CHECK("rl_key_v6_same_64", same(key6("2001:db8:1:2::1"),
	    key6("2001:db8:1:2:ffff:ffff:ffff:ffff")));
	CHECK("rl_key_v6_other_64", !same(key6("2001:db8:1:2::1"),
	    key6("2001:db8:1:3::1")));
	CHECK("rl_key_v4_mapped", same(key6("::ffff:192.0.2.1"),
	    key4("192.0.2.1")));
	CHECK("rl_key_v4_not_v6", !same(key6("::c000:201"), key4("192.0.2.1")));
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	CHECK("rl_key_unix_refused", ratelimit_key(&sa, &(struct rl_key){ 0 })
	    == -1);
}

static void
test_window(void)
{
	struct ratelimit	 rl;
	struct rl_key		 a = key4("192.0.2.1"), b = key4("192.0.2.2");
	int64_t			 t = 1000000, wait = 0;
	int			 i, allowed = 0;

	ratelimit_init(&rl, 1024);
	for (i = 0; i < 5; i++)
		allowed += ratelimit_take(&rl, &a, RL_GENERAL, 5, 1000, t + i)
		    == 0;
	CHECK("rl_points_allowed", allowed == 5);
	wait = ratelimit_take(&rl, &a, RL_GENERAL, 5, 1000, t + 400);
	CHECK("rl_over_refused_with_wait", wait == 600);
	CHECK("rl_still_refused", ratelimit_take(&rl, &a, RL_GENERAL, 5, 1000,
	    t + 999) == 1);
	CHECK("rl_other_address_free",
	    ratelimit_take(&rl, &b, RL_GENERAL, 5, 1000, t + 500) == 0);
	CHECK("rl_auth_limit_apart",
	    ratelimit_take(&rl, &a, RL_AUTH, 2, 60000, t + 500) == 0);
	CHECK("rl_new_window", ratelimit_take(&rl, &a, RL_GENERAL, 5, 1000,
	    t + 1000) == 0);
	CHECK("rl_auth_second", ratelimit_take(&rl, &a, RL_AUTH, 2, 60000,
	    t + 1000) == 0);
	CHECK("rl_auth_third_refused", ratelimit_take(&rl, &a, RL_AUTH, 2,
	    60000, t + 1500) == 59000);
	CHECK("rl_zero_points_off", ratelimit_take(&rl, &a, RL_AUTH, 0,
	    60000, t + 1500) == 0);
	ratelimit_resize(&rl, 1024);
	CHECK("rl_same_size_keeps", ratelimit_take(&rl, &a, RL_AUTH, 2,
	    60000, t + 1600) > 0);
	ratelimit_resize(&rl, 2048);
	CHECK("rl_new_size_forgets", ratelimit_take(&rl, &a, RL_AUTH, 2,
	    60000, t + 1600) == 0 && rl.slots != NULL && rl.size == 2048);
	ratelimit_free(&rl);
}

/*
 * 100 000 addresses through a table of 256: its size stays, and an
 * address under attack keeps its count while the others come and go
 * (its window ends last, so it is the last one forgotten).
 */
static void
test_bounded(void)
{
	struct ratelimit	 rl;
	struct rl_key		 victim = key4("198.51.100.7"), k;
	int64_t			 t = 5000;
	uint32_t		 i;
	int			 refused = 0;

	ratelimit_init(&rl, 256);
	for (i = 0; i < 3; i++)
		(void)ratelimit_take(&rl, &victim, RL_AUTH, 2, 600000, t);
	for (i = 0; i < 100000; i++) {
		k.family = AF_INET;
		k.addr = 0x0a000000 + i;
		(void)ratelimit_take(&rl, &k, RL_GENERAL, 10, 100, t + i / 10);
	}
	CHECK("rl_table_size_fixed", rl.size == 256);
	refused = ratelimit_take(&rl, &victim, RL_AUTH, 2, 600000, t + 20000)
	    > 0;
	CHECK("rl_long_window_survives_churn", refused);
	printf("# %llu live windows forgotten\n",
	    (unsigned long long)rl.evicted);
	ratelimit_free(&rl);
}

int
main(void)
{
	test_keys();
	test_window();
	test_bounded();
	return regress_exit();
}
