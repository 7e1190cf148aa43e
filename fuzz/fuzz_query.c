/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/query.c: query_parse() on the seven query parameters of
 * /items and /users (fields, filter, sort, limit, offset, page, meta).
 *
 * Input: one byte of flags, then the values of the parameters in that
 * order, separated by NUL bytes.  Flag bit i (0 to 6) makes parameter i
 * present, with the i-th value (empty if the input has fewer); bit 7
 * asks for a cap of LLONG_MAX rows instead of CONF_QUERY_LIMIT.
 *
 * Properties: a refused query has a reason and holds nothing; a
 * parameter over QUERY_TEXT_MAX bytes is always refused.  An accepted
 * one has valid, distinct field names (or all of them), at most
 * QUERY_SORT_MAX valid sort fields, only the meta bits asked for, a
 * filter exactly when one was given, a limit within the cap (the
 * default, or the cap for -1) and an offset within bounds that is
 * (page - 1) * limit when a page was given.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "query.h"

#define FUZZ_QUERY_NPARAMS	7
#define FUZZ_QUERY_OFFSET_MAX	(1LL << 40)	/* as in shared/query.c */

/* The parameters, in the order of the input, as query_parse takes them. */
static void
fuzz_query_params(struct query_params *p, char **v)
{
	memset(p, 0, sizeof(*p));
	p->fields = v[0];
	p->filter = v[1];
	p->sort = v[2];
	p->limit = v[3];
	p->offset = v[4];
	p->page = v[5];
	p->meta = v[6];
}

static int
fuzz_query_zeroed(const struct query *q)
{
	struct query	 zero;

	memset(&zero, 0, sizeof(zero));
	return memcmp(q, &zero, sizeof(zero)) == 0;
}

static void
fuzz_query_fields(const struct query *q, const char *given)
{
	const struct conf_fields	*f = &q->fields;
	size_t				 i, j;

	if (given == NULL || *given == '\0')
		FUZZ_ASSERT(f->all && f->n == 0 && q->nrels == 0);
	/* A relation's fields ("author.email") may be all there is. */
	FUZZ_ASSERT(f->all || f->n > 0 || q->nrels > 0);
	FUZZ_ASSERT(q->nrels <= QUERY_REL_MAX);
	for (i = 0; i < q->nrels; i++) {
		FUZZ_ASSERT(query_ident_valid(q->rels[i].field));
		FUZZ_ASSERT(q->rels[i].sub.all || q->rels[i].sub.n > 0);
		for (j = 0; j < q->rels[i].sub.n; j++)
			FUZZ_ASSERT(query_ident_valid(
			    q->rels[i].sub.names[j]));
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(q->rels[i].field,
			    q->rels[j].field) != 0);
	}
	FUZZ_ASSERT(f->n <= CONF_FIELDS_MAX);
	FUZZ_ASSERT(f->n == 0 || f->names != NULL);
	for (i = 0; i < f->n; i++) {
		FUZZ_ASSERT(query_ident_valid(f->names[i]));
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(f->names[i], f->names[j]) != 0);
	}
}

static void
fuzz_query_paging(const struct query *q, char **v, long long limit_max)
{
	long long	 page;

	FUZZ_ASSERT(q->limit >= 0 && q->limit <= limit_max);
	if (v[3] == NULL)
		FUZZ_ASSERT(q->limit == (limit_max < QUERY_LIMIT_DEFAULT ?
		    limit_max : QUERY_LIMIT_DEFAULT));
	else if (strcmp(v[3], "-1") == 0)
		FUZZ_ASSERT(q->limit == limit_max);
	FUZZ_ASSERT(q->offset >= 0 && q->offset <= FUZZ_QUERY_OFFSET_MAX);
	if (v[5] != NULL) {
		page = strtoll(v[5], NULL, 10);
		FUZZ_ASSERT(page >= 1);
		FUZZ_ASSERT(q->offset == (page - 1) * q->limit);
	} else if (v[4] != NULL)
		FUZZ_ASSERT(q->offset == strtoll(v[4], NULL, 10));
	else
		FUZZ_ASSERT(q->offset == 0);
}

static void
fuzz_query_accepted(const struct query *q, char **v, long long limit_max)
{
	size_t	 i;

	fuzz_query_fields(q, v[0]);
	FUZZ_ASSERT((q->filter != NULL) == (v[1] != NULL));
	FUZZ_ASSERT(q->nsort <= QUERY_SORT_MAX);
	for (i = 0; i < q->nsort; i++) {
		FUZZ_ASSERT(query_ident_valid(q->sort[i].field));
		FUZZ_ASSERT(q->sort[i].desc == 0 || q->sort[i].desc == 1);
	}
	if (v[2] == NULL || *v[2] == '\0')
		FUZZ_ASSERT(q->nsort == 0);
	FUZZ_ASSERT((q->meta & ~(QUERY_META_TOTAL | QUERY_META_FILTER)) == 0);
	FUZZ_ASSERT((q->meta != 0) == (v[6] != NULL));
	fuzz_query_paging(q, v, limit_max);
}

void
fuzz_query(const uint8_t *data, size_t size)
{
	struct query_params	 p;
	struct query		 q;
	char			*text, *part, *v[FUZZ_QUERY_NPARAMS];
	char			 reason[QUERY_REASON_MAX] = "";
	long long		 limit_max;
	size_t			 i, at = 1;
	int			 rv, toolong = 0;

	if (size == 0)
		return;
	limit_max = data[0] & 0x80 ? LLONG_MAX : CONF_QUERY_LIMIT;
	text = fuzz_cstring(data, size);
	for (i = 0; i < FUZZ_QUERY_NPARAMS; i++) {
		part = at < size ? text + at : text + size;
		at += strlen(part) + 1;
		v[i] = data[0] & (1 << i) ? part : NULL;
		if (v[i] != NULL && strlen(v[i]) > QUERY_TEXT_MAX)
			toolong = 1;
	}
	fuzz_query_params(&p, v);
	rv = query_parse(&q, &p, limit_max, reason, sizeof(reason));
	FUZZ_ASSERT(rv == 0 || rv == -1);
	if (rv == -1) {
		FUZZ_ASSERT(reason[0] != '\0');
		FUZZ_ASSERT(fuzz_query_zeroed(&q));
	} else {
		FUZZ_ASSERT(!toolong);
		fuzz_query_accepted(&q, v, limit_max);
	}
	query_free(&q);
	FUZZ_ASSERT(fuzz_query_zeroed(&q));
	free(text);
}

FUZZ_TARGET(fuzz_query)
