/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * Where the sign-in portal may send a browser after a login: the rd
 * parameter is taken only when an entry of portal redirect-allow
 * allows it, so that the portal never becomes an open redirect.
 *
 * An entry is "scheme://host[:port]/path", scheme http or https; the
 * host may begin with "*." for any name below the rest (at least one
 * label more: "*.example.com" is not "example.com").  A URL is allowed
 * when its scheme, host (without case) and port (the scheme's default
 * when unwritten) are the entry's and its path begins with the
 * entry's path.  The URL is read strictly, as no browser would read it
 * another way: printable ASCII without blanks or backslashes, an
 * authority of host name letters, digits, '-' and '.' (no user part,
 * no '@', no IPv6 literal, no percent sign), then a '/'.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "redirect.h"

struct redirect_url {
	int		 https;
	const char	*host;
	size_t		 hostlen;
	int		 port;
	const char	*path;		/* from its '/' */
	size_t		 pathlen;
};

static const char	 redirect_host_bytes[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.";

/*
 * Splits len bytes of s, an absolute http or https URL; wild (entries
 * only) allows a leading "*." in the host.  -1 when it is not one.
 */
static int
redirect_parse(const char *s, size_t len, int wild, struct redirect_url *u)
{
	const char	*p, *end = s + len, *auth, *colon;
	size_t		 i, n;
	long		 port;

	if (len == 0 || len > REDIRECT_URL_MAX)
		return -1;
	for (i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '\\')
			return -1;
	if (len > 7 && strncasecmp(s, "http://", 7) == 0) {
		u->https = 0;
		auth = s + 7;
	} else if (len > 8 && strncasecmp(s, "https://", 8) == 0) {
		u->https = 1;
		auth = s + 8;
	} else
		return -1;
	for (p = auth; p < end && *p != '/'; p++)
		;
	if (p == end)		/* no path: "https://host" or "...?x" */
		return -1;
	u->path = p;
	u->pathlen = (size_t)(end - p);
	u->host = auth;
	if (wild && p - auth > 2 && auth[0] == '*' && auth[1] == '.')
		u->host = auth + 2;
	colon = memchr(u->host, ':', (size_t)(p - u->host));
	u->hostlen = (size_t)((colon != NULL ? colon : p) - u->host);
	if (u->hostlen == 0 || u->hostlen > 253 ||
	    strspn(u->host, redirect_host_bytes) < u->hostlen ||
	    u->host[0] == '.' || u->host[0] == '-' ||
	    u->host[u->hostlen - 1] == '.')
		return -1;
	u->port = u->https ? 443 : 80;
	if (colon != NULL) {
		n = (size_t)(p - colon - 1);
		if (n == 0 || n > 5 || strspn(colon + 1, "0123456789") < n)
			return -1;
		port = strtol(colon + 1, NULL, 10);
		if (port < 1 || port > 65535)
			return -1;
		u->port = (int)port;
	}
	return 0;
}

/* Does url, read as redirect_parse() reads it, match entry e (elen)? */
static int
redirect_match(const char *e, size_t elen, const struct redirect_url *u)
{
	struct redirect_url	 w;
	size_t			 off;
	int			 wild;

	if (redirect_parse(e, elen, 1, &w) == -1)
		return 0;
	wild = w.host != e + (w.https ? 8 : 7);
	if (w.https != u->https || w.port != u->port ||
	    u->pathlen < w.pathlen ||
	    memcmp(u->path, w.path, w.pathlen) != 0)
		return 0;
	if (!wild)
		return u->hostlen == w.hostlen &&
		    strncasecmp(u->host, w.host, w.hostlen) == 0;
	/* One label at least, then ".", then the entry's host. */
	if (u->hostlen < w.hostlen + 2)
		return 0;
	off = u->hostlen - w.hostlen;
	return u->host[off - 1] == '.' &&
	    strncasecmp(u->host + off, w.host, w.hostlen) == 0;
}

/*
 * The entries of list are separated by blanks or commas; each is given
 * to fn with its length until fn returns non-zero, which is returned.
 */
static int
redirect_each(const char *list, int (*fn)(const char *, size_t, void *),
    void *arg)
{
	const char	*p = list;
	size_t		 n;
	int		 rv;

	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			return 0;
		n = strcspn(p, " \t,");
		if ((rv = fn(p, n, arg)) != 0)
			return rv;
		p += n;
	}
}

static int
redirect_entry_bad(const char *e, size_t n, void *arg)
{
	struct redirect_url	 w;

	return redirect_parse(e, n, 1, &w) == -1;
}

/* NULL when every entry of list is one, else why not (config_check.c). */
const char *
redirect_list_check(const char *list)
{
	if (redirect_each(list, redirect_entry_bad, NULL) != 0)
		return "must list URLs scheme://host[:port]/path, scheme http "
		    "or https, the host maybe beginning with \"*.\"";
	return NULL;
}

static int
redirect_entry_allows(const char *e, size_t n, void *arg)
{
	return redirect_match(e, n, arg);
}

/* Does an entry of list allow the NUL-terminated url? */
int
redirect_allowed(const char *list, const char *url)
{
	struct redirect_url	 u;
	size_t			 len = strnlen(url, REDIRECT_URL_MAX + 1);

	if (redirect_parse(url, len, 0, &u) == -1)
		return 0;
	return redirect_each(list, redirect_entry_allows, &u) != 0;
}
