/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Every message exchanged between tokend's processes, in one place.
 *
 * Channels:
 *	parent <-> keyd		descriptor PROTO_FD_PARENT in keyd
 *	parent <-> server	descriptor PROTO_FD_PARENT in each worker
 *	server <-> keyd		one socketpair per worker, handed out by the
 *				parent with MSG_KEYD_CHANNEL / MSG_SERVER_KEYD
 *	items <-> parent	descriptor PROTO_FD_PARENT in each item process
 *	server <-> items	one socketpair per worker and its item process
 *				(same slot): MSG_ITEMS_SERVER / MSG_SERVER_ITEMS
 *	keyd -> items		one socketpair per item process, for the
 *				ticket key only: MSG_KEYD_ITEMS / MSG_ITEMS_KEYD
 *	mail <-> parent		descriptor PROTO_FD_PARENT in the mail process
 *	keyd <-> mail		one socketpair, handed out by the parent with
 *				MSG_KEYD_MAIL / MSG_MAIL_KEYD: finished mails
 *				and their outcome
 *	tokenctl <-> parent	the control socket
 *
 * A worker with a tls listener reads MSG_TLS_CERT and MSG_TLS_TICKET
 * right after MSG_CONFIG, and gets them again on a reload and on each
 * rotation of the ticket key: only the parent and the workers ever hold
 * the TLS key.  With the portal on, MSG_PORTAL_FILES follows them.
 *
 * A child starts by reading MSG_HELLO (carries PROTO_VERSION, refuses a
 * mismatch) and MSG_CONFIG, then answers MSG_READY once it serves.  A
 * worker then answers each MSG_PING with MSG_PONG.
 */
#ifndef TOKEND_PROTO_H
#define TOKEND_PROTO_H

#include <stdint.h>
#include <time.h>

#define PROTO_VERSION		9
#define PROTO_FD_PARENT		3	/* channel to the parent in children */
#define PROTO_FD_METRICS	4	/* workers, keyd: the metrics area */
#define PROTO_FD_PUSHGEN	5	/* workers (read-only), keyd: pushgen.h */
#define PROTO_FD_LISTEN		6	/* first inherited listen socket */

#define PROTO_CHILD_MAX		(1024 * 1024)	/* parent <-> child: the config */
#define ACCESS_BATCH_MAX	(16 * 1024)	/* bytes of access log lines */
/*
 * server <-> keyd payloads: a page of /users (keyd refuses a page that
 * would not fit, see USERS_ANSWER_MAX) is the largest.
 */
#define PROTO_KEYD_MAX		(1024 * 1024)
#define PROTO_CTL_MAX		(60 * 1024)	/* tokenctl <-> parent payloads */
/*
 * server <-> items payloads: a request body (at most body-size, 64 MB)
 * or an answer, with room for the rest of the message.
 */
#define PROTO_ITEMS_MAX		(65 * 1024 * 1024)
#define ITEMS_ANSWER_MAX	(PROTO_ITEMS_MAX - 1024)	/* its JSON */
#define ITEMS_PATH_MAX		256	/* "collection[/key]", NUL in */
#define ITEMS_QUERY_MAX		(64 * 1024 + 1)	/* the query string */
/* keyd <-> mail: one finished mail, headers and body, at most. */
#define MAIL_DATA_MAX		(64 * 1024)
#define PROTO_MAIL_MAX		(MAIL_DATA_MAX + 4096)
#define MAIL_REPLY_MAX		512	/* the relay's last reply, for logs */
#define MAIL_URL_MAX		512	/* a reset_url: its line stays short */

/* Outcomes keyd reports; the worker maps them to Directus errors. */
enum auth_code {
	AUTH_OK = 0,
	AUTH_INVALID_CREDENTIALS,	/* 401 */
	AUTH_TOKEN_EXPIRED,		/* 401 */
	AUTH_INVALID_TOKEN,		/* 403 */
	AUTH_INVALID_PAYLOAD,		/* 400 */
	AUTH_UNAVAILABLE,		/* 503: hashing queue full, database */
	AUTH_INTERNAL,			/* 500 */
	AUTH_FORBIDDEN,			/* 403 */
	AUTH_RECORD_NOT_UNIQUE,		/* 400 */
	AUTH_INVALID_QUERY,		/* 400 */
	AUTH_FAILED_VALIDATION,		/* 400 */
	AUTH_INVALID_FOREIGN_KEY,	/* 400 */
	AUTH_UNPROCESSABLE,		/* 422: the last administrator */
	AUTH_TOO_MANY,			/* 429: a login refused by the lockout */
	AUTH_INVALID_OTP,		/* 401: TFA code missing or wrong */
	AUTH_CODE_MAX
};

/* What MSG_INVALIDATE names. */
enum invalidate_kind {
	INVALIDATE_USER = 1,	/* key: a user id */
	INVALIDATE_SESSION,	/* key: SHA-256 of a session's refresh token */
	INVALIDATE_SESSIONS,	/* key empty: every session-mode credential */
	INVALIDATE_ALL,		/* key empty: everything */
	INVALIDATE_KIND_MAX
};

enum cred_kind {
	CRED_NONE = 0,		/* no token: the public role (MSG_USERS) */
	CRED_JWT = 1,
	CRED_STATIC,
};

enum auth_mode {
	AUTH_MODE_JSON = 0,
	AUTH_MODE_COOKIE,
	AUTH_MODE_SESSION,
	AUTH_MODE_MAX
};

/* What MSG_ITEMS asks for. */
enum items_method {
	ITEMS_GET = 1,
	ITEMS_POST,
	ITEMS_PATCH,
	ITEMS_DELETE,
	ITEMS_ACCESS,	/* GET /permissions/me/<collection>[/<key>] */
	ITEMS_SEARCH,		/* the query in the body */
	ITEMS_METHOD_MAX
};

/* What MSG_TFA asks for. */
enum tfa_op {
	TFA_GENERATE = 1,	/* POST /users/me/tfa/generate {password} */
	TFA_ENABLE,		/* POST /users/me/tfa/enable {secret, otp} */
	TFA_DISABLE,		/* POST /users/me/tfa/disable {otp} */
	TFA_ADMIN_DISABLE,	/* POST /users/<target>/tfa/disable */
	TFA_RECOVERY,		/* POST /users/me/tfa/recovery-codes {otp} */
	TFA_OP_MAX
};
#define TFA_BODY_MAX		8192	/* bytes of a /tfa body */
/* Bytes of a POST /users/me/password body: two passwords and JSON. */
#define PASSWORD_BODY_MAX	8192

/* The sign-in portal's files (server/portal.c), each at most this. */
#define PORTAL_FILE_MAX		(64 * 1024)

/* What MSG_SESSIONS asks for: the caller's own sessions only. */
enum sessions_op {
	SESSIONS_LIST = 1,	/* GET /users/me/sessions */
	SESSIONS_REVOKE,	/* DELETE /users/me/sessions/<id> */
	SESSIONS_OP_MAX
};
#define SESSIONS_ID_MAX		20	/* digits of a session's id */

/* What MSG_USERS asks for. */
enum users_op {
	USERS_READ = 1,		/* GET /users, GET /users/<id> */
	USERS_CREATE,		/* POST /users: an object or an array */
	USERS_UPDATE,		/* PATCH /users/<id>, PATCH /users {keys,data} */
	USERS_DELETE,		/* DELETE /users/<id>, DELETE /users {keys} */
	USERS_INVITE,		/* POST /users/invite {email, role, invite_url} */
	USERS_ACTIVITY,		/* GET /activity, /activity/<id>: the audit */
	USERS_ACCESS,		/* GET /permissions/me/directus_users[/<id>] */
	USERS_OP_MAX
};

/*
 * MSG_USERS carries the query parameters fields, filter, sort, limit,
 * offset, page, meta, search, aggregate (JSON text) and groupBy, in
 * that order (that of struct query_params).
 */
#define USERS_NPARAMS		10
#define USERS_PARAM_MAX		16384	/* bytes of one, QUERY_TEXT_MAX */
#define USERS_BODY_MAX		(256 * 1024)	/* bytes of a /users body */
#define USERS_ANSWER_MAX	(PROTO_KEYD_MAX - 1024)	/* JSON answer */
#define USERS_BATCH_MAX		100	/* users created, keys in one request */
#define USERS_MESSAGE_MAX	256	/* bytes of an error message */
#define USER_TEXT_MAX		4096	/* bytes of a user's text field */

/*
 * The mails keyd sends, and the tokens they carry (MSG_MAIL_TOKEN names
 * the kind a token must be; keyd checks the scope signed into it).
 */
enum mail_kind {
	MAIL_RESET = 0,		/* POST /auth/password/request */
	MAIL_INVITE,		/* POST /users/invite */
	MAIL_VERIFY,		/* POST /users/register, with verification */
	MAIL_EXISTS,		/* POST /users/register of a known address */
	MAIL_KIND_MAX
};

/* What the mail process reports for one mail (MSG_MAIL_RESULT). */
enum mail_status {
	MAIL_SENT = 0,		/* 250 to the end of DATA */
	MAIL_TEMPFAIL,		/* unreachable, timeout, 4xx: try again */
	MAIL_PERMFAIL,		/* 5xx: never again */
	MAIL_STATUS_MAX
};

/* What tokenctl may ask keyd (MSG_CTL_ADMIN). */
enum admin_op {
	ADMIN_USER_ADD = 1,	/* arg email, arg2 role; password */
	ADMIN_USER_PASSWD,	/* arg email; password */
	ADMIN_USER_TOKEN,	/* arg email; prints a new static token once */
	ADMIN_USER_TOKEN_CLEAR,	/* arg email */
	ADMIN_USER_LIST,
	ADMIN_USER_SUSPEND,	/* arg email */
	ADMIN_USER_ACTIVATE,	/* arg email */
	ADMIN_USER_DELETE,	/* arg email */
	ADMIN_SESSION_LIST,	/* arg email or "" for all */
	ADMIN_SESSION_REVOKE,	/* arg session id (as listed) */
	ADMIN_USER_TFA_DISABLE,	/* arg email */
	ADMIN_MAIL_LIST,	/* the outbox */
	ADMIN_MAIL_FLUSH,	/* every mail of the outbox: try now */
	ADMIN_USER_INVITE,	/* arg email, arg2 role, url */
	ADMIN_AUDIT,		/* arg the row to start after, "" all */
	ADMIN_USER_POLICY_ADD,	/* arg email, arg2 policy name or id */
	ADMIN_USER_POLICY_DEL,	/* arg email, arg2 policy name or id */
	ADMIN_USER_POLICY_LIST,	/* arg email */
	ADMIN_KEY_ROTATE,	/* a new signing key signs */
	ADMIN_KEY_LIST,		/* the signing keys and their state */
	ADMIN_OP_MAX
};

#define AUTH_TOKEN_MAX		4096	/* bytes of a token on the wire */
#define AUTH_PASSWORD_MAX	1024	/* bytes of a password */
#define AUTH_EMAIL_MAX		254
#define AUTH_REFRESH_LEN	64	/* chars of [A-Za-z0-9_-], at most */
#define AUTH_ID_LEN		36	/* a uuid */
#define AUTH_TEXT_MAX		512	/* ip, user agent, origin, otp */

#define AUTH_MAC_LEN		64	/* a JWT's signature: HS256 32, EdDSA
					   and ES256 (R||S) 64 */
#define KEYS_ALG_MAX		8	/* "HS256", "EdDSA", "ES256", NUL */
#define KEYS_KIDS_MAX		(8 * 65 + 1)	/* MSG_KEYS kids, NUL in */
#define KEYS_JWKS_MAX		(8 * 512 + 16)	/* MSG_KEYS jwks */
#define TICKET_KEY_LEN		32	/* keyd's ticket key (ticket.h) */
#define TICKET_MAC_LEN		32	/* HMAC-SHA256 of a ticket */
#define AUTH_ROLE_ARG_MAX	64	/* a role's name, NUL included */
/* A user's own policies, at most, and their ids blank-separated. */
#define AUTH_USER_POLICIES	16
#define AUTH_POLICIES_MAX	(AUTH_USER_POLICIES * (AUTH_ID_LEN + 1))
#define CHILD_REASON_MAX	256	/* a failed reload's reason, NUL in */
#define CHILD_LOG_MAX		1024	/* a child's log line, NUL in */
#define HEALTH_DETAIL_MAX	256	/* NUL included */

#define TLS_CERT_MAX		(256 * 1024)	/* a PEM chain, bytes */
#define TLS_KEY_MAX		(64 * 1024)	/* a PEM private key */
/* The session ticket key: its name, an HMAC-SHA256 key, an AES-256 key. */
#define TLS_TICKET_NAME_LEN	16
#define TLS_TICKET_KEY_LEN	(TLS_TICKET_NAME_LEN + 32 + 32)

#define HEALTH_DB_OK		0x1
#define HEALTH_SECRET_OK	0x2

/*
 * The messages.  Each is declared once, below, by a macro
 * MSG_DECL_<TYPE>(H, K, F, s) that says:
 *
 *	H(from, to, answer, fd)	who may send it (PEER_* bits), who reads
 *				it, the type that answers it (MSG_NONE for
 *				none) and whether a descriptor comes along;
 *	K(s, handler)		for a request keyd serves from its request
 *				table: keyd's handler (keyd/keyd.c);
 *	F(s, kind, name, ...)	each payload field, in wire order:
 *		U8, U32, U64	an integer in host byte order;
 *		STR, size	a u32 length, then that many bytes without a
 *				NUL; the reader refuses size bytes or more;
 *		BLOB, max	a u32 length (at most max), then the bytes;
 *		SUB, sub	the fields of MSG_SUB_<SUB> in place;
 *		SUBS, sub, n	those n times over.
 *
 * MSG_LIST names every message once, in wire order (the type numbers).
 * From these come enum msg_type, one struct msg_<name> per message (a
 * STR is a pointer and, for the reader, its buffer name_buf; a BLOB a
 * pointer and name_len), the codec msg_read()/msg_write() (msg.c), the
 * names, msg_type_has_fd(), msg_allowed(), keyd's request table and the
 * fuzzer's layouts.  Adding a message is a MSG_DECL_ block and a row.
 */
#define PEER_PARENT		0x1
#define PEER_KEYD		0x2
#define PEER_SERVER		0x4
#define PEER_CTL		0x8	/* tokenctl, on the control socket */
#define PEER_ITEMS		0x10	/* an item process */
#define PEER_MAIL		0x20	/* the mail process */
#define PEER_CHILD		(PEER_KEYD | PEER_SERVER | PEER_ITEMS | PEER_MAIL)

/*
 * A credential: u8 cred_kind, blob a, blob b.  For CRED_JWT, a Directus
 * JWT the worker has split and parsed: a is the signing input
 * ("header.payload"), b the signature; keyd checks it, then reads the
 * claims itself.  For CRED_STATIC, a is the static token and b is
 * empty; CRED_NONE (only in MSG_USERS, the public role), both empty.
 */
#define MSG_SUB_CRED(F, s)						\
	F(s, U8, kind)			/* enum cred_kind */		\
	F(s, BLOB, a, AUTH_TOKEN_MAX)					\
	F(s, BLOB, b, AUTH_MAC_LEN)

/*
 * The accountability: who a credential is, and until when a worker may
 * keep that (ms since the epoch, exclusive; 0: do not keep it).  user
 * and role are "" unless code is AUTH_OK; session "" unless the token
 * is a session-mode one.  The string sizes are those of the worker's
 * struct auth_result.
 */
#define MSG_SUB_WHO(F, s)						\
	F(s, U32, code)			/* enum auth_code */		\
	F(s, STR, user, 64)						\
	F(s, STR, role, 64)		/* "" for none */		\
	F(s, U8, admin)			/* admin access */		\
	F(s, U8, app)			/* app access */		\
	F(s, STR, session, 72)						\
	F(s, U64, until)						\
	F(s, SUB, ticket, ticket)

/*
 * An accountability ticket (ticket.h): who a credential is, for the item
 * process, until expires (ms since the epoch, exclusive), MACed by keyd
 * under a key the workers never see.  A worker passes it on unchanged;
 * mac is empty when there is none (the public role).
 */
#define MSG_SUB_TICKET(F, s)						\
	F(s, STR, user, 64)						\
	F(s, STR, role, 64)						\
	F(s, U8, admin)							\
	F(s, U64, expires)						\
	F(s, BLOB, mac, TICKET_MAC_LEN)					\
	F(s, STR, policies, AUTH_POLICIES_MAX + 1)	/* the user's own */

/*
 * Where a request came from, as the worker saw it, for keyd's audit
 * trail (keyd/audit.c): the client's address (behind a trusted proxy,
 * the one X-Forwarded-For names), its User-Agent and Origin ("" when
 * absent or longer than AUTH_TEXT_MAX).
 */
#define MSG_SUB_CLIENT(F, s)						\
	F(s, STR, ip, AUTH_TEXT_MAX + 1)				\
	F(s, STR, agent, AUTH_TEXT_MAX + 1)				\
	F(s, STR, origin, AUTH_TEXT_MAX + 1)

/* One query parameter of MSG_USERS: given 1 and its raw value, or 0, "". */
#define MSG_SUB_PARAM(F, s)						\
	F(s, U8, given)							\
	F(s, STR, value, USERS_PARAM_MAX + 1)

/* parent -> child, first of all: a child refuses another version. */
#define MSG_DECL_HELLO(H, K, F, s)					\
	H(PEER_PARENT, PEER_CHILD, MSG_NONE, 0)				\
	F(s, U32, version)		/* PROTO_VERSION */		\
	F(s, U32, slot)							\
	F(s, U32, generation)

/* parent -> child: the configuration, as JSON (config_to_json()). */
#define MSG_DECL_CONFIG(H, K, F, s)					\
	H(PEER_PARENT, PEER_CHILD, MSG_NONE, 0)				\
	F(s, BLOB, json, PROTO_CHILD_MAX)

/* parent -> child: a new configuration as JSON, applied in place. */
#define MSG_DECL_RELOAD(H, K, F, s)					\
	H(PEER_PARENT, PEER_CHILD, MSG_RELOAD_DONE, 0)			\
	F(s, BLOB, json, PROTO_CHILD_MAX)

/* child -> parent: started and serving. */
#define MSG_DECL_READY(H, K, F, s)					\
	H(PEER_CHILD, PEER_PARENT, MSG_NONE, 0)

/* child -> parent: how a reload went. */
#define MSG_DECL_RELOAD_DONE(H, K, F, s)				\
	H(PEER_CHILD, PEER_PARENT, MSG_NONE, 0)				\
	F(s, U32, failed)		/* 0 ok, 1 failed */		\
	F(s, STR, reason, CHILD_REASON_MAX)

/*
 * child -> parent, as a daemon: one line of the child's log, which the
 * parent writes, sanitized, after the child's name and pid (children
 * have no socket to the system logger).  priority: LOG_CRIT to
 * LOG_DEBUG.
 */
#define MSG_DECL_LOG(H, K, F, s)					\
	H(PEER_CHILD, PEER_PARENT, MSG_NONE, 0)				\
	F(s, U32, priority)						\
	F(s, STR, text, CHILD_LOG_MAX)

/*
 * server -> parent: lines of the access log (accesslog.c), each ended
 * by a newline; the parent writes them to the file or syslog.
 */
#define MSG_DECL_ACCESS(H, K, F, s)					\
	H(PEER_SERVER, PEER_PARENT, MSG_NONE, 0)			\
	F(s, BLOB, lines, ACCESS_BATCH_MAX)

/* parent -> keyd, with the keyd end of a worker's channel. */
#define MSG_DECL_KEYD_CHANNEL(H, K, F, s)				\
	H(PEER_PARENT, PEER_KEYD, MSG_NONE, 1)				\
	F(s, U32, slot)							\
	F(s, U32, generation)						\
	F(s, U32, pid)			/* the worker's */

/* parent -> keyd: that worker is gone, drop its channel if still open. */
#define MSG_DECL_KEYD_DROP(H, K, F, s)					\
	H(PEER_PARENT, PEER_KEYD, MSG_NONE, 0)				\
	F(s, U32, slot)							\
	F(s, U32, generation)

/* parent -> server, with the worker's end of its channel to keyd. */
#define MSG_DECL_SERVER_KEYD(H, K, F, s)				\
	H(PEER_PARENT, PEER_SERVER, MSG_NONE, 1)

/*
 * keyd -> parent: keyd closed that worker's channel (it did not read an
 * invalidation in time); give the worker a new one.
 */
#define MSG_DECL_KEYD_RELINK(H, K, F, s)				\
	H(PEER_KEYD, PEER_PARENT, MSG_NONE, 0)				\
	F(s, U32, slot)							\
	F(s, U32, generation)

/* parent -> keyd, with keyd's end of an item process's key channel. */
#define MSG_DECL_KEYD_ITEMS(H, K, F, s)					\
	H(PEER_PARENT, PEER_KEYD, MSG_NONE, 1)				\
	F(s, U32, slot)

/* parent -> items, with its end of that channel. */
#define MSG_DECL_ITEMS_KEYD(H, K, F, s)					\
	H(PEER_PARENT, PEER_ITEMS, MSG_NONE, 1)

/*
 * keyd -> items, first and only on the key channel: the key of the
 * tickets (each keyd start makes a new one).
 */
#define MSG_DECL_TICKET_KEY(H, K, F, s)					\
	H(PEER_KEYD, PEER_ITEMS, MSG_NONE, 0)				\
	F(s, BLOB, key, TICKET_KEY_LEN)

/* parent -> items, with its end of its worker's channel. */
#define MSG_DECL_ITEMS_SERVER(H, K, F, s)				\
	H(PEER_PARENT, PEER_ITEMS, MSG_NONE, 1)				\
	F(s, U32, generation)		/* the worker's */

/* parent -> server, with the worker's end of that channel. */
#define MSG_DECL_SERVER_ITEMS(H, K, F, s)				\
	H(PEER_PARENT, PEER_SERVER, MSG_NONE, 1)

/* parent -> child: finish and exit. */
#define MSG_DECL_SHUTDOWN(H, K, F, s)					\
	H(PEER_PARENT, PEER_CHILD, MSG_NONE, 0)

/*
 * parent -> server, every TOKEND_PING_MS: still serving?  The worker
 * answers from its event loop with MSG_PONG of the same id; one that
 * leaves a ping unanswered for TOKEND_ANSWER_MS is replaced (tokend.c).
 */
#define MSG_DECL_PING(H, K, F, s)					\
	H(PEER_PARENT, PEER_SERVER, MSG_PONG, 0)

#define MSG_DECL_PONG(H, K, F, s)					\
	H(PEER_SERVER, PEER_PARENT, MSG_NONE, 0)

/* server -> keyd: is the credential store usable? */
#define MSG_DECL_HEALTH(H, K, F, s)					\
	H(PEER_SERVER, PEER_KEYD, MSG_HEALTH_RESULT, 0)			\
	K(s, keyd_health)

#define MSG_DECL_HEALTH_RESULT(H, K, F, s)				\
	H(PEER_KEYD, PEER_SERVER, MSG_NONE, 0)				\
	F(s, U32, flags)		/* HEALTH_DB_OK, HEALTH_SECRET_OK */ \
	F(s, STR, detail, HEALTH_DETAIL_MAX)

/* server -> keyd: who is this? */
#define MSG_DECL_AUTH(H, K, F, s)					\
	H(PEER_SERVER, PEER_KEYD, MSG_AUTH_RESULT, 0)			\
	K(s, keyd_auth_verify)						\
	F(s, SUB, cred, cred)

#define MSG_DECL_AUTH_RESULT(H, K, F, s)				\
	H(PEER_KEYD, PEER_SERVER, MSG_NONE, 0)				\
	F(s, SUB, who, who)

/* server -> keyd: POST /auth/login.  The password may hold any byte. */
#define MSG_DECL_LOGIN(H, K, F, s)					\
	H(PEER_SERVER, PEER_KEYD, MSG_TOKENS, 0)			\
	K(s, keyd_auth_login)						\
	F(s, STR, email, AUTH_EMAIL_MAX + 1)				\
	F(s, BLOB, password, AUTH_PASSWORD_MAX)				\
	F(s, U32, mode)			/* enum auth_mode */		\
	F(s, STR, otp, AUTH_TEXT_MAX + 1)				\
	F(s, STR, ip, AUTH_TEXT_MAX + 1)	/* the peer: lockout */	\
	F(s, STR, agent, AUTH_TEXT_MAX + 1)	/* User-Agent */	\
	F(s, STR, origin, AUTH_TEXT_MAX + 1)

/* server -> keyd: POST /auth/refresh. */
#define MSG_DECL_REFRESH(H, K, F, s)					\
	H(PEER_SERVER, PEER_KEYD, MSG_TOKENS, 0)			\
	K(s, keyd_auth_refresh)						\
	F(s, STR, token, AUTH_TOKEN_MAX + 1)	/* the refresh token */	\
	F(s, U32, mode)			/* enum auth_mode */		\
	F(s, SUB, client, client)

/*
 * keyd -> server.  Tokens are "" when code is not AUTH_OK; retry is 0
 * unless code is AUTH_TOO_MANY.
 */
#define MSG_DECL_TOKENS(H, K, F, s)					\
	H(PEER_KEYD, PEER_SERVER, MSG_NONE, 0)				\
	F(s, U32, code)			/* enum auth_code */		\
	F(s, STR, access, AUTH_TOKEN_MAX + 1)				\
	F(s, U64, expires)		/* ms */			\
	F(s, STR, refresh, AUTH_REFRESH_LEN + 1)			\
	F(s, U64, refresh_ttl)		/* ms */			\
	F(s, U64, retry)		/* ms the login must wait */

/* server -> keyd: POST /auth/logout. */
#define MSG_DECL_LOGOUT(H, K, F, s)					\
	H(PEER_SERVER, PEER_KEYD, MSG_DONE, 0)				\
	K(s, keyd_auth_logout)						\
	F(s, STR, token, AUTH_TOKEN_MAX + 1)	/* the refresh token */	\
	F(s, SUB, client, client)

#define MSG_DECL_DONE(H, K, F, s)					\
	H(PEER_KEYD, PEER_SERVER, MSG_NONE, 0)				\
	F(s, U32, code)			/* enum auth_code */

/*
 * server -> keyd: GET /users/me.  nest asks for what only keyd knows,
 * for relational fields: USER_NEST_POLICIES puts the user's access
 * rows in place of their ids in "policies"; USER_NEST_ROLE_USERS adds
 * "role_users", the ids of the users of the user's role that it may
 * read (all for an administrator, itself otherwise).  A worker never
 * keeps nor reuses an answer to a request with nest.
 */
#define USER_NEST_POLICIES	0x1
#define USER_NEST_ROLE_USERS	0x2
#define USER_NEST_ALL		(USER_NEST_POLICIES | USER_NEST_ROLE_USERS)
/*
 * client: where the request comes from, for the policies with ip-allow
 * (an administrator by its address reads every user of its role).
 */
#define MSG_DECL_USER_GET(H, K, F, s)					\
	H(PEER_SERVER, PEER_KEYD, MSG_USER, 0)				\
	K(s, user_get)							\
	F(s, SUB, cred, cred)						\
	F(s, U32, nest)							\
	F(s, SUB, client, client)

/* server -> keyd: PATCH /users/me; keyd applies its own allowlist. */
#define MSG_DECL_USER_UPDATE(H, K, F, s)				\
	H(PEER_SERVER, PEER_KEYD, MSG_USER, 0)				\
	K(s, user_update)						\
	F(s, SUB, cred, cred)						\
	F(s, BLOB, patch, PROTO_KEYD_MAX)	/* the JSON body */	\
	F(s, SUB, client, client)

/*
 * server -> keyd: POST /users/me/password (tokend's extension),
 * {"password_current", "password"}: keyd checks the current password on
 * its hashing pool, then writes the new one as MSG_USER_UPDATE does.
 */
#define MSG_DECL_USER_PASSWORD(H, K, F, s)				\
	H(PEER_SERVER, PEER_KEYD, MSG_USER, 0)				\
	K(s, user_password)						\
	F(s, SUB, cred, cred)						\
	F(s, BLOB, body, PASSWORD_BODY_MAX)	/* the JSON body */	\
	F(s, SUB, client, client)

/*
 * keyd -> server.  who's until is 0 but for MSG_USER_GET; json is the
 * user (secrets concealed), or for AUTH_INVALID_PAYLOAD the reason.
 */
#define MSG_DECL_USER(H, K, F, s)					\
	H(PEER_KEYD, PEER_SERVER, MSG_NONE, 0)				\
	F(s, SUB, who, who)						\
	F(s, BLOB, json, PROTO_KEYD_MAX)

/*
 * server -> keyd: the /users API, decided by keyd alone.  The
 * credential may be CRED_NONE, the public role; target is "" for the
 * whole collection; the query parameters come in USERS_PARAMS order
 * (fields, filter, sort, limit, offset, page, meta, search, aggregate,
 * groupBy: that of struct query_params).
 */
#define MSG_DECL_USERS(H, K, F, s)					\
	H(PEER_SERVER, PEER_KEYD, MSG_USERS_RESULT, 0)			\
	K(s, users_request)						\
	F(s, SUB, cred, cred)						\
	F(s, U32, op)			/* enum users_op */		\
	F(s, STR, target, AUTH_ID_LEN + 1)				\
	F(s, SUBS, params, param, USERS_NPARAMS)			\
	F(s, BLOB, body, USERS_BODY_MAX)	/* the JSON body */	\
	F(s, SUB, client, client)

/*
 * keyd -> server: message is "" for the code's own; json is the answer,
 * {"data":...} with "meta" when asked, or empty for 204 No Content.
 */
#define MSG_DECL_USERS_RESULT(H, K, F, s)				\
	H(PEER_KEYD, PEER_SERVER, MSG_NONE, 0)				\
	F(s, U32, code)			/* enum auth_code */		\
	F(s, STR, message, USERS_MESSAGE_MAX + 1)			\
	F(s, BLOB, json, PROTO_KEYD_MAX)

/*
 * server -> keyd: two-factor authentication of the credential's user
 * (or, TFA_ADMIN_DISABLE, of target), decided by keyd alone.
 */
#define MSG_DECL_TFA(H, K, F, s)					\
	H(PEER_SERVER, PEER_KEYD, MSG_USERS_RESULT, 0)			\
	K(s, keyd_tfa_request)						\
	F(s, SUB, cred, cred)						\
	F(s, U32, op)			/* enum tfa_op */		\
	F(s, STR, target, AUTH_ID_LEN + 1)				\
	F(s, BLOB, body, TFA_BODY_MAX)	/* the JSON body */		\
	F(s, SUB, client, client)

/*
 * server -> keyd: the sessions of the credential's user, decided by
 * keyd alone: the user is the one keyd finds for the credential, never
 * one the worker names.  target is the session's id (SESSIONS_REVOKE).
 */
#define MSG_DECL_SESSIONS(H, K, F, s)					\
	H(PEER_SERVER, PEER_KEYD, MSG_USERS_RESULT, 0)			\
	K(s, keyd_sessions_request)					\
	F(s, SUB, cred, cred)						\
	F(s, U32, op)			/* enum sessions_op */		\
	F(s, STR, target, SESSIONS_ID_MAX + 1)				\
	F(s, SUB, client, client)

/*
 * keyd -> server, id 0: forget the credentials cached for key.  keyd
 * sends it to every worker, and answers the request that made the
 * change only once each worker's socket holds it (keyd_push()).
 */
#define MSG_DECL_INVALIDATE(H, K, F, s)					\
	H(PEER_KEYD, PEER_SERVER, MSG_NONE, 0)				\
	F(s, U8, kind)			/* enum invalidate_kind */	\
	F(s, BLOB, key, AUTH_TOKEN_MAX)

/*
 * server -> items: an /items request, decided by the item process alone
 * under the ticket's accountability (the public role without one).
 * path is what follows "/items/"; query the raw query string.
 */
#define MSG_DECL_ITEMS(H, K, F, s)					\
	H(PEER_SERVER, PEER_ITEMS, MSG_ITEMS_RESULT, 0)			\
	F(s, SUB, ticket, ticket)					\
	F(s, U32, method)		/* enum items_method */		\
	F(s, STR, path, ITEMS_PATH_MAX)					\
	F(s, U8, has_query)						\
	F(s, STR, query, ITEMS_QUERY_MAX)				\
	F(s, BLOB, body, PROTO_ITEMS_MAX)				\
	F(s, STR, client, AUTH_TEXT_MAX + 1)	/* its address: ip-allow */

/*
 * items -> server: the HTTP status and its JSON body (a Directus error
 * for 4xx and 5xx; empty for 204).  404 is the worker's own "route not
 * found" answer.
 */
#define MSG_DECL_ITEMS_RESULT(H, K, F, s)				\
	H(PEER_ITEMS, PEER_SERVER, MSG_NONE, 0)				\
	F(s, U32, status)						\
	F(s, BLOB, json, ITEMS_ANSWER_MAX)

/* parent -> keyd, with keyd's end of the mail process's channel. */
#define MSG_DECL_KEYD_MAIL(H, K, F, s)					\
	H(PEER_PARENT, PEER_KEYD, MSG_NONE, 1)

/* parent -> mail, with its end of that channel. */
#define MSG_DECL_MAIL_KEYD(H, K, F, s)					\
	H(PEER_PARENT, PEER_MAIL, MSG_NONE, 1)

/*
 * keyd -> mail: one finished mail (RFC 5322 text with CRLF line ends,
 * not dot-stuffed) for one recipient; row names it in keyd's outbox.
 */
#define MSG_DECL_MAIL_SEND(H, K, F, s)					\
	H(PEER_KEYD, PEER_MAIL, MSG_MAIL_RESULT, 0)			\
	F(s, U64, row)							\
	F(s, STR, rcpt, AUTH_EMAIL_MAX + 1)				\
	F(s, BLOB, data, MAIL_DATA_MAX)

/* mail -> keyd: what the relay made of it; reply is for the log. */
#define MSG_DECL_MAIL_RESULT(H, K, F, s)				\
	H(PEER_MAIL, PEER_KEYD, MSG_NONE, 0)				\
	F(s, U64, row)							\
	F(s, U32, status)		/* enum mail_status */		\
	F(s, STR, reply, MAIL_REPLY_MAX + 1)

/*
 * server -> keyd: POST /auth/password/request.  url is the reset_url
 * the worker found on the allow list ("" for none given).  keyd answers
 * AUTH_OK whether or not a mail goes out.
 */
#define MSG_DECL_PASSWORD_REQUEST(H, K, F, s)				\
	H(PEER_SERVER, PEER_KEYD, MSG_DONE, 0)				\
	K(s, mail_password_request)					\
	F(s, STR, email, AUTH_EMAIL_MAX + 1)				\
	F(s, STR, url, MAIL_URL_MAX + 1)				\
	F(s, SUB, client, client)

/*
 * server -> keyd: the token of a mail, used.  kind (enum mail_kind) is
 * the route's: POST /auth/password/reset and /users/invite/accept with
 * a new password, GET /users/register/verify-email without one.  keyd
 * takes the token only when the scope signed into it is the kind's.
 */
#define MSG_DECL_MAIL_TOKEN(H, K, F, s)					\
	H(PEER_SERVER, PEER_KEYD, MSG_DONE, 0)				\
	K(s, mail_token_use)						\
	F(s, U32, kind)			/* enum mail_kind */		\
	F(s, STR, token, AUTH_TOKEN_MAX + 1)				\
	F(s, BLOB, password, AUTH_PASSWORD_MAX)				\
	F(s, SUB, client, client)

/*
 * server -> keyd: POST /users/register.  url is the verification_url
 * the worker found on the allow list ("" for none).  keyd checks again
 * that registration is on and the address allowed, and answers AUTH_OK
 * whether the address was new or known.
 */
#define MSG_DECL_REGISTER(H, K, F, s)					\
	H(PEER_SERVER, PEER_KEYD, MSG_DONE, 0)				\
	K(s, register_request)						\
	F(s, STR, email, AUTH_EMAIL_MAX + 1)				\
	F(s, BLOB, password, AUTH_PASSWORD_MAX)				\
	F(s, STR, url, MAIL_URL_MAX + 1)				\
	F(s, STR, first_name, USER_TEXT_MAX + 1)			\
	F(s, STR, last_name, USER_TEXT_MAX + 1)				\
	F(s, SUB, client, client)

/*
 * parent -> server: the certificate chain and its private key, PEM, as
 * the parent read them (at start, as root; on each reload).  The worker
 * serves new handshakes with them; connections already open keep what
 * they began with.
 */
#define MSG_DECL_TLS_CERT(H, K, F, s)					\
	H(PEER_PARENT, PEER_SERVER, MSG_NONE, 0)			\
	F(s, BLOB, cert, TLS_CERT_MAX)					\
	F(s, BLOB, key, TLS_KEY_MAX)

/*
 * parent -> server: the sign-in portal's files, as the parent read them
 * from portal directory (at start, right after the configuration and
 * the TLS material, and on each reload) while the portal is on.
 */
#define MSG_DECL_PORTAL_FILES(H, K, F, s)				\
	H(PEER_PARENT, PEER_SERVER, MSG_NONE, 0)			\
	F(s, BLOB, login, PORTAL_FILE_MAX)				\
	F(s, BLOB, account, PORTAL_FILE_MAX)				\
	F(s, BLOB, css, PORTAL_FILE_MAX)				\
	F(s, BLOB, js, PORTAL_FILE_MAX)

/*
 * parent -> server: the session ticket key, made by the parent, never
 * written anywhere, replaced every TLS_TICKET_ROTATE_SEC.  A worker
 * issues tickets under it and still takes those of the one before.
 */
#define MSG_DECL_TLS_TICKET(H, K, F, s)					\
	H(PEER_PARENT, PEER_SERVER, MSG_NONE, 0)			\
	F(s, BLOB, key, TLS_TICKET_KEY_LEN)

/*
 * keyd -> server, id 0: the signing keys, on each new channel before
 * any answer and again whenever the key set changes.  alg is what tokens
 * are signed with, kids the kid of every key that verifies (each
 * followed by a space), jwks the public key set (RFC 7517) the worker
 * serves: {"keys":[]} with HS256.  Never any secret.
 */
#define MSG_DECL_KEYS(H, K, F, s)					\
	H(PEER_KEYD, PEER_SERVER, MSG_NONE, 0)				\
	F(s, STR, alg, KEYS_ALG_MAX)					\
	F(s, STR, kids, KEYS_KIDS_MAX)					\
	F(s, BLOB, jwks, KEYS_JWKS_MAX)

/* tokenctl -> parent: re-read the configuration. */
#define MSG_DECL_CTL_RELOAD(H, K, F, s)					\
	H(PEER_CTL, PEER_PARENT, MSG_CTL_RESULT, 0)

/* tokenctl -> parent: report the processes. */
#define MSG_DECL_CTL_STATUS(H, K, F, s)					\
	H(PEER_CTL, PEER_PARENT, MSG_CTL_RESULT, 0)

/*
 * parent -> tokenctl, and keyd -> parent for MSG_CTL_ADMIN: text for the
 * operator (one line per process for MSG_CTL_STATUS).
 */
#define MSG_DECL_CTL_RESULT(H, K, F, s)					\
	H(PEER_PARENT | PEER_KEYD, PEER_CTL | PEER_PARENT, MSG_NONE, 0)	\
	F(s, U32, failed)		/* 0 ok, 1 failed */		\
	F(s, STR, text, PROTO_CTL_MAX)

/*
 * tokenctl -> parent -> keyd: an administrative request, forwarded by
 * the parent unread.  keyd answers the parent, which hands the answer
 * back to tokenctl.
 */
#define MSG_DECL_CTL_ADMIN(H, K, F, s)					\
	H(PEER_CTL | PEER_PARENT, PEER_PARENT | PEER_KEYD,		\
	    MSG_CTL_RESULT, 0)						\
	K(s, keyd_admin_request)					\
	F(s, U32, op)			/* enum admin_op */		\
	F(s, STR, arg, AUTH_EMAIL_MAX + 1)	/* email, session id */	\
	F(s, STR, arg2, AUTH_ROLE_ARG_MAX)	/* a role */		\
	F(s, BLOB, password, AUTH_PASSWORD_MAX)	/* add, passwd */	\
	F(s, STR, url, MAIL_URL_MAX + 1)	/* invite, "": default */

/* Every message, in wire order: TYPE (MSG_TYPE) and name (msg_name). */
#define MSG_LIST(X)							\
	X(HELLO, hello)							\
	X(CONFIG, config)						\
	X(RELOAD, reload)						\
	X(READY, ready)							\
	X(RELOAD_DONE, reload_done)					\
	X(KEYD_CHANNEL, keyd_channel)					\
	X(KEYD_DROP, keyd_drop)						\
	X(SERVER_KEYD, server_keyd)					\
	X(KEYD_RELINK, keyd_relink)					\
	X(SHUTDOWN, shutdown)						\
	X(KEYD_ITEMS, keyd_items)					\
	X(ITEMS_KEYD, items_keyd)					\
	X(TICKET_KEY, ticket_key)					\
	X(ITEMS_SERVER, items_server)					\
	X(SERVER_ITEMS, server_items)					\
	X(PING, ping)							\
	X(PONG, pong)							\
	X(HEALTH, health)						\
	X(HEALTH_RESULT, health_result)					\
	X(AUTH, auth)							\
	X(AUTH_RESULT, auth_result)					\
	X(LOGIN, login)							\
	X(REFRESH, refresh)						\
	X(TOKENS, tokens)						\
	X(LOGOUT, logout)						\
	X(DONE, done)							\
	X(USER_GET, user_get)						\
	X(USER_UPDATE, user_update)					\
	X(USER, user)							\
	X(USERS, users)							\
	X(USERS_RESULT, users_result)					\
	X(TFA, tfa)							\
	X(INVALIDATE, invalidate)					\
	X(ITEMS, items)							\
	X(ITEMS_RESULT, items_result)					\
	X(CTL_RELOAD, ctl_reload)					\
	X(CTL_STATUS, ctl_status)					\
	X(CTL_RESULT, ctl_result)					\
	X(CTL_ADMIN, ctl_admin)						\
	X(LOG, log)							\
	X(ACCESS, access)						\
	X(KEYD_MAIL, keyd_mail)						\
	X(MAIL_KEYD, mail_keyd)						\
	X(MAIL_SEND, mail_send)						\
	X(MAIL_RESULT, mail_result)					\
	X(PASSWORD_REQUEST, password_request)				\
	X(MAIL_TOKEN, mail_token)					\
	X(REGISTER, register)						\
	X(TLS_CERT, tls_cert)						\
	X(TLS_TICKET, tls_ticket)					\
	X(KEYS, keys)							\
	X(SESSIONS, sessions)						\
	X(PORTAL_FILES, portal_files)					\
	X(USER_PASSWORD, user_password)

#define MSG_SKIP(...)
#define MSG_ENUM(T, n)		MSG_##T,

enum msg_type {
	MSG_NONE = 0,
	MSG_LIST(MSG_ENUM)
	MSG_MAX
};

/* The structs: what msg_read() fills and msg_write() reads. */
#define MSG_MEMBER(s, kind, ...)	MSG_MEMBER_##kind(__VA_ARGS__)
#define MSG_MEMBER_U8(name)		uint8_t name;
#define MSG_MEMBER_U32(name)		uint32_t name;
#define MSG_MEMBER_U64(name)		uint64_t name;
#define MSG_MEMBER_STR(name, size)	const char *name; char name##_buf[size];
#define MSG_MEMBER_BLOB(name, max)	const uint8_t *name; size_t name##_len;
#define MSG_MEMBER_SUB(name, sub)	struct msg_##sub name;
#define MSG_MEMBER_SUBS(name, sub, n)	struct msg_##sub name[n];
#define MSG_STRUCT(T, n)						\
	struct msg_##n { MSG_DECL_##T(MSG_SKIP, MSG_SKIP, MSG_MEMBER, _) };

struct msg_cred { MSG_SUB_CRED(MSG_MEMBER, _) };
struct msg_ticket { MSG_SUB_TICKET(MSG_MEMBER, _) };
struct msg_who { MSG_SUB_WHO(MSG_MEMBER, _) };
struct msg_param { MSG_SUB_PARAM(MSG_MEMBER, _) };
struct msg_client { MSG_SUB_CLIENT(MSG_MEMBER, _) };
MSG_LIST(MSG_STRUCT)

/* A payload field as the codec walks it (msg.c). */
enum msg_kind {
	MSG_KIND_END = 0,
	MSG_KIND_U8,
	MSG_KIND_U32,
	MSG_KIND_U64,
	MSG_KIND_STR,
	MSG_KIND_BLOB,
	MSG_KIND_SUB
};

struct msg_field {
	const char		*name;
	enum msg_kind		 kind;
	size_t			 bound;	/* STR its size, BLOB its max, SUB n */
	size_t			 off;	/* of the value or the pointer */
	size_t			 aux;	/* of name_buf, name_len; SUB's size */
	const struct msg_field	*sub;
};

struct msg_decl {
	const char		*name;
	int			 from;	/* PEER_* */
	int			 to;
	uint32_t		 answer;
	int			 has_fd;
	const struct msg_field	*fields;	/* ends with MSG_KIND_END */
	size_t			 size;	/* of struct msg_<name> */
};

struct event_base;
struct frame;
struct frame_buf;
struct frame_chan;
struct frame_rd;
struct tokend_config;

/* child.c */
uint8_t		*child_expect(uint32_t, struct frame *);
struct tokend_config *child_receive_config(uint32_t *);
struct tokend_config *child_config_from_frame(struct frame *);
void		 child_reload_done(struct frame_chan *, const char *);
/* The callback's first argument is libevent's evutil_socket_t, an int. */
void		 child_signals(struct event_base *,
		    void (*)(int, short, void *));
void		 child_log_init(int);
void		 child_log_channel(struct frame_chan *);
int		 child_parent_message(struct frame *, struct event_base *,
		    void (*)(struct frame *, void *), void *);

/* msg.c */
const struct msg_decl *msg_decl(uint32_t);
const char	*msg_type_name(uint32_t);
int		 msg_type_valid(uint32_t);
int		 msg_type_has_fd(uint32_t);
uint32_t	 msg_answer(uint32_t);
int		 msg_allowed(uint32_t, int, int);
void		 msg_clear(uint32_t, void *);
int		 msg_read(const struct frame *, uint32_t, void *);
int		 msg_write(struct frame_buf *, uint32_t, const void *);
int		 msg_send(struct frame_chan *, uint32_t, uint32_t, int,
		    const void *);

/* proto.c */
int		 email_valid(const char *, size_t);
int		 email_allowed(const char *, const char *);
int		 url_allowed(const char *, const char *, const char *,
		    char *, size_t);
int64_t		 now_ms(clockid_t);
int64_t		 now_us(void);

#endif /* TOKEND_PROTO_H */
