/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Unit tests for shared/frame.c: the decoder, the payload readers and
 * builders, channels over a socketpair with a libevent loop, and the
 * blocking helpers used before the loop runs.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "frame.h"
#include "log.h"
#include "proto.h"
#include "regress.h"

#define PEER_FRAMES	32

struct peer {
	struct frame_chan	*chan;
	int			 nframes;
	int			 nclosed;
	uint32_t		 type[PEER_FRAMES];
	uint32_t		 id[PEER_FRAMES];
	uint32_t		 len[PEER_FRAMES];
	int			 fd[PEER_FRAMES];
	size_t			 maxq;		/* most fds queued */
	int			 pattern_ok;	/* all payloads matched */
	int			 free_at;	/* free in cb, frame n */
	int			 fail_at;	/* cb fails, frame n */
	int			 free_in_close;	/* free in closecb */
	int			 echo;		/* answer every frame */
	int			 notake;	/* leave descriptors untaken */
};

static struct event_base	*base;
static struct event		*tick;

static uint8_t
pattern_byte(uint32_t seed, size_t i)
{
	return (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

static void
pattern_fill(uint8_t *p, size_t len, uint32_t seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		p[i] = pattern_byte(seed, i);
}

static int
pattern_check(const uint8_t *p, size_t len, uint32_t seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern_byte(seed, i))
			return 0;
	return 1;
}

/* A frame with a pattern payload seeded by its id; returns its size. */
static size_t
mkframe(uint8_t *buf, uint32_t type, uint32_t len, uint32_t id)
{
	struct frame_hdr hdr;

	hdr.type = type;
	hdr.len = len;
	hdr.id = id;
	hdr.pid = 4242;
	memcpy(buf, &hdr, sizeof(hdr));
	pattern_fill(buf + sizeof(hdr), len, id);
	return sizeof(hdr) + len;
}

static void
must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "test_frame: %s failed\n", what);
		exit(1);
	}
}

static int
count_fds(void)
{
	DIR	*dir;
	int	 n = 0;

	if ((dir = opendir("/proc/self/fd")) == NULL)
		return -1;
	while (readdir(dir) != NULL)
		n++;
	closedir(dir);
	return n;
}

static int
fd_works(int wfd, int rfd)
{
	char	 c = 0;

	if (write(wfd, "x", 1) != 1 || read(rfd, &c, 1) != 1)
		return 0;
	return c == 'x';
}

static void
tick_cb(int fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
}

static void
loop_setup(void)
{
	struct timeval	 tv = { 0, 20000 };

	base = event_base_new();
	tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(tick, &tv);
}

static void
loop_teardown(void)
{
	event_free(tick);
	event_base_free(base);
	base = NULL;
}

/* Run the loop until *counter reaches want, for at most five seconds. */
static int
loop_until(const int *counter, int want)
{
	time_t	 deadline = time(NULL) + 5;

	while (*counter < want && time(NULL) < deadline)
		event_base_loop(base, EVLOOP_ONCE);
	return *counter >= want;
}

/* The same, until the peer's channel is closed or freed. */
static void
loop_until_gone(const struct peer *p)
{
	time_t	 deadline = time(NULL) + 5;

	while (p->nclosed == 0 && p->chan != NULL && time(NULL) < deadline)
		event_base_loop(base, EVLOOP_ONCE);
}

/* A few more rounds, to catch callbacks that should not come. */
static void
loop_settle(void)
{
	int	 i;

	for (i = 0; i < 5; i++)
		event_base_loop(base, EVLOOP_ONCE);
}

static int
peer_cb(struct frame_chan *chan, struct frame *frame, void *arg)
{
	struct peer	*p = arg;
	int		 n;

	if (p->nframes >= PEER_FRAMES)
		return -1;
	n = p->nframes++;
	p->type[n] = frame->hdr.type;
	p->id[n] = frame->hdr.id;
	p->len[n] = frame->hdr.len;
	if (chan->fdq_in_len > p->maxq)
		p->maxq = chan->fdq_in_len;
	p->fd[n] = msg_type_has_fd(frame->hdr.type) && !p->notake ?
	    frame_chan_takefd(chan) : -1;
	if (!pattern_check(frame->data, frame->hdr.len, frame->hdr.id))
		p->pattern_ok = 0;
	if (p->echo && frame_send(chan, MSG_HEALTH_RESULT, frame->hdr.id,
	    -1, frame->data, frame->hdr.len) == -1)
		return -1;
	if (p->free_at == p->nframes) {
		frame_chan_free(chan);
		p->chan = NULL;
		return 0;
	}
	if (p->fail_at == p->nframes)
		return -1;
	return 0;
}

static void
peer_closecb(struct frame_chan *chan, void *arg)
{
	struct peer	*p = arg;

	p->nclosed++;
	if (p->free_in_close) {
		frame_chan_free(chan);
		p->chan = NULL;
	}
}

static void
peer_init(struct peer *p)
{
	memset(p, 0, sizeof(*p));
	p->pattern_ok = 1;
}

static int
peer_open(struct peer *p, int fd, uint32_t max, const char *name)
{
	p->chan = frame_chan_new(base, fd, max, peer_cb, peer_closecb, p,
	    name);
	return p->chan != NULL ? 0 : -1;
}

static void
peer_close(struct peer *p)
{
	int	 i;

	for (i = 0; i < p->nframes; i++)
		if (p->fd[i] != -1)
			close(p->fd[i]);
	frame_chan_free(p->chan);
	p->chan = NULL;
}

static void
test_decode(void)
{
	uint8_t		 buf[256], two[256];
	struct frame	 f;
	struct frame_hdr hdr;
	size_t		 n, used, used2;
	int		 rv;

	n = mkframe(buf, MSG_HEALTH, 20, 7);
	CHECK("decode: empty buffer needs more",
	    frame_decode(buf, 0, 100, &f, &used) == 0);
	CHECK("decode: truncated header needs more",
	    frame_decode(buf, FRAME_HDR_SIZE - 1, 100, &f, &used) == 0);
	CHECK("decode: truncated payload needs more",
	    frame_decode(buf, n - 1, 100, &f, &used) == 0);
	rv = frame_decode(buf, n, 100, &f, &used);
	CHECK("decode: complete frame",
	    rv == 1 && used == n && f.hdr.type == MSG_HEALTH &&
	    f.hdr.len == 20 && f.hdr.id == 7 && f.hdr.pid == 4242 &&
	    f.data == buf + FRAME_HDR_SIZE && pattern_check(f.data, 20, 7));

	mkframe(buf, MSG_HEALTH, 101, 1);
	CHECK("decode: oversized len rejected from the header alone",
	    frame_decode(buf, FRAME_HDR_SIZE, 100, &f, &used) == -1 &&
	    f.hdr.len == 101);
	mkframe(buf, MSG_HEALTH, 0, 1);
	hdr.type = MSG_CONFIG;
	hdr.len = FRAME_PAYLOAD_MAX + 1;
	hdr.id = hdr.pid = 0;
	memcpy(buf, &hdr, sizeof(hdr));
	CHECK("decode: len over FRAME_PAYLOAD_MAX rejected",
	    frame_decode(buf, FRAME_HDR_SIZE, UINT32_MAX, &f, &used) == -1);

	n = mkframe(buf, MSG_READY, 0, 3);
	CHECK("decode: zero-length payload",
	    frame_decode(buf, n, 100, &f, &used) == 1 &&
	    used == FRAME_HDR_SIZE && f.hdr.len == 0 && f.hdr.id == 3);

	mkframe(buf, MSG_NONE, 0, 1);
	CHECK("decode: type 0 rejected",
	    frame_decode(buf, FRAME_HDR_SIZE, 100, &f, &used) == -1);
	mkframe(buf, MSG_MAX, 0, 1);
	CHECK("decode: type MSG_MAX rejected",
	    frame_decode(buf, FRAME_HDR_SIZE, 100, &f, &used) == -1);
	mkframe(buf, 0xffffffff, 0, 1);
	CHECK("decode: type 0xffffffff rejected",
	    frame_decode(buf, FRAME_HDR_SIZE, 100, &f, &used) == -1);
	memcpy(buf, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
	CHECK("decode: garbage rejected",
	    frame_decode(buf, 27, 100, &f, &used) == -1);

	n = mkframe(two, MSG_HEALTH, 5, 10);
	n += mkframe(two + n, MSG_HEALTH_RESULT, 9, 11);
	rv = frame_decode(two, n, 100, &f, &used);
	CHECK("decode: two frames back to back",
	    rv == 1 && f.hdr.id == 10 && used == FRAME_HDR_SIZE + 5 &&
	    frame_decode(two + used, n - used, 100, &f, &used2) == 1 &&
	    f.hdr.id == 11 && f.hdr.type == MSG_HEALTH_RESULT &&
	    used + used2 == n && pattern_check(f.data, 9, 11));
}

/* A frame whose payload is the builder's contents. */
static void
frame_from_buf(struct frame *f, const struct frame_buf *b)
{
	memset(f, 0, sizeof(*f));
	f->hdr.type = MSG_CONFIG;
	f->hdr.len = b->len;
	f->data = b->data;
}

static void
test_readers(void)
{
	struct frame_buf b;
	struct frame	 f;
	struct frame_rd	 rd;
	const uint8_t	*blob;
	size_t		 bloblen;
	uint64_t	 v64;
	uint32_t	 v32;
	uint8_t		 v8, raw[4];
	char		 s[8];
	int		 ok;

	frame_buf_init(&b, 1024);
	frame_buf_u8(&b, 0xab);
	frame_buf_u32(&b, 0xdeadbeef);
	frame_buf_u64(&b, 0x0102030405060708ULL);
	frame_buf_str(&b, "tokend");
	frame_buf_blob(&b, "\0\1\2", 3);
	frame_buf_str(&b, "");
	frame_from_buf(&f, &b);
	frame_rd_init(&rd, &f);
	ok = frame_rd_u8(&rd, &v8) == 0 && v8 == 0xab &&
	    frame_rd_u32(&rd, &v32) == 0 && v32 == 0xdeadbeef &&
	    frame_rd_u64(&rd, &v64) == 0 && v64 == 0x0102030405060708ULL &&
	    frame_rd_str(&rd, s, sizeof(s)) == 0 && strcmp(s, "tokend") == 0 &&
	    frame_rd_blob(&rd, &blob, &bloblen, 3) == 0 && bloblen == 3 &&
	    memcmp(blob, "\0\1\2", 3) == 0 && blob > b.data &&
	    blob < b.data + b.len &&
	    frame_rd_str(&rd, s, sizeof(s)) == 0 && s[0] == '\0' &&
	    frame_rd_end(&rd) == 0;
	CHECK("rd: every type read back", !b.failed && ok);
	frame_buf_free(&b);

	frame_buf_init(&b, 64);
	frame_buf_bytes(&b, "abc", 3);
	frame_from_buf(&f, &b);
	frame_rd_init(&rd, &f);
	CHECK("rd: short read fails",
	    frame_rd_u32(&rd, &v32) == -1 && rd.failed);
	frame_buf_free(&b);

	frame_buf_init(&b, 64);
	frame_buf_u32(&b, 1);
	frame_buf_u8(&b, 2);
	frame_from_buf(&f, &b);
	frame_rd_init(&rd, &f);
	CHECK("rd: trailing bytes make frame_rd_end fail",
	    frame_rd_u32(&rd, &v32) == 0 && v32 == 1 &&
	    frame_rd_end(&rd) == -1);
	frame_buf_free(&b);

	frame_buf_init(&b, 64);
	frame_buf_blob(&b, "ab\0cd", 5);
	frame_from_buf(&f, &b);
	frame_rd_init(&rd, &f);
	CHECK("rd: string with an embedded NUL fails",
	    frame_rd_str(&rd, s, sizeof(s)) == -1 && s[0] == '\0');
	frame_buf_free(&b);

	frame_buf_init(&b, 64);
	frame_buf_str(&b, "12345678");
	frame_buf_str(&b, "1234567");
	frame_from_buf(&f, &b);
	frame_rd_init(&rd, &f);
	CHECK("rd: string too long for the buffer fails",
	    frame_rd_str(&rd, s, sizeof(s)) == -1);
	rd.p = b.data + 12;
	rd.left = b.len - 12;
	rd.failed = 0;
	CHECK("rd: string that just fits",
	    frame_rd_str(&rd, s, sizeof(s)) == 0 &&
	    strcmp(s, "1234567") == 0 && frame_rd_end(&rd) == 0);
	frame_buf_free(&b);

	frame_buf_init(&b, 64);
	frame_buf_blob(&b, "0123456789", 10);
	frame_from_buf(&f, &b);
	frame_rd_init(&rd, &f);
	CHECK("rd: blob over max fails",
	    frame_rd_blob(&rd, &blob, &bloblen, 9) == -1 && blob == NULL &&
	    bloblen == 0);
	frame_rd_init(&rd, &f);
	CHECK("rd: blob at max",
	    frame_rd_blob(&rd, &blob, &bloblen, 10) == 0 && bloblen == 10 &&
	    memcmp(blob, "0123456789", 10) == 0 && frame_rd_end(&rd) == 0);
	frame_buf_free(&b);

	frame_buf_init(&b, 64);
	frame_buf_u32(&b, 1000);	/* a blob length past the end */
	frame_buf_u64(&b, 5);
	frame_buf_str(&b, "x");
	frame_from_buf(&f, &b);
	frame_rd_init(&rd, &f);
	ok = frame_rd_blob(&rd, &blob, &bloblen, 2000) == -1;
	CHECK("rd: every read after a failure fails",
	    ok && frame_rd_u8(&rd, &v8) == -1 &&
	    frame_rd_u32(&rd, &v32) == -1 && frame_rd_u64(&rd, &v64) == -1 &&
	    frame_rd_bytes(&rd, raw, 0) == -1 &&
	    frame_rd_str(&rd, s, sizeof(s)) == -1 &&
	    frame_rd_blob(&rd, &blob, &bloblen, 10) == -1 &&
	    frame_rd_end(&rd) == -1);
	frame_buf_free(&b);
}

static void
test_builders(void)
{
	struct frame_buf b;
	uint32_t	 len;
	int		 i, ok = 1;

	frame_buf_init(&b, 10);
	frame_buf_u64(&b, 1);
	CHECK("buf: max exceeded sets failed",
	    frame_buf_u32(&b, 2) == -1 && b.failed && b.len == 8 &&
	    b.cap <= 10);
	CHECK("buf: later writes fail", frame_buf_u8(&b, 3) == -1 &&
	    frame_buf_bytes(&b, "", 0) == -1 && b.len == 8);
	frame_buf_free(&b);
	CHECK("buf: free resets", b.data == NULL && b.len == 0 && b.cap == 0);

	frame_buf_init(&b, 1000);
	for (i = 0; i < 1000; i++)
		if (frame_buf_u8(&b, (uint8_t)i) == -1)
			ok = 0;
	CHECK("buf: grows up to exactly max",
	    ok && b.len == 1000 && b.cap == 1000 && !b.failed &&
	    b.data[999] == (uint8_t)999 && frame_buf_u8(&b, 0) == -1);
	frame_buf_free(&b);

	frame_buf_init(&b, 64);
	frame_buf_str(&b, "abc");
	memcpy(&len, b.data, sizeof(len));
	CHECK("buf: str is a length and the bytes, no NUL",
	    b.len == 7 && len == 3 && memcmp(b.data + 4, "abc", 3) == 0);
	CHECK("buf: blob that does not fit writes nothing",
	    frame_buf_blob(&b, "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789", 80) == -1 &&
	    b.len == 7 && b.failed);
	frame_buf_free(&b);
}

static void
test_chan_frames(void)
{
	struct peer	 a, b;
	uint8_t		*big, data[100];
	int		 sv[2], ok, i;

	loop_setup();
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	peer_init(&a);
	peer_init(&b);
	peer_open(&a, sv[0], FRAME_PAYLOAD_MAX, "a");
	peer_open(&b, sv[1], FRAME_PAYLOAD_MAX, "b");

	ok = 1;
	for (i = 0; i < 5; i++) {
		pattern_fill(data, i * 20, i + 1);
		if (frame_send(a.chan, MSG_HEALTH, i + 1, -1, data,
		    i * 20) == -1)
			ok = 0;
	}
	CHECK("chan: frames queued", ok);
	loop_until(&b.nframes, 5);
	ok = b.nframes == 5 && b.pattern_ok;
	for (i = 0; ok && i < 5; i++)
		ok = b.type[i] == MSG_HEALTH && b.id[i] == (uint32_t)i + 1 &&
		    b.len[i] == (uint32_t)i * 20;
	CHECK("chan: several frames arrive in order", ok);

	big = malloc(600 * 1024);
	pattern_fill(big, 600 * 1024, 99);
	frame_send(a.chan, MSG_CONFIG, 99, -1, big, 600 * 1024);
	CHECK("chan: large frame left pending for the write event",
	    evbuffer_get_length(a.chan->out) > 0);
	loop_until(&b.nframes, 6);
	CHECK("chan: large frame arrives intact",
	    b.nframes == 6 && b.len[5] == 600 * 1024 && b.pattern_ok &&
	    evbuffer_get_length(a.chan->out) == 0);
	free(big);

	b.echo = 1;
	pattern_fill(data, 50, 7);
	frame_send(a.chan, MSG_HEALTH, 7, -1, data, 50);
	frame_send(a.chan, MSG_HEALTH, 8, -1, NULL, 0);
	loop_until(&a.nframes, 2);
	CHECK("chan: frame_send from inside the callback",
	    a.nframes == 2 && a.type[0] == MSG_HEALTH_RESULT &&
	    a.id[0] == 7 && a.len[0] == 50 && a.id[1] == 8 &&
	    a.len[1] == 0 && a.pattern_ok);

	errno = 0;
	CHECK("chan: frame_send refuses an unknown type",
	    frame_send(a.chan, MSG_MAX, 1, -1, NULL, 0) == -1 &&
	    errno == EINVAL);
	peer_close(&b);
	b.chan = frame_chan_new(base, -1, 16, peer_cb, peer_closecb, &b,
	    "bad");
	CHECK("chan: frame_chan_new fails on a bad descriptor",
	    b.chan == NULL);
	peer_close(&a);
	loop_teardown();
}

static void
test_chan_limits(void)
{
	struct peer	 a;
	struct frame_buf fb;
	uint8_t		 data[65];
	int		 sv[2];

	loop_setup();
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	peer_init(&a);
	peer_open(&a, sv[0], 64, "a");
	memset(data, 0, sizeof(data));
	errno = 0;
	CHECK("chan: frame_send refuses a payload over the bound",
	    frame_send(a.chan, MSG_HEALTH, 1, -1, data, 65) == -1 &&
	    errno == EMSGSIZE);
	frame_buf_init(&fb, 4);
	frame_buf_u64(&fb, 1);
	CHECK("chan: frame_send_buf refuses a failed buffer",
	    frame_send_buf(a.chan, MSG_HEALTH, 1, -1, &fb) == -1);
	frame_buf_free(&fb);
	CHECK("chan: takefd on an empty queue",
	    frame_chan_takefd(a.chan) == -1);
	peer_close(&a);
	close(sv[1]);
	loop_teardown();
}

static void
test_chan_fds(void)
{
	struct peer	 a, b;
	uint8_t		*big;
	int		 sv[2], p1[2], p2[2], devnull, sndbuf = 4096;
	int		 i, n, ok;

	loop_setup();
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	must(pipe(p1) == 0 && pipe(p2) == 0, "pipe");
	peer_init(&a);
	peer_init(&b);
	peer_open(&a, sv[0], FRAME_PAYLOAD_MAX, "a");

	/* Fill the socket so that what follows has to wait. */
	big = calloc(1, 512 * 1024);
	frame_send(a.chan, MSG_CONFIG, 0, -1, big, 512 * 1024);
	free(big);
	frame_send(a.chan, MSG_KEYD_CHANNEL, 1, p1[1], NULL, 0);
	frame_send(a.chan, MSG_HEALTH, 2, -1, NULL, 0);
	frame_send(a.chan, MSG_SERVER_KEYD, 3, p2[1], NULL, 0);
	devnull = open("/dev/null", O_RDWR);
	ok = 1;
	for (i = 0; i < FRAME_FDQ_MAX - 2; i++)
		if (frame_send(a.chan, MSG_KEYD_CHANNEL, 4 + i, dup(devnull),
		    NULL, 0) == -1)
			ok = 0;
	CHECK("chan: descriptors queue up behind a full socket",
	    ok && a.chan->fdq_out_len == FRAME_FDQ_MAX);
	errno = 0;
	n = dup(devnull);
	CHECK("chan: frame_send fails when the descriptor queue is full",
	    frame_send(a.chan, MSG_KEYD_CHANNEL, 99, n, NULL, 0) == -1 &&
	    errno == ENOBUFS);
	close(n);

	peer_open(&b, sv[1], FRAME_PAYLOAD_MAX, "b");
	loop_until(&b.nframes, FRAME_FDQ_MAX + 2);
	ok = b.nframes == FRAME_FDQ_MAX + 2 && b.fd[0] == -1 &&
	    b.fd[1] != -1 && b.fd[2] == -1 && b.fd[3] != -1;
	for (i = 4; ok && i < b.nframes; i++)
		ok = b.fd[i] != -1;
	CHECK("chan: every descriptor arrives with its frame", ok);
	CHECK("chan: no descriptor arrives ahead of its frame", b.maxq == 1);
	CHECK("chan: first passed descriptor works",
	    ok && fd_works(b.fd[1], p1[0]));
	CHECK("chan: second passed descriptor works, order kept",
	    ok && fd_works(b.fd[3], p2[0]));
	CHECK("chan: no stray descriptor left",
	    frame_chan_takefd(b.chan) == -1 && a.chan->fdq_out_len == 0);
	close(devnull);
	close(p1[0]);
	close(p2[0]);
	peer_close(&a);
	peer_close(&b);
	loop_teardown();
}

static void
dribble_child(int fd)
{
	uint8_t	 buf[64];
	size_t	 i, n;

	n = mkframe(buf, MSG_HEALTH, 30, 5);
	for (i = 0; i < n; i++) {
		if (write(fd, buf + i, 1) != 1)
			_exit(1);
		usleep(1000);
	}
	_exit(0);
}

static void
test_chan_dribble(void)
{
	struct peer	 a;
	pid_t		 pid;
	int		 sv[2], status = -1;

	loop_setup();
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	if ((pid = fork()) == 0) {
		close(sv[0]);
		dribble_child(sv[1]);
	}
	close(sv[1]);
	peer_init(&a);
	peer_open(&a, sv[0], 1024, "dribble");
	loop_until(&a.nclosed, 1);
	loop_settle();
	waitpid(pid, &status, 0);
	CHECK("chan: frame written one byte at a time arrives whole",
	    a.nframes == 1 && a.id[0] == 5 && a.len[0] == 30 &&
	    a.pattern_ok && status == 0);
	CHECK("chan: peer close calls closecb once", a.nclosed == 1);
	errno = 0;
	CHECK("chan: frame_send on a closed channel fails",
	    frame_send(a.chan, MSG_HEALTH, 1, -1, NULL, 0) == -1 &&
	    errno == EPIPE);
	peer_close(&a);
	loop_teardown();
}

/* A channel fed by raw bytes from the other end of a socketpair. */
static void
run_raw(struct peer *p, const uint8_t *bytes, size_t len, int keep_open)
{
	int	 sv[2];

	loop_setup();
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	must(peer_open(p, sv[0], 1024, "raw") == 0, "frame_chan_new");
	must(write(sv[1], bytes, len) == (ssize_t)len, "write");
	if (!keep_open)
		close(sv[1]);
	loop_until_gone(p);
	loop_settle();
	if (keep_open)
		close(sv[1]);
	peer_close(p);
	loop_teardown();
}

static void
test_chan_hostile(void)
{
	struct peer	 p;
	uint8_t		 buf[8192];
	size_t		 n;

	n = mkframe(buf, MSG_HEALTH, 4, 1);
	n += mkframe(buf + n, 0x7fff, 4, 2);
	n += mkframe(buf + n, MSG_HEALTH, 4, 3);
	peer_init(&p);
	run_raw(&p, buf, n, 1);
	CHECK("chan: unknown type closes the channel, closecb once",
	    p.nframes == 1 && p.id[0] == 1 && p.nclosed == 1);

	n = mkframe(buf, MSG_HEALTH, 4, 1);
	n += mkframe(buf + n, MSG_HEALTH, 1025, 2) - 1025;
	peer_init(&p);
	run_raw(&p, buf, n, 1);
	CHECK("chan: oversized header closes without waiting for payload",
	    p.nframes == 1 && p.nclosed == 1);

	n = 0;
	while (n < 4 * 20)
		n += mkframe(buf + n, MSG_HEALTH, 4, n / 20 + 1);
	peer_init(&p);
	p.fail_at = 2;
	run_raw(&p, buf, n, 1);
	CHECK("chan: callback returning -1 closes, closecb once",
	    p.nframes == 2 && p.nclosed == 1);

	peer_init(&p);
	p.free_at = 1;
	run_raw(&p, buf, n, 1);
	CHECK("chan: frame_chan_free inside the callback",
	    p.nframes == 1 && p.nclosed == 0 && p.chan == NULL);

	peer_init(&p);
	p.free_in_close = 1;
	run_raw(&p, buf, n, 0);
	CHECK("chan: frame_chan_free inside closecb",
	    p.nframes == 4 && p.nclosed == 1 && p.chan == NULL);
}

/* One sendmsg() of buf with the descriptors fds (nfd of them). */
static int
send_fds(int fd, const void *buf, size_t len, const int *fds, int nfd)
{
	union {
		struct cmsghdr	 hdr;
		unsigned char	 buf[CMSG_SPACE(sizeof(int) * 2)];
	}		 cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfd > 0) {
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfd);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfd);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfd);
	}
	return sendmsg(fd, &msg, 0) == (ssize_t)len ? 0 : -1;
}

/*
 * A channel reads what was written to the other end of a socketpair
 * before it opened; the other end stays open until the loop is done.
 * Returns how many descriptors the process holds more than before,
 * once the writer's own copies are closed and the channel is freed.
 */
static int
run_fds(struct peer *p, void (*writer)(int, int), void (*late)(int, int))
{
	int	 sv[2], devnull, before, after;

	loop_setup();
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	devnull = open("/dev/null", O_RDONLY);
	before = count_fds();
	writer(sv[1], devnull);
	must(peer_open(p, sv[0], 1024, "fds") == 0, "frame_chan_new");
	if (late != NULL) {
		loop_settle();
		late(sv[1], devnull);
	}
	loop_until_gone(p);
	loop_settle();
	after = count_fds();
	close(sv[1]);
	close(devnull);
	peer_close(p);
	loop_teardown();
	return after - before;
}

/* The hostile case of issue 13: a descriptor on a frame without one. */
static void
w_fd_on_health(int fd, int pass)
{
	int	 i;

	for (i = 0; i < 3; i++)
		frame_write_blocking(fd, MSG_HEALTH, i, pass, NULL, 0);
}

/* Honest: a frame without, then one with, most likely in one read. */
static void
w_fd_after_plain(int fd, int pass)
{
	frame_write_blocking(fd, MSG_HEALTH, 1, -1, NULL, 0);
	frame_write_blocking(fd, MSG_KEYD_CHANNEL, 2, pass, NULL, 0);
	frame_write_blocking(fd, MSG_HEALTH, 3, -1, NULL, 0);
}

static void
w_fd_untaken(int fd, int pass)
{
	int	 i;

	for (i = 0; i < FRAME_FDQ_MAX + 4; i++)
		frame_write_blocking(fd, MSG_KEYD_CHANNEL, i, pass, NULL, 0);
}

static void
w_fd_missing(int fd, int pass)
{
	frame_write_blocking(fd, MSG_HEALTH, 1, -1, NULL, 0);
	frame_write_blocking(fd, MSG_KEYD_CHANNEL, 2, -1, NULL, 0);
}

/*
 * A descriptor that comes with bytes in the middle of a frame, once the
 * start of the frame was read.
 */
static void
w_fd_midframe(int fd, int pass)
{
	uint8_t	 buf[FRAME_HDR_SIZE + 100];

	mkframe(buf, MSG_KEYD_CHANNEL, 100, 1);
	must(write(fd, buf, 40) == 40, "write");
}

static void
w_fd_midframe_late(int fd, int pass)
{
	uint8_t	 buf[FRAME_HDR_SIZE + 100];
	size_t	 n;

	n = mkframe(buf, MSG_KEYD_CHANNEL, 100, 1);
	must(send_fds(fd, buf + 40, 10, &pass, 1) == 0, "sendmsg");
	must(write(fd, buf + 50, n - 50) == (ssize_t)n - 50, "write");
}

/* Descriptors with single bytes of a header: the queue's bound. */
static void
w_fd_bytes(int fd, int pass)
{
	uint8_t	 buf[FRAME_HDR_SIZE];
	int	 i;

	mkframe(buf, MSG_HEALTH, 0, 1);
	for (i = 0; i < FRAME_FDQ_IN_MAX + 1; i++)
		must(send_fds(fd, buf + i, 1, &pass, 1) == 0, "sendmsg");
}

static void
w_fd_two(int fd, int pass)
{
	uint8_t	 buf[FRAME_HDR_SIZE];
	int	 two[2];

	two[0] = two[1] = pass;
	mkframe(buf, MSG_KEYD_CHANNEL, 0, 1);
	must(send_fds(fd, buf, sizeof(buf), two, 2) == 0, "sendmsg");
}

static void
test_chan_fdcheck(void)
{
	struct peer	 p;
	int		 grown;

	peer_init(&p);
	grown = run_fds(&p, w_fd_on_health, NULL);
	CHECK("fdcheck: a descriptor on a frame of a type without one "
	    "closes the channel", p.nframes == 0 && p.nclosed == 1);
	CHECK("fdcheck: ... and the descriptor is closed", grown == 0);

	peer_init(&p);
	grown = run_fds(&p, w_fd_after_plain, NULL);
	CHECK("fdcheck: a frame without one, then one with, in one read",
	    p.nframes == 3 && p.nclosed == 0 && p.fd[0] == -1 &&
	    p.fd[1] != -1 && p.fd[2] == -1);
	CHECK("fdcheck: ... the descriptor is the callback's", grown == 1);
	if (grown == 1)
		close(p.fd[1]);

	peer_init(&p);
	p.notake = 1;
	grown = run_fds(&p, w_fd_untaken, NULL);
	CHECK("fdcheck: descriptors the callback leaves are closed",
	    p.nframes == FRAME_FDQ_MAX + 4 && p.nclosed == 0 && grown == 0);

	peer_init(&p);
	grown = run_fds(&p, w_fd_missing, NULL);
	CHECK("fdcheck: a frame of a type with one, without it, closes",
	    p.nframes == 1 && p.nclosed == 1 && grown == 0);

	peer_init(&p);
	grown = run_fds(&p, w_fd_midframe, w_fd_midframe_late);
	CHECK("fdcheck: a descriptor in the middle of a frame closes",
	    p.nframes == 0 && p.nclosed == 1 && grown == 0);

	peer_init(&p);
	grown = run_fds(&p, w_fd_bytes, NULL);
	CHECK("fdcheck: the queue of received descriptors is bounded",
	    p.nframes == 0 && p.nclosed == 1 && grown == 0);

	peer_init(&p);
	grown = run_fds(&p, w_fd_two, NULL);
	CHECK("fdcheck: two descriptors in one read close the channel",
	    p.nframes == 0 && p.nclosed == 1 && grown == 0);
}

static void
test_chan_epipe(void)
{
	struct peer	 p;
	int		 sv[2], rv;

	loop_setup();
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	peer_init(&p);
	peer_open(&p, sv[0], 1024, "epipe");
	close(sv[1]);
	rv = frame_send(p.chan, MSG_HEALTH, 1, -1, "x", 1);
	CHECK("chan: send to a closed peer does not call closecb at once",
	    rv == 0 && p.nclosed == 0 && p.chan->dead);
	loop_until(&p.nclosed, 1);
	loop_settle();
	CHECK("chan: send to a closed peer calls closecb once, later",
	    p.nclosed == 1);
	peer_close(&p);
	loop_teardown();
}

static void
test_blocking(void)
{
	struct frame_hdr hdr;
	uint8_t		 data[1100], *payload;
	int		 sv[2], p[2], rfd, rv, ok, n;

	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	must(pipe(p) == 0, "pipe");
	pattern_fill(data, sizeof(data), 21);
	ok = frame_write_blocking(sv[0], MSG_SERVER_KEYD, 21, p[1], data,
	    300) == 0 &&
	    frame_write_blocking(sv[0], MSG_READY, 22, -1, NULL, 0) == 0;
	close(p[1]);
	rv = frame_read_blocking(sv[1], 1024, &hdr, &payload, &rfd);
	CHECK("blocking: frame with a descriptor",
	    ok && rv == 0 && hdr.type == MSG_SERVER_KEYD && hdr.id == 21 &&
	    hdr.len == 300 && hdr.pid == (uint32_t)getpid() &&
	    pattern_check(payload, hdr.len, 21) && rfd != -1);
	CHECK("blocking: received descriptor works",
	    rfd != -1 && fd_works(rfd, p[0]));
	if (rfd != -1)
		close(rfd);
	free(payload);
	rv = frame_read_blocking(sv[1], 1024, &hdr, &payload, &rfd);
	CHECK("blocking: exactly one frame read at a time",
	    rv == 0 && hdr.type == MSG_READY && hdr.id == 22 &&
	    hdr.len == 0 && payload != NULL && rfd == -1);
	free(payload);
	close(p[0]);

	must(write(sv[0], "GET / HTTP/1.1\r\n", 16) == 16, "write");
	errno = 0;
	rv = frame_read_blocking(sv[1], 1024, &hdr, &payload, &rfd);
	CHECK("blocking: invalid header rejected",
	    rv == -1 && errno == EBADMSG && payload == NULL && rfd == -1);

	frame_write_blocking(sv[0], MSG_HEALTH, 1, -1, data, 1025);
	errno = 0;
	rv = frame_read_blocking(sv[1], 1024, &hdr, &payload, &rfd);
	CHECK("blocking: oversized frame rejected", rv == -1 &&
	    errno == EMSGSIZE);

	close(sv[0]);
	close(sv[1]);

	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	n = count_fds();
	must(pipe(p) == 0, "pipe");
	frame_write_blocking(sv[0], MSG_READY, 1, p[0], NULL, 0);
	close(p[0]);
	close(p[1]);
	errno = 0;
	rv = frame_read_blocking(sv[1], 1024, &hdr, &payload, &rfd);
	CHECK("blocking: a descriptor on a type without one refused, closed",
	    rv == -1 && errno == EBADMSG && rfd == -1 && count_fds() == n);
	if (rv == 0) {
		free(payload);
		if (rfd != -1)
			close(rfd);
	}
	frame_write_blocking(sv[0], MSG_SERVER_KEYD, 1, -1, NULL, 0);
	errno = 0;
	rv = frame_read_blocking(sv[1], 1024, &hdr, &payload, &rfd);
	CHECK("blocking: a type with a descriptor refused without it",
	    rv == -1 && errno == EBADMSG && rfd == -1);
	if (rv == 0)
		free(payload);

	close(sv[0]);
	close(sv[1]);

	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	must(write(sv[0], data, 10) == 10, "write");
	close(sv[0]);
	errno = 0;
	rv = frame_read_blocking(sv[1], 1024, &hdr, &payload, &rfd);
	CHECK("blocking: end of file inside a header", rv == -1 &&
	    errno == ECONNRESET && payload == NULL && rfd == -1);
	close(sv[1]);
}

/* Read three frames, each with a descriptor that points to sv_check. */
static int
flush_child(int fd)
{
	struct frame_hdr hdr;
	uint8_t		*payload;
	int		 i, rfd, ok = 1;

	for (i = 0; i < 3; i++) {
		if (frame_read_blocking(fd, FRAME_PAYLOAD_MAX, &hdr, &payload,
		    &rfd) == -1)
			return 1;
		if (hdr.id != (uint32_t)i || hdr.len != 300 * 1024 ||
		    !pattern_check(payload, hdr.len, i) || rfd == -1 ||
		    write(rfd, "k", 1) != 1)
			ok = 0;
		if (rfd != -1)
			close(rfd);
		free(payload);
	}
	return ok ? 0 : 1;
}

static void
test_flush_blocking(void)
{
	struct peer	 a;
	uint8_t		*big;
	char		 got[4];
	pid_t		 pid;
	int		 sv[2], p[2], i, status = -1, ok = 1;

	loop_setup();
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	must(pipe(p) == 0, "pipe");
	peer_init(&a);
	peer_open(&a, sv[0], FRAME_PAYLOAD_MAX, "flush");
	big = malloc(300 * 1024);
	for (i = 0; i < 3; i++) {
		pattern_fill(big, 300 * 1024, i);
		if (frame_send(a.chan, MSG_KEYD_CHANNEL, i, dup(p[1]), big,
		    300 * 1024) == -1)
			ok = 0;
	}
	free(big);
	close(p[1]);
	CHECK("flush: output pending before the flush",
	    ok && evbuffer_get_length(a.chan->out) > 0);
	/* The reader starts only now, so that the flush has to wait. */
	if ((pid = fork()) == 0) {
		close(sv[0]);
		close(p[0]);
		_exit(flush_child(sv[1]));
	}
	close(sv[1]);
	ok = frame_flush_blocking(a.chan) == 0 &&
	    evbuffer_get_length(a.chan->out) == 0 &&
	    a.chan->fdq_out_len == 0;
	waitpid(pid, &status, 0);
	CHECK("flush: child read every frame and descriptor",
	    ok && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    read(p[0], got, sizeof(got)) == 3);
	close(p[0]);
	peer_close(&a);
	loop_teardown();
}

/*
 * frame_flush_within(): a peer that does not read makes it give up in
 * time, leaving the output queued; once the peer reads, it succeeds.
 * frame_chan_shutdown(): the peer reads what was written, then EOF.
 */
static void
test_flush_within(void)
{
	struct peer	 a;
	struct timespec	 t0, t1;
	uint8_t		*big, buf[65536];
	ssize_t		 n;
	size_t		 total = 0;
	int		 sv[2], rv, ms;

	loop_setup();
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	peer_init(&a);
	peer_open(&a, sv[0], FRAME_PAYLOAD_MAX, "within");
	big = calloc(1, 900 * 1024);
	rv = frame_send(a.chan, MSG_HEALTH, 1, -1, big, 900 * 1024);
	free(big);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rv = rv == 0 ? frame_flush_within(a.chan, 100) : 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (int)((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000);
	CHECK("within: gives up in time", rv == -1 && errno == ETIMEDOUT &&
	    ms >= 90 && ms < 30000 && evbuffer_get_length(a.chan->out) > 0);
	do {
		while ((n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			total += n;
		rv = frame_flush_within(a.chan, 10);
	} while (rv == -1 && errno == ETIMEDOUT);
	while ((n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		total += n;
	CHECK("within: done once the peer reads", rv == 0 &&
	    evbuffer_get_length(a.chan->out) == 0 &&
	    total == FRAME_HDR_SIZE + 900 * 1024);
	rv = frame_send(a.chan, MSG_HEALTH, 2, -1, "x", 1);
	frame_chan_shutdown(a.chan);
	n = read(sv[1], buf, sizeof(buf));
	CHECK("shutdown: the peer reads what was sent, then EOF",
	    rv == 0 && n == FRAME_HDR_SIZE + 1 && read(sv[1], buf, 1) == 0);
	close(sv[1]);
	peer_close(&a);
	loop_teardown();
}

/*
 * The output cap: a peer that sends requests and does not read the
 * answers makes the channel stop reading once the answers queued pass
 * the high mark; it reads and answers the rest once the peer drains.
 */
#define CAP_ANSWER	(100 * 1024)
#define CAP_HIGH	(300 * 1024)
#define CAP_LOW		(100 * 1024)
#define CAP_REQUESTS	20

struct cap_peer {
	int		 nframes;
	size_t		 maxq;		/* most output queued after a send */
	uint8_t		*answer;
};

static int
cap_cb(struct frame_chan *chan, struct frame *frame, void *arg)
{
	struct cap_peer	*cp = arg;

	cp->nframes++;
	if (frame_send(chan, MSG_HEALTH_RESULT, frame->hdr.id, -1,
	    cp->answer, CAP_ANSWER) == -1)
		return -1;
	if (frame_chan_queued(chan) > cp->maxq)
		cp->maxq = frame_chan_queued(chan);
	return 0;
}

static void
test_chan_outcap(void)
{
	struct frame_chan	*chan;
	struct cap_peer		 cp;
	uint8_t			 req[FRAME_HDR_SIZE * (CAP_REQUESTS + 1)];
	uint8_t			 buf[65536];
	size_t			 want, got = 0, i;
	ssize_t			 n;
	time_t			 deadline;
	int			 sv[2], paused, stopped;

	loop_setup();
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	memset(&cp, 0, sizeof(cp));
	cp.answer = calloc(1, CAP_ANSWER);
	must(cp.answer != NULL, "calloc");
	chan = frame_chan_new(base, sv[0], FRAME_PAYLOAD_MAX, cap_cb, NULL,
	    &cp, "cap");
	must(chan != NULL, "frame_chan_new");
	frame_chan_set_outcap(chan, CAP_HIGH, CAP_LOW);
	for (i = 0; i < CAP_REQUESTS + 1; i++)
		mkframe(req + i * FRAME_HDR_SIZE, MSG_HEALTH, 0, i + 1);
	must(write(sv[1], req, FRAME_HDR_SIZE * CAP_REQUESTS) ==
	    FRAME_HDR_SIZE * CAP_REQUESTS, "write");
	loop_settle();
	paused = chan->out_paused;
	stopped = cp.nframes;
	CHECK("outcap: stops answering past the cap", paused &&
	    stopped > 0 && stopped < CAP_REQUESTS &&
	    frame_chan_queued(chan) > CAP_HIGH &&
	    cp.maxq <= CAP_HIGH + FRAME_HDR_SIZE + CAP_ANSWER);
	/* A request sent now is not read either. */
	must(write(sv[1], req + CAP_REQUESTS * FRAME_HDR_SIZE,
	    FRAME_HDR_SIZE) == FRAME_HDR_SIZE, "write");
	loop_settle();
	CHECK("outcap: reads nothing while over the cap",
	    cp.nframes == stopped && chan->out_paused);
	want = (size_t)(CAP_REQUESTS + 1) * (FRAME_HDR_SIZE + CAP_ANSWER);
	deadline = time(NULL) + 10;
	while (got < want && time(NULL) < deadline) {
		if ((n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			got += n;
			event_base_loop(base, EVLOOP_NONBLOCK);
		} else
			event_base_loop(base, EVLOOP_ONCE);
	}
	loop_settle();
	CHECK("outcap: answers everything once the peer reads",
	    got == want && cp.nframes == CAP_REQUESTS + 1 &&
	    !chan->out_paused && frame_chan_queued(chan) == 0 &&
	    cp.maxq <= CAP_HIGH + FRAME_HDR_SIZE + CAP_ANSWER);
	frame_chan_free(chan);
	close(sv[1]);
	free(cp.answer);
	loop_teardown();
}

/*
 * The send hook (keyd holds answers with it): a frame it takes is not
 * queued, the others are; frame_chan_sent() counts what was written.
 */
static int
hook_take_health(struct frame_chan *chan, uint32_t type, uint32_t id,
    const void *data, size_t len, void *arg)
{
	int	*taken = arg;

	if (type != MSG_HEALTH)
		return 0;
	(*taken)++;
	return 1;
}

static void
test_chan_sendhook(void)
{
	struct frame_chan	*chan;
	uint8_t			 buf[256];
	ssize_t			 n;
	int			 sv[2], taken = 0;

	loop_setup();
	must(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	chan = frame_chan_new(base, sv[0], FRAME_PAYLOAD_MAX, cap_cb, NULL,
	    NULL, "hook");
	must(chan != NULL, "frame_chan_new");
	frame_chan_set_sendhook(chan, hook_take_health, &taken);
	CHECK("sendhook: a taken frame is not queued",
	    frame_send(chan, MSG_HEALTH, 1, -1, "ab", 2) == 0 &&
	    taken == 1 && frame_chan_queued(chan) == 0 &&
	    frame_chan_sent(chan) == 0);
	CHECK("sendhook: the others go out, and are counted",
	    frame_send(chan, MSG_HEALTH_RESULT, 2, -1, "abc", 3) == 0 &&
	    taken == 1 && frame_chan_sent(chan) == FRAME_HDR_SIZE + 3);
	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	CHECK("sendhook: the peer reads only the frame not taken",
	    n == FRAME_HDR_SIZE + 3);
	frame_chan_free(chan);
	close(sv[1]);
	loop_teardown();
}

int
main(void)
{
	int	 nfd;

	log_init(1, LOG_DAEMON);
	log_procinit("test_frame");
	nfd = count_fds();

	test_decode();
	test_readers();
	test_builders();
	test_chan_frames();
	test_chan_limits();
	test_chan_fds();
	test_chan_dribble();
	test_chan_hostile();
	test_chan_fdcheck();
	test_chan_epipe();
	test_blocking();
	test_flush_blocking();
	test_flush_within();
	test_chan_outcap();
	test_chan_sendhook();

	CHECK("no descriptor leaked", count_fds() == nfd);
	return regress_exit();
}
