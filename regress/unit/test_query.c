/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/query.c and shared/query_sql.c: the query parameters (fields,
 * sort, limit, offset, page, meta) and their bounds, every filter
 * operator with good and bad operands, the filter bounds, the in-memory
 * matcher, and the SQL compiler checked against the matcher on an
 * in-memory table shaped like the item store, with hostile values;
 * the shared condition and meta builder of /items and /users
 * (shared/query_where.c).
 */
#include <sys/types.h>

#include <jansson.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "query.h"
#include "query_where.h"
#include "regress.h"

#define LIMIT_MAX	1000
#define NOW		"2024-01-01T00:00:00.000Z"
#define ROW(i)		((uint64_t)1 << ((i) - 1))
#define NAME_MAX_LEN	512
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static char			 reason[QUERY_REASON_MAX];
static char			 big[QUERY_TEXT_MAX + 256];
static char			 name[NAME_MAX_LEN];
static const struct query_vars	 vars = { "u1", "r1", NOW };
static const struct query_vars	 vars_public = { NULL, NULL, NOW };
static const struct query_vars	 vars_none = { NULL, NULL, NULL };
static const struct query_vars	 vars_evil = { "'; DROP TABLE t; --",
				    "\" OR 1=1 --", "%" };

/* A filter and the rows it selects, with vars or the given ones. */
struct match_case {
	const char		*filter;
	uint64_t		 rows;
};

struct match_vars_case {
	const char		*filter;
	const struct query_vars	*vars;
	uint64_t		 rows;
};

/*
 * The item store's shape: one JSON document per row.  Rows cover every
 * kind of value (text, integers, reals, booleans, null, missing fields,
 * objects and arrays) and values that look like another kind.
 */
static const char *docs[] = {
	/* 1 */ "{\"title\":\"Hello world\",\"n\":5,\"r\":2.5,\"b\":true,"
		"\"owner\":\"u1\",\"tag\":\"a\",\"s\":\"\"}",
	/* 2 */ "{\"title\":\"hello\",\"n\":10,\"r\":-1.5,\"b\":false,"
		"\"owner\":\"u2\",\"tag\":\"b\",\"s\":null}",
	/* 3 */ "{\"title\":\"50%_off\",\"n\":0,\"b\":null,\"owner\":null,"
		"\"tag\":\"a,b\"}",
	/* 4 */ "{\"title\":\"\",\"n\":-3,\"r\":0.0,\"owner\":\"u1\","
		"\"s\":\"x\"}",
	/* 5 */ "{\"title\":5,\"n\":\"5\",\"r\":\"2.5\",\"b\":1,\"tag\":\"A\","
		"\"s\":\"true\"}",
	/* 6 */ "{\"title\":\"\\u00fcn\\u00efc\\u00f8d\\u00e9 \\u2603\","
		"\"n\":9007199254740993,\"r\":1e300,\"b\":0,\"owner\":\"r1\"}",
	/* 7 */ "{\"title\":\"it's \\\"quoted\\\"\",\"n\":1,"
		"\"when\":\"2023-12-31T23:59:59.000Z\","
		"\"owner\":\"$CURRENT_USER\"}",
	/* 8 */ "{\"title\":\"x'; DROP TABLE t; --\",\"n\":2,"
		"\"when\":\"2024-06-01T00:00:00.000Z\",\"obj\":{\"a\":1},"
		"\"arr\":[1,2]}",
	/* 9 */ "{}",
	/* 10 */ "{\"title\":\"%\",\"n\":100,\"r\":100.0,\"tag\":\"_\","
		"\"s\":\"%\",\"when\":1704067200}",
	/* 11 */ "{\"title\":\"a_b\",\"tag\":\"a%b\",\"obj\":\"{\\\"a\\\":1}\","
		"\"arr\":\"[1,2]\",\"n\":9007199254740992,\"r\":5.0}",
	/* 12 */ "{\"title\":\"?\",\"n\":true,\"r\":false,\"tag\":\"$.\\\""
		"title\\\"\",\"obj\":{},\"arr\":[],\"b\":\"\"}",
};
#define NDOCS	(sizeof(docs) / sizeof(docs[0]))
#define ALL	((ROW(NDOCS) << 1) - 1)

static sqlite3	*db;
static json_t	*items[NDOCS];

/* ------------------------------------------------------------------ */
/* Query parameters */

static const char *
param(struct query_params *p, const char *which, const char *value)
{
	memset(p, 0, sizeof(*p));
	if (strcmp(which, "fields") == 0)
		p->fields = value;
	else if (strcmp(which, "filter") == 0)
		p->filter = value;
	else if (strcmp(which, "sort") == 0)
		p->sort = value;
	else if (strcmp(which, "limit") == 0)
		p->limit = value;
	else if (strcmp(which, "offset") == 0)
		p->offset = value;
	else if (strcmp(which, "page") == 0)
		p->page = value;
	else if (strcmp(which, "meta") == 0)
		p->meta = value;
	else
		return NULL;
	return value;
}

static int
parse(struct query *q, const struct query_params *p)
{
	memset(reason, 0, sizeof(reason));
	return query_parse(q, p, LIMIT_MAX, reason, sizeof(reason));
}

/* One parameter; the query is left parsed in q (free it). */
static int
parse1(struct query *q, const char *which, const char *value)
{
	struct query_params	 p;

	if (param(&p, which, value) == NULL && value != NULL)
		return -2;
	return parse(q, &p);
}

static int
query_empty(const struct query *q)
{
	return q->fields.names == NULL && q->fields.n == 0 &&
	    q->filter == NULL && q->nsort == 0 && q->limit == 0 &&
	    q->offset == 0 && q->meta == 0;
}

/* Refused, with a reason, leaving nothing to free. */
static int
bad1(const char *which, const char *value)
{
	struct query	 q;
	int		 rv;

	rv = parse1(&q, which, value);
	return rv == -1 && reason[0] != '\0' && query_empty(&q);
}

static int
good1(const char *which, const char *value)
{
	struct query	 q;
	int		 rv;

	rv = parse1(&q, which, value);
	query_free(&q);
	return rv == 0;
}

static void
test_defaults(void)
{
	struct query_params	 p;
	struct query		 q;

	memset(&p, 0, sizeof(p));
	CHECK("no parameters parse", parse(&q, &p) == 0);
	CHECK("default fields are all", q.fields.all && q.fields.n == 0);
	CHECK("default limit is 100", q.limit == QUERY_LIMIT_DEFAULT &&
	    q.limit == 100);
	CHECK("default offset 0, no sort, no meta, no filter",
	    q.offset == 0 && q.nsort == 0 && q.meta == 0 &&
	    q.filter == NULL);
	query_free(&q);
	CHECK("query_free leaves nothing", query_empty(&q));
}

static void
test_fields(void)
{
	struct query	 q;
	char		 ident[CONF_IDENT_MAX + 1];
	size_t		 i, n;

	CHECK("fields empty is all", parse1(&q, "fields", "") == 0 &&
	    q.fields.all && q.fields.n == 0);
	query_free(&q);
	CHECK("fields * is all", parse1(&q, "fields", "*") == 0 &&
	    q.fields.all && q.fields.n == 0);
	query_free(&q);
	CHECK("fields CSV", parse1(&q, "fields", "id,title,date_created") ==
	    0 && !q.fields.all && q.fields.n == 3 &&
	    strcmp(q.fields.names[0], "id") == 0 &&
	    strcmp(q.fields.names[1], "title") == 0 &&
	    strcmp(q.fields.names[2], "date_created") == 0);
	query_free(&q);
	CHECK("fields duplicates kept once", parse1(&q, "fields",
	    "id,title,id,title") == 0 && q.fields.n == 2);
	query_free(&q);
	CHECK("fields * with names", parse1(&q, "fields", "id,*") == 0 &&
	    q.fields.all && q.fields.n == 1);
	query_free(&q);
	CHECK("fields uppercase refused", bad1("fields", "Title"));
	CHECK("fields leading digit refused", bad1("fields", "1a"));
	CHECK("fields space refused", bad1("fields", "a b"));
	/* A relation's fields (one level), apart from the plain ones. */
	CHECK("fields relation", parse1(&q, "fields",
	    "title,author.name,author.email,category.*") == 0 &&
	    q.fields.n == 1 && q.nrels == 2 &&
	    strcmp(q.rels[0].field, "author") == 0 &&
	    q.rels[0].sub.n == 2 && !q.rels[0].sub.all &&
	    strcmp(q.rels[0].sub.names[1], "email") == 0 &&
	    strcmp(q.rels[1].field, "category") == 0 && q.rels[1].sub.all);
	query_free(&q);
	CHECK("fields two levels refused", bad1("fields", "author.role.name"));
	CHECK("fields empty relation refused", bad1("fields", ".name"));
	CHECK("fields empty related field refused", bad1("fields", "author."));
	CHECK("fields related uppercase refused", bad1("fields",
	    "author.Name"));
	CHECK("fields too many relations refused", bad1("fields",
	    "a.x,b.x,c.x,d.x,e.x,f.x,g.x,h.x,i.x"));
	CHECK("fields empty item refused", bad1("fields", "a,,b"));
	CHECK("fields trailing comma refused", bad1("fields", "a,"));
	CHECK("fields leading comma refused", bad1("fields", ",a"));
	CHECK("fields ** refused", bad1("fields", "**"));
	CHECK("fields quote refused", bad1("fields", "a\"b"));
	memset(ident, 'a', sizeof(ident));
	ident[CONF_IDENT_MAX - 1] = '\0';
	CHECK("fields 63-byte name", good1("fields", ident));
	ident[CONF_IDENT_MAX - 1] = 'a';
	ident[CONF_IDENT_MAX] = '\0';
	CHECK("fields 64-byte name refused", bad1("fields", ident));

	for (i = 0, n = 0; i < CONF_FIELDS_MAX; i++)
		n += snprintf(big + n, sizeof(big) - n, "%sf%zu",
		    i ? "," : "", i);
	CHECK("fields at CONF_FIELDS_MAX", parse1(&q, "fields", big) == 0 &&
	    q.fields.n == CONF_FIELDS_MAX);
	query_free(&q);
	(void)snprintf(big + n, sizeof(big) - n, ",f0,f1");
	CHECK("fields duplicates past the bound", good1("fields", big));
	(void)snprintf(big + n, sizeof(big) - n, ",extra");
	CHECK("fields over CONF_FIELDS_MAX refused", bad1("fields", big));
}

static void
test_sort(void)
{
	struct query	 q;
	size_t		 i, n;

	CHECK("sort one", parse1(&q, "sort", "title") == 0 && q.nsort == 1 &&
	    strcmp(q.sort[0].field, "title") == 0 && !q.sort[0].desc);
	query_free(&q);
	CHECK("sort CSV with -", parse1(&q, "sort", "-n,title") == 0 &&
	    q.nsort == 2 && strcmp(q.sort[0].field, "n") == 0 &&
	    q.sort[0].desc && strcmp(q.sort[1].field, "title") == 0 &&
	    !q.sort[1].desc);
	query_free(&q);
	CHECK("sort empty is none", parse1(&q, "sort", "") == 0 &&
	    q.nsort == 0);
	query_free(&q);
	CHECK("sort - alone refused", bad1("sort", "-"));
	CHECK("sort -- refused", bad1("sort", "--n"));
	CHECK("sort empty item refused", bad1("sort", "a,,b"));
	CHECK("sort uppercase refused", bad1("sort", "Title"));
	CHECK("sort + refused", bad1("sort", "+n"));
	CHECK("sort SQL refused", bad1("sort", "n;DROP TABLE t"));
	CHECK("sort relation refused", bad1("sort", "author.name"));
	for (i = 0, n = 0; i < QUERY_SORT_MAX; i++)
		n += snprintf(big + n, sizeof(big) - n, "%s-s%zu",
		    i ? "," : "", i);
	CHECK("sort at QUERY_SORT_MAX", parse1(&q, "sort", big) == 0 &&
	    q.nsort == QUERY_SORT_MAX && q.sort[QUERY_SORT_MAX - 1].desc);
	query_free(&q);
	(void)snprintf(big + n, sizeof(big) - n, ",x");
	CHECK("sort over QUERY_SORT_MAX refused", bad1("sort", big));
}

static long long
limit_of(const char *limit, const char *offset, const char *page,
    long long *off)
{
	struct query_params	 p;
	struct query		 q;
	long long		 l;

	memset(&p, 0, sizeof(p));
	p.limit = limit;
	p.offset = offset;
	p.page = page;
	if (parse(&q, &p) == -1)
		return LLONG_MIN;
	l = q.limit;
	if (off != NULL)
		*off = q.offset;
	query_free(&q);
	return l;
}

static void
test_limit(void)
{
	CHECK("limit 10", limit_of("10", NULL, NULL, NULL) == 10);
	CHECK("limit 0", limit_of("0", NULL, NULL, NULL) == 0);
	CHECK("limit -1 is the cap", limit_of("-1", NULL, NULL, NULL) ==
	    LIMIT_MAX);
	CHECK("limit at the cap", limit_of("1000", NULL, NULL, NULL) ==
	    LIMIT_MAX);
	CHECK("limit over the cap is the cap", limit_of("1001", NULL, NULL,
	    NULL) == LIMIT_MAX);
	CHECK("limit huge is the cap", limit_of("4611686018427387903", NULL,
	    NULL, NULL) == LIMIT_MAX);
	CHECK("limit leading zeros", limit_of("007", NULL, NULL, NULL) == 7);
	CHECK("limit -2 refused", bad1("limit", "-2"));
	CHECK("limit overflow refused", bad1("limit", "99999999999999999999"));
	CHECK("limit 21 digits refused", bad1("limit",
	    "000000000000000000001"));
	CHECK("limit empty refused", bad1("limit", ""));
	CHECK("limit garbage refused", bad1("limit", "abc"));
	CHECK("limit trailing garbage refused", bad1("limit", "10abc"));
	CHECK("limit real refused", bad1("limit", "1.5"));
	CHECK("limit space refused", bad1("limit", " 5"));
	CHECK("limit trailing space refused", bad1("limit", "5 "));
	CHECK("limit + refused", bad1("limit", "+5"));
	CHECK("limit hex refused", bad1("limit", "0x10"));
	CHECK("limit - refused", bad1("limit", "-"));
}

/* A caller's large cap cannot make page * limit overflow. */
static void
test_page_overflow(void)
{
	struct query_params	 p;
	struct query		 q;

	memset(&p, 0, sizeof(p));
	p.limit = "-1";
	p.page = "1099511627776";
	CHECK("page times a huge limit refused", query_parse(&q, &p,
	    LLONG_MAX / 2, reason, sizeof(reason)) == -1 && query_empty(&q));
	p.page = "2";
	CHECK("page 2 of a huge limit", query_parse(&q, &p, 1LL << 40,
	    reason, sizeof(reason)) == 0 && q.offset == 1LL << 40);
	query_free(&q);
	p.page = "3";
	CHECK("page 3 of a huge limit refused", query_parse(&q, &p,
	    1LL << 40, reason, sizeof(reason)) == -1);
}

static void
test_offset_page(void)
{
	long long	 off;

	CHECK("offset 50", limit_of(NULL, "50", NULL, &off) == 100 &&
	    off == 50);
	CHECK("offset 2^40", limit_of(NULL, "1099511627776", NULL, &off) ==
	    100 && off == 1099511627776LL);
	CHECK("offset 2^40+1 refused", bad1("offset", "1099511627777"));
	CHECK("offset -1 refused", bad1("offset", "-1"));
	CHECK("offset garbage refused", bad1("offset", "x"));
	CHECK("offset empty refused", bad1("offset", ""));
	CHECK("page 2 limit 10 is offset 10", limit_of("10", NULL, "2",
	    &off) == 10 && off == 10);
	CHECK("page 1 is offset 0", limit_of("10", NULL, "1", &off) == 10 &&
	    off == 0);
	CHECK("page 3 default limit is offset 200", limit_of(NULL, NULL, "3",
	    &off) == 100 && off == 200);
	CHECK("page 2 limit -1 is offset of the cap", limit_of("-1", NULL,
	    "2", &off) == LIMIT_MAX && off == LIMIT_MAX);
	CHECK("page wins over offset", limit_of("10", "5", "3", &off) == 10 &&
	    off == 20);
	CHECK("page 2 limit 0 is offset 0", limit_of("0", NULL, "2", &off) ==
	    0 && off == 0);
	CHECK("page 0 refused", bad1("page", "0"));
	CHECK("page -1 refused", bad1("page", "-1"));
	CHECK("page garbage refused", bad1("page", "two"));
	CHECK("page too large refused", limit_of(NULL, NULL, "1099511627776",
	    NULL) == LLONG_MIN && strstr(reason, "page") != NULL);
	test_page_overflow();
}

static int
meta_of(const char *meta)
{
	struct query	 q;
	int		 m;

	if (parse1(&q, "meta", meta) == -1)
		return -1;
	m = q.meta;
	query_free(&q);
	return m;
}

static void
test_meta(void)
{
	CHECK("meta total_count", meta_of("total_count") == QUERY_META_TOTAL);
	CHECK("meta filter_count", meta_of("filter_count") ==
	    QUERY_META_FILTER);
	CHECK("meta *", meta_of("*") == (QUERY_META_TOTAL |
	    QUERY_META_FILTER));
	CHECK("meta both", meta_of("filter_count,total_count") ==
	    (QUERY_META_TOTAL | QUERY_META_FILTER));
	CHECK("meta absent", meta_of(NULL) == 0);
	CHECK("meta unknown refused", bad1("meta", "count"));
	CHECK("meta uppercase refused", bad1("meta", "TOTAL_COUNT"));
	CHECK("meta prefix refused", bad1("meta", "total_coun"));
	CHECK("meta longer refused", bad1("meta", "total_counts"));
	CHECK("meta empty refused", bad1("meta", ""));
	CHECK("meta trailing comma refused", bad1("meta", "total_count,"));
}

/* Every parameter: QUERY_TEXT_MAX bytes is read, one more is refused. */
static void
test_text_max(void)
{
	static const char	*which[] = { "fields", "filter", "sort",
				    "limit", "offset", "page", "meta" };
	size_t			 i;

	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		memset(big, '1', QUERY_TEXT_MAX + 1);
		big[QUERY_TEXT_MAX + 1] = '\0';
		(void)snprintf(name, sizeof(name), "%s over QUERY_TEXT_MAX "
		    "refused", which[i]);
		CHECK(name, bad1(which[i], big) &&
		    strstr(reason, "too long") != NULL);
	}
	/* At the bound, the parameter itself is parsed. */
	memset(big, ' ', QUERY_TEXT_MAX);
	big[QUERY_TEXT_MAX] = '\0';
	memcpy(big, "{\"a\":{\"_eq\":1}}", 15);
	CHECK("filter of QUERY_TEXT_MAX bytes", good1("filter", big));
	big[QUERY_TEXT_MAX] = ' ';
	big[QUERY_TEXT_MAX + 1] = '\0';
	CHECK("filter of QUERY_TEXT_MAX+1 bytes refused", bad1("filter",
	    big));
	CHECK("filter text over the bound refused by length",
	    query_filter_parse_text(big, QUERY_TEXT_MAX + 1, reason,
	    sizeof(reason)) == NULL && strstr(reason, "too long") != NULL);
	/* "id,id,...,id,x": QUERY_TEXT_MAX bytes of repeated names. */
	for (i = 0; i + 3 < QUERY_TEXT_MAX; i += 3)
		memcpy(big + i, "id,", 3);
	memset(big + i, 'x', QUERY_TEXT_MAX - i);
	big[QUERY_TEXT_MAX] = '\0';
	CHECK("fields of QUERY_TEXT_MAX bytes", good1("fields", big));
	big[QUERY_TEXT_MAX] = 'x';
	big[QUERY_TEXT_MAX + 1] = '\0';
	CHECK("fields of QUERY_TEXT_MAX+1 bytes refused", bad1("fields",
	    big));
}

/* ------------------------------------------------------------------ */
/* Filters: shape, operators, operands, bounds */

static struct query_node *
filter(const char *text)
{
	memset(reason, 0, sizeof(reason));
	return query_filter_parse_text(text, strlen(text), reason,
	    sizeof(reason));
}

static int
filter_good(const char *text)
{
	struct query_node	*n;

	n = filter(text);
	query_node_free(n);
	return n != NULL;
}

/* Refused, and the reason contains why. */
static int
filter_bad(const char *text, const char *why)
{
	struct query_node	*n;

	if ((n = filter(text)) != NULL) {
		query_node_free(n);
		return 0;
	}
	return reason[0] != '\0' && (why == NULL ||
	    strstr(reason, why) != NULL);
}

/* {"f":{"<op>":<operand>}} accepted or refused, one check. */
static void
operand_check(const char *op, const char *operand, int good)
{
	char	 text[256];

	(void)snprintf(text, sizeof(text), "{\"f\":{\"%s\":%s}}", op, operand);
	(void)snprintf(name, sizeof(name), "filter %s %s", text,
	    good ? "accepted" : "refused");
	if (good)
		CHECK(name, filter_good(text));
	else
		CHECK(name, filter_bad(text, "invalid value"));
}

static void
operands_check(const char *op, const char **goods, const char **bads)
{
	for (; *goods != NULL; goods++)
		operand_check(op, *goods, 1);
	for (; *bads != NULL; bads++)
		operand_check(op, *bads, 0);
}

static void
test_operands(void)
{
	static const char	*eq_good[] = { "\"a\"", "\"\"", "1", "-1.5",
				    "true", "false", "null", "\"$NOW\"", NULL };
	static const char	*eq_bad[] = { "[1]", "{}", "{\"_eq\":1}",
				    NULL };
	static const char	*cmp_good[] = { "\"a\"", "1", "2.5", "-3",
				    "\"$NOW\"", NULL };
	static const char	*cmp_bad[] = { "true", "null", "[1]", "{}",
				    NULL };
	static const char	*list_good[] = { "[1]", "[1,\"a\",true]",
				    "\"a,b\"", "\"a\"", "\"\"",
				    "[\"$CURRENT_USER\"]", NULL };
	static const char	*list_bad[] = { "[]", "[null]", "[1,null]",
				    "[[1]]", "[{}]", "1", "true", "null", "{}",
				    NULL };
	static const char	*bool_good[] = { "true", "false", "\"true\"",
				    "\"false\"", NULL };
	static const char	*bool_bad[] = { "1", "0", "null", "\"yes\"",
				    "\"TRUE\"", "[true]", "{}", NULL };
	static const char	*text_good[] = { "\"a\"", "\"\"", "\"%\"", "5",
				    "\"$CURRENT_USER\"", NULL };
	static const char	*text_bad[] = { "true", "null", "[\"a\"]", "{}",
				    "2.5", "1e3", NULL };
	static const char	*between_good[] = { "[1,10]", "\"a,z\"",
				    "[\"$NOW\",\"2030\"]", "[true,false]",
				    NULL };
	static const char	*between_bad[] = { "[1]", "[1,2,3]", "[null,1]",
				    "\"1\"", "\"1,2,3\"", "1", "[]", "{}",
				    NULL };
	static const char	*ops_eq[] = { "_eq", "_neq", NULL };
	static const char	*ops_cmp[] = { "_lt", "_lte", "_gt", "_gte",
				    NULL };
	static const char	*ops_list[] = { "_in", "_nin", NULL };
	static const char	*ops_bool[] = { "_null", "_nnull", "_empty",
				    "_nempty", NULL };
	static const char	*ops_text[] = { "_contains", "_ncontains",
				    "_starts_with", "_ends_with", NULL };
	const char		**op;

	for (op = ops_eq; *op != NULL; op++)
		operands_check(*op, eq_good, eq_bad);
	for (op = ops_cmp; *op != NULL; op++)
		operands_check(*op, cmp_good, cmp_bad);
	for (op = ops_list; *op != NULL; op++)
		operands_check(*op, list_good, list_bad);
	for (op = ops_bool; *op != NULL; op++)
		operands_check(*op, bool_good, bool_bad);
	for (op = ops_text; *op != NULL; op++)
		operands_check(*op, text_good, text_bad);
	operands_check("_between", between_good, between_bad);
}

/* A list operand of n values: [0,1,...] */
static const char *
list_text(const char *op, size_t n)
{
	size_t	 i, len;

	len = snprintf(big, sizeof(big), "{\"f\":{\"%s\":[", op);
	for (i = 0; i < n; i++)
		len += snprintf(big + len, sizeof(big) - len, "%s%zu",
		    i ? "," : "", i % 10);
	(void)snprintf(big + len, sizeof(big) - len, "]}}");
	return big;
}

static void
test_lists(void)
{
	struct query_node	*n;
	size_t			 i, len;

	CHECK("_in of QUERY_LIST_MAX values", filter_good(list_text("_in",
	    QUERY_LIST_MAX)));
	CHECK("_in over QUERY_LIST_MAX refused", filter_bad(list_text("_in",
	    QUERY_LIST_MAX + 1), "invalid value"));
	CHECK("_nin over QUERY_LIST_MAX refused", filter_bad(list_text("_nin",
	    QUERY_LIST_MAX + 1), "invalid value"));
	len = snprintf(big, sizeof(big), "{\"f\":{\"_in\":\"");
	for (i = 0; i < QUERY_LIST_MAX; i++)
		big[len++] = ',';
	(void)snprintf(big + len, sizeof(big) - len, "\"}}");
	CHECK("_in CSV over QUERY_LIST_MAX refused", filter_bad(big,
	    "invalid value"));
	n = filter("{\"f\":{\"_in\":\"a,,b\"}}");
	CHECK("_in CSV is split on commas", n != NULL && n->nkids == 1 &&
	    json_array_size(n->kids[0]->value) == 3 &&
	    strcmp(json_string_value(json_array_get(n->kids[0]->value, 1)),
	    "") == 0);
	query_node_free(n);
	n = filter("{\"f\":{\"_empty\":\"false\"}}");
	CHECK("boolean text is a boolean", n != NULL &&
	    json_is_false(n->kids[0]->value));
	query_node_free(n);
}

static void
test_shape(void)
{
	struct query_node	*n, *k;

	n = filter("{\"a\":{\"_gt\":1,\"_lt\":5},\"b\":{\"_eq\":2},"
	    "\"_or\":[{\"c\":{\"_null\":true}},{}]}");
	CHECK("implicit AND of keys and operators", n != NULL &&
	    n->op == QOP_AND && n->nkids == 4 &&
	    n->kids[0]->op == QOP_GT && strcmp(n->kids[0]->field, "a") == 0 &&
	    n->kids[1]->op == QOP_LT && strcmp(n->kids[1]->field, "a") == 0 &&
	    n->kids[2]->op == QOP_EQ && strcmp(n->kids[2]->field, "b") == 0 &&
	    n->kids[3]->op == QOP_OR && n->kids[3]->nkids == 2);
	if (n != NULL && n->nkids == 4 && n->kids[3]->nkids == 2) {
		k = n->kids[3];
		CHECK("_or kids are AND groups", k->kids[0]->op == QOP_AND &&
		    k->kids[0]->nkids == 1 && k->kids[1]->op == QOP_AND &&
		    k->kids[1]->nkids == 0 &&
		    k->kids[0]->kids[0]->op == QOP_NULL);
	}
	query_node_free(n);
	CHECK("empty filter", filter_good("{}"));
	CHECK("empty _and", filter_good("{\"_and\":[]}"));
	CHECK("empty _or", filter_good("{\"_or\":[]}"));
	CHECK("filter array refused", filter_bad("[]", "object"));
	CHECK("filter number refused", filter_bad("1", NULL));
	CHECK("filter string refused", filter_bad("\"x\"", NULL));
	CHECK("filter null refused", filter_bad("null", NULL));
	CHECK("field not an object refused", filter_bad("{\"a\":1}",
	    "object of operators"));
	CHECK("field array refused", filter_bad("{\"a\":[]}", "object"));
	CHECK("field without operator refused", filter_bad("{\"a\":{}}",
	    "object"));
	CHECK("_and object refused", filter_bad("{\"_and\":{}}", "array"));
	CHECK("_or string refused", filter_bad("{\"_or\":\"x\"}", "array"));
	CHECK("_and of a number refused", filter_bad("{\"_and\":[1]}",
	    "object"));
	CHECK("_and of an array refused", filter_bad("{\"_and\":[[]]}",
	    "object"));
	CHECK("nested field (relation) refused",
	    filter_bad("{\"author\":{\"name\":{\"_eq\":1}}}", "unknown"));
}

static void
test_names(void)
{
	static const char	*unknown[] = { "_foo", "_EQ", "eq",
				    "_icontains",
				    "_nbetween", "_regex", "_and", "_or", "",
				    "_eq ", "_in\\u0000", NULL };
	static const char	*fields[] = { "Title", "a.b", "1a", "", "a b",
				    "a\\\"b", "a'--", "\\u00e9", "_eq\\n",
				    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL };
	const char		**s;
	char			 text[256];

	for (s = unknown; *s != NULL; s++) {
		(void)snprintf(text, sizeof(text), "{\"f\":{\"%s\":1}}", *s);
		(void)snprintf(name, sizeof(name), "operator \"%s\" refused",
		    *s);
		CHECK(name, filter_bad(text, NULL));
	}
	for (s = fields; *s != NULL; s++) {
		(void)snprintf(text, sizeof(text), "{\"%s\":{\"_eq\":1}}", *s);
		(void)snprintf(name, sizeof(name), "field \"%s\" refused", *s);
		CHECK(name, filter_bad(text, NULL));
	}
	CHECK("field of 63 bytes", filter_good("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":{\"_eq\":1}}"));
	CHECK("_and inside a field refused", filter_bad("{\"a\":{\"_and\":"
	    "[]}}", "unknown operator"));
}

static void
test_json(void)
{
	static const char	*bad[] = { "", "{", "{\"a\":}", "{'a':1}",
				    "{\"a\":{\"_eq\":1}}x",
				    "{\"a\":{\"_eq\":NaN}}",
				    "{\"a\":{\"_eq\":1e999}}", "/**/{}",
				    "{\"a\":{\"_eq\":\"\\u0000\"}}",
				    "{\"a\":{\"_eq\":\"\xff\"}}",
				    "{\"a\":{\"_eq\":99999999999999999999}}",
				    NULL };
	const char		**s;

	for (s = bad; *s != NULL; s++) {
		(void)snprintf(name, sizeof(name), "invalid JSON %s refused",
		    *s);
		CHECK(name, filter_bad(*s, "JSON"));
	}
	CHECK("NUL inside the text refused",
	    query_filter_parse_text("{}\0{}", 5, reason, sizeof(reason)) ==
	    NULL);
	CHECK("duplicate fields refused", filter_bad("{\"a\":{\"_eq\":1},"
	    "\"a\":{\"_eq\":2}}", "JSON"));
	CHECK("duplicate operators refused", filter_bad("{\"a\":{\"_eq\":1,"
	    "\"_eq\":2}}", "JSON"));
	CHECK("duplicate _and refused", filter_bad("{\"_and\":[],"
	    "\"_and\":[]}", "JSON"));
	CHECK("duplicate inside _or refused", filter_bad("{\"_or\":[{\"a\":"
	    "{\"_in\":[1],\"_in\":[2]}}]}", "JSON"));
	CHECK("no reason buffer", query_filter_parse_text("{", 1, NULL, 0) ==
	    NULL);
}

/* k filter objects nested in _and (or _or) groups. */
static const char *
nest_text(size_t k, const char *group)
{
	size_t	 i, len = 0;

	for (i = 1; i < k; i++)
		len += snprintf(big + len, sizeof(big) - len, "{\"%s\":[",
		    group);
	len += snprintf(big + len, sizeof(big) - len, "{\"a\":{\"_eq\":1}}");
	for (i = 1; i < k; i++)
		len += snprintf(big + len, sizeof(big) - len, "]}");
	return big;
}

/* One object of k fields: 1 + k nodes. */
static const char *
wide_text(size_t k)
{
	size_t	 i, len = 0;

	big[len++] = '{';
	for (i = 0; i < k; i++)
		len += snprintf(big + len, sizeof(big) - len,
		    "%s\"f%zu\":{\"_eq\":1}", i ? "," : "", i);
	(void)snprintf(big + len, sizeof(big) - len, "}");
	return big;
}

static void
test_bounds(void)
{
	json_t	*obj;

	CHECK("depth QUERY_DEPTH_MAX", filter_good(nest_text(QUERY_DEPTH_MAX,
	    "_and")));
	CHECK("depth QUERY_DEPTH_MAX+1 refused", filter_bad(nest_text(
	    QUERY_DEPTH_MAX + 1, "_and"), "nested"));
	CHECK("depth QUERY_DEPTH_MAX+1 of _or refused", filter_bad(nest_text(
	    QUERY_DEPTH_MAX + 1, "_or"), "nested"));
	CHECK("depth 1000 refused", filter_bad(nest_text(1000, "_or"),
	    NULL));
	CHECK("nodes QUERY_NODES_MAX", filter_good(wide_text(
	    QUERY_NODES_MAX - 1)));
	CHECK("nodes QUERY_NODES_MAX+1 refused", filter_bad(wide_text(
	    QUERY_NODES_MAX), "conditions"));
	CHECK("nodes far over refused", filter_bad(wide_text(700),
	    "conditions"));
	/* A tree from elsewhere (a SEARCH body) deeper than jansson's. */
	obj = json_loads(nest_text(QUERY_DEPTH_MAX + 1, "_and"), 0, NULL);
	CHECK("query_filter_parse bounds depth too", obj != NULL &&
	    query_filter_parse(obj, reason, sizeof(reason)) == NULL &&
	    strstr(reason, "nested") != NULL);
	json_decref(obj);
}

static int
fields_cb(void *arg, const char *field)
{
	char	*seen = arg;

	if (strlen(seen) + strlen(field) + 2 > 64)
		return -1;
	(void)strlcat(seen, field, 64);
	(void)strlcat(seen, ",", 64);
	return strcmp(field, "stop") == 0 ? -1 : 0;
}

static void
test_node_fields(void)
{
	struct query_node	*n;
	char			 seen[64];

	n = filter("{\"a\":{\"_eq\":1},\"_or\":[{\"b\":{\"_null\":true}},"
	    "{\"_and\":[{\"c\":{\"_gt\":1,\"_lt\":2}}]}]}");
	seen[0] = '\0';
	CHECK("query_node_fields visits every field", n != NULL &&
	    query_node_fields(n, fields_cb, seen) == 0 &&
	    strcmp(seen, "a,b,c,c,") == 0);
	query_node_free(n);
	n = filter("{\"a\":{\"_eq\":1},\"stop\":{\"_eq\":1},"
	    "\"z\":{\"_eq\":1}}");
	seen[0] = '\0';
	CHECK("query_node_fields stops on -1", n != NULL &&
	    query_node_fields(n, fields_cb, seen) == -1 &&
	    strcmp(seen, "a,stop,") == 0);
	query_node_free(n);
	CHECK("query_node_fields of no filter", query_node_fields(NULL,
	    fields_cb, seen) == 0);
}

static void
test_query_filter(void)
{
	struct query		 q;

	CHECK("filter parameter parsed", parse1(&q, "filter",
	    "{\"a\":{\"_eq\":1}}") == 0 && q.filter != NULL &&
	    q.filter->nkids == 1);
	query_free(&q);
	CHECK("filter parameter refused frees everything", bad1("filter",
	    "{\"a\":{\"_eq\":[]}}"));
	CHECK("reason names the operator", bad1("filter",
	    "{\"a\":{\"_eq\":[]}}") && strstr(reason, "filter.a._eq") != NULL);
}

/* ------------------------------------------------------------------ */
/* The in-memory matcher and the SQL compiler, against each other */

/*
 * The column callback of the item store: "id" is the primary key and
 * every other field is read from the document.  Objects and arrays
 * become a zero-length blob, which is neither null, nor empty, nor of
 * the kind of any operand: json_extract() would give their JSON text,
 * and a filter on text would then match them.
 */
static int
t_column(void *arg, const char *field, struct query_sql *qs)
{
	char	 path[CONF_IDENT_MAX + 8];
	json_t	*p;

	if (strcmp(field, "id") == 0) {
		query_sql_add(qs, "id");
		return 0;
	}
	if (strcmp(field, "nosuch") == 0)
		return -1;
	(void)snprintf(path, sizeof(path), "$.\"%s\"", field);
	if ((p = json_string(path)) == NULL)
		return -1;
	query_sql_add(qs, "(CASE WHEN json_type(doc, ");
	query_sql_bind(qs, p);
	query_sql_add(qs, ") IN ('object', 'array') THEN x'' ELSE "
	    "json_extract(doc, ");
	query_sql_bind(qs, p);
	query_sql_add(qs, ") END)");
	json_decref(p);
	return 0;
}

static const struct query_schema t_schema = { .column = t_column };

static void
db_open(void)
{
	sqlite3_stmt	*st;
	size_t		 i;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, "
	    "doc TEXT)", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t (id, doc) VALUES (?, ?)",
	    -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
		exit(2);
	}
	for (i = 0; i < NDOCS; i++) {
		items[i] = json_loads(docs[i], JSON_REJECT_DUPLICATES, NULL);
		if (items[i] == NULL || json_object_set_new(items[i], "id",
		    json_integer(i + 1)) == -1) {
			fprintf(stderr, "document %zu is not JSON\n", i + 1);
			exit(2);
		}
		(void)sqlite3_bind_int64(st, 1, i + 1);
		(void)sqlite3_bind_text(st, 2, docs[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			exit(2);
		(void)sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}

/* Rows the compiled filter selects; -1 if it cannot be run. */
static int
rows_sql(const struct query_node *n, const struct query_vars *v,
    uint64_t *rows)
{
	struct query_sql	 qs;
	sqlite3_stmt		*st = NULL;
	int			 rc;

	*rows = 0;
	query_sql_init(&qs);
	query_sql_add(&qs, "SELECT id FROM t WHERE ");
	if (query_node_sql(n, &t_schema, v, &qs) == -1 || qs.error ||
	    sqlite3_prepare_v2(db, qs.text, -1, &st, NULL) != SQLITE_OK ||
	    query_sql_apply(st, &qs, 1) == -1) {
		fprintf(stderr, "cannot run %s: %s\n", qs.text != NULL ?
		    qs.text : "(nothing)", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		query_sql_free(&qs);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*rows |= ROW(sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	query_sql_free(&qs);
	return rc == SQLITE_DONE ? 0 : -1;
}

static uint64_t
rows_match(const struct query_node *n, const struct query_vars *v)
{
	uint64_t	 rows = 0;
	size_t		 i;

	for (i = 0; i < NDOCS; i++)
		if (query_node_match(n, items[i], v))
			rows |= ROW(i + 1);
	return rows;
}

/* The filter selects exactly rows, in SQL and in memory. */
static void
expect_vars(const char *text, const struct query_vars *v, uint64_t rows)
{
	struct query_node	*n;
	uint64_t		 sql = 0, mem = 0;
	int			 rc = -1;

	if ((n = filter(text)) != NULL) {
		rc = rows_sql(n, v, &sql);
		mem = rows_match(n, v);
	}
	(void)snprintf(name, sizeof(name), "sql %s", text);
	CHECK(name, rc == 0 && sql == rows);
	if (rc == 0 && sql != rows)
		printf("# sql rows %#llx, expected %#llx\n",
		    (unsigned long long)sql, (unsigned long long)rows);
	(void)snprintf(name, sizeof(name), "match %s", text);
	CHECK(name, n != NULL && mem == rows);
	if (n != NULL && mem != rows)
		printf("# matched rows %#llx, expected %#llx\n",
		    (unsigned long long)mem, (unsigned long long)rows);
	query_node_free(n);
}

static void
expect(const char *text, uint64_t rows)
{
	expect_vars(text, &vars, rows);
}

static const struct match_case match_ops[] = {
	{ "{}", ALL },
	{ "{\"id\":{\"_eq\":3}}", ROW(3) },
	{ "{\"id\":{\"_in\":[1,12,99]}}", ROW(1) | ROW(12) },
	{ "{\"id\":{\"_between\":[2,4]}}", ROW(2) | ROW(3) | ROW(4) },
	{ "{\"title\":{\"_eq\":\"hello\"}}", ROW(2) },
	{ "{\"n\":{\"_eq\":5}}", ROW(1) },
	{ "{\"n\":{\"_eq\":\"5\"}}", ROW(5) },
	{ "{\"r\":{\"_eq\":5}}", ROW(11) },
	{ "{\"n\":{\"_eq\":100.0}}", ROW(10) },
	{ "{\"n\":{\"_eq\":9007199254740993}}", ROW(6) },
	{ "{\"n\":{\"_eq\":9007199254740992}}", ROW(11) },
	{ "{\"owner\":{\"_eq\":null}}",
	    ROW(3) | ROW(5) | ROW(8) | ROW(9) | ROW(10) | ROW(11) | ROW(12) },
	{ "{\"owner\":{\"_neq\":null}}",
	    ROW(1) | ROW(2) | ROW(4) | ROW(6) | ROW(7) },
	/* _neq is <>: rows where the field is null do not match. */
	{ "{\"owner\":{\"_neq\":\"u1\"}}", ROW(2) | ROW(6) | ROW(7) },
	{ "{\"n\":{\"_neq\":5}}", ALL & ~(ROW(1) | ROW(9)) },
	{ "{\"n\":{\"_gt\":5}}", ROW(2) | ROW(6) | ROW(10) | ROW(11) },
	{ "{\"n\":{\"_gte\":5}}",
	    ROW(1) | ROW(2) | ROW(6) | ROW(10) | ROW(11) },
	{ "{\"n\":{\"_lt\":1}}", ROW(3) | ROW(4) },
	{ "{\"n\":{\"_lte\":1}}", ROW(3) | ROW(4) | ROW(7) | ROW(12) },
	{ "{\"r\":{\"_lt\":0}}", ROW(2) },
	{ "{\"r\":{\"_lte\":0}}", ROW(2) | ROW(4) | ROW(12) },
	{ "{\"title\":{\"_gt\":\"hello\"}}", ROW(6) | ROW(7) | ROW(8) },
	{ "{\"title\":{\"_lt\":\"B\"}}", ROW(3) | ROW(4) | ROW(10) | ROW(12) },
	{ "{\"when\":{\"_lte\":\"$NOW\"}}", ROW(7) },
	{ "{\"when\":{\"_gt\":\"$NOW\"}}", ROW(8) },
	{ "{\"n\":{\"_in\":[5,\"5\",10]}}", ROW(1) | ROW(2) | ROW(5) },
	{ "{\"tag\":{\"_in\":\"a,b\"}}", ROW(1) | ROW(2) },
	/* _nin is NOT IN: null rows do not match either. */
	{ "{\"tag\":{\"_nin\":[\"a\",\"b\"]}}",
	    ROW(3) | ROW(5) | ROW(10) | ROW(11) | ROW(12) },
	{ "{\"b\":{\"_null\":true}}",
	    ROW(3) | ROW(4) | ROW(7) | ROW(8) | ROW(9) | ROW(10) | ROW(11) },
	{ "{\"b\":{\"_null\":false}}",
	    ROW(1) | ROW(2) | ROW(5) | ROW(6) | ROW(12) },
	{ "{\"b\":{\"_nnull\":true}}",
	    ROW(1) | ROW(2) | ROW(5) | ROW(6) | ROW(12) },
	{ "{\"b\":{\"_nnull\":\"false\"}}",
	    ROW(3) | ROW(4) | ROW(7) | ROW(8) | ROW(9) | ROW(10) | ROW(11) },
	/* _empty is null or "". */
	{ "{\"s\":{\"_empty\":true}}", ALL & ~(ROW(4) | ROW(5) | ROW(10)) },
	{ "{\"s\":{\"_nempty\":true}}", ROW(4) | ROW(5) | ROW(10) },
	{ "{\"s\":{\"_empty\":false}}", ROW(4) | ROW(5) | ROW(10) },
	{ "{\"title\":{\"_empty\":true}}", ROW(4) | ROW(9) },
	{ "{\"obj\":{\"_empty\":true}}", ALL & ~(ROW(8) | ROW(11) | ROW(12)) },
	{ "{\"title\":{\"_contains\":\"ello\"}}", ROW(1) | ROW(2) },
	{ "{\"title\":{\"_contains\":\"\"}}", ALL & ~(ROW(5) | ROW(9)) },
	{ "{\"title\":{\"_ncontains\":\"ello\"}}",
	    ALL & ~(ROW(1) | ROW(2) | ROW(5) | ROW(9)) },
	{ "{\"title\":{\"_starts_with\":\"hel\"}}", ROW(2) },
	{ "{\"title\":{\"_starts_with\":\"Hel\"}}", ROW(1) },
	{ "{\"title\":{\"_ends_with\":\"world\"}}", ROW(1) },
	/* An integer operand of a text operator is its decimal text. */
	{ "{\"title\":{\"_contains\":5}}", ROW(3) },
	{ "{\"title\":{\"_starts_with\":50}}", ROW(3) },
	{ "{\"title\":{\"_ends_with\":-1}}", 0 },
	{ "{\"n\":{\"_contains\":5}}", ROW(5) },
	{ "{\"title\":{\"_ends_with\":\"\"}}", ALL & ~(ROW(5) | ROW(9)) },
	{ "{\"n\":{\"_between\":[0,5]}}",
	    ROW(1) | ROW(3) | ROW(7) | ROW(8) | ROW(12) },
	{ "{\"n\":{\"_between\":[5,0]}}", 0 },
	{ "{\"title\":{\"_between\":\"a,i\"}}", ROW(2) | ROW(11) },
};

static void
test_match_ops(void)
{
	size_t	 i;

	for (i = 0; i < NELEM(match_ops); i++)
		expect(match_ops[i].filter, match_ops[i].rows);
}

static const struct match_case match_groups[] = {
	{ "{\"_and\":[]}", ALL },
	{ "{\"_or\":[]}", 0 },
	{ "{\"_or\":[{}]}", ALL },
	{ "{\"n\":{\"_gt\":0,\"_lt\":10}}",
	    ROW(1) | ROW(7) | ROW(8) | ROW(12) },
	{ "{\"n\":{\"_gt\":0},\"owner\":{\"_eq\":\"u1\"}}", ROW(1) },
	{ "{\"_or\":[{\"n\":{\"_eq\":5}},{\"owner\":{\"_eq\":\"u2\"}}]}",
	    ROW(1) | ROW(2) },
	{ "{\"_and\":[{\"_or\":[{\"tag\":{\"_eq\":\"a\"}},"
	    "{\"tag\":{\"_eq\":\"b\"}}]},{\"n\":{\"_gt\":5}}]}", ROW(2) },
	{ "{\"_or\":[{\"_and\":[{\"n\":{\"_lt\":0}}]},"
	    "{\"_or\":[{\"id\":{\"_eq\":12}}]}],\"id\":{\"_neq\":4}}",
	    ROW(12) },
	{ "{\"_and\":[{\"n\":{\"_gt\":0}}],"
	    "\"_or\":[{\"b\":{\"_eq\":true}},{\"b\":{\"_eq\":false}}]}",
	    ROW(1) | ROW(2) | ROW(6) },
};

static void
test_match_groups(void)
{
	size_t	 i;

	for (i = 0; i < NELEM(match_groups); i++)
		expect(match_groups[i].filter, match_groups[i].rows);
}

static const struct match_vars_case match_vars[] = {
	{ "{\"owner\":{\"_eq\":\"$CURRENT_USER\"}}", &vars, ROW(1) | ROW(4) },
	{ "{\"owner\":{\"_eq\":\"$CURRENT_ROLE\"}}", &vars, ROW(6) },
	{ "{\"owner\":{\"_in\":[\"$CURRENT_USER\",\"u2\"]}}",
	    &vars, ROW(1) | ROW(2) | ROW(4) },
	{ "{\"owner\":{\"_nin\":[\"$CURRENT_USER\"]}}",
	    &vars, ROW(2) | ROW(6) | ROW(7) },
	{ "{\"owner\":{\"_eq\":\"$current_user\"}}", &vars, 0 },
	{ "{\"owner\":{\"_starts_with\":\"$CURRENT_USER\"}}",
	    &vars, ROW(1) | ROW(4) },
	/* The public has no user: $CURRENT_USER is null. */
	{ "{\"owner\":{\"_eq\":\"$CURRENT_USER\"}}",
	    &vars_public,
	    ROW(3) | ROW(5) | ROW(8) | ROW(9) | ROW(10) | ROW(11) | ROW(12) },
	{ "{\"owner\":{\"_neq\":\"$CURRENT_USER\"}}",
	    &vars_public, ROW(1) | ROW(2) | ROW(4) | ROW(6) | ROW(7) },
	{ "{\"owner\":{\"_in\":[\"$CURRENT_USER\"]}}", &vars_public, 0 },
	/* NOT IN a list holding null is never true, as in SQL. */
	{ "{\"owner\":{\"_nin\":[\"$CURRENT_USER\"]}}", &vars_public, 0 },
	{ "{\"owner\":{\"_nin\":[\"u2\",\"$CURRENT_ROLE\"]}}",
	    &vars_public, 0 },
	{ "{\"owner\":{\"_gt\":\"$CURRENT_USER\"}}", &vars_public, 0 },
	{ "{\"owner\":{\"_contains\":\"$CURRENT_USER\"}}", &vars_public, 0 },
	{ "{\"owner\":{\"_ncontains\":\"$CURRENT_USER\"}}", &vars_public, 0 },
	{ "{\"when\":{\"_between\":[\"2000\",\"$NOW\"]}}", &vars_none, 0 },
	{ "{\"when\":{\"_lt\":\"$NOW\"}}", NULL, 0 },
	{ "{\"owner\":{\"_eq\":\"$CURRENT_USER\"}}",
	    NULL,
	    ROW(3) | ROW(5) | ROW(8) | ROW(9) | ROW(10) | ROW(11) | ROW(12) },
};

static void
test_match_vars(void)
{
	size_t	 i;

	for (i = 0; i < NELEM(match_vars); i++)
		expect_vars(match_vars[i].filter, match_vars[i].vars,
		    match_vars[i].rows);
}

/*
 * Every field, operator and operand together (those the parser takes),
 * with a user and without: the matcher and SQL agree on every row.
 */
static const char *sweep_fields[] = {
	"id", "title", "n", "r", "b", "owner", "tag", "s", "when", "obj",
	"arr", "none",
};
static const char *sweep_ops[] = {
	"_eq", "_neq", "_lt", "_lte", "_gt", "_gte", "_in", "_nin", "_null",
	"_nnull", "_contains", "_ncontains", "_starts_with", "_ends_with",
	"_between", "_empty", "_nempty",
};
static const char *sweep_operands[] = {
	"\"hello\"", "\"Hello world\"", "\"\"", "\"5\"", "5", "2.5", "0",
	"-3", "1", "12", "true", "false", "null", "\"%\"", "\"_\"", "\"a\"",
	"\"u1\"", "\"$CURRENT_USER\"", "\"$CURRENT_ROLE\"", "\"$NOW\"",
	"9007199254740993", "9007199254740992", "1e300", "100.0", "\"2024\"",
	"\"{\\\"a\\\":1}\"", "\"[1,2]\"", "\"true\"", "\"false\"",
	"\"\\u2603\"",
	"[\"a\",\"b\"]", "\"a,b\"", "[5,\"5\"]", "[true]", "[1,10]", "[-5,5]",
	"[\"a\",\"z\"]", "[\"$CURRENT_USER\"]", "[\"$NOW\",\"2025\"]",
	"[0,\"\"]", "[2.5,5]", "[\"2023\",\"$NOW\"]", "[false,true]",
	"[9007199254740992,9007199254740993]", "[\"u2\",\"$CURRENT_USER\"]",
	"[1,\"z\"]",
};

/* One operator over every field and operand; 0 if all agree. */
static size_t
sweep_op(const char *op, const struct query_vars *v, size_t *parsed,
    char *first, size_t len)
{
	struct query_node	*n;
	char			 text[256];
	uint64_t		 sql;
	size_t			 f, o, bad = 0;

	for (f = 0; f < NELEM(sweep_fields); f++) {
		for (o = 0; o < NELEM(sweep_operands); o++) {
			(void)snprintf(text, sizeof(text), "{\"%s\":{\"%s\":"
			    "%s}}", sweep_fields[f], op, sweep_operands[o]);
			if ((n = filter(text)) == NULL)
				continue;
			(*parsed)++;
			if (rows_sql(n, v, &sql) == -1 ||
			    sql != rows_match(n, v)) {
				if (bad++ == 0)
					(void)snprintf(first, len, "%s", text);
			}
			query_node_free(n);
		}
	}
	return bad;
}

static void
test_sweep(void)
{
	static const struct query_vars	*vv[] = { &vars, &vars_public };
	char				 first[256];
	size_t				 i, j, bad, parsed;

	for (i = 0; i < NELEM(sweep_ops); i++) {
		for (j = 0; j < NELEM(vv); j++) {
			parsed = 0;
			first[0] = '\0';
			bad = sweep_op(sweep_ops[i], vv[j], &parsed, first,
			    sizeof(first));
			(void)snprintf(name, sizeof(name), "sql = match for "
			    "%s, %zu filters%s (%zu differ, first %s)",
			    sweep_ops[i], parsed, j ? ", public" : "", bad,
			    bad ? first : "none");
			CHECK(name, bad == 0 && parsed > NELEM(sweep_fields));
		}
	}
}

/* ------------------------------------------------------------------ */
/* Hostile values */

static int
table_intact(void)
{
	sqlite3_stmt	*st;
	int		 n = -1;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st,
	    NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n == (int)NDOCS;
}

/* Quotes, LIKE wildcards, SQL and unicode match literally. */
static const struct match_vars_case match_hostile[] = {
	{ "{\"title\":{\"_eq\":\"x'; DROP TABLE t; --\"}}", &vars, ROW(8) },
	{ "{\"title\":{\"_contains\":\"'; DROP TABLE t; --\"}}",
	    &vars, ROW(8) },
	{ "{\"title\":{\"_eq\":\"it's \\\"quoted\\\"\"}}", &vars, ROW(7) },
	{ "{\"title\":{\"_contains\":\"'\"}}", &vars, ROW(7) | ROW(8) },
	{ "{\"title\":{\"_contains\":\"\\\"\"}}", &vars, ROW(7) },
	{ "{\"title\":{\"_eq\":\"' OR '1'='1\"}}", &vars, 0 },
	{ "{\"title\":{\"_in\":[\"' OR 1=1 --\",\"hello\"]}}", &vars, ROW(2) },
	/* LIKE wildcards are literal characters. */
	{ "{\"title\":{\"_contains\":\"%\"}}", &vars, ROW(3) | ROW(10) },
	{ "{\"title\":{\"_contains\":\"_\"}}", &vars, ROW(3) | ROW(11) },
	{ "{\"title\":{\"_starts_with\":\"%\"}}", &vars, ROW(10) },
	{ "{\"title\":{\"_starts_with\":\"_\"}}", &vars, 0 },
	{ "{\"title\":{\"_ends_with\":\"%\"}}", &vars, ROW(10) },
	{ "{\"title\":{\"_ends_with\":\"_off\"}}", &vars, ROW(3) },
	{ "{\"tag\":{\"_eq\":\"_\"}}", &vars, ROW(10) },
	{ "{\"tag\":{\"_contains\":\"%\"}}", &vars, ROW(11) },
	{ "{\"title\":{\"_ncontains\":\"%\"}}",
	    &vars, ALL & ~(ROW(3) | ROW(5) | ROW(9) | ROW(10)) },
	{ "{\"title\":{\"_eq\":\"?\"}}", &vars, ROW(12) },
	{ "{\"tag\":{\"_eq\":\"$.\\\"title\\\"\"}}", &vars, ROW(12) },
	/* Unicode, compared by characters in SQL and bytes in memory. */
	{ "{\"title\":{\"_contains\":\"\\u2603\"}}", &vars, ROW(6) },
	{ "{\"title\":{\"_starts_with\":\"\\u00fc\"}}", &vars, ROW(6) },
	{ "{\"title\":{\"_ends_with\":\"\\u00e9 \\u2603\"}}", &vars, ROW(6) },
	{ "{\"title\":{\"_ends_with\":\"\\u2603\\u2603\"}}", &vars, 0 },
	{ "{\"title\":{\"_gt\":\"z\"}}", &vars, ROW(6) },
	{ "{\"title\":{\"_eq\":\"\\u00fcn\\u00efc\\u00f8d\\u00e9 \\u2603\"}}",
	    &vars, ROW(6) },
	/* Variables are bound too. */
	{ "{\"owner\":{\"_eq\":\"$CURRENT_USER\"}}", &vars_evil, 0 },
	{ "{\"owner\":{\"_neq\":\"$CURRENT_ROLE\"}}",
	    &vars_evil, ROW(1) | ROW(2) | ROW(4) | ROW(6) | ROW(7) },
	{ "{\"title\":{\"_contains\":\"$NOW\"}}",
	    &vars_evil, ROW(3) | ROW(10) },
};

static void
test_injection(void)
{
	size_t	 i;

	for (i = 0; i < NELEM(match_hostile); i++)
		expect_vars(match_hostile[i].filter, match_hostile[i].vars,
		    match_hostile[i].rows);
	CHECK("table intact after hostile values", table_intact());
	CHECK("field names cannot carry SQL",
	    filter_bad("{\"title\\\") OR 1=1 --\":{\"_eq\":1}}", "field") &&
	    filter_bad("{\"a;DROP TABLE t\":{\"_eq\":1}}", "field"));
}

/* ------------------------------------------------------------------ */
/* query_sql pieces */

static void
test_sql_text(void)
{
	struct query_node	*n;
	struct query_sql	 qs;
	struct query		 q;

	n = filter("{\"title\":{\"_eq\":\"zq'9\"},\"id\":{\"_in\":"
	    "[424242,2]}}");
	query_sql_init(&qs);
	CHECK("compiled SQL holds no value", n != NULL && query_node_sql(n,
	    &t_schema, &vars, &qs) == 0 && !qs.error &&
	    strstr(qs.text, "zq") == NULL && strstr(qs.text, "4242") == NULL &&
	    qs.nbinds == 7 && strcmp(json_string_value(qs.binds[4]),
	    "zq'9") == 0 && json_integer_value(qs.binds[5]) == 424242);
	query_sql_free(&qs);
	query_node_free(n);
	n = filter("{\"title\":{\"_eq\":1},\"nosuch\":{\"_null\":true}}");
	query_sql_init(&qs);
	CHECK("unknown field is -1", n != NULL && query_node_sql(n, &t_schema,
	    &vars, &qs) == -1);
	query_sql_free(&qs);
	query_node_free(n);
	n = filter("{\"nosuch\":{\"_nin\":[\"$CURRENT_USER\"]}}");
	query_sql_init(&qs);
	CHECK("unknown field is -1 where no column is needed", n != NULL &&
	    query_node_sql(n, &t_schema, &vars_public, &qs) == -1);
	query_sql_free(&qs);
	query_node_free(n);
	CHECK("sort parsed", parse1(&q, "sort", "-n,id") == 0);
	query_sql_init(&qs);
	CHECK("ORDER BY", query_sort_sql(&q, &t_schema, &qs) == 0 &&
	    strstr(qs.text, " ORDER BY ") == qs.text &&
	    strstr(qs.text, " DESC, id ASC") != NULL && qs.nbinds == 2);
	query_sql_free(&qs);
	query_free(&q);
	CHECK("sort parsed", parse1(&q, "sort", "nosuch") == 0);
	query_sql_init(&qs);
	CHECK("ORDER BY unknown field is -1", query_sort_sql(&q, &t_schema,
	    &qs) == -1);
	query_sql_free(&qs);
	query_free(&q);
	query_sql_init(&qs);
	CHECK("no sort, no ORDER BY", parse1(&q, "sort", NULL) == 0 &&
	    query_sort_sql(&q, &t_schema, &qs) == 0 && qs.len == 0);
	query_sql_free(&qs);
	query_free(&q);
}

/* A variable that cannot be a JSON string never reads as null. */
static void
test_sql_bad_var(void)
{
	static const struct query_vars	 latin1 = { "\xe9t\xe9", NULL, NULL };
	static const char		*ops[][2] = {
		{ "_eq", "\"$CURRENT_USER\"" },
		{ "_neq", "\"$CURRENT_USER\"" },
		{ "_lt", "\"$CURRENT_USER\"" },
		{ "_contains", "\"$CURRENT_USER\"" },
		{ "_in", "[\"$CURRENT_USER\"]" },
		{ "_nin", "[\"$CURRENT_USER\"]" },
		{ "_between", "[\"a\",\"$CURRENT_USER\"]" },
	};
	struct query_node		*n;
	struct query_sql		 qs;
	char				 text[128];
	size_t				 i;

	for (i = 0; i < NELEM(ops); i++) {
		(void)snprintf(text, sizeof(text), "{\"owner\":{\"%s\":%s}}",
		    ops[i][0], ops[i][1]);
		n = filter(text);
		query_sql_init(&qs);
		(void)snprintf(name, sizeof(name), "%s with a user that is not "
		    "UTF-8 is an error in SQL, no match in memory", text);
		CHECK(name, n != NULL && query_node_sql(n, &t_schema, &latin1,
		    &qs) == 0 && qs.error && rows_match(n, &latin1) == 0);
		query_sql_free(&qs);
		query_node_free(n);
	}
}

/* A schema whose columns are the fields' names (typed columns). */
static int
d_column(void *arg, const char *field, struct query_sql *qs)
{
	query_sql_add(qs, field);
	return 0;
}

static const struct query_schema d_schema = { .column = d_column };

/* The filter's SQL in a dialect; NULL if it cannot be built. */
static char *
dialect_sql(const char *text, enum query_dialect d, struct query_sql *qs)
{
	struct query_node	*n = filter(text);
	int			 rv;

	query_sql_init_dialect(qs, d);
	rv = n != NULL ? query_node_sql(n, &d_schema, &vars, qs) : -1;
	query_node_free(n);
	return rv == 0 && !qs->error ? qs->text : NULL;
}

/*
 * One dialect mechanism: the placeholders, booleans and text functions
 * of each dialect come from the same writers.
 */
static void
test_sql_dialects(void)
{
	static const char	*f = "{\"a\":{\"_eq\":\"x\"},"
	    "\"b\":{\"_gt\":3},\"c\":{\"_contains\":\"y\"}}";
	struct query_sql	 qs;
	const char		*t, *out;
	char			 buf[32];
	json_t			*v;

	t = dialect_sql(f, QUERY_SQLITE, &qs);
	CHECK("SQLite: ? placeholders, typeof, instr", t != NULL &&
	    strchr(t, '$') == NULL && strstr(t, "typeof(a) = 'text' AND a = ?")
	    != NULL && strstr(t, "instr(c, ?)") != NULL && qs.nbinds == 3);
	query_sql_free(&qs);
	t = dialect_sql(f, QUERY_PG, &qs);
	CHECK("PostgreSQL typed: $n cast by kind, pg_typeof, strpos",
	    t != NULL && strchr(t, '?') == NULL &&
	    strstr(t, "pg_typeof(a)") != NULL && strstr(t, "$1::text") !=
	    NULL && strstr(t, "$2::numeric") != NULL &&
	    strstr(t, "strpos((c)::text") != NULL &&
	    strstr(t, "ELSE false END") != NULL && qs.nbinds == 3);
	query_sql_free(&qs);
	t = dialect_sql(f, QUERY_PG_JSONB, &qs);
	CHECK("PostgreSQL jsonb: $n::jsonb compared, $n::text searched",
	    t != NULL && strchr(t, '?') == NULL &&
	    strstr(t, "jsonb_typeof(a) = 'string' AND a = $1::jsonb") !=
	    NULL && strstr(t, "$2::jsonb") != NULL &&
	    strstr(t, "strpos((c) #>> '{}', $3::text)") != NULL &&
	    strstr(t, "pg_typeof") == NULL && qs.nbinds == 3 &&
	    qs.kinds[0] == QUERY_BIND_JSON && qs.kinds[2] == QUERY_BIND_RAW);
	query_sql_free(&qs);

	query_sql_init_dialect(&qs, QUERY_SQLITE);
	query_sql_bool(&qs, 1);
	query_sql_bool(&qs, 0);
	CHECK("SQLite booleans", qs.text != NULL &&
	    strcmp(qs.text, "10") == 0);
	query_sql_free(&qs);
	query_sql_init_dialect(&qs, QUERY_PG);
	query_sql_bool(&qs, 1);
	query_sql_bool(&qs, 0);
	CHECK("PostgreSQL booleans", qs.text != NULL &&
	    strcmp(qs.text, "truefalse") == 0);
	query_sql_free(&qs);
	query_sql_init_dialect(&qs, QUERY_PG_JSONB);
	query_sql_bool(&qs, 0);
	v = json_integer(7);
	query_sql_bind_raw(&qs, v);
	json_decref(v);
	CHECK("jsonb dialect: same booleans, a raw value uncast",
	    qs.text != NULL && strcmp(qs.text, "false$1") == 0);
	query_sql_free(&qs);

	v = json_true();
	CHECK("value text: true is 1", query_sql_value_text(v, buf,
	    sizeof(buf), &out) == 0 && out != NULL && strcmp(out, "1") == 0);
	v = json_null();
	CHECK("value text: null is NULL", query_sql_value_text(v, buf,
	    sizeof(buf), &out) == 0 && out == NULL);
	v = json_stringn("a\0b", 3);
	CHECK("value text: a NUL refused", query_sql_value_text(v, buf,
	    sizeof(buf), &out) == -1);
	json_decref(v);
}

static void
test_sql_apply(void)
{
	struct query_sql	 qs;
	sqlite3_stmt		*st;
	json_t			*v[5];
	size_t			 i;
	int			 ok;

	v[0] = json_string("a'b");
	v[1] = json_integer(-9007199254740993LL);
	v[2] = json_real(2.5);
	v[3] = json_true();
	v[4] = json_null();
	query_sql_init(&qs);
	query_sql_add(&qs, "SELECT");
	for (i = 0; i < 5; i++)
		query_sql_bind(&qs, v[i]);
	ok = sqlite3_prepare_v2(db, "SELECT ?, ?, ?, ?, ?, ? IS NULL", -1,
	    &st, NULL) == SQLITE_OK && query_sql_apply(st, &qs, 2) == 0 &&
	    sqlite3_step(st) == SQLITE_ROW;
	CHECK("query_sql_apply binds every kind from first", ok &&
	    sqlite3_column_type(st, 0) == SQLITE_NULL &&
	    strcmp((const char *)sqlite3_column_text(st, 1), "a'b") == 0 &&
	    sqlite3_column_int64(st, 2) == -9007199254740993LL &&
	    sqlite3_column_double(st, 3) == 2.5 &&
	    sqlite3_column_int(st, 4) == 1 && sqlite3_column_int(st, 5) == 1);
	sqlite3_finalize(st);
	CHECK("query_sql_apply past the parameters fails",
	    sqlite3_prepare_v2(db, "SELECT ?", -1, &st, NULL) == SQLITE_OK &&
	    query_sql_apply(st, &qs, 1) == -1);
	sqlite3_finalize(st);
	query_sql_bind(&qs, NULL);
	CHECK("binding nothing is an error", qs.error);
	query_sql_add(&qs, "more");
	CHECK("nothing added after an error", strstr(qs.text, "more") ==
	    NULL);
	query_sql_free(&qs);
	for (i = 0; i < 5; i++)
		json_decref(v[i]);
}

static void
test_now(void)
{
	char	 now[64];

	query_now(now, sizeof(now));
	CHECK("$NOW is ISO 8601 with milliseconds", strlen(now) == 24 &&
	    now[4] == '-' && now[7] == '-' && now[10] == 'T' &&
	    now[13] == ':' && now[16] == ':' && now[19] == '.' &&
	    now[23] == 'Z' && strncmp(now, "20", 2) == 0);
}

/* How many rows of t a condition keeps; -1 if it cannot be run. */
static int
where_count(const struct query_where *w, enum query_where_fail *fail)
{
	struct query_sql	 qs;
	sqlite3_stmt		*st = NULL;
	int			 n = -1;

	query_sql_init(&qs);
	query_sql_add(&qs, "SELECT count(*) FROM t WHERE ");
	if ((*fail = query_where_sql(w, &qs)) == QUERY_WHERE_OK &&
	    !qs.error && sqlite3_prepare_v2(db, qs.text, -1, &st, NULL) ==
	    SQLITE_OK && query_sql_apply(st, &qs, 1) == 0 &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	query_sql_free(&qs);
	return n;
}

static void
test_where(void)
{
	char			 lt4[] = "{\"id\":{\"_lt\":4}}";
	char			 nosuch[] = "{\"nosuch\":{\"_eq\":1}}";
	char			 broken[] = "{\"id\":";
	const char		*gt1 = "{\"id\":{\"_gt\":1}}";
	struct conf_permission	 perm;
	struct query_where	 w = { &t_schema, &vars, &perm, NULL, NULL,
				    NULL };
	struct query_node	*f;
	struct query_sql	 qs;
	enum query_where_fail	 fail;
	json_t			*keys = json_pack("[i,i,i]", 2, 3, 5);

	memset(&perm, 0, sizeof(perm));
	query_sql_init(&qs);
	CHECK("where: nothing is \"1\"", query_where_sql(&w, &qs) ==
	    QUERY_WHERE_OK && strcmp(qs.text, "1") == 0);
	query_sql_free(&qs);
	w.keys = json_array();
	query_sql_init(&qs);
	CHECK("where: no keys match nothing", query_where_sql(&w, &qs) ==
	    QUERY_WHERE_OK && strcmp(qs.text, "1 AND id IN (NULL)") == 0);
	query_sql_free(&qs);
	json_decref(w.keys);
	w.keys = keys;
	query_sql_init(&qs);
	CHECK("where: keys are bound", query_where_sql(&w, &qs) ==
	    QUERY_WHERE_OK && strcmp(qs.text, "1 AND id IN (?, ?, ?)") == 0 &&
	    qs.nbinds == 3);
	query_sql_free(&qs);
	CHECK("where: keys select their rows", where_count(&w, &fail) == 3);
	perm.filter = lt4;
	CHECK("where: the permission's filter ANDs with the keys",
	    where_count(&w, &fail) == 2);
	w.keys = NULL;
	f = query_filter_parse_text(gt1, strlen(gt1), reason,
	    sizeof(reason));
	w.filter = f;
	CHECK("where: the request's filter ANDs with the permission's",
	    f != NULL && where_count(&w, &fail) == 2);
	perm.filter = nosuch;
	CHECK("where: a permission filter on a missing field",
	    where_count(&w, &fail) == -1 && fail == QUERY_WHERE_PERM_FIELD);
	perm.filter = broken;
	CHECK("where: a permission filter that does not parse",
	    where_count(&w, &fail) == -1 && fail == QUERY_WHERE_PERM_PARSE);
	query_node_free(f);
	perm.filter = NULL;
	w.filter = f = query_filter_parse_text(nosuch, strlen(nosuch),
	    reason, sizeof(reason));
	CHECK("where: a request filter on a missing field", f != NULL &&
	    where_count(&w, &fail) == -1 && fail == QUERY_WHERE_FILTER);
	query_node_free(f);
	json_decref(keys);
}

/* A count for query_meta(): 10 rows, 4 of them filtered; -1 fails. */
static int
meta_count(void *arg, int with_filter, int64_t *n)
{
	int	*calls = arg;

	if (*calls < 0)
		return -1;
	(*calls)++;
	*n = with_filter ? 4 : 10;
	return 0;
}

static void
test_meta_counts(void)
{
	json_t	*meta;
	char	*text = NULL;
	int	 calls = 0;

	meta = query_meta(QUERY_META_TOTAL | QUERY_META_FILTER, meta_count,
	    &calls);
	if (meta != NULL)
		text = json_dumps(meta, JSON_COMPACT);
	CHECK("meta: total_count, then filter_count", text != NULL &&
	    strcmp(text, "{\"total_count\":10,\"filter_count\":4}") == 0 &&
	    calls == 2);
	free(text);
	json_decref(meta);
	meta = query_meta(QUERY_META_FILTER, meta_count, &calls);
	CHECK("meta: only what is asked for", meta != NULL &&
	    json_object_size(meta) == 1 &&
	    json_integer_value(json_object_get(meta, "filter_count")) == 4);
	json_decref(meta);
	calls = -1;
	CHECK("meta: a failed count is NULL", query_meta(QUERY_META_TOTAL,
	    meta_count, &calls) == NULL);
}

int
main(void)
{
	test_defaults();
	test_fields();
	test_sort();
	test_limit();
	test_offset_page();
	test_meta();
	test_text_max();
	test_operands();
	test_lists();
	test_shape();
	test_names();
	test_json();
	test_bounds();
	test_node_fields();
	test_query_filter();
	db_open();
	test_match_ops();
	test_match_groups();
	test_match_vars();
	test_sweep();
	test_injection();
	test_sql_text();
	test_sql_bad_var();
	test_sql_apply();
	test_sql_dialects();
	test_now();
	test_where();
	test_meta_counts();
	sqlite3_close(db);
	return regress_exit();
}
