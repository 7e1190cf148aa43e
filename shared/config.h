/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The configuration: parsed once by the parent from tokend.conf
 * (parse.y), checked (config_check.c), then shipped to keyd and the
 * workers as JSON (config_json.c) over the framing.  Each setting is
 * declared once, in the table of config.c.
 */
#ifndef TOKEND_CONFIG_H
#define TOKEND_CONFIG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <limits.h>
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

/* Defaults: paths, users, limits. */
/* The installed configuration's directory (make install SYSCONFDIR=). */
#ifndef CONF_SYSCONFDIR
#define CONF_SYSCONFDIR		"/etc"
#endif
#define CONF_FILE_DEFAULT	CONF_SYSCONFDIR "/tokend.conf"
#define CONF_PORT_DEFAULT	8055
#define CONF_SERVER_USER	"_tokend"
#define CONF_SERVER_CHROOT	"/var/tokend"
#define CONF_ITEMS_USER		"_tokend_items"
#define CONF_KEYD_USER		"_tokend_keyd"
#define CONF_KEYD_CHROOT	"/var/db/tokend"
#define CONF_DATABASE		"/var/db/tokend/db/credentials.db"
#define CONF_SECRET		CONF_SYSCONFDIR "/tokend/secret"
#define CONF_TFA_KEY		CONF_SYSCONFDIR "/tokend/tfa-key"
#define CONF_TFA_ISSUER		"tokend"
#define CONF_CONTROL		"/var/run/tokend.sock"
#ifndef CONF_KEYD_PROGRAM
#define CONF_KEYD_PROGRAM	"/usr/local/libexec/tokend/keyd"
#endif
#define CONF_HEADER_MAX		8192
#define CONF_BODY_MAX		(1024 * 1024)
#define CONF_CONNECTIONS	1024
#define CONF_REQUEST_TIMEOUT	30	/* seconds */
#define CONF_LINE_MAX		0	/* a request line; 0: header-size */
#define CONF_HEADER_COUNT	100	/* header fields of a request */
#define CONF_HEADER_DEADLINE	10000	/* milliseconds for a whole head */
#define CONF_BODY_DEADLINE	30000	/* milliseconds for a whole body */
#define CONF_RATE_DURATION	1000	/* milliseconds; points 0: off */
#define CONF_AUTH_RATE_DURATION	60000
#define CONF_RATE_ADDRESSES	16384	/* addresses a worker keeps */
#define CONF_KEYD_TIMEOUT	2000	/* milliseconds */
#define CONF_LISTEN_MAX		16
#define CONF_PREFORK_MAX	64
#define CONF_ACCESS_TTL		(15 * 60 * 1000LL)	/* milliseconds */
#define CONF_REFRESH_TTL	(7 * 24 * 60 * 60 * 1000LL)
#define CONF_SESSION_TTL	(24 * 60 * 60 * 1000LL)
#define CONF_SESSION_GRACE	(10 * 1000LL)
#define CONF_LOGIN_STALL	500	/* milliseconds */
#define CONF_LOGIN_ATTEMPTS	25
#define CONF_LOGIN_LOCKOUT	(15 * 60 * 1000LL)	/* milliseconds */
#define CONF_AUDIT_RETENTION	(90 * 24 * 60 * 60 * 1000LL)	/* ms */
#define CONF_HASH_MEMORY	65536	/* KiB */
#define CONF_HASH_ITERATIONS	3
#define CONF_HASH_PARALLELISM	4
#define CONF_HASH_QUEUE		64
#define CONF_REFRESH_COOKIE	"directus_refresh_token"
#define CONF_SESSION_COOKIE	"directus_session_token"
#define CONF_COOKIE_SAMESITE	"Lax"
/* cors { }: Directus's defaults of CORS_METHODS and the others. */
#define CONF_CORS_METHODS	"GET,POST,PATCH,DELETE"
#define CONF_CORS_ALLOWED_HEADERS "Content-Type,Authorization"
#define CONF_CORS_EXPOSED_HEADERS "Content-Range"
#define CONF_CORS_MAX_AGE	18000	/* seconds */
#define CONF_CORS_MAX_AGE_HI	(7 * 24 * 3600)
#define CONF_CORS_LIST_MAX	1024	/* a list, with the NUL */
#define CONF_CORS_ORIGINS_MAX	32	/* origins in cors origin */
/* forward-auth { }: the headers naming the user, as Authelia's. */
#define CONF_FA_USER_HEADER	"Remote-User"
#define CONF_FA_EMAIL_HEADER	"Remote-Email"
#define CONF_FA_NAME_HEADER	"Remote-Name"
#define CONF_FA_GROUPS_HEADER	"Remote-Groups"
#define CONF_FA_PORTAL_PATH	"portal/"	/* after public-url */
#define CONF_HEADER_NAME_MAX	64	/* a header's name, with the NUL */
#define CONF_PROTECT_MAX	64	/* protect rules */
#define CONF_ITEMS		"/var/tokend/data/items.db"
#define CONF_QUERY_LIMIT	1000	/* rows per page at most */
#define CONF_MAIL_USER		"_tokend_mail"
#define CONF_MAIL_RELAY		"127.0.0.1"
#define CONF_MAIL_PORT		25
#define CONF_MAIL_FROM		"tokend@localhost"
#define CONF_MAIL_HOSTNAME	"localhost"	/* EHLO, Message-ID */
#define CONF_MAIL_TIMEOUT	30000	/* milliseconds, each SMTP step */
#define CONF_MAIL_PROJECT	"tokend"
#define CONF_MAIL_RESET_TEMPLATE CONF_SYSCONFDIR "/tokend/mail-reset.txt"
#define CONF_MAIL_INVITE_TEMPLATE CONF_SYSCONFDIR "/tokend/mail-invite.txt"
#define CONF_MAIL_VERIFY_TEMPLATE CONF_SYSCONFDIR "/tokend/mail-verify.txt"
#define CONF_MAIL_EXISTS_TEMPLATE CONF_SYSCONFDIR "/tokend/mail-exists.txt"
#define CONF_INVITE_TTL		(7 * 24 * 60 * 60 * 1000LL)	/* Directus's */
#define CONF_REGISTER_TTL	(24 * 60 * 60 * 1000LL)
#define CONF_REGISTER_EMAIL	"*"
#define CONF_ACCESS_LOG_FORMAT	"combined"
#define REGISTER_VERIFY_PATH	"/users/register/verify-email"
#define CONF_MAIL_CA_FILE	"/etc/ssl/certs/ca-certificates.crt"
#define CONF_RESET_TTL		(60 * 60 * 1000LL)	/* milliseconds */
#define CONF_TLS_PROTOCOLS	"tlsv1.2 tlsv1.3"
/* TLS 1.2 only: forward secrecy and AEAD (TLS 1.3's are all such). */
#define CONF_TLS_CIPHERS	"ECDHE+AESGCM:ECDHE+CHACHA20"
#define CONF_HANDSHAKE_DEADLINE	10000	/* milliseconds for a TLS handshake */

/* Bounds, in the settings table of config.c. */
#define CONF_HEADER_LO		1024
#define CONF_HEADER_HI		(64 * 1024)
#define CONF_BODY_LO		1024
#define CONF_BODY_HI		(64 * 1024 * 1024)
#define CONF_CONNECTIONS_LO	16
#define CONF_CONNECTIONS_HI	65536
#define CONF_REQUEST_LO		1	/* seconds */
#define CONF_REQUEST_HI		3600
#define CONF_LINE_LO		256
#define CONF_LINE_HI		(64 * 1024)
#define CONF_HEADER_COUNT_LO	8
#define CONF_HEADER_COUNT_HI	1000
#define CONF_DEADLINE_LO	100	/* milliseconds */
#define CONF_DEADLINE_HI	(3600 * 1000)
#define CONF_RATE_POINTS_HI	1000000
#define CONF_RATE_DURATION_LO	100	/* milliseconds */
#define CONF_RATE_DURATION_HI	(24 * 60 * 60 * 1000LL)
#define CONF_RATE_ADDRESSES_LO	256
#define CONF_RATE_ADDRESSES_HI	(1024 * 1024)
#define CONF_KEYD_TIMEOUT_LO	100	/* milliseconds */
#define CONF_KEYD_TIMEOUT_HI	60000
#define CONF_ACCESS_TTL_LO	(10 * 1000LL)	/* milliseconds */
#define CONF_ACCESS_TTL_HI	(24 * 60 * 60 * 1000LL)
#define CONF_REFRESH_TTL_LO	(60 * 1000LL)
#define CONF_REFRESH_TTL_HI	(365 * 24 * 60 * 60 * 1000LL)
#define CONF_SESSION_TTL_LO	(60 * 1000LL)
#define CONF_SESSION_TTL_HI	(365 * 24 * 60 * 60 * 1000LL)
#define CONF_SESSION_GRACE_LO	0
#define CONF_SESSION_GRACE_HI	(5 * 60 * 1000LL)
#define CONF_LOGIN_STALL_LO	0	/* milliseconds */
#define CONF_LOGIN_STALL_HI	10000
#define CONF_LOGIN_ATTEMPTS_LO	0	/* no limit */
#define CONF_LOGIN_ATTEMPTS_HI	10000
#define CONF_LOGIN_LOCKOUT_LO	1000	/* milliseconds */
#define CONF_LOGIN_LOCKOUT_HI	(24 * 60 * 60 * 1000LL)
#define CONF_AUDIT_RETENTION_LO	1000	/* milliseconds */
#define CONF_AUDIT_RETENTION_HI	(3650 * 24 * 60 * 60 * 1000LL)
#define CONF_HASH_MEMORY_LO	1024	/* KiB */
#define CONF_HASH_MEMORY_HI	(256 * 1024)
#define CONF_HASH_ITERATIONS_LO	1
#define CONF_HASH_ITERATIONS_HI	16
#define CONF_HASH_PARALLELISM_LO 1
#define CONF_HASH_PARALLELISM_HI 16
#define CONF_HASH_THREADS_LO	1
#define CONF_HASH_THREADS_HI	64
#define CONF_HASH_QUEUE_LO	1
#define CONF_HASH_QUEUE_HI	4096

#define CONF_QUERY_LIMIT_LO	1
#define CONF_QUERY_LIMIT_HI	100000

#define CONF_NAME_MAX		64	/* user names */
#define CONF_IDENT_MAX		64	/* collection, field, role names + NUL */
#define CONF_UUID_LEN		36
#define CONF_JSON_MAX		8192	/* bytes of a filter, validation, presets */
#define CONF_FIELDS_MAX		256	/* names in one field list */
#define CONF_COLLECTIONS_MAX	256
#define CONF_ROLES_MAX		256
#define CONF_PERMISSIONS_MAX	4096	/* in all policies together */
#define CONF_POLICIES_MAX	512	/* configured, roles' own and public */
#define CONF_POLICY_REFS_MAX	64	/* policies one role or user holds */
#define CONF_IP_ALLOW_MAX	64	/* networks in one policy's ip-allow */
/* Directus 11's public policy: its id, name and icon. */
#define CONF_PUBLIC_POLICY_ID	"abf8a154-5b1c-4a46-ac9c-7300570f4f17"
#define CONF_PUBLIC_POLICY_NAME	"$t:public_label"
#define CONF_USERS_COLLECTION	"directus_users"
/* keyd's refusal of the whole collection, which the worker recognises. */
#define CONF_USERS_DENIED	"You don't have permission to access " \
				"collection \"" CONF_USERS_COLLECTION \
				"\" or it does not exist."
#define CONF_ADMIN_ROLE_ID	"a0000000-0000-4000-8000-000000000001"
#define CONF_ADMIN_ROLE_NAME	"admin"	/* built in, never configured */
#define CONF_FILE_MAX		(1024 * 1024)	/* a config file, bytes */
#define CONF_COOKIE_NAME_MAX	64	/* cookie names, with the NUL */
#define CONF_COOKIE_DOMAIN_MAX	256
#define CONF_SAMESITE_MAX	8	/* "Strict" */
#define CONF_PUBLIC_URL_MAX	512	/* public-url, with the NUL */
#define CONF_TEXT_MAX		256	/* a project, host or address */
#define CONF_URL_LIST_MAX	4096	/* reset-url-allow, with the NUL */
#define CONF_MAIL_TIMEOUT_LO	100	/* milliseconds */
#define CONF_MAIL_TIMEOUT_HI	(10 * 60 * 1000)
#define CONF_RESET_TTL_LO	(1000LL)
#define CONF_RESET_TTL_HI	(24 * 60 * 60 * 1000LL)
#define CONF_INVITE_TTL_LO	(60 * 60 * 1000LL)
#define CONF_INVITE_TTL_HI	(30 * 24 * 60 * 60 * 1000LL)
#define CONF_HSTS_HI		(2 * 365 * 24 * 60 * 60)	/* seconds */
#define CONF_ROTATE_EVERY_HI	(365 * 24 * 60 * 60)	/* seconds */
#define CONF_TLS_TEXT_MAX	1024	/* protocols, ciphers, with the NUL */
#define CONF_SIGNING_ALG	"HS256"	/* Directus's */
#define CONF_SIGNING_ALG_MAX	8	/* "HS256", "EdDSA", "ES256" */
#define CONF_PORTAL_PATH	"/portal/"	/* the sign-in portal's */
#define CONF_PORTAL_PATH_MAX	64	/* with the NUL */
#define CONF_PORTAL_TITLE	"tokend"
#ifndef CONF_PORTAL_DIRECTORY	/* the makefile's PORTALDIR */
#define CONF_PORTAL_DIRECTORY	CONF_SERVER_CHROOT "/portal"
#endif

struct listen_addr {
	TAILQ_ENTRY(listen_addr) entry;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 host[NI_MAXHOST];	/* as written */
	int			 port;
	int			 tls;		/* listen ... tls */
};
TAILQ_HEAD(listen_list, listen_addr);

/* Permission actions, a bit each. */
#define PERM_CREATE		0x01
#define PERM_READ		0x02
#define PERM_UPDATE		0x04
#define PERM_DELETE		0x08
#define PERM_ALL		0x0f

/* What a JSON text of a permission is (config_permission_json). */
enum conf_json {
	CONF_JSON_FILTER,
	CONF_JSON_VALIDATION,
	CONF_JSON_PRESETS
};

/*
 * A list of field names.  all: "*" (a permission covering every field,
 * or a collection that declares none and so takes any field name).
 */
struct conf_fields {
	int			 all;
	size_t			 n;
	char			(*names)[CONF_IDENT_MAX];
};

/* field "author" references "directus_users": a many-to-one relation. */
#define CONF_RELATIONS_MAX	16	/* relations of one collection */
struct conf_relation {
	char			 field[CONF_IDENT_MAX];
	char			 target[CONF_IDENT_MAX];	/* collection */
};

/*
 * collection "name" { primary-key integer|uuid; fields "a" "b";
 * field "c" references "other" }
 */
struct conf_collection {
	TAILQ_ENTRY(conf_collection) entry;
	char			 name[CONF_IDENT_MAX];
	int			 pk_uuid;	/* 0: integer, auto-increment */
	struct conf_fields	 fields;
	struct conf_relation	 relations[CONF_RELATIONS_MAX];
	size_t			 nrelations;
};
TAILQ_HEAD(conf_collection_list, conf_collection);

/*
 * permission "collection" action... { fields; filter; validation;
 * presets }.  filter, validation and presets are JSON text (already
 * checked by the parser) or NULL.
 */
struct conf_permission {
	TAILQ_ENTRY(conf_permission) entry;
	char			 collection[CONF_IDENT_MAX];
	int			 actions;	/* PERM_* */
	struct conf_fields	 fields;
	char			*filter;
	char			*validation;
	char			*presets;
	int			 merged;	/* perm.c's merge of several */
};
TAILQ_HEAD(conf_permission_list, conf_permission);

/* Where a policy comes from. */
enum conf_policy_kind {
	CONF_POLICY_CONFIGURED,	/* policy "name" { ... } */
	CONF_POLICY_ROLE,	/* a role's own lines, named after it */
	CONF_POLICY_PUBLIC	/* Directus's public policy, for everyone */
};

/*
 * policy "name" { id "uuid"; admin-access; app-access; enforce-tfa;
 * ip-allow "net"...; permission... }.  Every policy, a role's own and
 * the public one included, is in the configuration's list; roles and
 * the public access hold pointers into it.
 */
struct conf_policy {
	TAILQ_ENTRY(conf_policy) entry;
	char			 name[CONF_IDENT_MAX];
	char			 id[CONF_UUID_LEN + 1];
	enum conf_policy_kind	 kind;
	int			 admin;
	int			 app;
	int			 enforce_tfa;	/* its users need TFA */
	char			*ip_allow;	/* as written; NULL: anywhere */
	struct cidr		*ip;		/* ip_allow parsed */
	size_t			 nip;
	struct conf_permission_list perms;
};
TAILQ_HEAD(conf_policy_list, conf_policy);

/* An ordered list of policies a role (or the public) holds. */
struct conf_policy_refs {
	size_t			 n;
	struct conf_policy	**v;
};

/*
 * role "name" { id "uuid"; policy "name"...; admin-access; app-access;
 * enforce-tfa; permission... }: the lines other than id and policy
 * make the role's own policy, first in its list.
 */
struct conf_role {
	TAILQ_ENTRY(conf_role)	 entry;
	char			 name[CONF_IDENT_MAX];
	char			 id[CONF_UUID_LEN + 1];
	struct conf_policy	*own;		/* NULL: no lines of its own */
	struct conf_policy_refs	 policies;
	char			 parent[CONF_UUID_LEN + 1];	/* "": none */
};
TAILQ_HEAD(conf_role_list, conf_role);

/*
 * protect HOST PREFIX { role NAME | admin-access yes }: who may pass
 * GET /auth/verify for a request to HOST ("*": any) whose path starts
 * with PREFIX.  The first rule that matches decides.
 */
struct conf_protect {
	char			 host[CONF_TEXT_MAX];
	char			 path[CONF_TEXT_MAX];
	char			 role[CONF_IDENT_MAX];	/* "": any role */
	int			 admin;		/* admin access needed */
};

struct tokend_config {
	struct listen_list	 listens;
	int			 prefork;	/* 0: number of CPUs */
	char			 server_user[CONF_NAME_MAX];
	char			 server_chroot[PATH_MAX];
	char			 items_user[CONF_NAME_MAX];	/* item processes */
	char			 items_chroot[PATH_MAX];	/* "": server_chroot */
	char			 keyd_user[CONF_NAME_MAX];
	char			 keyd_chroot[PATH_MAX];
	char			 keyd_program[PATH_MAX];
	char			 database[PATH_MAX];
	char			 secret[PATH_MAX];
	char			 tfa_key[PATH_MAX];	/* seals TFA secrets */
	char			 control[PATH_MAX];
	size_t			 header_max;
	size_t			 body_max;
	int			 connections;	/* per worker */
	size_t			 line_max;	/* request line, 0: header_max */
	int			 header_count;	/* header fields */
	int			 request_timeout;	/* seconds */
	int			 header_deadline;	/* milliseconds */
	int			 body_deadline;	/* milliseconds */

	/* Per-IP rate limits of a worker; points 0: off. */
	int			 rate_points;
	int64_t			 rate_duration;	/* milliseconds */
	int			 auth_rate_points;	/* login, refresh */
	int			 rate_shared;	/* login, refresh in the store */
	int64_t			 auth_rate_duration;
	int			 rate_addresses;
	int			 keyd_timeout;	/* milliseconds */

	/* Authentication (all durations in milliseconds). */
	int64_t			 access_ttl;
	int64_t			 refresh_ttl;
	int64_t			 session_ttl;
	int64_t			 session_grace;	/* old token, after refresh */
	int			 login_stall;
	int			 login_attempts;	/* 0: no limit */
	int64_t			 login_lockout;
	int64_t			 audit_retention;	/* ms */
	char			 tfa_issuer[CONF_TEXT_MAX];	/* otpauth URLs */

	/* argon2id for new hashes, and keyd's hashing pool. */
	int			 hash_memory;	/* KiB */
	int			 hash_iterations;
	int			 hash_parallelism;
	int			 hash_threads;	/* 0: CPUs, in config_finish */
	int			 hash_queue;	/* hashes waiting or running */

	/* Cookies; same-site is "Lax", "Strict" or "None", domain "" none. */
	char			 refresh_cookie[CONF_COOKIE_NAME_MAX];
	char			 session_cookie[CONF_COOKIE_NAME_MAX];
	int			 refresh_cookie_secure;
	int			 session_cookie_secure;
	char			 refresh_cookie_samesite[CONF_SAMESITE_MAX];
	char			 session_cookie_samesite[CONF_SAMESITE_MAX];
	char			 refresh_cookie_domain[CONF_COOKIE_DOMAIN_MAX];
	char			 session_cookie_domain[CONF_COOKIE_DOMAIN_MAX];

	/* tokend's URL as browsers see it (public-url); "" not set. */
	char			 public_url[CONF_PUBLIC_URL_MAX];
	char			 trusted_proxy[CONF_URL_LIST_MAX];	/* networks */
	char			 access_log[PATH_MAX];	/* "", "syslog", a file */
	char			 access_log_format[16];	/* combined, json */
	char			 metrics_allow[CONF_URL_LIST_MAX];	/* networks */
	char			 metrics_role[CONF_NAME_MAX];	/* "": none */

	/* CORS (cors { }): off while origin is "". */
	char			 cors_origin[CONF_CORS_LIST_MAX];
	char			 cors_methods[CONF_CORS_LIST_MAX];
	char			 cors_allowed_headers[CONF_CORS_LIST_MAX];
	char			 cors_exposed_headers[CONF_CORS_LIST_MAX];
	int			 cors_credentials;
	int			 cors_max_age;	/* seconds */

	/* Forward auth (forward-auth { }, protect). */
	char			 fa_portal_url[CONF_PUBLIC_URL_MAX]; /* "": own */
	char			 fa_user_header[CONF_HEADER_NAME_MAX];
	char			 fa_email_header[CONF_HEADER_NAME_MAX];
	char			 fa_name_header[CONF_HEADER_NAME_MAX];
	char			 fa_groups_header[CONF_HEADER_NAME_MAX];
	struct conf_protect	 protect[CONF_PROTECT_MAX];
	size_t			 nprotect;

	/*
	 * Data: the item store, collections, policies, roles and the
	 * public access: the public policy (always there, also in
	 * policies) first, then the policies public { } names.
	 */
	char			 items[PATH_MAX];	/* below items_chroot */
	int			 query_limit;	/* rows per page at most */
	struct conf_collection_list collections;
	struct conf_policy_list	 policies;
	struct conf_role_list	 roles;
	struct conf_policy	*public_policy;
	struct conf_policy_refs	 public;

	/* Mail: the mail process and its relay, the password reset. */
	char			 mail_user[CONF_NAME_MAX];
	char			 mail_chroot[PATH_MAX];	/* "": server_chroot */
	char			 mail_relay[CONF_TEXT_MAX];	/* an address */
	int			 mail_port;
	char			 mail_from[CONF_TEXT_MAX];
	char			 mail_hostname[CONF_TEXT_MAX];
	int64_t			 mail_timeout;	/* each SMTP step, ms */
	int			 mail_starttls;	/* STARTTLS, or no mail */
	char			 mail_ca_file[PATH_MAX];	/* to verify the relay */
	char			 mail_tls_name[CONF_TEXT_MAX];	/* "": relay */
	char			 mail_project[CONF_TEXT_MAX];
	char			 mail_reset_template[PATH_MAX];
	char			 mail_invite_template[PATH_MAX];
	char			 mail_verify_template[PATH_MAX];
	char			 mail_exists_template[PATH_MAX];
	char			 reset_url_allow[CONF_URL_LIST_MAX];
	int64_t			 reset_ttl;	/* ms */

	/* Invites and public registration. */
	char			 invite_url_allow[CONF_URL_LIST_MAX];
	int64_t			 invite_ttl;	/* ms */
	int			 register_on;	/* POST /users/register */
	char			 register_role[CONF_NAME_MAX];	/* "": none */
	char			 introspect_role[CONF_NAME_MAX]; /* "": none */
	char			 register_email[CONF_URL_LIST_MAX];
	int			 register_verify;	/* unverified first */
	char			 register_url_allow[CONF_URL_LIST_MAX];
	int64_t			 register_ttl;	/* ms */

	/* TLS of the listen addresses marked tls (server/tls.c). */
	char			 tls_certificate[PATH_MAX];	/* PEM chain */
	char			 tls_key[PATH_MAX];
	char			 tls_protocols[CONF_TLS_TEXT_MAX];
	char			 tls_ciphers[CONF_TLS_TEXT_MAX];
	int			 tls_hsts;	/* max-age, seconds; 0: none */
	int			 handshake_deadline;	/* milliseconds */

	/* The access tokens' signatures (keyd/sign.c). */
	char			 signing_alg[CONF_SIGNING_ALG_MAX];
	char			 signing_key[PATH_MAX];	/* "": next to secret */
	int			 signing_rotate_every;	/* seconds; 0: never */

	/* The sign-in portal (server/portal.c), on with a portal block. */
	int			 portal_on;
	char			 portal_path[CONF_PORTAL_PATH_MAX];
	char			 portal_title[CONF_TEXT_MAX];
	char			 portal_redirect_allow[CONF_URL_LIST_MAX];
	char			 portal_directory[PATH_MAX];	/* its files */
};

/* How a setting is stored in struct tokend_config. */
enum config_kind {
	CONF_KIND_USER,		/* strings, each with its own check */
	CONF_KIND_PATH,
	CONF_KIND_PATH_UNSET,	/* a path, or "" for none */
	CONF_KIND_DATABASE,	/* a path, or a postgresql:// URI */
	CONF_KIND_COOKIE_NAME,
	CONF_KIND_COOKIE_DOMAIN,
	CONF_KIND_SAMESITE,
	CONF_KIND_SIGNING_ALG,	/* HS256, EdDSA or ES256, exactly */
	CONF_KIND_URL,		/* an http or https URL, "" none */
	CONF_KIND_PORTAL_PATH,	/* "/word/.../", a URL path of safe bytes */
	CONF_KIND_REDIRECT_LIST, /* URL patterns (shared/redirect.c) */
	CONF_KIND_TEXT,		/* printable ASCII, no control character */
	CONF_KIND_ADDRESS,	/* a numeric IPv4 or IPv6 address */
	CONF_KIND_MAILBOX,	/* local@domain, for SMTP and From: */
	CONF_KIND_NETWORKS,	/* addresses and ADDR/PREFIX networks */
	CONF_KIND_ORIGINS,	/* http(s)://host[:port] origins */
	CONF_KIND_TOKENS,	/* HTTP tokens (methods, header names) */
	CONF_KIND_HEADER,	/* one header name */
	CONF_KIND_INT,		/* int */
	CONF_KIND_SIZE,		/* size_t */
	CONF_KIND_MSEC,		/* int64_t milliseconds */
	CONF_KIND_BOOL		/* int; yes or no, a JSON boolean */
};

/* How a number is written in tokend.conf; bounds are in stored units. */
enum config_unit {
	CONF_UNIT_NUMBER,	/* a plain number */
	CONF_UNIT_BYTES,	/* a size: 512, 64K, 1M */
	CONF_UNIT_KIB,		/* a size in whole KiB, stored in KiB */
	CONF_UNIT_MSEC,		/* a duration: 500ms, 10s, 15m, 1h, 1d */
	CONF_UNIT_SEC		/* a duration in whole seconds, stored so */
};

#define CONF_FIELD_RESTART	0x01	/* fixed until tokend restarts */
#define CONF_FIELD_UNSET	0x02	/* 0, the default, is allowed below
					   min: it means "not set" */

/*
 * One setting of the table in config.c: where the grammar finds it
 * (block and word), what messages call it, how it is written, stored
 * and bounded, its default, and its key in the JSON form.  The grammar,
 * config_new, config_finish, the JSON codec and config_restart_needed
 * all walk this one table.
 */
struct config_field {
	const char	*key;		/* in the JSON form */
	const char	*block;		/* "keyd", "cookie refresh"; "" top */
	const char	*word;		/* the keyword inside that block */
	const char	*label;		/* in messages */
	enum config_kind kind;
	enum config_unit unit;
	size_t		 offset;
	size_t		 size;		/* strings: buffer size */
	long long	 min;
	long long	 max;
	long long	 def;		/* numbers: the default */
	const char	*defstr;	/* strings: the default */
	int		 flags;		/* CONF_FIELD_* */
};

/*
 * The origin of an http or https URL (config_url_origin): host points
 * into the URL, and is compared without case.
 */
struct url_origin {
	int		 https;
	int		 port;		/* the scheme's default if unwritten */
	const char	*host;
	size_t		 hostlen;
};

/* config.c: the settings table, the defaults */
extern const struct config_field config_fields[];
extern const size_t config_nfields;
struct tokend_config *config_new(void);
void		 config_free(struct tokend_config *);
const struct config_field *config_field_find(const char *, const char *);
int		 config_field_is_string(const struct config_field *);
int		 config_signing_key_path(const struct tokend_config *, char *,
		    size_t);
char		*config_field_string(const struct tokend_config *,
		    const struct config_field *);
long long	 config_field_number(const struct tokend_config *,
		    const struct config_field *);
void		 config_field_set_number(struct tokend_config *,
		    const struct config_field *, long long);

/* config_check.c: values, listen addresses, the finished config, paths */
int		 config_finish(struct tokend_config *);
int		 config_check_auth(const struct tokend_config *);
int		 config_check_items(const struct tokend_config *);
const char	*config_field_check(const struct config_field *,
		    const char *);
/* Is the database setting a PostgreSQL URI (else a SQLite file)? */
#define CONF_DATABASE_PG(s)	\
	(strncmp((s), "postgresql://", 13) == 0 || \
	strncmp((s), "postgres://", 11) == 0)

int		 config_path_within(const char *, const char *, char *,
		    size_t);
const char	*config_check_user(const char *);
const char	*config_check_path(const char *);
const char	*config_check_cookie_name(const char *);
const char	*config_check_cookie_domain(const char *);
const char	*config_check_public_url(const char *);
int		 config_check_access_log(const struct tokend_config *);
int		 config_register_link(const struct tokend_config *,
		    const char *, char *, size_t);
const char	*config_url_origin(const char *, size_t, struct url_origin *,
		    size_t *);
int		 config_url_origin_same(const struct url_origin *,
		    const struct url_origin *);
const char	*config_samesite(const char *);
const char	*config_check_origins(const char *);
int		 config_origin_listed(const char *, const char *, size_t);
int		 config_listen_add(struct tokend_config *, const char *,
		    const struct sockaddr *, socklen_t, int, const char **);
int		 config_listen_add_numeric(struct tokend_config *,
		    const char *, const char *, int, const char **);
int		 config_tls_listens(const struct tokend_config *);
int		 config_tls_protocols(const char *, int *, int *);

/* config_json.c: the JSON form the children get, the reload diff */
char		*config_to_json(const struct tokend_config *);
struct tokend_config *config_from_json(const char *, size_t);
int		 config_restart_needed(const struct tokend_config *,
		    const struct tokend_config *, char *, size_t);

/* config_data.c: collections, roles, permissions */
const struct conf_collection *config_collection(const struct tokend_config *,
		    const char *);
const struct conf_role *config_role_by_id(const struct tokend_config *,
		    const char *);
const struct conf_role *config_role_by_name(const struct tokend_config *,
		    const char *);
struct json_t	*config_role_json(const struct tokend_config *, const char *,
		    const struct conf_fields *);
int		 config_role_field(const char *);
int		 config_access_field(const char *);
void		 config_derived_id(const char *, const char *, const char *,
		    char *);
struct json_t	*config_role_children(const struct tokend_config *,
		    const char *);
struct json_t	*config_role_access_ids(const struct tokend_config *,
		    const char *);
const struct conf_permission *config_permission(
		    const struct conf_permission_list *, const char *, int);
int		 config_fields_has(const struct conf_fields *, const char *);
int		 config_ident_valid(const char *);
int		 config_action(const char *);
const char	*config_action_name(int);
const char	*config_json_name(enum conf_json);
const char	*config_fields_add(struct conf_fields *, const char *);
void		 config_fields_finish(struct conf_fields *);
void		 config_fields_free(struct conf_fields *);
struct conf_collection *config_collection_new(const char *);
const char	*config_collection_add(struct tokend_config *,
		    struct conf_collection *);
const char	*config_collection_field(struct conf_collection *,
		    const char *);
void		 config_collection_free(struct conf_collection *);
const char	*config_relation_add(struct conf_collection *, const char *,
		    const char *);
const char	*config_relation(const struct conf_collection *, const char *);
const char	*config_relations_check(const struct tokend_config *);
struct conf_role *config_role_new(const char *);
const char	*config_role_add(struct tokend_config *, struct conf_role *);
const char	*config_role_set_id(const struct tokend_config *,
		    struct conf_role *, const char *);
void		 config_role_free(struct conf_role *);
const char	*config_role_policy(struct tokend_config *, struct conf_role *,
		    const char *);
struct conf_policy *config_role_own(struct tokend_config *,
		    struct conf_role *, const char **);
const char	*config_role_finish(struct tokend_config *, struct conf_role *);
const char	*config_role_parent(struct tokend_config *, struct conf_role *,
		    const char *);
size_t		 config_role_chain(const struct tokend_config *,
		    const struct conf_role *, const struct conf_role **, size_t);
void		 config_role_access(const struct tokend_config *,
		    const struct conf_role *, int *, int *,
		    int *);
const struct conf_policy *config_policy_by_id(const struct tokend_config *,
		    const char *);
const struct conf_policy *config_policy_by_name(
		    const struct tokend_config *, const char *);
struct conf_policy *config_policy_new(const char *, enum conf_policy_kind);
const char	*config_policy_add(struct tokend_config *, struct conf_policy *);
const char	*config_policy_set_id(const struct tokend_config *,
		    struct conf_policy *, const char *);
const char	*config_policy_ip_allow(struct conf_policy *, const char *);
int		 config_policy_ip_applies(const struct conf_policy *,
		    const struct cidr *);
void		 config_policy_free(struct conf_policy *);
const char	*config_refs_add(struct conf_policy_refs *, struct conf_policy *,
		    int);
void		 config_refs_free(struct conf_policy_refs *);
struct conf_permission *config_permission_new(const char *, int);
const char	*config_permission_add(const struct tokend_config *,
		    struct conf_permission_list *, struct conf_permission *);
const char	*config_permission_field(const struct tokend_config *,
		    struct conf_permission *, const char *);
int		 config_permission_json(const struct tokend_config *,
		    struct conf_permission *, enum conf_json, const char *,
		    char *, size_t);
void		 config_permission_free(struct conf_permission *);

/* parse.y */
int		 cmdline_symset(const char *);
struct tokend_config *parse_config(const char *);

#endif /* TOKEND_CONFIG_H */
