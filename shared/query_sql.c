/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Filters and sorts compiled into SQL.  The text holds only fixed
 * keywords and what the schema callback writes for a field; every value
 * from a request or a permission is a bound parameter.
 */
#include <sys/types.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "query.h"

void
query_sql_init(struct query_sql *qs)
{
	memset(qs, 0, sizeof(*qs));
}

void
query_sql_init_dialect(struct query_sql *qs, enum query_dialect dialect)
{
	query_sql_init(qs);
	qs->dialect = dialect;
}

/* The function that finds text in text: (haystack, needle), 1-based. */
const char *
query_sql_instr(const struct query_sql *qs)
{
	return QUERY_SQL_PG(qs) ? "strpos(" : "instr(";
}

/*
 * A bound value as the text a text-format parameter carries (libpq):
 * *out is NULL for null, else points into v or buf (a boolean as 1 or
 * 0, which PostgreSQL reads as a boolean and as a number).  -1: it
 * does not fit, or a string holds a NUL (no PostgreSQL text may).
 */
int
query_sql_value_text(json_t *v, char *buf, size_t len, const char **out)
{
	int	 n;

	*out = NULL;
	if (json_is_string(v)) {
		if (strlen(json_string_value(v)) != json_string_length(v))
			return -1;
		*out = json_string_value(v);
		return 0;
	}
	if (json_is_integer(v))
		n = snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		n = snprintf(buf, len, "%.17g", json_real_value(v));
	else if (json_is_boolean(v))
		n = snprintf(buf, len, "%d", json_is_true(v) ? 1 : 0);
	else
		return 0;
	if (n < 0 || (size_t)n >= len)
		return -1;
	*out = buf;
	return 0;
}

void
query_sql_free(struct query_sql *qs)
{
	size_t	 i;

	for (i = 0; i < qs->nbinds; i++)
		json_decref(qs->binds[i]);
	free(qs->binds);
	free(qs->kinds);
	free(qs->text);
	memset(qs, 0, sizeof(*qs));
}

void
query_sql_add(struct query_sql *qs, const char *s)
{
	size_t	 n = strlen(s), cap;
	char	*text;

	if (qs->error)
		return;
	if (qs->len + n + 1 > qs->cap) {
		cap = qs->cap == 0 ? 256 : qs->cap;
		while (cap < qs->len + n + 1)
			cap *= 2;
		if ((text = realloc(qs->text, cap)) == NULL) {
			qs->error = 1;
			return;
		}
		qs->text = text;
		qs->cap = cap;
	}
	memcpy(qs->text + qs->len, s, n + 1);
	qs->len += n;
}

/*
 * Append the parameter ("?", or PostgreSQL's "$n" with its cast) and
 * keep v (a new reference is taken) as its value: the one placeholder
 * writer of every dialect.
 */
static void
sql_bind_kind(struct query_sql *qs, json_t *v, int kind)
{
	json_t	**binds;
	int	 *kinds;
	char	  param[32];

	if (qs->error)
		return;
	binds = reallocarray(qs->binds, qs->nbinds + 1, sizeof(*binds));
	if (binds != NULL)
		qs->binds = binds;
	kinds = reallocarray(qs->kinds, qs->nbinds + 1, sizeof(*kinds));
	if (kinds != NULL)
		qs->kinds = kinds;
	if (binds == NULL || kinds == NULL || v == NULL) {
		qs->error = 1;
		return;
	}
	qs->kinds[qs->nbinds] = kind;
	qs->binds[qs->nbinds++] = json_incref(v);
	if (!QUERY_SQL_PG(qs)) {
		query_sql_add(qs, "?");
		return;
	}
	(void)snprintf(param, sizeof(param), "$%zu", qs->nbinds);
	query_sql_add(qs, param);
	if (kind != QUERY_BIND_JSON)
		return;
	/* A typed parameter: nothing is inferred from the column. */
	if (qs->dialect == QUERY_PG_JSONB)
		query_sql_add(qs, "::jsonb");
	else
		query_sql_add(qs, json_is_number(v) || json_is_boolean(v) ?
		    "::numeric" : "::text");
}

/* A value compared with a field. */
void
query_sql_bind(struct query_sql *qs, json_t *v)
{
	sql_bind_kind(qs, v, QUERY_BIND_JSON);
}

/* A key, a count or a document: PostgreSQL types it from its place. */
void
query_sql_bind_raw(struct query_sql *qs, json_t *v)
{
	sql_bind_kind(qs, v, QUERY_BIND_RAW);
}

/* A condition always true or always false: 1 and 0, or PostgreSQL's. */
void
query_sql_bool(struct query_sql *qs, int truth)
{
	query_sql_add(qs, QUERY_SQL_PG(qs) ? (truth ? "true" : "false") :
	    (truth ? "1" : "0"));
}

/* Bound text for a text function: "?" or "$n::text". */
static void
sql_bind_text(struct query_sql *qs, json_t *v)
{
	sql_bind_kind(qs, v, QUERY_BIND_RAW);
	if (QUERY_SQL_PG(qs))
		query_sql_add(qs, "::text");
}

/*
 * query_var_value(), where a value that cannot be had (no memory, not
 * UTF-8) is an error, never a null, which would turn "_neq" into
 * "IS NOT NULL".
 */
static json_t *
sql_value(struct query_sql *qs, json_t *v, const struct query_vars *vars)
{
	json_t	*r;

	if ((r = query_var_value(v, vars)) == NULL)
		qs->error = 1;
	return r;
}

static int
sql_column(struct query_sql *qs, const struct query_schema *schema,
    const char *field)
{
	return schema->column(schema->arg, field, qs);
}

enum sql_kind {
	SQL_KIND_NONE,		/* null: no guard */
	SQL_KIND_TEXT,
	SQL_KIND_NUMBER,	/* integers, reals and booleans */
};

static enum sql_kind
sql_kind_of(json_t *v)
{
	if (json_is_string(v))
		return SQL_KIND_TEXT;
	if (json_is_number(v) || json_is_boolean(v))
		return SQL_KIND_NUMBER;
	return SQL_KIND_NONE;
}

/*
 * "typeof(column) ... AND ": the column holds a value of the operand's
 * kind.  SQLite orders every number before every text, and a column
 * with an affinity converts what it is compared with ("5" = 5 on an
 * INTEGER column), so a bare comparison would let a number pass a
 * filter on dates.  With the guard, values of different kinds are
 * never equal nor ordered, as in query_node_match().  A null operand
 * needs none: comparing with NULL is never true.
 */
#define SQL_PG_TEXT	"('text'::regtype, 'character varying'::regtype)"
/* A text that SQLite's sum() reads as a number, whole. */
#define SQL_PG_NUMERIC_TEXT \
	"'^\\s*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?\\s*$'"
#define SQL_PG_NUMBER	"('bigint'::regtype, 'integer'::regtype, " \
	"'smallint'::regtype, 'numeric'::regtype, " \
	"'double precision'::regtype, 'real'::regtype)"

/*
 * QUERY_PG_JSONB: jsonb_typeof() of the field, as SQLite's typeof().
 * QUERY_PG: PostgreSQL types each column and each parameter, and a
 * comparison of a bigint column with a text value does not even parse:
 * the guard is "CASE WHEN pg_typeof(column) IN (kind's types) THEN ...
 * ELSE false END" (CASE does not evaluate a branch it does not take),
 * and the column inside is cast to the kind (sql_operand()).
 */
static int
sql_kind(struct query_sql *qs, const struct query_schema *schema,
    const char *field, enum sql_kind kind)
{
	if (kind == SQL_KIND_NONE)
		return 0;
	switch (qs->dialect) {
	case QUERY_PG:
		query_sql_add(qs, "CASE WHEN pg_typeof(");
		if (sql_column(qs, schema, field) == -1)
			return -1;
		query_sql_add(qs, kind == SQL_KIND_TEXT ? ") IN " SQL_PG_TEXT
		    " THEN " : ") IN " SQL_PG_NUMBER " THEN ");
		return 0;
	case QUERY_PG_JSONB:
		query_sql_add(qs, "jsonb_typeof(");
		if (sql_column(qs, schema, field) == -1)
			return -1;
		query_sql_add(qs, kind == SQL_KIND_TEXT ? ") = 'string' AND " :
		    ") IN ('number', 'boolean') AND ");
		return 0;
	case QUERY_SQLITE:
		break;
	}
	query_sql_add(qs, "typeof(");
	if (sql_column(qs, schema, field) == -1)
		return -1;
	query_sql_add(qs, kind == SQL_KIND_TEXT ? ") = 'text' AND " :
	    ") IN ('integer', 'real') AND ");
	return 0;
}

/* The end of sql_kind()'s guard. */
static void
sql_kind_end(struct query_sql *qs, enum sql_kind kind)
{
	if (kind != SQL_KIND_NONE && qs->dialect == QUERY_PG)
		query_sql_add(qs, " ELSE false END");
}

/* The column as a value of the kind it is compared as. */
static int
sql_operand(struct query_sql *qs, const struct query_schema *schema,
    const char *field, enum sql_kind kind)
{
	if (qs->dialect != QUERY_PG)
		return sql_column(qs, schema, field);
	query_sql_add(qs, "(");
	if (sql_column(qs, schema, field) == -1)
		return -1;
	query_sql_add(qs, kind == SQL_KIND_NUMBER ? ")::text::numeric" :
	    ")::text COLLATE \"C\"");
	return 0;
}

/* "typeof(col) = kind AND col op ?", r a resolved operand. */
static int
sql_term(struct query_sql *qs, const struct query_schema *schema,
    const char *field, const char *op, json_t *r)
{
	enum sql_kind	 kind = sql_kind_of(r);

	if (sql_kind(qs, schema, field, kind) == -1 ||
	    sql_operand(qs, schema, field, kind) == -1)
		return -1;
	query_sql_add(qs, op);
	query_sql_bind(qs, r);
	sql_kind_end(qs, kind);
	return 0;
}

static int
sql_compare(struct query_sql *qs, const struct query_schema *schema,
    const struct query_node *n, const char *op,
    const struct query_vars *vars)
{
	json_t	*r = sql_value(qs, n->value, vars);
	int	 rv;

	query_sql_add(qs, "(");
	rv = sql_term(qs, schema, n->field, op, r);
	query_sql_add(qs, ")");
	json_decref(r);
	return rv;
}

/*
 * _eq and _neq; null compares with IS, as Directus does.  _neq is
 * knex's whereNot(): a row whose field is null does not match.
 */
static int
sql_equal(struct query_sql *qs, const struct query_schema *schema,
    const struct query_node *n, const struct query_vars *vars)
{
	json_t	*r = sql_value(qs, n->value, vars);
	int	 rv = 0;

	query_sql_add(qs, "(");
	if (r == NULL || json_is_null(r)) {
		rv = sql_column(qs, schema, n->field);
		query_sql_add(qs, n->op == QOP_EQ ? " IS NULL" :
		    " IS NOT NULL");
	} else if (n->op == QOP_EQ)
		rv = sql_term(qs, schema, n->field, " = ", r);
	else {
		rv = sql_column(qs, schema, n->field);
		query_sql_add(qs, " IS NOT NULL AND NOT (");
		if (rv == 0)
			rv = sql_term(qs, schema, n->field, " = ", r);
		query_sql_add(qs, ")");
	}
	query_sql_add(qs, ")");
	json_decref(r);
	return rv;
}

/* "typeof(col) = kind AND col IN (?, ...)" for the values of one kind. */
static int
sql_in_kind(struct query_sql *qs, const struct query_schema *schema,
    const char *field, json_t *list, enum sql_kind kind)
{
	json_t	*e;
	size_t	 i;
	int	 first = 1;

	query_sql_add(qs, "(");
	if (sql_kind(qs, schema, field, kind) == -1 ||
	    sql_operand(qs, schema, field, kind) == -1)
		return -1;
	query_sql_add(qs, " IN (");
	json_array_foreach(list, i, e) {
		if (sql_kind_of(e) != kind)
			continue;
		if (!first)
			query_sql_add(qs, ", ");
		query_sql_bind(qs, e);
		first = 0;
	}
	query_sql_add(qs, ")");
	sql_kind_end(qs, kind);
	query_sql_add(qs, ")");
	return 0;
}

/* The resolved values of a list; *nulls: how many are null. */
static json_t *
sql_list_values(json_t *list, const struct query_vars *vars,
    size_t *text, size_t *numbers, size_t *nulls)
{
	json_t	*out, *e, *r;
	size_t	 i;

	*text = *numbers = *nulls = 0;
	if ((out = json_array()) == NULL)
		return NULL;
	json_array_foreach(list, i, e) {
		if ((r = query_var_value(e, vars)) == NULL ||
		    json_array_append_new(out, r) == -1) {
			json_decref(out);
			return NULL;
		}
		*text += sql_kind_of(r) == SQL_KIND_TEXT;
		*numbers += sql_kind_of(r) == SQL_KIND_NUMBER;
		*nulls += sql_kind_of(r) == SQL_KIND_NONE;
	}
	return out;
}

/* _in: the text values and the numbers, each with its guard. */
static int
sql_in(struct query_sql *qs, const struct query_schema *schema,
    const char *field, json_t *list, size_t text, size_t numbers)
{
	int	 rv = 0;

	if (text == 0 && numbers == 0) {
		query_sql_bool(qs, 0);
		return 0;
	}
	query_sql_add(qs, "(");
	if (text > 0)
		rv = sql_in_kind(qs, schema, field, list, SQL_KIND_TEXT);
	if (text > 0 && numbers > 0)
		query_sql_add(qs, " OR ");
	if (rv == 0 && numbers > 0)
		rv = sql_in_kind(qs, schema, field, list,
		    SQL_KIND_NUMBER);
	query_sql_add(qs, ")");
	return rv;
}

/*
 * _in and _nin.  NOT IN a list that holds a null (a variable without a
 * value) is never true in SQL; _nin is knex's whereNotIn(), so a null
 * field does not match either.
 */
static int
sql_list(struct query_sql *qs, const struct query_schema *schema,
    const struct query_node *n, const struct query_vars *vars)
{
	json_t	*list;
	size_t	 text, numbers, nulls;
	int	 rv;

	list = sql_list_values(n->value, vars, &text, &numbers, &nulls);
	if (list == NULL) {
		qs->error = 1;
		return 0;
	}
	if (n->op == QOP_IN)
		rv = sql_in(qs, schema, n->field, list, text, numbers);
	else if (nulls > 0) {
		query_sql_bool(qs, 0);
		rv = 0;
	} else {
		query_sql_add(qs, "(");
		rv = sql_column(qs, schema, n->field);
		query_sql_add(qs, " IS NOT NULL AND NOT ");
		if (rv == 0)
			rv = sql_in(qs, schema, n->field, list, text,
			    numbers);
		query_sql_add(qs, ")");
	}
	json_decref(list);
	return rv;
}

/* _between as two guarded comparisons, one per bound. */
static int
sql_between(struct query_sql *qs, const struct query_schema *schema,
    const struct query_node *n, const struct query_vars *vars)
{
	json_t	*lo, *hi;
	int	 rv;

	lo = sql_value(qs, json_array_get(n->value, 0), vars);
	hi = sql_value(qs, json_array_get(n->value, 1), vars);
	query_sql_add(qs, "(");
	rv = sql_term(qs, schema, n->field, " >= ", lo);
	query_sql_add(qs, " AND ");
	if (rv == 0)
		rv = sql_term(qs, schema, n->field, " <= ", hi);
	query_sql_add(qs, ")");
	json_decref(lo);
	json_decref(hi);
	return rv;
}

/* _null, _nnull, _empty, _nempty with a boolean operand. */
static int
sql_nullness(struct query_sql *qs, const struct query_schema *schema,
    const struct query_node *n)
{
	int	 want = json_is_true(n->value);

	if (n->op == QOP_NNULL || n->op == QOP_NEMPTY)
		want = !want;
	query_sql_add(qs, want ? "(" : "(NOT (");
	if (sql_column(qs, schema, n->field) == -1)
		return -1;
	query_sql_add(qs, " IS NULL");
	if (n->op == QOP_EMPTY || n->op == QOP_NEMPTY) {
		query_sql_add(qs, " OR ");
		if ((qs->dialect == QUERY_PG ? sql_operand(qs, schema,
		    n->field, SQL_KIND_TEXT) : sql_column(qs, schema,
		    n->field)) == -1)
			return -1;
		query_sql_add(qs, qs->dialect == QUERY_PG_JSONB ?
		    " = '\"\"'::jsonb" : " = ''");
	}
	query_sql_add(qs, want ? ")" : "))");
	return 0;
}

/*
 * The field as text for a text function: SQLite's column; PostgreSQL's
 * typed column cast to text (sql_operand()), or a jsonb string's text
 * (#>> '{}').
 */
static int
sql_text_column(struct query_sql *qs, const struct query_schema *schema,
    const char *field)
{
	if (qs->dialect != QUERY_PG_JSONB)
		return sql_operand(qs, schema, field, SQL_KIND_TEXT);
	query_sql_add(qs, "(");
	if (sql_column(qs, schema, field) == -1)
		return -1;
	query_sql_add(qs, ") #>> '{}'");
	return 0;
}

/*
 * Substring operators on text, with instr() (strpos()) and substr()
 * (right()) so that no LIKE wildcard in a value can mean anything.
 * Only text matches: a number is not turned into text, which the
 * databases of Directus do not agree on either.
 */
static int
sql_text_op(struct query_sql *qs, const struct query_schema *schema,
    const struct query_node *n, json_t *r)
{
	if (n->op == QOP_ENDS_WITH && QUERY_SQL_PG(qs)) {
		query_sql_add(qs, "(right(");
		if (sql_text_column(qs, schema, n->field) == -1)
			return -1;
		query_sql_add(qs, ", length(");
		sql_bind_text(qs, r);
		query_sql_add(qs, ")) = ");
		sql_bind_text(qs, r);
		query_sql_add(qs, ")");
		return 0;
	}
	if (n->op == QOP_ENDS_WITH) {
		query_sql_add(qs, "(substr(");
		if (sql_column(qs, schema, n->field) == -1)
			return -1;
		query_sql_add(qs, ", -length(");
		query_sql_bind(qs, r);
		query_sql_add(qs, ")) = ");
		query_sql_bind(qs, r);
		query_sql_add(qs, " OR length(");
		query_sql_bind(qs, r);
		query_sql_add(qs, ") = 0)");
		return 0;
	}
	query_sql_add(qs, query_sql_instr(qs));
	if (sql_text_column(qs, schema, n->field) == -1)
		return -1;
	query_sql_add(qs, ", ");
	sql_bind_text(qs, r);
	query_sql_add(qs, n->op == QOP_CONTAINS ? ") > 0" :
	    n->op == QOP_NCONTAINS ? ") = 0" : ") = 1");
	return 0;
}

static int
sql_text(struct query_sql *qs, const struct query_schema *schema,
    const struct query_node *n, const struct query_vars *vars)
{
	json_t	*r = sql_value(qs, n->value, vars);
	int	 rv;

	query_sql_add(qs, "(");
	rv = sql_kind(qs, schema, n->field, SQL_KIND_TEXT);
	if (rv == 0)
		rv = sql_text_op(qs, schema, n, r);
	sql_kind_end(qs, SQL_KIND_TEXT);
	query_sql_add(qs, ")");
	json_decref(r);
	return rv;
}

/*
 * Does the schema know the field?  Asked apart, because some leaves
 * need no column at all (NOT IN a list holding a null is false).
 */
static int
sql_known(const struct query_schema *schema, const char *field)
{
	struct query_sql	 scratch;
	int			 rv;

	query_sql_init(&scratch);
	rv = sql_column(&scratch, schema, field);
	query_sql_free(&scratch);
	return rv;
}

static int
sql_group(struct query_sql *qs, const struct query_schema *schema,
    const struct query_node *n, const struct query_vars *vars)
{
	size_t	 i;

	if (n->nkids == 0) {
		query_sql_bool(qs, n->op == QOP_AND);
		return 0;
	}
	query_sql_add(qs, "(");
	for (i = 0; i < n->nkids; i++) {
		if (i > 0)
			query_sql_add(qs, n->op == QOP_AND ? " AND " : " OR ");
		if (query_node_sql(n->kids[i], schema, vars, qs) == -1)
			return -1;
	}
	query_sql_add(qs, ")");
	return 0;
}

/*
 * Append the filter as an SQL condition.  -1: a field the schema does
 * not know (the caller answers as for a field it may not touch).
 */
int
query_node_sql(const struct query_node *n, const struct query_schema *schema,
    const struct query_vars *vars, struct query_sql *qs)
{
	if (n->op != QOP_AND && n->op != QOP_OR &&
	    sql_known(schema, n->field) == -1)
		return -1;
	if (n->op == QOP_REL)
		return schema->relation != NULL ? schema->relation(schema->arg,
		    n, vars, qs) : -1;
	switch (n->op) {
	case QOP_AND:
	case QOP_OR:
		return sql_group(qs, schema, n, vars);
	case QOP_EQ:
	case QOP_NEQ:
		return sql_equal(qs, schema, n, vars);
	case QOP_LT:
		return sql_compare(qs, schema, n, " < ", vars);
	case QOP_LTE:
		return sql_compare(qs, schema, n, " <= ", vars);
	case QOP_GT:
		return sql_compare(qs, schema, n, " > ", vars);
	case QOP_GTE:
		return sql_compare(qs, schema, n, " >= ", vars);
	case QOP_IN:
	case QOP_NIN:
		return sql_list(qs, schema, n, vars);
	case QOP_BETWEEN:
		return sql_between(qs, schema, n, vars);
	case QOP_NULL:
	case QOP_NNULL:
	case QOP_EMPTY:
	case QOP_NEMPTY:
		return sql_nullness(qs, schema, n);
	default:
		return sql_text(qs, schema, n, vars);
	}
}

/* " ORDER BY a ASC, b DESC" (nothing when the query has no sort). */
int
query_sort_sql(const struct query *q, const struct query_schema *schema,
    struct query_sql *qs)
{
	size_t	 i;

	for (i = 0; i < q->nsort; i++) {
		query_sql_add(qs, i == 0 ? " ORDER BY " : ", ");
		if (sql_column(qs, schema, q->sort[i].field) == -1)
			return -1;
		query_sql_add(qs, q->sort[i].desc ? " DESC" : " ASC");
		/* SQLite's order (nulls first), which Directus's answers show. */
		if (QUERY_SQL_PG(qs))
			query_sql_add(qs, q->sort[i].desc ? " NULLS LAST" :
			    " NULLS FIRST");
	}
	return 0;
}

/* Bind the values in order, starting at parameter first (1-based). */
int
query_sql_apply(struct sqlite3_stmt *stmt, const struct query_sql *qs,
    int first)
{
	json_t	*v;
	size_t	 i;
	int	 rc, at;

	for (i = 0; i < qs->nbinds; i++) {
		v = qs->binds[i];
		at = first + (int)i;
		if (json_is_string(v))
			rc = sqlite3_bind_text(stmt, at, json_string_value(v),
			    (int)json_string_length(v), SQLITE_TRANSIENT);
		else if (json_is_integer(v))
			rc = sqlite3_bind_int64(stmt, at, json_integer_value(v));
		else if (json_is_real(v))
			rc = sqlite3_bind_double(stmt, at, json_real_value(v));
		else if (json_is_boolean(v))
			rc = sqlite3_bind_int(stmt, at, json_is_true(v));
		else
			rc = sqlite3_bind_null(stmt, at);
		if (rc != SQLITE_OK)
			return -1;
	}
	return 0;
}

static void
sql_alias(struct query_sql *qs, char kind, size_t i)
{
	char	 alias[24];

	(void)snprintf(alias, sizeof(alias), "%c%zu", kind, i);
	query_sql_add(qs, alias);
}

/*
 * QUERY_PG_JSONB: PostgreSQL's sum and avg of a jsonb field as SQLite's of
 * json_extract(): a number as numeric, a boolean as 1 or 0, text as 0;
 * min and max: the first value in jsonb's order, of any kind.
 */
static int
sql_agg_jsonb(struct query_sql *qs, const struct query_schema *schema,
    const struct query_agg *a)
{
	int	 distinct = a->fn == QAGG_SUM_DISTINCT ||
		    a->fn == QAGG_AVG_DISTINCT;

	if (a->fn == QAGG_MIN || a->fn == QAGG_MAX) {
		query_sql_add(qs, "(array_agg(");
		if (sql_column(qs, schema, a->field) == -1)
			return -1;
		query_sql_add(qs, " ORDER BY ");
		if (sql_column(qs, schema, a->field) == -1)
			return -1;
		query_sql_add(qs, a->fn == QAGG_MIN ? " ASC" : " DESC");
		query_sql_add(qs, ") FILTER (WHERE ");
		if (sql_column(qs, schema, a->field) == -1)
			return -1;
		query_sql_add(qs, " IS NOT NULL))[1]");
		return 0;
	}
	query_sql_add(qs, a->fn == QAGG_SUM || a->fn == QAGG_SUM_DISTINCT ?
	    "sum(" : "avg(");
	query_sql_add(qs, distinct ? "DISTINCT CASE jsonb_typeof(" :
	    "CASE jsonb_typeof(");
	if (sql_column(qs, schema, a->field) == -1)
		return -1;
	query_sql_add(qs, ") WHEN 'number' THEN (");
	if (sql_column(qs, schema, a->field) == -1)
		return -1;
	query_sql_add(qs, ")::numeric WHEN 'boolean' THEN (");
	if (sql_column(qs, schema, a->field) == -1)
		return -1;
	query_sql_add(qs, ")::boolean::int::numeric WHEN 'string' THEN 0 "
	    "END)");
	return 0;
}

/* One aggregate's expression over the schema's column. */
static int
sql_agg(struct query_sql *qs, const struct query_schema *schema,
    const struct query_agg *a)
{
	static const char *const open[] = {
		[QAGG_COUNT] = "count(", [QAGG_COUNT_DISTINCT] = "count("
		    "DISTINCT ", [QAGG_COUNT_ALL] = "count(",
		[QAGG_SUM] = "sum(", [QAGG_SUM_DISTINCT] = "sum(DISTINCT ",
		[QAGG_AVG] = "avg(", [QAGG_AVG_DISTINCT] = "avg(DISTINCT ",
		[QAGG_MIN] = "min(", [QAGG_MAX] = "max(",
	};

	if (qs->dialect == QUERY_PG_JSONB && strcmp(a->field, "*") != 0 &&
	    a->fn != QAGG_COUNT && a->fn != QAGG_COUNT_DISTINCT &&
	    a->fn != QAGG_COUNT_ALL)
		return sql_agg_jsonb(qs, schema, a);
	query_sql_add(qs, open[a->fn]);
	if (strcmp(a->field, "*") == 0)
		query_sql_add(qs, "*");
	else if (qs->dialect == QUERY_PG && a->fn >= QAGG_SUM &&
	    a->fn <= QAGG_AVG_DISTINCT) {
		/*
		 * PostgreSQL adds no text; SQLite adds a text that reads as
		 * a number as that number, any other as 0.
		 */
		if (sql_kind(qs, schema, a->field, SQL_KIND_NUMBER) == -1 ||
		    sql_operand(qs, schema, a->field, SQL_KIND_NUMBER) == -1)
			return -1;
		query_sql_add(qs, " WHEN ");
		if (sql_operand(qs, schema, a->field, SQL_KIND_TEXT) == -1)
			return -1;
		query_sql_add(qs, " ~ " SQL_PG_NUMERIC_TEXT " THEN trim(");
		if (sql_operand(qs, schema, a->field, SQL_KIND_TEXT) == -1)
			return -1;
		query_sql_add(qs, ")::numeric WHEN ");
		if (sql_column(qs, schema, a->field) == -1)
			return -1;
		query_sql_add(qs, " IS NOT NULL THEN 0 END");
	} else if (sql_column(qs, schema, a->field) == -1)
		return -1;
	query_sql_add(qs, ")");
	return 0;
}

/*
 * The select list of a grouped query: each groupBy field as g0, g1,
 * ..., then each aggregate as a0, a1, ... (query_group_row reads them
 * in that order).  -1: a field the schema does not know.
 */
int
query_group_sql(const struct query *q, const struct query_schema *schema,
    struct query_sql *qs)
{
	size_t	 i;

	for (i = 0; i < q->ngroup; i++) {
		query_sql_add(qs, i > 0 ? ", " : "");
		if (sql_column(qs, schema, q->group[i]) == -1)
			return -1;
		query_sql_add(qs, " AS ");
		sql_alias(qs, 'g', i);
	}
	for (i = 0; i < q->nagg; i++) {
		query_sql_add(qs, i > 0 || q->ngroup > 0 ? ", " : "");
		if (sql_agg(qs, schema, &q->agg[i]) == -1)
			return -1;
		query_sql_add(qs, " AS ");
		sql_alias(qs, 'a', i);
	}
	return 0;
}

/* The alias a sort field orders by: a groupBy field, or count(*). */
static void
sql_group_sort(const struct query *q, const struct query_sort *s,
    struct query_sql *qs)
{
	size_t	 i;

	for (i = 0; i < q->ngroup; i++)
		if (strcmp(s->field, q->group[i]) == 0) {
			sql_alias(qs, 'g', i);
			return;
		}
	for (i = 0; i < q->nagg; i++)
		if (q->agg[i].fn == QAGG_COUNT &&
		    strcmp(q->agg[i].field, "*") == 0) {
			sql_alias(qs, 'a', i);
			return;
		}
	query_sql_add(qs, "NULL");	/* query_grouped_check refused it */
}

/*
 * " GROUP BY g0, ... ORDER BY ...": the query's sort (checked by
 * query_grouped_check), then the groupBy fields in order, which is
 * Directus's own order of groups.  Nothing without groupBy: one row.
 */
int
query_group_order_sql(const struct query *q,
    const struct query_schema *schema, struct query_sql *qs)
{
	size_t	 i;

	(void)schema;
	if (q->ngroup == 0)
		return 0;
	query_sql_add(qs, " GROUP BY ");
	for (i = 0; i < q->ngroup; i++) {
		query_sql_add(qs, i > 0 ? ", " : "");
		sql_alias(qs, 'g', i);
	}
	query_sql_add(qs, " ORDER BY ");
	for (i = 0; i < q->nsort; i++) {
		sql_group_sort(q, &q->sort[i], qs);
		query_sql_add(qs, q->sort[i].desc ? " DESC" : " ASC");
		if (QUERY_SQL_PG(qs))
			query_sql_add(qs, q->sort[i].desc ? " NULLS LAST" :
			    " NULLS FIRST");
		query_sql_add(qs, ", ");
	}
	for (i = 0; i < q->ngroup; i++) {
		query_sql_add(qs, i > 0 ? ", " : "");
		sql_alias(qs, 'g', i);
		if (QUERY_SQL_PG(qs))
			query_sql_add(qs, " NULLS FIRST");
	}
	return 0;
}

/*
 * A column's value as Directus answers it from SQLite: integers and
 * text as they are, a real that is a whole number within 2^53 as an
 * integer (JavaScript prints 4, not 4.0), an infinite one and
 * anything else (a blob: an object or array of the item store) as
 * null.
 */
json_t *
query_sqlite_value(void *arg, int col)
{
	sqlite3_stmt	*st = arg;
	double		 d;

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, col));
	case SQLITE_FLOAT:
		d = sqlite3_column_double(st, col);
		/* A sum past the largest double: JSON.stringify writes null. */
		if (!isfinite(d))
			return json_null();
		if (d <= 9007199254740991.0 && d >= -9007199254740991.0 &&
		    d == (double)(long long)d)
			return json_integer((json_int_t)d);
		return json_real(d);
	case SQLITE_TEXT:
		return json_stringn((const char *)sqlite3_column_text(st,
		    col), (size_t)sqlite3_column_bytes(st, col));
	default:
		return json_null();
	}
}

/* Put v (taken) at row[fn][field], or row["count"] for count(*). */
static int
sql_agg_put(json_t *row, const struct query_agg *a, json_t *v)
{
	const char	*fn = query_agg_name(a->fn);
	json_t		*sub;

	if (v == NULL)
		return -1;
	if (strcmp(a->field, "*") == 0)
		return json_object_set_new(row, fn, v);
	if ((sub = json_object_get(row, fn)) == NULL) {
		if ((sub = json_object()) == NULL ||
		    json_object_set_new(row, fn, sub) == -1) {
			json_decref(v);
			return -1;
		}
	}
	return json_object_set_new(sub, a->field, v);
}

/*
 * One row of a grouped query in Directus's shape: the groupBy fields,
 * then {"count": 4, "sum": {"views": 40}, ...}, each column read with
 * value(st, i) (the store's reader).  NULL: out of memory.
 */
json_t *
query_group_row_of(const struct query *q, json_t *(*value)(void *, int),
    void *st)
{
	json_t	*row;
	size_t	 i;

	if ((row = json_object()) == NULL)
		return NULL;
	for (i = 0; i < q->ngroup; i++)
		if (json_object_set_new(row, q->group[i],
		    value(st, (int)i)) == -1)
			goto fail;
	for (i = 0; i < q->nagg; i++)
		if (sql_agg_put(row, &q->agg[i], value(st,
		    (int)(q->ngroup + i))) == -1)
			goto fail;
	return row;
 fail:
	json_decref(row);
	return NULL;
}

/* The same of a SQLite statement's row. */
json_t *
query_group_row(const struct query *q, sqlite3_stmt *st)
{
	return query_group_row_of(q, query_sqlite_value, st);
}

/*
 * The search over the item store's documents (a column "doc" holding
 * one JSON object), with the semantics of query_search_match(): a
 * member whose key both field lists cover holds text that contains
 * the term in any ASCII letter case (SQLite's lower()), or a number
 * equal to the term when the term is a number.  The term is bound and
 * instr() gives none of its characters a meaning.
 */
void
query_search_doc_sql(const struct query_search *s, const struct conf_fields *a,
    const struct conf_fields *b, struct query_sql *qs)
{
	const struct conf_fields	*list, *other;
	json_t				*v;
	size_t				 i, n = 0;

	query_sql_add(qs, QUERY_SQL_PG(qs) ? "EXISTS (SELECT 1 FROM "
	    "jsonb_each(doc::jsonb) AS s WHERE " :
	    "EXISTS (SELECT 1 FROM json_each(doc) AS s WHERE ");
	if (!a->all || !b->all) {
		list = !a->all ? a : b;
		other = list == a ? b : a;
		query_sql_add(qs, "s.key IN (");
		for (i = 0; i < list->n; i++) {
			if (!other->all && !config_fields_has(other,
			    list->names[i]))
				continue;
			query_sql_add(qs, n++ > 0 ? ", " : "");
			v = json_string(list->names[i]);
			sql_bind_text(qs, v);
			json_decref(v);
		}
		query_sql_add(qs, n == 0 ? "NULL) AND " : ") AND ");
	}
	v = json_string(s->text);
	if (QUERY_SQL_PG(qs)) {
		query_sql_add(qs, "((jsonb_typeof(s.value) = 'string' AND "
		    "strpos(lower(s.value #>> '{}'), lower(");
		sql_bind_text(qs, v);
		json_decref(v);
		query_sql_add(qs, ")) > 0)");
		if (s->number != NULL) {
			query_sql_add(qs, " OR (jsonb_typeof(s.value) = "
			    "'number' AND s.value = ");
			query_sql_bind(qs, s->number);
			query_sql_add(qs, ")");
		}
		query_sql_add(qs, "))");
		return;
	}
	query_sql_add(qs, "((s.type = 'text' AND instr(lower(s.value), "
	    "lower(");
	query_sql_bind(qs, v);
	json_decref(v);
	query_sql_add(qs, ")) > 0)");
	if (s->number != NULL) {
		query_sql_add(qs, " OR (s.type IN ('integer', 'real') AND "
		    "s.value = ");
		query_sql_bind(qs, s->number);
		query_sql_add(qs, ")");
	}
	query_sql_add(qs, "))");
}
