/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Permission checks over the configuration, as Directus 11 merges
 * policies.  The policies that apply to a request are its user's role's,
 * its user's own, and the public ones for a caller without a role (no
 * token, or a user of no role: Directus 11.3.5 gives a user of a role
 * its role's policies and not the public's), less those whose ip-allow
 * leaves the client out.  Any of them with
 * admin-access gives an administrator's access.  Otherwise the
 * permissions they hold for a collection and action are merged: a
 * request may name every field one of them covers; it sees the rows
 * any of their filters matches; and in each row, a field one of them
 * covers only where that one's filter matches the row (elsewhere it
 * reads null).  A create or update passes every validation, and the
 * presets of a later policy win over an earlier one's.  These are the
 * answers Directus 11.3.5 gave (regress/unit/test_perm.c).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "perm.h"

static const struct conf_permission perm_admin = {
	.actions = PERM_CREATE | PERM_READ | PERM_UPDATE | PERM_DELETE,
	.fields = { .all = 1 },
};

static int
perm_policy_add(const struct conf_policy **out, size_t *n, size_t max,
    const struct conf_policy *p, const struct perm_who *who)
{
	size_t	 i;

	if (p == NULL || !config_policy_ip_applies(p, who->addr))
		return 0;
	for (i = 0; i < *n; i++)
		if (out[i] == p)
			return 0;
	if (*n >= max)
		return -1;
	out[(*n)++] = p;
	return 0;
}

/*
 * The policies that apply to who, each once, in order: the role's (its
 * parents' first), the user's own, and the public ones when who has no
 * role.  At most max,
 * into out; their number.
 */
size_t
perm_policies(const struct tokend_config *conf, const struct perm_who *who,
    const struct conf_policy **out, size_t max)
{
	const struct conf_role	*role = NULL, *chain[CONF_ROLES_MAX];
	const char		*s;
	char			 id[CONF_UUID_LEN + 1];
	size_t			 i, k, n = 0, len, nchain = 0;

	if (who->role != NULL && *who->role != '\0' &&
	    (role = config_role_by_id(conf, who->role)) != NULL)
		nchain = config_role_chain(conf, role, chain, CONF_ROLES_MAX);
	/* Its parents' policies first, as Directus 11.3.5 orders them. */
	for (k = 0; k < nchain; k++)
		for (i = 0; i < chain[k]->policies.n; i++)
			(void)perm_policy_add(out, &n, max,
			    chain[k]->policies.v[i], who);
	for (s = who->policies; s != NULL && *s != '\0'; s += len) {
		s += strspn(s, " ,");
		if ((len = strcspn(s, " ,")) == 0)
			break;
		if (len == CONF_UUID_LEN) {
			memcpy(id, s, len);
			id[len] = '\0';
			(void)perm_policy_add(out, &n, max,
			    config_policy_by_id(conf, id), who);
		}
	}
	if (who->role != NULL && *who->role != '\0')
		return n;
	for (i = 0; i < conf->public.n; i++)
		(void)perm_policy_add(out, &n, max, conf->public.v[i], who);
	return n;
}

/*
 * The access flags of the policies that apply: any one's admin-access,
 * app-access or enforce-tfa gives it.  The built-in administrator role
 * has admin and app access.  who->admin (a ticket's word) gives admin.
 */
void
perm_flags(const struct tokend_config *conf, const struct perm_who *who,
    int *admin, int *app, int *tfa)
{
	const struct conf_policy	*pols[PERM_SOURCES_MAX];
	size_t				 i, n;

	*admin = who->admin != 0;
	*app = *tfa = 0;
	if (who->role != NULL && strcmp(who->role, CONF_ADMIN_ROLE_ID) == 0)
		*admin = *app = 1;
	n = perm_policies(conf, who, pols, PERM_SOURCES_MAX);
	for (i = 0; i < n; i++) {
		*admin |= pols[i]->admin;
		*app |= pols[i]->app;
		*tfa |= pols[i]->enforce_tfa;
	}
}

static void
perm_merged_free(struct perm_merged *m)
{
	size_t	 i;

	for (i = 0; i < m->n; i++)
		query_node_free(m->cond[i]);
	config_fields_free(&m->perm.fields);
	free(m);
}

void
perm_hold_free(struct perm_hold *hold)
{
	struct perm_merged	*m;

	while ((m = hold->first) != NULL) {
		hold->first = m->next;
		perm_merged_free(m);
	}
}

/* The union of the sources' fields. */
static int
perm_merge_fields(struct perm_merged *m)
{
	const struct conf_fields	*f;
	size_t				 i, j;

	for (i = 0; i < m->n; i++)
		if (m->src[i]->fields.all) {
			m->perm.fields.all = 1;
			return 0;
		}
	for (i = 0; i < m->n; i++) {
		f = &m->src[i]->fields;
		for (j = 0; j < f->n; j++)
			if (!config_fields_has(&m->perm.fields, f->names[j]) &&
			    config_fields_add(&m->perm.fields, f->names[j]) !=
			    NULL)
				return -1;
	}
	return 0;
}

/* Several permissions as one, kept in the request's hold; NULL fails. */
static const struct conf_permission *
perm_merge(struct perm_hold *hold, const struct conf_permission **src,
    size_t n, const char *collection, int action)
{
	struct perm_merged	*m;
	const char		*f;
	size_t			 i;

	if (hold == NULL || (m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->perm.merged = 1;
	(void)strlcpy(m->perm.collection, collection,
	    sizeof(m->perm.collection));
	m->perm.actions = action;
	for (i = 0; i < n; i++) {
		m->src[m->n++] = src[i];
		if ((f = src[i]->filter) != NULL && (m->cond[i] =
		    query_filter_parse_text(f, strlen(f), NULL, 0)) == NULL) {
			perm_merged_free(m);
			return NULL;
		}
	}
	if (perm_merge_fields(m) == -1) {
		perm_merged_free(m);
		return NULL;
	}
	m->next = hold->first;
	hold->first = m;
	return &m->perm;
}

/*
 * The permission for an action on a collection: an administrator's, the
 * one policy's that grants it, the merge of several, or NULL for none
 * (or a merge that failed: refused, never widened).
 */
const struct conf_permission *
perm_lookup(const struct tokend_config *conf, const struct perm_who *who,
    const char *collection, int action)
{
	const struct conf_policy	*pols[PERM_SOURCES_MAX];
	const struct conf_permission	*src[PERM_SOURCES_MAX], *p;
	size_t				 i, n, k = 0;

	if (who->admin || (who->role != NULL &&
	    strcmp(who->role, CONF_ADMIN_ROLE_ID) == 0))
		return &perm_admin;
	n = perm_policies(conf, who, pols, PERM_SOURCES_MAX);
	for (i = 0; i < n; i++)
		if (pols[i]->admin)
			return &perm_admin;
	for (i = 0; i < n; i++)
		if ((p = config_permission(&pols[i]->perms, collection,
		    action)) != NULL)
			src[k++] = p;
	if (k <= 1)
		return k == 1 ? src[0] : NULL;
	if ((p = perm_merge(who->hold, src, k, collection, action)) == NULL)
		log_warnx("permissions of %s: cannot merge %zu policies",
		    collection, k);
	return p;
}

static const struct perm_merged *
perm_as_merged(const struct conf_permission *p)
{
	return p->merged ? (const struct perm_merged *)(const void *)p : NULL;
}

/*
 * Whether a row shows a field: a merged permission shows it where one
 * of the sources that cover it has a filter the row matches (or none).
 * row is the whole stored row, with every field.
 */
int
perm_field_visible(const struct conf_permission *p, const char *field,
    json_t *row, const struct query_vars *vars)
{
	const struct perm_merged	*m;
	size_t				 i, covering = 0;
	int				 seen = 0;

	if ((m = perm_as_merged(p)) == NULL)
		return perm_field_allowed(p, field);
	for (i = 0; i < m->n; i++)
		if (config_fields_has(&m->src[i]->fields, field))
			covering++;
	/* Each row matches one source's filter at least. */
	if (covering == m->n)
		return 1;
	for (i = 0; !seen && i < m->n; i++)
		if (config_fields_has(&m->src[i]->fields, field))
			seen = m->cond[i] == NULL ||
			    query_node_match(m->cond[i], row, vars);
	return seen;
}

/* Sets to null each field of out that the row does not show. */
int
perm_row_mask(const struct conf_permission *p, json_t *row, json_t *out,
    const struct query_vars *vars)
{
	const char	*key;
	json_t		*v;
	int		 rv = 0;

	if (!p->merged)
		return 0;
	json_object_foreach(out, key, v)
		if (!json_is_null(v) && !perm_field_visible(p, key, row,
		    vars) && json_object_set_new(out, key, json_null()) == -1)
			rv = -1;
	return rv;
}

/*
 * Does p show field in every row it lets through?  A merge does when
 * each of its sources covers the field.  For aggregates.
 */
int
perm_field_everywhere(const struct conf_permission *p, const char *field)
{
	const struct perm_merged	*m;
	size_t				 i;

	if (!perm_field_allowed(p, field))
		return 0;
	if ((m = perm_as_merged(p)) == NULL)
		return 1;
	for (i = 0; i < m->n; i++)
		if (!config_fields_has(&m->src[i]->fields, field))
			return 0;
	return 1;
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
 * The first field the query reads, filters or sorts on that p does not
 * cover, or NULL when it covers every one.
 */
const char *
perm_query_bad(const struct conf_permission *p, const struct query *q)
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
	return w.bad;
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
	const char	*bad;

	if ((bad = perm_query_bad(p, q)) == NULL)
		return 0;
	(void)snprintf(reason, len, "You don't have permission to access "
	    "field \"%s\" or it does not exist", bad);
	return -1;
}

/*
 * The rows of a merge: those any source's filter matches, all of them
 * when one source has none.
 */
static int
perm_filter_merged(const struct perm_merged *m, struct query_node **out)
{
	struct query_node	*or;
	size_t			 i;

	for (i = 0; i < m->n; i++)
		if (m->src[i]->filter == NULL)
			return 0;
	if ((or = calloc(1, sizeof(*or))) == NULL ||
	    (or->kids = calloc(m->n, sizeof(*or->kids))) == NULL) {
		free(or);
		return -1;
	}
	or->op = QOP_OR;
	for (i = 0; i < m->n; i++) {
		or->kids[i] = query_filter_parse_text(m->src[i]->filter,
		    strlen(m->src[i]->filter), NULL, 0);
		if (or->kids[i] == NULL) {
			query_node_free(or);
			return -1;
		}
		or->nkids++;
	}
	*out = or;
	return 0;
}

/*
 * The permission's item filter as a tree (*out NULL when it has none).
 * -1 if it cannot be built: the caller refuses rather than run
 * unfiltered.
 */
int
perm_filter(const struct conf_permission *p, struct query_node **out)
{
	const struct perm_merged	*m;

	*out = NULL;
	if ((m = perm_as_merged(p)) != NULL)
		return perm_filter_merged(m, out);
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

/*
 * 1 when the payload passes the permission's validation (a merge's:
 * every source's), else 0.
 */
int
perm_validate(const struct conf_permission *p, json_t *payload,
    const struct query_vars *vars)
{
	const struct perm_merged	*m;
	struct query_node		*n;
	size_t				 i;
	int				 ok;

	if ((m = perm_as_merged(p)) != NULL) {
		for (i = 0; i < m->n; i++)
			if (!perm_validate(m->src[i], payload, vars))
				return 0;
		return 1;
	}
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
 * request has none); in a merge, a later source's win over an earlier
 * one's.
 */
int
perm_presets(const struct conf_permission *p, json_t *payload,
    const struct query_vars *vars)
{
	const struct perm_merged	*m;
	json_t				*presets, *v, *r;
	const char			*key;
	size_t				 i;
	int				 rv = 0;

	if ((m = perm_as_merged(p)) != NULL) {
		for (i = m->n; i > 0; i--)
			if (perm_presets(m->src[i - 1], payload, vars) == -1)
				rv = -1;
		return rv;
	}
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
