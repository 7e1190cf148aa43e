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

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "keyd.h"
#include "log.h"
#include "privsep.h"
#include "sign.h"

static int	 secret_create(const char *, uid_t, gid_t);
static int	 secret_check(const char *, int, struct stat *, uid_t);
static int	 secret_read(int, size_t, struct keyd_secret *);
static int	 signkey_create(const char *, int, uid_t, gid_t);
static int	 signkey_nopass(char *, int, int, void *);

/* The refresh tokens' key: one of its own, derived (KEYD_REFRESH_LABEL). */
void
secret_refresh_key(const struct keyd_secret *secret, uint8_t *key)
{
	unsigned int	 len = KEYD_REFRESH_KEY_LEN;

	if (HMAC(EVP_sha256(), secret->key, (int)secret->len,
	    (const unsigned char *)KEYD_REFRESH_LABEL,
	    sizeof(KEYD_REFRESH_LABEL) - 1, key, &len) == NULL ||
	    len != KEYD_REFRESH_KEY_LEN)
		fatalx("%s: HMAC failed", __func__);
}

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

	if ((secret->key = calloc(1, len)) == NULL)
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

/* A secret that must exist (a rotated one, rotate.c), under the rules. */
int
secret_load_existing(const char *path, uid_t owner, struct keyd_secret *secret)
{
	struct stat	 st;
	int		 fd, rv;

	memset(secret, 0, sizeof(*secret));
	memset(&st, 0, sizeof(st));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		log_warn("open secret %s", path);
		return -1;
	}
	rv = secret_check(path, fd, &st, owner);
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

/*
 * The private signing key of an asymmetric algorithm: a PEM file (PKCS#8
 * or the algorithm's own form, never encrypted), under the same rules as
 * the secret.  A missing file is created with a new key, mode 0600.
 * Whether the key is of the configured algorithm is the caller's check.
 */
int
signkey_write(int fd, EVP_PKEY *pkey)
{
	BIO	*bio;
	char	*data = NULL;
	long	 len = 0;
	int	 rv = -1;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
	    NULL) == 1 && (len = BIO_get_mem_data(bio, &data)) > 0 &&
	    write(fd, data, (size_t)len) == (ssize_t)len)
		rv = 0;
	if (len > 0 && data != NULL)
		explicit_bzero(data, (size_t)len);
	BIO_free(bio);
	return rv;
}

/* A new Ed25519 or P-256 private key. */
struct evp_pkey_st *
signkey_new(int alg)
{
	EVP_PKEY	*pkey;

	pkey = alg == SIGN_EDDSA ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
	    EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (pkey == NULL)
		log_warnx("cannot make a %s key", sign_alg_name(alg));
	ERR_clear_error();
	return pkey;
}

static int
signkey_create(const char *path, int alg, uid_t uid, gid_t gid)
{
	EVP_PKEY	*pkey;
	int		 fd, rv = -1;

	if ((pkey = signkey_new(alg)) == NULL)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		log_warn("create signing key %s", path);
	else if (signkey_write(fd, pkey) == -1)
		log_warn("write signing key %s", path);
	else if (fsync(fd) == -1)
		log_warn("fsync signing key %s", path);
	else if (geteuid() == 0 && fchown(fd, uid, gid) == -1)
		log_warn("chown signing key %s", path);
	else
		rv = 0;
	EVP_PKEY_free(pkey);
	if (fd != -1) {
		close(fd);
		if (rv == -1)
			(void)unlink(path);
		else
			log_info("created a new %s key in %s",
			    sign_alg_name(alg), path);
	}
	return rv;
}

/* An encrypted key is refused, never prompted for. */
static int
signkey_nopass(char *buf, int size, int rwflag, void *arg)
{
	return -1;
}

struct evp_pkey_st *
signkey_load(const char *path, int alg, uid_t uid, gid_t gid)
{
	if (access(path, F_OK) == -1 && errno == ENOENT &&
	    signkey_create(path, alg, uid, gid) == -1)
		return NULL;
	return signkey_load_existing(path, geteuid() == 0 ? uid : geteuid());
}

/* A private key in a file that must exist, under the secret's rules. */
struct evp_pkey_st *
signkey_load_existing(const char *path, uid_t owner)
{
	const struct privsep_file	 rule = {
		.what = "signing key",
		.flags = PRIVSEP_FILE_ROOT_OK,
		.owner = owner,
		.owner_name = "keyd's user",
		.refused = S_IRWXG | S_IRWXO,
		.refused_means = "accessible"
	};
	static char		 pem[KEYD_SIGNKEY_MAX];
	struct stat		 st;
	EVP_PKEY		*pkey = NULL;
	BIO			*bio;
	ssize_t			 n = -1;
	int			 fd;

	memset(&st, 0, sizeof(st));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		log_warn("open signing key %s", path);
		return NULL;
	}
	if (privsep_check_file(&rule, path, fd, &st) == 0 &&
	    st.st_size > 0 && st.st_size < KEYD_SIGNKEY_MAX)
		n = read(fd, pem, sizeof(pem));
	close(fd);
	if (n != st.st_size) {
		log_warnx("cannot read signing key %s", path);
		explicit_bzero(pem, sizeof(pem));
		return NULL;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)n)) != NULL) {
		pkey = PEM_read_bio_PrivateKey(bio, NULL, signkey_nopass,
		    NULL);
		BIO_free(bio);
	}
	explicit_bzero(pem, sizeof(pem));
	if (pkey == NULL)
		log_warnx("signing key %s is no unencrypted PEM private key",
		    path);
	ERR_clear_error();
	return pkey;
}
