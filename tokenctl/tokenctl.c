/*
 * tokenctl: talks to the running tokend through its control socket.
 *
 *	tokenctl [-s socket] reload	re-read tokend.conf
 *	tokenctl [-s socket] status	list tokend's processes
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

static void	 usage(void) __attribute__((__noreturn__));
static int	 ctl_connect(const char *);
static int	 ctl_request(int, uint32_t);

static void
usage(void)
{
	fprintf(stderr, "usage: tokenctl [-s socket] reload | status\n");
	exit(1);
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

/* One request, one MSG_CTL_RESULT: u32 status, str text. */
static int
ctl_request(int fd, uint32_t type)
{
	struct frame_hdr	 hdr;
	struct frame		 f;
	struct frame_rd		 rd;
	uint8_t			*data;
	char			 text[PROTO_CTL_MAX];
	uint32_t		 status;
	int			 rfd;

	if (frame_write_blocking(fd, type, 1, -1, NULL, 0) == -1)
		err(1, "send %s", msg_type_name(type));
	if (frame_read_blocking(fd, PROTO_CTL_MAX, &hdr, &data, &rfd) == -1)
		err(1, "no answer from tokend");
	if (rfd != -1)
		close(rfd);
	if (hdr.type != MSG_CTL_RESULT || hdr.id != 1)
		errx(1, "unexpected %s from tokend", msg_type_name(hdr.type));
	f.hdr = hdr;
	f.data = data;
	frame_rd_init(&rd, &f);
	if (frame_rd_u32(&rd, &status) == -1 ||
	    frame_rd_str(&rd, text, sizeof(text)) == -1 ||
	    frame_rd_end(&rd) == -1)
		errx(1, "malformed answer from tokend");
	free(data);
	printf("%s%s", text, text[0] != '\0' &&
	    text[strlen(text) - 1] != '\n' ? "\n" : "");
	return status == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	const char	*sock = CONF_CONTROL;
	uint32_t	 type;
	int		 ch, fd;

	while ((ch = getopt(argc, argv, "s:")) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	if (strcmp(argv[0], "reload") == 0)
		type = MSG_CTL_RELOAD;
	else if (strcmp(argv[0], "status") == 0)
		type = MSG_CTL_STATUS;
	else
		usage();
	fd = ctl_connect(sock);
	ch = ctl_request(fd, type);
	close(fd);
	return ch;
}
