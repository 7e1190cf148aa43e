/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * search, aggregate and groupBy (shared/query.c, shared/query_sql.c,
 * shared/query_where.c): the parameters and their bounds, then the SQL
 * that the item store runs, checked against a computation in memory
 * (query_node_match(), query_search_match() and plain C sums) over
 * generated documents shaped like the item store's, with the
 * permission's item filter, the request's filter and a search applied
 * before the counting.
 */
#include <sys/types.h>

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "query.h"
#include "query_where.h"
#include "regress.h"

#define NDOCS		400
#define LIMIT_MAX	1000

static sqlite3			*db;
static json_t			*items[NDOCS];
static char			 reason[QUERY_REASON_MAX];
static const struct query_vars	 vars = { "u1", "r1",
				    "2024-01-01T00:00:00.000Z" };
static const struct conf_fields	 every = { .all = 1 };

/* struct query_params from the three new parameters (and a sort). */
static int
parse(struct query *q, const char *search, const char *agg,
    const char *group, const char *sort)
{
	struct query_params	 p;

	memset(&p, 0, sizeof(p));
	p.search = search;
	p.aggregate = agg;
	p.group_by = group;
	p.sort = sort;
	p.limit = "-1";
	reason[0] = '\0';
	return query_parse(q, &p, LIMIT_MAX, reason, sizeof(reason));
}

static void
good(const char *name, const char *search, const char *agg,
    const char *group, const char *sort)
{
	struct query	 q;
	int		 rv = parse(&q, search, agg, group, sort);

	CHECK(name, rv == 0);
	if (rv == -1)
		fprintf(stderr, "  %s: %s\n", name, reason);
	query_free(&q);
}

static void
bad(const char *name, const char *search, const char *agg,
    const char *group, const char *sort)
{
	struct query	 q, zero;
	int		 rv = parse(&q, search, agg, group, sort);

	memset(&zero, 0, sizeof(zero));
	CHECK(name, rv == -1 && reason[0] != '\0' &&
	    memcmp(&q, &zero, sizeof(q)) == 0);
	query_free(&q);
}

static void
test_search_params(void)
{
	struct query	 q;
	char		 big[QUERY_SEARCH_MAX + 2];
	static const struct {
		const char	*term;
		int		 kind;	/* 0 none, 1 integer, 2 real */
	} nums[] = {
		{ "10", 1 }, { "-3", 1 }, { "0", 1 }, { "2.5", 2 },
		{ "-0.25", 2 }, { "123456789012345", 1 },
		{ "1e1", 0 }, { "01", 0 }, { "1.0", 0 }, { "-0", 0 },
		{ "1.", 0 }, { ".5", 0 }, { " 1", 0 }, { "1 ", 0 },
		{ "+1", 0 }, { "1234567890123456", 0 }, { "0x10", 0 },
		{ "abc", 0 }, { "-", 0 },
	};
	size_t		 i;

	CHECK("search: absent is none", parse(&q, NULL, NULL, NULL,
	    NULL) == 0 && q.search == NULL);
	query_free(&q);
	CHECK("search: empty is none", parse(&q, "", NULL, NULL, NULL) == 0 &&
	    q.search == NULL);
	query_free(&q);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bad("search: one byte too long", big, NULL, NULL, NULL);
	bad("search: not UTF-8", "a\x9f", NULL, NULL, NULL);
	big[QUERY_SEARCH_MAX] = '\0';
	CHECK("search: at the bound", parse(&q, big, NULL, NULL, NULL) == 0 &&
	    q.search != NULL && strcmp(q.search->text, big) == 0);
	query_free(&q);
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		char	 name[96];

		(void)snprintf(name, sizeof(name), "search: \"%s\" is %s",
		    nums[i].term, nums[i].kind == 0 ? "no number" :
		    nums[i].kind == 1 ? "an integer" : "a real");
		CHECK(name, parse(&q, nums[i].term, NULL, NULL, NULL) == 0 &&
		    (nums[i].kind == 0 ? q.search->number == NULL :
		    nums[i].kind == 1 ? json_is_integer(q.search->number) :
		    json_is_real(q.search->number)));
		query_free(&q);
	}
}

static void
test_agg_params(void)
{
	struct query	 q;
	char		 text[4096];
	size_t		 i;
	int		 n;

	good("aggregate: count *", NULL, "{\"count\":\"*\"}", NULL, NULL);
	good("aggregate: lists", NULL, "{\"count\":[\"n\",\"r\"],"
	    "\"sum\":\"n,r\",\"countAll\":\"*\"}", NULL, NULL);
	good("aggregate: every function", NULL, "{\"count\":\"n\","
	    "\"countDistinct\":\"n\",\"countAll\":\"x\",\"sum\":\"n\","
	    "\"sumDistinct\":\"n\",\"avg\":\"n\",\"avgDistinct\":\"n\","
	    "\"min\":\"n\",\"max\":\"n\"}", NULL, NULL);
	bad("aggregate: unknown function", NULL, "{\"median\":\"n\"}",
	    NULL, NULL);
	bad("aggregate: not JSON", NULL, "count", NULL, NULL);
	bad("aggregate: an array", NULL, "[\"count\"]", NULL, NULL);
	bad("aggregate: empty object", NULL, "{}", NULL, NULL);
	bad("aggregate: a number", NULL, "{\"count\":1}", NULL, NULL);
	bad("aggregate: an empty field", NULL, "{\"sum\":\"\"}", NULL, NULL);
	bad("aggregate: an empty list", NULL, "{\"sum\":[]}", NULL, NULL);
	bad("aggregate: * for sum", NULL, "{\"sum\":\"*\"}", NULL, NULL);
	bad("aggregate: a bad name", NULL, "{\"sum\":\"a-b\"}", NULL, NULL);
	bad("aggregate: duplicate key", NULL,
	    "{\"sum\":\"a\",\"sum\":\"b\"}", NULL, NULL);
	CHECK("aggregate: repeats count once", parse(&q, NULL,
	    "{\"sum\":\"n,n\",\"count\":[\"*\",\"*\"]}", NULL, NULL) == 0 &&
	    q.nagg == 2);
	query_free(&q);
	n = snprintf(text, sizeof(text), "{\"sum\":\"");
	for (i = 0; i <= QUERY_AGG_MAX; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%sf%zu",
		    i > 0 ? "," : "", i);
	(void)snprintf(text + n, sizeof(text) - (size_t)n, "\"}");
	bad("aggregate: one function too many", NULL, text, NULL, NULL);
	good("groupBy: two", NULL, NULL, "g,h", NULL);
	CHECK("groupBy: repeats once", parse(&q, NULL, NULL, "g,g,h", NULL) ==
	    0 && q.ngroup == 2);
	query_free(&q);
	bad("groupBy: empty name", NULL, NULL, "g,,h", NULL);
	bad("groupBy: bad name", NULL, NULL, "g.h", NULL);
	bad("groupBy: nine", NULL, NULL, "a,b,c,d,e,f,g,h,i", NULL);
	good("groupBy: eight", NULL, NULL, "a,b,c,d,e,f,g,h", NULL);
	good("sort: a groupBy field", NULL, "{\"count\":\"*\"}", "g", "-g");
	good("sort: count", NULL, "{\"count\":\"*\"}", "g", "-count");
	bad("sort: count without count(*)", NULL, "{\"sum\":\"n\"}", "g",
	    "count");
	bad("sort: another field", NULL, "{\"count\":\"*\"}", "g", "n");
	bad("count: * and fields", NULL, "{\"count\":\"*,n\"}", NULL, NULL);
	bad("groupBy: a function's name", NULL, "{\"sum\":\"n\"}", "sum",
	    NULL);
	good("groupBy: a function's name not asked", NULL,
	    "{\"sum\":\"n\"}", "count", NULL);
	CHECK("grouped: aggregate alone", parse(&q, NULL, "{\"count\":\"*\"}",
	    NULL, NULL) == 0 && QUERY_GROUPED(&q));
	query_free(&q);
	CHECK("grouped: not without either", parse(&q, "x", NULL, NULL,
	    NULL) == 0 && !QUERY_GROUPED(&q));
	query_free(&q);
}

static void
text_is(const char *name, const char *json, const char *want)
{
	json_t	*v, *out = NULL;
	int	 rv;

	v = json_loads(json, JSON_DECODE_ANY, NULL);
	rv = query_param_text("p", v, reason, sizeof(reason), &out);
	CHECK(name, want == NULL ? rv == -1 && out == NULL :
	    rv == 0 && strcmp(json_string_value(out), want) == 0);
	json_decref(v);
	json_decref(out);
}

static void
test_param_text(void)
{
	json_t	*v, *out = NULL;
	char	*big;

	text_is("body: a string", "\"a,b\"", "a,b");
	text_is("body: an integer", "25", "25");
	text_is("body: a list", "[\"id\",\"title\"]", "id,title");
	text_is("body: an object", "{\"a\":{\"_eq\":1}}",
	    "{\"a\":{\"_eq\":1}}");
	text_is("body: a real", "2.5", NULL);
	text_is("body: true", "true", NULL);
	text_is("body: null", "null", NULL);
	v = json_array();
	CHECK("body: an empty list is no parameter", query_param_text("p", v,
	    reason, sizeof(reason), &out) == 0 && out == NULL);
	json_decref(v);
	text_is("body: a list of numbers", "[1,2]", NULL);
	big = malloc(QUERY_TEXT_MAX + 2);
	memset(big, 'x', QUERY_TEXT_MAX + 1);
	big[QUERY_TEXT_MAX + 1] = '\0';
	v = json_pack("[s]", big);
	CHECK("body: a list over the bound", query_param_text("p", v, reason,
	    sizeof(reason), &out) == -1 && out == NULL);
	json_decref(v);
	free(big);
	CHECK("unsupported: deep", strcmp(query_param_unsupported(
	    "deep[a][_limit]"), "deep") == 0);
	CHECK("unsupported: every one", query_param_unsupported("alias") &&
	    query_param_unsupported("export") &&
	    query_param_unsupported("version") &&
	    query_param_unsupported("versionRaw") &&
	    query_param_unsupported("backlink"));
	CHECK("unsupported: not the supported", !query_param_unsupported(
	    "fields") && !query_param_unsupported("search") &&
	    !query_param_unsupported("aggregate") &&
	    !query_param_unsupported("deeper") &&
	    !query_param_unsupported("versio"));
}

/* The item store's field expression (as server/items_api.c writes it). */
static int
t_column(void *arg, const char *field, struct query_sql *qs)
{
	char	 path[CONF_IDENT_MAX + 8];
	json_t	*p;

	if (strcmp(field, "id") == 0) {
		query_sql_add(qs, "id");
		return 0;
	}
	(void)snprintf(path, sizeof(path), "$.\"%s\"", field);
	p = json_string(path);
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
t_search(void *arg, const struct query_search *s,
    const struct conf_fields *readable, struct query_sql *qs)
{
	query_search_doc_sql(s, readable, &every, qs);
	return 0;
}

static const struct query_schema t_schema = { .column = t_column,
    .search = t_search };

static uint32_t	 seed = 12345;

static uint32_t
rnd(uint32_t n)
{
	seed = seed * 1103515245 + 12345;
	return (seed >> 16) % n;
}

/* A document: each field present, null or missing, of one kind each. */
static json_t *
doc_new(void)
{
	static const char *const words[] = { "Apple", "apple pie", "BANANA",
	    "cherry", "Date 10", "x", "", "50%_off", "Zebra" };
	static const char *const groups[] = { "a", "b", "c" };
	json_t	*d = json_object();

	if (rnd(6) != 0)
		json_object_set_new(d, "g", rnd(5) == 0 ? json_null() :
		    json_string(groups[rnd(3)]));
	if (rnd(6) != 0)
		json_object_set_new(d, "h", json_integer(rnd(3)));
	if (rnd(8) != 0)
		json_object_set_new(d, "n", rnd(6) == 0 ? json_null() :
		    json_integer((json_int_t)rnd(101) - 50));
	if (rnd(8) != 0)
		json_object_set_new(d, "r", rnd(6) == 0 ? json_null() :
		    json_real(((double)rnd(41) - 20) / 4));
	if (rnd(8) != 0)
		json_object_set_new(d, "s", rnd(6) == 0 ? json_null() :
		    json_string(words[rnd(9)]));
	json_object_set_new(d, "owner", json_string(rnd(3) == 0 ? "u2" :
	    "u1"));
	return d;
}

static void
db_open(void)
{
	sqlite3_stmt	*st;
	char		*text;
	size_t		 i;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, "
	    "doc TEXT)", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t (id, doc) VALUES (?, ?)",
	    -1, &st, NULL) != SQLITE_OK)
		exit(2);
	for (i = 0; i < NDOCS; i++) {
		items[i] = doc_new();
		text = json_dumps(items[i], JSON_COMPACT);
		(void)sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
		(void)sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			exit(2);
		(void)sqlite3_reset(st);
		free(text);
		json_object_set_new(items[i], "id", json_integer((json_int_t)i +
		    1));
	}
	sqlite3_finalize(st);
}

/* The groups as the item store computes them; NULL when it cannot. */
static json_t *
groups_sql(const struct query *q, const struct conf_permission *perm)
{
	struct query_where	 w = { &t_schema, &vars, perm, q->filter,
				    NULL, q->search };
	struct query_sql	 qs;
	sqlite3_stmt		*st = NULL;
	json_t			*rows = NULL;

	query_sql_init(&qs);
	query_sql_add(&qs, "SELECT ");
	if (query_group_sql(q, &t_schema, &qs) == -1)
		goto done;
	query_sql_add(&qs, " FROM t WHERE ");
	if (query_where_sql(&w, &qs) != QUERY_WHERE_OK ||
	    query_group_order_sql(q, &t_schema, &qs) == -1 || qs.error ||
	    sqlite3_prepare_v2(db, qs.text, -1, &st, NULL) != SQLITE_OK ||
	    query_sql_apply(st, &qs, 1) == -1) {
		fprintf(stderr, "cannot run %s: %s\n", qs.text != NULL ?
		    qs.text : "-", sqlite3_errmsg(db));
		goto done;
	}
	rows = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(rows, query_group_row(q, st));
 done:
	sqlite3_finalize(st);
	query_sql_free(&qs);
	return rows;
}

/* SQLite's order of values: null, numbers, text (bytewise). */
static int
cmp_value(json_t *a, json_t *b)
{
	int	 ka = json_is_null(a) ? 0 : json_is_number(a) ? 1 : 2;
	int	 kb = json_is_null(b) ? 0 : json_is_number(b) ? 1 : 2;
	double	 x, y;

	if (ka != kb)
		return ka - kb;
	if (ka == 1) {
		x = json_number_value(a);
		y = json_number_value(b);
		return x < y ? -1 : x > y;
	}
	if (ka == 2)
		return strcmp(json_string_value(a), json_string_value(b));
	return 0;
}

static json_t *
field_of(json_t *item, const char *field)
{
	json_t	*v = json_object_get(item, field);

	return v != NULL ? v : json_null();
}

/* A number as Directus writes it: a whole real within 2^53 as integer. */
static json_t *
number(double d, int real)
{
	if (!real || (d == floor(d) && fabs(d) <= 9007199254740991.0))
		return json_integer((json_int_t)d);
	return json_real(d);
}

/* One aggregate over the rows of a group, as SQLite computes it. */
static json_t *
agg_memory(const struct query_agg *a, json_t *rows)
{
	json_t	*seen = json_array(), *r, *v, *e, *best = NULL;
	double	 sum = 0;
	size_t	 i, j, n = 0;
	int	 real = 0, distinct;

	if (strcmp(a->field, "*") == 0) {
		json_decref(seen);
		return json_integer((json_int_t)json_array_size(rows));
	}
	distinct = a->fn == QAGG_COUNT_DISTINCT ||
	    a->fn == QAGG_SUM_DISTINCT || a->fn == QAGG_AVG_DISTINCT;
	json_array_foreach(rows, i, r) {
		v = field_of(r, a->field);
		if (json_is_null(v))
			continue;
		json_array_foreach(seen, j, e)
			if (distinct && cmp_value(e, v) == 0)
				break;
		if (distinct && j < json_array_size(seen))
			continue;
		json_array_append(seen, v);
		n++;
		if (json_is_number(v)) {
			sum += json_number_value(v);
			real |= json_is_real(v);
		}
		if (best == NULL || (a->fn == QAGG_MIN ? cmp_value(v, best) < 0 :
		    cmp_value(v, best) > 0))
			best = v;
	}
	json_decref(seen);
	switch (a->fn) {
	case QAGG_COUNT:
	case QAGG_COUNT_DISTINCT:
		return json_integer((json_int_t)n);
	case QAGG_SUM:
	case QAGG_SUM_DISTINCT:
		return n == 0 ? json_null() : number(sum, real);
	case QAGG_AVG:
	case QAGG_AVG_DISTINCT:
		return n == 0 ? json_null() : number(sum / n, 1);
	default:
		if (best == NULL)
			return json_null();
		return json_is_number(best) ? number(json_number_value(best),
		    json_is_real(best)) : json_incref(best);
	}
}

static void
agg_put(json_t *row, const struct query_agg *a, json_t *v)
{
	json_t	*sub;

	if (strcmp(a->field, "*") == 0) {
		json_object_set_new(row, query_agg_name(a->fn), v);
		return;
	}
	if ((sub = json_object_get(row, query_agg_name(a->fn))) == NULL) {
		sub = json_object();
		json_object_set_new(row, query_agg_name(a->fn), sub);
	}
	json_object_set_new(sub, a->field, v);
}

static int
group_cmp(const struct query *q, json_t *a, json_t *b)
{
	size_t	 i;
	int	 c;

	for (i = 0; i < q->ngroup; i++)
		if ((c = cmp_value(field_of(a, q->group[i]),
		    field_of(b, q->group[i]))) != 0)
			return c;
	return 0;
}

/* The search over a document: its key is not one of its fields. */
static int
search_doc(const struct query_search *s, json_t *item,
    const struct conf_fields *readable)
{
	json_t	*copy = json_deep_copy(item);
	int	 hit;

	json_object_del(copy, "id");
	hit = query_search_match(s, copy, readable);
	json_decref(copy);
	return hit;
}

/* The same groups, in memory: filter, search, group, aggregate. */
static json_t *
groups_memory(const struct query *q, const struct query_node *pf)
{
	json_t	*keep = json_array(), *groups = json_array(), *out, *g = NULL;
	json_t	*row;
	size_t	 i, j, k;

	for (i = 0; i < NDOCS; i++)
		if ((pf == NULL || query_node_match(pf, items[i], &vars)) &&
		    (q->filter == NULL || query_node_match(q->filter,
		    items[i], &vars)) && (q->search == NULL ||
		    search_doc(q->search, items[i], &every)))
			json_array_append(keep, items[i]);
	/* groups: arrays of rows, kept in order of their fields */
	json_array_foreach(keep, i, row) {
		json_array_foreach(groups, j, g)
			if (group_cmp(q, json_array_get(g, 0), row) >= 0)
				break;
		if (j < json_array_size(groups) &&
		    group_cmp(q, json_array_get(g, 0), row) == 0)
			json_array_append(g, row);
		else
			json_array_insert_new(groups, j, json_pack("[O]", row));
	}
	if (q->ngroup == 0) {
		json_array_clear(groups);
		json_array_append(groups, keep);
	}
	out = json_array();
	json_array_foreach(groups, j, g) {
		row = json_object();
		for (k = 0; k < q->ngroup; k++)
			json_object_set(row, q->group[k],
			    field_of(json_array_get(g, 0), q->group[k]));
		for (k = 0; k < q->nagg; k++)
			agg_put(row, &q->agg[k], agg_memory(&q->agg[k], g));
		json_array_append_new(out, row);
	}
	json_decref(keep);
	json_decref(groups);
	return out;
}

/* Equal JSON, reals within a relative 1e-12 (avg is a quotient). */
static int
same(json_t *a, json_t *b)
{
	const char	*k;
	json_t		*v;
	size_t		 i;
	double		 x, y;

	if (json_is_number(a) && json_is_number(b)) {
		x = json_number_value(a);
		y = json_number_value(b);
		return json_is_integer(a) == json_is_integer(b) &&
		    fabs(x - y) <= 1e-12 * (fabs(x) + fabs(y));
	}
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach(a, k, v)
			if (json_object_get(b, k) == NULL ||
			    !same(v, json_object_get(b, k)))
				return 0;
		return 1;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach(a, i, v)
			if (!same(v, json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal(a, b);
}

static void
expect_groups(const char *search, const char *agg, const char *group,
    const char *filter, const char *perm_filter)
{
	struct conf_permission	 perm;
	struct query_params	 p;
	struct query		 q;
	struct query_node	*pf = NULL;
	json_t			*sql = NULL, *mem = NULL;
	char			 name[512], *a = NULL, *b = NULL;
	int			 ok = 0;

	memset(&p, 0, sizeof(p));
	memset(&perm, 0, sizeof(perm));
	perm.fields.all = 1;
	perm.filter = (char *)perm_filter;
	p.search = search;
	p.aggregate = agg;
	p.group_by = group;
	p.filter = filter;
	p.limit = "-1";
	(void)snprintf(name, sizeof(name), "sql = memory: aggregate %s "
	    "groupBy %s filter %s search %s permission %s", agg,
	    group != NULL ? group : "-", filter != NULL ? filter : "-",
	    search != NULL ? search : "-", perm_filter != NULL ?
	    perm_filter : "-");
	if (query_parse(&q, &p, LIMIT_MAX, reason, sizeof(reason)) == -1) {
		fprintf(stderr, "  %s: %s\n", name, reason);
		CHECK(name, 0);
		return;
	}
	if (perm_filter != NULL)
		pf = query_filter_parse_text(perm_filter, strlen(perm_filter),
		    NULL, 0);
	sql = groups_sql(&q, &perm);
	mem = groups_memory(&q, pf);
	if (sql != NULL && mem != NULL)
		ok = same(sql, mem) && json_array_size(mem) <= NDOCS;
	CHECK(name, ok);
	if (!ok) {
		a = sql != NULL ? json_dumps(sql, JSON_COMPACT) : NULL;
		b = json_dumps(mem, JSON_COMPACT);
		fprintf(stderr, "  sql    %.600s\n  memory %.600s\n",
		    a != NULL ? a : "-", b != NULL ? b : "-");
		free(a);
		free(b);
	}
	json_decref(sql);
	json_decref(mem);
	query_node_free(pf);
	query_free(&q);
}

static void
test_groups(void)
{
	static const char *const aggs[] = {
		"{\"count\":\"*\"}",
		"{\"countAll\":\"*\",\"count\":\"n,r,s,g\"}",
		"{\"countDistinct\":\"n,r,s,g,h\"}",
		"{\"sum\":\"n,r,h\",\"sumDistinct\":\"n,r\"}",
		"{\"avg\":\"n,r,h\",\"avgDistinct\":\"n,r\"}",
		"{\"min\":\"n,r,s,g\",\"max\":\"n,r,s,g\"}",
		"{\"count\":[\"*\"],\"sum\":[\"n\"],\"max\":[\"s\"]}",
	};
	static const char *const groups[] = { NULL, "g", "h", "g,h", "s" };
	static const char *const filters[] = { NULL,
	    "{\"n\":{\"_gt\":-10}}",
	    "{\"_or\":[{\"s\":{\"_contains\":\"a\"}},{\"r\":{\"_null\":true}}]}",
	    "{\"id\":{\"_lt\":0}}" };
	static const char *const perms[] = { NULL,
	    "{\"owner\":{\"_eq\":\"$CURRENT_USER\"}}" };
	static const char *const searches[] = { NULL, "apple", "10", "-2.5",
	    "%", "A" };
	size_t	 a, g, f, p, s;

	for (a = 0; a < sizeof(aggs) / sizeof(aggs[0]); a++)
		for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
			for (f = 0; f < sizeof(filters) / sizeof(filters[0]);
			    f++)
				for (p = 0; p < 2; p++)
					expect_groups(NULL, aggs[a], groups[g],
					    filters[f], perms[p]);
	for (s = 0; s < sizeof(searches) / sizeof(searches[0]); s++)
		for (g = 0; g < 3; g++)
			for (p = 0; p < 2; p++)
				expect_groups(searches[s], aggs[6], groups[g],
				    NULL, perms[p]);
}

/* The search alone: the ids SQL selects are those the matcher keeps. */
static void
test_search_rows(void)
{
	static const char *const terms[] = { "apple", "APPLE", "10", "-2",
	    "2.5", "0", "%", "_", "'", "\"", "pie", "zebra", "50%_off",
	    "u1", "nothing at all", "\\" };
	static const char *fields_list[] = { "s", "owner" };
	struct conf_fields	 some = { 0, 2, NULL };
	struct query_where	 w;
	struct query_sql	 qs;
	struct conf_permission	 perm;
	struct query		 q;
	sqlite3_stmt		*st;
	char			 name[128];
	char			 (*names)[CONF_IDENT_MAX];
	size_t			 i, k, t;
	int			 ok;

	names = calloc(2, sizeof(*names));
	(void)strlcpy(names[0], fields_list[0], sizeof(names[0]));
	(void)strlcpy(names[1], fields_list[1], sizeof(names[1]));
	some.names = names;
	for (t = 0; t < 2; t++)
		for (i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
			if (parse(&q, terms[i], NULL, NULL, NULL) == -1)
				exit(2);
			memset(&perm, 0, sizeof(perm));
			perm.fields = t == 0 ? every : some;
			memset(&w, 0, sizeof(w));
			w.schema = &t_schema;
			w.vars = &vars;
			w.perm = &perm;
			w.search = q.search;
			query_sql_init(&qs);
			query_sql_add(&qs, "SELECT id FROM t WHERE ");
			ok = query_where_sql(&w, &qs) == QUERY_WHERE_OK &&
			    !qs.error && sqlite3_prepare_v2(db, qs.text, -1,
			    &st, NULL) == SQLITE_OK &&
			    query_sql_apply(st, &qs, 1) == 0;
			for (k = 0; ok && k < NDOCS; k++) {
				int	 want, got = 0;

				want = search_doc(q.search, items[k],
				    &perm.fields);
				(void)sqlite3_reset(st);
				while (sqlite3_step(st) == SQLITE_ROW)
					if (sqlite3_column_int64(st, 0) ==
					    (sqlite3_int64)k + 1)
						got = 1;
				if (want != got)
					ok = 0;
			}
			if (ok)
				sqlite3_finalize(st);
			(void)snprintf(name, sizeof(name), "search \"%s\" over "
			    "%s fields: sql = memory", terms[i], t == 0 ?
			    "all" : "some");
			CHECK(name, ok);
			query_sql_free(&qs);
			query_free(&q);
		}
	free(names);
}

/* An empty table: one row of zeros and nulls, or no group at all. */
static void
test_empty(void)
{
	struct conf_permission	 perm;
	struct query		 q;
	json_t			*rows, *want;

	memset(&perm, 0, sizeof(perm));
	perm.fields.all = 1;
	perm.filter = "{\"owner\":{\"_eq\":\"nobody\"}}";
	(void)parse(&q, NULL, "{\"count\":\"*\",\"countDistinct\":\"n\","
	    "\"sum\":\"n\",\"avg\":\"n\",\"max\":\"s\"}", NULL, NULL);
	rows = groups_sql(&q, &perm);
	want = json_loads("[{\"count\":0,\"countDistinct\":{\"n\":0},"
	    "\"sum\":{\"n\":null},\"avg\":{\"n\":null},\"max\":{\"s\":null}}]",
	    0, NULL);
	CHECK("empty: zeros and nulls", rows != NULL && json_equal(rows,
	    want));
	json_decref(rows);
	json_decref(want);
	query_free(&q);
	(void)parse(&q, NULL, "{\"count\":\"*\"}", "g", NULL);
	rows = groups_sql(&q, &perm);
	CHECK("empty: no groups", rows != NULL && json_array_size(rows) == 0);
	json_decref(rows);
	query_free(&q);
}

int
main(void)
{
	size_t	 i;

	test_search_params();
	test_agg_params();
	test_param_text();
	db_open();
	test_groups();
	test_search_rows();
	test_empty();
	for (i = 0; i < NDOCS; i++)
		json_decref(items[i]);
	sqlite3_close(db);
	return regress_exit();
}
