/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * POST /auth/introspect: token introspection (RFC 7662) for the
 * services behind tokend that would rather ask than verify.
 *
 * The caller authenticates with a static token of a user whose role is
 * introspect-role (auth block); without introspect-role the route is
 * 404, as if it did not exist.  No credential, or a JWT, or a static
 * token of another role, is 403 FORBIDDEN; a credential keyd refuses
 * gets keyd's refusal (401 INVALID_CREDENTIALS), before the body is
 * looked at.
 *
 * The body is a form (application/x-www-form-urlencoded, as RFC 7662
 * says) or a JSON object, with "token" given once; "token_type_hint"
 * and other parameters are ignored.  A missing token is 400
 * INVALID_PAYLOAD.  Only access tokens (Directus JWTs) are ever active:
 * keyd checks the token as it checks a request's (its signature, its
 * expiry, its user still active, its session not ended) and the answer
 * is {"active":true,"sub","exp","iat","scope","iss"}, scope listing
 * "admin" and "app" as the user's current access gives them.  Anything
 * else, a static or refresh token included, is {"active":false} with
 * no reason.  The answer is never cached by the worker nor by anyone
 * (Cache-Control: no-store): a revocation shows at once.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "jwt.h"
#include "log.h"
#include "proto.h"
#include "token.h"
#include "tokend.h"

enum introspect_body {
	INTROSPECT_TOKEN,	/* token holds the token */
	INTROSPECT_LONG,	/* longer than any access token: inactive */
	INTROSPECT_MISSING,	/* 400: no token, or given twice */
	INTROSPECT_INVALID	/* 400: not a form nor a JSON object */
};

struct introspect {
	struct server		*s;
	enum introspect_body	 body;
	char			 token[TOKEN_MAX + 1];
	size_t			 len;
	struct jwt		 jwt;
};

static void	 introspect_free(struct introspect *);
static void	 introspect_body_read(struct evhttp_request *,
		    struct introspect *);
static void	 introspect_caller_done(struct pending *, struct frame *);
static void	 introspect_token_done(struct pending *, struct frame *);
static void	 introspect_inactive(struct evhttp_request *);
static void	 introspect_send(struct evhttp_request *, const char *);

static void
introspect_free(struct introspect *in)
{
	if (in == NULL)
		return;
	explicit_bzero(in, sizeof(*in));
	free(in);
}

/*
 * The token of the body: a form's "token" (percent-decoded once, '+'
 * kept: no access token has one) or a JSON object's "token" string.
 */
static void
introspect_body_read(struct evhttp_request *req, struct introspect *in)
{
	struct evbuffer	*buf = evhttp_request_get_input_buffer(req);
	size_t		 len = evbuffer_get_length(buf);
	const char	*data, *v;
	char		*text;
	json_t		*body, *t;
	int		 rv;

	in->body = INTROSPECT_MISSING;
	in->len = 0;
	if (len == 0 || len > AUTH_BODY_MAX)
		return;
	data = (const char *)evbuffer_pullup(buf, -1);
	if (http_body_is_form(req)) {
		if (memchr(data, '\0', len) != NULL ||
		    (text = malloc(len + 1)) == NULL) {
			in->body = INTROSPECT_INVALID;
			return;
		}
		memcpy(text, data, len);
		text[len] = '\0';
		rv = token_query_param(text, "token", in->token,
		    sizeof(in->token), &in->len);
		freezero(text, len + 1);
		if (rv == -3)
			in->body = INTROSPECT_LONG;
		else if (rv == 0 && in->len > 0)
			in->body = INTROSPECT_TOKEN;
		return;
	}
	if ((body = auth_body_load(data, len)) == NULL) {
		in->body = INTROSPECT_INVALID;
		return;
	}
	if ((t = json_object_get(body, "token")) != NULL &&
	    json_is_string(t) && json_string_length(t) > 0) {
		v = json_string_value(t);
		if (json_string_length(t) > TOKEN_MAX)
			in->body = INTROSPECT_LONG;
		else if (strlen(v) == json_string_length(t)) {
			in->len = json_string_length(t);
			memcpy(in->token, v, in->len);
			in->token[in->len] = '\0';
			in->body = INTROSPECT_TOKEN;
		} else
			in->body = INTROSPECT_LONG;	/* a NUL: not ours */
	}
	json_decref(body);
}

void
auth_introspect(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	struct introspect	*in;
	struct token_ref	*tok;
	struct msg_auth		 m;
	struct frame_buf	 fb;
	struct jwt		 jwt;
	int			 rv;

	if (s->conf->introspect_role[0] == '\0') {
		http_not_found(req, s);
		return;
	}
	if ((rv = auth_token(s, req, &tok, &jwt)) == 0) {
		auth_error(req, AUTH_FORBIDDEN);
		return;
	}
	if (rv == -1)
		return;
	/* Only a static token: a service's, not a user's session. */
	if (jwt.signing_len > 0) {
		auth_token_free(tok);
		auth_error(req, AUTH_FORBIDDEN);
		return;
	}
	if ((in = calloc(1, sizeof(*in))) == NULL) {
		auth_token_free(tok);
		auth_error(req, AUTH_INTERNAL);
		return;
	}
	in->s = s;
	introspect_body_read(req, in);
	auth_credential_set(&m.cred, tok, &jwt);
	(void)msg_write(&fb, MSG_AUTH, &m);
	auth_token_free(tok);
	/* Unanswered, done() ran with NULL and freed in. */
	(void)server_keyd_request(s, req, MSG_AUTH, fb.data, fb.len, 0,
	    introspect_caller_done, in);
	frame_buf_free(&fb);
}

/* keyd's verdict on the caller; then the token goes to keyd. */
static void
introspect_caller_done(struct pending *p, struct frame *f)
{
	const struct tokend_config	*conf = server_conf();
	const struct conf_role		*role;
	struct introspect		*in = p->arg;
	struct token_ref		 tok;
	struct msg_auth			 m;
	struct frame_buf		 fb;
	struct auth_result		 ar;

	if (f == NULL)
		ar.code = AUTH_UNAVAILABLE;
	else
		(void)auth_result_read(f, &ar);
	if (ar.code != AUTH_OK)
		auth_error(p->req, ar.code);
	else if ((role = config_role_by_name(conf, conf->introspect_role)) ==
	    NULL || strcmp(role->id, ar.role) != 0)
		auth_error(p->req, AUTH_FORBIDDEN);
	else if (in->body == INTROSPECT_MISSING)
		auth_error_message(p->req, AUTH_INVALID_PAYLOAD,
		    "\"token\" is required");
	else if (in->body == INTROSPECT_INVALID)
		auth_error_message(p->req, AUTH_INVALID_PAYLOAD,
		    "The body must be a form or a JSON object.");
	else if (in->body != INTROSPECT_TOKEN ||
	    jwt_parse_keys(in->token, in->len, &in->s->keys,
	    &in->jwt) != JWT_DIRECTUS)
		introspect_inactive(p->req);
	else {
		tok.source = TOKEN_HEADER;
		tok.len = in->len;
		memcpy(tok.value, in->token, in->len + 1);
		auth_credential_set(&m.cred, &tok, &in->jwt);
		(void)msg_write(&fb, MSG_AUTH, &m);
		explicit_bzero(&tok, sizeof(tok));
		(void)server_keyd_request(in->s, p->req, MSG_AUTH, fb.data,
		    fb.len, 0, introspect_token_done, in);
		frame_buf_free(&fb);
		explicit_bzero(&ar, sizeof(ar));
		return;
	}
	explicit_bzero(&ar, sizeof(ar));
	introspect_free(in);
}

/* keyd's verdict on the token. */
static void
introspect_token_done(struct pending *p, struct frame *f)
{
	struct introspect	*in = p->arg;
	struct auth_result	 ar;
	json_t			*doc;
	char			*text, scope[16] = "";

	if (f == NULL) {
		auth_error(p->req, AUTH_UNAVAILABLE);
		introspect_free(in);
		return;
	}
	(void)auth_result_read(f, &ar);
	if (ar.code == AUTH_UNAVAILABLE || ar.code == AUTH_INTERNAL)
		auth_error(p->req, ar.code);
	else if (ar.code != AUTH_OK || strcmp(ar.user, in->jwt.id) != 0)
		introspect_inactive(p->req);
	else {
		if (ar.admin)
			(void)strlcat(scope, "admin", sizeof(scope));
		if (ar.app)
			(void)strlcat(scope, scope[0] != '\0' ? " app" : "app",
			    sizeof(scope));
		doc = json_pack("{s:b,s:s,s:I,s:I,s:s}", "active", 1,
		    "sub", ar.user, "exp", (json_int_t)in->jwt.exp,
		    "iat", (json_int_t)in->jwt.iat, "iss", "directus");
		text = doc == NULL || (scope[0] != '\0' &&
		    json_object_set_new(doc, "scope", json_string(scope)) ==
		    -1) ? NULL :
		    json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(doc);
		if (text == NULL)
			auth_error(p->req, AUTH_INTERNAL);
		else
			introspect_send(p->req, text);
		free(text);
	}
	explicit_bzero(&ar, sizeof(ar));
	introspect_free(in);
}

/* Whatever is wrong with the token: no detail. */
static void
introspect_inactive(struct evhttp_request *req)
{
	introspect_send(req, "{\"active\":false}");
}

static void
introspect_send(struct evhttp_request *req, const char *text)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	http_json(req, 200, text);
}
