/* SPDX-License-Identifier: GPL-2.0 */
/* kTLS helpers shared by the ctls guest tests. */
#ifndef CTLS_KTLS_H
#define CTLS_KTLS_H

#include <linux/tls.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"
#include "tap.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TLS_TX_MAX_PAYLOAD_LEN	/* 6.19 */
#define TLS_TX_MAX_PAYLOAD_LEN 5
#endif

#define REC_HANDSHAKE 22

/* key_update, length 1, update_not_requested (RFC 8446 4.6.3) */
static const unsigned char key_update[] = { 0x18, 0x00, 0x00, 0x01, 0x00 };

/* AES-GCM-128 keys made from one byte: key @seed, IV @seed + 1, salt + 2. */
static inline void gcm_key(struct tls12_crypto_info_aes_gcm_128 *k,
			   int version, unsigned char seed)
{
	memset(k, 0, sizeof(*k));
	k->info.version = version;
	k->info.cipher_type = TLS_CIPHER_AES_GCM_128;
	memset(k->key, seed, sizeof(k->key));
	memset(k->iv, seed + 1, sizeof(k->iv));
	memset(k->salt, seed + 2, sizeof(k->salt));
}

/* TLS_TX or TLS_RX (@opt) with gcm_key(@seed). */
static inline int set_gcm_key(int fd, int opt, int version, unsigned char seed)
{
	struct tls12_crypto_info_aes_gcm_128 k;

	gcm_key(&k, version, seed);
	return setsockopt(fd, SOL_TLS, opt, &k, sizeof(k));
}

/* One record of @type (TLS_SET_RECORD_TYPE). */
static inline ssize_t send_type(int fd, unsigned char type, const void *buf,
				size_t len)
{
	char cbuf[CMSG_SPACE(1)] = {};
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_TLS;
	c->cmsg_type = TLS_SET_RECORD_TYPE;
	c->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(c) = type;
	return sendmsg(fd, &msg, 0);
}

/* recvmsg with room for the record type; *@type is 0 if none came. */
static inline ssize_t recv_type(int fd, void *buf, size_t len, int flags,
				unsigned char *type)
{
	char cbuf[CMSG_SPACE(1)] = {};
	struct iovec iov = { buf, len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	ssize_t n = recvmsg(fd, &msg, flags);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	*type = 0;
	if (n >= 0 && c && c->cmsg_level == SOL_TLS &&
	    c->cmsg_type == TLS_GET_RECORD_TYPE)
		*type = *CMSG_DATA(c);
	return n;
}

/* A counter of /proc/net/tls_stat, -1 if missing. */
/* Counter @name of ULP @ulp's /proc/net/<ulp>_stat, -1 if absent. */
static inline long stat_in(const char *ulp, const char *name)
{
	char path[64], n[64];
	long v = -1, x;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/net/%s_stat", ulp);
	f = fopen(path, "r");

	while (f && fscanf(f, "%63s %ld", n, &x) == 2)
		if (!strcmp(n, name))
			v = x;
	if (f)
		fclose(f);
	return v;
}

static inline long stat_of(const char *name)
{
	return stat_in("tls", name);
}

/* Whether @ulp exists: a fresh TCP socket takes it (a TAP check). */
static inline int ulp_exists(const char *ulp)
{
	int c, s, ret, err;

	tcp_pair(AF_INET, &c, &s);
	ret = setsockopt(s, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp));
	err = errno;
	close(c);
	close(s);
	tap_check(!ret, "ULP \"%s\" attaches to a TCP socket%s%s", ulp,
		  ret ? ": " : "", ret ? strerrorname_np(err) : "");
	return !ret;
}

#endif
