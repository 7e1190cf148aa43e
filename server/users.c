/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The worker's side of the user administration API: /users,
 * /users/<id>, /roles and /permissions.
 *
 * Users live only in keyd's credential database, so /users is a relay:
 * the worker extracts the request's credential the way /users/me does,
 * bounds the query parameters and the body, and hands them to keyd,
 * which checks the credential and the permissions itself and answers
 * with the JSON to send.  Roles and permissions come from tokend.conf:
 * the worker shows them to administrators (keyd says who is one) and
 * refuses every write.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "jwt.h"
#include "log.h"
#include "proto.h"
#include "query.h"
#include "token.h"
#include "tokend.h"

#define USERS_WAIT_MS		30000	/* a new password queues for hashing */
#define USERS_NAME_MAX		64	/* bytes of a parameter name looked at */
#define USERS_FIELDS_MAX	1024	/* bytes of ?fields on /roles */

enum users_conf_kind {
	USERS_ROLES,
	USERS_PERMISSIONS,
};

/* A GET /roles or /permissions waiting for keyd to say who asks. */
struct users_conf_ctx {
	enum users_conf_kind	 kind;
	char			 id[AUTH_ID_LEN + 1];	/* "" for the list */
	char			 fields[USERS_FIELDS_MAX];
};

static const char *const users_param_names[USERS_NPARAMS] = {
	"fields", "filter", "sort", "limit", "offset", "page", "meta",
	"search",
};
#define USERS_SEARCH_PARAM	7	/* not a parameter of /activity */

static int	 users_op(struct evhttp_request *, const char *);
static void	 users_forward(struct server *, struct evhttp_request *, int,
		    const char *);
static size_t	 users_decode(const char *, size_t, char *);
static const char *users_params(const char *, char **, char *, size_t);
static void	 users_params_free(char **);
static const char *users_params_body(struct evhttp_request *, char **,
		    char *, size_t);
static int	 users_param_refused(const char *, char *, size_t);
static int	 users_params_known(const char *, char *, size_t);
static void	 users_send(struct server *, struct evhttp_request *, int,
		    const char *, char **);
static void	 users_tfa(struct server *, struct evhttp_request *, uint32_t,
		    const char *);
static void	 users_conf(struct server *, struct evhttp_request *,
		    enum users_conf_kind, const char *);
static void	 users_conf_done(struct pending *, struct frame *);
static json_t	*users_roles(const struct tokend_config *, const char *);
static json_t	*users_role(const char *, const char *, int, int, int);
static json_t	*users_permissions(const struct tokend_config *,
		    const char *);
static int	 users_permission_add(json_t *, const struct conf_permission *,
		    const char *, long long *, long long);
static json_t	*users_json_text(const char *);

/*
 * The operation of a method on /users (or /users/<id>), or -1.  The
 * route table admits POST only without an id.
 */
static int
users_op(struct evhttp_request *req, const char *id)
{
	if (http_is_search(req))
		return id[0] == '\0' ? USERS_READ : -1;
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD:
		return USERS_READ;
	case EVHTTP_REQ_POST:
		return id[0] == '\0' ? USERS_CREATE : -1;
	case EVHTTP_REQ_PATCH:
		return USERS_UPDATE;
	case EVHTTP_REQ_DELETE:
		return USERS_DELETE;
	default:
		return -1;
	}
}

/*
 * /users and /users/<id>: bound what the request carries, then let keyd
 * decide.  An id that cannot be a uuid's length cannot exist: 403, as
 * keyd would answer for any missing user.
 */
void
users_users(struct server *s, struct evhttp_request *req, const char *id)
{
	int	 op;

	if ((op = users_op(req, id)) == -1)
		http_not_found(req, s);
	else
		users_forward(s, req, op, id);
}

/*
 * GET /activity and /activity/<id>: keyd's audit trail, which keyd
 * shows to administrators only, with the query parameters of /users.
 */
void
users_activity(struct server *s, struct evhttp_request *req,
    const char *id)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	char			 msg[128];

	if (users_params_known(uri != NULL ? evhttp_uri_get_query(uri) :
	    NULL, msg, sizeof(msg)) == -1)
		http_error(req, 400, "INVALID_QUERY", msg);
	else
		users_forward(s, req, USERS_ACTIVITY, id);
}

/*
 * Every parameter of the query is one keyd reads (users_params()), or
 * the access token:
 * where Directus would search, aggregate or group the activity, tokend
 * says that it does not, rather than answer as if it had.  0, or -1
 * with the message.
 */
static int
users_params_known(const char *query, char *msg, size_t len)
{
	const char	*p, *amp, *eq;
	char		 name[USERS_NAME_MAX + 1];
	size_t		 seg, nlen, i, k;

	for (p = query; p != NULL && *p != '\0'; p = amp != NULL ?
	    amp + 1 : NULL) {
		amp = strchr(p, '&');
		seg = amp != NULL ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', seg);
		nlen = eq != NULL ? (size_t)(eq - p) : seg;
		if (nlen == 0)
			continue;
		(void)users_decode(p, nlen < USERS_NAME_MAX ? nlen :
		    USERS_NAME_MAX, name);
		for (i = 0; i < USERS_NPARAMS; i++) {
			k = strlen(users_param_names[i]);
			if (i != USERS_SEARCH_PARAM &&
			    strncmp(name, users_param_names[i], k) == 0 &&
			    (name[k] == '\0' || name[k] == '['))
				break;
		}
		/* The token may come as a parameter (tokend.8). */
		if (i < USERS_NPARAMS || strcmp(name, "access_token") == 0)
			continue;
		name[strcspn(name, "[")] = '\0';
		for (k = 0; name[k] != '\0'; k++)
			if (name[k] < 0x20 || name[k] >= 0x7f || name[k] == '"' ||
			    name[k] == '\\')
				name[k] = '?';
		(void)snprintf(msg, len, "Invalid query. \"%.32s\" is not a "
		    "parameter of /activity.", name);
		return -1;
	}
	return 0;
}

/*
 * POST /users/invite {email, role, invite_url}: keyd checks the body,
 * the caller's create permission and the URL, creates the users and
 * queues their mails.
 */
void
users_invite(struct server *s, struct evhttp_request *req, const char *rest)
{
	users_forward(s, req, USERS_INVITE, "");
}

static void
users_forward(struct server *s, struct evhttp_request *req, int op,
    const char *id)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	char			*values[USERS_NPARAMS];
	char			 msg[128];
	const char		*why;
	size_t			 i;

	if (strlen(id) > AUTH_ID_LEN) {
		auth_error(req, AUTH_FORBIDDEN);
		return;
	}
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
	    USERS_BODY_MAX) {
		http_error(req, 413, "INVALID_PAYLOAD",
		    "Invalid payload. Body too large.");
		return;
	}
	memset(values, 0, sizeof(values));
	if ((why = users_params(uri != NULL ? evhttp_uri_get_query(uri) :
	    NULL, values, msg, sizeof(msg))) == NULL && http_is_search(req)) {
		for (i = 0; i < USERS_NPARAMS && values[i] == NULL; i++)
			;
		why = i < USERS_NPARAMS ? "Invalid query. SEARCH takes its "
		    "query in the body." : users_params_body(req, values, msg,
		    sizeof(msg));
	}
	if (why != NULL) {
		http_error(req, 400, "INVALID_QUERY", why);
		users_params_free(values);
		return;
	}
	users_send(s, req, op, id, values);
	users_params_free(values);
}

/*
 * application/x-www-form-urlencoded, as Directus reads a query string:
 * '+' is a space and %XX one byte.  out has room for len + 1 bytes.
 */
static size_t
users_decode(const char *in, size_t len, char *out)
{
	size_t	 i, n = 0;
	char	 hex[3];

	for (i = 0; i < len; i++) {
		if (in[i] == '+')
			out[n++] = ' ';
		else if (in[i] == '%' && i + 2 < len &&
		    isxdigit((unsigned char)in[i + 1]) &&
		    isxdigit((unsigned char)in[i + 2])) {
			hex[0] = in[i + 1];
			hex[1] = in[i + 2];
			hex[2] = '\0';
			out[n++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else
			out[n++] = in[i];
	}
	out[n] = '\0';
	return n;
}

/*
 * The query parameters keyd reads, decoded: NULL, or why the query is
 * refused (a parameter given twice, too long, holding a NUL byte, or in
 * the bracket form that only qs understands).  Others are ignored, as
 * Directus ignores what it does not know.
 */
static const char *
users_params(const char *query, char **values, char *msg, size_t len)
{
	const char	*p, *amp, *eq, *why;
	char		 name[USERS_NAME_MAX + 1];
	size_t		 seg, nlen, vlen, i, k = 0, n;

	for (p = query; p != NULL && *p != '\0'; p = amp != NULL ?
	    amp + 1 : NULL) {
		amp = strchr(p, '&');
		seg = amp != NULL ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', seg);
		nlen = eq != NULL ? (size_t)(eq - p) : seg;
		(void)users_decode(p, nlen < USERS_NAME_MAX ? nlen :
		    USERS_NAME_MAX, name);
		for (i = 0; i < USERS_NPARAMS; i++) {
			k = strlen(users_param_names[i]);
			if (strncmp(name, users_param_names[i], k) == 0 &&
			    (name[k] == '\0' || name[k] == '['))
				break;
		}
		if (i == USERS_NPARAMS) {
			if (users_param_refused(name, msg, len) == -1)
				return msg;
			continue;
		}
		vlen = eq != NULL ? seg - nlen - 1 : 0;
		if (name[k] == '[')
			why = "must be one parameter, not in bracket form";
		else if (values[i] != NULL)
			why = "is given more than once";
		else if ((values[i] = malloc(vlen + 1)) == NULL)
			why = "cannot be read";
		else if ((n = users_decode(eq != NULL ? eq + 1 : "", vlen,
		    values[i])) > USERS_PARAM_MAX)
			why = "is too long";
		else if (strlen(values[i]) != n)
			why = "must not hold a NUL byte";
		else
			continue;
		(void)snprintf(msg, len, "Invalid query. \"%s\" %s.",
		    users_param_names[i], why);
		return msg;
	}
	return NULL;
}

/*
 * A parameter Directus knows that /users does not implement: 0, or -1
 * with the message that names it.  Directus aggregates users too;
 * tokend says that it does not rather than list them.
 */
static int
users_param_refused(const char *name, char *msg, size_t len)
{
	const char	*bad;
	size_t		 n = strcspn(name, "[");

	if ((bad = query_param_unsupported(name)) != NULL)
		(void)snprintf(msg, len, "Invalid query. \"%s\" is not "
		    "supported.", bad);
	else if ((n == 9 && strncmp(name, "aggregate", n) == 0) ||
	    (n == 7 && strncmp(name, "groupBy", n) == 0))
		(void)snprintf(msg, len, "Invalid query. \"%.*s\" is not "
		    "supported on /users.", (int)n, name);
	else
		return 0;
	return -1;
}

/*
 * SEARCH /users: the query in the body, {"query": {...}}, its values
 * as the query string would carry them (query_param_text()), within
 * the same bounds.  NULL, or why it is refused.
 */
static const char *
users_params_body(struct evhttp_request *req, char **values, char *msg,
    size_t len)
{
	struct evbuffer	*buf = evhttp_request_get_input_buffer(req);
	json_t		*body = NULL, *q, *v, *text;
	const char	*key, *why = NULL;
	char		 reason[QUERY_REASON_MAX];
	size_t		 i, n = evbuffer_get_length(buf);

	if (n > 0 && (body = json_loadb((const char *)evbuffer_pullup(buf,
	    -1), n, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return "Invalid payload. Invalid JSON.";
	if (body != NULL && (!json_is_object(body) ||
	    ((q = json_object_get(body, "query")) != NULL &&
	    !json_is_object(q)))) {
		json_decref(body);
		return "Invalid payload. SEARCH takes {\"query\": {...}}.";
	}
	q = json_object_get(body, "query");
	json_object_foreach(q, key, v) {
		if (users_param_refused(key, msg, len) == -1) {
			why = msg;
			break;
		}
		for (i = 0; i < USERS_NPARAMS; i++)
			if (strcmp(key, users_param_names[i]) == 0)
				break;
		if (i == USERS_NPARAMS)
			continue;
		if (query_param_text(key, v, reason, sizeof(reason),
		    &text) == 0 && text == NULL)
			continue;
		if (text == NULL || strlen(json_string_value(text)) !=
		    json_string_length(text) ||
		    (values[i] = strdup(json_string_value(text))) == NULL) {
			json_decref(text);
			(void)snprintf(msg, len, "Invalid query. \"%.32s\" is "
			    "invalid.", key);
			why = msg;
			break;
		}
		json_decref(text);
	}
	json_decref(body);
	return why;
}

static void
users_params_free(char **values)
{
	size_t	 i;

	for (i = 0; i < USERS_NPARAMS; i++) {
		free(values[i]);
		values[i] = NULL;
	}
}

/* MSG_USERS: the credential (or none), what is asked, the body. */
static void
users_send(struct server *s, struct evhttp_request *req, int op,
    const char *id, char **values)
{
	struct evbuffer		*body = evhttp_request_get_input_buffer(req);
	struct msg_users	*m;
	struct token_ref	*tok;
	struct frame_buf	 fb;
	struct jwt		 jwt;
	size_t			 i, len = 0;
	char			 ip[INET6_ADDRSTRLEN];

	if (auth_token(s, req, &tok, &jwt) == -1)
		return;
	if (op != USERS_READ && op != USERS_ACTIVITY)
		len = evbuffer_get_length(body);
	/* Its readers' buffers make it large: not on the stack. */
	if ((m = malloc(sizeof(*m))) == NULL)
		fatal("malloc");
	auth_credential_set(&m->cred, tok, &jwt);
	m->op = (uint32_t)op;
	m->target = id;
	for (i = 0; i < USERS_NPARAMS; i++) {
		m->params[i].given = values[i] != NULL;
		m->params[i].value = values[i];
	}
	m->body = len > 0 ? evbuffer_pullup(body, -1) : NULL;
	m->body_len = len;
	auth_client_set(req, &m->client, ip, sizeof(ip));
	(void)msg_write(&fb, MSG_USERS, m);
	auth_token_free(tok);
	free(m);
	if (fb.failed)
		http_error(req, 413, "INVALID_PAYLOAD",
		    "Invalid payload. Request too large.");
	else
		/* Creates and new passwords wait for the hashing pool. */
		(void)server_keyd_request(s, req, MSG_USERS, fb.data, fb.len,
		    op == USERS_READ || op == USERS_DELETE ||
		    op == USERS_ACTIVITY ? 0 : USERS_WAIT_MS,
		    users_done, NULL);
	frame_buf_free(&fb);
}

/*
 * MSG_USERS_RESULT: keyd's JSON as it is, 204 when empty, or an error
 * (also the answer of MSG_TFA and MSG_MAIL_TOKEN).
 */
void
users_done(struct pending *p, struct frame *f)
{
	struct msg_users_result	 m;
	uint32_t		 code = AUTH_UNAVAILABLE;

	msg_clear(MSG_USERS_RESULT, &m);
	if (f != NULL) {
		code = AUTH_INTERNAL;
		if (msg_read(f, MSG_USERS_RESULT, &m) == -1 ||
		    m.code >= AUTH_CODE_MAX)
			msg_clear(MSG_USERS_RESULT, &m);
		else
			code = m.code;
	}
	if (code != AUTH_OK)
		auth_error_message(p->req, code, m.message);
	else if (m.json_len == 0)
		evhttp_send_reply(p->req, 204, "No Content", NULL);
	else
		http_json_buf(p->req, 200, (const char *)m.json, m.json_len);
}

void
users_roles_read(struct server *s, struct evhttp_request *req,
    const char *id)
{
	users_conf(s, req, USERS_ROLES, id);
}

void
users_permissions_read(struct server *s, struct evhttp_request *req,
    const char *id)
{
	users_conf(s, req, USERS_PERMISSIONS, id);
}

/*
 * Writes are refused whoever asks: the configuration file is the only
 * place where roles and permissions are changed.
 */
void
users_conf_readonly(struct server *s, struct evhttp_request *req,
    const char *id)
{
	http_error(req, 403, "FORBIDDEN", "Roles and permissions are "
	    "read-only: they are set in tokend.conf.");
}

/*
 * GET /roles, /roles/<id>, /permissions, /permissions/<id>: the
 * configuration as Directus would show its tables, to administrators
 * only.  No token is the public role, which never sees them.
 */
static void
users_conf(struct server *s, struct evhttp_request *req,
    enum users_conf_kind kind, const char *id)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	struct users_conf_ctx	*c;
	struct msg_auth		 m;
	struct token_ref	*tok;
	struct frame_buf	 fb;
	struct jwt		 jwt;
	size_t			 len;
	int			 rv;

	if (strlen(id) > AUTH_ID_LEN) {
		auth_error(req, AUTH_FORBIDDEN);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		auth_error(req, AUTH_INTERNAL);
		return;
	}
	c->kind = kind;
	(void)strlcpy(c->id, id, sizeof(c->id));
	if (token_query_param(uri != NULL ? evhttp_uri_get_query(uri) :
	    NULL, "fields", c->fields, sizeof(c->fields), &len) < -1) {
		http_error(req, 400, "INVALID_QUERY",
		    "Invalid query. \"fields\" is invalid.");
		free(c);
		return;
	}
	if ((rv = auth_token(s, req, &tok, &jwt)) != 1) {
		if (rv == 0)
			auth_error(req, AUTH_FORBIDDEN);
		free(c);
		return;
	}
	auth_credential_set(&m.cred, tok, &jwt);
	(void)msg_write(&fb, MSG_AUTH, &m);
	auth_token_free(tok);
	(void)server_keyd_request(s, req, MSG_AUTH, fb.data, fb.len, 0,
	    users_conf_done, c);
	frame_buf_free(&fb);
}

static void
users_conf_done(struct pending *p, struct frame *f)
{
	struct users_conf_ctx		*c = p->arg;
	const struct tokend_config	*conf = server_conf();
	struct auth_result		 ar;
	json_t				*data, *one;
	char				*text;
	size_t				 i;

	if (f == NULL)
		ar.code = AUTH_UNAVAILABLE;
	else
		(void)auth_result_read(f, &ar);
	if (ar.code != AUTH_OK || !ar.admin) {
		auth_error(p->req, ar.code != AUTH_OK ? ar.code :
		    AUTH_FORBIDDEN);
		free(c);
		return;
	}
	data = c->kind == USERS_ROLES ? users_roles(conf, c->id) :
	    users_permissions(conf, c->id);
	if (data == NULL) {
		auth_error(p->req, AUTH_FORBIDDEN);
		free(c);
		return;
	}
	if (json_is_array(data))
		json_array_foreach(data, i, one)
			auth_fields(one, c->fields);
	else
		auth_fields(data, c->fields);
	if ((text = http_data_dumps(data)) == NULL)
		auth_error(p->req, AUTH_INTERNAL);
	else
		http_json(p->req, 200, text);
	free(text);
	free(c);
}

/*
 * The roles: the built-in administrator role (the configuration cannot
 * declare its id), then every configured role in order.  With an id,
 * that role alone (NULL when there is none).
 */
static json_t *
users_roles(const struct tokend_config *conf, const char *id)
{
	const struct conf_role	*r;
	json_t			*list, *one;
	size_t			 i;

	if ((list = json_array()) == NULL)
		return NULL;
	json_array_append_new(list, users_role(CONF_ADMIN_ROLE_ID,
	    "Administrator", 0, 1, 1));
	TAILQ_FOREACH(r, &conf->roles, entry)
		json_array_append_new(list, users_role(r->id, r->name,
		    r->enforce_tfa, r->admin, r->app));
	if (id[0] == '\0')
		return list;
	one = NULL;
	for (i = 0; i < json_array_size(list) && one == NULL; i++)
		if (strcmp(json_string_value(json_object_get(
		    json_array_get(list, i), "id")), id) == 0)
			one = json_incref(json_array_get(list, i));
	json_decref(list);
	return one;
}

static json_t *
users_role(const char *id, const char *name, int tfa, int admin, int app)
{
	return json_pack("{s:s,s:s,s:n,s:n,s:n,s:b,s:b,s:b}", "id", id,
	    "name", name, "icon", "description", "ip_access", "enforce_tfa",
	    tfa, "admin_access", admin, "app_access", app);
}

/*
 * The permissions, one row per action as Directus keeps them, numbered
 * from 1: the roles' in the order of tokend.conf, then the public
 * role's (role null).  With an id, that row alone (NULL when there is
 * none).
 */
static json_t *
users_permissions(const struct tokend_config *conf, const char *id)
{
	const struct conf_role		*r;
	const struct conf_permission	*pm;
	const char			*errstr;
	json_t				*list;
	long long			 n = 0, want = 0;

	if (id[0] != '\0' && (want = strtonum(id, 1, LLONG_MAX,
	    &errstr)) == 0)
		return NULL;
	if ((list = json_array()) == NULL)
		return NULL;
	TAILQ_FOREACH(r, &conf->roles, entry)
		TAILQ_FOREACH(pm, &r->perms, entry)
			if (users_permission_add(list, pm, r->id, &n,
			    want) == -1)
				goto fail;
	TAILQ_FOREACH(pm, &conf->public_perms, entry)
		if (users_permission_add(list, pm, NULL, &n, want) == -1)
			goto fail;
	if (want == 0)
		return list;
	if (json_array_size(list) == 1) {
		json_t	*one = json_incref(json_array_get(list, 0));

		json_decref(list);
		return one;
	}
 fail:
	json_decref(list);
	return NULL;
}

/* The rows of one configured permission (want 0: all, else row want). */
static int
users_permission_add(json_t *list, const struct conf_permission *pm,
    const char *role, long long *n, long long want)
{
	static const struct {
		int		 bit;
		const char	*name;
	} actions[] = {
		{ PERM_CREATE, "create" }, { PERM_READ, "read" },
		{ PERM_UPDATE, "update" }, { PERM_DELETE, "delete" },
	};
	json_t	*row, *fields;
	size_t	 i, k;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if ((pm->actions & actions[i].bit) == 0)
			continue;
		if (want != 0 && ++*n != want)
			continue;
		if (want == 0)
			++*n;
		if ((fields = json_array()) == NULL)
			return -1;
		if (pm->fields.all)
			json_array_append_new(fields, json_string("*"));
		for (k = 0; k < pm->fields.n; k++)
			json_array_append_new(fields,
			    json_string(pm->fields.names[k]));
		row = json_pack("{s:I,s:s,s:s,s:o,s:o,s:o,s:o,s:o}", "id",
		    (json_int_t)*n, "collection", pm->collection, "action",
		    actions[i].name, "permissions",
		    users_json_text(pm->filter), "validation",
		    users_json_text(pm->validation), "presets",
		    users_json_text(pm->presets), "fields", fields, "role",
		    role != NULL ? json_string(role) : json_null());
		if (row == NULL || json_array_append_new(list, row) == -1)
			return -1;
	}
	return 0;
}

/* JSON text from the configuration (checked by the parser), or null. */
static json_t *
users_json_text(const char *text)
{
	json_t	*v;

	if (text == NULL || (v = json_loads(text, 0, NULL)) == NULL)
		return json_null();
	return v;
}

/*
 * The /tfa routes: the credential and the body go to keyd as they are,
 * which answers as for /users (users_done).  generate waits for the
 * hashing pool, which checks the password.
 */
static void
users_tfa(struct server *s, struct evhttp_request *req, uint32_t op,
    const char *target)
{
	struct evbuffer		*body = evhttp_request_get_input_buffer(req);
	struct msg_tfa		 m;
	struct token_ref	*tok;
	struct frame_buf	 fb;
	struct jwt		 jwt;
	char			 ip[INET6_ADDRSTRLEN];

	if (auth_token(s, req, &tok, &jwt) == -1)
		return;
	memset(&m, 0, sizeof(m));
	auth_credential_set(&m.cred, tok, &jwt);
	m.op = op;
	m.target = target;
	m.body_len = evbuffer_get_length(body);
	m.body = m.body_len > 0 ? evbuffer_pullup(body, -1) : NULL;
	auth_client_set(req, &m.client, ip, sizeof(ip));
	(void)msg_write(&fb, MSG_TFA, &m);
	auth_token_free(tok);
	if (fb.failed)
		http_error(req, 413, "INVALID_PAYLOAD",
		    "Invalid payload. Request too large.");
	else
		(void)server_keyd_request(s, req, MSG_TFA, fb.data, fb.len,
		    op == TFA_GENERATE ? USERS_WAIT_MS : 0, users_done, NULL);
	frame_buf_free(&fb);
}

void
users_tfa_generate(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	users_tfa(s, req, TFA_GENERATE, "");
}

void
users_tfa_enable(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	users_tfa(s, req, TFA_ENABLE, "");
}

void
users_tfa_disable(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	users_tfa(s, req, TFA_DISABLE, "");
}

/* A tokend extension: Directus has no recovery codes. */
void
users_tfa_recovery(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	users_tfa(s, req, TFA_RECOVERY, "");
}

/* POST /users/<id>/tfa/disable: rest is "<id>/tfa/disable". */
void
users_tfa_admin_disable(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	char	 id[AUTH_ID_LEN + 1];
	size_t	 n = strcspn(rest, "/");

	/* No user has a longer id: keyd would answer the same. */
	if (n >= sizeof(id)) {
		auth_error(req, AUTH_FORBIDDEN);
		return;
	}
	memcpy(id, rest, n);
	id[n] = '\0';
	users_tfa(s, req, TFA_ADMIN_DISABLE, id);
}
