/*
 * The worker's HTTP routes.  Every error is answered with the Directus
 * envelope: {"errors":[{"message":...,"extensions":{"code":...}}]}.
 */
#include <sys/types.h>

#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "log.h"
#include "proto.h"
#include "tokend.h"

#define HTTP_PATH_LOG_MAX	256	/* bytes of a path echoed in errors */

static void	 http_route(struct evhttp_request *, void *);
static void	 http_ping(struct evhttp_request *, void *);
static void	 http_health(struct evhttp_request *, void *);
static void	 http_health_done(struct pending *, struct frame *);
static int	 http_is_get(struct evhttp_request *);
static void	 http_send(struct evhttp_request *, int, const char *,
		    const char *, size_t);

void
http_init(struct server *s)
{
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(s->http, NULL);
	edge_init(s);
	http_apply_limits(s);
	if (evhttp_set_cb(s->http, "/server/ping", http_ping, s) != 0 ||
	    evhttp_set_cb(s->http, "/server/health", http_health, s) != 0)
		fatalx("evhttp_set_cb");
	auth_init(s);
	evhttp_set_gencb(s->http, http_route, s);
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
	evhttp_set_max_headers_size(s->http, CONF_HEADER_HI);
	evhttp_set_max_body_size(s->http, CONF_BODY_HI);
	evhttp_set_timeout(s->http, s->conf->request_timeout);
}

static int
http_is_get(struct evhttp_request *req)
{
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);

	return cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;
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
	evhttp_send_reply(req, status, NULL, NULL);
}

/*
 * The Directus error envelope.  The message may quote client input (a
 * path), so it goes through the JSON encoder, never into a header.
 */
void
http_error(struct evhttp_request *req, int status, const char *code,
    const char *message)
{
	json_t	*body;
	char	*text;

	body = json_pack("{s:[{s:s,s:{s:s}}]}", "errors", "message", message,
	    "extensions", "code", code);
	text = body == NULL ? NULL : json_dumps(body, JSON_COMPACT);
	if (text == NULL) {
		static const char fallback[] = "{\"errors\":[{\"message\":"
		    "\"An unexpected error occurred.\",\"extensions\":"
		    "{\"code\":\"INTERNAL_SERVER_ERROR\"}}]}";

		http_send(req, 500, "application/json; charset=utf-8",
		    fallback, sizeof(fallback) - 1);
	} else
		http_send(req, status, "application/json; charset=utf-8",
		    text, strlen(text));
	free(text);
	json_decref(body);
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
static void
http_ping(struct evhttp_request *req, void *arg)
{
	if (!http_is_get(req)) {
		http_not_found(req, arg);
		return;
	}
	http_send(req, 200, "text/html; charset=utf-8", "pong", 4);
}

/* GET /server/health: asks keyd whether the credential store works. */
static void
http_health(struct evhttp_request *req, void *arg)
{
	struct server	*s = arg;

	if (!http_is_get(req)) {
		http_not_found(req, arg);
		return;
	}
	(void)server_keyd_request(s, req, MSG_HEALTH, NULL, 0, 0,
	    http_health_done, NULL);
}

static void
http_health_done(struct pending *p, struct frame *f)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	static const char error[] = "{\"status\":\"error\"}";
	struct frame_rd	 rd;
	uint32_t	 flags = 0;
	char		 detail[256];
	int		 healthy = 0;

	if (f != NULL) {
		frame_rd_init(&rd, f);
		if (frame_rd_u32(&rd, &flags) == 0 &&
		    frame_rd_str(&rd, detail, sizeof(detail)) == 0 &&
		    frame_rd_end(&rd) == 0)
			healthy = (flags & (HEALTH_DB_OK | HEALTH_SECRET_OK)) ==
			    (HEALTH_DB_OK | HEALTH_SECRET_OK);
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

/*
 * Paths with a variable part (/items/<collection>/<id>, /users/<id>):
 * each module says whether the path is its own, and answers it.
 */
static void
http_route(struct evhttp_request *req, void *arg)
{
	struct server		*s = arg;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = NULL;

	if (uri != NULL)
		path = evhttp_uri_get_path(uri);
	if (path != NULL && (items_route(s, req, path) ||
	    users_route(s, req, path)))
		return;
	http_not_found(req, arg);
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
