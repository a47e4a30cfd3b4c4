// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching the ULP: states, options on a socket without keys, IPv6, and
 * sockmap (psock) refused in both orders. Expects the ULP named argv[1]
 * (default "tls") to be ctls.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "net.h"
#include "tap.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

static const char *ulp = "tls";

static int set_ulp(int fd)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp));
}

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int sockmap_add(int map, int fd)
{
	union bpf_attr attr = {};
	int key = 0;

	attr.map_fd = map;
	attr.key = (unsigned long)&key;
	attr.value = (unsigned long)&fd;
	return bpf(BPF_MAP_UPDATE_ELEM, &attr);
}

static void test_states(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	tap_errno(set_ulp(fd), ENOTCONN, "ULP on an unconnected socket");
	close(fd);
}

static void test_attached(int family)
{
	char name[32] = "", buf[8];
	socklen_t len = sizeof(name);
	struct tls12_crypto_info_aes_gcm_128 ci = {};
	int c, s, one = 1;

	tcp_pair(family, &c, &s);
	tap_check(set_ulp(c) == 0, "ULP attaches (%s)",
		  family == AF_INET6 ? "IPv6" : "IPv4");
	tap_check(getsockopt(c, IPPROTO_TCP, TCP_ULP, name, &len) == 0 &&
		  !strcmp(name, ulp), "TCP_ULP reads back \"%s\"", name);
	tap_errno(set_ulp(c), EEXIST, "second ULP");
	tap_check(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one,
			     sizeof(one)) == 0, "SOL_TCP options pass through");
	tap_check(send(c, "ping", 4, 0) == 4 && recv(s, buf, 4, MSG_WAITALL) == 4 &&
		  !memcmp(buf, "ping", 4), "plain TCP flows before keys are set");
	tap_errno(setsockopt(c, SOL_TLS, 12345, &ci, sizeof(ci)), ENOPROTOOPT,
		  "unknown SOL_TLS option");
	close(c);
	close(s);
}

static void test_sockmap(void)
{
	union bpf_attr attr = {};
	int map, c, s;

	attr.map_type = BPF_MAP_TYPE_SOCKMAP;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 2;
	map = bpf(BPF_MAP_CREATE, &attr);
	if (map < 0) {
		printf("ok %d # SKIP sockmap: no BPF (%s)\n", ++tap_n,
		       strerror(errno));
		return;
	}
	tcp_pair(AF_INET, &c, &s);
	tap_check(set_ulp(c) == 0, "ULP, then sockmap: ULP attaches");
	tap_errno(sockmap_add(map, c), EINVAL, "ULP, then sockmap: refused");
	close(c);
	close(s);

	tcp_pair(AF_INET, &c, &s);
	tap_check(sockmap_add(map, c) == 0, "sockmap, then ULP: map accepts");
	tap_errno(set_ulp(c), EOPNOTSUPP, "sockmap, then ULP: refused");
	close(c);
	close(s);
	close(map);
}

/* "ulp hold NAME": keep a socket with the ULP open until killed. */
static int hold(void)
{
	int c, s;

	tcp_pair(AF_INET, &c, &s);
	if (set_ulp(c))
		return 1;
	printf("holding a socket with ULP \"%s\"\n", ulp);
	fflush(stdout);
	pause();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "hold")) {
		ulp = argv[2];
		return hold();
	}
	if (argc > 1)
		ulp = argv[1];
	test_states();
	test_attached(AF_INET);
	test_attached(AF_INET6);
	test_sockmap();
	return tap_done();
}
