/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Logging for tokend, keyd and tokenctl: stderr in the foreground,
 * syslog when daemonized.  Every line carries the process name.  As a
 * daemon, the children of the parent (keyd, the workers) send their
 * lines to the parent instead (a sink, log_sink(), set by child.c),
 * which writes them with log_child(): they hold no socket to the
 * system logger.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static void	 log_pri(int, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	 vlog_errno(int, int, const char *, va_list)
		    __attribute__((__format__ (printf, 3, 0)));

static void	 log_sanitize_to(char *, size_t, const char *, int);

static void	(*log_sink_fn)(int, const char *);
static int	 log_foreground = 1;
static int	 log_verbose;
static const char *log_procname = "tokend";

void
log_init(int foreground, int facility)
{
	log_foreground = foreground;
	if (!foreground)
		openlog("tokend", LOG_PID | LOG_NDELAY, facility);
	tzset();
}

void
log_procinit(const char *procname)
{
	if (procname != NULL)
		log_procname = procname;
}

/* Every line goes to sink, not to stderr or syslog; NULL: back to those. */
void
log_sink(void (*sink)(int, const char *))
{
	log_sink_fn = sink;
}

void
log_setverbose(int level)
{
	log_verbose = level;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 line[1024];
	int	 saved_errno = errno;

	if (pri == LOG_DEBUG && log_verbose < 1)
		return;
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	if (log_sink_fn != NULL)
		log_sink_fn(pri, line);
	else if (log_foreground)
		(void)fprintf(stderr, "%s[%d]: %s\n", log_procname,
		    (int)getpid(), line);
	else
		syslog(pri, "%s: %s", log_procname, line);
	errno = saved_errno;
}

static void
log_pri(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

static void
vlog_errno(int pri, int code, const char *fmt, va_list ap)
{
	char	 msg[900];

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	log_pri(pri, "%s: %s", msg, strerror(code));
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 code = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_ERR, code, fmt, ap);
	va_end(ap);
	errno = code;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/*
 * Text that another process sent, fit for one log line: printable ASCII
 * stays; a backslash and a double quote are escaped; every other byte
 * (line breaks, control characters, escape sequences, bytes of 0x80 and
 * above) becomes \n, \r, \t or \ooo, as vis(3) writes it.  So the text
 * can neither end the line nor restyle the terminal, and, in quotes,
 * cannot end the quote.  Whatever does not fit in dst is cut at a whole
 * character and marked "...".  Returns dst.  Log such text in quotes,
 * after the name of the process that sent it, never as our own words.
 */
const char *
log_sanitize(char *dst, size_t dstsize, const char *src)
{
	log_sanitize_to(dst, dstsize, src, 1);
	return dst;
}

/*
 * The same for a whole line of a file that others parse (the access
 * log): a backslash or a double quote stays as it is.
 */
const char *
log_sanitize_line(char *dst, size_t dstsize, const char *src)
{
	log_sanitize_to(dst, dstsize, src, 0);
	return dst;
}

/*
 * A line a child sent (MSG_LOG), after the name and pid the parent
 * knows it by: "server[1234]: text".  The text is sanitized as by
 * log_sanitize(), except that a backslash or a double quote stays as it
 * is (the line is not quoted: the child's own lines keep their quotes),
 * and cut to fit one line; so the child can neither add a line nor
 * make one pass for the parent's ("parent[pid]: " in the foreground,
 * "parent: " in syslog).
 */
void
log_child(int pri, const char *name, int pid, const char *text)
{
	char	 clean[1024];	/* a line of vlog() */
	int	 saved_errno = errno;

	if (pri == LOG_DEBUG && log_verbose < 1)
		return;
	log_sanitize_to(clean, sizeof(clean), text, 0);
	if (log_foreground)
		(void)fprintf(stderr, "%s[%d]: %s\n", name, pid, clean);
	else
		syslog(pri, "%s[%d]: %s", name, pid, clean);
	errno = saved_errno;
}

/* One byte of another process's text, as log_sanitize_to() writes it. */
static size_t
log_vis(char unit[5], unsigned char c, int quoted)
{
	if (quoted && (c == '\\' || c == '"'))
		(void)snprintf(unit, 5, "\\%c", c);
	else if (c >= 0x20 && c < 0x7f)
		(void)snprintf(unit, 5, "%c", c);
	else if (c == '\n')
		(void)strlcpy(unit, "\\n", 5);
	else if (c == '\r')
		(void)strlcpy(unit, "\\r", 5);
	else if (c == '\t')
		(void)strlcpy(unit, "\\t", 5);
	else
		(void)snprintf(unit, 5, "\\%03o", c);
	return strlen(unit);
}

static void
log_sanitize_to(char *dst, size_t dstsize, const char *src, int quoted)
{
	const unsigned char	*p;
	char			 unit[5];
	size_t			 len = 0, need = 0, n;

	if (dstsize == 0)
		return;
	for (p = (const unsigned char *)src; *p != '\0'; p++)
		need += log_vis(unit, *p, quoted);
	dst[0] = '\0';
	for (p = (const unsigned char *)src; *p != '\0'; p++) {
		n = log_vis(unit, *p, quoted);
		/* When it does not all fit, keep room for "...". */
		if (need >= dstsize && len + n + 3 >= dstsize) {
			if (len + 3 < dstsize)
				(void)strlcpy(dst + len, "...", dstsize - len);
			break;
		}
		memcpy(dst + len, unit, n + 1);
		len += n;
	}
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 code = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, code, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
