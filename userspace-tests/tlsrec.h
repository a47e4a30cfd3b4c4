/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TLS records sealed in userspace with OpenSSL's libcrypto, for the guest
 * tests that write raw TCP bytes to a kTLS receiver (badrec.c, rxedge.c).
 * Nonce and additional data are framed here from RFC 5246/5288/7905/8446;
 * nothing is shared with either kernel implementation.
 */
#ifndef CTLS_TLSREC_H
#define CTLS_TLSREC_H

#include <linux/tls.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG		16
#define MAX_PLAIN	16384		/* 2^14 */

struct suite {
	const char *name;
	int version, cipher;
	const EVP_CIPHER *(*evp)(void);
	int key_len, salt_len, iv_len;	/* as in the UAPI struct */
};

/* A traffic key; base is salt | iv, the 12-byte nonce before the XOR. */
struct rec_key {
	unsigned char key[32], base[12];
};

static inline int tls13(const struct suite *su)
{
	return su->version == TLS_1_3_VERSION;
}

/* Bytes of explicit nonce at the start of each record's payload. */
static inline int xlen(const struct suite *su)
{
	return !tls13(su) && su->salt_len ? 8 : 0;
}

static inline void put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = v >> (56 - 8 * i);
}

static inline void rec_die(const char *what)
{
	printf("Bail out! %s\n", what);
	exit(2);
}

/* The UAPI struct for @k, next record @seq: info, iv, key, salt, rec_seq. */
static inline size_t crypto_info(const struct suite *su,
				 const struct rec_key *k, uint64_t seq,
				 unsigned char *buf)
{
	struct tls_crypto_info *ci = (void *)buf;
	size_t off = sizeof(*ci);

	ci->version = su->version;
	ci->cipher_type = su->cipher;
	memcpy(buf + off, k->base + su->salt_len, su->iv_len);
	off += su->iv_len;
	memcpy(buf + off, k->key, su->key_len);
	off += su->key_len;
	memcpy(buf + off, k->base, su->salt_len);
	off += su->salt_len;
	put_be64(buf + off, seq);
	return off + 8;
}

static inline void aead(const struct suite *su, const struct rec_key *k,
			const unsigned char *nonce, const unsigned char *aad,
			int aad_len, const unsigned char *in, int len,
			unsigned char *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, m;

	if (!ctx ||
	    EVP_EncryptInit_ex(ctx, su->evp(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, k->key, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, aad, aad_len) != 1 ||
	    EVP_EncryptUpdate(ctx, out, &n, in, len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + n, &m) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG,
				out + len) != 1)
		rec_die("EVP encryption failed");
	EVP_CIPHER_CTX_free(ctx);
}

/*
 * Seal @in (for TLS 1.3 the inner plaintext: content, type, padding) as
 * record number @seq with header type @type into @out; returns its length.
 * Nonce: (salt | iv) XOR seq; for 1.2 GCM its last 8 bytes are the
 * explicit nonce, sent in front of the ciphertext. AAD: 1.2, seq | type |
 * version | plaintext length; 1.3, the record header as sent.
 */
static inline size_t seal(const struct suite *su, const struct rec_key *k,
			  uint64_t seq, int type, const unsigned char *in,
			  size_t len, unsigned char *out)
{
	size_t x = xlen(su), rlen = x + len + TAG;
	unsigned char nonce[12], seqb[8], aad[13];
	int i;

	out[0] = type;
	out[1] = 3;
	out[2] = 3;
	out[3] = rlen >> 8;
	out[4] = rlen;
	put_be64(seqb, seq);
	for (i = 0; i < 12; i++)
		nonce[i] = k->base[i] ^ (i < 4 ? 0 : seqb[i - 4]);
	memcpy(out + 5, nonce + 4, x);
	if (tls13(su)) {
		aead(su, k, nonce, out, 5, in, len, out + 5 + x);
		return 5 + rlen;
	}
	memcpy(aad, seqb, 8);
	memcpy(aad + 8, out, 3);
	aad[11] = len >> 8;
	aad[12] = len;
	aead(su, k, nonce, aad, 13, in, len, out + 5 + x);
	return 5 + rlen;
}

#endif
