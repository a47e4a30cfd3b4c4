// SPDX-License-Identifier: GPL-2.0
/*
 * ctls_rstest: the kernel's own way of reading a TLS socket, tried from
 * inside a guest. Loaded with ulp=NAME, it opens loopback TCP pairs in the
 * kernel, attaches the TCP ULP NAME (stock tls.ko as "tls", ctls as
 * "ctls"), installs keys as tlshd would, sends records from one end and
 * reads the other end through sock->ops->read_sock, as nvme-tcp does (the
 * socket locked, an actor per record). Each step prints one line, prefixed
 * "ctls_rstest: NAME: "; inkernel/readsock.sh compares stock's lines with
 * ctls's. It also prints which members of the socket's proto and
 * proto_ops the ULP replaced, for each configuration, so that the tables
 * can be compared with upstream's.
 *
 * Test code: it never runs outside a QEMU guest.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/in.h>
#include <linux/tls.h>
#include <linux/vmalloc.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/inet_common.h>
#include <net/ipv6.h>

#include "compat.h"

static char *ulp = "tls";
module_param(ulp, charp, 0444);
MODULE_PARM_DESC(ulp, "TCP ULP to test (tls: stock, ctls: ctls)");

static bool ctls_only;
module_param(ctls_only, bool, 0444);
MODULE_PARM_DESC(ctls_only, "also run the cases only ctls defines");

#define RS_MAX		(64 * 1024)
#define RS_CALLS	160

struct rs_pair {
	struct socket *lsn, *cli, *srv;
};

/* What the actor does with what it is offered. */
enum rs_mode { RS_ALL, RS_ZERO, RS_ERR };

struct rs_actor {
	enum rs_mode mode;
	size_t limit;		/* at most this much per call (0: all) */
	size_t stop_after;	/* desc->count = 0 once this much is read */
	size_t total;
	u8 *buf;
	char calls[RS_CALLS];
	size_t calls_len;
};

static u8 *rs_sent;		/* the pattern every case sends from */

static int rs_actor(read_descriptor_t *desc, struct sk_buff *skb,
		    unsigned int offset, size_t len)
{
	struct rs_actor *a = desc->arg.data;
	size_t n = len;

	if (a->calls_len < RS_CALLS)
		a->calls_len += scnprintf(a->calls + a->calls_len,
					  RS_CALLS - a->calls_len, "%s%zu",
					  a->calls_len ? "," : "", len);
	if (a->mode == RS_ZERO)
		return 0;
	if (a->mode == RS_ERR)
		return -ENOSPC;
	if (a->limit)
		n = min(n, a->limit);
	n = min_t(size_t, n, RS_MAX - a->total);
	if (skb_copy_bits(skb, offset, a->buf + a->total, n))
		return -EFAULT;
	a->total += n;
	if (a->stop_after && a->total >= a->stop_after)
		desc->count = 0;
	return n;
}

static void rs_pair_close(struct rs_pair *p)
{
	if (p->srv)
		sock_release(p->srv);
	if (p->cli)
		sock_release(p->cli);
	if (p->lsn)
		sock_release(p->lsn);
	memset(p, 0, sizeof(*p));
}

/* SO_RCVBUF for the next pairs' server sockets (0: the default). */
static int rs_rcvbuf;

static int rs_pair_open(struct rs_pair *p)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int err;

	memset(p, 0, sizeof(*p));
	err = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &p->lsn);
	if (!err && rs_rcvbuf)
		sock_set_rcvbuf(p->lsn->sk, rs_rcvbuf);
	err = err ?: kernel_bind(p->lsn, ctls_kaddr(&a), sizeof(a));
	err = err ?: kernel_listen(p->lsn, 1);
	if (!err && kernel_getsockname(p->lsn, (struct sockaddr *)&a) < 0)
		err = -EINVAL;
	err = err ?: sock_create_kern(&init_net, AF_INET, SOCK_STREAM,
				      IPPROTO_TCP, &p->cli);
	err = err ?: kernel_connect(p->cli, ctls_kaddr(&a), sizeof(a),
				    0);
	err = err ?: kernel_accept(p->lsn, &p->srv, 0);
	if (err)
		rs_pair_close(p);
	return err;
}

static int rs_setsockopt(struct socket *s, int level, int name,
			 const void *val, unsigned int len)
{
	return s->ops->setsockopt(s, level, name, KERNEL_SOCKPTR((void *)val),
				  len);
}

static int rs_ulp(struct socket *s)
{
	return rs_setsockopt(s, SOL_TCP, TCP_ULP, ulp, strlen(ulp));
}

/*
 * Keys go in through user memory, as tlshd's setsockopt() puts them in for
 * the kernel's own consumers: rs_init() runs in insmod's process, which
 * has an address space. (With a kernel sockptr, stock 7.x's
 * tls_setsockopt() trips FORTIFY_SOURCE: a field-spanning memcpy() in
 * copy_from_sockptr_offset(), a false positive, but a WARNING.)
 */
static int rs_key(struct socket *s, int dir, u16 version)
{
	struct tls12_crypto_info_aes_gcm_128 ci = {
		.info.version = version,
		.info.cipher_type = TLS_CIPHER_AES_GCM_128,
	};
	unsigned long uaddr;
	void __user *u;
	int err;

	memset(ci.key, 0x11, sizeof(ci.key));
	memset(ci.iv, 0x22, sizeof(ci.iv));
	memset(ci.salt, 0x33, sizeof(ci.salt));
	uaddr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (IS_ERR_VALUE(uaddr))
		return (int)uaddr;
	u = (void __user *)uaddr;
	err = copy_to_user(u, &ci, sizeof(ci)) ? -EFAULT : 0;
	err = err ?: s->ops->setsockopt(s, SOL_TLS, dir, USER_SOCKPTR(u),
					sizeof(ci));
	vm_munmap(uaddr, PAGE_SIZE);
	return err;
}

/* A TLS pair: the client sends records, the server receives them. */
static int rs_tls_open(struct rs_pair *p, u16 version)
{
	int err = rs_pair_open(p);

	err = err ?: rs_ulp(p->cli);
	err = err ?: rs_key(p->cli, TLS_TX, version);
	err = err ?: rs_ulp(p->srv);
	err = err ?: rs_key(p->srv, TLS_RX, version);
	if (err) {
		pr_info("%s: pair: error %d\n", ulp, err);
		rs_pair_close(p);
	}
	return err;
}

/* Send @len bytes of the pattern from @off as one record of @type. */
static int rs_send(struct rs_pair *p, size_t off, size_t len, u8 type)
{
	u8 cbuf[CMSG_SPACE(sizeof(type))] __aligned(sizeof(long)) = {};
	struct kvec iov = { .iov_base = rs_sent + off, .iov_len = len };
	struct msghdr msg = {};
	struct cmsghdr *cmsg;

	if (type != 23) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_TLS;
		cmsg->cmsg_type = TLS_SET_RECORD_TYPE;
		cmsg->cmsg_len = CMSG_LEN(sizeof(type));
		*(u8 *)CMSG_DATA(cmsg) = type;
	}
	return kernel_sendmsg(p->cli, &msg, &iov, 1, len);
}

/* Raw bytes from a client without the ULP. */
static int rs_send_raw(struct rs_pair *p, const void *buf, size_t len)
{
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {};

	return kernel_sendmsg(p->cli, &msg, &iov, 1, len);
}

/* Loopback delivers within the send; a little slack for the softirq. */
static void rs_settle(void)
{
	msleep(20);
}

/*
 * One read_sock call on the server with actor @a: prints its result, the
 * lengths offered, whether the bytes read so far are those sent from
 * @off, and the socket error left.
 */
static int rs_read(struct rs_pair *p, const char *step, struct rs_actor *a,
		   size_t off)
{
	struct sock *sk = p->srv->sk;
	read_descriptor_t desc = { .arg.data = a, .count = 1 };
	bool same;
	int ret;

	a->calls_len = 0;
	a->calls[0] = 0;
	lock_sock(sk);
	ret = p->srv->ops->read_sock(sk, &desc, rs_actor);
	release_sock(sk);
	same = !memcmp(a->buf, rs_sent + off, a->total);
	pr_info("%s: %s: read_sock %d offered [%s] total %zu %s sk_err %d\n",
		ulp, step, ret, a->calls, a->total, same ? "same" : "DIFFERENT",
		READ_ONCE(sk->sk_err));
	return ret;
}

/* recvmsg on the server, MSG_DONTWAIT: result and record type. */
static void rs_recv(struct rs_pair *p, const char *step, size_t len)
{
	u8 cbuf[CMSG_SPACE(sizeof(u8))] __aligned(sizeof(long)) = {};
	struct kvec iov = { .iov_base = vmalloc(len), .iov_len = len };
	struct msghdr msg = {
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = (struct cmsghdr *)cbuf;
	int ret, type = -1;

	if (!iov.iov_base)
		return;
	ret = kernel_recvmsg(p->srv, &msg, &iov, 1, len, MSG_DONTWAIT);
	if (cmsg->cmsg_level == SOL_TLS &&
	    cmsg->cmsg_type == TLS_GET_RECORD_TYPE)
		type = *(u8 *)CMSG_DATA(cmsg);
	pr_info("%s: %s: recvmsg %d type %d\n", ulp, step, ret, type);
	vfree(iov.iov_base);
}

static void rs_actor_reset(struct rs_actor *a, enum rs_mode mode)
{
	u8 *buf = a->buf;

	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->mode = mode;
}

/* Data records of 1000, 16384 and 1 bytes, read in one call. */
static void rs_case_data(struct rs_pair *p, struct rs_actor *a)
{
	rs_send(p, 0, 1000, 23);
	rs_send(p, 1000, 16384, 23);
	rs_send(p, 17384, 1, 23);
	rs_settle();
	rs_read(p, "data", a, 0);
	rs_read(p, "data again", a, 0);
}

/*
 * read_sock again, up to @tries times, until @want bytes are there; then
 * what came, against what was sent.
 */
static void rs_read_until(struct rs_pair *p, struct rs_actor *a,
			  const char *what, size_t want, int tries)
{
	read_descriptor_t desc = { .arg.data = a };
	struct sock *sk = p->srv->sk;
	int i;

	for (i = 0; i < tries && a->total < want; i++) {
		rs_settle();
		desc.count = 1;
		lock_sock(sk);
		p->srv->ops->read_sock(sk, &desc, rs_actor);
		release_sock(sk);
	}
	pr_info("%s: %s: total %zu %s sk_err %d\n", ulp, what, a->total,
		memcmp(a->buf, rs_sent, a->total) ? "DIFFERENT" : "same",
		READ_ONCE(sk->sk_err));
}

/*
 * 64 KiB in full records, more than TCP's first window: read_sock again
 * until all of it is there (how many calls that takes is timing).
 */
static void rs_case_bulk(struct rs_pair *p, struct rs_actor *a)
{
	size_t off;

	for (off = 0; off < RS_MAX; off += 16384)
		rs_send(p, off, 16384, 23);
	rs_read_until(p, a, "bulk", RS_MAX, 100);
}

/* A control record between data records: it ends the call. */
static void rs_case_control(struct rs_pair *p, struct rs_actor *a)
{
	rs_send(p, 0, 100, 23);
	rs_send(p, 100, 2, 21);
	rs_send(p, 102, 200, 23);
	rs_settle();
	rs_read(p, "control: before", a, 0);
	rs_read(p, "control: at", a, 0);
	rs_recv(p, "control: recvmsg", 100);
	rs_actor_reset(a, RS_ALL);
	rs_read(p, "control: after", a, 102);
}

/* The actor takes 100 bytes and says it wants no more. */
static void rs_case_partial(struct rs_pair *p, struct rs_actor *a)
{
	rs_send(p, 0, 1000, 23);
	rs_send(p, 1000, 500, 23);
	rs_settle();
	a->limit = 100;
	a->stop_after = 100;
	rs_read(p, "partial: first", a, 0);
	a->limit = 0;
	a->stop_after = 0;
	rs_read(p, "partial: rest", a, 0);
}

static void rs_case_zero(struct rs_pair *p, struct rs_actor *a)
{
	rs_send(p, 0, 1000, 23);
	rs_settle();
	rs_read(p, "zero", a, 0);
	rs_recv(p, "zero: recvmsg", 2000);
}

static void rs_case_error(struct rs_pair *p, struct rs_actor *a)
{
	rs_send(p, 0, 1000, 23);
	rs_send(p, 1000, 1000, 23);
	rs_settle();
	rs_read(p, "error", a, 0);
	rs_recv(p, "error: recvmsg", 4000);
}

static void rs_case_empty(struct rs_pair *p, struct rs_actor *a)
{
	rs_read(p, "nothing sent", a, 0);
}

static void rs_case_eof(struct rs_pair *p, struct rs_actor *a)
{
	rs_send(p, 0, 300, 23);
	kernel_sock_shutdown(p->cli, SHUT_WR);
	rs_settle();
	rs_read(p, "eof: data", a, 0);
	rs_read(p, "eof: end", a, 0);
}

static void rs_case_ctrl_first(struct rs_pair *p, struct rs_actor *a)
{
	rs_send(p, 0, 5, 22);
	rs_settle();
	rs_read(p, "control first", a, 0);
	rs_recv(p, "control first: recvmsg", 100);
}

/* Not a word to the ULP: nvme-tcp's data_ready only schedules its work. */
static void rs_data_ready(struct sock *sk)
{
}

/*
 * As nvme-tcp uses the socket: its own data_ready (the ULP's is not
 * called), and a receive buffer smaller than a record, which can only
 * complete if the reader moves what is there out of TCP.
 */
static void rs_case_pressure(struct rs_pair *p, struct rs_actor *a)
{
	struct sock *sk = p->srv->sk;
	int big = 1 << 20;

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_data_ready = rs_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	sock_setsockopt(p->cli, SOL_SOCKET, SO_SNDBUF, KERNEL_SOCKPTR(&big),
			sizeof(big));
	rs_send(p, 0, 16384, 23);
	rs_send(p, 16384, 16384, 23);
	rs_read_until(p, a, "pressure", 32768, 200);
}

/* ctls only: an actor that takes 300 bytes a call is offered the rest. */
static void rs_case_nibble(struct rs_pair *p, struct rs_actor *a)
{
	rs_send(p, 0, 1000, 23);
	rs_send(p, 1000, 200, 23);
	rs_settle();
	a->limit = 300;
	rs_read(p, "nibble", a, 0);
}

struct rs_case {
	const char *name;
	void (*run)(struct rs_pair *p, struct rs_actor *a);
	enum rs_mode mode;
	bool ctls_only;
	int rcvbuf;
};

static const struct rs_case rs_cases[] = {
	{ "data", rs_case_data, RS_ALL },
	{ "bulk", rs_case_bulk, RS_ALL },
	{ "control", rs_case_control, RS_ALL },
	{ "partial", rs_case_partial, RS_ALL },
	{ "zero", rs_case_zero, RS_ZERO },
	{ "error", rs_case_error, RS_ERR },
	{ "empty", rs_case_empty, RS_ALL },
	{ "eof", rs_case_eof, RS_ALL },
	{ "control first", rs_case_ctrl_first, RS_ALL },
	{ "pressure", rs_case_pressure, RS_ALL, false, 8192 },
	{ "nibble", rs_case_nibble, RS_ALL, true },
};

/* A record that fails to authenticate, from a client without keys. */
static void rs_case_bad(struct rs_actor *a, u16 version)
{
	static const u8 hdr[5] = { 23, 3, 3, 0, 40 };
	u8 rec[45];
	struct rs_pair p;
	int err;

	err = rs_pair_open(&p);
	err = err ?: rs_ulp(p.srv);
	err = err ?: rs_key(p.srv, TLS_RX, version);
	if (err) {
		pr_info("%s: bad record: pair: error %d\n", ulp, err);
		rs_pair_close(&p);
		return;
	}
	rs_send_raw(&p, hdr, 3);
	rs_settle();
	rs_read(&p, "bad record: part of the header", a, 0);
	memcpy(rec, hdr, sizeof(hdr));
	memset(rec + sizeof(hdr), 0x5a, sizeof(rec) - sizeof(hdr));
	rs_send_raw(&p, rec + 3, sizeof(rec) - 3);
	rs_settle();
	rs_read(&p, "bad record", a, 0);
	rs_read(&p, "bad record again", a, 0);
	rs_pair_close(&p);
}

static void rs_run_cases(struct rs_actor *a, u16 version)
{
	struct rs_pair p;
	int i, err;

	if (rs_tls_open(&p, version))
		return;
	i = p.srv->ops->read_sock == inet_stream_ops.read_sock;
	rs_pair_close(&p);
	/* 6.1: TCP's read_sock on both, which reads the ciphertext. */
	if (i) {
		pr_info("%s: TLS 1.%d: read_sock is TCP's\n", ulp,
			version == TLS_1_2_VERSION ? 2 : 3);
		return;
	}

	for (i = 0; i < ARRAY_SIZE(rs_cases); i++) {
		const struct rs_case *c = &rs_cases[i];

		if (c->ctls_only && !ctls_only)
			continue;
		pr_info("%s: case %s, TLS 1.%d\n", ulp, c->name,
			version == TLS_1_2_VERSION ? 2 : 3);
		rs_rcvbuf = c->rcvbuf;
		err = rs_tls_open(&p, version);
		rs_rcvbuf = 0;
		if (err)
			continue;
		rs_actor_reset(a, c->mode);
		c->run(&p, a);
		rs_pair_close(&p);
	}
	rs_actor_reset(a, RS_ALL);
	pr_info("%s: case bad record, TLS 1.%d\n", ulp,
		version == TLS_1_2_VERSION ? 2 : 3);
	rs_case_bad(a, version);
}

/*
 * The proto and proto_ops members the ULP replaced, by name: every
 * pointer-sized slot that differs from TCP's.
 */
#define RS_P(m)	{ offsetof(typeof(tcp_prot), m), #m }
#define RS_O(m)	{ offsetof(typeof(inet_stream_ops), m), #m }

struct rs_member {
	size_t off;
	const char *name;
};

static const struct rs_member rs_proto_members[] = {
	RS_P(close), RS_P(connect),
	RS_P(disconnect), RS_P(accept),
	RS_P(ioctl), RS_P(init),
	RS_P(destroy), RS_P(shutdown),
	RS_P(setsockopt), RS_P(getsockopt),
	RS_P(sendmsg), RS_P(recvmsg),
	RS_P(splice_eof), RS_P(bind),
	RS_P(backlog_rcv), RS_P(release_cb),
	RS_P(hash), RS_P(unhash),
	RS_P(get_port), RS_P(sock_is_readable),
	RS_P(psock_update_sk_prot),
#if CTLS_HAVE_SENDPAGE
	RS_P(sendpage),
#endif
};

static const struct rs_member rs_ops_members[] = {
	RS_O(release), RS_O(bind),
	RS_O(connect), RS_O(accept),
	RS_O(getname), RS_O(poll),
	RS_O(ioctl), RS_O(listen),
	RS_O(shutdown), RS_O(setsockopt),
	RS_O(getsockopt), RS_O(sendmsg),
	RS_O(recvmsg), RS_O(mmap),
	RS_O(splice_read), RS_O(splice_eof),
	RS_O(set_peek_off), RS_O(peek_len),
	RS_O(read_sock), RS_O(read_skb),
	RS_O(sendmsg_locked),
	RS_O(set_rcvlowat),
#if CTLS_HAVE_SENDPAGE
	RS_O(sendpage),
	RS_O(sendpage_locked),
#endif
};

static const char *rs_member_name(const struct rs_member *m, int n,
				  size_t off)
{
	int i;

	for (i = 0; i < n; i++)
		if (m[i].off == off)
			return m[i].name;
	return "?";
}

/* "name,name,..." of the slots of @len bytes at @t that differ from @base. */
static void rs_diff(char *out, size_t size, const void *t, const void *base,
		    size_t len, const struct rs_member *m, int n)
{
	size_t off, used = 0;

	out[0] = 0;
	for (off = 0; off + sizeof(void *) <= len; off += sizeof(void *)) {
		if (!memcmp(t + off, base + off, sizeof(void *)))
			continue;
		used += scnprintf(out + used, size - used, "%s%s",
				  used ? "," : "", rs_member_name(m, n, off));
	}
}

static void rs_tables(const char *conf, struct socket *s)
{
	char buf[256];

	rs_diff(buf, sizeof(buf), s->sk->sk_prot, &tcp_prot,
		sizeof(tcp_prot), rs_proto_members,
		ARRAY_SIZE(rs_proto_members));
	pr_info("%s: tables %s: proto [%s]\n", ulp, conf, buf);
	rs_diff(buf, sizeof(buf), s->ops, &inet_stream_ops,
		sizeof(inet_stream_ops), rs_ops_members,
		ARRAY_SIZE(rs_ops_members));
	pr_info("%s: tables %s: proto_ops [%s]\n", ulp, conf, buf);
}

/* A pair over IPv6: native (::1) or IPv4-mapped (::ffff:127.0.0.1). */
static int rs_pair_open6(struct rs_pair *p, bool mapped)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	int err;

	memset(p, 0, sizeof(*p));
	err = sock_create_kern(&init_net, AF_INET6, SOCK_STREAM, IPPROTO_TCP,
			       &p->lsn);
	err = err ?: kernel_bind(p->lsn, ctls_kaddr(&a), sizeof(a));
	err = err ?: kernel_listen(p->lsn, 1);
	if (!err && kernel_getsockname(p->lsn, (struct sockaddr *)&a) < 0)
		err = -EINVAL;
	if (mapped) {
		a.sin6_addr.s6_addr32[2] = htonl(0xffff);
		a.sin6_addr.s6_addr32[3] = htonl(INADDR_LOOPBACK);
	} else {
		a.sin6_addr = in6addr_loopback;
	}
	err = err ?: sock_create_kern(&init_net, AF_INET6, SOCK_STREAM,
				      IPPROTO_TCP, &p->cli);
	err = err ?: kernel_connect(p->cli, ctls_kaddr(&a), sizeof(a),
				    0);
	err = err ?: kernel_accept(p->lsn, &p->srv, 0);
	if (err)
		rs_pair_close(p);
	return err;
}

/*
 * A native IPv6 socket with the ULP, then an IPv4-mapped one (printed: its
 * proto, which is tcpv6_prot on 6.1 and 6.12): the first socket's table
 * must still be built from tcpv6_prot.
 */
static void rs_run_tables6(void)
{
	struct rs_pair n, m;
	char buf[256];
	int err;

	if (rs_pair_open6(&n, false))
		return;
	err = rs_ulp(n.cli);
	if (!err && !rs_pair_open6(&m, true)) {
		pr_info("%s: v4-mapped client proto: %s\n", ulp,
			m.cli->sk->sk_prot == &tcp_prot ? "tcp_prot" :
			m.cli->sk->sk_prot->name);
		rs_ulp(m.cli);
		rs_diff(buf, sizeof(buf), n.cli->sk->sk_prot,
			READ_ONCE(n.srv->sk->sk_prot), sizeof(tcp_prot),
			rs_proto_members, ARRAY_SIZE(rs_proto_members));
		pr_info("%s: v6 tables after a v4-mapped attach: proto [%s]\n",
			ulp, buf);
		rs_pair_close(&m);
	}
	rs_pair_close(&n);
}

static void rs_run_tables(void)
{
	struct rs_pair p;

	if (rs_pair_open(&p))
		return;
	if (!rs_ulp(p.cli) && !rs_ulp(p.srv)) {
		rs_tables("base", p.cli);
		rs_key(p.cli, TLS_TX, TLS_1_2_VERSION);
		rs_key(p.srv, TLS_RX, TLS_1_2_VERSION);
		rs_tables("tx", p.cli);
		rs_tables("rx", p.srv);
		rs_key(p.cli, TLS_RX, TLS_1_2_VERSION);
		rs_tables("tx+rx", p.cli);
	}
	rs_pair_close(&p);
}

static void rs_write_space(struct sock *sk)
{
}

/*
 * A kernel user that puts its own callbacks back before it releases the
 * socket (sunrpc's xs_restore_old_callbacks()): the ULP's close must leave
 * sk_write_space as the user set it. TCP's own goes back afterwards, so
 * that nothing of this module is left in a socket that outlives it.
 */
static void rs_run_write_space(void)
{
	void (*tcp_write_space)(struct sock *sk);
	struct rs_pair p;
	struct sock *sk;
	bool kept;

	if (rs_tls_open(&p, TLS_1_2_VERSION))
		return;
	/* TCP's own (not exported): the listener has no ULP */
	tcp_write_space = READ_ONCE(p.lsn->sk->sk_write_space);
	sk = p.cli->sk;
	sock_hold(sk);
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_write_space = rs_write_space;
	write_unlock_bh(&sk->sk_callback_lock);
	rs_pair_close(&p);
	write_lock_bh(&sk->sk_callback_lock);
	kept = sk->sk_write_space == rs_write_space;
	sk->sk_write_space = tcp_write_space;
	write_unlock_bh(&sk->sk_callback_lock);
	sock_put(sk);
	pr_info("%s: write_space: the user's kept at close: %s\n", ulp,
		kept ? "yes" : "no");
}

static int __init rs_init(void)
{
	struct rs_actor a = {};
	int i;

	rs_sent = vmalloc(RS_MAX);
	a.buf = vmalloc(RS_MAX);
	if (!rs_sent || !a.buf) {
		vfree(rs_sent);
		vfree(a.buf);
		return -ENOMEM;
	}
	for (i = 0; i < RS_MAX; i++)
		rs_sent[i] = i * 7 + i / 251;
	rs_run_tables();
	rs_run_tables6();
	rs_run_write_space();
	rs_run_cases(&a, TLS_1_2_VERSION);
	rs_run_cases(&a, TLS_1_3_VERSION);
	pr_info("%s: done\n", ulp);
	vfree(a.buf);
	vfree(rs_sent);
	return 0;
}

static void __exit rs_exit(void)
{
}

module_init(rs_init);
module_exit(rs_exit);
MODULE_DESCRIPTION("ctls test: read_sock and the proto tables, in a guest");
MODULE_LICENSE("GPL");
