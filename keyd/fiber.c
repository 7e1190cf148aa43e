/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The store fiber: on PostgreSQL, everything of keyd that reaches the
 * store runs on one coroutine (ucontext), one job at a time, in the
 * order the jobs came: the requests of the workers and the parent, the
 * callbacks of the hashing pool, the timers that write the store, the
 * group commit.  A statement in flight suspends the fiber (store_pg.c
 * sends it with PQsendQueryParams and waits for PQsocket here), and
 * keyd's event loop runs on meanwhile: the workers' channels are read
 * and written, invalidations (other hosts' NOTIFYs included) are pushed,
 * new channels get their signing keys, health is answered, and the
 * requests that come are queued for the fiber.  A slow database delays
 * only what needs it.
 *
 * One thread: the fiber touches keyd's state only while the loop does
 * not, so nothing here needs a lock.  Jobs run one after the other, so
 * a transaction is never interleaved with another job's statements, as
 * before.  SQLite keeps its synchronous calls (a local file): no fiber.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include <event2/event.h>

#include "keyd.h"
#include "log.h"

#define FIBER_STACK	(1024 * 1024)

struct fiber_job {
	TAILQ_ENTRY(fiber_job)	 entry;
	void			(*fn)(void *);
	void			*arg;
	/* or an event callback */
	void			(*evcb)(int, short, void *);
	int			 fd;
	short			 events;
};
TAILQ_HEAD(fiber_jobs, fiber_job);

static struct {
	struct event_base	*base;
	int			 enabled;
	int			 inside;	/* running on the fiber now */
	int			 running;	/* a job under way */
	int			 waiting;	/* suspended on a socket */
	ucontext_t		 loop;
	ucontext_t		 self;
	void			*stack;
	struct fiber_jobs	 jobs;
	size_t			 njobs;
	struct event		*ev;		/* the socket it waits for */
	int			 ready;
	uint64_t		 job;		/* jobs begun so far */
	void			(*swap)(void);
} fib = { .jobs = TAILQ_HEAD_INITIALIZER(fib.jobs) };

static void	 fiber_main(void);
static void	 fiber_resume(void);

int
fiber_init(struct event_base *base, void (*swap)(void))
{
	fib.base = base;
	fib.swap = swap;
	if ((fib.stack = malloc(FIBER_STACK)) == NULL ||
	    getcontext(&fib.self) == -1)
		return -1;
	fib.self.uc_stack.ss_sp = fib.stack;
	fib.self.uc_stack.ss_size = FIBER_STACK;
	fib.self.uc_link = NULL;
	makecontext(&fib.self, fiber_main, 0);
	fib.enabled = 1;
	return 0;
}

int
fiber_enabled(void)
{
	return fib.enabled;
}

/* On the fiber now (a store call may suspend). */
int
fiber_inside(void)
{
	return fib.inside;
}

/* A job is under way, maybe suspended: the store is not free. */
int
fiber_busy(void)
{
	return fib.running;
}

size_t
fiber_queued(void)
{
	return fib.njobs;
}

/* The job under way (a serial number, never 0 on the fiber). */
uint64_t
fiber_job(void)
{
	return fib.inside ? fib.job : 0;
}

static void
fiber_main(void)
{
	struct fiber_job	*j;

	for (;;) {
		while ((j = TAILQ_FIRST(&fib.jobs)) != NULL) {
			TAILQ_REMOVE(&fib.jobs, j, entry);
			fib.njobs--;
			fib.running = 1;
			fib.job++;
			if (j->evcb != NULL)
				j->evcb(j->fd, j->events, j->arg);
			else
				j->fn(j->arg);
			free(j);
		}
		fib.running = 0;
		/* Idle: back to the loop until the next job. */
		fib.inside = 0;
		if (fib.swap != NULL)
			fib.swap();
		if (swapcontext(&fib.self, &fib.loop) == -1)
			fatal("swapcontext");
	}
}

/* From the loop: run the fiber until it waits or has nothing left. */
static void
fiber_resume(void)
{
	if (fib.inside)
		return;
	if (fib.swap != NULL)
		fib.swap();
	fib.inside = 1;
	if (swapcontext(&fib.loop, &fib.self) == -1)
		fatal("swapcontext");
	fib.inside = 0;
}

static void
fiber_queue(struct fiber_job *j)
{
	TAILQ_INSERT_TAIL(&fib.jobs, j, entry);
	fib.njobs++;
	/* An idle fiber starts at once; a busy one takes it in turn. */
	if (!fib.running && !fib.inside)
		fiber_resume();
}

/* Run fn(arg) on the fiber (at once when it is idle). */
void
fiber_post(void (*fn)(void *), void *arg)
{
	struct fiber_job	*j;

	if (!fib.enabled || fib.inside) {
		fn(arg);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		fatal("calloc");
	j->fn = fn;
	j->arg = arg;
	fiber_queue(j);
}

/*
 * An event callback that reaches the store calls this first: 1 when
 * it was queued for the fiber (the caller returns), 0 when it runs now
 * (on the fiber already, or no fiber).
 */
int
fiber_defer(void (*cb)(int, short, void *), int fd, short events,
    void *arg)
{
	struct fiber_job	*j;

	if (!fib.enabled || fib.inside)
		return 0;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		fatal("calloc");
	j->evcb = cb;
	j->fd = fd;
	j->events = events;
	j->arg = arg;
	fiber_queue(j);
	return 1;
}

static void
fiber_wake(evutil_socket_t fd, short events, void *arg)
{
	fib.ready = 1;
	if (fib.waiting)
		fiber_resume();
}

/*
 * On the fiber: wait until fd is readable (EV_READ) or writable
 * (EV_WRITE), the loop running meanwhile.  -1 off the fiber: the
 * caller waits as it would without one.
 */
int
fiber_wait(int fd, short what)
{
	if (!fib.inside || fib.base == NULL)
		return -1;
	if (fib.ev != NULL)
		event_free(fib.ev);
	fib.ready = 0;
	if ((fib.ev = event_new(fib.base, fd, what, fiber_wake,
	    NULL)) == NULL || event_add(fib.ev, NULL) == -1)
		fatalx("fiber: cannot watch the store's socket");
	fib.waiting = 1;
	while (!fib.ready) {
		fib.inside = 0;
		if (fib.swap != NULL)
			fib.swap();
		if (swapcontext(&fib.self, &fib.loop) == -1)
			fatal("swapcontext");
	}
	fib.waiting = 0;
	return 0;
}

/* Suspended on the store's socket (store_pg.c leaves it alone then). */
int
fiber_waiting(void)
{
	return fib.waiting;
}
