/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version test of ctls lives here; the rest of the code is
 * written against the names defined below.
 */
#ifndef _CTLS_COMPAT_H
#define _CTLS_COMPAT_H

#include <linux/bvec.h>
#include <linux/fs.h>
#include <linux/splice.h>
#include <linux/uio.h>
#include <linux/version.h>
#include <net/tcp.h>

/*
 * 6.5 removed proto::sendpage (splice and sendfile arrive as sendmsg with
 * MSG_SPLICE_PAGES) and let sendmsg take MSG_EOR.
 */
#if KERNEL_VERSION(6, 5, 0) > LINUX_VERSION_CODE
#define CTLS_HAVE_SENDPAGE 1
#define CTLS_POLL_WHOLE_RECORDS 0
#define CTLS_SENDMSG_FLAGS (MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL | \
			    MSG_CMSG_COMPAT)
#else
#define CTLS_HAVE_SENDPAGE 0
/* Upstream's poll stopped reporting partial records as readable. */
#define CTLS_POLL_WHOLE_RECORDS 1
#define CTLS_SENDMSG_FLAGS (MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL | \
			    MSG_CMSG_COMPAT | MSG_SPLICE_PAGES | MSG_EOR | \
			    MSG_SENDPAGE_NOPOLICY)
#endif

/*
 * A read that already gave bytes and then meets a socket error: 6.12's
 * upstream leaves the error for the next read, 6.1's consumed it.
 */
#if KERNEL_VERSION(6, 5, 0) > LINUX_VERSION_CODE
#define CTLS_RX_ERR_KEPT_AFTER_DATA 0
#else
#define CTLS_RX_ERR_KEPT_AFTER_DATA 1
#endif

/*
 * proto_ops::read_sock, how the kernel's own consumers (nvme-tcp,
 * strparser) read a socket's stream: upstream's TLS gives records there
 * since 6.6 (for nvme-tcp over TLS); 6.1's leaves TCP's, which reads the
 * ciphertext, and ctls does the same there.
 */
#if KERNEL_VERSION(6, 6, 0) > LINUX_VERSION_CODE
#define CTLS_HAVE_READ_SOCK 0
#else
#define CTLS_HAVE_READ_SOCK 1
#endif

#if CTLS_HAVE_READ_SOCK
#define ctls_ops_set_read_sock(ops, fn)	((ops)->read_sock = (fn))
#else
#define ctls_ops_set_read_sock(ops, fn)	((void)(ops), (void)(fn))
#endif

/*
 * struct proto's recvmsg lost its int *addr_len (never set by TCP's ULPs)
 * after 6.12: ctls_recvmsg() has 7.x's arguments, and older kernels' tables
 * get an adapter (ulp.c). The exact release is not pinned down here: it is
 * between 6.12 and 7.3 (the kernels ctls targets are on either side).
 */
#if KERNEL_VERSION(7, 0, 0) > LINUX_VERSION_CODE
#define CTLS_RECVMSG_ADDR_LEN 1
#else
#define CTLS_RECVMSG_ADDR_LEN 0
#endif

/*
 * 6.15 gave tcp_ulp_ops' get_info and get_info_size a net_admin argument:
 * sock_diag shows a ULP's info to users without CAP_NET_ADMIN too, and each
 * ULP says what they see (upstream's tls, all of it). Before, only
 * CAP_NET_ADMIN saw any, and the callbacks had no such argument.
 */
#if KERNEL_VERSION(6, 15, 0) > LINUX_VERSION_CODE
#define CTLS_ULP_INFO_NET_ADMIN 0
#else
#define CTLS_ULP_INFO_NET_ADMIN 1
#endif

/*
 * getsockopt(SOL_TLS) after 6.12 goes through a sockopt_t
 * (sockopt_init_user()): optlen is read before any option is looked at,
 * EFAULT if it cannot be, EINVAL if it is negative (the release is not
 * pinned down, as above).
 */
#if KERNEL_VERSION(7, 0, 0) > LINUX_VERSION_CODE
#define CTLS_GETSOCKOPT_OPTLEN_FIRST 0
#else
#define CTLS_GETSOCKOPT_OPTLEN_FIRST 1
#endif

/*
 * TLS_TX_MAX_PAYLOAD_LEN (6.19, RFC 8449's record size limit) came with
 * its diag attribute, the one after TLS_INFO_RX_NO_PAD. ctls has the
 * option on every kernel; older uapi headers lack both names.
 */
#ifndef TLS_TX_MAX_PAYLOAD_LEN
#define TLS_TX_MAX_PAYLOAD_LEN		5
#define TLS_INFO_TX_MAX_PAYLOAD_LEN	(TLS_INFO_RX_NO_PAD + 1)
#endif

/*
 * kernel_bind() and kernel_connect() take a struct sockaddr_unsized after
 * 6.12 (for inkernel/; the release is not pinned down, as above).
 */
#if KERNEL_VERSION(7, 0, 0) > LINUX_VERSION_CODE
#define ctls_kaddr(a)	((struct sockaddr *)(a))
#else
#define ctls_kaddr(a)	((struct sockaddr_unsized *)(a))
#endif

/*
 * proto_ops::sendpage_locked (gone in 6.5) sends pages past the record
 * layer: on a TLS sender it is refused.
 */
#if CTLS_HAVE_SENDPAGE
static inline int ctls_no_sendpage_locked(struct sock *sk, struct page *page,
					  int offset, size_t size, int flags)
{
	return -EOPNOTSUPP;
}

#define ctls_ops_no_sendpage_locked(ops) \
	((ops)->sendpage_locked = ctls_no_sendpage_locked)
#else
#define ctls_ops_no_sendpage_locked(ops)	((void)(ops))
#endif

/*
 * Splicing decrypted bytes into a pipe: through the file's read_iter, which
 * for a socket is recvmsg.
 */
static inline ssize_t ctls_splice_via_recvmsg(struct file *file, loff_t *ppos,
					      struct pipe_inode_info *pipe,
					      size_t len, unsigned int flags)
{
#if CTLS_HAVE_SENDPAGE
	return generic_file_splice_read(file, ppos, pipe, len, flags);
#else
	return copy_splice_read(file, ppos, pipe, len, flags);
#endif
}

/*
 * Hand @len bytes held in @bv[0..@n) to TCP without copying them (TCP takes
 * its own page references). Returns the bytes TCP took or -errno.
 */
static inline int ctls_tcp_send_pages(struct sock *sk, struct bio_vec *bv,
				      unsigned int n, size_t len, int flags)
{
#if CTLS_HAVE_SENDPAGE
	size_t done = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		int f = flags | (i + 1 < n ? MSG_SENDPAGE_NOTLAST : 0);

		ret = do_tcp_sendpages(sk, bv[i].bv_page, bv[i].bv_offset,
				       bv[i].bv_len, f);
		if (ret <= 0)
			return done ? done : ret;
		done += ret;
		if (ret < bv[i].bv_len)
			break;
	}
	return done;
#else
	struct msghdr msg = { .msg_flags = flags | MSG_SPLICE_PAGES };

	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bv, n, len);
	return tcp_sendmsg_locked(sk, &msg, len);
#endif
}

#endif /* _CTLS_COMPAT_H */
