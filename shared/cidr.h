/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
#ifndef TOKEND_CIDR_H
#define TOKEND_CIDR_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#define CIDR_LIST_MAX	64	/* networks in one list (trusted-proxy) */

/* An IPv4 or IPv6 network: an address and its prefix length. */
struct cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 addr[16];	/* network byte order */
	int		 bits;
};

const char	*cidr_list_parse(const char *, struct cidr *, size_t,
		    size_t *);
int		 cidr_addr_parse(const char *, size_t, struct cidr *);
int		 cidr_match(const struct cidr *, size_t, const struct cidr *);
int		 cidr_from_sockaddr(const struct sockaddr *, struct cidr *);
void		 cidr_to_sockaddr(const struct cidr *,
		    struct sockaddr_storage *);

#endif /* TOKEND_CIDR_H */
