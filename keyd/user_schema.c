/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The user record, declared once.  Each row of user_fields names a
 * field of the user's JSON, its column, the kind of its values, who may
 * write it and the bound of a value.  The store builds its SELECT
 * columns, its updates and the user's JSON from the rows (store.c),
 * the /users code its policy for administrators and for "self"
 * (users.c), and user_value_valid() below is the one check of a value.
 *
 * A new field is a row here and a migration in store.c that adds its
 * column.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "jwt.h"
#include "keyd.h"
#include "proto.h"

#define USER_TOKEN_MAX		255	/* a static token set by an admin */
#define USER_TAGS_MAX		64	/* tags of a user */
#define USER_TAG_MAX		256	/* bytes of a tag */
#define USER_STATUS_MAX		15	/* bytes of struct store_user's status */

/* What a user may write of itself, and an administrator of anybody. */
#define UF_PROFILE	(UF_SELF_WRITABLE | UF_ADMIN_WRITABLE | UF_SORTABLE)

const struct user_field user_fields[] = {
	{ "id",			"id",		UK_ID,
	    UF_ADMIN_WRITABLE | UF_CREATE_ONLY | UF_SORTABLE, STORE_ID_MAX },
	{ "first_name",		"first_name",	UK_TEXT, UF_PROFILE,
	    USER_TEXT_MAX },
	{ "last_name",		"last_name",	UK_TEXT, UF_PROFILE,
	    USER_TEXT_MAX },
	{ "email",		"email",	UK_EMAIL, UF_PROFILE,
	    AUTH_EMAIL_MAX },
	{ "password",		"password",	UK_PASSWORD, UF_CONCEALED |
	    UF_SELF_WRITABLE | UF_ADMIN_WRITABLE, AUTH_PASSWORD_MAX },
	{ "location",		"location",	UK_TEXT, UF_PROFILE,
	    USER_TEXT_MAX },
	{ "title",		"title",	UK_TEXT, UF_PROFILE,
	    USER_TEXT_MAX },
	{ "description",	"description",	UK_TEXT, UF_PROFILE,
	    USER_TEXT_MAX },
	{ "tags",		"tags",		UK_TAGS, UF_PROFILE,
	    USER_TAGS_MAX },
	{ "avatar",		"avatar",	UK_TEXT, UF_PROFILE,
	    USER_TEXT_MAX },
	{ "language",		"language",	UK_TEXT, UF_PROFILE,
	    USER_TEXT_MAX },
	{ "tfa_secret",		"tfa_secret",	UK_TEXT, UF_CONCEALED |
	    UF_READ_ONLY, 0 },
	{ "status",		"status",	UK_STATUS, UF_ADMIN_WRITABLE |
	    UF_SORTABLE, USER_STATUS_MAX },
	{ "role",		"role",		UK_ROLE, UF_ADMIN_WRITABLE |
	    UF_SORTABLE, STORE_ID_MAX },
	{ "token",		"token_hash",	UK_TOKEN, UF_CONCEALED |
	    UF_SELF_WRITABLE | UF_ADMIN_WRITABLE | UF_ADMIN_ONLY,
	    USER_TOKEN_MAX },
	{ "last_access",	"last_access",	UK_TIME, UF_READ_ONLY |
	    UF_SORTABLE, 0 },
	{ "last_page",		"last_page",	UK_TEXT, UF_PROFILE,
	    USER_TEXT_MAX },
	{ "provider",		"provider",	UK_TEXT, UF_READ_ONLY |
	    UF_SORTABLE, 0 },
	{ "external_identifier", "external_identifier", UK_TEXT,
	    UF_READ_ONLY | UF_SORTABLE, 0 },
	{ "auth_data",		NULL,		UK_NONE, UF_READ_ONLY, 0 },
	{ "email_notifications", "email_notifications", UK_BOOL, UF_PROFILE,
	    0 },
	{ "appearance",		"appearance",	UK_TEXT, UF_PROFILE,
	    USER_TEXT_MAX },
	{ "theme_light",	"theme_light",	UK_TEXT, UF_PROFILE,
	    USER_TEXT_MAX },
	{ "theme_dark",		"theme_dark",	UK_TEXT, UF_PROFILE,
	    USER_TEXT_MAX },
	{ "policies",		"user_policies", UK_POLICIES, UF_ADMIN_WRITABLE |
	    UF_ADMIN_ONLY, AUTH_USER_POLICIES },
};
const size_t user_nfields = sizeof(user_fields) / sizeof(user_fields[0]);

/* As the schema's CHECK constraint has them (store.c). */
static const char *const user_statuses[] = {
	"active", "suspended", "archived", "draft", "invited", "unverified",
};

/*
 * Members of Directus's user that it computes from the role: not fields
 * of the record, yet a patch of /users/me naming one is refused as one
 * naming a field the user may not write (403), not as an unknown one.
 */
static const char *const user_computed[] = {
	"admin_access", "app_access",
};

static int	 user_string_ok(json_t *, size_t, size_t);
static int	 user_policies_ok(json_t *, size_t);
static int	 user_access_list_ok(json_t *, size_t, int);
static int	 user_computed_name(const char *);
static uint32_t	 user_self_check(json_t *, int, char *, size_t, json_t **);

/*
 * A list of new access rows, [{"policy": id}, ...] (rows 1), or of
 * access row ids (rows 0), at most max.
 */
static int
user_access_list_ok(json_t *list, size_t max, int rows)
{
	json_t	*item;
	size_t	 i;

	if (list == NULL)
		return 1;
	if (!json_is_array(list) || json_array_size(list) > max)
		return 0;
	json_array_foreach(list, i, item) {
		if (rows && (!json_is_object(item) || json_object_size(item) !=
		    1))
			return 0;
		if (rows)
			item = json_object_get(item, "policy");
		if (!user_string_ok(item, 1, AUTH_ID_LEN) ||
		    !jwt_uuid_valid(json_string_value(item)))
			return 0;
	}
	return 1;
}

/*
 * The policies of a user, as Directus 11's SDK writes them: the whole
 * list, [{"policy": id}, ...], or the change {"create": [{"policy":
 * id}, ...], "update": [], "delete": [access row id, ...]}.
 */
static int
user_policies_ok(json_t *v, size_t max)
{
	json_t		*update;
	const char	*key;
	json_t		*x;

	if (json_is_array(v))
		return user_access_list_ok(v, max, 1);
	if (!json_is_object(v))
		return 0;
	json_object_foreach(v, key, x)
		if (strcmp(key, "create") != 0 && strcmp(key, "update") != 0 &&
		    strcmp(key, "delete") != 0)
			return 0;
	update = json_object_get(v, "update");
	return user_access_list_ok(json_object_get(v, "create"), max, 1) &&
	    user_access_list_ok(json_object_get(v, "delete"),
	    CONF_POLICY_REFS_MAX, 0) &&
	    (update == NULL || (json_is_array(update) &&
	    json_array_size(update) == 0));
}

const struct user_field *
user_field(const char *name)
{
	size_t	 i;

	for (i = 0; i < user_nfields; i++)
		if (strcmp(user_fields[i].name, name) == 0)
			return &user_fields[i];
	return NULL;
}

/* A string of min to max bytes, none of them NUL. */
static int
user_string_ok(json_t *v, size_t min, size_t max)
{
	size_t	 len;

	if (!json_is_string(v))
		return 0;
	len = json_string_length(v);
	return len >= min && len <= max && strlen(json_string_value(v)) == len;
}

/*
 * The one check of a value, by the kind and bound of its field; who may
 * write the field is the caller's policy.  No string may hold a NUL: a
 * C string would end there.  A role is only checked for that: what it
 * names is users.c's to check, with its own error.
 */
int
user_value_valid(const struct user_field *uf, json_t *v)
{
	json_t	*tag;
	size_t	 i;
	int	 ok = 0;

	switch (uf->kind) {
	case UK_ID:
		return user_string_ok(v, 1, uf->bound) &&
		    jwt_uuid_valid(json_string_value(v));
	case UK_TEXT:
		return json_is_null(v) || user_string_ok(v, 0, uf->bound);
	case UK_EMAIL:
		return user_string_ok(v, 1, uf->bound) &&
		    email_valid(json_string_value(v), json_string_length(v));
	case UK_PASSWORD:
	case UK_TOKEN:
		return (uf->kind == UK_TOKEN && json_is_null(v)) ||
		    user_string_ok(v, 1, uf->bound);
	case UK_TAGS:
		if (json_is_null(v))
			return 1;
		if (!json_is_array(v) || json_array_size(v) > uf->bound)
			return 0;
		json_array_foreach(v, i, tag)
			if (!user_string_ok(tag, 0, USER_TAG_MAX))
				return 0;
		return 1;
	case UK_BOOL:
		return json_is_boolean(v);
	case UK_STATUS:
		for (i = 0; user_string_ok(v, 1, uf->bound) && i <
		    sizeof(user_statuses) / sizeof(user_statuses[0]); i++)
			ok |= strcmp(json_string_value(v), user_statuses[i]) ==
			    0;
		return ok;
	case UK_ROLE:
		return !json_is_string(v) || user_string_ok(v, 0, SIZE_MAX);
	case UK_POLICIES:
		return user_policies_ok(v, uf->bound);
	default:
		return 0;
	}
}

static int
user_computed_name(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(user_computed) / sizeof(user_computed[0]); i++)
		if (strcmp(user_computed[i], name) == 0)
			return 1;
	return 0;
}

/*
 * The SELF allowlist: a patch of one's own user is checked whole before
 * anything is written.  A field the user may not write is 403, an
 * unknown or ill-typed one 400 with the reason, nothing changed.
 */
static uint32_t
user_self_check(json_t *patch, int admin, char *reason, size_t len,
    json_t **password)
{
	const struct user_field	*uf;
	const char		*key;
	json_t			*v;

	if (!json_is_object(patch)) {
		(void)strlcpy(reason, "Invalid JSON", len);
		return AUTH_INVALID_PAYLOAD;
	}
	json_object_foreach(patch, key, v) {
		uf = user_field(key);
		if (uf == NULL && !user_computed_name(key)) {
			(void)snprintf(reason, len, "\"%.64s\" is not allowed",
			    key);
			return AUTH_INVALID_PAYLOAD;
		}
		if (uf == NULL || (uf->flags & UF_SELF_WRITABLE) == 0 ||
		    ((uf->flags & UF_ADMIN_ONLY) && !admin))
			return AUTH_FORBIDDEN;
		if (!user_value_valid(uf, v)) {
			(void)snprintf(reason, len, "\"%s\" has an invalid "
			    "value", key);
			return AUTH_INVALID_PAYLOAD;
		}
		if (uf->kind == UK_PASSWORD)
			*password = v;
	}
	return AUTH_OK;
}

/*
 * The body of PATCH /users/me, as keyd reads it: AUTH_OK and the patch
 * (the caller's to free, even when refused), with *password the new
 * password or NULL; or the code and the reason of the refusal.
 */
uint32_t
user_patch_parse(const uint8_t *text, size_t len, int admin, json_t **patch,
    json_t **password, char *reason, size_t reasonlen)
{
	*password = NULL;
	if ((*patch = json_loadb((const char *)text, len,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		(void)strlcpy(reason, "Invalid JSON", reasonlen);
		return AUTH_INVALID_PAYLOAD;
	}
	return user_self_check(*patch, admin, reason, reasonlen, password);
}
