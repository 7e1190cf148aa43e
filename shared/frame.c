/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Framed messages over a stream socket, with descriptor passing.
 *
 * A channel owns one socket.  Input is read with recvmsg() into an
 * evbuffer; descriptors that come along are queued in arrival order.
 * Each complete frame is handed to the channel's callback.  Output is
 * queued in an evbuffer and written with sendmsg(), carrying at most one
 * descriptor per call; the write event is armed only while output waits.
 *
 * Descriptor ordering.  A stream socket delivers a passed descriptor with
 * the recvmsg() that reads the first byte of the sendmsg() it came with.
 * Each queued descriptor remembers where its frame starts in the output;
 * a sendmsg() stops short of that point, and the one that starts there
 * carries the descriptor and stops short of the next descriptor's frame.
 * So a descriptor arrives with the first byte of its own frame, never
 * earlier: a channel finds it queued once the frame is complete, and
 * frame_read_blocking() gets it with the header of its frame.
 *
 * Descriptor checks.  The receiver cannot see where a sendmsg() began:
 * one recvmsg() may return the tail of earlier sends before the one that
 * carried the descriptor (the kernel stops right after that one).  So
 * each received descriptor keeps the stream range of the read that
 * brought it, and only a frame that starts in that range can claim it:
 * a frame whose type carries a descriptor claims the oldest one, which
 * must be there and in range.  A descriptor becomes hostile as soon as
 * no frame can claim it any more: when the next frame starts past its
 * range, or when the header of the frame under way shows that the range
 * lies inside that frame, after its first byte.  A peer that sends one
 * on a frame of another type is found there, at the latest when the
 * following frame arrives; until then the descriptor waits in a queue
 * of FRAME_FDQ_IN_MAX.  More than one descriptor per read is hostile
 * too: we send one per sendmsg(), and the kernel never joins two.
 *
 * Closing.  closecb runs once, from the event loop, never from inside a
 * frame_send() call: a write failure found by frame_send() marks the
 * channel failing and activates the write event, whose callback calls
 * closecb.  While a callback of the channel runs, frame_chan_free() only
 * marks the channel; it is freed once the callback has returned.
 *
 * Output cap.  With frame_chan_set_outcap(), once the queued output
 * exceeds the high mark the read event is removed and dispatching stops
 * after the frame whose answer crossed it; frames already read wait in
 * the input buffer.  Whenever a write brings the output down to the low
 * mark, the read event is added again and made active, so that its
 * callback dispatches the frames that waited even if no byte arrives.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "frame.h"
#include "log.h"
#include "proto.h"

#ifndef INFTIM
#define INFTIM		(-1)
#endif

/* Room for the descriptors one recvmsg() may bring. */
#define FRAME_RECV_CMSG	CMSG_SPACE(sizeof(int) * 4)
#define FRAME_SEND_IOV	16	/* evbuffer chains per sendmsg() */

#define FRAME_FD_STRAY	"with a descriptor not its own"

/* chan->dead */
#define CHAN_ALIVE	0
#define CHAN_FAILING	1	/* broken, closecb still to be called */
#define CHAN_CLOSED	2	/* closecb called, or freed */

_Static_assert(sizeof(struct frame_hdr) == FRAME_HDR_SIZE,
    "struct frame_hdr must match the wire header");

static void	 frame_chan_readcb(int, short, void *);
static int	 frame_fdin_push(struct frame_chan *, int, size_t);
static void	 frame_chan_writecb(int, short, void *);
static void	 frame_chan_outcheck(struct frame_chan *);

/*
 * Move the descriptors passed in msg to the queue q, closing those that do
 * not fit.  Returns -1 if any were dropped, by us or by the kernel.
 */
static int
frame_take_rights(struct msghdr *msg, int *q, size_t *qlen, size_t qmax)
{
	struct cmsghdr	*cmsg;
	size_t		 i, n;
	int		 fd, rv = 0;

	if (msg->msg_flags & MSG_CTRUNC)
		rv = -1;
	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(fd));
			if (*qlen < qmax)
				q[(*qlen)++] = fd;
			else {
				(void)close(fd);
				rv = -1;
			}
		}
	}
	return rv;
}

static void
frame_fdq_close(int *q, size_t *qlen)
{
	size_t	 i;

	for (i = 0; i < *qlen; i++)
		(void)close(q[i]);
	*qlen = 0;
}

static void
frame_fdin_close(struct frame_chan *chan)
{
	size_t	 i;

	for (i = 0; i < chan->fdq_in_len; i++)
		(void)close(chan->fdq_in[i].fd);
	chan->fdq_in_len = 0;
	chan->in_fd_ready = 0;
}

static int
frame_fdin_pop(struct frame_chan *chan)
{
	int	 fd;

	if (chan->fdq_in_len == 0)
		return -1;
	fd = chan->fdq_in[0].fd;
	chan->fdq_in_len--;
	memmove(chan->fdq_in, chan->fdq_in + 1,
	    chan->fdq_in_len * sizeof(chan->fdq_in[0]));
	return fd;
}

static int
frame_fdq_pop(int *q, size_t *qlen)
{
	int	 fd;

	if (*qlen == 0)
		return -1;
	fd = q[0];
	(*qlen)--;
	memmove(q, q + 1, *qlen * sizeof(*q));
	return fd;
}

/*
 * n bytes of output went out, with the oldest queued descriptor if
 * fdsent: close our copy of it and move the frame offsets.
 */
static void
frame_fdq_out_sent(struct frame_chan *chan, size_t n, int fdsent)
{
	size_t	 i;

	if (fdsent) {
		(void)close(frame_fdq_pop(chan->fdq_out, &chan->fdq_out_len));
		memmove(chan->fdq_out_off, chan->fdq_out_off + 1,
		    chan->fdq_out_len * sizeof(chan->fdq_out_off[0]));
	}
	for (i = 0; i < chan->fdq_out_len; i++)
		chan->fdq_out_off[i] -= n;
}

/* One sendmsg() of iov, with sendfd attached unless it is -1. */
static ssize_t
frame_sendmsg(int fd, struct iovec *iov, int iovcnt, int sendfd)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int))];
	}		 cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = iovcnt;
	if (sendfd != -1) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &sendfd, sizeof(sendfd));
	}
	return sendmsg(fd, &msg, MSG_NOSIGNAL);
}

/* Wait for fd to be ready, for the blocking helpers. */
static int
frame_poll(int fd, short events)
{
	struct pollfd	 pfd;

	pfd.fd = fd;
	pfd.events = events;
	if (poll(&pfd, 1, INFTIM) == -1 && errno != EINTR)
		return -1;
	return 0;
}

/*
 * Whenever a whole header is present, frame->hdr is filled, so that a
 * caller can name the type of a frame it rejects.
 */
int
frame_decode(const uint8_t *buf, size_t buflen, uint32_t max_payload,
    struct frame *frame, size_t *consumed)
{
	if (max_payload > FRAME_PAYLOAD_MAX)
		max_payload = FRAME_PAYLOAD_MAX;
	frame->data = NULL;
	*consumed = 0;
	if (buflen < FRAME_HDR_SIZE)
		return 0;
	memcpy(&frame->hdr, buf, FRAME_HDR_SIZE);
	if (!msg_type_valid(frame->hdr.type)) {
		errno = EBADMSG;
		return -1;
	}
	if (frame->hdr.len > max_payload) {
		errno = EMSGSIZE;
		return -1;
	}
	if (buflen - FRAME_HDR_SIZE < frame->hdr.len)
		return 0;
	frame->data = buf + FRAME_HDR_SIZE;
	*consumed = FRAME_HDR_SIZE + (size_t)frame->hdr.len;
	return 1;
}

/*
 * The descriptor fd passes to the channel only on success; on failure it
 * stays the caller's.  name is copied.
 */
struct frame_chan *
frame_chan_new(struct event_base *base, int fd, uint32_t max_payload,
    frame_cb cb, frame_closecb closecb, void *arg, const char *name)
{
	struct frame_chan	*chan;
	int			 flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return NULL;
	if ((chan = calloc(1, sizeof(*chan))) == NULL)
		return NULL;
	chan->fd = fd;
	chan->pid = getpid();
	chan->base = base;
	chan->max_payload = max_payload > FRAME_PAYLOAD_MAX ?
	    FRAME_PAYLOAD_MAX : max_payload;
	chan->cb = cb;
	chan->closecb = closecb;
	chan->arg = arg;
	chan->name = strdup(name != NULL ? name : "channel");
	chan->in = evbuffer_new();
	chan->out = evbuffer_new();
	chan->ev_read = event_new(base, fd, EV_READ | EV_PERSIST,
	    frame_chan_readcb, chan);
	chan->ev_write = event_new(base, fd, EV_WRITE | EV_PERSIST,
	    frame_chan_writecb, chan);
	if (chan->name == NULL || chan->in == NULL || chan->out == NULL ||
	    chan->ev_read == NULL || chan->ev_write == NULL ||
	    event_add(chan->ev_read, NULL) == -1) {
		chan->fd = -1;
		frame_chan_free(chan);
		errno = ENOMEM;
		return NULL;
	}
	return chan;
}

static void
frame_chan_destroy(struct frame_chan *chan)
{
	if (chan->ev_read != NULL)
		event_free(chan->ev_read);
	if (chan->ev_write != NULL)
		event_free(chan->ev_write);
	if (chan->in != NULL)
		evbuffer_free(chan->in);
	if (chan->out != NULL)
		evbuffer_free(chan->out);
	frame_fdin_close(chan);
	frame_fdq_close(chan->fdq_out, &chan->fdq_out_len);
	if (chan->fd != -1)
		(void)close(chan->fd);
	free((char *)chan->name);
	free(chan);
}

/*
 * Output still queued is dropped: call frame_flush_blocking() first to
 * deliver it.  closecb is not called.
 */
void
frame_chan_free(struct frame_chan *chan)
{
	if (chan == NULL)
		return;
	chan->dead = CHAN_CLOSED;
	if (chan->ev_read != NULL)
		event_del(chan->ev_read);
	if (chan->ev_write != NULL)
		event_del(chan->ev_write);
	if (chan->in_dispatch > 0) {
		chan->free_pending = 1;
		return;
	}
	frame_chan_destroy(chan);
}

static void
frame_chan_enter(struct frame_chan *chan)
{
	chan->in_dispatch++;
}

/* After this the channel may be gone: frame_chan_free() was deferred. */
static void
frame_chan_leave(struct frame_chan *chan)
{
	chan->in_dispatch--;
	if (chan->in_dispatch == 0 && chan->free_pending)
		frame_chan_destroy(chan);
}

/*
 * Stop the channel and call closecb once.  Only from a callback of the
 * channel, between frame_chan_enter() and frame_chan_leave().
 */
static void
frame_chan_close(struct frame_chan *chan)
{
	if (chan->dead == CHAN_CLOSED)
		return;
	chan->dead = CHAN_CLOSED;
	event_del(chan->ev_read);
	event_del(chan->ev_write);
	frame_fdin_close(chan);
	frame_fdq_close(chan->fdq_out, &chan->fdq_out_len);
	(void)evbuffer_drain(chan->out, evbuffer_get_length(chan->out));
	if (chan->closecb != NULL)
		chan->closecb(chan, chan->arg);
}

/* The same, from outside the channel's callbacks: closecb comes later. */
static void
frame_chan_fail(struct frame_chan *chan)
{
	if (chan->dead != CHAN_ALIVE)
		return;
	chan->dead = CHAN_FAILING;
	event_del(chan->ev_read);
	event_del(chan->ev_write);
	event_active(chan->ev_write, EV_WRITE, 1);
}

static void
frame_chan_hostile(struct frame_chan *chan, uint32_t type, const char *why)
{
	log_warnx("%s: %s message (type %u): %s, closing", chan->name,
	    msg_type_name(type), type, why);
	frame_chan_close(chan);
}

static void
frame_chan_nomem(struct frame_chan *chan)
{
	log_warnx("%s: out of memory for input, closing", chan->name);
	frame_chan_close(chan);
}

/*
 * Write as much of the output as the socket takes.  Returns 0 when done
 * or when it would block, -1 on a write error.
 */
static int
frame_chan_write(struct frame_chan *chan)
{
	struct evbuffer_iovec	 vec[FRAME_SEND_IOV];
	struct iovec		 iov[FRAME_SEND_IOV];
	size_t			 limit;
	ssize_t			 n;
	int			 i, nvec, sendfd;

	while (evbuffer_get_length(chan->out) > 0) {
		nvec = evbuffer_peek(chan->out, -1, NULL, vec, FRAME_SEND_IOV);
		if (nvec > FRAME_SEND_IOV)
			nvec = FRAME_SEND_IOV;
		/* See "Descriptor ordering" above. */
		sendfd = -1;
		limit = SIZE_MAX;
		if (chan->fdq_out_len > 0 && chan->fdq_out_off[0] > 0)
			limit = chan->fdq_out_off[0];
		else if (chan->fdq_out_len > 0) {
			sendfd = chan->fdq_out[0];
			if (chan->fdq_out_len > 1)
				limit = chan->fdq_out_off[1];
		}
		for (i = 0; i < nvec && limit > 0; i++) {
			iov[i].iov_base = vec[i].iov_base;
			iov[i].iov_len = vec[i].iov_len < limit ?
			    vec[i].iov_len : limit;
			limit -= iov[i].iov_len;
		}
		if ((n = frame_sendmsg(chan->fd, iov, i, sendfd)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		frame_fdq_out_sent(chan, n, sendfd != -1);
		(void)evbuffer_drain(chan->out, n);
		chan->out_sent += (uint64_t)n;
	}
	return 0;
}

static void
frame_chan_write_error(struct frame_chan *chan)
{
	if (errno == EPIPE || errno == ECONNRESET)
		log_debug("%s: peer closed the channel", chan->name);
	else
		log_warn("%s: sendmsg", chan->name);
}

/* Write what the socket takes now and arm the write event for the rest. */
static void
frame_chan_flush(struct frame_chan *chan)
{
	if (frame_chan_write(chan) == -1) {
		frame_chan_write_error(chan);
		frame_chan_fail(chan);
		return;
	}
	if (evbuffer_get_length(chan->out) > 0) {
		if (event_add(chan->ev_write, NULL) == -1) {
			log_warnx("%s: event_add failed", chan->name);
			frame_chan_fail(chan);
			return;
		}
	} else
		event_del(chan->ev_write);
	frame_chan_outcheck(chan);
}

/*
 * Stop reading when the output is over the cap, read again once it is
 * down to the low mark.  The pause is logged, at most once a second.
 */
static void
frame_chan_outcheck(struct frame_chan *chan)
{
	size_t	 queued = evbuffer_get_length(chan->out);

	if (chan->dead != CHAN_ALIVE || chan->out_high == 0)
		return;
	if (!chan->out_paused && queued > chan->out_high) {
		chan->out_paused = 1;
		event_del(chan->ev_read);
		/* At most once a second: a peer can pause us at will. */
		if (chan->out_logged == 0 ||
		    now_ms(CLOCK_MONOTONIC) - chan->out_logged >= 1000) {
			chan->out_logged = now_ms(CLOCK_MONOTONIC);
			log_warnx("%s: %zu bytes of output queued: not "
			    "reading it until the peer takes them",
			    chan->name, queued);
		}
	} else if (chan->out_paused && queued <= chan->out_low) {
		if (event_add(chan->ev_read, NULL) == -1) {
			log_warnx("%s: event_add failed", chan->name);
			frame_chan_fail(chan);
			return;
		}
		chan->out_paused = 0;
		/* Frames read before the pause wait in the input. */
		event_active(chan->ev_read, EV_READ, 1);
		log_debug("%s: output down to %zu bytes: reading again",
		    chan->name, queued);
	}
}

/* 0 (no cap), or stop reading past high and start again at low. */
void
frame_chan_set_outcap(struct frame_chan *chan, size_t high, size_t low)
{
	chan->out_high = high;
	chan->out_low = low < high ? low : high;
	frame_chan_outcheck(chan);
	if (high == 0 && chan->out_paused) {
		chan->out_paused = 0;
		if (chan->dead == CHAN_ALIVE) {
			(void)event_add(chan->ev_read, NULL);
			event_active(chan->ev_read, EV_READ, 1);
		}
	}
}

/* Bytes of output queued that the socket did not take yet. */
size_t
frame_chan_queued(const struct frame_chan *chan)
{
	return evbuffer_get_length(chan->out);
}

/*
 * Bytes of output written to the socket since the channel was made; with
 * frame_chan_queued(), where in the stream a frame just queued ends.
 */
uint64_t
frame_chan_sent(const struct frame_chan *chan)
{
	return chan->out_sent;
}

/*
 * hook(chan, type, id, data, len, arg) runs in frame_send(), for a frame
 * without a descriptor, before it is queued: when it returns 1 it took
 * the frame, and frame_send() queues nothing and returns 0.
 */
void
frame_chan_set_sendhook(struct frame_chan *chan, frame_sendhook hook,
    void *arg)
{
	chan->sendhook = hook;
	chan->sendhook_arg = arg;
}

static void
frame_chan_writecb(int fd, short events, void *arg)
{
	struct frame_chan	*chan = arg;

	(void)fd;
	(void)events;
	frame_chan_enter(chan);
	if (chan->dead == CHAN_FAILING)
		frame_chan_close(chan);
	else if (chan->dead == CHAN_ALIVE) {
		if (frame_chan_write(chan) == -1) {
			frame_chan_write_error(chan);
			frame_chan_close(chan);
		} else {
			if (evbuffer_get_length(chan->out) == 0)
				event_del(chan->ev_write);
			frame_chan_outcheck(chan);
		}
	}
	frame_chan_leave(chan);
}

/*
 * One recvmsg() into the input buffer.  Returns 1 when bytes were added,
 * 0 when it would block, -1 when the channel was closed.
 */
static int
frame_chan_fill(struct frame_chan *chan)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[FRAME_RECV_CMSG];
	}		 cmsgbuf;
	unsigned char	 buf[FRAME_READ_CHUNK];
	struct msghdr	 msg;
	struct iovec	 iov;
	ssize_t		 n;
	size_t		 nfd = 0;
	int		 fd;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	if ((n = recvmsg(chan->fd, &msg, MSG_CMSG_CLOEXEC)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		if (errno == ECONNRESET)
			log_debug("%s: reset by the peer", chan->name);
		else
			log_warn("%s: recvmsg", chan->name);
		frame_chan_close(chan);
		return -1;
	}
	if (frame_take_rights(&msg, &fd, &nfd, 1) == -1) {
		if (nfd > 0)
			(void)close(fd);
		log_warnx("%s: more than one descriptor in one read, closing",
		    chan->name);
		frame_chan_close(chan);
		return -1;
	}
	if (n == 0) {
		if (nfd > 0)
			(void)close(fd);
		log_debug("%s: closed by the peer", chan->name);
		frame_chan_close(chan);
		return -1;
	}
	if (nfd > 0 && frame_fdin_push(chan, fd, n) == -1)
		return -1;
	if (evbuffer_add(chan->in, buf, n) == -1) {
		frame_chan_nomem(chan);
		return -1;
	}
	return 1;
}

/*
 * Queue a descriptor that came with the next n bytes of input.  -1 when
 * the channel was closed: the queue is full.
 */
static int
frame_fdin_push(struct frame_chan *chan, int fd, size_t n)
{
	struct frame_fdin	*in;

	if (chan->fdq_in_len >= FRAME_FDQ_IN_MAX) {
		(void)close(fd);
		log_warnx("%s: too many descriptors passed, closing",
		    chan->name);
		frame_chan_close(chan);
		return -1;
	}
	in = &chan->fdq_in[chan->fdq_in_len++];
	in->fd = fd;
	in->from = chan->in_off + evbuffer_get_length(chan->in);
	in->to = in->from + n;
	return 0;
}

/*
 * Is a queued descriptor one that no frame can claim any more?  The next
 * frame to dispatch starts at chan->in_off; once its header is known,
 * end is where it ends (else 0) and type its type.  A descriptor whose
 * read ended before end can only be this frame's.
 */
static int
frame_fdin_orphan(const struct frame_chan *chan, uint64_t end,
    uint32_t type)
{
	const struct frame_fdin	*in;
	size_t			 i;

	for (i = 0; i < chan->fdq_in_len; i++) {
		in = &chan->fdq_in[i];
		if (in->to <= chan->in_off)
			return 1;
		if (end != 0 && in->to <= end && (i > 0 ||
		    in->from > chan->in_off || !msg_type_has_fd(type)))
			return 1;
	}
	return 0;
}

/*
 * The frame at chan->in_off is complete: one of a type that carries a
 * descriptor claims the oldest queued one, which must have come with its
 * first byte.  0, or -1 when the channel was closed.
 */
static int
frame_fdin_claim(struct frame_chan *chan, uint32_t type)
{
	const struct frame_fdin	*in = &chan->fdq_in[0];

	if (!msg_type_has_fd(type))
		return 0;
	if (chan->fdq_in_len == 0 || in->from > chan->in_off ||
	    in->to <= chan->in_off) {
		frame_chan_hostile(chan, type, "without its descriptor");
		return -1;
	}
	chan->in_fd_ready = 1;
	return 0;
}

/* After the callback: close the frame's descriptor if it was not taken. */
static void
frame_fdin_unclaimed(struct frame_chan *chan)
{
	if (chan->in_fd_ready) {
		chan->in_fd_ready = 0;
		(void)close(frame_fdin_pop(chan));
	}
}

/* Hand every complete frame in the input buffer to the callback. */
static void
frame_chan_dispatch(struct frame_chan *chan)
{
	struct frame	 frame;
	const uint8_t	*p;
	size_t		 avail, need, consumed;
	int		 rv;

	while (chan->dead == CHAN_ALIVE && !chan->out_paused) {
		if (frame_fdin_orphan(chan, 0, MSG_NONE)) {
			frame_chan_hostile(chan, chan->in_last,
			    FRAME_FD_STRAY);
			return;
		}
		avail = evbuffer_get_length(chan->in);
		if (avail < FRAME_HDR_SIZE)
			return;
		if ((p = evbuffer_pullup(chan->in, FRAME_HDR_SIZE)) == NULL) {
			frame_chan_nomem(chan);
			return;
		}
		if (frame_decode(p, FRAME_HDR_SIZE, chan->max_payload, &frame,
		    &consumed) == -1) {
			frame_chan_hostile(chan, frame.hdr.type,
			    errno == EMSGSIZE ? "payload too long" :
			    "unknown type");
			return;
		}
		need = FRAME_HDR_SIZE + (size_t)frame.hdr.len;
		if (frame_fdin_orphan(chan, chan->in_off + need,
		    frame.hdr.type)) {
			frame_chan_hostile(chan, frame.hdr.type,
			    FRAME_FD_STRAY);
			return;
		}
		if (avail < need)
			return;
		if ((p = evbuffer_pullup(chan->in, need)) == NULL) {
			frame_chan_nomem(chan);
			return;
		}
		if (frame_decode(p, need, chan->max_payload, &frame,
		    &consumed) != 1) {
			frame_chan_hostile(chan, frame.hdr.type, "bad frame");
			return;
		}
		if (frame_fdin_claim(chan, frame.hdr.type) == -1)
			return;
		rv = chan->cb(chan, &frame, chan->arg);
		frame_fdin_unclaimed(chan);
		if (rv == -1) {
			if (chan->dead != CHAN_CLOSED)
				frame_chan_hostile(chan, frame.hdr.type,
				    "refused by the handler");
			return;
		}
		chan->in_last = frame.hdr.type;
		(void)evbuffer_drain(chan->in, consumed);
		chan->in_off += consumed;
	}
}

static void
frame_chan_readcb(int fd, short events, void *arg)
{
	struct frame_chan	*chan = arg;

	(void)fd;
	(void)events;
	frame_chan_enter(chan);
	/* 0 from frame_chan_fill(): frames may wait from before a pause. */
	if (chan->dead == CHAN_ALIVE && !chan->out_paused &&
	    frame_chan_fill(chan) != -1)
		frame_chan_dispatch(chan);
	frame_chan_leave(chan);
}

/*
 * Queue a frame and try to write it at once.  On success a descriptor fd
 * (unless -1) belongs to the channel, which closes it once sent; on
 * failure it stays the caller's.  Returns 0 once the frame is queued: a
 * write failure met while sending it is reported through closecb, from
 * the event loop, like any later one.
 */
int
frame_send(struct frame_chan *chan, uint32_t type, uint32_t id, int fd,
    const void *data, size_t len)
{
	struct frame_hdr	 hdr;
	size_t			 off;

	if (chan->dead != CHAN_ALIVE) {
		errno = EPIPE;
		return -1;
	}
	if (!msg_type_valid(type) || (data == NULL && len > 0)) {
		errno = EINVAL;
		return -1;
	}
	if (len > chan->max_payload) {
		errno = EMSGSIZE;
		return -1;
	}
	if (fd != -1 && chan->fdq_out_len >= FRAME_FDQ_MAX) {
		errno = ENOBUFS;
		return -1;
	}
	if (chan->sendhook != NULL && fd == -1 &&
	    chan->sendhook(chan, type, id, data, len, chan->sendhook_arg) == 1)
		return 0;
	hdr.type = type;
	hdr.len = len;
	hdr.id = id;
	hdr.pid = chan->pid;
	off = evbuffer_get_length(chan->out);
	if (evbuffer_expand(chan->out, sizeof(hdr) + len) == -1) {
		errno = ENOMEM;
		return -1;
	}
	if (evbuffer_add(chan->out, &hdr, sizeof(hdr)) == -1 ||
	    (len > 0 && evbuffer_add(chan->out, data, len) == -1)) {
		/* A partial frame is queued: the stream is lost. */
		log_warnx("%s: out of memory for output", chan->name);
		frame_chan_fail(chan);
		errno = ENOMEM;
		return -1;
	}
	if (fd != -1) {
		chan->fdq_out[chan->fdq_out_len] = fd;
		chan->fdq_out_off[chan->fdq_out_len++] = off;
	}
	frame_chan_flush(chan);
	return 0;
}

int
frame_send_buf(struct frame_chan *chan, uint32_t type, uint32_t id, int fd,
    const struct frame_buf *buf)
{
	if (buf->failed) {
		errno = EINVAL;
		return -1;
	}
	return frame_send(chan, type, id, fd, buf->data, buf->len);
}

/*
 * Write all queued output, waiting as long as it takes.  On a write error
 * the channel fails as in frame_send() and -1 is returned.
 */
int
frame_flush_blocking(struct frame_chan *chan)
{
	for (;;) {
		if (chan->dead != CHAN_ALIVE) {
			errno = EPIPE;
			return -1;
		}
		if (frame_chan_write(chan) == -1) {
			frame_chan_write_error(chan);
			frame_chan_fail(chan);
			return -1;
		}
		if (evbuffer_get_length(chan->out) == 0)
			break;
		if (frame_poll(chan->fd, POLLOUT) == -1)
			return -1;
	}
	event_del(chan->ev_write);
	frame_chan_outcheck(chan);
	return 0;
}

/*
 * Write the queued output within timeout_ms.  0 once all of it is in the
 * socket; -1 with ETIMEDOUT when the peer did not take it in time (it
 * stays queued), or on a write error, after which the channel fails as
 * in frame_send().
 */
int
frame_flush_within(struct frame_chan *chan, int timeout_ms)
{
	struct pollfd	 pfd;
	int64_t		 start = now_ms(CLOCK_MONOTONIC);
	int		 left;

	for (;;) {
		if (chan->dead != CHAN_ALIVE) {
			errno = EPIPE;
			return -1;
		}
		if (frame_chan_write(chan) == -1) {
			frame_chan_write_error(chan);
			frame_chan_fail(chan);
			return -1;
		}
		if (evbuffer_get_length(chan->out) == 0)
			break;
		left = timeout_ms - (int)(now_ms(CLOCK_MONOTONIC) - start);
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = chan->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, left) == -1 && errno != EINTR)
			return -1;
	}
	event_del(chan->ev_write);
	frame_chan_outcheck(chan);
	return 0;
}

/*
 * End the channel now, also when it is failing already: the peer reads
 * what was written so far, then end of file.  closecb follows from the
 * event loop.
 */
void
frame_chan_shutdown(struct frame_chan *chan)
{
	if (chan->dead == CHAN_CLOSED)
		return;
	(void)shutdown(chan->fd, SHUT_RDWR);
	frame_chan_fail(chan);
}

/*
 * Read and dispatch, without waiting, everything the peer has written so
 * far.  0 when the channel is alive and was read up to now; -1 when it
 * is closed, or when called from inside one of its own callbacks (its
 * buffered frames cannot be dispatched from there).
 */
int
frame_chan_poll(struct frame_chan *chan)
{
	int	 rv = 0, alive;

	if (chan->dead != CHAN_ALIVE || chan->in_dispatch > 0)
		return -1;
	frame_chan_enter(chan);
	while (!chan->out_paused && (rv = frame_chan_fill(chan)) == 1)
		frame_chan_dispatch(chan);
	alive = chan->dead == CHAN_ALIVE;
	frame_chan_leave(chan);
	return rv == 0 && alive ? 0 : -1;
}

/*
 * The descriptor of the frame being dispatched, from its callback, once;
 * -1 for a frame of a type without one.  The caller owns it.
 */
int
frame_chan_takefd(struct frame_chan *chan)
{
	if (!chan->in_fd_ready)
		return -1;
	chan->in_fd_ready = 0;
	return frame_fdin_pop(chan);
}

/*
 * One recvmsg() of at most len bytes, waiting if the descriptor is
 * non-blocking.  A passed descriptor lands in *rfd; a second one is an
 * error.
 */
static ssize_t
frame_recv_some(int fd, void *buf, size_t len, int *rfd)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[FRAME_RECV_CMSG];
	}		 cmsgbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	ssize_t		 n;
	size_t		 nfd;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf;
		iov.iov_len = len;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		if ((n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC)) != -1)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (frame_poll(fd, POLLIN) == -1)
			return -1;
	}
	nfd = *rfd != -1;
	if (frame_take_rights(&msg, rfd, &nfd, 1) == -1) {
		errno = EBADMSG;
		return -1;
	}
	return n;
}

static int
frame_recv_exact(int fd, void *buf, size_t len, int *rfd)
{
	unsigned char	*p = buf;
	size_t		 done = 0;
	ssize_t		 n;

	while (done < len) {
		if ((n = frame_recv_some(fd, p + done, len - done, rfd)) == -1)
			return -1;
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		done += n;
	}
	return 0;
}

/*
 * Read exactly one frame, and not a byte more, from fd, before the event
 * loop runs.  *payload is allocated (even for an empty payload) and is
 * the caller's to free; *rfd is the descriptor that came along, for a
 * type that carries one, or -1.  End of file sets errno to ECONNRESET,
 * an invalid header to EBADMSG or EMSGSIZE, a descriptor missing or one
 * on a frame of a type without to EBADMSG (it is closed).
 */
int
frame_read_blocking(int fd, uint32_t max_payload, struct frame_hdr *hdr,
    uint8_t **payload, int *rfd)
{
	uint8_t		 hbuf[FRAME_HDR_SIZE];
	struct frame	 frame;
	size_t		 consumed;
	int		 saved_errno;

	*payload = NULL;
	*rfd = -1;
	if (frame_recv_exact(fd, hbuf, sizeof(hbuf), rfd) == -1)
		goto fail;
	if (frame_decode(hbuf, sizeof(hbuf), max_payload, &frame,
	    &consumed) == -1)
		goto fail;
	*hdr = frame.hdr;
	if ((*payload = malloc(hdr->len > 0 ? hdr->len : 1)) == NULL)
		goto fail;
	if (frame_recv_exact(fd, *payload, hdr->len, rfd) == -1)
		goto fail;
	if ((*rfd != -1) != msg_type_has_fd(hdr->type)) {
		errno = EBADMSG;
		goto fail;
	}
	return 0;
 fail:
	saved_errno = errno;
	if (*payload != NULL)
		freezero(*payload, hdr->len > 0 ? hdr->len : 1);
	*payload = NULL;
	if (*rfd != -1)
		(void)close(*rfd);
	*rfd = -1;
	errno = saved_errno;
	return -1;
}

/*
 * Write one frame to fd, waiting as long as it takes.  sendfd, unless -1,
 * goes along with the header; it stays the caller's to close.
 */
int
frame_write_blocking(int fd, uint32_t type, uint32_t id, int sendfd,
    const void *data, size_t len)
{
	struct frame_hdr hdr;
	struct iovec	 iov[2];
	ssize_t		 n;
	int		 first = 0;

	if (!msg_type_valid(type) || (data == NULL && len > 0)) {
		errno = EINVAL;
		return -1;
	}
	if (len > FRAME_PAYLOAD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	hdr.type = type;
	hdr.len = len;
	hdr.id = id;
	hdr.pid = getpid();
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)data;
	iov[1].iov_len = len;
	while (first < 2) {
		n = frame_sendmsg(fd, iov + first, 2 - first, sendfd);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			if (frame_poll(fd, POLLOUT) == -1)
				return -1;
			continue;
		}
		sendfd = -1;
		for (; first < 2 && (size_t)n >= iov[first].iov_len; first++)
			n -= iov[first].iov_len;
		if (first < 2) {
			iov[first].iov_base =
			    (uint8_t *)iov[first].iov_base + n;
			iov[first].iov_len -= n;
		}
	}
	return 0;
}

void
frame_rd_init(struct frame_rd *rd, const struct frame *frame)
{
	rd->p = frame->data;
	rd->left = frame->data != NULL ? frame->hdr.len : 0;
	rd->failed = 0;
}

/* Point *p at the next n bytes and step over them. */
static int
frame_rd_take(struct frame_rd *rd, const uint8_t **p, size_t n)
{
	if (rd->failed || n > rd->left) {
		rd->failed = 1;
		return -1;
	}
	*p = rd->p;
	if (n > 0) {
		rd->p += n;
		rd->left -= n;
	}
	return 0;
}

int
frame_rd_bytes(struct frame_rd *rd, void *dst, size_t n)
{
	const uint8_t	*p;

	if (frame_rd_take(rd, &p, n) == -1)
		return -1;
	if (n > 0)
		memcpy(dst, p, n);
	return 0;
}

int
frame_rd_u8(struct frame_rd *rd, uint8_t *v)
{
	return frame_rd_bytes(rd, v, sizeof(*v));
}

int
frame_rd_u32(struct frame_rd *rd, uint32_t *v)
{
	return frame_rd_bytes(rd, v, sizeof(*v));
}

int
frame_rd_u64(struct frame_rd *rd, uint64_t *v)
{
	return frame_rd_bytes(rd, v, sizeof(*v));
}

/*
 * A u32 length, then that many bytes without a NUL.  dst gets them with a
 * NUL terminator, or an empty string on failure.
 */
int
frame_rd_str(struct frame_rd *rd, char *dst, size_t dstsize)
{
	const uint8_t	*p;
	uint32_t	 len;

	if (dstsize > 0)
		dst[0] = '\0';
	if (frame_rd_u32(rd, &len) == -1)
		return -1;
	if (len >= dstsize || frame_rd_take(rd, &p, len) == -1 ||
	    memchr(p, '\0', len) != NULL) {
		rd->failed = 1;
		return -1;
	}
	memcpy(dst, p, len);
	dst[len] = '\0';
	return 0;
}

/* A u32 length, then that many bytes; *p points into the payload. */
int
frame_rd_blob(struct frame_rd *rd, const uint8_t **p, size_t *len,
    size_t max)
{
	uint32_t	 n;

	*p = NULL;
	*len = 0;
	if (frame_rd_u32(rd, &n) == -1)
		return -1;
	if (n > max || frame_rd_take(rd, p, n) == -1) {
		rd->failed = 1;
		*p = NULL;
		return -1;
	}
	*len = n;
	return 0;
}

int
frame_rd_end(struct frame_rd *rd)
{
	if (rd->failed || rd->left > 0) {
		rd->failed = 1;
		return -1;
	}
	return 0;
}

void
frame_buf_init(struct frame_buf *buf, size_t max)
{
	memset(buf, 0, sizeof(*buf));
	buf->max = max;
}

void
frame_buf_free(struct frame_buf *buf)
{
	freezero(buf->data, buf->cap);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

/* Make room for n more bytes, never beyond buf->max. */
static int
frame_buf_reserve(struct frame_buf *buf, size_t n)
{
	uint8_t	*p;
	size_t	 cap;

	if (buf->failed || n > buf->max - buf->len) {
		buf->failed = 1;
		return -1;
	}
	if (n <= buf->cap - buf->len)
		return 0;
	cap = buf->cap < 64 ? 64 : buf->cap;
	while (cap - buf->len < n && cap <= buf->max / 2)
		cap *= 2;
	if (cap - buf->len < n || cap > buf->max)
		cap = buf->max;
	if ((p = recallocarray(buf->data, buf->cap, cap, 1)) == NULL) {
		buf->failed = 1;
		return -1;
	}
	buf->data = p;
	buf->cap = cap;
	return 0;
}

int
frame_buf_bytes(struct frame_buf *buf, const void *src, size_t n)
{
	if (frame_buf_reserve(buf, n) == -1)
		return -1;
	if (n > 0) {
		memcpy(buf->data + buf->len, src, n);
		buf->len += n;
	}
	return 0;
}

int
frame_buf_u8(struct frame_buf *buf, uint8_t v)
{
	return frame_buf_bytes(buf, &v, sizeof(v));
}

int
frame_buf_u32(struct frame_buf *buf, uint32_t v)
{
	return frame_buf_bytes(buf, &v, sizeof(v));
}

int
frame_buf_u64(struct frame_buf *buf, uint64_t v)
{
	return frame_buf_bytes(buf, &v, sizeof(v));
}

/* A u32 length, then the bytes; nothing is written unless all fit. */
int
frame_buf_blob(struct frame_buf *buf, const void *src, size_t n)
{
	if (n > UINT32_MAX || n > SIZE_MAX - sizeof(uint32_t) ||
	    frame_buf_reserve(buf, sizeof(uint32_t) + n) == -1) {
		buf->failed = 1;
		return -1;
	}
	(void)frame_buf_u32(buf, n);
	return frame_buf_bytes(buf, src, n);
}

/* The string's bytes without the NUL, as a blob. */
int
frame_buf_str(struct frame_buf *buf, const char *s)
{
	return frame_buf_blob(buf, s, strlen(s));
}
