/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctls record layer: the bytes of a TLS 1.2 / 1.3 record around its AEAD
 * operation. Pure functions on caller-provided buffers: no socket, no lock,
 * no allocation, so that KUnit and a userspace fuzzer can drive them.
 */
#ifndef _CTLS_RECORD_H
#define _CTLS_RECORD_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "ctls_user.h"
#endif

#define CTLS_REC_HDR_LEN	5
#define CTLS_REC_SEQ_LEN	8
#define CTLS_REC_MAX_PLAIN	16384	/* 2^14, RFC 8446 5.1 */
#define CTLS_REC_MIN_LIMIT	64	/* RFC 8449's least record_size_limit */
#define CTLS_REC_MAX_IV		12	/* salt + per-key IV */
#define CTLS_REC_MAX_NONCE	16	/* AEAD IV; CCM adds its flags byte */
#define CTLS_REC_MAX_AAD	13
#define CTLS_REC_MAX_TAG	16
#define CTLS_REC_MAX_EXPLICIT	8

/* Wire values (RFC 5246 and 8446). */
#define CTLS_REC_VERSION_WIRE	0x0303
#define CTLS_REC_TYPE_HANDSHAKE	22
#define CTLS_REC_TYPE_DATA	23
/* RFC 8446 4.6.3: the handshake message that changes the sender's key. */
#define CTLS_HS_KEY_UPDATE	24

/* What a record looks like for one negotiated version and cipher. */
struct ctls_rec_proto {
	u16 version;		/* TLS_1_2_VERSION or TLS_1_3_VERSION */
	u8 salt_len;		/* implicit nonce bytes from the handshake */
	u8 iv_len;		/* per-key IV bytes after the salt */
	u8 explicit_len;	/* nonce bytes carried in each record (1.2) */
	u8 tag_len;
	u8 ccm_flags;		/* CCM: first byte of the AEAD IV; else 0 */
	bool tls13;
};

/* Per-direction state: salt || IV, and the record sequence number. */
struct ctls_rec_state {
	u8 iv[CTLS_REC_MAX_IV];
	u8 seq[CTLS_REC_SEQ_LEN];
};

/* Bytes before the ciphertext: header and explicit nonce. */
static inline unsigned int ctls_rec_prepend(const struct ctls_rec_proto *p)
{
	return CTLS_REC_HDR_LEN + p->explicit_len;
}

/* Bytes after the plaintext: TLS 1.3 inner content type, tag. */
static inline unsigned int ctls_rec_append(const struct ctls_rec_proto *p)
{
	return p->tls13 + p->tag_len;
}

static inline unsigned int ctls_rec_overhead(const struct ctls_rec_proto *p)
{
	return ctls_rec_prepend(p) + ctls_rec_append(p);
}

void ctls_rec_write_prepend(const struct ctls_rec_proto *p,
			    const struct ctls_rec_state *st, u8 *buf,
			    u8 type, unsigned int plain_len);
unsigned int ctls_rec_aad(const struct ctls_rec_proto *p,
			  const struct ctls_rec_state *st, u8 *aad,
			  u8 type, unsigned int plain_len);
unsigned int ctls_rec_nonce(const struct ctls_rec_proto *p,
			    const struct ctls_rec_state *st,
			    const u8 *explicit_nonce, u8 *nonce);
int ctls_rec_advance(const struct ctls_rec_proto *p, struct ctls_rec_state *st);
int ctls_rec_parse_header(const struct ctls_rec_proto *p, const u8 *hdr);
int ctls_rec_inner_type(const u8 *plain, unsigned int len, u8 *type);

#endif /* _CTLS_RECORD_H */
