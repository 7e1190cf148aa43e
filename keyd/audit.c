/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The audit trail: every authentication event, recorded by keyd in the
 * credential database (the table audit, store.c) in the transaction of
 * the change it records, so that a login or a refresh pays no sync of
 * its own for it.  Nothing changes a row once written (a trigger
 * refuses every UPDATE); keyd deletes the rows older than
 * audit-retention, and nothing else deletes any.
 *
 * A row never holds a token, a password, a code or a secret: the
 * action, who did it and to whom (user ids), when, and where from.  A
 * failed login keeps its reason (unknown email, wrong password, ...)
 * for the operator (tokenctl audit); GET /activity, for
 * administrators, shows Directus's fields only.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "keyd.h"
#include "log.h"
#include "proto.h"
#include "query.h"
#include "query_where.h"

#define AUDIT_COLLECTION	"directus_activity"
#define AUDIT_USERS		"directus_users"
#define AUDIT_LIST_ROWS		500	/* rows of one tokenctl answer */

/* A page of /activity, bounded by what one answer may hold. */
struct audit_page {
	const struct conf_fields	*want;
	json_t				*rows;
	size_t				 bytes;
	int				 full;
};

/* A meta count of /activity. */
struct audit_meta {
	const struct query		*q;
	const struct query_vars		*vars;
};

/* The text of tokenctl audit: whole rows only. */
struct audit_text {
	char			*buf;
	size_t			 len;
	size_t			 max;
	int			 full;
};

static struct event	*audit_ev;

static void	 audit_prune(evutil_socket_t, short, void *);
static int	 audit_column(void *, const char *, struct query_sql *);
static int	 audit_walk_field(void *, const char *);
static int	 audit_where(const struct query *, const struct query_vars *,
		    int, json_t *, struct query_sql *);
static int	 audit_row(void *, const char *);
static int	 audit_count(void *, int, int64_t *);
static void	 audit_text_row(void *, const char **, int);

/* Prune now, then every quarter of audit-retention (1s to an hour). */
void
audit_init(struct event_base *base)
{
	if (audit_ev == NULL &&
	    (audit_ev = evtimer_new(base, audit_prune, NULL)) == NULL)
		fatalx("evtimer_new");
	audit_prune(-1, 0, NULL);
}

static void
audit_prune(evutil_socket_t fd, short events, void *arg)
{
	struct timeval	 tv;
	int64_t		 keep = keyd_conf()->audit_retention, every, n;

	/* It reaches the store: on its fiber (fiber.c). */
	if (fiber_defer(audit_prune, fd, events, arg))
		return;
	/* It writes the store: the open group commit goes first. */
	batch_commit();
	if (store_audit_prune(now_ms(CLOCK_REALTIME) - keep, &n) == -1)
		log_warnx("audit: the old events could not be pruned");
	else if (n > 0)
		log_debug("audit: %lld events older than %llds pruned",
		    (long long)n, (long long)(keep / 1000));
	every = keep / 4;
	if (every < 1000)
		every = 1000;
	if (every > AUDIT_PRUNE_MAX_MS)
		every = AUDIT_PRUNE_MAX_MS;
	tv.tv_sec = every / 1000;
	tv.tv_usec = (every % 1000) * 1000;
	if (evtimer_add(audit_ev, &tv) == -1)
		fatalx("evtimer_add");
}

static void
audit_fill(struct store_audit *a, const char *action, const char *by,
    const char *subject, const struct audit_client *c, const char *reason)
{
	memset(a, 0, sizeof(*a));
	a->action = action;
	a->user = by;
	a->timestamp = now_ms(CLOCK_REALTIME);
	if (c != NULL) {
		a->ip = c->ip;
		a->agent = c->agent;
		a->origin = c->origin;
	}
	a->collection = subject != NULL ? AUDIT_USERS : NULL;
	a->item = subject;
	a->reason = reason;
}

/*
 * An event: action, done by user by (NULL: nobody logged in, or the
 * operator) to the user subject (NULL: none), from client c (NULL: the
 * control socket or keyd itself), with the reason of a failure.  A row
 * that cannot be written is logged; the change it records stands.
 */
void
audit_user(const char *action, const char *by, const char *subject,
    const struct audit_client *c, const char *reason)
{
	struct store_audit	 a;

	audit_fill(&a, action, by, subject, c, reason);
	if (store_audit_insert(&a) == -1)
		log_warnx("audit: the event %s (user %s) could not be "
		    "recorded", action, subject != NULL ? subject : "-");
}

/*
 * n events of one action, each done by users[i] to itself from
 * clients[i] (a group commit's refreshes): one statement.
 */
void
audit_users(const char *action, const char *const *users,
    const struct audit_client *const *clients, size_t n)
{
	struct store_audit	*a;
	size_t			 i;

	if (n == 0)
		return;
	if ((a = calloc(n, sizeof(*a))) == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++)
		audit_fill(&a[i], action, users[i], users[i], clients[i],
		    NULL);
	if (store_audits_insert(a, n) == -1)
		log_warnx("audit: %zu events %s could not be recorded", n,
		    action);
	free(a);
}

/* The client of a message; the bounds are the message's own. */
void
audit_client_copy(struct audit_client *c, const struct msg_client *m)
{
	(void)strlcpy(c->ip, m->ip, sizeof(c->ip));
	(void)strlcpy(c->agent, m->agent, sizeof(c->agent));
	(void)strlcpy(c->origin, m->origin, sizeof(c->origin));
}

/* An event of keyd itself (a reload). */
void
audit_event(const char *action)
{
	audit_user(action, NULL, NULL, NULL, NULL);
}

static int
audit_column(void *arg, const char *field, struct query_sql *qs)
{
	const char	*expr = store_audit_column(field);

	if (expr == NULL)
		return -1;
	query_sql_add(qs, expr);
	return 0;
}

static int
audit_walk_field(void *arg, const char *field)
{
	const char	**bad = arg;

	if (store_audit_column(field) != NULL)
		return 0;
	*bad = field;
	return -1;
}

/* The condition: the query's filter when asked, the rows of keys. */
static int
audit_where(const struct query *q, const struct query_vars *vars,
    int with_filter, json_t *keys, struct query_sql *where)
{
	static const struct conf_permission	 all;
	struct query_schema	 schema = { .column = audit_column };
	struct query_where	 w = { &schema, vars, &all,
				    with_filter ? q->filter : NULL, keys, NULL };

	return query_where_sql(&w, where) != QUERY_WHERE_OK || where->error ?
	    -1 : 0;
}

/* One row of a page, with the fields asked for. */
static int
audit_row(void *arg, const char *text)
{
	struct audit_page	*pg = arg;
	json_t			*row, *v;
	const char		*key;
	void			*tmp;

	if ((row = json_loads(text, 0, NULL)) == NULL)
		return -1;
	json_object_foreach_safe(row, tmp, key, v)
		if (!pg->want->all && !config_fields_has(pg->want, key))
			json_object_del(row, key);
	return users_page_add(pg->rows, &pg->bytes, &pg->full, row);
}

static int
audit_count(void *arg, int with_filter, int64_t *n)
{
	struct audit_meta	*m = arg;
	struct query_sql	 where;
	int			 rv;

	query_sql_init_dialect(&where, store_dialect());
	rv = audit_where(m->q, m->vars, with_filter, NULL, &where) == -1 ||
	    store_audit_count(&where, n) == -1 ? -1 : 0;
	query_sql_free(&where);
	return rv;
}

/*
 * GET /activity and /activity/<id>, for administrators only: the
 * events as Directus's activity, with fields, filter, sort, limit,
 * offset, page and meta.  Returns the code, with msg or *json (the
 * answer, malloc'd).
 */
uint32_t
audit_activity(const char *target, const struct query *q,
    const struct query_vars *vars, int admin, char *msg, size_t len,
    char **json)
{
	struct query_schema	 schema = { .column = audit_column };
	struct audit_page	 pg = { &q->fields, NULL, 0, 0 };
	struct audit_meta	 m = { q, vars };
	struct query_sql	 where, order;
	json_t			*keys = NULL, *answer = NULL, *meta;
	const char		*bad = NULL, *errstr;
	long long		 id = 0;
	size_t			 i;
	uint32_t		 code = AUTH_INTERNAL;
	int			 rv;

	*json = NULL;
	msg[0] = '\0';
	if (!admin) {
		(void)snprintf(msg, len, "You don't have permission to "
		    "access collection \"%s\" or it does not exist.",
		    AUDIT_COLLECTION);
		return AUTH_FORBIDDEN;
	}
	if (q->nrels > 0 || query_node_has_rel(q->filter)) {
		if (q->nrels == 0) {
			(void)snprintf(msg, len, "Invalid query. A filter on "
			    "\"%s\" cannot go through a relation.",
			    AUDIT_COLLECTION);
			return AUTH_INVALID_QUERY;
		}
		(void)snprintf(msg, len, "Invalid query. \"%s\" is not a "
		    "relation of collection \"%s\".", q->rels[0].field,
		    AUDIT_COLLECTION);
		return AUTH_INVALID_QUERY;
	}
	for (i = 0; bad == NULL && i < q->fields.n; i++)
		if (!store_audit_field(q->fields.names[i]))
			bad = q->fields.names[i];
	for (i = 0; bad == NULL && i < q->nsort; i++)
		if (store_audit_column(q->sort[i].field) == NULL)
			bad = q->sort[i].field;
	if (bad == NULL)
		(void)query_node_fields(q->filter, audit_walk_field, &bad);
	if (bad != NULL) {
		(void)snprintf(msg, len, "You don't have permission to "
		    "access field \"%s\" in collection \"%s\" or it does "
		    "not exist.", bad, AUDIT_COLLECTION);
		return AUTH_FORBIDDEN;
	}
	if (target[0] != '\0') {
		id = strtonum(target, 1, INT64_MAX, &errstr);
		if (errstr != NULL)
			return AUTH_FORBIDDEN;
		keys = json_pack("[I]", (json_int_t)id);
	}
	query_sql_init_dialect(&where, store_dialect());
	query_sql_init_dialect(&order, store_dialect());
	if ((target[0] != '\0' && keys == NULL) ||
	    audit_where(q, vars, keys == NULL, keys, &where) == -1 ||
	    (keys == NULL && query_sort_sql(q, &schema, &order) == -1) ||
	    (pg.rows = json_array()) == NULL)
		goto done;
	rv = store_audit_select(&where, &order, keys != NULL ? 1 : q->limit,
	    keys != NULL ? 0 : q->offset, audit_row, &pg);
	if (rv == -1 && pg.full) {
		(void)snprintf(msg, len, "Invalid query. The answer would be "
		    "larger than %d bytes: ask for fewer events or fields.",
		    USERS_ANSWER_MAX);
		code = AUTH_INVALID_QUERY;
		goto done;
	} else if (rv == -1) {
		code = AUTH_UNAVAILABLE;
		goto done;
	}
	if (keys != NULL) {
		if (json_array_size(pg.rows) == 0) {
			code = AUTH_FORBIDDEN;
			goto done;
		}
		answer = json_pack("{s:O}", "data",
		    json_array_get(pg.rows, 0));
	} else
		answer = json_pack("{s:O}", "data", pg.rows);
	if (answer != NULL && keys == NULL && q->meta != 0) {
		if ((meta = query_meta(q->meta, audit_count, &m)) == NULL) {
			code = AUTH_UNAVAILABLE;
			goto done;
		}
		json_object_set_new(answer, "meta", meta);
	}
	if (answer != NULL &&
	    (*json = json_dumps(answer, JSON_COMPACT)) != NULL) {
		code = AUTH_OK;
		if (strlen(*json) > USERS_ANSWER_MAX) {
			free(*json);
			*json = NULL;
			(void)snprintf(msg, len, "Invalid query. The answer "
			    "would be larger than %d bytes: ask for fewer "
			    "events or fields.", USERS_ANSWER_MAX);
			code = AUTH_INVALID_QUERY;
		}
	}
 done:
	json_decref(answer);
	json_decref(pg.rows);
	json_decref(keys);
	query_sql_free(&where);
	query_sql_free(&order);
	return code;
}

/* A row of tokenctl audit, tab-separated, if all of it fits. */
static void
audit_text_row(void *arg, const char **cols, int ncol)
{
	struct audit_text	*t = arg;
	char			*p;
	size_t			 start = t->len;
	int			 i, n;

	if (t->full)
		return;
	for (i = 0; i < ncol; i++) {
		n = snprintf(t->buf + t->len, t->max - t->len, "%s%s",
		    cols[i], i + 1 < ncol ? "\t" : "\n");
		if (n < 0 || (size_t)n >= t->max - t->len) {
			t->full = 1;
			t->len = start;
			t->buf[start] = '\0';
			return;
		}
		/* A column (a user agent, say) must not break the layout. */
		for (p = t->buf + t->len; p < t->buf + t->len + n - 1; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		t->len += (size_t)n;
	}
}

/*
 * The events after row after, oldest first, as many whole rows as buf
 * holds (tokenctl asks again from the last one); "" for none, NULL
 * text means a database error.
 */
int
audit_list(int64_t after, char *buf, size_t len)
{
	struct audit_text	 t = { buf, 0, len, 0 };

	buf[0] = '\0';
	return store_audit_list(after, AUDIT_LIST_ROWS, audit_text_row, &t);
}
