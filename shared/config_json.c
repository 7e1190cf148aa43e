/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The JSON form of a configuration, in which the parent ships it to
 * keyd and the workers (config_to_json, config_from_json), and the
 * settings a reload cannot change (config_restart_needed).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <jansson.h>
#include <limits.h>
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

static int
field_equal(const struct tokend_config *a, const struct tokend_config *b,
    const struct config_field *f)
{
	if (config_field_is_string(f))
		return strcmp(config_field_string(a, f),
		    config_field_string(b, f)) == 0;
	return config_field_number(a, f) == config_field_number(b, f);
}

static int
listens_equal(const struct tokend_config *a, const struct tokend_config *b)
{
	struct listen_addr	*la, *lb;

	lb = TAILQ_FIRST(&b->listens);
	TAILQ_FOREACH(la, &a->listens, entry) {
		if (lb == NULL || la->sslen != lb->sslen ||
		    la->tls != lb->tls ||
		    memcmp(&la->ss, &lb->ss, la->sslen) != 0)
			return 0;
		lb = TAILQ_NEXT(lb, entry);
	}
	return lb == NULL;
}

/*
 * Returns 1 and names in why the first setting that differs and that a
 * reload cannot apply (the sockets, processes and privileges set up at
 * start), else 0.
 */
int
config_restart_needed(const struct tokend_config *old,
    const struct tokend_config *conf, char *why, size_t whylen)
{
	const struct config_field	*f;
	const char			*what = NULL;
	size_t				 i;

	if (!listens_equal(old, conf))
		what = "listen";
	for (i = 0; what == NULL && i < config_nfields; i++) {
		f = &config_fields[i];
		if ((f->flags & CONF_FIELD_RESTART) != 0 &&
		    !field_equal(old, conf, f))
			what = f->label;
	}
	if (what == NULL)
		return 0;
	if (why != NULL && whylen > 0)
		(void)strlcpy(why, what, whylen);
	return 1;
}

/*
 * The data part of the JSON form:
 *	"collections": [{"name", "primary_key": "integer" or "uuid",
 *	    "fields": "*" or ["name", ...], and when it has relations
 *	    "relations": [{"field", "collection"}, ...]}, ...]
 *	"policies": [{"name", "id", "kind": "policy", "role" or "public",
 *	    "admin_access", "app_access", "enforce_tfa",
 *	    "ip_allow": "net ..." or null, "permissions": [permission, ...]},
 *	    ...], the public policy's included
 *	"roles": [{"name", "id", "parent": id or "",
 *	    "policies": [policy id, ...]}, ...]
 *	"public": [policy id, ...], the public policy's first
 * where a permission is {"collection", "actions": ["create", ...],
 * "fields": "*" or [...], "filter", "validation", "presets"}, the last
 * three a JSON object or null.
 */

/* json_object_set_new, failing on a NULL value too. */
static int
json_set(json_t *obj, const char *key, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_object_set_new(obj, key, v);
}

/* json_array_append_new, failing on a NULL value too. */
static int
json_append(json_t *array, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_array_append_new(array, v);
}

static json_t *
names_to_json(const struct conf_fields *f)
{
	json_t	*array;
	size_t	 i;

	if (f->all)
		return json_string("*");
	if ((array = json_array()) == NULL)
		return NULL;
	for (i = 0; i < f->n; i++)
		if (json_append(array, json_string(f->names[i])) == -1) {
			json_decref(array);
			return NULL;
		}
	return array;
}

static json_t *
actions_to_json(int actions)
{
	json_t	*array;
	int	 bit;

	if ((array = json_array()) == NULL)
		return NULL;
	for (bit = 1; bit <= PERM_ALL; bit <<= 1)
		if ((actions & bit) != 0 && json_append(array,
		    json_string(config_action_name(bit))) == -1) {
			json_decref(array);
			return NULL;
		}
	return array;
}

static json_t *
text_to_json(const char *text)
{
	if (text == NULL)
		return json_null();
	return json_loads(text, JSON_REJECT_DUPLICATES, NULL);
}

static json_t *
permission_to_json(const struct conf_permission *p)
{
	json_t	*obj;

	if ((obj = json_object()) == NULL)
		return NULL;
	if (json_set(obj, "collection", json_string(p->collection)) == -1 ||
	    json_set(obj, "actions", actions_to_json(p->actions)) == -1 ||
	    json_set(obj, "fields", names_to_json(&p->fields)) == -1 ||
	    json_set(obj, "filter", text_to_json(p->filter)) == -1 ||
	    json_set(obj, "validation", text_to_json(p->validation)) == -1 ||
	    json_set(obj, "presets", text_to_json(p->presets)) == -1) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static json_t *
permissions_to_json(const struct conf_permission_list *list)
{
	const struct conf_permission	*p;
	json_t				*array;

	if ((array = json_array()) == NULL)
		return NULL;
	TAILQ_FOREACH(p, list, entry)
		if (json_append(array, permission_to_json(p)) == -1) {
			json_decref(array);
			return NULL;
		}
	return array;
}

static json_t	*relations_to_json(const struct conf_collection *);

static json_t *
collection_to_json(const struct conf_collection *c)
{
	json_t	*obj;

	if ((obj = json_object()) == NULL)
		return NULL;
	if (json_set(obj, "name", json_string(c->name)) == -1 ||
	    json_set(obj, "primary_key", json_string(c->pk_uuid ? "uuid" :
	    "integer")) == -1 ||
	    json_set(obj, "fields", names_to_json(&c->fields)) == -1 ||
	    (c->nrelations > 0 &&
	    json_set(obj, "relations", relations_to_json(c)) == -1)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* [{"field", "collection"}, ...]: the many-to-one relations, if any. */
static json_t *
relations_to_json(const struct conf_collection *c)
{
	json_t	*array;
	size_t	 i;

	if ((array = json_array()) == NULL)
		return NULL;
	for (i = 0; i < c->nrelations; i++)
		if (json_append(array, json_pack("{s:s,s:s}", "field",
		    c->relations[i].field, "collection",
		    c->relations[i].target)) == -1) {
			json_decref(array);
			return NULL;
		}
	return array;
}

static const char *const policy_kinds[] = {
	[CONF_POLICY_CONFIGURED] = "policy",
	[CONF_POLICY_ROLE] = "role",
	[CONF_POLICY_PUBLIC] = "public"
};

static json_t *
policy_to_json(const struct conf_policy *p)
{
	json_t	*obj;

	if ((obj = json_object()) == NULL)
		return NULL;
	if (json_set(obj, "name", json_string(p->name)) == -1 ||
	    json_set(obj, "id", json_string(p->id)) == -1 ||
	    json_set(obj, "kind", json_string(policy_kinds[p->kind])) == -1 ||
	    json_set(obj, "admin_access", json_boolean(p->admin)) == -1 ||
	    json_set(obj, "app_access", json_boolean(p->app)) == -1 ||
	    json_set(obj, "enforce_tfa", json_boolean(p->enforce_tfa)) == -1 ||
	    json_set(obj, "ip_allow", p->ip_allow != NULL ?
	    json_string(p->ip_allow) : json_null()) == -1 ||
	    json_set(obj, "permissions", permissions_to_json(&p->perms)) ==
	    -1) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static json_t *
refs_to_json(const struct conf_policy_refs *refs)
{
	json_t	*array;
	size_t	 i;

	if ((array = json_array()) == NULL)
		return NULL;
	for (i = 0; i < refs->n; i++)
		if (json_append(array, json_string(refs->v[i]->id)) == -1) {
			json_decref(array);
			return NULL;
		}
	return array;
}

static json_t *
role_to_json(const struct conf_role *r)
{
	json_t	*obj;

	if ((obj = json_object()) == NULL)
		return NULL;
	if (json_set(obj, "name", json_string(r->name)) == -1 ||
	    json_set(obj, "id", json_string(r->id)) == -1 ||
	    json_set(obj, "parent", json_string(r->parent)) == -1 ||
	    json_set(obj, "policies", refs_to_json(&r->policies)) == -1) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* "protect": [{"host", "path", "role", "admin"}], in order. */
static int
protect_to_json(const struct tokend_config *conf, json_t *root)
{
	const struct conf_protect	*p;
	json_t				*rules;
	size_t				 i;

	if ((rules = json_array()) == NULL ||
	    json_object_set_new(root, "protect", rules) == -1)
		return -1;
	for (i = 0; i < conf->nprotect; i++) {
		p = &conf->protect[i];
		if (json_append(rules, json_pack("{s:s,s:s,s:s,s:b}", "host",
		    p->host, "path", p->path, "role", p->role, "admin",
		    p->admin)) == -1)
			return -1;
	}
	return 0;
}

static int
protect_from_json(struct tokend_config *conf, json_t *rules)
{
	struct conf_protect	*p;
	const char		*host, *path, *role;
	json_t			*obj;
	size_t			 i;
	int			 admin;

	if (!json_is_array(rules) || json_array_size(rules) >
	    CONF_PROTECT_MAX) {
		log_warnx("config: protect missing or too long");
		return -1;
	}
	json_array_foreach(rules, i, obj) {
		p = &conf->protect[i];
		if (json_unpack(obj, "{s:s,s:s,s:s,s:b}", "host", &host,
		    "path", &path, "role", &role, "admin", &admin) == -1 ||
		    strlcpy(p->host, host, sizeof(p->host)) >=
		    sizeof(p->host) ||
		    strlcpy(p->path, path, sizeof(p->path)) >=
		    sizeof(p->path) ||
		    strlcpy(p->role, role, sizeof(p->role)) >=
		    sizeof(p->role)) {
			log_warnx("config: a bad protect rule");
			return -1;
		}
		p->admin = admin;
	}
	conf->nprotect = json_array_size(rules);
	return 0;
}

static int
data_to_json(const struct tokend_config *conf, json_t *root)
{
	const struct conf_collection	*c;
	const struct conf_policy	*p;
	const struct conf_role		*r;
	json_t				*collections, *policies, *roles;

	if ((collections = json_array()) == NULL ||
	    json_object_set_new(root, "collections", collections) == -1)
		return -1;
	TAILQ_FOREACH(c, &conf->collections, entry)
		if (json_append(collections, collection_to_json(c)) == -1)
			return -1;
	if ((policies = json_array()) == NULL ||
	    json_object_set_new(root, "policies", policies) == -1)
		return -1;
	TAILQ_FOREACH(p, &conf->policies, entry)
		if (json_append(policies, policy_to_json(p)) == -1)
			return -1;
	if ((roles = json_array()) == NULL ||
	    json_object_set_new(root, "roles", roles) == -1)
		return -1;
	TAILQ_FOREACH(r, &conf->roles, entry)
		if (json_append(roles, role_to_json(r)) == -1)
			return -1;
	if (json_set(root, "public", refs_to_json(&conf->public)) == -1)
		return -1;
	return protect_to_json(conf, root);
}

/* "*", or a non-empty array of names each passed to add(arg, name). */
static int
names_from_json(json_t *v, const char *(*add)(void *, const char *),
    void *arg, const char *what)
{
	const char	*errstr;
	json_t		*name;
	size_t		 i;

	if (json_is_string(v) && strcmp(json_string_value(v), "*") == 0)
		return 0;
	if (!json_is_array(v) || json_array_size(v) == 0) {
		log_warnx("config: %s: fields is neither \"*\" nor a list",
		    what);
		return -1;
	}
	json_array_foreach(v, i, name) {
		if (!json_is_string(name)) {
			log_warnx("config: %s: a field is not a string", what);
			return -1;
		}
		if ((errstr = add(arg, json_string_value(name))) != NULL) {
			log_warnx("config: %s: field \"%.*s\": %s", what,
			    CONF_IDENT_MAX, json_string_value(name), errstr);
			return -1;
		}
	}
	return 0;
}

static const char *
collection_field_add(void *arg, const char *name)
{
	return config_collection_field(arg, name);
}

struct permission_ctx {
	const struct tokend_config	*conf;
	struct conf_permission		*perm;
};

static const char *
permission_field_add(void *arg, const char *name)
{
	struct permission_ctx	*ctx = arg;

	return config_permission_field(ctx->conf, ctx->perm, name);
}

static int
collection_from_json(struct tokend_config *conf, json_t *obj)
{
	struct conf_collection	*c;
	json_error_t		 jerr;
	json_t			*fields, *relations = NULL, *r;
	const char		*name, *pk, *errstr, *field, *target;
	size_t			 i;

	if (json_unpack_ex(obj, &jerr, JSON_STRICT, "{s:s, s:s, s:o, s?o}",
	    "name", &name, "primary_key", &pk, "fields", &fields,
	    "relations", &relations) == -1 ||
	    (relations != NULL && !json_is_array(relations))) {
		log_warnx("config: collection: %s", jerr.text);
		return -1;
	}
	if (strcmp(pk, "integer") != 0 && strcmp(pk, "uuid") != 0) {
		log_warnx("config: collection: bad primary key");
		return -1;
	}
	if ((c = config_collection_new(name)) == NULL)
		return -1;
	c->pk_uuid = strcmp(pk, "uuid") == 0;
	if ((errstr = config_collection_add(conf, c)) != NULL) {
		log_warnx("config: collection: %s", errstr);
		config_collection_free(c);
		return -1;
	}
	if (names_from_json(fields, collection_field_add, c,
	    "collection") == -1)
		return -1;
	config_fields_finish(&c->fields);
	json_array_foreach(relations, i, r) {
		if (json_unpack_ex(r, &jerr, JSON_STRICT, "{s:s, s:s}",
		    "field", &field, "collection", &target) == -1 ||
		    (errstr = config_relation_add(c, field, target)) != NULL) {
			log_warnx("config: collection: bad relation");
			return -1;
		}
	}
	return 0;
}

static int
actions_from_json(json_t *array)
{
	json_t	*v;
	size_t	 i;
	int	 bit, actions = 0;

	if (!json_is_array(array))
		return 0;
	json_array_foreach(array, i, v) {
		if (!json_is_string(v) ||
		    (bit = config_action(json_string_value(v))) == 0 ||
		    (actions & bit) != 0)
			return 0;
		actions |= bit;
	}
	return actions;
}

static int
permission_texts_from_json(const struct tokend_config *conf,
    struct conf_permission *p, json_t *texts[3])
{
	static const enum conf_json	 kinds[3] = { CONF_JSON_FILTER,
	    CONF_JSON_VALIDATION, CONF_JSON_PRESETS };
	char				*text, why[256];
	size_t				 i;
	int				 rv;

	for (i = 0; i < 3; i++) {
		if (json_is_null(texts[i]))
			continue;
		if (!json_is_object(texts[i]) || (text = json_dumps(texts[i],
		    JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
			log_warnx("config: permission: %s is not an object",
			    config_json_name(kinds[i]));
			return -1;
		}
		rv = config_permission_json(conf, p, kinds[i], text, why,
		    sizeof(why));
		free(text);
		if (rv == -1) {
			log_warnx("config: permission: %s", why);
			return -1;
		}
	}
	return 0;
}

static int
permission_from_json(struct tokend_config *conf,
    struct conf_permission_list *list, json_t *obj)
{
	struct conf_permission	*p;
	struct permission_ctx	 ctx;
	json_error_t		 jerr;
	json_t			*actions, *fields, *texts[3];
	const char		*collection, *errstr;

	if (json_unpack_ex(obj, &jerr, JSON_STRICT,
	    "{s:s, s:o, s:o, s:o, s:o, s:o}", "collection", &collection,
	    "actions", &actions, "fields", &fields, "filter", &texts[0],
	    "validation", &texts[1], "presets", &texts[2]) == -1) {
		log_warnx("config: permission: %s", jerr.text);
		return -1;
	}
	if ((p = config_permission_new(collection,
	    actions_from_json(actions))) == NULL)
		return -1;
	if ((errstr = config_permission_add(conf, list, p)) != NULL) {
		log_warnx("config: permission: %s", errstr);
		config_permission_free(p);
		return -1;
	}
	ctx.conf = conf;
	ctx.perm = p;
	if (names_from_json(fields, permission_field_add, &ctx,
	    "permission") == -1 ||
	    permission_texts_from_json(conf, p, texts) == -1)
		return -1;
	config_fields_finish(&p->fields);
	return 0;
}

static int
permissions_from_json(struct tokend_config *conf,
    struct conf_permission_list *list, json_t *array)
{
	json_t	*obj;
	size_t	 i;

	if (!json_is_array(array)) {
		log_warnx("config: permissions are not a list");
		return -1;
	}
	json_array_foreach(array, i, obj)
		if (permission_from_json(conf, list, obj) == -1)
			return -1;
	return 0;
}

static int
policy_kind_from_json(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(policy_kinds) / sizeof(policy_kinds[0]); i++)
		if (strcmp(policy_kinds[i], s) == 0)
			return (int)i;
	return -1;
}

/* The public policy is there already (config_new): it is filled in. */
static int
policy_from_json(struct tokend_config *conf, json_t *obj)
{
	struct conf_policy	*p;
	json_error_t		 jerr;
	json_t			*perms, *ip;
	const char		*name, *id, *kind, *errstr = NULL;
	int			 k, admin, app, tfa;

	if (json_unpack_ex(obj, &jerr, JSON_STRICT, "{s:s, s:s, s:s, s:b, "
	    "s:b, s:b, s:o, s:o}", "name", &name, "id", &id, "kind", &kind,
	    "admin_access", &admin, "app_access", &app, "enforce_tfa", &tfa,
	    "ip_allow", &ip, "permissions", &perms) == -1) {
		log_warnx("config: policy: %s", jerr.text);
		return -1;
	}
	if ((k = policy_kind_from_json(kind)) == -1) {
		log_warnx("config: policy %s: unknown kind", name);
		return -1;
	}
	if (k == CONF_POLICY_PUBLIC) {
		p = conf->public_policy;
		if (strcmp(id, p->id) != 0)
			errstr = "not the public policy's id";
	} else {
		if ((p = config_policy_new(name, k)) == NULL)
			return -1;
		if ((errstr = config_policy_add(conf, p)) != NULL)
			config_policy_free(p);
		else
			errstr = config_policy_set_id(conf, p, id);
	}
	if (errstr == NULL && !json_is_null(ip))
		errstr = json_is_string(ip) ? config_policy_ip_allow(p,
		    json_string_value(ip)) : "ip_allow is not a string";
	if (errstr != NULL) {
		log_warnx("config: policy %s: %s", name, errstr);
		return -1;
	}
	p->admin = admin;
	p->app = app;
	p->enforce_tfa = tfa;
	return permissions_from_json(conf, &p->perms, perms);
}

/* A list of policy ids into refs; a role's own policy is its own. */
static int
refs_from_json(struct tokend_config *conf, struct conf_policy_refs *refs,
    json_t *array, const char *what)
{
	const struct conf_policy	*p;
	const char			*errstr;
	json_t				*v;
	size_t				 i;

	if (!json_is_array(array)) {
		log_warnx("config: %s: policies are not a list", what);
		return -1;
	}
	json_array_foreach(array, i, v) {
		if (!json_is_string(v) || (p = config_policy_by_id(conf,
		    json_string_value(v))) == NULL) {
			log_warnx("config: %s: no such policy", what);
			return -1;
		}
		if (refs == &conf->public && i == 0) {
			if (p == conf->public_policy)
				continue;	/* there already */
			log_warnx("config: public: not the public policy "
			    "first");
			return -1;
		}
		if ((errstr = config_refs_add(refs, (struct conf_policy *)p,
		    0)) != NULL) {
			log_warnx("config: %s: %s", what, errstr);
			return -1;
		}
	}
	return 0;
}

static int
role_from_json(struct tokend_config *conf, json_t *obj)
{
	struct conf_role	*r;
	json_error_t		 jerr;
	json_t			*policies;
	const char		*name, *id, *parent, *errstr;
	size_t			 i;

	if (json_unpack_ex(obj, &jerr, JSON_STRICT, "{s:s, s:s, s:s, s:o}",
	    "name", &name, "id", &id, "parent", &parent, "policies",
	    &policies) == -1) {
		log_warnx("config: role: %s", jerr.text);
		return -1;
	}
	if ((r = config_role_new(name)) == NULL)
		return -1;
	if ((errstr = config_role_add(conf, r)) != NULL) {
		log_warnx("config: role: %s", errstr);
		config_role_free(r);
		return -1;
	}
	if ((errstr = config_role_set_id(conf, r, id)) != NULL) {
		log_warnx("config: role %s: %s", r->name, errstr);
		return -1;
	}
	/* A parent comes before its children, as in the file. */
	if (*parent != '\0' && (config_role_by_id(conf, parent) == NULL ||
	    strcmp(parent, id) == 0)) {
		log_warnx("config: role %s: no parent %s", r->name, parent);
		return -1;
	}
	(void)strlcpy(r->parent, parent, sizeof(r->parent));
	if (refs_from_json(conf, &r->policies, policies, r->name) == -1)
		return -1;
	for (i = 0; i < r->policies.n; i++)
		if (r->policies.v[i]->kind == CONF_POLICY_ROLE &&
		    strcmp(r->policies.v[i]->name, r->name) == 0)
			r->own = r->policies.v[i];
	return 0;
}

static int
data_from_json(struct tokend_config *conf, json_t *root)
{
	json_t	*collections, *policies, *roles, *obj;
	size_t	 i;

	collections = json_object_get(root, "collections");
	policies = json_object_get(root, "policies");
	roles = json_object_get(root, "roles");
	if (!json_is_array(collections) || !json_is_array(policies) ||
	    !json_is_array(roles)) {
		log_warnx("config: collections, policies or roles missing or "
		    "not a list");
		return -1;
	}
	json_array_foreach(collections, i, obj)
		if (collection_from_json(conf, obj) == -1)
			return -1;
	json_array_foreach(policies, i, obj)
		if (policy_from_json(conf, obj) == -1)
			return -1;
	json_array_foreach(roles, i, obj)
		if (role_from_json(conf, obj) == -1)
			return -1;
	if (refs_from_json(conf, &conf->public, json_object_get(root,
	    "public"), "public") == -1 ||
	    protect_from_json(conf, json_object_get(root, "protect")) == -1)
		return -1;
	return config_check_items(conf) ? -1 : 0;
}

/*
 * The JSON form: one object, a key per config_fields entry (strings,
 * integers, durations as integer milliseconds, and true or false) plus
 * "listen", an array of {"host": as written, "address": numeric,
 * "port": number, "tls": boolean}, and the data part described above.
 */
static json_t *
listens_to_json(const struct tokend_config *conf)
{
	struct listen_addr	*la;
	json_t			*array, *obj;
	char			 addr[NI_MAXHOST];

	if ((array = json_array()) == NULL)
		return NULL;
	TAILQ_FOREACH(la, &conf->listens, entry) {
		if (getnameinfo((const struct sockaddr *)&la->ss, la->sslen,
		    addr, sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
			goto fail;
		obj = json_pack("{s:s, s:s, s:i, s:b}", "host", la->host,
		    "address", addr, "port", la->port, "tls", la->tls);
		if (obj == NULL || json_array_append_new(array, obj) == -1)
			goto fail;
	}
	return array;
 fail:
	json_decref(array);
	return NULL;
}

static json_t *
field_to_json(const struct tokend_config *conf, const struct config_field *f)
{
	if (config_field_is_string(f))
		return json_string(config_field_string(conf, f));
	if (f->kind == CONF_KIND_BOOL)
		return json_boolean(config_field_number(conf, f));
	return json_integer(config_field_number(conf, f));
}

static int
fields_to_json(const struct tokend_config *conf, json_t *root)
{
	const struct config_field	*f;
	json_t				*v;
	size_t				 i;

	for (i = 0; i < config_nfields; i++) {
		f = &config_fields[i];
		v = field_to_json(conf, f);
		if (v == NULL || json_object_set_new(root, f->key, v) == -1)
			return -1;
	}
	return 0;
}

char *
config_to_json(const struct tokend_config *conf)
{
	json_t	*root, *listens;
	char	*text = NULL;

	if ((root = json_object()) == NULL)
		return NULL;
	if ((listens = listens_to_json(conf)) == NULL ||
	    json_object_set_new(root, "listen", listens) == -1)
		goto done;
	if (fields_to_json(conf, root) == -1 || data_to_json(conf, root) == -1)
		goto done;
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
 done:
	json_decref(root);
	return text;
}

static const struct config_field *
field_find(const char *key)
{
	size_t	 i;

	for (i = 0; i < config_nfields; i++)
		if (strcmp(config_fields[i].key, key) == 0)
			return &config_fields[i];
	return NULL;
}

static int
json_check_keys(json_t *root)
{
	const char	*key;
	json_t		*v;

	if (!json_is_object(root)) {
		log_warnx("config: not a JSON object");
		return -1;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "listen") != 0 &&
		    strcmp(key, "collections") != 0 &&
		    strcmp(key, "roles") != 0 &&
		    strcmp(key, "policies") != 0 && strcmp(key, "public") != 0 &&
		    strcmp(key, "protect") != 0 &&
		    field_find(key) == NULL) {
			log_warnx("config: unknown key \"%s\"", key);
			return -1;
		}
	}
	return 0;
}

static int
field_string_from_json(struct tokend_config *conf,
    const struct config_field *f, json_t *v)
{
	const char	*s, *errstr;
	size_t		 len;

	if (!json_is_string(v)) {
		log_warnx("config: %s is not a string", f->key);
		return -1;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len >= f->size || strlen(s) != len) {
		log_warnx("config: %s does not fit", f->key);
		return -1;
	}
	if ((errstr = config_field_check(f, s)) != NULL) {
		log_warnx("config: %s: %s", f->key, errstr);
		return -1;
	}
	memcpy(config_field_string(conf, f), s, len + 1);
	return 0;
}

static int
field_number_from_json(struct tokend_config *conf,
    const struct config_field *f, json_t *v)
{
	json_int_t	 n;

	if (!json_is_integer(v)) {
		log_warnx("config: %s is not an integer", f->key);
		return -1;
	}
	n = json_integer_value(v);
	/* An unset setting may hold 0, below its bounds. */
	if ((n < f->min && (n != 0 || (f->flags & CONF_FIELD_UNSET) == 0)) ||
	    n > f->max) {
		log_warnx("config: %s out of range", f->key);
		return -1;
	}
	config_field_set_number(conf, f, n);
	return 0;
}

static int
field_bool_from_json(struct tokend_config *conf,
    const struct config_field *f, json_t *v)
{
	if (!json_is_boolean(v)) {
		log_warnx("config: %s is not a boolean", f->key);
		return -1;
	}
	config_field_set_number(conf, f, json_is_true(v));
	return 0;
}

static int
fields_from_json(struct tokend_config *conf, json_t *root)
{
	const struct config_field	*f;
	json_t				*v;
	size_t				 i;
	int				 rv;

	for (i = 0; i < config_nfields; i++) {
		f = &config_fields[i];
		if ((v = json_object_get(root, f->key)) == NULL) {
			log_warnx("config: missing key \"%s\"", f->key);
			return -1;
		}
		if (config_field_is_string(f))
			rv = field_string_from_json(conf, f, v);
		else if (f->kind == CONF_KIND_BOOL)
			rv = field_bool_from_json(conf, f, v);
		else
			rv = field_number_from_json(conf, f, v);
		if (rv == -1)
			return -1;
	}
	return 0;
}

static int
listen_from_json(struct tokend_config *conf, json_t *obj)
{
	json_error_t	 jerr;
	const char	*host, *addr, *errstr;
	size_t		 hostlen, addrlen;
	json_int_t	 port;
	int		 tls = 0;

	if (json_unpack_ex(obj, &jerr, JSON_STRICT, "{s:s%, s:s%, s:I, s?b}",
	    "host", &host, &hostlen, "address", &addr, &addrlen,
	    "port", &port, "tls", &tls) == -1) {
		log_warnx("config: listen: %s", jerr.text);
		return -1;
	}
	if (strlen(host) != hostlen || strlen(addr) != addrlen ||
	    port < 1 || port > 65535) {
		log_warnx("config: listen: invalid host, address or port");
		return -1;
	}
	if (config_listen_add_numeric(conf, host, addr, (int)port,
	    &errstr) == -1) {
		log_warnx("config: listen: %s", errstr);
		return -1;
	}
	TAILQ_LAST(&conf->listens, listen_list)->tls = tls;
	return 0;
}

static int
listens_from_json(struct tokend_config *conf, json_t *array)
{
	json_t	*obj;
	size_t	 i;

	if (array == NULL || !json_is_array(array)) {
		log_warnx("config: listen is missing or not an array");
		return -1;
	}
	if (json_array_size(array) > CONF_LISTEN_MAX) {
		log_warnx("config: too many listen addresses");
		return -1;
	}
	json_array_foreach(array, i, obj)
		if (listen_from_json(conf, obj) == -1)
			return -1;
	return 0;
}

/*
 * The inverse of config_to_json, for a child reading what the parent
 * sent: every key present, no other key, every value of the right type
 * and within the bounds the parser enforces, and the cookie and hash
 * settings consistent with each other.
 */
struct tokend_config *
config_from_json(const char *text, size_t len)
{
	struct tokend_config	*conf;
	json_error_t		 jerr;
	json_t			*root;

	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		log_warnx("config: %s", jerr.text);
		return NULL;
	}
	if ((conf = config_new()) == NULL ||
	    json_check_keys(root) == -1 ||
	    fields_from_json(conf, root) == -1 ||
	    listens_from_json(conf, json_object_get(root, "listen")) == -1 ||
	    data_from_json(conf, root) == -1 ||
	    config_check_auth(conf) != 0 ||
	    config_check_access_log(conf) != 0) {
		config_free(conf);
		conf = NULL;
	}
	json_decref(root);
	return conf;
}
