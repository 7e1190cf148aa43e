/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Collections, policies, roles and permissions.  parse.y and config_from_json
 * build them with the same functions, so that both check the same
 * things; each check returns NULL or why the thing is refused.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "jwt.h"
#include "query.h"


/* A collection, field or role name: [a-z_][a-z0-9_]*, at most 63. */
int
config_ident_valid(const char *name)
{
	return query_ident_valid(name);
}

static const struct {
	const char	*name;
	int		 bit;
} config_actions[] = {
	{ "create",	PERM_CREATE },
	{ "read",	PERM_READ },
	{ "update",	PERM_UPDATE },
	{ "delete",	PERM_DELETE },
};
#define CONFIG_NACTIONS	(sizeof(config_actions) / sizeof(config_actions[0]))

/* The PERM_* bit of an action name, or 0. */
int
config_action(const char *name)
{
	size_t	 i;

	for (i = 0; i < CONFIG_NACTIONS; i++)
		if (strcmp(config_actions[i].name, name) == 0)
			return config_actions[i].bit;
	return 0;
}

/* The name of one PERM_* bit, or NULL. */
const char *
config_action_name(int bit)
{
	size_t	 i;

	for (i = 0; i < CONFIG_NACTIONS; i++)
		if (config_actions[i].bit == bit)
			return config_actions[i].name;
	return NULL;
}

int
config_fields_has(const struct conf_fields *f, const char *name)
{
	size_t	 i;

	if (f->all)
		return 1;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->names[i], name) == 0)
			return 1;
	return 0;
}

/* Appends a name, or "*" alone. */
const char *
config_fields_add(struct conf_fields *f, const char *name)
{
	char	(*v)[CONF_IDENT_MAX];

	if (strcmp(name, "*") == 0) {
		if (f->all || f->n > 0)
			return "\"*\" must be the only field";
		f->all = 1;
		return NULL;
	}
	if (f->all)
		return "\"*\" must be the only field";
	if (!config_ident_valid(name))
		return "invalid field name: a-z, 0-9 and _, not starting "
		    "with a digit, at most 63 characters";
	if (config_fields_has(f, name))
		return "field named twice";
	if (f->n >= CONF_FIELDS_MAX)
		return "too many fields";
	if ((v = reallocarray(f->names, f->n + 1, sizeof(*v))) == NULL)
		return "out of memory";
	f->names = v;
	(void)strlcpy(f->names[f->n++], name, CONF_IDENT_MAX);
	return NULL;
}

/* No names given means every field. */
void
config_fields_finish(struct conf_fields *f)
{
	if (f->n == 0)
		f->all = 1;
}

void
config_fields_free(struct conf_fields *f)
{
	free(f->names);
	memset(f, 0, sizeof(*f));
}

const struct conf_collection *
config_collection(const struct tokend_config *conf, const char *name)
{
	const struct conf_collection	*c;

	TAILQ_FOREACH(c, &conf->collections, entry)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* An integer primary key and no fields yet; NULL if out of memory. */
struct conf_collection *
config_collection_new(const char *name)
{
	struct conf_collection	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	/* Too long: left empty, so that config_collection_add refuses it. */
	if (strlcpy(c->name, name, sizeof(c->name)) >= sizeof(c->name))
		c->name[0] = '\0';
	return c;
}

static int
collection_count(const struct tokend_config *conf)
{
	const struct conf_collection	*c;
	int				 n = 0;

	TAILQ_FOREACH(c, &conf->collections, entry)
		n++;
	return n;
}

/* Checks the name and appends the collection to conf. */
const char *
config_collection_add(struct tokend_config *conf, struct conf_collection *c)
{
	if (!config_ident_valid(c->name))
		return "invalid collection name: a-z, 0-9 and _, not "
		    "starting with a digit, at most 63 characters";
	if (strncmp(c->name, "directus_", 9) == 0)
		return "collection names starting with directus_ are reserved";
	if (config_collection(conf, c->name) != NULL)
		return "collection declared twice";
	if (collection_count(conf) >= CONF_COLLECTIONS_MAX)
		return "too many collections";
	TAILQ_INSERT_TAIL(&conf->collections, c, entry);
	return NULL;
}

/* The primary key is always "id", never declared. */
const char *
config_collection_field(struct conf_collection *c, const char *name)
{
	if (strcmp(name, "id") == 0)
		return "\"id\" is the primary key, it is not declared";
	if (strcmp(name, "*") == 0)
		return "\"*\" is not a field name: leave fields out for a "
		    "collection that takes any field";
	return config_fields_add(&c->fields, name);
}

/*
 * field "author" references "target".  The target is checked once
 * every collection is known (config_relations_check()).
 */
const char *
config_relation_add(struct conf_collection *c, const char *field,
    const char *target)
{
	struct conf_relation	*r;
	size_t			 i;

	if (!config_ident_valid(field) || strcmp(field, "id") == 0)
		return "the field of a relation must be a field name other "
		    "than \"id\"";
	if (!config_ident_valid(target))
		return "a relation references a collection name";
	for (i = 0; i < c->nrelations; i++)
		if (strcmp(c->relations[i].field, field) == 0)
			return "a field references one collection at most";
	if (c->nrelations >= CONF_RELATIONS_MAX)
		return "too many relations";
	r = &c->relations[c->nrelations++];
	(void)strlcpy(r->field, field, sizeof(r->field));
	(void)strlcpy(r->target, target, sizeof(r->target));
	return NULL;
}

/* The collection a field references, or NULL when it is no relation. */
const char *
config_relation(const struct conf_collection *c, const char *field)
{
	size_t	 i;

	for (i = 0; i < c->nrelations; i++)
		if (strcmp(c->relations[i].field, field) == 0)
			return c->relations[i].target;
	return NULL;
}

/* Every relation references directus_users or a configured collection. */
const char *
config_relations_check(const struct tokend_config *conf)
{
	static char			 why[256];
	const struct conf_collection	*c;
	size_t				 i;

	TAILQ_FOREACH(c, &conf->collections, entry)
		for (i = 0; i < c->nrelations; i++) {
			if (strcmp(c->relations[i].target,
			    CONF_USERS_COLLECTION) == 0 ||
			    config_collection(conf, c->relations[i].target) !=
			    NULL)
				continue;
			(void)snprintf(why, sizeof(why), "collection \"%s\": "
			    "field \"%s\" references \"%s\", which is "
			    "neither directus_users nor a collection",
			    c->name, c->relations[i].field,
			    c->relations[i].target);
			return why;
		}
	return NULL;
}

void
config_collection_free(struct conf_collection *c)
{
	if (c == NULL)
		return;
	config_fields_free(&c->fields);
	free(c);
}

/* Configured roles only; the built-in administrator role is not one. */
const struct conf_role *
config_role_by_id(const struct tokend_config *conf, const char *id)
{
	const struct conf_role	*r;

	TAILQ_FOREACH(r, &conf->roles, entry)
		if (strcmp(r->id, id) == 0)
			return r;
	return NULL;
}

const struct conf_role *
config_role_by_name(const struct tokend_config *conf, const char *name)
{
	const struct conf_role	*r;

	TAILQ_FOREACH(r, &conf->roles, entry)
		if (strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

/*
 * A role as a user's "role.*" shows it, in Directus 11's fields (the
 * built-in administrator role too), or NULL when there is none; with
 * sub, only the fields it names.  GET /roles (server/access.c) adds
 * the role's policies and users, which a role reached through a user
 * does not carry here.
 */
json_t *
config_role_json(const struct tokend_config *conf, const char *id,
    const struct conf_fields *sub)
{
	const struct conf_role	*r = NULL;
	json_t			*o;
	const char		*key;
	json_t			*v;
	void			*tmp;
	int			 admin = strcmp(id, CONF_ADMIN_ROLE_ID) == 0;

	if (!admin && (r = config_role_by_id(conf, id)) == NULL)
		return NULL;
	o = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:o}", "id", id,
	    "name", admin ? "Administrator" : r->name, "icon", admin ?
	    "verified" : "supervised_user_circle", "description", admin ?
	    "$t:admin_description" : NULL, "parent", r != NULL &&
	    r->parent[0] != '\0' ? r->parent : NULL, "children",
	    config_role_children(conf, id));
	if (o == NULL || sub == NULL || sub->all)
		return o;
	json_object_foreach_safe(o, tmp, key, v)
		if (!config_fields_has(sub, key))
			json_object_del(o, key);
	return o;
}

/* The ids of the roles whose parent is id, in the file's order. */
json_t *
config_role_children(const struct tokend_config *conf, const char *id)
{
	const struct conf_role	*r;
	json_t			*ids;

	if ((ids = json_array()) == NULL)
		return NULL;
	TAILQ_FOREACH(r, &conf->roles, entry)
		if (strcmp(r->parent, id) == 0)
			json_array_append_new(ids, json_string(r->id));
	return ids;
}

/* Is name a field of config_role_json()'s roles? */
int
config_role_field(const char *name)
{
	static const char *const fields[] = { "id", "name", "icon",
	    "description", "parent", "children" };
	size_t			 i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i], name) == 0)
			return 1;
	return 0;
}

/*
 * A stable id for something the configuration names without one (the
 * administrator's policy, an access row): a version 8 UUID from SHA-256
 * of what it stands for.  out holds CONF_UUID_LEN + 1 bytes.
 */
void
config_derived_id(const char *kind, const char *a, const char *b,
    char *out)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	char		 text[256];
	size_t		 i, o = 0;
	int		 n;

	n = snprintf(text, sizeof(text), "%s %s %s", kind, a, b);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    EVP_Digest(text, (size_t)n, md, NULL, EVP_sha256(), NULL) != 1)
		memset(md, 0, sizeof(md));	/* ids and names fit */
	md[6] = (md[6] & 0x0f) | 0x80;
	md[8] = (md[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		(void)snprintf(out + o, 3, "%02x", md[i]);
		o += 2;
	}
	out[o] = '\0';
}

/*
 * The ids of a role's access rows, its "policies" in Directus 11 (the
 * rows GET /access lists, server/access.c): the administrator role's
 * one, or one per policy the role lists.  NULL when it fails.
 */
json_t *
config_role_access_ids(const struct tokend_config *conf, const char *id)
{
	const struct conf_role	*r = NULL;
	char			 policy[CONF_UUID_LEN + 1];
	char			 row[CONF_UUID_LEN + 1];
	json_t			*ids;
	size_t			 i;

	if ((ids = json_array()) == NULL)
		return NULL;
	if (strcmp(id, CONF_ADMIN_ROLE_ID) == 0) {
		config_derived_id("policy", CONF_ADMIN_ROLE_ID, "", policy);
		config_derived_id("access", id, policy, row);
		json_array_append_new(ids, json_string(row));
	} else if ((r = config_role_by_id(conf, id)) != NULL)
		for (i = 0; i < r->policies.n; i++) {
			config_derived_id("access", id, r->policies.v[i]->id,
			    row);
			json_array_append_new(ids, json_string(row));
		}
	return ids;
}

/* Is name a field of an access row (a user's "policies.*")? */
int
config_access_field(const char *name)
{
	static const char *const fields[] = { "id", "role", "user", "policy",
	    "sort" };
	size_t			 i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i], name) == 0)
			return 1;
	return 0;
}

struct conf_role *
config_role_new(const char *name)
{
	struct conf_role	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if (strlcpy(r->name, name, sizeof(r->name)) >= sizeof(r->name))
		r->name[0] = '\0';
	return r;
}

static int
role_count(const struct tokend_config *conf)
{
	const struct conf_role	*r;
	int			 n = 0;

	TAILQ_FOREACH(r, &conf->roles, entry)
		n++;
	return n;
}

/* Checks the name and appends the role (its id comes later) to conf. */
const char *
config_role_add(struct tokend_config *conf, struct conf_role *r)
{
	if (!config_ident_valid(r->name))
		return "invalid role name: a-z, 0-9 and _, not starting with "
		    "a digit, at most 63 characters";
	if (strcmp(r->name, CONF_ADMIN_ROLE_NAME) == 0)
		return "\"admin\" is the built-in administrator role";
	if (config_role_by_name(conf, r->name) != NULL)
		return "role declared twice";
	if (role_count(conf) >= CONF_ROLES_MAX)
		return "too many roles";
	TAILQ_INSERT_TAIL(&conf->roles, r, entry);
	return NULL;
}

const char *
config_role_set_id(const struct tokend_config *conf, struct conf_role *r,
    const char *id)
{
	const struct conf_role	*other;

	if (r->id[0] != '\0')
		return "id given twice";
	/* The one spelling a role is stored, compared and sent in. */
	if (!uuid_valid(id, UUID_LOWER))
		return "id is not a lowercase uuid";
	if (strcmp(id, CONF_ADMIN_ROLE_ID) == 0)
		return "id is the built-in administrator role's";
	if ((other = config_role_by_id(conf, id)) != NULL && other != r)
		return "id already used by another role";
	(void)strlcpy(r->id, id, sizeof(r->id));
	return NULL;
}

/* A role names a configured policy: appended to its list. */
const char *
config_role_policy(struct tokend_config *conf, struct conf_role *r,
    const char *name)
{
	const struct conf_policy	*p;

	if ((p = config_policy_by_name(conf, name)) == NULL ||
	    p->kind != CONF_POLICY_CONFIGURED)
		return "no such policy declared before it";
	return config_refs_add(&r->policies, (struct conf_policy *)p, 0);
}

/*
 * The role's own policy, made on its first own line (admin-access,
 * app-access, enforce-tfa, permission): named after the role, first in
 * its list, its id set by config_role_finish.  NULL and *why if refused.
 */
struct conf_policy *
config_role_own(struct tokend_config *conf, struct conf_role *r,
    const char **why)
{
	struct conf_policy	*p;

	if (r->own != NULL)
		return r->own;
	if ((p = config_policy_new(r->name, CONF_POLICY_ROLE)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	if ((*why = config_policy_add(conf, p)) != NULL) {
		config_policy_free(p);
		return NULL;
	}
	if ((*why = config_refs_add(&r->policies, p, 1)) != NULL)
		return NULL;
	r->own = p;
	return p;
}

/*
 * The id of a role's own policy, derived from the role's so that it
 * stays the same across restarts: a name-based (version 5 layout) uuid
 * of SHA-256 over a fixed prefix and the role's id.
 */
static void
role_own_id(const char *role_id, char *out, size_t outlen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	char		 in[64];
	int		 len;

	len = snprintf(in, sizeof(in), "tokend role policy %s", role_id);
	memset(md, 0, sizeof(md));
	if (len < 0 || (size_t)len >= sizeof(in) ||
	    EVP_Digest(in, len, md, NULL, EVP_sha256(), NULL) != 1)
		memset(md, 0, sizeof(md));	/* a valid role id fits */
	md[6] = (md[6] & 0x0f) | 0x50;
	md[8] = (md[8] & 0x3f) | 0x80;
	(void)snprintf(out, outlen, "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", md[0], md[1], md[2], md[3],
	    md[4], md[5], md[6], md[7], md[8], md[9], md[10], md[11], md[12],
	    md[13], md[14], md[15]);
}

/* Once the role's block is read: its own policy gets its id. */
const char *
config_role_finish(struct tokend_config *conf, struct conf_role *r)
{
	char	 id[CONF_UUID_LEN + 1];

	if (r->own == NULL || r->own->id[0] != '\0' || r->id[0] == '\0')
		return NULL;
	role_own_id(r->id, id, sizeof(id));
	return config_policy_set_id(conf, r->own, id);
}

/*
 * A role's parent, a role declared before it (so that no chain of
 * parents loops): Directus 11 gives a role its parent's policies too.
 */
const char *
config_role_parent(struct tokend_config *conf, struct conf_role *r,
    const char *name)
{
	const struct conf_role	*p;

	if (r->parent[0] != '\0')
		return "parent given twice";
	if ((p = config_role_by_name(conf, name)) == NULL || p == r ||
	    p->id[0] == '\0')
		return "no such role declared before it";
	(void)strlcpy(r->parent, p->id, sizeof(r->parent));
	return NULL;
}

/*
 * The roles whose policies a user of r gets, as Directus 11.3.5's
 * fetchRolesTree: r's parents from the root down, then r; at most max,
 * into out.  Their number.
 */
size_t
config_role_chain(const struct tokend_config *conf, const struct conf_role *r,
    const struct conf_role **out, size_t max)
{
	const struct conf_role	*up;
	size_t			 n = 0, i;

	for (up = r; up != NULL && n < max && n < CONF_ROLES_MAX; n++) {
		out[n] = up;
		up = conf != NULL && up->parent[0] != '\0' ?
		    config_role_by_id(conf, up->parent) : NULL;
	}
	for (i = 0; i < n / 2; i++) {
		up = out[i];
		out[i] = out[n - 1 - i];
		out[n - 1 - i] = up;
	}
	return n;
}

/*
 * The access flags a role's policies (and its parents') give wherever
 * the client is: any policy with admin-access gives it, and so on.
 * ip-allow is the caller's (perm.c) to apply.
 */
void
config_role_access(const struct tokend_config *conf, const struct conf_role *r,
    int *admin, int *app, int *tfa)
{
	const struct conf_role	*chain[CONF_ROLES_MAX];
	size_t			 i, k, n;

	*admin = *app = *tfa = 0;
	n = r != NULL ? config_role_chain(conf, r, chain, CONF_ROLES_MAX) : 0;
	for (k = 0; k < n; k++)
		for (i = 0; i < chain[k]->policies.n; i++) {
			*admin |= chain[k]->policies.v[i]->admin;
			*app |= chain[k]->policies.v[i]->app;
			*tfa |= chain[k]->policies.v[i]->enforce_tfa;
		}
}

void
config_role_free(struct conf_role *r)
{
	if (r == NULL)
		return;
	config_refs_free(&r->policies);
	free(r);
}

/* Appends p (or puts it first) unless the list holds it already. */
const char *
config_refs_add(struct conf_policy_refs *refs, struct conf_policy *p,
    int first)
{
	struct conf_policy	**v;
	size_t			  i;

	for (i = 0; i < refs->n; i++)
		if (refs->v[i] == p)
			return "policy named twice";
	if (refs->n >= CONF_POLICY_REFS_MAX)
		return "too many policies";
	if ((v = reallocarray(refs->v, refs->n + 1, sizeof(*v))) == NULL)
		return "out of memory";
	refs->v = v;
	if (first) {
		memmove(v + 1, v, refs->n * sizeof(*v));
		v[0] = p;
	} else
		v[refs->n] = p;
	refs->n++;
	return NULL;
}

void
config_refs_free(struct conf_policy_refs *refs)
{
	free(refs->v);
	memset(refs, 0, sizeof(*refs));
}

const struct conf_policy *
config_policy_by_id(const struct tokend_config *conf, const char *id)
{
	const struct conf_policy	*p;

	TAILQ_FOREACH(p, &conf->policies, entry)
		if (p->id[0] != '\0' && strcmp(p->id, id) == 0)
			return p;
	return NULL;
}

const struct conf_policy *
config_policy_by_name(const struct tokend_config *conf, const char *name)
{
	const struct conf_policy	*p;

	TAILQ_FOREACH(p, &conf->policies, entry)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

struct conf_policy *
config_policy_new(const char *name, enum conf_policy_kind kind)
{
	struct conf_policy	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if (strlcpy(p->name, name, sizeof(p->name)) >= sizeof(p->name))
		p->name[0] = '\0';
	p->kind = kind;
	TAILQ_INIT(&p->perms);
	return p;
}

static int
policy_count(const struct tokend_config *conf)
{
	const struct conf_policy	*p;
	int				 n = 0;

	TAILQ_FOREACH(p, &conf->policies, entry)
		n++;
	return n;
}

/* Checks the name and appends the policy (its id comes later). */
const char *
config_policy_add(struct tokend_config *conf, struct conf_policy *p)
{
	const struct conf_policy	*q;

	if (p->kind == CONF_POLICY_PUBLIC) {
		if (conf->public_policy != NULL)
			return "the public policy is given twice";
	} else if (!config_ident_valid(p->name))
		return "invalid policy name: a-z, 0-9 and _, not starting "
		    "with a digit, at most 63 characters";
	if ((q = config_policy_by_name(conf, p->name)) != NULL)
		return q->kind == CONF_POLICY_ROLE ? "the role of this name "
		    "has lines of its own, which make a policy of this name" :
		    p->kind == CONF_POLICY_ROLE ? "a policy of this name is "
		    "declared: a role with lines of its own (admin-access, "
		    "app-access, enforce-tfa, permission) makes a policy "
		    "named after it" : "policy declared twice";
	if (policy_count(conf) >= CONF_POLICIES_MAX)
		return "too many policies";
	TAILQ_INSERT_TAIL(&conf->policies, p, entry);
	if (p->kind == CONF_POLICY_PUBLIC) {
		conf->public_policy = p;
		return config_refs_add(&conf->public, p, 1);
	}
	return NULL;
}

const char *
config_policy_set_id(const struct tokend_config *conf, struct conf_policy *p,
    const char *id)
{
	const struct conf_policy	*other;

	if (p->id[0] != '\0')
		return "id given twice";
	if (!uuid_valid(id, UUID_LOWER))
		return "id is not a lowercase uuid";
	if (p->kind != CONF_POLICY_PUBLIC &&
	    strcmp(id, CONF_PUBLIC_POLICY_ID) == 0)
		return "id is the public policy's";
	if ((other = config_policy_by_id(conf, id)) != NULL && other != p)
		return other->kind == CONF_POLICY_ROLE ? "id already used by "
		    "the own policy of a role" : "id already used by another "
		    "policy";
	(void)strlcpy(p->id, id, sizeof(p->id));
	return NULL;
}

/* Adds networks (a list as trusted-proxy takes) to the policy's. */
const char *
config_policy_ip_allow(struct conf_policy *p, const char *text)
{
	struct cidr	*nets;
	const char	*errstr;
	char		*joined;
	size_t		 n;

	if (asprintf(&joined, "%s%s%s", p->ip_allow != NULL ? p->ip_allow :
	    "", p->ip_allow != NULL ? " " : "", text) == -1)
		return "out of memory";
	if (strlen(joined) >= CONF_URL_LIST_MAX) {
		free(joined);
		return "too long";
	}
	if ((nets = calloc(CONF_IP_ALLOW_MAX, sizeof(*nets))) == NULL) {
		free(joined);
		return "out of memory";
	}
	if ((errstr = cidr_list_parse(joined, nets, CONF_IP_ALLOW_MAX,
	    &n)) == NULL && n == 0)
		errstr = "no network";
	if (errstr != NULL) {
		free(joined);
		free(nets);
		return errstr;
	}
	free(p->ip_allow);
	free(p->ip);
	p->ip_allow = joined;
	p->ip = nets;
	p->nip = n;
	return NULL;
}

/*
 * Whether the policy applies to a client at addr (NULL: not known, as
 * in keyd, which applies a policy with ip-allow to nobody).
 */
int
config_policy_ip_applies(const struct conf_policy *p, const struct cidr *addr)
{
	if (p->ip_allow == NULL)
		return 1;
	return addr != NULL && cidr_match(p->ip, p->nip, addr);
}

void
config_policy_free(struct conf_policy *p)
{
	struct conf_permission	*perm;

	if (p == NULL)
		return;
	while ((perm = TAILQ_FIRST(&p->perms)) != NULL) {
		TAILQ_REMOVE(&p->perms, perm, entry);
		config_permission_free(perm);
	}
	free(p->ip_allow);
	free(p->ip);
	free(p);
}

/* The permission of a list that allows action on collection, or NULL. */
const struct conf_permission *
config_permission(const struct conf_permission_list *list,
    const char *collection, int action)
{
	const struct conf_permission	*p;

	TAILQ_FOREACH(p, list, entry)
		if ((p->actions & action) != 0 &&
		    strcmp(p->collection, collection) == 0)
			return p;
	return NULL;
}

struct conf_permission *
config_permission_new(const char *collection, int actions)
{
	struct conf_permission	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if (strlcpy(p->collection, collection, sizeof(p->collection)) >=
	    sizeof(p->collection))
		p->collection[0] = '\0';
	p->actions = actions;
	return p;
}

static int
permission_count(const struct tokend_config *conf)
{
	const struct conf_policy	*pol;
	const struct conf_permission	*p;
	int				 n = 0;

	TAILQ_FOREACH(pol, &conf->policies, entry)
		TAILQ_FOREACH(p, &pol->perms, entry)
			n++;
	return n;
}

/*
 * Appends a permission to a policy's list.  Its
 * collection is declared before it, or is the users collection.
 */
const char *
config_permission_add(const struct tokend_config *conf,
    struct conf_permission_list *list, struct conf_permission *p)
{
	const struct conf_permission	*q;

	if (!config_ident_valid(p->collection))
		return "invalid collection name";
	if (strcmp(p->collection, CONF_USERS_COLLECTION) != 0 &&
	    config_collection(conf, p->collection) == NULL)
		return "no such collection declared before it";
	if (p->actions == 0 || (p->actions & ~PERM_ALL) != 0)
		return "no action: create, read, update or delete";
	TAILQ_FOREACH(q, list, entry)
		if ((q->actions & p->actions) != 0 &&
		    strcmp(q->collection, p->collection) == 0)
			return "a permission for this collection and action "
			    "is already given";
	if (permission_count(conf) >= CONF_PERMISSIONS_MAX)
		return "too many permissions";
	TAILQ_INSERT_TAIL(list, p, entry);
	return NULL;
}

/*
 * A field a permission covers: "id", or for a declared collection one
 * of its fields.  The users collection checks its own fields.
 */
const char *
config_permission_field(const struct tokend_config *conf,
    struct conf_permission *p, const char *name)
{
	const struct conf_collection	*c;

	if (strcmp(name, "*") != 0 && strcmp(name, "id") != 0 &&
	    config_ident_valid(name) &&
	    (c = config_collection(conf, p->collection)) != NULL &&
	    !config_fields_has(&c->fields, name))
		return "the collection has no such field";
	return config_fields_add(&p->fields, name);
}

const char *
config_json_name(enum conf_json which)
{
	switch (which) {
	case CONF_JSON_FILTER:
		return "filter";
	case CONF_JSON_VALIDATION:
		return "validation";
	default:
		return "presets";
	}
}

static char **
permission_json_slot(struct conf_permission *p, enum conf_json which)
{
	switch (which) {
	case CONF_JSON_FILTER:
		return &p->filter;
	case CONF_JSON_VALIDATION:
		return &p->validation;
	default:
		return &p->presets;
	}
}

/* Whether the actions of p give the text a use. */
static const char *
json_applies(const struct conf_permission *p, enum conf_json which)
{
	if (which == CONF_JSON_FILTER) {
		if (p->actions == PERM_CREATE)
			return "does not apply to create (use validation)";
		return NULL;
	}
	if ((p->actions & (PERM_CREATE | PERM_UPDATE)) == 0)
		return "applies to create and update only";
	return NULL;
}

struct filter_fields {
	const struct conf_collection	*collection;
	const char			*unknown;
};

static int
filter_field_known(void *arg, const char *field)
{
	struct filter_fields	*ff = arg;

	if (strcmp(field, "id") == 0 ||
	    config_fields_has(&ff->collection->fields, field))
		return 0;
	ff->unknown = field;
	return -1;
}

/*
 * A filter in the Directus filter language, as the query parser takes
 * it; in a declared collection it names "id" and declared fields only.
 */
static int
json_check_filter(const struct tokend_config *conf,
    const struct conf_permission *p, json_t *root, char *why, size_t whylen)
{
	struct query_node	*node;
	struct filter_fields	 ff;
	int			 rv = 0;

	if (!json_is_object(root)) {
		(void)strlcpy(why, "not a JSON object", whylen);
		return -1;
	}
	if ((node = query_filter_parse(root, why, whylen)) == NULL)
		return -1;
	memset(&ff, 0, sizeof(ff));
	if ((ff.collection = config_collection(conf, p->collection)) != NULL &&
	    query_node_fields(node, filter_field_known, &ff) == -1) {
		(void)snprintf(why, whylen, "\"%s\" is not a field of the "
		    "collection", ff.unknown);
		rv = -1;
	}
	query_node_free(node);
	return rv;
}

/* Presets: field names with scalar values. */
static int
json_check_presets(const struct tokend_config *conf,
    const struct conf_permission *p, json_t *root, char *why, size_t whylen)
{
	const struct conf_collection	*c;
	const char			*key;
	json_t				*v;

	if (!json_is_object(root)) {
		(void)strlcpy(why, "not a JSON object", whylen);
		return -1;
	}
	if (json_object_size(root) > CONF_FIELDS_MAX) {
		(void)strlcpy(why, "too many fields", whylen);
		return -1;
	}
	c = config_collection(conf, p->collection);
	json_object_foreach(root, key, v) {
		if (!config_ident_valid(key) || strcmp(key, "id") == 0 ||
		    (c != NULL && !config_fields_has(&c->fields, key))) {
			(void)snprintf(why, whylen, "\"%.*s\" is not a field "
			    "of the collection", CONF_IDENT_MAX, key);
			return -1;
		}
		if (json_is_object(v) || json_is_array(v)) {
			(void)snprintf(why, whylen, "the value of \"%s\" is "
			    "not a string, number, boolean or null", key);
			return -1;
		}
	}
	return 0;
}

/*
 * Checks a filter, validation or presets text and keeps it in its
 * canonical form (compact, keys in their order), the form it is shipped
 * in.  On failure writes why to why and returns -1.
 */
int
config_permission_json(const struct tokend_config *conf,
    struct conf_permission *p, enum conf_json which, const char *text,
    char *why, size_t whylen)
{
	json_error_t	 jerr;
	json_t		*root;
	const char	*errstr;
	char		**slot, *canon = NULL, msg[256];
	int		 rv = -1;

	slot = permission_json_slot(p, which);
	if (*slot != NULL) {
		(void)snprintf(why, whylen, "%s given twice",
		    config_json_name(which));
		return -1;
	}
	if ((errstr = json_applies(p, which)) != NULL) {
		(void)snprintf(why, whylen, "%s %s", config_json_name(which),
		    errstr);
		return -1;
	}
	if (strlen(text) > CONF_JSON_MAX ||
	    (root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		(void)snprintf(why, whylen, "%s: invalid JSON: %s",
		    config_json_name(which), strlen(text) > CONF_JSON_MAX ?
		    "too long" : jerr.text);
		return -1;
	}
	if (which == CONF_JSON_PRESETS)
		rv = json_check_presets(conf, p, root, msg, sizeof(msg));
	else
		rv = json_check_filter(conf, p, root, msg, sizeof(msg));
	if (rv == 0 && ((canon = json_dumps(root, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL || strlen(canon) > CONF_JSON_MAX)) {
		(void)strlcpy(msg, canon == NULL ? "out of memory" :
		    "too long", sizeof(msg));
		free(canon);
		rv = -1;
	}
	json_decref(root);
	if (rv == 0)
		*slot = canon;
	else
		(void)snprintf(why, whylen, "%s: %s", config_json_name(which),
		    msg);
	return rv;
}

void
config_permission_free(struct conf_permission *p)
{
	if (p == NULL)
		return;
	config_fields_free(&p->fields);
	free(p->filter);
	free(p->validation);
	free(p->presets);
	free(p);
}
