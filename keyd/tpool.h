/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The mechanics keyd's thread pools share (tpool.c): threads that block
 * every signal, a lock and a condition, and a non-blocking pipe that
 * wakes the event loop when a thread has finished a job.  Each pool
 * (hash.c, verify.c) keeps its own job queues under tp_lock, its own
 * thread body and its own delivery on the loop.
 */
#ifndef TOKEND_TPOOL_H
#define TOKEND_TPOOL_H

#include <pthread.h>

#include <event2/event.h>

struct tpool {
	pthread_mutex_t	 tp_lock;
	pthread_cond_t	 tp_cond;
	pthread_t	*tp_threads;
	int		 tp_nthreads;
	int		 tp_started;	/* threads that said tpool_started() */
	int		 tp_stopping;
	int		 tp_wake_pending;
	int		 tp_wake[2];
	struct event	*tp_ev;
};

/* tpool.c */
int	 tpool_init(struct tpool *, struct event_base *, event_callback_fn);
int	 tpool_start(struct tpool *, int, void *(*)(void *));
void	 tpool_started(struct tpool *);
void	 tpool_wake_locked(struct tpool *);
void	 tpool_drain(evutil_socket_t);
void	 tpool_stop(struct tpool *);
void	 tpool_free(struct tpool *);

#endif /* TOKEND_TPOOL_H */
