/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/query.c and shared/query_sql.c: a filter as the "filter" query
 * parameter or a permission brings it, query_filter_parse_text(), then
 * query_node_sql() and query_node_match() on the same tree.
 *
 * Input: the filter text, exactly as many bytes as given.
 *
 * Properties: a refused filter has a reason.  An accepted one is a tree
 * within the bounds (nodes, depth, list lengths) whose fields are valid
 * names and whose operands are of their operator's kind.  Its SQL is one
 * read-only statement whose only values are bound parameters; it
 * prepares and runs on an in-memory table shaped like the item store
 * and selects exactly the rows that query_node_match() accepts, with a
 * user and as the public.  A schema that lacks a field refuses the
 * filter exactly when the filter names that field.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "fuzz.h"
#include "query.h"

#define FUZZ_FILTER_NOW	"2024-01-01T00:00:00.000Z"

/* One document per row, of every kind of value; "id" is the key. */
static const char *const fuzz_filter_docs[] = {
	"{\"a\":\"u1\",\"b\":5,\"c\":true,\"d\":\"\",\"e\":2.5}",
	"{\"a\":\"u2\",\"b\":\"5\",\"c\":false,\"d\":null,\"e\":-1}",
	"{\"a\":null,\"b\":0,\"c\":1,\"d\":\"x\",\"e\":\"2024\"}",
	"{\"a\":\"r1\",\"b\":9007199254740993,\"c\":0,\"e\":1e300}",
	"{\"a\":\"50%_\\u2603'\",\"b\":-3,\"d\":{\"x\":1},\"e\":[1]}",
	"{\"a\":\"2023-12-31T23:59:59.000Z\",\"b\":100.0,\"c\":\"true\"}",
	"{\"a\":\"\",\"b\":9007199254740992,\"d\":\"{\\\"x\\\":1}\"}",
	"{}",
};
#define FUZZ_FILTER_NDOCS \
	(sizeof(fuzz_filter_docs) / sizeof(fuzz_filter_docs[0]))

static sqlite3	*fuzz_filter_db;
static json_t	*fuzz_filter_items[FUZZ_FILTER_NDOCS];

/* The item store's columns; arg, when not NULL, is a field it lacks. */
static int
fuzz_filter_column(void *arg, const char *field, struct query_sql *qs)
{
	char	 path[CONF_IDENT_MAX + 8];
	json_t	*p;

	if (arg != NULL && strcmp(field, arg) == 0)
		return -1;
	if (strcmp(field, "id") == 0) {
		query_sql_add(qs, "id");
		return 0;
	}
	(void)snprintf(path, sizeof(path), "$.\"%s\"", field);
	if ((p = json_string(path)) == NULL)
		abort();
	query_sql_add(qs, "(CASE WHEN json_type(doc, ");
	query_sql_bind(qs, p);
	query_sql_add(qs, ") IN ('object', 'array') THEN x'' ELSE "
	    "json_extract(doc, ");
	query_sql_bind(qs, p);
	query_sql_add(qs, ") END)");
	json_decref(p);
	return 0;
}

static void	 fuzz_filter_fini(void);

static void
fuzz_filter_init(void)
{
	sqlite3_stmt	*st;
	size_t		 i;

	if (fuzz_filter_db != NULL)
		return;
	FUZZ_ASSERT(sqlite3_open(":memory:", &fuzz_filter_db) == SQLITE_OK);
	FUZZ_ASSERT(sqlite3_exec(fuzz_filter_db, "CREATE TABLE t (id INTEGER "
	    "PRIMARY KEY, doc TEXT)", NULL, NULL, NULL) == SQLITE_OK);
	FUZZ_ASSERT(sqlite3_prepare_v2(fuzz_filter_db, "INSERT INTO t "
	    "VALUES (?, ?)", -1, &st, NULL) == SQLITE_OK);
	for (i = 0; i < FUZZ_FILTER_NDOCS; i++) {
		fuzz_filter_items[i] = json_loads(fuzz_filter_docs[i], 0, NULL);
		FUZZ_ASSERT(fuzz_filter_items[i] != NULL);
		FUZZ_ASSERT(json_object_set_new(fuzz_filter_items[i], "id",
		    json_integer(i + 1)) == 0);
		(void)sqlite3_bind_int64(st, 1, i + 1);
		(void)sqlite3_bind_text(st, 2, fuzz_filter_docs[i], -1,
		    SQLITE_STATIC);
		FUZZ_ASSERT(sqlite3_step(st) == SQLITE_DONE);
		(void)sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	/* Replayed under valgrind by test_fuzzcases: leave nothing behind. */
	atexit(fuzz_filter_fini);
}

static void
fuzz_filter_fini(void)
{
	size_t	 i;

	for (i = 0; i < FUZZ_FILTER_NDOCS; i++) {
		json_decref(fuzz_filter_items[i]);
		fuzz_filter_items[i] = NULL;
	}
	sqlite3_close(fuzz_filter_db);
	fuzz_filter_db = NULL;
}

static int
fuzz_filter_list_ok(json_t *v, size_t exact)
{
	json_t	*e;
	size_t	 i;

	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > QUERY_LIST_MAX ||
	    (exact != 0 && json_array_size(v) != exact))
		return 0;
	json_array_foreach(v, i, e)
		if (!json_is_string(e) && !json_is_number(e) &&
		    !json_is_boolean(e))
			return 0;
	return 1;
}

static int
fuzz_filter_operand_ok(const struct query_node *n)
{
	json_t	*v = n->value;

	switch (n->op) {
	case QOP_EQ:
	case QOP_NEQ:
		return json_is_string(v) || json_is_number(v) ||
		    json_is_boolean(v) || json_is_null(v);
	case QOP_LT:
	case QOP_LTE:
	case QOP_GT:
	case QOP_GTE:
		return json_is_string(v) || json_is_number(v);
	case QOP_IN:
	case QOP_NIN:
		return fuzz_filter_list_ok(v, 0);
	case QOP_BETWEEN:
		return fuzz_filter_list_ok(v, 2);
	case QOP_NULL:
	case QOP_NNULL:
	case QOP_EMPTY:
	case QOP_NEMPTY:
		return json_is_boolean(v);
	case QOP_CONTAINS:
	case QOP_NCONTAINS:
	case QOP_STARTS_WITH:
	case QOP_ENDS_WITH:
		return json_is_string(v);
	default:
		return 0;
	}
}

/* Nodes in the tree; each level of objects is two levels of nodes. */
static size_t
fuzz_filter_tree(const struct query_node *n, int depth)
{
	size_t	 i, count = 1;

	FUZZ_ASSERT(depth <= 2 * QUERY_DEPTH_MAX);
	if (n->op == QOP_AND || n->op == QOP_OR) {
		FUZZ_ASSERT(n->value == NULL && n->field[0] == '\0');
		FUZZ_ASSERT(n->nkids == 0 || n->kids != NULL);
		for (i = 0; i < n->nkids; i++)
			count += fuzz_filter_tree(n->kids[i], depth + 1);
		return count;
	}
	FUZZ_ASSERT(n->nkids == 0 && n->kids == NULL);
	FUZZ_ASSERT(query_ident_valid(n->field));
	FUZZ_ASSERT(fuzz_filter_operand_ok(n));
	return count;
}

/* Rows the SQL selects, one bit per document. */
static uint32_t
fuzz_filter_rows_sql(const struct query_node *n,
    const struct query_vars *vars)
{
	struct query_schema	 schema = { .column = fuzz_filter_column };
	struct query_sql	 qs;
	sqlite3_stmt		*st;
	const char		*tail;
	uint32_t		 rows = 0;
	size_t			 i, marks = 0;
	int			 rc;

	query_sql_init(&qs);
	query_sql_add(&qs, "SELECT id FROM t WHERE ");
	FUZZ_ASSERT(query_node_sql(n, &schema, vars, &qs) == 0 && !qs.error);
	for (i = 0; i < qs.len; i++)
		marks += qs.text[i] == '?';
	FUZZ_ASSERT(marks == qs.nbinds);
	rc = sqlite3_prepare_v2(fuzz_filter_db, qs.text, -1, &st, &tail);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", qs.text,
		    sqlite3_errmsg(fuzz_filter_db));
	FUZZ_ASSERT(rc == SQLITE_OK && st != NULL && *tail == '\0');
	FUZZ_ASSERT(sqlite3_stmt_readonly(st));
	FUZZ_ASSERT(query_sql_apply(st, &qs, 1) == 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		rows |= 1U << (sqlite3_column_int64(st, 0) - 1);
	FUZZ_ASSERT(rc == SQLITE_DONE);
	sqlite3_finalize(st);
	query_sql_free(&qs);
	return rows;
}

static uint32_t
fuzz_filter_rows_match(const struct query_node *n,
    const struct query_vars *vars)
{
	uint32_t	 rows = 0;
	size_t		 i;
	int		 hit;

	for (i = 0; i < FUZZ_FILTER_NDOCS; i++) {
		hit = query_node_match(n, fuzz_filter_items[i], vars);
		FUZZ_ASSERT(hit == 0 || hit == 1);
		if (hit)
			rows |= 1U << i;
	}
	return rows;
}

static int
fuzz_filter_first_field(void *arg, const char *field)
{
	(void)strlcpy(arg, field, CONF_IDENT_MAX);
	return -1;
}

/* A schema without the first field the filter names refuses it. */
static void
fuzz_filter_unknown(const struct query_node *n)
{
	struct query_schema	 schema = { .column = fuzz_filter_column };
	struct query_sql	 qs;
	char			 field[CONF_IDENT_MAX] = "";

	(void)query_node_fields(n, fuzz_filter_first_field, field);
	if (field[0] == '\0')
		return;
	schema.arg = field;
	query_sql_init(&qs);
	FUZZ_ASSERT(query_node_sql(n, &schema, NULL, &qs) == -1);
	query_sql_free(&qs);
}

void
fuzz_filter(const uint8_t *data, size_t size)
{
	static const struct query_vars	 user = { "u1", "r1",
					    FUZZ_FILTER_NOW };
	static const struct query_vars	 public = { NULL, NULL,
					    FUZZ_FILTER_NOW };
	struct query_node		*n;
	char				 reason[QUERY_REASON_MAX] = "";

	fuzz_filter_init();
	n = query_filter_parse_text((const char *)data, size, reason,
	    sizeof(reason));
	if (n == NULL) {
		FUZZ_ASSERT(reason[0] != '\0');
		return;
	}
	FUZZ_ASSERT(size <= QUERY_TEXT_MAX);
	FUZZ_ASSERT(n->op == QOP_AND);
	FUZZ_ASSERT(fuzz_filter_tree(n, 1) <= QUERY_NODES_MAX);
	FUZZ_ASSERT(fuzz_filter_rows_sql(n, &user) ==
	    fuzz_filter_rows_match(n, &user));
	FUZZ_ASSERT(fuzz_filter_rows_sql(n, &public) ==
	    fuzz_filter_rows_match(n, &public));
	fuzz_filter_unknown(n);
	query_node_free(n);
}

FUZZ_TARGET(fuzz_filter)
