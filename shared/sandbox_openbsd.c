/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The OpenBSD sandbox: rlimits, pledge(2) and unveil(2) per process
 * role.  An execve(2) without execpromises drops both, so the children
 * the parent starts begin unconfined and confine themselves.
 */
#include <sys/types.h>
#include <sys/resource.h>

#include <unistd.h>

#include "log.h"
#include "sandbox.h"

static void	 sandbox_rlimit(int, rlim_t);

static void
sandbox_rlimit(int resource, rlim_t value)
{
	struct rlimit	 rl;

	rl.rlim_cur = rl.rlim_max = value;
	if (setrlimit(resource, &rl) == -1)
		fatal("sandbox: setrlimit %d", resource);
}

/*
 * parent: re-reads the configuration (and what it includes) on reload,
 *	accepts tokenctl on the control socket, passes descriptors, forks
 *	and execs keyd and itself.  Nothing may be created or removed:
 *	"cpath" is there so that the unlink of the control socket at exit
 *	fails instead of aborting; the next start removes it.
 * keyd: chrooted; SQLite opens, creates and removes the database and its
 *	-wal, -shm and -journal files, and locks them ("flock").  Its
 *	chroot is the whole view it needs, so it unveils nothing more.
 * server: accepts on the inherited sockets, receives its keyd channel,
 *	re-applies its descriptor limit on reload ("id" allows setrlimit
 *	and, for a process without privileges, nothing else of use).  No
 *	path promise: it cannot touch the filesystem at all.  Without
 *	"unix" it opens no AF_UNIX socket, and without "proc" pledge
 *	refuses fcntl(F_SETOWN), so it cannot have the kernel signal
 *	another process (OpenBSD has no F_SETSIG); keyd has neither
 *	promise either.
 * items: its item store is open already; SQLite locks it ("flock") and
 *	may create its -wal and -shm files again in its directory
 *	("rpath wpath cpath", inside the chroot); it receives its
 *	channels ("recvfd").
 */
void
sandbox_enter(enum sandbox_role role)
{
	sandbox_rlimit(RLIMIT_CORE, 0);
	switch (role) {
	case SANDBOX_PARENT:
		if (unveil("/", "rx") == -1)
			fatal("sandbox: unveil /");
		if (unveil(NULL, NULL) == -1)
			fatal("sandbox: unveil");
		if (pledge("stdio rpath cpath unix sendfd proc exec",
		    NULL) == -1)
			fatal("sandbox: pledge");
		break;
	case SANDBOX_KEYD:
		if (pledge("stdio rpath wpath cpath flock", NULL) == -1)
			fatal("sandbox: pledge");
		break;
	case SANDBOX_SERVER:
		sandbox_rlimit(RLIMIT_NPROC, 0);
		if (pledge("stdio inet recvfd id", NULL) == -1)
			fatal("sandbox: pledge");
		break;
	case SANDBOX_ITEMS_PG:
		sandbox_rlimit(RLIMIT_NPROC, 0);
		if (pledge("stdio inet recvfd", NULL) == -1)
			fatal("sandbox: pledge");
		break;
	case SANDBOX_ITEMS:
		sandbox_rlimit(RLIMIT_NPROC, 0);
		if (pledge("stdio rpath wpath cpath flock recvfd", NULL) == -1)
			fatal("sandbox: pledge");
		break;
	case SANDBOX_MAIL:
		sandbox_rlimit(RLIMIT_NPROC, 0);
		if (pledge("stdio inet recvfd", NULL) == -1)
			fatal("sandbox: pledge");
		break;
	}
}
