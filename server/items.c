/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * /items/<collection>[/<id>], the worker's side: it learns from keyd who
 * the request's credential is, with the ticket that says so (ticket.h),
 * and hands the request, ticket and all, to its item process, which
 * alone opens the item store and applies the permissions.  A request
 * without a credential goes without a ticket: the public role.  The
 * worker sends the answer as it comes.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "log.h"
#include "proto.h"
#include "tokend.h"

struct items_fwd {
	struct server		*s;
	struct evhttp_request	*req;
	char			 rest[ITEMS_PATH_MAX];
};

static void	 items_auth_done(struct pending *, struct frame *);
static void	 items_forward(struct items_fwd *, const struct auth_result *);
static void	 items_answered(struct pending *, struct frame *);
#ifdef TOKEND_SELFTEST
static void	 items_selftest_tamper(struct evhttp_request *,
		    struct msg_ticket *, uint8_t *);
#endif

/*
 * The route's handler: rest is "<collection>[/<id>]".  The request is
 * answered when the item process has, after keyd when it has a token.
 */
void
items_serve(struct server *s, struct evhttp_request *req, const char *rest)
{
	struct items_fwd	*fw;

	if (strlen(rest) >= ITEMS_PATH_MAX) {
		http_not_found(req, s);
		return;
	}
	if ((fw = calloc(1, sizeof(*fw))) == NULL) {
		http_error(req, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
		return;
	}
	fw->s = s;
	fw->req = req;
	(void)strlcpy(fw->rest, rest, sizeof(fw->rest));
	if (!auth_has_credential(s, req)) {
		items_forward(fw, NULL);
		free(fw);
		return;
	}
	if (auth_authenticate(s, req, MSG_AUTH, NULL, 0, 0, items_auth_done,
	    fw) == -1)
		free(fw);
}

static void
items_auth_done(struct pending *p, struct frame *f)
{
	struct items_fwd	*fw = p->arg;
	struct auth_result	 ar;

	if (f == NULL)
		auth_error(fw->req, AUTH_UNAVAILABLE);
	else if (auth_result_read(f, &ar) == -1 || ar.code != AUTH_OK)
		auth_error(fw->req, ar.code);
	else
		items_forward(fw, &ar);
	explicit_bzero(&ar, sizeof(ar));
	free(fw);
}

/* MSG_ITEMS to the item process; who NULL: the public role. */
static void
items_forward(struct items_fwd *fw, const struct auth_result *who)
{
	struct evhttp_request	*req = fw->req;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	struct evbuffer		*body = evhttp_request_get_input_buffer(req);
	const char		*query;
	struct msg_items	 m;
	struct frame_buf	 fb;
#ifdef TOKEND_SELFTEST
	uint8_t			 mac[TICKET_MAC_LEN];
#endif

	/*
	 * Field by field: the reader's buffers (64 KB for the query) are
	 * not the writer's, and zeroing them costs every request.
	 */
	if (who != NULL)
		auth_ticket_set(&m.ticket, who);
	else
		memset(&m.ticket, 0, sizeof(m.ticket));
	if (who == NULL) {
		m.ticket.user = "";
		m.ticket.role = "";
	}
#ifdef TOKEND_SELFTEST
	items_selftest_tamper(req, &m.ticket, mac);
#endif
	switch (http_method(req)) {
	case ROUTE_SEARCH:
		m.method = ITEMS_SEARCH;
		break;
	case EVHTTP_REQ_GET:
		m.method = ITEMS_GET;
		break;
	case EVHTTP_REQ_POST:
		m.method = ITEMS_POST;
		break;
	case EVHTTP_REQ_PATCH:
		m.method = ITEMS_PATCH;
		break;
	default:
		m.method = ITEMS_DELETE;
		break;
	}
	m.path = fw->rest;
	query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	m.has_query = query != NULL;
	m.query = query != NULL ? query : "";
	m.body_len = evbuffer_get_length(body);
	m.body = m.body_len != 0 ? evbuffer_pullup(body, -1) : NULL;
	if (msg_write(&fb, MSG_ITEMS, &m) == -1)
		http_error(req, 400, "INVALID_QUERY",
		    "Invalid query. The request is too large.");
	else
		(void)server_request(fw->s, fw->s->items, req, MSG_ITEMS,
		    fb.data, fb.len, SERVER_ITEMS_TIMEOUT_MS, items_answered,
		    NULL);
	frame_buf_free(&fb);
}

/* The item process's answer, sent as it is; NULL: it did not answer. */
static void
items_answered(struct pending *p, struct frame *f)
{
	struct msg_items_result	 m;

	if (f == NULL || msg_read(f, MSG_ITEMS_RESULT, &m) == -1 ||
	    m.status < 200 || m.status > 599) {
		http_error(p->req, 503, "SERVICE_UNAVAILABLE",
		    "The item store is unavailable.");
		return;
	}
	if (m.status == 404)
		http_not_found(p->req, NULL);
	else if (m.status == 204)
		evhttp_send_reply(p->req, 204, "No Content", NULL);
	else if (m.status < 300)
		http_json_buf(p->req, (int)m.status, (const char *)m.json,
		    m.json_len);
	else
		http_error_buf(p->req, (int)m.status, (const char *)m.json,
		    m.json_len);
}

#ifdef TOKEND_SELFTEST
/*
 * The selftest build (regress/daemon/itemproc.sh) plays a compromised
 * worker: the header X-Selftest-Ticket changes the ticket it passes on.
 * "none" drops it, "admin" claims admin access, "role=ID" and "user=ID"
 * another role or user, "later" a later expiry, "mac" a changed MAC.
 */
static void
items_selftest_tamper(struct evhttp_request *req, struct msg_ticket *t,
    uint8_t *mac)
{
	const char	*how;

	how = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "X-Selftest-Ticket");
	if (how == NULL)
		return;
	if (strcmp(how, "none") == 0) {
		t->mac = NULL;
		t->mac_len = 0;
		return;
	}
	if (t->mac_len == TICKET_MAC_LEN) {
		memcpy(mac, t->mac, TICKET_MAC_LEN);
		t->mac = mac;
	}
	if (strcmp(how, "admin") == 0)
		t->admin = 1;
	else if (strncmp(how, "role=", 5) == 0)
		t->role = how + 5;
	else if (strncmp(how, "user=", 5) == 0)
		t->user = how + 5;
	else if (strcmp(how, "later") == 0)
		t->expires += 86400000;
	else if (strcmp(how, "mac") == 0 && t->mac_len == TICKET_MAC_LEN)
		mac[0] ^= 1;
}
#endif
