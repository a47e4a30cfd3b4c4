// SPDX-License-Identifier: GPL-2.0
/*
 * The record parser. It knows one thing: how much of the record at the
 * head of the stream is there (struct ctls_rx_head), and it keeps that
 * knowledge where TCP's receive queue can change: in data_ready (TCP's
 * spinlock held, or the socket owned while its backlog is processed) and
 * under the socket lock in process context. Nothing else walks TCP's
 * queue, and everything that does holds one of those locks, so the queue
 * cannot shrink under a walk. What poll needs is a summary (ctls_rx::ready)
 * published after every change; poll reads that and nothing else.
 *
 * Records stay in TCP until a reader takes one, so softirq context never
 * allocates or copies more than a header. Only when TCP's receive buffer is
 * under pressure with a record incomplete (one larger than the buffer, or
 * the tail of a large skb pinning all its memory) does the stage work move
 * what is there of it out of TCP, to open the window for the rest.
 */
#include <linux/slab.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "rx.h"

/*
 * Record buffers. Payloads of CTLS_RX_REC_BIG bytes or more get a buffer of
 * the largest payload's size (an order-3 allocation, which is allowed to
 * fail rather than reclaim hard), and one such buffer is kept for the next
 * record: a stream of full records does not go to the page allocator for
 * each. All of it is charged to the reader's memory cgroup. Plaintext is
 * freed as upstream frees it, without clearing.
 */
#define CTLS_RX_REC_BIG		8192
#define CTLS_RX_REC_MAX		(CTLS_REC_MAX_PLAIN + CTLS_REC_MAX_EXPLICIT + \
				 CTLS_REC_MAX_TAG + 1)

/* After a failed allocation, the stage work tries again this much later. */
#define CTLS_RX_STAGE_RETRY	msecs_to_jiffies(10)

struct ctls_rx_rec *ctls_rx_rec_alloc(struct sock *sk, struct ctls_rx *rx,
				      u32 len)
{
	bool big = len >= CTLS_RX_REC_BIG;
	gfp_t gfp = sk->sk_allocation | __GFP_ACCOUNT;
	struct ctls_rx_rec *r;

	if (big && rx->spare) {
		r = rx->spare;
		rx->spare = NULL;
		return r;
	}
	if (big)
		gfp |= __GFP_NORETRY | __GFP_NOWARN;
	r = kmalloc(struct_size(r, data, big ? CTLS_RX_REC_MAX : len), gfp);
	if (r)
		r->big = big;
	return r;
}

void ctls_rx_rec_free(struct ctls_rx *rx, struct ctls_rx_rec *r)
{
	if (r && r->big && !rx->spare && !rx->closed)
		rx->spare = r;
	else
		kfree(r);
}

/* Copy @len bytes at @offset past TCP's copied_seq, not consuming them. */
int ctls_rx_peek(struct sock *sk, u32 offset, u8 *buf, u32 len)
{
	u32 seq = tcp_sk(sk)->copied_seq + offset;
	struct sk_buff *skb;

	sock_owned_by_me(sk);
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		u32 skb_off = seq - TCP_SKB_CB(skb)->seq;
		u32 n;

		if (!len)
			return 0;
		if (skb_off >= skb->len)
			continue;
		n = min(len, skb->len - skb_off);
		if (skb_copy_bits(skb, skb_off, buf, n))
			return -EFAULT;
		buf += n;
		seq += n;
		len -= n;
	}
	return len ? -EAGAIN : 0;
}

/*
 * Point @sg at @len bytes at @offset past TCP's copied_seq, as
 * ctls_rx_peek() would copy them. Returns the entries used, -EMSGSIZE when
 * more than @max would be (or an skb has a frag_list).
 */
int ctls_rx_tcp_sg(struct sock *sk, u32 offset, u32 len,
		   struct scatterlist *sg, int max)
{
	u32 seq = tcp_sk(sk)->copied_seq + offset;
	struct sk_buff *skb;
	int used = 0, n;

	sock_owned_by_me(sk);
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
 * Consume @len bytes from TCP (they are there). tcp_read_done() counts
 * every byte of the stream, urgent ones included, as upstream's parser
 * does: a peer's MSG_OOB byte is part of the TLS stream and fails the
 * record it lands in.
 */
static void ctls_rx_consume(struct sock *sk, struct ctls_rx *rx, u32 len)
{
	if (len)
		tcp_read_done(sk, len);
	rx->head.seq = tcp_sk(sk)->copied_seq;
}

/* Bytes of the head record still in TCP; the header must be known. */
static u32 ctls_rx_tcp_need(const struct ctls_rx_head *h)
{
	return CTLS_REC_HDR_LEN - h->hdr_moved + h->len - h->staged;
}

/*
 * Publish the summary poll reads, and wake readers and pollers when it
 * turns readable: whatever did that (new bytes, a peek that decrypted, a
 * staged record completed, a new key), an edge-triggered poller that saw
 * it unreadable gets its edge. Under the socket lock (owner or spinlock).
 */
void ctls_rx_publish(struct ctls_rx *rx)
{
	u8 old = rx->ready, ready = 0;

	if (!list_empty(&rx->done))
		ready |= CTLS_RX_DONE;
	if (rx->head.state == CTLS_HEAD_WHOLE)
		ready |= CTLS_RX_WHOLE;
	if (rx->key_pending)
		ready |= CTLS_RX_KEY;
	WRITE_ONCE(rx->ready, ready);
	if (!ctls_rx_readable(old) && ctls_rx_readable(ready))
		rx->saved_data_ready(rx->sk);
}

/* A bad header, or bytes gone from under us: the stream ends here. */
static void ctls_rx_stop(struct sock *sk, struct ctls_rx *rx, int err)
{
	rx->head.state = CTLS_HEAD_BAD;
	WRITE_ONCE(sk->sk_err, -err);
	sk_error_report(sk);
}

/* The head record's header, once all of it is there. */
static void ctls_rx_parse_header(struct sock *sk, struct ctls_rx *rx,
				 u32 inq)
{
	struct ctls_rx_head *h = &rx->head;
	u32 need = CTLS_REC_HDR_LEN - h->hdr_moved;
	int len;

	if (inq < need) {
		h->state = h->hdr_moved || inq ? CTLS_HEAD_PARTIAL :
						 CTLS_HEAD_EMPTY;
		return;
	}
	if (ctls_rx_peek(sk, 0, h->hdr + h->hdr_moved, need))
		return;
	len = ctls_rec_parse_header(&rx->ctx->rec, h->hdr);
	if (len < 0) {
		ctls_rx_stop(sk, rx, len);
		return;
	}
	h->len = len;
	h->known = true;
}

/*
 * Bring the head state up to date with TCP's queue. A bad header is
 * reported as soon as it is there, poll included, as upstream's parser
 * does. TCP's copied_seq moves only here (ctls_rx_consume()): if it moved
 * otherwise, a reader went around the ULP (TCP_ZEROCOPY_RECEIVE) and the
 * record boundaries are lost.
 */
void ctls_rx_parse(struct sock *sk, struct ctls_rx *rx)
{
	struct ctls_rx_head *h = &rx->head;
	u32 inq;

	sock_owned_by_me(sk);
	if (h->state == CTLS_HEAD_BAD)
		return;
	if (unlikely(tcp_sk(sk)->copied_seq != h->seq)) {
		ctls_rx_stop(sk, rx, -EBADMSG);
		goto out;
	}
	inq = tcp_inq(sk);
	if (!h->known)
		ctls_rx_parse_header(sk, rx, inq);
	if (h->known && h->state != CTLS_HEAD_BAD)
		h->state = inq >= ctls_rx_tcp_need(h) ? CTLS_HEAD_WHOLE :
							CTLS_HEAD_PARTIAL;
out:
	ctls_rx_publish(rx);
}

/*
 * TCP's receive buffer is (nearly) full and what it holds is the start of
 * a record that cannot complete: it must move out, be it two bytes of a
 * header (the tail of a large skb mostly read holds all of that skb's
 * memory, and the window stays shut until it is freed).
 */
static bool ctls_rx_pressure(struct sock *sk, struct ctls_rx *rx)
{
	return rx->head.state == CTLS_HEAD_PARTIAL && tcp_inq(sk) &&
	       tcp_epollin_ready(sk, INT_MAX);
}

/*
 * Move what TCP holds of the partial head record out of it: header bytes
 * into head.hdr, payload bytes into the stage. Every call moves at least
 * one byte or fails.
 */
static int ctls_rx_stage(struct sock *sk, struct ctls_rx *rx)
{
	struct ctls_rx_head *h = &rx->head;
	u32 n;

	if (h->hdr_moved < CTLS_REC_HDR_LEN) {
		n = min_t(u32, tcp_inq(sk), CTLS_REC_HDR_LEN - h->hdr_moved);
		if (!h->known && ctls_rx_peek(sk, 0, h->hdr + h->hdr_moved, n))
			return -EFAULT;
		ctls_rx_consume(sk, rx, n);
		h->hdr_moved += n;
		return 0;
	}
	if (!h->stage) {
		h->stage = ctls_rx_rec_alloc(sk, rx, h->len);
		if (!h->stage)
			return -ENOMEM;
		memcpy(h->stage->hdr, h->hdr, CTLS_REC_HDR_LEN);
	}
	n = min_t(u32, tcp_inq(sk), h->len - h->staged);
	if (ctls_rx_peek(sk, 0, h->stage->data + h->staged, n))
		return -EFAULT;
	ctls_rx_consume(sk, rx, n);
	h->staged += n;
	return 0;
}

/*
 * Stage while TCP is under pressure. Short of memory, try again a little
 * later: a reader or poller may be waiting for the rest of the record,
 * which cannot come until this succeeds. Run by the stage work, and by
 * read_sock, whose callers take data_ready over.
 */
void ctls_rx_relieve(struct sock *sk, struct ctls_rx *rx)
{
	sock_owned_by_me(sk);
	while (ctls_rx_pressure(sk, rx)) {
		if (ctls_rx_stage(sk, rx)) {
			schedule_delayed_work(&rx->stage_work,
					      CTLS_RX_STAGE_RETRY);
			return;
		}
		ctls_rx_parse(sk, rx);
	}
}

static void ctls_rx_stage_work(struct work_struct *work)
{
	struct ctls_rx *rx = container_of(to_delayed_work(work),
					  struct ctls_rx, stage_work);
	struct sock *sk = rx->sk;

	lock_sock(sk);
	if (!rx->closed) {
		ctls_rx_parse(sk, rx);
		ctls_rx_relieve(sk, rx);
	}
	release_sock(sk);
}

/* Under pressure, have the stage work move the partial record out. */
static void ctls_rx_kick_stage(struct sock *sk, struct ctls_rx *rx)
{
	if (ctls_rx_pressure(sk, rx))
		schedule_delayed_work(&rx->stage_work, 0);
}

/* Copy what TCP holds of the staged head record into its stage. */
void ctls_rx_copy_staged(struct sock *sk, struct ctls_rx *rx)
{
	struct ctls_rx_head *h = &rx->head;

	ctls_rx_peek(sk, 0, h->stage->data + h->staged, h->len - h->staged);
}

/*
 * The head record was taken (its stage, if any, now belongs to the taker):
 * the rest of it leaves TCP, and the next record is the head.
 */
void ctls_rx_head_done(struct sock *sk, struct ctls_rx *rx)
{
	struct ctls_rx_head *h = &rx->head;

	sock_owned_by_me(sk);
	ctls_rx_consume(sk, rx, ctls_rx_tcp_need(h));
	h->stage = NULL;
	h->staged = 0;
	h->hdr_moved = 0;
	h->known = false;
	h->len = 0;
	h->state = CTLS_HEAD_EMPTY;
	ctls_rx_parse(sk, rx);
	/* No data_ready comes for bytes already in TCP. */
	ctls_rx_kick_stage(sk, rx);
}

/*
 * New bytes in TCP (or TCP's idea of enough of them changed: SO_RCVLOWAT
 * lowered). Readers and pollers are woken while something is readable,
 * as TCP wakes them for a plain socket, on an error and at the end of the
 * stream: not for the segments of a record that is not whole yet.
 */
static void ctls_data_ready(struct sock *sk)
{
	struct ctls_rx *rx = ctls_ctx(sk)->rx;
	bool was_readable = ctls_rx_readable(rx->ready);

	/* Wakes them when this makes the socket readable. */
	ctls_rx_parse(sk, rx);
	ctls_rx_kick_stage(sk, rx);
	if ((was_readable && ctls_rx_readable(rx->ready)) || sk->sk_err ||
	    (sk->sk_shutdown & RCV_SHUTDOWN))
		rx->saved_data_ready(sk);
}

/* Under the socket lock: the parser takes over TCP's data_ready. */
void ctls_rx_framer_init(struct sock *sk, struct ctls_rx *rx)
{
	sock_owned_by_me(sk);
	INIT_DELAYED_WORK(&rx->stage_work, ctls_rx_stage_work);
	rx->head.seq = tcp_sk(sk)->copied_seq;
	write_lock_bh(&sk->sk_callback_lock);
	rx->saved_data_ready = sk->sk_data_ready;
	sk->sk_data_ready = ctls_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	/* Records may have arrived before the key: readers are woken. */
	ctls_rx_parse(sk, rx);
	ctls_rx_relieve(sk, rx);
}

/*
 * Socket closing, under its lock: TCP's data_ready back (only if it is
 * still ours), and from here on the stage work does nothing.
 */
void ctls_rx_framer_release(struct sock *sk, struct ctls_rx *rx)
{
	sock_owned_by_me(sk);
	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_data_ready == ctls_data_ready)
		sk->sk_data_ready = rx->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	rx->closed = true;
	kfree(rx->head.stage);
	rx->head.stage = NULL;
}

/* With the socket unlocked: no stage work runs after this. */
void ctls_rx_framer_free(struct ctls_rx *rx)
{
	cancel_delayed_work_sync(&rx->stage_work);
}
