/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The /users API (MSG_USERS): list, read, create, update and delete
 * users for the workers; and /users/me (MSG_USER_GET, MSG_USER_UPDATE),
 * the same code with the target "self": the caller's own user, under
 * the SELF allowlist of user_schema.c instead of a permission, answered
 * with MSG_USER.  The worker is treated as hostile: keyd checks
 * the credential itself, decides the permission itself (administrators
 * may do everything; others what tokend.conf grants on the collection
 * directus_users, else the public role's), parses the query itself and
 * runs only statements whose text it wrote, every value bound.
 *
 * The concealed fields (UF_CONCEALED) never leave keyd: they read
 * "**********" when set and null when not, only administrators (and a
 * user of itself) see even that, and nobody filters or sorts on them.
 * New passwords are hashed on the pool, never on the loop.  A user who
 * leaves the status "active" or is deleted loses every session at
 * once, and every token of it fails from the next request on, since
 * keyd reads the user's row for each of them.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "hash.h"
#include "jwt.h"
#include "keyd.h"
#include "log.h"
#include "perm.h"
#include "proto.h"
#include "query.h"
#include "query_where.h"
#include "sign.h"

#define USERS_TOO_MANY_POLICIES	(-3)	/* users_set_policies() */
#define USERS_FORBIDDEN_FIELD	"You don't have permission to access " \
				"field \"%s\" in collection \"directus_users\" " \
				"or it does not exist."
/* A field a read names, as Directus 11.3.5 refuses it (with a reason). */
#define USERS_FORBIDDEN_READ	USERS_FORBIDDEN_FIELD " Queried in root."
#define USERS_FORBIDDEN_ROLE_FIELD "You don't have permission to access " \
				"field \"%s\" in collection " \
				"\"directus_roles\" or it does not exist. " \
				"Queried in \"role\"."
#define USERS_FORBIDDEN_ACCESS_FIELD "You don't have permission to " \
				"access field \"%s\" in collection " \
				"\"directus_access\" or it does not exist. " \
				"Queried in \"policies\"."

/*
 * One MSG_USERS, or one MSG_USER_GET or MSG_USER_UPDATE (self), kept
 * while its passwords are hashed.
 */
struct users_job {
	uint64_t		 chan_serial;
	uint32_t		 id;		/* of the request frame */
	uint32_t		 op;
	struct store_user	 caller;	/* id "" for the public role */
	char			 session[AUTH_REFRESH_LEN + 1];
	int			 admin;
	char			 target[AUTH_ID_LEN + 1];	/* "" all */
	/*
	 * The target "self", /users/me: the caller's own user under the
	 * SELF allowlist rather than a permission.  Set by keyd for
	 * MSG_USER_GET and MSG_USER_UPDATE only, never from a frame.
	 */
	int			 self;
	int64_t			 until;		/* self: MSG_USER's until */
	uint32_t		 nest;		/* self: USER_NEST_* */
	json_t			*role_users;	/* role id -> its users seen */
	char			 now[32];
	struct query_vars	 vars;
	struct perm_hold	 hold;		/* its access, merged */
	struct query		 q;
	/*
	 * The filter and sort that choose the users: q's, or those of
	 * the "query" of a PATCH or DELETE /users body.
	 */
	struct query		*sel;
	struct query		 body_q;
	json_t			*changes;	/* update: one per key */
	json_t			*batch_keys;	/* of changes, in order */
	json_t			*body;
	json_t			*items;		/* create: the new users */
	json_t			*data;		/* update: the change */
	json_t			*keys;		/* the users concerned */
	int			 single;	/* answer one object */
	char			**phc;		/* a new hash per item */
	size_t			 nphc;
	int			 hashing;	/* hashes not back yet */
	uint32_t		 code;
	char			 msg[USERS_MESSAGE_MAX + 1];
	struct audit_client	 client;	/* the request's, for audit.c */
	struct lockout_login	 lock;		/* password change: its count */
	int			 locking;	/* lockout_begin()'d */
};

/* One password on the pool. */
struct users_hash {
	struct users_job	*job;
	size_t			 slot;
};

/* What the last-administrator check counts. */
struct users_admins {
	json_t			*leaving;	/* ids losing admin access */
	int			 leaving_admins;
	int			 staying_admins;
	int			*count;		/* not NULL: count them all */
};

/* A page being read, bounded by what one answer may hold. */
struct users_page {
	struct users_job		*job;
	const struct conf_permission	*perm;
	int				 ids;	/* the ids alone */
	json_t				*rows;
	size_t				 bytes;
	int				 full;
};

static uint32_t	 users_fail(struct users_job *, uint32_t, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
static void	 users_reply(struct users_job *, const char *);
static uint32_t	 users_me_nest(struct users_job *, char **);
static void	 users_finish(struct users_job *, json_t *);
static void	 users_finish_data(struct users_job *, json_t *);
static void	 users_access(struct users_job *);
static void	 users_job_free(struct users_job *);
static int	 users_msg_read(struct frame *, struct users_job *,
		    const char **, uint32_t *, const uint8_t **, size_t *);
static int	 users_me_get_read(struct frame *, struct users_job *,
		    uint32_t *);
static int	 users_me_update_read(struct frame *, struct users_job *,
		    uint32_t *, const uint8_t **, size_t *);
static void	 users_me_write(struct keyd_chan *, uint32_t, uint32_t,
		    const struct store_user *, const char *, const char *,
		    int64_t);
static void	 users_self_reply(struct users_job *);
static int	 users_me_enforce_tfa(const struct store_user *, char **);
static struct users_job *users_job_new(struct keyd_chan *, struct frame *);
static void	 users_self_write(struct users_job *);
static const struct conf_permission *users_perm(struct users_job *, int);
static int	 users_column(void *, const char *, struct query_sql *);
static uint32_t	 users_rels_check(struct users_job *,
		    const struct conf_permission *);
static int	 users_row_role(struct users_job *, json_t *);
static json_t	*users_role_users(struct users_job *, const char *);
static int	 users_row_policies(struct users_job *, json_t *, const char *);
static const struct conf_permission *users_perm_on(struct users_job *,
		    const char *, int);
static uint32_t	 users_query_check(struct users_job *,
		    const struct conf_permission *);
static uint32_t	 users_where(struct users_job *,
		    const struct conf_permission *, int, json_t *,
		    struct query_sql *);
static int	 users_row(void *, const char *);
static json_t	*users_select(struct users_job *,
		    const struct conf_permission *, int, int, json_t *,
		    long long, long long);
static void	 users_read(struct users_job *);
static int	 users_group_field(const struct conf_permission *,
		    const char *);
static void	 users_groups(struct users_job *,
		    const struct conf_permission *);
static void	 users_activity(struct users_job *);
static int	 users_meta(struct users_job *, const struct conf_permission *,
		    json_t *);
static void	 users_reread(struct users_job *);
static uint32_t	 users_check_value(struct users_job *,
		    const struct user_field *, const char *, json_t *);
static uint32_t	 users_check_role(struct users_job *, json_t *);
static uint32_t	 users_check_policies(struct users_job *, json_t *);
static int	 users_set_policies(const char *, json_t *);
static uint32_t	 users_check_item(struct users_job *,
		    const struct conf_permission *, json_t *, int);
static uint32_t	 users_validate_update(struct users_job *,
		    const struct conf_permission *);
static uint32_t	 users_keys(struct users_job *, json_t *);
static uint32_t	 users_found(struct users_job *,
		    const struct conf_permission *);
static void	 users_admin_row(void *, const char **, int);
static uint32_t	 users_last_admin(struct users_job *, json_t *);
static int	 users_demotes(const char *, json_t *);
static int	 users_admin_count(void);
static uint32_t	 users_admins_kept(struct users_job *, int);
static int	 users_changes_policies(struct users_job *);
static void	 users_hash_one(struct users_job *);
static void	 user_password_checked(enum hash_result, const char *, void *);
static uint32_t	 user_password_lock(struct users_job *);
static void	 user_password_unlock(struct users_job *, enum hash_result);
static uint32_t	 user_password_parse(struct users_job *, json_t *, const char **);
static void	 users_hash_start(struct users_job *, size_t, json_t *);
static void	 users_hashed(enum hash_result, const char *, void *);
static void	 users_hash_settle(struct users_job *);
static void	 users_create(struct users_job *);
static void	 users_create_write(struct users_job *);
static uint32_t	 users_insert(struct users_job *, json_t *, const char *);
static void	 users_update(struct users_job *);
static void	 users_update_write(struct users_job *);
static void	 users_log_changes(struct users_job *, const char *,
		    json_t *);
static void	 users_audit(struct users_job *, const char *, json_t *,
		    const struct store_user *);
static uint32_t	 users_apply(struct users_job *, const char *, json_t *,
		    const char *, int);
static void	 users_delete(struct users_job *);
static uint32_t	 users_body_query(struct users_job *,
		    const struct conf_permission *, json_t *);
static char	*users_join(json_t *);
static uint32_t	 users_batch(struct users_job *, json_t *);
static uint32_t	 users_keys_or_query(struct users_job *,
		    const struct conf_permission *, json_t *);
static json_t	*users_change(struct users_job *, const char *, size_t *);
static uint32_t	 users_demoted(struct users_job *);
static void	 users_hash_changes(struct users_job *);
static void	 users_invite(struct users_job *);
static uint32_t	 users_invite_body(struct users_job *, json_t **,
		    const char **, char *, size_t);
static uint32_t	 users_invite_one(struct users_job *, const char *,
		    const char *, const char *, int64_t);

/* Set the outcome of a job; the message is printable ASCII only. */
static uint32_t
users_fail(struct users_job *job, uint32_t code, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 i;

	job->code = code;
	job->msg[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		(void)vsnprintf(job->msg, sizeof(job->msg), fmt, ap);
		va_end(ap);
	}
	for (i = 0; job->msg[i] != '\0'; i++)
		if (job->msg[i] < 0x20 || job->msg[i] >= 0x7f)
			job->msg[i] = '?';
	return code;
}

/*
 * MSG_USERS: -1 for a malformed frame; else *code is the credential's
 * verdict (CRED_NONE: the public role), *params the raw query
 * parameters (NULL when not given) and *body the body (pointing into
 * the frame).
 */
static int
users_msg_read(struct frame *f, struct users_job *job, const char **params,
    uint32_t *code, const uint8_t **body, size_t *len)
{
	static struct msg_users	 m;	/* USERS_NPARAMS bounded strings */
	size_t			 i;
	int			 public;

	if (msg_read(f, MSG_USERS, &m) == -1 ||
	    strlcpy(job->target, m.target, sizeof(job->target)) >=
	    sizeof(job->target))
		return -1;
	for (i = 0; i < USERS_NPARAMS; i++) {
		if (m.params[i].given > 1)
			return -1;
		params[i] = m.params[i].given ? m.params[i].value : NULL;
	}
	job->op = m.op;
	*body = m.body;
	*len = m.body_len;
	audit_client_copy(&job->client, &m.client);
	return auth_identify_cred_public(&m.cred, code, &job->caller,
	    job->session, &public);
}

/* MSG_USERS_RESULT, also the answer of MSG_TFA (tfa.c). */
void
users_result_write(struct keyd_chan *kc, uint32_t id, uint32_t code,
    const char *msg, const char *json)
{
	struct msg_users_result	 m;

	m.code = code;
	m.message = msg;
	m.json = (const uint8_t *)json;
	m.json_len = json != NULL ? strlen(json) : 0;
	if (msg_send(kc->chan, MSG_USERS_RESULT, id, -1, &m) == -1)
		log_warnx("users answer to server %u", kc->slot);
}

/* MSG_USER_GET.  -1 for a malformed frame. */
static int
users_me_get_read(struct frame *f, struct users_job *job, uint32_t *code)
{
	struct msg_user_get	 m;

	if (msg_read(f, MSG_USER_GET, &m) == -1)
		return -1;
	job->nest = m.nest & USER_NEST_ALL;
	audit_client_copy(&job->client, &m.client);
	return auth_identify_cred(&m.cred, code, &job->caller, job->session,
	    &job->until);
}

/* MSG_USER_UPDATE: *text is the patch, pointing into the frame. */
static int
users_me_update_read(struct frame *f, struct users_job *job, uint32_t *code,
    const uint8_t **text, size_t *len)
{
	struct msg_user_update	 m;
	int64_t			 until;

	if (msg_read(f, MSG_USER_UPDATE, &m) == -1)
		return -1;
	*text = m.patch;
	*len = m.patch_len;
	audit_client_copy(&job->client, &m.client);
	return auth_identify_cred(&m.cred, code, &job->caller, job->session,
	    &until);
}

/*
 * MSG_USER: who the credential is (until: how long the worker may keep
 * the answer), then the user's JSON or the reason of a refusal.
 */
static void
users_me_write(struct keyd_chan *kc, uint32_t id, uint32_t code,
    const struct store_user *u, const char *session, const char *text,
    int64_t until)
{
	struct msg_user	 m;
	uint8_t		 mac[TICKET_MAC_LEN];

	auth_who_set(&m.who, code, u, session, until, mac);
	m.json = (const uint8_t *)text;
	m.json_len = strlen(text);
	if (msg_send(kc->chan, MSG_USER, id, -1, &m) == -1)
		log_warnx("user answer to server %u", kc->slot);
}

/* MSG_USERS_RESULT; json NULL: the job's error, or 204 when AUTH_OK. */
static void
users_reply(struct users_job *job, const char *json)
{
	struct keyd_chan	*kc = keyd_chan_find(job->chan_serial);
	uint32_t		 code = json != NULL ? AUTH_OK : job->code;

	if (kc != NULL)
		users_result_write(kc, job->id, code, code == AUTH_OK ? "" :
		    job->msg, json);
}

/*
 * The answer of the target "self" (MSG_USER): its user's JSON, secrets
 * as "**********", or the reason of a refused patch.
 */
static void
users_self_reply(struct users_job *job)
{
	struct keyd_chan	*kc = keyd_chan_find(job->chan_serial);
	char			*json = NULL;
	uint32_t		 code = job->code;
	int			 rv;

	if (kc == NULL)
		return;
	if (code == AUTH_OK &&
	    (rv = store_user_json(job->caller.id, &json)) != 0)
		code = rv == 1 ? AUTH_INVALID_CREDENTIALS : AUTH_UNAVAILABLE;
	if (code == AUTH_OK && users_me_enforce_tfa(&job->caller, &json) == -1)
		code = AUTH_INTERNAL;
	if (code == AUTH_OK && job->nest != 0)
		code = users_me_nest(job, &json);
	users_me_write(kc, job->id, code, &job->caller, job->session,
	    code == AUTH_OK ? json : code == AUTH_INVALID_PAYLOAD ? job->msg :
	    "", job->until);
	free(json);
}

/*
 * /users/me's "enforce_tfa": true while the user must set up TFA, as
 * its access token's claim says (a tokend addition: Directus 11 tells it
 * at /policies/me/globals).  *json, the store's object (which has no
 * such member), is replaced by the same text with the member added
 * last: written into the text rather than parsed and dumped again,
 * which was a third of keyd's work on a GET /users/me the worker's
 * cache does not answer (bench/README.md).
 */
static int
users_me_enforce_tfa(const struct store_user *u, char **json)
{
	const char	*add = auth_tfa_enforced(u) ? "\"enforce_tfa\":true}" :
			    "\"enforce_tfa\":false}";
	size_t		 len = strlen(*json), alen = strlen(add), off;
	char		*text;

	if (len < 2 || (*json)[0] != '{' || (*json)[len - 1] != '}' ||
	    (text = malloc(len + 1 + alen)) == NULL)
		return -1;
	off = len - 1;			/* the text without its '}' */
	memcpy(text, *json, off);
	if (off > 1)
		text[off++] = ',';
	memcpy(text + off, add, alen + 1);
	free(*json);
	*json = text;
	return 0;
}

/*
 * What MSG_USER_GET's nest asks for (proto.h): the user's access rows
 * in "policies", and "role_users", the users of its role it may read.
 * *json is replaced; the code of the answer.
 */
static uint32_t
users_me_nest(struct users_job *job, char **json)
{
	json_t	*user, *v;
	char	*text = NULL;
	int	 admin, app, rv;

	if ((user = json_loads(*json, 0, NULL)) == NULL)
		return AUTH_INTERNAL;
	(void)auth_user_access(&job->caller, &admin, &app);
	rv = 0;
	if (job->nest & USER_NEST_POLICIES) {
		if ((rv = store_user_access_rows(job->caller.id, &text)) ==
		    0 && (v = json_loads(text, 0, NULL)) != NULL)
			rv = json_object_set_new(user, "policies", v);
		else
			rv = -1;
		free(text);
		text = NULL;
	}
	if (rv == 0 && (job->nest & USER_NEST_ROLE_USERS) &&
	    job->caller.role[0] != '\0') {
		job->admin = admin;
		job->vars.user = job->caller.id;
		job->vars.role = job->caller.role;
		if ((v = users_role_users(job, job->caller.role)) == NULL) {
			json_decref(user);
			return job->code;
		}
		rv = json_object_set(user, "role_users", v);
	}
	if (rv == 0)
		text = json_dumps(user, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(user);
	if (text == NULL)
		return AUTH_INTERNAL;
	free(*json);
	*json = text;
	return AUTH_OK;
}

/*
 * Answer and free the job: the answer (taken), or the job's code when
 * it is NULL (204 for AUTH_OK).  An answer over USERS_ANSWER_MAX is
 * refused rather than cut.
 */
static void
users_finish(struct users_job *job, json_t *answer)
{
	char	*text = NULL;

	if (job->self) {
		users_self_reply(job);
		json_decref(answer);
		users_job_free(job);
		return;
	}
	if (answer != NULL) {
		text = json_dumps(answer, JSON_COMPACT);
		json_decref(answer);
		if (text == NULL)
			users_fail(job, AUTH_INTERNAL, NULL);
		else if (strlen(text) > USERS_ANSWER_MAX) {
			users_fail(job, AUTH_INVALID_QUERY, "Invalid query. "
			    "The answer would be larger than %d bytes: ask "
			    "for fewer users or fields.", USERS_ANSWER_MAX);
			free(text);
			text = NULL;
		}
	}
	users_reply(job, text);
	free(text);
	users_job_free(job);
}

/* {"data": data}, data taken; NULL answers with the job's code. */
static void
users_finish_data(struct users_job *job, json_t *data)
{
	json_t	*answer = NULL;

	if (data != NULL && (answer = json_pack("{s:o}", "data", data)) ==
	    NULL)
		users_fail(job, AUTH_INTERNAL, NULL);
	users_finish(job, answer);
}

static void
users_job_free(struct users_job *job)
{
	size_t	 i;

	query_free(&job->q);
	query_free(&job->body_q);
	json_decref(job->role_users);
	json_decref(job->changes);
	json_decref(job->batch_keys);
	perm_hold_free(&job->hold);
	json_decref(job->body);
	json_decref(job->items);
	json_decref(job->data);
	json_decref(job->keys);
	for (i = 0; i < job->nphc; i++)
		freezero(job->phc[i], job->phc[i] != NULL ?
		    strlen(job->phc[i]) : 0);
	free(job->phc);
	explicit_bzero(job, sizeof(*job));
	free(job);
}

static struct users_job *
users_job_new(struct keyd_chan *kc, struct frame *f)
{
	struct users_job	*job;

	if ((job = calloc(1, sizeof(*job))) == NULL)
		fatal("calloc");
	job->chan_serial = kc->serial;
	job->id = f->hdr.id;
	job->sel = &job->q;
	return job;
}

int
users_request(struct keyd_chan *kc, struct frame *f)
{
	struct users_job	*job = users_job_new(kc, f);
	struct query_params	 qp;
	const char		*params[USERS_NPARAMS];
	const uint8_t		*body;
	char			 reason[QUERY_REASON_MAX];
	size_t			 len, i;
	uint32_t		 code;
	int			 app;

	if (users_msg_read(f, job, params, &code, &body, &len) == -1 ||
	    job->op == 0 || job->op >= USERS_OP_MAX) {
		users_job_free(job);
		return -1;
	}
	if (len > 0 && (job->body = json_loadb((const char *)body, len,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL)
		job->body = json_string("");	/* not JSON: refused later */
	if (code != AUTH_OK) {
		users_fail(job, code, NULL);
		users_finish(job, NULL);
		return 0;
	}
	/* Where it asks from: ip-allow's policies (Directus 11.3.5). */
	if (job->caller.id[0] != '\0')
		(void)auth_user_access_from(&job->caller, job->client.ip,
		    &job->admin, &app);
	query_now(job->now, sizeof(job->now));
	job->vars.user = job->caller.id[0] != '\0' ? job->caller.id : NULL;
	job->vars.role = job->caller.role[0] != '\0' ? job->caller.role : NULL;
	job->vars.now = job->now;
	qp = (struct query_params){ params[0], params[1], params[2],
	    params[3], params[4], params[5], params[6], params[7],
	    params[8], params[9] };
	/* An invite answers 204: nothing to choose fields or rows of. */
	for (i = 0; job->op == USERS_INVITE && i < USERS_NPARAMS; i++)
		if (params[i] != NULL) {
			users_fail(job, AUTH_INVALID_QUERY, "Invalid query. "
			    "POST /users/invite takes no query parameters.");
			users_finish(job, NULL);
			return 0;
		}
	if (query_parse(&job->q, &qp, keyd_conf()->query_limit, reason,
	    sizeof(reason)) == -1) {
		users_fail(job, AUTH_INVALID_QUERY, "Invalid query. %s.",
		    reason);
		users_finish(job, NULL);
		return 0;
	}
	if (job->op == USERS_ACTIVITY && (job->q.search != NULL ||
	    QUERY_GROUPED(&job->q))) {
		users_fail(job, AUTH_INVALID_QUERY, "Invalid query. "
		    "\"%s\" is not a parameter of /activity.",
		    job->q.search != NULL ? "search" : job->q.nagg > 0 ?
		    "aggregate" : "groupBy");
		users_finish(job, NULL);
		return 0;
	}
	if (QUERY_GROUPED(&job->q) && (job->op != USERS_READ ||
	    job->target[0] != '\0')) {
		users_fail(job, AUTH_INVALID_QUERY, "Invalid query. "
		    "\"aggregate\" and \"groupBy\" apply to a read of the "
		    "users, not to one user nor to a change.");
		users_finish(job, NULL);
		return 0;
	}
	switch (job->op) {
	case USERS_READ:
		users_read(job);
		break;
	case USERS_ACTIVITY:
		users_activity(job);
		break;
	case USERS_ACCESS:
		users_access(job);
		break;
	case USERS_INVITE:
		users_invite(job);
		break;
	case USERS_CREATE:
		users_create(job);
		break;
	case USERS_UPDATE:
		users_update(job);
		break;
	default:
		users_delete(job);
		break;
	}
	return 0;
}

/*
 * MSG_USER_GET, GET /users/me: the target "self".  The worker forwards
 * the request's credential, which keyd checks itself, so a worker can
 * never read somebody else's row.
 */
int
user_get(struct keyd_chan *kc, struct frame *f)
{
	struct users_job	*job = users_job_new(kc, f);
	uint32_t		 code;

	job->self = 1;
	job->op = USERS_READ;
	store_user_json_ahead();
	if (users_me_get_read(f, job, &code) == -1) {
		users_job_free(job);
		return -1;
	}
	users_fail(job, code, NULL);
	users_finish(job, NULL);
	return 0;
}

/*
 * MSG_USER_UPDATE, PATCH /users/me: the target "self", under the SELF
 * allowlist (user_patch_parse()) rather than a permission.  A new
 * password is hashed on the pool first, then the patch is written as
 * /users writes a change.
 */
int
user_update(struct keyd_chan *kc, struct frame *f)
{
	struct users_job	*job = users_job_new(kc, f);
	const uint8_t		*text;
	size_t			 len;
	json_t			*pw;
	uint32_t		 code;
	int			 app;

	job->self = 1;
	job->op = USERS_UPDATE;
	if (users_me_update_read(f, job, &code, &text, &len) == -1) {
		users_job_free(job);
		return -1;
	}
	(void)auth_user_access_from(&job->caller, job->client.ip, &job->admin,
	    &app);
	/* The reason goes out as it is, not through users_fail(). */
	if (code == AUTH_OK)
		code = user_patch_parse(text, len, job->admin, &job->data, &pw,
		    job->msg, sizeof(job->msg));
	if ((job->code = code) != AUTH_OK) {
		users_finish(job, NULL);
		return 0;
	}
	users_hash_one(job);
	return 0;
}

/*
 * The body of POST /users/me/password: both passwords, strings, and
 * nothing else.  AUTH_OK with *current pointing into body and
 * job->data the patch {"password": new}, checked as PATCH /users/me
 * checks it; or the code, with the reason in job->msg.
 */
static uint32_t
user_password_parse(struct users_job *job, json_t *body,
    const char **current)
{
	json_t		*cur, *pw, *v;
	const char	*key;
	char		*text;
	uint32_t	 code;

	if (body == NULL || !json_is_object(body)) {
		(void)strlcpy(job->msg, "Invalid JSON", sizeof(job->msg));
		return AUTH_INVALID_PAYLOAD;
	}
	json_object_foreach(body, key, v)
		if (strcmp(key, "password_current") != 0 &&
		    strcmp(key, "password") != 0) {
			(void)snprintf(job->msg, sizeof(job->msg),
			    "\"%.64s\" is not allowed", key);
			return AUTH_INVALID_PAYLOAD;
		}
	cur = json_object_get(body, "password_current");
	pw = json_object_get(body, "password");
	key = cur == NULL ? "password_current" : pw == NULL ? "password" :
	    NULL;
	if (key != NULL || !json_is_string(cur) || !json_is_string(pw)) {
		(void)snprintf(job->msg, sizeof(job->msg), key != NULL ?
		    "\"%s\" is required" : "\"%s\" must be a string",
		    key != NULL ? key : !json_is_string(cur) ?
		    "password_current" : "password");
		return AUTH_INVALID_PAYLOAD;
	}
	*current = json_string_value(cur);
	if ((v = json_pack("{s:O}", "password", pw)) == NULL ||
	    (text = json_dumps(v, JSON_COMPACT)) == NULL) {
		json_decref(v);
		return AUTH_INTERNAL;
	}
	json_decref(v);
	code = user_patch_parse((const uint8_t *)text, strlen(text),
	    job->admin, &job->data, &pw, job->msg, sizeof(job->msg));
	freezero(text, strlen(text));
	return code;
}

/*
 * MSG_USER_PASSWORD, POST /users/me/password (tokend's extension): the
 * current password is checked on the hashing pool (a stolen session
 * cookie alone cannot change it), then the new one is written as
 * PATCH /users/me writes it: the caller's other sessions end.
 */
int
user_password(struct keyd_chan *kc, struct frame *f)
{
	struct users_job	*job = users_job_new(kc, f);
	struct msg_user_password m;
	const char		*current = NULL;
	json_t			*body = NULL;
	int64_t			 until;
	uint32_t		 code;
	int			 app;

	job->self = 1;
	job->op = USERS_UPDATE;
	if (msg_read(f, MSG_USER_PASSWORD, &m) == -1) {
		users_job_free(job);
		return -1;
	}
	audit_client_copy(&job->client, &m.client);
	if (auth_identify_cred(&m.cred, &code, &job->caller, job->session,
	    &until) == -1) {
		users_job_free(job);
		return -1;
	}
	(void)auth_user_access_from(&job->caller, job->client.ip, &job->admin,
	    &app);
	if (code == AUTH_OK) {
		body = m.body_len > 0 ? json_loadb((const char *)m.body,
		    m.body_len, JSON_REJECT_DUPLICATES, NULL) : NULL;
		code = user_password_parse(job, body, &current);
	}
	if (code == AUTH_OK)
		code = user_password_lock(job);
	if (code == AUTH_OK && hash_verify(job->caller.password,
	    (const uint8_t *)current, strlen(current), user_password_checked,
	    job) == -1) {
		user_password_unlock(job, HASH_ERROR);
		code = AUTH_UNAVAILABLE;
	}
	json_decref(body);
	if ((job->code = code) != AUTH_OK)
		users_finish(job, NULL);
	return 0;
}

/*
 * A wrong current password counts against the account as a failed login
 * does (as tfa.c's codes do), so that a stolen session cannot walk
 * through passwords here: the user's own attempts, apart from any
 * address's logins.  AUTH_TOO_MANY while the account waits.
 */
static uint32_t
user_password_lock(struct users_job *job)
{
	struct lockout_policy	 p;
	enum lockout_why	 why;
	char			 who[STORE_ID_MAX + 16];
	int64_t			 now = now_ms(CLOCK_MONOTONIC);
	int			 first;

	(void)snprintf(who, sizeof(who), "password %s", job->caller.id);
	auth_lockout_policy(&p);
	(void)lockout_login(&job->lock, job->caller.email, who);
	if (lockout_check(&job->lock, &p, now, &why, &first) > 0) {
		if (first)
			log_info("user %s: password change refused: too "
			    "many wrong current passwords", job->caller.id);
		return AUTH_TOO_MANY;
	}
	lockout_begin(&job->lock, &p, now);
	job->locking = 1;
	return AUTH_OK;
}

/* The check is over: counted as a failure, a success, or neither. */
static void
user_password_unlock(struct users_job *job, enum hash_result result)
{
	struct lockout_policy	 p;
	int64_t			 now = now_ms(CLOCK_MONOTONIC);

	if (!job->locking)
		return;
	job->locking = 0;
	auth_lockout_policy(&p);
	lockout_finish(&job->lock, &p, now);
	if (result == HASH_MISMATCH)
		(void)lockout_failed(&job->lock, &p, now);
	else if (result == HASH_MATCH)
		lockout_succeeded(&job->lock, &p, now);
}

/* The current password checked: the new one is hashed and written. */
static void
user_password_checked(enum hash_result result, const char *unused,
    void *arg)
{
	struct users_job	*job = arg;

	user_password_unlock(job, result);
	if (result != HASH_MATCH) {
		job->code = result == HASH_BUSY ? AUTH_UNAVAILABLE :
		    result == HASH_ERROR ? AUTH_INTERNAL :
		    AUTH_INVALID_CREDENTIALS;
		if (job->code == AUTH_INVALID_CREDENTIALS)
			log_info("user %s: password change refused: the "
			    "current password is wrong", job->caller.id);
		users_finish(job, NULL);
		return;
	}
	users_hash_one(job);
}

/* The caller's permission for an action on directus_users, or NULL. */
static const struct conf_permission *
users_perm(struct users_job *job, int action)
{
	return users_perm_on(job, CONF_USERS_COLLECTION, action);
}

/* The caller's permission for an action on a collection, or NULL. */
static const struct conf_permission *
users_perm_on(struct users_job *job, const char *collection, int action)
{
	struct perm_who	 who;
	struct cidr	 addr;

	memset(&who, 0, sizeof(who));
	who.user = job->vars.user;
	who.role = job->vars.role;
	who.admin = job->admin;
	who.policies = job->caller.id[0] != '\0' ? job->caller.policies :
	    NULL;
	who.hold = &job->hold;
	if (cidr_addr_parse(job->client.ip, strlen(job->client.ip),
	    &addr) == 0)
		who.addr = &addr;
	return perm_lookup(keyd_conf(), &who, collection, action);
}

/* The query schema: a field's SQL, never one of the concealed. */
static int
users_column(void *arg, const char *field, struct query_sql *qs)
{
	const char	*expr = store_users_column(field);

	if (expr == NULL)
		return -1;
	query_sql_add(qs, expr);
	return 0;
}

/*
 * The search condition over users (query_where.c asks it): a text
 * field that the permission lets read and that is not concealed holds
 * the term in any ASCII letter case, as Directus searches the string
 * fields of directus_users; or, for a uuid term, the id or the role is
 * it, as Directus compares its uuid fields.
 */
static int
users_search(void *arg, const struct query_search *s,
    const struct conf_fields *readable, struct query_sql *qs)
{
	const struct user_field	*uf;
	json_t			*v;
	size_t			 i;
	int			 n = 0, uuid;

	if ((v = json_string(s->text)) == NULL)
		return -1;
	uuid = jwt_uuid_valid(s->text);
	query_sql_add(qs, "(");
	for (i = 0; i < user_nfields; i++) {
		uf = &user_fields[i];
		if (uf->column == NULL || (uf->flags & UF_CONCEALED) ||
		    (!readable->all && !config_fields_has(readable, uf->name)))
			continue;
		if (uf->kind == UK_TEXT || uf->kind == UK_EMAIL ||
		    uf->kind == UK_STATUS) {
			query_sql_add(qs, n++ > 0 ? " OR " : "");
			query_sql_add(qs, query_sql_instr(qs));
			query_sql_add(qs, "lower(");
			query_sql_add(qs, store_users_column(uf->name));
			query_sql_add(qs, "), lower(");
			query_sql_bind(qs, v);
			query_sql_add(qs, ")) > 0");
		} else if (uuid && (uf->kind == UK_ID || uf->kind == UK_ROLE)) {
			query_sql_add(qs, n++ > 0 ? " OR " : "");
			query_sql_add(qs, store_users_column(uf->name));
			query_sql_add(qs, " = ");
			query_sql_bind(qs, v);
		}
	}
	if (n == 0)
		query_sql_bool(qs, 0);
	query_sql_add(qs, ")");
	json_decref(v);
	return 0;
}

struct users_walk {
	const char	*bad;
};

static int
users_walk_field(void *arg, const char *field)
{
	struct users_walk	*w = arg;

	if (store_users_column(field) != NULL)
		return 0;
	w->bad = field;
	return -1;
}

/*
 * The relational fields of a user: "role.name", "role.*" (the roles of
 * tokend.conf) and "policies.*" (the user's access rows: id, role,
 * user, policy, sort).
 */
static uint32_t
users_rels_check(struct users_job *job, const struct conf_permission *perm)
{
	const struct query_rel	*r;
	size_t			 i, k;

	for (i = 0; i < job->q.nrels; i++) {
		r = &job->q.rels[i];
		if (strcmp(r->field, "policies") == 0) {
			if (!perm_field_allowed(perm, r->field))
				return users_fail(job, AUTH_FORBIDDEN,
				    USERS_FORBIDDEN_READ, r->field);
			for (k = 0; k < r->sub.n; k++)
				if (!config_access_field(r->sub.names[k]))
					return users_fail(job, AUTH_FORBIDDEN,
					    USERS_FORBIDDEN_ACCESS_FIELD,
					    r->sub.names[k]);
			continue;
		}
		if (strcmp(r->field, "role") != 0) {
			if (user_field(r->field) != NULL)
				return users_fail(job, AUTH_INVALID_QUERY,
				    "Invalid query. \"%s\" is not a "
				    "relation of collection \"%s\".",
				    r->field, CONF_USERS_COLLECTION);
			return users_fail(job, AUTH_FORBIDDEN,
			    USERS_FORBIDDEN_READ, r->field);
		}
		if (!perm_field_allowed(perm, r->field))
			return users_fail(job, AUTH_FORBIDDEN,
			    USERS_FORBIDDEN_READ, r->field);
		for (k = 0; k < r->sub.n; k++)
			if (!config_role_field(r->sub.names[k]) &&
			    strcmp(r->sub.names[k], "policies") != 0 &&
			    strcmp(r->sub.names[k], "users") != 0)
				return users_fail(job, AUTH_FORBIDDEN,
				    USERS_FORBIDDEN_ROLE_FIELD,
				    r->sub.names[k]);
	}
	return AUTH_OK;
}

/*
 * The role of a row nested as the query asks.  Others than
 * administrators see their own role, and others only with a read
 * permission on directus_roles; null otherwise, as Directus answers a
 * related item the caller may not read.
 */
static int
users_row_role(struct users_job *job, json_t *row)
{
	const struct query_rel	*r = NULL;
	json_t			*v = json_object_get(row, "role"), *us, *x;
	const char		*id, *key;
	void			*tmp;
	size_t			 i;

	for (i = 0; i < job->q.nrels && r == NULL; i++)
		if (strcmp(job->q.rels[i].field, "role") == 0)
			r = &job->q.rels[i];
	if (r == NULL || !json_is_string(v))
		return 0;
	id = json_string_value(v);
	if (!job->admin && strcmp(id, job->caller.role) != 0 &&
	    users_perm_on(job, "directus_roles", PERM_READ) == NULL)
		return json_object_set_new(row, "role", json_null());
	if ((v = config_role_json(keyd_conf(), id, NULL)) == NULL)
		return json_object_set_new(row, "role", json_null());
	/* Its children are other roles: shown to who may read roles. */
	if (!job->admin &&
	    users_perm_on(job, "directus_roles", PERM_READ) == NULL)
		(void)json_object_set_new(v, "children", json_array());
	/* Directus 11.3.5 shows a role's access rows to administrators. */
	if (job->admin && (r->sub.all || config_fields_has(&r->sub,
	    "policies")))
		(void)json_object_set_new(v, "policies",
		    config_role_access_ids(keyd_conf(), id));
	if (r->sub.all || config_fields_has(&r->sub, "users")) {
		if ((us = users_role_users(job, id)) == NULL) {
			json_decref(v);
			return -1;
		}
		(void)json_object_set(v, "users", us);
	}
	json_object_foreach_safe(v, tmp, key, x)
		if (!r->sub.all && !config_fields_has(&r->sub, key))
			json_object_del(v, key);
	return json_object_set_new(row, "role", v);
}

/*
 * The users of a role the caller may read, by id, as the role's
 * "users": every one for an administrator; otherwise those its read
 * permission on users reaches, and itself with app access (Directus
 * 11's minimal permissions).  Kept in the job by role; NULL with the
 * job's code set.
 */
static json_t *
users_role_users(struct users_job *job, const char *role)
{
	const struct conf_permission	*perm;
	json_t				*ids, *seen, *out, *k, *s;
	char				*text = NULL;
	size_t				 i, j;
	int				 admin, app;

	if (job->role_users == NULL &&
	    (job->role_users = json_object()) == NULL) {
		users_fail(job, AUTH_INTERNAL, NULL);
		return NULL;
	}
	if ((out = json_object_get(job->role_users, role)) != NULL)
		return out;
	if (store_role_users(role, &text) != 0) {
		users_fail(job, AUTH_UNAVAILABLE, NULL);
		return NULL;
	}
	ids = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_array(ids) || json_array_size(ids) >
	    STORE_ROLE_USERS_MAX) {
		users_fail(job, AUTH_INVALID_QUERY, "Invalid query. A role "
		    "has more than %d users to list: ask for other fields.",
		    STORE_ROLE_USERS_MAX);
		json_decref(ids);
		return NULL;
	}
	/* An administrator by the address it asks from is one here too. */
	admin = job->admin;
	app = 0;
	if (!admin)
		(void)auth_user_access_from(&job->caller, job->client.ip,
		    &admin, &app);
	if (admin)
		out = ids;
	else {
		perm = users_perm(job, PERM_READ);
		seen = perm != NULL && json_array_size(ids) > 0 ?
		    users_select(job, perm, 0, 1, ids, -1, 0) : json_array();
		if (seen == NULL) {
			json_decref(ids);
			return NULL;
		}
		if (app && job->caller.id[0] != '\0')
			json_array_append_new(seen,
			    json_string(job->caller.id));
		/* In the store's order, each once. */
		out = json_array();
		json_array_foreach(ids, i, k)
			json_array_foreach(seen, j, s)
				if (json_equal(s, k)) {
					json_array_append(out, k);
					break;
				}
		json_decref(seen);
		json_decref(ids);
	}
	if (out == NULL || json_object_set_new(job->role_users, role, out) ==
	    -1) {
		users_fail(job, AUTH_INTERNAL, NULL);
		return NULL;
	}
	return out;
}

/*
 * The access rows of a row's user (id, taken before the row was cut to
 * the fields asked, which need not name "id") in place of their ids, as
 * "policies.*" or "policies.policy" asks.  -1 when the store fails.
 */
static int
users_row_policies(struct users_job *job, json_t *row, const char *id)
{
	const struct query_rel	*r = NULL;
	const char		*key;
	json_t			*rows, *one, *v;
	void			*tmp;
	char			*text;
	size_t			 i;

	for (i = 0; i < job->q.nrels && r == NULL; i++)
		if (strcmp(job->q.rels[i].field, "policies") == 0)
			r = &job->q.rels[i];
	if (r == NULL || json_object_get(row, "policies") == NULL ||
	    id == NULL)
		return 0;
	if (store_user_access_rows(id, &text) != 0)
		return -1;
	rows = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_array(rows)) {
		json_decref(rows);
		return -1;
	}
	json_array_foreach(rows, i, one)
		if (!r->sub.all)
			json_object_foreach_safe(one, tmp, key, v)
				if (!config_fields_has(&r->sub, key))
					json_object_del(one, key);
	(void)json_object_set_new(row, "policies", rows);
	return 0;
}

/*
 * What the query names must exist and be within the permission;
 * filters and sorts never touch a concealed field, and only
 * administrators may ask for one.
 */
static uint32_t
users_query_check(struct users_job *job, const struct conf_permission *perm)
{
	const struct user_field	*uf;
	struct users_walk		 w = { NULL };
	const char			*bad;
	size_t				 i;

	for (i = 0; i < job->q.fields.n; i++) {
		uf = user_field(job->q.fields.names[i]);
		if (uf == NULL || ((uf->flags & UF_CONCEALED) && !job->admin))
			return users_fail(job, AUTH_FORBIDDEN,
			    USERS_FORBIDDEN_READ, job->q.fields.names[i]);
	}
	if (users_rels_check(job, perm) != AUTH_OK)
		return job->code;
	if (query_node_has_rel(job->sel->filter))
		return users_fail(job, AUTH_INVALID_QUERY, "Invalid query. "
		    "A filter on users cannot go through a relation yet.");
	for (i = 0; w.bad == NULL && i < job->sel->nsort; i++)
		if (store_users_column(job->sel->sort[i].field) == NULL)
			w.bad = job->sel->sort[i].field;
	if (w.bad == NULL)
		(void)query_node_fields(job->sel->filter, users_walk_field,
		    &w);
	if (w.bad != NULL) {
		uf = user_field(w.bad);
		if (uf != NULL && (uf->flags & UF_CONCEALED))
			return users_fail(job, AUTH_FORBIDDEN, "Field \"%s\" "
			    "is concealed: it cannot be filtered or sorted "
			    "on.", w.bad);
		return users_fail(job, AUTH_FORBIDDEN, USERS_FORBIDDEN_READ,
		    w.bad);
	}
	if ((bad = perm_query_bad(perm, job->sel)) != NULL)
		return users_fail(job, AUTH_FORBIDDEN, USERS_FORBIDDEN_READ,
		    bad);
	return AUTH_OK;
}

/*
 * The condition of a statement: the permission's item filter, the
 * query's filter when asked, and the users of keys (when not NULL).
 */
static uint32_t
users_where(struct users_job *job, const struct conf_permission *perm,
    int with_filter, json_t *keys, struct query_sql *where)
{
	struct query_schema	 schema = { .column = users_column,
				    .search = users_search };
	struct query_where	 w = { &schema, &job->vars, perm,
				    with_filter ? job->sel->filter : NULL, keys,
				    with_filter ? job->sel->search : NULL };

	switch (query_where_sql(&w, where)) {
	case QUERY_WHERE_OK:
		break;
	case QUERY_WHERE_PERM_FIELD:
		log_warnx("users: a permission filter names a field users "
		    "do not have");
		return users_fail(job, AUTH_FORBIDDEN, NULL);
	case QUERY_WHERE_FILTER:
		return users_fail(job, AUTH_FORBIDDEN, NULL);
	default:
		return users_fail(job, AUTH_INTERNAL, NULL);
	}
	return where->error ? users_fail(job, AUTH_INTERNAL, NULL) : AUTH_OK;
}

/* Does q ask for fields of the relation field? */
static int
users_rel_asked(const struct query *q, const char *field)
{
	size_t	 i;

	for (i = 0; i < q->nrels; i++)
		if (strcmp(q->rels[i].field, field) == 0)
			return 1;
	return 0;
}

/*
 * One row of a page: only the fields asked for, within the permission,
 * and the concealed ones for administrators only.
 */
static int
users_row(void *arg, const char *text)
{
	struct users_page		*pg = arg;
	const struct user_field	*uf;
	const struct conf_fields	*want = &pg->job->q.fields;
	json_t				*row, *v, *raw = NULL, *id;
	const char			*key;
	void				*tmp;
	int				 rv;

	if ((row = json_loads(text, 0, NULL)) == NULL)
		return -1;
	if (pg->ids) {
		json_array_append(pg->rows, json_object_get(row, "id"));
		json_decref(row);
		return 0;
	}
	id = json_incref(json_object_get(row, "id"));
	if (pg->perm->merged && (raw = json_deep_copy(row)) == NULL) {
		json_decref(id);
		json_decref(row);
		return -1;
	}
	json_object_foreach_safe(row, tmp, key, v) {
		uf = user_field(key);
		if ((!want->all && !config_fields_has(want, key) &&
		    !users_rel_asked(&pg->job->q, key)) ||
		    !perm_field_allowed(pg->perm, key) ||
		    (uf != NULL && (uf->flags & UF_CONCEALED) && !pg->job->admin))
			json_object_del(row, key);
	}
	if (raw != NULL && perm_row_mask(pg->perm, raw, row,
	    &pg->job->vars) == -1) {
		json_decref(raw);
		json_decref(id);
		json_decref(row);
		return -1;
	}
	json_decref(raw);
	/* The user's id, for its access rows, though "id" was cut. */
	rv = users_row_role(pg->job, row) == -1 ||
	    users_row_policies(pg->job, row, json_string_value(id)) == -1;
	json_decref(id);
	if (rv) {
		json_decref(row);
		return -1;
	}
	return users_page_add(pg->rows, &pg->bytes, &pg->full, row);
}

/*
 * A row (taken) onto a page of rows, unless the answer would pass
 * USERS_ANSWER_MAX (*full set): -1, and the page is refused rather
 * than cut.  /users and /activity (audit.c) page so.
 */
int
users_page_add(json_t *rows, size_t *bytes, int *full, json_t *row)
{
	char	*kept;

	if ((kept = json_dumps(row, JSON_COMPACT)) == NULL ||
	    (*bytes += strlen(kept) + 1) > USERS_ANSWER_MAX) {
		*full = kept != NULL;
		free(kept);
		json_decref(row);
		return -1;
	}
	free(kept);
	return json_array_append_new(rows, row);
}

/*
 * The rows of a page (with_filter: the query's filter and sort too;
 * ids: the ids alone), or NULL with the job's code set.
 */
static json_t *
users_select(struct users_job *job, const struct conf_permission *perm,
    int with_filter, int ids, json_t *keys, long long limit,
    long long offset)
{
	struct query_schema	 schema = { .column = users_column };
	struct query_sql	 where, order;
	struct users_page	 pg = { job, perm, ids, NULL, 0, 0 };

	query_sql_init_dialect(&where, store_dialect());
	query_sql_init_dialect(&order, store_dialect());
	if (users_where(job, perm, with_filter, keys, &where) != AUTH_OK ||
	    (with_filter && query_sort_sql(job->sel, &schema, &order) ==
	    -1) ||
	    (pg.rows = json_array()) == NULL)
		goto fail;
	if (store_users_select(&where, &order, limit, offset, users_row,
	    &pg) == -1) {
		if (pg.full)
			users_fail(job, AUTH_INVALID_QUERY, "Invalid query. "
			    "The answer would be larger than %d bytes: ask "
			    "for fewer users or fields.", USERS_ANSWER_MAX);
		else
			users_fail(job, AUTH_UNAVAILABLE, NULL);
		goto fail;
	}
	query_sql_free(&where);
	query_sql_free(&order);
	return pg.rows;
 fail:
	if (job->code == AUTH_OK)
		users_fail(job, AUTH_INTERNAL, NULL);
	json_decref(pg.rows);
	query_sql_free(&where);
	query_sql_free(&order);
	return NULL;
}

/*
 * May a grouped query read field?  A column of the store that is not
 * concealed (Directus 11.3.5 would give even the least password hash:
 * tokend never does), which the permission shows in every row it lets
 * through: where merged policies show a field in some rows only, an
 * aggregate over all of them would tell what the rows hide.
 */
static int
users_group_field(const struct conf_permission *perm, const char *field)
{
	const struct user_field	*uf = user_field(field);

	return uf != NULL && !(uf->flags & UF_CONCEALED) &&
	    store_users_column(field) != NULL &&
	    perm_field_everywhere(perm, field);
}

/*
 * GET /users?aggregate[...]=...&groupBy[]=...: one SELECT over the
 * users with the permission's filter (and the query's filter and
 * search) in its WHERE, so nothing the caller may not read is counted;
 * the groups in Directus's shape (shared/query_sql.c, as /items).
 */
static void
users_groups(struct users_job *job, const struct conf_permission *perm)
{
	struct query_schema	 schema = { .column = users_column };
	struct query_sql	 where;
	struct users_walk	 w = { NULL };
	struct query		 filter_only = job->q;
	const char			*bad;
	json_t			*rows = NULL, *answer = NULL;
	size_t			 i;

	query_sql_init_dialect(&where, store_dialect());
	for (i = 0; w.bad == NULL && i < job->q.ngroup; i++)
		if (!users_group_field(perm, job->q.group[i]))
			w.bad = job->q.group[i];
	for (i = 0; w.bad == NULL && i < job->q.nagg; i++)
		if (strcmp(job->q.agg[i].field, "*") != 0 &&
		    !users_group_field(perm, job->q.agg[i].field))
			w.bad = job->q.agg[i].field;
	if (w.bad != NULL) {
		users_fail(job, AUTH_FORBIDDEN, USERS_FORBIDDEN_READ, w.bad);
		goto done;
	}
	if (query_node_has_rel(job->sel->filter)) {
		users_fail(job, AUTH_INVALID_QUERY, "Invalid query. A filter "
		    "on users cannot go through a relation yet.");
		goto done;
	}
	(void)query_node_fields(job->sel->filter, users_walk_field, &w);
	memset(&filter_only.fields, 0, sizeof(filter_only.fields));
	filter_only.fields.all = 1;
	filter_only.nsort = 0;
	if (w.bad != NULL) {
		users_fail(job, AUTH_FORBIDDEN, USERS_FORBIDDEN_READ, w.bad);
		goto done;
	}
	if ((bad = perm_query_bad(perm, &filter_only)) != NULL) {
		users_fail(job, AUTH_FORBIDDEN, USERS_FORBIDDEN_READ, bad);
		goto done;
	}
	if (users_where(job, perm, 1, NULL, &where) != AUTH_OK)
		goto done;
	switch (store_users_groups(&job->q, &schema, &where, job->q.limit,
	    job->q.offset, &rows)) {
	case 0:
		break;
	case -2:
		users_fail(job, AUTH_INVALID_QUERY, "Invalid query. The "
		    "answer would be larger than %d bytes: ask for fewer "
		    "groups.", USERS_ANSWER_MAX);
		goto done;
	default:
		users_fail(job, AUTH_UNAVAILABLE, NULL);
		goto done;
	}
	if ((answer = json_pack("{s:o}", "data", rows)) == NULL)
		users_fail(job, AUTH_INTERNAL, NULL);
	else if (users_meta(job, perm, answer) == -1) {
		json_decref(answer);
		answer = NULL;
	}
 done:
	query_sql_free(&where);
	users_finish(job, answer);
}

/*
 * GET /permissions/me/directus_users[/<id>]: may the caller update or
 * delete that user (or some user, without an id)?  Sharing users is not
 * a thing tokend does.  Administrators may do all of it.
 */
static void
users_access(struct users_job *job)
{
	static const int		 actions[] = { PERM_UPDATE, PERM_DELETE };
	const struct conf_permission	*perm;
	json_t				*keys, *ids;
	int				 ok[2];
	size_t				 i;

	for (i = 0; i < 2; i++) {
		perm = users_perm(job, actions[i]);
		ok[i] = perm != NULL;
		if (!ok[i] || job->admin || job->target[0] == '\0')
			continue;
		if ((keys = json_pack("[s]", job->target)) == NULL) {
			users_fail(job, AUTH_INTERNAL, NULL);
			users_finish(job, NULL);
			return;
		}
		ids = users_select(job, perm, 0, 1, keys, 1, 0);
		json_decref(keys);
		if (ids == NULL) {
			users_finish(job, NULL);
			return;
		}
		ok[i] = json_array_size(ids) == 1;
		json_decref(ids);
	}
	users_finish_data(job, json_pack("{s:{s:b},s:{s:b},s:{s:b}}",
	    "update", "access", ok[0], "delete", "access", ok[1], "share",
	    "access", job->admin));
}

/*
 * GET /users and /users/<id>.  No permission to read at all is the
 * collection's FORBIDDEN; a user that is missing or outside the
 * permission's filter is the same FORBIDDEN as one that is forbidden.
 */
static void
users_read(struct users_job *job)
{
	const struct conf_permission	*perm;
	json_t				*rows, *answer, *one;

	if ((perm = users_perm(job, PERM_READ)) == NULL) {
		users_fail(job, AUTH_FORBIDDEN, "%s", CONF_USERS_DENIED);
		users_finish(job, NULL);
		return;
	}
	if (QUERY_GROUPED(&job->q)) {
		users_groups(job, perm);
		return;
	}
	if (users_query_check(job, perm) != AUTH_OK) {
		users_finish(job, NULL);
		return;
	}
	if (job->target[0] != '\0') {
		job->keys = json_pack("[s]", job->target);
		rows = users_select(job, perm, 0, 0, job->keys, 1, 0);
		if (rows != NULL && json_array_size(rows) == 0)
			users_fail(job, AUTH_FORBIDDEN, NULL);
		one = rows != NULL ? json_incref(json_array_get(rows, 0)) :
		    NULL;
		json_decref(rows);
		users_finish_data(job, one);
		return;
	}
	rows = users_select(job, perm, 1, 0, NULL, job->q.limit,
	    job->q.offset);
	answer = rows != NULL ? json_pack("{s:o}", "data", rows) : NULL;
	if (answer != NULL && users_meta(job, perm, answer) == -1) {
		json_decref(answer);
		answer = NULL;
	}
	users_finish(job, answer);
}

/* GET /activity: the audit trail (audit.c), for administrators. */
static void
users_activity(struct users_job *job)
{
	char	*json = NULL;
	size_t	 i;

	job->code = audit_activity(job->target, &job->q, &job->vars,
	    job->admin, job->msg, sizeof(job->msg), &json);
	/* Printable ASCII only, as users_fail() leaves a message. */
	for (i = 0; job->msg[i] != '\0'; i++)
		if (job->msg[i] < 0x20 || job->msg[i] >= 0x7f)
			job->msg[i] = '?';
	users_reply(job, json);
	free(json);
	users_job_free(job);
}

/* What query_meta() counts: a meta count of a list of users. */
struct users_meta_arg {
	struct users_job		*job;
	const struct conf_permission	*perm;
};

static int
users_meta_count(void *arg, int with_filter, int64_t *n)
{
	struct users_meta_arg	*m = arg;
	struct query_sql	 where;
	int			 rv = 0;

	query_sql_init_dialect(&where, store_dialect());
	if (users_where(m->job, m->perm, with_filter, NULL, &where) !=
	    AUTH_OK)
		rv = -1;
	else if (store_users_count(&where, n) == -1) {
		users_fail(m->job, AUTH_UNAVAILABLE, NULL);
		rv = -1;
	}
	query_sql_free(&where);
	return rv;
}

/* meta.total_count (within the permission) and meta.filter_count. */
static int
users_meta(struct users_job *job, const struct conf_permission *perm,
    json_t *answer)
{
	struct users_meta_arg	 m = { job, perm };
	json_t			*meta;

	if (job->q.meta == 0)
		return 0;
	if ((meta = query_meta(job->q.meta, users_meta_count, &m)) == NULL ||
	    json_object_set_new(answer, "meta", meta) == -1) {
		if (job->code == AUTH_OK)
			users_fail(job, AUTH_INTERNAL, NULL);
		return -1;
	}
	return 0;
}

/*
 * After a create or an update: the users of job->keys read back with
 * ?fields, under the caller's read permission.  One that may not be
 * read answers 204, as Directus does.
 */
static void
users_reread(struct users_job *job)
{
	const struct conf_permission	*perm;
	json_t				*rows, *one;

	if ((perm = users_perm(job, PERM_READ)) == NULL ||
	    users_query_check(job, perm) != AUTH_OK) {
		users_fail(job, AUTH_OK, NULL);
		users_finish(job, NULL);
		return;
	}
	if ((rows = users_select(job, perm, 0, 0, job->keys, USERS_BATCH_MAX,
	    0)) == NULL || !job->single) {
		users_finish_data(job, rows);
		return;
	}
	one = json_array_size(rows) == 1 ?
	    json_incref(json_array_get(rows, 0)) : NULL;
	json_decref(rows);
	users_finish_data(job, one);
}

/*
 * One value of a create or an update: who may write its field, then
 * user_value_valid(), then what a role names.
 */
static uint32_t
users_check_value(struct users_job *job, const struct user_field *uf,
    const char *key, json_t *v)
{
	if (uf->flags & UF_READ_ONLY)
		return users_fail(job, AUTH_INVALID_PAYLOAD, "You can't "
		    "change the \"%s\" value manually.", key);
	if ((uf->flags & UF_ADMIN_ONLY) && !job->admin)
		return users_fail(job, AUTH_FORBIDDEN, NULL);
	if (!user_value_valid(uf, v))
		return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. "
		    "\"%s\" has an invalid value.", key);
	if (uf->kind == UK_ROLE)
		return users_check_role(job, v);
	if (uf->kind == UK_POLICIES)
		return users_check_policies(job, v);
	return AUTH_OK;
}

/* Each policy given is a configured one (never the public policy). */
static uint32_t
users_check_policies(struct users_job *job, json_t *v)
{
	const struct conf_policy	*p;
	json_t				*list, *item;
	size_t				 i;

	list = json_is_array(v) ? v : json_object_get(v, "create");
	json_array_foreach(list, i, item) {
		p = config_policy_by_id(keyd_conf(),
		    json_string_value(json_object_get(item, "policy")));
		if (p == NULL || p->kind == CONF_POLICY_PUBLIC)
			return users_fail(job, AUTH_INVALID_FOREIGN_KEY,
			    "Invalid foreign key for field \"policy\" in "
			    "collection \"directus_access\".");
	}
	return AUTH_OK;
}

/*
 * The user's access rows: the list replaces them, or the change adds
 * and deletes some.  A policy the user holds already is kept once.
 */
static int
users_set_policies(const char *id, json_t *v)
{
	json_t		*create, *del, *item;
	char		 row[AUTH_ID_LEN + 1];
	int64_t		 n;
	size_t		 i;

	create = json_is_array(v) ? v : json_object_get(v, "create");
	del = json_is_array(v) ? NULL : json_object_get(v, "delete");
	if (json_is_array(v) && store_user_policies_clear(id) == -1)
		return -1;
	json_array_foreach(del, i, item)
		if (store_user_access_del(id, json_string_value(item)) == -1)
			return -1;
	json_array_foreach(create, i, item) {
		admin_uuid(row);
		if (store_user_policy_add(id, json_string_value(
		    json_object_get(item, "policy")), row) == -1)
			return -1;
	}
	if (store_user_policy_count(id, &n) == -1)
		return -1;
	return n > AUTH_USER_POLICIES ? USERS_TOO_MANY_POLICIES : 0;
}

/* A role must exist; only an administrator makes administrators. */
static uint32_t
users_check_role(struct users_job *job, json_t *v)
{
	const char	*s = json_is_string(v) ? json_string_value(v) : NULL;
	int		 admin, app;

	if (json_is_null(v))
		return AUTH_OK;
	if (s == NULL || (strcmp(s, KEYD_ADMIN_ROLE) != 0 &&
	    config_role_by_id(keyd_conf(), s) == NULL))
		return users_fail(job, AUTH_INVALID_FOREIGN_KEY,
		    "Invalid foreign key for field \"role\" in "
		    "collection \"directus_users\".");
	(void)auth_role_access(s, &admin, &app);
	if (admin && !job->admin)
		return users_fail(job, AUTH_FORBIDDEN, NULL);
	return AUTH_OK;
}

/*
 * A user to create, or the change of an update, checked whole before
 * anything is written.  Others than administrators get the presets of
 * their create permission, may only write the fields it covers, and
 * their payload must pass its validation.
 */
static uint32_t
users_check_item(struct users_job *job, const struct conf_permission *perm,
    json_t *item, int create)
{
	const struct user_field	*uf;
	const char			*key;
	json_t				*v;

	if (!json_is_object(item))
		return users_fail(job, AUTH_INVALID_PAYLOAD,
		    "Invalid payload. A user is a JSON object.");
	if (create && !job->admin && perm_presets(perm, item, &job->vars) == -1)
		return users_fail(job, AUTH_INTERNAL, NULL);
	json_object_foreach(item, key, v) {
		if ((uf = user_field(key)) == NULL)
			return users_fail(job, AUTH_INVALID_PAYLOAD,
			    "Invalid payload. \"%.64s\" is not allowed.", key);
		if (!perm_field_allowed(perm, key))
			return users_fail(job, AUTH_FORBIDDEN,
			    USERS_FORBIDDEN_FIELD, key);
		if ((uf->flags & UF_CREATE_ONLY) && !create)
			return users_fail(job, AUTH_INVALID_PAYLOAD,
			    "Invalid payload. \"id\" cannot be changed.");
		if (users_check_value(job, uf, key, v) != AUTH_OK)
			return job->code;
	}
	if (create && json_object_get(item, "email") == NULL)
		return users_fail(job, AUTH_INVALID_PAYLOAD,
		    "Invalid payload. \"email\" is required.");
	if (create && !job->admin && !perm_validate(perm, item, &job->vars))
		return users_fail(job, AUTH_FAILED_VALIDATION,
		    "Validation failed.");
	return AUTH_OK;
}

/* The first field of the change the user does not let perm update. */
static const char *
users_update_hidden(struct users_job *job, const struct conf_permission *perm,
    json_t *user, json_t *change)
{
	const char	*key;
	json_t		*v;

	json_object_foreach(change, key, v)
		if (!perm_field_visible(perm, key, user, &job->vars))
			return key;
	return NULL;
}

/*
 * An update by others than administrators: the permission's validation
 * must hold for each user as the change would leave it, and under a
 * merged permission each field changed must be one that a policy whose
 * filter matches the user covers (Directus 11).
 */
static uint32_t
users_validate_update(struct users_job *job,
    const struct conf_permission *perm)
{
	json_t		*k, *user, *change;
	const char	*bad;
	char		*text;
	size_t		 i, slot;
	int	 ok;

	if (job->admin || (!perm->merged && perm->validation == NULL))
		return AUTH_OK;
	json_array_foreach(job->keys, i, k) {
		if (store_user_json(json_string_value(k), &text) != 0)
			return users_fail(job, AUTH_UNAVAILABLE, NULL);
		user = json_loads(text, 0, NULL);
		free(text);
		change = users_change(job, json_string_value(k), &slot);
		if (user != NULL && perm->merged && (bad =
		    users_update_hidden(job, perm, user, change)) != NULL) {
			json_decref(user);
			return users_fail(job, AUTH_FORBIDDEN, "You don't have "
			    "permissions to perform \"update\" for the "
			    "field(s) \"%.64s\" in collection \""
			    CONF_USERS_COLLECTION "\" or it does not exist.",
			    bad);
		}
		ok = user != NULL && json_object_update(user, change) == 0 &&
		    perm_validate(perm, user, &job->vars);
		json_decref(user);
		if (!ok)
			return users_fail(job, AUTH_FAILED_VALIDATION,
			    "Validation failed.");
	}
	return AUTH_OK;
}

/* The ids of an update or delete: strings, 1 to USERS_BATCH_MAX. */
static uint32_t
users_keys(struct users_job *job, json_t *keys)
{
	json_t	*k;
	size_t	 i, j;

	if (!json_is_array(keys) || json_array_size(keys) == 0 ||
	    json_array_size(keys) > USERS_BATCH_MAX)
		return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. "
		    "\"keys\" must be an array of 1 to %d ids.",
		    USERS_BATCH_MAX);
	if ((job->keys = json_array()) == NULL)
		return users_fail(job, AUTH_INTERNAL, NULL);
	json_array_foreach(keys, i, k) {
		if (!json_is_string(k) || json_string_length(k) > AUTH_ID_LEN)
			return users_fail(job, AUTH_INVALID_PAYLOAD,
			    "Invalid payload. \"keys\" must hold ids.");
		/* The same key twice is one user. */
		for (j = 0; j < json_array_size(job->keys); j++)
			if (json_equal(k, json_array_get(job->keys, j)))
				break;
		if (j == json_array_size(job->keys))
			json_array_append(job->keys, k);
	}
	return AUTH_OK;
}

/*
 * Keep in job->keys the users that exist and are within the
 * permission's filter.  Others than administrators must name only
 * such users, or nothing is done: 403.
 */
static uint32_t
users_found(struct users_job *job, const struct conf_permission *perm)
{
	json_t	*ids;
	size_t	 want = json_array_size(job->keys);

	if ((ids = users_select(job, perm, 0, 1, job->keys, USERS_BATCH_MAX,
	    0)) == NULL)
		return job->code;
	json_decref(job->keys);
	job->keys = ids;
	if (!job->admin && json_array_size(ids) < want)
		return users_fail(job, AUTH_FORBIDDEN, NULL);
	return AUTH_OK;
}

static void
users_admin_row(void *arg, const char **cols, int ncol)
{
	struct users_admins	*a = arg;
	json_t			*k;
	size_t			 i;
	int			 admin, app, leaving = 0;

	if (a->count != NULL) {
		if (ncol == 3 && auth_policies_access(cols[1], cols[2],
		    &admin, &app) == 0 && admin)
			(*a->count)++;
		return;
	}
	if (ncol != 3 || auth_policies_access(cols[1], cols[2], &admin,
	    &app) == -1 || !admin)
		return;
	json_array_foreach(a->leaving, i, k)
		if (strcmp(json_string_value(k), cols[0]) == 0)
			leaving = 1;
	if (leaving)
		a->leaving_admins++;
	else
		a->staying_admins++;
}

/*
 * Directus never lets the last active administrator go: deleted,
 * deactivated or given a role without admin access.  422.
 */
static uint32_t
users_last_admin(struct users_job *job, json_t *leaving)
{
	struct users_admins	 a = { leaving, 0, 0, NULL };

	if (store_users_admins(users_admin_row, &a) == -1)
		return users_fail(job, AUTH_UNAVAILABLE, NULL);
	if (a.leaving_admins > 0 && a.staying_admins == 0)
		return users_fail(job, AUTH_UNPROCESSABLE, "Can't process "
		    "content. Cannot remove the last admin user from the "
		    "system.");
	return AUTH_OK;
}

/*
 * Does a change take admin access away from the user id?  A new role
 * leaves the policies it holds itself; a change of those is checked
 * once written (users_admins_kept()).
 */
static int
users_demotes(const char *id, json_t *data)
{
	json_t			*status = json_object_get(data, "status");
	json_t			*role = json_object_get(data, "role");
	struct store_user	 u;
	int			 admin = 0, app;

	if (status != NULL && strcmp(json_string_value(status), "active") != 0)
		return 1;
	if (role == NULL || json_object_get(data, "policies") != NULL)
		return 0;
	if (store_user_by_id(id, &u) != 0)
		memset(&u, 0, sizeof(u));
	(void)auth_policies_access(json_is_string(role) ?
	    json_string_value(role) : "", u.policies, &admin, &app);
	return !admin;
}

/* How many active administrators there are; -1 when the store fails. */
static int
users_admin_count(void)
{
	int			 n = 0;
	struct users_admins	 a = { NULL, 0, 0, &n };

	if (store_users_admins(users_admin_row, &a) == -1)
		return -1;
	return n;
}

/*
 * A change of the policies users hold themselves, once written in the
 * transaction: it must not have taken the last administrator's admin
 * access away (before: the count before it).  422 as Directus.
 */
static uint32_t
users_admins_kept(struct users_job *job, int before)
{
	int	 after;

	if (before <= 0)
		return AUTH_OK;
	if ((after = users_admin_count()) == -1)
		return users_fail(job, AUTH_UNAVAILABLE, NULL);
	if (after == 0)
		return users_fail(job, AUTH_UNPROCESSABLE, "Can't process "
		    "content. Cannot remove the last admin user from the "
		    "system.");
	return AUTH_OK;
}

/* Does the update change the policies a user holds itself? */
static int
users_changes_policies(struct users_job *job)
{
	json_t	*change;
	size_t	 i;

	if (job->changes == NULL)
		return json_object_get(job->data, "policies") != NULL;
	json_array_foreach(job->changes, i, change)
		if (json_object_get(change, "policies") != NULL)
			return 1;
	return 0;
}

/* Hash the password of item slot (or none), counting what is pending. */
/* The one user of an update (job->data) to hash, then go on. */
static void
users_hash_one(struct users_job *job)
{
	if ((job->phc = calloc(1, sizeof(*job->phc))) == NULL)
		fatal("calloc");
	job->nphc = 1;
	job->hashing = 1;
	users_hash_start(job, 0, job->data);
	users_hash_settle(job);
}

static void
users_hash_start(struct users_job *job, size_t slot, json_t *item)
{
	struct users_hash	*h;
	json_t			*pw = json_object_get(item, "password");

	if (pw == NULL || job->code != AUTH_OK)
		return;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		fatal("calloc");
	h->job = job;
	h->slot = slot;
	if (hash_create((const uint8_t *)json_string_value(pw),
	    json_string_length(pw), users_hashed, h) == -1) {
		free(h);
		users_fail(job, AUTH_UNAVAILABLE, NULL);
		return;
	}
	job->hashing++;
}

/* Back on the loop with one new hash; the last one goes on writing. */
static void
users_hashed(enum hash_result result, const char *phc, void *arg)
{
	struct users_hash	*h = arg;
	struct users_job	*job = h->job;

	/* It may write the store: the open group commit goes first. */
	batch_commit();
	if (phc != NULL && job->code == AUTH_OK &&
	    (job->phc[h->slot] = strdup(phc)) == NULL)
		users_fail(job, AUTH_INTERNAL, NULL);
	else if (phc == NULL && job->code == AUTH_OK)
		/* /users/me has always answered both as internal. */
		users_fail(job, result == HASH_BUSY && !job->self ?
		    AUTH_UNAVAILABLE : AUTH_INTERNAL, NULL);
	free(h);
	users_hash_settle(job);
}

/*
 * One hash fewer to wait for; the last goes on with the write.  The
 * count starts at 1 while the hashes are being asked for, so that a
 * request whose hashes are all refused at once is answered here too.
 */
static void
users_hash_settle(struct users_job *job)
{
	if (--job->hashing > 0)
		return;
	if (job->code != AUTH_OK)
		users_finish(job, NULL);
	else if (job->self)
		users_self_write(job);
	else if (job->op == USERS_CREATE)
		users_create_write(job);
	else
		users_update_write(job);
}

/* POST /users: one object, or an array of up to USERS_BATCH_MAX. */
static void
users_create(struct users_job *job)
{
	const struct conf_permission	*perm;
	json_t				*item;
	size_t				 i, n;

	if ((perm = users_perm(job, PERM_CREATE)) == NULL) {
		users_fail(job, AUTH_FORBIDDEN, NULL);
		users_finish(job, NULL);
		return;
	}
	if (json_is_object(job->body)) {
		job->single = 1;
		job->items = json_pack("[O]", job->body);
	} else if (json_is_array(job->body) && json_array_size(job->body) > 0 &&
	    json_array_size(job->body) <= USERS_BATCH_MAX)
		job->items = json_incref(job->body);
	if (job->items == NULL) {
		users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. Send "
		    "a user or an array of 1 to %d users.", USERS_BATCH_MAX);
		users_finish(job, NULL);
		return;
	}
	n = json_array_size(job->items);
	json_array_foreach(job->items, i, item)
		if (users_check_item(job, perm, item, 1) != AUTH_OK) {
			users_finish(job, NULL);
			return;
		}
	if ((job->phc = calloc(n, sizeof(*job->phc))) == NULL)
		fatal("calloc");
	job->nphc = n;
	job->hashing = 1;	/* until every hash is asked for */
	json_array_foreach(job->items, i, item)
		users_hash_start(job, i, item);
	users_hash_settle(job);
}

/* Every user of the request in one transaction, then read back. */
static void
users_create_write(struct users_job *job)
{
	json_t	*item;
	size_t	 i;
	char	 id[AUTH_ID_LEN + 1];

	if ((job->keys = json_array()) == NULL ||
	    store_begin() == -1) {
		users_fail(job, AUTH_UNAVAILABLE, NULL);
		users_finish(job, NULL);
		return;
	}
	json_array_foreach(job->items, i, item) {
		if (json_object_get(item, "id") != NULL)
			(void)strlcpy(id, json_string_value(json_object_get(
			    item, "id")), sizeof(id));
		else
			admin_uuid(id);
		if (users_insert(job, item, id) != AUTH_OK ||
		    users_apply(job, id, item, job->phc[i], 1) != AUTH_OK)
			break;
		audit_user(AUDIT_CREATE, job->caller.id[0] != '\0' ?
		    job->caller.id : NULL, id, &job->client, NULL);
		json_array_append_new(job->keys, json_string(id));
	}
	if (job->code == AUTH_OK && store_commit() == -1)
		users_fail(job, AUTH_UNAVAILABLE, NULL);
	if (job->code != AUTH_OK) {
		store_rollback();
		users_finish(job, NULL);
		return;
	}
	log_info("users: %zu created by %s", json_array_size(job->keys),
	    job->caller.id[0] != '\0' ? job->caller.id : "the public role");
	json_array_foreach(job->items, i, item)
		users_log_changes(job, json_string_value(json_array_get(
		    job->keys, i)), item);
	users_reread(job);
}

/* The row of a new user: id, email, role; users_apply() does the rest. */
static uint32_t
users_insert(struct users_job *job, json_t *item, const char *id)
{
	json_t	*role = json_object_get(item, "role");
	int	 rv;

	rv = store_user_insert(id, json_string_value(json_object_get(item,
	    "email")), NULL, json_is_string(role) ? json_string_value(role) :
	    NULL);
	if (rv == USERS_TOO_MANY_POLICIES)
		return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. "
		    "A user holds at most %d policies of its own.",
		    AUTH_USER_POLICIES);
	if (rv == STORE_NOT_UNIQUE)
		return users_fail(job, AUTH_RECORD_NOT_UNIQUE, "Value for "
		    "field \"email\" or \"id\" in collection "
		    "\"directus_users\" has to be unique.");
	return rv == 0 ? AUTH_OK : users_fail(job, AUTH_UNAVAILABLE, NULL);
}

/*
 * One line per committed change of a password, email, role or static
 * token, naming the field and the worker that asked, never the value.
 */
static void
users_log_changes(struct users_job *job, const char *id, json_t *data)
{
	const struct user_field	*uf;
	struct keyd_chan	*kc;
	const char		*key;
	json_t			*v;

	if (id == NULL)
		return;
	kc = keyd_chan_find(job->chan_serial);
	json_object_foreach(data, key, v) {
		if ((uf = user_field(key)) == NULL ||
		    (uf->kind != UK_PASSWORD && uf->kind != UK_EMAIL &&
		    uf->kind != UK_ROLE && uf->kind != UK_TOKEN))
			continue;
		if (kc != NULL)
			log_info("user %s: %s changed by server %u (pid %u)",
			    id, uf->name, kc->slot, kc->pid);
		else
			log_info("user %s: %s changed by a server now gone",
			    id, uf->name);
	}
}

/*
 * Write a checked change to one user, inside the caller's transaction.
 * Leaving "active" ends every session of the user; a new password or
 * email ends every session but the caller's own current one.
 */
static uint32_t
users_apply(struct users_job *job, const char *id, json_t *data,
    const char *phc, int creating)
{
	const struct user_field	*uf;
	struct store_user		 before;
	const char			*key;
	json_t				*v;
	uint8_t				 hash[STORE_HASH_LEN];
	int				 rv = 0, end_all = 0, end_others = 0, keep;
	int64_t				 keep_id;

	if (store_user_by_id(id, &before) != 0)
		return users_fail(job, AUTH_UNAVAILABLE, NULL);
	json_object_foreach(data, key, v) {
		uf = user_field(key);
		switch (uf->kind) {
		case UK_ID:
			continue;
		case UK_PASSWORD:
			rv = store_user_set_password(id, phc);
			end_others = 1;
			break;
		case UK_TOKEN:
			if (!json_is_null(v))
				sign_sha256(json_string_value(v),
				    json_string_length(v), hash);
			rv = store_user_set_token(id, json_is_null(v) ? NULL :
			    hash);
			break;
		case UK_STATUS:
			rv = store_user_set_status(id, json_string_value(v));
			end_all |= strcmp(json_string_value(v), "active") != 0;
			break;
		case UK_ROLE:
			rv = store_user_set_role(id, json_is_null(v) ? NULL :
			    json_string_value(v));
			break;
		case UK_POLICIES:
			rv = users_set_policies(id, v);
			break;
		default:
			rv = store_user_set_field(id, key, v);
			end_others |= uf->kind == UK_EMAIL && strcasecmp(
			    json_string_value(v), before.email) != 0;
			break;
		}
		if (rv != 0)
			break;
	}
	if (rv == 0 && end_all)
		rv = store_sessions_delete_user(id);
	else if (rv == 0 && end_others) {
		/* The caller's own session, named by its session claim. */
		keep = strcmp(id, job->caller.id) == 0 &&
		    auth_session_hash(job->session, hash) == 0;
		keep_id = keep ? auth_session_key_id(hash) : 0;
		rv = store_sessions_delete_others(id, keep && keep_id == 0 ?
		    hash : NULL, keep_id);
	}
	if (rv == STORE_NOT_UNIQUE)
		return users_fail(job, AUTH_RECORD_NOT_UNIQUE, "Value for "
		    "field \"%s\" in collection \"directus_users\" has to be "
		    "unique.", key);
	if (rv == 0 && !creating)
		users_audit(job, id, data, &before);
	return rv == 0 ? AUTH_OK : users_fail(job, AUTH_UNAVAILABLE, NULL);
}

/*
 * The audit rows of a change, in its transaction: a password, a static
 * token, TFA cleared through tfa_secret, a suspension and its end.
 */
static void
users_audit(struct users_job *job, const char *id, json_t *data,
    const struct store_user *before)
{
	const struct user_field	*uf;
	const char		*key, *by;
	json_t			*v;

	by = job->caller.id[0] != '\0' ? job->caller.id : NULL;
	json_object_foreach(data, key, v) {
		if ((uf = user_field(key)) == NULL)
			continue;
		if (uf->kind == UK_PASSWORD)
			audit_user(AUDIT_PASSWORD, by, id, &job->client, NULL);
		else if (uf->kind == UK_TOKEN)
			audit_user(AUDIT_TOKEN, by, id, &job->client, NULL);
		else if (uf->kind == UK_STATUS && json_is_string(v) &&
		    strcmp(json_string_value(v), "suspended") == 0 &&
		    strcmp(before->status, "suspended") != 0)
			audit_user(AUDIT_SUSPEND, by, id, &job->client, NULL);
		else if (uf->kind == UK_STATUS && json_is_string(v) &&
		    strcmp(json_string_value(v), "active") == 0 &&
		    strcmp(before->status, "suspended") == 0)
			audit_user(AUDIT_ACTIVATE, by, id, &job->client, NULL);
		else if (strcmp(key, "tfa_secret") == 0 && json_is_null(v) &&
		    before->has_tfa)
			audit_user(AUDIT_TFA_DISABLE, by, id, &job->client,
			    NULL);
	}
}

/*
 * The checked patch of the target "self", in one transaction.  What
 * the workers keep of the user is wrong afterwards.
 */
static void
users_self_write(struct users_job *job)
{
	if (store_begin() == -1) {
		users_fail(job, AUTH_UNAVAILABLE, NULL);
		users_finish(job, NULL);
		return;
	}
	if (users_apply(job, job->caller.id, job->data, job->phc[0], 0) ==
	    AUTH_OK && store_commit() == -1)
		users_fail(job, AUTH_UNAVAILABLE, NULL);
	if (job->code != AUTH_OK)
		store_rollback();
	else {
		invalidate_user(job->caller.id);
		users_log_changes(job, job->caller.id, job->data);
	}
	users_finish(job, NULL);
}

/*
 * The "query" of a PATCH or DELETE /users body: filter, sort, limit
 * and offset, as the query string reads them, choose the users (within
 * perm) whose ids go to job->keys.  More than USERS_BATCH_MAX users is
 * refused, not cut.
 */
static uint32_t
users_body_query(struct users_job *job, const struct conf_permission *perm,
    json_t *query)
{
	static const char *const known[] = { "filter", "sort", "limit",
	    "offset" };
	struct query_params	 qp;
	char			*text[4] = { NULL, NULL, NULL, NULL };
	char			 reason[QUERY_REASON_MAX];
	const char		*key;
	json_t			*v, *ids;
	size_t			 i;
	long long		 limit;

	if (!json_is_object(query))
		return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. "
		    "\"query\" must be an object.");
	json_object_foreach(query, key, v) {
		for (i = 0; i < 4 && strcmp(key, known[i]) != 0; i++)
			;
		if (i == 4)
			return users_fail(job, AUTH_INVALID_QUERY, "Invalid "
			    "query. \"%.32s\" is not supported in the query "
			    "of a batch change.", key);
		if (json_is_array(v) && i == 1) {
			/* ["-email", "id"]: the query string's "-email,id" */
			text[i] = users_join(v);
		} else if (json_is_string(v))
			text[i] = strdup(json_string_value(v));
		else
			text[i] = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (text[i] == NULL) {
			users_fail(job, AUTH_INVALID_QUERY, "Invalid query. "
			    "\"%s\" is invalid.", key);
			goto done;
		}
	}
	memset(&qp, 0, sizeof(qp));
	qp.filter = text[0];
	qp.sort = text[1];
	qp.limit = text[2];
	qp.offset = text[3];
	if (query_parse(&job->body_q, &qp, keyd_conf()->query_limit, reason,
	    sizeof(reason)) == -1) {
		users_fail(job, AUTH_INVALID_QUERY, "Invalid query. %s.",
		    reason);
		goto done;
	}
	/* No limit, or -1: every user it matches, up to the bound. */
	limit = text[2] != NULL && strcmp(text[2], "-1") != 0 ?
	    job->body_q.limit : -1;
	if (limit > USERS_BATCH_MAX) {
		users_fail(job, AUTH_INVALID_QUERY, "Invalid query. A batch "
		    "change reaches %d users at most.", USERS_BATCH_MAX);
		goto done;
	}
	job->sel = &job->body_q;
	if (users_query_check(job, perm) == AUTH_OK && (ids = users_select(
	    job, perm, 1, 1, NULL, limit == -1 ? USERS_BATCH_MAX + 1 : limit,
	    job->body_q.offset)) != NULL) {
		if (json_array_size(ids) > USERS_BATCH_MAX)
			users_fail(job, AUTH_INVALID_QUERY, "Invalid query. "
			    "It matches more than %d users: narrow the filter "
			    "or give a limit.", USERS_BATCH_MAX);
		json_decref(job->keys);
		job->keys = ids;
	}
	job->sel = &job->q;
 done:
	for (i = 0; i < 4; i++)
		free(text[i]);
	return job->code;
}

/* A JSON array of strings joined with commas, or NULL. */
static char *
users_join(json_t *a)
{
	json_t	*v;
	char	*out, *tmp;
	size_t	 i;

	if ((out = strdup("")) == NULL)
		return NULL;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || asprintf(&tmp, "%s%s%s", out,
		    i > 0 ? "," : "", json_string_value(v)) == -1) {
			free(out);
			return NULL;
		}
		free(out);
		out = tmp;
	}
	return out;
}

/*
 * PATCH /users with an array of users, each with its id: job->keys
 * (in order) and job->changes, the change of each without its id.
 */
static uint32_t
users_batch(struct users_job *job, json_t *items)
{
	json_t	*item, *id, *change, *ids;
	size_t	 i;

	if (json_array_size(items) > USERS_BATCH_MAX)
		return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. "
		    "A batch changes %d users at most.", USERS_BATCH_MAX);
	if ((ids = json_array()) == NULL ||
	    (job->changes = json_array()) == NULL) {
		json_decref(ids);
		return users_fail(job, AUTH_INTERNAL, NULL);
	}
	json_array_foreach(items, i, item) {
		id = json_object_get(item, "id");
		if (!json_is_string(id) || json_string_length(id) == 0) {
			json_decref(ids);
			return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid "
			    "payload. Item in update misses primary key.");
		}
		change = json_deep_copy(item);
		(void)json_object_del(change, "id");
		json_array_append(ids, id);
		json_array_append_new(job->changes, change);
	}
	if (json_array_size(ids) > 0 && users_keys(job, ids) == AUTH_OK &&
	    json_array_size(job->keys) != json_array_size(ids))
		users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. A user "
		    "appears twice in the batch.");
	if (json_array_size(ids) == 0)
		job->keys = json_incref(ids);
	job->batch_keys = ids;	/* the order of job->changes */
	return job->code;
}

/* The change of user id, and the slot of its new password's hash. */
static json_t *
users_change(struct users_job *job, const char *id, size_t *slot)
{
	json_t	*k;
	size_t	 i;

	*slot = 0;
	if (job->changes == NULL)
		return job->data;
	json_array_foreach(job->batch_keys, i, k)
		if (strcmp(json_string_value(k), id) == 0) {
			*slot = i;
			return json_array_get(job->changes, i);
		}
	return NULL;
}

/*
 * The users whose change takes admin access away from them must not be
 * the last active administrators.
 */
static uint32_t
users_demoted(struct users_job *job)
{
	json_t	*leaving, *k;
	size_t	 i, slot;

	if ((leaving = json_array()) == NULL)
		return users_fail(job, AUTH_INTERNAL, NULL);
	json_array_foreach(job->keys, i, k)
		if (users_demotes(json_string_value(k), users_change(job,
		    json_string_value(k), &slot)))
			json_array_append(leaving, k);
	if (json_array_size(leaving) > 0)
		(void)users_last_admin(job, leaving);
	json_decref(leaving);
	return job->code;
}

/* {"keys": [...], "data": {...}} or {"query": {...}, "data": {...}}. */
static uint32_t
users_keys_or_query(struct users_job *job,
    const struct conf_permission *perm, json_t *body)
{
	json_t		*keys = json_object_get(body, "keys");
	json_t		*query = json_object_get(body, "query");
	const char	*key;
	json_t		*v;

	json_object_foreach(body, key, v)
		if (strcmp(key, "keys") != 0 && strcmp(key, "query") != 0 &&
		    strcmp(key, "data") != 0)
			return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid "
			    "payload. \"%.32s\" is not allowed.", key);
	if ((job->data = json_incref(json_object_get(body, "data"))) == NULL)
		return users_fail(job, AUTH_INVALID_PAYLOAD,
		    "Invalid payload. \"data\" is required.");
	if (keys != NULL && query != NULL)
		return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. "
		    "Send \"keys\" or \"query\", not both.");
	if (keys != NULL)
		return users_keys(job, keys);
	if (query != NULL)
		return users_body_query(job, perm, query);
	return AUTH_OK;
}

/*
 * PATCH /users/<id> with the change, or PATCH /users with an array of
 * users (each with its id), {"keys": [...], "data": {...}} or
 * {"query": {...}, "data": {...}}: all or nothing.
 */
static void
users_update(struct users_job *job)
{
	const struct conf_permission	*perm;
	json_t				*body = job->body, *v;
	size_t				 i;

	if ((perm = users_perm(job, PERM_UPDATE)) == NULL) {
		users_fail(job, AUTH_FORBIDDEN, NULL);
		users_finish(job, NULL);
		return;
	}
	if (job->target[0] != '\0') {
		job->single = 1;
		job->keys = json_pack("[s]", job->target);
		job->data = json_incref(body);
	} else if (json_is_array(body))
		(void)users_batch(job, body);
	else if (json_is_object(body)) {
		(void)users_keys_or_query(job, perm, body);
	}
	if (job->code == AUTH_OK && job->keys == NULL && job->changes == NULL)
		users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. Send "
		    "the change, an array of users with their ids, or "
		    "{\"keys\": [...] or \"query\": {...}, \"data\": {...}}.");
	if (job->code == AUTH_OK && json_array_size(job->keys) == 0) {
		/* Nothing matched, or an empty batch: Directus's answer. */
		users_finish_data(job, json_array());
		return;
	}
	if (job->code == AUTH_OK && job->changes == NULL)
		(void)users_check_item(job, perm, job->data, 0);
	json_array_foreach(job->changes, i, v)
		if (job->code != AUTH_OK ||
		    users_check_item(job, perm, v, 0) != AUTH_OK)
			break;
	if (job->code != AUTH_OK || users_found(job, perm) != AUTH_OK ||
	    users_validate_update(job, perm) != AUTH_OK ||
	    users_demoted(job) != AUTH_OK) {
		users_finish(job, NULL);
		return;
	}
	users_hash_changes(job);
}

/* The new passwords of an update, one slot per key, on the pool. */
static void
users_hash_changes(struct users_job *job)
{
	json_t	*change;
	size_t	 i, n;

	if (job->changes == NULL) {
		users_hash_one(job);
		return;
	}
	n = json_array_size(job->changes);
	if ((job->phc = calloc(n, sizeof(*job->phc))) == NULL)
		fatal("calloc");
	job->nphc = n;
	job->hashing = 1;	/* until every hash is asked for */
	json_array_foreach(job->changes, i, change)
		users_hash_start(job, i, change);
	users_hash_settle(job);
}

/*
 * The change to every user found, in one transaction.  What was checked
 * before the hashing is checked again: the loop may have served other
 * requests meanwhile.
 */
static void
users_update_write(struct users_job *job)
{
	const struct conf_permission	*perm;
	json_t				*k, *change;
	size_t				 i, slot;
	int				 admins = 0;

	if ((perm = users_perm(job, PERM_UPDATE)) == NULL)
		users_fail(job, AUTH_FORBIDDEN, NULL);
	else if (users_found(job, perm) == AUTH_OK &&
	    users_validate_update(job, perm) == AUTH_OK &&
	    users_demoted(job) == AUTH_OK && store_begin() == -1)
		users_fail(job, AUTH_UNAVAILABLE, NULL);
	if (job->code == AUTH_OK && users_changes_policies(job) &&
	    (admins = users_admin_count()) == -1)
		users_fail(job, AUTH_UNAVAILABLE, NULL);
	json_array_foreach(job->keys, i, k) {
		if (job->code != AUTH_OK)
			break;
		change = users_change(job, json_string_value(k), &slot);
		if (users_apply(job, json_string_value(k), change,
		    job->phc[slot], 0) != AUTH_OK)
			break;
	}
	if (job->code == AUTH_OK && admins > 0)
		(void)users_admins_kept(job, admins);
	if (job->code == AUTH_OK && store_commit() == -1)
		users_fail(job, AUTH_UNAVAILABLE, NULL);
	if (job->code != AUTH_OK) {
		store_rollback();
		users_finish(job, NULL);
		return;
	}
	/* What the workers keep of these users is wrong now. */
	json_array_foreach(job->keys, i, k) {
		invalidate_user(json_string_value(k));
		users_log_changes(job, json_string_value(k),
		    users_change(job, json_string_value(k), &slot));
	}
	if (json_array_size(job->keys) > 0)
		log_info("users: %zu updated by %s",
		    json_array_size(job->keys), job->caller.id[0] != '\0' ?
		    job->caller.id : "the public role");
	users_reread(job);
}

/*
 * DELETE /users/<id>, or DELETE /users with [ids], {"keys": [ids]} or
 * {"query": {...}}: 204, all or nothing.  The sessions go with the user
 * (foreign keys), so its tokens fail from the next request on.
 */
static void
users_delete(struct users_job *job)
{
	const struct conf_permission	*perm;
	json_t				*keys = job->body, *k, *v;
	const char			*key;
	size_t				 i;

	if ((perm = users_perm(job, PERM_DELETE)) == NULL) {
		users_fail(job, AUTH_FORBIDDEN, NULL);
		users_finish(job, NULL);
		return;
	}
	if (job->target[0] != '\0')
		job->keys = json_pack("[s]", job->target);
	else if (json_is_object(keys) && json_object_get(keys, "query") !=
	    NULL && json_object_size(keys) == 1) {
		if (users_body_query(job, perm, json_object_get(keys,
		    "query")) == AUTH_OK && json_array_size(job->keys) == 0) {
			users_finish(job, NULL);	/* none: 204 */
			return;
		}
	} else {
		json_object_foreach(json_is_object(keys) ? keys : NULL, key, v)
			if (strcmp(key, "keys") != 0) {
				users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid "
				    "payload. \"%.32s\" is not allowed.", key);
				break;
			}
		if (json_is_object(keys))
			keys = json_object_get(keys, "keys");
		if (job->code == AUTH_OK)
			(void)users_keys(job, keys);
	}
	if (job->code != AUTH_OK || users_found(job, perm) != AUTH_OK ||
	    users_last_admin(job, job->keys) != AUTH_OK ||
	    store_begin() == -1) {
		if (job->code == AUTH_OK)
			users_fail(job, AUTH_UNAVAILABLE, NULL);
		users_finish(job, NULL);
		return;
	}
	json_array_foreach(job->keys, i, k) {
		if (store_user_delete(json_string_value(k)) == -1) {
			users_fail(job, AUTH_UNAVAILABLE, NULL);
			break;
		}
		audit_user(AUDIT_DELETE, job->caller.id[0] != '\0' ?
		    job->caller.id : NULL, json_string_value(k), &job->client,
		    NULL);
	}
	if (job->code == AUTH_OK && store_commit() == -1)
		users_fail(job, AUTH_UNAVAILABLE, NULL);
	if (job->code != AUTH_OK)
		store_rollback();
	else
		json_array_foreach(job->keys, i, k)
			invalidate_user(json_string_value(k));
	if (job->code == AUTH_OK && json_array_size(job->keys) > 0)
		log_info("users: %zu deleted by %s",
		    json_array_size(job->keys), job->caller.id[0] != '\0' ?
		    job->caller.id : "the public role");
	users_finish(job, NULL);
}

/*
 * POST /users/invite {email, role, invite_url}: Directus's checks of the
 * body first, then the caller's create permission on directus_users
 * (administrators, or roles the configuration grants it), the URL on
 * invite-url-allow, the role.  Then for each address: a new user
 * "invited" of the role with its invite mail; a user still "invited"
 * given the role and a new mail (its earlier token dies, where
 * Directus leaves it working); any other user left alone.  One
 * transaction: the users and their mails, or nothing.  204.
 */
static void
users_invite(struct users_job *job)
{
	json_t				*emails = NULL, *v;
	const char			*role = NULL;
	char				 link[MAIL_URL_MAX + 1];
	int64_t				 now = now_ms(CLOCK_REALTIME);
	size_t				 i;

	if (users_invite_body(job, &emails, &role, link, sizeof(link)) !=
	    AUTH_OK)
		goto done;
	if (json_array_size(emails) == 0)
		goto done;
	if (store_begin() == -1) {
		users_fail(job, AUTH_UNAVAILABLE, NULL);
		goto done;
	}
	json_array_foreach(emails, i, v)
		if (users_invite_one(job, json_string_value(v), role, link,
		    now) != AUTH_OK)
			break;
	if (job->code == AUTH_OK && store_commit() == -1)
		users_fail(job, AUTH_UNAVAILABLE, NULL);
	if (job->code != AUTH_OK) {
		store_rollback();
		goto done;
	}
	mail_kick();
 done:
	json_decref(emails);
	users_finish(job, NULL);
}

/*
 * The body, in Directus's order: its shape (400, first fault only), the
 * permission (403), the URL (400), the role (400).  *emails holds the
 * addresses, *role the role's id, link the link of the mails.
 */
static uint32_t
users_invite_body(struct users_job *job, json_t **emails, const char **role,
    char *link, size_t len)
{
	const struct conf_permission	*perm;
	json_t				*body = job->body, *e, *r, *u, *v, *item;
	const char			*key;
	size_t				 i;

	if (!json_is_object(body))
		return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. "
		    "\"value\" must be of type object.");
	json_object_foreach(body, key, v)
		if (strcmp(key, "email") != 0 && strcmp(key, "role") != 0 &&
		    strcmp(key, "invite_url") != 0)
			return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid "
			    "payload. \"%.64s\" is not allowed.", key);
	e = json_object_get(body, "email");
	r = json_object_get(body, "role");
	u = json_object_get(body, "invite_url");
	if (e == NULL)
		return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. "
		    "\"email\" is required.");
	if (json_is_string(e))
		*emails = json_pack("[O]", e);
	else if (json_is_array(e))
		*emails = json_incref(e);
	else
		return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. "
		    "\"email\" must be a valid email.");
	if (json_array_size(*emails) > USERS_BATCH_MAX)
		return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. "
		    "\"email\" must hold at most %d addresses.",
		    USERS_BATCH_MAX);
	json_array_foreach(*emails, i, v)
		if (!json_is_string(v) || !email_valid(json_string_value(v),
		    json_string_length(v)))
			return users_fail(job, AUTH_INVALID_PAYLOAD,
			    json_is_array(e) ? "Invalid payload. \"email[%zu]\" "
			    "must be a valid email." : "Invalid payload. "
			    "\"email\" must be a valid email.", i);
	if (r == NULL)
		return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. "
		    "\"role\" is required.");
	if (!json_is_string(r) || !uuid_valid(json_string_value(r), UUID_LOWER | UUID_UPPER))
		return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. "
		    "\"role\" must be a valid GUID.");
	if (u != NULL && (!json_is_string(u) || json_string_length(u) == 0 ||
	    json_string_length(u) > MAIL_URL_MAX ||
	    strlen(json_string_value(u)) != json_string_length(u)))
		return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. "
		    "\"invite_url\" must be a valid uri.");
	if ((perm = users_perm(job, PERM_CREATE)) == NULL)
		return users_fail(job, AUTH_FORBIDDEN, "You don't have "
		    "permission to \"create\" from collection "
		    "\"directus_users\" or it does not exist.");
	if (url_allowed(keyd_conf()->invite_url_allow, u != NULL ?
	    json_string_value(u) : NULL, NULL, link, len) == -1)
		return users_fail(job, AUTH_INVALID_PAYLOAD, "Invalid payload. "
		    "URL \"%.300s\" can't be used to invite users.", u != NULL ?
		    json_string_value(u) : "");
	if (users_check_role(job, r) != AUTH_OK)
		return job->code;
	/* What the permission lets the caller write of a new user. */
	json_array_foreach(*emails, i, v) {
		item = json_pack("{s:O,s:O,s:s}", "email", v, "role", r,
		    "status", "invited");
		if (item == NULL)
			return users_fail(job, AUTH_INTERNAL, NULL);
		if (users_check_item(job, perm, item, 1) != AUTH_OK) {
			json_decref(item);
			return job->code;
		}
		json_decref(item);
	}
	*role = json_string_value(r);
	return AUTH_OK;
}

/* One address of an invite, inside its transaction. */
static uint32_t
users_invite_one(struct users_job *job, const char *email, const char *role,
    const char *link, int64_t now)
{
	switch (users_invite_user(email, role, link, now,
	    job->caller.id[0] != '\0' ? job->caller.id : "the public role",
	    job->caller.id[0] != '\0' ? job->caller.id : NULL,
	    &job->client)) {
	case -1:
		return users_fail(job, AUTH_UNAVAILABLE, NULL);
	case STORE_NOT_UNIQUE:
		return users_fail(job, AUTH_RECORD_NOT_UNIQUE, NULL);
	default:
		return AUTH_OK;
	}
}

/*
 * Invite email into role (an id, or NULL) with the link, inside the
 * caller's transaction (also tokenctl's, admin.c): a new user
 * "invited", or one still "invited" given the role, gets an invite mail
 * (0); a user with any other status is left alone (1).  -1 when the
 * store fails, STORE_NOT_UNIQUE for a race on the address.
 */
int
users_invite_user(const char *email, const char *role, const char *link,
    int64_t now, const char *by, const char *by_id,
    const struct audit_client *c)
{
	struct store_user	 u;
	int			 rv;

	if ((rv = store_user_by_email(email, &u)) == -1)
		return -1;
	if (rv == 0 && strcmp(u.status, "invited") != 0)
		return 1;	/* has an account: as Directus */
	if (rv == 1) {
		memset(&u, 0, sizeof(u));
		admin_uuid(u.id);
		(void)strlcpy(u.email, email, sizeof(u.email));
		(void)strlcpy(u.status, "invited", sizeof(u.status));
		rv = store_user_insert(u.id, u.email, NULL, role);
		if (rv != 0)
			return rv == STORE_NOT_UNIQUE ? rv : -1;
		if (store_user_set_status(u.id, u.status) != 0)
			return -1;
	} else if (strcmp(u.role, role != NULL ? role : "") != 0 &&
	    store_user_set_role(u.id, role) != 0)
		return -1;
	if (mail_queue(MAIL_INVITE, &u, link, now) == -1)
		return -1;
	audit_user(AUDIT_INVITE, by_id, u.id, c, NULL);
	log_info("user %s: invited by %s", u.id, by);
	return 0;
}
