/*
 * Every message exchanged between tokend's processes, in one place.
 *
 * Channels:
 *	parent <-> keyd		descriptor PROTO_FD_PARENT in keyd
 *	parent <-> server	descriptor PROTO_FD_PARENT in each worker
 *	server <-> keyd		one socketpair per worker, handed out by the
 *				parent with MSG_KEYD_CHANNEL / MSG_SERVER_KEYD
 *	tokenctl <-> parent	the control socket
 *
 * A child starts by reading MSG_HELLO (carries PROTO_VERSION, refuses a
 * mismatch) and MSG_CONFIG, then answers MSG_READY once it serves.
 */
#ifndef TOKEND_PROTO_H
#define TOKEND_PROTO_H

#include <stdint.h>

#define PROTO_VERSION		2
#define PROTO_FD_PARENT		3	/* channel to the parent in children */
#define PROTO_FD_LISTEN		4	/* first inherited listen socket */

#define PROTO_CHILD_MAX		(1024 * 1024)	/* parent <-> child: the config */
/*
 * server <-> keyd payloads: a page of /users (keyd refuses a page that
 * would not fit, see USERS_ANSWER_MAX) is the largest.
 */
#define PROTO_KEYD_MAX		(1024 * 1024)
#define PROTO_CTL_MAX		(60 * 1024)	/* tokenctl <-> parent payloads */

enum msg_type {
	MSG_NONE = 0,

	/* parent -> child.  u32 PROTO_VERSION, u32 slot, u32 generation. */
	MSG_HELLO,
	/* parent -> child.  str config as JSON (config_to_json()). */
	MSG_CONFIG,
	/* parent -> child.  str new config as JSON; applied in place. */
	MSG_RELOAD,
	/* child -> parent.  empty: started and serving. */
	MSG_READY,
	/* child -> parent.  u32 0 ok / 1 failed, str reason. */
	MSG_RELOAD_DONE,
	/*
	 * parent -> keyd, carries a descriptor: the keyd end of a worker's
	 * channel.  u32 slot, u32 generation, u32 worker pid.
	 */
	MSG_KEYD_CHANNEL,
	/*
	 * parent -> keyd.  u32 slot, u32 generation: that worker is gone,
	 * drop its channel if still open.
	 */
	MSG_KEYD_DROP,
	/* parent -> server, carries a descriptor: the worker's keyd end. */
	MSG_SERVER_KEYD,
	/*
	 * keyd -> parent.  u32 slot, u32 generation: keyd closed that
	 * worker's channel (it did not read an invalidation in time); give
	 * the worker a new one.
	 */
	MSG_KEYD_RELINK,
	/* parent -> child.  empty: finish and exit. */
	MSG_SHUTDOWN,

	/* server -> keyd.  empty: is the credential store usable? */
	MSG_HEALTH,
	/*
	 * keyd -> server, answer to MSG_HEALTH with the same id.
	 * u32 flags (HEALTH_DB_OK | HEALTH_SECRET_OK), str detail.
	 */
	MSG_HEALTH_RESULT,

	/*
	 * server -> keyd.  Who is this?  A credential: u8 cred_kind, blob a,
	 * blob b.  For CRED_JWT, a Directus JWT the worker has split and
	 * parsed: a is the signing input ("header.payload"), b the 32-byte
	 * MAC; keyd checks the MAC, then reads the claims itself.  For
	 * CRED_STATIC, a is the static token and b is empty.
	 * Answer: MSG_AUTH_RESULT.
	 */
	MSG_AUTH,
	/*
	 * keyd -> server.  The accountability: u32 auth_code, str user id,
	 * str role ("" for none), u8 admin access, u8 app access, str
	 * session ("" unless a session-mode token), u64 cache until: the
	 * worker may keep this answer for the credential until then (ms
	 * since the epoch, exclusive; 0: do not keep it).
	 */
	MSG_AUTH_RESULT,
	/*
	 * server -> keyd.  str email, blob password, u32 auth_mode,
	 * str otp, str ip, str user agent, str origin.  MSG_TOKENS.
	 */
	MSG_LOGIN,
	/* server -> keyd.  str refresh token, u32 auth_mode.  MSG_TOKENS. */
	MSG_REFRESH,
	/*
	 * keyd -> server.  u32 auth_code, str access token, u64 expires
	 * (ms), str refresh token, u64 refresh ttl (ms).  Tokens are ""
	 * when auth_code is not AUTH_OK.
	 */
	MSG_TOKENS,
	/* server -> keyd.  str refresh token.  MSG_DONE. */
	MSG_LOGOUT,
	/* keyd -> server.  u32 auth_code. */
	MSG_DONE,
	/* server -> keyd.  A credential (see MSG_AUTH).  MSG_USER. */
	MSG_USER_GET,
	/*
	 * server -> keyd.  A credential, str the JSON body of PATCH
	 * /users/me; keyd applies its own allowlist.  MSG_USER.
	 */
	MSG_USER_UPDATE,
	/*
	 * keyd -> server.  The accountability of MSG_AUTH_RESULT (cache
	 * until is 0 but for MSG_USER_GET), then str the user as JSON
	 * (secrets concealed), or for AUTH_INVALID_PAYLOAD the reason.
	 */
	MSG_USER,
	/*
	 * server -> keyd.  The /users API, decided by keyd alone.  A
	 * credential as in MSG_AUTH, or cred_kind CRED_NONE with two empty
	 * blobs for the public role; u32 users_op; str the target id (""
	 * for the whole collection); for each of the query parameters in
	 * USERS_PARAMS order, u8 1 and str its raw value, or u8 0 and "";
	 * blob the JSON body (at most USERS_BODY_MAX).
	 * Answer: MSG_USERS_RESULT.
	 */
	MSG_USERS,
	/*
	 * keyd -> server.  u32 auth_code, str message ("" for the code's
	 * own), blob the JSON answer: {"data":...} with "meta" when asked,
	 * or empty for 204 No Content.
	 */
	MSG_USERS_RESULT,
	/*
	 * keyd -> server, id 0.  u8 invalidate_kind, blob key: forget the
	 * credentials cached for it.  keyd sends it to every worker, and
	 * waits until each worker's socket holds it, before it answers the
	 * request that made the change.
	 */
	MSG_INVALIDATE,

	/* tokenctl -> parent.  empty: re-read the configuration. */
	MSG_CTL_RELOAD,
	/* tokenctl -> parent.  empty: report the processes. */
	MSG_CTL_STATUS,
	/*
	 * parent -> tokenctl.  u32 0 ok / 1 failed, str text for the
	 * operator (one line per process for MSG_CTL_STATUS).
	 */
	MSG_CTL_RESULT,
	/*
	 * tokenctl -> parent -> keyd: an administrative request, forwarded
	 * by the parent unread.  u32 admin_op, str arg (an email, a role, a
	 * session id), str arg2, blob password (only for add and passwd).
	 * keyd answers the parent with MSG_CTL_RESULT, which the parent
	 * hands back to tokenctl.
	 */
	MSG_CTL_ADMIN,

	MSG_MAX
};

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

/* What MSG_USERS asks for. */
enum users_op {
	USERS_READ = 1,		/* GET /users, GET /users/<id> */
	USERS_CREATE,		/* POST /users: an object or an array */
	USERS_UPDATE,		/* PATCH /users/<id>, PATCH /users {keys,data} */
	USERS_DELETE,		/* DELETE /users/<id>, DELETE /users {keys} */
	USERS_OP_MAX
};

/*
 * MSG_USERS carries the query parameters fields, filter, sort, limit,
 * offset, page and meta, in that order (that of struct query_params).
 */
#define USERS_NPARAMS		7
#define USERS_PARAM_MAX		16384	/* bytes of one, QUERY_TEXT_MAX */
#define USERS_BODY_MAX		(256 * 1024)	/* bytes of a /users body */
#define USERS_ANSWER_MAX	(PROTO_KEYD_MAX - 1024)	/* JSON answer */
#define USERS_BATCH_MAX		100	/* users created, keys in one request */
#define USERS_MESSAGE_MAX	256	/* bytes of an error message */

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
	ADMIN_OP_MAX
};

#define AUTH_TOKEN_MAX		4096	/* bytes of a token on the wire */
#define AUTH_PASSWORD_MAX	1024	/* bytes of a password */
#define AUTH_EMAIL_MAX		254
#define AUTH_REFRESH_LEN	64	/* chars of [A-Za-z0-9_-] */
#define AUTH_ID_LEN		36	/* a uuid */
#define AUTH_TEXT_MAX		512	/* ip, user agent, origin, otp */

#define HEALTH_DB_OK		0x1
#define HEALTH_SECRET_OK	0x2

struct frame;
struct frame_chan;
struct tokend_config;

/* child.c */
struct tokend_config *child_receive_config(uint32_t *);
struct tokend_config *child_config_from_frame(struct frame *);
void		 child_reload_done(struct frame_chan *, const char *);

/* proto.c */
const char	*msg_type_name(uint32_t);
int		 msg_type_valid(uint32_t);
int		 msg_type_has_fd(uint32_t);
int		 email_valid(const char *, size_t);

#endif /* TOKEND_PROTO_H */
