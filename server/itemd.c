/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The item process ("tokend: items"): one per worker slot, started by
 * the parent like a worker, with its own user and chroot.  It alone
 * opens the item store, and answers its worker's /items requests
 * (items_api.c) under the accountability of the ticket each carries,
 * which it checks with the key keyd sent it (ticket.h): a worker cannot
 * claim to be anybody its credentials do not make it.
 */
#include <sys/types.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "perm.h"
#include "proto.h"
#include "sandbox.h"
#include "ticket.h"
#include "tokend.h"

/* At most one line a second about refused tickets, with a count. */
#define ITEMD_REFUSED_LOG_MS	1000

static int	 itemd_parent_dispatch(struct frame_chan *, struct frame *,
		    void *);
static void	 itemd_parent_closed(struct frame_chan *, void *);
static int	 itemd_keyd_dispatch(struct frame_chan *, struct frame *,
		    void *);
static void	 itemd_keyd_closed(struct frame_chan *, void *);
static int	 itemd_server_dispatch(struct frame_chan *, struct frame *,
		    void *);
static void	 itemd_server_closed(struct frame_chan *, void *);
static void	 itemd_refused(enum ticket_status);
static void	 itemd_answer(struct frame_chan *, uint32_t,
		    struct items_answer *);
static void	 itemd_reload(struct frame *, void *);
static void	 itemd_signal(evutil_socket_t, short, void *);

static struct {
	struct tokend_config	*conf;
	struct event_base	*base;
	struct frame_chan	*parent;
	struct frame_chan	*keyd;		/* until the key came */
	struct frame_chan	*server;
	int			 slot;
	int			 have_key;
	uint8_t			 key[TICKET_KEY_LEN];
	int64_t			 refused_logged;
	unsigned long		 refused;
} itemd;

int
itemd_main(int slot, int verbose)
{
	struct privsep_user	 pu;
	uint32_t		 hello_slot;
	int			 root = privsep_is_root();

	log_procinit("items");
	itemd.conf = child_receive_config(&hello_slot);
	itemd.slot = (int)hello_slot;
	if (root) {
		privsep_lookup(itemd.conf->items_user, &pu);
		privsep_check_chroot(itemd.conf->items_chroot);
	}
	if ((itemd.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	itemd.parent = frame_chan_new(itemd.base, PROTO_FD_PARENT,
	    PROTO_CHILD_MAX, itemd_parent_dispatch, itemd_parent_closed, NULL,
	    "parent");
	if (itemd.parent == NULL)
		fatal("parent channel");
	child_log_channel(itemd.parent);
	privsep_drop("items", root ? &pu : NULL, itemd.conf->items_chroot);

	child_signals(itemd.base, itemd_signal);
	istore_open(itemd.conf, root);
	ticket_init();
	sandbox_enter(istore_pg() ? SANDBOX_ITEMS_PG : SANDBOX_ITEMS);
	if (msg_send(itemd.parent, MSG_READY, 0, -1, NULL) == -1)
		fatal("send ready");
	log_debug("items %d ready", itemd.slot);
	event_base_dispatch(itemd.base);
	return 0;
}

static int
itemd_parent_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	struct frame_chan	**slot;
	int			  fd;

	if (!msg_allowed(f->hdr.type, PEER_PARENT, PEER_ITEMS))
		goto hostile;
	switch (f->hdr.type) {
	case MSG_ITEMS_KEYD:
		if (msg_read(f, MSG_ITEMS_KEYD, NULL) == -1)
			return -1;
		slot = &itemd.keyd;
		break;
	case MSG_ITEMS_SERVER:
		if (msg_read(f, MSG_ITEMS_SERVER, &(struct msg_items_server){
		    0 }) == -1)
			return -1;
		slot = &itemd.server;
		break;
	default:
		return child_parent_message(f, itemd.base, itemd_reload, NULL);
	}
	if ((fd = frame_chan_takefd(chan)) == -1)
		return -1;
	if (*slot != NULL)
		frame_chan_free(*slot);
	if (slot == &itemd.keyd)
		*slot = frame_chan_new(itemd.base, fd, FRAME_HDR_SIZE +
		    TICKET_KEY_LEN + 64, itemd_keyd_dispatch,
		    itemd_keyd_closed, NULL, "keyd");
	else
		*slot = frame_chan_new(itemd.base, fd, PROTO_ITEMS_MAX,
		    itemd_server_dispatch, itemd_server_closed, NULL,
		    "server");
	if (*slot == NULL)
		fatal("channel");
	return 0;
 hostile:
	log_warnx("unexpected %s from the parent", msg_type_name(f->hdr.type));
	return -1;
}

static void
itemd_parent_closed(struct frame_chan *chan, void *arg)
{
	log_warnx("lost the parent, exiting");
	_exit(0);
}

/* keyd's one message: the ticket key, which replaces any older one. */
static int
itemd_keyd_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	struct msg_ticket_key	 m;

	if (!msg_allowed(f->hdr.type, PEER_KEYD, PEER_ITEMS) ||
	    msg_read(f, MSG_TICKET_KEY, &m) == -1 ||
	    m.key_len != sizeof(itemd.key)) {
		log_warnx("items %d: bad %s on the key channel", itemd.slot,
		    msg_type_name(f->hdr.type));
		return -1;
	}
	memcpy(itemd.key, m.key, sizeof(itemd.key));
	itemd.have_key = 1;
	log_debug("items %d: ticket key received", itemd.slot);
	return 0;
}

/* keyd closes the key channel once the key is sent. */
static void
itemd_keyd_closed(struct frame_chan *chan, void *arg)
{
	frame_chan_free(itemd.keyd);
	itemd.keyd = NULL;
}

static void
itemd_server_closed(struct frame_chan *chan, void *arg)
{
	log_debug("items %d: the worker's channel closed", itemd.slot);
	frame_chan_free(itemd.server);
	itemd.server = NULL;
}

/*
 * A worker's request.  Anything but MSG_ITEMS, or one that does not
 * read, closes the channel; a ticket keyd did not make is refused with
 * the answer a missing permission gets, and logged.
 */
static int
itemd_server_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	/* One request at a time: its reader's buffers are kept. */
	static struct msg_items	*m;
	struct perm_who		 who;
	struct items_answer	 ans;
	struct cidr		 addr;
	enum ticket_status	 ts;

	if (!msg_allowed(f->hdr.type, PEER_SERVER, PEER_ITEMS)) {
		log_warnx("items %d: the worker sent %s: closing its channel",
		    itemd.slot, msg_type_name(f->hdr.type));
		return -1;
	}
	if (m == NULL && (m = malloc(sizeof(*m))) == NULL) {
		log_warn("items %d", itemd.slot);
		return -1;
	}
	if (msg_read(f, MSG_ITEMS, m) == -1 || m->method == 0 ||
	    m->method >= ITEMS_METHOD_MAX) {
		log_warnx("items %d: a malformed request from the worker: "
		    "closing its channel", itemd.slot);
		return -1;
	}
	memset(&ans, 0, sizeof(ans));
	ts = m->ticket.mac_len == 0 ? TICKET_NONE : !itemd.have_key ?
	    TICKET_BAD : ticket_check(itemd.key, &m->ticket,
	    now_ms(CLOCK_REALTIME));
	if (ts == TICKET_BAD && !itemd.have_key) {
		ans.status = 503;
		ans.json = http_error_text("SERVICE_UNAVAILABLE",
		    "The item store is unavailable.");
	} else if (ts == TICKET_BAD || ts == TICKET_EXPIRED) {
		itemd_refused(ts);
		ans.status = ts == TICKET_BAD ? 403 : 401;
		ans.json = ts == TICKET_BAD ? http_error_text("FORBIDDEN",
		    "You don't have permission to access this.") :
		    http_error_text("TOKEN_EXPIRED", "Token expired.");
	} else {
		memset(&who, 0, sizeof(who));
		/* The worker's word: it alone sees the connection. */
		if (cidr_addr_parse(m->client, strlen(m->client), &addr) == 0)
			who.addr = &addr;
		if (ts == TICKET_OK) {
			who.user = m->ticket.user[0] != '\0' ?
			    m->ticket.user : NULL;
			who.role = m->ticket.role[0] != '\0' ?
			    m->ticket.role : NULL;
			who.admin = m->ticket.admin != 0;
			who.policies = m->ticket.policies;
		}
		items_request(itemd.conf, m, &who, &ans);
	}
	itemd_answer(chan, f->hdr.id, &ans);
	free(ans.json);
	/* Only the ticket could matter; nothing else there is secret. */
	explicit_bzero(&m->ticket, sizeof(m->ticket));
	return 0;
}

/* An honest worker never sends a bad ticket: say so, but not too often. */
static void
itemd_refused(enum ticket_status ts)
{
	int64_t	 now = now_ms(CLOCK_MONOTONIC);

	itemd.refused++;
	if (itemd.refused_logged != 0 &&
	    now - itemd.refused_logged < ITEMD_REFUSED_LOG_MS)
		return;
	log_warnx("items %d: refused %lu request%s of server %d with a %s "
	    "ticket", itemd.slot, itemd.refused, itemd.refused == 1 ? "" :
	    "s", itemd.slot, ts == TICKET_BAD ? "forged" : "expired");
	itemd.refused_logged = now;
	itemd.refused = 0;
}

static void
itemd_answer(struct frame_chan *chan, uint32_t id, struct items_answer *ans)
{
	struct msg_items_result	 r;

	r.status = (uint32_t)ans->status;
	r.json = (const uint8_t *)ans->json;
	r.json_len = ans->json != NULL ? strlen(ans->json) : 0;
	if (msg_send(chan, MSG_ITEMS_RESULT, id, -1, &r) == -1)
		log_warnx("items %d: cannot answer request %u", itemd.slot,
		    id);
}

static void
itemd_reload(struct frame *f, void *arg)
{
	struct tokend_config	*conf;
	const char		*why = NULL;

	if ((conf = child_config_from_frame(f)) == NULL) {
		why = "bad configuration from the parent";
		log_warnx("items %d: %s", itemd.slot, why);
	} else {
		config_free(itemd.conf);
		itemd.conf = conf;
		if (istore_tables(conf) == -1)
			log_warnx("items %d: new collections have no table",
			    itemd.slot);
		log_debug("items %d: configuration reloaded", itemd.slot);
	}
	child_reload_done(itemd.parent, why);
}

/*
 * SIGTERM or SIGINT.  The callback runs between requests, with no
 * transaction open: what was committed is in the store's write-ahead
 * log, which the next opener recovers.  _exit, as in a worker: closing
 * the store would checkpoint and unlink its log, which the filter
 * refuses.
 */
static void
itemd_signal(evutil_socket_t sig, short ev, void *arg)
{
	log_debug("items %d: signal %d, exiting", itemd.slot, (int)sig);
	_exit(0);
}
