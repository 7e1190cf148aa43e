/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * What every child of the parent (keyd, the workers) does the same way:
 * receive MSG_HELLO and MSG_CONFIG at start, and take a new
 * configuration on MSG_RELOAD.
 */
#include <sys/types.h>

#include <stdlib.h>

#include <event2/event.h>

#include "config.h"
#include "frame.h"
#include "log.h"
#include "proto.h"

static uint8_t	*child_expect(uint32_t, struct frame *);

static uint8_t *
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
