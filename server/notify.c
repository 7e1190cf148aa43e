/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The service manager's readiness protocol (systemd's sd_notify), in
 * the parent, without libsystemd: a datagram to the socket named by
 * NOTIFY_SOCKET (a path, or with '@' an abstract name), which the
 * parent takes out of the environment so that no child sees it.
 * READY=1 once keyd and every worker have said they are ready,
 * RELOADING=1 and READY=1 around a reload, STOPPING=1 at the end.
 * Without NOTIFY_SOCKET nothing is sent.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "tokend.h"

static struct {
	int			 fd;		/* -1: no service manager */
	struct sockaddr_un	 sun;
	socklen_t		 len;
} notify = { .fd = -1 };

/* Before the children start: the socket, if the manager gave one. */
void
notify_init(void)
{
	const char	*path = getenv("NOTIFY_SOCKET");
	size_t		 n;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (n = strlen(path)) >= sizeof(notify.sun.sun_path)) {
		if (path != NULL)
			log_warnx("NOTIFY_SOCKET \"%s\" is not a socket path, "
			    "not telling the service manager anything", path);
		(void)unsetenv("NOTIFY_SOCKET");
		return;
	}
	memset(&notify.sun, 0, sizeof(notify.sun));
	notify.sun.sun_family = AF_UNIX;
	memcpy(notify.sun.sun_path, path, n);
	if (path[0] == '@')
		notify.sun.sun_path[0] = '\0';	/* abstract, not NUL-ended */
	notify.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (path[0] == '@' ? 0 : 1));
	(void)unsetenv("NOTIFY_SOCKET");
	if ((notify.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		log_warn("notify socket");
}

/* One state line ("READY=1", ...) to the service manager. */
void
notify_send(const char *state)
{
	char		 buf[128];
	struct timespec	 ts;
	int		 n;

	if (notify.fd == -1)
		return;
	/* systemd wants the time of a reload, to tell one from another. */
	if (strcmp(state, "RELOADING=1") == 0 &&
	    clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
		n = snprintf(buf, sizeof(buf), "%s\nMONOTONIC_USEC=%lld",
		    state, (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	else
		n = snprintf(buf, sizeof(buf), "%s", state);
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    sendto(notify.fd, buf, (size_t)n, MSG_NOSIGNAL,
	    (struct sockaddr *)&notify.sun, notify.len) == -1)
		log_warn("notify %s", state);
}
