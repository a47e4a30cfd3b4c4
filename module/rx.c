// SPDX-License-Identifier: GPL-2.0
/*
 * The receive path. A receive reads top to bottom: make sure one whole
 * record is there, decrypt it, hand bytes (or a control record, alone) to
 * the caller, advance. recvmsg, MSG_PEEK and splice_read share those steps.
 *
 * Records stay in TCP's receive queue until a reader wants one: readiness
 * (for poll and for waking readers) is computed by looking at the queue, so
 * softirq context never allocates or copies. A reader decrypts the record
 * from where it lies in TCP's queue: a TLS 1.2 data record it has room for
 * straight into its own buffer (no copy at all, as upstream), any other
 * into a buffer of the record's size, whose plaintext waits on the "done"
 * list until it has been read. The record leaves TCP once authenticated.
 * MSG_PEEK decrypts further records onto that list without consuming any.
 *
 * A record larger than what TCP's receive buffer can hold would stall the
 * connection (the window closes before the record is whole), so when TCP
 * says its buffer is under pressure a waiting reader moves the partial
 * record out of TCP ("stage") and waits for the rest.
 */
#include <linux/list.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/workqueue.h>
#include <crypto/aead.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "ctls.h"

/*
 * Scatterlists of one decryption, entry 0 the additional data in both:
 * the ciphertext where it lies in TCP's queue (a record split over more
 * skb fragments than that is copied out first), and the reader's pages
 * or a buffer of ours for the plaintext.
 */
#define CTLS_RX_SRC_SGS		24
#define CTLS_RX_PAGES		8
#define CTLS_RX_DST_SGS		(CTLS_RX_PAGES + 3)

/*
 * Record buffers. Payloads of CTLS_RX_REC_BIG bytes or more get a buffer of
 * the largest payload's size (an order-3 allocation), and one such buffer
 * is kept for the next: a stream of full records does not go to the page
 * allocator for each. Plaintext is freed as upstream frees it, without
 * clearing (clearing 16 KiB costs as much as copying it).
 */
#define CTLS_RX_REC_BIG		8192
#define CTLS_RX_REC_MAX		(CTLS_REC_MAX_PLAIN + CTLS_REC_MAX_EXPLICIT + \
				 CTLS_REC_MAX_TAG + 1)

struct ctls_rx_rec {
	struct list_head list;
	unsigned int off;	/* first unread plaintext byte */
	unsigned int end;	/* end of the plaintext */
	bool big;		/* sized CTLS_RX_REC_MAX */
	u8 type;
	u8 hdr[CTLS_REC_HDR_LEN];
	u8 data[];		/* record payload: nonce, ciphertext, tag */
};

struct ctls_rx {
	struct sock *sk;
	struct ctls_context *ctx;
	struct work_struct stage_work;	/* staging when no reader is there */
	bool closed;
	struct aead_request *req;
	struct ctls_rec_state rec;
	struct list_head done;		/* decrypted, not all read */
	struct ctls_rx_rec *stage;	/* a record partly moved out of TCP */
	struct ctls_rx_rec *spare;	/* a big buffer for the next record */
	unsigned int stage_len;		/* its payload length */
	unsigned int stage_have;	/* payload bytes moved so far */
	u8 hdr[CTLS_REC_HDR_LEN];	/* before that: its header, */
	unsigned int hdr_have;		/* of which this much moved */
	int stop_err;			/* framing error: no record follows */
	bool key_pending;		/* KeyUpdate read, new key not set */
	void (*saved_data_ready)(struct sock *sk);
	u8 aad[CTLS_REC_MAX_AAD];
	u8 nonce[CTLS_REC_MAX_NONCE];
	u8 tag[CTLS_REC_MAX_TAG];	/* a direct decrypt's tag goes here, */
	u8 tail;			/* and its TLS 1.3 inner type */
	struct scatterlist src[CTLS_RX_SRC_SGS];
	struct scatterlist dst[CTLS_RX_DST_SGS];
	struct page *pages[CTLS_RX_PAGES];	/* the reader's, pinned */
};

/* A reader's buffer a data record may be decrypted straight into. */
struct ctls_rx_zc {
	struct iov_iter *iter;
	size_t room;		/* bytes it can still take */
	size_t done;		/* bytes decrypted into it */
};

static struct ctls_rx_rec *ctls_rx_rec_alloc(struct sock *sk,
					     struct ctls_rx *rx, u32 len)
{
	bool big = len >= CTLS_RX_REC_BIG;
	struct ctls_rx_rec *r;

	if (big && rx->spare) {
		r = rx->spare;
		rx->spare = NULL;
		return r;
	}
	r = kmalloc(struct_size(r, data, big ? CTLS_RX_REC_MAX : len),
		    sk->sk_allocation);
	if (r)
		r->big = big;
	return r;
}

static void ctls_rx_rec_free(struct ctls_rx *rx, struct ctls_rx_rec *r)
{
	if (r && r->big && !rx->spare && !rx->closed)
		rx->spare = r;
	else
		kfree(r);
}

/* Copy @len bytes at @offset past what TCP has handed out, not consuming. */
static int ctls_tcp_peek(struct sock *sk, u32 offset, u8 *buf, u32 len)
{
	u32 seq = tcp_sk(sk)->copied_seq + offset;
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		u32 skb_off = seq - TCP_SKB_CB(skb)->seq;
		u32 n;

		if (skb_off >= skb->len)
			continue;
		n = min(len, skb->len - skb_off);
		if (skb_copy_bits(skb, skb_off, buf, n))
			return -EFAULT;
		buf += n;
		seq += n;
		len -= n;
		if (!len)
			return 0;
	}
	return -EAGAIN;
}

/*
 * Point @sg at @len bytes at @offset past what TCP has handed out, as
 * ctls_tcp_peek() would copy them. Returns the entries used, -EMSGSIZE
 * when more than @max would be (or an skb has a frag_list).
 */
static int ctls_tcp_sg(struct sock *sk, u32 offset, u32 len,
		       struct scatterlist *sg, int max)
{
	u32 seq = tcp_sk(sk)->copied_seq + offset;
	struct sk_buff *skb;
	int used = 0, n;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		u32 skb_off = seq - TCP_SKB_CB(skb)->seq;
		u32 chunk;

		if (skb_off >= skb->len)
			continue;
		if (skb_has_frag_list(skb) ||
		    used + 1 + skb_shinfo(skb)->nr_frags > max)
			return -EMSGSIZE;
		chunk = min(len, skb->len - skb_off);
		n = skb_to_sgvec_nomark(skb, sg + used, skb_off, chunk);
		if (n < 0)
			return n;
		used += n;
		seq += chunk;
		len -= chunk;
		if (!len)
			return used;
	}
	return -EAGAIN;
}

/*
 * The next record's header: the part already moved out of TCP (see
 * ctls_rx_stage()), then what TCP holds. -EAGAIN while incomplete.
 */
static int ctls_rx_header(struct sock *sk, struct ctls_rx *rx, u8 *hdr)
{
	u32 need = CTLS_REC_HDR_LEN - rx->hdr_have;

	memcpy(hdr, rx->hdr, rx->hdr_have);
	if (tcp_inq(sk) < need)
		return -EAGAIN;
	return ctls_tcp_peek(sk, 0, hdr + rx->hdr_have, need);
}

/*
 * Whether TCP holds a whole record: 1 yes, 0 not yet, -errno when its
 * header is bad. Called under the socket lock (or its spinlock, from
 * data_ready).
 */
static int ctls_rx_tcp_record(struct sock *sk, struct ctls_context *ctx)
{
	struct ctls_rx *rx = ctx->rx;
	u8 hdr[CTLS_REC_HDR_LEN];
	int len;

	if (rx->stage)
		return tcp_inq(sk) >= rx->stage_len - rx->stage_have;
	if (ctls_rx_header(sk, rx, hdr))
		return 0;
	len = ctls_rec_parse_header(&ctx->rec, hdr);
	if (len < 0)
		return len;
	return tcp_inq(sk) >= CTLS_REC_HDR_LEN - rx->hdr_have + len;
}

/* Something for a reader: plaintext, a whole record, or an error. */
static bool ctls_rx_ready(struct sock *sk, struct ctls_context *ctx)
{
	struct ctls_rx *rx = ctx->rx;

	if (READ_ONCE(rx->key_pending))
		return false;
	if (!list_empty(&rx->done))
		return true;
	if (rx->stop_err)
		return false;
	return ctls_rx_tcp_record(sk, ctx) != 0;
}

bool ctls_sock_is_readable(struct sock *sk)
{
	struct ctls_context *ctx = ctls_ctx(sk);

	return ctx && ctx->rx && ctls_rx_ready(sk, ctx);
}

/* A bad header ends the stream: reported once through sk_err. */
static void ctls_rx_stop(struct sock *sk, struct ctls_rx *rx, int err)
{
	rx->stop_err = err;
	WRITE_ONCE(sk->sk_err, -err);
	/* Publish the error before waking anyone up to read it. */
	smp_wmb();
	sk_error_report(sk);
}

/*
 * The header at the head of TCP's queue, checked as soon as it is there
 * (data arriving, a read taking the record before it), as upstream's
 * parser does: a bad one is reported right away, poll included.
 */
static void ctls_rx_check_head(struct sock *sk, struct ctls_rx *rx)
{
	int ret;

	if (rx->stop_err)
		return;
	ret = ctls_rx_tcp_record(sk, rx->ctx);
	if (ret < 0)
		ctls_rx_stop(sk, rx, ret);
}

/*
 * TCP's receive buffer is (nearly) full: what it holds of a partial record
 * must move out, be it two bytes of a header (the tail of a large skb
 * mostly read holds all of that skb's memory).
 */
static bool ctls_rx_pressure(struct sock *sk)
{
	return tcp_inq(sk) && tcp_epollin_ready(sk, INT_MAX);
}

static void ctls_data_ready(struct sock *sk)
{
	struct ctls_context *ctx = ctls_ctx(sk);
	bool ready, pressure;

	ctls_rx_check_head(sk, ctx->rx);
	ready = ctls_rx_ready(sk, ctx);
	pressure = ctls_rx_pressure(sk);

	/*
	 * A partial record filling TCP's buffer must move out even when the
	 * reader is in poll() (which waits for a whole record): the work
	 * item stages it unless a reader does first.
	 */
	if (!ready && pressure)
		schedule_work(&ctx->rx->stage_work);
	if (ready || pressure || sk->sk_err ||
	    (sk->sk_shutdown & RCV_SHUTDOWN))
		ctx->rx->saved_data_ready(sk);
}

/* Move up to desc->count bytes out of TCP, copying them to desc->arg.data. */
static int ctls_rx_move_actor(read_descriptor_t *desc, struct sk_buff *skb,
			      unsigned int offset, size_t len)
{
	size_t n = min_t(size_t, len, desc->count);

	if (desc->arg.data) {
		if (skb_copy_bits(skb, offset, desc->arg.data, n))
			return -EFAULT;
		desc->arg.data += n;
	}
	desc->count -= n;
	return n;
}

/*
 * Take @len bytes out of TCP's receive queue (they are known to be there),
 * copying them to @buf unless it is NULL.
 */
static void ctls_rx_move(struct sock *sk, void *buf, u32 len)
{
	read_descriptor_t desc = { .arg.data = buf, .count = len };

	tcp_read_sock(sk, &desc, ctls_rx_move_actor);
}

/*
 * Under receive-buffer pressure, move what TCP holds of the next record
 * into the stage, opening the window for the rest.
 */
static int ctls_rx_stage(struct sock *sk, struct ctls_context *ctx)
{
	struct ctls_rx *rx = ctx->rx;
	u32 n;
	int len;

	if (!rx->stage) {
		n = min_t(u32, tcp_inq(sk), CTLS_REC_HDR_LEN - rx->hdr_have);
		ctls_rx_move(sk, rx->hdr + rx->hdr_have, n);
		rx->hdr_have += n;
		if (rx->hdr_have < CTLS_REC_HDR_LEN)
			return 0;
		len = ctls_rec_parse_header(&ctx->rec, rx->hdr);
		if (len < 0)
			return len;
		rx->stage = ctls_rx_rec_alloc(sk, rx, len);
		if (!rx->stage)
			return -ENOMEM;
		memcpy(rx->stage->hdr, rx->hdr, CTLS_REC_HDR_LEN);
		rx->stage_len = len;
		rx->stage_have = 0;
		rx->hdr_have = 0;
	}
	n = min_t(u32, tcp_inq(sk), rx->stage_len - rx->stage_have);
	ctls_rx_move(sk, rx->stage->data + rx->stage_have, n);
	rx->stage_have += n;
	return 0;
}

/*
 * Move what TCP holds of a partial record out while its buffer is under
 * pressure: a large skb mostly read holds all its memory until its last
 * byte is, and the window stays shut until then. Under rx_lock and the
 * socket lock, after a read and from the work item.
 */
static void ctls_rx_relieve(struct sock *sk, struct ctls_rx *rx)
{
	int err = 0;

	while (!err && !rx->closed && !rx->stop_err &&
	       !ctls_rx_tcp_record(sk, rx->ctx) && ctls_rx_pressure(sk))
		err = ctls_rx_stage(sk, rx->ctx);
}

/* The same when no reader is there (a poller waits for a whole record). */
static void ctls_rx_stage_work(struct work_struct *work)
{
	struct ctls_rx *rx = container_of(work, struct ctls_rx, stage_work);
	struct sock *sk = rx->sk;

	/* A reader holds it: it stages itself if it has to. */
	if (!mutex_trylock(&rx->ctx->rx_lock))
		return;
	lock_sock(sk);
	ctls_rx_relieve(sk, rx);
	/* The record may be whole now, with nothing more coming from TCP. */
	if (!rx->closed && ctls_rx_ready(sk, rx->ctx))
		rx->saved_data_ready(sk);
	release_sock(sk);
	mutex_unlock(&rx->ctx->rx_lock);
}

/* Sleep until a record may be readable; -errno on a signal. */
static int ctls_rx_sleep(struct sock *sk, struct ctls_context *ctx, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	sk_set_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	sk_wait_event(sk, timeo, ctls_rx_ready(sk, ctx) || sk->sk_err ||
		      (sk->sk_shutdown & RCV_SHUTDOWN) ||
		      ctls_rx_pressure(sk), &wait);
	sk_clear_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	remove_wait_queue(sk_sleep(sk), &wait);
	if (signal_pending(current))
		return sock_intr_errno(*timeo);
	return 0;
}

/*
 * Wait for a record. 1: there is one; 0: end of stream; -errno. As
 * upstream: a pending socket error first, then EOF, then EAGAIN.
 */
static int ctls_rx_wait(struct sock *sk, struct ctls_context *ctx, long *timeo)
{
	int ret;

	for (;;) {
		ret = ctls_rx_tcp_record(sk, ctx);
		if (ret < 0 && !ctx->rx->stop_err)
			ctls_rx_stop(sk, ctx->rx, ret);
		/* A whole record goes first, as upstream (a bad one again). */
		if (ret > 0 && !ctx->rx->stop_err)
			return 1;
		if (sk->sk_err)
			return sock_error(sk);
		if (sk->sk_shutdown & RCV_SHUTDOWN || sock_flag(sk, SOCK_DONE))
			return 0;
		if (ctls_rx_pressure(sk)) {
			ret = ctls_rx_stage(sk, ctx);
			if (ret)
				return ret;
			continue;
		}
		if (!*timeo)
			return -EAGAIN;
		ret = ctls_rx_sleep(sk, ctx, timeo);
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
	WRITE_ONCE(rx->key_pending, true);
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
		if (ctx->rx_no_pad && r->end + 1 != r->off + ct_len)
			ctls_stats_inc(sk, CTLS_RX_NO_PAD_VIOLATION);
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
 * The staged record, completed from TCP. One that fails to authenticate
 * stays staged (and garbled by the in-place attempt), so that later reads
 * fail on it as well.
 */
static int ctls_rx_take_staged(struct sock *sk, struct ctls_context *ctx)
{
	struct ctls_rx *rx = ctx->rx;
	struct ctls_rx_rec *r = rx->stage;
	u32 need = rx->stage_len - rx->stage_have;

	ctls_rx_move(sk, r->data + rx->stage_have, need);
	rx->stage_have += need;
	if (ctls_rx_decrypt(sk, ctx, r, rx->stage_len))
		return ctls_rx_bad_record(sk);
	rx->stage = NULL;
	list_add_tail(&r->list, &rx->done);
	return 0;
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
	n = ctls_tcp_sg(sk, off + skip, len - skip, sg + 1,
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
	err = ctls_tcp_peek(sk, off, r->data,
			    from_tcp ? p->explicit_len : len);
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
 * A data record, whole in TCP at @off, and a reader with room for all of
 * it: decrypt it from TCP straight into the reader's buffer, as upstream
 * does. TLS 1.3 only when the user promised no padding
 * (TLS_RX_EXPECT_NO_PAD), as upstream: the inner type goes to rx->tail, and
 * a record that turns out padded or not data is decrypted again the usual
 * way (TlsDecryptRetry). Returns the bytes delivered, or -EMSGSIZE when
 * the record must take the usual way; the reader's buffer is then where it
 * was, as it is after an error.
 */
static int ctls_rx_direct(struct sock *sk, struct ctls_context *ctx,
			  const u8 *hdr, u32 off, u32 len, struct ctls_rx_zc *zc)
{
	const struct ctls_rec_proto *p = &ctx->rec;
	unsigned int ct_len = len - p->explicit_len - p->tag_len;
	unsigned int plain = ct_len - p->tls13;
	struct ctls_rx *rx = ctx->rx;
	u8 explicit[CTLS_REC_MAX_EXPLICIT];
	int np, n, err;

	err = ctls_tcp_peek(sk, off, explicit, p->explicit_len);
	if (err)
		return err;
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
	if (!err && p->tls13 && rx->tail != CTLS_REC_TYPE_DATA) {
		ctls_stats_inc(sk, CTLS_DECRYPT_RETRY);
		err = -EMSGSIZE;
	}
	err = err ?: ctls_rec_advance(p, &rx->rec);
	if (err) {
		iov_iter_revert(zc->iter, plain);
		return err;
	}
	return plain;
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
 * Take the record at the head of TCP's queue (ctls_rx_wait() said it is
 * whole) and decrypt it: straight into the reader's buffer when @zc allows
 * (returning the bytes delivered), else onto the done list (returning 0).
 * A record that fails to authenticate stays in TCP, so that every later
 * read fails on it too, as upstream's do; the socket error says EBADMSG.
 * One the AEAD could not decrypt for want of memory stays there too, but
 * the socket goes on: the next read tries again (upstream ends the stream
 * with EBADMSG).
 */
static int ctls_rx_take(struct sock *sk, struct ctls_context *ctx,
			struct ctls_rx_zc *zc)
{
	struct ctls_rx *rx = ctx->rx;
	u8 hdr[CTLS_REC_HDR_LEN];
	int len, ret = -EMSGSIZE;
	bool from_tcp;
	u32 off;

	if (rx->stage)
		return ctls_rx_take_staged(sk, ctx);
	if (ctls_rx_header(sk, rx, hdr))
		return -EAGAIN;
	len = ctls_rec_parse_header(&ctx->rec, hdr);
	if (len < 0)
		return len;
	off = CTLS_REC_HDR_LEN - rx->hdr_have;
	from_tcp = ctls_rx_src(sk, ctx, off, len);
	if (from_tcp && ctls_rx_direct_ok(ctx, hdr, len, zc))
		ret = ctls_rx_direct(sk, ctx, hdr, off, len, zc);
	if (ret == -EMSGSIZE)
		ret = ctls_rx_queue(sk, ctx, hdr, off, len, from_tcp);
	if (ret < 0)
		/* Short of memory: the record is intact in TCP, try again. */
		return ret == -ENOMEM ? ret : ctls_rx_bad_record(sk);
	/* Authenticated: now it leaves TCP (but what was staged already). */
	ctls_rx_move(sk, NULL, off + len);
	rx->hdr_have = 0;
	return ret;
}

/*
 * The record to read from next: after @prev when peeking past it, else the
 * first one not yet read. Decrypts one more when none is queued and one is
 * (or becomes) whole in TCP, straight into @zc's buffer if it can (then
 * returning NULL with zc->done set). Returns NULL with *@err: 0 at end of
 * stream or when @wait is false and nothing is there, else -errno.
 */
static struct ctls_rx_rec *ctls_rx_next(struct sock *sk, struct ctls_context *ctx,
					struct ctls_rx_rec *prev, bool wait,
					long *timeo, int *err,
					struct ctls_rx_zc *zc)
{
	struct list_head *done = &ctx->rx->done;
	struct list_head *next = prev ? prev->list.next : done->next;
	int ret;

	*err = 0;
	if (next != done)
		return list_entry(next, struct ctls_rx_rec, list);
	if (ctx->rx->key_pending) {
		*err = -EKEYEXPIRED;
		return NULL;
	}
	if (!wait && ctls_rx_tcp_record(sk, ctx) <= 0)
		return NULL;
	*err = ctls_rx_wait(sk, ctx, timeo);
	if (*err <= 0)
		return NULL;
	ret = ctls_rx_take(sk, ctx, zc);
	if (ret > 0)
		zc->done = ret;
	*err = min(ret, 0);
	if (ret)
		return NULL;
	return list_last_entry(done, struct ctls_rx_rec, list);
}

/*
 * The record type, reported once per call through TLS_GET_RECORD_TYPE. A
 * record of another type than the first ends the call (0); a control record
 * the caller has no room to be told about is EIO, as upstream.
 */
static int ctls_rx_type(struct msghdr *msg, u8 type, u8 *control)
{
	int err;

	if (*control)
		return *control == type;
	*control = type;
	err = put_cmsg(msg, SOL_TLS, TLS_GET_RECORD_TYPE, sizeof(*control),
		       control);
	if (type != CTLS_REC_TYPE_DATA &&
	    (err || (msg->msg_flags & MSG_CTRUNC)))
		return -EIO;
	return 1;
}

/* Copy from @r to the caller, consuming it unless peeking. */
static int ctls_rx_copy(struct sock *sk, struct ctls_rx_rec *r,
			struct msghdr *msg, size_t len, bool peek)
{
	size_t n = min_t(size_t, len, r->end - r->off);

	if (n && copy_to_iter(r->data + r->off, n, &msg->msg_iter) != n)
		return -EFAULT;
	/* The end of a record reached, as upstream says. */
	if (r->off + n == r->end)
		msg->msg_flags |= MSG_EOR;
	if (peek)
		return n;
	r->off += n;
	if (r->off == r->end) {
		list_del(&r->list);
		ctls_rx_rec_free(ctls_ctx(sk)->rx, r);
	}
	return n;
}

/*
 * One record's worth for the caller: from the done list (or decrypted onto
 * it), or decrypted straight into the caller's buffer when it is a user
 * buffer, not peeked into, and the call reads data records. Returns the
 * bytes given, 0 when the call ends here (*@err says why), -errno.
 */
static int ctls_rx_one(struct sock *sk, struct msghdr *msg, size_t room,
		       bool peek, bool wait, long *timeo,
		       struct ctls_rx_rec **r, u8 *control, int *err)
{
	struct ctls_context *ctx = ctls_ctx(sk);
	struct ctls_rx_zc zc = { .iter = &msg->msg_iter, .room = room };
	bool direct = !peek && user_backed_iter(&msg->msg_iter) &&
		      (!*control || *control == CTLS_REC_TYPE_DATA);

	*r = ctls_rx_next(sk, ctx, peek ? *r : NULL, wait, timeo, err,
			  direct ? &zc : NULL);
	if (zc.done) {
		ctls_rx_type(msg, CTLS_REC_TYPE_DATA, control);
		msg->msg_flags |= MSG_EOR;
		return zc.done;
	}
	if (!*r)
		return 0;
	*err = ctls_rx_type(msg, (*r)->type, control);
	if (*err <= 0)
		return 0;
	*err = 0;
	return ctls_rx_copy(sk, *r, msg, room, peek);
}

static int ctls_rx_recv(struct sock *sk, struct msghdr *msg, size_t len,
			int flags)
{
	long timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	int target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	bool peek = flags & MSG_PEEK;
	struct ctls_rx_rec *r = NULL;
	size_t copied = 0;
	u8 control = 0;
	int err = 0, n;

	while (copied < len) {
		n = ctls_rx_one(sk, msg, len - copied, peek, copied < target,
				&timeo, &r, &control, &err);
		if (n < 0)
			err = n;
		if (n <= 0)
			break;
		copied += n;
		if (control != CTLS_REC_TYPE_DATA)
			break;
	}
	return copied ? copied : err;
}

static int ctls_rx_lock(struct ctls_context *ctx, bool nonblock)
{
	if (nonblock)
		return mutex_trylock(&ctx->rx_lock) ? 0 : -EAGAIN;
	return mutex_lock_interruptible(&ctx->rx_lock);
}

int ctls_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
		 int *addr_len)
{
	int ret;

	if (unlikely(flags & MSG_ERRQUEUE))
		return sock_recv_errqueue(sk, msg, len, SOL_IP, IP_RECVERR);

	ret = ctls_rx_lock(ctls_ctx(sk), flags & MSG_DONTWAIT);
	if (ret)
		return ret;
	lock_sock(sk);
	ret = ctls_rx_recv(sk, msg, len, flags);
	ctls_rx_check_head(sk, ctls_ctx(sk)->rx);
	ctls_rx_relieve(sk, ctls_ctx(sk)->rx);
	release_sock(sk);
	mutex_unlock(&ctls_ctx(sk)->rx_lock);
	return ret;
}

/*
 * Splicing out of the socket goes through recvmsg (see compat.h); a
 * control record cannot be spliced, and says EINVAL, as upstream.
 */
ssize_t ctls_splice_read(struct socket *sock, loff_t *ppos,
			 struct pipe_inode_info *pipe, size_t len,
			 unsigned int flags)
{
	struct sock *sk = sock->sk;
	struct ctls_context *ctx = ctls_ctx(sk);
	long timeo = sock_rcvtimeo(sk, flags & SPLICE_F_NONBLOCK);
	struct ctls_rx_rec *r;
	int err;

	err = ctls_rx_lock(ctx, flags & SPLICE_F_NONBLOCK);
	if (err)
		return err;
	lock_sock(sk);
	r = ctls_rx_next(sk, ctx, NULL, true, &timeo, &err, NULL);
	if (r && r->type != CTLS_REC_TYPE_DATA)
		err = -EINVAL;
	release_sock(sk);
	mutex_unlock(&ctx->rx_lock);
	if (!r || err)
		return err;
	return ctls_splice_via_recvmsg(sock->file, ppos, pipe, len, flags);
}

/*
 * Not readable while a KeyUpdate waits for the new key (upstream 6.14). On
 * 6.12, as upstream's tls_sk_poll there, readable also means a whole record,
 * not a partial one; 6.1's upstream left that to TCP.
 */
__poll_t ctls_poll(struct file *file, struct socket *sock,
		   struct poll_table_struct *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = tcp_poll(file, sock, wait);
	struct ctls_context *ctx;
	bool readable;

	if (inet_sk_state_load(sk) != TCP_ESTABLISHED ||
	    (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN))
		return mask;
	ctx = ctls_ctx(sk);
	if (CTLS_POLL_WHOLE_RECORDS)
		readable = ctls_rx_ready(sk, ctx);
	else
		readable = !READ_ONCE(ctx->rx->key_pending);
	if (!readable)
		mask &= ~(EPOLLIN | EPOLLRDNORM);
	return mask;
}

const struct ctls_rec_state *ctls_rx_rec_state(struct ctls_context *ctx)
{
	return &ctx->rx->rec;
}

/*
 * TLS 1.3 rekey (the caller holds rx_lock and the socket lock): records from
 * here on are decrypted with the new key, pollers and readers learn that
 * records may be readable again.
 */
int ctls_rx_rekey(struct sock *sk, struct ctls_context *ctx,
		  const union ctls_crypto_info *ci)
{
	struct ctls_rx *rx = ctx->rx;
	int err;

	err = ctls_cipher_rekey(rx->req, ctx->cipher, ci);
	if (err)
		return err;
	ctls_cipher_rec_state(ctx->cipher, ci, &rx->rec);
	WRITE_ONCE(rx->key_pending, false);
	rx->saved_data_ready(sk);
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
	rx->sk = sk;
	rx->ctx = ctx;
	INIT_WORK(&rx->stage_work, ctls_rx_stage_work);
	ctls_cipher_rec_state(ctx->cipher, &ctx->rx_info, &rx->rec);

	write_lock_bh(&sk->sk_callback_lock);
	ctx->rx = rx;
	rx->saved_data_ready = sk->sk_data_ready;
	sk->sk_data_ready = ctls_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	/* Records may have arrived before the key: wake readers for them. */
	if (ctls_rx_ready(sk, ctx))
		rx->saved_data_ready(sk);
	return 0;
}

/* Socket closing, under its lock. */
void ctls_rx_release(struct sock *sk, struct ctls_context *ctx)
{
	struct ctls_rx *rx = ctx->rx;
	struct ctls_rx_rec *r, *tmp;

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_data_ready = rx->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	rx->closed = true;
	list_for_each_entry_safe(r, tmp, &rx->done, list)
		kfree(r);
	kfree(rx->stage);
	rx->stage = NULL;
	kfree(rx->spare);
	rx->spare = NULL;
}

/* After ctls_rx_release() and with the socket unlocked. */
void ctls_rx_free(struct ctls_context *ctx)
{
	struct ctls_rx *rx = ctx->rx;

	if (!rx)
		return;
	cancel_work_sync(&rx->stage_work);
	ctls_cipher_request_free(rx->req);
	kfree_sensitive(rx);
	ctx->rx = NULL;
}
