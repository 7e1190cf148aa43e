/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The signing secret.  keyd loads it before it chroots and keeps it in
 * memory only; it is never sent to another process.  A missing file is
 * created with 32 random bytes, mode 0600.  A file that others may read,
 * that belongs to somebody else, or that is shorter than 32 bytes is
 * refused: a weak or leaked key cannot be repaired later.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyd.h"
#include "log.h"
#include "privsep.h"

static int	 secret_create(const char *, uid_t, gid_t);
static int	 secret_check(const char *, int, struct stat *, uid_t);
static int	 secret_read(int, size_t, struct keyd_secret *);

static int
secret_create(const char *path, uid_t uid, gid_t gid)
{
	uint8_t	 key[KEYD_SECRET_NEW];
	int	 fd, rv = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		log_warn("create secret %s", path);
		return -1;
	}
	arc4random_buf(key, sizeof(key));
	if (write(fd, key, sizeof(key)) != (ssize_t)sizeof(key))
		log_warn("write secret %s", path);
	else if (fsync(fd) == -1)
		log_warn("fsync secret %s", path);
	else if (geteuid() == 0 && fchown(fd, uid, gid) == -1)
		log_warn("chown secret %s", path);
	else
		rv = 0;
	explicit_bzero(key, sizeof(key));
	close(fd);
	if (rv == -1)
		(void)unlink(path);
	else
		log_info("created a new key in %s", path);
	return rv;
}

/*
 * keyd's own file or, read before root is given up, root's; nobody
 * else may have any access to it.
 */
static int
secret_check(const char *path, int fd, struct stat *st, uid_t uid)
{
	const struct privsep_file	 rule = {
		.what = "secret",
		.flags = PRIVSEP_FILE_ROOT_OK,
		.owner = uid,
		.owner_name = "keyd's user",
		.refused = S_IRWXG | S_IRWXO,
		.refused_means = "accessible"
	};

	if (privsep_check_file(&rule, path, fd, st) == -1)
		return -1;
	if (st->st_size < KEYD_SECRET_MIN) {
		log_warnx("secret %s is shorter than %d bytes", path,
		    KEYD_SECRET_MIN);
		return -1;
	}
	if (st->st_size > KEYD_SECRET_MAX) {
		log_warnx("secret %s is longer than %d bytes", path,
		    KEYD_SECRET_MAX);
		return -1;
	}
	return 0;
}

static int
secret_read(int fd, size_t len, struct keyd_secret *secret)
{
	ssize_t	 n;
	size_t	 off = 0;

	if ((secret->key = malloc(len)) == NULL)
		return -1;
	(void)mlock(secret->key, len);
	while (off < len) {
		n = read(fd, secret->key + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	secret->len = off;
	if (off != len) {
		secret_free(secret);
		return -1;
	}
	return 0;
}

int
secret_load(const char *path, uid_t uid, gid_t gid, struct keyd_secret *secret)
{
	struct stat	 st;
	int		 fd, rv;

	memset(secret, 0, sizeof(*secret));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		if (secret_create(path, uid, gid) == -1)
			return -1;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd == -1) {
		log_warn("open secret %s", path);
		return -1;
	}
	rv = secret_check(path, fd, &st, geteuid() == 0 ? uid : geteuid());
	if (rv == 0 && (rv = secret_read(fd, (size_t)st.st_size,
	    secret)) == -1)
		log_warnx("cannot read secret %s", path);
	close(fd);
	return rv;
}

void
secret_free(struct keyd_secret *secret)
{
	if (secret->key != NULL) {
		explicit_bzero(secret->key, secret->len);
		free(secret->key);
	}
	secret->key = NULL;
	secret->len = 0;
}
