/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * What server/auth.c calls in the rest of the worker (server.c,
 * http.c, users.c, access.c), for the fuzz targets and their replay test, which link
 * server/auth.o for its body checks alone.  Those checks answer no
 * request and ask keyd nothing: reaching any of these is a failure.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../server/tokend.h"

static void __attribute__((__noreturn__))
stub_server_reached(const char *func)
{
	fprintf(stderr, "stub_server: %s reached\n", func);
	abort();
}

const struct tokend_config *
server_conf(void)
{
	stub_server_reached(__func__);
}

struct pending *
server_keyd_request(struct server *s, struct evhttp_request *req,
    uint32_t type, const void *data, size_t len, int timeout_ms,
    void (*done)(struct pending *, struct frame *), void *arg)
{
	stub_server_reached(__func__);
}

void
http_not_found(struct evhttp_request *req, void *arg)
{
	stub_server_reached(__func__);
}

void
http_json(struct evhttp_request *req, int status, const char *text)
{
	stub_server_reached(__func__);
}

char *
http_data_dumps(json_t *data)
{
	stub_server_reached(__func__);
}

void
http_reply(struct evhttp_request *req, int status, const char *reason)
{
	stub_server_reached(__func__);
}

void
http_error(struct evhttp_request *req, int status, const char *code,
    const char *message)
{
	stub_server_reached(__func__);
}

void
http_json_data(struct evhttp_request *req, const void *json, size_t len)
{
	stub_server_reached(__func__);
}

void
http_error_buf(struct evhttp_request *req, int status, const char *text,
    size_t len)
{
	stub_server_reached(__func__);
}

int
http_client(struct evhttp_request *req, struct cidr *out)
{
	stub_server_reached(__func__);
}

void
http_too_many(struct evhttp_request *req, int points, int64_t wait)
{
	stub_server_reached(__func__);
}

void
users_done(struct pending *p, struct frame *f)
{
	stub_server_reached(__func__);
}

void
http_client_text(struct evhttp_request *req, char *out, size_t len)
{
	stub_server_reached(__func__);
}

json_t *
access_policy_json(const struct tokend_config *conf, const char *id)
{
	stub_server_reached(__func__);
}

int
access_policy_field(const char *name)
{
	stub_server_reached(__func__);
}
