// SPDX-License-Identifier: GPL-2.0
/*
 * bench: what kernel TLS costs over loopback, ctls against stock tls.ko,
 * plain TCP and userspace OpenSSL (libssl, same cipher, same loopback), in
 * one run. Time is CLOCK_MONOTONIC, CPU time is CLOCK_THREAD_CPUTIME_ID of
 * the sending and the receiving thread, and all CPUs' busy time from
 * /proc/stat. Under QEMU -icount the clock counts guest instructions, so
 * the figures repeat from run to run whatever the host is doing.
 * /proc/stat counts in ticks (10 ms), so its figure in BENCHSUM is the sum
 * over all samples, divided by all their bytes.
 *
 * For every version, cipher and mode each implementation runs once as a
 * discarded warm-up, then REPS rounds alternate the implementations. One
 * "BENCH" line per sample, one "BENCHSUM" line per implementation: the
 * median, min, max and standard deviation (% of the mean) of the mode's
 * figure (MBps, 1 MB = 10^6 bytes, or round trips per second) and the
 * medians of the CPU costs, in ns per payload byte.
 *
 *   bulk_tx      16 KiB send()s; the receiver reads raw TCP and discards
 *   bulk_txrx    the same, the receiver decrypts (kTLS RX, SSL_read())
 *   sendfile     sendfile() of a tmpfs file to a raw receiver (OpenSSL:
 *                pread() and SSL_write() of 16 KiB)
 *   sendfile_zc  the same with TLS_TX_ZEROCOPY_RO set (kernel TLS only)
 *   bulk_rx      records sent beforehand by stock tls's TX (OpenSSL's: by
 *                SSL_write()) replayed over plain TCP to a receiver that
 *                decrypts them: the decrypting end's cost alone
 *   rr64, rr1k, rr4k  request/response round trips, TLS at both ends
 *   afalg_enc, afalg_dec  16 KiB AES-GCM requests through AF_ALG
 *                "gcm(aes)": the crypto ceiling (no TLS version)
 *
 * Usage: bench [-r REPS] [-b BULK_BYTES] [-f FILE_BYTES] [-a AFALG_BYTES]
 *              [-n ROUND_TRIPS] [-m MODES] [-i IMPLS] [-V VERSIONS]
 *              [-c CIPHERS] [-u CTLS_ULP]
 * Lists are comma-separated names as printed; sizes take a K, M or G
 * suffix. Defaults: 5 reps, 32M, 32M, 32M, 2000 round trips, everything,
 * ctls's ULP name "ctls" (stock tls.ko is "tls").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_alg.h>
#include <linux/tls.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define REC 16384		/* bytes per send(), SSL_write(), AF_ALG request */
#define MAX_REPS 50
#define AAD_LEN 13
#define TAG_LEN 16

enum impl { I_CTLS, I_TLS, I_TCP, I_OSSL, NR_IMPL };
static const char *const impl_name[NR_IMPL] = { "ctls", "tls", "tcp",
						 "openssl" };
static const char *ulp_name[NR_IMPL] = { "ctls", "tls" };

enum mode {
	M_BULK_TX, M_BULK_TXRX, M_SENDFILE, M_SENDFILE_ZC, M_BULK_RX,
	M_RR64, M_RR1K, M_RR4K, M_AFALG_ENC, M_AFALG_DEC, NR_MODE
};

#define ALL_IMPLS ((1 << NR_IMPL) - 1)
#define KTLS_IMPLS ((1 << I_CTLS) | (1 << I_TLS))

struct mode_desc {
	const char *name;
	size_t size;		/* bytes per call or per message */
	unsigned int impls;	/* which implementations it applies to */
};

static const struct mode_desc modes[NR_MODE] = {
	[M_BULK_TX] = { "bulk_tx", REC, ALL_IMPLS },
	[M_BULK_TXRX] = { "bulk_txrx", REC, ALL_IMPLS },
	[M_SENDFILE] = { "sendfile", REC, ALL_IMPLS },
	[M_SENDFILE_ZC] = { "sendfile_zc", REC, KTLS_IMPLS },
	[M_BULK_RX] = { "bulk_rx", REC, ALL_IMPLS },
	[M_RR64] = { "rr64", 64, ALL_IMPLS },
	[M_RR1K] = { "rr1k", 1024, ALL_IMPLS },
	[M_RR4K] = { "rr4k", 4096, ALL_IMPLS },
	[M_AFALG_ENC] = { "afalg_enc", REC, 1 << I_TLS },
	[M_AFALG_DEC] = { "afalg_dec", REC, 1 << I_TLS },
};

struct cipher {
	const char *name;
	int type;
	int key_len;
	const char *ossl12, *ossl13;	/* OpenSSL's names for the suite */
};

static const struct cipher ciphers[] = {
	{ "aes128gcm", TLS_CIPHER_AES_GCM_128, 16,
	  "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256" },
	{ "aes256gcm", TLS_CIPHER_AES_GCM_256, 32,
	  "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384" },
};

#define NR_CIPHERS ((int)(sizeof(ciphers) / sizeof(ciphers[0])))

static struct {
	int reps;
	size_t bulk, file, afalg;
	long rts;
	const char *modes, *impls, *vers, *ciphers;
} opt = { 5, 32 << 20, 32 << 20, 32 << 20, 2000, NULL, NULL, NULL, NULL };

/* One end of a connection: a socket, and OpenSSL's state when it has one. */
struct end {
	int fd;
	SSL *ssl;
};

struct conn {
	struct end a;		/* connected: the sender, the client */
	struct end b;		/* accepted: the receiver, the server */
};

/* The directions of a connection that kernel TLS handles. */
#define A_TX 1
#define B_RX 2
#define B_TX 4
#define A_RX 8
#define SEED_AB 7		/* key material of a -> b */
#define SEED_BA 91		/* key material of b -> a */

/* TLS records read off the wire, to be replayed to a decrypting receiver. */
struct capture {
	unsigned char *buf;
	size_t len, cap;
};

struct run {
	enum mode mode;
	enum impl impl;
	int ver;
	const struct cipher *c;
	struct conn cn;
	size_t total;		/* payload bytes, or round trips */
	size_t size;		/* bytes per call */
	const struct capture *replay;
	int (*tx)(struct run *r);
	int (*rx)(struct run *r);
	double rx_cpu;
	int rx_err;
	pthread_barrier_t go;
};

struct sample {
	double ns;		/* CLOCK_MONOTONIC */
	double bytes;		/* payload moved, both directions */
	double rts;		/* round trips */
	double tx_cpu, rx_cpu;	/* ns, CLOCK_THREAD_CPUTIME_ID */
	double all_cpu;		/* ns, busy time of all CPUs (/proc/stat) */
};

static unsigned char payload[REC];
static int file_fd = -1;
static SSL_CTX *sctx, *cctx;
static struct capture kcap, ocap;

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/*
 * The calling thread's CPU time: the sum getrusage(RUSAGE_THREAD) reports,
 * but brought up to date first (getrusage() returns it as of the thread's
 * last tick or context switch, which can be the whole of a short run).
 */
static double thread_cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* Busy time of all CPUs: user, nice, system, irq, softirq and steal. */
static double stat_busy_ns(void)
{
	unsigned long long v[8] = {};
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 7)
		return 0;
	return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * 1e9 /
	       sysconf(_SC_CLK_TCK);
}

static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (!list)
		return 1;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (!p[n] || p[n] == ','))
			return 1;
		p += n;
	}
	return 0;
}

static int end_write(struct end *e, const void *p, size_t len)
{
	while (len) {
		ssize_t n;

		if (e->ssl)
			n = SSL_write(e->ssl, p, len);
		else
			n = send(e->fd, p, len, 0);
		if (n <= 0)
			return -1;
		p = (const char *)p + n;
		len -= n;
	}
	return 0;
}

static ssize_t end_read(struct end *e, void *p, size_t len)
{
	if (e->ssl) {
		int n = SSL_read(e->ssl, p, len);

		return n > 0 ? n : -1;
	}
	return recv(e->fd, p, len, 0);
}

static int read_full(struct end *e, void *p, size_t len)
{
	while (len) {
		ssize_t n = end_read(e, p, len);

		if (n <= 0)
			return -1;
		p = (char *)p + n;
		len -= n;
	}
	return 0;
}

/* Key material: every byte after the header is @seed plus its offset. */
static int ktls_key(int fd, int dir, int ver, const struct cipher *c,
		    int seed)
{
	unsigned char buf[64] = {};
	struct tls_crypto_info *ci = (void *)buf;
	/* info, iv (8), key, salt (4), rec_seq (8) */
	size_t i, len = sizeof(*ci) + 8 + c->key_len + 4 + 8;

	for (i = sizeof(*ci); i < len; i++)
		buf[i] = seed + i;
	ci->version = ver;
	ci->cipher_type = c->type;
	return setsockopt(fd, SOL_TLS, dir, buf, len);
}

static int ktls_end(int fd, const char *ulp, int ver, const struct cipher *c,
		    int tx_seed, int rx_seed)
{
	if (!tx_seed && !rx_seed)
		return 0;
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp)))
		return -1;
	if (tx_seed && ktls_key(fd, TLS_TX, ver, c, tx_seed))
		return -1;
	if (rx_seed && ktls_key(fd, TLS_RX, ver, c, rx_seed))
		return -1;
	return 0;
}

/* A key pair and a self-signed certificate, made here; contexts for both ends. */
static int ossl_init(void)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	int ok;

	sctx = SSL_CTX_new(TLS_server_method());
	cctx = SSL_CTX_new(TLS_client_method());
	if (!pk || !x || !sctx || !cctx)
		return -1;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pk);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)"ctls-bench", -1, -1,
				   0);
	X509_set_issuer_name(x, n);
	ok = X509_sign(x, pk, EVP_sha256()) &&
	     SSL_CTX_use_certificate(sctx, x) == 1 &&
	     SSL_CTX_use_PrivateKey(sctx, pk) == 1;
	X509_free(x);
	EVP_PKEY_free(pk);
	/* No tickets after the handshake: only records follow it. */
	SSL_CTX_set_num_tickets(sctx, 0);
	/* Userspace crypto only, even where libssl could hand keys to kTLS. */
	SSL_CTX_clear_options(sctx, SSL_OP_ENABLE_KTLS);
	SSL_CTX_clear_options(cctx, SSL_OP_ENABLE_KTLS);
	return ok ? 0 : -1;
}

static SSL *ossl_new(SSL_CTX *ctx, int fd, int ver, const struct cipher *c)
{
	int v = ver == TLS_1_3_VERSION ? TLS1_3_VERSION : TLS1_2_VERSION;
	SSL *s = SSL_new(ctx);

	if (!s)
		return NULL;
	if (!SSL_set_min_proto_version(s, v) ||
	    !SSL_set_max_proto_version(s, v) ||
	    !SSL_set_cipher_list(s, c->ossl12) ||
	    !SSL_set_ciphersuites(s, c->ossl13) || !SSL_set_fd(s, fd)) {
		SSL_free(s);
		return NULL;
	}
	return s;
}

static void *ossl_accept(void *arg)
{
	return (void *)(long)SSL_accept(arg);
}

/* Handshake: the server end in a thread, the client here. */
static int ossl_pair(struct conn *cn, int ver, const struct cipher *c)
{
	pthread_t th;
	void *srv;
	int cli;

	cn->a.ssl = ossl_new(cctx, cn->a.fd, ver, c);
	cn->b.ssl = ossl_new(sctx, cn->b.fd, ver, c);
	if (!cn->a.ssl || !cn->b.ssl ||
	    pthread_create(&th, NULL, ossl_accept, cn->b.ssl))
		return -1;
	cli = SSL_connect(cn->a.ssl);
	if (cli != 1)
		shutdown(cn->a.fd, SHUT_RDWR);
	pthread_join(th, &srv);
	if (cli != 1 || (long)srv != 1) {
		ERR_print_errors_fp(stdout);
		return -1;
	}
	return 0;
}

static void conn_close(struct conn *cn)
{
	SSL_free(cn->a.ssl);
	SSL_free(cn->b.ssl);
	if (cn->a.fd >= 0)
		close(cn->a.fd);
	if (cn->b.fd >= 0)
		close(cn->b.fd);
	memset(cn, 0, sizeof(*cn));
	cn->a.fd = -1;
	cn->b.fd = -1;
}

static int conn_open(struct conn *cn, enum impl im, int ver,
		     const struct cipher *c, int dirs, int nodelay)
{
	int one = 1;

	memset(cn, 0, sizeof(*cn));
	tcp_pair(AF_INET, &cn->a.fd, &cn->b.fd);
	if (cn->b.fd < 0)
		return -1;
	if (nodelay &&
	    (setsockopt(cn->a.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	     setsockopt(cn->b.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))))
		return -1;
	if (im == I_OSSL)
		return ossl_pair(cn, ver, c);
	if (im == I_TCP)
		return 0;
	if (ktls_end(cn->a.fd, ulp_name[im], ver, c,
		     dirs & A_TX ? SEED_AB : 0, dirs & A_RX ? SEED_BA : 0) ||
	    ktls_end(cn->b.fd, ulp_name[im], ver, c,
		     dirs & B_TX ? SEED_BA : 0, dirs & B_RX ? SEED_AB : 0))
		return -1;
	return 0;
}

/* Senders: in the main thread. */

static int tx_bulk(struct run *r)
{
	size_t off;

	for (off = 0; off < r->total; off += r->size)
		if (end_write(&r->cn.a, payload, r->size))
			return -1;
	return 0;
}

/* What a userspace TLS server does with a file: read it, SSL_write() it. */
static int tx_file_ossl(struct run *r)
{
	static unsigned char buf[REC];
	size_t off;

	for (off = 0; off < r->total; off += r->size)
		if (pread(file_fd, buf, r->size, off) != (ssize_t)r->size ||
		    end_write(&r->cn.a, buf, r->size))
			return -1;
	return 0;
}

static int tx_sendfile(struct run *r)
{
	off_t off = 0;

	if (r->impl == I_OSSL)
		return tx_file_ossl(r);
	while (off < (off_t)r->total)
		if (sendfile(r->cn.a.fd, file_fd, &off, r->total - off) <= 0)
			return -1;
	return 0;
}

static int tx_replay(struct run *r)
{
	struct end raw = { .fd = r->cn.a.fd };

	return end_write(&raw, r->replay->buf, r->replay->len);
}

static int tx_rr(struct run *r)
{
	static unsigned char buf[REC];
	size_t i;

	for (i = 0; i < r->total; i++)
		if (end_write(&r->cn.a, payload, r->size) ||
		    read_full(&r->cn.a, buf, r->size))
			return -1;
	return 0;
}

/* Receivers: in their own thread. */

static __thread unsigned char rbuf[4 * REC];

/* Raw TCP until the sender's FIN, whatever the sender's layer. */
static int rx_raw(struct run *r)
{
	ssize_t n;

	while ((n = recv(r->cn.b.fd, rbuf, sizeof(rbuf), 0)) > 0)
		;
	return n;
}

static int rx_read(struct run *r)
{
	size_t got = 0;

	while (got < r->total) {
		ssize_t n = end_read(&r->cn.b, rbuf, sizeof(rbuf));

		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

static int rx_rr(struct run *r)
{
	size_t i;

	for (i = 0; i < r->total; i++)
		if (read_full(&r->cn.b, rbuf, r->size) ||
		    end_write(&r->cn.b, payload, r->size))
			return -1;
	return 0;
}

static void *rx_main(void *arg)
{
	struct run *r = arg;
	double c0;

	pthread_barrier_wait(&r->go);
	c0 = thread_cpu_ns();
	r->rx_err = r->rx(r);
	r->rx_cpu = thread_cpu_ns() - c0;
	if (r->rx_err) {
		/* Reset the connection so that a blocked sender fails too. */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(r->cn.b.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(r->cn.b.fd);
		r->cn.b.fd = -1;
	}
	return NULL;
}

/* Run r->tx here and r->rx in a thread, from a common start. */
static int timed(struct run *r, struct sample *s)
{
	double stat0, t0, c0;
	pthread_t th;
	int err;

	pthread_barrier_init(&r->go, NULL, 2);
	stat0 = stat_busy_ns();
	if (pthread_create(&th, NULL, rx_main, r)) {
		pthread_barrier_destroy(&r->go);
		return -1;
	}
	pthread_barrier_wait(&r->go);
	t0 = now_ns();
	c0 = thread_cpu_ns();
	err = r->tx(r);
	/* End of stream for raw receivers, or an error for any. */
	shutdown(r->cn.a.fd, SHUT_WR);
	s->tx_cpu = thread_cpu_ns() - c0;
	pthread_join(th, NULL);
	s->ns = now_ns() - t0;
	s->all_cpu = stat_busy_ns() - stat0;
	s->rx_cpu = r->rx_cpu;
	pthread_barrier_destroy(&r->go);
	return err || r->rx_err ? -1 : 0;
}

static void *feed_main(void *arg)
{
	struct run *r = arg;

	r->rx_err = tx_bulk(r);
	shutdown(r->cn.a.fd, SHUT_WR);
	return NULL;
}

/* Send r->total bytes from a to b, keeping what b reads off the wire. */
static int feed(struct run *r, struct capture *cp)
{
	pthread_t th;
	ssize_t n = 1;

	if (pthread_create(&th, NULL, feed_main, r))
		return -1;
	cp->len = 0;
	while (n > 0 && cp->len < cp->cap) {
		n = recv(r->cn.b.fd, cp->buf + cp->len, cp->cap - cp->len, 0);
		if (n > 0)
			cp->len += n;
	}
	pthread_join(th, NULL);
	return n || r->rx_err ? -1 : 0;
}

static int capture_alloc(struct capture *cp, size_t total)
{
	/* Room for every record's header and tag, with margin. */
	cp->cap = total + total / REC * 64 + 65536;
	cp->buf = malloc(cp->cap);
	return cp->buf ? 0 : -1;
}

/* TLS records of @total bytes, sent by stock tls (or ctls), into kcap. */
static int ktls_capture(int ver, const struct cipher *c, enum impl im)
{
	struct run r = { .impl = im, .ver = ver, .c = c, .total = opt.bulk,
			 .size = REC };
	int err;

	if (conn_open(&r.cn, im, ver, c, A_TX, 0)) {
		conn_close(&r.cn);
		return -1;
	}
	err = feed(&r, &kcap);
	conn_close(&r.cn);
	return err;
}

/*
 * OpenSSL's records can only be read by the SSL object that did the
 * handshake: capture them from a fresh connection, then move the server's
 * SSL object onto a second TCP connection the records are replayed on.
 */
static int ossl_capture(struct run *r)
{
	struct run feeder = *r;
	int c, s;

	if (conn_open(&feeder.cn, I_OSSL, r->ver, r->c, 0, 0) ||
	    feed(&feeder, &ocap)) {
		conn_close(&feeder.cn);
		return -1;
	}
	tcp_pair(AF_INET, &c, &s);
	SSL_set_fd(feeder.cn.b.ssl, s);
	close(feeder.cn.b.fd);
	feeder.cn.b.fd = s;
	SSL_free(feeder.cn.a.ssl);
	close(feeder.cn.a.fd);
	r->cn.a.ssl = NULL;
	r->cn.a.fd = c;
	r->cn.b = feeder.cn.b;
	r->replay = &ocap;
	return 0;
}

static int run_setup(struct run *r)
{
	static const int dirs[NR_MODE] = {
		[M_BULK_TX] = A_TX, [M_BULK_TXRX] = A_TX | B_RX,
		[M_SENDFILE] = A_TX, [M_SENDFILE_ZC] = A_TX,
		[M_BULK_RX] = B_RX, [M_RR64] = A_TX | B_RX | B_TX | A_RX,
		[M_RR1K] = A_TX | B_RX | B_TX | A_RX,
		[M_RR4K] = A_TX | B_RX | B_TX | A_RX,
	};
	int rr = r->mode >= M_RR64, one = 1;

	r->size = modes[r->mode].size;
	r->total = rr ? (size_t)opt.rts :
		   r->mode == M_SENDFILE || r->mode == M_SENDFILE_ZC ?
		   opt.file : opt.bulk;
	r->tx = rr ? tx_rr : r->mode == M_BULK_RX ? tx_replay :
		r->mode == M_SENDFILE || r->mode == M_SENDFILE_ZC ?
		tx_sendfile : tx_bulk;
	r->rx = rr ? rx_rr : r->mode == M_BULK_TXRX || r->mode == M_BULK_RX ?
		rx_read : rx_raw;
	if (r->impl == I_TCP && !rr)
		r->rx = rx_raw;
	r->replay = &kcap;
	if (r->impl == I_OSSL && r->mode == M_BULK_RX)
		return ossl_capture(r);
	if (conn_open(&r->cn, r->impl, r->ver, r->c, dirs[r->mode], rr))
		return -1;
	if (r->mode == M_SENDFILE_ZC &&
	    setsockopt(r->cn.a.fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, &one,
		       sizeof(one)))
		return -1;
	return 0;
}

static int afalg_open(const struct cipher *c)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "aead",
				   .salg_name = "gcm(aes)" };
	unsigned char key[32];
	int tfm, op = -1;

	memset(key, 0x5a, sizeof(key));
	tfm = socket(AF_ALG, SOCK_SEQPACKET, 0);
	if (tfm < 0)
		return -1;
	if (!bind(tfm, (void *)&sa, sizeof(sa)) &&
	    !setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, c->key_len) &&
	    !setsockopt(tfm, SOL_ALG, ALG_SET_AEAD_AUTHSIZE, NULL, TAG_LEN))
		op = accept(tfm, NULL, 0);
	close(tfm);
	return op;
}

/* One AEAD request: AAD_LEN bytes of AAD, then the text (and tag). */
static int afalg_req(int op, int enc, const void *in, size_t in_len,
		     void *out, size_t out_len)
{
	char cbuf[CMSG_SPACE(4) + CMSG_SPACE(sizeof(struct af_alg_iv) + 12) +
		  CMSG_SPACE(4)] = {};
	struct iovec iov = { .iov_base = (void *)in, .iov_len = in_len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	struct af_alg_iv *iv;

	cm->cmsg_level = SOL_ALG;
	cm->cmsg_type = ALG_SET_OP;
	cm->cmsg_len = CMSG_LEN(4);
	*(__u32 *)CMSG_DATA(cm) = enc ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
	cm = CMSG_NXTHDR(&msg, cm);
	cm->cmsg_level = SOL_ALG;
	cm->cmsg_type = ALG_SET_IV;
	cm->cmsg_len = CMSG_LEN(sizeof(*iv) + 12);
	iv = (void *)CMSG_DATA(cm);
	iv->ivlen = 12;
	memset(iv->iv, 3, 12);
	cm = CMSG_NXTHDR(&msg, cm);
	cm->cmsg_level = SOL_ALG;
	cm->cmsg_type = ALG_SET_AEAD_ASSOCLEN;
	cm->cmsg_len = CMSG_LEN(4);
	*(__u32 *)CMSG_DATA(cm) = AAD_LEN;
	if (sendmsg(op, &msg, 0) != (ssize_t)in_len)
		return -1;
	return read(op, out, out_len) == (ssize_t)out_len ? 0 : -1;
}

/* Encrypt or decrypt opt.afalg bytes in REC-byte requests. */
static int afalg_run(const struct cipher *c, int enc, struct sample *s)
{
	static unsigned char plain[AAD_LEN + REC];
	static unsigned char sealed[AAD_LEN + REC + TAG_LEN];
	static unsigned char out[AAD_LEN + REC + TAG_LEN];
	int op = afalg_open(c), err = op < 0;
	size_t done;
	double t0, c0;

	memcpy(plain + AAD_LEN, payload, REC);
	/* Something that authenticates, for decryption. */
	if (!err)
		err = afalg_req(op, 1, plain, sizeof(plain), sealed,
				sizeof(sealed));
	t0 = now_ns();
	c0 = thread_cpu_ns();
	s->all_cpu = stat_busy_ns();
	for (done = 0; !err && done < opt.afalg; done += REC)
		err = enc ? afalg_req(op, 1, plain, sizeof(plain), out,
				      sizeof(sealed)) :
			    afalg_req(op, 0, sealed, sizeof(sealed), out,
				      sizeof(plain));
	s->all_cpu = stat_busy_ns() - s->all_cpu;
	s->tx_cpu = thread_cpu_ns() - c0;
	s->ns = now_ns() - t0;
	s->rx_cpu = 0;
	s->bytes = opt.afalg;
	if (op >= 0)
		close(op);
	return err ? -1 : 0;
}

static int sample(enum mode m, enum impl im, int ver, const struct cipher *c,
		  struct sample *s)
{
	struct run r = { .mode = m, .impl = im, .ver = ver, .c = c };
	int err;

	memset(s, 0, sizeof(*s));
	if (m == M_AFALG_ENC || m == M_AFALG_DEC)
		return afalg_run(c, m == M_AFALG_ENC, s);
	r.cn.a.fd = -1;
	r.cn.b.fd = -1;
	err = run_setup(&r) || timed(&r, s);
	conn_close(&r.cn);
	if (m >= M_RR64) {
		s->rts = r.total;
		s->bytes = 2.0 * r.total * r.size;
	} else {
		s->bytes = r.total;
	}
	return err ? -1 : 0;
}

static const char *ver_name(int ver)
{
	return ver == TLS_1_3_VERSION ? "1.3" : ver == TLS_1_2_VERSION ?
	       "1.2" : "-";
}

static void print_key(const char *tag, enum mode m, enum impl im, int ver,
		      const struct cipher *c)
{
	printf("%s mode=%s impl=%s ver=%s cipher=%s size=%zu", tag,
	       modes[m].name, m >= M_AFALG_ENC ? "afalg" : impl_name[im],
	       ver_name(ver), c->name, modes[m].size);
}

static double mbps(const struct sample *s)
{
	return s->bytes / s->ns * 1e3;
}

static double tps(const struct sample *s)
{
	return s->rts / s->ns * 1e9;
}

static void print_sample(enum mode m, enum impl im, int ver,
			 const struct cipher *c, int rep,
			 const struct sample *s)
{
	print_key("BENCH", m, im, ver, c);
	printf(" rep=%d bytes=%.0f ns=%.0f MBps=%.2f tps=%.1f cpu_ns_per_byte=%.3f tx_cpu_ns_per_byte=%.3f rx_cpu_ns_per_byte=%.3f stat_ns_per_byte=%.3f\n",
	       rep, s->bytes, s->ns, mbps(s), tps(s),
	       (s->tx_cpu + s->rx_cpu) / s->bytes, s->tx_cpu / s->bytes,
	       s->rx_cpu / s->bytes, s->all_cpu / s->bytes);
	fflush(stdout);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median of f() over @n samples. */
static double med_of(const struct sample *s, int n,
		     double (*f)(const struct sample *s))
{
	double v[MAX_REPS];
	int i;

	for (i = 0; i < n; i++)
		v[i] = f(&s[i]);
	return median(v, n);
}

static double cpu_pb(const struct sample *s)
{
	return (s->tx_cpu + s->rx_cpu) / s->bytes;
}

static double tx_pb(const struct sample *s)
{
	return s->tx_cpu / s->bytes;
}

static double rx_pb(const struct sample *s)
{
	return s->rx_cpu / s->bytes;
}

/* /proc/stat's ticks are coarse: all samples' busy time over all bytes. */
static double stat_all(const struct sample *s, int n)
{
	double busy = 0, bytes = 0;
	int i;

	for (i = 0; i < n; i++) {
		busy += s[i].all_cpu;
		bytes += s[i].bytes;
	}
	return busy / bytes;
}

static void print_summary(enum mode m, enum impl im, int ver,
			  const struct cipher *c, const struct sample *s,
			  int n)
{
	double (*fig)(const struct sample *s) = m >= M_RR64 &&
						 m <= M_RR4K ? tps : mbps;
	double v[MAX_REPS], mean = 0, var = 0, med;
	int i;

	print_key("BENCHSUM", m, im, ver, c);
	if (!n) {
		printf(" n=0 error=1\n");
		return;
	}
	for (i = 0; i < n; i++) {
		v[i] = fig(&s[i]);
		mean += v[i] / n;
	}
	for (i = 0; i < n; i++)
		var += (v[i] - mean) * (v[i] - mean) / n;
	med = median(v, n);	/* sorts v */
	printf(" n=%d metric=%s value=%.2f min=%.2f max=%.2f sd_pct=%.2f MBps=%.2f tps=%.1f cpu_ns_per_byte=%.3f tx_cpu_ns_per_byte=%.3f rx_cpu_ns_per_byte=%.3f stat_ns_per_byte=%.3f\n",
	       n, fig == tps ? "tps" : "MBps", med, v[0], v[n - 1],
	       100 * sqrt(var) / mean, med_of(s, n, mbps), med_of(s, n, tps),
	       med_of(s, n, cpu_pb), med_of(s, n, tx_pb), med_of(s, n, rx_pb),
	       stat_all(s, n));
	fflush(stdout);
}

static int wanted(enum mode m, enum impl im)
{
	return (modes[m].impls & (1 << im)) &&
	       (m >= M_AFALG_ENC || listed(opt.impls, impl_name[im]));
}

/* One warm-up, then opt.reps rounds alternating the implementations. */
static int group(enum mode m, int ver, const struct cipher *c)
{
	static struct sample s[NR_IMPL][MAX_REPS];
	int ok[NR_IMPL] = {}, n[NR_IMPL] = {}, rep, i, bad = 0;

	for (rep = -1; rep < opt.reps; rep++) {
		for (i = 0; i < NR_IMPL; i++) {
			if (!wanted(m, i) || (rep >= 0 && !ok[i]))
				continue;
			ok[i] = !sample(m, i, ver, c, &s[i][n[i]]);
			if (!ok[i]) {
				print_key("# failed:", m, i, ver, c);
				printf(" rep=%d (%s)\n", rep, strerror(errno));
				bad = 1;
			} else if (rep >= 0) {
				print_sample(m, i, ver, c, rep, &s[i][n[i]++]);
			}
		}
	}
	for (i = 0; i < NR_IMPL; i++)
		if (wanted(m, i))
			print_summary(m, i, ver, c, s[i], ok[i] ? n[i] : 0);
	return bad;
}

static size_t parse_size(const char *s)
{
	char *end;
	size_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G':
		v <<= 10;
		/* fall through */
	case 'M':
		v <<= 10;
		/* fall through */
	case 'K':
		v <<= 10;
	}
	/* Whole records. */
	return (v + REC - 1) / REC * REC;
}

static void parse_args(int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "r:b:f:a:n:m:i:V:c:u:")) != -1) {
		switch (ch) {
		case 'r':
			opt.reps = atoi(optarg);
			break;
		case 'b':
			opt.bulk = parse_size(optarg);
			break;
		case 'f':
			opt.file = parse_size(optarg);
			break;
		case 'a':
			opt.afalg = parse_size(optarg);
			break;
		case 'n':
			opt.rts = atol(optarg);
			break;
		case 'm':
			opt.modes = optarg;
			break;
		case 'i':
			opt.impls = optarg;
			break;
		case 'V':
			opt.vers = optarg;
			break;
		case 'c':
			opt.ciphers = optarg;
			break;
		case 'u':
			ulp_name[I_CTLS] = optarg;
			break;
		default:
			fprintf(stderr, "see the head of bench.c for usage\n");
			exit(2);
		}
	}
	if (opt.reps < 1 || opt.reps > MAX_REPS || opt.rts < 1) {
		fprintf(stderr, "bench: 1 to %d reps, 1 round trip or more\n",
			MAX_REPS);
		exit(2);
	}
}

/*
 * What a copy costs on this machine, for reading the figures: under QEMU
 * -icount every iteration of "rep movsb" counts as one instruction.
 */
static void memcpy_cost(void)
{
	static unsigned char dst[REC];
	double t0 = now_ns();
	int i;

	for (i = 0; i < 1024; i++) {
		memcpy(dst, payload, REC);
		__asm__ volatile("" : : "r"(dst) : "memory");
	}
	printf("BENCHINFO memcpy_ns_per_byte=%.3f\n",
	       (now_ns() - t0) / (1024.0 * REC));
}

static int make_file(void)
{
	char path[] = "/tmp/bench.XXXXXX";
	size_t off;

	file_fd = mkstemp(path);
	if (file_fd < 0)
		return -1;
	unlink(path);
	for (off = 0; off < opt.file; off += REC)
		if (write(file_fd, payload, REC) != REC)
			return -1;
	return 0;
}

static int setup(void)
{
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < REC; i++)
		payload[i] = i * 7 + (i >> 11);
	if (make_file() || capture_alloc(&kcap, opt.bulk) ||
	    capture_alloc(&ocap, opt.bulk) || ossl_init()) {
		perror("bench: setup");
		ERR_print_errors_fp(stderr);
		return -1;
	}
	return 0;
}

/* The records bulk_rx replays, from stock tls's TX or else from ctls's. */
static int capture_for(int ver, const struct cipher *c)
{
	if (!ktls_capture(ver, c, I_TLS) || !ktls_capture(ver, c, I_CTLS))
		return 0;
	print_key("# failed:", M_BULK_RX, I_TLS, ver, c);
	printf(" capture (%s)\n", strerror(errno));
	return -1;
}

static int run_version(int ver)
{
	int ci, m, bad = 0;

	for (ci = 0; ci < NR_CIPHERS; ci++) {
		const struct cipher *c = &ciphers[ci];

		if (!listed(opt.ciphers, c->name))
			continue;
		for (m = 0; m < M_AFALG_ENC; m++) {
			if (!listed(opt.modes, modes[m].name))
				continue;
			if (m == M_BULK_RX && capture_for(ver, c)) {
				bad = 1;
				continue;
			}
			printf("# %s TLS %s %s\n", modes[m].name,
			       ver_name(ver), c->name);
			bad |= group(m, ver, c);
		}
	}
	return bad;
}

int main(int argc, char **argv)
{
	int ci, m, bad = 0;
	double t0 = now_ns();

	parse_args(argc, argv);
	if (setup())
		return 2;
	printf("# bench: %d reps after a warm-up; bulk %zu, file %zu, AF_ALG %zu bytes, %ld round trips\n",
	       opt.reps, opt.bulk, opt.file, opt.afalg, opt.rts);
	memcpy_cost();
	for (ci = 0; ci < NR_CIPHERS; ci++)
		for (m = M_AFALG_ENC; m < NR_MODE; m++)
			if (listed(opt.ciphers, ciphers[ci].name) &&
			    listed(opt.modes, modes[m].name))
				bad |= group(m, 0, &ciphers[ci]);
	if (listed(opt.vers, "1.2"))
		bad |= run_version(TLS_1_2_VERSION);
	if (listed(opt.vers, "1.3"))
		bad |= run_version(TLS_1_3_VERSION);
	printf("# bench: done in %.1f s (CLOCK_MONOTONIC), %s\n",
	       (now_ns() - t0) / 1e9, bad ? "with failures" : "no failures");
	return bad;
}
