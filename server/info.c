/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * What the server says of itself: GET /server/info (the project, and
 * to a signed-in caller the limits), GET /auth (the login providers)
 * and GET /server/specs/oas (the OpenAPI document of the route
 * table).  Anybody may ask for the first two, as in Directus, and any
 * signed-in user for the document; a credential, when the request
 * carries one, must be valid (keyd's word), and makes /server/info say
 * more.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "log.h"
#include "proto.h"
#include "query.h"
#include "tokend.h"

#ifndef TOKEND_VERSION
#define TOKEND_VERSION		"unknown"
#endif
#define INFO_OAS_VERSION	"3.0.1"	/* of the OpenAPI document */

enum info_kind {
	INFO_SERVER,
	INFO_PROVIDERS,
	INFO_OPENAPI,
};

/* The query parameters each route takes, besides access_token. */
static const char *const info_params_server[] = { NULL };
static const char *const info_params_providers[] = { "sessionOnly", NULL };

static void	 info_route(struct server *, struct evhttp_request *,
		    enum info_kind, const char *, const char *const *);
static int	 info_params(struct evhttp_request *, const char *,
		    const char *const *);
static void	 info_authed(struct pending *, struct frame *);
static void	 info_answer(struct evhttp_request *, enum info_kind, int);
static json_t	*info_server_json(const struct tokend_config *, int);
static json_t	*info_openapi_json(const struct tokend_config *);

void
info_server(struct server *s, struct evhttp_request *req, const char *rest)
{
	info_route(s, req, INFO_SERVER, "/server/info", info_params_server);
}

void
info_providers(struct server *s, struct evhttp_request *req,
    const char *rest)
{
	info_route(s, req, INFO_PROVIDERS, "/auth", info_params_providers);
}

void
info_openapi(struct server *s, struct evhttp_request *req, const char *rest)
{
	info_route(s, req, INFO_OPENAPI, "/server/specs/oas",
	    info_params_server);
}

/*
 * Without a credential the public answer comes at once; with one, keyd
 * checks it first (or the worker's cache of keyd's answers), so that a
 * bad token is refused here as on every other route.
 */
static void
info_route(struct server *s, struct evhttp_request *req, enum info_kind kind,
    const char *route, const char *const *names)
{
	enum info_kind	*c;

	if (info_params(req, route, names) == -1)
		return;
	if (!auth_has_credential(s, req)) {
		/*
		 * The document names tokend's version (info.version, which
		 * OpenAPI requires): not for anonymous callers (the
		 * reference catalog's P4), where Directus shows its own.
		 */
		if (kind == INFO_OPENAPI)
			auth_error(req, AUTH_FORBIDDEN);
		else
			info_answer(req, kind, 0);
		return;
	}
	if ((c = malloc(sizeof(*c))) == NULL) {
		auth_error(req, AUTH_INTERNAL);
		return;
	}
	*c = kind;
	if (auth_authenticate(s, req, MSG_AUTH, NULL, 0, 0, info_authed,
	    c) == -1)
		free(c);
}

/*
 * Every query parameter is one the route takes, or the access token: a
 * parameter tokend would ignore is refused (400 INVALID_QUERY), so that
 * no client takes an answer for one it did not get.  A name may come
 * without a value ("?sessionOnly").  -1 when refused, with the answer
 * sent.
 */
static int
info_params(struct evhttp_request *req, const char *route,
    const char *const *names)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*p, *amp;
	char			*raw, *name, clean[33], msg[128];
	size_t			 seg, nlen, i;

	p = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	for (; p != NULL && *p != '\0'; p = amp != NULL ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		seg = amp != NULL ? (size_t)(amp - p) : strlen(p);
		nlen = strcspn(p, "=&");
		if (nlen > seg)
			nlen = seg;
		if (nlen == 0)
			continue;
		raw = strndup(p, nlen);
		name = raw != NULL ? evhttp_uridecode(raw, 1, NULL) : NULL;
		free(raw);
		if (name == NULL) {
			auth_error(req, AUTH_INTERNAL);
			return -1;
		}
		for (i = 0; names[i] != NULL && strcmp(name, names[i]) != 0;
		    i++)
			;
		if (names[i] != NULL || strcmp(name, "access_token") == 0) {
			free(name);
			continue;
		}
		/* Only printable ASCII is echoed back, and no quote. */
		for (i = 0; name[i] != '\0' && i < sizeof(clean) - 1; i++)
			clean[i] = name[i] > 0x20 && name[i] < 0x7f &&
			    name[i] != '"' && name[i] != '\\' ? name[i] : '?';
		clean[i] = '\0';
		free(name);
		(void)snprintf(msg, sizeof(msg), "Invalid query. \"%s\" is "
		    "not a parameter of %s.", clean, route);
		http_error(req, 400, "INVALID_QUERY", msg);
		return -1;
	}
	return 0;
}

static void
info_authed(struct pending *p, struct frame *f)
{
	enum info_kind		*c = p->arg;
	struct auth_result	 ar;

	if (f == NULL)
		ar.code = AUTH_UNAVAILABLE;
	else if (auth_result_read(f, &ar) == -1)
		ar.code = AUTH_INTERNAL;
	if (ar.code != AUTH_OK)
		auth_error(p->req, ar.code);
	else
		info_answer(p->req, *c, 1);
	free(c);
}

/* user: the request carries a valid credential. */
static void
info_answer(struct evhttp_request *req, enum info_kind kind, int user)
{
	const struct tokend_config	*conf = server_conf();
	json_t				*doc;
	char				*text = NULL;

	switch (kind) {
	case INFO_SERVER:
		text = http_data_dumps(info_server_json(conf, user));
		break;
	case INFO_PROVIDERS:
		/* No provider but email and password, which is not listed. */
		doc = json_pack("{s:[],s:b}", "data", "disableDefault", 0);
		text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
		json_decref(doc);
		break;
	default:
		doc = info_openapi_json(conf);
		text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
		json_decref(doc);
		break;
	}
	if (text == NULL)
		auth_error(req, AUTH_INTERNAL);
	else
		http_json(req, 200, text);
	free(text);
}

/*
 * The members Directus shows, from tokend's configuration.  The project
 * is what a Directus without stored settings shows: its name is the
 * mail project's, registration is register and register-verify; the
 * color, language and appearance, which tokend has no setting for, are
 * Directus's values for an unset setting; the other settings, unset
 * and null in Directus, are left out as Directus leaves them out.  A
 * caller with a credential also gets the rate limit (tokend's general
 * one: points per duration in seconds), the query limits (the default
 * page and query-limit) and tokend's version; tokend has no global
 * rate limit, extensions or websockets.
 */
static json_t *
info_server_json(const struct tokend_config *conf, int user)
{
	json_t	*info, *project, *rate;

	project = json_pack("{s:s?,s:s,s:s,s:s,s:b,s:b}",
	    "project_name", conf->mail_project[0] != '\0' ?
	    conf->mail_project : NULL,
	    "project_color", "#6644FF",
	    "default_language", "en-US",
	    "default_appearance", "auto",
	    "public_registration", conf->register_on,
	    "public_registration_verify_email", conf->register_verify);
	if ((info = json_pack("{s:o}", "project", project)) == NULL ||
	    !user)
		return info;
	if (conf->rate_points == 0)
		rate = json_false();
	else if (conf->rate_duration % 1000 == 0)
		rate = json_pack("{s:i,s:I}", "points", conf->rate_points,
		    "duration", (json_int_t)(conf->rate_duration / 1000));
	else
		rate = json_pack("{s:i,s:f}", "points", conf->rate_points,
		    "duration", (double)conf->rate_duration / 1000.0);
	if (json_object_set_new(info, "rateLimit", rate) == -1 ||
	    json_object_set_new(info, "rateLimitGlobal", json_false()) == -1 ||
	    json_object_set_new(info, "extensions", json_pack("{s:n}",
	    "limit")) == -1 ||
	    json_object_set_new(info, "queryLimit", json_pack("{s:i,s:i}",
	    "default", QUERY_LIMIT_DEFAULT, "max", conf->query_limit)) == -1 ||
	    json_object_set_new(info, "websocket", json_false()) == -1 ||
	    json_object_set_new(info, "version",
	    json_string(TOKEND_VERSION)) == -1) {
		json_decref(info);
		return NULL;
	}
	return info;
}

/*
 * The OpenAPI document: its paths are the route table's
 * (route_openapi()); around them, the server (public-url, else this
 * one), the error envelope every operation refers to, and the three
 * ways a request carries a token.  Every operation may also be sent
 * without one, as the public role.
 */
static json_t *
info_openapi_json(const struct tokend_config *conf)
{
	json_t	*paths, *errors, *schemes;

	if ((paths = route_openapi()) == NULL)
		return NULL;
	errors = json_pack("{s:s,s:{s:{s:s,s:{s:s,s:{"
	    "s:{s:s},s:{s:s,s:{s:{s:s}}}}}}}}",
	    "type", "object", "properties", "errors", "type", "array",
	    "items", "type", "object", "properties", "message", "type",
	    "string", "extensions", "type", "object", "properties", "code",
	    "type", "string");
	schemes = json_pack("{s:{s:s,s:s},s:{s:s,s:s,s:s},s:{s:s,s:s,s:s}}",
	    "Auth", "type", "http", "scheme", "bearer",
	    "KeyAuth", "type", "apiKey", "in", "query", "name", "access_token",
	    "Cookie", "type", "apiKey", "in", "cookie", "name",
	    conf->session_cookie);
	return json_pack("{s:s,s:{s:s,s:s,s:s},s:[{s:s,s:s}],s:o,"
	    "s:{s:{s:{s:s,s:{s:{s:{s:s}}}}},s:{s:o},s:o},"
	    "s:[{},{s:[]},{s:[]},{s:[]}]}",
	    "openapi", INFO_OAS_VERSION,
	    "info", "title", "tokend", "description", "The routes of this "
	    "tokend server, made from its route table.", "version",
	    TOKEND_VERSION,
	    "servers", "url", conf->public_url[0] != '\0' ? conf->public_url :
	    "/", "description", "This tokend server.",
	    "paths", paths,
	    "components", "responses", "Error", "description", "An error, in "
	    "the Directus envelope.", "content", "application/json",
	    "schema", "$ref", "#/components/schemas/Errors",
	    "schemas", "Errors", errors,
	    "securitySchemes", schemes,
	    "security", "Auth", "KeyAuth", "Cookie");
}
