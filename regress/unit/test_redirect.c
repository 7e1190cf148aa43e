/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/redirect.c: the portal's redirect allow list, entry by entry,
 * and the rd values it must refuse whatever the list (an open redirect
 * is a hole): other hosts, look-alikes, "//host", user parts,
 * backslashes, control characters, other schemes.
 */
#include <sys/types.h>

#include <string.h>

#include "redirect.h"
#include "regress.h"

static const char	 list[] = "https://*.example.com/, "
			    "http://127.0.0.1:8080/app/ https://docs.example.org/";

int
main(void)
{
	static const char *const good[] = {
		"https://app.example.com/",
		"https://a.b.example.com/x?y=1#z",
		"https://APP.Example.COM/",
		"https://app.example.com:443/",
		"http://127.0.0.1:8080/app/",
		"http://127.0.0.1:8080/app/deep/page",
		"https://docs.example.org/",
	};
	static const char *const bad[] = {
		"https://example.com/",
		"http://app.example.com/",
		"https://app.example.com.evil.com/",
		"https://evilexample.com/",
		"https://evil.com/.example.com/",
		"//evil.com/",
		"/\\evil.com",
		"https://evil.com#@app.example.com/",
		"https://evil.com?@app.example.com/",
		"https://app.example.com\\@evil.com/",
		"https:\\\\evil.com/",
		"https://user@app.example.com/",
		"https://user:pw@app.example.com/",
		"https://app.example.com:444/",
		"https://app.example.com:0/",
		"https://app.example.com:99999/",
		"https://app.example.com:/",
		"https://app.example.com",
		"https:/app.example.com/",
		"javascript:alert(1)",
		"javascript://app.example.com/%0aalert(1)",
		"data:text/html,x",
		" https://app.example.com/",
		"https://app.example.com/\r\nSet-Cookie: x",
		"https://app.example.com/\t",
		"https://app.example.com./",
		"https://.example.com/",
		"https://-a.example.com/",
		"https://[::1]/",
		"https://app%2eexample.com/",
		"http://127.0.0.1:8080/ap",
		"http://127.0.0.1:8080/",
		"http://127.0.0.1:8081/app/",
		"https://docs.example.org.evil/",
		"https://x.docs.example.org/",
		"",
	};
	char	 longurl[REDIRECT_URL_MAX + 64];
	size_t	 i;
	int	 all = 1;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!redirect_allowed(list, good[i])) {
			printf("# refused %s\n", good[i]);
			all = 0;
		}
	CHECK("redirect_allowed", all);
	all = 1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (redirect_allowed(list, bad[i])) {
			printf("# allowed %s\n", bad[i]);
			all = 0;
		}
	CHECK("redirect_refused", all);
	CHECK("redirect_empty_list", !redirect_allowed("",
	    "https://app.example.com/"));
	memset(longurl, 'a', sizeof(longurl) - 1);
	longurl[sizeof(longurl) - 1] = '\0';
	memcpy(longurl, "https://app.example.com/", 24);
	CHECK("redirect_too_long", !redirect_allowed(list, longurl));
	CHECK("redirect_list_ok", redirect_list_check(list) == NULL &&
	    redirect_list_check("") == NULL);
	CHECK("redirect_list_bad", redirect_list_check("example.com") != NULL &&
	    redirect_list_check("https://x.example.com") != NULL &&
	    redirect_list_check("ftp://x/") != NULL &&
	    redirect_list_check("https://u@x/") != NULL &&
	    redirect_list_check("https://*/") != NULL &&
	    redirect_list_check("https://a.*.example.com/") != NULL);
	return regress_exit();
}
