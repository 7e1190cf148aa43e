/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/query.c and shared/query_sql.c: the parameters search,
 * aggregate and groupBy (with sort and filter beside them), parsed by
 * query_parse(), then compiled into the SQL the item store runs.
 *
 * Input: one byte of flags, then the values of search, aggregate,
 * groupBy, sort and filter in that order, separated by NUL bytes.  Flag
 * bit i (0 to 4) makes parameter i present; bit 5 applies a permission
 * whose item filter keeps the documents of $CURRENT_USER; bit 6 lets
 * the permission read the field "a" only.
 *
 * Properties: a refused query has a reason and holds nothing.  An
 * accepted one has a search of at most QUERY_SEARCH_MAX bytes, equal to
 * the input, with a number only for digits, '-' and '.'; at most
 * QUERY_AGG_MAX aggregates, each over a valid field name or "*" (for
 * count and countAll only); at most QUERY_GROUP_MAX distinct groupBy
 * fields; a sort over groupBy fields or count.  Its SQL, run by SQLite
 * on an in-memory table shaped like the item store, never fails; a
 * grouped query gives at most one row per document (one row without
 * groupBy), and a search alone selects exactly the documents that
 * query_search_match() accepts.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "fuzz.h"
#include "query.h"
#include "query_where.h"

#define FUZZ_AGG_NPARAMS	5

static const char *const fuzz_agg_docs[] = {
	"{\"a\":\"u1\",\"b\":5,\"c\":true,\"d\":\"Apple pie\",\"e\":2.5}",
	"{\"a\":\"u2\",\"b\":\"5\",\"c\":false,\"d\":null,\"e\":-1}",
	"{\"a\":null,\"b\":0,\"c\":1,\"d\":\"x\",\"e\":\"2024\"}",
	"{\"a\":\"r1\",\"b\":9007199254740993,\"c\":0,\"e\":1e300}",
	"{\"a\":\"50%_\\u2603'\",\"b\":-3,\"d\":{\"x\":1},\"e\":[1]}",
	"{\"a\":\"U1\",\"b\":100.0,\"c\":\"true\",\"d\":\"10\"}",
	"{\"a\":\"\",\"b\":-0.25,\"d\":\"BANANA\"}",
	"{}",
};
#define FUZZ_AGG_NDOCS	(sizeof(fuzz_agg_docs) / sizeof(fuzz_agg_docs[0]))

static sqlite3	*fuzz_agg_db;
static json_t	*fuzz_agg_items[FUZZ_AGG_NDOCS];	/* without "id" */

static int
fuzz_agg_column(void *arg, const char *field, struct query_sql *qs)
{
	char	 path[CONF_IDENT_MAX + 8];
	json_t	*p;

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

static int
fuzz_agg_search(void *arg, const struct query_search *s,
    const struct conf_fields *readable, struct query_sql *qs)
{
	static const struct conf_fields	 every = { .all = 1 };

	query_search_doc_sql(s, readable, &every, qs);
	return 0;
}

static const struct query_schema fuzz_agg_schema = {
	.column = fuzz_agg_column, .search = fuzz_agg_search };

static void	 fuzz_agg_fini(void);

static void
fuzz_agg_init(void)
{
	sqlite3_stmt	*st;
	size_t		 i;

	if (fuzz_agg_db != NULL)
		return;
	FUZZ_ASSERT(sqlite3_open(":memory:", &fuzz_agg_db) == SQLITE_OK);
	FUZZ_ASSERT(sqlite3_exec(fuzz_agg_db, "CREATE TABLE t (id INTEGER "
	    "PRIMARY KEY, doc TEXT)", NULL, NULL, NULL) == SQLITE_OK);
	FUZZ_ASSERT(sqlite3_prepare_v2(fuzz_agg_db, "INSERT INTO t "
	    "VALUES (?, ?)", -1, &st, NULL) == SQLITE_OK);
	for (i = 0; i < FUZZ_AGG_NDOCS; i++) {
		fuzz_agg_items[i] = json_loads(fuzz_agg_docs[i], 0, NULL);
		FUZZ_ASSERT(fuzz_agg_items[i] != NULL);
		(void)sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
		(void)sqlite3_bind_text(st, 2, fuzz_agg_docs[i], -1,
		    SQLITE_STATIC);
		FUZZ_ASSERT(sqlite3_step(st) == SQLITE_DONE);
		(void)sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	atexit(fuzz_agg_fini);
}

static void
fuzz_agg_fini(void)
{
	size_t	 i;

	for (i = 0; i < FUZZ_AGG_NDOCS; i++) {
		json_decref(fuzz_agg_items[i]);
		fuzz_agg_items[i] = NULL;
	}
	sqlite3_close(fuzz_agg_db);
	fuzz_agg_db = NULL;
}

static int
fuzz_agg_zeroed(const struct query *q)
{
	struct query	 zero;

	memset(&zero, 0, sizeof(zero));
	return memcmp(q, &zero, sizeof(zero)) == 0;
}

static void
fuzz_agg_accepted(const struct query *q, char **v)
{
	const char	*p;
	size_t		 i, j;

	if (v[0] == NULL || *v[0] == '\0')
		FUZZ_ASSERT(q->search == NULL);
	else {
		FUZZ_ASSERT(q->search != NULL);
		FUZZ_ASSERT(strlen(v[0]) <= QUERY_SEARCH_MAX);
		FUZZ_ASSERT(strcmp(q->search->text, v[0]) == 0);
		for (p = v[0]; q->search->number != NULL && *p != '\0'; p++)
			FUZZ_ASSERT(isdigit((unsigned char)*p) || *p == '-' ||
			    *p == '.');
	}
	FUZZ_ASSERT(q->nagg <= QUERY_AGG_MAX);
	FUZZ_ASSERT((q->nagg > 0) == (v[1] != NULL && *v[1] != '\0'));
	for (i = 0; i < q->nagg; i++) {
		FUZZ_ASSERT(q->agg[i].fn <= QAGG_MAX);
		if (strcmp(q->agg[i].field, "*") == 0)
			FUZZ_ASSERT(q->agg[i].fn == QAGG_COUNT ||
			    q->agg[i].fn == QAGG_COUNT_ALL);
		else
			FUZZ_ASSERT(query_ident_valid(q->agg[i].field) &&
			    q->agg[i].fn != QAGG_COUNT_ALL);
	}
	FUZZ_ASSERT(q->ngroup <= QUERY_GROUP_MAX);
	for (i = 0; i < q->ngroup; i++) {
		FUZZ_ASSERT(query_ident_valid(q->group[i]));
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(q->group[i], q->group[j]) != 0);
	}
	FUZZ_ASSERT(query_grouped_check(q, NULL, 0) == 0);
}

/* Run the query's SQL; the rows it selects (ids, or groups counted). */
static void
fuzz_agg_run(const struct query *q, const struct conf_permission *perm,
    const struct query_vars *vars, uint64_t *ids, size_t *nrows)
{
	struct query_where	 w = { &fuzz_agg_schema, vars, perm,
				    q->filter, NULL, q->search };
	struct query_sql	 qs;
	sqlite3_stmt		*st = NULL;
	json_t			*row;
	int			 rc;

	*ids = 0;
	*nrows = 0;
	query_sql_init(&qs);
	if (QUERY_GROUPED(q)) {
		query_sql_add(&qs, "SELECT ");
		FUZZ_ASSERT(query_group_sql(q, &fuzz_agg_schema, &qs) == 0);
		query_sql_add(&qs, " FROM t WHERE ");
	} else
		query_sql_add(&qs, "SELECT id FROM t WHERE ");
	FUZZ_ASSERT(query_where_sql(&w, &qs) == QUERY_WHERE_OK);
	if (QUERY_GROUPED(q))
		FUZZ_ASSERT(query_group_order_sql(q, &fuzz_agg_schema,
		    &qs) == 0);
	FUZZ_ASSERT(!qs.error);
	FUZZ_ASSERT(sqlite3_prepare_v2(fuzz_agg_db, qs.text, -1, &st,
	    NULL) == SQLITE_OK);
	FUZZ_ASSERT(query_sql_apply(st, &qs, 1) == 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		(*nrows)++;
		if (!QUERY_GROUPED(q)) {
			*ids |= (uint64_t)1 << (sqlite3_column_int64(st, 0) - 1);
			continue;
		}
		FUZZ_ASSERT((row = query_group_row(q, st)) != NULL);
		FUZZ_ASSERT(json_object_size(row) <= q->ngroup + q->nagg);
		json_decref(row);
	}
	FUZZ_ASSERT(rc == SQLITE_DONE);
	sqlite3_finalize(st);
	query_sql_free(&qs);
}

static void
fuzz_agg_sql(const struct query *q, uint8_t flags)
{
	static const struct query_vars	 vars = { "u1", "r1",
					    "2024-01-01T00:00:00.000Z" };
	struct conf_permission		 perm;
	char				 names[1][CONF_IDENT_MAX] = { "a" };
	uint64_t			 ids, want = 0;
	size_t				 nrows, i;

	memset(&perm, 0, sizeof(perm));
	perm.fields.all = !(flags & 0x40);
	perm.fields.n = flags & 0x40 ? 1 : 0;
	perm.fields.names = flags & 0x40 ? names : NULL;
	if (flags & 0x20)
		perm.filter = "{\"a\":{\"_eq\":\"$CURRENT_USER\"}}";
	fuzz_agg_run(q, &perm, &vars, &ids, &nrows);
	if (QUERY_GROUPED(q)) {
		FUZZ_ASSERT(q->ngroup > 0 ? nrows <= FUZZ_AGG_NDOCS :
		    nrows == 1);
		return;
	}
	/* The filters are matched elsewhere (fuzz_filter): search alone. */
	if (q->filter != NULL || perm.filter != NULL || q->search == NULL)
		return;
	for (i = 0; i < FUZZ_AGG_NDOCS; i++)
		if (query_search_match(q->search, fuzz_agg_items[i],
		    &perm.fields))
			want |= (uint64_t)1 << i;
	FUZZ_ASSERT(ids == want);
}

void
fuzz_aggregate(const uint8_t *data, size_t size)
{
	struct query_params	 p;
	struct query		 q;
	char			*text, *part, *v[FUZZ_AGG_NPARAMS];
	char			 reason[QUERY_REASON_MAX] = "";
	size_t			 i, at = 1;
	int			 rv;

	if (size == 0)
		return;
	fuzz_agg_init();
	text = fuzz_cstring(data, size);
	for (i = 0; i < FUZZ_AGG_NPARAMS; i++) {
		part = at < size ? text + at : text + size;
		at += strlen(part) + 1;
		v[i] = data[0] & (1 << i) ? part : NULL;
	}
	memset(&p, 0, sizeof(p));
	p.search = v[0];
	p.aggregate = v[1];
	p.group_by = v[2];
	p.sort = v[3];
	p.filter = v[4];
	rv = query_parse(&q, &p, CONF_QUERY_LIMIT, reason, sizeof(reason));
	FUZZ_ASSERT(rv == 0 || rv == -1);
	if (rv == -1) {
		FUZZ_ASSERT(reason[0] != '\0');
		FUZZ_ASSERT(fuzz_agg_zeroed(&q));
	} else {
		fuzz_agg_accepted(&q, v);
		fuzz_agg_sql(&q, data[0]);
	}
	query_free(&q);
	free(text);
}

FUZZ_TARGET(fuzz_aggregate)
