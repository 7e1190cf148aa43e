/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/parse.y: parse_config() on a tokend.conf, as "tokend -n" and
 * the parent read it.
 *
 * Input: the file.  parse_config() opens a path, so each input is
 * written to one temporary file, mode 0600, removed at exit.
 *
 * Properties: no crash, leak or abort (fatalx: pushback overflow) on
 * any file; a file that parses gives a configuration that the children
 * accept: config_to_json() of it reads back with config_from_json() to
 * the same JSON, with nothing that would need a restart.
 *
 * "listen on" a host name would ask the resolver; here getaddrinfo()
 * takes numeric addresses only, so that no input makes DNS queries.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <dlfcn.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

typedef int (*fuzz_getaddrinfo_fn)(const char *, const char *,
    const struct addrinfo *, struct addrinfo **);

static char	 fuzz_config_path[64];
static int	 fuzz_config_fd = -1;

int
getaddrinfo(const char *host, const char *serv, const struct addrinfo *hints,
    struct addrinfo **res)
{
	static fuzz_getaddrinfo_fn	 real;
	struct addrinfo			 h;

	if (real == NULL &&
	    (real = (fuzz_getaddrinfo_fn)dlsym(RTLD_NEXT, "getaddrinfo")) ==
	    NULL)
		abort();
	if (hints != NULL)
		h = *hints;
	else {
		memset(&h, 0, sizeof(h));
		h.ai_family = AF_UNSPEC;
	}
	h.ai_flags |= AI_NUMERICHOST;
	return real(host, serv, &h, res);
}

static void
fuzz_config_cleanup(void)
{
	if (fuzz_config_fd != -1)
		(void)unlink(fuzz_config_path);
}

static void
fuzz_config_write(const uint8_t *data, size_t size)
{
	const char	*tmp;

	if (fuzz_config_fd == -1) {
		if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0' ||
		    strlen(tmp) > sizeof(fuzz_config_path) - 32)
			tmp = "/tmp";
		(void)snprintf(fuzz_config_path, sizeof(fuzz_config_path),
		    "%s/tokend-fuzz.conf.XXXXXXXX", tmp);
		if ((fuzz_config_fd = mkstemp(fuzz_config_path)) == -1)
			abort();
		atexit(fuzz_config_cleanup);
	}
	if (ftruncate(fuzz_config_fd, 0) == -1 ||
	    (size > 0 && pwrite(fuzz_config_fd, data, size, 0) !=
	    (ssize_t)size))
		abort();
}

void
fuzz_config(const uint8_t *data, size_t size)
{
	struct tokend_config	*conf, *back;
	char			*json, *again;

	fuzz_config_write(data, size);
	if ((conf = parse_config(fuzz_config_path)) == NULL)
		return;
	FUZZ_ASSERT((json = config_to_json(conf)) != NULL);
	FUZZ_ASSERT((back = config_from_json(json, strlen(json))) != NULL);
	FUZZ_ASSERT(config_restart_needed(conf, back, NULL, 0) == 0);
	FUZZ_ASSERT((again = config_to_json(back)) != NULL);
	FUZZ_ASSERT(strcmp(json, again) == 0);
	free(again);
	free(json);
	config_free(back);
	config_free(conf);
}

FUZZ_TARGET(fuzz_config)
