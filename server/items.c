/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * /items/<collection>[/<id>], the worker's side: it learns from keyd who
 * the request's credential is, with the ticket that says so (ticket.h),
 * and hands the request, ticket and all, to its item process, which
 * alone opens the item store and applies the permissions.  A request
 * without a credential goes without a ticket: the public role.  The
 * worker sends the answer as it comes.
 *
 * Users live in keyd, not in the item store: a relation to
 * directus_users (field "author" references "directus_users") is
 * resolved here, with keyd, under the caller's own credential.  A
 * filter through it ({"author": {"email": {...}}}) becomes the ids of
 * the users keyd finds ({"author": {"_in": [...]}}, at most
 * ITEMS_USER_IDS_MAX) before the item process sees it; fields through
 * it ("author.email") are read from keyd for the keys of the page the
 * item process answers, and nested.  keyd conceals what it always
 * conceals: no worker sees a password hash or a TOTP secret.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "log.h"
#include "proto.h"
#include "query.h"
#include "tokend.h"

#define ITEMS_USER_IDS_MAX	QUERY_LIST_MAX	/* users one filter reaches */
#define ITEMS_USER_RELS_MAX	8	/* filters through users */

struct items_fwd {
	struct server		*s;
	struct evhttp_request	*req;
	char			 rest[ITEMS_PATH_MAX];
	char			 coll[CONF_IDENT_MAX];
	struct auth_result	 who;
	int			 has_who;
	struct evkeyvalq	 params;	/* the query string, decoded */
	char			*query;		/* rewritten, or NULL */
	json_t			*filter;	/* being rewritten */
	json_t			*todo;		/* [[object, key], ...] */
	struct query		 fq;		/* ?fields */
	json_t			*answer;	/* the item process's */
	size_t			 step;
	uint32_t		 method;	/* 0: the request's */
};

static void	 items_auth_done(struct pending *, struct frame *);
static void	 items_start(struct items_fwd *, const struct auth_result *);
static void	 items_forward(struct items_fwd *);
static void	 items_answered(struct pending *, struct frame *);
static void	 items_fwd_free(struct items_fwd *);
static int	 items_user_rel(const char *, const char *);
static int	 items_filter_users(struct items_fwd *);
static void	 items_filter_next(struct items_fwd *);
static void	 items_filter_done(struct pending *, struct frame *);
static int	 items_query_rewrite(struct items_fwd *);
static void	 items_nest_next(struct items_fwd *);
static void	 items_nest_done(struct pending *, struct frame *);
static void	 items_nest_send(struct items_fwd *);
static void	 items_nest_apply(struct items_fwd *, json_t *, int);
static json_t	*items_answer_rows(struct items_fwd *);
#ifdef TOKEND_SELFTEST
static void	 items_selftest_tamper(struct evhttp_request *,
		    struct msg_ticket *, uint8_t *);
#endif

/*
 * The route's handler: rest is "<collection>[/<id>]".  The request is
 * answered when the item process has, after keyd when it has a token.
 */
void
items_serve(struct server *s, struct evhttp_request *req, const char *rest)
{
	struct items_fwd	*fw;

	if (strlen(rest) >= ITEMS_PATH_MAX) {
		http_not_found(req, s);
		return;
	}
	if ((fw = calloc(1, sizeof(*fw))) == NULL) {
		http_error(req, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
		return;
	}
	fw->s = s;
	fw->req = req;
	TAILQ_INIT(&fw->params);
	(void)strlcpy(fw->rest, rest, sizeof(fw->rest));
	(void)strlcpy(fw->coll, rest, sizeof(fw->coll));
	fw->coll[strcspn(fw->coll, "/")] = '\0';
	if (!auth_has_credential(s, req)) {
		items_start(fw, NULL);
		return;
	}
	if (auth_authenticate(s, req, MSG_AUTH, NULL, 0, 0, items_auth_done,
	    fw) == -1)
		items_fwd_free(fw);
}

static void
items_fwd_free(struct items_fwd *fw)
{
	evhttp_clear_headers(&fw->params);
	free(fw->query);
	json_decref(fw->filter);
	json_decref(fw->todo);
	json_decref(fw->answer);
	query_free(&fw->fq);
	explicit_bzero(&fw->who, sizeof(fw->who));
	free(fw);
}

/* Does field of collection coll reference directus_users? */
static int
items_user_rel(const char *coll, const char *field)
{
	const struct conf_collection	*c;
	const char			*target;

	return (c = config_collection(server_conf(), coll)) != NULL &&
	    (target = config_relation(c, field)) != NULL &&
	    strcmp(target, CONF_USERS_COLLECTION) == 0;
}

/*
 * Who asks is known: resolve what the filter asks of users, then hand
 * the request over.  A read's fields through users are resolved when
 * the item process has answered.
 */
static void
items_start(struct items_fwd *fw, const struct auth_result *who)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(fw->req);
	const char		*query, *fields;
	char			 reason[QUERY_REASON_MAX];

	if (who != NULL) {
		fw->who = *who;
		fw->has_who = 1;
	}
	query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	/* The item process answers a malformed query itself. */
	if (query == NULL || evhttp_parse_query_str(query, &fw->params) == -1) {
		items_forward(fw);
		return;
	}
	if (evhttp_request_get_command(fw->req) == EVHTTP_REQ_GET &&
	    (fields = evhttp_find_header(&fw->params, "fields")) != NULL &&
	    query_fields_parse(&fw->fq, fields, reason, sizeof(reason)) == -1)
		memset(&fw->fq, 0, sizeof(fw->fq));	/* refused there */
	else if (query_fields_shallow(&fw->fq, reason, sizeof(reason)) == -1)
		query_fields_free(&fw->fq);		/* refused there too */
	switch (items_filter_users(fw)) {
	case -1:
		items_fwd_free(fw);
		break;
	case 0:
		items_forward(fw);
		break;
	default:
		items_filter_next(fw);
		break;
	}
}

/* Collect {"author": {...}} (users) of a filter object into fw->todo. */
static int
items_filter_walk(struct items_fwd *fw, json_t *obj, int depth)
{
	const char	*key, *op;
	json_t		*v, *e, *sub;
	size_t		 i;

	if (!json_is_object(obj) || depth > QUERY_DEPTH_MAX)
		return 0;	/* the item process refuses it */
	json_object_foreach(obj, key, v) {
		if (strcmp(key, "_and") == 0 || strcmp(key, "_or") == 0) {
			json_array_foreach(v, i, e)
				if (items_filter_walk(fw, e, depth + 1) == -1)
					return -1;
			continue;
		}
		if (!json_is_object(v) || !items_user_rel(fw->coll, key))
			continue;
		json_object_foreach(v, op, sub)
			if (op[0] != '_')
				break;
		if (op == NULL)
			continue;	/* operators on the key itself */
		if (json_array_size(fw->todo) >= ITEMS_USER_RELS_MAX) {
			http_error(fw->req, 400, "INVALID_QUERY", "Invalid "
			    "query. \"filter\" goes through users too many "
			    "times.");
			return -1;
		}
		json_array_append_new(fw->todo, json_pack("[O,s]", obj, key));
	}
	return 0;
}

/* 1: the filter goes through users; 0: it does not; -1: answered. */
static int
items_filter_users(struct items_fwd *fw)
{
	const char	*text = evhttp_find_header(&fw->params, "filter");

	if (text == NULL || (fw->filter = json_loads(text,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return 0;
	if ((fw->todo = json_array()) == NULL) {
		http_error(fw->req, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
		return -1;
	}
	if (items_filter_walk(fw, fw->filter, 1) == -1)
		return -1;
	return json_array_size(fw->todo) > 0;
}

/* Ask keyd for the ids of the users the next filter through users picks. */
static void
items_filter_next(struct items_fwd *fw)
{
	json_t	*pair;
	char	*text, limit[16];
	int	 rv;

	if (fw->step == json_array_size(fw->todo)) {
		if (items_query_rewrite(fw) == -1)
			items_fwd_free(fw);
		else
			items_forward(fw);
		return;
	}
	pair = json_array_get(fw->todo, fw->step);
	if ((text = json_dumps(json_object_get(json_array_get(pair, 0),
	    json_string_value(json_array_get(pair, 1))), JSON_COMPACT)) ==
	    NULL) {
		http_error(fw->req, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
		items_fwd_free(fw);
		return;
	}
	(void)snprintf(limit, sizeof(limit), "%d", ITEMS_USER_IDS_MAX + 1);
	/* keyd pages at query-limit: its filter_count says what it cut. */
	rv = users_lookup(fw->s, fw->req, "id", text, limit, "filter_count",
	    items_filter_done, fw);
	free(text);
	if (rv == -1)
		items_fwd_free(fw);
}

/*
 * keyd's users for a filter: {"author": {"_in": [their ids]}}, or a
 * condition nothing passes when there are none.
 */
static void
items_filter_done(struct pending *p, struct frame *f)
{
	struct items_fwd	*fw = p->arg;
	struct msg_users_result	 m;
	json_t			*pair, *data, *ids, *u, *cond, *count;
	size_t			 i;

	msg_clear(MSG_USERS_RESULT, &m);
	if (f == NULL || msg_read(f, MSG_USERS_RESULT, &m) == -1 ||
	    m.code >= AUTH_CODE_MAX) {
		auth_error(fw->req, f == NULL ? AUTH_UNAVAILABLE :
		    AUTH_INTERNAL);
		items_fwd_free(fw);
		return;
	}
	if (m.code != AUTH_OK) {
		auth_error_message(fw->req, m.code, m.message);
		items_fwd_free(fw);
		return;
	}
	pair = json_array_get(fw->todo, fw->step++);
	data = json_object_get(u = json_loadb((const char *)m.json,
	    m.json_len, 0, NULL), "data");
	count = json_object_get(json_object_get(u, "meta"), "filter_count");
	if (!json_is_integer(count) || json_integer_value(count) !=
	    (json_int_t)json_array_size(data) ||
	    json_array_size(data) > ITEMS_USER_IDS_MAX) {
		json_decref(u);
		http_error(fw->req, 400, "INVALID_QUERY", "Invalid query. The "
		    "filter on users matches too many of them: narrow it.");
		items_fwd_free(fw);
		return;
	}
	ids = json_array();
	json_array_foreach(data, i, cond)
		json_array_append(ids, json_object_get(cond, "id"));
	json_decref(u);
	cond = json_array_size(ids) > 0 ? json_pack("{s:o}", "_in", ids) :
	    (json_decref(ids), json_pack("{s:b,s:b}", "_null", 1, "_nnull",
	    1));
	(void)json_object_set_new(json_array_get(pair, 0),
	    json_string_value(json_array_get(pair, 1)), cond);
	items_filter_next(fw);
}

/* The query string again, with the rewritten filter. */
static int
items_query_rewrite(struct items_fwd *fw)
{
	struct evbuffer	*b;
	struct evkeyval	*kv;
	char		*filter, *k, *v;
	int		 first = 1;

	if ((b = evbuffer_new()) == NULL ||
	    (filter = json_dumps(fw->filter, JSON_COMPACT)) == NULL) {
		if (b != NULL)
			evbuffer_free(b);
		http_error(fw->req, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
		return -1;
	}
	TAILQ_FOREACH(kv, &fw->params, next) {
		k = evhttp_uriencode(kv->key, -1, 0);
		v = evhttp_uriencode(strcmp(kv->key, "filter") == 0 ? filter :
		    kv->value, -1, 0);
		if (k != NULL && v != NULL)
			evbuffer_add_printf(b, "%s%s=%s", first ? "" : "&", k,
			    v);
		first = 0;
		free(k);
		free(v);
	}
	free(filter);
	evbuffer_add(b, "", 1);
	fw->query = strdup((const char *)evbuffer_pullup(b, -1));
	evbuffer_free(b);
	if (fw->query == NULL) {
		http_error(fw->req, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
		return -1;
	}
	return 0;
}

static void
items_auth_done(struct pending *p, struct frame *f)
{
	struct items_fwd	*fw = p->arg;
	struct auth_result	 ar;

	if (f == NULL) {
		auth_error(fw->req, AUTH_UNAVAILABLE);
		items_fwd_free(fw);
	} else if (auth_result_read(f, &ar) == -1 || ar.code != AUTH_OK) {
		auth_error(fw->req, ar.code);
		items_fwd_free(fw);
	} else
		items_start(fw, &ar);
	explicit_bzero(&ar, sizeof(ar));
}

/*
 * GET /permissions/me/<collection>[/<key>] (access.c): the item process
 * says what the caller may do to the item.
 */
void
items_access(struct server *s, struct evhttp_request *req,
    const struct auth_result *who, const char *collection, const char *key)
{
	struct items_fwd	*fw;

	if ((fw = calloc(1, sizeof(*fw))) == NULL) {
		http_error(req, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
		return;
	}
	fw->s = s;
	fw->req = req;
	TAILQ_INIT(&fw->params);
	fw->method = ITEMS_ACCESS;
	if ((size_t)snprintf(fw->rest, sizeof(fw->rest), "%s%s%s", collection,
	    key[0] != '\0' ? "/" : "", key) >= sizeof(fw->rest)) {
		items_fwd_free(fw);
		auth_error(req, AUTH_FORBIDDEN);
		return;
	}
	if (who != NULL) {
		fw->who = *who;
		fw->has_who = 1;
	}
	items_forward(fw);
}

/*
 * MSG_ITEMS to the item process; no credential: the public role.  A
 * method of its own (fw->method) sends neither the request's query
 * nor its body, which are not for it.
 */
static void
items_forward(struct items_fwd *fw)
{
	struct evhttp_request	*req = fw->req;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	struct evbuffer		*body = evhttp_request_get_input_buffer(req);
	const struct auth_result *who = fw->has_who ? &fw->who : NULL;
	const char		*query;
	struct msg_items	 m;
	char			 ip[INET6_ADDRSTRLEN];
	struct frame_buf	 fb;
#ifdef TOKEND_SELFTEST
	uint8_t			 mac[TICKET_MAC_LEN];
#endif

	/*
	 * Field by field: the reader's buffers (64 KB for the query) are
	 * not the writer's, and zeroing them costs every request.
	 */
	if (who != NULL)
		auth_ticket_set(&m.ticket, who);
	else
		memset(&m.ticket, 0, sizeof(m.ticket));
	if (who == NULL) {
		m.ticket.user = "";
		m.ticket.role = "";
		m.ticket.policies = "";
	}
#ifdef TOKEND_SELFTEST
	items_selftest_tamper(req, &m.ticket, mac);
#endif
	switch (http_method(req)) {
	case ROUTE_SEARCH:
		m.method = ITEMS_SEARCH;
		break;
	case EVHTTP_REQ_GET:
		m.method = ITEMS_GET;
		break;
	case EVHTTP_REQ_POST:
		m.method = ITEMS_POST;
		break;
	case EVHTTP_REQ_PATCH:
		m.method = ITEMS_PATCH;
		break;
	default:
		m.method = ITEMS_DELETE;
		break;
	}
	m.path = fw->rest;
	query = fw->query != NULL ? fw->query : uri != NULL ?
	    evhttp_uri_get_query(uri) : NULL;
	if (fw->method != 0) {
		m.method = fw->method;
		query = NULL;
		body = NULL;
	}
	m.has_query = query != NULL;
	m.query = query != NULL ? query : "";
	m.body_len = body != NULL ? evbuffer_get_length(body) : 0;
	m.body = m.body_len != 0 ? evbuffer_pullup(body, -1) : NULL;
	http_client_text(req, ip, sizeof(ip));
	m.client = ip;
	if (msg_write(&fb, MSG_ITEMS, &m) == -1) {
		http_error(req, 400, "INVALID_QUERY",
		    "Invalid query. The request is too large.");
		items_fwd_free(fw);
	} else
		(void)server_request(fw->s, fw->s->items, req, MSG_ITEMS,
		    fb.data, fb.len, SERVER_ITEMS_TIMEOUT_MS, items_answered,
		    fw);
	frame_buf_free(&fb);
}

/*
 * The item process's answer, sent as it is, or with the users its
 * relations reach nested first; NULL: it did not answer.
 */
static void
items_answered(struct pending *p, struct frame *f)
{
	struct items_fwd	*fw = p->arg;
	struct msg_items_result	 m;

	if (f == NULL || msg_read(f, MSG_ITEMS_RESULT, &m) == -1 ||
	    m.status < 200 || m.status > 599) {
		http_error(p->req, 503, "SERVICE_UNAVAILABLE",
		    "The item store is unavailable.");
		items_fwd_free(fw);
		return;
	}
	if (m.status == 200 && fw->fq.nrels > 0 &&
	    (fw->answer = json_loadb((const char *)m.json, m.json_len, 0,
	    NULL)) != NULL) {
		fw->step = 0;
		items_nest_next(fw);
		return;
	}
	items_fwd_free(fw);
	if (m.status == 404)
		http_not_found(p->req, NULL);
	else if (m.status == 204)
		http_reply(p->req, 204, "No Content");
	else if (m.status < 300)
		http_json_buf(p->req, (int)m.status, (const char *)m.json,
		    m.json_len);
	else
		http_error_buf(p->req, (int)m.status, (const char *)m.json,
		    m.json_len);
}

#ifdef TOKEND_SELFTEST
/*
 * The selftest build (regress/daemon/itemproc.sh) plays a compromised
 * worker: the header X-Selftest-Ticket changes the ticket it passes on.
 * "none" drops it, "admin" claims admin access, "role=ID" and "user=ID"
 * another role or user, "later" a later expiry, "mac" a changed MAC.
 */
static void
items_selftest_tamper(struct evhttp_request *req, struct msg_ticket *t,
    uint8_t *mac)
{
	const char	*how;

	how = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "X-Selftest-Ticket");
	if (how == NULL)
		return;
	if (strcmp(how, "none") == 0) {
		t->mac = NULL;
		t->mac_len = 0;
		return;
	}
	if (t->mac_len == TICKET_MAC_LEN) {
		memcpy(mac, t->mac, TICKET_MAC_LEN);
		t->mac = mac;
	}
	if (strcmp(how, "admin") == 0)
		t->admin = 1;
	else if (strncmp(how, "role=", 5) == 0)
		t->role = how + 5;
	else if (strncmp(how, "user=", 5) == 0)
		t->user = how + 5;
	else if (strcmp(how, "later") == 0)
		t->expires += 86400000;
	else if (strcmp(how, "mac") == 0 && t->mac_len == TICKET_MAC_LEN)
		mac[0] ^= 1;
}
#endif

/* The rows of the answer: its data, an array or one object. */
static json_t *
items_answer_rows(struct items_fwd *fw)
{
	json_t	*data = json_object_get(fw->answer, "data");

	return json_is_object(data) ? json_pack("[O]", data) :
	    json_incref(data);
}

/*
 * The next relation of ?fields to directus_users: the users of the
 * page's keys, read from keyd with the fields asked for (and "id").
 */
static void
items_nest_next(struct items_fwd *fw)
{
	const struct query_rel	*r;
	json_t			*rows, *ids, *row, *v, *filter;
	char			*text, limit[16];
	size_t			 i, j, k;
	struct evbuffer		*b;
	int			 rv;

	for (; fw->step < fw->fq.nrels; fw->step++)
		if (items_user_rel(fw->coll, fw->fq.rels[fw->step].field))
			break;
	if (fw->step == fw->fq.nrels) {
		items_nest_send(fw);
		return;
	}
	r = &fw->fq.rels[fw->step];
	rows = items_answer_rows(fw);
	ids = json_array();
	json_array_foreach(rows, i, row) {
		v = json_object_get(row, r->field);
		if (!json_is_string(v))
			continue;
		for (j = 0; j < json_array_size(ids); j++)
			if (json_equal(v, json_array_get(ids, j)))
				break;
		if (j == json_array_size(ids))
			json_array_append(ids, v);
	}
	json_decref(rows);
	/*
	 * No key: keyd is asked all the same, which checks the fields
	 * named and whether the caller may read users at all (Directus
	 * 11.3.5 refuses a field, or leaves the relation out, whatever
	 * the rows).
	 */
	b = evbuffer_new();
	evbuffer_add_printf(b, "%s", r->sub.all ? "*" : "id");
	for (k = 0; !r->sub.all && k < r->sub.n; k++)
		evbuffer_add_printf(b, ",%s", r->sub.names[k]);
	evbuffer_add(b, "", 1);
	(void)snprintf(limit, sizeof(limit), "%zu",
	    json_array_size(ids) > 0 ? json_array_size(ids) : 1);
	/* No key: a filter no user passes. */
	if (json_array_size(ids) == 0) {
		json_decref(ids);
		filter = json_pack("{s:{s:b}}", "id", "_null", 1);
	} else
		filter = json_pack("{s:{s:o}}", "id", "_in", ids);
	text = filter != NULL ? json_dumps(filter, JSON_COMPACT) : NULL;
	json_decref(filter);
	rv = text != NULL ? users_lookup(fw->s, fw->req,
	    (const char *)evbuffer_pullup(b, -1), text, limit, NULL,
	    items_nest_done, fw) : -1;
	if (text == NULL)
		http_error(fw->req, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
	free(text);
	evbuffer_free(b);
	if (rv == -1)
		items_fwd_free(fw);
}

/*
 * Each row's key of relation fw->step replaced by its user (users: the
 * data keyd answered, or NULL for none), or null: no key, or a user the
 * caller may not read; or, omit, the relation left out of the row.
 * "id" stays only when asked for.
 */
static void
items_nest_apply(struct items_fwd *fw, json_t *users, int omit)
{
	const struct query_rel	*r = &fw->fq.rels[fw->step - 1];
	json_t			*rows, *row, *v, *u, *hit;
	size_t			 i, j;

	rows = items_answer_rows(fw);
	json_array_foreach(rows, i, row) {
		/* Left out by the item process: its field is not readable. */
		if ((v = json_object_get(row, r->field)) == NULL)
			continue;
		if (omit) {
			(void)json_object_del(row, r->field);
			continue;
		}
		hit = NULL;
		json_array_foreach(users, j, u)
			if (json_is_string(v) && json_equal(v,
			    json_object_get(u, "id")))
				hit = u;
		if (hit != NULL) {
			hit = json_copy(hit);
			if (!r->sub.all && !config_fields_has(&r->sub, "id"))
				(void)json_object_del(hit, "id");
		}
		(void)json_object_set_new(row, r->field, hit != NULL ? hit :
		    json_null());
	}
	json_decref(rows);
}

/*
 * keyd's refusal of a related field, "Queried in" the relation (keyd
 * read the users at their root) as Directus 11.3.5 words it.
 */
static void
items_nest_refused(struct items_fwd *fw, uint32_t code, const char *message)
{
	static const char	 root[] = " Queried in root.";
	const char		*field = fw->fq.rels[fw->step].field;
	char			 msg[USERS_MESSAGE_MAX + 1];
	size_t			 n = strlen(message);

	if (code == AUTH_FORBIDDEN && n > sizeof(root) - 1 &&
	    strcmp(message + n - (sizeof(root) - 1), root) == 0 &&
	    snprintf(msg, sizeof(msg), "%.*s Queried in \"%s\".",
	    (int)(n - (sizeof(root) - 1)), message, field) <
	    (int)sizeof(msg)) {
		auth_error_message(fw->req, code, msg);
		return;
	}
	auth_error_message(fw->req, code, message);
}

static void
items_nest_done(struct pending *p, struct frame *f)
{
	struct items_fwd	*fw = p->arg;
	struct msg_users_result	 m;
	json_t			*u;

	msg_clear(MSG_USERS_RESULT, &m);
	if (f == NULL || msg_read(f, MSG_USERS_RESULT, &m) == -1 ||
	    m.code >= AUTH_CODE_MAX) {
		auth_error(fw->req, f == NULL ? AUTH_UNAVAILABLE :
		    AUTH_INTERNAL);
		items_fwd_free(fw);
		return;
	}
	/*
	 * A caller who may not read directus_users at all (keyd's refusal
	 * of the whole collection, CONF_USERS_DENIED) does not see the
	 * relation, as Directus 11.3.5 answers; with app access (its
	 * minimal permissions read one's own user) it sees it null.  A
	 * related field it may not read is refused, where it was asked.
	 */
	if (m.code == AUTH_FORBIDDEN &&
	    strcmp(m.message, CONF_USERS_DENIED) == 0) {
		fw->step++;
		items_nest_apply(fw, NULL, !(fw->has_who && (fw->who.app ||
		    fw->who.admin)));
		items_nest_next(fw);
		return;
	}
	if (m.code != AUTH_OK) {
		items_nest_refused(fw, m.code, m.message);
		items_fwd_free(fw);
		return;
	}
	u = json_loadb((const char *)m.json, m.json_len, 0, NULL);
	fw->step++;
	items_nest_apply(fw, json_object_get(u, "data"), 0);
	json_decref(u);
	items_nest_next(fw);
}

static void
items_nest_send(struct items_fwd *fw)
{
	char	*text;

	if ((text = json_dumps(fw->answer, JSON_COMPACT)) == NULL)
		http_error(fw->req, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
	else
		http_json(fw->req, 200, text);
	free(text);
	items_fwd_free(fw);
}
