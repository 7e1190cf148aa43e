/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The mail process ("tokend: mail"): one, started by the parent like an
 * item process, with its own user and chroot.  It holds no secret and
 * no database: keyd hands it finished mails, one at a time, on the
 * channel the parent made between them, and it delivers each to the
 * configured relay (smtp.c) and says what became of it.  Whether a mail
 * is tried again is keyd's decision, from its outbox.
 *
 * A delivery runs to its end inside the dispatch, every step bounded by
 * the mail timeout: keyd sends the next mail only once it has the
 * answer, and the parent only ever sends a reload or a shutdown.
 */
#include <sys/types.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "proto.h"
#include "sandbox.h"
#include "tokend.h"

static int	 maild_parent_dispatch(struct frame_chan *, struct frame *,
		    void *);
static void	 maild_parent_closed(struct frame_chan *, void *);
static int	 maild_keyd_dispatch(struct frame_chan *, struct frame *,
		    void *);
static void	 maild_keyd_closed(struct frame_chan *, void *);
static void	 maild_reload(struct frame *, void *);
static void	 maild_signal(evutil_socket_t, short, void *);
static SSL_CTX	*maild_tls(const char *);

static struct {
	struct tokend_config	*conf;
	struct event_base	*base;
	struct frame_chan	*parent;
	struct frame_chan	*keyd;
	SSL_CTX			*tls;	/* with starttls yes */
} maild;

/*
 * Before the chroot: the TLS client context, with the certificates that
 * may sign the relay's (ca-file), TLS 1.2 at least.  OpenSSL reads its
 * configuration here too, never later.
 */
static SSL_CTX *
maild_tls(const char *cafile)
{
	SSL_CTX	*ctx;

	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1 ||
	    (ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		fatalx("mail: cannot set up TLS");
	if (SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1)
		fatalx("mail ca-file %s: %s", cafile,
		    ERR_reason_error_string(ERR_peek_last_error()) != NULL ?
		    ERR_reason_error_string(ERR_peek_last_error()) :
		    "cannot be read");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ERR_clear_error();
	return ctx;
}

int
maild_main(int verbose)
{
	struct privsep_user	 pu;
	uint32_t		 slot;
	int			 root = privsep_is_root();

	log_procinit("mail");
	maild.conf = child_receive_config(&slot);
	if (root) {
		privsep_lookup(maild.conf->mail_user, &pu);
		privsep_check_chroot(maild.conf->mail_chroot);
	}
	if (maild.conf->mail_starttls)
		maild.tls = maild_tls(maild.conf->mail_ca_file);
	if ((maild.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	maild.parent = frame_chan_new(maild.base, PROTO_FD_PARENT,
	    PROTO_CHILD_MAX, maild_parent_dispatch, maild_parent_closed, NULL,
	    "parent");
	if (maild.parent == NULL)
		fatal("parent channel");
	/* Its log lines go to the parent as frames of this channel. */
	child_log_channel(maild.parent);
	privsep_drop("mail", root ? &pu : NULL, maild.conf->mail_chroot);

	child_signals(maild.base, maild_signal);
	sandbox_enter(SANDBOX_MAIL);
	if (msg_send(maild.parent, MSG_READY, 0, -1, NULL) == -1)
		fatal("send ready");
	log_debug("mail ready, relay %s port %d", maild.conf->mail_relay,
	    maild.conf->mail_port);
	event_base_dispatch(maild.base);
	return 0;
}

static int
maild_parent_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	int	 fd;

	if (!msg_allowed(f->hdr.type, PEER_PARENT, PEER_MAIL)) {
		log_warnx("unexpected %s from the parent",
		    msg_type_name(f->hdr.type));
		return -1;
	}
	if (f->hdr.type != MSG_MAIL_KEYD)
		return child_parent_message(f, maild.base, maild_reload, NULL);
	if (msg_read(f, MSG_MAIL_KEYD, NULL) == -1 ||
	    (fd = frame_chan_takefd(chan)) == -1)
		return -1;
	if (maild.keyd != NULL)
		frame_chan_free(maild.keyd);
	maild.keyd = frame_chan_new(maild.base, fd, PROTO_MAIL_MAX,
	    maild_keyd_dispatch, maild_keyd_closed, NULL, "keyd");
	if (maild.keyd == NULL)
		fatal("keyd channel");
	log_debug("mail: channel to keyd");
	return 0;
}

static void
maild_parent_closed(struct frame_chan *chan, void *arg)
{
	log_warnx("lost the parent, exiting");
	_exit(0);
}

/* keyd's one request: deliver this mail. */
static int
maild_keyd_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	struct msg_mail_send	*m;
	struct msg_mail_result	 r;
	struct smtp_relay	 relay;
	char			 why[MAIL_REPLY_MAX + 1];

	if (!msg_allowed(f->hdr.type, PEER_KEYD, PEER_MAIL) ||
	    f->hdr.type != MSG_MAIL_SEND) {
		log_warnx("mail: keyd sent %s", msg_type_name(f->hdr.type));
		return -1;
	}
	if ((m = malloc(sizeof(*m))) == NULL) {
		log_warn("mail");
		return -1;
	}
	if (msg_read(f, MSG_MAIL_SEND, m) == -1 ||
	    !email_valid(m->rcpt, strlen(m->rcpt))) {
		log_warnx("mail: a malformed mail from keyd");
		free(m);
		return -1;
	}
	relay.host = maild.conf->mail_relay;
	relay.port = maild.conf->mail_port;
	relay.from = maild.conf->mail_from;
	relay.hostname = maild.conf->mail_hostname;
	relay.timeout = maild.conf->mail_timeout;
	relay.tls = maild.conf->mail_starttls ? maild.tls : NULL;
	relay.tls_name = maild.conf->mail_tls_name;
	r.row = m->row;
	r.status = smtp_send(&relay, m->rcpt, m->data, m->data_len, why,
	    sizeof(why));
	r.reply = why;
	log_debug("mail %llu: %s: %s", (unsigned long long)m->row,
	    r.status == MAIL_SENT ? "sent" : r.status == MAIL_TEMPFAIL ?
	    "temporary failure" : "refused", why);
	free(m);
	if (msg_send(chan, MSG_MAIL_RESULT, f->hdr.id, -1, &r) == -1)
		log_warnx("mail: cannot answer keyd");
	return 0;
}

/*
 * keyd went away, or closed the channel on something it did not like:
 * exit, so that the parent starts a mail process again and links it to
 * keyd (the one that is, or the next).
 */
static void
maild_keyd_closed(struct frame_chan *chan, void *arg)
{
	log_debug("mail: the channel to keyd closed, exiting");
	_exit(0);
}

static void
maild_reload(struct frame *f, void *arg)
{
	struct tokend_config	*conf;
	const char		*why = NULL;

	if ((conf = child_config_from_frame(f)) == NULL) {
		why = "bad configuration from the parent";
		log_warnx("mail: %s", why);
	} else {
		config_free(maild.conf);
		maild.conf = conf;
		log_debug("mail: configuration reloaded");
	}
	child_reload_done(maild.parent, why);
}

/* SIGTERM or SIGINT: nothing of the mail process outlives it. */
static void
maild_signal(evutil_socket_t sig, short ev, void *arg)
{
	log_debug("mail: signal %d, exiting", (int)sig);
	_exit(0);
}
