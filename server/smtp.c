/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The SMTP client of the mail process (RFC 5321): one session per mail,
 * EHLO, MAIL FROM, RCPT TO, DATA with dot-stuffing, QUIT, to a relay at
 * a numeric address; with STARTTLS (RFC 3207) when the configuration
 * asks for it, and then never without: a relay that does not offer it,
 * or whose certificate does not verify, is a temporary failure.  Every
 * step has a timeout, every reply is read into a bounded buffer and
 * parsed by smtp_reply_parse(), which the unit test and the fuzzer call
 * directly.
 *
 * A reply is one or more lines "ddd-text" ending with a line "ddd text"
 * (or "ddd" alone), every line with the same code, each ended by CRLF
 * (a bare LF is taken too, as relays in the wild send it).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "proto.h"
#include "tokend.h"

/* One session: its socket, TLS once STARTTLS is done, each step's time. */
struct smtp_conn {
	int		 fd;
	SSL		*ssl;
	int64_t		 timeout;
	int		 offers_tls;	/* the last reply listed STARTTLS */
};

static int	 smtp_connect(const struct smtp_relay *, int64_t);
static int	 smtp_wait(int, short, int64_t);
static ssize_t	 smtp_io(struct smtp_conn *, void *, size_t, int, int64_t);
static int	 smtp_write(struct smtp_conn *, const char *, size_t);
static int	 smtp_reply(struct smtp_conn *, char *, size_t);
static int	 smtp_command(struct smtp_conn *, char *, size_t, const char *,
		    ...) __attribute__((__format__(printf, 4, 5)));
static int	 smtp_data(struct smtp_conn *, const uint8_t *, size_t);
static int	 smtp_starttls(struct smtp_conn *, const struct smtp_relay *,
		    char *, size_t);
static int	 smtp_offers_tls(const char *, size_t);
static void	 smtp_close(struct smtp_conn *);
static enum mail_status smtp_status(int);

/*
 * Parse the reply at the start of buf (len bytes).  Returns
 * SMTP_REPLY_DONE with *code and *used (bytes of the whole reply),
 * SMTP_REPLY_MORE when the reply is not complete yet, or
 * SMTP_REPLY_BAD: a line without a three-digit code in 200..599, a code
 * that changes between lines, a separator other than '-' or ' ', a line
 * over SMTP_LINE_MAX, or more than SMTP_REPLY_LINES lines.
 */
enum smtp_parse
smtp_reply_parse(const char *buf, size_t len, int *code, size_t *used)
{
	const char	*line = buf, *nl;
	size_t		 left = len, n, lines = 0;
	int		 c, first = 0;

	for (;;) {
		if ((nl = memchr(line, '\n', left)) == NULL)
			return left > SMTP_LINE_MAX ? SMTP_REPLY_BAD :
			    SMTP_REPLY_MORE;
		n = (size_t)(nl - line) + 1;
		if (n > SMTP_LINE_MAX || ++lines > SMTP_REPLY_LINES)
			return SMTP_REPLY_BAD;
		if (n < 4 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' || line[2] < '0' ||
		    line[2] > '9')
			return SMTP_REPLY_BAD;
		c = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (first != 0 && c != first)
			return SMTP_REPLY_BAD;
		first = c;
		/* "ddd\r\n", "ddd\n", "ddd text", "ddd-text" */
		if (line[3] == '-') {
			line += n;
			left -= n;
			continue;
		}
		if (line[3] != ' ' && line[3] != '\r' && line[3] != '\n')
			return SMTP_REPLY_BAD;
		*code = c;
		*used = len - left + n;
		return SMTP_REPLY_DONE;
	}
}

static enum mail_status
smtp_status(int code)
{
	if (code >= 500)
		return MAIL_PERMFAIL;
	return MAIL_TEMPFAIL;
}

/*
 * Deliver one mail.  Returns its status; why gets the relay's last reply
 * or what went wrong, for the log (printable, one line).
 */
enum mail_status
smtp_send(const struct smtp_relay *r, const char *rcpt, const uint8_t *data,
    size_t len, char *why, size_t whylen)
{
	struct smtp_conn c = { .fd = -1, .timeout = r->timeout };
	char		 reply[SMTP_REPLY_BUF];
	int		 code;
	enum mail_status st = MAIL_TEMPFAIL;

	(void)strlcpy(why, "", whylen);
	if ((c.fd = smtp_connect(r, r->timeout)) == -1) {
		(void)snprintf(why, whylen, "relay %s port %d: %s", r->host,
		    r->port, strerror(errno));
		return MAIL_TEMPFAIL;
	}
	reply[0] = '\0';
	if ((code = smtp_reply(&c, reply, sizeof(reply))) != 220)
		goto fail;
	if ((code = smtp_command(&c, reply, sizeof(reply), "EHLO %s\r\n",
	    r->hostname)) != 250)
		goto fail;
	if (r->tls != NULL && (code = smtp_starttls(&c, r, reply,
	    sizeof(reply))) != 250)
		goto fail;
	if ((code = smtp_command(&c, reply, sizeof(reply),
	    "MAIL FROM:<%s>\r\n", r->from)) != 250)
		goto fail;
	if ((code = smtp_command(&c, reply, sizeof(reply),
	    "RCPT TO:<%s>\r\n", rcpt)) != 250 && code != 251)
		goto fail;
	if ((code = smtp_command(&c, reply, sizeof(reply), "DATA\r\n")) !=
	    354)
		goto fail;
	if (smtp_data(&c, data, len) == -1) {
		code = -1;
		(void)strlcpy(reply, strerror(errno), sizeof(reply));
		goto fail;
	}
	if ((code = smtp_reply(&c, reply, sizeof(reply))) != 250)
		goto fail;
	st = MAIL_SENT;
	(void)strlcpy(why, reply, whylen);
	/* The mail is the relay's now: QUIT's answer changes nothing. */
	(void)smtp_command(&c, reply, sizeof(reply), "QUIT\r\n");
	smtp_close(&c);
	return st;
 fail:
	if (code > 0)
		st = smtp_status(code);
	(void)snprintf(why, whylen, "%s", reply[0] != '\0' ? reply :
	    "no reply");
	if (code > 0)
		(void)smtp_command(&c, reply, sizeof(reply), "QUIT\r\n");
	smtp_close(&c);
	return st;
}

/*
 * After EHLO: STARTTLS if the relay offered it, the handshake with the
 * relay's certificate verified for tls_name (or its address), and EHLO
 * again.  Returns the code of that EHLO (250), another reply's code, or
 * -1 with the reason in reply.
 */
static int
smtp_starttls(struct smtp_conn *c, const struct smtp_relay *r, char *reply,
    size_t len)
{
	const char	*name = r->tls_name[0] != '\0' ? r->tls_name : r->host;
	int64_t		 end = now_ms(CLOCK_MONOTONIC) + c->timeout;
	struct in6_addr	 a6;
	struct in_addr	 a4;
	long		 vr;
	int		 code, rv, e;
	short		 ev;

	if (!c->offers_tls) {
		(void)strlcpy(reply, "the relay does not offer STARTTLS", len);
		return -1;
	}
	if ((code = smtp_command(c, reply, len, "STARTTLS\r\n")) != 220)
		return code;
	if ((c->ssl = SSL_new(r->tls)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1)
		goto fail;
	if (inet_pton(AF_INET, name, &a4) == 1 ||
	    inet_pton(AF_INET6, name, &a6) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
		    name) != 1)
			goto fail;
	} else if (SSL_set1_host(c->ssl, name) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, name) != 1)
		goto fail;
	SSL_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
	for (;;) {
		ERR_clear_error();
		if ((rv = SSL_connect(c->ssl)) == 1)
			break;
		e = SSL_get_error(c->ssl, rv);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			goto fail;
		ev = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		if (smtp_wait(c->fd, ev, end - now_ms(CLOCK_MONOTONIC)) ==
		    -1) {
			(void)snprintf(reply, len, "TLS handshake: %s",
			    strerror(errno));
			return -1;
		}
	}
	return smtp_command(c, reply, len, "EHLO %s\r\n", r->hostname);
 fail:
	vr = c->ssl != NULL ? SSL_get_verify_result(c->ssl) : X509_V_OK;
	(void)snprintf(reply, len, "TLS with %s: %s", name, vr != X509_V_OK ?
	    X509_verify_cert_error_string(vr) :
	    ERR_reason_error_string(ERR_peek_last_error()) != NULL ?
	    ERR_reason_error_string(ERR_peek_last_error()) : "failed");
	ERR_clear_error();
	return -1;
}

static void
smtp_close(struct smtp_conn *c)
{
	if (c->ssl != NULL) {
		(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/* A non-blocking connect that gives up after timeout ms. */
static int
smtp_connect(const struct smtp_relay *r, int64_t timeout)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sslen, elen;
	int			 fd, err, save;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, r->host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)r->port);
		sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, r->host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)r->port);
		sslen = sizeof(*sin6);
	} else {
		errno = EINVAL;
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sslen) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		if (smtp_wait(fd, POLLOUT, timeout) == -1)
			goto fail;
		elen = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	return fd;
 fail:
	save = errno;
	close(fd);
	errno = save;
	return -1;
}

/* 0 once fd is ready for ev, -1 with ETIMEDOUT after timeout ms. */
static int
smtp_wait(int fd, short ev, int64_t timeout)
{
	struct pollfd	 pfd = { .fd = fd, .events = ev };
	int		 n;

	if (timeout < 0)
		timeout = 0;
	do
		n = poll(&pfd, 1, (int)timeout);
	while (n == -1 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n == 1 ? 0 : -1;
}

/*
 * One read or write on the socket or through TLS, waiting at most until
 * end (monotonic ms): the bytes moved, 0 at the end of the stream, -1.
 */
static ssize_t
smtp_io(struct smtp_conn *c, void *buf, size_t len, int writing, int64_t end)
{
	ssize_t	 n;
	short	 ev;
	int	 e;

	if (len > INT32_MAX)
		len = INT32_MAX;
	for (;;) {
		if (c->ssl == NULL) {
			n = writing ? write(c->fd, buf, len) :
			    read(c->fd, buf, len);
			if (n >= 0)
				return n;
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			ev = writing ? POLLOUT : POLLIN;
		} else {
			ERR_clear_error();
			n = writing ? SSL_write(c->ssl, buf, (int)len) :
			    SSL_read(c->ssl, buf, (int)len);
			if (n > 0)
				return n;
			e = SSL_get_error(c->ssl, (int)n);
			if (e == SSL_ERROR_ZERO_RETURN)
				return 0;
			if (e != SSL_ERROR_WANT_READ &&
			    e != SSL_ERROR_WANT_WRITE) {
				ERR_clear_error();
				errno = EPROTO;
				return -1;
			}
			ev = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		}
		if (smtp_wait(c->fd, ev, end - now_ms(CLOCK_MONOTONIC)) == -1)
			return -1;
	}
}

static int
smtp_write(struct smtp_conn *c, const char *p, size_t len)
{
	int64_t	 end = now_ms(CLOCK_MONOTONIC) + c->timeout;
	ssize_t	 n;

	while (len > 0) {
		if ((n = smtp_io(c, (void *)(uintptr_t)p, len, 1, end)) <= 0) {
			if (n == 0)
				errno = EPIPE;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Does the reply (complete, len bytes) list the STARTTLS extension, as
 * a line "250-STARTTLS" or "250 STARTTLS"?
 */
static int
smtp_offers_tls(const char *buf, size_t len)
{
	const char	*line = buf, *nl;
	size_t		 n;

	while ((nl = memchr(line, '\n', len - (size_t)(line - buf))) != NULL) {
		n = (size_t)(nl - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 12 && strncasecmp(line + 4, "STARTTLS", 8) == 0)
			return 1;
		line = nl + 1;
	}
	return 0;
}

/*
 * Read one reply within timeout ms; its code, or -1.  The relay speaks
 * only when asked, so nothing follows the reply: what would is dropped.
 * text gets the reply's last line, printable, for the log.
 */
static int
smtp_reply(struct smtp_conn *c, char *text, size_t textlen)
{
	char		 buf[SMTP_REPLY_BUF];
	int64_t		 end = now_ms(CLOCK_MONOTONIC) + c->timeout;
	size_t		 have = 0, used, i, last;
	ssize_t		 n;
	int		 code;

	(void)strlcpy(text, "", textlen);
	for (;;) {
		switch (smtp_reply_parse(buf, have, &code, &used)) {
		case SMTP_REPLY_DONE:
			c->offers_tls = smtp_offers_tls(buf, used);
			for (last = used - 1; last > 0 &&
			    buf[last - 1] != '\n'; last--)
				;
			for (i = 0; last + i < used && i + 1 < textlen; i++)
				text[i] = buf[last + i] >= 0x20 &&
				    buf[last + i] < 0x7f ? buf[last + i] : '\0';
			text[i] = '\0';
			return code;
		case SMTP_REPLY_BAD:
			(void)strlcpy(text, "malformed reply", textlen);
			return -1;
		case SMTP_REPLY_MORE:
			break;
		}
		if (have == sizeof(buf)) {
			(void)strlcpy(text, "reply too long", textlen);
			return -1;
		}
		if ((n = smtp_io(c, buf + have, sizeof(buf) - have, 0,
		    end)) > 0) {
			have += (size_t)n;
			continue;
		}
		(void)strlcpy(text, n == 0 ? "connection closed" :
		    strerror(errno), textlen);
		return -1;
	}
}

static int
smtp_command(struct smtp_conn *c, char *reply, size_t replylen,
    const char *fmt, ...)
{
	char	 line[SMTP_LINE_MAX];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		(void)strlcpy(reply, "command too long", replylen);
		return -1;
	}
	if (smtp_write(c, line, (size_t)n) == -1) {
		(void)strlcpy(reply, strerror(errno), replylen);
		return -1;
	}
	return smtp_reply(c, reply, replylen);
}

/*
 * The mail, dot-stuffed (a line that starts with '.' gets one more),
 * then CRLF.CRLF.  keyd wrote every line end as CRLF; a bare CR or LF
 * is refused rather than guessed at.
 */
static int
smtp_data(struct smtp_conn *c, const uint8_t *data, size_t len)
{
	char	 out[4096 + 2];
	size_t	 i, n = 0;
	int	 bol = 1;

	for (i = 0; i < len; i++) {
		if ((data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n')) ||
		    (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))) {
			errno = EINVAL;
			return -1;
		}
		if (bol && data[i] == '.')
			out[n++] = '.';
		out[n++] = (char)data[i];
		bol = data[i] == '\n';
		if (n >= sizeof(out) - 2) {
			if (smtp_write(c, out, n) == -1)
				return -1;
			n = 0;
		}
	}
	if (n > 0 && smtp_write(c, out, n) == -1)
		return -1;
	if (!bol && smtp_write(c, "\r\n", 2) == -1)
		return -1;
	return smtp_write(c, ".\r\n", 3);
}
