/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * One logging module for every tokend process.  Foreground (-d) logs go to
 * stderr, otherwise to syslog.  Tokens, passwords and access_token values
 * must never be passed to these functions.
 */
#ifndef TOKEND_LOG_H
#define TOKEND_LOG_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Room log_sanitize() needs for n bytes of text: 4 per byte at worst,
 * and the NUL.
 */
#define LOG_SANITIZE_SIZE(n)	(4 * (size_t)(n) + 1)

void	log_init(int foreground, int facility);
void	log_procinit(const char *procname);
void	log_sink(void (*)(int, const char *));
void	log_child(int, const char *, int, const char *);
void	log_setverbose(int level);
int	log_getverbose(void);
void	log_warn(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_info(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_debug(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	vlog(int, const char *, va_list)
	    __attribute__((__format__ (printf, 2, 0)));
const char *log_sanitize(char *, size_t, const char *);
const char *log_sanitize_line(char *, size_t, const char *);
__attribute__((__noreturn__)) void fatal(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
__attribute__((__noreturn__)) void fatalx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));

#endif /* TOKEND_LOG_H */
