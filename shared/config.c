/*
 * The configuration outside the grammar: defaults, the checks made once
 * the whole file has been read, and the JSON form in which the parent
 * ships it to keyd and the workers.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <netdb.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

enum field_kind {
	FIELD_USER,
	FIELD_PATH,
	FIELD_COOKIE_NAME,
	FIELD_COOKIE_DOMAIN,
	FIELD_SAMESITE,
	FIELD_INT,
	FIELD_SIZE,
	FIELD_MSEC,		/* int64_t milliseconds */
	FIELD_BOOL		/* int, a JSON boolean */
};

/*
 * Every setting but the listen addresses: its JSON key, the name the
 * grammar gives it, where it lives, its bounds and whether a reload
 * may change it.  config_to_json, config_from_json, config_finish and
 * config_restart_needed all walk this table.
 */
struct config_field {
	const char	*key;
	const char	*label;
	enum field_kind	 kind;
	size_t		 offset;
	size_t		 size;		/* strings: buffer size */
	long long	 min;
	long long	 max;
	int		 restart;	/* fixed until tokend restarts */
};

#define FIELD_STRING(key, label, kind, member, restart)			\
	{ key, label, kind, offsetof(struct tokend_config, member),	\
	    sizeof(((struct tokend_config *)0)->member), 0, 0, restart }
#define FIELD_NUMBER(key, label, kind, member, min, max, restart)	\
	{ key, label, kind, offsetof(struct tokend_config, member), 0,	\
	    min, max, restart }

static const struct config_field config_fields[] = {
	FIELD_NUMBER("prefork", "prefork", FIELD_INT, prefork,
	    0, CONF_PREFORK_MAX, 1),
	FIELD_STRING("server_user", "user", FIELD_USER, server_user, 1),
	FIELD_STRING("server_chroot", "chroot", FIELD_PATH, server_chroot,
	    1),
	FIELD_STRING("keyd_user", "keyd user", FIELD_USER, keyd_user, 1),
	FIELD_STRING("keyd_chroot", "keyd chroot", FIELD_PATH, keyd_chroot,
	    1),
	FIELD_STRING("keyd_program", "keyd program", FIELD_PATH,
	    keyd_program, 1),
	FIELD_STRING("database", "keyd database", FIELD_PATH, database, 1),
	FIELD_STRING("secret", "keyd secret", FIELD_PATH, secret, 1),
	FIELD_STRING("control", "control socket", FIELD_PATH, control, 1),
	FIELD_NUMBER("header_max", "header-size", FIELD_SIZE, header_max,
	    CONF_HEADER_LO, CONF_HEADER_HI, 0),
	FIELD_NUMBER("body_max", "body-size", FIELD_SIZE, body_max,
	    CONF_BODY_LO, CONF_BODY_HI, 0),
	FIELD_NUMBER("connections", "connections", FIELD_INT, connections,
	    CONF_CONNECTIONS_LO, CONF_CONNECTIONS_HI, 0),
	FIELD_NUMBER("request_timeout", "request timeout", FIELD_INT,
	    request_timeout, CONF_REQUEST_LO, CONF_REQUEST_HI, 0),
	FIELD_NUMBER("keyd_timeout", "keyd timeout", FIELD_INT,
	    keyd_timeout, CONF_KEYD_TIMEOUT_LO, CONF_KEYD_TIMEOUT_HI, 0),
	FIELD_NUMBER("access_ttl", "access-ttl", FIELD_MSEC, access_ttl,
	    CONF_ACCESS_TTL_LO, CONF_ACCESS_TTL_HI, 0),
	FIELD_NUMBER("refresh_ttl", "refresh-ttl", FIELD_MSEC, refresh_ttl,
	    CONF_REFRESH_TTL_LO, CONF_REFRESH_TTL_HI, 0),
	FIELD_NUMBER("session_ttl", "session-ttl", FIELD_MSEC, session_ttl,
	    CONF_SESSION_TTL_LO, CONF_SESSION_TTL_HI, 0),
	FIELD_NUMBER("session_grace", "session-grace", FIELD_MSEC,
	    session_grace, CONF_SESSION_GRACE_LO, CONF_SESSION_GRACE_HI, 0),
	FIELD_NUMBER("login_stall", "login-stall", FIELD_INT, login_stall,
	    CONF_LOGIN_STALL_LO, CONF_LOGIN_STALL_HI, 0),
	FIELD_NUMBER("login_attempts", "login-attempts", FIELD_INT,
	    login_attempts, CONF_LOGIN_ATTEMPTS_LO, CONF_LOGIN_ATTEMPTS_HI, 0),
	FIELD_NUMBER("hash_memory", "password memory", FIELD_INT,
	    hash_memory, CONF_HASH_MEMORY_LO, CONF_HASH_MEMORY_HI, 0),
	FIELD_NUMBER("hash_iterations", "password iterations", FIELD_INT,
	    hash_iterations, CONF_HASH_ITERATIONS_LO, CONF_HASH_ITERATIONS_HI,
	    0),
	FIELD_NUMBER("hash_parallelism", "password parallelism", FIELD_INT,
	    hash_parallelism, CONF_HASH_PARALLELISM_LO,
	    CONF_HASH_PARALLELISM_HI, 0),
	FIELD_NUMBER("hash_threads", "password threads", FIELD_INT,
	    hash_threads, CONF_HASH_THREADS_LO, CONF_HASH_THREADS_HI, 1),
	FIELD_NUMBER("hash_queue", "password queue", FIELD_INT, hash_queue,
	    CONF_HASH_QUEUE_LO, CONF_HASH_QUEUE_HI, 1),
	FIELD_STRING("refresh_cookie", "cookie refresh name",
	    FIELD_COOKIE_NAME, refresh_cookie, 0),
	FIELD_NUMBER("refresh_cookie_secure", "cookie refresh secure",
	    FIELD_BOOL, refresh_cookie_secure, 0, 1, 0),
	FIELD_STRING("refresh_cookie_samesite", "cookie refresh same-site",
	    FIELD_SAMESITE, refresh_cookie_samesite, 0),
	FIELD_STRING("refresh_cookie_domain", "cookie refresh domain",
	    FIELD_COOKIE_DOMAIN, refresh_cookie_domain, 0),
	FIELD_STRING("session_cookie", "cookie session name",
	    FIELD_COOKIE_NAME, session_cookie, 0),
	FIELD_NUMBER("session_cookie_secure", "cookie session secure",
	    FIELD_BOOL, session_cookie_secure, 0, 1, 0),
	FIELD_STRING("session_cookie_samesite", "cookie session same-site",
	    FIELD_SAMESITE, session_cookie_samesite, 0),
	FIELD_STRING("session_cookie_domain", "cookie session domain",
	    FIELD_COOKIE_DOMAIN, session_cookie_domain, 0),
};
#define CONFIG_NFIELDS	(sizeof(config_fields) / sizeof(config_fields[0]))

static char *
field_string(const struct tokend_config *conf, const struct config_field *f)
{
	return (char *)conf + f->offset;
}

static long long
field_number(const struct tokend_config *conf, const struct config_field *f)
{
	const char	*p = (const char *)conf + f->offset;

	if (f->kind == FIELD_SIZE)
		return (long long)*(const size_t *)(const void *)p;
	if (f->kind == FIELD_MSEC)
		return *(const int64_t *)(const void *)p;
	return *(const int *)(const void *)p;
}

static void
field_set_number(struct tokend_config *conf, const struct config_field *f,
    long long n)
{
	char	*p = (char *)conf + f->offset;

	if (f->kind == FIELD_SIZE)
		*(size_t *)(void *)p = (size_t)n;
	else if (f->kind == FIELD_MSEC)
		*(int64_t *)(void *)p = n;
	else
		*(int *)(void *)p = (int)n;
}

static int
field_is_string(const struct config_field *f)
{
	return f->kind == FIELD_USER || f->kind == FIELD_PATH ||
	    f->kind == FIELD_COOKIE_NAME || f->kind == FIELD_COOKIE_DOMAIN ||
	    f->kind == FIELD_SAMESITE;
}

static int
field_equal(const struct tokend_config *a, const struct tokend_config *b,
    const struct config_field *f)
{
	if (field_is_string(f))
		return strcmp(field_string(a, f), field_string(b, f)) == 0;
	return field_number(a, f) == field_number(b, f);
}

/* The JSON form holds the canonical spelling only. */
static const char *
check_samesite(const char *s)
{
	const char	*canonical;

	if ((canonical = config_samesite(s)) == NULL ||
	    strcmp(canonical, s) != 0)
		return "same-site must be Lax, Strict or None";
	return NULL;
}

static const char *
field_check(const struct config_field *f, const char *s)
{
	switch (f->kind) {
	case FIELD_USER:
		return config_check_user(s);
	case FIELD_COOKIE_NAME:
		return config_check_cookie_name(s);
	case FIELD_COOKIE_DOMAIN:
		return config_check_cookie_domain(s);
	case FIELD_SAMESITE:
		return check_samesite(s);
	default:
		return config_check_path(s);
	}
}

struct tokend_config *
config_new(void)
{
	struct tokend_config	*conf;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return NULL;
	TAILQ_INIT(&conf->listens);
	(void)strlcpy(conf->server_user, CONF_SERVER_USER,
	    sizeof(conf->server_user));
	(void)strlcpy(conf->server_chroot, CONF_SERVER_CHROOT,
	    sizeof(conf->server_chroot));
	(void)strlcpy(conf->keyd_user, CONF_KEYD_USER, sizeof(conf->keyd_user));
	(void)strlcpy(conf->keyd_chroot, CONF_KEYD_CHROOT,
	    sizeof(conf->keyd_chroot));
	(void)strlcpy(conf->keyd_program, CONF_KEYD_PROGRAM,
	    sizeof(conf->keyd_program));
	(void)strlcpy(conf->database, CONF_DATABASE, sizeof(conf->database));
	(void)strlcpy(conf->secret, CONF_SECRET, sizeof(conf->secret));
	(void)strlcpy(conf->control, CONF_CONTROL, sizeof(conf->control));
	conf->header_max = CONF_HEADER_MAX;
	conf->body_max = CONF_BODY_MAX;
	conf->connections = CONF_CONNECTIONS;
	conf->request_timeout = CONF_REQUEST_TIMEOUT;
	conf->keyd_timeout = CONF_KEYD_TIMEOUT;
	conf->access_ttl = CONF_ACCESS_TTL;
	conf->refresh_ttl = CONF_REFRESH_TTL;
	conf->session_ttl = CONF_SESSION_TTL;
	conf->session_grace = CONF_SESSION_GRACE;
	conf->login_stall = CONF_LOGIN_STALL;
	conf->login_attempts = CONF_LOGIN_ATTEMPTS;
	conf->hash_memory = CONF_HASH_MEMORY;
	conf->hash_iterations = CONF_HASH_ITERATIONS;
	conf->hash_parallelism = CONF_HASH_PARALLELISM;
	conf->hash_queue = CONF_HASH_QUEUE;
	(void)strlcpy(conf->refresh_cookie, CONF_REFRESH_COOKIE,
	    sizeof(conf->refresh_cookie));
	(void)strlcpy(conf->session_cookie, CONF_SESSION_COOKIE,
	    sizeof(conf->session_cookie));
	(void)strlcpy(conf->refresh_cookie_samesite, CONF_COOKIE_SAMESITE,
	    sizeof(conf->refresh_cookie_samesite));
	(void)strlcpy(conf->session_cookie_samesite, CONF_COOKIE_SAMESITE,
	    sizeof(conf->session_cookie_samesite));
	return conf;
}

void
config_free(struct tokend_config *conf)
{
	struct listen_addr	*la;

	if (conf == NULL)
		return;
	while ((la = TAILQ_FIRST(&conf->listens)) != NULL) {
		TAILQ_REMOVE(&conf->listens, la, entry);
		free(la);
	}
	free(conf);
}

/* NULL if the name can be a user name, else why not. */
const char *
config_check_user(const char *name)
{
	size_t	 len;

	len = strlen(name);
	if (len == 0)
		return "empty user name";
	if (len >= CONF_NAME_MAX)
		return "user name too long";
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") != len)
		return "user name may only contain A-Z a-z 0-9 _ . -";
	return NULL;
}

/*
 * NULL if the path is absolute and fits, else why not.  Paths are
 * printable ASCII so that they always travel as JSON strings.
 */
const char *
config_check_path(const char *path)
{
	const char	*p;

	if (path[0] != '/')
		return "path is not absolute";
	if (strlen(path) >= PATH_MAX)
		return "path too long";
	for (p = path; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return "path contains a non-printable character";
	return NULL;
}

/* NULL if the name is an RFC 6265 token that fits, else why not. */
const char *
config_check_cookie_name(const char *name)
{
	size_t	 len;

	len = strlen(name);
	if (len == 0)
		return "empty cookie name";
	if (len >= CONF_COOKIE_NAME_MAX)
		return "cookie name too long";
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789!#$%&'*+.^_`|~-") != len)
		return "cookie name may only contain A-Z a-z 0-9 and "
		    "!#$%&'*+.^_`|~-";
	return NULL;
}

/*
 * NULL if the domain can go into a Domain attribute as it is, else why
 * not.  The empty domain means no Domain attribute.
 */
const char *
config_check_cookie_domain(const char *domain)
{
	const char	*p;

	if (strlen(domain) >= CONF_COOKIE_DOMAIN_MAX)
		return "cookie domain too long";
	for (p = domain; *p != '\0'; p++)
		if (*p <= 0x20 || *p > 0x7e || *p == ';' || *p == ',')
			return "cookie domain may not contain ';', ',', "
			    "blanks or non-printable characters";
	return NULL;
}

/* The SameSite value spelled as it is sent, whatever the case of s. */
const char *
config_samesite(const char *s)
{
	static const char *const	 values[] = { "Lax", "Strict", "None" };
	size_t				 i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (strcasecmp(s, values[i]) == 0)
			return values[i];
	return NULL;
}

static int
listen_count(const struct tokend_config *conf)
{
	struct listen_addr	*la;
	int			 n = 0;

	TAILQ_FOREACH(la, &conf->listens, entry)
		n++;
	return n;
}

static const char *
listen_check(const struct tokend_config *conf, const char *host,
    const struct sockaddr *sa, socklen_t salen, int port)
{
	const char	*p;

	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    salen > sizeof(struct sockaddr_storage))
		return "unsupported address family";
	if (port < 1 || port > 65535)
		return "port out of range";
	if (strlen(host) >= NI_MAXHOST)
		return "host name too long";
	for (p = host; *p != '\0'; p++)
		if (*p <= 0x20 || *p > 0x7e)
			return "host name contains an invalid character";
	if (listen_count(conf) >= CONF_LISTEN_MAX)
		return "too many listen addresses";
	return NULL;
}

static int
listen_exists(const struct tokend_config *conf, const struct listen_addr *new)
{
	struct listen_addr	*la;

	TAILQ_FOREACH(la, &conf->listens, entry)
		if (la->sslen == new->sslen &&
		    memcmp(&la->ss, &new->ss, la->sslen) == 0)
			return 1;
	return 0;
}

/*
 * Appends an address (its port replaced by port) to the listen list.
 * On failure returns -1 with *errstr saying why.
 */
int
config_listen_add(struct tokend_config *conf, const char *host,
    const struct sockaddr *sa, socklen_t salen, int port, const char **errstr)
{
	struct listen_addr	*la;

	if ((*errstr = listen_check(conf, host, sa, salen, port)) != NULL)
		return -1;
	if ((la = calloc(1, sizeof(*la))) == NULL) {
		*errstr = "out of memory";
		return -1;
	}
	(void)strlcpy(la->host, host, sizeof(la->host));
	memcpy(&la->ss, sa, salen);
	la->sslen = salen;
	la->port = port;
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)&la->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&la->ss)->sin6_port = htons(port);
	if (listen_exists(conf, la)) {
		free(la);
		*errstr = "duplicate listen address";
		return -1;
	}
	TAILQ_INSERT_TAIL(&conf->listens, la, entry);
	return 0;
}

/* Resolves a numeric address and appends it. */
static int
listen_add_numeric(struct tokend_config *conf, const char *host,
    const char *addr, int port, const char **errstr)
{
	struct addrinfo	 hints, *res;
	int		 rv;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(addr, NULL, &hints, &res) != 0) {
		*errstr = "invalid numeric address";
		return -1;
	}
	rv = config_listen_add(conf, host, res->ai_addr, res->ai_addrlen,
	    port, errstr);
	freeaddrinfo(res);
	return rv;
}

static int
finish_listen_default(struct tokend_config *conf)
{
	const char	*errstr;

	if (listen_add_numeric(conf, "127.0.0.1", "127.0.0.1",
	    CONF_PORT_DEFAULT, &errstr) == -1) {
		log_warnx("default listen address: %s", errstr);
		return 1;
	}
	return 0;
}

/* The number of CPUs, at most max. */
static int
finish_ncpu(int max)
{
	long	 ncpu;

	if ((ncpu = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		return 1;
	if (ncpu > max)
		return max;
	return (int)ncpu;
}

static int
finish_check_fields(const struct tokend_config *conf)
{
	const struct config_field	*f;
	const char			*errstr;
	size_t				 i;
	int				 errors = 0;

	for (i = 0; i < CONFIG_NFIELDS; i++) {
		f = &config_fields[i];
		if (!field_is_string(f))
			continue;
		if ((errstr = field_check(f, field_string(conf, f))) != NULL) {
			log_warnx("%s \"%s\": %s", f->label,
			    field_string(conf, f), errstr);
			errors++;
		}
	}
	return errors;
}

static int
finish_check_database(const struct tokend_config *conf)
{
	char	 path[PATH_MAX];

	if (config_path_within(conf->keyd_chroot, conf->database, path,
	    sizeof(path)) == -1) {
		log_warnx("database %s is not inside the keyd chroot %s",
		    conf->database, conf->keyd_chroot);
		return 1;
	}
	return 0;
}

/* The secret may not exist yet (keyd creates it); if it does, it is ours. */
static int
finish_check_secret(const struct tokend_config *conf)
{
	struct stat	 st;

	if (stat(conf->secret, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("secret %s", conf->secret);
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("secret %s: not a regular file", conf->secret);
		return 1;
	}
	if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
		log_warnx("secret %s: file is readable or writable by group "
		    "or others", conf->secret);
		return 1;
	}
	return 0;
}

/* Browsers drop a SameSite=None cookie that is not also Secure. */
static int
cookie_check_samesite(const char *which, const char *samesite, int secure)
{
	if (strcmp(samesite, "None") == 0 && !secure) {
		log_warnx("cookie %s: same-site none requires secure yes",
		    which);
		return 1;
	}
	return 0;
}

/*
 * What the auth, password and cookie blocks cannot check one statement
 * at a time.  config_from_json checks it too, so that keyd and the
 * workers may rely on it.
 */
static int
finish_check_auth(const struct tokend_config *conf)
{
	int	 errors = 0;

	if (strcmp(conf->refresh_cookie, conf->session_cookie) == 0) {
		log_warnx("cookie refresh and cookie session have the same "
		    "name \"%s\"", conf->refresh_cookie);
		errors++;
	}
	errors += cookie_check_samesite("refresh",
	    conf->refresh_cookie_samesite, conf->refresh_cookie_secure);
	errors += cookie_check_samesite("session",
	    conf->session_cookie_samesite, conf->session_cookie_secure);
	/* argon2 wants 8 KiB per lane; the bounds imply it for now. */
	if (conf->hash_memory < 8 * conf->hash_parallelism) {
		log_warnx("password memory %dK is less than 8K times "
		    "parallelism %d", conf->hash_memory,
		    conf->hash_parallelism);
		errors++;
	}
	return errors;
}

/*
 * Fills in what depends on the host (the default listen address, the
 * number of workers and hashing threads) and checks what one statement
 * alone cannot.
 */
int
config_finish(struct tokend_config *conf)
{
	int	 errors = 0;

	if (TAILQ_EMPTY(&conf->listens))
		errors += finish_listen_default(conf);
	if (conf->prefork == 0)
		conf->prefork = finish_ncpu(CONF_PREFORK_MAX);
	if (conf->hash_threads == 0)
		conf->hash_threads = finish_ncpu(CONF_HASH_THREADS_HI);
	errors += finish_check_fields(conf);
	errors += finish_check_database(conf);
	errors += finish_check_secret(conf);
	errors += finish_check_auth(conf);
	return errors ? -1 : 0;
}

/* Skips slashes and "." components; *len is 0 at the end. */
static const char *
path_component(const char *p, size_t *len)
{
	for (;;) {
		while (*p == '/')
			p++;
		*len = strcspn(p, "/");
		if (*len != 1 || p[0] != '.')
			return p;
		p++;
	}
}

static int
path_has_dotdot(const char *path)
{
	const char	*p;
	size_t		 len;

	for (p = path;; p += len) {
		p = path_component(p, &len);
		if (len == 0)
			return 0;
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return 1;
	}
}

/* Returns what follows root in path, or NULL if root is not a prefix. */
static const char *
path_strip_root(const char *root, const char *path)
{
	const char	*r, *p;
	size_t		 rlen, plen;

	for (r = root, p = path;; r += rlen, p += plen) {
		r = path_component(r, &rlen);
		if (rlen == 0)
			return p;
		p = path_component(p, &plen);
		if (plen != rlen || memcmp(r, p, rlen) != 0)
			return NULL;
	}
}

/*
 * If path lies strictly inside the directory root, writes where it is
 * seen from inside a chroot to root ("/db/c.db") and returns 0.
 * Compares components, so "/var/db2" is not inside "/var/db".
 */
int
config_path_within(const char *root, const char *path, char *out,
    size_t outlen)
{
	const char	*p;
	size_t		 len, used = 0;

	if (root[0] != '/' || path[0] != '/' || outlen == 0 ||
	    path_has_dotdot(root) || path_has_dotdot(path))
		return -1;
	if ((p = path_strip_root(root, path)) == NULL)
		return -1;
	out[0] = '\0';
	for (;; p += len) {
		p = path_component(p, &len);
		if (len == 0)
			break;
		if (used + 1 + len >= outlen)
			return -1;
		out[used++] = '/';
		memcpy(out + used, p, len);
		used += len;
		out[used] = '\0';
	}
	return used == 0 ? -1 : 0;
}

static int
listens_equal(const struct tokend_config *a, const struct tokend_config *b)
{
	struct listen_addr	*la, *lb;

	lb = TAILQ_FIRST(&b->listens);
	TAILQ_FOREACH(la, &a->listens, entry) {
		if (lb == NULL || la->sslen != lb->sslen ||
		    memcmp(&la->ss, &lb->ss, la->sslen) != 0)
			return 0;
		lb = TAILQ_NEXT(lb, entry);
	}
	return lb == NULL;
}

/*
 * Returns 1 and names in why the first setting that differs and that a
 * reload cannot apply (the sockets, processes and privileges set up at
 * start), else 0.
 */
int
config_restart_needed(const struct tokend_config *old,
    const struct tokend_config *conf, char *why, size_t whylen)
{
	const struct config_field	*f;
	const char			*what = NULL;
	size_t				 i;

	if (!listens_equal(old, conf))
		what = "listen";
	for (i = 0; what == NULL && i < CONFIG_NFIELDS; i++) {
		f = &config_fields[i];
		if (f->restart && !field_equal(old, conf, f))
			what = f->label;
	}
	if (what == NULL)
		return 0;
	if (why != NULL && whylen > 0)
		(void)strlcpy(why, what, whylen);
	return 1;
}

/*
 * The JSON form: one object, a key per config_fields entry (strings,
 * integers, durations as integer milliseconds, and true or false) plus
 * "listen", an array of {"host": as written, "address": numeric,
 * "port": number}.
 */
static json_t *
listens_to_json(const struct tokend_config *conf)
{
	struct listen_addr	*la;
	json_t			*array, *obj;
	char			 addr[NI_MAXHOST];

	if ((array = json_array()) == NULL)
		return NULL;
	TAILQ_FOREACH(la, &conf->listens, entry) {
		if (getnameinfo((const struct sockaddr *)&la->ss, la->sslen,
		    addr, sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
			goto fail;
		obj = json_pack("{s:s, s:s, s:i}", "host", la->host,
		    "address", addr, "port", la->port);
		if (obj == NULL || json_array_append_new(array, obj) == -1)
			goto fail;
	}
	return array;
 fail:
	json_decref(array);
	return NULL;
}

static json_t *
field_to_json(const struct tokend_config *conf, const struct config_field *f)
{
	if (field_is_string(f))
		return json_string(field_string(conf, f));
	if (f->kind == FIELD_BOOL)
		return json_boolean(field_number(conf, f));
	return json_integer(field_number(conf, f));
}

static int
fields_to_json(const struct tokend_config *conf, json_t *root)
{
	const struct config_field	*f;
	json_t				*v;
	size_t				 i;

	for (i = 0; i < CONFIG_NFIELDS; i++) {
		f = &config_fields[i];
		v = field_to_json(conf, f);
		if (v == NULL || json_object_set_new(root, f->key, v) == -1)
			return -1;
	}
	return 0;
}

char *
config_to_json(const struct tokend_config *conf)
{
	json_t	*root, *listens;
	char	*text = NULL;

	if ((root = json_object()) == NULL)
		return NULL;
	if ((listens = listens_to_json(conf)) == NULL ||
	    json_object_set_new(root, "listen", listens) == -1)
		goto done;
	if (fields_to_json(conf, root) == -1)
		goto done;
	text = json_dumps(root, JSON_COMPACT);
 done:
	json_decref(root);
	return text;
}

static const struct config_field *
field_find(const char *key)
{
	size_t	 i;

	for (i = 0; i < CONFIG_NFIELDS; i++)
		if (strcmp(config_fields[i].key, key) == 0)
			return &config_fields[i];
	return NULL;
}

static int
json_check_keys(json_t *root)
{
	const char	*key;
	json_t		*v;

	if (!json_is_object(root)) {
		log_warnx("config: not a JSON object");
		return -1;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "listen") != 0 && field_find(key) == NULL) {
			log_warnx("config: unknown key \"%s\"", key);
			return -1;
		}
	}
	return 0;
}

static int
field_string_from_json(struct tokend_config *conf,
    const struct config_field *f, json_t *v)
{
	const char	*s, *errstr;
	size_t		 len;

	if (!json_is_string(v)) {
		log_warnx("config: %s is not a string", f->key);
		return -1;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len >= f->size || strlen(s) != len) {
		log_warnx("config: %s does not fit", f->key);
		return -1;
	}
	if ((errstr = field_check(f, s)) != NULL) {
		log_warnx("config: %s: %s", f->key, errstr);
		return -1;
	}
	memcpy(field_string(conf, f), s, len + 1);
	return 0;
}

static int
field_number_from_json(struct tokend_config *conf,
    const struct config_field *f, json_t *v)
{
	json_int_t	 n;

	if (!json_is_integer(v)) {
		log_warnx("config: %s is not an integer", f->key);
		return -1;
	}
	n = json_integer_value(v);
	if (n < f->min || n > f->max) {
		log_warnx("config: %s out of range", f->key);
		return -1;
	}
	field_set_number(conf, f, n);
	return 0;
}

static int
field_bool_from_json(struct tokend_config *conf,
    const struct config_field *f, json_t *v)
{
	if (!json_is_boolean(v)) {
		log_warnx("config: %s is not a boolean", f->key);
		return -1;
	}
	field_set_number(conf, f, json_is_true(v));
	return 0;
}

static int
fields_from_json(struct tokend_config *conf, json_t *root)
{
	const struct config_field	*f;
	json_t				*v;
	size_t				 i;
	int				 rv;

	for (i = 0; i < CONFIG_NFIELDS; i++) {
		f = &config_fields[i];
		if ((v = json_object_get(root, f->key)) == NULL) {
			log_warnx("config: missing key \"%s\"", f->key);
			return -1;
		}
		if (field_is_string(f))
			rv = field_string_from_json(conf, f, v);
		else if (f->kind == FIELD_BOOL)
			rv = field_bool_from_json(conf, f, v);
		else
			rv = field_number_from_json(conf, f, v);
		if (rv == -1)
			return -1;
	}
	return finish_check_auth(conf) ? -1 : 0;
}

static int
listen_from_json(struct tokend_config *conf, json_t *obj)
{
	json_error_t	 jerr;
	const char	*host, *addr, *errstr;
	size_t		 hostlen, addrlen;
	json_int_t	 port;

	if (json_unpack_ex(obj, &jerr, JSON_STRICT, "{s:s%, s:s%, s:I}",
	    "host", &host, &hostlen, "address", &addr, &addrlen,
	    "port", &port) == -1) {
		log_warnx("config: listen: %s", jerr.text);
		return -1;
	}
	if (strlen(host) != hostlen || strlen(addr) != addrlen ||
	    port < 1 || port > 65535) {
		log_warnx("config: listen: invalid host, address or port");
		return -1;
	}
	if (listen_add_numeric(conf, host, addr, (int)port, &errstr) == -1) {
		log_warnx("config: listen: %s", errstr);
		return -1;
	}
	return 0;
}

static int
listens_from_json(struct tokend_config *conf, json_t *array)
{
	json_t	*obj;
	size_t	 i;

	if (array == NULL || !json_is_array(array)) {
		log_warnx("config: listen is missing or not an array");
		return -1;
	}
	if (json_array_size(array) > CONF_LISTEN_MAX) {
		log_warnx("config: too many listen addresses");
		return -1;
	}
	json_array_foreach(array, i, obj)
		if (listen_from_json(conf, obj) == -1)
			return -1;
	return 0;
}

/*
 * The inverse of config_to_json, for a child reading what the parent
 * sent: every key present, no other key, every value of the right type
 * and within the bounds the parser enforces, and the cookie and hash
 * settings consistent with each other.
 */
struct tokend_config *
config_from_json(const char *text, size_t len)
{
	struct tokend_config	*conf;
	json_error_t		 jerr;
	json_t			*root;

	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		log_warnx("config: %s", jerr.text);
		return NULL;
	}
	if ((conf = config_new()) == NULL ||
	    json_check_keys(root) == -1 ||
	    fields_from_json(conf, root) == -1 ||
	    listens_from_json(conf, json_object_get(root, "listen")) == -1) {
		config_free(conf);
		conf = NULL;
	}
	json_decref(root);
	return conf;
}
