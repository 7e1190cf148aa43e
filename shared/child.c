/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * What every child of the parent (keyd, the workers) does the same way:
 * receive MSG_HELLO and MSG_CONFIG at start, take a new configuration on
 * MSG_RELOAD, and, as a daemon, log through the parent.
 */
#include <sys/types.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <syslog.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "config.h"
#include "frame.h"
#include "log.h"
#include "proto.h"

/*
 * A child's log lines queued for the parent beyond this are dropped:
 * the parent reads them at once, so only a child that logs faster than
 * the parent can write gets there.
 */
#define CHILD_LOG_QUEUE_MAX	(256 * 1024)
#define CHILD_LOG_FLUSH_MS	1000	/* a fatal line, before the exit */

static void	 child_log_line(int, const char *);

static struct frame_chan	*child_log_chan;
static pthread_t		 child_log_thread;
static int			 child_log_busy;

/*
 * Blocking, before the event loop: the next message from the parent,
 * which must be of that type.  The payload (f->data, returned) is the
 * caller's to free.
 */
uint8_t *
child_expect(uint32_t type, struct frame *f)
{
	uint8_t	*data;
	int	 fd;

	if (frame_read_blocking(PROTO_FD_PARENT, PROTO_CHILD_MAX, &f->hdr,
	    &data, &fd) == -1)
		fatal("waiting for %s from the parent", msg_type_name(type));
	if (fd != -1 || f->hdr.type != type)
		fatalx("expected %s from the parent, got %s",
		    msg_type_name(type), msg_type_name(f->hdr.type));
	f->data = data;
	return data;
}

/*
 * A child's signals: SIGTERM and SIGINT call stop from the loop (to the
 * whole process group too, see tokend.8, SIGNALS); SIGHUP is ignored,
 * as a reload reaches the child as MSG_RELOAD; SIGPIPE is ignored, a
 * closed channel is seen as such.
 */
void
child_signals(struct event_base *base, void (*stop)(int, short, void *))
{
	struct event	*ev_term, *ev_int;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	ev_term = evsignal_new(base, SIGTERM, stop, NULL);
	ev_int = evsignal_new(base, SIGINT, stop, NULL);
	if (ev_term == NULL || ev_int == NULL ||
	    evsignal_add(ev_term, NULL) == -1 ||
	    evsignal_add(ev_int, NULL) == -1)
		fatalx("evsignal_add");
}

/* Blocking, before the event loop: the parent speaks first. */
struct tokend_config *
child_receive_config(uint32_t *slot)
{
	struct tokend_config	*conf;
	struct frame		 f;
	struct msg_hello	 m;
	uint8_t			*data;

	data = child_expect(MSG_HELLO, &f);
	if (msg_read(&f, MSG_HELLO, &m) == -1)
		fatalx("bad hello from the parent");
	free(data);
	*slot = m.slot;
	if (m.version != PROTO_VERSION)
		fatalx("protocol version %u, expected %u", m.version,
		    PROTO_VERSION);
	data = child_expect(MSG_CONFIG, &f);
	if ((conf = child_config_from_frame(&f)) == NULL)
		fatalx("bad configuration from the parent");
	free(data);
	return conf;
}

/* A MSG_CONFIG or MSG_RELOAD: the configuration as JSON. */
struct tokend_config *
child_config_from_frame(struct frame *f)
{
	struct msg_config	 config;
	struct msg_reload	 reload;

	if (f->hdr.type == MSG_RELOAD)
		return msg_read(f, MSG_RELOAD, &reload) == -1 ? NULL :
		    config_from_json((const char *)reload.json,
		    reload.json_len);
	return msg_read(f, MSG_CONFIG, &config) == -1 ? NULL :
	    config_from_json((const char *)config.json, config.json_len);
}

/* Tell the parent how a reload went, why == NULL when it went well. */
void
child_reload_done(struct frame_chan *parent, const char *why)
{
	struct msg_reload_done	 m;

	m.failed = why != NULL && *why != '\0';
	m.reason = why;
	if (msg_send(parent, MSG_RELOAD_DONE, 0, -1, &m) == -1)
		log_warn("reload answer");
}

/*
 * The parent's messages every child takes alike, after its own: the
 * new configuration of MSG_RELOAD goes to reload, MSG_SHUTDOWN ends the
 * loop of base, anything else is hostile.  0, or -1 to drop the channel.
 */
int
child_parent_message(struct frame *f, struct event_base *base,
    void (*reload)(struct frame *, void *), void *arg)
{
	switch (f->hdr.type) {
	case MSG_RELOAD:
		reload(f, arg);
		return 0;
	case MSG_SHUTDOWN:
		event_base_loopbreak(base);
		return 0;
	default:
		break;
	}
	log_warnx("unexpected %s from the parent", msg_type_name(f->hdr.type));
	return -1;
}

/*
 * As a daemon, the child's log goes to the parent as MSG_LOG: the child
 * never opens a socket to the system logger (a compromised one could
 * write any line with any name there), and the parent writes each line
 * after the child's name and pid.  Before the event loop's channel
 * exists (child_log_channel), a line is written to the parent's
 * descriptor at once.  In the foreground (-d) the child writes to the
 * standard error it shares with the parent, as the parent does, so that
 * its lines come in the order things happen (a debugging session's
 * terminal, and the tests, read them so).
 */
void
child_log_init(int foreground)
{
	log_init(1, LOG_DAEMON);	/* stderr; never openlog(3) */
	if (foreground)
		return;
	child_log_thread = pthread_self();
	log_sink(child_log_line);
}

/* From now on lines are queued on the channel to the parent. */
void
child_log_channel(struct frame_chan *parent)
{
	child_log_chan = parent;
}

/*
 * Lines of other threads (keyd's hashing pool) are dropped: the channel
 * is the event loop's.  So is a line logged while one is being sent (a
 * failure of the channel itself): it could not be sent either.
 */
static void
child_log_line(int pri, const char *line)
{
	struct msg_log		 m;
	struct frame_buf	 buf;

	if (child_log_busy || !pthread_equal(pthread_self(), child_log_thread))
		return;
	child_log_busy = 1;
	m.priority = (uint32_t)pri;
	m.text = line;
	if (child_log_chan == NULL) {
		frame_buf_init(&buf, CHILD_LOG_MAX + 64);
		if (msg_write(&buf, MSG_LOG, &m) == 0)
			(void)frame_write_blocking(PROTO_FD_PARENT, MSG_LOG, 0,
			    -1, buf.data, buf.len);
		frame_buf_free(&buf);
	} else {
		if (evbuffer_get_length(child_log_chan->out) <
		    CHILD_LOG_QUEUE_MAX)
			(void)msg_send(child_log_chan, MSG_LOG, 0, -1, &m);
		if (pri <= LOG_CRIT)
			(void)frame_flush_within(child_log_chan,
			    CHILD_LOG_FLUSH_MS);
	}
	child_log_busy = 0;
}
