/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The edge of a worker: every byte a client sends is read by the strict
 * framing reader (wire.c) before evhttp parses it, and the per-request
 * deadlines run here.
 *
 * How it hooks into evhttp (libevent 2.1, no request hook before the
 * routes): evhttp_set_bevcb lets us create each connection's
 * bufferevent, and a callback on its input buffer sees the bytes each
 * read adds before evhttp's read callback parses them.  On the first
 * bytes the connection gets its state, tied to evhttp's connection
 * object through its close callback, so that it lives exactly as long.
 * A connection that never sends a byte costs nothing here; evhttp's
 * idle timeout ends it.
 *
 * A refused request, or one that misses its deadline, is answered here
 * with a Directus error (when evhttp is not in the middle of an answer),
 * every byte still unread is thrown away so that evhttp never parses
 * it, the write side is shut, and the connection is freed after a short
 * linger that lets the client read the answer.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include <jansson.h>

#include "log.h"
#include "metrics.h"
#include "tokend.h"
#include "wire.h"

#define EDGE_IOV		8
#define EDGE_ANSWER_MAX		1024	/* bytes of a refusal, head and body */

/* One client connection, from its first byte to evhttp's close. */
struct edge_conn {
	struct bufferevent		*bev;
	struct evhttp_connection	*evcon;
	struct event			*timer;	/* deadline, then linger */
	struct wire			 wire;
	int				 deadline_ms;
	int				 pending_ms;	/* to arm after this read */
	uint64_t			 fed;	/* bytes read by wire */
	uint64_t			 start;	/* where this request began */
	uint64_t			 front;	/* the input buffer's first byte */
	int				 draining;	/* refusal waits */
	int				 truncating;
	int				 closing;
	int				 searched;	/* SEARCH rewritten */
	size_t				 discarded;
	int				 status;	/* the refusal that waits */
	const char			*code;
	const char			*message;
};

static struct bufferevent *edge_bevcb(struct event_base *, void *);
static void	 edge_first(struct evbuffer *,
		    const struct evbuffer_cb_info *, void *);
static struct edge_conn *edge_conn_new(struct bufferevent *);
static void	 edge_closed(struct evhttp_connection *, void *);
static void	 edge_input(struct evbuffer *,
		    const struct evbuffer_cb_info *, void *);
static void	 edge_scan(struct edge_conn *, struct evbuffer *, size_t);
static void	 edge_feed(struct edge_conn *, const uint8_t *, size_t);
static void	 edge_limits(struct edge_conn *);
static int	 edge_search(struct edge_conn *);
static void	 edge_arm(struct edge_conn *, int);
static void	 edge_disarm(struct edge_conn *);
static void	 edge_timeout(evutil_socket_t, short, void *);
static int	 edge_busy(struct edge_conn *);
static void	 edge_reject(struct edge_conn *, int, const char *,
		    const char *);
static void	 edge_answer(struct bufferevent *, int, const char *,
		    const char *);
static const char *edge_reason(int);
static void	 edge_discard(struct edge_conn *, struct evbuffer *);
static int	 edge_stopped(const struct edge_conn *);
static void	 edge_refuse(struct edge_conn *);
static void	 edge_keep(struct edge_conn *, struct evbuffer *, size_t);
static void	 edge_output(struct evbuffer *,
		    const struct evbuffer_cb_info *, void *);
static void	 edge_drained(struct edge_conn *);

static int	 edge_nconns;

void
edge_init(struct server *s)
{
	const struct route	*r;
	size_t			 i;

	/* route_small_body sees at most WIRE_TARGET_KEEP bytes of a target. */
	for (i = 0; (r = route_get(i)) != NULL; i++)
		if (r->match == ROUTE_PREFIX &&
		    strlen(r->path) > WIRE_TARGET_KEEP)
			fatalx("edge: the route %s is too long", r->path);
	evhttp_set_bevcb(s->http, edge_bevcb, NULL);
	if (s->https != NULL)
		evhttp_set_bevcb(s->https, edge_bevcb, s);
}

/*
 * Fails closed: a connection evhttp made itself would bypass the edge,
 * so a worker that cannot make one gives up and is replaced.  arg is
 * NULL for a plain listener; on a tls one the edge reads what the TLS
 * layer decrypted.
 */
static struct bufferevent *
edge_bevcb(struct event_base *base, void *arg)
{
	struct bufferevent	*bev;

	if (arg != NULL)
		bev = tls_bev_new(base, server_conf()->handshake_deadline);
	else
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL ||
	    evbuffer_add_cb(bufferevent_get_input(bev), edge_first, bev) ==
	    NULL)
		fatalx("edge: cannot set up a connection");
	return bev;
}

/* The first bytes of a connection: give it its state, then read them. */
static void
edge_first(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct bufferevent	*bev = arg;
	struct edge_conn	*c;

	if (info->n_added == 0)
		return;
	if ((c = edge_conn_new(bev)) == NULL) {
		log_warnx("edge: out of memory, dropping a connection");
		evbuffer_drain(buf, evbuffer_get_length(buf));
		(void)shutdown(bufferevent_getfd(bev), SHUT_RDWR);
		return;
	}
	if (evbuffer_add_cb(buf, edge_input, c) == NULL)
		fatalx("edge: cannot set up a connection");
	/* Removing the running callback is allowed by libevent. */
	evbuffer_remove_cb(buf, edge_first, bev);
	edge_scan(c, buf, info->n_added);
}

/*
 * evhttp made the bufferevent's callback argument its connection; the
 * check below makes sure of it before the pointer is used as one.
 */
static struct edge_conn *
edge_conn_new(struct bufferevent *bev)
{
	struct edge_conn	*c;
	void			*arg = NULL;

	bufferevent_getcb(bev, NULL, NULL, NULL, &arg);
	if (arg == NULL || evhttp_connection_get_bufferevent(arg) != bev)
		fatalx("edge: evhttp did not set up the connection as "
		    "expected");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->bev = bev;
	c->evcon = arg;
	if ((c->timer = evtimer_new(bufferevent_get_base(bev), edge_timeout,
	    c)) == NULL) {
		free(c);
		return NULL;
	}
	edge_limits(c);
	evhttp_connection_set_closecb(c->evcon, edge_closed, c);
	edge_nconns++;
	metrics_count(METRIC_CONN_OPEN);
	return c;
}

/* evhttp frees the connection: called first, while the bufferevent lives. */
static void
edge_closed(struct evhttp_connection *evcon, void *arg)
{
	struct edge_conn	*c = arg;

	if (tls_bev_is_tls(c->bev))
		tls_bev_close(c->bev);
	evbuffer_remove_cb(bufferevent_get_input(c->bev), edge_input, c);
	evbuffer_remove_cb(bufferevent_get_output(c->bev), edge_output, c);
	event_free(c->timer);
	free(c);
	metrics_count(METRIC_CONN_CLOSE);
	log_debug("edge: a connection closed, %d open", --edge_nconns);
}

static void
edge_input(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct edge_conn	*c = arg;

	if (info->n_added == 0 || c->truncating)
		return;
	if (c->closing)
		edge_discard(c, buf);
	else if (c->draining)
		edge_keep(c, buf, evbuffer_get_length(buf) - info->n_added);
	else
		edge_scan(c, buf, info->n_added);
}

static int
edge_stopped(const struct edge_conn *c)
{
	return c->closing || c->draining;
}

/* The n bytes the last read added sit at the end of the buffer. */
static void
edge_scan(struct edge_conn *c, struct evbuffer *buf, size_t n)
{
	struct evbuffer_iovec	 v[EDGE_IOV];
	struct evbuffer_ptr	 pos;
	size_t			 take;
	int			 i, nv;

	c->front = c->fed - (evbuffer_get_length(buf) - n);
	if (evbuffer_ptr_set(buf, &pos, evbuffer_get_length(buf) - n,
	    EVBUFFER_PTR_SET) == -1)
		return;
	while (n > 0 && !edge_stopped(c)) {
		nv = evbuffer_peek(buf, (ev_ssize_t)n, &pos, v, EDGE_IOV);
		if (nv <= 0)
			break;
		for (i = 0; i < nv && i < EDGE_IOV && n > 0 &&
		    !edge_stopped(c); i++) {
			take = v[i].iov_len < n ? v[i].iov_len : n;
			edge_feed(c, v[i].iov_base, take);
			n -= take;
			if (!edge_stopped(c) && evbuffer_ptr_set(buf, &pos,
			    take, EVBUFFER_PTR_ADD) == -1)
				return;
		}
	}
	if (c->pending_ms > 0 && !edge_stopped(c))
		edge_arm(c, c->pending_ms);
	c->pending_ms = 0;
}

static void
edge_feed(struct edge_conn *c, const uint8_t *p, size_t len)
{
	const struct tokend_config	*conf = server_conf();
	size_t				 used;

	while (len > 0 && !edge_stopped(c)) {
		switch (wire_feed(&c->wire, p, len, &used)) {
		case WIRE_BEGIN:
			c->start = c->fed;
			c->searched = 0;
			edge_limits(c);
			c->pending_ms = conf->header_deadline;
			break;
		case WIRE_HEAD:
			edge_disarm(c);
			c->pending_ms = conf->body_deadline;
			break;
		case WIRE_DONE:
			edge_disarm(c);
			c->pending_ms = 0;
			break;
		case WIRE_ERROR:
			edge_refuse(c);
			return;
		case WIRE_MORE:
			break;
		}
		c->fed += used;
		if (!c->searched && wire_search(&c->wire) &&
		    edge_search(c) == -1)
			return;
		p += used;
		len -= used;
	}
}

/*
 * SEARCH, which evhttp 2.1 cannot be taught, becomes "GET " and the
 * marker in the bytes evhttp has yet to parse: as soon as wire.c has
 * read the method, in the same read callback, before evhttp's own,
 * which cannot have taken a request line whose end has not come.  The
 * length is the same, so the edge's count of bytes holds.  A client
 * cannot send the marker: wire.c refuses its bytes in a target.
 */
static int
edge_search(struct edge_conn *c)
{
	static const char	 from[] = "SEARCH ", to[] = "GET "
				    HTTP_SEARCH_MARK;
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec	 v[WIRE_SEARCH_LEN];
	struct evbuffer_ptr	 pos;
	size_t			 at = 0, k;
	int			 i, nv;

	c->searched = 1;
	if (c->start < c->front || evbuffer_ptr_set(in, &pos,
	    (size_t)(c->start - c->front), EVBUFFER_PTR_SET) == -1 ||
	    (nv = evbuffer_peek(in, WIRE_SEARCH_LEN, &pos, v,
	    WIRE_SEARCH_LEN)) <= 0)
		goto fail;
	for (i = 0; i < nv && i < WIRE_SEARCH_LEN; i++)
		for (k = 0; k < v[i].iov_len && at < WIRE_SEARCH_LEN; k++)
			if (((char *)v[i].iov_base)[k] != from[at++])
				goto fail;
	if (at != WIRE_SEARCH_LEN)
		goto fail;
	for (at = 0, i = 0; i < nv && i < WIRE_SEARCH_LEN; i++)
		for (k = 0; k < v[i].iov_len && at < WIRE_SEARCH_LEN; k++)
			((char *)v[i].iov_base)[k] = to[at++];
	return 0;
 fail:
	log_warnx("edge: cannot hand a SEARCH request over");
	edge_reject(c, 500, "INTERNAL_SERVER_ERROR",
	    "An unexpected error occurred.");
	return -1;
}

/* Taken at the start of each request, so that a reload applies at once. */
static void
edge_limits(struct edge_conn *c)
{
	const struct tokend_config	*conf = server_conf();

	c->wire.lim.line_max = conf->line_max != 0 ? conf->line_max :
	    conf->header_max;
	c->wire.lim.head_max = conf->header_max;
	c->wire.lim.fields_max = conf->header_count;
	c->wire.lim.body_max = conf->body_max;
	c->wire.lim.small_body_max = AUTH_BODY_MAX;
	c->wire.lim.small_body = route_small_body;
}

/*
 * A deadline is armed only when a read ends inside a request: most
 * requests arrive whole, in one read, and cost no timer at all.  The
 * deadline then counts from the end of that read, not its first byte.
 */
static void
edge_arm(struct edge_conn *c, int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	c->deadline_ms = ms;
	evtimer_add(c->timer, &tv);
}

static void
edge_disarm(struct edge_conn *c)
{
	if (c->deadline_ms > 0) {
		evtimer_del(c->timer);
		c->deadline_ms = 0;
	}
}

/*
 * evhttp reads nothing while it answers a request (it disables reading
 * until the answer is written), so bytes of a pipelined request wait
 * through no fault of the client's: its deadline starts again.
 */
static void
edge_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct edge_conn	*c = arg;

	if (c->closing) {
		/* The linger is over; edge_closed frees c. */
		evhttp_connection_free(c->evcon);
		return;
	}
	if (c->draining) {
		edge_drained(c);
		return;
	}
	if (edge_busy(c)) {
		edge_arm(c, c->deadline_ms);
		return;
	}
	if (wire_in_body(&c->wire))
		edge_reject(c, 408, "REQUEST_TIMEOUT", "Request timeout. "
		    "The request body did not arrive in time.");
	else
		edge_reject(c, 408, "REQUEST_TIMEOUT", "Request timeout. "
		    "The request header did not arrive in time.");
}

/*
 * evhttp is in the middle of an answer while it reads nothing (its read
 * callback is unset from the answer until it is done with it), or while
 * the answer has bytes left to send.
 */
static int
edge_busy(struct edge_conn *c)
{
	bufferevent_data_cb	 readcb = NULL;

	bufferevent_getcb(c->bev, &readcb, NULL, NULL, NULL);
	return readcb == NULL ||
	    !(bufferevent_get_enabled(c->bev) & EV_READ) ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0;
}

/*
 * An answer evhttp has just queued goes to the socket at once, in the
 * loop pass that made it, instead of once the socket is reported
 * writable.  evhttp enabled the write event for it; when every byte
 * went out, that event is disabled again before the change list
 * (server.c) applies it, so that a keep-alive answer costs no
 * epoll_ctl(2), and evhttp learns that its answer is written through
 * the bufferevent's write callback, deferred to after this callback
 * (the request must outlive the route's code, and a bufferevent freed
 * meanwhile drops the callback).  Whatever did not go out (a full
 * socket buffer, an error) is left to evhttp's usual way.  Not on a
 * tls listener, where the bytes go through the TLS layer.
 */
void
edge_send_now(struct bufferevent *bev)
{
	struct evbuffer	*out = bufferevent_get_output(bev);

	if (tls_bev_is_tls(bev) ||
	    !(bufferevent_get_enabled(bev) & EV_WRITE) ||
	    evbuffer_get_length(out) == 0 ||
	    evbuffer_write(out, bufferevent_getfd(bev)) <= 0 ||
	    evbuffer_get_length(out) > 0)
		return;
	(void)bufferevent_disable(bev, EV_WRITE);
	bufferevent_trigger(bev, EV_WRITE, BEV_TRIG_DEFER_CALLBACKS);
}

/*
 * A refused request behind complete ones that evhttp has not parsed yet
 * (pipelined in the same read): those are kept and answered first, the
 * refused one and all that follows it are dropped, and the refusal is
 * sent once evhttp is idle again (edge_drained), so that answers never
 * mix.  Otherwise it is sent at once.
 */
static void
edge_refuse(struct edge_conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	struct timeval	 tv = { 1, 0 };
	size_t		 keep = 0;

	if (c->start > c->front)
		keep = (size_t)(c->start - c->front);
	if (keep == 0 || keep > evbuffer_get_length(in) ||
	    evbuffer_add_cb(bufferevent_get_output(c->bev), edge_output, c) ==
	    NULL) {
		edge_reject(c, c->wire.status, c->wire.code, c->wire.message);
		return;
	}
	c->draining = 1;
	c->status = c->wire.status;
	c->code = c->wire.code;
	c->message = c->wire.message;
	edge_keep(c, in, keep);
	evtimer_del(c->timer);
	evtimer_add(c->timer, &tv);
}

/* Drop all but the first keep bytes of the input buffer. */
static void
edge_keep(struct edge_conn *c, struct evbuffer *in, size_t keep)
{
	struct evbuffer	*tmp;

	c->truncating = 1;
	if ((tmp = evbuffer_new()) == NULL ||
	    evbuffer_remove_buffer(in, tmp, keep) != (int)keep) {
		evbuffer_drain(in, evbuffer_get_length(in));
		c->draining = 0;
		c->truncating = 0;
		if (tmp != NULL)
			evbuffer_free(tmp);
		edge_reject(c, 503, "SERVICE_UNAVAILABLE",
		    "Service unavailable.");
		return;
	}
	evbuffer_drain(in, evbuffer_get_length(in));
	evbuffer_add_buffer(in, tmp);
	evbuffer_free(tmp);
	c->truncating = 0;
}

/* An answer was written out: the refusal may be next. */
static void
edge_output(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct edge_conn	*c = arg;

	if (info->n_deleted > 0 && evbuffer_get_length(buf) == 0)
		event_active(c->timer, EV_TIMEOUT, 1);
}

/* Every kept request answered and evhttp reading again: refuse. */
static void
edge_drained(struct edge_conn *c)
{
	struct timeval	 tv = { 1, 0 };

	if (edge_busy(c) ||
	    evbuffer_get_length(bufferevent_get_input(c->bev)) > 0) {
		evtimer_add(c->timer, &tv);
		return;
	}
	evbuffer_remove_cb(bufferevent_get_output(c->bev), edge_output, c);
	c->draining = 0;
	edge_reject(c, c->status, c->code, c->message);
}

/*
 * Every byte not yet parsed by evhttp is dropped, so that evhttp parses
 * nothing more from this connection and has no request of it to
 * answer: ours is the last answer on the wire.  Only then, after the
 * linger, is it safe to free the connection from outside evhttp.
 */
static void
edge_reject(struct edge_conn *c, int status, const char *code,
    const char *message)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	struct timeval	 tv = { EDGE_LINGER_MS / 1000,
			    (EDGE_LINGER_MS % 1000) * 1000 };
	char		*addr = NULL;
	ev_uint16_t	 port = 0;
	int		 fd = bufferevent_getfd(c->bev);

	c->closing = 1;
	evtimer_del(c->timer);
	evbuffer_drain(in, evbuffer_get_length(in));
	evhttp_connection_get_peer(c->evcon, &addr, &port);
	log_debug("edge: %s port %u: %d %s", addr != NULL ? addr : "?",
	    (unsigned)port, status, message);
	if (!edge_busy(c))
		edge_answer(c->bev, status, code, message);
	(void)shutdown(fd, SHUT_WR);
	evtimer_add(c->timer, &tv);
}

/*
 * Straight to the socket (through TLS on a tls listener), whose send
 * buffer is empty at this point.
 */
static void
edge_answer(struct bufferevent *bev, int status, const char *code,
    const char *message)
{
	json_t	*body;
	char	*text, buf[EDGE_ANSWER_MAX];
	int	 n;

	body = json_pack("{s:[{s:s,s:{s:s}}]}", "errors", "message", message,
	    "extensions", "code", code);
	text = body == NULL ? NULL : json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL)
		return;
	n = snprintf(buf, sizeof(buf), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n%s"
	    "Connection: close\r\n\r\n%s", status, edge_reason(status),
	    strlen(text), status == 405 ? "Allow: " EDGE_METHODS "\r\n" : "",
	    text);
	free(text);
	if (n <= 0 || (size_t)n >= sizeof(buf))
		return;
	if (tls_bev_is_tls(bev))
		tls_bev_write(bev, buf, (size_t)n);
	else if (send(bufferevent_getfd(bev), buf, (size_t)n,
	    MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		log_debug("edge: send: %s", strerror(errno));
}

static const char *
edge_reason(int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 417:
		return "Expectation Failed";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

/* While lingering: read and forget, up to a bound. */
static void
edge_discard(struct edge_conn *c, struct evbuffer *buf)
{
	size_t	 len = evbuffer_get_length(buf);

	c->discarded += len;
	evbuffer_drain(buf, len);
	if (c->discarded > EDGE_LINGER_MAX)
		event_active(c->timer, EV_TIMEOUT, 1);
}
