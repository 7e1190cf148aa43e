/*
 * What every child of the parent (keyd, the workers) does the same way:
 * receive MSG_HELLO and MSG_CONFIG at start, and take a new
 * configuration on MSG_RELOAD.
 */
#include <sys/types.h>

#include <stdlib.h>

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
	struct frame_rd		 rd;
	uint8_t			*data;
	uint32_t		 version, gen;

	data = child_expect(MSG_HELLO, &f);
	frame_rd_init(&rd, &f);
	if (frame_rd_u32(&rd, &version) == -1 ||
	    frame_rd_u32(&rd, slot) == -1 || frame_rd_u32(&rd, &gen) == -1 ||
	    frame_rd_end(&rd) == -1)
		fatalx("bad hello from the parent");
	free(data);
	if (version != PROTO_VERSION)
		fatalx("protocol version %u, expected %u", version,
		    PROTO_VERSION);
	data = child_expect(MSG_CONFIG, &f);
	if ((conf = child_config_from_frame(&f)) == NULL)
		fatalx("bad configuration from the parent");
	free(data);
	return conf;
}

/* A MSG_CONFIG or MSG_RELOAD payload: one string of JSON. */
struct tokend_config *
child_config_from_frame(struct frame *f)
{
	struct frame_rd	 rd;
	const uint8_t	*json;
	size_t		 len;

	frame_rd_init(&rd, f);
	if (frame_rd_blob(&rd, &json, &len, PROTO_CHILD_MAX) == -1 ||
	    frame_rd_end(&rd) == -1)
		return NULL;
	return config_from_json((const char *)json, len);
}

/* Tell the parent how a reload went: u32 0 ok / 1 failed, str reason. */
void
child_reload_done(struct frame_chan *parent, const char *why)
{
	struct frame_buf	 fb;

	if (why == NULL)
		why = "";
	frame_buf_init(&fb, 512);
	frame_buf_u32(&fb, *why != '\0');
	frame_buf_str(&fb, why);
	if (frame_send_buf(parent, MSG_RELOAD_DONE, 0, -1, &fb) == -1)
		log_warn("reload answer");
	frame_buf_free(&fb);
}
