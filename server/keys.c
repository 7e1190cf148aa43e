/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The public side of the signing keys, in the worker: what keyd tells
 * every worker of its key set (MSG_KEYS: the algorithm, the kids that
 * verify, the public key set) and the routes that publish it.  The key
 * set is served from the worker's copy, never with a keyd round trip,
 * and may be cached for no longer than an access token lives: a key
 * that stops verifying is gone from every cache by the time the tokens
 * it signed have expired.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "log.h"
#include "tokend.h"

#define KEYS_MAX_AGE_CAP	3600	/* seconds, whatever the TTL */
#define KEYS_HOST_MAX		255

static void	 keys_cache_control(struct server *, struct evhttp_request *);
static int	 keys_host_valid(const char *);

/* What the worker checks before keyd is asked (jwt_parse_keys()). */
void
keys_init(struct server *s)
{
	memset(&s->keys, 0, sizeof(s->keys));
	(void)strlcpy(s->keys.alg, s->conf->signing_alg, sizeof(s->keys.alg));
}

/* MSG_KEYS from keyd: its key set replaces ours. */
int
keys_receive(struct server *s, struct frame *f)
{
	struct msg_keys	 m;
	char		*jwks;

	if (msg_read(f, MSG_KEYS, &m) == -1)
		return -1;
	if (strcmp(m.alg, s->conf->signing_alg) != 0) {
		log_warnx("keyd signs with %s, configured is %s", m.alg,
		    s->conf->signing_alg);
		return -1;
	}
	if ((jwks = malloc(m.jwks_len + 1)) == NULL)
		return -1;
	memcpy(jwks, m.jwks, m.jwks_len);
	jwks[m.jwks_len] = '\0';
	free(s->jwks);
	s->jwks = jwks;
	s->jwks_len = m.jwks_len;
	(void)strlcpy(s->keys.alg, m.alg, sizeof(s->keys.alg));
	if (strlcpy(s->keys.kids, m.kids, sizeof(s->keys.kids)) >=
	    sizeof(s->keys.kids))
		return -1;
	s->keys.known = 1;
	log_debug("server %d: signing keys: %s %s", s->slot, m.alg, m.kids);
	return 0;
}

/* Public, for no longer than an access token lives. */
static void
keys_cache_control(struct server *s, struct evhttp_request *req)
{
	char	 v[64];
	int64_t	 age = s->conf->access_ttl / 1000;

	if (age > KEYS_MAX_AGE_CAP)
		age = KEYS_MAX_AGE_CAP;
	(void)snprintf(v, sizeof(v), "public, max-age=%lld", (long long)age);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", v);
}

/* GET /.well-known/jwks.json and /auth/jwks: the public keys. */
void
keys_jwks(struct server *s, struct evhttp_request *req, const char *rest)
{
	if (s->jwks == NULL) {
		http_error(req, 503, "SERVICE_UNAVAILABLE",
		    "The signing keys are not known yet.");
		return;
	}
	keys_cache_control(s, req);
	http_json_buf(req, 200, s->jwks, s->jwks_len);
}

/* A Host we may write into a URL: a name, an IPv4 or [IPv6], a port. */
static int
keys_host_valid(const char *h)
{
	size_t	 len;

	if (h == NULL || (len = strlen(h)) == 0 || len > KEYS_HOST_MAX)
		return 0;
	return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]") == len;
}

/*
 * GET /.well-known/openid-configuration: where the keys are.  issuer is
 * what every token carries in "iss" ("directus", as Directus writes it:
 * a verifier that checks the issuer must see the same value); jwks_uri
 * is under public-url, or else under the scheme and Host the request
 * came with.
 */
void
keys_openid(struct server *s, struct evhttp_request *req, const char *rest)
{
	const char	*base = s->conf->public_url, *host;
	char		 url[CONF_PUBLIC_URL_MAX + KEYS_HOST_MAX + 64];
	json_t		*doc;
	char		*text;
	size_t		 len;
	int		 n;

	if (base[0] != '\0') {
		len = strlen(base);
		while (len > 0 && base[len - 1] == '/')
			len--;
		n = snprintf(url, sizeof(url), "%.*s/.well-known/jwks.json",
		    (int)len, base);
	} else {
		host = evhttp_find_header(evhttp_request_get_input_headers(req),
		    "Host");
		if (!keys_host_valid(host)) {
			http_error(req, 400, "INVALID_QUERY",
			    "Without public-url, the Host header must name "
			    "this server.");
			return;
		}
		n = snprintf(url, sizeof(url), "%s://%s/.well-known/jwks.json",
		    http_scheme(req), host);
	}
	doc = json_pack("{s:s,s:s,s:[s]}", "issuer", "directus",
	    "jwks_uri", url, "id_token_signing_alg_values_supported",
	    s->keys.alg);
	text = n < 0 || (size_t)n >= sizeof(url) || doc == NULL ? NULL :
	    json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (text == NULL) {
		http_error(req, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
		return;
	}
	keys_cache_control(s, req);
	http_json(req, 200, text);
	free(text);
}
