// SPDX-License-Identifier: GPL-2.0
/*
 * Cross-implementation transfers: one end of a loopback connection sends
 * through ULP argv[1], the other receives through ULP argv[2] (e.g. ctls
 * loaded as "ctls" sending, stock "tls" receiving), for every cipher both
 * kernels have and both TLS versions, with sendmsg, MSG_MORE, sendfile,
 * splice and record-type cmsgs. Every byte is compared. Prints TAP.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "tap.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

/*
 * argv: TX ULP, RX ULP, then "big" to run only the 64 MiB transfers, or a
 * cipher name to run only that cipher's.
 */
static const char *tx_ulp = "ctls", *rx_ulp = "tls";

struct cipher {
	const char *name;
	int type;
	size_t len;
};

static const struct cipher ciphers[] = {
	{ "AES-GCM-128", TLS_CIPHER_AES_GCM_128,
	  sizeof(struct tls12_crypto_info_aes_gcm_128) },
	{ "AES-GCM-256", TLS_CIPHER_AES_GCM_256,
	  sizeof(struct tls12_crypto_info_aes_gcm_256) },
	{ "AES-CCM-128", TLS_CIPHER_AES_CCM_128,
	  sizeof(struct tls12_crypto_info_aes_ccm_128) },
	{ "CHACHA20-POLY1305", TLS_CIPHER_CHACHA20_POLY1305,
	  sizeof(struct tls12_crypto_info_chacha20_poly1305) },
};

/* Keys: every byte of the struct after the header is @seed + its offset. */
static void crypto_info(const struct cipher *c, int version, int seed,
			unsigned char *buf)
{
	struct tls_crypto_info *ci = (void *)buf;
	size_t i;

	for (i = sizeof(*ci); i < c->len; i++)
		buf[i] = seed + i;
	ci->version = version;
	ci->cipher_type = c->type;
}

/* A connection whose @tx end sends through tx_ulp, @rx receives through rx_ulp. */
static int tls_pair(const struct cipher *c, int version, int *tx, int *rx)
{
	unsigned char ci[64] = {};

	tcp_pair(AF_INET, tx, rx);
	crypto_info(c, version, 7, ci);
	if (setsockopt(*tx, IPPROTO_TCP, TCP_ULP, tx_ulp, strlen(tx_ulp)) ||
	    setsockopt(*rx, IPPROTO_TCP, TCP_ULP, rx_ulp, strlen(rx_ulp)) ||
	    setsockopt(*tx, SOL_TLS, TLS_TX, ci, c->len) ||
	    setsockopt(*rx, SOL_TLS, TLS_RX, ci, c->len)) {
		int e = errno;

		close(*tx);
		close(*rx);
		errno = e;
		return -1;
	}
	return 0;
}

static unsigned char pattern(size_t i)
{
	return (i * 7 + (i >> 11)) & 0xff;
}

struct reader {
	int fd;
	size_t want;
	size_t got;
	int bad;
};

static void *reader(void *arg)
{
	struct reader *r = arg;
	static __thread unsigned char buf[65536];

	while (r->got < r->want) {
		ssize_t n = recv(r->fd, buf, sizeof(buf), 0);
		ssize_t i;

		if (n <= 0) {
			if (n < 0)
				printf("# reader: %s after %zu bytes\n",
				       strerror(errno), r->got);
			break;
		}
		for (i = 0; i < n; i++)
			r->bad += buf[i] != pattern(r->got + i);
		r->got += n;
	}
	return NULL;
}

enum mode { SENDMSG, MORE, SENDFILE, SPLICE, MIXED, MIXED_CLOSE };
static const char *mode_name[] = {
	"send", "MSG_MORE", "sendfile", "splice",
	"splice+send+sendfile", "splice+send+sendfile, more, then close",
};

static unsigned char *source(size_t len)
{
	unsigned char *p = malloc(len ? len : 1);
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern(i);
	return p;
}

static int send_all(int fd, const unsigned char *p, size_t len, int flags)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, p + off, len - off, flags);

		if (n <= 0)
			return -1;
		off += n;
	}
	return 0;
}

/* Random chunks, all but the last with MSG_MORE. */
static int send_more(int fd, const unsigned char *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		size_t n = 1 + random() % 20000;

		if (n > len - off)
			n = len - off;
		if (send_all(fd, p + off, n, off + n < len ? MSG_MORE : 0))
			return -1;
		off += n;
	}
	return 0;
}

/* An unlinked temporary file holding @p: its fd, or -1. */
static int file_of(const unsigned char *p, size_t len)
{
	char path[] = "/tmp/xtls.XXXXXX";
	int f = mkstemp(path);

	if (f < 0)
		return -1;
	unlink(path);
	if (write(f, p, len) != (ssize_t)len) {
		close(f);
		return -1;
	}
	return f;
}

/* Bytes [@from, @to) of file @f through sendfile() into @fd. */
static int sendfile_range(int fd, int f, off_t from, off_t to)
{
	while (from < to)
		if (sendfile(fd, f, &from, to - from) <= 0)
			return -1;
	return 0;
}

static int send_file(int fd, const unsigned char *p, size_t len)
{
	int f = file_of(p, len), ret;

	if (f < 0)
		return -1;
	ret = sendfile_range(fd, f, 0, len);
	close(f);
	return ret;
}

/* @len (at most a pipe's 64 KiB) bytes through the pipe into @fd. */
static int splice_chunk(int fd, int pipefd[2], const unsigned char *p,
			size_t len, unsigned int flags)
{
	ssize_t w = write(pipefd[1], p, len);

	if (w != (ssize_t)len)
		return -1;
	while (w > 0) {
		ssize_t s = splice(pipefd[0], NULL, fd, NULL, w, flags);

		if (s <= 0)
			return -1;
		w -= s;
	}
	return 0;
}

static int send_splice(int fd, const unsigned char *p, size_t len)
{
	size_t off = 0;
	int pipefd[2], ret = 0;

	if (pipe(pipefd))
		return -1;
	while (!ret && off < len) {
		size_t n = len - off < 65536 ? len - off : 65536;

		ret = splice_chunk(fd, pipefd, p + off, n, 0);
		off += n;
	}
	close(pipefd[0]);
	close(pipefd[1]);
	return ret;
}

/*
 * Random chunks through splice (SPLICE_F_MORE), send (MSG_MORE) and
 * sendfile in turn: on 6.1, spliced pages are held by reference and must
 * come out in order with the bytes around them. The last chunk goes
 * without "more" unless @keep_open: then close() must send it (ctls does;
 * upstream drops a record still open at close).
 */
static int send_mixed(int fd, const unsigned char *p, size_t len,
		      int keep_open)
{
	int f = file_of(p, len), pipefd[2], turn = 0, ret = 0;
	size_t off = 0;

	if (f < 0 || pipe(pipefd))
		return -1;
	while (!ret && off < len) {
		size_t n = 1 + random() % 40000;
		int more;

		if (n > len - off)
			n = len - off;
		more = off + n < len || keep_open;
		/* What close() must send: spliced pages (held, on 6.1). */
		if (keep_open && off + n == len)
			turn = 0;
		switch (turn++ % 3) {
		case 0:
			ret = splice_chunk(fd, pipefd, p + off, n,
					   more ? SPLICE_F_MORE : 0);
			break;
		case 1:
			ret = send_all(fd, p + off, n, more ? MSG_MORE : 0);
			break;
		default:
			ret = sendfile_range(fd, f, off, off + n);
			break;
		}
		off += n;
	}
	close(f);
	close(pipefd[0]);
	close(pipefd[1]);
	return ret;
}

static void transfer(const struct cipher *c, int version, enum mode m,
		     size_t len)
{
	const char *v = version == TLS_1_3_VERSION ? "1.3" : "1.2";
	struct reader r = { .want = len };
	unsigned char *p = source(len);
	struct timespec t0, t1;
	pthread_t th;
	int tx, err;

	if (tls_pair(c, version, &tx, &r.fd)) {
		tap_check(0, "%s TLS %s: keys refused (%s)", c->name, v,
			  strerror(errno));
		free(p);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&th, NULL, reader, &r);
	switch (m) {
	case SENDMSG:
		err = send_all(tx, p, len, 0);
		break;
	case MORE:
		err = send_more(tx, p, len);
		break;
	case SENDFILE:
		err = send_file(tx, p, len);
		break;
	case SPLICE:
		err = send_splice(tx, p, len);
		break;
	default:
		err = send_mixed(tx, p, len, m == MIXED_CLOSE);
		break;
	}
	if (err)
		shutdown(r.fd, SHUT_RD);
	if (m == MIXED_CLOSE) {
		/*
		 * Close sends what is open without waiting for TCP (as TCP's
		 * own close does not wait): let the reader drain TCP first.
		 */
		int queued = 1, tries = 0;

		while (!err && queued && tries++ < 1000 &&
		       !ioctl(tx, SIOCOUTQ, &queued) && queued)
			usleep(10000);
		close(tx);
		tx = -1;
	}
	pthread_join(th, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	tap_check(!err && r.got == len && !r.bad,
		  "%s -> %s, %s TLS %s, %s %zu bytes: got %zu, %d bad (%.1f s)",
		  tx_ulp, rx_ulp, c->name, v, mode_name[m], len, r.got, r.bad,
		  t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (tx >= 0)
		close(tx);
	close(r.fd);
	free(p);
}

/* A non-data record goes alone, with its type, through cmsgs both ways. */
static void record_type(const struct cipher *c, int version)
{
	char cbuf[CMSG_SPACE(1)] = {}, rbuf[CMSG_SPACE(1)] = {}, data[16];
	struct iovec iov = { .iov_base = "alert", .iov_len = 5 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int tx, rx, ok;
	ssize_t n;

	if (tls_pair(c, version, &tx, &rx))
		return;
	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(cm) = 21;
	send(tx, "data", 4, MSG_MORE);
	ok = sendmsg(tx, &msg, 0) == 5;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = data;
	iov.iov_len = sizeof(data);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = rbuf;
	msg.msg_controllen = sizeof(rbuf);
	n = recvmsg(rx, &msg, 0);
	cm = CMSG_FIRSTHDR(&msg);
	ok &= n == 4 && !memcmp(data, "data", 4) && cm &&
	      *CMSG_DATA(cm) == 23;
	msg.msg_controllen = sizeof(rbuf);
	n = recvmsg(rx, &msg, 0);
	cm = CMSG_FIRSTHDR(&msg);
	ok &= n == 5 && !memcmp(data, "alert", 5) && cm &&
	      *CMSG_DATA(cm) == 21;
	tap_check(ok, "%s -> %s, %s TLS %s: open data record pushed, then an alert record with its type",
		  tx_ulp, rx_ulp, c->name, version == TLS_1_3_VERSION ? "1.3" : "1.2");
	close(tx);
	close(rx);
}

struct blocked {
	int fd;
	int err;
	size_t sent;
};

/* Send 1 MiB at a time until a send fails. */
static void *send_until_error(void *arg)
{
	struct blocked *b = arg;
	size_t len = 1 << 20;
	unsigned char *p = source(len);
	ssize_t n;

	while ((n = send(b->fd, p, len, MSG_NOSIGNAL)) > 0)
		b->sent += n;
	b->err = n ? errno : 0;
	free(p);
	return NULL;
}

static int reset_errno(int err)
{
	return err == ECONNRESET || err == EPIPE;
}

/*
 * The reader resets the connection (SO_LINGER 0) in the middle of a
 * record, with the sender blocked on a full TCP and records queued at
 * both ends: the sender's send fails with ECONNRESET or EPIPE, and so does
 * the next one; no splat, and on the debug kernel nothing leaks. Stock
 * tls.ko as the sender is only required to fail once: it takes about
 * 50 MiB of 1 MiB sends here before one fails with EPIPE (ctls: 2.5 MiB,
 * what the two TCP buffers hold), and on TLS 1.3 and ChaCha20 the send
 * after that succeeds. ctls fails every send once the peer has reset.
 */
static void reset_case(const struct cipher *c, int version)
{
	struct timeval tmo = { .tv_sec = 10 };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct blocked b = {};
	unsigned char buf[1000];
	int tx, rx, again_err;
	pthread_t th;
	ssize_t n;

	if (tls_pair(c, version, &tx, &rx))
		return;
	setsockopt(tx, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	b.fd = tx;
	pthread_create(&th, NULL, send_until_error, &b);
	n = recv(rx, buf, sizeof(buf), MSG_WAITALL);
	usleep(300000);
	setsockopt(rx, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(rx);
	pthread_join(th, NULL);
	again_err = send(tx, "x", 1, MSG_NOSIGNAL) < 0 ? errno : 0;
	tap_check(n == sizeof(buf) && reset_errno(b.err) &&
		  (reset_errno(again_err) || !strcmp(tx_ulp, "tls")),
		  "%s -> %s, %s TLS %s: reader resets mid-record: send fails with %s after %zu bytes, then %s",
		  tx_ulp, rx_ulp, c->name,
		  version == TLS_1_3_VERSION ? "1.3" : "1.2",
		  b.err ? strerror(b.err) : "nothing", b.sent,
		  again_err ? strerror(again_err) : "success");
	close(tx);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 0, 1, 16383, 16384, 16385, 1 << 20 };
	unsigned int i, j, k;
	int v;

	if (argc > 2) {
		tx_ulp = argv[1];
		rx_ulp = argv[2];
	}
	srandom(1);
	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		if (argc > 3 && strcmp(argv[3], ciphers[i].name))
			continue;
		for (v = TLS_1_2_VERSION; v <= TLS_1_3_VERSION; v++) {
			for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
				transfer(&ciphers[i], v, SENDMSG, sizes[j]);
			for (k = MORE; k <= MIXED; k++)
				transfer(&ciphers[i], v, k, 300001 + k);
			/* Upstream drops what is open at close. */
			if (!strcmp(tx_ulp, "ctls"))
				transfer(&ciphers[i], v, MIXED_CLOSE, 300007);
			record_type(&ciphers[i], v);
			reset_case(&ciphers[i], v);
		}
	}
	if (argc > 3 && strcmp(argv[3], "big"))
		return tap_done();
	transfer(&ciphers[0], TLS_1_2_VERSION, SENDFILE, 64 << 20);
	transfer(&ciphers[0], TLS_1_3_VERSION, SENDMSG, 64 << 20);
	return tap_done();
}
