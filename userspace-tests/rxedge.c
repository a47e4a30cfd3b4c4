// SPDX-License-Identifier: GPL-2.0
/*
 * RX edge cases with real gaps (issue 14): a raw TCP peer writes records
 * built with libcrypto (tlsrec.h) to a kTLS receiver, one step at a time,
 * each step only once the reader is asleep in the kernel (its thread in
 * state S or D in /proc/self/task/TID/stat, inside the call it is
 * making) or waiting for the writer's next step, so that records, parts
 * of records, urgent bytes and signals arrive alone. The reader turns what
 * the receiver does into a transcript; each case runs on ULP_A (stock
 * "tls") and on ULP_B ("ctls", loaded with ulp_name=ctls) in the same
 * boot, and the two transcripts must be equal. The TLS 1.3 KeyUpdate
 * cases need rekey, which stock 6.1 and 6.12 lack: those run on ULP_B
 * alone against a written transcript, upstream 6.14+'s but for poll
 * while a key is pending (see the comment above r_pr()).
 *
 * Usage: rxedge ULP_A ULP_B [CASE] (default: tls ctls; CASE: only the
 * cases whose name contains it). Prints TAP, and each case's transcript
 * as a "#" line. "rxedge tls tls" checks that stock agrees with itself.
 *
 * Transcript words: rT:N=TEXT a recvmsg() of N bytes of record type T
 * (TEXT: the bytes if short and printable, in hex if short, else a hash;
 * pT a MSG_PEEK read, s a splice through a pipe), with ",eor", ",trunc",
 * ",ctrunc" from msg_flags (MSG_EOR only in the cases that log it); an
 * errno name; "eof" (0 and no record type); "poll X" (the poll or
 * epoll_wait result, logged when it changes; "poll0=X" a poll() with no
 * timeout, always logged); "sig" (the SIGALRM handler ran during the
 * call); "so_error X" at the end. Repeats of the same non-data word are
 * logged once. "w: ..." are notes of the writer (a step it could not
 * take as planned).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ktls.h"
#include "net.h"
#include "tap.h"
#include "tlsrec.h"

#define SEQ0		0x1000ULL
#define SETTLE_US	30000	/* for a record to reach the receiver */
#define IDLE_S		5.0	/* the longest wait for the reader to sleep */
#define POLL_MS		3000	/* the event reader's poll timeout */
#define DONE_S		15.0	/* the reader's time to end after our FIN */
#define RLEN		64	/* the reader's usual buffer */
#define BIG		16384
#define POLL_EVENTS	(POLLIN | POLLPRI | POLLRDHUP)

static const struct suite suites[] = {
	{ "AES-GCM-128 TLS 1.2", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
	  EVP_aes_128_gcm, 16, 4, 8 },
	{ "AES-GCM-128 TLS 1.3", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
	  EVP_aes_128_gcm, 16, 4, 8 },
};

/* Case flags. */
#define V12	0x0001	/* TLS 1.2 only */
#define V13	0x0002	/* TLS 1.3 only */
#define BURST	0x0004	/* the whole sequence in one write */
#define EORLOG	0x0008	/* log MSG_EOR */
#define OOBINL	0x0010	/* the reader sets SO_OOBINLINE */
#define OOBREAD	0x0020	/* the event reader reads MSG_OOB on POLLPRI */
#define SMALLBUF 0x0040	/* SO_RCVBUF 4096 on the receiver (before accept) */
#define RESTART	0x0080	/* SIGALRM handler with SA_RESTART */
#define TIMEO	0x0100	/* SO_RCVTIMEO 20 s on the receiver */
#define KEYUP	0x0200	/* ULP_B only, against a written transcript */
#define BIGREAD	0x0400	/* the reader's buffer is 64 KiB */
#define ALONE	0x0800	/* ULP_B checked against a written transcript, ULP_A shown */

struct run;

struct kase {
	const char *name;
	unsigned int flags;
	void (*w)(struct run *r);	/* the writer's steps */
	void (*rd)(struct run *r);	/* the reader's */
	const char *seq;		/* records for w_seq() */
	const char *want;		/* KEYUP, ALONE: the expected transcript */
	const char *upstream;		/* KEYUP: upstream's, if not that */
};

struct log {
	char text[4096];
	size_t used;
	char last[128];		/* the last word, for repeats */
	int last_poll;		/* the last poll result logged, -1: none */
};

/* A second reader thread on the same socket (cases with two readers). */
struct other {
	pthread_t th;
	_Atomic int tid, inop, done;
	int flags;		/* of its recvmsg() */
	struct run *r;
	struct log log;
};

struct run {
	const struct kase *k;
	const struct suite *su;
	int c, s, pipe[2];
	/* the writer's key and next sequence number */
	struct rec_key key;
	int gen;
	uint64_t seq;
	/* what the reader knows */
	int rgen, eof, nodrain, last_type;
	ssize_t last_n;
	unsigned char buf[65536];
	struct log log;		/* the reader's transcript */
	struct log wlog;	/* the writer's notes */
	pthread_t rth;
	/*
	 * The handshake: the reader sets inop around each call that may
	 * sleep, and waiting_for to the writer's mark it waits for; the
	 * writer bumps wmark after each step, and reads rmark, which the
	 * reader bumps at its own milestones.
	 */
	_Atomic int rtid, inop, waiting_for, wmark, rmark, wdone, rdone;
	struct other other;
};

static volatile sig_atomic_t sigs;

static void on_alarm(int sig)
{
	(void)sig;
	sigs++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- keys and records --------------------------------------------- */

/* Generation @gen of the peer's traffic key. */
static void make_key(struct rec_key *k, int gen)
{
	size_t i;

	for (i = 0; i < sizeof(k->key); i++)
		k->key[i] = 0x41 + 7 * gen + i;
	for (i = 0; i < sizeof(k->base); i++)
		k->base[i] = 0x90 + 5 * gen + 3 * i;
}

/* The next record: @data as content of @type (1.3: inner type, @pad). */
static size_t mk_rec(struct run *r, unsigned char *out, int type,
		     const void *data, size_t len, size_t pad)
{
	static unsigned char in[MAX_PLAIN + 256];
	size_t n = len;

	memcpy(in, data, len);
	if (tls13(r->su)) {
		in[n++] = type;
		memset(in + n, 0, pad);
		n += pad;
		type = 23;
	}
	return seal(r->su, &r->key, r->seq++, type, in, n, out);
}

/* 1.3: a record of outer type @outer (also in its additional data). */
static size_t mk_outer(struct run *r, unsigned char *out, int outer,
		       const char *text)
{
	unsigned char in[64];
	size_t n = strlen(text);

	memcpy(in, text, n);
	in[n++] = 23;
	return seal(r->su, &r->key, r->seq++, outer, in, n, out);
}

/* ---- transcript ---------------------------------------------------- */

static void append(struct log *l, const char *word)
{
	size_t room = sizeof(l->text) - l->used;
	int n = snprintf(l->text + l->used, room, "%s%s",
			 l->used ? " " : "", word);

	l->used += n < 0 ? 0 : (size_t)n < room ? (size_t)n : room - 1;
}

/* A word; a non-data word equal to the last one is left out. */
static void word(struct log *l, int data, const char *fmt, ...)
{
	char w[sizeof(l->last)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w, sizeof(w), fmt, ap);
	va_end(ap);
	if (!data && !strcmp(w, l->last))
		return;
	strcpy(l->last, w);
	append(l, w);
}

static const char *poll_str(int ev, char *s)
{
	s[0] = 0;
	if (ev & POLLIN)
		strcat(s, "|IN");
	if (ev & POLLPRI)
		strcat(s, "|PRI");
	if (ev & POLLERR)
		strcat(s, "|ERR");
	if (ev & POLLHUP)
		strcat(s, "|HUP");
	if (ev & POLLRDHUP)
		strcat(s, "|RDHUP");
	return s[0] ? s + 1 : "0";
}

static void note_poll(struct log *l, int ev)
{
	char s[40];

	if (ev == l->last_poll)
		return;
	l->last_poll = ev;
	word(l, 0, "poll %s", poll_str(ev, s));
}

static uint32_t fnv1a(const unsigned char *b, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

/* "=text" for short printable data, "=hex" for short binary, else a hash. */
static void show(const unsigned char *b, size_t n, char *out, size_t room)
{
	size_t i, printable = 1;

	for (i = 0; i < n; i++)
		printable &= b[i] >= 0x20 && b[i] < 0x7f && b[i] != ' ';
	if (!n) {
		out[0] = 0;
	} else if (n <= 16 && printable) {
		snprintf(out, room, "=%.*s", (int)n, b);
	} else if (n <= 8) {
		out[0] = '=';
		for (i = 0; i < n; i++)
			sprintf(out + 1 + 2 * i, "%02x", b[i]);
	} else {
		snprintf(out, room, "#%08x", fnv1a(b, n));
	}
}

static int record_type(struct msghdr *msg)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm))
		if (cm->cmsg_level == SOL_TLS &&
		    cm->cmsg_type == TLS_GET_RECORD_TYPE)
			return *CMSG_DATA(cm);
	return -1;
}

/* ---- the handshake between writer and reader ------------------------ */

/* The state letter of thread @tid ('S' asleep, 'D' uninterruptible). */
static char task_state(int tid, char *wchan, size_t room)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (wchan) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, wchan, room - 1);
		wchan[n > 0 ? n : 0] = 0;
		if (fd >= 0)
			close(fd);
	}
	return p && p[1] ? p[2] : '?';
}

static int asleep(int tid)
{
	char st = task_state(tid, NULL, 0);

	return st == 'S' || st == 'D';
}

/* Thread @tid is asleep inside the call it flagged with @inop. */
static int blocked_in_call(_Atomic int *inop, int tid)
{
	if (!atomic_load(inop) || !asleep(tid))
		return 0;
	usleep(2000);
	return atomic_load(inop) && asleep(tid);
}

/* Wait until the reader sleeps in a call or waits for our next step. */
static void w_idle(struct run *r)
{
	double t0 = now();
	char wchan[64] = "";
	char st;

	while (now() - t0 < IDLE_S) {
		if (atomic_load(&r->rdone))
			return;
		if (atomic_load(&r->waiting_for) > atomic_load(&r->wmark))
			return;
		if (blocked_in_call(&r->inop, r->rtid))
			return;
		usleep(1000);
	}
	st = task_state(r->rtid, wchan, sizeof(wchan));
	word(&r->wlog, 0, "w: reader busy (%c %s)", st, wchan);
}

/* After a step: let it land, then tell the reader. */
static void w_step_done(struct run *r)
{
	usleep(SETTLE_US);
	atomic_fetch_add(&r->wmark, 1);
}

static void w_send(struct run *r, const void *p, size_t len, int flags)
{
	const unsigned char *b = p;
	ssize_t n;

	while (len) {
		n = send(r->c, b, len, MSG_NOSIGNAL | flags);
		if (n <= 0) {
			word(&r->wlog, 0, "w: send %s",
			     n ? strerrorname_np(errno) : "0");
			break;
		}
		b += n;
		len -= n;
	}
	w_step_done(r);
}

/* The reader's milestone @n (rmark), at most IDLE_S away. */
static void w_wait_rmark(struct run *r, int n)
{
	double t0 = now();

	while (atomic_load(&r->rmark) < n && !atomic_load(&r->rdone)) {
		if (now() - t0 > IDLE_S) {
			word(&r->wlog, 0, "w: no reader milestone %d", n);
			return;
		}
		usleep(1000);
	}
}

/* Reader: wait for the writer's mark @n (its n-th step done). */
static void r_wait_mark(struct run *r, int n)
{
	double t0 = now();

	atomic_store(&r->waiting_for, n);
	while (atomic_load(&r->wmark) < n && !atomic_load(&r->wdone) &&
	       now() - t0 < 2 * IDLE_S)
		usleep(1000);
	atomic_store(&r->waiting_for, 0);
}

static void r_milestone(struct run *r)
{
	atomic_fetch_add(&r->rmark, 1);
}

/* ---- reader calls ------------------------------------------------ */

enum { R_DATA, R_EOF, R_ERR, R_AGAIN };

static void note_sig(struct run *r, int before)
{
	if (sigs != before)
		word(&r->log, 0, "sig");
}

/* One recvmsg() of up to @len with @flags, logged. */
static int r_recv(struct run *r, int flags, size_t len)
{
	char cbuf[CMSG_SPACE(1)] = {}, text[40], t[8] = "-";
	struct iovec iov = { .iov_base = r->buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int type, e, before = sigs;
	ssize_t n;

	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	atomic_store(&r->inop, 1);
	n = recvmsg(r->s, &msg, flags);
	e = errno;
	atomic_store(&r->inop, 0);
	note_sig(r, before);
	type = n >= 0 ? record_type(&msg) : -1;
	r->last_n = n;
	r->last_type = type;
	if (n > 0 || (n == 0 && type >= 0)) {
		if (type >= 0)
			snprintf(t, sizeof(t), "%d", type);
		show(r->buf, n, text, sizeof(text));
		word(&r->log, 1, "%c%s:%zd%s%s%s%s%s",
		     flags & MSG_PEEK ? 'p' : 'r', t, n, text,
		     (r->k->flags & EORLOG) && (msg.msg_flags & MSG_EOR) ?
		     ",eor" : "",
		     msg.msg_flags & MSG_TRUNC ? ",trunc" : "",
		     msg.msg_flags & MSG_CTRUNC ? ",ctrunc" : "",
		     msg.msg_flags & MSG_OOB ? ",oob" : "");
		return R_DATA;
	}
	if (!n) {
		word(&r->log, 0, "eof");
		r->eof = 1;
		return R_EOF;
	}
	word(&r->log, 0, "%s", strerrorname_np(e));
	return e == EAGAIN ? R_AGAIN : R_ERR;
}

static size_t rlen(const struct run *r)
{
	return r->k->flags & BIGREAD ? sizeof(r->buf) : RLEN;
}

/* One splice() into a pipe, logged. */
static int r_splice(struct run *r, int flags)
{
	int before = sigs, e;
	char text[40];
	ssize_t n;

	atomic_store(&r->inop, 1);
	n = splice(r->s, NULL, r->pipe[1], NULL, rlen(r), flags);
	e = errno;
	atomic_store(&r->inop, 0);
	note_sig(r, before);
	if (n > 0) {
		if (read(r->pipe[0], r->buf, n) != n)
			rec_die("pipe read");
		show(r->buf, n, text, sizeof(text));
		word(&r->log, 1, "s:%zd%s", n, text);
		return R_DATA;
	}
	if (!n) {
		word(&r->log, 0, "s:eof");
		return R_EOF;
	}
	word(&r->log, 0, "s:%s", strerrorname_np(e));
	return e == EAGAIN ? R_AGAIN : R_ERR;
}

static void r_poll0(struct run *r)
{
	struct pollfd p = { .fd = r->s, .events = POLL_EVENTS };
	char s[40];
	int ev = poll(&p, 1, 0) > 0 ? p.revents : 0;

	word(&r->log, 1, "poll0=%s", poll_str(ev, s));
}

/* Install the next RX key (after a KeyUpdate was read). */
static void r_rekey(struct run *r)
{
	unsigned char ci[64];
	struct rec_key k;
	size_t len;

	make_key(&k, ++r->rgen);
	len = crypto_info(r->su, &k, 0, ci);
	if (setsockopt(r->s, SOL_TLS, TLS_RX, ci, len))
		word(&r->log, 0, "rxkey %s", strerrorname_np(errno));
	else
		word(&r->log, 0, "rxkey %d", r->rgen);
}

/* The last read returned a KeyUpdate. */
static int got_key_update(const struct run *r)
{
	return r->last_type == REC_HANDSHAKE &&
	       r->last_n == sizeof(key_update) &&
	       !memcmp(r->buf, key_update, sizeof(key_update));
}

/*
 * Blocking reads until end of stream (no record type), an error, or 16
 * reads. The writer's FIN, once the reader sleeps, ends it.
 */
static void r_drain(struct run *r)
{
	int i, res;

	for (i = 0; i < 16 && !r->eof; i++) {
		res = r_recv(r, 0, rlen(r));
		if (res != R_DATA)
			return;
	}
}

/* ---- readers ------------------------------------------------------- */

/* A blocking recv() (then the drain). */
static void r_block(struct run *r)
{
	r_recv(r, 0, rlen(r));
}

/* A blocking MSG_PEEK read, then blocking reads. */
static void r_peek(struct run *r)
{
	r_recv(r, MSG_PEEK, rlen(r));
}

/* Blocking splice() twice, then blocking reads. */
static void r_splice2(struct run *r)
{
	if (pipe(r->pipe))
		rec_die("pipe");
	r_splice(r, 0);
	r_splice(r, 0);
	close(r->pipe[0]);
	close(r->pipe[1]);
}

/*
 * After each of the writer's steps (all at once with BURST): poll with
 * no timeout, non-blocking reads until EAGAIN, poll again.
 */
static void r_nonblock(struct run *r)
{
	int steps = 1, i, j;
	const char *p;

	for (p = r->k->seq; !(r->k->flags & BURST) && *p; p++)
		steps += *p == ',';
	for (i = 1; i <= steps; i++) {
		r_wait_mark(r, i);
		r_poll0(r);
		for (j = 0; j < 8; j++)
			if (r_recv(r, MSG_DONTWAIT, rlen(r)) != R_DATA)
				break;
		r_poll0(r);
	}
}

enum { EV_POLL, EV_EPOLL, EV_EPOLLET };

/* One wait for readiness; returns the events (0: timeout). */
static int r_wait_ready(struct run *r, int mode, int ep)
{
	struct pollfd p = { .fd = r->s, .events = POLL_EVENTS };
	struct epoll_event e = {};
	int n, ev;

	atomic_store(&r->inop, 1);
	if (mode == EV_POLL) {
		n = poll(&p, 1, POLL_MS);
		ev = n > 0 ? p.revents : 0;
	} else {
		n = epoll_wait(ep, &e, 1, POLL_MS);
		ev = n > 0 ? (int)e.events : 0;
	}
	atomic_store(&r->inop, 0);
	return ev & (POLL_EVENTS | POLLERR | POLLHUP);
}

/* A KeyUpdate was read: a read before the new key, poll, the key. */
static void r_after_key_update(struct run *r)
{
	r_recv(r, MSG_DONTWAIT, rlen(r));
	r_poll0(r);
	r_rekey(r);
}

/*
 * Event-driven reader: wait for readiness, read without blocking. After
 * EAGAIN it waits for readiness again with epoll ET, and else for the
 * writer's next step (a level-triggered "readable" that gives EAGAIN
 * would spin). Ends at end of stream, at the second error in a row, when
 * readiness times out after the writer is done, or after 64 rounds.
 */
static void r_events_mode(struct run *r, int mode)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLPRI | EPOLLRDHUP };
	int i, ev, res, m, errs = 0, ep = -1, oob_tried = 0;
	ssize_t n;
	char c;

	r->nodrain = 1;
	r->log.last_poll = -1;
	if (mode != EV_POLL) {
		ep = epoll_create1(0);
		e.events |= mode == EV_EPOLLET ? EPOLLET : 0;
		e.data.fd = r->s;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, r->s, &e))
			word(&r->log, 0, "epoll_ctl %s",
			     strerrorname_np(errno));
	}
	for (i = 0; i < 64; i++) {
		m = atomic_load(&r->wmark);
		ev = r_wait_ready(r, mode, ep);
		note_poll(&r->log, ev);
		if (!ev) {
			if (atomic_load(&r->wdone))
				break;
			continue;
		}
		if ((r->k->flags & OOBREAD) && (ev & POLLPRI) && !oob_tried) {
			oob_tried = 1;
			n = recv(r->s, &c, 1, MSG_OOB | MSG_DONTWAIT);
			if (n > 0)
				word(&r->log, 1, "oob=%02x", (unsigned char)c);
			else
				word(&r->log, 0, "oob %s",
				     n ? strerrorname_np(errno) : "0");
		}
		do {
			res = r_recv(r, MSG_DONTWAIT, rlen(r));
			if (res == R_DATA && (r->k->flags & KEYUP) &&
			    got_key_update(r))
				r_after_key_update(r);
		} while (mode == EV_EPOLLET && res == R_DATA);
		if (res == R_EOF)
			break;
		errs = res == R_ERR ? errs + 1 : 0;
		if (errs == 2)
			break;
		if (res == R_AGAIN && mode != EV_EPOLLET)
			r_wait_mark(r, m + 1);
	}
	if (i == 64)
		word(&r->log, 0, "limit");
	if (ep >= 0)
		close(ep);
}

static void r_events(struct run *r)
{
	r_events_mode(r, EV_POLL);
}

static void r_epoll(struct run *r)
{
	r_events_mode(r, EV_EPOLL);
}

static void r_epollet(struct run *r)
{
	r_events_mode(r, EV_EPOLLET);
}

/* MSG_PEEK and msg_flags, after a burst: data, data, alert, data. */
static void r_peekflags(struct run *r)
{
	r_wait_mark(r, 1);
	r_recv(r, MSG_PEEK | MSG_DONTWAIT, RLEN);
	r_recv(r, MSG_PEEK | MSG_DONTWAIT, 3);
	r_recv(r, MSG_DONTWAIT, 3);
	r_recv(r, MSG_PEEK | MSG_DONTWAIT, RLEN);
	r_recv(r, MSG_DONTWAIT, RLEN);
	r_recv(r, MSG_PEEK | MSG_DONTWAIT, 1);
	r_recv(r, MSG_PEEK | MSG_DONTWAIT, RLEN);
	r_recv(r, MSG_DONTWAIT, RLEN);
	r_recv(r, MSG_PEEK | MSG_DONTWAIT, RLEN);
	r_recv(r, MSG_DONTWAIT, RLEN);
	r_recv(r, MSG_DONTWAIT, RLEN);
}

/* A blocking read until data or end of stream (EINTR: read again). */
static void r_signal(struct run *r)
{
	int i;

	for (i = 0; i < 3; i++)
		if (r_recv(r, 0, RLEN) != R_ERR)
			break;
}

/* ---- two readers ----------------------------------------------------- */

static void *other_main(void *arg)
{
	struct other *o = arg;
	struct run *r = o->r;
	char cbuf[CMSG_SPACE(1)] = {}, text[40];
	unsigned char buf[RLEN];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	ssize_t n;

	atomic_store(&o->tid, gettid());
	atomic_store(&o->inop, 1);
	n = recvmsg(r->s, &msg, o->flags);
	atomic_store(&o->inop, 0);
	if (n > 0) {
		show(buf, n, text, sizeof(text));
		word(&o->log, 1, "r%d:%zd%s", record_type(&msg), n, text);
	} else {
		word(&o->log, 0, "%s", n ? strerrorname_np(errno) : "eof");
	}
	atomic_store(&o->done, 1);
	return NULL;
}

/* Start the other reader and wait until it sleeps in its recvmsg(). */
static void other_start(struct run *r)
{
	struct other *o = &r->other;
	double t0 = now();

	o->r = r;
	pthread_create(&o->th, NULL, other_main, o);
	while (now() - t0 < IDLE_S) {
		if (atomic_load(&o->tid) && blocked_in_call(&o->inop, o->tid))
			return;
		if (atomic_load(&o->done))
			break;
		usleep(1000);
	}
	word(&r->log, 0, "first reader not asleep");
}

/* Wait (as idle) for the other reader and log what it got. */
static void other_join(struct run *r)
{
	atomic_store(&r->waiting_for, 1 << 30);
	pthread_join(r->other.th, NULL);
	atomic_store(&r->waiting_for, 0);
	word(&r->log, 1, "first reader: %s", r->other.log.text);
}

/* A second reader's recv() with SO_RCVTIMEO 0.5 s while the first waits. */
static void r_timeo2(struct run *r)
{
	struct timeval tv = { .tv_usec = 500000 }, zero = {};
	double t0, dt;

	other_start(r);
	setsockopt(r->s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t0 = now();
	r_recv(r, 0, RLEN);
	dt = now() - t0;
	/* Waited (not at once), if a loaded TCG guest's clock lets it show. */
	word(&r->log, 0, "after %s", dt < 0.25 ? "<0.25 s" :
	     dt < 3 ? "0.25-3 s" : ">3 s");
	setsockopt(r->s, SOL_SOCKET, SO_RCVTIMEO, &zero, sizeof(zero));
	r_milestone(r);
	other_join(r);
}

/* A second reader's MSG_DONTWAIT read while the first waits. */
static void r_dontwait2(struct run *r)
{
	double t0, dt;

	other_start(r);
	t0 = now();
	r_recv(r, MSG_DONTWAIT, RLEN);
	dt = now() - t0;
	word(&r->log, 0, "after %s", dt < 0.4 ? "<0.4 s" : ">0.4 s");
	r_milestone(r);
	other_join(r);
}

/*
 * An edge-triggered epoll reader turned away: a blocking MSG_PEEK |
 * MSG_WAITALL reader (SO_RCVTIMEO 2 s) holds the reader's turn, waiting
 * for more than the one record that comes; the epoll reader's
 * MSG_DONTWAIT read meanwhile gets EAGAIN. When the peek times out, the
 * record is readable and no segment is coming: ctls wakes pollers as the
 * peeker leaves; upstream does not, and epoll_wait sleeps it out.
 */
static void r_turned_away(struct run *r)
{
	struct timeval tv = { .tv_sec = 2 }, zero = {};
	struct epoll_event e = { .events = EPOLLIN | EPOLLET };
	int ep = epoll_create1(0);

	r->log.last_poll = -1;
	setsockopt(r->s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r->other.flags = MSG_PEEK | MSG_WAITALL;
	other_start(r);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, r->s, &e))
		word(&r->log, 0, "epoll_ctl %s", strerrorname_np(errno));
	r_milestone(r);
	note_poll(&r->log, r_wait_ready(r, EV_EPOLLET, ep));
	r_recv(r, MSG_DONTWAIT, RLEN);
	r->log.last_poll = -1;
	note_poll(&r->log, r_wait_ready(r, EV_EPOLLET, ep));
	r_milestone(r);
	r_recv(r, MSG_DONTWAIT, RLEN);
	setsockopt(r->s, SOL_SOCKET, SO_RCVTIMEO, &zero, sizeof(zero));
	other_join(r);
	close(ep);
}

/*
 * A record made readable by a MSG_PEEK, not by data_ready: with
 * SO_RCVLOWAT above the record's size TCP does not call data_ready for
 * it, so the parser hears of it only when the writer's thread peeks (a
 * MSG_DONTWAIT read parses the head). The edge-triggered epoll reader
 * asleep meanwhile must be woken then. ctls wakes whenever what poll
 * reports turns readable; stock 6.1 and 6.12 wake too (their parser wakes
 * when it completes a record, whoever runs it), stock 7.3 does not: its
 * epoll_wait sleeps out the 3 s. ctls is checked against its written
 * transcript, stock's shown.
 */
static void r_peek_wakes(struct run *r)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLET };
	int ep = epoll_create1(0), lowat = 1000;

	r->log.last_poll = -1;
	setsockopt(r->s, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
	if (epoll_ctl(ep, EPOLL_CTL_ADD, r->s, &e))
		word(&r->log, 0, "epoll_ctl %s", strerrorname_np(errno));
	r_milestone(r);
	note_poll(&r->log, r_wait_ready(r, EV_EPOLLET, ep));
	r_recv(r, MSG_DONTWAIT, RLEN);
	r_milestone(r);
	close(ep);
}

/* A second reader, blocked behind the first, gets SIGALRM. */
static void r_signal2(struct run *r)
{
	other_start(r);
	r_recv(r, 0, RLEN);
	other_join(r);
}

/* ---- writers --------------------------------------------------------- */

/*
 * The records of a sequence, comma separated: D[:TEXT] data (default
 * TEXT "recN", N the position), 0D empty data, P (1.3) an inner
 * plaintext of type 23 and 32 bytes of zero padding only, C[:TEXT]
 * handshake, 0C empty handshake, A alert (warning, close_notify), T0
 * (1.2) an authentic record of type 0, O22/O21/O0 (1.3) authentic with
 * that outer type in header and additional data, K a KeyUpdate, after
 * which the writer moves to its next key (sequence numbers from 0).
 */
static size_t seq_record(struct run *r, const char *tok, int pos,
			 unsigned char *out)
{
	static const unsigned char alert[] = { 1, 0 };
	const char *colon = strchr(tok, ':');
	char text[64];
	size_t n;

	if (colon)
		snprintf(text, sizeof(text), "%s", colon + 1);
	else
		snprintf(text, sizeof(text), "%s%d", *tok == 'C' ? "hs" : "rec",
			 pos);
	if (*tok == 'D')
		return mk_rec(r, out, 23, text, strlen(text), 0);
	if (!strcmp(tok, "0D"))
		return mk_rec(r, out, 23, "", 0, 0);
	if (!strcmp(tok, "P"))
		return mk_rec(r, out, 23, "", 0, 32);
	if (*tok == 'C')
		return mk_rec(r, out, 22, text, strlen(text), 0);
	if (!strcmp(tok, "0C"))
		return mk_rec(r, out, 22, "", 0, 0);
	if (!strcmp(tok, "A"))
		return mk_rec(r, out, 21, alert, sizeof(alert), 0);
	if (!strcmp(tok, "T0"))
		return mk_rec(r, out, 0, "xyz", 3, 0);
	if (*tok == 'O')
		return mk_outer(r, out, atoi(tok + 1), "xyz");
	if (!strcmp(tok, "K")) {
		n = mk_rec(r, out, 22, key_update, sizeof(key_update), 0);
		make_key(&r->key, ++r->gen);
		r->seq = 0;
		return n;
	}
	rec_die("bad sequence token");
	return 0;
}

/* The case's sequence: one record per step, or all in one write (BURST). */
static void w_seq(struct run *r)
{
	static unsigned char wire[1 << 16];
	char toks[256], *save, *tok;
	size_t len = 0;
	int pos = 0;

	snprintf(toks, sizeof(toks), "%s", r->k->seq);
	for (tok = strtok_r(toks, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		len += seq_record(r, tok, ++pos, wire + len);
		if (r->k->flags & BURST)
			continue;
		w_idle(r);
		w_send(r, wire, len, 0);
		len = 0;
	}
	if (len) {
		w_idle(r);
		w_send(r, wire, len, 0);
	}
}

static unsigned char mid[300];

/* An urgent byte in the middle of a record. */
static void w_oob_mid(struct run *r)
{
	static unsigned char wire[2048];
	size_t n = mk_rec(r, wire, 23, mid, sizeof(mid), 0);

	n += mk_rec(r, wire + n, 23, "tail", 4, 0);
	w_idle(r);
	w_send(r, wire, 40, 0);
	w_idle(r);
	w_send(r, "!", 1, MSG_OOB);
	w_idle(r);
	w_send(r, wire + 40, n - 40, 0);
}

/* An urgent byte between two records. */
static void w_oob_boundary(struct run *r)
{
	static unsigned char wire[2048];
	size_t n = mk_rec(r, wire, 23, mid, sizeof(mid), 0);
	size_t m = mk_rec(r, wire + n, 23, "tail", 4, 0);

	w_idle(r);
	w_send(r, wire, n, 0);
	w_idle(r);
	w_send(r, "!", 1, MSG_OOB);
	w_idle(r);
	w_send(r, wire + n, m, 0);
}

/* A header alone, then the rest; half a record, then the other half. */
static void w_partial(struct run *r)
{
	static unsigned char wire[2048];
	size_t n = mk_rec(r, wire, 23, "in-pieces", 9, 0);
	size_t m = mk_rec(r, wire + n, 23, mid, sizeof(mid), 0);

	w_idle(r);
	w_send(r, wire, 5, 0);
	w_idle(r);
	w_send(r, wire + 5, n - 5, 0);
	w_idle(r);
	w_send(r, wire + n, m / 2, 0);
	w_idle(r);
	w_send(r, wire + n + m / 2, m - m / 2, 0);
}

/* Two records of 2^14 bytes, one step each (with a small SO_RCVBUF). */
static void w_big(struct run *r)
{
	static unsigned char wire[2 * (BIG + 64)], data[BIG];
	size_t i, n;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (i * 13 + (i >> 8)) & 0xff;
	for (i = 0; i < 2; i++) {
		data[0] = i;
		n = mk_rec(r, wire, 23, data, sizeof(data), 0);
		w_idle(r);
		w_send(r, wire, n, 0);
	}
}

/* SIGALRM to the sleeping reader, then a record. */
static void w_signal(struct run *r)
{
	static unsigned char wire[256];
	size_t n = mk_rec(r, wire, 23, "after-signal", 12, 0);

	w_idle(r);
	pthread_kill(r->rth, SIGALRM);
	w_step_done(r);
	w_idle(r);
	w_send(r, wire, n, 0);
}

/* A record once the second reader is done with its attempt. */
static void w_after_milestone(struct run *r)
{
	static unsigned char wire[256];
	size_t n = mk_rec(r, wire, 23, "for-the-first", 13, 0);

	w_wait_rmark(r, 1);
	w_idle(r);
	w_send(r, wire, n, 0);
}

/*
 * r_peek_wakes(): a record once the reader sleeps, and once it still
 * sleeps, a MSG_PEEK | MSG_DONTWAIT from this thread; no FIN before the
 * reader's mark 2.
 */
static void w_peek(struct run *r)
{
	static unsigned char wire[256];
	size_t n = mk_rec(r, wire, 23, "peeked", 6, 0);
	ssize_t got;

	w_wait_rmark(r, 1);
	w_idle(r);
	w_send(r, wire, n, 0);
	w_idle(r);
	got = recv(r->s, wire, sizeof(wire), MSG_PEEK | MSG_DONTWAIT);
	word(&r->wlog, 0, "w: peek %s", got >= 0 ? "ok" : strerrorname_np(errno));
	w_step_done(r);
	w_wait_rmark(r, 2);
}

/* w_after_milestone(), then no FIN (which wakes pollers) before mark 2. */
static void w_hold_fin(struct run *r)
{
	w_after_milestone(r);
	w_wait_rmark(r, 2);
}

/* ---- TLS 1.3 KeyUpdate (ULP_B alone) --------------------------------- */

/*
 * What upstream 6.14+ does (net/tls, rekey by Sabrina Dubroca): the
 * receiver marks a key update pending when it decrypts a KeyUpdate
 * handshake record (tls_rx_one_record() -> tls_check_pending_rekey()),
 * which only a read does; from then on tls_rx_rec_wait() fails with
 * EKEYEXPIRED, and tls_sk_poll() clears EPOLLIN whenever
 * key_update_pending is set, whatever rx_list holds:
 *
 *	if ((skb_queue_empty_lockless(&ctx->rx_list) &&
 *	     !tls_strp_msg_ready(ctx) && sk_psock_queue_empty(psock)) ||
 *	    READ_ONCE(ctx->key_update_pending))
 *		mask &= ~(EPOLLIN | EPOLLRDNORM);
 *
 * until setsockopt(TLS_RX) installs the new key (then the parser is
 * checked again and the next record makes the socket readable). So data
 * records before a KeyUpdate stay readable after the KeyUpdate has
 * arrived, record by record, and so does the KeyUpdate itself. But a
 * read that goes on past the data to decrypt the KeyUpdate (a buffer
 * larger than the data, or a partly read record before it) leaves the
 * KeyUpdate on rx_list with the key pending, and a MSG_PEEK that reaches
 * it leaves the peeked data records there too: upstream's poll then says
 * not readable although reads return them, and an event-driven reader
 * waits until something else (here our FIN) wakes it.
 *
 * ctls keeps upstream's UAPI but not that: poll reports readable while
 * decrypted records (the KeyUpdate included) wait, and not readable once
 * only records under the new key are left (docs/design.md, "TLS 1.3 key
 * update"). Each case holds ctls to that; where upstream differs the
 * case shows upstream's transcript too, worked out from its source (no
 * 6.14+ kernel is at hand to run it).
 */
#define KU "r22:5=1800000100"

/* poll() with no timeout, then a non-blocking read. */
static void r_pr(struct run *r, int flags, size_t len)
{
	r_poll0(r);
	r_recv(r, flags | MSG_DONTWAIT, len);
}

/* After the KeyUpdate: a read before the new key, the key, the data. */
static void r_keyup_tail(struct run *r)
{
	r_pr(r, 0, RLEN);
	r_rekey(r);
	r_pr(r, 0, RLEN);
	r_events(r);
}

/* A late reader (all there: data, KeyUpdate, data), record by record. */
static void r_keyup_late(struct run *r)
{
	r_wait_mark(r, 4);
	r_pr(r, 0, 3);
	r_pr(r, 0, 3);
	r_pr(r, 0, RLEN);
	r_keyup_tail(r);
}

/* The same with one read larger than both data records. */
static void r_keyup_late_big(struct run *r)
{
	r_wait_mark(r, 4);
	r_pr(r, 0, RLEN);
	r_pr(r, 0, RLEN);
	r_keyup_tail(r);
}

/* The same with the first data record read in two parts. */
static void r_keyup_late_part(struct run *r)
{
	r_wait_mark(r, 4);
	r_pr(r, 0, 2);
	r_pr(r, 0, RLEN);
	r_pr(r, 0, RLEN);
	r_keyup_tail(r);
}

/* The same, peeking first (the peek decrypts up to the KeyUpdate). */
static void r_keyup_late_peek(struct run *r)
{
	r_wait_mark(r, 4);
	r_pr(r, MSG_PEEK, RLEN);
	r_pr(r, 0, RLEN);
	r_pr(r, 0, RLEN);
	r_keyup_tail(r);
}

/* A late event-driven reader. */
static void r_keyup_late_events(struct run *r)
{
	r_wait_mark(r, 4);
	r_events(r);
}

#define KSEQ "D:one,D:two,K,D:three,D:four"
#define KEND " poll IN|RDHUP eof so_error 0"

#define SEQ(name, flags, rd, seq) { name, flags, w_seq, rd, seq, NULL, NULL }
#define STEPS(name, flags, w, rd) { name, flags, w, rd, NULL, NULL, NULL }
#define KCASE(name, rd, want, up) \
	{ name, V13 | KEYUP, w_seq, rd, KSEQ, want, up }

static const struct kase kases[] = {
	/* 1. Empty records. */
	SEQ("empty data record alone, then data: blocking recv",
	    0, r_block, "0D,D"),
	SEQ("empty data record alone, then data: non-blocking recv",
	    0, r_nonblock, "0D,D"),
	SEQ("empty data record alone, then data: poll-driven reader",
	    0, r_events, "0D,D"),
	SEQ("empty data record alone, then data: blocking MSG_PEEK",
	    0, r_peek, "0D,D"),
	SEQ("empty data record alone, then data: blocking splice",
	    0, r_splice2, "0D,D"),
	SEQ("padding-only record alone, then data: blocking recv",
	    V13, r_block, "P,D"),
	SEQ("padding-only record alone, then data: non-blocking recv",
	    V13, r_nonblock, "P,D"),
	SEQ("padding-only record alone, then data: poll-driven reader",
	    V13, r_events, "P,D"),
	SEQ("padding-only record alone, then data: blocking MSG_PEEK",
	    V13, r_peek, "P,D"),
	SEQ("padding-only record alone, then data: blocking splice",
	    V13, r_splice2, "P,D"),
	SEQ("three empty data records alone, then data: blocking recv",
	    0, r_block, "0D,0D,0D,D"),
	SEQ("three empty data records alone, then data: poll-driven reader",
	    0, r_events, "0D,0D,0D,D"),
	SEQ("three padding-only records alone, then data: blocking recv",
	    V13, r_block, "P,P,P,D"),
	SEQ("three empty data records and data in one write: blocking recv",
	    BURST, r_block, "0D,0D,0D,D"),
	SEQ("empty handshake record alone, then data: blocking recv",
	    0, r_block, "0C,D"),
	SEQ("empty handshake record alone, then data: poll-driven reader",
	    0, r_events, "0C,D"),
	SEQ("empty records around an alert: blocking recv",
	    0, r_block, "0D,A,0D,D"),
	SEQ("empty records around an alert, one write: non-blocking recv",
	    BURST, r_nonblock, "0D,A,0D,D"),
	SEQ("empty records around a handshake record: poll-driven reader",
	    0, r_events, "0D,C,0D,D"),
	/* upstream's zero_len selftest sequences, in one write and alone */
	SEQ("zero_len data_0ctrl_data, one write", BURST, r_nonblock, "D,0C,D"),
	SEQ("zero_len data_0ctrl_data, alone", 0, r_block, "D,0C,D"),
	SEQ("zero_len 0data_0data_0data, one write",
	    BURST, r_nonblock, "0D,0D,0D"),
	SEQ("zero_len 0data_0data_0data, alone", 0, r_nonblock, "0D,0D,0D"),
	SEQ("zero_len 0data_0data_ctrl, one write",
	    BURST, r_nonblock, "0D,0D,C"),
	SEQ("zero_len 0data_0data_ctrl, alone", 0, r_block, "0D,0D,C"),
	SEQ("zero_len 0data_0data_0ctrl, one write",
	    BURST, r_nonblock, "0D,0D,0C"),
	SEQ("zero_len 0data_0data_0ctrl, alone", 0, r_nonblock, "0D,0D,0C"),
	SEQ("zero_len 0ctrl_0ctrl_0ctrl, one write",
	    BURST, r_nonblock, "0C,0C,0C"),
	SEQ("zero_len 0ctrl_0ctrl_0ctrl, alone", 0, r_nonblock, "0C,0C,0C"),
	SEQ("zero_len 0data_0data_data, one write",
	    BURST, r_nonblock, "0D,0D,D"),
	SEQ("zero_len 0data_0data_data, alone", 0, r_block, "0D,0D,D"),
	SEQ("zero_len data_0data_0data, one write",
	    BURST, r_nonblock, "D,0D,0D"),
	SEQ("zero_len data_0data_0data, alone", 0, r_nonblock, "D,0D,0D"),
	/* 2. Record types. */
	SEQ("authentic record of type 0", V12, r_events, "D,T0,D"),
	SEQ("authentic record of type 0, one write: blocking recv",
	    V12 | BURST, r_block, "D,T0,D"),
	SEQ("authentic outer type 22", V13, r_events, "D,O22,D"),
	SEQ("authentic outer type 21", V13, r_events, "D,O21,D"),
	SEQ("authentic outer type 0", V13, r_events, "D,O0,D"),
	SEQ("authentic outer type 22, one write: blocking recv",
	    V13 | BURST, r_block, "D,O22,D"),
	/* 3. Urgent data. */
	STEPS("urgent byte mid-record: poll-driven reader",
	      0, w_oob_mid, r_events),
	STEPS("urgent byte mid-record, SO_OOBINLINE: poll-driven reader",
	      OOBINL, w_oob_mid, r_events),
	STEPS("urgent byte mid-record, MSG_OOB read: poll-driven reader",
	      OOBREAD, w_oob_mid, r_events),
	STEPS("urgent byte mid-record: blocking recv", 0, w_oob_mid, r_block),
	STEPS("urgent byte mid-record, SO_OOBINLINE: blocking recv",
	      OOBINL, w_oob_mid, r_block),
	STEPS("urgent byte between records: poll-driven reader",
	      0, w_oob_boundary, r_events),
	STEPS("urgent byte between records, SO_OOBINLINE: poll-driven reader",
	      OOBINL, w_oob_boundary, r_events),
	STEPS("urgent byte between records, MSG_OOB read: poll-driven reader",
	      OOBREAD, w_oob_boundary, r_events),
	STEPS("urgent byte between records: blocking recv",
	      0, w_oob_boundary, r_block),
	/* the stream's error goes once, to whoever asks first: a peek here */
	STEPS("urgent byte mid-record: blocking MSG_PEEK, then reads",
	      0, w_oob_mid, r_peek),
	STEPS("urgent byte mid-record, SO_OOBINLINE: blocking MSG_PEEK, then reads",
	      OOBINL, w_oob_mid, r_peek),
	STEPS("urgent byte between records: blocking MSG_PEEK, then reads",
	      0, w_oob_boundary, r_peek),
	STEPS("urgent byte between records, SO_OOBINLINE: blocking MSG_PEEK, then reads",
	      OOBINL, w_oob_boundary, r_peek),
	/* 4. MSG_PEEK and msg_flags. */
	SEQ("MSG_PEEK msg_flags, data data alert data in one write",
	    EORLOG | BURST, r_peekflags, "D,D,A,D"),
	SEQ("MSG_PEEK msg_flags, data record alone: blocking MSG_PEEK",
	    EORLOG, r_peek, "D:hello,D:world"),
	SEQ("MSG_PEEK msg_flags, alert alone: blocking MSG_PEEK",
	    EORLOG, r_peek, "A,D"),
	/* 5. Timeouts and signals. */
	STEPS("SO_RCVTIMEO 0.5 s on a second reader while the first waits",
	      0, w_after_milestone, r_timeo2),
	STEPS("MSG_DONTWAIT on a second reader while the first waits",
	      0, w_after_milestone, r_dontwait2),
	STEPS("SIGALRM during a blocking recv, no SA_RESTART",
	      0, w_signal, r_signal),
	STEPS("SIGALRM during a blocking recv, SA_RESTART",
	      RESTART, w_signal, r_signal),
	STEPS("SIGALRM during a blocking recv, no SA_RESTART, SO_RCVTIMEO",
	      TIMEO, w_signal, r_signal),
	STEPS("SIGALRM during a blocking recv, SA_RESTART, SO_RCVTIMEO",
	      RESTART | TIMEO, w_signal, r_signal),
	STEPS("SIGALRM to a second reader behind the first, no SA_RESTART",
	      0, w_signal, r_signal2),
	STEPS("SIGALRM to a second reader behind the first, SA_RESTART",
	      RESTART, w_signal, r_signal2),
	/* 6. Readiness. */
	SEQ("records alone: poll-driven reader", 0, r_events, "D,D,D"),
	SEQ("records alone: epoll reader", 0, r_epoll, "D,D,D"),
	SEQ("records alone: edge-triggered epoll reader",
	    0, r_epollet, "D,D,D"),
	STEPS("header alone, half a record: poll-driven reader",
	      0, w_partial, r_events),
	STEPS("header alone, half a record: edge-triggered epoll reader",
	      0, w_partial, r_epollet),
	STEPS("header alone, half a record: blocking recv",
	      0, w_partial, r_block),
	STEPS("records larger than SO_RCVBUF: poll-driven reader",
	      SMALLBUF | BIGREAD, w_big, r_events),
	STEPS("records larger than SO_RCVBUF: edge-triggered epoll reader",
	      SMALLBUF | BIGREAD, w_big, r_epollet),
	STEPS("records larger than SO_RCVBUF: blocking recv",
	      SMALLBUF | BIGREAD, w_big, r_block),
	{ "record parsed by a MSG_PEEK under SO_RCVLOWAT: edge-triggered epoll reader",
	  ALONE, w_peek, r_peek_wakes, NULL,
	  "poll IN r23:6=peeked eof so_error 0 | w: peek ok", NULL },
	{ "edge-triggered epoll reader turned away by a MSG_PEEK reader",
	  ALONE, w_hold_fin, r_turned_away, NULL,
	  "poll IN EAGAIN poll IN r23:13=for-the-first first reader: "
	  "r23:13=for-the-first eof so_error 0", NULL },
	/* 7. TLS 1.3 KeyUpdate, ctls alone (see above). */
	KCASE("KeyUpdate, reader keeping up: poll-driven reader", r_events,
	      "poll IN r23:3=one r23:3=two " KU " EKEYEXPIRED poll0=0 rxkey 1 "
	      "r23:5=three r23:4=four" KEND, NULL),
	KCASE("KeyUpdate, late reader, record by record", r_keyup_late,
	      "poll0=IN r23:3=one poll0=IN r23:3=two poll0=IN " KU " poll0=0 "
	      "EKEYEXPIRED rxkey 1 poll0=IN r23:5=three poll IN r23:4=four"
	      KEND, NULL),
	KCASE("KeyUpdate, late reader, one read for both data records",
	      r_keyup_late_big,
	      "poll0=IN r23:6=onetwo poll0=IN " KU " poll0=0 EKEYEXPIRED "
	      "rxkey 1 poll0=IN r23:5=three poll IN r23:4=four" KEND,
	      "poll0=IN r23:6=onetwo poll0=0 " KU " poll0=0 EKEYEXPIRED "
	      "rxkey 1 poll0=IN r23:5=three poll IN r23:4=four" KEND),
	KCASE("KeyUpdate, late reader, first data record read in two parts",
	      r_keyup_late_part,
	      "poll0=IN r23:2=on poll0=IN r23:4=etwo poll0=IN " KU " poll0=0 "
	      "EKEYEXPIRED rxkey 1 poll0=IN r23:5=three poll IN r23:4=four"
	      KEND,
	      "poll0=IN r23:2=on poll0=IN r23:4=etwo poll0=0 " KU " poll0=0 "
	      "EKEYEXPIRED rxkey 1 poll0=IN r23:5=three poll IN r23:4=four"
	      KEND),
	KCASE("KeyUpdate, late reader, MSG_PEEK first", r_keyup_late_peek,
	      "poll0=IN p23:6=onetwo poll0=IN r23:6=onetwo poll0=IN " KU
	      " poll0=0 EKEYEXPIRED rxkey 1 poll0=IN r23:5=three poll IN "
	      "r23:4=four" KEND,
	      "poll0=IN p23:6=onetwo poll0=0 r23:6=onetwo poll0=0 " KU
	      " poll0=0 EKEYEXPIRED rxkey 1 poll0=IN r23:5=three poll IN "
	      "r23:4=four" KEND),
	KCASE("KeyUpdate, late reader: poll-driven reader",
	      r_keyup_late_events,
	      "poll IN r23:6=onetwo " KU " EKEYEXPIRED poll0=0 rxkey 1 "
	      "r23:5=three r23:4=four" KEND,
	      "poll IN r23:6=onetwo poll IN|RDHUP " KU " EKEYEXPIRED "
	      "poll0=IN|RDHUP rxkey 1 r23:9=threefour eof so_error 0"),
};

/* ---- running a case ---------------------------------------------------- */

static int applies(const struct suite *su, const struct kase *k)
{
	if ((k->flags & V12) && tls13(su))
		return 0;
	return !(k->flags & V13) || tls13(su);
}

/* A loopback pair; SO_RCVBUF on the listener reaches the accepted end. */
static void pair(int rcvbuf, int *c, int *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	if (rcvbuf)
		setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (l < 0 || bind(l, (void *)&a, len) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &len))
		rec_die("listen");
	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(*c, (void *)&a, len))
		rec_die("connect");
	*s = accept(l, NULL, NULL);
	close(l);
}

static int receiver(struct run *r, const char *ulp)
{
	struct timeval tv = { .tv_sec = 20 };
	unsigned char ci[64];
	struct rec_key k;
	size_t len;
	int one = 1;

	make_key(&k, 0);
	len = crypto_info(r->su, &k, SEQ0, ci);
	if (setsockopt(r->s, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp))) {
		word(&r->log, 0, "TCP_ULP %s", strerrorname_np(errno));
		return -1;
	}
	if (setsockopt(r->s, SOL_TLS, TLS_RX, ci, len)) {
		word(&r->log, 0, "TLS_RX %s", strerrorname_np(errno));
		return -1;
	}
	if (r->k->flags & OOBINL)
		setsockopt(r->s, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
	if (r->k->flags & TIMEO)
		setsockopt(r->s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

static void so_error(struct run *r)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(r->s, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	word(&r->log, 0, "so_error %s", err ? strerrorname_np(err) : "0");
}

static void *reader_main(void *arg)
{
	struct run *r = arg;

	atomic_store(&r->rtid, gettid());
	r->k->rd(r);
	if (!r->nodrain)
		r_drain(r);
	so_error(r);
	atomic_store(&r->rdone, 1);
	return NULL;
}

static void set_alarm_handler(int restart)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

/* Wait up to @secs for the reader to end. */
static int reader_ended(struct run *r, double secs)
{
	double t0 = now();

	while (!atomic_load(&r->rdone) && now() - t0 < secs)
		usleep(2000);
	return atomic_load(&r->rdone);
}

/*
 * One case on @ulp: the reader in a thread, the writer's steps here, then
 * our FIN once the reader sleeps. A reader that does not end is woken by
 * shutting its socket down ("hang" in the transcript); one that does not
 * end even then is left behind.
 */
static int run(const char *ulp, const struct suite *su, const struct kase *k,
	       struct run *r, char *out, size_t room)
{
	struct timeval tv = { .tv_sec = 5 };
	int one = 1, stuck = 0;
	double t0;

	memset(r, 0, sizeof(*r));
	r->k = k;
	r->su = su;
	r->seq = SEQ0;
	make_key(&r->key, 0);
	r->log.last_poll = -1;
	pair(k->flags & SMALLBUF ? 4096 : 0, &r->c, &r->s);
	setsockopt(r->c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(r->c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	set_alarm_handler(k->flags & RESTART);
	if (!receiver(r, ulp)) {
		pthread_create(&r->rth, NULL, reader_main, r);
		t0 = now();
		while (!atomic_load(&r->rtid) && now() - t0 < IDLE_S)
			usleep(1000);
		k->w(r);
		w_idle(r);
		shutdown(r->c, SHUT_WR);
		w_step_done(r);
		atomic_store(&r->wdone, 1);
		if (!reader_ended(r, DONE_S)) {
			word(&r->wlog, 0, "w: hang, reader woken by shutdown");
			shutdown(r->s, SHUT_RDWR);
			stuck = !reader_ended(r, DONE_S);
		}
		if (stuck)
			pthread_detach(r->rth);
		else
			pthread_join(r->rth, NULL);
	}
	snprintf(out, room, "%s%s%s%s", r->log.text, r->wlog.used ? " | " : "",
		 r->wlog.text, stuck ? " | reader stuck" : "");
	close(r->c);
	if (!stuck)
		close(r->s);
	return stuck;
}

/* Run a case on @ulp into @out; the run's memory stays with a stuck reader. */
static void run_one(const char *ulp, const struct suite *su,
		    const struct kase *k, char *out, size_t room)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r)
		rec_die("out of memory");
	if (!run(ulp, su, k, r, out, room))
		free(r);
}

static void one_case(const char *a, const char *b, const struct suite *su,
		     const struct kase *k)
{
	static char ta[12288], tb[12288];
	int same;

	if (k->flags & (KEYUP | ALONE)) {
		if (k->flags & ALONE)
			run_one(a, su, k, ta, sizeof(ta));
		run_one(b, su, k, tb, sizeof(tb));
		same = !strcmp(tb, k->want);
		tap_check(same, "%s, %s: %s as docs/design.md says", su->name,
			  k->name, b);
		printf("#   %s: %s\n", b, tb);
		if (!same)
			printf("#   want: %s\n", k->want);
		if (k->flags & ALONE)
			printf("#   %s: %s\n", a, ta);
		if (k->upstream)
			printf("#   upstream 6.14+ (from its source): %s\n",
			       k->upstream);
		return;
	}
	run_one(a, su, k, ta, sizeof(ta));
	run_one(b, su, k, tb, sizeof(tb));
	same = !strcmp(ta, tb);
	tap_check(same, "%s, %s: %s and %s agree", su->name, k->name, a, b);
	if (same) {
		printf("#   %s\n", ta);
	} else {
		printf("#   %s: %s\n", a, ta);
		printf("#   %s: %s\n", b, tb);
	}
}

int main(int argc, char **argv)
{
	const char *a = argc > 1 ? argv[1] : "tls";
	const char *b = argc > 2 ? argv[2] : "ctls";
	unsigned int i, j;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!ulp_exists(a) || !ulp_exists(b))
		return tap_done();
	for (i = 0; i < sizeof(mid); i++)
		mid[i] = 'a' + i % 26;
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		for (j = 0; j < sizeof(kases) / sizeof(kases[0]); j++)
			if (applies(&suites[i], &kases[j]) &&
			    (argc < 4 || strstr(kases[j].name, argv[3])))
				one_case(a, b, &suites[i], &kases[j]);
	return tap_done();
}
