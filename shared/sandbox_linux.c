/* SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The tokend authors; see the LICENSE file. */
/*
 * The Linux sandbox: rlimits, no_new_privs and a seccomp-bpf allowlist
 * per process role, written against the kernel headers.
 *
 * The filter checks the architecture first: a call made through another
 * architecture's entry point (int 0x80) or with the x32 bit always kills
 * the process, in every build.  Then it walks the role's rules and kills
 * the process on any call not listed.  A few rules also check arguments:
 * a rule matches only when the upper 32 bits of the argument are zero
 * and (lower 32 bits & mask) == value.  Only x86_64 has a table; on any
 * other architecture sandbox_enter() refuses to run (fail closed).
 *
 * Filters stack: a process runs every filter it inherited as well as its
 * own, and the strictest answer wins.  keyd and the workers the parent
 * restarts after its own sandbox_enter() inherit the parent's filter, so
 * the parent's allowlist is the union of what it does itself, what a
 * child does from fork to its own sandbox_enter() (dynamic loader,
 * privilege drop, opening the database, starting the hashing threads)
 * and what keyd and the workers do afterwards.  It is the loosest of the
 * three; it still refuses ptrace, mount, namespaces, BPF, keyrings,
 * kernel modules, sockets other than AF_UNIX and the mail process's
 * TCP stream, and so on.
 *
 * Build variants:
 *	SANDBOX_DEBUG	a forbidden call raises SIGSYS (SECCOMP_RET_TRAP);
 *			the handler writes the call's number to stderr and
 *			exits.  Run with -d to see it.  keyd's hashing
 *			threads block every signal: a call trapped there
 *			still kills keyd, without the message.
 *	TOKEND_SANITIZE	(make SANITIZE=1) a forbidden call is allowed and
 *			logged by the kernel (SECCOMP_RET_LOG).  The
 *			sanitizer runtimes make calls the daemons never do,
 *			and exactly when something went wrong: LSan stops
 *			the world at exit with a cloned tracer that ptraces
 *			the threads and reads /proc (clone, prctl, open,
 *			readlink, sigaltstack, sched_getaffinity, ...), an
 *			ASan report may fork and exec a symbolizer.
 *			Killing the process there would hide the report.
 *			Normal builds stay strict.
 *	TOKEND_SELFTEST	(make selftest, test binary only) SIGUSR2 makes a
 *			worker try a forbidden call, see below.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "sandbox.h"

#if defined(__x86_64__) && !defined(__ILP32__)
#define SANDBOX_AUDIT_ARCH	AUDIT_ARCH_X86_64
#endif

#if defined(TOKEND_SANITIZE)
#define SANDBOX_DEFAULT		SECCOMP_RET_LOG
#elif defined(SANDBOX_DEBUG)
#define SANDBOX_DEFAULT		SECCOMP_RET_TRAP
#else
#define SANDBOX_DEFAULT		SECCOMP_RET_KILL_PROCESS
#endif

#define SANDBOX_INSN_MAX	BPF_MAXINSNS
#define SANDBOX_COND_MAX	2
#define SANDBOX_NAMESPACES	(CLONE_NEWNS | CLONE_NEWCGROUP | \
				    CLONE_NEWUTS | CLONE_NEWIPC | \
				    CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
#define SANDBOX_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static void	 sandbox_rlimit(int, rlim_t);
#if defined(SANDBOX_DEBUG) || defined(TOKEND_SELFTEST)
static void	 sandbox_say(const char *);
#endif

static const char *sandbox_role_names[] = {
	[SANDBOX_PARENT] = "parent",
	[SANDBOX_KEYD] = "keyd",
	[SANDBOX_SERVER] = "server",
	[SANDBOX_ITEMS] = "items",
	[SANDBOX_ITEMS_PG] = "items",
	[SANDBOX_MAIL] = "mail",
};

#ifdef SANDBOX_AUDIT_ARCH

/* An argument condition: (arg & mask) == value, or arg == our pid. */
struct sandbox_cond {
	uint8_t		 arg;
	uint8_t		 self;		/* value is getpid() */
	uint32_t	 mask;
	uint32_t	 value;
};

struct sandbox_rule {
	int			 nr;
	uint32_t		 action;
	int			 ncond;
	struct sandbox_cond	 cond[SANDBOX_COND_MAX];
};

struct sandbox_table {
	const struct sandbox_rule	*rules;
	size_t				 nrules;
};

struct sandbox_prog {
	struct sock_filter	 insn[SANDBOX_INSN_MAX];
	size_t			 len;
};

#define SB_ALLOW(n) \
	{ __NR_##n, SECCOMP_RET_ALLOW, 0, { { 0 } } }
#define SB_ERRNO(n, e) \
	{ __NR_##n, SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA), 0, { { 0 } } }
#define SB_ARG(n, a, m, v) \
	{ __NR_##n, SECCOMP_RET_ALLOW, 1, { { (a), 0, (m), (v) } } }
#define SB_ARG2(n, a, m, v, a2, m2, v2) \
	{ __NR_##n, SECCOMP_RET_ALLOW, 2, \
	    { { (a), 0, (m), (v) }, { (a2), 0, (m2), (v2) } } }
#define SB_REFUSE2(n, e, a, v, a2, v2) \
	{ __NR_##n, SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA), 2, \
	    { { (a), 0, 0xffffffff, (v) }, { (a2), 0, 0xffffffff, (v2) } } }
#define SB_SELF(n, a) \
	{ __NR_##n, SECCOMP_RET_ALLOW, 1, { { (a), 1, 0xffffffff, 0 } } }
#define SB_EQ(n, a, v)		SB_ARG(n, a, 0xffffffff, v)
#define SB_NOEXEC(n)		SB_ARG(n, 2, PROT_EXEC, 0)

/*
 * Every role: memory without new executable pages, time, randomness,
 * signal return, abort(3) on itself, exit, and the fcntl(2) commands
 * of its descriptors' flags (a channel made non-blocking and
 * close-on-exec), never O_ASYNC.  The commands that make the kernel
 * signal a process of one's choice (F_SETOWN, F_SETOWN_EX, F_SETSIG,
 * with O_ASYNC, F_SETLEASE or F_NOTIFY) are in no table.
 */
static const struct sandbox_rule sandbox_common[] = {
	SB_ALLOW(read),
	SB_ALLOW(write),
	SB_ALLOW(close),
	SB_ALLOW(getpid),
	SB_ALLOW(clock_gettime),
	SB_ALLOW(gettimeofday),
	SB_ALLOW(getrandom),
	SB_ALLOW(brk),
	SB_NOEXEC(mmap),
	SB_NOEXEC(mprotect),
	SB_ALLOW(munmap),
	SB_ALLOW(mremap),
	SB_ALLOW(madvise),
	SB_ALLOW(rt_sigreturn),
	SB_ALLOW(rt_sigprocmask),
	SB_ALLOW(restart_syscall),
	SB_SELF(tgkill, 0),
	SB_EQ(fcntl, 1, F_GETFD),
	SB_EQ(fcntl, 1, F_SETFD),
	SB_EQ(fcntl, 1, F_GETFL),
	SB_ARG2(fcntl, 1, 0xffffffff, F_SETFL, 2, O_ASYNC, 0),
	SB_ALLOW(exit),
	SB_ALLOW(exit_group),
};

/*
 * keyd and the item processes: SQLite's advisory locks on the
 * database and its -shm index.  The Debian build uses F_SETLK and
 * F_GETLK; the waiting and open-file-description forms are those of
 * other builds (SQLITE_ENABLE_SETLK_TIMEOUT, OFD locks) and, like the
 * others, only lock the process's own files.
 */
static const struct sandbox_rule sandbox_locks[] = {
	SB_EQ(fcntl, 1, F_GETLK),
	SB_EQ(fcntl, 1, F_SETLK),
	SB_EQ(fcntl, 1, F_SETLKW),
	SB_EQ(fcntl, 1, F_OFD_GETLK),
	SB_EQ(fcntl, 1, F_OFD_SETLK),
	SB_EQ(fcntl, 1, F_OFD_SETLKW),
};

/*
 * The parent: syslog(3), which connects a datagram socket to /dev/log,
 * and opens and connects a new one after a failed send.  Not keyd nor
 * a worker: they log through the parent (MSG_LOG), and have no
 * socket(2) and no connect(2) at all, so that they cannot reach an
 * abstract socket of the host, nor the system logger, from their
 * chroot.
 */
static const struct sandbox_rule sandbox_syslog[] = {
	SB_ARG2(socket, 0, 0xffffffff, AF_UNIX,
	    1, ~(uint32_t)(SOCK_NONBLOCK | SOCK_CLOEXEC), SOCK_DGRAM),
	SB_ALLOW(connect),
	SB_ALLOW(sendto),
};

/*
 * A worker: its libevent loop on the inherited listen sockets, the
 * channels to the parent, keyd and its item process (descriptor
 * passing), and the connection cap re-applied with
 * setrlimit(RLIMIT_NOFILE) on reload.
 */
static const struct sandbox_rule sandbox_server[] = {
	SB_ALLOW(epoll_wait),
	SB_ALLOW(epoll_ctl),
	SB_ALLOW(accept4),
	SB_ALLOW(readv),
	SB_ALLOW(writev),
	SB_ALLOW(recvmsg),
	SB_ALLOW(sendmsg),
	SB_ALLOW(shutdown),
	SB_EQ(sendto, 4, 0),		/* send(2): edge.c's answers */
	SB_ALLOW(poll),			/* a fatal log line's flush */
	SB_EQ(ioctl, 1, FIONREAD),
	SB_ARG2(prlimit64, 0, 0xffffffff, 0, 1, 0xffffffff, RLIMIT_NOFILE),
	SB_ALLOW(fstat),
	SB_ALLOW(newfstatat),
};

/*
 * An item process: its loop and channels (no listen socket, no
 * descriptor but those it is given), and the item store, opened before
 * the filter (with its WAL, -shm and the directory sync done): reads,
 * writes, locks, syncs, the shared-memory index grown with a write, the
 * busy handler's sleep.  No open(2): the store cannot reach another
 * file.  It logs through the parent, as a worker does: no socket.
 */
static const struct sandbox_rule sandbox_items[] = {
	SB_ALLOW(epoll_wait),
	SB_ALLOW(epoll_ctl),
	SB_ALLOW(recvmsg),
	SB_ALLOW(sendmsg),
	SB_ALLOW(readv),
	SB_ALLOW(writev),
	SB_ALLOW(poll),			/* a fatal log line's flush */
	SB_ALLOW(pread64),
	SB_ALLOW(pwrite64),
	SB_ALLOW(fdatasync),
	SB_ALLOW(fsync),
	SB_ALLOW(ftruncate),
	SB_ALLOW(fstat),
	SB_ALLOW(newfstatat),
	SB_ALLOW(nanosleep),
	SB_ALLOW(clock_nanosleep),
};

/*
 * An item process whose store is PostgreSQL (itemstore.c): its one
 * connection, made before the filter, sends with MSG_NOSIGNAL and
 * receives (libpq's send(2) and recv(2), waiting in poll).  No
 * socket(2) nor connect(2): a process that loses its connection exits
 * and the parent starts a new one, which connects before its filter.
 */
static const struct sandbox_rule sandbox_items_pg[] = {
	SB_EQ(sendto, 3, MSG_NOSIGNAL),
	SB_EQ(recvfrom, 3, 0),
};

/*
 * The mail process: its loop and its channels to the parent and keyd,
 * and one TCP connection at a time to the relay: socket(2) of an IPv4
 * or IPv6 stream only, a non-blocking connect(2) and its SO_ERROR, poll
 * for each step's timeout.  The filter cannot read connect's address;
 * the relay's address is the configuration's, and the process holds
 * nothing worth sending elsewhere.  STARTTLS needs nothing more: OpenSSL
 * reads its configuration and the CA file before the chroot.  It logs
 * through the parent, as a worker does.
 */
static const struct sandbox_rule sandbox_mail[] = {
	SB_ALLOW(epoll_wait),
	SB_ALLOW(epoll_ctl),
	SB_ALLOW(recvmsg),
	SB_ALLOW(sendmsg),
	SB_ALLOW(readv),
	SB_ALLOW(writev),
	SB_ALLOW(poll),
	SB_EQ(sendto, 4, 0),
	SB_ARG2(socket, 0, 0xffffffff, AF_INET,
	    1, ~(uint32_t)(SOCK_NONBLOCK | SOCK_CLOEXEC), SOCK_STREAM),
	SB_ARG2(socket, 0, 0xffffffff, AF_INET6,
	    1, ~(uint32_t)(SOCK_NONBLOCK | SOCK_CLOEXEC), SOCK_STREAM),
	SB_ALLOW(connect),
	SB_ARG2(getsockopt, 1, 0xffffffff, SOL_SOCKET,
	    2, 0xffffffff, SO_ERROR),
	SB_ALLOW(fstat),
	SB_ALLOW(newfstatat),
};

/*
 * keyd: its loop and channels (poll and shutdown: a worker that does
 * not take an invalidation in time), SQLite inside the chroot (the database,
 * its -wal and -shm files, a directory opened to be synced, access(2)
 * probes, advisory locks, the busy handler's sleep), the signing keys
 * a rotation writes and renames into place (keyd/rotate.c) and the hashing
 * threads.  They exist already (no clone), but a new thread registers
 * its robust futex list and rseq area itself, and may do so after the
 * filter is in place.  And a PostgreSQL credential store (store_pg.c):
 * libpq's TCP connection (the first one before this filter, in a keyd
 * the parent restarts after its own; again after a loss), its socket
 * options (TCP_NODELAY, SO_KEEPALIVE), the connect's outcome and local
 * address, and its send(2) with MSG_NOSIGNAL and recv(2).
 */
static const struct sandbox_rule sandbox_keyd[] = {
	SB_ALLOW(epoll_wait),
	SB_ALLOW(epoll_ctl),
	SB_ALLOW(recvmsg),
	SB_ALLOW(sendmsg),
	SB_ALLOW(poll),
	SB_ALLOW(shutdown),
	SB_ALLOW(futex),
	SB_ALLOW(pread64),
	SB_ALLOW(pwrite64),
	SB_ALLOW(fdatasync),
	SB_ALLOW(fsync),
	SB_ALLOW(ftruncate),
	SB_ALLOW(openat),
	SB_ALLOW(newfstatat),
	SB_ALLOW(access),
	SB_ALLOW(unlink),
#ifdef __NR_rename
	SB_ALLOW(rename),	/* rotate.c: a key or its state, whole */
#endif
	SB_ALLOW(renameat),
#ifdef __NR_renameat2
	SB_ALLOW(renameat2),
#endif
	SB_ALLOW(nanosleep),
	SB_ALLOW(clock_nanosleep),
	SB_ALLOW(set_robust_list),
	SB_ALLOW(rseq),
	SB_ARG2(socket, 0, 0xffffffff, AF_INET,
	    1, ~(uint32_t)(SOCK_NONBLOCK | SOCK_CLOEXEC), SOCK_STREAM),
	SB_ARG2(socket, 0, 0xffffffff, AF_INET6,
	    1, ~(uint32_t)(SOCK_NONBLOCK | SOCK_CLOEXEC), SOCK_STREAM),
	SB_ALLOW(connect),
	SB_ARG2(setsockopt, 1, 0xffffffff, IPPROTO_TCP,
	    2, 0xffffffff, TCP_NODELAY),
	SB_ARG2(setsockopt, 1, 0xffffffff, SOL_SOCKET,
	    2, 0xffffffff, SO_KEEPALIVE),
	SB_ARG2(getsockopt, 1, 0xffffffff, SOL_SOCKET,
	    2, 0xffffffff, SO_ERROR),
	SB_ALLOW(getsockname),
	SB_EQ(sendto, 3, MSG_NOSIGNAL),
	SB_EQ(recvfrom, 3, 0),
};

/*
 * The parent after start-up: its loop, the control socket (accept and
 * the peer's credentials), socketpairs for new channels, fork, wait and
 * signals for its children, the configuration re-read on reload, and
 * the control socket removed at exit.  It opens no listen socket after
 * start-up: a reload that changes them is refused.
 */
static const struct sandbox_rule sandbox_parent[] = {
	SB_ALLOW(epoll_wait),
	SB_ALLOW(epoll_ctl),
	SB_ALLOW(recvmsg),
	SB_ALLOW(sendmsg),
	SB_ALLOW(accept4),
	SB_ARG2(getsockopt, 1, 0xffffffff, SOL_SOCKET,
	    2, 0xffffffff, SO_PEERCRED),
	SB_EQ(socketpair, 0, AF_UNIX),
	SB_ARG(clone, 0, SANDBOX_NAMESPACES, 0),
	SB_ALLOW(wait4),
	SB_EQ(kill, 1, SIGTERM),
	SB_EQ(kill, 1, SIGKILL),
	SB_ALLOW(openat),
	SB_ALLOW(newfstatat),
	SB_ALLOW(lseek),
	SB_ALLOW(unlink),
};

/*
 * A child the parent starts after its sandbox_enter(), from fork to the
 * child's own sandbox_enter(): descriptor shuffling and exec, the
 * dynamic loader and libc start-up, user lookup (nscd is tried over
 * AF_UNIX), the privilege drop, keyd's secret and database directory
 * (and its signing keys' directory, read through: keyd/rotate.c),
 * the loop's setup, the hashing threads (clone3 answers ENOSYS so that
 * glibc falls back to clone, whose flags the filter can see; each
 * lowers its own priority), a TLS worker's first TLS context (glibc's
 * qsort(3) asks sysinfo(2) for the memory size, once per process, when
 * OpenSSL sorts its tables; the worker's own filter has no sysinfo, as
 * it is called before that filter), and sandbox_enter() itself.
 */
static const struct sandbox_rule sandbox_spawn[] = {
	SB_ALLOW(dup2),
	SB_EQ(fcntl, 1, F_DUPFD),
	SB_ALLOW(close_range),
	SB_ALLOW(rt_sigaction),
	SB_ALLOW(execve),
	SB_ALLOW(arch_prctl),
	SB_ALLOW(set_tid_address),
	SB_ALLOW(set_robust_list),
	SB_ALLOW(rseq),
	SB_EQ(prlimit64, 0, 0),
	SB_ALLOW(access),
	SB_ALLOW(pread64),
	SB_ALLOW(mmap),
	SB_ALLOW(mprotect),
	SB_ALLOW(getuid),
	SB_ALLOW(geteuid),
	SB_ALLOW(getgid),
	SB_ALLOW(getegid),
	SB_ALLOW(getresuid),
	SB_ALLOW(getresgid),
	SB_EQ(socket, 0, AF_UNIX),
	SB_ALLOW(chroot),
	SB_ALLOW(chdir),
	SB_ALLOW(setgroups),
	SB_ALLOW(setresgid),
	SB_ALLOW(setresuid),
	SB_ALLOW(setuid),
	SB_ALLOW(umask),
	SB_ALLOW(mkdir),
	SB_ALLOW(getdents64),
	SB_ALLOW(chown),
	SB_ALLOW(chmod),
	SB_ALLOW(fchown),
	SB_ALLOW(mlock),
	SB_ALLOW(pipe2),
	SB_ALLOW(epoll_create1),
	SB_ALLOW(listen),
	SB_ERRNO(clone3, ENOSYS),
	SB_ARG2(setpriority, 0, 0xffffffff, PRIO_PROCESS, 1, 0xffffffff, 0),
	SB_EQ(prctl, 0, PR_SET_NO_NEW_PRIVS),
	SB_EQ(prctl, 0, PR_SET_DUMPABLE),
	SB_ALLOW(seccomp),
	SB_ALLOW(sysinfo),
};

#define SB_TABLE(t)	{ (t), SANDBOX_NITEMS(t) }

/* Per role, the tables its filter allows; filters stack (see the top). */
static const struct sandbox_table sandbox_policy[][9] = {
	[SANDBOX_PARENT] = { SB_TABLE(sandbox_parent), SB_TABLE(sandbox_common),
	    SB_TABLE(sandbox_syslog), SB_TABLE(sandbox_spawn),
	    SB_TABLE(sandbox_keyd), SB_TABLE(sandbox_locks),
	    SB_TABLE(sandbox_server), SB_TABLE(sandbox_items),
	    SB_TABLE(sandbox_mail) },
	[SANDBOX_KEYD] = { SB_TABLE(sandbox_keyd), SB_TABLE(sandbox_common),
	    SB_TABLE(sandbox_locks) },
	[SANDBOX_SERVER] = { SB_TABLE(sandbox_server),
	    SB_TABLE(sandbox_common) },
	[SANDBOX_ITEMS] = { SB_TABLE(sandbox_items),
	    SB_TABLE(sandbox_common), SB_TABLE(sandbox_locks) },
	[SANDBOX_ITEMS_PG] = { SB_TABLE(sandbox_items),
	    SB_TABLE(sandbox_items_pg), SB_TABLE(sandbox_common) },
	[SANDBOX_MAIL] = { SB_TABLE(sandbox_mail),
	    SB_TABLE(sandbox_common) },
};

#if __BYTE_ORDER == __LITTLE_ENDIAN
#define SB_ARG_LO(i)	(offsetof(struct seccomp_data, args[(i)]))
#define SB_ARG_HI(i)	(offsetof(struct seccomp_data, args[(i)]) + 4)
#else
#define SB_ARG_LO(i)	(offsetof(struct seccomp_data, args[(i)]) + 4)
#define SB_ARG_HI(i)	(offsetof(struct seccomp_data, args[(i)]))
#endif
#define SB_NR		(offsetof(struct seccomp_data, nr))
#define SB_ARCH		(offsetof(struct seccomp_data, arch))

static void	 sandbox_emit(struct sandbox_prog *, uint16_t, uint32_t,
		    uint8_t, uint8_t);
static void	 sandbox_emit_rule(struct sandbox_prog *,
		    const struct sandbox_rule *);
static void	 sandbox_build(struct sandbox_prog *, enum sandbox_role);
static void	 sandbox_load(struct sandbox_prog *);

static struct sandbox_prog	 sandbox_prog;

static void
sandbox_emit(struct sandbox_prog *p, uint16_t code, uint32_t k, uint8_t jt,
    uint8_t jf)
{
	if (p->len >= SANDBOX_INSN_MAX)
		fatalx("sandbox: seccomp filter too long");
	p->insn[p->len].code = code;
	p->insn[p->len].jt = jt;
	p->insn[p->len].jf = jf;
	p->insn[p->len].k = k;
	p->len++;
}

/*
 * The accumulator holds the call number on entry and on exit.  A rule
 * with conditions loads arguments; a failed condition jumps to the
 * instruction that reloads the number, where the next rule starts.
 */
static void
sandbox_emit_rule(struct sandbox_prog *p, const struct sandbox_rule *r)
{
	const struct sandbox_cond	*c;
	size_t				 reload;
	uint32_t			 value;
	int				 i;

	if (r->ncond == 0) {
		sandbox_emit(p, BPF_JMP | BPF_JEQ | BPF_K, r->nr, 0, 1);
		sandbox_emit(p, BPF_RET | BPF_K, r->action, 0, 0);
		return;
	}
	sandbox_emit(p, BPF_JMP | BPF_JEQ | BPF_K, r->nr, 0,
	    5 * r->ncond + 2);
	reload = p->len + 5 * r->ncond + 1;
	for (i = 0; i < r->ncond; i++) {
		c = &r->cond[i];
		value = c->self ? (uint32_t)getpid() : c->value;
		sandbox_emit(p, BPF_LD | BPF_W | BPF_ABS, SB_ARG_HI(c->arg),
		    0, 0);
		sandbox_emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0,
		    reload - p->len - 1);
		sandbox_emit(p, BPF_LD | BPF_W | BPF_ABS, SB_ARG_LO(c->arg),
		    0, 0);
		sandbox_emit(p, BPF_ALU | BPF_AND | BPF_K, c->mask, 0, 0);
		sandbox_emit(p, BPF_JMP | BPF_JEQ | BPF_K, value & c->mask, 0,
		    reload - p->len - 1);
	}
	sandbox_emit(p, BPF_RET | BPF_K, r->action, 0, 0);
	sandbox_emit(p, BPF_LD | BPF_W | BPF_ABS, SB_NR, 0, 0);
}

static void
sandbox_build(struct sandbox_prog *p, enum sandbox_role role)
{
	const struct sandbox_table	*t;
	size_t				 i, j;

	p->len = 0;
	/* Another architecture's calls, or x32's, are never ours. */
	sandbox_emit(p, BPF_LD | BPF_W | BPF_ABS, SB_ARCH, 0, 0);
	sandbox_emit(p, BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_AUDIT_ARCH, 1, 0);
	sandbox_emit(p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
	sandbox_emit(p, BPF_LD | BPF_W | BPF_ABS, SB_NR, 0, 0);
	sandbox_emit(p, BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1);
	sandbox_emit(p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
	for (i = 0; i < SANDBOX_NITEMS(sandbox_policy[role]); i++) {
		t = &sandbox_policy[role][i];
		for (j = 0; j < t->nrules; j++)
			sandbox_emit_rule(p, &t->rules[j]);
	}
	sandbox_emit(p, BPF_RET | BPF_K, SANDBOX_DEFAULT, 0, 0);
}

/* TSYNC: keyd's hashing threads exist already and get the filter too. */
static void
sandbox_load(struct sandbox_prog *p)
{
	struct sock_fprog	 prog;
	uint32_t		 action = SANDBOX_DEFAULT;
	long			 rv;

	if (syscall(__NR_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == -1)
		fatal("sandbox: seccomp action %#x not available", action);
	prog.len = (unsigned short)p->len;
	prog.filter = p->insn;
	rv = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (rv == -1)
		fatal("sandbox: seccomp");
	if (rv != 0)
		fatalx("sandbox: seccomp: thread %ld could not be synchronized",
		    rv);
}

#endif /* SANDBOX_AUDIT_ARCH */

#ifdef SANDBOX_DEBUG
static char	 sandbox_debug_prefix[64];

/* Async-signal-safe: write(2) and _exit(2) only. */
static void
sandbox_sigsys(int sig, siginfo_t *si, void *ctx)
{
	char		 num[16], *s = num + sizeof(num);
	unsigned int	 nr = (unsigned int)si->si_syscall;

	*--s = '\0';
	*--s = '\n';
	do {
		*--s = '0' + nr % 10;
		nr /= 10;
	} while (nr != 0 && s > num);
	sandbox_say(sandbox_debug_prefix);
	sandbox_say(s);
	_exit(128 + SIGSYS);
}

static void
sandbox_debug_init(enum sandbox_role role)
{
	struct sigaction	 sa;

	(void)snprintf(sandbox_debug_prefix, sizeof(sandbox_debug_prefix),
	    "%s[%d]: sandbox: forbidden system call ",
	    sandbox_role_names[role], (int)getpid());
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("sandbox: sigaction SIGSYS");
}
#endif /* SANDBOX_DEBUG */

#ifdef TOKEND_SELFTEST
/*
 * Test binary only (make selftest; never in the installed tokend):
 * SIGUSR2 makes a worker attempt what its sandbox forbids, chosen by
 * TOKEND_SELFTEST_PROBE (the first row by default).  The chroot and the
 * change of user might stop some of these with an error; the point is
 * that seccomp kills the worker first.  The fcntl rows are the first
 * steps of having the kernel signal another process (F_SETOWN to its
 * pid, F_SETSIG to SIGKILL, then O_ASYNC); "unix" is the first step
 * of reaching an abstract socket of the host; "syslog" the socket
 * glibc's syslog(3) opens to reconnect (workers log through the parent,
 * and no longer need it).  "log" is no forbidden call: it writes what a
 * compromised worker would to the parent, raw MSG_LOG frames, a forged
 * line and a flood (see regress/daemon/logging.sh).
 */
enum sandbox_probe {
	PROBE_OPEN,
	PROBE_EXECVE,
	PROBE_SOCKET,
	PROBE_UNIX,
	PROBE_SETOWN,
	PROBE_SETSIG,
	PROBE_ASYNC,
	PROBE_SYSLOG,
	PROBE_LOG,
};

static const char *sandbox_probe_names[] = {
	[PROBE_OPEN] = "open",
	[PROBE_EXECVE] = "execve",
	[PROBE_SOCKET] = "socket",
	[PROBE_UNIX] = "unix",
	[PROBE_SETOWN] = "setown",
	[PROBE_SETSIG] = "setsig",
	[PROBE_ASYNC] = "async",
	[PROBE_SYSLOG] = "syslog",
	[PROBE_LOG] = "log",
};

static enum sandbox_probe	 sandbox_probe;

#define SANDBOX_FLOOD_LINES	6000

/* One MSG_LOG frame (header, priority, text), written whole. */
static void
sandbox_selftest_log(uint32_t pri, const char *text)
{
	uint32_t	 head[6];
	char		 buf[sizeof(head) + 256];
	struct pollfd	 pfd = { PROTO_FD_PARENT, POLLOUT, 0 };
	size_t		 len = strlen(text), off = 0, total;
	ssize_t		 n;

	if (len > sizeof(buf) - sizeof(head))
		return;
	head[0] = MSG_LOG;
	head[1] = (uint32_t)(2 * sizeof(uint32_t) + len);
	head[2] = 0;
	head[3] = (uint32_t)getpid();
	head[4] = pri;
	head[5] = (uint32_t)len;
	memcpy(buf, head, sizeof(head));
	memcpy(buf + sizeof(head), text, len);
	total = sizeof(head) + len;
	while (off < total) {
		n = write(PROTO_FD_PARENT, buf + off, total - off);
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return;
		if (n > 0)
			off += (size_t)n;
		else if (n == -1 && errno == EAGAIN)
			/* Until the parent has read: no spin taking its CPU. */
			(void)poll(&pfd, 1, 100);
	}
}

static void
sandbox_selftest_flood(void)
{
	int		 i;

	sandbox_selftest_log(LOG_ERR, "forged\nparent: user root@example.com "
	    "suspended by the operator\r\n\033[1A");
	for (i = 0; i < SANDBOX_FLOOD_LINES; i++)
		sandbox_selftest_log(LOG_INFO, "flood");
	/* A worker may poll(2), not nanosleep(2). */
	(void)poll(NULL, 0, 1200);
	sandbox_selftest_log(LOG_INFO, "after the flood");
}

static void
sandbox_selftest(int sig)
{
	char *const	 argv[] = { "sh", NULL };
	char		 line[64];

	(void)strlcpy(line, "sandbox selftest: trying ", sizeof(line));
	(void)strlcat(line, sandbox_probe_names[sandbox_probe], sizeof(line));
	(void)strlcat(line, "\n", sizeof(line));
	sandbox_say(line);
	switch (sandbox_probe) {
	case PROBE_OPEN:
		(void)open("/etc/passwd", O_RDONLY);
		break;
	case PROBE_EXECVE:
		(void)execve("/bin/sh", argv, NULL);
		break;
	case PROBE_SOCKET:
		(void)socket(AF_INET, SOCK_STREAM, 0);
		break;
	case PROBE_UNIX:
		(void)socket(AF_UNIX, SOCK_DGRAM, 0);
		break;
	case PROBE_SETOWN:
		(void)fcntl(STDERR_FILENO, F_SETOWN, (int)getpid());
		break;
	case PROBE_SETSIG:
		(void)fcntl(STDERR_FILENO, F_SETSIG, SIGKILL);
		break;
	case PROBE_ASYNC:
		(void)fcntl(STDERR_FILENO, F_SETFL, O_ASYNC);
		break;
	case PROBE_SYSLOG:
		(void)socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		break;
	case PROBE_LOG:
		sandbox_selftest_flood();
		break;
	}
	sandbox_say("sandbox selftest: still alive\n");
}

static void
sandbox_selftest_init(void)
{
	const char	*probe = getenv("TOKEND_SELFTEST_PROBE");
	size_t		 i;

	for (i = 0; probe != NULL && i < SANDBOX_NITEMS(sandbox_probe_names);
	    i++)
		if (strcmp(probe, sandbox_probe_names[i]) == 0)
			sandbox_probe = (enum sandbox_probe)i;
	if (signal(SIGUSR2, sandbox_selftest) == SIG_ERR)
		fatal("sandbox: signal SIGUSR2");
}
#endif /* TOKEND_SELFTEST */

#if defined(SANDBOX_DEBUG) || defined(TOKEND_SELFTEST)
static void
sandbox_say(const char *s)
{
	ssize_t	 n;

	n = write(STDERR_FILENO, s, strlen(s));
	(void)n;
}
#endif

static void
sandbox_rlimit(int resource, rlim_t value)
{
	struct rlimit	 rl;

	rl.rlim_cur = rl.rlim_max = value;
	if (setrlimit(resource, &rl) == -1)
		fatal("sandbox: setrlimit %d", resource);
}

/*
 * No core files: a core of keyd holds the signing secret, one of a
 * worker holds tokens in flight.  A worker may not create processes:
 * RLIMIT_NPROC 0 makes fork and clone fail, a second wall behind the
 * filter.  The limit is this process's own (the count it is compared
 * with is per user), so it does not touch other processes of the same
 * user, in development mode either; it does nothing for root, which
 * the workers never are.  Sanitizer builds leave it out: LSan clones a
 * tracer at exit.  keyd is not dumpable, so that nobody but root can
 * ptrace it or read its memory through /proc even in development mode
 * (after a change of user the kernel does this already).
 */
void
sandbox_enter(enum sandbox_role role)
{
	sandbox_rlimit(RLIMIT_CORE, 0);
#ifndef TOKEND_SANITIZE
	if (role == SANDBOX_SERVER || role == SANDBOX_ITEMS ||
	    role == SANDBOX_ITEMS_PG || role == SANDBOX_MAIL)
		sandbox_rlimit(RLIMIT_NPROC, 0);
#endif
	if (role == SANDBOX_KEYD && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("sandbox: PR_SET_DUMPABLE");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("sandbox: PR_SET_NO_NEW_PRIVS");
#ifdef SANDBOX_AUDIT_ARCH
#ifdef SANDBOX_DEBUG
	sandbox_debug_init(role);
#endif
#ifdef TOKEND_SELFTEST
	if (role == SANDBOX_SERVER)
		sandbox_selftest_init();
#endif
	sandbox_build(&sandbox_prog, role);
	sandbox_load(&sandbox_prog);
	log_debug("sandbox: %s confined, %zu filter instructions",
	    sandbox_role_names[role], sandbox_prog.len);
#else
	fatalx("sandbox: no seccomp filter for this architecture, refusing "
	    "to run %s unconfined", sandbox_role_names[role]);
#endif
}
