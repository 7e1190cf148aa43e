/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Permissions: which configured permission lets an accountability (a
 * role, the public role, or an administrator) do an action on a
 * collection, and whether a query stays within its fields.  Used by the
 * workers for /items and by keyd for /users.
 */
#ifndef TOKEND_PERM_H
#define TOKEND_PERM_H

#include "config.h"
#include "query.h"

/* Who is asking: role NULL and admin 0 is the public role. */
struct perm_who {
	const char		*user;		/* uuid or NULL */
	const char		*role;		/* uuid or NULL */
	int			 admin;
};

/* perm.c */
const struct conf_permission *perm_lookup(const struct tokend_config *,
		    const struct perm_who *, const char *, int);
int		 perm_field_allowed(const struct conf_permission *,
		    const char *);
int		 perm_query_check(const struct conf_permission *,
		    const struct query *, char *, size_t);
int		 perm_filter(const struct conf_permission *,
		    struct query_node **);
int		 perm_validate(const struct conf_permission *, json_t *,
		    const struct query_vars *);
int		 perm_presets(const struct conf_permission *, json_t *,
		    const struct query_vars *);

#endif /* TOKEND_PERM_H */
