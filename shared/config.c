/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The settings table and the defaults.  Each setting other than the
 * listen addresses and the data blocks is one row below: the grammar
 * (parse.y) finds it there by its block and word and sets it with the
 * row's unit and bounds, config_new writes its default, and the JSON
 * form (config_json.c) and the checks (config_check.c) walk the rows.
 * A new setting is a member of struct tokend_config and a row here.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define STRING_SETTING(key, block, word, label, kind, member, def, flags) \
	{ key, block, word, label, kind, CONF_UNIT_NUMBER,		\
	    offsetof(struct tokend_config, member),			\
	    sizeof(((struct tokend_config *)0)->member), 0, 0, 0, def, flags }
#define NUMBER_SETTING(key, block, word, label, kind, unit, member,	\
    min, max, def, flags)						\
	{ key, block, word, label, kind, unit,				\
	    offsetof(struct tokend_config, member), 0, min, max, def, NULL, \
	    flags }

#define RESTART		CONF_FIELD_RESTART

const struct config_field config_fields[] = {
	NUMBER_SETTING("prefork", "", "prefork", "prefork", CONF_KIND_INT,
	    CONF_UNIT_NUMBER, prefork, 1, CONF_PREFORK_MAX, 0,
	    RESTART | CONF_FIELD_UNSET),
	STRING_SETTING("server_user", "", "user", "user", CONF_KIND_USER,
	    server_user, CONF_SERVER_USER, RESTART),
	STRING_SETTING("server_chroot", "", "chroot", "chroot",
	    CONF_KIND_PATH, server_chroot, CONF_SERVER_CHROOT, RESTART),
	STRING_SETTING("items_user", "", "items-user", "items-user",
	    CONF_KIND_USER, items_user, CONF_ITEMS_USER, RESTART),
	STRING_SETTING("items_chroot", "", "items-chroot", "items-chroot",
	    CONF_KIND_PATH, items_chroot, "", RESTART),
	STRING_SETTING("keyd_user", "keyd", "user", "keyd user",
	    CONF_KIND_USER, keyd_user, CONF_KEYD_USER, RESTART),
	STRING_SETTING("keyd_chroot", "keyd", "chroot", "keyd chroot",
	    CONF_KIND_PATH, keyd_chroot, CONF_KEYD_CHROOT, RESTART),
	STRING_SETTING("keyd_program", "keyd", "program", "keyd program",
	    CONF_KIND_PATH, keyd_program, CONF_KEYD_PROGRAM, RESTART),
	STRING_SETTING("database", "keyd", "database", "keyd database",
	    CONF_KIND_DATABASE, database, CONF_DATABASE, RESTART),
	STRING_SETTING("secret", "keyd", "secret", "keyd secret",
	    CONF_KIND_PATH, secret, CONF_SECRET, RESTART),
	STRING_SETTING("tfa_key", "keyd", "tfa-key", "keyd tfa-key",
	    CONF_KIND_PATH, tfa_key, CONF_TFA_KEY, RESTART),
	STRING_SETTING("control", "", "control socket", "control socket",
	    CONF_KIND_PATH, control, CONF_CONTROL, RESTART),
	NUMBER_SETTING("header_max", "limits", "header-size", "header-size",
	    CONF_KIND_SIZE, CONF_UNIT_BYTES, header_max, CONF_HEADER_LO,
	    CONF_HEADER_HI, CONF_HEADER_MAX, 0),
	NUMBER_SETTING("body_max", "limits", "body-size", "body-size",
	    CONF_KIND_SIZE, CONF_UNIT_BYTES, body_max, CONF_BODY_LO,
	    CONF_BODY_HI, CONF_BODY_MAX, 0),
	NUMBER_SETTING("connections", "limits", "connections", "connections",
	    CONF_KIND_INT, CONF_UNIT_NUMBER, connections, CONF_CONNECTIONS_LO,
	    CONF_CONNECTIONS_HI, CONF_CONNECTIONS, 0),
	NUMBER_SETTING("request_timeout", "timeout", "request",
	    "request timeout", CONF_KIND_INT, CONF_UNIT_SEC, request_timeout,
	    CONF_REQUEST_LO, CONF_REQUEST_HI, CONF_REQUEST_TIMEOUT, 0),
	NUMBER_SETTING("line_max", "limits", "request-line", "request-line",
	    CONF_KIND_SIZE, CONF_UNIT_BYTES, line_max, CONF_LINE_LO,
	    CONF_LINE_HI, CONF_LINE_MAX, CONF_FIELD_UNSET),
	NUMBER_SETTING("header_count", "limits", "header-count",
	    "header-count", CONF_KIND_INT, CONF_UNIT_NUMBER, header_count,
	    CONF_HEADER_COUNT_LO, CONF_HEADER_COUNT_HI, CONF_HEADER_COUNT, 0),
	NUMBER_SETTING("header_deadline", "timeout", "header-deadline",
	    "header-deadline timeout", CONF_KIND_INT, CONF_UNIT_MSEC,
	    header_deadline, CONF_DEADLINE_LO, CONF_DEADLINE_HI,
	    CONF_HEADER_DEADLINE, 0),
	NUMBER_SETTING("body_deadline", "timeout", "body-deadline",
	    "body-deadline timeout", CONF_KIND_INT, CONF_UNIT_MSEC,
	    body_deadline, CONF_DEADLINE_LO, CONF_DEADLINE_HI,
	    CONF_BODY_DEADLINE, 0),
	NUMBER_SETTING("rate_points", "limits", "rate-limit", "rate-limit",
	    CONF_KIND_INT, CONF_UNIT_NUMBER, rate_points, 0,
	    CONF_RATE_POINTS_HI, 0, 0),
	NUMBER_SETTING("rate_duration", "limits", "rate-limit per",
	    "rate-limit per", CONF_KIND_MSEC, CONF_UNIT_MSEC, rate_duration,
	    CONF_RATE_DURATION_LO, CONF_RATE_DURATION_HI, CONF_RATE_DURATION,
	    0),
	NUMBER_SETTING("auth_rate_points", "limits", "auth-rate-limit",
	    "auth-rate-limit", CONF_KIND_INT, CONF_UNIT_NUMBER,
	    auth_rate_points, 0, CONF_RATE_POINTS_HI, 0, 0),
	NUMBER_SETTING("auth_rate_duration", "limits", "auth-rate-limit per",
	    "auth-rate-limit per", CONF_KIND_MSEC, CONF_UNIT_MSEC,
	    auth_rate_duration, CONF_RATE_DURATION_LO, CONF_RATE_DURATION_HI,
	    CONF_AUTH_RATE_DURATION, 0),
	NUMBER_SETTING("rate_shared", "limits", "rate-limit-shared",
	    "rate-limit-shared", CONF_KIND_BOOL, CONF_UNIT_NUMBER, rate_shared,
	    0, 1, 0, 0),
	NUMBER_SETTING("rate_addresses", "limits", "rate-limit-addresses",
	    "rate-limit-addresses", CONF_KIND_INT, CONF_UNIT_NUMBER,
	    rate_addresses, CONF_RATE_ADDRESSES_LO, CONF_RATE_ADDRESSES_HI,
	    CONF_RATE_ADDRESSES, 0),
	NUMBER_SETTING("keyd_timeout", "timeout", "keyd", "keyd timeout",
	    CONF_KIND_INT, CONF_UNIT_MSEC, keyd_timeout, CONF_KEYD_TIMEOUT_LO,
	    CONF_KEYD_TIMEOUT_HI, CONF_KEYD_TIMEOUT, 0),
	NUMBER_SETTING("access_ttl", "auth", "access-ttl", "access-ttl",
	    CONF_KIND_MSEC, CONF_UNIT_MSEC, access_ttl, CONF_ACCESS_TTL_LO,
	    CONF_ACCESS_TTL_HI, CONF_ACCESS_TTL, 0),
	NUMBER_SETTING("refresh_ttl", "auth", "refresh-ttl", "refresh-ttl",
	    CONF_KIND_MSEC, CONF_UNIT_MSEC, refresh_ttl, CONF_REFRESH_TTL_LO,
	    CONF_REFRESH_TTL_HI, CONF_REFRESH_TTL, 0),
	NUMBER_SETTING("session_ttl", "auth", "session-ttl", "session-ttl",
	    CONF_KIND_MSEC, CONF_UNIT_MSEC, session_ttl, CONF_SESSION_TTL_LO,
	    CONF_SESSION_TTL_HI, CONF_SESSION_TTL, 0),
	NUMBER_SETTING("session_grace", "auth", "session-grace",
	    "session-grace", CONF_KIND_MSEC, CONF_UNIT_MSEC, session_grace,
	    CONF_SESSION_GRACE_LO, CONF_SESSION_GRACE_HI, CONF_SESSION_GRACE,
	    0),
	NUMBER_SETTING("login_stall", "auth", "login-stall", "login-stall",
	    CONF_KIND_INT, CONF_UNIT_MSEC, login_stall, CONF_LOGIN_STALL_LO,
	    CONF_LOGIN_STALL_HI, CONF_LOGIN_STALL, 0),
	NUMBER_SETTING("login_attempts", "auth", "login-attempts",
	    "login-attempts", CONF_KIND_INT, CONF_UNIT_NUMBER, login_attempts,
	    CONF_LOGIN_ATTEMPTS_LO, CONF_LOGIN_ATTEMPTS_HI,
	    CONF_LOGIN_ATTEMPTS, 0),
	NUMBER_SETTING("login_lockout", "auth", "login-lockout",
	    "login-lockout", CONF_KIND_MSEC, CONF_UNIT_MSEC, login_lockout,
	    CONF_LOGIN_LOCKOUT_LO, CONF_LOGIN_LOCKOUT_HI, CONF_LOGIN_LOCKOUT,
	    0),
	NUMBER_SETTING("audit_retention", "auth", "audit-retention",
	    "audit-retention", CONF_KIND_MSEC, CONF_UNIT_MSEC, audit_retention,
	    CONF_AUDIT_RETENTION_LO, CONF_AUDIT_RETENTION_HI,
	    CONF_AUDIT_RETENTION, 0),
	STRING_SETTING("tfa_issuer", "auth", "tfa-issuer", "tfa-issuer",
	    CONF_KIND_TEXT, tfa_issuer, CONF_TFA_ISSUER, 0),
	NUMBER_SETTING("hash_memory", "password", "memory", "password memory",
	    CONF_KIND_INT, CONF_UNIT_KIB, hash_memory, CONF_HASH_MEMORY_LO,
	    CONF_HASH_MEMORY_HI, CONF_HASH_MEMORY, 0),
	NUMBER_SETTING("hash_iterations", "password", "iterations",
	    "password iterations", CONF_KIND_INT, CONF_UNIT_NUMBER,
	    hash_iterations, CONF_HASH_ITERATIONS_LO, CONF_HASH_ITERATIONS_HI,
	    CONF_HASH_ITERATIONS, 0),
	NUMBER_SETTING("hash_parallelism", "password", "parallelism",
	    "password parallelism", CONF_KIND_INT, CONF_UNIT_NUMBER,
	    hash_parallelism, CONF_HASH_PARALLELISM_LO,
	    CONF_HASH_PARALLELISM_HI, CONF_HASH_PARALLELISM, 0),
	/* 0 until config_finish makes it the number of CPUs. */
	NUMBER_SETTING("hash_threads", "password", "threads",
	    "password threads", CONF_KIND_INT, CONF_UNIT_NUMBER, hash_threads,
	    CONF_HASH_THREADS_LO, CONF_HASH_THREADS_HI, 0, RESTART),
	NUMBER_SETTING("hash_queue", "password", "queue", "password queue",
	    CONF_KIND_INT, CONF_UNIT_NUMBER, hash_queue, CONF_HASH_QUEUE_LO,
	    CONF_HASH_QUEUE_HI, CONF_HASH_QUEUE, RESTART),
	STRING_SETTING("refresh_cookie", "cookie refresh", "name",
	    "cookie refresh name", CONF_KIND_COOKIE_NAME, refresh_cookie,
	    CONF_REFRESH_COOKIE, 0),
	NUMBER_SETTING("refresh_cookie_secure", "cookie refresh", "secure",
	    "cookie refresh secure", CONF_KIND_BOOL, CONF_UNIT_NUMBER,
	    refresh_cookie_secure, 0, 1, 0, 0),
	STRING_SETTING("refresh_cookie_samesite", "cookie refresh",
	    "same-site", "cookie refresh same-site", CONF_KIND_SAMESITE,
	    refresh_cookie_samesite, CONF_COOKIE_SAMESITE, 0),
	STRING_SETTING("refresh_cookie_domain", "cookie refresh", "domain",
	    "cookie refresh domain", CONF_KIND_COOKIE_DOMAIN,
	    refresh_cookie_domain, "", 0),
	STRING_SETTING("session_cookie", "cookie session", "name",
	    "cookie session name", CONF_KIND_COOKIE_NAME, session_cookie,
	    CONF_SESSION_COOKIE, 0),
	NUMBER_SETTING("session_cookie_secure", "cookie session", "secure",
	    "cookie session secure", CONF_KIND_BOOL, CONF_UNIT_NUMBER,
	    session_cookie_secure, 0, 1, 0, 0),
	STRING_SETTING("session_cookie_samesite", "cookie session",
	    "same-site", "cookie session same-site", CONF_KIND_SAMESITE,
	    session_cookie_samesite, CONF_COOKIE_SAMESITE, 0),
	STRING_SETTING("session_cookie_domain", "cookie session", "domain",
	    "cookie session domain", CONF_KIND_COOKIE_DOMAIN,
	    session_cookie_domain, "", 0),
	STRING_SETTING("public_url", "", "public-url", "public-url",
	    CONF_KIND_URL, public_url, "", 0),
	STRING_SETTING("trusted_proxy", "", "trusted-proxy", "trusted-proxy",
	    CONF_KIND_NETWORKS, trusted_proxy, "", 0),
	STRING_SETTING("cors_origin", "cors", "origin", "cors origin",
	    CONF_KIND_ORIGINS, cors_origin, "", 0),
	STRING_SETTING("cors_methods", "cors", "methods", "cors methods",
	    CONF_KIND_TOKENS, cors_methods, CONF_CORS_METHODS, 0),
	STRING_SETTING("cors_allowed_headers", "cors", "allowed-headers",
	    "cors allowed-headers", CONF_KIND_TOKENS, cors_allowed_headers,
	    CONF_CORS_ALLOWED_HEADERS, 0),
	STRING_SETTING("cors_exposed_headers", "cors", "exposed-headers",
	    "cors exposed-headers", CONF_KIND_TOKENS, cors_exposed_headers,
	    CONF_CORS_EXPOSED_HEADERS, 0),
	NUMBER_SETTING("cors_credentials", "cors", "credentials",
	    "cors credentials", CONF_KIND_BOOL, CONF_UNIT_NUMBER,
	    cors_credentials, 0, 1, 1, 0),
	NUMBER_SETTING("cors_max_age", "cors", "max-age", "cors max-age",
	    CONF_KIND_INT, CONF_UNIT_SEC, cors_max_age, 0,
	    CONF_CORS_MAX_AGE_HI, CONF_CORS_MAX_AGE, 0),
	STRING_SETTING("fa_portal_url", "forward-auth", "portal-url",
	    "forward-auth portal-url", CONF_KIND_URL, fa_portal_url, "", 0),
	STRING_SETTING("fa_user_header", "forward-auth", "user-header",
	    "forward-auth user-header", CONF_KIND_HEADER, fa_user_header,
	    CONF_FA_USER_HEADER, 0),
	STRING_SETTING("fa_email_header", "forward-auth", "email-header",
	    "forward-auth email-header", CONF_KIND_HEADER, fa_email_header,
	    CONF_FA_EMAIL_HEADER, 0),
	STRING_SETTING("fa_name_header", "forward-auth", "name-header",
	    "forward-auth name-header", CONF_KIND_HEADER, fa_name_header,
	    CONF_FA_NAME_HEADER, 0),
	STRING_SETTING("fa_groups_header", "forward-auth", "groups-header",
	    "forward-auth groups-header", CONF_KIND_HEADER, fa_groups_header,
	    CONF_FA_GROUPS_HEADER, 0),
	STRING_SETTING("access_log", "", "access-log", "access-log",
	    CONF_KIND_TEXT, access_log, "", 0),
	STRING_SETTING("access_log_format", "", "access-log-format",
	    "access-log-format", CONF_KIND_TEXT, access_log_format,
	    CONF_ACCESS_LOG_FORMAT, 0),
	STRING_SETTING("metrics_allow", "", "metrics-allow", "metrics-allow",
	    CONF_KIND_NETWORKS, metrics_allow, "", 0),
	STRING_SETTING("metrics_role", "", "metrics-role", "metrics-role",
	    CONF_KIND_TEXT, metrics_role, "", 0),
	STRING_SETTING("items", "", "items", "items", CONF_KIND_DATABASE,
	    items, CONF_ITEMS, RESTART),
	NUMBER_SETTING("query_limit", "limits", "query-limit", "query-limit",
	    CONF_KIND_INT, CONF_UNIT_NUMBER, query_limit, CONF_QUERY_LIMIT_LO,
	    CONF_QUERY_LIMIT_HI, CONF_QUERY_LIMIT, 0),
	STRING_SETTING("mail_user", "mail", "user", "mail user",
	    CONF_KIND_USER, mail_user, CONF_MAIL_USER, RESTART),
	STRING_SETTING("mail_chroot", "mail", "chroot", "mail chroot",
	    CONF_KIND_PATH, mail_chroot, "", RESTART),
	STRING_SETTING("mail_relay", "mail", "relay", "mail relay",
	    CONF_KIND_ADDRESS, mail_relay, CONF_MAIL_RELAY, 0),
	NUMBER_SETTING("mail_port", "mail", "port", "mail port",
	    CONF_KIND_INT, CONF_UNIT_NUMBER, mail_port, 1, 65535,
	    CONF_MAIL_PORT, 0),
	STRING_SETTING("mail_from", "mail", "from", "mail from",
	    CONF_KIND_MAILBOX, mail_from, CONF_MAIL_FROM, 0),
	STRING_SETTING("mail_hostname", "mail", "hostname", "mail hostname",
	    CONF_KIND_TEXT, mail_hostname, CONF_MAIL_HOSTNAME, 0),
	NUMBER_SETTING("mail_timeout", "mail", "timeout", "mail timeout",
	    CONF_KIND_MSEC, CONF_UNIT_MSEC, mail_timeout, CONF_MAIL_TIMEOUT_LO,
	    CONF_MAIL_TIMEOUT_HI, CONF_MAIL_TIMEOUT, 0),
	NUMBER_SETTING("mail_starttls", "mail", "starttls", "mail starttls",
	    CONF_KIND_BOOL, CONF_UNIT_NUMBER, mail_starttls, 0, 1, 0, RESTART),
	STRING_SETTING("mail_ca_file", "mail", "ca-file", "mail ca-file",
	    CONF_KIND_PATH, mail_ca_file, CONF_MAIL_CA_FILE, RESTART),
	STRING_SETTING("mail_tls_name", "mail", "tls-name", "mail tls-name",
	    CONF_KIND_TEXT, mail_tls_name, "", 0),
	STRING_SETTING("mail_project", "mail", "project", "mail project",
	    CONF_KIND_TEXT, mail_project, CONF_MAIL_PROJECT, 0),
	STRING_SETTING("mail_reset_template", "mail", "reset-template",
	    "mail reset-template", CONF_KIND_PATH, mail_reset_template,
	    CONF_MAIL_RESET_TEMPLATE, RESTART),
	STRING_SETTING("mail_invite_template", "mail", "invite-template",
	    "mail invite-template", CONF_KIND_PATH, mail_invite_template,
	    CONF_MAIL_INVITE_TEMPLATE, RESTART),
	STRING_SETTING("mail_verify_template", "mail", "verify-template",
	    "mail verify-template", CONF_KIND_PATH, mail_verify_template,
	    CONF_MAIL_VERIFY_TEMPLATE, RESTART),
	STRING_SETTING("mail_exists_template", "mail", "exists-template",
	    "mail exists-template", CONF_KIND_PATH, mail_exists_template,
	    CONF_MAIL_EXISTS_TEMPLATE, RESTART),
	STRING_SETTING("reset_url_allow", "auth", "reset-url-allow",
	    "reset-url-allow", CONF_KIND_TEXT, reset_url_allow, "", 0),
	NUMBER_SETTING("reset_ttl", "auth", "reset-ttl", "reset-ttl",
	    CONF_KIND_MSEC, CONF_UNIT_MSEC, reset_ttl, CONF_RESET_TTL_LO,
	    CONF_RESET_TTL_HI, CONF_RESET_TTL, 0),
	STRING_SETTING("invite_url_allow", "auth", "invite-url-allow",
	    "invite-url-allow", CONF_KIND_TEXT, invite_url_allow, "", 0),
	NUMBER_SETTING("invite_ttl", "auth", "invite-ttl", "invite-ttl",
	    CONF_KIND_MSEC, CONF_UNIT_MSEC, invite_ttl, CONF_INVITE_TTL_LO,
	    CONF_INVITE_TTL_HI, CONF_INVITE_TTL, 0),
	NUMBER_SETTING("register_on", "auth", "register", "register",
	    CONF_KIND_BOOL, CONF_UNIT_NUMBER, register_on, 0, 1, 0, 0),
	STRING_SETTING("register_role", "auth", "register-role",
	    "register-role", CONF_KIND_TEXT, register_role, "", 0),
	STRING_SETTING("register_email", "auth", "register-email",
	    "register-email", CONF_KIND_TEXT, register_email,
	    CONF_REGISTER_EMAIL, 0),
	NUMBER_SETTING("register_verify", "auth", "register-verify",
	    "register-verify", CONF_KIND_BOOL, CONF_UNIT_NUMBER,
	    register_verify, 0, 1, 1, 0),
	STRING_SETTING("register_url_allow", "auth", "register-url-allow",
	    "register-url-allow", CONF_KIND_TEXT, register_url_allow, "", 0),
	NUMBER_SETTING("register_ttl", "auth", "register-ttl",
	    "register-ttl", CONF_KIND_MSEC, CONF_UNIT_MSEC, register_ttl,
	    CONF_INVITE_TTL_LO, CONF_INVITE_TTL_HI, CONF_REGISTER_TTL, 0),
	STRING_SETTING("introspect_role", "auth", "introspect-role",
	    "introspect-role", CONF_KIND_TEXT, introspect_role, "", 0),
	/* Read by the parent, on start and on every reload (tls.c). */
	STRING_SETTING("tls_certificate", "tls", "certificate",
	    "tls certificate", CONF_KIND_PATH_UNSET, tls_certificate, "", 0),
	STRING_SETTING("tls_key", "tls", "key", "tls key", CONF_KIND_PATH_UNSET,
	    tls_key, "", 0),
	STRING_SETTING("tls_protocols", "tls", "protocols", "tls protocols",
	    CONF_KIND_TEXT, tls_protocols, CONF_TLS_PROTOCOLS, 0),
	STRING_SETTING("tls_ciphers", "tls", "ciphers", "tls ciphers",
	    CONF_KIND_TEXT, tls_ciphers, CONF_TLS_CIPHERS, 0),
	NUMBER_SETTING("tls_hsts", "tls", "hsts", "tls hsts", CONF_KIND_INT,
	    CONF_UNIT_SEC, tls_hsts, 0, CONF_HSTS_HI, 0, 0),
	NUMBER_SETTING("handshake_deadline", "timeout", "handshake-deadline",
	    "handshake-deadline timeout", CONF_KIND_INT, CONF_UNIT_MSEC,
	    handshake_deadline, CONF_DEADLINE_LO, CONF_DEADLINE_HI,
	    CONF_HANDSHAKE_DEADLINE, 0),
	/* Read by keyd at its start (keyd/secret.c, keyd/sign.c). */
	STRING_SETTING("signing_alg", "signing", "algorithm",
	    "signing algorithm", CONF_KIND_SIGNING_ALG, signing_alg,
	    CONF_SIGNING_ALG, RESTART),
	STRING_SETTING("signing_key", "signing", "key", "signing key",
	    CONF_KIND_PATH_UNSET, signing_key, "", RESTART),
	NUMBER_SETTING("signing_rotate_every", "signing", "rotate-every",
	    "signing rotate-every", CONF_KIND_INT, CONF_UNIT_SEC,
	    signing_rotate_every, 0, CONF_ROTATE_EVERY_HI, 0, 0),
	/* A portal block turns enable on before its own lines (parse.y). */
	NUMBER_SETTING("portal_on", "portal", "enable", "portal enable",
	    CONF_KIND_BOOL, CONF_UNIT_NUMBER, portal_on, 0, 1, 0, 0),
	STRING_SETTING("portal_path", "portal", "path", "portal path",
	    CONF_KIND_PORTAL_PATH, portal_path, CONF_PORTAL_PATH, 0),
	STRING_SETTING("portal_title", "portal", "title", "portal title",
	    CONF_KIND_TEXT, portal_title, CONF_PORTAL_TITLE, 0),
	STRING_SETTING("portal_redirect_allow", "portal", "redirect-allow",
	    "portal redirect-allow", CONF_KIND_REDIRECT_LIST,
	    portal_redirect_allow, "", 0),
	/* Read by the parent, on start and on every reload (portal.c). */
	STRING_SETTING("portal_directory", "portal", "directory",
	    "portal directory", CONF_KIND_PATH, portal_directory,
	    CONF_PORTAL_DIRECTORY, 0),
};
const size_t config_nfields = sizeof(config_fields) /
    sizeof(config_fields[0]);

/* The setting written "word value" inside block ("" at the top), or NULL. */
const struct config_field *
config_field_find(const char *block, const char *word)
{
	size_t	 i;

	for (i = 0; i < config_nfields; i++)
		if (strcmp(config_fields[i].block, block) == 0 &&
		    strcmp(config_fields[i].word, word) == 0)
			return &config_fields[i];
	return NULL;
}

/*
 * The private signing key's file with EdDSA or ES256: signing key, or
 * by default the secret's path followed by -eddsa.pem or -es256.pem.
 * -1 with HS256 (no file) or when the path does not fit.
 */
int
config_signing_key_path(const struct tokend_config *conf, char *out,
    size_t len)
{
	int	 n;

	if (strcmp(conf->signing_alg, "EdDSA") != 0 &&
	    strcmp(conf->signing_alg, "ES256") != 0)
		return -1;
	if (conf->signing_key[0] != '\0')
		n = snprintf(out, len, "%s", conf->signing_key);
	else
		n = snprintf(out, len, "%s-%s.pem", conf->secret,
		    strcmp(conf->signing_alg, "EdDSA") == 0 ? "eddsa" :
		    "es256");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
config_field_is_string(const struct config_field *f)
{
	return f->kind == CONF_KIND_USER || f->kind == CONF_KIND_PATH ||
	    f->kind == CONF_KIND_PATH_UNSET || f->kind == CONF_KIND_DATABASE ||
	    f->kind == CONF_KIND_COOKIE_NAME ||
	    f->kind == CONF_KIND_COOKIE_DOMAIN ||
	    f->kind == CONF_KIND_SAMESITE || f->kind == CONF_KIND_URL ||
	    f->kind == CONF_KIND_PORTAL_PATH ||
	    f->kind == CONF_KIND_REDIRECT_LIST ||
	    f->kind == CONF_KIND_SIGNING_ALG ||
	    f->kind == CONF_KIND_TEXT || f->kind == CONF_KIND_ADDRESS ||
	    f->kind == CONF_KIND_MAILBOX || f->kind == CONF_KIND_NETWORKS ||
	    f->kind == CONF_KIND_ORIGINS || f->kind == CONF_KIND_TOKENS ||
	    f->kind == CONF_KIND_HEADER;
}

char *
config_field_string(const struct tokend_config *conf,
    const struct config_field *f)
{
	return (char *)conf + f->offset;
}

long long
config_field_number(const struct tokend_config *conf,
    const struct config_field *f)
{
	const char	*p = (const char *)conf + f->offset;

	if (f->kind == CONF_KIND_SIZE)
		return (long long)*(const size_t *)(const void *)p;
	if (f->kind == CONF_KIND_MSEC)
		return *(const int64_t *)(const void *)p;
	return *(const int *)(const void *)p;
}

void
config_field_set_number(struct tokend_config *conf,
    const struct config_field *f, long long n)
{
	char	*p = (char *)conf + f->offset;

	if (f->kind == CONF_KIND_SIZE)
		*(size_t *)(void *)p = (size_t)n;
	else if (f->kind == CONF_KIND_MSEC)
		*(int64_t *)(void *)p = n;
	else
		*(int *)(void *)p = (int)n;
}

struct tokend_config *
config_new(void)
{
	struct tokend_config		*conf;
	const struct config_field	*f;
	struct conf_policy		*pol;
	size_t				 i;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return NULL;
	TAILQ_INIT(&conf->listens);
	TAILQ_INIT(&conf->collections);
	TAILQ_INIT(&conf->policies);
	TAILQ_INIT(&conf->roles);
	if ((pol = config_policy_new(CONF_PUBLIC_POLICY_NAME,
	    CONF_POLICY_PUBLIC)) == NULL || config_policy_add(conf, pol) !=
	    NULL || config_policy_set_id(conf, pol, CONF_PUBLIC_POLICY_ID) !=
	    NULL) {
		if (conf->public_policy != pol)
			config_policy_free(pol);
		config_free(conf);
		return NULL;
	}
	for (i = 0; i < config_nfields; i++) {
		f = &config_fields[i];
		if (config_field_is_string(f))
			(void)strlcpy(config_field_string(conf, f), f->defstr,
			    f->size);
		else
			config_field_set_number(conf, f, f->def);
	}
	return conf;
}

void
config_free(struct tokend_config *conf)
{
	struct listen_addr	*la;
	struct conf_collection	*c;
	struct conf_role	*r;
	struct conf_policy	*p;

	if (conf == NULL)
		return;
	while ((la = TAILQ_FIRST(&conf->listens)) != NULL) {
		TAILQ_REMOVE(&conf->listens, la, entry);
		free(la);
	}
	while ((c = TAILQ_FIRST(&conf->collections)) != NULL) {
		TAILQ_REMOVE(&conf->collections, c, entry);
		config_collection_free(c);
	}
	while ((r = TAILQ_FIRST(&conf->roles)) != NULL) {
		TAILQ_REMOVE(&conf->roles, r, entry);
		config_role_free(r);
	}
	while ((p = TAILQ_FIRST(&conf->policies)) != NULL) {
		TAILQ_REMOVE(&conf->policies, p, entry);
		config_policy_free(p);
	}
	config_refs_free(&conf->public);
	free(conf);
}
