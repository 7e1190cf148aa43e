/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * tokenctl: talks to the running tokend through its control socket.
 *
 *	tokenctl [-s socket] reload	re-read tokend.conf
 *	tokenctl [-s socket] status	list tokend's processes
 *	tokenctl [-s socket] user ...	manage users (keyd does the work)
 *	tokenctl [-s socket] session ...
 *	tokenctl [-s socket] mail list | flush	keyd's outbox
 *	tokenctl migrate sqlite:PATH postgresql://...	(migrate.c)
 *
 * Passwords are read from the standard input, one line.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "frame.h"
#include "log.h"
#include "proto.h"
#include "tokenctl.h"

static void	 usage(void) __attribute__((__noreturn__));
static int	 ctl_connect(const char *);
static int	 ctl_request(int, uint32_t, const struct frame_buf *);
static uint8_t	*ctl_exchange(int, uint32_t, const struct frame_buf *,
		    struct msg_ctl_result *);
static int	 ctl_audit(int, char **);
struct ctl_op;
static int	 ctl_admin(const struct ctl_op *, size_t, int, char **);
static size_t	 ctl_password(char *, size_t);

static const char	*ctl_socket = CONF_CONTROL;

static void
usage(void)
{
	fprintf(stderr, "usage: tokenctl [-s socket] reload | status\n"
	    "       tokenctl [-s socket] user add [-r role] email\n"
	    "       tokenctl [-s socket] user invite [-r role] [-u url] email\n"
	    "       tokenctl [-s socket] user passwd | token [-d] | suspend |"
	    " activate | delete |\n"
	    "                            tfa-disable email\n"
	    "       tokenctl [-s socket] user list\n"
	    "       tokenctl [-s socket] user policy add | del email policy\n"
	    "       tokenctl [-s socket] user policy list email\n"
	    "       tokenctl [-s socket] session list [email] | revoke id\n"
	    "       tokenctl [-s socket] mail list | flush\n"
	    "       tokenctl [-s socket] key list | rotate\n"
	    "       tokenctl [-s socket] audit [-f]\n"
	    "       tokenctl migrate sqlite:path postgresql://...\n");
	exit(1);
}

void
ctl_usage(void)
{
	usage();
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "socket path too long: %s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "connect %s", path);
	return fd;
}

/* One request, one MSG_CTL_RESULT, printed. */
static int
ctl_request(int fd, uint32_t type, const struct frame_buf *fb)
{
	struct msg_ctl_result	 m;
	uint8_t			*data;

	data = ctl_exchange(fd, type, fb, &m);
	printf("%s%s", m.text, m.text[0] != '\0' &&
	    m.text[strlen(m.text) - 1] != '\n' ? "\n" : "");
	free(data);
	return m.failed == 0 ? 0 : 1;
}

/* One request; m's text points into the frame returned, to free. */
static uint8_t *
ctl_exchange(int fd, uint32_t type, const struct frame_buf *fb,
    struct msg_ctl_result *m)
{
	struct frame_hdr	 hdr;
	struct frame		 f;
	uint8_t			*data;
	int			 rfd;

	if (frame_write_blocking(fd, type, 1, -1, fb != NULL ? fb->data : NULL,
	    fb != NULL ? fb->len : 0) == -1)
		err(1, "send %s", msg_type_name(type));
	if (frame_read_blocking(fd, PROTO_CTL_MAX, &hdr, &data, &rfd) == -1)
		err(1, "no answer from tokend");
	if (rfd != -1)
		close(rfd);
	if (hdr.type != MSG_CTL_RESULT || hdr.id != 1)
		errx(1, "unexpected %s from tokend", msg_type_name(hdr.type));
	f.hdr = hdr;
	f.data = data;
	if (msg_read(&f, MSG_CTL_RESULT, m) == -1)
		errx(1, "malformed answer from tokend");
	return data;
}

/*
 * audit [-f]: the audit trail, oldest first, asked for in pieces (each
 * answer holds whole rows, each starting with its row number); with
 * -f, then every new event as it comes, until interrupted.
 */
static int
ctl_audit(int argc, char **argv)
{
	struct msg_ctl_admin	 m;
	struct msg_ctl_result	 r;
	struct frame_buf	 fb;
	struct timespec		 second = { 1, 0 };
	const char		*last;
	char			 after[32] = "";
	uint8_t			*data;
	int			 ch, follow = 0, fd, empty;

	optind = 1;
	while ((ch = getopt(argc, argv, "f")) != -1) {
		if (ch == 'f')
			follow = 1;
		else
			usage();
	}
	if (argc != optind)
		usage();
	memset(&m, 0, sizeof(m));
	m.op = ADMIN_AUDIT;
	m.arg2 = m.url = "";
	/* One connection for every request. */
	fd = ctl_connect(ctl_socket);
	for (;;) {
		m.arg = after;
		if (msg_write(&fb, MSG_CTL_ADMIN, &m) == -1)
			errx(1, "cannot write the request");
		data = ctl_exchange(fd, MSG_CTL_ADMIN, &fb, &r);
		frame_buf_free(&fb);
		if (r.failed)
			errx(1, "%s", r.text);
		if (r.text[0] != '\0') {
			fputs(r.text, stdout);
			fflush(stdout);
			/* The last row's number: the start of the next piece. */
			last = strrchr(r.text, '\n');
			while (last != NULL && last > r.text && last[-1] != '\n')
				last--;
			if (last != NULL)
				(void)snprintf(after, sizeof(after), "%.*s",
				    (int)strcspn(last, "\t"), last);
		}
		empty = r.text[0] == '\0';
		free(data);
		if (empty && !follow) {
			close(fd);
			return 0;
		}
		/* A second by the monotonic clock, whatever the date does. */
		if (empty)
			(void)clock_nanosleep(CLOCK_MONOTONIC, 0, &second, NULL);
	}
}

/* One line from the standard input, without its newline. */
static size_t
ctl_password(char *buf, size_t len)
{
	size_t	 n;

	if (fgets(buf, (int)len, stdin) == NULL)
		errx(1, "no password on the standard input");
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == len - 1)
		errx(1, "password too long");
	buf[n] = '\0';
	if (n == 0)
		errx(1, "empty password");
	return n;
}

static const struct ctl_op {
	const char	*word;
	uint32_t	 op;
	int		 args;	/* 1: an email or id, 2: optional, 3: two */
	int		 password;
} ctl_user_ops[] = {
	{ "add",	ADMIN_USER_ADD,		1, 1 },
	{ "passwd",	ADMIN_USER_PASSWD,	1, 1 },
	{ "token",	ADMIN_USER_TOKEN,	1, 0 },
	{ "list",	ADMIN_USER_LIST,	0, 0 },
	{ "suspend",	ADMIN_USER_SUSPEND,	1, 0 },
	{ "activate",	ADMIN_USER_ACTIVATE,	1, 0 },
	{ "delete",	ADMIN_USER_DELETE,	1, 0 },
	{ "tfa-disable", ADMIN_USER_TFA_DISABLE, 1, 0 },
	{ "invite",	ADMIN_USER_INVITE,	1, 0 },
}, ctl_session_ops[] = {
	{ "list",	ADMIN_SESSION_LIST,	2, 0 },
	{ "revoke",	ADMIN_SESSION_REVOKE,	1, 0 },
}, ctl_policy_ops[] = {
	{ "add",	ADMIN_USER_POLICY_ADD,	3, 0 },
	{ "del",	ADMIN_USER_POLICY_DEL,	3, 0 },
	{ "list",	ADMIN_USER_POLICY_LIST,	1, 0 },
}, ctl_mail_ops[] = {
	{ "list",	ADMIN_MAIL_LIST,	0, 0 },
	{ "flush",	ADMIN_MAIL_FLUSH,	0, 0 },
}, ctl_key_ops[] = {
	{ "list",	ADMIN_KEY_LIST,		0, 0 },
	{ "rotate",	ADMIN_KEY_ROTATE,	0, 0 },
};
#define CTL_OPS(t)	(t), sizeof(t) / sizeof((t)[0])

/* user, session, mail and key ...: MSG_CTL_ADMIN, which keyd answers. */
static int
ctl_admin(const struct ctl_op *ops, size_t n, int argc, char **argv)
{
	struct msg_ctl_admin	 m;
	struct frame_buf	 fb;
	const char		*role = "", *arg = "", *url = "";
	char			 pw[AUTH_PASSWORD_MAX + 2];
	size_t			 i, pwlen = 0;
	uint32_t		 op = 0;
	int			 ch, clear = 0, want = 0, fd, rv;

	for (i = 0; argc > 0 && i < n; i++) {
		if (strcmp(argv[0], ops[i].word) != 0)
			continue;
		op = ops[i].op;
		want = ops[i].args;
		pwlen = (size_t)ops[i].password;
		break;
	}
	if (op == 0)
		usage();
	optind = 1;
	while ((ch = getopt(argc, argv, "dr:u:")) != -1) {
		if (ch == 'r' && (op == ADMIN_USER_ADD ||
		    op == ADMIN_USER_INVITE))
			role = optarg;
		else if (ch == 'u' && op == ADMIN_USER_INVITE)
			url = optarg;
		else if (ch == 'd' && op == ADMIN_USER_TOKEN)
			clear = 1;
		else
			usage();
	}
	argc -= optind;
	argv += optind;
	if ((want == 1 && argc != 1) || (want == 0 && argc != 0) ||
	    (want == 2 && argc > 1) || (want == 3 && argc != 2))
		usage();
	if (argc >= 1)
		arg = argv[0];
	if (argc == 2)
		role = argv[1];	/* the policy */
	if (clear)
		op = ADMIN_USER_TOKEN_CLEAR;
	if (pwlen)
		pwlen = ctl_password(pw, sizeof(pw));
	m.op = op;
	m.arg = arg;
	m.arg2 = role;
	m.password = (const uint8_t *)pw;
	m.password_len = pwlen;
	m.url = url;
	rv = msg_write(&fb, MSG_CTL_ADMIN, &m);
	explicit_bzero(pw, sizeof(pw));
	if (rv == -1)
		errx(1, "argument too long");
	fd = ctl_connect(ctl_socket);
	rv = ctl_request(fd, MSG_CTL_ADMIN, &fb);
	frame_buf_free(&fb);
	close(fd);
	return rv;
}

int
main(int argc, char *argv[])
{
	uint32_t	 type;
	int		 ch, fd;

	while ((ch = getopt(argc, argv, "+s:")) != -1) {
		switch (ch) {
		case 's':
			ctl_socket = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc >= 3 && strcmp(argv[0], "user") == 0 &&
	    strcmp(argv[1], "policy") == 0)
		return ctl_admin(CTL_OPS(ctl_policy_ops), argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[0], "user") == 0)
		return ctl_admin(CTL_OPS(ctl_user_ops), argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[0], "session") == 0)
		return ctl_admin(CTL_OPS(ctl_session_ops), argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[0], "mail") == 0)
		return ctl_admin(CTL_OPS(ctl_mail_ops), argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[0], "key") == 0)
		return ctl_admin(CTL_OPS(ctl_key_ops), argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "audit") == 0)
		return ctl_audit(argc, argv);
	if (argc >= 1 && strcmp(argv[0], "migrate") == 0)
		return ctl_migrate(argc, argv);
	if (argc != 1)
		usage();
	if (strcmp(argv[0], "reload") == 0)
		type = MSG_CTL_RELOAD;
	else if (strcmp(argv[0], "status") == 0)
		type = MSG_CTL_STATUS;
	else
		usage();
	fd = ctl_connect(ctl_socket);
	ch = ctl_request(fd, type, NULL);
	close(fd);
	return ch;
}
