/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The worker's side of Directus 11's access tables: GET /policies,
 * /roles, /permissions and /access, and the caller's own access
 * (/policies/me/globals, /roles/me, /permissions/me and
 * /permissions/me/<collection>[/<key>]).  All of it is tokend.conf,
 * shown as Directus shows its tables; keyd says who asks, and the item
 * process (or keyd, for directus_users) whether an item may be changed.
 * Writes are refused: the configuration is the source of truth.
 *
 * The model is read through the access_policy_* and access_row_*
 * functions alone: a role's permissions are a policy of the role's own,
 * the public block is the public policy, the built-in administrator
 * role holds the administrator policy.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "cidr.h"
#include "log.h"
#include "perm.h"
#include "proto.h"
#include "query.h"
#include "query_where.h"
#include "tokend.h"

#define ACCESS_ID_MAX		64	/* bytes of an id in a path */
#define ACCESS_MSG_MAX		512
#define ACCESS_USERS_MAX	100000	/* users listed in the roles */
#define ACCESS_N(a)		(sizeof(a) / sizeof((a)[0]))

enum access_table {
	ACCESS_POLICIES,
	ACCESS_ROLES,
	ACCESS_PERMISSIONS,
	ACCESS_ACCESS,
};

enum access_view {
	ACCESS_LIST,		/* GET /<table>[/<id>] */
	ACCESS_GLOBALS,		/* GET /policies/me/globals */
	ACCESS_ROLES_ME,	/* GET /roles/me */
	ACCESS_PERMS_ME,	/* GET /permissions/me */
	ACCESS_ITEM,		/* GET /permissions/me/<collection>[/<key>] */
};

/* Each table: its Directus name and the fields its rows have. */
static const struct {
	const char	*collection;
	const char	*fields[12];
} access_tables[] = {
	[ACCESS_POLICIES] = { "directus_policies", { "id", "name", "icon",
	    "description", "ip_access", "enforce_tfa", "admin_access",
	    "app_access", "permissions", "users", "roles", NULL } },
	[ACCESS_ROLES] = { "directus_roles", { "id", "name", "icon",
	    "description", "parent", "children", "policies", "users",
	    NULL } },
	[ACCESS_PERMISSIONS] = { "directus_permissions", { "id",
	    "collection", "action", "permissions", "validation", "presets",
	    "fields", "policy", NULL } },
	[ACCESS_ACCESS] = { "directus_access", { "id", "role", "user",
	    "policy", "sort", NULL } },
};

/*
 * What Directus 11 grants every user with app access besides its
 * policies (appAccessMinimalPermissions of @directus/system-data): the
 * rows /permissions adds for such a caller and /permissions/me merges.
 */
static const char access_app_minimal[] = "["
#define SYS(c, a, p, v, f) "{\"policy\":null,\"permissions\":" p \
	",\"validation\":" v ",\"presets\":null,\"fields\":" f \
	",\"system\":true,\"collection\":\"" c "\",\"action\":\"" a "\"}"
#define ALL "[\"*\"]"
#define ME(f) "{\"" f "\":{\"_eq\":\"$CURRENT_USER\"}}"
	SYS("directus_collections", "read", "{}", "null", ALL) ","
	SYS("directus_fields", "read", "{}", "null", ALL) ","
	SYS("directus_relations", "read", "{}", "null", ALL) ","
	SYS("directus_translations", "read", "{}", "null", ALL) ","
	SYS("directus_activity", "read", ME("user"), "null", ALL) ","
	SYS("directus_comments", "read", ME("user_created"), "null", ALL) ","
	SYS("directus_comments", "create", "{}",
	    "{\"comment\":{\"_nnull\":true}}", ALL) ","
	SYS("directus_comments", "update", ME("user_created"), "null",
	    "[\"comment\"]") ","
	SYS("directus_comments", "delete", ME("user_created"), "null", ALL) ","
	SYS("directus_presets", "read", "{\"_or\":[" ME("user") ",{\"_and\":"
	    "[{\"user\":{\"_null\":true}},{\"role\":{\"_eq\":"
	    "\"$CURRENT_ROLE\"}}]},{\"_and\":[{\"user\":{\"_null\":true}},"
	    "{\"role\":{\"_null\":true}}]}]}", "null", ALL) ","
	SYS("directus_presets", "create", "{}", ME("user"), ALL) ","
	SYS("directus_presets", "update", ME("user"), ME("user"), ALL) ","
	SYS("directus_presets", "delete", ME("user"), "null", ALL) ","
	SYS("directus_roles", "read", "{\"id\":{\"_in\":\"$CURRENT_ROLES\"}}",
	    "null", ALL) ","
	SYS("directus_settings", "read", "{}", "null", ALL) ","
	SYS("directus_translations", "read", "{}", "null", ALL) ","
	SYS("directus_notifications", "read", ME("recipient"), "null", ALL) ","
	SYS("directus_notifications", "update", ME("recipient"), "null",
	    "[\"status\"]") ","
	SYS("directus_shares", "read", ME("user_created"), "null", ALL) ","
	SYS("directus_users", "read", "{\"id\":{\"_eq\":\"$CURRENT_USER\"}}",
	    "null", "[\"id\",\"first_name\",\"last_name\",\"last_page\","
	    "\"email\",\"password\",\"location\",\"title\",\"description\","
	    "\"tags\",\"preferences_divider\",\"avatar\",\"language\","
	    "\"appearance\",\"theme_light\",\"theme_dark\",\"tfa_secret\","
	    "\"status\",\"role\"]")
#undef SYS
#undef ALL
#undef ME
	"]";

/*
 * The collections an administrator has full access to in
 * /permissions/me: Directus's own, in the order it lists them, then the
 * configured ones.
 */
static const char *const access_system_collections[] = {
	"directus_migrations", "directus_folders", "directus_relations",
	"directus_files", "directus_fields", "directus_operations",
	"directus_notifications", "directus_translations", "directus_shares",
	"directus_versions", "directus_revisions", "directus_users",
	"directus_extensions", "directus_sessions", "directus_webhooks",
	"directus_settings", "directus_policies", "directus_permissions",
	"directus_access", "directus_collections", "directus_dashboards",
	"directus_flows", "directus_panels", "directus_presets",
	"directus_roles", "directus_comments", "directus_activity",
};

static const struct {
	int		 bit;
	const char	*name;
} access_actions[] = {
	{ PERM_CREATE, "create" }, { PERM_READ, "read" },
	{ PERM_UPDATE, "update" }, { PERM_DELETE, "delete" },
};

/* A policy as the API shows it. */
struct access_policy {
	char				 id[CONF_UUID_LEN + 1];
	const char			*name;
	const char			*icon;
	const char			*description;
	int				 admin;
	int				 app;
	int				 tfa;
	const char			*ip_allow;	/* NULL: anywhere */
	const struct conf_policy	*conf;	/* NULL: the administrator's */
	const struct conf_permission_list *perms;	/* NULL: none */
};

/* A row of directus_access: a role, a user or the public holds a policy. */
struct access_holding {
	const char		*role;		/* NULL: none */
	const char		*user;		/* NULL: none */
	char			 policy[CONF_UUID_LEN + 1];
	int			 sort;		/* 0: null */
};

/* Who asks, as keyd said (public: no credential), and from where. */
struct access_who {
	int			 public;
	int			 has_ip;
	struct cidr		 ip;
	int			 admin;
	int			 app;
	char			 user[64];
	char			 role[64];
};

/* One request waiting for keyd (and maybe for keyd or items again). */
struct access_ctx {
	struct server		*s;
	struct evhttp_request	*req;
	enum access_table	 table;
	enum access_view	 view;
	char			 id[ACCESS_ID_MAX + 1];	/* "" the list */
	char			 collection[CONF_IDENT_MAX];	/* ACCESS_ITEM */
	struct evkeyvalq	 params;
	struct access_who	 who;
	struct auth_result	 ar;		/* keyd's, for the item process */
	json_t			*users;		/* user -> role, from keyd */
	json_t			*held;		/* users' own access rows */
	size_t			 users_seen;	/* rows of keyd's pages */
};

static void	 access_start(struct server *, struct evhttp_request *,
		    enum access_table, enum access_view, const char *);
static void	 access_auth_done(struct pending *, struct frame *);
static void	 access_flags_here(struct access_ctx *);
static void	 access_users_done(struct pending *, struct frame *);
static void	 access_answer(struct access_ctx *);
static void	 access_ctx_free(struct access_ctx *);
static json_t	*access_find(json_t *, const char *);
static int	 access_field_known(enum access_table, const char *);

/* --- The model: policies, the access rows, who holds what. --- */

/*
 * The model is read here and in access_holding_get() alone.
 *
 * The i-th policy: 0 the administrator's (tokend.conf cannot name the
 * built-in administrator role, nor its policy), then those of
 * tokend.conf in its order.  0, or -1 past the last.
 */
static int
access_policy_get(const struct tokend_config *conf, size_t i,
    struct access_policy *p)
{
	const struct conf_policy	*cp;
	size_t				 n = 1;

	memset(p, 0, sizeof(*p));
	if (i == 0) {
		config_derived_id("policy", CONF_ADMIN_ROLE_ID, "", p->id);
		p->name = "Administrator";
		p->icon = "verified";
		p->description = "$t:admin_description";
		p->admin = p->app = 1;
		return 0;
	}
	TAILQ_FOREACH(cp, &conf->policies, entry)
		if (n++ == i)
			break;
	if (cp == NULL)
		return -1;
	(void)strlcpy(p->id, cp->id, sizeof(p->id));
	p->name = cp->name;
	p->icon = cp->kind == CONF_POLICY_PUBLIC ? "public" : "badge";
	p->description = cp->kind == CONF_POLICY_PUBLIC ?
	    "$t:public_description" : NULL;
	p->admin = cp->admin;
	p->app = cp->app;
	p->tfa = cp->enforce_tfa;
	p->ip_allow = cp->ip_allow;
	p->conf = cp;
	p->perms = &cp->perms;
	return 0;
}

/* The roles: the built-in administrator's, then the configured ones. */
static const char *
access_role_get(const struct tokend_config *conf, size_t i,
    const char **name)
{
	const struct conf_role	*r;
	size_t			 n = 1;

	if (i == 0) {
		*name = "Administrator";
		return CONF_ADMIN_ROLE_ID;
	}
	TAILQ_FOREACH(r, &conf->roles, entry)
		if (n++ == i) {
			*name = r->name;
			return r->id;
		}
	return NULL;
}

/*
 * The i-th access row: the administrator role holds the administrator
 * policy, each role the policies it lists (its own first), the public
 * the public policy and those public { } names.  0, or -1 past the
 * last.
 */
static int
access_holding_get(const struct tokend_config *conf, size_t i,
    struct access_holding *h)
{
	const struct conf_role	*r;
	size_t			 n = 1;

	memset(h, 0, sizeof(*h));
	if (i == 0) {
		h->role = CONF_ADMIN_ROLE_ID;
		config_derived_id("policy", CONF_ADMIN_ROLE_ID, "", h->policy);
		return 0;
	}
	TAILQ_FOREACH(r, &conf->roles, entry) {
		if (i - n < r->policies.n) {
			h->role = r->id;
			(void)strlcpy(h->policy, r->policies.v[i - n]->id,
			    sizeof(h->policy));
			return 0;
		}
		n += r->policies.n;
	}
	if (i - n >= conf->public.n)
		return -1;
	/* The public's rows are ordered, the public policy first. */
	(void)strlcpy(h->policy, conf->public.v[i - n]->id,
	    sizeof(h->policy));
	h->sort = (int)(i - n) + 1;
	return 0;
}

/*
 * Does the policy apply to the caller?  Those its role holds, those it
 * holds itself, and the public's to callers without a role (Directus
 * 11's rule, fetchPolicies).
 */
static int
access_policy_applies(const struct tokend_config *conf,
    const struct access_policy *p, const struct access_who *who)
{
	struct access_holding	 h;
	const struct conf_role	*chain[CONF_ROLES_MAX], *r;
	size_t			 i, k, n = 0;
	int			 held;

	/* A policy that names the networks it applies from (ip-allow). */
	if (p->conf != NULL && !config_policy_ip_applies(p->conf,
	    who->has_ip ? &who->ip : NULL))
		return 0;
	/* The caller's role and its parents (Directus 11.3.5). */
	if ((r = config_role_by_id(conf, who->role)) != NULL)
		n = config_role_chain(conf, r, chain, CONF_ROLES_MAX);
	for (i = 0; access_holding_get(conf, i, &h) == 0; i++) {
		if (strcmp(h.policy, p->id) != 0)
			continue;
		for (k = 0, held = 0; h.role != NULL && k < n; k++)
			held |= strcmp(h.role, chain[k]->id) == 0;
		if (held)
			return 1;
		if (h.role != NULL ? strcmp(h.role, who->role) == 0 :
		    h.user != NULL ? strcmp(h.user, who->user) == 0 :
		    who->role[0] == '\0')
			return 1;
	}
	return 0;
}

/* An access row as Directus shows it, its id derived from what it joins. */
static json_t *
access_row(const struct access_holding *h)
{
	char	 id[CONF_UUID_LEN + 1];

	config_derived_id("access", h->role != NULL ? h->role : h->user !=
	    NULL ? h->user : "", h->policy, id);
	return json_pack("{s:s,s:s?,s:s?,s:s,s:o}", "id", id, "role", h->role,
	    "user", h->user, "policy", h->policy, "sort", h->sort != 0 ?
	    json_integer(h->sort) : json_null());
}

/* --- Rows as Directus shows them. --- */

/* JSON text from the configuration (checked by the parser), or null. */
static json_t *
access_json_text(const char *text)
{
	json_t	*v;

	if (text == NULL || (v = json_loads(text, 0, NULL)) == NULL)
		return json_null();
	return v;
}

static json_t *
access_fields_json(const struct conf_fields *f)
{
	json_t	*a;
	size_t	 k;

	if ((a = json_array()) == NULL)
		return NULL;
	if (f->all)
		json_array_append_new(a, json_string("*"));
	for (k = 0; k < f->n; k++)
		json_array_append_new(a, json_string(f->names[k]));
	return a;
}

/*
 * Every permission row, one per action as Directus keeps them, numbered
 * from 1 in the order of the policies.
 */
static json_t *
access_permissions(const struct tokend_config *conf)
{
	const struct conf_permission	*pm;
	struct access_policy		 p;
	json_t				*list, *row;
	json_int_t			 n = 0;
	size_t				 i, a;

	if ((list = json_array()) == NULL)
		return NULL;
	for (i = 0; access_policy_get(conf, i, &p) == 0; i++) {
		if (p.perms == NULL)
			continue;
		TAILQ_FOREACH(pm, p.perms, entry)
			for (a = 0; a < ACCESS_N(access_actions); a++) {
				if (!(pm->actions & access_actions[a].bit))
					continue;
				row = json_pack("{s:I,s:s,s:s,s:o,s:o,s:o,"
				    "s:o,s:s}", "id", ++n, "collection",
				    pm->collection, "action",
				    access_actions[a].name, "permissions",
				    access_json_text(pm->filter), "validation",
				    access_json_text(pm->validation),
				    "presets", access_json_text(pm->presets),
				    "fields", access_fields_json(&pm->fields),
				    "policy", p.id);
				if (row == NULL ||
				    json_array_append_new(list, row) == -1) {
					json_decref(list);
					return NULL;
				}
			}
	}
	return list;
}

/*
 * The access rows: those of tokend.conf, then held (NULL: none), the
 * rows of the policies users hold themselves, which keyd keeps.
 */
static json_t *
access_rows(const struct tokend_config *conf, json_t *held)
{
	struct access_holding	 h;
	json_t			*list;
	size_t			 i;

	if ((list = json_array()) == NULL)
		return NULL;
	for (i = 0; access_holding_get(conf, i, &h) == 0; i++)
		json_array_append_new(list, access_row(&h));
	if (held != NULL && json_array_extend(list, held) == -1) {
		json_decref(list);
		return NULL;
	}
	return list;
}

/* ip-allow's networks as Directus's ip_access list, or null. */
static json_t *
access_ip_json(const char *text)
{
	json_t	*list;
	size_t	 n;
	char	 net[CONF_TEXT_MAX];

	if (text == NULL || (list = json_array()) == NULL)
		return json_null();
	for (text += strspn(text, " \t,"); *text != '\0';
	    text += strspn(text, " \t,")) {
		n = strcspn(text, " \t,");
		if (n < sizeof(net)) {
			memcpy(net, text, n);
			net[n] = '\0';
			json_array_append_new(list, json_string(net));
		}
		text += n;
	}
	return list;
}

/* The ids of the rows whose member key is value. */
static json_t *
access_ids_where(json_t *rows, const char *key, const char *value)
{
	json_t		*ids, *row;
	const char	*v;
	size_t		 i;

	if ((ids = json_array()) == NULL)
		return NULL;
	json_array_foreach(rows, i, row)
		if ((v = json_string_value(json_object_get(row, key))) !=
		    NULL && strcmp(v, value) == 0)
			json_array_append(ids, json_object_get(row, "id"));
	return ids;
}

/*
 * The policies, each with the ids of its permission rows and of its
 * access rows (held: those of users, as access_rows()), which Directus
 * lists twice: as its users and its roles.
 */
static json_t *
access_policies(const struct tokend_config *conf, json_t *held)
{
	struct access_policy	 p;
	json_t			*list, *perms, *rows, *one, *ids;
	size_t			 i;

	list = json_array();
	perms = access_permissions(conf);
	rows = access_rows(conf, held);
	for (i = 0; list != NULL && perms != NULL && rows != NULL &&
	    access_policy_get(conf, i, &p) == 0; i++) {
		ids = access_ids_where(rows, "policy", p.id);
		one = json_pack("{s:s,s:s,s:s,s:s?,s:o,s:b,s:b,s:b,s:o,s:O,"
		    "s:o}", "id", p.id, "name", p.name, "icon", p.icon,
		    "description", p.description, "ip_access",
		    access_ip_json(p.ip_allow), "enforce_tfa", p.tfa, "admin_access", p.admin, "app_access", p.app,
		    "permissions", access_ids_where(perms, "policy", p.id),
		    "users", ids, "roles", ids);
		if (one != NULL)
			json_array_append_new(list, one);
	}
	if (perms == NULL || rows == NULL) {
		json_decref(list);
		list = NULL;
	}
	json_decref(perms);
	json_decref(rows);
	return list;
}

/*
 * The roles.  users (user id -> role id, from keyd) gives each role its
 * users; NULL when the caller may see none but itself.
 */
static json_t *
access_roles(const struct tokend_config *conf, const struct access_who *who,
    json_t *users)
{
	const struct conf_role	*r;
	const char		*id, *name, *uid;
	json_t			*list, *one, *pol, *us, *rows, *v;
	size_t			 i;

	if ((list = json_array()) == NULL ||
	    (rows = access_rows(conf, NULL)) == NULL) {
		json_decref(list);
		return NULL;
	}
	for (i = 0; (id = access_role_get(conf, i, &name)) != NULL; i++) {
		pol = access_ids_where(rows, "role", id);
		us = json_array();
		if (users != NULL) {
			json_object_foreach(users, uid, v)
				if (json_is_string(v) &&
				    strcmp(json_string_value(v), id) == 0)
					json_array_append_new(us,
					    json_string(uid));
		} else if (strcmp(who->role, id) == 0)
			json_array_append_new(us, json_string(who->user));
		r = config_role_by_id(conf, id);
		one = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:o,s:o,s:o}", "id",
		    id, "name", name, "icon", i == 0 ? "verified" :
		    "supervised_user_circle", "description", i == 0 ?
		    "$t:admin_description" : NULL, "parent", r != NULL &&
		    r->parent[0] != '\0' ? r->parent : NULL, "children",
		    config_role_children(conf, id), "policies", pol, "users",
		    us);
		if (one != NULL)
			json_array_append_new(list, one);
	}
	json_decref(rows);
	return list;
}

/*
 * The policy of id as GET /policies shows it, for a user's
 * "policies.policy.*" (auth.c), or NULL when there is none.
 */
json_t *
access_policy_json(const struct tokend_config *conf, const char *id)
{
	json_t	*list, *one = NULL;

	if ((list = access_policies(conf, NULL)) != NULL &&
	    (one = access_find(list, id)) != NULL)
		json_incref(one);
	json_decref(list);
	return one;
}

/* Is name a field of a policy? */
int
access_policy_field(const char *name)
{
	return access_field_known(ACCESS_POLICIES, name);
}

/* --- The caller's own access. --- */

static void
access_info_add(json_t *info, const char *action, json_t *filter,
    json_t *fields, json_t *presets)
{
	json_t		*one = json_object_get(info, action), *have, *f;
	const char	*access = json_string_value(json_object_get(one,
			    "access"));
	size_t		 i, k;

	if (strcmp(access, "none") == 0)
		json_object_set_new(one, "access", json_string("full"));
	if (json_is_object(filter) && json_object_size(filter) > 0)
		json_object_set_new(one, "access", json_string("partial"));
	have = json_object_get(one, "fields");
	if (json_is_array(fields) && !(json_array_size(have) > 0 &&
	    strcmp(json_string_value(json_array_get(have, 0)), "*") == 0)) {
		if (have == NULL) {
			have = json_array();
			json_object_set_new(one, "fields", have);
		}
		json_array_foreach(fields, i, f) {
			for (k = 0; k < json_array_size(have); k++)
				if (json_equal(json_array_get(have, k), f))
					break;
			if (k == json_array_size(have))
				json_array_append(have, f);
			if (strcmp(json_string_value(f), "*") == 0) {
				json_array_clear(have);
				json_array_append_new(have, json_string("*"));
				break;
			}
		}
	}
	if (json_is_object(presets)) {
		if (json_object_get(one, "presets") == NULL)
			json_object_set_new(one, "presets", json_object());
		json_object_update(json_object_get(one, "presets"), presets);
	}
}

/* One permission row into the caller's merged access (Directus's). */
static void
access_merge_row(json_t *access, json_t *row, const struct query_vars *vars)
{
	const char	*coll = json_string_value(json_object_get(row,
			    "collection"));
	json_t		*info, *presets, *v, *r;
	const char	*key;

	if ((info = json_object_get(access, coll)) == NULL) {
		info = json_pack("{s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s}}",
		    "read", "access", "none", "create", "access", "none",
		    "update", "access", "none", "delete", "access", "none",
		    "share", "access", "none");
		if (info == NULL)
			return;
		json_object_set_new(access, coll, info);
	}
	/* The presets' variables are the caller's, as Directus shows them. */
	presets = json_object_get(row, "presets");
	json_object_foreach(presets, key, v)
		if ((r = query_var_value(v, vars)) != NULL)
			(void)json_object_set_new(presets, key, r);
	access_info_add(info, json_string_value(json_object_get(row,
	    "action")), json_object_get(row, "permissions"),
	    json_object_get(row, "fields"), presets);
}

/* The ids of the policies that apply to the caller. */
static json_t *
access_caller_policies(const struct tokend_config *conf,
    const struct access_who *who)
{
	struct access_policy	 p;
	json_t			*ids;
	size_t			 i;

	if ((ids = json_array()) == NULL)
		return NULL;
	for (i = 0; access_policy_get(conf, i, &p) == 0; i++)
		if (access_policy_applies(conf, &p, who))
			json_array_append_new(ids, json_string(p.id));
	return ids;
}

static int
access_listed(json_t *ids, const char *id)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(ids, i, v)
		if (strcmp(json_string_value(v), id) == 0)
			return 1;
	return 0;
}

/* Full access to every action of every collection: an administrator's. */
static json_t *
access_permissions_admin(const struct tokend_config *conf)
{
	const struct conf_collection	*c;
	json_t				*access, *one;
	size_t				 i, a, n;

	if ((access = json_object()) == NULL)
		return NULL;
	n = ACCESS_N(access_system_collections);
	c = TAILQ_FIRST(&conf->collections);
	for (i = 0; i < n || c != NULL; i++) {
		if ((one = json_object()) == NULL)
			break;
		for (a = 0; a < ACCESS_N(access_actions); a++)
			json_object_set_new(one, access_actions[a].name,
			    json_pack("{s:s,s:[s]}", "access", "full",
			    "fields", "*"));
		json_object_set_new(one, "share", json_pack("{s:s,s:[s]}",
		    "access", "full", "fields", "*"));
		if (i < n)
			json_object_set_new(access,
			    access_system_collections[i], one);
		else {
			json_object_set_new(access, c->name, one);
			c = TAILQ_NEXT(c, entry);
		}
	}
	return access;
}

/*
 * GET /permissions/me: every collection and action the caller may use,
 * merged from the policies that apply to it and the minimal access of
 * the app, as Directus 11's fetchAccountabilityCollectionAccess.
 */
static json_t *
access_permissions_me(const struct tokend_config *conf,
    const struct access_who *who)
{
	json_t			*access, *perms, *mine, *sys, *row;
	struct query_vars	 vars;
	char			 now[32];
	size_t			 i;

	if (who->admin)
		return access_permissions_admin(conf);
	query_now(now, sizeof(now));
	vars = (struct query_vars){ who->public ? NULL : who->user,
	    who->public || who->role[0] == '\0' ? NULL : who->role, now };
	access = json_object();
	perms = access_permissions(conf);
	mine = access_caller_policies(conf, who);
	sys = who->app ? json_loads(access_app_minimal, 0, NULL) :
	    json_array();
	if (access == NULL || perms == NULL || mine == NULL || sys == NULL) {
		json_decref(access);
		access = NULL;
	} else {
		json_array_foreach(perms, i, row)
			if (access_listed(mine, json_string_value(
			    json_object_get(row, "policy"))))
				access_merge_row(access, row, &vars);
		json_array_foreach(sys, i, row)
			access_merge_row(access, row, &vars);
	}
	json_decref(perms);
	json_decref(mine);
	json_decref(sys);
	return access;
}

/* GET /policies/me/globals */
static json_t *
access_globals(const struct tokend_config *conf,
    const struct access_who *who)
{
	struct access_policy	 p;
	size_t			 i;
	int			 tfa = 0;

	if (who->public)
		return json_pack("{s:b}", "app_access", 0);
	for (i = 0; access_policy_get(conf, i, &p) == 0; i++)
		if (p.tfa && access_policy_applies(conf, &p, who))
			tfa = 1;
	return json_pack("{s:b,s:b,s:b}", "app_access", who->app,
	    "admin_access", who->admin, "enforce_tfa", tfa);
}

/* --- Queries on the tables: fields, filter, sort, limit, meta. --- */

static void
access_forbidden_in(struct evhttp_request *req, const char *what,
    const char *name, const char *collection)
{
	char	 msg[ACCESS_MSG_MAX];
	json_t	*body;
	char	*text;

	if (name != NULL)
		(void)snprintf(msg, sizeof(msg), "You don't have permission "
		    "to access %s \"%.64s\" in collection \"%s\" or it does "
		    "not exist. Queried in root.", what, name, collection);
	else
		(void)snprintf(msg, sizeof(msg), "You don't have permission "
		    "to access collection \"%s\" or it does not exist. "
		    "Queried in root.", collection);
	body = json_pack("{s:[{s:s,s:{s:s,s:s}}]}", "errors", "message", msg,
	    "extensions", "reason", msg, "code", "FORBIDDEN");
	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL)
		auth_error(req, AUTH_INTERNAL);
	else {
		http_error_buf(req, 403, text, strlen(text));
		free(text);
	}
	json_decref(body);
}

static int
access_field_known(enum access_table t, const char *name)
{
	size_t	 i;

	for (i = 0; access_tables[t].fields[i] != NULL; i++)
		if (strcmp(access_tables[t].fields[i], name) == 0)
			return 1;
	return 0;
}

struct access_walk {
	enum access_table	 table;
	const char		*bad;
};

static int
access_walk_field(void *arg, const char *field)
{
	struct access_walk	*w = arg;

	if (access_field_known(w->table, field))
		return 0;
	w->bad = field;
	return -1;
}

/*
 * The query string: the parameters Directus's SDK sends for a list,
 * each at most once; any other parameter is refused by name rather than
 * ignored.  0, or -1 when the request was answered.
 */
static int
access_query(struct access_ctx *c, struct query *q)
{
	static const char *const names[] = { "fields", "filter", "sort",
	    "limit", "offset", "page", "meta" };
	const char		*v[7] = { NULL };
	struct query_params	 qp;
	struct evkeyval		*kv;
	struct access_walk	 w = { c->table, NULL };
	char			 reason[QUERY_REASON_MAX], msg[ACCESS_MSG_MAX];
	char			*key;
	size_t			 i;

	TAILQ_FOREACH(kv, &c->params, next) {
		/* The name as the client meant it: filter%5B is filter[. */
		if ((key = evhttp_uridecode(kv->key, 1, NULL)) == NULL) {
			auth_error(c->req, AUTH_INTERNAL);
			return -1;
		}
		for (i = 0; i < ACCESS_N(names); i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if ((i < ACCESS_N(names) && v[i] == NULL) ||
		    strcmp(key, "access_token") == 0) {
			if (i < ACCESS_N(names))
				v[i] = kv->value;
			free(key);
			continue;
		}
		if (i < ACCESS_N(names))
			(void)snprintf(msg, sizeof(msg), "Invalid query. "
			    "\"%s\" is given more than once.", names[i]);
		else {
			/* Printable ASCII alone goes back to the client. */
			key[strcspn(key, "[")] = '\0';
			for (i = 0; key[i] != '\0'; i++)
				if (key[i] < 0x20 || key[i] >= 0x7f ||
				    key[i] == '"' || key[i] == '\\')
					key[i] = '?';
			(void)snprintf(msg, sizeof(msg), "Invalid query. "
			    "\"%.32s\" is not supported on /%s.", key,
			    access_tables[c->table].collection + 9);
		}
		free(key);
		http_error(c->req, 400, "INVALID_QUERY", msg);
		return -1;
	}
	qp = (struct query_params){ v[0], v[1], v[2], v[3], v[4], v[5], v[6],
	    NULL, NULL, NULL };
	if (query_parse(q, &qp, server_conf()->query_limit, reason,
	    sizeof(reason)) == -1) {
		(void)snprintf(msg, sizeof(msg), "Invalid query. %s.", reason);
		http_error(c->req, 400, "INVALID_QUERY", msg);
		return -1;
	}
	/*
	 * "users.*", "policies.*" and the like: not built here; refused
	 * rather than left out of a 200.
	 */
	if (q->nrels > 0) {
		(void)snprintf(msg, sizeof(msg), "Invalid query. \"fields\" "
		    "does not nest \"%s\" on /%s: ask for the ids.",
		    q->rels[0].field, access_tables[c->table].collection + 9);
		http_error(c->req, 400, "INVALID_QUERY", msg);
		query_free(q);
		return -1;
	}
	for (i = 0; i < q->fields.n && w.bad == NULL; i++)
		if (!access_field_known(c->table, q->fields.names[i]))
			w.bad = q->fields.names[i];
	for (i = 0; i < q->nsort && w.bad == NULL; i++)
		if (!access_field_known(c->table, q->sort[i].field))
			w.bad = q->sort[i].field;
	if (w.bad == NULL)
		(void)query_node_fields(q->filter, access_walk_field, &w);
	if (w.bad != NULL) {
		access_forbidden_in(c->req, "field", w.bad,
		    access_tables[c->table].collection);
		query_free(q);
		return -1;
	}
	return 0;
}

/* The order of two values as SQLite sorts them: null, numbers, text. */
static int
access_value_cmp(json_t *a, json_t *b)
{
	int	 ka, kb;
	double	 x, y;

	ka = a == NULL || json_is_null(a) ? 0 : json_is_string(a) ? 2 : 1;
	kb = b == NULL || json_is_null(b) ? 0 : json_is_string(b) ? 2 : 1;
	if (ka != kb || ka == 0)
		return ka - kb;
	if (ka == 2)
		return strcmp(json_string_value(a), json_string_value(b));
	x = json_is_boolean(a) ? json_is_true(a) : json_number_value(a);
	y = json_is_boolean(b) ? json_is_true(b) : json_number_value(b);
	return x < y ? -1 : x > y;
}

/* qsort has no argument: the worker sorts one list at a time. */
static const struct query	*access_sort_q;

struct access_sorted {
	json_t		*row;
	size_t		 at;
};

static int
access_sort_cmp(const void *va, const void *vb)
{
	const struct access_sorted	*a = va, *b = vb;
	size_t				 i;
	int				 d;

	for (i = 0; i < access_sort_q->nsort; i++) {
		d = access_value_cmp(json_object_get(a->row,
		    access_sort_q->sort[i].field), json_object_get(b->row,
		    access_sort_q->sort[i].field));
		if (d != 0)
			return access_sort_q->sort[i].desc ? -d : d;
	}
	return a->at < b->at ? -1 : a->at > b->at;
}

static json_t *
access_sort(json_t *rows, const struct query *q)
{
	struct access_sorted	*v;
	json_t			*out;
	size_t			 i, n = json_array_size(rows);

	if (q->nsort == 0 || n < 2)
		return json_incref(rows);
	if ((v = calloc(n, sizeof(*v))) == NULL || (out = json_array()) ==
	    NULL) {
		free(v);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		v[i].row = json_array_get(rows, i);
		v[i].at = i;
	}
	access_sort_q = q;
	qsort(v, n, sizeof(*v), access_sort_cmp);
	access_sort_q = NULL;
	for (i = 0; i < n; i++)
		json_array_append(out, v[i].row);
	free(v);
	return out;
}

/* Keep the fields the query names ("*" or none: all). */
static void
access_cut(json_t *row, const struct conf_fields *f)
{
	const char	*key;
	json_t		*v;
	void		*tmp;
	size_t		 i;

	if (f->all)
		return;
	json_object_foreach_safe(row, tmp, key, v) {
		for (i = 0; i < f->n; i++)
			if (strcmp(f->names[i], key) == 0)
				break;
		if (i == f->n)
			json_object_del(row, key);
	}
}

struct access_counts {
	int64_t		 total;
	int64_t		 filtered;
};

static int
access_meta_count(void *arg, int with_filter, int64_t *n)
{
	struct access_counts	*k = arg;

	*n = with_filter ? k->filtered : k->total;
	return 0;
}

/*
 * The rows the query selects, in its order, page and fields; meta when
 * asked.  rows is the caller's.
 */
static json_t *
access_select(struct access_ctx *c, json_t *rows, const struct query *q,
    json_t **meta)
{
	struct access_counts	 k;
	struct query_vars	 vars;
	json_t			*kept, *sorted, *out, *row;
	char			 now[32];
	size_t			 i;

	*meta = NULL;
	query_now(now, sizeof(now));
	vars.user = c->who.user[0] != '\0' ? c->who.user : NULL;
	vars.role = c->who.role[0] != '\0' ? c->who.role : NULL;
	vars.now = now;
	if ((kept = json_array()) == NULL || (out = json_array()) == NULL) {
		json_decref(kept);
		return NULL;
	}
	json_array_foreach(rows, i, row)
		if (q->filter == NULL || query_node_match(q->filter, row,
		    &vars) == 1)
			json_array_append(kept, row);
	k.total = (int64_t)json_array_size(rows);
	k.filtered = (int64_t)json_array_size(kept);
	if ((sorted = access_sort(kept, q)) == NULL) {
		json_decref(kept);
		json_decref(out);
		return NULL;
	}
	for (i = (size_t)q->offset; i < json_array_size(sorted) &&
	    (q->limit < 0 || json_array_size(out) < (size_t)q->limit); i++) {
		row = json_deep_copy(json_array_get(sorted, i));
		access_cut(row, &q->fields);
		json_array_append_new(out, row);
	}
	json_decref(kept);
	json_decref(sorted);
	if (q->meta != 0)
		*meta = query_meta(q->meta, access_meta_count, &k);
	return out;
}

/* --- The requests. --- */

static void
access_ctx_free(struct access_ctx *c)
{
	evhttp_clear_headers(&c->params);
	json_decref(c->users);
	json_decref(c->held);
	explicit_bzero(&c->who, sizeof(c->who));
	explicit_bzero(&c->ar, sizeof(c->ar));
	free(c);
}

/* Send {"data": data[, "meta": meta]} (both taken). */
static void
access_send(struct evhttp_request *req, json_t *data, json_t *meta)
{
	json_t	*wrap;
	char	*text = NULL;

	if (data == NULL) {
		json_decref(meta);
		auth_error(req, AUTH_INTERNAL);
		return;
	}
	wrap = json_pack("{s:o}", "data", data);
	if (wrap != NULL && meta != NULL)
		(void)json_object_set_new(wrap, "meta", meta);
	else
		json_decref(meta);
	if (wrap == NULL || (text = json_dumps(wrap, JSON_COMPACT)) == NULL)
		auth_error(req, AUTH_INTERNAL);
	else
		http_json(req, 200, text);
	free(text);
	json_decref(wrap);
}

/* The row of that id in rows, or NULL. */
static json_t *
access_find(json_t *rows, const char *id)
{
	json_t	*row, *v;
	char	 num[32];
	size_t	 i;

	json_array_foreach(rows, i, row) {
		v = json_object_get(row, "id");
		if (json_is_integer(v)) {
			(void)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
			if (strcmp(num, id) == 0)
				return row;
		} else if (json_is_string(v) &&
		    strcmp(json_string_value(v), id) == 0)
			return row;
	}
	return NULL;
}

/*
 * The rows of the table the caller may read, all fields (NULL when it
 * may read none): an administrator reads them all; a user with app
 * access its own roles, without the policies they hold.
 */
static json_t *
access_table_rows(struct access_ctx *c)
{
	const struct tokend_config	*conf = server_conf();
	json_t				*rows, *mine, *row;
	size_t				 i;

	if (c->who.public || (!c->who.admin && (c->table != ACCESS_ROLES ||
	    !c->who.app)))
		return NULL;
	switch (c->table) {
	case ACCESS_POLICIES:
		return access_policies(conf, c->held);
	case ACCESS_PERMISSIONS:
		return access_permissions(conf);
	case ACCESS_ACCESS:
		return access_rows(conf, c->held);
	default:
		break;
	}
	if ((rows = access_roles(conf, &c->who, c->users)) == NULL ||
	    c->who.admin)
		return rows;
	if ((mine = json_array()) != NULL)
		json_array_foreach(rows, i, row)
			if (strcmp(json_string_value(json_object_get(row,
			    "id")), c->who.role) == 0) {
				json_object_del(row, "policies");
				json_array_append(mine, row);
			}
	json_decref(rows);
	return mine;
}

/* Directus lists these by primary key; directus_access by its sort. */
static void
access_default_sort(struct access_ctx *c, struct query *q)
{
	if (q->nsort != 0 || c->table == ACCESS_ACCESS)
		return;
	(void)strlcpy(q->sort[0].field, "id", sizeof(q->sort[0].field));
	q->nsort = 1;
}

/* GET /<table> and /<table>/<id> */
static void
access_list(struct access_ctx *c)
{
	struct query	 q;
	json_t		*rows, *one, *data, *meta = NULL, *sys, *row;
	size_t		 i;

	if ((rows = access_table_rows(c)) == NULL) {
		if (c->who.public || !c->who.admin)
			access_forbidden_in(c->req, NULL, NULL,
			    access_tables[c->table].collection);
		else
			auth_error(c->req, AUTH_INTERNAL);
		return;
	}
	if (access_query(c, &q) == -1) {
		json_decref(rows);
		return;
	}
	if (c->id[0] != '\0') {
		if ((one = access_find(rows, c->id)) == NULL)
			auth_error(c->req, AUTH_FORBIDDEN);
		else {
			data = json_deep_copy(one);
			access_cut(data, &q.fields);
			access_send(c->req, data, NULL);
		}
		json_decref(rows);
		query_free(&q);
		return;
	}
	access_default_sort(c, &q);
	data = access_select(c, rows, &q, &meta);
	/* Directus adds the app's minimal permissions to any list of them. */
	if (data != NULL && c->table == ACCESS_PERMISSIONS && c->who.app &&
	    (sys = json_loads(access_app_minimal, 0, NULL)) != NULL) {
		json_array_foreach(sys, i, row)
			if (q.filter == NULL || query_node_match(q.filter, row,
			    NULL) == 1)
				json_array_append(data, row);
		json_decref(sys);
	}
	access_send(c->req, data, meta);
	json_decref(rows);
	query_free(&q);
}

/*
 * GET /roles/me: the caller's roles, every one (limit -1), with the
 * query's fields, filter and sort; a caller that may not read roles
 * gets their ids alone, as Directus answers.
 */
static void
access_roles_me(struct access_ctx *c)
{
	struct query	 q;
	json_t		*rows, *mine, *row, *data, *meta;
	size_t		 i;

	if (c->who.public) {
		auth_error(c->req, AUTH_FORBIDDEN);
		return;
	}
	if (!c->who.admin && !c->who.app) {
		data = c->who.role[0] != '\0' ? json_pack("[{s:s}]", "id",
		    c->who.role) : json_array();
		access_send(c->req, data, NULL);
		return;
	}
	if ((rows = access_table_rows(c)) == NULL) {
		auth_error(c->req, AUTH_INTERNAL);
		return;
	}
	if (access_query(c, &q) == -1) {
		json_decref(rows);
		return;
	}
	mine = json_array();
	json_array_foreach(rows, i, row)
		if (strcmp(json_string_value(json_object_get(row, "id")),
		    c->who.role) == 0)
			json_array_append(mine, row);
	q.limit = -1;
	q.offset = 0;
	q.meta = 0;
	access_default_sort(c, &q);
	data = access_select(c, mine, &q, &meta);
	access_send(c->req, data, meta);
	json_decref(mine);
	json_decref(rows);
	query_free(&q);
}

/*
 * GET /permissions/me/<collection>[/<key>]: may the caller update,
 * delete or share the item (or some item)?  An administrator may; for
 * an item of a configured collection the item process answers, which
 * applies the same permissions as to a PATCH or DELETE; for users,
 * keyd.  Elsewhere nothing may be changed.
 */
static void
access_item(struct access_ctx *c)
{
	const struct tokend_config	*conf = server_conf();
	const char			*key = c->id;

	if (c->who.public || c->who.user[0] == '\0') {
		auth_error(c->req, AUTH_FORBIDDEN);
		return;
	}
	if (c->who.admin) {
		access_send(c->req, json_pack("{s:{s:b},s:{s:b},s:{s:b}}",
		    "update", "access", 1, "delete", "access", 1, "share",
		    "access", 1), NULL);
		return;
	}
	if (config_collection(conf, c->collection) != NULL) {
		items_access(c->s, c->req, &c->ar, c->collection, key);
		return;
	}
	/* No user has a longer id: keyd would say the same. */
	if (strcmp(c->collection, CONF_USERS_COLLECTION) == 0 &&
	    strlen(key) <= AUTH_ID_LEN) {
		users_access(c->s, c->req, key);
		return;
	}
	access_send(c->req, json_pack("{s:{s:b},s:{s:b},s:{s:b}}", "update",
	    "access", 0, "delete", "access", 0, "share", "access", 0), NULL);
}

static void
access_answer(struct access_ctx *c)
{
	const struct tokend_config	*conf = server_conf();

	switch (c->view) {
	case ACCESS_GLOBALS:
		access_send(c->req, access_globals(conf, &c->who), NULL);
		break;
	case ACCESS_PERMS_ME:
		if (c->who.public || c->who.user[0] == '\0')
			auth_error(c->req, AUTH_FORBIDDEN);
		else
			access_send(c->req, access_permissions_me(conf,
			    &c->who), NULL);
		break;
	case ACCESS_ITEM:
		access_item(c);
		break;
	case ACCESS_ROLES_ME:
		access_roles_me(c);
		break;
	default:
		access_list(c);
		break;
	}
}

/* Does the query's fields (absent: all) name one of the two, or "*"? */
static int
access_fields_name(struct access_ctx *c, const char *a, const char *b)
{
	const char	*fields;
	size_t		 n;

	if ((fields = evhttp_find_header(&c->params, "fields")) == NULL)
		return 1;
	for (; *fields != '\0'; fields += strcspn(fields, ",")) {
		fields += *fields == ',';
		n = strcspn(fields, ",");
		if ((n == strlen(a) && strncmp(fields, a, n) == 0) ||
		    (b != NULL && n == strlen(b) && strncmp(fields, b, n) ==
		    0) || fields[0] == '*')
			return 1;
	}
	return 0;
}

/*
 * Does the answer list the users of roles?  Only an administrator's
 * does (others see themselves alone), and only when its fields ask.
 */
static int
access_wants_users(struct access_ctx *c)
{
	if (!c->who.admin || c->table != ACCESS_ROLES ||
	    (c->view != ACCESS_LIST && c->view != ACCESS_ROLES_ME))
		return 0;
	return access_fields_name(c, "users", NULL);
}

/*
 * Does the answer list the access rows of the policies users hold
 * themselves, which keyd keeps?  /access always, /policies where its
 * fields ask for a policy's users or roles; only to an administrator,
 * the one who may read either.
 */
static int
access_wants_held(struct access_ctx *c)
{
	if (!c->who.admin || c->view != ACCESS_LIST)
		return 0;
	return c->table == ACCESS_ACCESS || (c->table == ACCESS_POLICIES &&
	    access_fields_name(c, "users", "roles"));
}

/*
 * keyd's admin and app access leave out the policies with ip-allow (it
 * cannot know where a credential is used from): those that let this
 * request's address in add theirs, as Directus 11.3.5 applies them.
 */
static void
access_flags_here(struct access_ctx *c)
{
	struct perm_who	 who;
	int		 admin, app, tfa;

	if (!c->who.has_ip || (c->who.role[0] == '\0' &&
	    c->ar.policies[0] == '\0'))
		return;
	memset(&who, 0, sizeof(who));
	who.user = c->who.user;
	who.role = c->who.role;
	who.policies = c->ar.policies;
	who.addr = &c->who.ip;
	perm_flags(server_conf(), &who, &admin, &app, &tfa);
	c->who.admin |= admin;
	c->who.app |= app;
}

static void
access_auth_done(struct pending *p, struct frame *f)
{
	struct access_ctx	*c = p->arg;

	if (f == NULL)
		c->ar.code = AUTH_UNAVAILABLE;
	else if (auth_result_read(f, &c->ar) == -1)
		c->ar.code = AUTH_INTERNAL;
	if (c->ar.code != AUTH_OK) {
		auth_error(c->req, c->ar.code);
		access_ctx_free(c);
		return;
	}
	c->who.admin = c->ar.admin;
	c->who.app = c->ar.app;
	(void)strlcpy(c->who.user, c->ar.user, sizeof(c->who.user));
	(void)strlcpy(c->who.role, c->ar.role, sizeof(c->who.role));
	access_flags_here(c);
	if (access_wants_held(c) && (c->held = json_array()) == NULL) {
		auth_error(c->req, AUTH_INTERNAL);
		access_ctx_free(c);
		return;
	}
	if (access_wants_users(c) || c->held != NULL) {
		if (users_read_roles(c->s, c->req, 0, c->held != NULL,
		    access_users_done, c) == -1)
			access_ctx_free(c);
		return;
	}
	access_answer(c);
	access_ctx_free(c);
}

/*
 * keyd's list of every user's id and role (MSG_USERS_RESULT), a page
 * at a time, for the users of each role.  A list that would stay short
 * of keyd's total (more than ACCESS_USERS_MAX users, or users added
 * between pages) would be a wrong answer: refused instead.
 */
static void
access_users_done(struct pending *p, struct frame *f)
{
	struct access_ctx	*c = p->arg;
	struct msg_users_result	 m;
	json_t			*body = NULL, *rows, *row, *held, *one;
	json_int_t		 total;
	size_t			 i, j;

	msg_clear(MSG_USERS_RESULT, &m);
	if (f == NULL || msg_read(f, MSG_USERS_RESULT, &m) == -1 ||
	    m.code != AUTH_OK || (body = json_loadb((const char *)m.json,
	    m.json_len, 0, NULL)) == NULL || (c->users == NULL &&
	    (c->users = json_object()) == NULL)) {
		auth_error(c->req, f == NULL ? AUTH_UNAVAILABLE :
		    m.code != AUTH_OK && m.code < AUTH_CODE_MAX ? m.code :
		    AUTH_INTERNAL);
		goto done;
	}
	rows = json_object_get(body, "data");
	total = json_integer_value(json_object_get(json_object_get(body,
	    "meta"), "total_count"));
	json_array_foreach(rows, i, row) {
		if (json_is_string(json_object_get(row, "id")))
			json_object_set(c->users, json_string_value(
			    json_object_get(row, "id")), json_object_get(row,
			    "role"));
		/* Nested by keyd: objects, never bare ids. */
		held = json_object_get(row, "policies");
		if (c->held != NULL && json_is_array(held))
			json_array_foreach(held, j, one)
				if (json_is_object(one))
					json_array_append(c->held, one);
	}
	c->users_seen += json_array_size(rows);
	if (total > ACCESS_USERS_MAX || (json_array_size(rows) == 0 &&
	    c->users_seen < (size_t)total)) {
		http_error(c->req, 400, "INVALID_QUERY", "Invalid query. "
		    "There are too many users to list the users of roles or "
		    "the policies users hold: ask for other fields.");
		goto done;
	}
	if (c->users_seen < (size_t)total) {
		json_decref(body);
		if (users_read_roles(c->s, c->req, c->users_seen,
		    c->held != NULL, access_users_done, c) == -1)
			access_ctx_free(c);
		return;
	}
	access_answer(c);
 done:
	json_decref(body);
	access_ctx_free(c);
}

/*
 * Every route's start: bound the path, read the query string, then ask
 * keyd who the credential is (no credential: the public policy).
 */
static void
access_start(struct server *s, struct evhttp_request *req,
    enum access_table table, enum access_view view, const char *rest)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*query, *slash;
	struct access_ctx	*c;
	size_t			 n;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		auth_error(req, AUTH_INTERNAL);
		return;
	}
	TAILQ_INIT(&c->params);
	c->s = s;
	c->req = req;
	c->table = table;
	c->view = view;
	if (view == ACCESS_ITEM) {
		/* "<collection>" or "<collection>/<key>" */
		slash = strchr(rest, '/');
		n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
		if (n == 0 || n >= sizeof(c->collection) || (slash != NULL &&
		    (slash[1] == '\0' || strchr(slash + 1, '/') != NULL))) {
			http_not_found(req, s);
			access_ctx_free(c);
			return;
		}
		memcpy(c->collection, rest, n);
		rest = slash != NULL ? slash + 1 : "";
	}
	if (strlen(rest) > ACCESS_ID_MAX) {
		auth_error(req, AUTH_FORBIDDEN);
		access_ctx_free(c);
		return;
	}
	(void)strlcpy(c->id, rest, sizeof(c->id));
	c->who.has_ip = http_client(req, &c->who.ip) != -1;
	query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	if (query != NULL && evhttp_parse_query_str(query, &c->params) == -1) {
		http_error(req, 400, "INVALID_QUERY",
		    "Invalid query. The query string is malformed.");
		access_ctx_free(c);
		return;
	}
	if (!auth_has_credential(s, req)) {
		c->who.public = 1;
		access_answer(c);
		access_ctx_free(c);
		return;
	}
	if (auth_authenticate(s, req, MSG_AUTH, NULL, 0, 0, access_auth_done,
	    c) == -1)
		access_ctx_free(c);
}

void
access_policies_read(struct server *s, struct evhttp_request *req,
    const char *id)
{
	access_start(s, req, ACCESS_POLICIES, ACCESS_LIST, id);
}

void
access_policies_globals(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	access_start(s, req, ACCESS_POLICIES, ACCESS_GLOBALS, "");
}

void
access_roles_read(struct server *s, struct evhttp_request *req,
    const char *id)
{
	access_start(s, req, ACCESS_ROLES, ACCESS_LIST, id);
}

void
access_roles_mine(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	access_start(s, req, ACCESS_ROLES, ACCESS_ROLES_ME, "");
}

void
access_permissions_read(struct server *s, struct evhttp_request *req,
    const char *id)
{
	access_start(s, req, ACCESS_PERMISSIONS, ACCESS_LIST, id);
}

void
access_permissions_mine(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	access_start(s, req, ACCESS_PERMISSIONS, ACCESS_PERMS_ME, "");
}

/* rest: "<collection>[/<key>]" */
void
access_permissions_item(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	access_start(s, req, ACCESS_PERMISSIONS, ACCESS_ITEM, rest);
}

void
access_access_read(struct server *s, struct evhttp_request *req,
    const char *id)
{
	access_start(s, req, ACCESS_ACCESS, ACCESS_LIST, id);
}

/*
 * Writes are refused whoever asks: tokend.conf is the only place where
 * roles, policies, permissions and who holds which are changed.
 */
void
access_readonly(struct server *s, struct evhttp_request *req,
    const char *id)
{
	http_error(req, 403, "FORBIDDEN", "Roles, policies, permissions "
	    "and access are read-only: tokend.conf is their source of "
	    "truth.");
}
