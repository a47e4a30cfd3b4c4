/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctls: internal interfaces between the files of the module.
 */
#ifndef _CTLS_H
#define _CTLS_H

#include <linux/types.h>
#include <linux/tls.h>
#include <net/sock.h>
#include <net/inet_connection_sock.h>

#include "compat.h"
#include "ctls_record.h"

struct aead_request;
struct ctls_protos;
struct ctls_tx;
struct ctls_rx;
struct pipe_inode_info;
struct scatterlist;

/* What the user passed to TLS_TX / TLS_RX, whatever the cipher. */
union ctls_crypto_info {
	struct tls_crypto_info info;	/* cipher_type 0: not set */
	struct tls12_crypto_info_aes_gcm_128 aes_gcm_128;
	struct tls12_crypto_info_aes_gcm_256 aes_gcm_256;
	struct tls12_crypto_info_aes_ccm_128 aes_ccm_128;
	struct tls12_crypto_info_chacha20_poly1305 chacha20_poly1305;
	struct tls12_crypto_info_sm4_gcm sm4_gcm;
	struct tls12_crypto_info_sm4_ccm sm4_ccm;
	struct tls12_crypto_info_aria_gcm_128 aria_gcm_128;
	struct tls12_crypto_info_aria_gcm_256 aria_gcm_256;
};

/* One row of the cipher table (cipher.c). */
struct ctls_cipher {
	u16 type;		/* TLS_CIPHER_* */
	u16 info_len;		/* size of its tls12_crypto_info_* */
	u8 iv_len, key_len, salt_len, tag_len;
	u8 explicit_len;	/* TLS 1.2 explicit nonce bytes per record */
	u8 ccm_flags;		/* CCM: first byte of the AEAD IV */
	bool tls12_only;
	const char *aead;	/* kernel crypto API name */
};

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
	/*
	 * One sender at a time: senders sleep with the socket unlocked and
	 * hold on to record state across that sleep. A TX rekey does not
	 * take it (tx.c). Taken before the socket lock. (Readers: see rx.c.)
	 */
	struct mutex tx_lock;			/* senders and the TX work */
	struct proto *sk_proto;			/* TCP's proto, called through */
	struct ctls_protos *protos;		/* ulp.c: the socket's tables */
	void (*sk_write_space)(struct sock *sk);
	u8 tx_conf;				/* enum ctls_conf */
	u8 rx_conf;
	bool zerocopy_ro;			/* TLS_TX_ZEROCOPY_RO */
	bool rx_no_pad;				/* TLS_RX_EXPECT_NO_PAD */
	u16 tx_max_plain;			/* TLS_TX_MAX_PAYLOAD_LEN */
	const struct ctls_cipher *cipher;	/* same in both directions */
	struct ctls_rec_proto rec;
	union ctls_crypto_info tx_info;
	union ctls_crypto_info rx_info;
	struct ctls_tx *tx;
	struct ctls_rx *rx;
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
void ctls_update_proto(struct sock *sk, struct ctls_context *ctx);

/* sockopt.c: SOL_TLS options */
int ctls_setsockopt_tls(struct sock *sk, int optname, sockptr_t optval,
			unsigned int optlen);
int ctls_getsockopt_tls(struct sock *sk, int optname, char __user *optval,
			int __user *optlen);

/* cipher.c */
const struct ctls_cipher *ctls_cipher_find(u16 type);
void ctls_cipher_rec_proto(const struct ctls_cipher *c, u16 version,
			   struct ctls_rec_proto *p);
void ctls_cipher_rec_state(const struct ctls_cipher *c,
			   const union ctls_crypto_info *ci,
			   struct ctls_rec_state *st);
void ctls_cipher_export(const struct ctls_cipher *c,
			const struct ctls_rec_state *st,
			union ctls_crypto_info *ci);
struct aead_request *ctls_cipher_request(const struct ctls_cipher *c,
					 const union ctls_crypto_info *ci);
int ctls_cipher_rekey(struct aead_request *req, const struct ctls_cipher *c,
		      const union ctls_crypto_info *ci);
void ctls_cipher_request_free(struct aead_request *req);
int ctls_sg_pin(struct iov_iter *iter, size_t len, struct page **pages,
		int max, struct scatterlist *sg);
void ctls_sg_unpin(struct page **pages, int n);

/* tx.c */
int ctls_tx_init(struct sock *sk, struct ctls_context *ctx);
void ctls_tx_release(struct sock *sk, struct ctls_context *ctx);
void ctls_tx_cancel_work(struct ctls_context *ctx);
void ctls_tx_free(struct ctls_context *ctx);
const struct ctls_rec_state *ctls_tx_rec_state(struct ctls_context *ctx);
int ctls_tx_rekey(struct sock *sk, struct ctls_context *ctx,
		  const union ctls_crypto_info *ci);
bool ctls_tx_rec_open(struct sock *sk, struct ctls_context *ctx);
int ctls_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
void ctls_splice_eof(struct socket *sock);
#if CTLS_HAVE_SENDPAGE
int ctls_sendpage(struct sock *sk, struct page *page, int offset,
		  size_t size, int flags);
#endif

/* rx.c */
int ctls_rx_init(struct sock *sk, struct ctls_context *ctx);
const struct ctls_rec_state *ctls_rx_rec_state(struct ctls_context *ctx);
int ctls_rx_rekey(struct sock *sk, struct ctls_context *ctx,
		  const union ctls_crypto_info *ci);
void ctls_rx_release(struct sock *sk, struct ctls_context *ctx);
void ctls_rx_free(struct ctls_context *ctx);
int ctls_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags);
bool ctls_sock_is_readable(struct sock *sk);
ssize_t ctls_splice_read(struct socket *sock, loff_t *ppos,
			 struct pipe_inode_info *pipe, size_t len,
			 unsigned int flags);
__poll_t ctls_poll(struct file *file, struct socket *sock,
		   struct poll_table_struct *wait);
int ctls_read_sock(struct sock *sk, read_descriptor_t *desc,
		   sk_read_actor_t actor);

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
	/* Upstream added these with TLS 1.3 rekey, in 6.14. */
	CTLS_RX_REKEY_OK,
	CTLS_RX_REKEY_ERROR,
	CTLS_TX_REKEY_OK,
	CTLS_TX_REKEY_ERROR,
	CTLS_RX_REKEY_RECEIVED,
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
