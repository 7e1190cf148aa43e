/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Password hashing on a bounded pool of threads.
 *
 * keyd's event loop must stay responsive while a login costs 100 ms of
 * CPU and 64 MiB of memory, so argon2 runs on a few worker threads.  A
 * job owns copies of its inputs.  The queue holds at most queue_max jobs,
 * waiting or running; past that hash_verify() and hash_create() refuse
 * at once and the caller answers "busy".  At most one hash per thread is
 * in flight, so memory stays below threads * m.  Each hash runs its p
 * lanes on its own thread: the pool size is the CPU bound.
 *
 * Finished jobs go on a done list and the loop is woken through a pipe;
 * callbacks run only there, on the event loop thread.
 *
 * Every failure path costs one hash: a user without a password, and a
 * stored string we cannot use, are checked against a dummy hash made
 * with the configured parameters.  The dummy's hash bytes are random,
 * so making one costs no argon2 work and nothing can match it.
 */
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/resource.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <argon2.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "b64url.h"
#include "hash.h"
#include "log.h"
#include "tpool.h"

#define HASH_B64LEN(n)	(((n) * 4 + 2) / 3)

enum hash_kind {
	HASH_JOB_VERIFY,	/* against a stored hash */
	HASH_JOB_DUMMY,		/* no stored hash: dummy work, mismatch */
	HASH_JOB_BADPHC,	/* unusable stored hash: dummy work, invalid */
	HASH_JOB_CREATE,	/* a new hash with the current parameters */
	HASH_JOB_REFUSED	/* password too long: no work, invalid */
};

struct hash_job {
	TAILQ_ENTRY(hash_job)	 entry;
	enum hash_kind		 kind;
	struct hash_phc		 phc;	/* parameters, salt, expected hash */
	uint8_t			*pw;
	size_t			 pwsize;
	size_t			 pwlen;
	enum hash_result	 result;
	int			 error;	/* argon2 error code */
	char			 out[HASH_PHC_MAX];
	hash_cb			 cb;
	void			*arg;
};
TAILQ_HEAD(hash_jobs, hash_job);

static struct {
	int			 ready;
	struct tpool		 tp;		/* started: past hash_niced() */
	struct hash_jobs	 todo;		/* waiting for a thread */
	struct hash_jobs	 done;		/* waiting for the loop */
	int			 queued;	/* waiting and running */
	volatile int64_t	*gauge;		/* queued, for the metrics */
	int			 queue_max;
	struct hash_params	 params;
	struct hash_phc		 dummy_phc;
	char			 dummy[HASH_PHC_MAX];
} pool;

static const struct {
	const char	*prefix;
	argon2_type	 type;
} hash_types[] = {
	{ "$argon2id$",	Argon2_id },
	{ "$argon2i$",	Argon2_i },
	{ "$argon2d$",	Argon2_d }
};

static size_t	 hash_b64_encode(const uint8_t *, size_t, char *, size_t);
static int	 hash_b64_decode(const char *, size_t, uint8_t *, size_t,
		    size_t *);
static int	 hash_phc_number(const char **, uint32_t, uint32_t *);
static int	 hash_phc_expect(const char **, const char *);
static int	 hash_phc_type(const char **, struct hash_phc *);
static int	 hash_phc_version(const char **, struct hash_phc *);
static int	 hash_phc_params(const char **, struct hash_phc *);
static int	 hash_phc_field(const char **, char, uint8_t *, size_t,
		    size_t, size_t *);
static int	 hash_phc_encode(const struct hash_phc *, char *, size_t);
static int	 hash_dummy_make(const struct hash_params *);
static int	 hash_argon2(const struct hash_phc *, const uint8_t *, size_t,
		    uint8_t *);
static void	 hash_deliver_all(int, short, void *);
static void	 hash_job_run(struct hash_job *);
static void	*hash_worker(void *);
static void	 hash_niced(void);
static void	 hash_done_locked(struct hash_job *);
static struct hash_job *hash_job_new(enum hash_kind, const uint8_t *,
		    size_t, hash_cb, void *);
static void	 hash_job_free(struct hash_job *);
static int	 hash_submit(struct hash_job *);
static void	 hash_deliver(struct hash_job *);
static void	 hash_wakeup(evutil_socket_t, short, void *);
static void	 hash_pool_flush(struct hash_jobs *);
static void	 hash_pool_free(void);

/*
 * Standard base64 without padding, as the PHC string format uses it,
 * decoded as strictly as base64url; the encoder adds a NUL.
 */
static size_t
hash_b64_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	size_t	 n;

	if (outlen < HASH_B64LEN(len) + 1 ||
	    (n = b64_encode(B64_STD, in, len, out, outlen - 1)) == 0)
		return 0;
	out[n] = '\0';
	return n;
}

static int
hash_b64_decode(const char *in, size_t len, uint8_t *out, size_t outmax,
    size_t *outlen)
{
	return b64_decode(B64_STD, in, len, out, outmax, outlen);
}

/* A decimal without sign or leading zeros, at most max. */
static int
hash_phc_number(const char **sp, uint32_t max, uint32_t *v)
{
	const char	*s = *sp;
	uint64_t	 n = 0;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' &&
	    s[1] <= '9'))
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > max)
			return -1;
	}
	*v = (uint32_t)n;
	*sp = s;
	return 0;
}

static int
hash_phc_expect(const char **sp, const char *word)
{
	size_t	 len = strlen(word);

	if (strncmp(*sp, word, len) != 0)
		return -1;
	*sp += len;
	return 0;
}

static int
hash_phc_type(const char **sp, struct hash_phc *phc)
{
	size_t	 i;

	for (i = 0; i < sizeof(hash_types) / sizeof(hash_types[0]); i++) {
		if (hash_phc_expect(sp, hash_types[i].prefix) == 0) {
			phc->type = hash_types[i].type;
			return 0;
		}
	}
	return -1;
}

/* "v=16$" or "v=19$"; absent means version 0x10. */
static int
hash_phc_version(const char **sp, struct hash_phc *phc)
{
	uint32_t	 v;

	phc->version = ARGON2_VERSION_10;
	if (hash_phc_expect(sp, "v=") == -1)
		return 0;
	if (hash_phc_number(sp, 99, &v) == -1 ||
	    hash_phc_expect(sp, "$") == -1)
		return -1;
	if (v == 16)
		phc->version = ARGON2_VERSION_10;
	else if (v == 19)
		phc->version = ARGON2_VERSION_13;
	else
		return -1;
	return 0;
}

/* "m=M,t=T,p=P$" in that order, each within the ceilings. */
static int
hash_phc_params(const char **sp, struct hash_phc *phc)
{
	struct hash_params	 hp;

	if (hash_phc_expect(sp, "m=") == -1 ||
	    hash_phc_number(sp, HASH_M_MAX, &phc->m_kib) == -1 ||
	    hash_phc_expect(sp, ",t=") == -1 ||
	    hash_phc_number(sp, HASH_T_MAX, &phc->t) == -1 ||
	    hash_phc_expect(sp, ",p=") == -1 ||
	    hash_phc_number(sp, HASH_P_MAX, &phc->p) == -1 ||
	    hash_phc_expect(sp, "$") == -1)
		return -1;
	hp.m_kib = phc->m_kib;
	hp.t = phc->t;
	hp.p = phc->p;
	return hash_params_valid(&hp) ? 0 : -1;
}

/* A base64 field that ends with the character end ('\0': the string). */
static int
hash_phc_field(const char **sp, char end, uint8_t *out, size_t min,
    size_t max, size_t *outlen)
{
	size_t	 len = strcspn(*sp, "$");

	if ((*sp)[len] != end ||
	    hash_b64_decode(*sp, len, out, max, outlen) == -1 ||
	    *outlen < min)
		return -1;
	*sp += len + (end != '\0');
	return 0;
}

/*
 * Total: any input is either a usable argon2 hash within the ceilings,
 * or -1.  Nothing past the hash field is allowed.
 */
int
hash_phc_parse(const char *s, struct hash_phc *phc)
{
	memset(phc, 0, sizeof(*phc));
	if (s == NULL || strnlen(s, HASH_PHC_MAX + 1) > HASH_PHC_MAX)
		return -1;
	if (hash_phc_type(&s, phc) == -1 ||
	    hash_phc_version(&s, phc) == -1 ||
	    hash_phc_params(&s, phc) == -1 ||
	    hash_phc_field(&s, '$', phc->salt, HASH_SALT_MIN, HASH_SALT_MAX,
	    &phc->saltlen) == -1 ||
	    hash_phc_field(&s, '\0', phc->hash, HASH_OUT_MIN, HASH_OUT_MAX,
	    &phc->hashlen) == -1) {
		explicit_bzero(phc, sizeof(*phc));
		return -1;
	}
	return 0;
}

/* The string node-argon2 writes: "$argon2id$v=19$m=65536,t=3,p=4$s$h". */
static int
hash_phc_encode(const struct hash_phc *phc, char *out, size_t len)
{
	char	 salt[HASH_B64LEN(HASH_SALT_MAX) + 1];
	char	 hash[HASH_B64LEN(HASH_OUT_MAX) + 1];
	int	 n;

	if (hash_b64_encode(phc->salt, phc->saltlen, salt, sizeof(salt)) ==
	    0 || hash_b64_encode(phc->hash, phc->hashlen, hash,
	    sizeof(hash)) == 0)
		return -1;
	n = snprintf(out, len, "$%s$v=%u$m=%u,t=%u,p=%u$%s$%s",
	    argon2_type2string(phc->type, 0),
	    phc->version == ARGON2_VERSION_13 ? 19 : 16, phc->m_kib, phc->t,
	    phc->p, salt, hash);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return 0;
}

int
hash_params_valid(const struct hash_params *hp)
{
	return hp->t >= 1 && hp->t <= HASH_T_MAX &&
	    hp->p >= 1 && hp->p <= HASH_P_MAX &&
	    hp->m_kib >= 8 * hp->p && hp->m_kib <= HASH_M_MAX;
}

/* Random salt, random hash bytes: the right cost, and it never matches. */
static int
hash_dummy_make(const struct hash_params *hp)
{
	struct hash_phc	 phc;

	memset(&phc, 0, sizeof(phc));
	phc.type = Argon2_id;
	phc.version = ARGON2_VERSION_13;
	phc.m_kib = hp->m_kib;
	phc.t = hp->t;
	phc.p = hp->p;
	phc.saltlen = HASH_SALT_NEW;
	phc.hashlen = HASH_OUT_NEW;
	arc4random_buf(phc.salt, phc.saltlen);
	arc4random_buf(phc.hash, phc.hashlen);
	if (hash_phc_encode(&phc, pool.dummy, sizeof(pool.dummy)) == -1)
		return -1;
	pool.dummy_phc = phc;
	return 0;
}

const char *
hash_dummy(void)
{
	return pool.ready ? pool.dummy : NULL;
}

void
hash_set_params(const struct hash_params *hp)
{
	if (!hash_params_valid(hp)) {
		log_warnx("argon2 parameters m=%u,t=%u,p=%u out of range, "
		    "keeping m=%u,t=%u,p=%u", hp->m_kib, hp->t, hp->p,
		    pool.params.m_kib, pool.params.t, pool.params.p);
		return;
	}
	if (pool.ready && hash_dummy_make(hp) == -1) {
		log_warnx("cannot make a dummy hash");
		return;
	}
	pool.params = *hp;
}

/*
 * One argon2 computation with the lanes of phc on this thread only.  The
 * password goes in as pointer and length: NUL bytes count.
 */
static int
hash_argon2(const struct hash_phc *phc, const uint8_t *pw, size_t pwlen,
    uint8_t *out)
{
	argon2_context	 ctx;
	uint8_t		 salt[HASH_SALT_MAX];

	memcpy(salt, phc->salt, phc->saltlen);
	memset(&ctx, 0, sizeof(ctx));
	ctx.out = out;
	ctx.outlen = (uint32_t)phc->hashlen;
	ctx.pwd = (uint8_t *)pw;
	ctx.pwdlen = (uint32_t)pwlen;
	ctx.salt = salt;
	ctx.saltlen = (uint32_t)phc->saltlen;
	ctx.t_cost = phc->t;
	ctx.m_cost = phc->m_kib;
	ctx.lanes = phc->p;
	ctx.threads = 1;
	ctx.version = phc->version;
	ctx.flags = ARGON2_DEFAULT_FLAGS;
	return argon2_ctx(&ctx, phc->type);
}

/* On a worker thread. */
static void
hash_job_run(struct hash_job *job)
{
	uint8_t	 out[HASH_OUT_MAX];
	int	 match;

	job->error = hash_argon2(&job->phc, job->pw, job->pwlen, out);
	freezero(job->pw, job->pwsize);
	job->pw = NULL;
	if (job->error != ARGON2_OK) {
		job->result = HASH_ERROR;
		explicit_bzero(out, sizeof(out));
		return;
	}
	match = CRYPTO_memcmp(out, job->phc.hash, job->phc.hashlen) == 0;
	switch (job->kind) {
	case HASH_JOB_VERIFY:
		job->result = match ? HASH_MATCH : HASH_MISMATCH;
		break;
	case HASH_JOB_DUMMY:
		job->result = HASH_MISMATCH;
		break;
	case HASH_JOB_BADPHC:
		job->result = HASH_INVALID;
		break;
	case HASH_JOB_CREATE:
		memcpy(job->phc.hash, out, job->phc.hashlen);
		job->result = hash_phc_encode(&job->phc, job->out,
		    sizeof(job->out)) == 0 ? HASH_MATCH : HASH_ERROR;
		break;
	default:
		job->result = HASH_ERROR;
		break;
	}
	explicit_bzero(out, sizeof(out));
}

/* Called with the lock held: hand a job to the event loop. */
static void
hash_done_locked(struct hash_job *job)
{
	TAILQ_INSERT_TAIL(&pool.done, job, entry);
	tpool_wake_locked(&pool.tp);
}

/*
 * A hashing thread lowers its own priority, then says so: the loop
 * thread waits for all of them before it goes on to its sandbox, which
 * has no room for setpriority(2).  On Linux the nice value is per
 * thread; elsewhere it would be the whole process's, so it is left.
 */
static void
hash_niced(void)
{
#ifdef __linux__
	if (setpriority(PRIO_PROCESS, 0, HASH_NICE) == -1)
		log_warn("setpriority");
#endif
	tpool_started(&pool.tp);
}

static void *
hash_worker(void *arg)
{
	struct hash_job	*job;

	hash_niced();
	pthread_mutex_lock(&pool.tp.tp_lock);
	for (;;) {
		while (!pool.tp.tp_stopping && TAILQ_EMPTY(&pool.todo))
			pthread_cond_wait(&pool.tp.tp_cond, &pool.tp.tp_lock);
		if (pool.tp.tp_stopping)
			break;
		job = TAILQ_FIRST(&pool.todo);
		TAILQ_REMOVE(&pool.todo, job, entry);
		pthread_mutex_unlock(&pool.tp.tp_lock);
		hash_job_run(job);
		pthread_mutex_lock(&pool.tp.tp_lock);
		pool.queued--;
		if (pool.gauge != NULL)
			*pool.gauge = pool.queued;
		hash_done_locked(job);
	}
	pthread_mutex_unlock(&pool.tp.tp_lock);
	return NULL;
}

static struct hash_job *
hash_job_new(enum hash_kind kind, const uint8_t *pw, size_t pwlen,
    hash_cb cb, void *arg)
{
	struct hash_job	*job;

	if ((job = calloc(1, sizeof(*job))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	job->kind = kind;
	job->cb = cb;
	job->arg = arg;
	if (kind == HASH_JOB_REFUSED)
		return job;
	job->pwsize = pwlen + 1;
	if ((job->pw = malloc(job->pwsize)) == NULL) {
		log_warn("%s", __func__);
		free(job);
		return NULL;
	}
	if (pwlen > 0)
		memcpy(job->pw, pw, pwlen);
	job->pwlen = pwlen;
	return job;
}

static void
hash_job_free(struct hash_job *job)
{
	if (job->pw != NULL)
		freezero(job->pw, job->pwsize);
	freezero(job, sizeof(*job));
}

static int
hash_submit(struct hash_job *job)
{
	int	 rv = -1;

	pthread_mutex_lock(&pool.tp.tp_lock);
	if (job->kind == HASH_JOB_REFUSED) {
		hash_done_locked(job);
		rv = 0;
	} else if (pool.queued < pool.queue_max) {
		pool.queued++;
		if (pool.gauge != NULL)
			*pool.gauge = pool.queued;
		TAILQ_INSERT_TAIL(&pool.todo, job, entry);
		pthread_cond_signal(&pool.tp.tp_cond);
		rv = 0;
	}
	pthread_mutex_unlock(&pool.tp.tp_lock);
	if (rv == -1)
		hash_job_free(job);
	return rv;
}

/*
 * Check pw against a stored PHC string.  NULL or "" (no password set)
 * and an unusable string are checked against the dummy hash, and answer
 * HASH_MISMATCH and HASH_INVALID.  A password over HASH_PASSWORD_MAX is
 * not hashed and answers HASH_INVALID.  -1: the queue is full, no
 * callback will come.
 */
int
hash_verify(const char *phc, const uint8_t *pw, size_t pwlen, hash_cb cb,
    void *arg)
{
	struct hash_job	*job;
	enum hash_kind	 kind = HASH_JOB_VERIFY;

	if (!pool.ready || cb == NULL || (pw == NULL && pwlen != 0))
		return -1;
	if (pwlen > HASH_PASSWORD_MAX)
		kind = HASH_JOB_REFUSED;
	else if (phc == NULL || *phc == '\0')
		kind = HASH_JOB_DUMMY;
	if ((job = hash_job_new(kind, pw, pwlen, cb, arg)) == NULL)
		return -1;
	if (kind == HASH_JOB_VERIFY &&
	    hash_phc_parse(phc, &job->phc) == -1) {
		log_warnx("stored password hash is not a usable argon2 hash");
		job->kind = HASH_JOB_BADPHC;
	}
	if (job->kind == HASH_JOB_DUMMY || job->kind == HASH_JOB_BADPHC)
		job->phc = pool.dummy_phc;
	else if (job->kind == HASH_JOB_REFUSED)
		job->result = HASH_INVALID;
	return hash_submit(job);
}

/*
 * A new argon2id hash of pw with the current parameters; the callback
 * gets HASH_MATCH and the PHC string, or HASH_INVALID or HASH_ERROR.
 */
int
hash_create(const uint8_t *pw, size_t pwlen, hash_cb cb, void *arg)
{
	struct hash_job	*job;
	enum hash_kind	 kind = HASH_JOB_CREATE;

	if (!pool.ready || cb == NULL || (pw == NULL && pwlen != 0))
		return -1;
	if (pwlen > HASH_PASSWORD_MAX)
		kind = HASH_JOB_REFUSED;
	if ((job = hash_job_new(kind, pw, pwlen, cb, arg)) == NULL)
		return -1;
	if (kind == HASH_JOB_REFUSED) {
		job->result = HASH_INVALID;
		return hash_submit(job);
	}
	job->phc.type = Argon2_id;
	job->phc.version = ARGON2_VERSION_13;
	job->phc.m_kib = pool.params.m_kib;
	job->phc.t = pool.params.t;
	job->phc.p = pool.params.p;
	job->phc.saltlen = HASH_SALT_NEW;
	job->phc.hashlen = HASH_OUT_NEW;
	arc4random_buf(job->phc.salt, job->phc.saltlen);
	return hash_submit(job);
}

/* On the event loop thread. */
static void
hash_deliver(struct hash_job *job)
{
	if (job->result == HASH_ERROR && job->error != ARGON2_OK)
		log_warnx("argon2: %s", argon2_error_message(job->error));
	job->cb(job->result, job->kind == HASH_JOB_CREATE &&
	    job->result == HASH_MATCH ? job->out : NULL, job->arg);
	hash_job_free(job);
}

/*
 * keyd's store fiber takes the callbacks (they reach the store):
 * fiber_defer() of keyd.h, or NULL to run them here.
 */
static int	(*hash_defer)(void (*)(int, short, void *), int, short,
		    void *);

void
hash_pool_defer(int (*defer)(void (*)(int, short, void *), int, short,
    void *))
{
	hash_defer = defer;
}

static void
hash_wakeup(evutil_socket_t fd, short events, void *arg)
{
	tpool_drain(fd);
	if (hash_defer == NULL || !hash_defer(hash_deliver_all, -1, 0, NULL))
		hash_deliver_all(-1, 0, NULL);
}

static void
hash_deliver_all(int fd, short events, void *arg)
{
	struct hash_jobs	 done;
	struct hash_job		*job;

	TAILQ_INIT(&done);
	pthread_mutex_lock(&pool.tp.tp_lock);
	TAILQ_CONCAT(&done, &pool.done, entry);
	pool.tp.tp_wake_pending = 0;
	pthread_mutex_unlock(&pool.tp.tp_lock);
	while ((job = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, job, entry);
		hash_deliver(job);
	}
}

static void
hash_pool_flush(struct hash_jobs *jobs)
{
	struct hash_job	*job;

	while ((job = TAILQ_FIRST(jobs)) != NULL) {
		TAILQ_REMOVE(jobs, job, entry);
		job->result = HASH_ERROR;
		job->error = ARGON2_OK;
		job->kind = HASH_JOB_REFUSED;
		hash_deliver(job);
	}
}

static void
hash_pool_free(void)
{
	tpool_free(&pool.tp);
	explicit_bzero(&pool, sizeof(pool));
}

/*
 * threads workers (the number of CPUs is a good choice), at most
 * queue_max jobs waiting or running.  NULL params: Directus' defaults.
 */
int
hash_pool_init(struct event_base *base, int threads, int queue_max,
    const struct hash_params *hp)
{
	struct hash_params	 def = { HASH_M_DEFAULT, HASH_T_DEFAULT,
				    HASH_P_DEFAULT };

	if (hp == NULL)
		hp = &def;
	if (pool.ready || base == NULL || threads < 1 ||
	    threads > HASH_THREADS_MAX || queue_max < 1 ||
	    !hash_params_valid(hp))
		return -1;
	TAILQ_INIT(&pool.todo);
	TAILQ_INIT(&pool.done);
	pool.queue_max = queue_max;
	pool.params = *hp;
	if (tpool_init(&pool.tp, base, hash_wakeup) == -1 ||
	    hash_dummy_make(hp) == -1 ||
	    tpool_start(&pool.tp, threads, hash_worker) == -1) {
		log_warnx("cannot start the hashing pool");
		tpool_stop(&pool.tp);
		hash_pool_free();
		return -1;
	}
	pool.ready = 1;
	return 0;
}

/*
 * Stop and join the workers, then run every pending callback with
 * HASH_ERROR on the calling thread (the event loop thread), so that the
 * callers can free what they passed as arg.
 */
void
hash_pool_shutdown(void)
{
	struct hash_jobs	 jobs;

	if (!pool.ready)
		return;
	pool.ready = 0;
	tpool_stop(&pool.tp);
	TAILQ_INIT(&jobs);
	TAILQ_CONCAT(&jobs, &pool.todo, entry);
	TAILQ_CONCAT(&jobs, &pool.done, entry);
	hash_pool_flush(&jobs);
	hash_pool_free();
}

/* Where the pool writes how many jobs wait or run (the metrics area). */
void
hash_pool_gauge(int64_t *gauge)
{
	pthread_mutex_lock(&pool.tp.tp_lock);
	pool.gauge = gauge;
	if (gauge != NULL)
		*gauge = pool.queued;
	pthread_mutex_unlock(&pool.tp.tp_lock);
}
