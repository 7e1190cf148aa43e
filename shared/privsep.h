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

#define PRIVSEP_FDS_MAX	32	/* descriptors handed to a child */

struct privsep_user {
	uid_t	 uid;
	gid_t	 gid;
	char	 name[64];
};

/* privsep.c */
int	 privsep_is_root(void);
void	 privsep_title_init(int, char **);
void	 privsep_lookup(const char *, struct privsep_user *);
void	 privsep_check_chroot(const char *);
void	 privsep_drop(const char *, const struct privsep_user *,
	    const char *);
pid_t	 privsep_exec(const char *, char *const [], int, const int *, int);

#endif /* TOKEND_PRIVSEP_H */
