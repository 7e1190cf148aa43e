/*
 * Names of the messages, for logs, and which of them carry a descriptor.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "proto.h"

static const struct {
	const char	*name;
	int		 has_fd;
} msg_table[MSG_MAX] = {
	[MSG_NONE] =		{ "NONE", 0 },
	[MSG_HELLO] =		{ "HELLO", 0 },
	[MSG_CONFIG] =		{ "CONFIG", 0 },
	[MSG_RELOAD] =		{ "RELOAD", 0 },
	[MSG_READY] =		{ "READY", 0 },
	[MSG_RELOAD_DONE] =	{ "RELOAD_DONE", 0 },
	[MSG_KEYD_CHANNEL] =	{ "KEYD_CHANNEL", 1 },
	[MSG_KEYD_DROP] =	{ "KEYD_DROP", 0 },
	[MSG_SERVER_KEYD] =	{ "SERVER_KEYD", 1 },
	[MSG_KEYD_RELINK] =	{ "KEYD_RELINK", 0 },
	[MSG_SHUTDOWN] =	{ "SHUTDOWN", 0 },
	[MSG_HEALTH] =		{ "HEALTH", 0 },
	[MSG_HEALTH_RESULT] =	{ "HEALTH_RESULT", 0 },
	[MSG_AUTH] =		{ "AUTH", 0 },
	[MSG_AUTH_RESULT] =	{ "AUTH_RESULT", 0 },
	[MSG_LOGIN] =		{ "LOGIN", 0 },
	[MSG_REFRESH] =		{ "REFRESH", 0 },
	[MSG_TOKENS] =		{ "TOKENS", 0 },
	[MSG_LOGOUT] =		{ "LOGOUT", 0 },
	[MSG_DONE] =		{ "DONE", 0 },
	[MSG_USER_GET] =	{ "USER_GET", 0 },
	[MSG_USER_UPDATE] =	{ "USER_UPDATE", 0 },
	[MSG_USER] =		{ "USER", 0 },
	[MSG_USERS] =		{ "USERS", 0 },
	[MSG_USERS_RESULT] =	{ "USERS_RESULT", 0 },
	[MSG_INVALIDATE] =	{ "INVALIDATE", 0 },
	[MSG_CTL_RELOAD] =	{ "CTL_RELOAD", 0 },
	[MSG_CTL_STATUS] =	{ "CTL_STATUS", 0 },
	[MSG_CTL_ADMIN] =	{ "CTL_ADMIN", 0 },
	[MSG_CTL_RESULT] =	{ "CTL_RESULT", 0 },
};

int
msg_type_valid(uint32_t type)
{
	return type > MSG_NONE && type < MSG_MAX;
}

const char *
msg_type_name(uint32_t type)
{
	if (!msg_type_valid(type))
		return "UNKNOWN";
	return msg_table[type].name;
}

int
msg_type_has_fd(uint32_t type)
{
	return msg_type_valid(type) && msg_table[type].has_fd;
}

/*
 * The one email check of tokend (login, PATCH /users/me, tokenctl).
 * Good enough for Directus's Joi email rule: local@label.label. */
int
email_valid(const char *e, size_t len)
{
	const char	*at, *dot;
	size_t		 i;

	if (len == 0 || len > AUTH_EMAIL_MAX || strlen(e) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (e[i] <= 0x20 || e[i] >= 0x7f)
			return 0;
	if ((at = strchr(e, '@')) == NULL || at == e ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	if ((dot = strrchr(at, '.')) == NULL || dot == at + 1 ||
	    strlen(dot + 1) < 2 || strstr(at, "..") != NULL)
		return 0;
	for (i = 1; dot[i] != '\0'; i++)
		if (!isalpha((unsigned char)dot[i]))
			return 0;
	return 1;
}
