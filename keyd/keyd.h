/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * keyd: the only holder of the signing secret and the credential
 * database.  keyd.c is the dispatcher, secret.c loads the secret,
 * rotate.c rotates the signing keys and keeps their state, store.c is
 * the credential store behind the store_* interface.
 */
#ifndef KEYD_H
#define KEYD_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "frame.h"
#include "proto.h"

/* Defaults */
#define KEYD_SECRET_MIN		32	/* bytes */
#define KEYD_SECRET_MAX		4096
#define KEYD_SECRET_NEW		32	/* bytes of a generated secret */
/*
 * The key of the refresh tokens' MACs (auth.c) is HMAC-SHA256 of this
 * label under the secret: the same on every host that shares it.
 * bench/scale/gen.py reads the label from this line.
 */
#define KEYD_REFRESH_LABEL	"tokend refresh v1"
#define KEYD_REFRESH_KEY_LEN	32
#define KEYD_SIGNKEY_MAX	16384	/* bytes of a PEM signing key */
#define KEYD_CHANNELS_MAX	CONF_PREFORK_MAX
/* The built-in administrator role (admin and app access). */
#define KEYD_ADMIN_ROLE		CONF_ADMIN_ROLE_ID

/*
 * Answers queued for one worker that its socket did not take yet: past
 * KEYD_OUT_HIGH keyd stops reading that worker's channel until they are
 * down to KEYD_OUT_LOW (frame_chan_set_outcap()).
 */
#define KEYD_OUT_HIGH		(4 * 1024 * 1024)
#define KEYD_OUT_LOW		(1024 * 1024)

/*
 * An invalidation a worker's socket cannot take at once waits in that
 * worker's output, and the answer to the change waits for it
 * (keyd_push()).  A worker whose socket has not taken it after
 * KEYD_PUSH_WAIT_MS, or that is over the cap or KEYD_PUSH_MARKS
 * invalidations behind, loses its channel.
 */
#define KEYD_PUSH_WAIT_MS	500
#define KEYD_PUSH_TICK_MS	1
#define KEYD_PUSH_MARKS		64

/* What keyd remembers to send the workers (invalidate.c). */
#define KEYD_VOUCH_SETS		1024	/* sessions vouched for: sets ... */
#define KEYD_VOUCH_WAYS		4	/* ... of this many */
#define KEYD_BATCH_MAX		256	/* refreshes in one group commit */
#define KEYD_READERS		32	/* reader fibers (PostgreSQL, fiber.c) */

/* Failed logins (lockout.c): slots of each table, a power of two. */
#define LOCKOUT_SLOTS		8192
#define LOCKOUT_KEY_LEN		16	/* bytes of a keyed SHA-256 */
#define LOCKOUT_ADDR_LEN	48	/* an address as it is counted */
#define LOCKOUT_WHERE_MAX	(2 * LOCKOUT_ADDR_LEN + 1)	/* in hex */

#define STORE_ID_MAX		36
#define STORE_EMAIL_MAX		254
/* A user's own policy ids, blank-separated, in order (perm.h). */
#define STORE_POLICIES_MAX	AUTH_POLICIES_MAX
#define STORE_PHC_MAX		512
#define STORE_HASH_LEN		32	/* SHA-256 of refresh and static tokens */
#define STORE_MAIL_MAX		MAIL_DATA_MAX	/* bytes of one mail */

/*
 * The outbox (mail.c): a mail is tried again after a temporary failure
 * with a back-off from MAIL_RETRY_MIN_MS that doubles up to
 * MAIL_RETRY_MAX_MS, until it expires.
 */
#define MAIL_RETRY_MIN_MS	1000
#define MAIL_RETRY_MAX_MS	(5 * 60 * 1000)
#define MAIL_TEMPLATE_MAX	(16 * 1024)	/* bytes of a template file */

/* One event of the audit trail (audit.c); NULL or "" for none. */
struct store_audit {
	const char	*action;	/* AUDIT_* */
	const char	*user;		/* who did it */
	int64_t		 timestamp;	/* ms since the epoch */
	const char	*ip;
	const char	*agent;
	const char	*origin;
	const char	*collection;	/* what it was done to */
	const char	*item;
	const char	*reason;	/* the operator's only: tokenctl */
};

/* Where a request came from, as the worker saw it (audit.c). */
struct audit_client {
	char		 ip[AUTH_TEXT_MAX + 1];
	char		 agent[AUTH_TEXT_MAX + 1];
	char		 origin[AUTH_TEXT_MAX + 1];
};

/*
 * The actions of the audit trail: Directus's "login", "create" and
 * "delete" (of a user, collection directus_users), and ours.
 */
#define AUDIT_LOGIN		"login"
#define AUDIT_LOGIN_FAILED	"login_failed"
#define AUDIT_LOGOUT		"logout"
#define AUDIT_REFRESH		"refresh"
#define AUDIT_REFRESH_REUSE	"refresh_reuse"
#define AUDIT_SUSPEND		"suspend"
#define AUDIT_ACTIVATE		"activate"	/* a suspended user again */
#define AUDIT_PASSWORD		"password"
#define AUDIT_TFA_ENABLE	"tfa_enable"
#define AUDIT_TFA_DISABLE	"tfa_disable"
#define AUDIT_TFA_RECOVERY	"tfa_recovery_codes"
#define AUDIT_TOKEN		"static_token"
#define AUDIT_SESSION_REVOKE	"session_revoke"
#define AUDIT_CREATE		"create"
#define AUDIT_DELETE		"delete"
#define AUDIT_RELOAD		"config_reload"
#define AUDIT_INVITE		"invite"
#define AUDIT_INVITE_ACCEPT	"invite_accept"
#define AUDIT_REGISTER		"register"
#define AUDIT_VERIFY		"verify_email"
#define AUDIT_RESET_REQUEST	"password_reset_request"
#define AUDIT_RESET		"password_reset"

#define AUDIT_PRUNE_MAX_MS	(60 * 60 * 1000LL)	/* prune at least hourly */

/* What keyd needs of a user to authenticate it. */
struct store_user {
	char		 id[STORE_ID_MAX + 1];
	char		 email[STORE_EMAIL_MAX + 1];
	char		 password[STORE_PHC_MAX + 1];	/* "" when none */
	char		 status[16];
	char		 role[STORE_ID_MAX + 1];	/* "" when none */
	int		 has_tfa;
	char		 policies[STORE_POLICIES_MAX + 1];	/* its own */
};

/* A mail of the outbox. */
struct store_mail {
	int64_t		 id;
	char		 kind[32];	/* "password-reset", "invite", ... */
	char		 user[STORE_ID_MAX + 1];
	char		 rcpt[STORE_EMAIL_MAX + 1];
	uint8_t		*data;		/* CRLF text, not dot-stuffed */
	size_t		 len;
	int64_t		 expires;	/* ms since the epoch */
	int		 attempts;
	int64_t		 next_try;	/* ms since the epoch */
};

/*
 * A session row, found by its id (a refresh token of the current format
 * names it, auth.c) or by the hash of its token (a token of the format
 * before, from a store migrated with sessions under way).
 */
#define STORE_SALT_LEN	8
struct store_session {
	int64_t		 id;
	char		 user_id[STORE_ID_MAX + 1];
	int64_t		 expires;	/* ms since the epoch */
	uint8_t		 family[STORE_HASH_LEN];	/* its first token */
	int		 has_family;	/* begun with a token of the format before */
	uint8_t		 hash[STORE_HASH_LEN];	/* its live token of that format */
	int		 has_hash;
	int64_t		 gen;		/* its live token's generation */
	uint8_t		 salt[STORE_SALT_LEN];
	int64_t		 rotated;	/* its last rotation, 0 none */
};

/*
 * One refresh of a group commit, for store_sessions_rotate(): the live
 * generation gen of session sid (with its salt) of an active user moves
 * on by one (rotated 0, and u is its user), or nothing happens (1: not
 * live, or its user not active), or it failed (-1).  The operation
 * returns -1, nothing done, when the group as a whole failed: the
 * caller then takes the refreshes one by one.  old is the session key
 * of the token presented (auth_session_key()).
 */
struct store_rotation {
	int64_t			 sid;
	int64_t			 gen;
	uint8_t			 salt[STORE_SALT_LEN];
	uint8_t			 old[STORE_HASH_LEN];
	struct store_user	 u;
	int			 rotated;
};

/* The counts one login touches (lockout.c), by their keys. */
struct lockout_login {
	uint8_t		 address[LOCKOUT_KEY_LEN];
	uint8_t		 account[LOCKOUT_KEY_LEN];
	uint8_t		 pair[LOCKOUT_KEY_LEN];	/* account from address */
	int		 exempt;	/* the last active administrator */
	int		 pending;	/* LOCKOUT_PENDING_*: under way */
	/* The shared counts' keys (store_lockout_*), by kind. */
	char		 email[STORE_EMAIL_MAX + 1];		/* 'u' */
	char		 where[LOCKOUT_WHERE_MAX];		/* 'a' */
	char		 pair_key[LOCKOUT_WHERE_MAX + STORE_EMAIL_MAX + 1]; /* 'p' */
};
/* The kinds of shared counts. */
#define LOCKOUT_KIND_ACCOUNT	'u'
#define LOCKOUT_KIND_ADDRESS	'a'
#define LOCKOUT_KIND_PAIR	'p'
#define LOCKOUT_PENDING_ADDRESS	0x1
#define LOCKOUT_PENDING_PAIR	0x2

/* login-attempts (0: no counts at all) and login-lockout. */
struct lockout_policy {
	int		 attempts;
	int64_t		 lockout;	/* ms */
};

/* Why a login waits. */
enum lockout_why {
	LOCKOUT_NONE,
	LOCKOUT_ADDRESS,	/* its address failed too often */
	LOCKOUT_ACCOUNT,	/* it failed on this account just now */
	LOCKOUT_LOCKED,		/* it failed on this locked account */
	LOCKOUT_BUSY,		/* its logins under way are enough */
};

struct keyd_secret {
	uint8_t		*key;
	size_t		 len;
};

/* One worker's channel, known by slot and generation. */
/*
 * keyd_push(): an invalidation (push number seq), sent at time at, is in
 * the worker's socket once the output up to mark is written.
 */
struct keyd_mark {
	uint64_t		 seq;
	uint64_t		 mark;
	int64_t			 at;
};

/* An answer held until every worker's socket holds push wait. */
struct keyd_held {
	TAILQ_ENTRY(keyd_held)	 entry;
	uint64_t		 wait;
	uint32_t		 type;
	uint32_t		 id;
	struct frame_buf	 fb;
};
TAILQ_HEAD(keyd_held_list, keyd_held);

struct keyd_chan {
	TAILQ_ENTRY(keyd_chan)	 entry;
	struct frame_chan	*chan;
	uint64_t		 serial;	/* unique for keyd's lifetime */
	uint32_t		 slot;
	uint32_t		 generation;
	uint32_t		 pid;
	struct keyd_mark	 marks[KEYD_PUSH_MARKS];	/* oldest first */
	size_t			 nmarks;
	struct keyd_held_list	 held;		/* oldest first */
	size_t			 held_bytes;
	int			 busy;		/* the fiber's job holds it */
	int			 gone;		/* freed when that job ends */
};
TAILQ_HEAD(keyd_chan_list, keyd_chan);

/*
 * keyd's request handlers: the K(s, handler) of proto.h's declarations,
 * which make keyd's request table (keyd.c).  A handler gets the channel
 * of the peer the message was declared from (the parent's for
 * MSG_CTL_ADMIN); -1 closes that channel as hostile.
 */
typedef int	 keyd_handler(struct keyd_chan *, struct frame *);
#define KEYD_HANDLER_PROTO(s, handler)	keyd_handler handler;
#define KEYD_HANDLER_PROTOS(T, n)					\
	MSG_DECL_##T(MSG_SKIP, KEYD_HANDLER_PROTO, MSG_SKIP, _)
MSG_LIST(KEYD_HANDLER_PROTOS)

/*
 * What a user record holds (user_schema.c): one row per field, in the
 * order of the user's JSON.  The store builds its columns, its updates
 * and the user's JSON from it; the /users code its policy.
 */
enum user_kind {
	UK_ID,			/* a uuid, given on create only */
	UK_TEXT,		/* string or null */
	UK_EMAIL,		/* a unique, valid email */
	UK_PASSWORD,		/* hashed here */
	UK_TAGS,		/* array of strings, or null */
	UK_BOOL,
	UK_STATUS,		/* one of user_statuses */
	UK_ROLE,		/* null, or a configured or the built-in role */
	UK_TOKEN,		/* stored as its SHA-256 */
	UK_TIME,		/* ms since the epoch, read as ISO 8601 */
	UK_NONE,		/* no column: always null */
	UK_POLICIES,		/* its access rows: the table user_policies */
};

#define UF_CONCEALED		0x01	/* "**********" or null; admins only */
#define UF_SELF_WRITABLE	0x02	/* PATCH /users/me */
#define UF_ADMIN_WRITABLE	0x04	/* /users, within the permission */
#define UF_READ_ONLY		0x08	/* keyd's own: "can't change manually" */
#define UF_SORTABLE		0x10	/* in /users filters and sorts */
#define UF_CREATE_ONLY		0x20	/* given on create, never changed */
#define UF_ADMIN_ONLY		0x40	/* written by administrators only */

struct user_field {
	const char	*name;
	const char	*column;	/* NULL: not stored */
	enum user_kind	 kind;
	int		 flags;
	size_t		 bound;		/* bytes of a string, items of tags */
};

/* keyd.c */
const struct tokend_config *keyd_conf(void);
const uint8_t	*keyd_ticket_key(void);
const uint8_t	*keyd_refresh_key(void);
struct keyd_chan *keyd_chan_find(uint64_t);
void		 keyd_push(uint32_t, const struct frame_buf *);
void		 keyd_keys_push(void);
uint64_t	 keyd_push_pending(void);
void		 keyd_push_resume(uint64_t);

/*
 * invalidate.c: the one hook for every change of a user or a session.
 * Call it after the change and before answering the request that made
 * it: invalidate_user() for anything in a user's row (status, role,
 * email, password, static token, profile, last access, deletion),
 * invalidate_session() with the SHA-256 of a refresh token that was
 * rotated or whose session ended, invalidate_sessions() when sessions
 * ended that cannot be named, invalidate_all() when roles may differ.
 */
void		 invalidate_user(const char *);
void		 invalidate_session(const uint8_t *);
void		 invalidate_sessions_rotated(const uint8_t *, size_t);
void		 invalidate_sessions(void);
void		 invalidate_all(void);
void		 invalidate_apply(uint8_t, const void *, size_t);
int64_t		 invalidate_vouch(const uint8_t *, int64_t, int64_t);

/*
 * batch.c: group commit of refreshes.  A held answer is sent once the
 * batch is committed; if the commit fails, fail() answers instead and
 * undo() (may be NULL) takes back what the request did outside the
 * database, given the key it was held with.
 */
int		 batch_init(struct event_base *);
int		 batch_begin(void);
void		 batch_hold(struct keyd_chan *, uint32_t, uint32_t,
		    const struct frame_buf *,
		    void (*)(struct keyd_chan *, uint32_t),
		    void (*)(const uint8_t *), const uint8_t *);
void		 batch_commit(void);

/* auth.c (and the handlers keyd_auth_verify, _login, _refresh, _logout) */
void		 auth_init(void);
size_t		 auth_refresh_queued(void);
void		 auth_refresh_flush(void);
int		 auth_tfa_enforced(const struct store_user *);
int		 auth_role_access(const char *, int *, int *);
int		 auth_user_access(const struct store_user *, int *, int *);
int		 auth_policies_access(const char *, const char *, int *, int *);
int		 auth_user_access_from(const struct store_user *, const char *,
		    int *, int *);
void		 auth_session_id(const uint8_t *, char *, size_t);
int		 auth_session_hash(const char *, uint8_t *);
void		 auth_session_key(int64_t, int64_t, const uint8_t *, uint8_t *);
int64_t		 auth_session_key_id(const uint8_t *);
void		 auth_session_current(const struct store_session *, uint8_t *);
int		 auth_identify_cred(const struct msg_cred *, uint32_t *,
		    struct store_user *, char *, int64_t *);
int		 auth_identify_cred_public(const struct msg_cred *, uint32_t *,
		    struct store_user *, char *, int *);
void		 auth_who_set(struct msg_who *, uint32_t,
		    const struct store_user *, const char *, int64_t,
		    uint8_t *);

void		 auth_lockout_policy(struct lockout_policy *);
void		 users_result_write(struct keyd_chan *, uint32_t, uint32_t,
		    const char *, const char *);

/* lockout.c */
int		 lockout_login(struct lockout_login *, const char *,
		    const char *);
int64_t		 lockout_check(const struct lockout_login *,
		    const struct lockout_policy *, int64_t, enum lockout_why *,
		    int *);
int		 lockout_failed(const struct lockout_login *,
		    const struct lockout_policy *, int64_t);
void		 lockout_succeeded(const struct lockout_login *,
		    const struct lockout_policy *, int64_t);
void		 lockout_begin(struct lockout_login *,
		    const struct lockout_policy *, int64_t);
void		 lockout_finish(struct lockout_login *,
		    const struct lockout_policy *, int64_t);
void		 lockout_forget(const char *);
uint64_t	 lockout_evicted(void);

/* tfa.c */
int		 tfa_init(const char *, uid_t, gid_t);
void		 tfa_free(void);
int		 tfa_seal(const char *, const char *, char *, size_t);
int		 tfa_seal_imported(void);
uint32_t	 tfa_login(const struct store_user *, const char *);
int		 tfa_disable_user(const char *);

/* user_schema.c */
extern const struct user_field	 user_fields[];
extern const size_t		 user_nfields;
const struct user_field *user_field(const char *);
int		 user_value_valid(const struct user_field *, json_t *);
uint32_t	 user_patch_parse(const uint8_t *, size_t, int, json_t **,
		    json_t **, char *, size_t);

/*
 * users.c: /users, and /users/me as its target "self"; the handlers
 * user_get, user_update and users_request are declared from proto.h.
 */
int		 users_page_add(json_t *, size_t *, int *, json_t *);
int		 users_invite_user(const char *, const char *, const char *,
		    int64_t, const char *, const char *,
		    const struct audit_client *);

/*
 * mail.c: the outbox, its mails and their tokens (and the handlers
 * mail_password_request and mail_token_use).
 */
void		 mail_templates_load(void);
void		 mail_init(struct event_base *);
int		 mail_channel(struct frame_chan *, struct frame *);
void		 mail_kick(void);
void		 mail_done(struct keyd_chan *, uint32_t, uint32_t);
int		 mail_waiting(enum mail_kind, const char *);
int		 mail_queue(enum mail_kind, const struct store_user *,
		    const char *, int64_t);

/* register.c: the handler register_request. */

/*
 * audit.c: the audit trail.  audit_user() records an event done by
 * user (NULL: nobody logged in, or the operator) to the user subject
 * (NULL: none), in the transaction that is open, if any.
 */
void		 audit_init(struct event_base *);
void		 audit_user(const char *, const char *, const char *,
		    const struct audit_client *, const char *);
void		 audit_users(const char *, const char *const *,
		    const struct audit_client *const *, size_t);
void		 audit_event(const char *);
void		 audit_client_copy(struct audit_client *,
		    const struct msg_client *);
struct query;
struct query_vars;
struct query_schema;
uint32_t	 audit_activity(const char *, const struct query *,
		    const struct query_vars *, int, char *, size_t, char **);
int		 audit_list(int64_t, char *, size_t);

/* admin.c (and the handler keyd_admin_request) */
void		 admin_uuid(char *);

/* rotate.c */
struct event_base;
void		 rotate_load(const char *, const char *, uid_t, gid_t);
void		 rotate_load_none(void);
void		 rotate_start(struct event_base *);
int		 rotate_key(char *, size_t);
int		 rotate_list(char *, size_t);
int64_t		 rotate_overlap(void);

/* secret.c */
int		 secret_load(const char *, uid_t, gid_t, struct keyd_secret *);
void		 secret_free(struct keyd_secret *);
void		 secret_refresh_key(const struct keyd_secret *, uint8_t *);
struct evp_pkey_st *signkey_load(const char *, int, uid_t, gid_t);
int		 secret_load_existing(const char *, uid_t,
		    struct keyd_secret *);
struct evp_pkey_st *signkey_load_existing(const char *, uid_t);
struct evp_pkey_st *signkey_new(int);
int		 signkey_write(int, struct evp_pkey_st *);

#define STORE_ROW_COLS		10
#define STORE_NOT_UNIQUE	(-2)
typedef void	(*store_row_cb)(void *, const char **, int);
typedef int	(*store_json_cb)(void *, const char *);
struct query_sql;
#define STORE_ROLE_USERS_MAX	20000	/* a role's users keyd lists */

/*
 * The credential store: one interface, two backends.  store.c keeps it
 * in SQLite (the default), store_pg.c in PostgreSQL (a database named
 * by a postgresql:// URI, CONF_DATABASE_PG()).  STORE_OPS lists the
 * operations, each as X(name, parameters, arguments); store_backend.c
 * defines store_<name>() for each one, which calls the open backend's,
 * or fails (-1, with a log line) where that backend has none yet.
 * Every one returns 0, 1 for "no such row", or -1.
 */
#define STORE_OPS(X)							\
	X(health, (void), ())                                                 \
	X(schema_version, (void), ())                                         \
	X(begin, (void), ())                                                  \
	X(commit, (void), ())                                                 \
	X(batch_begin, (void), ())                                            \
	X(batch_commit, (void), ())                                           \
	X(user_by_email, (const char *a0, struct store_user *a1), (a0, a1))   \
	X(user_by_id, (const char *a0, struct store_user *a1), (a0, a1))      \
	X(user_by_token, (const uint8_t *a0, struct store_user *a1), (a0,     \
	    a1))                                                              \
	X(user_json, (const char *a0, char **a1), (a0, a1))                   \
	X(user_access_rows, (const char *a0, char **a1), (a0, a1))            \
	X(role_users, (const char *a0, char **a1), (a0, a1))                  \
	X(user_count, (int64_t *a0), (a0))                                    \
	X(user_insert, (const char *a0, const char *a1, const char *a2,       \
	    const char *a3), (a0, a1, a2, a3))                                \
	X(user_set_status, (const char *a0, const char *a1), (a0, a1))        \
	X(user_tfa_get, (const char *a0, char *a1, size_t a2, int64_t *a3),   \
	    (a0, a1, a2, a3))                                                 \
	X(user_tfa_set, (const char *a0, const char *a1), (a0, a1))           \
	X(user_tfa_step, (const char *a0, int64_t a1), (a0, a1))              \
	X(users_tfa_plain, (const char *a0, store_row_cb a1, void *a2),       \
	    (a0, a1, a2))                                                     \
	X(tfa_recovery_clear, (const char *a0), (a0))                         \
	X(tfa_recovery_add, (const char *a0, const uint8_t *a1), (a0, a1))    \
	X(tfa_recovery_use, (const char *a0, const uint8_t *a1), (a0, a1))    \
	X(session_insert, (const uint8_t *a0, const char *a1, int64_t a2,     \
	    const char *a3, const char *a4, const char *a5, int64_t *a6),     \
	    (a0, a1, a2, a3, a4, a5, a6))                                     \
	X(session_get, (const uint8_t *a0, int64_t a1,                        \
	    struct store_session *a2), (a0, a1, a2))                          \
	X(session_by_id, (int64_t a0, int64_t a1, struct store_session *a2),  \
	    (a0, a1, a2))                                                     \
	X(session_rotate, (const struct store_session *a0,                    \
	    const uint8_t *a1, const uint8_t *a2, int64_t a3, int64_t a4),    \
	    (a0, a1, a2, a3, a4))                                             \
	X(session_advance, (const struct store_rotation *a0, int64_t a1,      \
	    int64_t a2), (a0, a1, a2))                                        \
	X(sessions_rotate, (struct store_rotation *a0, size_t a1, int64_t a2, \
	    int64_t a3), (a0, a1, a2, a3))                                    \
	X(retired_get, (const uint8_t *a0, int64_t a1, uint8_t *a2,           \
	    int64_t *a3), (a0, a1, a2, a3))                                   \
	X(family_delete, (const uint8_t *a0), (a0))                           \
	X(family_user, (const uint8_t *a0, char *a1, size_t a2), (a0, a1,     \
	    a2))                                                              \
	X(family_live, (const uint8_t *a0, int64_t a1, const char *a2),       \
	    (a0, a1, a2))                                                     \
	X(session_delete, (const uint8_t *a0), (a0))                          \
	X(sessions_delete_user, (const char *a0), (a0))                       \
	X(sessions_expire, (int64_t a0), (a0))                                \
	X(user_set_password, (const char *a0, const char *a1), (a0, a1))      \
	X(user_set_token, (const char *a0, const uint8_t *a1), (a0, a1))      \
	X(user_delete, (const char *a0), (a0))                                \
	X(user_touch, (const char *a0, int64_t a1), (a0, a1))                 \
	X(user_list, (store_row_cb a0, void *a1), (a0, a1))                   \
	X(session_list, (const char *a0, int64_t a1, store_row_cb a2,         \
	    void *a3), (a0, a1, a2, a3))                                      \
	X(session_revoke, (int64_t a0), (a0))                                 \
	X(sessions_own, (const char *a0, int64_t a1, store_row_cb a2,         \
	    void *a3), (a0, a1, a2, a3))                                      \
	X(session_own, (const char *a0, int64_t a1, int64_t a2,               \
	    struct store_session *a3), (a0, a1, a2, a3))                      \
	X(user_set_field, (const char *a0, const char *a1, json_t *a2),       \
	    (a0, a1, a2))                                                     \
	X(sessions_delete_others, (const char *a0, const uint8_t *a1,         \
	    int64_t a2), (a0, a1, a2))                                        \
	X(user_set_role, (const char *a0, const char *a1), (a0, a1))          \
	X(user_policy_add, (const char *a0, const char *a1,                   \
	    const char *a2), (a0, a1, a2))                                    \
	X(user_policy_del, (const char *a0, const char *a1), (a0, a1))        \
	X(user_policies_clear, (const char *a0), (a0))                        \
	X(user_access_del, (const char *a0, const char *a1), (a0, a1))        \
	X(user_policy_count, (const char *a0, int64_t *a1), (a0, a1))         \
	X(users_admins, (store_row_cb a0, void *a1), (a0, a1))                \
	X(outbox_insert, (const struct store_mail *a0, int64_t a1,            \
	    int64_t *a2), (a0, a1, a2))                                       \
	X(outbox_next, (int64_t a0, struct store_mail *a1), (a0, a1))         \
	X(outbox_delete, (int64_t a0), (a0))                                  \
	X(outbox_retry, (int64_t a0, int64_t a1, const char *a2), (a0, a1,    \
	    a2))                                                              \
	X(outbox_list, (store_row_cb a0, void *a1), (a0, a1))                 \
	X(outbox_flush, (int64_t *a0), (a0))                                  \
	X(outbox_pending, (const char *a0, const char *a1, int64_t *a2),      \
	    (a0, a1, a2))                                                     \
	X(token_set, (const char *a0, const char *a1, const char *a2,         \
	    int64_t a3), (a0, a1, a2, a3))                                    \
	X(token_get, (const char *a0, const char *a1, int64_t a2, char *a3,   \
	    size_t a4), (a0, a1, a2, a3, a4))                                 \
	X(token_delete, (const char *a0, const char *a1), (a0, a1))           \
	X(users_select, (const struct query_sql *a0,                          \
	    const struct query_sql *a1, long long a2, long long a3,           \
	    store_json_cb a4, void *a5), (a0, a1, a2, a3, a4, a5))            \
	X(users_count, (const struct query_sql *a0, int64_t *a1), (a0, a1))   \
	X(users_groups, (const struct query *a0,                              \
	    const struct query_schema *a1, const struct query_sql *a2,        \
	    long long a3, long long a4, json_t **a5), (a0, a1, a2, a3, a4,    \
	    a5))                                                              \
	X(audit_insert, (const struct store_audit *a0), (a0))                 \
	X(audits_insert, (const struct store_audit *a0, size_t a1), (a0, a1)) \
	X(audit_prune, (int64_t a0, int64_t *a1), (a0, a1))                   \
	X(audit_list, (int64_t a0, int64_t a1, store_row_cb a2, void *a3),    \
	    (a0, a1, a2, a3))                                                 \
	X(audit_select, (const struct query_sql *a0,                          \
	    const struct query_sql *a1, long long a2, long long a3,           \
	    store_json_cb a4, void *a5), (a0, a1, a2, a3, a4, a5))            \
	X(audit_count, (const struct query_sql *a0, int64_t *a1), (a0, a1))   \
	X(lockout_fail, (char k, const char *a0, int64_t a1, int64_t a2,      \
	    int64_t a3, int64_t *a4, int64_t *a5), (k, a0, a1, a2, a3, a4,    \
	    a5))                                                              \
	X(lockout_wait, (char k, const char *a0, int64_t a1), (k, a0, a1))    \
	X(lockout_get, (char k, const char *a0, int64_t a1, int64_t a2,       \
	    int64_t *a3, int64_t *a4), (k, a0, a1, a2, a3, a4))               \
	X(lockout_clear, (char k, const char *a0), (k, a0))                   \
	X(rate_hit, (const char *a0, int64_t a1, int64_t a2, int64_t *a3,     \
	    int64_t *a4), (a0, a1, a2, a3, a4))

struct event_base;
struct store_backend {
	const char	*name;
	int		(*open)(const char *);
	void		(*close)(void);
	void		(*rollback)(void);
	/* Optional: other hosts' invalidations, and this one's to them. */
	int		(*listen)(struct event_base *);
	void		(*announce)(uint8_t, const void *, size_t);
	/* Optional: n rotated sessions' hashes (contiguous) at once. */
	void		(*announce_sessions)(const uint8_t *, size_t);
	int		(*down)(void);	/* the server is out of reach */
	int		(*stale)(void);	/* a reader's answer not to cache */
	void		(*user_json_ahead)(void);	/* a hint */
#define STORE_OP_MEMBER(n, p, a)	int (*n) p;
	STORE_OPS(STORE_OP_MEMBER)
#undef STORE_OP_MEMBER
};

/* fiber.c: the store's coroutines (PostgreSQL) */
int		 fiber_init(struct event_base *, void (*)(uint64_t *));
int		 fiber_enabled(void);
int		 fiber_inside(void);
int		 fiber_reader(void);
int		 fiber_busy(void);
int		 fiber_waiting(void);
size_t		 fiber_queued(void);
uint64_t	 fiber_job(void);
void		 fiber_post(void (*)(void *), void *);
void		 fiber_post_read(void (*)(void *), void *);
int		 fiber_defer(void (*)(int, short, void *), int, short,
		    void *);
int		 fiber_wait(int, short);
int		 fiber_sleep(void);
void		 fiber_wakeup(int);

/* store_backend.c */
int		 store_open(const char *);
void		 store_close(void);
void		 store_rollback(void);
int		 store_listen(struct event_base *);
int		 store_down(void);
int		 store_stale(void);
void		 store_user_json_ahead(void);
void		 store_announce(uint8_t, const void *, size_t);
void		 store_announce_sessions(const uint8_t *, size_t);
int		 store_dialect(void);	/* enum query_dialect */
#define STORE_OP_PROTO(n, p, a)	int store_##n p;
STORE_OPS(STORE_OP_PROTO)
#undef STORE_OP_PROTO

/* store.c: SQLite, and the SQL of the user and audit fields there */
extern const struct store_backend store_sqlite;
const char	*store_users_column(const char *);
const char	*store_audit_column(const char *);
char		*store_audit_json(void);
int		 store_audit_field(const char *);

/* store_pg.c: PostgreSQL */
extern const struct store_backend store_pg;
const char	*pg_users_column(const char *);
extern const char pg_audit_time[];

#endif /* KEYD_H */
