// SPDX-License-Identifier: GPL-2.0
/*
 * protos ULP [race SECONDS]: a refused attach must leave the sockets that
 * use the ULP as they were (issue 15, defect 2). A socket in a BPF sockmap
 * has tcp_bpf's proto; attaching the ULP to it is refused, and must not
 * touch the tables live sockets call through: SIOCINQ, recv, send, a
 * reset (unhash: sockmap's WARNs on a socket without a psock) and close on
 * a socket attached before must still be TCP's and the ULP's. With "race",
 * threads attach to sockmap'd sockets in a loop while others use and close
 * TLS sockets, for SECONDS. Prints TAP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <linux/tls.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>

#include "../userspace-tests/tap.h"
#include "../userspace-tests/net.h"
#include "../userspace-tests/ktls.h"

#ifndef SIOCINQ
#define SIOCINQ FIONREAD
#endif

static const char *ulp = "tls";
static int sockmap = -1;
static atomic_int stop, errors, attached, refused;

static int set_ulp(int fd)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp));
}

static int sockmap_create(void)
{
	union bpf_attr attr = {
		.map_type = BPF_MAP_TYPE_SOCKMAP,
		.key_size = 4,
		.value_size = 4,
		.max_entries = 64,
	};

	return syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
}

static int sockmap_set(int map, int key, int fd)
{
	union bpf_attr attr = {
		.map_fd = map,
		.key = (unsigned long)&key,
		.value = (unsigned long)&fd,
	};

	return syscall(__NR_bpf, BPF_MAP_UPDATE_ELEM, &attr, sizeof(attr));
}

static int inq(int fd)
{
	int n = -1;

	return ioctl(fd, SIOCINQ, &n) ? -errno : n;
}

/* A socket in the sockmap, then the ULP: refused. Returns the errno. */
static int refused_attach(int key)
{
	int c, s, err = 0;

	tcp_pair(AF_INET, &c, &s);
	if (sockmap_set(sockmap, key, s))
		err = -1;
	else if (set_ulp(s) == 0)
		err = -2;
	else
		err = errno;
	close(c);
	close(s);
	return err;
}

static void test_refused(void)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };
	char buf[100] = "0123456789", got[100];
	int c, s, plain_c, plain_s, err, n;

	tcp_pair(AF_INET, &c, &s);
	tap_check(set_ulp(s) == 0, "a live socket with the ULP attached");
	send(c, buf, sizeof(buf), 0);
	usleep(100000);
	n = inq(s);
	tap_check(n == sizeof(buf), "SIOCINQ on it: %d bytes", n);
	err = refused_attach(0);
	tap_check(err == EOPNOTSUPP, "sockmap, then ULP: refused (%s)",
		  err > 0 ? strerrorname_np(err) : "not refused");
	n = inq(s);
	tap_check(n == sizeof(buf),
		  "SIOCINQ on the live socket after the refusal: %d", n);
	tap_check(recv(s, got, sizeof(got), MSG_DONTWAIT) == sizeof(got) &&
		  !memcmp(got, buf, sizeof(buf)), "recv on it");
	tap_check(send(s, buf, 10, 0) == 10 &&
		  recv(c, got, sizeof(got), 0) == 10, "send on it");
	/*
	 * A reset takes the socket out of TCP's hash through its proto's
	 * unhash: sockmap's (had the table been rebuilt from tcp_bpf's)
	 * finds no psock and WARNs, leaving the socket hashed.
	 */
	tap_check(!setsockopt(c, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)) &&
		  !close(c) && usleep(100000) == 0 &&
		  recv(s, got, sizeof(got), 0) < 0 && errno == ECONNRESET,
		  "a reset from the peer: ECONNRESET");
	tap_check(close(s) == 0, "close it");
	/* A socket attached after the refusal gets TCP's tables too. */
	tcp_pair(AF_INET, &plain_c, &plain_s);
	set_ulp(plain_s);
	send(plain_c, buf, 7, 0);
	usleep(100000);
	n = inq(plain_s);
	tap_check(n == 7 && recv(plain_s, got, 7, 0) == 7,
		  "a socket attached after the refusal: SIOCINQ %d", n);
	tap_check(close(plain_s) == 0 &&
		  recv(plain_c, got, sizeof(got), 0) == 0,
		  "close it: the peer sees the end of the stream");
	close(plain_c);
}

/* TLS sockets, used and closed in a loop. */
static void *tls_user(void *arg)
{
	(void)arg;
	char buf[4096], got[4096];
	int c, s, i;

	memset(buf, 'x', sizeof(buf));
	while (!atomic_load(&stop)) {
		tcp_pair(AF_INET, &c, &s);
		if (set_ulp(c) || set_ulp(s) ||
		    set_gcm_key(c, TLS_TX, TLS_1_3_VERSION, 1) ||
		    set_gcm_key(s, TLS_RX, TLS_1_3_VERSION, 1)) {
			atomic_fetch_add(&errors, 1);
			break;
		}
		for (i = 0; i < 8; i++) {
			if (send(c, buf, sizeof(buf), 0) != sizeof(buf) ||
			    recv(s, got, sizeof(got), MSG_WAITALL) !=
			    sizeof(got) || inq(s) < 0)
				atomic_fetch_add(&errors, 1);
		}
		atomic_fetch_add(&attached, 1);
		close(c);
		close(s);
	}
	return NULL;
}

static void *refuser(void *arg)
{
	int key = (int)(long)arg;

	while (!atomic_load(&stop)) {
		if (refused_attach(key) != EOPNOTSUPP)
			atomic_fetch_add(&errors, 1);
		atomic_fetch_add(&refused, 1);
	}
	return NULL;
}

static void test_race(int seconds)
{
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, i < 2 ? tls_user : refuser,
			       (void *)(long)i);
	sleep(seconds);
	atomic_store(&stop, 1);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	tap_check(!atomic_load(&errors) && atomic_load(&attached) &&
		  atomic_load(&refused),
		  "race for %d s: %d TLS sockets used, %d attaches refused, %d errors",
		  seconds, atomic_load(&attached), atomic_load(&refused),
		  atomic_load(&errors));
}

int main(int argc, char **argv)
{
	if (argc > 1)
		ulp = argv[1];
	sockmap = sockmap_create();
	if (sockmap < 0) {
		printf("ok 1 # SKIP no sockmap (%s)\n", strerror(errno));
		return 0;
	}
	test_refused();
	if (argc > 3 && !strcmp(argv[2], "race"))
		test_race(atoi(argv[3]));
	return tap_done();
}
