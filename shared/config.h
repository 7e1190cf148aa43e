/*
 * The configuration: parsed once by the parent from tokend.conf
 * (parse.y), checked, then shipped to keyd and the workers as JSON
 * (config_to_json / config_from_json) over the framing.
 */
#ifndef TOKEND_CONFIG_H
#define TOKEND_CONFIG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <limits.h>
#include <netdb.h>
#include <stddef.h>

/* Defaults: paths, users, limits. */
#define CONF_FILE_DEFAULT	"/etc/tokend.conf"
#define CONF_PORT_DEFAULT	8055
#define CONF_SERVER_USER	"_tokend"
#define CONF_SERVER_CHROOT	"/var/empty"
#define CONF_KEYD_USER		"_tokend_keyd"
#define CONF_KEYD_CHROOT	"/var/db/tokend"
#define CONF_DATABASE		"/var/db/tokend/db/credentials.db"
#define CONF_SECRET		"/etc/tokend/secret"
#define CONF_CONTROL		"/var/run/tokend.sock"
#ifndef CONF_KEYD_PROGRAM
#define CONF_KEYD_PROGRAM	"/usr/local/libexec/tokend/keyd"
#endif
#define CONF_HEADER_MAX		8192
#define CONF_BODY_MAX		(1024 * 1024)
#define CONF_CONNECTIONS	1024
#define CONF_REQUEST_TIMEOUT	30	/* seconds */
#define CONF_KEYD_TIMEOUT	2000	/* milliseconds */
#define CONF_LISTEN_MAX		16
#define CONF_PREFORK_MAX	64

/* Bounds enforced by parse.y and config_from_json(). */
#define CONF_HEADER_LO		1024
#define CONF_HEADER_HI		(64 * 1024)
#define CONF_BODY_LO		1024
#define CONF_BODY_HI		(64 * 1024 * 1024)
#define CONF_CONNECTIONS_LO	16
#define CONF_CONNECTIONS_HI	65536
#define CONF_REQUEST_LO		1	/* seconds */
#define CONF_REQUEST_HI		3600
#define CONF_KEYD_TIMEOUT_LO	100	/* milliseconds */
#define CONF_KEYD_TIMEOUT_HI	60000

#define CONF_NAME_MAX		64	/* user names */
#define CONF_FILE_MAX		(1024 * 1024)	/* a config file, bytes */

struct listen_addr {
	TAILQ_ENTRY(listen_addr) entry;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 host[NI_MAXHOST];	/* as written */
	int			 port;
};
TAILQ_HEAD(listen_list, listen_addr);

struct tokend_config {
	struct listen_list	 listens;
	int			 prefork;	/* 0: number of CPUs */
	char			 server_user[CONF_NAME_MAX];
	char			 server_chroot[PATH_MAX];
	char			 keyd_user[CONF_NAME_MAX];
	char			 keyd_chroot[PATH_MAX];
	char			 keyd_program[PATH_MAX];
	char			 database[PATH_MAX];
	char			 secret[PATH_MAX];
	char			 control[PATH_MAX];
	size_t			 header_max;
	size_t			 body_max;
	int			 connections;	/* per worker */
	int			 request_timeout;	/* seconds */
	int			 keyd_timeout;	/* milliseconds */
};

/* config.c */
struct tokend_config *config_new(void);
void		 config_free(struct tokend_config *);
int		 config_finish(struct tokend_config *);
char		*config_to_json(const struct tokend_config *);
struct tokend_config *config_from_json(const char *, size_t);
int		 config_restart_needed(const struct tokend_config *,
		    const struct tokend_config *, char *, size_t);
int		 config_path_within(const char *, const char *, char *,
		    size_t);
const char	*config_check_user(const char *);
const char	*config_check_path(const char *);
int		 config_listen_add(struct tokend_config *, const char *,
		    const struct sockaddr *, socklen_t, int, const char **);

/* parse.y */
int		 cmdline_symset(const char *);
struct tokend_config *parse_config(const char *);

#endif /* TOKEND_CONFIG_H */
