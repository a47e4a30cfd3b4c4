// SPDX-License-Identifier: GPL-2.0
/*
 * The transmit path: sendmsg, sendpage (6.1), MSG_SPLICE_PAGES (6.12) and
 * splice_eof all come down to ctls_tx_send(), which reads top to bottom:
 * while data is left, make the socket ready, take the open record (or open
 * one), fill it from the iterator, and push it when it is full. At the end
 * the record is pushed unless the caller asked for more.
 *
 * A record lives in page fragments of the socket (sk_page_frag): its
 * header, then the plaintext copied from the caller, then room for the
 * TLS 1.3 inner type and the tag. Pushing seals it (encrypts it in place)
 * and hands those pages to TCP without another copy. A call that brings a
 * whole record at once (16 KiB, or its last bytes without MSG_MORE) skips
 * the copy: the record is encrypted from the caller's pages into its
 * fragments in one pass; 6.1's sendpage, which brings one page per call,
 * holds its pages by reference until they make such a record. One sealed
 * record may wait for TCP to take it ("out"); when TCP frees room,
 * write_space schedules a work item that sends it on.
 *
 * TCP may sleep for memory while it takes a record, releasing the socket
 * lock; ctx->tx_lock keeps every other sender and the work item out until
 * the one in progress is done with the record it is pushing. A rekey takes
 * only the socket lock: records are sealed only under it.
 */
#include <linux/highmem.h>
#include <linux/scatterlist.h>
#include <linux/workqueue.h>
#include <crypto/aead.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "ctls.h"

#define CTLS_TX_FRAGS 8
/* Plaintext may fill all fragment slots but one, kept for the tag. */
#define CTLS_TX_DATA_FRAGS (CTLS_TX_FRAGS - 1)
/*
 * A record sealed straight from the caller's pages (ctls_tx_direct()):
 * at least this much plaintext, from at most this many pages; its
 * scatterlist adds the additional data and the TLS 1.3 inner type.
 */
#define CTLS_TX_DIRECT_MIN 1024
#define CTLS_TX_SRC_PAGES 18
#define CTLS_TX_SRC_SGS (CTLS_TX_SRC_PAGES + 2)

struct ctls_tx_rec {
	struct bio_vec frag[CTLS_TX_FRAGS];
	unsigned int nr_frags;
	unsigned int len;	/* bytes held, header included */
	unsigned int sent;	/* bytes TCP has taken (sealed records) */
	bool push;		/* seal as soon as "out" is free */
	bool sealed;		/* "open" sealed by a rekey, "out" was busy */
	bool dontwait;		/* committed by a MSG_DONTWAIT call */
	u8 type;
};

/*
 * 6.1's sendpage: pages given with MSG_MORE, held by reference until they
 * make a record (see ctls_tx_hold()).
 */
#define CTLS_TX_HELD 16

struct ctls_tx_held {
	struct bio_vec bv[CTLS_TX_HELD];
	unsigned int n;
	size_t len;
	int flags;		/* MSG_DONTWAIT of the last sendpage */
};

struct ctls_tx {
	struct sock *sk;
	struct ctls_context *ctx;
	struct aead_request *req;
	struct ctls_rec_state rec;
	struct ctls_tx_rec open;	/* plaintext being gathered */
	struct ctls_tx_rec out;		/* sealed, not all taken by TCP */
	unsigned int dropped;		/* this call's bytes never sent */
	struct delayed_work work;
	bool closed;
	bool exhausted;			/* sequence numbers used up */
	u8 aad[CTLS_REC_MAX_AAD];
	u8 nonce[CTLS_REC_MAX_NONCE];
	u8 inner_type;			/* TLS 1.3, for a direct seal */
	struct scatterlist sg[CTLS_TX_FRAGS + 1];
	struct scatterlist src[CTLS_TX_SRC_SGS];
	struct page *pages[CTLS_TX_SRC_PAGES];	/* the caller's, pinned */
#if CTLS_HAVE_SENDPAGE
	struct ctls_tx_held held;
#endif
};

/* Errors after which queued records are sent later, not given up. */
static bool ctls_tx_transient(int err)
{
	return err == -EAGAIN || err == -ENOMEM || err == -EINTR ||
	       err == -ERESTARTSYS;
}

static void ctls_tx_abort(struct sock *sk, int err)
{
	WRITE_ONCE(sk->sk_err, -err);
	/* Publish the error before waking anyone up to read it. */
	smp_wmb();
	sk_error_report(sk);
}

static void ctls_tx_rec_free(struct sock *sk, struct ctls_tx_rec *r)
{
	unsigned int i;

	for (i = 0; i < r->nr_frags; i++)
		put_page(r->frag[i].bv_page);
	sk_mem_uncharge(sk, r->len);
	memset(r, 0, sizeof(*r));
}

/*
 * Take up to @len bytes of the socket's page fragment for record @r, using
 * at most @max_frags fragment slots. Sets *@addr to their kernel address
 * and returns how many bytes that is (at least 32 when @len is: that is
 * what sk_page_frag_refill() guarantees), or -ENOMEM (memory is short) or
 * -ENOSPC (no slot left). Nothing changes on error.
 */
static int ctls_tx_carve(struct sock *sk, struct ctls_tx_rec *r,
			 unsigned int len, unsigned int max_frags, u8 **addr)
{
	struct page_frag *pfrag = sk_page_frag(sk);
	struct bio_vec *last = r->nr_frags ? &r->frag[r->nr_frags - 1] : NULL;
	bool extend;

	if (!sk_page_frag_refill(sk, pfrag))
		return -ENOMEM;
	extend = last && last->bv_page == pfrag->page &&
		 last->bv_offset + last->bv_len == pfrag->offset;
	if (!extend && r->nr_frags >= max_frags)
		return -ENOSPC;
	len = min_t(unsigned int, len, pfrag->size - pfrag->offset);
	if (!sk_wmem_schedule(sk, len))
		return -ENOMEM;

	if (extend) {
		last->bv_len += len;
	} else {
		last = &r->frag[r->nr_frags++];
		last->bv_page = pfrag->page;
		last->bv_offset = pfrag->offset;
		last->bv_len = len;
		get_page(pfrag->page);
	}
	*addr = page_address(pfrag->page) + pfrag->offset;
	pfrag->offset += len;
	r->len += len;
	sk_mem_charge(sk, len);
	return len;
}

/* Give back what record @r holds past its first @len bytes. */
static void ctls_tx_trim(struct sock *sk, struct ctls_tx_rec *r,
			 unsigned int len)
{
	sk_mem_uncharge(sk, r->len - len);
	while (r->len > len) {
		struct bio_vec *bv = &r->frag[r->nr_frags - 1];
		unsigned int n = min(bv->bv_len, r->len - len);

		bv->bv_len -= n;
		r->len -= n;
		if (!bv->bv_len) {
			put_page(bv->bv_page);
			r->nr_frags--;
		}
	}
}

/*
 * The flags a record was committed with: at close it is sent under them,
 * as upstream's close sends each record with its own.
 */
static void ctls_tx_mark(struct ctls_tx_rec *r, int flags)
{
	r->dontwait = !!(flags & MSG_DONTWAIT);
}

static int ctls_tx_rec_flags(const struct ctls_tx_rec *r)
{
	return r->dontwait ? MSG_DONTWAIT : 0;
}

static int ctls_tx_open(struct sock *sk, struct ctls_context *ctx, u8 type)
{
	struct ctls_tx_rec *r = &ctx->tx->open;
	unsigned int need = ctls_rec_prepend(&ctx->rec);
	u8 *addr;
	int got;

	/* Fits in one carve: need < 32, see ctls_tx_carve(). */
	got = ctls_tx_carve(sk, r, need, 1, &addr);
	if (got < 0)
		return got;
	r->type = type;
	return 0;
}

static unsigned int ctls_tx_plain_len(struct ctls_context *ctx)
{
	return ctx->tx->open.len - ctls_rec_prepend(&ctx->rec);
}

/*
 * The most plaintext one record carries: TLS_TX_MAX_PAYLOAD_LEN, 16 KiB
 * unless the user set less. It changes only under the socket lock and
 * only while no record is open (ctls_tx_rec_open()), so every record is
 * built to one limit.
 */
static unsigned int ctls_tx_max(struct sock *sk, struct ctls_context *ctx)
{
	sock_owned_by_me(sk);
	return ctx->tx_max_plain;
}

/*
 * Copy up to @want bytes from @from into the open record. Returns the bytes
 * copied; 0 when the record has no fragment slot left (push it), -ENOMEM
 * when nothing could be copied, or -EFAULT. A fault gives back everything
 * this call copied, as upstream's sendmsg trims a record back to what it
 * held before the copy that faulted.
 */
static int ctls_tx_fill(struct sock *sk, struct ctls_tx *tx,
			struct iov_iter *from, size_t want)
{
	struct ctls_tx_rec *r = &tx->open;
	unsigned int start = r->len;
	size_t done = 0, copy;
	u8 *dst;
	int got;

	while (done < want) {
		got = ctls_tx_carve(sk, r, want - done, CTLS_TX_DATA_FRAGS, &dst);
		if (got == -ENOSPC)
			break;
		if (got < 0)
			return done ? done : got;
		copy = copy_from_iter(dst, got, from);
		done += copy;
		if (copy != got) {
			ctls_tx_trim(sk, r, start);
			return -EFAULT;
		}
	}
	return done;
}

/* Build the AEAD's scatterlist: the AAD, then the record after its header. */
static unsigned int ctls_tx_sg(struct ctls_tx *tx, unsigned int aad_len,
			       unsigned int skip)
{
	struct ctls_tx_rec *r = &tx->open;
	unsigned int i, n = 1;

	sg_init_table(tx->sg, r->nr_frags + 1);
	sg_set_buf(&tx->sg[0], tx->aad, aad_len);
	for (i = 0; i < r->nr_frags; i++) {
		struct bio_vec *bv = &r->frag[i];
		unsigned int off = min(skip, bv->bv_len);

		skip -= off;
		if (off == bv->bv_len)
			continue;
		sg_set_page(&tx->sg[n++], bv->bv_page, bv->bv_len - off,
			    bv->bv_offset + off);
	}
	sg_mark_end(&tx->sg[n - 1]);
	return n;
}

/*
 * The open record cannot be sent (its encryption failed, or the sequence
 * numbers ran out): the stream is aborted with EBADMSG, as upstream's is,
 * and the record's @counted bytes, which a send had already counted as
 * taken, are taken back from what its caller is told.
 */
static int ctls_tx_drop(struct sock *sk, struct ctls_tx *tx,
			unsigned int counted)
{
	ctls_tx_abort(sk, -EBADMSG);
	tx->dropped += counted;
	ctls_tx_rec_free(sk, &tx->open);
	return -EBADMSG;
}

/* A sealed record goes behind the one TCP is taking, if there is one. */
static void ctls_tx_queue(struct ctls_tx *tx)
{
	struct ctls_tx_rec *r = &tx->open;

	if (tx->out.len) {
		r->sealed = true;
		return;
	}
	r->sealed = false;
	tx->out = *r;
	memset(r, 0, sizeof(*r));
}

/*
 * Encrypt the open record (header and tail carved, @plain bytes of
 * plaintext) from @src, entry 0 left for the additional data, into its
 * fragments after the header; in place when @src is NULL (its bytes were
 * counted as sent then; from @src they were not yet). Then the sequence
 * number moves on and the record becomes "out". Once the sequence numbers
 * are used up nothing is ever sealed again under this key: the next record
 * would reuse sequence number 0 (see docs/design.md).
 */
static int ctls_tx_encrypt(struct sock *sk, struct ctls_context *ctx,
			   struct scatterlist *src, unsigned int plain)
{
	const struct ctls_rec_proto *p = &ctx->rec;
	struct ctls_tx *tx = ctx->tx;
	struct ctls_tx_rec *r = &tx->open;
	DECLARE_CRYPTO_WAIT(wait);
	unsigned int counted = src ? 0 : plain;
	unsigned int aad_len;
	int err;

	if (tx->exhausted)
		return ctls_tx_drop(sk, tx, counted);
	ctls_rec_write_prepend(p, &tx->rec,
			       page_address(r->frag[0].bv_page) + r->frag[0].bv_offset,
			       r->type, plain);
	aad_len = ctls_rec_aad(p, &tx->rec, tx->aad, r->type, plain);
	ctls_rec_nonce(p, &tx->rec, NULL, tx->nonce);
	ctls_tx_sg(tx, aad_len, ctls_rec_prepend(p));
	if (src)
		sg_set_buf(&src[0], tx->aad, aad_len);
	else
		src = tx->sg;

	aead_request_set_callback(tx->req, CRYPTO_TFM_REQ_MAY_BACKLOG,
				  crypto_req_done, &wait);
	aead_request_set_ad(tx->req, aad_len);
	aead_request_set_crypt(tx->req, src, tx->sg, plain + p->tls13,
			       tx->nonce);
	err = crypto_wait_req(crypto_aead_encrypt(tx->req), &wait);
	if (err)
		return ctls_tx_drop(sk, tx, counted);

	if (ctls_rec_advance(p, &tx->rec)) {
		/* Its sequence number was the last: it must not go out. */
		tx->exhausted = true;
		return ctls_tx_drop(sk, tx, counted);
	}
	ctls_tx_queue(tx);
	return 0;
}

/*
 * Seal the open record: inner type and tag room, then in-place AEAD
 * encryption. One a rekey sealed already is only queued.
 */
static int ctls_tx_seal(struct sock *sk, struct ctls_context *ctx)
{
	const struct ctls_rec_proto *p = &ctx->rec;
	struct ctls_tx_rec *r = &ctx->tx->open;
	unsigned int plain = ctls_tx_plain_len(ctx);
	u8 *tail;
	int err;

	if (r->sealed) {
		ctls_tx_queue(ctx->tx);
		return 0;
	}
	/* Inner type and tag room: one carve (< 32 bytes, a slot is kept). */
	err = ctls_tx_carve(sk, r, ctls_rec_append(p), CTLS_TX_FRAGS, &tail);
	if (err < 0)
		return err;
	if (p->tls13)
		tail[0] = r->type;
	return ctls_tx_encrypt(sk, ctx, NULL, plain);
}

/* Carve @need bytes for the open record, in as many pieces as it takes. */
static int ctls_tx_reserve(struct sock *sk, struct ctls_tx *tx,
			   unsigned int need)
{
	u8 *addr;
	int got;

	while (need) {
		got = ctls_tx_carve(sk, &tx->open, need, CTLS_TX_FRAGS, &addr);
		if (got < 0)
			return got;
		need -= got;
	}
	return 0;
}

/*
 * A whole record from the caller's pages (user memory, or the pages of
 * sendpage and splice): encrypted from them into the record's fragments in
 * one pass, where ctls_tx_fill() copies and ctls_tx_seal() encrypts in
 * place. Returns the bytes taken; -EBADMSG when the record could not be
 * sealed (it is dropped and the stream aborted, see ctls_tx_drop()); or
 * -EMSGSIZE when the caller's buffer cannot be used so or memory is short:
 * the copying path takes over.
 */
static int ctls_tx_direct(struct sock *sk, struct ctls_context *ctx,
			  struct msghdr *msg, u8 type, size_t len)
{
	const struct ctls_rec_proto *p = &ctx->rec;
	struct ctls_tx *tx = ctx->tx;
	struct scatterlist *src = tx->src;
	int np, err;

	sg_init_table(src, CTLS_TX_SRC_SGS);
	np = ctls_sg_pin(&msg->msg_iter, len, tx->pages, CTLS_TX_SRC_PAGES,
			 src + 1);
	if (np < 0)
		return -EMSGSIZE;
	if (p->tls13) {
		tx->inner_type = type;
		sg_set_buf(&src[1 + np], &tx->inner_type, 1);
	}
	sg_mark_end(&src[np + p->tls13]);

	err = ctls_tx_open(sk, ctx, type);
	if (!err)
		err = ctls_tx_reserve(sk, tx, len + ctls_rec_append(p));
	if (!err) {
		ctls_tx_mark(&tx->open, msg->msg_flags);
		err = ctls_tx_encrypt(sk, ctx, src, len);
		ctls_sg_unpin(tx->pages, np);
		return err ? err : len;
	}
	ctls_sg_unpin(tx->pages, np);
	ctls_tx_rec_free(sk, &tx->open);
	iov_iter_revert(&msg->msg_iter, len);
	return -EMSGSIZE;
}

/*
 * Hand TCP what it will take of the sealed record. A hard error from TCP
 * (EPIPE, ECONNRESET...) is kept in sk_err as it is, as upstream's
 * tls_tx_records() keeps it, and goes back to the caller; what is left of
 * the record stays "out".
 */
static int ctls_tx_flush(struct sock *sk, struct ctls_tx *tx, int flags)
{
	struct ctls_tx_rec *r = &tx->out;
	struct bio_vec bv[CTLS_TX_FRAGS];

	while (r->sent < r->len) {
		unsigned int skip = r->sent, n = 0, i;
		int ret;

		for (i = 0; i < r->nr_frags; i++) {
			unsigned int off = min(skip, r->frag[i].bv_len);

			skip -= off;
			if (off == r->frag[i].bv_len)
				continue;
			bv[n].bv_page = r->frag[i].bv_page;
			bv[n].bv_offset = r->frag[i].bv_offset + off;
			bv[n++].bv_len = r->frag[i].bv_len - off;
		}
		flags = (flags & (MSG_DONTWAIT | MSG_MORE)) | MSG_NOSIGNAL;
		ret = ctls_tcp_send_pages(sk, bv, n, r->len - r->sent, flags);
		if (!ret)
			ret = -EAGAIN;
		if (ret < 0 && !ctls_tx_transient(ret))
			ctls_tx_abort(sk, ret);
		if (ret < 0)
			return ret;
		r->sent += ret;
	}
	ctls_tx_rec_free(sk, r);
	return 0;
}

static bool ctls_tx_busy(const struct ctls_tx *tx)
{
	return tx->out.len || tx->open.push;
}

/*
 * Move queued work forward: send what is sealed, then seal and send a
 * record that was waiting to be pushed. A transient error (TCP has no room,
 * memory is short, a signal) leaves the rest queued.
 */
static int ctls_tx_progress(struct sock *sk, struct ctls_context *ctx,
			    int flags)
{
	struct ctls_tx *tx = ctx->tx;
	int err;

	err = ctls_tx_flush(sk, tx, flags);
	if (err || !tx->open.push)
		return err;

	err = ctls_tx_seal(sk, ctx);
	if (err)
		return err;
	return ctls_tx_flush(sk, tx, flags);
}

/*
 * Send what is queued, now or, after a transient error, from the work item
 * or the next call.
 */
static int ctls_tx_kick(struct sock *sk, struct ctls_context *ctx, int flags)
{
	int err = ctls_tx_progress(sk, ctx, flags);

	if (!ctls_tx_transient(err))
		return err;
	if (err == -ENOMEM)
		schedule_delayed_work(&ctx->tx->work, HZ / 10);
	return 0;
}

/*
 * Close the open record and send it, now or, after a transient error,
 * from the work item or the next call. The data is committed either way.
 */
static int ctls_tx_push(struct sock *sk, struct ctls_context *ctx, int flags)
{
	struct ctls_tx *tx = ctx->tx;

	if (!tx->open.len)
		return 0;
	tx->open.push = true;
	ctls_tx_mark(&tx->open, flags);
	return ctls_tx_kick(sk, ctx, flags);
}

/*
 * Make the socket ready to take more data: no error, nothing queued ahead,
 * and room in the send buffer. Waits unless the caller does not.
 */
static int ctls_tx_wait_ready(struct sock *sk, struct ctls_context *ctx,
			      int flags, long *timeo)
{
	int err;

	for (;;) {
		if (sk->sk_err)
			return -sk->sk_err;
		if (ctx->tx->exhausted)
			return -EBADMSG;
		err = ctls_tx_progress(sk, ctx, flags | MSG_DONTWAIT);
		if (err && !ctls_tx_transient(err))
			return err;
		if (!err && sk_stream_memory_free(sk))
			return 0;
		err = sk_stream_wait_memory(sk, timeo);
		if (err)
			return err;
	}
}

/*
 * TLS_SET_RECORD_TYPE: the data of this call goes in records of that type,
 * so a record still open is pushed first. As upstream: control messages of
 * other levels are skipped, but a call whose only control messages are
 * foreign gets EINVAL, and so does a record type with MSG_MORE.
 */
static int ctls_tx_cmsg(struct sock *sk, struct ctls_context *ctx,
			struct msghdr *msg, u8 *type)
{
	struct cmsghdr *cmsg;
	int err = -EINVAL;

	for_each_cmsghdr(cmsg, msg) {
		if (!CMSG_OK(msg, cmsg))
			return -EINVAL;
		if (cmsg->cmsg_level != SOL_TLS)
			continue;
		if (cmsg->cmsg_type != TLS_SET_RECORD_TYPE ||
		    cmsg->cmsg_len < CMSG_LEN(sizeof(*type)) ||
		    (msg->msg_flags & MSG_MORE))
			return -EINVAL;
		*type = *(u8 *)CMSG_DATA(cmsg);
		err = ctls_tx_push(sk, ctx, msg->msg_flags);
		if (err)
			return err;
	}
	return err;
}

/*
 * Copy from @msg into the open record, opening one if needed. An open
 * record always holds data: one opened for a copy that then fails is let
 * go of at once, so that no empty record is ever sealed (upstream's
 * sendmsg trims its record back to empty and never pushes an empty one).
 */
static int ctls_tx_copy(struct sock *sk, struct ctls_context *ctx,
			struct msghdr *msg, u8 type)
{
	struct ctls_tx *tx = ctx->tx;
	size_t room;
	int n;

	if (!tx->open.len) {
		n = ctls_tx_open(sk, ctx, type);
		if (n)
			return n;
	}
	room = ctls_tx_max(sk, ctx) - ctls_tx_plain_len(ctx);
	if (!room)
		return 0;
	n = ctls_tx_fill(sk, tx, &msg->msg_iter,
			 min(room, msg_data_left(msg)));
	if (n > 0)
		ctls_tx_mark(&tx->open, msg->msg_flags);
	else if (n < 0 && !ctls_tx_plain_len(ctx))
		ctls_tx_rec_free(sk, &tx->open);
	return n;
}

/*
 * Fill the open record (opening one if needed) from @msg. Returns the bytes
 * taken, 0 when the record is full, or -errno.
 */
static int ctls_tx_step(struct sock *sk, struct ctls_context *ctx,
			struct msghdr *msg, u8 type)
{
	struct ctls_tx *tx = ctx->tx;
	size_t left = msg_data_left(msg);
	size_t max = ctls_tx_max(sk, ctx);
	int err;

	if (!tx->open.len && min(left, max) >= CTLS_TX_DIRECT_MIN &&
	    (left >= max || !(msg->msg_flags & MSG_MORE))) {
		err = ctls_tx_direct(sk, ctx, msg, type, min(left, max));
		if (err != -EMSGSIZE)
			return err;
	}
	return ctls_tx_copy(sk, ctx, msg, type);
}

static bool ctls_tx_full(struct sock *sk, struct ctls_context *ctx)
{
	return ctls_tx_plain_len(ctx) >= ctls_tx_max(sk, ctx) ||
	       ctx->tx->open.nr_frags >= CTLS_TX_DATA_FRAGS;
}

/*
 * One turn of the send loop: wait until the socket takes data, move up to
 * a record's worth of it into the open record, push the record once full.
 * Bytes taken are added to *@copied even when the push then fails: they
 * are committed.
 */
static int ctls_tx_turn(struct sock *sk, struct ctls_context *ctx,
			struct msghdr *msg, u8 type, long *timeo,
			size_t *copied)
{
	int n, err;

	err = ctls_tx_wait_ready(sk, ctx, msg->msg_flags, timeo);
	if (err)
		return err;
	n = ctls_tx_step(sk, ctx, msg, type);
	if (n == -ENOMEM)
		return sk_stream_wait_memory(sk, timeo);
	if (n < 0)
		return n;
	*copied += n;
	/* Sealed straight from the caller's pages: on its way. */
	if (!ctx->tx->open.len)
		return ctls_tx_kick(sk, ctx, msg->msg_flags);
	if (n && !ctls_tx_full(sk, ctx))
		return 0;
	return ctls_tx_push(sk, ctx, msg->msg_flags);
}

static int ctls_tx_send(struct sock *sk, struct msghdr *msg)
{
	struct ctls_context *ctx = ctls_ctx(sk);
	long timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	u8 type = CTLS_REC_TYPE_DATA;
	size_t copied = 0;
	int err = 0;

	ctx->tx->dropped = 0;
	if (msg->msg_controllen)
		err = ctls_tx_cmsg(sk, ctx, msg, &type);
	while (!err && msg_data_left(msg))
		err = ctls_tx_turn(sk, ctx, msg, type, &timeo, &copied);
	if (copied && !err && !(msg->msg_flags & MSG_MORE))
		err = ctls_tx_push(sk, ctx, msg->msg_flags);

	/* Bytes of a record that was dropped were not sent. */
	copied -= min_t(size_t, copied, ctx->tx->dropped);
	ctx->tx->dropped = 0;
	/*
	 * As upstream, even when bytes were taken: EPIPE takes the socket's
	 * error in its place (sk_err is cleared) and raises SIGPIPE unless
	 * MSG_NOSIGNAL.
	 */
	err = sk_stream_error(sk, msg->msg_flags, err);
	return copied ? copied : err;
}

#if CTLS_HAVE_SENDPAGE
/* One page through the sendmsg path, as a one-entry iterator. */
static int ctls_tx_send_page(struct sock *sk, struct bio_vec *bv, int flags)
{
	struct msghdr msg = { .msg_flags = flags };

	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bv, 1, bv->bv_len);
	return ctls_tx_send(sk, &msg);
}

/*
 * The pages of 6.1's sendfile and splice come one per call, with MSG_MORE
 * until the last. Copied into the open record one by one, every byte would
 * be copied once before it is encrypted; held by reference instead, up to
 * a record's worth, they then go through ctls_tx_send() together, which
 * seals that whole record straight from them (ctls_tx_direct()), as
 * upstream's sendpage encrypts from the pages it was given. Held bytes
 * count as sent and are charged to the socket; any other use of the send
 * side (sendmsg, splice_eof, close) sends them first.
 */
static bool ctls_tx_can_hold(struct sock *sk, struct ctls_context *ctx,
			     size_t size)
{
	const struct ctls_tx_held *h = &ctx->tx->held;

	return h->n < CTLS_TX_HELD && h->len + size <= ctls_tx_max(sk, ctx) &&
	       !sk->sk_err && sk_stream_memory_free(sk) &&
	       sk_wmem_schedule(sk, size);
}

/* The first @len held bytes were sent: let go of them. */
static void ctls_tx_held_consume(struct sock *sk, struct ctls_tx_held *h,
				 size_t len)
{
	unsigned int i = 0;

	sk_mem_uncharge(sk, len);
	h->len -= len;
	while (len) {
		struct bio_vec *bv = &h->bv[i];
		size_t n = min_t(size_t, len, bv->bv_len);

		bv->bv_offset += n;
		bv->bv_len -= n;
		len -= n;
		if (bv->bv_len)
			break;
		put_page(bv->bv_page);
		i++;
	}
	h->n -= i;
	memmove(h->bv, h->bv + i, h->n * sizeof(h->bv[0]));
}

/* Let go of the last @len held bytes, all in the last page (not sent). */
static void ctls_tx_held_trim(struct sock *sk, struct ctls_tx_held *h,
			      size_t len)
{
	struct bio_vec *bv = &h->bv[h->n - 1];

	sk_mem_uncharge(sk, len);
	h->len -= len;
	bv->bv_len -= len;
	if (!bv->bv_len) {
		put_page(bv->bv_page);
		h->n--;
	}
}

static void ctls_tx_held_free(struct sock *sk, struct ctls_tx *tx)
{
	ctls_tx_held_consume(sk, &tx->held, tx->held.len);
}

static size_t ctls_tx_held_len(const struct ctls_tx *tx)
{
	return READ_ONCE(tx->held.len);
}

static int ctls_tx_held_flags(const struct ctls_tx *tx)
{
	return tx->held.flags;
}

/* Send every held byte. Returns 0, or -errno with the rest still held. */
static int ctls_tx_send_held(struct sock *sk, struct ctls_context *ctx,
			     int flags)
{
	struct ctls_tx_held *h = &ctx->tx->held;
	struct msghdr msg = {
		.msg_flags = flags & (MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL),
	};
	int ret;

	while (h->len) {
		iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, h->bv, h->n, h->len);
		ret = ctls_tx_send(sk, &msg);
		if (ret <= 0)
			return ret ? ret : -EAGAIN;
		ctls_tx_held_consume(sk, h, ret);
	}
	return 0;
}

/*
 * Hold the page, and send what is held once it makes a record or the
 * caller has no more. Returns the bytes of this page taken, or -errno.
 */
static int ctls_tx_hold(struct sock *sk, struct ctls_context *ctx,
			struct bio_vec *bv, int flags)
{
	struct ctls_tx_held *h = &ctx->tx->held;
	size_t size = bv->bv_len, left;
	int err;

	if (!ctls_tx_can_hold(sk, ctx, size)) {
		err = ctls_tx_send_held(sk, ctx, flags | MSG_MORE);
		if (err)
			return err;
		if (!ctls_tx_can_hold(sk, ctx, size))
			return ctls_tx_send_page(sk, bv, flags);
	}
	get_page(bv->bv_page);
	h->bv[h->n++] = *bv;
	h->len += size;
	h->flags = flags & MSG_DONTWAIT;
	sk_mem_charge(sk, size);
	if ((flags & MSG_MORE) && h->len < ctls_tx_max(sk, ctx))
		return size;

	err = ctls_tx_send_held(sk, ctx, flags);
	if (!err)
		return size;
	/* This page is the last one held: what is left of it was not sent. */
	left = min(h->len, size);
	ctls_tx_held_trim(sk, h, left);
	return left < size ? size - left : err;
}

/* 6.1's sendfile and splice. */
int ctls_sendpage(struct sock *sk, struct page *page, int offset,
		  size_t size, int flags)
{
	struct bio_vec bv = {
		.bv_page = page, .bv_offset = offset, .bv_len = size,
	};
	int msg_flags = flags & (MSG_DONTWAIT | MSG_NOSIGNAL);
	int ret;

	if (flags & ~(MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL |
		      MSG_SENDPAGE_NOTLAST | MSG_SENDPAGE_NOPOLICY))
		return -EOPNOTSUPP;
	if (flags & (MSG_MORE | MSG_SENDPAGE_NOTLAST))
		msg_flags |= MSG_MORE;

	ret = mutex_lock_interruptible(&ctls_ctx(sk)->tx_lock);
	if (ret)
		return ret;
	lock_sock(sk);
	ret = ctls_tx_hold(sk, ctls_ctx(sk), &bv, msg_flags);
	release_sock(sk);
	mutex_unlock(&ctls_ctx(sk)->tx_lock);
	return ret;
}
#else
static int ctls_tx_send_held(struct sock *sk, struct ctls_context *ctx,
			     int flags)
{
	return 0;
}

static void ctls_tx_held_free(struct sock *sk, struct ctls_tx *tx)
{
}

static size_t ctls_tx_held_len(const struct ctls_tx *tx)
{
	return 0;
}

static int ctls_tx_held_flags(const struct ctls_tx *tx)
{
	return 0;
}
#endif

static int ctls_tx_sendmsg_locked(struct sock *sk, struct ctls_context *ctx,
				  struct msghdr *msg)
{
	int ret;

	/*
	 * As upstream 6.12: more to come and end of record at once is
	 * EINVAL. (6.1 refuses MSG_EOR itself, with EOPNOTSUPP, before.)
	 */
	if ((msg->msg_flags & MSG_MORE) && (msg->msg_flags & MSG_EOR))
		return -EINVAL;
	ret = ctls_tx_send_held(sk, ctx, msg->msg_flags | MSG_MORE);
	if (ret)
		return ret;
	return ctls_tx_send(sk, msg);
}

int ctls_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct ctls_context *ctx = ctls_ctx(sk);
	int ret;

	if (msg->msg_flags & ~CTLS_SENDMSG_FLAGS)
		return -EOPNOTSUPP;

	/*
	 * A sender may hold the lock while it waits for TCP for as long as
	 * the peer does not read: the next one waits for it interruptibly
	 * (EINTR), MSG_DONTWAIT or not, as upstream's does.
	 */
	ret = mutex_lock_interruptible(&ctx->tx_lock);
	if (ret)
		return ret;
	lock_sock(sk);
	ret = ctls_tx_sendmsg_locked(sk, ctx, msg);
	release_sock(sk);
	mutex_unlock(&ctx->tx_lock);
	return ret;
}

/* Whether MSG_MORE left anything open (a peek; the lock holder decides). */
static bool ctls_tx_pending(const struct ctls_tx *tx)
{
	return READ_ONCE(tx->open.len) || ctls_tx_held_len(tx);
}

/*
 * Whether a record takes more data: the open one unless it was closed
 * (it waits to be sealed), or 6.1's held pages. Upstream refuses a new
 * TLS_TX_MAX_PAYLOAD_LEN (EBUSY) while its open record is there.
 */
bool ctls_tx_rec_open(struct sock *sk, struct ctls_context *ctx)
{
	const struct ctls_tx *tx = ctx->tx;

	sock_owned_by_me(sk);
	if (!tx)
		return false;
	return (tx->open.len && !tx->open.push) || ctls_tx_held_len(tx);
}

/*
 * The end of a splice or sendfile: push what MSG_MORE kept open. As
 * upstream, nothing is locked when nothing is open; the lock is waited for
 * killably, not uninterruptibly as upstream does, so that a task behind a
 * sender blocked on a peer that does not read can still be killed (what it
 * left open is pushed by the next send or by close).
 */
void ctls_splice_eof(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct ctls_context *ctx = ctls_ctx(sk);

	if (!ctls_tx_pending(ctx->tx) || mutex_lock_killable(&ctx->tx_lock))
		return;
	lock_sock(sk);
	if (!ctls_tx_send_held(sk, ctx, MSG_NOSIGNAL) && !sk->sk_err)
		ctls_tx_push(sk, ctx, 0);
	release_sock(sk);
	mutex_unlock(&ctx->tx_lock);
}

static void ctls_tx_work(struct work_struct *work)
{
	struct ctls_tx *tx = container_of(work, struct ctls_tx, work.work);
	struct sock *sk = tx->sk;
	int err = 0;

	/* A sender holds it: it moves the queue on itself; look again later. */
	if (!mutex_trylock(&tx->ctx->tx_lock)) {
		schedule_delayed_work(&tx->work, msecs_to_jiffies(10));
		return;
	}
	lock_sock(sk);
	if (!tx->closed && !sk->sk_err && ctls_tx_busy(tx))
		err = ctls_tx_progress(sk, tx->ctx, MSG_DONTWAIT);
	if (err == -ENOMEM)
		schedule_delayed_work(&tx->work, HZ / 10);
	release_sock(sk);
	mutex_unlock(&tx->ctx->tx_lock);
}

static void ctls_write_space(struct sock *sk)
{
	struct ctls_context *ctx = ctls_ctx(sk);

	if (ctx->tx && ctls_tx_busy(ctx->tx))
		schedule_delayed_work(&ctx->tx->work, 0);
	ctx->sk_write_space(sk);
}

const struct ctls_rec_state *ctls_tx_rec_state(struct ctls_context *ctx)
{
	return &ctx->tx->rec;
}

/*
 * TLS 1.3 rekey, under the socket lock alone, as upstream's setsockopt.
 * A sender may be asleep in TCP with the socket unlocked, in the middle of
 * handing it "out": it encrypts nothing until it has the socket again, but
 * nothing here may send either. Records sealed already go out under the
 * old key; one the user closed but that waits to be sealed (TCP was full)
 * must too, so it is sealed now, in place, and queued behind the record
 * TCP is taking: nothing here waits for TCP. Data still open belongs after
 * the KeyUpdate message that was pushed before this call: it gets the new
 * key, and with it a new sequence number space.
 */
int ctls_tx_rekey(struct sock *sk, struct ctls_context *ctx,
		  const union ctls_crypto_info *ci)
{
	struct ctls_tx *tx = ctx->tx;
	int err = 0;

	if (tx->open.push && !tx->open.sealed) {
		err = ctls_tx_seal(sk, ctx);
		/* Sent by the work item (never from here: see above). */
		if (!err)
			schedule_delayed_work(&tx->work, 0);
	}
	if (!err)
		err = ctls_cipher_rekey(tx->req, ctx->cipher, ci);
	if (err)
		return err;
	ctls_cipher_rec_state(ctx->cipher, ci, &tx->rec);
	tx->exhausted = false;
	return 0;
}

int ctls_tx_init(struct sock *sk, struct ctls_context *ctx)
{
	struct ctls_tx *tx;

	tx = kzalloc(sizeof(*tx), GFP_KERNEL);
	if (!tx)
		return -ENOMEM;

	tx->req = ctls_cipher_request(ctx->cipher, &ctx->tx_info);
	if (IS_ERR(tx->req)) {
		int err = PTR_ERR(tx->req);

		kfree(tx);
		return err;
	}
	tx->sk = sk;
	tx->ctx = ctx;
	INIT_DELAYED_WORK(&tx->work, ctls_tx_work);
	ctls_cipher_rec_state(ctx->cipher, &ctx->tx_info, &tx->rec);

	ctx->tx = tx;
	ctx->sk_write_space = sk->sk_write_space;
	sk->sk_write_space = ctls_write_space;
	return 0;
}

/*
 * Closing: what the user committed goes to TCP under the flags it was
 * committed with, as upstream's close sends each record with its own
 * (tls_sw_release_resources_tx(): tls_tx_records(sk, -1)). A record of a
 * blocking call waits for room as that call would have (until SO_SNDTIMEO,
 * a signal or an error): a record TCP has only partly taken is not cut
 * short. One of a MSG_DONTWAIT call goes as far as TCP takes it now. The
 * record left open (MSG_MORE; upstream drops it) is sealed only once the
 * one before it is all out, under the flags of the call that last added
 * to it.
 */
static void ctls_tx_close_send(struct sock *sk, struct ctls_context *ctx)
{
	struct ctls_tx *tx = ctx->tx;

	if (ctls_tx_flush(sk, tx, ctls_tx_rec_flags(&tx->out)) ||
	    ctls_tx_send_held(sk, ctx, ctls_tx_held_flags(tx) | MSG_NOSIGNAL) ||
	    ctls_tx_flush(sk, tx, ctls_tx_rec_flags(&tx->out)) ||
	    !tx->open.len || sk->sk_err)
		return;
	if (!ctls_tx_seal(sk, ctx))
		ctls_tx_flush(sk, tx, ctls_tx_rec_flags(&tx->out));
}

/*
 * Socket closing, under its lock: send what the user committed (see
 * ctls_tx_close_send()); what TCP does not take is dropped, as TCP drops
 * its own unsent data on an abortive close. The work item does nothing
 * from here on, even while close waits for TCP with the socket unlocked.
 */
void ctls_tx_release(struct sock *sk, struct ctls_context *ctx)
{
	struct ctls_tx *tx = ctx->tx;

	tx->closed = true;
	if (!sk->sk_err)
		ctls_tx_close_send(sk, ctx);
	ctls_tx_held_free(sk, tx);
	ctls_tx_rec_free(sk, &tx->open);
	ctls_tx_rec_free(sk, &tx->out);
	/*
	 * Only if it is still ours, as upstream: a kernel user may have put
	 * its own back already (sunrpc does, before sock_release()).
	 */
	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_write_space == ctls_write_space)
		sk->sk_write_space = ctx->sk_write_space;
	write_unlock_bh(&sk->sk_callback_lock);
}

/* After ctls_tx_release() and with the socket unlocked. */
void ctls_tx_free(struct ctls_context *ctx)
{
	struct ctls_tx *tx = ctx->tx;

	if (!tx)
		return;
	cancel_delayed_work_sync(&tx->work);
	ctls_cipher_request_free(tx->req);
	kfree_sensitive(tx);
	ctx->tx = NULL;
}
