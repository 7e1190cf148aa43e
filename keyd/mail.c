/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * keyd's mail: the outbox, the mails that fill it (password reset,
 * invite, registration) and the tokens they carry.
 *
 * Every mail keyd must send is written, finished, into the outbox table
 * of the credential database, in the transaction of the change that
 * causes it (an invite's user row and its mail: both or neither).  keyd
 * hands the mail due first to the mail process, one at a time, and
 * deletes it only when the relay accepted it with 250.  A temporary
 * failure (relay unreachable, timeout, 4xx) is tried again with a
 * back-off until the mail expires, then logged and dropped; a 5xx is
 * logged and dropped.  The outbox outlives keyd: a restarted keyd
 * resumes it.  A mail the relay took but whose answer was lost (keyd
 * or the mail process died in between) is sent again: at least once,
 * never silently lost.
 *
 * A mail's token is a JWT of keyd's secret with Directus's claims, a
 * scope per kind, a jti that must be the user's live one of that scope
 * (mail_tokens: a newer mail, or the token's use, ends the older one)
 * and a binding to the password hash the user has when it is made.
 *
 * Headers are built here from values that cannot hold a CR or LF: the
 * stored email (email_valid()), the configured project and address
 * (printable ASCII, config_check.c) and the link, refused unless
 * printable ASCII without blanks and on the kind's allow list.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "b64url.h"
#include "hash.h"
#include "jwt.h"
#include "keyd.h"
#include "log.h"
#include "proto.h"
#include "sign.h"

#define MAIL_BINDING_BYTES	16	/* of the SHA-256 in "hash" */
#define MAIL_JTI_BYTES		16	/* random, in "jti" */
#define MAIL_JTI_LEN		B64URL_ENCLEN(MAIL_JTI_BYTES)

#define CONF_AT(off, type)	\
	((const type *)(const void *)((const char *)keyd_conf() + (off)))

/*
 * Each kind of mail: its outbox kind, which is also the scope of its
 * token (Directus's scopes); its subject (Directus's); the status a
 * user must have for its token to be used; where the configuration
 * keeps its template, its allow list and its life; the action of the
 * audit trail when its token is used; and the text used when the
 * template cannot be read.
 */
static const struct mail_kind_def {
	const char	*name;
	const char	*subject;
	const char	*status;	/* NULL: the mail carries no token */
	const char	*audit;		/* AUDIT_*: its token used */
	const char	*keyword;	/* its template's, for logs */
	size_t		 template;	/* offsetof struct tokend_config */
	size_t		 ttl;		/* ditto, int64_t ms */
	const char	*fallback;
} mail_kinds[MAIL_KIND_MAX] = {
	[MAIL_RESET] = { "password-reset", "Password Reset Request",
	    "active", AUDIT_RESET, "reset-template",
	    offsetof(struct tokend_config, mail_reset_template),
	    offsetof(struct tokend_config, reset_ttl),
	    "Hello,\n"
	    "\n"
	    "somebody asked to reset the password of {{email}} on "
	    "{{project}}.\n"
	    "To choose a new password, open this link:\n"
	    "\n"
	    "{{url}}\n"
	    "\n"
	    "If you did not ask for it, ignore this mail: your password "
	    "stays as\n"
	    "it is.\n" },
	[MAIL_INVITE] = { "invite", "You've been invited", "invited",
	    AUDIT_INVITE_ACCEPT, "invite-template",
	    offsetof(struct tokend_config, mail_invite_template),
	    offsetof(struct tokend_config, invite_ttl),
	    "Hello,\n"
	    "\n"
	    "you have been invited to {{project}} as {{email}}.\n"
	    "To accept the invitation and choose a password, open this "
	    "link:\n"
	    "\n"
	    "{{url}}\n" },
	[MAIL_VERIFY] = { "pending-registration",
	    "Verify your email address", "unverified", AUDIT_VERIFY,
	    "verify-template",
	    offsetof(struct tokend_config, mail_verify_template),
	    offsetof(struct tokend_config, register_ttl),
	    "Hello,\n"
	    "\n"
	    "somebody signed up to {{project}} with {{email}}.\n"
	    "To confirm that this address is yours, open this link:\n"
	    "\n"
	    "{{url}}\n"
	    "\n"
	    "If it was not you, ignore this mail: the account stays "
	    "unusable.\n" },
	[MAIL_EXISTS] = { "registered-already", "Your account", NULL, NULL,
	    "exists-template",
	    offsetof(struct tokend_config, mail_exists_template),
	    offsetof(struct tokend_config, register_ttl),
	    "Hello,\n"
	    "\n"
	    "somebody tried to sign up to {{project}} with {{email}}, which\n"
	    "has an account already: nothing was changed.\n"
	    "If you forgot your password, ask for a new one on the sign-in\n"
	    "page.  If it was not you, ignore this mail.\n" },
};

/* A token used with a new password, waiting for its hash. */
struct use {
	uint64_t		 chan_serial;
	uint32_t		 id;
	uint32_t		 slot;		/* the worker that asked */
	uint32_t		 pid;
	enum mail_kind		 kind;
	char			 user[STORE_ID_MAX + 1];
	uint8_t			 binding[MAIL_BINDING_BYTES];
	char			 jti[MAIL_JTI_LEN + 1];
	struct audit_client	 client;
};

static void	 mail_timer(evutil_socket_t, short, void *);
static void	 mail_schedule(int64_t);
static int	 mail_dispatch(struct frame_chan *, struct frame *, void *);
static void	 mail_closed(struct frame_chan *, void *);
static char	*mail_template_load(const char *, const char *);
static int	 mail_dispatch_run(struct frame_chan *, struct frame *);
static void	 mail_binding(const struct store_user *, uint8_t *);
static int	 mail_text_safe(const char *);
static int	 mail_put(char *, size_t, size_t *, const char *, size_t);
static int	 mail_body(char *, size_t, size_t *, const char *,
		    const char *, const char *, const char *);
static int	 mail_build(struct store_mail *, enum mail_kind,
		    const char *, const char *);
static int	 mail_token(const struct store_user *, enum mail_kind,
		    const char *, char *, size_t);
static uint32_t	 mail_token_check(const char *, enum mail_kind,
		    struct store_user *, uint8_t *, char *, char *, size_t);
static int	 mail_jti_live(const char *, enum mail_kind, const char *);
static void	 mail_token_hashed(enum hash_result, const char *, void *);
static uint32_t	 mail_token_apply(struct use *, const char *);

static struct {
	struct event_base	*base;
	struct frame_chan	*chan;		/* to the mail process */
	struct event		*timer;
	int64_t			 inflight;	/* the row sent, 0: none */
	char			*templates[MAIL_KIND_MAX];
} mail;

/*
 * Before the chroot: the template of each kind, a text file with
 * {{url}}, {{email}} and {{project}}.  One that cannot be read leaves
 * the built-in text, with a warning.
 */
void
mail_templates_load(void)
{
	size_t	 k;

	for (k = 0; k < MAIL_KIND_MAX; k++)
		mail.templates[k] = mail_template_load(mail_kinds[k].keyword,
		    CONF_AT(mail_kinds[k].template, char));
}

static char *
mail_template_load(const char *keyword, const char *path)
{
	char	*buf;
	ssize_t	 n;
	size_t	 have = 0;
	int	 fd;

	if ((buf = malloc(MAIL_TEMPLATE_MAX + 1)) == NULL)
		fatal("malloc");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("mail %s %s, using the built-in text", keyword, path);
		free(buf);
		return NULL;
	}
	while (have < MAIL_TEMPLATE_MAX &&
	    (n = read(fd, buf + have, MAIL_TEMPLATE_MAX - have)) > 0)
		have += (size_t)n;
	close(fd);
	buf[have] = '\0';
	if (have == MAIL_TEMPLATE_MAX || strlen(buf) != have) {
		log_warnx("mail %s %s: larger than %d bytes or not text, "
		    "using the built-in text", keyword, path,
		    MAIL_TEMPLATE_MAX);
		free(buf);
		return NULL;
	}
	return buf;
}

void
mail_init(struct event_base *base)
{
	mail.base = base;
	if ((mail.timer = evtimer_new(base, mail_timer, NULL)) == NULL)
		fatalx("mail timer");
}

/* MSG_KEYD_MAIL: the channel to a (new) mail process. */
int
mail_channel(struct frame_chan *parent, struct frame *f)
{
	int	 fd;

	if (msg_read(f, MSG_KEYD_MAIL, NULL) == -1 ||
	    (fd = frame_chan_takefd(parent)) == -1)
		return -1;
	if (mail.chan != NULL)
		frame_chan_free(mail.chan);
	mail.inflight = 0;
	mail.chan = frame_chan_new(mail.base, fd, PROTO_MAIL_MAX,
	    mail_dispatch, mail_closed, NULL, "mail");
	if (mail.chan == NULL)
		fatal("mail channel");
	log_debug("channel to the mail process added");
	mail_kick();
	return 0;
}

static void
mail_closed(struct frame_chan *chan, void *arg)
{
	if (mail.inflight != 0)
		log_warnx("mail %lld: the mail process went away, it will be "
		    "tried again", (long long)mail.inflight);
	frame_chan_free(mail.chan);
	mail.chan = NULL;
	mail.inflight = 0;
}

/* Look at the outbox now. */
void
mail_kick(void)
{
	mail_schedule(0);
}

static void
mail_schedule(int64_t ms)
{
	struct timeval	 tv;

	if (mail.timer == NULL)
		return;
	if (ms > MAIL_RETRY_MAX_MS)
		ms = MAIL_RETRY_MAX_MS;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(mail.timer, &tv);
}

/*
 * Send the mail due first, unless one is on its way or there is no mail
 * process; drop what expired on the way.
 */
static void
mail_timer(evutil_socket_t fd, short ev, void *arg)
{
	struct store_mail	 m;
	struct msg_mail_send	 s;
	int64_t			 now;
	int			 rv;

	/* It reaches the store: on its fiber (fiber.c). */
	if (fiber_defer(mail_timer, fd, ev, arg))
		return;
	if (mail.chan == NULL || mail.inflight != 0)
		return;
	batch_commit();
	for (;;) {
		now = now_ms(CLOCK_REALTIME);
		if ((rv = store_outbox_next(0, &m)) == 1)
			return;
		if (rv == -1) {
			mail_schedule(MAIL_RETRY_MIN_MS);
			return;
		}
		if (rv == -2 || m.expires <= now) {
			if (rv == 0)
				log_warnx("mail %lld (%s for user %s) expired "
				    "after %d attempts: dropped",
				    (long long)m.id, m.kind, m.user,
				    m.attempts);
			(void)store_outbox_delete(m.id);
			free(m.data);
			continue;
		}
		break;
	}
	if (m.next_try > now) {
		mail_schedule(m.next_try - now);
		free(m.data);
		return;
	}
	s.row = (uint64_t)m.id;
	s.rcpt = m.rcpt;
	s.data = m.data;
	s.data_len = m.len;
	if (msg_send(mail.chan, MSG_MAIL_SEND, 0, -1, &s) == -1)
		log_warnx("mail %lld: cannot hand it to the mail process",
		    (long long)m.id);
	else
		mail.inflight = m.id;
	free(m.data);
}

/* A frame of the mail process's, copied for the store's fiber. */
struct mail_job {
	struct frame	 f;
	uint8_t		 data[];
};

static void
mail_dispatch_job(void *arg)
{
	struct mail_job	*j = arg;

	if (mail.chan != NULL && mail_dispatch(mail.chan, &j->f, NULL) == -1 &&
	    mail.chan != NULL)
		frame_chan_shutdown(mail.chan);
	free(j);
}

/* The mail process's answer for the mail on its way. */
static int
mail_dispatch(struct frame_chan *chan, struct frame *f, void *arg)
{
	struct mail_job		*j;

	/* It reaches the store: on its fiber (fiber.c). */
	if (fiber_enabled() && !fiber_inside()) {
		if ((j = calloc(1, sizeof(*j) + f->hdr.len)) == NULL)
			fatal("calloc");
		j->f.hdr = f->hdr;
		if (f->hdr.len > 0)
			memcpy(j->data, f->data, f->hdr.len);
		j->f.data = j->data;
		fiber_post(mail_dispatch_job, j);
		return 0;
	}
	return mail_dispatch_run(chan, f);
}

static int
mail_dispatch_run(struct frame_chan *chan, struct frame *f)
{
	struct msg_mail_result	 r;
	struct store_mail	 m;
	char			 why[LOG_SANITIZE_SIZE(MAIL_REPLY_MAX)];
	int64_t			 wait, now = now_ms(CLOCK_REALTIME);
	int			 shift;

	if (!msg_allowed(f->hdr.type, PEER_MAIL, PEER_KEYD) ||
	    msg_read(f, MSG_MAIL_RESULT, &r) == -1 ||
	    r.status >= MAIL_STATUS_MAX || mail.inflight == 0 ||
	    r.row != (uint64_t)mail.inflight) {
		log_warnx("the mail process sent %s out of turn: closing its "
		    "channel", msg_type_name(f->hdr.type));
		return -1;
	}
	batch_commit();
	mail.inflight = 0;
	(void)log_sanitize(why, sizeof(why), r.reply);
	if (store_outbox_next((int64_t)r.row, &m) != 0) {
		log_warnx("mail %llu: no longer in the outbox",
		    (unsigned long long)r.row);
		mail_kick();
		return 0;
	}
	free(m.data);
	switch (r.status) {
	case MAIL_SENT:
		log_info("mail %lld (%s for user %s) delivered: %s",
		    (long long)m.id, m.kind, m.user, why);
		(void)store_outbox_delete(m.id);
		break;
	case MAIL_PERMFAIL:
		log_warnx("mail %lld (%s for user %s) refused by the relay: "
		    "%s: dropped", (long long)m.id, m.kind, m.user, why);
		(void)store_outbox_delete(m.id);
		break;
	default:
		shift = m.attempts < 16 ? m.attempts : 16;
		wait = (int64_t)MAIL_RETRY_MIN_MS << shift;
		if (wait > MAIL_RETRY_MAX_MS)
			wait = MAIL_RETRY_MAX_MS;
		log_info("mail %lld (%s for user %s) not delivered: %s; next "
		    "try in %llds", (long long)m.id, m.kind, m.user, why,
		    (long long)(wait / 1000));
		(void)store_outbox_retry(m.id, now + wait, r.reply);
		break;
	}
	mail_kick();
	return 0;
}

void
mail_done(struct keyd_chan *kc, uint32_t id, uint32_t code)
{
	struct msg_done	 m = { .code = code };

	if (msg_send(kc->chan, MSG_DONE, id, -1, &m) == -1)
		log_warn("answer to server %u", kc->slot);
}

/*
 * What binds a token to the password it replaces (or to the absence of
 * one, for an invite): part of the SHA-256 of the stored hash (salt
 * included, so it tells nothing that helps guess the password), where
 * Directus puts a 32-bit string hash.  A new password, the token's own
 * included, makes every earlier token useless.
 */
static void
mail_binding(const struct store_user *u, uint8_t *out)
{
	uint8_t	 h[32];

	sign_sha256(u->password, strlen(u->password), h);
	memcpy(out, h, MAIL_BINDING_BYTES);
	explicit_bzero(h, sizeof(h));
}

/* Printable ASCII without blanks: may stand in a header or a line. */
static int
mail_text_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

/*
 * {"email", "scope", "hash", "jti", "iat", "exp", "iss"}: Directus's
 * claims and scope, with keyd's signing secret, and a jti that must be
 * the user's live one of the scope (mail_tokens).  It has no "id", so
 * no worker takes it for an access token (jwt.h).
 */
static int
mail_token(const struct store_user *u, enum mail_kind kind, const char *jti,
    char *out, size_t len)
{
	json_t	*claims;
	char	*payload;
	char	 hash[B64URL_ENCLEN(MAIL_BINDING_BYTES) + 1];
	uint8_t	 binding[MAIL_BINDING_BYTES];
	int64_t	 iat = now_ms(CLOCK_REALTIME) / 1000;
	size_t	 n;
	int	 rv;

	mail_binding(u, binding);
	n = b64url_encode(binding, sizeof(binding), hash, sizeof(hash));
	hash[n] = '\0';
	claims = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "email", u->email,
	    "scope", mail_kinds[kind].name, "hash", hash, "jti", jti,
	    "iat", (json_int_t)iat,
	    "exp", (json_int_t)(iat + *CONF_AT(mail_kinds[kind].ttl,
	    int64_t) / 1000), "iss", "directus");
	if (claims == NULL)
		return -1;
	payload = json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(claims);
	if (payload == NULL)
		return -1;
	rv = sign_jwt(payload, strlen(payload), out, len);
	free(payload);
	return rv == -1 ? -1 : 0;
}

/* Append s to the buffer of n bytes (*len used); -1 when it is full. */
static int
mail_put(char *buf, size_t n, size_t *len, const char *s, size_t slen)
{
	if (slen >= n - *len)
		return -1;
	memcpy(buf + *len, s, slen);
	*len += slen;
	buf[*len] = '\0';
	return 0;
}

/*
 * The body from the template: each substitution replaced, each line
 * ended by CRLF (a template's CR is dropped: keyd decides line ends).
 */
static int
mail_body(char *buf, size_t n, size_t *len, const char *tmpl,
    const char *url, const char *email, const char *project)
{
	const struct {
		const char	*name;
		const char	*value;
	} subst[] = {
		{ "{{url}}", url }, { "{{email}}", email },
		{ "{{project}}", project },
	};
	size_t	 i, k;

	for (i = 0; tmpl[i] != '\0';) {
		for (k = 0; k < sizeof(subst) / sizeof(subst[0]); k++)
			if (strncmp(tmpl + i, subst[k].name,
			    strlen(subst[k].name)) == 0)
				break;
		if (k < sizeof(subst) / sizeof(subst[0])) {
			if (mail_put(buf, n, len, subst[k].value,
			    strlen(subst[k].value)) == -1)
				return -1;
			i += strlen(subst[k].name);
			continue;
		}
		if (tmpl[i] == '\n') {
			if (mail_put(buf, n, len, "\r\n", 2) == -1)
				return -1;
		} else if (tmpl[i] != '\r' &&
		    mail_put(buf, n, len, tmpl + i, 1) == -1)
			return -1;
		i++;
	}
	if (*len < 2 || strcmp(buf + *len - 2, "\r\n") != 0)
		return mail_put(buf, n, len, "\r\n", 2);
	return 0;
}

/* The whole mail of kind for rcpt with the link url ("" none), into m. */
static int
mail_build(struct store_mail *m, enum mail_kind kind, const char *rcpt,
    const char *url)
{
	const struct tokend_config	*conf = keyd_conf();
	char				*buf, date[64], id[33];
	uint8_t				 rnd[16];
	struct tm			 tm;
	time_t				 t = time(NULL);
	size_t				 len = 0, i;
	int				 n;

	if (!mail_text_safe(rcpt) || !mail_text_safe(url) ||
	    strpbrk(conf->mail_project, "\r\n") != NULL)
		return -1;
	if ((buf = malloc(STORE_MAIL_MAX)) == NULL)
		return -1;
	arc4random_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		(void)snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
	    &tm) == 0)
		goto fail;
	/* The project is a quoted-string: its '"' and '\' escaped. */
	n = snprintf(buf, STORE_MAIL_MAX, "From: \"");
	len = (size_t)n;
	for (i = 0; conf->mail_project[i] != '\0'; i++) {
		if ((conf->mail_project[i] == '"' ||
		    conf->mail_project[i] == '\\') &&
		    mail_put(buf, STORE_MAIL_MAX, &len, "\\", 1) == -1)
			goto fail;
		if (mail_put(buf, STORE_MAIL_MAX, &len,
		    &conf->mail_project[i], 1) == -1)
			goto fail;
	}
	n = snprintf(buf + len, STORE_MAIL_MAX - len, "\" <%s>\r\n"
	    "To: <%s>\r\n"
	    "Subject: %s\r\n"
	    "Date: %s\r\n"
	    "Message-ID: <%s@%s>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "\r\n", conf->mail_from, rcpt, mail_kinds[kind].subject, date, id,
	    conf->mail_hostname);
	if (n < 0 || (size_t)n >= STORE_MAIL_MAX - len)
		goto fail;
	len += (size_t)n;
	if (mail_body(buf, STORE_MAIL_MAX, &len, mail.templates[kind] != NULL ?
	    mail.templates[kind] : mail_kinds[kind].fallback, url, rcpt,
	    conf->mail_project) == -1)
		goto fail;
	m->data = (uint8_t *)buf;
	m->len = len;
	return 0;
 fail:
	free(buf);
	return -1;
}

/*
 * Is a mail of kind for the user waiting in the outbox?  Then another
 * is not queued: its link works, and requests in a loop cannot fill
 * the outbox or the user's mailbox faster than the relay takes them.
 * -1 when the store fails.
 */
int
mail_waiting(enum mail_kind kind, const char *user)
{
	int64_t	 n;

	if (store_outbox_pending(user, mail_kinds[kind].name, &n) == -1)
		return -1;
	return n > 0;
}

/*
 * The mail of kind for u into the outbox, with its token (a new jti,
 * the user's live one of the kind) in a link to url, which must be on
 * the kind's allow list (the worker checked it; keyd does not take its
 * word).  Inside the caller's transaction, so that the mail goes with
 * the change that caused it.  0, or -1 (nothing written).
 */
int
mail_queue(enum mail_kind kind, const struct store_user *u, const char *url,
    int64_t now)
{
	const struct mail_kind_def	*d = &mail_kinds[kind];
	struct store_mail		 m;
	char				 token[AUTH_TOKEN_MAX];
	char				 link[MAIL_URL_MAX + AUTH_TOKEN_MAX + 16];
	char				 jti[MAIL_JTI_LEN + 1];
	uint8_t				 rnd[MAIL_JTI_BYTES];
	size_t				 jlen;
	int64_t				 row;
	int				 rv = -1;

	memset(&m, 0, sizeof(m));
	link[0] = '\0';
	if (d->status != NULL) {
		arc4random_buf(rnd, sizeof(rnd));
		jlen = b64url_encode(rnd, sizeof(rnd), jti, sizeof(jti));
		jti[jlen] = '\0';
		if (!mail_text_safe(url) || mail_token(u, kind, jti, token,
		    sizeof(token)) == -1 || (size_t)snprintf(link,
		    sizeof(link), "%s%stoken=%s", url, strchr(url, '?') !=
		    NULL ? "&" : "?", token) >= sizeof(link))
			goto out;
	}
	if (mail_build(&m, kind, u->email, link) == -1)
		goto out;
	(void)strlcpy(m.kind, d->name, sizeof(m.kind));
	(void)strlcpy(m.user, u->id, sizeof(m.user));
	(void)strlcpy(m.rcpt, u->email, sizeof(m.rcpt));
	m.expires = now + *CONF_AT(d->ttl, int64_t);
	if (store_outbox_insert(&m, now, &row) == -1 || (d->status != NULL &&
	    store_token_set(u->id, d->name, jti, m.expires) == -1))
		goto out;
	log_info("user %s: %s mail %lld queued", u->id, d->name,
	    (long long)row);
	rv = 0;
 out:
	if (rv == -1)
		log_warnx("user %s: cannot queue the %s mail", u->id,
		    d->name);
	explicit_bzero(token, sizeof(token));
	explicit_bzero(link, sizeof(link));
	if (m.data != NULL)
		explicit_bzero(m.data, m.len);
	free(m.data);
	return rv;
}

/*
 * MSG_PASSWORD_REQUEST.  Answered AUTH_OK whatever happens, as Directus
 * does (the worker holds the answer for the login stall, so the time
 * does not tell either): a mail goes into the outbox only for an active
 * user with a password, when no reset mail of the user waits already.
 */
int
mail_password_request(struct keyd_chan *kc, struct frame *f)
{
	struct msg_password_request	 r;
	struct store_user		 u;
	struct audit_client		 c;
	char				 url[MAIL_URL_MAX + 1];
	int64_t				 now = now_ms(CLOCK_REALTIME);

	if (msg_read(f, MSG_PASSWORD_REQUEST, &r) == -1)
		return -1;
	mail_done(kc, f->hdr.id, AUTH_OK);
	batch_commit();
	if (url_allowed(keyd_conf()->reset_url_allow, r.url[0] != '\0' ?
	    r.url : NULL, NULL, url, sizeof(url)) == -1) {
		log_warnx("server %u: a reset URL off reset-url-allow",
		    kc->slot);
		return 0;
	}
	if (store_user_by_email(r.email, &u) != 0 ||
	    strcmp(u.status, "active") != 0 || u.password[0] == '\0')
		return 0;
	if (mail_waiting(MAIL_RESET, u.id) != 0) {
		log_info("user %s: password reset requested, a reset mail "
		    "waits already", u.id);
		return 0;
	}
	if (store_begin() == -1)
		return 0;
	audit_client_copy(&c, &r.client);
	if (mail_queue(MAIL_RESET, &u, url, now) == -1) {
		store_rollback();
		return 0;
	}
	audit_user(AUDIT_RESET_REQUEST, NULL, u.id, &c, NULL);
	if (store_commit() == -1) {
		store_rollback();
		return 0;
	}
	log_info("user %s: password reset requested", u.id);
	mail_kick();
	return 0;
}

/*
 * A token as mail_token() makes it for kind: AUTH_OK with its user,
 * binding and jti, or the code to answer and maybe a message
 * (Directus's: 403 INVALID_TOKEN for a bad signature or shape, 401
 * TOKEN_EXPIRED, 403 FORBIDDEN for another scope; a user who is gone or
 * no longer in the kind's status: 403 FORBIDDEN for a reset, Directus's
 * 400 "hasn't been invited" for an invite and "Invalid verification
 * code" for a registration).
 */
static uint32_t
mail_token_check(const char *token, enum mail_kind kind, struct store_user *u,
    uint8_t *binding, char *jti, char *msg, size_t msglen)
{
	const struct mail_kind_def	*d = &mail_kinds[kind];
	const char			*dot1, *dot2;
	uint8_t				 mac[JWT_SIG_MAX + 1];
	uint8_t				 payload[AUTH_TOKEN_MAX];
	uint8_t				 want[MAIL_BINDING_BYTES];
	uint8_t				 got[MAIL_BINDING_BYTES + 1];
	size_t				 n, len = strlen(token), glen;
	json_t				*claims = NULL, *exp;
	const char			*iss, *scope, *email, *hash, *id;
	uint32_t			 code = AUTH_INVALID_TOKEN;

	if (d->status == NULL ||
	    (dot1 = strchr(token, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    strchr(dot2 + 1, '.') != NULL ||
	    b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), mac,
	    sizeof(mac), &n) == -1 ||
	    sign_verify(token, (size_t)(dot2 - token), mac, n) == -1 ||
	    b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), payload,
	    sizeof(payload) - 1, &n) == -1)
		return AUTH_INVALID_TOKEN;
	claims = json_loadb((const char *)payload, n,
	    JSON_REJECT_DUPLICATES, NULL);
	iss = json_string_value(json_object_get(claims, "iss"));
	exp = json_object_get(claims, "exp");
	if (!json_is_object(claims) || iss == NULL ||
	    strcmp(iss, "directus") != 0 || !json_is_integer(exp))
		goto out;
	code = AUTH_TOKEN_EXPIRED;
	if (json_integer_value(exp) <= now_ms(CLOCK_REALTIME) / 1000)
		goto out;
	code = AUTH_FORBIDDEN;
	scope = json_string_value(json_object_get(claims, "scope"));
	email = json_string_value(json_object_get(claims, "email"));
	hash = json_string_value(json_object_get(claims, "hash"));
	id = json_string_value(json_object_get(claims, "jti"));
	if (scope == NULL || strcmp(scope, d->name) != 0 || email == NULL ||
	    hash == NULL || id == NULL || strlen(id) != MAIL_JTI_LEN ||
	    b64url_decode(hash, strlen(hash), got, sizeof(got), &glen) == -1 ||
	    glen != MAIL_BINDING_BYTES)
		goto out;
	if (store_user_by_email(email, u) != 0 ||
	    strcmp(u->status, d->status) != 0 ||
	    (kind == MAIL_RESET && u->password[0] == '\0')) {
		if (kind == MAIL_INVITE) {
			code = AUTH_INVALID_PAYLOAD;
			(void)snprintf(msg, msglen, "Invalid payload. Email "
			    "address %.190s hasn't been invited.", email);
		} else if (kind == MAIL_VERIFY) {
			code = AUTH_INVALID_PAYLOAD;
			(void)strlcpy(msg, "Invalid payload. Invalid "
			    "verification code.", msglen);
		}
		goto out;
	}
	mail_binding(u, want);
	if (CRYPTO_memcmp(want, got, sizeof(want)) != 0 ||
	    !mail_jti_live(u->id, kind, id))
		goto out;
	memcpy(binding, want, sizeof(want));
	(void)strlcpy(jti, id, MAIL_JTI_LEN + 1);
	code = AUTH_OK;
 out:
	json_decref(claims);
	explicit_bzero(payload, sizeof(payload));
	return code;
}

/* Is jti the user's live token of kind?  Compared in constant time. */
static int
mail_jti_live(const char *user, enum mail_kind kind, const char *jti)
{
	char	 live[MAIL_JTI_LEN + 1];

	return strlen(jti) == MAIL_JTI_LEN &&
	    store_token_get(user, mail_kinds[kind].name,
	    now_ms(CLOCK_REALTIME), live, sizeof(live)) == 0 &&
	    strlen(live) == MAIL_JTI_LEN &&
	    CRYPTO_memcmp(live, jti, MAIL_JTI_LEN) == 0;
}

/*
 * MSG_MAIL_TOKEN: the token checked for the kind; a new password
 * (reset, invite) is hashed on the pool and mail_token_hashed() stores
 * it; a verification is applied at once.
 */
int
mail_token_use(struct keyd_chan *kc, struct frame *f)
{
	struct msg_mail_token	 m;
	struct store_user	 u;
	struct use		*r;
	char			 msg[USERS_MESSAGE_MAX + 1] = "";
	uint32_t		 code;
	int			 wants_password;

	if (msg_read(f, MSG_MAIL_TOKEN, &m) == -1 || m.kind >= MAIL_KIND_MAX)
		return -1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	r->kind = (enum mail_kind)m.kind;
	audit_client_copy(&r->client, &m.client);
	wants_password = r->kind == MAIL_RESET || r->kind == MAIL_INVITE;
	if (wants_password != (m.password_len > 0))
		code = AUTH_INVALID_PAYLOAD;
	else
		code = mail_token_check(m.token, r->kind, &u, r->binding,
		    r->jti, msg, sizeof(msg));
	r->chan_serial = kc->serial;
	r->id = f->hdr.id;
	r->slot = kc->slot;
	r->pid = kc->pid;
	if (code == AUTH_OK)
		(void)strlcpy(r->user, u.id, sizeof(r->user));
	if (code == AUTH_OK && wants_password) {
		if (hash_create(m.password, m.password_len, mail_token_hashed,
		    r) == 0)
			return 0;
		code = AUTH_UNAVAILABLE;
	} else if (code == AUTH_OK) {
		batch_commit();
		code = mail_token_apply(r, NULL);
	}
	users_result_write(kc, f->hdr.id, code, msg, NULL);
	free(r);
	return 0;
}

static void
mail_token_hashed(enum hash_result result, const char *phc, void *arg)
{
	struct use		*r = arg;
	struct keyd_chan	*kc = keyd_chan_find(r->chan_serial);
	uint32_t		 code = AUTH_INTERNAL;

	batch_commit();
	if (phc != NULL)
		code = mail_token_apply(r, phc);
	if (kc != NULL)
		users_result_write(kc, r->id, code, "", NULL);
	free(r);
}

/*
 * The token's change, in one transaction, if the user is still in the
 * kind's status with the password the token was made for (two uses of
 * one token race to here: one wins): the new password (phc), the status
 * "active", every session ended (a reset), the token gone.
 */
static uint32_t
mail_token_apply(struct use *r, const char *phc)
{
	const struct mail_kind_def	*d = &mail_kinds[r->kind];
	struct store_user		 u;
	uint8_t				 now[MAIL_BINDING_BYTES];

	if (store_begin() == -1)
		return AUTH_UNAVAILABLE;
	if (store_user_by_id(r->user, &u) != 0 ||
	    strcmp(u.status, d->status) != 0) {
		store_rollback();
		return AUTH_FORBIDDEN;
	}
	mail_binding(&u, now);
	if (CRYPTO_memcmp(now, r->binding, sizeof(now)) != 0 ||
	    !mail_jti_live(u.id, r->kind, r->jti)) {
		store_rollback();
		return AUTH_FORBIDDEN;
	}
	if ((phc != NULL && store_user_set_password(u.id, phc) == -1) ||
	    (strcmp(u.status, "active") != 0 &&
	    store_user_set_status(u.id, "active") == -1) ||
	    store_sessions_delete_user(u.id) == -1 ||
	    store_token_delete(u.id, d->name) == -1) {
		store_rollback();
		return AUTH_INTERNAL;
	}
	audit_user(d->audit, NULL, u.id, &r->client, NULL);
	if (store_commit() == -1) {
		store_rollback();
		return AUTH_INTERNAL;
	}
	invalidate_user(u.id);
	lockout_forget(u.email);
	if (phc != NULL)
		log_info("user %s: password changed by server %u (pid %u)",
		    u.id, r->slot, r->pid);
	log_info("user %s: %s token used%s", u.id, d->name,
	    r->kind == MAIL_RESET ? "; sessions ended" : ", now active");
	return AUTH_OK;
}
