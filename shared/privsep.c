/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Privilege separation helpers shared by the parent, keyd and the
 * workers.  Started as an ordinary user (development, tests) the chroot
 * and the change of user are skipped; the parent says so once.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privsep.h"

extern char **environ;

int
privsep_is_root(void)
{
	return geteuid() == 0;
}

void
privsep_title_init(int argc, char **argv)
{
#ifndef __OpenBSD__
	setproctitle_init(argc, argv, environ);
#endif
}

void
privsep_lookup(const char *name, struct privsep_user *pu)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		if (errno != 0)
			fatal("getpwnam %s", name);
		fatalx("unknown user %s", name);
	}
	if (pw->pw_uid == 0)
		fatalx("user %s must not be root", name);
	pu->uid = pw->pw_uid;
	pu->gid = pw->pw_gid;
	if (strlcpy(pu->name, name, sizeof(pu->name)) >= sizeof(pu->name))
		fatalx("user name %s too long", name);
}

/* A chroot directory must be root's and writable by nobody else. */
void
privsep_check_chroot(const char *dir)
{
	struct stat	 st;

	if (stat(dir, &st) == -1)
		fatal("chroot directory %s", dir);
	if (!S_ISDIR(st.st_mode))
		fatalx("chroot %s is not a directory", dir);
	if (st.st_uid != 0)
		fatalx("chroot directory %s is not owned by root", dir);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		fatalx("chroot directory %s is writable by group or others",
		    dir);
}

static int
check_file_owner(const struct privsep_file *rule, const char *path,
    const struct stat *st)
{
	if ((rule->flags & PRIVSEP_FILE_ANY_OWNER) != 0 ||
	    st->st_uid == rule->owner ||
	    (st->st_uid == 0 && (rule->flags & PRIVSEP_FILE_ROOT_OK) != 0))
		return 0;
	log_warnx("%s %s is owned by uid %u, it must belong to %s (uid %u)%s",
	    rule->what, path, (unsigned)st->st_uid, rule->owner_name,
	    (unsigned)rule->owner,
	    (rule->flags & PRIVSEP_FILE_ROOT_OK) != 0 ? " or root" : "");
	return -1;
}

/*
 * Checks the file fd (or, with fd -1, path) against rule, before
 * anything is read from it or written to it.  Returns 0 if it may be
 * used (its status in st, if not NULL), 1 if path does not exist, -1
 * after logging why it is refused.  Nothing is repaired: a file with
 * the wrong owner or mode may already have leaked.
 */
int
privsep_check_file(const struct privsep_file *rule, const char *path,
    int fd, struct stat *st)
{
	struct stat	 sb;
	int		 rv;

	if (st == NULL)
		st = &sb;
	if (fd != -1)
		rv = fstat(fd, st);
	else if ((rule->flags & PRIVSEP_FILE_FOLLOW) != 0)
		rv = stat(path, st);
	else
		rv = lstat(path, st);
	if (rv == -1) {
		if (fd == -1 && errno == ENOENT)
			return 1;
		log_warn("%s%s %s", fd != -1 ? "fstat " : "", rule->what,
		    path);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		log_warnx("%s %s is not a regular file", rule->what, path);
		return -1;
	}
	if (check_file_owner(rule, path, st) == -1)
		return -1;
	if ((st->st_mode & rule->refused) != 0) {
		log_warnx("%s %s is %s by group or others (mode %03o), it "
		    "must be 0600", rule->what, path, rule->refused_means,
		    (unsigned)(st->st_mode & 0777));
		return -1;
	}
	return 0;
}

void
privsep_drop(const char *title, const struct privsep_user *pu,
    const char *root)
{
	uid_t	 ruid, euid, suid;
	gid_t	 rgid, egid, sgid;

	if (privsep_is_root() && root != NULL) {
		if (chroot(root) == -1)
			fatal("chroot %s", root);
		if (chdir("/") == -1)
			fatal("chdir /");
	}
	/* A leading '-' leaves out the program name ("keyd"). */
	if (title != NULL && title[0] == '-')
		setproctitle("-%s", title + 1);
	else if (title != NULL)
		setproctitle("%s", title);
	if (!privsep_is_root() || pu == NULL)
		return;
	if (setgroups(1, &pu->gid) == -1)
		fatal("setgroups");
	if (setresgid(pu->gid, pu->gid, pu->gid) == -1)
		fatal("setresgid");
	if (setresuid(pu->uid, pu->uid, pu->uid) == -1)
		fatal("setresuid");
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1)
		fatal("getresuid");
	if (ruid != pu->uid || euid != pu->uid || suid != pu->uid ||
	    rgid != pu->gid || egid != pu->gid || sgid != pu->gid)
		fatalx("privilege drop to %s did not take", pu->name);
	if (setuid(0) != -1)
		fatalx("could regain root after dropping to %s", pu->name);
}

/*
 * fork and exec a child role.  chanfd becomes PROTO_FD_PARENT (3), the
 * nfds descriptors of fds follow it from 4; everything else is closed.
 */
pid_t
privsep_exec(const char *path, char *const argv[], int chanfd,
    const int *fds, int nfds)
{
	pid_t	 pid;
	int	 i, tmp[PRIVSEP_FDS_MAX];

	if (nfds < 0 || nfds > PRIVSEP_FDS_MAX) {
		errno = EINVAL;
		return -1;
	}
	if ((pid = fork()) == -1)
		return -1;
	if (pid != 0)
		return pid;
	/* Move everything above the target range first, then into place. */
	if ((chanfd = fcntl(chanfd, F_DUPFD, 64)) == -1)
		_exit(127);
	for (i = 0; i < nfds; i++)
		if ((tmp[i] = fcntl(fds[i], F_DUPFD, 64)) == -1)
			_exit(127);
	if (dup2(chanfd, 3) == -1)
		_exit(127);
	for (i = 0; i < nfds; i++)
		if (dup2(tmp[i], 4 + i) == -1)
			_exit(127);
	closefrom(4 + nfds);
	signal(SIGPIPE, SIG_DFL);
	execv(path, argv);
	_exit(127);
}
