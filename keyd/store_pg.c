/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The credential store on PostgreSQL (libpq), so that several tokend
 * hosts share one: the backend store_pg behind keyd.h's STORE_OPS.
 * Every statement is a constant with $n parameters; nothing of a
 * request is ever part of the SQL text.  Hashes go as binary bytea.
 *
 * The schema is versioned in tokend_schema (one row) and migrated at
 * open, each step in its own transaction under a transaction-scoped
 * advisory lock, so that hosts starting at once apply each step once.
 *
 * Across hosts, a refresh rotation is one conditional statement
 * (pg_session_rotate()): the UPDATE takes the row lock, and of two
 * hosts rotating one token the second waits for the first to commit,
 * then finds the token gone and loses.  In its own savepoint
 * (pg_guarded()): when PostgreSQL ends it as the victim of a deadlock
 * (two hosts' groups rotating the same tokens in other orders), only
 * this refresh fails (503), and the rest of its group commits.
 *
 * A lost connection: 503 and emptied caches until keyd is connected
 * again (pg_lost()).
 *
 * A slow database does not stall keyd's loop: on the store's fiber
 * (fiber.c), where every caller of the store runs, a statement is sent
 * with PQsendQueryParams and its result read when PQsocket is readable
 * in keyd's loop (pg_wait()), the fiber suspended meanwhile.  Off the
 * fiber (at open, before the loop) statements wait (PQexecParams).  A
 * reconnect (PQreset) still waits, up to connect_timeout.
 *
 * The /users and /activity lists, counts and groups take conditions
 * that keyd builds with query_sql.c in PostgreSQL's words
 * (store_dialect()): typed "$n" parameters, pg_typeof() guards,
 * strpos(), true and false; regress/daemon/pgsuite.sh checks that they
 * answer as SQLite does.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "keyd.h"
#include "log.h"
#include "query.h"

/* The advisory lock of the migrations: "tokend" in ASCII. */
#define PG_MIGRATE_LOCK	"127979240238436"
#define PG_PARAMS_MAX	10
#define PG_STR_(x)	#x
#define PG_STR(x)	PG_STR_(x)
#define PG_SQLSTATE_UNIQUE	"23505"
#define PG_CHANNEL	"tokend_invalidate"
#define PG_NOTES_MAX	4096	/* more waiting: invalidate everything */
#define PG_RETRY_MIN_MS	100	/* reconnect after a loss: first wait, */
#define PG_RETRY_MAX_MS	10000	/* doubled up to this */
#define PG_READER_NAME	"tokend keyd reader"	/* application_name */

/*
 * Migrations, applied in order; index + 1 is the schema version they
 * produce.  Never edit a released entry: append a new one.  Version 1
 * is the SQLite schema of store.c's version 9.
 */
static const char *const pg_migrations[] = {
	"CREATE TABLE users ("
	"  id text PRIMARY KEY,"
	"  email text NOT NULL,"
	"  password text,"
	"  status text NOT NULL DEFAULT 'active' CHECK (status IN"
	"    ('active','suspended','archived','draft','invited',"
	"     'unverified')),"
	"  role text,"
	"  first_name text, last_name text, location text, title text,"
	"  description text, tags text, avatar text,"
	"  language text, appearance text, theme_light text,"
	"  theme_dark text, email_notifications bigint NOT NULL DEFAULT 1,"
	"  token_hash bytea UNIQUE,"
	"  tfa_secret text,"
	"  last_access bigint, last_page text,"
	"  provider text NOT NULL DEFAULT 'default',"
	"  external_identifier text,"
	"  tfa_last_step bigint"
	");"
	"CREATE UNIQUE INDEX users_email ON users (lower(email));"
	"CREATE TABLE sessions ("
	"  id bigserial UNIQUE,"
	"  token_hash bytea PRIMARY KEY,"
	"  user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  expires bigint NOT NULL,"
	"  ip text, user_agent text, origin text,"
	"  family bytea NOT NULL"
	");"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"CREATE INDEX sessions_family ON sessions(family);"
	"CREATE INDEX sessions_expires ON sessions(expires);"
	"CREATE TABLE retired ("
	"  token_hash bytea PRIMARY KEY,"
	"  family bytea NOT NULL,"
	"  rotated bigint NOT NULL,"
	"  expires bigint NOT NULL"
	");"
	"CREATE INDEX retired_family ON retired(family);"
	"CREATE INDEX retired_expires ON retired(expires);"
	"CREATE TABLE tfa_recovery ("
	"  user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  hash bytea NOT NULL,"
	"  PRIMARY KEY (user_id, hash)"
	");"
	"CREATE TABLE outbox ("
	"  id bigserial PRIMARY KEY,"
	"  kind text NOT NULL,"
	"  user_id text NOT NULL,"
	"  rcpt text NOT NULL,"
	"  data bytea NOT NULL,"
	"  created bigint NOT NULL,"
	"  expires bigint NOT NULL,"
	"  attempts integer NOT NULL DEFAULT 0,"
	"  next_try bigint NOT NULL,"
	"  last_error text"
	");"
	"CREATE INDEX outbox_next ON outbox(next_try);"
	"CREATE TABLE mail_tokens ("
	"  user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  scope text NOT NULL,"
	"  jti text NOT NULL,"
	"  expires bigint NOT NULL,"
	"  PRIMARY KEY (user_id, scope)"
	");"
	"CREATE TABLE audit ("
	"  id bigserial PRIMARY KEY,"
	"  action text NOT NULL,"
	"  user_id text,"
	"  timestamp bigint NOT NULL,"
	"  ip text, user_agent text, origin text,"
	"  collection text, item text,"
	"  reason text"
	");"
	"CREATE INDEX audit_timestamp ON audit(timestamp);"
	"CREATE FUNCTION audit_append_only() RETURNS trigger"
	"  LANGUAGE plpgsql AS $$ BEGIN"
	"  RAISE EXCEPTION 'the audit trail is append-only'; END $$;"
	"CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit"
	"  FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
	"CREATE TABLE user_policies ("
	"  id text PRIMARY KEY,"
	"  user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  policy text NOT NULL,"
	"  sort integer NOT NULL,"
	"  UNIQUE (user_id, policy)"
	");",
	/*
	 * 2: a session's last use (the portal's own sessions), and the
	 * users' order of creation (SQLite's rowid: /users pages by it).
	 */
	"ALTER TABLE sessions ADD COLUMN last_used bigint;"
	"ALTER TABLE users ADD COLUMN seq bigserial;"
	"CREATE INDEX users_seq ON users(seq);"
	/* The account counts of lockout.c, shared (pg_lockout_fail()). */
	"CREATE TABLE lockouts ("
	"  email text PRIMARY KEY,"
	"  failures integer NOT NULL,"
	"  last bigint NOT NULL,"
	"  until bigint NOT NULL"
	");"
	"CREATE INDEX lockouts_last ON lockouts(last);"
	/* rate-limit-shared: an address's window (pg_rate_hit()). */
	"CREATE TABLE rate_counts ("
	"  address text PRIMARY KEY,"
	"  count bigint NOT NULL,"
	"  reset bigint NOT NULL"
	");"
	"CREATE INDEX rate_counts_reset ON rate_counts(reset);",
	/*
	 * 3: every count of lockout.c is shared, by kind: an account's
	 * (the rows so far), an address's, an address's on an account.
	 */
	"ALTER TABLE lockouts RENAME COLUMN email TO key;"
	"ALTER TABLE lockouts ADD COLUMN kind \"char\" NOT NULL DEFAULT 'u';"
	"ALTER TABLE lockouts DROP CONSTRAINT lockouts_pkey;"
	"ALTER TABLE lockouts ADD PRIMARY KEY (kind, key);",
	/*
	 * 4: a refresh token names its session (auth.c): a session is
	 * found by its id and a rotation moves its generation on, in its
	 * row alone.  The token's hash is kept only for a session begun
	 * before (NULL once it rotates), and no index is on a column a
	 * rotation changes, so that its update is HOT, with room for it
	 * on the row's page: expired sessions are swept a slice of ids at
	 * a time (pg_sessions_expire()) instead of by sessions_expires.
	 */
	"ALTER TABLE sessions DROP CONSTRAINT sessions_pkey;"
	"ALTER TABLE sessions ALTER COLUMN token_hash DROP NOT NULL;"
	"CREATE UNIQUE INDEX sessions_token ON sessions(token_hash);"
	"ALTER TABLE sessions ALTER COLUMN family DROP NOT NULL;"
	"ALTER TABLE sessions ADD COLUMN gen bigint, ADD COLUMN salt bytea, "
	"  ADD COLUMN rotated bigint;"
	"DROP INDEX sessions_expires;"
	"ALTER TABLE sessions SET (fillfactor = 80);",
};
#define PG_VERSION	\
	(int)(sizeof(pg_migrations) / sizeof(pg_migrations[0]))

#define PG_USER_COLUMNS \
	"id, email, coalesce(password, ''), status, coalesce(role, ''), " \
	"CASE WHEN tfa_secret IS NULL THEN 0 ELSE 1 END, " \
	"coalesce((SELECT string_agg(policy, ' ' ORDER BY sort) " \
	"FROM user_policies WHERE user_id = users.id), '')"

/* pg_user_prepare()'s statement is head, the JSON, tail. */
#define PG_USER_SQL_HEAD	"SELECT "
#define PG_USER_SQL_TAIL	" FROM users WHERE id = $1"

#define PG_NOW_MS	"(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

/* An instant as Directus writes it, from ms since the epoch. */
#define PG_TIME_HEAD	"to_char(to_timestamp("
#define PG_TIME_TAIL	" / 1000.0) AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define PG_TIME(c)	PG_TIME_HEAD c PG_TIME_TAIL
/* The same to the second, as tokenctl lists it. */
#define PG_SECONDS(c) \
	"to_char(to_timestamp(" c " / 1000) AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* The parameters of one statement: text, or binary (bytea). */
struct pg_params {
	const char	*value[PG_PARAMS_MAX];
	int		 len[PG_PARAMS_MAX];
	int		 format[PG_PARAMS_MAX];
	char		 num[PG_PARAMS_MAX][24];
	int		 n;
};

/* Another host's invalidation, waiting for keyd's loop. */
struct pg_note {
	TAILQ_ENTRY(pg_note)	 entry;
	uint8_t			 kind;
	size_t			 len;
	uint8_t			 key[STORE_ID_MAX + 1];
};
TAILQ_HEAD(pg_notes, pg_note);

static PGconn		*pg;
static struct event	*pg_ev;		/* the connection readable */
static struct pg_notes	 pg_notes = TAILQ_HEAD_INITIALIZER(pg_notes);
static size_t		 pg_nnotes;
static int		 pg_notes_lost;	/* too many: everything goes */
/*
 * A lost connection: requests fail at once (503) while pg_retry_ev
 * reconnects with back-off.  pg_gen counts the connections, so that a
 * transaction begun on one never commits as if on the next.
 */
static char		*pg_uri;
static struct event_base *pg_base;
static struct event	*pg_retry_ev;
static int		 pg_down;
static int64_t		 pg_retry_ms;
static unsigned int	 pg_gen, pg_tx_gen, pg_batch_gen;
static char		*pg_user_sql;	/* the user's JSON, from user_fields */
static char		*pg_user_ahead_sql;	/* the user with its JSON */
static char		**pg_user_updates;	/* each plain field's UPDATE */
static int		 pg_batching;
static int		 pg_nested;
/*
 * The read connection, the reader fibers' (fiber.c): each statement is
 * sent as soon as a reader makes it, whatever else is in flight
 * (libpq's pipeline), and the statements sent in one pass of keyd's
 * loop share one sync (pg_rd_sync_cb()): PostgreSQL ends a transaction
 * and flushes its output at each sync, the most of its cost for a
 * statement this small.  Each result goes to its reader in the order
 * sent (pg_rd_cb()), the reader going on without waiting for the sync.
 * Read only, never in a transaction of its own: every statement sees
 * what is committed when it runs (read committed, the statements of a
 * sync sharing its implicit transaction but not a snapshot), never the
 * open group commit's writes nor any job's uncommitted ones.  A failing
 * statement makes PostgreSQL skip the rest until the sync: theirs come
 * back PGRES_PIPELINE_ABORTED, and their readers send them again.
 */
struct pg_rd_wait {
	TAILQ_ENTRY(pg_rd_wait)	 entry;
	int			 reader;
	int			 prep;		/* its PREPARE went first, or -1 */
	int			 ends;		/* statements of it answered */
	int			 sync;		/* a sync was sent after it */
	PGresult		*res;
};
TAILQ_HEAD(pg_rd_waits, pg_rd_wait);
static PGconn		*pg_rd;
static struct event	*pg_rd_ev;
static struct pg_rd_waits pg_rd_waits = TAILQ_HEAD_INITIALIZER(pg_rd_waits);
static struct event	*pg_rd_sync_ev;	/* at the end of the loop's pass */
static int		 pg_rd_unsynced;	/* statements sent since a sync */
static int		 pg_rd_syncs;	/* syncs due before the next result */
/*
 * A reader's answer may be cached by a worker only when nothing was
 * written meanwhile (pg_stale()): pg_changes counts what may have
 * changed rows this keyd reads (a statement on the main connection
 * outside a transaction, a COMMIT included; an invalidation of this
 * host's or another's; a lost connection), each counted before its
 * invalidation is pushed, and each reader's job notes it when it sends
 * its first statement.  An invalidation made inside a transaction is
 * pushed before the COMMIT (the answer to the change waits for both):
 * until that transaction ends (pg_tx_announced), a reader may still
 * read the rows as they were, after the push.
 */
static uint64_t		 pg_changes;
static int		 pg_tx_announced;
static struct {
	uint64_t	 job;
	uint64_t	 changes;
	/*
	 * GET /users/me (store_user_json_ahead()): the job that will want
	 * the JSON of the user it reads by id, and that JSON, read in the
	 * same statement (pg_user_by_id_ahead()).
	 */
	uint64_t	 ahead;
	char		 id[STORE_ID_MAX + 1];
	char		*json;
} pg_rd_jobs[KEYD_READERS];

static void	 pg_text(struct pg_params *, const char *);
static void	 pg_int(struct pg_params *, int64_t);
static void	 pg_hash(struct pg_params *, const uint8_t *);
static int	 pg_run(const char *, const struct pg_params *, PGresult **);
static PGresult	*pg_wait(int);
static void	 pg_log_error(const PGresult *);
static int	 pg_do(const char *, const struct pg_params *);
static int	 pg_exec(const char *);
static int	 pg_migrate(void);
static int	 pg_user_prepare(void);
static int	 pg_user_prepare_updates(void);
static int	 pg_one_int(const char *, const struct pg_params *, int64_t *);
static int	 pg_hex(const char *, uint8_t *);
static int	 pg_user(const char *, const struct pg_params *,
		    struct store_user *);
static int	 pg_rows(const char *, const struct pg_params *, int,
		    store_row_cb, void *);
static int	 pg_changed(PGresult *);
static void	 pg_notes_take(void);
static void	 pg_notes_apply(void);
static void	 pg_listen_cb(evutil_socket_t, short, void *);
static void	 pg_lost(void);
static void	 pg_retry_cb(evutil_socket_t, short, void *);
static int	 pg_watch(void);
static PGresult	*pg_rd_query(const char *, const struct pg_params *, int);
static void	 pg_rd_cb(evutil_socket_t, short, void *);
static void	 pg_rd_sync_cb(evutil_socket_t, short, void *);
static int	 pg_rd_send(struct pg_rd_wait *, const char *,
		    const struct pg_params *, int, int);
static int	 pg_rd_sync(void);
static void	 pg_rd_fail(void);
static int	 pg_rd_setup(void);
static int	 pg_rd_watch(void);
static int	 pg_user_by_id_ahead(const char *, struct store_user *, int *);
static char	*pg_json_compact(const char *);

static void
pg_text(struct pg_params *p, const char *s)
{
	p->value[p->n] = s;
	p->len[p->n] = 0;
	p->format[p->n] = 0;
	p->n++;
}

static void
pg_int(struct pg_params *p, int64_t v)
{
	(void)snprintf(p->num[p->n], sizeof(p->num[p->n]), "%" PRId64, v);
	pg_text(p, p->num[p->n]);
}

/* A token hash as bytea; NULL binds SQL NULL. */
static void
pg_hash(struct pg_params *p, const uint8_t *hash)
{
	p->value[p->n] = (const char *)hash;
	p->len[p->n] = STORE_HASH_LEN;
	p->format[p->n] = 1;
	p->n++;
}

/*
 * Pipeline mode (libpq 14), on the store's fiber: a statement whose
 * answer nothing waits for (PG_DEFER: a BEGIN, a SAVEPOINT or RELEASE,
 * an audit row, a NOTIFY, inside a transaction) is only queued, and goes
 * to PostgreSQL with the next statement that is waited for, in the same
 * round trip; its result is read then (pg_collect()).  A deferred
 * statement that fails poisons its transaction: the COMMIT that follows
 * rolls back and fails, so that nothing is acknowledged that is not on
 * disk.  The hot statements (PG_PREPARED) are parsed once per
 * connection (PQsendPrepare, itself deferred) and then only executed.
 */
#define PG_DEFER	0x01
#define PG_PREPARED	0x02
#define PG_PREP_MAX	32
#define PG_PENDING_MAX	64
/* A statement's rd_ready: 0, its PREPARE sent, or answered. */
#define PG_RD_PREPARING	1
#define PG_RD_PREPARED	2

/*
 * A statement prepared on the connection of generation gen, and on the
 * read connection of generation rd_gen.
 */
static struct {
	const char	*sql;		/* a constant: compared by address */
	unsigned int	 gen, rd_gen;
	int		 ready, rd_ready;
} pg_preps[PG_PREP_MAX];
static size_t		 pg_npreps;
/* The deferred statements sent whose results are unread: each one's prepared statement (its index), or -1. */
static int		 pg_pending[PG_PENDING_MAX];
static size_t		 pg_npending;
static int		 pg_in_tx;	/* BEGIN sent, no COMMIT or ROLLBACK yet */
/*
 * The user of the session pg_session_get() has just read (one round
 * trip for both), for the pg_user_by_id() that comes next in the same
 * fiber job, with no statement between: then, and only then, it is
 * what that statement would read.
 */
static struct store_user pg_next_user;
static uint64_t		 pg_next_job;	/* 0: none */
static uint64_t		 pg_nqueries, pg_next_at;
static int		 pg_poisoned;	/* a deferred statement of it failed */

/* A statement of any fiber's is under way: pg_next_user is not its. */
static void
pg_next_forget(void)
{
	pg_nqueries++;
	if (pg_next_job != 0) {
		explicit_bzero(&pg_next_user, sizeof(pg_next_user));
		pg_next_job = 0;
	}
}

static int
pg_prep_find(const char *sql)
{
	size_t	 i;

	for (i = 0; i < pg_npreps; i++)
		if (pg_preps[i].sql == sql)
			return (int)i;
	if (pg_npreps == PG_PREP_MAX)
		return -1;
	pg_preps[pg_npreps].sql = sql;
	pg_preps[pg_npreps].ready = pg_preps[pg_npreps].rd_ready = 0;
	return (int)pg_npreps++;
}

/* On the fiber, in pipeline mode (entered here): 1, or 0. */
static int
pg_pipeline(void)
{
	if (!fiber_inside())
		return 0;
	if (PQpipelineStatus(pg) != PQ_PIPELINE_OFF)
		return 1;
	return PQenterPipelineMode(pg) == 1;
}

/* The next result of the pipeline, the fiber waiting for it. */
static PGresult *
pg_next(int *gone)
{
	while (PQisBusy(pg)) {
		if (fiber_wait(PQsocket(pg), EV_READ) == -1 ||
		    PQconsumeInput(pg) == 0) {
			*gone = 1;
			return NULL;
		}
	}
	return PQgetResult(pg);
}

/* A failed statement's message, or the connection's. */
static void
pg_log_error(const PGresult *r)
{
	const char	*m;

	m = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;
	log_warnx("store: PostgreSQL: %s", m != NULL ? m :
	    PQerrorMessage(pg));
}

/* The last result of one statement of the pipeline. */
static PGresult *
pg_next_query(int *gone)
{
	PGresult	*r, *last = NULL;

	while (!*gone && (r = pg_next(gone)) != NULL) {
		PQclear(last);
		last = r;
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC ||
		    PQstatus(pg) != CONNECTION_OK) {
			*gone = 1;
			break;
		}
	}
	return last;
}

/*
 * After a PQpipelineSync(): the results of the deferred statements,
 * then the waited one's (*own, when own is not NULL), then the sync.
 * -1 when the connection broke or its results are not as sent.
 */
static int
pg_collect(PGresult **own)
{
	PGresult	*r;
	size_t		 i, n = pg_npending;
	int		 gone = 0;

	for (i = 0; i < n && !gone; i++) {
		r = pg_next_query(&gone);
		if (PQresultStatus(r) != PGRES_COMMAND_OK &&
		    PQresultStatus(r) != PGRES_TUPLES_OK) {
			if (pg_pending[i] >= 0)
				pg_preps[pg_pending[i]].ready = 0;
			if (PQresultStatus(r) != PGRES_PIPELINE_ABORTED)
				pg_log_error(r);
			pg_poisoned = 1;
		}
		PQclear(r);
	}
	pg_npending = 0;
	if (own != NULL && !gone)
		*own = pg_next_query(&gone);
	if (gone)
		return -1;
	r = pg_next(&gone);
	if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
		PQclear(r);
		return 0;
	}
	PQclear(r);
	return -1;
}

/*
 * Send one statement, and wait for its result (the last one, as
 * PQexec() gives) unless it is deferred (NULL then, and *deferred set).
 * NULL too when it could not be run: PQerrorMessage() says why.
 */
static PGresult *
pg_query(const char *sql, int n, const char *const *values, const int *lens,
    const int *fmts, int flags, int *deferred)
{
	PGresult	*r = NULL;
	char		 name[32];
	int		 i = -1, ok;

	*deferred = 0;
	pg_next_forget();
	if (!fiber_inside()) {
		/* Off the fiber: nothing is pending there (see pg_commit()). */
		if (PQpipelineStatus(pg) != PQ_PIPELINE_OFF &&
		    PQexitPipelineMode(pg) != 1)
			return NULL;
		return n == 0 && values == NULL ? PQexec(pg, sql) :
		    PQexecParams(pg, sql, n, NULL, values, lens, fmts, 0);
	}
	if (!pg_pipeline())
		return pg_wait(PQsendQueryParams(pg, sql, n, NULL, values,
		    lens, fmts, 0));
	/* Too many unread: one round trip for them first. */
	if (pg_npending + 2 >= PG_PENDING_MAX &&
	    (PQpipelineSync(pg) != 1 || pg_collect(NULL) == -1))
		goto broken;
	if ((flags & PG_PREPARED) && (i = pg_prep_find(sql)) >= 0) {
		(void)snprintf(name, sizeof(name), "tokend_%d", i);
		if (!pg_preps[i].ready || pg_preps[i].gen != pg_gen) {
			if (PQsendPrepare(pg, name, sql, n, NULL) != 1)
				goto broken;
			pg_pending[pg_npending++] = i;
			pg_preps[i].ready = 1;
			pg_preps[i].gen = pg_gen;
		}
		ok = PQsendQueryPrepared(pg, name, n, values, lens, fmts, 0);
	} else
		ok = PQsendQueryParams(pg, sql, n, NULL, values, lens, fmts,
		    0);
	if (ok != 1)
		goto broken;
	if (flags & PG_DEFER) {
		pg_pending[pg_npending++] = -1;
		*deferred = 1;
		return NULL;
	}
	if (PQpipelineSync(pg) != 1 || pg_collect(&r) == -1)
		goto broken;
	return r;
 broken:
	/* Out of step with the server: as a lost connection. */
	PQclear(r);
	pg_npending = 0;
	log_warnx("store: PostgreSQL: the pipeline broke: %s",
	    PQerrorMessage(pg));
	pg_lost();
	return NULL;
}

/*
 * Run one statement: 0 (with *res when asked), STORE_NOT_UNIQUE for a
 * unique violation, -1 for any other failure, logged without the
 * parameters (they may be credentials).  flags: PG_DEFER (only inside
 * a transaction: otherwise it waits), PG_PREPARED (sql a constant).
 */
static int
pg_run_flags(const char *sql, const struct pg_params *p, PGresult **res,
    int flags)
{
	PGresult	*r;
	const char	*state;
	int		 rv, deferred;

	if (res != NULL)
		*res = NULL;
	if (pg == NULL || pg_down)
		return -1;
	if (fiber_reader())
		r = pg_rd_query(sql, p, flags);
	else {
		if (res != NULL || !(pg_in_tx || pg_batching))
			flags &= ~PG_DEFER;
		r = pg_query(sql, p != NULL ? p->n : 0, p != NULL ? p->value :
		    NULL, p != NULL ? p->len : NULL, p != NULL ? p->format :
		    NULL, flags, &deferred);
		pg_notes_take();
		if (deferred)
			return 0;
		/* Outside a transaction, or its end: its changes are in. */
		if (!pg_in_tx && !pg_batching) {
			pg_changes++;
			pg_tx_announced = 0;
		}
	}
	switch (PQresultStatus(r)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		if (res != NULL)
			*res = r;
		else
			PQclear(r);
		return 0;
	default:
		state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (state != NULL && strcmp(state, PG_SQLSTATE_UNIQUE) == 0)
			rv = STORE_NOT_UNIQUE;
		else {
			if (PQresultStatus(r) != PGRES_PIPELINE_ABORTED)
				pg_log_error(r);
			rv = -1;
		}
		PQclear(r);
		if (pg != NULL && !pg_down && (PQstatus(pg) != CONNECTION_OK ||
		    PQstatus(pg_rd) != CONNECTION_OK))
			pg_lost();
		return rv;
	}
}

static int
pg_run(const char *sql, const struct pg_params *p, PGresult **res)
{
	return pg_run_flags(sql, p, res, 0);
}

/*
 * On a reader: one statement on the read connection, its sync sent at
 * the end of the loop's pass (prepared first when it is PG_PREPARED and
 * the connection does not have it yet; not prepared while another
 * reader's PREPARE of it is unanswered), then the reader sleeps until
 * pg_rd_cb() hands it the result: its last one, or its first failure.
 * Skipped for another's failure before the same sync, it goes again,
 * alone between two syncs: only its own failure can fail it then.
 * NULL when it could not be sent or the connection broke.
 */
static PGresult *
pg_rd_query(const char *sql, const struct pg_params *p, int flags)
{
	struct pg_rd_wait	 w;
	int			 reader = fiber_reader(), alone;

	pg_next_forget();
	if (pg_rd == NULL || PQpipelineStatus(pg_rd) == PQ_PIPELINE_OFF)
		return NULL;
	/* Its job's first statement: what it reads is as of now or later. */
	if (pg_rd_jobs[reader - 1].job != fiber_job()) {
		pg_rd_jobs[reader - 1].job = fiber_job();
		pg_rd_jobs[reader - 1].changes = pg_changes;
	}
	for (alone = 0;; alone = 1) {
		memset(&w, 0, sizeof(w));
		w.reader = reader;
		if (pg_rd_send(&w, sql, p, flags, alone) == -1) {
			log_warnx("store: PostgreSQL: the read connection "
			    "broke: %s", PQerrorMessage(pg_rd));
			pg_rd_fail();
			return NULL;
		}
		if (fiber_sleep() == -1)
			fatalx("store: a read off the readers");
		if (w.res == NULL || alone ||
		    PQresultStatus(w.res) != PGRES_PIPELINE_ABORTED)
			return w.res;
		PQclear(w.res);
		log_debug("store: a read skipped for another's failure before "
		    "its sync: sent again");
	}
}

/*
 * The statement of w sent and w queued, its sync asked for (alone:
 * one before it and one after it, now): 0, or -1.
 */
static int
pg_rd_send(struct pg_rd_wait *w, const char *sql, const struct pg_params *p,
    int flags, int alone)
{
	char	 name[32];
	int	 i = -1, n = p != NULL ? p->n : 0, ok;

	w->prep = -1;
	if (alone && pg_rd_sync() == -1)
		return -1;
	if ((flags & PG_PREPARED) && (i = pg_prep_find(sql)) >= 0 &&
	    pg_preps[i].rd_gen != pg_gen) {
		pg_preps[i].rd_gen = pg_gen;
		pg_preps[i].rd_ready = 0;
	}
	if (i >= 0 && pg_preps[i].rd_ready != PG_RD_PREPARING) {
		(void)snprintf(name, sizeof(name), "tokend_%d", i);
		if (pg_preps[i].rd_ready == 0) {
			if (PQsendPrepare(pg_rd, name, sql, n, NULL) != 1)
				return -1;
			pg_preps[i].rd_ready = PG_RD_PREPARING;
			w->prep = i;
		}
		ok = PQsendQueryPrepared(pg_rd, name, n, p != NULL ? p->value :
		    NULL, p != NULL ? p->len : NULL, p != NULL ? p->format :
		    NULL, 0);
	} else
		ok = PQsendQueryParams(pg_rd, sql, n, NULL, p != NULL ?
		    p->value : NULL, p != NULL ? p->len : NULL, p != NULL ?
		    p->format : NULL, 0);
	if (ok != 1)
		return -1;
	TAILQ_INSERT_TAIL(&pg_rd_waits, w, entry);
	if (alone || pg_rd_sync_ev == NULL) {
		pg_rd_unsynced++;
		return pg_rd_sync();
	}
	if (pg_rd_unsynced++ == 0)
		event_active(pg_rd_sync_ev, EV_TIMEOUT, 0);
	return 0;
}

/* A sync after the statements sent since the last one: 0, or -1. */
static int
pg_rd_sync(void)
{
	struct pg_rd_wait	*w;

	if (pg_rd_unsynced == 0)
		return 0;
	pg_rd_unsynced = 0;
	if (PQpipelineSync(pg_rd) != 1)
		return -1;
	/* After the last statement sent, or next if all are answered. */
	if ((w = TAILQ_LAST(&pg_rd_waits, pg_rd_waits)) != NULL)
		w->sync = 1;
	else
		pg_rd_syncs++;
	return 0;
}

/*
 * The end of a pass of keyd's loop: the statements the readers sent
 * during it go with one sync.
 */
static void
pg_rd_sync_cb(evutil_socket_t fd, short events, void *arg)
{
	if (pg_rd_sync() == -1) {
		log_warnx("store: PostgreSQL: the read connection broke: %s",
		    PQerrorMessage(pg_rd));
		pg_rd_fail();
	}
}

/* A result of the read connection, for the reader of w. */
static void
pg_rd_result(struct pg_rd_wait *w, PGresult *r)
{
	ExecStatusType	 st = PQresultStatus(r);

	/* Its PREPARE's, done or not (skipped, say: the next one sends it). */
	if (w->prep >= 0 && w->ends == 0)
		pg_preps[w->prep].rd_ready = st == PGRES_COMMAND_OK ?
		    PG_RD_PREPARED : 0;
	/* The first failure stays (a failed PREPARE aborts its query). */
	if (w->res != NULL && PQresultStatus(w->res) != PGRES_COMMAND_OK &&
	    PQresultStatus(w->res) != PGRES_TUPLES_OK) {
		PQclear(r);
		return;
	}
	PQclear(w->res);
	w->res = r;
}

/*
 * The read connection is readable: hand each statement's result to its
 * reader, in the order sent, the reader going on at once (it may send
 * its next statement meanwhile); a sync's result between them.
 */
static void
pg_rd_cb(evutil_socket_t fd, short events, void *arg)
{
	struct pg_rd_wait	*w;
	PGresult		*r;

	if (PQconsumeInput(pg_rd) == 0 || PQstatus(pg_rd) != CONNECTION_OK) {
		if (!pg_down)
			log_warnx("store: PostgreSQL: the read connection "
			    "broke: %s", PQerrorMessage(pg_rd));
		pg_rd_fail();
		return;
	}
	while (((w = TAILQ_FIRST(&pg_rd_waits)) != NULL || pg_rd_syncs > 0) &&
	    !PQisBusy(pg_rd)) {
		r = PQgetResult(pg_rd);
		if (pg_rd_syncs > 0) {
			if (PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
				PQclear(r);
				log_warnx("store: PostgreSQL: the read "
				    "connection is out of step");
				pg_rd_fail();
				return;
			}
			PQclear(r);
			pg_rd_syncs--;
		} else if (r != NULL)
			pg_rd_result(w, r);
		/* The end of one statement's results: the last one of w's? */
		else if (++w->ends == (w->prep >= 0 ? 2 : 1)) {
			TAILQ_REMOVE(&pg_rd_waits, w, entry);
			if (w->sync)
				pg_rd_syncs++;
			fiber_wakeup(w->reader);
		}
	}
}

/*
 * The read connection broke: the store is lost (pg_lost()), and every
 * reader waiting on it goes on without its result.
 */
static void
pg_rd_fail(void)
{
	struct pg_rd_wait	*w;

	pg_lost();
	if (pg_rd_ev != NULL)
		event_del(pg_rd_ev);
	pg_rd_unsynced = pg_rd_syncs = 0;
	while ((w = TAILQ_FIRST(&pg_rd_waits)) != NULL) {
		TAILQ_REMOVE(&pg_rd_waits, w, entry);
		PQclear(w->res);
		w->res = NULL;
		fiber_wakeup(w->reader);
	}
}

/*
 * The read connection made (at open) or made again (after PQreset()):
 * read only, terse, named in pg_stat_activity, in pipeline mode, its
 * socket watched when keyd's loop is there.
 */
static int
pg_rd_setup(void)
{
	PGresult	*r;
	int		 ok;

	if (pg_rd == NULL || PQstatus(pg_rd) != CONNECTION_OK)
		return -1;
	PQsetErrorVerbosity(pg_rd, PQERRORS_TERSE);
	r = PQexec(pg_rd, "SET client_min_messages = warning; "
	    "SET default_transaction_read_only = on; "
	    "SET default_transaction_isolation = 'read committed'; "
	    "SET application_name = '" PG_READER_NAME "'");
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok || PQenterPipelineMode(pg_rd) != 1)
		return -1;
	pg_rd_unsynced = pg_rd_syncs = 0;
	return pg_base != NULL ? pg_rd_watch() : 0;
}

/* The read connection's socket, watched in keyd's loop. */
static int
pg_rd_watch(void)
{
	if (pg_rd_ev != NULL)
		event_free(pg_rd_ev);
	if ((pg_rd_ev = event_new(pg_base, PQsocket(pg_rd),
	    EV_READ | EV_PERSIST, pg_rd_cb, NULL)) == NULL ||
	    event_add(pg_rd_ev, NULL) == -1)
		return -1;
	if (pg_rd_sync_ev == NULL && (pg_rd_sync_ev = event_new(pg_base, -1,
	    0, pg_rd_sync_cb, NULL)) == NULL)
		return -1;
	return 0;
}

/*
 * On the store's fiber (fiber.c), out of pipeline mode: the statement
 * sent (sent: what PQsendQuery* answered), its results read as the
 * socket gives them, keyd's loop running meanwhile; the last result,
 * as PQexec() gives.
 */
static PGresult *
pg_wait(int sent)
{
	PGresult	*r, *last = NULL;

	if (!sent)
		return NULL;
	for (;;) {
		while (PQisBusy(pg)) {
			if (fiber_wait(PQsocket(pg), EV_READ) == -1 ||
			    PQconsumeInput(pg) == 0)
				return last;
		}
		if ((r = PQgetResult(pg)) == NULL)
			return last;
		PQclear(last);
		last = r;
		if (PQstatus(pg) != CONNECTION_OK)
			return last;
	}
}

static int
pg_do(const char *sql, const struct pg_params *p)
{
	return pg_run(sql, p, NULL);
}

/* A statement of no parameters (off the fiber: several, as PQexec). */
static int
pg_exec_flags(const char *sql, int flags)
{
	return pg_run_flags(sql, NULL, NULL, flags) == 0 ? 0 : -1;
}

static int
pg_exec(const char *sql)
{
	return pg_exec_flags(sql, 0);
}

/* How many rows a statement changed. */
static int
pg_changed(PGresult *r)
{
	const char	*n = PQcmdTuples(r);

	return n[0] == '\0' ? 0 : atoi(n);
}

/* The first column of the first row as an integer; 1 when no row. */
static int
pg_one_int(const char *sql, const struct pg_params *p, int64_t *out)
{
	PGresult	*r;

	if (pg_run(sql, p, &r) != 0)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 1;
	}
	*out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

/*
 * The two integers of a result's one row, and the result cleared: 0, or
 * 1 when it has no row or several.
 */
static int
pg_two_ints(PGresult *r, int64_t *a, int64_t *b)
{
	int	 rv = PQntuples(r) == 1 && PQnfields(r) == 2 ? 0 : 1;

	if (rv == 0) {
		*a = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		*b = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	}
	PQclear(r);
	return rv;
}

/* Hex of n bytes, or "" (NULL): 1 read, 0 empty, -1 malformed. */
static int
pg_hex_n(const char *hex, uint8_t *out, size_t n)
{
	size_t		 i;
	unsigned int	 b;

	if (hex[0] == '\0')
		return 0;
	if (strlen(hex) != n * 2)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (uint8_t)b;
	}
	return 1;
}

/* A hash from encode(..., 'hex'): 0, or -1 when it is not one. */
static int
pg_hex(const char *hex, uint8_t *out)
{
	return pg_hex_n(hex, out, STORE_HASH_LEN) == 1 ? 0 : -1;
}

/*
 * Each migration and its version bump commit together, or not at all.
 * The advisory lock is the transaction's, so it goes with the COMMIT
 * or ROLLBACK; the version is read under it, so two hosts starting at
 * once apply each step once.
 */
static int
pg_migrate(void)
{
	struct pg_params	 p;
	int64_t			 v;

	for (;;) {
		if (pg_exec("BEGIN") == -1)
			return -1;
		if (pg_exec("SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK
		    ")") == -1 ||
		    pg_exec("CREATE TABLE IF NOT EXISTS tokend_schema ("
		    "version integer NOT NULL)") == -1 ||
		    pg_exec("INSERT INTO tokend_schema SELECT 0 WHERE NOT "
		    "EXISTS (SELECT 1 FROM tokend_schema)") == -1 ||
		    pg_one_int("SELECT version FROM tokend_schema", NULL,
		    &v) != 0)
			goto fail;
		if (v > PG_VERSION) {
			log_warnx("store: schema version %" PRId64 " is newer "
			    "than this keyd (%d)", v, PG_VERSION);
			goto fail;
		}
		if (v == PG_VERSION)
			return pg_exec("COMMIT");
		memset(&p, 0, sizeof(p));
		pg_int(&p, v + 1);
		if (pg_exec(pg_migrations[v]) == -1 ||
		    pg_do("UPDATE tokend_schema SET version = $1", &p) == -1 ||
		    pg_exec("COMMIT") == -1)
			goto fail;
		log_info("store: migrated to schema version %" PRId64, v + 1);
	}
 fail:
	(void)pg_exec("ROLLBACK");
	return -1;
}

/*
 * The user as /users/me shows it: one json_build_object() of every
 * field of user_fields, the concealed ones masked, as store.c builds
 * it for SQLite.
 */
static int
pg_user_prepare(void)
{
	const struct user_field	*uf;
	struct query_sql	 e;
	const char		*c;
	size_t			 i;

	query_sql_init(&e);
	query_sql_add(&e, PG_USER_SQL_HEAD "json_build_object(");
	for (i = 0; i < user_nfields; i++) {
		uf = &user_fields[i];
		c = uf->column;
		query_sql_add(&e, i > 0 ? ", '" : "'");
		query_sql_add(&e, uf->name);
		query_sql_add(&e, "', ");
		if (uf->kind == UK_POLICIES)
			query_sql_add(&e, "(SELECT coalesce(json_agg(id "
			    "ORDER BY sort), '[]'::json) FROM user_policies "
			    "WHERE user_id = users.id)");
		else if (c == NULL)
			query_sql_add(&e, "NULL::text");
		else if (uf->flags & UF_CONCEALED) {
			query_sql_add(&e, "CASE WHEN ");
			query_sql_add(&e, c);
			query_sql_add(&e, " IS NULL THEN NULL "
			    "ELSE '**********' END");
		} else if (uf->kind == UK_TIME) {
			query_sql_add(&e, PG_TIME_HEAD);
			query_sql_add(&e, c);
			query_sql_add(&e, PG_TIME_TAIL);
		} else if (uf->kind == UK_TAGS) {
			query_sql_add(&e, c);
			query_sql_add(&e, "::json");
		} else if (uf->kind == UK_BOOL) {
			query_sql_add(&e, "(");
			query_sql_add(&e, c);
			query_sql_add(&e, " <> 0)");
		} else
			query_sql_add(&e, c);
	}
	query_sql_add(&e, ")" PG_USER_SQL_TAIL);
	if (e.error) {
		query_sql_free(&e);
		return -1;
	}
	pg_user_sql = e.text;
	if (asprintf(&pg_user_ahead_sql, "SELECT " PG_USER_COLUMNS ", %s",
	    e.text + strlen(PG_USER_SQL_HEAD)) == -1) {
		pg_user_ahead_sql = NULL;
		return -1;
	}
	return pg_user_prepare_updates();
}

/*
 * One UPDATE for each field whose value is written as it is given
 * (store.c's store_user_plain()); the column comes from user_fields.
 */
static int
pg_user_prepare_updates(void)
{
	const struct user_field	*uf;
	struct query_sql	 e;
	size_t			 i;

	if ((pg_user_updates = calloc(user_nfields,
	    sizeof(*pg_user_updates))) == NULL)
		return -1;
	for (i = 0; i < user_nfields; i++) {
		uf = &user_fields[i];
		if ((uf->flags & (UF_SELF_WRITABLE | UF_ADMIN_WRITABLE)) == 0 ||
		    (uf->kind != UK_TEXT && uf->kind != UK_EMAIL &&
		    uf->kind != UK_TAGS && uf->kind != UK_BOOL))
			continue;
		query_sql_init(&e);
		query_sql_add(&e, "UPDATE users SET ");
		query_sql_add(&e, uf->column);
		query_sql_add(&e, " = $2 WHERE id = $1");
		if (e.error) {
			query_sql_free(&e);
			return -1;
		}
		pg_user_updates[i] = e.text;
	}
	return 0;
}

static int
pg_open(const char *uri)
{
	if ((pg = PQconnectdb(uri)) == NULL ||
	    PQstatus(pg) != CONNECTION_OK) {
		log_warnx("store: PostgreSQL: %s", pg != NULL ?
		    PQerrorMessage(pg) : "out of memory");
		PQfinish(pg);
		pg = NULL;
		return -1;
	}
	/*
	 * Terse errors: a DETAIL may quote a row (a failing CHECK quotes
	 * it whole, password hash and all), and no row goes to the log.
	 */
	PQsetErrorVerbosity(pg, PQERRORS_TERSE);
	if (pg_exec("SET client_min_messages = warning") == -1 ||
	    pg_migrate() == -1 || pg_user_prepare() == -1 ||
	    (pg_uri = strdup(uri)) == NULL)
		goto fail;
	/* The readers' connection (fiber.c), once the schema is there. */
	if ((pg_rd = PQconnectdb(uri)) == NULL || pg_rd_setup() == -1) {
		log_warnx("store: PostgreSQL: the read connection: %s",
		    pg_rd != NULL ? PQerrorMessage(pg_rd) : "out of memory");
		goto fail;
	}
	return 0;
 fail:
	PQfinish(pg_rd);
	pg_rd = NULL;
	PQfinish(pg);
	pg = NULL;
	return -1;
}

static void
pg_close(void)
{
	size_t	 i;

	if (pg_ev != NULL)
		event_free(pg_ev);
	pg_ev = NULL;
	if (pg_retry_ev != NULL)
		event_free(pg_retry_ev);
	pg_retry_ev = NULL;
	if (pg_rd_ev != NULL)
		event_free(pg_rd_ev);
	pg_rd_ev = NULL;
	if (pg_rd_sync_ev != NULL)
		event_free(pg_rd_sync_ev);
	pg_rd_sync_ev = NULL;
	freezero(pg_uri, pg_uri != NULL ? strlen(pg_uri) : 0);
	pg_uri = NULL;
	PQfinish(pg_rd);
	pg_rd = NULL;
	PQfinish(pg);
	pg = NULL;
	free(pg_user_sql);
	pg_user_sql = NULL;
	free(pg_user_ahead_sql);
	pg_user_ahead_sql = NULL;
	for (i = 0; i < KEYD_READERS; i++) {
		free(pg_rd_jobs[i].json);
		pg_rd_jobs[i].json = NULL;
	}
	pg_npreps = pg_npending = 0;
	pg_in_tx = pg_poisoned = 0;
	for (i = 0; pg_user_updates != NULL && i < user_nfields; i++)
		free(pg_user_updates[i]);
	free(pg_user_updates);
	pg_user_updates = NULL;
}

static int
pg_health(void)
{
	return pg != NULL && !pg_down && PQstatus(pg) == CONNECTION_OK &&
	    PQstatus(pg_rd) == CONNECTION_OK && pg_exec("SELECT 1") == 0 ?
	    0 : -1;
}

static int
pg_schema_version(void)
{
	int64_t	 v;

	return pg_one_int("SELECT version FROM tokend_schema", NULL, &v) == 0 ?
	    (int)v : -1;
}

/*
 * A reader (fiber.c) only reads, outside any transaction: the main
 * connection's transaction is the store fiber's job's, never its own.
 */
static int
pg_reader_refuses(const char *what)
{
	if (!fiber_reader())
		return 0;
	log_warnx("store: %s on a reader fiber: refused", what);
	return 1;
}

/*
 * Transactions as store.c's: inside a group commit a request's own
 * writes are a savepoint, so that they still stand or fall whole.
 * BEGIN, SAVEPOINT and RELEASE are deferred (pipeline mode): they ride
 * with the next statement.
 */
static int
pg_begin(void)
{
	if (pg_reader_refuses("a transaction"))
		return -1;
	if (!pg_batching) {
		pg_tx_gen = pg_gen;
		pg_poisoned = 0;
		pg_in_tx = 1;
		if (pg_exec_flags("BEGIN", PG_DEFER) == 0)
			return 0;
		pg_in_tx = 0;
		return -1;
	}
	if (pg_nested || pg_exec_flags("SAVEPOINT request", PG_DEFER) == -1)
		return -1;
	pg_nested = 1;
	return 0;
}

/*
 * COMMIT, waited for: 0 only when PostgreSQL answers COMMIT (a failed
 * transaction's COMMIT answers ROLLBACK) and no deferred statement of
 * the transaction failed; otherwise it is rolled back.
 */
static int
pg_commit_now(unsigned int gen)
{
	PGresult	*r;
	int		 ok;

	pg_in_tx = 0;
	if (gen != pg_gen || pg_poisoned) {
		if (pg != NULL && !pg_down)
			(void)pg_exec("ROLLBACK");
		pg_poisoned = 0;
		return -1;
	}
	if (pg_run("COMMIT", NULL, &r) != 0)
		ok = 0;
	else {
		ok = strcmp(PQcmdStatus(r), "COMMIT") == 0 && !pg_poisoned;
		PQclear(r);
	}
	pg_poisoned = 0;
	if (!ok && pg != NULL && !pg_down && PQtransactionStatus(pg) !=
	    PQTRANS_IDLE)
		(void)pg_exec("ROLLBACK");
	return ok && PQtransactionStatus(pg) == PQTRANS_IDLE ? 0 : -1;
}

static int
pg_commit(void)
{
	if (pg_reader_refuses("a commit"))
		return -1;
	if (!pg_nested)
		return pg_commit_now(pg_tx_gen);
	pg_nested = 0;
	return pg_batch_gen == pg_gen ? pg_exec_flags("RELEASE request",
	    PG_DEFER) : -1;
}

static void
pg_rollback(void)
{
	/* A reader has no transaction to roll back (pg_begin()). */
	if (fiber_reader())
		return;
	if (pg_nested) {
		pg_nested = 0;
		if (pg_exec("ROLLBACK TO request") == -1 ||
		    pg_exec("RELEASE request") == -1)
			log_warnx("store: cannot undo a request in a group "
			    "commit");
	} else if (!pg_batching && pg != NULL && (pg_in_tx ||
	    PQtransactionStatus(pg) != PQTRANS_IDLE)) {
		pg_in_tx = 0;
		pg_poisoned = 0;
		(void)pg_exec("ROLLBACK");
	}
}

static int
pg_batch_begin(void)
{
	if (pg_batching)
		return 0;
	pg_poisoned = 0;
	pg_batching = 1;
	pg_batch_gen = pg_gen;
	if (pg_exec_flags("BEGIN", PG_DEFER) == 0)
		return 0;
	pg_batching = 0;
	return -1;
}

static int
pg_batch_commit(void)
{
	if (!pg_batching)
		return 0;
	pg_batching = pg_nested = 0;
	return pg_commit_now(pg_batch_gen);
}

/*
 * A statement that may fail on a constraint: inside an open
 * transaction it runs in a savepoint of its own, since a failed
 * statement aborts a PostgreSQL transaction (SQLite's goes on).
 */
static int
pg_guarded(const char *sql, const struct pg_params *p, PGresult **res)
{
	int	 rv, inside;

	inside = pg != NULL && !fiber_reader() && (pg_in_tx ||
	    pg_batching || PQtransactionStatus(pg) == PQTRANS_INTRANS);
	if (inside && pg_exec_flags("SAVEPOINT guard", PG_DEFER) == -1)
		return -1;
	rv = pg_run_flags(sql, p, res, PG_PREPARED);
	if (!inside)
		return rv;
	if (rv != 0 && pg_exec("ROLLBACK TO guard") == -1)
		return -1;
	return pg_exec_flags("RELEASE guard", PG_DEFER) == -1 ? -1 : rv;
}

/* The user of columns col.. of a result's row: 0, or -1. */
static int
pg_user_row(PGresult *r, int row, int col, struct store_user *u)
{
	memset(u, 0, sizeof(*u));
	if (strlcpy(u->id, PQgetvalue(r, row, col), sizeof(u->id)) >=
	    sizeof(u->id) ||
	    strlcpy(u->email, PQgetvalue(r, row, col + 1),
	    sizeof(u->email)) >= sizeof(u->email) ||
	    strlcpy(u->password, PQgetvalue(r, row, col + 2),
	    sizeof(u->password)) >= sizeof(u->password) ||
	    strlcpy(u->status, PQgetvalue(r, row, col + 3),
	    sizeof(u->status)) >= sizeof(u->status) ||
	    strlcpy(u->role, PQgetvalue(r, row, col + 4), sizeof(u->role)) >=
	    sizeof(u->role) ||
	    strlcpy(u->policies, PQgetvalue(r, row, col + 6),
	    sizeof(u->policies)) >= sizeof(u->policies)) {
		log_warnx("store: user lookup: a value is too long");
		explicit_bzero(u, sizeof(*u));
		return -1;
	}
	u->has_tfa = atoi(PQgetvalue(r, row, col + 5));
	return 0;
}

static int
pg_user(const char *sql, const struct pg_params *p, struct store_user *u)
{
	PGresult	*r;
	int		 rv;

	memset(u, 0, sizeof(*u));
	if (pg_run_flags(sql, p, &r, PG_PREPARED) != 0)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 1;
	}
	rv = pg_user_row(r, 0, 0, u);
	PQclear(r);
	return rv;
}

static int
pg_user_by_email(const char *email, struct store_user *u)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, email);
	return pg_user("SELECT " PG_USER_COLUMNS " FROM users "
	    "WHERE lower(email) = lower($1)", &p, u);
}

static int
pg_user_by_id(const char *id, struct store_user *u)
{
	struct pg_params	 p = { .n = 0 };
	int			 rv;

	/* Read with its session just before (pg_session_get()). */
	if (pg_next_job != 0 && pg_next_job == fiber_job() &&
	    pg_next_at == pg_nqueries && strcmp(pg_next_user.id, id) == 0) {
		*u = pg_next_user;
		explicit_bzero(&pg_next_user, sizeof(pg_next_user));
		pg_next_job = 0;
		return 0;
	}
	if (pg_user_by_id_ahead(id, u, &rv))
		return rv;
	pg_text(&p, id);
	return pg_user("SELECT " PG_USER_COLUMNS " FROM users WHERE id = $1",
	    &p, u);
}

/*
 * On a reader whose job asked ahead for its user's JSON: the user and
 * its JSON in one statement (one round trip, one snapshot), the JSON
 * kept for the pg_user_json() of the same id that follows in the job.
 * A reader writes nothing and its connection sees only committed rows,
 * so what one statement reads is what the two would (or newer).  1
 * with *rv, or 0: not asked, the caller reads as usual.
 */
static int
pg_user_by_id_ahead(const char *id, struct store_user *u, int *rv)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	int			 reader = fiber_reader();

	if (reader == 0 || pg_rd_jobs[reader - 1].ahead != fiber_job() ||
	    pg_user_ahead_sql == NULL)
		return 0;
	pg_rd_jobs[reader - 1].ahead = 0;
	memset(u, 0, sizeof(*u));
	pg_text(&p, id);
	if (pg_run_flags(pg_user_ahead_sql, &p, &r, PG_PREPARED) != 0) {
		*rv = -1;
		return 1;
	}
	if (PQntuples(r) == 0)
		*rv = 1;
	else if ((*rv = pg_user_row(r, 0, 0, u)) == 0 &&
	    strlcpy(pg_rd_jobs[reader - 1].id, id,
	    sizeof(pg_rd_jobs[reader - 1].id)) < sizeof(pg_rd_jobs[reader -
	    1].id)) {
		free(pg_rd_jobs[reader - 1].json);
		pg_rd_jobs[reader - 1].json = pg_json_compact(PQgetvalue(r, 0,
		    PQnfields(r) - 1));
	}
	PQclear(r);
	return 1;
}

static int
pg_user_by_token(const uint8_t *hash, struct store_user *u)
{
	struct pg_params	 p = { .n = 0 };

	pg_hash(&p, hash);
	return pg_user("SELECT " PG_USER_COLUMNS " FROM users "
	    "WHERE token_hash = $1", &p, u);
}

/*
 * PostgreSQL's json text (valid: json_build_object() and the json type
 * check it) without the blanks it puts between tokens, as compact as
 * json_dumps(JSON_COMPACT) would write it, its strings as they are;
 * without parsing it again, which was most of keyd's work on a cold
 * GET /users/me.  NULL when out of memory.
 */
static char *
pg_json_compact(const char *in)
{
	char	*out, *o;
	int	 str = 0, esc = 0;

	if ((out = malloc(strlen(in) + 1)) == NULL)
		return NULL;
	for (o = out; *in != '\0'; in++) {
		if (esc)
			esc = 0;
		else if (str && *in == '\\')
			esc = 1;
		else if (*in == '"')
			str = !str;
		else if (!str && (*in == ' ' || *in == '\t' || *in == '\n' ||
		    *in == '\r'))
			continue;
		*o++ = *in;
	}
	*o = '\0';
	return out;
}

/* The one text column of a statement of id, as compact JSON. */
static int
pg_json(const char *sql, const char *id, char **json)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;

	*json = NULL;
	pg_text(&p, id);
	if (pg_run_flags(sql, &p, &r, PG_PREPARED) != 0)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 1;
	}
	*json = pg_json_compact(PQgetvalue(r, 0, 0));
	PQclear(r);
	return *json != NULL ? 0 : -1;
}

static int
pg_user_json(const char *id, char **json)
{
	int	 reader = fiber_reader();

	/* Read with the user (pg_user_by_id_ahead()), by this job. */
	if (reader != 0 && pg_rd_jobs[reader - 1].json != NULL &&
	    pg_rd_jobs[reader - 1].job == fiber_job() &&
	    strcmp(pg_rd_jobs[reader - 1].id, id) == 0) {
		*json = pg_rd_jobs[reader - 1].json;
		pg_rd_jobs[reader - 1].json = NULL;
		return 0;
	}
	return pg_json(pg_user_sql, id, json);
}

/* A reader's job will read its user's JSON (GET /users/me). */
static void
pg_user_json_ahead(void)
{
	int	 reader = fiber_reader();

	if (reader != 0)
		pg_rd_jobs[reader - 1].ahead = fiber_job();
}

static int
pg_user_access_rows(const char *id, char **json)
{
	return pg_json("SELECT coalesce(json_agg(json_build_object('id', id, "
	    "'role', NULL, 'user', user_id, 'policy', policy, 'sort', sort) "
	    "ORDER BY sort), '[]'::json) FROM user_policies "
	    "WHERE user_id = $1", id, json);
}

static int
pg_user_count(int64_t *n)
{
	return pg_one_int("SELECT count(*) FROM users", NULL, n);
}

static int
pg_user_insert(const char *id, const char *email, const char *phc,
    const char *role)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, id);
	pg_text(&p, email);
	pg_text(&p, phc);
	pg_text(&p, role != NULL ? role : "");
	return pg_guarded("INSERT INTO users (id, email, password, role) "
	    "VALUES ($1, $2, $3, nullif($4, ''))", &p, NULL);
}

/* A statement of one or two text parameters. */
static int
pg_do2(const char *sql, const char *a, const char *b)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, a);
	if (b != NULL)
		pg_text(&p, b);
	return pg_do(sql, &p);
}

static int
pg_user_set_status(const char *id, const char *status)
{
	return pg_do2("UPDATE users SET status = $2 WHERE id = $1", id,
	    status);
}

/* A session's salt as bytea. */
static void
pg_salt(struct pg_params *p, const uint8_t *salt)
{
	p->value[p->n] = (const char *)salt;
	p->len[p->n] = STORE_SALT_LEN;
	p->format[p->n] = 1;
	p->n++;
}

static int
pg_session_insert(const uint8_t *salt, const char *user, int64_t expires,
    const char *ip, const char *ua, const char *origin, int64_t *id)
{
	struct pg_params	 p = { .n = 0 };

	pg_salt(&p, salt);
	pg_text(&p, user);
	pg_int(&p, expires);
	pg_text(&p, ip);
	pg_text(&p, ua);
	pg_text(&p, origin);
	return pg_one_int("INSERT INTO sessions (salt, user_id, expires, "
	    "ip, user_agent, origin, gen, last_used) "
	    "VALUES ($1, $2, $3, $4, $5, $6, 0, " PG_NOW_MS ") RETURNING id",
	    &p, id) == 0 ? 0 : -1;
}

/*
 * A session's columns (pg_session_row() reads them), then its user's
 * for the pg_user_by_id() that usually follows.
 */
#define PG_SESSION_SELECT "SELECT s.id, s.user_id, s.expires, "	\
	"coalesce(encode(s.family, 'hex'), ''), "			\
	"coalesce(encode(s.token_hash, 'hex'), ''), coalesce(s.gen, 0), " \
	"coalesce(encode(s.salt, 'hex'), ''), coalesce(s.rotated, 0), " \
	"u.id IS NOT NULL, u.id, u.email, "				\
	"coalesce(u.password, ''), u.status, coalesce(u.role, ''), "	\
	"CASE WHEN u.tfa_secret IS NULL THEN 0 ELSE 1 END, "		\
	"coalesce((SELECT string_agg(policy, ' ' ORDER BY sort) "	\
	"FROM user_policies WHERE user_id = u.id), '') "		\
	"FROM sessions s LEFT JOIN users u ON u.id = s.user_id "

/* The session of PG_SESSION_SELECT's answer r: 0, 1 none, -1. */
static int
pg_session_row(PGresult *r, struct store_session *s)
{
	int	 rv = 0;

	memset(s, 0, sizeof(*s));
	if (PQntuples(r) == 0)
		rv = 1;
	else if (strlcpy(s->user_id, PQgetvalue(r, 0, 1),
	    sizeof(s->user_id)) >= sizeof(s->user_id) ||
	    (s->has_family = pg_hex_n(PQgetvalue(r, 0, 3), s->family,
	    STORE_HASH_LEN)) == -1 ||
	    (s->has_hash = pg_hex_n(PQgetvalue(r, 0, 4), s->hash,
	    STORE_HASH_LEN)) == -1 ||
	    pg_hex_n(PQgetvalue(r, 0, 6), s->salt, STORE_SALT_LEN) == -1)
		rv = -1;
	else {
		s->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		s->expires = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
		s->gen = strtoll(PQgetvalue(r, 0, 5), NULL, 10);
		s->rotated = strtoll(PQgetvalue(r, 0, 7), NULL, 10);
		if (strcmp(PQgetvalue(r, 0, 8), "t") == 0 &&
		    fiber_job() != 0 &&
		    pg_user_row(r, 0, 9, &pg_next_user) == 0) {
			pg_next_job = fiber_job();
			pg_next_at = pg_nqueries;
		}
	}
	PQclear(r);
	return rv;
}

/* A live session by its token's hash (the format before). */
static int
pg_session_get(const uint8_t *hash, int64_t now, struct store_session *s)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;

	memset(s, 0, sizeof(*s));
	pg_hash(&p, hash);
	pg_int(&p, now);
	if (pg_run_flags(PG_SESSION_SELECT "WHERE s.token_hash = $1 AND "
	    "s.expires >= $2", &p, &r, PG_PREPARED) != 0)
		return -1;
	return pg_session_row(r, s);
}

/* A live session by its id. */
static int
pg_session_by_id(int64_t id, int64_t now, struct store_session *s)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;

	memset(s, 0, sizeof(*s));
	pg_int(&p, id);
	pg_int(&p, now);
	if (pg_run_flags(PG_SESSION_SELECT "WHERE s.id = $1 AND "
	    "s.expires >= $2", &p, &r, PG_PREPARED) != 0)
		return -1;
	return pg_session_row(r, s);
}

/*
 * An array parameter in PostgreSQL's binary format (array_recv):
 * dimensions 1, no NULL, the element type, the length and lower bound
 * 1, then each element's length and bytes; every element has the type
 * given.  Nothing in it is SQL.
 */
#define PG_OID_BYTEA	17
#define PG_OID_INT8	20
#define PG_OID_TEXT	25
#define PG_ARRAY_HEAD	20

struct pg_array {
	uint8_t		*buf;
	size_t		 len;
	size_t		 size;
	uint32_t	 n;
};

static void
pg_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void
pg_array_init(struct pg_array *a, uint32_t oid)
{
	memset(a, 0, sizeof(*a));
	a->size = 256;
	if ((a->buf = malloc(a->size)) == NULL)
		fatal("malloc");
	pg_put32(a->buf, 1);
	pg_put32(a->buf + 4, 0);
	pg_put32(a->buf + 8, oid);
	a->len = PG_ARRAY_HEAD;
}

static void
pg_array_add(struct pg_array *a, const void *v, size_t len)
{
	uint8_t	*nb;

	if (len > INT32_MAX || a->len + 4 + len > INT32_MAX)
		fatalx("pg_array_add: too long");
	while (a->len + 4 + len > a->size) {
		if ((nb = realloc(a->buf, a->size * 2)) == NULL)
			fatal("realloc");
		a->buf = nb;
		a->size *= 2;
	}
	pg_put32(a->buf + a->len, (uint32_t)len);
	memcpy(a->buf + a->len + 4, v, len);
	a->len += 4 + len;
	a->n++;
}

/* "" for NULL, as pg_text() is given it. */
static void
pg_array_text(struct pg_array *a, const char *s)
{
	pg_array_add(a, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

static void
pg_array_int(struct pg_array *a, int64_t v)
{
	uint8_t		 b[8];

	pg_put32(b, (uint32_t)((uint64_t)v >> 32));
	pg_put32(b + 4, (uint32_t)v);
	pg_array_add(a, b, sizeof(b));
}

/* The array as the next parameter; it must live until the statement is sent. */
static void
pg_array_param(struct pg_params *p, struct pg_array *a)
{
	pg_put32(a->buf + 12, a->n);
	pg_put32(a->buf + 16, 1);
	p->value[p->n] = (const char *)a->buf;
	p->len[p->n] = (int)a->len;
	p->format[p->n] = 1;
	p->n++;
}

static void
pg_array_free(struct pg_array *a)
{
	freezero(a->buf, a->size);
	a->buf = NULL;
}

/* n hashes, stride bytes apart from first, as a bytea[] parameter. */
static void
pg_hashes(struct pg_params *p, struct pg_array *a, const uint8_t *first,
    size_t stride, size_t n)
{
	size_t	 i;

	pg_array_init(a, PG_OID_BYTEA);
	for (i = 0; i < n; i++)
		pg_array_add(a, first + i * stride, STORE_HASH_LEN);
	pg_array_param(p, a);
}

/* The row number of column col, 1 to n as sent: its index, or -1. */
static ssize_t
pg_ordinal(PGresult *r, int row, int col, size_t n)
{
	long long	 g = strtoll(PQgetvalue(r, row, col), NULL, 10);

	return g >= 1 && (size_t)g <= n ? (ssize_t)(g - 1) : -1;
}

/*
 * A live token of the format before gives way to one of the new (salt,
 * generation 0) and is retired, one statement, or nothing happens.
 * Its UPDATE locks the row; a second host rotating the same token waits
 * for this one's commit, then reads the row anew, finds the token gone
 * and changes nothing: it gets 1, as a second refresh on one host does.
 */
static int
pg_session_rotate(const struct store_session *s, const uint8_t *old,
    const uint8_t *salt, int64_t expires, int64_t now)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	int			 n;

	pg_hash(&p, old);
	pg_salt(&p, salt);
	pg_int(&p, expires);
	pg_int(&p, now);
	if (pg_guarded("WITH r AS (UPDATE sessions SET token_hash = NULL, "
	    "gen = 0, salt = $2, rotated = $4, expires = $3, last_used = $4 "
	    "WHERE token_hash = $1 AND expires >= $4 RETURNING family) "
	    "INSERT INTO retired (token_hash, family, rotated, expires) "
	    "SELECT $1, family, $4, $3 FROM r ON CONFLICT (token_hash) DO "
	    "UPDATE SET family = excluded.family, rotated = excluded.rotated, "
	    "expires = excluded.expires", &p, &r) != 0)
		return -1;
	n = pg_changed(r);
	PQclear(r);
	(void)s;
	return n == 1 ? 0 : 1;
}

/*
 * A session's live generation moves on by one, in its row alone (no
 * index on what changes: a HOT update).  Of two hosts rotating it at
 * once, the second waits for the first's commit, reads the row anew and
 * no longer matches: 1.
 */
static int
pg_session_advance(const struct store_rotation *rot, int64_t expires,
    int64_t now)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	int			 n;

	pg_int(&p, rot->sid);
	pg_int(&p, rot->gen);
	pg_int(&p, expires);
	pg_int(&p, now);
	pg_salt(&p, rot->salt);
	if (pg_run_flags("UPDATE sessions SET gen = gen + 1, rotated = $4, "
	    "expires = $3, last_used = $4 WHERE id = $1 AND gen = $2 AND "
	    "salt = $5 AND expires >= $4", &p, &r, PG_PREPARED) != 0)
		return -1;
	n = pg_changed(r);
	PQclear(r);
	return n == 1 ? 0 : 1;
}

/*
 * A group's rotations, one statement in its own savepoint: each live
 * generation of an active user's session moved on as
 * pg_session_advance() does it, the rows it changed named by their
 * number in the group, with their users.  A row another host rotates
 * meanwhile is read anew after its commit and no longer matches (1, as
 * for one refresh).  Two groups that lock rows in opposite orders
 * deadlock: PostgreSQL fails one statement, whose savepoint is undone
 * (-1), and auth.c takes its refreshes one by one.  The join alone lets
 * the planner take a hash join over a scan of the whole table (it
 * cannot see how many rows the arrays hold); "= ANY" gives it the index.
 */
static int
pg_sessions_rotate(struct store_rotation *rot, size_t n, int64_t expires,
    int64_t now)
{
	struct pg_params	 p = { .n = 0 };
	struct pg_array		 sids, gens, salts;
	PGresult		*r;
	ssize_t			 i;
	size_t			 j;
	int			 row, rv;

	pg_array_init(&sids, PG_OID_INT8);
	pg_array_init(&gens, PG_OID_INT8);
	pg_array_init(&salts, PG_OID_BYTEA);
	for (j = 0; j < n; j++) {
		pg_array_int(&sids, rot[j].sid);
		pg_array_int(&gens, rot[j].gen);
		pg_array_add(&salts, rot[j].salt, STORE_SALT_LEN);
	}
	pg_array_param(&p, &sids);
	pg_array_param(&p, &gens);
	pg_array_param(&p, &salts);
	pg_int(&p, expires);
	pg_int(&p, now);
	rv = pg_guarded("WITH i AS (SELECT * FROM unnest($1::int8[], "
	    "$2::int8[], $3::bytea[]) WITH ORDINALITY AS i(sid, gen, salt, g)), "
	    "r AS (UPDATE sessions s SET gen = s.gen + 1, rotated = $5, "
	    "expires = $4, last_used = $5 FROM i, users u WHERE s.id = i.sid "
	    "AND s.id = ANY ($1) AND s.gen = i.gen AND s.salt = i.salt AND "
	    "s.expires >= $5 AND u.id = s.user_id AND u.status = 'active' "
	    "RETURNING i.g, s.user_id) "
	    "SELECT r.g, " PG_USER_COLUMNS " FROM r JOIN users ON "
	    "users.id = r.user_id", &p, &r);
	pg_array_free(&sids);
	pg_array_free(&gens);
	pg_array_free(&salts);
	if (rv != 0)
		return -1;
	for (j = 0; j < n; j++)
		rot[j].rotated = 1;
	for (row = 0; row < PQntuples(r); row++)
		if ((i = pg_ordinal(r, row, 0, n)) != -1) {
			/* Rotated: a user too long to read fails its refresh. */
			rot[i].rotated = pg_user_row(r, row, 1, &rot[i].u) == 0 ?
			    0 : -1;
		}
	PQclear(r);
	return 0;
}

static int
pg_retired_get(const uint8_t *hash, int64_t now, uint8_t *family,
    int64_t *rotated)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	int			 rv = 0;

	pg_hash(&p, hash);
	pg_int(&p, now);
	if (pg_run_flags("SELECT encode(family, 'hex'), rotated FROM retired "
	    "WHERE token_hash = $1 AND expires >= $2", &p, &r,
	    PG_PREPARED) != 0)
		return -1;
	if (PQntuples(r) == 0)
		rv = 1;
	else if (pg_hex(PQgetvalue(r, 0, 0), family) == -1)
		rv = -1;
	else
		*rotated = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	return rv;
}

static int
pg_family_live(const uint8_t *family, int64_t now, const char *user)
{
	struct pg_params	 p = { .n = 0 };
	int64_t			 one;

	pg_hash(&p, family);
	pg_int(&p, now);
	pg_text(&p, user);
	return pg_one_int("SELECT 1 FROM sessions WHERE family = $1 "
	    "AND expires >= $2 AND user_id = $3", &p, &one);
}

static int
pg_family_user(const uint8_t *family, char *user, size_t len)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	int			 rv = 0;

	pg_hash(&p, family);
	if (pg_run("SELECT user_id FROM sessions WHERE family = $1 LIMIT 1",
	    &p, &r) != 0)
		return -1;
	if (PQntuples(r) == 0)
		rv = 1;
	else if (strlcpy(user, PQgetvalue(r, 0, 0), len) >= len)
		rv = -1;
	PQclear(r);
	return rv;
}

/* A whole session, its live row and every token it retired: one go. */
static int
pg_family_delete(const uint8_t *family)
{
	struct pg_params	 p = { .n = 0 };

	pg_hash(&p, family);
	return pg_do("WITH s AS (DELETE FROM sessions WHERE family = $1) "
	    "DELETE FROM retired WHERE family = $1", &p);
}

static int
pg_session_delete(const uint8_t *hash)
{
	struct pg_params	 p = { .n = 0 };

	pg_hash(&p, hash);
	return pg_do("DELETE FROM sessions WHERE token_hash = $1", &p);
}

static int
pg_sessions_delete_user(const char *id)
{
	return pg_do2("DELETE FROM sessions WHERE user_id = $1", id, NULL);
}

/*
 * Every login sweeps: the expired sessions of the next slice of
 * PG_SWEEP_IDS ids (round the table: no index on the expiry, migration
 * 4, as sqlite_sessions_expire() does), and every expired retired token.
 */
#define PG_SWEEP_IDS	32
static int64_t		 pg_sweep_next;

static int
pg_sessions_expire(int64_t now)
{
	struct pg_params	 p = { .n = 0 };
	int64_t			 last;

	if (pg_one_int("SELECT coalesce(max(id), 0) FROM sessions", NULL,
	    &last) != 0)
		return -1;
	if (pg_sweep_next > last)
		pg_sweep_next = 0;
	pg_int(&p, now);
	pg_int(&p, pg_sweep_next);
	pg_int(&p, pg_sweep_next + PG_SWEEP_IDS);
	if (pg_do("WITH s AS (DELETE FROM sessions WHERE id >= $2 AND "
	    "id < $3 AND expires < $1) DELETE FROM retired WHERE expires < $1",
	    &p) == -1)
		return -1;
	pg_sweep_next += PG_SWEEP_IDS;
	return 0;
}

/* Every session of a user but one (sqlite_sessions_delete_others()). */
static int
pg_sessions_delete_others(const char *id, const uint8_t *keep,
    int64_t keep_id)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, id);
	pg_hash(&p, keep);
	pg_int(&p, keep_id);
	return pg_do("DELETE FROM sessions WHERE user_id = $1 "
	    "AND ($2::bytea IS NULL OR token_hash IS DISTINCT FROM $2) "
	    "AND id <> $3", &p);
}

static int
pg_user_set_password(const char *id, const char *phc)
{
	return pg_do2("UPDATE users SET password = $2 WHERE id = $1", id,
	    phc);
}

static int
pg_user_set_token(const char *id, const uint8_t *hash)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, id);
	if (hash == NULL)
		return pg_do("UPDATE users SET token_hash = NULL "
		    "WHERE id = $1", &p);
	pg_hash(&p, hash);
	return pg_guarded("UPDATE users SET token_hash = $2 WHERE id = $1",
	    &p, NULL);
}

static int
pg_user_delete(const char *id)
{
	return pg_do2("DELETE FROM users WHERE id = $1", id, NULL);
}

static int
pg_user_touch(const char *id, int64_t now)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, id);
	pg_int(&p, now);
	return pg_do("UPDATE users SET last_access = $2 WHERE id = $1", &p);
}

/* A listing: cb gets each row's columns as text, "-" for NULL. */
static int
pg_rows(const char *sql, const struct pg_params *p, int ncol,
    store_row_cb cb, void *arg)
{
	const char	*cols[STORE_ROW_COLS];
	PGresult	*r;
	int		 i, row, n;

	if (ncol > STORE_ROW_COLS || pg_run(sql, p, &r) != 0)
		return -1;
	if (PQnfields(r) != ncol) {
		PQclear(r);
		return -1;
	}
	n = PQntuples(r);
	for (row = 0; row < n; row++) {
		for (i = 0; i < ncol; i++)
			cols[i] = PQgetisnull(r, row, i) ? "-" :
			    PQgetvalue(r, row, i);
		cb(arg, cols, ncol);
	}
	PQclear(r);
	return 0;
}

static int
pg_user_list(store_row_cb cb, void *arg)
{
	return pg_rows("SELECT id, email, status, coalesce(role, '-'), "
	    "CASE WHEN token_hash IS NULL THEN 'no' ELSE 'yes' END, "
	    "(SELECT count(*) FROM sessions WHERE user_id = users.id) "
	    "FROM users ORDER BY lower(email)", NULL, 6, cb, arg);
}

static int
pg_users_tfa_plain(const char *prefix, store_row_cb cb, void *arg)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, prefix);
	return pg_rows("SELECT id, tfa_secret FROM users WHERE tfa_secret "
	    "IS NOT NULL AND left(tfa_secret, length($1)) <> $1", &p, 2, cb,
	    arg);
}

static int
pg_user_set_role(const char *id, const char *role)
{
	return pg_do2("UPDATE users SET role = nullif($2, '') WHERE id = $1",
	    id, role != NULL ? role : "");
}

static int
pg_user_policy_count(const char *user, int64_t *n)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, user);
	return pg_one_int("SELECT count(*) FROM user_policies "
	    "WHERE user_id = $1", &p, n) == 0 ? 0 : -1;
}

static int
pg_user_policies_clear(const char *user)
{
	return pg_do2("DELETE FROM user_policies WHERE user_id = $1", user,
	    NULL);
}

static int
pg_users_admins(store_row_cb cb, void *arg)
{
	return pg_rows("SELECT id, COALESCE(role, ''), "
	    "COALESCE((SELECT string_agg(policy, ' ') FROM user_policies "
	    "WHERE user_id = users.id), '') FROM users "
	    "WHERE status = 'active'", NULL, 3, cb, arg);
}

static int
pg_token_delete(const char *user, const char *scope)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, user);
	if (scope == NULL)
		return pg_do("DELETE FROM mail_tokens WHERE user_id = $1", &p);
	pg_text(&p, scope);
	return pg_do("DELETE FROM mail_tokens WHERE user_id = $1 "
	    "AND scope = $2", &p);
}

static int
pg_audit_insert(const struct store_audit *a)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, a->action);
	pg_text(&p, a->user != NULL ? a->user : "");
	pg_int(&p, a->timestamp);
	pg_text(&p, a->ip != NULL ? a->ip : "");
	pg_text(&p, a->agent != NULL ? a->agent : "");
	pg_text(&p, a->origin != NULL ? a->origin : "");
	pg_text(&p, a->collection != NULL ? a->collection : "");
	pg_text(&p, a->item != NULL ? a->item : "");
	pg_text(&p, a->reason != NULL ? a->reason : "");
	/* Inside a transaction, it rides with the next statement. */
	return pg_run_flags("INSERT INTO audit (action, user_id, timestamp, "
	    "ip, user_agent, origin, collection, item, reason) VALUES ($1, "
	    "nullif($2, ''), $3, nullif($4, ''), nullif($5, ''), "
	    "nullif($6, ''), nullif($7, ''), nullif($8, ''), "
	    "nullif($9, ''))", &p, NULL, PG_PREPARED | PG_DEFER) == 0 ?
	    0 : -1;
}

/* n audit rows in one statement, deferred as one is. */
static int
pg_audits_insert(const struct store_audit *a, size_t n)
{
	struct pg_params	 p = { .n = 0 };
	struct pg_array		 col[9];
	size_t			 i, c;
	int			 rv;

	pg_array_init(&col[2], PG_OID_INT8);
	for (c = 0; c < 9; c++)
		if (c != 2)
			pg_array_init(&col[c], PG_OID_TEXT);
	for (i = 0; i < n; i++) {
		pg_array_text(&col[0], a[i].action);
		pg_array_text(&col[1], a[i].user);
		pg_array_int(&col[2], a[i].timestamp);
		pg_array_text(&col[3], a[i].ip);
		pg_array_text(&col[4], a[i].agent);
		pg_array_text(&col[5], a[i].origin);
		pg_array_text(&col[6], a[i].collection);
		pg_array_text(&col[7], a[i].item);
		pg_array_text(&col[8], a[i].reason);
	}
	for (c = 0; c < 9; c++)
		pg_array_param(&p, &col[c]);
	rv = pg_run_flags("INSERT INTO audit (action, user_id, timestamp, "
	    "ip, user_agent, origin, collection, item, reason) SELECT a, "
	    "nullif(u, ''), t, nullif(i, ''), nullif(g, ''), nullif(o, ''), "
	    "nullif(c, ''), nullif(it, ''), nullif(r, '') FROM "
	    "unnest($1::text[], $2::text[], $3::bigint[], $4::text[], "
	    "$5::text[], $6::text[], $7::text[], $8::text[], $9::text[]) "
	    "AS x(a, u, t, i, g, o, c, it, r)", &p, NULL,
	    PG_PREPARED | PG_DEFER);
	for (c = 0; c < 9; c++)
		pg_array_free(&col[c]);
	return rv == 0 ? 0 : -1;
}

static int
pg_audit_prune(int64_t before, int64_t *n)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;

	pg_int(&p, before);
	if (pg_run("DELETE FROM audit WHERE timestamp < $1", &p, &r) != 0)
		return -1;
	*n = pg_changed(r);
	PQclear(r);
	return 0;
}

static int
pg_audit_list(int64_t after, int64_t limit, store_row_cb cb, void *arg)
{
	struct pg_params	 p = { .n = 0 };

	pg_int(&p, after);
	pg_int(&p, limit);
	return pg_rows("SELECT id, " PG_TIME("timestamp") ", action, "
	    "coalesce(user_id, '-'), coalesce(item, '-'), coalesce(ip, '-'), "
	    "coalesce(reason, '-'), coalesce(origin, '-'), "
	    "coalesce(user_agent, '-') FROM audit WHERE id > $1 ORDER BY id "
	    "LIMIT $2", &p, 9, cb, arg);
}

/*
 * A user's TFA secret as stored and the last time step a code was
 * taken for (-1: none); 1 when it has none.
 */
static int
pg_user_tfa_get(const char *id, char *secret, size_t len, int64_t *last)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	int			 rv = 0;

	pg_text(&p, id);
	if (pg_run("SELECT tfa_secret, coalesce(tfa_last_step, -1) FROM users "
	    "WHERE id = $1 AND tfa_secret IS NOT NULL", &p, &r) != 0)
		return -1;
	if (PQntuples(r) == 0)
		rv = 1;
	else if (strlcpy(secret, PQgetvalue(r, 0, 0), len) >= len) {
		log_warnx("store: user %s: TFA secret too long", id);
		rv = -1;
	} else
		*last = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	return rv;
}

static int
pg_user_tfa_set(const char *id, const char *secret)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, id);
	pg_text(&p, secret);	/* NULL: cleared */
	return pg_do("UPDATE users SET tfa_secret = $2, tfa_last_step = NULL "
	    "WHERE id = $1", &p);
}

/* Only forward: 0 when step is later than the last one, 1 (a replay). */
static int
pg_user_tfa_step(const char *id, int64_t step)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	int			 n;

	pg_text(&p, id);
	pg_int(&p, step);
	if (pg_run("UPDATE users SET tfa_last_step = $2 WHERE id = $1 "
	    "AND coalesce(tfa_last_step, -1) < $2", &p, &r) != 0)
		return -1;
	n = pg_changed(r);
	PQclear(r);
	return n == 1 ? 0 : 1;
}

static int
pg_tfa_recovery_clear(const char *id)
{
	return pg_do2("DELETE FROM tfa_recovery WHERE user_id = $1", id, NULL);
}

static int
pg_tfa_recovery_add(const char *id, const uint8_t *hash)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, id);
	pg_hash(&p, hash);
	return pg_do("INSERT INTO tfa_recovery (user_id, hash) "
	    "VALUES ($1, $2)", &p);
}

/* 0 when it was one of the user's codes (now gone), 1 when not. */
static int
pg_tfa_recovery_use(const char *id, const uint8_t *hash)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	int			 n;

	pg_text(&p, id);
	pg_hash(&p, hash);
	if (pg_run("DELETE FROM tfa_recovery WHERE user_id = $1 "
	    "AND hash = $2", &p, &r) != 0)
		return -1;
	n = pg_changed(r);
	PQclear(r);
	return n == 1 ? 0 : 1;
}

static int
pg_session_list(const char *email, int64_t now, store_row_cb cb, void *arg)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, email);
	pg_int(&p, now);
	return pg_rows("SELECT s.id, u.email, " PG_SECONDS("s.expires") ", "
	    "coalesce(s.ip, '-'), coalesce(s.user_agent, '-') "
	    "FROM sessions s JOIN users u ON u.id = s.user_id "
	    "WHERE ($1 = '' OR lower(u.email) = lower($1)) "
	    "AND s.expires >= $2 ORDER BY s.id", &p, 5, cb, arg);
}

/* 0 when the session existed, 1 when there was none. */
static int
pg_session_revoke(int64_t id)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	int			 n;

	pg_int(&p, id);
	if (pg_run("DELETE FROM sessions WHERE id = $1", &p, &r) != 0)
		return -1;
	n = pg_changed(r);
	PQclear(r);
	return n == 1 ? 0 : 1;
}

/*
 * One field of a user whose value is written as it is given: text,
 * NULL, 1/0 for a boolean, or JSON text.  STORE_NOT_UNIQUE when the
 * value is taken (an email).
 */
static int
pg_user_set_field(const char *id, const char *field, json_t *v)
{
	const struct user_field	*uf = user_field(field);
	struct pg_params	 p = { .n = 0 };
	char			*text = NULL;
	int			 rv;

	if (uf == NULL || pg_user_updates == NULL ||
	    pg_user_updates[uf - user_fields] == NULL)
		return -1;
	pg_text(&p, id);
	if (json_is_null(v))
		pg_text(&p, NULL);
	else if (json_is_boolean(v))
		pg_text(&p, json_is_true(v) ? "1" : "0");
	else if (json_is_string(v))
		pg_text(&p, json_string_value(v));
	else if ((text = json_dumps(v, JSON_COMPACT)) == NULL)
		return -1;
	else
		pg_text(&p, text);
	rv = pg_guarded(pg_user_updates[uf - user_fields], &p, NULL);
	free(text);
	return rv;
}

/*
 * A policy the user holds directly, after the others: 0, 1 when the
 * user holds it already, -1.
 */
static int
pg_user_policy_add(const char *user, const char *policy, const char *id)
{
	struct pg_params	 p = { .n = 0 };
	int			 rv;

	pg_text(&p, user);
	pg_text(&p, policy);
	pg_text(&p, id);
	rv = pg_guarded("INSERT INTO user_policies (id, user_id, policy, "
	    "sort) SELECT $3, $1, $2, coalesce(max(sort), 0) + 1 "
	    "FROM user_policies WHERE user_id = $1", &p, NULL);
	return rv == STORE_NOT_UNIQUE ? 1 : rv;
}

/* 0, 1 when the user did not hold it, -1. */
static int
pg_user_policy_del(const char *user, const char *policy)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	int			 n;

	pg_text(&p, user);
	pg_text(&p, policy);
	if (pg_run("DELETE FROM user_policies WHERE user_id = $1 "
	    "AND policy = $2", &p, &r) != 0)
		return -1;
	n = pg_changed(r);
	PQclear(r);
	return n == 0 ? 1 : 0;
}

static int
pg_user_access_del(const char *user, const char *id)
{
	return pg_do2("DELETE FROM user_policies WHERE user_id = $1 "
	    "AND id = $2", user, id);
}

static int
pg_outbox_insert(const struct store_mail *m, int64_t now, int64_t *id)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;

	if (m->len > STORE_MAIL_MAX || m->len > INT_MAX)
		return -1;
	pg_text(&p, m->kind);
	pg_text(&p, m->user);
	pg_text(&p, m->rcpt);
	p.value[p.n] = (const char *)m->data;
	p.len[p.n] = (int)m->len;
	p.format[p.n] = 1;
	p.n++;
	pg_int(&p, now);
	pg_int(&p, m->expires);
	if (pg_run("INSERT INTO outbox (kind, user_id, rcpt, data, created, "
	    "expires, next_try) VALUES ($1, $2, $3, $4, $5, $6, $5) "
	    "RETURNING id", &p, &r) != 0)
		return -1;
	*id = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return *id > 0 ? 0 : -1;
}

/*
 * The mail due first, or row id's.  Several hosts share the outbox: a
 * due mail is claimed (FOR UPDATE SKIP LOCKED, its next try moved a
 * lease ahead) so that one host sends it; the claimant sees it due
 * now.  A host that dies with it claimed leaves it to another once the
 * lease has passed.  Not yet due, the first one is only looked at, for
 * the timer.  1 when there is none, -2 for a row to drop.
 */
#define PG_MAIL_LEASE_MS	MAIL_RETRY_MAX_MS
static int
pg_outbox_next(int64_t id, struct store_mail *m)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	unsigned char		*data;
	size_t			 len;
	int			 rv = 0;

	memset(m, 0, sizeof(*m));
	pg_int(&p, id);
	pg_int(&p, PG_MAIL_LEASE_MS);
	if (pg_run(id != 0 ?
	    "SELECT id, kind, user_id, rcpt, data, expires, attempts, "
	    "next_try FROM outbox WHERE id = $1 AND $2 > 0" :
	    "WITH c AS (SELECT id FROM outbox WHERE next_try <= " PG_NOW_MS
	    " ORDER BY next_try, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
	    "UPDATE outbox o SET next_try = " PG_NOW_MS " + $2 FROM c "
	    "WHERE o.id = c.id AND $1 = 0 RETURNING o.id, kind, user_id, "
	    "rcpt, data, expires, attempts, 0", &p, &r) != 0)
		return -1;
	if (id == 0 && PQntuples(r) == 0) {
		PQclear(r);
		if (pg_run("SELECT id, kind, user_id, rcpt, ''::bytea, expires, "
		    "attempts, next_try FROM outbox ORDER BY next_try, id "
		    "LIMIT 1", NULL, &r) != 0)
			return -1;
	}
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 1;
	}
	m->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	if ((data = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 4),
	    &len)) == NULL || len > STORE_MAIL_MAX ||
	    strlcpy(m->kind, PQgetvalue(r, 0, 1), sizeof(m->kind)) >=
	    sizeof(m->kind) ||
	    strlcpy(m->user, PQgetvalue(r, 0, 2), sizeof(m->user)) >=
	    sizeof(m->user) ||
	    strlcpy(m->rcpt, PQgetvalue(r, 0, 3), sizeof(m->rcpt)) >=
	    sizeof(m->rcpt) ||
	    (m->data = malloc(len > 0 ? len : 1)) == NULL) {
		log_warnx("store: outbox row %lld is unusable",
		    (long long)m->id);
		rv = -2;
	} else {
		memcpy(m->data, data, len);
		m->len = len;
		m->expires = strtoll(PQgetvalue(r, 0, 5), NULL, 10);
		m->attempts = atoi(PQgetvalue(r, 0, 6));
		m->next_try = strtoll(PQgetvalue(r, 0, 7), NULL, 10);
	}
	PQfreemem(data);
	PQclear(r);
	return rv;
}

static int
pg_outbox_delete(int64_t id)
{
	struct pg_params	 p = { .n = 0 };

	pg_int(&p, id);
	return pg_do("DELETE FROM outbox WHERE id = $1", &p);
}

static int
pg_outbox_retry(int64_t id, int64_t next_try, const char *error)
{
	struct pg_params	 p = { .n = 0 };

	pg_int(&p, id);
	pg_int(&p, next_try);
	pg_text(&p, error);
	return pg_do("UPDATE outbox SET attempts = attempts + 1, "
	    "next_try = $2, last_error = $3 WHERE id = $1", &p);
}

static int
pg_outbox_list(store_row_cb cb, void *arg)
{
	return pg_rows("SELECT id, kind, user_id, rcpt, "
	    PG_SECONDS("expires") ", attempts, coalesce(last_error, '-') "
	    "FROM outbox ORDER BY id", NULL, 7, cb, arg);
}

static int
pg_outbox_flush(int64_t *n)
{
	PGresult	*r;

	if (pg_run("UPDATE outbox SET next_try = 0", NULL, &r) != 0)
		return -1;
	*n = pg_changed(r);
	PQclear(r);
	return 0;
}

static int
pg_outbox_pending(const char *user, const char *kind, int64_t *n)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, user);
	pg_text(&p, kind);
	return pg_one_int("SELECT count(*) FROM outbox WHERE user_id = $1 "
	    "AND kind = $2", &p, n) == 0 ? 0 : -1;
}

/* The user's one live mail token of scope is jti, until expires. */
static int
pg_token_set(const char *user, const char *scope, const char *jti,
    int64_t expires)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, user);
	pg_text(&p, scope);
	pg_text(&p, jti);
	pg_int(&p, expires);
	return pg_do("INSERT INTO mail_tokens (user_id, scope, jti, expires) "
	    "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, scope) DO UPDATE "
	    "SET jti = excluded.jti, expires = excluded.expires", &p);
}

static int
pg_token_get(const char *user, const char *scope, int64_t now, char *jti,
    size_t len)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	int			 rv = 0;

	pg_text(&p, user);
	pg_text(&p, scope);
	pg_int(&p, now);
	if (pg_run("SELECT jti FROM mail_tokens WHERE user_id = $1 "
	    "AND scope = $2 AND expires > $3", &p, &r) != 0)
		return -1;
	if (PQntuples(r) == 0)
		rv = 1;
	else if (strlcpy(jti, PQgetvalue(r, 0, 0), len) >= len)
		rv = -1;
	PQclear(r);
	return rv;
}

/*
 * Invalidations across hosts.  Each one keyd makes is announced with
 * NOTIFY on PG_CHANNEL, in the open transaction when there is one (the
 * group commit of a refresh), so that PostgreSQL delivers it when the
 * change commits, and never for a change rolled back.  Every keyd
 * LISTENs; what arrives while a statement waits for its answer is kept
 * (pg_notes_take()) and applied from keyd's loop, after the answer
 * that statement was for has left: an answer read before a change then
 * reaches the workers before the change's invalidation, never after.
 * The payload: "u:" and a user id, "s:" and the hex of a session hash,
 * "S" (every session), "A" (everything).
 */
/*
 * Every announcement of an invalidation of this host's calls this first,
 * for the readers (pg_stale()): it is pushed next, committed later.
 */
static void
pg_announced(void)
{
	pg_changes++;
	if (pg_in_tx || pg_batching)
		pg_tx_announced = 1;
}

static void
pg_announce(uint8_t kind, const void *key, size_t len)
{
	struct pg_params	 p = { .n = 0 };
	char			 payload[2 + STORE_HASH_LEN * 2 + STORE_ID_MAX +
				    1];
	size_t			 i;

	pg_announced();
	switch (kind) {
	case INVALIDATE_USER:
		if (len > STORE_ID_MAX)
			return;
		(void)snprintf(payload, sizeof(payload), "u:%.*s", (int)len,
		    (const char *)key);
		break;
	case INVALIDATE_SESSION:
		if (len != STORE_HASH_LEN)
			return;
		(void)strlcpy(payload, "s:", sizeof(payload));
		for (i = 0; i < len; i++)
			(void)snprintf(payload + 2 + 2 * i, 3, "%02x",
			    ((const uint8_t *)key)[i]);
		break;
	case INVALIDATE_SESSIONS:
		(void)strlcpy(payload, "S", sizeof(payload));
		break;
	default:
		(void)strlcpy(payload, "A", sizeof(payload));
		break;
	}
	pg_text(&p, payload);
	if (pg_run_flags("SELECT pg_notify('" PG_CHANNEL "', $1)", &p, NULL,
	    PG_PREPARED | PG_DEFER) != 0)
		log_warnx("store: cannot tell the other hosts of an "
		    "invalidation");
}

/* INVALIDATE_SESSION of n hashes: pg_announce()'s payloads, one statement. */
static void
pg_announce_sessions(const uint8_t *hashes, size_t n)
{
	struct pg_params	 p = { .n = 0 };
	struct pg_array		 a;

	if (n == 0)
		return;
	pg_announced();
	pg_hashes(&p, &a, hashes, STORE_HASH_LEN, n);
	if (pg_run_flags("SELECT pg_notify('" PG_CHANNEL "', 's:' || "
	    "encode(h, 'hex')) FROM unnest($1::bytea[]) AS h", &p, NULL,
	    PG_PREPARED | PG_DEFER) != 0)
		log_warnx("store: cannot tell the other hosts of an "
		    "invalidation");
	pg_array_free(&a);
}

/* A payload of pg_announce()'s, or -1. */
static int
pg_note_parse(const char *payload, struct pg_note *n)
{
	size_t	 len = strlen(payload);

	if (strcmp(payload, "S") == 0 || strcmp(payload, "A") == 0) {
		n->kind = payload[0] == 'S' ? INVALIDATE_SESSIONS :
		    INVALIDATE_ALL;
		n->len = 0;
		return 0;
	}
	if (len < 3 || payload[1] != ':')
		return -1;
	if (payload[0] == 'u' && len - 2 <= STORE_ID_MAX) {
		n->kind = INVALIDATE_USER;
		n->len = len - 2;
		memcpy(n->key, payload + 2, n->len);
		return 0;
	}
	if (payload[0] == 's' && pg_hex(payload + 2, n->key) == 0) {
		n->kind = INVALIDATE_SESSION;
		n->len = STORE_HASH_LEN;
		return 0;
	}
	return -1;
}

/* Keep the notifications libpq has read, other than this keyd's own. */
static void
pg_notes_take(void)
{
	PGnotify	*pn;
	struct pg_note	*n;

	while (pg != NULL && (pn = PQnotifies(pg)) != NULL) {
		if (pn->be_pid != PQbackendPID(pg) && !pg_notes_lost) {
			if (pg_nnotes >= PG_NOTES_MAX ||
			    (n = calloc(1, sizeof(*n))) == NULL)
				pg_notes_lost = 1;
			else if (pg_note_parse(pn->extra, n) == -1) {
				log_warnx("store: an invalidation of another "
				    "host is unreadable: everything goes");
				free(n);
				pg_notes_lost = 1;
			} else {
				TAILQ_INSERT_TAIL(&pg_notes, n, entry);
				pg_nnotes++;
			}
		}
		PQfreemem(pn);
	}
	if ((pg_nnotes > 0 || pg_notes_lost) && pg_ev != NULL)
		event_active(pg_ev, EV_READ, 0);
}

static void
pg_notes_apply(void)
{
	struct pg_note	*n;

	if (TAILQ_EMPTY(&pg_notes) && !pg_notes_lost)
		return;
	pg_changes++;
	while ((n = TAILQ_FIRST(&pg_notes)) != NULL) {
		TAILQ_REMOVE(&pg_notes, n, entry);
		pg_nnotes--;
		if (!pg_notes_lost)
			invalidate_apply(n->kind, n->key, n->len);
		free(n);
	}
	if (pg_notes_lost) {
		pg_notes_lost = 0;
		invalidate_apply(INVALIDATE_ALL, NULL, 0);
	}
}

/*
 * The connection is readable: notifications, or its end.
 */
static void
pg_listen_cb(evutil_socket_t fd, short events, void *arg)
{
	/*
	 * A statement of the fiber's in flight: the fiber reads the
	 * socket (input read here would leave it waiting for more), and
	 * its notifications come here after it (pg_notes_take()).
	 */
	if (fiber_waiting())
		return;
	if (!pg_down && (PQconsumeInput(pg) == 0 ||
	    PQstatus(pg) != CONNECTION_OK))
		pg_lost();
	else
		pg_notes_take();
	pg_notes_apply();
}

/*
 * The connection is gone: no other host's invalidation can reach this
 * one any more, so every worker forgets everything it holds (from the
 * loop, at once), and keyd reconnects with back-off.  Until then every
 * request that needs the store fails (503), and so does health.
 */
static void
pg_lost(void)
{
	struct timeval	 tv = { 0, 0 };
	const char	*m;

	if (pg_down)
		return;
	pg_down = 1;
	pg_changes++;
	/* The read connection's loss says why itself (pg_rd_fail()). */
	m = PQerrorMessage(pg);
	log_warnx("store: PostgreSQL connection lost%s%s", *m != '\0' ?
	    ": " : "", m);
	if (pg_ev != NULL)
		event_del(pg_ev);
	pg_notes_lost = 1;
	pg_retry_ms = PG_RETRY_MIN_MS;
	if (pg_retry_ev != NULL)
		evtimer_add(pg_retry_ev, &tv);
}

/*
 * Empty the workers' caches, then reconnect; once connected, empty
 * them again (what changed meanwhile was announced to nobody here)
 * before anything is answered from the store again.
 */
static void
pg_retry_cb(evutil_socket_t fd, short events, void *arg)
{
	struct timeval	 tv;

	/* Not under a statement of the fiber's in flight: after it. */
	if (fiber_waiting()) {
		tv.tv_sec = 0;
		tv.tv_usec = 10000;
		evtimer_add(pg_retry_ev, &tv);
		return;
	}
	pg_notes_apply();
	/* The readers still waiting go on without their results. */
	pg_rd_fail();
	PQreset(pg);
	if (PQstatus(pg) == CONNECTION_OK) {
		pg_gen++;
		PQreset(pg_rd);
		pg_down = 0;
		if (pg_exec("SET client_min_messages = warning") == 0 &&
		    pg_watch() == 0 && pg_rd_setup() == 0) {
			log_info("store: PostgreSQL connection back");
			invalidate_apply(INVALIDATE_ALL, NULL, 0);
			return;
		}
		pg_lost();
		return;
	}
	log_warnx("store: PostgreSQL: cannot reconnect: %s; next try in "
	    "%lld ms", PQerrorMessage(pg), (long long)pg_retry_ms);
	tv.tv_sec = pg_retry_ms / 1000;
	tv.tv_usec = (pg_retry_ms % 1000) * 1000;
	evtimer_add(pg_retry_ev, &tv);
	if ((pg_retry_ms *= 2) > PG_RETRY_MAX_MS)
		pg_retry_ms = PG_RETRY_MAX_MS;
}

/* LISTEN on the connection, and watch its socket in keyd's loop. */
static int
pg_watch(void)
{
	if (pg_ev != NULL)
		event_free(pg_ev);
	pg_ev = NULL;
	if (pg_exec("LISTEN " PG_CHANNEL) == -1 ||
	    (pg_ev = event_new(pg_base, PQsocket(pg), EV_READ | EV_PERSIST,
	    pg_listen_cb, NULL)) == NULL ||
	    event_add(pg_ev, NULL) == -1)
		return -1;
	return 0;
}

static int
pg_down_now(void)
{
	return pg == NULL || pg_down;
}

/*
 * On a reader whose job has read the store: something may have changed
 * since its first statement (pg_changes), so that what it read may be
 * older than an invalidation already pushed (or than a session's that
 * nobody was told of, not being vouched for yet): its answer must not
 * be cached; so too while a transaction whose invalidation has gone
 * is not committed yet.  An answer made before the change's
 * invalidation is pushed reaches the workers before it (invalidate.c,
 * point 5).
 */
static int
pg_stale(void)
{
	int	 reader = fiber_reader();

	if (reader == 0 || pg_rd_jobs[reader - 1].job != fiber_job())
		return 0;
	return pg_rd_jobs[reader - 1].changes != pg_changes ||
	    pg_tx_announced;
}

static int
pg_listen(struct event_base *base)
{
	pg_base = base;
	if ((pg_retry_ev = evtimer_new(base, pg_retry_cb, NULL)) == NULL)
		return -1;
	return pg_watch() == 0 && pg_rd_watch() == 0 ? 0 : -1;
}

/*
 * The /users and /activity lists, counts and groups.  Their conditions
 * come from query_sql.c in PostgreSQL's words (keyd builds them with
 * store_dialect()): fixed text, the field expressions below and typed
 * "$n" parameters, so nothing of a request is ever SQL here either.
 */

/*
 * A field's SQL in /users filters and sorts (store.c's, in PG's
 * words); an instant's, made once, stays for keyd's life.
 */
static const char *
pg_user_expr(const struct user_field *uf)
{
	static char	**times;
	size_t		  i = uf - user_fields;

	if (uf->kind == UK_POLICIES || uf->column == NULL)
		return "NULL::text";
	if (uf->kind != UK_TIME)
		return uf->column;
	if (times == NULL && (times = calloc(user_nfields,
	    sizeof(*times))) == NULL)
		return NULL;
	if (times[i] == NULL && asprintf(&times[i], PG_TIME_HEAD "%s"
	    PG_TIME_TAIL, uf->column) == -1) {
		times[i] = NULL;
		return NULL;
	}
	return times[i];
}

const char *
pg_users_column(const char *field)
{
	const struct user_field	*uf = user_field(field);

	if (uf == NULL || !(uf->flags & UF_SORTABLE))
		return NULL;
	return pg_user_expr(uf);
}

/* An audit event's timestamp as Directus writes it (store.c's fields). */
const char	 pg_audit_time[] = PG_TIME("timestamp");

/*
 * Run sql with the values of where, then extra (a negative one is
 * null: "LIMIT NULL" is no limit), as pg_run() does.
 */
static int
pg_run_where(const char *sql, const struct query_sql *where,
    const int64_t *extra, size_t nextra, PGresult **res)
{
	const char	**values = NULL;
	char		(*bufs)[32] = NULL;
	size_t		  i, n = where->nbinds + nextra;
	PGresult	 *r = NULL;
	int		  rv = -1, deferred;

	*res = NULL;
	if (pg == NULL || pg_down || where->error ||
	    where->dialect != QUERY_PG || n > 65535 ||
	    (values = calloc(n + 1, sizeof(*values))) == NULL ||
	    (bufs = calloc(n + 1, sizeof(*bufs))) == NULL)
		goto done;
	for (i = 0; i < where->nbinds; i++)
		if (query_sql_value_text(where->binds[i], bufs[i],
		    sizeof(bufs[i]), &values[i]) == -1)
			goto done;
	for (; i < n; i++)
		if (extra[i - where->nbinds] >= 0) {
			(void)snprintf(bufs[i], sizeof(bufs[i]), "%lld",
			    (long long)extra[i - where->nbinds]);
			values[i] = bufs[i];
		}
	/* On the store's fiber, keyd's loop runs while PostgreSQL works. */
	r = pg_query(sql, (int)n, values, NULL, NULL, 0, &deferred);
	pg_notes_take();
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		*res = r;
		r = NULL;
		rv = 0;
	} else {
		pg_log_error(r);
		if (PQstatus(pg) != CONNECTION_OK)
			pg_lost();
	}
 done:
	PQclear(r);
	free(values);
	free(bufs);
	return rv;
}

/*
 * "SELECT what FROM table WHERE where order[, seq] LIMIT OFFSET", each
 * row's one column (JSON text) to cb, which may stop the walk with -1.
 * Ties, and no order at all, go by creation, as SQLite's rowid.
 */
static int
pg_select_json(const char *table, const char *what, const char *tie,
    const struct query_sql *where, const struct query_sql *order,
    long long limit, long long offset, store_json_cb cb, void *arg)
{
	struct query_sql	 q;
	PGresult		*r;
	int64_t			 extra[2] = { limit, offset };
	char			 at[48];
	int			 i, n, rv = 0;

	query_sql_init_dialect(&q, QUERY_PG);
	query_sql_add(&q, "SELECT ");
	query_sql_add(&q, what);
	query_sql_add(&q, " FROM ");
	query_sql_add(&q, table);
	query_sql_add(&q, " WHERE ");
	query_sql_add(&q, where->len > 0 ? where->text : "true");
	query_sql_add(&q, order->len > 0 ? order->text : " ORDER BY ");
	query_sql_add(&q, order->len > 0 ? ", " : "");
	query_sql_add(&q, tie);
	(void)snprintf(at, sizeof(at), " LIMIT $%zu::bigint OFFSET "
	    "$%zu::bigint", where->nbinds + 1, where->nbinds + 2);
	query_sql_add(&q, at);
	if (q.error || order->error || order->nbinds > 0 ||
	    pg_run_where(q.text, where, extra, 2, &r) == -1) {
		query_sql_free(&q);
		return -1;
	}
	query_sql_free(&q);
	n = PQntuples(r);
	for (i = 0; rv == 0 && i < n; i++)
		if (PQgetisnull(r, i, 0) || cb(arg, PQgetvalue(r, i, 0)) == -1)
			rv = -1;
	PQclear(r);
	return rv;
}

static int
pg_count_where(const char *table, const struct query_sql *where, int64_t *n)
{
	struct query_sql	 q;
	PGresult		*r;

	query_sql_init_dialect(&q, QUERY_PG);
	query_sql_add(&q, "SELECT count(*) FROM ");
	query_sql_add(&q, table);
	query_sql_add(&q, " WHERE ");
	query_sql_add(&q, where->len > 0 ? where->text : "true");
	if (q.error || pg_run_where(q.text, where, NULL, 0, &r) == -1) {
		query_sql_free(&q);
		return -1;
	}
	query_sql_free(&q);
	*n = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return 0;
}

/* The users matching where, one page, each as /users/me's JSON. */
static int
pg_users_select(const struct query_sql *where, const struct query_sql *order,
    long long limit, long long offset, store_json_cb cb, void *arg)
{
	char	*what;
	size_t	 len, head = strlen(PG_USER_SQL_HEAD);
	size_t	 tail = strlen(PG_USER_SQL_TAIL);
	int	 rv;

	/* pg_user_prepare()'s statement, without its head and tail. */
	if (pg_user_sql == NULL || (len = strlen(pg_user_sql)) <=
	    head + tail || strncmp(pg_user_sql, PG_USER_SQL_HEAD, head) != 0 ||
	    strcmp(pg_user_sql + len - tail, PG_USER_SQL_TAIL) != 0 ||
	    (what = strndup(pg_user_sql + head, len - head - tail)) == NULL)
		return -1;
	rv = pg_select_json("users", what, "seq", where, order, limit,
	    offset, cb, arg);
	free(what);
	return rv;
}

static int
pg_users_count(const struct query_sql *where, int64_t *n)
{
	return pg_count_where("users", where, n);
}

/* Type OIDs of PostgreSQL's catalog (pg_type.dat): the numbers. */
#define PG_OID_INT8	20
#define PG_OID_INT2	21
#define PG_OID_INT4	23
#define PG_OID_FLOAT4	700
#define PG_OID_FLOAT8	701
#define PG_OID_NUMERIC	1700

struct pg_cell {
	PGresult	*r;
	int		 row;
};

/*
 * A value of a grouped row by its column's type (query_group_row_of()),
 * as store.c's from SQLite: a whole number within 2^53 an integer.
 */
static json_t *
pg_group_value(void *arg, int col)
{
	struct pg_cell	*c = arg;
	const char	*t;
	double		 d;
	char		*end;

	if (PQgetisnull(c->r, c->row, col))
		return json_null();
	t = PQgetvalue(c->r, c->row, col);
	switch (PQftype(c->r, col)) {
	case PG_OID_INT8:
	case PG_OID_INT4:
	case PG_OID_INT2:
	case PG_OID_NUMERIC:
	case PG_OID_FLOAT8:
	case PG_OID_FLOAT4:
		d = strtod(t, &end);
		if (*end != '\0' || !isfinite(d))
			return json_null();
		if (d <= 9007199254740991.0 && d >= -9007199254740991.0 &&
		    d == (double)(long long)d)
			return json_integer((json_int_t)d);
		return json_real(d);
	default:
		return json_string(t);
	}
}

/* The groups of a query over the users, as store.c's (0, -2, -1). */
static int
pg_users_groups(const struct query *q, const struct query_schema *schema,
    const struct query_sql *where, long long limit, long long offset,
    json_t **rows)
{
	struct query_sql	 sel, order;
	PGresult		*r = NULL;
	struct pg_cell		 cell;
	int64_t			 extra[2] = { limit, offset };
	json_t			*row;
	char			*text, at[48];
	size_t			 bytes = 0;
	int			 rv = -1, i, n;

	*rows = NULL;
	query_sql_init_dialect(&sel, QUERY_PG);
	query_sql_init_dialect(&order, QUERY_PG);
	query_sql_add(&sel, "SELECT ");
	if (query_group_sql(q, schema, &sel) == -1 ||
	    query_group_order_sql(q, schema, &order) == -1)
		goto done;
	query_sql_add(&sel, " FROM users WHERE ");
	query_sql_add(&sel, where->len > 0 ? where->text : "true");
	if (order.len > 0)
		query_sql_add(&sel, order.text);
	(void)snprintf(at, sizeof(at), " LIMIT $%zu::bigint OFFSET "
	    "$%zu::bigint", where->nbinds + 1, where->nbinds + 2);
	query_sql_add(&sel, at);
	/* Only where binds values: the select list and order are names. */
	if (sel.error || order.error || sel.nbinds > 0 || order.nbinds > 0 ||
	    pg_run_where(sel.text, where, extra, 2, &r) == -1 ||
	    (*rows = json_array()) == NULL)
		goto done;
	n = PQntuples(r);
	for (i = 0; i < n; i++) {
		cell.r = r;
		cell.row = i;
		row = query_group_row_of(q, pg_group_value, &cell);
		if (row == NULL || (text = json_dumps(row,
		    JSON_COMPACT)) == NULL) {
			json_decref(row);
			goto done;
		}
		bytes += strlen(text) + 1;
		free(text);
		if (bytes > USERS_ANSWER_MAX) {
			json_decref(row);
			rv = -2;
			goto done;
		}
		json_array_append_new(*rows, row);
	}
	rv = 0;
 done:
	PQclear(r);
	query_sql_free(&sel);
	query_sql_free(&order);
	if (rv != 0) {
		json_decref(*rows);
		*rows = NULL;
	}
	return rv;
}

static int
pg_audit_select(const struct query_sql *where, const struct query_sql *order,
    long long limit, long long offset, store_json_cb cb, void *arg)
{
	char	*json;
	int	 rv;

	if ((json = store_audit_json()) == NULL)
		return -1;
	rv = pg_select_json("audit", json, "id", where, order, limit, offset,
	    cb, arg);
	free(json);
	return rv;
}

static int
pg_audit_count(const struct query_sql *where, int64_t *n)
{
	return pg_count_where("audit", where, n);
}

/*
 * The ids of the users of a role as a JSON array, of at most
 * STORE_ROLE_USERS_MAX + 1, in the byte order of SQLite's.
 */
static int
pg_role_users(const char *role, char **json)
{
	return pg_json("SELECT coalesce(json_agg(id), '[]'::json) FROM "
	    "(SELECT id FROM users WHERE role = $1 ORDER BY id COLLATE \"C\" "
	    "LIMIT " PG_STR(STORE_ROLE_USERS_MAX) " + 1) s", role, json);
}

/*
 * The live sessions of user (sqlite_sessions_own()): id, the token's
 * hash in upper-case hex, ip, user agent, origin, expiry, last use.
 */
static int
pg_sessions_own(const char *user, int64_t now, store_row_cb cb, void *arg)
{
	struct pg_params	 p = { .n = 0 };

	pg_text(&p, user);
	pg_int(&p, now);
	return pg_rows("SELECT id, upper(encode(token_hash, 'hex')), "
	    "coalesce(ip, ''), coalesce(user_agent, ''), "
	    "coalesce(origin, ''), " PG_TIME("expires") ", "
	    "coalesce(" PG_TIME("last_used") ", '') "
	    "FROM sessions WHERE user_id = $1 AND expires >= $2 ORDER BY id",
	    &p, 7, cb, arg);
}

/* User's live session id: 0, 1 none. */
static int
pg_session_own(const char *user, int64_t id, int64_t now,
    struct store_session *s)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;

	memset(s, 0, sizeof(*s));
	pg_int(&p, id);
	pg_int(&p, now);
	pg_text(&p, user);
	if (pg_run_flags(PG_SESSION_SELECT "WHERE s.id = $1 AND "
	    "s.expires >= $2 AND s.user_id = $3", &p, &r, 0) != 0)
		return -1;
	return pg_session_row(r, s);
}

/*
 * The counts of lockout.c, shared by every host: a failure of kind and
 * key (an email, an address, both; folded to lower case as emails are
 * compared) at now (ms since the epoch; a count is forgotten lockout
 * after its last failure, a wait or lock when it ends).  *failures is
 * the count with this failure; at attempts (0: never) the key is locked
 * for lockout (*until) and its count starts again.  A few forgotten
 * rows go each time.
 */
static int
pg_lockout_fail(char kind, const char *key, int64_t now, int64_t lockout,
    int64_t attempts, int64_t *failures, int64_t *until)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	char			 k[2] = { kind, '\0' };
	int			 rv;

	pg_text(&p, k);
	pg_text(&p, key);
	pg_int(&p, now);
	pg_int(&p, lockout);
	if (pg_guarded("INSERT INTO lockouts AS l (kind, key, failures, "
	    "last, until) VALUES ($1, lower($2), 1, $3, 0) ON CONFLICT "
	    "(kind, key) DO UPDATE SET failures = CASE WHEN "
	    "greatest(l.last + $4, l.until) <= $3 THEN 1 ELSE l.failures + 1 "
	    "END, until = CASE WHEN greatest(l.last + $4, l.until) <= $3 "
	    "THEN 0 ELSE l.until END, last = $3 RETURNING failures, until",
	    &p, &r) != 0)
		return -1;
	rv = pg_two_ints(r, failures, until) == 0 ? 0 : -1;
	if (rv == 0 && attempts > 0 && *failures >= attempts) {
		*until = now + lockout;
		p.n = 0;
		pg_text(&p, k);
		pg_text(&p, key);
		pg_int(&p, *until);
		rv = pg_guarded("UPDATE lockouts SET failures = 0, until = $3 "
		    "WHERE kind = $1 AND key = lower($2)", &p, NULL);
	}
	p.n = 0;
	pg_int(&p, now - lockout);
	if (rv == 0)
		rv = pg_guarded("DELETE FROM lockouts WHERE (kind, key) IN "
		    "(SELECT kind, key FROM lockouts WHERE last < $1 AND "
		    "until < $1 LIMIT 16)", &p, NULL);
	return rv;
}

/* A wait of kind and key until then (ms since the epoch), or longer. */
static int
pg_lockout_wait(char kind, const char *key, int64_t until)
{
	struct pg_params	 p = { .n = 0 };
	char			 k[2] = { kind, '\0' };

	pg_text(&p, k);
	pg_text(&p, key);
	pg_int(&p, until);
	return pg_guarded("UPDATE lockouts SET until = greatest(until, $3) "
	    "WHERE kind = $1 AND key = lower($2)", &p, NULL);
}

/* The live count of kind and key: 0, or 1 when there is none. */
static int
pg_lockout_get(char kind, const char *key, int64_t now, int64_t lockout,
    int64_t *failures, int64_t *until)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	char			 k[2] = { kind, '\0' };

	pg_text(&p, k);
	pg_text(&p, key);
	pg_int(&p, now);
	pg_int(&p, lockout);
	if (pg_run("SELECT failures, until FROM lockouts WHERE kind = $1 AND "
	    "key = lower($2) AND greatest(last + $4, until) > $3", &p,
	    &r) != 0)
		return -1;
	return pg_two_ints(r, failures, until);
}

static int
pg_lockout_clear(char kind, const char *key)
{
	struct pg_params	 p = { .n = 0 };
	char			 k[2] = { kind, '\0' };

	pg_text(&p, k);
	pg_text(&p, key);
	return pg_guarded("DELETE FROM lockouts WHERE kind = $1 AND "
	    "key = lower($2)", &p, NULL);
}

/*
 * rate-limit-shared: one more request of address at now (ms since the
 * epoch) in its window of duration, as the workers' fixed windows: a
 * window opens with the first request and the count starts again once
 * it has passed.  *count is the count with this one, *reset the
 * window's end.  A few windows long over go each time.
 */
static int
pg_rate_hit(const char *address, int64_t now, int64_t duration,
    int64_t *count, int64_t *reset)
{
	struct pg_params	 p = { .n = 0 };
	PGresult		*r;
	int			 rv;

	pg_text(&p, address);
	pg_int(&p, now);
	pg_int(&p, duration);
	if (pg_guarded("INSERT INTO rate_counts AS c (address, count, reset) "
	    "VALUES ($1, 1, $2::bigint + $3::bigint) ON CONFLICT (address) "
	    "DO UPDATE SET count = CASE WHEN c.reset <= $2 THEN 1 ELSE "
	    "c.count + 1 END, reset = CASE WHEN c.reset <= $2 THEN "
	    "$2::bigint + $3::bigint ELSE c.reset END "
	    "RETURNING count, reset", &p, &r) != 0)
		return -1;
	rv = pg_two_ints(r, count, reset) == 0 ? 0 : -1;
	p.n = 0;
	pg_int(&p, now);
	if (rv == 0)
		rv = pg_guarded("DELETE FROM rate_counts WHERE address IN "
		    "(SELECT address FROM rate_counts WHERE reset < $1 "
		    "LIMIT 16)", &p, NULL);
	return rv;
}

/* What is left out fails with a log line (store_backend.c). */
const struct store_backend store_pg = {
	.name = "PostgreSQL",
	.open = pg_open,
	.close = pg_close,
	.rollback = pg_rollback,
	.listen = pg_listen,
	.announce = pg_announce,
	.announce_sessions = pg_announce_sessions,
	.down = pg_down_now,
	.stale = pg_stale,
	.user_json_ahead = pg_user_json_ahead,
	.health = pg_health,
	.schema_version = pg_schema_version,
	.begin = pg_begin,
	.commit = pg_commit,
	.batch_begin = pg_batch_begin,
	.batch_commit = pg_batch_commit,
	.user_by_email = pg_user_by_email,
	.user_by_id = pg_user_by_id,
	.user_by_token = pg_user_by_token,
	.user_json = pg_user_json,
	.user_access_rows = pg_user_access_rows,
	.user_count = pg_user_count,
	.user_insert = pg_user_insert,
	.user_set_status = pg_user_set_status,
	.users_tfa_plain = pg_users_tfa_plain,
	.session_insert = pg_session_insert,
	.session_get = pg_session_get,
	.session_rotate = pg_session_rotate,
	.session_by_id = pg_session_by_id,
	.session_advance = pg_session_advance,
	.sessions_rotate = pg_sessions_rotate,
	.retired_get = pg_retired_get,
	.family_delete = pg_family_delete,
	.family_user = pg_family_user,
	.family_live = pg_family_live,
	.session_delete = pg_session_delete,
	.sessions_delete_user = pg_sessions_delete_user,
	.sessions_expire = pg_sessions_expire,
	.user_set_password = pg_user_set_password,
	.user_set_token = pg_user_set_token,
	.user_delete = pg_user_delete,
	.user_touch = pg_user_touch,
	.user_list = pg_user_list,
	.sessions_delete_others = pg_sessions_delete_others,
	.user_set_role = pg_user_set_role,
	.user_policies_clear = pg_user_policies_clear,
	.user_policy_count = pg_user_policy_count,
	.users_admins = pg_users_admins,
	.user_tfa_get = pg_user_tfa_get,
	.user_tfa_set = pg_user_tfa_set,
	.user_tfa_step = pg_user_tfa_step,
	.tfa_recovery_clear = pg_tfa_recovery_clear,
	.tfa_recovery_add = pg_tfa_recovery_add,
	.tfa_recovery_use = pg_tfa_recovery_use,
	.session_list = pg_session_list,
	.session_revoke = pg_session_revoke,
	.user_set_field = pg_user_set_field,
	.user_policy_add = pg_user_policy_add,
	.user_policy_del = pg_user_policy_del,
	.user_access_del = pg_user_access_del,
	.outbox_insert = pg_outbox_insert,
	.outbox_next = pg_outbox_next,
	.outbox_delete = pg_outbox_delete,
	.outbox_retry = pg_outbox_retry,
	.outbox_list = pg_outbox_list,
	.outbox_flush = pg_outbox_flush,
	.outbox_pending = pg_outbox_pending,
	.token_set = pg_token_set,
	.token_get = pg_token_get,
	.token_delete = pg_token_delete,
	.audit_insert = pg_audit_insert,
	.audits_insert = pg_audits_insert,
	.audit_prune = pg_audit_prune,
	.audit_list = pg_audit_list,
	.audit_select = pg_audit_select,
	.audit_count = pg_audit_count,
	.users_select = pg_users_select,
	.users_count = pg_users_count,
	.users_groups = pg_users_groups,
	.role_users = pg_role_users,
	.sessions_own = pg_sessions_own,
	.session_own = pg_session_own,
	.lockout_fail = pg_lockout_fail,
	.lockout_wait = pg_lockout_wait,
	.lockout_get = pg_lockout_get,
	.lockout_clear = pg_lockout_clear,
	.rate_hit = pg_rate_hit,
};
