/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Forward auth: GET /auth/verify, which a reverse proxy (nginx's
 * auth_request, Traefik's ForwardAuth, Caddy's forward_auth) asks
 * before it passes a request on to an application that knows nothing
 * of tokens.  The proxy forwards the client's headers (Authorization,
 * Cookie, Accept) and names what was asked for: X-Original-URI (nginx)
 * or X-Forwarded-Uri (Traefik, Caddy), X-Forwarded-Host and
 * X-Forwarded-Proto.
 *
 * Answers: 200 with headers naming the user (forward-auth { }), which
 * the proxy copies onto the request it passes on; 401 with
 * WWW-Authenticate: Bearer when nobody is signed in, or, to a browser
 * (Accept: text/html), 302 to the portal with the URL it asked for in
 * rd; 403 when a protect rule asks for more than the user has.  nginx's
 * auth_request takes 2xx, 401 and 403 only (a 302 would be its 500):
 * when it asks (X-Original-URI), a browser gets the 401 with the
 * portal's URL in Location, which nginx's error_page 401 sends on.
 *
 * Who it is comes from keyd's answer for the credential, MSG_USER_GET,
 * which the worker's cache (cache.c) answers for a token keyd has seen
 * and not revoked since: a suspended user's tokens are dropped from
 * every worker's cache at once.  The cache keeps the user's names as
 * this sends them (struct cache_names, made when keyd's answer is
 * kept), so that a cached request parses no JSON and allocates nothing
 * of its own: it is answered from the entry at once.
 *
 * Nothing here is believed for who is asking: the forwarded headers
 * only choose the protect rule and the rd of the answer, which goes to
 * whoever sent them.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "proto.h"
#include "tokend.h"

#define VERIFY_URI_MAX		2048	/* bytes of a forwarded URI */
#define VERIFY_HOST_MAX		256	/* bytes of a forwarded host */
#define VERIFY_LOCATION_MAX	(CONF_PUBLIC_URL_MAX + 4 * VERIFY_URI_MAX)

/* What the answer needs of the request, once keyd has answered. */
struct verify_ctx {
	struct server	*s;
	int		 browser;	/* Accept: text/html */
	int		 nginx;		/* X-Original-URI: auth_request */
	char		 proto[8];	/* of the URL asked for */
	char		 host[VERIFY_HOST_MAX];
	char		 uri[VERIFY_URI_MAX];
};

static const char *verify_header(struct evhttp_request *, const char *,
		    size_t);
static int	 verify_browser(struct evhttp_request *);
static void	 verify_done(struct pending *, struct frame *);
static void	 verify_answer(struct verify_ctx *, struct evhttp_request *,
		    const struct auth_result *, const struct cache_names *);
static void	 verify_refuse(struct verify_ctx *, struct evhttp_request *,
		    uint32_t);
static const char *verify_role(const struct tokend_config *,
		    const struct auth_result *);
static const struct conf_protect *verify_rule(const struct tokend_config *,
		    const char *, const char *);
static int	 verify_allowed(const struct conf_protect *,
		    const struct auth_result *, const char *);
static void	 verify_user_headers(struct verify_ctx *,
		    struct evhttp_request *, const struct auth_result *,
		    const struct cache_names *, const char *);
static void	 verify_set(struct evkeyvalq *, const char *, const char *);
static int	 verify_portal(struct verify_ctx *, struct evhttp_request *,
		    char *, size_t);

/*
 * The one header of that name, printable ASCII and at most max bytes,
 * or NULL.
 */
static const char *
verify_header(struct evhttp_request *req, const char *name, size_t max)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	struct evkeyval		*kv;
	const char		*v = NULL, *p;
	size_t			 n = 0;

	TAILQ_FOREACH(kv, h, next)
		if (strcasecmp(kv->key, name) == 0) {
			v = kv->value;
			n++;
		}
	if (n != 1 || strnlen(v, max + 1) > max)
		return NULL;
	for (p = v; *p != '\0'; p++)
		if (*p <= 0x20 || *p > 0x7e)
			return NULL;
	return v;
}

/* Does the client take HTML (a browser following a link)? */
static int
verify_browser(struct evhttp_request *req)
{
	const char	*accept;

	accept = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Accept");
	return accept != NULL && strstr(accept, "text/html") != NULL;
}

/* GET /auth/verify */
void
verify_serve(struct server *s, struct evhttp_request *req, const char *rest)
{
	struct verify_ctx	 ctx, *c = &ctx;
	const struct cache_entry *e;
	const char		*uri, *host, *proto, *query = NULL;
	char			*q;
	uint32_t		 code;

	c->s = s;
	c->nginx = 0;
	c->browser = verify_browser(req);
	if ((uri = verify_header(req, "X-Original-URI", VERIFY_URI_MAX - 1)) !=
	    NULL)
		c->nginx = 1;
	else if ((uri = verify_header(req, "X-Forwarded-Uri",
	    VERIFY_URI_MAX - 1)) == NULL)
		uri = "/";
	if (uri[0] != '/')
		uri = "/";
	(void)strlcpy(c->uri, uri, sizeof(c->uri));
	if ((host = verify_header(req, "X-Forwarded-Host",
	    VERIFY_HOST_MAX - 1)) == NULL &&
	    (host = verify_header(req, "Host", VERIFY_HOST_MAX - 1)) == NULL)
		host = "";
	(void)strlcpy(c->host, host, sizeof(c->host));
	proto = verify_header(req, "X-Forwarded-Proto", 5);
	if (proto == NULL || (strcasecmp(proto, "http") != 0 &&
	    strcasecmp(proto, "https") != 0))
		proto = http_scheme(req);
	(void)strlcpy(c->proto, strcasecmp(proto, "https") == 0 ? "https" :
	    "http", sizeof(c->proto));

	/*
	 * Without a credential of its own, the request may carry one in
	 * the access_token parameter of the URI asked for.
	 */
	if ((q = strchr(c->uri, '?')) != NULL)
		query = q + 1;
	if ((code = auth_token_check(s, req, &query, &e)) != AUTH_OK) {
		if (code == AUTH_INTERNAL)
			auth_error(req, code);
		else
			verify_refuse(c, req, code);
		return;
	}
	/* Known to the worker's cache with its names: answered at once. */
	if (e != NULL) {
		verify_answer(c, req, &e->who, e->names);
		return;
	}
	/* keyd's answer, or the cache's for a user without names. */
	if ((c = malloc(sizeof(*c))) == NULL) {
		auth_error(req, AUTH_INTERNAL);
		return;
	}
	*c = ctx;
	if (q != NULL && query == q + 1)	/* the forwarded URI's, copied */
		query = c->uri + (query - ctx.uri);
	/* Until the user is known: the 401s of auth_authenticate too. */
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "WWW-Authenticate", "Bearer");
	if (auth_authenticate_query(s, req, query, MSG_USER_GET, NULL, 0, 0,
	    verify_done, c) == -1)
		free(c);
}

/*
 * Nobody signed in: a browser goes to the portal (302, or for nginx a
 * 401 with Location), anything else gets 401 with the Directus error
 * (WWW-Authenticate: Bearer).
 */
static void
verify_refuse(struct verify_ctx *c, struct evhttp_request *req,
    uint32_t code)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	char			 location[VERIFY_LOCATION_MAX];

	evhttp_remove_header(h, "WWW-Authenticate");
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (c->browser && verify_portal(c, req, location,
	    sizeof(location)) == 0) {
		evhttp_add_header(h, "Location", location);
		if (!c->nginx) {
			http_reply(req, 302, "Found");
			return;
		}
	}
	evhttp_add_header(h, "WWW-Authenticate", "Bearer");
	/* Whatever keyd's reason, 401: the proxy asks for a sign-in. */
	if (code == AUTH_TOKEN_EXPIRED)
		http_error(req, 401, "TOKEN_EXPIRED", "Token expired.");
	else
		http_error(req, 401, "INVALID_CREDENTIALS",
		    "Invalid user credentials.");
}

static void
verify_done(struct pending *p, struct frame *f)
{
	struct verify_ctx		*c = p->arg;
	struct evhttp_request		*req = p->req;
	struct evkeyvalq		*h = evhttp_request_get_output_headers(req);
	struct auth_result		 ar;
	struct cache_names		 names;
	const uint8_t			*json;
	size_t				 len;
	uint32_t			 code = AUTH_UNAVAILABLE;

	if (f != NULL)
		code = auth_user_read(f, &ar, &json, &len) == -1 ?
		    AUTH_INTERNAL : ar.code;
	if (code == AUTH_OK && cache_names_make(json, len, &names) == -1)
		code = AUTH_INTERNAL;
	if (code == AUTH_UNAVAILABLE || code == AUTH_INTERNAL) {
		evhttp_remove_header(h, "WWW-Authenticate");
		auth_error(req, code);
		goto done;
	}
	if (code != AUTH_OK) {
		verify_refuse(c, req, code);
		goto done;
	}
	evhttp_remove_header(h, "WWW-Authenticate");
	verify_answer(c, req, &ar, &names);
 done:
	explicit_bzero(&ar, sizeof(ar));
	free(c);
}

/*
 * A signed-in user: 403 when the protect rule of the URL asked for
 * asks for more, else 200 with the headers that name the user.
 */
static void
verify_answer(struct verify_ctx *c, struct evhttp_request *req,
    const struct auth_result *ar, const struct cache_names *names)
{
	const struct conf_protect	*rule;
	const char			*role;

	role = verify_role(c->s->conf, ar);
	rule = verify_rule(c->s->conf, c->host, c->uri);
	if (!verify_allowed(rule, ar, role)) {
		http_error(req, 403, "FORBIDDEN",
		    "You don't have permission to access this.");
		return;
	}
	verify_user_headers(c, req, ar, names, role);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	http_reply(req, 200, "OK");
}

/* The name of the user's role ("admin", the built-in one's), or "". */
static const char *
verify_role(const struct tokend_config *conf, const struct auth_result *ar)
{
	const struct conf_role	*r;

	if (strcmp(ar->role, CONF_ADMIN_ROLE_ID) == 0)
		return CONF_ADMIN_ROLE_NAME;
	if ((r = config_role_by_id(conf, ar->role)) != NULL)
		return r->name;
	return "";
}

/*
 * The first protect rule for host (its port left out, any case) whose
 * prefix starts the path of uri, or NULL.
 */
static const struct conf_protect *
verify_rule(const struct tokend_config *conf, const char *host,
    const char *uri)
{
	const struct conf_protect	*p;
	size_t				 i, hlen, plen;

	hlen = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":");
	plen = strcspn(uri, "?#");
	for (i = 0; i < conf->nprotect; i++) {
		p = &conf->protect[i];
		if (strcmp(p->host, "*") != 0 && (strlen(p->host) != hlen ||
		    strncasecmp(p->host, host, hlen) != 0))
			continue;
		if (strlen(p->path) <= plen &&
		    strncmp(p->path, uri, strlen(p->path)) == 0)
			return p;
	}
	return NULL;
}

/*
 * May the user pass the rule?  No rule: any signed-in user.  admin-access:
 * a user with admin access.  role: a user of that role, or with admin
 * access.
 */
static int
verify_allowed(const struct conf_protect *rule, const struct auth_result *ar,
    const char *role)
{
	if (rule == NULL || ar->admin)
		return 1;
	if (rule->admin)
		return 0;
	return rule->role[0] == '\0' || strcmp(rule->role, role) == 0;
}

/*
 * The headers that name the user: its email (the name it signs in
 * with) as the user and the email, first and last name, and its role's
 * name as the groups.  The proxy passes them on; what a client sent
 * under the same names is the proxy's to drop.  names are cut and
 * cleaned already (cache_names_make).
 */
static void
verify_user_headers(struct verify_ctx *c, struct evhttp_request *req,
    const struct auth_result *ar, const struct cache_names *names,
    const char *role)
{
	const struct tokend_config	*conf = c->s->conf;
	struct evkeyvalq		*h = evhttp_request_get_output_headers(req);

	if (names->has_email)
		evhttp_add_header(h, conf->fa_user_header, names->email);
	else
		verify_set(h, conf->fa_user_header, ar->user);
	evhttp_add_header(h, conf->fa_email_header, names->email);
	evhttp_add_header(h, conf->fa_name_header, names->name);
	verify_set(h, conf->fa_groups_header, role);
}

/*
 * One header, its value cut to CACHE_NAME_MAX - 1 bytes and without a
 * control character (cache_clean).
 */
static void
verify_set(struct evkeyvalq *h, const char *name, const char *value)
{
	char	 clean[CACHE_NAME_MAX];

	cache_clean(clean, sizeof(clean), value);
	evhttp_add_header(h, name, clean);
}

/*
 * The portal's URL (forward-auth portal-url, else public-url's
 * portal/, else this server's as the request names it) with
 * ?rd=<the URL asked for, percent-encoded>.  -1 when it does not fit.
 */
static int
verify_portal(struct verify_ctx *c, struct evhttp_request *req, char *out,
    size_t len)
{
	const struct tokend_config	*conf = c->s->conf;
	const char			*own;
	char				 asked[VERIFY_HOST_MAX + VERIFY_URI_MAX + 16];
	char				*rd;
	size_t				 base;
	int				 n;

	if (conf->fa_portal_url[0] != '\0')
		n = snprintf(out, len, "%s", conf->fa_portal_url);
	else if (conf->public_url[0] != '\0')
		n = snprintf(out, len, "%s%s%s", conf->public_url,
		    conf->public_url[strlen(conf->public_url) - 1] == '/' ?
		    "" : "/", CONF_FA_PORTAL_PATH);
	else {
		own = verify_header(req, "Host", VERIFY_HOST_MAX - 1);
		if (own == NULL)
			return -1;
		n = snprintf(out, len, "%s://%s/%s", http_scheme(req), own,
		    CONF_FA_PORTAL_PATH);
	}
	if (n < 0 || (size_t)n >= len)
		return -1;
	if (c->host[0] == '\0')
		return 0;
	(void)snprintf(asked, sizeof(asked), "%s://%s%s", c->proto, c->host,
	    c->uri);
	if ((rd = evhttp_encode_uri(asked)) == NULL)
		return -1;
	base = (size_t)n;
	n = snprintf(out + base, len - base, "%srd=%s",
	    strchr(out, '?') != NULL ? "&" : "?", rd);
	free(rd);
	return n < 0 || (size_t)n >= len - base ? -1 : 0;
}
