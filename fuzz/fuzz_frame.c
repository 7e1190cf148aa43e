/*
 * shared/frame.c: frame_decode() as a channel drives it, and the
 * frame_rd_* payload readers on every message's layout; with them the
 * production readers of MSG_CONFIG (child_config_from_frame),
 * MSG_AUTH_RESULT (auth_result_read) and MSG_USER (auth_user_read).
 *
 * Input: one byte whose low two bits pick the channel's payload bound
 * (PROTO_KEYD_MAX, PROTO_CHILD_MAX, PROTO_CTL_MAX, or one above
 * FRAME_PAYLOAD_MAX, which must be clamped), then the byte stream.
 *
 * Properties: a frame is never reported complete before all its bytes
 * are there, never longer than the bound, and its payload lies in the
 * buffer; a reader never reads past the payload and, once failed, stays
 * failed; a payload read whole, as proto.h lays it out, is rebuilt
 * byte for byte by the frame_buf_* writers.
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

#define FUZZ_FRAME_STR	(AUTH_TOKEN_MAX + 1)	/* most strings read */
#define FUZZ_FRAME_ID	(AUTH_ID_LEN + 1)	/* a uuid */
#define FUZZ_FRAME_ITEMS 32	/* the longest layout, MSG_USERS, has 22 */

static const uint32_t fuzz_frame_bound[] = {
	PROTO_KEYD_MAX, PROTO_CHILD_MAX, PROTO_CTL_MAX, FRAME_PAYLOAD_MAX + 1
};

/*
 * The payloads of proto.h: '1' u8, '4' u32, '8' u64, 's' str into
 * FUZZ_FRAME_STR bytes, 'i' str into a uuid's, 'b' blob of at most
 * PROTO_KEYD_MAX, 'c' blob of PROTO_CHILD_MAX, 'p' a password blob, 't'
 * a token blob, 'm' a MAC blob.
 */
static const char *const fuzz_frame_layout[MSG_MAX] = {
	[MSG_HELLO] = "444",
	[MSG_CONFIG] = "c",
	[MSG_RELOAD] = "c",
	[MSG_READY] = "",
	[MSG_RELOAD_DONE] = "4s",
	[MSG_KEYD_CHANNEL] = "444",
	[MSG_KEYD_DROP] = "44",
	[MSG_KEYD_RELINK] = "44",
	[MSG_SERVER_KEYD] = "",
	[MSG_SHUTDOWN] = "",
	[MSG_HEALTH] = "",
	[MSG_HEALTH_RESULT] = "4s",
	[MSG_AUTH] = "1tm",
	[MSG_AUTH_RESULT] = "4ii11s8",
	[MSG_LOGIN] = "sp4ssss",
	[MSG_REFRESH] = "s4",
	[MSG_TOKENS] = "4s8s8",
	[MSG_LOGOUT] = "s",
	[MSG_DONE] = "4",
	[MSG_USER_GET] = "1tm",
	[MSG_USER_UPDATE] = "1tmb",
	[MSG_USER] = "4ii11s8b",
	[MSG_USERS] = "1tm4i1s1s1s1s1s1s1sb",
	[MSG_USERS_RESULT] = "4sb",
	[MSG_INVALIDATE] = "1t",
	[MSG_CTL_RELOAD] = "",
	[MSG_CTL_STATUS] = "",
	[MSG_CTL_RESULT] = "4s",
	[MSG_CTL_ADMIN] = "4ssp",
};

struct fuzz_frame_item {
	char		 kind;
	uint64_t	 n;
	const uint8_t	*p;
	size_t		 len;
	char		 str[FUZZ_FRAME_STR];
};

static size_t
fuzz_frame_blob_max(char kind)
{
	switch (kind) {
	case 'c':
		return PROTO_CHILD_MAX;
	case 'p':
		return AUTH_PASSWORD_MAX;
	case 't':
		return AUTH_TOKEN_MAX;
	case 'm':
		return 32;
	default:
		return PROTO_KEYD_MAX;
	}
}

static int
fuzz_frame_read(struct frame_rd *rd, struct fuzz_frame_item *it)
{
	uint8_t		 u8;
	uint32_t	 u32;
	int		 rv;

	switch (it->kind) {
	case '1':
		rv = frame_rd_u8(rd, &u8);
		it->n = u8;
		return rv;
	case '4':
		rv = frame_rd_u32(rd, &u32);
		it->n = u32;
		return rv;
	case '8':
		return frame_rd_u64(rd, &it->n);
	case 's':
	case 'i':
		rv = frame_rd_str(rd, it->str, it->kind == 's' ?
		    FUZZ_FRAME_STR : FUZZ_FRAME_ID);
		if (rv == 0)
			FUZZ_ASSERT(strlen(it->str) < (it->kind == 's' ?
			    FUZZ_FRAME_STR : FUZZ_FRAME_ID));
		else
			FUZZ_ASSERT(it->str[0] == '\0');
		return rv;
	default:
		rv = frame_rd_blob(rd, &it->p, &it->len,
		    fuzz_frame_blob_max(it->kind));
		if (rv == 0)
			FUZZ_ASSERT(it->len <= fuzz_frame_blob_max(it->kind));
		else
			FUZZ_ASSERT(it->p == NULL && it->len == 0);
		return rv;
	}
}

static void
fuzz_frame_write(struct frame_buf *fb, const struct fuzz_frame_item *it)
{
	switch (it->kind) {
	case '1':
		(void)frame_buf_u8(fb, (uint8_t)it->n);
		break;
	case '4':
		(void)frame_buf_u32(fb, (uint32_t)it->n);
		break;
	case '8':
		(void)frame_buf_u64(fb, it->n);
		break;
	case 's':
	case 'i':
		(void)frame_buf_str(fb, it->str);
		break;
	default:
		(void)frame_buf_blob(fb, it->p, it->len);
		break;
	}
}

/* Read a payload as its layout says; rebuild it if it was whole. */
static void
fuzz_frame_payload(struct frame *f, uint32_t bound)
{
	struct fuzz_frame_item	*items;
	struct frame_rd		 rd;
	struct frame_buf	 fb;
	const char		*layout = fuzz_frame_layout[f->hdr.type];
	size_t			 i, n = strlen(layout);
	uint8_t			 u8;
	int			 failed = 0;

	FUZZ_ASSERT(n <= FUZZ_FRAME_ITEMS);
	if ((items = calloc(FUZZ_FRAME_ITEMS, sizeof(*items))) == NULL)
		abort();
	frame_rd_init(&rd, f);
	for (i = 0; i < n && !failed; i++) {
		items[i].kind = layout[i];
		failed = fuzz_frame_read(&rd, &items[i]) == -1;
		FUZZ_ASSERT(failed == rd.failed);
	}
	if (!failed)
		failed = frame_rd_end(&rd) == -1;
	if (failed) {
		FUZZ_ASSERT(frame_rd_u8(&rd, &u8) == -1);
		FUZZ_ASSERT(frame_rd_end(&rd) == -1);
		free(items);
		return;
	}
	frame_buf_init(&fb, bound);
	for (i = 0; i < n; i++)
		fuzz_frame_write(&fb, &items[i]);
	FUZZ_ASSERT(!fb.failed && fb.len == f->hdr.len);
	FUZZ_ASSERT(fb.len == 0 || memcmp(fb.data, f->data, fb.len) == 0);
	frame_buf_free(&fb);
	free(items);
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
