/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * server/auth.c: the body of POST /users/register, through
 * auth_body_load() and auth_register_check() as auth_register() uses
 * them, then the allow list of verification_url (url_allowed(),
 * shared/proto.c) on a fixed register-url-allow.
 *
 * Input: the body; over AUTH_BODY_MAX bytes it is answered 413 before
 * it is read, and an empty one reads as {}.
 *
 * Properties: a refusal has a reason that an error body can carry
 * (UTF-8), and a member other than the five is the fault named first
 * (Directus's order); an accepted body holds only the five, an email
 * that email_valid() takes, a non-empty password of at most
 * AUTH_PASSWORD_MAX bytes, a verification_url and names without NUL
 * within their bounds, and the names handed back are the body's own;
 * the MSG_REGISTER payload built from it is read back whole and equal
 * by keyd's layout; a verification_url the list allows becomes a link
 * that is the URL itself, printable ASCII without blanks (nothing that
 * could break a mail's line), and is one of the list's entries up to
 * its query or fragment.
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

static const char *const fuzz_register_keys[] = {
	"email", "password", "verification_url", "first_name", "last_name",
};
static const char fuzz_register_allow[] =
    "http://localhost:3000/verify, https://app.example/v?x=1";

static int
fuzz_register_known(const char *key)
{
	size_t	 i;

	for (i = 0; i < sizeof(fuzz_register_keys) /
	    sizeof(fuzz_register_keys[0]); i++)
		if (strcmp(key, fuzz_register_keys[i]) == 0)
			return 1;
	return 0;
}

/* A member that is a string of 1 to max bytes without NUL. */
static void
fuzz_register_string(json_t *v, size_t max)
{
	FUZZ_ASSERT(json_is_string(v) && json_string_length(v) > 0 &&
	    json_string_length(v) <= max &&
	    strlen(json_string_value(v)) == json_string_length(v));
}

/* What keyd reads of the MSG_REGISTER the worker would send. */
static void
fuzz_register_frame(json_t *body, const char *names[2])
{
	json_t			*pw = json_object_get(body, "password");
	json_t			*url = json_object_get(body,
				    "verification_url");
	struct msg_register	*w, *r;
	struct frame_buf	 fb;
	struct frame		 f;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		abort();
	w->client.ip = w->client.agent = w->client.origin = "";
	w->email = json_string_value(json_object_get(body, "email"));
	w->password = (const uint8_t *)json_string_value(pw);
	w->password_len = json_string_length(pw);
	w->url = url != NULL ? json_string_value(url) : "";
	w->first_name = names[0];
	w->last_name = names[1];
	FUZZ_ASSERT(msg_write(&fb, MSG_REGISTER, w) == 0);
	memset(&f, 0, sizeof(f));
	f.hdr.type = MSG_REGISTER;
	f.hdr.len = fb.len;
	f.data = fb.data;
	FUZZ_ASSERT(fb.len <= PROTO_KEYD_MAX);
	FUZZ_ASSERT(msg_read(&f, MSG_REGISTER, r) == 0);
	FUZZ_ASSERT(strcmp(r->email, w->email) == 0 &&
	    r->password_len == w->password_len &&
	    memcmp(r->password, w->password, w->password_len) == 0 &&
	    strcmp(r->url, w->url) == 0 &&
	    strcmp(r->first_name, names[0]) == 0 &&
	    strcmp(r->last_name, names[1]) == 0);
	frame_buf_free(&fb);
	free(w);
	free(r);
}

/* The link a verification_url (NULL: none) makes, if the list allows. */
static void
fuzz_register_link(const char *url)
{
	char		 link[MAIL_URL_MAX + 1];
	const char	*p;
	size_t		 base;

	if (url_allowed(fuzz_register_allow, url, NULL, link,
	    sizeof(link)) == -1)
		return;
	if (url == NULL) {
		FUZZ_ASSERT(strcmp(link, "http://localhost:3000/verify") == 0);
		return;
	}
	FUZZ_ASSERT(strcmp(link, url) == 0);
	for (p = link; *p != '\0'; p++)
		FUZZ_ASSERT(*p > 0x20 && *p < 0x7f);
	base = strcspn(url, "?#");
	FUZZ_ASSERT(strcmp(url, "https://app.example/v?x=1") == 0 ||
	    (base == strlen("http://localhost:3000/verify") &&
	    strncmp(url, "http://localhost:3000/verify", base) == 0) ||
	    (base == strlen("https://app.example/v?x=1") &&
	    strncmp(url, "https://app.example/v?x=1", base) == 0));
}

static void
fuzz_register_accepted(json_t *body, const char *names[2])
{
	json_t		*email = json_object_get(body, "email");
	json_t		*url = json_object_get(body, "verification_url");
	json_t		*v;
	const char	*key;
	size_t		 i;

	json_object_foreach(body, key, v)
		FUZZ_ASSERT(fuzz_register_known(key));
	FUZZ_ASSERT(json_is_string(email) && email_valid(
	    json_string_value(email), json_string_length(email)));
	fuzz_register_string(json_object_get(body, "password"),
	    AUTH_PASSWORD_MAX);
	if (url != NULL)
		fuzz_register_string(url, MAIL_URL_MAX);
	for (i = 0; i < 2; i++) {
		v = json_object_get(body, fuzz_register_keys[3 + i]);
		if (v == NULL)
			FUZZ_ASSERT(names[i] != NULL && names[i][0] == '\0');
		else {
			fuzz_register_string(v, USER_TEXT_MAX);
			FUZZ_ASSERT(names[i] == json_string_value(v));
		}
	}
	fuzz_register_frame(body, names);
	fuzz_register_link(url != NULL ? json_string_value(url) : NULL);
}

void
fuzz_register(const uint8_t *data, size_t size)
{
	json_t		*body, *v, *s;
	const char	*names[2] = { NULL, NULL }, *key, *tail;
	char		 reason[512];
	size_t		 len;
	int		 unknown = 0;

	if (size > AUTH_BODY_MAX)
		return;
	body = size == 0 ? json_object() : auth_body_load(data, size);
	if (body == NULL)
		return;
	FUZZ_ASSERT(json_is_object(body));
	json_object_foreach(body, key, v)
		if (!fuzz_register_known(key))
			unknown = 1;
	memset(reason, 'x', sizeof(reason));
	if (auth_register_check(body, names, reason, sizeof(reason)) == 0) {
		FUZZ_ASSERT(reason[0] == '\0' && !unknown);
		fuzz_register_accepted(body, names);
	} else {
		len = strlen(reason);
		FUZZ_ASSERT(len > 0 && len < 128 && reason[0] == '"');
		FUZZ_ASSERT((s = json_string(reason)) != NULL);
		json_decref(s);
		tail = "\" is not allowed";
		if (unknown)
			FUZZ_ASSERT(len > strlen(tail) && strcmp(reason + len -
			    strlen(tail), tail) == 0);
	}
	json_decref(body);
}

FUZZ_TARGET(fuzz_register)
