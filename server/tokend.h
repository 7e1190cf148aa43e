/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * tokend: the parent (tokend.c) and the HTTP workers (server.c, http.c).
 */
#ifndef TOKEND_H
#define TOKEND_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "config.h"
#include "frame.h"
#include "jwt.h"
#include "privsep.h"
#include "proto.h"

/* Defaults */
#define TOKEND_BACKOFF_MIN_MS	100	/* first respawn delay */
#define TOKEND_BACKOFF_MAX_MS	10000	/* crash-loop ceiling */
#define TOKEND_STABLE_SEC	10	/* a child this old resets its back-off */
#define TOKEND_CHILD_LOG_RATE	2000	/* a child's log lines per second */
#define TOKEND_STOP_GRACE_MS	4000	/* SIGTERM, then SIGKILL */
/*
 * The parent pings each worker every TOKEND_PING_MS; one that leaves a
 * ping unanswered for TOKEND_ANSWER_MS is killed and replaced, so the
 * connections queued on its listen sockets wait at most about
 * TOKEND_PING_MS + TOKEND_ANSWER_MS.  No step of a worker's loop may
 * block for that long: what waits (keyd, the item store) waits in
 * another process.
 */
#define TOKEND_PING_MS		1000
#define TOKEND_ANSWER_MS	3000
#define SERVER_FD_RESERVE	64	/* descriptors beyond connections */
#define SMTP_LINE_MAX		1000	/* a reply line, CRLF in (RFC 5321) */
#define SMTP_REPLY_LINES	64	/* lines of one reply */
#define SMTP_REPLY_BUF		16384	/* bytes of one reply read */
#define SERVER_ACCEPT_PAUSE_MS	100	/* on EMFILE */
#define SERVER_ITEMS_TIMEOUT_MS	30000	/* an item request, locks included */
#define AUTH_BODY_MAX		8192	/* bytes of a ROUTE_SMALL_BODY body */
#define EDGE_LINGER_MS		1000	/* after a refusal, before the close */
#define EDGE_LINGER_MAX		(256 * 1024)	/* bytes discarded meanwhile */
#define EDGE_METHODS		"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, SEARCH"
/*
 * SEARCH reaches evhttp as "GET " and this marker before the target
 * (edge.c): as long as "SEARCH ", and bytes that wire.c refuses in any
 * client's target, so that only the edge can write it.
 */
#define HTTP_SEARCH_MARK	"\177\177\177"
#define HTTP_SEARCH_MARK_LEN	3
#define ROUTE_SEARCH		0x10000	/* a route's method bit beyond evhttp's */
#define CACHE_SETS		1024	/* verified credentials: sets ... */
#define CACHE_WAYS		4	/* ... of this many entries */
#define CACHE_JSON_MAX		(16 * 1024)	/* bytes of one user's JSON */
#define CACHE_JSON_TOTAL	(4 * 1024 * 1024)	/* and of all */
#define CACHE_KEY_LEN		32	/* SHA-256 of the token */
#define CACHE_NAME_MAX		256	/* bytes of a name forward auth sends */
#define TLS_TICKET_ROTATE_SEC	3600	/* the parent's new ticket key */
/* A ticket outlives one rotation: workers take the key before too. */
#define TLS_TICKET_LIFETIME_SEC	TLS_TICKET_ROTATE_SEC

/* How a route's path matches a request's (route.c). */
enum route_match {
	ROUTE_EXACT,		/* the path itself, percent-decoded */
	ROUTE_COLLECTION,	/* the path, or the path and '/' */
	ROUTE_ID,		/* the same, or the path, '/' and one segment */
	ROUTE_PREFIX,		/* the path and whatever follows it */
	ROUTE_ID_TAIL,		/* a path with a '*': one segment there */
};

/* Route flags */
#define ROUTE_AUTH_LIMIT	0x01	/* counts against auth-rate-limit too */
#define ROUTE_SMALL_BODY	0x02	/* bodies of at most AUTH_BODY_MAX */
#define ROUTE_NO_KEYD		0x04	/* answered without asking keyd */
#define ROUTE_REFRESH_COOKIE	0x08	/* reads the refresh cookie */
#define ROUTE_FORM_BODY		0x10	/* a form body too, not only JSON */

enum proc_role {
	ROLE_PARENT,
	ROLE_SERVER,
	ROLE_KEYD,
	ROLE_ITEMS,
	ROLE_MAIL,
};

/* What smtp_reply_parse() found. */
enum smtp_parse {
	SMTP_REPLY_DONE,
	SMTP_REPLY_MORE,
	SMTP_REPLY_BAD
};

/* Where and as whom the mail process delivers (smtp.c). */
struct ssl_ctx_st;
struct smtp_relay {
	const char	*host;		/* a numeric address */
	int		 port;
	const char	*from;		/* MAIL FROM */
	const char	*hostname;	/* EHLO */
	int64_t		 timeout;	/* ms, each step */
	struct ssl_ctx_st *tls;		/* STARTTLS with it; NULL: none */
	const char	*tls_name;	/* the certificate's; "": host */
};

/* The certificate chain and key the parent read (tls.c), PEM. */
struct tls_files {
	uint8_t		*cert;
	size_t		 certlen;
	uint8_t		*key;
	size_t		 keylen;
};

/* The portal's files the parent read (portal.c), in their order. */
#define PORTAL_FILES	4
struct portal_files {
	uint8_t		*data[PORTAL_FILES];
	size_t		 len[PORTAL_FILES];
};

/* The parent's view of one child process. */
struct child {
	enum proc_role		 role;
	int			 slot;		/* worker index */
	uint32_t		 generation;	/* bumps on every respawn */
	pid_t			 pid;
	struct frame_chan	*chan;
	struct event		*respawn;
	int64_t			 started;	/* ms, CLOCK_MONOTONIC */
	int			 backoff_ms;
	int			 ready;
	uint32_t		 ping_id;	/* of the last MSG_PING */
	int64_t			 ping_sent;	/* ms, 0: answered */
	int			 unanswered;	/* killed for it */
	int64_t			 log_second;	/* ms, the counting second */
	int			 log_lines;	/* written in it */
	uint64_t		 log_dropped;	/* beyond the rate, not told */
	struct event		*log_told;	/* tells it when the second ends */
};

/* A tokenctl request the parent forwarded to keyd. */
struct forward {
	TAILQ_ENTRY(forward)	 entry;
	uint32_t		 id;		/* on the keyd channel */
	uint32_t		 ctl_id;	/* tokenctl's own id */
	struct frame_chan	*ctl;		/* NULL once tokenctl left */
};
TAILQ_HEAD(forward_list, forward);

/* A worker's request waiting for keyd or its item process. */
struct pending {
	TAILQ_ENTRY(pending)	 entry;
	uint32_t		 id;
	struct frame_chan	*chan;		/* it was sent on */
	int			 cacheable;	/* keep the answer under key */
	uint8_t			 key[CACHE_KEY_LEN];
	struct evhttp_request	*req;
	struct event		*timer;
	void			(*done)(struct pending *,
				    struct frame *);
	void			*arg;		/* the caller's context */
	int64_t			 sent_us;	/* now_us() when sent */
};
TAILQ_HEAD(pending_list, pending);

/* The worker's state. */
struct server {
	struct tokend_config	*conf;
	struct event_base	*base;
	struct evhttp		*http;		/* the plain listeners */
	struct evhttp		*https;		/* the tls ones, or NULL */
	struct frame_chan	*parent;
	struct frame_chan	*keyd;
	struct frame_chan	*items;		/* to its item process */
	struct pending_list	 pending;
	uint32_t		 next_id;
	int			 slot;
	int			 nlisten;
	struct evconnlistener	*listeners[CONF_LISTEN_MAX];
	struct event		*accept_pause;
	struct jwt_keys		 keys;		/* keyd's MSG_KEYS (keys.c) */
	char			*jwks;		/* the public key set, or NULL */
	size_t			 jwks_len;
};

/* Who a request's token belongs to (MSG_AUTH_RESULT). */
struct auth_result {
	uint32_t	 code;
	char		 user[64];
	char		 role[64];
	int		 admin;
	int		 app;
	char		 session[72];
	uint64_t	 until;		/* may be cached until, ms; 0 not */
	uint64_t	 ticket_expires;	/* keyd's ticket (ticket.h) */
	uint8_t		 ticket_mac[TICKET_MAC_LEN];
	size_t		 ticket_len;	/* 0: none */
	char		 policies[AUTH_POLICIES_MAX + 1];	/* the ticket's */
};

/*
 * A row of the route table.  The handler gets what follows the row's
 * path (see route_find).
 */
struct route {
	const char		*path;
	enum route_match	 match;
	int			 methods;	/* EVHTTP_REQ_*, ROUTE_SEARCH */
	int			 flags;		/* ROUTE_* */
	void			(*handler)(struct server *,
				    struct evhttp_request *, const char *);
	/* What GET /server/specs/oas says of the row (route_openapi). */
	const char		*tag;		/* the group of routes */
	const char		*summary;	/* one line */
	int			 body;		/* methods with a JSON body */
	const char		*vars;		/* NULL, or the variable parts */
};

/*
 * What forward auth sends of a user (verify.c), made from its JSON once,
 * when first asked (cache_names_make): its email, and its first and
 * last names joined, each cut to CACHE_NAME_MAX - 1 bytes with control
 * characters blanked.
 */
struct cache_names {
	int			 has_email;	/* 0: the JSON names none */
	char			 email[CACHE_NAME_MAX];
	char			 name[CACHE_NAME_MAX];
};

/* A verified credential the worker keeps (cache.c). */
struct cache_entry {
	uint8_t			 key[CACHE_KEY_LEN];
	uint64_t		 until;		/* 0: a free slot */
	uint64_t		 used;		/* when last used */
	struct auth_result	 who;
	uint8_t			 session[CACHE_KEY_LEN]; /* its SHA-256 */
	char			*json;		/* the user, or NULL */
	size_t			 jsonlen;
	struct cache_names	*names;		/* of json; NULL: none */
};

/* server.c */
const struct tokend_config *server_conf(void);
int		 server_main(int, int);
struct pending	*server_keyd_request(struct server *, struct evhttp_request *,
		    uint32_t, const void *, size_t, int,
		    void (*)(struct pending *, struct frame *), void *);
struct pending	*server_request(struct server *, struct frame_chan *,
		    struct evhttp_request *, uint32_t, const void *, size_t,
		    int, void (*)(struct pending *, struct frame *), void *);

struct msg_cred;
struct jwt;
struct token_ref;
struct cidr;

/* introspect.c */
void		 auth_introspect(struct server *, struct evhttp_request *,
		    const char *);

/* keys.c */
void		 keys_init(struct server *);
int		 keys_receive(struct server *, struct frame *);

void		 keys_jwks(struct server *, struct evhttp_request *,
		    const char *);
void		 keys_openid(struct server *, struct evhttp_request *,
		    const char *);

/* notify.c */
void		 notify_init(void);
void		 notify_send(const char *);

/* metrics.c */
void		 metrics_init(struct server *);
void		 metrics_apply(struct server *);
int		 metrics_on(const struct tokend_config *);
void		 metrics_request(size_t, int, int, int64_t);
void		 metrics_serve(struct server *, struct evhttp_request *,
		    const char *);
size_t		 route_index(const struct route *);

/* info.c */
void		 info_server(struct server *, struct evhttp_request *,
		    const char *);
void		 info_providers(struct server *, struct evhttp_request *,
		    const char *);
void		 info_openapi(struct server *, struct evhttp_request *,
		    const char *);

/* accesslog.c */
void		 accesslog_init(struct server *);
void		 accesslog_request(struct evhttp_request *, int64_t);
void		 accesslog_flush(void);
void		 accesslog_redact(const char *, char *, size_t);

/* auth.c */
void		 auth_login(struct server *, struct evhttp_request *,
		    const char *);
void		 auth_refresh(struct server *, struct evhttp_request *,
		    const char *);
void		 auth_logout(struct server *, struct evhttp_request *,
		    const char *);
void		 auth_password_request(struct server *,
		    struct evhttp_request *, const char *);
void		 auth_password_reset(struct server *, struct evhttp_request *,
		    const char *);
void		 auth_invite_accept(struct server *, struct evhttp_request *,
		    const char *);
void		 auth_register(struct server *, struct evhttp_request *,
		    const char *);
void		 auth_register_verify(struct server *, struct evhttp_request *,
		    const char *);
void		 auth_me(struct server *, struct evhttp_request *,
		    const char *);
void		 auth_me_password(struct server *, struct evhttp_request *,
		    const char *);
void		 auth_track_page(struct server *, struct evhttp_request *,
		    const char *);
int		 auth_token(struct server *, struct evhttp_request *,
		    struct token_ref **, struct jwt *);
void		 auth_token_free(struct token_ref *);
void		 auth_credential_set(struct msg_cred *,
		    const struct token_ref *, const struct jwt *);
void		 auth_client_set(struct evhttp_request *, struct msg_client *,
		    char *, size_t);
void		 auth_error(struct evhttp_request *, uint32_t);
void		 auth_error_message(struct evhttp_request *, uint32_t,
		    const char *);
void		 auth_fields(json_t *, const char *);
int		 auth_authenticate(struct server *, struct evhttp_request *,
		    uint32_t, const void *, size_t, int,
		    void (*)(struct pending *, struct frame *), void *);
int		 auth_authenticate_query(struct server *,
		    struct evhttp_request *, const char *, uint32_t,
		    const void *, size_t, int,
		    void (*)(struct pending *, struct frame *), void *);
int		 auth_has_credential(struct server *, struct evhttp_request *);
uint32_t	 auth_token_check(struct server *, struct evhttp_request *,
		    const char **, const struct cache_entry **);
int		 auth_cookie_credential(struct server *,
		    struct evhttp_request *, int);
json_t		*auth_body_load(const void *, size_t);
const char	*auth_login_check(json_t *, int *);
const char	*auth_refresh_check(json_t *, int *, char *, size_t);
int		 auth_token_body_check(json_t *, char *, size_t);
int		 auth_register_check(json_t *, const char *[2], char *,
		    size_t);

/* itemstore.c: outcomes besides 0 */
#define ISTORE_CONFLICT		1	/* a constraint: duplicate key */
#define ISTORE_UNAVAILABLE	2	/* busy, full, read-only, broken */
#define ISTORE_ROW		3	/* istore_step: a row to read */

struct istore_stmt;
struct query_sql;
void		 istore_open(const struct tokend_config *, int);
int		 istore_tables(const struct tokend_config *);
int		 istore_touch(const char *);
int		 istore_ready(void);
int		 istore_pg(void);
int		 istore_run(const struct query_sql *, struct istore_stmt **);
int		 istore_step(struct istore_stmt *);
json_t		*istore_value(void *, int);
const char	*istore_text(struct istore_stmt *, int);
void		 istore_release(struct istore_stmt *);
int		 istore_begin(void);
int		 istore_commit(void);
void		 istore_rollback(void);
long long	 istore_last_id(void);
int		 istore_changes(void);

/* An item process's answer to one request (items_api.c). */
struct items_answer {
	int		 status;
	char		*json;		/* NULL: none (204, 404) */
};

struct perm_who;

/* items.c (the worker's side) */
void		 items_serve(struct server *, struct evhttp_request *,
		    const char *);

void		 items_access(struct server *, struct evhttp_request *,
		    const struct auth_result *, const char *, const char *);

/* items_api.c, itemd.c (the item process) */
void		 items_request(const struct tokend_config *,
		    const struct msg_items *, const struct perm_who *,
		    struct items_answer *);
int		 itemd_main(int, int);

/* maild.c (the mail process), smtp.c */
int		 maild_main(int);
enum smtp_parse	 smtp_reply_parse(const char *, size_t, int *, size_t *);
enum mail_status smtp_send(const struct smtp_relay *, const char *,
		    const uint8_t *, size_t, char *, size_t);

/* users.c */
void		 users_users(struct server *, struct evhttp_request *,
		    const char *);
void		 users_activity(struct server *, struct evhttp_request *,
		    const char *);
void		 users_invite(struct server *, struct evhttp_request *,
		    const char *);
int		 users_lookup(struct server *, struct evhttp_request *,
		    const char *, const char *, const char *, const char *,
		    void (*)(struct pending *, struct frame *), void *);
void		 users_done(struct pending *, struct frame *);
int		 users_read_roles(struct server *, struct evhttp_request *,
		    size_t, int, void (*)(struct pending *, struct frame *),
		    void *);
void		 users_access(struct server *, struct evhttp_request *,
		    const char *);
void		 users_tfa_generate(struct server *, struct evhttp_request *,
		    const char *);
void		 users_tfa_enable(struct server *, struct evhttp_request *,
		    const char *);
void		 users_tfa_disable(struct server *, struct evhttp_request *,
		    const char *);
void		 users_tfa_recovery(struct server *, struct evhttp_request *,
		    const char *);
void		 users_tfa_admin_disable(struct server *,
		    struct evhttp_request *, const char *);
void		 users_sessions(struct server *, struct evhttp_request *,
		    const char *);

/* access.c */
void		 access_policies_read(struct server *, struct evhttp_request *,
		    const char *);
void		 access_policies_globals(struct server *,
		    struct evhttp_request *, const char *);
void		 access_roles_read(struct server *, struct evhttp_request *,
		    const char *);
void		 access_roles_mine(struct server *, struct evhttp_request *,
		    const char *);
void		 access_permissions_read(struct server *,
		    struct evhttp_request *, const char *);
void		 access_permissions_mine(struct server *,
		    struct evhttp_request *, const char *);
void		 access_permissions_item(struct server *,
		    struct evhttp_request *, const char *);
void		 access_access_read(struct server *, struct evhttp_request *,
		    const char *);
void		 access_readonly(struct server *, struct evhttp_request *,
		    const char *);
json_t		*access_policy_json(const struct tokend_config *,
		    const char *);
int		 access_policy_field(const char *);

/* route.c */
const struct route *route_get(size_t);
const struct route *route_find(const char *, int, const char **);
int		 route_path_flags(const char *);
int		 route_small_body(const char *, size_t);
void		 route_print(FILE *);
json_t		*route_openapi(void);

/* edge.c */
struct bufferevent;
void		 edge_init(struct server *);
void		 edge_send_now(struct bufferevent *);

/* portal.c: the parent's side, then the worker's */
struct frame_chan;
int		 portal_files_load(const struct tokend_config *,
		    struct portal_files *, char *, size_t);
void		 portal_files_clear(struct portal_files *);
void		 portal_files_send(const struct tokend_config *,
		    const struct portal_files *, struct frame_chan *);
int		 portal_set_files(const struct tokend_config *,
		    struct frame *);
const char	*portal_rest(const struct tokend_config *, const char *);
void		 portal_headers(struct evhttp_request *);
void		 portal_serve(struct server *, struct evhttp_request *,
		    const char *);

/* tls.c: the worker's side, then the parent's */
struct event_base;
void		 tls_init(void);
struct ssl_ctx_st *tls_ctx_new(const struct tokend_config *, const uint8_t *,
		    size_t, const uint8_t *, size_t, char *, size_t);
int		 tls_set_cert(const struct tokend_config *, struct frame *);
int		 tls_set_ticket(struct frame *);
int		 tls_ready(void);
struct bufferevent *tls_bev_new(struct event_base *, int);
int		 tls_bev_is_tls(struct bufferevent *);
void		 tls_bev_write(struct bufferevent *, const void *, size_t);
void		 tls_bev_close(struct bufferevent *);
int		 tls_files_load(const struct tokend_config *,
		    struct tls_files *, char *, size_t);
void		 tls_files_clear(struct tls_files *);
void		 tls_ticket_new(uint8_t *);

/* cache.c */
int		 auth_result_read(struct frame *, struct auth_result *);
void		 auth_ticket_set(struct msg_ticket *,
		    const struct auth_result *);
int		 auth_user_read(struct frame *, struct auth_result *,
		    const uint8_t **, size_t *);
void		 cache_init(int);
void		 cache_key(const void *, size_t, uint8_t *);
const struct cache_entry *cache_find(struct server *, const uint8_t *);
const struct cache_entry *cache_find_names(struct server *, const uint8_t *);
int		 cache_names_make(const uint8_t *, size_t,
		    struct cache_names *);
void		 cache_clean(char *, size_t, const char *);
void		 cache_store(const uint8_t *, struct frame *);
int		 cache_invalidate(struct frame *);
void		 cache_flush(void);
int		 cache_answer(const struct cache_entry *, uint32_t,
		    struct frame_buf *, uint32_t *);

/* verify.c */
void		 verify_serve(struct server *, struct evhttp_request *,
		    const char *);

/* http.c */
void		 http_init(struct server *);
void		 http_ping(struct server *, struct evhttp_request *,
		    const char *);
void		 http_health(struct server *, struct evhttp_request *,
		    const char *);
int		 http_is_search(struct evhttp_request *);
int		 http_method(struct evhttp_request *);
void		 http_not_found(struct evhttp_request *, void *);
int		 http_body_is_form(struct evhttp_request *);
void		 http_json(struct evhttp_request *, int, const char *);
void		 http_json_buf(struct evhttp_request *, int, const char *,
		    size_t);
void		 http_json_data(struct evhttp_request *, const void *, size_t);
char		*http_data_dumps(json_t *);
int		 http_client(struct evhttp_request *, struct cidr *);
void		 http_client_text(struct evhttp_request *, char *, size_t);
const char	*http_scheme(struct evhttp_request *);
void		 http_apply_limits(struct server *);
void		 http_reply(struct evhttp_request *, int, const char *);
void		 http_error(struct evhttp_request *, int, const char *,
		    const char *);
char		*http_error_text(const char *, const char *);
void		 http_error_buf(struct evhttp_request *, int, const char *,
		    size_t);
void		 http_too_many(struct evhttp_request *, int, int64_t);

#endif /* TOKEND_H */
