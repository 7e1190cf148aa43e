/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * GET /server/metrics, in the Prometheus text format (0.0.4), and the
 * worker's counting into its slot of the parent's metrics area
 * (shared/metrics.h).  The worker that answers a scrape adds up every
 * worker's slot, so that any of them gives the whole picture.
 *
 * Off unless metrics-allow or metrics-role is set: then only a client
 * whose address is on metrics-allow (trusted-proxy's client), or a
 * token of the role metrics-role, reads it; others get 403, as for a
 * route they may not use.  No label carries a value of a request: a
 * route is its row of the route table, a method one of eight, a status
 * its class.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cidr.h"
#include "jwt.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"
#include "tokend.h"

static const char *const metrics_method_names[METRICS_METHODS] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other",
};

static struct {
	struct metrics_area	*area;
	struct cidr		 allow[CIDR_LIST_MAX];
	size_t			 nallow;
} metrics;

static void	 metrics_auth_done(struct pending *, struct frame *);
static void	 metrics_answer(struct evhttp_request *);
static void	 metrics_histogram(struct evbuffer *, const char *,
		    const char *, const struct metrics_histogram *);

/*
 * The parent's area (PROTO_FD_METRICS), mapped before the sandbox;
 * without it (a worker started by hand) nothing is counted.
 */
void
metrics_init(struct server *s)
{
	if ((metrics.area = metrics_attach(PROTO_FD_METRICS)) != NULL) {
		if (s->slot >= 0 && (uint32_t)s->slot < metrics.area->nworkers)
			metrics_slot = &metrics.area->worker[s->slot];
		(void)close(PROTO_FD_METRICS);
	}
	metrics_apply(s);
}

/* metrics-allow, again at each reload. */
void
metrics_apply(struct server *s)
{
	if (cidr_list_parse(s->conf->metrics_allow, metrics.allow,
	    CIDR_LIST_MAX, &metrics.nallow) != NULL)
		metrics.nallow = 0;
}

/* Is anything counted?  Only while somebody may read it. */
int
metrics_on(const struct tokend_config *conf)
{
	return metrics_slot != NULL && (conf->metrics_allow[0] != '\0' ||
	    conf->metrics_role[0] != '\0');
}

static int
metrics_method(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:	return 0;
	case EVHTTP_REQ_HEAD:	return 1;
	case EVHTTP_REQ_POST:	return 2;
	case EVHTTP_REQ_PUT:	return 3;
	case EVHTTP_REQ_PATCH:	return 4;
	case EVHTTP_REQ_DELETE:	return 5;
	case EVHTTP_REQ_OPTIONS: return 6;
	default:		return 7;
	}
}

/* A request answered: route row (or METRICS_ROUTES - 1), status, time. */
void
metrics_request(size_t route, int cmd, int status, int64_t us)
{
	int	 class = status / 100 - 1;

	if (metrics_slot == NULL)
		return;
	if (route >= METRICS_ROUTES)
		route = METRICS_ROUTES - 1;
	if (class < 0 || class >= METRICS_CLASSES)
		class = METRICS_CLASSES - 1;
	metrics_slot->requests[route][metrics_method(
	    (enum evhttp_cmd_type)cmd)][class]++;
	metrics_observe(&metrics_slot->latency, us);
}

/*
 * GET /server/metrics: a client on metrics-allow at once; else a token
 * of metrics-role, which keyd names (MSG_AUTH).
 */
void
metrics_serve(struct server *s, struct evhttp_request *req, const char *rest)
{
	struct token_ref	*tok;
	struct msg_auth		 m;
	struct frame_buf	 fb;
	struct jwt		 jwt;
	struct cidr		 client;
	int			 rv;

	if (s->conf->metrics_allow[0] == '\0' &&
	    s->conf->metrics_role[0] == '\0') {
		http_not_found(req, s);
		return;
	}
	if (metrics.nallow > 0 && http_client(req, &client) == 0 &&
	    cidr_match(metrics.allow, metrics.nallow, &client)) {
		metrics_answer(req);
		return;
	}
	if (s->conf->metrics_role[0] == '\0' ||
	    (rv = auth_token(s, req, &tok, &jwt)) == 0) {
		auth_error(req, AUTH_FORBIDDEN);
		return;
	}
	if (rv == -1)
		return;
	auth_credential_set(&m.cred, tok, &jwt);
	(void)msg_write(&fb, MSG_AUTH, &m);
	auth_token_free(tok);
	(void)server_keyd_request(s, req, MSG_AUTH, fb.data, fb.len, 0,
	    metrics_auth_done, NULL);
	frame_buf_free(&fb);
}

static void
metrics_auth_done(struct pending *p, struct frame *f)
{
	const struct tokend_config	*conf = server_conf();
	const struct conf_role		*role;
	struct auth_result		 ar;

	if (f == NULL)
		ar.code = AUTH_UNAVAILABLE;
	else
		(void)auth_result_read(f, &ar);
	if (ar.code != AUTH_OK) {
		auth_error(p->req, ar.code);
		return;
	}
	if ((role = config_role_by_name(conf, conf->metrics_role)) == NULL ||
	    strcmp(role->id, ar.role) != 0) {
		auth_error(p->req, AUTH_FORBIDDEN);
		return;
	}
	metrics_answer(p->req);
}

/* Every worker's slot added up, and keyd's and the parent's counts. */
static void
metrics_answer(struct evhttp_request *req)
{
	struct metrics_area	*a = metrics.area;
	struct metrics_worker	*sum;
	struct evbuffer		*out = evhttp_request_get_output_buffer(req);
	const struct route	*r;
	uint32_t		 w;
	size_t			 i, k, c, j;
	uint64_t		 n;

	if (a == NULL || (sum = calloc(1, sizeof(*sum))) == NULL) {
		auth_error(req, AUTH_UNAVAILABLE);
		return;
	}
	for (w = 0; w < a->nworkers; w++) {
		const struct metrics_worker *x = &a->worker[w];

		for (i = 0; i < METRICS_ROUTES; i++)
			for (k = 0; k < METRICS_METHODS; k++)
				for (c = 0; c < METRICS_CLASSES; c++)
					sum->requests[i][k][c] +=
					    x->requests[i][k][c];
		for (j = 0; j <= METRICS_BUCKETS; j++) {
			sum->latency.bucket[j] += x->latency.bucket[j];
			sum->keyd.bucket[j] += x->keyd.bucket[j];
		}
		sum->latency.count += x->latency.count;
		sum->latency.sum_us += x->latency.sum_us;
		sum->keyd.count += x->keyd.count;
		sum->keyd.sum_us += x->keyd.sum_us;
		sum->logins_ok += x->logins_ok;
		sum->logins_failed += x->logins_failed;
		sum->refreshes_ok += x->refreshes_ok;
		sum->refreshes_failed += x->refreshes_failed;
		sum->cache_hits += x->cache_hits;
		sum->cache_misses += x->cache_misses;
		sum->connections += x->connections;
	}
	evbuffer_add_printf(out, "# HELP tokend_requests_total Requests "
	    "answered, by route (a row of the route table), method and "
	    "status class.\n# TYPE tokend_requests_total counter\n");
	for (i = 0; i < METRICS_ROUTES; i++)
		for (k = 0; k < METRICS_METHODS; k++)
			for (c = 0; c < METRICS_CLASSES; c++) {
				if ((n = sum->requests[i][k][c]) == 0)
					continue;
				r = route_get(i);
				evbuffer_add_printf(out, "tokend_requests_total"
				    "{route=\"%s\",method=\"%s\",status=\""
				    "%zuxx\"} %llu\n", r != NULL ? r->path :
				    "none", metrics_method_names[k], c + 1,
				    (unsigned long long)n);
			}
	metrics_histogram(out, "tokend_request_duration_seconds",
	    "Time from a request to its answer.", &sum->latency);
	metrics_histogram(out, "tokend_keyd_duration_seconds",
	    "Time of a round trip to keyd.", &sum->keyd);
	evbuffer_add_printf(out,
	    "# HELP tokend_logins_total Logins, by outcome.\n"
	    "# TYPE tokend_logins_total counter\n"
	    "tokend_logins_total{result=\"ok\"} %llu\n"
	    "tokend_logins_total{result=\"failed\"} %llu\n"
	    "# HELP tokend_refreshes_total Refreshes, by outcome.\n"
	    "# TYPE tokend_refreshes_total counter\n"
	    "tokend_refreshes_total{result=\"ok\"} %llu\n"
	    "tokend_refreshes_total{result=\"failed\"} %llu\n"
	    "# HELP tokend_cache_lookups_total Credentials found in a "
	    "worker's cache, or not.\n"
	    "# TYPE tokend_cache_lookups_total counter\n"
	    "tokend_cache_lookups_total{result=\"hit\"} %llu\n"
	    "tokend_cache_lookups_total{result=\"miss\"} %llu\n"
	    "# HELP tokend_connections Client connections open now.\n"
	    "# TYPE tokend_connections gauge\n"
	    "tokend_connections %lld\n"
	    "# HELP tokend_hash_queue Password hashes waiting or running in "
	    "keyd.\n"
	    "# TYPE tokend_hash_queue gauge\n"
	    "tokend_hash_queue %lld\n"
	    "# HELP tokend_keyd_restarts_total Times the parent started keyd "
	    "again.\n"
	    "# TYPE tokend_keyd_restarts_total counter\n"
	    "tokend_keyd_restarts_total %llu\n"
	    "# HELP tokend_workers Workers.\n"
	    "# TYPE tokend_workers gauge\n"
	    "tokend_workers %u\n",
	    (unsigned long long)sum->logins_ok,
	    (unsigned long long)sum->logins_failed,
	    (unsigned long long)sum->refreshes_ok,
	    (unsigned long long)sum->refreshes_failed,
	    (unsigned long long)sum->cache_hits,
	    (unsigned long long)sum->cache_misses,
	    (long long)(sum->connections > 0 ? sum->connections : 0),
	    (long long)a->hash_queue, (unsigned long long)a->keyd_restarts,
	    a->nworkers);
	free(sum);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	http_reply(req, 200, "OK");
}

/* A histogram: cumulative buckets in seconds, their sum and count. */
static void
metrics_histogram(struct evbuffer *out, const char *name, const char *help,
    const struct metrics_histogram *h)
{
	static const int64_t	 bounds[METRICS_BUCKETS] = METRICS_BOUNDS_US;
	uint64_t		 cum = 0;
	size_t			 i;

	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name,
	    help, name);
	for (i = 0; i < METRICS_BUCKETS; i++) {
		cum += h->bucket[i];
		evbuffer_add_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name,
		    (double)bounds[i] / 1e6, (unsigned long long)cum);
	}
	cum += h->bucket[METRICS_BUCKETS];
	evbuffer_add_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n"
	    "%s_sum %.6f\n%s_count %llu\n", name, (unsigned long long)cum,
	    name, (double)h->sum_us / 1e6, name,
	    (unsigned long long)h->count);
}
