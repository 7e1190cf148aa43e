/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Unit tests for shared/parse.y and shared/config*.c: the settings
 * table, the grammar and its defaults, macros and includes, every kind
 * of error (each test file is parsed with stderr captured, so the
 * messages can be checked), the bounds of the auth, password and
 * cookie settings, the permission checks, config_path_within, the
 * JSON form and config_restart_needed; then the same for collections,
 * roles and permissions (test_data*).
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "regress.h"

static char	 tmpdir[PATH_MAX];
static char	 lastpath[PATH_MAX];	/* the file parsed last */
static char	 errbuf[256 * 1024];	/* what it logged */
static int	 nerrors;		/* lines logged */

static void
path_in_tmp(char *buf, size_t len, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", tmpdir, name) >= len)
		fatalx("path too long");
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int	 fd;
	size_t	 len = strlen(text);

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		fatal("open %s", path);
	if (write(fd, text, len) != (ssize_t)len)
		fatal("write %s", path);
	if (fchmod(fd, mode) == -1)
		fatal("fchmod %s", path);
	(void)close(fd);
}

/* Writes name (under tmpdir) and returns its path in a static buffer. */
static const char *
tmp_file(const char *name, const char *text, mode_t mode)
{
	static char	 path[PATH_MAX];

	path_in_tmp(path, sizeof(path), name);
	write_file(path, text, mode);
	return path;
}

static void
count_lines(void)
{
	const char	*p;

	nerrors = 0;
	for (p = errbuf; (p = strchr(p, '\n')) != NULL; p++)
		nerrors++;
}

/* Parses path with stderr, where log_warnx writes, sent to errbuf. */
static struct tokend_config *
parse_path(const char *path)
{
	struct tokend_config	*conf;
	char			 cap[PATH_MAX];
	ssize_t			 n;
	int			 fd, saved;

	(void)strlcpy(lastpath, path, sizeof(lastpath));
	path_in_tmp(cap, sizeof(cap), "stderr");
	if ((fd = open(cap, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1)
		fatal("open %s", cap);
	fflush(stderr);
	if ((saved = dup(STDERR_FILENO)) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		fatal("dup");
	conf = parse_config(path);
	fflush(stderr);
	if (dup2(saved, STDERR_FILENO) == -1)
		fatal("dup2");
	(void)close(saved);
	if ((n = pread(fd, errbuf, sizeof(errbuf) - 1, 0)) == -1)
		fatal("pread");
	errbuf[n] = '\0';
	(void)close(fd);
	count_lines();
	return conf;
}

static struct tokend_config *
parse_text(const char *text)
{
	char	 path[PATH_MAX];
	int	 fd;

	path_in_tmp(path, sizeof(path), "conf.XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		fatal("mkstemp");
	(void)close(fd);
	write_file(path, text, 0600);
	return parse_path(path);
}

/* Did the last parse log "file:line: ...what..."? */
static int
logged(const char *file, int line, const char *what)
{
	char		 prefix[PATH_MAX + 32];
	const char	*p, *eol;

	(void)snprintf(prefix, sizeof(prefix), "%s:%d: ", file, line);
	for (p = errbuf; (p = strstr(p, prefix)) != NULL; p++) {
		if ((eol = strchr(p, '\n')) == NULL)
			eol = p + strlen(p);
		p = strstr(p, what);
		if (p != NULL && p < eol)
			return 1;
		if (p == NULL)
			return 0;
		p = eol;
	}
	return 0;
}

/* The text fails to parse with exactly one error, at line, saying what. */
static int
fails_with(const char *text, int line, const char *what)
{
	struct tokend_config	*conf;

	if ((conf = parse_text(text)) != NULL) {
		config_free(conf);
		return 0;
	}
	if (nerrors != 1 || !logged(lastpath, line, what)) {
		fprintf(stderr, "unexpected errors:\n%s", errbuf);
		return 0;
	}
	return 1;
}

static int
parses(const char *text)
{
	struct tokend_config	*conf;

	if ((conf = parse_text(text)) == NULL) {
		fprintf(stderr, "unexpected errors:\n%s", errbuf);
		return 0;
	}
	config_free(conf);
	return 1;
}

static int
listen_is(const struct listen_addr *la, int family, const char *addr,
    int port)
{
	char	 host[NI_MAXHOST];

	if (la == NULL || la->ss.ss_family != family || la->port != port)
		return 0;
	if (getnameinfo((const struct sockaddr *)&la->ss, la->sslen, host,
	    sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
		return 0;
	if (family == AF_INET)
		return strcmp(host, addr) == 0 && ntohs(((struct sockaddr_in *)
		    &la->ss)->sin_port) == port;
	return strcmp(host, addr) == 0 && ntohs(((struct sockaddr_in6 *)
	    &la->ss)->sin6_port) == port;
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

static int
cpu_count(void)
{
	long	 n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > CONF_PREFORK_MAX ? CONF_PREFORK_MAX : (int)n;
}

static int
auth_equal(const struct tokend_config *a, const struct tokend_config *b)
{
	return a->access_ttl == b->access_ttl &&
	    a->refresh_ttl == b->refresh_ttl &&
	    a->session_ttl == b->session_ttl &&
	    a->session_grace == b->session_grace &&
	    a->login_stall == b->login_stall &&
	    a->login_attempts == b->login_attempts &&
	    a->login_lockout == b->login_lockout &&
	    a->hash_memory == b->hash_memory &&
	    a->hash_iterations == b->hash_iterations &&
	    a->hash_parallelism == b->hash_parallelism &&
	    a->hash_threads == b->hash_threads &&
	    a->hash_queue == b->hash_queue &&
	    strcmp(a->refresh_cookie, b->refresh_cookie) == 0 &&
	    strcmp(a->session_cookie, b->session_cookie) == 0 &&
	    a->refresh_cookie_secure == b->refresh_cookie_secure &&
	    a->session_cookie_secure == b->session_cookie_secure &&
	    strcmp(a->refresh_cookie_samesite,
	    b->refresh_cookie_samesite) == 0 &&
	    strcmp(a->session_cookie_samesite,
	    b->session_cookie_samesite) == 0 &&
	    strcmp(a->refresh_cookie_domain, b->refresh_cookie_domain) == 0 &&
	    strcmp(a->session_cookie_domain, b->session_cookie_domain) == 0;
}

static int
config_equal(const struct tokend_config *a, const struct tokend_config *b)
{
	struct listen_addr	*la, *lb;

	lb = TAILQ_FIRST(&b->listens);
	TAILQ_FOREACH(la, &a->listens, entry) {
		if (lb == NULL || la->sslen != lb->sslen ||
		    memcmp(&la->ss, &lb->ss, la->sslen) != 0 ||
		    la->port != lb->port || strcmp(la->host, lb->host) != 0)
			return 0;
		lb = TAILQ_NEXT(lb, entry);
	}
	return lb == NULL && a->prefork == b->prefork &&
	    strcmp(a->server_user, b->server_user) == 0 &&
	    strcmp(a->server_chroot, b->server_chroot) == 0 &&
	    strcmp(a->keyd_user, b->keyd_user) == 0 &&
	    strcmp(a->keyd_chroot, b->keyd_chroot) == 0 &&
	    strcmp(a->keyd_program, b->keyd_program) == 0 &&
	    strcmp(a->database, b->database) == 0 &&
	    strcmp(a->secret, b->secret) == 0 &&
	    strcmp(a->control, b->control) == 0 &&
	    a->header_max == b->header_max && a->body_max == b->body_max &&
	    a->connections == b->connections &&
	    a->request_timeout == b->request_timeout &&
	    a->keyd_timeout == b->keyd_timeout && auth_equal(a, b);
}

static const char full_conf[] =
    "# a complete configuration\n"
    "listen on 127.0.0.1 port 8443\n"
    "listen on ::1\n"
    "listen on \"*\" port 9000\n"
    "prefork 4\n"
    "user \"_www1\"\n"
    "chroot /var/empty2\n"
    "keyd {\n"
    "\tuser _keyd.1\n"
    "\tchroot \"/srv/keyd\"\n"
    "\tprogram \"/opt/tokend/keyd\"\n"
    "\tdatabase \"/srv/keyd/db/c.db\"\n"
    "\tsecret \"/nonexistent/secret\"\n"
    "}\n"
    "control socket \"/run/tokend.sock\"\n"
    "limits {\n"
    "\theader-size 16K\n"
    "\tbody-size 2M\n"
    "\tconnections 2048\n"
    "}\n"
    "timeout {\n"
    "\trequest 2m\n"
    "\tkeyd 1500ms\n"
    "}\n"
    "auth {\n"
    "\taccess-ttl 30m\n"
    "\trefresh-ttl 14d\n"
    "\tsession-ttl 12h\n"
    "\tsession-grace 30s; login-stall 1s\n"
    "\tlogin-attempts 0\n"
    "}\n"
    "password {\n"
    "\tmemory 128M\n"
    "\titerations 4\n"
    "\tparallelism 2\n"
    "\tthreads 3\n"
    "\tqueue 128\n"
    "}\n"
    "cookie refresh {\n"
    "\tname \"rt\"\n"
    "\tsecure yes\n"
    "\tsame-site NONE\n"
    "\tdomain \"example.com\"\n"
    "}\n"
    "cookie session { name \"A-z0.9_!#$%&'*+^`|~\"; secure no; "
    "same-site sTrIcT }\n";

static void
test_full(void)
{
	struct tokend_config	*conf;
	struct listen_addr	*la;

	conf = parse_text(full_conf);
	CHECK("full config parses", conf != NULL && nerrors == 0);
	if (conf == NULL)
		return;
	la = TAILQ_FIRST(&conf->listens);
	CHECK("full: listen addresses",
	    listen_count(conf) == 3 &&
	    listen_is(la, AF_INET, "127.0.0.1", 8443) &&
	    listen_is(TAILQ_NEXT(la, entry), AF_INET6, "::1", 8055) &&
	    listen_is(TAILQ_LAST(&conf->listens, listen_list), AF_INET,
	    "0.0.0.0", 9000) &&
	    strcmp(TAILQ_LAST(&conf->listens, listen_list)->host, "*") == 0);
	CHECK("full: prefork, users, chroot",
	    conf->prefork == 4 && strcmp(conf->server_user, "_www1") == 0 &&
	    strcmp(conf->server_chroot, "/var/empty2") == 0 &&
	    strcmp(conf->keyd_user, "_keyd.1") == 0);
	CHECK("full: keyd paths and control socket",
	    strcmp(conf->keyd_chroot, "/srv/keyd") == 0 &&
	    strcmp(conf->keyd_program, "/opt/tokend/keyd") == 0 &&
	    strcmp(conf->database, "/srv/keyd/db/c.db") == 0 &&
	    strcmp(conf->secret, "/nonexistent/secret") == 0 &&
	    strcmp(conf->control, "/run/tokend.sock") == 0);
	CHECK("full: limits and timeouts",
	    conf->header_max == 16384 && conf->body_max == 2 * 1024 * 1024 &&
	    conf->connections == 2048 && conf->request_timeout == 120 &&
	    conf->keyd_timeout == 1500);
	CHECK("full: auth",
	    conf->access_ttl == 30 * 60 * 1000LL &&
	    conf->refresh_ttl == 14 * 24 * 60 * 60 * 1000LL &&
	    conf->session_ttl == 12 * 60 * 60 * 1000LL &&
	    conf->session_grace == 30000 && conf->login_stall == 1000 &&
	    conf->login_attempts == 0);
	CHECK("full: password",
	    conf->hash_memory == 128 * 1024 && conf->hash_iterations == 4 &&
	    conf->hash_parallelism == 2 && conf->hash_threads == 3 &&
	    conf->hash_queue == 128);
	CHECK("full: cookie refresh",
	    strcmp(conf->refresh_cookie, "rt") == 0 &&
	    conf->refresh_cookie_secure == 1 &&
	    strcmp(conf->refresh_cookie_samesite, "None") == 0 &&
	    strcmp(conf->refresh_cookie_domain, "example.com") == 0);
	CHECK("full: cookie session",
	    strcmp(conf->session_cookie, "A-z0.9_!#$%&'*+^`|~") == 0 &&
	    conf->session_cookie_secure == 0 &&
	    strcmp(conf->session_cookie_samesite, "Strict") == 0 &&
	    strcmp(conf->session_cookie_domain, "") == 0);
	config_free(conf);
}

static void
test_defaults(void)
{
	struct tokend_config	*conf;

	conf = parse_text("# nothing\n\n");
	CHECK("empty config parses", conf != NULL);
	if (conf == NULL)
		return;
	CHECK("defaults: one listen on 127.0.0.1 port 8055",
	    listen_count(conf) == 1 &&
	    listen_is(TAILQ_FIRST(&conf->listens), AF_INET, "127.0.0.1",
	    CONF_PORT_DEFAULT));
	CHECK("defaults: prefork is the CPU count",
	    conf->prefork == cpu_count());
	CHECK("defaults: names, paths, limits",
	    strcmp(conf->server_user, CONF_SERVER_USER) == 0 &&
	    strcmp(conf->keyd_chroot, CONF_KEYD_CHROOT) == 0 &&
	    strcmp(conf->database, CONF_DATABASE) == 0 &&
	    strcmp(conf->control, CONF_CONTROL) == 0 &&
	    conf->header_max == CONF_HEADER_MAX &&
	    conf->body_max == CONF_BODY_MAX &&
	    conf->connections == CONF_CONNECTIONS &&
	    conf->request_timeout == CONF_REQUEST_TIMEOUT &&
	    conf->keyd_timeout == CONF_KEYD_TIMEOUT);
	CHECK("defaults: auth as in Directus",
	    conf->access_ttl == 900000 && conf->refresh_ttl == 604800000 &&
	    conf->session_ttl == 86400000 && conf->session_grace == 10000 &&
	    conf->login_stall == 500 && conf->login_attempts == 25 &&
	    conf->login_lockout == 15 * 60 * 1000);
	CHECK("defaults: password hashing as in Directus",
	    conf->hash_memory == 65536 && conf->hash_iterations == 3 &&
	    conf->hash_parallelism == 4 && conf->hash_queue == 64);
	CHECK("defaults: password threads is the CPU count",
	    conf->hash_threads == cpu_count());
	CHECK("defaults: cookies",
	    strcmp(conf->refresh_cookie, "directus_refresh_token") == 0 &&
	    strcmp(conf->session_cookie, "directus_session_token") == 0 &&
	    conf->refresh_cookie_secure == 0 &&
	    conf->session_cookie_secure == 0 &&
	    strcmp(conf->refresh_cookie_samesite, "Lax") == 0 &&
	    strcmp(conf->session_cookie_samesite, "Lax") == 0 &&
	    conf->refresh_cookie_domain[0] == '\0' &&
	    conf->session_cookie_domain[0] == '\0');
	config_free(conf);
}

static void
test_syntax(void)
{
	CHECK("semicolons, one-line blocks, no final newline",
	    parses("limits { header-size 2K; body-size 3M ; }\n"
	    "timeout { }\nkeyd {\n\n user k ;; chroot /k; database /k/d\n}\n"
	    "prefork 2"));
	CHECK("quotes, escapes, comments, line joints",
	    parses("user 'u_1'   # comment \"\n"
	    "chroot \"/a \\\"b\\\\\" # trailing\n"
	    "control \\\n socket /x\n"));
	CHECK("bare keyword in a quoted string is a string",
	    parses("user \"keyd\"\n"));
}

static void
test_macros(void)
{
	struct tokend_config	*conf;

	conf = parse_text("port = \"9000\"\n"
	    "dir=/srv/k\n"
	    "lo = \"127.0.0.1\"\n"
	    "listen on $lo port $port\n"
	    "blk = \"limits {\"\n"
	    "$blk connections 64 }\n"
	    "keyd { chroot $dir; database $dir/db/x.db }\n");
	CHECK("macros expand anywhere, also in words",
	    conf != NULL &&
	    listen_is(TAILQ_FIRST(&conf->listens), AF_INET, "127.0.0.1",
	    9000) && conf->connections == 64 &&
	    strcmp(conf->database, "/srv/k/db/x.db") == 0);
	config_free(conf);

	CHECK("cmdline_symset accepts name=value",
	    cmdline_symset("pf=3") == 0 && cmdline_symset("empty=") == 0);
	CHECK("cmdline_symset rejects malformed arguments",
	    cmdline_symset("noequals") == -1 &&
	    cmdline_symset("=x") == -1 && cmdline_symset("1x=2") == -1 &&
	    cmdline_symset("a-b=1") == -1 && cmdline_symset("a=b\nc") == -1);
	conf = parse_text("pf = 5\nprefork $pf $empty\n");
	CHECK("-D overrides the file's macro",
	    conf != NULL && conf->prefork == 3);
	config_free(conf);

	CHECK("a file's macros end with the parse",
	    fails_with("prefork $port\n", 1, "macro \"port\" is not defined"));
	CHECK("a macro's value is not expanded again",
	    fails_with("a = \"$a\"\nuser $a\n", 2, "may only contain"));
	CHECK("invalid macro name",
	    fails_with("header-size = 1\n", 1, "invalid macro name"));
}

static void
test_include(void)
{
	struct tokend_config	*conf;
	char			 sub[PATH_MAX], top[PATH_MAX];
	char			 inner[PATH_MAX];

	path_in_tmp(sub, sizeof(sub), "sub");
	if (mkdir(sub, 0700) == -1)
		fatal("mkdir");
	(void)strlcpy(inner, tmp_file("sub/inner.conf", "prefork 7\n"
	    "include \"last.conf\"\nlimits {\n connections 99\n", 0644),
	    sizeof(inner));
	(void)tmp_file("sub/last.conf", "user inner", 0600);
	(void)strlcpy(top, tmp_file("top.conf", "p = 8\n"
	    "include \"sub/inner.conf\"\nchroot /after\n", 0600),
	    sizeof(top));
	conf = parse_path(top);
	CHECK("unterminated block in an included file",
	    conf == NULL && nerrors == 1 &&
	    logged(inner, 3, "unterminated block"));
	config_free(conf);

	(void)tmp_file("sub/inner.conf", "prefork 7\ninclude \"last.conf\"\n"
	    "limits {\n connections 99\n}", 0644);
	conf = parse_path(top);
	CHECK("include: values from every file",
	    conf != NULL && conf->prefork == 7 && conf->connections == 99 &&
	    strcmp(conf->server_user, "inner") == 0 &&
	    strcmp(conf->server_chroot, "/after") == 0);
	config_free(conf);

	(void)strlcpy(top, tmp_file("self.conf", "include \"self.conf\"\n",
	    0600), sizeof(top));
	conf = parse_path(top);
	CHECK("include depth is limited",
	    conf == NULL && nerrors == 1 && logged(top, 1, "nested more than"));
	CHECK("include of a missing file names the including line",
	    fails_with("\n\ninclude \"nosuch.conf\"\n", 3,
	    "nosuch.conf: No such file or directory"));
	(void)tmp_file("gw.conf", "prefork 1\n", 0620);
	CHECK("group-writable include refused",
	    fails_with("include gw.conf\n", 1,
	    "file is writable by group or others"));
}

static void
test_errors(void)
{
	char	*big;
	size_t	 len;

	CHECK("unknown keyword", fails_with("\nbogus 1\n", 2,
	    "unknown keyword \"bogus\""));
	CHECK("unknown keyword in a block", fails_with("limits {\n"
	    "  bogus\n}\n", 2, "unknown keyword \"bogus\""));
	CHECK("keyword in the wrong place", fails_with("request 5s\n", 1,
	    "\"request\" is not allowed here"));
	CHECK("missing argument", fails_with("prefork\n", 1,
	    "missing argument after \"prefork\""));
	CHECK("missing argument in a block", fails_with("keyd { user }\n",
	    1, "missing argument after \"user\""));
	CHECK("extra argument", fails_with("user a b\n", 1,
	    "unexpected \"b\" after \"a\""));
	CHECK("prefork out of range", fails_with("prefork 65\n", 1,
	    "out of range") && fails_with("prefork 0\n", 1, "out of range"));
	CHECK("not a number", fails_with("prefork 4x\n", 1,
	    "invalid number"));
	CHECK("unterminated string", fails_with("user \"abc\n", 1,
	    "unterminated quoted string"));
	CHECK("unterminated block", fails_with("\ntimeout {\n request 5\n",
	    2, "unterminated block"));
	CHECK("undefined macro", fails_with("user $nosuch\n", 1,
	    "macro \"nosuch\" is not defined"));
	CHECK("relative path", fails_with("chroot var/empty\n", 1,
	    "not absolute"));
	CHECK("bad user name", fails_with("user \"a b\"\n", 1,
	    "may only contain"));
	CHECK("invalid character", fails_with("user \\x\n", 1,
	    "invalid character"));

	len = 9000;
	if ((big = malloc(len + 16)) == NULL)
		fatal("malloc");
	memset(big, 'x', len);
	memcpy(big, "# ", 2);
	(void)strlcpy(big + len, "\nprefork 1\n", 16);
	CHECK("line too long", fails_with(big, 1, "line longer than"));
	/* Longer than a token, in lines joined inside the quotes. */
	memcpy(big, "user \"", 6);
	memcpy(big + 3000, "\\\n", 2);
	memcpy(big + 6000, "\\\n", 2);
	(void)strlcpy(big + 8999, "\"\n", 3);
	CHECK("string too long", fails_with(big, 1, "string longer than"));
	free(big);

	len = CONF_FILE_MAX + 1;
	if ((big = malloc(len + 1)) == NULL)
		fatal("malloc");
	memset(big, '\n', len);
	big[len] = '\0';
	CHECK("file too large", parse_text(big) == NULL && nerrors == 1 &&
	    strstr(errbuf, "file too large") != NULL);
	free(big);
}

static void
test_all_errors(void)
{
	struct tokend_config	*conf;

	conf = parse_text("prefork 0\n"
	    "bogus 1\n"
	    "user\n"
	    "limits {\n"
	    "\theader-size 8X\n"
	    "\tconnections 5\n"
	    "}\n"
	    "listen on 127.0.0.1 port 99999\n"
	    "chroot relative/path\n"
	    "keyd { secret $undefined ; user 'ok' }\n"
	    "user \"fine\"\n"
	    "timeout { request 0 }\n");
	CHECK("all errors are reported, each with its line",
	    conf == NULL && nerrors == 9 &&
	    logged(lastpath, 1, "prefork") && logged(lastpath, 2, "bogus") &&
	    logged(lastpath, 3, "user") && logged(lastpath, 5, "8X") &&
	    logged(lastpath, 6, "connections") &&
	    logged(lastpath, 8, "port") && logged(lastpath, 9, "chroot") &&
	    logged(lastpath, 10, "undefined") &&
	    logged(lastpath, 12, "request"));
	config_free(conf);
}

static void
test_units(void)
{
	struct tokend_config	*conf;

	conf = parse_text("limits { header-size 64K; body-size 64M }\n"
	    "timeout { request 1h; keyd 60s }\n");
	CHECK("sizes and durations at their upper bounds",
	    conf != NULL && conf->header_max == 65536 &&
	    conf->body_max == 64 * 1024 * 1024 &&
	    conf->request_timeout == 3600 && conf->keyd_timeout == 60000);
	config_free(conf);
	conf = parse_text("limits { header-size 1024; body-size 1k }\n"
	    "timeout { request 1; keyd 100ms }\n");
	CHECK("sizes and durations at their lower bounds",
	    conf != NULL && conf->header_max == 1024 &&
	    conf->body_max == 1024 && conf->request_timeout == 1 &&
	    conf->keyd_timeout == 100);
	config_free(conf);
	CHECK("size above its bound", fails_with(
	    "limits { header-size 65K }\n", 1, "out of range"));
	CHECK("size below its bound", fails_with(
	    "limits { body-size 1023 }\n", 1, "out of range"));
	CHECK("huge size does not overflow", fails_with(
	    "limits { body-size 99999999999999999999999M }\n", 1,
	    "out of range"));
	CHECK("bad size suffix", fails_with("limits { header-size 8X }\n", 1,
	    "invalid value"));
	CHECK("bad duration suffix", fails_with("timeout { request 5y }\n",
	    1, "invalid value"));
	CHECK("duration bounds", fails_with("timeout { keyd 99ms }\n", 1,
	    "out of range") && fails_with("timeout { request 2h }\n", 1,
	    "out of range"));
	CHECK("request timeout in whole seconds", fails_with(
	    "timeout { request 1500ms }\n", 1, "whole number of seconds"));
}

/* A statement of a block that must fail at its line with error. */
struct bound_case {
	const char	*block;
	const char	*stmt;
	const char	*error;
};

static const struct bound_case bound_cases[] = {
	{ "auth", "access-ttl 9999ms", "out of range (10s to 1d)" },
	{ "auth", "access-ttl 86400001ms", "out of range (10s to 1d)" },
	{ "auth", "refresh-ttl 59s", "out of range (1m to 365d)" },
	{ "auth", "refresh-ttl 366d", "out of range (1m to 365d)" },
	{ "auth", "session-ttl 59999ms", "out of range (1m to 365d)" },
	{ "auth", "session-ttl 8761h", "out of range (1m to 365d)" },
	{ "auth", "session-grace 301s", "out of range (0 to 5m)" },
	{ "auth", "session-grace -1s", "invalid value" },
	{ "auth", "login-stall 10001ms", "out of range (0 to 10s)" },
	{ "auth", "login-stall 1.5s", "invalid value" },
	{ "auth", "login-attempts 10001", "out of range (0 to 10000)" },
	{ "auth", "login-attempts -1", "invalid number" },
	{ "auth", "login-lockout 999ms", "out of range (1s to 1d)" },
	{ "auth", "login-lockout 2d", "out of range (1s to 1d)" },
	{ "auth", "access-ttl 15y", "invalid value" },
	{ "password", "memory 1023K", "out of range (1M to 256M)" },
	{ "password", "memory 257M", "out of range (1M to 256M)" },
	{ "password", "memory 1048577", "not a whole number of KiB" },
	{ "password", "memory 64G", "invalid value" },
	{ "password", "iterations 0", "out of range (1 to 16)" },
	{ "password", "iterations 17", "out of range (1 to 16)" },
	{ "password", "parallelism 0", "out of range (1 to 16)" },
	{ "password", "parallelism 17", "out of range (1 to 16)" },
	{ "password", "threads 0", "out of range (1 to 64)" },
	{ "password", "threads 65", "out of range (1 to 64)" },
	{ "password", "queue 0", "out of range (1 to 4096)" },
	{ "password", "queue 4097", "out of range (1 to 4096)" },
	{ "cookie refresh", "name \"\"", "empty cookie name" },
	{ "cookie refresh", "name \"a b\"", "may only contain" },
	{ "cookie refresh", "name \"a;b\"", "may only contain" },
	{ "cookie session", "name \"a=b\"", "may only contain" },
	{ "cookie session", "name \"a,b\"", "may only contain" },
	{ "cookie session", "name \"a\\\"b\"", "may only contain" },
	{ "cookie session", "name \"(x)\"", "may only contain" },
	{ "cookie session", "name \"a@b:c\"", "may only contain" },
	{ "cookie session", "name \"\xc3\xa9\"", "may only contain" },
	{ "cookie refresh", "secure 1", "neither yes nor no" },
	{ "cookie session", "secure YES", "neither yes nor no" },
	{ "cookie refresh", "same-site lax2", "not lax, strict or none" },
	{ "cookie session", "same-site \"\"", "not lax, strict or none" },
	{ "cookie refresh", "domain \"a;b\"", "may not contain" },
	{ "cookie refresh", "domain \"a,b\"", "may not contain" },
	{ "cookie session", "domain \"a b\"", "may not contain" },
	{ "cookie session", "domain \"a\tb\"", "may not contain" },
	{ "cookie session", "domain \"\xc3\xa9.example\"", "may not contain" },
};

static int
bound_fails(const char *block, const char *stmt, const char *error)
{
	char	 text[1024];

	(void)snprintf(text, sizeof(text), "# bounds\n%s {\n\t%s\n}\n",
	    block, stmt);
	return fails_with(text, 3, error);
}

static void
test_auth_bounds(void)
{
	struct tokend_config	*conf;
	const struct bound_case	*bc;
	char			 name[128], long_value[512], stmt[600];
	size_t			 i;

	for (i = 0; i < sizeof(bound_cases) / sizeof(bound_cases[0]); i++) {
		bc = &bound_cases[i];
		(void)snprintf(name, sizeof(name), "bound: %s { %s }",
		    bc->block, bc->stmt);
		CHECK(name, bound_fails(bc->block, bc->stmt, bc->error));
	}

	memset(long_value, 'n', CONF_COOKIE_NAME_MAX);
	long_value[CONF_COOKIE_NAME_MAX] = '\0';
	(void)snprintf(stmt, sizeof(stmt), "name %s", long_value);
	CHECK("bound: cookie name of 64 characters",
	    bound_fails("cookie session", stmt, "cookie name too long"));
	memset(long_value, 'd', CONF_COOKIE_DOMAIN_MAX);
	long_value[CONF_COOKIE_DOMAIN_MAX] = '\0';
	(void)snprintf(stmt, sizeof(stmt), "domain %s", long_value);
	CHECK("bound: cookie domain of 256 characters",
	    bound_fails("cookie refresh", stmt, "cookie domain too long"));

	conf = parse_text("auth { access-ttl 10s; refresh-ttl 1m; "
	    "session-ttl 60s; session-grace 0; login-stall 0; "
	    "login-attempts 10000 }\n"
	    "password { memory 1M; iterations 1; parallelism 1; threads 1; "
	    "queue 1 }\n");
	CHECK("auth and password at their lower bounds",
	    conf != NULL && conf->access_ttl == 10000 &&
	    conf->refresh_ttl == 60000 && conf->session_ttl == 60000 &&
	    conf->session_grace == 0 && conf->login_stall == 0 &&
	    conf->login_attempts == 10000 && conf->hash_memory == 1024 &&
	    conf->hash_iterations == 1 && conf->hash_parallelism == 1 &&
	    conf->hash_threads == 1 && conf->hash_queue == 1);
	config_free(conf);
	conf = parse_text("auth { access-ttl 1d; refresh-ttl 365d; "
	    "session-ttl 8760h; session-grace 5m; login-stall 10s }\n"
	    "password { memory 256M; iterations 16; parallelism 16; "
	    "threads 64; queue 4096 }\n");
	CHECK("auth and password at their upper bounds",
	    conf != NULL && conf->access_ttl == 86400000 &&
	    conf->refresh_ttl == 31536000000LL &&
	    conf->session_ttl == 31536000000LL &&
	    conf->session_grace == 300000 && conf->login_stall == 10000 &&
	    conf->hash_memory == 262144 && conf->hash_iterations == 16 &&
	    conf->hash_parallelism == 16 && conf->hash_threads == 64 &&
	    conf->hash_queue == 4096);
	config_free(conf);
	conf = parse_text("auth { access-ttl 60 }\n"
	    "password { memory 1048576 }\npassword { memory 2048k }\n");
	CHECK("plain duration is seconds, memory in bytes or K",
	    conf != NULL && conf->access_ttl == 60000 &&
	    conf->hash_memory == 2048);
	config_free(conf);

	conf = parse_text("auth {\n"
	    "\tbogus 1\n"
	    "\taccess-ttl 1s\n"
	    "\tmemory 1M\n"
	    "\trefresh-ttl 2d\n"
	    "}\n"
	    "password { queue 0; threads 2 }\n"
	    "cookie refresh {\n\tsecure maybe\n\tname \"x y\"\n}\n");
	CHECK("errors in the new blocks are all reported",
	    conf == NULL && nerrors == 6 &&
	    logged(lastpath, 2, "unknown keyword \"bogus\"") &&
	    logged(lastpath, 3, "access-ttl 1s") &&
	    logged(lastpath, 4, "\"memory\" is not allowed here") &&
	    logged(lastpath, 7, "password queue 0") &&
	    logged(lastpath, 9, "cookie refresh secure") &&
	    logged(lastpath, 10, "cookie refresh name \"x y\""));
	config_free(conf);
	CHECK("cookie needs refresh or session",
	    fails_with("cookie bogus { name x }\n", 1,
	    "unexpected \"bogus\" after \"cookie\""));
	CHECK("a keyword as a cookie name must be quoted",
	    fails_with("cookie session {\n name session\n}\n", 2,
	    "unexpected \"session\" after \"name\"") &&
	    parses("cookie session { name \"session\" }\n"));
}

static void
test_cookies(void)
{
	struct tokend_config	*conf;

	conf = parse_text("cookie refresh { same-site none }\n");
	CHECK("same-site none without secure is refused",
	    conf == NULL && nerrors == 1 && strstr(errbuf,
	    "cookie refresh: same-site none requires secure yes") != NULL);
	conf = parse_text("cookie session { same-site None; secure no }\n");
	CHECK("same-site none with secure no is refused",
	    conf == NULL && nerrors == 1 && strstr(errbuf,
	    "cookie session: same-site none requires secure yes") != NULL);
	conf = parse_text("cookie refresh { same-site none }\n"
	    "cookie session { same-site strict }\n"
	    "cookie refresh { secure yes }\n");
	CHECK("same-site none with secure yes in a later block",
	    conf != NULL && conf->refresh_cookie_secure == 1 &&
	    strcmp(conf->refresh_cookie_samesite, "None") == 0 &&
	    strcmp(conf->session_cookie_samesite, "Strict") == 0);
	config_free(conf);
	conf = parse_text("cookie session { name directus_refresh_token }\n");
	CHECK("the same name for both cookies is refused",
	    conf == NULL && nerrors == 1 &&
	    strstr(errbuf, "same name \"directus_refresh_token\"") != NULL);
	conf = parse_text("cookie refresh { name a }\n"
	    "cookie session { name a }\ncookie refresh { name b }\n");
	CHECK("cookie names compared after the whole file",
	    conf != NULL && strcmp(conf->refresh_cookie, "b") == 0 &&
	    strcmp(conf->session_cookie, "a") == 0);
	config_free(conf);
	conf = parse_text("cookie refresh { same-site STRICT; domain "
	    "\".example.org\"; domain \"\"; same-site lax }\n");
	CHECK("same-site stored capitalised, an empty domain clears it",
	    conf != NULL && strcmp(conf->refresh_cookie_samesite, "Lax") ==
	    0 && conf->refresh_cookie_domain[0] == '\0');
	config_free(conf);
}

/* Are the origins of URLs a and b the same (-1: one does not parse)? */
static int
same_origin(const char *a, const char *b)
{
	struct url_origin	 oa, ob;
	size_t			 rest;

	if (config_url_origin(a, strlen(a), &oa, &rest) != NULL ||
	    config_url_origin(b, strlen(b), &ob, &rest) != NULL)
		return -1;
	return config_url_origin_same(&oa, &ob);
}

static void
test_public_url(void)
{
	struct tokend_config	*conf;
	char			 big[CONF_PUBLIC_URL_MAX + 32];

	conf = parse_text("public-url \"https://Auth.Example.com:8443/app/\"\n");
	CHECK("public-url kept as written",
	    conf != NULL && strcmp(conf->public_url,
	    "https://Auth.Example.com:8443/app/") == 0);
	config_free(conf);
	conf = parse_text("\n");
	CHECK("public-url unset by default",
	    conf != NULL && conf->public_url[0] == '\0');
	config_free(conf);
	conf = parse_text("public-url \"https://a.example\"\n"
	    "public-url \"ftp://a.example\"\npublic-url \"http://a?b\"\n"
	    "public-url \"http://u@a\"\npublic-url \"http://a:0\"\n"
	    "public-url \"http://[::1/\"\n");
	CHECK("public-url: every bad one named",
	    conf == NULL && nerrors == 5 &&
	    strstr(errbuf, "not an http:// or https:// URL") != NULL &&
	    strstr(errbuf, "no query or fragment") != NULL &&
	    strstr(errbuf, "a user part") != NULL &&
	    strstr(errbuf, "port must be") != NULL &&
	    strstr(errbuf, "bad IPv6 address") != NULL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "http://", 7);
	CHECK("public-url: too long", config_check_public_url(big) != NULL);
	CHECK("origin: the default port written or not",
	    same_origin("https://a.example", "https://a.example:443") == 1 &&
	    same_origin("http://a.example:80/x", "http://a.example") == 1);
	CHECK("origin: host without case",
	    same_origin("https://A.EXAMPLE", "https://a.example/") == 1);
	CHECK("origin: scheme, port and host differ",
	    same_origin("http://a.example", "https://a.example") == 0 &&
	    same_origin("https://a.example", "https://a.example:8443") == 0 &&
	    same_origin("https://a.example", "https://a.example.org") == 0 &&
	    same_origin("https://a.example", "https://x.a.example") == 0);
	CHECK("origin: IPv6 in brackets",
	    same_origin("http://[::1]:8055", "http://[::1]:8055/") == 1);
	CHECK("origin: a user part or junk does not parse",
	    same_origin("https://a.example", "https://evil@a.example") == -1 &&
	    same_origin("https://a.example", "https://a.example:99999") ==
	    -1 && same_origin("https://a.example", "null") == -1);
}

/* cors origin and the protect rules: the lists, and their JSON. */
static void
test_cors_protect(void)
{
	static const char	 list[] = "http://localhost:3000, "
	    "https://App.Example.com  http://[::1]:8080";
	struct tokend_config	*conf, *copy;
	char			*json;

	CHECK("cors: a list of origins",
	    config_check_origins(list) == NULL &&
	    config_check_origins("") == NULL &&
	    config_check_origins("*") == NULL);
	CHECK("cors: no path, no other scheme, no \"*\" in a list",
	    config_check_origins("http://a.example/") != NULL &&
	    config_check_origins("ftp://a.example") != NULL &&
	    config_check_origins("http://a.example *") != NULL &&
	    config_check_origins("null") != NULL);
	CHECK("cors: listed exactly, the default port written or not",
	    config_origin_listed(list, "http://localhost:3000", 21) &&
	    config_origin_listed(list, "https://app.example.com:443", 27) &&
	    config_origin_listed(list, "http://[::1]:8080", 17));
	CHECK("cors: not a sibling, another port or scheme, nor a path",
	    !config_origin_listed(list, "http://localhost:3001", 21) &&
	    !config_origin_listed(list, "https://localhost:3000", 22) &&
	    !config_origin_listed(list, "https://x.app.example.com", 25) &&
	    !config_origin_listed(list, "http://localhost:3000/", 22) &&
	    !config_origin_listed(list, "null", 4) &&
	    !config_origin_listed("", "http://localhost:3000", 21));
	CHECK("cors: \"*\" lists any origin",
	    config_origin_listed("*", "https://evil.example", 20));
	conf = parse_text("cors { origin \"http://localhost:3000\"; "
	    "max-age 60 }\nrole \"editor\" { id "
	    "\"b0000000-0000-4000-8000-0000000000e1\" }\n"
	    "protect \"*\" \"/admin/\" { admin-access yes }\n"
	    "protect \"app.example\" \"/\" { role \"editor\" }\n"
	    "protect \"wiki.example\" \"/\"\n");
	CHECK("protect: three rules, in order", conf != NULL &&
	    conf->nprotect == 3 && conf->protect[0].admin == 1 &&
	    strcmp(conf->protect[1].role, "editor") == 0 &&
	    strcmp(conf->protect[2].host, "wiki.example") == 0 &&
	    conf->protect[2].role[0] == '\0' && !conf->protect[2].admin &&
	    conf->cors_max_age == 60 && conf->cors_credentials == 1);
	json = conf != NULL ? config_to_json(conf) : NULL;
	copy = json != NULL ? config_from_json(json, strlen(json)) : NULL;
	CHECK("protect: the JSON round trip", copy != NULL &&
	    copy->nprotect == 3 && copy->protect[0].admin == 1 &&
	    strcmp(copy->protect[0].path, "/admin/") == 0 &&
	    strcmp(copy->protect[1].host, "app.example") == 0 &&
	    strcmp(copy->protect[1].role, "editor") == 0 &&
	    strcmp(copy->cors_origin, "http://localhost:3000") == 0);
	free(json);
	config_free(copy);
	config_free(conf);
	CHECK("cors: \"*\" with credentials refused",
	    parse_text("cors { origin \"*\" }\n") == NULL);
	CHECK("protect: an unknown role refused",
	    parse_text("protect \"*\" \"/\" { role \"nobody\" }\n") == NULL);
}

static void
test_listen(void)
{
	struct tokend_config	*conf;
	struct addrinfo		 hints, *res;
	char			 text[2048];
	int			 i;

	conf = parse_text("listen on ::1 port 8080\nlisten on fe80::1:2\n");
	CHECK("IPv6 listen addresses",
	    conf != NULL && listen_count(conf) == 2 &&
	    listen_is(TAILQ_FIRST(&conf->listens), AF_INET6, "::1", 8080) &&
	    listen_is(TAILQ_LAST(&conf->listens, listen_list), AF_INET6,
	    "fe80::1:2", 8055));
	config_free(conf);
	CHECK("duplicate listen address", fails_with("listen on 127.0.0.1\n"
	    "listen on 127.0.0.1 port 8055\n", 2, "duplicate"));
	CHECK("bad port", fails_with("listen on ::1 port 0\n", 1,
	    "out of range"));
	text[0] = '\0';
	for (i = 0; i <= CONF_LISTEN_MAX; i++)
		(void)snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    "listen on 127.0.0.%d\n", i + 1);
	CHECK("too many listen addresses", fails_with(text,
	    CONF_LISTEN_MAX + 1, "too many listen addresses"));

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo("localhost", NULL, &hints, &res) != 0) {
		printf("SKIPPED listen on a host name (no localhost)\n");
		return;
	}
	freeaddrinfo(res);
	conf = parse_text("listen on localhost port 1234\n");
	CHECK("listen on a host name", conf != NULL &&
	    listen_count(conf) >= 1 &&
	    strcmp(TAILQ_FIRST(&conf->listens)->host, "localhost") == 0);
	config_free(conf);
}

/*
 * listen ... tls, the tls block and handshake-deadline: parsed, checked,
 * carried through the JSON form; a tls listener needs a certificate
 * and a key; only TLS 1.2 and 1.3.
 */
static void
test_tls(void)
{
	struct tokend_config	*conf, *copy;
	struct listen_addr	*la;
	char			*json, why[128];
	int			 lo, hi;

	conf = parse_text("listen on 127.0.0.1 port 8443 tls\n"
	    "listen on 127.0.0.1 port 8055\n"
	    "tls { certificate \"/etc/c.pem\"; key \"/etc/k.pem\"\n"
	    " protocols tlsv1.3; ciphers \"ECDHE+AESGCM\"; hsts 1h }\n"
	    "timeout { handshake-deadline 2s }\n");
	la = conf == NULL ? NULL : TAILQ_FIRST(&conf->listens);
	CHECK("tls: listen ... tls and a plain one", la != NULL &&
	    la->tls == 1 && la->port == 8443 &&
	    TAILQ_NEXT(la, entry)->tls == 0 && config_tls_listens(conf) == 1);
	CHECK("tls: the block and the deadline", conf != NULL &&
	    strcmp(conf->tls_certificate, "/etc/c.pem") == 0 &&
	    strcmp(conf->tls_key, "/etc/k.pem") == 0 &&
	    strcmp(conf->tls_protocols, "tlsv1.3") == 0 &&
	    strcmp(conf->tls_ciphers, "ECDHE+AESGCM") == 0 &&
	    conf->tls_hsts == 3600 && conf->handshake_deadline == 2000);
	json = conf == NULL ? NULL : config_to_json(conf);
	copy = json == NULL ? NULL : config_from_json(json, strlen(json));
	CHECK("tls: the JSON form keeps tls", copy != NULL &&
	    TAILQ_FIRST(&copy->listens)->tls == 1 &&
	    TAILQ_LAST(&copy->listens, listen_list)->tls == 0 &&
	    strcmp(copy->tls_key, "/etc/k.pem") == 0);
	if (copy != NULL)
		TAILQ_FIRST(&copy->listens)->tls = 0;
	CHECK("tls: a listener turned plain needs a restart", copy != NULL &&
	    config_restart_needed(conf, copy, why, sizeof(why)) == 1 &&
	    strcmp(why, "listen") == 0);
	free(json);
	config_free(copy);
	config_free(conf);
	conf = parse_text("tls { certificate \"/c\"; key \"/k\" }\n");
	CHECK("tls: certificate and key may be set without a tls listener",
	    conf != NULL);
	config_free(conf);
	conf = parse_text("listen on 127.0.0.1 tls\n");
	CHECK("tls: a tls listener needs a certificate and a key",
	    conf == NULL && strstr(errbuf, "needs tls { certificate") != NULL);
	config_free(conf);
	conf = parse_text("tls { protocols \"tlsv1.1 tlsv1.2\" }\n");
	CHECK("tls: no TLS 1.1", conf == NULL &&
	    strstr(errbuf, "only tlsv1.2 and tlsv1.3") != NULL);
	config_free(conf);
	CHECK("tls: certificate must be absolute", fails_with(
	    "tls { certificate c.pem }\n", 1, "not absolute"));
	CHECK("tls: protocols",
	    config_tls_protocols("tlsv1.2 tlsv1.3", &lo, &hi) == 0 &&
	    lo == 12 && hi == 13 &&
	    config_tls_protocols(" tlsv1.3 ", &lo, &hi) == 0 &&
	    lo == 13 && hi == 13 &&
	    config_tls_protocols("default", &lo, &hi) == 0 &&
	    lo == 12 && hi == 13 &&
	    config_tls_protocols("", &lo, &hi) == -1 &&
	    config_tls_protocols("tlsv1.0", &lo, &hi) == -1 &&
	    config_tls_protocols("tlsv1.2x", &lo, &hi) == -1 &&
	    config_tls_protocols("sslv3 tlsv1.2", &lo, &hi) == -1);
}

static void
test_path_within(void)
{
	char	 out[PATH_MAX], small[4];

	CHECK("path within: inside",
	    config_path_within("/var/db/tokend", "/var/db/tokend/db/c.db",
	    out, sizeof(out)) == 0 && strcmp(out, "/db/c.db") == 0);
	CHECK("path within: trailing and double slashes",
	    config_path_within("/var/db/tokend/", "/var//db/tokend//c.db/",
	    out, sizeof(out)) == 0 && strcmp(out, "/c.db") == 0);
	CHECK("path within: root / holds everything",
	    config_path_within("/", "/etc/x", out, sizeof(out)) == 0 &&
	    strcmp(out, "/etc/x") == 0);
	CHECK("path within: not the directory itself",
	    config_path_within("/var/db", "/var/db/", out, sizeof(out)) ==
	    -1 && config_path_within("/", "/", out, sizeof(out)) == -1);
	CHECK("path within: components, not prefixes",
	    config_path_within("/var/db", "/var/db2/x", out, sizeof(out)) ==
	    -1 && config_path_within("/var/db", "/var", out,
	    sizeof(out)) == -1);
	CHECK("path within: no .. and absolute only",
	    config_path_within("/var/db", "/var/db/../etc/x", out,
	    sizeof(out)) == -1 && config_path_within("/var/../var/db",
	    "/var/db/x", out, sizeof(out)) == -1 &&
	    config_path_within("var/db", "var/db/x", out, sizeof(out)) == -1);
	CHECK("path within: output too small",
	    config_path_within("/a", "/a/bcde", small, sizeof(small)) == -1);
}

static void	 test_database_uri(void);

static void
test_permissions(void)
{
	char	 text[PATH_MAX + 64];

	(void)tmp_file("secret", "s3cr3t", 0644);
	(void)snprintf(text, sizeof(text), "keyd { secret %s/secret }\n",
	    tmpdir);
	CHECK("secret readable by others refused",
	    parse_text(text) == NULL && nerrors == 1 &&
	    strstr(errbuf, "secret") != NULL &&
	    strstr(errbuf, "readable or writable by group or others") != NULL);
	(void)tmp_file("secret", "s3cr3t", 0600);
	CHECK("secret of mode 0600 accepted", parses(text));
	(void)snprintf(text, sizeof(text), "keyd { secret %s }\n", tmpdir);
	CHECK("secret not a regular file refused",
	    parse_text(text) == NULL && nerrors == 1 &&
	    strstr(errbuf, "not a regular file") != NULL);

	(void)strlcpy(text, tmp_file("gw-main.conf", "\n", 0620),
	    sizeof(text));
	CHECK("group-writable config refused",
	    parse_path(text) == NULL && nerrors == 1 &&
	    strstr(errbuf, "file is writable by group or others") != NULL &&
	    strstr(errbuf, "gw-main.conf") != NULL);
	(void)strlcpy(text, tmp_file("ow-main.conf", "\n", 0602),
	    sizeof(text));
	CHECK("world-writable config refused", parse_path(text) == NULL);
	path_in_tmp(text, sizeof(text), "nosuch.conf");
	CHECK("missing config file", parse_path(text) == NULL &&
	    nerrors == 1 && strstr(errbuf, "No such file") != NULL);
	CHECK("database outside the keyd chroot",
	    parse_text("keyd {\nchroot /srv/k\ndatabase /srv/kk/c.db\n}\n") ==
	    NULL && nerrors == 1 && strstr(errbuf, "not inside") != NULL);
	test_database_uri();
}

/* A PostgreSQL URI in place of the SQLite path (several hosts). */
static void
test_database_uri(void)
{
	struct tokend_config	*conf;

	conf = parse_text("keyd { database "
	    "\"postgresql://tokend@192.0.2.1:5432/tokend?sslmode=require\" }\n");
	CHECK("database: a postgresql:// URI, outside any chroot",
	    conf != NULL && CONF_DATABASE_PG(conf->database) &&
	    strcmp(conf->database, "postgresql://tokend@192.0.2.1:5432/"
	    "tokend?sslmode=require") == 0);
	config_free(conf);
	CHECK("database: a postgres:// URI",
	    parses("keyd { database \"postgres://192.0.2.1/t\" }\n"));
	CHECK("database: a URI with white space refused",
	    parse_text("keyd { database \"postgresql://a b/t\" }\n") ==
	    NULL && nerrors == 1 && strstr(errbuf, "white space") != NULL);
	CHECK("database: neither a URI nor a full path refused",
	    parse_text("keyd { database \"mysql://x/y\" }\n") == NULL &&
	    nerrors == 1 && strstr(errbuf, "not absolute") != NULL);
}

static struct tokend_config *
json_variant(const char *json, const char *key, json_t *value)
{
	struct tokend_config	*conf;
	json_t			*root;
	char			*text;

	if ((root = json_loads(json, 0, NULL)) == NULL)
		fatalx("json_loads");
	if (value == NULL)
		(void)json_object_del(root, key);
	else
		(void)json_object_set_new(root, key, value);
	if ((text = json_dumps(root, JSON_COMPACT)) == NULL)
		fatalx("json_dumps");
	conf = config_from_json(text, strlen(text));
	free(text);
	json_decref(root);
	return conf;
}

static int
json_rejects(const char *json, const char *key, json_t *value)
{
	struct tokend_config	*conf;

	if ((conf = json_variant(json, key, value)) == NULL)
		return 1;
	config_free(conf);
	return 0;
}

static json_t *
listen_json(const char *address, int port)
{
	return json_pack("[{s:s, s:s, s:i}]", "host", "h", "address",
	    address, "port", port);
}

static void
test_json(void)
{
	struct tokend_config	*conf, *copy;
	json_t			*many;
	char			*json, *json2, longstr[PATH_MAX + 2];
	int			 i;

	if ((conf = parse_text(full_conf)) == NULL ||
	    (json = config_to_json(conf)) == NULL)
		fatalx("test_json");
	copy = config_from_json(json, strlen(json));
	json2 = copy != NULL ? config_to_json(copy) : NULL;
	CHECK("JSON round trip gives an identical config",
	    copy != NULL && config_equal(conf, copy) && json2 != NULL &&
	    strcmp(json, json2) == 0);
	free(json2);
	config_free(copy);

	CHECK("from_json: valid before changes",
	    (copy = json_variant(json, "prefork", json_integer(2))) != NULL &&
	    copy->prefork == 2);
	config_free(copy);
	CHECK("from_json rejects an unknown key",
	    json_rejects(json, "bogus", json_integer(1)));
	CHECK("from_json rejects a missing key",
	    json_rejects(json, "secret", NULL) &&
	    json_rejects(json, "listen", NULL));
	CHECK("from_json rejects a wrong type",
	    json_rejects(json, "prefork", json_string("4")) &&
	    json_rejects(json, "server_user", json_integer(1)) &&
	    json_rejects(json, "header_max", json_real(8192.0)));
	memset(longstr, 'a', sizeof(longstr) - 1);
	longstr[0] = '/';
	longstr[sizeof(longstr) - 1] = '\0';
	CHECK("from_json rejects a string that does not fit",
	    json_rejects(json, "secret", json_string(longstr)) &&
	    json_rejects(json, "keyd_user", json_string("a23456789012345678901"
	    "234567890123456789012345678901234567890123456789")));
	CHECK("from_json rejects invalid values",
	    json_rejects(json, "database", json_string("relative")) &&
	    json_rejects(json, "connections", json_integer(15)) &&
	    json_rejects(json, "body_max", json_integer(1LL << 40)));
	CHECK("from_json rejects a bad address",
	    json_rejects(json, "listen", listen_json("localhost", 80)) &&
	    json_rejects(json, "listen", listen_json("1.2.3.256", 80)) &&
	    json_rejects(json, "listen", listen_json("::1", 65536)));
	many = json_array();
	for (i = 0; i <= CONF_LISTEN_MAX; i++)
		(void)json_array_append_new(many, json_pack("{s:s, s:s, s:i}",
		    "host", "h", "address", "127.0.0.1", "port", i + 1));
	CHECK("from_json rejects too many listen addresses",
	    json_rejects(json, "listen", many));
	CHECK("JSON holds the auth, password and cookie settings",
	    strstr(json, "\"refresh_ttl\":1209600000") != NULL &&
	    strstr(json, "\"hash_threads\":3") != NULL &&
	    strstr(json, "\"refresh_cookie_secure\":true") != NULL &&
	    strstr(json, "\"session_cookie_secure\":false") != NULL &&
	    strstr(json, "\"refresh_cookie_samesite\":\"None\"") != NULL &&
	    strstr(json, "\"session_cookie_domain\":\"\"") != NULL);
	CHECK("from_json: a duration beyond 32 bits",
	    (copy = json_variant(json, "session_ttl",
	    json_integer(CONF_SESSION_TTL_HI))) != NULL &&
	    copy->session_ttl == CONF_SESSION_TTL_HI);
	config_free(copy);
	CHECK("from_json rejects an access_ttl out of range",
	    json_rejects(json, "access_ttl",
	    json_integer(CONF_ACCESS_TTL_LO - 1)) &&
	    json_rejects(json, "access_ttl",
	    json_integer(CONF_ACCESS_TTL_HI + 1)) &&
	    json_rejects(json, "access_ttl", json_string("15m")));
	CHECK("from_json rejects other auth and password values",
	    json_rejects(json, "login_attempts", json_integer(-1)) &&
	    json_rejects(json, "hash_threads", json_integer(0)) &&
	    json_rejects(json, "hash_memory", json_integer(1023)));
	CHECK("from_json wants booleans for secure",
	    json_rejects(json, "session_cookie_secure", json_integer(0)) &&
	    (copy = json_variant(json, "session_cookie_secure",
	    json_true())) != NULL && copy->session_cookie_secure == 1);
	config_free(copy);
	CHECK("from_json rejects bad cookie values",
	    json_rejects(json, "session_cookie_samesite", json_string("lax")) &&
	    json_rejects(json, "refresh_cookie", json_string("a b")) &&
	    json_rejects(json, "refresh_cookie", json_string("")) &&
	    json_rejects(json, "refresh_cookie_domain", json_string("a;b")));
	CHECK("from_json rejects inconsistent cookies",
	    json_rejects(json, "refresh_cookie",
	    json_string("A-z0.9_!#$%&'*+^`|~")) &&
	    json_rejects(json, "refresh_cookie_secure", json_false()));
	CHECK("from_json rejects junk", config_from_json("{\"a\"", 4) == NULL &&
	    config_from_json(json, strlen(json) - 1) == NULL &&
	    config_from_json("[]", 2) == NULL);
	free(json);
	config_free(conf);
}

static void
test_restart(void)
{
	struct tokend_config	*a, *b;
	char			 why[64];

	a = parse_text(full_conf);
	b = parse_text(full_conf);
	if (a == NULL || b == NULL)
		fatalx("test_restart");
	b->header_max = 4096;
	b->connections = 100;
	b->keyd_timeout = 500;
	CHECK("restart not needed for limits and timeouts",
	    config_restart_needed(a, b, why, sizeof(why)) == 0);
	b->access_ttl = 60000;
	b->refresh_ttl = 60000;
	b->session_ttl = 60000;
	b->session_grace = 0;
	b->login_stall = 0;
	b->login_attempts = 1;
	b->hash_memory = 1024;
	b->hash_iterations = 1;
	b->hash_parallelism = 1;
	(void)strlcpy(b->refresh_cookie, "r", sizeof(b->refresh_cookie));
	(void)strlcpy(b->session_cookie, "s", sizeof(b->session_cookie));
	b->refresh_cookie_secure = 0;
	b->session_cookie_secure = 1;
	(void)strlcpy(b->refresh_cookie_samesite, "Lax",
	    sizeof(b->refresh_cookie_samesite));
	(void)strlcpy(b->session_cookie_domain, "example.net",
	    sizeof(b->session_cookie_domain));
	(void)strlcpy(b->public_url, "https://auth.example",
	    sizeof(b->public_url));
	CHECK("restart not needed for auth, hash parameters and cookies",
	    config_restart_needed(a, b, why, sizeof(why)) == 0);
	b->hash_threads = a->hash_threads + 1;
	CHECK("restart needed for the password threads",
	    config_restart_needed(a, b, why, sizeof(why)) == 1 &&
	    strcmp(why, "password threads") == 0);
	b->hash_threads = a->hash_threads;
	b->hash_queue = a->hash_queue + 1;
	CHECK("restart needed for the password queue",
	    config_restart_needed(a, b, why, sizeof(why)) == 1 &&
	    strcmp(why, "password queue") == 0);
	b->hash_queue = a->hash_queue;
	(void)strlcpy(b->keyd_user, "other", sizeof(b->keyd_user));
	CHECK("restart needed for the keyd user",
	    config_restart_needed(a, b, why, sizeof(why)) == 1 &&
	    strcmp(why, "keyd user") == 0);
	config_free(b);
	b = parse_text("listen on 127.0.0.1 port 8443\nlisten on ::1\n");
	CHECK("restart needed for the listen addresses",
	    b != NULL && config_restart_needed(a, b, why, sizeof(why)) == 1 &&
	    strcmp(why, "listen") == 0);
	config_free(a);
	config_free(b);
}

static const char data_conf[] =
    "chroot \"/srv/tokend\"\n"
    "items \"/srv/tokend/data/items.db\"\n"
    "limits { query-limit 500 }\n"
    "collection \"articles\" {\n"
    "\tprimary-key integer\n"
    "\tfields \"title\" \"body\" \"status\" \"author\"\n"
    "}\n"
    "collection notes { primary-key uuid; field owner references "
    "directus_users; field \"article\" references \"articles\" }\n"
    "collection tags\n"
    "role \"editor\" {\n"
    "\tid \"5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60\"\n"
    "\tadmin-access no\n"
    "\tapp-access yes\n"
    "\tpermission \"articles\" create read update {\n"
    "\t\tfields \"*\"\n"
    "\t\tfilter '{ \"author\" : {\"_eq\": \"$CURRENT_USER\"} }'\n"
    "\t\tvalidation '{\"title\":{\"_nnull\":true}}'\n"
    "\t\tpresets '{\"status\":\"draft\",\"body\":null}'\n"
    "\t}\n"
    "\tpermission \"articles\" delete { filter "
    "'{\"author\":{\"_eq\":\"$CURRENT_USER\"}}' }\n"
    "\tpermission \"directus_users\" read { fields id email first_name }\n"
    "\tpermission notes read\n"
    "}\n"
    "role boss { id \"5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f61\"; "
    "admin-access yes }\n"
    "public {\n"
    "\tpermission \"articles\" read {\n"
    "\t\tfields title body\n"
    "\t\tfields status\n"
    "\t\tfilter '{\"status\":{\"_eq\":\"published\"}}'\n"
    "\t}\n"
    "}\n";

static struct conf_permission_list no_perms =
    TAILQ_HEAD_INITIALIZER(no_perms);

/* The permissions of a role's own lines. */
static struct conf_permission_list *
own_perms(const struct conf_role *r)
{
	return r->own != NULL ? &r->own->perms : &no_perms;
}

static int
role_admin(const struct conf_role *r)
{
	int	 admin, app, tfa;

	config_role_access(NULL, r, &admin, &app, &tfa);	/* no parent */
	return admin;
}

static int
role_app(const struct conf_role *r)
{
	int	 admin, app, tfa;

	config_role_access(NULL, r, &admin, &app, &tfa);	/* no parent */
	return app;
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

static int
fields_are(const struct conf_fields *f, const char *names)
{
	char	 buf[1024] = "";
	size_t	 i;

	if (f->all)
		return strcmp(names, "*") == 0;
	for (i = 0; i < f->n; i++) {
		if (i > 0)
			(void)strlcat(buf, " ", sizeof(buf));
		(void)strlcat(buf, f->names[i], sizeof(buf));
	}
	return strcmp(buf, names) == 0;
}

static int
text_is(const char *text, const char *want)
{
	if (text == NULL || want == NULL)
		return text == want;
	return strcmp(text, want) == 0;
}

static void
test_data(void)
{
	struct tokend_config		*conf;
	const struct conf_collection	*c;
	const struct conf_role		*r;
	const struct conf_permission	*p;

	conf = parse_text(data_conf);
	CHECK("data: the example parses", conf != NULL);
	CHECK("data: filters on id and in the users collection",
	    parses("collection a { fields b }\npublic {\npermission a read "
	    "{ filter '{\"_or\":[{\"id\":{\"_in\":[1,2]}},{\"b\":"
	    "{\"_null\":true}}]}' }\npermission directus_users read { filter "
	    "'{\"email\":{\"_ends_with\":\"@example.com\"}}' }\n}\n"));
	if (conf == NULL)
		return;
	CHECK("data: items and query-limit",
	    strcmp(conf->items, "/srv/tokend/data/items.db") == 0 &&
	    conf->query_limit == 500);
	c = config_collection(conf, "articles");
	CHECK("data: collection with declared fields",
	    collection_count(conf) == 3 && c != NULL && c->pk_uuid == 0 &&
	    fields_are(&c->fields, "title body status author") &&
	    config_fields_has(&c->fields, "status") &&
	    !config_fields_has(&c->fields, "id"));
	c = config_collection(conf, "notes");
	CHECK("data: collection with a uuid key, schemaless",
	    c != NULL && c->pk_uuid == 1 && c->fields.all &&
	    config_fields_has(&c->fields, "anything"));
	c = config_collection(conf, "tags");
	CHECK("data: collection without a block",
	    c != NULL && c->pk_uuid == 0 && c->fields.all);
	CHECK("data: unknown collection", config_collection(conf, "nope") ==
	    NULL && config_collection(conf, "directus_users") == NULL);

	r = config_role_by_name(conf, "editor");
	CHECK("data: role by name and by id", r != NULL &&
	    config_role_by_id(conf, "5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60") ==
	    r && role_admin(r) == 0 && role_app(r) == 1);
	CHECK("data: the built-in admin role is not a configured one",
	    config_role_by_id(conf, CONF_ADMIN_ROLE_ID) == NULL &&
	    config_role_by_name(conf, "admin") == NULL);
	if (r == NULL)
		goto done;
	p = config_permission(own_perms(r), "articles", PERM_UPDATE);
	CHECK("data: permission with every statement, JSON canonical",
	    p != NULL && p->actions == (PERM_CREATE | PERM_READ |
	    PERM_UPDATE) && p->fields.all &&
	    text_is(p->filter, "{\"author\":{\"_eq\":\"$CURRENT_USER\"}}") &&
	    text_is(p->validation, "{\"title\":{\"_nnull\":true}}") &&
	    text_is(p->presets, "{\"status\":\"draft\",\"body\":null}"));
	p = config_permission(own_perms(r), "articles", PERM_DELETE);
	CHECK("data: one-line permission block", p != NULL &&
	    p->actions == PERM_DELETE && p->fields.all &&
	    p->validation == NULL && p->presets == NULL &&
	    text_is(p->filter, "{\"author\":{\"_eq\":\"$CURRENT_USER\"}}"));
	p = config_permission(own_perms(r), "directus_users", PERM_READ);
	CHECK("data: users permission, keywords as bare names",
	    p != NULL && fields_are(&p->fields, "id email first_name") &&
	    config_permission(own_perms(r), "directus_users", PERM_UPDATE) ==
	    NULL);
	p = config_permission(own_perms(r), "notes", PERM_READ);
	CHECK("data: permission without a block: every field, no filter",
	    p != NULL && p->fields.all && p->filter == NULL);
	r = config_role_by_name(conf, "boss");
	CHECK("data: admin-access, app-access default no",
	    r != NULL && role_admin(r) == 1 && role_app(r) == 0 &&
	    TAILQ_EMPTY(own_perms(r)));
	p = config_permission(&conf->public_policy->perms, "articles",
	    PERM_READ);
	CHECK("data: public permission, fields over two statements",
	    p != NULL && fields_are(&p->fields, "title body status") &&
	    text_is(p->filter, "{\"status\":{\"_eq\":\"published\"}}") &&
	    config_permission(&conf->public_policy->perms, "articles",
	    PERM_CREATE) == NULL);
 done:
	config_free(conf);

	conf = parse_text("\n");
	CHECK("data: defaults", conf != NULL &&
	    strcmp(conf->items, CONF_ITEMS) == 0 &&
	    conf->query_limit == CONF_QUERY_LIMIT &&
	    TAILQ_EMPTY(&conf->collections) && TAILQ_EMPTY(&conf->roles) &&
	    TAILQ_EMPTY(&conf->public_policy->perms) &&
	    conf->public.n == 1 && conf->public.v[0] == conf->public_policy);
	config_free(conf);
}

#define ROLE_ID	"id 5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60\n"
#define ROLE_ID2 "id 5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f61\n"

static const struct data_case {
	const char	*name;
	const char	*text;
	int		 line;
	const char	*error;
} data_cases[] = {
	{ "query-limit too low", "limits {\nquery-limit 0\n}\n", 2,
	    "query-limit 0 is out of range (1 to 100000)" },
	{ "query-limit too high", "limits { query-limit 100001 }\n", 1,
	    "out of range" },
	{ "items relative", "items data/items.db\n", 1, "not absolute" },
	{ "collection reserved", "\ncollection directus_x\n", 2,
	    "starting with directus_ are reserved" },
	{ "collection bad name", "collection \"Art\"\n", 1,
	    "invalid collection name" },
	{ "collection name with a digit first", "collection \"1a\"\n", 1,
	    "invalid collection name" },
	{ "collection name too long", "collection "
	    "a234567890123456789012345678901234567890123456789012345678901234"
	    "\n", 1, "invalid collection name" },
	{ "collection twice", "collection a\ncollection a { fields b }\n", 2,
	    "collection declared twice" },
	{ "collection declares id", "collection a {\nfields b id\n}\n", 2,
	    "field \"id\": \"id\" is the primary key" },
	{ "collection fields *", "collection a { fields \"*\" }\n", 1,
	    "\"*\" is not a field name" },
	{ "collection field twice", "collection a {\nfields b\nfields b\n}\n",
	    3, "field \"b\": field named twice" },
	{ "collection bad field", "collection a { fields \"B\" }\n", 1,
	    "invalid field name" },
	{ "collection bad primary key", "collection a {\nprimary-key text\n}\n",
	    2, "primary-key \"text\" is neither integer nor uuid" },
	{ "unknown keyword in a collection", "collection a {\nbogus 1\n}\n",
	    2, "unknown keyword \"bogus\"" },
	{ "role admin", "role admin {\nid "
	    "5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60\n}\n", 1,
	    "\"admin\" is the built-in administrator role" },
	{ "role bad name", "role \"Editor\" { " ROLE_ID " }\n", 1,
	    "invalid role name" },
	{ "role twice", "role a {\n" ROLE_ID "}\nrole a {\n" ROLE_ID2 "}\n", 4,
	    "role declared twice" },
	{ "role without id", "\nrole a {\napp-access yes\n}\n", 2,
	    "role \"a\": missing id" },
	{ "role id uppercase", "role a {\n"
	    "id 5A3C0F8E-2B1D-4C6E-9F7A-1B2C3D4E5F60\n}\n", 2,
	    "id is not a lowercase uuid" },
	{ "role id not a uuid", "role a { id 5a3c0f8e }\n", 1,
	    "id is not a lowercase uuid" },
	{ "role id of the admin role", "role a {\n"
	    "id a0000000-0000-4000-8000-000000000001\n}\n", 2,
	    "built-in administrator role's" },
	{ "role id used twice", "role a {\n" ROLE_ID "}\nrole b {\n" ROLE_ID
	    "}\n", 5, "id already used by another role" },
	{ "role id given twice", "role a {\n" ROLE_ID ROLE_ID2 "}\n", 3,
	    "id given twice" },
	{ "role app-access not yes or no", "role a {\n" ROLE_ID
	    "app-access maybe\n}\n", 3, "app-access: \"maybe\" is neither yes "
	    "nor no" },
	{ "role admin-access not yes or no", "role a {\n" ROLE_ID
	    "admin-access 1\n}\n", 3, "neither yes nor no" },
	{ "permission on an unknown collection", "role a {\n" ROLE_ID
	    "permission nope read\n}\n", 3, "permission \"nope\": no such "
	    "collection declared before it" },
	{ "permission before its collection", "public {\n"
	    "permission a read\n}\ncollection a\n", 2,
	    "no such collection declared before it" },
	{ "permission on a reserved collection", "collection a\npublic {\n"
	    "permission directus_roles read\n}\n", 3,
	    "no such collection declared before it" },
	{ "permission unknown action", "collection a\npublic {\n"
	    "permission a read write\n}\n", 3,
	    "unknown action \"write\"" },
	{ "permission action twice", "collection a\npublic {\n"
	    "permission a read read\n}\n", 3, "action \"read\" given twice" },
	{ "permission without action", "collection a\npublic {\n"
	    "permission a { fields b }\n}\n", 3, "no action" },
	{ "permission twice for an action", "collection a\nrole r {\n" ROLE_ID
	    "permission a read update\npermission a create update\n}\n", 5,
	    "a permission for this collection and action is already given" },
	{ "public permission twice", "collection a\npublic {\n"
	    "permission a delete\npermission a delete\n}\n", 4,
	    "already given" },
	{ "permission on an undeclared field", "collection a { fields b }\n"
	    "public {\npermission a read {\nfields b c\n}\n}\n", 4,
	    "field \"c\": the collection has no such field" },
	{ "permission on the users collection, bad name",
	    "public { permission directus_users read { fields \"A\" } }\n",
	    1, "invalid field name" },
	{ "permission fields * and more", "collection a\npublic {\n"
	    "permission a read { fields \"*\" b }\n}\n", 3,
	    "\"*\" must be the only field" },
	{ "permission field twice", "collection a\npublic {\n"
	    "permission a read { fields b b }\n}\n", 3,
	    "field named twice" },
	{ "filter not JSON", "collection a\npublic {\n"
	    "permission a read { filter '{\"b\":' }\n}\n", 3,
	    "filter: invalid JSON" },
	{ "filter not an object", "collection a\npublic {\n"
	    "permission a read { filter '[1]' }\n}\n", 3,
	    "filter: not a JSON object" },
	{ "filter with a duplicate key", "collection a\npublic {\n"
	    "permission a read { filter '{\"b\":1,\"b\":2}' }\n}\n", 3,
	    "filter: invalid JSON" },
	{ "filter with an unknown operator", "collection a\npublic {\n"
	    "permission a read { filter '{\"b\":{\"_like\":1}}' }\n}\n", 3,
	    "filter: \"filter.b\" uses an unknown operator" },
	{ "filter on an undeclared field", "collection a { fields b }\n"
	    "public {\npermission a read { filter '{\"c\":{\"_eq\":1}}' }\n"
	    "}\n", 3, "filter: \"c\" is not a field of the collection" },
	{ "validation on an undeclared field", "collection a { fields b }\n"
	    "public {\npermission a create {\nvalidation "
	    "'{\"_and\":[{\"b\":{\"_null\":false}},{\"d\":{\"_nnull\":true}}]}'"
	    "\n}\n}\n", 4, "validation: \"d\" is not a field" },
	{ "filter nested too deep", "collection a\npublic {\n"
	    "permission a read { filter '{\"_and\":[{\"_and\":[{\"_and\":["
	    "{\"_and\":[{\"_and\":[{\"_and\":[{\"_and\":[{\"_and\":["
	    "{\"_and\":[{\"b\":{\"_eq\":1}}]}]}]}]}]}]}]}]}]}' }\n}\n", 3,
	    "nested deeper than" },
	{ "filter twice", "collection a\npublic {\n"
	    "permission a read {\nfilter '{}'\nfilter '{}'\n}\n}\n", 5,
	    "filter given twice" },
	{ "filter on create", "collection a\npublic {\n"
	    "permission a create { filter '{}' }\n}\n", 3,
	    "filter does not apply to create" },
	{ "validation on read", "collection a\npublic {\n"
	    "permission a read delete { validation '{}' }\n}\n", 3,
	    "validation applies to create and update only" },
	{ "presets on delete", "collection a\npublic {\n"
	    "permission a delete { presets '{}' }\n}\n", 3,
	    "presets applies to create and update only" },
	{ "presets not an object", "collection a\npublic {\n"
	    "permission a create { presets '[1]' }\n}\n", 3,
	    "presets: not a JSON object" },
	{ "presets not JSON", "collection a\npublic {\n"
	    "permission a create { presets '\"x\"' }\n}\n", 3,
	    "presets: invalid JSON" },
	{ "presets with an object value", "collection a\npublic {\n"
	    "permission a create { presets '{\"b\":{\"c\":1}}' }\n}\n", 3,
	    "the value of \"b\" is not a string, number, boolean or null" },
	{ "presets with an array value", "collection a\npublic {\n"
	    "permission a update { presets '{\"b\":[]}' }\n}\n", 3,
	    "the value of \"b\"" },
	{ "presets on an undeclared field", "collection a { fields b }\n"
	    "public {\npermission a create { presets '{\"c\":1}' }\n}\n", 3,
	    "\"c\" is not a field of the collection" },
	{ "presets on id", "collection a\npublic {\n"
	    "permission a create { presets '{\"id\":1}' }\n}\n", 3,
	    "\"id\" is not a field" },
	{ "unknown keyword in a permission", "collection a\npublic {\n"
	    "permission a read {\nbogus 1\n}\n}\n", 4,
	    "unknown keyword \"bogus\"" },
	{ "id outside a role", "public {\nid " ROLE_ID "}\n", 2,
	    "\"id\" is not allowed here" },
	{ "policy without id", "\npolicy p {\napp-access yes\n}\n", 2,
	    "policy \"p\": missing id" },
	{ "policy bad name", "policy \"P q\" { " ROLE_ID " }\n", 1,
	    "invalid policy name" },
	{ "policy twice", "policy p {\n" ROLE_ID "}\npolicy p {\n" ROLE_ID2
	    "}\n", 4, "policy declared twice" },
	{ "policy id used twice", "policy p {\n" ROLE_ID "}\npolicy q {\n"
	    ROLE_ID "}\n", 5, "id already used by another policy" },
	{ "policy with the public policy's id", "policy p {\nid "
	    CONF_PUBLIC_POLICY_ID "\n}\n", 2, "id is the public policy's" },
	{ "policy ip-allow with host bits", "policy p {\n" ROLE_ID
	    "ip-allow 10.0.0.0/8 \"10.1.0.1/8\"\n}\n", 3,
	    "ip-allow \"10.1.0.1/8\": not an address or network" },
	{ "policy ip-allow not an address", "policy p {\n" ROLE_ID
	    "ip-allow nowhere\n}\n", 3, "not an address or network" },
	{ "policy with a policy line", "policy p {\n" ROLE_ID
	    "policy q\n}\n", 3, "\"policy\" is not allowed here" },
	{ "unknown policy in a role", "role a {\n" ROLE_ID "policy nope\n}\n",
	    3, "role \"a\": policy \"nope\": no such policy declared before "
	    "it" },
	{ "policy named twice in a role", "policy p { " ROLE_ID2 " }\nrole a "
	    "{\n" ROLE_ID "policy p\npolicy p\n}\n", 6, "policy named twice" },
	{ "a role's own policy takes a policy's name", "policy a { " ROLE_ID2
	    " }\nrole a {\n" ROLE_ID "app-access yes\n}\n", 5,
	    "a policy of this name is declared: a role with lines of its "
	    "own" },
	{ "a role's own policy id used by a policy", "policy p {\nid "
	    "2fbf63ee-5f58-5333-9351-a40066a16b8e\n}\nrole a {\nid "
	    "5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60\napp-access yes\n}\n", 4,
	    "its own policy: id already used by another policy" },
	{ "unknown policy in public", "public {\npolicy nope\n}\n", 2,
	    "public: policy \"nope\": no such policy declared before it" },
	{ "admin-access in public", "public {\nadmin-access yes\n}\n", 2,
	    "\"admin-access\" is not allowed here" },
};

/*
 * Policies: the role's own lines as its own policy (first, with an id
 * derived from the role's), named policies, the public policy and
 * ip-allow.
 */
static void
test_policies(void)
{
	struct tokend_config		*conf, *copy;
	const struct conf_policy	*p, *own;
	const struct conf_role		*r;
	struct cidr			 a;
	char				*json, *json2;

	conf = parse_text("collection articles { fields title body }\n"
	    "policy readers {\n\tid 11111111-2222-4333-8444-555555555555\n"
	    "\tpermission articles read { fields title }\n}\n"
	    "policy office {\n\tid 11111111-2222-4333-8444-555555555556\n"
	    "\tadmin-access yes\n\tenforce-tfa yes\n"
	    "\tip-allow 10.0.0.0/8 \"192.168.1.0/24\"\n\tip-allow ::1\n}\n"
	    "role editor {\n\tpolicy readers\n\tpolicy office\n"
	    "\tid 5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60\n\tapp-access yes\n"
	    "\tpermission articles update\n}\n"
	    "role reader { id 5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f61; "
	    "policy readers }\n"
	    "public {\n\tpermission articles read { fields body }\n"
	    "\tpolicy readers\n}\n");
	if (conf == NULL) {
		CHECK("policies: the configuration parses", 0);
		return;
	}
	p = config_policy_by_name(conf, "readers");
	CHECK("policies: by name and by id", p != NULL &&
	    p->kind == CONF_POLICY_CONFIGURED && config_policy_by_id(conf,
	    "11111111-2222-4333-8444-555555555555") == p &&
	    config_permission(&p->perms, "articles", PERM_READ) != NULL &&
	    config_policy_by_name(conf, "nope") == NULL &&
	    config_policy_by_id(conf, "5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60") ==
	    NULL);
	r = config_role_by_name(conf, "editor");
	own = r != NULL ? r->own : NULL;
	CHECK("policies: a role's own lines make its own policy, first",
	    own != NULL && own->kind == CONF_POLICY_ROLE &&
	    strcmp(own->name, "editor") == 0 && own->app == 1 &&
	    own->admin == 0 && config_permission(&own->perms, "articles",
	    PERM_UPDATE) != NULL && r->policies.n == 3 &&
	    r->policies.v[0] == own && r->policies.v[1] == p &&
	    strcmp(r->policies.v[2]->name, "office") == 0);
	CHECK("policies: the own policy's id comes from the role's",
	    own != NULL && strcmp(own->id,
	    "2fbf63ee-5f58-5333-9351-a40066a16b8e") == 0 &&
	    config_policy_by_id(conf, own->id) == own &&
	    config_policy_by_name(conf, "editor") == own);
	r = config_role_by_name(conf, "reader");
	CHECK("policies: a role without lines of its own has no own policy",
	    r != NULL && r->own == NULL && r->policies.n == 1 &&
	    r->policies.v[0] == p && role_admin(r) == 0 && role_app(r) == 0);
	CHECK("policies: any policy's admin-access gives the role admin",
	    (r = config_role_by_name(conf, "editor")) != NULL &&
	    role_admin(r) == 1 && role_app(r) == 1);
	CHECK("policies: the public policy, Directus's id, and the named "
	    "ones", conf->public_policy != NULL &&
	    conf->public_policy->kind == CONF_POLICY_PUBLIC &&
	    strcmp(conf->public_policy->id, CONF_PUBLIC_POLICY_ID) == 0 &&
	    config_policy_by_id(conf, CONF_PUBLIC_POLICY_ID) ==
	    conf->public_policy && conf->public.n == 2 &&
	    conf->public.v[0] == conf->public_policy &&
	    conf->public.v[1] == p && config_permission(
	    &conf->public_policy->perms, "articles", PERM_READ) != NULL);
	p = config_policy_by_name(conf, "office");
	CHECK("policies: ip-allow over two lines", p != NULL &&
	    p->admin == 1 && p->enforce_tfa == 1 && p->nip == 3 &&
	    strcmp(p->ip_allow, "10.0.0.0/8 192.168.1.0/24 ::1") == 0);
	CHECK("policies: ip-allow applies to the networks it lists",
	    p != NULL && cidr_addr_parse("10.1.2.3", 8, &a) == 0 &&
	    config_policy_ip_applies(p, &a) &&
	    cidr_addr_parse("::1", 3, &a) == 0 &&
	    config_policy_ip_applies(p, &a) &&
	    cidr_addr_parse("192.168.2.1", 11, &a) == 0 &&
	    !config_policy_ip_applies(p, &a) &&
	    !config_policy_ip_applies(p, NULL) &&
	    config_policy_ip_applies(config_policy_by_name(conf, "readers"),
	    NULL));
	json = config_to_json(conf);
	copy = json != NULL ? config_from_json(json, strlen(json)) : NULL;
	json2 = copy != NULL ? config_to_json(copy) : NULL;
	CHECK("policies: the JSON round trip gives the same JSON",
	    json2 != NULL && strcmp(json, json2) == 0);
	CHECK("policies: the JSON round trip gives the same policies",
	    copy != NULL && (r = config_role_by_name(copy, "editor")) !=
	    NULL && r->own != NULL && r->policies.v[0] == r->own &&
	    strcmp(r->own->id, "2fbf63ee-5f58-5333-9351-a40066a16b8e") == 0 &&
	    r->policies.n == 3 && role_admin(r) == 1 &&
	    (p = config_policy_by_name(copy, "office")) != NULL &&
	    p->nip == 3 && copy->public.n == 2 &&
	    copy->public.v[0] == copy->public_policy &&
	    copy->public.v[1] == config_policy_by_name(copy, "readers"));
	free(json);
	free(json2);
	config_free(copy);
	config_free(conf);
}

static void
test_data_errors(void)
{
	const struct data_case	*dc;
	char			 name[128];
	size_t			 i;

	for (i = 0; i < sizeof(data_cases) / sizeof(data_cases[0]); i++) {
		dc = &data_cases[i];
		(void)snprintf(name, sizeof(name), "data error: %s", dc->name);
		CHECK(name, fails_with(dc->text, dc->line, dc->error));
	}
}

static void
test_data_all_errors(void)
{
	struct tokend_config	*conf;

	conf = parse_text("collection a { fields b c }\n"
	    "collection directus_a\n"
	    "role r {\n"
	    "\tpermission a read {\n"
	    "\t\tfields d\n"
	    "\t\tfilter '[]'\n"
	    "\t}\n"
	    "\tpermission a read\n"
	    "}\n"
	    "public { permission b read }\n"
	    "role admin { permission a create { presets '{\"x\":1}' } }\n");
	CHECK("data: all errors are reported, each with its line",
	    conf == NULL && nerrors == 8 &&
	    logged(lastpath, 2, "directus_a") &&
	    logged(lastpath, 3, "missing id") &&
	    logged(lastpath, 5, "field \"d\"") &&
	    logged(lastpath, 6, "not a JSON object") &&
	    logged(lastpath, 8, "already given") &&
	    logged(lastpath, 10, "permission \"b\"") &&
	    logged(lastpath, 11, "built-in administrator role") &&
	    logged(lastpath, 11, "\"x\" is not a field"));
	config_free(conf);
}

/* A config with n collections or roles, each on its own line. */
static char *
data_many(const char *kind, int n)
{
	char	*text, *p;
	size_t	 len;
	int	 i;

	len = (size_t)n * 96 + 1;
	if ((text = calloc(1, len)) == NULL)
		fatal("calloc");
	for (p = text, i = 0; i < n; i++)
		p += snprintf(p, len - (p - text), strcmp(kind, "role") == 0 ?
		    "role r%d { id 00000000-0000-4000-8000-%012d }\n" :
		    "collection c%d\n", i, i);
	return text;
}

static void
test_data_bounds(void)
{
	char	*text, fields[CONF_FIELDS_MAX * 8 + 64];
	size_t	 i;
	int	 n;

	text = data_many("collection", CONF_COLLECTIONS_MAX);
	CHECK("data: the most collections", parses(text));
	free(text);
	text = data_many("collection", CONF_COLLECTIONS_MAX + 1);
	CHECK("data: too many collections", fails_with(text,
	    CONF_COLLECTIONS_MAX + 1, "too many collections"));
	free(text);
	text = data_many("role", CONF_ROLES_MAX);
	CHECK("data: the most roles", parses(text));
	free(text);
	text = data_many("role", CONF_ROLES_MAX + 1);
	CHECK("data: too many roles", fails_with(text, CONF_ROLES_MAX + 1,
	    "too many roles"));
	free(text);

	n = snprintf(fields, sizeof(fields), "collection a { fields");
	for (i = 0; i < CONF_FIELDS_MAX; i++)
		n += snprintf(fields + n, sizeof(fields) - n, " f%zu", i);
	(void)snprintf(fields + n, sizeof(fields) - n, " }\n");
	CHECK("data: the most fields", parses(fields));
	(void)snprintf(fields + n, sizeof(fields) - n, " g }\n");
	CHECK("data: too many fields", fails_with(fields, 1,
	    "too many fields"));
}

/* items-chroot left out is the workers' chroot, in the JSON form too. */
static void
items_chroot_default(void)
{
	struct tokend_config	*conf;
	char			*json;

	conf = parse_text("chroot /srv/t\nitems-user _items\n");
	json = conf != NULL ? config_to_json(conf) : NULL;
	CHECK("items-chroot: the workers' chroot by default",
	    conf != NULL && strcmp(conf->items_chroot, "/srv/t") == 0 &&
	    strcmp(conf->items_user, "_items") == 0 && json != NULL &&
	    strstr(json, "\"items_chroot\":\"/srv/t\"") != NULL);
	free(json);
	if (conf != NULL)
		config_free(conf);
	conf = parse_text("");
	CHECK("items-user: _tokend_items by default", conf != NULL &&
	    strcmp(conf->items_user, "_tokend_items") == 0);
	if (conf != NULL)
		config_free(conf);
}

static void
test_data_items(void)
{
	CHECK("items: anywhere without collections",
	    parses("items /elsewhere/items.db\n"));
	CHECK("items: outside the chroot with collections",
	    parse_text("chroot /srv/t\nitems /srv/u/d/items.db\n"
	    "collection a\n") == NULL && nerrors == 1 &&
	    strstr(errbuf, "items /srv/u/d/items.db is not in a directory "
	    "below the chroot /srv/t") != NULL);
	CHECK("items: directly in the chroot refused",
	    parse_text("chroot /srv/t\nitems /srv/t/items.db\n"
	    "collection a\n") == NULL && nerrors == 1 &&
	    strstr(errbuf, "not in a directory below") != NULL);
	CHECK("items: with .. refused",
	    parse_text("chroot /srv/t\nitems /srv/t/d/../../x/items.db\n"
	    "collection a\n") == NULL && nerrors == 1);
	CHECK("items: in a directory below the chroot",
	    parses("chroot /srv/t\nitems /srv/t/data/items.db\n"
	    "collection a\n"));
	CHECK("items: the defaults go together",
	    parses("chroot /var/tokend\ncollection a\n"));
	CHECK("items: below items-chroot, outside the workers' chroot",
	    parses("chroot /srv/t\nitems-chroot /srv/u\n"
	    "items /srv/u/d/items.db\ncollection a\n"));
	CHECK("items: items-chroot decides, not chroot",
	    parse_text("chroot /srv/t\nitems-chroot /srv/u\n"
	    "items /srv/t/d/items.db\ncollection a\n") == NULL &&
	    nerrors == 1 && strstr(errbuf, "items /srv/t/d/items.db is not "
	    "in a directory below the chroot /srv/u") != NULL);
	CHECK("items-chroot: relative refused",
	    parse_text("items-chroot srv/u\n") == NULL && nerrors == 1);
	CHECK("items-user: a bad name refused",
	    parse_text("items-user \"a b\"\n") == NULL && nerrors == 1);
	items_chroot_default();
}

/*
 * A configuration whose JSON form does not fit in one frame, in two
 * included files of 75 roles of 4 permissions each (a file is at most
 * CONF_FILE_MAX).
 */
static void
test_data_size(void)
{
	char	*filter, *text, path[PATH_MAX], name[32];
	size_t	 len, off;
	int	 f, i;

	len = 2000;
	if ((filter = malloc(len + 1)) == NULL)
		fatal("malloc");
	memset(filter, ' ', len);
	memcpy(filter, "{\"b\":{\"_eq\":\"", 13);
	memset(filter + 13, 'x', len - 23);
	memcpy(filter + len - 10, "\"}}", 3);
	filter[len] = '\0';
	len = 300 * (len + 128);
	if ((text = malloc(len)) == NULL)
		fatal("malloc");
	for (f = 0; f < 2; f++) {
		off = 0;
		for (i = 0; i < 75; i++)
			off += snprintf(text + off, len - off, "role r%d_%d {\n"
			    "id 00000000-0000-4000-8000-%012d\n"
			    "permission a read { filter '%s' }\n"
			    "permission b read { filter '%s' }\n"
			    "permission c read { filter '%s' }\n"
			    "permission d read { filter '%s' }\n}\n", f, i,
			    f * 1000 + i, filter, filter, filter, filter);
		(void)snprintf(name, sizeof(name), "big%d.conf", f);
		(void)tmp_file(name, text, 0600);
	}
	CHECK("data: a big config parses when it fits",
	    parses("collection a\ncollection b\ncollection c\n"
	    "collection d\ninclude big0.conf\n"));
	(void)snprintf(text, len, "collection a\ncollection b\n"
	    "collection c\ncollection d\ninclude big0.conf\n"
	    "include big1.conf\n");
	path_in_tmp(path, sizeof(path), "big.conf");
	write_file(path, text, 0600);
	CHECK("data: a config too large for one frame is refused",
	    parse_path(path) == NULL && nerrors == 1 &&
	    strstr(errbuf, "configuration too large") != NULL);
	free(text);
	free(filter);
}

static json_t *
json_walk(json_t *v, const char *path)
{
	char	 buf[128], *tok, *last;

	(void)strlcpy(buf, path, sizeof(buf));
	for (tok = strtok_r(buf, "/", &last); tok != NULL && v != NULL;
	    tok = strtok_r(NULL, "/", &last))
		v = json_is_array(v) ? json_array_get(v, strtoul(tok, NULL,
		    10)) : json_object_get(v, tok);
	return v;
}

/* The JSON with key of the object at path set to value (NULL: gone). */
static struct tokend_config *
data_variant(const char *json, const char *path, const char *key,
    json_t *value)
{
	struct tokend_config	*conf;
	json_t			*root, *obj;
	char			*text;

	if ((root = json_loads(json, 0, NULL)) == NULL ||
	    (obj = json_walk(root, path)) == NULL)
		fatalx("data_variant %s", path);
	if (value == NULL)
		(void)json_object_del(obj, key);
	else
		(void)json_object_set_new(obj, key, value);
	if ((text = json_dumps(root, JSON_COMPACT)) == NULL)
		fatalx("json_dumps");
	conf = config_from_json(text, strlen(text));
	free(text);
	json_decref(root);
	return conf;
}

static int
data_rejects(const char *json, const char *path, const char *key,
    json_t *value)
{
	struct tokend_config	*conf;

	if ((conf = data_variant(json, path, key, value)) == NULL)
		return 1;
	config_free(conf);
	return 0;
}

static void
test_data_json(void)
{
	struct tokend_config		*conf, *copy;
	const struct conf_role		*r;
	char				*json, *json2;

	if ((conf = parse_text(data_conf)) == NULL ||
	    (json = config_to_json(conf)) == NULL)
		fatalx("test_data_json");
	copy = config_from_json(json, strlen(json));
	json2 = copy != NULL ? config_to_json(copy) : NULL;
	CHECK("data JSON: round trip gives the same JSON",
	    json2 != NULL && strcmp(json, json2) == 0);
	CHECK("data JSON: round trip gives the same data", copy != NULL &&
	    (r = config_role_by_name(copy, "editor")) != NULL &&
	    role_app(r) == 1 && config_permission(own_perms(r), "articles",
	    PERM_CREATE) != NULL && text_is(config_permission(own_perms(r),
	    "articles", PERM_CREATE)->presets,
	    "{\"status\":\"draft\",\"body\":null}") &&
	    config_collection(copy, "notes") != NULL &&
	    config_collection(copy, "notes")->pk_uuid == 1 &&
	    config_collection(copy, "notes")->fields.all &&
	    text_is(config_relation(config_collection(copy, "notes"),
	    "owner"), "directus_users") &&
	    text_is(config_relation(config_collection(copy, "notes"),
	    "article"), "articles") &&
	    config_relation(config_collection(copy, "articles"),
	    "author") == NULL &&
	    copy->query_limit == 500 &&
	    strcmp(copy->items, conf->items) == 0);
	free(json2);
	config_free(copy);
	CHECK("data JSON: the documented form",
	    strstr(json, "\"items\":\"/srv/tokend/data/items.db\"") != NULL &&
	    strstr(json, "\"query_limit\":500") != NULL &&
	    strstr(json, "\"collections\":[{\"name\":\"articles\","
	    "\"primary_key\":\"integer\",\"fields\":[\"title\",\"body\","
	    "\"status\",\"author\"]}") != NULL &&
	    strstr(json, "\"relations\":[{\"field\":\"owner\","
	    "\"collection\":\"directus_users\"},{\"field\":\"article\","
	    "\"collection\":\"articles\"}]") != NULL &&
	    strstr(json, "{\"name\":\"boss\",\"id\":\"5a3c0f8e-2b1d-4c6e-"
	    "9f7a-1b2c3d4e5f61\",\"parent\":\"\",\"policies\":"
	    "[\"5a7c8cc2-c3d7-54a3-a3d4-1469532933de\"]}") != NULL &&
	    strstr(json, "{\"name\":\"boss\",\"id\":\"5a7c8cc2-c3d7-54a3-"
	    "a3d4-1469532933de\",\"kind\":\"role\",\"admin_access\":true,"
	    "\"app_access\":false,\"enforce_tfa\":false,\"ip_allow\":null,"
	    "\"permissions\":[]}") != NULL &&
	    strstr(json, "{\"name\":\"$t:public_label\",\"id\":\""
	    CONF_PUBLIC_POLICY_ID "\",\"kind\":\"public\",\"admin_access\":"
	    "false,\"app_access\":false,\"enforce_tfa\":false,\"ip_allow\":"
	    "null,\"permissions\":[{\"collection\":\"articles\",\"actions\":"
	    "[\"read\"],\"fields\":[\"title\",\"body\",\"status\"],\"filter\":"
	    "{\"status\":{\"_eq\":\"published\"}},\"validation\":null,"
	    "\"presets\":null}]}") != NULL &&
	    strstr(json, "\"public\":[\"" CONF_PUBLIC_POLICY_ID "\"]") !=
	    NULL);

	CHECK("data JSON: a valid change is taken",
	    (copy = data_variant(json, "policies/1", "app_access",
	    json_false())) != NULL &&
	    role_app(config_role_by_name(copy, "editor")) == 0);
	config_free(copy);
	CHECK("data JSON: rejects missing lists",
	    json_rejects(json, "collections", NULL) &&
	    json_rejects(json, "roles", NULL) &&
	    json_rejects(json, "policies", NULL) &&
	    json_rejects(json, "public", NULL) &&
	    json_rejects(json, "public", json_object()) &&
	    json_rejects(json, "items", NULL) &&
	    json_rejects(json, "query_limit", NULL));
	CHECK("data JSON: rejects a bad query_limit or items",
	    json_rejects(json, "query_limit", json_integer(0)) &&
	    json_rejects(json, "query_limit", json_integer(100001)) &&
	    json_rejects(json, "items", json_string("/elsewhere/d/i.db")) &&
	    json_rejects(json, "items", json_string("/srv/tokend/i.db")));
	CHECK("data JSON: rejects bad collections",
	    data_rejects(json, "collections/0", "name",
	    json_string("directus_a")) &&
	    data_rejects(json, "collections/2", "name",
	    json_string("Tags")) &&
	    data_rejects(json, "collections/2", "name",
	    json_string("articles")) &&
	    data_rejects(json, "collections/0", "primary_key",
	    json_string("text")) &&
	    data_rejects(json, "collections/0", "fields", json_array()) &&
	    data_rejects(json, "collections/0", "fields",
	    json_pack("[s]", "id")) &&
	    data_rejects(json, "collections/0", "fields",
	    json_pack("[s]", "*")) &&
	    data_rejects(json, "collections/0", "fields", json_true()) &&
	    data_rejects(json, "collections/0", "extra", json_true()) &&
	    data_rejects(json, "collections/0", "name", NULL));
	CHECK("data JSON: rejects bad roles",
	    data_rejects(json, "roles/0", "name", json_string("admin")) &&
	    data_rejects(json, "roles/0", "name", json_string("boss")) &&
	    data_rejects(json, "roles/0", "id",
	    json_string("5A3C0F8E-2B1D-4C6E-9F7A-1B2C3D4E5F60")) &&
	    data_rejects(json, "roles/0", "id",
	    json_string(CONF_ADMIN_ROLE_ID)) &&
	    data_rejects(json, "roles/1", "id",
	    json_string("5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60")) &&
	    data_rejects(json, "roles/0", "id", NULL) &&
	    data_rejects(json, "policies/1", "admin_access",
	    json_integer(1)) &&
	    data_rejects(json, "policies/1", "permissions", json_object()) &&
	    data_rejects(json, "roles/0", "policies", json_object()) &&
	    data_rejects(json, "roles/0", "policies",
	    json_pack("[s]", "5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60")) &&
	    data_rejects(json, "roles/0", "admin_access", json_true()));
	CHECK("data JSON: rejects bad policies",
	    data_rejects(json, "policies/1", "kind", json_string("x")) &&
	    data_rejects(json, "policies/1", "name", json_string("boss")) &&
	    data_rejects(json, "policies/1", "id",
	    json_string(CONF_PUBLIC_POLICY_ID)) &&
	    data_rejects(json, "policies/1", "ip_allow",
	    json_string("10.0.0.1/8")) &&
	    data_rejects(json, "policies/1", "ip_allow", json_true()) &&
	    data_rejects(json, "policies/0", "id",
	    json_string("5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f69")) &&
	    data_rejects(json, "policies/0", "kind", json_string("policy")));
	CHECK("data JSON: rejects bad permissions",
	    data_rejects(json, "policies/1/permissions/0", "collection",
	    json_string("nope")) &&
	    data_rejects(json, "policies/1/permissions/0", "actions",
	    json_array()) &&
	    data_rejects(json, "policies/1/permissions/0", "actions",
	    json_pack("[s,s]", "read", "read")) &&
	    data_rejects(json, "policies/1/permissions/0", "actions",
	    json_pack("[s]", "write")) &&
	    data_rejects(json, "policies/1/permissions/1", "actions",
	    json_pack("[s]", "read")) &&
	    data_rejects(json, "policies/1/permissions/0", "fields",
	    json_pack("[s]", "nofield")) &&
	    data_rejects(json, "policies/1/permissions/0", "filter",
	    json_string("{}")) &&
	    data_rejects(json, "policies/1/permissions/0", "filter",
	    json_array()) &&
	    data_rejects(json, "policies/1/permissions/0", "presets",
	    json_pack("{s:{}}", "status")) &&
	    data_rejects(json, "policies/1/permissions/1", "validation",
	    json_object()) &&
	    data_rejects(json, "policies/0/permissions/0", "presets",
	    json_object()) &&
	    data_rejects(json, "policies/0/permissions/0", "filter", NULL));
	free(json);
	config_free(conf);
}

static void
test_data_restart(void)
{
	struct tokend_config	*a, *b;
	char			 why[64];

	a = parse_text(data_conf);
	b = parse_text("chroot \"/srv/tokend\"\n"
	    "items \"/srv/tokend/data/items.db\"\n"
	    "limits { query-limit 10 }\n");
	if (a == NULL || b == NULL)
		fatalx("test_data_restart");
	CHECK("restart not needed for collections, roles, public, "
	    "query-limit", config_restart_needed(a, b, why, sizeof(why)) == 0 &&
	    config_restart_needed(b, a, why, sizeof(why)) == 0);
	(void)strlcpy(b->items, "/srv/tokend/other/items.db",
	    sizeof(b->items));
	CHECK("restart needed for items",
	    config_restart_needed(a, b, why, sizeof(why)) == 1 &&
	    strcmp(why, "items") == 0);
	config_free(a);
	config_free(b);
}

static int
remove_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/*
 * The settings table: each row is found by its block and word, no two
 * rows share a JSON key, and a default is within the row's bounds
 * unless it is 0 and the row says 0 means unset.
 */
static void
test_table(void)
{
	const struct config_field	*f, *g;
	struct tokend_config		*conf;
	long long			 n;
	size_t				 i, j;
	int				 found = 1, unique = 1, defaults = 1;

	if ((conf = config_new()) == NULL)
		fatal("config_new");
	for (i = 0; i < config_nfields; i++) {
		f = &config_fields[i];
		if (config_field_find(f->block, f->word) != f)
			found = 0;
		for (j = i + 1; j < config_nfields; j++) {
			g = &config_fields[j];
			if (strcmp(f->key, g->key) == 0)
				unique = 0;
		}
		if (config_field_is_string(f))
			continue;
		n = config_field_number(conf, f);
		if ((n < f->min || n > f->max) && !(n == 0 &&
		    ((f->flags & CONF_FIELD_UNSET) != 0 ||
		    strcmp(f->key, "hash_threads") == 0)))
			defaults = 0;
	}
	CHECK("table: every row found by block and word", found);
	CHECK("table: JSON keys unique", unique);
	CHECK("table: defaults within bounds", defaults);
	config_free(conf);
}

int
main(void)
{
	log_init(1, 0);
	(void)strlcpy(tmpdir, "/tmp/test_config.XXXXXX", sizeof(tmpdir));
	if (mkdtemp(tmpdir) == NULL)
		fatal("mkdtemp");

	test_table();
	test_full();
	test_defaults();
	test_syntax();
	test_macros();
	test_include();
	test_errors();
	test_all_errors();
	test_units();
	test_auth_bounds();
	test_cookies();
	test_public_url();
	test_cors_protect();
	test_listen();
	test_tls();
	test_path_within();
	test_permissions();
	test_json();
	test_restart();
	test_data();
	test_data_errors();
	test_policies();
	test_data_all_errors();
	test_data_bounds();
	test_data_items();
	test_data_size();
	test_data_json();
	test_data_restart();

	if (nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS) == -1)
		log_warn("cannot remove %s", tmpdir);
	return regress_exit();
}
