/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * keyd's authentication requests: verify a JWT, look up a static token,
 * log in, refresh, log out, read a user.  keyd never signs bytes a
 * worker chose: it builds every claim from its own database.  Password
 * hashing runs on the pool in hash.c; its answer comes back here on the
 * event loop.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "b64url.h"
#include "cidr.h"
#include "hash.h"
#include "jwt.h"
#include "keyd.h"
#include "log.h"
#include "perm.h"
#include "proto.h"
#include "sign.h"
#include "ticket.h"

#define AUTH_LOCKOUT_LOGS	10	/* lockout lines a second, at most */

/* A login waiting for its password hash. */
struct login {
	uint64_t		 chan_serial;
	uint32_t		 id;
	uint32_t		 mode;
	int			 found;		/* a user has that email */
	int			 known;		/* an active user with a hash */
	int			 af;		/* the address's family, or 0 */
	struct store_user	 user;
	struct lockout_login	 lock;
	char			 ip[AUTH_TEXT_MAX + 1];
	char			 agent[AUTH_TEXT_MAX + 1];
	char			 origin[AUTH_TEXT_MAX + 1];
	char			 otp[AUTH_TEXT_MAX + 1];	/* "" none */
};

static void	 auth_result(struct keyd_chan *, uint32_t, uint32_t,
		    const struct store_user *, const char *, int64_t);
static void	 auth_tokens(struct keyd_chan *, uint32_t, uint32_t,
		    const char *, int64_t, const char *, int64_t);
static void	 auth_done(struct keyd_chan *, uint32_t, uint32_t);
static int	 auth_flags(const char *, const char *, const struct cidr *,
		    int *, int *);
static int	 auth_issue(const struct store_user *, const char *, uint32_t,
		    char *, size_t, const uint8_t *, int64_t *);
static void	 auth_login_hashed(enum hash_result, const char *, void *);
static void	 auth_login_failed(const struct login *);
static void	 auth_login_audit(const struct login *, const char *,
		    const char *);
static int	 auth_login_refused(struct keyd_chan *, const struct login *);
static int	 auth_last_admin(const struct store_user *);
static void	 auth_admin_row(void *, const char **, int);
static int	 auth_lockout_loggable(int64_t);
static int	 auth_rate_refused(struct keyd_chan *, uint32_t, const char *);
static int	 auth_session_live(const uint8_t *, const char *, int64_t *);
static uint32_t	 auth_identify_jwt(const uint8_t *, size_t, const uint8_t *,
		    size_t, struct store_user *, char *, int64_t *);
static int	 auth_refresh_valid(const char *);
static uint32_t	 auth_refresh_retired(const uint8_t *, uint32_t, int64_t,
		    char *, const struct audit_client *);
static uint32_t	 auth_refresh_user(const char *, struct store_user *);
static uint32_t	 auth_refresh_successor(const char *, int64_t,
		    struct store_user *);
static void	 auth_grace_add(const uint8_t *, const char *, int64_t);
static const char *auth_grace_find(const uint8_t *, int64_t);
static void	 auth_grace_drop(const uint8_t *);
struct refresh;
static struct refresh	*auth_refresh_new(void);
static void	 auth_refresh_free(struct refresh *);
static void	 auth_refresh_next(struct refresh *);
static void	 auth_refresh_invalidate(const struct store_rotation *,
		    size_t);
static void	 auth_refresh_audit(struct refresh **, size_t);
static void	 auth_refresh_failed(struct keyd_chan *, uint32_t);
static void	 auth_tokens_set(struct msg_tokens *, uint32_t, const char *,
		    int64_t, const char *, int64_t);
static uint32_t	 auth_session_new(const struct store_user *, uint32_t,
		    const char *, const char *, const char *, char *, size_t,
		    char *, int64_t *);

/*
 * Admin and app access belong to the role, read from keyd's own view,
 * never from the token: the built-in administrator role, or a role of
 * the configuration keyd holds now (a reload makes the workers forget
 * what they keep, so it applies to the next request).  A uuid no role
 * has any longer gives neither.
 */
int
auth_role_access(const char *role, int *admin, int *app)
{
	return auth_policies_access(role, NULL, admin, app);
}

/*
 * The same for a user: its role's policies and those it holds itself
 * (policies, blank-separated ids, or NULL).
 */
int
auth_user_access(const struct store_user *u, int *admin, int *app)
{
	return auth_policies_access(u->role, u->policies, admin, app);
}

/* The same for a role and a user's own policies (NULL: none). */
int
auth_policies_access(const char *role, const char *policies, int *admin,
    int *app)
{
	return auth_flags(role, policies, NULL, admin, app);
}

/*
 * The same for a user asking from ip (text; NULL or not an address:
 * unknown): a policy with ip-allow counts where it lets ip in, as
 * Directus 11.3.5 fetches the policies of a request with its ip.  For
 * the claims of the tokens of a login or refresh (Directus signs them
 * with the login's ip) and keyd's decisions on a request.
 */
int
auth_user_access_from(const struct store_user *u, const char *ip,
    int *admin, int *app)
{
	struct cidr	 addr;

	if (ip == NULL || cidr_addr_parse(ip, strlen(ip), &addr) == -1)
		return auth_user_access(u, admin, app);
	return auth_flags(u->role, u->policies, &addr, admin, app);
}

static int
auth_flags(const char *role, const char *policies, const struct cidr *addr,
    int *admin, int *app)
{
	struct perm_who	 who;
	int		 tfa;

	*admin = *app = 0;
	if (strcmp(role, KEYD_ADMIN_ROLE) == 0)
		*admin = *app = 1;
	else if (role[0] != '\0' || (policies != NULL && *policies != '\0')) {
		/*
		 * Without addr, keyd does not know where the credential is
		 * used from: a policy with ip-allow gives no access flag.
		 */
		memset(&who, 0, sizeof(who));
		who.role = role;
		who.policies = policies;
		who.addr = addr;
		perm_flags(keyd_conf(), &who, admin, app, &tfa);
	}
	return 0;
}

/*
 * The accountability of MSG_AUTH_RESULT, also the start of MSG_USER:
 * who the credential is, and until when a worker may keep that, with
 * the ticket that says the same to the item process (mac: a buffer of
 * TICKET_MAC_LEN bytes that outlives w).  A worker keeps an answer no
 * longer than its ticket, which is good for TICKET_TTL_MS at most: a
 * compromised worker can replay a ticket after its user lost a role
 * only for so long.
 */
void
auth_who_set(struct msg_who *w, uint32_t code, const struct store_user *u,
    const char *session, int64_t until, uint8_t *mac)
{
	int64_t	 expires;
	int	 admin = 0, app = 0;

	if (code == AUTH_OK)
		(void)auth_user_access(u, &admin, &app);
	w->code = code;
	w->user = code == AUTH_OK ? u->id : "";
	w->role = code == AUTH_OK ? u->role : "";
	w->admin = (uint8_t)admin;
	w->app = (uint8_t)app;
	w->session = code == AUTH_OK && session != NULL ? session : "";
	w->until = code == AUTH_OK && until > 0 ? (uint64_t)until : 0;
	/* Read beside a change whose invalidation may have gone already. */
	if (store_stale())
		w->until = 0;
	memset(&w->ticket, 0, sizeof(w->ticket));
	w->ticket.user = "";
	w->ticket.role = "";
	w->ticket.policies = "";
	if (code != AUTH_OK)
		return;
	expires = now_ms(CLOCK_REALTIME) + TICKET_TTL_MS;
	if (w->until > (uint64_t)expires)
		w->until = (uint64_t)expires;
	w->ticket.user = w->user;
	w->ticket.role = w->role;
	w->ticket.policies = u->policies;
	w->ticket.admin = w->admin;
	w->ticket.expires = w->until != 0 ? w->until : (uint64_t)expires;
	ticket_sign(keyd_ticket_key(), &w->ticket, mac);
}

static void
auth_result(struct keyd_chan *kc, uint32_t id, uint32_t code,
    const struct store_user *u, const char *session, int64_t until)
{
	struct msg_auth_result	 m;
	uint8_t			 mac[TICKET_MAC_LEN];

	auth_who_set(&m.who, code, u, session, until, mac);
	if (msg_send(kc->chan, MSG_AUTH_RESULT, id, -1, &m) == -1)
		log_warn("auth result to server %u", kc->slot);
}

static void
auth_tokens_set(struct msg_tokens *m, uint32_t code, const char *access,
    int64_t expires, const char *refresh, int64_t rttl)
{
	m->code = code;
	m->access = code == AUTH_OK ? access : "";
	m->expires = code == AUTH_OK ? (uint64_t)expires : 0;
	m->refresh = code == AUTH_OK ? refresh : "";
	m->refresh_ttl = code == AUTH_OK ? (uint64_t)rttl : 0;
	m->retry = 0;
}

static void
auth_tokens(struct keyd_chan *kc, uint32_t id, uint32_t code,
    const char *access, int64_t expires, const char *refresh, int64_t rttl)
{
	struct msg_tokens	 m;

	auth_tokens_set(&m, code, access, expires, refresh, rttl);
	if (msg_send(kc->chan, MSG_TOKENS, id, -1, &m) == -1)
		log_warn("tokens to server %u", kc->slot);
}

static void
auth_done(struct keyd_chan *kc, uint32_t id, uint32_t code)
{
	struct msg_done	 m = { .code = code };

	if (msg_send(kc->chan, MSG_DONE, id, -1, &m) == -1)
		log_warn("answer to server %u", kc->slot);
}

/*
 * A refresh token names its session: the base64url (AUTH_RT_LEN
 * characters) of
 *
 *	version (1)  session id (8)  generation (4)  salt (8)  MAC (24)
 *
 * integers big-endian, the MAC the first 24 bytes of HMAC-SHA256 under
 * keyd_refresh_key() of the 21 bytes before it.  A rotation moves the
 * session's generation on by one and changes nothing else in its row,
 * so that a refresh finds the row by its key and writes only that row,
 * and every token the session ever had is still known by its MAC: the
 * live one, the one before (its grace), or older (reused).  The store
 * keeps the generation and the salt (which tells a session from an
 * ended one of the same id: SQLite may reuse its last rowid), never the
 * key: nothing in it makes a token.  A token of the format before (64
 * random characters, AUTH_REFRESH_LEN: a store migrated with sessions
 * under way) is found by its SHA-256 as before, and its session gets a
 * token of this format at its next rotation.
 */
#define AUTH_RT_VERSION	1
#define AUTH_RT_BODY	(1 + 8 + 4 + STORE_SALT_LEN)
#define AUTH_RT_MAC	24
#define AUTH_RT_BYTES	(AUTH_RT_BODY + AUTH_RT_MAC)
#define AUTH_RT_LEN	60	/* base64url of AUTH_RT_BYTES */
#define AUTH_RT_GEN_MAX	UINT32_MAX

/* A refresh token, read: its session's id, generation and salt. */
struct auth_rt {
	int64_t		 sid;
	int64_t		 gen;
	uint8_t		 salt[STORE_SALT_LEN];
};

/*
 * HMAC-SHA256 keyed once and copied for each token, as ticket.c does:
 * HMAC() fetches the algorithm and keys a context on every call.  Made
 * before the sandbox (OpenSSL's first fetch needs what it refuses).
 */
static EVP_MAC_CTX	*auth_rt_hmac;

void
auth_init(void)
{
	EVP_MAC		*m;
	OSSL_PARAM	 params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((m = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		fatalx("%s: no HMAC", __func__);
	auth_rt_hmac = EVP_MAC_CTX_new(m);
	EVP_MAC_free(m);
	if (auth_rt_hmac == NULL || EVP_MAC_init(auth_rt_hmac,
	    keyd_refresh_key(), KEYD_REFRESH_KEY_LEN, params) != 1)
		fatalx("%s: HMAC key failed", __func__);
}

static void
auth_rt_mac(const uint8_t *body, uint8_t *mac)
{
	EVP_MAC_CTX	*ctx;
	uint8_t		 full[32];
	size_t		 len = 0;

	if ((ctx = EVP_MAC_CTX_dup(auth_rt_hmac)) == NULL ||
	    EVP_MAC_update(ctx, body, AUTH_RT_BODY) != 1 ||
	    EVP_MAC_final(ctx, full, &len, sizeof(full)) != 1 ||
	    len != sizeof(full))
		fatalx("%s: HMAC failed", __func__);
	EVP_MAC_CTX_free(ctx);
	memcpy(mac, full, AUTH_RT_MAC);
	explicit_bzero(full, sizeof(full));
}

static void
auth_rt_body(const struct auth_rt *rt, uint8_t *b)
{
	int	 i;

	b[0] = AUTH_RT_VERSION;
	for (i = 0; i < 8; i++)
		b[1 + i] = (uint8_t)((uint64_t)rt->sid >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		b[9 + i] = (uint8_t)((uint64_t)rt->gen >> (24 - 8 * i));
	memcpy(b + 13, rt->salt, STORE_SALT_LEN);
}

/* The session a token's body (auth_rt_body()) names. */
static void
auth_rt_unpack(const uint8_t *b, struct auth_rt *rt)
{
	int	 i;

	memset(rt, 0, sizeof(*rt));
	for (i = 0; i < 8; i++)
		rt->sid = (int64_t)(((uint64_t)rt->sid << 8) | b[1 + i]);
	for (i = 0; i < 4; i++)
		rt->gen = (rt->gen << 8) | b[9 + i];
	memcpy(rt->salt, b + 13, STORE_SALT_LEN);
}

/* The token of session rt. */
static void
auth_rt_token(const struct auth_rt *rt, char *out)
{
	uint8_t	 b[AUTH_RT_BYTES];

	auth_rt_body(rt, b);
	auth_rt_mac(b, b + AUTH_RT_BODY);
	if (b64url_encode(b, sizeof(b), out, AUTH_REFRESH_LEN + 1) !=
	    AUTH_RT_LEN)
		fatalx("%s: encode", __func__);
	out[AUTH_RT_LEN] = '\0';
	explicit_bzero(b, sizeof(b));
}

/*
 * The body and MAC of a token of this format (b), and the session it
 * names (rt), the MAC not checked: 0, or -1 when it is not one.
 */
static int
auth_rt_decode(const char *t, uint8_t *b, struct auth_rt *rt)
{
	size_t	 n, len = strlen(t);

	if (len != AUTH_RT_LEN || b64url_decode(t, len, b, AUTH_RT_BYTES,
	    &n) == -1 || n != AUTH_RT_BYTES || b[0] != AUTH_RT_VERSION)
		return -1;
	auth_rt_unpack(b, rt);
	return rt->sid > 0 ? 0 : -1;
}

/*
 * Read a refresh token: 0 and rt for one of this format whose MAC holds,
 * 1 for one of the format before (random: known only to the store), -1
 * for anything else, which names nothing and changes nothing.
 */
static int
auth_rt_read(const char *t, struct auth_rt *rt)
{
	uint8_t	 b[AUTH_RT_BYTES], mac[AUTH_RT_MAC];
	int	 ok;

	if (strlen(t) == AUTH_REFRESH_LEN)
		return auth_refresh_valid(t) ? 1 : -1;
	if (auth_rt_decode(t, b, rt) == -1)
		return -1;
	auth_rt_mac(b, mac);
	ok = CRYPTO_memcmp(mac, b + AUTH_RT_BODY, AUTH_RT_MAC) == 0;
	explicit_bzero(b, sizeof(b));
	explicit_bzero(mac, sizeof(mac));
	return ok ? 0 : -1;
}

/* A token of the format before: 64 characters of [A-Za-z0-9_-]. */
static int
auth_refresh_valid(const char *t)
{
	size_t	 i;

	for (i = 0; t[i] != '\0'; i++)
		if (!((t[i] >= 'A' && t[i] <= 'Z') ||
		    (t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= '0' && t[i] <= '9') || t[i] == '_' || t[i] == '-'))
			return 0;
	return i == AUTH_REFRESH_LEN;
}

/*
 * The key a session's current token is known by (a session claim, the
 * vouched sessions and their invalidations): for a token of this format
 * its session's id, generation and salt, then 12 zero bytes (a SHA-256
 * ends so with probability 2^-96); for one of the format before its
 * SHA-256, as before.
 */
void
auth_session_key(int64_t sid, int64_t gen, const uint8_t *salt,
    uint8_t *key)
{
	struct auth_rt	 rt;
	uint8_t		 b[AUTH_RT_BODY];

	rt.sid = sid;
	rt.gen = gen;
	memcpy(rt.salt, salt, STORE_SALT_LEN);
	auth_rt_body(&rt, b);
	memset(key, 0, STORE_HASH_LEN);
	memcpy(key, b + 1, AUTH_RT_BODY - 1);
}

/* The session a key of this format names (rt), or -1. */
static int
auth_session_key_read(const uint8_t *key, struct auth_rt *rt)
{
	uint8_t		 b[AUTH_RT_BODY];
	static const uint8_t zero[STORE_HASH_LEN - AUTH_RT_BODY + 1];

	if (memcmp(key + AUTH_RT_BODY - 1, zero, sizeof(zero)) != 0)
		return -1;
	b[0] = AUTH_RT_VERSION;
	memcpy(b + 1, key, AUTH_RT_BODY - 1);
	auth_rt_unpack(b, rt);
	return rt->sid > 0 ? 0 : -1;
}

/* The id of the session a key names; 0 for a key of the format before. */
int64_t
auth_session_key_id(const uint8_t *key)
{
	struct auth_rt	 rt;

	return auth_session_key_read(key, &rt) == 0 ? rt.sid : 0;
}

/* The key of a session row's live token. */
void
auth_session_current(const struct store_session *s, uint8_t *key)
{
	if (s->has_hash)
		memcpy(key, s->hash, STORE_HASH_LEN);
	else
		auth_session_key(s->id, s->gen, s->salt, key);
}

/*
 * The session claim of a session-mode JWT names its session by the key
 * of the session's current refresh token (auth_session_key()), in
 * base64url, never the token itself: no token can be made from it, and
 * the claim presented as a refresh token names nothing (its length is
 * neither format's); what refreshes a session-mode login is the refresh
 * cookie.
 */
void
auth_session_id(const uint8_t *hash, char *out, size_t len)
{
	if (len <= JWT_SESSION_LEN ||
	    b64url_encode(hash, STORE_HASH_LEN, out, len) != JWT_SESSION_LEN)
		fatalx("%s: session id", __func__);
	out[JWT_SESSION_LEN] = '\0';
}

/* The hash of the session a session claim names; -1 if it names none. */
int
auth_session_hash(const char *id, uint8_t *hash)
{
	size_t	 n;

	if (strlen(id) != JWT_SESSION_LEN || b64url_decode(id,
	    JWT_SESSION_LEN, hash, STORE_HASH_LEN, &n) == -1 ||
	    n != STORE_HASH_LEN)
		return -1;
	return 0;
}

/*
 * Must the user set up TFA: its role requires it (enforce-tfa) and it
 * has none yet?  The access token's claim enforce_tfa and /users/me say
 * so, as Directus's app reads it.
 */
int
auth_tfa_enforced(const struct store_user *u)
{
	struct perm_who	 who;
	int		 admin, app, tfa = 0;

	if (!u->has_tfa && (u->role[0] != '\0' || u->policies[0] != '\0')) {
		memset(&who, 0, sizeof(who));
		who.role = u->role;
		who.policies = u->policies;
		perm_flags(keyd_conf(), &who, &admin, &app, &tfa);
	}
	return tfa;
}

/*
 * The access token for a user: claims from the database, and its
 * admin and app access from where it asks from (ip).  In
 * session mode it names its session (hash: the SHA-256 of the session's
 * refresh token) and lives as long as the session cookie.
 */
static int
auth_issue(const struct store_user *u, const char *ip, uint32_t mode,
    char *out, size_t len, const uint8_t *hash, int64_t *expires)
{
	json_t	*claims;
	char	*payload;
	char	 session[JWT_SESSION_LEN + 1];
	int64_t	 iat = now_ms(CLOCK_REALTIME) / 1000;
	int	 admin, app, n;

	(void)auth_user_access_from(u, ip, &admin, &app);
	*expires = mode == AUTH_MODE_SESSION ? keyd_conf()->session_ttl :
	    keyd_conf()->access_ttl;
	claims = json_pack("{s:s,s:o,s:b,s:b}", "id", u->id, "role",
	    u->role[0] != '\0' ? json_string(u->role) : json_null(),
	    "app_access", app, "admin_access", admin);
	if (claims == NULL)
		return -1;
	if (mode == AUTH_MODE_SESSION) {
		auth_session_id(hash, session, sizeof(session));
		json_object_set_new(claims, "session", json_string(session));
	}
	/* As Directus: the app asks such a user to set up TFA. */
	if (auth_tfa_enforced(u))
		json_object_set_new(claims, "enforce_tfa", json_true());
	json_object_set_new(claims, "iat", json_integer(iat));
	json_object_set_new(claims, "exp", json_integer(iat +
	    *expires / 1000));
	json_object_set_new(claims, "iss", json_string("directus"));
	payload = json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(claims);
	if (payload == NULL)
		return -1;
	n = sign_jwt(payload, strlen(payload), out, len);
	free(payload);
	return n == -1 ? -1 : 0;
}

/*
 * A new session for a user: its refresh token and an access token.
 * Returns the answer's code: AUTH_UNAVAILABLE when the store refuses
 * the session (full, read-only or busy), as for a refresh.
 */
static uint32_t
auth_session_new(const struct store_user *u, uint32_t mode, const char *ip,
    const char *agent, const char *origin, char *access, size_t alen,
    char *refresh, int64_t *expires)
{
	struct auth_rt	 rt;
	uint8_t		 key[STORE_HASH_LEN];
	int64_t		 now = now_ms(CLOCK_REALTIME);

	memset(&rt, 0, sizeof(rt));
	arc4random_buf(rt.salt, sizeof(rt.salt));
	if (store_session_insert(rt.salt, u->id, now +
	    keyd_conf()->refresh_ttl, ip, agent, origin, &rt.sid) == -1)
		return AUTH_UNAVAILABLE;	/* full, read-only, busy store */
	auth_rt_token(&rt, refresh);
	auth_session_key(rt.sid, rt.gen, rt.salt, key);
	(void)store_user_touch(u->id, now);
	(void)store_sessions_expire(now);
	return auth_issue(u, ip, mode, access, alen, key, expires) == -1 ?
	    AUTH_INTERNAL : AUTH_OK;
}

/*
 * A Directus JWT: the MAC first; only then the claims keyd itself wrote.
 * A worker may keep the answer until the token expires (exp is checked
 * in whole seconds: good while now < exp * 1000 ms), and a session-mode
 * token no longer than its session, if keyd can vouch for that session.
 */
static uint32_t
auth_identify_jwt(const uint8_t *input, size_t ilen, const uint8_t *mac,
    size_t mlen, struct store_user *u, char *session, int64_t *until)
{
	struct jwt		 jwt;
	char			 token[AUTH_TOKEN_MAX + 128];
	const uint8_t		*dot;
	uint8_t			 hash[STORE_HASH_LEN];
	size_t			 n;
	int64_t			 now = now_ms(CLOCK_REALTIME), live = 0;
	int			 rv;

	if (ilen > AUTH_TOKEN_MAX || sign_verify((const char *)input, ilen,
	    mac, mlen) == -1)
		return AUTH_INVALID_TOKEN;
	/* A header keyd wrote: only the payload is left to read. */
	if ((dot = memchr(input, '.', ilen)) != NULL &&
	    sign_header_ours((const char *)input, ilen)) {
		if (jwt_parse_payload((const char *)dot + 1,
		    ilen - (size_t)(dot - input) - 1, &jwt) != JWT_DIRECTUS)
			return AUTH_INVALID_TOKEN;
	} else {
		memcpy(token, input, ilen);
		token[ilen] = '.';
		n = b64url_encode(mac, mlen, token + ilen + 1,
		    sizeof(token) - ilen - 1);
		if (jwt_parse_keys(token, ilen + 1 + n, sign_jwt_keys(),
		    &jwt) != JWT_DIRECTUS)
			return AUTH_INVALID_TOKEN;
	}
	if (jwt.exp <= now / 1000)
		return AUTH_TOKEN_EXPIRED;
	/* A store that does not answer says nothing of the token. */
	if ((rv = store_user_by_id(jwt.id, u)) == -1)
		return AUTH_UNAVAILABLE;
	if (rv != 0 || strcmp(u->status, "active") != 0)
		return AUTH_INVALID_CREDENTIALS;
	*until = jwt.exp < INT64_MAX / 1000 ? jwt.exp * 1000 : 0;
	if (jwt.session[0] != '\0') {
		if (auth_session_hash(jwt.session, hash) == -1 ||
		    (rv = auth_session_live(hash, u->id, &live)) == 0)
			return AUTH_INVALID_CREDENTIALS;
		if (rv == -1)
			return AUTH_UNAVAILABLE;
		(void)strlcpy(session, jwt.session, AUTH_REFRESH_LEN + 1);
		if (live < *until)
			*until = live;
		if (*until > 0)
			*until = invalidate_vouch(hash, *until, now);
	}
	return AUTH_OK;
}

/*
 * A session-mode JWT needs its session: live, or rotated less than the
 * grace period ago (other tabs still send the old cookie) while its
 * session goes on.  *until is when a live session ends (it is good while
 * now <= expires); 0 in the grace period, which is not to be cached.
 * 1 live, 0 not, -1 the store did not answer.
 */
static int
auth_session_live(const uint8_t *hash, const char *user, int64_t *until)
{
	struct store_session	 s;
	struct auth_rt		 rt;
	uint8_t			 family[STORE_HASH_LEN];
	int64_t			 now = now_ms(CLOCK_REALTIME), rotated;
	int			 rv;

	*until = 0;
	if (auth_session_key_read(hash, &rt) == 0) {
		if ((rv = store_session_by_id(rt.sid, now, &s)) != 0)
			return rv == -1 ? -1 : 0;
		if (CRYPTO_memcmp(s.salt, rt.salt, STORE_SALT_LEN) != 0 ||
		    strcmp(s.user_id, user) != 0)
			return 0;
		if (rt.gen == s.gen && !s.has_hash) {
			*until = s.expires + 1;
			return 1;
		}
		return rt.gen + 1 == s.gen &&
		    now - s.rotated <= keyd_conf()->session_grace;
	}
	if ((rv = store_session_get(hash, now, &s)) == 0) {
		*until = s.expires + 1;
		return strcmp(s.user_id, user) == 0;
	}
	if (rv == -1 || (rv = store_retired_get(hash, now, family,
	    &rotated)) == -1)
		return -1;
	if (rv != 0 || now - rotated > keyd_conf()->session_grace)
		return 0;
	if ((rv = store_family_live(family, now, user)) == -1)
		return -1;
	return rv == 0;
}

/*
 * Find the user of a credential: -1 when it is malformed, else 0 with
 * *code set.  A static token is looked up only by its SHA-256.  With
 * public non-NULL, the credential may be absent (CRED_NONE, two empty
 * blobs): *public is set, *code is AUTH_OK and u is left empty.
 */
static int
auth_identify_any(const struct msg_cred *c, uint32_t *code,
    struct store_user *u, char *session, int *public, int64_t *until)
{
	uint8_t		 hash[STORE_HASH_LEN];
	int		 rv;

	session[0] = '\0';
	*until = 0;
	memset(u, 0, sizeof(*u));
	if (public != NULL)
		*public = 0;
	if (c->kind == CRED_JWT)
		*code = auth_identify_jwt(c->a, c->a_len, c->b, c->b_len, u,
		    session, until);
	else if (c->kind == CRED_STATIC && c->a_len > 0 && c->b_len == 0) {
		sign_sha256(c->a, c->a_len, hash);
		rv = store_user_by_token(hash, u);
		*code = rv == -1 ? AUTH_UNAVAILABLE : rv != 0 ||
		    strcmp(u->status, "active") != 0 ?
		    AUTH_INVALID_CREDENTIALS : AUTH_OK;
		/* A static token never expires: until it changes. */
		*until = INT64_MAX;
	} else if (c->kind == CRED_NONE && public != NULL && c->a_len == 0 &&
	    c->b_len == 0) {
		*public = 1;
		*code = AUTH_OK;
	} else
		return -1;
	if (*code != AUTH_OK)
		*until = 0;
	return 0;
}

/*
 * *until is how long a worker may keep the answer (0: not at all); see
 * invalidate.c.
 */
int
auth_identify_cred(const struct msg_cred *c, uint32_t *code,
    struct store_user *u, char *session, int64_t *until)
{
	return auth_identify_any(c, code, u, session, NULL, until);
}

/* A credential or none, for the requests the public role may make. */
int
auth_identify_cred_public(const struct msg_cred *c, uint32_t *code,
    struct store_user *u, char *session, int *public)
{
	int64_t	 until;

	return auth_identify_any(c, code, u, session, public, &until);
}

/* MSG_AUTH: a credential.  Answer: MSG_AUTH_RESULT. */
int
keyd_auth_verify(struct keyd_chan *kc, struct frame *f)
{
	struct msg_auth		 m;
	struct store_user	 u;
	char			 session[AUTH_REFRESH_LEN + 1];
	uint32_t		 code;
	int64_t			 until;

	if (msg_read(f, MSG_AUTH, &m) == -1 ||
	    auth_identify_cred(&m.cred, &code, &u, session, &until) == -1)
		return -1;
	auth_result(kc, f->hdr.id, code, &u, session, until);
	explicit_bzero(session, sizeof(session));
	return 0;
}

/*
 * MSG_LOGIN.  A login the lockout refuses is answered at once, without
 * a hash (lockout.c).  Every other path does one hash verification: an
 * unknown email, an inactive user or a user without a password is
 * checked against the dummy hash, so that all failures cost the same.
 */
int
keyd_auth_login(struct keyd_chan *kc, struct frame *f)
{
	struct msg_login	 m;
	struct login		*l;
	struct lockout_policy	 p;
	int64_t			 now;
	int			 rv;

	if (msg_read(f, MSG_LOGIN, &m) == -1 || m.mode >= AUTH_MODE_MAX)
		return -1;
	if (auth_rate_refused(kc, f->hdr.id, m.ip)) {
		explicit_bzero(&m, sizeof(m));
		return 0;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("calloc");
	l->mode = m.mode;
	/* The same bounds as the message's: these cannot truncate. */
	(void)strlcpy(l->ip, m.ip, sizeof(l->ip));
	(void)strlcpy(l->agent, m.agent, sizeof(l->agent));
	(void)strlcpy(l->origin, m.origin, sizeof(l->origin));
	(void)strlcpy(l->otp, m.otp, sizeof(l->otp));
	l->chan_serial = kc->serial;
	l->id = f->hdr.id;
	rv = store_user_by_email(m.email, &l->user);
	l->found = rv == 0;
	l->known = rv == 0 && strcmp(l->user.status, "active") == 0 &&
	    l->user.password[0] != '\0';
	l->af = lockout_login(&l->lock, m.email, m.ip);
	l->lock.exempt = l->known && auth_last_admin(&l->user);
	if (rv != -1 && auth_login_refused(kc, l)) {
		explicit_bzero(l, sizeof(*l));
		free(l);
		return 0;
	}
	auth_lockout_policy(&p);
	now = now_ms(CLOCK_MONOTONIC);
	if (rv != -1)
		lockout_begin(&l->lock, &p, now);
	if (rv == -1 || hash_verify(l->known ? l->user.password : NULL,
	    m.password, m.password_len, auth_login_hashed, l) == -1) {
		lockout_finish(&l->lock, &p, now);
		auth_tokens(kc, l->id, rv == -1 && !store_down() ?
		    AUTH_INTERNAL : AUTH_UNAVAILABLE, NULL, 0, NULL, 0);
		explicit_bzero(l, sizeof(*l));
		free(l);
	}
	return 0;
}

/* Back on the event loop with the verdict of the hashing pool. */
static void
auth_login_hashed(enum hash_result result, const char *unused, void *arg)
{
	struct login		*l = arg;
	struct keyd_chan	*kc = keyd_chan_find(l->chan_serial);
	char			 access[AUTH_TOKEN_MAX], refresh[AUTH_REFRESH_LEN + 1];
	struct lockout_policy	 p;
	struct msg_tokens	 m;
	struct frame_buf	 fb;
	const char		*why = NULL;
	int64_t			 expires = 0;
	uint32_t		 code = AUTH_INVALID_CREDENTIALS;
	int			 batched;

	/*
	 * Its writes and its audit row ride in a group commit (batch.c),
	 * with the refreshes and the other logins of this pass: no sync
	 * of their own.  Without one they are written as they come.
	 */
	batched = batch_begin() == 0;
	access[0] = refresh[0] = '\0';
	auth_lockout_policy(&p);
	lockout_finish(&l->lock, &p, now_ms(CLOCK_MONOTONIC));
	/*
	 * The second factor once the password matched, as Directus does;
	 * a missing or wrong code counts as a failed login.
	 */
	if (result == HASH_MATCH && l->known &&
	    (code = tfa_login(&l->user, l->otp)) != AUTH_OK) {
		if (code == AUTH_INVALID_OTP) {
			auth_login_failed(l);
			why = l->otp[0] != '\0' ? "wrong one-time password" :
			    "no one-time password";
		}
	} else if (result == HASH_MATCH && l->known) {
		code = auth_session_new(&l->user, l->mode, l->ip, l->agent,
		    l->origin, access, sizeof(access), refresh, &expires);
		/* Its last access changed. */
		if (code == AUTH_OK) {
			invalidate_user(l->user.id);
			lockout_succeeded(&l->lock, &p,
			    now_ms(CLOCK_MONOTONIC));
			auth_login_audit(l, AUDIT_LOGIN, NULL);
		}
	} else if (result == HASH_BUSY)
		code = AUTH_UNAVAILABLE;
	else if (result == HASH_ERROR)
		code = AUTH_INTERNAL;
	else {
		auth_login_failed(l);
		why = !l->found ? "unknown email" :
		    strcmp(l->user.status, "active") != 0 ? "user not active" :
		    l->user.password[0] == '\0' ? "no password" :
		    "wrong password";
	}
	if (why != NULL)
		auth_login_audit(l, AUDIT_LOGIN_FAILED, why);
	auth_tokens_set(&m, code, access, expires, refresh,
	    keyd_conf()->refresh_ttl);
	if (kc != NULL && batched) {
		(void)msg_write(&fb, MSG_TOKENS, &m);
		batch_hold(kc, l->id, MSG_TOKENS, &fb, auth_refresh_failed,
		    NULL, NULL);
		explicit_bzero(fb.data, fb.len);
		frame_buf_free(&fb);
	} else if (kc != NULL &&
	    msg_send(kc->chan, MSG_TOKENS, l->id, -1, &m) == -1)
		log_warn("tokens to server %u", kc->slot);
	explicit_bzero(access, sizeof(access));
	explicit_bzero(refresh, sizeof(refresh));
	explicit_bzero(l, sizeof(*l));
	free(l);
}

/*
 * A login in the audit trail: the user who logged in, or for a failure
 * the user the email names (if any) and the reason, which only the
 * operator reads.
 */
static void
auth_login_audit(const struct login *l, const char *action, const char *why)
{
	struct audit_client	 c;
	const char		*user = l->found ? l->user.id : NULL;

	(void)strlcpy(c.ip, l->ip, sizeof(c.ip));
	(void)strlcpy(c.agent, l->agent, sizeof(c.agent));
	(void)strlcpy(c.origin, l->origin, sizeof(c.origin));
	audit_user(action, why == NULL ? user : NULL, user, &c, why);
}

/*
 * A failed login: an unknown email, an inactive user or a wrong
 * password alike (lockout.c counts them; nobody is suspended).
 */
static void
auth_login_failed(const struct login *l)
{
	struct lockout_policy	 p;
	int64_t			 now = now_ms(CLOCK_MONOTONIC);

	auth_lockout_policy(&p);
	if (lockout_failed(&l->lock, &p, now) == 1 &&
	    auth_lockout_loggable(now))
		log_info("user %s: logins locked for %llds after %d failed "
		    "logins, the last from %s", l->found ? l->user.id :
		    "(unknown email)", (long long)(p.lockout / 1000),
		    p.attempts, l->af != 0 ? l->ip : "(not an IP address)");
}

/*
 * Must this login wait (lockout.c)?  Then it is answered at once,
 * AUTH_TOO_MANY with the wait, and its password is not checked.
 */
static int
auth_login_refused(struct keyd_chan *kc, const struct login *l)
{
	static const char *const	 whys[] = {
		[LOCKOUT_NONE] = "",
		[LOCKOUT_ADDRESS] = "too many failures from the address",
		[LOCKOUT_ACCOUNT] = "a failure on this account just now",
		[LOCKOUT_LOCKED] = "failed on this account, which is locked",
		[LOCKOUT_BUSY] = "enough of its logins are under way",
	};
	struct lockout_policy	 p;
	struct msg_tokens	 m;
	enum lockout_why	 why;
	int64_t			 now = now_ms(CLOCK_MONOTONIC), wait;
	int			 first;

	auth_lockout_policy(&p);
	if ((wait = lockout_check(&l->lock, &p, now, &why, &first)) <= 0)
		return 0;
	/* The first refusal of each wait. */
	if (first && auth_lockout_loggable(now))
		log_info("login of %s from %s refused for %lldms: %s",
		    l->found ? l->user.id : "(unknown email)",
		    l->af != 0 ? l->ip : "(not an IP address)", (long long)wait,
		    whys[why]);
	if (first)
		auth_login_audit(l, AUDIT_LOGIN_FAILED, whys[why]);
	auth_tokens_set(&m, AUTH_TOO_MANY, NULL, 0, NULL, 0);
	m.retry = (uint64_t)wait;
	if (msg_send(kc->chan, MSG_TOKENS, l->id, -1, &m) == -1)
		log_warn("tokens to server %u", kc->slot);
	return 1;
}

/* Admins other than the one asked about (users.c counts the same way). */
struct auth_admins {
	const char	*id;
	int		 others;
};

static void
auth_admin_row(void *arg, const char **cols, int ncol)
{
	struct auth_admins	*a = arg;
	int			 admin, app;

	if (ncol == 3 && auth_policies_access(cols[1], cols[2], &admin,
	    &app) == 0 && admin && strcmp(cols[0], a->id) != 0)
		a->others++;
}

/*
 * Is u the last active user whose role or own policies give admin
 * access?  Failures
 * never lock it; when the store cannot tell, it counts as the last.
 */
static int
auth_last_admin(const struct store_user *u)
{
	struct auth_admins	 a = { u->id, 0 };
	int			 admin, app;

	if (strcmp(u->status, "active") != 0 ||
	    auth_user_access(u, &admin, &app) == -1 || !admin)
		return 0;
	if (store_users_admins(auth_admin_row, &a) == -1)
		return 1;
	return a.others == 0;
}

void
auth_lockout_policy(struct lockout_policy *p)
{
	p->attempts = keyd_conf()->login_attempts;
	p->lockout = keyd_conf()->login_lockout;
}

/*
 * At most AUTH_LOCKOUT_LOGS lockout lines a second, so that a flood of
 * logins does not flood the log; the next line allowed says how many
 * were left out.
 */
static int
auth_lockout_loggable(int64_t now)
{
	static int64_t	 second;
	static int	 lines;
	static uint64_t	 dropped;

	if (now / 1000 != second) {
		if (dropped > 0)
			log_info("%llu lockout lines were not logged",
			    (unsigned long long)dropped);
		second = now / 1000;
		lines = 0;
		dropped = 0;
	}
	if (lines >= AUTH_LOCKOUT_LOGS) {
		dropped++;
		return 0;
	}
	lines++;
	return 1;
}

/*
 * Successors handed out in the last grace period, by the hash of the
 * token they replaced: session-mode refreshes that race (several tabs)
 * all get the same new session.  Memory only, wiped when they expire.
 */
#define AUTH_GRACE_MAX	256

static struct grace {
	uint8_t		 old[STORE_HASH_LEN];
	char		 successor[AUTH_REFRESH_LEN + 1];
	int64_t		 until;
} auth_grace[AUTH_GRACE_MAX];
static size_t	 auth_grace_next;

static void
auth_grace_add(const uint8_t *old, const char *successor, int64_t until)
{
	struct grace	*g = &auth_grace[auth_grace_next++ % AUTH_GRACE_MAX];

	memcpy(g->old, old, sizeof(g->old));
	(void)strlcpy(g->successor, successor, sizeof(g->successor));
	g->until = until;
}

/* A group commit failed: the successor handed out does not exist. */
static void
auth_grace_drop(const uint8_t *old)
{
	size_t	 i;

	for (i = 0; i < AUTH_GRACE_MAX; i++)
		if (auth_grace[i].until != 0 &&
		    memcmp(auth_grace[i].old, old, STORE_HASH_LEN) == 0)
			explicit_bzero(&auth_grace[i], sizeof(auth_grace[i]));
}

static const char *
auth_grace_find(const uint8_t *old, int64_t now)
{
	size_t	 i;

	for (i = 0; i < AUTH_GRACE_MAX; i++) {
		if (auth_grace[i].until == 0)
			continue;
		if (auth_grace[i].until < now) {
			explicit_bzero(&auth_grace[i], sizeof(auth_grace[i]));
			continue;
		}
		if (memcmp(auth_grace[i].old, old, STORE_HASH_LEN) == 0)
			return auth_grace[i].successor;
	}
	return NULL;
}

/*
 * A token that is no longer live.  Within the grace period after its
 * rotation a session-mode refresh gets the successor again and any other
 * one a plain 401; later, presenting it again means it was stolen or
 * replayed, and the whole session ends.
 */
static uint32_t
auth_refresh_retired(const uint8_t *ohash, uint32_t mode, int64_t now,
    char *refresh, const struct audit_client *c)
{
	uint8_t		 family[STORE_HASH_LEN];
	char		 user[STORE_ID_MAX + 1];
	int64_t		 rotated;
	const char	*successor;

	if (store_retired_get(ohash, now, family, &rotated) != 0)
		return AUTH_INVALID_CREDENTIALS;
	if (now - rotated <= keyd_conf()->session_grace) {
		if (mode == AUTH_MODE_SESSION &&
		    (successor = auth_grace_find(ohash, now)) != NULL) {
			(void)strlcpy(refresh, successor, AUTH_REFRESH_LEN + 1);
			return AUTH_OK;
		}
		return AUTH_INVALID_CREDENTIALS;
	}
	if (store_family_user(family, user, sizeof(user)) != 0)
		user[0] = '\0';
	if (store_family_delete(family) == 0) {
		log_info("a rotated refresh token was used again: its "
		    "session was ended");
		audit_user(AUDIT_REFRESH_REUSE, NULL, user[0] != '\0' ? user :
		    NULL, c, NULL);
		invalidate_sessions();
	}
	return AUTH_INVALID_CREDENTIALS;
}

/* A refresh of the open group, queued until its commit (batch.c). */
struct refresh {
	TAILQ_ENTRY(refresh)	 entry;
	uint64_t		 chan_serial;
	uint32_t		 id;
	uint32_t		 code;
	char			 old[AUTH_TOKEN_MAX + 1];
	char			 token[AUTH_REFRESH_LEN + 1];
	char			 access[AUTH_TOKEN_MAX];
	uint8_t			 ohash[STORE_HASH_LEN];	/* its key */
	struct auth_rt		 rt;		/* old's, if it has the format */
	int			 legacy;	/* old has the format before */
	uint32_t		 mode;
	int64_t			 expires;
	int			 graced;	/* its successor is in auth_grace */
	struct audit_client	 client;
	char			 user[STORE_ID_MAX + 1];	/* its audit row's */
};
TAILQ_HEAD(refresh_queue, refresh);

static struct refresh_queue	 auth_refreshes =
				    TAILQ_HEAD_INITIALIZER(auth_refreshes);
static size_t			 auth_nrefreshes;

/*
 * Spent refreshes, wiped, kept for the next groups: a group frees its
 * refreshes (8 KiB each) at once, the allocator gave the top of its
 * heap back to the system, and the next group's callocs faulted the
 * pages in and cleared them again; the larger groups of a store of a
 * million sessions paid most (bench/README.md, "SQLite's refresh:
 * keyd's allocations").
 */
#define AUTH_REFRESH_SPARES	256
static struct refresh_queue	 auth_spares =
				    TAILQ_HEAD_INITIALIZER(auth_spares);
static size_t			 auth_nspares;

/* A refresh, all zero. */
static struct refresh *
auth_refresh_new(void)
{
	struct refresh	*r;

	if ((r = TAILQ_FIRST(&auth_spares)) != NULL) {
		TAILQ_REMOVE(&auth_spares, r, entry);
		auth_nspares--;
		memset(&r->entry, 0, sizeof(r->entry));
	} else if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	return r;
}

/* A refresh answered: wiped, and kept for another or freed. */
static void
auth_refresh_free(struct refresh *r)
{
	if (auth_nspares >= AUTH_REFRESH_SPARES) {
		freezero(r, sizeof(*r));
		return;
	}
	explicit_bzero(r, sizeof(*r));
	TAILQ_INSERT_TAIL(&auth_spares, r, entry);
	auth_nspares++;
}

/* A token rotated (its invalidation sent): session mode keeps a grace. */
static void
auth_refresh_rotated(struct refresh *r, int64_t now)
{
	if (r->mode == AUTH_MODE_SESSION) {
		auth_grace_add(r->ohash, r->token, now +
		    keyd_conf()->session_grace);
		r->graced = 1;
	}
}

/*
 * A refresh that got r->token (code AUTH_OK): its access token, and the
 * user of its audit row (auth_refresh_group() writes the group's).
 */
static uint32_t
auth_refresh_issue(struct refresh *r, const struct store_user *u,
    uint32_t code)
{
	uint8_t		 nhash[STORE_HASH_LEN], b[AUTH_RT_BYTES];
	struct auth_rt	 rt;

	if (code != AUTH_OK)
		return code;
	/* r->token is keyd's own: its MAC needs no check. */
	if (auth_rt_decode(r->token, b, &rt) == 0)
		auth_session_key(rt.sid, rt.gen, rt.salt, nhash);
	else
		sign_sha256(r->token, strlen(r->token), nhash);
	if (auth_issue(u, r->client.ip, r->mode, r->access, sizeof(r->access),
	    nhash, &r->expires) == -1)
		return AUTH_INTERNAL;
	(void)strlcpy(r->user, u->id, sizeof(r->user));
	return AUTH_OK;
}

/*
 * A session that ends because one of its tokens was used again after
 * its successor's grace: it was stolen or replayed.
 */
static void
auth_refresh_reused(const struct store_session *s,
    const struct audit_client *c)
{
	if (store_session_revoke(s->id) != 0)
		return;
	if (s->has_family)
		(void)store_family_delete(s->family);
	log_info("a rotated refresh token was used again: its session was "
	    "ended");
	audit_user(AUDIT_REFRESH_REUSE, NULL, s->user_id, c, NULL);
	invalidate_sessions();
}

/*
 * A token of this format that its session has no longer: the one
 * before the live one within the grace period after its rotation gets
 * the successor again (session mode; any other refresh a plain 401), as
 * auth_refresh_retired() does for the format before; after the grace,
 * or an older one, it was reused.
 */
static uint32_t
auth_refresh_past(struct refresh *r, const struct store_session *s,
    int64_t now)
{
	const char	*successor;

	if (r->rt.gen + 1 == s->gen &&
	    now - s->rotated <= keyd_conf()->session_grace) {
		if (r->mode == AUTH_MODE_SESSION &&
		    (successor = auth_grace_find(r->ohash, now)) != NULL) {
			(void)strlcpy(r->token, successor, sizeof(r->token));
			return AUTH_OK;
		}
		return AUTH_INVALID_CREDENTIALS;
	}
	if (r->rt.gen < s->gen)
		auth_refresh_reused(s, &r->client);
	return AUTH_INVALID_CREDENTIALS;
}

/*
 * One refresh of a token of this format by itself: its session, found
 * by its id, moves on a generation if the token is its live one.
 */
static uint32_t
auth_refresh_run_sid(struct refresh *r, int64_t now)
{
	struct store_session	 s;
	struct store_rotation	 rot;
	struct store_user	 u;
	uint32_t		 code;
	int			 rv;

	if ((rv = store_session_by_id(r->rt.sid, now, &s)) != 0)
		return rv == 1 ? AUTH_INVALID_CREDENTIALS : AUTH_UNAVAILABLE;
	if (CRYPTO_memcmp(s.salt, r->rt.salt, STORE_SALT_LEN) != 0 ||
	    s.has_hash || r->rt.gen > s.gen)
		return AUTH_INVALID_CREDENTIALS;	/* not this session */
	if (r->rt.gen < s.gen) {
		if ((code = auth_refresh_past(r, &s, now)) == AUTH_OK)
			code = auth_refresh_user(s.user_id, &u);
		return auth_refresh_issue(r, &u, code);
	}
	if ((rv = store_user_by_id(s.user_id, &u)) != 0)
		return rv == -1 ? AUTH_UNAVAILABLE : AUTH_INVALID_CREDENTIALS;
	if (strcmp(u.status, "active") != 0) {
		if (store_session_revoke(s.id) == 0)
			invalidate_session(r->ohash);
		return AUTH_INVALID_CREDENTIALS;
	}
	memset(&rot, 0, sizeof(rot));
	rot.sid = s.id;
	rot.gen = s.gen;
	memcpy(rot.salt, s.salt, STORE_SALT_LEN);
	rv = store_session_advance(&rot, now + keyd_conf()->refresh_ttl, now);
	if (rv != 0)
		return rv == 1 ? AUTH_INVALID_CREDENTIALS : AUTH_UNAVAILABLE;
	auth_refresh_next(r);
	invalidate_session(r->ohash);
	auth_refresh_rotated(r, now);
	return auth_refresh_issue(r, &u, AUTH_OK);
}

/* The successor of a token of this format (r->token). */
static void
auth_refresh_next(struct refresh *r)
{
	struct auth_rt	 next = r->rt;

	next.gen = r->rt.gen + 1;
	auth_rt_token(&next, r->token);
}

/*
 * One refresh by itself: rotate a live token, or find what a token that
 * is not live is: in the grace period (session mode), reused, or
 * unknown.  A live token of the format before gets one of this format:
 * its session takes a salt and generation 0, and the old token is
 * retired as before.
 */
static uint32_t
auth_refresh_run(struct refresh *r, int64_t now)
{
	struct store_session	 s;
	struct store_user	 u;
	struct auth_rt		 rt;
	uint32_t		 code;
	int			 rv;

	if (!r->legacy)
		return auth_refresh_run_sid(r, now);
	if ((rv = store_session_get(r->ohash, now, &s)) == 1) {
		if ((code = auth_refresh_retired(r->ohash, r->mode, now,
		    r->token, &r->client)) == AUTH_OK)
			code = auth_refresh_successor(r->token, now, &u);
		return auth_refresh_issue(r, &u, code);
	}
	if (rv == -1 || (rv = store_user_by_id(s.user_id, &u)) != 0)
		return rv == -1 ? AUTH_UNAVAILABLE : AUTH_INVALID_CREDENTIALS;
	if (strcmp(u.status, "active") != 0) {
		if (store_session_delete(r->ohash) == 0)
			invalidate_session(r->ohash);
		return AUTH_INVALID_CREDENTIALS;
	}
	memset(&rt, 0, sizeof(rt));
	rt.sid = s.id;
	arc4random_buf(rt.salt, sizeof(rt.salt));
	rv = store_session_rotate(&s, r->ohash, rt.salt,
	    now + keyd_conf()->refresh_ttl, now);
	if (rv != 0)
		return rv == 1 ? AUTH_INVALID_CREDENTIALS : AUTH_UNAVAILABLE;
	auth_rt_token(&rt, r->token);
	invalidate_session(r->ohash);
	auth_refresh_rotated(r, now);
	return auth_refresh_issue(r, &u, AUTH_OK);
}

/* Whether rot[i]'s token is among rot[0..m): once per group. */
static int
auth_refresh_twice(const struct store_rotation *rot, size_t m, size_t i)
{
	size_t	 j;

	for (j = 0; j < m; j++)
		if (CRYPTO_memcmp(rot[j].old, rot[i].old, STORE_HASH_LEN) == 0)
			return 1;
	return 0;
}

/*
 * The group's refreshes: each token once, rotated together where it is
 * live and its user active (one statement on PostgreSQL); the rest (a
 * token of the format before, a token not live, a user not active, a
 * token twice, a rotation that
 * lost a race with another host), or all when the group's statement
 * failed (a deadlock between hosts), one by one as before, so that each
 * gets its own answer.  rs[] and rot[] are reordered together.
 */
static void
auth_refresh_group(struct refresh **rs, struct store_rotation *rot,
    size_t n, int64_t now)
{
	struct refresh		*tr;
	struct store_rotation	 t;
	size_t			 i, m = 0;

	for (i = 0; i < n; i++) {
		if (rs[i]->legacy || auth_refresh_twice(rot, m, i))
			continue;
		t = rot[m], rot[m] = rot[i], rot[i] = t;
		tr = rs[m], rs[m] = rs[i], rs[i] = tr;
		auth_refresh_next(rs[m]);
		m++;
	}
	explicit_bzero(&t, sizeof(t));
	if (m > 0 && store_sessions_rotate(rot, m, now +
	    keyd_conf()->refresh_ttl, now) == -1)
		m = 0;
	auth_refresh_invalidate(rot, m);
	for (i = 0; i < n; i++) {
		if (i < m && rot[i].rotated == 0) {
			auth_refresh_rotated(rs[i], now);
			rs[i]->code = auth_refresh_issue(rs[i], &rot[i].u,
			    AUTH_OK);
		} else if (i < m && rot[i].rotated == -1)
			rs[i]->code = AUTH_UNAVAILABLE;
		else
			rs[i]->code = auth_refresh_run(rs[i], now);
	}
	auth_refresh_audit(rs, n);
}

/* The invalidations of the tokens the group rotated together. */
static void
auth_refresh_invalidate(const struct store_rotation *rot, size_t m)
{
	uint8_t		*hashes;
	size_t		 i, k = 0;

	if (m == 0)
		return;
	if ((hashes = reallocarray(NULL, m, STORE_HASH_LEN)) == NULL)
		fatal("reallocarray");
	for (i = 0; i < m; i++)
		if (rot[i].rotated == 0)
			memcpy(hashes + STORE_HASH_LEN * k++, rot[i].old,
			    STORE_HASH_LEN);
	invalidate_sessions_rotated(hashes, k);
	free(hashes);
}

/* The audit rows of the group's refreshes that got tokens: one go. */
static void
auth_refresh_audit(struct refresh **rs, size_t n)
{
	const char			**users;
	const struct audit_client	**clients;
	size_t				 i, k = 0;

	if ((users = calloc(n, sizeof(*users))) == NULL ||
	    (clients = calloc(n, sizeof(*clients))) == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++)
		if (rs[i]->code == AUTH_OK) {
			users[k] = rs[i]->user;
			clients[k++] = &rs[i]->client;
		}
	/* In the group's transaction: no sync of its own. */
	audit_users(AUDIT_REFRESH, users, clients, k);
	free(users);
	free(clients);
}

size_t
auth_refresh_queued(void)
{
	return auth_nrefreshes;
}

/*
 * batch.c, before the group's commit: run its queued refreshes and hold
 * their answers.
 */
void
auth_refresh_flush(void)
{
	struct msg_tokens	 answer;
	struct frame_buf	 fb;
	struct keyd_chan	*kc;
	struct refresh		**rs, *r;
	struct store_rotation	*rot;
	size_t			 i, n = auth_nrefreshes;

	if (n == 0)
		return;
	if ((rs = calloc(n, sizeof(*rs))) == NULL ||
	    (rot = calloc(n, sizeof(*rot))) == NULL)
		fatal("calloc");
	for (i = 0; i < n; i++) {
		rs[i] = r = TAILQ_FIRST(&auth_refreshes);
		TAILQ_REMOVE(&auth_refreshes, r, entry);
		memcpy(rot[i].old, r->ohash, STORE_HASH_LEN);
		rot[i].sid = r->rt.sid;
		rot[i].gen = r->rt.gen;
		memcpy(rot[i].salt, r->rt.salt, STORE_SALT_LEN);
	}
	auth_nrefreshes = 0;
	auth_refresh_group(rs, rot, n, now_ms(CLOCK_REALTIME));
	for (i = 0; i < n; i++) {
		r = rs[i];
		/* Its channel may have gone while the store worked. */
		if ((kc = keyd_chan_find(r->chan_serial)) != NULL) {
			auth_tokens_set(&answer, r->code, r->access,
			    r->expires, r->token, keyd_conf()->refresh_ttl);
			(void)msg_write(&fb, MSG_TOKENS, &answer);
			batch_hold(kc, r->id, MSG_TOKENS, &fb,
			    auth_refresh_failed, r->graced ? auth_grace_drop :
			    NULL, r->ohash);
			frame_buf_free(&fb);
		}
		auth_refresh_free(r);
	}
	freezero(rot, n * sizeof(*rot));
	free(rs);
}

/*
 * rate-limit-shared: the auth-rate-limit of an address (IPv6 per /64)
 * counted in the store, so that every host sharing it (PostgreSQL)
 * counts together; the workers leave login and refresh to it.  1:
 * refused, and answered as the workers' limit answers.  A store that
 * shares nothing (SQLite) or is out of reach counts nothing here.
 */
static int
auth_rate_refused(struct keyd_chan *kc, uint32_t id, const char *ip)
{
	const struct tokend_config	*conf = keyd_conf();
	struct msg_tokens		 m;
	struct in6_addr			 a6;
	char				 key[INET6_ADDRSTRLEN + 4];
	int64_t				 now, count, reset;

	if (!conf->rate_shared || conf->auth_rate_points == 0)
		return 0;
	if (inet_pton(AF_INET6, ip, &a6) == 1 && !IN6_IS_ADDR_V4MAPPED(&a6)) {
		memset(a6.s6_addr + 8, 0, 8);
		if (inet_ntop(AF_INET6, &a6, key, sizeof(key)) == NULL)
			return 0;
		(void)strlcat(key, "/64", sizeof(key));
	} else
		(void)strlcpy(key, ip, sizeof(key));
	now = now_ms(CLOCK_REALTIME);
	if (store_rate_hit(key, now, conf->auth_rate_duration, &count,
	    &reset) != 0 || count <= conf->auth_rate_points)
		return 0;
	auth_tokens_set(&m, AUTH_TOO_MANY, NULL, 0, NULL, 0);
	m.retry = (uint64_t)(reset > now ? reset - now : 1);
	if (msg_send(kc->chan, MSG_TOKENS, id, -1, &m) == -1)
		log_warn("tokens to server %u", kc->slot);
	return 1;
}

/*
 * MSG_REFRESH.  A token of the right form joins the open group commit,
 * where it is rotated with the group's other refreshes; the answer
 * leaves once the group is on disk (batch.c).
 */
int
keyd_auth_refresh(struct keyd_chan *kc, struct frame *f)
{
	struct msg_refresh	 m;
	struct refresh		*r;
	struct auth_rt		 rt;
	int			 legacy;

	if (msg_read(f, MSG_REFRESH, &m) == -1 || m.mode >= AUTH_MODE_MAX) {
		explicit_bzero(&m, sizeof(m));
		return -1;
	}
	if (auth_rate_refused(kc, f->hdr.id, m.client.ip)) {
		explicit_bzero(&m, sizeof(m));
		return 0;
	}
	if ((legacy = auth_rt_read(m.token, &rt)) == -1 ||
	    (legacy == 0 && rt.gen >= AUTH_RT_GEN_MAX))
		auth_tokens(kc, f->hdr.id, AUTH_INVALID_CREDENTIALS, NULL, 0,
		    NULL, 0);
	else if (batch_begin() == -1)
		auth_refresh_failed(kc, f->hdr.id);
	else {
		r = auth_refresh_new();
		r->chan_serial = kc->serial;
		r->id = f->hdr.id;
		(void)strlcpy(r->old, m.token, sizeof(r->old));
		r->mode = m.mode;
		audit_client_copy(&r->client, &m.client);
		r->legacy = legacy;
		if (legacy) {
			sign_sha256(r->old, strlen(r->old), r->ohash);
		} else {
			r->rt = rt;
			auth_session_key(rt.sid, rt.gen, rt.salt, r->ohash);
		}
		TAILQ_INSERT_TAIL(&auth_refreshes, r, entry);
		auth_nrefreshes++;
	}
	explicit_bzero(&m, sizeof(m));
	explicit_bzero(&rt, sizeof(rt));
	return 0;
}

/* The group commit of a refresh failed: nothing was rotated. */
static void
auth_refresh_failed(struct keyd_chan *kc, uint32_t id)
{
	auth_tokens(kc, id, AUTH_UNAVAILABLE, NULL, 0, NULL, 0);
}

/* The user of a session whose successor is handed out again. */
static uint32_t
auth_refresh_user(const char *id, struct store_user *u)
{
	if (store_user_by_id(id, u) != 0 || strcmp(u->status, "active") != 0)
		return AUTH_INVALID_CREDENTIALS;
	return AUTH_OK;
}

/* The user behind a successor (refresh) handed out again. */
static uint32_t
auth_refresh_successor(const char *refresh, int64_t now, struct store_user *u)
{
	struct store_session	 s;
	struct auth_rt		 rt;

	if (auth_rt_read(refresh, &rt) != 0 ||
	    store_session_by_id(rt.sid, now, &s) != 0)
		return AUTH_INVALID_CREDENTIALS;
	return auth_refresh_user(s.user_id, u);
}

/*
 * The session of a token being logged out, if the token is its live one:
 * 0 with s and the token's key, 1 none, -1 the store failed.
 */
static int
auth_logout_session(const char *token, int64_t now, struct store_session *s,
    uint8_t *key)
{
	struct auth_rt	 rt;
	int		 rv;

	memset(key, 0, STORE_HASH_LEN);
	switch (auth_rt_read(token, &rt)) {
	case 0:
		auth_session_key(rt.sid, rt.gen, rt.salt, key);
		if ((rv = store_session_by_id(rt.sid, now, s)) != 0)
			return rv;
		return !s->has_hash && s->gen == rt.gen &&
		    CRYPTO_memcmp(s->salt, rt.salt, STORE_SALT_LEN) == 0 ?
		    0 : 1;
	case 1:
		sign_sha256(token, strlen(token), key);
		return store_session_get(key, now, s);
	default:
		return 1;
	}
}

/* MSG_LOGOUT.  An unknown token is not an error. */
int
keyd_auth_logout(struct keyd_chan *kc, struct frame *f)
{
	struct msg_logout	 m;
	struct store_session	 s;
	struct audit_client	 c;
	uint8_t			 key[STORE_HASH_LEN];
	uint32_t		 code = AUTH_OK;
	int			 rv = 1;

	if (msg_read(f, MSG_LOGOUT, &m) == -1) {
		explicit_bzero(&m, sizeof(m));
		return -1;
	}
	audit_client_copy(&c, &m.client);
	/* The end of a session and its audit row: one transaction. */
	if (store_begin() == -1)
		code = AUTH_UNAVAILABLE;
	else {
		if ((rv = auth_logout_session(m.token,
		    now_ms(CLOCK_REALTIME), &s, key)) == -1 ||
		    (rv == 0 && store_session_revoke(s.id) == -1))
			code = AUTH_UNAVAILABLE;
		else if (rv == 0)
			audit_user(AUDIT_LOGOUT, s.user_id, s.user_id, &c,
			    NULL);
		if (code == AUTH_OK && store_commit() == -1)
			code = AUTH_UNAVAILABLE;
		if (code != AUTH_OK)
			store_rollback();
	}
	if (code == AUTH_OK)
		invalidate_session(key);
	auth_done(kc, f->hdr.id, code);
	explicit_bzero(&m, sizeof(m));
	explicit_bzero(key, sizeof(key));
	return 0;
}
