/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Unit tests for shared/log.c's log_sanitize() and log_child(): what
 * another process sends is logged on one line and cannot pass for our
 * own; and log_sink(), which takes a child's lines to its parent.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "regress.h"

/* What a compromised worker would send as its reload-failure reason. */
#define FORGED	"bad\nparent[1]: user root@example.com suspended by the " \
		"operator\r\n\033[2K\033[1Aparent[1]: \"quoted\\\""

static int
sanitized_is(const char *src, size_t size, const char *want)
{
	char	 buf[256];

	if (size > sizeof(buf))
		return 0;
	log_sanitize(buf, size, src);
	if (strcmp(buf, want) != 0) {
		printf("# got \"%s\", want \"%s\"\n", buf, want);
		return 0;
	}
	return 1;
}

static int
only_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static void
test_sanitize(void)
{
	char	 big[CHILD_REASON_MAX], out[LOG_SANITIZE_SIZE(CHILD_REASON_MAX)];
	size_t	 i;

	CHECK("sanitize: plain text unchanged",
	    sanitized_is("bad configuration from the parent", 64,
	    "bad configuration from the parent"));
	CHECK("sanitize: empty text", sanitized_is("", 8, ""));
	CHECK("sanitize: newline", sanitized_is("a\nb", 16, "a\\nb"));
	CHECK("sanitize: carriage return", sanitized_is("a\rb", 16, "a\\rb"));
	CHECK("sanitize: tab", sanitized_is("a\tb", 16, "a\\tb"));
	CHECK("sanitize: control characters and DEL",
	    sanitized_is("\001\037\177", 32, "\\001\\037\\177"));
	CHECK("sanitize: an escape sequence",
	    sanitized_is("\033[31mred\033[0m", 64, "\\033[31mred\\033[0m"));
	CHECK("sanitize: bytes of 0x80 and above (a bidi override)",
	    sanitized_is("\342\200\256x", 32, "\\342\\200\\256x"));
	CHECK("sanitize: quote and backslash escaped",
	    sanitized_is("a\"b\\c", 16, "a\\\"b\\\\c"));
	CHECK("sanitize: a forged line stays in one",
	    log_sanitize(out, sizeof(out), FORGED) == out &&
	    strchr(out, '\n') == NULL && strchr(out, '\r') == NULL &&
	    strchr(out, '\033') == NULL && only_printable(out));
	CHECK("sanitize: text that just fits is whole",
	    sanitized_is("abcd", 5, "abcd"));
	CHECK("sanitize: overlong text cut and marked",
	    sanitized_is("abcdef", 6, "ab..."));
	CHECK("sanitize: never cut inside an escape",
	    sanitized_is("ab\033cdef", 8, "ab..."));
	CHECK("sanitize: a buffer too small for the mark",
	    sanitized_is("abcdef", 3, ""));
	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_sanitize(out, sizeof(out), big);
	CHECK("sanitize: the longest reason fits its bound whole",
	    strlen(out) == 2 * (sizeof(big) - 1) && only_printable(out));
	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)(0x80 + i % 0x7f);
	log_sanitize(out, sizeof(out), big);
	CHECK("sanitize: the worst case fits LOG_SANITIZE_SIZE",
	    strlen(out) == 4 * (sizeof(big) - 1) && only_printable(out));
	CHECK("sanitize: no room at all", log_sanitize(out, 0, "x") == out);
}

/*
 * The parent's line for a failed reload, with stderr sent to a file: a
 * forged reason gives exactly one line, which starts with our name and
 * names the worker before its words.
 */
static void
test_one_line(void)
{
	char	 why[LOG_SANITIZE_SIZE(CHILD_REASON_MAX)], path[] =
		    "/tmp/test_log.XXXXXX", line[4096], prefix[64];
	FILE	*f;
	int	 fd, saved, lines = 0, ours = 1;

	if ((fd = mkstemp(path)) == -1 || (saved = dup(STDERR_FILENO)) == -1) {
		CHECK("log: temporary file", 0);
		return;
	}
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	log_warnx("%s could not apply the reload and says: \"%s\"",
	    "server 1", log_sanitize(why, sizeof(why), FORGED));
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	(void)snprintf(prefix, sizeof(prefix), "test_log[%d]: server 1 ",
	    (int)getpid());
	if ((f = fdopen(fd, "r")) == NULL) {
		CHECK("log: read back", 0);
		return;
	}
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		lines++;
		if (strncmp(line, prefix, strlen(prefix)) != 0)
			ours = 0;
	}
	fclose(f);
	unlink(path);
	CHECK("log: a forged reason makes one line, not two", lines == 1);
	CHECK("log: the line is ours and names the worker first", ours);
}

/* Run fn with stderr sent to a file; that file's lines, in buf. */
static int
stderr_of(void (*fn)(void), char *buf, size_t size)
{
	char	 path[] = "/tmp/test_log.XXXXXX";
	int	 fd, saved;
	ssize_t	 n;

	if ((fd = mkstemp(path)) == -1 || (saved = dup(STDERR_FILENO)) == -1)
		return -1;
	unlink(path);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, size - 1, 0);
	close(fd);
	if (n == -1)
		return -1;
	buf[n] = '\0';
	return 0;
}

static void
child_forged(void)
{
	log_child(LOG_ERR, "server", 4242, FORGED);
}

static void
child_long(void)
{
	char	 text[CHILD_LOG_MAX];

	memset(text, '\001', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	log_child(LOG_ERR, "keyd", 7, text);
}

static void
child_debug(void)
{
	log_child(LOG_DEBUG, "server", 1, "debug line");
}

/*
 * A child's line as the parent writes it: one line after the name and
 * pid the parent gives, its quotes as they were, cut to about 1 KB.
 */
static void
test_child_line(void)
{
	char	 out[8192];

	CHECK("child: a forged line is one line after the child's name",
	    stderr_of(child_forged, out, sizeof(out)) == 0 &&
	    strcmp(out, "server[4242]: bad\\nparent[1]: user "
	    "root@example.com suspended by the operator\\r\\n\\033[2K"
	    "\\033[1Aparent[1]: \"quoted\\\"\n") == 0);
	CHECK("child: a long line of control characters is cut and marked",
	    stderr_of(child_long, out, sizeof(out)) == 0 &&
	    strncmp(out, "keyd[7]: \\001", 13) == 0 &&
	    strchr(out, '\n') == out + strlen(out) - 1 &&
	    strlen(out) < 1024 + 16 &&
	    strcmp(out + strlen(out) - 4, "...\n") == 0);
	CHECK("child: a debug line only with -v",
	    stderr_of(child_debug, out, sizeof(out)) == 0 && out[0] == '\0');
	log_setverbose(1);
	CHECK("child: a debug line with -v",
	    stderr_of(child_debug, out, sizeof(out)) == 0 &&
	    strcmp(out, "server[1]: debug line\n") == 0);
	log_setverbose(0);
}

static int	 sunk_pri;
static char	 sunk[1024];

static void
sink(int pri, const char *line)
{
	sunk_pri = pri;
	(void)strlcpy(sunk, line, sizeof(sunk));
}

static void
sink_warn(void)
{
	log_sink(sink);
	log_warnx("to the %s", "parent");
	log_sink(NULL);
}

/* With a sink, a line goes to it, with its priority, and nowhere else. */
static void
test_sink(void)
{
	char	 out[256];

	CHECK("sink: the line goes to the sink only",
	    stderr_of(sink_warn, out, sizeof(out)) == 0 && out[0] == '\0' &&
	    sunk_pri == LOG_ERR && strcmp(sunk, "to the parent") == 0);
}

int
main(void)
{
	log_init(1, LOG_DAEMON);
	log_procinit("test_log");
	test_sanitize();
	test_one_line();
	test_child_line();
	test_sink();
	return regress_exit();
}
