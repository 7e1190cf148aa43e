/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Permission checks over the configuration.  An administrator gets a
 * permission that covers everything; a role gets its own permission for
 * the collection and action, or else the public role's (every request
 * may do what the public may); no permission at all is a refusal.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "perm.h"

static const struct conf_permission perm_admin = {
	.actions = PERM_CREATE | PERM_READ | PERM_UPDATE | PERM_DELETE,
	.fields = { .all = 1 },
};

const struct conf_permission *
perm_lookup(const struct tokend_config *conf, const struct perm_who *who,
    const char *collection, int action)
{
	const struct conf_role		*role = NULL;
	const struct conf_permission	*p = NULL;
	size_t				 i;
	int				 admin, app, tfa;

	if (who->admin)
		return &perm_admin;
	if (who->role != NULL && *who->role != '\0')
		role = config_role_by_id(conf, who->role);
	config_role_access(role, &admin, &app, &tfa);
	if (admin)
		return &perm_admin;
	for (i = 0; role != NULL && p == NULL && i < role->policies.n; i++)
		p = config_permission(&role->policies.v[i]->perms, collection,
		    action);
	for (i = 0; p == NULL && i < conf->public.n; i++)
		p = config_permission(&conf->public.v[i]->perms, collection,
		    action);
	return p;
}

int
perm_field_allowed(const struct conf_permission *p, const char *field)
{
	return config_fields_has(&p->fields, field);
}

struct perm_walk {
	const struct conf_permission	*perm;
	const char			*bad;
};

static int
perm_walk_field(void *arg, const char *field)
{
	struct perm_walk	*w = arg;

	if (perm_field_allowed(w->perm, field))
		return 0;
	w->bad = field;
	return -1;
}

/*
 * Every field the query reads, filters or sorts on must be covered.
 * The reason names the field as Directus does, without saying whether
 * it exists.
 */
int
perm_query_check(const struct conf_permission *p, const struct query *q,
    char *reason, size_t len)
{
	struct perm_walk	 w = { p, NULL };
	size_t			 i;

	for (i = 0; w.bad == NULL && i < q->fields.n; i++)
		if (!perm_field_allowed(p, q->fields.names[i]))
			w.bad = q->fields.names[i];
	for (i = 0; w.bad == NULL && i < q->nsort; i++)
		if (!perm_field_allowed(p, q->sort[i].field))
			w.bad = q->sort[i].field;
	if (w.bad == NULL)
		(void)query_node_fields(q->filter, perm_walk_field, &w);
	if (w.bad == NULL)
		return 0;
	(void)snprintf(reason, len, "You don't have permission to access "
	    "field \"%s\" or it does not exist", w.bad);
	return -1;
}

/*
 * The permission's item filter as a tree (*out NULL when it has none).
 * -1 if it cannot be built: the caller refuses rather than run
 * unfiltered.
 */
int
perm_filter(const struct conf_permission *p, struct query_node **out)
{
	*out = NULL;
	if (p->filter == NULL)
		return 0;
	*out = query_filter_parse_text(p->filter, strlen(p->filter), NULL, 0);
	return *out != NULL ? 0 : -1;
}

/*
 * Validation looks at the fields a payload carries, as Directus does:
 * a condition on a field the payload leaves out holds.
 */
static int
perm_validate_node(const struct query_node *n, json_t *payload,
    const struct query_vars *vars)
{
	size_t	 i;
	int	 hit;

	if (n->op != QOP_AND && n->op != QOP_OR) {
		if (json_object_get(payload, n->field) == NULL)
			return 1;
		return query_node_match(n, payload, vars);
	}
	for (i = 0; i < n->nkids; i++) {
		hit = perm_validate_node(n->kids[i], payload, vars);
		if (hit != (n->op == QOP_AND))
			return hit;
	}
	return n->op == QOP_AND;
}

/* 1 when the payload passes the permission's validation, else 0. */
int
perm_validate(const struct conf_permission *p, json_t *payload,
    const struct query_vars *vars)
{
	struct query_node	*n;
	int			 ok;

	if (p->validation == NULL)
		return 1;
	n = query_filter_parse_text(p->validation, strlen(p->validation),
	    NULL, 0);
	if (n == NULL)
		return 0;
	ok = perm_validate_node(n, payload, vars);
	query_node_free(n);
	return ok;
}

/*
 * Fill the fields the payload leaves out from the presets (scalars, the
 * configuration checks), a variable ($CURRENT_USER, $CURRENT_ROLE, $NOW)
 * replaced with the request's value as Directus does (null when the
 * request has none).
 */
int
perm_presets(const struct conf_permission *p, json_t *payload,
    const struct query_vars *vars)
{
	json_t		*presets, *v, *r;
	const char	*key;
	int		 rv = 0;

	if (p->presets == NULL)
		return 0;
	if ((presets = json_loads(p->presets, 0, NULL)) == NULL)
		return -1;
	json_object_foreach(presets, key, v) {
		if (json_object_get(payload, key) != NULL)
			continue;
		if ((r = query_var_value(v, vars)) == NULL ||
		    json_object_set_new(payload, key, r) == -1)
			rv = -1;
	}
	json_decref(presets);
	return rv;
}
