/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The worker's HTTP side: the guard and the dispatcher in front of the
 * routes of route.c, the server routes, and the answers.  Every error
 * is answered with the Directus envelope:
 * {"errors":[{"message":...,"extensions":{"code":...}}]}.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "cidr.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"
#include "ratelimit.h"
#include "tokend.h"

#define HTTP_PATH_LOG_MAX	256	/* bytes of a path echoed in errors */
#define HTTP_ORIGIN_MAX		512	/* bytes of an Origin or Referer read */
#define HTTP_MEDIA_ECHO_MAX	64	/* bytes of a media type echoed */
#define HTTP_XFF_HEADERS_MAX	16	/* X-Forwarded-For headers read */
#define HTTP_UNSAFE	(EVHTTP_REQ_POST | EVHTTP_REQ_PUT | \
			    EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE)

static struct server		*http_server;
static struct ratelimit		 http_rl;
static struct cidr		 http_proxies[CIDR_LIST_MAX];	/* trusted */
static size_t			 http_nproxies;

static void	 http_routes(struct evhttp *);
static void	 http_hsts(struct server *, struct evhttp_request *);
static int	 http_exact_new(size_t);
static void	 http_exact(struct evhttp_request *, void *);
static void	 http_other(struct evhttp_request *, void *);
static void	 http_serve(struct evhttp_request *, const char *);
static int	 http_admit(struct server *, struct evhttp_request *,
		    const char *);
static int	 http_unsafe(struct server *, struct evhttp_request *,
		    const struct route *);
static int	 http_cors(struct server *, struct evhttp_request *);
static const char *http_origin(struct evhttp_request *);
static int	 http_body_json(struct evhttp_request *, int);
static const char *http_content_type(struct evhttp_request *);
static int	 http_media_is(const char *, const char *);
static int	 http_same_origin(struct server *, struct evhttp_request *);
static int	 http_origin_is_host(const char *, size_t, const char *);
static int	 http_origin_is_public(const char *, int, const char *);
static int	 http_origin_is_cors(struct server *, const char *, int);
static void	 http_duration(char *, size_t, int64_t);
static int	 http_forwarded_hop(const char *, size_t *, struct cidr *);
static void	 http_track(struct evhttp_request *, const struct route *);
static void	 http_done(struct evhttp_request *, void *);

static void	 http_health_done(struct pending *, struct frame *);
static void	 http_send(struct evhttp_request *, int, const char *,
		    const char *, size_t);

/*
 * Every path of route.c's table reaches http_serve, so that the guard
 * runs before any route.  evhttp matches the exact paths itself, after
 * percent-decoding them; every other path comes to the generic
 * callback as the client wrote it.
 */
void
http_init(struct server *s)
{
	http_server = s;
	http_routes(s->http);
	if (s->https != NULL)
		http_routes(s->https);
	edge_init(s);
	ratelimit_init(&http_rl, (size_t)s->conf->rate_addresses);
	http_apply_limits(s);
}

/* The plain and the tls listeners serve the same routes. */
static void
http_routes(struct evhttp *http)
{
	const struct route	*r;
	size_t			 i;

	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(http, NULL);
	for (i = 0; (r = route_get(i)) != NULL; i++)
		if (r->match == ROUTE_EXACT && http_exact_new(i) &&
		    evhttp_set_cb(http, r->path, http_exact, (void *)r) != 0)
			fatalx("evhttp_set_cb %s", r->path);
	evhttp_set_gencb(http, http_other, NULL);
}

/* Rows of one exact path (one per method) give evhttp one callback. */
static int
http_exact_new(size_t i)
{
	const struct route	*r = route_get(i), *prev;
	size_t			 j;

	for (j = 0; j < i; j++) {
		prev = route_get(j);
		if (prev->match == ROUTE_EXACT &&
		    strcmp(prev->path, r->path) == 0)
			return 0;
	}
	return 1;
}

/* An exact path: evhttp matched it, its row names it. */
static void
http_exact(struct evhttp_request *req, void *arg)
{
	const struct route	*r = arg;

	http_serve(req, r->path);
}

/* Is this the edge's SEARCH, handed over as GET with the marker? */
int
http_is_search(struct evhttp_request *req)
{
	const char	*uri = evhttp_request_get_uri(req);

	return evhttp_request_get_command(req) == EVHTTP_REQ_GET &&
	    uri != NULL && strncmp(uri, HTTP_SEARCH_MARK,
	    HTTP_SEARCH_MARK_LEN) == 0;
}

/* The request's method as a route's bit: ROUTE_SEARCH or evhttp's. */
int
http_method(struct evhttp_request *req)
{
	return http_is_search(req) ? ROUTE_SEARCH :
	    (int)evhttp_request_get_command(req);
}

static void
http_other(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path;

	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path != NULL && http_is_search(req))
		path += HTTP_SEARCH_MARK_LEN;
	http_serve(req, path);
}

/*
 * The guard, then the route: its method, the small body limit, the
 * cross-site guard of unsafe methods, and its handler.
 */
static void
http_serve(struct evhttp_request *req, const char *path)
{
	const struct route	*r = NULL;
	const char		*rest = NULL, *portal = NULL;

	if (path != NULL)
		r = route_find(path, http_method(req), &rest);
	/*
	 * The portal's pages never hide a route of the API; every answer
	 * under its path, a refusal too, has the portal's headers.
	 */
	if (r == NULL && path != NULL &&
	    (portal = portal_rest(http_server->conf, path)) != NULL)
		portal_headers(req);
	http_track(req, r);
	http_hsts(http_server, req);
	if (http_cors(http_server, req) == -1)
		return;
	if (http_admit(http_server, req, path) == -1)
		return;
	if (portal != NULL) {
		if ((evhttp_request_get_command(req) & HTTP_UNSAFE) &&
		    http_unsafe(http_server, req, NULL) == -1)
			return;
		portal_serve(http_server, req, portal);
		return;
	}
	if (r == NULL) {
		http_not_found(req, http_server);
		return;
	}
	if ((r->flags & ROUTE_SMALL_BODY) && evbuffer_get_length(
	    evhttp_request_get_input_buffer(req)) > AUTH_BODY_MAX) {
		http_error(req, 413, "CONTENT_TOO_LARGE",
		    "Content too large.");
		return;
	}
	if ((evhttp_request_get_command(req) & HTTP_UNSAFE) &&
	    http_unsafe(http_server, req, r) == -1)
		return;
	r->handler(http_server, req, rest);
}

/*
 * When the metrics or the access log are on, a request is followed to
 * its answer (http_done).  What that needs rides in the callback's
 * argument, so that nothing is allocated per request: the route's row
 * in the low byte (0xff: none), the start in microseconds above it,
 * kept modulo the pointer's width (a duration is a difference, right
 * while it is shorter than that: 16 s where pointers have 32 bits).
 */
static void
http_track(struct evhttp_request *req, const struct route *r)
{
	const struct tokend_config	*conf = http_server->conf;
	uintptr_t			 a;

	if (conf->access_log[0] == '\0' && !metrics_on(conf))
		return;
	a = ((uintptr_t)now_us() << 8) | (r != NULL ? route_index(r) : 0xff);
	evhttp_request_set_on_complete_cb(req, http_done, (void *)a);
}

static void
http_done(struct evhttp_request *req, void *arg)
{
	const struct tokend_config	*conf = http_server->conf;
	uintptr_t			 a = (uintptr_t)arg;
	int64_t				 us;
	size_t				 row = a & 0xff;

	us = (int64_t)((((uintptr_t)now_us() << 8) - (a & ~(uintptr_t)0xff))
	    >> 8);
	if (metrics_on(conf))
		metrics_request(row == 0xff ? METRICS_ROUTES - 1 : row,
		    (int)evhttp_request_get_command(req),
		    evhttp_request_get_response_code(req), us);
	if (conf->access_log[0] != '\0')
		accesslog_request(req, us);
}

/*
 * tls hsts: every answer on a TLS connection tells browsers to come
 * back over TLS only (RFC 6797); never on a plain one, where it means
 * nothing.
 */
static void
http_hsts(struct server *s, struct evhttp_request *req)
{
	struct evhttp_connection	*evcon;
	char				 value[48];

	if (s->conf->tls_hsts == 0 ||
	    (evcon = evhttp_request_get_connection(req)) == NULL ||
	    !tls_bev_is_tls(evhttp_connection_get_bufferevent(evcon)))
		return;
	(void)snprintf(value, sizeof(value), "max-age=%d", s->conf->tls_hsts);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Strict-Transport-Security", value);
}

/*
 * CORS (cors { }), before anything else so that every answer carries
 * it, errors included.  The headers are Directus's (its cors package):
 * Access-Control-Allow-Origin names the request's Origin when that is
 * one of cors origin exactly (its default port written or not), or is
 * "*" when the list is "*" (refused with credentials); Vary: Origin on
 * every answer, so that no cache gives one origin's answer to another.
 * Where Directus, given one origin, names it to every requester (given
 * several, it sends an unlisted one every header but this one), tokend
 * sends an unlisted origin Vary alone: the browser refuses it either
 * way.  A preflight (OPTIONS, on any path) is answered here, 204 with
 * the methods, headers and max-age, without keyd.  -1: answered.
 */
static int
http_cors(struct server *s, struct evhttp_request *req)
{
	const struct tokend_config	*conf = s->conf;
	struct evkeyvalq		*h;
	const char			*origin;
	char				 age[16];
	int				 preflight;

	if (conf->cors_origin[0] == '\0')
		return 0;
	h = evhttp_request_get_output_headers(req);
	preflight = evhttp_request_get_command(req) == EVHTTP_REQ_OPTIONS;
	origin = http_origin(req);
	if (origin != NULL && config_origin_listed(conf->cors_origin, origin,
	    strlen(origin)))
		evhttp_add_header(h, "Access-Control-Allow-Origin",
		    strcmp(conf->cors_origin, "*") == 0 ? "*" : origin);
	else
		origin = NULL;
	evhttp_add_header(h, "Vary", "Origin");
	if (origin != NULL && conf->cors_credentials)
		evhttp_add_header(h, "Access-Control-Allow-Credentials",
		    "true");
	if (origin != NULL && preflight) {
		evhttp_add_header(h, "Access-Control-Allow-Methods",
		    conf->cors_methods);
		evhttp_add_header(h, "Access-Control-Allow-Headers",
		    conf->cors_allowed_headers);
		(void)snprintf(age, sizeof(age), "%d", conf->cors_max_age);
		evhttp_add_header(h, "Access-Control-Max-Age", age);
	}
	if (origin != NULL && conf->cors_exposed_headers[0] != '\0')
		evhttp_add_header(h, "Access-Control-Expose-Headers",
		    conf->cors_exposed_headers);
	if (!preflight)
		return 0;
	evhttp_add_header(h, "Content-Length", "0");
	http_reply(req, 204, "No Content");
	return -1;
}

/* The request's one Origin header, not "null" and not too long, or NULL. */
static const char *
http_origin(struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	struct evkeyval		*kv;
	const char		*origin = NULL;
	size_t			 n = 0;

	TAILQ_FOREACH(kv, h, next)
		if (strcasecmp(kv->key, "Origin") == 0) {
			origin = kv->value;
			n++;
		}
	if (n != 1 || strnlen(origin, HTTP_ORIGIN_MAX + 1) > HTTP_ORIGIN_MAX)
		return NULL;
	return origin;
}

/*
 * The cross-site guard, for every POST, PUT, PATCH and DELETE.  A form
 * or a "simple" fetch of another site can send text/plain,
 * application/x-www-form-urlencoded or multipart/form-data with the
 * browser's cookies and no preflight; application/json needs a CORS
 * preflight, which tokend grants only to the origins cors origin lists.
 * So a body is read only when
 * it is labelled application/json (Directus ignores other bodies, and
 * its handlers go on with {}: refusing is stricter), or a form on a
 * route that takes one (ROUTE_FORM_BODY: RFC 7662's); an empty body
 * needs no label (POST /auth/logout with its cookie).  And a request
 * that a cookie authenticates must say it comes from tokend's own
 * origin: its Origin (or, without one, its Referer) is the origin of
 * public-url, or without public-url names the scheme (http_scheme) and
 * the host the request was sent to (a proxy that rewrites Host needs
 * public-url, or to pass Host on), or one of the origins cors origin
 * lists.  Browsers send Origin with every unsafe
 * request; a client without one uses a bearer token, or sends Origin.
 * -1: refused, with the answer sent.
 */
static int
http_unsafe(struct server *s, struct evhttp_request *req,
    const struct route *r)
{
	if (auth_cookie_credential(s, req,
	    r != NULL && (r->flags & ROUTE_REFRESH_COOKIE) != 0) &&
	    !http_same_origin(s, req)) {
		http_error(req, 403, "FORBIDDEN", "Cross-site request refused: "
		    "a request authenticated by a cookie must carry an Origin "
		    "or Referer of this server or of an allowed CORS origin.");
		return -1;
	}
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > 0 &&
	    http_body_json(req, r != NULL &&
	    (r->flags & ROUTE_FORM_BODY) != 0) == -1)
		return -1;
	return 0;
}

/*
 * The one Content-Type header of a request, or NULL when it has none or
 * several.
 */
static const char *
http_content_type(struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	struct evkeyval		*kv;
	const char		*ct = NULL;
	size_t			 n = 0;

	TAILQ_FOREACH(kv, h, next)
		if (strcasecmp(kv->key, "Content-Type") == 0) {
			ct = kv->value;
			n++;
		}
	return n == 1 ? ct : NULL;
}

/* Is ct the media type type, with or without parameters? */
static int
http_media_is(const char *ct, const char *type)
{
	size_t	 len = strlen(type);

	if (ct == NULL)
		return 0;
	ct += strspn(ct, " \t");
	if (strncasecmp(ct, type, len) != 0)
		return 0;
	ct += len;
	ct += strspn(ct, " \t");
	return *ct == '\0' || *ct == ';';
}

/* Is the body labelled application/x-www-form-urlencoded? */
int
http_body_is_form(struct evhttp_request *req)
{
	return http_media_is(http_content_type(req),
	    "application/x-www-form-urlencoded");
}

/*
 * Is the body labelled application/json (or, with form, a form), with
 * or without parameters, in one Content-Type header?  -1 when not,
 * with the 415 sent in Directus's words (the media type quoted when it
 * is short and plain).
 */
static int
http_body_json(struct evhttp_request *req, int form)
{
	const char	*ct = http_content_type(req);
	char		 msg[128];
	size_t		 len;

	if (http_media_is(ct, "application/json") ||
	    (form && http_media_is(ct, "application/x-www-form-urlencoded")))
		return 0;
	len = ct == NULL ? 0 : strcspn(ct, ";");
	if (len > 0 && len <= HTTP_MEDIA_ECHO_MAX &&
	    strspn(ct, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789!#$%&'*+.^_`|~-/") == len)
		(void)snprintf(msg, sizeof(msg), "Unsupported media type "
		    "\"%.*s\" in Content-Type header.", (int)len, ct);
	else
		(void)snprintf(msg, sizeof(msg), "Unsupported media type in "
		    "Content-Type header: a body must be application/json.");
	http_error(req, 415, "UNSUPPORTED_MEDIA_TYPE", msg);
	return -1;
}

/*
 * Does the request come from tokend's origin?  Its one Origin, else
 * its one Referer: the origin of public-url when it is set, else cut
 * to scheme://host[:port], the Host it carries.  "null", a missing or
 * a repeated header: no.
 */
static int
http_same_origin(struct server *s, struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	struct evkeyval		*kv;
	const char		*origin = NULL, *referer = NULL, *host = NULL;
	const char		*v, *auth;
	size_t			 no = 0, nr = 0, nh = 0;

	TAILQ_FOREACH(kv, h, next) {
		if (strcasecmp(kv->key, "Origin") == 0) {
			origin = kv->value;
			no++;
		} else if (strcasecmp(kv->key, "Referer") == 0) {
			referer = kv->value;
			nr++;
		} else if (strcasecmp(kv->key, "Host") == 0) {
			host = kv->value;
			nh++;
		}
	}
	if (no > 1 || (no == 0 && nr != 1))
		return 0;
	v = no == 1 ? origin : referer;
	if (strnlen(v, HTTP_ORIGIN_MAX + 1) > HTTP_ORIGIN_MAX)
		return 0;
	if (http_origin_is_cors(s, v, no == 1))
		return 1;
	if (s->conf->public_url[0] != '\0')
		return http_origin_is_public(v, no == 1, s->conf->public_url);
	if (nh != 1)
		return 0;
	/* The scheme too: http and https of one host are two origins. */
	if (strcmp(http_scheme(req), "http") == 0 &&
	    strncasecmp(v, "http://", 7) == 0)
		auth = v + 7;
	else if (strcmp(http_scheme(req), "https") == 0 &&
	    strncasecmp(v, "https://", 8) == 0)
		auth = v + 8;
	else
		return 0;
	/* An Origin is the origin alone; a Referer goes on with a path. */
	return http_origin_is_host(auth, no == 1 ? strlen(auth) :
	    strcspn(auth, "/?#"), host);
}

/*
 * Is v (an Origin when is_origin, else a Referer) of one of the origins
 * cors origin lists by name?  "*" is no list: it allows reading without
 * credentials, never sending a cookie.
 */
static int
http_origin_is_cors(struct server *s, const char *v, int is_origin)
{
	struct url_origin	 o;
	size_t			 len = strlen(v), rest;

	if (s->conf->cors_origin[0] == '\0' ||
	    strcmp(s->conf->cors_origin, "*") == 0 ||
	    config_url_origin(v, len, &o, &rest) != NULL ||
	    (is_origin && rest != len))
		return 0;
	return config_origin_listed(s->conf->cors_origin, v, rest);
}

/*
 * Is v (an Origin when is_origin, else a Referer) of the origin of
 * public-url, its default port written or not?  The configuration
 * checked public-url.
 */
static int
http_origin_is_public(const char *v, int is_origin, const char *public_url)
{
	struct url_origin	 want, got;
	size_t			 rest, len = strlen(v);

	if (config_url_origin(public_url, strlen(public_url), &want,
	    &rest) != NULL ||
	    config_url_origin(v, len, &got, &rest) != NULL)
		return 0;
	if (is_origin && rest != len)
		return 0;
	return config_url_origin_same(&want, &got);
}

/*
 * Is the authority auth (len bytes, no user part) the Host header's
 * value, compared without case?
 */
static int
http_origin_is_host(const char *auth, size_t len, const char *host)
{
	if (len == 0 || memchr(auth, '@', len) != NULL)
		return 0;
	return strlen(host) == len && strncasecmp(auth, host, len) == 0;
}

/*
 * rate-limit-shared: keyd counts login and refresh in the store
 * (PostgreSQL), for every host; the worker does not count them again.
 */
static int
http_rate_shared(const struct tokend_config *conf, const char *path)
{
	return conf->rate_shared && CONF_DATABASE_PG(conf->database) &&
	    (strcmp(path, "/auth/login") == 0 ||
	    strcmp(path, "/auth/refresh") == 0);
}

/*
 * The rate limits, before any route as in Directus: every request of a
 * client (http_client) counts against rate-limit, one to a ROUTE_AUTH_LIMIT route (login,
 * refresh) against auth-rate-limit too.  path is the one the route is
 * found by, so that no spelling of /auth/login (evhttp decodes
 * "/auth/log%69n" to it) escapes the auth limit.  -1: refused, with
 * the answer sent.
 */
static int
http_admit(struct server *s, struct evhttp_request *req, const char *path)
{
	const struct tokend_config	*conf = s->conf;
	struct sockaddr_storage		 ss;
	struct cidr			 client;
	struct rl_key			 key;
	int64_t				 now, wait;

	if (conf->rate_points == 0 && conf->auth_rate_points == 0)
		return 0;
	if (http_client(req, &client) == -1)
		return 0;
	cidr_to_sockaddr(&client, &ss);
	if (ratelimit_key((struct sockaddr *)&ss, &key) == -1)
		return 0;
	now = now_ms(CLOCK_MONOTONIC);
	if ((wait = ratelimit_take(&http_rl, &key, RL_GENERAL,
	    conf->rate_points, conf->rate_duration, now)) > 0) {
		http_too_many(req, conf->rate_points, wait);
		return -1;
	}
	if (path != NULL && (route_path_flags(path) & ROUTE_AUTH_LIMIT) &&
	    !http_rate_shared(conf, path) &&
	    (wait = ratelimit_take(&http_rl, &key,
	    RL_AUTH, conf->auth_rate_points, conf->auth_rate_duration,
	    now)) > 0) {
		http_too_many(req, conf->auth_rate_points, wait);
		return -1;
	}
	return 0;
}

/*
 * 429 as Directus words it: the message gives the wait as the "ms"
 * package writes it, the extensions the limit and when the window
 * ends, and Retry-After the whole seconds left, rounded up.
 */
void
http_too_many(struct evhttp_request *req, int points, int64_t wait)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	json_t			*body;
	char			*text, msg[64], when[32], after[40];
	time_t			 reset;
	struct tm		 tm;
	int64_t			 at = now_ms(CLOCK_REALTIME) + wait;

	http_duration(when, sizeof(when), wait);
	(void)snprintf(msg, sizeof(msg), "Too many requests, retry after %s.",
	    when);
	reset = (time_t)(at / 1000);
	if (gmtime_r(&reset, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		when[0] = '\0';
	(void)snprintf(after, sizeof(after), "%s.%03dZ", when,
	    (int)(at % 1000));
	body = json_pack("{s:[{s:s,s:{s:s,s:i,s:s}}]}", "errors", "message",
	    msg, "extensions", "code", "REQUESTS_EXCEEDED", "limit", points,
	    "reset", after);
	text = body == NULL ? NULL : json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL) {
		http_error(req, 429, "REQUESTS_EXCEEDED", "Too many requests.");
		return;
	}
	(void)snprintf(after, sizeof(after), "%lld",
	    (long long)((wait + 999) / 1000));
	evhttp_add_header(h, "Retry-After", after);
	http_json(req, 429, text);
	free(text);
}

/* 1500 -> "2s", 999 -> "999ms", 90000 -> "2m", as ms(1) shortens. */
static void
http_duration(char *buf, size_t len, int64_t ms)
{
	static const struct {
		int64_t		 unit;
		const char	*name;
	} units[] = {
		{ 24 * 3600 * 1000LL, "d" }, { 3600 * 1000LL, "h" },
		{ 60 * 1000LL, "m" }, { 1000LL, "s" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ms >= units[i].unit) {
			(void)snprintf(buf, len, "%lld%s", (long long)
			    ((ms + units[i].unit / 2) / units[i].unit),
			    units[i].name);
			return;
		}
	(void)snprintf(buf, len, "%lldms", (long long)ms);
}

/*
 * The edge enforces the configured head and body limits, from the next
 * request on, also on connections opened before a reload.  evhttp keeps
 * the widest ones as a backstop: it fixes them per connection when it
 * accepts it, and would answer in its own words.
 */
void
http_apply_limits(struct server *s)
{
	struct evhttp	*http[2] = { s->http, s->https };
	int		 i;

	for (i = 0; i < 2 && http[i] != NULL; i++) {
		evhttp_set_max_headers_size(http[i], CONF_HEADER_HI);
		evhttp_set_max_body_size(http[i], CONF_BODY_HI);
		evhttp_set_timeout(http[i], s->conf->request_timeout);
	}
	ratelimit_resize(&http_rl, (size_t)s->conf->rate_addresses);
	/* Checked by the parent's parser and again by config_from_json. */
	if (cidr_list_parse(s->conf->trusted_proxy, http_proxies,
	    CIDR_LIST_MAX, &http_nproxies) != NULL)
		http_nproxies = 0;
}

/*
 * The client of a request.  The peer, unless it is a trusted proxy
 * (trusted-proxy): then the hops of X-Forwarded-For are read from the
 * right (the last header first), each a trusted proxy's word about the
 * one before it, and the client is the first hop that is no trusted
 * proxy; when every hop is one, the left-most.  A hop that is no
 * address ends the walk at the proxy that wrote it.  So a client can
 * write what it likes in the header: what it wrote stands left of the
 * address the first trusted proxy added, and is never read.  -1 when
 * the connection has no IP address.
 */
int
http_client(struct evhttp_request *req, struct cidr *client)
{
	struct evhttp_connection	*evcon;
	const struct sockaddr		*sa;
	struct evkeyvalq		*headers;
	struct evkeyval			*kv;
	const char			*xff[HTTP_XFF_HEADERS_MAX];
	struct cidr			 hop;
	size_t				 n = 0, end;

	if ((evcon = evhttp_request_get_connection(req)) == NULL ||
	    (sa = evhttp_connection_get_addr(evcon)) == NULL ||
	    cidr_from_sockaddr(sa, client) == -1)
		return -1;
	if (http_nproxies == 0 ||
	    !cidr_match(http_proxies, http_nproxies, client))
		return 0;
	headers = evhttp_request_get_input_headers(req);
	TAILQ_FOREACH(kv, headers, next)
		if (strcasecmp(kv->key, "X-Forwarded-For") == 0 &&
		    n < HTTP_XFF_HEADERS_MAX)
			xff[n++] = kv->value;
	while (n-- > 0)
		for (end = strlen(xff[n]); end > 0;) {
			if (http_forwarded_hop(xff[n], &end, &hop) == -1)
				return 0;
			*client = hop;
			if (!cidr_match(http_proxies, http_nproxies, client))
				return 0;
		}
	return 0;
}

/*
 * The hop that ends at *end in an X-Forwarded-For value: 0 with the
 * address and *end moved before its comma, or -1 when it is no address.
 */
static int
http_forwarded_hop(const char *v, size_t *end, struct cidr *hop)
{
	size_t	 e = *end, b;

	while (e > 0 && (v[e - 1] == ' ' || v[e - 1] == '\t'))
		e--;
	for (b = e; b > 0 && v[b - 1] != ','; b--)
		;
	*end = b > 0 ? b - 1 : 0;
	while (b < e && (v[b] == ' ' || v[b] == '\t'))
		b++;
	return cidr_addr_parse(v + b, e - b, hop);
}

/*
 * The scheme the client used: what a trusted proxy says in
 * X-Forwarded-Proto ("http" or "https", one header; anything else is
 * not believed), else the connection's own (https on a tls listener).
 */
const char *
http_scheme(struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	struct evkeyval		*kv;
	struct cidr		 peer;
	const char		*proto = NULL, *own;
	const struct sockaddr	*sa;
	struct evhttp_connection *evcon;
	int			 n = 0;

	if ((evcon = evhttp_request_get_connection(req)) == NULL)
		return "http";
	own = tls_bev_is_tls(evhttp_connection_get_bufferevent(evcon)) ?
	    "https" : "http";
	if (http_nproxies == 0 ||
	    (sa = evhttp_connection_get_addr(evcon)) == NULL ||
	    cidr_from_sockaddr(sa, &peer) == -1 ||
	    !cidr_match(http_proxies, http_nproxies, &peer))
		return own;
	TAILQ_FOREACH(kv, h, next)
		if (strcasecmp(kv->key, "X-Forwarded-Proto") == 0) {
			proto = kv->value;
			n++;
		}
	if (n == 1 && (strcasecmp(proto, "https") == 0 ||
	    strcasecmp(proto, "http") == 0))
		return strcasecmp(proto, "https") == 0 ? "https" : "http";
	return own;
}

/* The client's address as text (http_client), "" when it has none. */
void
http_client_text(struct evhttp_request *req, char *out, size_t len)
{
	struct cidr	 c;

	out[0] = '\0';
	if (http_client(req, &c) == -1 ||
	    inet_ntop(c.family, c.addr, out, (socklen_t)len) == NULL)
		out[0] = '\0';
}

/*
 * Every answer of the worker's routes leaves through here: evhttp
 * queues it, and the edge sends it at once (edge_send_now).  The
 * bufferevent is taken first: evhttp frees a request whose connection
 * is gone.
 */
void
http_reply(struct evhttp_request *req, int status, const char *reason)
{
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev = NULL;

	if ((evcon = evhttp_request_get_connection(req)) != NULL)
		bev = evhttp_connection_get_bufferevent(evcon);
	evhttp_send_reply(req, status, reason, NULL);
	if (bev != NULL)
		edge_send_now(bev);
}

static void
http_send(struct evhttp_request *req, int status, const char *type,
    const char *body, size_t len)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evbuffer		*buf = evhttp_request_get_output_buffer(req);

	if (type != NULL)
		evhttp_add_header(h, "Content-Type", type);
	if (len > 0)
		evbuffer_add(buf, body, len);
	http_reply(req, status, NULL);
}

/*
 * The Directus error envelope.  The message may quote client input (a
 * path), so it goes through the JSON encoder, never into a header.
 */
void
http_error(struct evhttp_request *req, int status, const char *code,
    const char *message)
{
	char	*text;

	if ((text = http_error_text(code, message)) == NULL) {
		static const char fallback[] = "{\"errors\":[{\"message\":"
		    "\"An unexpected error occurred.\",\"extensions\":"
		    "{\"code\":\"INTERNAL_SERVER_ERROR\"}}]}";

		http_send(req, 500, "application/json; charset=utf-8",
		    fallback, sizeof(fallback) - 1);
	} else
		http_send(req, status, "application/json; charset=utf-8",
		    text, strlen(text));
	free(text);
}

/* A Directus error's JSON text (to free), or NULL when out of memory. */
char *
http_error_text(const char *code, const char *message)
{
	json_t	*body;
	char	*text;

	body = json_pack("{s:[{s:s,s:{s:s}}]}", "errors", "message", message,
	    "extensions", "code", code);
	text = body == NULL ? NULL : json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return text;
}

/*
 * An error's JSON text made elsewhere (the item process's), with the
 * headers of http_error().
 */
void
http_error_buf(struct evhttp_request *req, int status, const char *text,
    size_t len)
{
	http_send(req, status, "application/json; charset=utf-8", text, len);
}

/*
 * Data answers may carry a user's profile or protected items: no cache
 * keeps them, and no Referer carries a URL with a token in it away.
 */
void
http_json(struct evhttp_request *req, int status, const char *text)
{
	http_json_buf(req, status, text, strlen(text));
}

void
http_json_buf(struct evhttp_request *req, int status, const char *text,
    size_t len)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	if (evhttp_find_header(h, "Cache-Control") == NULL)
		evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	http_send(req, status, "application/json; charset=utf-8", text, len);
}

/*
 * 200 with {"data": json}, json being trusted JSON text (keyd's), with
 * the headers of every data answer (http_json_buf()).
 */
void
http_json_data(struct evhttp_request *req, const void *json, size_t len)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evbuffer		*buf = evhttp_request_get_output_buffer(req);

	if (evbuffer_add(buf, "{\"data\":", 8) == -1 ||
	    evbuffer_add(buf, json, len) == -1 ||
	    evbuffer_add(buf, "}", 1) == -1) {
		evbuffer_drain(buf, evbuffer_get_length(buf));
		http_error(req, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
		return;
	}
	if (evhttp_find_header(h, "Cache-Control") == NULL)
		evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Content-Type", "application/json; charset=utf-8");
	http_reply(req, 200, NULL);
}

/* {"data": value} as compact text; takes the reference to value. */
char *
http_data_dumps(json_t *value)
{
	json_t	*wrap;
	char	*text;

	if (value == NULL || (wrap = json_pack("{s:o}", "data", value)) ==
	    NULL)
		return NULL;
	text = json_dumps(wrap, JSON_COMPACT);
	json_decref(wrap);
	return text;
}

/* GET /server/ping: before any token logic, as in Directus. */
void
http_ping(struct server *s, struct evhttp_request *req, const char *rest)
{
	http_send(req, 200, "text/html; charset=utf-8", "pong", 4);
}

/* GET /server/health: asks keyd whether the credential store works. */
void
http_health(struct server *s, struct evhttp_request *req, const char *rest)
{
	(void)server_keyd_request(s, req, MSG_HEALTH, NULL, 0, 0,
	    http_health_done, NULL);
}

static void
http_health_done(struct pending *p, struct frame *f)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	static const char error[] = "{\"status\":\"error\"}";
	struct msg_health_result m;
	int			 healthy = 0;

	if (f != NULL) {
		if (msg_read(f, MSG_HEALTH_RESULT, &m) == 0)
			healthy = (m.flags & (HEALTH_DB_OK |
			    HEALTH_SECRET_OK)) == (HEALTH_DB_OK |
			    HEALTH_SECRET_OK);
		if (!healthy)
			log_warnx("health: keyd reports a problem");
	}
	evhttp_add_header(evhttp_request_get_output_headers(p->req),
	    "Cache-Control", "no-cache");
	if (healthy)
		http_send(p->req, 200, "application/health+json", ok,
		    sizeof(ok) - 1);
	else
		http_send(p->req, 503, "application/health+json", error,
		    sizeof(error) - 1);
}

void
http_not_found(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = NULL;
	char			 clean[HTTP_PATH_LOG_MAX + 1];
	char			 msg[HTTP_PATH_LOG_MAX + 64];
	size_t			 i;

	if (uri != NULL)
		path = evhttp_uri_get_path(uri);
	if (path == NULL || *path == '\0')
		path = "/";
	/* Only printable ASCII is echoed back. */
	for (i = 0; path[i] != '\0' && i < HTTP_PATH_LOG_MAX; i++)
		clean[i] = path[i] > 0x20 && path[i] < 0x7f ? path[i] : '?';
	clean[i] = '\0';
	(void)snprintf(msg, sizeof(msg), "Route %s doesn't exist.", clean);
	http_error(req, 404, "ROUTE_NOT_FOUND", msg);
}
