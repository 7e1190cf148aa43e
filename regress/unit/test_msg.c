/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/msg.c: every message proto.h declares has a name, a layout, a
 * sender and a receiver; its payload round-trips through msg_write()
 * and msg_read(), and msg_read() refuses it short, with a trailing
 * byte, with a string or blob over its bound, or a string with a NUL.
 * The layouts are today's wire format (the fuzzer's former table).
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "frame.h"
#include "proto.h"
#include "regress.h"

/*
 * The payloads as they were before the declarations: '1' u8, '4' u32,
 * '8' u64, 's' str, 'b' blob.  A message declared later has no row; a
 * field added later is in its row (TOKENS: retry, for the lockout; the
 * client's address, agent and origin, "sss", for the audit trail; ITEMS:
 * the client's address, for ip-allow; the ticket: the user's own
 * policies; USER_GET: nest, for the relational fields of /users/me,
 * and the client, for ip-allow;
 * USERS: aggregate and groupBy, "1s1s").
 */
static const char *const wire[MSG_MAX] = {
	[MSG_HELLO] = "444",		[MSG_CONFIG] = "b",
	[MSG_RELOAD] = "b",		[MSG_READY] = "",
	[MSG_RELOAD_DONE] = "4s",	[MSG_KEYD_CHANNEL] = "444",
	[MSG_KEYD_DROP] = "44",		[MSG_KEYD_RELINK] = "44",
	[MSG_SERVER_KEYD] = "",		[MSG_SHUTDOWN] = "",
	[MSG_HEALTH] = "",		[MSG_HEALTH_RESULT] = "4s",
	[MSG_AUTH] = "1bb",		[MSG_AUTH_RESULT] = "4ss11s8ss18bs",
	[MSG_LOGIN] = "sb4ssss",	[MSG_REFRESH] = "s4sss",
	[MSG_TOKENS] = "4s8s88",	[MSG_LOGOUT] = "ssss",
	[MSG_DONE] = "4",		[MSG_USER_GET] = "1bb4sss",
	[MSG_USER_UPDATE] = "1bbbsss",	[MSG_USER] = "4ss11s8ss18bsb",
	[MSG_USERS] = "1bb4s1s1s1s1s1s1s1s1s1s1sbsss",
	[MSG_USERS_RESULT] = "4sb",	[MSG_TFA] = "1bb4sbsss",	[MSG_INVALIDATE] = "1b",
	[MSG_KEYD_ITEMS] = "4",		[MSG_ITEMS_KEYD] = "",
	[MSG_TICKET_KEY] = "b",		[MSG_ITEMS_SERVER] = "4",
	[MSG_SERVER_ITEMS] = "",	[MSG_ITEMS] = "ss18bs4s1sbs",
	[MSG_ITEMS_RESULT] = "4b",
	[MSG_CTL_RELOAD] = "",		[MSG_CTL_STATUS] = "",
	[MSG_CTL_RESULT] = "4s",	[MSG_CTL_ADMIN] = "4ssbs",
};

/* The layout of fields, flattened to wire's letters. */
static void
flatten(const struct msg_field *fl, char *out, size_t *n)
{
	static const char letter[] = {
		[MSG_KIND_U8] = '1', [MSG_KIND_U32] = '4', [MSG_KIND_U64] = '8',
		[MSG_KIND_STR] = 's', [MSG_KIND_BLOB] = 'b'
	};
	size_t	 i;

	for (; fl->kind != MSG_KIND_END; fl++) {
		if (fl->kind == MSG_KIND_SUB) {
			for (i = 0; i < fl->bound; i++)
				flatten(fl->sub, out, n);
			continue;
		}
		out[(*n)++] = letter[fl->kind];
	}
	out[*n] = '\0';
}

/*
 * Fill every field: integers from seed, strings of len bytes (capped
 * below the bound), blobs of len bytes (capped at the bound).
 */
static void
fill(const struct msg_field *fl, uint8_t *m, uint8_t seed, size_t len,
    const char *text)
{
	size_t	 i, n;

	for (; fl->kind != MSG_KIND_END; fl++, seed++) {
		switch (fl->kind) {
		case MSG_KIND_U8:
			m[fl->off] = seed;
			break;
		case MSG_KIND_U32:
			*(uint32_t *)(m + fl->off) = 0x01020300u + seed;
			break;
		case MSG_KIND_U64:
			*(uint64_t *)(m + fl->off) = 0x0102030405060700ull +
			    seed;
			break;
		case MSG_KIND_STR:
			n = len < fl->bound ? len : fl->bound - 1;
			memset(m + fl->aux, 'a' + seed % 26, n);
			m[fl->aux + n] = '\0';
			*(const char **)(m + fl->off) = (char *)m + fl->aux;
			break;
		case MSG_KIND_BLOB:
			*(const uint8_t **)(m + fl->off) =
			    (const uint8_t *)text;
			*(size_t *)(m + fl->aux) = len < fl->bound ? len :
			    fl->bound;
			break;
		default:
			for (i = 0; i < fl->bound; i++)
				fill(fl->sub, m + fl->off + i * fl->aux,
				    seed + i, len, text);
			break;
		}
	}
}

static int
read_as(uint32_t type, const uint8_t *data, size_t len, void *m)
{
	struct frame	 f;

	f.hdr.type = type;
	f.hdr.len = len;
	f.hdr.id = 1;
	f.hdr.pid = 1;
	f.data = len > 0 ? data : NULL;
	return msg_read(&f, type, m);
}

/* A payload round-trips, and loses or gains no byte unnoticed. */
static void
test_round_trip(uint32_t type, const struct msg_decl *d, char *text)
{
	struct frame_buf	 fb, again;
	uint8_t			*m, *back, *longer;
	char			 name[96];
	int			 ok_short = 1;
	size_t			 cut;

	m = calloc(1, d->size + 1);
	back = calloc(1, d->size + 1);
	if (m == NULL || back == NULL || (longer = malloc(FRAME_PAYLOAD_MAX +
	    1)) == NULL)
		abort();
	if (d->fields[0].kind != MSG_KIND_END)
		fill(d->fields, m, 1, 5, text);
	snprintf(name, sizeof(name), "%s writes", d->name);
	CHECK(name, msg_write(&fb, type, d->fields[0].kind ==
	    MSG_KIND_END ? NULL : m) == 0);
	snprintf(name, sizeof(name), "%s reads back", d->name);
	CHECK(name, read_as(type, fb.data, fb.len,
	    d->fields[0].kind == MSG_KIND_END ? NULL : back) == 0);
	snprintf(name, sizeof(name), "%s the same bytes again", d->name);
	CHECK(name, msg_write(&again, type, d->fields[0].kind ==
	    MSG_KIND_END ? NULL : back) == 0 && again.len == fb.len &&
	    (fb.len == 0 || memcmp(again.data, fb.data, fb.len) == 0));
	frame_buf_free(&again);
	for (cut = 0; cut < fb.len; cut++)
		if (read_as(type, fb.data, cut, back) != -1)
			ok_short = 0;
	snprintf(name, sizeof(name), "%s refused short", d->name);
	CHECK(name, ok_short);
	if (fb.len > 0)
		memcpy(longer, fb.data, fb.len);
	longer[fb.len] = 0;
	snprintf(name, sizeof(name), "%s refused with a trailing byte",
	    d->name);
	CHECK(name, read_as(type, longer, fb.len + 1, back) == -1);
	frame_buf_free(&fb);
	free(longer);
	free(back);
	free(m);
}

/* Every string at its bound, every blob one over: each one refused. */
static void
test_bounds(uint32_t type, const struct msg_decl *d, char *text)
{
	const struct msg_field	*fl;
	struct frame_buf	 fb;
	uint8_t			*m, *back;
	char			 name[96];
	size_t			 n;

	if ((m = calloc(1, d->size)) == NULL ||
	    (back = calloc(1, d->size)) == NULL)
		abort();
	for (fl = d->fields; fl->kind != MSG_KIND_END; fl++) {
		if (fl->kind != MSG_KIND_STR && fl->kind != MSG_KIND_BLOB)
			continue;
		fill(d->fields, m, 1, 0, text);
		n = fl->bound;
		if (fl->kind == MSG_KIND_STR)
			*(const char **)(m + fl->off) = text;
		else
			*(size_t *)(m + fl->aux) = n + 1;
		text[n] = '\0';
		if (msg_write(&fb, type, m) == 0) {
			snprintf(name, sizeof(name), "%s.%s over its bound "
			    "refused", d->name, fl->name);
			CHECK(name, read_as(type, fb.data, fb.len, back) ==
			    -1);
		}
		frame_buf_free(&fb);
		text[n] = 'x';
	}
	free(back);
	free(m);
}

/* Bytes as they were: host-order integers, lengths before strings. */
static void
test_wire(void)
{
	static const char	 nul[] = { 3, 0, 0, 0, 'a', 0, 'b' };
	struct msg_hello	 hello = { PROTO_VERSION, 7, 9 };
	struct msg_logout	 logout;
	struct frame_buf	 fb, old;

	(void)msg_write(&fb, MSG_HELLO, &hello);
	frame_buf_init(&old, 64);
	frame_buf_u32(&old, PROTO_VERSION);
	frame_buf_u32(&old, 7);
	frame_buf_u32(&old, 9);
	CHECK("MSG_HELLO bytes", fb.len == 12 && old.len == 12 &&
	    memcmp(fb.data, old.data, 12) == 0);
	frame_buf_free(&fb);
	frame_buf_free(&old);
	logout.token = "abc";
	logout.client.ip = "1.2.3.4";
	logout.client.agent = "";
	logout.client.origin = "o";
	(void)msg_write(&fb, MSG_LOGOUT, &logout);
	frame_buf_init(&old, 64);
	frame_buf_str(&old, "abc");
	frame_buf_str(&old, "1.2.3.4");
	frame_buf_str(&old, "");
	frame_buf_str(&old, "o");
	CHECK("MSG_LOGOUT bytes", fb.len == 27 && old.len == 27 &&
	    memcmp(fb.data, old.data, 27) == 0);
	frame_buf_free(&fb);
	frame_buf_free(&old);
	CHECK("a string with a NUL refused",
	    read_as(MSG_LOGOUT, (const uint8_t *)nul, sizeof(nul),
	    &logout) == -1 && logout.token[0] == '\0');
	CHECK("a message read as another type refused",
	    read_as(MSG_DONE, (const uint8_t *)nul, 4, NULL) == -1);
}

int
main(void)
{
	const struct msg_decl	*d;
	char			 flat[64], name[96], *text;
	size_t			 n;
	uint32_t		 t, u;
	int			 fds;

	if ((text = malloc(FRAME_PAYLOAD_MAX + 2)) == NULL)
		abort();
	memset(text, 'x', FRAME_PAYLOAD_MAX + 1);
	text[FRAME_PAYLOAD_MAX + 1] = '\0';
	CHECK("a role argument is a configuration identifier",
	    AUTH_ROLE_ARG_MAX == CONF_IDENT_MAX);
	CHECK("no name for MSG_NONE", msg_decl(MSG_NONE) == NULL &&
	    strcmp(msg_type_name(MSG_NONE), "UNKNOWN") == 0);
	CHECK("no name past MSG_MAX", msg_decl(MSG_MAX) == NULL);
	fds = 0;
	for (t = MSG_NONE + 1; t < MSG_MAX; t++) {
		d = msg_decl(t);
		snprintf(name, sizeof(name), "type %u declared", t);
		CHECK(name, d != NULL && d->name != NULL && d->fields != NULL);
		if (d == NULL || d->name == NULL || d->fields == NULL)
			continue;
		snprintf(name, sizeof(name), "%s has a sender and a receiver",
		    d->name);
		CHECK(name, d->from != 0 && d->to != 0);
		for (u = MSG_NONE + 1; u < t; u++)
			if (strcmp(msg_type_name(u), d->name) == 0)
				break;
		snprintf(name, sizeof(name), "%s named once", d->name);
		CHECK(name, u == t);
		if (d->answer != MSG_NONE) {
			snprintf(name, sizeof(name), "%s answered by its "
			    "receiver, to its sender", d->name);
			CHECK(name, msg_type_valid(d->answer) &&
			    (msg_decl(d->answer)->from & d->to) != 0 &&
			    (msg_decl(d->answer)->to & d->from) != 0);
		}
		n = 0;
		flatten(d->fields, flat, &n);
		if (wire[t] != NULL) {
			snprintf(name, sizeof(name), "%s keeps its wire "
			    "layout %s", d->name, wire[t]);
			CHECK(name, strcmp(flat, wire[t]) == 0);
		}
		fds += msg_type_has_fd(t);
		test_round_trip(t, d, text);
		test_bounds(t, d, text);
	}
	CHECK("eight messages carry a descriptor", fds == 8 &&
	    msg_type_has_fd(MSG_KEYD_MAIL) &&
	    msg_type_has_fd(MSG_MAIL_KEYD) &&
	    msg_type_has_fd(MSG_KEYD_CHANNEL) &&
	    msg_type_has_fd(MSG_SERVER_KEYD) &&
	    msg_type_has_fd(MSG_KEYD_ITEMS) &&
	    msg_type_has_fd(MSG_ITEMS_KEYD) &&
	    msg_type_has_fd(MSG_ITEMS_SERVER) &&
	    msg_type_has_fd(MSG_SERVER_ITEMS));
	CHECK("only the parent sends the TLS key and ticket key, only to "
	    "a worker", msg_allowed(MSG_TLS_CERT, PEER_PARENT, PEER_SERVER) &&
	    !msg_allowed(MSG_TLS_CERT, PEER_PARENT, PEER_KEYD) &&
	    !msg_allowed(MSG_TLS_CERT, PEER_PARENT, PEER_ITEMS) &&
	    !msg_allowed(MSG_TLS_CERT, PEER_PARENT, PEER_MAIL) &&
	    !msg_allowed(MSG_TLS_CERT, PEER_KEYD, PEER_SERVER) &&
	    msg_allowed(MSG_TLS_TICKET, PEER_PARENT, PEER_SERVER) &&
	    !msg_allowed(MSG_TLS_TICKET, PEER_PARENT, PEER_KEYD) &&
	    !msg_allowed(MSG_TLS_TICKET, PEER_PARENT, PEER_ITEMS));
	CHECK("only keyd sends the ticket key, only to an item process",
	    msg_allowed(MSG_TICKET_KEY, PEER_KEYD, PEER_ITEMS) &&
	    !msg_allowed(MSG_TICKET_KEY, PEER_KEYD, PEER_SERVER) &&
	    !msg_allowed(MSG_TICKET_KEY, PEER_SERVER, PEER_ITEMS) &&
	    !msg_allowed(MSG_TICKET_KEY, PEER_PARENT, PEER_ITEMS));
	CHECK("a worker sends item requests only to its item process",
	    msg_allowed(MSG_ITEMS, PEER_SERVER, PEER_ITEMS) &&
	    !msg_allowed(MSG_ITEMS, PEER_SERVER, PEER_KEYD) &&
	    !msg_allowed(MSG_ITEMS_RESULT, PEER_SERVER, PEER_ITEMS));
	CHECK("a worker may not send MSG_CTL_ADMIN",
	    !msg_allowed(MSG_CTL_ADMIN, PEER_SERVER, PEER_KEYD) &&
	    msg_allowed(MSG_CTL_ADMIN, PEER_PARENT, PEER_KEYD) &&
	    msg_allowed(MSG_CTL_ADMIN, PEER_CTL, PEER_PARENT));
	CHECK("keyd may not send MSG_LOGIN",
	    !msg_allowed(MSG_LOGIN, PEER_KEYD, PEER_SERVER) &&
	    msg_allowed(MSG_LOGIN, PEER_SERVER, PEER_KEYD));
	test_wire();
	CHECK("MSG_LOGIN is answered with MSG_TOKENS",
	    msg_answer(MSG_LOGIN) == MSG_TOKENS);
	free(text);
	return regress_exit();
}
