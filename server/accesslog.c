/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The access log (access-log): one line per request evhttp parsed,
 * in the combined log format or as JSON (access-log-format).  The worker
 * writes the lines into a buffer and sends it to the parent
 * (MSG_ACCESS) when it fills, or a second after its first line; the
 * parent writes them to the file it opened, or to syslog (tokend.c).
 * The worker holds no file and no socket for it.
 *
 * Nothing secret reaches a line: the values of the query parameters
 * that carry tokens (access_token, token, refresh_token) are written
 * REDACTED, in the request line and in the Referer; no header but
 * Referer and User-Agent is read, and no body.  The client is
 * http_client()'s (trusted-proxy).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "cidr.h"
#include "log.h"
#include "proto.h"
#include "token.h"
#include "tokend.h"

#define ACCESS_FLUSH_MS		1000	/* a line waits at most this */
#define ACCESS_FIELD_MAX	1024	/* bytes of a URI or header kept */

/* The query parameters whose values never reach the log. */
static const char *const access_secret_params[] = {
	"access_token", "token", "refresh_token",
};

static struct {
	struct server	*s;
	struct event	*timer;
	char		 buf[ACCESS_BATCH_MAX];
	size_t		 len;
} access;

static void	 access_timer(evutil_socket_t, short, void *);
static int	 access_secret(const char *, size_t);
static void	 access_line(const char *, size_t);
static const char *access_method(struct evhttp_request *);
static void	 access_quote(const char *, char *, size_t);

void
accesslog_init(struct server *s)
{
	access.s = s;
	if ((access.timer = evtimer_new(s->base, access_timer, NULL)) == NULL)
		fatalx("access log timer");
}

/*
 * Is the query parameter name (len bytes, as the client wrote it, maybe
 * percent-encoded) one of the secret ones?
 */
static int
access_secret(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(access_secret_params) /
	    sizeof(access_secret_params[0]); i++)
		if (token_name_is(name, len, access_secret_params[i]))
			return 1;
	return 0;
}

/*
 * A URI (or a Referer) with the values of the secret parameters
 * replaced by REDACTED, cut at ACCESS_FIELD_MAX bytes.
 */
void
accesslog_redact(const char *uri, char *out, size_t len)
{
	const char	*q = strchr(uri, '?'), *p, *eq, *end;
	size_t		 o;

	out[0] = '\0';
	if (q == NULL) {
		(void)strlcpy(out, uri, len);
		return;
	}
	o = (size_t)(q - uri) + 1;
	if (o >= len) {
		(void)strlcpy(out, uri, len);
		return;
	}
	memcpy(out, uri, o);
	out[o] = '\0';
	for (p = q + 1; *p != '\0' && o < len - 1; p = *end != '\0' ?
	    end + 1 : end) {
		end = p + strcspn(p, "&#");
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL && access_secret(p, (size_t)(eq - p)))
			(void)snprintf(out + o, len - o, "%.*s=REDACTED%s",
			    (int)(eq - p), p, *end == '&' ? "&" : "");
		else
			(void)snprintf(out + o, len - o, "%.*s%s",
			    (int)(end - p), p, *end == '&' ? "&" : "");
		o = strlen(out);
		if (*end == '#')
			break;
	}
}

/*
 * A value for a quoted field of the combined format: a double quote, a
 * backslash and every byte that is not printable ASCII written \xHH,
 * as nginx writes them.
 */
static void
access_quote(const char *src, char *dst, size_t len)
{
	size_t	 o = 0;

	for (; *src != '\0' && o + 5 < len; src++) {
		if (*src == '"' || *src == '\\' || *src < 0x20 || *src >= 0x7f)
			o += (size_t)snprintf(dst + o, len - o, "\\x%02X",
			    (unsigned char)*src);
		else
			dst[o++] = *src;
	}
	dst[o] = '\0';
}

/* The method as the client sent it: SEARCH came as GET (http.c). */
static const char *
access_method(struct evhttp_request *req)
{
	if (http_is_search(req))
		return "SEARCH";
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:	return "GET";
	case EVHTTP_REQ_HEAD:	return "HEAD";
	case EVHTTP_REQ_POST:	return "POST";
	case EVHTTP_REQ_PUT:	return "PUT";
	case EVHTTP_REQ_PATCH:	return "PATCH";
	case EVHTTP_REQ_DELETE:	return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	default:		return "OTHER";
	}
}

/* The answer is out (http.c): its line; us is how long it took. */
void
accesslog_request(struct evhttp_request *req, int64_t us)
{
	const struct tokend_config	*conf = access.s->conf;
	struct evkeyvalq		*in = evhttp_request_get_input_headers(req);
	struct evkeyvalq		*out = evhttp_request_get_output_headers(req);
	const char			*ref, *agent, *clen;
	char				 client[INET6_ADDRSTRLEN], when[64];
	char				 uri[ACCESS_FIELD_MAX], referer[ACCESS_FIELD_MAX];
	char				 quri[ACCESS_FIELD_MAX];
	char				 qref[ACCESS_FIELD_MAX];
	char				 qagent[ACCESS_FIELD_MAX];
	char				 line[4 * ACCESS_FIELD_MAX];
	char				*js;
	json_t				*o;
	struct tm			 tm;
	time_t				 t = time(NULL);
	int64_t				 ms;
	int				 n, status;

	if (conf->access_log[0] == '\0')
		return;
	ms = us / 1000;
	http_client_text(req, client, sizeof(client));
	accesslog_redact(evhttp_request_get_uri(req) + (http_is_search(req) ?
	    HTTP_SEARCH_MARK_LEN : 0), uri, sizeof(uri));
	ref = evhttp_find_header(in, "Referer");
	agent = evhttp_find_header(in, "User-Agent");
	clen = evhttp_find_header(out, "Content-Length");
	referer[0] = '\0';
	if (ref != NULL)
		accesslog_redact(ref, referer, sizeof(referer));
	status = evhttp_request_get_response_code(req);
	if (strcmp(conf->access_log_format, "json") == 0) {
		(void)gmtime_r(&t, &tm);
		(void)strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:s?,s:s?,s:I}",
		    "time", when, "client", client[0] != '\0' ? client : "-",
		    "scheme", http_scheme(req),
		    "method", access_method(req),
		    "uri", uri, "status", status, "bytes", (json_int_t)(clen !=
		    NULL ? strtoll(clen, NULL, 10) : 0), "referer",
		    ref != NULL ? referer : NULL, "user_agent", agent,
		    "duration_ms", (json_int_t)ms);
		/* A header that is not UTF-8 is dropped by jansson: "-". */
		if (o == NULL)
			o = json_pack("{s:s,s:s,s:i}", "time", when, "uri", "-",
			    "status", status);
		js = o != NULL ? json_dumps(o, JSON_COMPACT |
		    JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) : NULL;
		json_decref(o);
		if (js == NULL)
			return;
		access_line(js, strlen(js));
		free(js);
		return;
	}
	(void)localtime_r(&t, &tm);
	(void)strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S %z", &tm);
	access_quote(uri, quri, sizeof(quri));
	access_quote(ref != NULL ? referer : "-", qref, sizeof(qref));
	access_quote(agent != NULL ? agent : "-", qagent, sizeof(qagent));
	n = snprintf(line, sizeof(line), "%s - - [%s] \"%s %s HTTP/%d.%d\" "
	    "%d %s \"%s\" \"%s\"", client[0] != '\0' ? client : "-", when,
	    access_method(req), quri,
	    (int)req->major, (int)req->minor,
	    status, clen != NULL ? clen : "-", qref, qagent);
	if (n > 0)
		access_line(line, (size_t)n < sizeof(line) ? (size_t)n :
		    sizeof(line) - 1);
}

/* A line into the batch; the batch to the parent when it is full. */
static void
access_line(const char *line, size_t len)
{
	struct timeval	 tv = { ACCESS_FLUSH_MS / 1000, 0 };

	if (len + 1 > sizeof(access.buf))
		len = sizeof(access.buf) - 1;
	if (access.len + len + 1 > sizeof(access.buf))
		accesslog_flush();
	memcpy(access.buf + access.len, line, len);
	access.len += len;
	access.buf[access.len++] = '\n';
	if (!evtimer_pending(access.timer, NULL))
		evtimer_add(access.timer, &tv);
}

static void
access_timer(evutil_socket_t fd, short ev, void *arg)
{
	accesslog_flush();
}

/* The lines so far to the parent (also before the worker exits). */
void
accesslog_flush(void)
{
	struct msg_access	 m;

	if (access.len == 0 || access.s == NULL || access.s->parent == NULL)
		return;
	m.lines = (const uint8_t *)access.buf;
	m.lines_len = access.len;
	if (msg_send(access.s->parent, MSG_ACCESS, 0, -1, &m) == -1)
		log_warnx("access log: %zu bytes of lines lost", access.len);
	access.len = 0;
	if (access.timer != NULL)
		evtimer_del(access.timer);
}
