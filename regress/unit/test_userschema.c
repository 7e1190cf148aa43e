/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * keyd/user_schema.c: the table of a user's fields is consistent with
 * itself, user_value_valid() holds every kind to its bound and refuses
 * a NUL in any string, and the SELF allowlist of PATCH /users/me
 * refuses what a user may not write of itself.
 */
#include <sys/types.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../keyd/keyd.h"
#include "regress.h"

#define UF_WRITABLE	(UF_SELF_WRITABLE | UF_ADMIN_WRITABLE)

/* A string of n bytes of 'a'; with a NUL in the middle when nul. */
static json_t *
string_of(size_t n, int nul)
{
	char	*s;
	json_t	*v;

	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	memset(s, 'a', n);
	s[n] = '\0';
	if (nul && n > 0)
		s[n / 2] = '\0';
	v = json_stringn_nocheck(s, n);
	free(s);
	return v;
}

static int
valid(const char *name, json_t *v)
{
	int	 ok = user_value_valid(user_field(name), v);

	json_decref(v);
	return ok;
}

static void
test_table(void)
{
	const struct user_field	*uf;
	size_t			 i, j;
	int			 names = 1, columns = 1, flags = 1;

	for (i = 0; i < user_nfields; i++) {
		uf = &user_fields[i];
		for (j = 0; j < i; j++)
			names &= strcmp(user_fields[j].name, uf->name) != 0;
		columns &= (uf->column == NULL) == (uf->kind == UK_NONE);
		/* Every field is keyd's own, or written within a policy. */
		flags &= ((uf->flags & UF_READ_ONLY) != 0) !=
		    ((uf->flags & UF_WRITABLE) != 0);
		flags &= !(uf->flags & UF_SELF_WRITABLE) ||
		    (uf->flags & UF_ADMIN_WRITABLE);
		flags &= !(uf->flags & UF_CONCEALED) ||
		    !(uf->flags & UF_SORTABLE);
		flags &= !(uf->flags & UF_WRITABLE) || uf->bound > 0 ||
		    uf->kind == UK_BOOL;
	}
	CHECK("user fields: names are unique", names);
	CHECK("user fields: a column unless never stored", columns);
	CHECK("user fields: flags agree", flags);
	CHECK("user fields: lookup", user_field("theme_dark") != NULL &&
	    user_field("admin_access") == NULL && user_field("") == NULL);
}

static void
test_values(void)
{
	static const char *const strings[] = {
		"id", "first_name", "email", "password", "status", "role",
		"token",
	};
	size_t	 i;
	int	 nul = 1;

	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		nul &= !valid(strings[i], string_of(8, 1));
	CHECK("values: a NUL in any string is refused", nul);
	CHECK("values: a NUL in a tag is refused", !valid("tags",
	    json_pack("[o]", string_of(8, 1))));
	CHECK("values: text up to its bound", valid("first_name",
	    string_of(4096, 0)) && !valid("first_name", string_of(4097, 0)) &&
	    valid("first_name", json_null()) &&
	    !valid("first_name", json_integer(1)));
	CHECK("values: password 1 to 1024 bytes", valid("password",
	    string_of(1024, 0)) && !valid("password", string_of(1025, 0)) &&
	    !valid("password", string_of(0, 0)) &&
	    !valid("password", json_null()));
	CHECK("values: token 1 to 255 bytes or null", valid("token",
	    string_of(255, 0)) && !valid("token", string_of(256, 0)) &&
	    valid("token", json_null()));
	CHECK("values: tags", valid("tags", json_pack("[ss]", "a", "b")) &&
	    valid("tags", json_null()) &&
	    !valid("tags", json_pack("[i]", 1)) &&
	    !valid("tags", json_pack("[o]", string_of(257, 0))));
	CHECK("values: email", valid("email", json_string("a@b.cd")) &&
	    !valid("email", json_string("a@localhost")));
	CHECK("values: status", valid("status", json_string("suspended")) &&
	    !valid("status", json_string("gone")));
	CHECK("values: id is a uuid", valid("id",
	    json_string("11111111-1111-4111-8111-111111111111")) &&
	    !valid("id", json_string("1")));
	CHECK("values: bool", valid("email_notifications", json_false()) &&
	    !valid("email_notifications", json_string("true")));
}

static uint32_t
self_patch(const char *body, int admin, char *reason, size_t len)
{
	json_t		*patch, *pw;
	uint32_t	 code;

	reason[0] = '\0';
	code = user_patch_parse((const uint8_t *)body, strlen(body), admin,
	    &patch, &pw, reason, len);
	json_decref(patch);
	return code;
}

static void
test_self(void)
{
	const struct user_field	*uf;
	char			 body[128], reason[128];
	size_t			 i;
	int			 refused = 1;

	for (i = 0; i < user_nfields; i++) {
		uf = &user_fields[i];
		if (uf->flags & UF_SELF_WRITABLE)
			continue;
		(void)snprintf(body, sizeof(body), "{\"%s\":null}", uf->name);
		refused &= self_patch(body, 1, reason, sizeof(reason)) ==
		    AUTH_FORBIDDEN;
	}
	CHECK("self: fields not self-writable are 403", refused);
	CHECK("self: Directus's computed members are 403",
	    self_patch("{\"admin_access\":true}", 1, reason,
	    sizeof(reason)) == AUTH_FORBIDDEN &&
	    self_patch("{\"policies\":[]}", 0, reason, sizeof(reason)) ==
	    AUTH_FORBIDDEN);
	CHECK("self: token for administrators only",
	    self_patch("{\"token\":\"t\"}", 0, reason, sizeof(reason)) ==
	    AUTH_FORBIDDEN && self_patch("{\"token\":\"t\"}", 1, reason,
	    sizeof(reason)) == AUTH_OK);
	CHECK("self: unknown member", self_patch("{\"nonsense\":1}", 0,
	    reason, sizeof(reason)) == AUTH_INVALID_PAYLOAD &&
	    strcmp(reason, "\"nonsense\" is not allowed") == 0);
	CHECK("self: invalid value", self_patch("{\"tags\":7}", 0, reason,
	    sizeof(reason)) == AUTH_INVALID_PAYLOAD &&
	    strcmp(reason, "\"tags\" has an invalid value") == 0);
	CHECK("self: not JSON", self_patch("{", 0, reason,
	    sizeof(reason)) == AUTH_INVALID_PAYLOAD &&
	    strcmp(reason, "Invalid JSON") == 0);
	CHECK("self: a profile", self_patch("{\"first_name\":\"A\","
	    "\"email\":\"a@b.cd\",\"email_notifications\":true}", 0, reason,
	    sizeof(reason)) == AUTH_OK);
}

int
main(void)
{
	test_table();
	test_values();
	test_self();
	return regress_exit();
}
