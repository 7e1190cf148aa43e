/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * keyd: started by the tokend parent with its channel on descriptor 3.
 * It loads the signing secret, opens the credential database, chroots,
 * drops to its own user and then answers requests from the workers over
 * one channel per worker.  Every worker is treated as hostile: a
 * malformed or unexpected message closes that worker's channel.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "hash.h"
#include "keyd.h"
#include "log.h"
#include "privsep.h"
#include "proto.h"
#include "sandbox.h"
#include "sign.h"
#include "ticket.h"

static void	 usage(void) __attribute__((__noreturn__));
static void	 keyd_prepare_dbdir(const struct tokend_config *,
		    const struct privsep_user *);
static int	 keyd_parent_dispatch(struct frame_chan *, struct frame *,
		    void *);
static void	 keyd_parent_closed(struct frame_chan *, void *);
static int	 keyd_channel_add(struct frame_chan *, struct frame *);
static int	 keyd_channel_drop(struct frame *);
static int	 keyd_items_key(struct frame_chan *, struct frame *);
static void	 keyd_channel_free(struct keyd_chan *);
static void	 keyd_channel_stalled(struct keyd_chan *);
static int	 keyd_server_dispatch(struct frame_chan *, struct frame *,
		    void *);
static void	 keyd_server_closed(struct frame_chan *, void *);
static void	 keyd_reload(struct frame *, void *);
static void	 keyd_signal(evutil_socket_t, short, void *);
static void	 keyd_hash_start(void);
static void	 keyd_hash_params(const struct tokend_config *);

/*
 * What keyd answers: every message proto.h declares with a keyd handler
 * (K), and only from the peer it declares (msg_allowed()): the workers'
 * requests, and tokenctl's MSG_CTL_ADMIN from the parent.  Anything else
 * is hostile.
 */
#define KEYD_REQUEST_ROW(s, handler)	[s] = handler,
#define KEYD_REQUEST(T, n)						\
	MSG_DECL_##T(MSG_SKIP, KEYD_REQUEST_ROW, MSG_SKIP, MSG_##T)
static keyd_handler *const keyd_requests[MSG_MAX] = {
	MSG_LIST(KEYD_REQUEST)
};

#ifdef TOKEND_SANITIZE
/*
 * make SANITIZE=1: LeakSanitizer's exit-time check must ptrace the
 * process, which a process that changed its user in a chroot cannot
 * allow; it fails and keyd's clean exit would end with status 1.
 * valgrind (make check-valgrind) and the unit tests cover leaks.
 */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

static struct {
	struct tokend_config	*conf;
	struct event_base	*base;
	struct frame_chan	*parent;
	struct keyd_chan	 parent_kc;	/* the parent's, for handlers */
	struct keyd_chan_list	 chans;
	int			 nchans;
	uint64_t		 next_serial;
	struct keyd_secret	 secret;
	uint8_t			 ticket_key[TICKET_KEY_LEN];
} keyd;

/* The key of the accountability tickets (ticket.h); new at each start. */
const uint8_t *
keyd_ticket_key(void)
{
	return keyd.ticket_key;
}

const struct tokend_config *
keyd_conf(void)
{
	return keyd.conf;
}

/*
 * Send a frame to every worker and return once each worker's socket
 * holds it, so that an answer sent afterwards cannot reach a client
 * before the frame can reach any worker (see invalidate.c).  A worker
 * that does not take it within KEYD_PUSH_WAIT_MS in all loses its
 * channel at once.
 */
void
keyd_push(uint32_t type, const struct frame_buf *fb)
{
	struct keyd_chan	*kc;
	int64_t			 start;
	int			 left;

	TAILQ_FOREACH(kc, &keyd.chans, entry)
		if (frame_send_buf(kc->chan, type, 0, -1, fb) == -1)
			frame_chan_shutdown(kc->chan);
	start = now_ms(CLOCK_MONOTONIC);
	TAILQ_FOREACH(kc, &keyd.chans, entry) {
		left = KEYD_PUSH_WAIT_MS -
		    (int)(now_ms(CLOCK_MONOTONIC) - start);
		if (frame_flush_within(kc->chan, left > 0 ? left : 0) == 0)
			continue;
		if (errno == ETIMEDOUT)
			keyd_channel_stalled(kc);
		else
			frame_chan_shutdown(kc->chan);
	}
}

/*
 * A worker that does not read its channel: shut it down, so that the
 * worker forgets what it cached once it reads up to there, and ask the
 * parent for a new channel for it.
 */
static void
keyd_channel_stalled(struct keyd_chan *kc)
{
	struct msg_keyd_relink	 m = { .slot = kc->slot,
				    .generation = kc->generation };

	log_warnx("server %u (pid %u) did not read its channel for %d ms: "
	    "closing it", kc->slot, kc->pid, KEYD_PUSH_WAIT_MS);
	frame_chan_shutdown(kc->chan);
	if (msg_send(keyd.parent, MSG_KEYD_RELINK, 0, -1, &m) == -1)
		log_warn("relink request");
}

/* A worker's channel, if it is still open. */
struct keyd_chan *
keyd_chan_find(uint64_t serial)
{
	struct keyd_chan	*kc;

	TAILQ_FOREACH(kc, &keyd.chans, entry)
		if (kc->serial == serial)
			return kc;
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: keyd [-dv]\n"
	    "keyd is started by tokend(8), not by hand.\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct privsep_user	 pu;
	struct event		*ev_term, *ev_int;
	char			 dbpath[PATH_MAX];
	const char		*root = NULL;
	uint32_t		 slot;
	int			 ch, foreground = 0, verbose = 0;

	privsep_title_init(argc, argv);
	while ((ch = getopt(argc, argv, "dv")) != -1) {
		switch (ch) {
		case 'd':
			foreground = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (argc != optind)
		usage();
	log_init(foreground, LOG_DAEMON);
	log_setverbose(verbose);
	log_procinit("keyd");
	TAILQ_INIT(&keyd.chans);

	keyd.conf = child_receive_config(&slot);
	if (privsep_is_root()) {
		privsep_lookup(keyd.conf->keyd_user, &pu);
		privsep_check_chroot(keyd.conf->keyd_chroot);
		root = keyd.conf->keyd_chroot;
		if (config_path_within(root, keyd.conf->database, dbpath,
		    sizeof(dbpath)) == -1)
			fatalx("database %s is outside %s",
			    keyd.conf->database, root);
	} else if (strlcpy(dbpath, keyd.conf->database, sizeof(dbpath)) >=
	    sizeof(dbpath))
		fatalx("database path too long");
	keyd_prepare_dbdir(keyd.conf, privsep_is_root() ? &pu : NULL);
	if (secret_load(keyd.conf->secret, privsep_is_root() ? pu.uid :
	    geteuid(), privsep_is_root() ? pu.gid : getegid(),
	    &keyd.secret) == -1)
		fatalx("cannot load the signing secret");

	if (sign_init(keyd.secret.key, keyd.secret.len) == -1)
		fatalx("cannot key the token signer");
	arc4random_buf(keyd.ticket_key, sizeof(keyd.ticket_key));
	mail_template_load(keyd.conf->mail_reset_template);

	privsep_drop("-keyd", privsep_is_root() ? &pu : NULL, root);
	if (store_open(dbpath) == -1)
		fatalx("cannot open the credential database %s",
		    keyd.conf->database);

	if ((keyd.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	signal(SIGPIPE, SIG_IGN);
	/* A reload reaches keyd as MSG_RELOAD (see tokend.8, SIGNALS). */
	signal(SIGHUP, SIG_IGN);
	keyd_hash_start();
	if (batch_init(keyd.base) == -1)
		fatalx("cannot set up the group commit");
	mail_init(keyd.base);
	ev_term = evsignal_new(keyd.base, SIGTERM, keyd_signal, NULL);
	ev_int = evsignal_new(keyd.base, SIGINT, keyd_signal, NULL);
	if (ev_term == NULL || ev_int == NULL ||
	    evsignal_add(ev_term, NULL) == -1 ||
	    evsignal_add(ev_int, NULL) == -1)
		fatalx("evsignal_add");
	keyd.parent = frame_chan_new(keyd.base, PROTO_FD_PARENT,
	    PROTO_CHILD_MAX, keyd_parent_dispatch, keyd_parent_closed, NULL,
	    "parent");
	if (keyd.parent == NULL)
		fatal("parent channel");
	keyd.parent_kc.chan = keyd.parent;
	sandbox_enter(SANDBOX_KEYD);
	if (msg_send(keyd.parent, MSG_READY, 0, -1, NULL) == -1)
		fatal("send ready");
	log_debug("ready, schema version %d", store_schema_version());
	event_base_dispatch(keyd.base);
	return 0;
}

/*
 * The chroot is root's; the database lives in a directory below it that
 * belongs to keyd's user, so that SQLite can create its journal files
 * there after the privilege drop.
 */
static void
keyd_prepare_dbdir(const struct tokend_config *conf,
    const struct privsep_user *pu)
{
	char		 dir[PATH_MAX], *slash;
	struct stat	 st;

	if (strlcpy(dir, conf->database, sizeof(dir)) >= sizeof(dir))
		fatalx("database path too long");
	if ((slash = strrchr(dir, '/')) == NULL)
		fatalx("database path %s is not absolute", conf->database);
	*slash = '\0';
	if (strcmp(dir, conf->keyd_chroot) == 0)
		fatalx("database %s must be in a directory below the chroot "
		    "%s", conf->database, conf->keyd_chroot);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		fatal("mkdir %s", dir);
	if (lstat(dir, &st) == -1)
		fatal("%s", dir);
	if (!S_ISDIR(st.st_mode))
		fatalx("%s is not a directory", dir);
	if (pu != NULL && st.st_uid != pu->uid &&
	    chown(dir, pu->uid, pu->gid) == -1)
		fatal("chown %s", dir);
	if ((st.st_mode & 077) != 0 && chmod(dir, 0700) == -1)
		fatal("chmod %s", dir);
}

static int
keyd_parent_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	batch_commit();
	if (!msg_allowed(f->hdr.type, PEER_PARENT, PEER_KEYD))
		goto hostile;
	if (keyd_requests[f->hdr.type] != NULL)
		return keyd_requests[f->hdr.type](&keyd.parent_kc, f);
	switch (f->hdr.type) {
	case MSG_KEYD_CHANNEL:
		return keyd_channel_add(chan, f);
	case MSG_KEYD_DROP:
		return keyd_channel_drop(f);
	case MSG_KEYD_ITEMS:
		return keyd_items_key(chan, f);
	case MSG_KEYD_MAIL:
		return mail_channel(chan, f);
	default:
		return child_parent_message(f, keyd.base, keyd_reload, NULL);
	}
 hostile:
	log_warnx("unexpected %s from the parent", msg_type_name(f->hdr.type));
	return -1;
}

static void
keyd_parent_closed(struct frame_chan *chan, void *arg)
{
	log_warnx("lost the parent, exiting");
	hash_pool_shutdown();
	sign_free();
	store_close();
	secret_free(&keyd.secret);
	explicit_bzero(keyd.ticket_key, sizeof(keyd.ticket_key));
	exit(0);
}

/* A worker's channel, handed over by the parent. */
static int
keyd_channel_add(struct frame_chan *parent, struct frame *f)
{
	struct msg_keyd_channel	 m;
	struct keyd_chan	*kc;
	int			 fd;

	if (msg_read(f, MSG_KEYD_CHANNEL, &m) == -1 ||
	    (fd = frame_chan_takefd(parent)) == -1)
		return -1;
	if (keyd.nchans >= KEYD_CHANNELS_MAX * 2) {
		log_warnx("too many worker channels");
		close(fd);
		return 0;
	}
	if ((kc = calloc(1, sizeof(*kc))) == NULL)
		fatal("calloc");
	kc->serial = ++keyd.next_serial;
	kc->slot = m.slot;
	kc->generation = m.generation;
	kc->pid = m.pid;
	kc->chan = frame_chan_new(keyd.base, fd, PROTO_KEYD_MAX,
	    keyd_server_dispatch, keyd_server_closed, kc, "server");
	if (kc->chan == NULL)
		fatal("worker channel");
	TAILQ_INSERT_TAIL(&keyd.chans, kc, entry);
	keyd.nchans++;
	log_debug("channel for server %u (pid %u) added", m.slot, m.pid);
	return 0;
}

static int
keyd_channel_drop(struct frame *f)
{
	struct msg_keyd_drop	 m;
	struct keyd_chan	*kc, *next;

	if (msg_read(f, MSG_KEYD_DROP, &m) == -1)
		return -1;
	TAILQ_FOREACH_SAFE(kc, &keyd.chans, entry, next)
		if (kc->slot == m.slot && kc->generation == m.generation)
			keyd_channel_free(kc);
	return 0;
}

/*
 * An item process's key channel, handed over by the parent: keyd writes
 * the ticket key on it, once, and closes it.  The socket is new and
 * empty, so the write of one small frame cannot block.
 */
static int
keyd_items_key(struct frame_chan *parent, struct frame *f)
{
	struct msg_keyd_items	 m;
	struct msg_ticket_key	 k;
	struct frame_buf	 fb;
	int			 fd;

	if (msg_read(f, MSG_KEYD_ITEMS, &m) == -1 ||
	    (fd = frame_chan_takefd(parent)) == -1)
		return -1;
	k.key = keyd.ticket_key;
	k.key_len = sizeof(keyd.ticket_key);
	if (msg_write(&fb, MSG_TICKET_KEY, &k) == -1 ||
	    frame_write_blocking(fd, MSG_TICKET_KEY, 0, -1, fb.data,
	    fb.len) == -1)
		log_warn("ticket key to items %u", m.slot);
	else
		log_debug("ticket key sent to items %u", m.slot);
	if (fb.data != NULL)
		explicit_bzero(fb.data, fb.len);
	frame_buf_free(&fb);
	close(fd);
	return 0;
}

static void
keyd_channel_free(struct keyd_chan *kc)
{
	TAILQ_REMOVE(&keyd.chans, kc, entry);
	keyd.nchans--;
	frame_chan_free(kc->chan);
	free(kc);
}

static int
keyd_server_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	struct keyd_chan	*kc = arg;

	/* Only refreshes join an open group commit (batch.c). */
	if (f->hdr.type != MSG_REFRESH)
		batch_commit();
	if (msg_allowed(f->hdr.type, PEER_SERVER, PEER_KEYD) &&
	    keyd_requests[f->hdr.type] != NULL)
		return keyd_requests[f->hdr.type](kc, f);
	log_warnx("server %u (pid %u) sent %s: closing its channel",
	    kc->slot, kc->pid, msg_type_name(f->hdr.type));
	return -1;
}

static void
keyd_server_closed(struct frame_chan *chan, void *arg)
{
	struct keyd_chan	*kc = arg;

	log_debug("channel of server %u (pid %u) closed", kc->slot, kc->pid);
	keyd_channel_free(kc);
}

/* MSG_HEALTH: answers with what works. */
int
keyd_health(struct keyd_chan *kc, struct frame *f)
{
	struct msg_health_result	 m = { 0 };

	if (msg_read(f, MSG_HEALTH, NULL) == -1)
		return -1;
	if (store_health() == 0)
		m.flags |= HEALTH_DB_OK;
	if (keyd.secret.key != NULL && keyd.secret.len >= KEYD_SECRET_MIN)
		m.flags |= HEALTH_SECRET_OK;
	m.detail = (m.flags & HEALTH_DB_OK) ? "ok" : "database unreachable";
	if (msg_send(kc->chan, MSG_HEALTH_RESULT, f->hdr.id, -1, &m) == -1)
		log_warn("health answer to server %u", kc->slot);
	return 0;
}

static void
keyd_hash_params(const struct tokend_config *conf)
{
	struct hash_params	 hp;

	hp.m_kib = (uint32_t)conf->hash_memory;
	hp.t = (uint32_t)conf->hash_iterations;
	hp.p = (uint32_t)conf->hash_parallelism;
	hash_set_params(&hp);
}

/* The hashing pool: threads and queue are fixed until a restart. */
static void
keyd_hash_start(void)
{
	struct hash_params	 hp;

	hp.m_kib = (uint32_t)keyd.conf->hash_memory;
	hp.t = (uint32_t)keyd.conf->hash_iterations;
	hp.p = (uint32_t)keyd.conf->hash_parallelism;
	if (hash_pool_init(keyd.base, keyd.conf->hash_threads,
	    keyd.conf->hash_queue, &hp) == -1)
		fatalx("cannot start the password hashing threads");
}

/* A reload changes TTLs, login limits and the parameters of new hashes. */
static void
keyd_reload(struct frame *f, void *unused)
{
	struct tokend_config	*conf;
	const char		*why = NULL;

	if ((conf = child_config_from_frame(f)) == NULL) {
		why = "bad configuration from the parent";
		log_warnx("%s", why);
	} else {
		config_free(keyd.conf);
		keyd.conf = conf;
		keyd_hash_params(conf);
		/* Roles, and so what the workers cached, may have changed. */
		invalidate_all();
	}
	child_reload_done(keyd.parent, why);
}

static void
keyd_signal(evutil_socket_t sig, short ev, void *arg)
{
	log_debug("signal %d, exiting", (int)sig);
	hash_pool_shutdown();
	sign_free();
	store_close();
	secret_free(&keyd.secret);
	explicit_bzero(keyd.ticket_key, sizeof(keyd.ticket_key));
	exit(0);
}
