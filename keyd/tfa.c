/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Two-factor authentication: the TOTP secrets of the users, sealed at
 * rest, and the check of a login's code.
 *
 * A secret is kept in users.tfa_secret sealed with AES-256-GCM under
 * the TFA key, a file of its own (tfa-key, created like the signing
 * secret: 32 random bytes, mode 0600, read before the chroot), with the
 * user's id as associated data, so that a sealed secret copied to
 * another row does not open:
 *
 *	tokend-tfa-1:<base64url of nonce (12) | ciphertext | tag (16)>
 *
 * A secret as Directus keeps it (its base32 text, from an imported
 * database) is sealed when keyd starts.  The key is not derived from
 * the signing secret, which may be rotated.
 *
 * A code is taken for one time step only once: the store keeps the
 * last step taken (store_user_tfa_step), so a code seen once, or one of
 * an earlier step, is refused.  The window is one step either side.
 *
 * Recovery codes (a tokend extension) stand in for one code each: ten
 * of 12 base32 characters (60 bits), shown once as xxxx-xxxx-xxxx and
 * kept only as the SHA-256 of the user's id and the code; a login with
 * one uses it up.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "b64url.h"
#include "hash.h"
#include "keyd.h"
#include "log.h"
#include "proto.h"
#include "sign.h"
#include "totp.h"

#define TFA_PREFIX		"tokend-tfa-1:"
#define TFA_NONCE_LEN		12
#define TFA_TAG_LEN		16
#define TFA_WINDOW		1	/* steps either side of now */
#define TFA_SEALED_MAX		(TFA_NONCE_LEN + TOTP_SECRET_MAX + TFA_TAG_LEN)
#define TFA_RECOVERY_CODES	10
#define TFA_RECOVERY_CHARS	12	/* base32, 60 bits */
#define TFA_RECOVERY_TEXT	(TFA_RECOVERY_CHARS + 2)	/* dashes */

static struct keyd_secret	 tfa_key;

static int	 tfa_crypt(int, const char *, const uint8_t *, const uint8_t *,
		    size_t, uint8_t *, uint8_t *);
static void	 tfa_plain_row(void *, const char **, int);
static int	 tfa_recovery_hash(const char *, const char *, uint8_t *);
static uint32_t	 tfa_recovery_login(const struct store_user *, const char *);

/* Before the chroot: the key, made when missing. */
int
tfa_init(const char *path, uid_t uid, gid_t gid)
{
	if (secret_load(path, uid, gid, &tfa_key) == -1)
		return -1;
	if (tfa_key.len < 32) {
		log_warnx("TFA key %s: shorter than 32 bytes", path);
		return -1;
	}
	return 0;
}

void
tfa_free(void)
{
	secret_free(&tfa_key);
}

/*
 * AES-256-GCM over in (len bytes) into out; tag is written when
 * sealing, checked when opening.  The associated data is the user id.
 */
static int
tfa_crypt(int seal, const char *id, const uint8_t *nonce, const uint8_t *in,
    size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX	*ctx;
	int		 n, m, ok;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL,
	    seal) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, TFA_NONCE_LEN,
	    NULL) == 1 &&
	    EVP_CipherInit_ex(ctx, NULL, NULL, tfa_key.key, nonce, seal) == 1 &&
	    EVP_CipherUpdate(ctx, NULL, &n, (const uint8_t *)id,
	    (int)strlen(id)) == 1 &&
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 &&
	    (seal || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
	    TFA_TAG_LEN, tag) == 1) &&
	    EVP_CipherFinal_ex(ctx, out + n, &m) == 1 &&
	    (!seal || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
	    TFA_TAG_LEN, tag) == 1);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* Seal a base32 secret for user id into out (text); -1 on failure. */
int
tfa_seal(const char *id, const char *secret, char *out, size_t outlen)
{
	uint8_t	 buf[TFA_SEALED_MAX];
	size_t	 len = strlen(secret), n;

	if (tfa_key.key == NULL || len == 0 || len > TOTP_SECRET_MAX ||
	    outlen < sizeof(TFA_PREFIX))
		return -1;
	arc4random_buf(buf, TFA_NONCE_LEN);
	if (tfa_crypt(1, id, buf, (const uint8_t *)secret, len,
	    buf + TFA_NONCE_LEN, buf + TFA_NONCE_LEN + len) == -1)
		return -1;
	(void)strlcpy(out, TFA_PREFIX, outlen);
	/* b64url_encode() writes no NUL: room is left for one. */
	n = b64url_encode(buf, TFA_NONCE_LEN + len + TFA_TAG_LEN,
	    out + sizeof(TFA_PREFIX) - 1, outlen - sizeof(TFA_PREFIX));
	explicit_bzero(buf, sizeof(buf));
	if (n == 0)
		return -1;
	out[sizeof(TFA_PREFIX) - 1 + n] = '\0';
	return 0;
}

/*
 * The base32 secret of a stored value: opened when sealed, as it is
 * when imported; -1 when it does not open (another row's, a changed
 * key).
 */
static int
tfa_open(const char *id, const char *stored, char *secret, size_t len)
{
	uint8_t	 buf[TFA_SEALED_MAX];
	size_t	 n, plen = sizeof(TFA_PREFIX) - 1;
	int	 rv = -1;

	if (strncmp(stored, TFA_PREFIX, plen) != 0)
		return strlcpy(secret, stored, len) < len ? 0 : -1;
	if (b64url_decode(stored + plen, strlen(stored + plen), buf,
	    sizeof(buf), &n) == -1 || n <= TFA_NONCE_LEN + TFA_TAG_LEN ||
	    n - TFA_NONCE_LEN - TFA_TAG_LEN >= len)
		return -1;
	n -= TFA_NONCE_LEN + TFA_TAG_LEN;
	if (tfa_crypt(0, id, buf, buf + TFA_NONCE_LEN, n, (uint8_t *)secret,
	    buf + TFA_NONCE_LEN + n) == 0) {
		secret[n] = '\0';
		rv = 0;
	} else
		explicit_bzero(secret, len);
	explicit_bzero(buf, sizeof(buf));
	return rv;
}

struct tfa_plain {
	char	(*rows)[2][TOTP_SECRET_MAX + 1];	/* id, secret */
	size_t	 n, cap;
	int	 failed;
};

static void
tfa_plain_row(void *arg, const char **cols, int ncol)
{
	struct tfa_plain	*p = arg;
	void			*nr;

	if (ncol != 2 || p->failed)
		return;
	if (p->n == p->cap) {
		if ((nr = reallocarray(p->rows, p->cap * 2 + 8,
		    sizeof(*p->rows))) == NULL) {
			p->failed = 1;
			return;
		}
		p->rows = nr;
		p->cap = p->cap * 2 + 8;
	}
	if (strlcpy(p->rows[p->n][0], cols[0], sizeof(p->rows[0][0])) >=
	    sizeof(p->rows[0][0]) || strlcpy(p->rows[p->n][1], cols[1],
	    sizeof(p->rows[0][1])) >= sizeof(p->rows[0][1]))
		log_warnx("user %s: TFA secret too long, left as it is",
		    cols[0]);
	else
		p->n++;
}

/*
 * At start: seal the secrets that came in as Directus keeps them.  One
 * transaction; a failure leaves them all as they were (and is fatal for
 * nobody: they still work, unsealed).
 */
int
tfa_seal_imported(void)
{
	struct tfa_plain	 p;
	char			 sealed[512];
	size_t			 i;
	int			 rv = 0;

	memset(&p, 0, sizeof(p));
	if (store_users_tfa_plain(TFA_PREFIX, tfa_plain_row, &p) == -1 ||
	    p.failed) {
		free(p.rows);
		return -1;
	}
	if (p.n > 0 && store_begin() == 0) {
		for (i = 0; i < p.n && rv == 0; i++)
			if (tfa_seal(p.rows[i][0], p.rows[i][1], sealed,
			    sizeof(sealed)) == -1 ||
			    store_user_tfa_set(p.rows[i][0], sealed) == -1)
				rv = -1;
		if (rv == 0 && store_commit() == 0)
			log_info("sealed the TFA secrets of %zu imported "
			    "users", p.n);
		else {
			store_rollback();
			rv = -1;
		}
	}
	explicit_bzero(sealed, sizeof(sealed));
	if (p.rows != NULL)
		explicit_bzero(p.rows, p.cap * sizeof(*p.rows));
	free(p.rows);
	return rv;
}

/*
 * The hash a recovery code is kept as: SHA-256 of the user's id, a
 * colon and the code in upper case without dashes or blanks.  -1 when
 * text cannot be a recovery code.
 */
static int
tfa_recovery_hash(const char *id, const char *text, uint8_t *hash)
{
	char	 in[STORE_ID_MAX + 1 + TFA_RECOVERY_CHARS + 1];
	size_t	 n, len;

	len = strlcpy(in, id, sizeof(in));
	if (len > STORE_ID_MAX)
		return -1;
	in[len++] = ':';
	for (n = 0; *text != '\0'; text++) {
		if (*text == '-' || *text == ' ')
			continue;
		if (n == TFA_RECOVERY_CHARS ||
		    strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
		    toupper((unsigned char)*text)) == NULL || *text == '\0')
			return -1;
		in[len + n++] = (char)toupper((unsigned char)*text);
	}
	if (n != TFA_RECOVERY_CHARS)
		return -1;
	sign_sha256(in, len + n, hash);
	explicit_bzero(in, sizeof(in));
	return 0;
}

/* A recovery code in place of a TOTP code: used up when it is one. */
static uint32_t
tfa_recovery_login(const struct store_user *u, const char *otp)
{
	uint8_t	 hash[STORE_HASH_LEN];
	int	 rv;

	if (tfa_recovery_hash(u->id, otp, hash) == -1)
		return AUTH_INVALID_OTP;
	rv = store_tfa_recovery_use(u->id, hash);
	if (rv == 0)
		log_info("user %s: a TFA recovery code used", u->id);
	return rv == 0 ? AUTH_OK : rv == 1 ? AUTH_INVALID_OTP : AUTH_INTERNAL;
}

/*
 * A login's second factor, for a user whose password matched: AUTH_OK
 * when the user has no TFA, otp is a code not taken before, or one of
 * the user's recovery codes; AUTH_INVALID_OTP otherwise.
 */
uint32_t
tfa_login(const struct store_user *u, const char *otp)
{
	char		 stored[512], secret[TOTP_SECRET_MAX + 1];
	uint8_t		 key[TOTP_KEY_MAX];
	size_t		 keylen;
	int64_t		 last, step;
	uint32_t	 code = AUTH_INVALID_OTP;
	int		 rv;

	if (!u->has_tfa)
		return AUTH_OK;
	if ((rv = store_user_tfa_get(u->id, stored, sizeof(stored),
	    &last)) == 1)
		return AUTH_OK;	/* cleared meanwhile */
	if (rv == -1)
		return AUTH_INTERNAL;
	if (tfa_open(u->id, stored, secret, sizeof(secret)) == -1 ||
	    totp_base32_decode(secret, key, sizeof(key), &keylen) == -1) {
		log_warnx("user %s: TFA secret does not open", u->id);
		code = AUTH_INTERNAL;
	} else if (otp[0] != '\0' && totp_match(key, keylen, otp,
	    now_ms(CLOCK_REALTIME) / 1000, TFA_WINDOW, &step) == 0) {
		rv = store_user_tfa_step(u->id, step);
		code = rv == 0 ? AUTH_OK : rv == 1 ? AUTH_INVALID_OTP :
		    AUTH_INTERNAL;
	} else if (strlen(otp) > TOTP_DIGITS)
		code = tfa_recovery_login(u, otp);
	explicit_bzero(stored, sizeof(stored));
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(key, sizeof(key));
	return code;
}

/*
 * The /tfa routes (MSG_TFA, answered with MSG_USERS_RESULT), with the
 * answers of Directus 11: INVALID_PAYLOAD with Directus's reasons, 204
 * for a change, and for generate the secret and its otpauth URL.
 */
#define TFA_NEW_SECRET		20	/* random bytes: 160 bits, RFC 4226 */
#define TFA_URL_MAX		1024

struct tfa_gen {
	uint64_t		 chan_serial;
	uint32_t		 id;
	struct store_user	 user;
};

static void	 tfa_answer(struct keyd_chan *, uint32_t, uint32_t,
		    const char *, const char *);
static int	 tfa_string(json_t *, const char *, const char **);
static void	 tfa_uri_put(char *, size_t, const char *);
static void	 tfa_generated(enum hash_result, const char *, void *);
static uint32_t	 tfa_enable(const struct store_user *, json_t *, char *,
		    size_t, struct keyd_chan *);
static uint32_t	 tfa_disable(const struct store_user *, json_t *, char *,
		    size_t, struct keyd_chan *);
static void	 tfa_changed(const char *, const char *,
		    const struct keyd_chan *, const char *);
static uint32_t	 tfa_code_check(const struct store_user *, json_t *, char *,
		    size_t);
static uint32_t	 tfa_clear(const char *);
static uint32_t	 tfa_recovery(const struct store_user *, json_t *, char *,
		    size_t, struct keyd_chan *, char **);

static void
tfa_answer(struct keyd_chan *kc, uint32_t id, uint32_t code,
    const char *message, const char *json)
{
	if (kc != NULL)
		users_result_write(kc, id, code, message, json);
}

/* 0: a string member; 1: missing or null; -1: another type. */
static int
tfa_string(json_t *body, const char *key, const char **v)
{
	json_t	*j = json_object_get(body, key);

	*v = NULL;
	if (j == NULL || json_is_null(j))
		return 1;
	if (!json_is_string(j))
		return -1;
	*v = json_string_value(j);
	return 0;
}

/* Append s percent-encoded as encodeURIComponent does. */
static void
tfa_uri_put(char *buf, size_t len, const char *s)
{
	static const char	 keep[] = "-_.!~*'()";
	char			 one[4];

	for (; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr(keep, *s) != NULL) {
			one[0] = *s;
			one[1] = '\0';
		} else
			(void)snprintf(one, sizeof(one), "%%%02X",
			    (unsigned char)*s);
		(void)strlcat(buf, one, len);
	}
}

/*
 * Who asks for the MSG_TFA being served, and from where, for the audit
 * trail (set by keyd_tfa_request(), which runs to its end on the loop).
 */
static struct {
	char			 caller[AUTH_ID_LEN + 1];
	struct audit_client	 client;
} tfa_asker;

/*
 * A change of a user's TFA, in the log with who asked (never the
 * secret), and in the audit trail (action).
 */
static void
tfa_changed(const char *user, const char *what, const struct keyd_chan *kc,
    const char *action)
{
	audit_user(action, tfa_asker.caller[0] != '\0' ? tfa_asker.caller :
	    NULL, user, &tfa_asker.client, NULL);
	if (kc != NULL)
		log_info("user %s: two-factor authentication %s by server %u "
		    "(pid %u)", user, what, kc->slot, kc->pid);
	else
		log_info("user %s: two-factor authentication %s", user, what);
}

/* MSG_TFA.  -1 for a malformed frame. */
int
keyd_tfa_request(struct keyd_chan *kc, struct frame *f)
{
	struct msg_tfa		 m;
	struct store_user	 u, target;
	struct tfa_gen		*g;
	char			 session[AUTH_REFRESH_LEN + 1], why[256];
	const char		*pw;
	json_t			*body = NULL;
	char			*json = NULL;
	uint32_t		 code;
	int			 admin, app, public, rv;

	if (msg_read(f, MSG_TFA, &m) == -1 || m.op == 0 ||
	    m.op >= TFA_OP_MAX || auth_identify_cred_public(&m.cred, &code,
	    &u, session, &public) == -1)
		return -1;
	explicit_bzero(session, sizeof(session));
	(void)strlcpy(tfa_asker.caller, u.id, sizeof(tfa_asker.caller));
	audit_client_copy(&tfa_asker.client, &m.client);
	/* Without a token: Directus's answer to an anonymous request. */
	if (public)
		code = AUTH_INVALID_CREDENTIALS;
	why[0] = '\0';
	if (code != AUTH_OK)
		goto answer;
	if (m.op == TFA_ADMIN_DISABLE) {
		code = AUTH_FORBIDDEN;
		if (auth_user_access(&u, &admin, &app) == 0 && admin &&
		    store_user_by_id(m.target, &target) == 0) {
			code = tfa_clear(target.id);
			if (code == AUTH_OK && target.has_tfa)
				tfa_changed(target.id, "disabled by an "
				    "administrator", kc, AUDIT_TFA_DISABLE);
		}
		goto answer;
	}
	code = AUTH_INVALID_PAYLOAD;
	if (m.body_len == 0 || (body = json_loadb((const char *)m.body,
	    m.body_len, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(body)) {
		(void)strlcpy(why, "Invalid payload. Invalid JSON.",
		    sizeof(why));
		goto answer;
	}
	if (m.op == TFA_ENABLE) {
		code = tfa_enable(&u, body, why, sizeof(why), kc);
		goto answer;
	}
	if (m.op == TFA_DISABLE) {
		code = tfa_disable(&u, body, why, sizeof(why), kc);
		goto answer;
	}
	if (m.op == TFA_RECOVERY) {
		code = tfa_recovery(&u, body, why, sizeof(why), kc, &json);
		goto answer;
	}
	/* TFA_GENERATE: the password first, on the hashing pool. */
	if ((rv = tfa_string(body, "password", &pw)) != 0) {
		(void)strlcpy(why, rv == 1 ? "Invalid payload. \"password\" "
		    "is required." : "Invalid payload. \"password\" must be "
		    "a string.", sizeof(why));
		goto answer;
	}
	if (u.has_tfa) {
		(void)strlcpy(why, "Invalid payload. TFA Secret is already "
		    "set for this user.", sizeof(why));
		goto answer;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL)
		fatal("calloc");
	g->chan_serial = kc->serial;
	g->id = f->hdr.id;
	g->user = u;
	if (hash_verify(u.password, (const uint8_t *)pw, strlen(pw),
	    tfa_generated, g) == -1) {
		explicit_bzero(g, sizeof(*g));
		free(g);
		code = AUTH_UNAVAILABLE;
		goto answer;
	}
	json_decref(body);
	explicit_bzero(&u, sizeof(u));
	return 0;
 answer:
	tfa_answer(kc, f->hdr.id, code, why, json);
	if (json != NULL) {
		explicit_bzero(json, strlen(json));
		free(json);
	}
	json_decref(body);
	explicit_bzero(&u, sizeof(u));
	return 0;
}

/* generate, once the password was checked: a new secret, not stored. */
static void
tfa_generated(enum hash_result result, const char *unused, void *arg)
{
	struct tfa_gen		*g = arg;
	struct keyd_chan	*kc = keyd_chan_find(g->chan_serial);
	uint8_t			 raw[TFA_NEW_SECRET];
	char			 secret[TOTP_SECRET_MAX + 1];
	char			 url[TFA_URL_MAX];
	const char		*issuer = keyd_conf()->tfa_issuer;
	json_t			*j;
	char			*text = NULL;
	uint32_t		 code = AUTH_INVALID_CREDENTIALS;

	if (result == HASH_BUSY)
		code = AUTH_UNAVAILABLE;
	else if (result == HASH_ERROR)
		code = AUTH_INTERNAL;
	else if (result == HASH_MATCH) {
		arc4random_buf(raw, sizeof(raw));
		(void)totp_base32_encode(raw, sizeof(raw), secret,
		    sizeof(secret));
		(void)strlcpy(url, "otpauth://totp/", sizeof(url));
		tfa_uri_put(url, sizeof(url), issuer);
		(void)strlcat(url, ":", sizeof(url));
		tfa_uri_put(url, sizeof(url), g->user.email);
		(void)strlcat(url, "?secret=", sizeof(url));
		(void)strlcat(url, secret, sizeof(url));
		(void)strlcat(url, "&period=30&digits=6&algorithm=SHA1&issuer=",
		    sizeof(url));
		tfa_uri_put(url, sizeof(url), issuer);
		j = json_pack("{s:{s:s,s:s}}", "data", "secret", secret,
		    "otpauth_url", url);
		text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		code = text != NULL ? AUTH_OK : AUTH_INTERNAL;
		explicit_bzero(raw, sizeof(raw));
		explicit_bzero(secret, sizeof(secret));
		explicit_bzero(url, sizeof(url));
	}
	tfa_answer(kc, g->id, code, "", text);
	if (text != NULL) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	explicit_bzero(g, sizeof(*g));
	free(g);
}

/* enable {secret, otp}: the code must be one of the secret given. */
static uint32_t
tfa_enable(const struct store_user *u, json_t *body, char *why, size_t len,
    struct keyd_chan *kc)
{
	const char	*secret, *otp;
	char		 sealed[512];
	uint8_t		 key[TOTP_KEY_MAX];
	size_t		 keylen;
	int64_t		 step;
	int		 rs, ro;
	uint32_t	 code = AUTH_INVALID_PAYLOAD;

	rs = tfa_string(body, "secret", &secret);
	ro = tfa_string(body, "otp", &otp);
	if (rs != 0)
		(void)strlcpy(why, rs == 1 ? "Invalid payload. \"secret\" is "
		    "required." : "Invalid payload. \"secret\" must be a "
		    "string.", len);
	else if (ro == 1)
		(void)strlcpy(why, "Invalid payload. \"otp\" is required.",
		    len);
	else if (u->has_tfa)
		(void)strlcpy(why, "Invalid payload. TFA Secret is already "
		    "set for this user.", len);
	else if (ro == -1 || strlen(secret) > TOTP_SECRET_MAX ||
	    totp_base32_decode(secret, key, sizeof(key), &keylen) == -1 ||
	    keylen < 10 || totp_match(key, keylen, otp,
	    now_ms(CLOCK_REALTIME) / 1000, TFA_WINDOW, &step) == -1)
		(void)strlcpy(why, "Invalid payload. \"otp\" is invalid.", len);
	else if (tfa_seal(u->id, secret, sealed, sizeof(sealed)) == -1 ||
	    store_begin() == -1)
		code = AUTH_INTERNAL;
	else if (store_user_tfa_set(u->id, sealed) == -1 ||
	    store_user_tfa_step(u->id, step) == -1 ||
	    store_tfa_recovery_clear(u->id) == -1 || store_commit() == -1) {
		store_rollback();
		code = AUTH_INTERNAL;
	} else {
		/* The code that turned it on cannot log in again. */
		invalidate_user(u->id);
		tfa_changed(u->id, "enabled", kc, AUDIT_TFA_ENABLE);
		code = AUTH_OK;
	}
	explicit_bzero(key, sizeof(key));
	explicit_bzero(sealed, sizeof(sealed));
	return code;
}

/*
 * The {otp} of disable and recovery-codes: a current TOTP code of the
 * user's own secret (not a recovery code), taken once.  A wrong code
 * counts against the account as a failed login does, so that a stolen
 * session cannot walk through the codes.
 */
static uint32_t
tfa_code_check(const struct store_user *u, json_t *body, char *why,
    size_t len)
{
	struct lockout_login	 lock;
	struct lockout_policy	 p;
	enum lockout_why	 lw;
	const char		*otp;
	char			 who[STORE_ID_MAX + 8];
	int64_t			 now = now_ms(CLOCK_MONOTONIC);
	int			 ro, first;
	uint32_t		 code;

	ro = tfa_string(body, "otp", &otp);
	if (ro == 1) {
		(void)strlcpy(why, "Invalid payload. \"otp\" is required.",
		    len);
		return AUTH_INVALID_PAYLOAD;
	}
	if (!u->has_tfa) {
		(void)snprintf(why, len, "Invalid payload. User \"%s\" doesn't "
		    "have TFA enabled.", u->id);
		return AUTH_INVALID_PAYLOAD;
	}
	/* The user's own attempts, apart from any address's logins. */
	(void)snprintf(who, sizeof(who), "tfa %s", u->id);
	auth_lockout_policy(&p);
	(void)lockout_login(&lock, u->email, who);
	if (lockout_check(&lock, &p, now, &lw, &first) > 0)
		return AUTH_TOO_MANY;
	code = ro == -1 || strlen(otp) != TOTP_DIGITS ? AUTH_INVALID_OTP :
	    tfa_login(u, otp);
	if (code == AUTH_INVALID_OTP) {
		(void)lockout_failed(&lock, &p, now);
		(void)strlcpy(why, "Invalid payload. \"otp\" is invalid.", len);
		return AUTH_INVALID_PAYLOAD;
	}
	if (code == AUTH_OK)
		lockout_succeeded(&lock, &p, now);
	return code;
}

/* Clear a user's TFA secret and recovery codes, in one transaction. */
static uint32_t
tfa_clear(const char *id)
{
	if (store_begin() == -1)
		return AUTH_INTERNAL;
	if (store_user_tfa_set(id, NULL) == -1 ||
	    store_tfa_recovery_clear(id) == -1 || store_commit() == -1) {
		store_rollback();
		return AUTH_INTERNAL;
	}
	invalidate_user(id);
	return AUTH_OK;
}

/* tokenctl user tfa-disable: 0, or -1. */
int
tfa_disable_user(const char *id)
{
	return tfa_clear(id) == AUTH_OK ? 0 : -1;
}

/* disable {otp} */
static uint32_t
tfa_disable(const struct store_user *u, json_t *body, char *why, size_t len,
    struct keyd_chan *kc)
{
	uint32_t	 code;

	if ((code = tfa_code_check(u, body, why, len)) != AUTH_OK ||
	    (code = tfa_clear(u->id)) != AUTH_OK)
		return code;
	tfa_changed(u->id, "disabled", kc, AUDIT_TFA_DISABLE);
	return AUTH_OK;
}

/*
 * recovery-codes {otp}: ten new recovery codes, which replace any
 * earlier ones, shown this once; *json is the answer.
 */
static uint32_t
tfa_recovery(const struct store_user *u, json_t *body, char *why,
    size_t len, struct keyd_chan *kc, char **json)
{
	uint8_t		 raw[8], hash[STORE_HASH_LEN];
	char		 b32[16], text[TFA_RECOVERY_TEXT + 1];
	json_t		*codes, *j;
	uint32_t	 code;
	int		 i, k, failed = 0;

	*json = NULL;
	if ((code = tfa_code_check(u, body, why, len)) != AUTH_OK)
		return code;
	if ((codes = json_array()) == NULL || store_begin() == -1) {
		json_decref(codes);
		return AUTH_INTERNAL;
	}
	failed = store_tfa_recovery_clear(u->id) == -1;
	for (i = 0; i < TFA_RECOVERY_CODES && !failed; i++) {
		arc4random_buf(raw, sizeof(raw));
		(void)totp_base32_encode(raw, sizeof(raw), b32, sizeof(b32));
		for (k = 0; k < TFA_RECOVERY_CHARS; k++)
			b32[k] = (char)tolower((unsigned char)b32[k]);
		(void)snprintf(text, sizeof(text), "%.4s-%.4s-%.4s", b32,
		    b32 + 4, b32 + 8);
		failed = tfa_recovery_hash(u->id, text, hash) == -1 ||
		    store_tfa_recovery_add(u->id, hash) == -1 ||
		    json_array_append_new(codes, json_string(text)) == -1;
	}
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(b32, sizeof(b32));
	explicit_bzero(text, sizeof(text));
	if (failed || store_commit() == -1) {
		store_rollback();
		json_decref(codes);
		return AUTH_INTERNAL;
	}
	j = json_pack("{s:{s:o}}", "data", "codes", codes);
	*json = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	tfa_changed(u->id, "given new recovery codes", kc,
	    AUDIT_TFA_RECOVERY);
	return *json != NULL ? AUTH_OK : AUTH_INTERNAL;
}
