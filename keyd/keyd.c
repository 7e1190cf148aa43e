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

static void	 usage(void) __attribute__((__noreturn__));
static void	 keyd_prepare_dbdir(const struct tokend_config *,
		    const struct privsep_user *);
static int	 keyd_parent_dispatch(struct frame_chan *, struct frame *,
		    void *);
static void	 keyd_parent_closed(struct frame_chan *, void *);
static int	 keyd_channel_add(struct frame_chan *, struct frame *);
static int	 keyd_channel_drop(struct frame *);
static void	 keyd_channel_free(struct keyd_chan *);
static void	 keyd_channel_stalled(struct keyd_chan *);
static int	 keyd_server_dispatch(struct frame_chan *, struct frame *,
		    void *);
static void	 keyd_server_closed(struct frame_chan *, void *);
static int	 keyd_health(struct keyd_chan *, struct frame *);
static void	 keyd_reload(struct frame *);
static void	 keyd_signal(evutil_socket_t, short, void *);
static void	 keyd_hash_start(void);
static void	 keyd_hash_params(const struct tokend_config *);

/* What keyd answers, and to whom.  Anything else is hostile. */
static const struct keyd_request keyd_requests[] = {
	{ MSG_HEALTH,		KEYD_FROM_SERVER,	keyd_health },
	{ MSG_AUTH,		KEYD_FROM_SERVER,	auth_verify },
	{ MSG_LOGIN,		KEYD_FROM_SERVER,	auth_login },
	{ MSG_REFRESH,		KEYD_FROM_SERVER,	auth_refresh },
	{ MSG_LOGOUT,		KEYD_FROM_SERVER,	auth_logout },
	{ MSG_USER_GET,		KEYD_FROM_SERVER,	user_get },
	{ MSG_USER_UPDATE,	KEYD_FROM_SERVER,	user_update },
	{ MSG_USERS,		KEYD_FROM_SERVER,	users_request },
};

static struct {
	struct tokend_config	*conf;
	struct event_base	*base;
	struct frame_chan	*parent;
	struct keyd_chan_list	 chans;
	int			 nchans;
	uint64_t		 next_serial;
	struct keyd_secret	 secret;
} keyd;

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
	struct timespec		 start, now;
	int			 left;

	TAILQ_FOREACH(kc, &keyd.chans, entry)
		if (frame_send_buf(kc->chan, type, 0, -1, fb) == -1)
			frame_chan_shutdown(kc->chan);
	clock_gettime(CLOCK_MONOTONIC, &start);
	TAILQ_FOREACH(kc, &keyd.chans, entry) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = KEYD_PUSH_WAIT_MS - (int)((now.tv_sec -
		    start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) /
		    1000000);
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
	struct frame_buf	 fb;

	log_warnx("server %u (pid %u) did not read its channel for %d ms: "
	    "closing it", kc->slot, kc->pid, KEYD_PUSH_WAIT_MS);
	frame_chan_shutdown(kc->chan);
	frame_buf_init(&fb, 16);
	frame_buf_u32(&fb, kc->slot);
	frame_buf_u32(&fb, kc->generation);
	if (frame_send_buf(keyd.parent, MSG_KEYD_RELINK, 0, -1, &fb) == -1)
		log_warn("relink request");
	frame_buf_free(&fb);
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

	privsep_drop("-keyd", privsep_is_root() ? &pu : NULL, root);
	if (store_open(dbpath) == -1)
		fatalx("cannot open the credential database %s",
		    keyd.conf->database);

	if ((keyd.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	signal(SIGPIPE, SIG_IGN);
	keyd_hash_start();
	if (batch_init(keyd.base) == -1)
		fatalx("cannot set up the group commit");
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
	sandbox_enter(SANDBOX_KEYD);
	if (frame_send(keyd.parent, MSG_READY, 0, -1, NULL, 0) == -1)
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
	switch (f->hdr.type) {
	case MSG_KEYD_CHANNEL:
		return keyd_channel_add(chan, f);
	case MSG_KEYD_DROP:
		return keyd_channel_drop(f);
	case MSG_CTL_ADMIN:
		return admin_request(chan, f);
	case MSG_RELOAD:
		keyd_reload(f);
		return 0;
	case MSG_SHUTDOWN:
		event_base_loopbreak(keyd.base);
		return 0;
	default:
		log_warnx("unexpected %s from the parent",
		    msg_type_name(f->hdr.type));
		return -1;
	}
}

static void
keyd_parent_closed(struct frame_chan *chan, void *arg)
{
	log_warnx("lost the parent, exiting");
	hash_pool_shutdown();
	sign_free();
	store_close();
	secret_free(&keyd.secret);
	exit(0);
}

/* A worker's channel, handed over by the parent. */
static int
keyd_channel_add(struct frame_chan *parent, struct frame *f)
{
	struct frame_rd		 rd;
	struct keyd_chan	*kc;
	uint32_t		 slot, gen, pid;
	int			 fd;

	frame_rd_init(&rd, f);
	if (frame_rd_u32(&rd, &slot) == -1 || frame_rd_u32(&rd, &gen) == -1 ||
	    frame_rd_u32(&rd, &pid) == -1 || frame_rd_end(&rd) == -1 ||
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
	kc->slot = slot;
	kc->generation = gen;
	kc->pid = pid;
	kc->chan = frame_chan_new(keyd.base, fd, PROTO_KEYD_MAX,
	    keyd_server_dispatch, keyd_server_closed, kc, "server");
	if (kc->chan == NULL)
		fatal("worker channel");
	TAILQ_INSERT_TAIL(&keyd.chans, kc, entry);
	keyd.nchans++;
	log_debug("channel for server %u (pid %u) added", slot, pid);
	return 0;
}

static int
keyd_channel_drop(struct frame *f)
{
	struct frame_rd		 rd;
	struct keyd_chan	*kc, *next;
	uint32_t		 slot, gen;

	frame_rd_init(&rd, f);
	if (frame_rd_u32(&rd, &slot) == -1 || frame_rd_u32(&rd, &gen) == -1 ||
	    frame_rd_end(&rd) == -1)
		return -1;
	TAILQ_FOREACH_SAFE(kc, &keyd.chans, entry, next)
		if (kc->slot == slot && kc->generation == gen)
			keyd_channel_free(kc);
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
	size_t			 i;

	/* Only refreshes join an open group commit (batch.c). */
	if (f->hdr.type != MSG_REFRESH)
		batch_commit();
	for (i = 0; i < sizeof(keyd_requests) / sizeof(keyd_requests[0]);
	    i++) {
		if (keyd_requests[i].type != f->hdr.type)
			continue;
		if ((keyd_requests[i].from & KEYD_FROM_SERVER) == 0)
			break;
		return keyd_requests[i].handler(kc, f);
	}
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

/* MSG_HEALTH: no payload; answers with what works. */
static int
keyd_health(struct keyd_chan *kc, struct frame *f)
{
	struct frame_rd		 rd;
	struct frame_buf	 fb;
	uint32_t		 flags = 0;

	frame_rd_init(&rd, f);
	if (frame_rd_end(&rd) == -1)
		return -1;
	if (store_health() == 0)
		flags |= HEALTH_DB_OK;
	if (keyd.secret.key != NULL && keyd.secret.len >= KEYD_SECRET_MIN)
		flags |= HEALTH_SECRET_OK;
	frame_buf_init(&fb, 256);
	frame_buf_u32(&fb, flags);
	frame_buf_str(&fb, (flags & HEALTH_DB_OK) ? "ok" :
	    "database unreachable");
	if (frame_send_buf(kc->chan, MSG_HEALTH_RESULT, f->hdr.id, -1,
	    &fb) == -1)
		log_warn("health answer to server %u", kc->slot);
	frame_buf_free(&fb);
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
keyd_reload(struct frame *f)
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
	exit(0);
}
