/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Group commit for refreshes.  A refresh may be answered only once its
 * rotation is on disk (synchronous FULL: the WAL is synced at commit),
 * and one sync per refresh bounds refreshes at the disk's sync rate.
 * So the refreshes keyd reads in one pass of its event loop share one
 * transaction: the first one opens it and schedules the commit behind
 * the events already active in this pass; each one is queued (auth.c),
 * and the commit first runs the queued ones together, a few statements
 * for the whole group (store_sessions_rotate(), store_audits_insert()),
 * and holds their answers here; the commit syncs once, and only then do
 * the answers leave.  When the commit fails, none of the group took
 * place: each request is answered by its fail() callback (503) and its
 * undo() runs.
 *
 * A login whose password hash is back joins the open group too, with
 * its session and its audit row (auth.c): logins and refreshes share
 * the sync.  Anything else keyd does commits the open group first
 * (keyd.c calls batch_commit() before any other request, and so does
 * every other callback of the hashing pool), so no other answer leaves
 * while it could depend on writes that are not yet durable, and other
 * requests keep their own transactions.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "keyd.h"
#include "log.h"
#include "proto.h"

/* An answer waiting for the commit of its group. */
struct held {
	TAILQ_ENTRY(held)	 entry;
	uint64_t		 chan_serial;
	uint32_t		 id;
	uint32_t		 type;
	struct frame_buf	 answer;
	void			(*fail)(struct keyd_chan *, uint32_t);
	void			(*undo)(const uint8_t *);
	uint8_t			 key[STORE_HASH_LEN];
	uint64_t		 push;		/* keyd_push_pending() */
};
TAILQ_HEAD(held_list, held);

static struct {
	struct event		*ev;
	struct held_list	 held;
	size_t			 nheld;
	int			 open;
} batch;

static void	 batch_commit_cb(evutil_socket_t, short, void *);
static void	 batch_send(struct held *, int);

int
batch_init(struct event_base *base)
{
	TAILQ_INIT(&batch.held);
	batch.ev = event_new(base, -1, 0, batch_commit_cb, NULL);
	return batch.ev == NULL ? -1 : 0;
}

/*
 * Open a group, or join the open one.  A full group is committed first.
 * -1 when the transaction cannot be opened.
 */
int
batch_begin(void)
{
	if (batch.open && batch.nheld + auth_refresh_queued() >=
	    KEYD_BATCH_MAX)
		batch_commit();
	if (batch.open)
		return 0;
	if (store_batch_begin() == -1)
		return -1;
	batch.open = 1;
	/* Runs after the events already active in this pass of the loop. */
	event_active(batch.ev, EV_TIMEOUT, 1);
	return 0;
}

/* Hold an answer (a copy of fb) until the open group is committed. */
void
batch_hold(struct keyd_chan *kc, uint32_t id, uint32_t type,
    const struct frame_buf *fb, void (*fail)(struct keyd_chan *, uint32_t),
    void (*undo)(const uint8_t *), const uint8_t *key)
{
	struct held	*h;

	if (!batch.open) {
		if (frame_send_buf(kc->chan, type, id, -1, fb) == -1)
			log_warn("answer to server %u", kc->slot);
		return;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		fatal("calloc");
	h->chan_serial = kc->serial;
	h->id = id;
	h->type = type;
	frame_buf_init(&h->answer, fb->max);
	frame_buf_bytes(&h->answer, fb->data, fb->len);
	h->answer.failed |= fb->failed;
	h->fail = fail;
	h->undo = undo;
	/* The answer waits for the invalidation its change sent. */
	h->push = keyd_push_pending();
	if (key != NULL)
		memcpy(h->key, key, sizeof(h->key));
	TAILQ_INSERT_TAIL(&batch.held, h, entry);
	batch.nheld++;
}

/* Commit the open group, if any, and answer every request in it. */
void
batch_commit(void)
{
	struct held	*h;
	int		 ok;

	if (!batch.open)
		return;
	/* Its refreshes, their answers held below. */
	auth_refresh_flush();
	batch.open = 0;
	event_del(batch.ev);
	ok = store_batch_commit() == 0;
	if (!ok)
		log_warnx("group commit of %zu refreshes failed", batch.nheld);
	else
		log_debug("group commit of %zu refreshes", batch.nheld);
	while ((h = TAILQ_FIRST(&batch.held)) != NULL) {
		TAILQ_REMOVE(&batch.held, h, entry);
		batch_send(h, ok);
		frame_buf_free(&h->answer);
		explicit_bzero(h, sizeof(*h));
		free(h);
	}
	batch.nheld = 0;
}

static void
batch_send(struct held *h, int ok)
{
	struct keyd_chan	*kc = keyd_chan_find(h->chan_serial);

	if (!ok && h->undo != NULL)
		h->undo(h->key);
	if (kc == NULL)
		return;
	keyd_push_resume(h->push);
	if (!ok)
		h->fail(kc, h->id);
	else if (frame_send_buf(kc->chan, h->type, h->id, -1,
	    &h->answer) == -1)
		log_warn("answer to server %u", kc->slot);
	keyd_push_resume(0);
}

static void
batch_commit_cb(evutil_socket_t fd, short events, void *arg)
{
	/* It reaches the store: on its fiber (fiber.c). */
	if (fiber_defer(batch_commit_cb, fd, events, arg))
		return;
	batch_commit();
}
