/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * tokend's parent: reads the configuration, opens the listen and control
 * sockets, starts keyd, the mail process, the workers and their item
 * processes with fork and exec, links them, supervises them and reloads
 * on SIGHUP.  It never parses client input.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "log.h"
#include "metrics.h"
#include "pushgen.h"
#include "proto.h"
#include "sandbox.h"
#include "tokend.h"

static void	 usage(void) __attribute__((__noreturn__));
static int	 parent_check_database(const struct tokend_config *);
static int	 parent_check_pg(const char *, const char *);
static void	 parent_open_listeners(void);
static void	 parent_reserve_fds(int);
static void	 parent_open_control(void);
static void	 parent_start(struct child *);
static void	 parent_started(struct child *, pid_t, int);
static void	 parent_send_config(struct child *, uint32_t);
static void	 parent_send_tls(struct child *, int);
static void	 parent_ticket_cb(evutil_socket_t, short, void *);
static void	 parent_pair(struct frame_chan *, uint32_t, const void *,
		    struct frame_chan *, uint32_t, const void *);
static void	 parent_link(struct child *);
static void	 parent_link_items(struct child *, struct child *);
static void	 parent_link_key(struct child *);
static void	 parent_link_mail(void);
static struct child *parent_child(int);
static int	 parent_relink(struct frame *);
static void	 parent_link_all(void);
static void	 parent_sigchld(void);
static void	 parent_child_exited(struct child *, int);
static void	 parent_schedule(struct child *);
static void	 parent_respawn_cb(evutil_socket_t, short, void *);
static void	 parent_ping_cb(evutil_socket_t, short, void *);
static void	 parent_ping(struct child *, int64_t, int);
static int	 parent_dispatch(struct frame_chan *, struct frame *, void *);
static void	 parent_child_closed(struct frame_chan *, void *);
static int	 parent_child_log(struct child *, struct frame *);
static void	 parent_child_log_dropped(struct child *);
static void	 parent_child_log_told(struct child *, int64_t);
static void	 parent_child_log_told_cb(evutil_socket_t, short, void *);
static int	 parent_reload(char *, size_t);
static int	 parent_access_open(const struct tokend_config *);
static void	 parent_ready_check(void);
static int	 parent_access(struct child *, struct frame *);
static int	 parent_items_dir(const struct tokend_config *, char *, size_t);
static void	 parent_shutdown(void);
static void	 parent_kill_cb(evutil_socket_t, short, void *);
static void	 parent_signal(evutil_socket_t, short, void *);
static void	 control_accept(evutil_socket_t, short, void *);
static int	 control_dispatch(struct frame_chan *, struct frame *, void *);
static int	 control_unexpected(struct frame *);
static void	 control_closed(struct frame_chan *, void *);
static void	 control_status(char *, size_t);
static int	 control_forward(struct frame_chan *, struct frame *);
static int	 control_relay(struct frame *);
static void	 control_fail_forwards(void);
static void	 control_reply(struct frame_chan *, uint32_t, uint32_t,
		    const char *);
static struct child *parent_find(pid_t);
static const char *child_name(const struct child *);
static int	 self_path(const char *, char *, size_t);

static struct {
	struct tokend_config	*conf;
	const char		*conffile;
	char			 self[PATH_MAX];
	int			 foreground;
	int			 verbose;
	struct event_base	*base;
	int			*listenfds;	/* nlisten per worker slot */
	int			 nlisten;
	int			 controlfd;
	struct event		*ev_control;
	struct child		 keyd;
	struct child		*servers;
	struct child		*items;		/* one per worker slot */
	struct child		 mail;
	int			 nservers;
	int			 stopping;
	struct event		*ev_kill;
	struct event		*ev_ping;
	int64_t			 ping_tick;	/* ms, the last ping round */
	struct forward_list	 forwards;
	uint32_t		 next_forward;
	int			 access_fd;	/* access-log's file, or -1 */
	struct metrics_area	*metrics;	/* shared with the children */
	int			 metrics_fd;
	struct pushgen		*pushgen;	/* keyd's; see pushgen.h */
	int			 pushgen_fd;	/* for keyd */
	int			 pushgen_ro_fd;	/* for the workers */
	struct tls_files	 tls;		/* read at start and on reload */
	struct portal_files	 portal;	/* read at start and on reload */
	uint8_t			 ticket[TLS_TICKET_KEY_LEN];
	struct event		*ev_ticket;
} parent;

/*
 * tokend -n: each PostgreSQL store answers, the credential store (keyd
 * connects the same way when it starts) and the item store when there
 * are collections (the item processes do); a SQLite file is its
 * process's to open.  The URI may hold a password: only libpq's message
 * is printed.
 */
static int
parent_check_database(const struct tokend_config *conf)
{
	int	 rv = 0;

	if (CONF_DATABASE_PG(conf->database) &&
	    parent_check_pg("database", conf->database) == -1)
		rv = -1;
	if (!TAILQ_EMPTY(&conf->collections) && CONF_DATABASE_PG(conf->items) &&
	    parent_check_pg("items", conf->items) == -1)
		rv = -1;
	return rv;
}

/* what: the keyword that names the store, for the messages. */
static int
parent_check_pg(const char *what, const char *uri)
{
	PGconn		*c;
	PGresult	*r;
	int		 rv = -1;

	c = PQconnectdb(uri);
	if (c == NULL || PQstatus(c) != CONNECTION_OK)
		log_warnx("%s: cannot connect to PostgreSQL: %s", what,
		    c != NULL ? PQerrorMessage(c) : "out of memory");
	else if (PQresultStatus(r = PQexec(c, "SELECT 1")) !=
	    PGRES_TUPLES_OK) {
		log_warnx("%s: PostgreSQL: %s", what, PQerrorMessage(c));
		PQclear(r);
	} else {
		fprintf(stderr, "%s: PostgreSQL %d.%d answers\n", what,
		    PQserverVersion(c) / 10000, PQserverVersion(c) % 10000);
		PQclear(r);
		rv = 0;
	}
	PQfinish(c);
	return rv;
}

static void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-dnv] [-D macro=value] [-f file]\n",
	    __progname);
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct event	*sigs[5];
	const int	 signums[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	const char	*role = NULL;
	int		 ch, checkonly = 0, slot = 0;
	size_t		 i;
	char		 setting[PATH_MAX + 128];

	privsep_title_init(argc, argv);
	log_init(1, LOG_DAEMON);
	log_procinit("parent");
	parent.conffile = CONF_FILE_DEFAULT;
	while ((ch = getopt(argc, argv, "dD:f:I:nP:Rv")) != -1) {
		switch (ch) {
		case 'd':
			parent.foreground = 1;
			break;
		case 'D':
			if (cmdline_symset(optarg) == -1)
				fatalx("could not parse macro definition %s",
				    optarg);
			break;
		case 'f':
			parent.conffile = optarg;
			break;
		case 'I':
			slot = atoi(optarg);
			break;
		case 'n':
			checkonly = 1;
			break;
		case 'P':
			role = optarg;
			break;
		case 'R':	/* for regress/: the route table */
			route_print(stdout);
			exit(0);
		case 'v':
			parent.verbose++;
			break;
		default:
			usage();
		}
	}
	if (argc != optind)
		usage();
	log_setverbose(parent.verbose);
	if (role != NULL) {
		child_log_init(parent.foreground);
		if (strcmp(role, "server") == 0)
			return server_main(slot, parent.verbose);
		if (strcmp(role, "items") == 0)
			return itemd_main(slot, parent.verbose);
		if (strcmp(role, "mail") == 0)
			return maild_main(parent.verbose);
		fatalx("unknown role %s", role);
	}

	if ((parent.conf = parse_config(parent.conffile)) == NULL)
		exit(1);
	if (config_tls_listens(parent.conf) > 0) {
		tls_init();
		if (tls_files_load(parent.conf, &parent.tls, setting,
		    sizeof(setting)) == -1)
			fatalx("%s", setting);
		tls_ticket_new(parent.ticket);
	}
	if (portal_files_load(parent.conf, &parent.portal, setting,
	    sizeof(setting)) == -1)
		fatalx("%s", setting);
	if (checkonly) {
		if (parent_check_database(parent.conf) == -1)
			exit(1);
		fprintf(stderr, "configuration OK\n");
		exit(0);
	}
	if (!privsep_is_root())
		log_warnx("not started as root: running without chroot "
		    "and without changing user");
	else {
		struct privsep_user	 pu;

		privsep_lookup(parent.conf->server_user, &pu);
		privsep_lookup(parent.conf->items_user, &pu);
		privsep_lookup(parent.conf->keyd_user, &pu);
		privsep_lookup(parent.conf->mail_user, &pu);
		privsep_check_chroot(parent.conf->server_chroot);
		privsep_check_chroot(parent.conf->mail_chroot);
		privsep_check_chroot(parent.conf->items_chroot);
		privsep_check_chroot(parent.conf->keyd_chroot);
	}
	if (parent_items_dir(parent.conf, setting, sizeof(setting)) == -1)
		fatalx("%s", setting);
	if (self_path(argv[0], parent.self, sizeof(parent.self)) == -1)
		fatal("cannot find my own executable");

	parent_open_listeners();
	parent_open_control();
	notify_init();
	parent.access_fd = -1;
	if (parent_access_open(parent.conf) == -1)
		fatalx("cannot open the access log %s", parent.conf->access_log);
	if (!parent.foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init(0, LOG_DAEMON);
	}
	log_procinit("parent");
	setproctitle("%s", "parent");
	signal(SIGPIPE, SIG_IGN);

	if ((parent.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	for (i = 0; i < sizeof(signums) / sizeof(signums[0]); i++) {
		sigs[i] = evsignal_new(parent.base, signums[i],
		    parent_signal, NULL);
		if (sigs[i] == NULL || evsignal_add(sigs[i], NULL) == -1)
			fatalx("evsignal_add");
	}
	parent.ev_control = event_new(parent.base, parent.controlfd,
	    EV_READ | EV_PERSIST, control_accept, NULL);
	if (parent.ev_control == NULL ||
	    event_add(parent.ev_control, NULL) == -1)
		fatalx("control event");

	TAILQ_INIT(&parent.forwards);
	parent.keyd.role = ROLE_KEYD;
	parent.keyd.slot = -1;
	parent.nservers = parent.conf->prefork;
	if ((parent.servers = calloc(parent.nservers,
	    sizeof(*parent.servers))) == NULL ||
	    (parent.items = calloc(parent.nservers,
	    sizeof(*parent.items))) == NULL)
		fatal("calloc");
	if ((parent.metrics = metrics_create((uint32_t)parent.nservers,
	    &parent.metrics_fd)) == NULL)
		fatal("metrics area");
	if ((parent.pushgen = pushgen_create(&parent.pushgen_fd,
	    &parent.pushgen_ro_fd)) == NULL)
		fatal("push generation");
	parent_start(&parent.keyd);
	parent.mail.role = ROLE_MAIL;
	parent_start(&parent.mail);
	for (ch = 0; ch < parent.nservers; ch++) {
		parent.items[ch].role = ROLE_ITEMS;
		parent.items[ch].slot = ch;
		parent_start(&parent.items[ch]);
		parent.servers[ch].role = ROLE_SERVER;
		parent.servers[ch].slot = ch;
		parent_start(&parent.servers[ch]);
	}
	parent_link_all();
	parent.ev_ping = event_new(parent.base, -1, EV_PERSIST,
	    parent_ping_cb, NULL);
	if (parent.ev_ping == NULL || event_add(parent.ev_ping,
	    &(struct timeval){ TOKEND_PING_MS / 1000,
	    (TOKEND_PING_MS % 1000) * 1000 }) == -1)
		fatalx("ping timer");
	parent.ev_ticket = event_new(parent.base, -1, EV_PERSIST,
	    parent_ticket_cb, NULL);
	if (parent.ev_ticket == NULL || event_add(parent.ev_ticket,
	    &(struct timeval){ TLS_TICKET_ROTATE_SEC, 0 }) == -1)
		fatalx("ticket timer");
	log_info("started: keyd, %d servers and their item processes, "
	    "the mail process", parent.nservers);
	sandbox_enter(SANDBOX_PARENT);

	event_base_dispatch(parent.base);
	return 0;
}

/* Where tokend lives, so that workers are started from the same binary. */
static int
self_path(const char *argv0, char *buf, size_t len)
{
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", buf, len - 1)) != -1) {
		buf[n] = '\0';
		return 0;
	}
	if (strchr(argv0, '/') == NULL || len < PATH_MAX)
		return -1;
	return realpath(argv0, buf) == NULL ? -1 : 0;
}

/*
 * One socket per listen address and worker slot, bound with
 * SO_REUSEPORT: the kernel spreads the connections over them and a
 * worker accepts only on its own, so no worker can take the others'
 * clients.  The parent keeps them all; a worker started again in its
 * slot gets the same sockets, with the connections waiting on them.
 * The listen addresses and prefork need a restart, so a reload keeps
 * them as they are.
 */
static void
parent_open_listeners(void)
{
	struct listen_addr	*la;
	int			 fd, on = 1, slot, n = 0, i;

	TAILQ_FOREACH(la, &parent.conf->listens, entry)
		if (n++ >= CONF_LISTEN_MAX)
			fatalx("too many listen addresses");
	parent.nlisten = n;
	parent_reserve_fds(parent.conf->prefork * n);
	if ((parent.listenfds = calloc((size_t)parent.conf->prefork * n,
	    sizeof(*parent.listenfds))) == NULL)
		fatal("calloc");
	/*
	 * Another program on the address, even another tokend of the
	 * same user that could join the SO_REUSEPORT group, is refused
	 * as before: a plain socket must be able to bind it first.
	 */
	TAILQ_FOREACH(la, &parent.conf->listens, entry) {
		fd = socket(la->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd == -1)
			fatal("socket");
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == -1)
			fatal("SO_REUSEADDR");
		if (la->ss.ss_family == AF_INET6 && setsockopt(fd,
		    IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
			fatal("IPV6_V6ONLY");
		if (bind(fd, (struct sockaddr *)&la->ss, la->sslen) == -1)
			fatal("bind %s port %d", la->host, la->port);
		close(fd);
	}
	for (slot = 0; slot < parent.conf->prefork; slot++) {
		i = 0;
		TAILQ_FOREACH(la, &parent.conf->listens, entry) {
			fd = socket(la->ss.ss_family, SOCK_STREAM |
			    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd == -1)
				fatal("socket");
			if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
			    sizeof(on)) == -1)
				fatal("SO_REUSEADDR");
			if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on,
			    sizeof(on)) == -1)
				fatal("SO_REUSEPORT");
			if (la->ss.ss_family == AF_INET6 && setsockopt(fd,
			    IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
				fatal("IPV6_V6ONLY");
			if (bind(fd, (struct sockaddr *)&la->ss,
			    la->sslen) == -1)
				fatal("bind %s port %d", la->host, la->port);
			/*
			 * TLS writes a record per buffer (head, body):
			 * without TCP_NODELAY, which accepted sockets
			 * inherit, the second waits for a delayed ACK.
			 */
			if (la->tls && setsockopt(fd, IPPROTO_TCP,
			    TCP_NODELAY, &on, sizeof(on)) == -1)
				fatal("TCP_NODELAY");
			if (listen(fd, 1024) == -1)
				fatal("listen %s port %d", la->host, la->port);
			parent.listenfds[slot * n + i++] = fd;
		}
	}
	TAILQ_FOREACH(la, &parent.conf->listens, entry)
		log_debug("listening on %s port %d, one socket per server",
		    la->host, la->port);
}

/*
 * The parent holds prefork times the listen addresses sockets (up to
 * CONF_PREFORK_MAX * CONF_LISTEN_MAX), beyond the usual soft limit.
 */
static void
parent_reserve_fds(int nsockets)
{
	struct rlimit	 rl;
	rlim_t		 want = (rlim_t)nsockets + SERVER_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max > want ? want : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("setrlimit RLIMIT_NOFILE");
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
		fatalx("%d listen sockets (prefork times listen addresses) "
		    "need %llu descriptors, the limit is %llu", nsockets,
		    (unsigned long long)want, (unsigned long long)rl.rlim_cur);
}

/* The control socket: tokenctl talks to the parent through it. */
static void
parent_open_control(void)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, parent.conf->control,
	    sizeof(sun.sun_path)) >= sizeof(sun.sun_path))
		fatalx("control socket path too long");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		fatal("control socket");
	if (unlink(sun.sun_path) == -1 && errno != ENOENT)
		fatal("unlink %s", sun.sun_path);
	old = umask(077);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", sun.sun_path);
	umask(old);
	if (listen(fd, 8) == -1)
		fatal("listen %s", sun.sun_path);
	parent.controlfd = fd;
}

static void
parent_start(struct child *c)
{
	char	*argv[8];
	int	 argc = 0, sp[2], fds[PRIVSEP_FDS_MAX], i;
	char	 slot[16];
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair");
	if (c->role == ROLE_KEYD) {
		argv[argc++] = "keyd";
	} else {
		(void)snprintf(slot, sizeof(slot), "%d", c->slot);
		argv[argc++] = "tokend";
		argv[argc++] = "-P";
		argv[argc++] = c->role == ROLE_ITEMS ? "items" :
		    c->role == ROLE_MAIL ? "mail" : "server";
		argv[argc++] = "-I";
		argv[argc++] = slot;
	}
	if (parent.foreground)
		argv[argc++] = "-d";
	if (parent.verbose)
		argv[argc++] = "-v";
	argv[argc] = NULL;
	/*
	 * keyd and the workers: the metrics area, the push generation
	 * (keyd's writable, the workers' read-only), then a worker's
	 * sockets.
	 */
	fds[0] = parent.metrics_fd;
	fds[1] = c->role == ROLE_KEYD ? parent.pushgen_fd :
	    parent.pushgen_ro_fd;
	for (i = 0; c->role == ROLE_SERVER && i < parent.nlisten; i++)
		fds[2 + i] = parent.listenfds[c->slot * parent.nlisten + i];
	if (c->role == ROLE_KEYD)
		pid = privsep_exec(parent.conf->keyd_program, argv, sp[1],
		    fds, 2);
	else if (c->role == ROLE_ITEMS || c->role == ROLE_MAIL)
		pid = privsep_exec(parent.self, argv, sp[1], NULL, 0);
	else
		pid = privsep_exec(parent.self, argv, sp[1], fds,
		    2 + parent.nlisten);
	close(sp[1]);
	if (pid == -1) {
		log_warn("fork");
		close(sp[0]);
		parent_schedule(c);
		return;
	}
	parent_started(c, pid, sp[0]);
}

static void
parent_started(struct child *c, pid_t pid, int fd)
{
	c->pid = pid;
	c->generation++;
	if (c->role == ROLE_KEYD && c->generation > 1)
		parent.metrics->keyd_restarts++;
	c->ready = 0;
	c->ping_sent = 0;
	c->unanswered = 0;
	c->started = now_ms(CLOCK_MONOTONIC);
	c->chan = frame_chan_new(parent.base, fd, PROTO_CHILD_MAX,
	    parent_dispatch, parent_child_closed, c, c->role == ROLE_KEYD ?
	    "keyd" : c->role == ROLE_ITEMS ? "items" : c->role == ROLE_MAIL ?
	    "mail" : "server");
	if (c->chan == NULL)
		fatal("frame_chan_new");
	log_debug("%s started, pid %d", child_name(c), (int)pid);
	parent_send_config(c, MSG_CONFIG);
}

static void
parent_send_config(struct child *c, uint32_t type)
{
	struct msg_hello	 hello;
	struct msg_config	 m;	/* MSG_CONFIG or MSG_RELOAD */
	char			*json;

	if ((json = config_to_json(parent.conf)) == NULL)
		fatalx("config_to_json");
	if (type == MSG_CONFIG) {
		hello.version = PROTO_VERSION;
		hello.slot = c->slot < 0 ? 0 : (uint32_t)c->slot;
		hello.generation = c->generation;
		if (msg_send(c->chan, MSG_HELLO, 0, -1, &hello) == -1)
			log_warn("send hello");
	}
	m.json = (const uint8_t *)json;
	m.json_len = strlen(json);
	if (msg_send(c->chan, type, 0, -1, &m) == -1)
		log_warnx("cannot send the configuration (%zu bytes)",
		    strlen(json));
	free(json);
	if (c->role == ROLE_SERVER) {
		parent_send_tls(c, type == MSG_CONFIG);
		portal_files_send(parent.conf, &parent.portal, c->chan);
	}
}

/*
 * A worker's TLS material: the certificate and key after each
 * configuration, the ticket key too when it starts.  Only workers get
 * them, and only when a listen address is tls.
 */
static void
parent_send_tls(struct child *c, int ticket)
{
	struct msg_tls_cert	 cert;
	struct msg_tls_ticket	 key;

	if (config_tls_listens(parent.conf) == 0 || c->chan == NULL)
		return;
	cert.cert = parent.tls.cert;
	cert.cert_len = parent.tls.certlen;
	cert.key = parent.tls.key;
	cert.key_len = parent.tls.keylen;
	if (msg_send(c->chan, MSG_TLS_CERT, 0, -1, &cert) == -1)
		log_warnx("cannot send the TLS certificate to %s",
		    child_name(c));
	key.key = parent.ticket;
	key.key_len = sizeof(parent.ticket);
	if (ticket && msg_send(c->chan, MSG_TLS_TICKET, 0, -1, &key) == -1)
		log_warnx("cannot send the TLS ticket key to %s",
		    child_name(c));
}

/*
 * A new session ticket key for every worker, every
 * TLS_TICKET_ROTATE_SEC; it lives in memory only.
 */
static void
parent_ticket_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct msg_tls_ticket	 key;
	int			 i;

	if (config_tls_listens(parent.conf) == 0)
		return;
	tls_ticket_new(parent.ticket);
	key.key = parent.ticket;
	key.key_len = sizeof(parent.ticket);
	for (i = 0; i < parent.nservers; i++)
		if (parent.servers[i].chan != NULL &&
		    msg_send(parent.servers[i].chan, MSG_TLS_TICKET, 0, -1,
		    &key) == -1)
			log_warnx("cannot send the TLS ticket key to %s",
			    child_name(&parent.servers[i]));
	log_debug("tls: new session ticket key");
}

/*
 * A new channel between two children: one socketpair, one end sent to
 * each with its message (m, n: their payloads, NULL for none).  The
 * parent keeps neither end.
 */
static void
parent_pair(struct frame_chan *a, uint32_t ta, const void *ma,
    struct frame_chan *b, uint32_t tb, const void *mb)
{
	int	 sp[2];

	if (a == NULL || b == NULL)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair");
		return;
	}
	if (msg_send(a, ta, 0, sp[0], ma) == -1) {
		log_warn("send %s", msg_type_name(ta));
		close(sp[0]);
	}
	if (msg_send(b, tb, 0, sp[1], mb) == -1) {
		log_warn("send %s", msg_type_name(tb));
		close(sp[1]);
	}
}

/*
 * Give a worker its own channel to keyd, and one to its item process.
 * keyd learns which slot and generation its end belongs to.
 */
static void
parent_link(struct child *c)
{
	struct msg_keyd_channel	 m;

	parent_link_items(c, &parent.items[c->slot]);
	m.slot = (uint32_t)c->slot;
	m.generation = c->generation;
	m.pid = (uint32_t)c->pid;
	parent_pair(parent.keyd.chan, MSG_KEYD_CHANNEL, &m, c->chan,
	    MSG_SERVER_KEYD, NULL);
}

/* A worker and the item process of its slot. */
static void
parent_link_items(struct child *server, struct child *items)
{
	struct msg_items_server	 m;

	m.generation = server->generation;
	parent_pair(items->chan, MSG_ITEMS_SERVER, &m, server->chan,
	    MSG_SERVER_ITEMS, NULL);
}

/*
 * keyd and an item process: a channel on which keyd writes the ticket
 * key, once.
 */
static void
parent_link_key(struct child *items)
{
	struct msg_keyd_items	 m;

	m.slot = (uint32_t)items->slot;
	parent_pair(parent.keyd.chan, MSG_KEYD_ITEMS, &m, items->chan,
	    MSG_ITEMS_KEYD, NULL);
}

/*
 * keyd and the mail process: a channel on which keyd sends the mails
 * of its outbox and the mail process answers.
 */
static void
parent_link_mail(void)
{
	parent_pair(parent.keyd.chan, MSG_KEYD_MAIL, NULL, parent.mail.chan,
	    MSG_MAIL_KEYD, NULL);
}

static void
parent_link_all(void)
{
	int	 i;

	parent_link_mail();
	for (i = 0; i < parent.nservers; i++) {
		parent_link_key(&parent.items[i]);
		parent_link(&parent.servers[i]);
	}
}

/*
 * keyd closed a worker's channel (the worker did not read it in time):
 * give that worker, if it is still the same one, a new channel.
 */
static int
parent_relink(struct frame *f)
{
	struct msg_keyd_relink	 m;

	if (msg_read(f, MSG_KEYD_RELINK, &m) == -1)
		return -1;
	if (m.slot >= (uint32_t)parent.nservers ||
	    parent.servers[m.slot].generation != m.generation ||
	    parent.servers[m.slot].pid == 0)
		return 0;
	log_warnx("%s: new channel to keyd",
	    child_name(&parent.servers[m.slot]));
	parent_link(&parent.servers[m.slot]);
	return 0;
}

/*
 * Every child, one by one: keyd, then each worker and item process,
 * then the mail process.
 */
static struct child *
parent_child(int i)
{
	if (i == 0)
		return &parent.keyd;
	if (--i < parent.nservers)
		return &parent.servers[i];
	if ((i -= parent.nservers) < parent.nservers)
		return &parent.items[i];
	if (i - parent.nservers == 0)
		return &parent.mail;
	return NULL;
}

static struct child *
parent_find(pid_t pid)
{
	struct child	*c;
	int		 i;

	for (i = 0; (c = parent_child(i)) != NULL; i++)
		if (c->pid == pid)
			return c;
	return NULL;
}

static void
parent_sigchld(void)
{
	struct child	*c;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((c = parent_find(pid)) != NULL)
			parent_child_exited(c, status);
	}
}

static void
parent_child_exited(struct child *c, int status)
{
	/* Its last lines, before the line that says how it ended. */
	if (c->chan != NULL)
		(void)frame_chan_poll(c->chan);
	parent_child_log_dropped(c);
	if (c->unanswered && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGKILL)
		log_debug("%s (pid %d) killed", child_name(c), (int)c->pid);
	else if (WIFSIGNALED(status))
		log_warnx("%s (pid %d) killed by signal %d", child_name(c),
		    (int)c->pid, WTERMSIG(status));
	else if (!parent.stopping || WEXITSTATUS(status) != 0)
		log_warnx("%s (pid %d) exited with status %d", child_name(c),
		    (int)c->pid, WEXITSTATUS(status));
	else
		log_info("%s (pid %d) exited with status 0", child_name(c),
		    (int)c->pid);
	c->pid = 0;
	if (c->chan != NULL) {
		frame_chan_free(c->chan);
		c->chan = NULL;
	}
	if (parent.stopping) {
		parent_shutdown();
		return;
	}
	if (c->role == ROLE_KEYD) {
		/* The workers read their channels' end before the cache. */
		pushgen_bump(parent.pushgen);
		control_fail_forwards();
	}
	if (c->role == ROLE_SERVER && parent.keyd.chan != NULL) {
		struct msg_keyd_drop	 m = { .slot = (uint32_t)c->slot,
					    .generation = c->generation };

		(void)msg_send(parent.keyd.chan, MSG_KEYD_DROP, 0, -1, &m);
	}
	parent_schedule(c);
}

/* Respawn with a back-off that doubles while a child keeps dying young. */
static void
parent_schedule(struct child *c)
{
	struct timeval	 tv;

	if (c->backoff_ms == 0 ||
	    now_ms(CLOCK_MONOTONIC) - c->started > TOKEND_STABLE_SEC * 1000)
		c->backoff_ms = TOKEND_BACKOFF_MIN_MS;
	else if ((c->backoff_ms *= 2) > TOKEND_BACKOFF_MAX_MS)
		c->backoff_ms = TOKEND_BACKOFF_MAX_MS;
	if (c->respawn == NULL &&
	    (c->respawn = evtimer_new(parent.base, parent_respawn_cb,
	    c)) == NULL)
		fatalx("evtimer_new");
	tv.tv_sec = c->backoff_ms / 1000;
	tv.tv_usec = (c->backoff_ms % 1000) * 1000;
	evtimer_add(c->respawn, &tv);
	log_info("restarting %s in %d ms", child_name(c), c->backoff_ms);
}

static void
parent_respawn_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct child	*c = arg;

	if (parent.stopping || c->pid != 0)
		return;
	parent_start(c);
	if (c->pid == 0)
		return;
	if (c->role == ROLE_KEYD)
		parent_link_all();
	else if (c->role == ROLE_MAIL)
		parent_link_mail();
	else if (c->role == ROLE_ITEMS) {
		parent_link_key(c);
		parent_link_items(&parent.servers[c->slot], c);
	} else
		parent_link(c);
}

/*
 * Each worker must answer a ping within TOKEND_ANSWER_MS.  One that
 * does not (stopped, stuck, or compromised and playing dead) leaves the
 * connections the kernel queues on its listen sockets waiting: it is
 * killed, and its replacement, which inherits those sockets, serves
 * them.  When the parent itself ran late (stopped, starved of CPU: this
 * round comes half an interval after it was due), the pings in flight
 * get a new TOKEND_ANSWER_MS, as the time it lost says nothing about
 * the workers.
 */
static void
parent_ping_cb(evutil_socket_t fd, short ev, void *arg)
{
	int64_t	 now = now_ms(CLOCK_MONOTONIC);
	int	 i, late;

	late = parent.ping_tick != 0 &&
	    now - parent.ping_tick > TOKEND_PING_MS + TOKEND_PING_MS / 2;
	parent.ping_tick = now;
	if (parent.stopping)
		return;
	for (i = 0; i < parent.nservers; i++)
		parent_ping(&parent.servers[i], now, late);
}

/* One ping in flight per worker, from READY on; see parent_ping_cb(). */
static void
parent_ping(struct child *c, int64_t now, int late)
{
	if (c->pid == 0 || c->chan == NULL || !c->ready || c->unanswered)
		return;
	if (c->ping_sent == 0) {
		if (msg_send(c->chan, MSG_PING, ++c->ping_id, -1, NULL) == -1)
			log_warn("%s: send ping", child_name(c));
		else
			c->ping_sent = now;
	} else if (late)
		c->ping_sent = now;
	else if (now - c->ping_sent >= TOKEND_ANSWER_MS) {
		log_warnx("%s (pid %d) not answering, replaced",
		    child_name(c), (int)c->pid);
		c->unanswered = 1;
		(void)kill(c->pid, SIGKILL);
	}
}

/* "keyd" or "server N", for logs. */
static const char *
child_name(const struct child *c)
{
	static char	 name[32];

	if (c->role == ROLE_KEYD)
		return "keyd";
	if (c->role == ROLE_MAIL)
		return "mail";
	(void)snprintf(name, sizeof(name), "%s %d", c->role == ROLE_ITEMS ?
	    "items" : "server", c->slot);
	return name;
}

/*
 * A line of a child's log, written by log_child() after the child's
 * name and pid.  At most TOKEND_CHILD_LOG_RATE a second, so that a
 * child cannot flood the log: what is beyond is counted, and the count
 * is logged when the second ends (a timer armed by the first line
 * dropped in it), or before, when the child exits.
 * Reading one frame at a time and writing it at once, the parent
 * keeps nothing of a child's lines.
 */
static int
parent_child_log(struct child *c, struct frame *f)
{
	struct msg_log	 m;
	int64_t		 now = now_ms(CLOCK_MONOTONIC);

	if (msg_read(f, MSG_LOG, &m) == -1 || m.priority < LOG_CRIT ||
	    m.priority > LOG_DEBUG)
		return -1;
	if (now - c->log_second >= 1000) {
		parent_child_log_dropped(c);
		c->log_second = now;
		c->log_lines = 0;
	}
	if (c->log_lines >= TOKEND_CHILD_LOG_RATE) {
		if (c->log_dropped++ == 0)
			parent_child_log_told(c, 1000 - (now - c->log_second));
		return 0;
	}
	c->log_lines++;
	/* The channel's name is the role's: "keyd", "server", "items". */
	log_child((int)m.priority, c->chan->name, (int)c->pid, m.text);
	return 0;
}

static void
parent_child_log_told(struct child *c, int64_t ms)
{
	struct timeval	 tv;

	if (ms < 1)
		ms = 1;
	if (c->log_told == NULL &&
	    (c->log_told = evtimer_new(parent.base, parent_child_log_told_cb,
	    c)) == NULL)
		fatalx("evtimer_new");
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->log_told, &tv);
}

static void
parent_child_log_told_cb(evutil_socket_t fd, short ev, void *arg)
{
	parent_child_log_dropped(arg);
}

static void
parent_child_log_dropped(struct child *c)
{
	if (c->log_dropped == 0)
		return;
	log_warnx("%s (pid %d): %llu lines of its log dropped, more than %d "
	    "a second", child_name(c), (int)c->pid,
	    (unsigned long long)c->log_dropped, TOKEND_CHILD_LOG_RATE);
	c->log_dropped = 0;
}

/*
 * The access log's file (access-log an absolute path), opened anew at
 * start and at each reload, so that a rotated file is let go: appended
 * to, created mode 0640, never through a symbolic link.  -1 when it
 * cannot be opened (parent.access_fd unchanged).
 */
static int
parent_access_open(const struct tokend_config *conf)
{
	int	 fd;

	if (conf->access_log[0] != '/') {
		if (parent.access_fd != -1)
			close(parent.access_fd);
		parent.access_fd = -1;
		return 0;
	}
	if ((fd = open(conf->access_log, O_WRONLY | O_APPEND | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0640)) == -1) {
		log_warn("access log %s", conf->access_log);
		return -1;
	}
	if (parent.access_fd != -1)
		close(parent.access_fd);
	parent.access_fd = fd;
	return 0;
}

/*
 * A worker's access log lines (accesslog.c): each made safe to print
 * (a worker is not trusted with the file's bytes), then written in one
 * write(2) to the file, or each to syslog.
 */
static int
parent_access(struct child *c, struct frame *f)
{
	static char		 out[ACCESS_BATCH_MAX * 4 + 1];
	struct msg_access	 m;
	char			 line[ACCESS_BATCH_MAX + 1];
	char			 clean[LOG_SANITIZE_SIZE(ACCESS_BATCH_MAX)];
	const uint8_t		*p, *nl, *end;
	size_t			 len = 0, n;

	if (msg_read(f, MSG_ACCESS, &m) == -1)
		return -1;
	if (parent.conf->access_log[0] == '\0')
		return 0;
	end = m.lines + m.lines_len;
	for (p = m.lines; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		memcpy(line, p, n);
		line[n] = '\0';
		if (parent.access_fd == -1) {
			if (strcmp(parent.conf->access_log, "syslog") == 0)
				log_child(LOG_INFO, "access", (int)c->pid,
				    line);
			continue;
		}
		(void)log_sanitize_line(clean, sizeof(clean), line);
		n = strlen(clean);
		if (len + n + 1 > sizeof(out))
			break;
		memcpy(out + len, clean, n);
		len += n;
		out[len++] = '\n';
	}
	if (len > 0 && write(parent.access_fd, out, len) != (ssize_t)len)
		log_warn("access log %s", parent.conf->access_log);
	return 0;
}

/*
 * Once, when keyd and every worker have said they are ready: tell the
 * service manager (notify.c) and the log.
 */
static void
parent_ready_check(void)
{
	static int	 told;
	int		 i;

	if (told || !parent.keyd.ready)
		return;
	for (i = 0; i < parent.nservers; i++)
		if (!parent.servers[i].ready)
			return;
	told = 1;
	log_info("keyd and %d workers ready", parent.nservers);
	notify_send("READY=1");
}

/*
 * Children tell the parent that they are ready or reloaded, and log;
 * workers answer pings.
 */
static int
parent_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	struct child		*c = arg;
	struct msg_reload_done	 done;
	char			 why[LOG_SANITIZE_SIZE(CHILD_REASON_MAX)];

	if (!msg_allowed(f->hdr.type, c->role == ROLE_KEYD ? PEER_KEYD :
	    c->role == ROLE_ITEMS ? PEER_ITEMS : c->role == ROLE_MAIL ?
	    PEER_MAIL : PEER_SERVER, PEER_PARENT))
		goto hostile;
	switch (f->hdr.type) {
	case MSG_READY:
		if (msg_read(f, MSG_READY, NULL) == -1)
			return -1;
		c->ready = 1;
		log_debug("%s ready", child_name(c));
		parent_ready_check();
		return 0;
	case MSG_PONG:
		if (msg_read(f, MSG_PONG, NULL) == -1)
			return -1;
		if (f->hdr.id == c->ping_id)
			c->ping_sent = 0;
		return 0;
	case MSG_CTL_RESULT:
		return control_relay(f);
	case MSG_KEYD_RELINK:
		return parent_relink(f);
	case MSG_LOG:
		return parent_child_log(c, f);
	case MSG_ACCESS:
		return parent_access(c, f);
	case MSG_RELOAD_DONE:
		if (msg_read(f, MSG_RELOAD_DONE, &done) == -1)
			return -1;
		/* The child's words, quoted and on one line. */
		if (done.failed != 0)
			log_warnx("%s could not apply the reload and says: "
			    "\"%s\"", child_name(c),
			    log_sanitize(why, sizeof(why), done.reason));
		return 0;
	default:
		break;
	}
 hostile:
	log_warnx("unexpected %s from child pid %d",
	    msg_type_name(f->hdr.type), (int)c->pid);
	return -1;
}

/*
 * A child's channel failed.  Its exit will be seen through SIGCHLD; a
 * child that talks nonsense is killed so that it is replaced.
 */
static void
parent_child_closed(struct frame_chan *chan, void *arg)
{
	struct child	*c = arg;

	if (c->pid != 0 && !parent.stopping)
		(void)kill(c->pid, SIGKILL);
	frame_chan_free(c->chan);
	c->chan = NULL;
}

static int
parent_reload(char *why, size_t whylen)
{
	struct tokend_config	*conf;
	struct child		*c;
	char			 setting[512];
	int			 i;

	log_info("reloading %s", parent.conffile);
	if ((conf = parse_config(parent.conffile)) == NULL) {
		(void)strlcpy(why, "configuration has errors, keeping the "
		    "old one", whylen);
		log_warnx("reload failed: %s", why);
		return -1;
	}
	if (config_restart_needed(parent.conf, conf, setting,
	    sizeof(setting))) {
		(void)snprintf(why, whylen, "reload refused: %s changed, "
		    "restart tokend to apply it", setting);
		log_warnx("%s", why);
		config_free(conf);
		return -1;
	}
	if (parent_items_dir(conf, why, whylen) == -1) {
		log_warnx("reload refused: %s", why);
		config_free(conf);
		return -1;
	}
	/* A renewed certificate (certbot, acme-client) comes in here. */
	if (tls_files_load(conf, &parent.tls, setting,
	    sizeof(setting)) == -1) {
		(void)snprintf(why, whylen, "reload refused: %s", setting);
		log_warnx("%s", why);
		config_free(conf);
		return -1;
	}
	/* Edited portal pages come in here. */
	if (portal_files_load(conf, &parent.portal, setting,
	    sizeof(setting)) == -1) {
		(void)snprintf(why, whylen, "reload refused: %s", setting);
		log_warnx("%s", why);
		config_free(conf);
		return -1;
	}
	/* A rotated access log is opened anew; one that fails keeps the old. */
	if (parent_access_open(conf) == -1)
		log_warnx("reload: cannot open the access log %s, %s",
		    conf->access_log, parent.access_fd != -1 ?
		    "writing to the old file" : "no access log");
	config_free(parent.conf);
	parent.conf = conf;
	for (i = 0; (c = parent_child(i)) != NULL; i++)
		if (c->chan != NULL)
			parent_send_config(c, MSG_RELOAD);
	(void)strlcpy(why, "configuration reloaded", whylen);
	log_info("%s", why);
	return 0;
}

/*
 * The directory of the item store, below the item processes' chroot,
 * once there are collections.  The chroot is root's, so the parent
 * makes it: mode 0700, owned by the items user (never the workers').  One that exists already must be
 * just that; another owner or a looser mode is refused, not repaired.
 * Without root the path is used as it is, made if missing.
 */
static int
parent_items_dir(const struct tokend_config *conf, char *why, size_t whylen)
{
	struct privsep_user	 pu;
	struct stat		 st;
	char			 dir[PATH_MAX], *slash;
	int			 made;

	if (TAILQ_EMPTY(&conf->collections) || CONF_DATABASE_PG(conf->items))
		return 0;
	(void)strlcpy(dir, conf->items, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	made = mkdir(dir, 0700) == 0;
	if (!made && errno != EEXIST) {
		(void)snprintf(why, whylen, "items directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		(void)snprintf(why, whylen, "items directory %s: not a "
		    "directory", dir);
		return -1;
	}
	if (!privsep_is_root())
		return 0;
	privsep_lookup(conf->items_user, &pu);
	if (made && chown(dir, pu.uid, pu.gid) == -1) {
		(void)snprintf(why, whylen, "chown %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if ((!made && st.st_uid != pu.uid) || (st.st_mode & 077) != 0) {
		(void)snprintf(why, whylen, "items directory %s must be mode "
		    "0700 and owned by %s", dir, conf->items_user);
		return -1;
	}
	return 0;
}

/* Stop every child: SIGTERM now, SIGKILL after a grace period. */
static void
parent_shutdown(void)
{
	struct child	*c;
	struct timeval	 tv;
	int		 i, alive = 0;

	if (!parent.stopping) {
		parent.stopping = 1;
		tv.tv_sec = TOKEND_STOP_GRACE_MS / 1000;
		tv.tv_usec = (TOKEND_STOP_GRACE_MS % 1000) * 1000;
		parent.ev_kill = evtimer_new(parent.base, parent_kill_cb,
		    NULL);
		if (parent.ev_kill != NULL)
			evtimer_add(parent.ev_kill, &tv);
		for (i = 0; (c = parent_child(i)) != NULL; i++)
			if (c->pid != 0)
				(void)kill(c->pid, SIGTERM);
	}
	for (i = 0; (c = parent_child(i)) != NULL; i++)
		alive += c->pid != 0;
	if (alive == 0) {
		(void)unlink(parent.conf->control);
		log_info("stopped");
		exit(0);
	}
}

static void
parent_kill_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct child	*c;
	int		 i, status;

	log_warnx("children still running after %d ms, killing them",
	    TOKEND_STOP_GRACE_MS);
	for (i = 0; (c = parent_child(i)) != NULL; i++) {
		if (c->pid == 0)
			continue;
		(void)kill(c->pid, SIGKILL);
		(void)waitpid(c->pid, &status, 0);
	}
	(void)unlink(parent.conf->control);
	exit(0);
}

static void
parent_signal(evutil_socket_t sig, short ev, void *arg)
{
	char	 why[256];

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("received signal %d, stopping", (int)sig);
		notify_send("STOPPING=1");
		parent_shutdown();
		break;
	case SIGHUP:
		notify_send("RELOADING=1");
		(void)parent_reload(why, sizeof(why));
		notify_send("READY=1");
		break;
	case SIGCHLD:
		parent_sigchld();
		break;
	}
}

static void
control_accept(evutil_socket_t lfd, short ev, void *arg)
{
	struct frame_chan	*chan;
	uid_t			 uid;
	gid_t			 gid;
	int			 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("control accept");
		return;
	}
	if (getpeereid(fd, &uid, &gid) == -1 ||
	    (uid != 0 && uid != geteuid())) {
		log_warnx("control connection from uid %d refused", (int)uid);
		close(fd);
		return;
	}
	chan = frame_chan_new(parent.base, fd, PROTO_CTL_MAX,
	    control_dispatch, control_closed, NULL, "control");
	if (chan == NULL) {
		log_warn("control channel");
		close(fd);
	}
}

static int
control_unexpected(struct frame *f)
{
	log_warnx("unexpected %s on the control socket",
	    msg_type_name(f->hdr.type));
	return -1;
}

static int
control_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	char			 text[2048];
	uint32_t		 status = 0;

	if (!msg_allowed(f->hdr.type, PEER_CTL, PEER_PARENT))
		return control_unexpected(f);
	if (f->hdr.type == MSG_CTL_ADMIN)
		return control_forward(chan, f);
	if (msg_read(f, f->hdr.type, NULL) == -1)
		return -1;
	switch (f->hdr.type) {
	case MSG_CTL_RELOAD:
		notify_send("RELOADING=1");
		status = parent_reload(text, sizeof(text)) == -1;
		notify_send("READY=1");
		break;
	case MSG_CTL_STATUS:
		control_status(text, sizeof(text));
		break;
	default:
		return control_unexpected(f);
	}
	control_reply(chan, f->hdr.id, status, text);
	return 0;
}

static void
control_reply(struct frame_chan *chan, uint32_t id, uint32_t status,
    const char *text)
{
	struct msg_ctl_result	 m;

	m.failed = status;
	m.text = text;
	(void)msg_send(chan, MSG_CTL_RESULT, id, -1, &m);
}

/*
 * User and session administration is keyd's business: the parent passes
 * the request on without reading it and relays the answer.
 */
static int
control_forward(struct frame_chan *chan, struct frame *f)
{
	struct forward	*fw;

	if (parent.keyd.chan == NULL || !parent.keyd.ready) {
		control_reply(chan, f->hdr.id, 1, "keyd is not running");
		return 0;
	}
	if ((fw = calloc(1, sizeof(*fw))) == NULL)
		fatal("calloc");
	fw->id = ++parent.next_forward;
	fw->ctl_id = f->hdr.id;
	fw->ctl = chan;
	if (frame_send(parent.keyd.chan, MSG_CTL_ADMIN, fw->id, -1, f->data,
	    f->hdr.len) == -1) {
		free(fw);
		control_reply(chan, f->hdr.id, 1, "keyd is not reachable");
		return 0;
	}
	TAILQ_INSERT_TAIL(&parent.forwards, fw, entry);
	return 0;
}

/* keyd's answer to a forwarded request goes back to its tokenctl. */
static int
control_relay(struct frame *f)
{
	struct forward	*fw;

	TAILQ_FOREACH(fw, &parent.forwards, entry)
		if (fw->id == f->hdr.id)
			break;
	if (fw == NULL) {
		log_warnx("keyd answered request %u that nobody asked",
		    f->hdr.id);
		return -1;
	}
	TAILQ_REMOVE(&parent.forwards, fw, entry);
	if (fw->ctl != NULL)
		(void)frame_send(fw->ctl, MSG_CTL_RESULT, fw->ctl_id, -1,
		    f->data, f->hdr.len);
	free(fw);
	return 0;
}

/* keyd died: whatever it was asked will not be answered. */
static void
control_fail_forwards(void)
{
	struct forward	*fw;

	while ((fw = TAILQ_FIRST(&parent.forwards)) != NULL) {
		TAILQ_REMOVE(&parent.forwards, fw, entry);
		if (fw->ctl != NULL)
			control_reply(fw->ctl, fw->ctl_id, 1,
			    "keyd exited before answering");
		free(fw);
	}
}

static void
control_closed(struct frame_chan *chan, void *arg)
{
	struct forward	*fw;

	TAILQ_FOREACH(fw, &parent.forwards, entry)
		if (fw->ctl == chan)
			fw->ctl = NULL;
	frame_chan_free(chan);
}

static void
control_status(char *buf, size_t len)
{
	struct child	*c;
	char		 line[128];
	int		 i;

	(void)snprintf(buf, len, "parent pid %d\nkeyd pid %d%s\n",
	    (int)getpid(), (int)parent.keyd.pid,
	    parent.keyd.ready ? "" : " (starting)");
	for (i = 1; (c = parent_child(i)) != NULL; i++) {
		(void)snprintf(line, sizeof(line), "%s pid %d%s\n",
		    child_name(c), (int)c->pid, c->ready ? "" : " (starting)");
		(void)strlcat(buf, line, len);
	}
}
