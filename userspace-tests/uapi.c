// SPDX-License-Identifier: GPL-2.0
/*
 * uapi: every row of docs/uapi.md, the SOL_TLS errno table, as a TAP test.
 *
 *   ./uapi [ULP_NAME]      (default "tls")
 *
 * Each case opens its own loopback TCP pair, attaches the named ULP to one
 * end and checks what a setsockopt/getsockopt returns. The TAP description
 * starts with the row id of docs/uapi.md. Rows whose answer depends on the
 * kernel series pick it from uname -r (6.1.x or 6.12.x).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_alg.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tap.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef TLS_TX_ZEROCOPY_RO
#define TLS_TX_ZEROCOPY_RO 3
#endif
#ifndef TLS_TX_MAX_PAYLOAD_LEN	/* 6.19; its diag attribute came with it */
#define TLS_TX_MAX_PAYLOAD_LEN 5
#define TLS_INFO_TX_MAX_PAYLOAD_LEN (TLS_INFO_RX_NO_PAD + 1)
#endif
#ifndef TLS_RX_EXPECT_NO_PAD
#define TLS_RX_EXPECT_NO_PAD 4
#endif

#define TLS12 TLS_1_2_VERSION
#define TLS13 TLS_1_3_VERSION

/* An address no process can read or write: the kernel's copy must fault. */
#define BADPTR ((void *)8)

static const char *ulp = "tls";
static int k612;	/* running a 6.12 kernel (else 6.1) */
static int k7;		/* running a 7.x kernel (k612 too) */
/* TLS_TX_MAX_PAYLOAD_LEN: upstream's from 6.19 (7.x here), ctls's on all. */
static int has_max;

/* The expected errno of a row that differs between the two series. */
#define BY_KERNEL(e61, e612) (k612 ? (e612) : (e61))
/*
 * ... and of one that 7.x changed: its getsockopt(SOL_TLS) reads optlen
 * first (sockopt_init_user()): EFAULT if it cannot, EINVAL if negative.
 */
#define BY_K7(e6, e7) (k7 ? (e7) : (e6))

/* ---- expectations ------------------------------------------------------ */

/* @ret must be 0 if @want is 0, else -1 with errno @want. */
static void expect(int ret, int want, const char *fmt, ...)
{
	int err = errno;
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (want) {
		errno = err;
		tap_errno(ret, want, what);
	} else {
		tap_check(ret == 0, "%s: want success, got %d (%s)", what, ret,
			  ret < 0 ? strerrorname_np(err) : "success");
	}
}

/* ---- sockets ----------------------------------------------------------- */

struct conn {
	int fd;		/* the end that gets the ULP */
	int peer;
};

static void bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(2);
}

static socklen_t loopback(int family, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (void *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		return sizeof(*a);
	} else {
		struct sockaddr_in *a = (void *)ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*a);
	}
}

/* A listening socket on an ephemeral loopback port; its address in @ss. */
static int listener(int family, struct sockaddr_storage *ss, socklen_t *len)
{
	int l = socket(family, SOCK_STREAM, 0);

	*len = loopback(family, ss);
	if (l < 0 || bind(l, (void *)ss, *len) || listen(l, 4) ||
	    getsockname(l, (void *)ss, len))
		bail("listen");
	return l;
}

static struct conn tcp_pair(int family)
{
	struct sockaddr_storage ss;
	struct conn p;
	socklen_t len;
	int l = listener(family, &ss, &len);

	p.fd = socket(family, SOCK_STREAM, 0);
	if (p.fd < 0 || connect(p.fd, (void *)&ss, len))
		bail("connect");
	p.peer = accept(l, NULL, NULL);
	if (p.peer < 0)
		bail("accept");
	close(l);
	return p;
}

static int attach(int fd)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp));
}

/* A connected IPv4 pair with the ULP on .fd. */
static struct conn tls_conn(void)
{
	struct conn p = tcp_pair(AF_INET);

	if (attach(p.fd))
		bail("attaching the ULP");
	return p;
}

static void conn_close(struct conn *p)
{
	close(p->fd);
	close(p->peer);
}

/* ---- crypto_info ------------------------------------------------------- */

union key {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes_gcm_128;
	struct tls12_crypto_info_aes_gcm_256 aes_gcm_256;
	struct tls12_crypto_info_aes_ccm_128 aes_ccm_128;
	struct tls12_crypto_info_chacha20_poly1305 chacha20_poly1305;
	struct tls12_crypto_info_sm4_gcm sm4_gcm;
	struct tls12_crypto_info_sm4_ccm sm4_ccm;
	struct tls12_crypto_info_aria_gcm_128 aria_gcm_128;
	struct tls12_crypto_info_aria_gcm_256 aria_gcm_256;
	unsigned char raw[128];
};

struct cipher {
	const char *name;
	unsigned short type;
	int tls13;		/* accepted with TLS 1.3 */
	const char *aead;	/* what tls_set_sw_offload allocates */
};

static const struct cipher ciphers[] = {
	{ "AES-GCM-128", TLS_CIPHER_AES_GCM_128, 1, "gcm(aes)" },
	{ "AES-GCM-256", TLS_CIPHER_AES_GCM_256, 1, "gcm(aes)" },
	{ "AES-CCM-128", TLS_CIPHER_AES_CCM_128, 1, "ccm(aes)" },
	{ "CHACHA20-POLY1305", TLS_CIPHER_CHACHA20_POLY1305, 1,
	  "rfc7539(chacha20,poly1305)" },
	{ "SM4-GCM", TLS_CIPHER_SM4_GCM, 1, "gcm(sm4)" },
	{ "SM4-CCM", TLS_CIPHER_SM4_CCM, 1, "ccm(sm4)" },
	{ "ARIA-GCM-128", TLS_CIPHER_ARIA_GCM_128, 0, "gcm(aria)" },
	{ "ARIA-GCM-256", TLS_CIPHER_ARIA_GCM_256, 0, "gcm(aria)" },
};
#define NCIPHERS (sizeof(ciphers) / sizeof(ciphers[0]))
static const struct cipher *const GCM128 = &ciphers[0];

static void pattern(unsigned char *p, size_t n, unsigned char seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = seed + i;
}

/* Fill one real tls12_crypto_info_* struct; evaluates to its size. */
#define FILL(k)								\
	(pattern((k).iv, sizeof((k).iv), 0x20),				\
	 pattern((k).rec_seq, sizeof((k).rec_seq), 0x30),		\
	 pattern((k).key, sizeof((k).key), 0x40),			\
	 pattern((k).salt, sizeof((k).salt), 0x60),			\
	 (unsigned int)sizeof(k))

/* A valid crypto_info for @c at @version; returns its size. */
static unsigned int make_key(union key *k, const struct cipher *c,
			     unsigned short version)
{
	unsigned int len = 0;

	memset(k, 0, sizeof(*k));
	switch (c->type) {
	case TLS_CIPHER_AES_GCM_128:
		len = FILL(k->aes_gcm_128);
		break;
	case TLS_CIPHER_AES_GCM_256:
		len = FILL(k->aes_gcm_256);
		break;
	case TLS_CIPHER_AES_CCM_128:
		len = FILL(k->aes_ccm_128);
		break;
	case TLS_CIPHER_CHACHA20_POLY1305:
		len = FILL(k->chacha20_poly1305);
		break;
	case TLS_CIPHER_SM4_GCM:
		len = FILL(k->sm4_gcm);
		break;
	case TLS_CIPHER_SM4_CCM:
		len = FILL(k->sm4_ccm);
		break;
	case TLS_CIPHER_ARIA_GCM_128:
		len = FILL(k->aria_gcm_128);
		break;
	case TLS_CIPHER_ARIA_GCM_256:
		len = FILL(k->aria_gcm_256);
		break;
	}
	k->info.version = version;
	k->info.cipher_type = c->type;
	return len;
}

static const char *vname(unsigned short v)
{
	return v == TLS12 ? "TLS1.2" : v == TLS13 ? "TLS1.3" : "TLS?";
}

static const char *dname(int dir)
{
	return dir == TLS_TX ? "TLS_TX" : "TLS_RX";
}

static int other(int dir)
{
	return dir == TLS_TX ? TLS_RX : TLS_TX;
}

static int set_key(int fd, int dir, const struct cipher *c,
		   unsigned short version)
{
	union key k;
	unsigned int len = make_key(&k, c, version);

	return setsockopt(fd, SOL_TLS, dir, &k, len);
}

static int set_u32(int fd, int opt, unsigned int v, socklen_t len)
{
	unsigned char buf[64] = {};

	memcpy(buf, &v, sizeof(v));
	return setsockopt(fd, SOL_TLS, opt, buf, len);
}

/*
 * Debian's 7.x restricts AF_ALG to a short allowlist (ccm(aes) for bluez)
 * and answers ENOENT for everything else, by the sysctl
 * crypto.af_alg_restrict (1 by default; there once af_alg is loaded). The
 * guest is root: set it to @v, and return what it was (-1 if there is none).
 */
static int af_alg_restrict(int v)
{
	const char *path = "/proc/sys/crypto/af_alg_restrict";
	FILE *f = fopen(path, "r");
	int old = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &old) != 1)
		old = -1;
	fclose(f);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%d\n", v);
		fclose(f);
	}
	return old;
}

/*
 * What crypto_alloc_aead(@name, 0, 0) gives on this kernel, asked through
 * AF_ALG (algif_aead's bind makes the same call): 0 if the AEAD exists,
 * else its errno. Without AF_ALG, assume the Debian stock answer: the
 * algorithm is missing and the lookup fails with ENOENT.
 */
static int aead_errno(const char *name)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "aead" };
	int fd = socket(AF_ALG, SOCK_SEQPACKET, 0), rc, was;

	if (fd < 0)
		return ENOENT;
	was = af_alg_restrict(0);
	strncpy((char *)sa.salg_name, name, sizeof(sa.salg_name) - 1);
	rc = bind(fd, (void *)&sa, sizeof(sa)) ? errno : 0;
	close(fd);
	if (was > 0)
		af_alg_restrict(was);
	return rc;
}

/* ---- A: attaching the ULP ---------------------------------------------- */

static void wait_fin(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	poll(&p, 1, 2000);
}

static void test_attach(void)
{
	struct sockaddr_storage ss;
	char name[32] = "";
	socklen_t len;
	struct conn p;
	int fd, l;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	expect(attach(fd), ENOTCONN, "A1 TCP_ULP on an unconnected IPv4 socket");
	close(fd);

	fd = socket(AF_INET6, SOCK_STREAM, 0);
	expect(attach(fd), ENOTCONN, "A2 TCP_ULP on an unconnected IPv6 socket");
	close(fd);

	l = listener(AF_INET, &ss, &len);
	expect(attach(l), ENOTCONN, "A3 TCP_ULP on a listening socket");
	close(l);

	p = tcp_pair(AF_INET);
	close(p.peer);
	wait_fin(p.fd);
	expect(attach(p.fd), ENOTCONN,
	       "A4 TCP_ULP after the peer closed (CLOSE_WAIT)");
	close(p.fd);

	p = tcp_pair(AF_INET);
	expect(attach(p.fd), 0, "A5 TCP_ULP on an established IPv4 socket");
	len = sizeof(name);
	tap_check(getsockopt(p.fd, IPPROTO_TCP, TCP_ULP, name, &len) == 0 &&
		  !strcmp(name, ulp), "A5 TCP_ULP reads back \"%s\"", name);
	expect(attach(p.fd), EEXIST, "A6 TCP_ULP set twice");
	expect(setsockopt(p.fd, IPPROTO_TCP, TCP_ULP, "tls", 3), EEXIST,
	       "A6 TCP_ULP \"tls\" on a socket that has a ULP");
	conn_close(&p);

	p = tcp_pair(AF_INET);
	expect(setsockopt(p.fd, IPPROTO_TCP, TCP_ULP, "nosuchulp", 9), ENOENT,
	       "A7 TCP_ULP with an unknown ULP name");
	conn_close(&p);

	/* A refused attach leaves nothing behind. */
	l = listener(AF_INET, &ss, &len);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	expect(attach(fd), ENOTCONN, "A8 TCP_ULP before connect");
	if (connect(fd, (void *)&ss, len))
		bail("connect");
	expect(attach(fd), 0, "A8 ... then after connect");
	p.peer = accept(l, NULL, NULL);
	close(p.peer);
	close(fd);
	close(l);

	p = tcp_pair(AF_INET6);
	expect(attach(p.fd), 0, "A9 TCP_ULP on an established IPv6 socket");
	expect(set_key(p.fd, TLS_TX, GCM128, TLS12), 0,
	       "A9 IPv6: TLS_TX AES-GCM-128 keys");
	conn_close(&p);
}

/* ---- B: SOL_TLS on a TCP socket without the ULP ------------------------ */

static void test_no_ulp(void)
{
	const int fams[] = { AF_INET, AF_INET6 };

	for (int i = 0; i < 2; i++) {
		const char *f = fams[i] == AF_INET ? "IPv4" : "IPv6";
		struct conn p = tcp_pair(fams[i]);
		union key k;
		unsigned int len = make_key(&k, GCM128, TLS12);
		socklen_t glen = len;

		expect(setsockopt(p.fd, SOL_TLS, TLS_TX, &k, len), ENOPROTOOPT,
		       "B%d setsockopt SOL_TLS TLS_TX on plain TCP (%s)",
		       1 + 2 * i, f);
		expect(getsockopt(p.fd, SOL_TLS, TLS_TX, &k, &glen),
		       fams[i] == AF_INET ? EOPNOTSUPP : ENOPROTOOPT,
		       "B%d getsockopt SOL_TLS TLS_TX on plain TCP (%s)",
		       2 + 2 * i, f);
		conn_close(&p);
	}
}

/* ---- C: setsockopt TLS_TX/TLS_RX, bad crypto_info ---------------------- */

static void test_conf_bad_dir(int dir)
{
	const char *d = dname(dir);
	struct conn p = tls_conn();
	union key k;
	unsigned int len;

	len = make_key(&k, GCM128, TLS12);
	expect(setsockopt(p.fd, SOL_TLS, dir, NULL, len), EINVAL,
	       "C1 %s optval NULL", d);
	expect(setsockopt(p.fd, SOL_TLS, dir, NULL, 0), EINVAL,
	       "C1 %s optval NULL, optlen 0", d);
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, 0), EINVAL,
	       "C2 %s optlen 0", d);
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, 3), EINVAL,
	       "C3 %s optlen 3 (< sizeof(struct tls_crypto_info))", d);
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, 4), EINVAL,
	       "C4 %s optlen 4 (header only)", d);
	expect(setsockopt(p.fd, SOL_TLS, dir, BADPTR, len), EFAULT,
	       "C5 %s optval unreadable", d);

	k.info.version = 0;
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, len), EINVAL,
	       "C6 %s version 0", d);
	k.info.version = 0x0302;
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, len), EINVAL,
	       "C6 %s version 0x0302 (TLS 1.1)", d);
	k.info.version = 0x0305;
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, len), EINVAL,
	       "C6 %s version 0x0305", d);
	k.info.version = 0x0403;
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, len), EINVAL,
	       "C6 %s version 0x0403 (bytes swapped)", d);

	k.info.version = TLS12;
	k.info.cipher_type = 0;
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, len), EINVAL,
	       "C7 %s cipher_type 0", d);
	k.info.cipher_type = 50;
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, len), EINVAL,
	       "C7 %s cipher_type 50", d);
	k.info.cipher_type = 59;
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, len), EINVAL,
	       "C7 %s cipher_type 59", d);
	k.info.cipher_type = 0xffff;
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, len), EINVAL,
	       "C7 %s cipher_type 0xffff", d);

	for (unsigned int i = NCIPHERS - 2; i < NCIPHERS; i++) {
		len = make_key(&k, &ciphers[i], TLS13);
		expect(setsockopt(p.fd, SOL_TLS, dir, &k, len), EINVAL,
		       "C8 %s %s with TLS1.3", d, ciphers[i].name);
	}

	for (unsigned int i = 0; i < NCIPHERS; i++) {
		len = make_key(&k, &ciphers[i], TLS12);
		expect(setsockopt(p.fd, SOL_TLS, dir, &k, len - 1), EINVAL,
		       "C9 %s %s optlen %u (one short)", d, ciphers[i].name,
		       len - 1);
		expect(setsockopt(p.fd, SOL_TLS, dir, &k, len + 1), EINVAL,
		       "C9 %s %s optlen %u (one over)", d, ciphers[i].name,
		       len + 1);
	}
	len = make_key(&k, GCM128, TLS13);
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, len + 1), EINVAL,
	       "C9 %s AES-GCM-128 TLS1.3 optlen %u (one over)", d, len + 1);
	expect(setsockopt(p.fd, SOL_TLS, dir, &k,
			  sizeof(struct tls12_crypto_info_aes_gcm_256)),
	       EINVAL, "C10 %s AES-GCM-128 with AES-GCM-256's optlen", d);
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, 65536), EINVAL,
	       "C10 %s AES-GCM-128 optlen 65536", d);

	/* None of the above took: the direction is still free. */
	expect(set_key(p.fd, dir, GCM128, TLS12), 0,
	       "C11 %s valid keys after the rejected attempts", d);
	conn_close(&p);
}

/* The header is readable, the rest of the struct is not. */
static void test_conf_tail_fault(int dir)
{
	const char *d = dname(dir);
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *m;
	struct conn p;
	union key k;
	unsigned int len;

	m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + pg, pg, PROT_NONE))
		bail("mmap");
	len = make_key(&k, GCM128, TLS12);
	memcpy(m + pg - sizeof(k.info), &k.info, sizeof(k.info));

	p = tls_conn();
	expect(setsockopt(p.fd, SOL_TLS, dir, m + pg - sizeof(k.info), len),
	       EFAULT, "C12 %s key material unreadable (header readable)", d);
	expect(set_key(p.fd, dir, GCM128, TLS13), 0,
	       "C12 %s ... then TLS1.3 keys (nothing kept)", d);
	expect(set_key(p.fd, other(dir), GCM128, TLS13), 0,
	       "C12 ... and %s TLS1.3 keys", dname(other(dir)));
	conn_close(&p);
	munmap(m, 2 * pg);
}

/* ---- D: valid keys, every cipher --------------------------------------- */

static void test_valid_one(int dir, const struct cipher *c,
			   unsigned short ver, int want)
{
	const char *d = dname(dir);
	struct conn p = tls_conn();
	union key k, got;
	unsigned int len = make_key(&k, c, ver);
	socklen_t glen = len;
	int rc;

	rc = setsockopt(p.fd, SOL_TLS, dir, &k, len);
	expect(rc, want, "D1 %s %s %s keys", d, c->name, vname(ver));
	if (rc == 0) {
		memset(&got, 0xaa, sizeof(got));
		rc = getsockopt(p.fd, SOL_TLS, dir, &got, &glen);
		tap_check(rc == 0 && glen == len && !memcmp(&got, &k, len),
			  "D2 %s %s %s: getsockopt returns the struct as set",
			  d, c->name, vname(ver));
	} else {
		/* The failure left the direction free. */
		expect(set_key(p.fd, dir, GCM128, ver), 0,
		       "D3 %s AES-GCM-128 %s after the %s failure", d,
		       vname(ver), c->name);
	}
	conn_close(&p);
}

static void test_valid(void)
{
	for (unsigned int i = 0; i < NCIPHERS; i++) {
		const struct cipher *c = &ciphers[i];
		int want = aead_errno(c->aead);

		printf("# %s: crypto_alloc_aead(\"%s\") -> %s\n", c->name,
		       c->aead, want ? strerrorname_np(want) : "ok");
		for (int v = 0; v < 2; v++) {
			unsigned short ver = v ? TLS13 : TLS12;

			if (ver == TLS13 && !c->tls13)
				continue;
			test_valid_one(TLS_TX, c, ver, want);
			test_valid_one(TLS_RX, c, ver, want);
		}
	}
}

/* ---- E: both directions, and setting one twice ------------------------- */

static void test_twice(int dir)
{
	const char *d = dname(dir);
	struct conn p = tls_conn();
	union key k;
	unsigned int len = make_key(&k, GCM128, TLS12);

	expect(setsockopt(p.fd, SOL_TLS, dir, &k, len), 0, "E1 %s keys", d);
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, len), EBUSY,
	       "E1 %s keys again (same struct)", d);
	expect(set_key(p.fd, dir, ciphers + 3, TLS13), EBUSY,
	       "E1 %s keys again (other cipher and version)", d);
	expect(setsockopt(p.fd, SOL_TLS, dir, NULL, len), EINVAL,
	       "E2 %s again, optval NULL (checked before busy)", d);
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, 3), EINVAL,
	       "E2 %s again, optlen 3 (checked before busy)", d);
	k.info.version = 0x0302;
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, len), EBUSY,
	       "E3 %s again, bad version (busy checked first)", d);
	k.info.version = TLS12;
	expect(setsockopt(p.fd, SOL_TLS, dir, &k, len - 1), EBUSY,
	       "E3 %s again, wrong optlen (busy checked first)", d);
	expect(setsockopt(p.fd, SOL_TLS, dir, BADPTR, len), EBUSY,
	       "E3 %s again, optval unreadable (busy checked first)", d);
	conn_close(&p);
}

static void test_mismatch(int first)
{
	const char *d1 = dname(first), *d2 = dname(other(first));
	struct conn p = tls_conn();
	union key k;
	unsigned int len;

	expect(set_key(p.fd, first, GCM128, TLS12), 0,
	       "E4 %s AES-GCM-128 TLS1.2", d1);
	expect(set_key(p.fd, other(first), GCM128, TLS13), EINVAL,
	       "E5 then %s AES-GCM-128 TLS1.3 (version differs)", d2);
	expect(set_key(p.fd, other(first), ciphers + 1, TLS12), EINVAL,
	       "E6 then %s AES-GCM-256 TLS1.2 (cipher differs)", d2);
	expect(set_key(p.fd, other(first), ciphers + 2, TLS12), EINVAL,
	       "E6 then %s AES-CCM-128 TLS1.2 (cipher differs, same size)",
	       d2);
	expect(set_key(p.fd, other(first), ciphers + 6, TLS13), EINVAL,
	       "E6 then %s ARIA-GCM-128 TLS1.3", d2);
	len = make_key(&k, ciphers + 1, TLS12);
	expect(setsockopt(p.fd, SOL_TLS, other(first), &k, len - 1), EINVAL,
	       "E6 then %s AES-GCM-256 TLS1.2, one short", d2);
	expect(set_key(p.fd, other(first), GCM128, TLS12), 0,
	       "E7 then %s AES-GCM-128 TLS1.2 (matches)", d2);
	conn_close(&p);
}

/* ---- F/G: TLS_TX_ZEROCOPY_RO ------------------------------------------- */

static void test_zc_set(void)
{
	struct conn p = tls_conn();
	unsigned int v;
	socklen_t len;

	expect(setsockopt(p.fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, NULL, 4), EINVAL,
	       "F1 set TX_ZEROCOPY_RO optval NULL");
	expect(setsockopt(p.fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, NULL, 0), EINVAL,
	       "F1 set TX_ZEROCOPY_RO optval NULL, optlen 0");
	expect(set_u32(p.fd, TLS_TX_ZEROCOPY_RO, 1, 0), EINVAL,
	       "F2 set TX_ZEROCOPY_RO optlen 0");
	expect(set_u32(p.fd, TLS_TX_ZEROCOPY_RO, 1, 3), EINVAL,
	       "F2 set TX_ZEROCOPY_RO optlen 3");
	expect(set_u32(p.fd, TLS_TX_ZEROCOPY_RO, 1, 5), EINVAL,
	       "F2 set TX_ZEROCOPY_RO optlen 5");
	expect(set_u32(p.fd, TLS_TX_ZEROCOPY_RO, 1, 8), EINVAL,
	       "F2 set TX_ZEROCOPY_RO optlen 8");
	expect(set_u32(p.fd, TLS_TX_ZEROCOPY_RO, 2, 4), EINVAL,
	       "F3 set TX_ZEROCOPY_RO value 2");
	expect(set_u32(p.fd, TLS_TX_ZEROCOPY_RO, 0xffffffff, 4), EINVAL,
	       "F3 set TX_ZEROCOPY_RO value 0xffffffff");
	expect(setsockopt(p.fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, BADPTR, 4),
	       EFAULT, "F4 set TX_ZEROCOPY_RO optval unreadable");
	expect(set_u32(p.fd, TLS_TX_ZEROCOPY_RO, 1, 4), 0,
	       "F5 set TX_ZEROCOPY_RO 1 before any keys");
	expect(set_u32(p.fd, TLS_TX_ZEROCOPY_RO, 0, 4), 0,
	       "F5 set TX_ZEROCOPY_RO 0");
	expect(set_key(p.fd, TLS_TX, GCM128, TLS12), 0, "F6 TLS_TX keys");
	expect(set_u32(p.fd, TLS_TX_ZEROCOPY_RO, 1, 4), 0,
	       "F6 set TX_ZEROCOPY_RO 1 after TLS_TX keys");
	v = 7;
	len = sizeof(v);
	tap_check(getsockopt(p.fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, &v, &len) == 0 &&
		  v == 1 && len == 4, "F6 ... reads back 1 (got %u)", v);
	conn_close(&p);
}

static void test_zc_get(void)
{
	struct conn p = tls_conn();
	unsigned int v[2];
	socklen_t len;

	v[0] = 7;
	len = 4;
	tap_check(getsockopt(p.fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, v, &len) == 0 &&
		  v[0] == 0 && len == 4, "G1 get TX_ZEROCOPY_RO: 0 by default");
	len = 0;
	expect(getsockopt(p.fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, v, &len), EINVAL,
	       "G2 get TX_ZEROCOPY_RO optlen 0");
	len = 3;
	expect(getsockopt(p.fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, v, &len), EINVAL,
	       "G2 get TX_ZEROCOPY_RO optlen 3");
	len = 5;
	expect(getsockopt(p.fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, v, &len), EINVAL,
	       "G2 get TX_ZEROCOPY_RO optlen 5");
	len = 8;
	expect(getsockopt(p.fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, v, &len), EINVAL,
	       "G2 get TX_ZEROCOPY_RO optlen 8");
	len = (socklen_t)-1;
	expect(getsockopt(p.fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, v, &len), EINVAL,
	       "G2 get TX_ZEROCOPY_RO optlen -1");
	len = 4;
	expect(getsockopt(p.fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, NULL, &len),
	       EFAULT, "G3 get TX_ZEROCOPY_RO optval NULL");
	expect(getsockopt(p.fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, v, NULL), EFAULT,
	       "G3 get TX_ZEROCOPY_RO optlen pointer NULL");
	conn_close(&p);
}

/* ---- H/I: TLS_RX_EXPECT_NO_PAD ----------------------------------------- */

static void test_nopad_state(void)
{
	struct conn p;
	socklen_t len;
	int v, e;

	p = tls_conn();
	expect(set_u32(p.fd, TLS_RX_EXPECT_NO_PAD, 1, 4), EINVAL,
	       "H1 set RX_EXPECT_NO_PAD before any keys");
	expect(setsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, BADPTR, 4),
	       EINVAL, "H1 set RX_EXPECT_NO_PAD before keys, optval unreadable");
	len = 4;
	expect(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, &len),
	       EINVAL, "I1 get RX_EXPECT_NO_PAD before any keys");
	expect(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, NULL),
	       BY_K7(EINVAL, EFAULT),
	       "I1 get RX_EXPECT_NO_PAD before keys, optlen pointer NULL");
	conn_close(&p);

	p = tls_conn();
	expect(set_key(p.fd, TLS_RX, GCM128, TLS12), 0, "H2 TLS_RX TLS1.2 keys");
	expect(set_u32(p.fd, TLS_RX_EXPECT_NO_PAD, 1, 4), EINVAL,
	       "H2 set RX_EXPECT_NO_PAD on TLS1.2");
	expect(set_u32(p.fd, TLS_RX_EXPECT_NO_PAD, 0, 4), EINVAL,
	       "H2 set RX_EXPECT_NO_PAD 0 on TLS1.2");
	len = 4;
	expect(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, &len),
	       EINVAL, "I2 get RX_EXPECT_NO_PAD on TLS1.2");
	conn_close(&p);

	p = tls_conn();
	expect(set_key(p.fd, TLS_TX, GCM128, TLS13), 0, "H3 TLS_TX TLS1.3 keys");
	expect(set_u32(p.fd, TLS_RX_EXPECT_NO_PAD, 1, 4), EINVAL,
	       "H3 set RX_EXPECT_NO_PAD with only TLS_TX (TLS1.3) set");
	len = 4;
	expect(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, &len),
	       EINVAL, "I3 get RX_EXPECT_NO_PAD with only TLS_TX (TLS1.3) set");
	/* The version check reads the shared prot_info: now it passes. */
	expect(setsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, BADPTR, 4),
	       EFAULT, "H3 set RX_EXPECT_NO_PAD, only TLS_TX (TLS1.3), optval unreadable");
	expect(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, NULL),
	       EFAULT, "I3 get RX_EXPECT_NO_PAD, only TLS_TX (TLS1.3), optlen pointer NULL");
	conn_close(&p);

	/* A TLS1.3 attempt rejected by do_tls_setsockopt_conf leaves no trace. */
	p = tls_conn();
	{
		union key k;
		unsigned int n = make_key(&k, GCM128, TLS13);

		expect(setsockopt(p.fd, SOL_TLS, TLS_TX, &k, n + 1), EINVAL,
		       "H11 TLS_TX TLS1.3 keys, one over");
	}
	expect(setsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, BADPTR, 4),
	       EINVAL, "H11 ... set RX_EXPECT_NO_PAD, optval unreadable");
	expect(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, NULL),
	       BY_K7(EINVAL, EFAULT),
	       "H11 ... get RX_EXPECT_NO_PAD, optlen pointer NULL");
	conn_close(&p);

	/*
	 * One that fails in tls_set_sw_offload (no such AEAD) has already
	 * written the version into prot_info.
	 */
	e = aead_errno("gcm(sm4)");
	if (e == 0)
		return;
	p = tls_conn();
	expect(set_key(p.fd, TLS_TX, ciphers + 4, TLS13), e,
	       "H12 TLS_TX SM4-GCM TLS1.3 keys (no such AEAD)");
	expect(setsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, BADPTR, 4),
	       EFAULT, "H12 ... set RX_EXPECT_NO_PAD, optval unreadable");
	expect(set_u32(p.fd, TLS_RX_EXPECT_NO_PAD, 1, 4), EINVAL,
	       "H12 ... set RX_EXPECT_NO_PAD 1");
	expect(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, NULL),
	       EFAULT, "H12 ... get RX_EXPECT_NO_PAD, optlen pointer NULL");
	len = 4;
	expect(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, &len),
	       EINVAL, "H12 ... get RX_EXPECT_NO_PAD");
	conn_close(&p);
}

static void test_nopad_set(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char buf[64] = {}, *m;
	unsigned int one = 1;
	struct conn p = tls_conn();
	socklen_t len;
	int v;

	expect(set_key(p.fd, TLS_RX, GCM128, TLS13), 0, "H4 TLS_RX TLS1.3 keys");
	expect(setsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, NULL, 4), EINVAL,
	       "H4 set RX_EXPECT_NO_PAD optval NULL");
	expect(set_u32(p.fd, TLS_RX_EXPECT_NO_PAD, 1, 0), EINVAL,
	       "H5 set RX_EXPECT_NO_PAD optlen 0");
	expect(set_u32(p.fd, TLS_RX_EXPECT_NO_PAD, 1, 3), EINVAL,
	       "H5 set RX_EXPECT_NO_PAD optlen 3");
	expect(set_u32(p.fd, TLS_RX_EXPECT_NO_PAD, 2, 4), EINVAL,
	       "H6 set RX_EXPECT_NO_PAD value 2");
	expect(set_u32(p.fd, TLS_RX_EXPECT_NO_PAD, 0xffffffff, 4), EINVAL,
	       "H6 set RX_EXPECT_NO_PAD value 0xffffffff");
	memcpy(buf, &one, 4);
	buf[7] = 1;
	expect(setsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, buf, 8), EINVAL,
	       "H7 set RX_EXPECT_NO_PAD optlen 8, nonzero trailing byte");
	buf[0] = 2;
	expect(setsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, buf, 8), EINVAL,
	       "H7 set RX_EXPECT_NO_PAD value 2, nonzero trailing byte");
	expect(setsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, BADPTR, 4),
	       EFAULT, "H8 set RX_EXPECT_NO_PAD optval unreadable");

	m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + pg, pg, PROT_NONE))
		bail("mmap");
	memcpy(m + pg - 4, &one, 4);
	expect(setsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, m + pg - 4, 8),
	       EFAULT, "H8 set RX_EXPECT_NO_PAD optlen 8, tail unreadable");
	munmap(m, 2 * pg);

	expect(set_u32(p.fd, TLS_RX_EXPECT_NO_PAD, 1, 4), 0,
	       "H9 set RX_EXPECT_NO_PAD 1");
	v = 7;
	len = 4;
	tap_check(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, &len) == 0 &&
		  v == 1 && len == 4, "H9 ... reads back 1 (got %d)", v);
	expect(set_u32(p.fd, TLS_RX_EXPECT_NO_PAD, 0, 4), 0,
	       "H9 set RX_EXPECT_NO_PAD 0");
	v = 7;
	len = 4;
	tap_check(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v, &len) == 0 &&
		  v == 0 && len == 4, "H9 ... reads back 0 (got %d)", v);
	expect(set_u32(p.fd, TLS_RX_EXPECT_NO_PAD, 1, 8), 0,
	       "H10 set RX_EXPECT_NO_PAD 1, optlen 8, zero tail");
	expect(set_u32(p.fd, TLS_RX_EXPECT_NO_PAD, 1, 64), 0,
	       "H10 set RX_EXPECT_NO_PAD 1, optlen 64, zero tail");
	conn_close(&p);
}

static void test_nopad_get(void)
{
	struct conn p = tls_conn();
	socklen_t len;
	int v[4];

	expect(set_key(p.fd, TLS_RX, GCM128, TLS13), 0, "I4 TLS_RX TLS1.3 keys");
	v[0] = 7;
	len = 4;
	tap_check(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, v, &len) == 0 &&
		  v[0] == 0 && len == 4, "I4 get RX_EXPECT_NO_PAD: 0 by default");
	len = 0;
	expect(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, v, &len), EINVAL,
	       "I5 get RX_EXPECT_NO_PAD optlen 0");
	len = 3;
	expect(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, v, &len), EINVAL,
	       "I5 get RX_EXPECT_NO_PAD optlen 3");
	v[0] = 7;
	len = 16;
	tap_check(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, v, &len) == 0 &&
		  v[0] == 0 && len == 4,
		  "I6 get RX_EXPECT_NO_PAD optlen 16: ok, optlen becomes 4 (got %u)",
		  len);
	v[0] = 7;
	len = (socklen_t)-1;
	if (k7)
		expect(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, v, &len),
		       EINVAL, "I7 get RX_EXPECT_NO_PAD optlen -1 (7.x)");
	else
		tap_check(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, v, &len) == 0 &&
			  v[0] == 0 && len == 4,
			  "I7 get RX_EXPECT_NO_PAD optlen -1: ok (unsigned compare), optlen becomes 4 (got %d)",
			  (int)len);
	expect(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, v, NULL), EFAULT,
	       "I8 get RX_EXPECT_NO_PAD optlen pointer NULL");
	len = 4;
	expect(getsockopt(p.fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, NULL, &len),
	       EFAULT, "I8 get RX_EXPECT_NO_PAD optval NULL");
	conn_close(&p);
}

/* ---- J: getsockopt TLS_TX/TLS_RX --------------------------------------- */

static void test_get_conf_unset(int dir)
{
	const char *d = dname(dir);
	struct conn p = tls_conn();
	union key k;
	socklen_t len;

	len = sizeof(struct tls12_crypto_info_aes_gcm_128);
	expect(getsockopt(p.fd, SOL_TLS, dir, &k, &len), EBUSY,
	       "J1 get %s before keys, full struct", d);
	len = 4;
	expect(getsockopt(p.fd, SOL_TLS, dir, &k, &len), EBUSY,
	       "J1 get %s before keys, optlen 4", d);
	len = (socklen_t)-1;
	expect(getsockopt(p.fd, SOL_TLS, dir, &k, &len), BY_K7(EBUSY, EINVAL),
	       "J1 get %s before keys, optlen -1 (unsigned compare)", d);
	len = 3;
	expect(getsockopt(p.fd, SOL_TLS, dir, &k, &len), EINVAL,
	       "J2 get %s before keys, optlen 3", d);
	len = 0;
	expect(getsockopt(p.fd, SOL_TLS, dir, &k, &len), EINVAL,
	       "J2 get %s before keys, optlen 0", d);
	len = sizeof(struct tls12_crypto_info_aes_gcm_128);
	expect(getsockopt(p.fd, SOL_TLS, dir, NULL, &len), EINVAL,
	       "J2 get %s before keys, optval NULL", d);
	expect(getsockopt(p.fd, SOL_TLS, dir, &k, NULL), EFAULT,
	       "J3 get %s, optlen pointer NULL", d);
	conn_close(&p);
}

static void test_get_conf_set(int dir)
{
	const char *d = dname(dir);
	struct conn p = tls_conn();
	union key k, got;
	unsigned int n = make_key(&k, GCM128, TLS12);
	socklen_t len;

	expect(setsockopt(p.fd, SOL_TLS, dir, &k, n), 0,
	       "J4 %s AES-GCM-128 TLS1.2 keys", d);
	memset(&got, 0xaa, sizeof(got));
	len = 4;
	tap_check(getsockopt(p.fd, SOL_TLS, dir, &got, &len) == 0 && len == 4 &&
		  got.info.version == TLS12 &&
		  got.info.cipher_type == TLS_CIPHER_AES_GCM_128 &&
		  got.raw[4] == 0xaa,
		  "J4 get %s optlen 4: version and cipher only", d);
	memset(&got, 0xaa, sizeof(got));
	len = n;
	tap_check(getsockopt(p.fd, SOL_TLS, dir, &got, &len) == 0 && len == n &&
		  !memcmp(&got, &k, n) && got.raw[n] == 0xaa,
		  "J5 get %s full struct: key, iv, salt, rec_seq as set", d);
	len = n - 1;
	expect(getsockopt(p.fd, SOL_TLS, dir, &got, &len), EINVAL,
	       "J6 get %s optlen %u (one short)", d, n - 1);
	len = n + 1;
	expect(getsockopt(p.fd, SOL_TLS, dir, &got, &len), EINVAL,
	       "J6 get %s optlen %u (one over)", d, n + 1);
	len = sizeof(struct tls12_crypto_info_aes_gcm_256);
	expect(getsockopt(p.fd, SOL_TLS, dir, &got, &len), EINVAL,
	       "J6 get %s optlen of AES-GCM-256", d);
	len = 5;
	expect(getsockopt(p.fd, SOL_TLS, dir, &got, &len), EINVAL,
	       "J6 get %s optlen 5", d);
	len = (socklen_t)-1;
	expect(getsockopt(p.fd, SOL_TLS, dir, &got, &len), EINVAL,
	       "J6 get %s optlen -1", d);
	len = 3;
	expect(getsockopt(p.fd, SOL_TLS, dir, &got, &len), EINVAL,
	       "J7 get %s optlen 3", d);
	len = n;
	expect(getsockopt(p.fd, SOL_TLS, dir, NULL, &len), EINVAL,
	       "J7 get %s optval NULL", d);
	len = n;
	expect(getsockopt(p.fd, SOL_TLS, dir, BADPTR, &len), EFAULT,
	       "J8 get %s optval unwritable", d);
	len = 4;
	expect(getsockopt(p.fd, SOL_TLS, dir, BADPTR, &len), EFAULT,
	       "J8 get %s optval unwritable, optlen 4", d);
	len = n;
	expect(getsockopt(p.fd, SOL_TLS, other(dir), &got, &len), EBUSY,
	       "J9 get %s while only %s is set", dname(other(dir)), d);
	conn_close(&p);
}

static void be_increment(unsigned char *p, size_t n)
{
	while (n-- && ++p[n] == 0)
		;
}

/* TLS 1.2 AES-GCM: each record advances rec_seq and the explicit IV. */
static void test_get_after_record(void)
{
	struct conn p = tls_conn();
	union key k, got;
	unsigned int n = make_key(&k, GCM128, TLS12);
	struct tls12_crypto_info_aes_gcm_128 *g = &k.aes_gcm_128;
	socklen_t len = n;

	expect(setsockopt(p.fd, SOL_TLS, TLS_TX, &k, n), 0,
	       "J10 TLS_TX AES-GCM-128 TLS1.2 keys");
	tap_check(send(p.fd, "ping", 4, 0) == 4, "J10 send one record");
	be_increment(g->rec_seq, sizeof(g->rec_seq));
	be_increment(g->iv, sizeof(g->iv));
	tap_check(getsockopt(p.fd, SOL_TLS, TLS_TX, &got, &len) == 0 &&
		  len == n && !memcmp(&got, &k, n),
		  "J10 get TLS_TX: rec_seq and iv advanced by one");
	conn_close(&p);
}

/* ---- K: unknown option names ------------------------------------------- */

/*
 * TLS_TX_MAX_PAYLOAD_LEN (5), where there is one: only that it is there,
 * with its default (its own rows are section N).
 */
static void test_max_payload_known(int fd)
{
	unsigned short v = 0;
	socklen_t len = sizeof(v);
	int rc = getsockopt(fd, SOL_TLS, 5, &v, &len);

	tap_check(rc == 0 && v == 16384 && len == sizeof(v),
		  "K4 get SOL_TLS optname 5 (TLS_TX_MAX_PAYLOAD_LEN): 16384 (got %d, %u)",
		  rc, v);
}

/*
 * The first name the module does not know: 5 on stock 6.1 and 6.12; 7.x
 * (6.19) and ctls have TLS_TX_MAX_PAYLOAD_LEN there, so 6.
 */
static void test_unknown(void)
{
	const int first = has_max ? 6 : 5, names[] = { 0, first, 12345, -1 };
	struct conn p = tls_conn();
	union key k;
	unsigned int n = make_key(&k, GCM128, TLS12);

	for (unsigned int i = 0; i < 4; i++) {
		socklen_t len = n;

		expect(setsockopt(p.fd, SOL_TLS, names[i], &k, n), ENOPROTOOPT,
		       "K1 set SOL_TLS optname %d", names[i]);
		expect(getsockopt(p.fd, SOL_TLS, names[i], &k, &len),
		       ENOPROTOOPT, "K2 get SOL_TLS optname %d", names[i]);
	}
	expect(setsockopt(p.fd, SOL_TLS, first, NULL, 0), ENOPROTOOPT,
	       "K3 set SOL_TLS optname %d, optval NULL", first);
	expect(getsockopt(p.fd, SOL_TLS, first, NULL, NULL),
	       BY_K7(ENOPROTOOPT, EFAULT),
	       "K3 get SOL_TLS optname %d, optval and optlen NULL", first);
	if (has_max)
		test_max_payload_known(p.fd);
	conn_close(&p);
}

/* ---- N: TLS_TX_MAX_PAYLOAD_LEN (7.x's; ctls on every kernel) --------- */

static int set_max(int fd, unsigned short v)
{
	return setsockopt(fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &v, sizeof(v));
}

/* The value getsockopt gives, or -1 (with optlen checked to be 2). */
static int get_max(int fd)
{
	unsigned short v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &v, &len) ||
	    len != sizeof(v))
		return -1;
	return v;
}

static void test_max_get(void)
{
	struct conn p = tls_conn();
	unsigned char v[8];
	socklen_t len;

	tap_check(get_max(p.fd) == 16384,
		  "N1 get TLS_TX_MAX_PAYLOAD_LEN before keys: 16384, optlen 2");
	len = 1;
	expect(getsockopt(p.fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, v, &len),
	       EINVAL, "N2 get optlen 1");
	len = sizeof(v);
	memset(v, 0xff, sizeof(v));
	tap_check(!getsockopt(p.fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, v, &len) &&
		  len == 2 && v[0] + 256 * v[1] == 16384 && v[2] == 0xff,
		  "N2 get optlen 8: 0, optlen set to 2, 2 bytes written");
	len = -1;
	expect(getsockopt(p.fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, v, &len),
	       BY_K7(0, EINVAL), "N2 get optlen -1");
	len = 2;
	expect(getsockopt(p.fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, BADPTR, &len),
	       EFAULT, "N3 get optval unwritable");
	expect(getsockopt(p.fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, v, NULL),
	       EFAULT, "N3 get optlen NULL");
	conn_close(&p);
}

static void test_max_set_args(void)
{
	struct conn p = tls_conn();
	unsigned int v = 100;

	expect(setsockopt(p.fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, NULL, 2),
	       EINVAL, "N4 set optval NULL");
	expect(setsockopt(p.fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &v, 1),
	       EINVAL, "N4 set optlen 1");
	expect(setsockopt(p.fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, &v, 4),
	       EINVAL, "N4 set optlen 4");
	expect(setsockopt(p.fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, BADPTR, 2),
	       EFAULT, "N4 set optval unreadable");
	expect(set_max(p.fd, 0), EINVAL, "N5 set 0 before keys");
	expect(set_max(p.fd, 63), EINVAL, "N5 set 63 before keys");
	expect(set_max(p.fd, 16385), EINVAL, "N5 set 16385");
	expect(set_max(p.fd, 65535), EINVAL, "N5 set 65535");
	tap_check(get_max(p.fd) == 16384, "N5 failed sets leave 16384");
	expect(set_max(p.fd, 64), 0, "N5 set 64 before keys");
	tap_check(get_max(p.fd) == 64, "N5 get: 64");
	expect(set_max(p.fd, 16384), 0, "N5 set 16384");
	conn_close(&p);
}

/* The least value follows the version of either direction's keys. */
static void test_max_version(int dir, int version)
{
	const char *d = dname(dir), *vn = version == TLS13 ? "1.3" : "1.2";
	int want = version == TLS13 ? 0 : EINVAL;
	struct conn p = tls_conn();
	union key k;
	unsigned int n = make_key(&k, GCM128, version);

	expect(setsockopt(p.fd, SOL_TLS, dir, &k, n), 0,
	       "N6 %s AES-GCM-128 TLS%s keys", d, vn);
	expect(set_max(p.fd, 62), EINVAL, "N6 %s TLS%s: set 62", d, vn);
	expect(set_max(p.fd, 63), want, "N6 %s TLS%s: set 63", d, vn);
	tap_check(get_max(p.fd) == (want ? 16384 : 63),
		  "N6 %s TLS%s: get gives the value as set", d, vn);
	expect(set_max(p.fd, 64), 0, "N6 %s TLS%s: set 64", d, vn);
	conn_close(&p);
}

/* A record open (MSG_MORE): EBUSY before any argument is looked at. */
static void test_max_busy(void)
{
	struct conn p = tls_conn();
	char buf[64] = "";
	union key k;
	unsigned int n = make_key(&k, GCM128, TLS12);

	expect(setsockopt(p.fd, SOL_TLS, TLS_TX, &k, n), 0,
	       "N7 TX AES-GCM-128 TLS1.2 keys");
	expect(set_max(p.fd, 128), 0, "N7 set 128, no record open");
	tap_check(send(p.fd, buf, 10, MSG_MORE) == 10, "N7 send 10 bytes, MSG_MORE");
	expect(set_max(p.fd, 256), EBUSY, "N7 set 256 with a record open");
	expect(setsockopt(p.fd, SOL_TLS, TLS_TX_MAX_PAYLOAD_LEN, NULL, 1),
	       EBUSY, "N7 set optval NULL, optlen 1 with a record open");
	expect(set_max(p.fd, 1), EBUSY, "N7 set 1 with a record open");
	tap_check(get_max(p.fd) == 128, "N7 get with a record open: 128");
	tap_check(send(p.fd, buf, 10, 0) == 10, "N7 send 10 bytes, no MSG_MORE");
	expect(set_max(p.fd, 256), 0, "N7 set 256 once the record is closed");
	conn_close(&p);
}

/* The attribute of type @type among the @len bytes at @a, or NULL. */
static const struct nlattr *nla_find(const void *a, int len, int type)
{
	const struct nlattr *n = a;

	while (len >= NLA_HDRLEN && n->nla_len >= NLA_HDRLEN && n->nla_len <= len) {
		if ((n->nla_type & NLA_TYPE_MASK) == type)
			return n;
		len -= NLA_ALIGN(n->nla_len);
		n = (const void *)((const char *)n + NLA_ALIGN(n->nla_len));
	}
	return NULL;
}

static const void *nla_body(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

/* INET_DIAG_ULP_INFO's TLS nest's u16 attribute @type, or -1. */
static int diag_ulp_u16(const struct nlattr *ulp, int type)
{
	const struct nlattr *tls, *a;

	tls = nla_find(nla_body(ulp), ulp->nla_len - NLA_HDRLEN, INET_ULP_INFO_TLS);
	if (!tls)
		return -1;
	a = nla_find(nla_body(tls), tls->nla_len - NLA_HDRLEN, type);
	if (!a || a->nla_len < NLA_HDRLEN + 2)
		return -1;
	return *(const unsigned short *)nla_body(a);
}

/* TLS_INFO_@type of the IPv4 TCP socket bound to local port @port, or -1. */
static int diag_tls_info(unsigned short port, int type)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} q = {
		.nlh = { .nlmsg_len = sizeof(q), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = AF_INET, .sdiag_protocol = IPPROTO_TCP,
			 .idiag_states = 1 << 1 /* TCP_ESTABLISHED */,
			 .idiag_ext = 1 << (INET_DIAG_INFO - 1),
			 .id.idiag_sport = htons(port) },
	};
	static char buf[65536];
	int fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG), got = -1;
	ssize_t n;

	if (fd < 0 || send(fd, &q, sizeof(q), 0) != sizeof(q))
		goto out;
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		struct nlmsghdr *h = (void *)buf;

		for (; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			const struct nlattr *ulp;

			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				goto out;
			if (m->id.idiag_sport != htons(port))
				continue;
			ulp = nla_find(m + 1, h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)),
				       INET_DIAG_ULP_INFO);
			if (ulp)
				got = diag_ulp_u16(ulp, type);
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return got;
}

static unsigned short local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (void *)&a, &len))
		bail("getsockname");
	return ntohs(a.sin_port);
}

static void test_max_diag(void)
{
	struct conn p = tls_conn();
	unsigned short port = local_port(p.fd);
	int v = diag_tls_info(port, TLS_INFO_TX_MAX_PAYLOAD_LEN);

	tap_check(v == 16384, "N8 sock_diag TLS_INFO_TX_MAX_PAYLOAD_LEN: 16384 (got %d)", v);
	expect(set_max(p.fd, 1000), 0, "N8 set 1000");
	v = diag_tls_info(port, TLS_INFO_TX_MAX_PAYLOAD_LEN);
	tap_check(v == 1000, "N8 sock_diag TLS_INFO_TX_MAX_PAYLOAD_LEN: 1000 (got %d)", v);
	conn_close(&p);
}

static void test_max(void)
{
	if (!has_max)
		return;
	test_max_get();
	test_max_set_args();
	test_max_version(TLS_TX, TLS12);
	test_max_version(TLS_TX, TLS13);
	test_max_version(TLS_RX, TLS13);
	test_max_busy();
	test_max_diag();
}

/* ---- L: connect(AF_UNSPEC), the ULP's disconnect ---------------------- */

static int disconnect(int fd)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	return connect(fd, &sa, sizeof(sa));
}

static void test_disconnect(void)
{
	struct conn p;

	p = tls_conn();
	expect(disconnect(p.fd), EOPNOTSUPP,
	       "L1 connect(AF_UNSPEC) with the ULP, no keys");
	conn_close(&p);

	p = tls_conn();
	expect(set_key(p.fd, TLS_TX, GCM128, TLS12), 0, "L1 TLS_TX keys");
	expect(set_key(p.fd, TLS_RX, GCM128, TLS12), 0, "L1 TLS_RX keys");
	expect(disconnect(p.fd), EOPNOTSUPP,
	       "L1 connect(AF_UNSPEC) with the ULP, both directions keyed");
	conn_close(&p);

	p = tcp_pair(AF_INET);
	expect(disconnect(p.fd), 0, "L2 connect(AF_UNSPEC) on plain TCP");
	conn_close(&p);
}

/* ------------------------------------------------------------------------ */

/* Whether the ULP under test is ctls's (its ulp_name parameter says so). */
static int under_ctls(void)
{
	char name[32] = "";
	FILE *f = fopen("/sys/module/ctls/parameters/ulp_name", "r");

	if (!f)
		return 0;
	if (!fgets(name, sizeof(name), f))
		name[0] = 0;
	fclose(f);
	name[strcspn(name, "\n")] = 0;
	return !strcmp(name, ulp);
}

static void which_kernel(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	uname(&u);
	sscanf(u.release, "%d.%d", &major, &minor);
	k612 = major > 6 || (major == 6 && minor >= 12);
	k7 = major >= 7;
	has_max = k7 || under_ctls();
	printf("# kernel %s (expectations of %s), ULP \"%s\"\n", u.release,
	       k7 ? "7.x" : k612 ? "6.12" : "6.1", ulp);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		ulp = argv[1];
	which_kernel();

	test_attach();
	test_no_ulp();
	test_conf_bad_dir(TLS_TX);
	test_conf_bad_dir(TLS_RX);
	test_conf_tail_fault(TLS_TX);
	test_conf_tail_fault(TLS_RX);
	test_valid();
	test_twice(TLS_TX);
	test_twice(TLS_RX);
	test_mismatch(TLS_TX);
	test_mismatch(TLS_RX);
	test_zc_set();
	test_zc_get();
	test_nopad_state();
	test_nopad_set();
	test_nopad_get();
	test_get_conf_unset(TLS_TX);
	test_get_conf_unset(TLS_RX);
	test_get_conf_set(TLS_TX);
	test_get_conf_set(TLS_RX);
	test_get_after_record();
	test_unknown();
	test_max();
	test_disconnect();
	return tap_done();
}
