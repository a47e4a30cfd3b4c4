// SPDX-License-Identifier: GPL-2.0
/*
 * The TCP upper-layer protocol: attaching to a socket, the proto tables the
 * socket is switched to, SOL_TLS socket options, close, and sock_diag info.
 *
 * Built-in kernel code (skmsg.c, tcp_bpf.c, filter.c) reads icsk_ulp_data
 * as upstream's struct tls_context, but only on sockets that carry a BPF
 * psock. ctls keeps its own context layout and refuses psocks instead: the
 * kernel already refuses a psock on a socket with a ULP (sk_psock_init()),
 * and ctls_ulp_init() refuses to attach to a socket that has one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/skmsg.h>
#include <linux/inet_diag.h>
#include <net/tcp.h>
#include <net/tls.h>

#include "ctls.h"

/*
 * The tables a socket is switched to, per (tx_conf, rx_conf), for one base:
 * the TCP proto and socket ops the socket had when ctls attached
 * (tcp_prot and inet_stream_ops, tcpv6_prot and inet6_stream_ops). A set is
 * built once, under ctls_protos_lock, put at the head of a list with a
 * release store, and never written again: live sockets call through it
 * without any lock. Sets are freed at module exit, when no socket uses
 * ctls (each one holds a module reference).
 */
struct ctls_protos {
	struct ctls_protos *next;
	const struct proto *base;
	const struct proto_ops *base_ops;
	struct proto prot[CTLS_NUM_CONF][CTLS_NUM_CONF];
	struct proto_ops ops[CTLS_NUM_CONF][CTLS_NUM_CONF];
};

/* More bases than this is not TCP as ctls knows it: such sockets are refused. */
#define CTLS_MAX_PROTOS		8

static struct ctls_protos *ctls_protos_head;
static unsigned int ctls_protos_count;		/* under ctls_protos_lock */
static DEFINE_MUTEX(ctls_protos_lock);

void ctls_update_proto(struct sock *sk, struct ctls_context *ctx)
{
	struct ctls_protos *p = ctx->protos;

	WRITE_ONCE(sk->sk_prot, &p->prot[ctx->tx_conf][ctx->rx_conf]);
	WRITE_ONCE(sk->sk_socket->ops, &p->ops[ctx->tx_conf][ctx->rx_conf]);
}

static int ctls_setsockopt(struct sock *sk, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	struct ctls_context *ctx = ctls_ctx(sk);

	if (level != SOL_TLS)
		return ctx->sk_proto->setsockopt(sk, level, optname, optval,
						 optlen);
	return ctls_setsockopt_tls(sk, optname, optval, optlen);
}

/* 7.x reads optlen before it looks at the option (compat.h). */
static int ctls_getsockopt_optlen(int __user *optlen)
{
	int len;

	if (!CTLS_GETSOCKOPT_OPTLEN_FIRST)
		return 0;
	if (get_user(len, optlen))
		return -EFAULT;
	return len < 0 ? -EINVAL : 0;
}

static int ctls_getsockopt(struct sock *sk, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	struct ctls_context *ctx = ctls_ctx(sk);
	int err;

	if (level != SOL_TLS)
		return ctx->sk_proto->getsockopt(sk, level, optname, optval,
						 optlen);
	err = ctls_getsockopt_optlen(optlen);
	return err ?: ctls_getsockopt_tls(sk, optname, optval, optlen);
}

static int ctls_disconnect(struct sock *sk, int flags)
{
	return -EOPNOTSUPP;
}

static void ctls_ctx_free(struct ctls_context *ctx)
{
	mutex_destroy(&ctx->tx_lock);
	memzero_explicit(&ctx->tx_info, sizeof(ctx->tx_info));
	memzero_explicit(&ctx->rx_info, sizeof(ctx->rx_info));
	kfree_rcu(ctx, rcu);
}

static void ctls_close(struct sock *sk, long timeout)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct ctls_context *ctx = ctls_ctx(sk);

	lock_sock(sk);
	if (ctx->tx_conf == CTLS_SW) {
		ctls_tx_release(sk, ctx);
		ctls_stats_dec(sk, CTLS_CURR_TX_SW);
	}
	if (ctx->rx_conf == CTLS_SW) {
		ctls_rx_release(sk, ctx);
		ctls_stats_dec(sk, CTLS_CURR_RX_SW);
	}
	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_pointer(icsk->icsk_ulp_data, NULL);
	WRITE_ONCE(sk->sk_prot, ctx->sk_proto);
	write_unlock_bh(&sk->sk_callback_lock);
	release_sock(sk);

	ctls_tx_free(ctx);
	ctls_rx_free(ctx);
	ctx->sk_proto->close(sk, timeout);
	ctls_ctx_free(ctx);
}

/*
 * Sending on a TLS socket past the record layer: what the kernel's
 * *_locked senders would put on the wire is plaintext in the middle of the
 * record stream. Upstream leaves TCP's there; ctls refuses (docs/design.md).
 */
static int ctls_sendmsg_locked(struct sock *sk, struct msghdr *msg,
			       size_t size)
{
	return -EOPNOTSUPP;
}

#if CTLS_RECVMSG_ADDR_LEN
/* proto::recvmsg before 7.x (compat.h): the address length stays 0. */
static int ctls_proto_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
			      int flags, int *addr_len)
{
	return ctls_recvmsg(sk, msg, len, flags);
}
#else
#define ctls_proto_recvmsg ctls_recvmsg
#endif

/*
 * The socket-level operations: receiving splices, polls and read_sock see
 * records, splice_eof ends a record, and nothing sends around it.
 */
static void ctls_build_ops(struct ctls_protos *p, const struct proto_ops *base)
{
	int tx, rx;

	for (tx = 0; tx < CTLS_NUM_CONF; tx++) {
		for (rx = 0; rx < CTLS_NUM_CONF; rx++) {
			struct proto_ops *ops = &p->ops[tx][rx];

			*ops = *base;
			if (tx == CTLS_SW) {
				ops->splice_eof = ctls_splice_eof;
				ops->sendmsg_locked = ctls_sendmsg_locked;
				ctls_ops_no_sendpage_locked(ops);
			}
			if (rx != CTLS_SW)
				continue;
			ops->splice_read = ctls_splice_read;
			ops->poll = ctls_poll;
			ctls_ops_set_read_sock(ops, ctls_read_sock);
		}
	}
}

static void ctls_build_protos(struct ctls_protos *p, const struct proto *base)
{
	struct proto *b = &p->prot[CTLS_BASE][CTLS_BASE];

	*b = *base;
	b->setsockopt = ctls_setsockopt;
	b->getsockopt = ctls_getsockopt;
	b->disconnect = ctls_disconnect;
	b->close = ctls_close;

	p->prot[CTLS_SW][CTLS_BASE] = *b;
	p->prot[CTLS_SW][CTLS_BASE].sendmsg = ctls_sendmsg;
	p->prot[CTLS_SW][CTLS_BASE].splice_eof = ctls_splice_eof;
#if CTLS_HAVE_SENDPAGE
	p->prot[CTLS_SW][CTLS_BASE].sendpage = ctls_sendpage;
#endif
	p->prot[CTLS_BASE][CTLS_SW] = *b;
	p->prot[CTLS_BASE][CTLS_SW].recvmsg = ctls_proto_recvmsg;
	p->prot[CTLS_BASE][CTLS_SW].sock_is_readable = ctls_sock_is_readable;
	p->prot[CTLS_SW][CTLS_SW] = p->prot[CTLS_SW][CTLS_BASE];
	p->prot[CTLS_SW][CTLS_SW].recvmsg = ctls_proto_recvmsg;
	p->prot[CTLS_SW][CTLS_SW].sock_is_readable = ctls_sock_is_readable;
}

/* The set built for this base; the caller holds ctls_protos_lock or not. */
static struct ctls_protos *ctls_protos_find(const struct proto *base,
					    const struct proto_ops *base_ops)
{
	struct ctls_protos *p;

	/* Pairs with the release in ctls_protos_add(): a set found is built. */
	for (p = smp_load_acquire(&ctls_protos_head); p; p = p->next)
		if (p->base == base && p->base_ops == base_ops)
			return p;
	return NULL;
}

/* Under ctls_protos_lock: a new set, built, then published. */
static struct ctls_protos *ctls_protos_add(const struct proto *base,
					   const struct proto_ops *base_ops)
{
	struct ctls_protos *p;

	lockdep_assert_held(&ctls_protos_lock);
	if (ctls_protos_count >= CTLS_MAX_PROTOS)
		return ERR_PTR(-EOPNOTSUPP);
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return ERR_PTR(-ENOMEM);
	p->base = base;
	p->base_ops = base_ops;
	ctls_build_protos(p, base);
	ctls_build_ops(p, base_ops);
	p->next = ctls_protos_head;
	ctls_protos_count++;
	/* Publish the tables (and next) before the head that leads to them. */
	smp_store_release(&ctls_protos_head, p);
	return p;
}

/* The tables for a socket whose proto and ops are @base and @base_ops. */
static struct ctls_protos *ctls_protos_get(const struct proto *base,
					   const struct proto_ops *base_ops)
{
	struct ctls_protos *p = ctls_protos_find(base, base_ops);

	if (likely(p))
		return p;
	mutex_lock(&ctls_protos_lock);
	p = ctls_protos_find(base, base_ops);
	if (!p)
		p = ctls_protos_add(base, base_ops);
	mutex_unlock(&ctls_protos_lock);
	return p;
}

/* Module exit: no socket uses any of the sets any more. */
static void ctls_protos_free(void)
{
	struct ctls_protos *p, *next;

	mutex_lock(&ctls_protos_lock);
	for (p = ctls_protos_head; p; p = next) {
		next = p->next;
		kfree(p);
	}
	ctls_protos_head = NULL;
	ctls_protos_count = 0;
	mutex_unlock(&ctls_protos_lock);
}

static bool ctls_sk_has_psock(struct sock *sk)
{
	bool ret;

	rcu_read_lock();
	ret = sk_psock(sk);
	rcu_read_unlock();
	return ret;
}

/*
 * A socket in a BPF sockmap is refused before any table is looked at: its
 * proto is tcp_bpf's, and no table is ever built from it. The tables are
 * found (or built, which may sleep) with the socket lock held, and the
 * socket is checked again under sk_callback_lock, where the switch
 * happens.
 */
static int ctls_ulp_init(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	const struct proto *base = READ_ONCE(sk->sk_prot);
	struct ctls_context *ctx;
	struct ctls_protos *p;
	int err = 0;

	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;
	if (ctls_sk_has_psock(sk))
		return -EOPNOTSUPP;
	p = ctls_protos_get(base, READ_ONCE(sk->sk_socket->ops));
	if (IS_ERR(p))
		return PTR_ERR(p);
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	mutex_init(&ctx->tx_lock);

	write_lock_bh(&sk->sk_callback_lock);
	if (ctls_sk_has_psock(sk) || READ_ONCE(sk->sk_prot) != base ||
	    READ_ONCE(sk->sk_socket->ops) != p->base_ops) {
		err = -EOPNOTSUPP;
		goto out_unlock;
	}
	ctx->sk_proto = READ_ONCE(sk->sk_prot);
	ctx->protos = p;
	ctx->sk_write_space = sk->sk_write_space;
	ctx->tx_conf = CTLS_BASE;
	ctx->rx_conf = CTLS_BASE;
	ctx->tx_max_plain = CTLS_REC_MAX_PLAIN;
	rcu_assign_pointer(icsk->icsk_ulp_data, ctx);
	ctls_update_proto(sk, ctx);
out_unlock:
	write_unlock_bh(&sk->sk_callback_lock);
	if (err)
		kfree(ctx);
	return err;
}

/* sockmap restoring its saved proto under us (see tcp_update_ulp()). */
static void ctls_ulp_update(struct sock *sk, struct proto *p,
			    void (*write_space)(struct sock *sk))
{
	struct ctls_context *ctx = ctls_ctx(sk);

	if (likely(ctx)) {
		ctx->sk_write_space = write_space;
		ctx->sk_proto = p;
		return;
	}
	WRITE_ONCE(sk->sk_prot, p);
	sk->sk_write_space = write_space;
}

static u16 ctls_user_conf(u8 conf)
{
	return conf == CTLS_SW ? TLS_CONF_SW : TLS_CONF_BASE;
}

static int ctls_put_info(struct sk_buff *skb, const struct ctls_context *ctx)
{
	const struct ctls_cipher *cipher = READ_ONCE(ctx->cipher);
	u16 version = READ_ONCE(ctx->rec.version);
	int err = 0;

	if (version)
		err = nla_put_u16(skb, TLS_INFO_VERSION, version);
	if (!err && cipher)
		err = nla_put_u16(skb, TLS_INFO_CIPHER, cipher->type);
	if (!err)
		err = nla_put_u16(skb, TLS_INFO_TXCONF,
				  ctls_user_conf(READ_ONCE(ctx->tx_conf)));
	if (!err)
		err = nla_put_u16(skb, TLS_INFO_RXCONF,
				  ctls_user_conf(READ_ONCE(ctx->rx_conf)));
	if (!err && READ_ONCE(ctx->rx_no_pad))
		err = nla_put_flag(skb, TLS_INFO_RX_NO_PAD);
	/* 6.19's attribute, on every kernel: ctls has the option on all. */
	if (!err)
		err = nla_put_u16(skb, TLS_INFO_TX_MAX_PAYLOAD_LEN,
				  READ_ONCE(ctx->tx_max_plain));
	return err;
}

/*
 * Upstream's tls (6.15 on, where the kernel asks) shows its info to every
 * user: versions, ciphers and modes are no secret. So does ctls.
 */
static int ctls_ulp_get_info(struct sock *sk, struct sk_buff *skb,
			     bool net_admin)
{
	struct ctls_context *ctx;
	struct nlattr *start;
	int err = 0;

	start = nla_nest_start_noflag(skb, INET_ULP_INFO_TLS);
	if (!start)
		return -EMSGSIZE;

	/* A context already gone leaves no nest at all, as upstream. */
	rcu_read_lock();
	ctx = rcu_dereference(inet_csk(sk)->icsk_ulp_data);
	if (ctx)
		err = ctls_put_info(skb, ctx);
	rcu_read_unlock();

	if (err || !ctx) {
		nla_nest_cancel(skb, start);
		return err;
	}
	nla_nest_end(skb, start);
	return 0;
}

static size_t ctls_ulp_get_info_size(const struct sock *sk, bool net_admin)
{
	return nla_total_size(0) +		/* INET_ULP_INFO_TLS */
	       nla_total_size(sizeof(u16)) +	/* TLS_INFO_VERSION */
	       nla_total_size(sizeof(u16)) +	/* TLS_INFO_CIPHER */
	       nla_total_size(sizeof(u16)) +	/* TLS_INFO_TXCONF */
	       nla_total_size(sizeof(u16)) +	/* TLS_INFO_RXCONF */
	       nla_total_size(0) +		/* TLS_INFO_ZC_RO_TX */
	       nla_total_size(0) +		/* TLS_INFO_RX_NO_PAD */
	       nla_total_size(sizeof(u16));	/* TLS_INFO_TX_MAX_PAYLOAD_LEN */
}

#if CTLS_ULP_INFO_NET_ADMIN
#define ctls_ulp_ops_get_info		ctls_ulp_get_info
#define ctls_ulp_ops_get_info_size	ctls_ulp_get_info_size
#else
/* Before 6.15 (compat.h) the kernel asks only for CAP_NET_ADMIN users. */
static int ctls_ulp_ops_get_info(struct sock *sk, struct sk_buff *skb)
{
	return ctls_ulp_get_info(sk, skb, true);
}

static size_t ctls_ulp_ops_get_info_size(const struct sock *sk)
{
	return ctls_ulp_get_info_size(sk, true);
}
#endif

static struct tcp_ulp_ops ctls_ulp_ops __read_mostly = {
	.owner		= THIS_MODULE,
	.init		= ctls_ulp_init,
	.update		= ctls_ulp_update,
	.get_info	= ctls_ulp_ops_get_info,
	.get_info_size	= ctls_ulp_ops_get_info_size,
};

int ctls_ulp_register(const char *name)
{
	int err;

	strscpy(ctls_ulp_ops.name, name, sizeof(ctls_ulp_ops.name));
	err = tcp_register_ulp(&ctls_ulp_ops);
	if (err == -EEXIST)
		pr_err("TCP ULP \"%s\" is already registered (is the stock tls module loaded?); load ctls with ulp_name=<another name>, e.g. ulp_name=ctls\n",
		       name);
	return err;
}

void ctls_ulp_unregister(void)
{
	tcp_unregister_ulp(&ctls_ulp_ops);
	ctls_protos_free();
}
