// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures in ctls's setsockopt, sendmsg and recvmsg paths,
 * injected by failslab through /proc/thread-self/fail-nth: the 1st, 2nd, ...
 * fault point an operation reaches fails, one per run, until a run reaches
 * no more. Every run must end cleanly (success or ENOMEM, as upstream; a
 * short count or EAGAIN where a socket call may return one), leave the
 * socket usable, and lose, duplicate or garble no data. One exception, as
 * upstream: a record whose in-place encryption failed cannot be sent, so
 * the stream ends there (EBADMSG from then on); the sender must then have
 * been told exactly the bytes that went out. A leak shows in the kmemleak
 * scan the guest's init runs at the end.
 *
 * Needs CONFIG_FAILSLAB and debugfs (the debug kernel), ctls loaded as
 * "tls". Prints TAP: one line per operation, one more per violation.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sockios.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ktls.h"
#include "net.h"
#include "tap.h"

#ifndef TLS_1_3_VERSION
#define TLS_1_3_VERSION 0x0304
#endif

#define MAX_N		200	/* fault points tried per operation */
#define MAX_SHOWN	5	/* violations printed per operation */
#define MAX_BAD		20	/* violations before an operation gives up */
#define TIMEOUT_S	3	/* SO_SNDTIMEO and SO_RCVTIMEO */
#define REC_MAX		16384
#define SMALL		100
#define BIG		40000

#define FAILSLAB	"/sys/kernel/debug/failslab/"

static unsigned char txbuf[BIG], rxbuf[65536];
static int fail_fd = -1;

/* ---- fault injection --------------------------------------------------- */

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n = -1;

	if (fd >= 0) {
		n = write(fd, val, strlen(val));
		close(fd);
	}
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/*
 * fail-nth counts every slab allocation of the thread, sleeping ones too,
 * and says nothing on the console when it fails one.
 */
static bool failslab_setup(void)
{
	fail_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	return fail_fd >= 0 && !write_file(FAILSLAB "verbose", "0") &&
	       !write_file(FAILSLAB "ignore-gfp-wait", "N") &&
	       !write_file(FAILSLAB "cache-filter", "N");
}

/* The @n-th fault point this thread's next system call reaches fails. */
static void fail_arm(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (pwrite(fail_fd, buf, len, 0) != len) {
		perror("fail-nth");
		exit(2);
	}
}

/* Whether the armed fault was injected; disarms it either way. */
static bool fail_hit(void)
{
	char buf[16] = "";

	if (pread(fail_fd, buf, sizeof(buf) - 1, 0) <= 0) {
		perror("fail-nth");
		exit(2);
	}
	fail_arm(0);
	return atoi(buf) == 0;
}

/* @call with fault point @n armed: its value, errno kept, *@hit set. */
#define INJECT(n, hit, call)						\
	({								\
		long __r;						\
		int __e;						\
									\
		fail_arm(n);						\
		__r = (call);						\
		__e = errno;						\
		*(hit) = fail_hit();					\
		errno = __e;						\
		__r;							\
	})

/* ---- results ----------------------------------------------------------- */

enum outcome { FULL, SHORT, NOMEM, AGAIN, ENDED, NR_OUTCOMES };

static const char * const outcome_name[] = {
	[FULL] = "ok", [SHORT] = "short", [NOMEM] = "ENOMEM",
	[AGAIN] = "EAGAIN", [ENDED] = "stream ended (EBADMSG)",
};

struct tally {
	const char *what;
	bool again_ok;		/* EAGAIN is a clean result here */
	int n;			/* the fault point of this run */
	char said[32];		/* what the call with the fault returned */
	int count[NR_OUTCOMES];
	int bad;
};

static const char *ename(int e)
{
	const char *s = strerrorname_np(e);

	return s ? s : "?";
}

static void violation(struct tally *t, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (++t->bad <= MAX_SHOWN)
		tap_check(0, "%s, fault %d (call returned %s): %s", t->what,
			  t->n, t->said, msg);
}

/*
 * What the call returned: @full or more is a full success (for recv, any
 * data), less a short count; the only error wanted is ENOMEM (or EAGAIN).
 * Without a fault it must fully succeed.
 */
static void classify(struct tally *t, bool hit, long r, long full, int e)
{
	if (r < 0)
		snprintf(t->said, sizeof(t->said), "-1 %s", ename(e));
	else
		snprintf(t->said, sizeof(t->said), "%ld", r);
	if (!hit) {
		if (r < full)
			violation(t, "no fault injected, yet it failed");
		return;
	}
	if (r >= full)
		t->count[FULL]++;
	else if (r > 0)
		t->count[SHORT]++;
	else if (r < 0 && e == ENOMEM)
		t->count[NOMEM]++;
	else if (r < 0 && e == EAGAIN && t->again_ok)
		t->count[AGAIN]++;
	else
		violation(t, "not a clean result");
}

/*
 * Run @step for fault points 1, 2, ... until one is not reached (@step
 * returns whether its fault was injected), then print the summary.
 */
static void run(const char *what, bool again_ok,
		bool (*step)(struct tally *t, const void *arg), const void *arg)
{
	struct tally t = { .what = what, .again_ok = again_ok };
	char buf[128] = "";
	int i, len = 0;

	for (t.n = 1; t.n <= MAX_N && t.bad < MAX_BAD; t.n++)
		if (!step(&t, arg))
			break;
	for (i = 0; i < NR_OUTCOMES; i++)
		if (t.count[i])
			len += snprintf(buf + len, sizeof(buf) - len, ", %d %s",
					t.count[i], outcome_name[i]);
	tap_check(!t.bad, "%s: %d fault points%s%s%s", what, t.n - 1, buf,
		  t.bad ? ", violations" : "",
		  t.n > MAX_N ? " (stopped at the limit)" :
		  t.bad >= MAX_BAD ? " (gave up)" : "");
}

/* ---- sockets ----------------------------------------------------------- */

static unsigned char pattern(size_t i)
{
	return (i * 7 + (i >> 8) * 3 + 0x41) & 0xff;
}

/* Offset of the first byte of @buf (stream offset @off) that is wrong. */
static long mismatch(const unsigned char *buf, size_t len, size_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != pattern(off + i))
			return off + i;
	return -1;
}

static int set_key(int fd, int opt, int version, int gen)
{
	return set_gcm_key(fd, opt, version, 0x11 + gen * 4);
}

static int set_ulp(int fd)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", 3);
}

enum { P_ULP = 1, P_ATX = 2, P_BRX = 4 };

/* A loopback pair with timeouts; data goes from *a to *b. */
static void tls_pair(int version, unsigned int what, int *a, int *b)
{
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	int fds[2], i;

	tcp_pair(AF_INET, a, b);
	fds[0] = *a;
	fds[1] = *b;
	for (i = 0; i < 2; i++)
		if (setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
		    setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
		    ((what & P_ULP) && set_ulp(fds[i])))
			goto fail;
	if (((what & P_ATX) && set_key(*a, TLS_TX, version, 0)) ||
	    ((what & P_BRX) && set_key(*b, TLS_RX, version, 0)))
		goto fail;
	return;
fail:
	perror("tls pair");
	exit(2);
}

/* Read @len bytes; returns how many came before an error or timeout. */
static size_t read_exact(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, buf + got, len - got, 0);

		if (n <= 0) {
			if (!n)
				errno = 0;
			break;
		}
		got += n;
	}
	return got;
}

/* @b must read exactly @len bytes of the pattern from stream offset @off. */
static void expect_stream(struct tally *t, int b, size_t off, size_t len)
{
	size_t got = read_exact(b, rxbuf, len);
	long bad;

	if (got < len) {
		violation(t, "the peer got %zu of the %zu bytes sent from offset %zu (%s)",
			  got, len, off, errno ? ename(errno) : "EOF");
		return;
	}
	bad = mismatch(rxbuf, len, off);
	if (bad >= 0)
		violation(t, "the peer's byte %ld is wrong", bad);
}

/* "END!" from @a must be what @b reads next: the stream is in step. */
static void marker(struct tally *t, int a, int b)
{
	unsigned char buf[4];
	ssize_t n = send(a, "END!", 4, 0);
	size_t got;

	if (n != 4) {
		violation(t, "a send without a fault then: %zd (%s)", n,
			  ename(errno));
		return;
	}
	got = read_exact(b, buf, 4);
	if (got < 4)
		violation(t, "a read without a fault then: %zu bytes (%s)",
			  got, errno ? ename(errno) : "EOF");
	else if (memcmp(buf, "END!", 4))
		violation(t, "extra data: a later read got %02x%02x%02x%02x, not END!",
			  buf[0], buf[1], buf[2], buf[3]);
}

/* Wait until TCP holds @want bytes for @fd. */
static bool wait_inq(int fd, int want)
{
	int i, n = 0;

	for (i = 0; i < 3000; i++) {
		if (!ioctl(fd, SIOCINQ, &n) && n >= want)
			return true;
		usleep(1000);
	}
	return false;
}

/* ---- setsockopt -------------------------------------------------------- */

struct key_case {
	int version;
	int opt;
};

/* TLS_TX or TLS_RX on a fresh socket: then a record must go through. */
static bool step_key(struct tally *t, const void *arg)
{
	const struct key_case *c = arg;
	bool tx = c->opt == TLS_TX, hit;
	int a, b, fd;
	long r;

	tls_pair(c->version, P_ULP | (tx ? P_BRX : P_ATX), &a, &b);
	fd = tx ? a : b;
	r = INJECT(t->n, &hit, set_key(fd, c->opt, c->version, 0));
	classify(t, hit, r, 0, errno);
	if (r && set_key(fd, c->opt, c->version, 0))
		violation(t, "the key again, without a fault: %s", ename(errno));
	else
		marker(t, a, b);
	close(a);
	close(b);
	return hit;
}

/* TCP_ULP on a fresh socket: then keys, then a record must go through. */
static bool step_ulp(struct tally *t, const void *arg)
{
	const int v = *(const int *)arg;
	bool hit;
	int a, b;
	long r;

	tls_pair(v, 0, &a, &b);
	r = INJECT(t->n, &hit, set_ulp(a));
	classify(t, hit, r, 0, errno);
	if (r && set_ulp(a))
		violation(t, "TCP_ULP again, without a fault: %s", ename(errno));
	else if (set_ulp(b) || set_key(a, TLS_TX, v, 0) ||
		 set_key(b, TLS_RX, v, 0))
		violation(t, "keys afterwards: %s", ename(errno));
	else
		marker(t, a, b);
	close(a);
	close(b);
	return hit;
}

/*
 * TLS 1.3 KeyUpdate: the sender sends one and installs its next key, the
 * receiver reads it and installs the same. The fault hits one of the two.
 */
static bool step_rekey(struct tally *t, const void *arg)
{
	bool tx = *(const int *)arg == TLS_TX, hit = false;
	const int v = TLS_1_3_VERSION;
	unsigned char type, buf[16];
	int a, b, fd;
	long r;

	tls_pair(v, P_ULP | P_ATX | P_BRX, &a, &b);
	fd = tx ? a : b;
	if (send_type(a, REC_HANDSHAKE, key_update, sizeof(key_update)) !=
	    sizeof(key_update) || (!tx && set_key(a, TLS_TX, v, 1))) {
		perror("KeyUpdate");
		exit(2);
	}
	if (!tx && recv_type(b, buf, sizeof(buf), 0, &type) != sizeof(key_update)) {
		perror("KeyUpdate");
		exit(2);
	}
	r = INJECT(t->n, &hit, set_key(fd, tx ? TLS_TX : TLS_RX, v, 1));
	classify(t, hit, r, 0, errno);
	if (r && set_key(fd, tx ? TLS_TX : TLS_RX, v, 1)) {
		violation(t, "the new key again, without a fault: %s",
			  ename(errno));
		goto out;
	}
	if (tx) {
		r = recv_type(b, buf, sizeof(buf), 0, &type);
		if (r != sizeof(key_update) || type != REC_HANDSHAKE ||
		    memcmp(buf, key_update, r)) {
			violation(t, "the peer read %ld bytes of type %d (%s), not the KeyUpdate",
				  r, type, r < 0 ? ename(errno) : "no error");
			goto out;
		}
		if (set_key(b, TLS_RX, v, 1)) {
			violation(t, "the peer's new key: %s", ename(errno));
			goto out;
		}
	}
	marker(t, a, b);
out:
	close(a);
	close(b);
	return hit;
}

/* ---- send -------------------------------------------------------------- */

struct io_case {
	int version;
	int nrec;		/* sends before the read (recv) */
	size_t len;		/* bytes per send */
	int flags;		/* recv flags */
};

/*
 * What send() reported is what the peer gets, once the rest is sent
 * without a fault: nothing lost, nothing twice, nothing stuck. When the
 * socket fails for good instead, the peer still gets what was reported.
 */
static bool step_send(struct tally *t, const void *arg)
{
	const struct io_case *c = arg;
	unsigned char extra;
	size_t sent;
	bool hit;
	int a, b;
	long r;

	tls_pair(c->version, P_ULP | P_ATX | P_BRX, &a, &b);
	r = INJECT(t->n, &hit, send(a, txbuf, c->len, 0));
	if (hit && r < 0 && errno == EBADMSG) {
		snprintf(t->said, sizeof(t->said), "-1 EBADMSG");
		t->count[ENDED]++;
	} else {
		classify(t, hit, r, c->len, errno);
	}
	sent = r > 0 ? r : 0;
	while (sent < c->len) {
		r = send(a, txbuf + sent, c->len - sent, 0);
		if (r <= 0)
			break;
		sent += r;
	}
	if (sent == c->len) {
		expect_stream(t, b, 0, sent);
		marker(t, a, b);
		goto out;
	}
	/* The stream ended (see the top): what was reported must arrive. */
	if (errno != EBADMSG)
		violation(t, "the rest (%zu of %zu sent), without a fault: %ld (%s)",
			  sent, c->len, r, ename(errno));
	expect_stream(t, b, 0, sent);
	r = recv(b, &extra, 1, MSG_DONTWAIT);
	if (r > 0)
		violation(t, "the peer got more than the %zu bytes sent", sent);
out:
	close(a);
	close(b);
	return hit;
}

/* ---- recv -------------------------------------------------------------- */

/*
 * Records wait whole in TCP; the read with the fault returns data or
 * ENOMEM, and reads without one return the rest of it, nothing skipped.
 */
static bool step_recv(struct tally *t, const void *arg)
{
	const struct io_case *c = arg;
	size_t total = c->nrec * c->len, off = 0;
	int ovh = c->version == TLS_1_3_VERSION ? 5 + 1 + 16 : 5 + 8 + 16;
	int recs = c->nrec * ((c->len + REC_MAX - 1) / REC_MAX);
	bool hit = false;
	int a, b, i;
	long r, bad;

	tls_pair(c->version, P_ULP | P_ATX | P_BRX, &a, &b);
	for (i = 0; i < c->nrec; i++)
		if (send(a, txbuf + i * c->len, c->len, 0) != (ssize_t)c->len) {
			perror("send");
			exit(2);
		}
	if (!wait_inq(b, total + recs * ovh)) {
		violation(t, "the records never all arrived");
		goto out;
	}
	r = INJECT(t->n, &hit, recv(b, rxbuf, sizeof(rxbuf), c->flags));
	classify(t, hit, r, 1, errno);
	if (r > (long)total) {
		violation(t, "more bytes than were sent");
		goto out;
	}
	if (r > 0) {
		bad = mismatch(rxbuf, r, 0);
		if (bad >= 0)
			violation(t, "byte %ld is wrong", bad);
		if (!(c->flags & MSG_PEEK))
			off = r;
	}
	expect_stream(t, b, off, total - off);
	marker(t, a, b);
out:
	close(a);
	close(b);
	return hit;
}

/* ---- main -------------------------------------------------------------- */

static const char *vname(int version)
{
	return version == TLS_1_3_VERSION ? "TLS 1.3" : "TLS 1.2";
}

int main(void)
{
	static const int versions[] = { TLS_1_2_VERSION, TLS_1_3_VERSION };
	static const int tx = TLS_TX, rx = TLS_RX;
	long curr_tx, curr_rx;
	char what[96];
	size_t i;
	int v;

	if (!failslab_setup()) {
		printf("1..0 # SKIP no fail-nth or failslab (%s)\n",
		       ename(errno));
		return 0;
	}
	for (i = 0; i < BIG; i++)
		txbuf[i] = pattern(i);
	curr_tx = stat_of("TlsCurrTxSw");
	curr_rx = stat_of("TlsCurrRxSw");

	run("setsockopt(TCP_ULP)", false, step_ulp, &versions[1]);
	for (v = 0; v < 2; v++) {
		struct key_case kt = { versions[v], TLS_TX };
		struct key_case kr = { versions[v], TLS_RX };

		snprintf(what, sizeof(what), "setsockopt(TLS_TX), %s",
			 vname(versions[v]));
		run(what, false, step_key, &kt);
		snprintf(what, sizeof(what), "setsockopt(TLS_RX), %s",
			 vname(versions[v]));
		run(what, false, step_key, &kr);
	}
	run("setsockopt(TLS_TX), TLS 1.3 rekey", false, step_rekey, &tx);
	run("setsockopt(TLS_RX), TLS 1.3 rekey", false, step_rekey, &rx);

	for (v = 0; v < 2; v++) {
		struct io_case s1 = { versions[v], 1, SMALL, 0 };
		struct io_case s2 = { versions[v], 1, BIG, 0 };
		struct io_case r1 = { versions[v], 1, SMALL, 0 };
		struct io_case r4 = { versions[v], 4, SMALL, 0 };
		struct io_case rp = { versions[v], 4, SMALL, MSG_PEEK };
		struct io_case rb = { versions[v], 1, BIG, 0 };
		const char *n = vname(versions[v]);

		snprintf(what, sizeof(what), "send %d bytes, %s", SMALL, n);
		run(what, true, step_send, &s1);
		snprintf(what, sizeof(what), "send %d bytes, %s", BIG, n);
		run(what, true, step_send, &s2);
		snprintf(what, sizeof(what), "recv, 1 record of %d bytes, %s",
			 SMALL, n);
		run(what, true, step_recv, &r1);
		snprintf(what, sizeof(what), "recv, 4 records of %d bytes, %s",
			 SMALL, n);
		run(what, true, step_recv, &r4);
		snprintf(what, sizeof(what),
			 "recv MSG_PEEK, 4 records of %d bytes, %s", SMALL, n);
		run(what, true, step_recv, &rp);
		snprintf(what, sizeof(what), "recv, %d bytes in 3 records, %s",
			 BIG, n);
		run(what, true, step_recv, &rb);
	}

	tap_check(stat_of("TlsCurrTxSw") == curr_tx &&
		  stat_of("TlsCurrRxSw") == curr_rx,
		  "TlsCurrTxSw, TlsCurrRxSw back to %ld, %ld (now %ld, %ld)",
		  curr_tx, curr_rx, stat_of("TlsCurrTxSw"),
		  stat_of("TlsCurrRxSw"));
	write_file(FAILSLAB "ignore-gfp-wait", "Y");
	return tap_done();
}
