/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * shared/config_json.c: config_from_json(), as keyd and the workers read
 * MSG_CONFIG and MSG_RELOAD.
 *
 * Input: the JSON text, exactly as many bytes as given.
 *
 * Properties: no crash or leak on any text; what is accepted is written
 * back by config_to_json() as JSON that reads back to the same
 * configuration, with nothing that would need a restart.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

void
fuzz_config_json(const uint8_t *data, size_t size)
{
	struct tokend_config	*conf, *back;
	char			*json, *again;

	if ((conf = config_from_json((const char *)data, size)) == NULL)
		return;
	FUZZ_ASSERT((json = config_to_json(conf)) != NULL);
	FUZZ_ASSERT((back = config_from_json(json, strlen(json))) != NULL);
	FUZZ_ASSERT(config_restart_needed(conf, back, NULL, 0) == 0);
	FUZZ_ASSERT((again = config_to_json(back)) != NULL);
	FUZZ_ASSERT(strcmp(json, again) == 0);
	free(again);
	free(json);
	config_free(back);
	config_free(conf);
}

FUZZ_TARGET(fuzz_config_json)
