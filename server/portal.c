/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The sign-in portal: a login page and an account page, plain HTML,
 * one CSS file and one script, served by the workers under portal path
 * (by default /portal/).  The parent reads the files from portal
 * directory, as root, at start and on each reload (portal_files_load),
 * and sends them to every worker (MSG_PORTAL_FILES), which keeps them
 * in memory with the portal's title written in: a worker opens no file.
 *
 * Below the portal's path:
 *	""		GET: the login page
 *	account		GET: the account page
 *	portal.css	GET: the style sheet
 *	portal.js	GET: the script of both pages
 *	next?rd=URL	GET: 302 to URL when portal redirect-allow allows
 *			it (shared/redirect.c), else to the account page
 *	qr		POST {"text": ...}: that text as a QR code, SVG
 *			(an otpauth:// URL, which must not go into a URL
 *			of its own, nor into any log)
 *
 * Every answer carries a strict Content-Security-Policy (no inline
 * script or style, no frame), nosniff and no Referer.  The pages talk
 * to the API of the same origin with the session cookie.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>
#include <qrencode.h>

#include "log.h"
#include "proto.h"
#include "redirect.h"
#include "tokend.h"

#define PORTAL_CSP	"default-src 'self'; frame-ancestors 'none'; " \
			"base-uri 'none'; form-action 'self'"
#define PORTAL_QR_TEXT_MAX	1024	/* bytes a QR code is made of */
#define PORTAL_QR_BODY_MAX	2048	/* bytes of its request's body */
#define PORTAL_QR_QUIET		4	/* modules of white around it */
#define PORTAL_TITLE_MARK	"{{title}}"

/* The files, in the order of MSG_PORTAL_FILES and of portal_names. */
enum portal_file {
	PORTAL_LOGIN,
	PORTAL_ACCOUNT,
	PORTAL_CSS,
	PORTAL_JS,
	PORTAL_NFILES
};
_Static_assert(PORTAL_NFILES == PORTAL_FILES, "PORTAL_FILES in tokend.h");

static const char *const portal_names[PORTAL_NFILES] = {
	"login.html", "account.html", "portal.css", "portal.js"
};
static const char *const portal_types[PORTAL_NFILES] = {
	"text/html; charset=utf-8", "text/html; charset=utf-8",
	"text/css; charset=utf-8", "text/javascript; charset=utf-8"
};

/* The worker's copy, the title written in; NULL until the parent's. */
static struct {
	char	*data;
	size_t	 len;
} portal_pages[PORTAL_NFILES];

static int	 portal_read(const char *, const char *, uint8_t **,
		    size_t *, char *, size_t);
static char	*portal_fill(const uint8_t *, size_t, const char *,
		    size_t *);
static void	 portal_page(struct evhttp_request *, enum portal_file);
static void	 portal_next(struct server *, struct evhttp_request *);
static void	 portal_qr(struct evhttp_request *);
static char	*portal_qr_svg(const char *, size_t *);

/*
 * The parent, at start (as root) and on reload: conf's portal files,
 * each a regular file of 1 to PORTAL_FILE_MAX bytes.  On success files
 * holds them (the old ones freed); on failure it is left as it was.
 */
int
portal_files_load(const struct tokend_config *conf,
    struct portal_files *files, char *why, size_t whylen)
{
	uint8_t	*data[PORTAL_NFILES] = { NULL };
	size_t	 len[PORTAL_NFILES];
	int	 i;

	if (!conf->portal_on)
		return 0;
	for (i = 0; i < PORTAL_NFILES; i++)
		if (portal_read(conf->portal_directory, portal_names[i],
		    &data[i], &len[i], why, whylen) == -1) {
			while (i-- > 0)
				free(data[i]);
			return -1;
		}
	portal_files_clear(files);
	for (i = 0; i < PORTAL_NFILES; i++) {
		files->data[i] = data[i];
		files->len[i] = len[i];
	}
	return 0;
}

void
portal_files_clear(struct portal_files *files)
{
	int	 i;

	for (i = 0; i < PORTAL_NFILES; i++)
		free(files->data[i]);
	memset(files, 0, sizeof(*files));
}

static int
portal_read(const char *dir, const char *name, uint8_t **out, size_t *outlen,
    char *why, size_t whylen)
{
	char		 path[PATH_MAX];
	struct stat	 st;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path)) {
		(void)snprintf(why, whylen, "portal: %s: path too long", dir);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		(void)snprintf(why, whylen, "portal: %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > PORTAL_FILE_MAX) {
		(void)snprintf(why, whylen, "portal: %s: not a file of 1 to "
		    "%d bytes", path, PORTAL_FILE_MAX);
		close(fd);
		return -1;
	}
	if ((*out = malloc((size_t)st.st_size)) == NULL)
		fatal("malloc");
	while (len < (size_t)st.st_size && (n = read(fd, *out + len,
	    (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len != (size_t)st.st_size) {
		(void)snprintf(why, whylen, "portal: %s: short read", path);
		free(*out);
		*out = NULL;
		return -1;
	}
	*outlen = len;
	return 0;
}

/* The parent: the files to a worker, after its configuration. */
void
portal_files_send(const struct tokend_config *conf,
    const struct portal_files *files, struct frame_chan *chan)
{
	struct msg_portal_files	 m;

	if (!conf->portal_on || files->data[0] == NULL)
		return;
	m.login = files->data[PORTAL_LOGIN];
	m.login_len = files->len[PORTAL_LOGIN];
	m.account = files->data[PORTAL_ACCOUNT];
	m.account_len = files->len[PORTAL_ACCOUNT];
	m.css = files->data[PORTAL_CSS];
	m.css_len = files->len[PORTAL_CSS];
	m.js = files->data[PORTAL_JS];
	m.js_len = files->len[PORTAL_JS];
	if (msg_send(chan, MSG_PORTAL_FILES, 0, -1, &m) == -1)
		log_warnx("cannot send the portal's files");
}

/*
 * A worker: MSG_PORTAL_FILES, kept with the title written into the
 * pages (HTML-escaped: the title is any printable ASCII).
 */
int
portal_set_files(const struct tokend_config *conf, struct frame *f)
{
	struct msg_portal_files	 m;
	const uint8_t		*data[PORTAL_NFILES];
	size_t			 len[PORTAL_NFILES];
	int			 i;

	if (msg_read(f, MSG_PORTAL_FILES, &m) == -1)
		return -1;
	data[PORTAL_LOGIN] = m.login;
	len[PORTAL_LOGIN] = m.login_len;
	data[PORTAL_ACCOUNT] = m.account;
	len[PORTAL_ACCOUNT] = m.account_len;
	data[PORTAL_CSS] = m.css;
	len[PORTAL_CSS] = m.css_len;
	data[PORTAL_JS] = m.js;
	len[PORTAL_JS] = m.js_len;
	for (i = 0; i < PORTAL_NFILES; i++) {
		free(portal_pages[i].data);
		portal_pages[i].data = portal_fill(data[i], len[i],
		    i == PORTAL_LOGIN || i == PORTAL_ACCOUNT ?
		    conf->portal_title : NULL, &portal_pages[i].len);
	}
	log_debug("portal: files received");
	return 0;
}

/* A NUL-terminated copy of data, "{{title}}" replaced when title. */
static char *
portal_fill(const uint8_t *data, size_t len, const char *title, size_t *out)
{
	struct evbuffer	*b;
	const char	*p = (const char *)data, *end = p + len, *m, *t;
	char		*s;
	size_t		 mlen = sizeof(PORTAL_TITLE_MARK) - 1;

	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	while (title != NULL && (m = memmem(p, (size_t)(end - p),
	    PORTAL_TITLE_MARK, mlen)) != NULL) {
		evbuffer_add(b, p, (size_t)(m - p));
		for (t = title; *t != '\0'; t++)
			switch (*t) {
			case '&': evbuffer_add(b, "&amp;", 5); break;
			case '<': evbuffer_add(b, "&lt;", 4); break;
			case '>': evbuffer_add(b, "&gt;", 4); break;
			case '"': evbuffer_add(b, "&quot;", 6); break;
			case '\'': evbuffer_add(b, "&#39;", 5); break;
			default: evbuffer_add(b, t, 1); break;
			}
		p = m + mlen;
	}
	evbuffer_add(b, p, (size_t)(end - p));
	*out = evbuffer_get_length(b);
	if ((s = malloc(*out + 1)) == NULL)
		fatal("malloc");
	evbuffer_remove(b, s, *out);
	s[*out] = '\0';
	evbuffer_free(b);
	return s;
}

/*
 * What follows the portal's path in path, or NULL when path is not
 * the portal's.  The path without its closing '/' is "/" (a redirect).
 */
const char *
portal_rest(const struct tokend_config *conf, const char *path)
{
	size_t	 n = strlen(conf->portal_path);

	if (!conf->portal_on)
		return NULL;
	if (strncmp(path, conf->portal_path, n) == 0)
		return path + n;
	if (strlen(path) == n - 1 && strncmp(path, conf->portal_path,
	    n - 1) == 0)
		return "/";
	return NULL;
}

/* The headers of every answer under the portal's path (http.c). */
void
portal_headers(struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Security-Policy", PORTAL_CSP);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Cache-Control", "no-store");
}

/* The portal's routes; rest is what portal_rest() found. */
void
portal_serve(struct server *s, struct evhttp_request *req, const char *rest)
{
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	int			 get = cmd == EVHTTP_REQ_GET ||
				    cmd == EVHTTP_REQ_HEAD;
	char			 to[CONF_PORTAL_PATH_MAX];

	if (get && strcmp(rest, "/") == 0) {
		(void)strlcpy(to, s->conf->portal_path, sizeof(to));
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Location", to);
		http_reply(req, 302, "Found");
	} else if (get && rest[0] == '\0')
		portal_page(req, PORTAL_LOGIN);
	else if (get && strcmp(rest, "account") == 0)
		portal_page(req, PORTAL_ACCOUNT);
	else if (get && strcmp(rest, "portal.css") == 0)
		portal_page(req, PORTAL_CSS);
	else if (get && strcmp(rest, "portal.js") == 0)
		portal_page(req, PORTAL_JS);
	else if (get && strcmp(rest, "next") == 0)
		portal_next(s, req);
	else if (cmd == EVHTTP_REQ_POST && strcmp(rest, "qr") == 0)
		portal_qr(req);
	else
		http_not_found(req, s);
}

static void
portal_page(struct evhttp_request *req, enum portal_file which)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	if (portal_pages[which].data == NULL) {
		http_error(req, 503, "SERVICE_UNAVAILABLE",
		    "The portal's files have not been loaded.");
		return;
	}
	evhttp_add_header(h, "Content-Type", portal_types[which]);
	evbuffer_add(evhttp_request_get_output_buffer(req),
	    portal_pages[which].data, portal_pages[which].len);
	http_reply(req, 200, "OK");
}

/*
 * GET next?rd=URL: after a login, the browser goes to URL only when
 * portal redirect-allow allows it; any other rd, a repeated one or
 * none goes to the account page.  The answer's Location is the URL as
 * it was checked, byte for byte.
 */
static void
portal_next(struct server *s, struct evhttp_request *req)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	struct evkeyvalq	 params;
	struct evkeyval		*kv;
	const char		*query, *rd = NULL;
	char			 to[CONF_PORTAL_PATH_MAX + 16];
	int			 n = 0;

	TAILQ_INIT(&params);
	query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	if (query != NULL && strlen(query) <= 3 * REDIRECT_URL_MAX &&
	    evhttp_parse_query_str(query, &params) == 0)
		TAILQ_FOREACH(kv, &params, next)
			if (strcmp(kv->key, "rd") == 0) {
				rd = kv->value;
				n++;
			}
	if (n == 1 && redirect_allowed(s->conf->portal_redirect_allow, rd))
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Location", rd);
	else {
		(void)snprintf(to, sizeof(to), "%saccount",
		    s->conf->portal_path);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Location", to);
	}
	evhttp_clear_headers(&params);
	http_reply(req, 302, "Found");
}

/* POST qr {"text": "..."}: the text as a QR code, image/svg+xml. */
static void
portal_qr(struct evhttp_request *req)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	size_t		 len = evbuffer_get_length(in), svglen;
	json_t		*body, *text;
	char		*svg;

	if (len == 0 || len > PORTAL_QR_BODY_MAX ||
	    (body = json_loadb((const char *)evbuffer_pullup(in, -1), len,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		http_error(req, 400, "INVALID_PAYLOAD",
		    "Invalid payload. A JSON object {\"text\": ...} of at "
		    "most 2048 bytes is required.");
		return;
	}
	text = json_object_get(body, "text");
	if (!json_is_string(text) || json_string_length(text) == 0 ||
	    json_string_length(text) > PORTAL_QR_TEXT_MAX) {
		json_decref(body);
		http_error(req, 400, "INVALID_PAYLOAD",
		    "Invalid payload. \"text\" must be a string of 1 to 1024 "
		    "bytes.");
		return;
	}
	svg = portal_qr_svg(json_string_value(text), &svglen);
	json_decref(body);
	if (svg == NULL) {
		http_error(req, 500, "INTERNAL_SERVER_ERROR",
		    "An unexpected error occurred.");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "image/svg+xml");
	evbuffer_add(evhttp_request_get_output_buffer(req), svg, svglen);
	freezero(svg, svglen);	/* an otpauth URL's QR code holds its secret */
	http_reply(req, 200, "OK");
}

/*
 * The SVG of text's QR code (error correction M): a white square with
 * a quiet zone and one path of unit squares, one per dark module.
 */
static char *
portal_qr_svg(const char *text, size_t *outlen)
{
	QRcode		*qr;
	struct evbuffer	*b;
	char		*s;
	int		 x, y, w, size;

	if ((qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8,
	    1)) == NULL)
		return NULL;
	if ((b = evbuffer_new()) == NULL)
		fatalx("evbuffer_new");
	w = qr->width;
	size = w + 2 * PORTAL_QR_QUIET;
	evbuffer_add_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	    "shape-rendering=\"crispEdges\" role=\"img\" "
	    "aria-label=\"QR code\"><rect width=\"%d\" height=\"%d\" "
	    "fill=\"#fff\"/><path fill=\"#000\" d=\"", size, size, size * 6,
	    size * 6, size, size);
	for (y = 0; y < w; y++)
		for (x = 0; x < w; x++)
			if (qr->data[y * w + x] & 1)
				evbuffer_add_printf(b, "M%d %dh1v1h-1z",
				    x + PORTAL_QR_QUIET, y + PORTAL_QR_QUIET);
	evbuffer_add_printf(b, "\"/></svg>\n");
	QRcode_free(qr);
	*outlen = evbuffer_get_length(b);
	if ((s = malloc(*outlen)) == NULL)
		fatal("malloc");
	evbuffer_remove(b, s, *outlen);
	evbuffer_free(b);
	return s;
}
