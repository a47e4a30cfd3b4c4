// SPDX-License-Identifier: GPL-2.0
/*
 * Bad record matrix: the receive side of two ULPs (e.g. stock "tls" and
 * "ctls") is fed the same raw TCP bytes, records built here with OpenSSL's
 * libcrypto (nonce and additional data framed from RFC 5246/5288/7905/8446,
 * no code shared with either ULP), damaged or odd in one way per case. A
 * canonical, deterministic reader turns what each receiver does into a
 * transcript: the two transcripts must be equal, and no byte that failed
 * authentication may ever be delivered. One deliberate difference: TLS 1.3
 * records whose outer type was changed after sealing (see rfc_case()).
 *
 * Usage: badrec ULP_A ULP_B [CASE] (default: tls ctls, ULP_B the one under
 * test; CASE: only the cases
 * whose name contains it). Prints TAP, and each case's transcript as a "#"
 * line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ktls.h"
#include "net.h"
#include "tap.h"
#include "tlsrec.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

#define SEQ0		0x12345678ffffe000ULL	/* crosses 2^32 in MANY */
#define STEPS		12		/* reader steps per phase */
#define POLL_MS		200
#define SETTLE_US	50000		/* for the bytes to reach the receiver */
#define MANY_RECS	10000
#define WIRE_MAX	(1 << 19)
#define POLL_MASK	(POLLIN | POLLERR | POLLHUP | POLLRDHUP)

static const struct suite suites[] = {
	{ "AES-GCM-128 TLS 1.2", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
	  EVP_aes_128_gcm, 16, 4, 8 },
	{ "AES-GCM-128 TLS 1.3", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
	  EVP_aes_128_gcm, 16, 4, 8 },
	{ "CHACHA20-POLY1305 TLS 1.2", TLS_1_2_VERSION,
	  TLS_CIPHER_CHACHA20_POLY1305, EVP_chacha20_poly1305, 32, 0, 12 },
	{ "CHACHA20-POLY1305 TLS 1.3", TLS_1_3_VERSION,
	  TLS_CIPHER_CHACHA20_POLY1305, EVP_chacha20_poly1305, 32, 0, 12 },
};

/* One fixed key for every record. */
static struct rec_key keys;

/* Record payloads: the good record before the case, the case's own, after. */
static const unsigned char head[] = "hello";
static unsigned char mid[300], tail[200], big[MAX_PLAIN + 1];
static const unsigned char zeros[64];

/* The shortest record a receiver may take to the cipher. */
static int overhead(const struct suite *su)
{
	return xlen(su) + TAG;
}

static void die(const char *what)
{
	printf("Bail out! %s\n", what);
	exit(2);
}

static void init_data(void)
{
	size_t i;

	for (i = 0; i < sizeof(keys.key); i++)
		keys.key[i] = 0x30 + i;
	for (i = 0; i < sizeof(keys.base); i++)
		keys.base[i] = 0xa0 + 3 * i;
	for (i = 0; i < sizeof(mid); i++)
		mid[i] = 'a' + i % 26;
	for (i = 0; i < sizeof(tail); i++)
		tail[i] = 'A' + (i * 7) % 26;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (i * 13 + (i >> 8)) & 0xff;
}

/* The bytes one case writes, and the plaintext of its authentic records. */
struct plan {
	const struct suite *su;
	uint64_t seq;
	unsigned char *wire, *good;
	size_t len, good_len;
};

/* Append a record sealed from @in as is; returns its offset. */
static size_t put_raw(struct plan *p, int type, const unsigned char *in,
		      size_t len)
{
	size_t off = p->len;

	p->len += seal(p->su, &keys, p->seq++, type, in, len, p->wire + off);
	return off;
}

/*
 * Append a record of @type carrying @data (1.3: with @pad zero bytes of
 * padding). @good: authentic, so its data may be delivered.
 */
static size_t put(struct plan *p, int type, const unsigned char *data,
		  size_t len, size_t pad, int good)
{
	static unsigned char in[MAX_PLAIN + 8192];
	size_t n = len;

	memcpy(in, data, len);
	if (tls13(p->su)) {
		in[n++] = type;
		memset(in + n, 0, pad);
		n += pad;
		type = 23;
	}
	if (good) {
		memcpy(p->good + p->good_len, data, len);
		p->good_len += len;
	}
	return put_raw(p, type, in, n);
}

/* The case's record, sealed right, to be damaged. */
static size_t put_bad(struct plan *p)
{
	return put(p, 23, mid, sizeof(mid), 0, 0);
}

static void set_len(struct plan *p, size_t off, unsigned int len)
{
	p->wire[off + 3] = len >> 8;
	p->wire[off + 4] = len;
}

static void c_valid(struct plan *p)
{
	put(p, 23, mid, sizeof(mid), 0, 1);
}

static void c_type_bit(struct plan *p)
{
	p->wire[put_bad(p)] ^= 0x01;
}

static void c_ver1_bit(struct plan *p)
{
	p->wire[put_bad(p) + 1] ^= 0x01;
}

static void c_ver2_bit(struct plan *p)
{
	p->wire[put_bad(p) + 2] ^= 0x01;
}

static void c_len_lo_bit(struct plan *p)
{
	p->wire[put_bad(p) + 4] ^= 0x01;
}

/* Makes the length larger than all the bytes that follow. */
static void c_len_hi_bit(struct plan *p)
{
	p->wire[put_bad(p) + 3] ^= 0x02;
}

static void c_nonce_bit(struct plan *p)
{
	p->wire[put_bad(p) + 5] ^= 0x10;
}

static void c_ct_bit(struct plan *p)
{
	p->wire[put_bad(p) + 5 + xlen(p->su) + 100] ^= 0x04;
}

static void c_tag_bit(struct plan *p)
{
	put_bad(p);
	p->wire[p->len - 1] ^= 0x80;
}

/* Sealed with the sequence number of the record before. */
static void c_replay(struct plan *p)
{
	p->seq--;
	put_bad(p);
	p->seq++;
}

static void c_truncated(struct plan *p)
{
	size_t off = put_bad(p);

	p->len = off + (p->len - off) / 2;
}

static void c_max(struct plan *p)
{
	put(p, 23, big, MAX_PLAIN, 0, 1);
}

/* Authentic, one byte over the largest length allowed. */
static void c_max_plus1(struct plan *p)
{
	put(p, 23, big, MAX_PLAIN + 1, 0, 0);
}

static void c_len_ffff(struct plan *p)
{
	set_len(p, put_bad(p), 0xffff);
}

static void c_len_0(struct plan *p)
{
	set_len(p, put_bad(p), 0);
}

static void c_len_small(struct plan *p)
{
	set_len(p, put_bad(p), overhead(p->su) - 1);
}

static void c_type_99_bad(struct plan *p)
{
	p->wire[put_bad(p)] = 0x99;
}

static void c_type_99(struct plan *p)
{
	put(p, 0x99, mid, sizeof(mid), 0, 1);
}

static void c_alert(struct plan *p)
{
	put(p, 21, (const unsigned char *)"\x01\x00", 2, 0, 1);
}

static void c_empty(struct plan *p)
{
	put(p, 23, mid, 0, 0, 1);
}

static void c_pad_only(struct plan *p)
{
	put_raw(p, 23, zeros, 32);
}

static void c_no_inner(struct plan *p)
{
	put_raw(p, 23, zeros, 0);
}

static void c_padded(struct plan *p)
{
	put(p, 23, mid, sizeof(mid), 4000, 1);
}

/* Content, type and padding: exactly 2^14 + 1 bytes of inner plaintext. */
static void c_padded_max(struct plan *p)
{
	put(p, 23, big, 16000, MAX_PLAIN - 16000, 1);
}

/*
 * TLS 1.3, sealed with outer type 22 in the additional data: RFC 8446
 * section 5 makes a protected record of any outer type but 23 an
 * unexpected_message, and upstream refuses it (EBADMSG), so nothing of it
 * may be delivered.
 */
static void c_outer_22(struct plan *p)
{
	static unsigned char in[sizeof(mid) + 1];

	memcpy(in, mid, sizeof(mid));
	in[sizeof(mid)] = 23;
	put_raw(p, 22, in, sizeof(in));
}

static void c_many(struct plan *p)
{
	unsigned char b;
	int i;

	for (i = 0; i < MANY_RECS; i++) {
		b = (i * 31 + 7) & 0xff;
		put(p, 23, &b, 1, 0, 1);
	}
}

#define V13	0x02	/* TLS 1.3 only */
#define XNONCE	0x04	/* ciphers with an explicit nonce only */
#define TINY	0x08	/* one byte per send() */
#define NOCMSG	0x10	/* reader without msg_control */
#define NOTAIL	0x20	/* no good record after the case's */
#define MANY	0x40	/* only the case's records; count and checksum */
#define EOR	0x80	/* log MSG_EOR too */
#define HDR13	0x100	/* 1.3: the outer header is authenticated, see below */
#define NOPAD	0x200	/* reader sets TLS_RX_EXPECT_NO_PAD (1.3 only) */
#define RESET	0x400	/* the writer resets the connection (RST), no FIN */

struct kase {
	const char *name;
	void (*mk)(struct plan *p);
	unsigned int flags;
};

static const struct kase kases[] = {
	{ "valid record", c_valid, 0 },
	{ "valid records, reader without cmsg", c_valid, NOCMSG },
	{ "header type bit flipped", c_type_bit, HDR13 },
	{ "header version byte 1 bit flipped", c_ver1_bit, 0 },
	{ "header version byte 2 bit flipped", c_ver2_bit, 0 },
	{ "header length low bit flipped", c_len_lo_bit, 0 },
	{ "header length bit 9 flipped (past the stream)", c_len_hi_bit, 0 },
	{ "explicit nonce bit flipped", c_nonce_bit, XNONCE },
	{ "ciphertext bit flipped", c_ct_bit, 0 },
	{ "tag last byte bit flipped", c_tag_bit, 0 },
	{ "sealed with the previous sequence number", c_replay, 0 },
	{ "truncated record then close", c_truncated, NOTAIL },
	{ "truncated record then reset", c_truncated, NOTAIL | RESET },
	{ "valid records then reset", c_valid, RESET },
	{ "largest record (2^14 bytes)", c_max, 0 },
	{ "length max + 1 (authentic)", c_max_plus1, 0 },
	{ "length 0xffff", c_len_ffff, 0 },
	{ "length 0", c_len_0, 0 },
	{ "length overhead - 1", c_len_small, 0 },
	{ "header type set to 0x99 after sealing", c_type_99_bad, HDR13 },
	{ "authentic record of type 0x99", c_type_99, 0 },
	{ "authentic record of type 0x99, reader without cmsg", c_type_99,
	  NOCMSG },
	{ "authentic record of type 0x99, MSG_EOR logged", c_type_99, EOR },
	{ "authentic alert record", c_alert, 0 },
	{ "zero-length data record", c_empty, 0 },
	{ "inner plaintext all zero padding", c_pad_only, V13 },
	{ "empty inner plaintext", c_no_inner, V13 },
	{ "4000 bytes of zero padding", c_padded, V13 },
	{ "padding up to the largest inner plaintext", c_padded_max, V13 },
	{ "authentic outer type 22", c_outer_22, V13 },
	{ "every byte its own TCP segment", c_valid, TINY },
	/*
	 * TLS_RX_EXPECT_NO_PAD: records may be decrypted straight into the
	 * reader's buffer, and again the usual way when one turns out padded
	 * or not data.
	 */
	{ "valid records, reader expects no padding", c_valid, V13 | NOPAD },
	{ "4000 bytes of zero padding, reader expects none", c_padded,
	  V13 | NOPAD },
	{ "padding up to the largest, reader expects none", c_padded_max,
	  V13 | NOPAD },
	{ "authentic alert record, reader expects no padding", c_alert,
	  V13 | NOPAD },
	{ "authentic record of type 0x99, reader expects no padding",
	  c_type_99, V13 | NOPAD },
	{ "ciphertext bit flipped, reader expects no padding", c_ct_bit,
	  V13 | NOPAD },
	{ "largest record, reader expects no padding", c_max, V13 | NOPAD },
	{ "10000 one-byte records", c_many, MANY },
};

static int applies(const struct suite *su, const struct kase *k)
{
	if ((k->flags & V13) && !tls13(su))
		return 0;
	return !(k->flags & XNONCE) || xlen(su);
}

static void build(struct plan *p, const struct kase *k)
{
	p->seq = SEQ0;
	p->len = 0;
	p->good_len = 0;
	if (!(k->flags & MANY))
		put(p, 23, head, sizeof(head) - 1, 0, 1);
	k->mk(p);
	if (!(k->flags & (NOTAIL | MANY)))
		put(p, 23, tail, sizeof(tail), 0, 1);
}

/*
 * A transcript: events separated by spaces. Consecutive data of one record
 * type (and flags) is one event with the running total, however the reads
 * split it; other repeated events are counted ("eagain x3"); poll's revents
 * are logged only when they change. MSG_EOR is logged only in the case
 * flagged EOR, so that one difference does not hide the others.
 */
struct log {
	char text[2048];
	size_t used;
	char ev[64];		/* the pending event */
	size_t n;		/* its bytes (data) or times seen */
	int data, poll, eor;
	unsigned char *got;	/* every byte delivered, in order */
	size_t got_len;
};

static void append(struct log *l, const char *fmt, ...)
{
	size_t room = sizeof(l->text) - l->used;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(l->text + l->used, room, fmt, ap);
	va_end(ap);
	l->used += n < 0 ? 0 : (size_t)n < room ? (size_t)n : room - 1;
}

static void flush(struct log *l)
{
	const char *sep = l->used ? " " : "";

	if (!l->ev[0])
		return;
	if (l->data)
		append(l, "%s%s %zu", sep, l->ev, l->n);
	else if (l->n > 1)
		append(l, "%s%s x%zu", sep, l->ev, l->n);
	else
		append(l, "%s%s", sep, l->ev);
	l->ev[0] = 0;
}

static void event(struct log *l, int data, size_t n, const char *fmt, ...)
{
	char ev[sizeof(l->ev)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ev, sizeof(ev), fmt, ap);
	va_end(ap);
	if (l->ev[0] && l->data == data && !strcmp(ev, l->ev)) {
		l->n += n;
		return;
	}
	flush(l);
	strcpy(l->ev, ev);
	l->data = data;
	l->n = n;
}

static void note_poll(struct log *l, int revents)
{
	char s[40] = "";

	if (revents == l->poll)
		return;
	l->poll = revents;
	if (revents & POLLIN)
		strcat(s, "|IN");
	if (revents & POLLERR)
		strcat(s, "|ERR");
	if (revents & POLLHUP)
		strcat(s, "|HUP");
	if (revents & POLLRDHUP)
		strcat(s, "|RDHUP");
	event(l, 0, 1, "poll %s", s[0] ? s + 1 : "0");
}

static void deliver(struct log *l, const unsigned char *buf, size_t n)
{
	l->got = realloc(l->got, l->got_len + n);
	if (!l->got)
		die("out of memory");
	memcpy(l->got + l->got_len, buf, n);
	l->got_len += n;
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

static void note_data(struct log *l, struct msghdr *msg, size_t n)
{
	int type = record_type(msg);
	char t[8] = "-";

	if (type >= 0)
		snprintf(t, sizeof(t), "%d", type);
	event(l, 1, n, "data %s%s%s%s", t,
	      msg->msg_flags & MSG_CTRUNC ? ",ctrunc" : "",
	      msg->msg_flags & MSG_TRUNC ? ",trunc" : "",
	      l->eor && (msg->msg_flags & MSG_EOR) ? ",eor" : "");
}

enum { R_DATA, R_EOF, R_ERR, R_AGAIN };

/* One non-blocking recvmsg(); logs all but EAGAIN. */
static int receive(int fd, int cmsg, struct log *l)
{
	static unsigned char buf[65536];
	char cbuf[CMSG_SPACE(1)] = {};
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (cmsg) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
	}
	n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n > 0) {
		note_data(l, &msg, n);
		deliver(l, buf, n);
		return R_DATA;
	}
	if (!n) {
		event(l, 0, 1, "eof");
		return R_EOF;
	}
	if (errno == EAGAIN)
		return R_AGAIN;
	event(l, 0, 1, "err %s", strerrorname_np(errno));
	return R_ERR;
}

/*
 * Poll, then read. Ends (R_EOF) on EOF, on a second error in a row, or on
 * EAGAIN after poll timed out; else after STEPS steps.
 */
static int phase(int fd, int cmsg, struct log *l)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };
	int i, r, ev, errs = 0;

	l->poll = -1;
	for (i = 0; i < STEPS; i++) {
		pfd.revents = 0;
		ev = poll(&pfd, 1, POLL_MS) > 0 ? pfd.revents & POLL_MASK : 0;
		note_poll(l, ev);
		r = receive(fd, cmsg, l);
		if (r == R_AGAIN)
			event(l, 0, 1, "eagain");
		errs = r == R_ERR ? errs + 1 : 0;
		if (r == R_EOF || errs == 2 || (r == R_AGAIN && !ev))
			return r;
	}
	return r;
}

static void so_error(int fd, struct log *l)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	event(l, 0, 1, "so_error %s", err ? strerrorname_np(err) : "0");
}

static void send_wire(int fd, const unsigned char *p, size_t len,
		      size_t chunk, struct log *l)
{
	struct timeval tv = { .tv_sec = 2 };
	int one = 1;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (len) {
		n = send(fd, p, len < chunk ? len : chunk, MSG_NOSIGNAL);
		if (n <= 0) {
			event(l, 0, 1, "send %s",
			      n ? strerrorname_np(errno) : "0");
			return;
		}
		p += n;
		len -= n;
	}
}

/*
 * The writer ends its side: FIN, or with RESET an RST (connect() to
 * AF_UNSPEC disconnects a TCP socket with a reset, and keeps the fd).
 */
static void end_writer(int c, unsigned int flags, struct log *l)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	if (!(flags & RESET)) {
		event(l, 0, 1, "| shut_wr");
		shutdown(c, SHUT_WR);
		return;
	}
	event(l, 0, 1, "| reset");
	if (connect(c, &sa, sizeof(sa)))
		event(l, 0, 1, "disconnect %s", strerrorname_np(errno));
}

/* Write everything, let it settle, read; then end our side and read. */
static void matrix(int c, int s, const struct plan *p, unsigned int flags,
		   struct log *l)
{
	int cmsg = !(flags & NOCMSG);

	send_wire(c, p->wire, p->len, flags & TINY ? 1 : p->len, l);
	usleep(SETTLE_US);
	if ((flags & RESET) || phase(s, cmsg, l) != R_EOF) {
		end_writer(c, flags, l);
		usleep(SETTLE_US);
		phase(s, cmsg, l);
	}
	so_error(s, l);
}

struct writer {
	int fd, err;
	const struct plan *p;
};

static void *writer(void *arg)
{
	struct writer *w = arg;
	const unsigned char *b = w->p->wire;
	size_t len = w->p->len;
	ssize_t n;

	while (len) {
		n = send(w->fd, b, len, MSG_NOSIGNAL);
		if (n <= 0) {
			w->err = n ? errno : EPIPE;
			break;
		}
		b += n;
		len -= n;
	}
	shutdown(w->fd, SHUT_WR);
	return NULL;
}

static uint32_t fnv1a(const unsigned char *b, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

/*
 * Where the bytes wait: the receiver's TCP queue and the sender's; and
 * the receive memory the receiver holds against its buffer.
 */
static void stuck(int c, int s, struct log *l)
{
	uint32_t mem[SK_MEMINFO_VARS] = {};
	socklen_t len = sizeof(mem);
	int inq = -1, outq = -1;

	ioctl(s, SIOCINQ, &inq);
	ioctl(c, SIOCOUTQ, &outq);
	getsockopt(s, SOL_SOCKET, SO_MEMINFO, mem, &len);
	event(l, 0, 1, "stuck(inq %d outq %d rmem %u/%u backlog %u drops %u)", inq, outq,
	      mem[SK_MEMINFO_RMEM_ALLOC], mem[SK_MEMINFO_RCVBUF], mem[SK_MEMINFO_BACKLOG], mem[SK_MEMINFO_DROPS]);
}

/*
 * Many records: a writer thread, a reader until EOF, an error, 5 s without
 * readiness ("stuck", then one last read) or 5 s of readiness without data
 * ("spin").
 */
static void many(int c, int s, const struct plan *p, struct log *l)
{
	struct pollfd pfd = { .fd = s, .events = POLLIN | POLLRDHUP };
	struct writer w = { .fd = c, .p = p };
	int r = R_DATA, idle = 0;
	pthread_t th;

	pthread_create(&th, NULL, writer, &w);
	while (r == R_DATA || r == R_AGAIN) {
		if (poll(&pfd, 1, 5000) <= 0) {
			stuck(c, s, l);
			r = receive(s, 1, l);
			if (r == R_AGAIN)
				event(l, 0, 1, "eagain");
			break;
		}
		r = receive(s, 1, l);
		idle = r == R_AGAIN ? idle + 1 : 0;
		if (idle == 5000) {
			event(l, 0, 1, "spin");
			break;
		}
		if (idle)
			usleep(1000);
	}
	if (r != R_EOF)
		shutdown(c, SHUT_RDWR);	/* the writer may be blocked */
	pthread_join(th, NULL);
	if (w.err)
		event(l, 0, 1, "send %s", strerrorname_np(w.err));
	event(l, 0, 1, "fnv %08x", fnv1a(l->got, l->got_len));
	so_error(s, l);
}

static int receiver(const char *ulp, const struct suite *su, int s,
		    int nopad, struct log *l)
{
	unsigned char ci[64] = {};
	size_t len = crypto_info(su, &keys, SEQ0, ci);
	unsigned int one = 1;

	if (setsockopt(s, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp))) {
		event(l, 0, 1, "TCP_ULP %s", strerrorname_np(errno));
		return -1;
	}
	if (setsockopt(s, SOL_TLS, TLS_RX, ci, len)) {
		event(l, 0, 1, "TLS_RX %s", strerrorname_np(errno));
		return -1;
	}
	if (nopad && setsockopt(s, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one,
				sizeof(one))) {
		event(l, 0, 1, "TLS_RX_EXPECT_NO_PAD %s", strerrorname_np(errno));
		return -1;
	}
	return 0;
}

static void run(const char *ulp, const struct kase *k, const struct plan *p,
		struct log *l)
{
	int c, s;

	free(l->got);
	memset(l, 0, sizeof(*l));
	l->eor = !!(k->flags & EOR);
	tcp_pair(AF_INET, &c, &s);
	if (!receiver(ulp, p->su, s, !!(k->flags & NOPAD), l)) {
		if (k->flags & MANY)
			many(c, s, p, l);
		else
			matrix(c, s, p, k->flags, l);
	}
	flush(l);
	close(c);
	close(s);
}

/* Everything delivered is a prefix of the authentic plaintext. */
static int authentic(const struct log *l, const struct plan *p)
{
	return l->got_len <= p->good_len &&
	       (!l->got_len || !memcmp(l->got, p->good, l->got_len));
}

/*
 * TLS 1.3 records sealed as type 23 whose outer type byte was changed on
 * the way. RFC 8446 5.2 puts the record header as received in the
 * additional data; upstream builds it with type 23 whatever the header
 * says, so it delivers such a record. ctls authenticates the header as
 * received, so the record fails (EBADMSG). Here the implementation under
 * test (@b) must refuse it, and @a's transcript is shown. (A record
 * sealed with another outer type, "authentic outer type 22", is refused
 * by both and is an ordinary case.)
 */
static void rfc_case(const char *a, const char *b, const struct suite *su,
		     const struct kase *k, const struct log *la,
		     const struct log *lb, const struct plan *p)
{
	int refused = strstr(lb->text, "err EBADMSG") != NULL;

	tap_check(refused && authentic(lb, p),
		  "%s, %s: %s refuses it, as RFC 8446 5.2's additional data says",
		  su->name, k->name, b);
	printf("#   %s: %s\n", b, lb->text);
	printf("#   %s: %s (upstream: type 23 in the additional data)\n", a,
	       la->text);
}

static void one_case(const char *a, const char *b, const struct suite *su,
		     const struct kase *k)
{
	static unsigned char wire[WIRE_MAX], good[WIRE_MAX];
	static struct log la, lb;
	struct plan p = { .su = su, .wire = wire, .good = good };
	int same, auth_a, auth_b;

	build(&p, k);
	run(a, k, &p, &la);
	run(b, k, &p, &lb);
	if ((k->flags & HDR13) && tls13(su)) {
		rfc_case(a, b, su, k, &la, &lb, &p);
		return;
	}
	same = !strcmp(la.text, lb.text);
	tap_check(same, "%s, %s: %s and %s agree", su->name, k->name, a, b);
	if (same) {
		printf("#   %s\n", la.text);
	} else {
		printf("#   %s: %s\n", a, la.text);
		printf("#   %s: %s\n", b, lb.text);
	}
	auth_a = authentic(&la, &p);
	auth_b = authentic(&lb, &p);
	tap_check(auth_a && auth_b,
		  "%s, %s: only authenticated bytes delivered%s%s%s%s",
		  su->name, k->name, auth_a ? "" : ", not by ",
		  auth_a ? "" : a, auth_b ? "" : ", not by ",
		  auth_b ? "" : b);
}

/*
 * The receive counters both ULPs move must agree, over every case but the
 * HDR13 ones (where ctls follows the RFC and stock does not, see
 * rfc_case()). count(-1) before a case and count(1) after it add what the
 * case moved to moved[][]; report() compares.
 */
static const char *const stat_names[] = {
	"TlsRxSw", "TlsDecryptError", "TlsDecryptRetry", "TlsRxNoPadViolation",
};
#define NSTATS (sizeof(stat_names) / sizeof(stat_names[0]))
static long moved[2][NSTATS];

static void count(const char *a, const char *b, int sign)
{
	unsigned int i;

	for (i = 0; i < NSTATS; i++) {
		moved[0][i] += sign * stat_in(a, stat_names[i]);
		moved[1][i] += sign * stat_in(b, stat_names[i]);
	}
}

static void report(const char *a, const char *b)
{
	unsigned int i;

	for (i = 0; i < NSTATS; i++)
		tap_check(moved[0][i] == moved[1][i],
			  "%s moved alike: %s +%ld, %s +%ld", stat_names[i],
			  a, moved[0][i], b, moved[1][i]);
}

static void counted_case(const char *a, const char *b, const struct suite *su,
			 const struct kase *k)
{
	int counted = !(k->flags & HDR13) || !tls13(su);

	if (counted)
		count(a, b, -1);
	one_case(a, b, su, k);
	if (counted)
		count(a, b, 1);
}

int main(int argc, char **argv)
{
	const char *a = argc > 1 ? argv[1] : "tls";
	const char *b = argc > 2 ? argv[2] : "ctls";
	unsigned int i, j;

	if (!ulp_exists(a) || !ulp_exists(b))
		return tap_done();
	init_data();
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		for (j = 0; j < sizeof(kases) / sizeof(kases[0]); j++)
			if (applies(&suites[i], &kases[j]) &&
			    (argc < 4 || strstr(kases[j].name, argv[3])))
				counted_case(a, b, &suites[i], &kases[j]);
	report(a, b);
	return tap_done();
}
