/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The fuzz targets (fuzz/fuzz_*.c), built with the normal compiler,
 * replay every committed input: each target's seed corpus
 * (fuzz/corpus/NAME/) and the inputs that once made one fail
 * (fuzz/regress/NAME/, one check each).  A target that fails aborts
 * this program, and regress/run.sh reports it with its exit status;
 * stderr names the property.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regress.h"
#include "../../fuzz/fuzz.h"

#define FUZZCASE_MAX	(1024 * 1024)	/* bytes of one input */

static const struct {
	const char	*name;
	void		(*fn)(const uint8_t *, size_t);
} fuzzcase_targets[] = {
	{ "aggregate",	fuzz_aggregate },
	{ "b64",	fuzz_b64 },
	{ "config",	fuzz_config },
	{ "config_json", fuzz_config_json },
	{ "filter",	fuzz_filter },
	{ "frame",	fuzz_frame },
	{ "jwt",	fuzz_jwt },
	{ "login",	fuzz_login },
	{ "mail_token",	fuzz_mail_token },
	{ "phc",	fuzz_phc },
	{ "query",	fuzz_query },
	{ "refresh",	fuzz_refresh },
	{ "register",	fuzz_register },
	{ "smtp",	fuzz_smtp },
	{ "token",	fuzz_token },
	{ "totp",	fuzz_totp },
	{ "user_patch",	fuzz_user_patch },
	{ "wire",	fuzz_wire },
};

static char	 fuzzcase_top[PATH_MAX];

/* The whole file, or NULL when it is not a readable regular file. */
static uint8_t *
fuzzcase_read(const char *path, size_t *len)
{
	struct stat	 st;
	uint8_t		*buf;
	FILE		*fp;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > FUZZCASE_MAX ||
	    (buf = malloc(st.st_size > 0 ? st.st_size : 1)) == NULL) {
		fclose(fp);
		return NULL;
	}
	*len = fread(buf, 1, st.st_size, fp);
	fclose(fp);
	return buf;
}

/* Replay every file of fuzz/DIR/NAME; -1 if the directory is missing. */
static int
fuzzcase_replay(const char *dir, const char *name,
    void (*fn)(const uint8_t *, size_t), int each)
{
	char		 path[PATH_MAX], check[PATH_MAX];
	struct dirent	*de;
	uint8_t		*buf;
	size_t		 len;
	DIR		*d;
	int		 n = 0, rv;

	rv = snprintf(path, sizeof(path), "%s/fuzz/%s/%s", fuzzcase_top, dir,
	    name);
	if (rv < 0 || (size_t)rv >= sizeof(path) ||
	    (d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		rv = snprintf(path, sizeof(path), "%s/fuzz/%s/%s/%s",
		    fuzzcase_top, dir, name, de->d_name);
		if (rv < 0 || (size_t)rv >= sizeof(path) ||
		    (buf = fuzzcase_read(path, &len)) == NULL)
			continue;
		fn(buf, len);
		free(buf);
		n++;
		if (each) {
			rv = snprintf(check, sizeof(check),
			    "fuzz regress %s/%s", name, de->d_name);
			CHECK(check, rv > 0);
		}
	}
	closedir(d);
	return n;
}

/* The source tree: three levels above regress/unit/bin/test_fuzzcases. */
static void
fuzzcase_find_top(const char *argv0)
{
	char	*slash;
	int	 i;

	if (strlcpy(fuzzcase_top, argv0, sizeof(fuzzcase_top)) >=
	    sizeof(fuzzcase_top) || strchr(fuzzcase_top, '/') == NULL) {
		(void)strlcpy(fuzzcase_top, ".", sizeof(fuzzcase_top));
		return;
	}
	for (i = 0; i < 4; i++) {
		if ((slash = strrchr(fuzzcase_top, '/')) == NULL) {
			(void)strlcpy(fuzzcase_top, ".",
			    sizeof(fuzzcase_top));
			return;
		}
		*slash = '\0';
	}
	if (fuzzcase_top[0] == '\0')
		(void)strlcpy(fuzzcase_top, "/", sizeof(fuzzcase_top));
}

int
main(int argc, char *argv[])
{
	char	 check[128];
	size_t	 i;
	int	 n;

	fuzzcase_find_top(argc > 0 ? argv[0] : "");
	for (i = 0; i < sizeof(fuzzcase_targets) /
	    sizeof(fuzzcase_targets[0]); i++) {
		n = fuzzcase_replay("corpus", fuzzcase_targets[i].name,
		    fuzzcase_targets[i].fn, 0);
		(void)snprintf(check, sizeof(check),
		    "fuzz corpus %s replays (%d inputs)",
		    fuzzcase_targets[i].name, n);
		CHECK(check, n > 0);
		(void)fuzzcase_replay("regress", fuzzcase_targets[i].name,
		    fuzzcase_targets[i].fn, 1);
	}
	return regress_exit();
}
