/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * tokend's own imsg-style framing.
 *
 * A frame is a 16-byte header followed by a payload:
 *
 *	uint32_t type		message type (see proto.h)
 *	uint32_t len		payload length in bytes, header excluded
 *	uint32_t id		request id, echoed in the answer
 *	uint32_t pid		sender's pid
 *
 * all in host byte order (both ends are on one machine).  A payload never
 * exceeds the channel's bound (at most FRAME_PAYLOAD_MAX).  A frame of a
 * type that carries a descriptor (msg_type_has_fd(), from proto.h) comes
 * with exactly one, sent with SCM_RIGHTS along with the frame's first
 * byte; a frame of any other type comes with none.  The framing enforces
 * both on every channel: a descriptor that no such frame can claim, a
 * missing one, or more than one per read, and the channel is closed as
 * hostile and the descriptors closed.  The callback of a frame that
 * carries one takes it with frame_chan_takefd(); if it does not, the
 * channel closes it once the callback returns.
 *
 * Payload fields are marshalled explicitly: integers in host order,
 * variable-length fields as a uint32_t length followed by the bytes.
 * The typed readers fail on short input; frame_rd_end() fails on
 * trailing bytes.  Each message's fields are declared in proto.h and
 * read and written with these by msg_read() and msg_write() (msg.c).
 *
 * Descriptor ownership: frame_chan_new() and frame_send() take the
 * descriptor they are given when they succeed (frame_send() closes it
 * once sent) and leave it to the caller when they fail;
 * frame_write_blocking() never takes it.  Descriptors from
 * frame_chan_takefd() and frame_read_blocking() are the caller's.
 * closecb is called from the event loop, never from inside frame_send().
 *
 * Output cap: after frame_chan_set_outcap(chan, high, low), a channel
 * whose queued output exceeds high stops reading (and dispatching what
 * it has read) until the peer has taken enough that at most low is
 * queued.  A peer that sends requests without reading the answers so
 * makes us hold at most high, plus the answers to what we had read.
 */
#ifndef TOKEND_FRAME_H
#define TOKEND_FRAME_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_HDR_SIZE		16
#define FRAME_PAYLOAD_MAX	(65 * 1024 * 1024)	/* PROTO_ITEMS_MAX */
#define FRAME_FDQ_MAX		16	/* descriptors queued for sending */
/*
 * Received descriptors whose frame is not dispatched yet.  An honest
 * peer never has more than two there: one for the frame being read,
 * one that came with the last read.
 */
#define FRAME_FDQ_IN_MAX	4
#define FRAME_READ_CHUNK	65536

struct event_base;
struct event;
struct evbuffer;

struct frame_hdr {
	uint32_t	 type;
	uint32_t	 len;
	uint32_t	 id;
	uint32_t	 pid;
};

struct frame {
	struct frame_hdr hdr;
	const uint8_t	*data;		/* valid only during the callback */
};

struct frame_chan;

/*
 * Called once per complete frame.  The handler validates the type and
 * the payload; when it returns -1 the channel is treated as hostile.
 */
typedef int	(*frame_cb)(struct frame_chan *, struct frame *, void *);
/* Called once when the channel is closed by the peer or fails. */
typedef void	(*frame_closecb)(struct frame_chan *, void *);
/* May take a frame before frame_send() queues it: frame_chan_set_sendhook(). */
typedef int	(*frame_sendhook)(struct frame_chan *, uint32_t, uint32_t,
		    const void *, size_t, void *);

/* A received descriptor, and the stream bytes the read that brought it got. */
struct frame_fdin {
	int			 fd;
	uint64_t		 from;	/* offset of the read's first byte */
	uint64_t		 to;	/* offset past its last byte */
};

struct frame_chan {
	int			 fd;
	pid_t			 pid;		/* ours, in every header */
	uint32_t		 max_payload;
	struct event_base	*base;
	struct event		*ev_read;
	struct event		*ev_write;
	struct evbuffer		*in;
	struct evbuffer		*out;
	struct frame_fdin	 fdq_in[FRAME_FDQ_IN_MAX];
	size_t			 fdq_in_len;
	uint64_t		 in_off;	/* stream offset of in's start */
	uint32_t		 in_last;	/* type of the last frame read */
	int			 in_fd_ready;	/* fdq_in[0] is this frame's */
	int			 fdq_out[FRAME_FDQ_MAX];
	/* where in out the frame of each queued descriptor starts */
	size_t			 fdq_out_off[FRAME_FDQ_MAX];
	size_t			 fdq_out_len;
	frame_cb		 cb;
	frame_closecb		 closecb;
	void			*arg;
	int			 dead;
	int			 in_dispatch;
	int			 free_pending;
	size_t			 out_high;	/* 0, or stop reading past it */
	size_t			 out_low;	/* read again at or below it */
	int			 out_paused;	/* not reading: out > out_high */
	int64_t			 out_logged;	/* last pause logged, ms */
	uint64_t		 out_sent;	/* bytes written, ever */
	frame_sendhook		 sendhook;
	void			*sendhook_arg;
	const char		*name;	/* for logs: "keyd", "server 3", ... */
};

/* Payload readers: each returns 0 or -1 and never reads past the end. */
struct frame_rd {
	const uint8_t	*p;
	size_t		 left;
	int		 failed;
};

/* Payload builder: a bounded, growable buffer. */
struct frame_buf {
	uint8_t		*data;
	size_t		 len;
	size_t		 cap;
	size_t		 max;
	int		 failed;
};

/* frame.c */
struct frame_chan *frame_chan_new(struct event_base *, int, uint32_t,
		    frame_cb, frame_closecb, void *, const char *);
void		 frame_chan_free(struct frame_chan *);
int		 frame_send(struct frame_chan *, uint32_t, uint32_t,
		    int, const void *, size_t);
int		 frame_send_buf(struct frame_chan *, uint32_t, uint32_t,
		    int, const struct frame_buf *);
int		 frame_flush_blocking(struct frame_chan *);
int		 frame_flush_within(struct frame_chan *, int);
void		 frame_chan_shutdown(struct frame_chan *);
void		 frame_chan_set_outcap(struct frame_chan *, size_t, size_t);
size_t		 frame_chan_queued(const struct frame_chan *);
uint64_t	 frame_chan_sent(const struct frame_chan *);
void		 frame_chan_set_sendhook(struct frame_chan *, frame_sendhook,
		    void *);
int		 frame_chan_poll(struct frame_chan *);
int		 frame_chan_takefd(struct frame_chan *);
int		 frame_read_blocking(int, uint32_t, struct frame_hdr *,
		    uint8_t **, int *);
int		 frame_write_blocking(int, uint32_t, uint32_t, int,
		    const void *, size_t);

/* Decoder core, free of I/O so that tests and fuzzers can drive it. */
int		 frame_decode(const uint8_t *, size_t, uint32_t,
		    struct frame *, size_t *);

void		 frame_rd_init(struct frame_rd *, const struct frame *);
int		 frame_rd_u8(struct frame_rd *, uint8_t *);
int		 frame_rd_u32(struct frame_rd *, uint32_t *);
int		 frame_rd_u64(struct frame_rd *, uint64_t *);
int		 frame_rd_bytes(struct frame_rd *, void *, size_t);
int		 frame_rd_str(struct frame_rd *, char *, size_t);
int		 frame_rd_blob(struct frame_rd *, const uint8_t **, size_t *,
		    size_t);
int		 frame_rd_end(struct frame_rd *);

void		 frame_buf_init(struct frame_buf *, size_t);
void		 frame_buf_free(struct frame_buf *);
int		 frame_buf_u8(struct frame_buf *, uint8_t);
int		 frame_buf_u32(struct frame_buf *, uint32_t);
int		 frame_buf_u64(struct frame_buf *, uint64_t);
int		 frame_buf_bytes(struct frame_buf *, const void *, size_t);
int		 frame_buf_str(struct frame_buf *, const char *);
int		 frame_buf_blob(struct frame_buf *, const void *, size_t);

#endif /* TOKEND_FRAME_H */
