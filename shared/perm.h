/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Permissions: what the policies that apply to a request (its user's
 * role's, its user's own, the public ones) let it do on a collection,
 * merged as Directus 11 merges them, and whether a query stays within
 * the fields.  Used by the item processes for /items and by keyd for
 * /users.
 */
#ifndef TOKEND_PERM_H
#define TOKEND_PERM_H

#include "config.h"
#include "query.h"

/* The policies one request's access merges, at most. */
#define PERM_SOURCES_MAX	(3 * CONF_POLICY_REFS_MAX)

/*
 * A permission merged from several policies' (perm_lookup): the union
 * of their fields, and the sources, which say which rows show which
 * fields.  A request's merges are freed with its perm_hold.
 */
struct perm_merged {
	struct conf_permission	 perm;		/* first: merged is 1 */
	struct perm_merged	*next;
	size_t			 n;
	const struct conf_permission *src[PERM_SOURCES_MAX];
	struct query_node	*cond[PERM_SOURCES_MAX];	/* NULL: all */
};

struct perm_hold {
	struct perm_merged	*first;
};

/*
 * Who is asking: role NULL and admin 0 is the public.  policies: the
 * user's own policy ids, separated by blanks or commas, or NULL.  addr:
 * the client's address (NULL: not known, so no policy with ip-allow
 * applies).  hold keeps what perm_lookup merges for the request.
 */
struct perm_who {
	const char		*user;		/* uuid or NULL */
	const char		*role;		/* uuid or NULL */
	int			 admin;
	const char		*policies;
	const struct cidr	*addr;
	struct perm_hold	*hold;
};

/* perm.c */
size_t		 perm_policies(const struct tokend_config *,
		    const struct perm_who *, const struct conf_policy **,
		    size_t);
void		 perm_flags(const struct tokend_config *,
		    const struct perm_who *, int *, int *, int *);
const struct conf_permission *perm_lookup(const struct tokend_config *,
		    const struct perm_who *, const char *, int);
void		 perm_hold_free(struct perm_hold *);
int		 perm_field_visible(const struct conf_permission *,
		    const char *, json_t *, const struct query_vars *);
int		 perm_row_mask(const struct conf_permission *, json_t *,
		    json_t *, const struct query_vars *);
int		 perm_field_everywhere(const struct conf_permission *,
		    const char *);
int		 perm_field_allowed(const struct conf_permission *,
		    const char *);
const char	*perm_query_bad(const struct conf_permission *,
		    const struct query *);
int		 perm_query_check(const struct conf_permission *,
		    const struct query *, char *, size_t);
int		 perm_filter(const struct conf_permission *,
		    struct query_node **);
int		 perm_validate(const struct conf_permission *, json_t *,
		    const struct query_vars *);
int		 perm_presets(const struct conf_permission *, json_t *,
		    const struct query_vars *);

#endif /* TOKEND_PERM_H */
