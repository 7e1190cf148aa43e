/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The credential store: SQLite in WAL mode, prepared statements only,
 * schema versioned with PRAGMA user_version and migrated at start.
 * Everything keyd keeps about users and sessions goes through store_*
 * (keyd.h's STORE_OPS); this file is the backend store_sqlite, the
 * default, and store_pg.c the other one.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "keyd.h"
#include "log.h"
#include "privsep.h"
#include "query.h"

/*
 * Migrations, applied in order; index + 1 is the schema version they
 * produce.  Never edit a released entry: append a new one.
 */
static const char *const store_migrations[] = {
	/*
	 * 1: users, sessions, failed-login counters (no longer used: the
	 * counts live in keyd's memory, lockout.c).
	 */
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
	/*
	 * 2: session families and retired refresh tokens, so that a
	 * rotated token presented again ends its whole session.
	 */
	"ALTER TABLE sessions ADD COLUMN family BLOB;"
	"UPDATE sessions SET family = token_hash;"
	"CREATE INDEX sessions_family ON sessions(family);"
	"CREATE TABLE retired ("
	"  token_hash BLOB PRIMARY KEY NOT NULL,"
	"  family BLOB NOT NULL,"
	"  rotated INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL"
	");"
	"CREATE INDEX retired_family ON retired(family);",
	/*
	 * 3: every login sweeps the expired sessions and retired tokens;
	 * without these a sweep reads both tables whole, and the retired
	 * table grows by one row per refresh for the refresh lifetime.
	 */
	"CREATE INDEX sessions_expires ON sessions(expires);"
	"CREATE INDEX retired_expires ON retired(expires);",
	/*
	 * 4: the TOTP time step a user's last accepted code was for, so
	 * that a code is taken once (tfa.c).
	 */
	"ALTER TABLE users ADD COLUMN tfa_last_step INTEGER;",
	/*
	 * 5: TFA recovery codes, each only as the SHA-256 of the user's
	 * id and the code (tfa.c), gone once used.
	 */
	"CREATE TABLE tfa_recovery ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  hash BLOB NOT NULL,"
	"  PRIMARY KEY (user_id, hash)"
	");",
	/*
	 * 6: the outbox (mail.c): each mail keyd must send, finished,
	 * until the relay took it (250) or refused it (5xx) or it expired;
	 * user_id only names the user in logs.  And the one password
	 * reset token of each user that may still be used (its jti).
	 */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  kind TEXT NOT NULL,"
	"  user_id TEXT NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  data BLOB NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_try INTEGER NOT NULL,"
	"  last_error TEXT"
	");"
	"CREATE INDEX outbox_next ON outbox(next_try);"
	"CREATE TABLE password_resets ("
	"  user_id TEXT PRIMARY KEY NOT NULL,"
	"  jti TEXT NOT NULL,"
	"  expires INTEGER NOT NULL"
	");",
	/*
	 * 7: the status "unverified" (a registration waiting for its
	 * mail's link), which the CHECK of users refused: the table is
	 * rebuilt (store_migrate() turns the foreign keys off around it, so
	 * the drop cascades to nothing).  And the live mail tokens of every
	 * kind (password reset, invite, registration), one per user and
	 * scope, in place of password_resets.
	 */
	"CREATE TABLE users_new ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  password TEXT,"
	"  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN"
	"    ('active','suspended','archived','draft','invited',"
	"     'unverified')),"
	"  role TEXT,"
	"  first_name TEXT, last_name TEXT, location TEXT, title TEXT,"
	"  description TEXT, tags TEXT, avatar TEXT,"
	"  language TEXT, appearance TEXT, theme_light TEXT,"
	"  theme_dark TEXT, email_notifications INTEGER NOT NULL DEFAULT 1,"
	"  token_hash BLOB UNIQUE,"
	"  tfa_secret TEXT,"
	"  last_access INTEGER, last_page TEXT,"
	"  provider TEXT NOT NULL DEFAULT 'default',"
	"  external_identifier TEXT,"
	"  tfa_last_step INTEGER"
	");"
	"INSERT INTO users_new SELECT id, email, password, status, role,"
	"  first_name, last_name, location, title, description, tags, avatar,"
	"  language, appearance, theme_light, theme_dark,"
	"  email_notifications, token_hash, tfa_secret, last_access,"
	"  last_page, provider, external_identifier, tfa_last_step"
	"  FROM users;"
	"DROP TABLE users;"
	"ALTER TABLE users_new RENAME TO users;"
	"CREATE TABLE mail_tokens ("
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  scope TEXT NOT NULL,"
	"  jti TEXT NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  PRIMARY KEY (user_id, scope)"
	");"
	"INSERT INTO mail_tokens SELECT user_id, 'password-reset', jti,"
	"  expires FROM password_resets"
	"  WHERE user_id IN (SELECT id FROM users);"
	"DROP TABLE password_resets;",
	/*
	 * 8: the audit trail (audit.c): one row per authentication event,
	 * in Directus's activity shape, and the reason of a failure, which
	 * only the operator reads.  Rows are never changed; keyd deletes
	 * them only once they are older than audit-retention.
	 */
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  action TEXT NOT NULL,"
	"  user_id TEXT,"
	"  timestamp INTEGER NOT NULL,"
	"  ip TEXT, user_agent TEXT, origin TEXT,"
	"  collection TEXT, item TEXT,"
	"  reason TEXT"
	");"
	"CREATE INDEX audit_timestamp ON audit(timestamp);"
	"CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit BEGIN"
	"  SELECT RAISE(ABORT, 'the audit trail is append-only');"
	"END;",
	/*
	 * 9: the policies a user holds directly (Directus 11's
	 * directus_access rows with a user), in order; the policy is a
	 * configured policy's id.
	 */
	"CREATE TABLE user_policies ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  policy TEXT NOT NULL,"
	"  sort INTEGER NOT NULL,"
	"  UNIQUE (user_id, policy)"
	");",
	/*
	 * 10: when a session was used last (its login or its last
	 * refresh), for GET /users/me/sessions.
	 */
	"ALTER TABLE sessions ADD COLUMN last_used INTEGER;",
	/*
	 * 11: no index on the sessions' expiry.  A rotation moves its
	 * session's expiry, so the index cost every refresh a random leaf
	 * of its own (beside the token's two and the row's own): a third
	 * more pages in the WAL on a large store.  Expired sessions are
	 * swept a slice of rowids at a time instead
	 * (sqlite_sessions_expire()).
	 */
	"DROP INDEX sessions_expires;",
	/*
	 * 12: a refresh token names its session (auth.c): a session is
	 * found by its id and a rotation moves its generation on, in its
	 * row alone.  The token's hash is kept only for a session begun
	 * before (NULL once it rotates: no entry in the index), so the
	 * table is made anew with an id of its own and that column
	 * nullable, the old rowids kept.
	 */
	"CREATE TABLE sessions_12 ("
	"  id INTEGER PRIMARY KEY,"
	"  token_hash BLOB UNIQUE,"
	"  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  expires INTEGER NOT NULL,"
	"  ip TEXT, user_agent TEXT, origin TEXT,"
	"  family BLOB,"
	"  last_used INTEGER,"
	"  gen INTEGER,"
	"  salt BLOB,"
	"  rotated INTEGER"
	");"
	"INSERT INTO sessions_12 (id, token_hash, user_id, expires, ip, "
	"  user_agent, origin, family, last_used) "
	"  SELECT rowid, token_hash, user_id, expires, ip, user_agent, "
	"  origin, family, last_used FROM sessions;"
	"DROP TABLE sessions;"
	"ALTER TABLE sessions_12 RENAME TO sessions;"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"CREATE INDEX sessions_family ON sessions(family);",
};
#define STORE_VERSION	\
	(int)(sizeof(store_migrations) / sizeof(store_migrations[0]))

/* Every statement keyd runs, prepared once at open. */
#define STORE_SESSION_COLUMNS	"id, user_id, expires, family, token_hash, " \
	"coalesce(gen, 0), salt, coalesce(rotated, 0)"
#define STORE_STR_(x)	#x
#define STORE_STR(x)	STORE_STR_(x)

enum store_stmt {
	ST_PING,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_USER_BY_EMAIL,
	ST_USER_BY_ID,
	ST_USER_BY_TOKEN,
	ST_USER_JSON,
	ST_USER_COUNT,
	ST_USER_INSERT,
	ST_USER_STATUS,
	ST_USER_TFA_GET,
	ST_USER_TFA_SET,
	ST_USER_TFA_STEP,
	ST_USERS_TFA_PLAIN,
	ST_RECOVERY_CLEAR,
	ST_RECOVERY_ADD,
	ST_RECOVERY_USE,
	ST_SESSION_INSERT,
	ST_SESSION_GET,
	ST_SESSION_ROTATE,
	ST_SESSION_BY_ID,
	ST_SESSION_ADVANCE,
	ST_SESSION_DELETE,
	ST_SESSIONS_USER,
	ST_SESSIONS_EXPIRE,
	ST_SESSIONS_LAST,
	ST_USER_PASSWORD,
	ST_USER_TOKEN,
	ST_USER_DELETE,
	ST_USER_LIST,
	ST_SESSION_LIST,
	ST_SESSION_REVOKE,
	ST_USER_ACCESS,
	ST_RETIRE,
	ST_RETIRED_GET,
	ST_SESSIONS_FAMILY,
	ST_RETIRED_FAMILY,
	ST_RETIRED_EXPIRE,
	ST_SESSIONS_OTHERS,
	ST_FAMILY_LIVE,
	ST_USER_ROLE,
	ST_USERS_ADMINS,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_OUTBOX_INSERT,
	ST_OUTBOX_NEXT,
	ST_OUTBOX_DELETE,
	ST_OUTBOX_RETRY,
	ST_OUTBOX_LIST,
	ST_OUTBOX_FLUSH,
	ST_OUTBOX_PENDING,
	ST_TOKEN_SET,
	ST_TOKEN_GET,
	ST_TOKEN_DELETE,
	ST_AUDIT_INSERT,
	ST_AUDIT_PRUNE,
	ST_AUDIT_LIST,
	ST_FAMILY_USER,
	ST_USER_POLICY_ADD,
	ST_USER_POLICY_DEL,
	ST_USER_POLICIES_CLEAR,
	ST_USER_ACCESS_DEL,
	ST_USER_POLICY_COUNT,
	ST_USER_ACCESS_ROWS,
	ST_ROLE_USERS,
	ST_SESSIONS_OWN,
	ST_SESSION_OWN,
	ST_MAX
};

/* An audit row's time as Directus writes a timestamp. */
#define STORE_AUDIT_TIME \
	"strftime('%Y-%m-%dT%H:%M:%fZ', timestamp / 1000.0, 'unixepoch')"

#define USER_COLUMNS \
	"id, email, coalesce(password, ''), status, coalesce(role, ''), " \
	"tfa_secret IS NOT NULL, coalesce((SELECT group_concat(policy, ' ') " \
	"FROM (SELECT policy FROM user_policies WHERE user_id = users.id " \
	"ORDER BY sort)), '')"

static const char *const store_sql[ST_MAX] = {
	/*
	 * A real read of the users table, of one row: count(*) of the
	 * whole table took 2.8 ms with 1,000,000 users (bench/scale),
	 * on every GET /server/health.
	 */
	[ST_PING] = "SELECT count(*) FROM (SELECT 1 FROM users LIMIT 1)",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_USER_BY_EMAIL] = "SELECT " USER_COLUMNS " FROM users "
	    "WHERE email = ?1 COLLATE NOCASE",
	[ST_USER_BY_ID] = "SELECT " USER_COLUMNS " FROM users WHERE id = ?1",
	[ST_USER_BY_TOKEN] = "SELECT " USER_COLUMNS " FROM users "
	    "WHERE token_hash = ?1",
	/* Built from user_fields: store_user_prepare(). */
	[ST_USER_JSON] = NULL,
	[ST_USER_COUNT] = "SELECT count(*) FROM users",
	[ST_USER_INSERT] = "INSERT INTO users (id, email, password, role) "
	    "VALUES (?1, ?2, ?3, nullif(?4, ''))",
	[ST_USER_STATUS] = "UPDATE users SET status = ?2 WHERE id = ?1",
	[ST_USER_TFA_GET] = "SELECT tfa_secret, coalesce(tfa_last_step, -1) "
	    "FROM users WHERE id = ?1 AND tfa_secret IS NOT NULL",
	[ST_USER_TFA_SET] = "UPDATE users SET tfa_secret = ?2, "
	    "tfa_last_step = NULL WHERE id = ?1",
	/* Only forward: a step not after the last one changes nothing. */
	[ST_USER_TFA_STEP] = "UPDATE users SET tfa_last_step = ?2 "
	    "WHERE id = ?1 AND coalesce(tfa_last_step, -1) < ?2",
	[ST_RECOVERY_CLEAR] = "DELETE FROM tfa_recovery WHERE user_id = ?1",
	[ST_RECOVERY_ADD] = "INSERT INTO tfa_recovery (user_id, hash) "
	    "VALUES (?1, ?2)",
	[ST_RECOVERY_USE] = "DELETE FROM tfa_recovery WHERE user_id = ?1 "
	    "AND hash = ?2",
	[ST_USERS_TFA_PLAIN] = "SELECT id, tfa_secret FROM users "
	    "WHERE tfa_secret IS NOT NULL AND tfa_secret NOT LIKE ?1 || '%'",
	[ST_SESSION_INSERT] = "INSERT INTO sessions (salt, user_id, "
	    "expires, ip, user_agent, origin, gen, last_used) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, "
	    "CAST(strftime('%s', 'now') AS INTEGER) * 1000)",
	/* STORE_SESSION_COLUMNS: what sqlite_session_row() reads. */
	[ST_SESSION_GET] = "SELECT " STORE_SESSION_COLUMNS " FROM sessions "
	    "WHERE token_hash = ?1 AND expires >= ?2",
	[ST_SESSION_BY_ID] = "SELECT " STORE_SESSION_COLUMNS " FROM sessions "
	    "WHERE id = ?1 AND expires >= ?2",
	/* A session of the format before takes one of the new (auth.c). */
	[ST_SESSION_ROTATE] = "UPDATE sessions SET token_hash = NULL, "
	    "gen = 0, salt = ?2, rotated = ?4, expires = ?3, last_used = ?4 "
	    "WHERE token_hash = ?1 AND expires >= ?4",
	[ST_SESSION_ADVANCE] = "UPDATE sessions SET gen = gen + 1, "
	    "rotated = ?4, expires = ?3, last_used = ?4 WHERE id = ?1 "
	    "AND gen = ?2 AND salt = ?5 AND expires >= ?4",
	[ST_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?1",
	[ST_SESSIONS_USER] = "DELETE FROM sessions WHERE user_id = ?1",
	[ST_SESSIONS_EXPIRE] = "DELETE FROM sessions WHERE rowid >= ?1 "
	    "AND rowid < ?2 AND expires < ?3",
	[ST_SESSIONS_LAST] = "SELECT coalesce(max(rowid), 0) FROM sessions",
	[ST_USER_PASSWORD] = "UPDATE users SET password = ?2 WHERE id = ?1",
	[ST_USER_TOKEN] = "UPDATE users SET token_hash = ?2 WHERE id = ?1",
	[ST_USER_DELETE] = "DELETE FROM users WHERE id = ?1",
	[ST_USER_LIST] = "SELECT id, email, status, coalesce(role, '-'), "
	    "CASE WHEN token_hash IS NULL THEN 'no' ELSE 'yes' END, "
	    "(SELECT count(*) FROM sessions WHERE user_id = users.id) "
	    "FROM users ORDER BY email",
	[ST_SESSION_LIST] = "SELECT s.rowid, u.email, "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', s.expires / 1000, 'unixepoch'), "
	    "coalesce(s.ip, '-'), coalesce(s.user_agent, '-') "
	    "FROM sessions s JOIN users u ON u.id = s.user_id "
	    "WHERE (?1 = '' OR u.email = ?1 COLLATE NOCASE) AND s.expires >= ?2 "
	    "ORDER BY s.rowid",
	[ST_SESSION_REVOKE] = "DELETE FROM sessions WHERE rowid = ?1",
	[ST_USER_ACCESS] = "UPDATE users SET last_access = ?2 WHERE id = ?1",
	[ST_RETIRE] = "INSERT OR REPLACE INTO retired (token_hash, family, "
	    "rotated, expires) VALUES (?1, ?2, ?3, ?4)",
	[ST_RETIRED_GET] = "SELECT family, rotated FROM retired "
	    "WHERE token_hash = ?1 AND expires >= ?2",
	[ST_SESSIONS_FAMILY] = "DELETE FROM sessions WHERE family = ?1",
	[ST_RETIRED_FAMILY] = "DELETE FROM retired WHERE family = ?1",
	[ST_RETIRED_EXPIRE] = "DELETE FROM retired WHERE expires < ?1",
	[ST_SESSIONS_OTHERS] = "DELETE FROM sessions WHERE user_id = ?1 "
	    "AND (?2 IS NULL OR token_hash IS NOT ?2) AND id IS NOT ?3",
	[ST_FAMILY_LIVE] = "SELECT 1 FROM sessions WHERE family = ?1 "
	    "AND expires >= ?2 AND user_id = ?3",
	[ST_USER_ROLE] = "UPDATE users SET role = ?2 WHERE id = ?1",
	[ST_USER_POLICY_ADD] = "INSERT INTO user_policies (id, user_id, "
	    "policy, sort) SELECT ?3, ?1, ?2, coalesce(max(sort), 0) + 1 "
	    "FROM user_policies WHERE user_id = ?1",
	[ST_USER_POLICY_DEL] = "DELETE FROM user_policies "
	    "WHERE user_id = ?1 AND policy = ?2",
	[ST_USER_POLICIES_CLEAR] = "DELETE FROM user_policies "
	    "WHERE user_id = ?1",
	/* A user's own live sessions, for GET /users/me/sessions. */
	[ST_SESSIONS_OWN] = "SELECT rowid, hex(token_hash), "
	    "coalesce(ip, ''), coalesce(user_agent, ''), "
	    "coalesce(origin, ''), "
	    "strftime('%Y-%m-%dT%H:%M:%fZ', expires / 1000.0, 'unixepoch'), "
	    "coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', last_used / 1000.0, "
	    "'unixepoch'), '') "
	    "FROM sessions WHERE user_id = ?1 AND expires >= ?2 "
	    "ORDER BY rowid",
	[ST_SESSION_OWN] = "SELECT " STORE_SESSION_COLUMNS " FROM sessions "
	    "WHERE id = ?3 AND user_id = ?1 AND expires >= ?2",
	[ST_USER_ACCESS_DEL] = "DELETE FROM user_policies "
	    "WHERE user_id = ?1 AND id = ?2",
	/* Directus 11's directus_access rows of a user, as "policies.*". */
	[ST_USER_ACCESS_ROWS] = "SELECT json_group_array(json_object('id', "
	    "id, 'role', NULL, 'user', user_id, 'policy', policy, 'sort', "
	    "sort)) FROM (SELECT * FROM user_policies WHERE user_id = ?1 "
	    "ORDER BY sort)",
	/* The ids of a role's users, as its "users" (one more than kept). */
	[ST_ROLE_USERS] = "SELECT json_group_array(id) FROM (SELECT id "
	    "FROM users WHERE role = ?1 ORDER BY id LIMIT "
	    STORE_STR(STORE_ROLE_USERS_MAX) " + 1)",
	[ST_USER_POLICY_COUNT] = "SELECT count(*) FROM user_policies "
	    "WHERE user_id = ?1",
	/* Who may be an administrator: role and own policies. */
	[ST_USERS_ADMINS] = "SELECT id, COALESCE(role, ''), "
	    "COALESCE((SELECT group_concat(policy, ' ') FROM user_policies "
	    "WHERE user_id = users.id), '') FROM users "
	    "WHERE status = 'active'",
	[ST_SAVEPOINT] = "SAVEPOINT request",
	[ST_RELEASE] = "RELEASE request",
	[ST_ROLLBACK_TO] = "ROLLBACK TO request",
	[ST_OUTBOX_INSERT] = "INSERT INTO outbox (kind, user_id, rcpt, data, "
	    "created, expires, next_try) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5)",
	[ST_OUTBOX_NEXT] = "SELECT id, kind, user_id, rcpt, data, expires, "
	    "attempts, next_try FROM outbox WHERE ?1 IS NULL OR id = ?1 "
	    "ORDER BY next_try, id LIMIT 1",
	[ST_OUTBOX_DELETE] = "DELETE FROM outbox WHERE id = ?1",
	[ST_OUTBOX_RETRY] = "UPDATE outbox SET attempts = attempts + 1, "
	    "next_try = ?2, last_error = ?3 WHERE id = ?1",
	[ST_OUTBOX_LIST] = "SELECT id, kind, user_id, rcpt, "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', expires / 1000, 'unixepoch'), "
	    "attempts, coalesce(last_error, '-') FROM outbox ORDER BY id",
	[ST_OUTBOX_FLUSH] = "UPDATE outbox SET next_try = 0",
	[ST_OUTBOX_PENDING] = "SELECT count(*) FROM outbox "
	    "WHERE user_id = ?1 AND kind = ?2",
	[ST_TOKEN_SET] = "INSERT OR REPLACE INTO mail_tokens (user_id, "
	    "scope, jti, expires) VALUES (?1, ?2, ?3, ?4)",
	[ST_TOKEN_GET] = "SELECT jti FROM mail_tokens WHERE user_id = ?1 "
	    "AND scope = ?2 AND expires > ?3",
	[ST_TOKEN_DELETE] = "DELETE FROM mail_tokens WHERE user_id = ?1 "
	    "AND (?2 IS NULL OR scope = ?2)",
	[ST_AUDIT_INSERT] = "INSERT INTO audit (action, user_id, timestamp, "
	    "ip, user_agent, origin, collection, item, reason) VALUES (?1, "
	    "nullif(?2, ''), ?3, nullif(?4, ''), nullif(?5, ''), "
	    "nullif(?6, ''), nullif(?7, ''), nullif(?8, ''), nullif(?9, ''))",
	[ST_FAMILY_USER] = "SELECT user_id FROM sessions WHERE family = ?1 "
	    "LIMIT 1",
	[ST_AUDIT_PRUNE] = "DELETE FROM audit WHERE timestamp < ?1",
	[ST_AUDIT_LIST] = "SELECT id, " STORE_AUDIT_TIME ", action, "
	    "coalesce(user_id, '-'), coalesce(item, '-'), coalesce(ip, '-'), "
	    "coalesce(reason, '-'), coalesce(origin, '-'), "
	    "coalesce(user_agent, '-') FROM audit WHERE id > ?1 ORDER BY id "
	    "LIMIT ?2",
};

/*
 * The fields of GET /activity, in the order of Directus's answer, for
 * both stores: each one's column of the audit table, which its JSON and
 * its filters and sorts read alike; the timestamp as Directus writes an
 * instant, in the store's dialect (store_audit_expr()).  revisions
 * (Directus's alias of the revisions an action made) is always empty
 * here, and never filtered or sorted on.
 */
static const struct {
	const char	*name;
	const char	*column;	/* NULL: revisions */
	int		 time;
} store_audit_fields[] = {
	{ "id",		"id",		0 },
	{ "action",	"action",	0 },
	{ "user",	"user_id",	0 },
	{ "timestamp",	"timestamp",	1 },
	{ "ip",		"ip",		0 },
	{ "user_agent",	"user_agent",	0 },
	{ "collection",	"collection",	0 },
	{ "item",	"item",		0 },
	{ "origin",	"origin",	0 },
	{ "revisions",	NULL,		0 },
};
#define STORE_AUDIT_NFIELDS	\
	(sizeof(store_audit_fields) / sizeof(store_audit_fields[0]))

/*
 * What the store makes of user_fields at open (store_user_prepare()):
 * the user's JSON as one SQL expression, with the concealed fields'
 * values replaced (a hash never leaves here); each field's expression
 * in /users filters and sorts, NULL for those never filtered or sorted
 * on; one update for each field whose value is written as it is given.
 */
static struct query_sql	 store_user_jsonsql;
static char		**store_user_exprs;
static sqlite3_stmt	**store_user_updates;

static sqlite3		*store_db;
static sqlite3_stmt	*store_stmts[ST_MAX];
/*
 * A group commit (sqlite_batch_begin() to sqlite_batch_commit()) is one
 * transaction across several requests; sqlite_begin() inside it opens a
 * savepoint, so that each request's writes still stand or fall whole.
 */
static int		 store_batching;
static int		 store_nested;
/* The first rowid of the next slice of sessions a login sweeps. */
#define STORE_SWEEP_ROWS	32
static int64_t		 store_sweep_next;

/*
 * The WAL's checkpoints, off keyd's loop.  SQLite's own
 * (wal_autocheckpoint) runs inside the commit that leaves 1,000 frames
 * in the WAL: the loop waits while it copies them into the database
 * and syncs it.  On a large store the pages a group commit changes are
 * scattered over the whole file (a rotation moves a random token hash
 * in two indexes and changes a random session row: four pages of their
 * own each, where 1,000 sessions share a few dozen), so the WAL fills
 * several times as fast and each checkpoint writes as many random
 * pages: on 1,000,000 sessions a third to a half of the rotations'
 * time (bench/README.md, "How cost grows with size").  So a
 * thread with a connection of its own checkpoints once a commit leaves
 * STORE_WAL_CHECKPOINT frames, PASSIVE: it never waits for keyd nor
 * stops keyd's writes.  Only a checkpoint that reaches the end of the
 * WAL lets the next write start it over, and under a steady stream of
 * commits the thread is always a little behind: the loop checkpoints
 * what is left itself once the WAL holds STORE_WAL_MAX frames.
 */
#define STORE_WAL_CHECKPOINT	1000
#define STORE_WAL_MAX		10000
static struct {
	sqlite3		*db;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 started;
	int		 wanted;
	int		 stopping;
	int		 error;		/* the thread's last failure, 0 */
} store_ckpt = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER
};

static int	 sqlite_open(const char *);
static void	 sqlite_close(void);
static void	 sqlite_rollback(void);
#define STORE_SQLITE_PROTO(n, p, a)	static int sqlite_##n p;
STORE_OPS(STORE_SQLITE_PROTO)
#undef STORE_SQLITE_PROTO
static int	 store_check_file(const char *, const char *);
static int	 store_check_files(const char *);
static int	 store_ckpt_start(const char *);
static void	 store_ckpt_stop(void);
static void	*store_ckpt_main(void *);
static int	 store_wal_hook(void *, sqlite3 *, const char *, int);
static int	 store_exec(const char *);
static int	 store_migrate(void);
static int	 store_fk_check(void);
static int	 store_prepare(void);
static char	*store_user_expr(const struct user_field *, int);
static int	 store_user_prepare(void);
static void	 store_user_close(void);
static sqlite3_stmt *store_bind(enum store_stmt, const char *, const char *);
static int	 store_bind_hash(sqlite3_stmt *, int, const uint8_t *);
static int	 store_done(sqlite3_stmt *);
static int	 store_int(enum store_stmt, int64_t *, const char *,
		    const char *);
static int	 store_copy(char *, size_t, sqlite3_stmt *, int);
static int	 store_text(enum store_stmt, const char *, char **);
static int	 store_user_row(sqlite3_stmt *, struct store_user *);
static int	 store_rows(sqlite3_stmt *, int, store_row_cb, void *);
static int	 store_bind_json(sqlite3_stmt *, int, json_t *);
static int	 store_done_unique(sqlite3_stmt *);
static sqlite3_stmt *store_select_prepare(const char *, const char *,
		    const struct query_sql *, const struct query_sql *);
static int	 store_select_json(sqlite3_stmt *, int, long long, long long,
		    store_json_cb, void *);

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

static int
sqlite_schema_version(void)
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

	if ((v = sqlite_schema_version()) == -1)
		return -1;
	if (v > STORE_VERSION) {
		log_warnx("store: schema version %d is newer than this keyd "
		    "(%d)", v, STORE_VERSION);
		return -1;
	}
	/*
	 * A migration may rebuild a table others refer to (7): the foreign
	 * keys are off while the steps run, and each step must leave none
	 * broken (foreign_key_check, before its COMMIT).
	 */
	if (v < STORE_VERSION && store_exec("PRAGMA foreign_keys = OFF;") ==
	    -1)
		return -1;
	for (; v < STORE_VERSION; v++) {
		(void)snprintf(bump, sizeof(bump), "PRAGMA user_version = %d;",
		    v + 1);
		if (store_exec("BEGIN IMMEDIATE;") == -1)
			return -1;
		if (store_exec(store_migrations[v]) == -1 ||
		    store_fk_check() == -1 || store_exec(bump) == -1) {
			(void)store_exec("ROLLBACK;");
			return -1;
		}
		if (store_exec("COMMIT;") == -1)
			return -1;
		log_info("store: migrated to schema version %d", v + 1);
	}
	return store_exec("PRAGMA foreign_keys = ON;");
}

/* 0 when no row breaks a foreign key, else -1 with a log line. */
static int
store_fk_check(void)
{
	sqlite3_stmt	*st;
	int		 rv;

	if (sqlite3_prepare_v2(store_db, "PRAGMA foreign_key_check", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	rv = sqlite3_step(st);
	if (rv == SQLITE_ROW)
		log_warnx("store: a migration leaves a row of %s without its "
		    "%s", sqlite3_column_text(st, 0),
		    sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	return rv == SQLITE_DONE ? 0 : -1;
}

/*
 * The database and its journal files hold every credential: each one
 * that exists must be a regular file of keyd's own user (keyd runs as
 * that user by now) that group and others cannot touch.  Nothing is
 * repaired here: a file with the wrong mode may already have leaked.
 */
static int
store_check_file(const char *path, const char *suffix)
{
	const struct privsep_file	 rule = {
		.what = "store:",
		.owner = geteuid(),
		.owner_name = "keyd's user",
		.refused = S_IRWXG | S_IRWXO,
		.refused_means = "accessible"
	};
	char				 name[PATH_MAX];

	if ((size_t)snprintf(name, sizeof(name), "%s%s", path, suffix) >=
	    sizeof(name)) {
		log_warnx("store: %s: path too long", path);
		return -1;
	}
	return privsep_check_file(&rule, name, -1, NULL) == -1 ? -1 : 0;
}

static int
store_check_files(const char *path)
{
	if (store_check_file(path, "") == -1 ||
	    store_check_file(path, "-wal") == -1 ||
	    store_check_file(path, "-shm") == -1 ||
	    store_check_file(path, "-journal") == -1)
		return -1;
	return 0;
}

static int
sqlite_open(const char *path)
{
	mode_t	 old;
	int	 rv;

	if (store_check_files(path) == -1)
		return -1;
	old = umask(077);
	rv = sqlite3_open_v2(path, &store_db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
	    NULL);
	umask(old);
	if (rv != SQLITE_OK) {
		log_warnx("store: open %s: %s", path, store_db != NULL ?
		    sqlite3_errmsg(store_db) : "out of memory");
		sqlite_close();
		return -1;
	}
	sqlite3_busy_timeout(store_db, 5000);
	/*
	 * Temporary files (the statement journals of the savepoints in a
	 * group commit, once they pass 64 KiB) stay in memory: keyd's
	 * chroot has no directory for them.  A page cache of 32 MiB keeps
	 * the inner pages of a large store's indexes (a million users and
	 * sessions) in keyd, where SQLite's default of 2 MiB reads them
	 * from the file again for every random key.
	 */
	if (store_exec("PRAGMA journal_mode = WAL;"
	    "PRAGMA cache_size = -32768;"
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA secure_delete = ON;"
	    "PRAGMA trusted_schema = OFF;"
	    "PRAGMA temp_store = MEMORY;") == -1 ||
	    store_migrate() == -1 || store_prepare() == -1 ||
	    store_ckpt_start(path) == -1) {
		sqlite_close();
		return -1;
	}
	return 0;
}

/*
 * The checkpoint thread and its connection (store_ckpt), started before
 * keyd's sandbox, which it then shares (the filter covers every thread):
 * reads and writes of the database and its WAL, their syncs and locks.
 * It blocks every signal: they belong to the loop's thread.  Its
 * checkpoints sync the WAL before they copy it and the database after
 * (synchronous FULL), as the loop's own would.
 */
static int
store_ckpt_start(const char *path)
{
	sigset_t	 all, old;
	int		 rv;

	if (sqlite3_open_v2(path, &store_ckpt.db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK ||
	    sqlite3_exec(store_ckpt.db, "PRAGMA synchronous = FULL;", NULL,
	    NULL, NULL) != SQLITE_OK) {
		log_warnx("store: the checkpoint connection: %s",
		    store_ckpt.db != NULL ? sqlite3_errmsg(store_ckpt.db) :
		    "out of memory");
		return -1;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rv = pthread_create(&store_ckpt.thread, NULL, store_ckpt_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rv != 0) {
		errno = rv;
		log_warn("store: the checkpoint thread");
		return -1;
	}
	store_ckpt.started = 1;
	sqlite3_wal_hook(store_db, store_wal_hook, NULL);
	return 0;
}

static void
store_ckpt_stop(void)
{
	if (store_db != NULL)
		sqlite3_wal_hook(store_db, NULL, NULL);
	if (store_ckpt.started) {
		pthread_mutex_lock(&store_ckpt.lock);
		store_ckpt.stopping = 1;
		pthread_cond_signal(&store_ckpt.cond);
		pthread_mutex_unlock(&store_ckpt.lock);
		pthread_join(store_ckpt.thread, NULL);
		store_ckpt.started = store_ckpt.stopping = 0;
		store_ckpt.wanted = 0;
	}
	sqlite3_close(store_ckpt.db);
	store_ckpt.db = NULL;
}

static void *
store_ckpt_main(void *arg)
{
	int	 rv;

	pthread_mutex_lock(&store_ckpt.lock);
	for (;;) {
		while (!store_ckpt.wanted && !store_ckpt.stopping)
			pthread_cond_wait(&store_ckpt.cond, &store_ckpt.lock);
		if (store_ckpt.stopping)
			break;
		store_ckpt.wanted = 0;
		pthread_mutex_unlock(&store_ckpt.lock);
		rv = sqlite3_wal_checkpoint_v2(store_ckpt.db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&store_ckpt.lock);
		/* Busy: the loop's own checkpoint is running. */
		if (rv != SQLITE_OK && rv != SQLITE_BUSY)
			store_ckpt.error = rv;
	}
	pthread_mutex_unlock(&store_ckpt.lock);
	return NULL;
}

/*
 * After each commit of keyd's connection, on the loop: frames is the
 * WAL's length.  The thread is woken for every STORE_WAL_CHECKPOINT
 * new frames, not after every commit: a pass syncs the WAL and the
 * database, and a page that several commits rewrite is copied once.
 * Past STORE_WAL_MAX it is no longer woken, so that once its pass is
 * over the loop's checkpoint gets the rest (a checkpoint under way
 * makes another one busy at once).  The thread logs nothing (the log
 * is the loop's): its failure is told here.
 */
static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	static int	 woken;		/* the WAL's length at the last wakeup */
	int		 error, rv;

	if (frames < woken)		/* the WAL started over */
		woken = 0;
	if (frames - woken < STORE_WAL_CHECKPOINT)
		return SQLITE_OK;
	if (frames < STORE_WAL_MAX)
		woken = frames;
	pthread_mutex_lock(&store_ckpt.lock);
	error = store_ckpt.error;
	store_ckpt.error = 0;
	if (frames < STORE_WAL_MAX) {
		store_ckpt.wanted = 1;
		pthread_cond_signal(&store_ckpt.cond);
	}
	pthread_mutex_unlock(&store_ckpt.lock);
	if (error != 0)
		log_warnx("store: checkpoint: %s", sqlite3_errstr(error));
	if (frames >= STORE_WAL_MAX && (rv = sqlite3_wal_checkpoint_v2(db,
	    name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL)) != SQLITE_OK &&
	    rv != SQLITE_BUSY)
		log_warnx("store: checkpoint: %s", sqlite3_errmsg(db));
	return SQLITE_OK;
}

static int
store_prepare(void)
{
	size_t	 i;

	if (store_user_prepare() == -1)
		return -1;
	for (i = 0; i < ST_MAX; i++) {
		if (store_sql[i] != NULL && sqlite3_prepare_v3(store_db,
		    store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &store_stmts[i], NULL) !=
		    SQLITE_OK) {
			log_warnx("store: prepare %zu: %s", i,
			    sqlite3_errmsg(store_db));
			return -1;
		}
	}
	return 0;
}

/*
 * A field's SQL over the users table: as the user's JSON shows it
 * (json), or as /users filters and sorts compare it.  Malloc'd, NULL
 * when out of memory.
 */
static char *
store_user_expr(const struct user_field *uf, int json)
{
	struct query_sql	 e;
	const char		*c = uf->column;

	query_sql_init(&e);
	if (uf->kind == UK_POLICIES)
		/* Directus 11's user: its access rows' ids, in order. */
		query_sql_add(&e, json ? "json((SELECT json_group_array(id) "
		    "FROM (SELECT id FROM user_policies WHERE user_id = "
		    "users.id ORDER BY sort)))" : "NULL");
	else if (c == NULL)
		query_sql_add(&e, "NULL");
	else if (json && (uf->flags & UF_CONCEALED)) {
		query_sql_add(&e, "CASE WHEN ");
		query_sql_add(&e, c);
		query_sql_add(&e, " IS NULL THEN NULL ELSE '**********' END");
	} else if (uf->kind == UK_TIME) {
		if (json) {
			query_sql_add(&e, "CASE WHEN ");
			query_sql_add(&e, c);
			query_sql_add(&e, " IS NULL THEN NULL ELSE ");
		}
		query_sql_add(&e, "strftime('%Y-%m-%dT%H:%M:%fZ', ");
		query_sql_add(&e, c);
		query_sql_add(&e, " / 1000.0, 'unixepoch')");
		if (json)
			query_sql_add(&e, " END");
	} else if (json && uf->kind == UK_TAGS) {
		query_sql_add(&e, "json(");
		query_sql_add(&e, c);
		query_sql_add(&e, ")");
	} else if (json && uf->kind == UK_BOOL) {
		query_sql_add(&e, "json(CASE WHEN ");
		query_sql_add(&e, c);
		query_sql_add(&e, " THEN 'true' ELSE 'false' END)");
	} else
		query_sql_add(&e, c);
	if (e.error) {
		query_sql_free(&e);
		return NULL;
	}
	return e.text;
}

/* Is a field's value written as it is given (sqlite_user_set_field())? */
static int
store_user_plain(const struct user_field *uf)
{
	if ((uf->flags & (UF_SELF_WRITABLE | UF_ADMIN_WRITABLE)) == 0)
		return 0;
	return uf->kind == UK_TEXT || uf->kind == UK_EMAIL ||
	    uf->kind == UK_TAGS || uf->kind == UK_BOOL;
}

/* The statements and expressions of user_fields; see store_user_jsonsql. */
static int
store_user_prepare(void)
{
	const struct user_field	*uf;
	struct query_sql	 sql;
	char			*json;
	size_t			 i;
	int			 rv = 0;

	if ((store_user_exprs = calloc(user_nfields,
	    sizeof(*store_user_exprs))) == NULL ||
	    (store_user_updates = calloc(user_nfields,
	    sizeof(*store_user_updates))) == NULL)
		return -1;
	query_sql_init(&store_user_jsonsql);
	query_sql_add(&store_user_jsonsql, "json_object(");
	for (i = 0; rv == 0 && i < user_nfields; i++) {
		uf = &user_fields[i];
		if ((json = store_user_expr(uf, 1)) == NULL ||
		    ((uf->flags & UF_SORTABLE) && (store_user_exprs[i] =
		    store_user_expr(uf, 0)) == NULL))
			rv = -1;
		query_sql_add(&store_user_jsonsql, i > 0 ? ", '" : "'");
		query_sql_add(&store_user_jsonsql, uf->name);
		query_sql_add(&store_user_jsonsql, "', ");
		query_sql_add(&store_user_jsonsql, json != NULL ? json : "");
		free(json);
		if (rv == -1 || !store_user_plain(uf))
			continue;
		query_sql_init(&sql);
		query_sql_add(&sql, "UPDATE users SET ");
		query_sql_add(&sql, uf->column);
		query_sql_add(&sql, " = ?2 WHERE id = ?1");
		if (sql.error || sqlite3_prepare_v3(store_db, sql.text, -1,
		    SQLITE_PREPARE_PERSISTENT, &store_user_updates[i], NULL) !=
		    SQLITE_OK)
			rv = -1;
		query_sql_free(&sql);
	}
	query_sql_add(&store_user_jsonsql, ")");
	query_sql_init(&sql);
	query_sql_add(&sql, "SELECT ");
	query_sql_add(&sql, store_user_jsonsql.text != NULL ?
	    store_user_jsonsql.text : "");
	query_sql_add(&sql, " FROM users WHERE id = ?1");
	if (rv == 0 && (store_user_jsonsql.error || sql.error ||
	    sqlite3_prepare_v3(store_db, sql.text, -1,
	    SQLITE_PREPARE_PERSISTENT, &store_stmts[ST_USER_JSON], NULL) !=
	    SQLITE_OK))
		rv = -1;
	query_sql_free(&sql);
	if (rv == -1)
		log_warnx("store: prepare the user's fields: %s",
		    sqlite3_errmsg(store_db));
	return rv;
}

static void
store_user_close(void)
{
	size_t	 i;

	for (i = 0; i < user_nfields; i++) {
		if (store_user_exprs != NULL)
			free(store_user_exprs[i]);
		if (store_user_updates != NULL)
			sqlite3_finalize(store_user_updates[i]);
	}
	free(store_user_exprs);
	free(store_user_updates);
	store_user_exprs = NULL;
	store_user_updates = NULL;
	query_sql_free(&store_user_jsonsql);
}

static void
sqlite_close(void)
{
	size_t	 i;

	for (i = 0; i < ST_MAX; i++) {
		sqlite3_finalize(store_stmts[i]);
		store_stmts[i] = NULL;
	}
	store_user_close();
	store_ckpt_stop();
	sqlite3_close(store_db);
	store_db = NULL;
}

/* The database answers a real query. */
static int
sqlite_health(void)
{
	int64_t	 n;

	return store_db == NULL ? -1 : store_int(ST_PING, &n, NULL, NULL);
}

/*
 * Bind text parameters ?1..?n (NULL binds SQL NULL).  Blobs of
 * STORE_HASH_LEN are bound with store_bind_hash().
 */
static sqlite3_stmt *
store_bind(enum store_stmt which, const char *a, const char *b)
{
	sqlite3_stmt	*st = store_stmts[which];

	if (st == NULL)
		return NULL;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if ((a != NULL && sqlite3_bind_text(st, 1, a, -1,
	    SQLITE_STATIC) != SQLITE_OK) ||
	    (b != NULL && sqlite3_bind_text(st, 2, b, -1,
	    SQLITE_STATIC) != SQLITE_OK))
		return NULL;
	return st;
}

static int
store_bind_hash(sqlite3_stmt *st, int col, const uint8_t *hash)
{
	return sqlite3_bind_blob(st, col, hash, STORE_HASH_LEN,
	    SQLITE_STATIC) == SQLITE_OK ? 0 : -1;
}

/* Run a statement that returns no row. */
static int
store_done(sqlite3_stmt *st)
{
	int	 rv;

	if (st == NULL)
		return -1;
	rv = sqlite3_step(st);
	sqlite3_reset(st);
	if (rv != SQLITE_DONE) {
		log_warnx("store: %s", sqlite3_errmsg(store_db));
		return -1;
	}
	return 0;
}

/* A single integer result; 1 when there is no row. */
static int
store_int(enum store_stmt which, int64_t *out, const char *a, const char *b)
{
	sqlite3_stmt	*st;
	int		 rv;

	if ((st = store_bind(which, a, b)) == NULL)
		return -1;
	rv = sqlite3_step(st);
	if (rv == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rv == SQLITE_ROW)
		return 0;
	return rv == SQLITE_DONE ? 1 : -1;
}

static int
store_copy(char *dst, size_t len, sqlite3_stmt *st, int col)
{
	const unsigned char	*t = sqlite3_column_text(st, col);

	if (t == NULL)
		t = (const unsigned char *)"";
	return strlcpy(dst, (const char *)t, len) >= len ? -1 : 0;
}

static int
store_user_row(sqlite3_stmt *st, struct store_user *u)
{
	int	 rv;

	memset(u, 0, sizeof(*u));
	rv = sqlite3_step(st);
	if (rv == SQLITE_ROW) {
		if (store_copy(u->id, sizeof(u->id), st, 0) == -1 ||
		    store_copy(u->email, sizeof(u->email), st, 1) == -1 ||
		    store_copy(u->password, sizeof(u->password), st, 2) == -1 ||
		    store_copy(u->status, sizeof(u->status), st, 3) == -1 ||
		    store_copy(u->role, sizeof(u->role), st, 4) == -1 ||
		    store_copy(u->policies, sizeof(u->policies), st, 6) == -1)
			rv = SQLITE_TOOBIG;
		u->has_tfa = sqlite3_column_int(st, 5);
	}
	sqlite3_reset(st);
	if (rv == SQLITE_ROW)
		return 0;
	if (rv == SQLITE_DONE)
		return 1;
	log_warnx("store: user lookup: %s", sqlite3_errmsg(store_db));
	return -1;
}

static int
sqlite_begin(void)
{
	if (!store_batching)
		return store_done(store_bind(ST_BEGIN, NULL, NULL));
	if (store_nested ||
	    store_done(store_bind(ST_SAVEPOINT, NULL, NULL)) == -1)
		return -1;
	store_nested = 1;
	return 0;
}

static int
sqlite_commit(void)
{
	if (!store_nested)
		return store_done(store_bind(ST_COMMIT, NULL, NULL));
	store_nested = 0;
	return store_done(store_bind(ST_RELEASE, NULL, NULL));
}

/* Inside a group commit only the request's own savepoint goes. */
static void
sqlite_rollback(void)
{
	if (store_nested) {
		store_nested = 0;
		if (store_done(store_bind(ST_ROLLBACK_TO, NULL, NULL)) == -1 ||
		    store_done(store_bind(ST_RELEASE, NULL, NULL)) == -1)
			log_warnx("store: cannot undo a request in a group "
			    "commit");
	} else if (!store_batching && store_db != NULL &&
	    !sqlite3_get_autocommit(store_db))
		(void)store_done(store_bind(ST_ROLLBACK, NULL, NULL));
}

static int
sqlite_batch_begin(void)
{
	if (store_batching)
		return 0;
	if (store_done(store_bind(ST_BEGIN, NULL, NULL)) == -1)
		return -1;
	store_batching = 1;
	return 0;
}

/* One sync for the whole group; -1 when none of it took place. */
static int
sqlite_batch_commit(void)
{
	if (!store_batching)
		return 0;
	store_batching = store_nested = 0;
	if (store_done(store_bind(ST_COMMIT, NULL, NULL)) == 0)
		return 0;
	if (!sqlite3_get_autocommit(store_db))
		(void)store_done(store_bind(ST_ROLLBACK, NULL, NULL));
	return -1;
}

static int
sqlite_user_by_email(const char *email, struct store_user *u)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_USER_BY_EMAIL, email, NULL)) == NULL)
		return -1;
	return store_user_row(st, u);
}

static int
sqlite_user_by_id(const char *id, struct store_user *u)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_USER_BY_ID, id, NULL)) == NULL)
		return -1;
	return store_user_row(st, u);
}

static int
sqlite_user_by_token(const uint8_t *hash, struct store_user *u)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_USER_BY_TOKEN, NULL, NULL)) == NULL ||
	    store_bind_hash(st, 1, hash) == -1)
		return -1;
	return store_user_row(st, u);
}

/* The user as Directus shows it in /users/me; *json is malloc'd. */
static int
sqlite_user_json(const char *id, char **json)
{
	return store_text(ST_USER_JSON, id, json);
}

/* A user's access rows as a JSON array (text, to be freed). */
static int
sqlite_user_access_rows(const char *id, char **json)
{
	return store_text(ST_USER_ACCESS_ROWS, id, json);
}

/*
 * The ids of the users of a role as a JSON array (text, to be freed),
 * of at most STORE_ROLE_USERS_MAX + 1 ids.
 */
static int
sqlite_role_users(const char *role, char **json)
{
	return store_text(ST_ROLE_USERS, role, json);
}

/* The one text column of a statement of id: 0, 1 for no row, -1. */
static int
store_text(enum store_stmt which, const char *id, char **json)
{
	sqlite3_stmt	*st;
	const char	*t;
	int		 rv;

	*json = NULL;
	if ((st = store_bind(which, id, NULL)) == NULL)
		return -1;
	rv = sqlite3_step(st);
	if (rv == SQLITE_ROW &&
	    (t = (const char *)sqlite3_column_text(st, 0)) != NULL &&
	    (*json = strdup(t)) == NULL)
		rv = SQLITE_NOMEM;
	sqlite3_reset(st);
	if (rv == SQLITE_ROW)
		return 0;
	return rv == SQLITE_DONE ? 1 : -1;
}

static int
sqlite_user_count(int64_t *n)
{
	return store_int(ST_USER_COUNT, n, NULL, NULL);
}

static int
sqlite_user_insert(const char *id, const char *email, const char *phc,
    const char *role)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_USER_INSERT, id, email)) == NULL ||
	    sqlite3_bind_text(st, 3, phc, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, role != NULL ? role : "", -1,
	    SQLITE_STATIC) != SQLITE_OK)
		return -1;
	return store_done_unique(st);
}

static int
sqlite_user_set_status(const char *id, const char *status)
{
	return store_done(store_bind(ST_USER_STATUS, id, status));
}

/*
 * A user's TFA secret as stored (sealed, or as imported) and the last
 * time step a code was taken for (-1: none); 1 when it has none.
 */
static int
sqlite_user_tfa_get(const char *id, char *secret, size_t len, int64_t *last)
{
	sqlite3_stmt	*st;
	const char	*v;
	int		 rv;

	if ((st = store_bind(ST_USER_TFA_GET, id, NULL)) == NULL)
		return -1;
	rv = sqlite3_step(st);
	if (rv == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(st, 0);
		*last = sqlite3_column_int64(st, 1);
		rv = v != NULL && strlcpy(secret, v, len) < len ? 0 : -1;
		if (rv == -1)
			log_warnx("store: user %s: TFA secret too long", id);
	} else
		rv = rv == SQLITE_DONE ? 1 : -1;
	sqlite3_reset(st);
	return rv;
}

/* Set (secret NULL: clear) a user's TFA secret; the step starts anew. */
static int
sqlite_user_tfa_set(const char *id, const char *secret)
{
	return store_done(store_bind(ST_USER_TFA_SET, id, secret));
}

/*
 * Take the code of a time step: 0 when it is later than the last one
 * taken (now the last), 1 when it is not (a replay), -1 on error.
 */
static int
sqlite_user_tfa_step(const char *id, int64_t step)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_USER_TFA_STEP, id, NULL)) == NULL ||
	    sqlite3_bind_int64(st, 2, step) != SQLITE_OK ||
	    store_done(st) == -1)
		return -1;
	return sqlite3_changes(store_db) == 1 ? 0 : 1;
}

/* Forget a user's recovery codes. */
static int
sqlite_tfa_recovery_clear(const char *id)
{
	return store_done(store_bind(ST_RECOVERY_CLEAR, id, NULL));
}

/* Keep one recovery code, as its hash. */
static int
sqlite_tfa_recovery_add(const char *id, const uint8_t *hash)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_RECOVERY_ADD, id, NULL)) == NULL ||
	    store_bind_hash(st, 2, hash) == -1)
		return -1;
	return store_done(st);
}

/* Use up a recovery code: 0 when it was one, 1 when not, -1. */
static int
sqlite_tfa_recovery_use(const char *id, const uint8_t *hash)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_RECOVERY_USE, id, NULL)) == NULL ||
	    store_bind_hash(st, 2, hash) == -1 || store_done(st) == -1)
		return -1;
	return sqlite3_changes(store_db) == 1 ? 0 : 1;
}

/* The users whose TFA secret is not sealed with prefix yet (imported). */
static int
sqlite_users_tfa_plain(const char *prefix, store_row_cb cb, void *arg)
{
	return store_rows(store_bind(ST_USERS_TFA_PLAIN, prefix, NULL), 2, cb,
	    arg);
}

static int
sqlite_session_insert(const uint8_t *salt, const char *user,
    int64_t expires, const char *ip, const char *ua, const char *origin,
    int64_t *id)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_SESSION_INSERT, NULL, user)) == NULL ||
	    sqlite3_bind_blob(st, 1, salt, STORE_SALT_LEN, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, expires) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, ip, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 5, ua, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 6, origin, -1, SQLITE_STATIC) != SQLITE_OK ||
	    store_done(st) == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(store_db);
	return 0;
}

/* A blob column of n bytes into out: 1 copied, 0 NULL, -1 another size. */
static int
store_blob(sqlite3_stmt *st, int col, uint8_t *out, size_t n)
{
	const void	*b = sqlite3_column_blob(st, col);

	if (b == NULL)
		return 0;
	if ((size_t)sqlite3_column_bytes(st, col) != n)
		return -1;
	memcpy(out, b, n);
	return 1;
}

/* The row of a statement of STORE_SESSION_COLUMNS: 0, 1 none, -1. */
static int
sqlite_session_row(sqlite3_stmt *st, struct store_session *s)
{
	int	 rv;

	memset(s, 0, sizeof(*s));
	if ((rv = sqlite3_step(st)) == SQLITE_ROW) {
		s->id = sqlite3_column_int64(st, 0);
		if (store_copy(s->user_id, sizeof(s->user_id), st, 1) == -1)
			rv = SQLITE_TOOBIG;
		s->expires = sqlite3_column_int64(st, 2);
		if ((s->has_family = store_blob(st, 3, s->family,
		    STORE_HASH_LEN)) == -1 ||
		    (s->has_hash = store_blob(st, 4, s->hash,
		    STORE_HASH_LEN)) == -1 ||
		    store_blob(st, 6, s->salt, STORE_SALT_LEN) == -1)
			rv = SQLITE_CORRUPT;
		s->gen = sqlite3_column_int64(st, 5);
		s->rotated = sqlite3_column_int64(st, 7);
	}
	sqlite3_reset(st);
	if (rv == SQLITE_ROW)
		return 0;
	return rv == SQLITE_DONE ? 1 : -1;
}

/* A live session (expires >= now) by its token's hash (format before). */
static int
sqlite_session_get(const uint8_t *hash, int64_t now, struct store_session *s)
{
	sqlite3_stmt	*st;

	memset(s, 0, sizeof(*s));
	if ((st = store_bind(ST_SESSION_GET, NULL, NULL)) == NULL ||
	    store_bind_hash(st, 1, hash) == -1 ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK)
		return -1;
	return sqlite_session_row(st, s);
}

/* A live session by its id. */
static int
sqlite_session_by_id(int64_t id, int64_t now, struct store_session *s)
{
	sqlite3_stmt	*st;

	memset(s, 0, sizeof(*s));
	if ((st = store_bind(ST_SESSION_BY_ID, NULL, NULL)) == NULL ||
	    sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK)
		return -1;
	return sqlite_session_row(st, s);
}

/*
 * A live token of the format before gives way to one of the new (salt,
 * generation 0) and is remembered as retired, in one transaction.
 * keyd's loop runs one request at a time, so of several refreshes with
 * one token exactly one finds it live; the others find it retired (1).
 */
static int
sqlite_session_rotate(const struct store_session *s, const uint8_t *old,
    const uint8_t *salt, int64_t expires, int64_t now)
{
	sqlite3_stmt	*st;
	int		 changed;

	if (sqlite_begin() == -1)
		return -1;
	if ((st = store_bind(ST_SESSION_ROTATE, NULL, NULL)) == NULL ||
	    store_bind_hash(st, 1, old) == -1 ||
	    sqlite3_bind_blob(st, 2, salt, STORE_SALT_LEN, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, expires) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, now) != SQLITE_OK ||
	    store_done(st) == -1)
		goto fail;
	if ((changed = sqlite3_changes(store_db)) == 1 &&
	    ((st = store_bind(ST_RETIRE, NULL, NULL)) == NULL ||
	    store_bind_hash(st, 1, old) == -1 ||
	    store_bind_hash(st, 2, s->family) == -1 ||
	    sqlite3_bind_int64(st, 3, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, expires) != SQLITE_OK ||
	    store_done(st) == -1))
		goto fail;
	if (sqlite_commit() == -1)
		goto fail;
	return changed == 1 ? 0 : 1;
 fail:
	sqlite_rollback();
	return -1;
}

/*
 * A session's live generation moves on by one: its row alone.  0, or 1
 * when it is not live (any more) at that generation.
 */
static int
sqlite_session_advance(const struct store_rotation *rot, int64_t expires,
    int64_t now)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_SESSION_ADVANCE, NULL, NULL)) == NULL ||
	    sqlite3_bind_int64(st, 1, rot->sid) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, rot->gen) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, expires) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, now) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 5, rot->salt, STORE_SALT_LEN,
	    SQLITE_STATIC) != SQLITE_OK ||
	    store_done(st) == -1)
		return -1;
	return sqlite3_changes(store_db) == 1 ? 0 : 1;
}

/*
 * A group's rotations: one at a time, as for a refresh by itself (one
 * process writes a local file: nothing to gain by more).
 */
static int
sqlite_sessions_rotate(struct store_rotation *rot, size_t n,
    int64_t expires, int64_t now)
{
	struct store_session	 s;
	size_t			 i;
	int			 rv;

	for (i = 0; i < n; i++) {
		if ((rv = sqlite_session_by_id(rot[i].sid, now, &s)) == 0 &&
		    (rv = sqlite_user_by_id(s.user_id, &rot[i].u)) == 0 &&
		    strcmp(rot[i].u.status, "active") != 0)
			rv = 1;
		rot[i].rotated = rv != 0 ? rv : sqlite_session_advance(&rot[i],
		    expires, now);
	}
	return 0;
}

/* A retired refresh token: its session family and when it was rotated. */
static int
sqlite_retired_get(const uint8_t *hash, int64_t now, uint8_t *family,
    int64_t *rotated)
{
	sqlite3_stmt	*st;
	const void	*f;
	int		 rv;

	if ((st = store_bind(ST_RETIRED_GET, NULL, NULL)) == NULL ||
	    store_bind_hash(st, 1, hash) == -1 ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK)
		return -1;
	rv = sqlite3_step(st);
	if (rv == SQLITE_ROW) {
		f = sqlite3_column_blob(st, 0);
		if (f == NULL || sqlite3_column_bytes(st, 0) != STORE_HASH_LEN)
			rv = SQLITE_CORRUPT;
		else
			memcpy(family, f, STORE_HASH_LEN);
		*rotated = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rv == SQLITE_ROW)
		return 0;
	return rv == SQLITE_DONE ? 1 : -1;
}

/* Does the session (family) still go on for this user? */
static int
sqlite_family_live(const uint8_t *family, int64_t now, const char *user)
{
	sqlite3_stmt	*st;
	int		 rv;

	if ((st = store_bind(ST_FAMILY_LIVE, NULL, NULL)) == NULL ||
	    store_bind_hash(st, 1, family) == -1 ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, user, -1, SQLITE_STATIC) != SQLITE_OK)
		return -1;
	rv = sqlite3_step(st);
	sqlite3_reset(st);
	if (rv == SQLITE_ROW)
		return 0;
	return rv == SQLITE_DONE ? 1 : -1;
}

/* The user of a session (family), if its row is still there. */
static int
sqlite_family_user(const uint8_t *family, char *user, size_t len)
{
	sqlite3_stmt	*st;
	int		 rv;

	if ((st = store_bind(ST_FAMILY_USER, NULL, NULL)) == NULL ||
	    store_bind_hash(st, 1, family) == -1)
		return -1;
	if ((rv = sqlite3_step(st)) == SQLITE_ROW)
		rv = store_copy(user, len, st, 0) == -1 ? -1 : 0;
	else
		rv = rv == SQLITE_DONE ? 1 : -1;
	sqlite3_reset(st);
	return rv;
}

/* End a whole session: its live row and every token it retired. */
static int
sqlite_family_delete(const uint8_t *family)
{
	sqlite3_stmt	*st;

	if (sqlite_begin() == -1)
		return -1;
	if ((st = store_bind(ST_SESSIONS_FAMILY, NULL, NULL)) == NULL ||
	    store_bind_hash(st, 1, family) == -1 || store_done(st) == -1 ||
	    (st = store_bind(ST_RETIRED_FAMILY, NULL, NULL)) == NULL ||
	    store_bind_hash(st, 1, family) == -1 || store_done(st) == -1 ||
	    sqlite_commit() == -1) {
		sqlite_rollback();
		return -1;
	}
	return 0;
}

static int
sqlite_session_delete(const uint8_t *hash)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_SESSION_DELETE, NULL, NULL)) == NULL ||
	    store_bind_hash(st, 1, hash) == -1)
		return -1;
	return store_done(st);
}

static int
sqlite_sessions_delete_user(const char *id)
{
	return store_done(store_bind(ST_SESSIONS_USER, id, NULL));
}

/*
 * Every login sweeps: the expired sessions of the next slice of
 * STORE_SWEEP_ROWS rowids (store_sweep_next, round the table: there is
 * no index on the expiry, migration 11), and every expired retired
 * token (by retired_expires: they are written in the order they
 * expire).  No statement takes an expired session (each asks for
 * expires >= now), so the slices only keep the table from growing: a
 * login adds one row and sweeps many.
 */
static int
sqlite_sessions_expire(int64_t now)
{
	sqlite3_stmt	*st;
	int64_t		 last;

	if (store_int(ST_SESSIONS_LAST, &last, NULL, NULL) != 0)
		return -1;
	if (store_sweep_next > last)
		store_sweep_next = 0;
	if ((st = store_bind(ST_SESSIONS_EXPIRE, NULL, NULL)) == NULL ||
	    sqlite3_bind_int64(st, 1, store_sweep_next) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, store_sweep_next + STORE_SWEEP_ROWS) !=
	    SQLITE_OK || sqlite3_bind_int64(st, 3, now) != SQLITE_OK ||
	    store_done(st) == -1)
		return -1;
	store_sweep_next += STORE_SWEEP_ROWS;
	if ((st = store_bind(ST_RETIRED_EXPIRE, NULL, NULL)) == NULL ||
	    sqlite3_bind_int64(st, 1, now) != SQLITE_OK)
		return -1;
	return store_done(st);
}

static int
sqlite_user_set_password(const char *id, const char *phc)
{
	return store_done(store_bind(ST_USER_PASSWORD, id, phc));
}

/*
 * Set (hash) or clear (NULL) a user's static token; STORE_NOT_UNIQUE
 * when another user has it.
 */
static int
sqlite_user_set_token(const char *id, const uint8_t *hash)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_USER_TOKEN, id, NULL)) == NULL ||
	    (hash != NULL && store_bind_hash(st, 2, hash) == -1))
		return -1;
	return store_done_unique(st);
}

static int
sqlite_user_delete(const char *id)
{
	return store_done(store_bind(ST_USER_DELETE, id, NULL));
}

static int
sqlite_user_touch(const char *id, int64_t now)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_USER_ACCESS, id, NULL)) == NULL ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK)
		return -1;
	return store_done(st);
}

/* Run a listing statement: cb gets each row's columns as text. */
static int
store_rows(sqlite3_stmt *st, int ncol, store_row_cb cb, void *arg)
{
	const char	*cols[STORE_ROW_COLS];
	int		 i, rv;

	if (st == NULL || ncol > STORE_ROW_COLS)
		return -1;
	while ((rv = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < ncol; i++) {
			cols[i] = (const char *)sqlite3_column_text(st, i);
			if (cols[i] == NULL)
				cols[i] = "-";
		}
		cb(arg, cols, ncol);
	}
	sqlite3_reset(st);
	return rv == SQLITE_DONE ? 0 : -1;
}

static int
sqlite_user_list(store_row_cb cb, void *arg)
{
	return store_rows(store_bind(ST_USER_LIST, NULL, NULL), 6, cb, arg);
}

static int
sqlite_session_list(const char *email, int64_t now, store_row_cb cb,
    void *arg)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_SESSION_LIST, email, NULL)) == NULL ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK)
		return -1;
	return store_rows(st, 5, cb, arg);
}

/*
 * The live sessions of user: id, hex of the token's hash, ip, user
 * agent, origin, expiry and last use (ISO 8601, "" unknown).
 */
static int
sqlite_sessions_own(const char *user, int64_t now, store_row_cb cb,
    void *arg)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_SESSIONS_OWN, user, NULL)) == NULL ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK)
		return -1;
	return store_rows(st, 7, cb, arg);
}

/* User's live session rowid: 0, or 1 when user has no such session. */
static int
sqlite_session_own(const char *user, int64_t rowid, int64_t now,
    struct store_session *s)
{
	sqlite3_stmt	*st;

	memset(s, 0, sizeof(*s));
	if ((st = store_bind(ST_SESSION_OWN, user, NULL)) == NULL ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, rowid) != SQLITE_OK)
		return -1;
	return sqlite_session_row(st, s);
}

/* 0 when the session existed, 1 when there was none. */
static int
sqlite_session_revoke(int64_t rowid)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_SESSION_REVOKE, NULL, NULL)) == NULL ||
	    sqlite3_bind_int64(st, 1, rowid) != SQLITE_OK ||
	    store_done(st) == -1)
		return -1;
	return sqlite3_changes(store_db) == 1 ? 0 : 1;
}

/* Bind a JSON value as the column's value: text, NULL, 0/1 or JSON text. */
static int
store_bind_json(sqlite3_stmt *st, int col, json_t *v)
{
	char	*text;
	int	 rv;

	if (json_is_null(v))
		return sqlite3_bind_null(st, col) == SQLITE_OK ? 0 : -1;
	if (json_is_boolean(v))
		return sqlite3_bind_int(st, col, json_is_true(v)) ==
		    SQLITE_OK ? 0 : -1;
	if (json_is_string(v))
		return sqlite3_bind_text(st, col, json_string_value(v),
		    (int)json_string_length(v), SQLITE_TRANSIENT) ==
		    SQLITE_OK ? 0 : -1;
	if ((text = json_dumps(v, JSON_COMPACT)) == NULL)
		return -1;
	rv = sqlite3_bind_text(st, col, text, -1, SQLITE_TRANSIENT);
	free(text);
	return rv == SQLITE_OK ? 0 : -1;
}

/*
 * One field of a user whose value is written as it is given.
 * STORE_NOT_UNIQUE when the value is taken (an email), -1 for another
 * field or a database error.
 */
static int
sqlite_user_set_field(const char *id, const char *field, json_t *v)
{
	const struct user_field	*uf = user_field(field);
	sqlite3_stmt		*st;
	int			 rv;

	if (uf == NULL || (st = store_user_updates[uf - user_fields]) == NULL)
		return -1;
	sqlite3_reset(st);
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    store_bind_json(st, 2, v) == -1)
		return -1;
	rv = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rv == SQLITE_DONE)
		return 0;
	if (rv == SQLITE_CONSTRAINT)
		return STORE_NOT_UNIQUE;
	log_warnx("store: update %s: %s", field, sqlite3_errmsg(store_db));
	return -1;
}

/*
 * Every session of a user but one, named by its token's hash (format
 * before) or its id; keep NULL and keep_id 0: none.
 */
static int
sqlite_sessions_delete_others(const char *id, const uint8_t *keep,
    int64_t keep_id)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_SESSIONS_OTHERS, id, NULL)) == NULL ||
	    (keep != NULL && store_bind_hash(st, 2, keep) == -1) ||
	    (keep_id != 0 && sqlite3_bind_int64(st, 3, keep_id) != SQLITE_OK))
		return -1;
	return store_done(st);
}

/* store_done(), telling a UNIQUE (or other constraint) violation apart. */
static int
store_done_unique(sqlite3_stmt *st)
{
	int	 rv;

	if (st == NULL)
		return -1;
	rv = sqlite3_step(st);
	sqlite3_reset(st);
	if (rv == SQLITE_DONE)
		return 0;
	if (rv == SQLITE_CONSTRAINT)
		return STORE_NOT_UNIQUE;
	log_warnx("store: %s", sqlite3_errmsg(store_db));
	return -1;
}

/* NULL (or "" with a role) for none. */
static int
sqlite_user_set_role(const char *id, const char *role)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_USER_ROLE, id, NULL)) == NULL ||
	    (role != NULL && role[0] != '\0' && sqlite3_bind_text(st, 2,
	    role, -1, SQLITE_STATIC) != SQLITE_OK))
		return -1;
	return store_done(st);
}

/*
 * A policy id the user holds directly, after the others, with its
 * access row's id: 0, 1 when the user holds it already, -1 on failure.
 */
static int
sqlite_user_policy_add(const char *user, const char *policy, const char *id)
{
	sqlite3_stmt	*st;
	int		 rv;

	if ((st = store_bind(ST_USER_POLICY_ADD, user, policy)) == NULL ||
	    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC) != SQLITE_OK)
		return -1;
	rv = sqlite3_step(st);
	sqlite3_reset(st);
	if (rv == SQLITE_DONE)
		return 0;
	if ((rv & 0xff) == SQLITE_CONSTRAINT)
		return 1;
	log_warnx("store: %s", sqlite3_errmsg(store_db));
	return -1;
}

/* 0, 1 when the user did not hold it, -1 on failure. */
static int
sqlite_user_policy_del(const char *user, const char *policy)
{
	if (store_done(store_bind(ST_USER_POLICY_DEL, user, policy)) == -1)
		return -1;
	return sqlite3_changes(store_db) == 0 ? 1 : 0;
}

static int
sqlite_user_policies_clear(const char *user)
{
	return store_done(store_bind(ST_USER_POLICIES_CLEAR, user, NULL));
}

/* An access row of the user's, by its id (none: not an error). */
static int
sqlite_user_access_del(const char *user, const char *id)
{
	return store_done(store_bind(ST_USER_ACCESS_DEL, user, id));
}

static int
sqlite_user_policy_count(const char *user, int64_t *n)
{
	return store_int(ST_USER_POLICY_COUNT, n, user, NULL) == 0 ? 0 : -1;
}

/* Every active user: id, role ("" none), its own policies' ids. */
static int
sqlite_users_admins(store_row_cb cb, void *arg)
{
	return store_rows(store_bind(ST_USERS_ADMINS, NULL, NULL), 3, cb, arg);
}

/*
 * The SQL expression of a field in /users filters and sorts, or NULL:
 * the concealed fields are never filtered or sorted on.
 */
const char *
store_users_column(const char *field)
{
	const struct user_field	*uf = user_field(field);

	if (store_dialect() == QUERY_PG)
		return pg_users_column(field);
	return uf != NULL && store_user_exprs != NULL ?
	    store_user_exprs[uf - user_fields] : NULL;
}

/*
 * A statement over a table (users, audit): "SELECT" what, then "WHERE"
 * and the condition, then the order (" ORDER BY ...", may be empty),
 * with their values bound in that order.  The condition and the order
 * hold only the field expressions (store_users_column(),
 * store_audit_column()) and bound values (query_sql.c).
 */
static sqlite3_stmt *
store_select_prepare(const char *table, const char *what,
    const struct query_sql *where, const struct query_sql *order)
{
	struct query_sql	 q;
	sqlite3_stmt		*st = NULL;

	query_sql_init(&q);
	query_sql_add(&q, "SELECT ");
	query_sql_add(&q, what);
	query_sql_add(&q, " FROM ");
	query_sql_add(&q, table);
	query_sql_add(&q, " WHERE ");
	query_sql_add(&q, where->len > 0 ? where->text : "1");
	/* Ties, and no order at all, go by creation: pages are stable. */
	if (order != NULL && order->len > 0) {
		query_sql_add(&q, order->text);
		query_sql_add(&q, ", rowid");
	} else if (order != NULL)
		query_sql_add(&q, " ORDER BY rowid");
	if (order != NULL)
		query_sql_add(&q, " LIMIT ? OFFSET ?");
	if (q.error || where->error || (order != NULL && order->error) ||
	    sqlite3_prepare_v2(store_db, q.text, -1, &st, NULL) != SQLITE_OK ||
	    query_sql_apply(st, where, 1) == -1 || (order != NULL &&
	    query_sql_apply(st, order, 1 + (int)where->nbinds) == -1)) {
		if (st == NULL)
			log_warnx("store: %s query: %s", table, q.error ?
			    "out of memory" : sqlite3_errmsg(store_db));
		sqlite3_finalize(st);
		st = NULL;
	}
	query_sql_free(&q);
	return st;
}

/*
 * The users matching where, ordered, one page: cb gets each as the
 * JSON of /users/me (secrets concealed) and may stop the walk with -1.
 */
static int
sqlite_users_select(const struct query_sql *where,
    const struct query_sql *order, long long limit, long long offset,
    store_json_cb cb, void *arg)
{
	sqlite3_stmt	*st;

	if ((st = store_select_prepare("users", store_user_jsonsql.text,
	    where, order)) == NULL)
		return -1;
	return store_select_json(st, 1 + (int)where->nbinds +
	    (int)order->nbinds, limit, offset, cb, arg);
}

/*
 * The groups of an aggregate or groupBy query over the users matching
 * where, one page, in Directus's shape (query_group_row()): 0 with
 * *rows, -2 when they would not fit in an answer, -1.
 */
static int
sqlite_users_groups(const struct query *q, const struct query_schema *schema,
    const struct query_sql *where, long long limit, long long offset,
    json_t **rows)
{
	struct query_sql	 sel, order;
	sqlite3_stmt		*st = NULL;
	json_t			*row;
	char			*text;
	size_t			 bytes = 0;
	int			 rv = -1, rc, at;

	*rows = NULL;
	query_sql_init(&sel);
	query_sql_init(&order);
	query_sql_add(&sel, "SELECT ");
	if (query_group_sql(q, schema, &sel) == -1 ||
	    query_group_order_sql(q, schema, &order) == -1)
		goto done;
	query_sql_add(&sel, " FROM users WHERE ");
	query_sql_add(&sel, where->len > 0 ? where->text : "1");
	if (order.len > 0)
		query_sql_add(&sel, order.text);
	query_sql_add(&sel, " LIMIT ? OFFSET ?");
	at = 1 + (int)where->nbinds + (int)order.nbinds;
	/* Only where binds values: the select list and order are names. */
	if (sel.error || where->error || order.error || sel.nbinds > 0 ||
	    sqlite3_prepare_v2(store_db, sel.text, -1, &st, NULL) !=
	    SQLITE_OK || query_sql_apply(st, where, 1) == -1 ||
	    query_sql_apply(st, &order, 1 + (int)where->nbinds) == -1 ||
	    sqlite3_bind_int64(st, at, limit) != SQLITE_OK ||
	    sqlite3_bind_int64(st, at + 1, offset) != SQLITE_OK) {
		log_warnx("store: users groups: %s", st == NULL ?
		    sqlite3_errmsg(store_db) : "cannot bind");
		goto done;
	}
	if ((*rows = json_array()) == NULL)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((row = query_group_row(q, st)) == NULL ||
		    (text = json_dumps(row, JSON_COMPACT)) == NULL) {
			json_decref(row);
			rc = SQLITE_NOMEM;
			break;
		}
		bytes += strlen(text) + 1;
		free(text);
		if (bytes > USERS_ANSWER_MAX) {
			json_decref(row);
			rv = -2;
			rc = SQLITE_ABORT;
			break;
		}
		json_array_append_new(*rows, row);
	}
	if (rc == SQLITE_DONE)
		rv = 0;
	else if (rv != -2)
		log_warnx("store: users groups: %s", sqlite3_errmsg(store_db));
 done:
	sqlite3_finalize(st);
	query_sql_free(&sel);
	query_sql_free(&order);
	if (rv != 0) {
		json_decref(*rows);
		*rows = NULL;
	}
	return rv;
}

/*
 * Bind a page (limit and offset at parameters at, at + 1), walk its
 * rows, each one JSON text, and finalize the statement.
 */
static int
store_select_json(sqlite3_stmt *st, int at, long long limit,
    long long offset, store_json_cb cb, void *arg)
{
	const char	*t;
	int		 rv;

	if (sqlite3_bind_int64(st, at, limit) != SQLITE_OK ||
	    sqlite3_bind_int64(st, at + 1, offset) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rv = sqlite3_step(st)) == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(st, 0);
		if (t == NULL || cb(arg, t) == -1) {
			rv = SQLITE_ABORT;
			break;
		}
	}
	if (rv != SQLITE_DONE && rv != SQLITE_ABORT)
		log_warnx("store: query: %s", sqlite3_errmsg(store_db));
	sqlite3_finalize(st);
	return rv == SQLITE_DONE ? 0 : -1;
}

/* How many users match where. */
static int
sqlite_users_count(const struct query_sql *where, int64_t *n)
{
	sqlite3_stmt	*st;
	int		 rv;

	if ((st = store_select_prepare("users", "count(*)", where, NULL)) ==
	    NULL)
		return -1;
	if ((rv = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rv == SQLITE_ROW ? 0 : -1;
}

/* A finished mail into the outbox; *id is its row. */
static int
sqlite_outbox_insert(const struct store_mail *m, int64_t now, int64_t *id)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_OUTBOX_INSERT, m->kind, m->user)) == NULL ||
	    sqlite3_bind_text(st, 3, m->rcpt, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_blob(st, 4, m->data, (int)m->len, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, m->expires) != SQLITE_OK ||
	    store_done(st) == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(store_db);
	return 0;
}

/*
 * The mail of the outbox due first (maybe not yet: see next_try), or
 * the one of row id if id is not 0, with its data in a copy the caller
 * frees; 1 when there is none, -2 for a row to drop.
 */
static int
sqlite_outbox_next(int64_t id, struct store_mail *m)
{
	sqlite3_stmt	*st;
	const void	*data;
	int		 rv, len;

	memset(m, 0, sizeof(*m));
	if ((st = store_bind(ST_OUTBOX_NEXT, NULL, NULL)) == NULL ||
	    (id != 0 && sqlite3_bind_int64(st, 1, id) != SQLITE_OK))
		return -1;
	if ((rv = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rv == SQLITE_DONE ? 1 : -1;
	}
	m->id = sqlite3_column_int64(st, 0);
	data = sqlite3_column_blob(st, 4);
	len = sqlite3_column_bytes(st, 4);
	if (store_copy(m->kind, sizeof(m->kind), st, 1) == -1 ||
	    store_copy(m->user, sizeof(m->user), st, 2) == -1 ||
	    store_copy(m->rcpt, sizeof(m->rcpt), st, 3) == -1 ||
	    len < 0 || (size_t)len > STORE_MAIL_MAX ||
	    (m->data = malloc(len > 0 ? (size_t)len : 1)) == NULL) {
		sqlite3_reset(st);
		log_warnx("store: outbox row %lld is unusable",
		    (long long)m->id);
		return -2;
	}
	if (len > 0)
		memcpy(m->data, data, (size_t)len);
	m->len = (size_t)len;
	m->expires = sqlite3_column_int64(st, 5);
	m->attempts = sqlite3_column_int(st, 6);
	m->next_try = sqlite3_column_int64(st, 7);
	sqlite3_reset(st);
	return 0;
}

static int
sqlite_outbox_delete(int64_t id)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_OUTBOX_DELETE, NULL, NULL)) == NULL ||
	    sqlite3_bind_int64(st, 1, id) != SQLITE_OK)
		return -1;
	return store_done(st);
}

static int
sqlite_outbox_retry(int64_t id, int64_t next_try, const char *error)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_OUTBOX_RETRY, NULL, NULL)) == NULL ||
	    sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, next_try) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC) != SQLITE_OK)
		return -1;
	return store_done(st);
}

static int
sqlite_outbox_list(store_row_cb cb, void *arg)
{
	return store_rows(store_bind(ST_OUTBOX_LIST, NULL, NULL), 7, cb,
	    arg);
}

/* Every mail due now; the number of them in *n. */
static int
sqlite_outbox_flush(int64_t *n)
{
	if (store_done(store_bind(ST_OUTBOX_FLUSH, NULL, NULL)) == -1)
		return -1;
	*n = sqlite3_changes(store_db);
	return 0;
}

/* How many mails of this kind for this user wait in the outbox. */
static int
sqlite_outbox_pending(const char *user, const char *kind, int64_t *n)
{
	return store_int(ST_OUTBOX_PENDING, n, user, kind) == 0 ? 0 : -1;
}

/*
 * The user's one live mail token of this scope is jti, until expires;
 * an earlier one of the scope dies.
 */
static int
sqlite_token_set(const char *user, const char *scope, const char *jti,
    int64_t expires)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_TOKEN_SET, user, scope)) == NULL ||
	    sqlite3_bind_text(st, 3, jti, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, expires) != SQLITE_OK) {
		if (st != NULL)
			sqlite3_reset(st);
		return -1;
	}
	return store_done(st);
}

/* The jti of the user's live token of scope at now; 1 when none. */
static int
sqlite_token_get(const char *user, const char *scope, int64_t now,
    char *jti, size_t len)
{
	sqlite3_stmt	*st;
	int		 rv;

	if ((st = store_bind(ST_TOKEN_GET, user, scope)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 3, now) != SQLITE_OK) {
		sqlite3_reset(st);
		return -1;
	}
	if ((rv = sqlite3_step(st)) == SQLITE_ROW)
		rv = store_copy(jti, len, st, 0) == -1 ? -1 : 0;
	else
		rv = rv == SQLITE_DONE ? 1 : -1;
	sqlite3_reset(st);
	return rv;
}

/* The user's live token of scope gone; of every scope when NULL. */
static int
sqlite_token_delete(const char *user, const char *scope)
{
	return store_done(store_bind(ST_TOKEN_DELETE, user, scope));
}

/*
 * One event of the audit trail (audit.c), in whatever transaction is
 * open: a login's or a refresh's own, so that it costs no sync of its
 * own.  "" (or NULL) stores NULL.
 */
static int
sqlite_audit_insert(const struct store_audit *a)
{
	const char	*text[] = { a->ip, a->agent, a->origin, a->collection,
			    a->item, a->reason };
	sqlite3_stmt	*st;
	size_t		 i;

	if ((st = store_bind(ST_AUDIT_INSERT, a->action,
	    a->user != NULL ? a->user : "")) == NULL ||
	    sqlite3_bind_int64(st, 3, a->timestamp) != SQLITE_OK)
		return -1;
	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (sqlite3_bind_text(st, 4 + (int)i, text[i] != NULL ?
		    text[i] : "", -1, SQLITE_STATIC) != SQLITE_OK)
			return -1;
	return store_done(st);
}

static int
sqlite_audits_insert(const struct store_audit *a, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (sqlite_audit_insert(&a[i]) == -1)
			return -1;
	return 0;
}

/* The events older than before go; *n is how many. */
static int
sqlite_audit_prune(int64_t before, int64_t *n)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_AUDIT_PRUNE, NULL, NULL)) == NULL ||
	    sqlite3_bind_int64(st, 1, before) != SQLITE_OK ||
	    store_done(st) == -1)
		return -1;
	*n = sqlite3_changes(store_db);
	return 0;
}

/*
 * The events after row after, oldest first, at most limit: id, time,
 * action, user, item, ip, reason, origin, user agent.
 */
static int
sqlite_audit_list(int64_t after, int64_t limit, store_row_cb cb, void *arg)
{
	sqlite3_stmt	*st;

	if ((st = store_bind(ST_AUDIT_LIST, NULL, NULL)) == NULL ||
	    sqlite3_bind_int64(st, 1, after) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, limit) != SQLITE_OK)
		return -1;
	return store_rows(st, 9, cb, arg);
}

/* Field i's SQL in the store's dialect, or NULL (revisions). */
static const char *
store_audit_expr(size_t i)
{
	if (!store_audit_fields[i].time)
		return store_audit_fields[i].column;
	return store_dialect() == QUERY_PG ? pg_audit_time : STORE_AUDIT_TIME;
}

/* A field's SQL in /activity filters and sorts, or NULL. */
const char *
store_audit_column(const char *field)
{
	size_t	 i;

	for (i = 0; i < STORE_AUDIT_NFIELDS; i++)
		if (strcmp(store_audit_fields[i].name, field) == 0)
			return store_audit_expr(i);
	return NULL;
}

/* Is it a field of /activity (revisions too)? */
int
store_audit_field(const char *field)
{
	size_t	 i;

	for (i = 0; i < STORE_AUDIT_NFIELDS; i++)
		if (strcmp(store_audit_fields[i].name, field) == 0)
			return 1;
	return 0;
}

/*
 * The JSON of an event, as Directus's activity, for a SELECT in the
 * store's dialect (both stores' audit_select).
 */
char *
store_audit_json(void)
{
	struct query_sql	 q;
	const char		*expr;
	size_t			 i;
	int			 pg = store_dialect() == QUERY_PG;

	query_sql_init_dialect(&q, store_dialect());
	query_sql_add(&q, pg ? "json_build_object(" : "json_object(");
	for (i = 0; i < STORE_AUDIT_NFIELDS; i++) {
		query_sql_add(&q, i > 0 ? ", '" : "'");
		query_sql_add(&q, store_audit_fields[i].name);
		query_sql_add(&q, "', ");
		expr = store_audit_expr(i);
		query_sql_add(&q, expr != NULL ? expr : pg ? "'[]'::json" :
		    "json('[]')");
	}
	query_sql_add(&q, ")");
	if (q.error) {
		query_sql_free(&q);
		return NULL;
	}
	return q.text;
}

/* The events matching where, ordered, one page, as in store_users_select. */
static int
sqlite_audit_select(const struct query_sql *where,
    const struct query_sql *order, long long limit, long long offset,
    store_json_cb cb, void *arg)
{
	sqlite3_stmt	*st;
	char		*json;

	if ((json = store_audit_json()) == NULL)
		return -1;
	st = store_select_prepare("audit", json, where, order);
	free(json);
	if (st == NULL)
		return -1;
	return store_select_json(st, 1 + (int)where->nbinds +
	    (int)order->nbinds, limit, offset, cb, arg);
}

/* How many events match where. */
static int
sqlite_audit_count(const struct query_sql *where, int64_t *n)
{
	sqlite3_stmt	*st;
	int		 rv;

	if ((st = store_select_prepare("audit", "count(*)", where, NULL)) ==
	    NULL)
		return -1;
	if ((rv = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rv == SQLITE_ROW ? 0 : -1;
}

/*
 * The counts of lockout.c shared by the hosts of one store: one host
 * has nothing to share (1: keep the count in memory).
 */
static int
sqlite_lockout_fail(char kind, const char *key, int64_t now, int64_t lockout,
    int64_t attempts, int64_t *failures, int64_t *until)
{
	return 1;
}

static int
sqlite_lockout_wait(char kind, const char *key, int64_t until)
{
	return 1;
}

static int
sqlite_lockout_get(char kind, const char *key, int64_t now, int64_t lockout,
    int64_t *failures, int64_t *until)
{
	return 1;
}

static int
sqlite_lockout_clear(char kind, const char *key)
{
	return 1;
}

/* rate-limit-shared: nothing to share; the workers count. */
static int
sqlite_rate_hit(const char *address, int64_t now, int64_t duration,
    int64_t *count, int64_t *reset)
{
	return 1;
}

const struct store_backend store_sqlite = {
	.name = "SQLite",
	.open = sqlite_open,
	.close = sqlite_close,
	.rollback = sqlite_rollback,
#define STORE_SQLITE_OP(n, p, a)	.n = sqlite_##n,
	STORE_OPS(STORE_SQLITE_OP)
#undef STORE_SQLITE_OP
};
