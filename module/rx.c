// SPDX-License-Identifier: GPL-2.0
/*
 * The receive path. A receive reads top to bottom: wait until the parser
 * (framer.c) says the record at the head of the stream is whole, decrypt
 * it, hand bytes (or a control record, alone) to the caller, advance.
 * recvmsg, MSG_PEEK, splice_read and read_sock share those steps.
 *
 * A reader decrypts the record from where it lies in TCP's queue: a TLS 1.2
 * data record it has room for straight into its own buffer (no copy at
 * all, as upstream), any other into a buffer of the record's size, whose
 * plaintext waits on the "done" list until it has been read. The record
 * leaves TCP once authenticated. MSG_PEEK decrypts further records onto
 * that list without consuming any.
 *
 * One reader at a time (reader_present, under the socket lock, as
 * upstream): a reader sleeps with the socket unlocked and holds on to its
 * place in the done list across that sleep. Everything else here runs
 * under the socket lock.
 */
#include <linux/slab.h>
#include <linux/splice.h>
#include <crypto/aead.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "rx.h"

/* A reader's buffer a data record may be decrypted straight into. */
struct ctls_rx_zc {
	struct iov_iter *iter;
	size_t room;		/* bytes it can still take */
	size_t done;		/* bytes decrypted into it */
};

/* One recvmsg or splice_read call. */
struct ctls_rx_call {
	struct msghdr *msg;	/* NULL for splice_read */
	size_t len;		/* bytes asked for */
	size_t copied;		/* bytes given */
	size_t target;		/* SO_RCVLOWAT or MSG_WAITALL */
	long timeo;
	bool peek;
	u8 control;		/* the call's record type, once known */
	struct ctls_rx_rec *r;	/* peeking: the last record peeked */
	int err;		/* why the call ends, when it gave nothing */
};

/*
 * One reader at a time; the others wait, each for its SO_RCVTIMEO, as
 * upstream's. Returns with the socket locked, or -errno.
 */
static int ctls_rx_reader_lock(struct sock *sk, struct ctls_rx *rx,
			       bool nonblock)
{
	long timeo = sock_rcvtimeo(sk, nonblock);
	int ret;

	lock_sock(sk);
	while (unlikely(rx->reader_present)) {
		DEFINE_WAIT_FUNC(wait, woken_wake_function);

		rx->reader_contended = true;
		add_wait_queue(&rx->reader_wq, &wait);
		ret = sk_wait_event(sk, &timeo, !READ_ONCE(rx->reader_present),
				    &wait);
		remove_wait_queue(&rx->reader_wq, &wait);
		if (timeo <= 0)
			ret = -EAGAIN;
		else if (signal_pending(current))
			ret = sock_intr_errno(timeo);
		if (ret < 0) {
			rx->reader_turned_away = true;
			release_sock(sk);
			return ret;
		}
	}
	WRITE_ONCE(rx->reader_present, true);
	return 0;
}

/*
 * The reader is done (the socket still locked): the next may go. A reader
 * turned away meanwhile (EAGAIN, or a signal) may be about to wait in
 * epoll, edge-triggered, for records that were readable all along: no new
 * segment need ever come to wake it, so pollers are woken here. Upstream
 * loses that edge (a MSG_DONTWAIT reader behind a blocking MSG_PEEK one
 * sleeps until more data comes).
 */
static void ctls_rx_reader_done(struct sock *sk, struct ctls_rx *rx)
{
	sock_owned_by_me(sk);
	WRITE_ONCE(rx->reader_present, false);
	if (unlikely(rx->reader_contended)) {
		if (wq_has_sleeper(&rx->reader_wq))
			wake_up(&rx->reader_wq);
		else
			rx->reader_contended = false;
	}
	if (unlikely(rx->reader_turned_away)) {
		rx->reader_turned_away = false;
		rx->saved_data_ready(sk);
	}
}

static void ctls_rx_reader_unlock(struct sock *sk, struct ctls_rx *rx)
{
	ctls_rx_reader_done(sk, rx);
	release_sock(sk);
}

/* Readiness as a sleeping reader sees it, without the lock. */
static bool ctls_rx_wakeup(struct sock *sk, struct ctls_rx *rx)
{
	return (READ_ONCE(rx->ready) & CTLS_RX_WHOLE) ||
	       READ_ONCE(sk->sk_err) ||
	       (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN);
}

/* Sleep until the head record may be whole; -errno on a signal. */
static int ctls_rx_sleep(struct sock *sk, struct ctls_rx *rx, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int ret;

	add_wait_queue(sk_sleep(sk), &wait);
	sk_set_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	ret = sk_wait_event(sk, timeo, ctls_rx_wakeup(sk, rx), &wait);
	sk_clear_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	remove_wait_queue(sk_sleep(sk), &wait);
	if (signal_pending(current))
		return sock_intr_errno(*timeo);
	return min(ret, 0);
}

/* A socket error: consumed, unless the call already gave bytes. */
static int ctls_rx_sock_error(struct sock *sk, bool copied)
{
	if (copied && CTLS_RX_ERR_KEPT_AFTER_DATA)
		return -READ_ONCE(sk->sk_err);
	return sock_error(sk);
}

/*
 * Wait for the head record to be whole. 1: it is; 0: end of stream;
 * -errno. As upstream: a whole record first (a bad one again), then a
 * pending socket error, then EOF, then EAGAIN.
 */
static int ctls_rx_wait(struct sock *sk, struct ctls_rx *rx,
			struct ctls_rx_call *c)
{
	int ret;

	for (;;) {
		ctls_rx_parse(sk, rx);
		if (rx->head.state == CTLS_HEAD_WHOLE)
			return 1;
		if (sk->sk_err)
			return ctls_rx_sock_error(sk, c->copied);
		if (sk->sk_shutdown & RCV_SHUTDOWN || sock_flag(sk, SOCK_DONE))
			return 0;
		if (!c->timeo)
			return -EAGAIN;
		ret = ctls_rx_sleep(sk, rx, &c->timeo);
		if (ret)
			return ret;
	}
}

/* TLS 1.3: the content type is inside, after the content. */
static int ctls_rx_inner_type(struct ctls_rx_rec *r)
{
	int len = ctls_rec_inner_type(r->data + r->off, r->end - r->off,
				      &r->type);

	if (len < 0)
		return len;
	r->end = r->off + len;
	return 0;
}

/*
 * TLS 1.3: records after a KeyUpdate are under the peer's next key, so
 * none is decrypted until the user sets it (upstream 6.14's rule; TLS 1.2
 * has no KeyUpdate). The KeyUpdate itself is read as any control record.
 */
static void ctls_rx_key_update(struct sock *sk, struct ctls_rx *rx,
			       const struct ctls_rx_rec *r)
{
	if (r->type != CTLS_REC_TYPE_HANDSHAKE || r->end == r->off ||
	    r->data[r->off] != CTLS_HS_KEY_UPDATE)
		return;
	rx->key_pending = true;
	ctls_stats_inc(sk, CTLS_RX_REKEY_RECEIVED);
}

/*
 * Decrypt a record of @ct_len bytes of ciphertext (and its tag) from @src
 * to @dst, entry 0 of each left for the additional data. @explicit is the
 * TLS 1.2 explicit nonce. A failed authentication counts as a decrypt
 * error; a driver short of memory does not.
 */
static int ctls_rx_aead(struct sock *sk, struct ctls_context *ctx,
			const u8 *hdr, const u8 *explicit, unsigned int ct_len,
			struct scatterlist *src, struct scatterlist *dst)
{
	const struct ctls_rec_proto *p = &ctx->rec;
	struct ctls_rx *rx = ctx->rx;
	DECLARE_CRYPTO_WAIT(wait);
	unsigned int aad_len;
	int err;

	if (p->tls13) {
		memcpy(rx->aad, hdr, CTLS_REC_HDR_LEN);
		aad_len = CTLS_REC_HDR_LEN;
	} else {
		aad_len = ctls_rec_aad(p, &rx->rec, rx->aad, hdr[0], ct_len);
	}
	ctls_rec_nonce(p, &rx->rec, explicit, rx->nonce);
	sg_set_buf(&src[0], rx->aad, aad_len);
	if (dst != src)
		sg_set_buf(&dst[0], rx->aad, aad_len);

	aead_request_set_callback(rx->req, CRYPTO_TFM_REQ_MAY_BACKLOG,
				  crypto_req_done, &wait);
	aead_request_set_ad(rx->req, aad_len);
	aead_request_set_crypt(rx->req, src, dst, ct_len + p->tag_len,
			       rx->nonce);
	err = crypto_wait_req(crypto_aead_decrypt(rx->req), &wait);
	if (err == -EBADMSG)
		ctls_stats_inc(sk, CTLS_DECRYPT_ERROR);
	return err;
}

/* @r decrypted: where its plaintext is, its type, the next sequence. */
static int ctls_rx_opened(struct sock *sk, struct ctls_context *ctx,
			  struct ctls_rx_rec *r, unsigned int ct_len)
{
	const struct ctls_rec_proto *p = &ctx->rec;
	struct ctls_rx *rx = ctx->rx;
	int err;

	r->off = p->explicit_len;
	r->end = r->off + ct_len;
	r->type = r->hdr[0];
	if (p->tls13) {
		err = ctls_rx_inner_type(r);
		if (err)
			return err;
	}
	err = ctls_rec_advance(p, &rx->rec);
	if (!err && p->tls13)
		ctls_rx_key_update(sk, rx, r);
	return err;
}

/* Decrypt @r (payload of @len bytes) in place. */
static int ctls_rx_decrypt(struct sock *sk, struct ctls_context *ctx,
			   struct ctls_rx_rec *r, unsigned int len)
{
	const struct ctls_rec_proto *p = &ctx->rec;
	unsigned int ct_len = len - p->explicit_len - p->tag_len;
	struct scatterlist *sg = ctx->rx->src;
	int err;

	sg_init_table(sg, 2);
	sg_set_buf(&sg[1], r->data + p->explicit_len, ct_len + p->tag_len);
	err = ctls_rx_aead(sk, ctx, r->hdr, r->data, ct_len, sg, sg);
	return err ?: ctls_rx_opened(sk, ctx, r, ct_len);
}

static int ctls_rx_bad_record(struct sock *sk)
{
	WRITE_ONCE(sk->sk_err, EBADMSG);
	sk_error_report(sk);
	return -EBADMSG;
}

/*
 * Point rx->src at the ciphertext and tag of the record whose payload
 * (@len bytes) starts @off bytes into TCP's queue. False when it is spread
 * over too many pieces.
 */
static bool ctls_rx_src(struct sock *sk, struct ctls_context *ctx, u32 off,
			u32 len)
{
	u32 skip = ctx->rec.explicit_len;
	struct scatterlist *sg = ctx->rx->src;
	int n;

	sg_init_table(sg, CTLS_RX_SRC_SGS);
	n = ctls_rx_tcp_sg(sk, off + skip, len - skip, sg + 1,
			   CTLS_RX_SRC_SGS - 1);
	if (n < 0)
		return false;
	sg_mark_end(&sg[n]);
	return true;
}

/*
 * The record at @off in TCP (its payload, @len bytes), decrypted into a
 * new record on the done list: from where it lies in TCP when rx->src
 * points there (@from_tcp), else copied out and decrypted in place.
 */
static int ctls_rx_queue(struct sock *sk, struct ctls_context *ctx,
			 const u8 *hdr, u32 off, u32 len, bool from_tcp)
{
	const struct ctls_rec_proto *p = &ctx->rec;
	unsigned int ct_len = len - p->explicit_len - p->tag_len;
	struct ctls_rx *rx = ctx->rx;
	struct ctls_rx_rec *r;
	int err;

	r = ctls_rx_rec_alloc(sk, rx, len);
	if (!r)
		return -ENOMEM;
	memcpy(r->hdr, hdr, CTLS_REC_HDR_LEN);
	err = ctls_rx_peek(sk, off, r->data, from_tcp ? p->explicit_len : len);
	if (!err && from_tcp) {
		sg_init_table(rx->dst, 2);
		sg_set_buf(&rx->dst[1], r->data + p->explicit_len,
			   ct_len + p->tag_len);
		err = ctls_rx_aead(sk, ctx, hdr, r->data, ct_len, rx->src,
				   rx->dst);
		err = err ?: ctls_rx_opened(sk, ctx, r, ct_len);
	} else if (!err) {
		err = ctls_rx_decrypt(sk, ctx, r, len);
	}
	if (err) {
		ctls_rx_rec_free(rx, r);
		return err;
	}
	list_add_tail(&r->list, &rx->done);
	return 0;
}

/*
 * TLS 1.3 direct decryption found a record that is padded or not data: it
 * is decrypted again the usual way, counted as upstream counts it.
 */
static int ctls_rx_direct_retry(struct sock *sk, u8 tail)
{
	if (!tail)
		ctls_stats_inc(sk, CTLS_RX_NO_PAD_VIOLATION);
	ctls_stats_inc(sk, CTLS_DECRYPT_RETRY);
	return -EMSGSIZE;
}

/*
 * A data record (its ciphertext where rx->src points: in TCP, or in its
 * stage; @explicit its TLS 1.2 explicit nonce) and a reader with room for
 * all of it: decrypt it straight into the reader's buffer, as upstream
 * does. TLS 1.3 only when the user promised no padding
 * (TLS_RX_EXPECT_NO_PAD), as upstream: the inner type goes to rx->tail, and
 * a record that turns out padded or not data is decrypted again the usual
 * way. Returns the bytes delivered, or -EMSGSIZE when the record must take
 * the usual way; the reader's buffer is then where it was, as it is after
 * an error.
 */
static int ctls_rx_direct(struct sock *sk, struct ctls_context *ctx,
			  const u8 *hdr, const u8 *explicit, u32 len,
			  struct ctls_rx_zc *zc)
{
	const struct ctls_rec_proto *p = &ctx->rec;
	unsigned int ct_len = len - p->explicit_len - p->tag_len;
	unsigned int plain = ct_len - p->tls13;
	struct ctls_rx *rx = ctx->rx;
	int np, n, err;

	sg_init_table(rx->dst, CTLS_RX_DST_SGS);
	np = ctls_sg_pin(zc->iter, plain, rx->pages, CTLS_RX_PAGES,
			 rx->dst + 1);
	if (np < 0)
		return -EMSGSIZE;
	n = 1 + np;
	if (p->tls13)
		sg_set_buf(&rx->dst[n++], &rx->tail, 1);
	sg_set_buf(&rx->dst[n], rx->tag, p->tag_len);
	sg_mark_end(&rx->dst[n]);
	err = ctls_rx_aead(sk, ctx, hdr, explicit, ct_len, rx->src, rx->dst);
	ctls_sg_unpin(rx->pages, np);
	if (!err && p->tls13 && rx->tail != CTLS_REC_TYPE_DATA)
		err = ctls_rx_direct_retry(sk, rx->tail);
	err = err ?: ctls_rec_advance(p, &rx->rec);
	if (err) {
		iov_iter_revert(zc->iter, plain);
		return err;
	}
	return plain;
}

/* ctls_rx_direct() of a record whose payload starts @off bytes into TCP. */
static int ctls_rx_direct_tcp(struct sock *sk, struct ctls_context *ctx,
			      const u8 *hdr, u32 off, u32 len,
			      struct ctls_rx_zc *zc)
{
	u8 explicit[CTLS_REC_MAX_EXPLICIT];
	int err;

	err = ctls_rx_peek(sk, off, explicit, ctx->rec.explicit_len);
	return err ?: ctls_rx_direct(sk, ctx, hdr, explicit, len, zc);
}

/* Whether the record with header @hdr may go straight to @zc's reader. */
static bool ctls_rx_direct_ok(struct ctls_context *ctx, const u8 *hdr,
			      u32 len, const struct ctls_rx_zc *zc)
{
	const struct ctls_rec_proto *p = &ctx->rec;
	u32 plain = len - p->explicit_len - p->tag_len - p->tls13;

	if (!zc || hdr[0] != CTLS_REC_TYPE_DATA || !plain || plain > zc->room)
		return false;
	return !p->tls13 || ctx->rx_no_pad;
}

/*
 * The staged head record, completed from TCP: straight from its stage into
 * the reader's buffer when @zc allows (the stage is then freed; returns the
 * bytes delivered), else decrypted in place onto the done list (returns
 * 0). One that fails to authenticate stays staged (garbled by an attempt
 * in place), so that later reads fail on it as well.
 */
static int ctls_rx_take_staged(struct sock *sk, struct ctls_context *ctx,
			       struct ctls_rx_zc *zc)
{
	const struct ctls_rec_proto *p = &ctx->rec;
	struct ctls_rx *rx = ctx->rx;
	struct ctls_rx_rec *r = rx->head.stage;
	u32 len = rx->head.len;
	int ret = -EMSGSIZE;

	ctls_rx_copy_staged(sk, rx);
	if (ctls_rx_direct_ok(ctx, r->hdr, len, zc)) {
		sg_init_table(rx->src, 2);
		sg_set_buf(&rx->src[1], r->data + p->explicit_len,
			   len - p->explicit_len);
		ret = ctls_rx_direct(sk, ctx, r->hdr, r->data, len, zc);
	}
	if (ret == -EMSGSIZE)
		ret = ctls_rx_decrypt(sk, ctx, r, len) ? -EBADMSG : 0;
	if (ret < 0)
		return ret == -ENOMEM ? ret : ctls_rx_bad_record(sk);
	if (ret)
		ctls_rx_rec_free(rx, r);
	else
		list_add_tail(&r->list, &rx->done);
	ctls_rx_head_done(sk, rx);
	return ret;
}

/*
 * Take the whole head record and decrypt it: straight into the reader's
 * buffer when @zc allows (returning the bytes delivered), else onto the
 * done list (returning 0). A record that fails to authenticate stays where
 * it is, so that every later read fails on it too, as upstream's do; the
 * socket error says EBADMSG. So does a TLS 1.3 record whose outer type is
 * not application data (RFC 8446 section 5; upstream fails it on its tag,
 * as its additional data says 23 whatever the header does). One the AEAD
 * could not decrypt for want of memory stays too, but the socket goes on:
 * the next read tries again (upstream ends the stream with EBADMSG).
 */
static int ctls_rx_take(struct sock *sk, struct ctls_context *ctx,
			struct ctls_rx_zc *zc)
{
	struct ctls_rx *rx = ctx->rx;
	struct ctls_rx_head *h = &rx->head;
	u32 off = CTLS_REC_HDR_LEN - h->hdr_moved;
	int ret = -EMSGSIZE;
	bool from_tcp;

	if (ctx->rec.tls13 && h->hdr[0] != CTLS_REC_TYPE_DATA) {
		ctls_stats_inc(sk, CTLS_DECRYPT_ERROR);
		return ctls_rx_bad_record(sk);
	}
	if (h->stage)
		return ctls_rx_take_staged(sk, ctx, zc);
	from_tcp = ctls_rx_src(sk, ctx, off, h->len);
	if (from_tcp && ctls_rx_direct_ok(ctx, h->hdr, h->len, zc))
		ret = ctls_rx_direct_tcp(sk, ctx, h->hdr, off, h->len, zc);
	if (ret == -EMSGSIZE)
		ret = ctls_rx_queue(sk, ctx, h->hdr, off, h->len, from_tcp);
	if (ret < 0)
		return ret == -ENOMEM ? ret : ctls_rx_bad_record(sk);
	ctls_rx_head_done(sk, rx);
	return ret;
}

/*
 * The record to read from next: after the one last peeked, else the first
 * one not yet read (*@fresh false: it was decrypted by an earlier call).
 * Decrypts one more when none is queued and the head record is (or, when
 * the call still waits for bytes, becomes) whole, straight into @zc's
 * buffer if it can (then returning NULL with zc->done set). Returns NULL
 * with c->err: 0 at end of stream or when nothing more is there, else
 * -errno.
 */
static struct ctls_rx_rec *ctls_rx_next(struct sock *sk, struct ctls_rx *rx,
					struct ctls_rx_call *c,
					struct ctls_rx_zc *zc, bool *fresh)
{
	struct list_head *done = &rx->done;
	struct list_head *next = c->r ? c->r->list.next : done->next;
	int ret;

	*fresh = false;
	if (next != done)
		return list_entry(next, struct ctls_rx_rec, list);
	/* Records after a KeyUpdate wait for the new key (upstream 6.14). */
	if (rx->key_pending) {
		c->err = -EKEYEXPIRED;
		return NULL;
	}
	if (c->copied < c->target) {
		ret = ctls_rx_wait(sk, rx, c);
	} else {
		ctls_rx_parse(sk, rx);
		ret = rx->head.state == CTLS_HEAD_WHOLE;
	}
	c->err = min(ret, 0);
	if (ret <= 0)
		return NULL;
	ret = ctls_rx_take(sk, rx->ctx, zc);
	if (ret > 0)
		zc->done = ret;
	c->err = min(ret, 0);
	if (ret)
		return NULL;
	*fresh = true;
	return list_last_entry(done, struct ctls_rx_rec, list);
}

/*
 * The record type, reported once per call through TLS_GET_RECORD_TYPE. A
 * record of another type than the first ends the call (0); a record of
 * type 0 (TLS 1.2 only: TLS 1.3 types are never 0) is EBADMSG, and a
 * control record the caller has no room to be told about EIO, as upstream.
 */
static int ctls_rx_type(struct msghdr *msg, u8 type, u8 *control)
{
	int err;

	if (*control)
		return *control == type;
	if (!type)
		return -EBADMSG;
	*control = type;
	err = put_cmsg(msg, SOL_TLS, TLS_GET_RECORD_TYPE, sizeof(*control),
		       control);
	if (type != CTLS_REC_TYPE_DATA &&
	    (err || (msg->msg_flags & MSG_CTRUNC)))
		return -EIO;
	return 1;
}

/* @n bytes of decrypted record @r read: freed once read to its end. */
static void ctls_rx_consume_rec(struct ctls_rx *rx, struct ctls_rx_rec *r,
				size_t n)
{
	r->off += n;
	if (r->off == r->end) {
		list_del(&r->list);
		ctls_rx_rec_free(rx, r);
		ctls_rx_publish(rx);
	}
}

/*
 * Copy from @r to the caller, consuming it unless peeking. MSG_EOR as
 * upstream sets it: when a read reaches the end of a record; on a peek,
 * whenever it is served from a record an earlier call decrypted (even in
 * part), never from one this peek decrypted.
 */
static int ctls_rx_copy(struct ctls_rx *rx, struct ctls_rx_rec *r,
			struct ctls_rx_call *c, bool fresh)
{
	size_t n = min_t(size_t, c->len - c->copied, r->end - r->off);

	if (n && copy_to_iter(r->data + r->off, n, &c->msg->msg_iter) != n)
		return -EFAULT;
	if (c->peek ? !fresh : r->off + n == r->end)
		c->msg->msg_flags |= MSG_EOR;
	if (!c->peek)
		ctls_rx_consume_rec(rx, r, n);
	return n;
}

/*
 * One record's worth for the caller: from the done list (or decrypted onto
 * it), or decrypted straight into the caller's buffer when it is a user
 * buffer, not peeked into, and the call reads data records. An empty
 * record gives nothing and the call goes on, as upstream's. Returns
 * whether the call goes on after it.
 */
static bool ctls_rx_one(struct sock *sk, struct ctls_rx *rx,
			struct ctls_rx_call *c)
{
	struct msghdr *msg = c->msg;
	struct ctls_rx_zc zc = { .iter = &msg->msg_iter,
				 .room = c->len - c->copied };
	bool direct = !c->peek && user_backed_iter(&msg->msg_iter) &&
		      (!c->control || c->control == CTLS_REC_TYPE_DATA);
	struct ctls_rx_rec *r;
	bool fresh;
	u8 type;
	int n;

	r = ctls_rx_next(sk, rx, c, direct ? &zc : NULL, &fresh);
	if (zc.done) {
		ctls_rx_type(msg, CTLS_REC_TYPE_DATA, &c->control);
		msg->msg_flags |= MSG_EOR;
		c->copied += zc.done;
		return true;
	}
	if (!r)
		return false;
	/* A record read to its end is freed by ctls_rx_copy(). */
	type = r->type;
	n = ctls_rx_type(msg, type, &c->control);
	if (n > 0)
		n = ctls_rx_copy(rx, r, c, fresh);
	if (n < 0)
		c->err = n;
	if (n < 0 || c->control != type)
		return false;
	c->copied += n;
	if (c->peek)
		c->r = r;
	return c->control == CTLS_REC_TYPE_DATA;
}

int ctls_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags)
{
	struct ctls_rx *rx = ctls_ctx(sk)->rx;
	struct ctls_rx_call c = {
		.msg = msg,
		.len = len,
		.timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT),
		.target = sock_rcvlowat(sk, flags & MSG_WAITALL, len),
		.peek = flags & MSG_PEEK,
	};
	int err;

	if (unlikely(flags & MSG_ERRQUEUE))
		return sock_recv_errqueue(sk, msg, len, SOL_IP, IP_RECVERR);
	err = ctls_rx_reader_lock(sk, rx, flags & MSG_DONTWAIT);
	if (err)
		return err;
	while (c.copied < len && ctls_rx_one(sk, rx, &c))
		;
	ctls_rx_reader_unlock(sk, rx);
	return c.copied ? c.copied : c.err;
}

/*
 * Splicing out of the socket goes through recvmsg (see compat.h); a
 * control record cannot be spliced, and says EINVAL, and an empty data
 * record is taken and gives 0, as upstream.
 */
ssize_t ctls_splice_read(struct socket *sock, loff_t *ppos,
			 struct pipe_inode_info *pipe, size_t len,
			 unsigned int flags)
{
	struct sock *sk = sock->sk;
	struct ctls_rx *rx = ctls_ctx(sk)->rx;
	struct ctls_rx_call c = {
		.timeo = sock_rcvtimeo(sk, flags & SPLICE_F_NONBLOCK),
		.target = 1,
	};
	struct ctls_rx_rec *r;
	bool fresh, empty;

	c.err = ctls_rx_reader_lock(sk, rx, flags & SPLICE_F_NONBLOCK);
	if (c.err)
		return c.err;
	r = ctls_rx_next(sk, rx, &c, NULL, &fresh);
	empty = r && r->off == r->end;
	if (r && r->type != CTLS_REC_TYPE_DATA) {
		c.err = -EINVAL;
	} else if (empty) {
		list_del(&r->list);
		ctls_rx_rec_free(rx, r);
		ctls_rx_publish(rx);
	}
	ctls_rx_reader_unlock(sk, rx);
	if (!r || c.err || empty)
		return c.err;
	return ctls_splice_via_recvmsg(sock->file, ppos, pipe, len, flags);
}

/*
 * read_sock's reader: the caller holds the socket lock, so it takes its
 * turn only when no other reader has one (one may sleep in recvmsg with
 * the socket unlocked), and decrypts only where it may sleep (the AEAD
 * may wait): owned by a task, not under the socket's spinlock alone, as
 * strparser's data_ready calls it from softirq.
 */
static bool ctls_rx_actor_may_read(struct sock *sk, struct ctls_rx *rx)
{
	return sock_owned_by_user_nocheck(sk) && in_task() &&
	       !rx->reader_present;
}

/* @n plaintext bytes of @r as an skb of their own, for read_sock's actor. */
static struct sk_buff *ctls_rx_rec_skb(struct sock *sk,
				       const struct ctls_rx_rec *r, size_t n)
{
	struct sk_buff *skb;
	int err;

	skb = alloc_skb_with_frags(0, n, 0, &err,
				   sk->sk_allocation | __GFP_NOWARN);
	if (!skb)
		return NULL;
	skb->data_len = n;
	skb->len = n;
	if (skb_store_bits(skb, 0, r->data + r->off, n)) {
		kfree_skb(skb);
		return NULL;
	}
	return skb;
}

/*
 * One record's worth for read_sock's @actor, as upstream's: a data record
 * (or what is left of it) in one call, an empty one taken without a call,
 * a control record left where it is (EINVAL). An actor that takes nothing
 * or fails ends the call with its result. Returns whether the call goes
 * on.
 */
static bool ctls_rx_actor_one(struct sock *sk, struct ctls_rx *rx,
			      struct ctls_rx_call *c, read_descriptor_t *desc,
			      sk_read_actor_t actor)
{
	struct ctls_rx_rec *r;
	struct sk_buff *skb;
	bool fresh;
	size_t n;
	int used;

	r = ctls_rx_next(sk, rx, c, NULL, &fresh);
	if (!r)
		return false;
	if (r->type != CTLS_REC_TYPE_DATA) {
		c->err = -EINVAL;
		return false;
	}
	n = r->end - r->off;
	if (n) {
		skb = ctls_rx_rec_skb(sk, r, n);
		if (!skb) {
			c->err = -ENOMEM;
			return false;
		}
		used = actor(desc, skb, 0, n);
		consume_skb(skb);
		if (used <= 0) {
			c->err = used;
			return false;
		}
		n = min_t(size_t, used, n);
	}
	c->copied += n;
	ctls_rx_consume_rec(rx, r, n);
	return true;
}

/*
 * proto_ops::read_sock: the kernel's own readers (nvme-tcp, from its work
 * item with the socket locked) get decrypted data records, handed to
 * @actor one record at a time while desc->count lasts; a record the actor
 * took part of is offered again from there, as TCP's read_sock does
 * (upstream's drops it). It never waits: EAGAIN without a whole record
 * (or while another reader has its turn), 0 at end of stream, the socket
 * error as recvmsg reports it, EINVAL at a control record (left for
 * recvmsg), EBADMSG at one that fails to authenticate. Staging under
 * buffer pressure is done here, as such readers take over data_ready and
 * ctls's parser hears of new bytes only from them.
 */
int ctls_read_sock(struct sock *sk, read_descriptor_t *desc,
		   sk_read_actor_t actor)
{
	struct ctls_rx *rx = ctls_ctx(sk)->rx;
	struct ctls_rx_call c = { .target = 1 };

	sock_owned_by_me(sk);
	if (!ctls_rx_actor_may_read(sk, rx)) {
		/* Its caller waits for data_ready: see ctls_rx_reader_done(). */
		if (rx->reader_present)
			rx->reader_turned_away = true;
		return -EAGAIN;
	}
	WRITE_ONCE(rx->reader_present, true);
	while (ctls_rx_actor_one(sk, rx, &c, desc, actor) && desc->count)
		;
	ctls_rx_relieve(sk, rx);
	ctls_rx_reader_done(sk, rx);
	return c.copied ? c.copied : c.err;
}

/*
 * Only published state is read here (framer.c); poll never looks at TCP's
 * queue. Upstream 6.14 on hides even decrypted records behind a pending
 * KeyUpdate (a reader that peeked up to the KeyUpdate would wait forever);
 * ctls reports what a read would return (docs/design.md).
 */
bool ctls_sock_is_readable(struct sock *sk)
{
	struct ctls_context *ctx = ctls_ctx(sk);

	return ctx && ctx->rx && ctls_rx_readable(READ_ONCE(ctx->rx->ready));
}

/*
 * On 6.12, as upstream's tls_sk_poll there, readable means the above. 6.1's
 * upstream left readiness to TCP (partial records readable): there, only a
 * pending KeyUpdate with nothing decrypted hides it.
 */
__poll_t ctls_poll(struct file *file, struct socket *sock,
		   struct poll_table_struct *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = tcp_poll(file, sock, wait);
	u8 ready;

	if (inet_sk_state_load(sk) != TCP_ESTABLISHED ||
	    (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN))
		return mask;
	ready = READ_ONCE(ctls_ctx(sk)->rx->ready);
	if (CTLS_POLL_WHOLE_RECORDS ? !ctls_rx_readable(ready) :
	    (ready & (CTLS_RX_DONE | CTLS_RX_KEY)) == CTLS_RX_KEY)
		mask &= ~(EPOLLIN | EPOLLRDNORM);
	return mask;
}

const struct ctls_rec_state *ctls_rx_rec_state(struct ctls_context *ctx)
{
	return &ctx->rx->rec;
}

/*
 * TLS 1.3 rekey, under the socket lock: records from here on are decrypted
 * with the new key; pollers and readers learn that records may be readable
 * again. No reader is decrypting meanwhile (that takes the socket lock).
 */
int ctls_rx_rekey(struct sock *sk, struct ctls_context *ctx,
		  const union ctls_crypto_info *ci)
{
	struct ctls_rx *rx = ctx->rx;
	int err;

	sock_owned_by_me(sk);
	err = ctls_cipher_rekey(rx->req, ctx->cipher, ci);
	if (err)
		return err;
	ctls_cipher_rec_state(ctx->cipher, ci, &rx->rec);
	rx->key_pending = false;
	/* Readers and pollers are woken if records are readable now. */
	ctls_rx_parse(sk, rx);
	return 0;
}

int ctls_rx_init(struct sock *sk, struct ctls_context *ctx)
{
	struct ctls_rx *rx;

	rx = kzalloc(sizeof(*rx), GFP_KERNEL);
	if (!rx)
		return -ENOMEM;
	rx->req = ctls_cipher_request(ctx->cipher, &ctx->rx_info);
	if (IS_ERR(rx->req)) {
		int err = PTR_ERR(rx->req);

		kfree(rx);
		return err;
	}
	INIT_LIST_HEAD(&rx->done);
	init_waitqueue_head(&rx->reader_wq);
	rx->sk = sk;
	rx->ctx = ctx;
	ctls_cipher_rec_state(ctx->cipher, &ctx->rx_info, &rx->rec);
	ctx->rx = rx;
	ctls_rx_framer_init(sk, rx);
	return 0;
}

/* Socket closing, under its lock. */
void ctls_rx_release(struct sock *sk, struct ctls_context *ctx)
{
	struct ctls_rx *rx = ctx->rx;
	struct ctls_rx_rec *r, *tmp;

	ctls_rx_framer_release(sk, rx);
	list_for_each_entry_safe(r, tmp, &rx->done, list)
		kfree(r);
	INIT_LIST_HEAD(&rx->done);
	kfree(rx->spare);
	rx->spare = NULL;
	ctls_rx_publish(rx);
}

/* After ctls_rx_release() and with the socket unlocked. */
void ctls_rx_free(struct ctls_context *ctx)
{
	struct ctls_rx *rx = ctx->rx;

	if (!rx)
		return;
	ctls_rx_framer_free(rx);
	ctls_cipher_request_free(rx->req);
	kfree_sensitive(rx);
	ctx->rx = NULL;
}
