/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The worker's side of authentication: /auth/login, /auth/refresh,
 * /auth/logout and /users/me.  The worker validates bodies, extracts and
 * parses tokens, and asks keyd, which alone holds the secret and the
 * credential database.  Every failure is a Directus error envelope.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "jwt.h"
#include "log.h"
#include "metrics.h"
#include "perm.h"
#include "proto.h"
#include "query.h"
#include "token.h"
#include "tokend.h"

#define AUTH_HASH_WAIT_MS	30000	/* a login may queue for the hash pool */
#define AUTH_HEADERS_MAX	16	/* Authorization or Cookie headers read */

static const struct {
	int		 status;
	const char	*code;
	const char	*message;
} auth_errors[AUTH_CODE_MAX] = {
	[AUTH_OK] = { 200, "", "" },
	[AUTH_INVALID_CREDENTIALS] = { 401, "INVALID_CREDENTIALS",
	    "Invalid user credentials." },
	[AUTH_TOKEN_EXPIRED] = { 401, "TOKEN_EXPIRED", "Token expired." },
	[AUTH_INVALID_TOKEN] = { 403, "INVALID_TOKEN", "Invalid token." },
	[AUTH_INVALID_PAYLOAD] = { 400, "INVALID_PAYLOAD",
	    "Invalid payload." },
	[AUTH_UNAVAILABLE] = { 503, "SERVICE_UNAVAILABLE",
	    "Service unavailable." },
	[AUTH_INTERNAL] = { 500, "INTERNAL_SERVER_ERROR",
	    "An unexpected error occurred." },
	[AUTH_FORBIDDEN] = { 403, "FORBIDDEN",
	    "You don't have permission to access this." },
	[AUTH_RECORD_NOT_UNIQUE] = { 400, "RECORD_NOT_UNIQUE",
	    "Value for field \"email\" in collection \"directus_users\" "
	    "has to be unique." },
	[AUTH_INVALID_QUERY] = { 400, "INVALID_QUERY", "Invalid query." },
	[AUTH_FAILED_VALIDATION] = { 400, "FAILED_VALIDATION",
	    "Validation failed." },
	[AUTH_INVALID_FOREIGN_KEY] = { 400, "INVALID_FOREIGN_KEY",
	    "Invalid foreign key." },
	[AUTH_UNPROCESSABLE] = { 422, "UNPROCESSABLE_CONTENT",
	    "Can't process content." },
	[AUTH_TOO_MANY] = { 429, "REQUESTS_EXCEEDED", "Too many requests." },
	[AUTH_INVALID_OTP] = { 401, "INVALID_OTP", "Invalid user OTP." },
};

/* One request under /auth or /users/me while keyd works on it. */
struct auth_ctx {
	struct server		*s;
	struct evhttp_request	*req;
	int64_t			 start;	/* ms, CLOCK_MONOTONIC */
	struct event		*stall;
	int			 mode;
	int			 login;		/* stalls on every path */
	int			 no_content;	/* AUTH_OK is 204 */
	uint32_t		 code;
	char			 reason[512];	/* 400 INVALID_PAYLOAD */
	char			 access[AUTH_TOKEN_MAX + 1];
	char			 refresh[AUTH_REFRESH_LEN + 1];
	uint64_t		 expires;
	uint64_t		 refresh_ttl;
	int64_t			 retry_at;	/* AUTH_TOO_MANY, monotonic ms */
	char			 fields[512];	/* /users/me?fields= */
};

static struct auth_ctx *auth_ctx_new(struct server *, struct evhttp_request *);
static void	 auth_ctx_free(struct auth_ctx *);
static void	 auth_tokens_done(struct pending *, struct frame *);
static void	 auth_logout_done(struct pending *, struct frame *);
static void	 auth_me_done(struct pending *, struct frame *);
static int	 auth_me_fields(struct evhttp_request *, const char *,
		    uint32_t *);
static void	 auth_me_cut(json_t *, const char *,
		    const struct auth_result *, struct evhttp_request *);
static void	 auth_stalled_done(struct pending *, struct frame *);
static void	 auth_token_use(struct server *, struct evhttp_request *,
		    enum mail_kind);
static int	 auth_quote_len(const char *, size_t);
static int	 auth_string_check(json_t *, const char *, size_t, int,
		    char *, size_t);
static void	 auth_stall(struct auth_ctx *);
static void	 auth_stall_cb(evutil_socket_t, short, void *);
static void	 auth_reply(struct auth_ctx *);
static void	 auth_cookie(struct evhttp_request *, int, const char *,
		    int64_t);
static int	 auth_refresh_cookie(struct auth_ctx *, char *, size_t);
static struct auth_ctx *auth_refresh_begin(struct server *,
		    struct evhttp_request *, char *, size_t);
static void	 auth_payload_error(struct evhttp_request *, const char *);
static json_t	*auth_body(struct evhttp_request *);
static int	 auth_mode(json_t *, int);
static const char *auth_header(struct evhttp_request *, const char *,
		    size_t);
static int	 auth_cookie_present(const char *const *, size_t,
		    const char *);
static size_t	 auth_headers(struct evhttp_request *, const char *,
		    const char **);
static int	 auth_field_listed(const char *, const char *, size_t);
static int	 auth_token_find(struct server *, struct evhttp_request *,
		    const char *,
		    struct token_ref **);
static int	 auth_cached(struct server *, struct evhttp_request *,
		    uint32_t, const struct token_ref *, uint8_t *,
		    void (*)(struct pending *, struct frame *), void *);

/* Answer with the Directus error for a keyd outcome. */
void
auth_error(struct evhttp_request *req, uint32_t code)
{
	if (code == AUTH_OK || code >= AUTH_CODE_MAX)
		code = AUTH_INTERNAL;
	http_error(req, auth_errors[code].status, auth_errors[code].code,
	    auth_errors[code].message);
}

/*
 * The same with keyd's own message when it gave one.  Only printable
 * ASCII is passed on, so the message cannot break the JSON encoder.
 */
void
auth_error_message(struct evhttp_request *req, uint32_t code,
    const char *message)
{
	char	 clean[USERS_MESSAGE_MAX + 1], *text;
	json_t	*body = NULL;
	size_t	 i;

	if (code == AUTH_OK || code >= AUTH_CODE_MAX || message[0] == '\0') {
		auth_error(req, code);
		return;
	}
	for (i = 0; message[i] != '\0' && i < USERS_MESSAGE_MAX; i++)
		clean[i] = message[i] >= 0x20 && message[i] < 0x7f ?
		    message[i] : '?';
	clean[i] = '\0';
	/* A field or collection refused where Directus says where: a reason. */
	if (code == AUTH_FORBIDDEN && strstr(clean, ". Queried in ") != NULL &&
	    (body = json_pack("{s:[{s:s,s:{s:s,s:s}}]}", "errors", "message",
	    clean, "extensions", "reason", clean, "code",
	    auth_errors[code].code)) != NULL &&
	    (text = json_dumps(body, JSON_COMPACT)) != NULL) {
		http_error_buf(req, auth_errors[code].status, text,
		    strlen(text));
		free(text);
		json_decref(body);
		return;
	}
	json_decref(body);
	http_error(req, auth_errors[code].status, auth_errors[code].code,
	    clean);
}

static struct auth_ctx *
auth_ctx_new(struct server *s, struct evhttp_request *req)
{
	struct auth_ctx	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		auth_error(req, AUTH_INTERNAL);
		return NULL;
	}
	c->s = s;
	c->req = req;
	c->code = AUTH_INTERNAL;
	c->start = now_ms(CLOCK_MONOTONIC);
	return c;
}

static void
auth_ctx_free(struct auth_ctx *c)
{
	if (c->stall != NULL)
		event_free(c->stall);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

static void
auth_payload_error(struct evhttp_request *req, const char *reason)
{
	char	 msg[640];

	(void)snprintf(msg, sizeof(msg), "Invalid payload. %s.", reason);
	http_error(req, 400, "INVALID_PAYLOAD", msg);
}

/*
 * The JSON body of a request under /auth, which the route table keeps
 * small: NULL (with the answer sent) when it is not JSON, or not an
 * object.  An empty body is {}.
 */
static json_t *
auth_body(struct evhttp_request *req)
{
	struct evbuffer	*buf = evhttp_request_get_input_buffer(req);
	json_t		*body;
	size_t		 len = evbuffer_get_length(buf);

	if (len == 0)
		return json_object();
	if ((body = auth_body_load(evbuffer_pullup(buf, -1), len)) == NULL)
		auth_payload_error(req, "Invalid JSON");
	return body;
}

/* The bytes of a body as a JSON object without duplicate members. */
json_t *
auth_body_load(const void *data, size_t len)
{
	json_error_t	 jerr;
	json_t		*body;

	body = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (body != NULL && !json_is_object(body)) {
		json_decref(body);
		body = NULL;
	}
	return body;
}

/* "json", "cookie" or "session"; -1 for anything else. */
static int
auth_mode(json_t *v, int dflt)
{
	const char	*m;

	if (v == NULL)
		return dflt;
	if (!json_is_string(v))
		return -1;
	m = json_string_value(v);
	if (strcmp(m, "json") == 0)
		return AUTH_MODE_JSON;
	if (strcmp(m, "cookie") == 0)
		return AUTH_MODE_COOKIE;
	if (strcmp(m, "session") == 0)
		return AUTH_MODE_SESSION;
	return -1;
}

static const char *
auth_header(struct evhttp_request *req, const char *name, size_t max)
{
	const char	*v;

	v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
	if (v == NULL || strlen(v) > max)
		return "";
	return v;
}

/*
 * Where the request comes from, for keyd's audit trail; ip is the
 * caller's buffer of INET6_ADDRSTRLEN bytes, which m points into.
 */
void
auth_client_set(struct evhttp_request *req, struct msg_client *m, char *ip,
    size_t len)
{
	http_client_text(req, ip, len);
	m->ip = ip;
	m->agent = auth_header(req, "User-Agent", AUTH_TEXT_MAX);
	m->origin = auth_header(req, "Origin", AUTH_TEXT_MAX);
}

/* Every value of a header, at most AUTH_HEADERS_MAX of them. */
static size_t
auth_headers(struct evhttp_request *req, const char *name,
    const char **out)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	struct evkeyval		*kv;
	size_t			 n = 0;

	TAILQ_FOREACH(kv, h, next) {
		if (strcasecmp(kv->key, name) != 0)
			continue;
		if (n == AUTH_HEADERS_MAX)
			break;
		out[n++] = kv->value;
	}
	return n;
}

/*
 * A login body checked the way Directus does, first error wins, in the
 * order email, password, mode, otp: NULL, or the reason it is refused.
 * *mode is the mode asked for, or -1.
 */
const char *
auth_login_check(json_t *body, int *mode)
{
	json_t	*email = json_object_get(body, "email");
	json_t	*pw = json_object_get(body, "password");
	json_t	*otp = json_object_get(body, "otp");

	*mode = auth_mode(json_object_get(body, "mode"), AUTH_MODE_JSON);
	if (email == NULL)
		return "\"email\" is required";
	if (!json_is_string(email) || !email_valid(
	    json_string_value(email), json_string_length(email)))
		return "\"email\" must be a valid email";
	if (pw == NULL)
		return "\"password\" is required";
	if (!json_is_string(pw))
		return "\"password\" must be a string";
	if (json_string_length(pw) > AUTH_PASSWORD_MAX)
		return "\"password\" is too long";
	if (*mode == -1)
		return "\"mode\" must be one of [json, cookie, session]";
	if (otp != NULL && (!json_is_string(otp) ||
	    json_string_length(otp) > AUTH_TEXT_MAX ||
	    strlen(json_string_value(otp)) != json_string_length(otp)))
		return "\"otp\" must be a string";
	return NULL;
}

/*
 * Check a login body (auth_login_check), then hand it to keyd.  Every
 * answer, success or failure, waits for the stall time.
 */
void
auth_login(struct server *s, struct evhttp_request *req, const char *rest)
{
	struct auth_ctx		*c;
	struct msg_login	 m;
	struct frame_buf	 fb;
	json_t			*body, *email, *pw, *otp;
	const char		*reason;
	char			 ip[INET6_ADDRSTRLEN];
	int			 rv;

	if ((c = auth_ctx_new(s, req)) == NULL)
		return;
	c->login = 1;
	if ((body = auth_body(req)) == NULL) {
		auth_ctx_free(c);
		return;
	}
	if ((reason = auth_login_check(body, &c->mode)) != NULL) {
		(void)strlcpy(c->reason, reason, sizeof(c->reason));
		json_decref(body);
		auth_stall(c);
		return;
	}
	email = json_object_get(body, "email");
	pw = json_object_get(body, "password");
	otp = json_object_get(body, "otp");
	http_client_text(req, ip, sizeof(ip));
	m.email = json_string_value(email);
	m.password = (const uint8_t *)json_string_value(pw);
	m.password_len = json_string_length(pw);
	m.mode = (uint32_t)c->mode;
	m.otp = otp != NULL ? json_string_value(otp) : "";
	m.ip = ip;
	m.agent = auth_header(req, "User-Agent", AUTH_TEXT_MAX);
	m.origin = auth_header(req, "Origin", AUTH_TEXT_MAX);
	rv = msg_write(&fb, MSG_LOGIN, &m);
	json_decref(body);
	if (rv == -1) {
		c->code = AUTH_INTERNAL;
		auth_stall(c);
	} else
		(void)server_keyd_request(c->s, req, MSG_LOGIN, fb.data,
		    fb.len, AUTH_HASH_WAIT_MS, auth_tokens_done, c);
	frame_buf_free(&fb);
}

/* MSG_TOKENS from keyd, for a login or a refresh. */
static void
auth_tokens_done(struct pending *p, struct frame *f)
{
	struct auth_ctx		*c = p->arg;
	struct msg_tokens	 m;

	c->code = f == NULL ? AUTH_UNAVAILABLE : AUTH_INTERNAL;
	if (f != NULL && f->hdr.type == MSG_TOKENS) {
		/* The message's bounds are those of c->access, c->refresh. */
		if (msg_read(f, MSG_TOKENS, &m) == -1 ||
		    m.code >= AUTH_CODE_MAX)
			c->code = AUTH_INTERNAL;
		else {
			c->code = m.code;
			(void)strlcpy(c->access, m.access, sizeof(c->access));
			c->expires = m.expires;
			(void)strlcpy(c->refresh, m.refresh,
			    sizeof(c->refresh));
			c->refresh_ttl = m.refresh_ttl;
			c->retry_at = now_ms(CLOCK_MONOTONIC) +
			    (int64_t)(m.retry < INT32_MAX ? m.retry :
			    INT32_MAX);
		}
		explicit_bzero(&m, sizeof(m));
	}
	metrics_count(c->login ? (c->code == AUTH_OK ? METRIC_LOGIN_OK :
	    METRIC_LOGIN_FAILED) : (c->code == AUTH_OK ? METRIC_REFRESH_OK :
	    METRIC_REFRESH_FAILED));
	/* Logins stall on every path; refreshes do not. */
	if (c->login)
		auth_stall(c);
	else
		auth_stall_cb(-1, 0, c);
}

/*
 * Hold an answer until the stall time has passed since the request came
 * in: a libevent timer, never a sleep.
 */
static void
auth_stall(struct auth_ctx *c)
{
	struct timeval	 tv;
	int64_t		 left;

	left = c->s->conf->login_stall - (now_ms(CLOCK_MONOTONIC) - c->start);
	if (left <= 0 || (c->stall = evtimer_new(c->s->base, auth_stall_cb,
	    c)) == NULL) {
		auth_stall_cb(-1, 0, c);
		return;
	}
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	evtimer_add(c->stall, &tv);
}

static void
auth_stall_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct auth_ctx	*c = arg;

	if (c->reason[0] != '\0')
		auth_payload_error(c->req, c->reason);
	else if (c->code == AUTH_TOO_MANY)
		/* The lockout of keyd/lockout.c, worded as the rate limit. */
		http_too_many(c->req, c->s->conf->login_attempts,
		    c->retry_at - now_ms(CLOCK_MONOTONIC) > 0 ?
		    c->retry_at - now_ms(CLOCK_MONOTONIC) : 1);
	else if (c->code != AUTH_OK)
		auth_error(c->req, c->code);
	else if (c->no_content)
		http_reply(c->req, 204, "No Content");
	else
		auth_reply(c);
	auth_ctx_free(c);
}

/*
 * The answer of a login or refresh, per mode: json has both tokens in the
 * body; cookie puts the refresh token in its cookie; session puts the
 * access token in the session cookie, the refresh token in the refresh
 * cookie (the JWT only names its session, see keyd/auth.c) and no token
 * in the body.
 */
static void
auth_reply(struct auth_ctx *c)
{
	json_t	*data;
	char	*text;

	data = json_pack("{s:I}", "expires", (json_int_t)c->expires);
	if (data != NULL && c->mode != AUTH_MODE_SESSION)
		json_object_set_new(data, "access_token",
		    json_string(c->access));
	if (data != NULL && c->mode == AUTH_MODE_JSON)
		json_object_set_new(data, "refresh_token",
		    json_string(c->refresh));
	if (c->mode == AUTH_MODE_COOKIE || c->mode == AUTH_MODE_SESSION)
		auth_cookie(c->req, 0, c->refresh, (int64_t)c->refresh_ttl);
	if (c->mode == AUTH_MODE_SESSION)
		auth_cookie(c->req, 1, c->access, (int64_t)c->expires);
	text = http_data_dumps(data);
	if (text == NULL) {
		auth_error(c->req, AUTH_INTERNAL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(c->req),
	    "Cache-Control", "no-store");
	http_json(c->req, 200, text);
	free(text);
}

/*
 * Set (ttl > 0) or clear (ttl 0) the refresh or session cookie with the
 * configured attributes, Secure also whenever public-url is https (the
 * browsers see tokend over TLS, whatever a proxy speaks to it).
 * Values are tokens keyd made: [A-Za-z0-9._-].
 */
static void
auth_cookie(struct evhttp_request *req, int session, const char *value,
    int64_t ttl_ms)
{
	const struct tokend_config	*conf = server_conf();
	char				 line[AUTH_TOKEN_MAX + 512];
	char				 expires[64];
	time_t				 t = time(NULL) + ttl_ms / 1000;
	struct tm			 tm;
	const char			*domain;

	domain = session ? conf->session_cookie_domain :
	    conf->refresh_cookie_domain;
	gmtime_r(ttl_ms > 0 ? &t : &(time_t){ 0 }, &tm);
	(void)strftime(expires, sizeof(expires), "%a, %d %b %Y %H:%M:%S GMT",
	    &tm);
	(void)snprintf(line, sizeof(line),
	    "%s=%s; Max-Age=%lld; Path=/; Expires=%s; HttpOnly; SameSite=%s%s%s%s",
	    session ? conf->session_cookie : conf->refresh_cookie, value,
	    (long long)(ttl_ms / 1000), expires, session ?
	    conf->session_cookie_samesite : conf->refresh_cookie_samesite,
	    (session ? conf->session_cookie_secure :
	    conf->refresh_cookie_secure) ||
	    strncasecmp(conf->public_url, "https://", 8) == 0 ? "; Secure" : "",
	    domain[0] != '\0' ? "; Domain=" : "", domain);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Set-Cookie", line);
}

/*
 * The body of a refresh or logout: NULL, or the reason it is refused.
 * *mode is the mode asked for (by default json when the body has a
 * refresh_token, else cookie), or -1.  A usable refresh_token in the
 * body, whatever the mode, is copied to token (len > 0), else token is
 * left as it is.
 */
const char *
auth_refresh_check(json_t *body, int *mode, char *token, size_t len)
{
	json_t	*rt = json_object_get(body, "refresh_token");

	*mode = auth_mode(json_object_get(body, "mode"),
	    rt != NULL ? AUTH_MODE_JSON : AUTH_MODE_COOKIE);
	if (*mode == -1)
		return "\"mode\" must be one of [json, cookie, session]";
	if (rt != NULL && json_is_string(rt) && json_string_length(rt) > 0 &&
	    json_string_length(rt) < len)
		(void)strlcpy(token, json_string_value(rt), len);
	return NULL;
}

/*
 * The refresh token of a refresh or logout whose body has none: the
 * refresh cookie, in cookie and session mode alike.  Unlike Directus's,
 * the session cookie's JWT does not carry the refresh token, so a leaked
 * session token cannot refresh.  0 found, -1 not.
 */
static int
auth_refresh_cookie(struct auth_ctx *c, char *out, size_t len)
{
	const char	*cookies[AUTH_HEADERS_MAX];
	size_t		 n, got;

	n = auth_headers(c->req, "Cookie", cookies);
	return token_cookie(cookies, n, server_conf()->refresh_cookie, out,
	    len, &got) == 0 && got > 0 ? 0 : -1;
}

/*
 * What refresh and logout share: a POST whose refresh token comes from
 * the body or the cookie of the mode.  NULL when already answered.
 */
static struct auth_ctx *
auth_refresh_begin(struct server *s, struct evhttp_request *req, char *token,
    size_t len)
{
	struct auth_ctx	*c;
	json_t		*body;
	const char	*reason;

	if ((body = auth_body(req)) == NULL)
		return NULL;
	if ((c = auth_ctx_new(s, req)) == NULL) {
		json_decref(body);
		return NULL;
	}
	if ((reason = auth_refresh_check(body, &c->mode, token, len)) ==
	    NULL && token[0] == '\0' && (auth_refresh_cookie(c, token,
	    len) == -1 || token[0] == '\0'))
		reason = "The refresh token is required in either the "
		    "payload or cookie";
	json_decref(body);
	if (reason != NULL) {
		auth_payload_error(req, reason);
		auth_ctx_free(c);
		return NULL;
	}
	return c;
}

void
auth_refresh(struct server *s, struct evhttp_request *req, const char *rest)
{
	struct auth_ctx		*c;
	struct msg_refresh	 m;
	struct frame_buf	 fb;
	char			 token[AUTH_TOKEN_MAX + 1] = "";
	char			 ip[INET6_ADDRSTRLEN];

	if ((c = auth_refresh_begin(s, req, token, sizeof(token))) == NULL)
		return;
	m.token = token;
	m.mode = (uint32_t)c->mode;
	auth_client_set(req, &m.client, ip, sizeof(ip));
	(void)msg_write(&fb, MSG_REFRESH, &m);
	explicit_bzero(token, sizeof(token));
	(void)server_keyd_request(c->s, req, MSG_REFRESH, fb.data, fb.len, 0,
	    auth_tokens_done, c);
	frame_buf_free(&fb);
}

void
auth_logout(struct server *s, struct evhttp_request *req, const char *rest)
{
	struct auth_ctx		*c;
	struct msg_logout	 m;
	struct frame_buf	 fb;
	char			 token[AUTH_TOKEN_MAX + 1] = "";
	char			 ip[INET6_ADDRSTRLEN];

	if ((c = auth_refresh_begin(s, req, token, sizeof(token))) == NULL)
		return;
	m.token = token;
	auth_client_set(req, &m.client, ip, sizeof(ip));
	(void)msg_write(&fb, MSG_LOGOUT, &m);
	explicit_bzero(token, sizeof(token));
	(void)server_keyd_request(c->s, req, MSG_LOGOUT, fb.data, fb.len, 0,
	    auth_logout_done, c);
	frame_buf_free(&fb);
}

/* 204 with both cookies cleared. */
static void
auth_logout_done(struct pending *p, struct frame *f)
{
	struct auth_ctx	*c = p->arg;
	struct msg_done	 m;
	uint32_t	 code = AUTH_UNAVAILABLE;

	if (f != NULL && f->hdr.type == MSG_DONE)
		code = msg_read(f, MSG_DONE, &m) == -1 ? AUTH_INTERNAL :
		    m.code;
	if (code != AUTH_OK)
		auth_error(c->req, code);
	else {
		auth_cookie(c->req, 0, "", 0);
		auth_cookie(c->req, 1, "", 0);
		http_reply(c->req, 204, "No Content");
	}
	auth_ctx_free(c);
}

/*
 * POST /auth/password/request {email, reset_url}: 204 after the login
 * stall whether or not the user exists (keyd mails only an active
 * user).  A reset_url off the allow list is Directus's 400.
 */
void
auth_password_request(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	struct auth_ctx			*c;
	struct msg_password_request	 m;
	struct frame_buf		 fb;
	json_t				*body, *email, *url;
	char				 link[MAIL_URL_MAX + 1];
	char				 ip[INET6_ADDRSTRLEN];

	if ((c = auth_ctx_new(s, req)) == NULL)
		return;
	c->login = c->no_content = 1;
	if ((body = auth_body(req)) == NULL) {
		auth_ctx_free(c);
		return;
	}
	email = json_object_get(body, "email");
	url = json_object_get(body, "reset_url");
	if (email == NULL)
		(void)strlcpy(c->reason, "\"email\" is required",
		    sizeof(c->reason));
	else if (!json_is_string(email) || !email_valid(
	    json_string_value(email), json_string_length(email)))
		(void)strlcpy(c->reason, "\"email\" must be a valid email",
		    sizeof(c->reason));
	else if (url != NULL && (!json_is_string(url) ||
	    strlen(json_string_value(url)) != json_string_length(url)))
		(void)strlcpy(c->reason, "\"reset_url\" must be a string",
		    sizeof(c->reason));
	else if (url_allowed(s->conf->reset_url_allow, url != NULL ?
	    json_string_value(url) : NULL, NULL, link, sizeof(link)) == -1)
		(void)snprintf(c->reason, sizeof(c->reason), "URL \"%.*s\" "
		    "can't be used to reset passwords", url != NULL ?
		    auth_quote_len(json_string_value(url), 300) : 0,
		    url != NULL ? json_string_value(url) : "");
	if (c->reason[0] != '\0') {
		json_decref(body);
		auth_stall(c);
		return;
	}
	m.email = json_string_value(email);
	m.url = link;
	auth_client_set(req, &m.client, ip, sizeof(ip));
	if (msg_write(&fb, MSG_PASSWORD_REQUEST, &m) == -1) {
		c->code = AUTH_OK;	/* 204 all the same */
		auth_stall(c);
	} else
		(void)server_keyd_request(c->s, req, MSG_PASSWORD_REQUEST,
		    fb.data, fb.len, 0, auth_stalled_done, c);
	json_decref(body);
	frame_buf_free(&fb);
}

/*
 * POST /auth/password/reset {token, password}: keyd checks the token,
 * hashes the password, ends the user's sessions; 204.
 */
void
auth_password_reset(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	auth_token_use(s, req, MAIL_RESET);
}

/*
 * POST /users/invite/accept {token, password}: keyd checks the invite
 * token, sets the password and the status "active"; 204.
 */
void
auth_invite_accept(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	auth_token_use(s, req, MAIL_INVITE);
}

/*
 * A mail's token with a new password: {token, password}, checked by
 * auth_token_body_check(), then keyd's MSG_MAIL_TOKEN, answered by
 * users_done().
 */
static void
auth_token_use(struct server *s, struct evhttp_request *req,
    enum mail_kind kind)
{
	struct msg_mail_token	 m;
	struct frame_buf	 fb;
	json_t			*body;
	char			 reason[128];
	char			 ip[INET6_ADDRSTRLEN];

	if ((body = auth_body(req)) == NULL)
		return;
	if (auth_token_body_check(body, reason, sizeof(reason)) == -1) {
		auth_payload_error(req, reason);
		json_decref(body);
		return;
	}
	m.kind = kind;
	m.token = json_string_value(json_object_get(body, "token"));
	auth_client_set(req, &m.client, ip, sizeof(ip));
	m.password = (const uint8_t *)json_string_value(json_object_get(body,
	    "password"));
	m.password_len = json_string_length(json_object_get(body,
	    "password"));
	if (msg_write(&fb, MSG_MAIL_TOKEN, &m) == -1)
		auth_error(req, AUTH_INTERNAL);
	else
		(void)server_keyd_request(s, req, MSG_MAIL_TOKEN, fb.data,
		    fb.len, AUTH_HASH_WAIT_MS, users_done, NULL);
	if (fb.data != NULL)
		explicit_bzero(fb.data, fb.len);
	json_decref(body);
	frame_buf_free(&fb);
}

/*
 * The body of a mail's token with a new password (password reset,
 * invite accept), in Directus's order: no member but token and
 * password, then each required, a string, not empty.  0, or -1 with
 * the reason.
 */
int
auth_token_body_check(json_t *body, char *reason, size_t len)
{
	json_t		*v;
	const char	*key;

	json_object_foreach(body, key, v)
		if (strcmp(key, "token") != 0 && strcmp(key, "password") != 0) {
			(void)snprintf(reason, len, "\"%.*s\" is not allowed",
			    auth_quote_len(key, 64), key);
			return -1;
		}
	if (auth_string_check(json_object_get(body, "token"), "token",
	    AUTH_TOKEN_MAX, 0, reason, len) == -1 ||
	    auth_string_check(json_object_get(body, "password"), "password",
	    AUTH_PASSWORD_MAX, 0, reason, len) == -1)
		return -1;
	return 0;
}

/*
 * How many bytes of s, a body's UTF-8 string, a message quotes: at
 * most max, without cutting a character in two (jansson would refuse
 * the error body, and the answer would be a 500).
 */
static int
auth_quote_len(const char *s, size_t max)
{
	size_t	 n = strnlen(s, max);

	if (n == max)
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	return (int)n;
}

/*
 * A member v of a body that must be a string of at most max bytes
 * without a NUL, and not empty (unless empty_ok), in Joi's words: 0,
 * or -1 with the reason (a token over the bound is "invalid").
 */
static int
auth_string_check(json_t *v, const char *name, size_t max, int empty_ok,
    char *reason, size_t len)
{
	const char	*why = NULL;

	if (v == NULL)
		why = "is required";
	else if (!json_is_string(v))
		why = "must be a string";
	else if (json_string_length(v) == 0 && !empty_ok)
		why = "is not allowed to be empty";
	else if (json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		why = "is invalid";
	if (why == NULL)
		return 0;
	(void)snprintf(reason, len, "\"%s\" %s", name, why);
	return -1;
}

/*
 * A registration body in Directus's order, first fault only: no member
 * but the five, then email, password, verification_url (a string of at
 * most MAIL_URL_MAX bytes; whether it is allowed is the caller's
 * question), first_name, last_name.  0 with the names in names[0] and
 * names[1] ("" when absent), or -1 with the reason (reason[0] is '\0'
 * exactly when 0 is returned).
 */
int
auth_register_check(json_t *body, const char *names[2], char *reason,
    size_t len)
{
	static const char *const keys[] = { "email", "password",
	    "verification_url", "first_name", "last_name" };
	json_t		*email, *url, *v;
	const char	*key;
	size_t		 i;

	reason[0] = '\0';
	names[0] = names[1] = "";
	json_object_foreach(body, key, v) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			(void)snprintf(reason, len, "\"%.*s\" is not allowed",
			    auth_quote_len(key, 64), key);
			return -1;
		}
	}
	email = json_object_get(body, "email");
	url = json_object_get(body, "verification_url");
	if (email == NULL)
		(void)strlcpy(reason, "\"email\" is required", len);
	else if (!json_is_string(email) || !email_valid(
	    json_string_value(email), json_string_length(email)))
		(void)strlcpy(reason, "\"email\" must be a valid email", len);
	else if (auth_string_check(json_object_get(body, "password"),
	    "password", AUTH_PASSWORD_MAX, 0, reason, len) == -1)
		;
	else if (url != NULL && auth_string_check(url, "verification_url",
	    MAIL_URL_MAX, 0, reason, len) == -1)
		(void)strlcpy(reason, "\"verification_url\" must be a valid "
		    "uri", len);
	for (i = 0; i < 2 && reason[0] == '\0'; i++) {
		v = json_object_get(body, keys[3 + i]);
		if (v != NULL && auth_string_check(v, keys[3 + i],
		    USER_TEXT_MAX, 0, reason, len) == 0)
			names[i] = json_string_value(v);
	}
	return reason[0] != '\0' ? -1 : 0;
}

/*
 * POST /users/register {email, password, verification_url, first_name,
 * last_name}, when register is on.  The body's faults and a
 * verification_url off register-url-allow are answered at once (400),
 * as is registration being off (403).  Past those, every answer waits
 * for the login stall: an address register-email refuses (403), and
 * 204 for a new or a known address alike (keyd tells them apart, and
 * mails either).
 */
void
auth_register(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	const struct tokend_config	*conf = s->conf;
	struct auth_ctx			*c;
	struct msg_register		*m;
	struct frame_buf		 fb;
	json_t				*body, *email, *url;
	const char			*value[2];
	char				 link[MAIL_URL_MAX + 1];
	char				 ip[INET6_ADDRSTRLEN];

	if ((c = auth_ctx_new(s, req)) == NULL)
		return;
	c->no_content = 1;
	if ((body = auth_body(req)) == NULL) {
		auth_ctx_free(c);
		return;
	}
	email = json_object_get(body, "email");
	url = json_object_get(body, "verification_url");
	(void)auth_register_check(body, value, c->reason, sizeof(c->reason));
	/* The URL is checked even when it would not be used. */
	if (c->reason[0] == '\0' && ((url != NULL &&
	    url_allowed(conf->register_url_allow, json_string_value(url),
	    NULL, link, sizeof(link)) == -1) || (conf->register_verify &&
	    config_register_link(conf, url != NULL ? json_string_value(url) :
	    NULL, link, sizeof(link)) == -1)))
		(void)snprintf(c->reason, sizeof(c->reason), "URL \"%.*s\" "
		    "can't be used to verify registered users", url != NULL ?
		    auth_quote_len(json_string_value(url), 300) : 0,
		    url != NULL ? json_string_value(url) : "");
	if (c->reason[0] != '\0' || !conf->register_on) {
		if (c->reason[0] != '\0')
			auth_payload_error(req, c->reason);
		else
			auth_error(req, AUTH_FORBIDDEN);
		json_decref(body);
		auth_ctx_free(c);
		return;
	}
	if (!email_allowed(conf->register_email, json_string_value(email))) {
		c->code = AUTH_FORBIDDEN;
		json_decref(body);
		auth_stall(c);
		return;
	}
	/* Two names of USER_TEXT_MAX: not on the stack. */
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("calloc");
	m->email = json_string_value(email);
	m->password = (const uint8_t *)json_string_value(json_object_get(body,
	    "password"));
	m->password_len = json_string_length(json_object_get(body,
	    "password"));
	m->url = url != NULL ? json_string_value(url) : "";
	m->first_name = value[0];
	m->last_name = value[1];
	auth_client_set(req, &m->client, ip, sizeof(ip));
	if (msg_write(&fb, MSG_REGISTER, m) == -1) {
		c->code = AUTH_INTERNAL;
		auth_stall(c);
	} else
		(void)server_keyd_request(s, req, MSG_REGISTER, fb.data,
		    fb.len, AUTH_HASH_WAIT_MS, auth_stalled_done, c);
	if (fb.data != NULL)
		explicit_bzero(fb.data, fb.len);
	free(m);
	json_decref(body);
	frame_buf_free(&fb);
}

/*
 * GET /users/register/verify-email?token=...: keyd checks the
 * registration's token and makes the user "active"; 204, where Directus
 * redirects to its admin app, which tokend does not serve.  The token is
 * the only parameter.
 */
void
auth_register_verify(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*query = uri != NULL ? evhttp_uri_get_query(uri) :
				    NULL;
	struct evkeyvalq	 params;
	struct evkeyval		*kv;
	struct msg_mail_token	 m;
	struct frame_buf	 fb;
	const char		*token = NULL;
	char			 msg[160], ip[INET6_ADDRSTRLEN];

	TAILQ_INIT(&params);
	if (query != NULL && evhttp_parse_query_str(query, &params) == -1) {
		http_error(req, 400, "INVALID_QUERY", "Invalid query.");
		return;
	}
	msg[0] = '\0';
	TAILQ_FOREACH(kv, &params, next) {
		if (strcmp(kv->key, "token") != 0)
			(void)snprintf(msg, sizeof(msg), "Invalid query. "
			    "\"%.64s\" is not a parameter of this route.",
			    kv->key);
		else if (token != NULL)
			(void)strlcpy(msg, "Invalid query. \"token\" is given "
			    "more than once.", sizeof(msg));
		else
			token = kv->value;
		if (msg[0] != '\0')
			break;
	}
	if (msg[0] != '\0')
		http_error(req, 400, "INVALID_QUERY", msg);
	else if (token == NULL || token[0] == '\0' ||
	    strlen(token) > AUTH_TOKEN_MAX)
		auth_error(req, AUTH_INVALID_TOKEN);
	else {
		m.kind = MAIL_VERIFY;
		m.token = token;
		m.password = NULL;
		m.password_len = 0;
		auth_client_set(req, &m.client, ip, sizeof(ip));
		if (msg_write(&fb, MSG_MAIL_TOKEN, &m) == -1)
			auth_error(req, AUTH_INTERNAL);
		else
			(void)server_keyd_request(s, req, MSG_MAIL_TOKEN,
			    fb.data, fb.len, 0, users_done, NULL);
		frame_buf_free(&fb);
	}
	evhttp_clear_headers(&params);
}

/*
 * MSG_DONE for a reset request or a registration, answered after the
 * login stall; a reset request is 204 whatever keyd said (c->login).
 */
static void
auth_stalled_done(struct pending *p, struct frame *f)
{
	struct auth_ctx	*c = p->arg;
	struct msg_done	 m;

	c->code = AUTH_UNAVAILABLE;
	if (f != NULL && f->hdr.type == MSG_DONE)
		c->code = msg_read(f, MSG_DONE, &m) == -1 ||
		    m.code >= AUTH_CODE_MAX ? AUTH_INTERNAL : m.code;
	if (c->login)
		c->code = AUTH_OK;
	auth_stall(c);
}

/*
 * The request's token, not parsed yet: as auth_token(), but a malformed
 * JWT is found too.
 */
static int
auth_token_find(struct server *s, struct evhttp_request *req,
    const char *query, struct token_ref **tokp)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*auth[AUTH_HEADERS_MAX];
	const char		*cookies[AUTH_HEADERS_MAX];
	struct token_ref	*tok;
	enum token_status	 st;
	size_t			 na, nc;
	int			 rv = -1;

	*tokp = NULL;
	na = auth_headers(req, "Authorization", auth);
	nc = auth_headers(req, "Cookie", cookies);
	if ((tok = malloc(sizeof(*tok))) == NULL) {
		auth_error(req, AUTH_INTERNAL);
		return -1;
	}
	if (query == NULL && uri != NULL)
		query = evhttp_uri_get_query(uri);
	st = token_extract(query, auth, na, cookies, nc,
	    s->conf->session_cookie, tok);
	if (st == TOKEN_CONFLICT)
		auth_payload_error(req, "The request uses more than one "
		    "method for including an access token");
	else if (st == TOKEN_TOO_LONG)
		auth_error(req, AUTH_INVALID_CREDENTIALS);
	else if (tok->source == TOKEN_NONE)
		rv = 0;
	else {
		*tokp = tok;
		return 1;
	}
	auth_token_free(tok);
	return rv;
}

/*
 * Does the request carry one well-formed credential: in its headers or
 * its own query, or, when it carries none itself, in *query (forward
 * auth: the query of the URI asked for; NULL: none)?  AUTH_OK, or the
 * code of the refusal that auth_authenticate_query would answer,
 * without answering: forward auth answers every refusal its own way.
 * *query is then the query to give auth_authenticate_query (the
 * request's own when it carries a credential itself).  With AUTH_OK,
 * *entry is the worker's cache entry of the credential when it holds
 * the user's names (cache_find_names), else NULL.
 */
uint32_t
auth_token_check(struct server *s, struct evhttp_request *req,
    const char **query, const struct cache_entry **entry)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*auth[AUTH_HEADERS_MAX];
	const char		*cookies[AUTH_HEADERS_MAX];
	const char		*own;
	struct token_ref	*tok;
	struct jwt		 jwt;
	enum token_status	 st;
	uint8_t			 key[CACHE_KEY_LEN];
	size_t			 na, nc;
	uint32_t		 code = AUTH_OK;

	*entry = NULL;
	own = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	na = auth_headers(req, "Authorization", auth);
	nc = auth_headers(req, "Cookie", cookies);
	if ((tok = malloc(sizeof(*tok))) == NULL)
		return AUTH_INTERNAL;
	st = token_extract(own, auth, na, cookies, nc,
	    s->conf->session_cookie, tok);
	/* None of its own (auth_has_credential): the forwarded query's. */
	if (st == TOKEN_OK && tok->source == TOKEN_NONE && *query != NULL)
		st = token_extract(*query, auth, na, cookies, nc,
		    s->conf->session_cookie, tok);
	else
		*query = own;
	if (st != TOKEN_OK || tok->source == TOKEN_NONE)
		code = AUTH_INVALID_CREDENTIALS;
	else if (jwt_parse_keys(tok->value, tok->len, &s->keys, &jwt) ==
	    JWT_MALFORMED)
		code = AUTH_INVALID_TOKEN;
	else {
		cache_key(tok->value, tok->len, key);
		*entry = cache_find_names(s, key);
	}
	auth_token_free(tok);
	return code;
}

/*
 * The request's token: 1 found (tok set; jwt parsed when it is a JWT),
 * 0 none (the public role), -1 when the request was answered already: a
 * conflict, a token too long, a malformed JWT, no memory.  *tok is
 * malloc'd when 1 is returned; auth_token_free() wipes it.
 */
int
auth_token(struct server *s, struct evhttp_request *req,
    struct token_ref **tokp, struct jwt *jwt)
{
	int	 rv;

	if ((rv = auth_token_find(s, req, NULL, tokp)) != 1)
		return rv;
	if (jwt_parse_keys((*tokp)->value, (*tokp)->len, &s->keys,
	    jwt) != JWT_MALFORMED)
		return 1;
	auth_error(req, AUTH_INVALID_TOKEN);
	auth_token_free(*tokp);
	*tokp = NULL;
	return -1;
}

void
auth_token_free(struct token_ref *tok)
{
	if (tok == NULL)
		return;
	explicit_bzero(tok, sizeof(*tok));
	free(tok);
}

/*
 * A credential as keyd reads it (MSG_SUB_CRED).  For a JWT, a is the
 * signing input and b the MAC; for a static token, a is the token; tok
 * NULL is CRED_NONE, the public role.  c points into tok and jwt.
 */
void
auth_credential_set(struct msg_cred *c, const struct token_ref *tok,
    const struct jwt *jwt)
{
	c->b = NULL;
	c->b_len = 0;
	if (tok == NULL) {
		c->kind = CRED_NONE;
		c->a = NULL;
		c->a_len = 0;
	} else if (jwt->signing_len > 0) {
		c->kind = CRED_JWT;
		c->a = (const uint8_t *)tok->value;
		c->a_len = jwt->signing_len;
		c->b = jwt->mac;
		c->b_len = jwt->mac_len;
	} else {
		c->kind = CRED_STATIC;
		c->a = (const uint8_t *)tok->value;
		c->a_len = tok->len;
	}
}

/*
 * A request keyd answered before for this credential (MSG_AUTH, or
 * MSG_USER_GET when the user's JSON is kept too): done() runs at once
 * with the answer keyd would give.  -1 when the cache cannot answer;
 * key is the token's cache key either way.
 */
static int
auth_cached(struct server *s, struct evhttp_request *req, uint32_t type,
    const struct token_ref *tok, uint8_t *key,
    void (*done)(struct pending *, struct frame *), void *arg)
{
	const struct cache_entry	*e;
	struct pending			 p;
	struct frame_buf		 fb;
	struct frame			 f;

	cache_key(tok->value, tok->len, key);
	if ((e = cache_find(s, key)) == NULL ||
	    cache_answer(e, type, &fb, &f.hdr.type) == -1)
		return -1;
	if (fb.failed) {
		frame_buf_free(&fb);
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.req = req;
	p.arg = arg;
	f.hdr.len = fb.len;
	f.hdr.id = 0;
	f.hdr.pid = 0;
	f.data = fb.data;
	done(&p, &f);
	frame_buf_free(&fb);
	return 0;
}

/*
 * Who is asking: the request's credential goes to keyd, which checks it
 * itself, with the request type and an optional blob; timeout_ms 0 is
 * the configured keyd timeout.  done() runs with keyd's answer (or NULL
 * when keyd is unreachable).  MSG_AUTH and MSG_USER_GET may be answered
 * from the worker's cache of keyd's earlier answers (cache.c), before
 * the token is even parsed: the same bytes always parse the same way.
 * For MSG_USER_GET, extra (when not NULL) is a uint32_t of USER_NEST_*
 * flags: a request with one goes to keyd, and its answer is not kept.
 * Returns -1 when the request was answered already: no token, a
 * conflict, a malformed JWT.
 */
int
auth_authenticate(struct server *s, struct evhttp_request *req,
    uint32_t type, const void *extra, size_t extralen, int timeout_ms,
    void (*done)(struct pending *, struct frame *), void *arg)
{
	return auth_authenticate_query(s, req, NULL, type, extra, extralen,
	    timeout_ms, done, arg);
}

/*
 * auth_authenticate, with the access_token parameter read from query
 * (NULL: the request's own query): forward auth reads the one of the
 * URI the proxy was asked for.
 */
int
auth_authenticate_query(struct server *s, struct evhttp_request *req,
    const char *query, uint32_t type, const void *extra, size_t extralen,
    int timeout_ms, void (*done)(struct pending *, struct frame *),
    void *arg)
{
	struct token_ref	*tok;
	struct msg_auth		 auth;
	struct msg_user_get	 get;
	struct msg_user_update	 update;
	struct msg_user_password password;
	struct frame_buf	 fb;
	struct pending		*p;
	struct jwt		 jwt;
	uint8_t			 key[CACHE_KEY_LEN];
	char			 ip[INET6_ADDRSTRLEN];
	uint32_t		 nest;
	int			 rv, cacheable, failed;

	if ((rv = auth_token_find(s, req, query, &tok)) != 1) {
		if (rv == 0)
			auth_error(req, AUTH_INVALID_CREDENTIALS);
		return -1;
	}
	/* A nested answer is the request's alone: never kept nor reused. */
	nest = type == MSG_USER_GET && extra != NULL ?
	    *(const uint32_t *)extra : 0;
	cacheable = type == MSG_AUTH || (type == MSG_USER_GET && nest == 0);
	if (cacheable && auth_cached(s, req, type, tok, key, done, arg) == 0) {
		auth_token_free(tok);
		return 0;
	}
	if (jwt_parse_keys(tok->value, tok->len, &s->keys, &jwt) ==
	    JWT_MALFORMED) {
		auth_error(req, AUTH_INVALID_TOKEN);
		auth_token_free(tok);
		return -1;
	}
	/* A credential; MSG_USER_UPDATE and MSG_USER_PASSWORD add a body. */
	if (type == MSG_USER_UPDATE) {
		auth_credential_set(&update.cred, tok, &jwt);
		update.patch = extra;
		update.patch_len = extralen;
		auth_client_set(req, &update.client, ip, sizeof(ip));
		failed = msg_write(&fb, type, &update);
	} else if (type == MSG_USER_PASSWORD) {
		auth_credential_set(&password.cred, tok, &jwt);
		password.body = extra;
		password.body_len = extralen;
		auth_client_set(req, &password.client, ip, sizeof(ip));
		failed = msg_write(&fb, type, &password);
	} else if (type == MSG_USER_GET) {
		auth_credential_set(&get.cred, tok, &jwt);
		get.nest = nest;
		auth_client_set(req, &get.client, ip, sizeof(ip));
		failed = msg_write(&fb, type, &get);
	} else {
		auth_credential_set(&auth.cred, tok, &jwt);
		failed = msg_write(&fb, type, &auth);
	}
	auth_token_free(tok);
	rv = -1;
	if (failed == -1)
		auth_payload_error(req, "Body too large");
	else {
		p = server_keyd_request(s, req, type, fb.data, fb.len,
		    timeout_ms, done, arg);
		if (p != NULL && cacheable) {
			p->cacheable = 1;
			memcpy(p->key, key, sizeof(p->key));
		}
		rv = 0;
	}
	frame_buf_free(&fb);
	return rv;
}

/*
 * Does the request carry a credential (or several, which is an error
 * too)?  Without one it acts as the public role; with a bad one it is
 * refused, never downgraded to public.
 */
int
auth_has_credential(struct server *s, struct evhttp_request *req)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*auth[AUTH_HEADERS_MAX];
	const char		*cookies[AUTH_HEADERS_MAX];
	struct token_ref	*tok;
	enum token_status	 st;
	size_t			 na, nc;
	int			 has;

	na = auth_headers(req, "Authorization", auth);
	nc = auth_headers(req, "Cookie", cookies);
	if ((tok = malloc(sizeof(*tok))) == NULL)
		return 1;	/* auth_authenticate answers the error */
	st = token_extract(uri != NULL ? evhttp_uri_get_query(uri) : NULL,
	    auth, na, cookies, nc, s->conf->session_cookie, tok);
	has = st != TOKEN_OK || tok->source != TOKEN_NONE;
	explicit_bzero(tok, sizeof(*tok));
	free(tok);
	return has;
}

/*
 * Is a cookie of that name set, to a value or twice?  The value is not
 * copied: a one-byte buffer makes token_cookie answer -3 for any value.
 */
static int
auth_cookie_present(const char *const *cookies, size_t n, const char *name)
{
	char	 none[1];
	size_t	 len;
	int	 rv;

	rv = token_cookie(cookies, n, name, none, sizeof(none), &len);
	return rv == -3 || rv == -2;
}

/*
 * Does the request lean on a cookie, the one credential a browser adds
 * by itself to a request another site makes it send?  Yes when the
 * session cookie is its access token (no Authorization header, no
 * access_token: a cross-site request cannot add the header, and a
 * cookie with access_token is refused as a conflict).  On a route that
 * takes the refresh token from its cookie (refresh), whatever else the
 * request carries, the refresh or the session cookie is enough: those
 * routes read it even next to a bearer token.
 */
int
auth_cookie_credential(struct server *s, struct evhttp_request *req,
    int refresh)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*auth[AUTH_HEADERS_MAX];
	const char		*cookies[AUTH_HEADERS_MAX];
	size_t			 na, nc;
	struct token_ref	*tok;
	enum token_status	 st;
	int			 rv;

	na = auth_headers(req, "Authorization", auth);
	nc = auth_headers(req, "Cookie", cookies);
	if (nc == 0)
		return 0;
	if (refresh &&
	    (auth_cookie_present(cookies, nc, s->conf->refresh_cookie) ||
	    auth_cookie_present(cookies, nc, s->conf->session_cookie)))
		return 1;
	if ((tok = malloc(sizeof(*tok))) == NULL)
		return 1;	/* checked, as if it were */
	st = token_extract(uri != NULL ? evhttp_uri_get_query(uri) : NULL,
	    auth, na, cookies, nc, s->conf->session_cookie, tok);
	rv = st == TOKEN_OK && tok->source == TOKEN_COOKIE;
	explicit_bzero(tok, sizeof(*tok));
	free(tok);
	return rv;
}

/*
 * GET and PATCH /users/me: one round trip to keyd, which checks the
 * credential and reads (or updates, then reads) the user.
 */
void
auth_me(struct server *s, struct evhttp_request *req, const char *rest)
{
	struct auth_ctx		*c;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	struct evbuffer		*body = evhttp_request_get_input_buffer(req);
	const char		*q;
	size_t			 len;
	uint32_t		 nest;
	int			 rv;

	if ((c = auth_ctx_new(s, req)) == NULL)
		return;
	q = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	if (token_query_param(q, "fields", c->fields, sizeof(c->fields),
	    &len) < -1) {
		http_error(req, 400, "INVALID_QUERY",
		    "Invalid query. \"fields\" is invalid.");
		auth_ctx_free(c);
		return;
	}
	if (auth_me_fields(req, c->fields, &nest) == -1) {
		auth_ctx_free(c);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && nest != 0) {
		http_error(req, 400, "INVALID_QUERY", "Invalid query. "
		    "\"policies.*\" and \"role.users\" are answered by "
		    "GET /users/me, not by PATCH.");
		auth_ctx_free(c);
		return;
	}
	if (cmd == EVHTTP_REQ_GET)
		rv = auth_authenticate(c->s, req, MSG_USER_GET, &nest,
		    sizeof(nest), 0, auth_me_done, c);
	else
		/* A new password waits for the hashing pool, as a login. */
		rv = auth_authenticate(c->s, req, MSG_USER_UPDATE,
		    evbuffer_pullup(body, -1), evbuffer_get_length(body),
		    AUTH_HASH_WAIT_MS, auth_me_done, c);

	if (rv == -1)
		auth_ctx_free(c);
}

/*
 * POST /users/me/password {"password_current", "password"}, tokend's
 * extension: keyd checks the current password, then changes it as
 * PATCH /users/me does; 204.  Both passwords wait for the hashing pool.
 */
void
auth_me_password(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	struct evbuffer	*body = evhttp_request_get_input_buffer(req);
	struct auth_ctx	*c;

	if ((c = auth_ctx_new(s, req)) == NULL)
		return;
	c->no_content = 1;
	if (auth_authenticate(s, req, MSG_USER_PASSWORD,
	    evbuffer_pullup(body, -1), evbuffer_get_length(body),
	    2 * AUTH_HASH_WAIT_MS, auth_me_done, c) == -1)
		auth_ctx_free(c);
}

/*
 * PATCH /users/me/track/page {"last_page": page}: sets the user's
 * last_page as PATCH /users/me would, and answers 204, as Directus
 * does.  A missing or empty page (any false value in Directus) is
 * refused in Directus's words; where Directus would store any other
 * value as text, tokend takes a string only.  keyd bounds it as every
 * other value of the field (user_schema.c).
 */
void
auth_track_page(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	struct auth_ctx	*c;
	json_t		*body, *page, *patch;
	char		*text;
	int		 rv;

	if (!auth_has_credential(s, req)) {
		auth_error(req, AUTH_INVALID_CREDENTIALS);
		return;
	}
	if ((body = auth_body(req)) == NULL)
		return;
	page = json_object_get(body, "last_page");
	if (page == NULL || json_is_null(page) || json_is_false(page) ||
	    (json_is_string(page) && json_string_length(page) == 0) ||
	    (json_is_number(page) && json_number_value(page) == 0)) {
		auth_payload_error(req, "\"last_page\" key is required");
		json_decref(body);
		return;
	}
	if (!json_is_string(page)) {
		auth_payload_error(req, "\"last_page\" must be a string");
		json_decref(body);
		return;
	}
	patch = json_pack("{s:O}", "last_page", page);
	json_decref(body);
	text = patch != NULL ? json_dumps(patch, JSON_COMPACT) : NULL;
	json_decref(patch);
	if (text == NULL) {
		auth_error(req, AUTH_INTERNAL);
		return;
	}
	if ((c = auth_ctx_new(s, req)) == NULL) {
		free(text);
		return;
	}
	c->no_content = 1;
	rv = auth_authenticate(s, req, MSG_USER_UPDATE, text, strlen(text), 0,
	    auth_me_done, c);
	free(text);
	if (rv == -1)
		auth_ctx_free(c);
}

/*
 * The relational fields of /users/me: "role.name" and "role.*", the
 * caller's own role from tokend.conf with its policies (its access
 * rows) and its users; "policies.*", the caller's access rows, and
 * "policies.policy.*", their policies.  *nest is what keyd must add
 * (USER_NEST_*).  0, or -1 with the error sent.
 */
static int
auth_me_fields(struct evhttp_request *req, const char *fields,
    uint32_t *nest)
{
	struct query		 q;
	const struct query_rel	*r;
	const char		*bad = NULL, *in = NULL;
	char			 reason[QUERY_REASON_MAX], msg[320];
	size_t			 i, k;
	int			 status = 0, role;

	*nest = 0;
	memset(&q, 0, sizeof(q));
	if (query_fields_parse(&q, fields, reason, sizeof(reason)) == -1) {
		(void)snprintf(msg, sizeof(msg), "Invalid query. %s.", reason);
		http_error(req, 400, "INVALID_QUERY", msg);
		return -1;
	}
	for (i = 0; status == 0 && i < q.nrels; i++) {
		r = &q.rels[i];
		role = strcmp(r->field, "role") == 0;
		if (!role && strcmp(r->field, "policies") != 0) {
			status = 400;
			(void)snprintf(msg, sizeof(msg), "Invalid query. "
			    "\"%s\" is not a relation of collection "
			    "\"directus_users\".", r->field);
			break;
		}
		if (r->deep[0] != '\0' && (role ||
		    strcmp(r->deep, "policy") != 0)) {
			status = 400;
			(void)snprintf(msg, sizeof(msg), "Invalid query. "
			    "\"fields\" reaches one relation deep at most "
			    "(\"%s.%s\").", r->field, r->deep);
			break;
		}
		if (role)
			*nest |= r->sub.all ||
			    config_fields_has(&r->sub, "users") ?
			    USER_NEST_ROLE_USERS : 0;
		else
			*nest |= USER_NEST_POLICIES;
		for (k = 0; bad == NULL && k < r->sub.n; k++)
			if (role ? !config_role_field(r->sub.names[k]) &&
			    strcmp(r->sub.names[k], "policies") != 0 &&
			    strcmp(r->sub.names[k], "users") != 0 :
			    !config_access_field(r->sub.names[k])) {
				bad = r->sub.names[k];
				in = role ? "directus_roles" :
				    "directus_access";
			}
		for (k = 0; bad == NULL && k < r->deep_sub.n; k++)
			if (!access_policy_field(r->deep_sub.names[k])) {
				bad = r->deep_sub.names[k];
				in = "directus_policies";
			}
		if (bad != NULL) {
			status = 403;
			(void)snprintf(msg, sizeof(msg), "You don't have "
			    "permission to access field \"%s\" in collection "
			    "\"%s\" or it does not exist. Queried in \"%s\".",
			    bad, in, r->field);
		}
	}
	query_fields_free(&q);
	if (status != 0)
		http_error(req, status, status == 400 ? "INVALID_QUERY" :
		    "FORBIDDEN", msg);
	return status == 0 ? 0 : -1;
}

/* Keep the members of o that f lists (and keep, when not NULL). */
static void
auth_cut_object(json_t *o, const struct conf_fields *f, const char *keep)
{
	const char	*key;
	json_t		*v;
	void		*tmp;

	if (f->all || !json_is_object(o))
		return;
	json_object_foreach_safe(o, tmp, key, v)
		if (!config_fields_has(f, key) &&
		    (keep == NULL || strcmp(key, keep) != 0))
			json_object_del(o, key);
}

/*
 * The caller's role as "role.*" shows it: its policies (access rows)
 * to an administrator only, its children to who may read roles, and
 * its users, those keyd listed (role_users); as Directus 11.3.5
 * answers.
 */
static json_t *
auth_me_role(const char *id, const struct conf_fields *sub,
    const struct auth_result *ar, json_t *users, struct evhttp_request *req)
{
	const struct tokend_config	*conf = server_conf();
	struct perm_hold		 hold = { NULL };
	struct perm_who			 who = { ar->user, ar->role,
					    ar->admin, ar->policies, NULL,
					    &hold };
	struct cidr			 ip;
	json_t				*v, *pol;
	int				 admin, app, tfa;

	if ((v = config_role_json(conf, id, NULL)) == NULL)
		return json_null();
	/*
	 * keyd's admin flag leaves out the policies with ip-allow: those
	 * that let the request's address in count too (Directus 11.3.5
	 * fetches a request's policies with its ip).
	 */
	if (http_client(req, &ip) != -1) {
		who.addr = &ip;
		perm_flags(conf, &who, &admin, &app, &tfa);
		who.admin |= admin;
	}
	if (who.admin && (pol = config_role_access_ids(conf, id)) != NULL)
		(void)json_object_set_new(v, "policies", pol);
	/* Its children are other roles: shown to who may read roles. */
	if (perm_lookup(conf, &who, "directus_roles", PERM_READ) == NULL)
		(void)json_object_set_new(v, "children", json_array());
	perm_hold_free(&hold);
	(void)json_object_set(v, "users", json_is_array(users) ? users :
	    json_array());
	auth_cut_object(v, sub, NULL);
	return v;
}

/*
 * The access rows keyd nested in "policies", cut to the fields asked,
 * each "policy" in full as GET /policies shows it when asked.
 */
static void
auth_me_policies(json_t *rows, const struct query_rel *r)
{
	const struct tokend_config	*conf = server_conf();
	const char			*id;
	json_t				*row, *p;
	size_t				 i;

	json_array_foreach(rows, i, row) {
		if (r->deep[0] != '\0' && (id = json_string_value(
		    json_object_get(row, "policy"))) != NULL) {
			p = access_policy_json(conf, id);
			if (p != NULL)
				auth_cut_object(p, &r->deep_sub, NULL);
			(void)json_object_set_new(row, "policy", p != NULL ?
			    p : json_null());
		}
		auth_cut_object(row, &r->sub, r->deep[0] != '\0' ?
		    r->deep : NULL);
	}
}

/*
 * /users/me's fields of the user: the top-level ones asked for, and
 * the relations nested as auth_me_fields() allowed them; keyd's
 * role_users never goes out.
 */
static void
auth_me_cut(json_t *user, const char *fields, const struct auth_result *ar,
    struct evhttp_request *req)
{
	struct query	 q;
	const char	*key;
	json_t		*v, *users;
	void		*tmp;
	char		 reason[QUERY_REASON_MAX];
	size_t		 i;

	memset(&q, 0, sizeof(q));
	users = json_incref(json_object_get(user, "role_users"));
	(void)json_object_del(user, "role_users");
	if (query_fields_parse(&q, fields, reason, sizeof(reason)) == -1) {
		json_decref(users);
		return;		/* checked by auth_me_fields() */
	}
	json_object_foreach_safe(user, tmp, key, v) {
		for (i = 0; i < q.nrels; i++)
			if (strcmp(q.rels[i].field, key) == 0)
				break;
		if (!q.fields.all && i == q.nrels &&
		    !config_fields_has(&q.fields, key))
			json_object_del(user, key);
	}
	for (i = 0; i < q.nrels; i++) {
		v = json_object_get(user, q.rels[i].field);
		if (strcmp(q.rels[i].field, "policies") == 0) {
			if (json_is_array(v))
				auth_me_policies(v, &q.rels[i]);
		} else if (json_is_string(v))
			(void)json_object_set_new(user, "role", auth_me_role(
			    json_string_value(v), &q.rels[i].sub, ar, users,
			    req));
	}
	json_decref(users);
	query_fields_free(&q);
}

/* Is key one of the comma-separated names of fields? */
static int
auth_field_listed(const char *fields, const char *key, size_t klen)
{
	const char	*p = fields, *comma;
	size_t		 n;

	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if ((n == klen && strncmp(p, key, klen) == 0) ||
		    (n == 1 && *p == '*'))
			return 1;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* Keep only the requested top-level fields ("*" or absent: all). */
void
auth_fields(json_t *user, const char *fields)
{
	const char	*key;
	json_t		*v;
	void		*tmp;
	size_t		 klen;

	if (fields[0] == '\0' || strcmp(fields, "*") == 0)
		return;
	json_object_foreach_safe(user, tmp, key, v) {
		klen = strlen(key);
		if (!auth_field_listed(fields, key, klen))
			json_object_del(user, key);
	}
}

/*
 * MSG_USER, from keyd or from the cache.  Without a field list keyd's
 * JSON goes out as it is; with one, it is parsed and cut down.
 */
static void
auth_me_done(struct pending *p, struct frame *f)
{
	struct auth_ctx		*c = p->arg;
	struct auth_result	 ar;
	const uint8_t		*json;
	size_t			 len;
	uint32_t		 code = AUTH_UNAVAILABLE;
	json_t			*user = NULL;
	char			*text = NULL;
	int			 all = c->fields[0] == '\0' ||
				    strcmp(c->fields, "*") == 0;

	if (f != NULL && (code = auth_user_read(f, &ar, &json, &len) == -1 ?
	    AUTH_INTERNAL : ar.code) == AUTH_OK && c->no_content) {
		http_reply(c->req, 204, "No Content");
		auth_ctx_free(c);
		return;
	}
	if (code == AUTH_OK && all) {
		http_json_data(c->req, json, len);
		auth_ctx_free(c);
		return;
	}
	if (code == AUTH_OK &&
	    (user = json_loadb((const char *)json, len, 0, NULL)) == NULL)
		code = AUTH_INTERNAL;
	else if (code == AUTH_INVALID_PAYLOAD && len > 0 && len < 128) {
		(void)snprintf(c->reason, sizeof(c->reason), "%.*s",
		    (int)len, (const char *)json);
		auth_payload_error(c->req, c->reason);
		auth_ctx_free(c);
		return;
	}
	if (user != NULL) {
		auth_me_cut(user, c->fields, &ar, c->req);
		text = http_data_dumps(user);
	}
	if (text != NULL)
		http_json(c->req, 200, text);
	else
		auth_error(c->req, code == AUTH_OK ? AUTH_INTERNAL : code);
	free(text);
	auth_ctx_free(c);
}
