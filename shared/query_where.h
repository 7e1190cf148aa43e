/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The condition and the meta counts of a list, for /items (the
 * workers) and /users (keyd): one builder over either table's schema.
 */
#ifndef TOKEND_QUERY_WHERE_H
#define TOKEND_QUERY_WHERE_H

#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "query.h"

/* What a statement's condition ANDs together. */
struct query_where {
	const struct query_schema	*schema;
	const struct query_vars		*vars;
	const struct conf_permission	*perm;	/* its item filter */
	const struct query_node		*filter; /* the request's, or NULL */
	json_t				*keys;	/* the ids, or NULL */
	const struct query_search	*search; /* the request's, or NULL */
};

/* Why a condition could not be written. */
enum query_where_fail {
	QUERY_WHERE_OK,
	QUERY_WHERE_PERM_PARSE,	/* the permission's filter does not parse */
	QUERY_WHERE_PERM_FIELD,	/* it names a field the table lacks */
	QUERY_WHERE_FILTER,	/* the request's filter names one */
	QUERY_WHERE_SEARCH,	/* the table cannot be searched */
};

/* How many rows match, with the request's filter or without: -1 fails. */
typedef int	(*query_count_cb)(void *, int, int64_t *);

/* query_where.c */
enum query_where_fail query_where_sql(const struct query_where *,
		    struct query_sql *);
json_t		*query_meta(int, query_count_cb, void *);

#endif /* TOKEND_QUERY_WHERE_H */
