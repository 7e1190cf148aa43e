/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
#ifndef TOKENCTL_H
#define TOKENCTL_H

/* tokenctl.c */
void		 ctl_usage(void) __attribute__((__noreturn__));

/* migrate.c */
int		 ctl_migrate(int, char **);

#endif /* TOKENCTL_H */
