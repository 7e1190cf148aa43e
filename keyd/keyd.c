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

#include <openssl/evp.h>

#include "hash.h"
#include "keyd.h"
#include "log.h"
#include "metrics.h"
#include "privsep.h"
#include "proto.h"
#include "pushgen.h"
#include "sandbox.h"
#include "sign.h"
#include "ticket.h"
#include "verify.h"

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
static void	 keyd_chan_forget(struct keyd_chan *);
static void	 keyd_push_schedule(void);
static int	 keyd_push_hold(struct frame_chan *, uint32_t, uint32_t,
		    const void *, size_t, void *);
static int	 keyd_push_held(uint64_t);
static void	 keyd_push_progress(struct keyd_chan *);
static void	 keyd_push_release(struct keyd_chan *);
static void	 keyd_push_tick(evutil_socket_t, short, void *);
static void	 keyd_push_log(struct keyd_chan *);
static int	 keyd_server_dispatch(struct frame_chan *, struct frame *,
		    void *);
static void	 keyd_server_closed(struct frame_chan *, void *);
struct keyd_job;
static int	 keyd_request(struct keyd_chan *, struct frame *);
static int	 keyd_request_run(struct keyd_chan *, struct frame *,
		    const struct keyd_job *);
static int	 keyd_request_cred(const struct frame *, struct msg_cred *);
static int	 keyd_verify_first(struct keyd_chan *, struct frame *);
static void	 keyd_verified(enum verify_verdict, uint64_t, void *);
static struct keyd_job *keyd_job_new(struct keyd_chan *, struct frame *);
static void	 keyd_job_run(void *);
static void	 keyd_job_post(struct keyd_job *);
static int	 keyd_request_reads(const struct frame *);
static void	 keyd_push_swap(uint64_t *);

/* A request copied for the fiber (PostgreSQL). */
struct keyd_job {
	uint64_t		 serial;	/* 0: the parent's */
	enum verify_verdict	 verdict;	/* of the pool, on its cred */
	uint64_t		 gen;		/* of the keys it holds for */
	struct frame		 f;
	uint8_t			 data[];
};
static void	 keyd_reload(struct frame *, void *);
static void	 keyd_signal(evutil_socket_t, short, void *);
static void	 keyd_hash_start(void);
static void	 keyd_verify_start(void);
static void	 keyd_metrics(void);
static void	 keyd_hash_params(const struct tokend_config *);
static void	 keyd_signing(const char *, uid_t, gid_t);
static void	 keyd_rotated(const char *, const char *, uid_t, gid_t);
static int	 keyd_keys_write(struct frame_buf *);

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
	uint8_t			 refresh_key[KEYD_REFRESH_KEY_LEN];
	uint64_t		 push_seq;	/* invalidations sent so far */
	uint64_t		 push_open;	/* the next answer waits for it */
	int			 pushing;	/* keyd's own frames: not held */
	struct event		*push_ev;
	struct pushgen		*pushgen;	/* moved on once pushed */
} keyd;

/* The key of the accountability tickets (ticket.h); new at each start. */
const uint8_t *
keyd_ticket_key(void)
{
	return keyd.ticket_key;
}

/* The key of the refresh tokens' MACs (auth.c), from the secret. */
const uint8_t *
keyd_refresh_key(void)
{
	return keyd.refresh_key;
}

const struct tokend_config *
keyd_conf(void)
{
	return keyd.conf;
}

/*
 * Send a frame (an invalidation) to every worker without waiting for
 * any, such that no client can read the answer to the change before
 * every worker's socket holds the frame (see invalidate.c).  A socket
 * that takes it at once needs nothing more.  Otherwise the frame waits
 * in that worker's output (an honest worker may just be behind with
 * large answers), push number seq is remembered with the offset where
 * it ends, and the next answer keyd sends, the answer to the change, is
 * held (keyd_push_hold()) until every worker's socket holds push seq
 * (keyd_push_tick()).  A worker over the output cap, or KEYD_PUSH_MARKS
 * invalidations behind, or whose socket has not taken an invalidation
 * KEYD_PUSH_WAIT_MS after it was sent, loses its channel instead.
 * Either way keyd's loop never waits for one worker, the other answers
 * to every worker go on, and a held answer waits at most that long.
 */
void
keyd_push(uint32_t type, const struct frame_buf *fb)
{
	struct keyd_chan	*kc;
	uint64_t		 seq = ++keyd.push_seq;
	int			 late = 0, pushing = keyd.pushing;

	keyd.pushing = 1;
	TAILQ_FOREACH(kc, &keyd.chans, entry) {
		if (frame_send_buf(kc->chan, type, 0, -1, fb) == -1) {
			frame_chan_shutdown(kc->chan);
			keyd_chan_forget(kc);
		} else if (frame_chan_queued(kc->chan) == 0)
			continue;
		else if (frame_chan_queued(kc->chan) > KEYD_OUT_HIGH ||
		    kc->nmarks == KEYD_PUSH_MARKS)
			keyd_channel_stalled(kc);
		else {
			kc->marks[kc->nmarks].seq = seq;
			kc->marks[kc->nmarks].at = now_ms(CLOCK_MONOTONIC);
			kc->marks[kc->nmarks++].mark =
			    frame_chan_sent(kc->chan) +
			    frame_chan_queued(kc->chan);
			late = 1;
		}
	}
	keyd.pushing = pushing;
	/* Every socket that took it holds it now (pushgen.h). */
	pushgen_bump(keyd.pushgen);
	if (late) {
		keyd.push_open = seq;
		keyd_push_schedule();
	}
}

/* The push the answer being made must wait for (0: none), for batch.c. */
uint64_t
keyd_push_pending(void)
{
	return keyd.push_open;
}

/* Make the next answer wait for push seq (0: send it as it comes). */
void
keyd_push_resume(uint64_t seq)
{
	keyd.push_open = seq;
}

static void
keyd_push_schedule(void)
{
	struct timeval	 tv = { 0, KEYD_PUSH_TICK_MS * 1000 };

	if (!evtimer_pending(keyd.push_ev, NULL) &&
	    evtimer_add(keyd.push_ev, &tv) == -1)
		fatalx("evtimer_add");
}

/*
 * frame_send()'s hook on every worker's channel and the parent's: the
 * first frame keyd sends after a push that a worker does not hold yet
 * is the answer to the change; hold it.  Only the answers to changes
 * are ever held, never one a worker caches (MSG_AUTH and MSG_USER_GET
 * change nothing), so the frames that pass it meanwhile, invalidations
 * included, may: a worker matches answers by id.  The answers held for
 * one channel count against its cap.
 */
static int
keyd_push_hold(struct frame_chan *chan, uint32_t type, uint32_t id,
    const void *data, size_t len, void *arg)
{
	struct keyd_chan	*kc = arg;
	struct keyd_held	*h;
	uint64_t		 wait = keyd.push_open;

	if (keyd.pushing || wait == 0)
		return 0;
	keyd.push_open = 0;
	if (keyd_push_held(wait))
		return 0;
	if (kc != &keyd.parent_kc &&
	    kc->held_bytes + len + frame_chan_queued(chan) > KEYD_OUT_HIGH) {
		keyd_channel_stalled(kc);
		return 1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		fatal("calloc");
	h->wait = wait;
	h->type = type;
	h->id = id;
	frame_buf_init(&h->fb, len);
	if (frame_buf_bytes(&h->fb, data, len) == -1)
		fatalx("out of memory for a held answer");
	TAILQ_INSERT_TAIL(&kc->held, h, entry);
	kc->held_bytes += len;
	keyd_push_schedule();
	return 1;
}

/* Does every worker's socket hold push seq (or end)? */
static int
keyd_push_held(uint64_t seq)
{
	struct keyd_chan	*kc;

	TAILQ_FOREACH(kc, &keyd.chans, entry)
		if (kc->nmarks > 0 && kc->marks[0].seq <= seq)
			return 0;
	return 1;
}

/* Drop the marks of the invalidations a worker's socket took. */
static void
keyd_push_progress(struct keyd_chan *kc)
{
	uint64_t	 sent = frame_chan_sent(kc->chan);
	size_t		 n = 0;

	while (n < kc->nmarks && kc->marks[n].mark <= sent)
		n++;
	if (n == 0)
		return;
	memmove(kc->marks, kc->marks + n,
	    (kc->nmarks - n) * sizeof(kc->marks[0]));
	kc->nmarks -= n;
	/* Before any answer these pushes held is released. */
	pushgen_bump(keyd.pushgen);
}

/* Send the held answers whose push every worker holds now, in order. */
static void
keyd_push_release(struct keyd_chan *kc)
{
	struct keyd_held	*h;
	int			 pushing = keyd.pushing;

	keyd.pushing = 1;
	while ((h = TAILQ_FIRST(&kc->held)) != NULL &&
	    keyd_push_held(h->wait)) {
		TAILQ_REMOVE(&kc->held, h, entry);
		kc->held_bytes -= h->fb.len;
		if (frame_send_buf(kc->chan, h->type, h->id, -1,
		    &h->fb) == -1)
			log_debug("held answer to server %u dropped",
			    kc->slot);
		frame_buf_free(&h->fb);
		free(h);
	}
	keyd.pushing = pushing;
}

/*
 * Every KEYD_PUSH_TICK_MS while an invalidation or an answer waits:
 * note what the sockets took, close the channels of the workers whose
 * socket has not taken an invalidation KEYD_PUSH_WAIT_MS after it was
 * sent, and send the held answers that may go.
 */
static void
keyd_push_tick(evutil_socket_t fd, short events, void *arg)
{
	struct keyd_chan	*kc;
	int64_t			 now = now_ms(CLOCK_MONOTONIC);
	int			 waiting = 0;

	TAILQ_FOREACH(kc, &keyd.chans, entry) {
		keyd_push_progress(kc);
		if (kc->nmarks > 0 && now - kc->marks[0].at >=
		    KEYD_PUSH_WAIT_MS)
			keyd_channel_stalled(kc);
	}
	keyd_push_release(&keyd.parent_kc);
	waiting = !TAILQ_EMPTY(&keyd.parent_kc.held);
	TAILQ_FOREACH(kc, &keyd.chans, entry) {
		keyd_push_release(kc);
		waiting |= kc->nmarks > 0 || !TAILQ_EMPTY(&kc->held);
	}
	if (waiting)
		keyd_push_schedule();
}

/* A channel that is shut: nothing it holds waits any more. */
static void
keyd_chan_forget(struct keyd_chan *kc)
{
	struct keyd_held	*h;

	kc->nmarks = 0;
	while ((h = TAILQ_FIRST(&kc->held)) != NULL) {
		TAILQ_REMOVE(&kc->held, h, entry);
		frame_buf_free(&h->fb);
		free(h);
	}
	kc->held_bytes = 0;
}

/*
 * A worker that does not read its channel: shut it down, so that the
 * worker forgets what it cached once it reads up to there, and ask the
 * parent for a new channel for it.  The shutdown takes effect at once:
 * the worker's next read finds the end of what its socket holds.
 */
static void
keyd_channel_stalled(struct keyd_chan *kc)
{
	struct msg_keyd_relink	 m = { .slot = kc->slot,
				    .generation = kc->generation };
	int			 pushing = keyd.pushing;

	keyd_push_log(kc);
	frame_chan_shutdown(kc->chan);
	keyd_chan_forget(kc);
	pushgen_bump(keyd.pushgen);	/* the worker reads the end */
	keyd.pushing = 1;
	if (msg_send(keyd.parent, MSG_KEYD_RELINK, 0, -1, &m) == -1)
		log_warn("relink request");
	keyd.pushing = pushing;
}

/*
 * Why a worker lost its channel, at most once a second (a worker that
 * gets a new channel and stalls again does not flood the log); the
 * next line counts the ones left out.
 */
static void
keyd_push_log(struct keyd_chan *kc)
{
	static int64_t	 last;
	static unsigned	 skipped;
	int64_t		 now = now_ms(CLOCK_MONOTONIC);

	if (last != 0 && now - last < 1000) {
		skipped++;
		return;
	}
	if (skipped > 0)
		log_warnx("%u more worker channels closed in the last "
		    "second", skipped);
	log_warnx("server %u (pid %u) did not read its channel "
	    "(%zu bytes queued): closing it", kc->slot, kc->pid,
	    frame_chan_queued(kc->chan));
	last = now;
	skipped = 0;
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

/*
 * The parent's metrics area (PROTO_FD_METRICS), mapped before the
 * sandbox: keyd writes the depth of its hashing queue there.  Without
 * it (keyd started by hand), there are no metrics.  And the push
 * generation (PROTO_FD_PUSHGEN), writable: without it the workers
 * read their channel before every answer from the cache.
 */
static void
keyd_metrics(void)
{
	struct metrics_area	*m;

	if ((m = metrics_attach(PROTO_FD_METRICS)) != NULL) {
		hash_pool_gauge(&m->hash_queue);
		(void)close(PROTO_FD_METRICS);
	}
	if ((keyd.pushgen = pushgen_attach(PROTO_FD_PUSHGEN, 1)) != NULL)
		(void)close(PROTO_FD_PUSHGEN);
}

int
main(int argc, char *argv[])
{
	struct privsep_user	 pu;
	char			 dbpath[PATH_MAX];
	const char		*root = NULL;
	uint32_t		 slot;
	int			 ch, foreground = 0, verbose = 0, version;

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
	child_log_init(foreground);
	log_setverbose(verbose);
	log_procinit("keyd");
	TAILQ_INIT(&keyd.chans);

	keyd.conf = child_receive_config(&slot);
	if (privsep_is_root()) {
		privsep_lookup(keyd.conf->keyd_user, &pu);
		privsep_check_chroot(keyd.conf->keyd_chroot);
		root = keyd.conf->keyd_chroot;
	}
	/* A PostgreSQL URI is handed to libpq as it is: no file here. */
	if (CONF_DATABASE_PG(keyd.conf->database)) {
		if (strlcpy(dbpath, keyd.conf->database, sizeof(dbpath)) >=
		    sizeof(dbpath))
			fatalx("database URI too long");
	} else if (root != NULL) {
		if (config_path_within(root, keyd.conf->database, dbpath,
		    sizeof(dbpath)) == -1)
			fatalx("database %s is outside %s",
			    keyd.conf->database, root);
	} else if (strlcpy(dbpath, keyd.conf->database, sizeof(dbpath)) >=
	    sizeof(dbpath))
		fatalx("database path too long");
	if (!CONF_DATABASE_PG(keyd.conf->database))
		keyd_prepare_dbdir(keyd.conf, privsep_is_root() ? &pu : NULL);
	if (secret_load(keyd.conf->secret, privsep_is_root() ? pu.uid :
	    geteuid(), privsep_is_root() ? pu.gid : getegid(),
	    &keyd.secret) == -1)
		fatalx("cannot load the signing secret");
	secret_refresh_key(&keyd.secret, keyd.refresh_key);
	auth_init();

	keyd_signing(dbpath, privsep_is_root() ? pu.uid : geteuid(),
	    privsep_is_root() ? pu.gid : getegid());
	if (tfa_init(keyd.conf->tfa_key, privsep_is_root() ? pu.uid :
	    geteuid(), privsep_is_root() ? pu.gid : getegid()) == -1)
		fatalx("cannot load the TFA key");
	arc4random_buf(keyd.ticket_key, sizeof(keyd.ticket_key));
	mail_templates_load();

	privsep_drop("-keyd", privsep_is_root() ? &pu : NULL, root);
	if (store_open(dbpath) == -1)
		fatalx("cannot open the credential database %s",
		    CONF_DATABASE_PG(keyd.conf->database) ? "(PostgreSQL)" :
		    keyd.conf->database);
	if (tfa_seal_imported() == -1)
		log_warnx("could not seal the TFA secrets of imported users");

	version = store_schema_version();
	if ((keyd.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if (CONF_DATABASE_PG(keyd.conf->database) &&
	    fiber_init(keyd.base, keyd_push_swap) == -1)
		fatalx("cannot start the store's fiber");
	if (store_listen(keyd.base) == -1)
		fatalx("cannot listen for the invalidations of other hosts");
	keyd_hash_start();
	keyd_verify_start();
	keyd_metrics();
	rotate_start(keyd.base);
	if (batch_init(keyd.base) == -1)
		fatalx("cannot set up the group commit");
	mail_init(keyd.base);
	audit_init(keyd.base);
	child_signals(keyd.base, keyd_signal);
	keyd.parent = frame_chan_new(keyd.base, PROTO_FD_PARENT,
	    PROTO_CHILD_MAX, keyd_parent_dispatch, keyd_parent_closed, NULL,
	    "parent");
	if (keyd.parent == NULL)
		fatal("parent channel");
	child_log_channel(keyd.parent);
	keyd.parent_kc.chan = keyd.parent;
	TAILQ_INIT(&keyd.parent_kc.held);
	frame_chan_set_sendhook(keyd.parent, keyd_push_hold,
	    &keyd.parent_kc);
	if ((keyd.push_ev = evtimer_new(keyd.base, keyd_push_tick,
	    NULL)) == NULL)
		fatalx("evtimer_new");
	sandbox_enter(SANDBOX_KEYD);
	if (msg_send(keyd.parent, MSG_READY, 0, -1, NULL) == -1)
		fatal("send ready");
	log_debug("ready, schema version %d", version);
	event_base_dispatch(keyd.base);
	return 0;
}

/*
 * The signing keys, before the chroot: the secret with HS256, else the
 * configured PEM file, or by default one next to the secret, named
 * after the algorithm.  With an asymmetric algorithm the secret signs
 * nothing (it still seals what it sealed before), and no HMAC key is in
 * the store, so no token can be checked with a public key as its secret.
 * Then the keys of rotations (rotate.c), in "keys" next to the database
 * (dbpath: the database as keyd sees it after the chroot).
 */
static void
keyd_signing(const char *dbpath, uid_t uid, gid_t gid)
{
	const struct tokend_config	*conf = keyd.conf;
	struct evp_pkey_st		*pkey;
	enum sign_alg			 alg;
	char				 path[PATH_MAX], outer[PATH_MAX];
	char				 inner[PATH_MAX] = "";
	const char			*slash;

	sign_free();
	if ((alg = sign_alg_from_name(conf->signing_alg)) == SIGN_NONE)
		fatalx("signing algorithm %s unknown", conf->signing_alg);
	if (CONF_DATABASE_PG(conf->database))
		(void)strlcpy(outer, "", sizeof(outer));
	else if ((slash = strrchr(conf->database, '/')) == NULL ||
	    snprintf(outer, sizeof(outer), "%.*s/keys",
	    (int)(slash - conf->database), conf->database) >=
	    (int)sizeof(outer) ||
	    (slash = strrchr(dbpath, '/')) == NULL ||
	    snprintf(inner, sizeof(inner), "%.*s/keys",
	    (int)(slash - dbpath), dbpath) >= (int)sizeof(inner))
		fatalx("signing keys directory: bad database path");
	if (alg == SIGN_HS256) {
		if (sign_add_secret(keyd.secret.key, keyd.secret.len) == -1)
			fatalx("cannot key the token signer");
		keyd_rotated(outer, inner, uid, gid);
		return;
	}
	if (config_signing_key_path(conf, path, sizeof(path)) == -1)
		fatalx("signing key path too long");
	if ((pkey = signkey_load(path, alg, uid, gid)) == NULL)
		fatalx("cannot load the signing key %s", path);
	if (sign_add_pkey(pkey) == -1) {
		EVP_PKEY_free(pkey);
		fatalx("cannot use the signing key %s", path);
	}
	if (sign_current_alg() != alg)
		fatalx("signing key %s is no %s key", path,
		    alg == SIGN_EDDSA ? "Ed25519" : "P-256");
	keyd_rotated(outer, inner, uid, gid);
}

/* The keys of rotations: none with PostgreSQL (outer ""). */
static void
keyd_rotated(const char *outer, const char *inner, uid_t uid, gid_t gid)
{
	if (outer[0] == '\0')
		rotate_load_none();
	else
		rotate_load(outer, inner, uid, gid);
}

/* MSG_KEYS: what the workers need to know of the key set. */
static int
keyd_keys_write(struct frame_buf *fb)
{
	struct msg_keys	 m;
	char		 kids[KEYS_KIDS_MAX], jwks[KEYS_JWKS_MAX];
	int		 n;

	memset(&m, 0, sizeof(m));
	memset(fb, 0, sizeof(*fb));
	if (sign_kids(kids, sizeof(kids)) == -1 ||
	    (n = sign_jwks(jwks, sizeof(jwks))) == -1)
		return -1;
	m.alg = sign_alg_name(sign_current_alg());
	m.kids = kids;
	m.jwks = (const uint8_t *)jwks;
	m.jwks_len = (size_t)n;
	return msg_write(fb, MSG_KEYS, &m);
}

/* Every worker learns the new key set (a rotation, later). */
void
keyd_keys_push(void)
{
	struct frame_buf	 fb;

	if (keyd_keys_write(&fb) == 0)
		keyd_push(MSG_KEYS, &fb);
	else
		log_warnx("cannot tell the workers the signing keys");
	frame_buf_free(&fb);
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
	if (!msg_allowed(f->hdr.type, PEER_PARENT, PEER_KEYD))
		goto hostile;
	if (keyd_requests[f->hdr.type] != NULL)
		return keyd_request(&keyd.parent_kc, f);
	if (!fiber_enabled())
		batch_commit();
	/* An answer waits only for the push of its own request. */
	keyd.push_open = 0;
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
	verify_pool_shutdown();
	sign_free();
	store_close();
	secret_free(&keyd.secret);
	tfa_free();
	explicit_bzero(keyd.ticket_key, sizeof(keyd.ticket_key));
	explicit_bzero(keyd.refresh_key, sizeof(keyd.refresh_key));
	exit(0);
}

/* A worker's channel, handed over by the parent. */
static int
keyd_channel_add(struct frame_chan *parent, struct frame *f)
{
	struct msg_keyd_channel	 m;
	struct keyd_chan	*kc;
	struct frame_buf	 fb;
	char			 name[64];
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
	(void)snprintf(name, sizeof(name), "server %u (pid %u)", m.slot,
	    m.pid);
	kc->chan = frame_chan_new(keyd.base, fd, PROTO_KEYD_MAX,
	    keyd_server_dispatch, keyd_server_closed, kc, name);
	if (kc->chan == NULL)
		fatal("worker channel");
	/* A worker that sends and does not read holds keyd's memory. */
	frame_chan_set_outcap(kc->chan, KEYD_OUT_HIGH, KEYD_OUT_LOW);
	TAILQ_INIT(&kc->held);
	frame_chan_set_sendhook(kc->chan, keyd_push_hold, kc);
	TAILQ_INSERT_TAIL(&keyd.chans, kc, entry);
	keyd.nchans++;
	if (keyd_keys_write(&fb) == -1 ||
	    frame_send_buf(kc->chan, MSG_KEYS, 0, -1, &fb) == -1)
		log_warnx("cannot tell server %u the signing keys", m.slot);
	frame_buf_free(&fb);
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
	keyd_chan_forget(kc);
	TAILQ_REMOVE(&keyd.chans, kc, entry);
	keyd.nchans--;
	/* A job on the fiber holds it: that job frees it. */
	if (kc->busy > 0) {
		kc->gone = 1;
		return;
	}
	frame_chan_free(kc->chan);
	free(kc);
}

static int
keyd_server_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	struct keyd_chan	*kc = arg;

	if (kc->gone)
		return 0;
	if (msg_allowed(f->hdr.type, PEER_SERVER, PEER_KEYD) &&
	    keyd_requests[f->hdr.type] != NULL)
		return keyd_request(kc, f);
	log_warnx("server %u (pid %u) sent %s: closing its channel",
	    kc->slot, kc->pid, msg_type_name(f->hdr.type));
	return -1;
}

/*
 * A request, as keyd reads it: its token's EdDSA or ES256 signature
 * checked first on the verification pool, when it has one; on
 * PostgreSQL, a job of the fiber's.
 */
static int
keyd_request(struct keyd_chan *kc, struct frame *f)
{
	uint64_t	 saved;

	if (keyd_verify_first(kc, f) == 0)
		return 0;
	if (!fiber_enabled())
		return keyd_request_run(kc, f, NULL);
	/*
	 * Health, while a job holds the store: what the connection is
	 * known to be, from here, not behind the job (a slow statement
	 * is not a dead database).
	 */
	if (f->hdr.type == MSG_HEALTH && fiber_busy()) {
		saved = keyd.push_open;
		keyd.push_open = 0;
		(void)keyd_health(kc, f);
		keyd.push_open = saved;
		return 0;
	}
	keyd_job_post(keyd_job_new(kc, f));
	return 0;
}

/*
 * The requests that only read the store, and whose answer a worker may
 * cache: a token no worker has cached (MSG_AUTH, MSG_USER_GET).  On
 * PostgreSQL they run on the reader fibers (fiber.c), beside the store
 * fiber's jobs, on a connection that sees only what is committed.
 */
static int
keyd_request_reads(const struct frame *f)
{
	return f->hdr.type == MSG_AUTH || f->hdr.type == MSG_USER_GET;
}

/* A job to its fiber (or run now, without one). */
static void
keyd_job_post(struct keyd_job *j)
{
	if (j->serial != 0 && keyd_request_reads(&j->f))
		fiber_post_read(keyd_job_run, j);
	else
		fiber_post(keyd_job_run, j);
}

static struct keyd_job *
keyd_job_new(struct keyd_chan *kc, struct frame *f)
{
	struct keyd_job	*j;

	if ((j = calloc(1, sizeof(*j) + f->hdr.len)) == NULL)
		fatal("calloc");
	j->serial = kc == &keyd.parent_kc ? 0 : kc->serial;
	j->verdict = VERIFY_NONE;
	j->f.hdr = f->hdr;
	if (f->hdr.len > 0)
		memcpy(j->data, f->data, f->hdr.len);
	j->f.data = j->data;
	return j;
}

/*
 * The credential of a request the pool may check first: a worker's
 * "who is this" and /users/me, the requests of a token no worker has
 * cached.  -1 for any other request, or one that does not read (its
 * handler says so).
 */
static int
keyd_request_cred(const struct frame *f, struct msg_cred *c)
{
	struct msg_auth		 a;
	struct msg_user_get	 g;

	switch (f->hdr.type) {
	case MSG_AUTH:
		if (msg_read(f, MSG_AUTH, &a) == -1)
			return -1;
		*c = a.cred;
		return 0;
	case MSG_USER_GET:
		if (msg_read(f, MSG_USER_GET, &g) == -1)
			return -1;
		*c = g.cred;
		return 0;
	default:
		return -1;
	}
}

/*
 * A token's EdDSA or ES256 signature goes to the verification pool
 * (verify.c) and the request runs when its verdict comes back
 * (keyd_verified()), so that keyd's loop serves on meanwhile and the
 * signatures use every CPU.  -1: run it now (no such token, or the pool
 * full), as without the pool.
 */
static int
keyd_verify_first(struct keyd_chan *kc, struct frame *f)
{
	struct msg_cred	 c;
	struct keyd_job	*j;

	if (sign_current_alg() == SIGN_HS256 ||
	    keyd_request_cred(f, &c) == -1 || c.kind != CRED_JWT ||
	    c.b_len != SIGN_SIG_MAX)
		return -1;
	j = keyd_job_new(kc, f);
	if (verify_submit((const char *)c.a, c.a_len, c.b, c.b_len,
	    keyd_verified, j) == -1) {
		explicit_bzero(j, sizeof(*j) + j->f.hdr.len);
		free(j);
		return -1;
	}
	return 0;
}

/* On the loop: the pool's verdict; the request runs with it. */
static void
keyd_verified(enum verify_verdict verdict, uint64_t gen, void *arg)
{
	struct keyd_job	*j = arg;

	if (verdict == VERIFY_NONE) {
		explicit_bzero(j, sizeof(*j) + j->f.hdr.len);
		free(j);
		return;
	}
	j->verdict = verdict;
	j->gen = gen;
	keyd_job_post(j);
}

/*
 * On the fiber, or after the pool's verdict: the request of a channel
 * that may be gone meanwhile.
 */
static void
keyd_job_run(void *arg)
{
	struct keyd_job		*j = arg;
	struct keyd_chan	*kc;
	int			 rv;

	kc = j->serial == 0 ? &keyd.parent_kc : keyd_chan_find(j->serial);
	if (kc != NULL) {
		kc->busy++;
		rv = keyd_request_run(kc, &j->f, j);
		kc->busy--;
		if (rv == -1) {
			log_warnx("%s sent a bad %s: closing its channel",
			    kc == &keyd.parent_kc ? "the parent" : "a server",
			    msg_type_name(j->f.hdr.type));
			if (kc == &keyd.parent_kc)
				keyd_parent_closed(keyd.parent, NULL);
		}
		/* Gone meanwhile (keyd_channel_free() left it to us). */
		if (kc->gone) {
			if (kc->busy == 0) {
				frame_chan_free(kc->chan);
				free(kc);
			}
		} else if (rv == -1)
			keyd_channel_free(kc);
	}
	explicit_bzero(j, sizeof(*j) + j->f.hdr.len);
	free(j);
}

/*
 * j, when the request comes from a job: the pool's verdict on its
 * token, which sign_verify() takes for these bytes while it runs.
 */
static int
keyd_request_run(struct keyd_chan *kc, struct frame *f,
    const struct keyd_job *j)
{
	struct msg_cred	 c;
	int		 rv;

	/* An answer waits only for the push of its own request. */
	keyd.push_open = 0;
	/*
	 * Only refreshes join an open group commit (batch.c); a reader
	 * leaves it open: its connection sees only committed rows, so its
	 * answer cannot depend on the group's writes, and a worker caches
	 * it only when nothing was written meanwhile (auth_who_set()).
	 */
	if (!fiber_reader() && (f->hdr.type != MSG_REFRESH ||
	    kc == &keyd.parent_kc))
		batch_commit();
	if (j != NULL && j->verdict != VERIFY_NONE &&
	    keyd_request_cred(f, &c) == 0)
		sign_verdict_set((const char *)c.a, c.a_len, c.b, c.b_len,
		    j->gen, j->verdict == VERIFY_GOOD);
	rv = keyd_requests[f->hdr.type](kc, f);
	sign_verdict_clear();
	return rv;
}

/* Each fiber and the loop have their push to wait for (fiber.c). */
static void
keyd_push_swap(uint64_t *other)
{
	uint64_t	 t = keyd.push_open;

	keyd.push_open = *other;
	*other = t;
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
	/* Off the fiber while a job holds the store: what is known. */
	if (fiber_enabled() && !fiber_inside() ? !store_down() :
	    store_health() == 0)
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
	/* Its callbacks reach the store: on the store's fiber. */
	if (fiber_enabled())
		hash_pool_defer(fiber_defer);
}

/*
 * The verification pool, with an EdDSA or ES256 key: as many threads as
 * the hashing pool (password threads: by default one per CPU, counted
 * by the parent; a keyd the parent restarts runs under the parent's
 * sandbox, which does not let it count), started before the sandbox as
 * the hashing threads are.
 */
static void
keyd_verify_start(void)
{
	int	 n = keyd.conf->hash_threads;

	if (sign_current_alg() == SIGN_HS256)
		return;
	if (n < 1)
		n = 1;
	if (n > VERIFY_THREADS_MAX)
		n = VERIFY_THREADS_MAX;
	if (verify_pool_init(keyd.base, n, VERIFY_QUEUE_MAX) == -1)
		log_warnx("no verification pool: signatures are checked "
		    "on the loop");
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
		batch_commit();
		audit_event(AUDIT_RELOAD);
		/* audit-retention may have changed. */
		audit_init(keyd.base);
		/* And signing rotate-every. */
		rotate_start(keyd.base);
	}
	child_reload_done(keyd.parent, why);
}

static void
keyd_signal(evutil_socket_t sig, short ev, void *arg)
{
	log_debug("signal %d, exiting", (int)sig);
	hash_pool_shutdown();
	verify_pool_shutdown();
	sign_free();
	store_close();
	secret_free(&keyd.secret);
	tfa_free();
	explicit_bzero(keyd.ticket_key, sizeof(keyd.ticket_key));
	explicit_bzero(keyd.refresh_key, sizeof(keyd.refresh_key));
	exit(0);
}
