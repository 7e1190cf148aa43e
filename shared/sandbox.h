/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The last step of the privilege drop (DESIGN.md section 2): after
 * setresuid, before the event loop, each process role confines itself
 * for the rest of its life.  One implementation per OS, chosen by the
 * GNUmakefile: sandbox_linux.c (seccomp-bpf, no_new_privs, rlimits) and
 * sandbox_openbsd.c (pledge, unveil).  Every failure is fatal.
 */
#ifndef TOKEND_SANDBOX_H
#define TOKEND_SANDBOX_H

enum sandbox_role {
	SANDBOX_PARENT,		/* tokend after it started its children */
	SANDBOX_KEYD,		/* keyd with its database and hashing pool */
	SANDBOX_SERVER,		/* an HTTP worker */
	SANDBOX_ITEMS,		/* an item process with its item store */
	SANDBOX_ITEMS_PG,	/* the same, its store on PostgreSQL */
	SANDBOX_MAIL,		/* the mail process, a client of the relay */
};

/* sandbox_linux.c, sandbox_openbsd.c */
void	 sandbox_enter(enum sandbox_role);

#endif /* TOKEND_SANDBOX_H */
