/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The checks of a configuration: each value on its own (also for
 * config_from_json), the listen addresses, what config_finish checks
 * once the whole file has been read (files it names, settings that
 * depend on each other, the size of the JSON form), and the path
 * arithmetic that places a file inside a chroot.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cidr.h"
#include "config.h"
#include "log.h"
#include "privsep.h"
#include "proto.h"
#include "proto.h"
#include "redirect.h"

/* The JSON form travels as one string in one MSG_CONFIG frame. */
#define CONFIG_JSON_MAX		(PROTO_CHILD_MAX - sizeof(uint32_t))

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

/*
 * The origin at the start of the len bytes of s, "http://" or
 * "https://" (any case), a host, and ":port" if written: into o, and
 * the offset of what follows (a path, a query...) into *rest.  The
 * host is a name of A-Z a-z 0-9 . - _ or an IPv6 address in brackets;
 * no user part, no empty port.  NULL, or why not.
 */
const char *
config_url_origin(const char *s, size_t len, struct url_origin *o,
    size_t *rest)
{
	static const char	 name[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789.-_";
	size_t			 i, n;
	int			 port = 0;

	if (len >= 7 && strncasecmp(s, "http://", 7) == 0) {
		o->https = 0;
		i = 7;
	} else if (len >= 8 && strncasecmp(s, "https://", 8) == 0) {
		o->https = 1;
		i = 8;
	} else
		return "not an http:// or https:// URL";
	o->host = s + i;
	if (i < len && s[i] == '[') {
		for (n = 1; i + n < len && (isxdigit((unsigned char)s[i + n]) ||
		    s[i + n] == ':' || s[i + n] == '.'); n++)
			;
		if (i + n >= len || s[i + n] != ']' || n < 3)
			return "bad IPv6 address in brackets";
		n++;
	} else
		for (n = 0; i + n < len && strchr(name, s[i + n]) != NULL &&
		    s[i + n] != '\0'; n++)
			;
	if (n == 0)
		return "no host";
	o->hostlen = n;
	i += n;
	o->port = o->https ? 443 : 80;
	if (i < len && s[i] == ':') {
		for (n = 0, i++; i < len && s[i] >= '0' && s[i] <= '9' &&
		    n < 5; n++, i++)
			port = port * 10 + (s[i] - '0');
		if (n == 0 || port < 1 || port > 65535 ||
		    (i < len && s[i] >= '0' && s[i] <= '9'))
			return "port must be a number from 1 to 65535";
		o->port = port;
	}
	if (i < len && s[i] != '/' && s[i] != '?' && s[i] != '#')
		return "a user part, or a character not allowed, after "
		    "the host or port";
	*rest = i;
	return NULL;
}

/* Same scheme, host (without case) and port: the same origin. */
int
config_url_origin_same(const struct url_origin *a, const struct url_origin *b)
{
	return a->https == b->https && a->port == b->port &&
	    a->hostlen == b->hostlen &&
	    strncasecmp(a->host, b->host, a->hostlen) == 0;
}

/*
 * NULL if url is empty (not set) or an http or https URL without user
 * part, query or fragment (config_url_origin, then a path), else why
 * not.
 */
const char *
config_check_public_url(const char *url)
{
	struct url_origin	 o;
	const char		*errstr, *p;
	size_t			 len, rest;

	if ((len = strlen(url)) == 0)
		return NULL;
	if (len >= CONF_PUBLIC_URL_MAX)
		return "public URL too long";
	if ((errstr = config_url_origin(url, len, &o, &rest)) != NULL)
		return errstr;
	for (p = url + rest; *p != '\0'; p++) {
		if (*p == '?' || *p == '#')
			return "a public URL has no query or fragment";
		if (*p <= 0x20 || *p > 0x7e)
			return "a public URL may not contain blanks or "
			    "non-printable characters";
	}
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

/* The JWS "alg" names, spelled as RFC 7518 and RFC 8037 spell them. */
static const char *
check_signing_alg(const char *s)
{
	if (strcmp(s, "HS256") == 0 || strcmp(s, "EdDSA") == 0 ||
	    strcmp(s, "ES256") == 0)
		return NULL;
	return "must be HS256, EdDSA or ES256";
}

/*
 * Text that may reach a mail header or an SMTP command: printable ASCII
 * only, so never a CR or LF.
 */
static const char *
check_text(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return "contains a control or non-ASCII character";
	return NULL;
}

/*
 * The portal's path: "/", then segments of letters, digits, '-', '_'
 * and '.', each followed by '/'; no "." or ".." segment.  Its pages are
 * found by relative links, hence the closing '/'.
 */
static const char *
check_portal_path(const char *s)
{
	const char	*seg;
	size_t		 n;

	if (s[0] != '/' || s[1] == '\0')
		return "must be a path of one or more segments, as /portal/";
	for (seg = s + 1; *seg != '\0'; seg += n + 1) {
		n = strspn(seg, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");
		if (n == 0 || seg[n] != '/')
			return "must be segments of letters, digits, '-', '_' "
			    "and '.', each ending in '/', as /portal/";
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return "must not hold a \".\" or \"..\" segment";
	}
	return NULL;
}

/* A numeric address: the mail process cannot resolve names. */
static const char *
check_address(const char *s)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;

	if (inet_pton(AF_INET, s, &a4) == 1 ||
	    inet_pton(AF_INET6, s, &a6) == 1)
		return NULL;
	return "is not a numeric IPv4 or IPv6 address";
}

static const char *
check_mailbox(const char *s)
{
	const char	*at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strlen(s) > AUTH_EMAIL_MAX)
		return "is not an address local@domain";
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s > 0x7e || strchr("<>()[],;:\\\"", *s))
			return "contains a blank or a character an address "
			    "cannot hold";
	return NULL;
}

/* The next item of a list separated by blanks or commas, or NULL. */
static const char *
list_next(const char *s, size_t *len)
{
	s += strspn(s, " \t,");
	if (*s == '\0')
		return NULL;
	*len = strcspn(s, " \t,");
	return s;
}

/*
 * cors origin: origins scheme://host[:port], nothing after them, or
 * "*" alone (any origin, which config_finish allows only without
 * credentials).
 */
const char *
config_check_origins(const char *s)
{
	struct url_origin	 o;
	const char		*p, *why;
	size_t			 len, rest, n = 0;

	if (strlen(s) >= CONF_CORS_LIST_MAX)
		return "list too long";
	if (strcmp(s, "*") == 0)
		return NULL;
	for (p = s; (p = list_next(p, &len)) != NULL; p += len) {
		if (++n > CONF_CORS_ORIGINS_MAX)
			return "too many origins";
		if ((why = config_url_origin(p, len, &o, &rest)) != NULL)
			return why;
		if (rest != len)
			return "an origin is scheme://host[:port] alone, "
			    "without a path";
	}
	return NULL;
}

/*
 * Is the origin (len bytes, as a browser sends it in Origin) one of
 * the list's, its default port written or not?  "*" lists any.
 */
int
config_origin_listed(const char *list, const char *origin, size_t len)
{
	struct url_origin	 want, got;
	const char		*p;
	size_t			 n, rest;

	if (config_url_origin(origin, len, &got, &rest) != NULL ||
	    rest != len)
		return 0;
	if (strcmp(list, "*") == 0)
		return 1;
	for (p = list; (p = list_next(p, &n)) != NULL; p += n)
		if (config_url_origin(p, n, &want, &rest) == NULL &&
		    config_url_origin_same(&want, &got))
			return 1;
	return 0;
}

/* HTTP tokens (RFC 9110), separated by commas or blanks. */
static const char *
check_tokens(const char *s)
{
	static const char	 tchar[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+.^_`|~-";
	const char		*p;
	size_t			 len;

	if (strlen(s) >= CONF_CORS_LIST_MAX)
		return "list too long";
	for (p = s; (p = list_next(p, &len)) != NULL; p += len)
		if (strspn(p, tchar) < len)
			return "is not a list of HTTP methods or header names";
	return NULL;
}

/* One header name. */
static const char *
check_header(const char *s)
{
	static const char	 tchar[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";

	if (s[0] == '\0' || strlen(s) >= CONF_HEADER_NAME_MAX ||
	    s[strspn(s, tchar)] != '\0')
		return "is not a header name (letters, digits, - and _)";
	return NULL;
}

/* A list of addresses and networks (trusted-proxy). */
static const char *
check_networks(const char *s)
{
	struct cidr	 nets[CIDR_LIST_MAX];
	size_t		 n;

	return cidr_list_parse(s, nets, CIDR_LIST_MAX, &n);
}

/*
 * A PostgreSQL connection URI (libpq parses the rest, and tokend -n
 * connects with it): printable, no white space, bounded.
 */
static const char *
check_database_uri(const char *s)
{
	const char	*p;

	if (strlen(s) >= PATH_MAX)
		return "URI too long";
	for (p = s; *p != '\0'; p++)
		if (*p <= 0x20 || *p > 0x7e)
			return "URI contains white space or a "
			    "non-printable character";
	return NULL;
}

/* NULL if s is a valid value of the string setting f, else why not. */
const char *
config_field_check(const struct config_field *f, const char *s)
{
	switch (f->kind) {
	case CONF_KIND_USER:
		return config_check_user(s);
	case CONF_KIND_COOKIE_NAME:
		return config_check_cookie_name(s);
	case CONF_KIND_COOKIE_DOMAIN:
		return config_check_cookie_domain(s);
	case CONF_KIND_SAMESITE:
		return check_samesite(s);
	case CONF_KIND_SIGNING_ALG:
		return check_signing_alg(s);
	case CONF_KIND_URL:
		return config_check_public_url(s);
	case CONF_KIND_TEXT:
		return check_text(s);
	case CONF_KIND_PORTAL_PATH:
		return check_portal_path(s);
	case CONF_KIND_REDIRECT_LIST:
		return redirect_list_check(s);
	case CONF_KIND_ADDRESS:
		return check_address(s);
	case CONF_KIND_MAILBOX:
		return check_mailbox(s);
	case CONF_KIND_NETWORKS:
		return check_networks(s);
	case CONF_KIND_ORIGINS:
		return config_check_origins(s);
	case CONF_KIND_TOKENS:
		return check_tokens(s);
	case CONF_KIND_HEADER:
		return check_header(s);
	case CONF_KIND_PATH_UNSET:
		return s[0] == '\0' ? NULL : config_check_path(s);
	case CONF_KIND_DATABASE:
		return CONF_DATABASE_PG(s) ? check_database_uri(s) :
		    config_check_path(s);
	default:
		return config_check_path(s);
	}
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
int
config_listen_add_numeric(struct tokend_config *conf, const char *host,
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

/* The number of listen addresses marked tls. */
int
config_tls_listens(const struct tokend_config *conf)
{
	struct listen_addr	*la;
	int			 n = 0;

	TAILQ_FOREACH(la, &conf->listens, entry)
		n += la->tls != 0;
	return n;
}

/*
 * tls protocols: "tlsv1.2", "tlsv1.3", both (in any order, spaces
 * between), or "default" and "secure" for both.  *lo and *hi become the
 * oldest and newest, 12 or 13.  -1 for anything else: TLS 1.1 and
 * older are never offered.
 */
int
config_tls_protocols(const char *s, int *lo, int *hi)
{
	const char	*p = s;
	size_t		 len;
	int		 v;

	*lo = 99;
	*hi = 0;
	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		len = strcspn(p, " \t");
		if ((len == 7 && strncmp(p, "default", len) == 0) ||
		    (len == 6 && strncmp(p, "secure", len) == 0)) {
			*lo = 12;
			v = 13;
		} else if (len == 7 && strncmp(p, "tlsv1.2", len) == 0)
			v = 12;
		else if (len == 7 && strncmp(p, "tlsv1.3", len) == 0)
			v = 13;
		else
			return -1;
		*lo = v < *lo ? v : *lo;
		*hi = v > *hi ? v : *hi;
		p += len;
	}
	return *hi == 0 ? -1 : 0;
}

/*
 * A tls listener needs a certificate and its key; tls.c reads them
 * (and checks that they go together) when the parent starts or reloads.
 */
static int
finish_check_tls(const struct tokend_config *conf)
{
	int	 lo, hi, errors = 0;

	if (config_tls_protocols(conf->tls_protocols, &lo, &hi) == -1) {
		log_warnx("tls protocols \"%s\": only tlsv1.2 and tlsv1.3",
		    conf->tls_protocols);
		errors++;
	}
	if (conf->tls_ciphers[0] == '\0') {
		log_warnx("tls ciphers: empty");
		errors++;
	}
	if (config_tls_listens(conf) == 0)
		return errors;
	if (conf->tls_certificate[0] == '\0' || conf->tls_key[0] == '\0') {
		log_warnx("listen ... tls needs tls { certificate PATH; "
		    "key PATH }");
		errors++;
	}
	return errors;
}

static int
finish_listen_default(struct tokend_config *conf)
{
	const char	*errstr;

	if (config_listen_add_numeric(conf, "127.0.0.1", "127.0.0.1",
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

	for (i = 0; i < config_nfields; i++) {
		f = &config_fields[i];
		if (!config_field_is_string(f))
			continue;
		if ((errstr = config_field_check(f,
		    config_field_string(conf, f))) != NULL) {
			log_warnx("%s \"%s\": %s", f->label,
			    config_field_string(conf, f), errstr);
			errors++;
		}
	}
	return errors;
}

static int
finish_check_database(const struct tokend_config *conf)
{
	char	 path[PATH_MAX];

	/*
	 * Hosts sharing a PostgreSQL database must sign with the same keys,
	 * and rotated keys are one host's files (keyd/rotate.c).
	 */
	if (CONF_DATABASE_PG(conf->database)) {
		if (conf->signing_rotate_every == 0)
			return 0;
		log_warnx("signing rotate-every: key rotation needs a "
		    "database file; hosts on PostgreSQL share the keys of "
		    "their configuration");
		return 1;
	}
	if (config_path_within(conf->keyd_chroot, conf->database, path,
	    sizeof(path)) == -1) {
		log_warnx("database %s is not inside the keyd chroot %s",
		    conf->database, conf->keyd_chroot);
		return 1;
	}
	return 0;
}

/*
 * The secret may not exist yet (keyd creates it).  If it does, nobody
 * else may read or change it; keyd checks its owner when it starts.
 * The same for the signing key of EdDSA and ES256.
 */
static int
finish_check_secret(const struct tokend_config *conf)
{
	static const struct privsep_file	 rule = {
		.what = "secret",
		.flags = PRIVSEP_FILE_FOLLOW | PRIVSEP_FILE_ANY_OWNER,
		.refused = S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH,
		.refused_means = "readable or writable"
	}, tfa = {
		.what = "tfa-key",
		.flags = PRIVSEP_FILE_FOLLOW | PRIVSEP_FILE_ANY_OWNER,
		.refused = S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH,
		.refused_means = "readable or writable"
	};

	static const struct privsep_file	 key = {
		.what = "signing key",
		.flags = PRIVSEP_FILE_FOLLOW | PRIVSEP_FILE_ANY_OWNER,
		.refused = S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH,
		.refused_means = "readable or writable"
	};
	char	 path[PATH_MAX];
	int	 errors;

	errors = (privsep_check_file(&rule, conf->secret, -1, NULL) == -1) +
	    (privsep_check_file(&tfa, conf->tfa_key, -1, NULL) == -1);
	if (config_signing_key_path(conf, path, sizeof(path)) == 0 &&
	    privsep_check_file(&key, path, -1, NULL) == -1)
		errors++;
	return errors;
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
 * access-log is "" (none), "syslog" or an absolute path the parent
 * opens; access-log-format is combined or json.  config_from_json
 * checks it too.
 */
int
config_check_access_log(const struct tokend_config *conf)
{
	int	 errors = 0;

	if (conf->access_log[0] != '\0' &&
	    strcmp(conf->access_log, "syslog") != 0 &&
	    conf->access_log[0] != '/') {
		log_warnx("access-log \"%s\": neither syslog nor an absolute "
		    "path", conf->access_log);
		errors++;
	}
	if (conf->metrics_role[0] != '\0' &&
	    config_role_by_name(conf, conf->metrics_role) == NULL) {
		log_warnx("metrics-role \"%s\": no such role",
		    conf->metrics_role);
		errors++;
	}
	if (strcmp(conf->access_log_format, "combined") != 0 &&
	    strcmp(conf->access_log_format, "json") != 0) {
		log_warnx("access-log-format \"%s\": neither combined nor "
		    "json", conf->access_log_format);
		errors++;
	}
	return errors;
}

/*
 * The link of a verification mail: verification_url (NULL: none given)
 * if register-url-allow allows it; else the public URL's own
 * verify-email route, when a public URL is set, else the list's first
 * entry.  0, or -1 when no link may be made.
 */
int
config_register_link(const struct tokend_config *conf, const char *url,
    char *out, size_t len)
{
	char	 dflt[CONF_PUBLIC_URL_MAX + sizeof(REGISTER_VERIFY_PATH)];

	dflt[0] = '\0';
	if (conf->public_url[0] != '\0')
		(void)snprintf(dflt, sizeof(dflt), "%s%s", conf->public_url,
		    REGISTER_VERIFY_PATH);
	return url_allowed(conf->register_url_allow, url, dflt, out, len);
}

/*
 * What the auth, password and cookie blocks cannot check one statement
 * at a time.  config_from_json checks it too, so that keyd and the
 * workers may rely on it.
 */
int
config_check_auth(const struct tokend_config *conf)
{
	const struct conf_role	*role = NULL;
	int			 errors = 0, admin = 0, app, tfa;

	if (strcmp(conf->refresh_cookie, conf->session_cookie) == 0) {
		log_warnx("cookie refresh and cookie session have the same "
		    "name \"%s\"", conf->refresh_cookie);
		errors++;
	}
	errors += cookie_check_samesite("refresh",
	    conf->refresh_cookie_samesite, conf->refresh_cookie_secure);
	errors += cookie_check_samesite("session",
	    conf->session_cookie_samesite, conf->session_cookie_secure);
	/* Registration goes into a role of the file, never an admin's. */
	if (conf->register_role[0] != '\0' &&
	    ((role = config_role_by_name(conf, conf->register_role)) ==
	    NULL || (config_role_access(conf, role, &admin, &app, &tfa),
	    admin))) {
		log_warnx("register-role \"%s\": %s", conf->register_role,
		    role == NULL ? "no such role" : "has admin-access");
		errors++;
	}
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
 * With collections, the item store lies in a directory below the item
 * processes' chroot: the parent makes that directory the items user's,
 * the chroot itself stays root's.
 */
int
config_check_items(const struct tokend_config *conf)
{
	char	 path[PATH_MAX];

	if (TAILQ_EMPTY(&conf->collections))
		return 0;
	if (config_path_within(conf->items_chroot, conf->items, path,
	    sizeof(path)) == -1 || strchr(path + 1, '/') == NULL) {
		log_warnx("items %s is not in a directory below the chroot %s",
		    conf->items, conf->items_chroot);
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
	const char	*why;
	size_t		 i;
	int		 errors = 0;

	if (TAILQ_EMPTY(&conf->listens))
		errors += finish_listen_default(conf);
	if (conf->prefork == 0)
		conf->prefork = finish_ncpu(CONF_PREFORK_MAX);
	if (conf->hash_threads == 0)
		conf->hash_threads = finish_ncpu(CONF_HASH_THREADS_HI);
	/* The item processes share the workers' chroot unless told. */
	if (conf->items_chroot[0] == '\0')
		(void)strlcpy(conf->items_chroot, conf->server_chroot,
		    sizeof(conf->items_chroot));
	/* And so does the mail process. */
	if (conf->mail_chroot[0] == '\0')
		(void)strlcpy(conf->mail_chroot, conf->server_chroot,
		    sizeof(conf->mail_chroot));
	if (strpbrk(conf->mail_hostname, " \t") != NULL ||
	    conf->mail_hostname[0] == '\0') {
		log_warnx("mail hostname \"%s\": must be one word",
		    conf->mail_hostname);
		errors++;
	}
	if (strpbrk(conf->mail_tls_name, " \t") != NULL) {
		log_warnx("mail tls-name \"%s\": must be one word",
		    conf->mail_tls_name);
		errors++;
	}
	if (strcmp(conf->cors_origin, "*") == 0 && conf->cors_credentials) {
		log_warnx("cors origin \"*\": any origin with credentials "
		    "would let every site act as the user; list the origins, "
		    "or set credentials no");
		errors++;
	}
	for (i = 0; i < conf->nprotect; i++)
		if (conf->protect[i].role[0] != '\0' &&
		    strcmp(conf->protect[i].role, CONF_ADMIN_ROLE_NAME) != 0 &&
		    config_role_by_name(conf, conf->protect[i].role) == NULL) {
			log_warnx("protect %s %s: no role \"%s\"",
			    conf->protect[i].host, conf->protect[i].path,
			    conf->protect[i].role);
			errors++;
		}
	errors += finish_check_fields(conf);
	errors += finish_check_tls(conf);
	errors += finish_check_database(conf);
	errors += finish_check_secret(conf);
	errors += config_check_auth(conf);
	errors += config_check_access_log(conf);
	errors += config_check_items(conf);
	if ((why = config_relations_check(conf)) != NULL) {
		log_warnx("%s", why);
		errors++;
	}
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
