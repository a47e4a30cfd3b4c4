// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit edge cases, run on two ULPs (stock "tls" and "ctls") in one
 * boot: each case drives the sending end through ULP A and then through
 * ULP B, and the receiving end is plain TCP. What each sender did (return
 * values, errno, whether a task blocked, could be signalled or killed) and
 * what went on the wire (every record framed and decrypted here with
 * libcrypto, no code shared with either ULP) make a transcript; the two
 * transcripts must be equal.
 *
 *   lock:  a second sender (MSG_DONTWAIT or not, send, sendfile, or a
 *          process of its own) waits behind one blocked on a peer that
 *          does not read: it sleeps interruptibly, a signal ends its call
 *          with EINTR, SIGKILL ends the process.
 *   eor:   MSG_MORE | MSG_EOR (6.12: EINVAL; 6.1: MSG_EOR is EOPNOTSUPP).
 *   close: a record TCP has only partly taken when close() comes: a
 *          blocking sender's goes out whole, a MSG_DONTWAIT sender's is
 *          cut where TCP stopped taking it, on both.
 *   empty: a send that faults (EFAULT) before or after other data, then
 *          close, a record-type cmsg, sendfile; zero-length sends: no
 *          empty record on the wire unless both send one.
 *   more:   MSG_MORE data that fills a record exactly, then more of it.
 *   folio:  send() out of a transparent huge page (inside it and across
 *           its end), sendfile() from a tmpfs file in huge pages: the
 *           compound pages upstream's splice paths once mishandled.
 *   splice: non-blocking splice() into a full TCP until EAGAIN (with and
 *           without SPLICE_F_MORE): every byte a call took reaches the
 *           peer, in order.
 *   limit:  TLS_TX_MAX_PAYLOAD_LEN (63 or 64, 1000, 4097, 16383) through
 *           send (copied and sealed straight from the caller), MSG_MORE,
 *           sendfile and splice: no record over it, each filled to it.
 *           Where ULP A has no such option (stock before 6.19), ULP B is
 *           checked alone.
 *
 * One case only checks ULP B: a record left open with MSG_MORE at close
 * (upstream drops it, ctls sends it; docs/design.md).
 *
 * Errors (issue 15; docs/design.md, "Transmit errors"), in err_kases[]:
 *   seal:     rec_seq set so that the sequence numbers run out at the first
 *             or the second record; send() and sendfile() of 10 B to 32 KiB.
 *   rst:      the peer resets with a record partly in TCP: send, SO_ERROR,
 *             recv and SIGPIPE, in both orders.
 *   shutdown: SHUT_WR with data left open by MSG_MORE, or with a record
 *             partly in TCP, then sends.
 *   setkey:   TLS_TX again on TLS 1.2 (TlsTxRekeyError); a TLS 1.3 rekey
 *             on an O_NONBLOCK socket behind a blocked sender.
 * Those with want_b are documented differences: ULP B is checked alone.
 *
 * Usage: txedge ULP_A ULP_B [CASE] (default tls ctls; CASE: only the cases
 * whose name contains it). Prints TAP, and each transcript as "#" lines;
 * with TXEDGE_DEBUG set, the close cases' byte counts go to stderr.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sockios.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktls.h"
#include "net.h"
#include "tap.h"

#define MAX_PLAIN	16384
#define TAG		16
#define KEY_SEED	0x51
#define WIRE_MAX	(4 << 20)
#define MAX_RECS	4096
#define BIG		(256 << 10)	/* the blocked sender's send */
#define PART		(64 << 10)	/* the interrupted sender's send */
#define TRIES		10		/* to catch a record partly in TCP */

static const char *ulp_a = "tls", *ulp_b = "ctls";
static int version;			/* TLS_1_2_VERSION or TLS_1_3_VERSION */
static uint64_t seq_base;		/* the sender's first rec_seq */
static unsigned char *pattern;		/* what senders send, BIG bytes */
static void *bad;			/* a page that faults */

/* A transcript: what a case saw, in words. */
struct log {
	char text[4096];
	size_t len;
};

static void say(struct log *l, const char *fmt, ...)
{
	va_list ap;

	if (l->len >= sizeof(l->text) - 1)
		return;
	va_start(ap, fmt);
	l->len += vsnprintf(l->text + l->len, sizeof(l->text) - l->len, fmt, ap);
	va_end(ap);
	if (l->len > sizeof(l->text) - 1)
		l->len = sizeof(l->text) - 1;
}

static void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(2);
}

/* "= 3" or "= -1 EINVAL": a call's result, for the transcript. */
static void say_ret(struct log *l, const char *what, long ret, int err)
{
	if (ret < 0)
		say(l, "%s = -1 %s; ", what, strerrorname_np(err));
	else
		say(l, "%s = %ld; ", what, ret);
}

/* A call and its errno, in that order, for the transcript. */
#define SAY_CALL(l, what, call)					\
	do {							\
		long __r = (call);				\
								\
		say_ret(l, what, __r, errno);			\
	} while (0)

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

/*
 * A loopback connection; @small: the buffers of both ends as small as they
 * go, set before the handshake so that the receiver's window is small from
 * the start.
 */
static void small_pair(int small, int *c, int *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), v = 1;

	*c = socket(AF_INET, SOCK_STREAM, 0);
	if (small && (setsockopt(l, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) ||
		      setsockopt(*c, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v))))
		die("SO_RCVBUF/SO_SNDBUF");
	if (l < 0 || *c < 0 || bind(l, (void *)&a, len) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &len) ||
	    connect(*c, (void *)&a, len))
		die("connect");
	*s = accept(l, NULL, NULL);
	if (*s < 0)
		die("accept");
	close(l);
}

/* The sending end, ULP @ulp with TLS_TX; @small: see small_pair(). */
static void conn_open(const char *ulp, int small, int *c, int *s)
{
	small_pair(small, c, s);
	if (setsockopt(*c, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp)) ||
	    set_gcm_key(*c, TLS_TX, version, KEY_SEED))
		die("TLS_TX");
}

/* ---- the wire: records framed and decrypted with libcrypto ---- */

struct rec {
	int type;
	int len;		/* plaintext bytes */
	size_t at;		/* offset of its plaintext in wire.plain */
};

struct wire {
	unsigned char *raw, *plain;
	size_t raw_len, plain_len, tail;	/* tail: bytes after the last whole record */
	struct rec recs[MAX_RECS];
	int n, bad;				/* records, failing authentication */
	int eof;				/* EOF came, not a timeout */
};

static int overhead(void)
{
	return 5 + TAG + (version == TLS_1_2_VERSION ? 8 : 1);
}

/* Bytes on the wire for @n bytes sent in one blocking call: whole records. */
static size_t wire_size(size_t n)
{
	size_t recs = (n + MAX_PLAIN - 1) / MAX_PLAIN;

	return n + recs * overhead();
}

/* The 12-byte nonce and additional data of record @seq at @hdr. */
static int nonce_aad(uint64_t seq, const unsigned char *hdr, int ct_len,
		     unsigned char *nonce, unsigned char *aad)
{
	struct tls12_crypto_info_aes_gcm_128 k;
	int i;

	gcm_key(&k, version, KEY_SEED);
	memcpy(nonce, k.salt, 4);
	if (version == TLS_1_2_VERSION) {
		memcpy(nonce + 4, hdr + 5, 8);
		for (i = 0; i < 8; i++)
			aad[i] = seq >> (56 - 8 * i);
		aad[8] = hdr[0];
		aad[9] = 3;
		aad[10] = 3;
		aad[11] = ct_len >> 8;
		aad[12] = ct_len & 0xff;
		return 13;
	}
	memcpy(nonce + 4, k.iv, 8);
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= seq >> (56 - 8 * i);
	memcpy(aad, hdr, 5);
	return 5;
}

/*
 * Decrypt record @seq (header at @hdr, @len bytes after it) into @out.
 * Returns the plaintext length and sets *@type, or -1.
 */
static int open_rec(uint64_t seq, const unsigned char *hdr, int len,
		    unsigned char *out, int *type)
{
	int xlen = version == TLS_1_2_VERSION ? 8 : 0;
	const unsigned char *ct = hdr + 5 + xlen;
	int ct_len = len - xlen - TAG, aad_len, n, m, ok;
	unsigned char nonce[12], aad[13];
	struct tls12_crypto_info_aes_gcm_128 k;
	EVP_CIPHER_CTX *ctx;

	if (ct_len < 0)
		return -1;
	gcm_key(&k, version, KEY_SEED);
	aad_len = nonce_aad(seq, hdr, ct_len, nonce, aad);
	ctx = EVP_CIPHER_CTX_new();
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, k.key, nonce) == 1 &&
	     EVP_DecryptUpdate(ctx, NULL, &n, aad, aad_len) == 1 &&
	     EVP_DecryptUpdate(ctx, out, &n, ct, ct_len) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG,
				 (void *)(ct + ct_len)) == 1 &&
	     EVP_DecryptFinal_ex(ctx, out + n, &m) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return -1;
	*type = hdr[0];
	if (version == TLS_1_2_VERSION)
		return ct_len;
	while (ct_len > 0 && !out[ct_len - 1])
		ct_len--;
	if (!ct_len)
		return -1;
	*type = out[--ct_len];
	return ct_len;
}

/* Frame and decrypt every whole record of w->raw. */
static void wire_parse(struct wire *w)
{
	size_t off = 0;
	int len, plain, type;

	w->plain = malloc(w->raw_len + 1);
	w->plain_len = 0;
	w->n = 0;
	w->bad = 0;
	while (w->raw_len - off >= 5 && w->n < MAX_RECS) {
		len = w->raw[off + 3] << 8 | w->raw[off + 4];
		if (w->raw_len - off - 5 < (size_t)len)
			break;
		plain = open_rec(seq_base + w->n, w->raw + off, len,
				 w->plain + w->plain_len, &type);
		if (plain < 0) {
			w->bad++;
			plain = 0;
			type = -1;
		}
		w->recs[w->n++] = (struct rec){ type, plain, w->plain_len };
		w->plain_len += plain;
		off += 5 + len;
	}
	w->tail = w->raw_len - off;
}

/* Read @fd until EOF (or @timeout_ms of silence), then parse. */
static void wire_read(int fd, struct wire *w, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	w->raw = malloc(WIRE_MAX);
	w->raw_len = 0;
	w->eof = 0;
	while (w->raw_len < WIRE_MAX) {
		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		n = recv(fd, w->raw + w->raw_len, WIRE_MAX - w->raw_len, 0);
		if (n <= 0) {
			w->eof = 1;
			break;
		}
		w->raw_len += n;
	}
	wire_parse(w);
}

static void wire_free(struct wire *w)
{
	free(w->raw);
	free(w->plain);
}

static int printable(const unsigned char *p, int len)
{
	while (len--)
		if (*p < 0x20 || *p++ > 0x7e)
			return 0;
	return 1;
}

/* Every record, as "23:'abc'" (short, printable ones) or "23:16384B". */
static void say_recs(struct log *l, const struct wire *w)
{
	int i;

	say(l, "wire:");
	for (i = 0; i < w->n; i++) {
		const struct rec *r = &w->recs[i];
		int same = 1;

		if (r->type < 0)
			say(l, " [not authentic]");
		else if (r->len <= 16 && printable(w->plain + r->at, r->len))
			say(l, " %d:'%.*s'", r->type, r->len, w->plain + r->at);
		else
			say(l, " %d:%dB", r->type, r->len);
		/* runs of long records alike: "23:16384B x7" */
		while (r->len > 16 && i + same < w->n &&
		       r[same].type == r->type && r[same].len == r->len)
			same++;
		if (same > 1)
			say(l, " x%d", same);
		i += same - 1;
	}
	say(l, "%s%s%s", w->n ? "" : " no record",
	    w->tail ? ", then part of a record" : "",
	    w->eof ? ", EOF" : ", no EOF");
}

/*
 * Whether the wire is @len bytes of the pattern, in whole data records,
 * all authentic, and then EOF.
 */
static int wire_is_pattern(const struct wire *w, size_t len)
{
	int i;

	for (i = 0; i < w->n; i++)
		if (w->recs[i].type != 23)
			return 0;
	return !w->bad && !w->tail && w->eof && w->plain_len == len &&
	       !memcmp(w->plain, pattern, len);
}

/* A reader of the raw stream that starts after @delay_ms. */
struct reader {
	pthread_t t;
	int fd, delay_ms;
	struct wire w;
};

static void *reader_run(void *arg)
{
	struct reader *r = arg;

	sleep_ms(r->delay_ms);
	wire_read(r->fd, &r->w, 20000);
	return NULL;
}

static void reader_start(struct reader *r, int fd, int delay_ms)
{
	r->fd = fd;
	r->delay_ms = delay_ms;
	if (pthread_create(&r->t, NULL, reader_run, r))
		die("pthread_create");
}

/* ---- tasks: a sender in a thread, its state, signals ---- */

static void on_signal(int sig)
{
	(void)sig;
}

struct sender {
	pthread_t t;
	int fd, flags, file;	/* file >= 0: sendfile from it */
	int setkey;		/* TLS_TX again instead of sending */
	const void *buf;
	size_t len;
	volatile pid_t tid;
	volatile int done;
	long ret;
	int err;
};

static void *sender_run(void *arg)
{
	struct sender *s = arg;

	off_t off = 0;

	s->tid = gettid();
	if (s->setkey)
		s->ret = set_gcm_key(s->fd, TLS_TX, version, KEY_SEED);
	else if (s->file >= 0)
		s->ret = sendfile(s->fd, s->file, &off, s->len);
	else
		s->ret = send(s->fd, s->buf, s->len, s->flags);
	s->err = errno;
	s->done = 1;
	return NULL;
}

static void sender_start(struct sender *s, int fd, const void *buf,
			 size_t len, int flags)
{
	s->fd = fd;
	s->buf = buf;
	s->len = len;
	s->flags = flags;
	s->tid = 0;
	s->done = 0;
	if (pthread_create(&s->t, NULL, sender_run, s))
		die("pthread_create");
}

/* Wait up to @ms for the sender's call to return; 1 if it did. */
static int sender_wait(struct sender *s, int ms)
{
	long end = now_ms() + ms;

	while (!s->done && now_ms() < end)
		sleep_ms(10);
	if (!s->done)
		return 0;
	pthread_join(s->t, NULL);
	return 1;
}

/* The scheduler state of task @tid of process @pid: 'R', 'S', 'D'... */
static char task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

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
	return p && p[1] && p[2] ? p[2] : '?';
}

/* Wait until the task has slept for a while: 'S' or 'D' 3 times running. */
static char settled_state(pid_t pid, pid_t tid)
{
	long end = now_ms() + 5000;
	char st = '?';
	int same = 0;

	while (same < 3 && now_ms() < end) {
		sleep_ms(100);
		st = task_state(pid, tid);
		same = st == 'S' || st == 'D' ? same + 1 : 0;
	}
	return st;
}

/* ---- the cases ---- */

struct kase {
	const char *name;
	void (*run)(const char *ulp, struct log *l);
	int only_b;		/* a documented difference: ULP B checked alone;
				 * 2: only where ULP A lacks TLS_TX_MAX_PAYLOAD_LEN */
	int tls12;		/* TLS 1.2 only */
};

/*
 * Thread A blocks in send() on a peer that does not read; @second then
 * starts what waits behind it and says what happened. Then the peer reads
 * everything: A's bytes, nothing else, in whole authentic records.
 */
static void behind_blocked(const char *ulp, struct log *l,
			   void (*second)(int c, struct log *l))
{
	struct sender a = { .file = -1 };
	struct reader r;
	int c, s;

	conn_open(ulp, 1, &c, &s);
	sender_start(&a, c, pattern, BIG, 0);
	while (!a.tid)
		sleep_ms(10);
	say(l, "A blocked: %c; ", settled_state(getpid(), a.tid));
	second(c, l);
	reader_start(&r, s, 0);
	if (!sender_wait(&a, 60000))
		die("A never returned");
	say_ret(l, "A's send", a.ret, a.err);
	close(c);
	pthread_join(r.t, NULL);
	say(l, "peer got %s", wire_is_pattern(&r.w, a.ret > 0 ? a.ret : 0) ?
	    "A's bytes, whole records, authentic, EOF" : "something else: ");
	if (!wire_is_pattern(&r.w, a.ret > 0 ? a.ret : 0))
		say_recs(l, &r.w);
	wire_free(&r.w);
	close(s);
}

/* B behind A: its state, then SIGUSR1 (SA_RESTART) and what B returns. */
static void signalled(int c, struct log *l, struct sender *b)
{
	while (!b->tid)
		sleep_ms(10);
	say(l, "B waits: %c; ", settled_state(getpid(), b->tid));
	pthread_kill(b->t, SIGUSR1);
	if (sender_wait(b, 3000)) {
		say_ret(l, "after SIGUSR1 B", b->ret, b->err);
		return;
	}
	say(l, "B still blocked 3 s after SIGUSR1; ");
	/* Let A (and so B) finish: A's reader starts after this. */
	(void)c;
}

static void second_dontwait(int c, struct log *l)
{
	static struct sender b = { .file = -1 };

	sender_start(&b, c, "x", 1, MSG_DONTWAIT);
	signalled(c, l, &b);
}

static void second_blocking(int c, struct log *l)
{
	static struct sender b = { .file = -1 };

	sender_start(&b, c, "x", 1, 0);
	signalled(c, l, &b);
}

static void second_sendfile(int c, struct log *l)
{
	static struct sender b;
	int f = memfd_create("txedge", 0);

	if (f < 0 || write(f, "sendfile", 8) != 8)
		die("memfd");
	b.file = f;
	sender_start(&b, c, NULL, 8, 0);
	signalled(c, l, &b);
	close(f);
}

/* TLS_TX again: TLS 1.2 keys are set once, EBUSY (no sender's lock). */
static void second_setkey(int c, struct log *l)
{
	static struct sender b = { .file = -1, .setkey = 1 };

	sender_start(&b, c, NULL, 0, 0);
	while (!b.tid)
		sleep_ms(10);
	if (sender_wait(&b, 2000)) {
		say_ret(l, "TLS_TX again", b.ret, b.err);
		return;
	}
	say(l, "TLS_TX again waits: %c; ", settled_state(getpid(), b.tid));
	signalled(c, l, &b);
}

/* A process of its own, killed while it waits behind A. */
static void second_killed(int c, struct log *l)
{
	long end;
	pid_t p;
	int st;

	p = fork();
	if (p < 0)
		die("fork");
	if (!p) {
		send(c, "k", 1, MSG_DONTWAIT);
		_exit(0);
	}
	say(l, "child waits: %c; ", settled_state(p, p));
	kill(p, SIGKILL);
	end = now_ms() + 3000;
	while (waitpid(p, &st, WNOHANG) == 0 && now_ms() < end)
		sleep_ms(10);
	if (now_ms() >= end) {
		say(l, "child not dead 3 s after SIGKILL; ");
		return;
	}
	say(l, "child %s; ", WIFSIGNALED(st) ? "killed" : "exited");
}

static void c_lock_dontwait(const char *ulp, struct log *l)
{
	behind_blocked(ulp, l, second_dontwait);
}

static void c_lock_blocking(const char *ulp, struct log *l)
{
	behind_blocked(ulp, l, second_blocking);
}

static void c_lock_sendfile(const char *ulp, struct log *l)
{
	behind_blocked(ulp, l, second_sendfile);
}

static void c_lock_kill(const char *ulp, struct log *l)
{
	behind_blocked(ulp, l, second_killed);
}

static void c_lock_setkey(const char *ulp, struct log *l)
{
	behind_blocked(ulp, l, second_setkey);
}

/* MSG_MORE | MSG_EOR, alone, with an open record, with a record type. */
static void c_eor(const char *ulp, struct log *l)
{
	char cbuf[CMSG_SPACE(1)] = {};
	struct iovec iov = { "ct", 2 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	struct wire w;
	int c, s;

	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(cm) = 22;
	conn_open(ulp, 0, &c, &s);
	SAY_CALL(l, "send(MORE)", send(c, "ab", 2, MSG_MORE));
	SAY_CALL(l, "send(MORE|EOR)", send(c, "cd", 2, MSG_MORE | MSG_EOR));
	SAY_CALL(l, "sendmsg(type 22, MORE|EOR)",
		 sendmsg(c, &m, MSG_MORE | MSG_EOR));
	SAY_CALL(l, "send(EOR)", send(c, "ef", 2, MSG_EOR));
	SAY_CALL(l, "send()", send(c, "gh", 2, 0));
	close(c);
	wire_read(s, &w, 5000);
	say_recs(l, &w);
	wire_free(&w);
	close(s);
}

/*
 * TCP's bytes of this connection: not yet sent by the sender, and waiting
 * in the peer (which has read nothing). Once the same for half a second
 * running: the peer's window is shut and the sender's buffer full, nothing
 * moves any more until the peer reads.
 */
static size_t tcp_holds(int c, int s)
{
	int unsent, inq, same = 0;
	size_t now, last = 0;

	while (same < 5) {
		sleep_ms(100);
		if (ioctl(c, SIOCOUTQNSD, &unsent) || ioctl(s, SIOCINQ, &inq))
			die("SIOCOUTQNSD/SIOCINQ");
		now = unsent + inq;
		same = now == last ? same + 1 : 0;
		last = now;
	}
	return last;
}

/*
 * A send of PART bytes on tiny buffers that stops (a signal for a blocking
 * sender, a full TCP for MSG_DONTWAIT) with its last record partly taken
 * by TCP. Returns the bytes committed (the send's return), with *c and *s
 * open; retries with a new connection until a record is partly taken.
 */
static long partly_sent(const char *ulp, int flags, int *c, int *s)
{
	struct sender a = { .file = -1 };
	size_t held;
	int i;

	for (i = 0; i < TRIES; i++) {
		conn_open(ulp, 1, c, s);
		sender_start(&a, *c, pattern, PART, flags);
		while (!a.tid)
			sleep_ms(10);
		if (!(flags & MSG_DONTWAIT)) {
			settled_state(getpid(), a.tid);
			pthread_kill(a.t, SIGUSR2);
		}
		if (!sender_wait(&a, 10000))
			die("the sender never returned");
		held = a.ret > 0 ? tcp_holds(*c, *s) : 0;
		if (getenv("TXEDGE_DEBUG"))
			fprintf(stderr, "try %d: ret %ld holds %zu wire %zu\n",
				i, a.ret, held, a.ret > 0 ? wire_size(a.ret) : 0);
		if (a.ret > 0 && held < wire_size(a.ret))
			return a.ret;
		close(*c);
		close(*s);
	}
	return -1;
}

/* Close while TCP has part of a record; the peer starts reading later. */
static void close_partly_sent(const char *ulp, struct log *l, int flags)
{
	struct reader r;
	long n;
	int c, s;

	n = partly_sent(ulp, flags, &c, &s);
	if (n < 0) {
		say(l, "no record left partly in TCP in %d tries", TRIES);
		return;
	}
	say(l, "send stopped with a record partly in TCP; close(); ");
	reader_start(&r, s, 300);
	close(c);
	pthread_join(r.t, NULL);
	if (getenv("TXEDGE_DEBUG"))
		fprintf(stderr, "n %ld raw %zu plain %zu tail %zu\n", n,
			r.w.raw_len, r.w.plain_len, r.w.tail);
	if (wire_is_pattern(&r.w, n))
		say(l, "peer got every committed byte, whole records, authentic, EOF");
	else if (!r.w.bad && r.w.tail && r.w.eof &&
		 !memcmp(r.w.plain, pattern, r.w.plain_len))
		say(l, "peer got whole authentic records, then the start of one, then EOF");
	else
		say_recs(l, &r.w);
	wire_free(&r.w);
	close(s);
}

static void c_close_blocking(const char *ulp, struct log *l)
{
	close_partly_sent(ulp, l, 0);
}

static void c_close_dontwait(const char *ulp, struct log *l)
{
	close_partly_sent(ulp, l, MSG_DONTWAIT);
}

/* Data left open with MSG_MORE at close: ctls sends it, upstream drops it. */
static void c_close_open(const char *ulp, struct log *l)
{
	struct wire w;
	int c, s;

	conn_open(ulp, 0, &c, &s);
	SAY_CALL(l, "send(MORE)", send(c, "abc", 3, MSG_MORE));
	close(c);
	wire_read(s, &w, 5000);
	say_recs(l, &w);
	wire_free(&w);
	close(s);
}

/* Run @steps on a fresh connection, then close and show the wire. */
static void empty_case(const char *ulp, struct log *l,
		       void (*steps)(int c, struct log *l))
{
	struct wire w;
	int c, s;

	conn_open(ulp, 0, &c, &s);
	steps(c, l);
	close(c);
	wire_read(s, &w, 5000);
	say_recs(l, &w);
	wire_free(&w);
	close(s);
}

static void fault(int c, struct log *l)
{
	SAY_CALL(l, "send(bad pointer)", send(c, bad, 100, 0));
}

static void s_fault(int c, struct log *l)
{
	fault(c, l);
}

static void s_fault_cmsg(int c, struct log *l)
{
	fault(c, l);
	SAY_CALL(l, "send(type 22)", send_type(c, 22, "hs", 2));
}

static void s_more_fault_cmsg(int c, struct log *l)
{
	SAY_CALL(l, "send(MORE)", send(c, "abc", 3, MSG_MORE));
	fault(c, l);
	SAY_CALL(l, "send(type 22)", send_type(c, 22, "hs", 2));
}

/* A fault, then sendfile reading past the end of its file: splice_eof. */
static void s_fault_sendfile(int c, struct log *l)
{
	int f = memfd_create("txedge", 0);

	if (f < 0 || write(f, "from a file", 11) != 11)
		die("memfd");
	fault(c, l);
	SAY_CALL(l, "sendfile(11 of 100)",
		 sendfile(c, f, &(off_t){ 0 }, 100));
	close(f);
}

/* A buffer whose first 100 bytes are readable and the next 100 are not. */
static void s_fault_half(int c, struct log *l)
{
	SAY_CALL(l, "send(100 good, 100 bad)",
		 send(c, (char *)bad - 100, 200, 0));
	SAY_CALL(l, "send()", send(c, "z", 1, 0));
}

/* 20 KiB readable then a fault: the first record goes, the rest does not. */
static void s_fault_big(int c, struct log *l)
{
	SAY_CALL(l, "send(20480 good, 4096 bad)",
		 send(c, (char *)bad - 20480, 24576, 0));
}

static void s_zero(int c, struct log *l)
{
	SAY_CALL(l, "send(type 22, 0 bytes)", send_type(c, 22, "", 0));
	SAY_CALL(l, "send(0 bytes)", send(c, "", 0, 0));
	SAY_CALL(l, "send(MORE)", send(c, "m", 1, MSG_MORE));
	SAY_CALL(l, "send(0 bytes)", send(c, "", 0, 0));
	SAY_CALL(l, "send(type 22, 0 bytes)", send_type(c, 22, "", 0));
}

#define EMPTY_CASE(fn, steps)					\
	static void fn(const char *ulp, struct log *l)		\
	{							\
		empty_case(ulp, l, steps);			\
	}

EMPTY_CASE(c_empty_close, s_fault)
EMPTY_CASE(c_empty_cmsg, s_fault_cmsg)
EMPTY_CASE(c_empty_more_cmsg, s_more_fault_cmsg)
EMPTY_CASE(c_empty_sendfile, s_fault_sendfile)
EMPTY_CASE(c_empty_half, s_fault_half)
EMPTY_CASE(c_empty_big, s_fault_big)
EMPTY_CASE(c_empty_zero, s_zero)

/* ---- bug classes upstream fixed: full records, compound pages, splice ---- */

#define SRC_LEN		(4 << 20)	/* src: bytes that differ at every offset */
#define HUGE		(2 << 20)

static unsigned char *src;	/* SRC_LEN bytes, a function of the offset */
static unsigned char *thp;	/* HUGE bytes of src, in a transparent huge page */
static int huge_file = -1;	/* src in a tmpfs file mounted huge=always */

/* Whether the wire is data records only, none over MAX_PLAIN, all authentic. */
static int wire_data_only(const struct wire *w)
{
	int i;

	for (i = 0; i < w->n; i++)
		if (w->recs[i].type != 23 || w->recs[i].len > MAX_PLAIN)
			return 0;
	return !w->bad && !w->tail && w->eof;
}

/*
 * Run @steps (which send bytes of src from offset 0 on and return how
 * many were taken), close, and show whether the wire's data records carry
 * exactly those bytes; @exact: the records themselves too (elsewhere
 * where a sender cuts records is its own business: stock 6.1's sendpage
 * path closes one early when its scatterlist is full).
 */
static int tx_limit;	/* TLS_TX_MAX_PAYLOAD_LEN for src_case(), if set */

/*
 * What s_limit() sends, as the records see it: each call (the MSG_MORE
 * pieces together) fills records up to the limit, its last one short.
 */
static const size_t limit_calls[] = { 1000, 20000, 100 + 3000 + 7, 30000, 10000 };

/* Records over the limit, and whether there are as many as it makes. */
static void say_limit(struct log *l, const struct wire *w)
{
	int i, over = 0, want = 0;

	for (i = 0; i < w->n; i++)
		over += w->recs[i].len > tx_limit;
	for (i = 0; i < (int)(sizeof(limit_calls) / sizeof(limit_calls[0])); i++)
		want += (limit_calls[i] + tx_limit - 1) / tx_limit;
	say(l, "; %d records over %d; %d records, %s", over, tx_limit, w->n,
	    w->n == want ? "each filled to it" : "NOT each filled to it");
}

static void src_case(const char *ulp, struct log *l,
		     size_t (*steps)(int c, struct log *l), int exact)
{
	unsigned short v = tx_limit;
	struct reader r;
	size_t n;
	int c, s;

	conn_open(ulp, 0, &c, &s);
	if (tx_limit)
		SAY_CALL(l, "TLS_TX_MAX_PAYLOAD_LEN",
			 setsockopt(c, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &v,
				    sizeof(v)));
	reader_start(&r, s, 0);
	n = steps(c, l);
	close(c);
	pthread_join(r.t, NULL);
	if (exact || !wire_data_only(&r.w))
		say_recs(l, &r.w);
	else
		say(l, "wire: authentic data records, EOF");
	if (tx_limit)
		say_limit(l, &r.w);
	say(l, "; %s", r.w.plain_len == n && !memcmp(r.w.plain, src, n) ?
	    "the bytes sent, in order" : "NOT the bytes sent");
	wire_free(&r.w);
	close(s);
}

/* send() of src[@off, @off + @len) from @base, its result in the log. */
static size_t src_send(int c, struct log *l, const unsigned char *base,
		       size_t off, size_t len, int flags)
{
	char what[64];
	long n;

	snprintf(what, sizeof(what), "send(%zu%s)", len,
		 flags & MSG_MORE ? ", MORE" : "");
	n = send(c, base + off, len, flags);
	say_ret(l, what, n, errno);
	return n > 0 ? n : 0;
}

/* MSG_MORE data that fills a record exactly, then more MSG_MORE data. */
static size_t s_more_full(int c, struct log *l)
{
	size_t n = 0;

	n += src_send(c, l, src, n, MAX_PLAIN, MSG_MORE);
	n += src_send(c, l, src, n, 100, MSG_MORE);
	n += src_send(c, l, src, n, 1, 0);
	n += src_send(c, l, src, n, 16000, MSG_MORE);
	n += src_send(c, l, src, n, 1000, MSG_MORE);
	n += src_send(c, l, src, n, MAX_PLAIN - 616, MSG_MORE);
	n += src_send(c, l, src, n, 7, 0);
	return n;
}

static void c_more_full(const char *ulp, struct log *l)
{
	src_case(ulp, l, s_more_full, 1);
}

/* send() out of one compound page: inside it, and across its end. */
static size_t s_thp_send(int c, struct log *l)
{
	size_t n = 0;
	long r;

	if (!thp) {
		say(l, "no huge page; ");
		return 0;
	}
	n += src_send(c, l, thp, n, 100000, 0);
	n += src_send(c, l, thp, n, 5000, MSG_MORE);
	n += src_send(c, l, thp, n, HUGE - 105000 - 3000, MSG_MORE);
	/* the last 3000 bytes of the huge page and 7000 of src after it */
	r = sendmsg(c, &(struct msghdr){
			.msg_iov = (struct iovec[]){
				{ thp + n, 3000 },
				{ src + n + 3000, 7000 } },
			.msg_iovlen = 2 }, 0);
	say_ret(l, "sendmsg(3000 of the huge page, 7000 more)", r, errno);
	return n + (r > 0 ? r : 0);
}

static void c_thp_send(const char *ulp, struct log *l)
{
	src_case(ulp, l, s_thp_send, 0);
}

/* sendfile() from a file whose page cache is huge pages, odd offsets. */
static size_t s_huge_sendfile(int c, struct log *l)
{
	static const size_t lens[] = { 70000, 1, 16383, 1000000, 3, 300000 };
	off_t off = 0;
	size_t i, n = 0;
	long r;

	if (huge_file < 0) {
		say(l, "no huge tmpfs file; ");
		return 0;
	}
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		r = sendfile(c, huge_file, &off, lens[i]);
		say_ret(l, "sendfile()", r, errno);
		n += r > 0 ? r : 0;
	}
	return n;
}

static void c_huge_sendfile(const char *ulp, struct log *l)
{
	src_case(ulp, l, s_huge_sendfile, 0);
}

/*
 * Every send path under a record size limit: small and large send()s (the
 * large ones sealed straight from the caller's pages when the limit allows
 * it), MSG_MORE pieces, sendfile() and splice() from a pipe (6.1: pages
 * held by sendpage; 6.12: MSG_SPLICE_PAGES). Whole records only: each call
 * ends without MSG_MORE but the pieces'.
 */
static size_t s_limit(int c, struct log *l)
{
	int f = memfd_create("txedge-limit", 0), p[2];
	size_t n = 0;
	long r;

	n += src_send(c, l, src, n, 1000, 0);
	n += src_send(c, l, src, n, 20000, 0);
	n += src_send(c, l, src, n, 100, MSG_MORE);
	n += src_send(c, l, src, n, 3000, MSG_MORE);
	n += src_send(c, l, src, n, 7, 0);
	if (f < 0 || write(f, src + n, 30000) != 30000 || pipe(p))
		die("memfd, pipe");
	r = sendfile(c, f, &(off_t){ 0 }, 30000);
	say_ret(l, "sendfile(30000)", r, errno);
	n += r > 0 ? r : 0;
	if (write(p[1], src + n, 10000) != 10000)
		die("pipe write");
	r = splice(p[0], NULL, c, NULL, 10000, 0);
	say_ret(l, "splice(10000)", r, errno);
	n += r > 0 ? r : 0;
	close(f);
	close(p[0]);
	close(p[1]);
	return n;
}

/* TLS 1.3 passes record_size_limit - 1: 63 is its least, 64 TLS 1.2's. */
#define LIMIT_CASE(name, limit)						\
static void name(const char *ulp, struct log *l)			\
{									\
	tx_limit = (limit) ? (limit) : version == TLS_1_3_VERSION ? 63 : 64; \
	src_case(ulp, l, s_limit, 1);					\
	tx_limit = 0;							\
}

LIMIT_CASE(c_limit_least, 0)
LIMIT_CASE(c_limit_1000, 1000)
LIMIT_CASE(c_limit_4097, 4097)
LIMIT_CASE(c_limit_16383, 16383)

/*
 * splice() from a pipe into the kTLS socket, non-blocking (O_NONBLOCK, as
 * splice_to_socket() looks at the socket's flags), on tiny buffers until
 * EAGAIN; then one blocking send of "z" and close. Every byte a splice
 * returned must be on the wire, in order, then "z": records taken in part
 * when TCP is full must not be lost (upstream's splice/MSG_DONTWAIT bugs).
 */
static void splice_dontwait(const char *ulp, struct log *l, int sflags)
{
	size_t total = 0, inpipe = 0;
	struct reader r;
	int c, s, p[2], eagain = 0;
	long n = 0;

	conn_open(ulp, 1, &c, &s);
	if (pipe(p) || fcntl(c, F_SETFL, O_NONBLOCK))
		die("pipe");
	while (total + inpipe < BIG - 16384) {
		if (!inpipe) {
			n = write(p[1], src + total, 16384);
			if (n <= 0)
				die("write to pipe");
			inpipe = n;
		}
		n = splice(p[0], NULL, c, NULL, inpipe,
			   SPLICE_F_NONBLOCK | sflags);
		if (n <= 0)
			break;
		total += n;
		inpipe -= n;
	}
	eagain = n < 0 && errno == EAGAIN;
	say(l, eagain ? "splice until EAGAIN; " :
	    n < 0 ? "splice stopped: %s; " : "no EAGAIN; ",
	    strerrorname_np(errno));
	fcntl(c, F_SETFL, 0);
	reader_start(&r, s, 0);
	SAY_CALL(l, "send(\"z\")", send(c, "z", 1, 0));
	close(c);
	pthread_join(r.t, NULL);
	if (r.w.plain_len == total + 1 && !memcmp(r.w.plain, src, total) &&
	    r.w.plain[total] == 'z' && !r.w.bad)
		say(l, "peer got every spliced byte in order, then 'z'");
	else
		say(l, "peer got %zu bytes for %zu spliced + 1; %d not authentic",
		    r.w.plain_len, total, r.w.bad);
	wire_free(&r.w);
	close(s);
	close(p[0]);
	close(p[1]);
}

static void c_splice_dontwait(const char *ulp, struct log *l)
{
	splice_dontwait(ulp, l, 0);
}

static void c_splice_dontwait_more(const char *ulp, struct log *l)
{
	splice_dontwait(ulp, l, SPLICE_F_MORE);
}

/* ---- errors: a seal that fails, a TCP that fails, shutdown (issue 15) ---- */

static volatile int sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

/* SIGPIPE counted from here on, until sigpipe_say(). */
static void sigpipe_count(void)
{
	sigpipes = 0;
	signal(SIGPIPE, on_sigpipe);
}

static void sigpipe_say(struct log *l)
{
	signal(SIGPIPE, SIG_IGN);
	say(l, "SIGPIPE x%d; ", sigpipes);
}

/* conn_open() with the sending key's rec_seq at @seq. */
static void conn_open_seq(const char *ulp, int small, uint64_t seq, int *c,
			  int *s)
{
	struct tls12_crypto_info_aes_gcm_128 k;
	int i;

	small_pair(small, c, s);
	gcm_key(&k, version, KEY_SEED);
	for (i = 0; i < 8; i++)
		k.rec_seq[i] = seq >> (56 - 8 * i);
	if (setsockopt(*c, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp)) ||
	    setsockopt(*c, SOL_TLS, TLS_TX, &k, sizeof(k)))
		die("TLS_TX");
	seq_base = seq;
}

static void say_so_error(struct log *l, int c)
{
	socklen_t len = sizeof(int);
	int e = 0;

	if (getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &len))
		die("SO_ERROR");
	say(l, "SO_ERROR %s; ", e ? strerrorname_np(e) : "0");
}

/* sendfile() of the first @len bytes of the pattern, from a memfd. */
static long send_file(int c, size_t len)
{
	int f = memfd_create("txedge", 0), e;
	long r;

	if (f < 0 || write(f, pattern, len) != (ssize_t)len)
		die("memfd");
	r = sendfile(c, f, &(off_t){ 0 }, len);
	e = errno;
	close(f);
	errno = e;
	return r;
}

/* @len bytes of the pattern by send() or (@file) sendfile(). */
static void send_some(int c, struct log *l, size_t len, int file)
{
	char what[64];
	long r;

	snprintf(what, sizeof(what), "%s(%zu)", file ? "sendfile" : "send",
		 len);
	r = file ? send_file(c, len) : send(c, pattern, len, 0);
	say_ret(l, what, r, errno);
}

/* The wire after a stream that stopped early: its summary. */
static void say_stopped(struct log *l, struct wire *w, size_t n)
{
	if (wire_is_pattern(w, n))
		say(l, "peer got every committed byte, whole records, authentic, EOF");
	else if (!w->bad && w->tail && w->eof &&
		 !memcmp(w->plain, pattern, w->plain_len))
		say(l, "peer got whole authentic records, then the start of one, then EOF");
	else
		say_recs(l, w);
}

/*
 * The sequence numbers run out: rec_seq set @left records before the last
 * (a record is never sent with the last one: upstream seals it, then its
 * sequence number wraps and the stream is aborted, EBADMSG); @len bytes,
 * another send (sk_err stays), close, the wire. @after: SO_ERROR clears
 * the error first, then a send: ctls stays dead (docs/design.md), where
 * stock goes on with sequence number 0.
 */
static void seal_case(const char *ulp, struct log *l, uint64_t left,
		      size_t len, int file, int after)
{
	struct wire w;
	int c, s;

	conn_open_seq(ulp, 0, ~0ULL - left, &c, &s);
	send_some(c, l, len, file);
	if (after)
		say_so_error(l, c);
	SAY_CALL(l, "send again", send(c, "x", 1, 0));
	close(c);
	wire_read(s, &w, 5000);
	say_recs(l, &w);
	wire_free(&w);
	close(s);
	seq_base = 0;
}

#define SEAL_CASE(fn, left, len, file, after)			\
	static void fn(const char *ulp, struct log *l)		\
	{							\
		seal_case(ulp, l, left, len, file, after);	\
	}

SEAL_CASE(c_seal_10, 0, 10, 0, 0)
SEAL_CASE(c_seal_4k, 0, 4096, 0, 0)
SEAL_CASE(c_seal_16k, 0, 16384, 0, 0)
SEAL_CASE(c_seal_32k, 1, 32768, 0, 0)
SEAL_CASE(c_seal_file_4k, 0, 4096, 1, 0)
SEAL_CASE(c_seal_file_16k, 0, 16384, 1, 0)
SEAL_CASE(c_seal_file_32k, 1, 32768, 1, 0)
SEAL_CASE(c_seal_dead, 0, 16384, 0, 1)

/*
 * A send after TCP refused a record (EPIPE): upstream may still take the
 * call's first record and say so, though it never goes out; ctls says
 * EPIPE (docs/design.md). Both are "lost" in a transcript compared with
 * stock; @raw: as they are.
 */
static int raw_sends;

static void say_lost(struct log *l, const char *what, long ret, int err)
{
	if (!raw_sends && (ret > 0 || (ret < 0 && err == EPIPE)))
		say(l, "%s lost; ", what);
	else
		say_ret(l, what, ret, err);
}

#define SAY_LOST(l, what, call)					\
	do {							\
		long __r = (call);				\
								\
		say_lost(l, what, __r, errno);			\
	} while (0)

/*
 * A record partly in TCP (a MSG_DONTWAIT send on tiny buffers), then the
 * peer resets the connection: what send, SO_ERROR and recv say, in the
 * order @so_error_first asks.
 */
static void rst_case(const char *ulp, struct log *l, int so_error_first)
{
	struct linger lg = { 1, 0 };
	char b;
	int c, s;

	if (partly_sent(ulp, MSG_DONTWAIT, &c, &s) < 0) {
		say(l, "no record left partly in TCP in %d tries", TRIES);
		return;
	}
	say(l, "a record partly in TCP; peer resets; ");
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s);
	sleep_ms(300);
	sigpipe_count();
	if (so_error_first)
		say_so_error(l, c);
	SAY_LOST(l, "send(1)", send(c, "x", 1, 0));
	say_so_error(l, c);
	SAY_CALL(l, "recv", recv(c, &b, 1, MSG_DONTWAIT));
	SAY_LOST(l, "send(1)", send(c, "y", 1, 0));
	SAY_LOST(l, "send(20000)", send(c, pattern, 20000, 0));
	say_so_error(l, c);
	SAY_LOST(l, "send(1)", send(c, "z", 1, 0));
	sigpipe_say(l);
	close(c);
}

static void c_rst_send(const char *ulp, struct log *l)
{
	rst_case(ulp, l, 0);
}

static void c_rst_so_error(const char *ulp, struct log *l)
{
	rst_case(ulp, l, 1);
}

static void c_rst_raw(const char *ulp, struct log *l)
{
	raw_sends = 1;
	rst_case(ulp, l, 1);
	raw_sends = 0;
}

/* shutdown(SHUT_WR) with data left open by MSG_MORE, then sends. */
static void c_shut_open(const char *ulp, struct log *l)
{
	struct wire w;
	int c, s;

	conn_open(ulp, 0, &c, &s);
	sigpipe_count();
	SAY_CALL(l, "send(MORE)", send(c, "abc", 3, MSG_MORE));
	SAY_CALL(l, "shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
	SAY_CALL(l, "send(1)", send(c, "d", 1, 0));
	SAY_LOST(l, "send(1, NOSIGNAL)", send(c, "e", 1, MSG_NOSIGNAL));
	SAY_LOST(l, "send(20000)", send(c, pattern, 20000, 0));
	say_so_error(l, c);
	sigpipe_say(l);
	close(c);
	wire_read(s, &w, 5000);
	say_recs(l, &w);
	wire_free(&w);
	close(s);
}

static void c_shut_open_raw(const char *ulp, struct log *l)
{
	raw_sends = 1;
	c_shut_open(ulp, l);
	raw_sends = 0;
}

/* shutdown(SHUT_WR) with a record partly in TCP, then sends. */
static void c_shut_partly(const char *ulp, struct log *l)
{
	struct reader r;
	long n;
	int c, s;

	n = partly_sent(ulp, MSG_DONTWAIT, &c, &s);
	if (n < 0) {
		say(l, "no record left partly in TCP in %d tries", TRIES);
		return;
	}
	say(l, "a record partly in TCP; ");
	sigpipe_count();
	SAY_CALL(l, "shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
	reader_start(&r, s, 0);
	SAY_CALL(l, "send(1)", send(c, "x", 1, 0));
	SAY_CALL(l, "send(20000)", send(c, pattern, 20000, 0));
	sigpipe_say(l);
	pthread_join(r.t, NULL);
	/*
	 * Not in the transcript: once the peer reads, the work item (stock's
	 * and ctls's) tries the rest of the record, meets EPIPE and sets
	 * SO_ERROR, or has not run yet; which one depends on timing.
	 */
	close(c);
	say_stopped(l, &r.w, n);
	wire_free(&r.w);
	close(s);
}

/* A line of /proc/net/ULP_stat; -1 if there is none. */
static long ulp_counter(const char *ulp, const char *name)
{
	char path[64], line[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/net/%s_stat", ulp);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)) &&
		    line[strlen(name)] == ' ')
			v = strtol(line + strlen(name), NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* TLS_TX again on TLS 1.2 keys: EBUSY; upstream 6.14 counts it. */
static void c_setkey_counter(const char *ulp, struct log *l)
{
	long before = ulp_counter(ulp, "TlsTxRekeyError"), after;
	int c, s;

	conn_open(ulp, 0, &c, &s);
	SAY_CALL(l, "TLS_TX again",
		 set_gcm_key(c, TLS_TX, version, KEY_SEED));
	after = ulp_counter(ulp, "TlsTxRekeyError");
	if (before < 0)
		say(l, "no TlsTxRekeyError counter");
	else
		say(l, "TlsTxRekeyError +%ld", after - before);
	close(c);
	close(s);
}

/*
 * TLS 1.3: a sender blocked on a peer that does not read, then TLS_TX (a
 * rekey) on the O_NONBLOCK socket from another thread: as upstream's
 * setsockopt, it must not wait for the sender (stock 6.12 answers EBUSY at
 * once; ctls rekeys at once).
 */
static void c_rekey_nonblock(const char *ulp, struct log *l)
{
	struct sender a = { .file = -1 }, k = { .file = -1, .setkey = 1 };
	struct reader r;
	int c, s, waited;

	conn_open(ulp, 1, &c, &s);
	sender_start(&a, c, pattern, BIG, 0);
	while (!a.tid)
		sleep_ms(10);
	settled_state(getpid(), a.tid);
	fcntl(c, F_SETFL, O_NONBLOCK);
	sender_start(&k, c, NULL, 0, 0);
	waited = !sender_wait(&k, 2000);
	reader_start(&r, s, 0);
	if (!sender_wait(&a, 60000) || (waited && !sender_wait(&k, 30000)))
		die("a sender never returned");
	say_ret(l, "TLS_TX (rekey, O_NONBLOCK)", k.ret, k.err);
	say(l, "%s; ", waited ? "waited for the sender" : "returned at once");
	say_ret(l, "the blocked send", a.ret, a.err);
	close(c);
	pthread_join(r.t, NULL);
	/* Records after the rekey restart at sequence number 0: framing only. */
	say(l, "wire: %d whole records, %zu bytes%s", r.w.n, r.w.raw_len,
	    r.w.tail ? ", then part of one" : "");
	wire_free(&r.w);
	close(s);
}

static const struct kase kases[] = {
	{ "lock: MSG_DONTWAIT send behind a blocked sender", c_lock_dontwait, 0, 0 },
	{ "lock: blocking send behind a blocked sender", c_lock_blocking, 0, 0 },
	{ "lock: sendfile behind a blocked sender", c_lock_sendfile, 0, 0 },
	{ "lock: process killed behind a blocked sender", c_lock_kill, 0, 0 },
	{ "lock: TLS_TX again behind a blocked sender", c_lock_setkey, 0, 1 },
	{ "eor: MSG_MORE with MSG_EOR", c_eor, 0, 0 },
	{ "close: blocking sender's record partly in TCP", c_close_blocking, 0, 0 },
	{ "close: MSG_DONTWAIT sender's record partly in TCP", c_close_dontwait, 0, 0 },
	{ "close: record left open with MSG_MORE", c_close_open, 1, 0 },
	{ "empty: fault, close", c_empty_close, 0, 0 },
	{ "empty: fault, record-type cmsg", c_empty_cmsg, 0, 0 },
	{ "empty: MSG_MORE data, fault, record-type cmsg", c_empty_more_cmsg, 0, 0 },
	{ "empty: fault, sendfile to EOF (splice_eof)", c_empty_sendfile, 0, 0 },
	{ "empty: fault in the middle of a small send", c_empty_half, 0, 0 },
	{ "empty: fault in a send's second record", c_empty_big, 0, 0 },
	{ "empty: zero-length sends", c_empty_zero, 0, 0 },
	{ "more: MSG_MORE onto a full record", c_more_full, 0, 0 },
	{ "folio: send() from a transparent huge page", c_thp_send, 0, 0 },
	{ "folio: sendfile() from huge tmpfs pages", c_huge_sendfile, 0, 0 },
	{ "splice: non-blocking into a full TCP", c_splice_dontwait, 0, 0 },
	{ "splice: non-blocking with SPLICE_F_MORE into a full TCP",
	  c_splice_dontwait_more, 0, 0 },
	{ "limit: TLS_TX_MAX_PAYLOAD_LEN at its least", c_limit_least, 2, 0 },
	{ "limit: TLS_TX_MAX_PAYLOAD_LEN 1000", c_limit_1000, 2, 0 },
	{ "limit: TLS_TX_MAX_PAYLOAD_LEN 4097", c_limit_4097, 2, 0 },
	{ "limit: TLS_TX_MAX_PAYLOAD_LEN 16383", c_limit_16383, 2, 0 },
};

static const char *vname(void)
{
	return version == TLS_1_2_VERSION ? "TLS 1.2" : "TLS 1.3";
}

static void one_case(const struct kase *k)
{
	static struct log la, lb;

	la.len = lb.len = 0;
	la.text[0] = lb.text[0] = 0;
	k->run(ulp_a, &la);
	k->run(ulp_b, &lb);
	if (k->only_b == 2 && strstr(la.text, "= -1 ENOPROTOOPT")) {
		tap_check(strstr(lb.text, "TLS_TX_MAX_PAYLOAD_LEN = 0; ") &&
			  strstr(lb.text, "; 0 records over ") &&
			  strstr(lb.text, ", each filled to it") &&
			  strstr(lb.text, "the bytes sent, in order") &&
			  !strstr(lb.text, "= -1 "),
			  "%s, %s: %s (%s has no such option)", vname(),
			  k->name, ulp_b, ulp_a);
		printf("#   %s: %s\n", ulp_b, lb.text);
		return;
	}
	if (k->only_b == 1) {
		tap_check(strstr(lb.text, "23:'abc'") != NULL,
			  "%s, %s: %s sends it", vname(), k->name, ulp_b);
		printf("#   %s: %s\n#   %s: %s (upstream drops it)\n",
		       ulp_b, lb.text, ulp_a, la.text);
		return;
	}
	tap_check(!strcmp(la.text, lb.text), "%s, %s: %s and %s agree",
		  vname(), k->name, ulp_a, ulp_b);
	if (!strcmp(la.text, lb.text)) {
		printf("#   %s\n", la.text);
		return;
	}
	printf("#   %s: %s\n#   %s: %s\n", ulp_a, la.text, ulp_b, lb.text);
}

/* The error cases (issue 15); with @want_b, a documented difference. */
struct err_kase {
	struct kase k;
	int tls13;		/* TLS 1.3 only */
	const char *want_b;	/* B's transcript must say this */
};

static const struct err_kase err_kases[] = {
	{ { "seal: rec_seq runs out, send(10)", c_seal_10, 0, 0 }, 0, NULL },
	{ { "seal: rec_seq runs out, send(4096)", c_seal_4k, 0, 0 }, 0, NULL },
	{ { "seal: rec_seq runs out, send(16384)", c_seal_16k, 0, 0 }, 0, NULL },
	{ { "seal: rec_seq runs out at the second record, send(32768)",
	    c_seal_32k, 0, 0 }, 0, NULL },
	{ { "seal: rec_seq runs out, sendfile(4096)", c_seal_file_4k, 0, 0 },
	  0, NULL },
	{ { "seal: rec_seq runs out, sendfile(16384)", c_seal_file_16k, 0, 0 },
	  0, NULL },
	{ { "seal: rec_seq runs out at the second record, sendfile(32768)",
	    c_seal_file_32k, 0, 0 }, 0, NULL },
	{ { "seal: rec_seq ran out, SO_ERROR read, then send: stays dead",
	    c_seal_dead, 1, 0 }, 0,
	  "send again = -1 EBADMSG; wire: no record, EOF" },
	{ { "rst: peer reset with a record partly sent, send first",
	    c_rst_send, 0, 0 }, 0, NULL },
	{ { "rst: peer reset with a record partly sent, SO_ERROR first",
	    c_rst_so_error, 0, 0 }, 0, NULL },
	{ { "rst: after the reset, sends say EPIPE, not bytes taken",
	    c_rst_raw, 1, 0 }, 0,
	  "recv = 0; send(1) = -1 EPIPE; send(20000) = -1 EPIPE; SO_ERROR 0; "
	  "send(1) = -1 EPIPE; SIGPIPE x4" },
	{ { "shutdown: SHUT_WR with a record open", c_shut_open, 0, 0 },
	  0, NULL },
	{ { "shutdown: after SHUT_WR failed a record, sends say EPIPE",
	    c_shut_open_raw, 1, 0 }, 0,
	  "send(1) = 1; send(1, NOSIGNAL) = -1 EPIPE; send(20000) = -1 EPIPE; "
	  "SO_ERROR 0; SIGPIPE x2" },
	{ { "shutdown: SHUT_WR with a record partly sent", c_shut_partly,
	    0, 0 }, 0, NULL },
	{ { "setkey: TLS_TX again on TLS 1.2 counts TlsTxRekeyError",
	    c_setkey_counter, 1, 1 }, 0, "EBUSY; TlsTxRekeyError +1" },
	{ { "setkey: rekey on an O_NONBLOCK socket behind a blocked sender",
	    c_rekey_nonblock, 1, 0 }, 1,
	  "TLS_TX (rekey, O_NONBLOCK) = 0; returned at once; "
	  "the blocked send = 262144; wire: 16 whole records, 262496 bytes" },
};

static void err_case(const struct err_kase *e)
{
	static struct log la, lb;

	if (!e->want_b) {
		one_case(&e->k);
		return;
	}
	la.len = lb.len = 0;
	la.text[0] = lb.text[0] = 0;
	e->k.run(ulp_a, &la);
	e->k.run(ulp_b, &lb);
	tap_check(strstr(lb.text, e->want_b) != NULL, "%s, %s: %s", vname(),
		  e->k.name, ulp_b);
	printf("#   %s: %s\n#   %s: %s\n", ulp_b, lb.text, ulp_a, la.text);
}

static void err_cases(const char *only)
{
	unsigned int i;

	for (i = 0; i < sizeof(err_kases) / sizeof(err_kases[0]); i++)
		if ((!only || strstr(err_kases[i].k.name, only)) &&
		    (!err_kases[i].k.tls12 || version == TLS_1_2_VERSION) &&
		    (!err_kases[i].tls13 || version == TLS_1_3_VERSION))
			err_case(&err_kases[i]);
}

/* A line of /proc/meminfo or smaps_rollup, as a diagnostic. */
static void show_kb(const char *file, const char *key)
{
	char line[256];
	FILE *f = fopen(file, "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			printf("# %s %s", file, line);
	if (f)
		fclose(f);
}

/*
 * src; thp: a 2 MiB-aligned copy of its start with MADV_HUGEPAGE; the
 * huge file: all of it in a tmpfs mounted with huge=always (detached at
 * once: the fd keeps it). Both fall back to small pages, with a note.
 */
static void setup_huge(void)
{
	char dir[] = "/tmp/txedge-XXXXXX", path[64];
	unsigned char *m;
	size_t i;

	src = malloc(SRC_LEN);
	for (i = 0; i < SRC_LEN; i++)
		src[i] = (i * 2654435761u) >> 13;
	m = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m != MAP_FAILED) {
		thp = m + (HUGE - (uintptr_t)m % HUGE) % HUGE;
		if (madvise(thp, HUGE, MADV_HUGEPAGE))
			printf("# MADV_HUGEPAGE: %s\n", strerror(errno));
		memcpy(thp, src, HUGE);
		show_kb("/proc/self/smaps_rollup", "AnonHugePages");
	}
	if (!mkdtemp(dir))
		return;
	if (mount("tmpfs", dir, "tmpfs", 0, "huge=always,size=16m"))
		printf("# tmpfs huge=always: %s\n", strerror(errno));
	snprintf(path, sizeof(path), "%s/src", dir);
	huge_file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (huge_file >= 0 && write(huge_file, src, SRC_LEN) != SRC_LEN) {
		close(huge_file);
		huge_file = -1;
	}
	unlink(path);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	show_kb("/proc/meminfo", "ShmemHugePages");
}

static void setup(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	size_t i;
	char *m;

	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pattern = malloc(BIG);
	for (i = 0; i < BIG; i++)
		pattern[i] = 'a' + (i * 7 + i / 251) % 26;
	/* Six pages, the last one made unreadable: bad points at it. */
	m = mmap(NULL, 6 * 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + 5 * 4096, 4096, PROT_NONE))
		die("mmap");
	memcpy(m, pattern, 5 * 4096);
	bad = m + 5 * 4096;
	setup_huge();
}

int main(int argc, char **argv)
{
	static const int versions[] = { TLS_1_2_VERSION, TLS_1_3_VERSION };
	unsigned int i, j;

	ulp_a = argc > 1 ? argv[1] : ulp_a;
	ulp_b = argc > 2 ? argv[2] : ulp_b;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!ulp_exists(ulp_a) || !ulp_exists(ulp_b))
		return tap_done();
	setup();
	for (i = 0; i < 2; i++) {
		version = versions[i];
		for (j = 0; j < sizeof(kases) / sizeof(kases[0]); j++)
			if ((argc < 4 || strstr(kases[j].name, argv[3])) &&
			    (!kases[j].tls12 || version == TLS_1_2_VERSION))
				one_case(&kases[j]);
		err_cases(argc > 3 ? argv[3] : NULL);
	}
	return tap_done();
}
