/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The ceiling of bench/query/query.sh: the SQL statement that tokend's
 * item process runs for a query, built by the same code (shared/
 * query*.c, with the item store's field expression of
 * server/items_api.c written out below), run directly on the same
 * SQLite file by as many threads as tokend has item processes, each
 * with its own connection, for a given time.  Prints the statements
 * run per second.
 *
 *	sqlrate DB COLLECTION SECONDS THREADS QUERY-STRING
 *
 * QUERY-STRING holds search=, aggregate= (JSON) and groupBy= only,
 * unencoded, separated by '&'.
 */
#include <sys/types.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "config.h"
#include "query.h"
#include "query_where.h"

static const char	*db_path;
static struct query_sql	 stmt;
static double		 seconds;
static long long	 limit;

/* server/items_api.c's items_column(), for a collection of any fields. */
static int
column(void *arg, const char *field, struct query_sql *qs)
{
	char	 path[CONF_IDENT_MAX + 8];
	json_t	*v;

	if (strcmp(field, "id") == 0) {
		query_sql_add(qs, "id");
		return 0;
	}
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

/* server/items_api.c's items_search(), for an integer key. */
static int
search(void *arg, const struct query_search *s,
    const struct conf_fields *readable, struct query_sql *qs)
{
	static const struct conf_fields	 every = { .all = 1 };

	query_sql_add(qs, "(");
	query_search_doc_sql(s, readable, &every, qs);
	if (json_is_integer(s->number)) {
		query_sql_add(qs, " OR id = ");
		query_sql_bind(qs, s->number);
	}
	query_sql_add(qs, ")");
	return 0;
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *
run(void *arg)
{
	long long	*count = arg;
	sqlite3		*db;
	sqlite3_stmt	*st;
	double		 end;
	int		 rc, i, n;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, stmt.text, -1, SQLITE_PREPARE_PERSISTENT,
	    &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlrate: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	end = now() + seconds;
	while (now() < end) {
		if (query_sql_apply(st, &stmt, 1) == -1)
			exit(1);
		/* Every column of every row read, as the item process does. */
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			for (i = 0, n = sqlite3_column_count(st); i < n; i++)
				(void)sqlite3_column_text(st, i);
		if (rc != SQLITE_DONE)
			exit(1);
		sqlite3_reset(st);
		(*count)++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return NULL;
}

int
main(int argc, char *argv[])
{
	static const struct conf_fields	 every = { .all = 1 };
	struct query_schema	 schema = { .column = column,
				    .search = search };
	struct conf_permission	 perm;
	struct query_params	 p;
	struct query		 q;
	struct query_where	 w;
	char			 reason[QUERY_REASON_MAX], sql[128], *s, *amp;
	pthread_t		*t;
	long long		*counts, total = 0;
	json_t			*v;
	int			 i, nthreads;

	if (argc != 6)
		return 2;
	db_path = argv[1];
	seconds = atof(argv[3]);
	nthreads = atoi(argv[4]);
	memset(&p, 0, sizeof(p));
	for (s = argv[5]; s != NULL; s = amp) {
		if ((amp = strchr(s, '&')) != NULL)
			*amp++ = '\0';
		if (strncmp(s, "search=", 7) == 0)
			p.search = s + 7;
		else if (strncmp(s, "aggregate=", 10) == 0)
			p.aggregate = s + 10;
		else if (strncmp(s, "groupBy=", 8) == 0)
			p.group_by = s + 8;
	}
	if (query_parse(&q, &p, 1000, reason, sizeof(reason)) == -1) {
		fprintf(stderr, "sqlrate: %s\n", reason);
		return 1;
	}
	limit = q.limit;
	memset(&perm, 0, sizeof(perm));
	perm.fields = every;
	memset(&w, 0, sizeof(w));
	w.schema = &schema;
	w.perm = &perm;
	w.search = q.search;
	query_sql_init(&stmt);
	/* What items_groups() and items_select() write. */
	if (QUERY_GROUPED(&q)) {
		query_sql_add(&stmt, "SELECT ");
		(void)query_group_sql(&q, &schema, &stmt);
		(void)snprintf(sql, sizeof(sql), " FROM \"items_%s\"", argv[2]);
	} else
		(void)snprintf(sql, sizeof(sql), "SELECT id, doc FROM "
		    "\"items_%s\"", argv[2]);
	query_sql_add(&stmt, sql);
	query_sql_add(&stmt, " WHERE ");
	(void)query_where_sql(&w, &stmt);
	if (QUERY_GROUPED(&q))
		(void)query_group_order_sql(&q, &schema, &stmt);
	else
		query_sql_add(&stmt, " ORDER BY id");
	query_sql_add(&stmt, " LIMIT ");
	v = json_integer(limit);
	query_sql_bind(&stmt, v);
	json_decref(v);
	query_sql_add(&stmt, " OFFSET ");
	v = json_integer(0);
	query_sql_bind(&stmt, v);
	json_decref(v);
	if (stmt.error)
		return 1;
	fprintf(stderr, "sqlrate: %s\n", stmt.text);
	t = calloc(nthreads, sizeof(*t));
	counts = calloc(nthreads, sizeof(*counts));
	for (i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, run, &counts[i]);
	for (i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		total += counts[i];
	}
	printf("%.1f\n", total / seconds);
	return 0;
}
