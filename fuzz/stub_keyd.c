/*
 * What keyd/user.c calls in the rest of keyd (keyd.c, auth.c, store.c,
 * invalidate.c, batch.c),
 * for the fuzz targets and their replay test, which link keyd/user.o
 * for user_patch_parse() alone.  It touches neither the credential
 * store nor a channel: reaching any of these is a failure.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../keyd/keyd.h"

static void __attribute__((__noreturn__))
stub_keyd_reached(const char *func)
{
	fprintf(stderr, "stub_keyd: %s reached\n", func);
	abort();
}

struct keyd_chan *
keyd_chan_find(uint64_t serial)
{
	stub_keyd_reached(__func__);
}

int
auth_role_access(const char *role, int *admin, int *app)
{
	stub_keyd_reached(__func__);
}

int
auth_identify(struct frame_rd *rd, uint32_t *code, struct store_user *u,
    char *session, int64_t *until)
{
	stub_keyd_reached(__func__);
}

int
auth_identify_only(struct frame *f, uint32_t *code, struct store_user *u,
    char *session, int64_t *until)
{
	stub_keyd_reached(__func__);
}

int
store_begin(void)
{
	stub_keyd_reached(__func__);
}

int
store_commit(void)
{
	stub_keyd_reached(__func__);
}

void
store_rollback(void)
{
	stub_keyd_reached(__func__);
}

int
store_user_json(const char *id, char **json)
{
	stub_keyd_reached(__func__);
}

int
store_user_set_field(const char *id, const char *field, json_t *v)
{
	stub_keyd_reached(__func__);
}

int
store_user_set_password(const char *id, const char *phc)
{
	stub_keyd_reached(__func__);
}

int
store_user_set_token(const char *id, const uint8_t *hash)
{
	stub_keyd_reached(__func__);
}

int
store_sessions_delete_others(const char *id, const uint8_t *keep)
{
	stub_keyd_reached(__func__);
}

void
auth_who_buf(struct frame_buf *fb, uint32_t code, const struct store_user *u,
    const char *session, int64_t until)
{
	stub_keyd_reached(__func__);
}

void
invalidate_user(const char *id)
{
	stub_keyd_reached(__func__);
}

void
batch_commit(void)
{
	stub_keyd_reached(__func__);
}
