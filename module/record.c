// SPDX-License-Identifier: GPL-2.0
/*
 * The record layer: header, nonce, additional data and sequence numbers of
 * TLS 1.2 (RFC 5246, 5288, 7905) and TLS 1.3 (RFC 8446) records.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/tls.h>
#endif

#include "ctls_record.h"

static void ctls_put_be16(u8 *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* Big-endian increment; true when the counter wrapped to zero. */
static bool ctls_be_increment(u8 *n, unsigned int len)
{
	while (len--) {
		if (++n[len])
			return false;
	}
	return true;
}

/*
 * Header and explicit nonce of a record carrying @plain_len bytes of
 * content of type @type. TLS 1.3 hides the type inside the ciphertext and
 * shows application_data outside.
 */
void ctls_rec_write_prepend(const struct ctls_rec_proto *p,
			    const struct ctls_rec_state *st, u8 *buf,
			    u8 type, unsigned int plain_len)
{
	unsigned int len = p->explicit_len + plain_len + ctls_rec_append(p);

	buf[0] = p->tls13 ? CTLS_REC_TYPE_DATA : type;
	ctls_put_be16(buf + 1, CTLS_REC_VERSION_WIRE);
	ctls_put_be16(buf + 3, len);
	memcpy(buf + CTLS_REC_HDR_LEN, st->iv + p->salt_len, p->explicit_len);
}

/*
 * Additional authenticated data. TLS 1.2: seq || type || version || length
 * of the plaintext. TLS 1.3: the record header, whose length counts the
 * inner type byte and the tag.
 */
unsigned int ctls_rec_aad(const struct ctls_rec_proto *p,
			  const struct ctls_rec_state *st, u8 *aad,
			  u8 type, unsigned int plain_len)
{
	if (p->tls13) {
		aad[0] = CTLS_REC_TYPE_DATA;
		ctls_put_be16(aad + 1, CTLS_REC_VERSION_WIRE);
		ctls_put_be16(aad + 3, plain_len + ctls_rec_append(p));
		return CTLS_REC_HDR_LEN;
	}
	memcpy(aad, st->seq, CTLS_REC_SEQ_LEN);
	aad[8] = type;
	ctls_put_be16(aad + 9, CTLS_REC_VERSION_WIRE);
	ctls_put_be16(aad + 11, plain_len);
	return 13;
}

/*
 * The AEAD IV of the current record. With an explicit nonce (TLS 1.2
 * AES-GCM/CCM and friends) it is salt || explicit, the explicit part taken
 * from the record (@explicit_nonce, on receive) or from the state (on
 * send). Otherwise (TLS 1.3, and ChaCha20-Poly1305 in 1.2) it is the IV
 * XORed with the sequence number, right-aligned. CCM's IV starts with its
 * flags byte and ends with a zeroed counter. Returns the IV's length.
 */
unsigned int ctls_rec_nonce(const struct ctls_rec_proto *p,
			    const struct ctls_rec_state *st,
			    const u8 *explicit_nonce, u8 *nonce)
{
	unsigned int iv_len = p->salt_len + p->iv_len;
	u8 *n = nonce;
	unsigned int i;

	if (p->ccm_flags) {
		memset(nonce, 0, CTLS_REC_MAX_NONCE);
		*n++ = p->ccm_flags;
	}
	memcpy(n, st->iv, iv_len);
	if (p->explicit_len) {
		if (explicit_nonce)
			memcpy(n + p->salt_len, explicit_nonce, p->explicit_len);
	} else {
		for (i = 0; i < CTLS_REC_SEQ_LEN; i++)
			n[iv_len - CTLS_REC_SEQ_LEN + i] ^= st->seq[i];
	}
	return p->ccm_flags ? CTLS_REC_MAX_NONCE : iv_len;
}

/*
 * Move to the next record: the sequence number, and in TLS 1.2 with an
 * explicit nonce the IV that the next record carries. -EBADMSG once the
 * 64-bit sequence number would wrap (RFC 8446 5.3: the connection must not
 * go on), which is what upstream reports.
 */
int ctls_rec_advance(const struct ctls_rec_proto *p, struct ctls_rec_state *st)
{
	if (p->explicit_len)
		ctls_be_increment(st->iv + p->salt_len, p->iv_len);
	return ctls_be_increment(st->seq, CTLS_REC_SEQ_LEN) ? -EBADMSG : 0;
}

/*
 * A received record's header, checked as upstream does and in its order:
 * longer than the largest record (EMSGSIZE), shorter than the cipher's
 * overhead (EBADMSG), a legacy version other than 3.3 (EINVAL). The
 * content type is not checked here: it is authenticated. Returns the
 * payload length (what follows the header) or -errno.
 */
int ctls_rec_parse_header(const struct ctls_rec_proto *p, const u8 *hdr)
{
	unsigned int len = hdr[3] << 8 | hdr[4];
	unsigned int overhead = p->explicit_len + p->tag_len;

	if (len > CTLS_REC_MAX_PLAIN + overhead + p->tls13)
		return -EMSGSIZE;
	if (len < overhead)
		return -EBADMSG;
	if (hdr[1] != 3 || hdr[2] != 3)
		return -EINVAL;
	return len;
}

/*
 * TLS 1.3 inner plaintext (RFC 8446 5.4): content, the content type, then
 * zero padding. Sets *@type and returns the content length, or -EBADMSG
 * when every byte is zero (no type at all).
 */
int ctls_rec_inner_type(const u8 *plain, unsigned int len, u8 *type)
{
	while (len && !plain[len - 1])
		len--;
	if (!len)
		return -EBADMSG;
	*type = plain[len - 1];
	return len - 1;
}
