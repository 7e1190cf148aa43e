/*
 * keyd: the only holder of the signing secret and the credential
 * database.  keyd.c is the dispatcher, secret.c loads the secret,
 * store.c is the credential store behind the store_* interface.
 */
#ifndef KEYD_H
#define KEYD_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "frame.h"

/* Defaults */
#define KEYD_SECRET_MIN		32	/* bytes */
#define KEYD_SECRET_MAX		4096
#define KEYD_SECRET_NEW		32	/* bytes of a generated secret */
#define KEYD_CHANNELS_MAX	CONF_PREFORK_MAX

/* Where a request may come from (keyd's request table). */
#define KEYD_FROM_PARENT	0x1
#define KEYD_FROM_SERVER	0x2

struct keyd_secret {
	uint8_t		*key;
	size_t		 len;
};

/* One worker's channel, known by slot and generation. */
struct keyd_chan {
	TAILQ_ENTRY(keyd_chan)	 entry;
	struct frame_chan	*chan;
	uint32_t		 slot;
	uint32_t		 generation;
	uint32_t		 pid;
};
TAILQ_HEAD(keyd_chan_list, keyd_chan);

struct keyd_request {
	uint32_t	 type;
	int		 from;
	int		(*handler)(struct keyd_chan *, struct frame *);
};

/* secret.c */
int		 secret_load(const char *, uid_t, gid_t, struct keyd_secret *);
void		 secret_free(struct keyd_secret *);

/* store.c */
int		 store_open(const char *);
void		 store_close(void);
int		 store_health(void);
int		 store_schema_version(void);

#endif /* KEYD_H */
