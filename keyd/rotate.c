/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Rotation of the signing keys.  A rotation (tokenctl key rotate, or
 * signing rotate-every on keyd's timer) makes a new key of the
 * configured algorithm current; the one it replaces keeps verifying,
 * and stays in the public key set, until every token it signed has
 * expired: the longest lifetime of a token keyd signs for a login
 * (access-ttl, session-ttl) plus ROTATE_MARGIN.  Then it leaves the
 * store, the key set and the disk.
 *
 * The keys a rotation makes live in a directory next to the credential
 * database (inside keyd's chroot, so that keyd may write there after
 * the privilege drop): KID.key, an HS256 secret's bytes or a PEM
 * private key, mode 0600, under the secret's rules; and "state", a line
 * a key:
 *
 *	kid alg created current|retiring|removed until config|file
 *
 * created and until are unix seconds (until 0 for the current key).
 * The configured key (the secret, or the signing key's file) is named
 * "config": its file is outside keyd's reach, so a removed one stays as
 * a "removed" line, lest the next start take it for a new key.
 *
 * Each file is written whole to NAME.tmp, synced and renamed, and the
 * directory synced: the key file before the state that names it.  So a
 * kill at any point leaves either the old state (the new key file is an
 * orphan, which the next start deletes: it never signed anything) or
 * the new one with its key file.  A state that names a missing or
 * foreign key file loses that key only; when it was the current one the
 * newest key left, or else the configured key, signs.  Key files
 * without any state (deleted by hand) verify for an overlap from the
 * start, and the configured key signs.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "keyd.h"
#include "log.h"
#include "privsep.h"
#include "proto.h"
#include "sign.h"

#define ROTATE_DIR		"keys"	/* next to the database */
#define ROTATE_STATE		"state"
#define ROTATE_SUFFIX		".key"
#define ROTATE_MARGIN		30	/* seconds past the longest token */
#define ROTATE_TICK_MAX		3600	/* seconds between two looks */
#define ROTATE_RETRY		60	/* seconds after a failed rotation */
#define ROTATE_LINE_MAX		256
#define ROTATE_ENTRIES_MAX	(SIGN_KEYS_MAX + 1)	/* and a removed one */

enum rotate_role {
	ROTATE_CURRENT,
	ROTATE_RETIRING,
	ROTATE_REMOVED
};

static const char *const rotate_role_names[] = {
	[ROTATE_CURRENT] = "current",
	[ROTATE_RETIRING] = "retiring",
	[ROTATE_REMOVED] = "removed"
};

struct rotate_entry {
	char		 kid[SIGN_KID_MAX + 1];
	enum sign_alg	 alg;
	int64_t		 created;
	int64_t		 until;
	enum rotate_role role;
	int		 config;
};

static char		 rotate_dir[PATH_MAX];	/* as keyd sees it now */
static int		 rotate_none;	/* no rotation: a shared database */
static char		 rotate_config_kid[SIGN_KID_MAX + 1];
static struct rotate_entry rotate_config_gone;	/* kid "": none */
static struct event	*rotate_ev;
static int64_t		 rotate_auto_after;	/* after a failed one */
static int		 rotate_root;	/* root before the drop: chown */
static uid_t		 rotate_uid;
static gid_t		 rotate_gid;

static int64_t	 rotate_now_s(void);
static int	 rotate_kid_valid(const char *);
static int	 rotate_parse_line(char *, struct rotate_entry *);
static int	 rotate_read_state(const char *, struct rotate_entry *,
		    size_t *);
static int	 rotate_file_open(const char *, const char *, char *, size_t);
static int	 rotate_file_close(int, const char *, const char *,
		    const char *);
static int	 rotate_write_state(const char *);
static int	 rotate_load_key(const char *, const struct rotate_entry *,
		    int);
static void	 rotate_adopt(const char *, struct rotate_entry *, size_t *);
static void	 rotate_pick_current(const char *, int);
static void	 rotate_prune(const char *);
static int	 rotate_store_key(const char *, enum sign_alg,
		    const uint8_t *, size_t, EVP_PKEY *);
static void	 rotate_expire(int64_t);
static int64_t	 rotate_created(const char *);
static void	 rotate_schedule(void);
static void	 rotate_tick(evutil_socket_t, short, void *);
static void	 rotate_age(int64_t, char *, size_t);
static void	 rotate_time(int64_t, char *, size_t);

static int64_t
rotate_now_s(void)
{
	return now_ms(CLOCK_REALTIME) / 1000;
}

/* How long a replaced key keeps verifying, in seconds. */
int64_t
rotate_overlap(void)
{
	const struct tokend_config	*conf = keyd_conf();
	int64_t				 ttl = conf->access_ttl;

	if (conf->session_ttl > ttl)
		ttl = conf->session_ttl;
	return (ttl + 999) / 1000 + ROTATE_MARGIN;
}

/* A kid is base64url (a thumbprint or HS256's 22 characters). */
static int
rotate_kid_valid(const char *kid)
{
	size_t	 n = strlen(kid);

	return n > 0 && n <= SIGN_KID_MAX && strspn(kid,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == n;
}

static int
rotate_parse_line(char *line, struct rotate_entry *e)
{
	char		*w[6], *last = NULL, *p;
	const char	*errstr;
	size_t		 i, n = 0;

	for (p = strtok_r(line, " \t\n", &last); p != NULL && n < 7;
	    p = strtok_r(NULL, " \t\n", &last))
		if (n++ < 6)
			w[n - 1] = p;
	if (n != 6 || !rotate_kid_valid(w[0]))
		return -1;
	memset(e, 0, sizeof(*e));
	(void)strlcpy(e->kid, w[0], sizeof(e->kid));
	if ((e->alg = sign_alg_from_name(w[1])) == SIGN_NONE)
		return -1;
	e->created = strtonum(w[2], 0, LLONG_MAX, &errstr);
	if (errstr != NULL)
		return -1;
	for (i = 0; i < 3; i++)
		if (strcmp(w[3], rotate_role_names[i]) == 0)
			break;
	if (i == 3)
		return -1;
	e->role = (enum rotate_role)i;
	e->until = strtonum(w[4], 0, LLONG_MAX, &errstr);
	if (errstr != NULL || (e->role == ROTATE_CURRENT) != (e->until == 0))
		return -1;
	if (strcmp(w[5], "config") == 0)
		e->config = 1;
	else if (strcmp(w[5], "file") != 0)
		return -1;
	return 0;
}

/*
 * The state file of dir: 1 read, 0 none, -1 refused (not keyd's, open
 * to others, or not of the form above).
 */
static int
rotate_read_state(const char *dir, struct rotate_entry *e, size_t *ne)
{
	const struct privsep_file	 rule = {
		.what = "signing key state",
		.flags = PRIVSEP_FILE_ROOT_OK,
		.owner = rotate_uid,
		.owner_name = "keyd's user",
		.refused = S_IRWXG | S_IRWXO,
		.refused_means = "accessible"
	};
	char		 path[PATH_MAX], line[ROTATE_LINE_MAX];
	struct stat	 st;
	FILE		*fp;
	int		 fd, lineno = 0, rv = 1;

	*ne = 0;
	if (snprintf(path, sizeof(path), "%s/%s", dir, ROTATE_STATE) >=
	    (int)sizeof(path))
		return -1;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("%s", path);
		return -1;
	}
	if (privsep_check_file(&rule, path, fd, &st) == -1 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	while (rv == 1 && fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp))
			rv = -1;
		else if (line[0] == '#' || line[0] == '\n')
			continue;
		else if (*ne == ROTATE_ENTRIES_MAX ||
		    rotate_parse_line(line, &e[*ne]) == -1)
			rv = -1;
		else
			(*ne)++;
		if (rv == -1)
			log_warnx("%s:%d: not a signing key's line", path,
			    lineno);
	}
	if (ferror(fp))
		rv = -1;
	fclose(fp);
	return rv;
}

/* NAME.tmp in dir, new, mode 0600; its path in tmp. */
static int
rotate_file_open(const char *dir, const char *name, char *tmp, size_t len)
{
	int	 fd;

	if (snprintf(tmp, len, "%s/%s.tmp", dir, name) >= (int)len)
		return -1;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		log_warn("%s", tmp);
	else if (rotate_root && fchown(fd, rotate_uid, rotate_gid) == -1) {
		log_warn("chown %s", tmp);
		close(fd);
		(void)unlink(tmp);
		fd = -1;
	}
	return fd;
}

/* Synced, renamed over dir/NAME, the directory synced; 0 done. */
static int
rotate_file_close(int fd, const char *dir, const char *name, const char *tmp)
{
	char	 path[PATH_MAX];
	int	 dfd, rv = -1;

	if (fsync(fd) == -1)
		log_warn("fsync %s", tmp);
	else if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		log_warnx("%s/%s: path too long", dir, name);
	else if (rename(tmp, path) == -1)
		log_warn("rename %s", tmp);
	else
		rv = 0;
	close(fd);
	if (rv == -1) {
		(void)unlink(tmp);
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dfd) == -1)
		log_warn("fsync %s", dir);
	if (dfd != -1)
		close(dfd);
	return 0;
}

/* The store's keys as the state file of dir. */
static int
rotate_write_state(const char *dir)
{
	struct sign_info	 si;
	char			 tmp[PATH_MAX], line[ROTATE_LINE_MAX * 2];
	size_t			 i, off = 0;
	int			 fd, n;

	n = snprintf(line, sizeof(line),
	    "# kid alg created state until source (see keyd/rotate.c)\n");
	off = (size_t)n;
	if ((fd = rotate_file_open(dir, ROTATE_STATE, tmp, sizeof(tmp))) == -1)
		return -1;
	for (i = 0; i <= sign_count(); i++) {
		if (i < sign_count()) {
			if (sign_info(i, &si) == -1)
				break;
			n = snprintf(line + off, sizeof(line) - off,
			    "%s %s %lld %s %lld %s\n", si.kid,
			    sign_alg_name(si.alg), (long long)si.created,
			    si.current ? "current" : "retiring",
			    (long long)si.until,
			    strcmp(si.kid, rotate_config_kid) == 0 ?
			    "config" : "file");
		} else if (rotate_config_gone.kid[0] != '\0')
			n = snprintf(line + off, sizeof(line) - off,
			    "%s %s %lld removed %lld config\n",
			    rotate_config_gone.kid,
			    sign_alg_name(rotate_config_gone.alg),
			    (long long)rotate_config_gone.created,
			    (long long)rotate_config_gone.until);
		else
			n = 0;
		if (n < 0 || (size_t)n >= sizeof(line) - off ||
		    write(fd, line, off + (size_t)n) !=
		    (ssize_t)(off + (size_t)n)) {
			log_warn("write %s", tmp);
			close(fd);
			(void)unlink(tmp);
			return -1;
		}
		off = 0;
	}
	return rotate_file_close(fd, dir, ROTATE_STATE, tmp);
}

/*
 * dir/KID.key into the store (made current by sign.c; see the caller).
 * -1 when it is missing; a file that is there but refused (open to
 * others, not keyd's) stops keyd, as the secret does, and so does one
 * that is not the state's key, unless adopt (rotate_adopt()): then it
 * is left out.
 */
static int
rotate_load_key(const char *dir, const struct rotate_entry *e, int adopt)
{
	struct keyd_secret	 secret;
	struct sign_info	 si;
	EVP_PKEY		*pkey;
	char			 path[PATH_MAX];
	int			 rv;

	if (snprintf(path, sizeof(path), "%s/%s%s", dir, e->kid,
	    ROTATE_SUFFIX) >= (int)sizeof(path))
		return -1;
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return -1;
	if (e->alg == SIGN_HS256) {
		if (secret_load_existing(path, rotate_uid, &secret) == -1)
			fatalx("cannot use the signing key %s", path);
		rv = sign_add_secret(secret.key, secret.len);
		secret_free(&secret);
	} else {
		if ((pkey = signkey_load_existing(path, rotate_uid)) == NULL)
			fatalx("cannot use the signing key %s", path);
		if ((rv = sign_add_pkey(pkey)) == -1)
			EVP_PKEY_free(pkey);
	}
	if (rv == 0 && sign_info(sign_count() - 1, &si) == 0 &&
	    si.alg == e->alg && strcmp(si.kid, e->kid) == 0)
		return 0;
	if (!adopt)
		fatalx("%s is not the signing key %s", path, e->kid);
	log_warnx("%s is not the %s key %s: left out", path,
	    sign_alg_name(e->alg), e->kid);
	if (rv == 0) {
		(void)sign_set_current(rotate_config_kid);
		(void)sign_remove(si.kid);
	}
	return -1;
}

/*
 * Key files without a state (it was deleted): each verifies, as a
 * replaced key, for an overlap from now; the configured key signs.
 */
static void
rotate_adopt(const char *dir, struct rotate_entry *e, size_t *ne)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 n, sl = strlen(ROTATE_SUFFIX);

	*ne = 0;
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && *ne < SIGN_KEYS_MAX - 1) {
		n = strlen(de->d_name);
		if (n <= sl || n - sl > SIGN_KID_MAX ||
		    strcmp(de->d_name + n - sl, ROTATE_SUFFIX) != 0)
			continue;
		memset(&e[*ne], 0, sizeof(e[*ne]));
		memcpy(e[*ne].kid, de->d_name, n - sl);
		if (!rotate_kid_valid(e[*ne].kid))
			continue;
		e[*ne].alg = sign_current_alg();
		e[*ne].created = rotate_now_s();
		e[*ne].role = ROTATE_RETIRING;
		e[*ne].until = rotate_now_s() + rotate_overlap();
		log_warnx("signing key %s has no state: it verifies until %lld",
		    e[*ne].kid, (long long)e[*ne].until);
		(*ne)++;
	}
	closedir(d);
}

/*
 * The key that signs after a start: the state's current one; the
 * configured key when it is new to the state (the operator replaced
 * it); else the newest key left.  Every other key verifies until it
 * is due to leave, a replaced one from now on.
 */
static void
rotate_pick_current(const char *want, int config_new)
{
	struct sign_info	 si;
	char			 pick[SIGN_KID_MAX + 1];
	int64_t			 newest = -1, now = rotate_now_s();
	size_t			 i;

	(void)strlcpy(pick, rotate_config_kid, sizeof(pick));
	if (!config_new && want[0] != '\0')
		(void)strlcpy(pick, want, sizeof(pick));
	else if (!config_new)
		for (i = 0; i < sign_count(); i++) {
			if (sign_info(i, &si) == -1 || si.created <= newest ||
			    (strcmp(si.kid, rotate_config_kid) == 0 &&
			    rotate_config_gone.kid[0] != '\0'))
				continue;
			newest = si.created;
			(void)strlcpy(pick, si.kid, sizeof(pick));
		}
	(void)sign_set_current(pick);
	for (i = 0; i < sign_count(); i++) {
		if (sign_info(i, &si) == -1)
			continue;
		if (si.current)
			(void)sign_set_times(si.kid, si.created, 0);
		else if (si.until == 0)
			(void)sign_set_times(si.kid, si.created,
			    now + rotate_overlap());
	}
	if (strcmp(sign_current_kid(), rotate_config_kid) == 0)
		memset(&rotate_config_gone, 0, sizeof(rotate_config_gone));
}

/*
 * Whatever dir holds that the store does not name: a key file of an
 * interrupted rotation, one whose time is over, a temporary file.
 */
static void
rotate_prune(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	struct sign_info si;
	char		 path[PATH_MAX], kid[SIGN_KID_MAX + 1];
	size_t		 i, n;
	int		 keep;

	if ((d = opendir(dir)) == NULL) {
		log_warn("%s", dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ROTATE_STATE) == 0)
			continue;
		keep = 0;
		n = strlen(de->d_name);
		if (n > strlen(ROTATE_SUFFIX) && n - strlen(ROTATE_SUFFIX) <
		    sizeof(kid) && strcmp(de->d_name + n -
		    strlen(ROTATE_SUFFIX), ROTATE_SUFFIX) == 0) {
			memcpy(kid, de->d_name, n - strlen(ROTATE_SUFFIX));
			kid[n - strlen(ROTATE_SUFFIX)] = '\0';
			for (i = 0; !keep && i < sign_count(); i++)
				keep = sign_info(i, &si) == 0 &&
				    strcmp(si.kid, kid) == 0 &&
				    strcmp(kid, rotate_config_kid) != 0;
		}
		if (keep || snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) >= (int)sizeof(path))
			continue;
		if (unlink(path) == -1)
			log_warn("unlink %s", path);
		else
			log_info("removed %s: no key of the state", path);
	}
	closedir(d);
}

/*
 * At keyd's start, before the chroot, with the configured key current
 * in the store: the rotated keys and their state.  outer is the keys'
 * directory as keyd sees it now, inner as it will after the chroot.
 */
/*
 * With PostgreSQL the hosts share the configured key, and a rotated key
 * would be one host's: no rotation (tokenctl key rotate says so).
 */
void
rotate_load_none(void)
{
	rotate_none = 1;
	(void)strlcpy(rotate_config_kid, sign_current_kid(),
	    sizeof(rotate_config_kid));
	(void)sign_set_times(rotate_config_kid, rotate_now_s(), 0);
}

void
rotate_load(const char *outer, const char *inner, uid_t uid, gid_t gid)
{
	struct rotate_entry	 e[ROTATE_ENTRIES_MAX];
	char			 want[SIGN_KID_MAX + 1] = "";
	enum sign_alg		 alg = sign_current_alg();
	int64_t			 now = rotate_now_s();
	size_t			 i, ne;
	int			 have, config_seen = 0, config_gone = 0;

	rotate_uid = uid;
	rotate_gid = gid;
	rotate_root = geteuid() == 0;
	if (strlcpy(rotate_dir, inner, sizeof(rotate_dir)) >=
	    sizeof(rotate_dir))
		fatalx("signing keys directory too long");
	(void)strlcpy(rotate_config_kid, sign_current_kid(),
	    sizeof(rotate_config_kid));
	(void)sign_set_times(rotate_config_kid, now, 0);
	if (mkdir(outer, 0700) == -1 && errno != EEXIST)
		fatal("mkdir %s", outer);
	if (rotate_root && chown(outer, uid, gid) == -1)
		fatal("chown %s", outer);
	if ((have = rotate_read_state(outer, e, &ne)) == -1)
		fatalx("cannot use the signing keys' state in %s", outer);
	if (have == 0)
		rotate_adopt(outer, e, &ne);
	for (i = 0; i < ne; i++) {
		if (e[i].alg != alg) {
			log_warnx("dropping %s key %s: the algorithm is %s",
			    sign_alg_name(e[i].alg), e[i].kid,
			    sign_alg_name(alg));
			continue;
		}
		if (e[i].config) {
			if (strcmp(e[i].kid, rotate_config_kid) != 0)
				continue;	/* replaced by the operator */
			config_seen = 1;
			if (e[i].role == ROTATE_REMOVED) {
				config_gone = 1;
				rotate_config_gone = e[i];
			} else
				(void)sign_set_times(e[i].kid, e[i].created,
				    e[i].until);
		} else if (e[i].role == ROTATE_REMOVED ||
		    (e[i].role == ROTATE_RETIRING && e[i].until <= now))
			continue;
		else if (rotate_load_key(outer, &e[i], have == 0) == -1) {
			log_warnx("signing key %s of the state is lost",
			    e[i].kid);
			(void)sign_set_current(rotate_config_kid);
			continue;
		} else {
			(void)sign_set_current(rotate_config_kid);
			(void)sign_set_times(e[i].kid, e[i].created,
			    e[i].until);
		}
		if (e[i].role == ROTATE_CURRENT &&
		    (!e[i].config || !config_gone))
			(void)strlcpy(want, e[i].kid, sizeof(want));
	}
	if (want[0] != '\0' && sign_set_current(want) == -1)
		want[0] = '\0';
	(void)sign_set_current(rotate_config_kid);
	rotate_pick_current(want, !config_seen);
	/* The configured key, removed before, leaves again. */
	if (config_gone && strcmp(sign_current_kid(), rotate_config_kid) != 0)
		(void)sign_remove(rotate_config_kid);
	rotate_expire(now);
	rotate_prune(outer);
	if (rotate_write_state(outer) == -1)
		fatalx("cannot write the signing keys' state in %s", outer);
	rotate_root = 0;	/* what keyd writes later is its user's */
	log_info("signing with %s, key %s (%zu keys)",
	    sign_alg_name(sign_current_alg()), sign_current_kid(),
	    sign_count());
}

/*
 * Every verifying key whose time is over leaves the store (its file is
 * the caller's: after the state that no longer names it).
 */
static void
rotate_expire(int64_t now)
{
	struct sign_info	 si;
	size_t			 i = 0;

	while (i < sign_count()) {
		if (sign_info(i, &si) == -1 || si.current || si.until == 0 ||
		    si.until > now) {
			i++;
			continue;
		}
		if (strcmp(si.kid, rotate_config_kid) == 0) {
			memset(&rotate_config_gone, 0,
			    sizeof(rotate_config_gone));
			(void)strlcpy(rotate_config_gone.kid, si.kid,
			    sizeof(rotate_config_gone.kid));
			rotate_config_gone.alg = si.alg;
			rotate_config_gone.created = si.created;
			rotate_config_gone.until = si.until;
		}
		if (sign_remove(si.kid) == -1)
			i++;
		else
			log_info("signing key %s removed", si.kid);
	}
}

/* When the key of kid was made (now when there is none). */
static int64_t
rotate_created(const char *kid)
{
	struct sign_info	 si;
	size_t			 i;

	for (i = 0; i < sign_count(); i++)
		if (sign_info(i, &si) == 0 && strcmp(si.kid, kid) == 0)
			return si.created;
	return rotate_now_s();
}

/*
 * The new key's file, KID.key, before any state names it: the HS256
 * secret's bytes, or the private key as PEM.
 */
static int
rotate_store_key(const char *kid, enum sign_alg alg, const uint8_t *key,
    size_t keylen, EVP_PKEY *pkey)
{
	char	 name[SIGN_KID_MAX + sizeof(ROTATE_SUFFIX)];
	char	 tmp[PATH_MAX];
	int	 fd, rv;

	(void)snprintf(name, sizeof(name), "%s%s", kid, ROTATE_SUFFIX);
	if ((fd = rotate_file_open(rotate_dir, name, tmp, sizeof(tmp))) == -1)
		return -1;
	if (alg == SIGN_HS256)
		rv = write(fd, key, keylen) == (ssize_t)keylen ? 0 : -1;
	else
		rv = signkey_write(fd, pkey);
	if (rv == -1) {
		log_warn("write %s", tmp);
		close(fd);
		(void)unlink(tmp);
		return -1;
	}
	return rotate_file_close(fd, rotate_dir, name, tmp);
}

/*
 * A new key of the algorithm in use made current; the one it replaces
 * verifies for rotate_overlap() more seconds.  What happened, for the
 * operator, in msg.  Every worker is told the new key set.
 */
int
rotate_key(char *msg, size_t msglen)
{
	struct sign_info	 si;
	char			 old[SIGN_KID_MAX + 1], kid[SIGN_KID_MAX + 1];
	char			 path[PATH_MAX], when[32];
	uint8_t			 secret[KEYD_SECRET_NEW];
	enum sign_alg		 alg = sign_current_alg();
	EVP_PKEY		*pkey = NULL;
	int64_t			 now = rotate_now_s(), until, created;
	int			 rv;

	if (rotate_none) {
		(void)snprintf(msg, msglen, "no key rotation with a "
		    "PostgreSQL database: its hosts share the keys of their "
		    "configuration");
		return -1;
	}
	if (sign_count() >= SIGN_KEYS_MAX) {
		(void)snprintf(msg, msglen, "already %d signing keys: a "
		    "rotation waits until one of them leaves", SIGN_KEYS_MAX);
		return -1;
	}
	(void)strlcpy(old, sign_current_kid(), sizeof(old));
	if (alg == SIGN_HS256) {
		arc4random_buf(secret, sizeof(secret));
		rv = sign_add_secret(secret, sizeof(secret));
	} else if ((pkey = signkey_new(alg)) == NULL)
		rv = -1;
	else if ((rv = sign_add_pkey(pkey)) == -1)
		EVP_PKEY_free(pkey);
	if (rv == -1 || sign_info(sign_count() - 1, &si) == -1) {
		explicit_bzero(secret, sizeof(secret));
		(void)snprintf(msg, msglen, "cannot make a %s key",
		    sign_alg_name(alg));
		return -1;
	}
	(void)strlcpy(kid, si.kid, sizeof(kid));
	(void)sign_set_current(old);
	rv = rotate_store_key(kid, alg, secret, sizeof(secret), pkey);
	explicit_bzero(secret, sizeof(secret));
	until = now + rotate_overlap();
	created = rotate_created(old);
	if (rv == 0) {
		(void)sign_set_times(kid, now, 0);
		(void)sign_set_times(old, created, until);
		(void)sign_set_current(kid);
		if ((rv = rotate_write_state(rotate_dir)) == -1) {
			(void)sign_set_current(old);
			(void)sign_set_times(old, created, 0);
			if (snprintf(path, sizeof(path), "%s/%s%s",
			    rotate_dir, kid, ROTATE_SUFFIX) <
			    (int)sizeof(path))
				(void)unlink(path);
		}
	}
	if (rv == -1) {
		(void)sign_remove(kid);
		(void)snprintf(msg, msglen, "cannot store the new key in %s",
		    rotate_dir);
		return -1;
	}
	keyd_keys_push();
	rotate_schedule();
	log_info("signing key %s is current; %s verifies for %llds more",
	    kid, old, (long long)(until - now));
	rotate_time(until, when, sizeof(when));
	(void)snprintf(msg, msglen, "key %s is current; %s verifies until %s",
	    kid, old, when);
	return 0;
}

/* What a timer tick may do: removals that are due, a rotation due. */
static void
rotate_tick(evutil_socket_t fd, short events, void *arg)
{
	struct sign_info	 si;
	char			 before[SIGN_KIDS_MAX], msg[256];
	char			 kids[SIGN_KIDS_MAX], *kid, *last = NULL;
	char			 path[PATH_MAX];
	int64_t			 now = rotate_now_s();
	int			 every = keyd_conf()->signing_rotate_every;
	size_t			 i;

	if (sign_kids(before, sizeof(before)) == -1)
		before[0] = '\0';
	rotate_expire(now);
	if (sign_kids(kids, sizeof(kids)) != -1 &&
	    strcmp(before, kids) != 0) {
		if (rotate_write_state(rotate_dir) == -1)
			log_warnx("cannot write the signing keys' state");
		/* The files of the kids that left. */
		for (kid = strtok_r(before, " ", &last); kid != NULL;
		    kid = strtok_r(NULL, " ", &last)) {
			for (i = 0; i < sign_count(); i++)
				if (sign_info(i, &si) == 0 &&
				    strcmp(si.kid, kid) == 0)
					break;
			if (i < sign_count() ||
			    strcmp(kid, rotate_config_kid) == 0 ||
			    snprintf(path, sizeof(path), "%s/%s%s",
			    rotate_dir, kid, ROTATE_SUFFIX) >=
			    (int)sizeof(path))
				continue;
			if (unlink(path) == -1 && errno != ENOENT)
				log_warn("unlink %s", path);
		}
		keyd_keys_push();
	}
	if (every > 0 && rotate_created(sign_current_kid()) + every <= now &&
	    rotate_auto_after <= now && sign_count() < SIGN_KEYS_MAX &&
	    rotate_key(msg, sizeof(msg)) == -1) {
		log_warnx("automatic rotation: %s", msg);
		rotate_auto_after = now + ROTATE_RETRY;
	}
	rotate_schedule();
}

/*
 * The timer at the next removal or automatic rotation, in whole
 * seconds: the tick falls in the second that is due or later.
 */
static void
rotate_schedule(void)
{
	struct sign_info	 si;
	struct timeval		 tv = { 0, 0 };
	int64_t			 now = rotate_now_s(), at;
	int64_t			 next = now + ROTATE_TICK_MAX;
	int			 every = keyd_conf()->signing_rotate_every;
	size_t			 i;

	if (rotate_ev == NULL)
		return;
	for (i = 0; i < sign_count(); i++) {
		if (sign_info(i, &si) == -1)
			continue;
		if (!si.current)
			at = si.until;
		else if (every > 0 && sign_count() < SIGN_KEYS_MAX)
			at = si.created + every > rotate_auto_after ?
			    si.created + every : rotate_auto_after;
		else
			continue;
		if (at < next)
			next = at;
	}
	tv.tv_sec = next > now ? next - now : 0;
	if (evtimer_add(rotate_ev, &tv) == -1)
		fatalx("evtimer_add");
}

/* keyd's loop runs: the timer starts (and after a reload, again). */
void
rotate_start(struct event_base *base)
{
	if (rotate_none)
		return;
	if (rotate_ev == NULL &&
	    (rotate_ev = evtimer_new(base, rotate_tick, NULL)) == NULL)
		fatalx("evtimer_new");
	rotate_schedule();
}

static void
rotate_age(int64_t s, char *out, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		(void)snprintf(out, len, "%lldd%lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		(void)snprintf(out, len, "%lldh%lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else if (s >= 60)
		(void)snprintf(out, len, "%lldm%llds", (long long)(s / 60),
		    (long long)(s % 60));
	else
		(void)snprintf(out, len, "%llds", (long long)s);
}

/* A time as UTC, ISO 8601. */
static void
rotate_time(int64_t s, char *out, size_t len)
{
	struct tm	 tm;
	time_t		 t = (time_t)s;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)strlcpy(out, "?", len);
}

/* tokenctl key list: a line a key, the current one first. */
int
rotate_list(char *out, size_t len)
{
	struct sign_info	 si;
	char			 age[32], until[32];
	size_t			 i, off = 0;
	int64_t			 now = rotate_now_s();
	int			 n, pass;

	n = snprintf(out, len, "%-44s %-6s %-8s %s\n", "KID", "ALG", "AGE",
	    "STATE");
	if (n < 0 || (size_t)n >= len)
		return -1;
	off = (size_t)n;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < sign_count(); i++) {
			if (sign_info(i, &si) == -1 ||
			    si.current != (pass == 0))
				continue;
			rotate_age(now - si.created, age, sizeof(age));
			rotate_time(si.until, until, sizeof(until));
			n = snprintf(out + off, len - off,
			    "%-44s %-6s %-8s %s%s\n", si.kid,
			    sign_alg_name(si.alg), age, si.current ?
			    "current" : "retiring until ",
			    si.current ? "" : until);
			if (n < 0 || (size_t)n >= len - off)
				return -1;
			off += (size_t)n;
		}
	if (off > 0 && out[off - 1] == '\n')
		out[--off] = '\0';
	return 0;
}
