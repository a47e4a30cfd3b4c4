// SPDX-License-Identifier: GPL-2.0
/*
 * TLS 1.3 KeyUpdate (rekey) through the UAPI upstream added in 6.14: a
 * second TLS_TX / TLS_RX with the same version and cipher installs a new
 * key; a received KeyUpdate stops decryption (EKEYEXPIRED, not readable)
 * until the new RX key is set. Run with ctls loaded as "tls".
 *
 * Usage: rekey [errors|bulk MODE MIB]   MODE: send, splice, sendfile or
 * storm (no argument: errors, then bulk send/splice/sendfile of 256 MiB
 * and a 4 MiB storm). Bulk: both directions at once, a KeyUpdate every MiB
 * in each (storm: splice in and out, a KeyUpdate every 3001 bytes), every
 * byte checked, keys derived from (direction, generation). Prints TAP.
 *
 * End a attaches ULP $REKEY_ULP_A, end b $REKEY_ULP_B (both "tls" unless
 * set): on 7.x, whose stock tls.ko has rekey itself, ctls loaded as "ctls"
 * runs against it both ways, and the errors against stock alone.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls.h"
#include "net.h"
#include "tap.h"

#ifndef TLS_1_3_VERSION
#define TLS_1_3_VERSION 0x0304
#endif

#define MIB (1u << 20)

/* Keys per direction (0: a->b, 1: b->a) and generation. */
static int set_key(int fd, int opt, int version, int dir, int gen)
{
	return set_gcm_key(fd, opt, version, 0x10 + dir * 0x40 + gen * 4);
}

static const char *ulp_a = "tls", *ulp_b = "tls";

/* A loopback pair, the ULPs attached, keys of generation 0 both ways. */
static void pair(int version, int *a, int *b)
{
	tcp_pair(AF_INET, a, b);
	if (setsockopt(*a, IPPROTO_TCP, TCP_ULP, ulp_a, strlen(ulp_a)) ||
	    setsockopt(*b, IPPROTO_TCP, TCP_ULP, ulp_b, strlen(ulp_b)) ||
	    set_key(*a, TLS_TX, version, 0, 0) ||
	    set_key(*b, TLS_RX, version, 0, 0) ||
	    set_key(*b, TLS_TX, version, 1, 0) ||
	    set_key(*a, TLS_RX, version, 1, 0)) {
		perror("tls pair");
		exit(2);
	}
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 200) == 1 && (p.revents & POLLIN);
}

/* ---- errors ------------------------------------------------------------ */

static void test_tls12(void)
{
	int a, b;

	pair(TLS_1_2_VERSION, &a, &b);
	tap_errno(set_key(a, TLS_TX, TLS_1_2_VERSION, 0, 1), EBUSY,
		  "TLS 1.2: TLS_TX again");
	tap_errno(set_key(b, TLS_RX, TLS_1_2_VERSION, 0, 1), EBUSY,
		  "TLS 1.2: TLS_RX again");
	close(a);
	close(b);
}

static void test_bad_updates(void)
{
	struct tls12_crypto_info_aes_gcm_256 k256 = {};
	struct tls12_crypto_info_aes_gcm_128 k;
	long err0 = stat_in(ulp_a, "TlsTxRekeyError");
	long rerr0 = stat_in(ulp_a, "TlsRxRekeyError");
	char buf[64];
	int a, b;

	pair(TLS_1_3_VERSION, &a, &b);
	tap_errno(set_key(a, TLS_TX, TLS_1_2_VERSION, 0, 1), EINVAL,
		  "TLS 1.3 rekey to TLS 1.2 (TX)");
	tap_errno(set_key(b, TLS_RX, TLS_1_2_VERSION, 0, 1), EINVAL,
		  "TLS 1.3 rekey to TLS 1.2 (RX)");
	k256.info.version = TLS_1_3_VERSION;
	k256.info.cipher_type = TLS_CIPHER_AES_GCM_256;
	tap_errno(setsockopt(a, SOL_TLS, TLS_TX, &k256, sizeof(k256)), EINVAL,
		  "rekey to another cipher");
	gcm_key(&k, TLS_1_3_VERSION, 0x10 + 4);
	tap_errno(setsockopt(a, SOL_TLS, TLS_TX, &k, sizeof(k) - 1), EINVAL,
		  "rekey with a short key struct");
	tap_errno(setsockopt(a, SOL_TLS, TLS_TX, &k, sizeof(k) + 1), EINVAL,
		  "rekey with a long key struct");
	tap_errno(setsockopt(a, SOL_TLS, TLS_TX, (void *)8, sizeof(k)), EFAULT,
		  "rekey with an unreadable key");
	tap_check(stat_in(ulp_a, "TlsTxRekeyError") - err0 == 5 &&
		  stat_in(ulp_a, "TlsRxRekeyError") - rerr0 == 1,
		  "TlsTxRekeyError +5, TlsRxRekeyError +1 (got +%ld, +%ld)",
		  stat_in(ulp_a, "TlsTxRekeyError") - err0,
		  stat_in(ulp_a, "TlsRxRekeyError") - rerr0);
	/* The failed updates changed nothing: the old keys still work. */
	tap_check(send(a, "ping", 4, 0) == 4 && recv(b, buf, 4, 0) == 4 &&
		  !memcmp(buf, "ping", 4), "old keys still in use");
	close(a);
	close(b);
}

/* Receiver side of one KeyUpdate: EIO without cmsg, then the message. */
static void expect_key_update(int fd, const char *what)
{
	unsigned char type;
	char buf[64];
	ssize_t n;

	n = recv(fd, buf, sizeof(buf), 0);
	tap_check(n < 0 && errno == EIO, "%s: KeyUpdate without cmsg room: EIO",
		  what);
	n = recv_type(fd, buf, sizeof(buf), 0, &type);
	tap_check(n == sizeof(key_update) && type == REC_HANDSHAKE &&
		  !memcmp(buf, key_update, n),
		  "%s: KeyUpdate read (%zd bytes, type %d)", what, n, type);
}

static void test_two_updates(void)
{
	long got0 = stat_in(ulp_a, "TlsRxRekeyReceived");
	long ok0 = stat_in(ulp_a, "TlsRxRekeyOk"), tok0 = stat_in(ulp_a, "TlsTxRekeyOk");
	char buf[64];
	int a, b;

	pair(TLS_1_3_VERSION, &a, &b);
	/* Two KeyUpdates in a row, then data under generation 2. */
	send_type(a, REC_HANDSHAKE, key_update, sizeof(key_update));
	set_key(a, TLS_TX, TLS_1_3_VERSION, 0, 1);
	send_type(a, REC_HANDSHAKE, key_update, sizeof(key_update));
	set_key(a, TLS_TX, TLS_1_3_VERSION, 0, 2);
	tap_check(send(a, "after", 5, 0) == 5, "sent under generation 2");

	expect_key_update(b, "first");
	tap_errno(recv(b, buf, sizeof(buf), 0), EKEYEXPIRED,
		  "blocking read before the new key");
	tap_errno(recv(b, buf, sizeof(buf), MSG_DONTWAIT), EKEYEXPIRED,
		  "non-blocking read before the new key");
	tap_check(!readable(b), "not readable before the new key");
	tap_check(set_key(b, TLS_RX, TLS_1_3_VERSION, 0, 1) == 0,
		  "RX key, generation 1");
	tap_check(readable(b), "readable after it");
	expect_key_update(b, "second (arrived before the first new key)");
	tap_errno(recv(b, buf, sizeof(buf), 0), EKEYEXPIRED,
		  "read before the second new key");
	tap_check(set_key(b, TLS_RX, TLS_1_3_VERSION, 0, 2) == 0,
		  "RX key, generation 2");
	tap_check(recv(b, buf, sizeof(buf), 0) == 5 &&
		  !memcmp(buf, "after", 5), "data after both updates");
	tap_check(stat_in(ulp_a, "TlsRxRekeyReceived") - got0 == 2 &&
		  stat_in(ulp_a, "TlsRxRekeyOk") - ok0 == 2 &&
		  stat_in(ulp_a, "TlsTxRekeyOk") - tok0 == 2,
		  "counters: 2 received, 2 RX ok, 2 TX ok");
	close(a);
	close(b);
}

/* A KeyUpdate with data queued behind it, read through MSG_PEEK first. */
static void test_peek(void)
{
	unsigned char type;
	char buf[64];
	int a, b;

	pair(TLS_1_3_VERSION, &a, &b);
	send(a, "before", 6, 0);
	send_type(a, REC_HANDSHAKE, key_update, sizeof(key_update));
	set_key(a, TLS_TX, TLS_1_3_VERSION, 0, 1);
	send(a, "after", 5, 0);
	tap_check(recv(b, buf, sizeof(buf), MSG_PEEK) == 6,
		  "peek stops at the KeyUpdate");
	tap_check(recv_type(b, buf, sizeof(buf), MSG_PEEK, &type) == 6 &&
		  type == 23, "peek again: the data record");
	tap_check(recv(b, buf, sizeof(buf), 0) == 6, "read the data");
	tap_check(recv_type(b, buf, sizeof(buf), MSG_PEEK, &type) ==
		  sizeof(key_update) && type == REC_HANDSHAKE,
		  "peek the KeyUpdate");
	tap_check(recv_type(b, buf, sizeof(buf), 0, &type) ==
		  sizeof(key_update) && type == REC_HANDSHAKE,
		  "read the KeyUpdate");
	tap_errno(recv(b, buf, sizeof(buf), MSG_PEEK), EKEYEXPIRED,
		  "peek before the new key");
	set_key(b, TLS_RX, TLS_1_3_VERSION, 0, 1);
	tap_check(recv(b, buf, sizeof(buf), 0) == 5 &&
		  !memcmp(buf, "after", 5), "data after the update");
	close(a);
	close(b);
}

/* An RX key may also be replaced without a KeyUpdate (selftest rekey_rx). */
static void test_plain_replace(void)
{
	char buf[8];
	int a, b;

	pair(TLS_1_3_VERSION, &a, &b);
	tap_check(set_key(b, TLS_RX, TLS_1_3_VERSION, 0, 5) == 0 &&
		  set_key(a, TLS_TX, TLS_1_3_VERSION, 0, 5) == 0,
		  "keys replaced without a KeyUpdate");
	tap_check(send(a, "x", 1, 0) == 1 && recv(b, buf, 1, 0) == 1 &&
		  buf[0] == 'x', "data under the replaced keys");
	close(a);
	close(b);
}

/* ---- bulk -------------------------------------------------------------- */

enum mode { SEND, SPLICE, SENDFILE };

struct side {
	int fd, dir;		/* dir: which key family this fd sends with */
	enum mode mode;
	size_t every;		/* bytes between KeyUpdates, at most MIB */
	size_t total;
	size_t got;
	int updates, bad, err;
};

static unsigned char pattern(size_t i)
{
	i %= MIB;
	return (i * 7 + (i >> 11)) & 0xff;
}

static unsigned char *chunk;	/* two MiB of pattern */

/* Bytes [@at, @at + s->every) of the stream, by s->mode. */
static int send_chunk(struct side *s, int file, size_t at)
{
	size_t off = 0, len = s->every;
	const unsigned char *from = chunk + at % MIB;
	off_t foff = at % MIB;
	int p[2];

	if (s->mode == SENDFILE)
		return sendfile(s->fd, file, &foff, len) == (ssize_t)len ? 0 : -1;
	if (s->mode == SEND) {
		while (off < len) {
			ssize_t n = send(s->fd, from + off, len - off, 0);

			if (n <= 0)
				return -1;
			off += n;
		}
		return 0;
	}
	if (pipe(p))
		return -1;
	while (off < len) {
		struct iovec iov = { (void *)(from + off), len - off };
		ssize_t n = vmsplice(p[1], &iov, 1, 0);

		if (n <= 0 || splice(p[0], NULL, s->fd, NULL, n, 0) != n)
			break;
		off += n;
	}
	close(p[0]);
	close(p[1]);
	return off == len ? 0 : -1;
}

static void *sender(void *arg)
{
	struct side *s = arg;
	int file = -1, gen;

	if (s->mode == SENDFILE) {
		file = memfd_create("chunk", 0);
		if (file < 0 || write(file, chunk, 2 * MIB) != 2 * MIB)
			s->err = errno;
	}
	for (gen = 0; !s->err && gen * s->every < s->total; gen++) {
		if (send_chunk(s, file, gen * s->every) ||
		    send_type(s->fd, REC_HANDSHAKE, key_update,
			      sizeof(key_update)) != sizeof(key_update) ||
		    set_key(s->fd, TLS_TX, TLS_1_3_VERSION, s->dir, gen + 1))
			s->err = errno ? errno : EIO;
	}
	if (file >= 0)
		close(file);
	return NULL;
}

static void check_bytes(struct side *s, const unsigned char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		s->bad += buf[i] != pattern(s->got + i);
	s->got += n;
}

/* Data through a pipe (splice_read); a control record says EINVAL. */
static ssize_t splice_in(struct side *s, int p[2], unsigned char *buf)
{
	ssize_t n = splice(s->fd, NULL, p[1], NULL, 65536, 0);

	if (n > 0 && read(p[0], buf, n) != n)
		return -1;
	return n;
}

static void *receiver(void *arg)
{
	static __thread unsigned char buf[65536];
	struct side *s = arg;
	unsigned char type;
	int p[2];

	if (pipe(p))
		s->err = errno;
	while (!s->err && s->updates * s->every < s->total) {
		ssize_t n = -1;

		if (s->mode == SPLICE)
			n = splice_in(s, p, buf);
		if (n > 0) {
			check_bytes(s, buf, n);
			continue;
		}
		n = recv_type(s->fd, buf, sizeof(buf), 0, &type);
		if (n <= 0) {
			s->err = n ? errno : EPIPE;
			break;
		}
		if (type != REC_HANDSHAKE) {
			check_bytes(s, buf, n);
			continue;
		}
		s->updates++;
		if (s->got != s->updates * s->every ||
		    set_key(s->fd, TLS_RX, TLS_1_3_VERSION, 1 - s->dir,
			    s->updates))
			s->err = errno ? errno : EPROTO;
	}
	close(p[0]);
	close(p[1]);
	return NULL;
}

/*
 * Both directions at once, a KeyUpdate every @every bytes, @total bytes
 * each way (a multiple of @every).
 */
static void test_bulk(enum mode mode, size_t total, size_t every)
{
	static const char * const names[] = { "send", "splice", "sendfile" };
	struct side tx[2], rx[2];
	pthread_t t[4];
	int a, b, i;

	pair(TLS_1_3_VERSION, &a, &b);
	tx[0] = (struct side){ .fd = a, .dir = 0, .mode = mode };
	tx[1] = (struct side){ .fd = b, .dir = 1, .mode = mode };
	rx[0] = (struct side){ .fd = b, .dir = 1, .mode = mode };
	rx[1] = (struct side){ .fd = a, .dir = 0, .mode = mode };
	for (i = 0; i < 2; i++) {
		tx[i].every = rx[i].every = every;
		tx[i].total = rx[i].total = total;
		pthread_create(&t[i], NULL, sender, &tx[i]);
		pthread_create(&t[2 + i], NULL, receiver, &rx[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 2; i++)
		tap_check(!tx[i].err && !rx[i].err && !rx[i].bad &&
			  rx[i].got == total &&
			  rx[i].updates == (int)(total / every),
			  "%s, %zu KiB %s with a KeyUpdate every %zu bytes: "
			  "got %zu, %d updates, %d bad bytes, errors %s/%s",
			  names[mode], total >> 10, i ? "b->a" : "a->b", every,
			  rx[i].got,
			  rx[i].updates, rx[i].bad, strerrorname_np(tx[i].err),
			  strerrorname_np(rx[i].err));
	close(a);
	close(b);
}

/*
 * @mib MiB each way by @mode ("send", "splice", "sendfile"), a KeyUpdate
 * every MiB; "storm": splice in and out with a KeyUpdate every 3001
 * bytes (records of every size, cut anywhere by the updates).
 */
static void bulk(const char *mode, size_t mib)
{
	size_t i;

	chunk = malloc(2 * MIB);
	for (i = 0; i < 2 * MIB; i++)
		chunk[i] = pattern(i);
	if (!strcmp(mode, "send"))
		test_bulk(SEND, mib * MIB, MIB);
	else if (!strcmp(mode, "splice"))
		test_bulk(SPLICE, mib * MIB, MIB);
	else if (!strcmp(mode, "storm"))
		test_bulk(SPLICE, mib * MIB / 3001 * 3001, 3001);
	else
		test_bulk(SENDFILE, mib * MIB, MIB);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";

	if (getenv("REKEY_ULP_A"))
		ulp_a = getenv("REKEY_ULP_A");
	if (getenv("REKEY_ULP_B"))
		ulp_b = getenv("REKEY_ULP_B");
	printf("# end a: ULP \"%s\", end b: ULP \"%s\"\n", ulp_a, ulp_b);

	if (!strcmp(what, "errors") || !strcmp(what, "all")) {
		test_tls12();
		test_bad_updates();
		test_two_updates();
		test_peek();
		test_plain_replace();
	}
	if (!strcmp(what, "bulk"))
		bulk(argc > 2 ? argv[2] : "send",
		     argc > 3 ? strtoul(argv[3], NULL, 0) : 256);
	if (!strcmp(what, "all")) {
		bulk("send", 256);
		bulk("splice", 256);
		bulk("sendfile", 256);
		bulk("storm", 4);
	}
	return tap_done();
}
