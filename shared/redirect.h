/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
#ifndef TOKEND_REDIRECT_H
#define TOKEND_REDIRECT_H

#define REDIRECT_URL_MAX	2048	/* bytes of an rd URL */

/* redirect.c: the portal's redirect allow list */
const char	*redirect_list_check(const char *);
int		 redirect_allowed(const char *, const char *);

#endif
