/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * A user's own sessions (tokend's extension, MSG_SESSIONS):
 * GET /users/me/sessions lists them, DELETE /users/me/sessions/<id>
 * ends one.  The user is the credential's, found here as every self
 * route finds it; the worker never names whose sessions these are, so
 * that a worker cannot list or end another user's.  Another user's
 * session, an ended one and an id that names none are one answer: 403,
 * as Directus answers an item the caller may not reach.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "keyd.h"
#include "log.h"
#include "proto.h"

struct sessions_list {
	json_t		*rows;
	char		 current[STORE_HASH_LEN * 2 + 1];	/* hex */
	int64_t		 current_id;	/* or its id (auth_session_key()) */
	int		 failed;
};

static void	 sessions_row(void *, const char **, int);
static uint32_t	 sessions_list(const struct store_user *, const char *,
		    char **);
static uint32_t	 sessions_revoke(const struct store_user *, const char *,
		    const struct msg_client *);

/* MSG_SESSIONS.  -1 for a malformed frame. */
int
keyd_sessions_request(struct keyd_chan *kc, struct frame *f)
{
	struct msg_sessions	 m;
	struct store_user	 u;
	char			 session[AUTH_REFRESH_LEN + 1];
	char			*json = NULL;
	uint32_t		 code;
	int			 public;

	if (msg_read(f, MSG_SESSIONS, &m) == -1 || m.op == 0 ||
	    m.op >= SESSIONS_OP_MAX || auth_identify_cred_public(&m.cred,
	    &code, &u, session, &public) == -1)
		return -1;
	if (public)
		code = AUTH_INVALID_CREDENTIALS;
	if (code == AUTH_OK)
		code = m.op == SESSIONS_LIST ? sessions_list(&u, session,
		    &json) : sessions_revoke(&u, m.target, &m.client);
	users_result_write(kc, f->hdr.id, code, "", json);
	free(json);
	explicit_bzero(session, sizeof(session));
	explicit_bzero(&u, sizeof(u));
	return 0;
}

/*
 * {"data":[{"id", "ip", "user_agent", "origin", "expires", "last_used",
 * "current"}]}: current is the session of the caller's own
 * session-mode token, when it is one.
 */
static uint32_t
sessions_list(const struct store_user *u, const char *session, char **out)
{
	struct sessions_list	 l;
	uint8_t			 hash[STORE_HASH_LEN];
	json_t			*data;
	size_t			 i;

	memset(&l, 0, sizeof(l));
	if (session[0] != '\0' && auth_session_hash(session, hash) == 0 &&
	    (l.current_id = auth_session_key_id(hash)) == 0)
		for (i = 0; i < STORE_HASH_LEN; i++)
			(void)snprintf(l.current + 2 * i, 3, "%02X", hash[i]);
	if ((l.rows = json_array()) == NULL)
		return AUTH_INTERNAL;
	if (store_sessions_own(u->id, now_ms(CLOCK_REALTIME), sessions_row,
	    &l) == -1 || l.failed) {
		json_decref(l.rows);
		return AUTH_UNAVAILABLE;
	}
	data = json_pack("{s:o}", "data", l.rows);
	*out = data != NULL ? json_dumps(data, JSON_COMPACT) : NULL;
	json_decref(data);
	return *out != NULL ? AUTH_OK : AUTH_INTERNAL;
}

/* One row of store_sessions_own(). */
static void
sessions_row(void *arg, const char **c, int n)
{
	struct sessions_list	*l = arg;
	json_t			*row;
	long long		 id = strtoll(c[0], NULL, 10);

	row = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?,s:b}",
	    "id", (json_int_t)id,
	    "ip", c[2], "user_agent", c[3], "origin", c[4],
	    "expires", c[5], "last_used", c[6][0] != '\0' ? c[6] : NULL,
	    "current", l->current_id != 0 ? id == l->current_id :
	    l->current[0] != '\0' &&
	    strlen(c[1]) == sizeof(l->current) - 1 &&
	    CRYPTO_memcmp(c[1], l->current, sizeof(l->current) - 1) == 0);
	if (row == NULL || json_array_append_new(l->rows, row) == -1)
		l->failed = 1;
}

/* Ends the session id of u: its live row and its retired tokens. */
static uint32_t
sessions_revoke(const struct store_user *u, const char *id,
    const struct msg_client *mc)
{
	struct audit_client	 client;
	struct store_session	 s;
	uint8_t			 key[STORE_HASH_LEN];
	const char		*errstr;
	char			 what[64];
	long long		 rowid;
	int			 rv;

	rowid = strtonum(id, 1, INT64_MAX, &errstr);
	if (errstr != NULL)
		return AUTH_FORBIDDEN;
	rv = store_session_own(u->id, rowid, now_ms(CLOCK_REALTIME), &s);
	if (rv == 1)
		return AUTH_FORBIDDEN;
	if (rv == -1 || (s.has_family ? store_family_delete(s.family) :
	    store_session_revoke(s.id)) == -1)
		return AUTH_UNAVAILABLE;
	auth_session_current(&s, key);
	invalidate_session(key);
	(void)snprintf(what, sizeof(what), "session %lld", rowid);
	audit_client_copy(&client, mc);
	audit_user(AUDIT_SESSION_REVOKE, u->id, u->id, &client, what);
	log_info("user %s: %s ended by its user", u->id, what);
	explicit_bzero(&s, sizeof(s));
	explicit_bzero(key, sizeof(key));
	return AUTH_OK;
}
