/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * What the processes agree on besides the messages (msg.c): the email
 * check and the clock.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "proto.h"

/*
 * The one email check of tokend (login, PATCH /users/me, tokenctl).
 * Good enough for Directus's Joi email rule: local@label.label. */
int
email_valid(const char *e, size_t len)
{
	const char	*at, *dot;
	size_t		 i;

	if (len == 0 || len > AUTH_EMAIL_MAX || strlen(e) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (e[i] <= 0x20 || e[i] >= 0x7f)
			return 0;
	if ((at = strchr(e, '@')) == NULL || at == e ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	if ((dot = strrchr(at, '.')) == NULL || dot == at + 1 ||
	    strlen(dot + 1) < 2 || strstr(at, "..") != NULL)
		return 0;
	for (i = 1; dot[i] != '\0'; i++)
		if (!isalpha((unsigned char)dot[i]))
			return 0;
	return 1;
}

/*
 * Milliseconds on a clock: CLOCK_REALTIME for times on the wire (ms since
 * the epoch: expiries, "cache until"), CLOCK_MONOTONIC for durations.
 */
int64_t
now_ms(clockid_t clock)
{
	struct timespec	 ts;

	(void)clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
