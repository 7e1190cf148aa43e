/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * server/smtp.c: smtp_reply_parse(), the mail process's reader of what
 * the relay says.
 *
 * Input: the bytes a relay sent, as they are.
 *
 * Properties: a complete reply has a code in 200..599 and a length
 * within the input that ends with LF and at most SMTP_REPLY_LINES lines
 * of SMTP_LINE_MAX bytes; the input read one byte at a time gives the
 * same answer as read at once (a prefix is never complete before the
 * reply is, and never refused when the whole is not); the parser reads
 * nothing past the length it is given (the copy is exact).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../server/tokend.h"
#include "fuzz.h"

void
fuzz_smtp(const uint8_t *data, size_t size)
{
	enum smtp_parse	 whole, part;
	char		*buf;
	size_t		 used = 0, pused, i, lines = 0;
	int		 code = 0, pcode;

	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(buf, data, size);
	whole = smtp_reply_parse(buf, size, &code, &used);
	if (whole == SMTP_REPLY_DONE) {
		FUZZ_ASSERT(code >= 200 && code <= 599);
		FUZZ_ASSERT(used > 0 && used <= size && buf[used - 1] == '\n');
		for (i = 0; i < used; i++)
			lines += buf[i] == '\n';
		FUZZ_ASSERT(lines <= SMTP_REPLY_LINES &&
		    used <= lines * SMTP_LINE_MAX);
	}
	for (i = 0; i <= size; i++) {
		part = smtp_reply_parse(buf, i, &pcode, &pused);
		if (part == SMTP_REPLY_DONE) {
			FUZZ_ASSERT(whole == SMTP_REPLY_DONE &&
			    pcode == code && pused == used);
			break;
		}
		if (part == SMTP_REPLY_BAD) {
			FUZZ_ASSERT(whole == SMTP_REPLY_BAD);
			break;
		}
		FUZZ_ASSERT(i < size || whole == SMTP_REPLY_MORE);
	}
	free(buf);
}

FUZZ_TARGET(fuzz_smtp)
