/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The thread and wakeup mechanics of keyd's pools (tpool.h).  A pool's
 * threads are all started, and have each called tpool_started(), before
 * the loop's thread goes on to its sandbox: what a thread needs before
 * its first job (a nice value, a digest) it takes before that call.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tpool.h"

/*
 * The lock and condition, then the wake pipe and its persistent event
 * on base, cb's; on failure tpool_stop() and tpool_free() undo it.
 */
int
tpool_init(struct tpool *tp, struct event_base *base, event_callback_fn cb)
{
	pthread_mutex_init(&tp->tp_lock, NULL);
	pthread_cond_init(&tp->tp_cond, NULL);
	tp->tp_wake[0] = tp->tp_wake[1] = -1;
	if (pipe2(tp->tp_wake, O_NONBLOCK | O_CLOEXEC) == -1 ||
	    (tp->tp_ev = event_new(base, tp->tp_wake[0], EV_READ | EV_PERSIST,
	    cb, NULL)) == NULL || event_add(tp->tp_ev, NULL) == -1)
		return -1;
	return 0;
}

/*
 * n threads running fn, which block every signal (they belong to the
 * loop's thread); returns when each has called tpool_started().
 */
int
tpool_start(struct tpool *tp, int n, void *(*fn)(void *))
{
	sigset_t	 all, old;
	int		 rv = 0;

	if ((tp->tp_threads = calloc(n, sizeof(*tp->tp_threads))) == NULL) {
		log_warn("%s", __func__);
		return -1;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (tp->tp_nthreads = 0; tp->tp_nthreads < n; tp->tp_nthreads++)
		if ((rv = pthread_create(&tp->tp_threads[tp->tp_nthreads],
		    NULL, fn, NULL)) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rv != 0) {
		errno = rv;
		log_warn("pthread_create");
		return -1;
	}
	pthread_mutex_lock(&tp->tp_lock);
	while (tp->tp_started < tp->tp_nthreads)
		pthread_cond_wait(&tp->tp_cond, &tp->tp_lock);
	pthread_mutex_unlock(&tp->tp_lock);
	return 0;
}

/* On a pool's thread, once it is ready for its sandboxed life. */
void
tpool_started(struct tpool *tp)
{
	pthread_mutex_lock(&tp->tp_lock);
	tp->tp_started++;
	pthread_cond_broadcast(&tp->tp_cond);
	pthread_mutex_unlock(&tp->tp_lock);
}

/* With tp_lock held: wake the loop, once until it has drained. */
void
tpool_wake_locked(struct tpool *tp)
{
	static const char	 one = 1;

	if (tp->tp_wake_pending)
		return;
	/* The pipe is non-blocking; a full pipe is already a wakeup. */
	if (write(tp->tp_wake[1], &one, 1) == 1 || errno == EAGAIN)
		tp->tp_wake_pending = 1;
}

/* On the loop, in the wake event's callback. */
void
tpool_drain(evutil_socket_t fd)
{
	char	 buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* Each thread finishes the job it is running, if any, and is joined. */
void
tpool_stop(struct tpool *tp)
{
	int	 i;

	pthread_mutex_lock(&tp->tp_lock);
	tp->tp_stopping = 1;
	pthread_cond_broadcast(&tp->tp_cond);
	pthread_mutex_unlock(&tp->tp_lock);
	for (i = 0; i < tp->tp_nthreads; i++)
		pthread_join(tp->tp_threads[i], NULL);
	free(tp->tp_threads);
	tp->tp_threads = NULL;
	tp->tp_nthreads = 0;
	tp->tp_started = 0;
}

void
tpool_free(struct tpool *tp)
{
	if (tp->tp_ev != NULL)
		event_free(tp->tp_ev);
	if (tp->tp_wake[0] != -1)
		close(tp->tp_wake[0]);
	if (tp->tp_wake[1] != -1)
		close(tp->tp_wake[1]);
	pthread_cond_destroy(&tp->tp_cond);
	pthread_mutex_destroy(&tp->tp_lock);
	memset(tp, 0, sizeof(*tp));
	tp->tp_wake[0] = tp->tp_wake[1] = -1;
}
