/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The store's one interface (keyd.h's STORE_OPS) over its backends:
 * SQLite for a path, PostgreSQL for a postgresql:// URI.  The backend
 * is chosen once, by store_open(); an operation it does not provide
 * fails with a log line that names it, never silently.
 */
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "keyd.h"
#include "log.h"
#include "query.h"

static const struct store_backend	*store_be = &store_sqlite;

static int
store_unsupported(const char *op)
{
	log_warnx("store: %s is not available on %s yet", op, store_be->name);
	return -1;
}

int
store_open(const char *where)
{
	store_be = CONF_DATABASE_PG(where) ? &store_pg : &store_sqlite;
	return store_be->open(where);
}

void
store_close(void)
{
	store_be->close();
}

void
store_rollback(void)
{
	store_be->rollback();
}

/*
 * The invalidations of other hosts sharing the store come in on keyd's
 * loop (invalidate_apply()); a single-host store has none.
 */
int
store_listen(struct event_base *base)
{
	return store_be->listen != NULL ? store_be->listen(base) : 0;
}

/*
 * Is the store out of reach (a database server that does not answer),
 * so that a failure is the service's (503), not the request's (500)?
 */
int
store_down(void)
{
	return store_be->down != NULL && store_be->down();
}

/*
 * May what the running job read be older than an invalidation already
 * pushed (a reader's, on PostgreSQL: store_pg.c's pg_stale())?  Then a
 * worker must not cache its answer.  Never on a store keyd reads one
 * job at a time.
 */
int
store_stale(void)
{
	return store_be->stale != NULL && store_be->stale();
}

/*
 * A hint: the running job will read by id the user whose JSON it then
 * reads (GET /users/me), so that a backend may read both at once.
 */
void
store_user_json_ahead(void)
{
	if (store_be->user_json_ahead != NULL)
		store_be->user_json_ahead();
}

/* The SQL of the open store, for the conditions keyd builds. */
int
store_dialect(void)
{
	return store_be == &store_pg ? QUERY_PG : QUERY_SQLITE;
}

/* An invalidation of this host's, told to the others sharing the store. */
void
store_announce(uint8_t kind, const void *key, size_t len)
{
	if (store_be->announce != NULL)
		store_be->announce(kind, key, len);
}

/* INVALIDATE_SESSION of n hashes (contiguous), in one go where it can. */
void
store_announce_sessions(const uint8_t *hashes, size_t n)
{
	size_t	 i;

	if (store_be->announce_sessions != NULL)
		store_be->announce_sessions(hashes, n);
	else
		for (i = 0; i < n; i++)
			store_announce(INVALIDATE_SESSION,
			    hashes + i * STORE_HASH_LEN, STORE_HASH_LEN);
}

/*
 * With the store's fiber (PostgreSQL), only a job of the fiber's may
 * use the connection while a job is under way: another caller would
 * put its statements into that job's transaction.  Such a caller is a
 * bug (a callback that was not made a job): it fails, with a log line.
 */
static int
store_elsewhere(const char *op)
{
	if (!fiber_enabled() || fiber_inside() || !fiber_busy())
		return 0;
	log_warnx("store: %s called off the store's fiber while it is "
	    "busy", op);
	return 1;
}

#define STORE_DISPATCH(n, p, a)						\
int									\
store_##n p								\
{									\
	if (store_be->n == NULL)					\
		return store_unsupported(#n);				\
	if (store_elsewhere(#n))					\
		return -1;						\
	return store_be->n a;						\
}
STORE_OPS(STORE_DISPATCH)
#undef STORE_DISPATCH
