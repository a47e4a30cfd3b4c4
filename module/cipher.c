// SPDX-License-Identifier: GPL-2.0
/*
 * The cipher table: one row per UAPI cipher type. Adding a cipher is adding
 * a row; nothing else in ctls looks at the cipher type.
 */
#include <linux/kernel.h>
#include <linux/build_bug.h>
#include <linux/tls.h>
#include <linux/scatterlist.h>
#include <linux/uio.h>
#include <crypto/aead.h>

#include "ctls.h"

/*
 * Every tls12_crypto_info_* is the header, then iv, key, salt and rec_seq:
 * the UAPI sizes give the layout, and the asserts below hold it to it.
 */
#define CTLS_INFO_LEN(t) (sizeof(struct tls_crypto_info) +			\
			  TLS_CIPHER_##t##_IV_SIZE + TLS_CIPHER_##t##_KEY_SIZE +	\
			  TLS_CIPHER_##t##_SALT_SIZE + TLS_CIPHER_##t##_REC_SEQ_SIZE)

#define CTLS_CIPHER(t, _aead, _explicit, _ccm, _tls12_only)		\
	{								\
		.type		= TLS_CIPHER_##t,			\
		.info_len	= CTLS_INFO_LEN(t),			\
		.iv_len		= TLS_CIPHER_##t##_IV_SIZE,		\
		.key_len	= TLS_CIPHER_##t##_KEY_SIZE,		\
		.salt_len	= TLS_CIPHER_##t##_SALT_SIZE,		\
		.tag_len	= TLS_CIPHER_##t##_TAG_SIZE,		\
		.explicit_len	= _explicit,				\
		.ccm_flags	= _ccm,					\
		.tls12_only	= _tls12_only,				\
		.aead		= _aead,				\
	}

static_assert(sizeof(struct tls12_crypto_info_aes_gcm_128) == CTLS_INFO_LEN(AES_GCM_128));
static_assert(sizeof(struct tls12_crypto_info_aes_gcm_256) == CTLS_INFO_LEN(AES_GCM_256));
static_assert(sizeof(struct tls12_crypto_info_aes_ccm_128) == CTLS_INFO_LEN(AES_CCM_128));
static_assert(sizeof(struct tls12_crypto_info_chacha20_poly1305) ==
	      CTLS_INFO_LEN(CHACHA20_POLY1305));
static_assert(sizeof(struct tls12_crypto_info_sm4_gcm) == CTLS_INFO_LEN(SM4_GCM));
static_assert(sizeof(struct tls12_crypto_info_sm4_ccm) == CTLS_INFO_LEN(SM4_CCM));
static_assert(sizeof(struct tls12_crypto_info_aria_gcm_128) == CTLS_INFO_LEN(ARIA_GCM_128));
static_assert(sizeof(struct tls12_crypto_info_aria_gcm_256) == CTLS_INFO_LEN(ARIA_GCM_256));

/* CCM's AEAD IV starts with L' = L - 1 = 2: a 3-byte counter (RFC 3610). */
#define CTLS_CCM_FLAGS 2

static const struct ctls_cipher ctls_ciphers[] = {
	CTLS_CIPHER(AES_GCM_128, "gcm(aes)", 8, 0, false),
	CTLS_CIPHER(AES_GCM_256, "gcm(aes)", 8, 0, false),
	CTLS_CIPHER(AES_CCM_128, "ccm(aes)", 8, CTLS_CCM_FLAGS, false),
	CTLS_CIPHER(CHACHA20_POLY1305, "rfc7539(chacha20,poly1305)", 0, 0, false),
	CTLS_CIPHER(SM4_GCM, "gcm(sm4)", 8, 0, false),
	CTLS_CIPHER(SM4_CCM, "ccm(sm4)", 8, CTLS_CCM_FLAGS, false),
	CTLS_CIPHER(ARIA_GCM_128, "gcm(aria)", 8, 0, true),
	CTLS_CIPHER(ARIA_GCM_256, "gcm(aria)", 8, 0, true),
};

static const u8 *ctls_info_iv(const struct ctls_cipher *c, const union ctls_crypto_info *ci)
{
	return (const u8 *)(&ci->info + 1);
}

static const u8 *ctls_info_key(const struct ctls_cipher *c, const union ctls_crypto_info *ci)
{
	return ctls_info_iv(c, ci) + c->iv_len;
}

static const u8 *ctls_info_salt(const struct ctls_cipher *c, const union ctls_crypto_info *ci)
{
	return ctls_info_key(c, ci) + c->key_len;
}

static const u8 *ctls_info_seq(const struct ctls_cipher *c, const union ctls_crypto_info *ci)
{
	return ctls_info_salt(c, ci) + c->salt_len;
}

const struct ctls_cipher *ctls_cipher_find(u16 type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ctls_ciphers); i++)
		if (ctls_ciphers[i].type == type)
			return &ctls_ciphers[i];
	return NULL;
}

void ctls_cipher_rec_proto(const struct ctls_cipher *c, u16 version,
			   struct ctls_rec_proto *p)
{
	p->version = version;
	p->tls13 = version == TLS_1_3_VERSION;
	p->salt_len = c->salt_len;
	p->iv_len = c->iv_len;
	p->explicit_len = p->tls13 ? 0 : c->explicit_len;
	p->tag_len = c->tag_len;
	p->ccm_flags = c->ccm_flags;
}

/* Record state from the user's crypto_info: salt || IV and the sequence. */
void ctls_cipher_rec_state(const struct ctls_cipher *c,
			   const union ctls_crypto_info *ci,
			   struct ctls_rec_state *st)
{
	memcpy(st->iv, ctls_info_salt(c, ci), c->salt_len);
	memcpy(st->iv + c->salt_len, ctls_info_iv(c, ci), c->iv_len);
	memcpy(st->seq, ctls_info_seq(c, ci), CTLS_REC_SEQ_LEN);
}

/* The reverse, for getsockopt: the current IV and sequence number. */
void ctls_cipher_export(const struct ctls_cipher *c,
			const struct ctls_rec_state *st,
			union ctls_crypto_info *ci)
{
	memcpy((u8 *)ctls_info_iv(c, ci), st->iv + c->salt_len, c->iv_len);
	memcpy((u8 *)ctls_info_seq(c, ci), st->seq, CTLS_REC_SEQ_LEN);
}

/*
 * A request on an AEAD transform keyed from the user's crypto_info: all a
 * direction needs for its records. ERR_PTR on failure (ENOENT when the
 * kernel has no such cipher, as upstream reports it).
 */
struct aead_request *ctls_cipher_request(const struct ctls_cipher *c,
					 const union ctls_crypto_info *ci)
{
	struct aead_request *req;
	struct crypto_aead *aead;
	int err;

	aead = crypto_alloc_aead(c->aead, 0, 0);
	if (IS_ERR(aead))
		return ERR_CAST(aead);

	err = crypto_aead_setkey(aead, ctls_info_key(c, ci), c->key_len);
	if (!err)
		err = crypto_aead_setauthsize(aead, c->tag_len);
	req = err ? NULL : aead_request_alloc(aead, GFP_KERNEL);
	if (!req) {
		crypto_free_aead(aead);
		return ERR_PTR(err ?: -ENOMEM);
	}
	return req;
}

/*
 * A new key on the request's transform (TLS 1.3 rekey): the last step of a
 * rekey that can fail, so nothing else has changed when it does.
 */
int ctls_cipher_rekey(struct aead_request *req, const struct ctls_cipher *c,
		      const union ctls_crypto_info *ci)
{
	return crypto_aead_setkey(crypto_aead_reqtfm(req), ctls_info_key(c, ci),
				  c->key_len);
}

void ctls_cipher_request_free(struct aead_request *req)
{
	struct crypto_aead *aead = crypto_aead_reqtfm(req);

	aead_request_free(req);
	crypto_free_aead(aead);
}

/*
 * The caller's buffer as an AEAD operand, without copying it: pin @len
 * bytes of @iter (a user buffer, or the pages of sendpage and splice) into
 * @pages, at most @max of them, and point @sg at them, one entry per page.
 * Returns the pages pinned, or -errno (a kernel buffer, a bad address, more
 * than @max pages) with nothing pinned and the iterator where it was.
 */
int ctls_sg_pin(struct iov_iter *iter, size_t len, struct page **pages,
		int max, struct scatterlist *sg)
{
	size_t got = 0, start;
	int np = 0, err = -EMSGSIZE;
	ssize_t n;

	if (iov_iter_is_kvec(iter))
		return -EMSGSIZE;
	while (got < len && np < max) {
		n = iov_iter_get_pages2(iter, pages + np, len - got, max - np,
					&start);
		if (n <= 0) {
			err = n ?: -EFAULT;
			break;
		}
		got += n;
		while (n) {
			size_t seg = min_t(size_t, n, PAGE_SIZE - start);

			sg_set_page(&sg[np], pages[np], seg, start);
			n -= seg;
			start = 0;
			np++;
		}
	}
	if (got == len)
		return np;
	ctls_sg_unpin(pages, np);
	iov_iter_revert(iter, got);
	return err;
}

void ctls_sg_unpin(struct page **pages, int n)
{
	while (n--)
		put_page(pages[n]);
}
