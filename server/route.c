/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The worker's routes, in one table: which paths exist, with which
 * methods, how a path matches, the limits of each, and the handler.
 * The dispatcher (http.c), the rate-limit guard (http.c), the
 * cross-site guard (http.c) and the HTTP edge (edge.c, for wire.c)
 * read their rules here and nowhere else;
 * tokend -R prints the table, and regress/daemon/routes.sh compares
 * that listing with the routes tokend.8 documents.
 *
 * Rows are tried in order; the first whose path matches and whose
 * methods include the request's answers it.  A path that matches no
 * row with its method is answered 404, like an unknown path.  What
 * depends on the rest of a path (a key's length, a collection's name)
 * is the handler's to judge.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <event2/http.h>

#include <jansson.h>

#include "metrics.h"
#include "tokend.h"

#define ROUTE_OAS_PATH_MAX	256	/* bytes of a path the document names */

#define GET	EVHTTP_REQ_GET
#define HEAD	EVHTTP_REQ_HEAD
#define POST	EVHTTP_REQ_POST
#define PUT	EVHTTP_REQ_PUT
#define PATCH	EVHTTP_REQ_PATCH
#define DELETE	EVHTTP_REQ_DELETE
#define OPTIONS	EVHTTP_REQ_OPTIONS
#define SEARCH	ROUTE_SEARCH

/*
 * The last four columns describe a row in GET /server/specs/oas
 * (route_openapi): its tag and one-line summary, the methods whose
 * request has a JSON body, and for a prefix row the variable parts
 * that follow its path, space-separated.
 */
static const struct route routes[] = {
	/* path, match, methods; flags, handler; tag, summary, body, vars */
	{ "/server/ping",	ROUTE_EXACT,	GET | HEAD,
	    ROUTE_NO_KEYD,	http_ping,
	    "Server", "Ping the server.", 0, NULL },
	/* The public signing keys, from the worker's copy (keys.c). */
	{ "/.well-known/jwks.json", ROUTE_EXACT, GET | HEAD,
	    ROUTE_NO_KEYD,	keys_jwks,
	    "Keys", "Read the public signing keys (RFC 7517).", 0, NULL },
	{ "/auth/jwks",		ROUTE_EXACT,	GET | HEAD,
	    ROUTE_NO_KEYD,	keys_jwks,
	    "Keys", "Read the public signing keys (RFC 7517).", 0, NULL },
	{ "/.well-known/openid-configuration", ROUTE_EXACT, GET | HEAD,
	    ROUTE_NO_KEYD,	keys_openid,
	    "Keys", "Discover the issuer and the key set's URL.", 0, NULL },
	{ "/server/health",	ROUTE_EXACT,	GET | HEAD,
	    0,			http_health,
	    "Server", "Check the credential store and the secret.", 0, NULL },
	{ "/server/metrics",	ROUTE_EXACT,	GET,
	    0,			metrics_serve,
	    "Server", "Read the counters in the Prometheus text format.", 0,
	    NULL },
	{ "/server/info",	ROUTE_EXACT,	GET,
	    0,			info_server,
	    "Server", "Read the project's and the server's settings.", 0,
	    NULL },
	{ "/server/specs/oas",	ROUTE_EXACT,	GET,
	    0,			info_openapi,
	    "Server", "Read this OpenAPI document.", 0, NULL },
	{ "/auth",		ROUTE_EXACT,	GET,
	    0,			info_providers,
	    "Authentication", "List the login providers.", 0, NULL },
	{ "/auth/login",	ROUTE_EXACT,	POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY, auth_login,
	    "Authentication", "Log in with an email and a password.", POST,
	    NULL },
	{ "/auth/refresh",	ROUTE_EXACT,	POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY | ROUTE_REFRESH_COOKIE,
	    auth_refresh,
	    "Authentication", "Trade a refresh token for new tokens.", POST,
	    NULL },
	{ "/auth/logout",	ROUTE_EXACT,	POST,
	    ROUTE_SMALL_BODY | ROUTE_REFRESH_COOKIE, auth_logout,
	    "Authentication", "End the session of a refresh token.", POST,
	    NULL },
	{ "/auth/password/request", ROUTE_EXACT, POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY, auth_password_request,
	    "Authentication", "Mail a password reset link.", POST, NULL },
	{ "/auth/password/reset", ROUTE_EXACT, POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY, auth_password_reset,
	    "Authentication", "Set a new password with a reset token.", POST,
	    NULL },
	/* Forward auth for reverse proxies (verify.c). */
	{ "/auth/verify",	ROUTE_EXACT,	GET | HEAD,
	    0,			verify_serve,
	    "Authentication", "Forward auth: who may pass a reverse proxy.",
	    0, NULL },
	/* RFC 7662, for a static token of introspect-role (introspect.c). */
	{ "/auth/introspect",	ROUTE_EXACT,	POST,
	    ROUTE_SMALL_BODY | ROUTE_FORM_BODY, auth_introspect,
	    "Authentication", "Tell whether an access token is active "
	    "(RFC 7662).", POST, NULL },
	/* No route, but the edge keeps every body under /auth/ small. */
	{ "/auth/",		ROUTE_PREFIX,	0,
	    ROUTE_SMALL_BODY,	NULL,
	    NULL, NULL, 0, NULL },
	{ "/users/me",		ROUTE_EXACT,	GET,
	    0,			auth_me,
	    "Users", "Read the current user.", 0, NULL },
	{ "/users/me",		ROUTE_EXACT,	PATCH,
	    ROUTE_SMALL_BODY,	auth_me,
	    "Users", "Update the current user.", PATCH, NULL },
	/* tokend's extension: a password change that needs the current one. */
	{ "/users/me/password",	ROUTE_EXACT,	POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY, auth_me_password,
	    "Users", "Change the current user's password, given the current "
	    "one.", POST, NULL },
	{ "/users/me/track/page", ROUTE_EXACT,	PATCH,
	    ROUTE_SMALL_BODY,	auth_track_page,
	    "Users", "Record the page the current user used last.", PATCH,
	    NULL },
	{ "/users/me/tfa/generate", ROUTE_EXACT, POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY, users_tfa_generate,
	    "Users", "Generate a two-factor secret.", POST, NULL },
	{ "/users/me/tfa/enable", ROUTE_EXACT,	POST,
	    ROUTE_SMALL_BODY,	users_tfa_enable,
	    "Users", "Enable two-factor authentication.", POST, NULL },
	{ "/users/me/tfa/disable", ROUTE_EXACT,	POST,
	    ROUTE_SMALL_BODY,	users_tfa_disable,
	    "Users", "Disable two-factor authentication.", POST, NULL },
	{ "/users/me/tfa/recovery-codes", ROUTE_EXACT, POST,
	    ROUTE_SMALL_BODY,	users_tfa_recovery,
	    "Users", "Make new two-factor recovery codes.", POST, NULL },
	/* tokend's extension: the caller's own sessions (keyd/sessions.c). */
	{ "/users/me/sessions",	ROUTE_EXACT,	GET,
	    0,			users_sessions,
	    "Users", "List the current user's sessions.", 0, NULL },
	{ "/users/me/sessions/", ROUTE_PREFIX,	DELETE,
	    0,			users_sessions,
	    "Users", "End one of the current user's sessions.", 0, "{id}" },
	{ "/users/*/tfa/disable", ROUTE_ID_TAIL, POST,
	    ROUTE_SMALL_BODY,	users_tfa_admin_disable,
	    "Users", "Disable a user's two-factor authentication.", 0, NULL },
	{ "/users/invite",	ROUTE_EXACT,	POST,
	    0,			users_invite,
	    "Users", "Invite users by mail.", POST, NULL },
	{ "/users/invite/accept", ROUTE_EXACT,	POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY, auth_invite_accept,
	    "Users", "Accept an invitation.", POST, NULL },
	{ "/users/register",	ROUTE_EXACT,	POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY, auth_register,
	    "Users", "Register a new user.", POST, NULL },
	{ "/users/register/verify-email", ROUTE_EXACT, GET,
	    ROUTE_AUTH_LIMIT,	auth_register_verify,
	    "Users", "Verify a registration's address.", 0, NULL },
	{ "/users",		ROUTE_ID,	GET | HEAD | PATCH | DELETE,
	    0,			users_users,
	    "Users", "Read, update or delete users.", PATCH | DELETE, NULL },
	{ "/users",		ROUTE_COLLECTION, POST | SEARCH,
	    0,			users_users,
	    "Users", "Create users, or search them (SEARCH).", POST | SEARCH,
	    NULL },
	{ "/activity",		ROUTE_ID,	GET | HEAD,
	    0,			users_activity,
	    "Activity", "Read the audit trail.", 0, NULL },
	{ "/roles/me",		ROUTE_EXACT,	GET | HEAD,
	    0,			access_roles_mine,
	    "Roles", "Read the current user's roles.", 0, NULL },
	{ "/roles",		ROUTE_ID,	GET | HEAD,
	    0,			access_roles_read,
	    "Roles", "Read the configured roles.", 0, NULL },
	{ "/roles",		ROUTE_ID,	POST | PATCH | DELETE,
	    0,			access_readonly,
	    "Roles", "Refused: roles are set in tokend.conf.",
	    POST | PATCH | DELETE, NULL },
	{ "/policies/me/globals", ROUTE_EXACT,	GET | HEAD,
	    0,			access_policies_globals,
	    "Policies", "Read the current user's admin, app and TFA access.",
	    0, NULL },
	{ "/policies",		ROUTE_ID,	GET | HEAD,
	    0,			access_policies_read,
	    "Policies", "Read the configured policies.", 0, NULL },
	{ "/policies",		ROUTE_ID,	POST | PATCH | DELETE,
	    0,			access_readonly,
	    "Policies", "Refused: policies are set in tokend.conf.",
	    POST | PATCH | DELETE, NULL },
	{ "/permissions/me",	ROUTE_EXACT,	GET | HEAD,
	    0,			access_permissions_mine,
	    "Permissions", "Read the current user's merged access.", 0,
	    NULL },
	{ "/permissions/me/",	ROUTE_PREFIX,	GET | HEAD,
	    0,			access_permissions_item,
	    "Permissions", "Read what the current user may do to an item.", 0,
	    "{collection} {collection}/{id}" },
	{ "/permissions",	ROUTE_ID,	GET | HEAD,
	    0,			access_permissions_read,
	    "Permissions", "Read the configured permissions.", 0, NULL },
	{ "/permissions",	ROUTE_ID,	POST | PATCH | DELETE,
	    0,			access_readonly,
	    "Permissions", "Refused: permissions are set in tokend.conf.",
	    POST | PATCH | DELETE, NULL },
	{ "/access",		ROUTE_ID,	GET | HEAD,
	    0,			access_access_read,
	    "Access", "Read which roles and users hold which policies.", 0,
	    NULL },
	{ "/access",		ROUTE_ID,	POST | PATCH | DELETE,
	    0,			access_readonly,
	    "Access", "Refused: policies are given in tokend.conf.",
	    POST | PATCH | DELETE, NULL },
	{ "/items/",		ROUTE_PREFIX,	GET | POST | PATCH | DELETE |
	    SEARCH,		0,		items_serve,
	    "Items", "Read, create, update, delete or search items.",
	    POST | PATCH | DELETE | SEARCH, "{collection} {collection}/{id}" },
};
#define ROUTE_COUNT	(sizeof(routes) / sizeof(routes[0]))
/* Every row has its own counters in the metrics (and one is "none"). */
_Static_assert(ROUTE_COUNT < METRICS_ROUTES,
    "more route rows than METRICS_ROUTES counts");

/* The methods and flags in the order the listing prints them. */
static const struct {
	int		 bit;
	const char	*name;
} route_methods[] = {
	{ GET, "GET" }, { HEAD, "HEAD" }, { POST, "POST" }, { PUT, "PUT" },
	{ PATCH, "PATCH" }, { DELETE, "DELETE" }, { OPTIONS, "OPTIONS" },
	{ SEARCH, "SEARCH" },
}, route_flags[] = {
	{ ROUTE_AUTH_LIMIT, "auth-limit" },
	{ ROUTE_SMALL_BODY, "small-body" },
	{ ROUTE_NO_KEYD, "no-keyd" },
	{ ROUTE_REFRESH_COOKIE, "refresh-cookie" },
	{ ROUTE_FORM_BODY, "form-body" },
};

static void	 route_oas_method(int, const char *, char *, size_t);
static int	 route_match(const struct route *, const char *,
		    const char **);
static void	 route_print_one(FILE *, const struct route *, const char *);
static int	 route_oas_row(json_t *, const struct route *);
static int	 route_oas_path(json_t *, const struct route *, const char *);
static json_t	*route_oas_operation(const struct route *, int, const char *,
		    const char *);

/* The row's index in the table. */
size_t
route_index(const struct route *r)
{
	return (size_t)(r - routes);
}

/* The i-th row, or NULL past the last. */
const struct route *
route_get(size_t i)
{
	return i < ROUTE_COUNT ? &routes[i] : NULL;
}

/*
 * Does path match r?  *rest is what follows the row's path: "" for an
 * exact path or a collection, the id (maybe "") for an id route, the
 * segment and what follows for a path with a '*', the
 * remainder for a prefix.
 */
static int
route_match(const struct route *r, const char *path, const char **rest)
{
	const char	*star, *tail;
	size_t		 n = strlen(r->path);

	if (r->match == ROUTE_ID_TAIL) {
		/* The segment at the star, and what follows it. */
		star = strchr(r->path, '*');
		n = (size_t)(star - r->path);
		if (strncmp(path, r->path, n) != 0 || path[n] == '/' ||
		    (tail = strchr(path + n, '/')) == NULL ||
		    tail == path + n)
			return 0;
		*rest = path + n;
		return strcmp(tail, star + 1) == 0;
	}
	if (strncmp(path, r->path, n) != 0)
		return 0;
	*rest = path + n;
	switch (r->match) {
	case ROUTE_EXACT:
		return path[n] == '\0';
	case ROUTE_COLLECTION:
		if (path[n] == '/')
			(*rest)++;
		return **rest == '\0';
	case ROUTE_ID:
		if (path[n] == '/')
			(*rest)++;
		else if (path[n] != '\0')
			return 0;
		return strchr(*rest, '/') == NULL;
	case ROUTE_PREFIX:
		return 1;

	default:
		return 0;
	}
}

/*
 * A path that a ROUTE_EXACT row names belongs to the exact rows alone:
 * HEAD /users/me is not /users with the id "me".
 */
static int
route_exact(const char *path)
{
	size_t	 i;

	for (i = 0; i < ROUTE_COUNT; i++)
		if (routes[i].match == ROUTE_EXACT &&
		    strcmp(routes[i].path, path) == 0)
			return 1;
	return 0;
}

/* The row that answers method on path, or NULL for a 404. */
const struct route *
route_find(const char *path, int method, const char **rest)
{
	size_t	 i;
	int	 exact = route_exact(path);

	for (i = 0; i < ROUTE_COUNT; i++)
		if ((routes[i].match == ROUTE_EXACT) == exact &&
		    (routes[i].methods & method) != 0 &&
		    route_match(&routes[i], path, rest))
			return &routes[i];
	return NULL;
}

/* The flags of the rows of path, whatever the method. */
int
route_path_flags(const char *path)
{
	const char	*rest;
	size_t		 i;
	int		 exact = route_exact(path), flags = 0;

	for (i = 0; i < ROUTE_COUNT; i++)
		if ((routes[i].match == ROUTE_EXACT) == exact &&
		    route_match(&routes[i], path, &rest))
			flags |= routes[i].flags;
	return flags;
}

/*
 * The edge's question, asked of the start of a raw request target
 * before its body arrives: is it under a prefix whose bodies are small?
 * Exact paths are left to the dispatcher, which sees them decoded.
 */
int
route_small_body(const char *target, size_t len)
{
	size_t	 i, n;

	for (i = 0; i < ROUTE_COUNT; i++) {
		n = strlen(routes[i].path);
		if (routes[i].match == ROUTE_PREFIX &&
		    (routes[i].flags & ROUTE_SMALL_BODY) && n <= len &&
		    memcmp(target, routes[i].path, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * One line per method and path, as tokend.8 lists them: "METHOD path"
 * with "*" for the variable part, then the flags.  A row without
 * methods prints "-" for its method.
 */
void
route_print(FILE *fp)
{
	const struct route	*r;
	size_t			 i;

	for (i = 0; i < ROUTE_COUNT; i++) {
		r = &routes[i];
		switch (r->match) {
		case ROUTE_EXACT:
		case ROUTE_COLLECTION:
			route_print_one(fp, r, "");
			break;
		case ROUTE_ID:
			route_print_one(fp, r, "");
			route_print_one(fp, r, "/*");
			break;
		case ROUTE_ID_TAIL:
			route_print_one(fp, r, "");
			break;
		default:	/* ROUTE_PREFIX */
			route_print_one(fp, r, "*");
			break;
		}
	}
}

static void
route_print_one(FILE *fp, const struct route *r, const char *tail)
{
	size_t	 i, j;

	for (i = 0; i < sizeof(route_methods) / sizeof(route_methods[0]);
	    i++) {
		if (r->methods != 0 && !(r->methods & route_methods[i].bit))
			continue;
		fprintf(fp, "%s %s%s", r->methods != 0 ?
		    route_methods[i].name : "-", r->path, tail);
		for (j = 0; j < sizeof(route_flags) / sizeof(route_flags[0]);
		    j++)
			if (r->flags & route_flags[j].bit)
				fprintf(fp, " %s", route_flags[j].name);
		fputc('\n', fp);
		if (r->methods == 0)
			break;
	}
}

/*
 * The "paths" of GET /server/specs/oas, made from the table: every row
 * with a handler is a path (an id row two: the collection and one
 * item), each of its methods an operation with the row's tag, summary
 * and, for the methods of its body column, a JSON request body.  The
 * variable parts are path parameters: "{id}" where an id row or a '*'
 * takes one, a prefix row's vars.  A method that an earlier row of the
 * same path has already is that row's, as route_find() answers it.
 * Every operation's error answer refers to the document's
 * #/components/responses/Error.  NULL when out of memory.
 */
json_t *
route_openapi(void)
{
	json_t	*paths;
	size_t	 i;

	if ((paths = json_object()) == NULL)
		return NULL;
	for (i = 0; i < ROUTE_COUNT; i++)
		if (routes[i].handler != NULL &&
		    route_oas_row(paths, &routes[i]) == -1) {
			json_decref(paths);
			return NULL;
		}
	return paths;
}

/* The paths of one row: its path with each of its variable parts. */
static int
route_oas_row(json_t *paths, const struct route *r)
{
	char		 path[ROUTE_OAS_PATH_MAX];
	const char	*v, *end, *star;
	size_t		 n;

	switch (r->match) {
	case ROUTE_ID:
		(void)snprintf(path, sizeof(path), "%s/{id}", r->path);
		if (route_oas_path(paths, r, path) == -1)
			return -1;
		/* FALLTHROUGH */
	case ROUTE_EXACT:
	case ROUTE_COLLECTION:
		return route_oas_path(paths, r, r->path);
	case ROUTE_ID_TAIL:
		star = strchr(r->path, '*');
		(void)snprintf(path, sizeof(path), "%.*s{id}%s",
		    (int)(star - r->path), r->path, star + 1);
		return route_oas_path(paths, r, path);
	default:	/* ROUTE_PREFIX */
		for (v = r->vars != NULL ? r->vars : "{path}"; *v != '\0';
		    v = end + strspn(end, " ")) {
			n = strcspn(v, " ");
			end = v + n;
			(void)snprintf(path, sizeof(path), "%s%.*s", r->path,
			    (int)n, v);
			if (route_oas_path(paths, r, path) == -1)
				return -1;
		}
		return 0;
	}
}

/*
 * An operation's key in a path item: the method in lower case; SEARCH,
 * which OpenAPI 3.0 lacks, as the extension "x-search".
 */
static void
route_oas_method(int bit, const char *name, char *out, size_t len)
{
	size_t	 j = 0, k;

	if (bit == SEARCH)
		j = strlcpy(out, "x-", len);
	for (k = 0; name[k] != '\0' && j < len - 1; k++, j++)
		out[j] = (char)tolower((unsigned char)name[k]);
	out[j] = '\0';
}

static int
route_oas_path(json_t *paths, const struct route *r, const char *path)
{
	json_t		*item, *op;
	char		 method[16];
	size_t		 i;

	if ((item = json_object_get(paths, path)) == NULL &&
	    json_object_set_new(paths, path, item = json_object()) == -1)
		return -1;
	for (i = 0; i < sizeof(route_methods) / sizeof(route_methods[0]);
	    i++) {
		if (!(r->methods & route_methods[i].bit))
			continue;
		route_oas_method(route_methods[i].bit, route_methods[i].name,
		    method, sizeof(method));
		if (json_object_get(item, method) != NULL)
			continue;
		if ((op = route_oas_operation(r, route_methods[i].bit, method,
		    path)) == NULL || json_object_set_new(item, method, op) ==
		    -1)
			return -1;
	}
	return 0;
}

/*
 * One operation.  Its operationId is the method and the path's words:
 * "getUsersMe" for GET /users/me, "getUsersId" for GET /users/{id}.
 */
static json_t *
route_oas_operation(const struct route *r, int bit, const char *method,
    const char *path)
{
	json_t		*op, *params;
	char		 id[ROUTE_OAS_PATH_MAX + 16], name[ROUTE_OAS_PATH_MAX];
	const char	*p, *close;
	size_t		 n = 0;
	int		 up = 1, failed = 0;

	n = strlcpy(id, method, sizeof(id));
	for (p = path; *p != '\0' && n < sizeof(id) - 1; p++) {
		if (!isalnum((unsigned char)*p)) {
			up = 1;
			continue;
		}
		id[n++] = up ? (char)toupper((unsigned char)*p) : *p;
		up = 0;
	}
	id[n] = '\0';
	op = json_pack("{s:[s],s:s,s:s,s:{s:{s:s},s:{s:s}}}",
	    "tags", r->tag != NULL ? r->tag : "Other",
	    "summary", r->summary != NULL ? r->summary : "",
	    "operationId", id,
	    "responses", "2XX", "description", "Success.",
	    "default", "$ref", "#/components/responses/Error");
	/* The path's parameters, if it has any. */
	params = op != NULL ? json_array() : NULL;
	if (params == NULL || (strchr(path, '{') != NULL &&
	    json_object_set_new(op, "parameters", json_incref(params)) ==
	    -1)) {
		json_decref(params);
		json_decref(op);
		return NULL;
	}
	for (p = strchr(path, '{'); p != NULL && !failed;
	    p = strchr(close, '{')) {
		if ((close = strchr(p, '}')) == NULL)
			break;
		(void)snprintf(name, sizeof(name), "%.*s",
		    (int)(close - p - 1), p + 1);
		failed = json_array_append_new(params, json_pack(
		    "{s:s,s:s,s:b,s:{s:s}}", "name", name, "in", "path",
		    "required", 1, "schema", "type", "string")) == -1;
	}
	if (!failed && (r->body & bit))
		failed = json_object_set_new(op, "requestBody", json_pack(
		    "{s:{s:{s:{}}}}", "content", "application/json",
		    "schema")) == -1;
	json_decref(params);
	if (failed) {
		json_decref(op);
		return NULL;
	}
	return op;
}
