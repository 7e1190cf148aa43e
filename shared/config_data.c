/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Collections, roles and permissions.  parse.y and config_from_json
 * build them with the same functions, so that both check the same
 * things; each check returns NULL or why the thing is refused.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <jansson.h>
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
 * A role as /roles shows it (the built-in administrator role too), or
 * NULL when there is none; with sub, only the fields it names.
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
	o = json_pack("{s:s,s:s,s:n,s:n,s:n,s:b,s:b,s:b}", "id", id,
	    "name", admin ? "Administrator" : r->name, "icon", "description",
	    "ip_access", "enforce_tfa", admin ? 0 : r->enforce_tfa,
	    "admin_access", admin ? 1 : r->admin, "app_access",
	    admin ? 1 : r->app);
	if (o == NULL || sub == NULL || sub->all)
		return o;
	json_object_foreach_safe(o, tmp, key, v)
		if (!config_fields_has(sub, key))
			json_object_del(o, key);
	return o;
}

/* Is name a field of config_role_json()'s roles? */
int
config_role_field(const char *name)
{
	static const char *const fields[] = { "id", "name", "icon",
	    "description", "ip_access", "enforce_tfa", "admin_access",
	    "app_access" };
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
	TAILQ_INIT(&r->perms);
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

void
config_role_free(struct conf_role *r)
{
	struct conf_permission	*p;

	if (r == NULL)
		return;
	while ((p = TAILQ_FIRST(&r->perms)) != NULL) {
		TAILQ_REMOVE(&r->perms, p, entry);
		config_permission_free(p);
	}
	free(r);
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
	const struct conf_role		*r;
	const struct conf_permission	*p;
	int				 n = 0;

	TAILQ_FOREACH(p, &conf->public_perms, entry)
		n++;
	TAILQ_FOREACH(r, &conf->roles, entry)
		TAILQ_FOREACH(p, &r->perms, entry)
			n++;
	return n;
}

/*
 * Appends a permission to a role's list (or the public one).  Its
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
