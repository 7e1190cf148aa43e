/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * server/auth.c: the body of POST /auth/login, through auth_body_load()
 * and auth_login_check() as auth_login() uses them.
 *
 * Input: the body; over AUTH_BODY_MAX bytes it is answered 413 before
 * it is read, and an empty one reads as {}.
 *
 * Properties: a body that passes gives keyd what it relies on (an
 * email of at most AUTH_EMAIL_MAX bytes with one '@' and no NUL or
 * blank, a password of at most AUTH_PASSWORD_MAX bytes, a known mode,
 * an otp of at most AUTH_TEXT_MAX bytes without NUL), and the MSG_LOGIN
 * payload built from it, with the longest ip, user agent and origin,
 * fits PROTO_KEYD_MAX and is read back whole by keyd's layout.
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
fuzz_login_frame(json_t *body, int mode)
{
	json_t		*email = json_object_get(body, "email");
	json_t		*pw = json_object_get(body, "password");
	json_t		*otp = json_object_get(body, "otp");
	struct frame_buf fb;
	struct frame_rd	 rd;
	struct frame	 f;
	const uint8_t	*p;
	size_t		 len;
	uint32_t	 m;
	char		 text[AUTH_TEXT_MAX + 1], e[AUTH_EMAIL_MAX + 1];

	memset(text, 'x', AUTH_TEXT_MAX);
	text[AUTH_TEXT_MAX] = '\0';
	frame_buf_init(&fb, PROTO_KEYD_MAX);
	frame_buf_str(&fb, json_string_value(email));
	frame_buf_blob(&fb, json_string_value(pw), json_string_length(pw));
	frame_buf_u32(&fb, (uint32_t)mode);
	frame_buf_str(&fb, otp != NULL ? json_string_value(otp) : "");
	frame_buf_str(&fb, text);
	frame_buf_str(&fb, text);
	frame_buf_str(&fb, text);
	FUZZ_ASSERT(!fb.failed);

	memset(&f, 0, sizeof(f));
	f.hdr.type = MSG_LOGIN;
	f.hdr.len = fb.len;
	f.data = fb.data;
	frame_rd_init(&rd, &f);
	FUZZ_ASSERT(frame_rd_str(&rd, e, sizeof(e)) == 0 &&
	    frame_rd_blob(&rd, &p, &len, AUTH_PASSWORD_MAX) == 0 &&
	    frame_rd_u32(&rd, &m) == 0 &&
	    frame_rd_str(&rd, text, sizeof(text)) == 0 &&
	    frame_rd_str(&rd, text, sizeof(text)) == 0 &&
	    frame_rd_str(&rd, text, sizeof(text)) == 0 &&
	    frame_rd_str(&rd, text, sizeof(text)) == 0 &&
	    frame_rd_end(&rd) == 0 && m < AUTH_MODE_MAX);
	FUZZ_ASSERT(strcmp(e, json_string_value(email)) == 0);
	frame_buf_free(&fb);
}

static void
fuzz_login_accepted(json_t *body, int mode)
{
	json_t		*email = json_object_get(body, "email");
	json_t		*pw = json_object_get(body, "password");
	json_t		*otp = json_object_get(body, "otp");
	const char	*e, *at;
	size_t		 len, i;

	FUZZ_ASSERT(json_is_string(email) && json_is_string(pw));
	e = json_string_value(email);
	len = json_string_length(email);
	FUZZ_ASSERT(len > 0 && len <= AUTH_EMAIL_MAX && strlen(e) == len);
	for (i = 0; i < len; i++)
		FUZZ_ASSERT(e[i] > 0x20 && e[i] < 0x7f);
	FUZZ_ASSERT((at = strchr(e, '@')) != NULL && at > e &&
	    strchr(at + 1, '@') == NULL);
	FUZZ_ASSERT(json_string_length(pw) <= AUTH_PASSWORD_MAX);
	FUZZ_ASSERT(mode >= 0 && mode < AUTH_MODE_MAX);
	FUZZ_ASSERT(otp == NULL || (json_is_string(otp) &&
	    json_string_length(otp) <= AUTH_TEXT_MAX &&
	    strlen(json_string_value(otp)) == json_string_length(otp)));
	fuzz_login_frame(body, mode);
}

void
fuzz_login(const uint8_t *data, size_t size)
{
	json_t		*body;
	const char	*reason;
	int		 mode = 12345;

	if (size > AUTH_BODY_MAX)
		return;
	body = size == 0 ? json_object() : auth_body_load(data, size);
	if (body == NULL)
		return;
	FUZZ_ASSERT(json_is_object(body));
	reason = auth_login_check(body, &mode);
	FUZZ_ASSERT(mode >= -1 && mode < AUTH_MODE_MAX);
	if (reason == NULL)
		fuzz_login_accepted(body, mode);
	else
		FUZZ_ASSERT(reason[0] != '\0' && strlen(reason) < 128);
	json_decref(body);
}

FUZZ_TARGET(fuzz_login)
