/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * What the processes agree on besides the messages (msg.c): the email
 * checks, the URL allow lists, and the clock.
 */
#include <ctype.h>
#include <fnmatch.h>
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
 * Does the address match one of the comma-separated patterns of list
 * (register-email)?  A pattern is an fnmatch(3) glob, compared without
 * case: "*@example.com".  An empty list matches nothing.
 */
int
email_allowed(const char *list, const char *email)
{
	char		 pat[AUTH_EMAIL_MAX + 1];
	const char	*p, *e;
	size_t		 n;

	for (p = list; *p != '\0'; p = *e == ',' ? e + 1 : e) {
		p += strspn(p, " \t");
		e = p + strcspn(p, ",");
		for (n = (size_t)(e - p); n > 0 &&
		    (p[n - 1] == ' ' || p[n - 1] == '\t'); n--)
			;
		if (n == 0 || n >= sizeof(pat))
			continue;
		memcpy(pat, p, n);
		pat[n] = '\0';
		if (fnmatch(pat, email, FNM_CASEFOLD) == 0)
			return 1;
	}
	return 0;
}

/*
 * Is url allowed by the comma-separated list (reset-url-allow,
 * invite-url-allow, register-url-allow)?  As Directus: an entry equal
 * to it, or to its origin and path (what precedes '?' or '#').  The URL
 * must be printable ASCII without blanks, as it goes into a mail.  The
 * link goes to out: the URL; when url is NULL, dflt if it is neither
 * NULL nor "", else the list's first entry.
 */
int
url_allowed(const char *list, const char *url, const char *dflt, char *out,
    size_t len)
{
	const char	*p, *e, *q;
	size_t		 n, ulen = 0, base = 0;

	if (url == NULL && dflt != NULL && dflt[0] != '\0')
		return strlcpy(out, dflt, len) < len ? 0 : -1;
	if (url != NULL) {
		for (q = url; *q != '\0'; q++)
			if (*q <= 0x20 || *q >= 0x7f)
				return -1;
		ulen = strlen(url);
		base = strcspn(url, "?#");
	}
	for (p = list; *p != '\0'; p = *e == ',' ? e + 1 : e) {
		p += strspn(p, " \t");
		e = p + strcspn(p, ",");
		for (n = (size_t)(e - p); n > 0 &&
		    (p[n - 1] == ' ' || p[n - 1] == '\t'); n--)
			;
		if (n == 0)
			continue;
		if (url == NULL) {
			if (n >= len)
				return -1;
			memcpy(out, p, n);
			out[n] = '\0';
			return 0;
		}
		if ((n == ulen && memcmp(p, url, n) == 0) ||
		    (n == base && memcmp(p, url, n) == 0))
			return strlcpy(out, url, len) < len ? 0 : -1;
	}
	return -1;
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

/* Microseconds on the monotonic clock, for the metrics' histograms. */
int64_t
now_us(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
