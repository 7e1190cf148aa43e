/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * server/auth.c: the body of a mail's token with a new password, POST
 * /users/invite/accept and POST /auth/password/reset, through
 * auth_body_load() and auth_token_body_check() as auth_token_use()
 * uses them.
 *
 * Input: the body; over AUTH_BODY_MAX bytes it is answered 413 before
 * it is read, and an empty one reads as {}.
 *
 * Properties: a refusal has a reason that an error body can carry
 * (UTF-8), and a member other than token and password is the fault
 * named first; an accepted body is exactly {token, password}, both
 * non-empty strings without NUL, the token at most AUTH_TOKEN_MAX
 * bytes and the password at most AUTH_PASSWORD_MAX; the MSG_MAIL_TOKEN
 * payload built from it, for each kind of mail, is read back whole and
 * equal by keyd's layout.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../server/tokend.h"
#include "frame.h"
#include "fuzz.h"
#include "proto.h"

#define AUTH_BODY_MAX	8192	/* as in server/auth.c */

static void
fuzz_mail_token_frame(json_t *token, json_t *pw, uint32_t kind)
{
	struct msg_mail_token	 w, *r;
	struct frame_buf	 fb;
	struct frame		 f;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	memset(&w, 0, sizeof(w));
	w.client.ip = w.client.agent = w.client.origin = "";
	w.kind = kind;
	w.token = json_string_value(token);
	w.password = (const uint8_t *)json_string_value(pw);
	w.password_len = json_string_length(pw);
	FUZZ_ASSERT(msg_write(&fb, MSG_MAIL_TOKEN, &w) == 0);
	memset(&f, 0, sizeof(f));
	f.hdr.type = MSG_MAIL_TOKEN;
	f.hdr.len = fb.len;
	f.data = fb.data;
	FUZZ_ASSERT(fb.len <= PROTO_KEYD_MAX);
	FUZZ_ASSERT(msg_read(&f, MSG_MAIL_TOKEN, r) == 0);
	FUZZ_ASSERT(r->kind == kind && strcmp(r->token, w.token) == 0 &&
	    r->password_len == w.password_len &&
	    memcmp(r->password, w.password, w.password_len) == 0);
	frame_buf_free(&fb);
	free(r);
}

static void
fuzz_mail_token_accepted(json_t *body)
{
	json_t	*token = json_object_get(body, "token");
	json_t	*pw = json_object_get(body, "password");

	FUZZ_ASSERT(json_object_size(body) == 2);
	FUZZ_ASSERT(json_is_string(token) && json_string_length(token) > 0 &&
	    json_string_length(token) <= AUTH_TOKEN_MAX &&
	    strlen(json_string_value(token)) == json_string_length(token));
	FUZZ_ASSERT(json_is_string(pw) && json_string_length(pw) > 0 &&
	    json_string_length(pw) <= AUTH_PASSWORD_MAX &&
	    strlen(json_string_value(pw)) == json_string_length(pw));
	fuzz_mail_token_frame(token, pw, MAIL_INVITE);
	fuzz_mail_token_frame(token, pw, MAIL_RESET);
}

void
fuzz_mail_token(const uint8_t *data, size_t size)
{
	json_t		*body, *v, *s;
	const char	*key, *tail = "\" is not allowed";
	char		 reason[128];
	size_t		 len;
	int		 unknown = 0;

	if (size > AUTH_BODY_MAX)
		return;
	body = size == 0 ? json_object() : auth_body_load(data, size);
	if (body == NULL)
		return;
	FUZZ_ASSERT(json_is_object(body));
	json_object_foreach(body, key, v)
		if (strcmp(key, "token") != 0 && strcmp(key, "password") != 0)
			unknown = 1;
	if (auth_token_body_check(body, reason, sizeof(reason)) == 0) {
		FUZZ_ASSERT(!unknown);
		fuzz_mail_token_accepted(body);
	} else {
		len = strlen(reason);
		FUZZ_ASSERT(len > 0 && reason[0] == '"');
		FUZZ_ASSERT((s = json_string(reason)) != NULL);
		json_decref(s);
		if (unknown)
			FUZZ_ASSERT(len > strlen(tail) && strcmp(reason + len -
			    strlen(tail), tail) == 0);
	}
	json_decref(body);
}

FUZZ_TARGET(fuzz_mail_token)
