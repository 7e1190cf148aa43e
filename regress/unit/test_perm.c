/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/perm.c: the merge of the policies that apply to a request.
 * Several policies grant different fields and filters on one
 * collection; a user holding each combination reads, creates, updates
 * and deletes.  The expected rows and fields are the answers the real
 * Directus 11.3.5 gave for the same policies, items and users (asked
 * over its REST API, sort=id): the rows any policy's filter matches;
 * in each row, a field only where a policy covering it matches the row
 * (null elsewhere, "id" too); filters and sorts on the stored values;
 * every validation of the create policies, the later policy's presets
 * winning; an update field by field, each covered by a policy whose
 * filter matches the row.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "config.h"
#include "log.h"
#include "perm.h"
#include "query.h"
#include "regress.h"

#define NOW	"2026-01-01T00:00:00.000Z"
#define P1	"aaaaaaaa-0000-4000-8000-000000000001"
#define P2	"aaaaaaaa-0000-4000-8000-000000000002"
#define P3	"aaaaaaaa-0000-4000-8000-000000000003"

static const char conf_text[] =
    "chroot \"/srv/tokend\"\n"
    "items \"/srv/tokend/data/items.db\"\n"
    "collection articles { fields title body status author }\n"
    "policy p1 {\n"
    "\tid " P1 "\n"
    "\tpermission articles read {\n"
    "\t\tfields id title status\n"
    "\t\tfilter '{\"status\":{\"_eq\":\"published\"}}'\n\t}\n"
    "\tpermission articles create {\n"
    "\t\tfields title status\n"
    "\t\tvalidation '{\"title\":{\"_starts_with\":\"T\"}}'\n"
    "\t\tpresets '{\"status\":\"draft\"}'\n\t}\n"
    "\tpermission articles update {\n"
    "\t\tfields title\n"
    "\t\tfilter '{\"status\":{\"_eq\":\"published\"}}'\n\t}\n"
    "\tpermission articles delete {\n"
    "\t\tfilter '{\"status\":{\"_eq\":\"published\"}}'\n\t}\n"
    "}\n"
    "policy p2 {\n"
    "\tid " P2 "\n"
    "\tpermission articles read {\n"
    "\t\tfields id body author\n"
    "\t\tfilter '{\"author\":{\"_eq\":\"bob\"}}'\n\t}\n"
    "\tpermission articles create {\n"
    "\t\tfields body author title\n"
    "\t\tvalidation '{\"body\":{\"_starts_with\":\"B\"}}'\n"
    "\t\tpresets '{\"author\":\"bob\",\"status\":\"p2\"}'\n\t}\n"
    "\tpermission articles update {\n"
    "\t\tfields body\n"
    "\t\tfilter '{\"author\":{\"_eq\":\"bob\"}}'\n\t}\n"
    "\tpermission articles delete {\n"
    "\t\tfilter '{\"author\":{\"_eq\":\"bob\"}}'\n\t}\n"
    "}\n"
    "policy p3 {\n"
    "\tid " P3 "\n"
    "\tpermission articles read { fields title }\n"
    "}\n"
    "policy office {\n"
    "\tid aaaaaaaa-0000-4000-8000-000000000004\n"
    "\tip-allow 10.0.0.0/8\n"
    "\tpermission articles read\n"
    "}\n"
    "policy boss { id aaaaaaaa-0000-4000-8000-000000000005; "
    "admin-access yes }\n"
    "role r1 { id bbbbbbbb-0000-4000-8000-000000000001; policy p1 }\n"
    "role r2 { id bbbbbbbb-0000-4000-8000-000000000002; policy p2 }\n"
    "role r3 { id bbbbbbbb-0000-4000-8000-000000000003; policy p3 }\n"
    "role r12 { id bbbbbbbb-0000-4000-8000-000000000012; policy p1; "
    "policy p2 }\n"
    "role r123 { id bbbbbbbb-0000-4000-8000-000000000123; policy p1; "
    "policy p2; policy p3 }\n"
    "role ro { id bbbbbbbb-0000-4000-8000-000000000004; policy office }\n"
    "public {\n"
    "\tpermission articles read {\n"
    "\t\tfields id status\n"
    "\t\tfilter '{\"status\":{\"_eq\":\"archived\"}}'\n\t}\n"
    "}\n";

/* The stored items, as Directus held them. */
static const char *items[] = {
	"{\"id\":1,\"title\":\"a\",\"body\":\"b1\",\"status\":\"published\","
	    "\"author\":\"alice\"}",
	"{\"id\":2,\"title\":\"b\",\"body\":\"b2\",\"status\":\"draft\","
	    "\"author\":\"bob\"}",
	"{\"id\":3,\"title\":\"c\",\"body\":\"b3\",\"status\":\"published\","
	    "\"author\":\"bob\"}",
	"{\"id\":4,\"title\":\"d\",\"body\":\"b4\",\"status\":\"archived\","
	    "\"author\":\"carol\"}",
	"{\"id\":5,\"title\":\"e\",\"body\":\"b5\",\"status\":\"draft\","
	    "\"author\":\"carol\"}",
};
#define NITEMS	(sizeof(items) / sizeof(items[0]))

/*
 * Who reads: policies of the user's own, or none (the public), as
 * Directus's users held them: users of no role, so the public policy
 * applies to them too.  The last one has a role as well, and so not
 * the public policy (Directus 11.3.5 gives the public's to a caller of
 * no role only); its answers follow from the others'.
 */
struct who_case {
	const char	*name;
	const char	*role;
	const char	*policies;
};

static const struct who_case whos[] = {
	{ "public", NULL, NULL },
	{ "p1", NULL, P1 },
	{ "p2", NULL, P2 },
	{ "p3", NULL, P3 },
	{ "p1+p2", NULL, P1 " " P2 },
	{ "p1+p2+p3", NULL, P1 "," P2 "," P3 },
	{ "role p1+p2", "bbbbbbbb-0000-4000-8000-000000000012", NULL },
	{ "role p1, user p2+p3", "bbbbbbbb-0000-4000-8000-000000000001",
	    P2 "," P3 },
};

/* A read: the query, and for each who the answer (NULL: 403). */
struct read_case {
	const char	*fields;
	const char	*filter;
	const char	*expect[sizeof(whos) / sizeof(whos[0])];
};

#define U12_ALL								\
	"[{\"id\":1,\"status\":\"published\",\"title\":\"a\",\"body\":null," \
	"\"author\":null},{\"id\":2,\"status\":null,\"title\":null," \
	"\"body\":\"b2\",\"author\":\"bob\"},{\"id\":3,\"status\":" \
	"\"published\",\"title\":\"c\",\"body\":\"b3\",\"author\":\"bob\"}," \
	"{\"id\":4,\"status\":\"archived\",\"title\":null,\"body\":null," \
	"\"author\":null}]"
#define U123_ALL							\
	"[{\"id\":1,\"status\":\"published\",\"title\":\"a\",\"body\":null," \
	"\"author\":null},{\"id\":2,\"status\":null,\"title\":\"b\"," \
	"\"body\":\"b2\",\"author\":\"bob\"},{\"id\":3,\"status\":" \
	"\"published\",\"title\":\"c\",\"body\":\"b3\",\"author\":\"bob\"}," \
	"{\"id\":4,\"status\":\"archived\",\"title\":\"d\",\"body\":null," \
	"\"author\":null},{\"id\":null,\"status\":null,\"title\":\"e\"," \
	"\"body\":null,\"author\":null}]"

/* p1+p2+p3 without the public policy: row 4 shows only p3's title. */
#define U123_ROLE							\
	"[{\"id\":1,\"status\":\"published\",\"title\":\"a\",\"body\":null," \
	"\"author\":null},{\"id\":2,\"status\":null,\"title\":\"b\"," \
	"\"body\":\"b2\",\"author\":\"bob\"},{\"id\":3,\"status\":" \
	"\"published\",\"title\":\"c\",\"body\":\"b3\",\"author\":\"bob\"}," \
	"{\"id\":null,\"status\":null,\"title\":\"d\",\"body\":null," \
	"\"author\":null},{\"id\":null,\"status\":null,\"title\":\"e\"," \
	"\"body\":null,\"author\":null}]"
/* p1+p2 without the public policy: rows 1 to 3. */
#define U12_ROLE							\
	"[{\"id\":1,\"status\":\"published\",\"title\":\"a\",\"body\":null," \
	"\"author\":null},{\"id\":2,\"status\":null,\"title\":null," \
	"\"body\":\"b2\",\"author\":\"bob\"},{\"id\":3,\"status\":" \
	"\"published\",\"title\":\"c\",\"body\":\"b3\",\"author\":\"bob\"}]"

static const struct read_case reads[] = {
	/* GET /items/articles?sort=id */
	{ NULL, NULL, {
	    "[{\"id\":4,\"status\":\"archived\"}]",
	    "[{\"id\":1,\"status\":\"published\",\"title\":\"a\"},{\"id\":3,"
	    "\"status\":\"published\",\"title\":\"c\"},{\"id\":4,\"status\":"
	    "\"archived\",\"title\":null}]",
	    "[{\"id\":2,\"body\":\"b2\",\"author\":\"bob\",\"status\":null},"
	    "{\"id\":3,\"body\":\"b3\",\"author\":\"bob\",\"status\":null},"
	    "{\"id\":4,\"body\":null,\"author\":null,\"status\":"
	    "\"archived\"}]",
	    "[{\"id\":null,\"status\":null,\"title\":\"a\"},{\"id\":null,"
	    "\"status\":null,\"title\":\"b\"},{\"id\":null,\"status\":null,"
	    "\"title\":\"c\"},{\"id\":4,\"status\":\"archived\",\"title\":"
	    "\"d\"},{\"id\":null,\"status\":null,\"title\":\"e\"}]",
	    U12_ALL, U123_ALL, U12_ROLE, U123_ROLE } },
	/* fields=id,title,body,status,author */
	{ "id,title,body,status,author", NULL, {
	    NULL, NULL, NULL, NULL, U12_ALL, U123_ALL, U12_ROLE, U123_ROLE } },
	/* A filter on a field one policy covers: the stored values. */
	{ "id,title", "{\"body\":{\"_eq\":\"b1\"}}", {
	    NULL, NULL, NULL, NULL, "[{\"id\":1,\"title\":\"a\"}]",
	    "[{\"id\":1,\"title\":\"a\"}]", "[{\"id\":1,\"title\":\"a\"}]",
	    "[{\"id\":1,\"title\":\"a\"}]" } },
	{ "id,title", "{\"body\":{\"_null\":true}}", {
	    NULL, NULL, NULL, NULL, "[]", "[]", "[]", "[]" } },
	{ "id", "{\"title\":{\"_eq\":\"d\"}}", {
	    NULL, "[{\"id\":4}]", NULL, "[{\"id\":4}]", "[{\"id\":4}]",
	    "[{\"id\":4}]", "[]", "[{\"id\":null}]" } },
};

static struct tokend_config *conf;
static const struct query_vars vars = { "cccccccc-0000-4000-8000-000000000001",
    NULL, NOW };

static struct tokend_config *
parse_text(const char *text)
{
	struct tokend_config	*c;
	char			 path[] = "/tmp/test_perm.XXXXXX";
	int			 fd;

	if ((fd = mkstemp(path)) == -1)
		fatal("mkstemp");
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fatal("write");
	(void)close(fd);
	c = parse_config(path);
	(void)unlink(path);
	return c;
}

static void
who_init(struct perm_who *who, const struct who_case *wc,
    struct perm_hold *hold)
{
	memset(who, 0, sizeof(*who));
	who->user = vars.user;
	who->role = wc->role;
	who->policies = wc->policies;
	who->hold = hold;
	if (wc->role == NULL && wc->policies == NULL)
		who->user = NULL;
}

/*
 * A read as the item store does it: the rows the permission's filter
 * and the request's match, in key order, the fields asked for (or
 * those the permission covers), masked.  NULL when refused.
 */
static json_t *
perm_read(const struct perm_who *who, const char *fields,
    const char *filter)
{
	const struct conf_permission	*perm;
	struct query_params		 qp;
	struct query			 q;
	struct query_node		*pf = NULL;
	const struct conf_fields	*want;
	json_t				*rows, *row, *out;
	char				 why[QUERY_REASON_MAX];
	size_t				 i, j;

	if ((perm = perm_lookup(conf, who, "articles", PERM_READ)) == NULL)
		return NULL;
	memset(&qp, 0, sizeof(qp));
	qp.fields = fields;
	qp.filter = filter;
	if (query_parse(&q, &qp, 1000, why, sizeof(why)) == -1)
		fatalx("query_parse: %s", why);
	if (perm_query_check(perm, &q, why, sizeof(why)) == -1 ||
	    perm_filter(perm, &pf) == -1) {
		query_free(&q);
		return NULL;
	}
	want = q.fields.all ? &perm->fields : &q.fields;
	rows = json_array();
	for (i = 0; i < NITEMS; i++) {
		row = json_loads(items[i], 0, NULL);
		if ((pf != NULL && !query_node_match(pf, row, &vars)) ||
		    (q.filter != NULL && !query_node_match(q.filter, row,
		    &vars))) {
			json_decref(row);
			continue;
		}
		out = json_object();
		for (j = 0; j < want->n; j++)
			(void)json_object_set(out, want->names[j],
			    json_object_get(row, want->names[j]));
		if (perm_row_mask(perm, row, out, &vars) == -1)
			fatalx("perm_row_mask");
		json_array_append_new(rows, out);
		json_decref(row);
	}
	query_node_free(pf);
	query_free(&q);
	return rows;
}

static void
test_reads(void)
{
	struct perm_who		 who;
	struct perm_hold	 hold = { NULL };
	json_t			*got, *want;
	char			 name[256];
	size_t			 i, j;

	for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		for (j = 0; j < sizeof(whos) / sizeof(whos[0]); j++) {
			who_init(&who, &whos[j], &hold);
			got = perm_read(&who, reads[i].fields,
			    reads[i].filter);
			want = reads[i].expect[j] == NULL ? NULL :
			    json_loads(reads[i].expect[j], 0, NULL);
			(void)snprintf(name, sizeof(name), "read as %s, "
			    "fields %s, filter %s: as Directus", whos[j].name,
			    reads[i].fields != NULL ? reads[i].fields : "*",
			    reads[i].filter != NULL ? reads[i].filter :
			    "none");
			CHECK(name, (got == NULL && want == NULL) ||
			    (got != NULL && want != NULL &&
			    json_equal(got, want)));
			if (got != NULL && want != NULL &&
			    !json_equal(got, want)) {
				char	*t = json_dumps(got, JSON_COMPACT);

				printf("# got %s\n", t);
				free(t);
			}
			json_decref(got);
			json_decref(want);
			perm_hold_free(&hold);
		}
}

/* A create by p1+p2: its answer and the item stored (NULL: refused). */
struct create_case {
	const char	*payload;
	const char	*stored;
};

static const struct create_case creates[] = {
	{ "{\"title\":\"Tx\",\"body\":\"Bx\"}",
	    "{\"title\":\"Tx\",\"body\":\"Bx\",\"status\":\"p2\","
	    "\"author\":\"bob\"}" },
	{ "{\"title\":\"Tx\"}",
	    "{\"title\":\"Tx\",\"status\":\"p2\",\"author\":\"bob\"}" },
	{ "{\"body\":\"Bx\"}",
	    "{\"body\":\"Bx\",\"status\":\"p2\",\"author\":\"bob\"}" },
	{ "{\"title\":\"x\",\"body\":\"Bx\"}", NULL },
	{ "{\"title\":\"Tx\",\"body\":\"x\"}", NULL },
	{ "{\"title\":\"x\",\"body\":\"x\"}", NULL },
	{ "{\"status\":\"x\",\"body\":\"x\"}", NULL },
	{ "{\"title\":\"Ty\",\"status\":\"mine\"}",
	    "{\"title\":\"Ty\",\"status\":\"mine\",\"author\":\"bob\"}" },
};

static void
test_creates(void)
{
	const struct conf_permission	*perm;
	struct perm_who			 who;
	struct perm_hold		 hold = { NULL };
	json_t				*item, *want;
	const char			*k;
	json_t				*v;
	char				 name[256];
	size_t				 i;
	int				 ok;

	who_init(&who, &whos[4], &hold);
	perm = perm_lookup(conf, &who, "articles", PERM_CREATE);
	CHECK("create as p1+p2: a merged permission", perm != NULL &&
	    perm->merged);
	if (perm == NULL)
		return;
	for (i = 0; i < sizeof(creates) / sizeof(creates[0]); i++) {
		item = json_loads(creates[i].payload, 0, NULL);
		ok = 1;
		json_object_foreach(item, k, v)
			ok &= perm_field_allowed(perm, k);
		ok = ok && perm_presets(perm, item, &vars) == 0 &&
		    perm_validate(perm, item, &vars);
		want = creates[i].stored != NULL ?
		    json_loads(creates[i].stored, 0, NULL) : NULL;
		(void)snprintf(name, sizeof(name), "create as p1+p2 %s: as "
		    "Directus", creates[i].payload);
		CHECK(name, want == NULL ? !ok : ok && json_equal(item, want));
		json_decref(item);
		json_decref(want);
	}
	perm_hold_free(&hold);
	who_init(&who, &whos[1], &hold);
	perm = perm_lookup(conf, &who, "articles", PERM_CREATE);
	item = json_pack("{s:s}", "title", "x");
	CHECK("create as p1 {\"title\":\"x\"}: refused, as Directus",
	    perm != NULL && !perm->merged && !perm_validate(perm, item, &vars));
	json_decref(item);
	perm_hold_free(&hold);
}

/* An update by p1+p2: item, change, allowed (as Directus answered). */
struct update_case {
	int		 item;
	const char	*change;
	int		 allowed;
};

static const struct update_case updates[] = {
	{ 1, "{\"title\":\"a2\"}", 1 },
	{ 1, "{\"body\":\"z\"}", 0 },
	{ 2, "{\"title\":\"z\"}", 0 },
	{ 3, "{\"title\":\"c2\",\"body\":\"b32\"}", 1 },
	{ 5, "{\"title\":\"z\"}", 0 },
};

/* A delete by p1+p2 (as Directus answered). */
static const struct update_case deletes[] = {
	{ 5, NULL, 0 },
	{ 2, NULL, 1 },
	{ 1, NULL, 1 },
};

static int
row_matches(const struct conf_permission *perm, json_t *row)
{
	struct query_node	*pf;
	int			 hit;

	if (perm_filter(perm, &pf) == -1)
		return 0;
	hit = pf == NULL || query_node_match(pf, row, &vars);
	query_node_free(pf);
	return hit;
}

static void
test_writes(void)
{
	const struct conf_permission	*perm;
	struct perm_who			 who;
	struct perm_hold		 hold = { NULL };
	json_t				*row, *change, *v;
	const char			*k;
	char				 name[256];
	size_t				 i;
	int				 ok;

	who_init(&who, &whos[4], &hold);
	perm = perm_lookup(conf, &who, "articles", PERM_UPDATE);
	for (i = 0; perm != NULL && i < sizeof(updates) / sizeof(updates[0]);
	    i++) {
		row = json_loads(items[updates[i].item - 1], 0, NULL);
		change = json_loads(updates[i].change, 0, NULL);
		ok = row_matches(perm, row);
		json_object_foreach(change, k, v)
			ok = ok && perm_field_allowed(perm, k) &&
			    perm_field_visible(perm, k, row, &vars);
		(void)snprintf(name, sizeof(name), "update as p1+p2 of item "
		    "%d with %s: %s, as Directus", updates[i].item,
		    updates[i].change, updates[i].allowed ? "done" :
		    "refused");
		CHECK(name, ok == updates[i].allowed);
		json_decref(row);
		json_decref(change);
	}
	perm = perm_lookup(conf, &who, "articles", PERM_DELETE);
	for (i = 0; perm != NULL && i < sizeof(deletes) / sizeof(deletes[0]);
	    i++) {
		row = json_loads(items[deletes[i].item - 1], 0, NULL);
		(void)snprintf(name, sizeof(name), "delete as p1+p2 of item "
		    "%d: %s, as Directus", deletes[i].item,
		    deletes[i].allowed ? "done" : "refused");
		CHECK(name, row_matches(perm, row) == deletes[i].allowed);
		json_decref(row);
	}
	perm_hold_free(&hold);
}

static void
test_flags(void)
{
	struct perm_who		 who;
	struct perm_hold	 hold = { NULL };
	const struct conf_permission *perm;
	struct cidr		 inside, outside;
	int			 admin, app, tfa;

	if (cidr_addr_parse("10.1.2.3", 8, &inside) == -1 ||
	    cidr_addr_parse("192.0.2.1", 9, &outside) == -1)
		fatalx("cidr_addr_parse");
	memset(&who, 0, sizeof(who));
	who.hold = &hold;
	who.role = "bbbbbbbb-0000-4000-8000-000000000004";
	perm = perm_lookup(conf, &who, "articles", PERM_READ);
	/* A user of a role does not get the public policy. */
	CHECK("ip-allow: unknown address, no policy", perm == NULL);
	who.addr = &outside;
	perm = perm_lookup(conf, &who, "articles", PERM_READ);
	CHECK("ip-allow: an address outside, no policy", perm == NULL);
	who.addr = &inside;
	perm = perm_lookup(conf, &who, "articles", PERM_READ);
	CHECK("ip-allow: an address inside, every row", perm != NULL &&
	    perm->fields.all && perm->filter == NULL);
	perm_hold_free(&hold);

	memset(&who, 0, sizeof(who));
	who.policies = "aaaaaaaa-0000-4000-8000-000000000005";
	perm_flags(conf, &who, &admin, &app, &tfa);
	CHECK("a user's own policy with admin-access gives admin",
	    admin == 1 && app == 0 && tfa == 0 &&
	    perm_lookup(conf, &who, "articles", PERM_DELETE) != NULL &&
	    perm_lookup(conf, &who, "articles", PERM_DELETE)->fields.all);
	who.policies = "nope " P1 " aaaaaaaa-0000-4000-8000-00000000000";
	perm_flags(conf, &who, &admin, &app, &tfa);
	CHECK("unknown policy ids are skipped", admin == 0 && app == 0 &&
	    perm_lookup(conf, &who, "articles", PERM_UPDATE) != NULL);
	who.policies = NULL;
	CHECK("the public alone may not update",
	    perm_lookup(conf, &who, "articles", PERM_UPDATE) == NULL);
	who.role = CONF_ADMIN_ROLE_ID;
	perm_flags(conf, &who, &admin, &app, &tfa);
	CHECK("the administrator role", admin == 1 && app == 1);
}

int
main(void)
{
	log_init(1, 0);
	if ((conf = parse_text(conf_text)) == NULL)
		fatalx("the test configuration does not parse");
	test_reads();
	test_creates();
	test_writes();
	test_flags();
	config_free(conf);
	return regress_exit();
}
