/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Split and read a Directus access JWT.  See jwt.h for the rules.
 *
 * The payload is read first: its "iss" alone says whether the token is
 * ours.  Only then are the header and the signature held to the strict
 * rules, so a foreign or random token is never reported as malformed.
 * Every segment is decoded into a buffer on the stack (the token is at
 * most JWT_TOKEN_MAX bytes) and parsed by jansson with duplicate
 * members refused; jansson also refuses invalid UTF-8, unpaired
 * surrogates and \u0000, so the strings we copy hold no NUL.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "b64url.h"
#include "jwt.h"

#define JWT_SEGMENT_MAX	B64URL_DECLEN(JWT_TOKEN_MAX)
#define JWT_UUID_LEN	36

/* Header members for features we lack, or keys we never trust. */
static const char *const jwt_header_refused[] = {
	"crit", "b64", "jku", "jwk", "x5u", "x5c"
};

static int	 jwt_split(const char *, size_t, size_t *, size_t *);
static json_t	*jwt_json(const char *, size_t);
static int	 jwt_str_is(json_t *, const char *);
static int	 jwt_header(json_t *, const struct jwt_keys *);
static int	 jwt_kid_known(const struct jwt_keys *, const char *, size_t);
static int	 jwt_mac(const char *, size_t, uint8_t *, size_t);
static int	 jwt_claims(json_t *, struct jwt *);
static int	 jwt_uuid(json_t *, char *, size_t);
static int	 jwt_integer(json_t *, int64_t *);
static int	 jwt_session(json_t *, char *, size_t);

/* Directus's rules: HS256, any kid. */
enum jwt_kind
jwt_parse(const char *token, size_t len, struct jwt *out)
{
	static const struct jwt_keys	 directus = { .alg = "HS256" };

	return jwt_parse_keys(token, len, &directus, out);
}

/* The signature's length with alg, 0 for an algorithm we do not take. */
size_t
jwt_sig_len(const char *alg)
{
	if (strcmp(alg, "HS256") == 0)
		return JWT_MAC_LEN;
	if (strcmp(alg, "EdDSA") == 0 || strcmp(alg, "ES256") == 0)
		return JWT_SIG_MAX;
	return 0;
}

enum jwt_kind
jwt_parse_keys(const char *token, size_t len, const struct jwt_keys *keys,
    struct jwt *out)
{
	json_t		*header = NULL, *payload;
	size_t		 dot1, dot2, siglen = jwt_sig_len(keys->alg);
	enum jwt_kind	 kind = JWT_MALFORMED;

	memset(out, 0, sizeof(*out));
	if (jwt_split(token, len, &dot1, &dot2) == -1)
		return JWT_NOT_DIRECTUS;
	if ((payload = jwt_json(token + dot1 + 1, dot2 - dot1 - 1)) == NULL)
		return JWT_NOT_DIRECTUS;
	if (!jwt_str_is(json_object_get(payload, "iss"), "directus")) {
		json_decref(payload);
		return JWT_NOT_DIRECTUS;
	}
	if ((header = jwt_json(token, dot1)) != NULL &&
	    jwt_header(header, keys) == 0 && siglen > 0 &&
	    jwt_mac(token + dot2 + 1, len - dot2 - 1, out->mac, siglen) == 0 &&
	    jwt_claims(payload, out) == 0) {
		out->signing_len = dot2;
		out->mac_len = siglen;
		kind = JWT_DIRECTUS;
	}
	json_decref(header);
	json_decref(payload);
	if (kind != JWT_DIRECTUS)
		explicit_bzero(out, sizeof(*out));
	return kind;
}

/*
 * The claims alone, from the payload segment (base64url, no dots) of a
 * token whose header and signature the caller has already held to the
 * rules (keyd: a header byte for byte one of its keys' and the
 * signature verified): the same claims jwt_parse_keys() reads, the
 * header and the signature neither decoded nor parsed again.
 */
enum jwt_kind
jwt_parse_payload(const char *seg, size_t len, struct jwt *out)
{
	json_t		*payload;
	enum jwt_kind	 kind = JWT_MALFORMED;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > JWT_TOKEN_MAX || memchr(seg, '.', len) != NULL ||
	    (payload = jwt_json(seg, len)) == NULL)
		return JWT_NOT_DIRECTUS;
	if (!jwt_str_is(json_object_get(payload, "iss"), "directus"))
		kind = JWT_NOT_DIRECTUS;
	else if (jwt_claims(payload, out) == 0)
		kind = JWT_DIRECTUS;
	json_decref(payload);
	if (kind != JWT_DIRECTUS)
		explicit_bzero(out, sizeof(*out));
	return kind;
}

/*
 * Canonical 8-4-4-4-12 hex, its letters all in one case, and that case
 * one of cases (UUID_LOWER, UUID_UPPER): a mixed spelling would be a
 * second name for one uuid.  The one uuid check of every program.
 */
int
uuid_valid(const char *s, int cases)
{
	size_t	 i;
	int	 seen = 0;

	if (s == NULL || strnlen(s, JWT_UUID_LEN + 1) != JWT_UUID_LEN)
		return 0;
	for (i = 0; i < JWT_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (s[i] >= 'a' && s[i] <= 'f')
			seen |= UUID_LOWER;
		else if (s[i] >= 'A' && s[i] <= 'F')
			seen |= UUID_UPPER;
		else if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	return seen != (UUID_LOWER | UUID_UPPER) && (seen & ~cases) == 0;
}

/*
 * A user or role id from a token or a request: one issued elsewhere
 * may be spelled in either case, never in a mix.
 */
int
jwt_uuid_valid(const char *s)
{
	return uuid_valid(s, UUID_LOWER | UUID_UPPER);
}

/*
 * Exactly two dots.  At most three bounded scans, whatever the token
 * holds: a token of dots costs no more than any other.
 */
static int
jwt_split(const char *token, size_t len, size_t *dot1, size_t *dot2)
{
	const char	*p;

	if (len == 0 || len > JWT_TOKEN_MAX)
		return -1;
	if ((p = memchr(token, '.', len)) == NULL)
		return -1;
	*dot1 = p - token;
	if ((p = memchr(p + 1, '.', len - *dot1 - 1)) == NULL)
		return -1;
	*dot2 = p - token;
	if (memchr(p + 1, '.', len - *dot2 - 1) != NULL)
		return -1;
	return 0;
}

/* A segment that is canonical base64url of a JSON object, or NULL. */
static json_t *
jwt_json(const char *seg, size_t len)
{
	json_error_t	 error;
	json_t		*obj = NULL;
	uint8_t		 buf[JWT_SEGMENT_MAX];
	size_t		 n;

	if (b64url_decode(seg, len, buf, sizeof(buf), &n) == 0)
		obj = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES,
		    &error);
	explicit_bzero(buf, sizeof(buf));
	if (obj != NULL && !json_is_object(obj)) {
		json_decref(obj);
		obj = NULL;
	}
	return obj;
}

static int
jwt_str_is(json_t *v, const char *want)
{
	size_t	 len = strlen(want);

	return json_is_string(v) && json_string_length(v) == len &&
	    memcmp(json_string_value(v), want, len) == 0;
}

/*
 * The header names the configured algorithm (never another: no "none",
 * no HS256 token checked with a public key), a known kid, and nothing
 * we would have to act on.
 */
static int
jwt_header(json_t *h, const struct jwt_keys *keys)
{
	json_t	*v;
	size_t	 i;

	if (!jwt_str_is(json_object_get(h, "alg"), keys->alg))
		return -1;
	if ((v = json_object_get(h, "typ")) != NULL && !jwt_str_is(v, "JWT"))
		return -1;
	for (i = 0; i < sizeof(jwt_header_refused) /
	    sizeof(jwt_header_refused[0]); i++)
		if (json_object_get(h, jwt_header_refused[i]) != NULL)
			return -1;
	if ((v = json_object_get(h, "kid")) == NULL)
		return strcmp(keys->alg, "HS256") == 0 ? 0 : -1;
	if (!json_is_string(v) || json_string_length(v) > JWT_KID_MAX)
		return -1;
	if (keys->known && !jwt_kid_known(keys, json_string_value(v),
	    json_string_length(v)))
		return -1;
	return 0;
}

/* kid is one of the space-separated words of keys->kids. */
static int
jwt_kid_known(const struct jwt_keys *keys, const char *kid, size_t len)
{
	const char	*p = keys->kids, *end;

	while ((end = strchr(p, ' ')) != NULL) {
		if ((size_t)(end - p) == len && len > 0 &&
		    memcmp(p, kid, len) == 0)
			return 1;
		p = end + 1;
	}
	return 0;
}

/* Canonical base64url of exactly want bytes. */
static int
jwt_mac(const char *seg, size_t len, uint8_t *mac, size_t want)
{
	size_t	 n;

	if (want > JWT_SIG_MAX || len != B64URL_ENCLEN(want) ||
	    b64url_decode(seg, len, mac, want, &n) == -1 || n != want)
		return -1;
	return 0;
}

static int
jwt_claims(json_t *p, struct jwt *out)
{
	json_t	*role = json_object_get(p, "role");
	json_t	*app = json_object_get(p, "app_access");
	json_t	*admin = json_object_get(p, "admin_access");
	json_t	*v;

	if (jwt_uuid(json_object_get(p, "id"), out->id, sizeof(out->id)) == -1)
		return -1;
	if (json_is_null(role))
		out->role_null = 1;
	else if (jwt_uuid(role, out->role, sizeof(out->role)) == -1)
		return -1;
	if (!json_is_boolean(app) || !json_is_boolean(admin))
		return -1;
	out->app_access = json_is_true(app);
	out->admin_access = json_is_true(admin);
	if (jwt_integer(json_object_get(p, "iat"), &out->iat) == -1 ||
	    jwt_integer(json_object_get(p, "exp"), &out->exp) == -1)
		return -1;
	if ((v = json_object_get(p, "nbf")) != NULL &&
	    jwt_integer(v, &out->nbf) == -1)
		return -1;
	if ((v = json_object_get(p, "session")) != NULL &&
	    jwt_session(v, out->session, sizeof(out->session)) == -1)
		return -1;
	if ((v = json_object_get(p, "enforce_tfa")) != NULL &&
	    !json_is_boolean(v))
		return -1;
	/* We issue no share tokens; one claiming to be ours is forged. */
	if (json_object_get(p, "share") != NULL)
		return -1;
	return 0;
}

static int
jwt_uuid(json_t *v, char *out, size_t len)
{
	if (!json_is_string(v) || !jwt_uuid_valid(json_string_value(v)) ||
	    strlcpy(out, json_string_value(v), len) >= len)
		return -1;
	return 0;
}

/* A NumericDate: a JSON integer (never a real or a string) in 0..2^53. */
static int
jwt_integer(json_t *v, int64_t *out)
{
	json_int_t	 i;

	if (!json_is_integer(v))
		return -1;
	i = json_integer_value(v);
	if (i < 0 || i > JWT_INT_MAX)
		return -1;
	*out = i;
	return 0;
}

static int
jwt_session(json_t *v, char *out, size_t len)
{
	uint8_t	 id[JWT_SESSION_BYTES + 1];
	size_t	 n;

	if (!json_is_string(v) || json_string_length(v) != JWT_SESSION_LEN ||
	    len <= JWT_SESSION_LEN ||
	    b64url_decode(json_string_value(v), JWT_SESSION_LEN, id,
	    sizeof(id), &n) == -1 || n != JWT_SESSION_BYTES)
		return -1;
	memcpy(out, json_string_value(v), JWT_SESSION_LEN);
	out[JWT_SESSION_LEN] = '\0';
	return 0;
}
