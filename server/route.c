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

#include <stdio.h>
#include <string.h>

#include <event2/http.h>

#include "tokend.h"

#define GET	EVHTTP_REQ_GET
#define HEAD	EVHTTP_REQ_HEAD
#define POST	EVHTTP_REQ_POST
#define PUT	EVHTTP_REQ_PUT
#define PATCH	EVHTTP_REQ_PATCH
#define DELETE	EVHTTP_REQ_DELETE
#define OPTIONS	EVHTTP_REQ_OPTIONS
#define SEARCH	ROUTE_SEARCH

static const struct route routes[] = {
	/* path, match, methods; flags, handler */
	{ "/server/ping",	ROUTE_EXACT,	GET | HEAD,
	    ROUTE_NO_KEYD,	http_ping },
	{ "/server/health",	ROUTE_EXACT,	GET | HEAD,
	    0,			http_health },
	{ "/server/metrics",	ROUTE_EXACT,	GET,
	    0,			metrics_serve },
	{ "/auth/login",	ROUTE_EXACT,	POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY, auth_login },
	{ "/auth/refresh",	ROUTE_EXACT,	POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY | ROUTE_REFRESH_COOKIE,
	    auth_refresh },
	{ "/auth/logout",	ROUTE_EXACT,	POST,
	    ROUTE_SMALL_BODY | ROUTE_REFRESH_COOKIE, auth_logout },
	{ "/auth/password/request", ROUTE_EXACT, POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY, auth_password_request },
	{ "/auth/password/reset", ROUTE_EXACT, POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY, auth_password_reset },
	/* No route, but the edge keeps every body under /auth/ small. */
	{ "/auth/",		ROUTE_PREFIX,	0,
	    ROUTE_SMALL_BODY,	NULL },
	{ "/users/me",		ROUTE_EXACT,	GET,
	    0,			auth_me },
	{ "/users/me",		ROUTE_EXACT,	PATCH,
	    ROUTE_SMALL_BODY,	auth_me },
	{ "/users/me/tfa/generate", ROUTE_EXACT, POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY, users_tfa_generate },
	{ "/users/me/tfa/enable", ROUTE_EXACT,	POST,
	    ROUTE_SMALL_BODY,	users_tfa_enable },
	{ "/users/me/tfa/disable", ROUTE_EXACT,	POST,
	    ROUTE_SMALL_BODY,	users_tfa_disable },
	{ "/users/me/tfa/recovery-codes", ROUTE_EXACT, POST,
	    ROUTE_SMALL_BODY,	users_tfa_recovery },
	{ "/users/*/tfa/disable", ROUTE_ID_TAIL, POST,
	    ROUTE_SMALL_BODY,	users_tfa_admin_disable },
	{ "/users/invite",	ROUTE_EXACT,	POST,
	    0,			users_invite },
	{ "/users/invite/accept", ROUTE_EXACT,	POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY, auth_invite_accept },
	{ "/users/register",	ROUTE_EXACT,	POST,
	    ROUTE_AUTH_LIMIT | ROUTE_SMALL_BODY, auth_register },
	{ "/users/register/verify-email", ROUTE_EXACT, GET,
	    ROUTE_AUTH_LIMIT,	auth_register_verify },
	{ "/users",		ROUTE_ID,	GET | HEAD | PATCH | DELETE,
	    0,			users_users },
	{ "/users",		ROUTE_COLLECTION, POST | SEARCH,
	    0,			users_users },
	{ "/activity",		ROUTE_ID,	GET | HEAD,
	    0,			users_activity },
	{ "/roles",		ROUTE_ID,	GET | HEAD,
	    0,			users_roles_read },
	{ "/roles",		ROUTE_ID,	POST | PATCH | DELETE,
	    0,			users_conf_readonly },
	{ "/permissions",	ROUTE_ID,	GET | HEAD,
	    0,			users_permissions_read },
	{ "/permissions",	ROUTE_ID,	POST | PATCH | DELETE,
	    0,			users_conf_readonly },
	{ "/items/",		ROUTE_PREFIX,	GET | POST | PATCH | DELETE |
	    SEARCH,		0,		items_serve },
};
#define ROUTE_COUNT	(sizeof(routes) / sizeof(routes[0]))

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
};

static int	 route_match(const struct route *, const char *,
		    const char **);
static void	 route_print_one(FILE *, const struct route *, const char *);

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
