/*
 * /users/me for the workers: read and update one's own user.  The worker
 * forwards the request's credential, which keyd checks itself, so a
 * worker can never read or change somebody else's row.  What a user may
 * change of itself is keyd's policy: the table below.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "hash.h"
#include "keyd.h"
#include "log.h"
#include "proto.h"
#include "sign.h"

#define USER_TEXT_MAX		4096	/* characters of a text field */
#define USER_TOKEN_MAX		255	/* a static token set by its admin */

enum user_kind {
	USER_TEXT,		/* string or null */
	USER_EMAIL,		/* a unique email */
	USER_PASSWORD,		/* hashed here; ends the other sessions */
	USER_TAGS,		/* array of strings, or null */
	USER_BOOL,
	USER_TOKEN,		/* admins only; stored as its SHA-256 */
	USER_REFUSED,		/* never self-editable: 403 */
};

static const struct user_field {
	const char	*name;
	enum user_kind	 kind;
} user_fields[] = {
	{ "first_name",			USER_TEXT },
	{ "last_name",			USER_TEXT },
	{ "location",			USER_TEXT },
	{ "title",			USER_TEXT },
	{ "description",		USER_TEXT },
	{ "avatar",			USER_TEXT },
	{ "language",			USER_TEXT },
	{ "appearance",			USER_TEXT },
	{ "theme_light",		USER_TEXT },
	{ "theme_dark",			USER_TEXT },
	{ "last_page",			USER_TEXT },
	{ "email",			USER_EMAIL },
	{ "password",			USER_PASSWORD },
	{ "tags",			USER_TAGS },
	{ "email_notifications",	USER_BOOL },
	{ "token",			USER_TOKEN },
	{ "id",				USER_REFUSED },
	{ "role",			USER_REFUSED },
	{ "status",			USER_REFUSED },
	{ "provider",			USER_REFUSED },
	{ "external_identifier",	USER_REFUSED },
	{ "tfa_secret",			USER_REFUSED },
	{ "auth_data",			USER_REFUSED },
	{ "last_access",		USER_REFUSED },
	{ "admin_access",		USER_REFUSED },
	{ "app_access",			USER_REFUSED },
	{ "policies",			USER_REFUSED },
};

/* An update waiting for the hash of its new password. */
struct user_job {
	uint64_t		 chan_serial;
	uint32_t		 id;
	struct store_user	 user;
	char			 session[AUTH_REFRESH_LEN + 1];
	json_t			*patch;
};

static void	 user_reply(struct keyd_chan *, uint32_t, uint32_t,
		    const struct store_user *, const char *, const char *,
		    int64_t);
static const struct user_field *user_field(const char *);
static uint32_t	 user_check(json_t *, int, char *, size_t, json_t **);
static uint32_t	 user_apply(const struct store_user *, const char *,
		    json_t *, const char *);
static void	 user_hashed(enum hash_result, const char *, void *);

/*
 * MSG_USER: who the credential is (until: how long the worker may keep
 * the answer), then the user's JSON or the reason of a refusal.
 */
static void
user_reply(struct keyd_chan *kc, uint32_t id, uint32_t code,
    const struct store_user *u, const char *session, const char *reason,
    int64_t until)
{
	struct frame_buf	 fb;
	char			*json = NULL;
	int			 rv;

	if (code == AUTH_OK && (rv = store_user_json(u->id, &json)) != 0)
		code = rv == 1 ? AUTH_INVALID_CREDENTIALS : AUTH_UNAVAILABLE;
	frame_buf_init(&fb, PROTO_KEYD_MAX);
	auth_who_buf(&fb, code, u, session, until);
	frame_buf_str(&fb, code == AUTH_OK ? json : reason != NULL ?
	    reason : "");
	if (frame_send_buf(kc->chan, MSG_USER, id, -1, &fb) == -1)
		log_warnx("user answer to server %u", kc->slot);
	frame_buf_free(&fb);
	free(json);
}

/* MSG_USER_GET: a credential.  Secrets leave as "**********". */
int
user_get(struct keyd_chan *kc, struct frame *f)
{
	struct store_user	 u;
	char			 session[AUTH_REFRESH_LEN + 1];
	uint32_t		 code;
	int64_t			 until;

	if (auth_identify_only(f, &code, &u, session, &until) == -1)
		return -1;
	user_reply(kc, f->hdr.id, code, &u, session, NULL, until);
	return 0;
}

static const struct user_field *
user_field(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(user_fields) / sizeof(user_fields[0]); i++)
		if (strcmp(user_fields[i].name, name) == 0)
			return &user_fields[i];
	return NULL;
}

static int
user_value_ok(const struct user_field *uf, json_t *v)
{
	json_t	*tag;
	size_t	 i;

	switch (uf->kind) {
	case USER_TEXT:
		return json_is_null(v) || (json_is_string(v) &&
		    json_string_length(v) <= USER_TEXT_MAX);
	case USER_EMAIL:
		return json_is_string(v) && json_string_length(v) > 0 &&
		    json_string_length(v) <= AUTH_EMAIL_MAX &&
		    email_valid(json_string_value(v),
		    json_string_length(v));
	case USER_PASSWORD:
		return json_is_string(v) && json_string_length(v) > 0 &&
		    json_string_length(v) <= AUTH_PASSWORD_MAX;
	case USER_TAGS:
		if (json_is_null(v))
			return 1;
		if (!json_is_array(v) || json_array_size(v) > 64)
			return 0;
		json_array_foreach(v, i, tag)
			if (!json_is_string(tag) ||
			    json_string_length(tag) > 256)
				return 0;
		return 1;
	case USER_BOOL:
		return json_is_boolean(v);
	case USER_TOKEN:
		return json_is_null(v) || (json_is_string(v) &&
		    json_string_length(v) > 0 &&
		    json_string_length(v) <= USER_TOKEN_MAX);
	default:
		return 0;
	}
}

/*
 * Check a whole patch before anything is written: a refused field is
 * 403 and an unknown or ill-typed one 400, with nothing changed.
 */
static uint32_t
user_check(json_t *patch, int admin, char *reason, size_t len,
    json_t **password)
{
	const struct user_field	*uf;
	const char		*key;
	json_t			*v;

	*password = NULL;
	if (!json_is_object(patch)) {
		(void)strlcpy(reason, "Invalid JSON", len);
		return AUTH_INVALID_PAYLOAD;
	}
	json_object_foreach(patch, key, v) {
		if ((uf = user_field(key)) == NULL) {
			(void)snprintf(reason, len, "\"%.64s\" is not allowed",
			    key);
			return AUTH_INVALID_PAYLOAD;
		}
		if (uf->kind == USER_REFUSED ||
		    (uf->kind == USER_TOKEN && !admin))
			return AUTH_FORBIDDEN;
		if (!user_value_ok(uf, v)) {
			(void)snprintf(reason, len, "\"%s\" has an invalid "
			    "value", key);
			return AUTH_INVALID_PAYLOAD;
		}
		if (uf->kind == USER_PASSWORD)
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
	return user_check(*patch, admin, reason, reasonlen, password);
}

/*
 * MSG_USER_UPDATE: a credential, str the patch.  A new password is
 * hashed on the pool first; the rest is written in one transaction.
 */
int
user_update(struct keyd_chan *kc, struct frame *f)
{
	struct frame_rd		 rd;
	struct user_job		*job;
	const uint8_t		*text;
	size_t			 len;
	json_t			*pw;
	char			 reason[128] = "";
	uint32_t		 code;
	int64_t			 until;
	int			 admin, app;

	if ((job = calloc(1, sizeof(*job))) == NULL)
		fatal("calloc");
	frame_rd_init(&rd, f);
	if (auth_identify(&rd, &code, &job->user, job->session,
	    &until) == -1 ||
	    frame_rd_blob(&rd, &text, &len, PROTO_KEYD_MAX) == -1 ||
	    frame_rd_end(&rd) == -1) {
		free(job);
		return -1;
	}
	job->chan_serial = kc->serial;
	job->id = f->hdr.id;
	(void)auth_role_access(job->user.role, &admin, &app);
	if (code == AUTH_OK)
		code = user_patch_parse(text, len, admin, &job->patch, &pw,
		    reason, sizeof(reason));
	if (code == AUTH_OK && pw != NULL) {
		if (hash_create((const uint8_t *)json_string_value(pw),
		    json_string_length(pw), user_hashed, job) == 0)
			return 0;
		code = AUTH_UNAVAILABLE;
	}
	if (code == AUTH_OK)
		code = user_apply(&job->user, job->session, job->patch, NULL);
	user_reply(kc, job->id, code, &job->user, job->session, reason, 0);
	json_decref(job->patch);
	free(job);
	return 0;
}

static void
user_hashed(enum hash_result result, const char *phc, void *arg)
{
	struct user_job		*job = arg;
	struct keyd_chan	*kc = keyd_chan_find(job->chan_serial);
	uint32_t		 code = AUTH_INTERNAL;

	/* It writes the store: the open group commit goes first. */
	batch_commit();
	if (phc != NULL)
		code = user_apply(&job->user, job->session, job->patch, phc);
	if (kc != NULL)
		user_reply(kc, job->id, code, &job->user, job->session, NULL,
		    0);
	json_decref(job->patch);
	free(job);
}

/*
 * Write a checked patch.  Column names come from user_fields, values
 * are bound.  A new password or email ends every other session of the
 * user (the current one survives in session mode).
 */
static uint32_t
user_apply(const struct store_user *u, const char *session, json_t *patch,
    const char *phc)
{
	const struct user_field	*uf;
	const char		*key;
	json_t			*v;
	uint8_t			 hash[STORE_HASH_LEN];
	int			 rv = 0, ends = 0;

	if (store_begin() == -1)
		return AUTH_UNAVAILABLE;
	json_object_foreach(patch, key, v) {
		uf = user_field(key);
		if (uf->kind == USER_PASSWORD) {
			rv = store_user_set_password(u->id, phc);
			ends = 1;
		} else if (uf->kind == USER_TOKEN) {
			if (!json_is_null(v))
				sign_sha256(json_string_value(v),
				    json_string_length(v), hash);
			rv = store_user_set_token(u->id, json_is_null(v) ?
			    NULL : hash);
		} else {
			rv = store_user_set_field(u->id, key, v);
			ends |= uf->kind == USER_EMAIL &&
			    strcasecmp(json_string_value(v), u->email) != 0;
		}
		if (rv != 0)
			break;
	}
	if (rv == 0 && ends) {
		if (session[0] != '\0')
			sign_sha256(session, strlen(session), hash);
		rv = store_sessions_delete_others(u->id, session[0] != '\0' ?
		    hash : NULL);
	}
	if (rv == 0 && store_commit() == 0) {
		invalidate_user(u->id);
		return AUTH_OK;
	}
	store_rollback();
	return rv == STORE_NOT_UNIQUE ? AUTH_RECORD_NOT_UNIQUE :
	    AUTH_UNAVAILABLE;
}
