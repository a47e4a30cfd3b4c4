/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctls: internal interfaces between the files of the module.
 */
#ifndef _CTLS_H
#define _CTLS_H

#include <linux/types.h>
#include <net/sock.h>
#include <net/inet_connection_sock.h>

#include "compat.h"

/* Per direction: what the socket does with that direction's bytes. */
enum ctls_conf {
	CTLS_BASE,	/* plain TCP */
	CTLS_SW,	/* records built or parsed in software */
	CTLS_NUM_CONF,
};

/*
 * Per-socket state, hung off icsk_ulp_data. It is not laid out like
 * upstream's struct tls_context: see ulp.c for why no built-in kernel code
 * ever reads it as one.
 */
struct ctls_context {
	struct proto *sk_proto;			/* TCP's proto, called through */
	void (*sk_write_space)(struct sock *sk);
	u8 tx_conf;				/* enum ctls_conf */
	u8 rx_conf;
	struct rcu_head rcu;
};

static inline struct ctls_context *ctls_ctx(const struct sock *sk)
{
	/* Caller owns the socket lock or runs in the socket's ULP hooks. */
	return (__force struct ctls_context *)inet_csk(sk)->icsk_ulp_data;
}

/* ulp.c */
int ctls_ulp_register(const char *name);
void ctls_ulp_unregister(void);

/* stats.c */
enum ctls_counter {
	CTLS_CURR_TX_SW,
	CTLS_CURR_RX_SW,
	CTLS_CURR_TX_DEVICE,
	CTLS_CURR_RX_DEVICE,
	CTLS_TX_SW,
	CTLS_RX_SW,
	CTLS_TX_DEVICE,
	CTLS_RX_DEVICE,
	CTLS_DECRYPT_ERROR,
	CTLS_RX_DEVICE_RESYNC,
	CTLS_DECRYPT_RETRY,
	CTLS_RX_NO_PAD_VIOLATION,
	CTLS_NUM_COUNTERS,
};

int ctls_stats_init(void);
void ctls_stats_exit(void);
int ctls_proc_register(const char *ulp_name);
void ctls_proc_unregister(void);
void ctls_stats_add(struct net *net, enum ctls_counter c, long delta);

static inline void ctls_stats_inc(struct sock *sk, enum ctls_counter c)
{
	ctls_stats_add(sock_net(sk), c, 1);
}

static inline void ctls_stats_dec(struct sock *sk, enum ctls_counter c)
{
	ctls_stats_add(sock_net(sk), c, -1);
}

#endif /* _CTLS_H */
