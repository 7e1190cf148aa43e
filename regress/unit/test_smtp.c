/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The mail process's SMTP client (server/smtp.c): the bounded reply
 * parser on single and multi-line replies and on every malformed or
 * oversized form, then whole sessions against a scripted relay in a
 * child process: dot-stuffing, 250, 4xx, 5xx, a closed connection, a
 * relay that never answers (the timeout) and none at all.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "regress.h"
#include "../../server/tokend.h"

static int
parses(const char *s, int want_code, size_t want_used)
{
	int	 code = 0;
	size_t	 used = 0;

	return smtp_reply_parse(s, strlen(s), &code, &used) ==
	    SMTP_REPLY_DONE && code == want_code && used == want_used;
}

static int
parse_is(const char *s, enum smtp_parse want)
{
	int	 code;
	size_t	 used;

	return smtp_reply_parse(s, strlen(s), &code, &used) == want;
}

static void
say(int fd, const char *s, size_t len)
{
	if (write(fd, s, len) != (ssize_t)len)
		_exit(1);
}

/*
 * A relay for one session on fd: greets with greet, answers every
 * command with 250 (DATA with 354), the end of the data with final;
 * writes what came between DATA and the dot to out.  hang: says
 * nothing at all.
 */
static void
relay(int lfd, const char *greet, const char *final, int hang, FILE *out)
{
	char	 buf[65536];
	size_t	 have = 0;
	ssize_t	 n;
	int	 fd, data = 0;
	char	*nl, *end;

	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(1);
	if (hang) {
		sleep(5);
		_exit(0);
	}
	say(fd, greet, strlen(greet));
	for (;;) {
		if ((n = read(fd, buf + have, sizeof(buf) - have - 1)) <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		if (data) {
			if ((end = strstr(buf, "\r\n.\r\n")) == NULL)
				continue;
			fwrite(buf, 1, (size_t)(end - buf) + 2, out);
			fflush(out);
			say(fd, final, strlen(final));
			have -= (size_t)(end + 5 - buf);
			memmove(buf, end + 5, have);
			data = 0;
			continue;
		}
		while ((nl = memchr(buf, '\n', have)) != NULL) {
			if (strncmp(buf, "DATA", 4) == 0) {
				say(fd, "354 go\r\n", 8);
				data = 1;
			} else if (strncmp(buf, "QUIT", 4) == 0) {
				say(fd, "221 bye\r\n", 9);
				_exit(0);
			} else if (strncmp(buf, "EHLO", 4) == 0)
				say(fd, "250-relay\r\n250-8BITMIME\r\n"
				    "250 SIZE 1000\r\n", 40);
			else
				say(fd, "250 ok\r\n", 8);
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
			if (data)
				break;
		}
	}
	_exit(0);
}

/* One session with the scripted relay; what it received in *got. */
static enum mail_status
session(const char *greet, const char *final, int hang, const char *mail,
    char *got, size_t gotlen)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	struct smtp_relay	 r;
	enum mail_status	 st;
	char			 why[256], port[16];
	FILE			*tmp = tmpfile();
	pid_t			 pid;
	int			 lfd;
	size_t			 n;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (tmp == NULL || (lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 1) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == -1)
		return MAIL_STATUS_MAX;
	(void)snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));
	if ((pid = fork()) == 0)
		relay(lfd, greet, final, hang, tmp);
	close(lfd);
	r.host = "127.0.0.1";
	r.port = ntohs(sin.sin_port);
	r.from = "noreply@example.com";
	r.hostname = "test.example";
	r.timeout = 500;
	r.tls = NULL;
	r.tls_name = "";
	st = smtp_send(&r, "ann@example.com", (const uint8_t *)mail,
	    strlen(mail), why, sizeof(why));
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	rewind(tmp);
	n = fread(got, 1, gotlen - 1, tmp);
	got[n] = '\0';
	fclose(tmp);
	return st;
}

int
main(void)
{
	char	 big[SMTP_LINE_MAX + 16], many[SMTP_REPLY_LINES * 8 + 16];
	char	 got[4096];
	size_t	 i;
	struct smtp_relay r;
	char	 why[256];

	CHECK("smtp_single_line", parses("250 ok\r\n", 250, 8));
	CHECK("smtp_code_only", parses("354\r\n", 354, 5));
	CHECK("smtp_bare_lf", parses("221 bye\n", 221, 8));
	CHECK("smtp_multi_line", parses("250-a\r\n250-b\r\n250 c\r\n", 250,
	    21));
	CHECK("smtp_used_stops_at_reply", parses("250 a\r\n220 next\r\n",
	    250, 7));
	CHECK("smtp_incomplete", parse_is("250 o", SMTP_REPLY_MORE));
	CHECK("smtp_incomplete_multi", parse_is("250-a\r\n250 b",
	    SMTP_REPLY_MORE));
	CHECK("smtp_empty", parse_is("", SMTP_REPLY_MORE));
	CHECK("smtp_code_changes", parse_is("250-a\r\n251 b\r\n",
	    SMTP_REPLY_BAD));
	CHECK("smtp_not_digits", parse_is("2x0 a\r\n", SMTP_REPLY_BAD));
	CHECK("smtp_code_too_low", parse_is("199 a\r\n", SMTP_REPLY_BAD));
	CHECK("smtp_code_too_high", parse_is("600 a\r\n", SMTP_REPLY_BAD));
	CHECK("smtp_bad_separator", parse_is("250_a\r\n", SMTP_REPLY_BAD));
	CHECK("smtp_short_line", parse_is("25\r\n", SMTP_REPLY_BAD));
	memset(big, 'x', sizeof(big));
	memcpy(big, "250 ", 4);
	big[sizeof(big) - 1] = '\0';
	CHECK("smtp_line_too_long", parse_is(big, SMTP_REPLY_BAD));
	big[sizeof(big) - 3] = '\r';
	big[sizeof(big) - 2] = '\n';
	CHECK("smtp_line_too_long_ended", parse_is(big, SMTP_REPLY_BAD));
	for (i = 0; i <= SMTP_REPLY_LINES; i++)
		memcpy(many + i * 7, "250-a\r\n", 7);
	memcpy(many + i * 7, "250 a\r\n", 8);
	CHECK("smtp_too_many_lines", parse_is(many, SMTP_REPLY_BAD));

	CHECK("smtp_session_delivered", session("220 relay\r\n",
	    "250 queued\r\n", 0, "Subject: x\r\n\r\n.dot\r\n..two\r\nend\r\n",
	    got, sizeof(got)) == MAIL_SENT);
	CHECK("smtp_session_dot_stuffed", strcmp(got,
	    "Subject: x\r\n\r\n..dot\r\n...two\r\nend\r\n") == 0);
	CHECK("smtp_session_unended_last_line", session("220 relay\r\n",
	    "250 queued\r\n", 0, "a\r\nb", got, sizeof(got)) == MAIL_SENT &&
	    strcmp(got, "a\r\nb\r\n") == 0);
	CHECK("smtp_session_bare_lf_refused", session("220 relay\r\n",
	    "250 queued\r\n", 0, "a\nb\r\n", got, sizeof(got)) ==
	    MAIL_TEMPFAIL && got[0] == '\0');
	CHECK("smtp_session_4xx", session("220 relay\r\n",
	    "451 later\r\n", 0, "a\r\n", got, sizeof(got)) == MAIL_TEMPFAIL);
	CHECK("smtp_session_5xx", session("220 relay\r\n",
	    "554 no\r\n", 0, "a\r\n", got, sizeof(got)) == MAIL_PERMFAIL);
	CHECK("smtp_session_greeting_5xx", session("554 go away\r\n",
	    "250 queued\r\n", 0, "a\r\n", got, sizeof(got)) == MAIL_PERMFAIL);
	CHECK("smtp_session_greeting_malformed", session("hello\r\n",
	    "250 queued\r\n", 0, "a\r\n", got, sizeof(got)) == MAIL_TEMPFAIL);
	CHECK("smtp_session_timeout", session("", "", 1, "a\r\n", got,
	    sizeof(got)) == MAIL_TEMPFAIL);
	r.host = "127.0.0.1";
	r.port = 1;
	r.from = "noreply@example.com";
	r.hostname = "test.example";
	r.timeout = 500;
	r.tls = NULL;
	r.tls_name = "";
	CHECK("smtp_session_refused", smtp_send(&r, "ann@example.com",
	    (const uint8_t *)"a\r\n", 3, why, sizeof(why)) == MAIL_TEMPFAIL &&
	    strstr(why, "port 1") != NULL);
	return regress_exit();
}
