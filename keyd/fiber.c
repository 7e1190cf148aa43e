/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The store's fibers: on PostgreSQL, everything of keyd that reaches the
 * store runs on a coroutine (ucontext).  The store fiber runs one job at
 * a time, in the order the jobs came: the requests of the workers and
 * the parent, the callbacks of the hashing pool, the timers that write
 * the store, the group commit.  A statement in flight suspends it
 * (store_pg.c sends it with PQsendQueryParams and waits for PQsocket
 * here), and keyd's event loop runs on meanwhile: the workers' channels
 * are read and written, invalidations (other hosts' NOTIFYs included)
 * are pushed, new channels get their signing keys, health is answered,
 * and the requests that come are queued for the fiber.  A slow database
 * delays only what needs it.
 *
 * The requests that only read (a token no worker has cached: keyd.c's
 * keyd_request_reads()) go to the reader fibers instead, KEYD_READERS of
 * them, each running one such job at a time: store_pg.c sends their
 * statements on a connection of their own, one after the other without
 * waiting (libpq's pipeline), those of one pass of the loop with one
 * sync, and wakes each reader when its result is in (fiber_sleep(),
 * fiber_wakeup()).  So cold reads neither queue one round trip at a
 * time nor wait behind a commit's sync.
 *
 * One thread: a fiber touches keyd's state only while the loop and the
 * other fibers do not, so nothing here needs a lock.  The store fiber's
 * jobs run one after the other, so a transaction is never interleaved
 * with another job's statements, as before; a reader has no
 * transaction (store_pg.c refuses one).  SQLite keeps its synchronous
 * calls (a local file): no fiber.
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

struct fiber {
	ucontext_t		 self;
	void			*stack;
	struct fiber_jobs	*jobs;		/* the queue it takes from */
	size_t			*njobs;
	int			 reader;	/* from 1; 0: the store fiber */
	int			 running;	/* a job under way */
	int			 waiting;	/* suspended on a socket */
	int			 sleeping;	/* suspended until woken */
	int			 woken;		/* by a fiber, for the loop */
	int			 ready;
	struct event		*ev;		/* the socket it waits for */
	uint64_t		 job;		/* the job under way */
	uint64_t		 swapped;	/* its push to wait for (keyd.c) */
};

static struct {
	struct event_base	*base;
	int			 enabled;
	struct fiber		*cur;		/* running now; NULL: the loop */
	ucontext_t		 loop;
	struct fiber		 store;
	struct fiber		 readers[KEYD_READERS];
	struct fiber_jobs	 jobs, reads;
	size_t			 njobs, nreads;
	struct event		*kick;		/* start the idle ones */
	uint64_t		 serial;	/* jobs begun so far */
	void			(*swap)(uint64_t *);
} fib = {
	.jobs = TAILQ_HEAD_INITIALIZER(fib.jobs),
	.reads = TAILQ_HEAD_INITIALIZER(fib.reads)
};

static void	 fiber_main(unsigned int);
static void	 fiber_resume(struct fiber *);
static void	 fiber_kick(evutil_socket_t, short, void *);

static int
fiber_make(struct fiber *f, int reader)
{
	if ((f->stack = malloc(FIBER_STACK)) == NULL ||
	    getcontext(&f->self) == -1)
		return -1;
	f->self.uc_stack.ss_sp = f->stack;
	f->self.uc_stack.ss_size = FIBER_STACK;
	f->self.uc_link = NULL;
	f->reader = reader;
	f->jobs = reader ? &fib.reads : &fib.jobs;
	f->njobs = reader ? &fib.nreads : &fib.njobs;
	makecontext(&f->self, (void (*)(void))fiber_main, 1,
	    (unsigned int)reader);
	return 0;
}

/*
 * swap exchanges what keyd keeps for the context that runs (the push
 * its next answer waits for) with the fiber's own, on the way in and
 * on the way out.
 */
int
fiber_init(struct event_base *base, void (*swap)(uint64_t *))
{
	int	 i;

	fib.base = base;
	fib.swap = swap;
	if ((fib.kick = event_new(base, -1, 0, fiber_kick, NULL)) == NULL ||
	    fiber_make(&fib.store, 0) == -1)
		return -1;
	for (i = 0; i < KEYD_READERS; i++)
		if (fiber_make(&fib.readers[i], i + 1) == -1)
			return -1;
	fib.enabled = 1;
	return 0;
}

int
fiber_enabled(void)
{
	return fib.enabled;
}

/* On a fiber now (a store call may suspend). */
int
fiber_inside(void)
{
	return fib.cur != NULL;
}

/* On a reader now: its number (from 1), or 0. */
int
fiber_reader(void)
{
	return fib.cur != NULL ? fib.cur->reader : 0;
}

/* The store fiber has a job under way, maybe suspended: it is not free. */
int
fiber_busy(void)
{
	return fib.store.running;
}

size_t
fiber_queued(void)
{
	return fib.njobs;
}

/* The job under way (a serial number, never 0 on a fiber). */
uint64_t
fiber_job(void)
{
	return fib.cur != NULL ? fib.cur->job : 0;
}

static struct fiber *
fiber_of(unsigned int reader)
{
	return reader == 0 ? &fib.store : &fib.readers[reader - 1];
}

/* Back to the loop, from the fiber that runs. */
static void
fiber_yield(void)
{
	struct fiber	*f = fib.cur;

	fib.cur = NULL;
	if (fib.swap != NULL)
		fib.swap(&f->swapped);
	if (swapcontext(&f->self, &fib.loop) == -1)
		fatal("swapcontext");
}

static void
fiber_main(unsigned int reader)
{
	struct fiber		*f = fiber_of(reader);
	struct fiber_job	*j;

	for (;;) {
		while ((j = TAILQ_FIRST(f->jobs)) != NULL) {
			TAILQ_REMOVE(f->jobs, j, entry);
			(*f->njobs)--;
			f->running = 1;
			f->job = ++fib.serial;
			if (j->evcb != NULL)
				j->evcb(j->fd, j->events, j->arg);
			else
				j->fn(j->arg);
			free(j);
		}
		f->running = 0;
		f->job = 0;
		/* Idle: back to the loop until the next job. */
		fiber_yield();
	}
}

/* From the loop: run f until it waits or has nothing left. */
static void
fiber_resume(struct fiber *f)
{
	if (fib.cur != NULL)
		fatalx("fiber: resumed from a fiber");
	if (fib.swap != NULL)
		fib.swap(&f->swapped);
	fib.cur = f;
	if (swapcontext(&fib.loop, &f->self) == -1)
		fatal("swapcontext");
}

/* From the loop: start the idle fibers that have jobs waiting. */
static void
fiber_start(void)
{
	struct fiber	*f;
	int		 i;

	if (!fib.store.running && fib.njobs > 0)
		fiber_resume(&fib.store);
	for (i = 0; i < KEYD_READERS; i++) {
		f = &fib.readers[i];
		if (f->woken) {
			f->woken = 0;
			fiber_resume(f);
		} else if (!f->running && fib.nreads > 0)
			fiber_resume(f);
	}
}

static void
fiber_kick(evutil_socket_t fd, short events, void *arg)
{
	fiber_start();
}

static void
fiber_queue(struct fiber_job *j, int read)
{
	TAILQ_INSERT_TAIL(read ? &fib.reads : &fib.jobs, j, entry);
	(*(read ? &fib.nreads : &fib.njobs))++;
	/* An idle fiber starts at once (from a fiber: from the loop). */
	if (fib.cur == NULL)
		fiber_start();
	else
		event_active(fib.kick, EV_TIMEOUT, 0);
}

static struct fiber_job *
fiber_job_new(void)
{
	struct fiber_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		fatal("calloc");
	return j;
}

/* Run fn(arg) on the store fiber (at once when it is idle). */
void
fiber_post(void (*fn)(void *), void *arg)
{
	struct fiber_job	*j;

	if (!fib.enabled || fib.cur == &fib.store) {
		fn(arg);
		return;
	}
	j = fiber_job_new();
	j->fn = fn;
	j->arg = arg;
	fiber_queue(j, 0);
}

/* Run fn(arg), which only reads the store, on a reader. */
void
fiber_post_read(void (*fn)(void *), void *arg)
{
	struct fiber_job	*j;

	if (!fib.enabled) {
		fn(arg);
		return;
	}
	j = fiber_job_new();
	j->fn = fn;
	j->arg = arg;
	fiber_queue(j, 1);
}

/*
 * An event callback that reaches the store calls this first: 1 when
 * it was queued for the store fiber (the caller returns), 0 when it
 * runs now (on that fiber already, or no fiber).
 */
int
fiber_defer(void (*cb)(int, short, void *), int fd, short events,
    void *arg)
{
	struct fiber_job	*j;

	if (!fib.enabled || fib.cur == &fib.store)
		return 0;
	j = fiber_job_new();
	j->evcb = cb;
	j->fd = fd;
	j->events = events;
	j->arg = arg;
	fiber_queue(j, 0);
	return 1;
}

static void
fiber_wake(evutil_socket_t fd, short events, void *arg)
{
	struct fiber	*f = arg;

	f->ready = 1;
	if (f->waiting)
		fiber_resume(f);
}

/*
 * On a fiber: wait until fd is readable (EV_READ) or writable
 * (EV_WRITE), the loop running meanwhile.  -1 off the fibers: the
 * caller waits as it would without one.
 */
int
fiber_wait(int fd, short what)
{
	struct fiber	*f = fib.cur;

	if (f == NULL || fib.base == NULL)
		return -1;
	if (f->ev != NULL)
		event_free(f->ev);
	f->ready = 0;
	if ((f->ev = event_new(fib.base, fd, what, fiber_wake, f)) == NULL ||
	    event_add(f->ev, NULL) == -1)
		fatalx("fiber: cannot watch the store's socket");
	f->waiting = 1;
	while (!f->ready)
		fiber_yield();
	f->waiting = 0;
	return 0;
}

/* The store fiber is suspended on its socket (store_pg.c leaves it alone). */
int
fiber_waiting(void)
{
	return fib.store.waiting;
}

/*
 * On a reader: suspend until fiber_wakeup() with the number
 * fiber_reader() gave (the loop running meanwhile).  -1 elsewhere.
 */
int
fiber_sleep(void)
{
	struct fiber	*f = fib.cur;

	if (f == NULL || f->reader == 0)
		return -1;
	f->sleeping = 1;
	while (f->sleeping)
		fiber_yield();
	return 0;
}

/*
 * The reader of that number goes on: now, from the loop; from a fiber,
 * when the loop is back.
 */
void
fiber_wakeup(int reader)
{
	struct fiber	*f;

	if (reader < 1 || reader > KEYD_READERS)
		fatalx("fiber: no reader %d", reader);
	f = &fib.readers[reader - 1];
	if (!f->sleeping)
		return;
	f->sleeping = 0;
	if (fib.cur == NULL)
		fiber_resume(f);
	else {
		f->woken = 1;
		event_active(fib.kick, EV_TIMEOUT, 0);
	}
}
