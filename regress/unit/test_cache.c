/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Unit tests for server/cache.c: what is kept and what never is, expiry,
 * the bounds (sets, least recently used, JSON budget), invalidations,
 * the user's names forward auth sends (made from the JSON when first
 * asked, anew with each JSON, gone with it), and that a lookup first
 * reads what keyd wrote: an invalidation that sits in the socket, the
 * event loop never having run, already counts, once keyd moved its push
 * generation on (and only then: the read is skipped while it stays),
 * which the worker can read and never write.
 */
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../server/tokend.h"
#include "b64url.h"
#include "jwt.h"
#include "log.h"
#include "proto.h"
#include "pushgen.h"
#include "regress.h"

#define UID_A	"11111111-1111-4111-8111-111111111111"
#define UID_B	"22222222-2222-4222-8222-222222222222"
/* A session's refresh token; keyd names the session by its SHA-256. */
#define REFRESH	"S123456789012345678901234567890123456789012345678901234567890123"

static struct server	 srv;
static int		 peer = -1;	/* keyd's end */
static struct pushgen	*gen;		/* keyd's writable view */
static int		 gen_ro = -1;	/* a worker's descriptor of it */

static int
test_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	if (f->hdr.type == MSG_INVALIDATE)
		return cache_invalidate(f);
	return -1;
}

static void
test_closed(struct frame_chan *chan, void *arg)
{
	cache_flush();
	frame_chan_free(srv.keyd);
	srv.keyd = NULL;
}

/* keyd's "until" is on the epoch's clock. */
#define EPOCH_MS()	((uint64_t)now_ms(CLOCK_REALTIME))

/* A keyd answer: MSG_AUTH_RESULT, or MSG_USER when json is not NULL. */
static void
answer(struct frame *f, struct frame_buf *fb, uint32_t code, const char *user,
    const char *session, uint64_t until, const char *json)
{
	frame_buf_init(fb, PROTO_KEYD_MAX);
	frame_buf_u32(fb, code);
	frame_buf_str(fb, user);
	frame_buf_str(fb, "");
	frame_buf_u8(fb, 0);
	frame_buf_u8(fb, 1);
	frame_buf_str(fb, session);
	frame_buf_u64(fb, until);
	/* The ticket: none in these tests. */
	frame_buf_str(fb, "");
	frame_buf_str(fb, "");
	frame_buf_u8(fb, 0);
	frame_buf_u64(fb, 0);
	frame_buf_blob(fb, NULL, 0);
	frame_buf_str(fb, "");		/* the user's own policies */
	if (json != NULL)
		frame_buf_str(fb, json);
	memset(f, 0, sizeof(*f));
	f->hdr.type = json != NULL ? MSG_USER : MSG_AUTH_RESULT;
	f->hdr.len = fb->len;
	f->data = fb->data;
}

static void
store(const uint8_t *key, uint32_t code, const char *user,
    const char *session, uint64_t until, const char *json)
{
	struct frame_buf	 fb;
	struct frame		 f;

	answer(&f, &fb, code, user, session, until, json);
	cache_store(key, &f);
	frame_buf_free(&fb);
}

static void
key_of(const char *token, uint8_t *key)
{
	cache_key(token, strlen(token), key);
}

/*
 * keyd writes an invalidation and, when bump, moves its push generation
 * on as keyd_push() does; the worker's loop does not run.
 */
static void
push_only(uint8_t kind, const void *key, size_t len, int bump)
{
	struct frame_buf	 fb;

	frame_buf_init(&fb, 128);
	frame_buf_u8(&fb, kind);
	frame_buf_blob(&fb, key, len);
	if (frame_write_blocking(peer, MSG_INVALIDATE, 0, -1, fb.data,
	    fb.len) == -1)
		abort();
	frame_buf_free(&fb);
	if (bump)
		pushgen_bump(gen);
}

static void
push(uint8_t kind, const void *key, size_t len)
{
	push_only(kind, key, len, 1);
}

static void
test_store(void)
{
	uint8_t			 k1[CACHE_KEY_LEN], k2[CACHE_KEY_LEN];
	const struct cache_entry *e;
	struct frame_buf	 fb;
	struct frame		 f;
	struct auth_result	 ar;
	const uint8_t		*json;
	size_t			 len;
	uint32_t		 type;
	uint64_t		 later = EPOCH_MS() + 60000;

	key_of("token-one", k1);
	key_of("token-two", k2);
	CHECK("cache_empty", cache_find(&srv, k1) == NULL);
	store(k1, AUTH_INVALID_CREDENTIALS, "", "", 0, NULL);
	store(k1, AUTH_OK, UID_A, "", 0, NULL);
	store(k1, AUTH_OK, UID_A, "", EPOCH_MS() - 1, NULL);
	CHECK("cache_failures_and_uncacheable_not_kept",
	    cache_find(&srv, k1) == NULL);
	store(k1, AUTH_OK, UID_A, "", later, NULL);
	e = cache_find(&srv, k1);
	CHECK("cache_kept", e != NULL && strcmp(e->who.user, UID_A) == 0 &&
	    e->who.app == 1 && e->who.admin == 0 && e->until == later);
	CHECK("cache_other_key_misses", cache_find(&srv, k2) == NULL);
	CHECK("cache_no_json_no_user_answer", e != NULL &&
	    cache_answer(e, MSG_USER_GET, &fb, &type) == -1);
	CHECK("cache_auth_answer", e != NULL &&
	    cache_answer(e, MSG_AUTH, &fb, &type) == 0 &&
	    type == MSG_AUTH_RESULT);
	if (e != NULL && type == MSG_AUTH_RESULT) {
		memset(&f, 0, sizeof(f));
		f.hdr.type = type;
		f.hdr.len = fb.len;
		f.data = fb.data;
		CHECK("cache_auth_answer_reads_back", auth_result_read(&f,
		    &ar) == 0 && ar.code == AUTH_OK &&
		    strcmp(ar.user, UID_A) == 0 && ar.until == later);
		frame_buf_free(&fb);
	}
	store(k1, AUTH_OK, UID_A, "", later, "{\"id\":\"" UID_A "\"}");
	e = cache_find(&srv, k1);
	CHECK("cache_user_answer", e != NULL &&
	    cache_answer(e, MSG_USER_GET, &fb, &type) == 0 && type == MSG_USER);
	if (e != NULL && type == MSG_USER) {
		f.hdr.type = type;
		f.hdr.len = fb.len;
		f.data = fb.data;
		CHECK("cache_user_answer_reads_back", auth_user_read(&f, &ar,
		    &json, &len) == 0 && ar.code == AUTH_OK &&
		    len == strlen("{\"id\":\"" UID_A "\"}") &&
		    memcmp(json, "{\"id\":\"" UID_A "\"}", len) == 0);
		frame_buf_free(&fb);
	}
	store(k1, AUTH_OK, UID_A, "", later, NULL);
	e = cache_find(&srv, k1);
	CHECK("cache_auth_answer_keeps_json", e != NULL && e->json != NULL);
	cache_flush();
	CHECK("cache_flush", cache_find(&srv, k1) == NULL);
}

static void
test_expiry(void)
{
	uint8_t		 k[CACHE_KEY_LEN];
	struct timespec	 ts = { 0, 80 * 1000000 };

	key_of("short-lived", k);
	store(k, AUTH_OK, UID_A, "", EPOCH_MS() + 50, NULL);
	CHECK("cache_before_until", cache_find(&srv, k) != NULL);
	nanosleep(&ts, NULL);
	CHECK("cache_not_from_until_on", cache_find(&srv, k) == NULL);
}

static void
test_invalidate(void)
{
	uint8_t		 ka[CACHE_KEY_LEN], kb[CACHE_KEY_LEN];
	uint8_t		 ks[CACHE_KEY_LEN], hash[CACHE_KEY_LEN];
	char		 sid[JWT_SESSION_LEN + 1];
	uint64_t	 later = EPOCH_MS() + 60000;
	struct frame	 f;
	uint8_t		 bad[] = { 0x7f, 0, 0, 0, 0 };

	key_of("a", ka);
	key_of("b", kb);
	key_of("session-jwt", ks);
	key_of(REFRESH, hash);
	sid[b64url_encode(hash, sizeof(hash), sid, sizeof(sid))] = '\0';
	/* A session that names no session key could not be invalidated. */
	store(ks, AUTH_OK, UID_B, REFRESH, later, NULL);
	CHECK("cache_unnamed_session_not_kept", cache_find(&srv, ks) == NULL);
	store(ka, AUTH_OK, UID_A, "", later, NULL);
	store(kb, AUTH_OK, UID_B, "", later, NULL);
	store(ks, AUTH_OK, UID_B, sid, later, NULL);
	push(INVALIDATE_USER, UID_A, strlen(UID_A));
	CHECK("cache_user_invalidated_before_the_loop_runs",
	    cache_find(&srv, ka) == NULL);
	CHECK("cache_other_user_kept", cache_find(&srv, kb) != NULL);
	key_of(REFRESH "x", hash);
	push(INVALIDATE_SESSION, hash, sizeof(hash));
	CHECK("cache_other_session_kept", cache_find(&srv, ks) != NULL);
	key_of(REFRESH, hash);
	push(INVALIDATE_SESSION, hash, sizeof(hash));
	CHECK("cache_session_invalidated", cache_find(&srv, ks) == NULL &&
	    cache_find(&srv, kb) != NULL);
	store(ks, AUTH_OK, UID_B, sid, later, NULL);
	push(INVALIDATE_SESSIONS, NULL, 0);
	CHECK("cache_sessions_invalidated", cache_find(&srv, ks) == NULL &&
	    cache_find(&srv, kb) != NULL);
	push(INVALIDATE_ALL, NULL, 0);
	CHECK("cache_all_invalidated", cache_find(&srv, kb) == NULL);
	memset(&f, 0, sizeof(f));
	f.hdr.type = MSG_INVALIDATE;
	f.hdr.len = sizeof(bad);
	f.data = bad;
	CHECK("cache_bad_invalidation_refused", cache_invalidate(&f) == -1);
}

/* Keys of one set: the set comes from the first three bytes. */
static void
test_bounds(void)
{
	uint8_t		 k[CACHE_WAYS + 1][CACHE_KEY_LEN];
	uint64_t	 later = EPOCH_MS() + 60000;
	char		*big;
	int		 i, kept;

	for (i = 0; i <= CACHE_WAYS; i++) {
		memset(k[i], 0, CACHE_KEY_LEN);
		k[i][31] = (uint8_t)i;
	}
	for (i = 0; i < CACHE_WAYS; i++)
		store(k[i], AUTH_OK, UID_A, "", later, NULL);
	/* Use all but the first: it is the least recently used. */
	for (i = 1; i < CACHE_WAYS; i++)
		(void)cache_find(&srv, k[i]);
	store(k[CACHE_WAYS], AUTH_OK, UID_B, "", later, NULL);
	for (i = 0, kept = 0; i <= CACHE_WAYS; i++)
		kept += cache_find(&srv, k[i]) != NULL;
	CHECK("cache_set_bounded", kept == CACHE_WAYS);
	CHECK("cache_lru_evicted", cache_find(&srv, k[0]) == NULL &&
	    cache_find(&srv, k[CACHE_WAYS]) != NULL);
	if ((big = malloc(CACHE_JSON_MAX + 2)) == NULL)
		abort();
	memset(big, 'x', CACHE_JSON_MAX + 1);
	big[CACHE_JSON_MAX + 1] = '\0';
	store(k[1], AUTH_OK, UID_A, "", later, big);
	CHECK("cache_big_json_not_kept", cache_find(&srv, k[1]) != NULL &&
	    cache_find(&srv, k[1])->json == NULL);
	free(big);
	cache_flush();
}

/* What forward auth sends, made once from the JSON when first asked. */
static void
test_names(void)
{
	uint8_t			 k[CACHE_KEY_LEN];
	const struct cache_entry *e;
	uint64_t		 later = EPOCH_MS() + 60000;

	key_of("forward-auth", k);
	store(k, AUTH_OK, UID_A, "", later, NULL);
	CHECK("cache_names_none_without_json",
	    cache_find_names(&srv, k) == NULL && cache_find(&srv, k) != NULL);
	store(k, AUTH_OK, UID_A, "", later, "{\"email\":\"old@example.com\","
	    "\"first_name\":\"An\\u0001na\",\"last_name\":\"Old\"}");
	CHECK("cache_names_not_before_asked", (e = cache_find(&srv, k)) !=
	    NULL && e->json != NULL && e->names == NULL);
	e = cache_find_names(&srv, k);
	CHECK("cache_names_made", e != NULL && e->names != NULL &&
	    e->names->has_email &&
	    strcmp(e->names->email, "old@example.com") == 0 &&
	    strcmp(e->names->name, "An na Old") == 0);
	/* A MSG_AUTH_RESULT keeps the JSON, and so its names. */
	store(k, AUTH_OK, UID_A, "", later, NULL);
	e = cache_find_names(&srv, k);
	CHECK("cache_names_kept_with_json", e != NULL &&
	    strcmp(e->names->email, "old@example.com") == 0);
	/* A new JSON for the same key: the names are its own. */
	store(k, AUTH_OK, UID_A, "", later, "{\"email\":\"new@example.com\","
	    "\"first_name\":null,\"last_name\":\"New\"}");
	e = cache_find_names(&srv, k);
	CHECK("cache_names_follow_json", e != NULL &&
	    strcmp(e->names->email, "new@example.com") == 0 &&
	    strcmp(e->names->name, "New") == 0);
	/* Invalidated (an email change, a suspension): gone with it. */
	push(INVALIDATE_USER, UID_A, strlen(UID_A));
	CHECK("cache_names_invalidated", cache_find_names(&srv, k) == NULL &&
	    cache_find(&srv, k) == NULL);
	store(k, AUTH_OK, UID_A, "", later, "{\"email\":\"third@example.com\","
	    "\"first_name\":\"Tess\"}");
	e = cache_find_names(&srv, k);
	CHECK("cache_names_after_invalidation", e != NULL &&
	    strcmp(e->names->email, "third@example.com") == 0 &&
	    strcmp(e->names->name, "Tess") == 0);
	store(k, AUTH_OK, UID_A, "", later, "{\"first_name\":\"No\","
	    "\"last_name\":\"Mail\"}");
	e = cache_find_names(&srv, k);
	CHECK("cache_names_no_email", e != NULL && !e->names->has_email &&
	    e->names->email[0] == '\0' &&
	    strcmp(e->names->name, "No Mail") == 0);
	/* A JSON that does not parse is kept alone, for keyd's reading. */
	store(k, AUTH_OK, UID_A, "", later, "{\"email\":");
	CHECK("cache_names_none_for_bad_json",
	    cache_find_names(&srv, k) == NULL &&
	    (e = cache_find(&srv, k)) != NULL && e->json != NULL);
	cache_flush();
}

/*
 * The push generation: the channel is read only when it moved on, and
 * a worker's descriptor gives no mapping that could write it.
 */
static void
test_pushgen(void)
{
	uint8_t		 k[CACHE_KEY_LEN];
	struct pushgen	*view;
	uint64_t	 before = pushgen_read(gen);

	key_of("kept-until-keyd-bumps", k);
	store(k, AUTH_OK, UID_A, "", EPOCH_MS() + 60000, NULL);
	CHECK("pushgen_entry", cache_find(&srv, k) != NULL);
	push_only(INVALIDATE_USER, UID_A, strlen(UID_A), 0);
	CHECK("pushgen_read_skipped_while_it_stays",
	    cache_find(&srv, k) != NULL);
	pushgen_bump(gen);
	CHECK("pushgen_read_once_it_moved", cache_find(&srv, k) == NULL &&
	    pushgen_read(gen) == before + 1);
	CHECK("pushgen_worker_cannot_map_it_writable",
	    pushgen_attach(gen_ro, 1) == NULL);
	view = pushgen_attach(gen_ro, 0);
	CHECK("pushgen_worker_view", view != NULL &&
	    pushgen_read(view) == pushgen_read(gen));
	CHECK("pushgen_worker_view_stays_read_only", view != NULL &&
	    mprotect(view, sizeof(*view), PROT_READ | PROT_WRITE) == -1);
	CHECK("pushgen_not_a_page", pushgen_attach(peer, 0) == NULL);
}

static void
test_closed_channel(void)
{
	uint8_t		 k[CACHE_KEY_LEN];

	key_of("kept-until-keyd-leaves", k);
	store(k, AUTH_OK, UID_A, "", EPOCH_MS() + 60000, NULL);
	CHECK("cache_before_close", cache_find(&srv, k) != NULL);
	close(peer);
	pushgen_bump(gen);	/* the parent, once keyd ended */
	CHECK("cache_nothing_once_keyd_left", cache_find(&srv, k) == NULL &&
	    srv.keyd == NULL);
	CHECK("cache_nothing_without_keyd", cache_find(&srv, k) == NULL);
}

int
main(void)
{
	int	 sp[2], rw, ro;

	log_init(1, LOG_DAEMON);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 ||
	    (srv.base = event_base_new()) == NULL)
		abort();
	srv.keyd = frame_chan_new(srv.base, sp[0], PROTO_KEYD_MAX,
	    test_dispatch, test_closed, NULL, "keyd");
	if (srv.keyd == NULL)
		abort();
	peer = sp[1];
	if ((gen = pushgen_create(&rw, &ro)) == NULL ||
	    (gen_ro = dup(ro)) == -1)
		abort();
	cache_init(ro);
	test_store();
	test_expiry();
	test_invalidate();
	test_bounds();
	test_names();
	test_pushgen();
	test_closed_channel();
	return regress_exit();
}
