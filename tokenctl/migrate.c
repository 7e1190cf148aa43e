/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * tokenctl migrate sqlite:PATH postgresql://...: an existing SQLite
 * credential database copied into PostgreSQL, where several hosts can
 * share it.  It talks to no tokend: it reads the file (read-only, in one
 * read transaction, so what it copies is one instant's) and writes the
 * PostgreSQL database in one transaction, which commits whole or not at
 * all.  The target must hold the schema (a tokend started on it once
 * makes it) and no row: a store in use is never merged into.
 *
 * Each table's columns are those both databases have; a PostgreSQL id
 * or seq the file has no column for takes the row's rowid (the order
 * of creation SQLite keeps there), and its sequence goes on after the
 * largest.  Every value is a parameter; blobs (hashes) go as bytea.
 */
#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "tokenctl.h"

#define MIGRATE_COLS_MAX	64
#define MIGRATE_NAME_MAX	64

/* In the order of their references (users first). */
static const char *const migrate_tables[] = {
	"users", "user_policies", "sessions", "retired", "tfa_recovery",
	"outbox", "mail_tokens", "audit",
};
#define MIGRATE_NTABLES	(sizeof(migrate_tables) / sizeof(migrate_tables[0]))

struct migrate_table {
	char	 pg[MIGRATE_COLS_MAX][MIGRATE_NAME_MAX];	/* target columns */
	char	 lite[MIGRATE_COLS_MAX][MIGRATE_NAME_MAX];	/* their source */
	size_t	 n;
};

static int
migrate_name_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if ((s[i] < 'a' || s[i] > 'z') && s[i] != '_' &&
		    (s[i] < '0' || s[i] > '9'))
			return 0;
	return i > 0 && i < MIGRATE_NAME_MAX;
}

static int
migrate_pg_ok(PGconn *pg, PGresult *r, const char *what)
{
	ExecStatusType	 s = PQresultStatus(r);

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return 0;
	warnx("PostgreSQL: %s: %s", what, PQresultErrorField(r,
	    PG_DIAG_MESSAGE_PRIMARY) != NULL ? PQresultErrorField(r,
	    PG_DIAG_MESSAGE_PRIMARY) : PQerrorMessage(pg));
	return -1;
}

static int
migrate_exec(PGconn *pg, const char *sql)
{
	PGresult	*r = PQexec(pg, sql);
	int		 rv = migrate_pg_ok(pg, r, sql);

	PQclear(r);
	return rv;
}

/* Does the SQLite table have the column? */
static int
migrate_lite_has(sqlite3 *db, const char *table, const char *col)
{
	sqlite3_stmt	*st;
	int		 found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) "
	    "WHERE name = ?2", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, col, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* The columns to copy: the target's that the source has (or rowid). */
static int
migrate_columns(PGconn *pg, sqlite3 *db, const char *table,
    struct migrate_table *t)
{
	const char	*v[1] = { table };
	PGresult	*r;
	const char	*c;
	int		 i, has;

	t->n = 0;
	r = PQexecParams(pg, "SELECT column_name FROM information_schema."
	    "columns WHERE table_schema = current_schema() AND table_name = "
	    "$1 ORDER BY ordinal_position", 1, NULL, v, NULL, NULL, 0);
	if (migrate_pg_ok(pg, r, "the target's columns") == -1) {
		PQclear(r);
		return -1;
	}
	for (i = 0; i < PQntuples(r) && t->n < MIGRATE_COLS_MAX; i++) {
		c = PQgetvalue(r, i, 0);
		if (!migrate_name_ok(c))
			continue;
		if ((has = migrate_lite_has(db, table, c)) == -1) {
			PQclear(r);
			return -1;
		}
		if (!has && strcmp(c, "id") != 0 && strcmp(c, "seq") != 0)
			continue;
		(void)strlcpy(t->pg[t->n], c, sizeof(t->pg[t->n]));
		(void)strlcpy(t->lite[t->n], has ? c : "rowid",
		    sizeof(t->lite[t->n]));
		t->n++;
	}
	PQclear(r);
	return 0;
}

/* "SELECT a, b FROM t" and "INSERT INTO t (a, b) VALUES ($1, $2)". */
static int
migrate_sql(const char *table, const struct migrate_table *t, char *sel,
    char *ins, size_t len)
{
	char	 n[32];
	size_t	 i;

	(void)snprintf(sel, len, "SELECT ");
	(void)snprintf(ins, len, "INSERT INTO %s (", table);
	for (i = 0; i < t->n; i++) {
		(void)strlcat(sel, i > 0 ? ", " : "", len);
		(void)strlcat(sel, t->lite[i], len);
		(void)strlcat(ins, i > 0 ? ", " : "", len);
		(void)strlcat(ins, t->pg[i], len);
	}
	(void)strlcat(sel, " FROM ", len);
	(void)strlcat(sel, table, len);
	(void)strlcat(sel, " ORDER BY rowid", len);
	(void)strlcat(ins, ") VALUES (", len);
	for (i = 0; i < t->n; i++) {
		(void)snprintf(n, sizeof(n), "%s$%zu", i > 0 ? ", " : "",
		    i + 1);
		(void)strlcat(ins, n, len);
	}
	return strlcat(ins, ")", len) >= len ? -1 : 0;
}

/* One row's values as text parameters (a blob as bytea's \x hex). */
static int
migrate_row(PGconn *pg, sqlite3_stmt *st, const char *ins, size_t ncol)
{
	const char		*v[MIGRATE_COLS_MAX];
	char			*hex[MIGRATE_COLS_MAX] = { NULL };
	const unsigned char	*b;
	PGresult		*r;
	size_t			 i, k, len;
	int			 rv = -1;

	for (i = 0; i < ncol; i++) {
		v[i] = NULL;
		switch (sqlite3_column_type(st, (int)i)) {
		case SQLITE_NULL:
			break;
		case SQLITE_BLOB:
			b = sqlite3_column_blob(st, (int)i);
			len = (size_t)sqlite3_column_bytes(st, (int)i);
			if ((hex[i] = malloc(2 * len + 3)) == NULL)
				goto done;
			memcpy(hex[i], "\\x", 2);
			for (k = 0; k < len; k++)
				(void)snprintf(hex[i] + 2 + 2 * k, 3, "%02x",
				    b[k]);
			hex[i][2 + 2 * len] = '\0';
			v[i] = hex[i];
			break;
		default:
			v[i] = (const char *)sqlite3_column_text(st, (int)i);
		}
	}
	r = PQexecParams(pg, ins, (int)ncol, NULL, v, NULL, NULL, 0);
	rv = migrate_pg_ok(pg, r, "a row");
	PQclear(r);
 done:
	for (i = 0; i < ncol; i++)
		free(hex[i]);
	return rv;
}

/* A serial column goes on after the largest value copied. */
static int
migrate_serial(PGconn *pg, const char *table, const char *col)
{
	PGresult	*r;
	char		 sql[512];
	int		 serial;

	(void)snprintf(sql, sizeof(sql), "SELECT pg_get_serial_sequence("
	    "'%s', '%s') IS NOT NULL", table, col);
	r = PQexec(pg, sql);
	if (migrate_pg_ok(pg, r, sql) == -1) {
		PQclear(r);
		return -1;
	}
	serial = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!serial)
		return 0;
	(void)snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_"
	    "sequence('%s', '%s'), coalesce(max(%s), 0) + 1, false) FROM %s",
	    table, col, col, table);
	return migrate_exec(pg, sql);
}

/* Copy one table; *rows counts them.  A table the file lacks is empty. */
static int
migrate_table(PGconn *pg, sqlite3 *db, const char *table, long long *rows)
{
	struct migrate_table	 t;
	sqlite3_stmt		*st;
	char			 sel[4096], ins[4096];
	size_t			 i;
	int			 rc;

	*rows = 0;
	if (migrate_columns(pg, db, table, &t) == -1)
		return -1;
	if (t.n == 0)
		return 0;
	if (migrate_sql(table, &t, sel, ins, sizeof(sel)) == -1)
		return -1;
	if (sqlite3_prepare_v2(db, sel, -1, &st, NULL) != SQLITE_OK) {
		/* A table the file's schema does not have: nothing to copy. */
		if (sqlite3_errmsg(db) != NULL &&
		    strstr(sqlite3_errmsg(db), "no such table") != NULL)
			return 0;
		warnx("SQLite: %s: %s", table, sqlite3_errmsg(db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (migrate_row(pg, st, ins, t.n) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
		(*rows)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		warnx("SQLite: %s: %s", table, sqlite3_errmsg(db));
		return -1;
	}
	for (i = 0; i < t.n; i++)
		if (migrate_serial(pg, table, t.pg[i]) == -1)
			return -1;
	return 0;
}

/* The target has tokend's schema. */
static int
migrate_target_schema(PGconn *pg)
{
	PGresult	*r;
	int		 rv = 0;

	r = PQexec(pg, "SELECT to_regclass('tokend_schema') IS NOT NULL");
	if (migrate_pg_ok(pg, r, "the schema") == -1)
		rv = -1;
	else if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
		warnx("the target has no tokend schema: start tokend on it "
		    "once (it makes the schema), then migrate");
		rv = -1;
	}
	PQclear(r);
	return rv;
}

/* No row in any of the tables. */
static int
migrate_target_empty(PGconn *pg)
{
	PGresult	*r;
	char		 sql[256];
	size_t		 i;
	int		 rv = 0;

	for (i = 0; rv == 0 && i < MIGRATE_NTABLES; i++) {
		(void)snprintf(sql, sizeof(sql), "SELECT EXISTS (SELECT 1 "
		    "FROM %s)", migrate_tables[i]);
		r = PQexec(pg, sql);
		if (migrate_pg_ok(pg, r, migrate_tables[i]) == -1)
			rv = -1;
		else if (strcmp(PQgetvalue(r, 0, 0), "f") != 0) {
			warnx("the target is not empty (table %s has rows): "
			    "refused", migrate_tables[i]);
			rv = -1;
		}
		PQclear(r);
	}
	return rv;
}

static int
migrate_copy(PGconn *pg, sqlite3 *db)
{
	long long	 rows[MIGRATE_NTABLES];
	size_t		 i;

	/*
	 * Exclusive locks: a keyd already on the target waits, and no
	 * other migration slips in between the check and the copy.
	 */
	if (migrate_exec(pg, "BEGIN") == -1 || migrate_target_schema(pg) == -1 ||
	    migrate_exec(pg, "LOCK TABLE users, user_policies, sessions, "
	    "retired, tfa_recovery, outbox, mail_tokens, audit IN EXCLUSIVE "
	    "MODE") == -1 || migrate_target_empty(pg) == -1)
		return -1;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		warnx("SQLite: %s", sqlite3_errmsg(db));
		return -1;
	}
	for (i = 0; i < MIGRATE_NTABLES; i++)
		if (migrate_table(pg, db, migrate_tables[i], &rows[i]) == -1)
			return -1;
	(void)sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (migrate_exec(pg, "COMMIT") == -1)
		return -1;
	for (i = 0; i < MIGRATE_NTABLES; i++)
		printf("%s %lld\n", migrate_tables[i], rows[i]);
	return 0;
}

int
ctl_migrate(int argc, char **argv)
{
	sqlite3		*db = NULL;
	PGconn		*pg = NULL;
	const char	*src, *dst;
	int		 rv = 1;

	if (argc != 3 || strncmp(argv[1], "sqlite:", 7) != 0 ||
	    (strncmp(argv[2], "postgresql:", 11) != 0 &&
	    strncmp(argv[2], "postgres:", 9) != 0))
		ctl_usage();
	src = argv[1] + 7;
	dst = argv[2];
	if (sqlite3_open_v2(src, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		warnx("%s: %s", src, db != NULL ? sqlite3_errmsg(db) :
		    "out of memory");
		goto done;
	}
	sqlite3_busy_timeout(db, 5000);
	if ((pg = PQconnectdb(dst)) == NULL ||
	    PQstatus(pg) != CONNECTION_OK) {
		warnx("PostgreSQL: %s", pg != NULL ? PQerrorMessage(pg) :
		    "out of memory");
		goto done;
	}
	PQsetErrorVerbosity(pg, PQERRORS_TERSE);
	if (migrate_exec(pg, "SET client_min_messages = warning") == 0 &&
	    migrate_copy(pg, db) == 0)
		rv = 0;
	else
		warnx("nothing was copied");
 done:
	PQfinish(pg);
	sqlite3_close(db);
	return rv;
}
