/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * keyd/user_schema.c: the body of PATCH /users/me as keyd reads it,
 * user_patch_parse(), the SELF allowlist over the table of a user's
 * fields (security catalog P1: mass assignment).
 *
 * Input: the body; the worker refuses one over AUTH_BODY_MAX bytes.
 * Each input is checked for a user and for an administrator.
 *
 * Properties: the answer is OK, INVALID_PAYLOAD with a reason, or
 * FORBIDDEN; an accepted patch is an object that names none of the
 * fields a user may never set itself (and no "token" unless admin), a
 * password is reported exactly when there is one, and a patch that a
 * user may apply an administrator may apply too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../keyd/keyd.h"
#include "fuzz.h"
#include "proto.h"

#define AUTH_BODY_MAX	8192	/* as in server/auth.c */

/* Written here again on purpose: a second statement of the policy. */
static const char *const fuzz_user_never[] = {
	"id", "role", "status", "provider", "external_identifier",
	"tfa_secret", "auth_data", "last_access", "admin_access",
	"app_access", "policies",
};

static uint32_t
fuzz_user_patch_as(const uint8_t *data, size_t size, int admin)
{
	json_t		*patch = NULL, *pw = NULL;
	char		 reason[128] = "";
	uint32_t	 code;
	size_t		 i;

	code = user_patch_parse(data, size, admin, &patch, &pw, reason,
	    sizeof(reason));
	FUZZ_ASSERT(code == AUTH_OK || code == AUTH_INVALID_PAYLOAD ||
	    code == AUTH_FORBIDDEN);
	if (code == AUTH_INVALID_PAYLOAD)
		FUZZ_ASSERT(reason[0] != '\0');
	if (code == AUTH_OK) {
		FUZZ_ASSERT(json_is_object(patch));
		for (i = 0; i < sizeof(fuzz_user_never) /
		    sizeof(fuzz_user_never[0]); i++)
			FUZZ_ASSERT(json_object_get(patch,
			    fuzz_user_never[i]) == NULL);
		if (!admin)
			FUZZ_ASSERT(json_object_get(patch, "token") == NULL);
		FUZZ_ASSERT(pw == json_object_get(patch, "password"));
		if (pw != NULL)
			FUZZ_ASSERT(json_is_string(pw) &&
			    json_string_length(pw) > 0 &&
			    json_string_length(pw) <= AUTH_PASSWORD_MAX);
	}
	json_decref(patch);
	return code;
}

void
fuzz_user_patch(const uint8_t *data, size_t size)
{
	uint32_t	 user, admin;

	if (size > AUTH_BODY_MAX)
		return;
	user = fuzz_user_patch_as(data, size, 0);
	admin = fuzz_user_patch_as(data, size, 1);
	if (user == AUTH_OK)
		FUZZ_ASSERT(admin == AUTH_OK);
}

FUZZ_TARGET(fuzz_user_patch)
