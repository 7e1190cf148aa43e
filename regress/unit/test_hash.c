/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * keyd's password hashing: the PHC parser (security catalog L7), the
 * pool's answers, its bound, its threads (L4) and password edge cases
 * (L5).  Small argon2 parameters keep it fast, except for the one
 * published vector.
 */
#include <sys/types.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <argon2.h>
#include <event2/event.h>

#include "regress.h"
#include "../../keyd/hash.h"

/* From the README of the argon2 reference implementation. */
#define README_PHC	"$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$" \
			"RdescudvJCsgt3ub+b+dWRWJTmaaJObG"

struct result {
	int			 called;
	enum hash_result	 r;
	char			 phc[HASH_PHC_MAX];
	int			 freeme;
};

static struct event_base	*base;
static pthread_t		 loop_thread;
static int			 submitting, pending;
static int			 cb_total, cb_off_loop, cb_sync;
static const struct hash_params	 small = { 1024, 1, 1 };

static void
done_cb(enum hash_result r, const char *phc, void *arg)
{
	struct result	*res = arg;

	cb_total++;
	if (!pthread_equal(pthread_self(), loop_thread))
		cb_off_loop++;
	if (submitting)
		cb_sync++;
	res->called++;
	res->r = r;
	if (phc != NULL)
		strlcpy(res->phc, phc, sizeof(res->phc));
	if (res->freeme)
		free(res);
	pending--;
}

static void
wait_all(void)
{
	while (pending > 0)
		if (event_base_loop(base, EVLOOP_ONCE) == -1)
			break;
}

static int
submit_verify(const char *phc, const void *pw, size_t len,
    struct result *res)
{
	int	 rv;

	submitting = 1;
	rv = hash_verify(phc, pw, len, done_cb, res);
	submitting = 0;
	if (rv == 0)
		pending++;
	return rv;
}

/* The verdict, or -1 when the pool refused the job. */
static int
verify(const char *phc, const void *pw, size_t len)
{
	struct result	 res;

	memset(&res, 0, sizeof(res));
	if (submit_verify(phc, pw, len, &res) == -1)
		return -1;
	wait_all();
	return res.called == 1 ? (int)res.r : -2;
}

static int
create(const void *pw, size_t len, char *out, size_t outlen)
{
	struct result	 res;
	int		 rv;

	memset(&res, 0, sizeof(res));
	submitting = 1;
	rv = hash_create(pw, len, done_cb, &res);
	submitting = 0;
	if (rv == -1)
		return -1;
	pending++;
	wait_all();
	strlcpy(out, res.phc, outlen);
	return res.called == 1 ? (int)res.r : -2;
}

/* An encoded hash from libargon2 itself, as node-argon2 would store. */
static int
make_phc(argon2_type type, uint32_t version, uint32_t m, uint32_t t,
    uint32_t p, size_t saltlen, size_t hashlen, const char *pw, char *out,
    size_t outlen)
{
	uint8_t	 salt[HASH_SALT_MAX];

	memset(salt, 's', sizeof(salt));
	return argon2_hash(t, m, p, pw, strlen(pw), salt, saltlen, NULL,
	    hashlen, out, outlen, type, version) == ARGON2_OK ? 0 : -1;
}

static int
parses(const char *s)
{
	struct hash_phc	 phc;

	return hash_phc_parse(s, &phc) == 0;
}

/* good with "from" replaced by "to", once. */
static int
parses_edited(const char *good, const char *from, const char *to)
{
	char		 buf[2048];
	const char	*at;
	size_t		 n;

	if ((at = strstr(good, from)) == NULL)
		return -1;
	n = at - good;
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)n, good, to,
	    at + strlen(from));
	return parses(buf);
}

static void
test_parse_good(void)
{
	struct hash_phc	 phc;
	char		 id[256], i[256], d[256], v10[256], big[512];
	char		 nov[256];
	int		 ok;

	ok = make_phc(Argon2_id, ARGON2_VERSION_13, 1024, 1, 1, 16, 32,
	    "password", id, sizeof(id)) == 0;
	ok = ok && hash_phc_parse(id, &phc) == 0;
	CHECK("phc_parse_argon2id", ok && phc.type == Argon2_id &&
	    phc.version == ARGON2_VERSION_13 && phc.m_kib == 1024 &&
	    phc.t == 1 && phc.p == 1 && phc.saltlen == 16 &&
	    phc.hashlen == 32 && memcmp(phc.salt, "ssssssssssssssss",
	    16) == 0);
	ok = make_phc(Argon2_i, ARGON2_VERSION_13, 2048, 2, 2, 8, 16,
	    "password", i, sizeof(i)) == 0;
	CHECK("phc_parse_argon2i", ok && hash_phc_parse(i, &phc) == 0 &&
	    phc.type == Argon2_i && phc.m_kib == 2048 && phc.t == 2 &&
	    phc.p == 2 && phc.saltlen == 8 && phc.hashlen == 16);
	ok = make_phc(Argon2_d, ARGON2_VERSION_13, 1024, 1, 1, 16, 32,
	    "password", d, sizeof(d)) == 0;
	CHECK("phc_parse_argon2d", ok && hash_phc_parse(d, &phc) == 0 &&
	    phc.type == Argon2_d);
	ok = make_phc(Argon2_id, ARGON2_VERSION_10, 1024, 1, 1, 16, 32,
	    "password", v10, sizeof(v10)) == 0 && strstr(v10, "$v=16$");
	CHECK("phc_parse_v16", ok && hash_phc_parse(v10, &phc) == 0 &&
	    phc.version == ARGON2_VERSION_10);
	snprintf(nov, sizeof(nov), "$argon2id%s",
	    v10 + strlen("$argon2id$v=16"));
	CHECK("phc_parse_no_version", hash_phc_parse(nov, &phc) == 0 &&
	    phc.version == ARGON2_VERSION_10 && phc.m_kib == 1024);
	ok = make_phc(Argon2_id, ARGON2_VERSION_13, 1024, 1, 1, 64, 128,
	    "password", big, sizeof(big)) == 0;
	CHECK("phc_parse_salt64_hash128", ok && hash_phc_parse(big, &phc) ==
	    0 && phc.saltlen == 64 && phc.hashlen == 128);
	CHECK("phc_parse_readme_vector", hash_phc_parse(README_PHC, &phc) ==
	    0 && phc.type == Argon2_i && phc.m_kib == 65536 && phc.t == 2 &&
	    phc.p == 4 && phc.saltlen == 8 && phc.hashlen == 24);
	CHECK("phc_parse_ceilings", parses("$argon2id$v=19$m=262144,t=16,"
	    "p=16$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"));
}

static void
test_parse_bad(void)
{
	char	 good[256], s[1024];
	size_t	 n;

	make_phc(Argon2_id, ARGON2_VERSION_13, 1024, 1, 1, 16, 32,
	    "password", good, sizeof(good));
	CHECK("phc_good_base", parses(good));
	snprintf(s, sizeof(s), "%s=", good);
	CHECK("phc_rejects_hash_padding", !parses(s));
	CHECK("phc_rejects_salt_padding", parses_edited(good,
	    "c3Nzc3Nzc3Nzc3Nzc3Nzcw$", "c3Nzc3Nzc3Nzc3Nzc3Nzcw==$") == 0);
	CHECK("phc_rejects_bad_base64", parses_edited(good, "c3Nzc3Nz",
	    "c3Nz*3Nz") == 0);
	CHECK("phc_rejects_base64url_chars", parses_edited(good, "c3Nzc3Nz",
	    "c3Nz-3N_") == 0);
	n = strlen(good);
	strlcpy(s, good, sizeof(s));
	s[n - 1] = s[n - 1] == 'B' ? 'C' : 'B';	/* low 2 bits: stray */
	CHECK("phc_rejects_stray_bits", !parses(s));
	CHECK("phc_rejects_m_4194304", parses_edited(good, "m=1024,",
	    "m=4194304,") == 0);
	CHECK("phc_rejects_m_huge", parses_edited(good, "m=1024,",
	    "m=99999999999999999999,") == 0);
	CHECK("phc_rejects_t_1000", parses_edited(good, "t=1,", "t=1000,") ==
	    0);
	CHECK("phc_rejects_p_255", parses_edited(good, "p=1$", "p=255$") ==
	    0);
	CHECK("phc_rejects_t_0", parses_edited(good, "t=1,", "t=0,") == 0);
	CHECK("phc_rejects_m_below_8p", parses_edited(good, "m=1024,t=1,p=1",
	    "m=16,t=1,p=4") == 0);
	CHECK("phc_rejects_leading_zero", parses_edited(good, "m=1024,",
	    "m=01024,") == 0);
	CHECK("phc_rejects_sign", parses_edited(good, "m=1024,", "m=+1024,") ==
	    0);
	CHECK("phc_rejects_space", parses_edited(good, ",t=1", ", t=1") == 0);
	CHECK("phc_rejects_wrong_order", parses_edited(good,
	    "m=1024,t=1,p=1", "t=1,m=1024,p=1") == 0);
	CHECK("phc_rejects_missing_p", parses_edited(good, ",p=1$", "$") ==
	    0);
	CHECK("phc_rejects_data_param", parses_edited(good, ",p=1$",
	    ",p=1,data=c29tZQ$") == 0);
	CHECK("phc_rejects_v18", parses_edited(good, "v=19", "v=18") == 0);
	CHECK("phc_rejects_v_empty", parses_edited(good, "v=19", "v=") == 0);
	snprintf(s, sizeof(s), "%.*s", (int)(strrchr(good, '$') - good), good);
	CHECK("phc_rejects_missing_hash", !parses(s));
	snprintf(s, sizeof(s), "%.*s$", (int)(strrchr(good, '$') - good), good);
	CHECK("phc_rejects_empty_hash", !parses(s));
	CHECK("phc_rejects_short_salt", parses_edited(good,
	    "c3Nzc3Nzc3Nzc3Nzc3Nzcw$", "c3Nzcw$") == 0);
	CHECK("phc_rejects_short_hash", !parses("$argon2id$v=19$m=1024,t=1,"
	    "p=1$c3Nzc3Nzc3Nzc3Nzc3Nzcw$AAAAAAAAAAAAAAAAAAAA"));
	snprintf(s, sizeof(s), "%s$", good);
	CHECK("phc_rejects_trailing_dollar", !parses(s));
	snprintf(s, sizeof(s), "%s\n", good);
	CHECK("phc_rejects_trailing_newline", !parses(s));
	snprintf(s, sizeof(s), "%s$junk", good);
	CHECK("phc_rejects_trailing_field", !parses(s));
	CHECK("phc_rejects_unknown_type", parses_edited(good, "argon2id",
	    "argon2x") == 0);
	CHECK("phc_rejects_upper_case_type", parses_edited(good, "argon2id",
	    "ARGON2ID") == 0);
	CHECK("phc_rejects_bcrypt", !parses("$2b$10$N9qo8uLOickgx2ZMRZoMye"
	    "IjZAgcfl7p92ldGxad68LJZdL17lhWy"));
	CHECK("phc_rejects_empty", !parses(""));
	CHECK("phc_rejects_null", !parses(NULL));
	CHECK("phc_rejects_plaintext", !parses("password"));
	memset(s, 'A', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	memcpy(s, "$argon2id$v=19$m=1024,t=1,p=1$c3Nzc3Nzc3Nzc3Nzc3Nzcw$",
	    54);
	CHECK("phc_rejects_too_long", !parses(s));
}

/* Random edits never crash, and whatever parses is within the ceilings. */
static void
test_parse_fuzz(void)
{
	struct hash_phc	 phc;
	const char	 chars[] = "$=,+/-_09AZaz mtpv\xff";
	char		 good[256], s[256];
	size_t		 n;
	int		 i, j, bad = 0;

	make_phc(Argon2_id, ARGON2_VERSION_13, 1024, 1, 1, 16, 32,
	    "password", good, sizeof(good));
	n = strlen(good);
	for (i = 0; i < 50000; i++) {
		strlcpy(s, good, sizeof(s));
		for (j = 0; j < 1 + (int)arc4random_uniform(3); j++)
			s[arc4random_uniform(n)] =
			    chars[arc4random_uniform(sizeof(chars) - 1)];
		if (arc4random_uniform(8) == 0)
			s[arc4random_uniform(n)] = '\0';
		if (hash_phc_parse(s, &phc) == 0 && (phc.m_kib > HASH_M_MAX ||
		    phc.t > HASH_T_MAX || phc.p > HASH_P_MAX || phc.t < 1 ||
		    phc.m_kib < 8 * phc.p || phc.saltlen < HASH_SALT_MIN ||
		    phc.hashlen < HASH_OUT_MIN))
			bad++;
	}
	CHECK("phc_fuzz_50000_edits", bad == 0);
}

static void
test_verify(void)
{
	char	 id[256], i[256], d[256], v10[256], nov[256];
	char	 pw[HASH_PASSWORD_MAX + 1];

	make_phc(Argon2_id, ARGON2_VERSION_13, 1024, 1, 1, 16, 32,
	    "correct horse", id, sizeof(id));
	CHECK("verify_node_style_right", verify(id, "correct horse", 13) ==
	    HASH_MATCH);
	CHECK("verify_node_style_wrong", verify(id, "correct horsf", 13) ==
	    HASH_MISMATCH);
	CHECK("verify_node_style_prefix", verify(id, "correct hors", 12) ==
	    HASH_MISMATCH);
	CHECK("verify_node_style_empty", verify(id, "", 0) == HASH_MISMATCH);
	make_phc(Argon2_i, ARGON2_VERSION_13, 1024, 2, 2, 8, 16, "pw", i,
	    sizeof(i));
	CHECK("verify_argon2i", verify(i, "pw", 2) == HASH_MATCH);
	make_phc(Argon2_d, ARGON2_VERSION_13, 1024, 1, 1, 16, 32, "pw", d,
	    sizeof(d));
	CHECK("verify_argon2d", verify(d, "pw", 2) == HASH_MATCH);
	make_phc(Argon2_id, ARGON2_VERSION_10, 1024, 1, 1, 16, 32, "pw", v10,
	    sizeof(v10));
	CHECK("verify_v16", verify(v10, "pw", 2) == HASH_MATCH);
	snprintf(nov, sizeof(nov), "$argon2id%s",
	    v10 + strlen("$argon2id$v=16"));
	CHECK("verify_no_version", verify(nov, "pw", 2) == HASH_MATCH);
	CHECK("verify_readme_vector_64MiB", verify(README_PHC, "password",
	    8) == HASH_MATCH);
	CHECK("verify_null_phc_mismatch", verify(NULL, "pw", 2) ==
	    HASH_MISMATCH);
	CHECK("verify_empty_phc_mismatch", verify("", "pw", 2) ==
	    HASH_MISMATCH);
	CHECK("verify_bcrypt_invalid", verify("$2b$10$N9qo8uLOickgx2ZMRZoMye"
	    "IjZAgcfl7p92ldGxad68LJZdL17lhWy", "pw", 2) == HASH_INVALID);
	CHECK("verify_absurd_params_invalid", verify("$argon2id$v=19$"
	    "m=4194304,t=1000,p=255$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaa"
	    "JObG", "pw", 2) == HASH_INVALID);
	CHECK("verify_dummy_mismatch", verify(hash_dummy(), "pw", 2) ==
	    HASH_MISMATCH);
	memset(pw, 'a', sizeof(pw));
	CHECK("verify_password_1025_invalid", verify(id, pw,
	    HASH_PASSWORD_MAX + 1) == HASH_INVALID);
	CHECK("verify_password_1MB_invalid", verify(id, pw,
	    1024 * 1024) == HASH_INVALID);
	CHECK("verify_password_1024_hashed", verify(id, pw,
	    HASH_PASSWORD_MAX) == HASH_MISMATCH);
}

static void
test_create(void)
{
	struct hash_params	 hp = { 2048, 2, 1 }, bad = { 4194304, 3, 4 };
	struct hash_phc		 phc;
	char			 out[HASH_PHC_MAX];
	char			 long_pw[HASH_PASSWORD_MAX + 1];
	const char		*pfx = "$argon2id$v=19$m=1024,t=1,p=1$";
	const uint8_t		 nul[] = { 'a', 'b', 0, 'c', 'd' };

	CHECK("create_ok", create("s3cret", 6, out, sizeof(out)) ==
	    HASH_MATCH);
	CHECK("create_node_format", strncmp(out, pfx, strlen(pfx)) == 0 &&
	    strlen(out) == strlen(pfx) + 22 + 1 + 43 &&
	    strchr(out + strlen(pfx), '=') == NULL &&
	    hash_phc_parse(out, &phc) == 0 && phc.saltlen == 16 &&
	    phc.hashlen == 32);
	CHECK("create_libargon2_agrees", argon2id_verify(out, "s3cret", 6) ==
	    ARGON2_OK);
	CHECK("create_round_trip", verify(out, "s3cret", 6) == HASH_MATCH);
	CHECK("create_round_trip_wrong", verify(out, "s3cres", 6) ==
	    HASH_MISMATCH);
	CHECK("create_nul_password", create(nul, sizeof(nul), out,
	    sizeof(out)) == HASH_MATCH && verify(out, nul, sizeof(nul)) ==
	    HASH_MATCH);
	CHECK("nul_password_not_truncated", verify(out, "ab", 2) ==
	    HASH_MISMATCH && verify(out, nul, 3) == HASH_MISMATCH);
	memset(long_pw, 'x', sizeof(long_pw));
	CHECK("create_too_long_invalid", create(long_pw, sizeof(long_pw),
	    out, sizeof(out)) == HASH_INVALID);
	CHECK("create_empty_password", create("", 0, out, sizeof(out)) ==
	    HASH_MATCH && verify(out, "", 0) == HASH_MATCH);
	hash_set_params(&hp);
	CHECK("set_params_dummy", hash_phc_parse(hash_dummy(), &phc) == 0 &&
	    phc.m_kib == 2048 && phc.t == 2 && phc.p == 1 &&
	    phc.type == Argon2_id);
	CHECK("set_params_create", create("pw", 2, out, sizeof(out)) ==
	    HASH_MATCH && strncmp(out, "$argon2id$v=19$m=2048,t=2,p=1$",
	    30) == 0);
	hash_set_params(&bad);
	CHECK("set_params_rejects_ceiling", hash_phc_parse(hash_dummy(),
	    &phc) == 0 && phc.m_kib == 2048);
	hash_set_params(&small);
}

/* One thread, room for two jobs: three of five are refused at once. */
static void
test_queue_full(void)
{
	struct hash_params	 slow = { 8192, 4, 1 };
	struct result		 res[5];
	char			 phc[256];
	int			 i, rv[5], called = 0;

	CHECK("pool_init_queue_2", hash_pool_init(base, 1, 2, &small) == 0);
	make_phc(Argon2_id, ARGON2_VERSION_13, slow.m_kib, slow.t, slow.p,
	    16, 32, "pw", phc, sizeof(phc));
	memset(res, 0, sizeof(res));
	for (i = 0; i < 5; i++)
		rv[i] = submit_verify(phc, "pw", 2, &res[i]);
	CHECK("queue_full_refuses", rv[0] == 0 && rv[1] == 0 &&
	    rv[2] == -1 && rv[3] == -1 && rv[4] == -1);
	wait_all();
	for (i = 0; i < 5; i++)
		called += res[i].called;
	CHECK("queue_full_no_callback", called == 2 && res[0].r ==
	    HASH_MATCH && res[1].r == HASH_MATCH);
	CHECK("queue_frees_up", verify(phc, "pw", 2) == HASH_MATCH);
	hash_pool_shutdown();
}

/* Shutdown joins the threads and answers every pending job. */
static void
test_shutdown_pending(void)
{
	struct result	*res;
	char		 phc[256];
	int		 i, before = cb_total, accepted = 0;

	CHECK("pool_init_for_shutdown", hash_pool_init(base, 1, 8,
	    &small) == 0);
	make_phc(Argon2_id, ARGON2_VERSION_13, 4096, 2, 1, 16, 32, "pw", phc,
	    sizeof(phc));
	for (i = 0; i < 6; i++) {
		if ((res = calloc(1, sizeof(*res))) == NULL)
			break;
		res->freeme = 1;
		if (submit_verify(phc, "pw", 2, res) == 0)
			accepted++;
		else
			free(res);
	}
	res = calloc(1, sizeof(*res));
	res->freeme = 1;
	submitting = 1;
	if (hash_create((const uint8_t *)"pw", 2, done_cb, res) == 0)
		accepted++;
	submitting = 0;
	hash_pool_shutdown();
	CHECK("shutdown_answers_pending", accepted == 7 &&
	    cb_total - before == 7);
	pending = 0;
	CHECK("after_shutdown_refused", hash_verify(phc, (const uint8_t *)"pw",
	    2, done_cb, NULL) == -1 && hash_dummy() == NULL);
	hash_pool_shutdown();
}

int
main(void)
{
	struct hash_params	 bad = { 1024, 1, 0 };

	alarm(900);
	loop_thread = pthread_self();
	if ((base = event_base_new()) == NULL)
		return 1;
	test_parse_good();
	test_parse_bad();
	test_parse_fuzz();
	CHECK("pool_init_rejects_zero_threads", hash_pool_init(base, 0, 4,
	    &small) == -1);
	CHECK("pool_init_rejects_bad_params", hash_pool_init(base, 2, 4,
	    &bad) == -1);
	CHECK("pool_refuses_before_init", hash_verify(NULL,
	    (const uint8_t *)"pw", 2, done_cb, NULL) == -1);
	CHECK("pool_init", hash_pool_init(base, 2, 16, &small) == 0);
	CHECK("pool_init_twice", hash_pool_init(base, 2, 16, &small) == -1);
	CHECK("dummy_has_params", parses(hash_dummy()) &&
	    strncmp(hash_dummy(), "$argon2id$v=19$m=1024,t=1,p=1$", 30) == 0);
	test_verify();
	test_create();
	hash_pool_shutdown();
	test_queue_full();
	test_shutdown_pending();
	CHECK("callbacks_on_loop_thread", cb_total > 0 && cb_off_loop == 0);
	CHECK("callbacks_never_synchronous", cb_sync == 0);
	event_base_free(base);
	return regress_exit();
}
