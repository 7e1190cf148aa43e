/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * HS256 signatures.  The secret is keyed once into an HMAC-SHA256
 * EVP_MAC_CTX; each token re-initialises that context with a NULL key,
 * which keeps the key schedule and costs a quarter of re-keying.  keyd
 * keeps no other copy of the key here: OpenSSL wipes its own when the
 * context is freed.
 *
 * A token is three base64url segments, header.payload.mac, where the mac
 * covers the first two exactly as they are written.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "b64url.h"
#include "log.h"
#include "sign.h"

static EVP_MAC_CTX	*sign_ctx;
static EVP_MD		*sign_md;

static int	 sign_mac(const void *, size_t, uint8_t *);
static void	 sign_sslerr(const char *);

static void
sign_sslerr(const char *what)
{
	char	 buf[256];

	ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
	log_warnx("%s: %s", what, buf);
	ERR_clear_error();
}

/* Key the one HMAC context; a second call replaces the key. */
int
sign_init(const uint8_t *key, size_t keylen)
{
	EVP_MAC		*mac;
	OSSL_PARAM	 params[2];
	char		 digest[] = "SHA256";

	sign_free();
	if (key == NULL || keylen == 0)
		return -1;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL) {
		sign_sslerr("EVP_MAC_fetch");
		return -1;
	}
	sign_ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (sign_ctx == NULL ||
	    EVP_MAC_init(sign_ctx, key, keylen, params) != 1 ||
	    EVP_MAC_CTX_get_mac_size(sign_ctx) != SIGN_MAC_LEN ||
	    (sign_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		sign_sslerr("sign_init");
		sign_free();
		return -1;
	}
	return 0;
}

void
sign_free(void)
{
	EVP_MAC_CTX_free(sign_ctx);
	sign_ctx = NULL;
	EVP_MD_free(sign_md);
	sign_md = NULL;
}

/* HMAC-SHA256 with the pre-keyed context; out holds SIGN_MAC_LEN. */
static int
sign_mac(const void *in, size_t len, uint8_t *out)
{
	size_t	 outlen;

	if (sign_ctx == NULL)
		return -1;
	if (EVP_MAC_init(sign_ctx, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(sign_ctx, in, len) != 1 ||
	    EVP_MAC_final(sign_ctx, out, &outlen, SIGN_MAC_LEN) != 1 ||
	    outlen != SIGN_MAC_LEN) {
		sign_sslerr("HMAC-SHA256");
		return -1;
	}
	return 0;
}

/*
 * header.payload.mac from a payload JSON text, NUL-terminated in out.
 * Returns the length, or -1 when the token would exceed SIGN_TOKEN_MAX
 * or outlen.
 */
int
sign_jwt(const char *payload, size_t len, char *out, size_t outlen)
{
	uint8_t	 mac[SIGN_MAC_LEN];
	size_t	 hlen = sizeof(SIGN_JWT_HEADER) - 1, plen, n;

	if (outlen > 0)
		out[0] = '\0';
	if (len > SIGN_TOKEN_MAX)
		return -1;
	plen = B64URL_ENCLEN(len);
	n = hlen + 1 + plen;
	if (n + 1 + B64URL_ENCLEN(SIGN_MAC_LEN) > SIGN_TOKEN_MAX ||
	    n + 1 + B64URL_ENCLEN(SIGN_MAC_LEN) + 1 > outlen)
		return -1;
	memcpy(out, SIGN_JWT_HEADER, hlen);
	out[hlen] = '.';
	if (b64url_encode((const uint8_t *)payload, len, out + hlen + 1,
	    plen) != plen || sign_mac(out, n, mac) == -1) {
		out[0] = '\0';
		return -1;
	}
	out[n++] = '.';
	n += b64url_encode(mac, sizeof(mac), out + n, outlen - n);
	out[n] = '\0';
	return (int)n;
}

/*
 * 0 when mac is the HMAC of signing_input (header.payload as received).
 * The comparison always covers all 32 bytes.  The MAC computed for an
 * input the caller chose is wiped: it would be a valid signature.
 */
int
sign_verify(const char *input, size_t len, const uint8_t *mac,
    size_t maclen)
{
	uint8_t	 want[SIGN_MAC_LEN];
	int	 rv = -1;

	if (mac == NULL || maclen != SIGN_MAC_LEN || len > SIGN_TOKEN_MAX)
		return -1;
	if (sign_mac(input, len, want) == 0 &&
	    CRYPTO_memcmp(want, mac, SIGN_MAC_LEN) == 0)
		rv = 0;
	explicit_bzero(want, sizeof(want));
	return rv;
}

/* Static and refresh tokens are stored as their SHA-256 only. */
void
sign_sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int	 n = 0;

	if (EVP_Digest(data, len, out, &n, sign_md != NULL ? sign_md :
	    EVP_sha256(), NULL) != 1 || n != 32)
		fatalx("%s: EVP_Digest failed", __func__);
}
