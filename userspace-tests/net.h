/* SPDX-License-Identifier: GPL-2.0 */
/* Loopback TCP connections for the ctls guest tests. */
#ifndef CTLS_NET_H
#define CTLS_NET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* An established loopback connection: *c connected, *s accepted. */
static inline void tcp_pair(int family, int *c, int *s)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr *a = family == AF_INET6 ? (void *)&a6 : (void *)&a4;
	socklen_t len = family == AF_INET6 ? sizeof(a6) : sizeof(a4);
	int l = socket(family, SOCK_STREAM, 0);

	if (l < 0 || bind(l, a, len) || listen(l, 1) ||
	    getsockname(l, a, &len)) {
		perror("listen");
		exit(2);
	}
	*c = socket(family, SOCK_STREAM, 0);
	if (connect(*c, a, len)) {
		perror("connect");
		exit(2);
	}
	*s = accept(l, NULL, NULL);
	close(l);
}

#endif
