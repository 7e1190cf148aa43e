/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The fuzz targets.  fuzz_NAME() in fuzz/fuzz_NAME.c takes one input,
 * drives the code under test with it and checks what must hold for any
 * input; it returns only if all of it held, and aborts otherwise.
 *
 * Built by "make fuzz" with clang and FUZZ_LIBFUZZER defined, each file
 * is a libFuzzer target (fuzz/bin/fuzz_NAME).  Built with the normal
 * compiler, regress/unit/test_fuzzcases.c replays the committed corpora
 * (fuzz/corpus/NAME/) and regress cases (fuzz/regress/NAME/) through the
 * same functions, so "make check" covers them.
 */
#ifndef TOKEND_FUZZ_H
#define TOKEND_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: property failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

#ifdef FUZZ_LIBFUZZER
#define FUZZ_TARGET(fn)							\
int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);		\
int									\
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)		\
{									\
	fn(data, size);							\
	return 0;							\
}
#else
#define FUZZ_TARGET(fn)
#endif

/* A NUL-terminated copy of an input, for the parsers that want one. */
static inline char *
fuzz_cstring(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* One fuzz_NAME.c each. */
void	 fuzz_aggregate(const uint8_t *, size_t);
void	 fuzz_b64(const uint8_t *, size_t);
void	 fuzz_totp(const uint8_t *, size_t);
void	 fuzz_config(const uint8_t *, size_t);
void	 fuzz_config_json(const uint8_t *, size_t);
void	 fuzz_filter(const uint8_t *, size_t);
void	 fuzz_frame(const uint8_t *, size_t);
void	 fuzz_jwt(const uint8_t *, size_t);
void	 fuzz_login(const uint8_t *, size_t);
void	 fuzz_mail_token(const uint8_t *, size_t);
void	 fuzz_phc(const uint8_t *, size_t);
void	 fuzz_query(const uint8_t *, size_t);
void	 fuzz_refresh(const uint8_t *, size_t);
void	 fuzz_register(const uint8_t *, size_t);
void	 fuzz_smtp(const uint8_t *, size_t);
void	 fuzz_token(const uint8_t *, size_t);
void	 fuzz_user_patch(const uint8_t *, size_t);
void	 fuzz_wire(const uint8_t *, size_t);

#endif /* TOKEND_FUZZ_H */
