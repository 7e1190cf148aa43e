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
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "b64url.h"
#include "keyd.h"
#include "log.h"
#include "totp.h"

#define TFA_PREFIX		"tokend-tfa-1:"
#define TFA_NONCE_LEN		12
#define TFA_TAG_LEN		16
#define TFA_WINDOW		1	/* steps either side of now */
#define TFA_SEALED_MAX		(TFA_NONCE_LEN + TOTP_SECRET_MAX + TFA_TAG_LEN)

static struct keyd_secret	 tfa_key;

static int	 tfa_crypt(int, const char *, const uint8_t *, const uint8_t *,
		    size_t, uint8_t *, uint8_t *);
static void	 tfa_plain_row(void *, const char **, int);

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
	n = b64url_encode(buf, TFA_NONCE_LEN + len + TFA_TAG_LEN,
	    out + sizeof(TFA_PREFIX) - 1, outlen - sizeof(TFA_PREFIX) + 1);
	explicit_bzero(buf, sizeof(buf));
	return n == 0 ? -1 : 0;
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
 * A login's second factor, for a user whose password matched: AUTH_OK
 * when the user has no TFA or otp is a code not taken before,
 * AUTH_INVALID_OTP otherwise.
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
	}
	explicit_bzero(stored, sizeof(stored));
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(key, sizeof(key));
	return code;
}
