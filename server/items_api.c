/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * /items/<collection>[/<id>]: the items API, run in the item process
 * (itemd.c) under the permissions of the request's accountability: the
 * ticket keyd made for the credential (ticket.h), or the public role
 * for a request without one.  A missing item, a forbidden item and an
 * unknown collection all answer 403 FORBIDDEN, so that nothing can be
 * enumerated.  Writes run in one transaction each: a refused item in a
 * batch leaves nothing written.  The answer is an HTTP status and its
 * JSON text, which the worker sends as they are.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "log.h"
#include "perm.h"
#include "proto.h"
#include "query.h"
#include "query_where.h"
#include "tokend.h"

#define ITEMS_KEY_MAX		64	/* bytes of a key in a path */
#define ITEMS_BATCH_MAX		1000	/* items in one write */
#define ITEMS_INT_KEY_MAX	9007199254740991LL	/* 2^53 - 1 */
#define ITEMS_MSG_MAX		384

struct items_ctx {
	const struct tokend_config *conf;
	uint32_t		 method;	/* enum items_method */
	struct items_answer	*ans;
	char			 collection[CONF_IDENT_MAX];
	char			 key[ITEMS_KEY_MAX + 1];	/* "" none */
	struct evkeyvalq	 params;
	json_t			*body;
	char			 user[64];
	char			 role[64];
	int			 admin;
	char			 now[32];
	struct perm_who		 who;
	struct perm_hold	 hold;		/* who's access, merged */
	struct query_vars	 vars;
	const struct conf_collection *coll;
	struct query		 q;
	json_t			*qtext;	/* each parameter's text */
	json_t			*agg;	/* aggregate[fn] forms */
	json_t			*group;	/* groupBy[] forms, joined */
};

/* The schema of a collection's rows: its fields, and its relations. */
struct items_schema {
	struct items_ctx		*c;
	const struct conf_collection	*coll;
};

struct items_err {
	int			 status;
	const char		*code;
	char			 message[ITEMS_MSG_MAX];
	int			 reason;	/* extensions.reason too */
};

static void	 items_run(struct items_ctx *);
static int	 items_count_where(struct items_ctx *,
		    const struct conf_permission *, const struct query_node *,
		    json_t *, const struct query_search *, json_int_t *,
		    struct items_err *);
static int	 items_relation(void *, const struct query_node *,
		    const struct query_vars *, struct query_sql *);
static int	 items_rel_filter(struct items_ctx *,
		    const struct conf_collection *, const struct query_node *,
		    struct items_err *);
static json_t	*items_row_of(const struct conf_collection *,
		    const struct conf_fields *, struct istore_stmt *,
		    const struct conf_permission *, const struct query_vars *);
static void	 items_page(struct items_ctx *, struct query_sql *);

static void
items_fail(struct items_err *e, int status, const char *code,
    const char *fmt, ...)
{
	va_list	 ap;

	if (e->status != 0)
		return;		/* the first error is the answer */
	e->status = status;
	e->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

/*
 * Directus 11's refusals that name the collection, field or action,
 * with the message again as extensions.reason.
 */
static void
items_denied(struct items_err *e, const char *fmt, ...)
{
	va_list	 ap;

	if (e->status != 0)
		return;
	e->status = 403;
	e->code = "FORBIDDEN";
	e->reason = 1;
	va_start(ap, fmt);
	(void)vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

static void
items_forbidden(struct items_err *e)
{
	items_fail(e, 403, "FORBIDDEN",
	    "You don't have permission to access this.");
}

static void
items_store_fail(struct items_err *e, int rv)
{
	if (rv == ISTORE_CONFLICT)
		items_fail(e, 400, "RECORD_NOT_UNIQUE", "Value for field "
		    "\"id\" has to be unique.");
	else
		items_fail(e, 503, "SERVICE_UNAVAILABLE",
		    "The item store is unavailable.");
}

/* The answer: status and JSON text (taken), or NULL for none. */
static void
items_reply(struct items_ctx *c, int status, char *text)
{
	free(c->ans->json);
	c->ans->status = status;
	c->ans->json = text;
}

static void
items_answer_error(struct items_ctx *c, struct items_err *e)
{
	json_t	*j;

	if (!e->reason) {
		items_reply(c, e->status, http_error_text(e->code,
		    e->message));
		return;
	}
	j = json_pack("{s:[{s:s,s:{s:s,s:s}}]}", "errors", "message",
	    e->message, "extensions", "code", e->code, "reason", e->message);
	items_reply(c, e->status, j != NULL ? json_dumps(j, JSON_COMPACT) :
	    NULL);
	json_decref(j);
}

static void
items_ctx_free(struct items_ctx *c)
{
	evhttp_clear_headers(&c->params);
	json_decref(c->body);
	json_decref(c->qtext);
	json_decref(c->agg);
	json_decref(c->group);
	query_free(&c->q);
	perm_hold_free(&c->hold);
	free(c);
}

/* "articles" or "articles/12": what follows "/items/". */
static int
items_path(struct items_ctx *c, const char *rest)
{
	const char	*slash = strchr(rest, '/');
	size_t		 n = slash != NULL ? (size_t)(slash - rest) :
			    strlen(rest);

	if (n == 0 || n >= sizeof(c->collection))
		return -1;
	memcpy(c->collection, rest, n);
	c->collection[n] = '\0';
	if (slash == NULL)
		return 0;
	rest = slash + 1;
	if (*rest == '\0' || strchr(rest, '/') != NULL ||
	    strlen(rest) > ITEMS_KEY_MAX)
		return -1;
	(void)strlcpy(c->key, rest, sizeof(c->key));
	return 0;
}

/*
 * One request of a worker (MSG_ITEMS, read and its ticket checked by
 * itemd.c): who is user, role and admin (NULL for the public) and the
 * client's address.
 * The answer goes to ans; its json is the caller's to free.
 */
void
items_request(const struct tokend_config *conf,
    const struct msg_items *m, const struct perm_who *who,
    struct items_answer *ans)
{
	struct items_ctx	*c;

	memset(ans, 0, sizeof(*ans));
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		ans->status = 500;
		ans->json = http_error_text("INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
		return;
	}
	c->conf = conf;
	c->method = m->method;
	c->ans = ans;
	TAILQ_INIT(&c->params);
	if (items_path(c, m->path) == -1)
		ans->status = 404;	/* the worker's own answer */
	else if (m->body_len > (size_t)conf->body_max)
		/* What the worker's edge refuses; only a hostile one sends it. */
		items_reply(c, 413, http_error_text("CONTENT_TOO_LARGE",
		    "Content too large."));
	else if (m->has_query &&
	    evhttp_parse_query_str(m->query, &c->params) == -1)
		items_reply(c, 400, http_error_text("INVALID_QUERY",
		    "Invalid query. The query string is malformed."));
	else if (m->body_len != 0 && (c->body = json_loadb((const char *)
	    m->body, m->body_len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		items_reply(c, 400, http_error_text("INVALID_PAYLOAD",
		    "Invalid payload. Invalid JSON."));
	else {
		(void)strlcpy(c->user, who->user != NULL ? who->user : "",
		    sizeof(c->user));
		(void)strlcpy(c->role, who->role != NULL ? who->role : "",
		    sizeof(c->role));
		c->admin = who->admin;
		c->who.addr = who->addr;
		c->who.policies = who->policies;
		items_run(c);
	}
	items_ctx_free(c);
}

/* The query parameters /items reads, in the order of struct query_params. */
static const char *const items_param_names[] = { "fields", "filter",
    "sort", "limit", "offset", "page", "meta", "search", "aggregate",
    "groupBy" };
#define ITEMS_NPARAMS	(sizeof(items_param_names) / sizeof(items_param_names[0]))

static int
items_param_index(const char *name, size_t n)
{
	size_t	 i;

	for (i = 0; i < ITEMS_NPARAMS; i++)
		if (strlen(items_param_names[i]) == n &&
		    strncmp(name, items_param_names[i], n) == 0)
			return (int)i;
	return -1;
}

/* Set a parameter's text once: a second one is refused. */
static int
items_param_set(struct items_ctx *c, const char *name, json_t *text,
    struct items_err *e)
{
	if (text == NULL) {
		items_fail(e, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
		return -1;
	}
	if (json_object_get(c->qtext, name) != NULL) {
		json_decref(text);
		items_fail(e, 400, "INVALID_QUERY", "Invalid query. \"%s\" is "
		    "given more than once.", name);
		return -1;
	}
	return json_object_set_new(c->qtext, name, text) == 0 ? 0 : -1;
}

/* "a" then "a,b": one more field of a list given in parts. */
static json_t *
items_csv_append(json_t *prev, const char *value)
{
	char	*s;
	json_t	*v;

	if (prev == NULL)
		return json_string_nocheck(value);
	if (asprintf(&s, "%s,%s", json_string_value(prev), value) == -1)
		return NULL;
	v = json_string_nocheck(s);
	free(s);
	return v;
}

/*
 * The bracket forms qs writes and Directus reads: aggregate[fn]=fields
 * and groupBy[]=field, gathered into the object and the list that the
 * plain forms give.  Any other bracket form is refused.
 */
static int
items_param_bracket(struct items_ctx *c, const char *key, const char *value,
    struct items_err *e)
{
	char	 fn[32];
	size_t	 n = strcspn(key, "["), len = strlen(key);
	json_t	*v;

	if (n == 7 && strncmp(key, "groupBy", 7) == 0 &&
	    key[len - 1] == ']' && strchr(key + 8, '[') == NULL) {
		v = items_csv_append(c->group, value);
		json_decref(c->group);
		return (c->group = v) != NULL ? 0 : -1;
	}
	if (n == 9 && strncmp(key, "aggregate", 9) == 0 &&
	    key[len - 1] == ']' && strchr(key + 10, '[') == NULL &&
	    len - 11 > 0 && len - 11 < sizeof(fn)) {
		memcpy(fn, key + 10, len - 11);
		fn[len - 11] = '\0';
		for (n = 0; isalpha((unsigned char)fn[n]); n++)
			;
		/* JSON text to come: names and fields are UTF-8 here. */
		if (fn[n] != '\0' || (v = json_string(value)) == NULL) {
			items_fail(e, 400, "INVALID_QUERY", "Invalid query. "
			    "\"aggregate\" must be an object of functions and "
			    "fields.");
			return -1;
		}
		json_decref(v);
		v = items_csv_append(json_object_get(c->agg, fn), value);
		return json_object_set_new(c->agg, fn, v);
	}
	if (n == 6 && strncmp(key, "filter", 6) == 0)
		items_fail(e, 400, "INVALID_QUERY", "Invalid query. "
		    "\"filter\" must be a JSON string.");
	else
		items_fail(e, 400, "INVALID_QUERY", "Invalid query. \"%.*s\" "
		    "must be one parameter, not in bracket form.", (int)n, key);
	return -1;
}

/*
 * The query string's parameters, each at most once, into c->qtext, as
 * the bytes they decode to: whether a value must be UTF-8 is the
 * parser's to say (query.c).
 * What Directus knows and tokend does not do is refused by name, and
 * so is any of them on SEARCH, whose query is in its body; others are
 * ignored, as Directus ignores them.
 */
static int
items_params_query(struct items_ctx *c, struct items_err *e)
{
	struct evkeyval		*kv;
	const char		*bad;
	char			*text;
	size_t			 n;
	int			 rv;

	TAILQ_FOREACH(kv, &c->params, next) {
		n = strcspn(kv->key, "[");
		if ((bad = query_param_unsupported(kv->key)) != NULL) {
			items_fail(e, 400, "INVALID_QUERY", "Invalid query. "
			    "\"%s\" is not supported.", bad);
			return -1;
		}
		if (items_param_index(kv->key, n) == -1)
			continue;
		if (c->method == ITEMS_SEARCH) {
			items_fail(e, 400, "INVALID_QUERY", "Invalid query. "
			    "SEARCH takes its query in the body.");
			return -1;
		}
		if (kv->key[n] == '[')
			rv = items_param_bracket(c, kv->key, kv->value, e);
		else
			rv = items_param_set(c, kv->key,
			    json_string_nocheck(kv->value), e);
		if (rv == -1)
			goto fail;
	}
	if (json_object_size(c->agg) > 0) {
		if ((text = json_dumps(c->agg, JSON_COMPACT)) == NULL ||
		    items_param_set(c, "aggregate", json_string(text),
		    e) == -1) {
			free(text);
			goto fail;
		}
		free(text);
	}
	if (c->group != NULL && items_param_set(c, "groupBy",
	    json_incref(c->group), e) == -1)
		goto fail;
	return 0;
 fail:
	items_fail(e, 500, "INTERNAL_SERVER_ERROR",
	    "An unexpected error occurred.");
	return -1;
}

/*
 * SEARCH: {"query": {...}} with the parameters as JSON values (the
 * SDK's withSearch() sends fields and groupBy as lists, filter and
 * aggregate as objects), turned into the texts of the query string,
 * which then go through the same parser and bounds.
 */
static int
items_params_body(struct items_ctx *c, struct items_err *e)
{
	json_t		*q, *v;
	const char	*key, *bad;
	char		 reason[QUERY_REASON_MAX];

	if (c->body == NULL)
		return 0;
	if (!json_is_object(c->body) ||
	    ((q = json_object_get(c->body, "query")) != NULL &&
	    !json_is_object(q))) {
		items_fail(e, 400, "INVALID_PAYLOAD", "Invalid payload. "
		    "SEARCH takes {\"query\": {...}}.");
		return -1;
	}
	json_object_foreach(q, key, v) {
		if ((bad = query_param_unsupported(key)) != NULL) {
			items_fail(e, 400, "INVALID_QUERY", "Invalid query. "
			    "\"%s\" is not supported.", bad);
			return -1;
		}
		if (items_param_index(key, strlen(key)) == -1)
			continue;
		if (query_param_text(key, v, reason, sizeof(reason),
		    &v) == -1) {
			items_fail(e, 400, "INVALID_QUERY",
			    "Invalid query. %s.", reason);
			return -1;
		}
		if (v != NULL && items_param_set(c, key, v, e) == -1)
			return -1;
	}
	return 0;
}

/* The texts of the parameters, as query_parse() takes them. */
static int
items_params(struct items_ctx *c, struct query_params *qp,
    struct items_err *e)
{
	const char	**slot[] = { &qp->fields, &qp->filter, &qp->sort,
			    &qp->limit, &qp->offset, &qp->page, &qp->meta,
			    &qp->search, &qp->aggregate, &qp->group_by };
	size_t		 i;

	memset(qp, 0, sizeof(*qp));
	if ((c->qtext == NULL && (c->qtext = json_object()) == NULL) ||
	    (c->agg == NULL && (c->agg = json_object()) == NULL)) {
		items_fail(e, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
		return -1;
	}
	json_object_clear(c->qtext);
	if (items_params_query(c, e) == -1 || (c->method == ITEMS_SEARCH &&
	    items_params_body(c, e) == -1))
		return -1;
	for (i = 0; i < ITEMS_NPARAMS; i++)
		*slot[i] = json_string_value(json_object_get(c->qtext,
		    items_param_names[i]));
	return 0;
}

/* The SQL for a field of this collection; -1 when it has no such field. */
static int
items_column(void *arg, const char *field, struct query_sql *qs)
{
	const struct items_schema	*sa = arg;
	const struct conf_collection	*coll = sa->coll;
	char				 path[CONF_IDENT_MAX + 8];
	json_t				*v;

	if (strcmp(field, "id") == 0) {
		query_sql_add(qs, QUERY_SQL_PG(qs) ? "to_jsonb(id)" : "id");
		return 0;
	}
	if (!coll->fields.all && !config_fields_has(&coll->fields, field))
		return -1;
	/*
	 * PostgreSQL: the member as jsonb, JSON's null as SQL's (as
	 * json_extract gives it); query_sql.c guards its kind.
	 */
	if (QUERY_SQL_PG(qs)) {
		v = json_string(field);
		query_sql_add(qs, "NULLIF((doc -> ");
		query_sql_bind_raw(qs, v);
		query_sql_add(qs, "::text)::jsonb, 'null'::jsonb)");
		json_decref(v);
		return 0;
	}
	/*
	 * An object or array value compares as nothing (a blob), never as
	 * its JSON text, as the in-memory matcher sees it.
	 */
	(void)snprintf(path, sizeof(path), "$.\"%s\"", field);
	v = json_string(path);
	query_sql_add(qs, "(CASE WHEN json_type(doc, ");
	query_sql_bind(qs, v);
	query_sql_add(qs, ") IN ('object', 'array') THEN x'' ELSE "
	    "json_extract(doc, ");
	query_sql_bind(qs, v);
	query_sql_add(qs, ") END)");
	json_decref(v);
	return 0;
}

/* Is field one of this collection's, "id" included? */
static int
items_field_known(const struct conf_collection *coll, const char *field)
{
	return strcmp(field, "id") == 0 || coll->fields.all ||
	    config_fields_has(&coll->fields, field);
}

static int
items_uuid_valid(const char *s)
{
	size_t	 i;

	if (strlen(s) != CONF_UUID_LEN)
		return 0;
	for (i = 0; i < CONF_UUID_LEN; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' :
		    !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * The search condition (query_where.c asks it of the schema): a field
 * of the document that the collection has and the caller may read
 * holds text containing the term in any ASCII letter case, or, when
 * the term is a number, a number equal to it; or the key equals the
 * term (an integer, or a uuid), as Directus searches its primary key
 * among the numeric or uuid fields.  The term is bound: instr() gives
 * no character a meaning, where Directus's LIKE would read % and _.
 */
static int
items_search(void *arg, const struct query_search *s,
    const struct conf_fields *readable, struct query_sql *qs)
{
	const struct items_schema	*sa = arg;
	const struct conf_collection	*coll = sa->coll;
	json_t				*v;

	query_sql_add(qs, "(");
	query_search_doc_sql(s, readable, &coll->fields, qs);
	if (readable->all || config_fields_has(readable, "id")) {
		if (!coll->pk_uuid && json_is_integer(s->number)) {
			query_sql_add(qs, " OR id = ");
			query_sql_bind_raw(qs, s->number);
		} else if (coll->pk_uuid && items_uuid_valid(s->text)) {
			query_sql_add(qs, " OR id = ");
			v = json_string(s->text);
			query_sql_bind_raw(qs, v);
			json_decref(v);
		}
	}
	query_sql_add(qs, ")");
	return 0;
}

/* A key from a path or a body, as the value to bind; NULL: malformed. */
static json_t *
items_key_value(const struct conf_collection *coll, json_t *v)
{
	const char	*s;
	long long	 n;
	char		*end;
	size_t		 i;

	if (coll->pk_uuid) {
		if (!json_is_string(v) || json_string_length(v) != CONF_UUID_LEN)
			return NULL;
		s = json_string_value(v);
		for (i = 0; i < CONF_UUID_LEN; i++)
			if ((i == 8 || i == 13 || i == 18 || i == 23) ?
			    s[i] != '-' : !isxdigit((unsigned char)s[i]))
				return NULL;
		return json_incref(v);
	}
	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (json_is_string(v) && isdigit((unsigned char)
	    *json_string_value(v)) && json_string_length(v) <= 16) {
		n = strtoll(json_string_value(v), &end, 10);
		if (*end != '\0')
			return NULL;
	} else
		return NULL;
	if (n < 1 || n > ITEMS_INT_KEY_MAX)
		return NULL;
	return json_integer(n);
}

static json_t *
items_key_text(const struct conf_collection *coll, const char *s)
{
	json_t	*v, *key;

	if ((v = json_string(s)) == NULL)
		return NULL;
	key = items_key_value(coll, v);
	json_decref(v);
	return key;
}

/*
 * " WHERE" with the permission's item filter, the request's filter (if
 * any) and a key list (if any), ANDed (query_where.c).
 */
static int
items_where(struct items_ctx *c, struct query_sql *qs,
    const struct conf_permission *perm, const struct query_node *filter,
    json_t *keys, const struct query_search *search)
{
	struct items_schema	 sa = { c, c->coll };
	struct query_schema	 schema = { .column = items_column,
				    .arg = &sa, .relation = items_relation,
				    .search = items_search };
	struct query_where	 w = { &schema, &c->vars, perm, filter, keys,
				    search };

	query_sql_add(qs, " WHERE ");
	return query_where_sql(&w, qs) == QUERY_WHERE_OK ? 0 : -1;
}

static void
items_table(struct items_ctx *c, struct query_sql *qs, const char *verb)
{
	char	 sql[128];

	(void)snprintf(sql, sizeof(sql), "%s \"items_%s\"", verb,
	    c->coll->name);
	query_sql_add(qs, sql);
}

/* SQL in the store's dialect. */
static void
items_sql_init(struct query_sql *qs)
{
	query_sql_init_dialect(qs, istore_pg() ? QUERY_PG_JSONB : QUERY_SQLITE);
}

/* Run a prepared SQL text with its values bound; NULL on failure. */
static struct istore_stmt *
items_stmt(struct query_sql *qs, struct items_err *e)
{
	struct istore_stmt	*st;

	if (qs->error) {
		items_fail(e, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
		return NULL;
	}
	if (istore_run(qs, &st) != 0) {
		items_store_fail(e, ISTORE_UNAVAILABLE);
		return NULL;
	}
	return st;
}

static json_t *
items_row_key(struct istore_stmt *st)
{
	return istore_value(st, 0);
}

static void
items_put(json_t *out, const char *field, json_t *key, json_t *doc)
{
	json_t	*v;

	if (strcmp(field, "id") == 0)
		v = key;
	else if ((v = json_object_get(doc, field)) == NULL)
		v = json_null();
	(void)json_object_set(out, field, v);
}

/* The stored row as filters see it: the document and its key. */
static json_t *
items_raw_row(json_t *key, json_t *doc)
{
	json_t	*raw;

	if ((raw = json_copy(doc)) != NULL &&
	    json_object_set(raw, "id", key) == -1) {
		json_decref(raw);
		raw = NULL;
	}
	return raw;
}

/*
 * One row as the client sees it: the fields asked for, or all the
 * fields the permission covers (for "*"), the missing ones as null,
 * and those the row does not show to a merged permission as null too.
 */
static json_t *
items_row(struct items_ctx *c, struct istore_stmt *st,
    const struct conf_permission *perm)
{
	json_t		*out, *key, *doc;
	size_t		 i;

	if ((out = items_row_of(c->coll, &c->q.fields, st, perm,
	    &c->vars)) == NULL ||
	    c->q.nrels == 0)
		return out;
	/* The related keys, which items_nest() turns into the items. */
	key = items_row_key(st);
	doc = json_loads(istore_text(st, 1), 0, NULL);
	for (i = 0; key != NULL && doc != NULL && i < c->q.nrels; i++)
		items_put(out, c->q.rels[i].field, key, doc);
	json_decref(key);
	json_decref(doc);
	return out;
}

static json_t *
items_row_of(const struct conf_collection *coll,
    const struct conf_fields *want, struct istore_stmt *st,
    const struct conf_permission *perm, const struct query_vars *vars)
{
	json_t				*out, *key, *doc, *v, *raw;
	const char			*k;
	size_t				 i;

	key = items_row_key(st);
	doc = json_loads(istore_text(st, 1), 0, NULL);
	out = json_object();
	if (key == NULL || doc == NULL || out == NULL)
		goto done;
	if (want->all && !perm->fields.all)
		want = &perm->fields;
	if (want->all && !coll->fields.all)
		want = &coll->fields;
	if (want->all || want == &coll->fields)
		(void)json_object_set(out, "id", key);
	if (want->all) {
		json_object_foreach(doc, k, v)
			(void)json_object_set(out, k, v);
	} else
		for (i = 0; i < want->n; i++)
			items_put(out, want->names[i], key, doc);
	if (perm->merged) {
		raw = items_raw_row(key, doc);
		if (raw == NULL || perm_row_mask(perm, raw, out, vars) == -1) {
			json_decref(out);
			out = NULL;
		}
		json_decref(raw);
	}
 done:
	json_decref(key);
	json_decref(doc);
	return out;
}

static int
items_limit(struct items_ctx *c, struct query_sql *qs, json_t *keys)
{
	struct items_schema	 sa = { c, c->coll };
	struct query_schema	 schema = { .column = items_column,
				    .arg = &sa };

	if (query_sort_sql(&c->q, &schema, qs) == -1)
		return -1;
	query_sql_add(qs, c->q.nsort > 0 ? ", id" : " ORDER BY id");
	if (keys != NULL)
		return 0;
	items_page(c, qs);
	return 0;
}

/* " LIMIT ? OFFSET ?" of the query. */
static void
items_page(struct items_ctx *c, struct query_sql *qs)
{
	json_t	*v;

	query_sql_add(qs, " LIMIT ");
	/* SQLite's LIMIT -1 is PostgreSQL's LIMIT NULL: every row. */
	v = QUERY_SQL_PG(qs) && c->q.limit < 0 ? json_null() : json_integer(c->q.limit);
	query_sql_bind_raw(qs, v);
	json_decref(v);
	query_sql_add(qs, " OFFSET ");
	v = json_integer(c->q.offset);
	query_sql_bind_raw(qs, v);
	json_decref(v);
}

/* Read the visible rows (of keys, when given) into a JSON array. */
static json_t *
items_select(struct items_ctx *c, const struct conf_permission *perm,
    json_t *keys, struct items_err *e)
{
	struct query_sql	 qs;
	struct istore_stmt	*st;
	json_t			*rows = NULL, *row;
	int			 rc;

	items_sql_init(&qs);
	items_table(c, &qs, "SELECT id, doc FROM");
	if (items_where(c, &qs, perm, keys != NULL ? NULL : c->q.filter,
	    keys, c->q.search) == -1 || items_limit(c, &qs, keys) == -1) {
		items_forbidden(e);
		goto done;
	}
	if ((st = items_stmt(&qs, e)) == NULL)
		goto done;
	rows = json_array();
	while (rows != NULL && (rc = istore_step(st)) == ISTORE_ROW) {
		if ((row = items_row(c, st, perm)) == NULL ||
		    json_array_append_new(rows, row) == -1)
			rc = ISTORE_UNAVAILABLE;
	}
	if (rows == NULL || rc != 0) {
		items_store_fail(e, ISTORE_UNAVAILABLE);
		json_decref(rows);
		rows = NULL;
	}
	istore_release(st);
 done:
	query_sql_free(&qs);
	return rows;
}

/*
 * The collection a relation of coll reaches, with the caller's read
 * permission on it, for a field the query names ("Queried in").  Items
 * of directus_users live in keyd, which the worker asks; NULL with the
 * error otherwise.
 */
static const struct conf_collection *
items_rel_target(struct items_ctx *c, const struct conf_collection *coll,
    const char *field, const struct conf_permission **rperm,
    struct items_err *e)
{
	const struct conf_collection	*target;
	const char			*name;

	if ((name = config_relation(coll, field)) == NULL) {
		if (e != NULL)
			items_fail(e, 400, "INVALID_QUERY", "Invalid query. "
			    "\"%s\" is not a relation of collection \"%s\".",
			    field, coll->name);
		return NULL;
	}
	/* The worker resolves the users of the top level (items.c). */
	if (strcmp(name, CONF_USERS_COLLECTION) == 0 ||
	    (target = config_collection(c->conf, name)) == NULL) {
		if (e != NULL)
			items_fail(e, 400, "INVALID_QUERY", "Invalid query. "
			    "Users are reached through \"%s\" only from the "
			    "collection asked for, not from a related one.",
			    field);
		return NULL;
	}
	if ((*rperm = perm_lookup(c->conf, &c->who, name, PERM_READ)) ==
	    NULL) {
		if (e != NULL)
			items_fail(e, 403, "FORBIDDEN", "You don't have "
			    "permission to access collection \"%s\" or it "
			    "does not exist. Queried in \"%s\".", name, field);
		return NULL;
	}
	return target;
}

/* Does field of coll reference directus_users? */
static int
items_rel_users(const struct conf_collection *coll, const char *field)
{
	const char	*name = config_relation(coll, field);

	return name != NULL && strcmp(name, CONF_USERS_COLLECTION) == 0;
}

/* Is field one of coll's, within perm? */
static int
items_field_readable(const struct conf_collection *coll,
    const struct conf_permission *perm, const char *field)
{
	if (strcmp(field, "id") != 0 && !coll->fields.all &&
	    !config_fields_has(&coll->fields, field))
		return 0;
	return perm_field_allowed(perm, field);
}

struct items_rel_walk {
	const struct conf_collection	*coll;
	const struct conf_permission	*perm;
	const char			*bad;
};

static int
items_rel_walk_field(void *arg, const char *field)
{
	struct items_rel_walk	*w = arg;

	if (items_field_readable(w->coll, w->perm, field))
		return 0;
	w->bad = field;
	return -1;
}

/*
 * Every QOP_REL of a filter on coll: a relation to a collection the
 * caller may read, and the related filter only on fields it may read
 * there (recursively).  0, or -1 with the error (when e is not NULL).
 */
static int
items_rel_filter(struct items_ctx *c, const struct conf_collection *coll,
    const struct query_node *n, struct items_err *e)
{
	struct items_rel_walk		 w = { NULL, NULL, NULL };
	size_t				 i;

	if (n == NULL)
		return 0;
	if (n->op != QOP_REL) {
		for (i = 0; i < n->nkids; i++)
			if (items_rel_filter(c, coll, n->kids[i], e) == -1)
				return -1;
		return 0;
	}
	if (n->nkids != 1 || (w.coll = items_rel_target(c, coll, n->field,
	    &w.perm, e)) == NULL)
		return -1;
	(void)query_node_fields(n->kids[0], items_rel_walk_field, &w);
	if (w.bad != NULL) {
		if (e != NULL)
			items_fail(e, 403, "FORBIDDEN", "You don't have "
			    "permission to access field \"%s\" in collection "
			    "\"%s\" or it does not exist. Queried in \"%s\".",
			    w.bad, w.coll->name, n->field);
		return -1;
	}
	return items_rel_filter(c, w.coll, n->kids[0], e);
}

/*
 * {"category": {"name": {"_eq": "x"}}} as SQL: the field is the key of
 * a related item that the caller may read and that passes the related
 * filter: a subquery on the related table, under its read permission's
 * item filter.
 */
static int
items_relation(void *arg, const struct query_node *n,
    const struct query_vars *vars, struct query_sql *qs)
{
	struct items_schema		*sa = arg, sub = { sa->c, NULL };
	struct query_schema		 schema = { .column = items_column,
					    .arg = &sub,
					    .relation = items_relation };
	const struct conf_permission	*rperm;
	struct query_where		 w;
	char				 sql[128];

	if (items_rel_filter(sa->c, sa->coll, n, NULL) == -1 ||
	    (sub.coll = items_rel_target(sa->c, sa->coll, n->field, &rperm,
	    NULL)) == NULL || items_column(sa, n->field, qs) == -1)
		return -1;
	(void)snprintf(sql, sizeof(sql), " IN (SELECT %s FROM \"items_%s\" "
	    "WHERE ", QUERY_SQL_PG(qs) ? "to_jsonb(id)" : "id", sub.coll->name);
	query_sql_add(qs, sql);
	w = (struct query_where){ &schema, vars, rperm, n->kids[0], NULL,
	    NULL };
	if (query_where_sql(&w, qs) != QUERY_WHERE_OK)
		return -1;
	query_sql_add(qs, ")");
	return 0;
}

/*
 * ?fields with "category.name" or "category.*": each a relation of the
 * collection to one the caller may read, each related field one it may
 * read there, and the relation's own field one it may read here.
 */
static int
items_rels_check(struct items_ctx *c, const struct conf_permission *perm,
    struct items_err *e)
{
	const struct conf_permission	*rperm;
	const struct conf_collection	*target;
	const struct query_rel		*r;
	size_t				 i, k;

	for (i = 0; i < c->q.nrels; i++) {
		r = &c->q.rels[i];
		/*
		 * A relation whose own field the caller may not read is
		 * left out of the answer, as Directus 11.3.5 does (an
		 * explicitly named plain field is refused).
		 */
		if (config_relation(c->coll, r->field) != NULL &&
		    !perm_field_allowed(perm, r->field)) {
			free(c->q.rels[i].sub.names);
			free(c->q.rels[i].deep_sub.names);
			memmove(&c->q.rels[i], &c->q.rels[i + 1],
			    (c->q.nrels - i - 1) * sizeof(c->q.rels[0]));
			memset(&c->q.rels[--c->q.nrels], 0,
			    sizeof(c->q.rels[0]));
			i--;
			continue;
		}
		/* keyd checks the fields of users (items.c asks it). */
		if (items_rel_users(c->coll, r->field))
			continue;
		if ((target = items_rel_target(c, c->coll, r->field, &rperm,
		    e)) == NULL)
			return -1;
		for (k = 0; k < r->sub.n; k++)
			if (!items_field_readable(target, rperm,
			    r->sub.names[k])) {
				items_fail(e, 403, "FORBIDDEN", "You don't "
				    "have permission to access field \"%s\" "
				    "in collection \"%s\" or it does not "
				    "exist. Queried in \"%s\".",
				    r->sub.names[k], target->name, r->field);
				return -1;
			}
	}
	return 0;
}

/*
 * The related items of one relation, read under the caller's read
 * permission on their collection: a JSON object from each key's text
 * to the item cut to the fields asked for.
 */
static json_t *
items_rel_read(struct items_ctx *c, const struct conf_collection *target,
    const struct conf_permission *rperm, const struct query_rel *r,
    json_t *keys, struct items_err *e)
{
	struct items_schema	 sa = { c, target };
	struct query_schema	 schema = { .column = items_column, .arg = &sa,
				    .relation = items_relation };
	struct query_where	 w = { &schema, &c->vars, rperm, NULL, keys,
				    NULL };
	struct query_sql	 qs;
	struct istore_stmt	*st;
	json_t			*map, *row, *key;
	char			 sql[128], *text;
	int			 rc = 0;

	items_sql_init(&qs);
	(void)snprintf(sql, sizeof(sql), "SELECT id, doc FROM \"items_%s\" "
	    "WHERE ", target->name);
	query_sql_add(&qs, sql);
	if ((map = json_object()) == NULL ||
	    query_where_sql(&w, &qs) != QUERY_WHERE_OK ||
	    (st = items_stmt(&qs, e)) == NULL) {
		items_forbidden(e);
		query_sql_free(&qs);
		json_decref(map);
		return NULL;
	}
	while ((rc = istore_step(st)) == ISTORE_ROW) {
		key = items_row_key(st);
		text = key != NULL ? json_dumps(key, JSON_ENCODE_ANY) : NULL;
		row = items_row_of(target, &r->sub, st, rperm, &c->vars);
		if (text == NULL || row == NULL ||
		    json_object_set_new(map, text, row) == -1)
			rc = ISTORE_UNAVAILABLE;
		free(text);
		json_decref(key);
		if (rc == ISTORE_UNAVAILABLE)
			break;
	}
	istore_release(st);
	query_sql_free(&qs);
	if (rc != 0) {
		items_store_fail(e, ISTORE_UNAVAILABLE);
		json_decref(map);
		return NULL;
	}
	return map;
}

/*
 * Each relation the fields name, nested as Directus nests it: the key
 * of a row replaced by the related item, or null for none (no key, or
 * an item the caller may not read).  One read per relation, of the
 * page's keys only.
 */
static int
items_nest(struct items_ctx *c, json_t *rows, struct items_err *e)
{
	const struct conf_permission	*rperm;
	const struct conf_collection	*target;
	const struct query_rel		*r;
	json_t				*keys, *map, *row, *v, *k, *hit;
	size_t				 i, j;
	char				*text;

	for (i = 0; i < c->q.nrels; i++) {
		r = &c->q.rels[i];
		if (items_rel_users(c->coll, r->field))
			continue;	/* the worker nests them (items.c) */
		if ((target = items_rel_target(c, c->coll, r->field, &rperm,
		    e)) == NULL || (keys = json_array()) == NULL)
			return -1;
		json_array_foreach(rows, j, row)
			if ((k = items_key_value(target, json_object_get(row,
			    r->field))) != NULL)
				json_array_append_new(keys, k);
		map = json_array_size(keys) > 0 ? items_rel_read(c, target,
		    rperm, r, keys, e) : json_object();
		json_decref(keys);
		if (map == NULL)
			return -1;
		json_array_foreach(rows, j, row) {
			hit = NULL;
			v = items_key_value(target, json_object_get(row,
			    r->field));
			text = v != NULL ? json_dumps(v, JSON_ENCODE_ANY) :
			    NULL;
			if (text != NULL)
				hit = json_object_get(map, text);
			free(text);
			json_decref(v);
			(void)json_object_set(row, r->field, hit != NULL ?
			    hit : json_null());
		}
		json_decref(map);
	}
	return 0;
}

/*
 * The groups of an aggregate or groupBy query, in Directus's shape:
 * one SELECT with the permission's item filter in its WHERE, so that
 * nothing the caller may not read is counted.
 */
static json_t *
items_groups(struct items_ctx *c, const struct conf_permission *perm,
    struct items_err *e)
{
	struct items_schema	 sa = { c, c->coll };
	struct query_schema	 schema = { .column = items_column,
				    .arg = &sa };
	struct query_sql	 qs;
	struct istore_stmt	*st;
	json_t			*rows = NULL, *row;
	int			 rc;

	items_sql_init(&qs);
	query_sql_add(&qs, "SELECT ");
	if (query_group_sql(&c->q, &schema, &qs) == -1) {
		items_forbidden(e);
		goto done;
	}
	items_table(c, &qs, " FROM");
	if (items_where(c, &qs, perm, c->q.filter, NULL, c->q.search) == -1 ||
	    query_group_order_sql(&c->q, &schema, &qs) == -1) {
		items_forbidden(e);
		goto done;
	}
	items_page(c, &qs);
	if ((st = items_stmt(&qs, e)) == NULL)
		goto done;
	rows = json_array();
	while (rows != NULL && (rc = istore_step(st)) == ISTORE_ROW) {
		if ((row = query_group_row_of(&c->q, istore_value, st)) == NULL ||
		    json_array_append_new(rows, row) == -1)
			rc = ISTORE_UNAVAILABLE;
	}
	if (rows == NULL || rc != 0) {
		items_store_fail(e, ISTORE_UNAVAILABLE);
		json_decref(rows);
		rows = NULL;
	}
	istore_release(st);
 done:
	query_sql_free(&qs);
	return rows;
}

static int
items_count(struct items_ctx *c, const struct conf_permission *perm,
    const struct query_node *filter, const struct query_search *search,
    json_int_t *n, struct items_err *e)
{
	return items_count_where(c, perm, filter, NULL, search, n, e);
}

/* How many of the keys the permission's filter lets through. */
static int
items_count_keys(struct items_ctx *c, const struct conf_permission *perm,
    json_t *keys, json_int_t *n, struct items_err *e)
{
	return items_count_where(c, perm, NULL, keys, NULL, n, e);
}

static int
items_count_where(struct items_ctx *c, const struct conf_permission *perm,
    const struct query_node *filter, json_t *keys,
    const struct query_search *search, json_int_t *n, struct items_err *e)
{
	struct query_sql	 qs;
	struct istore_stmt	*st;
	json_t			*v;
	int			 rv = -1;

	items_sql_init(&qs);
	items_table(c, &qs, "SELECT count(*) FROM");
	if (items_where(c, &qs, perm, filter, keys, search) == -1)
		items_forbidden(e);
	else if ((st = items_stmt(&qs, e)) != NULL) {
		if (istore_step(st) == ISTORE_ROW) {
			v = istore_value(st, 0);
			*n = json_integer_value(v);
			json_decref(v);
			rv = 0;
		} else
			items_store_fail(e, ISTORE_UNAVAILABLE);
		istore_release(st);
	}
	query_sql_free(&qs);
	return rv;
}

/* What query_meta() counts: a meta count of a list of items. */
struct items_meta_arg {
	struct items_ctx		*c;
	const struct conf_permission	*perm;
	struct items_err		*e;
};

static int
items_meta_count(void *arg, int with_filter, int64_t *n)
{
	struct items_meta_arg	*m = arg;
	json_int_t		 count;

	/* filter_count: the request's filter and search, as Directus. */
	if (items_count(m->c, m->perm, with_filter ? m->c->q.filter : NULL,
	    with_filter ? m->c->q.search : NULL, &count, m->e) == -1)
		return -1;
	*n = count;
	return 0;
}

static json_t *
items_meta(struct items_ctx *c, const struct conf_permission *perm,
    struct items_err *e)
{
	struct items_meta_arg	 m = { c, perm, e };

	return query_meta(c->q.meta, items_meta_count, &m);
}

static void
items_send(struct items_ctx *c, json_t *data, json_t *meta)
{
	json_t	*wrap;
	char	*text = NULL;

	wrap = json_pack("{s:o}", "data", data);
	if (wrap != NULL && meta != NULL)
		(void)json_object_set_new(wrap, "meta", meta);
	else
		json_decref(meta);
	if (wrap != NULL)
		text = json_dumps(wrap, JSON_COMPACT);
	if (text != NULL && strlen(text) > ITEMS_ANSWER_MAX) {
		free(text);
		text = NULL;
		items_reply(c, 400, http_error_text("INVALID_QUERY",
		    "Invalid query. The answer is too large: ask for fewer "
		    "items or fields."));
	} else if (text != NULL)
		items_reply(c, 200, text);
	else
		items_reply(c, 500, http_error_text("INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred."));
	json_decref(wrap);
}

/*
 * An aggregate query reads the groupBy and aggregated fields, and
 * filters: each must be the collection's and the permission's.  Its
 * "fields" mean nothing (Directus ignores them too), and its sort is
 * over groups (query_grouped_check).
 */
static int
items_query_grouped(struct items_ctx *c, const struct conf_permission *perm,
    struct items_err *e)
{
	struct query	 filter_only = c->q;
	char		 reason[QUERY_REASON_MAX];
	const char	*bad = NULL;
	size_t		 i;

	for (i = 0; bad == NULL && i < c->q.ngroup; i++)
		if (!items_field_known(c->coll, c->q.group[i]) ||
		    !perm_field_allowed(perm, c->q.group[i]))
			bad = c->q.group[i];
	for (i = 0; bad == NULL && i < c->q.nagg; i++)
		if (strcmp(c->q.agg[i].field, "*") != 0 &&
		    (!items_field_known(c->coll, c->q.agg[i].field) ||
		    !perm_field_allowed(perm, c->q.agg[i].field)))
			bad = c->q.agg[i].field;
	if (bad != NULL) {
		items_fail(e, 403, "FORBIDDEN", "You don't have permission "
		    "to access field \"%s\" or it does not exist.", bad);
		return -1;
	}
	memset(&filter_only.fields, 0, sizeof(filter_only.fields));
	filter_only.fields.all = 1;
	filter_only.nsort = 0;
	if (perm_query_check(perm, &filter_only, reason,
	    sizeof(reason)) == -1) {
		items_fail(e, 403, "FORBIDDEN", "%s.", reason);
		return -1;
	}
	return 0;
}

/* Parse and check the query against the read permission. */
static int
items_query(struct items_ctx *c, const struct conf_permission *perm,
    struct items_err *e)
{
	struct query_params	 qp;
	char			 reason[QUERY_REASON_MAX];
	const char		*bad;
	size_t			 i;

	if (items_params(c, &qp, e) == -1)
		return -1;
	if (query_parse(&c->q, &qp, c->conf->query_limit, reason,
	    sizeof(reason)) == -1) {
		items_fail(e, 400, "INVALID_QUERY", "Invalid query. %s.",
		    reason);
		return -1;
	}
	if (items_rels_check(c, perm, e) == -1 ||
	    items_rel_filter(c, c->coll, c->q.filter, e) == -1)
		return -1;
	if (QUERY_GROUPED(&c->q))
		return items_query_grouped(c, perm, e);
	for (i = 0; i < c->q.fields.n; i++)
		if (!items_field_known(c->coll, c->q.fields.names[i]))
			break;
	bad = i < c->q.fields.n ? c->q.fields.names[i] :
	    perm_query_bad(perm, &c->q);
	if (bad != NULL) {
		items_denied(e, "You don't have permission to access field "
		    "\"%s\" in collection \"%s\" or it does not exist. "
		    "Queried in root.", bad, c->coll->name);
		return -1;
	}
	return 0;
}

/* GET /items/c and GET /items/c/key */
static void
items_read(struct items_ctx *c, struct items_err *e)
{
	const struct conf_permission	*perm;
	json_t				*rows, *keys = NULL, *key, *meta = NULL;

	if ((perm = perm_lookup(c->conf, &c->who, c->coll->name,
	    PERM_READ)) == NULL)
		items_denied(e, "You don't have permission to access "
		    "collection \"%s\" or it does not exist. Queried in root.",
		    c->coll->name);
	if (perm == NULL || items_query(c, perm, e) == -1) {
		items_forbidden(e);
		return;
	}
	if (c->key[0] != '\0' && QUERY_GROUPED(&c->q)) {
		items_fail(e, 400, "INVALID_QUERY", "Invalid query. "
		    "\"aggregate\" and \"groupBy\" apply to a collection, "
		    "not to one item.");
		return;
	}
	if (c->key[0] != '\0') {
		if ((key = items_key_text(c->coll, c->key)) == NULL) {
			items_forbidden(e);
			return;
		}
		keys = json_pack("[o]", key);
	}
	if (QUERY_GROUPED(&c->q))
		rows = items_groups(c, perm, e);
	else {
		rows = items_select(c, perm, keys, e);
		if (rows != NULL && items_nest(c, rows, e) == -1) {
			json_decref(rows);
			rows = NULL;
		}
	}
	if (rows != NULL && keys == NULL && c->q.meta != 0)
		meta = items_meta(c, perm, e);
	if (e->status != 0)
		json_decref(meta);
	else if (keys == NULL)
		items_send(c, json_incref(rows), meta);
	else if (json_array_size(rows) == 0)
		items_forbidden(e);
	else
		items_send(c, json_incref(json_array_get(rows, 0)), NULL);
	json_decref(rows);
	json_decref(keys);
}

/*
 * The fields a payload writes: each an identifier of the collection,
 * covered by the permission.  "id" is the key, checked apart.
 */
static int
items_payload_fields(struct items_ctx *c, const struct conf_permission *perm,
    json_t *payload, struct items_err *e)
{
	const char	*k;
	json_t		*v;

	if (!json_is_object(payload)) {
		items_fail(e, 400, "INVALID_PAYLOAD",
		    "Invalid payload. An item must be an object.");
		return -1;
	}
	json_object_foreach(payload, k, v) {
		if (!query_ident_valid(k)) {
			items_fail(e, 400, "INVALID_PAYLOAD", "Invalid payload. "
			    "A field name is invalid.");
			return -1;
		}
		if (!perm_field_allowed(perm, k)) {
			items_fail(e, 403, "FORBIDDEN", "You don't have "
			    "permission to access field \"%s\" or it does "
			    "not exist.", k);
			return -1;
		}
		if (strcmp(k, "id") != 0 && !c->coll->fields.all &&
		    !config_fields_has(&c->coll->fields, k)) {
			items_fail(e, 400, "INVALID_PAYLOAD", "Invalid payload. "
			    "Field \"%s\" does not exist in \"%s\".", k,
			    c->coll->name);
			return -1;
		}
	}
	return 0;
}

static int
items_validate(struct items_ctx *c, const struct conf_permission *perm,
    json_t *payload, struct items_err *e)
{
	if (perm_validate(perm, payload, &c->vars))
		return 0;
	items_fail(e, 400, "FAILED_VALIDATION",
	    "Validation failed: the item does not satisfy the rules of "
	    "\"%s\".", c->coll->name);
	return -1;
}

static json_t *
items_new_uuid(void)
{
	uint8_t	 b[16];
	char	 s[CONF_UUID_LEN + 1];

	arc4random_buf(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	(void)snprintf(s, sizeof(s), "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
	    b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]);
	return json_string(s);
}

/* Bind a document as its JSON text. */
static void
items_doc_bind(struct query_sql *qs, json_t *doc)
{
	json_t	*v = NULL;
	char	*text;

	if ((text = json_dumps(doc, JSON_COMPACT)) != NULL)
		v = json_string(text);
	free(text);
	query_sql_bind_raw(qs, v);	/* NULL: qs->error */
	json_decref(v);
}

/* Step a write: 0, or -1 with e set. */
static int
items_write_step(struct istore_stmt *st, struct items_err *e)
{
	int	 rc;

	if ((rc = istore_step(st)) != 0 && rc != ISTORE_ROW) {
		items_store_fail(e, rc);
		return -1;
	}
	return 0;
}

/*
 * PostgreSQL: a key given by the client moves the collection's
 * sequence past it, so that the next key it makes is free (SQLite's
 * AUTOINCREMENT does so by itself).
 */
static int
items_pg_sequence(struct items_ctx *c, json_t *key, struct items_err *e)
{
	struct query_sql	 qs;
	struct istore_stmt	*st;
	char			 sql[256];
	int			 rv = -1;

	if (!istore_pg() || !json_is_integer(key))
		return 0;
	items_sql_init(&qs);
	(void)snprintf(sql, sizeof(sql), "SELECT setval(s::regclass, ");
	query_sql_add(&qs, sql);
	query_sql_bind_raw(&qs, key);
	(void)snprintf(sql, sizeof(sql), "::bigint) FROM pg_get_serial_"
	    "sequence('\"items_%s\"', 'id') AS s WHERE ", c->coll->name);
	query_sql_add(&qs, sql);
	query_sql_bind_raw(&qs, key);
	query_sql_add(&qs, "::bigint > coalesce(pg_sequence_last_value("
	    "s::regclass), 0)");
	if ((st = items_stmt(&qs, e)) != NULL) {
		rv = items_write_step(st, e);
		istore_release(st);
	}
	query_sql_free(&qs);
	return rv;
}

/* INSERT one checked payload; its key joins keys. */
static int
items_insert(struct items_ctx *c, json_t *payload, json_t *keys,
    struct items_err *e)
{
	struct query_sql	 qs;
	struct istore_stmt	*st;
	json_t			*key, *given;
	int			 rv = -1, rc;

	given = json_object_get(payload, "id");
	if (given != NULL && !json_is_null(given))
		key = items_key_value(c->coll, given);
	else
		key = c->coll->pk_uuid ? items_new_uuid() : json_null();
	if (key == NULL) {
		items_fail(e, 400, "INVALID_PAYLOAD",
		    "Invalid payload. \"id\" is not a valid key.");
		return -1;
	}
	(void)json_object_del(payload, "id");
	items_sql_init(&qs);
	items_table(c, &qs, "INSERT INTO");
	/* PostgreSQL makes a key for a missing one, and says which. */
	if (QUERY_SQL_PG(&qs) && json_is_null(key))
		query_sql_add(&qs, " (doc) VALUES (");
	else {
		query_sql_add(&qs, " (id, doc) VALUES (");
		query_sql_bind_raw(&qs, key);
		query_sql_add(&qs, ", ");
	}
	items_doc_bind(&qs, payload);
	query_sql_add(&qs, QUERY_SQL_PG(&qs) && json_is_null(key) ?
	    ") RETURNING id" : ")");
	if ((st = items_stmt(&qs, e)) != NULL) {
		if ((rc = istore_step(st)) == ISTORE_ROW) {
			(void)json_array_append_new(keys, istore_value(st, 0));
			rv = 0;
		} else if (rc != 0)
			items_store_fail(e, rc);
		else if (json_is_null(key)) {
			(void)json_array_append_new(keys,
			    json_integer(istore_last_id()));
			rv = 0;
		} else {
			(void)json_array_append(keys, key);
			rv = items_pg_sequence(c, key, e);
		}
		istore_release(st);
	}
	query_sql_free(&qs);
	json_decref(key);
	return rv;
}

/* The items of a create or delete body: an object, or an array of them. */
static json_t *
items_list(json_t *body, int *single, struct items_err *e)
{
	*single = json_is_object(body);
	if (*single)
		return json_pack("[O]", body);
	if (json_is_array(body) && json_array_size(body) <= ITEMS_BATCH_MAX)
		return json_incref(body);
	items_fail(e, 400, "INVALID_PAYLOAD", "Invalid payload. Expected an "
	    "object or an array of at most %d.", ITEMS_BATCH_MAX);
	return NULL;
}

/*
 * After a write, the items as the client may read them: 204 when it
 * may not (Directus does the same).
 */
static void
items_reread(struct items_ctx *c, json_t *keys, int single,
    struct items_err *e)
{
	const struct conf_permission	*perm;
	struct query_params		 qp;
	char				 reason[QUERY_REASON_MAX];
	json_t				*rows;

	perm = perm_lookup(c->conf, &c->who, c->coll->name, PERM_READ);
	memset(&qp, 0, sizeof(qp));
	qp.fields = evhttp_find_header(&c->params, "fields");
	query_free(&c->q);
	if (perm == NULL || query_parse(&c->q, &qp, c->conf->query_limit,
	    reason, sizeof(reason)) == -1 || c->q.nrels > 0 ||
	    perm_query_check(perm, &c->q,
	    reason, sizeof(reason)) == -1 ||
	    (rows = items_select(c, perm, keys, e)) == NULL) {
		e->status = 0;
		items_reply(c, 204, NULL);
		return;
	}
	if (!single)
		items_send(c, json_incref(rows), NULL);
	else if (json_array_size(rows) == 1)
		items_send(c, json_incref(json_array_get(rows, 0)), NULL);
	else
		items_reply(c, 204, NULL);
	json_decref(rows);
}

/* POST /items/c: one object or an array, all or nothing. */
static void
items_create(struct items_ctx *c, struct items_err *e)
{
	const struct conf_permission	*perm;
	json_t				*list, *item, *copy, *keys;
	size_t				 i;
	int				 single, rv;

	if ((perm = perm_lookup(c->conf, &c->who, c->coll->name,
	    PERM_CREATE)) == NULL) {
		items_denied(e, "You don't have permission to \"create\" from "
		    "collection \"%s\" or it does not exist.", c->coll->name);
		return;
	}
	if ((list = items_list(c->body, &single, e)) == NULL)
		return;
	keys = json_array();
	if (keys == NULL || (rv = istore_begin()) != 0) {
		items_store_fail(e, keys == NULL ? ISTORE_UNAVAILABLE : rv);
		goto done;
	}
	json_array_foreach(list, i, item) {
		copy = json_deep_copy(item);
		if (items_payload_fields(c, perm, item, e) == -1 ||
		    perm_presets(perm, copy, &c->vars) == -1 ||
		    items_validate(c, perm, copy, e) == -1 ||
		    items_insert(c, copy, keys, e) == -1) {
			json_decref(copy);
			break;
		}
		json_decref(copy);
	}
	if (e->status == 0 && (rv = istore_commit()) != 0)
		items_store_fail(e, rv);
	if (e->status != 0)
		istore_rollback();
	else
		items_reread(c, keys, single, e);
 done:
	json_decref(keys);
	json_decref(list);
}

/*
 * Directus 11's refusal of an update: the fields given, each quoted,
 * separated by ", " (cut where the message ends).
 */
static void
items_update_denied(struct items_ctx *c, const char *fields,
    struct items_err *e)
{
	items_denied(e, "You don't have permissions to perform \"update\" "
	    "for the field(s) %s in collection \"%s\" or it does not exist.",
	    fields, c->coll->name);
}

/* The same, with the fields of a payload. */
static void
items_update_denied_payload(struct items_ctx *c, json_t *payload,
    struct items_err *e)
{
	char		 fields[ITEMS_MSG_MAX / 2] = "";
	const char	*k;
	json_t		*v;
	size_t		 n = 0;

	json_object_foreach(payload, k, v) {
		if (strcmp(k, "id") == 0)
			continue;
		if (n < sizeof(fields))
			n += (size_t)snprintf(fields + n, sizeof(fields) - n,
			    "%s\"%s\"", n > 0 ? ", " : "", k);
	}
	items_update_denied(c, fields, e);
}

/*
 * Under a merged permission, each field a payload writes must be one
 * that a policy whose filter matches the row covers (Directus 11).
 */
static int
items_update_fields(struct items_ctx *c, const struct conf_permission *perm,
    json_t *key, json_t *doc, json_t *payload, struct items_err *e)
{
	char		 one[CONF_IDENT_MAX + 2];
	const char	*k;
	json_t		*raw, *v;
	int		 rv = 0;

	if (!perm->merged)
		return 0;
	if ((raw = items_raw_row(key, doc)) == NULL) {
		items_store_fail(e, ISTORE_UNAVAILABLE);
		return -1;
	}
	json_object_foreach(payload, k, v)
		if (rv == 0 && !perm_field_visible(perm, k, raw, &c->vars)) {
			(void)snprintf(one, sizeof(one), "\"%s\"", k);
			items_update_denied(c, one, e);
			rv = -1;
		}
	json_decref(raw);
	return rv;
}

/*
 * The row an update reads: on PostgreSQL, locked until the write (the
 * transaction's end), so that another host's update of it waits.
 */
static struct istore_stmt *
items_locked_stmt(struct query_sql *qs, struct items_err *e)
{
	if (QUERY_SQL_PG(qs))
		query_sql_add(qs, " FOR UPDATE");
	return items_stmt(qs, e);
}

/* Merge payload into the item if the permission's filter lets it. */
static int
items_update_key(struct items_ctx *c, const struct conf_permission *perm,
    json_t *key, json_t *payload, struct items_err *e)
{
	struct query_sql	 qs;
	struct istore_stmt	*st;
	json_t			*keys, *doc = NULL;
	int			 rv = -1;

	keys = json_pack("[O]", key);
	items_sql_init(&qs);
	items_table(c, &qs, "SELECT doc FROM");
	if (keys == NULL || items_where(c, &qs, perm, NULL, keys,
	    NULL) == -1)
		items_forbidden(e);
	else if ((st = items_locked_stmt(&qs, e)) != NULL) {
		if (istore_step(st) == ISTORE_ROW)
			doc = json_loads(istore_text(st, 0), 0, NULL);
		istore_release(st);
		if (doc == NULL)
			items_update_denied_payload(c, payload, e);
	}
	query_sql_free(&qs);
	json_decref(keys);
	if (doc == NULL || items_update_fields(c, perm, key, doc, payload,
	    e) == -1) {
		json_decref(doc);
		return -1;
	}
	(void)json_object_update(doc, payload);
	items_sql_init(&qs);
	items_table(c, &qs, "UPDATE");
	query_sql_add(&qs, " SET doc = ");
	items_doc_bind(&qs, doc);
	query_sql_add(&qs, " WHERE id = ");
	query_sql_bind_raw(&qs, key);
	if ((st = items_stmt(&qs, e)) != NULL) {
		if (items_write_step(st, e) == 0)
			rv = 0;
		istore_release(st);
	}
	query_sql_free(&qs);
	json_decref(doc);
	return rv;
}

/* The payload of an update, checked once for every key it goes to. */
static int
items_update_payload(struct items_ctx *c, const struct conf_permission *perm,
    json_t *data, json_t *onlykey, struct items_err *e)
{
	json_t	*given, *key;
	int	 same;

	if (items_payload_fields(c, perm, data, e) == -1 ||
	    items_validate(c, perm, data, e) == -1)
		return -1;
	if ((given = json_object_get(data, "id")) == NULL)
		return 0;
	/* The key cannot change; repeating it is harmless. */
	key = items_key_value(c->coll, given);
	same = key != NULL && onlykey != NULL && json_equal(key, onlykey);
	json_decref(key);
	if (!same) {
		items_fail(e, 400, "INVALID_PAYLOAD",
		    "Invalid payload. \"id\" cannot be changed.");
		return -1;
	}
	(void)json_object_del(data, "id");
	return 0;
}

/* {keys:[...], data:{...}} or [{id,...}, ...] into pairs of key, data. */
static json_t *
items_update_pairs(struct items_ctx *c, struct items_err *e)
{
	json_t	*pairs, *keys, *data, *k, *item, *key;
	size_t	 i;

	if ((pairs = json_array()) == NULL)
		return NULL;
	keys = json_object_get(c->body, "keys");
	data = json_object_get(c->body, "data");
	if (json_is_array(keys) && json_is_object(data) &&
	    json_array_size(keys) <= ITEMS_BATCH_MAX) {
		json_array_foreach(keys, i, k)
			(void)json_array_append_new(pairs, json_pack("[O,O]",
			    k, data));
	} else if (json_is_array(c->body) &&
	    json_array_size(c->body) <= ITEMS_BATCH_MAX) {
		json_array_foreach(c->body, i, item) {
			key = json_is_object(item) ?
			    json_object_get(item, "id") : NULL;
			(void)json_array_append_new(pairs, json_pack("[O,O]",
			    key != NULL ? key : json_null(), item));
		}
	} else {
		items_fail(e, 400, "INVALID_PAYLOAD", "Invalid payload. "
		    "Expected {\"keys\": [...], \"data\": {...}} or an array "
		    "of items with their \"id\".");
		json_decref(pairs);
		return NULL;
	}
	return pairs;
}

static void
items_update_all(struct items_ctx *c, const struct conf_permission *perm,
    json_t *pairs, int single, struct items_err *e)
{
	json_t	*pair, *key, *data, *done;
	size_t	 i;
	int	 rv;

	if ((done = json_array()) == NULL || (rv = istore_begin()) != 0) {
		items_store_fail(e, done == NULL ? ISTORE_UNAVAILABLE : rv);
		json_decref(done);
		return;
	}
	json_array_foreach(pairs, i, pair) {
		key = items_key_value(c->coll, json_array_get(pair, 0));
		data = json_deep_copy(json_array_get(pair, 1));
		if (key == NULL)
			items_forbidden(e);
		else if (items_update_payload(c, perm, data, key, e) == 0 &&
		    items_update_key(c, perm, key, data, e) == 0)
			(void)json_array_append(done, key);
		json_decref(key);
		json_decref(data);
		if (e->status != 0)
			break;
	}
	if (e->status == 0 && (rv = istore_commit()) != 0)
		items_store_fail(e, rv);
	if (e->status != 0)
		istore_rollback();
	else
		items_reread(c, done, single, e);
	json_decref(done);
}

/* Directus 11's refusal of a delete, an item it may not or no item. */
static void
items_delete_denied(struct items_ctx *c, struct items_err *e)
{
	items_denied(e, "You don't have permission to perform \"delete\" "
	    "for collection \"%s\" or it does not exist.", c->coll->name);
}

/* PATCH /items/c/key and PATCH /items/c */
static void
items_update(struct items_ctx *c, struct items_err *e)
{
	const struct conf_permission	*perm;
	json_t				*pairs;

	if ((perm = perm_lookup(c->conf, &c->who, c->coll->name,
	    PERM_UPDATE)) == NULL) {
		items_update_denied_payload(c, json_is_array(c->body) ?
		    json_array_get(c->body, 0) : json_is_object(json_object_get(
		    c->body, "data")) ? json_object_get(c->body, "data") :
		    c->body, e);
		return;
	}
	if (c->key[0] != '\0') {
		if (!json_is_object(c->body)) {
			items_fail(e, 400, "INVALID_PAYLOAD",
			    "Invalid payload. Expected an object.");
			return;
		}
		pairs = json_pack("[[s,O]]", c->key, c->body);
	} else if ((pairs = items_update_pairs(c, e)) == NULL)
		return;
	if (pairs == NULL)
		items_store_fail(e, ISTORE_UNAVAILABLE);
	else
		items_update_all(c, perm, pairs, c->key[0] != '\0', e);
	json_decref(pairs);
}

static int
items_delete_key(struct items_ctx *c, const struct conf_permission *perm,
    json_t *key, struct items_err *e)
{
	struct query_sql	 qs;
	struct istore_stmt	*st;
	json_t			*keys;
	int			 rv = -1, rc;

	keys = json_pack("[O]", key);
	items_sql_init(&qs);
	items_table(c, &qs, "DELETE FROM");
	if (keys == NULL || items_where(c, &qs, perm, NULL, keys,
	    NULL) == -1)
		items_forbidden(e);
	else if ((st = items_stmt(&qs, e)) != NULL) {
		rc = istore_step(st);
		if (rc != 0)
			items_store_fail(e, rc);
		else if (istore_changes() != 1)
			items_delete_denied(c, e);
		else
			rv = 0;
		istore_release(st);
	}
	query_sql_free(&qs);
	json_decref(keys);
	return rv;
}

/* DELETE /items/c/key, DELETE /items/c with [keys] or {keys:[...]} */
static void
items_delete(struct items_ctx *c, struct items_err *e)
{
	const struct conf_permission	*perm;
	json_t				*keys, *k, *key;
	size_t				 i;
	int				 rv;

	if ((perm = perm_lookup(c->conf, &c->who, c->coll->name,
	    PERM_DELETE)) == NULL) {
		items_delete_denied(c, e);
		return;
	}
	if (c->key[0] != '\0')
		keys = json_pack("[s]", c->key);
	else if (json_is_object(c->body))
		keys = json_incref(json_object_get(c->body, "keys"));
	else
		keys = json_incref(c->body);
	if (!json_is_array(keys) || json_array_size(keys) > ITEMS_BATCH_MAX) {
		items_fail(e, 400, "INVALID_PAYLOAD", "Invalid payload. "
		    "Expected an array of keys or {\"keys\": [...]}.");
		json_decref(keys);
		return;
	}
	if ((rv = istore_begin()) != 0)
		items_store_fail(e, rv);
	json_array_foreach(keys, i, k) {
		if (e->status != 0)
			break;
		if ((key = items_key_value(c->coll, k)) == NULL)
			items_delete_denied(c, e);
		else
			(void)items_delete_key(c, perm, key, e);
		json_decref(key);
	}
	if (e->status == 0 && (rv = istore_commit()) != 0)
		items_store_fail(e, rv);
	if (e->status != 0)
		istore_rollback();
	else
		items_reply(c, 204, NULL);
	json_decref(keys);
}

/*
 * ITEMS_ACCESS (GET /permissions/me/<collection>[/<key>]): may the
 * caller update or delete the item, by the permissions a PATCH or
 * DELETE would apply (without a key: some item)?  Sharing is not a
 * thing tokend does; administrators may do everything.
 */
static void
items_may(struct items_ctx *c, struct items_err *e)
{
	static const int		 actions[] = { PERM_UPDATE, PERM_DELETE };
	const struct conf_permission	*perm;
	json_t				*key = NULL, *keys = NULL;
	json_int_t			 n;
	int				 ok[2];
	size_t				 i;

	if (c->key[0] != '\0' && (key = items_key_text(c->coll, c->key)) !=
	    NULL)
		keys = json_pack("[O]", key);
	for (i = 0; i < 2; i++) {
		perm = perm_lookup(c->conf, &c->who, c->coll->name, actions[i]);
		ok[i] = perm != NULL;
		if (!ok[i] || c->admin || c->key[0] == '\0')
			continue;
		if (keys == NULL)
			ok[i] = 0;	/* no item has such a key */
		else if (items_count_keys(c, perm, keys, &n, e) == -1)
			break;
		else
			ok[i] = n == 1;
	}
	json_decref(key);
	json_decref(keys);
	if (e->status == 0)
		items_send(c, json_pack("{s:{s:b},s:{s:b},s:{s:b}}", "update",
		    "access", ok[0], "delete", "access", ok[1], "share",
		    "access", c->admin), NULL);
}

static void
items_dispatch(struct items_ctx *c, struct items_err *e)
{
	switch (c->method) {
	case ITEMS_GET:
		items_read(c, e);
		break;
	case ITEMS_ACCESS:
		items_may(c, e);
		break;
	case ITEMS_SEARCH:
		if (c->key[0] != '\0')
			items_reply(c, 404, NULL);
		else
			items_read(c, e);
		break;
	case ITEMS_POST:
		if (c->key[0] != '\0')
			items_reply(c, 404, NULL);
		else if (c->body == NULL)
			items_fail(e, 400, "INVALID_PAYLOAD",
			    "Invalid payload. A body is required.");
		else
			items_create(c, e);
		break;
	case ITEMS_PATCH:
		if (c->body == NULL)
			items_fail(e, 400, "INVALID_PAYLOAD",
			    "Invalid payload. A body is required.");
		else
			items_update(c, e);
		break;
	default:
		if (c->key[0] == '\0' && c->body == NULL)
			items_fail(e, 400, "INVALID_PAYLOAD",
			    "Invalid payload. Keys are required.");
		else
			items_delete(c, e);
		break;
	}
}

/* Who is asking is known: check the collection, then do the work. */
static void
items_run(struct items_ctx *c)
{
	struct items_err	 e;
	const char		*fields;

	memset(&e, 0, sizeof(e));
	query_now(c->now, sizeof(c->now));
	c->who.user = c->user[0] != '\0' ? c->user : NULL;
	c->who.role = c->role[0] != '\0' ? c->role : NULL;
	c->who.admin = c->admin;
	c->who.hold = &c->hold;
	c->vars.user = c->who.user;
	c->vars.role = c->who.role;
	c->vars.now = c->now;
	c->coll = config_collection(c->conf, c->collection);
	fields = evhttp_find_header(&c->params, "fields");
	if (c->coll == NULL)
		items_forbidden(&e);
	else if (c->method != ITEMS_GET && fields != NULL &&
	    strchr(fields, '.') != NULL)
		/* Not a 204 after the write, as if it could not read. */
		items_fail(&e, 400, "INVALID_QUERY", "Invalid query. The "
		    "fields of related items are read with GET only.");
	else if (!istore_ready()) {
		log_warnx("items: collection %s needs a restart of tokend",
		    c->coll->name);
		items_store_fail(&e, ISTORE_UNAVAILABLE);
	} else
		items_dispatch(c, &e);
	if (e.status != 0)
		items_answer_error(c, &e);
}

