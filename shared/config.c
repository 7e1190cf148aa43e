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
#include "proto.h"
#include "query.h"

/* The JSON form travels as one string in one MSG_CONFIG frame. */
#define CONFIG_JSON_MAX		(PROTO_CHILD_MAX - sizeof(uint32_t))

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
	FIELD_NUMBER("line_max", "request-line", FIELD_SIZE, line_max,
	    0, CONF_LINE_HI, 0),
	FIELD_NUMBER("header_count", "header-count", FIELD_INT, header_count,
	    CONF_HEADER_COUNT_LO, CONF_HEADER_COUNT_HI, 0),
	FIELD_NUMBER("header_deadline", "header-deadline timeout", FIELD_INT,
	    header_deadline, CONF_DEADLINE_LO, CONF_DEADLINE_HI, 0),
	FIELD_NUMBER("body_deadline", "body-deadline timeout", FIELD_INT,
	    body_deadline, CONF_DEADLINE_LO, CONF_DEADLINE_HI, 0),
	FIELD_NUMBER("rate_points", "rate-limit", FIELD_INT, rate_points,
	    0, CONF_RATE_POINTS_HI, 0),
	FIELD_NUMBER("rate_duration", "rate-limit per", FIELD_MSEC,
	    rate_duration, CONF_RATE_DURATION_LO, CONF_RATE_DURATION_HI, 0),
	FIELD_NUMBER("auth_rate_points", "auth-rate-limit", FIELD_INT,
	    auth_rate_points, 0, CONF_RATE_POINTS_HI, 0),
	FIELD_NUMBER("auth_rate_duration", "auth-rate-limit per", FIELD_MSEC,
	    auth_rate_duration, CONF_RATE_DURATION_LO, CONF_RATE_DURATION_HI,
	    0),
	FIELD_NUMBER("rate_addresses", "rate-limit-addresses", FIELD_INT,
	    rate_addresses, CONF_RATE_ADDRESSES_LO, CONF_RATE_ADDRESSES_HI, 0),
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
	FIELD_STRING("items", "items", FIELD_PATH, items, 1),
	FIELD_NUMBER("query_limit", "query-limit", FIELD_INT, query_limit,
	    CONF_QUERY_LIMIT_LO, CONF_QUERY_LIMIT_HI, 0),
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
	conf->line_max = CONF_LINE_MAX;
	conf->header_count = CONF_HEADER_COUNT;
	conf->header_deadline = CONF_HEADER_DEADLINE;
	conf->body_deadline = CONF_BODY_DEADLINE;
	conf->rate_duration = CONF_RATE_DURATION;
	conf->auth_rate_duration = CONF_AUTH_RATE_DURATION;
	conf->rate_addresses = CONF_RATE_ADDRESSES;
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
	(void)strlcpy(conf->items, CONF_ITEMS, sizeof(conf->items));
	conf->query_limit = CONF_QUERY_LIMIT;
	TAILQ_INIT(&conf->collections);
	TAILQ_INIT(&conf->roles);
	TAILQ_INIT(&conf->public_perms);
	return conf;
}

void
config_free(struct tokend_config *conf)
{
	struct listen_addr	*la;
	struct conf_collection	*c;
	struct conf_role	*r;
	struct conf_permission	*p;

	if (conf == NULL)
		return;
	while ((la = TAILQ_FIRST(&conf->listens)) != NULL) {
		TAILQ_REMOVE(&conf->listens, la, entry);
		free(la);
	}
	while ((c = TAILQ_FIRST(&conf->collections)) != NULL) {
		TAILQ_REMOVE(&conf->collections, c, entry);
		config_collection_free(c);
	}
	while ((r = TAILQ_FIRST(&conf->roles)) != NULL) {
		TAILQ_REMOVE(&conf->roles, r, entry);
		config_role_free(r);
	}
	while ((p = TAILQ_FIRST(&conf->public_perms)) != NULL) {
		TAILQ_REMOVE(&conf->public_perms, p, entry);
		config_permission_free(p);
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

/*
 * Collections, roles and permissions.  parse.y and config_from_json
 * build them with the same functions, so that both check the same
 * things; each check returns NULL or why the thing is refused.
 */

/* A collection, field or role name: [a-z_][a-z0-9_]*, at most 63. */
int
config_ident_valid(const char *name)
{
	return query_ident_valid(name);
}

/* A uuid in lowercase, the one spelling roles are stored and sent in. */
int
config_uuid_valid(const char *s)
{
	size_t	 i;

	if (strlen(s) != CONF_UUID_LEN)
		return 0;
	for (i = 0; i < CONF_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}

static const struct {
	const char	*name;
	int		 bit;
} config_actions[] = {
	{ "create",	PERM_CREATE },
	{ "read",	PERM_READ },
	{ "update",	PERM_UPDATE },
	{ "delete",	PERM_DELETE },
};
#define CONFIG_NACTIONS	(sizeof(config_actions) / sizeof(config_actions[0]))

/* The PERM_* bit of an action name, or 0. */
int
config_action(const char *name)
{
	size_t	 i;

	for (i = 0; i < CONFIG_NACTIONS; i++)
		if (strcmp(config_actions[i].name, name) == 0)
			return config_actions[i].bit;
	return 0;
}

/* The name of one PERM_* bit, or NULL. */
const char *
config_action_name(int bit)
{
	size_t	 i;

	for (i = 0; i < CONFIG_NACTIONS; i++)
		if (config_actions[i].bit == bit)
			return config_actions[i].name;
	return NULL;
}

int
config_fields_has(const struct conf_fields *f, const char *name)
{
	size_t	 i;

	if (f->all)
		return 1;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->names[i], name) == 0)
			return 1;
	return 0;
}

/* Appends a name, or "*" alone. */
const char *
config_fields_add(struct conf_fields *f, const char *name)
{
	char	(*v)[CONF_IDENT_MAX];

	if (strcmp(name, "*") == 0) {
		if (f->all || f->n > 0)
			return "\"*\" must be the only field";
		f->all = 1;
		return NULL;
	}
	if (f->all)
		return "\"*\" must be the only field";
	if (!config_ident_valid(name))
		return "invalid field name: a-z, 0-9 and _, not starting "
		    "with a digit, at most 63 characters";
	if (config_fields_has(f, name))
		return "field named twice";
	if (f->n >= CONF_FIELDS_MAX)
		return "too many fields";
	if ((v = reallocarray(f->names, f->n + 1, sizeof(*v))) == NULL)
		return "out of memory";
	f->names = v;
	(void)strlcpy(f->names[f->n++], name, CONF_IDENT_MAX);
	return NULL;
}

/* No names given means every field. */
void
config_fields_finish(struct conf_fields *f)
{
	if (f->n == 0)
		f->all = 1;
}

void
config_fields_free(struct conf_fields *f)
{
	free(f->names);
	memset(f, 0, sizeof(*f));
}

const struct conf_collection *
config_collection(const struct tokend_config *conf, const char *name)
{
	const struct conf_collection	*c;

	TAILQ_FOREACH(c, &conf->collections, entry)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* An integer primary key and no fields yet; NULL if out of memory. */
struct conf_collection *
config_collection_new(const char *name)
{
	struct conf_collection	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	/* Too long: left empty, so that config_collection_add refuses it. */
	if (strlcpy(c->name, name, sizeof(c->name)) >= sizeof(c->name))
		c->name[0] = '\0';
	return c;
}

static int
collection_count(const struct tokend_config *conf)
{
	const struct conf_collection	*c;
	int				 n = 0;

	TAILQ_FOREACH(c, &conf->collections, entry)
		n++;
	return n;
}

/* Checks the name and appends the collection to conf. */
const char *
config_collection_add(struct tokend_config *conf, struct conf_collection *c)
{
	if (!config_ident_valid(c->name))
		return "invalid collection name: a-z, 0-9 and _, not "
		    "starting with a digit, at most 63 characters";
	if (strncmp(c->name, "directus_", 9) == 0)
		return "collection names starting with directus_ are reserved";
	if (config_collection(conf, c->name) != NULL)
		return "collection declared twice";
	if (collection_count(conf) >= CONF_COLLECTIONS_MAX)
		return "too many collections";
	TAILQ_INSERT_TAIL(&conf->collections, c, entry);
	return NULL;
}

/* The primary key is always "id", never declared. */
const char *
config_collection_field(struct conf_collection *c, const char *name)
{
	if (strcmp(name, "id") == 0)
		return "\"id\" is the primary key, it is not declared";
	if (strcmp(name, "*") == 0)
		return "\"*\" is not a field name: leave fields out for a "
		    "collection that takes any field";
	return config_fields_add(&c->fields, name);
}

void
config_collection_free(struct conf_collection *c)
{
	if (c == NULL)
		return;
	config_fields_free(&c->fields);
	free(c);
}

/* Configured roles only; the built-in administrator role is not one. */
const struct conf_role *
config_role_by_id(const struct tokend_config *conf, const char *id)
{
	const struct conf_role	*r;

	TAILQ_FOREACH(r, &conf->roles, entry)
		if (strcmp(r->id, id) == 0)
			return r;
	return NULL;
}

const struct conf_role *
config_role_by_name(const struct tokend_config *conf, const char *name)
{
	const struct conf_role	*r;

	TAILQ_FOREACH(r, &conf->roles, entry)
		if (strcmp(r->name, name) == 0)
			return r;
	return NULL;
}

struct conf_role *
config_role_new(const char *name)
{
	struct conf_role	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if (strlcpy(r->name, name, sizeof(r->name)) >= sizeof(r->name))
		r->name[0] = '\0';
	TAILQ_INIT(&r->perms);
	return r;
}

static int
role_count(const struct tokend_config *conf)
{
	const struct conf_role	*r;
	int			 n = 0;

	TAILQ_FOREACH(r, &conf->roles, entry)
		n++;
	return n;
}

/* Checks the name and appends the role (its id comes later) to conf. */
const char *
config_role_add(struct tokend_config *conf, struct conf_role *r)
{
	if (!config_ident_valid(r->name))
		return "invalid role name: a-z, 0-9 and _, not starting with "
		    "a digit, at most 63 characters";
	if (strcmp(r->name, CONF_ADMIN_ROLE_NAME) == 0)
		return "\"admin\" is the built-in administrator role";
	if (config_role_by_name(conf, r->name) != NULL)
		return "role declared twice";
	if (role_count(conf) >= CONF_ROLES_MAX)
		return "too many roles";
	TAILQ_INSERT_TAIL(&conf->roles, r, entry);
	return NULL;
}

const char *
config_role_set_id(const struct tokend_config *conf, struct conf_role *r,
    const char *id)
{
	const struct conf_role	*other;

	if (r->id[0] != '\0')
		return "id given twice";
	if (!config_uuid_valid(id))
		return "id is not a lowercase uuid";
	if (strcmp(id, CONF_ADMIN_ROLE_ID) == 0)
		return "id is the built-in administrator role's";
	if ((other = config_role_by_id(conf, id)) != NULL && other != r)
		return "id already used by another role";
	(void)strlcpy(r->id, id, sizeof(r->id));
	return NULL;
}

void
config_role_free(struct conf_role *r)
{
	struct conf_permission	*p;

	if (r == NULL)
		return;
	while ((p = TAILQ_FIRST(&r->perms)) != NULL) {
		TAILQ_REMOVE(&r->perms, p, entry);
		config_permission_free(p);
	}
	free(r);
}

/* The permission of a list that allows action on collection, or NULL. */
const struct conf_permission *
config_permission(const struct conf_permission_list *list,
    const char *collection, int action)
{
	const struct conf_permission	*p;

	TAILQ_FOREACH(p, list, entry)
		if ((p->actions & action) != 0 &&
		    strcmp(p->collection, collection) == 0)
			return p;
	return NULL;
}

struct conf_permission *
config_permission_new(const char *collection, int actions)
{
	struct conf_permission	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if (strlcpy(p->collection, collection, sizeof(p->collection)) >=
	    sizeof(p->collection))
		p->collection[0] = '\0';
	p->actions = actions;
	return p;
}

static int
permission_count(const struct tokend_config *conf)
{
	const struct conf_role		*r;
	const struct conf_permission	*p;
	int				 n = 0;

	TAILQ_FOREACH(p, &conf->public_perms, entry)
		n++;
	TAILQ_FOREACH(r, &conf->roles, entry)
		TAILQ_FOREACH(p, &r->perms, entry)
			n++;
	return n;
}

/*
 * Appends a permission to a role's list (or the public one).  Its
 * collection is declared before it, or is the users collection.
 */
const char *
config_permission_add(const struct tokend_config *conf,
    struct conf_permission_list *list, struct conf_permission *p)
{
	const struct conf_permission	*q;

	if (!config_ident_valid(p->collection))
		return "invalid collection name";
	if (strcmp(p->collection, CONF_USERS_COLLECTION) != 0 &&
	    config_collection(conf, p->collection) == NULL)
		return "no such collection declared before it";
	if (p->actions == 0 || (p->actions & ~PERM_ALL) != 0)
		return "no action: create, read, update or delete";
	TAILQ_FOREACH(q, list, entry)
		if ((q->actions & p->actions) != 0 &&
		    strcmp(q->collection, p->collection) == 0)
			return "a permission for this collection and action "
			    "is already given";
	if (permission_count(conf) >= CONF_PERMISSIONS_MAX)
		return "too many permissions";
	TAILQ_INSERT_TAIL(list, p, entry);
	return NULL;
}

/*
 * A field a permission covers: "id", or for a declared collection one
 * of its fields.  The users collection checks its own fields.
 */
const char *
config_permission_field(const struct tokend_config *conf,
    struct conf_permission *p, const char *name)
{
	const struct conf_collection	*c;

	if (strcmp(name, "*") != 0 && strcmp(name, "id") != 0 &&
	    config_ident_valid(name) &&
	    (c = config_collection(conf, p->collection)) != NULL &&
	    !config_fields_has(&c->fields, name))
		return "the collection has no such field";
	return config_fields_add(&p->fields, name);
}

static const char *
json_kind_name(enum conf_json which)
{
	switch (which) {
	case CONF_JSON_FILTER:
		return "filter";
	case CONF_JSON_VALIDATION:
		return "validation";
	default:
		return "presets";
	}
}

static char **
permission_json_slot(struct conf_permission *p, enum conf_json which)
{
	switch (which) {
	case CONF_JSON_FILTER:
		return &p->filter;
	case CONF_JSON_VALIDATION:
		return &p->validation;
	default:
		return &p->presets;
	}
}

/* Whether the actions of p give the text a use. */
static const char *
json_applies(const struct conf_permission *p, enum conf_json which)
{
	if (which == CONF_JSON_FILTER) {
		if (p->actions == PERM_CREATE)
			return "does not apply to create (use validation)";
		return NULL;
	}
	if ((p->actions & (PERM_CREATE | PERM_UPDATE)) == 0)
		return "applies to create and update only";
	return NULL;
}

struct filter_fields {
	const struct conf_collection	*collection;
	const char			*unknown;
};

static int
filter_field_known(void *arg, const char *field)
{
	struct filter_fields	*ff = arg;

	if (strcmp(field, "id") == 0 ||
	    config_fields_has(&ff->collection->fields, field))
		return 0;
	ff->unknown = field;
	return -1;
}

/*
 * A filter in the Directus filter language, as the query parser takes
 * it; in a declared collection it names "id" and declared fields only.
 */
static int
json_check_filter(const struct tokend_config *conf,
    const struct conf_permission *p, json_t *root, char *why, size_t whylen)
{
	struct query_node	*node;
	struct filter_fields	 ff;
	int			 rv = 0;

	if (!json_is_object(root)) {
		(void)strlcpy(why, "not a JSON object", whylen);
		return -1;
	}
	if ((node = query_filter_parse(root, why, whylen)) == NULL)
		return -1;
	memset(&ff, 0, sizeof(ff));
	if ((ff.collection = config_collection(conf, p->collection)) != NULL &&
	    query_node_fields(node, filter_field_known, &ff) == -1) {
		(void)snprintf(why, whylen, "\"%s\" is not a field of the "
		    "collection", ff.unknown);
		rv = -1;
	}
	query_node_free(node);
	return rv;
}

/* Presets: field names with scalar values. */
static int
json_check_presets(const struct tokend_config *conf,
    const struct conf_permission *p, json_t *root, char *why, size_t whylen)
{
	const struct conf_collection	*c;
	const char			*key;
	json_t				*v;

	if (!json_is_object(root)) {
		(void)strlcpy(why, "not a JSON object", whylen);
		return -1;
	}
	if (json_object_size(root) > CONF_FIELDS_MAX) {
		(void)strlcpy(why, "too many fields", whylen);
		return -1;
	}
	c = config_collection(conf, p->collection);
	json_object_foreach(root, key, v) {
		if (!config_ident_valid(key) || strcmp(key, "id") == 0 ||
		    (c != NULL && !config_fields_has(&c->fields, key))) {
			(void)snprintf(why, whylen, "\"%.*s\" is not a field "
			    "of the collection", CONF_IDENT_MAX, key);
			return -1;
		}
		if (json_is_object(v) || json_is_array(v)) {
			(void)snprintf(why, whylen, "the value of \"%s\" is "
			    "not a string, number, boolean or null", key);
			return -1;
		}
	}
	return 0;
}

/*
 * Checks a filter, validation or presets text and keeps it in its
 * canonical form (compact, keys in their order), the form it is shipped
 * in.  On failure writes why to why and returns -1.
 */
int
config_permission_json(const struct tokend_config *conf,
    struct conf_permission *p, enum conf_json which, const char *text,
    char *why, size_t whylen)
{
	json_error_t	 jerr;
	json_t		*root;
	const char	*errstr;
	char		**slot, *canon = NULL, msg[256];
	int		 rv = -1;

	slot = permission_json_slot(p, which);
	if (*slot != NULL) {
		(void)snprintf(why, whylen, "%s given twice",
		    json_kind_name(which));
		return -1;
	}
	if ((errstr = json_applies(p, which)) != NULL) {
		(void)snprintf(why, whylen, "%s %s", json_kind_name(which),
		    errstr);
		return -1;
	}
	if (strlen(text) > CONF_JSON_MAX ||
	    (root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		(void)snprintf(why, whylen, "%s: invalid JSON: %s",
		    json_kind_name(which), strlen(text) > CONF_JSON_MAX ?
		    "too long" : jerr.text);
		return -1;
	}
	if (which == CONF_JSON_PRESETS)
		rv = json_check_presets(conf, p, root, msg, sizeof(msg));
	else
		rv = json_check_filter(conf, p, root, msg, sizeof(msg));
	if (rv == 0 && ((canon = json_dumps(root, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL || strlen(canon) > CONF_JSON_MAX)) {
		(void)strlcpy(msg, canon == NULL ? "out of memory" :
		    "too long", sizeof(msg));
		free(canon);
		rv = -1;
	}
	json_decref(root);
	if (rv == 0)
		*slot = canon;
	else
		(void)snprintf(why, whylen, "%s: %s", json_kind_name(which),
		    msg);
	return rv;
}

void
config_permission_free(struct conf_permission *p)
{
	if (p == NULL)
		return;
	config_fields_free(&p->fields);
	free(p->filter);
	free(p->validation);
	free(p->presets);
	free(p);
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
 * With collections, the item store lies in a directory below the
 * workers' chroot: the parent makes that directory the worker user's,
 * the chroot itself stays root's.
 */
static int
finish_check_items(const struct tokend_config *conf)
{
	char	 path[PATH_MAX];

	if (TAILQ_EMPTY(&conf->collections))
		return 0;
	if (config_path_within(conf->server_chroot, conf->items, path,
	    sizeof(path)) == -1 || strchr(path + 1, '/') == NULL) {
		log_warnx("items %s is not in a directory below the chroot %s",
		    conf->items, conf->server_chroot);
		return 1;
	}
	return 0;
}

/* The children get the configuration in one frame. */
static int
finish_check_size(const struct tokend_config *conf)
{
	char	*json;
	size_t	 len;

	if ((json = config_to_json(conf)) == NULL) {
		log_warnx("cannot write the configuration as JSON");
		return 1;
	}
	len = strlen(json);
	free(json);
	if (len > CONFIG_JSON_MAX) {
		log_warnx("configuration too large: %zu bytes as JSON, at "
		    "most %zu", len, (size_t)CONFIG_JSON_MAX);
		return 1;
	}
	return 0;
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
	errors += finish_check_items(conf);
	if (errors == 0)
		errors += finish_check_size(conf);
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
 * The data part of the JSON form:
 *	"collections": [{"name", "primary_key": "integer" or "uuid",
 *	    "fields": "*" or ["name", ...]}, ...]
 *	"roles": [{"name", "id", "admin_access", "app_access",
 *	    "permissions": [permission, ...]}, ...]
 *	"public": [permission, ...]
 * where a permission is {"collection", "actions": ["create", ...],
 * "fields": "*" or [...], "filter", "validation", "presets"}, the last
 * three a JSON object or null.
 */

/* json_object_set_new, failing on a NULL value too. */
static int
json_set(json_t *obj, const char *key, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_object_set_new(obj, key, v);
}

/* json_array_append_new, failing on a NULL value too. */
static int
json_append(json_t *array, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_array_append_new(array, v);
}

static json_t *
names_to_json(const struct conf_fields *f)
{
	json_t	*array;
	size_t	 i;

	if (f->all)
		return json_string("*");
	if ((array = json_array()) == NULL)
		return NULL;
	for (i = 0; i < f->n; i++)
		if (json_append(array, json_string(f->names[i])) == -1) {
			json_decref(array);
			return NULL;
		}
	return array;
}

static json_t *
actions_to_json(int actions)
{
	json_t	*array;
	size_t	 i;

	if ((array = json_array()) == NULL)
		return NULL;
	for (i = 0; i < CONFIG_NACTIONS; i++)
		if ((actions & config_actions[i].bit) != 0 &&
		    json_append(array,
		    json_string(config_actions[i].name)) == -1) {
			json_decref(array);
			return NULL;
		}
	return array;
}

static json_t *
text_to_json(const char *text)
{
	if (text == NULL)
		return json_null();
	return json_loads(text, JSON_REJECT_DUPLICATES, NULL);
}

static json_t *
permission_to_json(const struct conf_permission *p)
{
	json_t	*obj;

	if ((obj = json_object()) == NULL)
		return NULL;
	if (json_set(obj, "collection", json_string(p->collection)) == -1 ||
	    json_set(obj, "actions", actions_to_json(p->actions)) == -1 ||
	    json_set(obj, "fields", names_to_json(&p->fields)) == -1 ||
	    json_set(obj, "filter", text_to_json(p->filter)) == -1 ||
	    json_set(obj, "validation", text_to_json(p->validation)) == -1 ||
	    json_set(obj, "presets", text_to_json(p->presets)) == -1) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static json_t *
permissions_to_json(const struct conf_permission_list *list)
{
	const struct conf_permission	*p;
	json_t				*array;

	if ((array = json_array()) == NULL)
		return NULL;
	TAILQ_FOREACH(p, list, entry)
		if (json_append(array, permission_to_json(p)) == -1) {
			json_decref(array);
			return NULL;
		}
	return array;
}

static json_t *
collection_to_json(const struct conf_collection *c)
{
	json_t	*obj;

	if ((obj = json_object()) == NULL)
		return NULL;
	if (json_set(obj, "name", json_string(c->name)) == -1 ||
	    json_set(obj, "primary_key", json_string(c->pk_uuid ? "uuid" :
	    "integer")) == -1 ||
	    json_set(obj, "fields", names_to_json(&c->fields)) == -1) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static json_t *
role_to_json(const struct conf_role *r)
{
	json_t	*obj;

	if ((obj = json_object()) == NULL)
		return NULL;
	if (json_set(obj, "name", json_string(r->name)) == -1 ||
	    json_set(obj, "id", json_string(r->id)) == -1 ||
	    json_set(obj, "admin_access", json_boolean(r->admin)) == -1 ||
	    json_set(obj, "app_access", json_boolean(r->app)) == -1 ||
	    json_set(obj, "permissions", permissions_to_json(&r->perms)) ==
	    -1) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static int
data_to_json(const struct tokend_config *conf, json_t *root)
{
	const struct conf_collection	*c;
	const struct conf_role		*r;
	json_t				*collections, *roles;

	if ((collections = json_array()) == NULL ||
	    json_object_set_new(root, "collections", collections) == -1)
		return -1;
	TAILQ_FOREACH(c, &conf->collections, entry)
		if (json_append(collections, collection_to_json(c)) == -1)
			return -1;
	if ((roles = json_array()) == NULL ||
	    json_object_set_new(root, "roles", roles) == -1)
		return -1;
	TAILQ_FOREACH(r, &conf->roles, entry)
		if (json_append(roles, role_to_json(r)) == -1)
			return -1;
	return json_set(root, "public", permissions_to_json(
	    &conf->public_perms));
}

/* "*", or a non-empty array of names each passed to add(arg, name). */
static int
names_from_json(json_t *v, const char *(*add)(void *, const char *),
    void *arg, const char *what)
{
	const char	*errstr;
	json_t		*name;
	size_t		 i;

	if (json_is_string(v) && strcmp(json_string_value(v), "*") == 0)
		return 0;
	if (!json_is_array(v) || json_array_size(v) == 0) {
		log_warnx("config: %s: fields is neither \"*\" nor a list",
		    what);
		return -1;
	}
	json_array_foreach(v, i, name) {
		if (!json_is_string(name)) {
			log_warnx("config: %s: a field is not a string", what);
			return -1;
		}
		if ((errstr = add(arg, json_string_value(name))) != NULL) {
			log_warnx("config: %s: field \"%.*s\": %s", what,
			    CONF_IDENT_MAX, json_string_value(name), errstr);
			return -1;
		}
	}
	return 0;
}

static const char *
collection_field_add(void *arg, const char *name)
{
	return config_collection_field(arg, name);
}

struct permission_ctx {
	const struct tokend_config	*conf;
	struct conf_permission		*perm;
};

static const char *
permission_field_add(void *arg, const char *name)
{
	struct permission_ctx	*ctx = arg;

	return config_permission_field(ctx->conf, ctx->perm, name);
}

static int
collection_from_json(struct tokend_config *conf, json_t *obj)
{
	struct conf_collection	*c;
	json_error_t		 jerr;
	json_t			*fields;
	const char		*name, *pk, *errstr;

	if (json_unpack_ex(obj, &jerr, JSON_STRICT, "{s:s, s:s, s:o}",
	    "name", &name, "primary_key", &pk, "fields", &fields) == -1) {
		log_warnx("config: collection: %s", jerr.text);
		return -1;
	}
	if (strcmp(pk, "integer") != 0 && strcmp(pk, "uuid") != 0) {
		log_warnx("config: collection: bad primary key");
		return -1;
	}
	if ((c = config_collection_new(name)) == NULL)
		return -1;
	c->pk_uuid = strcmp(pk, "uuid") == 0;
	if ((errstr = config_collection_add(conf, c)) != NULL) {
		log_warnx("config: collection: %s", errstr);
		config_collection_free(c);
		return -1;
	}
	if (names_from_json(fields, collection_field_add, c,
	    "collection") == -1)
		return -1;
	config_fields_finish(&c->fields);
	return 0;
}

static int
actions_from_json(json_t *array)
{
	json_t	*v;
	size_t	 i;
	int	 bit, actions = 0;

	if (!json_is_array(array))
		return 0;
	json_array_foreach(array, i, v) {
		if (!json_is_string(v) ||
		    (bit = config_action(json_string_value(v))) == 0 ||
		    (actions & bit) != 0)
			return 0;
		actions |= bit;
	}
	return actions;
}

static int
permission_texts_from_json(const struct tokend_config *conf,
    struct conf_permission *p, json_t *texts[3])
{
	static const enum conf_json	 kinds[3] = { CONF_JSON_FILTER,
	    CONF_JSON_VALIDATION, CONF_JSON_PRESETS };
	char				*text, why[256];
	size_t				 i;
	int				 rv;

	for (i = 0; i < 3; i++) {
		if (json_is_null(texts[i]))
			continue;
		if (!json_is_object(texts[i]) || (text = json_dumps(texts[i],
		    JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
			log_warnx("config: permission: %s is not an object",
			    json_kind_name(kinds[i]));
			return -1;
		}
		rv = config_permission_json(conf, p, kinds[i], text, why,
		    sizeof(why));
		free(text);
		if (rv == -1) {
			log_warnx("config: permission: %s", why);
			return -1;
		}
	}
	return 0;
}

static int
permission_from_json(struct tokend_config *conf,
    struct conf_permission_list *list, json_t *obj)
{
	struct conf_permission	*p;
	struct permission_ctx	 ctx;
	json_error_t		 jerr;
	json_t			*actions, *fields, *texts[3];
	const char		*collection, *errstr;

	if (json_unpack_ex(obj, &jerr, JSON_STRICT,
	    "{s:s, s:o, s:o, s:o, s:o, s:o}", "collection", &collection,
	    "actions", &actions, "fields", &fields, "filter", &texts[0],
	    "validation", &texts[1], "presets", &texts[2]) == -1) {
		log_warnx("config: permission: %s", jerr.text);
		return -1;
	}
	if ((p = config_permission_new(collection,
	    actions_from_json(actions))) == NULL)
		return -1;
	if ((errstr = config_permission_add(conf, list, p)) != NULL) {
		log_warnx("config: permission: %s", errstr);
		config_permission_free(p);
		return -1;
	}
	ctx.conf = conf;
	ctx.perm = p;
	if (names_from_json(fields, permission_field_add, &ctx,
	    "permission") == -1 ||
	    permission_texts_from_json(conf, p, texts) == -1)
		return -1;
	config_fields_finish(&p->fields);
	return 0;
}

static int
permissions_from_json(struct tokend_config *conf,
    struct conf_permission_list *list, json_t *array)
{
	json_t	*obj;
	size_t	 i;

	if (!json_is_array(array)) {
		log_warnx("config: permissions are not a list");
		return -1;
	}
	json_array_foreach(array, i, obj)
		if (permission_from_json(conf, list, obj) == -1)
			return -1;
	return 0;
}

static int
role_from_json(struct tokend_config *conf, json_t *obj)
{
	struct conf_role	*r;
	json_error_t		 jerr;
	json_t			*perms;
	const char		*name, *id, *errstr;
	int			 admin, app;

	if (json_unpack_ex(obj, &jerr, JSON_STRICT, "{s:s, s:s, s:b, s:b, "
	    "s:o}", "name", &name, "id", &id, "admin_access", &admin,
	    "app_access", &app, "permissions", &perms) == -1) {
		log_warnx("config: role: %s", jerr.text);
		return -1;
	}
	if ((r = config_role_new(name)) == NULL)
		return -1;
	r->admin = admin;
	r->app = app;
	if ((errstr = config_role_add(conf, r)) != NULL) {
		log_warnx("config: role: %s", errstr);
		config_role_free(r);
		return -1;
	}
	if ((errstr = config_role_set_id(conf, r, id)) != NULL) {
		log_warnx("config: role %s: %s", r->name, errstr);
		return -1;
	}
	return permissions_from_json(conf, &r->perms, perms);
}

static int
data_from_json(struct tokend_config *conf, json_t *root)
{
	json_t	*collections, *roles, *obj;
	size_t	 i;

	collections = json_object_get(root, "collections");
	roles = json_object_get(root, "roles");
	if (!json_is_array(collections) || !json_is_array(roles)) {
		log_warnx("config: collections or roles missing or not a "
		    "list");
		return -1;
	}
	json_array_foreach(collections, i, obj)
		if (collection_from_json(conf, obj) == -1)
			return -1;
	json_array_foreach(roles, i, obj)
		if (role_from_json(conf, obj) == -1)
			return -1;
	if (permissions_from_json(conf, &conf->public_perms,
	    json_object_get(root, "public")) == -1)
		return -1;
	return finish_check_items(conf) ? -1 : 0;
}

/*
 * The JSON form: one object, a key per config_fields entry (strings,
 * integers, durations as integer milliseconds, and true or false) plus
 * "listen", an array of {"host": as written, "address": numeric,
 * "port": number}, and the data part described above.
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
	if (fields_to_json(conf, root) == -1 || data_to_json(conf, root) == -1)
		goto done;
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
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
		if (strcmp(key, "listen") != 0 &&
		    strcmp(key, "collections") != 0 &&
		    strcmp(key, "roles") != 0 && strcmp(key, "public") != 0 &&
		    field_find(key) == NULL) {
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
	    listens_from_json(conf, json_object_get(root, "listen")) == -1 ||
	    data_from_json(conf, root) == -1) {
		config_free(conf);
		conf = NULL;
	}
	json_decref(root);
	return conf;
}
