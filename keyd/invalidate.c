/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Invalidations.  A worker keeps keyd's answer for a credential
 * (MSG_AUTH_RESULT, MSG_USER to MSG_USER_GET) until the "cache until"
 * keyd put in it, unless keyd tells it to forget it first.  Whatever
 * changes a user or a session calls one of the functions below after
 * the change and before it answers the request that made it.
 *
 * Why no client sees the old state once it holds the answer, from any
 * worker:
 *
 * 1. keyd does one thing at a time.  The change is in the database
 *    before invalidate_*() runs, and the answer leaves after it returns
 *    (an answer held for a group commit leaves even later).
 * 2. invalidate_*() writes MSG_INVALIDATE into every worker's channel
 *    without waiting for any worker (keyd_push()).  When a worker's
 *    socket cannot take it at once, the answer that follows, the one to
 *    the change, is held until that socket holds it; a worker that does
 *    not get there within KEYD_PUSH_WAIT_MS has its channel shut down
 *    instead.  That worker reads end of file right after what its
 *    socket holds, which empties its cache, and the parent gives it a
 *    new channel.  Only answers to changes are ever held, and a worker
 *    caches none of them, so the frames that pass a held answer (later
 *    invalidations, answers it may cache) break nothing of point 5.
 * 3. So when a client reads the answer, every worker's socket already
 *    holds the invalidation (or ends).  The client's next request, on
 *    any worker, is read by that worker after that.
 * 4. Before a worker answers from its cache, it reads its keyd socket
 *    without waiting and applies everything there (frame_chan_poll());
 *    an entry is used only when the channel is still open after that.
 *    It skips the read when keyd's push generation (shared/pushgen.h)
 *    is the value it read just before its last such read: keyd moves
 *    it on after every push once the sockets that took the push hold
 *    it (keyd_push()), again once a late socket took it and before the
 *    answer held for it leaves (keyd_push_progress()), and when it
 *    shuts a channel; the parent does when keyd ends.  So a client that
 *    holds the answer to a change finds the generation moved on.
 * 5. An answer keyd computed before a change cannot reach a worker after
 *    the invalidation: a channel is a FIFO and keyd writes in the order
 *    it works, so the worker stores that answer first and then drops it.
 *
 * A session-mode JWT also depends on its session.  So that the rotation
 * of every refresh token does not cost a message to every worker, keyd
 * remembers which sessions it let a worker cache (the vouched set,
 * bounded: when it is full, new session-mode answers are not cached)
 * and tells the workers only about those.
 */
#include <sys/types.h>

#include <string.h>

#include <openssl/crypto.h>

#include "keyd.h"
#include "log.h"
#include "proto.h"

/* A session a worker may hold a session-mode JWT for, until when. */
struct vouch {
	uint8_t		 hash[STORE_HASH_LEN];
	int64_t		 until;		/* 0: a free slot */
};

static struct vouch	 vouched[KEYD_VOUCH_SETS][KEYD_VOUCH_WAYS];
static size_t		 nvouched;

static void	 invalidate(uint8_t, const void *, size_t);
static void	 invalidate_push(uint8_t, const void *, size_t);
static struct vouch *vouch_find(const uint8_t *);

static void
invalidate_push(uint8_t kind, const void *key, size_t len)
{
	struct msg_invalidate	 m = { .kind = kind, .key = key,
				    .key_len = len };
	struct frame_buf	 fb;

	if (msg_write(&fb, MSG_INVALIDATE, &m) == 0)
		keyd_push(MSG_INVALIDATE, &fb);
	frame_buf_free(&fb);
}

/*
 * The invalidation here, on this host's workers only: the store's
 * announcements of another host's (store_pg.c) come in here.
 */
void
invalidate_apply(uint8_t kind, const void *key, size_t len)
{
	struct vouch	*v;

	switch (kind) {
	case INVALIDATE_USER:
		invalidate_push(INVALIDATE_USER, key, len);
		break;
	case INVALIDATE_SESSION:
		if (len != STORE_HASH_LEN || (v = vouch_find(key)) == NULL)
			return;
		explicit_bzero(v, sizeof(*v));
		nvouched--;
		invalidate_push(INVALIDATE_SESSION, key, STORE_HASH_LEN);
		break;
	case INVALIDATE_SESSIONS:
		if (nvouched == 0)
			return;
		/* FALLTHROUGH */
	case INVALIDATE_ALL:
		explicit_bzero(vouched, sizeof(vouched));
		nvouched = 0;
		invalidate_push(kind, NULL, 0);
		break;
	default:
		break;
	}
}

/*
 * Each one here, and on every other host that shares the store: the
 * store announces it (PostgreSQL's NOTIFY, in the open transaction if
 * there is one, so that it is delivered with the change).
 */
static void
invalidate(uint8_t kind, const void *key, size_t len)
{
	store_announce(kind, key, len);
	invalidate_apply(kind, key, len);
}

/* Everything cached for this user: any change of the user's row. */
void
invalidate_user(const char *id)
{
	invalidate(INVALIDATE_USER, id, strlen(id));
}

/*
 * A session ended or its refresh token was rotated (hash is the SHA-256
 * of that token).  Nothing is sent unless a worker may hold it.
 */
void
invalidate_session(const uint8_t *hash)
{
	invalidate(INVALIDATE_SESSION, hash, STORE_HASH_LEN);
}

/* n tokens rotated together (a group commit's): hashes holds them. */
void
invalidate_sessions_rotated(const uint8_t *hashes, size_t n)
{
	size_t	 i;

	store_announce_sessions(hashes, n);
	for (i = 0; i < n; i++)
		invalidate_apply(INVALIDATE_SESSION,
		    hashes + i * STORE_HASH_LEN, STORE_HASH_LEN);
}

/* Sessions ended that keyd cannot name one by one. */
void
invalidate_sessions(void)
{
	invalidate(INVALIDATE_SESSIONS, NULL, 0);
}

/* Everything: the roles may have changed (a reload). */
void
invalidate_all(void)
{
	invalidate(INVALIDATE_ALL, NULL, 0);
}

static struct vouch *
vouch_find(const uint8_t *hash)
{
	struct vouch	*set;
	size_t		 i;

	if (nvouched == 0)
		return NULL;
	set = vouched[(hash[0] | hash[1] << 8) % KEYD_VOUCH_SETS];
	for (i = 0; i < KEYD_VOUCH_WAYS; i++)
		if (set[i].until != 0 &&
		    CRYPTO_memcmp(set[i].hash, hash, STORE_HASH_LEN) == 0)
			return &set[i];
	return NULL;
}

/*
 * A worker is about to be told that a session-mode JWT of the session
 * hash is good until until: remember it, and return until, or 0 (do
 * not cache) when there is no room.  Slots whose until has passed are
 * free again: no worker uses an entry beyond its until.
 */
int64_t
invalidate_vouch(const uint8_t *hash, int64_t until, int64_t now)
{
	struct vouch	*v, *set;
	size_t		 i;

	if ((v = vouch_find(hash)) != NULL) {
		if (v->until < until)
			v->until = until;
		return until;
	}
	set = vouched[(hash[0] | hash[1] << 8) % KEYD_VOUCH_SETS];
	for (i = 0; i < KEYD_VOUCH_WAYS; i++) {
		if (set[i].until != 0 && set[i].until > now)
			continue;
		if (set[i].until == 0)
			nvouched++;
		memcpy(set[i].hash, hash, STORE_HASH_LEN);
		set[i].until = until;
		return until;
	}
	return 0;
}
