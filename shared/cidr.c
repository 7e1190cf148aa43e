/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Networks written ADDR or ADDR/PREFIX, IPv4 or IPv6, in a list
 * separated by commas or blanks (trusted-proxy), and whether an address
 * is in one of them.  An IPv4-mapped IPv6 address is its IPv4 address.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "cidr.h"

/* An address alone (len bytes of s), as a network of all its bits. */
int
cidr_addr_parse(const char *s, size_t len, struct cidr *c)
{
	char	 buf[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		c->bits = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, c->addr) != 1)
		return -1;
	c->family = AF_INET6;
	c->bits = 128;
	/* ::ffff:a.b.c.d is a.b.c.d. */
	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)(void *)c->addr)) {
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
		c->family = AF_INET;
		c->bits = 32;
	}
	return 0;
}

/* One network, ADDR[/PREFIX], its host bits zero; -1 if it is none. */
static int
cidr_parse(const char *s, size_t len, struct cidr *c)
{
	const char	*slash = memchr(s, '/', len);
	size_t		 alen = slash != NULL ? (size_t)(slash - s) : len;
	char		 num[4];
	char		*end;
	long		 bits;
	int		 i, mapped;

	mapped = alen > 7 && memchr(s, ':', alen) != NULL &&
	    memchr(s, '.', alen) != NULL;
	if (cidr_addr_parse(s, alen, c) == -1)
		return -1;
	if (slash != NULL) {
		if (len - alen - 1 == 0 || len - alen - 1 >= sizeof(num))
			return -1;
		memcpy(num, slash + 1, len - alen - 1);
		num[len - alen - 1] = '\0';
		if (num[0] < '0' || num[0] > '9')
			return -1;
		bits = strtol(num, &end, 10);
		/* A mapped address's prefix counts its 96 leading bits. */
		if (mapped && c->family == AF_INET)
			bits -= 96;
		if (*end != '\0' || bits < 0 || bits > c->bits)
			return -1;
		c->bits = (int)bits;
	}
	for (i = c->bits; i < 128; i++)
		if (c->addr[i / 8] & (0x80 >> (i % 8)))
			return -1;	/* host bits set: a typo, surely */
	return 0;
}

/*
 * The networks of list into out (at most max), *n of them: NULL, or
 * why the list is refused.
 */
const char *
cidr_list_parse(const char *list, struct cidr *out, size_t max, size_t *n)
{
	const char	*p = list;
	size_t		 len;

	*n = 0;
	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			return NULL;
		len = strcspn(p, " \t,");
		if (*n == max)
			return "too many networks";
		if (cidr_parse(p, len, &out[*n]) == -1)
			return "not an address or network (ADDR or "
			    "ADDR/PREFIX, host bits zero)";
		(*n)++;
		p += len;
	}
}

/* Is the address a in one of the n networks? */
int
cidr_match(const struct cidr *nets, size_t n, const struct cidr *a)
{
	size_t	 i;
	int	 b, full;

	for (i = 0; i < n; i++) {
		if (nets[i].family != a->family)
			continue;
		full = nets[i].bits / 8;
		if (memcmp(nets[i].addr, a->addr, (size_t)full) != 0)
			continue;
		b = nets[i].bits % 8;
		if (b == 0 || ((nets[i].addr[full] ^ a->addr[full]) &
		    (0xff << (8 - b))) == 0)
			return 1;
	}
	return 0;
}

/* A socket address as an address; -1 for other families. */
int
cidr_from_sockaddr(const struct sockaddr *sa, struct cidr *c)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(c, 0, sizeof(*c));
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)(const void *)sa;
		memcpy(c->addr, &sin->sin_addr, 4);
		c->family = AF_INET;
		c->bits = 32;
		return 0;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(c->addr, &sin6->sin6_addr.s6_addr[12], 4);
			c->family = AF_INET;
			c->bits = 32;
		} else {
			memcpy(c->addr, &sin6->sin6_addr, 16);
			c->family = AF_INET6;
			c->bits = 128;
		}
		return 0;
	default:
		return -1;
	}
}

/* The address of c as a socket address (port 0), for the rate limits. */
void
cidr_to_sockaddr(const struct cidr *c, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)(void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (c->family == AF_INET) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, c->addr, 4);
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, c->addr, 16);
	}
}
