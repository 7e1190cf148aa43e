/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The messages as data: what proto.h declares, as tables, and the one
 * codec that reads and writes every payload by its layout.
 */
#include <sys/types.h>

#include <stddef.h>
#include <string.h>

#include "frame.h"
#include "proto.h"

/* The layouts: one array of fields per message and per sub-layout. */
#define MSG_FIELD(s, kind, ...)		MSG_FIELD_##kind(s, __VA_ARGS__)
#define MSG_FIELD_INT(s, name, kind)					\
	{ #name, kind, 0, offsetof(s, name), 0, NULL },
#define MSG_FIELD_U8(s, name)		MSG_FIELD_INT(s, name, MSG_KIND_U8)
#define MSG_FIELD_U32(s, name)		MSG_FIELD_INT(s, name, MSG_KIND_U32)
#define MSG_FIELD_U64(s, name)		MSG_FIELD_INT(s, name, MSG_KIND_U64)
#define MSG_FIELD_STR(s, name, size)					\
	{ #name, MSG_KIND_STR, size, offsetof(s, name),			\
	    offsetof(s, name##_buf), NULL },
#define MSG_FIELD_BLOB(s, name, max)					\
	{ #name, MSG_KIND_BLOB, max, offsetof(s, name),			\
	    offsetof(s, name##_len), NULL },
#define MSG_FIELD_SUB(s, name, sub)					\
	{ #name, MSG_KIND_SUB, 1, offsetof(s, name),			\
	    sizeof(struct msg_##sub), msg_fields_##sub },
#define MSG_FIELD_SUBS(s, name, sub, n)					\
	{ #name, MSG_KIND_SUB, n, offsetof(s, name),			\
	    sizeof(struct msg_##sub), msg_fields_##sub },
#define MSG_FIELD_END			{ NULL, MSG_KIND_END, 0, 0, 0, NULL }
#define MSG_FIELDS(T, n)						\
	static const struct msg_field msg_fields_##n[] = {		\
		MSG_DECL_##T(MSG_SKIP, MSG_SKIP, MSG_FIELD, struct msg_##n) \
		MSG_FIELD_END						\
	};

static const struct msg_field msg_fields_cred[] = {
	MSG_SUB_CRED(MSG_FIELD, struct msg_cred)
	MSG_FIELD_END
};
static const struct msg_field msg_fields_ticket[] = {
	MSG_SUB_TICKET(MSG_FIELD, struct msg_ticket)
	MSG_FIELD_END
};
static const struct msg_field msg_fields_who[] = {
	MSG_SUB_WHO(MSG_FIELD, struct msg_who)
	MSG_FIELD_END
};
static const struct msg_field msg_fields_client[] = {
	MSG_SUB_CLIENT(MSG_FIELD, struct msg_client)
	MSG_FIELD_END
};
static const struct msg_field msg_fields_param[] = {
	MSG_SUB_PARAM(MSG_FIELD, struct msg_param)
	MSG_FIELD_END
};
MSG_LIST(MSG_FIELDS)

/* Who sends what to whom, what answers it; names for logs. */
#define MSG_HEAD(from, to, answer, fd)	from, to, answer, fd,
#define MSG_ROW(T, n)							\
	[MSG_##T] = { #T, MSG_DECL_##T(MSG_HEAD, MSG_SKIP, MSG_SKIP, _)	\
	    msg_fields_##n, sizeof(struct msg_##n) },

static const struct msg_decl msg_decls[MSG_MAX] = {
	MSG_LIST(MSG_ROW)
};

const struct msg_decl *
msg_decl(uint32_t type)
{
	return msg_type_valid(type) ? &msg_decls[type] : NULL;
}

int
msg_type_valid(uint32_t type)
{
	return type > MSG_NONE && type < MSG_MAX;
}

const char *
msg_type_name(uint32_t type)
{
	if (!msg_type_valid(type))
		return "UNKNOWN";
	return msg_decls[type].name;
}

int
msg_type_has_fd(uint32_t type)
{
	return msg_type_valid(type) && msg_decls[type].has_fd;
}

/* The type that answers a request, MSG_NONE when none does. */
uint32_t
msg_answer(uint32_t type)
{
	return msg_type_valid(type) ? msg_decls[type].answer : MSG_NONE;
}

/*
 * May a peer send this type to another (PEER_* each)?  Every dispatcher
 * asks this first; what it refuses is hostile.
 */
int
msg_allowed(uint32_t type, int from, int to)
{
	return msg_type_valid(type) && (msg_decls[type].from & from) != 0 &&
	    (msg_decls[type].to & to) != 0;
}

/* Every string "", every blob empty, every integer 0. */
static void
msg_clear_fields(const struct msg_field *fl, uint8_t *m)
{
	size_t	 i;

	for (; fl->kind != MSG_KIND_END; fl++) {
		switch (fl->kind) {
		case MSG_KIND_STR:
			m[fl->aux] = '\0';
			*(const char **)(m + fl->off) = (char *)m + fl->aux;
			break;
		case MSG_KIND_BLOB:
			*(const uint8_t **)(m + fl->off) = NULL;
			*(size_t *)(m + fl->aux) = 0;
			break;
		case MSG_KIND_SUB:
			for (i = 0; i < fl->bound; i++)
				msg_clear_fields(fl->sub, m + fl->off +
				    i * fl->aux);
			break;
		case MSG_KIND_U8:
			m[fl->off] = 0;
			break;
		case MSG_KIND_U32:
			*(uint32_t *)(m + fl->off) = 0;
			break;
		default:
			*(uint64_t *)(m + fl->off) = 0;
			break;
		}
	}
}

/*
 * Make m, a struct msg_<name> of type, an empty message: a reader's
 * strings point at its buffers.  Writers may start from here.
 */
void
msg_clear(uint32_t type, void *m)
{
	if (msg_type_valid(type) && m != NULL)
		msg_clear_fields(msg_decls[type].fields, m);
}

static int
msg_read_fields(struct frame_rd *rd, const struct msg_field *fl, uint8_t *m)
{
	const uint8_t	**blob;
	size_t		 i;
	int		 rv = 0;

	for (; fl->kind != MSG_KIND_END && rv == 0; fl++) {
		switch (fl->kind) {
		case MSG_KIND_U8:
			rv = frame_rd_u8(rd, m + fl->off);
			break;
		case MSG_KIND_U32:
			rv = frame_rd_u32(rd, (uint32_t *)(m + fl->off));
			break;
		case MSG_KIND_U64:
			rv = frame_rd_u64(rd, (uint64_t *)(m + fl->off));
			break;
		case MSG_KIND_STR:
			rv = frame_rd_str(rd, (char *)m + fl->aux, fl->bound);
			break;
		case MSG_KIND_BLOB:
			blob = (const uint8_t **)(m + fl->off);
			rv = frame_rd_blob(rd, blob, (size_t *)(m + fl->aux),
			    fl->bound);
			break;
		case MSG_KIND_SUB:
			for (i = 0; i < fl->bound && rv == 0; i++)
				rv = msg_read_fields(rd, fl->sub, m + fl->off +
				    i * fl->aux);
			break;
		default:
			rv = -1;
			break;
		}
	}
	return rv;
}

/*
 * Read a frame of type into m, its struct msg_<name> (NULL for a
 * message without payload), as frame_rd_* read: -1 for another type,
 * short input, a string or blob over its bound, a string with a NUL, or
 * trailing bytes.  Blobs point into the frame; strings into m.
 */
int
msg_read(const struct frame *f, uint32_t type, void *m)
{
	struct frame_rd	 rd;

	if (!msg_type_valid(type))
		return -1;
	if (m != NULL)
		msg_clear(type, m);
	else if (msg_decls[type].fields[0].kind != MSG_KIND_END)
		return -1;
	if (f->hdr.type != type)
		return -1;
	frame_rd_init(&rd, f);
	if (m != NULL && msg_read_fields(&rd, msg_decls[type].fields,
	    m) == -1)
		return -1;
	return frame_rd_end(&rd);
}

static void
msg_write_fields(struct frame_buf *fb, const struct msg_field *fl,
    const uint8_t *m)
{
	const char	*str;
	size_t		 i;

	for (; fl->kind != MSG_KIND_END; fl++) {
		switch (fl->kind) {
		case MSG_KIND_U8:
			(void)frame_buf_u8(fb, m[fl->off]);
			break;
		case MSG_KIND_U32:
			(void)frame_buf_u32(fb,
			    *(const uint32_t *)(m + fl->off));
			break;
		case MSG_KIND_U64:
			(void)frame_buf_u64(fb,
			    *(const uint64_t *)(m + fl->off));
			break;
		case MSG_KIND_STR:
			str = *(const char *const *)(m + fl->off);
			(void)frame_buf_str(fb, str != NULL ? str : "");
			break;
		case MSG_KIND_BLOB:
			(void)frame_buf_blob(fb,
			    *(const uint8_t *const *)(m + fl->off),
			    *(const size_t *)(m + fl->aux));
			break;
		default:
			for (i = 0; i < fl->bound; i++)
				msg_write_fields(fb, fl->sub, m + fl->off +
				    i * fl->aux);
			break;
		}
	}
}

/*
 * Build the payload of type from m (NULL for none) into fb, which this
 * initialises, bounded as the channels it travels on are: the control
 * socket's, or the largest of the others (each checks its own bound when
 * sending).  A NULL string is "".  The caller frees fb, also on failure;
 * -1 when it failed.
 */
int
msg_write(struct frame_buf *fb, uint32_t type, const void *m)
{
	const struct msg_decl	*d = msg_decl(type);

	frame_buf_init(fb, d != NULL && ((d->from | d->to) & PEER_CTL) ?
	    PROTO_CTL_MAX : FRAME_PAYLOAD_MAX);
	if (!msg_type_valid(type) || (m == NULL &&
	    msg_decls[type].fields[0].kind != MSG_KIND_END)) {
		fb->failed = 1;
		return -1;
	}
	if (m != NULL)
		msg_write_fields(fb, msg_decls[type].fields, m);
	return fb->failed ? -1 : 0;
}

/* msg_write(), then frame_send_buf(): -1 with errno set on failure. */
int
msg_send(struct frame_chan *chan, uint32_t type, uint32_t id, int fd,
    const void *m)
{
	struct frame_buf	 fb;
	int			 rv;

	(void)msg_write(&fb, type, m);
	rv = frame_send_buf(chan, type, id, fd, &fb);
	frame_buf_free(&fb);
	return rv;
}
