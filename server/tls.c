/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * TLS on the listen addresses marked tls, in two halves.
 *
 * The parent reads the certificate chain and its key (as root, at start
 * and on each reload), checks that they go together, and hands them to
 * the workers as MSG_TLS_CERT; it also makes the session ticket key
 * (MSG_TLS_TICKET), keeps it in memory only and replaces it every
 * TLS_TICKET_ROTATE_SEC.  keyd never sees any of it.
 *
 * A worker builds its SSL_CTX from those bytes, in memory: it opens no
 * file, and its system call filter is the one it has without TLS
 * (OpenSSL reads and writes its socket with read(2) and write(2), and
 * takes its randomness from getrandom(2)).  Each TLS connection is an
 * OpenSSL bufferevent that evhttp and the edge (edge.c) use as they use
 * a plain one.  Its handshake has its own deadline, handshake-deadline,
 * and a failed, slow or plain-HTTP handshake is logged and ends that
 * connection only.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L && !defined(LIBRESSL_VERSION_NUMBER)
#include <openssl/core_names.h>
#define TLS_TICKET_EVP	1
#endif

#include "log.h"
#include "proto.h"
#include "tokend.h"

#define TLS_PEER_MAX	64	/* "address port N" of a log line */
#define TLS_WHY_MAX	128	/* OpenSSL's reason, for the log */
#define TLS_RECORD_MAX	16384	/* the plaintext of one TLS record */

/* One connection's handshake, tied to its SSL object (tls_conn_index). */
struct tls_conn {
	struct bufferevent	*bev;
	struct event		*timer;		/* handshake-deadline */
	int			 started;	/* the client said something */
	int			 done;		/* handshake finished */
	int			 logged;	/* its failure was logged */
	char			 peer[TLS_PEER_MAX];
};

/* The worker's TLS state. */
static struct {
	SSL_CTX		*ctx;
	uint8_t		 ticket[2][TLS_TICKET_KEY_LEN];	/* current, previous */
	int		 ntickets;
	int		 conn_index;
} tls = { .conn_index = -1 };

static const unsigned char tls_alpn[] = "\x08http/1.1";

static int	 tls_read_file(const char *, size_t, uint8_t **, size_t *,
		    char *, size_t);
static int	 tls_use_pem(SSL_CTX *, const uint8_t *, size_t,
		    const uint8_t *, size_t);
static int	 tls_alpn_select(SSL *, const unsigned char **,
		    unsigned char *, const unsigned char *, unsigned int,
		    void *);
static void	 tls_info(const SSL *, int, int);
static void	 tls_peer(struct tls_conn *);
static void	 tls_plain_request(const SSL *, struct tls_conn *);
static void	 tls_deadline(evutil_socket_t, short, void *);
static void	 tls_coalesce(struct evbuffer *,
		    const struct evbuffer_cb_info *, void *);
static void	 tls_conn_free(void *, void *, CRYPTO_EX_DATA *, int, long,
		    void *);
#ifdef TLS_TICKET_EVP
static int	 tls_ticket(SSL *, unsigned char *, unsigned char *,
		    EVP_CIPHER_CTX *, EVP_MAC_CTX *, int);
static int	 tls_ticket_keys(const uint8_t *, unsigned char *,
		    EVP_CIPHER_CTX *, EVP_MAC_CTX *, int);
#endif

/*
 * Before the chroot and the filter: OpenSSL reads its configuration
 * file here, and never again.
 */
void
tls_init(void)
{
	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
		fatalx("tls: cannot initialise OpenSSL");
	tls.conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL,
	    tls_conn_free);
	if (tls.conn_index == -1)
		fatalx("tls: SSL_get_ex_new_index");
}

/*
 * An SSL_CTX serving the certificate chain cert with its key (PEM, in
 * memory) as conf says: its protocols and TLS 1.2 ciphers in the
 * server's order of preference, ALPN http/1.1 only, no renegotiation,
 * no compression, stateless tickets only (a worker keeps no session
 * cache: a ticket is good on every worker).  NULL with why on failure.
 */
SSL_CTX *
tls_ctx_new(const struct tokend_config *conf, const uint8_t *cert,
    size_t certlen, const uint8_t *key, size_t keylen, char *why,
    size_t whylen)
{
	SSL_CTX		*ctx;
	int		 lo, hi;
	unsigned long	 e;

	ERR_clear_error();
	if (config_tls_protocols(conf->tls_protocols, &lo, &hi) == -1) {
		(void)snprintf(why, whylen, "tls protocols: invalid");
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto fail;
	if (SSL_CTX_set_min_proto_version(ctx, lo == 12 ? TLS1_2_VERSION :
	    TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, hi == 12 ? TLS1_2_VERSION :
	    TLS1_3_VERSION) != 1)
		goto fail;
	if (SSL_CTX_set_cipher_list(ctx, conf->tls_ciphers) != 1) {
		(void)snprintf(why, whylen, "tls ciphers \"%s\": no cipher "
		    "OpenSSL knows", conf->tls_ciphers);
		SSL_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	(void)SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_COMPRESSION);
#ifdef SSL_OP_NO_RENEGOTIATION
	(void)SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
#endif
	(void)SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	(void)SSL_CTX_set_timeout(ctx, TLS_TICKET_LIFETIME_SEC);
#ifdef TLS_TICKET_EVP
	(void)SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, tls_ticket);
	/*
	 * One ticket per TLS 1.3 handshake, not OpenSSL's two: a client
	 * resumes a connection with one, and each ticket costs its
	 * encryption and a record on every new connection.
	 */
	(void)SSL_CTX_set_num_tickets(ctx, 1);
#else
	(void)SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
#endif
	SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select, NULL);
	SSL_CTX_set_info_callback(ctx, tls_info);
	if (tls_use_pem(ctx, cert, certlen, key, keylen) == -1) {
		e = ERR_peek_last_error();
		(void)snprintf(why, whylen, "the certificate or its key: %s",
		    e != 0 ? ERR_reason_error_string(e) : "unreadable");
		SSL_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	ERR_clear_error();
	return ctx;
 fail:
	(void)snprintf(why, whylen, "cannot set up OpenSSL");
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}

/* The leaf, then the rest of the chain, then the key that must match. */
static int
tls_use_pem(SSL_CTX *ctx, const uint8_t *cert, size_t certlen,
    const uint8_t *key, size_t keylen)
{
	BIO		*bio;
	X509		*x;
	EVP_PKEY	*pkey;
	int		 rv = -1;

	if (certlen > INT_MAX || keylen > INT_MAX ||
	    (bio = BIO_new_mem_buf(cert, (int)certlen)) == NULL)
		return -1;
	if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    SSL_CTX_use_certificate(ctx, x) != 1) {
		X509_free(x);
		BIO_free(bio);
		return -1;
	}
	X509_free(x);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			BIO_free(bio);
			return -1;
		}
	BIO_free(bio);
	ERR_clear_error();	/* the end of the chain */
	if ((bio = BIO_new_mem_buf(key, (int)keylen)) == NULL)
		return -1;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey != NULL && SSL_CTX_use_PrivateKey(ctx, pkey) == 1 &&
	    SSL_CTX_check_private_key(ctx) == 1)
		rv = 0;
	EVP_PKEY_free(pkey);
	return rv;
}

/* RFC 7301: http/1.1, or a fatal no_application_protocol alert. */
static int
tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char	*sel;

	if (SSL_select_next_proto(&sel, outlen, tls_alpn,
	    sizeof(tls_alpn) - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

#ifdef TLS_TICKET_EVP
/*
 * Session tickets under the parent's key: issued under the current
 * one, taken under it or the one before (and then renewed); any other
 * means a full handshake.  No key yet: no ticket.  Under TLS 1.3 every
 * resumption is given a new ticket (return 2): a client uses a ticket
 * once (RFC 8446, appendix C.4), so one not renewed ends the client's
 * resumptions after one.
 */
static int
tls_ticket(SSL *ssl, unsigned char *name, unsigned char *iv,
    EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx, int enc)
{
	int	 i;

	if (tls.ntickets == 0)
		return 0;
	if (enc) {
		memcpy(name, tls.ticket[0], TLS_TICKET_NAME_LEN);
		if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1)
			return -1;
		return tls_ticket_keys(tls.ticket[0], iv, ectx, hctx, 1);
	}
	for (i = 0; i < tls.ntickets; i++)
		if (CRYPTO_memcmp(name, tls.ticket[i],
		    TLS_TICKET_NAME_LEN) == 0)
			break;
	if (i == tls.ntickets)
		return 0;
	if (tls_ticket_keys(tls.ticket[i], iv, ectx, hctx, 0) != 1)
		return -1;
	return i == 0 && SSL_version(ssl) != TLS1_3_VERSION ? 1 : 2;
}

static int
tls_ticket_keys(const uint8_t *k, unsigned char *iv, EVP_CIPHER_CTX *ectx,
    EVP_MAC_CTX *hctx, int enc)
{
	OSSL_PARAM	 params[3];
	const uint8_t	*hmac = k + TLS_TICKET_NAME_LEN;
	const uint8_t	*aes = hmac + 32;

	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	    (void *)(uintptr_t)hmac, 32);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)(uintptr_t)"sha256", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(hctx, params) != 1)
		return -1;
	if (enc)
		return EVP_EncryptInit_ex(ectx, EVP_aes_256_cbc(), NULL, aes,
		    iv) == 1 ? 1 : -1;
	return EVP_DecryptInit_ex(ectx, EVP_aes_256_cbc(), NULL, aes, iv) ==
	    1 ? 1 : -1;
}
#endif

/* MSG_TLS_CERT: new handshakes use it; open connections keep theirs. */
int
tls_set_cert(const struct tokend_config *conf, struct frame *f)
{
	struct msg_tls_cert	 m;
	SSL_CTX			*ctx;
	char			 why[256];

	if (msg_read(f, MSG_TLS_CERT, &m) == -1)
		return -1;
	if ((ctx = tls_ctx_new(conf, m.cert, m.cert_len, m.key, m.key_len,
	    why, sizeof(why))) == NULL) {
		log_warnx("tls: keeping the old certificate: %s", why);
		return 0;
	}
	SSL_CTX_free(tls.ctx);
	tls.ctx = ctx;
	log_debug("tls: certificate loaded");
	return 0;
}

/* MSG_TLS_TICKET: the current key becomes the previous one. */
int
tls_set_ticket(struct frame *f)
{
	struct msg_tls_ticket	 m;

	if (msg_read(f, MSG_TLS_TICKET, &m) == -1 ||
	    m.key_len != TLS_TICKET_KEY_LEN)
		return -1;
	memcpy(tls.ticket[1], tls.ticket[0], TLS_TICKET_KEY_LEN);
	memcpy(tls.ticket[0], m.key, TLS_TICKET_KEY_LEN);
	tls.ntickets = tls.ntickets == 0 ? 1 : 2;
	return 0;
}

int
tls_ready(void)
{
	return tls.ctx != NULL;
}

/*
 * A TLS connection for evhttp (edge.c's bevcb): evhttp gives it its
 * socket, and the handshake starts.  NULL when there is no certificate
 * yet, or no memory.
 */
struct bufferevent *
tls_bev_new(struct event_base *base, int deadline_ms)
{
	struct bufferevent	*bev;
	struct tls_conn		*c;
	SSL			*ssl;
	struct timeval		 tv = { deadline_ms / 1000,
				    (deadline_ms % 1000) * 1000 };

	if (tls.ctx == NULL || (ssl = SSL_new(tls.ctx)) == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* From here on, SSL_free frees c (tls_conn_free). */
	if (SSL_set_ex_data(ssl, tls.conn_index, c) != 1) {
		free(c);
		SSL_free(ssl);
		return NULL;
	}
	if ((c->timer = evtimer_new(base, tls_deadline, c)) == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* On failure libevent may have freed ssl already: leave it. */
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	if (evbuffer_add_cb(bufferevent_get_output(bev), tls_coalesce,
	    NULL) == NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	c->bev = bev;
	evtimer_add(c->timer, &tv);
	return bev;
}

/*
 * evhttp adds a response's head and its body to the output as separate
 * chunks, and bufferevent_openssl makes a TLS record, and a write, of
 * each chunk.  An answer that fits in one record is made one chunk as
 * it grows, so that it leaves in one record and one write, as nginx
 * sends it.  Larger ones fill their records anyway.
 */
static void
tls_coalesce(struct evbuffer *out, const struct evbuffer_cb_info *info,
    void *arg)
{
	(void)arg;
	if (info->n_added == 0 || evbuffer_get_length(out) > TLS_RECORD_MAX ||
	    evbuffer_peek(out, -1, NULL, NULL, 0) < 2)
		return;
	(void)evbuffer_pullup(out, -1);
}

/* The SSL object is freed: so is its handshake state. */
static void
tls_conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	struct tls_conn	*c = ptr;

	if (c == NULL)
		return;
	if (c->started && !c->done && !c->logged)
		log_info("tls: %s: closed during the handshake", c->peer);
	if (c->timer != NULL)
		event_free(c->timer);
	free(c);
}

/*
 * OpenSSL's progress: the handshake's end disarms the deadline; a
 * failure is logged with OpenSSL's reason (the client sees only its
 * alert).
 */
static void
tls_info(const SSL *ssl, int where, int ret)
{
	struct tls_conn	*c = SSL_get_ex_data(ssl, tls.conn_index);
	unsigned long	 e;
	char		 why[TLS_WHY_MAX];

	if (c == NULL || c->done)
		return;
	if (!c->started) {
		c->started = 1;
		tls_peer(c);
	}
	if (where & SSL_CB_HANDSHAKE_DONE) {
		c->done = 1;
		evtimer_del(c->timer);
		return;
	}
	if (!(where & SSL_CB_EXIT) || ret > 0 || c->logged ||
	    (e = ERR_peek_last_error()) == 0)
		return;
	c->logged = 1;
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_HTTP_REQUEST) {
		log_info("tls: %s: a plain HTTP request on a TLS port",
		    c->peer);
		tls_plain_request(ssl, c);
		return;
	}
	(void)snprintf(why, sizeof(why), "%s", ERR_reason_error_string(e) ?
	    ERR_reason_error_string(e) : "unknown reason");
	log_info("tls: %s: handshake failed: %s", c->peer, why);
}

/* The client's address, while evhttp's connection surely exists. */
static void
tls_peer(struct tls_conn *c)
{
	void		*arg = NULL;
	char		*addr = NULL;
	ev_uint16_t	 port = 0;

	if (c->bev != NULL)
		bufferevent_getcb(c->bev, NULL, NULL, NULL, &arg);
	if (arg != NULL && evhttp_connection_get_bufferevent(arg) == c->bev)
		evhttp_connection_get_peer(arg, &addr, &port);
	(void)snprintf(c->peer, sizeof(c->peer), "%s port %u",
	    addr != NULL ? addr : "?", (unsigned)port);
}

/*
 * A plain HTTP request on a TLS port: a plain answer says what went
 * wrong (as nginx does), then OpenSSL's failure closes the connection.
 */
static void
tls_plain_request(const SSL *ssl, struct tls_conn *c)
{
	static const char	 body[] = "{\"errors\":[{\"message\":\"A plain "
	    "HTTP request was sent to a TLS port: use https.\",\"extensions\":"
	    "{\"code\":\"INVALID_PAYLOAD\"}}]}";
	char			 buf[512];
	int			 n, fd = SSL_get_fd(ssl);

	n = snprintf(buf, sizeof(buf), "HTTP/1.1 400 Bad Request\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
	    sizeof(body) - 1, body);
	if (fd != -1 && n > 0 && (size_t)n < sizeof(buf) &&
	    send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		log_debug("tls: send: %s", strerror(errno));
}

/* handshake-deadline passed: only this connection ends. */
static void
tls_deadline(evutil_socket_t fd, short ev, void *arg)
{
	struct tls_conn	*c = arg;
	void		*evcon = NULL;

	if (c->done)
		return;
	if (!c->started)
		tls_peer(c);
	c->logged = 1;
	log_info("tls: %s: handshake timed out", c->peer);
	if (c->bev != NULL)
		bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
	if (evcon != NULL && evhttp_connection_get_bufferevent(evcon) ==
	    c->bev)
		evhttp_connection_free(evcon);
}

/* Is this bufferevent a TLS connection? */
int
tls_bev_is_tls(struct bufferevent *bev)
{
	return bufferevent_openssl_get_ssl(bev) != NULL;
}

/*
 * evhttp is closing a connection: a finished handshake ends with a
 * close_notify alert, as TLS asks.  Without it a client sees the end
 * of the stream as an error, and OpenSSL clients then drop the session
 * instead of resuming it on their next connection.
 */
void
tls_bev_close(struct bufferevent *bev)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(bev);

	if (ssl == NULL || !SSL_is_init_finished(ssl))
		return;
	(void)SSL_shutdown(ssl);
	ERR_clear_error();
}

/*
 * The edge's refusal on a TLS connection, written through its SSL
 * object at once (the edge writes only when evhttp's output is empty).
 */
void
tls_bev_write(struct bufferevent *bev, const void *buf, size_t len)
{
	SSL	*ssl = bufferevent_openssl_get_ssl(bev);

	if (ssl != NULL && len <= INT_MAX && SSL_write(ssl, buf,
	    (int)len) <= 0) {
		log_debug("tls: could not write a refusal");
		ERR_clear_error();
	}
}

/*
 * The parent: read a file of at most max bytes (the certificate or the
 * key) into *out, to be freed with freezero.  -1 with why.
 */
static int
tls_read_file(const char *path, size_t max, uint8_t **out, size_t *outlen,
    char *why, size_t whylen)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		(void)snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || (size_t)st.st_size > max) {
		(void)snprintf(why, whylen, "%s: not a file of 1 to %zu bytes",
		    path, max);
		close(fd);
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size)) == NULL) {
		(void)snprintf(why, whylen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (len < (size_t)st.st_size && (n = read(fd, buf + len,
	    (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len != (size_t)st.st_size) {
		(void)snprintf(why, whylen, "%s: short read", path);
		freezero(buf, (size_t)st.st_size);
		return -1;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/*
 * The parent, at start (before the privilege drop of the children, as
 * root) and on reload: read conf's certificate and key and check that
 * OpenSSL takes them as a worker will.  On success files holds them
 * (the old ones wiped); on failure it is left as it was.
 */
int
tls_files_load(const struct tokend_config *conf, struct tls_files *files,
    char *why, size_t whylen)
{
	uint8_t		*cert = NULL, *key = NULL;
	size_t		 certlen, keylen;
	SSL_CTX		*ctx;
	char		 reason[192];

	if (config_tls_listens(conf) == 0)
		return 0;
	if (tls_read_file(conf->tls_certificate, TLS_CERT_MAX, &cert,
	    &certlen, reason, sizeof(reason)) == -1 ||
	    tls_read_file(conf->tls_key, TLS_KEY_MAX, &key, &keylen,
	    reason, sizeof(reason)) == -1) {
		(void)snprintf(why, whylen, "tls: %s", reason);
		free(cert);
		return -1;
	}
	if ((ctx = tls_ctx_new(conf, cert, certlen, key, keylen, reason,
	    sizeof(reason))) == NULL) {
		(void)snprintf(why, whylen, "tls: %s", reason);
		free(cert);
		freezero(key, keylen);
		return -1;
	}
	SSL_CTX_free(ctx);
	tls_files_clear(files);
	files->cert = cert;
	files->certlen = certlen;
	files->key = key;
	files->keylen = keylen;
	return 0;
}

void
tls_files_clear(struct tls_files *files)
{
	free(files->cert);
	if (files->key != NULL)
		freezero(files->key, files->keylen);
	memset(files, 0, sizeof(*files));
}

/* A new session ticket key, from the parent's randomness. */
void
tls_ticket_new(uint8_t *key)
{
	arc4random_buf(key, TLS_TICKET_KEY_LEN);
}
