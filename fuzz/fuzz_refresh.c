/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * server/auth.c: the bodies of POST /auth/refresh and /auth/logout,
 * which share their start (auth_refresh_begin), through
 * auth_body_load() and auth_refresh_check().
 *
 * Input: the body; over AUTH_BODY_MAX bytes it is answered 413 before
 * it is read, and an empty one reads as {}.
 *
 * Properties: a known mode or a refusal, never both; a refresh token
 * taken from the body is its whole refresh_token string (no NUL cut it
 * short), non-empty and at most AUTH_TOKEN_MAX bytes, and the
 * MSG_REFRESH and MSG_LOGOUT payloads built from it are read back whole
 * by keyd's layouts.
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
fuzz_refresh_frames(const char *token, int mode)
{
	struct frame_buf fb;
	struct frame_rd	 rd;
	struct frame	 f;
	uint32_t	 m;
	char		 old[AUTH_TOKEN_MAX + 1];

	frame_buf_init(&fb, PROTO_KEYD_MAX);
	frame_buf_str(&fb, token);
	frame_buf_u32(&fb, (uint32_t)mode);
	FUZZ_ASSERT(!fb.failed);
	memset(&f, 0, sizeof(f));
	f.hdr.type = MSG_REFRESH;
	f.hdr.len = fb.len;
	f.data = fb.data;
	frame_rd_init(&rd, &f);
	FUZZ_ASSERT(frame_rd_str(&rd, old, sizeof(old)) == 0 &&
	    frame_rd_u32(&rd, &m) == 0 && frame_rd_end(&rd) == 0 &&
	    m < AUTH_MODE_MAX && strcmp(old, token) == 0);
	frame_buf_free(&fb);

	frame_buf_init(&fb, PROTO_KEYD_MAX);
	frame_buf_str(&fb, token);
	FUZZ_ASSERT(!fb.failed);
	f.hdr.type = MSG_LOGOUT;
	f.hdr.len = fb.len;
	f.data = fb.data;
	frame_rd_init(&rd, &f);
	FUZZ_ASSERT(frame_rd_str(&rd, old, sizeof(old)) == 0 &&
	    frame_rd_end(&rd) == 0 && strcmp(old, token) == 0);
	frame_buf_free(&fb);
}

void
fuzz_refresh(const uint8_t *data, size_t size)
{
	json_t		*body, *rt;
	const char	*reason;
	char		 token[AUTH_TOKEN_MAX + 1] = "";
	int		 mode = 12345;

	if (size > AUTH_BODY_MAX)
		return;
	body = size == 0 ? json_object() : auth_body_load(data, size);
	if (body == NULL)
		return;
	reason = auth_refresh_check(body, &mode, token, sizeof(token));
	rt = json_object_get(body, "refresh_token");
	if (reason != NULL) {
		FUZZ_ASSERT(mode == -1 && token[0] == '\0');
		FUZZ_ASSERT(reason[0] != '\0' && strlen(reason) < 128);
	} else {
		FUZZ_ASSERT(mode >= 0 && mode < AUTH_MODE_MAX);
		if (json_object_get(body, "mode") == NULL)
			FUZZ_ASSERT(mode == (rt != NULL ? AUTH_MODE_JSON :
			    AUTH_MODE_COOKIE));
	}
	if (token[0] != '\0') {
		FUZZ_ASSERT(json_is_string(rt) &&
		    strlen(token) == json_string_length(rt) &&
		    strlen(token) <= AUTH_TOKEN_MAX);
		fuzz_refresh_frames(token, mode);
	}
	json_decref(body);
}

FUZZ_TARGET(fuzz_refresh)
