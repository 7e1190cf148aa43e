/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Accountability tickets.  keyd hands a worker, with each credential it
 * verifies, a ticket saying who the credential is (user, role, admin
 * access) until when; the worker passes it unchanged to its item
 * process, which believes it only if its MAC is right under the key
 * that keyd made at start and sent the item processes over their own
 * channels.  The worker never sees the key, so it cannot make or change
 * a ticket: it can only replay one it got, until it expires.
 */
#ifndef TOKEND_TICKET_H
#define TOKEND_TICKET_H

#include <stdint.h>

#include "proto.h"

/* How long keyd makes a ticket good for, at most (ms). */
#define TICKET_TTL_MS		30000
/*
 * How long past its expiry the item process still takes it: a worker
 * uses what it cached until the expiry, and its request may arrive a
 * moment later.
 */
#define TICKET_GRACE_MS		1000

enum ticket_status {
	TICKET_OK = 0,
	TICKET_NONE,		/* no ticket: the public role */
	TICKET_BAD,		/* a MAC that is wrong, or a malformed one */
	TICKET_EXPIRED,
};

/* ticket.c */
void		 ticket_init(void);
void		 ticket_sign(const uint8_t *, struct msg_ticket *,
		    uint8_t *);
enum ticket_status ticket_check(const uint8_t *, const struct msg_ticket *,
		    int64_t);

#endif /* TOKEND_TICKET_H */
