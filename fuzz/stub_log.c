/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/log.c for the fuzzers: every message is formatted, so that a
 * bad argument is still caught, and dropped, so that libFuzzer's output
 * stays readable and fast.  fatal() and fatalx() abort, so that libFuzzer
 * reports them with the input that led there.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static void	 stub_log_format(const char *, va_list)
		    __attribute__((__format__ (printf, 1, 0)));

static int	 stub_log_verbose;

static void
stub_log_format(const char *fmt, va_list ap)
{
	char	 line[1024];

	(void)vsnprintf(line, sizeof(line), fmt, ap);
}

void
log_init(int foreground, int facility)
{
}

void
log_procinit(const char *procname)
{
}

void
log_sink(void (*sink)(int, const char *))
{
}

void
log_pri(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	stub_log_format(fmt, ap);
	va_end(ap);
}

void
log_setverbose(int level)
{
	stub_log_verbose = level;
}

int
log_getverbose(void)
{
	return stub_log_verbose;
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	stub_log_format(fmt, ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	stub_log_format(fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	stub_log_format(fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	stub_log_format(fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	stub_log_format(fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "fatal: %s: %s\n", line, strerror(saved_errno));
	abort();
}

void
fatalx(const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "fatalx: %s\n", line);
	abort();
}
