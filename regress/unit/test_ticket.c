/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Unit tests for shared/ticket.c: a ticket keyd signs is good until it
 * expires; any change to any field, another key, a cut MAC or none at
 * all is told apart.
 */
#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "proto.h"
#include "regress.h"
#include "ticket.h"

#define NOW	1700000000000LL
#define USER	"5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60"
#define ROLE	"6b4d1f9f-3c2e-4d7f-8a8b-2c3d4e5f6071"

static uint8_t	 key[TICKET_KEY_LEN], other[TICKET_KEY_LEN];

static void
signed_ticket(struct msg_ticket *t, uint8_t *mac)
{
	memset(t, 0, sizeof(*t));
	t->user = USER;
	t->role = ROLE;
	t->admin = 0;
	t->expires = NOW + 1000;
	ticket_sign(key, t, mac);
}

int
main(void)
{
	struct msg_ticket	 t;
	uint8_t			 mac[TICKET_MAC_LEN], copy[TICKET_MAC_LEN];

	memset(key, 0x5a, sizeof(key));
	memset(other, 0x5a, sizeof(other));
	other[31] ^= 1;
	ticket_init();

	signed_ticket(&t, mac);
	CHECK("ticket: good before it expires, and for the grace after",
	    ticket_check(key, &t, NOW) == TICKET_OK &&
	    ticket_check(key, &t, NOW + 999) == TICKET_OK &&
	    ticket_check(key, &t, NOW + 999 + TICKET_GRACE_MS) == TICKET_OK);
	CHECK("ticket: expired once the grace is over",
	    ticket_check(key, &t, NOW + 1000 + TICKET_GRACE_MS) ==
	    TICKET_EXPIRED &&
	    ticket_check(key, &t, NOW + 86400000) == TICKET_EXPIRED);
	CHECK("ticket: a negative clock is no good",
	    ticket_check(key, &t, -1) == TICKET_EXPIRED);
	CHECK("ticket: another key", ticket_check(other, &t, NOW) ==
	    TICKET_BAD);

	signed_ticket(&t, mac);
	t.admin = 1;
	CHECK("ticket: admin claimed", ticket_check(key, &t, NOW) ==
	    TICKET_BAD);
	signed_ticket(&t, mac);
	t.role = "";
	CHECK("ticket: role dropped", ticket_check(key, &t, NOW) ==
	    TICKET_BAD);
	signed_ticket(&t, mac);
	t.user = "5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f61";
	CHECK("ticket: another user", ticket_check(key, &t, NOW) ==
	    TICKET_BAD);
	signed_ticket(&t, mac);
	t.expires += 1;
	CHECK("ticket: later expiry", ticket_check(key, &t, NOW) ==
	    TICKET_BAD);
	/* The length prefixes: user "ab", role "c" is not "a", "bc". */
	memset(&t, 0, sizeof(t));
	t.user = "ab";
	t.role = "c";
	t.expires = NOW + 1000;
	ticket_sign(key, &t, mac);
	t.user = "a";
	t.role = "bc";
	CHECK("ticket: fields do not run into each other",
	    ticket_check(key, &t, NOW) == TICKET_BAD);

	signed_ticket(&t, mac);
	memcpy(copy, mac, sizeof(copy));
	copy[TICKET_MAC_LEN - 1] ^= 0x80;
	t.mac = copy;
	CHECK("ticket: one bit of the MAC", ticket_check(key, &t, NOW) ==
	    TICKET_BAD);
	signed_ticket(&t, mac);
	t.mac_len = TICKET_MAC_LEN - 1;
	CHECK("ticket: a short MAC", ticket_check(key, &t, NOW) ==
	    TICKET_BAD);
	signed_ticket(&t, mac);
	t.mac_len = 0;
	CHECK("ticket: no MAC is no ticket", ticket_check(key, &t, NOW) ==
	    TICKET_NONE);
	signed_ticket(&t, mac);
	CHECK("ticket: no key, no trust", ticket_check(NULL, &t, NOW) ==
	    TICKET_BAD);
	return regress_exit();
}
