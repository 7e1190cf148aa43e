/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/cidr.c: the lists trusted-proxy takes and refuses, and which
 * addresses fall in them (IPv4, IPv6, IPv4-mapped, odd prefixes).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>

#include "cidr.h"
#include "regress.h"

static int
in(const char *list, const char *addr)
{
	struct cidr	 nets[CIDR_LIST_MAX], a;
	size_t		 n;

	if (cidr_list_parse(list, nets, CIDR_LIST_MAX, &n) != NULL ||
	    cidr_addr_parse(addr, strlen(addr), &a) == -1)
		return -1;
	return cidr_match(nets, n, &a);
}

static int
refused(const char *list)
{
	struct cidr	 nets[CIDR_LIST_MAX];
	size_t		 n;

	return cidr_list_parse(list, nets, CIDR_LIST_MAX, &n) != NULL;
}

int
main(void)
{
	char	 many[64 * 12 + 1] = "";
	int	 i;

	CHECK("cidr_empty_list_matches_nothing", in("", "127.0.0.1") == 0);
	CHECK("cidr_v4_host", in("127.0.0.1", "127.0.0.1") == 1 &&
	    in("127.0.0.1", "127.0.0.2") == 0);
	CHECK("cidr_v4_net", in("10.0.0.0/8", "10.255.1.2") == 1 &&
	    in("10.0.0.0/8", "11.0.0.1") == 0);
	CHECK("cidr_v4_odd_prefix", in("192.168.4.0/22", "192.168.7.255") == 1 &&
	    in("192.168.4.0/22", "192.168.8.0") == 0);
	CHECK("cidr_v4_all", in("0.0.0.0/0", "203.0.113.9") == 1 &&
	    in("0.0.0.0/0", "::1") == 0);
	CHECK("cidr_v6", in("2001:db8::/32", "2001:db8:1::5") == 1 &&
	    in("2001:db8::/32", "2001:db9::1") == 0 && in("::1", "::1") == 1);
	CHECK("cidr_v6_odd_prefix", in("2001:db8:8000::/33", "2001:db8:ffff::1")
	    == 1 && in("2001:db8:8000::/33", "2001:db8:7fff::1") == 0);
	CHECK("cidr_mapped_is_v4", in("127.0.0.0/8", "::ffff:127.0.0.1") == 1 &&
	    in("::ffff:10.0.0.0/104", "10.1.2.3") == 1);
	CHECK("cidr_separators", in(" 10.0.0.1,\t::1 , 192.0.2.0/24", "192.0.2.7")
	    == 1);
	CHECK("cidr_refused", refused("10.0.0.1/8") && refused("300.1.1.1") &&
	    refused("10.0.0.0/33") && refused("::1/129") &&
	    refused("example.com") && refused("10.0.0.0/") &&
	    refused("10.0.0.0/+8") && refused("10.0.0.0/8x") &&
	    refused("1.2.3.4/0008"));
	for (i = 0; i < 64; i++)
		(void)strlcat(many, "127.0.0.1, ", sizeof(many));
	CHECK("cidr_64_taken", !refused(many));
	(void)strlcat(many, "::1", sizeof(many));
	CHECK("cidr_65_refused", refused(many));
	return regress_exit();
}
