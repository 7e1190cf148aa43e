/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The MAC of an accountability ticket: HMAC-SHA256 over a fixed label
 * and each field with its length, so that no two tickets share an input.
 */
#include <sys/types.h>

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "log.h"
#include "proto.h"
#include "ticket.h"

#define TICKET_LABEL		"tokend ticket 2"
#define TICKET_INPUT_MAX	(sizeof(TICKET_LABEL) + 2 * (4 + 64) + 1 + 8 + \
				    4 + AUTH_POLICIES_MAX)

/*
 * HMAC-SHA256 keyed once per key and copied for each ticket: HMAC()
 * fetched the algorithms and keyed a new context on every call, 7% of
 * keyd's work on a cold /users/me (bench/README.md).  A process holds one
 * ticket key (and ticket_init()'s zeros before it).
 */
static struct {
	EVP_MAC_CTX	*ctx;
	uint8_t		 key[TICKET_KEY_LEN];
} ticket_hmac;

static EVP_MAC_CTX *ticket_keyed(const uint8_t *);
static void	 ticket_put(uint8_t *, size_t *, const void *, size_t);
static void	 ticket_mac(const uint8_t *, const struct msg_ticket *,
		    uint8_t *);

static void
ticket_put(uint8_t *buf, size_t *off, const void *p, size_t len)
{
	memcpy(buf + *off, p, len);
	*off += len;
}

static void
ticket_mac(const uint8_t *key, const struct msg_ticket *t, uint8_t *mac)
{
	uint8_t		 in[TICKET_INPUT_MAX], be[8];
	uint32_t	 n;
	EVP_MAC_CTX	*ctx;
	size_t		 off = 0, ulen, rlen, plen, maclen = 0;
	int		 i;

	ulen = strnlen(t->user, 64);
	rlen = strnlen(t->role, 64);
	plen = t->policies != NULL ? strnlen(t->policies,
	    AUTH_POLICIES_MAX + 1) : 0;
	if (ulen >= 64 || rlen >= 64 || plen > AUTH_POLICIES_MAX)
		fatalx("ticket: a field out of bounds");
	ticket_put(in, &off, TICKET_LABEL, sizeof(TICKET_LABEL));
	n = (uint32_t)ulen;
	ticket_put(in, &off, &n, sizeof(n));
	ticket_put(in, &off, t->user, ulen);
	n = (uint32_t)rlen;
	ticket_put(in, &off, &n, sizeof(n));
	ticket_put(in, &off, t->role, rlen);
	ticket_put(in, &off, &t->admin, 1);
	for (i = 0; i < 8; i++)
		be[i] = (uint8_t)(t->expires >> (56 - 8 * i));
	ticket_put(in, &off, be, sizeof(be));
	n = (uint32_t)plen;
	ticket_put(in, &off, &n, sizeof(n));
	if (plen > 0)
		ticket_put(in, &off, t->policies, plen);
	if ((ctx = EVP_MAC_CTX_dup(ticket_keyed(key))) == NULL ||
	    EVP_MAC_update(ctx, in, off) != 1 ||
	    EVP_MAC_final(ctx, mac, &maclen, TICKET_MAC_LEN) != 1 ||
	    maclen != TICKET_MAC_LEN)
		fatalx("ticket: HMAC failed");
	EVP_MAC_CTX_free(ctx);
	explicit_bzero(in, sizeof(in));
}

/* The context keyed with key, made when the key is not the last one. */
static EVP_MAC_CTX *
ticket_keyed(const uint8_t *key)
{
	EVP_MAC		*m;
	EVP_MAC_CTX	*ctx;
	OSSL_PARAM	 params[2];

	if (ticket_hmac.ctx != NULL &&
	    CRYPTO_memcmp(key, ticket_hmac.key, TICKET_KEY_LEN) == 0)
		return ticket_hmac.ctx;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((m = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		fatalx("ticket: no HMAC");
	ctx = EVP_MAC_CTX_new(m);
	EVP_MAC_free(m);
	if (ctx == NULL || EVP_MAC_init(ctx, key, TICKET_KEY_LEN,
	    params) != 1)
		fatalx("ticket: HMAC key failed");
	EVP_MAC_CTX_free(ticket_hmac.ctx);
	ticket_hmac.ctx = ctx;
	memcpy(ticket_hmac.key, key, TICKET_KEY_LEN);
	return ctx;
}

/*
 * Before the sandbox: OpenSSL sets itself up on first use (pthread_once,
 * whose futex the item process's filter refuses), so use it once now.
 */
void
ticket_init(void)
{
	struct msg_ticket	 t;
	uint8_t			 key[TICKET_KEY_LEN], mac[TICKET_MAC_LEN];

	memset(&t, 0, sizeof(t));
	memset(key, 0, sizeof(key));
	t.user = "";
	t.role = "";
	t.policies = "";
	ticket_sign(key, &t, mac);
	(void)ticket_check(key, &t, 0);
}

/* keyd: set t->mac (pointing into buf, TICKET_MAC_LEN bytes). */
void
ticket_sign(const uint8_t *key, struct msg_ticket *t, uint8_t *buf)
{
	ticket_mac(key, t, buf);
	t->mac = buf;
	t->mac_len = TICKET_MAC_LEN;
}

/*
 * The item process: is the ticket keyd's and still good at now (ms since
 * the epoch, with TICKET_GRACE_MS)?  No MAC at all is no ticket.  The MAC is compared in
 * constant time, and before the expiry, so that a forged ticket is
 * never told apart from an old one by its answer.
 */
enum ticket_status
ticket_check(const uint8_t *key, const struct msg_ticket *t, int64_t now)
{
	uint8_t	 mac[TICKET_MAC_LEN];
	int	 same;

	if (t->mac_len == 0)
		return TICKET_NONE;
	if (t->mac_len != TICKET_MAC_LEN || key == NULL)
		return TICKET_BAD;
	ticket_mac(key, t, mac);
	same = CRYPTO_memcmp(mac, t->mac, TICKET_MAC_LEN) == 0;
	explicit_bzero(mac, sizeof(mac));
	if (!same)
		return TICKET_BAD;
	if (now < 0 || (uint64_t)now >= t->expires + TICKET_GRACE_MS)
		return TICKET_EXPIRED;
	return TICKET_OK;
}
