/*
 * The credential store: SQLite in WAL mode, prepared statements only,
 * schema versioned with PRAGMA user_version and migrated at start.
 * Everything keyd keeps about users and sessions goes through store_*,
 * so another backend can replace this file.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "keyd.h"
#include "log.h"

/*
 * Migrations, applied in order; index + 1 is the schema version they
 * produce.  Never edit a released entry: append a new one.
 */
static const char *const store_migrations[] = {
	/* 1: users, sessions, failed-login counters. */
	"CREATE TABLE users ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  password TEXT,"
	"  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN"
	"    ('active','suspended','archived','draft','invited')),"
	"  role TEXT,"
	"  first_name TEXT, last_name TEXT, location TEXT, title TEXT,"
	"  description TEXT, tags TEXT, avatar TEXT,"
	"  language TEXT, appearance TEXT, theme_light TEXT,"
	"  theme_dark TEXT, email_notifications INTEGER NOT NULL DEFAULT 1,"
	"  token_hash BLOB UNIQUE,"
	"  tfa_secret TEXT,"
	"  last_access INTEGER, last_page TEXT,"
	"  provider TEXT NOT NULL DEFAULT 'default',"
	"  external_identifier TEXT"
	");"
	"CREATE TABLE sessions ("
	"  token_hash BLOB PRIMARY KEY NOT NULL,"
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  expires INTEGER NOT NULL,"
	"  ip TEXT, user_agent TEXT, origin TEXT,"
	"  next_hash BLOB"
	");"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"CREATE TABLE login_failures ("
	"  user_id TEXT PRIMARY KEY NOT NULL"
	"    REFERENCES users(id) ON DELETE CASCADE,"
	"  count INTEGER NOT NULL DEFAULT 0"
	");",
};
#define STORE_VERSION	\
	(int)(sizeof(store_migrations) / sizeof(store_migrations[0]))

static sqlite3		*store_db;
static sqlite3_stmt	*store_stmt_ping;

static int	 store_exec(const char *);
static int	 store_migrate(void);

static int
store_exec(const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(store_db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("store: %s", err != NULL ? err :
		    sqlite3_errmsg(store_db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int
store_schema_version(void)
{
	sqlite3_stmt	*st;
	int		 v = -1;

	if (sqlite3_prepare_v2(store_db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Each migration and its version bump commit together, or not at all. */
static int
store_migrate(void)
{
	char	 bump[64];
	int	 v;

	if ((v = store_schema_version()) == -1)
		return -1;
	if (v > STORE_VERSION) {
		log_warnx("store: schema version %d is newer than this keyd "
		    "(%d)", v, STORE_VERSION);
		return -1;
	}
	for (; v < STORE_VERSION; v++) {
		(void)snprintf(bump, sizeof(bump), "PRAGMA user_version = %d;",
		    v + 1);
		if (store_exec("BEGIN IMMEDIATE;") == -1)
			return -1;
		if (store_exec(store_migrations[v]) == -1 ||
		    store_exec(bump) == -1) {
			(void)store_exec("ROLLBACK;");
			return -1;
		}
		if (store_exec("COMMIT;") == -1)
			return -1;
		log_info("store: migrated to schema version %d", v + 1);
	}
	return 0;
}

int
store_open(const char *path)
{
	mode_t	 old;
	int	 rv;

	old = umask(077);
	rv = sqlite3_open_v2(path, &store_db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	umask(old);
	if (rv != SQLITE_OK) {
		log_warnx("store: open %s: %s", path, store_db != NULL ?
		    sqlite3_errmsg(store_db) : "out of memory");
		store_close();
		return -1;
	}
	sqlite3_busy_timeout(store_db, 5000);
	if (store_exec("PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA secure_delete = ON;"
	    "PRAGMA trusted_schema = OFF;") == -1 ||
	    store_migrate() == -1 ||
	    sqlite3_prepare_v3(store_db, "SELECT count(*) FROM users", -1,
	    SQLITE_PREPARE_PERSISTENT, &store_stmt_ping, NULL) != SQLITE_OK) {
		store_close();
		return -1;
	}
	return 0;
}

void
store_close(void)
{
	sqlite3_finalize(store_stmt_ping);
	store_stmt_ping = NULL;
	sqlite3_close(store_db);
	store_db = NULL;
}

/* The database answers a real query. */
int
store_health(void)
{
	int	 rv;

	if (store_db == NULL || store_stmt_ping == NULL)
		return -1;
	rv = sqlite3_step(store_stmt_ping);
	sqlite3_reset(store_stmt_ping);
	return rv == SQLITE_ROW ? 0 : -1;
}
