/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * User and session administration for tokenctl, which reaches keyd only
 * through the parent (MSG_CTL_ADMIN).  Changes take effect at once: the
 * workers are told to forget what they keep of the user before the
 * answer leaves (invalidate.c).  Static tokens are shown once and stored
 * only as their SHA-256.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "hash.h"
#include "keyd.h"
#include "log.h"
#include "proto.h"
#include "sign.h"

#define ADMIN_TEXT_MAX		(PROTO_CTL_MAX - 64)
#define ADMIN_TOKEN_BYTES	32	/* a static token: 43 base64url chars */

/* An add or passwd waiting for its new hash. */
struct admin_job {
	uint32_t		 id;
	uint32_t		 op;
	char			 email[AUTH_EMAIL_MAX + 1];
	char			 role[AUTH_ID_LEN + 1];
	char			 user[AUTH_ID_LEN + 1];
};

/* Text built from listing rows, bounded by the control frame. */
struct admin_text {
	char			*buf;
	size_t			 len;
	int			 truncated;
};

static struct frame_chan *admin_parent;

static void	 admin_reply(uint32_t, uint32_t, const char *);
static int	 admin_role(const char *, char *, size_t);
static void	 admin_hashed(enum hash_result, const char *, void *);
static int	 admin_store(const struct admin_job *, const char *);
static void	 admin_row(void *, const char **, int);
static void	 admin_password(uint32_t, const struct msg_ctl_admin *);
static void	 admin_change(uint32_t, const struct msg_ctl_admin *);
static int	 admin_token_clear(const char *);
static int	 admin_suspend(const char *);
static int	 admin_activate(const char *);
static void	 admin_token(uint32_t, const struct msg_ctl_admin *);
static void	 admin_revoke(uint32_t, const struct msg_ctl_admin *);
static void	 admin_list(uint32_t, const struct msg_ctl_admin *);
static void	 admin_mail_flush(uint32_t, const struct msg_ctl_admin *);
static void	 admin_invite(uint32_t, const struct msg_ctl_admin *);
static void	 admin_audit(uint32_t, const struct msg_ctl_admin *);
static void	 admin_policy(uint32_t, const struct msg_ctl_admin *);
static void	 admin_key(uint32_t, const struct msg_ctl_admin *);

/*
 * What tokenctl may ask (MSG_CTL_ADMIN's op) and who does it.  The
 * changes of one user's row are admin_change() with the store call and
 * what the operator is told.
 */
static const struct {
	void		(*run)(uint32_t, const struct msg_ctl_admin *);
	int		(*change)(const char *);	/* a user id */
	const char	*done;
	const char	*audit;		/* its AUDIT_* action, or NULL */
} admin_ops[ADMIN_OP_MAX] = {
	[ADMIN_USER_ADD] =	{ admin_password, NULL, NULL, AUDIT_CREATE },
	[ADMIN_USER_PASSWD] =	{ admin_password, NULL, NULL, AUDIT_PASSWORD },
	[ADMIN_USER_TOKEN] =	{ admin_token, NULL, NULL, AUDIT_TOKEN },
	[ADMIN_USER_TOKEN_CLEAR] = { admin_change, admin_token_clear,
				    "static token cleared", AUDIT_TOKEN },
	[ADMIN_USER_LIST] =	{ admin_list, NULL, NULL, NULL },
	[ADMIN_USER_SUSPEND] =	{ admin_change, admin_suspend,
				    "suspended, sessions ended",
				    AUDIT_SUSPEND },
	[ADMIN_USER_ACTIVATE] =	{ admin_change, admin_activate, "active",
				    AUDIT_ACTIVATE },
	[ADMIN_USER_DELETE] =	{ admin_change, store_user_delete, "deleted",
				    AUDIT_DELETE },
	[ADMIN_SESSION_LIST] =	{ admin_list, NULL, NULL, NULL },
	[ADMIN_SESSION_REVOKE] = { admin_revoke, NULL, NULL,
				    AUDIT_SESSION_REVOKE },
	[ADMIN_USER_TFA_DISABLE] = { admin_change, tfa_disable_user,
				    "two-factor authentication disabled",
				    AUDIT_TFA_DISABLE },
	[ADMIN_MAIL_LIST] =	{ admin_list, NULL, NULL, NULL },
	[ADMIN_MAIL_FLUSH] =	{ admin_mail_flush, NULL, NULL, NULL },
	[ADMIN_USER_INVITE] =	{ admin_invite, NULL, NULL, NULL },
	[ADMIN_AUDIT] =		{ admin_audit, NULL, NULL, NULL },
	[ADMIN_USER_POLICY_ADD] = { admin_policy, NULL, "policy added", NULL },
	[ADMIN_USER_POLICY_DEL] = { admin_policy, NULL, "policy removed",
				    NULL },
	[ADMIN_USER_POLICY_LIST] = { admin_policy, NULL, NULL, NULL },
	[ADMIN_KEY_ROTATE] =	{ admin_key, NULL, NULL, NULL },
	[ADMIN_KEY_LIST] =	{ admin_key, NULL, NULL, NULL },
};

static void
admin_reply(uint32_t id, uint32_t status, const char *text)
{
	struct msg_ctl_result	 m;

	m.failed = status;
	m.text = text;
	if (msg_send(admin_parent, MSG_CTL_RESULT, id, -1, &m) == -1)
		log_warn("admin answer");
}

/*
 * A role by name or id: "admin" (or its id) is the built-in
 * administrator role, others are the configured roles; "" is no role.
 */
static int
admin_role(const char *name, char *out, size_t len)
{
	const struct conf_role	*r;

	if (strcmp(name, CONF_ADMIN_ROLE_NAME) == 0 ||
	    strcmp(name, KEYD_ADMIN_ROLE) == 0)
		name = KEYD_ADMIN_ROLE;
	else if ((r = config_role_by_name(keyd_conf(), name)) != NULL ||
	    (r = config_role_by_id(keyd_conf(), name)) != NULL)
		name = r->id;
	else if (name[0] != '\0')
		return -1;
	return strlcpy(out, name, len) >= len ? -1 : 0;
}

/* A random (version 4) uuid. */
void
admin_uuid(char *out)
{
	uint8_t	 b[16];

	arc4random_buf(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	(void)snprintf(out, AUTH_ID_LEN + 1, "%02x%02x%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
	    b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	    b[13], b[14], b[15]);
}

/*
 * MSG_CTL_ADMIN, from the parent's channel.  The parent forwards it
 * unread, so it is checked here like any other input.
 */
int
keyd_admin_request(struct keyd_chan *parent, struct frame *f)
{
	struct msg_ctl_admin	 m;

	admin_parent = parent->chan;
	if (msg_read(f, MSG_CTL_ADMIN, &m) == -1 || m.op == 0 ||
	    m.op >= ADMIN_OP_MAX) {
		admin_reply(f->hdr.id, 1, "malformed request");
		return 0;
	}
	admin_ops[m.op].run(f->hdr.id, &m);
	return 0;
}

/* key rotate | list: the signing keys (rotate.c). */
static void
admin_key(uint32_t id, const struct msg_ctl_admin *m)
{
	char	 text[4096];
	int	 rv;

	if (m->op == ADMIN_KEY_ROTATE)
		rv = rotate_key(text, sizeof(text));
	else if ((rv = rotate_list(text, sizeof(text))) == -1)
		(void)strlcpy(text, "the key list does not fit", sizeof(text));
	admin_reply(id, rv == -1, text);
}

/* add and passwd: a new hash first, on the hashing pool. */
static void
admin_password(uint32_t id, const struct msg_ctl_admin *m)
{
	struct admin_job	*job;
	struct store_user	 u;
	int			 rv = 0;

	if (m->password_len == 0) {
		admin_reply(id, 1, "empty password");
		return;
	}
	if ((job = calloc(1, sizeof(*job))) == NULL)
		fatal("calloc");
	job->id = id;
	job->op = m->op;
	(void)strlcpy(job->email, m->arg, sizeof(job->email));
	if (m->op == ADMIN_USER_ADD) {
		if (admin_role(m->arg2, job->role, sizeof(job->role)) == -1)
			rv = -1;
		else if (store_user_by_email(m->arg, &u) != 1 ||
		    !email_valid(m->arg, strlen(m->arg)))
			rv = -2;
		admin_uuid(job->user);
	} else if (store_user_by_email(m->arg, &u) != 0)
		rv = -3;
	else
		(void)strlcpy(job->user, u.id, sizeof(job->user));
	if (rv == 0 && hash_create(m->password, m->password_len,
	    admin_hashed, job) == -1)
		rv = -4;
	if (rv != 0) {
		admin_reply(job->id, 1, rv == -1 ? "unknown role" : rv == -2 ?
		    "invalid or already used email" : rv == -3 ?
		    "no such user" : "password hashing is busy, try again");
		free(job);
	}
}

/*
 * add or passwd, with its audit row, in the caller's transaction.  A
 * new password ends every session of the user.
 */
static int
admin_store(const struct admin_job *job, const char *phc)
{
	if (job->op == ADMIN_USER_ADD) {
		if (store_user_insert(job->user, job->email, phc,
		    job->role) != 0)
			return -1;
	} else if (store_user_set_password(job->user, phc) == -1 ||
	    store_sessions_delete_user(job->user) == -1)
		return -1;
	audit_user(admin_ops[job->op].audit, NULL, job->user, NULL, NULL);
	return 0;
}

static void
admin_hashed(enum hash_result result, const char *phc, void *arg)
{
	struct admin_job	*job = arg;
	char			 text[128];
	int			 rv = -1;

	/* It writes the store: the open group commit goes first. */
	batch_commit();
	if (phc != NULL && store_begin() == 0) {
		if (admin_store(job, phc) == 0 && store_commit() == 0) {
			rv = 0;
			/* The operator's word ends a lock. */
			if (job->op == ADMIN_USER_PASSWD)
				lockout_forget(job->email);
		} else
			store_rollback();
	}
	if (rv == 0 && job->op == ADMIN_USER_ADD)
		(void)snprintf(text, sizeof(text), "%s", job->user);
	else if (rv == 0)
		(void)snprintf(text, sizeof(text), "password changed, "
		    "sessions ended");
	else
		(void)snprintf(text, sizeof(text), "failed to store the user");
	if (rv == 0 && job->op == ADMIN_USER_PASSWD)
		invalidate_user(job->user);
	if (rv == 0 && job->op == ADMIN_USER_ADD) {
		log_info("user %s: email changed by the control socket",
		    job->user);
		if (job->role[0] != '\0')
			log_info("user %s: role changed by the control socket",
			    job->user);
	}
	if (rv == 0)
		log_info("user %s: password changed by the control socket",
		    job->user);
	admin_reply(job->id, rv == 0 ? 0 : 1, text);
	free(job);
}

static int
admin_token_clear(const char *user)
{
	return store_user_set_token(user, NULL);
}

static int
admin_suspend(const char *user)
{
	return store_user_set_status(user, "suspended") == -1 ||
	    store_sessions_delete_user(user) == -1 ? -1 : 0;
}

static int
admin_activate(const char *user)
{
	return store_user_set_status(user, "active") == -1 ? -1 : 0;
}

/* A change of the user arg names, answered at once. */
static void
admin_change(uint32_t id, const struct msg_ctl_admin *m)
{
	struct store_user	 u;
	const char		*done = admin_ops[m->op].done;
	int			 rv;

	if (store_user_by_email(m->arg, &u) != 0) {
		admin_reply(id, 1, "no such user");
		return;
	}
	rv = admin_ops[m->op].change(u.id);
	/* After the change (its own transaction, tfa.c's for instance). */
	if (rv == 0 && admin_ops[m->op].audit != NULL)
		audit_user(admin_ops[m->op].audit, NULL, u.id, NULL, NULL);
	/* Also after a failure: a first statement may have been done. */
	invalidate_user(u.id);
	if (rv == 0 && m->op == ADMIN_USER_ACTIVATE)
		lockout_forget(u.email);
	if (rv == 0 && m->op == ADMIN_USER_TOKEN_CLEAR)
		log_info("user %s: token changed by the control socket",
		    u.id);
	else if (rv == 0)
		log_info("user %s: %s", u.id, done);
	admin_reply(id, rv == 0 ? 0 : 1, rv == 0 ? done : "database error");
}

/* A new static token, printed once; only its hash is kept. */
static void
admin_token(uint32_t id, const struct msg_ctl_admin *m)
{
	struct store_user	 user, *u = &user;
	uint8_t			 raw[ADMIN_TOKEN_BYTES], hash[STORE_HASH_LEN];
	char			 token[B64URL_ENCLEN(ADMIN_TOKEN_BYTES) + 1];
	size_t			 n;
	int			 rv;

	if (store_user_by_email(m->arg, u) != 0) {
		admin_reply(id, 1, "no such user");
		return;
	}
	arc4random_buf(raw, sizeof(raw));
	n = b64url_encode(raw, sizeof(raw), token, sizeof(token) - 1);
	token[n] = '\0';
	sign_sha256(token, n, hash);
	rv = store_begin() == 0 && store_user_set_token(u->id, hash) == 0 ?
	    0 : -1;
	if (rv == 0) {
		audit_user(AUDIT_TOKEN, NULL, u->id, NULL, NULL);
		rv = store_commit();
	}
	if (rv != 0) {
		store_rollback();
		admin_reply(id, 1, "database error");
	} else {
		invalidate_user(u->id);
		log_info("user %s: token changed by the control socket",
		    u->id);
		admin_reply(id, 0, token);
	}
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(token, sizeof(token));
}

static void
admin_row(void *arg, const char **cols, int ncol)
{
	struct admin_text	*t = arg;
	char			*p;
	int			 i, n;

	for (i = 0; i < ncol && !t->truncated; i++) {
		n = snprintf(t->buf + t->len, ADMIN_TEXT_MAX - t->len, "%s%s",
		    cols[i], i + 1 < ncol ? "\t" : "\n");
		if (n < 0 || (size_t)n >= ADMIN_TEXT_MAX - t->len) {
			t->truncated = 1;
			break;
		}
		/* A column (a user agent, say) must not break the layout. */
		for (p = t->buf + t->len; p < t->buf + t->len + n - 1; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		t->len += (size_t)n;
	}
}

/* arg: a session's number, as listed. */
static void
admin_revoke(uint32_t id, const struct msg_ctl_admin *m)
{
	const char	*errstr;
	char		 what[32];
	long long	 rowid;
	int		 rv;

	rowid = strtonum(m->arg, 1, INT64_MAX, &errstr);
	rv = errstr != NULL ? 1 : store_session_revoke(rowid);
	if (rv == 0) {
		(void)snprintf(what, sizeof(what), "session %lld", rowid);
		audit_user(AUDIT_SESSION_REVOKE, NULL, NULL, NULL, what);
		invalidate_sessions();
	}
	admin_reply(id, rv == 0 ? 0 : 1, rv == 0 ? "session revoked" :
	    "no such session");
}

/*
 * The users, the sessions of arg (every user's for ""), or the outbox
 * (id, kind, user, recipient, expiry, attempts, last error).
 */
static void
admin_list(uint32_t id, const struct msg_ctl_admin *m)
{
	struct admin_text	 t;
	int			 rv;

	if ((t.buf = calloc(1, ADMIN_TEXT_MAX)) == NULL)
		fatal("calloc");
	t.len = 0;
	t.truncated = 0;
	if (m->op == ADMIN_USER_LIST)
		rv = store_user_list(admin_row, &t);
	else if (m->op == ADMIN_MAIL_LIST)
		rv = store_outbox_list(admin_row, &t);
	else
		rv = store_session_list(m->arg, now_ms(CLOCK_REALTIME),
		    admin_row, &t);
	if (t.truncated)
		(void)strlcpy(t.buf + ADMIN_TEXT_MAX - 16, "...\n", 16);
	admin_reply(id, rv == 0 ? 0 : 1, rv == 0 ? t.buf : "database error");
	free(t.buf);
}

/* The policies a user holds itself: "name id" a line. */
static void
admin_policy_list(uint32_t id, const struct store_user *u)
{
	const struct conf_policy	*p;
	struct admin_text		 t;
	const char			*s;
	char				 pid[AUTH_ID_LEN + 1];
	size_t				 len;

	if ((t.buf = calloc(1, ADMIN_TEXT_MAX)) == NULL)
		fatal("calloc");
	t.len = 0;
	for (s = u->policies; *s != '\0'; s += len) {
		s += strspn(s, " ");
		if ((len = strcspn(s, " ")) == 0 || len > AUTH_ID_LEN)
			break;
		memcpy(pid, s, len);
		pid[len] = '\0';
		p = config_policy_by_id(keyd_conf(), pid);
		t.len += (size_t)snprintf(t.buf + t.len, ADMIN_TEXT_MAX - t.len,
		    "%s %s\n", p != NULL ? p->name : "-", pid);
		if (t.len >= ADMIN_TEXT_MAX)
			break;
	}
	admin_reply(id, 0, t.buf);
	free(t.buf);
}

static size_t
admin_policy_count(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s += strcspn(s, " ")) {
		s += strspn(s, " ");
		if (*s != '\0')
			n++;
	}
	return n;
}

/*
 * tokenctl user policy add | del | list: the policies a user holds
 * itself (Directus 11's access rows of a user), by name or id; keyd
 * applies them from the next request (the workers forget the user).
 */
static void
admin_policy(uint32_t id, const struct msg_ctl_admin *m)
{
	const struct conf_policy	*p;
	struct store_user		 u;
	char				 row[AUTH_ID_LEN + 1];
	int				 rv;

	if (store_user_by_email(m->arg, &u) != 0) {
		admin_reply(id, 1, "no such user");
		return;
	}
	if (m->op == ADMIN_USER_POLICY_LIST) {
		admin_policy_list(id, &u);
		return;
	}
	if (((p = config_policy_by_name(keyd_conf(), m->arg2)) == NULL &&
	    (p = config_policy_by_id(keyd_conf(), m->arg2)) == NULL) ||
	    p->kind == CONF_POLICY_PUBLIC) {
		admin_reply(id, 1, "unknown policy");
		return;
	}
	if (m->op == ADMIN_USER_POLICY_ADD &&
	    admin_policy_count(u.policies) >= AUTH_USER_POLICIES) {
		admin_reply(id, 1, "too many policies");
		return;
	}
	admin_uuid(row);
	rv = m->op == ADMIN_USER_POLICY_ADD ? store_user_policy_add(u.id,
	    p->id, row) : store_user_policy_del(u.id, p->id);
	invalidate_user(u.id);
	if (rv == 0)
		log_info("user %s: policy %s %s", u.id, p->id,
		    m->op == ADMIN_USER_POLICY_ADD ? "added" : "removed");
	admin_reply(id, rv == 0 ? 0 : 1, rv == 0 ? admin_ops[m->op].done :
	    rv == -1 ? "database error" : m->op == ADMIN_USER_POLICY_ADD ?
	    "the user holds the policy already" :
	    "the user does not hold the policy");
}

/* Every mail of the outbox is due now (mail.c sends them in turn). */
static void
admin_mail_flush(uint32_t id, const struct msg_ctl_admin *m)
{
	char	 text[64];
	int64_t	 n;

	if (store_outbox_flush(&n) == -1) {
		admin_reply(id, 1, "database error");
		return;
	}
	mail_kick();
	(void)snprintf(text, sizeof(text), "%lld mail%s to send now",
	    (long long)n, n == 1 ? "" : "s");
	admin_reply(id, 0, text);
}

/*
 * invite: as POST /users/invite by an administrator, the link from
 * url (on invite-url-allow) or the list's first entry.
 */
static void
admin_invite(uint32_t id, const struct msg_ctl_admin *m)
{
	char		 role[AUTH_ID_LEN + 1], link[MAIL_URL_MAX + 1];
	const char	*why = NULL;
	int		 rv;

	batch_commit();
	if (!email_valid(m->arg, strlen(m->arg)))
		why = "invalid email";
	else if (admin_role(m->arg2, role, sizeof(role)) == -1)
		why = "unknown role";
	else if (url_allowed(keyd_conf()->invite_url_allow, m->url[0] !=
	    '\0' ? m->url : NULL, NULL, link, sizeof(link)) == -1)
		why = "the URL is not on invite-url-allow (or the list is "
		    "empty)";
	else if (store_begin() == -1)
		why = "the store is unavailable";
	if (why != NULL) {
		admin_reply(id, 1, why);
		return;
	}
	rv = users_invite_user(m->arg, role[0] != '\0' ? role : NULL, link,
	    now_ms(CLOCK_REALTIME), "the control socket", NULL, NULL);
	if (rv != 0 || store_commit() == -1) {
		store_rollback();
		admin_reply(id, 1, rv == 1 ? "the user has an account "
		    "already: nothing done" : "failed to store the invite");
		return;
	}
	mail_kick();
	admin_reply(id, 0, "invited, the mail is in the outbox");
}

/*
 * audit: the events after row arg (a number, "" for all), oldest
 * first, as many whole rows as one answer holds; tokenctl asks again
 * from the last row it got until an answer is empty.
 */
static void
admin_audit(uint32_t id, const struct msg_ctl_admin *m)
{
	const char	*errstr = NULL;
	char		*buf;
	long long	 after = 0;

	if (m->arg[0] != '\0')
		after = strtonum(m->arg, 0, INT64_MAX, &errstr);
	if (errstr != NULL) {
		admin_reply(id, 1, "the row to start after is not a number");
		return;
	}
	if ((buf = calloc(1, ADMIN_TEXT_MAX)) == NULL)
		fatal("calloc");
	if (audit_list(after, buf, ADMIN_TEXT_MAX) == -1)
		admin_reply(id, 1, "database error");
	else
		admin_reply(id, 0, buf);
	free(buf);
}
