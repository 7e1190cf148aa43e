/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Public registration (MSG_REGISTER, POST /users/register), when the
 * configuration turns it on (register yes).  keyd checks again what the
 * worker checked (registration on, the address allowed by
 * register-email, the verification URL on register-url-allow): a worker
 * cannot open what the configuration keeps shut.
 *
 * The answer tells nothing about the address.  The password is hashed
 * on the pool whether or not the address is known, and the worker holds
 * the answer for the login stall.  A new address becomes a user of
 * register-role, "unverified" with a verification mail in the same
 * transaction (register-verify yes), else "active".  A known address
 * gets a mail saying so (the exists template) and nothing changes; one
 * still unverified gets its verification mail again, as Directus sends
 * it.  A mail of either kind already waiting in the outbox is not
 * doubled.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "hash.h"
#include "keyd.h"
#include "log.h"
#include "proto.h"

/* A registration waiting for its password's hash. */
struct registration {
	uint64_t		 chan_serial;
	uint32_t		 id;
	uint32_t		 slot;
	char			 email[AUTH_EMAIL_MAX + 1];
	char			 url[MAIL_URL_MAX + 1];
	json_t			*names;		/* first_name, last_name */
	struct audit_client	 client;
};

static uint32_t	 register_check(const struct msg_register *,
		    struct registration *);
static void	 register_hashed(enum hash_result, const char *, void *);
static void	 register_new(struct registration *, const char *, int64_t);
static void	 register_known(struct registration *, struct store_user *,
		    int64_t);
static void	 register_free(struct registration *);

/* The request as keyd sees it; AUTH_OK, or the code to answer. */
static uint32_t
register_check(const struct msg_register *m, struct registration *r)
{
	const struct tokend_config	*conf = keyd_conf();
	const char			*name[] = { "first_name", "last_name" };
	const char			*value[] = { m->first_name, m->last_name };
	json_t				*v;
	size_t				 i;

	if (!conf->register_on)
		return AUTH_FORBIDDEN;
	if (!email_valid(m->email, strlen(m->email)) ||
	    m->password_len == 0)
		return AUTH_INVALID_PAYLOAD;
	if (!email_allowed(conf->register_email, m->email))
		return AUTH_FORBIDDEN;
	if (conf->register_verify && config_register_link(conf,
	    m->url[0] != '\0' ? m->url : NULL, r->url, sizeof(r->url)) == -1)
		return AUTH_INVALID_PAYLOAD;
	(void)strlcpy(r->email, m->email, sizeof(r->email));
	if ((r->names = json_object()) == NULL)
		fatal("json_object");
	for (i = 0; i < 2; i++) {
		if (value[i][0] == '\0')
			continue;
		v = json_string(value[i]);
		if (v == NULL || !user_value_valid(user_field(name[i]), v)) {
			json_decref(v);
			return AUTH_INVALID_PAYLOAD;
		}
		json_object_set_new(r->names, name[i], v);
	}
	return AUTH_OK;
}

int
register_request(struct keyd_chan *kc, struct frame *f)
{
	static struct msg_register	 m;	/* two USER_TEXT_MAX names */
	struct registration		*r;
	uint32_t			 code;

	if (msg_read(f, MSG_REGISTER, &m) == -1)
		return -1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	r->chan_serial = kc->serial;
	r->id = f->hdr.id;
	r->slot = kc->slot;
	audit_client_copy(&r->client, &m.client);
	if ((code = register_check(&m, r)) == AUTH_OK) {
		if (hash_create(m.password, m.password_len, register_hashed,
		    r) == 0)
			return 0;
		code = AUTH_UNAVAILABLE;
	}
	if (code == AUTH_FORBIDDEN)
		log_info("server %u: a registration refused (%s)", kc->slot,
		    keyd_conf()->register_on ? "address not allowed" :
		    "registration is off");
	mail_done(kc, f->hdr.id, code);
	register_free(r);
	return 0;
}

/* The hash is back: a new user, or a mail to the known one. */
static void
register_hashed(enum hash_result result, const char *phc, void *arg)
{
	struct registration	*r = arg;
	struct keyd_chan	*kc = keyd_chan_find(r->chan_serial);
	struct store_user	 u;
	int64_t			 now = now_ms(CLOCK_REALTIME);
	uint32_t		 code = AUTH_UNAVAILABLE;
	int			 rv;

	batch_commit();
	if (phc == NULL || store_begin() == -1)
		goto out;
	if ((rv = store_user_by_email(r->email, &u)) == 1)
		register_new(r, phc, now);
	else if (rv == 0)
		register_known(r, &u, now);
	else
		store_rollback();
	/* New or known, the answer is the same. */
	code = AUTH_OK;
 out:
	if (kc != NULL)
		mail_done(kc, r->id, code);
	register_free(r);
}

/* A new user of register-role, with its verification mail if asked. */
static void
register_new(struct registration *r, const char *phc, int64_t now)
{
	const struct tokend_config	*conf = keyd_conf();
	const struct conf_role		*role = NULL;
	struct store_user		 u;
	const char			*key;
	json_t				*v;

	if (conf->register_role[0] != '\0' &&
	    (role = config_role_by_name(conf, conf->register_role)) == NULL)
		goto fail;
	memset(&u, 0, sizeof(u));
	admin_uuid(u.id);
	(void)strlcpy(u.email, r->email, sizeof(u.email));
	(void)strlcpy(u.password, phc, sizeof(u.password));
	(void)strlcpy(u.status, conf->register_verify ? "unverified" :
	    "active", sizeof(u.status));
	if (store_user_insert(u.id, u.email, phc, role != NULL ? role->id :
	    NULL) != 0 || store_user_set_status(u.id, u.status) != 0)
		goto fail;
	json_object_foreach(r->names, key, v)
		if (store_user_set_field(u.id, key, v) != 0)
			goto fail;
	if (conf->register_verify && mail_queue(MAIL_VERIFY, &u, r->url,
	    now) == -1)
		goto fail;
	audit_user(AUDIT_REGISTER, NULL, u.id, &r->client, NULL);
	if (store_commit() == -1)
		goto fail;
	log_info("user %s: registered (%s) through server %u", u.id, u.status,
	    r->slot);
	if (conf->register_verify)
		mail_kick();
	return;
 fail:
	store_rollback();
	log_warnx("server %u: a registration could not be stored", r->slot);
}

/*
 * A known address: nothing changes.  Unverified, its verification mail
 * again (a new token, the old one dies); else a mail saying that the
 * address has an account.
 */
static void
register_known(struct registration *r, struct store_user *u, int64_t now)
{
	enum mail_kind	 kind = MAIL_EXISTS;

	if (strcmp(u->status, "unverified") == 0 && keyd_conf()->register_verify)
		kind = MAIL_VERIFY;
	if (mail_waiting(kind, u->id) != 0 ||
	    mail_queue(kind, u, r->url, now) == -1) {
		store_rollback();
		return;
	}
	/* The reason tells the operator, never the client, that it is known. */
	audit_user(AUDIT_REGISTER, NULL, u->id, &r->client,
	    "the address has an account");
	if (store_commit() == -1) {
		store_rollback();
		return;
	}
	log_info("user %s: a registration of its address; %s mail queued",
	    u->id, kind == MAIL_VERIFY ? "verification" : "notice");
	mail_kick();
}

static void
register_free(struct registration *r)
{
	json_decref(r->names);
	explicit_bzero(r, sizeof(*r));
	free(r);
}
