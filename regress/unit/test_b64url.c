/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Canonical base64url: RFC 4648 test vectors and every non-canonical
 * form the decoder must refuse (security catalog T9).
 */
#include <string.h>

#include "b64url.h"
#include "regress.h"

static int
enc_is(const char *in, const char *want)
{
	char	 out[64];
	size_t	 n;

	n = b64url_encode((const uint8_t *)in, strlen(in), out, sizeof(out));
	return n == strlen(want) && memcmp(out, want, n) == 0;
}

static int
dec_is(const char *in, const char *want)
{
	uint8_t	 out[64];
	size_t	 n;

	if (b64url_decode(in, strlen(in), out, sizeof(out), &n) == -1)
		return 0;
	return n == strlen(want) && memcmp(out, want, n) == 0;
}

static int
dec_fails(const char *in)
{
	uint8_t	 out[64];
	size_t	 n;

	return b64url_decode(in, strlen(in), out, sizeof(out), &n) == -1;
}

int
main(void)
{
	uint8_t	 all[256], back[256];
	char	 enc[400];
	size_t	 i, n, m;

	CHECK("b64url_enc_empty", enc_is("", ""));
	CHECK("b64url_enc_f", enc_is("f", "Zg"));
	CHECK("b64url_enc_fo", enc_is("fo", "Zm8"));
	CHECK("b64url_enc_foo", enc_is("foo", "Zm9v"));
	CHECK("b64url_enc_foobar", enc_is("foobar", "Zm9vYmFy"));
	CHECK("b64url_enc_url_alphabet", enc_is("\xfb\xff", "-_8"));
	CHECK("b64url_dec_foob", dec_is("Zm9vYg", "foob"));
	CHECK("b64url_dec_fooba", dec_is("Zm9vYmE", "fooba"));
	CHECK("b64url_dec_empty", dec_is("", ""));
	CHECK("b64url_rejects_padding", dec_fails("Zg=="));
	CHECK("b64url_rejects_std_plus", dec_fails("+_8"));
	CHECK("b64url_rejects_std_slash", dec_fails("-/8"));
	CHECK("b64url_rejects_space", dec_fails("Zm9v Yg"));
	CHECK("b64url_rejects_newline", dec_fails("Zm9v\nYg"));
	CHECK("b64url_rejects_len_1_mod_4", dec_fails("Zm9vY"));
	CHECK("b64url_rejects_stray_bits_2", dec_fails("Zh"));
	CHECK("b64url_rejects_stray_bits_3", dec_fails("Zm9"));
	CHECK("b64url_accepts_canonical_3", dec_is("Zm8", "fo"));
	CHECK("b64url_rejects_nul", b64url_decode("Zm\0v", 4, back,
	    sizeof(back), &n) == -1);
	CHECK("b64url_rejects_small_out", b64url_decode("Zm9vYmFy", 8, back,
	    5, &n) == -1);
	n = b64_encode(B64_STD, (const uint8_t *)"\xfb\xff", 2, enc,
	    sizeof(enc));
	CHECK("b64std_alphabet", n == 3 && memcmp(enc, "+/8", 3) == 0);
	CHECK("b64std_decodes_std", b64_decode(B64_STD, "+/8", 3, back,
	    sizeof(back), &m) == 0 && m == 2 && back[0] == 0xfb);
	CHECK("b64std_rejects_url", b64_decode(B64_STD, "-_8", 3, back,
	    sizeof(back), &m) == -1);
	CHECK("b64std_rejects_padding", b64_decode(B64_STD, "Zg==", 4, back,
	    sizeof(back), &m) == -1);
	for (i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)i;
	n = b64url_encode(all, sizeof(all), enc, sizeof(enc));
	CHECK("b64url_roundtrip_all_bytes", n == B64URL_ENCLEN(sizeof(all)) &&
	    b64url_decode(enc, n, back, sizeof(back), &m) == 0 &&
	    m == sizeof(all) && memcmp(all, back, m) == 0);
	return regress_exit();
}
