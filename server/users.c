/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The worker's side of the user administration API: /users,
 * /users/<id>, /activity, /users/invite and the /tfa routes.
 *
 * Users live only in keyd's credential database, so /users is a relay:
 * the worker extracts the request's credential the way /users/me does,
 * bounds the query parameters and the body, and hands them to keyd,
 * which checks the credential and the permissions itself and answers
 * with the JSON to send.  Roles and permissions are access.c's.
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

static const char *const users_param_names[USERS_NPARAMS] = {
	"fields", "filter", "sort", "limit", "offset", "page", "meta",
	"search", "aggregate", "groupBy",
};
/* From search on, none is a parameter of /activity. */
#define USERS_SEARCH_PARAM	7
#define USERS_AGG_PARAM		8
#define USERS_GROUP_PARAM	9

static int	 users_op(struct evhttp_request *, const char *);
static void	 users_forward(struct server *, struct evhttp_request *, int,
		    const char *);
static size_t	 users_decode(const char *, size_t, char *);
static const char *users_params(const char *, char **, char *, size_t);
static const char *users_params_walk(const char *, char **, char *,
		    json_t **, json_t **, char *, size_t);
static const char *users_param_bracket(size_t, const char *, const char *,
		    json_t **, json_t **);
static const char *users_params_gathered(char **, json_t *, json_t *,
		    char *, size_t);
static void	 users_params_free(char **);
static const char *users_params_body(struct evhttp_request *, char **,
		    char *, size_t);
static int	 users_param_refused(const char *, char *, size_t);
static int	 users_params_known(const char *, char *, size_t);
static int	 users_send(struct server *, struct evhttp_request *, int,
		    const char *, char **, void (*)(struct pending *,
		    struct frame *), void *);
static void	 users_tfa(struct server *, struct evhttp_request *, uint32_t,
		    const char *);

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
			if (i < USERS_SEARCH_PARAM &&
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
	(void)users_send(s, req, op, id, values, users_done, NULL);
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
 * a bracket form other than those of aggregate and groupBy).  Others
 * are ignored, as Directus ignores what it does not know.
 */
static const char *
users_params(const char *query, char **values, char *msg, size_t len)
{
	const char	*why;
	char		 name[USERS_NAME_MAX + 1];
	json_t		*agg = NULL, *group = NULL;

	why = users_params_walk(query, values, name, &agg, &group, msg, len);
	if (why == NULL)
		why = users_params_gathered(values, agg, group, msg, len);
	json_decref(agg);
	json_decref(group);
	return why;
}

/*
 * The bracket forms qs writes and Directus reads, aggregate[fn]=fields
 * and groupBy[]=field, gathered into *agg ({"fn": "a,b"}) and *group
 * ("a,b"), as /items does.  NULL, or why the parameter is refused.
 */
static const char *
users_param_bracket(size_t i, const char *name, const char *value,
    json_t **agg, json_t **group)
{
	char	 fn[32];
	size_t	 len = strlen(name), k = strlen(users_param_names[i]), n;
	json_t	**list, *v;
	char	*joined;
	const char *prev;

	if (name[len - 1] != ']' || strchr(name + k + 1, '[') != NULL)
		return "must be one parameter, not in bracket form";
	if (i == USERS_AGG_PARAM) {
		if (len - k - 2 == 0 || len - k - 2 >= sizeof(fn))
			return "must be an object of functions and fields";
		memcpy(fn, name + k + 1, len - k - 2);
		fn[len - k - 2] = '\0';
		for (n = 0; isalpha((unsigned char)fn[n]); n++)
			;
		if (fn[n] != '\0')
			return "must be an object of functions and fields";
		if (*agg == NULL && (*agg = json_object()) == NULL)
			return "cannot be read";
		list = NULL;
		prev = json_string_value(json_object_get(*agg, fn));
	} else {
		list = group;
		prev = json_string_value(*group);
	}
	if (prev != NULL ? asprintf(&joined, "%s,%s", prev, value) == -1 :
	    (joined = strdup(value)) == NULL)
		return "cannot be read";
	if (strlen(joined) > USERS_PARAM_MAX || (v = json_string(joined)) ==
	    NULL) {
		free(joined);
		return "is too long or not UTF-8";
	}
	free(joined);
	if (list != NULL) {
		json_decref(*list);
		*list = v;
		return NULL;
	}
	return json_object_set_new(*agg, fn, v) == 0 ? NULL : "cannot be read";
}

/* The gathered bracket forms as the values of their parameters. */
static const char *
users_params_gathered(char **values, json_t *agg, json_t *group, char *msg,
    size_t len)
{
	const char	*why = NULL;
	size_t		 i = USERS_AGG_PARAM;

	if (agg != NULL && values[i] == NULL &&
	    (values[i] = json_dumps(agg, JSON_COMPACT)) == NULL)
		why = "cannot be read";
	else if (agg != NULL && strlen(values[i]) > USERS_PARAM_MAX)
		why = "is too long";
	else if (group != NULL && (i = USERS_GROUP_PARAM, values[i] ==
	    NULL) && (values[i] = strdup(json_string_value(group))) == NULL)
		why = "cannot be read";
	if (why == NULL)
		return NULL;
	(void)snprintf(msg, len, "Invalid query. \"%s\" %s.",
	    users_param_names[i], why);
	return msg;
}

/* users_params(): each parameter of the query in turn. */
static const char *
users_params_walk(const char *query, char **values, char *name,
    json_t **agg, json_t **group, char *msg, size_t len)
{
	const char	*p, *amp, *eq, *why;
	char		*text;
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
		if (name[k] == '[' && (i == USERS_AGG_PARAM ||
		    i == USERS_GROUP_PARAM)) {
			if ((text = malloc(vlen + 1)) == NULL)
				why = "cannot be read";
			else if ((n = users_decode(eq != NULL ? eq + 1 : "",
			    vlen, text)) > USERS_PARAM_MAX)
				why = "is too long";
			else if (strlen(text) != n)
				why = "must not hold a NUL byte";
			else if (values[i] != NULL)
				why = "is given more than once";
			else
				why = users_param_bracket(i, name, text, agg,
				    group);
			free(text);
			if (why == NULL)
				continue;
		} else if (name[k] == '[')
			why = "must be one parameter, not in bracket form";
		else if (values[i] != NULL ||
		    (i == USERS_AGG_PARAM && *agg != NULL) ||
		    (i == USERS_GROUP_PARAM && *group != NULL))
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
 * with the message that names it.
 */
static int
users_param_refused(const char *name, char *msg, size_t len)
{
	const char	*bad;

	if ((bad = query_param_unsupported(name)) == NULL)
		return 0;
	(void)snprintf(msg, len, "Invalid query. \"%s\" is not "
	    "supported.", bad);
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

/*
 * MSG_USERS: the credential (or none), what is asked, the body; done
 * gets keyd's answer (or NULL).  -1 when the request was answered
 * without calling done.
 */
static int
users_send(struct server *s, struct evhttp_request *req, int op,
    const char *id, char **values, void (*done)(struct pending *,
    struct frame *), void *arg)
{
	struct evbuffer		*body = evhttp_request_get_input_buffer(req);
	struct msg_users	*m;
	struct token_ref	*tok;
	struct frame_buf	 fb;
	struct jwt		 jwt;
	size_t			 i, len = 0;
	char			 ip[INET6_ADDRSTRLEN];
	int			 rv = -1;

	if (auth_token(s, req, &tok, &jwt) == -1)
		return -1;
	if (op != USERS_READ && op != USERS_ACTIVITY && op != USERS_ACCESS)
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
	else {
		/* Creates and new passwords wait for the hashing pool. */
		(void)server_keyd_request(s, req, MSG_USERS, fb.data, fb.len,
		    op == USERS_CREATE || op == USERS_UPDATE ||
		    op == USERS_INVITE ? USERS_WAIT_MS : 0, done, arg);
		rv = 0;
	}
	frame_buf_free(&fb);
	return rv;
}

/*
 * A page of every user's id and role from offset on, with the request's
 * credential, for the users of each role (access.c), and with held, the
 * access rows of the policies each holds itself ("policies.*"); done
 * gets MSG_USERS_RESULT, whose meta says how many there are.  -1 when
 * the request was answered without calling done.
 */
int
users_read_roles(struct server *s, struct evhttp_request *req,
    size_t offset, int held, void (*done)(struct pending *, struct frame *),
    void *arg)
{
	char	*values[USERS_NPARAMS], from[32];
	int	 rv;

	memset(values, 0, sizeof(values));
	(void)snprintf(from, sizeof(from), "%zu", offset);
	if ((values[0] = strdup(held ? "id,role,policies.*" : "id,role")) ==
	    NULL ||
	    (values[3] = strdup("-1")) == NULL ||
	    (values[4] = strdup(from)) == NULL ||
	    (values[6] = strdup("total_count")) == NULL) {
		users_params_free(values);
		auth_error(req, AUTH_INTERNAL);
		return -1;
	}
	rv = users_send(s, req, USERS_READ, "", values, done, arg);
	users_params_free(values);
	return rv;
}

/*
 * GET /permissions/me/directus_users[/<id>] (access.c): keyd says what
 * the caller may do to that user, as for a PATCH or DELETE.
 */
void
users_access(struct server *s, struct evhttp_request *req, const char *id)
{
	char	*values[USERS_NPARAMS];

	memset(values, 0, sizeof(values));
	(void)users_send(s, req, USERS_ACCESS, id, values, users_done, NULL);
}

/*
 * A read of /users for another answer (the users an item relation
 * reaches): MSG_USERS with the request's own credential, so that keyd
 * decides with the caller's permissions on directus_users and trusts
 * nothing the worker says.  fields, filter (JSON), limit and meta (or
 * NULL) as a query string gives them; done() gets MSG_USERS_RESULT.
 * -1 when the request was answered already.
 */
int
users_lookup(struct server *s, struct evhttp_request *req,
    const char *fields, const char *filter, const char *limit,
    const char *meta, void (*done)(struct pending *, struct frame *),
    void *arg)
{
	struct msg_users	*m;
	struct token_ref	*tok;
	struct frame_buf	 fb;
	struct jwt		 jwt;
	char			 ip[INET6_ADDRSTRLEN];
	int			 rv = 0;

	if (auth_token(s, req, &tok, &jwt) == -1)
		return -1;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("calloc");
	auth_credential_set(&m->cred, tok, &jwt);
	m->op = USERS_READ;
	m->target = "";
	m->params[0].given = 1;
	m->params[0].value = fields;
	m->params[1].given = 1;
	m->params[1].value = filter;
	m->params[3].given = 1;
	m->params[3].value = limit;
	m->params[6].given = meta != NULL;
	m->params[6].value = meta;
	m->body = NULL;
	m->body_len = 0;
	auth_client_set(req, &m->client, ip, sizeof(ip));
	(void)msg_write(&fb, MSG_USERS, m);
	auth_token_free(tok);
	free(m);
	if (fb.failed) {
		http_error(req, 400, "INVALID_QUERY",
		    "Invalid query. Too many related users.");
		rv = -1;
	} else
		(void)server_keyd_request(s, req, MSG_USERS, fb.data, fb.len,
		    0, done, arg);
	frame_buf_free(&fb);
	return rv;
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
		http_reply(p->req, 204, "No Content");
	else
		http_json_buf(p->req, 200, (const char *)m.json, m.json_len);
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

/*
 * GET /users/me/sessions and DELETE /users/me/sessions/<id>: tokend's
 * extension.  keyd finds whose sessions they are from the credential
 * alone (keyd/sessions.c); an id of too many or other bytes than
 * digits names no session, which keyd answers the same way.
 */
void
users_sessions(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	struct msg_sessions	 m;
	struct token_ref	*tok;
	struct frame_buf	 fb;
	struct jwt		 jwt;
	char			 ip[INET6_ADDRSTRLEN];
	size_t			 n = strlen(rest);
	int			 revoke;

	revoke = evhttp_request_get_command(req) == EVHTTP_REQ_DELETE;
	if (revoke && (n == 0 || n > SESSIONS_ID_MAX ||
	    strspn(rest, "0123456789") != n)) {
		auth_error(req, AUTH_FORBIDDEN);
		return;
	}
	if (auth_token(s, req, &tok, &jwt) == -1)
		return;
	memset(&m, 0, sizeof(m));
	auth_credential_set(&m.cred, tok, &jwt);
	m.op = revoke ? SESSIONS_REVOKE : SESSIONS_LIST;
	m.target = revoke ? rest : "";
	auth_client_set(req, &m.client, ip, sizeof(ip));
	(void)msg_write(&fb, MSG_SESSIONS, &m);
	auth_token_free(tok);
	if (fb.failed)
		http_error(req, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
	else
		(void)server_keyd_request(s, req, MSG_SESSIONS, fb.data,
		    fb.len, 0, users_done, NULL);
	frame_buf_free(&fb);
}
