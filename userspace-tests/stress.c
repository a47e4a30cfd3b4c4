// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency stress for a kTLS ULP (issue 14): loopback TCP connections
 * with kTLS on both ends, one after the other, each with random threads
 * (and sometimes a forked process) doing random operations on the shared
 * sockets, every byte checked.
 *
 * Usage: stress [-s SEED] [-t SECONDS] [-u ULP] [-j THREADS] [-w HANG]
 *               [-o KIND] [-Z] [-L LABEL]
 *   -s  seed (default: from the clock); printed first, it reproduces every
 *       random choice of every thread (not the timing)
 *   -t  run time (default 60); connections start until it is over
 *   -u  TCP ULP name (default "tls")
 *   -j  threads per direction of a connection (default 6, at least 2)
 *   -w  hang detector: no byte moved (in the run, or in one flow still
 *       running) for this long fails the run (default 60 s)
 *   -o  only connections of one kind: single, readers, writers or oob
 *   -Z  tolerate splice() returning 0 at an empty record (what stock
 *       tls.ko does, though a reader takes it for EOF); counted, and
 *       reported as a skipped TAP line
 *   -L  a label at the start of every TAP description
 *
 * A connection has two flows, a->b and b->a, each of one of three kinds:
 *   single   one writer, one reader, and observers (poll, epoll with and
 *            without EPOLLET, MSG_PEEK, SO_RCVLOWAT/SO_RCVBUF/SO_SNDBUF/
 *            SO_RCVTIMEO/O_NONBLOCK/TCP_CORK changes): every byte is
 *            checked at its exact stream offset
 *   readers  one writer, 2-4 readers (one may be a forked child): each
 *            read is located in the stream by its content (see fill()),
 *            and the reads together must tile what was sent exactly
 *   writers  2-4 writers (one may be a forked child) sending whole frames
 *            (header with writer, sequence, offset, length; payload from
 *            the writer's own pattern) in single blocking calls, one
 *            reader parsing and checking them in order
 * Writers: send/sendmsg with and without MSG_MORE and MSG_DONTWAIT,
 * record-type cmsgs, sendfile, splice in, zero-length sends, TLS 1.3
 * KeyUpdate + new TX key (when the ULP can rekey), gaps (sleeps, and
 * waiting until a reader sleeps so that records arrive alone). Readers:
 * recv, read, recvmsg with and without cmsg room, MSG_PEEK, MSG_WAITALL,
 * MSG_DONTWAIT, MSG_OOB, splice out, in blocking / poll-driven /
 * epoll-ET-driven / polling styles, KeyUpdates (EIO without cmsg room,
 * EKEYEXPIRED, the new RX key). SIGALRM arrives all the time (setitimer,
 * SA_RESTART switched on and off): EINTR and short counts are the norm.
 * A third of the connections have a tiny SO_RCVBUF on both ends. A
 * connection ends gracefully (the writers finish, FIN once the readers
 * hold every byte: all of it must arrive) or is abandoned (shutdown of
 * both ends while everything runs: nothing may be corrupted or
 * duplicated). Its fds (each dup'd) are closed in random order, sometimes
 * while observers still poll them, sometimes with SO_LINGER 0.
 *
 * A fourth kind, oob, has a raw TCP peer that seals records itself
 * (libcrypto), in random or 1-5 byte segments, with zero-length and
 * (TLS 1.3) padded records and MSG_OOB bytes in between; delivered data
 * must be correct, and without urgent bytes it must all arrive. What the
 * receiver does with urgent data (goes on, fails, stalls) is reported.
 *
 * Prints the seed, one TAP line per flow, a check that every kTLS context
 * was released (/proc/net/<ulp>_stat), totals and operation counts. Exit
 * 0 if all passed, 1 on a failed check, 3 when the hang detector fired
 * (after printing which worker is in which operation since when, its
 * scheduler state, wchan and kernel stack).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktls.h"
#include "tap.h"

#ifndef TLS_1_3_VERSION
#define TLS_1_3_VERSION 0x0304
#endif

#define REC_DATA	23
#define MAXW		4	/* writers per flow */
#define MAXR		4	/* readers per flow */
#define MAXO		8	/* observers per flow */
#define MAXSLOTS	96
#define BUFMAX		(128 * 1024)
#define PIPE_CHUNK	(60 * 1024)
#define LOGCAP		(1u << 20)	/* reads logged per reader (readers kind) */
#define LOCATE_MIN	7	/* a read this long always holds a whole cell */
#define FRAME_MAGIC	0x5354524du
#define FRAME_HDR	28
#define NERRMSG		4
#define WAKE_MS		30000	/* poll/epoll: a sleep this long with data readable fails */

/* ---- options, time, randomness ----------------------------------------- */

static uint64_t opt_seed;
static int rcvbuf_clamps;	/* see probe_rcvbuf_clamp() */
static int opt_secs = 60, opt_threads = 6, opt_hang = 60;
static const char *opt_ulp = "tls", *opt_label = "";
static int opt_only = -1, opt_splice_zero;
static int can_rekey, can_nopad, can_zc;

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

static void sleep_us(long us)
{
	struct timespec t = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t *r, uint64_t n)
{
	return n ? splitmix(r) % n : 0;
}

static int chance(uint64_t *r, int pct)
{
	return (int)below(r, 100) < pct;
}

/* The generator of one thread: a function of the seed and its name. */
static uint64_t rng_for(int conn, int flow, int role, int idx)
{
	uint64_t s = opt_seed ^ ((uint64_t)conn << 40) ^ ((uint64_t)flow << 32) ^
		     ((uint64_t)role << 16) ^ (uint64_t)idx;

	splitmix(&s);
	return splitmix(&s);
}

/* A size for a read or a write: tiny, small, record-sized or large. */
static size_t pick_size(uint64_t *r, size_t max)
{
	size_t n;

	switch (below(r, 10)) {
	case 0:
		n = 1 + below(r, 8);
		break;
	case 1:
	case 2:
		n = 1 + below(r, 256);
		break;
	case 3:
	case 4:
		n = 1 + below(r, 4096);
		break;
	case 5:
		n = 16383 + below(r, 3);
		break;
	case 6:
		n = 4096 * (1 + below(r, 4)) + below(r, 3) - 1;
		break;
	default:
		n = 1 + below(r, max);
		break;
	}
	return n > max ? max : n;
}

/*
 * ---- the payload pattern ------------------------------------------------
 *
 * Byte o of a stream with salt s is byte (o % 4) of mix32((o / 4) ^ s):
 * mix32 is a bijection, so any 4 bytes that start at a multiple of 4 give
 * their own offset back, and a read of 7 bytes or more (one of its 4
 * alignments holds a whole cell) is located in the stream by its content
 * alone, then checked byte by byte.
 */
static uint32_t inv1, inv2;

static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static uint32_t unmix32(uint32_t x)
{
	x ^= x >> 16;
	x *= inv2;
	x ^= (x >> 15) ^ (x >> 30);
	x *= inv1;
	x ^= x >> 16;
	return x;
}

static uint32_t inverse(uint32_t c)
{
	uint32_t x = c;
	int i;

	for (i = 0; i < 5; i++)
		x *= 2 - c * x;
	return x;
}

static void fill(uint32_t salt, uint64_t off, unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint64_t o = off + i;
		uint32_t v = mix32((uint32_t)(o >> 2) ^ salt) >> (8 * (o & 3));
		unsigned int k;

		for (k = o & 3; k < 4 && i < n; k++, i++, v >>= 8)
			p[i] = v;
	}
}

/* How many leading bytes of @p are the pattern at @off. */
static size_t match(uint32_t salt, uint64_t off, const unsigned char *p,
		    size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint64_t o = off + i;
		uint32_t v = mix32((uint32_t)(o >> 2) ^ salt) >> (8 * (o & 3));
		unsigned int k;

		for (k = o & 3; k < 4 && i < n; k++, i++, v >>= 8)
			if (p[i] != (unsigned char)v)
				return i;
	}
	return n;
}

/* The stream offset of @p (all @n bytes must match), or -1. */
static int64_t locate(uint32_t salt, const unsigned char *p, size_t n,
		      uint64_t limit)
{
	size_t a;

	for (a = 0; a < 4 && a + 4 <= n; a++) {
		uint32_t v = p[a] | p[a + 1] << 8 | p[a + 2] << 16 |
			     (uint32_t)p[a + 3] << 24;
		uint64_t o = (uint64_t)(unmix32(v) ^ salt) * 4;

		if (o < a)
			continue;
		o -= a;
		if (o + n > limit)
			continue;
		if (match(salt, o, p, n) == n)
			return o;
	}
	return -1;
}

/* ---- shared state -------------------------------------------------------- */

enum mode { M_SINGLE, M_READERS, M_WRITERS, M_OOB };
static const char *const mode_name[] = { "single", "readers", "writers", "oob" };

enum role { R_WRITER = 1, R_READER, R_POLL, R_EPOLL, R_KNOBS, R_PEEK, R_RAW };
static const char *const role_name[] = {
	"-", "writer", "reader", "poll", "epoll", "knobs", "peek", "raw"
};

/* Operation counters, summed over the run. */
enum op {
	OP_RECV, OP_READ, OP_RECVMSG, OP_RECVMSG_CMSG, OP_PEEK, OP_WAITALL, OP_DONTWAIT,
	OP_SPLICE_OUT, OP_POLL, OP_EPOLL, OP_LOWAT, OP_RCVBUF, OP_SNDBUF, OP_TIMEO,
	OP_NONBLOCK, OP_CORK, OP_GETSOCKOPT, OP_IOCTL, OP_SEND, OP_SENDMSG, OP_MORE,
	OP_SEND_DONTWAIT, OP_SENDFILE, OP_SPLICE_IN, OP_ZERO_SEND, OP_KU_TX, OP_KU_RX,
	OP_GAP, OP_GAP_BLOCKED, OP_EINTR, OP_EAGAIN, OP_EKEYEXPIRED, OP_EIO, OP_SHORT,
	OP_OOB_SENT, OP_OOB_RECV, OP_FORK, OP_SIGNAL, OP_SPLICE_ZERO,
	OP_LOWAT_HELD, NOPS
};
static const char *const op_name[] = {
	"recv", "read", "recvmsg", "recvmsg+cmsg", "peek", "waitall", "dontwait",
	"splice-out", "poll", "epoll", "rcvlowat", "rcvbuf", "sndbuf", "timeo",
	"nonblock", "cork", "getsockopt", "ioctl", "send", "sendmsg", "more",
	"send-dontwait", "sendfile", "splice-in", "zero-send", "keyupdate-tx",
	"keyupdate-rx", "gap", "gap-blocked", "EINTR", "EAGAIN", "EKEYEXPIRED",
	"EIO", "short", "oob-sent", "oob-recv", "fork", "SIGALRM",
	"splice-zero-tolerated", "lowat-held"
};

/* One worker (a thread or a forked child), as the watchdog sees it. */
struct slot {
	atomic_int used;
	pid_t pid, tid;
	char name[40];
	const char *_Atomic op;	/* a string literal: same address in a child */
	atomic_long since;
	atomic_int blocking;	/* in a call that may sleep */
	int flow_reader;	/* a reader of flow (conn * 2 + flow) + 1 */
};

struct conn;

struct global {
	atomic_long progress;	/* last time a byte moved */
	atomic_long deadline;	/* the current connection must end by then */
	struct conn *_Atomic conn;	/* the current one, for the watchdog */
	struct slot slot[MAXSLOTS];
	atomic_ullong ops[NOPS];
	pthread_mutex_t print;
};

static struct global *G;

static void *shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

static void pshared_mutex(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(m, &a);
}

static void count(enum op op)
{
	atomic_fetch_add_explicit(&G->ops[op], 1, memory_order_relaxed);
}

static void progress(void)
{
	atomic_store_explicit(&G->progress, now_ms(), memory_order_relaxed);
}

#define flow_progress(f) \
	atomic_store_explicit(&(f)->progress, now_ms(), memory_order_relaxed)

/* A read of the readers kind: located (@off, @len) or tiny (@tiny bytes). */
struct piece {
	uint64_t off;
	uint32_t len;
	uint8_t tiny;
	uint8_t b[7];
};

struct rlog {
	atomic_uint n;
	atomic_int overflow;
	struct piece p[];
};

/* Per writer of the writers kind. */
struct wstate {
	uint32_t salt;
	atomic_ullong sent;	/* payload bytes in frames fully accepted */
	atomic_uint frames;
	uint64_t rx_off;	/* the reader's expectations */
	uint32_t rx_seq;
};

struct flow {
	int id, mode, tx, rx;	/* tx, rx: side (0 = a, 1 = b) */
	int nw, nr, no, child;	/* child: 0, or R_READER / R_WRITER */
	uint32_t salt;
	atomic_int stop, abandon, tx_done, broken;
	atomic_int writers_left, readers_left;
	atomic_ullong sent;	/* bytes the kernel accepted */
	atomic_ullong tx_hi;	/* highest offset that may be in flight */
	atomic_ullong received, checked, corrupt, peeked, peek_bad;
	atomic_ullong rx_off;	/* single: the reader's stream offset */
	atomic_int ku_tx, ku_rx;
	atomic_long progress;	/* last time a byte of this flow moved */
	atomic_int nerr;
	char err[NERRMSG][200];
	/* TLS 1.3 key updates: handshake bytes of the current one, RX gen */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int hs_have, rx_gen, tx_gen;
	pthread_rwlock_t txlock;	/* writers kind: frames vs KeyUpdate */
	/* writers kind */
	struct wstate w[MAXW];
	unsigned char fh[FRAME_HDR];
	int fh_len, fw;
	uint32_t fleft;
	int fsync_lost;
	/* readers kind */
	struct rlog *log[MAXR];
	/* oob kind */
	atomic_int oob_sent, oob_got;
	int oob_pct, oob_inline, zero_len, padded, tiny_segs;
	char outcome[160];
	/* result */
	uint64_t lost, dup, abandoned, holes;
};

struct conn {
	int idx, version, cipher;
	uint64_t kseed;
	int fd[2][2];		/* [side][the socket, its dup] */
	int nflows;
	int tight;		/* tiny SO_RCVBUF on both ends, never changed */
	int nonblock_ok[2], sndtimeo_ok[2];
	atomic_int stop_observers, fds_closed;
	long abandon_at;
	struct flow flow[2];
};

struct worker {
	struct conn *c;
	struct flow *f;
	int role, idx;
	uint64_t rng;
	struct slot *slot;
	pthread_t thread;
	pid_t child;
	unsigned char *buf;
	/* writer */
	uint64_t off;		/* single writer: own stream offset */
	int memfd, pipe[2];
	off_t fpos;
	uint32_t seq;
	/* reader */
	int style, burst, need_cmsg, ep;
	/* observer */
	int busy;
	long phase_end;		/* ms */
};

static void say(const char *fmt, ...)
{
	va_list ap;
	char line[512];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	pthread_mutex_lock(&G->print);
	if (write(1, line, n) < 0)
		n = 0;
	pthread_mutex_unlock(&G->print);
}

static const char *conn_flow(struct flow *f)
{
	return f->id ? "b->a" : "a->b";
}

/* A failed check: kept for the flow's TAP line and printed at once. */
static void flow_fail(struct worker *w, const char *fmt, ...)
{
	struct flow *f = w->f;
	char msg[200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = atomic_fetch_add(&f->nerr, 1);
	if (n < NERRMSG)
		memcpy(f->err[n], msg, sizeof(msg));
	if (n < 20)
		say("# conn %d %s: %s %d: %s", w->c->idx, conn_flow(f),
		    role_name[w->role], w->idx, msg);
}

static void op_begin(struct worker *w, const char *op, int blocking)
{
	atomic_store_explicit(&w->slot->op, op, memory_order_relaxed);
	atomic_store_explicit(&w->slot->since, now_ms(), memory_order_relaxed);
	atomic_store_explicit(&w->slot->blocking, blocking, memory_order_release);
}

static void op_end(struct worker *w)
{
	atomic_store_explicit(&w->slot->blocking, 0, memory_order_relaxed);
	atomic_store_explicit(&w->slot->op, "-", memory_order_relaxed);
}

static struct slot *slot_get(const char *fmt, ...)
{
	va_list ap;
	int i;

	for (i = 0; i < MAXSLOTS; i++) {
		int zero = 0;

		if (!atomic_compare_exchange_strong(&G->slot[i].used, &zero, 1))
			continue;
		va_start(ap, fmt);
		vsnprintf(G->slot[i].name, sizeof(G->slot[i].name), fmt, ap);
		va_end(ap);
		G->slot[i].op = "start";
		G->slot[i].since = now_ms();
		G->slot[i].blocking = 0;
		G->slot[i].pid = getpid();
		G->slot[i].tid = 0;
		G->slot[i].flow_reader = 0;
		return &G->slot[i];
	}
	say("Bail out! out of worker slots");
	exit(2);
}

static void slot_put(struct slot *s)
{
	atomic_store(&s->used, 0);
}

/* Scheduler state of a task: 'R', 'S', 'D'..., '?' if unknown. */
static char task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void read_proc(pid_t pid, pid_t tid, const char *what, char *out,
		      size_t len)
{
	char path[64];
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", pid, tid, what);
	out[0] = 0;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	out[n > 0 ? n : 0] = 0;
}

/* ---- keys ---------------------------------------------------------------- */

union key {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 gcm;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

/*
 * Key material of a connection's direction @dir and generation @gen:
 * AES-GCM-128 through ktls.h's gcm_key() (one byte of the seed), the
 * other cipher filled from the seed.
 */
static socklen_t make_key(union key *k, int cipher, int version,
			  uint64_t kseed, int dir, int gen)
{
	uint64_t s = kseed ^ ((uint64_t)dir << 56) ^ ((uint64_t)gen << 24);
	unsigned char *p = (unsigned char *)k;
	size_t i;

	memset(k, 0, sizeof(*k));
	if (cipher == TLS_CIPHER_AES_GCM_128) {
		gcm_key(&k->gcm, version, splitmix(&s));
		return sizeof(k->gcm);
	}
	for (i = sizeof(k->info); i < sizeof(k->chacha); i++)
		p[i] = splitmix(&s);
	k->info.version = version;
	k->info.cipher_type = cipher;
	return sizeof(k->chacha);
}

static int set_key(struct conn *c, int fd, int opt, int dir, int gen)
{
	union key k;
	socklen_t len = make_key(&k, c->cipher, c->version, c->kseed, dir, gen);

	return setsockopt(fd, SOL_TLS, opt, &k, len);
}

static const char *cipher_name(int cipher)
{
	return cipher == TLS_CIPHER_AES_GCM_128 ? "AES-GCM-128" :
						  "CHACHA20-POLY1305";
}

/* ---- sockets ------------------------------------------------------------- */

static void set_int(int fd, int level, int opt, int v)
{
	setsockopt(fd, level, opt, &v, sizeof(v));
}

/* A loopback pair, buffers set before the handshake: fd[0] connected. */
static int tcp_pair_opts(int fd[2], const int rcvbuf[2], const int sndbuf[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0)
		return -1;
	if (rcvbuf[1])
		set_int(l, SOL_SOCKET, SO_RCVBUF, rcvbuf[1]);
	if (sndbuf[1])
		set_int(l, SOL_SOCKET, SO_SNDBUF, sndbuf[1]);
	if (bind(l, (void *)&a, len) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &len)) {
		close(l);
		return -1;
	}
	fd[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (rcvbuf[0])
		set_int(fd[0], SOL_SOCKET, SO_RCVBUF, rcvbuf[0]);
	if (sndbuf[0])
		set_int(fd[0], SOL_SOCKET, SO_SNDBUF, sndbuf[0]);
	if (connect(fd[0], (void *)&a, len)) {
		close(fd[0]);
		close(l);
		return -1;
	}
	fd[1] = accept(l, NULL, NULL);
	close(l);
	return fd[1] < 0 ? -1 : 0;
}

static int fd_of(struct worker *w, int side)
{
	return w->c->fd[side][below(&w->rng, 2)];
}

/* Wait (briefly) for @fd to take more data. */
static void wait_writable(struct worker *w, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	op_begin(w, "poll(POLLOUT)", 1);
	poll(&p, 1, 100);
	op_end(w);
}

/* SIGALRM blocked or not in the calling thread. */
static void alarm_mask(int block)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &s, NULL);
}

/* Is one of the flow's readers (@key: slot.flow_reader) asleep in a call that may block? */
static int reader_sleeps(int key)
{
	int i;

	for (i = 0; i < MAXSLOTS; i++) {
		struct slot *s = &G->slot[i];

		if (!atomic_load(&s->used) || s->flow_reader != key ||
		    !atomic_load(&s->blocking) || !s->tid)
			continue;
		if (task_state(s->pid, s->tid) == 'S')
			return 1;
	}
	return 0;
}

/* ---- writers --------------------------------------------------------------- */

/* A send error: expected once the connection is being torn down. */
static int tx_error(struct worker *w, const char *what, int err)
{
	if (err == EINTR) {
		count(OP_EINTR);
		return 0;
	}
	if (err == EAGAIN) {
		count(OP_EAGAIN);
		return 0;
	}
	if (atomic_load(&w->f->abandon))
		return -1;
	flow_fail(w, "%s: %s", what, strerrorname_np(err));
	atomic_store(&w->f->broken, 1);
	return -1;
}

/* A send error; after EAGAIN, wait a little for room first. */
static int tx_wait_error(struct worker *w, int fd, const char *what, int err)
{
	if (err == EAGAIN)
		wait_writable(w, fd);
	return tx_error(w, what, err);
}

/* Bytes [off, off + n) accepted by the kernel. */
static void tx_accepted(struct worker *w, size_t n, size_t want)
{
	w->off += n;
	atomic_fetch_add(&w->f->sent, n);
	if (n < want)
		count(OP_SHORT);
	progress();
	flow_progress(w->f);
}

static void tx_reserve(struct worker *w, size_t n)
{
	uint64_t hi = w->off + n, cur = atomic_load(&w->f->tx_hi);

	while (cur < hi && !atomic_compare_exchange_weak(&w->f->tx_hi, &cur, hi))
		;
}

static int tx_send(struct worker *w, size_t n, int flags)
{
	int fd = fd_of(w, w->f->tx);
	ssize_t r;

	fill(w->f->salt, w->off, w->buf, n);
	tx_reserve(w, n);
	count(OP_SEND);
	if (flags & MSG_MORE)
		count(OP_MORE);
	if (flags & MSG_DONTWAIT)
		count(OP_SEND_DONTWAIT);
	op_begin(w, flags & MSG_DONTWAIT ? "send(DONTWAIT)" : "send", 1);
	r = send(fd, w->buf, n, flags | MSG_NOSIGNAL);
	op_end(w);
	if (r > 0) {
		tx_accepted(w, r, n);
		return 0;
	}
	if (r == 0) {
		flow_fail(w, "send of %zu returned 0", n);
		return -1;
	}
	return tx_wait_error(w, fd, "send", errno);
}

/* Every byte of [off, off + n), in as many calls as it takes. */
static int tx_send_all(struct worker *w, size_t n, int flags)
{
	uint64_t end = w->off + n;

	while (w->off < end)
		if (tx_send(w, end - w->off, flags))
			return -1;
	return 0;
}

/* sendmsg with 1-4 iovecs, sometimes a TLS_SET_RECORD_TYPE cmsg (data). */
static int tx_sendmsg(struct worker *w, size_t n, int flags)
{
	char cbuf[CMSG_SPACE(1)] = {};
	struct iovec iov[4];
	struct msghdr m = { .msg_iov = iov };
	size_t left = n, cut;
	int fd = fd_of(w, w->f->tx), i;
	ssize_t r;

	fill(w->f->salt, w->off, w->buf, n);
	tx_reserve(w, n);
	for (i = 0; i < 4 && left; i++) {
		cut = i == 3 ? left : below(&w->rng, left + 1);
		iov[i].iov_base = w->buf + (n - left);
		iov[i].iov_len = cut;
		left -= cut;
	}
	if (left)
		iov[i - 1].iov_len += left;
	m.msg_iovlen = i;
	/* A record type with MSG_MORE is EINVAL (tls_process_cmsg()). */
	if (!(flags & MSG_MORE) && chance(&w->rng, 30)) {
		struct cmsghdr *c;

		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_TLS;
		c->cmsg_type = TLS_SET_RECORD_TYPE;
		c->cmsg_len = CMSG_LEN(1);
		*CMSG_DATA(c) = REC_DATA;
	}
	count(OP_SENDMSG);
	if (flags & MSG_MORE)
		count(OP_MORE);
	op_begin(w, "sendmsg", 1);
	r = sendmsg(fd, &m, flags | MSG_NOSIGNAL);
	op_end(w);
	if (r > 0) {
		tx_accepted(w, r, n);
		return 0;
	}
	if (r == 0 && n) {
		flow_fail(w, "sendmsg of %zu returned 0", n);
		return -1;
	}
	if (r == 0)
		return 0;
	return tx_wait_error(w, fd, "sendmsg", errno);
}

/*
 * sendfile from a memfd the writer only appends to: pages the kernel may
 * still hold are never written again (a new memfd every 8 MiB).
 */
static int tx_sendfile(struct worker *w, size_t n)
{
	int fd = fd_of(w, w->f->tx);
	off_t o;
	ssize_t r;
	size_t done = 0;

	if (w->memfd < 0 || w->fpos > (8 << 20)) {
		if (w->memfd >= 0)
			close(w->memfd);
		w->memfd = memfd_create("stress", 0);
		w->fpos = 0;
		if (w->memfd < 0) {
			flow_fail(w, "memfd_create: %s", strerrorname_np(errno));
			return -1;
		}
	}
	fill(w->f->salt, w->off, w->buf, n);
	while (done < n) {
		r = pwrite(w->memfd, w->buf + done, n - done, w->fpos + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			flow_fail(w, "pwrite: %s", strerrorname_np(errno));
			return -1;
		}
		done += r;
	}
	tx_reserve(w, n);
	o = w->fpos;
	w->fpos += n;
	count(OP_SENDFILE);
	op_begin(w, "sendfile", 1);
	r = sendfile(fd, w->memfd, &o, n);
	op_end(w);
	if (r > 0) {
		tx_accepted(w, r, n);
		return 0;
	}
	if (r == 0) {
		flow_fail(w, "sendfile of %zu returned 0", n);
		return -1;
	}
	return tx_wait_error(w, fd, "sendfile", errno);
}

/* write() into a pipe (copied, so never changed after), splice to the socket. */
static int tx_splice(struct worker *w, size_t n)
{
	int fd = fd_of(w, w->f->tx), ret = 0, err;
	unsigned int flags = 0;
	size_t done = 0, left;
	ssize_t r;

	if (w->pipe[0] < 0 && pipe(w->pipe))
		return tx_error(w, "pipe", errno);
	fill(w->f->salt, w->off, w->buf, n);
	while (done < n) {
		r = write(w->pipe[1], w->buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return tx_error(w, "write to pipe", errno);
		done += r;
	}
	tx_reserve(w, n);
	if (chance(&w->rng, 40))
		flags |= SPLICE_F_MORE;
	if (chance(&w->rng, 30))
		flags |= SPLICE_F_NONBLOCK;
	count(OP_SPLICE_IN);
	left = n;
	while (left) {
		op_begin(w, "splice-in", 1);
		r = splice(w->pipe[0], NULL, fd, NULL, left, flags);
		op_end(w);
		if (r > 0) {
			tx_accepted(w, r, left);
			left -= r;
			continue;
		}
		if (r == 0) {
			flow_fail(w, "splice of %zu returned 0", left);
			ret = -1;
			break;
		}
		err = errno;
		if (tx_wait_error(w, fd, "splice", err)) {
			ret = -1;
			break;
		}
		if (err == EAGAIN && atomic_load(&w->f->abandon))
			break;
	}
	/* Whatever is left was never sent: the stream goes on at w->off. */
	while (left) {
		r = read(w->pipe[0], w->buf, left);
		if (r <= 0 && errno != EINTR)
			break;
		if (r > 0)
			left -= r;
	}
	return ret;
}

/*
 * TLS 1.3 KeyUpdate: a handshake record, then the next TX key; nothing of
 * this flow may be sent in between (the writers kind holds txlock).
 */
static int tx_keyupdate(struct worker *w)
{
	struct flow *f = w->f;
	int fd = fd_of(w, f->tx), gen, err;
	ssize_t r;

	alarm_mask(1);
	for (;;) {
		op_begin(w, "send KeyUpdate", 1);
		r = send_type(fd, REC_HANDSHAKE, key_update, sizeof(key_update));
		op_end(w);
		if (r == sizeof(key_update))
			break;
		if (r >= 0) {
			flow_fail(w, "KeyUpdate: sent %zd of 5", r);
			alarm_mask(0);
			return -1;
		}
		err = errno;
		if (err == EAGAIN) {
			wait_writable(w, fd);
			if (!atomic_load(&f->abandon))
				continue;
		}
		if (err == EINTR)
			continue;
		alarm_mask(0);
		return tx_error(w, "KeyUpdate", err);
	}
	gen = ++f->tx_gen;
	op_begin(w, "setsockopt(TLS_TX) rekey", 0);
	if (set_key(w->c, fd, TLS_TX, f->id, gen) &&
	    !atomic_load(&f->abandon)) {
		flow_fail(w, "rekey TLS_TX gen %d: %s", gen,
			  strerrorname_np(errno));
		atomic_store(&f->broken, 1);
	}
	op_end(w);
	atomic_fetch_add(&f->ku_tx, 1);
	count(OP_KU_TX);
	progress();
	flow_progress(f);
	alarm_mask(0);
	return 0;
}

/* Gap: wait (up to half a second) until a reader sleeps, so the next record arrives alone. */
static void wait_reader_sleeps(struct worker *w)
{
	long until = now_ms() + 100 + below(&w->rng, 400);
	int key = (w->c->idx * 2 + w->f->id) + 1;

	count(OP_GAP_BLOCKED);
	op_begin(w, "gap: wait for a reader to sleep", 0);
	while (now_ms() < until && !atomic_load(&w->f->stop) &&
	       !reader_sleeps(key))
		sleep_us(300);
	op_end(w);
}

static void tx_gap(struct worker *w)
{
	count(OP_GAP);
	op_begin(w, "gap: sleep", 0);
	sleep_us(chance(&w->rng, 70) ? below(&w->rng, 2000) :
				       below(&w->rng, 30000));
	op_end(w);
}

static int rekey_ok(struct worker *w)
{
	return can_rekey && w->c->version == TLS_1_3_VERSION;
}

/* The writer of the single and readers kinds: one stream, every op. */
static void writer_single(struct worker *w)
{
	struct flow *f = w->f;
	int flags, op, rc = 0;

	while (!atomic_load(&f->stop) && !rc) {
		size_t n = pick_size(&w->rng, BUFMAX);

		flags = 0;
		if (chance(&w->rng, 35))
			flags |= MSG_MORE;
		if (chance(&w->rng, 20))
			flags |= MSG_DONTWAIT;
		op = below(&w->rng, 100);
		if (op < 30)
			rc = tx_send(w, n, flags);
		else if (op < 45)
			rc = tx_sendmsg(w, n, flags);
		else if (op < 55)
			rc = tx_sendfile(w, n);
		else if (op < 65)
			rc = tx_splice(w, n > PIPE_CHUNK ? PIPE_CHUNK : n);
		else if (op < 67) {
			count(OP_ZERO_SEND);
			rc = tx_sendmsg(w, 0, flags & MSG_MORE);
		} else if (op < 69 && rekey_ok(w) && chance(&w->rng, 50))
			rc = tx_keyupdate(w);
		else if (op < 82)
			tx_gap(w);
		else if (op < 92) {
			wait_reader_sleeps(w);
			rc = tx_send_all(w, 1 + below(&w->rng, 300), 0);
		} else
			rc = tx_send_all(w, n, 0);
	}
	/* The last bytes without MSG_MORE: nothing stays in an open record. */
	if (!atomic_load(&f->abandon) && !rc)
		tx_send_all(w, 1 + below(&w->rng, 100), 0);
}

/* ---- the writers kind: whole frames, one blocking call each ------------- */

static uint32_t frame_sum(const uint32_t *h)
{
	return mix32(h[0] ^ mix32(h[1] ^ mix32(h[2] ^ mix32(h[3] ^
		     mix32(h[4] ^ mix32(h[5]))))));
}

static void frame_header(unsigned char *p, uint32_t writer, uint32_t seq,
			 uint32_t len, uint64_t off)
{
	uint32_t h[7] = { FRAME_MAGIC, writer, seq, len, (uint32_t)off,
			  (uint32_t)(off >> 32), 0 };

	h[6] = frame_sum(h);
	memcpy(p, h, FRAME_HDR);
}

static int tx_frame(struct worker *w, size_t n, int flags)
{
	struct flow *f = w->f;
	struct wstate *ws = &f->w[w->idx];
	uint64_t off = atomic_load(&ws->sent);
	struct iovec iov[3];
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	unsigned char hdr[FRAME_HDR];
	int fd = fd_of(w, f->tx);
	size_t cut = below(&w->rng, n + 1);
	ssize_t r;

	frame_header(hdr, w->idx, w->seq, n, off);
	fill(ws->salt, off, w->buf, n);
	iov[0] = (struct iovec){ hdr, FRAME_HDR };
	iov[1] = (struct iovec){ w->buf, cut };
	iov[2] = (struct iovec){ w->buf + cut, n - cut };
	if (n - cut)
		m.msg_iovlen = 3;
	count(OP_SENDMSG);
	if (flags & MSG_MORE)
		count(OP_MORE);
	pthread_rwlock_rdlock(&f->txlock);
	op_begin(w, "sendmsg(frame)", 1);
	r = sendmsg(fd, &m, flags | MSG_NOSIGNAL);
	op_end(w);
	pthread_rwlock_unlock(&f->txlock);
	if (r == (ssize_t)(n + FRAME_HDR)) {
		atomic_fetch_add(&ws->sent, n);
		atomic_fetch_add(&ws->frames, 1);
		atomic_fetch_add(&f->sent, r);
		w->seq++;
		progress();
		flow_progress(f);
		return 0;
	}
	if (!atomic_load(&f->abandon)) {
		flow_fail(w, "blocking frame send of %zu: %zd (%s)",
			  n + FRAME_HDR, r, r < 0 ? strerrorname_np(errno) : "short");
		atomic_store(&f->broken, 1);
	}
	if (r > 0)
		atomic_fetch_add(&f->sent, r);
	return -1;
}

static void writer_frames(struct worker *w)
{
	struct flow *f = w->f;
	int rc = 0, op;

	alarm_mask(1);	/* a frame is one uninterrupted sendmsg */
	while (!atomic_load(&f->stop) && !rc) {
		size_t n = below(&w->rng, 10) ? pick_size(&w->rng, 65536) : 0;

		op = below(&w->rng, 100);
		if (op < 70) {
			rc = tx_frame(w, n, chance(&w->rng, 40) ? MSG_MORE : 0);
		} else if (op < 72 && rekey_ok(w) && chance(&w->rng, 50)) {
			pthread_rwlock_wrlock(&f->txlock);
			rc = tx_keyupdate(w);
			alarm_mask(1);
			pthread_rwlock_unlock(&f->txlock);
		} else if (op < 88) {
			tx_gap(w);
		} else {
			wait_reader_sleeps(w);
			rc = tx_frame(w, below(&w->rng, 200), 0);
		}
	}
	if (!atomic_load(&f->abandon) && !rc)
		tx_frame(w, below(&w->rng, 100), 0);
}

static void writer_main(struct worker *w)
{
	struct flow *f = w->f;

	w->memfd = -1;
	w->pipe[0] = w->pipe[1] = -1;
	if (f->mode == M_WRITERS)
		writer_frames(w);
	else
		writer_single(w);
	if (w->memfd >= 0)
		close(w->memfd);
	if (w->pipe[0] >= 0) {
		close(w->pipe[0]);
		close(w->pipe[1]);
	}
	/*
	 * The last writer out: the flow is complete. Its FIN comes from the
	 * main thread once every byte is read (stock tls.ko drops records
	 * still queued for TCP when SHUT_WR comes first).
	 */
	if (atomic_fetch_sub(&f->writers_left, 1) == 1)
		atomic_store(&f->tx_done, 1);
}

/* ---- readers ---------------------------------------------------------------- */

enum rx_status { RX_DATA, RX_AGAIN, RX_EOF, RX_ERR };
enum style { S_BLOCK, S_POLL, S_EPOLL, S_SPIN, NSTYLES };

/* A read of the readers kind, logged for the reconciliation. */
static void log_piece(struct worker *w, int64_t off, const unsigned char *p,
		      size_t n)
{
	struct rlog *l = w->f->log[w->idx];
	unsigned int i = atomic_load(&l->n);
	struct piece *last = i ? &l->p[i - 1] : NULL;

	if (off >= 0 && last && !last->tiny && last->off + last->len == (uint64_t)off &&
	    last->len + n < UINT32_MAX) {
		last->len += n;
		return;
	}
	if (i >= LOGCAP) {
		atomic_store(&l->overflow, 1);
		return;
	}
	l->p[i].len = n;
	l->p[i].tiny = off < 0;
	l->p[i].off = off < 0 ? 0 : off;
	if (off < 0)
		memcpy(l->p[i].b, p, n);
	atomic_store(&l->n, i + 1);
}

/* The frames of the writers kind, parsed in stream order. */
static void frame_rx(struct worker *w, const unsigned char *p, size_t n)
{
	struct flow *f = w->f;

	while (n) {
		if (f->fsync_lost) {
			atomic_fetch_add(&f->corrupt, n);
			return;
		}
		if (f->fh_len < FRAME_HDR) {
			size_t k = FRAME_HDR - f->fh_len;
			uint32_t h[7];
			uint64_t off;

			k = k < n ? k : n;
			memcpy(f->fh + f->fh_len, p, k);
			f->fh_len += k;
			p += k;
			n -= k;
			atomic_fetch_add(&f->checked, k);
			if (f->fh_len < FRAME_HDR)
				return;
			memcpy(h, f->fh, FRAME_HDR);
			off = h[4] | (uint64_t)h[5] << 32;
			if (h[0] != FRAME_MAGIC || h[1] >= (uint32_t)f->nw ||
			    h[6] != frame_sum(h) || h[2] != f->w[h[1]].rx_seq ||
			    off != f->w[h[1]].rx_off) {
				flow_fail(w, "bad frame header at byte %llu "
					  "(writer %u seq %u len %u off %llu)",
					  (unsigned long long)atomic_load(&f->received),
					  h[1], h[2], h[3], (unsigned long long)off);
				f->fsync_lost = 1;
				atomic_fetch_add(&f->corrupt, FRAME_HDR);
				continue;
			}
			f->fw = h[1];
			f->fleft = h[3];
			f->w[f->fw].rx_seq++;
			if (f->fleft)
				continue;
			f->fh_len = 0;
			continue;
		} else {
			struct wstate *ws = &f->w[f->fw];
			size_t k = f->fleft < n ? f->fleft : n, m;

			m = match(ws->salt, ws->rx_off, p, k);
			if (m < k) {
				flow_fail(w, "writer %d frame %u: byte %llu of its "
					  "stream differs", f->fw, ws->rx_seq - 1,
					  (unsigned long long)(ws->rx_off + m));
				atomic_fetch_add(&f->corrupt, k - m);
			}
			atomic_fetch_add(&f->checked, m);
			ws->rx_off += k;
			f->fleft -= k;
			p += k;
			n -= k;
			if (!f->fleft)
				f->fh_len = 0;
		}
	}
}

/* Data read (consumed) by a reader: checked by the flow's kind. */
static void rx_data(struct worker *w, const unsigned char *p, size_t n)
{
	struct flow *f = w->f;
	uint64_t at;
	int64_t off;
	size_t m;

	atomic_fetch_add(&f->received, n);
	progress();
	flow_progress(f);
	switch (f->mode) {
	case M_SINGLE:
	case M_OOB:
		at = atomic_load(&f->rx_off);
		m = match(f->salt, at, p, n);
		atomic_fetch_add(&f->checked, m);
		if (m < n) {
			off = locate(f->salt, p + m, n - m, UINT64_MAX);
			flow_fail(w, "%zu bytes at stream offset %llu differ%s%lld",
				  n - m, (unsigned long long)(at + m),
				  off < 0 ? "" : ": they are the bytes of offset ",
				  (long long)off);
			atomic_fetch_add(&f->corrupt, n - m);
		}
		atomic_store(&f->rx_off, at + n);
		break;
	case M_READERS:
		off = locate(f->salt, p, n, atomic_load(&f->tx_hi));
		if (off < 0 && n >= LOCATE_MIN) {
			flow_fail(w, "a read of %zu bytes is not in the stream", n);
			atomic_fetch_add(&f->corrupt, n);
			break;
		}
		if (off >= 0)
			atomic_fetch_add(&f->checked, n);
		log_piece(w, off, p, n);
		break;
	case M_WRITERS:
		frame_rx(w, p, n);
		break;
	}
}

/* MSG_PEEK data: where it can be placed, it must be the stream's. */
static void rx_peeked(struct worker *w, const unsigned char *p, size_t n,
		      uint64_t from)
{
	struct flow *f = w->f;
	int64_t off;

	atomic_fetch_add(&f->peeked, n);
	if (f->mode == M_WRITERS)
		return;
	if (n < LOCATE_MIN && (f->mode == M_READERS || w->role == R_PEEK))
		return;
	if ((f->mode == M_SINGLE || f->mode == M_OOB) && w->role == R_READER) {
		if (match(f->salt, from, p, n) == n)
			return;
		flow_fail(w, "MSG_PEEK of %zu at offset %llu: not the next bytes",
			  n, (unsigned long long)from);
		atomic_fetch_add(&f->peek_bad, 1);
		return;
	}
	off = locate(f->salt, p, n, atomic_load(&f->tx_hi));
	if (off < 0 || (f->mode != M_READERS && (uint64_t)off < from)) {
		flow_fail(w, "MSG_PEEK of %zu bytes: %s (reader at %llu, at %lld)",
			  n, off < 0 ? "not in the stream" : "already consumed",
			  (unsigned long long)from, (long long)off);
		atomic_fetch_add(&f->peek_bad, 1);
	}
}

/* A KeyUpdate's bytes; the one who completes it sets the next RX key. */
static void rx_handshake(struct worker *w, int fd, const unsigned char *p,
			 size_t n)
{
	struct flow *f = w->f;
	size_t i;

	pthread_mutex_lock(&f->lock);
	if (f->hs_have + n > sizeof(key_update)) {
		flow_fail(w, "handshake read of %zu with %d of a KeyUpdate read",
			  n, f->hs_have);
		n = sizeof(key_update) - f->hs_have;
	}
	for (i = 0; i < n; i++)
		if (f->mode == M_READERS ? !memchr(key_update, p[i], 5) :
					   p[i] != key_update[f->hs_have + i])
			break;
	if (i < n)
		flow_fail(w, "handshake record: byte %zu is 0x%02x, not a KeyUpdate's",
			  f->hs_have + i, p[i]);
	f->hs_have += n;
	if (f->hs_have == sizeof(key_update)) {
		f->hs_have = 0;
		op_begin(w, "setsockopt(TLS_RX) rekey", 0);
		if (set_key(w->c, fd, TLS_RX, f->id, f->rx_gen + 1) &&
		    !atomic_load(&f->abandon)) {
			flow_fail(w, "rekey TLS_RX gen %d: %s", f->rx_gen + 1,
				  strerrorname_np(errno));
			atomic_store(&f->broken, 1);
		}
		op_end(w);
		f->rx_gen++;
		atomic_fetch_add(&f->ku_rx, 1);
		count(OP_KU_RX);
		pthread_cond_broadcast(&f->cond);
		progress();
		flow_progress(f);
	}
	pthread_mutex_unlock(&f->lock);
}

/* EKEYEXPIRED: another reader holds the KeyUpdate; wait for its new key. */
static void rx_key_expired(struct worker *w, int fd, int gen)
{
	struct flow *f = w->f;
	struct timespec t;

	count(OP_EKEYEXPIRED);
	pthread_mutex_lock(&f->lock);
	if (f->mode != M_READERS && f->rx_gen == gen &&
	    !atomic_load(&f->abandon)) {
		/* The only reader gets EKEYEXPIRED: it must have read the KeyUpdate first. */
		flow_fail(w, "EKEYEXPIRED with %d bytes of a KeyUpdate read "
			  "(RX generation %d, %d KeyUpdates sent)", f->hs_have,
			  gen, atomic_load(&f->ku_tx));
		f->hs_have = 0;
		set_key(w->c, fd, TLS_RX, f->id, ++f->rx_gen);
	}
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += 20 * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	op_begin(w, "wait for the new RX key", 0);
	if (f->rx_gen == gen)
		pthread_cond_timedwait(&f->cond, &f->lock, &t);
	op_end(w);
	pthread_mutex_unlock(&f->lock);
}

/* How the oob kind's receiver ended, when urgent bytes were sent. */
static void oob_outcome(struct worker *w, const char *what)
{
	struct flow *f = w->f;

	if (!f->outcome[0])
		snprintf(f->outcome, sizeof(f->outcome), "%s after %llu of %llu bytes",
			 what, (unsigned long long)atomic_load(&f->received),
			 (unsigned long long)atomic_load(&f->sent));
}

/* One read by a random method; @nonblock: it must not sleep. */
static enum rx_status rx_once(struct worker *w, int nonblock)
{
	struct flow *f = w->f;
	int fd = fd_of(w, f->rx), m = below(&w->rng, 10), flags = 0, gen;
	size_t n = pick_size(&w->rng, BUFMAX);
	char cbuf[CMSG_SPACE(1)] = {};
	unsigned char type = 0;
	struct iovec iov[3];
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 1 };
	int peek = 0, cmsg_room = 0, err;
	uint64_t from = atomic_load(&f->rx_off);
	const char *how;
	ssize_t r;

	if (w->need_cmsg)
		m = 4;
	pthread_mutex_lock(&f->lock);
	gen = f->rx_gen;
	pthread_mutex_unlock(&f->lock);
	if (m <= 2 || (m == 3 && nonblock)) {
		int pick = below(&w->rng, 6);

		if (pick == 1)
			flags = MSG_WAITALL;
		else if (pick == 2)
			flags = MSG_PEEK;
		else if (pick == 3 && f->mode == M_OOB)
			flags = MSG_OOB;
		if (nonblock)
			flags |= MSG_DONTWAIT;
		peek = !!(flags & MSG_PEEK);
		count(peek ? OP_PEEK : OP_RECV);
		if (flags & MSG_WAITALL)
			count(OP_WAITALL);
		if (flags & MSG_DONTWAIT)
			count(OP_DONTWAIT);
		how = peek ? "recv(PEEK)" : flags & MSG_WAITALL ? "recv(WAITALL)" :
		      flags & MSG_OOB ? "recv(OOB)" : "recv";
		op_begin(w, how, !nonblock);
		r = recv(fd, w->buf, n, flags);
	} else if (m == 3) {
		count(OP_READ);
		how = "read";
		op_begin(w, how, 1);
		r = read(fd, w->buf, n);
	} else if (m <= 7) {
		size_t a = below(&w->rng, n + 1), b = below(&w->rng, n - a + 1);
		int pick = below(&w->rng, 6);

		iov[0] = (struct iovec){ w->buf, a };
		iov[1] = (struct iovec){ w->buf + a, b };
		iov[2] = (struct iovec){ w->buf + a + b, n - a - b };
		msg.msg_iovlen = 1 + below(&w->rng, 3);
		if (msg.msg_iovlen == 1)
			iov[0].iov_len = n;
		else if (msg.msg_iovlen == 2)
			iov[1].iov_len = n - a;
		cmsg_room = m != 7;
		if (cmsg_room) {
			msg.msg_control = cbuf;
			msg.msg_controllen = sizeof(cbuf);
		}
		if (pick == 1)
			flags = MSG_WAITALL;
		else if (pick == 2)
			flags = MSG_PEEK;
		if (nonblock)
			flags |= MSG_DONTWAIT;
		peek = !!(flags & MSG_PEEK);
		count(cmsg_room ? OP_RECVMSG_CMSG : OP_RECVMSG);
		if (peek)
			count(OP_PEEK);
		how = cmsg_room ? "recvmsg(cmsg)" : "recvmsg";
		op_begin(w, how, !nonblock);
		r = recvmsg(fd, &msg, flags);
		if (r >= 0 && cmsg_room) {
			struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

			if (c && c->cmsg_level == SOL_TLS &&
			    c->cmsg_type == TLS_GET_RECORD_TYPE)
				type = *CMSG_DATA(c);
		}
	} else {
		int p[2];
		ssize_t got = 0, k;

		if (n > PIPE_CHUNK)
			n = PIPE_CHUNK;
		if (w->pipe[0] < 0 && pipe(w->pipe))
			return RX_ERR;
		p[0] = w->pipe[0];
		p[1] = w->pipe[1];
		count(OP_SPLICE_OUT);
		how = "splice";
		op_begin(w, how, !nonblock);
		r = splice(fd, NULL, p[1], NULL, n,
			   nonblock ? SPLICE_F_NONBLOCK : 0);
		err = errno;
		op_end(w);
		while (r > 0 && got < r) {
			k = read(p[0], w->buf + got, r - got);
			if (k > 0)
				got += k;
			else if (k < 0 && errno != EINTR)
				break;
		}
		if (r > 0 && got != r) {
			flow_fail(w, "splice: %zd bytes in the pipe, read %zd", r, got);
			r = got;
		}
		errno = err;
		if (r < 0 && errno == EINVAL)
			w->need_cmsg = 1;	/* a control record ahead */
	}
	err = errno;
	op_end(w);
	if (flags & MSG_OOB) {
		/* TCP's urgent byte, not the stream's (stock reads on as if no flag) */
		if (r == 1 && w->buf[0] == '!' && !match(f->salt, from, w->buf, 1)) {
			atomic_fetch_add(&f->oob_got, 1);
			count(OP_OOB_RECV);
			return RX_DATA;
		}
		if (r < 0 && err == EINVAL)
			return RX_AGAIN;
	}
	if (r > 0) {
		if (!cmsg_room)
			type = REC_DATA;
		w->need_cmsg = 0;
		if (peek) {
			if (type == REC_DATA)
				rx_peeked(w, w->buf, r, from);
			return RX_DATA;
		}
		if (type == REC_DATA)
			rx_data(w, w->buf, r);
		else if (type == REC_HANDSHAKE)
			rx_handshake(w, fd, w->buf, r);
		else
			flow_fail(w, "a record of type %d", type);
		return RX_DATA;
	}
	if (r == 0) {
		if (peek)
			return RX_AGAIN;
		/*
		 * An urgent byte (without SO_OOBINLINE) inside a record: the
		 * record never completes and the stream ends at the FIN with
		 * no error, on stock as on ctls (rxedge's urgent-byte cases).
		 */
		if (f->mode == M_OOB && atomic_load(&f->oob_sent) &&
		    atomic_load(&f->tx_done) &&
		    atomic_load(&f->received) < atomic_load(&f->sent))
			oob_outcome(w, "end of stream");
		if (atomic_load(&f->tx_done) || atomic_load(&f->abandon))
			return RX_EOF;
		if (opt_splice_zero && m >= 8 && f->zero_len) {
			/* stock tls.ko's splice_read at an empty record (-Z) */
			count(OP_SPLICE_ZERO);
			return RX_AGAIN;
		}
		flow_fail(w, "%s%s of %zu returned 0 at byte %llu before the "
			  "writer ended", how, nonblock ? " (non-blocking)" : "", n,
			  (unsigned long long)atomic_load(&f->received));
		sleep_us(10000);
		return RX_AGAIN;
	}
	switch (err) {
	case EINTR:
		count(OP_EINTR);
		return RX_AGAIN;
	case EAGAIN:
		count(OP_EAGAIN);
		return RX_AGAIN;
	case EIO:
		/* A control record and no room for its type. */
		count(OP_EIO);
		if (cmsg_room && !atomic_load(&f->abandon))
			flow_fail(w, "EIO with room for the record type");
		w->need_cmsg = 1;
		return RX_AGAIN;
	case EINVAL:
		if (m >= 8)
			return RX_AGAIN;
		break;
	case EKEYEXPIRED:
		rx_key_expired(w, fd, gen);
		return RX_AGAIN;
	}
	if (atomic_load(&f->abandon))
		return RX_ERR;
	if (f->mode == M_OOB && atomic_load(&f->oob_sent)) {
		oob_outcome(w, strerrorname_np(err));
		return RX_ERR;
	}
	flow_fail(w, "%s of %zu: %s", how, n, strerrorname_np(err));
	atomic_store(&f->broken, 1);
	return RX_ERR;
}

/* Every read a non-blocking one, until EAGAIN (edge-triggered epoll's rule). */
static enum rx_status rx_drain(struct worker *w)
{
	enum rx_status st = RX_DATA;
	int i;

	for (i = 0; i < 2000 && st == RX_DATA; i++)
		st = rx_once(w, 1);
	return st;
}

/*
 * poll or epoll_wait slept WAKE_MS. If nobody read anything meanwhile
 * although bytes sent before it began were unread, and they are readable
 * now, the wakeup was lost. Unless fewer than SO_RCVLOWAT bytes were
 * unread: TCP then holds back data_ready (tcp_data_ready()) and poll's
 * readiness until more come, for stock tls.ko and ctls alike, as for a
 * plain TCP socket (an observer sets SO_RCVLOWAT up to 70002).
 */
static enum rx_status rx_woke_late(struct worker *w, const char *how,
				   uint64_t rcv0, uint64_t sent0)
{
	struct flow *f = w->f;
	socklen_t len = sizeof(int);
	enum rx_status st;
	int lowat = 1;

	if (atomic_load(&f->received) != rcv0 || sent0 <= rcv0)
		return RX_AGAIN;
	getsockopt(fd_of(w, f->rx), SOL_SOCKET, SO_RCVLOWAT, &lowat, &len);
	if (sent0 - rcv0 < (uint64_t)lowat) {
		count(OP_LOWAT_HELD);
		return RX_AGAIN;
	}
	st = rx_drain(w);
	if (atomic_load(&f->received) != rcv0)
		flow_fail(w, "%s slept %d s while bytes sent before it were "
			  "readable (%llu received, %llu sent)", how,
			  WAKE_MS / 1000, (unsigned long long)rcv0,
			  (unsigned long long)sent0);
	return st;
}

static enum rx_status rx_step(struct worker *w)
{
	struct flow *f = w->f;
	uint64_t rcv0 = atomic_load(&f->received), sent0 = atomic_load(&f->sent);
	struct epoll_event ev;
	struct pollfd p;
	int r;

	switch (w->style) {
	case S_BLOCK:
		return rx_once(w, 0);
	case S_POLL:
		p = (struct pollfd){ .fd = fd_of(w, f->rx),
				     .events = POLLIN | POLLRDHUP };
		count(OP_POLL);
		op_begin(w, "poll(POLLIN)", 1);
		r = poll(&p, 1, WAKE_MS);
		op_end(w);
		if (r == 0)
			return rx_woke_late(w, "poll", rcv0, sent0);
		return rx_once(w, 1);
	case S_EPOLL:
		if (w->ep < 0) {
			w->ep = epoll_create1(0);
			ev = (struct epoll_event){ .events = EPOLLIN | EPOLLRDHUP | EPOLLET };
			if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->c->fd[f->rx][w->idx & 1],
				      &ev)) {
				flow_fail(w, "epoll_ctl: %s", strerrorname_np(errno));
				close(w->ep);
				w->ep = -1;
				w->style = S_BLOCK;
				return RX_AGAIN;
			}
		}
		r = rx_drain(w);
		if (r != RX_AGAIN)
			return r;
		rcv0 = atomic_load(&f->received);
		sent0 = atomic_load(&f->sent);
		count(OP_EPOLL);
		op_begin(w, "epoll_wait(EPOLLET)", 1);
		r = epoll_wait(w->ep, &ev, 1, WAKE_MS);
		op_end(w);
		if (r == 0)
			return rx_woke_late(w, "epoll_wait (EPOLLET)", rcv0, sent0);
		return RX_AGAIN;
	default:
		r = rx_once(w, 1);
		if (r == RX_AGAIN)
			sleep_us(below(&w->rng, 2000));
		return r;
	}
}

static void reader_main(struct worker *w)
{
	struct flow *f = w->f;
	enum rx_status st = RX_DATA;

	w->pipe[0] = w->pipe[1] = -1;
	w->ep = -1;
	while (st != RX_EOF && st != RX_ERR) {
		if (--w->burst <= 0) {
			w->style = below(&w->rng, NSTYLES);
			w->burst = 1 + below(&w->rng, 300);
			if (w->ep >= 0 && w->style != S_EPOLL) {
				close(w->ep);
				w->ep = -1;
			}
		}
		st = rx_step(w);
		if (atomic_load(&f->abandon) && now_ms() > w->c->abandon_at + 5000)
			break;
	}
	if (w->ep >= 0)
		close(w->ep);
	if (w->pipe[0] >= 0) {
		close(w->pipe[0]);
		close(w->pipe[1]);
	}
	atomic_fetch_sub(&f->readers_left, 1);
}

/* ---- observers ---------------------------------------------------------------- */

static int observers_go(struct worker *w)
{
	return !atomic_load(&w->c->stop_observers) &&
	       !atomic_load(&w->c->fds_closed);
}

/* Alternating phases of 0.1-2 s: busy (no timeout, no sleep) or calm. */
static int busy_phase(struct worker *w)
{
	long now = now_ms();

	if (now >= w->phase_end) {
		w->busy = !w->busy;
		w->phase_end = now + 100 + below(&w->rng, 1900);
	}
	return w->busy;
}

static void obs_poll(struct worker *w)
{
	static const short ev[] = { POLLIN, POLLIN | POLLRDHUP, POLLIN | POLLOUT,
				    POLLPRI | POLLIN, POLLOUT };
	struct pollfd p[2];

	while (observers_go(w)) {
		int n = 1 + below(&w->rng, 2);

		p[0] = (struct pollfd){ .fd = fd_of(w, w->f->rx),
					.events = ev[below(&w->rng, 5)] };
		p[1] = (struct pollfd){ .fd = fd_of(w, w->f->tx), .events = POLLOUT };
		count(OP_POLL);
		op_begin(w, "poll", 1);
		/* Phases of busy polling: readiness computed while readers run. */
		n = poll(p, n, busy_phase(w) ? 0 : below(&w->rng, 50));
		op_end(w);
		if (chance(&w->rng, 5))
			sleep_us(below(&w->rng, 3000));
	}
}

static void obs_epoll(struct worker *w)
{
	static const uint32_t ev[] = {
		EPOLLIN | EPOLLET, EPOLLIN | EPOLLRDHUP | EPOLLET, EPOLLIN,
		EPOLLIN | EPOLLONESHOT, EPOLLIN | EPOLLOUT | EPOLLET
	};
	int ep = epoll_create1(0), rx = fd_of(w, w->f->rx), tx = fd_of(w, w->f->tx);
	struct epoll_event e = { .events = ev[below(&w->rng, 5)] }, out[4];

	epoll_ctl(ep, EPOLL_CTL_ADD, rx, &e);
	e.events = EPOLLOUT | EPOLLET;
	if (tx != rx)
		epoll_ctl(ep, EPOLL_CTL_ADD, tx, &e);
	while (observers_go(w)) {
		int n, i;

		count(OP_EPOLL);
		op_begin(w, "epoll_wait", 1);
		n = epoll_wait(ep, out, 4, busy_phase(w) ? 0 : below(&w->rng, 50));
		op_end(w);
		for (i = 0; i < n; i++)
			if (chance(&w->rng, 30) || (out[i].events & EPOLLIN)) {
				e.events = ev[below(&w->rng, 5)];
				epoll_ctl(ep, EPOLL_CTL_MOD, rx, &e);
			}
		if (n > 0 && chance(&w->rng, 5))
			sleep_us(below(&w->rng, 3000));
		if (chance(&w->rng, 3)) {
			epoll_ctl(ep, EPOLL_CTL_DEL, rx, NULL);
			e.events = ev[below(&w->rng, 5)];
			epoll_ctl(ep, EPOLL_CTL_ADD, rx, &e);
		}
	}
	close(ep);
}

static void obs_peek(struct worker *w)
{
	struct flow *f = w->f;

	while (observers_go(w)) {
		size_t n = pick_size(&w->rng, 32768);
		uint64_t from = atomic_load(&f->rx_off);
		unsigned char type = 0;
		ssize_t r;

		count(OP_PEEK);
		op_begin(w, "recv(PEEK|DONTWAIT)", 0);
		if (chance(&w->rng, 50))
			r = recv_type(fd_of(w, f->rx), w->buf, n,
				      MSG_PEEK | MSG_DONTWAIT, &type);
		else
			r = recv(fd_of(w, f->rx), w->buf, n, MSG_PEEK | MSG_DONTWAIT);
		op_end(w);
		if (r > 0 && (type == 0 || type == REC_DATA))
			rx_peeked(w, w->buf, r, from);
		/*
		 * A bad header is reported once, to whoever asks first (stock
		 * and ctls alike): the reader may then see only EOF.
		 */
		if (r < 0 && f->mode == M_OOB && atomic_load(&f->oob_sent) &&
		    (errno == EBADMSG || errno == EMSGSIZE || errno == EINVAL))
			oob_outcome(w, errno == EBADMSG ? "EBADMSG (to a peek)" :
				    errno == EMSGSIZE ? "EMSGSIZE (to a peek)" :
				    "EINVAL (to a peek)");
		sleep_us(below(&w->rng, chance(&w->rng, 50) ? 500 : 5000));
	}
}

/* A buffer size: tiny (below a record) now and then, mostly not. */
static int pick_buf(uint64_t *r)
{
	int pct = below(r, 100);

	if (pct < 15)
		return 1 + below(r, 8192);
	if (pct < 55)
		return 8192 + below(r, 65536);
	return 262144 + below(r, 1 << 20);
}

/* Socket options and ioctls the other threads must cope with. */
static void obs_knobs(struct worker *w)
{
	struct conn *c = w->c;
	struct flow *f = w->f;
	int v;

	while (observers_go(w)) {
		int rx = fd_of(w, f->rx), tx = fd_of(w, f->tx), op;
		struct timeval tv = { 0, 0 };
		union key k;
		socklen_t len;
		struct tcp_info ti;

		op = below(&w->rng, 100);
		op_begin(w, "setsockopt", 0);
		if (op < 35) {
			static const int lowat[] = { 1, 2, 7, 100, 1000, 16384, 20000, 70000 };

			v = lowat[below(&w->rng, 8)] + below(&w->rng, 3);
			count(OP_LOWAT);
			set_int(rx, SOL_SOCKET, SO_RCVLOWAT, v);
		} else if (op < 47) {
			count(OP_RCVBUF);
			v = pick_buf(&w->rng);
			/*
			 * Where a lowered SO_RCVBUF clamps TCP's window, one
			 * below the sender's MSS (64 KiB on loopback: a
			 * window that was large keeps it there) leaves only
			 * zero-window probes to move data, backing off to 2
			 * minutes: any TCP reader stalls, stock tls.ko's too
			 * (7.3, seed 954073591). Small buffers are then the
			 * tight connections' alone, set before the handshake.
			 */
			if (rcvbuf_clamps && v < 262144)
				v = 262144 + v;
			if (!c->tight)
				set_int(rx, SOL_SOCKET, SO_RCVBUF, v);
		} else if (op < 57) {
			count(OP_SNDBUF);
			set_int(tx, SOL_SOCKET, SO_SNDBUF, pick_buf(&w->rng));
		} else if (op < 65) {
			count(OP_TIMEO);
			if (chance(&w->rng, 50))
				tv.tv_usec = 1000 + below(&w->rng, 300000);
			setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			if (c->sndtimeo_ok[f->tx] && chance(&w->rng, 30)) {
				tv.tv_usec = chance(&w->rng, 50) ?
					     1000 + below(&w->rng, 300000) : 0;
				setsockopt(tx, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			}
		} else if (op < 71) {
			int s = below(&w->rng, 2), fl = fcntl(c->fd[s][0], F_GETFL);

			if (c->nonblock_ok[s] && fl >= 0) {
				count(OP_NONBLOCK);
				fcntl(c->fd[s][0], F_SETFL, chance(&w->rng, 40) ?
				      fl | O_NONBLOCK : fl & ~O_NONBLOCK);
			}
		} else if (op < 76) {
			count(OP_CORK);
			if (chance(&w->rng, 50))
				set_int(tx, IPPROTO_TCP, TCP_NODELAY,
					below(&w->rng, 2));
			else
				set_int(tx, IPPROTO_TCP, TCP_CORK, below(&w->rng, 2));
		} else if (op < 86) {
			count(OP_GETSOCKOPT);
			len = sizeof(k);
			if (!getsockopt(chance(&w->rng, 50) ? rx : tx, SOL_TLS,
					chance(&w->rng, 50) ? TLS_TX : TLS_RX, &k, &len) &&
			    (k.info.version != c->version ||
			     k.info.cipher_type != c->cipher))
				flow_fail(w, "getsockopt(SOL_TLS): version %#x cipher %d",
					  k.info.version, k.info.cipher_type);
			len = sizeof(ti);
			getsockopt(rx, IPPROTO_TCP, TCP_INFO, &ti, &len);
		} else {
			count(OP_IOCTL);
			ioctl(rx, SIOCINQ, &v);
			ioctl(tx, SIOCOUTQ, &v);
			ioctl(rx, SIOCATMARK, &v);
		}
		op_end(w);
		sleep_us(below(&w->rng, chance(&w->rng, 50) ? 1000 : 20000));
	}
	/* Blocking again, so that no reader or writer is left spinning. */
	for (v = 0; v < 2; v++) {
		int fl = fcntl(c->fd[v][0], F_GETFL);

		if (fl >= 0 && c->nonblock_ok[v])
			fcntl(c->fd[v][0], F_SETFL, fl & ~O_NONBLOCK);
	}
}

static void observer_main(struct worker *w)
{
	switch (w->role) {
	case R_POLL:
		obs_poll(w);
		break;
	case R_EPOLL:
		obs_epoll(w);
		break;
	case R_PEEK:
		obs_peek(w);
		break;
	default:
		obs_knobs(w);
		break;
	}
}

/* ---- the oob kind: a raw TCP peer that seals its own records ----------------- */

struct rawkey {
	const EVP_CIPHER *evp;
	unsigned char key[32], iv[12];
	uint64_t seq;
	int v13, gcm;
};

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The key of direction a->b, generation 0, as the receiver has it. */
static void raw_key(struct conn *c, struct rawkey *k)
{
	union key u;

	make_key(&u, c->cipher, c->version, c->kseed, 0, 0);
	memset(k, 0, sizeof(*k));
	k->v13 = c->version == TLS_1_3_VERSION;
	k->gcm = c->cipher == TLS_CIPHER_AES_GCM_128;
	if (k->gcm) {
		k->evp = EVP_aes_128_gcm();
		memcpy(k->key, u.gcm.key, 16);
		memcpy(k->iv, u.gcm.salt, 4);
		memcpy(k->iv + 4, u.gcm.iv, 8);
		k->seq = be64(u.gcm.rec_seq);
	} else {
		k->evp = EVP_chacha20_poly1305();
		memcpy(k->key, u.chacha.key, 32);
		memcpy(k->iv, u.chacha.iv, 12);
		k->seq = be64(u.chacha.rec_seq);
	}
}

/*
 * One data record of @len bytes (TLS 1.3: and @pad zeros) into @out, its
 * length returned: RFC 5288 (1.2 AES-GCM: salt + explicit nonce), RFC 7905
 * and RFC 8446 (IV xor sequence number), additional data per version.
 */
static size_t raw_seal(struct rawkey *k, const unsigned char *data, size_t len,
		       size_t pad, unsigned char *out, unsigned char *tmp)
{
	uint64_t seq = k->seq++;
	size_t x = !k->v13 && k->gcm ? 8 : 0, plen, body;
	unsigned char nonce[12], aad[13];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int i, l, aadlen;

	memcpy(nonce, k->iv, 12);
	for (i = 0; i < 8; i++) {
		unsigned char b = seq >> (56 - 8 * i);

		nonce[4 + i] = x ? b : nonce[4 + i] ^ b;
	}
	plen = len + (k->v13 ? 1 + pad : 0);
	body = x + plen + 16;
	out[0] = REC_DATA;
	out[1] = 3;
	out[2] = 3;
	out[3] = body >> 8;
	out[4] = body;
	memcpy(out + 5, nonce + 4, x);
	memcpy(tmp, data, len);
	if (k->v13) {
		tmp[len] = REC_DATA;
		memset(tmp + len + 1, 0, pad);
		memcpy(aad, out, 5);
		aadlen = 5;
	} else {
		for (i = 0; i < 8; i++)
			aad[i] = seq >> (56 - 8 * i);
		aad[8] = REC_DATA;
		aad[9] = 3;
		aad[10] = 3;
		aad[11] = len >> 8;
		aad[12] = len;
		aadlen = 13;
	}
	if (!ctx || !EVP_EncryptInit_ex(ctx, k->evp, NULL, NULL, NULL) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) ||
	    !EVP_EncryptInit_ex(ctx, NULL, NULL, k->key, nonce) ||
	    !EVP_EncryptUpdate(ctx, NULL, &l, aad, aadlen) ||
	    (plen && !EVP_EncryptUpdate(ctx, out + 5 + x, &l, tmp, plen)) ||
	    !EVP_EncryptFinal_ex(ctx, out + 5 + x + plen, &l) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out + 5 + x + plen)) {
		say("Bail out! libcrypto failed to seal a record");
		exit(2);
	}
	EVP_CIPHER_CTX_free(ctx);
	return 5 + body;
}

static int raw_write(struct worker *w, int fd, const unsigned char *p, size_t n,
		     int flags)
{
	while (n) {
		ssize_t r;

		op_begin(w, flags & MSG_OOB ? "send(MSG_OOB)" : "send(raw)", 1);
		r = send(fd, p, n, flags | MSG_NOSIGNAL);
		op_end(w);
		if (r > 0) {
			p += r;
			n -= r;
			progress();
			continue;
		}
		if (r < 0 && (errno == EINTR || errno == EAGAIN)) {
			count(errno == EINTR ? OP_EINTR : OP_EAGAIN);
			if (errno == EAGAIN)
				wait_writable(w, fd);
			continue;
		}
		return tx_error(w, "raw send", r < 0 ? errno : EPIPE);
	}
	return 0;
}

static int raw_oob(struct worker *w, int fd)
{
	count(OP_OOB_SENT);
	atomic_fetch_add(&w->f->oob_sent, 1);
	return raw_write(w, fd, (const unsigned char *)"!", 1, MSG_OOB);
}

/* Records in random pieces, with gaps and urgent bytes, then FIN. */
static void raw_sender(struct worker *w)
{
	struct flow *f = w->f;
	int fd = w->c->fd[f->tx][0], rc = 0;
	unsigned char *rec = malloc(64 * 1024), *tmp = rec + 17000,
		      *data = tmp + 17000;
	struct rawkey k;

	raw_key(w->c, &k);
	alarm_mask(1);	/* MSG_OOB must not be cut short by a signal */
	set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	while (!atomic_load(&f->stop) && !rc) {
		size_t len = f->tiny_segs ? 1 + below(&w->rng, 300) :
					    pick_size(&w->rng, 16384);
		size_t pad = 0, rl, pos = 0;

		if (f->zero_len && chance(&w->rng, 15))
			len = 0;
		if (k.v13 && f->padded && chance(&w->rng, 30))
			pad = below(&w->rng, (16384 - len < 300 ? 16384 - len : 300) + 1);
		fill(f->salt, w->off, data, len);
		tx_reserve(w, len);
		rl = raw_seal(&k, data, len, pad, rec, tmp);
		if (f->oob_pct && chance(&w->rng, f->oob_pct))
			rc = raw_oob(w, fd);
		while (pos < rl && !rc) {
			size_t piece = f->tiny_segs || chance(&w->rng, 20) ?
				       1 + below(&w->rng, 5) :
				       1 + below(&w->rng, rl - pos);

			if (piece > rl - pos)
				piece = rl - pos;
			if (chance(&w->rng, 5))
				wait_reader_sleeps(w);
			else if (chance(&w->rng, 5))
				tx_gap(w);
			rc = raw_write(w, fd, rec + pos, piece, 0);
			pos += piece;
			if (!rc && pos < rl && f->oob_pct &&
			    chance(&w->rng, f->oob_pct / 2))
				rc = raw_oob(w, fd);
		}
		if (!rc)
			tx_accepted(w, len, len);
	}
	free(rec);
	atomic_store(&f->tx_done, 1);
	shutdown(fd, SHUT_WR);
	atomic_fetch_sub(&f->writers_left, 1);
}

/* ---- the reconciliation of the readers kind ----------------------------------- */

struct tiny {
	uint64_t lb, ub;	/* between the reader's located reads around it */
	uint32_t len;
	uint8_t b[7];
};

struct span {
	uint64_t off, len;
};

struct tiling {
	uint32_t salt;
	struct tiny *t[MAXR];
	unsigned int cnt[MAXR], cur[MAXR];
	int nr;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

struct frame {
	uint64_t pos;
	int via, ncand, next;
	int cand[MAXR];
};

/* Readers whose next tiny read fits at @pos, earliest deadline first. */
static int candidates(struct tiling *tl, uint64_t pos, uint64_t end, int *cand)
{
	int r, n = 0, i, j;

	for (r = 0; r < tl->nr; r++) {
		struct tiny *t;

		if (tl->cur[r] >= tl->cnt[r])
			continue;
		t = &tl->t[r][tl->cur[r]];
		if (t->lb > pos || pos + t->len > end || pos + t->len > t->ub ||
		    match(tl->salt, pos, t->b, t->len) != t->len)
			continue;
		cand[n++] = r;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0; j--) {
			struct tiny *a = &tl->t[cand[j - 1]][tl->cur[cand[j - 1]]];
			struct tiny *b = &tl->t[cand[j]][tl->cur[cand[j]]];
			int x = cand[j];

			if (a->ub <= b->ub)
				break;
			cand[j] = cand[j - 1];
			cand[j - 1] = x;
		}
	return n;
}

/*
 * Fill [@start, @end) exactly with tiny reads, each reader's in its order
 * (a depth-first search, bounded). On success the readers' cursors stay
 * past the reads used.
 */
static int tile(struct tiling *tl, uint64_t start, uint64_t end)
{
	unsigned int saved[MAXR], budget = 1000000, cap = 64;
	struct frame *st = malloc(cap * sizeof(*st));
	int depth = 0, ok = 0, r;

	memcpy(saved, tl->cur, sizeof(saved));
	st[0].pos = start;
	st[0].via = -1;
	st[0].ncand = candidates(tl, start, end, st[0].cand);
	st[0].next = 0;
	while (depth >= 0 && budget--) {
		struct frame *fr = &st[depth];
		uint64_t pos;

		if (fr->pos == end) {
			ok = 1;
			break;
		}
		if (fr->next >= fr->ncand) {
			if (fr->via >= 0)
				tl->cur[fr->via]--;
			depth--;
			continue;
		}
		r = fr->cand[fr->next++];
		pos = fr->pos + tl->t[r][tl->cur[r]].len;
		tl->cur[r]++;
		if (++depth == (int)cap) {
			cap *= 2;
			st = realloc(st, cap * sizeof(*st));
		}
		st[depth].pos = pos;
		st[depth].via = r;
		st[depth].ncand = candidates(tl, pos, end, st[depth].cand);
		st[depth].next = 0;
	}
	if (!ok)
		memcpy(tl->cur, saved, sizeof(saved));
	free(st);
	return ok;
}

/*
 * Every read of the readers kind: the located ones must not overlap; the
 * holes between them must be filled exactly by the tiny ones; together
 * they are every byte sent (or, abandoned, a prefix of it).
 */
static void reconcile_readers(struct flow *f)
{
	uint64_t limit = atomic_load(&f->sent), pos = 0, unplaced = 0;
	size_t nspan = 0, i, k;
	struct tiling tl = { .salt = f->salt, .nr = f->nr };
	struct span *sp;
	int r, overflow = 0;

	for (r = 0; r < f->nr; r++)
		nspan += atomic_load(&f->log[r]->n);
	sp = malloc((nspan + 1) * sizeof(*sp));
	nspan = 0;
	for (r = 0; r < f->nr; r++) {
		struct rlog *l = f->log[r];
		unsigned int n = atomic_load(&l->n), j, first = 0;
		uint64_t lb = 0;

		overflow |= atomic_load(&l->overflow);
		tl.t[r] = malloc((n + 1) * sizeof(struct tiny));
		for (j = 0; j < n; j++) {
			struct piece *p = &l->p[j];

			if (!p->tiny) {
				sp[nspan++] = (struct span){ p->off, p->len };
				for (k = first; k < tl.cnt[r]; k++)
					tl.t[r][k].ub = p->off;
				first = tl.cnt[r];
				lb = p->off + p->len;
				continue;
			}
			tl.t[r][tl.cnt[r]] = (struct tiny){ .lb = lb, .ub = UINT64_MAX,
							    .len = p->len };
			memcpy(tl.t[r][tl.cnt[r]].b, p->b, p->len);
			tl.cnt[r]++;
		}
	}
	qsort(sp, nspan, sizeof(*sp), span_cmp);
	sp[nspan] = (struct span){ limit, 0 };
	for (i = 0; i <= nspan; i++) {
		uint64_t off = sp[i].off;

		if (off < pos) {	/* overlap: bytes read twice */
			f->dup += (off + sp[i].len < pos ? off + sp[i].len : pos) - off;
		} else if (off > pos) {
			uint64_t want = off, left = 0;

			if (i == nspan && atomic_load(&f->abandon)) {
				/* Abandoned: the tiny reads left are a prefix of the rest. */
				for (r = 0; r < f->nr; r++)
					for (k = tl.cur[r]; k < tl.cnt[r]; k++)
						left += tl.t[r][k].len;
				want = pos + left < off ? pos + left : off;
			}
			if (want > pos && !tile(&tl, pos, want))
				f->holes += want - pos;
			if (i == nspan && atomic_load(&f->abandon))
				f->abandoned += off - want;
			else if (i == nspan)
				f->lost += off - want;
		}
		if (sp[i].off + sp[i].len > pos)
			pos = sp[i].off + sp[i].len;
	}
	for (r = 0; r < f->nr; r++) {
		for (k = 0; k < tl.cnt[r]; k++)
			if (k < tl.cur[r])
				atomic_fetch_add(&f->checked, tl.t[r][k].len);
			else
				unplaced += tl.t[r][k].len;
		free(tl.t[r]);
	}
	if (unplaced) {
		char msg[200];

		snprintf(msg, sizeof(msg), "%llu bytes of short reads fit no hole",
			 (unsigned long long)unplaced);
		i = atomic_fetch_add(&f->nerr, 1);
		if (i < NERRMSG)
			memcpy(f->err[i], msg, sizeof(msg));
	}
	f->dup += unplaced;
	if (f->holes && !atomic_load(&f->abandon)) {
		f->lost += f->holes;
		f->holes = 0;
	}
	if (overflow) {
		i = atomic_fetch_add(&f->nerr, 1);
		if (i < NERRMSG)
			strcpy(f->err[i], "read log overflow: not every read checked");
	}
	free(sp);
}

/* ---- connections ------------------------------------------------------------ */

struct totals {
	uint64_t sent, received, checked, corrupt, lost, dup, abandoned;
	int flows, conns, ku_tx, ku_rx, oob_conns;
};

static struct totals tot;

static void *thread_main(void *arg)
{
	struct worker *w = arg;

	w->slot->tid = gettid();
	w->buf = malloc(BUFMAX);
	alarm_mask(w->role == R_RAW);
	switch (w->role) {
	case R_WRITER:
		writer_main(w);
		break;
	case R_READER:
		reader_main(w);
		break;
	case R_RAW:
		raw_sender(w);
		break;
	default:
		observer_main(w);
		break;
	}
	free(w->buf);
	op_begin(w, "done", 0);
	return NULL;
}

/* A forked worker: its own SIGALRM timer; the flow state is shared memory. */
static void start_child(struct worker *w)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		struct itimerval it = {};

		w->slot->pid = w->slot->tid = getpid();
		alarm_mask(0);
		if (chance(&w->rng, 60)) {
			it.it_interval.tv_usec = 2000 + below(&w->rng, 20000);
			it.it_value = it.it_interval;
		}
		setitimer(ITIMER_REAL, &it, NULL);
		thread_main(w);
		_exit(0);
	}
	w->slot->pid = w->slot->tid = pid;
	w->child = pid;
	count(OP_FORK);
}

static void plan_flow(struct flow *f, uint64_t *r, int mode)
{
	int j = opt_threads;

	f->mode = mode;
	f->nw = f->nr = 1;
	if (mode == M_READERS) {
		f->nr = 2 + below(r, 3);
		if (f->nr > j - 1)
			f->nr = j - 1 < 2 ? 2 : j - 1;
		f->child = chance(r, 50) ? R_READER : 0;
	} else if (mode == M_WRITERS) {
		f->nw = 2 + below(r, 3);
		if (f->nw > j - 1)
			f->nw = j - 1 < 2 ? 2 : j - 1;
		f->child = chance(r, 50) ? R_WRITER : 0;
	}
	f->no = j - f->nw - f->nr;
	if (f->no < 0)
		f->no = 0;
	if (f->no > MAXO)
		f->no = MAXO;
	f->writers_left = f->nw;
	f->readers_left = f->nr;
}

static void init_flow(struct flow *f, int id, uint64_t *r)
{
	pthread_condattr_t ca;
	pthread_rwlockattr_t ra;
	int i;

	f->id = id;
	f->tx = id;
	f->rx = !id;
	f->salt = splitmix(r);
	pshared_mutex(&f->lock);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_cond_init(&f->cond, &ca);
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED);
	pthread_rwlock_init(&f->txlock, &ra);
	for (i = 0; i < MAXW; i++)
		f->w[i].salt = f->salt ^ mix32(i + 1);
}

static struct worker *add_worker(struct worker *ws, int *n, struct conn *c,
				 struct flow *f, int role, int idx)
{
	struct worker *w = &ws[(*n)++];

	memset(w, 0, sizeof(*w));
	w->c = c;
	w->f = f;
	w->role = role;
	w->idx = idx;
	w->rng = rng_for(c->idx, f->id, role, idx);
	w->slot = slot_get("conn %d %s %s %d", c->idx, conn_flow(f),
			   role_name[role], idx);
	if (role == R_READER)
		w->slot->flow_reader = c->idx * 2 + f->id + 1;
	return w;
}

static void describe(struct conn *c, struct flow *f, char *out, size_t len)
{
	snprintf(out, len, "%s %s, TLS 1.%d %s%s, %d writer%s%s %d reader%s%s %d observer%s",
		 conn_flow(f), mode_name[f->mode], c->version == TLS_1_3_VERSION ? 3 : 2,
		 cipher_name(c->cipher), c->tight ? ", tiny SO_RCVBUF" : "",
		 f->nw, f->nw > 1 ? "s" : "",
		 f->child == R_WRITER ? " (1 forked)" : "", f->nr,
		 f->nr > 1 ? "s" : "", f->child == R_READER ? " (1 forked)" : "",
		 f->no, f->no == 1 ? "" : "s");
}

/* Tear down while everything runs: nothing may be corrupted or duplicated. */
static void abandon(struct conn *c, int nflows, uint64_t *r)
{
	static const int how[] = { SHUT_RD, SHUT_WR, SHUT_RDWR };
	int i, first = below(r, 2);

	c->abandon_at = now_ms();
	for (i = 0; i < nflows; i++) {
		atomic_store(&c->flow[i].abandon, 1);
		atomic_store(&c->flow[i].stop, 1);
	}
	sleep_us(below(r, 200000));
	shutdown(c->fd[first][below(r, 2)], how[below(r, 3)]);
	if (chance(r, 50))
		sleep_us(below(r, 50000));
	shutdown(c->fd[!first][below(r, 2)], how[below(r, 3)]);
	sleep_us(below(r, 50000));
	shutdown(c->fd[0][0], SHUT_RDWR);
	shutdown(c->fd[1][0], SHUT_RDWR);
}

static int flow_broken(struct conn *c, int nflows)
{
	int i;

	for (i = 0; i < nflows; i++)
		if (atomic_load(&c->flow[i].broken) && !atomic_load(&c->flow[i].abandon))
			return 1;
	return 0;
}

/* The oob kind's receiver stopped moving: how it ended. */
static int oob_stalled(struct conn *c, uint64_t *last_rx, long *since, long start,
		       long dur)
{
	struct flow *f = &c->flow[0];
	uint64_t rx = atomic_load(&f->received);
	long now = now_ms();

	if (atomic_load(&f->readers_left) == 0)
		return now > start + dur;	/* the reader ended: unblock the sender */
	if (rx != *last_rx) {
		*last_rx = rx;
		*since = now;
		return 0;
	}
	if (now - *since < 4000 || (!atomic_load(&f->tx_done) && now < start + dur))
		return 0;
	snprintf(f->outcome, sizeof(f->outcome), "stalled after %llu of %llu bytes",
		 (unsigned long long)rx, (unsigned long long)atomic_load(&f->sent));
	return 1;
}

static void join_all(struct conn *c, struct worker *ws, int n, int nflows,
		     uint64_t *r, long start, long dur, int observers)
{
	uint64_t last_rx = 0;
	long since = now_ms();
	int i;

	for (i = 0; i < n; i++) {
		struct worker *w = &ws[i];
		int observer = w->role != R_WRITER && w->role != R_READER &&
			       w->role != R_RAW;

		if (observer != observers)
			continue;
		for (;;) {
			struct timespec t;
			int rc;

			if (w->child) {
				rc = waitpid(w->child, NULL, WNOHANG) == w->child ? 0 : ETIMEDOUT;
				if (rc)
					sleep_us(50000);
			} else {
				clock_gettime(CLOCK_REALTIME, &t);
				t.tv_nsec += 50000000;
				if (t.tv_nsec >= 1000000000) {
					t.tv_sec++;
					t.tv_nsec -= 1000000000;
				}
				rc = pthread_timedjoin_np(w->thread, NULL, &t);
			}
			if (!rc)
				break;
			if (!observers && !atomic_load(&c->flow[0].abandon) &&
			    (flow_broken(c, nflows) ||
			     (c->flow[0].mode == M_OOB &&
			      oob_stalled(c, &last_rx, &since, start, dur))))
				abandon(c, nflows, r);
		}
		w->child = 0;
	}
}

static void close_fds(struct conn *c, uint64_t *r)
{
	int order[4] = { 0, 1, 2, 3 }, i;

	for (i = 3; i > 0; i--) {
		int j = below(r, i + 1), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	if (chance(r, 30))
		set_int(c->fd[below(r, 2)][0], SOL_SOCKET, SO_LINGER, 0);
	for (i = 0; i < 4; i++) {
		if (i == 3)
			atomic_store(&c->fds_closed, 1);
		close(c->fd[order[i] / 2][order[i] % 2]);
		if (chance(r, 20))
			sleep_us(below(r, 20000));
	}
}

/* One flow's verdict: a TAP line. */
static void report(struct conn *c, struct flow *f, long ms)
{
	char what[200];
	int ok, i, errs;
	uint64_t sent = atomic_load(&f->sent), rcv = atomic_load(&f->received);

	if (f->mode == M_SINGLE || f->mode == M_OOB) {
		/* Urgent bytes may end the stream with an error or a stall. */
		if (atomic_load(&f->abandon) ||
		    (f->mode == M_OOB && atomic_load(&f->oob_sent) && f->outcome[0]))
			f->abandoned = sent > rcv ? sent - rcv : 0;
		else
			f->lost = sent > rcv ? sent - rcv : 0;
		if (rcv > sent)
			f->dup = rcv - sent;
	}
	if (f->mode == M_WRITERS) {
		if (atomic_load(&f->abandon))
			f->abandoned = sent > rcv ? sent - rcv : 0;
		else
			f->lost = sent > rcv ? sent - rcv : 0;
		if (rcv > sent)
			f->dup = rcv - sent;
		for (i = 0; i < f->nw && !atomic_load(&f->abandon); i++)
			if (f->w[i].rx_off != atomic_load(&f->w[i].sent) ||
			    f->w[i].rx_seq != atomic_load(&f->w[i].frames)) {
				char msg[200];
				int e = atomic_fetch_add(&f->nerr, 1);

				snprintf(msg, sizeof(msg), "writer %d: %u frames, %llu "
					 "bytes sent; %u, %llu received", i,
					 atomic_load(&f->w[i].frames),
					 (unsigned long long)atomic_load(&f->w[i].sent),
					 f->w[i].rx_seq, (unsigned long long)f->w[i].rx_off);
				if (e < NERRMSG)
					memcpy(f->err[e], msg, sizeof(msg));
			}
	}
	if (f->mode == M_READERS)
		reconcile_readers(f);
	errs = atomic_load(&f->nerr);
	describe(c, f, what, sizeof(what));
	ok = !errs && !f->corrupt && !f->lost && !f->dup && !f->holes &&
	     !f->peek_bad;
	if (f->mode == M_OOB && !atomic_load(&f->oob_sent) && f->outcome[0])
		ok = 0;
	errs = errs < NERRMSG ? errs : NERRMSG;
	for (i = 0; i < errs; i++)
		printf("# conn %d %s: %s\n", c->idx, conn_flow(f), f->err[i]);
	tap_check(ok, "%sconn %d %s%s, %.1f s: sent %llu, received %llu, checked %llu, "
		  "corrupt %llu, lost %llu, duplicated %llu, keyupdates %d/%d",
		  opt_label, c->idx, what, atomic_load(&f->abandon) ? ", abandoned" : "",
		  ms / 1000.0, (unsigned long long)sent, (unsigned long long)rcv,
		  (unsigned long long)atomic_load(&f->checked),
		  (unsigned long long)atomic_load(&f->corrupt),
		  (unsigned long long)(f->lost + f->holes),
		  (unsigned long long)f->dup, atomic_load(&f->ku_tx),
		  atomic_load(&f->ku_rx));
	if (f->abandoned)
		printf("#   %llu bytes sent were not read (abandoned)\n",
		       (unsigned long long)f->abandoned);
	if (f->mode == M_OOB)
		printf("#   oob: %d urgent bytes sent%s, %d read with MSG_OOB, "
		       "zero-length %s, padding %s, %s segments: %s\n",
		       atomic_load(&f->oob_sent), f->oob_inline ? " (SO_OOBINLINE)" : "",
		       atomic_load(&f->oob_got), f->zero_len ? "yes" : "no",
		       f->padded ? "yes" : "no", f->tiny_segs ? "1-5 byte" : "random",
		       f->outcome[0] ? f->outcome : "complete");
	tot.sent += sent;
	tot.received += rcv;
	tot.checked += atomic_load(&f->checked);
	tot.corrupt += atomic_load(&f->corrupt);
	tot.lost += f->lost + f->holes;
	tot.dup += f->dup;
	tot.abandoned += f->abandoned;
	tot.ku_tx += atomic_load(&f->ku_tx);
	tot.ku_rx += atomic_load(&f->ku_rx);
	tot.flows++;
}

/*
 * The graceful end: once a flow's writers are done and its readers have
 * every byte (or hold what TCP delivered), FIN; what has not arrived
 * after that is lost.
 */
static void dump_workers(int stacks);

static void finish_flows(struct conn *c, int nflows, uint64_t *r)
{
	long t0 = now_ms();
	int dumped = 0;

	uint64_t last[2] = {};
	long since[2] = { now_ms(), now_ms() };
	int done[2] = {}, left = nflows, i;

	while (left) {
		for (i = 0; i < nflows; i++) {
			struct flow *f = &c->flow[i];
			uint64_t rcv = atomic_load(&f->received);

			if (done[i] || flow_broken(c, nflows))
				continue;
			if (rcv != last[i] || !atomic_load(&f->tx_done)) {
				last[i] = rcv;
				since[i] = now_ms();
			}
			if (!atomic_load(&f->tx_done))
				continue;
			/*
			 * A reader in MSG_WAITALL or under SO_RCVLOWAT may hold
			 * the last bytes until EOF: once TCP has nothing left
			 * to send and nothing moved for a second, FIN.
			 */
			if (rcv < atomic_load(&f->sent)) {
				int outq = -1;

				ioctl(c->fd[f->tx][0], SIOCOUTQ, &outq);
				if ((outq || now_ms() - since[i] < 1000) &&
				    now_ms() - since[i] < 20000)
					continue;
			}
			done[i] = 1;
			left--;
			shutdown(c->fd[f->tx][below(r, 2)], SHUT_WR);
		}
		if (flow_broken(c, nflows))
			return;
		if (!dumped && now_ms() - t0 > 8000 && getenv("STRESS_DEBUG")) {
			dumped = 1;
			for (i = 0; i < nflows; i++)
				say("# conn %d %s: slow end: tx_done %d, sent %llu, received %llu",
				    c->idx, conn_flow(&c->flow[i]),
				    atomic_load(&c->flow[i].tx_done),
				    (unsigned long long)atomic_load(&c->flow[i].sent),
				    (unsigned long long)atomic_load(&c->flow[i].received));
			dump_workers(0);
		}
		sleep_us(20000);
	}
}

static int ulp_on(int fd)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_ULP, opt_ulp, strlen(opt_ulp));
}

/* Sockets, ULP, keys and options of a connection; 0 on success. */
static int setup_conn(struct conn *c, uint64_t *r, int oob)
{
	int rcvbuf[2] = {}, sndbuf[2] = {}, fd[2], s;

	c->tight = chance(r, 35);
	for (s = 0; s < 2; s++) {
		if (c->tight)
			rcvbuf[s] = 1 + below(r, 6000);
		else if (chance(r, 40))
			rcvbuf[s] = chance(r, 30) ? 1 + below(r, 8192) :
						    8192 + below(r, 65536);
		if (chance(r, 30))
			sndbuf[s] = pick_buf(r);
	}
	if (tcp_pair_opts(fd, rcvbuf, sndbuf)) {
		say("# conn %d: loopback connection: %s", c->idx, strerror(errno));
		return -1;
	}
	for (s = 0; s < 2; s++) {
		if (chance(r, 50))
			set_int(fd[s], IPPROTO_TCP, TCP_NODELAY, 1);
		c->fd[s][0] = fd[s];
	}
	if (oob) {
		if (ulp_on(fd[1]) || set_key(c, fd[1], TLS_RX, 0, 0))
			goto fail;
		if (c->flow[0].oob_inline)
			set_int(fd[1], SOL_SOCKET, SO_OOBINLINE, 1);
	} else if (ulp_on(fd[0]) || ulp_on(fd[1]) ||
		   set_key(c, fd[0], TLS_TX, 0, 0) || set_key(c, fd[1], TLS_RX, 0, 0) ||
		   set_key(c, fd[1], TLS_TX, 1, 0) || set_key(c, fd[0], TLS_RX, 1, 0)) {
		goto fail;
	}
	for (s = 0; s < 2; s++) {
		if (can_nopad && c->version == TLS_1_3_VERSION && chance(r, 30) &&
		    (!oob || s == 1))
			set_int(fd[s], SOL_TLS, TLS_RX_EXPECT_NO_PAD, 1);
		if (can_zc && !oob && chance(r, 30))
			set_int(fd[s], SOL_TLS, TLS_TX_ZEROCOPY_RO, 1);
		c->fd[s][1] = dup(fd[s]);
	}
	return 0;
fail:
	say("# conn %d: kTLS setup (%s): %s", c->idx, opt_ulp, strerrorname_np(errno));
	close(fd[0]);
	close(fd[1]);
	return -1;
}

static void run_conn(int idx, long end)
{
	struct conn *c = shared_alloc(sizeof(*c));
	uint64_t r = rng_for(idx, 0, 0xff, 0);
	struct worker *ws = calloc(2 * (MAXW + MAXR + MAXO + 1), sizeof(*ws));
	long start, dur, left = end - now_ms(), t_end, t_fin;
	int nflows = 2, n = 0, i, j, kind, oob;

	c->idx = idx;
	c->version = chance(&r, 50) ? TLS_1_3_VERSION : TLS_1_2_VERSION;
	c->cipher = chance(&r, 50) ? TLS_CIPHER_AES_GCM_128 :
				     TLS_CIPHER_CHACHA20_POLY1305;
	c->kseed = splitmix(&r);
	kind = opt_only >= 0 ? opt_only : chance(&r, 12) ? M_OOB : -1;
	oob = kind == M_OOB;
	dur = oob ? 1000 + below(&r, 7000) : 2000 + below(&r, 13000);
	if (dur > left)
		dur = left > 500 ? left : 500;
	for (i = 0; i < 2; i++) {
		int mode = kind >= 0 ? kind : (int)below(&r, 10);

		if (kind < 0)
			mode = mode < 5 ? M_SINGLE : mode < 8 ? M_READERS : M_WRITERS;
		init_flow(&c->flow[i], i, &r);
		plan_flow(&c->flow[i], &r, mode);
	}
	if (oob) {
		struct flow *f = &c->flow[0];

		nflows = 1;
		f->oob_pct = chance(&r, 50) ? 0 : chance(&r, 50) ? 3 : 15;
		f->oob_inline = f->oob_pct && chance(&r, 30);
		f->zero_len = chance(&r, 40);
		f->padded = chance(&r, 50);
		f->tiny_segs = chance(&r, 50);
		f->nw = 1;
		f->writers_left = 1;
	}
	for (i = 0; i < 2; i++) {
		c->nonblock_ok[i] = !oob && c->flow[i].mode != M_WRITERS;
		c->sndtimeo_ok[i] = c->nonblock_ok[i];
	}
	if (setup_conn(c, &r, oob)) {
		tap_check(0, "%sconn %d: setup", opt_label, idx);
		free(ws);
		return;
	}
	for (i = 0; i < nflows; i++) {
		struct flow *f = &c->flow[i];

		for (j = 0; j < f->nr && f->mode == M_READERS; j++)
			f->log[j] = shared_alloc(sizeof(struct rlog) +
						 LOGCAP * sizeof(struct piece));
	}
	/* Forked workers first: no thread of this connection runs yet. */
	for (i = 0; i < nflows; i++) {
		struct flow *f = &c->flow[i];

		if (f->child == R_READER)
			start_child(add_worker(ws, &n, c, f, R_READER, f->nr - 1));
		if (f->child == R_WRITER)
			start_child(add_worker(ws, &n, c, f, R_WRITER, f->nw - 1));
	}
	for (i = 0; i < nflows; i++) {
		static const int obs[] = { R_POLL, R_EPOLL, R_KNOBS, R_PEEK };
		struct flow *f = &c->flow[i];

		for (j = 0; j < f->nw - (f->child == R_WRITER); j++)
			add_worker(ws, &n, c, f, oob ? R_RAW : R_WRITER, j);
		for (j = 0; j < f->nr - (f->child == R_READER); j++)
			add_worker(ws, &n, c, f, R_READER, j);
		for (j = 0; j < f->no; j++)
			add_worker(ws, &n, c, f, j < 4 ? obs[j] : obs[below(&r, 4)], j);
	}
	progress();
	start = now_ms();
	c->nflows = nflows;
	for (i = 0; i < nflows; i++)
		c->flow[i].progress = start;
	atomic_store(&G->conn, c);
	atomic_store(&G->deadline, start + dur + 240000L);
	for (i = 0; i < n; i++)
		if (!ws[i].child && pthread_create(&ws[i].thread, NULL, thread_main, &ws[i])) {
			perror("pthread_create");
			exit(2);
		}
	while (now_ms() < start + dur && !flow_broken(c, nflows))
		sleep_us(50000);
	t_end = now_ms();
	if (flow_broken(c, nflows) || chance(&r, 25)) {
		abandon(c, nflows, &r);
	} else {
		for (i = 0; i < nflows; i++)
			atomic_store(&c->flow[i].stop, 1);
		/* A tiny window drains at a few KiB/s: open it for the end. */
		for (i = 0; i < 2 && c->tight; i++)
			set_int(c->fd[i][0], SOL_SOCKET, SO_RCVBUF, 1 << 20);
		if (!oob)
			finish_flows(c, nflows, &r);
	}
	t_fin = now_ms();
	join_all(c, ws, n, nflows, &r, start, dur, 0);
	progress();
	if (now_ms() - t_end > 5000)
		say("# conn %d: %.1f s to end (%.1f s until the FINs, %.1f s to join)",
		    idx, (now_ms() - t_end) / 1000.0, (t_fin - t_end) / 1000.0,
		    (now_ms() - t_fin) / 1000.0);
	/* Observers may still poll while the last fd goes (or not). */
	if (chance(&r, 50))
		atomic_store(&c->stop_observers, 1);
	close_fds(c, &r);
	atomic_store(&c->stop_observers, 1);
	join_all(c, ws, n, nflows, &r, start, dur, 1);
	atomic_store(&G->deadline, 0);
	atomic_store(&G->conn, NULL);
	progress();
	for (i = 0; i < nflows; i++)
		report(c, &c->flow[i], now_ms() - start);
	tot.conns++;
	tot.oob_conns += oob;
	for (i = 0; i < n; i++)
		slot_put(ws[i].slot);
	for (i = 0; i < nflows; i++)
		for (j = 0; j < MAXR; j++)
			if (c->flow[i].log[j])
				munmap(c->flow[i].log[j], sizeof(struct rlog) +
				       LOGCAP * sizeof(struct piece));
	free(ws);
	/* c stays mapped: the watchdog may still be looking at it. */
}

/* ---- the hang detector, signals, probes ----------------------------------------- */

/* Every worker: its operation, for how long, its state, wchan and stack. */
static void dump_workers(int stacks)
{
	long now = now_ms();
	int i;

	for (i = 0; i < MAXSLOTS; i++) {
		struct slot *s = &G->slot[i];
		char wchan[64], stack[1024], *p;

		if (!atomic_load(&s->used))
			continue;
		read_proc(s->pid, s->tid, "wchan", wchan, sizeof(wchan));
		read_proc(s->pid, s->tid, "stack", stack, sizeof(stack));
		say("#   %s (pid %d tid %d): in %s for %.1f s%s, state %c, wchan %s",
		    s->name, s->pid, s->tid, atomic_load(&s->op),
		    now > atomic_load(&s->since) ?
		    (now - atomic_load(&s->since)) / 1000.0 : 0.0,
		    atomic_load(&s->blocking) ? " (may block)" : "",
		    task_state(s->pid, s->tid), wchan[0] ? wchan : "?");
		for (p = strtok(stack, "\n"); p && stacks; p = strtok(NULL, "\n"))
			say("#       %s", p);
	}
}

/*
 * What the kernel says about each flow of the connection that hangs: the
 * receiver's queue, its SO_RCVLOWAT and SO_RCVBUF, receive memory and
 * window, poll's verdict; the sender's unsent bytes.
 */
static void dump_flows(void)
{
	struct conn *c = atomic_load(&G->conn);
	int i;

	for (i = 0; c && i < c->nflows && !atomic_load(&c->fds_closed); i++) {
		struct flow *f = &c->flow[i];
		int rx = c->fd[f->rx][0], tx = c->fd[f->tx][0];
		int inq = -1, outq = -1, lowat = -1, rcvbuf = -1;
		uint32_t mem[SK_MEMINFO_VARS] = {};
		struct pollfd p = { .fd = rx, .events = POLLIN | POLLRDHUP };
		/* the sender's struct tcp_info, past what libc's header has */
		union { struct tcp_info i; uint32_t w[64]; } to = {};
		struct tcp_info ti = {};
		socklen_t len = sizeof(int);
		char what[200];

		describe(c, f, what, sizeof(what));
		ioctl(rx, SIOCINQ, &inq);
		ioctl(tx, SIOCOUTQ, &outq);
		getsockopt(rx, SOL_SOCKET, SO_RCVLOWAT, &lowat, &len);
		len = sizeof(int);
		getsockopt(rx, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
		len = sizeof(mem);
		getsockopt(rx, SOL_SOCKET, SO_MEMINFO, mem, &len);
		len = sizeof(ti);
		getsockopt(rx, IPPROTO_TCP, TCP_INFO, &ti, &len);
		len = sizeof(to);
		getsockopt(tx, IPPROTO_TCP, TCP_INFO, &to, &len);
		poll(&p, 1, 0);
		say("#   conn %d %s: sent %llu, received %llu, keyupdates %d/%d, "
		    "RX generation %d, %d bytes of a KeyUpdate read; receiver: "
		    "inq %d, SO_RCVLOWAT %d, SO_RCVBUF %d, rmem %u, rcv_mss %u, "
		    "rcv_space %u, rcv_ssthresh %u, last data %u ms ago, poll %#x; "
		    "sender: outq %d, unsent %u, snd_wnd %u, probes %u, backoff %u, "
		    "rto %u us, last ack %u ms ago", c->idx, what,
		    (unsigned long long)atomic_load(&f->sent),
		    (unsigned long long)atomic_load(&f->received),
		    atomic_load(&f->ku_tx), atomic_load(&f->ku_rx), f->rx_gen,
		    f->hs_have, inq, lowat, rcvbuf, mem[SK_MEMINFO_RMEM_ALLOC],
		    ti.tcpi_rcv_mss, ti.tcpi_rcv_space, ti.tcpi_rcv_ssthresh,
		    ti.tcpi_last_data_recv, p.revents, outq,
		    to.w[144 / 4],	/* tcpi_notsent_bytes */
		    to.w[228 / 4],	/* tcpi_snd_wnd */
		    to.i.tcpi_probes, to.i.tcpi_backoff, to.i.tcpi_rto,
		    to.i.tcpi_last_ack_recv);
	}
}

static void hang_report(const char *why)
{
	int i;

	say("# HANG: %s; the flows and workers:", why);
	dump_flows();
	dump_workers(1);
	say("not ok %d - %shang detector: %s", tap_n + 1, opt_label, why);
	say("1..%d", tap_n + 1);
	for (i = 0; i < MAXSLOTS; i++)
		if (atomic_load(&G->slot[i].used) && G->slot[i].pid != getpid())
			kill(G->slot[i].pid, SIGKILL);
	_exit(3);
}

static void *watchdog(void *arg)
{
	struct conn *c;
	char why[128];
	int i;

	(void)arg;
	alarm_mask(1);
	for (;;) {
		long now, dl;

		sleep_us(1000000);
		now = now_ms();
		dl = atomic_load(&G->deadline);
		if (now - atomic_load(&G->progress) > opt_hang * 1000L) {
			snprintf(why, sizeof(why), "no byte moved for %d s", opt_hang);
			hang_report(why);
		}
		c = atomic_load(&G->conn);
		for (i = 0; c && i < c->nflows; i++) {
			struct flow *f = &c->flow[i];

			if ((atomic_load(&f->readers_left) || atomic_load(&f->writers_left)) &&
			    !atomic_load(&f->abandon) &&
			    now - atomic_load(&f->progress) > opt_hang * 1000L) {
				snprintf(why, sizeof(why), "conn %d %s: no byte of it "
					 "moved for %d s", c->idx, conn_flow(f), opt_hang);
				hang_report(why);
			}
		}
		if (dl && now > dl)
			hang_report("a connection did not end 4 minutes after its time");
	}
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
	count(OP_SIGNAL);
}

static atomic_int signals_off;

/* SIGALRM every 1-20 ms (or not), SA_RESTART on or off, changing all the time. */
static void *signals(void *arg)
{
	uint64_t r = rng_for(0, 0, 0xfe, 0);

	(void)arg;
	alarm_mask(1);
	while (!atomic_load(&signals_off)) {
		struct sigaction sa = { .sa_handler = on_alarm };
		struct itimerval it = {};

		sa.sa_flags = chance(&r, 50) ? SA_RESTART : 0;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		if (chance(&r, 75)) {
			it.it_interval.tv_usec = 1000 + below(&r, 20000);
			it.it_value = it.it_interval;
		}
		setitimer(ITIMER_REAL, &it, NULL);
		sleep_us(200000 + below(&r, 2000000));
	}
	setitimer(ITIMER_REAL, &(struct itimerval){}, NULL);
	return NULL;
}

/*
 * Whether lowering SO_RCVBUF on an established socket clamps TCP's window
 * (TCP_WINDOW_CLAMP drops): upstream b025461303d8, in Debian's 7.x, not in
 * 6.1 or 6.12.
 */
static int probe_rcvbuf_clamp(void)
{
	int fd[2], none[2] = {}, before = 0, after = 0;
	socklen_t len = sizeof(int);

	if (tcp_pair_opts(fd, none, none))
		return 0;
	getsockopt(fd[1], IPPROTO_TCP, TCP_WINDOW_CLAMP, &before, &len);
	set_int(fd[1], SOL_SOCKET, SO_RCVBUF, 4096);
	len = sizeof(int);
	getsockopt(fd[1], IPPROTO_TCP, TCP_WINDOW_CLAMP, &after, &len);
	close(fd[0]);
	close(fd[1]);
	return after < before;
}

/* What the ULP can do: rekey (6.14's UAPI), the TLS 1.3 and zerocopy options. */
static void probe(void)
{
	struct conn c = { .version = TLS_1_3_VERSION, .cipher = TLS_CIPHER_AES_GCM_128 };
	int fd[2], none[2] = {};

	if (tcp_pair_opts(fd, none, none) || ulp_on(fd[0])) {
		printf("Bail out! TCP_ULP \"%s\": %s\n", opt_ulp, strerror(errno));
		exit(2);
	}
	if (set_key(&c, fd[0], TLS_TX, 0, 0) || set_key(&c, fd[0], TLS_RX, 0, 0)) {
		printf("Bail out! TLS 1.3 keys on \"%s\": %s\n", opt_ulp, strerror(errno));
		exit(2);
	}
	can_rekey = !set_key(&c, fd[0], TLS_TX, 0, 1);
	can_nopad = !setsockopt(fd[0], SOL_TLS, TLS_RX_EXPECT_NO_PAD, &(int){ 1 },
				sizeof(int));
	can_zc = !setsockopt(fd[0], SOL_TLS, TLS_TX_ZEROCOPY_RO, &(int){ 1 },
			     sizeof(int));
	close(fd[0]);
	close(fd[1]);
	rcvbuf_clamps = probe_rcvbuf_clamp();
	c.cipher = TLS_CIPHER_CHACHA20_POLY1305;
	if (tcp_pair_opts(fd, none, none) || ulp_on(fd[0]) ||
	    set_key(&c, fd[0], TLS_TX, 0, 0)) {
		printf("Bail out! CHACHA20-POLY1305 on \"%s\": %s\n", opt_ulp,
		       strerror(errno));
		exit(2);
	}
	close(fd[0]);
	close(fd[1]);
}

/* The pattern's inverse and the locator, checked before anything relies on them. */
static void self_test(void)
{
	unsigned char buf[64];
	uint64_t r = 1;
	int i;

	inv1 = inverse(0x7feb352du);
	inv2 = inverse(0x846ca68bu);
	for (i = 0; i < 100000; i++) {
		uint32_t x = splitmix(&r);

		if (unmix32(mix32(x)) != x) {
			printf("Bail out! unmix32 is not mix32's inverse\n");
			exit(2);
		}
	}
	for (i = 0; i < 1000; i++) {
		uint64_t off = below(&r, 1 << 30);
		size_t n = LOCATE_MIN + below(&r, sizeof(buf) - LOCATE_MIN);

		fill(0x1234, off, buf, n);
		if (locate(0x1234, buf, n, 1 << 31) != (int64_t)off) {
			printf("Bail out! locate() lost offset %" PRIu64 "\n", off);
			exit(2);
		}
	}
}

static void usage(const char *me)
{
	fprintf(stderr, "usage: %s [-s SEED] [-t SECONDS] [-u ULP] [-j THREADS] "
		"[-w HANG_SECONDS] [-o single|readers|writers|oob] [-Z] [-L LABEL]\n",
		me);
	exit(2);
}

int main(int argc, char **argv)
{
	long curr_tx, curr_rx, end, t0;
	pthread_t wd, sg;
	char stat[40];
	int opt, i, idx = 0;

	opt_seed = (uint64_t)time(NULL) * 1000003u ^ getpid();
	while ((opt = getopt(argc, argv, "s:t:u:j:w:o:ZL:")) != -1) {
		switch (opt) {
		case 's':
			opt_seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			opt_secs = atoi(optarg);
			break;
		case 'u':
			opt_ulp = optarg;
			break;
		case 'j':
			opt_threads = atoi(optarg) < 2 ? 2 : atoi(optarg);
			break;
		case 'w':
			opt_hang = atoi(optarg);
			break;
		case 'Z':
			opt_splice_zero = 1;
			break;
		case 'L':
			opt_label = optarg;
			break;
		case 'o':
			for (i = 0; i < 4 && strcmp(optarg, mode_name[i]); i++)
				;
			if (i == 4)
				usage(argv[0]);
			opt_only = i;
			break;
		default:
			usage(argv[0]);
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# stress: seed %" PRIu64 " (-s %" PRIu64 " repeats every random choice), "
	       "%d s, ULP \"%s\", %d threads per direction, hang after %d s\n",
	       opt_seed, opt_seed, opt_secs, opt_ulp, opt_threads, opt_hang);
	self_test();
	G = shared_alloc(sizeof(*G));
	pshared_mutex(&G->print);
	signal(SIGPIPE, SIG_IGN);
	alarm_mask(1);	/* the workers take SIGALRM, the main thread does not */
	probe();
	printf("# %s: rekey %s, TLS_RX_EXPECT_NO_PAD %s, TLS_TX_ZEROCOPY_RO %s; "
	       "SO_RCVBUF %s\n", opt_ulp, can_rekey ? "yes" : "no (no KeyUpdates)",
	       can_nopad ? "yes" : "no", can_zc ? "yes" : "no",
	       rcvbuf_clamps ? "clamps the window (changed to 256 KiB or more only)" :
	       "changed to any size");
	snprintf(stat, sizeof(stat), "%s", opt_ulp);
	curr_tx = stat_in(stat, "TlsCurrTxSw");
	curr_rx = stat_in(stat, "TlsCurrRxSw");
	progress();
	pthread_create(&wd, NULL, watchdog, NULL);
	pthread_create(&sg, NULL, signals, NULL);
	t0 = now_ms();
	end = t0 + opt_secs * 1000L;
	while (now_ms() < end)
		run_conn(++idx, end);
	atomic_store(&signals_off, 1);
	pthread_join(sg, NULL);
	for (i = 0; i < 100 && (stat_in(stat, "TlsCurrTxSw") != curr_tx ||
				stat_in(stat, "TlsCurrRxSw") != curr_rx); i++)
		sleep_us(100000);
	tap_check(stat_in(stat, "TlsCurrTxSw") == curr_tx &&
		  stat_in(stat, "TlsCurrRxSw") == curr_rx,
		  "%s/proc/net/%s_stat: TlsCurrTxSw %ld -> %ld, TlsCurrRxSw %ld -> %ld "
		  "(every socket's context released)", opt_label, stat, curr_tx,
		  stat_in(stat, "TlsCurrTxSw"), curr_rx, stat_in(stat, "TlsCurrRxSw"));
	if (opt_splice_zero && G->ops[OP_SPLICE_ZERO])
		tap_check(1, "%ssplice() returned 0 at an empty record %llu times "
			  "# SKIP tolerated (-Z), as stock tls.ko's splice_read does it",
			  opt_label, (unsigned long long)G->ops[OP_SPLICE_ZERO]);
	printf("# totals: %d connections (%d oob), %d flows in %.0f s: sent %" PRIu64
	       ", received %" PRIu64 ", checked %" PRIu64 ", corrupt %" PRIu64
	       ", lost %" PRIu64 ", duplicated %" PRIu64 ", abandoned %" PRIu64
	       ", KeyUpdates %d sent / %d received\n", tot.conns, tot.oob_conns,
	       tot.flows, (now_ms() - t0) / 1000.0, tot.sent, tot.received,
	       tot.checked, tot.corrupt, tot.lost, tot.dup, tot.abandoned,
	       tot.ku_tx, tot.ku_rx);
	printf("# operations:");
	for (i = 0; i < NOPS; i++)
		printf(" %s %llu%s", op_name[i], (unsigned long long)G->ops[i],
		       i + 1 < NOPS ? "," : "\n");
	printf("# seed %" PRIu64 "\n", opt_seed);
	return tap_done();
}
