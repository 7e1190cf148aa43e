/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The Directus query language: parsing and in-memory matching.  Every
 * input is bounded (bytes, depth, nodes, list lengths) and every
 * failure leaves a reason fit for "Invalid query. <reason>.".
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "query.h"

#define QUERY_OFFSET_MAX	(1LL << 40)

struct query_opname {
	const char	*name;
	enum query_op	 op;
};

/* Leaf operators; _and and _or are handled apart. */
static const struct query_opname query_ops[] = {
	{ "_eq",		QOP_EQ },
	{ "_neq",		QOP_NEQ },
	{ "_lt",		QOP_LT },
	{ "_lte",		QOP_LTE },
	{ "_gt",		QOP_GT },
	{ "_gte",		QOP_GTE },
	{ "_in",		QOP_IN },
	{ "_nin",		QOP_NIN },
	{ "_null",		QOP_NULL },
	{ "_nnull",		QOP_NNULL },
	{ "_contains",		QOP_CONTAINS },
	{ "_ncontains",		QOP_NCONTAINS },
	{ "_starts_with",	QOP_STARTS_WITH },
	{ "_ends_with",		QOP_ENDS_WITH },
	{ "_between",		QOP_BETWEEN },
	{ "_empty",		QOP_EMPTY },
	{ "_nempty",		QOP_NEMPTY },
};

struct query_parser {
	size_t		 nodes;
	int		 relations;	/* QOP_REL allowed */
	char		*reason;
	size_t		 reasonlen;
};

static struct query_node *filter_object(struct query_parser *, json_t *,
		    int);
static void	 query_reason(char *, size_t, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));

static void
query_reason(char *reason, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	if (reason == NULL || len == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(reason, len, fmt, ap);
	va_end(ap);
}

/* Names of collections, fields and roles: [a-z_][a-z0-9_]*, <= 63. */
int
query_ident_valid(const char *s)
{
	size_t	 i;

	if (s == NULL || s[0] == '\0' || isdigit((unsigned char)s[0]))
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= CONF_IDENT_MAX - 1)
			return 0;
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '_')
			return 0;
	}
	return 1;
}

static struct query_node *
node_new(struct query_parser *qp, enum query_op op)
{
	struct query_node	*n;

	if (++qp->nodes > QUERY_NODES_MAX) {
		query_reason(qp->reason, qp->reasonlen,
		    "\"filter\" has more than %d conditions", QUERY_NODES_MAX);
		return NULL;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		query_reason(qp->reason, qp->reasonlen, "out of memory");
		return NULL;
	}
	n->op = op;
	return n;
}

void
query_node_free(struct query_node *n)
{
	size_t	 i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		query_node_free(n->kids[i]);
	free(n->kids);
	json_decref(n->value);
	free(n);
}

static int
node_add(struct query_parser *qp, struct query_node *group,
    struct query_node *kid)
{
	struct query_node	**kids;

	kids = reallocarray(group->kids, group->nkids + 1, sizeof(*kids));
	if (kids == NULL) {
		query_reason(qp->reason, qp->reasonlen, "out of memory");
		query_node_free(kid);
		return -1;
	}
	group->kids = kids;
	group->kids[group->nkids++] = kid;
	return 0;
}

static int
value_scalar(json_t *v)
{
	return json_is_string(v) || json_is_number(v) || json_is_boolean(v) ||
	    json_is_null(v);
}

/* "a,b,c" as a JSON array of strings (Directus accepts CSV lists). */
static json_t *
value_csv(const char *s)
{
	json_t		*a;
	const char	*comma;
	size_t		 n;

	if ((a = json_array()) == NULL)
		return NULL;
	for (;;) {
		comma = strchr(s, ',');
		n = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (json_array_append_new(a, json_stringn(s, n)) == -1) {
			json_decref(a);
			return NULL;
		}
		if (comma == NULL)
			return a;
		s = comma + 1;
	}
}

static json_t *
operand_list(json_t *v, size_t exact)
{
	json_t	*a, *e;
	size_t	 i;

	if (json_is_string(v))
		a = value_csv(json_string_value(v));
	else if (json_is_array(v))
		a = json_incref(v);
	else
		return NULL;
	if (a == NULL)
		return NULL;
	json_array_foreach(a, i, e) {
		if (!value_scalar(e) || json_is_null(e))
			break;
	}
	if (i != json_array_size(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > QUERY_LIST_MAX ||
	    (exact != 0 && json_array_size(a) != exact)) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static json_t *
operand_bool(json_t *v)
{
	const char	*s;

	if (json_is_boolean(v))
		return json_incref(v);
	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	if (strcmp(s, "true") == 0)
		return json_true();
	if (strcmp(s, "false") == 0)
		return json_false();
	return NULL;
}

/*
 * Substring operators work on text.  An integer operand is its decimal
 * text, as Directus pastes it into a LIKE pattern; a real has no
 * single text and is refused.
 */
static json_t *
operand_text(json_t *v)
{
	if (json_is_string(v))
		return json_incref(v);
	if (json_is_integer(v))
		return json_sprintf("%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	return NULL;
}

/* The operand of one operator, checked and normalised; NULL: bad. */
static json_t *
operand(enum query_op op, json_t *v)
{
	switch (op) {
	case QOP_EQ:
	case QOP_NEQ:
		return value_scalar(v) ? json_incref(v) : NULL;
	case QOP_LT:
	case QOP_LTE:
	case QOP_GT:
	case QOP_GTE:
		return json_is_string(v) || json_is_number(v) ?
		    json_incref(v) : NULL;
	case QOP_CONTAINS:
	case QOP_NCONTAINS:
	case QOP_STARTS_WITH:
	case QOP_ENDS_WITH:
		return operand_text(v);
	case QOP_IN:
	case QOP_NIN:
		return operand_list(v, 0);
	case QOP_BETWEEN:
		return operand_list(v, 2);
	case QOP_NULL:
	case QOP_NNULL:
	case QOP_EMPTY:
	case QOP_NEMPTY:
		return operand_bool(v);
	default:
		return NULL;
	}
}

static int
op_lookup(const char *name, enum query_op *op)
{
	size_t	 i;

	for (i = 0; i < sizeof(query_ops) / sizeof(query_ops[0]); i++) {
		if (strcmp(query_ops[i].name, name) == 0) {
			*op = query_ops[i].op;
			return 0;
		}
	}
	return -1;
}

/* Does {...} under a field name fields of a related item? */
static int
filter_is_rel(json_t *ops)
{
	const char	*name;
	json_t		*v;

	json_object_foreach(ops, name, v)
		if (name[0] != '_')
			return 1;
	return 0;
}

/* {"author": {"email": {"_eq": ...}}}: a QOP_REL with the related filter. */
static int
filter_rel(struct query_parser *qp, struct query_node *group,
    const char *field, json_t *sub, int depth)
{
	struct query_node	*rel, *kid;

	if ((rel = node_new(qp, QOP_REL)) == NULL)
		return -1;
	(void)strlcpy(rel->field, field, sizeof(rel->field));
	if ((kid = filter_object(qp, sub, depth + 1)) == NULL ||
	    node_add(qp, rel, kid) == -1) {
		query_node_free(rel);
		return -1;
	}
	return node_add(qp, group, rel);
}

/* Does the filter go through a relation anywhere? */
int
query_node_has_rel(const struct query_node *n)
{
	size_t	 i;

	if (n == NULL)
		return 0;
	if (n->op == QOP_REL)
		return 1;
	for (i = 0; i < n->nkids; i++)
		if (query_node_has_rel(n->kids[i]))
			return 1;
	return 0;
}

/* {"_eq": 1, "_lt": 5}: one leaf per operator, ANDed into group. */
static int
filter_field(struct query_parser *qp, struct query_node *group,
    const char *field, json_t *ops, int depth)
{
	struct query_node	*leaf;
	const char		*name;
	enum query_op		 op;
	json_t			*v;

	if (!query_ident_valid(field)) {
		query_reason(qp->reason, qp->reasonlen,
		    "\"filter\" names an invalid field");
		return -1;
	}
	if (!json_is_object(ops) || json_object_size(ops) == 0) {
		query_reason(qp->reason, qp->reasonlen, "\"filter.%s\" must "
		    "be an object of operators", field);
		return -1;
	}
	if (qp->relations && filter_is_rel(ops))
		return filter_rel(qp, group, field, ops, depth);
	json_object_foreach(ops, name, v) {
		if (op_lookup(name, &op) == -1) {
			query_reason(qp->reason, qp->reasonlen, "\"filter.%s\" "
			    "uses an unknown operator", field);
			return -1;
		}
		if ((leaf = node_new(qp, op)) == NULL)
			return -1;
		(void)strlcpy(leaf->field, field, sizeof(leaf->field));
		if ((leaf->value = operand(op, v)) == NULL) {
			query_reason(qp->reason, qp->reasonlen, "\"filter.%s."
			    "%s\" has an invalid value", field, name);
			query_node_free(leaf);
			return -1;
		}
		if (node_add(qp, group, leaf) == -1)
			return -1;
	}
	return 0;
}

/* "_and": [{...}, {...}] */
static int
filter_group(struct query_parser *qp, struct query_node *group,
    const char *name, json_t *list, int depth)
{
	struct query_node	*sub, *kid;
	json_t			*v;
	size_t			 i;

	if (!json_is_array(list)) {
		query_reason(qp->reason, qp->reasonlen,
		    "\"%s\" must be an array", name);
		return -1;
	}
	if ((sub = node_new(qp, strcmp(name, "_and") == 0 ? QOP_AND :
	    QOP_OR)) == NULL)
		return -1;
	if (node_add(qp, group, sub) == -1)
		return -1;
	json_array_foreach(list, i, v) {
		if ((kid = filter_object(qp, v, depth + 1)) == NULL)
			return -1;
		if (node_add(qp, sub, kid) == -1)
			return -1;
	}
	return 0;
}

/* One filter object: every key ANDed. */
static struct query_node *
filter_object(struct query_parser *qp, json_t *obj, int depth)
{
	struct query_node	*group;
	const char		*key;
	json_t			*v;
	int			 rv;

	if (depth > QUERY_DEPTH_MAX) {
		query_reason(qp->reason, qp->reasonlen, "\"filter\" is nested "
		    "deeper than %d levels", QUERY_DEPTH_MAX);
		return NULL;
	}
	if (!json_is_object(obj)) {
		query_reason(qp->reason, qp->reasonlen,
		    "\"filter\" must be an object");
		return NULL;
	}
	if ((group = node_new(qp, QOP_AND)) == NULL)
		return NULL;
	json_object_foreach(obj, key, v) {
		if (strcmp(key, "_and") == 0 || strcmp(key, "_or") == 0)
			rv = filter_group(qp, group, key, v, depth);
		else
			rv = filter_field(qp, group, key, v, depth);
		if (rv == -1) {
			query_node_free(group);
			return NULL;
		}
	}
	return group;
}

struct query_node *
query_filter_parse(json_t *obj, char *reason, size_t len)
{
	struct query_parser	 qp;

	memset(&qp, 0, sizeof(qp));
	qp.reason = reason;
	qp.reasonlen = len;
	return filter_object(&qp, obj, 1);
}

/*
 * A filter of the query string: with relations (QOP_REL), which only
 * a schema with a relation callback turns into SQL.
 */
static struct query_node *
query_filter_parse_rel(const char *text, size_t len, char *reason,
    size_t rlen)
{
	struct query_parser	 qp;
	struct query_node	*n;
	json_t			*obj;

	if (len > QUERY_TEXT_MAX) {
		query_reason(reason, rlen, "\"filter\" is too long");
		return NULL;
	}
	if ((obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)) ==
	    NULL) {
		query_reason(reason, rlen, "\"filter\" is not valid JSON");
		return NULL;
	}
	memset(&qp, 0, sizeof(qp));
	qp.reason = reason;
	qp.reasonlen = rlen;
	qp.relations = 1;
	n = filter_object(&qp, obj, 1);
	json_decref(obj);
	return n;
}

struct query_node *
query_filter_parse_text(const char *text, size_t len, char *reason,
    size_t rlen)
{
	struct query_node	*n;
	json_t			*obj;

	if (len > QUERY_TEXT_MAX) {
		query_reason(reason, rlen, "\"filter\" is too long");
		return NULL;
	}
	/* Depth is bounded again on the tree; jansson's own limit first. */
	if ((obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)) ==
	    NULL) {
		query_reason(reason, rlen, "\"filter\" is not valid JSON");
		return NULL;
	}
	n = query_filter_parse(obj, reason, rlen);
	json_decref(obj);
	return n;
}

/* Visit every field a filter names; cb returning -1 stops the walk. */
int
query_node_fields(const struct query_node *n,
    int (*cb)(void *, const char *), void *arg)
{
	size_t	 i;

	if (n == NULL)
		return 0;
	if (n->op != QOP_AND && n->op != QOP_OR)
		return cb(arg, n->field);
	for (i = 0; i < n->nkids; i++)
		if (query_node_fields(n->kids[i], cb, arg) == -1)
			return -1;
	return 0;
}

/* A strict decimal integer in [lo, hi]. */
static int
query_number(const char *s, long long lo, long long hi, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || strlen(s) > 20 ||
	    (!isdigit((unsigned char)*s) && *s != '-'))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int
fields_add(struct conf_fields *f, const char *name, size_t n)
{
	char	(*names)[CONF_IDENT_MAX];
	char	 buf[CONF_IDENT_MAX];
	size_t	 i;

	if (n == 1 && name[0] == '*') {
		f->all = 1;
		return 0;
	}
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, name, n);
	buf[n] = '\0';
	if (!query_ident_valid(buf))
		return -1;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->names[i], buf) == 0)
			return 0;
	if (f->n >= CONF_FIELDS_MAX)
		return -1;
	if ((names = reallocarray(f->names, f->n + 1, sizeof(*names))) == NULL)
		return -1;
	f->names = names;
	(void)strlcpy(f->names[f->n++], buf, sizeof(f->names[0]));
	return 0;
}

/*
 * "relation.field" or "relation.*": the field of the related item, kept
 * by relation; "relation.deep.field", one relation of it (one only) a
 * level further.  -1 with the reason otherwise.
 */
static int
fields_rel_add(struct query *q, const char *name, size_t n, char *reason,
    size_t len)
{
	struct query_rel	*r;
	const char		*dot = memchr(name, '.', n), *deep;
	char			 rel[CONF_IDENT_MAX], sub[CONF_IDENT_MAX];
	size_t			 rn = (size_t)(dot - name), dn = 0, i;

	if (rn == 0 || rn >= sizeof(rel))
		goto bad;
	memcpy(rel, name, rn);
	rel[rn] = '\0';
	if (!query_ident_valid(rel))
		goto bad;
	deep = memchr(dot + 1, '.', n - rn - 1);
	if (deep != NULL && (dn = (size_t)(deep - dot - 1)) == 0)
		goto bad;
	if (deep != NULL && (dn >= sizeof(sub) || memchr(deep + 1, '.',
	    n - rn - dn - 2) != NULL)) {
		query_reason(reason, len, "\"fields\" reaches two relations "
		    "deep at most (\"%.*s\")", (int)(rn < 64 ? rn : 64), name);
		return -1;
	}
	for (i = 0; i < q->nrels; i++)
		if (strcmp(q->rels[i].field, rel) == 0)
			break;
	if (i == q->nrels) {
		if (q->nrels >= QUERY_REL_MAX) {
			query_reason(reason, len, "\"fields\" names more than "
			    "%d relations", QUERY_REL_MAX);
			return -1;
		}
		(void)strlcpy(q->rels[i].field, rel, sizeof(q->rels[i].field));
		q->nrels++;
	}
	r = &q->rels[i];
	if (deep == NULL) {
		if (fields_add(&r->sub, dot + 1, n - rn - 1) == 0)
			return 0;
		goto bad;
	}
	memcpy(sub, dot + 1, dn);
	sub[dn] = '\0';
	if (!query_ident_valid(sub))
		goto bad;
	if (r->deep[0] != '\0' && strcmp(r->deep, sub) != 0) {
		query_reason(reason, len, "\"fields\" names more than one "
		    "relation of \"%s\"", r->field);
		return -1;
	}
	(void)strlcpy(r->deep, sub, sizeof(r->deep));
	if (fields_add(&r->deep_sub, deep + 1, n - rn - dn - 2) == 0)
		return 0;
 bad:
	query_reason(reason, len, "\"fields\" is invalid");
	return -1;
}

/*
 * "id,title" or "*"; absent or empty is "*".  "author.email" and
 * "author.*" go to q->rels, by relation.
 */
int
query_fields_parse(struct query *q, const char *s, char *reason,
    size_t len)
{
	struct conf_fields	*f = &q->fields;
	const char		*comma;
	size_t			 n;
	int			 rv;

	memset(f, 0, sizeof(*f));
	if (s == NULL || *s == '\0') {
		f->all = 1;
		return 0;
	}
	for (;;) {
		comma = strchr(s, ',');
		n = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (memchr(s, '.', n) != NULL)
			rv = fields_rel_add(q, s, n, reason, len);
		else if ((rv = fields_add(f, s, n)) == -1)
			query_reason(reason, len, "\"fields\" is invalid");
		if (rv == -1) {
			query_fields_free(q);
			return -1;
		}
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

/*
 * Does every relation of q stay one level deep?  0, or -1 with the
 * reason (the callers of query_parse() take no deeper one).
 */
int
query_fields_shallow(const struct query *q, char *reason, size_t len)
{
	size_t	 i;

	for (i = 0; i < q->nrels; i++)
		if (q->rels[i].deep[0] != '\0') {
			query_reason(reason, len, "\"fields\" reaches one "
			    "relation deep at most (\"%s\")", q->rels[i].field);
			return -1;
		}
	return 0;
}

/* The field lists of q (query_free() frees them too). */
void
query_fields_free(struct query *q)
{
	size_t	 i;

	free(q->fields.names);
	memset(&q->fields, 0, sizeof(q->fields));
	for (i = 0; i < q->nrels; i++) {
		free(q->rels[i].sub.names);
		free(q->rels[i].deep_sub.names);
	}
	memset(q->rels, 0, sizeof(q->rels));
	q->nrels = 0;
}

static int
query_sort_parse(struct query *q, const char *s, char *reason, size_t len)
{
	struct query_sort	*qs;
	const char		*comma;
	size_t			 n;

	for (; s != NULL && *s != '\0'; s = comma + 1) {
		comma = strchr(s, ',');
		n = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (q->nsort >= QUERY_SORT_MAX)
			goto bad;
		qs = &q->sort[q->nsort];
		if (n > 0 && *s == '-') {
			qs->desc = 1;
			s++;
			n--;
		}
		if (n == 0 || n >= sizeof(qs->field))
			goto bad;
		memcpy(qs->field, s, n);
		qs->field[n] = '\0';
		if (!query_ident_valid(qs->field))
			goto bad;
		q->nsort++;
		if (comma == NULL)
			break;
	}
	return 0;
 bad:
	query_reason(reason, len, "\"sort\" is invalid");
	return -1;
}

static int
query_meta_parse(struct query *q, const char *s, char *reason, size_t len)
{
	const char	*comma;
	size_t		 n;

	for (; s != NULL; s = comma + 1) {
		comma = strchr(s, ',');
		n = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (n == 1 && *s == '*')
			q->meta |= QUERY_META_TOTAL | QUERY_META_FILTER;
		else if (n == 11 && strncmp(s, "total_count", n) == 0)
			q->meta |= QUERY_META_TOTAL;
		else if (n == 12 && strncmp(s, "filter_count", n) == 0)
			q->meta |= QUERY_META_FILTER;
		else {
			query_reason(reason, len, "\"meta\" is invalid");
			return -1;
		}
		if (comma == NULL)
			break;
	}
	return 0;
}

static int
query_page_parse(struct query *q, const struct query_params *p,
    long long limit_max, char *reason, size_t len)
{
	long long	 page;

	q->limit = QUERY_LIMIT_DEFAULT;
	if (p->limit != NULL && query_number(p->limit, -1, LLONG_MAX / 2,
	    &q->limit) == -1) {
		query_reason(reason, len, "\"limit\" has to be -1 or more");
		return -1;
	}
	/* -1 is "all", which is never more than the configured maximum. */
	if (q->limit == -1 || q->limit > limit_max)
		q->limit = limit_max;
	if (p->offset != NULL && query_number(p->offset, 0, QUERY_OFFSET_MAX,
	    &q->offset) == -1) {
		query_reason(reason, len, "\"offset\" has to be 0 or more");
		return -1;
	}
	if (p->page != NULL) {
		if (query_number(p->page, 1, QUERY_OFFSET_MAX, &page) == -1) {
			query_reason(reason, len, "\"page\" has to be 1 or "
			    "more");
			return -1;
		}
		/* Checked before multiplying: limit_max is the caller's. */
		if (q->limit > 0 && page - 1 > QUERY_OFFSET_MAX / q->limit) {
			query_reason(reason, len, "\"page\" is too large");
			return -1;
		}
		q->offset = (page - 1) * q->limit;
	}
	return 0;
}

/*
 * Query parameters Directus knows and tokend does not implement: each
 * is refused by name (also in a bracket form such as deep[a][_limit]),
 * never ignored, so that no client takes a partial answer for a whole
 * one.  The base name, or NULL for a parameter not in this list.
 */
const char *
query_param_unsupported(const char *name)
{
	static const char *const unsupported[] = { "deep", "alias",
	    "export", "version", "versionRaw", "backlink" };
	size_t	 i, n;

	n = strcspn(name, "[");
	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (strlen(unsupported[i]) == n &&
		    strncmp(name, unsupported[i], n) == 0)
			return unsupported[i];
	return NULL;
}

/* ["a", "b"] as "a,b"; NULL for an empty list, a non-string, too long. */
static json_t *
query_param_list(json_t *v)
{
	json_t	*e, *out;
	char	*text;
	size_t	 i, len = 0, at = 0;

	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return NULL;
		len += json_string_length(e) + 1;
		if (len > QUERY_TEXT_MAX + 1)
			return NULL;
	}
	if (len == 0 || (text = malloc(len)) == NULL)
		return NULL;
	json_array_foreach(v, i, e) {
		memcpy(text + at, json_string_value(e), json_string_length(e));
		at += json_string_length(e);
		text[at++] = ',';
	}
	out = json_stringn(text, len - 1);
	free(text);
	return out;
}

/*
 * A parameter of a SEARCH body's query as the text the query string
 * would carry: a string as it is, an integer in decimal, a list of
 * strings joined by commas, an object (filter, aggregate) as JSON.
 * *out is a new JSON string, or NULL for an empty list, which is no
 * parameter (the SDK's withSearch() sends "fields": [] for none); -1
 * with a reason for any other value.
 */
int
query_param_text(const char *name, json_t *v, char *reason, size_t len,
    json_t **out)
{
	char	*text;

	*out = NULL;
	if (json_is_array(v) && json_array_size(v) == 0)
		return 0;
	if (json_is_string(v))
		*out = json_incref(v);
	else if (json_is_integer(v))
		*out = json_sprintf("%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else if (json_is_object(v)) {
		if ((text = json_dumps(v, JSON_COMPACT)) != NULL)
			*out = json_string(text);
		free(text);
	} else if (json_is_array(v))
		*out = query_param_list(v);
	if (*out == NULL || json_string_length(*out) > QUERY_TEXT_MAX) {
		json_decref(*out);
		*out = NULL;
		query_reason(reason, len, "\"%.32s\" is invalid", name);
		return -1;
	}
	return 0;
}

/* The functions of "aggregate", indexed by enum query_agg_fn. */
static const char *const query_agg_names[] = {
	"count", "countDistinct", "countAll", "sum", "sumDistinct", "avg",
	"avgDistinct", "min", "max",
};

const char *
query_agg_name(enum query_agg_fn fn)
{
	return query_agg_names[fn];
}

/*
 * The number a search term spells, as Directus's parseNumericString()
 * takes it: only text that is its own JavaScript spelling
 * (String(Number(s)) === s), here -?(0|[1-9][0-9]*)(.[0-9]*[1-9])? of
 * at most 15 digits, which a double holds exactly.
 */
static json_t *
query_search_number(const char *s)
{
	const char	*p = s;
	size_t		 digits = 0;
	int		 frac = 0;

	if (*p == '-')
		p++;
	if (*p == '0' && p[1] != '\0' && p[1] != '.')
		return NULL;
	if (!isdigit((unsigned char)*p) || (s[0] == '-' &&
	    strcmp(p, "0") == 0))
		return NULL;
	for (; *p != '\0'; p++) {
		if (*p == '.' && !frac) {
			frac = 1;
			if (!isdigit((unsigned char)p[1]))
				return NULL;
			continue;
		}
		if (!isdigit((unsigned char)*p) || ++digits > 15)
			return NULL;
	}
	if (frac && p[-1] == '0')
		return NULL;
	if (!frac)
		return json_integer(strtoll(s, NULL, 10));
	return json_real(strtod(s, NULL));
}

static int
query_search_parse(struct query *q, const char *s, char *reason,
    size_t len)
{
	json_t	*utf8;

	if (s == NULL || *s == '\0')
		return 0;
	if (strlen(s) > QUERY_SEARCH_MAX) {
		query_reason(reason, len, "\"search\" is longer than %d "
		    "bytes", QUERY_SEARCH_MAX);
		return -1;
	}
	/* It is bound as text: SQLite's text is UTF-8. */
	if ((utf8 = json_string(s)) == NULL) {
		query_reason(reason, len, "\"search\" is not UTF-8");
		return -1;
	}
	json_decref(utf8);
	if ((q->search = calloc(1, sizeof(*q->search))) == NULL) {
		query_reason(reason, len, "out of memory");
		return -1;
	}
	(void)strlcpy(q->search->text, s, sizeof(q->search->text));
	q->search->number = query_search_number(s);
	return 0;
}

/* One aggregate of fn over a field ("*" for count and countAll). */
static int
query_agg_add(struct query *q, enum query_agg_fn fn, const char *field,
    size_t n, char *reason, size_t len)
{
	struct query_agg	*a;
	char			 buf[CONF_IDENT_MAX];
	size_t			 i;

	if (n == 0 || n >= sizeof(buf))
		goto bad;
	memcpy(buf, field, n);
	buf[n] = '\0';
	if (fn == QAGG_COUNT_ALL)
		(void)strlcpy(buf, "*", sizeof(buf));
	else if (!query_ident_valid(buf) && !(fn == QAGG_COUNT &&
	    strcmp(buf, "*") == 0))
		goto bad;
	for (i = 0; i < q->nagg; i++)
		if (q->agg[i].fn == fn && strcmp(q->agg[i].field, buf) == 0)
			return 0;
	if (q->nagg >= QUERY_AGG_MAX) {
		query_reason(reason, len, "\"aggregate\" has more than %d "
		    "functions", QUERY_AGG_MAX);
		return -1;
	}
	a = &q->agg[q->nagg++];
	a->fn = fn;
	(void)strlcpy(a->field, buf, sizeof(a->field));
	return 0;
 bad:
	query_reason(reason, len, "\"aggregate[%s]\" names an invalid "
	    "field", query_agg_names[fn]);
	return -1;
}

/* "a,b" or ["a", "b"]: the fields of one function. */
static int
query_agg_fields(struct query *q, enum query_agg_fn fn, json_t *v,
    char *reason, size_t len)
{
	const char	*s, *comma;
	json_t		*e;
	size_t		 i;

	if (json_is_array(v) && json_array_size(v) > 0) {
		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				goto bad;
			s = json_string_value(e);
			if (query_agg_add(q, fn, s, strlen(s), reason,
			    len) == -1)
				return -1;
		}
		return 0;
	}
	if (!json_is_string(v))
		goto bad;
	for (s = json_string_value(v); ; s = comma + 1) {
		comma = strchr(s, ',');
		if (query_agg_add(q, fn, s, comma != NULL ?
		    (size_t)(comma - s) : strlen(s), reason, len) == -1)
			return -1;
		if (comma == NULL)
			return 0;
	}
 bad:
	query_reason(reason, len, "\"aggregate[%s]\" must be a list of "
	    "fields", query_agg_names[fn]);
	return -1;
}

/* {"count": "*", "sum": ["a", "b"]}; an unknown function is refused. */
static int
query_agg_parse(struct query *q, const char *s, char *reason, size_t len)
{
	json_t		*obj, *v;
	const char	*key;
	size_t		 i, nfn = sizeof(query_agg_names) /
			    sizeof(query_agg_names[0]);
	int		 rv = 0;

	if (s == NULL || *s == '\0')
		return 0;
	if ((obj = json_loads(s, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(obj) || json_object_size(obj) == 0) {
		json_decref(obj);
		query_reason(reason, len, "\"aggregate\" must be an object "
		    "of functions and fields");
		return -1;
	}
	json_object_foreach(obj, key, v) {
		for (i = 0; i < nfn; i++)
			if (strcmp(key, query_agg_names[i]) == 0)
				break;
		if (i == nfn) {
			query_reason(reason, len, "\"aggregate\" has an "
			    "unknown function");
			rv = -1;
		} else
			rv = query_agg_fields(q, (enum query_agg_fn)i, v,
			    reason, len);
		if (rv == -1)
			break;
	}
	json_decref(obj);
	return rv;
}

/* "status,views": distinct fields, in order. */
static int
query_group_parse(struct query *q, const char *s, char *reason, size_t len)
{
	const char	*comma;
	size_t		 n, i;

	for (; s != NULL && *s != '\0'; s = comma + 1) {
		comma = strchr(s, ',');
		n = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (q->ngroup >= QUERY_GROUP_MAX || n == 0 ||
		    n >= CONF_IDENT_MAX)
			goto bad;
		memcpy(q->group[q->ngroup], s, n);
		q->group[q->ngroup][n] = '\0';
		if (!query_ident_valid(q->group[q->ngroup]))
			goto bad;
		for (i = 0; i < q->ngroup; i++)
			if (strcmp(q->group[i], q->group[q->ngroup]) == 0)
				break;
		if (i == q->ngroup)
			q->ngroup++;
		if (comma == NULL)
			break;
	}
	return 0;
 bad:
	query_reason(reason, len, "\"groupBy\" must be at most %d field "
	    "names", QUERY_GROUP_MAX);
	return -1;
}

/*
 * Each member of a row of groups has one meaning: count of "*" is a
 * number where count of fields is an object, and a groupBy field may
 * not bear the name of an aggregate function asked for.
 */
static int
query_grouped_names(const struct query *q, char *reason, size_t len)
{
	size_t	 i, j;

	for (i = 0; i < q->nagg; i++)
		for (j = 0; j < q->nagg; j++)
			if (q->agg[i].fn == QAGG_COUNT &&
			    q->agg[j].fn == QAGG_COUNT &&
			    strcmp(q->agg[i].field, "*") == 0 &&
			    strcmp(q->agg[j].field, "*") != 0) {
				query_reason(reason, len, "\"aggregate[count]\" "
				    "takes * or fields, not both");
				return -1;
			}
	for (i = 0; i < q->ngroup; i++)
		for (j = 0; j < q->nagg; j++)
			if (strcmp(q->group[i], query_agg_names[q->agg[j].fn]) ==
			    0) {
				query_reason(reason, len, "\"groupBy\" names "
				    "a field called as an aggregate function");
				return -1;
			}
	return 0;
}

/*
 * The sort of a grouped query orders groups: each sort field is a
 * groupBy field, or "count" when count(*) is asked for.
 */
int
query_grouped_check(const struct query *q, char *reason, size_t len)
{
	size_t	 i, j;

	if (query_grouped_names(q, reason, len) == -1)
		return -1;

	for (i = 0; q->ngroup > 0 && i < q->nsort; i++) {
		for (j = 0; j < q->ngroup; j++)
			if (strcmp(q->sort[i].field, q->group[j]) == 0)
				break;
		if (j < q->ngroup)
			continue;
		for (j = 0; j < q->nagg; j++)
			if (q->agg[j].fn == QAGG_COUNT &&
			    strcmp(q->agg[j].field, "*") == 0 &&
			    strcmp(q->sort[i].field, "count") == 0)
				break;
		if (j == q->nagg) {
			query_reason(reason, len, "\"sort\" of an aggregate "
			    "query names a field that is not in "
			    "\"groupBy\"");
			return -1;
		}
	}
	return 0;
}

static int
query_text_ok(const struct query_params *p)
{
	const char	*v[] = { p->fields, p->filter, p->sort, p->limit,
			    p->offset, p->page, p->meta, p->search,
			    p->aggregate, p->group_by };
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] != NULL && strlen(v[i]) > QUERY_TEXT_MAX)
			return 0;
	return 1;
}

/*
 * Parse the query parameters.  On error, reason says why and q holds
 * nothing to free.
 */
int
query_parse(struct query *q, const struct query_params *p,
    long long limit_max, char *reason, size_t len)
{
	memset(q, 0, sizeof(*q));
	if (!query_text_ok(p)) {
		query_reason(reason, len, "a query parameter is too long");
		return -1;
	}
	if (query_fields_parse(q, p->fields, reason, len) == -1)
		return -1;
	if (query_fields_shallow(q, reason, len) == -1)
		goto fail;
	if (query_sort_parse(q, p->sort, reason, len) == -1 ||
	    query_meta_parse(q, p->meta, reason, len) == -1 ||
	    query_page_parse(q, p, limit_max, reason, len) == -1)
		goto fail;
	if (p->filter != NULL && (q->filter = query_filter_parse_rel(
	    p->filter, strlen(p->filter), reason, len)) == NULL)
		goto fail;
	if (query_search_parse(q, p->search, reason, len) == -1 ||
	    query_agg_parse(q, p->aggregate, reason, len) == -1 ||
	    query_group_parse(q, p->group_by, reason, len) == -1 ||
	    query_grouped_check(q, reason, len) == -1)
		goto fail;
	return 0;
 fail:
	query_free(q);
	return -1;
}

void
query_free(struct query *q)
{
	query_fields_free(q);
	query_node_free(q->filter);
	if (q->search != NULL)
		json_decref(q->search->number);
	free(q->search);
	memset(q, 0, sizeof(*q));
}

/* $NOW: ISO 8601 in UTC, milliseconds as Directus writes them. */
void
query_now(char *buf, size_t len)
{
	struct timespec	 ts;
	struct tm	 tm;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	(void)gmtime_r(&ts.tv_sec, &tm);
	(void)snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/*
 * In-memory matching, for validation filters on payloads, with the
 * semantics of the SQL that query_node_sql() writes: a missing field is
 * null and null matches no comparison; booleans are the numbers 0 and 1
 * (SQLite has no other booleans); numbers compare with numbers and text
 * with text, byte by byte, and values of different kinds are never
 * equal nor ordered.
 */
/*
 * A variable's value ($CURRENT_USER, $CURRENT_ROLE, $NOW; null when the
 * request has none), or the operand itself; a new reference, NULL only
 * when out of memory or not UTF-8.  Shared with query_sql.c.
 */
json_t *
query_var_value(json_t *v, const struct query_vars *vars)
{
	const char	*s, *out;

	if (!json_is_string(v))
		return json_incref(v);
	s = json_string_value(v);
	if (strcmp(s, "$CURRENT_USER") == 0)
		out = vars != NULL ? vars->user : NULL;
	else if (strcmp(s, "$CURRENT_ROLE") == 0)
		out = vars != NULL ? vars->role : NULL;
	else if (strcmp(s, "$NOW") == 0)
		out = vars != NULL ? vars->now : NULL;
	else
		return json_incref(v);
	return out != NULL ? json_string(out) : json_null();
}

static int
match_numeric(json_t *v)
{
	return json_is_number(v) || json_is_boolean(v);
}

static long long
match_integer(json_t *v)
{
	return json_is_boolean(v) ? json_is_true(v) : json_integer_value(v);
}

/* An integer against a real, exactly (as SQLite does, past 2^53). */
static int
match_cmp_mixed(long long i, double r)
{
	long long	 t;

	if (r < -9223372036854775808.0)
		return 1;
	if (r >= 9223372036854775808.0)
		return -1;
	t = (long long)r;
	if (i != t)
		return i < t ? -1 : 1;
	return r > (double)t ? -1 : r < (double)t;
}

static int
match_cmp_numbers(json_t *a, json_t *b)
{
	long long	 x, y;
	double		 f, g;

	if (!json_is_real(a) && !json_is_real(b)) {
		x = match_integer(a);
		y = match_integer(b);
		return x < y ? -1 : x > y;
	}
	if (!json_is_real(a))
		return match_cmp_mixed(match_integer(a), json_real_value(b));
	if (!json_is_real(b))
		return -match_cmp_mixed(match_integer(b), json_real_value(a));
	f = json_real_value(a);
	g = json_real_value(b);
	return f < g ? -1 : f > g;
}

/* -2: not comparable; else <0, 0, >0. */
static int
match_cmp(json_t *a, json_t *b)
{
	int	 c;

	if (match_numeric(a) && match_numeric(b))
		return match_cmp_numbers(a, b);
	if (json_is_string(a) && json_is_string(b)) {
		c = strcmp(json_string_value(a), json_string_value(b));
		return c < 0 ? -1 : c > 0;
	}
	return -2;
}

/*
 * 1 when v equals a value of the list, 0 when it equals none, -1 when
 * it equals none and the list holds a null: NOT IN is then never true.
 */
static int
match_list(json_t *v, json_t *list, const struct query_vars *vars)
{
	json_t	*e, *r;
	size_t	 i;
	int	 hit = 0;

	json_array_foreach(list, i, e) {
		r = query_var_value(e, vars);
		if (r == NULL || json_is_null(r))
			hit = hit == 1 ? 1 : -1;
		else if (match_cmp(v, r) == 0)
			hit = 1;
		json_decref(r);
	}
	return hit;
}

/* Both bounds are operands: variables in them are resolved too. */
static int
match_between(json_t *v, json_t *list, const struct query_vars *vars)
{
	json_t	*lo, *hi;
	int	 a, b;

	lo = query_var_value(json_array_get(list, 0), vars);
	hi = query_var_value(json_array_get(list, 1), vars);
	a = lo != NULL ? match_cmp(v, lo) : -2;
	b = hi != NULL ? match_cmp(v, hi) : -2;
	json_decref(lo);
	json_decref(hi);
	return a != -2 && a >= 0 && b != -2 && b <= 0;
}

static int
match_text(enum query_op op, json_t *v, json_t *r)
{
	const char	*s, *t;
	size_t		 sl, tl;

	if (!json_is_string(v) || !json_is_string(r))
		return 0;
	s = json_string_value(v);
	t = json_string_value(r);
	sl = json_string_length(v);
	tl = json_string_length(r);
	switch (op) {
	case QOP_CONTAINS:
		return strstr(s, t) != NULL;
	case QOP_NCONTAINS:
		return strstr(s, t) == NULL;
	case QOP_STARTS_WITH:
		return sl >= tl && memcmp(s, t, tl) == 0;
	default:
		return sl >= tl && memcmp(s + sl - tl, t, tl) == 0;
	}
}

static int
match_empty(json_t *v)
{
	return json_is_null(v) || (json_is_string(v) &&
	    json_string_length(v) == 0);
}

static int
match_leaf(const struct query_node *n, json_t *v, json_t *r,
    const struct query_vars *vars)
{
	int	 c;

	switch (n->op) {
	case QOP_EQ:
		return json_is_null(r) ? json_is_null(v) : match_cmp(v, r) == 0;
	case QOP_NEQ:
		return json_is_null(r) ? !json_is_null(v) :
		    !json_is_null(v) && match_cmp(v, r) != 0;
	case QOP_LT:
	case QOP_LTE:
	case QOP_GT:
	case QOP_GTE:
		if ((c = match_cmp(v, r)) == -2)
			return 0;
		return n->op == QOP_LT ? c < 0 : n->op == QOP_LTE ? c <= 0 :
		    n->op == QOP_GT ? c > 0 : c >= 0;
	case QOP_IN:
		return match_list(v, r, vars) == 1;
	case QOP_NIN:
		return !json_is_null(v) && match_list(v, r, vars) == 0;
	case QOP_BETWEEN:
		return match_between(v, r, vars);
	case QOP_NULL:
	case QOP_NNULL:
		return (json_is_null(v) == json_is_true(r)) ==
		    (n->op == QOP_NULL);
	case QOP_EMPTY:
	case QOP_NEMPTY:
		return (match_empty(v) == json_is_true(r)) ==
		    (n->op == QOP_EMPTY);
	default:
		return match_text(n->op, v, r);
	}
}

/* Does item (a JSON object) pass the filter?  1 yes, 0 no. */
int
query_node_match(const struct query_node *n, json_t *item,
    const struct query_vars *vars)
{
	json_t	*v, *r;
	size_t	 i;
	int	 hit;

	/* Nothing here holds the related item: a relation never matches. */
	if (n->op == QOP_REL)
		return 0;
	if (n->op == QOP_AND || n->op == QOP_OR) {
		for (i = 0; i < n->nkids; i++) {
			hit = query_node_match(n->kids[i], item, vars);
			if (hit != (n->op == QOP_AND))
				return hit;
		}
		return n->op == QOP_AND;
	}
	if ((v = json_object_get(item, n->field)) == NULL)
		v = json_null();
	if ((r = query_var_value(n->value, vars)) == NULL)
		return 0;
	hit = match_leaf(n, v, r, vars);
	json_decref(r);
	return hit;
}

/* ASCII case folding, as SQLite's lower() folds. */
static int
search_contains(const char *hay, const char *needle)
{
	size_t	 i, j;

	for (i = 0; ; i++) {
		for (j = 0; needle[j] != '\0'; j++)
			if (tolower((unsigned char)hay[i + j]) !=
			    tolower((unsigned char)needle[j]))
				break;
		if (needle[j] == '\0')
			return 1;
		if (hay[i] == '\0')
			return 0;
	}
}

/*
 * Does the item match the search, with the semantics of the SQL that a
 * schema's search callback writes: one of its readable fields holds
 * text that contains the term (ASCII letters in either case), or a
 * number equal to the term when the term is a number.  1 yes, 0 no.
 */
int
query_search_match(const struct query_search *s, json_t *item,
    const struct conf_fields *readable)
{
	const char	*k;
	json_t		*v;

	json_object_foreach(item, k, v) {
		if (!readable->all && !config_fields_has(readable, k))
			continue;
		if (json_is_string(v) && search_contains(json_string_value(v),
		    s->text))
			return 1;
		if (json_is_number(v) && s->number != NULL &&
		    json_number_value(v) == json_number_value(s->number))
			return 1;
	}
	return 0;
}
