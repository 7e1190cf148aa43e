/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * argon2rate: how many argon2id hashes per second this machine computes
 * the way keyd does (keyd/hash.c): a pool of THREADS threads, each hash
 * on one thread with all its lanes (argon2_context.threads = 1), 16-byte
 * salt, 32-byte output, as node-argon2 (Directus) writes them.
 *
 *	argon2rate [-m KiB] [-t iterations] [-p lanes] [-n threads] [-s seconds]
 *
 * Defaults: -m 65536 -t 3 -p 4 -n nproc -s 10.  Every thread hashes until
 * the time is up; a thread's rate is its hashes divided by the time at
 * which its last hash ended, and the printed rate is the sum of those:
 *
 *	argon2rate: 112 hashes in 10.04 s on 2 threads, m=65536 t=3 p=4
 *	hashes/s 11.16
 *
 * Build: cc -O2 -o argon2rate argon2rate.c -largon2 -lpthread
 */
#include <argon2.h>
#include <err.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct worker {
	pthread_t	 tid;
	int		 n;
	unsigned long	 hashes;
	double		 elapsed;
	int		 error;
};

static uint32_t	 m_kib = 65536, t_cost = 3, lanes = 4;
static double	 seconds = 10, start;

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *
run(void *arg)
{
	struct worker	*w = arg;
	argon2_context	 ctx;
	uint8_t		 out[32], salt[16];
	char		 pw[32];
	double		 t;

	for (;;) {
		memset(&ctx, 0, sizeof(ctx));
		snprintf(pw, sizeof(pw), "password-%d-%lu", w->n, w->hashes);
		memset(salt, 0x5a ^ w->n, sizeof(salt));
		memcpy(salt, &w->hashes, sizeof(w->hashes));
		ctx.out = out;
		ctx.outlen = sizeof(out);
		ctx.pwd = (uint8_t *)pw;
		ctx.pwdlen = (uint32_t)strlen(pw);
		ctx.salt = salt;
		ctx.saltlen = sizeof(salt);
		ctx.t_cost = t_cost;
		ctx.m_cost = m_kib;
		ctx.lanes = lanes;
		ctx.threads = 1;
		ctx.version = ARGON2_VERSION_13;
		ctx.flags = ARGON2_DEFAULT_FLAGS;
		if ((w->error = argon2_ctx(&ctx, Argon2_id)) != ARGON2_OK)
			return NULL;
		w->hashes++;
		t = now() - start;
		w->elapsed = t;
		if (t >= seconds)
			return NULL;
	}
}

static unsigned long
num(const char *s, unsigned long lo, unsigned long hi)
{
	char		*end;
	unsigned long	 v;

	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		errx(2, "bad number: %s", s);
	return v;
}

int
main(int argc, char *argv[])
{
	struct worker	*w;
	double		 rate = 0;
	unsigned long	 total = 0;
	long		 n;
	int		 ch, i;

	if ((n = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		n = 1;
	while ((ch = getopt(argc, argv, "m:n:p:s:t:")) != -1) {
		switch (ch) {
		case 'm': m_kib = num(optarg, 8, 4194304); break;
		case 'n': n = num(optarg, 1, 256); break;
		case 'p': lanes = num(optarg, 1, 64); break;
		case 's': seconds = num(optarg, 1, 3600); break;
		case 't': t_cost = num(optarg, 1, 64); break;
		default:
			fprintf(stderr, "usage: argon2rate [-m KiB] [-t iterations] "
			    "[-p lanes] [-n threads] [-s seconds]\n");
			return 2;
		}
	}
	if ((w = calloc(n, sizeof(*w))) == NULL)
		err(1, "calloc");
	start = now();
	for (i = 0; i < n; i++) {
		w[i].n = i;
		if (pthread_create(&w[i].tid, NULL, run, &w[i]) != 0)
			errx(1, "pthread_create failed");
	}
	for (i = 0; i < n; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].error != ARGON2_OK)
			errx(1, "argon2: %s", argon2_error_message(w[i].error));
		total += w[i].hashes;
		if (w[i].elapsed > 0)
			rate += w[i].hashes / w[i].elapsed;
	}
	printf("argon2rate: %lu hashes in %.2f s on %ld threads, m=%u t=%u p=%u\n",
	    total, now() - start, n, m_kib, t_cost, lanes);
	printf("hashes/s %.2f\n", rate);
	return 0;
}
