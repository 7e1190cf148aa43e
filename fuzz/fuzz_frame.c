/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/frame.c: frame_decode() as a channel drives it, and
 * shared/msg.c: msg_read() and msg_write() on every message's layout as
 * proto.h declares it; with them the production readers of MSG_CONFIG
 * (child_config_from_frame), MSG_AUTH_RESULT (auth_result_read) and
 * MSG_USER (auth_user_read).
 *
 * Input: one byte whose low two bits pick the channel's payload bound
 * (PROTO_KEYD_MAX, PROTO_CHILD_MAX, PROTO_CTL_MAX, or one above
 * FRAME_PAYLOAD_MAX, which must be clamped), then the byte stream.
 *
 * Properties: a frame is never reported complete before all its bytes
 * are there, never longer than the bound, and its payload lies in the
 * buffer; a reader never reads past the payload; a payload read whole,
 * as proto.h lays it out, holds strings and blobs within their bounds
 * and is rebuilt byte for byte by msg_write().
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../server/tokend.h"
#include "config.h"
#include "frame.h"
#include "fuzz.h"
#include "proto.h"

static const uint32_t fuzz_frame_bound[] = {
	PROTO_KEYD_MAX, PROTO_CHILD_MAX, PROTO_CTL_MAX, FRAME_PAYLOAD_MAX + 1
};

/* Each string shorter than its buffer, each blob within its bound. */
static void
fuzz_frame_check(const struct msg_field *fl, const uint8_t *m)
{
	const char	*str;
	size_t		 i;

	for (; fl->kind != MSG_KIND_END; fl++) {
		if (fl->kind == MSG_KIND_STR) {
			str = *(const char *const *)(m + fl->off);
			FUZZ_ASSERT(str == (const char *)m + fl->aux &&
			    strlen(str) < fl->bound);
		} else if (fl->kind == MSG_KIND_BLOB)
			FUZZ_ASSERT(*(const size_t *)(m + fl->aux) <=
			    fl->bound);
		else if (fl->kind == MSG_KIND_SUB)
			for (i = 0; i < fl->bound; i++)
				fuzz_frame_check(fl->sub, m + fl->off +
				    i * fl->aux);
	}
}

/*
 * Read a payload with msg_read() as proto.h declares it; if it was
 * whole, msg_write() rebuilds it byte for byte.
 */
static void
fuzz_frame_payload(struct frame *f, uint32_t bound)
{
	const struct msg_decl	*d = msg_decl(f->hdr.type);
	struct frame_buf	 fb;
	void			*m = NULL;

	FUZZ_ASSERT(d != NULL && d->name != NULL && d->fields != NULL);
	if (d->fields[0].kind != MSG_KIND_END &&
	    (m = malloc(d->size)) == NULL)
		abort();
	if (msg_read(f, f->hdr.type, m) == -1) {
		free(m);
		return;
	}
	if (m != NULL)
		fuzz_frame_check(d->fields, m);
	if (msg_write(&fb, f->hdr.type, m) == -1) {
		/* Only a control message longer than the control socket's. */
		FUZZ_ASSERT(((d->from | d->to) & PEER_CTL) &&
		    f->hdr.len > PROTO_CTL_MAX);
		frame_buf_free(&fb);
		free(m);
		return;
	}
	FUZZ_ASSERT(fb.len == f->hdr.len && fb.len <= bound);
	FUZZ_ASSERT(fb.len == 0 || memcmp(fb.data, f->data, fb.len) == 0);
	frame_buf_free(&fb);
	free(m);
}

/* The production readers of three messages. */
static void
fuzz_frame_readers(struct frame *f)
{
	struct tokend_config	*conf;
	struct auth_result	 ar;
	const uint8_t		*json;
	size_t			 len;

	if (f->hdr.type == MSG_CONFIG || f->hdr.type == MSG_RELOAD) {
		conf = child_config_from_frame(f);
		config_free(conf);
	}
	if (auth_result_read(f, &ar) == 0) {
		FUZZ_ASSERT(f->hdr.type == MSG_AUTH_RESULT);
		FUZZ_ASSERT(ar.code < AUTH_CODE_MAX);
		FUZZ_ASSERT(strlen(ar.user) < sizeof(ar.user) &&
		    strlen(ar.role) < sizeof(ar.role) &&
		    strlen(ar.session) < sizeof(ar.session));
	} else
		FUZZ_ASSERT(ar.code == AUTH_INTERNAL);
	if (auth_user_read(f, &ar, &json, &len) == 0) {
		FUZZ_ASSERT(f->hdr.type == MSG_USER);
		FUZZ_ASSERT(ar.code < AUTH_CODE_MAX);
		FUZZ_ASSERT(json >= f->data &&
		    json + len <= f->data + f->hdr.len);
	} else
		FUZZ_ASSERT(ar.code == AUTH_INTERNAL && json == NULL &&
		    len == 0);
}

void
fuzz_frame(const uint8_t *data, size_t size)
{
	struct frame	 f;
	uint32_t	 bound, max;
	size_t		 consumed;
	int		 rv;

	if (size == 0)
		return;
	bound = fuzz_frame_bound[data[0] & 3];
	max = bound > FRAME_PAYLOAD_MAX ? FRAME_PAYLOAD_MAX : bound;
	data++;
	size--;
	for (;;) {
		/* As frame_chan_dispatch(): the header alone, then all. */
		rv = frame_decode(data, size < FRAME_HDR_SIZE ? size :
		    FRAME_HDR_SIZE, bound, &f, &consumed);
		if (rv == 0 && size < FRAME_HDR_SIZE) {
			FUZZ_ASSERT(consumed == 0 && f.data == NULL);
			break;
		}
		if (rv == -1) {
			FUZZ_ASSERT(!msg_type_valid(f.hdr.type) ||
			    f.hdr.len > max);
			break;
		}
		FUZZ_ASSERT(msg_type_valid(f.hdr.type) && f.hdr.len <= max);
		FUZZ_ASSERT(rv == (f.hdr.len == 0 ? 1 : 0));
		rv = frame_decode(data, size, bound, &f, &consumed);
		if (rv == 0) {
			FUZZ_ASSERT(size < FRAME_HDR_SIZE + (size_t)f.hdr.len);
			FUZZ_ASSERT(consumed == 0 && f.data == NULL);
			break;
		}
		FUZZ_ASSERT(rv == 1 && f.data == data + FRAME_HDR_SIZE);
		FUZZ_ASSERT(consumed == FRAME_HDR_SIZE + (size_t)f.hdr.len &&
		    consumed <= size);
		fuzz_frame_payload(&f, bound);
		fuzz_frame_readers(&f);
		data += consumed;
		size -= consumed;
	}
}

FUZZ_TARGET(fuzz_frame)
