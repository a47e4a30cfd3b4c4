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

enum { CTLS_V4, CTLS_V6, CTLS_NUM_FAMILIES };

/* The proto a socket gets for each (tx_conf, rx_conf), per address family. */
struct ctls_protos {
	const struct proto *base;
	struct proto prot[CTLS_NUM_CONF][CTLS_NUM_CONF];
	struct proto_ops ops[CTLS_NUM_CONF][CTLS_NUM_CONF];
};

static struct ctls_protos ctls_protos[CTLS_NUM_FAMILIES];
static DEFINE_MUTEX(ctls_protos_lock);

static int ctls_family(const struct sock *sk)
{
	return sk->sk_family == AF_INET6 ? CTLS_V6 : CTLS_V4;
}

void ctls_update_proto(struct sock *sk, struct ctls_context *ctx)
{
	struct ctls_protos *p = &ctls_protos[ctls_family(sk)];

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

static int ctls_getsockopt(struct sock *sk, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	struct ctls_context *ctx = ctls_ctx(sk);

	if (level != SOL_TLS)
		return ctx->sk_proto->getsockopt(sk, level, optname, optval,
						 optlen);
	return ctls_getsockopt_tls(sk, optname, optval, optlen);
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

/* The socket-level operations: receiving splices and polls see records. */
static void ctls_build_ops(struct ctls_protos *p, const struct proto_ops *base)
{
	int tx, rx;

	for (tx = 0; tx < CTLS_NUM_CONF; tx++) {
		for (rx = 0; rx < CTLS_NUM_CONF; rx++) {
			struct proto_ops *ops = &p->ops[tx][rx];

			*ops = *base;
			if (rx != CTLS_SW)
				continue;
			ops->splice_read = ctls_splice_read;
			ops->poll = ctls_poll;
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
	p->prot[CTLS_BASE][CTLS_SW].recvmsg = ctls_recvmsg;
	p->prot[CTLS_BASE][CTLS_SW].sock_is_readable = ctls_sock_is_readable;
	p->prot[CTLS_SW][CTLS_SW] = p->prot[CTLS_SW][CTLS_BASE];
	p->prot[CTLS_SW][CTLS_SW].recvmsg = ctls_recvmsg;
	p->prot[CTLS_SW][CTLS_SW].sock_is_readable = ctls_sock_is_readable;
}

/*
 * tcpv6_prot may be rebuilt by tcp_bpf or live in another module, so the
 * tables are (re)built whenever a socket shows a base proto not seen before.
 */
static void ctls_prepare_protos(struct sock *sk)
{
	struct ctls_protos *p = &ctls_protos[ctls_family(sk)];
	const struct proto *base = READ_ONCE(sk->sk_prot);

	/* Pairs with the release below: a matching base means built tables. */
	if (likely(smp_load_acquire(&p->base) == base))
		return;

	mutex_lock(&ctls_protos_lock);
	if (p->base != base) {
		ctls_build_protos(p, base);
		ctls_build_ops(p, READ_ONCE(sk->sk_socket->ops));
		/* Publish the tables before the base that selects them. */
		smp_store_release(&p->base, base);
	}
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

static int ctls_ulp_init(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct ctls_context *ctx;
	int err = 0;

	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;

	ctls_prepare_protos(sk);
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	mutex_init(&ctx->tx_lock);

	write_lock_bh(&sk->sk_callback_lock);
	if (ctls_sk_has_psock(sk)) {
		err = -EOPNOTSUPP;
		goto out_unlock;
	}
	ctx->sk_proto = READ_ONCE(sk->sk_prot);
	ctx->sk_write_space = sk->sk_write_space;
	ctx->tx_conf = CTLS_BASE;
	ctx->rx_conf = CTLS_BASE;
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
	return err;
}

static int ctls_ulp_get_info(struct sock *sk, struct sk_buff *skb)
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

static size_t ctls_ulp_get_info_size(const struct sock *sk)
{
	return nla_total_size(0) +		/* INET_ULP_INFO_TLS */
	       nla_total_size(sizeof(u16)) +	/* TLS_INFO_VERSION */
	       nla_total_size(sizeof(u16)) +	/* TLS_INFO_CIPHER */
	       nla_total_size(sizeof(u16)) +	/* TLS_INFO_TXCONF */
	       nla_total_size(sizeof(u16)) +	/* TLS_INFO_RXCONF */
	       nla_total_size(0) +		/* TLS_INFO_ZC_RO_TX */
	       nla_total_size(0);		/* TLS_INFO_RX_NO_PAD */
}

static struct tcp_ulp_ops ctls_ulp_ops __read_mostly = {
	.owner		= THIS_MODULE,
	.init		= ctls_ulp_init,
	.update		= ctls_ulp_update,
	.get_info	= ctls_ulp_get_info,
	.get_info_size	= ctls_ulp_get_info_size,
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
}
