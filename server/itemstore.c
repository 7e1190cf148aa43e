/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The item store: one SQLite database in the item processes' data
 * directory, shared by every item process (WAL, a busy timeout, writes
 * in IMMEDIATE transactions); no worker can open it.  Each collection
 * is a table "items_<name>" of (id, doc): the primary key, and the
 * other fields as one JSON object.
 * Everything is opened before the sandbox: after it, an item process can
 * no longer open files, so the WAL and its directory are touched here.
 *
 * Or, when the items setting is a postgresql:// URI, the same tables
 * (doc a json column) in PostgreSQL, shared by every host: one
 * connection a process, made before the sandbox, as a role the
 * operator grants the item tables only (its own schema), never the
 * credential store's.  The SQL is the same builder's (query_sql.c) in
 * PostgreSQL's dialect: QUERY_PG_JSONB, when istore_pg().
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "log.h"
#include "query.h"
#include "tokend.h"

/*
 * How long an item process waits for another's write to end.  Its
 * worker does not wait with it: it goes on serving, and answers the
 * parent's pings, while the item request is pending.
 */
#define ISTORE_BUSY_MS		5000
#define ISTORE_CACHE		64	/* prepared statements kept */
#define ISTORE_OPEN_TRIES	50	/* 100 ms apart, a locked store at start */
#define ISTORE_CACHE_SQL_MAX	4096	/* longer texts are not kept */

struct istore_cached {
	char		*sql;
	sqlite3_stmt	*st;
	int		 busy;
	unsigned long	 used;
};

/* A statement: SQLite's, or PostgreSQL's whole result read row by row. */
struct istore_stmt {
	sqlite3_stmt		*st;
	const struct query_sql	*qs;		/* PostgreSQL: run at step */
	PGresult		*res;
	int			 row;
	int			 nrows;
};

/* PostgreSQL's type oids that the results hold (pg_type.h). */
#define ISTORE_OID_BOOL		16
#define ISTORE_OID_INT8		20
#define ISTORE_OID_INT2		21
#define ISTORE_OID_INT4		23
#define ISTORE_OID_JSON		114
#define ISTORE_OID_FLOAT4	700
#define ISTORE_OID_FLOAT8	701
#define ISTORE_OID_NUMERIC	1700
#define ISTORE_OID_JSONB	3802
#define ISTORE_PG_PARAMS	32767	/* libpq's most parameters */

static int	 istore_pg_lost(void);

static sqlite3			*istore_db;
static PGconn			*istore_conn;
static int			 istore_nchanges;
static struct istore_cached	 istore_cache[ISTORE_CACHE];
static unsigned long		 istore_clock;

/* A statement of no parameters and no rows on the PostgreSQL store. */
static int
istore_pg_exec(const char *sql)
{
	PGresult	*res;
	int		 rv = 0;

	res = PQexec(istore_conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("item store: %s", PQerrorMessage(istore_conn));
		rv = -1;
	}
	PQclear(res);
	return rv;
}

/*
 * The tables of the collections, in the role's own schema (its default
 * search_path, "$user" first), under an advisory lock: two processes
 * creating one table at once would otherwise collide in the catalog.
 */
static int
istore_pg_tables(const struct tokend_config *conf)
{
	const struct conf_collection	*c;
	char				 sql[256];

	if (istore_pg_exec("BEGIN; SELECT pg_advisory_xact_lock("
	    "hashtext('tokend items'))") == -1)
		goto fail;
	TAILQ_FOREACH(c, &conf->collections, entry) {
		/* The name is an identifier: [a-z_][a-z0-9_]*. */
		(void)snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS "
		    "\"items_%s\" (id %s PRIMARY KEY, doc json NOT NULL)",
		    c->name, c->pk_uuid ? "text" : "bigserial");
		if (istore_pg_exec(sql) == -1)
			goto fail;
	}
	if (istore_pg_exec("COMMIT") == 0)
		return 0;
 fail:
	istore_rollback();
	return -1;
}

/*
 * Connect to the PostgreSQL item store before the sandbox; a process
 * that cannot is fatal, and the parent starts another.
 */
static void
istore_pg_open(const struct tokend_config *conf)
{
	istore_conn = PQconnectdb(conf->items);
	if (istore_conn == NULL || PQstatus(istore_conn) != CONNECTION_OK)
		fatalx("item store: cannot connect to PostgreSQL: %s",
		    istore_conn != NULL ? PQerrorMessage(istore_conn) :
		    "no memory");
	if (istore_pg_exec("SET client_min_messages = warning") == -1 ||
	    istore_pg_tables(conf) == -1)
		fatalx("cannot prepare the item store on PostgreSQL");
}

static int
istore_exec(const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(istore_db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("item store: %s", err != NULL ? err :
		    sqlite3_errmsg(istore_db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Create the tables of collections that have none yet. */
int
istore_tables(const struct tokend_config *conf)
{
	const struct conf_collection	*c;
	char				 sql[256];

	if (istore_conn != NULL)
		return istore_pg_tables(conf);
	if (istore_db == NULL)
		return 0;
	TAILQ_FOREACH(c, &conf->collections, entry) {
		/* The name is an identifier: [a-z_][a-z0-9_]*. */
		(void)snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS "
		    "\"items_%s\" (id %s, doc TEXT NOT NULL);", c->name, c->pk_uuid ?
		    "TEXT PRIMARY KEY NOT NULL" :
		    "INTEGER PRIMARY KEY AUTOINCREMENT");
		if (istore_exec(sql) == -1)
			return -1;
	}
	return 0;
}

/*
 * Open the store as the items user, inside its chroot, before the
 * sandbox.  One committed write makes SQLite create and sync the WAL
 * (and its directory) now, while open(2) is still allowed.
 */
void
istore_open(const struct tokend_config *conf, int chrooted)
{
	char	 path[PATH_MAX];
	char	 stamp[64];
	int	 tries;

	if (TAILQ_EMPTY(&conf->collections))
		return;
	if (CONF_DATABASE_PG(conf->items)) {
		istore_pg_open(conf);
		return;
	}
	if (chrooted) {
		if (config_path_within(conf->items_chroot, conf->items, path,
		    sizeof(path)) == -1)
			fatalx("items %s is outside %s", conf->items,
			    conf->items_chroot);
	} else if (strlcpy(path, conf->items, sizeof(path)) >= sizeof(path))
		fatalx("items path too long");
	if (sqlite3_open_v2(path, &istore_db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		fatalx("item store %s: %s", conf->items,
		    istore_db != NULL ? sqlite3_errmsg(istore_db) : "no memory");
	sqlite3_busy_timeout(istore_db, ISTORE_BUSY_MS);
	query_now(stamp, sizeof(stamp));
	/*
	 * The item processes start together, and the first switch to WAL
	 * takes an exclusive lock that SQLite does not wait for: a
	 * process that finds the store locked tries again a little later.
	 */
	for (tries = 0; ; tries++) {
		if (istore_exec("PRAGMA journal_mode = WAL;"
		    "PRAGMA synchronous = FULL;"
		    "PRAGMA temp_store = MEMORY;"
		    "PRAGMA trusted_schema = OFF;"
		    "CREATE TABLE IF NOT EXISTS tokend_opened "
		    "(id INTEGER PRIMARY KEY, at TEXT);") == 0 &&
		    istore_tables(conf) == 0)
			break;
		if ((sqlite3_errcode(istore_db) & 0xff) != SQLITE_BUSY ||
		    tries >= ISTORE_OPEN_TRIES)
			fatalx("cannot prepare the item store %s",
			    conf->items);
		(void)nanosleep(&(struct timespec){ 0, 100 * 1000000 }, NULL);
	}
	/*
	 * A read-only store (its file or file system) still serves reads;
	 * its writes answer 503 until it is writable and the process new.
	 */
	if (istore_touch(stamp) == -1) {
		if (sqlite3_db_readonly(istore_db, "main") != 1)
			fatalx("cannot write the item store %s", conf->items);
		log_warnx("item store %s is read-only: writes answer 503",
		    conf->items);
	}
}

/* A committed write: the start stamp of this item process. */
int
istore_touch(const char *stamp)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(istore_db, "INSERT OR REPLACE INTO "
	    "tokend_opened (id, at) VALUES (1, ?);", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	(void)sqlite3_bind_text(st, 1, stamp, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
istore_ready(void)
{
	return istore_db != NULL || istore_conn != NULL;
}

/* Does the store speak PostgreSQL (QUERY_PG_JSONB for its statements)? */
int
istore_pg(void)
{
	return istore_conn != NULL;
}

/*
 * How a failure answers: a busy, full, read-only or broken database is
 * the server's trouble (503), never a client's.
 */
static int
istore_status(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_CONSTRAINT:
		return ISTORE_CONFLICT;
	default:
		log_warnx("item store: %s", sqlite3_errstr(rc));
		return ISTORE_UNAVAILABLE;
	}
}

/*
 * Prepared statements are kept by their SQL text: a request's SQL
 * depends only on the shape of its query (every value is bound), so
 * the same few texts come back and SQLite's parser runs once for each.
 */
static struct istore_cached *
istore_cache_find(const char *sql)
{
	size_t	 i;

	for (i = 0; i < ISTORE_CACHE; i++)
		if (istore_cache[i].st != NULL && !istore_cache[i].busy &&
		    strcmp(istore_cache[i].sql, sql) == 0)
			return &istore_cache[i];
	return NULL;
}

/* A free slot, or the least recently used idle one (finalized). */
static struct istore_cached *
istore_cache_slot(void)
{
	struct istore_cached	*c = NULL;
	size_t			 i;

	for (i = 0; i < ISTORE_CACHE; i++) {
		if (istore_cache[i].st == NULL)
			return &istore_cache[i];
		if (!istore_cache[i].busy && (c == NULL ||
		    istore_cache[i].used < c->used))
			c = &istore_cache[i];
	}
	if (c != NULL) {
		sqlite3_finalize(c->st);
		free(c->sql);
		memset(c, 0, sizeof(*c));
	}
	return c;
}

static int
istore_prepare(const char *sql, sqlite3_stmt **st)
{
	struct istore_cached	*c;
	int			 rc;

	if ((c = istore_cache_find(sql)) != NULL) {
		c->busy = 1;
		c->used = ++istore_clock;
		*st = c->st;
		return 0;
	}
	rc = sqlite3_prepare_v3(istore_db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    st, NULL);
	if (rc != SQLITE_OK) {
		log_warnx("item store: prepare: %s", sqlite3_errmsg(istore_db));
		*st = NULL;
		return ISTORE_UNAVAILABLE;
	}
	if (strlen(sql) <= ISTORE_CACHE_SQL_MAX &&
	    (c = istore_cache_slot()) != NULL &&
	    (c->sql = strdup(sql)) != NULL) {
		c->st = *st;
		c->busy = 1;
		c->used = ++istore_clock;
	}
	return 0;
}

/* Done with a statement from istore_prepare: back to the cache. */
static void
istore_sqlite_release(sqlite3_stmt *st)
{
	size_t	 i;

	if (st == NULL)
		return;
	(void)sqlite3_reset(st);
	for (i = 0; i < ISTORE_CACHE; i++) {
		if (istore_cache[i].st == st) {
			(void)sqlite3_clear_bindings(st);
			istore_cache[i].busy = 0;
			return;
		}
	}
	sqlite3_finalize(st);
}

int
istore_begin(void)
{
	if (istore_conn != NULL)
		return istore_pg_exec("BEGIN") == 0 ? 0 : istore_pg_lost();
	return istore_status(sqlite3_exec(istore_db, "BEGIN IMMEDIATE;",
	    NULL, NULL, NULL));
}

int
istore_commit(void)
{
	int	 rv;

	if (istore_conn != NULL) {
		if (istore_pg_exec("COMMIT") == 0)
			return 0;
		istore_rollback();
		return istore_pg_lost();
	}
	rv = istore_status(sqlite3_exec(istore_db, "COMMIT;", NULL, NULL,
	    NULL));
	if (rv != 0)
		istore_rollback();
	return rv;
}

void
istore_rollback(void)
{
	if (istore_conn != NULL) {
		if (PQtransactionStatus(istore_conn) != PQTRANS_IDLE)
			(void)istore_pg_exec("ROLLBACK");
		return;
	}
	if (!sqlite3_get_autocommit(istore_db))
		(void)sqlite3_exec(istore_db, "ROLLBACK;", NULL, NULL, NULL);
}

long long
istore_last_id(void)
{
	return sqlite3_last_insert_rowid(istore_db);
}

int
istore_changes(void)
{
	if (istore_conn != NULL)
		return istore_nchanges;
	return sqlite3_changes(istore_db);
}

/*
 * A statement built by query_sql (its binds in order), to read with
 * istore_step: 0, or ISTORE_UNAVAILABLE.  PostgreSQL runs it at the
 * first step, with qs still alive.
 */
int
istore_run(const struct query_sql *qs, struct istore_stmt **out)
{
	struct istore_stmt	*s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ISTORE_UNAVAILABLE;
	if (istore_conn != NULL) {
		if (qs->dialect != QUERY_PG_JSONB ||
		    qs->nbinds > ISTORE_PG_PARAMS) {
			free(s);
			return ISTORE_UNAVAILABLE;
		}
		s->qs = qs;
		*out = s;
		return 0;
	}
	if (istore_prepare(qs->text, &s->st) != 0) {
		free(s);
		return ISTORE_UNAVAILABLE;
	}
	if (query_sql_apply(s->st, qs, 1) == -1) {
		istore_release(s);
		return ISTORE_UNAVAILABLE;
	}
	*out = s;
	return 0;
}

/*
 * One bound value as PostgreSQL's text (query_sql_value_text(), a
 * compared one as its JSON text); NULL for SQL NULL or failure.
 */
static char *
istore_pg_param(json_t *v, int kind, int *fail)
{
	const char	*out;
	char		 buf[64], *t = NULL;

	if (kind == QUERY_BIND_JSON)
		t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	else if (json_is_object(v) || json_is_array(v))
		t = NULL;	/* no bare text */
	else if (query_sql_value_text(v, buf, sizeof(buf), &out) == 0) {
		if (out == NULL)
			return NULL;
		t = strdup(out);
	}
	if (t == NULL)
		*fail = 1;
	return t;
}

/*
 * The connection is gone (the server restarted, the network): this
 * process exits and the parent starts another, which connects before
 * its sandbox.  Else the statement's failure is the answer's.
 */
static int
istore_pg_lost(void)
{
	if (PQstatus(istore_conn) == CONNECTION_BAD) {
		log_warnx("item store: lost the PostgreSQL connection, "
		    "exiting");
		_exit(1);
	}
	return ISTORE_UNAVAILABLE;
}

/* Run a PostgreSQL statement: its rows are read at the next steps. */
static int
istore_pg_run(struct istore_stmt *s)
{
	const struct query_sql	 *qs = s->qs;
	const char		**values;
	const char		 *state;
	char			 *changed;
	size_t			  i;
	int			  fail = 0, st;

	if ((values = calloc(qs->nbinds + 1, sizeof(*values))) == NULL)
		return ISTORE_UNAVAILABLE;
	for (i = 0; i < qs->nbinds; i++)
		values[i] = istore_pg_param(qs->binds[i], qs->kinds[i],
		    &fail);
	if (!fail)
		s->res = PQexecParams(istore_conn, qs->text, (int)qs->nbinds,
		    NULL, values, NULL, NULL, 0);
	for (i = 0; i < qs->nbinds; i++)
		free((char *)values[i]);
	free(values);
	if (fail)
		return ISTORE_UNAVAILABLE;
	st = PQresultStatus(s->res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		s->nrows = PQntuples(s->res);
		changed = PQcmdTuples(s->res);
		istore_nchanges = changed[0] != '\0' ? atoi(changed) : 0;
		return 0;
	}
	state = PQresultErrorField(s->res, PG_DIAG_SQLSTATE);
	/* Class 23: an integrity constraint (a duplicate key). */
	if (state != NULL && strncmp(state, "23", 2) == 0)
		return ISTORE_CONFLICT;
	log_warnx("item store: %s", PQerrorMessage(istore_conn));
	return istore_pg_lost();
}

/* The next row: ISTORE_ROW, 0 at the end, or a failure's outcome. */
int
istore_step(struct istore_stmt *s)
{
	int	 rc;

	if (s->st != NULL) {
		rc = sqlite3_step(s->st);
		if (rc == SQLITE_ROW)
			return ISTORE_ROW;
		return istore_status(rc);
	}
	if (s->res == NULL) {
		if ((rc = istore_pg_run(s)) != 0)
			return rc;
	} else
		s->row++;
	return s->row < s->nrows ? ISTORE_ROW : 0;
}

/* A whole real within 2^53 as an integer (JavaScript prints 4). */
static json_t *
istore_number(double d)
{
	if (!isfinite(d))
		return json_null();
	if (d <= 9007199254740991.0 && d >= -9007199254740991.0 &&
	    d == (double)(long long)d)
		return json_integer((json_int_t)d);
	return json_real(d);
}

/*
 * A column of the current row as the answer shows it: SQLite's as
 * query_sqlite_value() reads it; PostgreSQL's the same by its type, a
 * jsonb field's object or array as null and a boolean as 1 or 0, as
 * SQLite's json_extract() gives them.
 */
json_t *
istore_value(void *arg, int col)
{
	struct istore_stmt	*s = arg;
	const char		*t;
	json_t			*v;
	double			 d;

	if (s->st != NULL)
		return query_sqlite_value(s->st, col);
	if (PQgetisnull(s->res, s->row, col))
		return json_null();
	t = PQgetvalue(s->res, s->row, col);
	switch (PQftype(s->res, col)) {
	case ISTORE_OID_INT2:
	case ISTORE_OID_INT4:
	case ISTORE_OID_INT8:
		return json_integer(strtoll(t, NULL, 10));
	case ISTORE_OID_FLOAT4:
	case ISTORE_OID_FLOAT8:
	case ISTORE_OID_NUMERIC:
		return istore_number(strtod(t, NULL));
	case ISTORE_OID_BOOL:
		return json_integer(t[0] == 't');
	case ISTORE_OID_JSON:
	case ISTORE_OID_JSONB:
		/* A number past int64 (jsonb writes 1e308 whole) as a real. */
		if ((v = json_loads(t, JSON_DECODE_ANY, NULL)) == NULL &&
		    (v = json_loads(t, JSON_DECODE_ANY |
		    JSON_DECODE_INT_AS_REAL, NULL)) == NULL)
			return json_null();
		if (json_is_object(v) || json_is_array(v)) {
			json_decref(v);
			return json_null();
		}
		if (json_is_boolean(v)) {
			json_decref(v);
			return json_integer(t[0] == 't');
		}
		if (json_is_real(v)) {
			d = json_real_value(v);
			json_decref(v);
			return istore_number(d);
		}
		return v;
	default:
		return json_string(t);
	}
}

/* A text column (a document) of the current row, or NULL. */
const char *
istore_text(struct istore_stmt *s, int col)
{
	if (s->st != NULL)
		return (const char *)sqlite3_column_text(s->st, col);
	if (PQgetisnull(s->res, s->row, col))
		return NULL;
	return PQgetvalue(s->res, s->row, col);
}

void
istore_release(struct istore_stmt *s)
{
	if (s == NULL)
		return;
	if (s->st != NULL)
		istore_sqlite_release(s->st);
	PQclear(s->res);
	free(s);
}
