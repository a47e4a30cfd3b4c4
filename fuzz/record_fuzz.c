// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the record layer, module/record.c built in
 * userspace (ctls_record.h pulls in ctls_user.h without __KERNEL__).
 *
 * Input: one byte choosing a version and cipher, the receive state (salt ||
 * IV, then the sequence number), then a stream of records, read as a
 * receiver would until a bad header, a truncated record or a sequence
 * number that would wrap. Every function of record.c runs on each record;
 * a broken invariant aborts.
 */
#include <stddef.h>
#include <stdlib.h>
#include <linux/tls.h>

#include "ctls_record.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define CHECK(cond)			\
	do {				\
		if (!(cond))		\
			abort();	\
	} while (0)

/* As module/cipher.c fills them; SM4 and ARIA share GCM's and CCM's shapes. */
#define TLS13(ver)	(TLS_##ver##_VERSION == TLS_1_3_VERSION)
#define PROTO(t, ver, _explicit, _ccm) {				\
	.version	= TLS_##ver##_VERSION,				\
	.tls13		= TLS13(ver),					\
	.salt_len	= TLS_CIPHER_##t##_SALT_SIZE,			\
	.iv_len		= TLS_CIPHER_##t##_IV_SIZE,			\
	.explicit_len	= TLS13(ver) ? 0 : _explicit,			\
	.tag_len	= TLS_CIPHER_##t##_TAG_SIZE,			\
	.ccm_flags	= _ccm,						\
}

/* Keep the order in step with fuzz/seeds.py. */
static const struct ctls_rec_proto protos[] = {
	PROTO(AES_GCM_128, 1_2, 8, 0),
	PROTO(AES_GCM_256, 1_2, 8, 0),
	PROTO(AES_CCM_128, 1_2, 8, 2),
	PROTO(CHACHA20_POLY1305, 1_2, 0, 0),
	PROTO(AES_GCM_128, 1_3, 8, 0),
	PROTO(AES_GCM_256, 1_3, 8, 0),
	PROTO(AES_CCM_128, 1_3, 8, 2),
	PROTO(CHACHA20_POLY1305, 1_3, 0, 0),
};

static u64 be64(const u8 *b)
{
	u64 v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static bool all_ff(const u8 *b, unsigned int len)
{
	while (len--)
		if (b[len] != 0xff)
			return false;
	return true;
}

/* TLS 1.3: the payload less its tag, as the decrypted inner plaintext. */
static void check_inner(const u8 *in, unsigned int len)
{
	u8 *plain = malloc(len);	/* exact size, for ASan */
	u8 type = 0;
	int ret, i;

	CHECK(plain);
	memcpy(plain, in, len);
	ret = ctls_rec_inner_type(plain, len, &type);
	if (ret == -EBADMSG) {
		for (i = 0; i < (int)len; i++)
			CHECK(!plain[i]);
	} else {
		CHECK(ret >= 0 && ret < (int)len && type && plain[ret] == type);
		for (i = ret + 1; i < (int)len; i++)
			CHECK(!plain[i]);
	}
	free(plain);
}

/* Nonce and additional data of a received record of payload @len. */
static void check_crypto_input(const struct ctls_rec_proto *p,
			       const struct ctls_rec_state *st,
			       const u8 *hdr, unsigned int len)
{
	unsigned int plain_len = len - p->explicit_len - p->tag_len;
	const u8 *explicit = p->explicit_len ? hdr + CTLS_REC_HDR_LEN : NULL;
	u8 nonce[CTLS_REC_MAX_NONCE], aad[CTLS_REC_MAX_AAD];
	unsigned int n, skip = !!p->ccm_flags;

	n = ctls_rec_nonce(p, st, explicit, nonce);
	CHECK(n <= CTLS_REC_MAX_NONCE && n >= skip + p->salt_len + p->iv_len);
	CHECK(!p->ccm_flags || nonce[0] == p->ccm_flags);
	CHECK(!memcmp(nonce + skip, st->iv, p->salt_len));
	if (explicit)
		CHECK(!memcmp(nonce + skip + p->salt_len, explicit,
			      p->explicit_len));

	if (p->tls13) {
		/* The AAD is the header itself, rebuilt from the length. */
		if (!plain_len)
			return;
		n = ctls_rec_aad(p, st, aad, hdr[0], plain_len - 1);
		CHECK(n == CTLS_REC_HDR_LEN && aad[0] == CTLS_REC_TYPE_DATA &&
		      !memcmp(aad + 1, hdr + 1, 4));
		return;
	}
	n = ctls_rec_aad(p, st, aad, hdr[0], plain_len);
	CHECK(n == CTLS_REC_MAX_AAD && !memcmp(aad, st->seq, CTLS_REC_SEQ_LEN));
	CHECK(aad[8] == hdr[0] && aad[9] == 3 && aad[10] == 3);
	CHECK((unsigned int)(aad[11] << 8 | aad[12]) == plain_len);
}

/* A header written for @plain_len must parse back to its length. */
static void check_round_trip(const struct ctls_rec_proto *p,
			     const struct ctls_rec_state *st, u8 type,
			     unsigned int plain_len)
{
	unsigned int len = plain_len + p->explicit_len + ctls_rec_append(p);
	u8 buf[CTLS_REC_HDR_LEN + CTLS_REC_MAX_EXPLICIT];
	int ret;

	ctls_rec_write_prepend(p, st, buf, type, plain_len);
	ret = ctls_rec_parse_header(p, buf);
	CHECK(buf[0] == (p->tls13 ? CTLS_REC_TYPE_DATA : type));
	CHECK(!memcmp(buf + CTLS_REC_HDR_LEN, st->iv + p->salt_len,
		      p->explicit_len));
	if (plain_len <= CTLS_REC_MAX_PLAIN)
		CHECK(ret >= 0 && (unsigned int)ret == len);
	else if (len <= 0xffff)
		CHECK(ret == -EMSGSIZE);
}

/* The next record: sequence number, and the explicit IV that goes with it. */
static int check_advance(const struct ctls_rec_proto *p,
			 struct ctls_rec_state *st)
{
	bool wrap = all_ff(st->seq, CTLS_REC_SEQ_LEN);
	u64 seq = be64(st->seq), iv = 0;
	int ret;

	if (p->explicit_len)
		iv = be64(st->iv + p->salt_len);
	ret = ctls_rec_advance(p, st);
	CHECK(ret == (wrap ? -EBADMSG : 0));
	CHECK(be64(st->seq) == seq + 1);
	if (p->explicit_len)
		CHECK(be64(st->iv + p->salt_len) == iv + 1);
	return ret;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	const struct ctls_rec_proto *p;
	struct ctls_rec_state st;
	unsigned int overhead, len;
	int ret;

	if (size < 1 + sizeof(st))
		return 0;
	p = &protos[data[0] % ARRAY_SIZE(protos)];
	memcpy(&st, data + 1, sizeof(st));
	data += 1 + sizeof(st);
	size -= 1 + sizeof(st);
	overhead = p->explicit_len + p->tag_len;

	while (size >= CTLS_REC_HDR_LEN) {
		check_round_trip(p, &st, data[0], data[3] << 8 | data[4]);
		ret = ctls_rec_parse_header(p, data);
		if (ret < 0) {
			CHECK(ret == -EMSGSIZE || ret == -EBADMSG ||
			      ret == -EINVAL);
			break;
		}
		len = ret;
		CHECK(len >= overhead &&
		      len <= CTLS_REC_MAX_PLAIN + overhead + p->tls13);
		CHECK(len == (unsigned int)(data[3] << 8 | data[4]) &&
		      data[1] == 3 && data[2] == 3);
		if (size - CTLS_REC_HDR_LEN < len)
			break;
		check_crypto_input(p, &st, data, len);
		if (p->tls13)
			check_inner(data + CTLS_REC_HDR_LEN, len - p->tag_len);
		if (check_advance(p, &st))
			break;
		data += CTLS_REC_HDR_LEN + len;
		size -= CTLS_REC_HDR_LEN + len;
	}
	return 0;
}
