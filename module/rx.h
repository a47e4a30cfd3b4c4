/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The receive side's state, shared by the record parser (framer.c) and the
 * readers (rx.c). docs/design.md ("The receive path") has the state machine
 * and its locking rules; the code asserts them.
 */
#ifndef _CTLS_RX_H
#define _CTLS_RX_H

#include <linux/list.h>
#include <linux/scatterlist.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

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

/* A record out of TCP: staged (ciphertext) or decrypted (plaintext). */
struct ctls_rx_rec {
	struct list_head list;
	unsigned int off;	/* first unread plaintext byte */
	unsigned int end;	/* end of the plaintext */
	bool big;		/* sized for the largest record */
	u8 type;
	u8 hdr[CTLS_REC_HDR_LEN];
	u8 data[];		/* record payload: nonce, ciphertext, tag */
};

/* How far the parser got with the record at the head of the stream. */
enum ctls_head_state {
	CTLS_HEAD_EMPTY,	/* no byte of it yet */
	CTLS_HEAD_PARTIAL,	/* some of it */
	CTLS_HEAD_WHOLE,	/* all of it, in TCP's queue and the stage */
	CTLS_HEAD_BAD,		/* a bad header: no record follows */
};

/*
 * The record at the head of the stream. Its bytes are, in order: those
 * moved out of TCP (header bytes into hdr, payload bytes into stage), then
 * those still in TCP's receive queue from copied_seq on. Under the socket
 * lock (owner or spinlock) only.
 */
struct ctls_rx_head {
	u32 seq;		/* TCP's copied_seq as the parser left it */
	u32 len;		/* payload length, once the header is known */
	u32 staged;		/* payload bytes in stage */
	u8 hdr[CTLS_REC_HDR_LEN];
	u8 hdr_moved;		/* header bytes moved out of TCP */
	bool known;		/* all of hdr is there (moved or copied) */
	u8 state;		/* enum ctls_head_state */
	struct ctls_rx_rec *stage;
};

/*
 * What a reader could get now, for poll and sock_is_readable, which read
 * it without any lock: bits of ctls_rx::ready, published by
 * ctls_rx_publish() after every change of what they summarise.
 */
#define CTLS_RX_DONE	BIT(0)	/* decrypted records on the done list */
#define CTLS_RX_WHOLE	BIT(1)	/* the head record is whole */
#define CTLS_RX_KEY	BIT(2)	/* a KeyUpdate read, the new key not set */

/*
 * Readable: a decrypted record waits, or the head record is whole and no
 * KeyUpdate holds it back. A reader gets EAGAIN only when this is false
 * (or when another reader has the turn: see ctls_rx_reader_done()), and
 * ctls_rx_publish() wakes readers and pollers whenever it becomes true,
 * so no edge is lost whatever made it so.
 */
static inline bool ctls_rx_readable(u8 ready)
{
	if (ready & CTLS_RX_DONE)
		return true;
	return (ready & (CTLS_RX_WHOLE | CTLS_RX_KEY)) == CTLS_RX_WHOLE;
}

struct ctls_rx {
	struct sock *sk;
	struct ctls_context *ctx;
	struct delayed_work stage_work;	/* moves partial records out */
	wait_queue_head_t reader_wq;	/* readers waiting for their turn */
	bool reader_present;		/* one reader at a time */
	bool reader_contended;
	bool reader_turned_away;	/* a reader got EAGAIN for want of a turn */
	bool closed;
	bool key_pending;		/* KeyUpdate read, new key not set */
	u8 ready;			/* CTLS_RX_* */
	struct ctls_rx_head head;
	struct list_head done;		/* decrypted, not all read */
	struct ctls_rx_rec *spare;	/* a big buffer for the next record */
	struct aead_request *req;
	struct ctls_rec_state rec;
	void (*saved_data_ready)(struct sock *sk);
	u8 aad[CTLS_REC_MAX_AAD];
	u8 nonce[CTLS_REC_MAX_NONCE];
	u8 tag[CTLS_REC_MAX_TAG];	/* a direct decrypt's tag goes here, */
	u8 tail;			/* and its TLS 1.3 inner type */
	struct scatterlist src[CTLS_RX_SRC_SGS];
	struct scatterlist dst[CTLS_RX_DST_SGS];
	struct page *pages[CTLS_RX_PAGES];	/* the reader's, pinned */
};

/* framer.c: the record parser */
void ctls_rx_parse(struct sock *sk, struct ctls_rx *rx);
void ctls_rx_publish(struct ctls_rx *rx);
void ctls_rx_head_done(struct sock *sk, struct ctls_rx *rx);
int ctls_rx_peek(struct sock *sk, u32 offset, u8 *buf, u32 len);
int ctls_rx_tcp_sg(struct sock *sk, u32 offset, u32 len,
		   struct scatterlist *sg, int max);
void ctls_rx_copy_staged(struct sock *sk, struct ctls_rx *rx);
void ctls_rx_relieve(struct sock *sk, struct ctls_rx *rx);
struct ctls_rx_rec *ctls_rx_rec_alloc(struct sock *sk, struct ctls_rx *rx,
				      u32 len);
void ctls_rx_rec_free(struct ctls_rx *rx, struct ctls_rx_rec *r);
void ctls_rx_framer_init(struct sock *sk, struct ctls_rx *rx);
void ctls_rx_framer_release(struct sock *sk, struct ctls_rx *rx);
void ctls_rx_framer_free(struct ctls_rx *rx);

#endif /* _CTLS_RX_H */
