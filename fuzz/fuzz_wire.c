/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * server/wire.c: the strict reader of request framing that sees every
 * byte a client sends before evhttp does.
 *
 * Input: one byte that picks the size of the pieces the stream is fed
 * in (its value plus one, 256 meaning the whole stream at once), then
 * the bytes of a connection.  Small limits, so that every bound is
 * reached.
 *
 * Properties: the outcome does not depend on how the stream is cut:
 * fed whole and fed in pieces, the same requests complete, the same
 * heads are followed by bodies, the same refusal with the same status
 * ends it at the same byte; a refusal carries a known status and a code;
 * the head, request line and chunked body never pass their limits
 * unless that is the refusal.
 */
#include <stdint.h>
#include <string.h>

#include "../server/wire.h"
#include "fuzz.h"

static int	 fuzz_wire_small(const char *, size_t);

static const struct wire_limits fuzz_wire_lim = {
	.line_max = 300,
	.head_max = 600,
	.fields_max = 10,
	.body_max = 2000,
	.small_body_max = 100,
	.small_body = fuzz_wire_small,
};

/* As route.c answers the edge: bodies under /auth/ are small. */
static int
fuzz_wire_small(const char *target, size_t len)
{
	FUZZ_ASSERT(len <= WIRE_TARGET_KEEP);
	return len >= 6 && memcmp(target, "/auth/", 6) == 0;
}

struct fuzz_wire_run {
	int		 done;
	int		 heads;
	int		 begins;
	int		 status;
	size_t		 stop;		/* bytes used when refused */
};

static void
fuzz_wire_feed(const uint8_t *data, size_t size, size_t step,
    struct fuzz_wire_run *r)
{
	struct wire	 w;
	size_t		 off = 0, n, used;
	enum wire_event	 ev;

	memset(r, 0, sizeof(*r));
	wire_init(&w, &fuzz_wire_lim);
	while (off < size) {
		n = size - off < step ? size - off : step;
		ev = wire_feed(&w, data + off, n, &used);
		FUZZ_ASSERT(used <= n);
		off += used;
		if (ev != WIRE_ERROR) {
			FUZZ_ASSERT(w.head_len <= fuzz_wire_lim.head_max);
			FUZZ_ASSERT(w.line_len <= fuzz_wire_lim.line_max);
			FUZZ_ASSERT(w.body <= w.lim.body_max);
		}
		if (ev == WIRE_ERROR) {
			FUZZ_ASSERT(w.code != NULL && w.message != NULL);
			FUZZ_ASSERT(w.status == 400 || w.status == 405 ||
			    w.status == 413 ||
			    w.status == 414 || w.status == 417 ||
			    w.status == 431);
			r->status = w.status;
			r->stop = off;
			return;
		}
		if (ev == WIRE_BEGIN) {
			FUZZ_ASSERT(used == 0);
			r->begins++;
		}
		r->done += ev == WIRE_DONE;
		r->heads += ev == WIRE_HEAD;
		FUZZ_ASSERT(ev != WIRE_MORE || used == n);
	}
}

void
fuzz_wire(const uint8_t *data, size_t size)
{
	struct fuzz_wire_run	 whole, cut;
	size_t			 step;

	if (size < 1)
		return;
	step = (size_t)data[0] + 1;
	fuzz_wire_feed(data + 1, size - 1, size, &whole);
	fuzz_wire_feed(data + 1, size - 1, step, &cut);
	FUZZ_ASSERT(whole.done == cut.done && whole.heads == cut.heads &&
	    whole.begins == cut.begins && whole.status == cut.status &&
	    whole.stop == cut.stop);
	FUZZ_ASSERT(whole.done <= whole.begins);
}

FUZZ_TARGET(fuzz_wire)
