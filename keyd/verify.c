/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Token signatures checked on a pool of keyd's own threads.
 *
 * An Ed25519 or P-256 verification costs 60 to 100 microseconds, which
 * on keyd's one event loop bounds every cold request (a token no worker
 * has cached) to one CPU.  keyd stays the judge: the threads are keyd's,
 * the key is the one keyd's store picks for the token (sign_pkey_for(),
 * a reference held by the job, so a key that leaves the store
 * meanwhile stays whole), and the verdict goes back to the loop, which
 * then runs the request with it (sign_verdict_set()).  A job owns copies
 * of the signing input and the signature.  HS256 is never sent here: a
 * MAC costs less than the trip.
 *
 * At most queue_max jobs wait or run; past that verify_submit() refuses
 * and the caller verifies on the loop, as without the pool, so a burst
 * costs latency, never an answer.  Finished jobs go on a done list and
 * the loop is woken through a pipe, as the hashing pool does (hash.c).
 */
#include <sys/queue.h>
#include <sys/types.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "log.h"
#include "sign.h"
#include "tpool.h"
#include "verify.h"

struct verify_job {
	TAILQ_ENTRY(verify_job)	 entry;
	EVP_PKEY		*pkey;		/* a reference of the job's */
	enum sign_alg		 alg;
	uint64_t		 gen;		/* of the key store */
	int			 ok;
	verify_cb		 cb;
	void			*arg;
	uint8_t			 sig[SIGN_SIG_MAX];
	size_t			 siglen;
	size_t			 len;
	char			 in[];		/* the signing input */
};
TAILQ_HEAD(verify_jobs, verify_job);

static struct {
	int			 ready;
	struct tpool		 tp;		/* started: threads with an md */
	struct verify_jobs	 todo;
	struct verify_jobs	 done;
	int			 queued;	/* waiting and running */
	int			 queue_max;
} vpool;

static void	*verify_worker(void *);
static void	 verify_wakeup(evutil_socket_t, short, void *);
static void	 verify_job_free(struct verify_job *);
static void	 verify_deliver(struct verify_jobs *, int);
static void	 verify_pool_free(void);

static void
verify_job_free(struct verify_job *job)
{
	EVP_PKEY_free(job->pkey);
	freezero(job, sizeof(*job) + job->len);
}

/*
 * A thread's context for the key it saw last, keyed once and copied for
 * each signature (sign_ctx_verify()); the key is held while it is.
 */
struct verify_cache {
	EVP_PKEY	*pkey;
	EVP_MD_CTX	*ctx;
};

static void
verify_cache_drop(struct verify_cache *vc)
{
	EVP_MD_CTX_free(vc->ctx);
	EVP_PKEY_free(vc->pkey);
	vc->ctx = NULL;
	vc->pkey = NULL;
}

static int
verify_job_check(struct verify_job *job, struct verify_cache *vc,
    const EVP_MD *md)
{
	if (md == NULL)
		return 0;
	if (vc->pkey != job->pkey) {
		verify_cache_drop(vc);
		if (EVP_PKEY_up_ref(job->pkey) != 1)
			return sign_pkey_verify(job->pkey, job->alg, md,
			    job->in, job->len, job->sig, job->siglen) == 0;
		vc->pkey = job->pkey;
		vc->ctx = sign_pkey_ctx(vc->pkey, job->alg, md);
	}
	return sign_ctx_verify(vc->ctx, job->alg, job->in, job->len,
	    job->sig, job->siglen) == 0;
}

/*
 * Each thread has its own SHA-256 (an EVP_MD fetch takes a lock),
 * fetched before the loop's thread goes on to its sandbox: a first
 * fetch may read OpenSSL's configuration.
 */
static void *
verify_worker(void *arg)
{
	struct verify_job	*job;
	struct verify_cache	 vc = { NULL, NULL };
	EVP_MD			*md;

	md = EVP_MD_fetch(NULL, "SHA256", NULL);
	tpool_started(&vpool.tp);
	pthread_mutex_lock(&vpool.tp.tp_lock);
	for (;;) {
		while (!vpool.tp.tp_stopping && TAILQ_EMPTY(&vpool.todo))
			pthread_cond_wait(&vpool.tp.tp_cond, &vpool.tp.tp_lock);
		if (vpool.tp.tp_stopping)
			break;
		job = TAILQ_FIRST(&vpool.todo);
		TAILQ_REMOVE(&vpool.todo, job, entry);
		pthread_mutex_unlock(&vpool.tp.tp_lock);
		job->ok = verify_job_check(job, &vc, md);
		pthread_mutex_lock(&vpool.tp.tp_lock);
		vpool.queued--;
		TAILQ_INSERT_TAIL(&vpool.done, job, entry);
		tpool_wake_locked(&vpool.tp);
	}
	pthread_mutex_unlock(&vpool.tp.tp_lock);
	verify_cache_drop(&vc);
	EVP_MD_free(md);
	return NULL;
}

/*
 * Check sig over in on a thread; cb follows on the loop, from a later
 * iteration, with the verdict and the key store's generation.  -1, and
 * no callback: the pool is not running or full, or no EdDSA or ES256
 * key checks in (HS256, an unknown kid): the caller verifies itself.
 */
int
verify_submit(const char *in, size_t len, const uint8_t *sig, size_t siglen,
    verify_cb cb, void *arg)
{
	struct verify_job	*job;
	EVP_PKEY		*pkey;
	enum sign_alg		 alg;
	uint64_t		 gen;
	int			 rv = -1;

	if (!vpool.ready || cb == NULL || siglen != SIGN_SIG_MAX ||
	    len > SIGN_TOKEN_MAX)
		return -1;
	if ((pkey = sign_pkey_for(in, len, &alg, &gen)) == NULL)
		return -1;
	if ((job = calloc(1, sizeof(*job) + len)) == NULL) {
		EVP_PKEY_free(pkey);
		return -1;
	}
	job->pkey = pkey;
	job->alg = alg;
	job->gen = gen;
	job->cb = cb;
	job->arg = arg;
	memcpy(job->sig, sig, siglen);
	job->siglen = siglen;
	memcpy(job->in, in, len);
	job->len = len;
	pthread_mutex_lock(&vpool.tp.tp_lock);
	if (vpool.queued < vpool.queue_max) {
		vpool.queued++;
		TAILQ_INSERT_TAIL(&vpool.todo, job, entry);
		pthread_cond_signal(&vpool.tp.tp_cond);
		rv = 0;
	}
	pthread_mutex_unlock(&vpool.tp.tp_lock);
	if (rv == -1)
		verify_job_free(job);
	return rv;
}

/* On the loop: each job's callback, then the job is gone. */
static void
verify_deliver(struct verify_jobs *jobs, int verdict)
{
	struct verify_job	*job;

	while ((job = TAILQ_FIRST(jobs)) != NULL) {
		TAILQ_REMOVE(jobs, job, entry);
		job->cb(verdict ? (job->ok ? VERIFY_GOOD : VERIFY_FORGED) :
		    VERIFY_NONE, job->gen, job->arg);
		verify_job_free(job);
	}
}

static void
verify_wakeup(evutil_socket_t fd, short events, void *arg)
{
	struct verify_jobs	 done;

	tpool_drain(fd);
	TAILQ_INIT(&done);
	pthread_mutex_lock(&vpool.tp.tp_lock);
	TAILQ_CONCAT(&done, &vpool.done, entry);
	vpool.tp.tp_wake_pending = 0;
	pthread_mutex_unlock(&vpool.tp.tp_lock);
	verify_deliver(&done, 1);
}

static void
verify_pool_free(void)
{
	tpool_free(&vpool.tp);
	memset(&vpool, 0, sizeof(vpool));
}

/* threads threads (the number of CPUs), queue_max jobs at most. */
int
verify_pool_init(struct event_base *base, int threads, int queue_max)
{
	if (vpool.ready || base == NULL || threads < 1 ||
	    threads > VERIFY_THREADS_MAX || queue_max < 1)
		return -1;
	TAILQ_INIT(&vpool.todo);
	TAILQ_INIT(&vpool.done);
	vpool.queue_max = queue_max;
	if (tpool_init(&vpool.tp, base, verify_wakeup) == -1 ||
	    tpool_start(&vpool.tp, threads, verify_worker) == -1) {
		log_warnx("cannot start the verification pool");
		tpool_stop(&vpool.tp);
		verify_pool_free();
		return -1;
	}
	vpool.ready = 1;
	return 0;
}

/*
 * Stop and join the threads, then run every pending callback with
 * VERIFY_NONE on the loop's thread, so that the callers free their arg.
 */
void
verify_pool_shutdown(void)
{
	struct verify_jobs	 jobs;

	if (!vpool.ready)
		return;
	vpool.ready = 0;
	tpool_stop(&vpool.tp);
	TAILQ_INIT(&jobs);
	TAILQ_CONCAT(&jobs, &vpool.todo, entry);
	TAILQ_CONCAT(&jobs, &vpool.done, entry);
	verify_deliver(&jobs, 0);
	verify_pool_free();
}
