/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The Directus query language (fields, filter, sort, limit, offset,
 * page, meta), parsed from query-string values or JSON bodies into a
 * bounded tree, checked against what the caller may touch, and compiled
 * into SQL in which every value is a bound parameter.  Used by the
 * workers for /items and by keyd for /users.
 */
#ifndef TOKEND_QUERY_H
#define TOKEND_QUERY_H

#include <stddef.h>

#include <jansson.h>

#include "config.h"

#define QUERY_DEPTH_MAX		8	/* nested objects in one filter */
#define QUERY_NODES_MAX		256	/* conditions and groups in one filter */
#define QUERY_LIST_MAX		1000	/* values of _in and _nin */
#define QUERY_SORT_MAX		16
#define QUERY_TEXT_MAX		16384	/* bytes of one query parameter */
#define QUERY_LIMIT_DEFAULT	100
#define QUERY_REASON_MAX	256
#define QUERY_SEARCH_MAX	256	/* bytes of a search term */
#define QUERY_AGG_MAX		32	/* aggregates in one query */
#define QUERY_GROUP_MAX		8	/* groupBy fields */

#define QUERY_META_TOTAL	0x1	/* meta=total_count */
#define QUERY_META_FILTER	0x2	/* meta=filter_count */

enum query_op {
	QOP_AND,
	QOP_OR,
	QOP_EQ,
	QOP_NEQ,
	QOP_LT,
	QOP_LTE,
	QOP_GT,
	QOP_GTE,
	QOP_IN,
	QOP_NIN,
	QOP_NULL,
	QOP_NNULL,
	QOP_CONTAINS,
	QOP_NCONTAINS,
	QOP_STARTS_WITH,
	QOP_ENDS_WITH,
	QOP_BETWEEN,
	QOP_EMPTY,
	QOP_NEMPTY,
	QOP_REL,	/* {"author": {"email": {...}}}: one kid, the related */
};

/*
 * One node of a filter.  _and/_or have kids; every other operator is a
 * leaf on one field with its operand (an array for _in, _nin and
 * _between; a boolean for _null, _nnull, _empty, _nempty).  Operands may
 * hold the variables $CURRENT_USER, $CURRENT_ROLE and $NOW, resolved
 * when the filter is compiled or matched.
 */
struct query_node {
	enum query_op		 op;
	char			 field[CONF_IDENT_MAX];
	json_t			*value;
	struct query_node	**kids;
	size_t			 nkids;
};

/* The functions of "aggregate", in the order of their names' table. */
enum query_agg_fn {
	QAGG_COUNT,
	QAGG_COUNT_DISTINCT,
	QAGG_COUNT_ALL,
	QAGG_SUM,
	QAGG_SUM_DISTINCT,
	QAGG_AVG,
	QAGG_AVG_DISTINCT,
	QAGG_MIN,
	QAGG_MAX,
};

/* One aggregate: count of "*" counts rows; countAll has field "*". */
struct query_agg {
	enum query_agg_fn	 fn;
	char			 field[CONF_IDENT_MAX];
};

/*
 * A search term: its text, and the number it spells when it spells
 * one as JavaScript writes numbers ("10", "-2.5"; not "1e1" nor "01"),
 * which Directus then compares with the numeric fields.
 */
struct query_search {
	char			 text[QUERY_SEARCH_MAX + 1];
	json_t			*number;	/* NULL: not a number */
};

struct query_sort {
	char			 field[CONF_IDENT_MAX];
	int			 desc;
};

#define QUERY_REL_MAX		8	/* relations one fields list names */

/*
 * "author.email", "author.*": the fields of a related item; and one
 * relation of it a level further, "policies.policy.name", which only
 * query_fields_parse() keeps (query_parse() refuses it).
 */
struct query_rel {
	char			 field[CONF_IDENT_MAX];	/* "author" */
	struct conf_fields	 sub;		/* all: "author.*" */
	char			 deep[CONF_IDENT_MAX];	/* "" or "policy" */
	struct conf_fields	 deep_sub;	/* "policy"'s fields */
};

struct query {
	struct conf_fields	 fields;	/* all: "*" or not given */
	struct query_rel	 rels[QUERY_REL_MAX];
	size_t			 nrels;
	struct query_node	*filter;	/* NULL: none */
	struct query_sort	 sort[QUERY_SORT_MAX];
	size_t			 nsort;
	long long		 limit;		/* -1: all, up to the cap */
	long long		 offset;
	int			 meta;		/* QUERY_META_* */
	struct query_search	*search;	/* NULL: none */
	struct query_agg	 agg[QUERY_AGG_MAX];
	size_t			 nagg;
	char			 group[QUERY_GROUP_MAX][CONF_IDENT_MAX];
	size_t			 ngroup;
};

/* An aggregate or groupBy query: rows are groups, not items. */
#define QUERY_GROUPED(q)	((q)->nagg > 0 || (q)->ngroup > 0)

/* The raw query-string values; NULL when absent. */
struct query_params {
	const char		*fields;
	const char		*filter;
	const char		*sort;
	const char		*limit;
	const char		*offset;
	const char		*page;
	const char		*meta;
	const char		*search;
	const char		*aggregate;	/* JSON: {"count": "a,b" | [...]} */
	const char		*group_by;	/* "a,b" */
};

/* Values of the dynamic variables; NULL reads as JSON null. */
struct query_vars {
	const char		*user;
	const char		*role;
	const char		*now;		/* ISO 8601, UTC */
};

/*
 * The SQL a text is written in, the one place that says so:
 * QUERY_SQLITE, the embedded store's ("?" a value, typeof(), instr(),
 * 1 and 0 as truth); PostgreSQL's ("$n" parameters, strpos(), true and
 * false, nulls sorted first as SQLite sorts them), over either typed
 * columns (QUERY_PG: keyd's users and activity, a value compared cast
 * to numeric or text by its JSON kind, each column guarded by
 * pg_typeof()) or jsonb fields (QUERY_PG_JSONB: the item store's
 * documents, a value compared as "$n::jsonb", jsonb_typeof()).
 */
enum query_dialect {
	QUERY_SQLITE = 0,
	QUERY_PG,
	QUERY_PG_JSONB,
};

/* SQL text being built, with its bound values in order. */
struct query_sql {
	char			*text;
	size_t			 len;
	size_t			 cap;
	json_t			**binds;
	int			*kinds;		/* QUERY_BIND_*, one a bind */
	size_t			 nbinds;
	int			 error;		/* out of memory: give up */
	enum query_dialect	 dialect;
};

/* Is the text PostgreSQL's (either kind of column)? */
#define QUERY_SQL_PG(qs)	((qs)->dialect != QUERY_SQLITE)

/*
 * How a value is bound.  SQLite takes both as "?" with the value's own
 * type.  PostgreSQL: QUERY_BIND_JSON is a value compared with a field,
 * "$n::jsonb" sent as JSON text (QUERY_PG_JSONB) or "$n::numeric" /
 * "$n::text" by its kind sent as its text (QUERY_PG); QUERY_BIND_RAW
 * is "$n" sent as the bare text of the value (a key, a count, a
 * document), its type the one the statement gives it.
 */
#define QUERY_BIND_JSON		0
#define QUERY_BIND_RAW		1

/*
 * How a field becomes an SQL expression in the target table: append it
 * (with query_sql_add / query_sql_bind) and return 0, or return -1 for
 * a field that does not exist there.
 */
struct query_schema {
	int			(*column)(void *, const char *,
				    struct query_sql *);
	void			*arg;
	/*
	 * A QOP_REL node as a condition on the field, or -1; NULL when
	 * the target has no relations.
	 */
	int			(*relation)(void *, const struct query_node *,
				    const struct query_vars *,
				    struct query_sql *);
	/*
	 * A search over the fields of the table that readable covers
	 * (NULL: the table cannot be searched, which refuses it).
	 */
	int			(*search)(void *, const struct query_search *,
				    const struct conf_fields *,
				    struct query_sql *);
};

/* query.c */
int		 query_parse(struct query *, const struct query_params *,
		    long long, char *, size_t);
void		 query_free(struct query *);
int		 query_ident_valid(const char *);
struct query_node *query_filter_parse(json_t *, char *, size_t);
struct query_node *query_filter_parse_text(const char *, size_t, char *,
		    size_t);
void		 query_node_free(struct query_node *);
int		 query_node_has_rel(const struct query_node *);
int		 query_node_fields(const struct query_node *,
		    int (*)(void *, const char *), void *);
int		 query_node_match(const struct query_node *, json_t *,
		    const struct query_vars *);
json_t		*query_var_value(json_t *, const struct query_vars *);
int		 query_fields_parse(struct query *, const char *, char *,
		    size_t);
void		 query_fields_free(struct query *);
int		 query_fields_shallow(const struct query *, char *, size_t);
void		 query_now(char *, size_t);
const char	*query_param_unsupported(const char *);
int		 query_param_text(const char *, json_t *, char *, size_t,
		    json_t **);
const char	*query_agg_name(enum query_agg_fn);
int		 query_search_match(const struct query_search *, json_t *,
		    const struct conf_fields *);
int		 query_grouped_check(const struct query *, char *, size_t);

/* query_sql.c */
void		 query_sql_init(struct query_sql *);
void		 query_sql_free(struct query_sql *);
void		 query_sql_add(struct query_sql *, const char *);
void		 query_sql_bind(struct query_sql *, json_t *);
void		 query_sql_bind_raw(struct query_sql *, json_t *);
void		 query_sql_bool(struct query_sql *, int);
void		 query_sql_init_dialect(struct query_sql *, enum query_dialect);
const char	*query_sql_instr(const struct query_sql *);
int		 query_sql_value_text(json_t *, char *, size_t, const char **);
int		 query_node_sql(const struct query_node *,
		    const struct query_schema *, const struct query_vars *,
		    struct query_sql *);
int		 query_sort_sql(const struct query *, const struct query_schema *,
		    struct query_sql *);
void		 query_search_doc_sql(const struct query_search *,
		    const struct conf_fields *, const struct conf_fields *,
		    struct query_sql *);
int		 query_group_sql(const struct query *,
		    const struct query_schema *, struct query_sql *);
int		 query_group_order_sql(const struct query *,
		    const struct query_schema *, struct query_sql *);
struct sqlite3_stmt;
json_t		*query_group_row(const struct query *,
		    struct sqlite3_stmt *);
json_t		*query_group_row_of(const struct query *,
		    json_t *(*)(void *, int), void *);
json_t		*query_sqlite_value(void *, int);
int		 query_sql_apply(struct sqlite3_stmt *, const struct query_sql *,
		    int);

#endif /* TOKEND_QUERY_H */
