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
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>
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

static sqlite3			*istore_db;
static struct istore_cached	 istore_cache[ISTORE_CACHE];
static unsigned long		 istore_clock;

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
	return istore_db != NULL;
}

/*
 * How a failure answers: a busy, full, read-only or broken database is
 * the server's trouble (503), never a client's.
 */
int
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

int
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
void
istore_release(sqlite3_stmt *st)
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
	return istore_status(sqlite3_exec(istore_db, "BEGIN IMMEDIATE;",
	    NULL, NULL, NULL));
}

int
istore_commit(void)
{
	int	 rv;

	rv = istore_status(sqlite3_exec(istore_db, "COMMIT;", NULL, NULL,
	    NULL));
	if (rv != 0)
		istore_rollback();
	return rv;
}

void
istore_rollback(void)
{
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
	return sqlite3_changes(istore_db);
}
