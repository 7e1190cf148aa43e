/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The worker's cache of verified credentials, and the readers of keyd's
 * answers about a credential.  keyd's answer for a
 * credential, who it is (MSG_AUTH_RESULT) and for /users/me the user
 * as JSON (MSG_USER), is kept under the SHA-256 of the token until the
 * time keyd put in the answer, or until keyd says to forget it
 * (MSG_INVALIDATE).  Only answers keyd made cacheable are kept: AUTH_OK
 * with a "cache until" in the future.  Failures never are, so nobody
 * fills the cache with tokens of their own making.
 *
 * Bounds: CACHE_SETS sets of CACHE_WAYS entries, allocated once; the
 * set is chosen by the key, and in a full set the entry used least
 * recently goes.  The JSON of a user is kept when it is at most
 * CACHE_JSON_MAX bytes and the cache holds at most CACHE_JSON_TOTAL in
 * all; otherwise the entry keeps the accountability alone.  With the
 * JSON goes what forward auth sends of the user (struct cache_names),
 * made from it once when it is kept, so that a cached GET /auth/verify
 * parses nothing; it goes wherever the JSON goes (a new answer, an
 * invalidation).
 *
 * An entry is used only once the channel to keyd was read up to now
 * (frame_chan_poll()) and only while that channel is open: see
 * keyd/invalidate.c for why a revocation then takes effect at once on
 * every worker.  A new channel, or the loss of it, empties the cache.
 * The read is skipped while keyd's push generation (pushgen.h) is the
 * one seen before the last full read: keyd has pushed nothing since.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <jansson.h>

#include "b64url.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"
#include "pushgen.h"
#include "tokend.h"

static struct {
	struct cache_entry	*sets;		/* CACHE_SETS * CACHE_WAYS */
	EVP_MD			*md;
	EVP_MD_CTX		*ctx;		/* cache_key's */
	uint64_t		 clock;		/* for least recently used */
	size_t			 json_total;
	size_t			 entries;
	const struct pushgen	*pushgen;	/* keyd's, read-only; or NULL */
	uint64_t		 seen;		/* its value at the last read */
} cache;

static int	 cache_who_get(const struct msg_who *, struct auth_result *);
static void	 cache_who_set(struct msg_who *, const struct cache_entry *);
static uint64_t	 cache_now(void);
static void	 cache_drop(struct cache_entry *);
static struct cache_entry *cache_slot(const uint8_t *, int);
static void	 cache_set_json(struct cache_entry *, const uint8_t *, size_t);
static void	 cache_drop_json(struct cache_entry *);
static int	 cache_current(struct server *);

/* pushgen_fd: keyd's push generation (-1: none, read before each use). */
void
cache_init(int pushgen_fd)
{
	if (pushgen_fd != -1 &&
	    (cache.pushgen = pushgen_attach(pushgen_fd, 0)) != NULL)
		(void)close(pushgen_fd);
	cache.sets = calloc(CACHE_SETS * CACHE_WAYS, sizeof(*cache.sets));
	if (cache.sets == NULL)
		fatal("cache");
	if ((cache.md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (cache.ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("cache: no SHA-256");
}

/* The key of a token: its SHA-256, over exactly the bytes sent. */
void
cache_key(const void *token, size_t len, uint8_t *key)
{
	unsigned int	 n = 0;

	/* One context, made once: no allocation per request. */
	if (EVP_DigestInit_ex2(cache.ctx, cache.md, NULL) != 1 ||
	    EVP_DigestUpdate(cache.ctx, token, len) != 1 ||
	    EVP_DigestFinal_ex(cache.ctx, key, &n) != 1 || n != CACHE_KEY_LEN)
		fatalx("cache: SHA-256 failed");
}

/*
 * The accountability that starts MSG_AUTH_RESULT and MSG_USER.  Its
 * strings have the bounds of struct auth_result's, so they fit.
 */
static int
cache_who_get(const struct msg_who *w, struct auth_result *ar)
{
	if (w->code >= AUTH_CODE_MAX)
		return -1;
	ar->code = w->code;
	(void)strlcpy(ar->user, w->user, sizeof(ar->user));
	(void)strlcpy(ar->role, w->role, sizeof(ar->role));
	ar->admin = w->admin != 0;
	ar->app = w->app != 0;
	(void)strlcpy(ar->session, w->session, sizeof(ar->session));
	ar->until = w->until;
	/* The ticket names the same user, role and access (keyd's). */
	if (w->ticket.mac_len != 0 && (w->ticket.mac_len !=
	    sizeof(ar->ticket_mac) || strcmp(w->ticket.user, w->user) != 0 ||
	    strcmp(w->ticket.role, w->role) != 0 ||
	    w->ticket.admin != w->admin))
		return -1;
	if (strlcpy(ar->policies, w->ticket.policies, sizeof(ar->policies)) >=
	    sizeof(ar->policies))
		return -1;
	ar->ticket_expires = w->ticket.expires;
	ar->ticket_len = w->ticket.mac_len;
	if (ar->ticket_len != 0)
		memcpy(ar->ticket_mac, w->ticket.mac, ar->ticket_len);
	return 0;
}

/* The ticket of an accountability, as keyd made it, for the item process. */
void
auth_ticket_set(struct msg_ticket *t, const struct auth_result *ar)
{
	memset(t, 0, sizeof(*t));
	t->user = ar->user;
	t->role = ar->role;
	t->policies = ar->policies;
	t->admin = (uint8_t)ar->admin;
	t->expires = ar->ticket_expires;
	t->mac = ar->ticket_len != 0 ? ar->ticket_mac : NULL;
	t->mac_len = ar->ticket_len;
}

/* The same, as keyd would send it for an entry. */
static void
cache_who_set(struct msg_who *w, const struct cache_entry *e)
{
	w->code = AUTH_OK;
	w->user = e->who.user;
	w->role = e->who.role;
	w->admin = (uint8_t)e->who.admin;
	w->app = (uint8_t)e->who.app;
	w->session = e->who.session;
	w->until = e->until;
	auth_ticket_set(&w->ticket, &e->who);
}

/* MSG_AUTH_RESULT: who the request's token belongs to. */
int
auth_result_read(struct frame *f, struct auth_result *ar)
{
	struct msg_auth_result	 m;

	memset(ar, 0, sizeof(*ar));
	if (f != NULL && msg_read(f, MSG_AUTH_RESULT, &m) == 0 &&
	    cache_who_get(&m.who, ar) == 0)
		return 0;
	memset(ar, 0, sizeof(*ar));
	ar->code = AUTH_INTERNAL;
	return -1;
}

/*
 * MSG_USER: who, and the user's JSON (or the reason of a refusal),
 * which stays in the frame.
 */
int
auth_user_read(struct frame *f, struct auth_result *ar,
    const uint8_t **json, size_t *len)
{
	struct msg_user	 m;

	memset(ar, 0, sizeof(*ar));
	if (f != NULL && msg_read(f, MSG_USER, &m) == 0 &&
	    cache_who_get(&m.who, ar) == 0) {
		*json = m.json;
		*len = m.json_len;
		return 0;
	}
	memset(ar, 0, sizeof(*ar));
	ar->code = AUTH_INTERNAL;
	*json = NULL;
	*len = 0;
	return -1;
}

/* Milliseconds since the epoch: the clock keyd's "until" is on. */
static uint64_t
cache_now(void)
{
	return (uint64_t)now_ms(CLOCK_REALTIME);
}

static void
cache_drop(struct cache_entry *e)
{
	if (e->until == 0)
		return;
	cache_drop_json(e);
	explicit_bzero(e, sizeof(*e));
	cache.entries--;
}

/*
 * The entry of key, or NULL; with make, a slot for it: a free one, or
 * the least recently used of its set, emptied.
 */
static struct cache_entry *
cache_slot(const uint8_t *key, int make)
{
	struct cache_entry	*set, *victim = NULL;
	size_t			 i;

	set = cache.sets + (size_t)((key[0] | key[1] << 8 | key[2] << 16) %
	    CACHE_SETS) * CACHE_WAYS;
	for (i = 0; i < CACHE_WAYS; i++) {
		if (set[i].until != 0 &&
		    CRYPTO_memcmp(set[i].key, key, CACHE_KEY_LEN) == 0)
			return &set[i];
		if (victim == NULL || set[i].until == 0 ||
		    (victim->until != 0 && set[i].used < victim->used))
			victim = &set[i];
	}
	if (!make)
		return NULL;
	cache_drop(victim);
	return victim;
}

/*
 * Is the channel to keyd open, with everything keyd pushed before now
 * applied?  It is read up to now unless keyd's push generation is the
 * one read before the last such read (0 for yes).
 */
static int
cache_current(struct server *s)
{
	uint64_t	 gen;

	if (s->keyd == NULL)
		return -1;
	gen = pushgen_read(cache.pushgen);
	if (cache.pushgen != NULL && gen == cache.seen)
		return 0;
	if (frame_chan_poll(s->keyd) == -1 || s->keyd == NULL)
		return -1;
	cache.seen = gen;
	return 0;
}

/*
 * The live entry of a key, after everything keyd has sent was read;
 * NULL when there is none or the channel to keyd is not open.
 */
const struct cache_entry *
cache_find(struct server *s, const uint8_t *key)
{
	struct cache_entry	*e;

	if (cache.entries == 0 || cache_current(s) == -1)
		return NULL;
	if ((e = cache_slot(key, 0)) == NULL) {
		metrics_count(METRIC_CACHE_MISS);
		return NULL;
	}
	if (cache_now() >= e->until) {
		cache_drop(e);
		metrics_count(METRIC_CACHE_MISS);
		return NULL;
	}
	e->used = ++cache.clock;
	metrics_count(METRIC_CACHE_HIT);
	return e;
}

/*
 * The names of an entry's JSON, made when forward auth first wants
 * them (most entries are never asked: a JSON parse less on each cold
 * answer kept): 0, or -1 (no JSON, or one that does not parse).
 */
static int
cache_names(struct cache_entry *e)
{
	if (e->names != NULL)
		return 0;
	if (e->json == NULL ||
	    (e->names = malloc(sizeof(*e->names))) == NULL)
		return -1;
	if (cache_names_make((const uint8_t *)e->json, e->jsonlen,
	    e->names) == -1) {
		freezero(e->names, sizeof(*e->names));
		e->names = NULL;
		return -1;
	}
	return 0;
}

/*
 * cache_find for forward auth: the live entry of a key when it holds
 * the user's names, else NULL and nothing counted nor dropped, so that
 * the request then goes the way of every other (auth_authenticate).
 */
const struct cache_entry *
cache_find_names(struct server *s, const uint8_t *key)
{
	struct cache_entry	*e;

	if (cache.entries == 0 || cache_current(s) == -1 ||
	    (e = cache_slot(key, 0)) == NULL || cache_now() >= e->until ||
	    cache_names(e) == -1)
		return NULL;
	e->used = ++cache.clock;
	metrics_count(METRIC_CACHE_HIT);
	return e;
}

/*
 * A value as forward auth sends it: at most len - 1 bytes of value,
 * each control character a blank (a name is the user's own to write).
 */
void
cache_clean(char *out, size_t len, const char *value)
{
	size_t	 i;

	for (i = 0; value[i] != '\0' && i < len - 1; i++)
		out[i] = (unsigned char)value[i] < 0x20 || value[i] == 0x7f ?
		    ' ' : value[i];
	out[i] = '\0';
}

/*
 * What forward auth sends of the user of this JSON: its email, and
 * "first last" (either alone when the other is not a string).  -1 when
 * the JSON does not parse.
 */
int
cache_names_make(const uint8_t *json, size_t len, struct cache_names *n)
{
	json_t		*user;
	const char	*email, *first, *last;
	char		 name[CACHE_NAME_MAX];

	if ((user = json_loadb((const char *)json, len, 0, NULL)) == NULL)
		return -1;
	email = json_string_value(json_object_get(user, "email"));
	first = json_string_value(json_object_get(user, "first_name"));
	last = json_string_value(json_object_get(user, "last_name"));
	(void)snprintf(name, sizeof(name), "%s%s%s", first != NULL ? first :
	    "", first != NULL && last != NULL ? " " : "",
	    last != NULL ? last : "");
	n->has_email = email != NULL;
	cache_clean(n->email, sizeof(n->email), email != NULL ? email : "");
	cache_clean(n->name, sizeof(n->name), name);
	json_decref(user);
	return 0;
}

/* The entry's JSON and names, gone. */
static void
cache_drop_json(struct cache_entry *e)
{
	if (e->json != NULL) {
		cache.json_total -= e->jsonlen;
		freezero(e->json, e->jsonlen + 1);
		e->json = NULL;
		e->jsonlen = 0;
	}
	if (e->names != NULL) {
		freezero(e->names, sizeof(*e->names));
		e->names = NULL;
	}
}

/*
 * The user's JSON; its names come later (cache_names(): a JSON that
 * does not parse has none, and forward auth then reads it as keyd's
 * answer, and refuses it the same way).
 */
static void
cache_set_json(struct cache_entry *e, const uint8_t *json, size_t len)
{
	cache_drop_json(e);
	if (len == 0 || len > CACHE_JSON_MAX ||
	    cache.json_total + len > CACHE_JSON_TOTAL ||
	    (e->json = malloc(len + 1)) == NULL)
		return;
	memcpy(e->json, json, len);
	e->json[len] = '\0';
	e->jsonlen = len;
	cache.json_total += len;
}

/*
 * Keep keyd's answer (MSG_AUTH_RESULT or MSG_USER) for the credential
 * of key, if keyd made it cacheable.  The answer to MSG_USER_GET brings
 * the user's JSON along; a MSG_AUTH_RESULT keeps what JSON the entry
 * has, which no invalidation has dropped since.
 */
void
cache_store(const uint8_t *key, struct frame *f)
{
	struct auth_result	 ar;
	struct cache_entry	*e;
	const uint8_t		*json = NULL;
	uint8_t			 session[CACHE_KEY_LEN];
	size_t			 len = 0, n;

	if (f->hdr.type == MSG_AUTH_RESULT) {
		if (auth_result_read(f, &ar) == -1)
			return;
	} else if (f->hdr.type != MSG_USER ||
	    auth_user_read(f, &ar, &json, &len) == -1)
		return;
	if (ar.code != AUTH_OK || ar.until <= cache_now())
		return;
	/*
	 * A session-mode answer names its session as the JWT does: the
	 * base64url of the SHA-256 of the session's refresh token, which
	 * is the key of INVALIDATE_SESSION.  One that names none is not
	 * kept, since no invalidation could reach it.
	 */
	if (ar.session[0] != '\0' && (b64url_decode(ar.session,
	    strlen(ar.session), session, sizeof(session), &n) == -1 ||
	    n != sizeof(session)))
		return;
	if ((e = cache_slot(key, 1))->until == 0) {
		memcpy(e->key, key, CACHE_KEY_LEN);
		cache.entries++;
	}
	e->who = ar;
	e->until = ar.until;
	e->used = ++cache.clock;
	if (ar.session[0] != '\0')
		memcpy(e->session, session, sizeof(e->session));
	if (json != NULL)
		cache_set_json(e, json, len);
	explicit_bzero(&ar, sizeof(ar));
}

/* Does MSG_INVALIDATE (kind, key) cover this entry? */
static int
cache_covers(const struct cache_entry *e, uint8_t kind, const uint8_t *key,
    size_t len)
{
	switch (kind) {
	case INVALIDATE_USER:
		return strlen(e->who.user) == len &&
		    memcmp(e->who.user, key, len) == 0;
	case INVALIDATE_SESSION:
		return e->who.session[0] != '\0' && len == CACHE_KEY_LEN &&
		    memcmp(e->session, key, CACHE_KEY_LEN) == 0;
	case INVALIDATE_SESSIONS:
		return e->who.session[0] != '\0';
	default:
		return 1;
	}
}

/* MSG_INVALIDATE: -1 when malformed. */
int
cache_invalidate(struct frame *f)
{
	struct msg_invalidate	 m;
	size_t			 i;

	if (msg_read(f, MSG_INVALIDATE, &m) == -1 || m.kind == 0 ||
	    m.kind >= INVALIDATE_KIND_MAX)
		return -1;
	if (m.kind == INVALIDATE_ALL) {
		cache_flush();
		return 0;
	}
	for (i = 0; i < CACHE_SETS * CACHE_WAYS && cache.entries > 0; i++)
		if (cache.sets[i].until != 0 &&
		    cache_covers(&cache.sets[i], m.kind, m.key, m.key_len))
			cache_drop(&cache.sets[i]);
	return 0;
}

void
cache_flush(void)
{
	size_t	 i;

	for (i = 0; i < CACHE_SETS * CACHE_WAYS && cache.entries > 0; i++)
		cache_drop(&cache.sets[i]);
}

/*
 * The payload keyd would have sent for a request of type (MSG_AUTH or
 * MSG_USER_GET), from an entry: -1 when the entry cannot answer it (no
 * JSON for MSG_USER_GET).  *answer is the type of the answer.
 */
int
cache_answer(const struct cache_entry *e, uint32_t type,
    struct frame_buf *fb, uint32_t *answer)
{
	struct msg_auth_result	 ar;
	struct msg_user		 user;

	if (type == MSG_USER_GET && e->json == NULL)
		return -1;
	if (type == MSG_AUTH) {
		cache_who_set(&ar.who, e);
		(void)msg_write(fb, MSG_AUTH_RESULT, &ar);
	} else if (type == MSG_USER_GET) {
		cache_who_set(&user.who, e);
		user.json = (const uint8_t *)e->json;
		user.json_len = e->jsonlen;
		(void)msg_write(fb, MSG_USER, &user);
	} else
		return -1;
	*answer = msg_answer(type);
	return 0;
}
