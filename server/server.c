/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The worker role ("tokend: server"): one libevent loop serving HTTP on
 * its own listen sockets, inherited from the parent, with its own channels
 * to keyd and to its item process.  It never sees the signing secret, a
 * password hash, the credential database or the item store.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "log.h"
#include "metrics.h"
#include "proto.h"
#include "sandbox.h"
#include "tokend.h"

static struct event_base *server_base_new(void);
static void	 server_listen(struct server *);
static void	 server_accept_error(struct evconnlistener *, void *);
static void	 server_accept_resume(evutil_socket_t, short, void *);
static void	 server_set_nofile(const struct tokend_config *);
static int	 server_parent_dispatch(struct frame_chan *, struct frame *,
		    void *);
static void	 server_parent_closed(struct frame_chan *, void *);
static int	 server_keyd_dispatch(struct frame_chan *, struct frame *,
		    void *);
static void	 server_keyd_closed(struct frame_chan *, void *);
static void	 server_keyd_attach(struct server *, int);
static int	 server_items_dispatch(struct frame_chan *, struct frame *,
		    void *);
static void	 server_items_closed(struct frame_chan *, void *);
static void	 server_items_attach(struct server *, int);
static int	 server_answer(struct server *, struct frame_chan *,
		    struct frame *);
static void	 server_reload(struct frame *, void *);
static void	 server_pending_timeout(evutil_socket_t, short, void *);
static void	 server_pending_free(struct server *, struct pending *);
static void	 server_pending_fail_all(struct server *,
		    struct frame_chan *);
static void	 server_signal(evutil_socket_t, short, void *);
static void	 server_tls_start(struct server *);
static void	 server_portal_start(struct server *);

static struct server	 server;

const struct tokend_config *
server_conf(void)
{
	return server.conf;
}

int
server_main(int slot, int verbose)
{
	struct privsep_user	 pu;
	char			 title[32];
	uint32_t		 hello_slot;

	log_procinit("server");
	TAILQ_INIT(&server.pending);
	server.conf = child_receive_config(&hello_slot);
	server.slot = (int)hello_slot;
	keys_init(&server);
	if (config_tls_listens(server.conf) > 0)
		server_tls_start(&server);
	if (server.conf->portal_on)
		server_portal_start(&server);
	if (privsep_is_root()) {
		privsep_lookup(server.conf->server_user, &pu);
		privsep_check_chroot(server.conf->server_chroot);
	}
	server.base = server_base_new();
	server_listen(&server);
	server.parent = frame_chan_new(server.base, PROTO_FD_PARENT,
	    PROTO_CHILD_MAX, server_parent_dispatch, server_parent_closed,
	    &server, "parent");
	if (server.parent == NULL)
		fatal("parent channel");
	child_log_channel(server.parent);

	(void)snprintf(title, sizeof(title), "server");
	privsep_drop(title, privsep_is_root() ? &pu : NULL,
	    server.conf->server_chroot);
	server_set_nofile(server.conf);

	child_signals(server.base, server_signal);

	http_init(&server);
	accesslog_init(&server);
	metrics_init(&server);
	cache_init(PROTO_FD_PUSHGEN);
	sandbox_enter(SANDBOX_SERVER);
	if (msg_send(server.parent, MSG_READY, 0, -1, NULL) == -1)
		fatal("send ready");
	log_debug("server %d ready", server.slot);
	event_base_dispatch(server.base);
	return 0;
}

/*
 * With epoll, the changes a request makes to a connection's events
 * (evhttp deletes, adds and modifies them in one callback) are merged
 * and applied once per pass of the loop: one epoll_ctl(2) instead of
 * four per keep-alive request.  The worker never dup(2)s a descriptor,
 * the case where a change list can go wrong.
 */
static struct event_base *
server_base_new(void)
{
	struct event_config	*cfg;
	struct event_base	*base;

	if ((cfg = event_config_new()) == NULL)
		fatalx("event_config_new");
	(void)event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	if ((base = event_base_new_with_config(cfg)) == NULL)
		fatalx("event_base_new");
	event_config_free(cfg);
	return base;
}

/*
 * Before the chroot: OpenSSL reads its configuration, and the parent
 * sends the certificate and the ticket key right after the
 * configuration, so that the first TLS client finds them.
 */
static void
server_tls_start(struct server *s)
{
	struct frame	 f;
	uint8_t		*data;

	tls_init();
	data = child_expect(MSG_TLS_CERT, &f);
	if (tls_set_cert(s->conf, &f) == -1 || !tls_ready())
		fatalx("no usable TLS certificate from the parent");
	freezero(data, f.hdr.len);
	data = child_expect(MSG_TLS_TICKET, &f);
	if (tls_set_ticket(&f) == -1)
		fatalx("bad TLS ticket key from the parent");
	freezero(data, f.hdr.len);
}

/* The portal's files follow the configuration (and the TLS material). */
static void
server_portal_start(struct server *s)
{
	struct frame	 f;
	uint8_t		*data;

	data = child_expect(MSG_PORTAL_FILES, &f);
	if (portal_set_files(s->conf, &f) == -1)
		fatalx("bad portal files from the parent");
	free(data);
}

/* Plain listeners go to one evhttp, tls ones to another (edge.c). */
static void
server_listen(struct server *s)
{
	struct listen_addr	*la;
	struct evconnlistener	*l;
	int			 fd = PROTO_FD_LISTEN;

	if ((s->http = evhttp_new(s->base)) == NULL)
		fatalx("evhttp_new");
	if (config_tls_listens(s->conf) > 0 &&
	    (s->https = evhttp_new(s->base)) == NULL)
		fatalx("evhttp_new");
	TAILQ_FOREACH(la, &s->conf->listens, entry) {
		if (s->nlisten >= CONF_LISTEN_MAX)
			fatalx("too many listen sockets");
		if (evutil_make_socket_nonblocking(fd) == -1)
			fatal("listen socket %d", fd);
		l = evconnlistener_new(s->base, NULL, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
		if (l == NULL)
			fatalx("evconnlistener_new on %s", la->host);
		evconnlistener_set_error_cb(l, server_accept_error);
		if (evhttp_bind_listener(la->tls ? s->https : s->http, l) ==
		    NULL)
			fatalx("evhttp_bind_listener");
		s->listeners[s->nlisten++] = l;
		fd++;
	}
	s->accept_pause = evtimer_new(s->base, server_accept_resume, s);
	if (s->accept_pause == NULL)
		fatalx("evtimer_new");
}

/*
 * Out of descriptors: stop accepting for a moment instead of spinning on
 * a listen socket that stays readable.
 */
static void
server_accept_error(struct evconnlistener *l, void *arg)
{
	struct timeval	 tv = { 0, SERVER_ACCEPT_PAUSE_MS * 1000 };
	int		 i, saved = errno;

	if (saved != EMFILE && saved != ENFILE && saved != ENOBUFS &&
	    saved != ENOMEM) {
		log_debug("accept: %s", strerror(saved));
		return;
	}
	log_warnx("accept: %s, pausing for %d ms", strerror(saved),
	    SERVER_ACCEPT_PAUSE_MS);
	for (i = 0; i < server.nlisten; i++)
		evconnlistener_disable(server.listeners[i]);
	evtimer_add(server.accept_pause, &tv);
}

static void
server_accept_resume(evutil_socket_t fd, short ev, void *arg)
{
	struct server	*s = arg;
	int		 i;

	for (i = 0; i < s->nlisten; i++)
		evconnlistener_enable(s->listeners[i]);
}

/*
 * The connection cap: a worker cannot hold more descriptors than its
 * connections plus a small reserve for its own files and channels.
 */
static void
server_set_nofile(const struct tokend_config *conf)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	rl.rlim_cur = (rlim_t)conf->connections + SERVER_FD_RESERVE;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit RLIMIT_NOFILE");
}

static int
server_parent_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	struct server	*s = arg;
	int		 fd;

	if (!msg_allowed(f->hdr.type, PEER_PARENT, PEER_SERVER))
		goto hostile;
	switch (f->hdr.type) {
	case MSG_SERVER_KEYD:
		if (msg_read(f, MSG_SERVER_KEYD, NULL) == -1 ||
		    (fd = frame_chan_takefd(chan)) == -1)
			return -1;
		server_keyd_attach(s, fd);
		return 0;
	case MSG_SERVER_ITEMS:
		if (msg_read(f, MSG_SERVER_ITEMS, NULL) == -1 ||
		    (fd = frame_chan_takefd(chan)) == -1)
			return -1;
		server_items_attach(s, fd);
		return 0;
	case MSG_TLS_CERT:
		return tls_set_cert(s->conf, f);
	case MSG_TLS_TICKET:
		return tls_set_ticket(f);
	case MSG_PORTAL_FILES:
		return portal_set_files(s->conf, f);
	case MSG_PING:
		/* From the loop: the answer says this loop still turns. */
		if (msg_read(f, MSG_PING, NULL) == -1 ||
		    msg_send(chan, MSG_PONG, f->hdr.id, -1, NULL) == -1)
			return -1;
		return 0;
	default:
		return child_parent_message(f, s->base, server_reload, s);
	}
 hostile:
	log_warnx("unexpected %s from the parent", msg_type_name(f->hdr.type));
	return -1;
}

/* The parent is gone: nobody supervises us any more, so stop. */
static void
server_parent_closed(struct frame_chan *chan, void *arg)
{
	log_warnx("lost the parent, exiting");
	exit(0);
}

/*
 * A new channel to keyd (at start, after keyd was restarted, or after
 * keyd closed ours).  What we cached came through the old one.
 */
static void
server_keyd_attach(struct server *s, int fd)
{
	cache_flush();
	if (s->keyd != NULL) {
		server_pending_fail_all(s, s->keyd);
		frame_chan_free(s->keyd);
	}
	s->keyd = frame_chan_new(s->base, fd, PROTO_KEYD_MAX,
	    server_keyd_dispatch, server_keyd_closed, s, "keyd");
	if (s->keyd == NULL)
		fatal("keyd channel");
	log_debug("server %d: channel to keyd attached", s->slot);
}

static void
server_keyd_closed(struct frame_chan *chan, void *arg)
{
	struct server	*s = arg;

	log_warnx("server %d: lost the channel to keyd", s->slot);
	cache_flush();
	server_pending_fail_all(s, s->keyd);
	frame_chan_free(s->keyd);
	s->keyd = NULL;
}

/* A new channel to the item process (at start, or after it restarted). */
static void
server_items_attach(struct server *s, int fd)
{
	if (s->items != NULL) {
		server_pending_fail_all(s, s->items);
		frame_chan_free(s->items);
	}
	s->items = frame_chan_new(s->base, fd, PROTO_ITEMS_MAX,
	    server_items_dispatch, server_items_closed, s, "items");
	if (s->items == NULL)
		fatal("items channel");
	log_debug("server %d: channel to the item process attached", s->slot);
}

static void
server_items_closed(struct frame_chan *chan, void *arg)
{
	struct server	*s = arg;

	log_warnx("server %d: lost the channel to the item process", s->slot);
	server_pending_fail_all(s, s->items);
	frame_chan_free(s->items);
	s->items = NULL;
}

/* The item process sends only answers. */
static int
server_items_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	struct server	*s = arg;

	if (!msg_allowed(f->hdr.type, PEER_ITEMS, PEER_SERVER)) {
		log_warnx("unexpected %s from the item process",
		    msg_type_name(f->hdr.type));
		return -1;
	}
	return server_answer(s, chan, f);
}

/*
 * Answers from keyd (what proto.h lets keyd send a worker) carry the id
 * of the request they answer; an invalidation answers nothing.
 */
static int
server_keyd_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	struct server	*s = arg;

	if (!msg_allowed(f->hdr.type, PEER_KEYD, PEER_SERVER)) {
		log_warnx("unexpected %s from keyd",
		    msg_type_name(f->hdr.type));
		return -1;
	}
	if (f->hdr.type == MSG_INVALIDATE)
		return cache_invalidate(f);
	if (f->hdr.type == MSG_KEYS)
		return keys_receive(s, f);
	return server_answer(s, chan, f);
}

/* An answer, to the request of that id sent on that channel. */
static int
server_answer(struct server *s, struct frame_chan *chan, struct frame *f)
{
	struct pending	*p;

	TAILQ_FOREACH(p, &s->pending, entry)
		if (p->id == f->hdr.id && p->chan == chan)
			break;
	if (p == NULL) {
		/* Answered after its timeout: nobody waits for it. */
		log_debug("late %s, id %u", msg_type_name(f->hdr.type),
		    f->hdr.id);
		return 0;
	}
	if (chan == s->keyd)
		metrics_keyd(now_us() - p->sent_us);
	if (p->cacheable)
		cache_store(p->key, f);
	p->done(p, f);
	server_pending_free(s, p);
	return 0;
}

/*
 * Send a request to keyd on behalf of an HTTP request; done() runs with
 * the answer, or with NULL when keyd is unreachable or too slow.
 */
struct pending *
server_keyd_request(struct server *s, struct evhttp_request *req,
    uint32_t type, const void *data, size_t len, int timeout_ms,
    void (*done)(struct pending *, struct frame *), void *arg)
{
	return server_request(s, s->keyd, req, type, data, len,
	    timeout_ms > 0 ? timeout_ms : s->conf->keyd_timeout, done, arg);
}

/* The same on any channel (NULL: not open), with its timeout. */
struct pending *
server_request(struct server *s, struct frame_chan *chan,
    struct evhttp_request *req, uint32_t type, const void *data, size_t len,
    int timeout_ms, void (*done)(struct pending *, struct frame *), void *arg)
{
	struct pending	*p;
	struct timeval	 tv;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		done(&(struct pending){ .req = req, .arg = arg }, NULL);
		return NULL;
	}
	p->id = ++s->next_id;
	p->sent_us = now_us();
	p->chan = chan;
	p->req = req;
	p->done = done;
	p->arg = arg;
	if (chan == NULL ||
	    frame_send(chan, type, p->id, -1, data, len) == -1 ||
	    (p->timer = evtimer_new(s->base, server_pending_timeout,
	    p)) == NULL) {
		done(p, NULL);
		free(p);
		return NULL;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(p->timer, &tv);
	TAILQ_INSERT_TAIL(&s->pending, p, entry);
	return p;
}

static void
server_pending_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct pending	*p = arg;

	log_warnx("server %d: %s did not answer request %u in time",
	    server.slot, p->chan == server.keyd ? "keyd" : "the item process",
	    p->id);
	p->done(p, NULL);
	server_pending_free(&server, p);
}

static void
server_pending_free(struct server *s, struct pending *p)
{
	TAILQ_REMOVE(&s->pending, p, entry);
	if (p->timer != NULL)
		event_free(p->timer);
	free(p);
}

/* Every request waiting for an answer on that channel fails. */
static void
server_pending_fail_all(struct server *s, struct frame_chan *chan)
{
	struct pending	*p, *next;

	TAILQ_FOREACH_SAFE(p, &s->pending, entry, next) {
		if (p->chan != chan)
			continue;
		p->done(p, NULL);
		server_pending_free(s, p);
	}
}

static void
server_reload(struct frame *f, void *arg)
{
	struct server		*s = arg;
	struct tokend_config	*conf;
	const char		*why = NULL;

	if ((conf = child_config_from_frame(f)) == NULL) {
		why = "bad configuration from the parent";
		log_warnx("server %d: %s", s->slot, why);
	} else {
		config_free(s->conf);
		s->conf = conf;
		http_apply_limits(s);
		metrics_apply(s);
		server_set_nofile(conf);
		log_debug("server %d: configuration reloaded", s->slot);
	}
	child_reload_done(s->parent, why);
}

/*
 * SIGTERM or SIGINT, from the parent or to the whole process group.
 * _exit: exit(3)'s handlers (the libraries' cleanup) make calls the
 * worker's filter refuses (a futex wake).
 */
static void
server_signal(evutil_socket_t sig, short ev, void *arg)
{
	log_debug("server %d: signal %d, exiting", server.slot, (int)sig);
	accesslog_flush();
	_exit(0);
}
