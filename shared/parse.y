/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The tokend.conf grammar and its lexer.  Statements end at a newline,
 * statements inside a block also at ';'.  Macros ("name = value",
 * "$name") and "include" work as in the OpenBSD daemons.  Every error
 * is logged as "file:line: message" and the parse goes on to the next
 * statement, so that one run reports everything that is wrong.
 */

%{
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#define PARSE_INCLUDE_DEPTH	8
#define PARSE_TOKEN_MAX		CONF_JSON_MAX	/* a word, string, macro value */
#define PARSE_LINE_MAX		8192
#define PARSE_TEXT_MAX		48	/* a token quoted in an error */
#define PARSE_PUSHBACK_MAX	(PARSE_TOKEN_MAX + 16)
#define PUSHBACK_EXPANDED	0x100	/* the character came from a macro */
#define LEX_AGAIN		(-2)

/*
 * One open config file.  Characters come from the pushback stack first
 * (characters read ahead, and a macro value being expanded, each
 * marked PUSHBACK_EXPANDED), then from the stream.
 */
struct file {
	struct file	*parent;
	FILE		*stream;
	char		*name;
	int		 depth;
	int		 lineno;
	size_t		 size;		/* bytes read */
	size_t		 column;
	int		 overlong;	/* this line is over PARSE_LINE_MAX */
	int		 stop;		/* too large or unreadable */
	int		 eof_seen;
	int		 braces;
	int		 brace_line;
	int		 brace_reported;
	int		 expanded;	/* last character came from a macro */
	size_t		 npushback;
	int		 pushback[PARSE_PUSHBACK_MAX];
};

struct macro {
	TAILQ_ENTRY(macro)	 entry;
	char			*name;
	char			*value;
	int			 cmdline;	/* from -D: beats the file */
};

/* What the lexer returned last, so that syntax errors can say more. */
struct lextoken {
	int		 tok;
	char		 text[PARSE_TEXT_MAX];
};

struct lexinfo {
	unsigned int	 seq;		/* tokens returned */
	unsigned int	 reported;	/* token the lexer complained about */
	struct lextoken	 cur;
	struct lextoken	 prev;
	struct lextoken	 first;		/* first token of the statement */
	int		 second;	/* the token after it */
	int		 count;		/* tokens so far in the statement */
};

typedef struct {
	union {
		char		*string;
		const char	*keyword;
		long long	 number;
	} v;
	int lineno;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED 1

/*
 * The collection, policy, role or permission block being read.  A block that
 * is refused (a bad or duplicate name) is still read, so that its
 * statements are checked too; it is kept in a junk list until the
 * parse ends.  fields names the list a "fields" statement adds to.
 */
struct data_state {
	struct conf_collection		*collection;
	struct conf_role		*role;
	int				 role_line;	/* 0: refused */
	int				 role_id_seen;
	struct conf_policy		*policy;	/* own lines go here */
	int				 policy_line;	/* 0: refused */
	int				 policy_id_seen;
	struct conf_permission		*perm;
	char				*perm_collection;
	int				 perm_actions;
	int				 perm_bad;	/* an action was refused */
	enum { FIELDS_NONE, FIELDS_COLLECTION, FIELDS_PERMISSION } fields;
	struct conf_collection_list	 junk_collections;
	struct conf_role_list		 junk_roles;
	struct conf_policy_list		 junk_policies;
	struct conf_permission_list	 junk_perms;
};

static struct file		*file, *topfile;
static struct tokend_config	*conf;
static const char		*cookie_block;	/* "cookie refresh" */
static struct conf_protect	*protect_cur;	/* the protect being read */
static struct data_state	 data;
static int			 errors;
static struct lexinfo		 lexinfo;
static TAILQ_HEAD(, macro)	 macros = TAILQ_HEAD_INITIALIZER(macros);

int		 yylex(void);
void		 yyerror(const char *);
static void	 parse_verror(int, const char *, va_list)
		    __attribute__((__format__ (printf, 2, 0)));
static void	 parse_error(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static void	 parse_error_line(int, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	 lex_error_line(int, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static char	*string_new(const char *);
static void	 string_free(char *);
static void	 strings_drop(void);
static void	 include_file(const char *);
static void	 macro_define(const char *, const char *);
static void	 listen_on(const char *, long long, int);
static long long port_number(const char *);
static void	 setting(const char *, const char *, const char *);
static void	 setting_word(const char *, const char *, const char *);
static int	 yes_no(const char *, const char *, int *);
static void	 protect_begin(const char *, const char *);
static void	 protect_role(const char *);
static void	 protect_admin(const char *);
static void	 data_init(void);
static void	 data_clear(void);
static void	 collection_begin(const char *);
static void	 collection_primary_key(const char *);
static void	 collection_end(void);
static void	 collection_relation(const char *, const char *);
static void	 field_add(const char *);
static void	 role_begin(const char *);
static void	 role_id(const char *);
static void	 role_end(void);
static void	 public_begin(void);
static void	 public_policy(const char *);
static void	 policy_begin(const char *);
static void	 policy_id(const char *);
static void	 policy_ip_allow(const char *);
static void	 policy_end(void);
static void	 role_policy(const char *);
static void	 role_parent(const char *);
static int	*policy_flag(int);
static void	 permission_name(const char *);
static void	 permission_action(const char *);
static void	 permission_begin(void);
static void	 permission_json(enum conf_json, const char *);
static void	 permission_end(void);
static void	 portal_value(const char *, int);
static void	 portal_setting(const char *);
%}

%token	<v.keyword> INCLUDE LISTEN ON PORT PREFORK USER CHROOT KEYD PROGRAM
%token	<v.keyword> DATABASE SECRET CONTROL SOCKET LIMITS HEADERSIZE BODYSIZE
%token	<v.keyword> CONNECTIONS TIMEOUT REQUEST
%token	<v.keyword> AUTH ACCESSTTL REFRESHTTL SESSIONTTL SESSIONGRACE
%token	<v.keyword> LOGINSTALL LOGINATTEMPTS LOGINLOCKOUT PASSWORD MEMORY
%token	<v.keyword> ITERATIONS PARALLELISM THREADS QUEUE
%token	<v.keyword> COOKIE REFRESH SESSION NAME SECURE SAMESITE DOMAIN
%token	<v.keyword> ITEMS QUERYLIMIT COLLECTION PRIMARYKEY FIELDS ROLE ID
%token	<v.keyword> ADMINACCESS APPACCESS PERMISSION FILTER VALIDATION PRESETS
%token	<v.keyword> ENFORCETFA POLICY IPALLOW FIELD REFERENCES
%token	<v.keyword> PUBLIC PARENT
%token	<v.keyword> REQUESTLINE HEADERCOUNT RATELIMIT AUTHRATELIMIT
%token	<v.keyword> RATELIMITADDRESSES PER HEADERDEADLINE BODYDEADLINE
%token	<v.keyword> MAIL TLS
%token	<v.keyword> SIGNING CORS FORWARDAUTH PROTECT PORTAL
%token	ERROR
%token	<v.string> STRING
%type	<v.number> port tlsflag
%type	<v.string> ident
%type	<v.keyword> keyword topword keydword limitsword timeoutword
%type	<v.keyword> authword passwordword cookieword mailword

%%

grammar		: /* empty */
		| grammar stmt '\n'		{ yyerrok; }
		| grammar error '\n'		{
			yyerrok;
			strings_drop();
		}
		;

stmt		: /* empty */
		| include
		| varset
		| main
		;

include		: INCLUDE STRING		{
			include_file($2);
			string_free($2);
		}
		;

varset		: STRING '=' STRING		{
			macro_define($1, $3);
			string_free($1);
			string_free($3);
		}
		;

main		: LISTEN ON STRING port tlsflag	{
			listen_on($3, $4, (int)$5);
			string_free($3);
		}
		| topword STRING		{
			setting("", $1, $2);
			string_free($2);
		}
		| STRING STRING			{
			setting_word("", $1, $2);
			string_free($1);
			string_free($2);
		}
		| CONTROL SOCKET STRING		{
			setting("", "control socket", $3);
			string_free($3);
		}
		| KEYD '{' keydlist keydlast '}'
		| LIMITS '{' limitslist limitslast '}'
		| TIMEOUT '{' timeoutlist timeoutlast '}'
		| AUTH '{' authlist authlast '}'
		| PASSWORD '{' passwordlist passwordlast '}'
		| MAIL '{' maillist maillast '}'
		| TLS '{' tlslist tlslast '}'
		| SIGNING '{' signinglist signinglast '}'
		| PORTAL portalopen '{' portallist portallast '}'
		| CORS '{' corslist corslast '}'
		| FORWARDAUTH '{' falist falast '}'
		| PROTECT STRING STRING		{
			protect_begin($2, $3);
			string_free($2);
			string_free($3);
		} protectblock
		| COOKIE cookiekind '{' cookielist cookielast '}'
		| COLLECTION collectionhead collectionblock {
			collection_end();
		}
		| ROLE rolehead '{' rolelist rolelast '}' {
			role_end();
		}
		| PUBLIC publichead '{' publiclist publiclast '}'
		| POLICY policyhead '{' policylist policylast '}' {
			policy_end();
		}
		;

/*
 * The settings of the config_fields table (config.c), which holds what
 * each is called, how it is written and its bounds.  A setting whose
 * word is no keyword of the lexer needs no rule: "word value" in a
 * block comes to setting_word, which finds it in the table.
 */
topword		: PREFORK | USER | CHROOT | ITEMS
		;

keydword	: USER | CHROOT | PROGRAM | DATABASE | SECRET
		;

limitsword	: HEADERSIZE | BODYSIZE | CONNECTIONS | QUERYLIMIT
		| REQUESTLINE | HEADERCOUNT | RATELIMITADDRESSES
		;

timeoutword	: REQUEST | KEYD | HEADERDEADLINE | BODYDEADLINE
		;

authword	: ACCESSTTL | REFRESHTTL | SESSIONTTL | SESSIONGRACE
		| LOGINSTALL | LOGINATTEMPTS | LOGINLOCKOUT
		;

passwordword	: MEMORY | ITERATIONS | PARALLELISM | THREADS | QUEUE
		;

cookieword	: NAME | SECURE | SAMESITE | DOMAIN
		;

mailword	: USER | CHROOT | PORT | TIMEOUT
		;

/*
 * A name: a string, or a keyword that is also a valid name, so that
 * "fields id name" needs no quotes.
 */
ident		: STRING
		| keyword			{ $$ = string_new($1); }
		;

keyword		: AUTH | CHROOT | COLLECTION | CONNECTIONS | CONTROL | COOKIE
		| DATABASE | DOMAIN | FIELD | FIELDS | FILTER | ID | INCLUDE
		| ITEMS | REFERENCES
		| ITERATIONS | KEYD | LIMITS | LISTEN | MAIL | MEMORY | NAME | ON
		| PARALLELISM | PARENT | PASSWORD | PERMISSION | POLICY | PORT
		| PREFORK
		| PRESETS | PROGRAM | PUBLIC | QUEUE | REFRESH | REQUEST | ROLE
		| SECRET | SECURE | SESSION | SIGNING | SOCKET | THREADS
		| TIMEOUT | TLS | CORS | FORWARDAUTH | PROTECT | PORTAL
		| USER | VALIDATION
		;

identlist	: ident				{
			field_add($1);
			string_free($1);
		}
		| identlist ident		{
			field_add($2);
			string_free($2);
		}
		;

fieldsstmt	: FIELDS identlist
		;

tlsflag		: /* empty */			{ $$ = 0; }
		| TLS				{ $$ = 1; }
		;

port		: /* empty */			{ $$ = CONF_PORT_DEFAULT; }
		| PORT STRING			{
			$$ = port_number($2);
			string_free($2);
		}
		;

/*
 * A block holds statements ended by a separator, the last one maybe
 * by the '}'.  An error skips to the next separator, or to the '}'.
 */
sep		: '\n'
		| ';'
		;

keydlist	: /* empty */
		| keydlist sep
		| keydlist keydstmt sep
		| keydlist error sep		{
			yyerrok;
			strings_drop();
		}
		;

keydlast	: /* empty */
		| keydstmt
		| error
		;

keydstmt	: keydword STRING		{
			setting("keyd", $1, $2);
			string_free($2);
		}
		| STRING STRING			{
			setting_word("keyd", $1, $2);
			string_free($1);
			string_free($2);
		}
		;

limitslist	: /* empty */
		| limitslist sep
		| limitslist limitsstmt sep
		| limitslist error sep		{
			yyerrok;
			strings_drop();
		}
		;

limitslast	: /* empty */
		| limitsstmt
		| error
		;

limitsstmt	: limitsword STRING		{
			setting("limits", $1, $2);
			string_free($2);
		}
		| STRING STRING			{
			setting_word("limits", $1, $2);
			string_free($1);
			string_free($2);
		}
		| RATELIMIT STRING PER STRING	{
			setting("limits", "rate-limit", $2);
			setting("limits", "rate-limit per", $4);
			string_free($2);
			string_free($4);
		}
		| AUTHRATELIMIT STRING PER STRING {
			setting("limits", "auth-rate-limit", $2);
			setting("limits", "auth-rate-limit per", $4);
			string_free($2);
			string_free($4);
		}
		;

timeoutlist	: /* empty */
		| timeoutlist sep
		| timeoutlist timeoutstmt sep
		| timeoutlist error sep		{
			yyerrok;
			strings_drop();
		}
		;

timeoutlast	: /* empty */
		| timeoutstmt
		| error
		;

timeoutstmt	: timeoutword STRING		{
			setting("timeout", $1, $2);
			string_free($2);
		}
		| STRING STRING			{
			setting_word("timeout", $1, $2);
			string_free($1);
			string_free($2);
		}
		;

authlist	: /* empty */
		| authlist sep
		| authlist authstmt sep
		| authlist error sep		{
			yyerrok;
			strings_drop();
		}
		;

authlast	: /* empty */
		| authstmt
		| error
		;

authstmt	: authword STRING		{
			setting("auth", $1, $2);
			string_free($2);
		}
		| STRING STRING			{
			setting_word("auth", $1, $2);
			string_free($1);
			string_free($2);
		}
		;

passwordlist	: /* empty */
		| passwordlist sep
		| passwordlist passwordstmt sep
		| passwordlist error sep	{
			yyerrok;
			strings_drop();
		}
		;

passwordlast	: /* empty */
		| passwordstmt
		| error
		;

passwordstmt	: passwordword STRING		{
			setting("password", $1, $2);
			string_free($2);
		}
		| STRING STRING			{
			setting_word("password", $1, $2);
			string_free($1);
			string_free($2);
		}
		;

maillist	: /* empty */
		| maillist sep
		| maillist mailstmt sep
		| maillist error sep		{
			yyerrok;
			strings_drop();
		}
		;

maillast	: /* empty */
		| mailstmt
		| error
		;

mailstmt	: mailword STRING		{
			setting("mail", $1, $2);
			string_free($2);
		}
		| STRING STRING			{
			setting_word("mail", $1, $2);
			string_free($1);
			string_free($2);
		}
		;

/* tls { certificate, key, protocols, ciphers, hsts }: all table words. */
tlslist		: /* empty */
		| tlslist sep
		| tlslist tlsstmt sep
		| tlslist error sep		{
			yyerrok;
			strings_drop();
		}
		;

tlslast		: /* empty */
		| tlsstmt
		| error
		;

tlsstmt		: STRING STRING			{
			setting_word("tls", $1, $2);
			string_free($1);
			string_free($2);
		}
		;

/* signing { algorithm, key }: both table words. */
signinglist	: /* empty */
		| signinglist sep
		| signinglist signingstmt sep
		| signinglist error sep		{
			yyerrok;
			strings_drop();
		}
		;

signinglast	: /* empty */
		| signingstmt
		| error
		;

signingstmt	: STRING STRING			{
			setting_word("signing", $1, $2);
			string_free($1);
			string_free($2);
		}
		;

/* cors { origin, methods, ... } and forward-auth { }: table words. */
corslist	: /* empty */
		| corslist sep
		| corslist corsstmt sep
		| corslist error sep		{
			yyerrok;
			strings_drop();
		}
		;

corslast	: /* empty */
		| corsstmt
		| error
		;

corsstmt	: STRING STRING			{
			setting_word("cors", $1, $2);
			string_free($1);
			string_free($2);
		}
		;

falist		: /* empty */
		| falist sep
		| falist fastmt sep
		| falist error sep		{
			yyerrok;
			strings_drop();
		}
		;

falast		: /* empty */
		| fastmt
		| error
		;

fastmt		: STRING STRING			{
			setting_word("forward-auth", $1, $2);
			string_free($1);
			string_free($2);
		}
		;

/* protect HOST PREFIX [{ role NAME | admin-access yes }] */
protectblock	: /* empty */
		| '{' protectlist protectlast '}'
		;

protectlist	: /* empty */
		| protectlist sep
		| protectlist protectstmt sep
		| protectlist error sep		{
			yyerrok;
			strings_drop();
		}
		;

protectlast	: /* empty */
		| protectstmt
		| error
		;

protectstmt	: ROLE STRING			{
			protect_role($2);
			string_free($2);
		}
		| ADMINACCESS STRING		{
			protect_admin($2);
			string_free($2);
		}
		;

/*
 * portal { enable, path, title, redirect-allow, directory }: table
 * words.  The block turns the portal on (its "enable no" may turn it
 * off again); redirect-allow takes one URL or more.
 */
portalopen	: /* empty */			{
			setting("portal", "enable", "yes");
		}
		;

portallist	: /* empty */
		| portallist sep
		| portallist portalstmt sep
		| portallist error sep		{
			yyerrok;
			strings_drop();
		}
		;

portallast	: /* empty */
		| portalstmt
		| error
		;

portalstmt	: STRING portalvalues		{
			portal_setting($1);
			string_free($1);
		}
		;

portalvalues	: STRING			{
			portal_value($1, 1);
			string_free($1);
		}
		| portalvalues STRING		{
			portal_value($2, 0);
			string_free($2);
		}
		;

/* Reduced before the '{', so the statements know their cookie. */
cookiekind	: REFRESH			{
			cookie_block = "cookie refresh";
		}
		| SESSION			{
			cookie_block = "cookie session";
		}
		;

cookielist	: /* empty */
		| cookielist sep
		| cookielist cookiestmt sep
		| cookielist error sep		{
			yyerrok;
			strings_drop();
		}
		;

cookielast	: /* empty */
		| cookiestmt
		| error
		;

cookiestmt	: cookieword STRING		{
			setting(cookie_block, $1, $2);
			string_free($2);
		}
		| STRING STRING			{
			setting_word(cookie_block, $1, $2);
			string_free($1);
			string_free($2);
		}
		;

collectionhead	: ident				{
			collection_begin($1);
			string_free($1);
		}
		;

collectionblock	: /* empty */
		| '{' collectionlist collectionlast '}'
		;

collectionlist	: /* empty */
		| collectionlist sep
		| collectionlist collectionstmt sep
		| collectionlist error sep	{
			yyerrok;
			strings_drop();
		}
		;

collectionlast	: /* empty */
		| collectionstmt
		| error
		;

collectionstmt	: PRIMARYKEY STRING		{
			collection_primary_key($2);
			string_free($2);
		}
		| FIELD ident REFERENCES ident	{
			collection_relation($2, $4);
			string_free($2);
			string_free($4);
		}
		| fieldsstmt
		;

rolehead	: ident				{
			role_begin($1);
			string_free($1);
		}
		;

rolelist	: /* empty */
		| rolelist sep
		| rolelist rolestmt sep
		| rolelist error sep		{
			yyerrok;
			strings_drop();
		}
		;

rolelast	: /* empty */
		| rolestmt
		| error
		;

rolestmt	: ID STRING			{
			role_id($2);
			string_free($2);
		}
		| POLICY ident			{
			role_policy($2);
			string_free($2);
		}
		| PARENT ident			{
			role_parent($2);
			string_free($2);
		}
		| flagstmt
		| permission
		;

/* A line of a policy, or of a role's own policy. */
flagstmt	: ADMINACCESS STRING		{
			(void)yes_no("admin-access", $2,
			    policy_flag(ADMINACCESS));
			string_free($2);
		}
		| APPACCESS STRING		{
			(void)yes_no("app-access", $2, policy_flag(APPACCESS));
			string_free($2);
		}
		| ENFORCETFA STRING		{
			(void)yes_no("enforce-tfa", $2,
			    policy_flag(ENFORCETFA));
			string_free($2);
		}
		;

policyhead	: ident				{
			policy_begin($1);
			string_free($1);
		}
		;

policylist	: /* empty */
		| policylist sep
		| policylist policystmt sep
		| policylist error sep		{
			yyerrok;
			strings_drop();
		}
		;

policylast	: /* empty */
		| policystmt
		| error
		;

policystmt	: ID STRING			{
			policy_id($2);
			string_free($2);
		}
		| IPALLOW iplist
		| flagstmt
		| permission
		;

iplist		: STRING			{
			policy_ip_allow($1);
			string_free($1);
		}
		| iplist STRING			{
			policy_ip_allow($2);
			string_free($2);
		}
		;

publichead	: /* empty */			{ public_begin(); }
		;

publiclist	: /* empty */
		| publiclist sep
		| publiclist publicstmt sep
		| publiclist error sep		{
			yyerrok;
			strings_drop();
		}
		;

publiclast	: /* empty */
		| publicstmt
		| error
		;

publicstmt	: POLICY ident			{
			public_policy($2);
			string_free($2);
		}
		| permission
		;

/* permission "collection" action... [{ fields; filter; ... }] */
permission	: PERMISSION permissionname actions permissionhead
		    permissionblock		{ permission_end(); }
		;

permissionname	: ident				{
			permission_name($1);
			string_free($1);
		}
		;

actions		: /* empty */
		| actions STRING		{
			permission_action($2);
			string_free($2);
		}
		;

permissionhead	: /* empty */			{ permission_begin(); }
		;

permissionblock	: /* empty */
		| '{' permissionlist permissionlast '}'
		;

permissionlist	: /* empty */
		| permissionlist sep
		| permissionlist permissionstmt sep
		| permissionlist error sep	{
			yyerrok;
			strings_drop();
		}
		;

permissionlast	: /* empty */
		| permissionstmt
		| error
		;

permissionstmt	: fieldsstmt
		| FILTER STRING			{
			permission_json(CONF_JSON_FILTER, $2);
			string_free($2);
		}
		| VALIDATION STRING		{
			permission_json(CONF_JSON_VALIDATION, $2);
			string_free($2);
		}
		| PRESETS STRING		{
			permission_json(CONF_JSON_PRESETS, $2);
			string_free($2);
		}
		;

%%

struct keyword {
	const char	*name;
	int		 token;
};

/* Sorted for bsearch. */
static const struct keyword keywords[] = {
	{ "access-ttl",		ACCESSTTL },
	{ "admin-access",	ADMINACCESS },
	{ "app-access",		APPACCESS },
	{ "auth",		AUTH },
	{ "auth-rate-limit",	AUTHRATELIMIT },
	{ "body-deadline",	BODYDEADLINE },
	{ "body-size",		BODYSIZE },
	{ "chroot",		CHROOT },
	{ "collection",		COLLECTION },
	{ "connections",	CONNECTIONS },
	{ "control",		CONTROL },
	{ "cookie",		COOKIE },
	{ "cors",		CORS },
	{ "database",		DATABASE },
	{ "domain",		DOMAIN },
	{ "enforce-tfa",	ENFORCETFA },
	{ "field",		FIELD },
	{ "fields",		FIELDS },
	{ "filter",		FILTER },
	{ "forward-auth",	FORWARDAUTH },
	{ "header-count",	HEADERCOUNT },
	{ "header-deadline",	HEADERDEADLINE },
	{ "header-size",	HEADERSIZE },
	{ "id",			ID },
	{ "include",		INCLUDE },
	{ "ip-allow",		IPALLOW },
	{ "items",		ITEMS },
	{ "iterations",		ITERATIONS },
	{ "keyd",		KEYD },
	{ "limits",		LIMITS },
	{ "listen",		LISTEN },
	{ "login-attempts",	LOGINATTEMPTS },
	{ "login-lockout",	LOGINLOCKOUT },
	{ "login-stall",	LOGINSTALL },
	{ "mail",		MAIL },
	{ "memory",		MEMORY },
	{ "name",		NAME },
	{ "on",			ON },
	{ "parallelism",	PARALLELISM },
	{ "parent",		PARENT },
	{ "password",		PASSWORD },
	{ "per",		PER },
	{ "permission",		PERMISSION },
	{ "policy",		POLICY },
	{ "port",		PORT },
	{ "portal",		PORTAL },
	{ "prefork",		PREFORK },
	{ "presets",		PRESETS },
	{ "primary-key",	PRIMARYKEY },
	{ "program",		PROGRAM },
	{ "protect",		PROTECT },
	{ "public",		PUBLIC },
	{ "query-limit",	QUERYLIMIT },
	{ "queue",		QUEUE },
	{ "rate-limit",		RATELIMIT },
	{ "rate-limit-addresses", RATELIMITADDRESSES },
	{ "references",		REFERENCES },
	{ "refresh",		REFRESH },
	{ "refresh-ttl",	REFRESHTTL },
	{ "request",		REQUEST },
	{ "request-line",	REQUESTLINE },
	{ "role",		ROLE },
	{ "same-site",		SAMESITE },
	{ "secret",		SECRET },
	{ "secure",		SECURE },
	{ "session",		SESSION },
	{ "session-grace",	SESSIONGRACE },
	{ "session-ttl",	SESSIONTTL },
	{ "signing",		SIGNING },
	{ "socket",		SOCKET },
	{ "threads",		THREADS },
	{ "timeout",		TIMEOUT },
	{ "tls",		TLS },
	{ "user",		USER },
	{ "validation",		VALIDATION },
};

struct unit {
	const char	*suffix;
	long long	 scale;
};

static const struct unit size_units[] = {
	{ "",	1 },
	{ "K",	1024 },
	{ "k",	1024 },
	{ "M",	1024 * 1024 },
	{ "m",	1024 * 1024 },
	{ NULL,	0 }
};

/* In milliseconds; a plain number is seconds. */
static const struct unit duration_units[] = {
	{ "",	1000 },
	{ "ms",	1 },
	{ "s",	1000 },
	{ "m",	60 * 1000 },
	{ "h",	60 * 60 * 1000 },
	{ "d",	24 * 60 * 60 * 1000 },
	{ NULL,	0 }
};

static char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("%s", __func__);
	return p;
}

/*
 * Strings the lexer has handed to the parser and no action has freed
 * yet.  Error recovery throws tokens away without a word; their
 * strings are freed here.
 */
static char	**pending;
static size_t	  npending, pending_max;

static char *
string_new(const char *s)
{
	char	**v;
	size_t	  max;

	if (npending == pending_max) {
		max = pending_max == 0 ? 16 : pending_max * 2;
		if ((v = reallocarray(pending, max, sizeof(*v))) == NULL)
			fatal("%s", __func__);
		pending = v;
		pending_max = max;
	}
	return pending[npending++] = xstrdup(s);
}

static void
string_free(char *s)
{
	size_t	 i;

	for (i = npending; i-- > 0;)
		if (pending[i] == s) {
			pending[i] = pending[--npending];
			break;
		}
	free(s);
}

static void
strings_free_except(const char *keep)
{
	size_t	 i, n = 0;

	for (i = 0; i < npending; i++) {
		if (pending[i] == keep)
			pending[n++] = pending[i];
		else
			free(pending[i]);
	}
	npending = n;
}

/* After error recovery only the lookahead token is still wanted. */
static void
strings_drop(void)
{
	strings_free_except(yychar == STRING ? yylval.v.string : NULL);
}

static void
parse_verror(int lineno, const char *fmt, va_list ap)
{
	char	 msg[1024];

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	log_warnx("%s:%d: %s", file->name, lineno, msg);
	errors++;
}

static void
parse_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	parse_verror(yylval.lineno, fmt, ap);
	va_end(ap);
}

/* An error about a statement that started at an earlier line. */
static void
parse_error_line(int lineno, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	parse_verror(lineno, fmt, ap);
	va_end(ap);
}

/* An error found by the lexer in the token it is about to return. */
static void
lex_error_line(int lineno, const char *fmt, ...)
{
	va_list	 ap;

	lexinfo.reported = lexinfo.seq + 1;
	va_start(ap, fmt);
	parse_verror(lineno, fmt, ap);
	va_end(ap);
}

#define lex_error(...)	lex_error_line(yylval.lineno, __VA_ARGS__)

static int
token_ends_statement(int tok)
{
	return tok == '\n' || tok == ';' || tok == '}' || tok == 0;
}

/* Turns yacc's bare "syntax error" into something more useful. */
static void
syntax_error(void)
{
	const struct lextoken	*cur = &lexinfo.cur, *prev = &lexinfo.prev;

	if (lexinfo.reported == lexinfo.seq) {
		errors++;
		return;
	}
	if (lexinfo.first.tok == STRING &&
	    (lexinfo.count == 1 || lexinfo.second != '='))
		parse_error("unknown keyword \"%s\"", lexinfo.first.text);
	else if (lexinfo.count == 1)
		parse_error("\"%s\" is not allowed here", cur->text);
	else if (token_ends_statement(cur->tok))
		parse_error("missing argument after \"%s\"", prev->text);
	else
		parse_error("unexpected \"%s\" after \"%s\"", cur->text,
		    prev->text);
}

void
yyerror(const char *msg)
{
	if (strcmp(msg, "syntax error") == 0)
		syntax_error();
	else
		parse_error("%s", msg);
}

static const char *
file_check(int fd)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return "file is writable by group or others";
	if (st.st_uid != 0 && st.st_uid != getuid())
		return "file is not owned by root or the running user";
	if (st.st_size > CONF_FILE_MAX)
		return "file too large";
	return NULL;
}

static void
file_error(const struct file *parent, const char *name, const char *problem)
{
	if (parent != NULL)
		log_warnx("%s:%d: %s: %s", parent->name, yylval.lineno, name,
		    problem);
	else
		log_warnx("%s: %s", name, problem);
	errors++;
}

/* O_NONBLOCK so that naming a FIFO cannot hang the parse. */
static struct file *
pushfile(const char *name, struct file *parent)
{
	struct file	*nfile;
	const char	*problem;
	FILE		*stream;
	int		 fd;

	if ((fd = open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		file_error(parent, name, strerror(errno));
		return NULL;
	}
	if ((problem = file_check(fd)) != NULL) {
		file_error(parent, name, problem);
		(void)close(fd);
		return NULL;
	}
	if ((stream = fdopen(fd, "r")) == NULL)
		fatal("%s", __func__);
	if ((nfile = calloc(1, sizeof(*nfile))) == NULL)
		fatal("%s", __func__);
	nfile->stream = stream;
	nfile->name = xstrdup(name);
	nfile->parent = parent;
	nfile->depth = parent != NULL ? parent->depth + 1 : 0;
	nfile->lineno = 1;
	return nfile;
}

static void
popfile(void)
{
	struct file	*parent = file->parent;

	(void)fclose(file->stream);
	free(file->name);
	free(file);
	file = parent;
}

static int
file_getc(void)
{
	int	 c;

	if (file->stop)
		return EOF;
	if ((c = getc(file->stream)) == EOF) {
		if (ferror(file->stream)) {
			lex_error("read error");
			file->stop = 1;
		}
		return EOF;
	}
	if (++file->size > CONF_FILE_MAX) {
		lex_error("file too large");
		file->stop = 1;
		return EOF;
	}
	if (c == '\n')
		file->column = 0;
	else if (++file->column > PARSE_LINE_MAX)
		file->overlong = 1;
	return c;
}

static int
igetc(void)
{
	int	 c;

	if (file->npushback > 0) {
		c = file->pushback[--file->npushback];
		file->expanded = (c & PUSHBACK_EXPANDED) != 0;
		return c & 0xff;
	}
	file->expanded = 0;
	return file_getc();
}

static void
lungetc(int c)
{
	if (c == EOF)
		return;
	if (file->npushback >= PARSE_PUSHBACK_MAX)
		fatalx("%s: pushback overflow", __func__);
	file->pushback[file->npushback++] = c |
	    (file->expanded ? PUSHBACK_EXPANDED : 0);
}

/* igetc, with a backslash before a newline joining the two lines. */
static int
lgetc(void)
{
	int	 c, next;

	while ((c = igetc()) == '\\') {
		if ((next = igetc()) != '\n') {
			lungetc(next);
			break;
		}
		file->lineno++;
	}
	return c;
}

static void
findeol(void)
{
	int	 c;

	while ((c = lgetc()) != '\n' && c != EOF)
		;
	lungetc(c);
}

static int
word_char(int c)
{
	return c > ' ' && c < 0x7f && strchr("{}=#\"';\\", c) == NULL;
}

static int
macro_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static int
keyword_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keyword *)e)->name);
}

static const struct keyword *
keyword_find(const char *s)
{
	return bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), keyword_cmp);
}

static int
lex_at_statement_start(void)
{
	return lexinfo.seq == 0 || token_ends_statement(lexinfo.cur.tok) ||
	    lexinfo.cur.tok == '{';
}

/*
 * A keyword at the start of a top level statement and followed by '='
 * is the name of a macro being defined ("port = 8055").
 */
static int
lex_is_macro_name(void)
{
	int	 c;

	if (file->braces > 0 || !lex_at_statement_start())
		return 0;
	while ((c = lgetc()) == ' ' || c == '\t')
		;
	lungetc(c);
	return c == '=';
}

static int
lex_word(int c, char *buf)
{
	const struct keyword	*kw;
	size_t			 len = 0;
	int			 toolong = 0;

	do {
		if (len == PARSE_TOKEN_MAX)
			toolong = 1;
		else
			buf[len++] = c;
	} while ((c = lgetc()) != EOF && word_char(c));
	lungetc(c);
	buf[len] = '\0';
	if (toolong) {
		lex_error("word longer than %d bytes", PARSE_TOKEN_MAX);
		return ERROR;
	}
	if ((kw = keyword_find(buf)) != NULL && !lex_is_macro_name()) {
		yylval.v.keyword = kw->name;
		return kw->token;
	}
	yylval.v.string = string_new(buf);
	return STRING;
}

/* After a backslash: the escaped character, or -1 for a line joint. */
static int
lex_escape(int quote)
{
	int	 next;

	next = igetc();
	if (next == quote || next == '\\')
		return next;
	if (next == '\n') {
		file->lineno++;
		return -1;
	}
	lungetc(next);
	return '\\';
}

static int
lex_quoted(int quote, char *buf)
{
	size_t	 len = 0;
	int	 c, bad = 0;

	while ((c = igetc()) != quote) {
		if (c == EOF || c == '\n') {
			lungetc(c);
			lex_error("unterminated quoted string");
			return ERROR;
		}
		if (c == '\\' && (c = lex_escape(quote)) == -1)
			continue;
		if (bad)
			continue;
		if ((c < ' ' && c != '\t') || c == 0x7f) {
			lex_error("invalid character in quoted string");
			bad = 1;
		} else if (len == PARSE_TOKEN_MAX) {
			lex_error("string longer than %d bytes",
			    PARSE_TOKEN_MAX);
			bad = 1;
		} else
			buf[len++] = c;
	}
	if (bad)
		return ERROR;
	buf[len] = '\0';
	yylval.v.string = string_new(buf);
	return STRING;
}

static const char *
macro_get(const char *name)
{
	struct macro	*m;

	TAILQ_FOREACH(m, &macros, entry)
		if (strcmp(m->name, name) == 0)
			return m->value;
	return NULL;
}

/* Pushes a macro's value back so that it is lexed in place of $name. */
static int
lex_expand(const char *value)
{
	size_t	 len;

	len = strlen(value);
	if (len > PARSE_PUSHBACK_MAX - file->npushback) {
		lex_error("macro expansion too long");
		return -1;
	}
	while (len > 0)
		file->pushback[file->npushback++] =
		    (unsigned char)value[--len] | PUSHBACK_EXPANDED;
	return 0;
}

static int
lex_macro(char *buf)
{
	const char	*value;
	size_t		 len = 0;
	int		 c, toolong = 0;

	while ((c = lgetc()) != EOF && macro_char(c)) {
		if (len == PARSE_TOKEN_MAX)
			toolong = 1;
		else
			buf[len++] = c;
	}
	lungetc(c);
	buf[len] = '\0';
	if (toolong) {
		lex_error("macro name longer than %d bytes", PARSE_TOKEN_MAX);
		return -1;
	}
	if (len == 0) {
		lex_error("missing macro name after '$'");
		return -1;
	}
	if ((value = macro_get(buf)) == NULL) {
		lex_error("macro \"%s\" is not defined", buf);
		return -1;
	}
	return lex_expand(value);
}

/*
 * The end of a file: first a newline, so that a last line without one
 * still ends its statement, then the closing of any block left open,
 * then back to the including file.
 */
static int
lex_eof(void)
{
	if (!file->eof_seen) {
		file->eof_seen = 1;
		return '\n';
	}
	if (file->braces > 0) {
		if (!file->brace_reported)
			lex_error_line(file->brace_line,
			    "unterminated block: missing \"}\"");
		file->brace_reported = 1;
		if (file != topfile) {
			file->braces--;
			return '}';
		}
	}
	if (file == topfile)
		return 0;
	popfile();
	return LEX_AGAIN;
}

static int
lex_punct(int c)
{
	switch (c) {
	case '\n':
		file->lineno++;
		break;
	case '{':
		if (file->braces++ == 0)
			file->brace_line = file->lineno;
		break;
	case '}':
		if (file->braces > 0)
			file->braces--;
		break;
	}
	return c;
}

static int
lex_token(void)
{
	char	 buf[PARSE_TOKEN_MAX + 1];
	int	 c;

	for (;;) {
		while ((c = lgetc()) == ' ' || c == '\t')
			;
		yylval.lineno = file->lineno;
		if (c == '#')
			while ((c = lgetc()) != '\n' && c != EOF)
				;
		if (c == '$' && !file->expanded) {
			if (lex_macro(buf) == -1)
				return ERROR;
			continue;
		}
		if (c != EOF)
			break;
		if ((c = lex_eof()) != LEX_AGAIN)
			return c;
	}
	switch (c) {
	case '\n':
	case '{':
	case '}':
	case ';':
	case '=':
		return lex_punct(c);
	case '"':
	case '\'':
		return lex_quoted(c, buf);
	}
	if (word_char(c))
		return lex_word(c, buf);
	lex_error("invalid character 0x%02x", c);
	return ERROR;
}

static int
lex_overlong(int tok)
{
	file->overlong = 0;
	lex_error("line longer than %d bytes", PARSE_LINE_MAX);
	if (tok == '\n' || tok == 0)
		return tok;
	if (tok == STRING)
		string_free(yylval.v.string);
	findeol();
	return ERROR;
}

static void
token_text(int tok, char *text, size_t len)
{
	const char	*s;
	char		 c[2] = { (char)tok, '\0' };

	if (tok == STRING)
		s = yylval.v.string;
	else if (tok == '\n')
		s = "end of line";
	else if (tok == 0)
		s = "end of file";
	else if (tok == ERROR)
		s = "error";
	else if (tok < 0x100)
		s = c;
	else
		s = yylval.v.keyword;
	if (strlcpy(text, s, len) >= len)
		(void)strlcpy(text + len - 4, "...", 4);
}

static void
lex_note(int tok)
{
	int	 start;

	start = lex_at_statement_start();
	lexinfo.prev = lexinfo.cur;
	lexinfo.cur.tok = tok;
	token_text(tok, lexinfo.cur.text, sizeof(lexinfo.cur.text));
	lexinfo.seq++;
	if (start) {
		lexinfo.first = lexinfo.cur;
		lexinfo.count = 1;
		lexinfo.second = 0;
	} else if (++lexinfo.count == 2)
		lexinfo.second = tok;
}

int
yylex(void)
{
	int	 tok;

	tok = lex_token();
	if (file->overlong)
		tok = lex_overlong(tok);
	lex_note(tok);
	return tok;
}

static int
macro_name_valid(const char *name)
{
	const char	*p;

	if (name[0] == '\0' || (name[0] >= '0' && name[0] <= '9'))
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!macro_char((unsigned char)*p))
			return 0;
	return 1;
}

static int
macro_value_valid(const char *value)
{
	const unsigned char	*p;

	if (strlen(value) > PARSE_TOKEN_MAX)
		return 0;
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if ((*p < ' ' && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

/* A macro from the command line keeps its value over the file's. */
static int
macro_set(const char *name, const char *value, int cmdline)
{
	struct macro	*m;

	if (!macro_name_valid(name) || !macro_value_valid(value))
		return -1;
	TAILQ_FOREACH(m, &macros, entry)
		if (strcmp(m->name, name) == 0)
			break;
	if (m != NULL && m->cmdline && !cmdline)
		return 0;
	if (m == NULL) {
		if ((m = calloc(1, sizeof(*m))) == NULL)
			fatal("%s", __func__);
		m->name = xstrdup(name);
		TAILQ_INSERT_TAIL(&macros, m, entry);
	}
	free(m->value);
	m->value = xstrdup(value);
	m->cmdline = cmdline;
	return 0;
}

static void
macros_clear_file(void)
{
	struct macro	*m, *next;

	for (m = TAILQ_FIRST(&macros); m != NULL; m = next) {
		next = TAILQ_NEXT(m, entry);
		if (m->cmdline)
			continue;
		TAILQ_REMOVE(&macros, m, entry);
		free(m->name);
		free(m->value);
		free(m);
	}
}

int
cmdline_symset(const char *arg)
{
	const char	*eq;
	char		*name;
	int		 rv;

	if ((eq = strchr(arg, '=')) == NULL)
		return -1;
	if ((name = strndup(arg, eq - arg)) == NULL)
		fatal("%s", __func__);
	rv = macro_set(name, eq + 1, 1);
	free(name);
	return rv;
}

static void
macro_define(const char *name, const char *value)
{
	if (macro_set(name, value, 0) == -1)
		parse_error("invalid macro name \"%s\"", name);
}

/* A relative include is relative to the including file's directory. */
static int
include_path(const char *name, char *path, size_t len)
{
	const char	*slash;
	int		 n;

	if (name[0] == '/' || (slash = strrchr(file->name, '/')) == NULL)
		n = snprintf(path, len, "%s", name);
	else
		n = snprintf(path, len, "%.*s/%s",
		    (int)(slash - file->name), file->name, name);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void
include_file(const char *name)
{
	struct file	*nfile;
	char		 path[PATH_MAX];

	if (name[0] == '\0' || include_path(name, path, sizeof(path)) == -1) {
		parse_error("include: invalid path \"%s\"", name);
		return;
	}
	if (file->depth >= PARSE_INCLUDE_DEPTH) {
		parse_error("include %s: nested more than %d deep", path,
		    PARSE_INCLUDE_DEPTH);
		return;
	}
	if ((nfile = pushfile(path, file)) == NULL)
		return;
	file = nfile;
	/*
	 * yacc has not seen the include statement end yet: a newline ends
	 * it, and is counted as line 0 of the new file.
	 */
	file->lineno = 0;
	lungetc('\n');
}

static int
number_parse(const char *what, const char *s, long long min, long long max,
    long long *n)
{
	const char	*errstr;
	size_t		 len;

	len = strlen(s);
	if (len == 0 || strspn(s, "0123456789") != len) {
		parse_error("%s: invalid number \"%s\"", what, s);
		return -1;
	}
	*n = strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		parse_error("%s %s is out of range (%lld to %lld)", what, s,
		    min, max);
		return -1;
	}
	return 0;
}

/* n in the largest unit that divides it: "64K", "15m", "500ms". */
static void
unit_format(long long n, const struct unit *units, char *buf, size_t len)
{
	const struct unit	*u, *best = NULL;

	for (u = units; n != 0 && u->suffix != NULL; u++) {
		if (n % u->scale != 0)
			continue;
		if (best == NULL || u->scale > best->scale ||
		    (u->scale == best->scale && best->suffix[0] == '\0'))
			best = u;
	}
	if (best == NULL)
		(void)snprintf(buf, len, "%lld", n);
	else
		(void)snprintf(buf, len, "%lld%s", n / best->scale,
		    best->suffix);
}

/* A number with a unit suffix, scaled to the smallest unit. */
static int
scaled_parse(const char *what, const char *s, const struct unit *units,
    long long min, long long max, long long *n)
{
	const struct unit	*u;
	const char		*errstr;
	char			 digits[32], lo[32], hi[32];
	size_t			 len;

	len = strspn(s, "0123456789");
	for (u = units; u->suffix != NULL; u++)
		if (strcmp(s + len, u->suffix) == 0)
			break;
	if (len == 0 || u->suffix == NULL) {
		parse_error("%s: invalid value \"%s\"", what, s);
		return -1;
	}
	errstr = "too large";
	if (len < sizeof(digits)) {
		memcpy(digits, s, len);
		digits[len] = '\0';
		*n = strtonum(digits, 0, max / u->scale, &errstr);
	}
	if (errstr != NULL || *n * u->scale < min) {
		unit_format(min, units, lo, sizeof(lo));
		unit_format(max, units, hi, sizeof(hi));
		parse_error("%s %s is out of range (%s to %s)", what, s, lo,
		    hi);
		return -1;
	}
	*n *= u->scale;
	return 0;
}

static long long
port_number(const char *s)
{
	long long	 n;

	if (number_parse("port", s, 1, 65535, &n) == -1)
		return -1;
	return n;
}

/* A number as the unit of the setting f writes it, in stored units. */
static int
setting_number(const struct config_field *f, const char *s, long long *n)
{
	long long	 ms;

	switch (f->unit) {
	case CONF_UNIT_BYTES:
		return scaled_parse(f->label, s, size_units, f->min, f->max, n);
	case CONF_UNIT_KIB:
		if (scaled_parse(f->label, s, size_units, f->min * 1024,
		    f->max * 1024, n) == -1)
			return -1;
		if (*n % 1024 != 0) {
			parse_error("%s %s is not a whole number of KiB",
			    f->label, s);
			return -1;
		}
		*n /= 1024;
		return 0;
	case CONF_UNIT_MSEC:
		return scaled_parse(f->label, s, duration_units, f->min,
		    f->max, n);
	case CONF_UNIT_SEC:
		if (scaled_parse(f->label, s, duration_units, f->min * 1000,
		    f->max * 1000, &ms) == -1)
			return -1;
		if (ms % 1000 != 0) {
			parse_error("%s %s is not a whole number of seconds",
			    f->label, s);
			return -1;
		}
		*n = ms / 1000;
		return 0;
	default:
		return number_parse(f->label, s, f->min, f->max, n);
	}
}

/* Same-site is written in any case and kept in the one it is sent in. */
static void
setting_string(const struct config_field *f, const char *s)
{
	const char	*errstr, *value = s;

	if (f->kind == CONF_KIND_SAMESITE) {
		if ((value = config_samesite(s)) == NULL) {
			parse_error("%s: \"%s\" is not lax, strict or none",
			    f->label, s);
			return;
		}
	} else if ((errstr = config_field_check(f, s)) != NULL) {
		parse_error("%s \"%s\": %s", f->label, s, errstr);
		return;
	}
	if (strlcpy(config_field_string(conf, f), value, f->size) >= f->size)
		parse_error("%s: longer than %zu bytes", f->label,
		    f->size - 1);
}

static void
setting_field(const struct config_field *f, const char *s)
{
	long long	 n;
	int		 yes;

	if (config_field_is_string(f))
		setting_string(f, s);
	else if (f->kind == CONF_KIND_BOOL) {
		if (yes_no(f->label, s, &yes) == 0)
			config_field_set_number(conf, f, yes);
	} else if (setting_number(f, s, &n) == 0)
		config_field_set_number(conf, f, n);
}

/* A setting that has a rule of its own in the grammar. */
static void
setting(const char *block, const char *word, const char *s)
{
	const struct config_field	*f;

	if ((f = config_field_find(block, word)) == NULL)
		fatalx("%s: no setting \"%s\" in \"%s\"", __func__, word,
		    block);
	setting_field(f, s);
}

/*
 * "word value", word no keyword of the lexer (a keyword in quotes is
 * none): a setting of the table, or an unknown keyword.
 */
static void
setting_word(const char *block, const char *word, const char *s)
{
	const struct config_field	*f;

	if (keyword_find(word) != NULL ||
	    (f = config_field_find(block, word)) == NULL) {
		parse_error("unknown keyword \"%s\"", word);
		return;
	}
	setting_field(f, s);
}

/*
 * protect HOST PREFIX: a new rule, the last one until the next.  HOST
 * is a host name (any case, no port) or "*"; PREFIX a path from "/".
 */
static void
protect_begin(const char *host, const char *path)
{
	struct conf_protect	*p;
	size_t			 i;

	protect_cur = NULL;
	if (conf->nprotect >= CONF_PROTECT_MAX) {
		parse_error("protect: more than %d rules", CONF_PROTECT_MAX);
		return;
	}
	for (i = 0; host[i] != '\0'; i++)
		if (!isalnum((unsigned char)host[i]) &&
		    strchr(".-_*", host[i]) == NULL)
			break;
	if (host[0] == '\0' || host[i] != '\0' ||
	    (strchr(host, '*') != NULL && strcmp(host, "*") != 0) ||
	    strlen(host) >= sizeof(p->host)) {
		parse_error("protect: host \"%.48s\" is not a host name "
		    "or \"*\"", host);
		return;
	}
	if (path[0] != '/' || strlen(path) >= sizeof(p->path) ||
	    strpbrk(path, "?# \t") != NULL) {
		parse_error("protect: \"%.48s\" is not a path from \"/\"",
		    path);
		return;
	}
	p = &conf->protect[conf->nprotect++];
	memset(p, 0, sizeof(*p));
	(void)strlcpy(p->host, host, sizeof(p->host));
	(void)strlcpy(p->path, path, sizeof(p->path));
	protect_cur = p;
}

/* role NAME: a configured role's (the built-in admin's too). */
static void
protect_role(const char *name)
{
	if (protect_cur == NULL)
		return;
	if (protect_cur->role[0] != '\0') {
		parse_error("protect: one role a rule");
		return;
	}
	/* config_finish checks that it names a role. */
	if (name[0] == '\0' || strlen(name) >= sizeof(protect_cur->role)) {
		parse_error("protect: no role \"%.48s\"", name);
		return;
	}
	(void)strlcpy(protect_cur->role, name, sizeof(protect_cur->role));
}

static void
protect_admin(const char *s)
{
	if (protect_cur != NULL)
		(void)yes_no("protect admin-access", s, &protect_cur->admin);
}

/*
 * The values of a portal statement, joined by a blank: several only
 * for redirect-allow.  Too long a list is the setting's error.
 */
static char	 portal_values[CONF_URL_LIST_MAX + 1];
static int	 portal_nvalues;

static void
portal_value(const char *s, int first)
{
	if (first) {
		portal_values[0] = '\0';
		portal_nvalues = 0;
	}
	if (portal_nvalues++ > 0)
		(void)strlcat(portal_values, " ", sizeof(portal_values));
	(void)strlcat(portal_values, s, sizeof(portal_values));
}

static void
portal_setting(const char *word)
{
	if (portal_nvalues > 1 && strcmp(word, "redirect-allow") != 0) {
		parse_error("%s takes one value", word);
		return;
	}
	setting_word("portal", word, portal_values);
}

static int
yes_no(const char *what, const char *s, int *dst)
{
	if (strcmp(s, "yes") == 0)
		*dst = 1;
	else if (strcmp(s, "no") == 0)
		*dst = 0;
	else {
		parse_error("%s: \"%s\" is neither yes nor no", what, s);
		return -1;
	}
	return 0;
}

static void
data_init(void)
{
	memset(&data, 0, sizeof(data));
	TAILQ_INIT(&data.junk_collections);
	TAILQ_INIT(&data.junk_roles);
	TAILQ_INIT(&data.junk_policies);
	TAILQ_INIT(&data.junk_perms);
}

/* Frees the refused blocks once the parse is over. */
static void
data_clear(void)
{
	struct conf_collection	*c;
	struct conf_role	*r;
	struct conf_policy	*pol;
	struct conf_permission	*p;

	while ((c = TAILQ_FIRST(&data.junk_collections)) != NULL) {
		TAILQ_REMOVE(&data.junk_collections, c, entry);
		config_collection_free(c);
	}
	while ((r = TAILQ_FIRST(&data.junk_roles)) != NULL) {
		TAILQ_REMOVE(&data.junk_roles, r, entry);
		config_role_free(r);
	}
	while ((pol = TAILQ_FIRST(&data.junk_policies)) != NULL) {
		TAILQ_REMOVE(&data.junk_policies, pol, entry);
		config_policy_free(pol);
	}
	while ((p = TAILQ_FIRST(&data.junk_perms)) != NULL) {
		TAILQ_REMOVE(&data.junk_perms, p, entry);
		config_permission_free(p);
	}
	free(data.perm_collection);
	data_init();
}

static void
collection_begin(const char *name)
{
	const char	*errstr;

	if ((data.collection = config_collection_new(name)) == NULL)
		fatal("%s", __func__);
	if ((errstr = config_collection_add(conf, data.collection)) != NULL) {
		parse_error("collection \"%s\": %s", name, errstr);
		TAILQ_INSERT_TAIL(&data.junk_collections, data.collection,
		    entry);
	}
	data.fields = FIELDS_COLLECTION;
}

static void
collection_primary_key(const char *s)
{
	if (strcmp(s, "integer") == 0)
		data.collection->pk_uuid = 0;
	else if (strcmp(s, "uuid") == 0)
		data.collection->pk_uuid = 1;
	else
		parse_error("collection \"%s\": primary-key \"%s\" is neither "
		    "integer nor uuid", data.collection->name, s);
}

static void
collection_relation(const char *field, const char *target)
{
	const char	*errstr;

	if ((errstr = config_relation_add(data.collection, field, target)) !=
	    NULL)
		parse_error("collection \"%s\": field \"%s\": %s",
		    data.collection->name, field, errstr);
	else if (strcmp(target, CONF_USERS_COLLECTION) != 0 &&
	    strcmp(target, data.collection->name) != 0 &&
	    config_collection(conf, target) == NULL)
		parse_error("collection \"%s\": field \"%s\" references "
		    "\"%s\": no such collection (declare it first)",
		    data.collection->name, field, target);
}

static void
collection_end(void)
{
	struct conf_collection	*c = data.collection;
	const char		*errstr;
	size_t			 i;

	/* A relation's field is one of a collection's listed fields. */
	for (i = 0; c->fields.n > 0 && i < c->nrelations; i++)
		if (!config_fields_has(&c->fields, c->relations[i].field) &&
		    (errstr = config_fields_add(&c->fields,
		    c->relations[i].field)) != NULL)
			parse_error("collection \"%s\": %s", c->name, errstr);
	config_fields_finish(&data.collection->fields);
	data.collection = NULL;
	data.fields = FIELDS_NONE;
}

/* A name of a "fields" statement, in a collection or a permission. */
static void
field_add(const char *name)
{
	const char	*errstr, *what, *owner;

	switch (data.fields) {
	case FIELDS_COLLECTION:
		errstr = config_collection_field(data.collection, name);
		what = "collection";
		owner = data.collection->name;
		break;
	case FIELDS_PERMISSION:
		errstr = config_permission_field(conf, data.perm, name);
		what = "permission";
		owner = data.perm_collection;
		break;
	default:
		fatalx("%s: no fields here", __func__);
	}
	if (errstr != NULL)
		parse_error("%s \"%s\": field \"%s\": %s", what, owner, name,
		    errstr);
}

static void
role_begin(const char *name)
{
	const char	*errstr;

	if ((data.role = config_role_new(name)) == NULL)
		fatal("%s", __func__);
	data.role_line = yylval.lineno;
	data.role_id_seen = 0;
	data.policy = NULL;
	if ((errstr = config_role_add(conf, data.role)) != NULL) {
		parse_error("role \"%s\": %s", name, errstr);
		TAILQ_INSERT_TAIL(&data.junk_roles, data.role, entry);
		data.role_line = 0;
	}
}

static void
role_id(const char *id)
{
	const char	*errstr;

	data.role_id_seen = 1;
	if ((errstr = config_role_set_id(conf, data.role, id)) != NULL)
		parse_error("role \"%s\": %s", data.role->name, errstr);
}

static void
role_policy(const char *name)
{
	const char	*errstr;

	if ((errstr = config_role_policy(conf, data.role, name)) != NULL)
		parse_error("role \"%s\": policy \"%s\": %s",
		    data.role->name, name, errstr);
}

static void
role_parent(const char *name)
{
	const char	*errstr;

	if (data.role_line == 0)
		return;
	if ((errstr = config_role_parent(conf, data.role, name)) != NULL)
		parse_error("role \"%s\": parent \"%s\": %s",
		    data.role->name, name, errstr);
}

/* A refused role or id has had its error already. */
static void
role_end(void)
{
	const char	*errstr;

	if (!data.role_id_seen && data.role_line != 0)
		parse_error_line(data.role_line, "role \"%s\": missing id",
		    data.role->name);
	else if (data.role_line != 0 &&
	    (errstr = config_role_finish(conf, data.role)) != NULL)
		parse_error_line(data.role_line, "role \"%s\": its own "
		    "policy: %s", data.role->name, errstr);
	data.role = NULL;
	data.policy = NULL;
}

static void
public_begin(void)
{
	data.role = NULL;
	data.policy = conf->public_policy;
}

static void
public_policy(const char *name)
{
	const struct conf_policy	*p;
	const char			*errstr;

	if ((p = config_policy_by_name(conf, name)) == NULL ||
	    p->kind != CONF_POLICY_CONFIGURED)
		errstr = "no such policy declared before it";
	else
		errstr = config_refs_add(&conf->public,
		    (struct conf_policy *)p, 0);
	if (errstr != NULL)
		parse_error("public: policy \"%s\": %s", name, errstr);
}

static void
policy_begin(const char *name)
{
	const char	*errstr;

	if ((data.policy = config_policy_new(name,
	    CONF_POLICY_CONFIGURED)) == NULL)
		fatal("%s", __func__);
	data.role = NULL;
	data.policy_line = yylval.lineno;
	data.policy_id_seen = 0;
	if ((errstr = config_policy_add(conf, data.policy)) != NULL) {
		parse_error("policy \"%s\": %s", name, errstr);
		TAILQ_INSERT_TAIL(&data.junk_policies, data.policy, entry);
		data.policy_line = 0;
	}
}

static void
policy_id(const char *id)
{
	const char	*errstr;

	data.policy_id_seen = 1;
	if ((errstr = config_policy_set_id(conf, data.policy, id)) != NULL)
		parse_error("policy \"%s\": %s", data.policy->name, errstr);
}

static void
policy_ip_allow(const char *text)
{
	const char	*errstr;

	if ((errstr = config_policy_ip_allow(data.policy, text)) != NULL)
		parse_error("policy \"%s\": ip-allow \"%s\": %s",
		    data.policy->name, text, errstr);
}

static void
policy_end(void)
{
	if (!data.policy_id_seen && data.policy_line != 0)
		parse_error_line(data.policy_line, "policy \"%s\": missing "
		    "id", data.policy->name);
	data.policy = NULL;
}

/*
 * The policy the block's own lines go to: the policy's, the public's,
 * or the role's own, made on its first line.  A refused block's lines
 * go to one thrown away, so that they are checked too.
 */
static struct conf_policy *
data_policy(void)
{
	struct conf_policy	*p;
	const char		*errstr;

	if (data.policy != NULL)
		return data.policy;
	if (data.role != NULL && data.role_line != 0) {
		if ((p = config_role_own(conf, data.role, &errstr)) != NULL)
			return data.policy = p;
		parse_error("role \"%s\": %s", data.role->name, errstr);
		data.role_line = 0;
	}
	if ((p = config_policy_new("refused", CONF_POLICY_CONFIGURED)) ==
	    NULL)
		fatal("%s", __func__);
	TAILQ_INSERT_TAIL(&data.junk_policies, p, entry);
	return data.policy = p;
}

/* Where an admin-access, app-access or enforce-tfa line writes. */
static int *
policy_flag(int token)
{
	struct conf_policy	*p;

	p = data_policy();
	switch (token) {
	case ADMINACCESS:
		return &p->admin;
	case APPACCESS:
		return &p->app;
	default:
		return &p->enforce_tfa;
	}
}

static void
permission_name(const char *name)
{
	free(data.perm_collection);
	data.perm_collection = xstrdup(name);
	data.perm_actions = 0;
	data.perm_bad = 0;
}

static void
permission_action(const char *s)
{
	int	 bit;

	if ((bit = config_action(s)) == 0) {
		parse_error("permission \"%s\": unknown action \"%s\" (create, "
		    "read, update or delete)", data.perm_collection, s);
		data.perm_bad = 1;
	} else if ((data.perm_actions & bit) != 0) {
		parse_error("permission \"%s\": action \"%s\" given twice",
		    data.perm_collection, s);
		data.perm_bad = 1;
	} else
		data.perm_actions |= bit;
}

/* After the actions: the permission exists for its block to fill. */
static void
permission_begin(void)
{
	const char	*errstr = NULL;

	data.perm = config_permission_new(data.perm_collection,
	    data.perm_actions);
	if (data.perm == NULL)
		fatal("%s", __func__);
	if (data.perm_bad || (errstr = config_permission_add(conf,
	    &data_policy()->perms, data.perm)) != NULL) {
		if (errstr != NULL)
			parse_error("permission \"%s\": %s",
			    data.perm_collection, errstr);
		TAILQ_INSERT_TAIL(&data.junk_perms, data.perm, entry);
	}
	data.fields = FIELDS_PERMISSION;
}

static void
permission_json(enum conf_json which, const char *text)
{
	char	 why[512];

	if (config_permission_json(conf, data.perm, which, text, why,
	    sizeof(why)) == -1)
		parse_error("permission \"%s\": %s", data.perm_collection, why);
}

static void
permission_end(void)
{
	config_fields_finish(&data.perm->fields);
	data.perm = NULL;
	data.fields = FIELDS_NONE;
}

static int
addrinfo_seen(const struct addrinfo *res, const struct addrinfo *ai)
{
	for (; res != ai; res = res->ai_next)
		if (res->ai_addrlen == ai->ai_addrlen &&
		    memcmp(res->ai_addr, ai->ai_addr, ai->ai_addrlen) == 0)
			return 1;
	return 0;
}

/* A literal address first, then the name service. */
static int
listen_resolve(const char *host, struct addrinfo **res)
{
	struct addrinfo	 hints;
	int		 rv;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (strcmp(host, "*") == 0)
		host = "0.0.0.0";
	if (getaddrinfo(host, NULL, &hints, res) == 0)
		return 0;
	hints.ai_flags = 0;
	if ((rv = getaddrinfo(host, NULL, &hints, res)) != 0) {
		parse_error("listen on %s: %s", host, gai_strerror(rv));
		return -1;
	}
	return 0;
}

static void
listen_on(const char *host, long long port, int tls)
{
	struct addrinfo	*res, *ai;
	const char	*errstr;

	if (port == -1 || listen_resolve(host, &res) == -1)
		return;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (addrinfo_seen(res, ai))
			continue;
		if (config_listen_add(conf, host, ai->ai_addr, ai->ai_addrlen,
		    (int)port, &errstr) == -1) {
			parse_error("listen on %s: %s", host, errstr);
			break;
		}
		TAILQ_LAST(&conf->listens, listen_list)->tls = tls;
	}
	freeaddrinfo(res);
}

static void
lex_reset(void)
{
	memset(&lexinfo, 0, sizeof(lexinfo));
}

/*
 * Parses a config file and everything it includes.  Returns the
 * finished config, or NULL after logging every error found.
 */
struct tokend_config *
parse_config(const char *filename)
{
	struct tokend_config	*result;

	errors = 0;
	lex_reset();
	data_init();
	if ((conf = config_new()) == NULL)
		fatal("%s", __func__);
	if ((file = pushfile(filename, NULL)) != NULL) {
		topfile = file;
		if (yyparse() != 0 && errors == 0)
			errors++;
		while (file != NULL)
			popfile();
		topfile = NULL;
	}
	macros_clear_file();
	data_clear();
	strings_free_except(NULL);
	free(pending);
	pending = NULL;
	pending_max = 0;
	result = conf;
	conf = NULL;
	cookie_block = NULL;
	protect_cur = NULL;
	if (errors == 0 && config_finish(result) == -1)
		errors++;
	if (errors > 0) {
		config_free(result);
		return NULL;
	}
	return result;
}
