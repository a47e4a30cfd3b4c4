// SPDX-License-Identifier: GPL-2.0
/*
 * SOL_TLS socket options. Every check, its order and its errno follow
 * upstream's tls_main.c on 6.1 and 6.12, and 7.x's for the option those
 * lack, TLS_TX_MAX_PAYLOAD_LEN (docs/uapi.md has the table).
 */
#include <linux/sockptr.h>
#include <linux/tls.h>
#include <linux/uaccess.h>
#include <net/sock.h>

#include "ctls.h"

static bool ctls_info_ready(const union ctls_crypto_info *ci)
{
	return ci->info.cipher_type != 0;
}

/* Version and cipher of a new direction, against the other direction. */
static int ctls_validate_info(const struct tls_crypto_info *ci,
			      const struct tls_crypto_info *other,
			      const struct ctls_cipher **cipher)
{
	const struct ctls_cipher *c;

	if (ci->version != TLS_1_2_VERSION && ci->version != TLS_1_3_VERSION)
		return -EINVAL;
	if (other->cipher_type &&
	    (other->version != ci->version ||
	     other->cipher_type != ci->cipher_type))
		return -EINVAL;
	c = ctls_cipher_find(ci->cipher_type);
	if (!c || (c->tls12_only && ci->version != TLS_1_2_VERSION))
		return -EINVAL;
	*cipher = c;
	return 0;
}

static int ctls_copy_info(union ctls_crypto_info *ci, union ctls_crypto_info *other,
			  sockptr_t optval, unsigned int optlen,
			  const struct ctls_cipher **cipher)
{
	int err;

	if (copy_from_sockptr(&ci->info, optval, sizeof(ci->info)))
		return -EFAULT;
	err = ctls_validate_info(&ci->info, &other->info, cipher);
	if (err)
		return err;
	if (optlen != (*cipher)->info_len)
		return -EINVAL;
	if (copy_from_sockptr_offset(&ci->info + 1, optval, sizeof(ci->info),
				     optlen - sizeof(ci->info)))
		return -EFAULT;
	return 0;
}

/*
 * A TLS 1.3 key update (upstream 6.14's UAPI): same version and cipher, a
 * new key, IV and sequence number. Nothing changes unless it all works;
 * either way the rekey counters say how it went.
 */
static int ctls_update_crypto(struct sock *sk, sockptr_t optval,
			      unsigned int optlen, bool tx)
{
	struct ctls_context *ctx = ctls_ctx(sk);
	union ctls_crypto_info *ci = tx ? &ctx->tx_info : &ctx->rx_info;
	const struct ctls_cipher *cipher;
	union ctls_crypto_info new;
	int err;

	/* Checked against this direction's keys: same version and cipher. */
	err = ctls_copy_info(&new, ci, optval, optlen, &cipher);
	if (!err)
		err = tx ? ctls_tx_rekey(sk, ctx, &new) :
			   ctls_rx_rekey(sk, ctx, &new);
	if (!err)
		*ci = new;
	memzero_explicit(&new, sizeof(new));

	if (tx)
		ctls_stats_inc(sk, err ? CTLS_TX_REKEY_ERROR : CTLS_TX_REKEY_OK);
	else
		ctls_stats_inc(sk, err ? CTLS_RX_REKEY_ERROR : CTLS_RX_REKEY_OK);
	return err;
}

static int ctls_set_crypto(struct sock *sk, sockptr_t optval,
			   unsigned int optlen, bool tx)
{
	struct ctls_context *ctx = ctls_ctx(sk);
	union ctls_crypto_info *ci = tx ? &ctx->tx_info : &ctx->rx_info;
	union ctls_crypto_info *other = tx ? &ctx->rx_info : &ctx->tx_info;
	const struct ctls_cipher *cipher;
	int err;

	if (sockptr_is_null(optval) || optlen < sizeof(struct tls_crypto_info))
		return -EINVAL;
	if (ctls_info_ready(ci) && ci->info.version == TLS_1_3_VERSION)
		return ctls_update_crypto(sk, optval, optlen, tx);
	if (ctls_info_ready(ci)) {
		/* Only TLS 1.3 keys are updated; 6.14 counts the attempt. */
		ctls_stats_inc(sk, tx ? CTLS_TX_REKEY_ERROR : CTLS_RX_REKEY_ERROR);
		return -EBUSY;
	}

	err = ctls_copy_info(ci, other, optval, optlen, &cipher);
	if (err)
		goto err_clear;

	ctx->cipher = cipher;
	ctls_cipher_rec_proto(cipher, ci->info.version, &ctx->rec);
	err = tx ? ctls_tx_init(sk, ctx) : ctls_rx_init(sk, ctx);
	if (err)
		goto err_clear;

	if (tx) {
		ctx->tx_conf = CTLS_SW;
		ctls_stats_inc(sk, CTLS_TX_SW);
		ctls_stats_inc(sk, CTLS_CURR_TX_SW);
	} else {
		ctx->rx_conf = CTLS_SW;
		ctls_stats_inc(sk, CTLS_RX_SW);
		ctls_stats_inc(sk, CTLS_CURR_RX_SW);
	}
	ctls_update_proto(sk, ctx);
	return 0;

err_clear:
	memzero_explicit(ci, sizeof(*ci));
	return err;
}

static int ctls_set_tx_zc(struct sock *sk, sockptr_t optval,
			  unsigned int optlen)
{
	unsigned int val;

	if (sockptr_is_null(optval) || optlen != sizeof(val))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (val > 1)
		return -EINVAL;
	ctls_ctx(sk)->zerocopy_ro = val;
	return 0;
}

static int ctls_set_no_pad(struct sock *sk, sockptr_t optval,
			   unsigned int optlen)
{
	struct ctls_context *ctx = ctls_ctx(sk);
	u32 val;
	int err;

	if (ctx->rec.version != TLS_1_3_VERSION || sockptr_is_null(optval) ||
	    optlen < sizeof(val))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (val > 1)
		return -EINVAL;
	err = check_zeroed_sockptr(optval, sizeof(val), optlen - sizeof(val));
	if (err < 1)
		return err ?: -EINVAL;

	lock_sock(sk);
	err = -EINVAL;
	if (ctx->rx_conf == CTLS_SW) {
		ctx->rx_no_pad = val;
		err = 0;
	}
	release_sock(sk);
	return err;
}

/*
 * TLS_TX_MAX_PAYLOAD_LEN, as 7.x's: the most plaintext per record sent,
 * RFC 8449's record_size_limit (TLS 1.3: less its inner type byte, hence
 * one less at least), refused while a record is open, whether or not
 * TLS_TX is set yet. Checks and errnos in upstream's order.
 */
static int ctls_set_tx_max(struct sock *sk, sockptr_t optval,
			   unsigned int optlen)
{
	struct ctls_context *ctx = ctls_ctx(sk);
	u16 min = CTLS_REC_MIN_LIMIT;
	u16 val;

	if (ctls_tx_rec_open(sk, ctx))
		return -EBUSY;
	if (sockptr_is_null(optval) || optlen != sizeof(val))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (ctx->rec.version == TLS_1_3_VERSION)
		min--;
	if (val < min || val > CTLS_REC_MAX_PLAIN)
		return -EINVAL;
	WRITE_ONCE(ctx->tx_max_plain, val);
	return 0;
}

/*
 * As upstream, under the socket lock alone, a TX rekey too: senders and
 * readers encrypt and decrypt only under it (tx.c, rx.c), so a sender that
 * sleeps in TCP with the socket unlocked never makes this wait.
 */
int ctls_setsockopt_tls(struct sock *sk, int optname, sockptr_t optval,
			unsigned int optlen)
{
	int err;

	switch (optname) {
	case TLS_TX:
	case TLS_RX:
		lock_sock(sk);
		err = ctls_set_crypto(sk, optval, optlen, optname == TLS_TX);
		release_sock(sk);
		return err;
	case TLS_TX_ZEROCOPY_RO:
		lock_sock(sk);
		err = ctls_set_tx_zc(sk, optval, optlen);
		release_sock(sk);
		return err;
	case TLS_RX_EXPECT_NO_PAD:
		return ctls_set_no_pad(sk, optval, optlen);
	case TLS_TX_MAX_PAYLOAD_LEN:
		lock_sock(sk);
		err = ctls_set_tx_max(sk, optval, optlen);
		release_sock(sk);
		return err;
	default:
		return -ENOPROTOOPT;
	}
}

static int ctls_get_crypto(struct sock *sk, char __user *optval,
			   int __user *optlen, bool tx)
{
	struct ctls_context *ctx = ctls_ctx(sk);
	union ctls_crypto_info *ci = tx ? &ctx->tx_info : &ctx->rx_info;
	union ctls_crypto_info out;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	/* Unsigned, as upstream compares it: a negative length passes here. */
	if (!optval || (size_t)len < sizeof(ci->info))
		return -EINVAL;
	if (!ctls_info_ready(ci))
		return -EBUSY;
	if (len == sizeof(ci->info))
		return copy_to_user(optval, &ci->info, len) ? -EFAULT : 0;
	if (len != ctx->cipher->info_len)
		return -EINVAL;

	out = *ci;
	ctls_cipher_export(ctx->cipher, tx ? ctls_tx_rec_state(ctx) :
			   ctls_rx_rec_state(ctx), &out);
	len = copy_to_user(optval, &out, len) ? -EFAULT : 0;
	memzero_explicit(&out, sizeof(out));
	return len;
}

static int ctls_get_tx_zc(struct sock *sk, char __user *optval,
			  int __user *optlen)
{
	unsigned int val = ctls_ctx(sk)->zerocopy_ro;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len != sizeof(val))
		return -EINVAL;
	return copy_to_user(optval, &val, sizeof(val)) ? -EFAULT : 0;
}

static int ctls_get_no_pad(struct sock *sk, char __user *optval,
			   int __user *optlen)
{
	struct ctls_context *ctx = ctls_ctx(sk);
	int val, len;

	if (ctx->rec.version != TLS_1_3_VERSION)
		return -EINVAL;
	if (get_user(len, optlen))
		return -EFAULT;
	if ((size_t)len < sizeof(val))
		return -EINVAL;
	if (ctx->rx_conf != CTLS_SW)
		return -EINVAL;
	val = ctx->rx_no_pad;
	if (put_user(sizeof(val), optlen))
		return -EFAULT;
	return copy_to_user(optval, &val, sizeof(val)) ? -EFAULT : 0;
}

/* The value as set, whatever the version (7.x's does not add one either). */
static int ctls_get_tx_max(struct sock *sk, char __user *optval,
			   int __user *optlen)
{
	u16 val = ctls_ctx(sk)->tx_max_plain;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if ((size_t)len < sizeof(val))
		return -EINVAL;
	if (put_user(sizeof(val), optlen))
		return -EFAULT;
	return copy_to_user(optval, &val, sizeof(val)) ? -EFAULT : 0;
}

int ctls_getsockopt_tls(struct sock *sk, int optname, char __user *optval,
			int __user *optlen)
{
	int err;

	lock_sock(sk);
	switch (optname) {
	case TLS_TX:
	case TLS_RX:
		err = ctls_get_crypto(sk, optval, optlen, optname == TLS_TX);
		break;
	case TLS_TX_ZEROCOPY_RO:
		err = ctls_get_tx_zc(sk, optval, optlen);
		break;
	case TLS_RX_EXPECT_NO_PAD:
		err = ctls_get_no_pad(sk, optval, optlen);
		break;
	case TLS_TX_MAX_PAYLOAD_LEN:
		err = ctls_get_tx_max(sk, optval, optlen);
		break;
	default:
		err = -ENOPROTOOPT;
		break;
	}
	release_sock(sk);
	return err;
}
