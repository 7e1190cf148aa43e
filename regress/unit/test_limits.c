/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The settings of the HTTP edge and the rate limits in tokend.conf:
 * request-line, header-count, rate-limit, auth-rate-limit and
 * rate-limit-addresses in the limits block, header-deadline and
 * body-deadline in the timeout block.  Values, defaults, bounds, and
 * the JSON form the workers receive.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "regress.h"

static char	 dir[PATH_MAX];

/* Parses text written to a fresh 0600 file; stderr keeps the errors. */
static struct tokend_config *
parse_text(const char *text)
{
	struct tokend_config	*conf;
	char			 path[PATH_MAX + 16];
	int			 fd;
	size_t			 len = strlen(text);

	if ((size_t)snprintf(path, sizeof(path), "%s/conf.XXXXXX", dir) >=
	    sizeof(path))
		fatalx("path too long");
	if ((fd = mkstemp(path)) == -1)
		fatal("mkstemp");
	if (write(fd, text, len) != (ssize_t)len)
		fatal("write");
	(void)close(fd);
	conf = parse_config(path);
	(void)unlink(path);
	return conf;
}

static int
refused(const char *text)
{
	struct tokend_config	*conf = parse_text(text);

	config_free(conf);
	return conf == NULL;
}

static void
test_values(void)
{
	struct tokend_config	*conf;

	conf = parse_text("limits {\n"
	    "\trequest-line 2K\n"
	    "\theader-count 40\n"
	    "\trate-limit 50 per 1s\n"
	    "\tauth-rate-limit 10 per 1m\n"
	    "\trate-limit-addresses 4096\n"
	    "}\n"
	    "timeout { header-deadline 5s; body-deadline 1500ms }\n");
	CHECK("limits_parsed", conf != NULL);
	if (conf == NULL)
		return;
	CHECK("limits_request_line", conf->line_max == 2048);
	CHECK("limits_header_count", conf->header_count == 40);
	CHECK("limits_rate", conf->rate_points == 50 &&
	    conf->rate_duration == 1000);
	CHECK("limits_auth_rate", conf->auth_rate_points == 10 &&
	    conf->auth_rate_duration == 60000);
	CHECK("limits_rate_addresses", conf->rate_addresses == 4096);
	CHECK("limits_deadlines", conf->header_deadline == 5000 &&
	    conf->body_deadline == 1500);
	config_free(conf);
}

static void
test_defaults(void)
{
	struct tokend_config	*conf = parse_text("\n");

	CHECK("limits_defaults", conf != NULL &&
	    conf->line_max == CONF_LINE_MAX && conf->line_max == 0 &&
	    conf->header_count == 100 &&
	    conf->header_deadline == 10000 && conf->body_deadline == 30000 &&
	    conf->rate_points == 0 && conf->auth_rate_points == 0 &&
	    conf->rate_addresses == 16384);
	config_free(conf);
}

static void
test_bounds(void)
{
	CHECK("limits_request_line_low",
	    refused("limits { request-line 255 }\n"));
	CHECK("limits_request_line_high",
	    refused("limits { request-line 65537 }\n"));
	CHECK("limits_header_count_low", refused("limits { header-count 7 }\n"));
	CHECK("limits_header_count_high",
	    refused("limits { header-count 1001 }\n"));
	CHECK("limits_rate_negative",
	    refused("limits { rate-limit -1 per 1s }\n"));
	CHECK("limits_rate_short", refused("limits { rate-limit 5 per 99ms }\n"));
	CHECK("limits_rate_long", refused("limits { rate-limit 5 per 2d }\n"));
	CHECK("limits_rate_no_per", refused("limits { rate-limit 5 1s }\n"));
	CHECK("limits_rate_no_duration", refused("limits { rate-limit 5 }\n"));
	CHECK("limits_auth_rate_bad",
	    refused("limits { auth-rate-limit x per 1m }\n"));
	CHECK("limits_addresses_low",
	    refused("limits { rate-limit-addresses 255 }\n"));
	CHECK("limits_deadline_low",
	    refused("timeout { header-deadline 99ms }\n"));
	CHECK("limits_deadline_high",
	    refused("timeout { body-deadline 2h }\n"));
	CHECK("limits_rate_zero_is_off",
	    !refused("limits { rate-limit 0 per 1s }\n"));
	CHECK("limits_keywords_outside_block",
	    refused("rate-limit 5 per 1s\n"));
}

/* The JSON form text with key set to n, read back; NULL if refused. */
static struct tokend_config *
json_with(const char *text, const char *key, json_int_t n)
{
	struct tokend_config	*conf = NULL;
	json_t			*j;
	char			*changed;

	if ((j = json_loads(text, 0, NULL)) == NULL)
		return NULL;
	json_object_set_new(j, key, json_integer(n));
	if ((changed = json_dumps(j, JSON_COMPACT)) != NULL)
		conf = config_from_json(changed, strlen(changed));
	free(changed);
	json_decref(j);
	return conf;
}

/*
 * request-line has one lower bound, the one tokend.conf(5) gives, in
 * the file and in the JSON form alike; 0, its default (the whole
 * header-size), is the one value below it.
 */
static void
test_line_max_bounds(void)
{
	struct tokend_config	*a, *b;
	char			*text;
	int			 ok;

	a = parse_text("\n");
	text = a == NULL ? NULL : config_to_json(a);
	CHECK("limits_line_max_json_low", text != NULL &&
	    json_with(text, "line_max", CONF_LINE_LO - 1) == NULL &&
	    json_with(text, "line_max", 1) == NULL);
	CHECK("limits_line_max_json_high", text != NULL &&
	    json_with(text, "line_max", CONF_LINE_HI + 1) == NULL);
	b = text == NULL ? NULL : json_with(text, "line_max", CONF_LINE_LO);
	ok = b != NULL && b->line_max == CONF_LINE_LO;
	config_free(b);
	b = text == NULL ? NULL : json_with(text, "line_max", 0);
	CHECK("limits_line_max_json_bounds", ok && b != NULL &&
	    b->line_max == 0);
	config_free(b);
	CHECK("limits_line_max_file_bounds",
	    refused("limits { request-line 0 }\n") &&
	    !refused("limits { request-line 256 }\n") &&
	    !refused("limits { request-line 64K }\n"));
	free(text);
	config_free(a);
}

/* What the workers receive: the same values, checked again. */
static void
test_json(void)
{
	struct tokend_config	*a, *b;
	json_t			*j;
	char			*text, *bad;

	a = parse_text("limits { rate-limit 7 per 2s; auth-rate-limit 3 per "
	    "1h; request-line 300; header-count 9 }\n"
	    "timeout { header-deadline 200ms; body-deadline 1h }\n");
	text = a == NULL ? NULL : config_to_json(a);
	b = text == NULL ? NULL : config_from_json(text, strlen(text));
	CHECK("limits_json_round_trip", b != NULL &&
	    b->rate_points == 7 && b->rate_duration == 2000 &&
	    b->auth_rate_points == 3 && b->auth_rate_duration == 3600000 &&
	    b->line_max == 300 && b->header_count == 9 &&
	    b->header_deadline == 200 && b->body_deadline == 3600000);
	config_free(b);
	j = text == NULL ? NULL : json_loads(text, 0, NULL);
	if (j != NULL) {
		json_object_set_new(j, "rate_points", json_integer(-5));
		bad = json_dumps(j, JSON_COMPACT);
		b = bad == NULL ? NULL : config_from_json(bad, strlen(bad));
		CHECK("limits_json_rejects_negative_rate", b == NULL);
		config_free(b);
		free(bad);
		json_decref(j);
	}
	free(text);
	config_free(a);
}

int
main(void)
{
	log_init(1, 0);
	(void)strlcpy(dir, "/tmp/test_limits.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	test_values();
	test_defaults();
	test_bounds();
	test_json();
	test_line_max_bounds();
	(void)rmdir(dir);
	return regress_exit();
}
