/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The privilege drop, written once and used by every process role in
 * the same order (DESIGN.md section 2): resolve the user while root,
 * check the chroot directory, open what the role needs, then
 * privsep_drop(): chroot and chdir("/"), process title,
 * setgroups/setresgid/setresuid.  Every failed step is fatal.
 */
#ifndef TOKEND_PRIVSEP_H
#define TOKEND_PRIVSEP_H

#include <sys/types.h>
#include <sys/stat.h>

#define PRIVSEP_FDS_MAX	32	/* descriptors handed to a child */

struct privsep_user {
	uid_t	 uid;
	gid_t	 gid;
	char	 name[64];
};

/*
 * What a file that holds secrets must be (privsep_check_file): a
 * regular file, owned by owner (or also root, or anyone), that grants
 * none of the refused mode bits.
 */
struct privsep_file {
	const char	*what;		/* starts each message: "secret" */
	int		 flags;		/* PRIVSEP_FILE_* */
	uid_t		 owner;
	const char	*owner_name;	/* "keyd's user" */
	mode_t		 refused;	/* S_IRWXG | S_IRWXO, say */
	const char	*refused_means;	/* "accessible": what they let in */
};
#define PRIVSEP_FILE_FOLLOW	0x01	/* a symbolic link is followed */
#define PRIVSEP_FILE_ROOT_OK	0x02	/* root may own it too */
#define PRIVSEP_FILE_ANY_OWNER	0x04

/* privsep.c */
int	 privsep_check_file(const struct privsep_file *, const char *, int,
	    struct stat *);
int	 privsep_is_root(void);
void	 privsep_title_init(int, char **);
void	 privsep_lookup(const char *, struct privsep_user *);
void	 privsep_check_chroot(const char *);
void	 privsep_drop(const char *, const struct privsep_user *,
	    const char *);
pid_t	 privsep_exec(const char *, char *const [], int, const int *, int);

#endif /* TOKEND_PRIVSEP_H */
