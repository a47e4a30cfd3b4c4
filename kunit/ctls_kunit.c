// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of ctls's record layer (include/ctls_record.h): headers,
 * additional data, nonces and sequence numbers of TLS 1.2 and 1.3 records,
 * checked byte by byte against values worked out by hand from the RFCs, and
 * whole records sealed and opened with the kernel's AEADs exactly as the
 * record layer lays them out, against published and independently computed
 * records:
 *
 * - RFC 8448 section 3 (simple 1-RTT handshake, TLS_AES_128_GCM_SHA256):
 *   the application traffic keys and IVs of both sides and the four records
 *   sent under them (client data at sequence 0 and close_notify at 1; server
 *   data at 1, after its NewSessionTicket at 0, and close_notify at 2).
 * - TLS 1.2 AES-GCM and AES-CCM, TLS 1.2 and 1.3 ChaCha20-Poly1305, TLS 1.3
 *   AES-256-GCM, SM4-GCM and SM4-CCM, TLS 1.2 ARIA-GCM: no RFC publishes
 *   records for these, so kat-vectors.py (next to this file) computes them
 *   with OpenSSL from inputs chosen here, building nonce and additional data
 *   from the RFCs' text itself; it re-derives the RFC 8448 records as a
 *   check of that construction.
 *
 * Received headers and TLS 1.3 inner plaintext are checked at their
 * boundaries, and the AEADs ctls asks for are checked alone, under ctls's
 * names and the generic drivers', against published vectors: test cases 4
 * and 16 of the GCM specification (McGrew and Viega, as used by NIST's
 * GCMVS) and RFC 8439 section 2.8.2 (ChaCha20-Poly1305).
 *
 * The record layer's source is compiled into this module (the #include
 * below) rather than exported from ctls.ko: the tests then need neither
 * ctls.ko loaded (which would take the "tls" ULP name in the guest) nor
 * symbols exported for tests only, and they run the very code ctls.ko is
 * built from.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/string.h>
#include <linux/tls.h>
#include <crypto/aead.h>

#include "../module/record.c"

/* What ctls's cipher table makes of a UAPI cipher, written out again. */
#define CTLS_TEST_TLS12(c, _explicit, _ccm) {			\
	.version	= TLS_1_2_VERSION,			\
	.salt_len	= TLS_CIPHER_##c##_SALT_SIZE,		\
	.iv_len		= TLS_CIPHER_##c##_IV_SIZE,		\
	.explicit_len	= _explicit,				\
	.tag_len	= TLS_CIPHER_##c##_TAG_SIZE,		\
	.ccm_flags	= _ccm,					\
	.tls13		= false,				\
}

#define CTLS_TEST_TLS13(c, _ccm) {				\
	.version	= TLS_1_3_VERSION,			\
	.salt_len	= TLS_CIPHER_##c##_SALT_SIZE,		\
	.iv_len		= TLS_CIPHER_##c##_IV_SIZE,		\
	.explicit_len	= 0,					\
	.tag_len	= TLS_CIPHER_##c##_TAG_SIZE,		\
	.ccm_flags	= _ccm,					\
	.tls13		= true,					\
}

static const struct ctls_rec_proto ctls_gcm12 = CTLS_TEST_TLS12(AES_GCM_128, 8, 0);
static const struct ctls_rec_proto ctls_gcm13 = CTLS_TEST_TLS13(AES_GCM_128, 0);
static const struct ctls_rec_proto ctls_ccm12 = CTLS_TEST_TLS12(AES_CCM_128, 8, 2);
static const struct ctls_rec_proto ctls_ccm13 = CTLS_TEST_TLS13(SM4_CCM, 2);
static const struct ctls_rec_proto ctls_chacha12 = CTLS_TEST_TLS12(CHACHA20_POLY1305, 0, 0);
static const struct ctls_rec_proto ctls_chacha13 = CTLS_TEST_TLS13(CHACHA20_POLY1305, 0);

static void ctls_test_set_seq(struct ctls_rec_state *st, u64 seq)
{
	int i;

	for (i = CTLS_REC_SEQ_LEN - 1; i >= 0; i--, seq >>= 8)
		st->seq[i] = seq & 0xff;
}

static u64 ctls_test_get_seq(const struct ctls_rec_state *st)
{
	u64 seq = 0;
	int i;

	for (i = 0; i < CTLS_REC_SEQ_LEN; i++)
		seq = seq << 8 | st->seq[i];
	return seq;
}

static void ctls_test_state(struct ctls_rec_state *st, const u8 *iv,
			    unsigned int iv_len, u64 seq)
{
	memset(st, 0, sizeof(*st));
	memcpy(st->iv, iv, iv_len);
	ctls_test_set_seq(st, seq);
}

/* ---- sizes and headers --------------------------------------------- */

static void ctls_rec_test_sizes(struct kunit *test)
{
	/* RFC 5288: 5-byte header, 8-byte explicit nonce, 16-byte tag. */
	KUNIT_EXPECT_EQ(test, ctls_rec_prepend(&ctls_gcm12), 13);
	KUNIT_EXPECT_EQ(test, ctls_rec_append(&ctls_gcm12), 16);
	KUNIT_EXPECT_EQ(test, ctls_rec_overhead(&ctls_gcm12), 29);
	KUNIT_EXPECT_EQ(test, ctls_rec_overhead(&ctls_ccm12), 29);
	/* RFC 7905: no explicit nonce. */
	KUNIT_EXPECT_EQ(test, ctls_rec_prepend(&ctls_chacha12), 5);
	KUNIT_EXPECT_EQ(test, ctls_rec_overhead(&ctls_chacha12), 21);
	/* RFC 8446 5.2: header, then the inner content type and the tag. */
	KUNIT_EXPECT_EQ(test, ctls_rec_prepend(&ctls_gcm13), 5);
	KUNIT_EXPECT_EQ(test, ctls_rec_append(&ctls_gcm13), 17);
	KUNIT_EXPECT_EQ(test, ctls_rec_overhead(&ctls_gcm13), 22);
	KUNIT_EXPECT_EQ(test, ctls_rec_overhead(&ctls_chacha13), 22);
	KUNIT_EXPECT_EQ(test, ctls_rec_overhead(&ctls_ccm13), 22);
}

static void ctls_rec_test_prepend_tls12(struct kunit *test)
{
	static const u8 iv[] = { 0xa0, 0xa1, 0xa2, 0xa3,
				 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
	/* alert, 3.3, 8 + 100 + 16 = 124 bytes, then the explicit nonce */
	static const u8 want[] = { 0x15, 0x03, 0x03, 0x00, 0x7c,
				   0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
	struct ctls_rec_state st;
	u8 buf[16];

	ctls_test_state(&st, iv, sizeof(iv), 77);
	memset(buf, 0x5a, sizeof(buf));
	ctls_rec_write_prepend(&ctls_gcm12, &st, buf, 21, 100);
	KUNIT_EXPECT_MEMEQ(test, buf, want, sizeof(want));
	KUNIT_EXPECT_EQ(test, buf[sizeof(want)], 0x5a);
}

static void ctls_rec_test_prepend_tls12_chacha(struct kunit *test)
{
	static const u8 iv[12] = { 0x07, 0x00, 0x00, 0x00, 0x40, 0x41 };
	/* handshake, 3.3, 100 + 16 = 116 bytes, and nothing after */
	static const u8 want[] = { 0x16, 0x03, 0x03, 0x00, 0x74 };
	struct ctls_rec_state st;
	u8 buf[8];

	ctls_test_state(&st, iv, sizeof(iv), 0);
	memset(buf, 0x5a, sizeof(buf));
	ctls_rec_write_prepend(&ctls_chacha12, &st, buf, 22, 100);
	KUNIT_EXPECT_MEMEQ(test, buf, want, sizeof(want));
	KUNIT_EXPECT_EQ(test, buf[sizeof(want)], 0x5a);
}

static void ctls_rec_test_prepend_tls13(struct kunit *test)
{
	static const u8 iv[12] = { 0x5b, 0x78, 0x92, 0x3d };
	/* always application_data outside; 100 + 1 + 16 = 117 bytes */
	static const u8 want[] = { 0x17, 0x03, 0x03, 0x00, 0x75 };
	struct ctls_rec_state st;
	u8 buf[8];

	ctls_test_state(&st, iv, sizeof(iv), 3);
	memset(buf, 0x5a, sizeof(buf));
	ctls_rec_write_prepend(&ctls_gcm13, &st, buf, 21, 100);
	KUNIT_EXPECT_MEMEQ(test, buf, want, sizeof(want));
	KUNIT_EXPECT_EQ(test, buf[sizeof(want)], 0x5a);
	ctls_rec_write_prepend(&ctls_gcm13, &st, buf, 22, 0);
	KUNIT_EXPECT_EQ(test, buf[0], 0x17);
	KUNIT_EXPECT_EQ(test, buf[3], 0x00);
	KUNIT_EXPECT_EQ(test, buf[4], 0x11);
}

/* The longest record each version allows (2^14 bytes of content). */
static void ctls_rec_test_prepend_max(struct kunit *test)
{
	static const u8 iv[12];
	struct ctls_rec_state st;
	u8 buf[16];

	ctls_test_state(&st, iv, sizeof(iv), 0);
	ctls_rec_write_prepend(&ctls_gcm12, &st, buf, 23, CTLS_REC_MAX_PLAIN);
	KUNIT_EXPECT_EQ(test, buf[3], 0x40);	/* 16384 + 8 + 16 = 0x4018 */
	KUNIT_EXPECT_EQ(test, buf[4], 0x18);
	ctls_rec_write_prepend(&ctls_chacha12, &st, buf, 23, CTLS_REC_MAX_PLAIN);
	KUNIT_EXPECT_EQ(test, buf[3], 0x40);	/* 16384 + 16 = 0x4010 */
	KUNIT_EXPECT_EQ(test, buf[4], 0x10);
	ctls_rec_write_prepend(&ctls_gcm13, &st, buf, 23, CTLS_REC_MAX_PLAIN);
	KUNIT_EXPECT_EQ(test, buf[3], 0x40);	/* 16384 + 1 + 16 = 0x4011 */
	KUNIT_EXPECT_EQ(test, buf[4], 0x11);
}

/* ---- additional data ------------------------------------------------- */

/* RFC 5246 6.2.3.3: seq_num || type || version || length, 13 bytes. */
static void ctls_rec_test_aad_tls12(struct kunit *test)
{
	static const u8 iv[12];
	static const u8 want_data[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
					0x17, 0x03, 0x03, 0x12, 0x34 };
	static const u8 want_alert[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
					 0x15, 0x03, 0x03, 0x00, 0x00 };
	struct ctls_rec_state st;
	u8 aad[CTLS_REC_MAX_AAD + 1];

	ctls_test_state(&st, iv, sizeof(iv), 0x0102030405060708ULL);
	memset(aad, 0x5a, sizeof(aad));
	KUNIT_EXPECT_EQ(test, ctls_rec_aad(&ctls_gcm12, &st, aad, 23, 0x1234), 13);
	KUNIT_EXPECT_MEMEQ(test, aad, want_data, sizeof(want_data));
	KUNIT_EXPECT_EQ(test, aad[13], 0x5a);
	KUNIT_EXPECT_EQ(test, ctls_rec_aad(&ctls_chacha12, &st, aad, 21, 0), 13);
	KUNIT_EXPECT_MEMEQ(test, aad, want_alert, sizeof(want_alert));
}

/* RFC 8446 5.2: the record header, whose length counts type and tag. */
static void ctls_rec_test_aad_tls13(struct kunit *test)
{
	static const u8 iv[12];
	static const u8 want[] = { 0x17, 0x03, 0x03, 0x12, 0x45 };
	static const u8 want_empty[] = { 0x17, 0x03, 0x03, 0x00, 0x11 };
	struct ctls_rec_state st;
	u8 aad[CTLS_REC_MAX_AAD];

	ctls_test_state(&st, iv, sizeof(iv), 0x0102030405060708ULL);
	memset(aad, 0x5a, sizeof(aad));
	KUNIT_EXPECT_EQ(test, ctls_rec_aad(&ctls_gcm13, &st, aad, 22, 0x1234), 5);
	KUNIT_EXPECT_MEMEQ(test, aad, want, sizeof(want));
	KUNIT_EXPECT_EQ(test, aad[5], 0x5a);
	KUNIT_EXPECT_EQ(test, ctls_rec_aad(&ctls_chacha13, &st, aad, 23, 0), 5);
	KUNIT_EXPECT_MEMEQ(test, aad, want_empty, sizeof(want_empty));
}

/* ---- nonces ------------------------------------------------------------ */

/* RFC 5288 3: salt || explicit nonce; sending, the explicit part is ours. */
static void ctls_rec_test_nonce_gcm_tx(struct kunit *test)
{
	static const u8 iv[] = { 0xca, 0xfe, 0xba, 0xbe,
				 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88 };
	struct ctls_rec_state st;
	u8 nonce[CTLS_REC_MAX_NONCE];

	ctls_test_state(&st, iv, sizeof(iv), ~0ULL);
	memset(nonce, 0x5a, sizeof(nonce));
	KUNIT_EXPECT_EQ(test, ctls_rec_nonce(&ctls_gcm12, &st, NULL, nonce), 12);
	KUNIT_EXPECT_MEMEQ(test, nonce, iv, sizeof(iv));
}

/* Receiving, the explicit part comes from the record. */
static void ctls_rec_test_nonce_gcm_rx(struct kunit *test)
{
	static const u8 iv[] = { 0xca, 0xfe, 0xba, 0xbe,
				 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
	static const u8 explicit[] = { 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88 };
	static const u8 want[] = { 0xca, 0xfe, 0xba, 0xbe,
				   0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88 };
	struct ctls_rec_state st;
	u8 nonce[CTLS_REC_MAX_NONCE];

	ctls_test_state(&st, iv, sizeof(iv), 5);
	KUNIT_EXPECT_EQ(test, ctls_rec_nonce(&ctls_gcm12, &st, explicit, nonce), 12);
	KUNIT_EXPECT_MEMEQ(test, nonce, want, sizeof(want));
	/* and the state is left alone */
	KUNIT_EXPECT_MEMEQ(test, st.iv, iv, sizeof(iv));
}

/*
 * The IV of the kernel's ccm(): the flags byte L' = 2 (a 3-byte counter,
 * RFC 3610 2.3), the 12-byte nonce of RFC 6655 3, a zero counter.
 */
static void ctls_rec_test_nonce_ccm(struct kunit *test)
{
	static const u8 iv[] = { 0xd0, 0xd1, 0xd2, 0xd3,
				 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
	static const u8 explicit[] = { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };
	static const u8 want_tx[] = { 0x02, 0xd0, 0xd1, 0xd2, 0xd3,
				      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				      0x00, 0x00, 0x00 };
	static const u8 want_rx[] = { 0x02, 0xd0, 0xd1, 0xd2, 0xd3,
				      0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
				      0x00, 0x00, 0x00 };
	struct ctls_rec_state st;
	u8 nonce[CTLS_REC_MAX_NONCE];

	ctls_test_state(&st, iv, sizeof(iv), 9);
	memset(nonce, 0xff, sizeof(nonce));
	KUNIT_EXPECT_EQ(test, ctls_rec_nonce(&ctls_ccm12, &st, NULL, nonce), 16);
	KUNIT_EXPECT_MEMEQ(test, nonce, want_tx, sizeof(want_tx));
	memset(nonce, 0xff, sizeof(nonce));
	KUNIT_EXPECT_EQ(test, ctls_rec_nonce(&ctls_ccm12, &st, explicit, nonce), 16);
	KUNIT_EXPECT_MEMEQ(test, nonce, want_rx, sizeof(want_rx));
}

/* CCM in TLS 1.3 (RFC 8998): flags, then IV xor sequence, then counter. */
static void ctls_rec_test_nonce_ccm_tls13(struct kunit *test)
{
	static const u8 iv[] = { 0xa5, 0xa5, 0xa5, 0xa5,
				 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a };
	static const u8 want[] = { 0x02, 0xa5, 0xa5, 0xa5, 0xa5,
				   0x5b, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5b,
				   0x00, 0x00, 0x00 };
	struct ctls_rec_state st;
	u8 nonce[CTLS_REC_MAX_NONCE];

	ctls_test_state(&st, iv, sizeof(iv), 0x0100000000000001ULL);
	memset(nonce, 0xff, sizeof(nonce));
	KUNIT_EXPECT_EQ(test, ctls_rec_nonce(&ctls_ccm13, &st, NULL, nonce), 16);
	KUNIT_EXPECT_MEMEQ(test, nonce, want, sizeof(want));
}

/* RFC 8446 5.3, with RFC 8448's client application IV. */
static void ctls_rec_test_nonce_tls13(struct kunit *test)
{
	static const u8 iv[] = { 0x5b, 0x78, 0x92, 0x3d, 0xee, 0x08,
				 0x57, 0x90, 0x33, 0xe5, 0x23, 0xd9 };
	static const u8 want1[] = { 0x5b, 0x78, 0x92, 0x3d, 0xee, 0x08,
				    0x57, 0x90, 0x33, 0xe5, 0x23, 0xd8 };
	static const u8 want2[] = { 0x5b, 0x78, 0x92, 0x3d, 0xee, 0x08,
				    0x57, 0x90, 0x33, 0xe5, 0x23, 0xdb };
	static const u8 want_big[] = { 0x5b, 0x78, 0x92, 0x3d, 0xef, 0x0a,
				       0x54, 0x94, 0x36, 0xe3, 0x24, 0xd1 };
	const u8 explicit[8] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };
	struct ctls_rec_state st;
	u8 nonce[CTLS_REC_MAX_NONCE];

	ctls_test_state(&st, iv, sizeof(iv), 0);
	KUNIT_EXPECT_EQ(test, ctls_rec_nonce(&ctls_gcm13, &st, NULL, nonce), 12);
	KUNIT_EXPECT_MEMEQ(test, nonce, iv, sizeof(iv));
	ctls_test_set_seq(&st, 1);
	ctls_rec_nonce(&ctls_gcm13, &st, NULL, nonce);
	KUNIT_EXPECT_MEMEQ(test, nonce, want1, sizeof(want1));
	ctls_test_set_seq(&st, 2);
	/* TLS 1.3 has no explicit nonce: one passed in is ignored */
	ctls_rec_nonce(&ctls_gcm13, &st, explicit, nonce);
	KUNIT_EXPECT_MEMEQ(test, nonce, want2, sizeof(want2));
	ctls_test_set_seq(&st, 0x0102030405060708ULL);
	ctls_rec_nonce(&ctls_gcm13, &st, NULL, nonce);
	KUNIT_EXPECT_MEMEQ(test, nonce, want_big, sizeof(want_big));
}

/*
 * RFC 7905 2: the 64-bit sequence number, left-padded to 12 bytes, XORed
 * into the IV. Walk records across byte carries, advancing the state as
 * ctls does, and compute each expected nonce here from the number alone.
 */
static void ctls_test_chacha_walk(struct kunit *test, const u8 *iv, u64 first,
				  unsigned int count)
{
	struct ctls_rec_state st;
	u8 nonce[CTLS_REC_MAX_NONCE], want[12];
	unsigned int n, i;
	u64 seq;

	ctls_test_state(&st, iv, 12, first);
	for (n = 0; n < count; n++) {
		seq = first + n;
		for (i = 0; i < 12; i++)
			want[i] = iv[i] ^ (i < 4 ? 0 : (u8)(seq >> (8 * (11 - i))));
		KUNIT_ASSERT_EQ(test, ctls_rec_nonce(&ctls_chacha12, &st, NULL, nonce), 12);
		KUNIT_ASSERT_MEMEQ_MSG(test, nonce, want, sizeof(want),
				       "sequence number %llu", seq);
		KUNIT_ASSERT_EQ(test, ctls_rec_advance(&ctls_chacha12, &st), 0);
		KUNIT_ASSERT_EQ(test, ctls_test_get_seq(&st), seq + 1);
		KUNIT_ASSERT_MEMEQ(test, st.iv, iv, 12);
	}
}

static void ctls_rec_test_nonce_chacha_sequence(struct kunit *test)
{
	static const u8 iv[] = { 0x07, 0x00, 0x00, 0x00, 0x40, 0x41,
				 0x42, 0x43, 0x44, 0x45, 0x46, 0x47 };

	ctls_test_chacha_walk(test, iv, 0, 600);
	ctls_test_chacha_walk(test, iv, 0xfffffff0ULL, 40);
	ctls_test_chacha_walk(test, iv, 0x00fffffffffffff8ULL, 16);
}

/* ---- sequence numbers ------------------------------------------------ */

static void ctls_rec_test_advance_carry(struct kunit *test)
{
	static const u8 iv[12];
	struct ctls_rec_state st;

	ctls_test_state(&st, iv, sizeof(iv), 0xff);
	KUNIT_EXPECT_EQ(test, ctls_rec_advance(&ctls_gcm13, &st), 0);
	KUNIT_EXPECT_EQ(test, ctls_test_get_seq(&st), 0x100);
	ctls_test_set_seq(&st, 0x00ffffffffffffffULL);
	KUNIT_EXPECT_EQ(test, ctls_rec_advance(&ctls_gcm13, &st), 0);
	KUNIT_EXPECT_EQ(test, ctls_test_get_seq(&st), 0x0100000000000000ULL);
	ctls_test_set_seq(&st, 0xfffffffffffffffeULL);
	KUNIT_EXPECT_EQ(test, ctls_rec_advance(&ctls_gcm12, &st), 0);
	KUNIT_EXPECT_EQ(test, ctls_test_get_seq(&st), 0xffffffffffffffffULL);
}

/* RFC 8446 5.3 / RFC 5246 6.1: a sequence number must not wrap. */
static void ctls_rec_test_advance_wrap(struct kunit *test)
{
	static const u8 iv[12];
	struct ctls_rec_state st;

	ctls_test_state(&st, iv, sizeof(iv), ~0ULL);
	KUNIT_EXPECT_EQ(test, ctls_rec_advance(&ctls_gcm13, &st), -EBADMSG);
	ctls_test_state(&st, iv, sizeof(iv), ~0ULL);
	KUNIT_EXPECT_EQ(test, ctls_rec_advance(&ctls_gcm12, &st), -EBADMSG);
	ctls_test_state(&st, iv, sizeof(iv), ~0ULL);
	KUNIT_EXPECT_EQ(test, ctls_rec_advance(&ctls_chacha12, &st), -EBADMSG);
}

/*
 * TLS 1.2 with an explicit nonce: the nonce the next record carries moves
 * with the sequence number, and a carry out of it never reaches the salt.
 */
static void ctls_rec_test_advance_explicit(struct kunit *test)
{
	static const u8 iv[] = { 0x0a, 0x0b, 0x0c, 0x0d,
				 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff };
	static const u8 want[] = { 0x0a, 0x0b, 0x0c, 0x0d,
				   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00 };
	static const u8 iv_top[] = { 0x0a, 0x0b, 0x0c, 0x0d,
				     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const u8 want_top[] = { 0x0a, 0x0b, 0x0c, 0x0d,
				       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
	struct ctls_rec_state st;

	ctls_test_state(&st, iv, sizeof(iv), 0);
	KUNIT_EXPECT_EQ(test, ctls_rec_advance(&ctls_gcm12, &st), 0);
	KUNIT_EXPECT_MEMEQ(test, st.iv, want, sizeof(want));
	KUNIT_EXPECT_EQ(test, ctls_test_get_seq(&st), 1);

	ctls_test_state(&st, iv_top, sizeof(iv_top), 5);
	KUNIT_EXPECT_EQ(test, ctls_rec_advance(&ctls_ccm12, &st), 0);
	KUNIT_EXPECT_MEMEQ(test, st.iv, want_top, sizeof(want_top));
	KUNIT_EXPECT_EQ(test, ctls_test_get_seq(&st), 6);
}

/* Without an explicit nonce the IV is fixed for the key's lifetime. */
static void ctls_rec_test_advance_implicit(struct kunit *test)
{
	static const u8 iv[] = { 0x0a, 0x0b, 0x0c, 0x0d,
				 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff };
	struct ctls_rec_state st;

	ctls_test_state(&st, iv, sizeof(iv), 0);
	KUNIT_EXPECT_EQ(test, ctls_rec_advance(&ctls_gcm13, &st), 0);
	KUNIT_EXPECT_MEMEQ(test, st.iv, iv, sizeof(iv));
	KUNIT_EXPECT_EQ(test, ctls_rec_advance(&ctls_chacha12, &st), 0);
	KUNIT_EXPECT_MEMEQ(test, st.iv, iv, sizeof(iv));
	KUNIT_EXPECT_EQ(test, ctls_test_get_seq(&st), 2);
}

/* ---- received headers and TLS 1.3 inner plaintext -------------------- */

/*
 * A received header against the largest and smallest payload of its
 * cipher: 2^14 bytes of content plus the overhead (8-byte explicit nonce
 * and 16-byte tag for TLS 1.2 AES-GCM, the tag alone for ChaCha20-Poly1305,
 * the tag and the inner type byte for TLS 1.3), and the overhead alone. The
 * errors come in upstream's order: too long, too short, bad version. The
 * content type is authenticated later, so any value passes here.
 */
struct ctls_hdr_vec {
	const char *name;
	const struct ctls_rec_proto *p;
	u8 hdr[CTLS_REC_HDR_LEN];
	int want;			/* payload length or -errno */
};

static const struct ctls_hdr_vec ctls_hdr_vecs[] = {
	/* TLS 1.2 AES-GCM-128: 24..16408 (0x4018) */
	{ "gcm12_max", &ctls_gcm12, { 0x17, 3, 3, 0x40, 0x18 }, 0x4018 },
	{ "gcm12_max_plus_1", &ctls_gcm12, { 0x17, 3, 3, 0x40, 0x19 }, -EMSGSIZE },
	{ "gcm12_ffff", &ctls_gcm12, { 0x17, 3, 3, 0xff, 0xff }, -EMSGSIZE },
	{ "gcm12_overhead", &ctls_gcm12, { 0x15, 3, 3, 0x00, 0x18 }, 24 },
	{ "gcm12_overhead_minus_1", &ctls_gcm12, { 0x15, 3, 3, 0x00, 0x17 }, -EBADMSG },
	{ "gcm12_zero", &ctls_gcm12, { 0x17, 3, 3, 0x00, 0x00 }, -EBADMSG },
	/* TLS 1.3 AES-GCM-128: 16..16401 (0x4011), the type byte counted */
	{ "gcm13_max", &ctls_gcm13, { 0x17, 3, 3, 0x40, 0x11 }, 0x4011 },
	{ "gcm13_max_plus_1", &ctls_gcm13, { 0x17, 3, 3, 0x40, 0x12 }, -EMSGSIZE },
	{ "gcm13_ffff", &ctls_gcm13, { 0x17, 3, 3, 0xff, 0xff }, -EMSGSIZE },
	{ "gcm13_overhead", &ctls_gcm13, { 0x17, 3, 3, 0x00, 0x10 }, 16 },
	{ "gcm13_overhead_minus_1", &ctls_gcm13, { 0x17, 3, 3, 0x00, 0x0f }, -EBADMSG },
	{ "gcm13_zero", &ctls_gcm13, { 0x17, 3, 3, 0x00, 0x00 }, -EBADMSG },
	/* TLS 1.2 ChaCha20-Poly1305: 16..16400 (0x4010), no explicit nonce */
	{ "chacha12_max", &ctls_chacha12, { 0x16, 3, 3, 0x40, 0x10 }, 0x4010 },
	{ "chacha12_max_plus_1", &ctls_chacha12, { 0x16, 3, 3, 0x40, 0x11 }, -EMSGSIZE },
	{ "chacha12_ffff", &ctls_chacha12, { 0x17, 3, 3, 0xff, 0xff }, -EMSGSIZE },
	{ "chacha12_overhead", &ctls_chacha12, { 0x17, 3, 3, 0x00, 0x10 }, 16 },
	{ "chacha12_overhead_minus_1", &ctls_chacha12, { 0x17, 3, 3, 0x00, 0x0f }, -EBADMSG },
	{ "chacha12_zero", &ctls_chacha12, { 0x17, 3, 3, 0x00, 0x00 }, -EBADMSG },
	/* legacy_record_version is 3.3 in both versions (RFC 8446 5.1) */
	{ "version_3_1", &ctls_gcm12, { 0x17, 3, 1, 0x01, 0x00 }, -EINVAL },
	{ "version_2_3", &ctls_gcm13, { 0x17, 2, 3, 0x01, 0x00 }, -EINVAL },
	{ "version_3_4", &ctls_chacha12, { 0x17, 3, 4, 0x01, 0x00 }, -EINVAL },
	/* the length is checked before the version */
	{ "too_long_bad_version", &ctls_gcm12, { 0x17, 3, 1, 0x40, 0x19 }, -EMSGSIZE },
	{ "too_short_bad_version", &ctls_gcm13, { 0x17, 2, 3, 0x00, 0x0f }, -EBADMSG },
	/* the content type is not looked at */
	{ "type_0", &ctls_gcm12, { 0x00, 3, 3, 0x01, 0x00 }, 0x100 },
	{ "type_ff", &ctls_gcm13, { 0xff, 3, 3, 0x01, 0x00 }, 0x100 },
};

KUNIT_ARRAY_PARAM_DESC(ctls_hdr, ctls_hdr_vecs, name);

static void ctls_rec_test_parse_header(struct kunit *test)
{
	const struct ctls_hdr_vec *v = test->param_value;

	KUNIT_EXPECT_EQ(test, ctls_rec_parse_header(v->p, v->hdr), v->want);
}

/*
 * RFC 8446 5.4: content, the type, then zeros. The bytes are copied into
 * an allocation of exactly @len bytes, so that KASAN sees any read outside.
 */
struct ctls_inner_vec {
	const char *name;
	u8 plain[8];
	unsigned int len;
	int want;			/* content length or -errno */
	u8 type;
};

static const struct ctls_inner_vec ctls_inner_vecs[] = {
	{ "content_type", { 'a', 'b', 'c', 23 }, 4, 3, 23 },
	{ "content_type_padding", { 'a', 'b', 'c', 23, 0, 0, 0 }, 7, 3, 23 },
	{ "type_only", { 22 }, 1, 0, 22 },
	{ "type_only_padding", { 21, 0, 0, 0, 0, 0, 0, 0 }, 8, 0, 21 },
	{ "content_zeros_type_padding", { 'a', 0, 0, 23, 0, 0 }, 6, 3, 23 },
	{ "all_zeros", { 0 }, 8, -EBADMSG },
	{ "one_zero", { 0 }, 1, -EBADMSG },
	{ "empty", { 0 }, 0, -EBADMSG },
};

KUNIT_ARRAY_PARAM_DESC(ctls_inner, ctls_inner_vecs, name);

static void ctls_rec_test_inner_type(struct kunit *test)
{
	const struct ctls_inner_vec *v = test->param_value;
	u8 *plain, type = 0x5a;

	plain = kunit_kmalloc(test, v->len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, plain);
	memcpy(plain, v->plain, v->len);
	KUNIT_EXPECT_EQ(test, ctls_rec_inner_type(plain, v->len, &type), v->want);
	if (v->want >= 0)
		KUNIT_EXPECT_EQ(test, type, v->type);
	KUNIT_EXPECT_MEMEQ(test, plain, v->plain, v->len);
}

static struct kunit_case ctls_rec_cases[] = {
	KUNIT_CASE(ctls_rec_test_sizes),
	KUNIT_CASE(ctls_rec_test_prepend_tls12),
	KUNIT_CASE(ctls_rec_test_prepend_tls12_chacha),
	KUNIT_CASE(ctls_rec_test_prepend_tls13),
	KUNIT_CASE(ctls_rec_test_prepend_max),
	KUNIT_CASE(ctls_rec_test_aad_tls12),
	KUNIT_CASE(ctls_rec_test_aad_tls13),
	KUNIT_CASE(ctls_rec_test_nonce_gcm_tx),
	KUNIT_CASE(ctls_rec_test_nonce_gcm_rx),
	KUNIT_CASE(ctls_rec_test_nonce_ccm),
	KUNIT_CASE(ctls_rec_test_nonce_ccm_tls13),
	KUNIT_CASE(ctls_rec_test_nonce_tls13),
	KUNIT_CASE(ctls_rec_test_nonce_chacha_sequence),
	KUNIT_CASE(ctls_rec_test_advance_carry),
	KUNIT_CASE(ctls_rec_test_advance_wrap),
	KUNIT_CASE(ctls_rec_test_advance_explicit),
	KUNIT_CASE(ctls_rec_test_advance_implicit),
	KUNIT_CASE_PARAM(ctls_rec_test_parse_header, ctls_hdr_gen_params),
	KUNIT_CASE_PARAM(ctls_rec_test_inner_type, ctls_inner_gen_params),
	{}
};

static struct kunit_suite ctls_rec_suite = {
	.name = "ctls_record",
	.test_cases = ctls_rec_cases,
};

/* ---- whole records, sealed and opened with the kernel's AEADs --------- */

#define CTLS_KAT_LINES 8

/* Byte strings are hex pairs, spaced and broken into lines as RFC 8448's. */
struct ctls_kat {
	const char *name;
	const char *alg;		/* the kernel AEAD ctls would use */
	struct ctls_rec_proto proto;
	const char *key[CTLS_KAT_LINES];
	const char *iv[CTLS_KAT_LINES];	/* salt || IV */
	u64 seq;
	u8 type;
	const char *plain[CTLS_KAT_LINES];
	const char *record[CTLS_KAT_LINES];
};

static const struct ctls_kat ctls_kats[] = {
	{
		.name = "rfc8448_client_data",
		.alg = "gcm(aes)",
		.proto = CTLS_TEST_TLS13(AES_GCM_128, 0),
		.key = {
			"17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6",
			"3f 50 51",
		},
		.iv = { "5b 78 92 3d ee 08 57 90 33 e5 23 d9" },
		.seq = 0,
		.type = 23,
		.plain = {
			"00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e",
			"0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23",
			"24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31",
		},
		.record = {
			"17 03 03 00 43 a2 3f 70 54 b6 2c 94",
			"d0 af fa fe 82 28 ba 55 cb ef ac ea 42 f9 14 aa 66 bc ab 3f 2b",
			"98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b 62 97 4e 1f 5a 62",
			"92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4",
		},
	},
	{
		.name = "rfc8448_client_close_notify",
		.alg = "gcm(aes)",
		.proto = CTLS_TEST_TLS13(AES_GCM_128, 0),
		.key = {
			"17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6",
			"3f 50 51",
		},
		.iv = { "5b 78 92 3d ee 08 57 90 33 e5 23 d9" },
		.seq = 1,
		.type = 21,
		.plain = { "01 00" },
		.record = {
			"17 03 03 00 13 c9 87 27 60 65 56 66",
			"b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3",
		},
	},
	{
		.name = "rfc8448_server_data",
		.alg = "gcm(aes)",
		.proto = CTLS_TEST_TLS13(AES_GCM_128, 0),
		.key = {
			"9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac",
			"92 e3 56",
		},
		.iv = { "cf 78 2b 88 dd 83 54 9a ad f1 e9 84" },
		.seq = 1,
		.type = 23,
		.plain = {
			"00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e",
			"0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23",
			"24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31",
		},
		.record = {
			"17 03 03 00 43 2e 93 7e 11 ef 4a c7",
			"40 e5 38 ad 36 00 5f c4 a4 69 32 fc 32 25 d0 5f 82",
			"aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a",
			"59 a8 fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32",
			"54 0d d0 32 e1 67 c2 95 5d",
		},
	},
	{
		.name = "rfc8448_server_close_notify",
		.alg = "gcm(aes)",
		.proto = CTLS_TEST_TLS13(AES_GCM_128, 0),
		.key = {
			"9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac",
			"92 e3 56",
		},
		.iv = { "cf 78 2b 88 dd 83 54 9a ad f1 e9 84" },
		.seq = 2,
		.type = 21,
		.plain = { "01 00" },
		.record = {
			"17 03 03 00 13 b5 8f d6 71 66 eb f5",
			"99 d2 47 20 cf be 7e fa 7a 88 64 a9",
		},
	},
	/* From here on: computed by kat-vectors.py, see the top of the file. */
	{
		.name = "tls12_aes128_gcm",
		.alg = "gcm(aes)",
		.proto = CTLS_TEST_TLS12(AES_GCM_128, 8, 0),
		.key = {
			"00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f",
		},
		.iv = {
			"ca fe ba be fa ce db ad de ca f8 88",
		},
		.seq = 0x2aULL,
		.type = 23,
		.plain = {
			"63 74 6c 73 20 4b 55 6e 69 74 3a 20 54 4c 53 20",
			"31 2e 32 20 41 45 53 2d 31 32 38 2d 47 43 4d 20",
			"72 65 63 6f 72 64 0a",
		},
		.record = {
			"17 03 03 00 3f fa ce db ad de ca f8 88",
			"ea 0d ab c5 a5 bc d4 6f c3 64 f3 a8 09 b6 f3 c7",
			"b7 25 0a 04 1a ae e3 88 00 db 2e 56 31 64 a0 f1",
			"e8 4c fa 6f 80 70 17 de fd 7c 48 7a 73 8a c1 30",
			"07 7f 04 1c 15 16 e7",
		},
	},
	{
		.name = "tls12_aes256_gcm_alert",
		.alg = "gcm(aes)",
		.proto = CTLS_TEST_TLS12(AES_GCM_256, 8, 0),
		.key = {
			"20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f",
			"30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d 3e 3f",
		},
		.iv = {
			"01 02 03 04 00 00 00 00 00 00 00 00",
		},
		.seq = 0x0ULL,
		.type = 21,
		.plain = {
			"01 00",
		},
		.record = {
			"15 03 03 00 1a 00 00 00 00 00 00 00 00",
			"f3 fb 59 40 a3 34 8c d7 58 db bd 7e 0c ad 76 d3",
			"54 b6",
		},
	},
	{
		.name = "tls12_aes128_ccm",
		.alg = "ccm(aes)",
		.proto = CTLS_TEST_TLS12(AES_CCM_128, 8, 2),
		.key = {
			"40 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f",
		},
		.iv = {
			"d0 d1 d2 d3 01 02 03 04 05 06 07 08",
		},
		.seq = 0xffffffffULL,
		.type = 23,
		.plain = {
			"00 03 06 09 0c 0f 12 15 18 1b 1e 21 24 27 2a 2d",
			"30 33 36 39 3c 3f 42 45 48 4b 4e 51 54 57 5a 5d",
			"60 63 66 69 6c 6f 72 75 78 7b 7e 81 84 87 8a 8d",
			"90 93 96 99 9c 9f a2 a5 a8 ab ae b1 b4 b7 ba bd",
		},
		.record = {
			"17 03 03 00 58 01 02 03 04 05 06 07 08",
			"ab 80 90 b8 57 a6 d6 16 b3 f9 16 e1 1c 06 ec 27",
			"7c 88 7d 80 63 dd 19 23 73 af b9 aa 76 30 6c 65",
			"8b 62 e8 c4 90 9c 7b c1 1c f6 75 ae e4 d1 8f a8",
			"6d 40 76 3a 5c 7a d2 09 e8 a8 51 be cd 1b ba 28",
			"e5 57 bc ce 51 87 c2 3f 52 c4 df 03 95 1e bb e0",
		},
	},
	{
		.name = "tls12_chacha20_poly1305",
		.alg = "rfc7539(chacha20,poly1305)",
		.proto = CTLS_TEST_TLS12(CHACHA20_POLY1305, 0, 0),
		.key = {
			"80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f",
			"90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f",
		},
		.iv = {
			"07 00 00 00 40 41 42 43 44 45 46 47",
		},
		.seq = 0x102030405060708ULL,
		.type = 23,
		.plain = {
			"43 68 61 43 68 61 32 30 2d 50 6f 6c 79 31 33 30",
			"35 20 69 6e 20 54 4c 53 20 31 2e 32 20 68 61 73",
			"20 6e 6f 20 65 78 70 6c 69 63 69 74 20 6e 6f 6e",
			"63 65 20 28 52 46 43 20 37 39 30 35 29 2e",
		},
		.record = {
			"17 03 03 00 4e",
			"e3 cf e6 c0 af 41 49 5c 6d 38 19 6b ee 13 e2 a8",
			"fd 98 dd 4b 43 58 b7 11 d0 4f e8 3e c5 f4 86 98",
			"01 c2 c6 a1 c3 db d7 4b 09 d1 91 5f 34 ab 9f 34",
			"ad f9 44 d2 d7 38 20 2a fe 7d 6f 31 60 ae 9c 1e",
			"4a 45 95 a1 e8 97 24 72 dc bf 97 cc e5 8e",
		},
	},
	{
		.name = "tls13_chacha20_poly1305",
		.alg = "rfc7539(chacha20,poly1305)",
		.proto = CTLS_TEST_TLS13(CHACHA20_POLY1305, 0),
		.key = {
			"a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad ae af",
			"b0 b1 b2 b3 b4 b5 b6 b7 b8 b9 ba bb bc bd be bf",
		},
		.iv = {
			"00 01 02 03 04 05 06 07 08 09 0a 0b",
		},
		.seq = 0x3ULL,
		.type = 22,
		.plain = {
			"68 61 6e 64 73 68 61 6b 65 20 69 6e 20 31 2e 33",
		},
		.record = {
			"17 03 03 00 21",
			"8c cc be c4 ae df 7f ac 89 ff 4b 20 c7 34 1a 6f",
			"2e f5 24 e3 be 7b 4f 6d d4 21 85 7d 69 74 ee 4d",
			"8c",
		},
	},
	{
		.name = "tls13_aes256_gcm_empty",
		.alg = "gcm(aes)",
		.proto = CTLS_TEST_TLS13(AES_GCM_256, 0),
		.key = {
			"c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd ce cf",
			"d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 da db dc dd de df",
		},
		.iv = {
			"f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb",
		},
		.seq = 0xffULL,
		.type = 23,
		.plain = {
			"",
		},
		.record = {
			"17 03 03 00 11",
			"4b 7e 52 14 98 b7 07 93 ed 0a 23 62 7f 43 0d 25",
			"75",
		},
	},
	{
		.name = "tls13_sm4_gcm",
		.alg = "gcm(sm4)",
		.proto = CTLS_TEST_TLS13(SM4_GCM, 0),
		.key = {
			"10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f",
		},
		.iv = {
			"00 11 22 33 44 55 66 77 88 99 00 11",
		},
		.seq = 0x1ULL,
		.type = 23,
		.plain = {
			"53 4d 34 2d 47 43 4d 2c 20 52 46 43 20 38 39 39",
			"38",
		},
		.record = {
			"17 03 03 00 22",
			"31 06 31 7d 5e af c9 62 34 d8 01 c9 56 4f dc fe",
			"98 e4 b2 16 b7 8c 06 72 8e 52 78 6c 91 4c ae 9e",
			"f3 ae",
		},
	},
	{
		.name = "tls13_sm4_ccm",
		.alg = "ccm(sm4)",
		.proto = CTLS_TEST_TLS13(SM4_CCM, 2),
		.key = {
			"30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d 3e 3f",
		},
		.iv = {
			"a5 a5 a5 a5 5a 5a 5a 5a 5a 5a 5a 5a",
		},
		.seq = 0x100000000000000ULL,
		.type = 23,
		.plain = {
			"53 4d 34 2d 43 43 4d 2c 20 52 46 43 20 38 39 39",
			"38 2c 20 69 6e 20 31 2e 33",
		},
		.record = {
			"17 03 03 00 2a",
			"84 88 0e 91 04 bd d6 ba 16 9a ee 45 a5 23 f5 33",
			"80 57 e6 88 f6 d1 a5 8d e7 16 4e b0 b5 66 5d cd",
			"46 d6 52 1f d2 6c 8d fd 95 46",
		},
	},
	{
		.name = "tls12_aria128_gcm",
		.alg = "gcm(aria)",
		.proto = CTLS_TEST_TLS12(ARIA_GCM_128, 8, 0),
		.key = {
			"50 51 52 53 54 55 56 57 58 59 5a 5b 5c 5d 5e 5f",
		},
		.iv = {
			"0b ad ca fe 11 22 33 44 55 66 77 88",
		},
		.seq = 0x9ULL,
		.type = 23,
		.plain = {
			"41 52 49 41 2d 31 32 38 2d 47 43 4d 2c 20 52 46",
			"43 20 36 32 30 39",
		},
		.record = {
			"17 03 03 00 2e 11 22 33 44 55 66 77 88",
			"08 e4 3b 6d 79 14 a0 c8 67 7e e7 2d 9b 0d 9c ac",
			"32 7e 06 24 48 14 62 2c f3 25 6a 2d f0 1c 8e ae",
			"e1 ff b8 b8 09 0b",
		},
	},
};

static const struct ctls_kat *ctls_kat_find(struct kunit *test, const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ctls_kats); i++)
		if (!strcmp(ctls_kats[i].name, name))
			return &ctls_kats[i];
	KUNIT_FAIL_AND_ABORT(test, "no vector %s", name);
	return NULL;
}

/* The bytes of a vector's hex lines, in memory the test owns. */
static unsigned int ctls_kat_bytes(struct kunit *test, const char * const *lines, u8 **out)
{
	unsigned int i, n = 0, size = 1;
	const char *s;
	int hi, lo;
	u8 *buf;

	for (i = 0; i < CTLS_KAT_LINES && lines[i]; i++)
		size += strlen(lines[i]) / 2 + 1;
	buf = kunit_kzalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < CTLS_KAT_LINES && lines[i]; i++) {
		for (s = lines[i]; *s; s++) {
			if (*s == ' ')
				continue;
			hi = hex_to_bin(s[0]);
			lo = hex_to_bin(s[1]);
			KUNIT_ASSERT_TRUE_MSG(test, hi >= 0 && lo >= 0, "bad hex: %s", lines[i]);
			buf[n++] = hi << 4 | lo;
			s++;
		}
	}
	*out = buf;
	return n;
}

/* A vector in bytes, with the record state its sender had. */
struct ctls_kat_vec {
	const struct ctls_kat *kat;
	const struct ctls_rec_proto *p;
	struct ctls_rec_state st;
	u8 *key, *plain, *record;
	unsigned int key_len, plain_len, record_len;
};

static void ctls_kat_load(struct kunit *test, const struct ctls_kat *k,
			  struct ctls_kat_vec *v)
{
	unsigned int iv_len;
	u8 *iv;

	v->kat = k;
	v->p = &k->proto;
	v->key_len = ctls_kat_bytes(test, k->key, &v->key);
	v->plain_len = ctls_kat_bytes(test, k->plain, &v->plain);
	v->record_len = ctls_kat_bytes(test, k->record, &v->record);
	iv_len = ctls_kat_bytes(test, k->iv, &iv);
	KUNIT_ASSERT_EQ(test, iv_len, v->p->salt_len + v->p->iv_len);
	KUNIT_ASSERT_EQ(test, v->record_len, ctls_rec_overhead(v->p) + v->plain_len);
	ctls_test_state(&v->st, iv, iv_len, k->seq);
}

/*
 * One AEAD operation in place on @buf: @aad_len bytes of additional data,
 * then @len bytes to encrypt (the tag is appended) or to decrypt (tag
 * included), through the crypto API as ctls drives it.
 */
static int ctls_kat_aead(const struct ctls_kat_vec *v, u8 *nonce, u8 *buf,
			 unsigned int aad_len, unsigned int len, bool encrypt)
{
	struct aead_request *req = NULL;
	struct crypto_aead *tfm;
	struct scatterlist sg;
	DECLARE_CRYPTO_WAIT(wait);
	int err;

	tfm = crypto_alloc_aead(v->kat->alg, 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	err = crypto_aead_setkey(tfm, v->key, v->key_len);
	if (!err)
		err = crypto_aead_setauthsize(tfm, v->p->tag_len);
	if (!err)
		req = aead_request_alloc(tfm, GFP_KERNEL);
	if (!req) {
		crypto_free_aead(tfm);
		return err ?: -ENOMEM;
	}
	sg_init_one(&sg, buf, aad_len + len + (encrypt ? v->p->tag_len : 0));
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG | CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, &wait);
	aead_request_set_ad(req, aad_len);
	aead_request_set_crypt(req, &sg, &sg, len, nonce);
	err = crypto_wait_req(encrypt ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req),
			      &wait);
	aead_request_free(req);
	crypto_free_aead(tfm);
	return err;
}

/*
 * A whole record as a sender with state @st builds it: header and explicit
 * nonce from ctls_rec_write_prepend(), the content (and in TLS 1.3 its inner
 * type) sealed under ctls_rec_nonce() and ctls_rec_aad().
 */
static u8 *ctls_kat_seal(struct kunit *test, const struct ctls_kat_vec *v,
			 const struct ctls_rec_state *st, u8 type,
			 const u8 *plain, unsigned int plain_len)
{
	unsigned int len = ctls_rec_overhead(v->p) + plain_len;
	unsigned int pre = ctls_rec_prepend(v->p);
	unsigned int aad_len, inner = plain_len;
	u8 *rec, *buf, *nonce;

	rec = kunit_kzalloc(test, len, GFP_KERNEL);
	buf = kunit_kzalloc(test, CTLS_REC_MAX_AAD + len, GFP_KERNEL);
	nonce = kunit_kzalloc(test, CTLS_REC_MAX_NONCE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rec);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, nonce);

	ctls_rec_write_prepend(v->p, st, rec, type, plain_len);
	aad_len = ctls_rec_aad(v->p, st, buf, type, plain_len);
	memcpy(buf + aad_len, plain, plain_len);
	if (v->p->tls13)
		buf[aad_len + inner++] = type;
	ctls_rec_nonce(v->p, st, NULL, nonce);
	KUNIT_ASSERT_EQ(test, ctls_kat_aead(v, nonce, buf, aad_len, inner, true), 0);
	memcpy(rec + pre, buf + aad_len, inner + v->p->tag_len);
	return rec;
}

static void ctls_kat_test_seal(struct kunit *test)
{
	const struct ctls_kat *k = test->param_value;
	struct ctls_kat_vec v;
	u8 *rec;

	ctls_kat_load(test, k, &v);
	rec = ctls_kat_seal(test, &v, &v.st, k->type, v.plain, v.plain_len);
	KUNIT_EXPECT_MEMEQ(test, rec, v.record, v.record_len);
}

/*
 * The receiving side: length and type from the header, the explicit nonce
 * from the record (the state's copy is garbage here, as a receiver's
 * would be), then one flipped tag bit must fail authentication.
 */
static void ctls_kat_test_open(struct kunit *test)
{
	const struct ctls_kat *k = test->param_value;
	unsigned int pre, aad_len, body, plain_len;
	struct ctls_kat_vec v;
	u8 *buf, *nonce;

	ctls_kat_load(test, k, &v);
	memset(v.st.iv + v.p->salt_len, 0xa5, v.p->explicit_len);
	pre = ctls_rec_prepend(v.p);
	body = v.record_len - pre;
	KUNIT_ASSERT_EQ(test, (v.record[3] << 8 | v.record[4]) + CTLS_REC_HDR_LEN,
			v.record_len);
	plain_len = v.record_len - ctls_rec_overhead(v.p);

	buf = kunit_kzalloc(test, CTLS_REC_MAX_AAD + v.record_len, GFP_KERNEL);
	nonce = kunit_kzalloc(test, CTLS_REC_MAX_NONCE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, nonce);
	aad_len = ctls_rec_aad(v.p, &v.st, buf, v.record[0], plain_len);
	if (v.p->tls13)
		KUNIT_EXPECT_MEMEQ(test, buf, v.record, CTLS_REC_HDR_LEN);
	ctls_rec_nonce(v.p, &v.st, v.record + CTLS_REC_HDR_LEN, nonce);

	memcpy(buf + aad_len, v.record + pre, body);
	KUNIT_ASSERT_EQ(test, ctls_kat_aead(&v, nonce, buf, aad_len, body, false), 0);
	KUNIT_EXPECT_MEMEQ(test, buf + aad_len, v.plain, v.plain_len);
	if (v.p->tls13)
		KUNIT_EXPECT_EQ(test, buf[aad_len + plain_len], k->type);
	else
		KUNIT_EXPECT_EQ(test, v.record[0], k->type);

	memcpy(buf + aad_len, v.record + pre, body);
	buf[aad_len + body - 1] ^= 0x01;
	KUNIT_EXPECT_EQ(test, ctls_kat_aead(&v, nonce, buf, aad_len, body, false), -EBADMSG);
}

KUNIT_ARRAY_PARAM_DESC(ctls_kat, ctls_kats, name);

/*
 * RFC 8448 section 3 as a stream: one state per direction, advanced by
 * ctls_rec_advance() from sequence 0 (the server's first application-key
 * record is its NewSessionTicket, not reproduced here).
 */
static void ctls_kat_stream(struct kunit *test, const char *data, const char *alert,
			    bool ticket_first)
{
	const struct ctls_kat *kd = ctls_kat_find(test, data);
	const struct ctls_kat *ka = ctls_kat_find(test, alert);
	struct ctls_kat_vec vd, va;
	struct ctls_rec_state st;
	u8 *rec;

	ctls_kat_load(test, kd, &vd);
	ctls_kat_load(test, ka, &va);
	st = vd.st;
	ctls_test_set_seq(&st, 0);
	if (ticket_first)
		KUNIT_ASSERT_EQ(test, ctls_rec_advance(vd.p, &st), 0);
	rec = ctls_kat_seal(test, &vd, &st, 23, vd.plain, vd.plain_len);
	KUNIT_EXPECT_MEMEQ(test, rec, vd.record, vd.record_len);
	KUNIT_ASSERT_EQ(test, ctls_rec_advance(vd.p, &st), 0);
	rec = ctls_kat_seal(test, &va, &st, 21, va.plain, va.plain_len);
	KUNIT_EXPECT_MEMEQ(test, rec, va.record, va.record_len);
}

static void ctls_kat_test_rfc8448_client_stream(struct kunit *test)
{
	ctls_kat_stream(test, "rfc8448_client_data", "rfc8448_client_close_notify", false);
}

static void ctls_kat_test_rfc8448_server_stream(struct kunit *test)
{
	ctls_kat_stream(test, "rfc8448_server_data", "rfc8448_server_close_notify", true);
}

static struct kunit_case ctls_kat_cases[] = {
	KUNIT_CASE_PARAM(ctls_kat_test_seal, ctls_kat_gen_params),
	KUNIT_CASE_PARAM(ctls_kat_test_open, ctls_kat_gen_params),
	KUNIT_CASE(ctls_kat_test_rfc8448_client_stream),
	KUNIT_CASE(ctls_kat_test_rfc8448_server_stream),
	{}
};

static struct kunit_suite ctls_kat_suite = {
	.name = "ctls_record_kat",
	.test_cases = ctls_kat_cases,
};

/* ---- the AEADs alone, against their published vectors ------------------ */

/* One AEAD operation's inputs and outputs, as published. */
struct ctls_aead_data {
	const char *key[CTLS_KAT_LINES];
	const char *nonce[CTLS_KAT_LINES];
	const char *aad[CTLS_KAT_LINES];
	const char *plain[CTLS_KAT_LINES];
	const char *cipher[CTLS_KAT_LINES];
	const char *tag[CTLS_KAT_LINES];
};

/*
 * McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", appendix
 * B (the vectors of NIST's GCMVS): test cases 4 and 16 share all but the
 * key, AES-128 in 4 and AES-256 in 16.
 */
#define CTLS_GCM_SPEC_IV	{ "ca fe ba be fa ce db ad de ca f8 88" }

#define CTLS_GCM_SPEC_AAD {						\
	"fe ed fa ce de ad be ef fe ed fa ce de ad be ef",		\
	"ab ad da d2",							\
}

#define CTLS_GCM_SPEC_PLAIN {						\
	"d9 31 32 25 f8 84 06 e5 a5 59 09 c5 af f5 26 9a",		\
	"86 a7 a9 53 15 34 f7 da 2e 4c 30 3d 8a 31 8a 72",		\
	"1c 3c 0c 95 95 68 09 53 2f cf 0e 24 49 a6 b5 25",		\
	"b1 6a ed f5 aa 0d e6 57 ba 63 7b 39",				\
}

static const struct ctls_aead_data ctls_gcm_tc4 = {
	.key = { "fe ff e9 92 86 65 73 1c 6d 6a 8f 94 67 30 83 08" },
	.nonce = CTLS_GCM_SPEC_IV,
	.aad = CTLS_GCM_SPEC_AAD,
	.plain = CTLS_GCM_SPEC_PLAIN,
	.cipher = {
		"42 83 1e c2 21 77 74 24 4b 72 21 b7 84 d0 d4 9c",
		"e3 aa 21 2f 2c 02 a4 e0 35 c1 7e 23 29 ac a1 2e",
		"21 d5 14 b2 54 66 93 1c 7d 8f 6a 5a ac 84 aa 05",
		"1b a3 0b 39 6a 0a ac 97 3d 58 e0 91",
	},
	.tag = { "5b c9 4f bc 32 21 a5 db 94 fa e9 5a e7 12 1a 47" },
};

static const struct ctls_aead_data ctls_gcm_tc16 = {
	.key = {
		"fe ff e9 92 86 65 73 1c 6d 6a 8f 94 67 30 83 08",
		"fe ff e9 92 86 65 73 1c 6d 6a 8f 94 67 30 83 08",
	},
	.nonce = CTLS_GCM_SPEC_IV,
	.aad = CTLS_GCM_SPEC_AAD,
	.plain = CTLS_GCM_SPEC_PLAIN,
	.cipher = {
		"52 2d c1 f0 99 56 7d 07 f4 7f 37 a3 2a 84 42 7d",
		"64 3a 8c dc bf e5 c0 c9 75 98 a2 bd 25 55 d1 aa",
		"8c b0 8e 48 59 0d bb 3d a7 b0 8b 10 56 82 88 38",
		"c5 f6 1e 63 93 ba 7a 0a bc c9 f6 62",
	},
	.tag = { "76 fc 6e ce 0f 4e 17 68 cd df 88 53 bb 2d 55 1b" },
};

/*
 * RFC 8439 2.8.2: "Ladies and Gentlemen of the class of '99: If I could
 * offer you only one tip for the future, sunscreen would be it."
 */
static const struct ctls_aead_data ctls_rfc8439 = {
	.key = {
		"80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f",
		"90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f",
	},
	.nonce = { "07 00 00 00 40 41 42 43 44 45 46 47" },
	.aad = { "50 51 52 53 c0 c1 c2 c3 c4 c5 c6 c7" },
	.plain = {
		"4c 61 64 69 65 73 20 61 6e 64 20 47 65 6e 74 6c",
		"65 6d 65 6e 20 6f 66 20 74 68 65 20 63 6c 61 73",
		"73 20 6f 66 20 27 39 39 3a 20 49 66 20 49 20 63",
		"6f 75 6c 64 20 6f 66 66 65 72 20 79 6f 75 20 6f",
		"6e 6c 79 20 6f 6e 65 20 74 69 70 20 66 6f 72 20",
		"74 68 65 20 66 75 74 75 72 65 2c 20 73 75 6e 73",
		"63 72 65 65 6e 20 77 6f 75 6c 64 20 62 65 20 69",
		"74 2e",
	},
	.cipher = {
		"d3 1a 8d 34 64 8e 60 db 7b 86 af bc 53 ef 7e c2",
		"a4 ad ed 51 29 6e 08 fe a9 e2 b5 a7 36 ee 62 d6",
		"3d be a4 5e 8c a9 67 12 82 fa fb 69 da 92 72 8b",
		"1a 71 de 0a 9e 06 0b 29 05 d6 a5 b6 7e cd 3b 36",
		"92 dd bd 7f 2d 77 8b 8c 98 03 ae e3 28 09 1b 58",
		"fa b3 24 e4 fa d6 75 94 55 85 80 8b 48 31 d7 bc",
		"3f f4 de f0 8e 4b 7a 9d e5 76 d2 65 86 ce c6 4b",
		"61 16",
	},
	.tag = { "1a e1 0b 59 4f 09 e2 6a 7e 90 2e cb d0 60 06 91" },
};

/*
 * Each vector under the name ctls's cipher table asks for (the kernel picks
 * its fastest driver: AES-NI, SIMD ChaCha20 and Poly1305 here) and under
 * the generic C implementations'.
 */
struct ctls_aead_kat {
	const char *name;
	const char *alg;
	const struct ctls_aead_data *data;
};

static const struct ctls_aead_kat ctls_aead_kats[] = {
	{ "gcm_spec_tc4", "gcm(aes)", &ctls_gcm_tc4 },
	{ "gcm_spec_tc16", "gcm(aes)", &ctls_gcm_tc16 },
	{ "rfc8439_2_8_2", "rfc7539(chacha20,poly1305)", &ctls_rfc8439 },
	{ "gcm_spec_tc4_generic", "gcm_base(ctr(aes-generic),ghash-generic)", &ctls_gcm_tc4 },
	{ "gcm_spec_tc16_generic", "gcm_base(ctr(aes-generic),ghash-generic)", &ctls_gcm_tc16 },
	{ "rfc8439_2_8_2_generic", "rfc7539(chacha20-generic,poly1305-generic)", &ctls_rfc8439 },
};

KUNIT_ARRAY_PARAM_DESC(ctls_aead, ctls_aead_kats, name);

/* A vector in bytes. */
struct ctls_aead_vec {
	const char *alg;
	u8 *key, *nonce, *aad, *plain, *cipher, *tag;
	unsigned int key_len, nonce_len, aad_len, len, tag_len;
};

static void ctls_aead_load(struct kunit *test, const struct ctls_aead_kat *k,
			   struct ctls_aead_vec *v)
{
	const struct ctls_aead_data *d = k->data;

	v->alg = k->alg;
	v->key_len = ctls_kat_bytes(test, d->key, &v->key);
	v->nonce_len = ctls_kat_bytes(test, d->nonce, &v->nonce);
	v->aad_len = ctls_kat_bytes(test, d->aad, &v->aad);
	v->len = ctls_kat_bytes(test, d->plain, &v->plain);
	KUNIT_ASSERT_EQ(test, ctls_kat_bytes(test, d->cipher, &v->cipher), v->len);
	v->tag_len = ctls_kat_bytes(test, d->tag, &v->tag);
	KUNIT_ASSERT_EQ(test, v->tag_len, CTLS_REC_MAX_TAG);
}

/*
 * In place, as ctls's tx and rx do it: the additional data in the first
 * entry of the list, then the text; @len counts the tag when decrypting.
 */
static int ctls_aead_crypt(struct kunit *test, const struct ctls_aead_vec *v,
			   u8 *buf, unsigned int len, bool encrypt)
{
	struct aead_request *req = NULL;
	struct scatterlist sg[2];
	struct crypto_aead *tfm;
	DECLARE_CRYPTO_WAIT(wait);
	u8 iv[CTLS_REC_MAX_NONCE];
	int err;

	tfm = crypto_alloc_aead(v->alg, 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	if (encrypt)
		kunit_info(test, "%s: %s\n", v->alg, crypto_aead_driver_name(tfm));
	err = crypto_aead_setkey(tfm, v->key, v->key_len);
	if (!err)
		err = crypto_aead_setauthsize(tfm, v->tag_len);
	if (!err && crypto_aead_ivsize(tfm) != v->nonce_len)
		err = -EINVAL;
	if (!err)
		req = aead_request_alloc(tfm, GFP_KERNEL);
	if (!req) {
		crypto_free_aead(tfm);
		return err ?: -ENOMEM;
	}
	memcpy(iv, v->nonce, v->nonce_len);
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], v->aad, v->aad_len);
	sg_set_buf(&sg[1], buf, len + (encrypt ? v->tag_len : 0));
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG, crypto_req_done, &wait);
	aead_request_set_ad(req, v->aad_len);
	aead_request_set_crypt(req, sg, sg, len, iv);
	err = crypto_wait_req(encrypt ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req),
			      &wait);
	aead_request_free(req);
	crypto_free_aead(tfm);
	return err;
}

/*
 * Encrypt to ciphertext || tag, decrypt back, and a flipped bit of the
 * additional data must then fail authentication.
 */
static void ctls_aead_test_vector(struct kunit *test)
{
	struct ctls_aead_vec v;
	u8 *buf;

	ctls_aead_load(test, test->param_value, &v);
	buf = kunit_kzalloc(test, v.len + v.tag_len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memcpy(buf, v.plain, v.len);

	KUNIT_ASSERT_EQ(test, ctls_aead_crypt(test, &v, buf, v.len, true), 0);
	KUNIT_EXPECT_MEMEQ(test, buf, v.cipher, v.len);
	KUNIT_EXPECT_MEMEQ(test, buf + v.len, v.tag, v.tag_len);

	KUNIT_ASSERT_EQ(test, ctls_aead_crypt(test, &v, buf, v.len + v.tag_len, false), 0);
	KUNIT_EXPECT_MEMEQ(test, buf, v.plain, v.len);

	memcpy(buf, v.cipher, v.len);
	memcpy(buf + v.len, v.tag, v.tag_len);
	v.aad[0] ^= 0x80;
	KUNIT_EXPECT_EQ(test, ctls_aead_crypt(test, &v, buf, v.len + v.tag_len, false),
			-EBADMSG);
}

static struct kunit_case ctls_aead_cases[] = {
	KUNIT_CASE_PARAM(ctls_aead_test_vector, ctls_aead_gen_params),
	{}
};

static struct kunit_suite ctls_aead_suite = {
	.name = "ctls_aead",
	.test_cases = ctls_aead_cases,
};

kunit_test_suites(&ctls_rec_suite, &ctls_kat_suite, &ctls_aead_suite);

MODULE_DESCRIPTION("KUnit tests of the ctls record layer");
MODULE_LICENSE("GPL");
