/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The condition of a list, a read, an update or a delete over items or
 * users, and the meta counts of a list.  Both tables are filtered the
 * same way: the permission's item filter, the request's filter and
 * search, and the ids concerned, every value bound (query_sql.c).
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "perm.h"
#include "query.h"
#include "query_where.h"

/*
 * Append "1", then " AND " each part that w has.  The text may be out
 * of memory (qs->error) even when QUERY_WHERE_OK: the caller's to see.
 */
enum query_where_fail
query_where_sql(const struct query_where *w, struct query_sql *qs)
{
	struct query_node	*pf;
	json_t			*k;
	size_t			 i;
	int			 rv = 0;

	if (perm_filter(w->perm, &pf) == -1)
		return QUERY_WHERE_PERM_PARSE;
	query_sql_truth(qs, 1);
	if (pf != NULL) {
		query_sql_add(qs, " AND ");
		rv = query_node_sql(pf, w->schema, w->vars, qs);
		query_node_free(pf);
		if (rv == -1)
			return QUERY_WHERE_PERM_FIELD;
	}
	if (w->filter != NULL) {
		query_sql_add(qs, " AND ");
		if (query_node_sql(w->filter, w->schema, w->vars, qs) == -1)
			return QUERY_WHERE_FILTER;
	}
	/* The search covers only the fields the permission lets read. */
	if (w->search != NULL) {
		query_sql_add(qs, " AND ");
		if (w->schema->search == NULL || w->schema->search(
		    w->schema->arg, w->search, &w->perm->fields, qs) == -1)
			return QUERY_WHERE_SEARCH;
	}
	if (w->keys != NULL) {
		query_sql_add(qs, " AND id IN (");
		json_array_foreach(w->keys, i, k) {
			query_sql_add(qs, i > 0 ? ", " : "");
			query_sql_bind(qs, k);
		}
		query_sql_add(qs, json_array_size(w->keys) == 0 ? "NULL)" :
		    ")");
	}
	return QUERY_WHERE_OK;
}

/*
 * The meta object of a list: total_count (want has QUERY_META_TOTAL),
 * the rows within the permission, and filter_count (QUERY_META_FILTER),
 * those the request's filter keeps too.  NULL when a count fails.
 */
json_t *
query_meta(int want, query_count_cb count, void *arg)
{
	static const struct {
		int		 flag;
		const char	*name;
		int		 with_filter;
	} counts[] = {
		{ QUERY_META_TOTAL,	"total_count",	0 },
		{ QUERY_META_FILTER,	"filter_count",	1 },
	};
	json_t	*meta;
	int64_t	 n;
	size_t	 i;

	if ((meta = json_object()) == NULL)
		return NULL;
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		if ((want & counts[i].flag) == 0)
			continue;
		if (count(arg, counts[i].with_filter, &n) == -1 ||
		    json_object_set_new(meta, counts[i].name,
		    json_integer((json_int_t)n)) == -1) {
			json_decref(meta);
			return NULL;
		}
	}
	return meta;
}
