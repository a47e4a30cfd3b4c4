// SPDX-License-Identifier: GPL-2.0
/*
 * OpenSSL's libcrypto as an independent decryptor of what ctls sends: the
 * receiving end is plain TCP, and this program frames the records, builds
 * nonce and additional data from RFC 5246/5288/7905/8446 itself (it shares
 * no code with ctls), decrypts with EVP and compares every byte and record
 * type. Usage: ossl [ULP [rekey]]: with "rekey", TLS 1.3 KeyUpdates both ways
 * too (OpenSSL following ctls's new TX keys; ctls reading records OpenSSL
 * sealed under successive keys). Prints TAP.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls.h"
#include "net.h"
#include "tap.h"


struct cipher {
	const char *name;
	int type;
	const EVP_CIPHER *(*evp)(void);
	int key_len, salt_len, iv_len;	/* as in the UAPI struct */
	int ccm;
};

static const struct cipher ciphers[] = {
	{ "AES-GCM-128", TLS_CIPHER_AES_GCM_128, EVP_aes_128_gcm, 16, 4, 8, 0 },
	{ "AES-GCM-256", TLS_CIPHER_AES_GCM_256, EVP_aes_256_gcm, 32, 4, 8, 0 },
	{ "AES-CCM-128", TLS_CIPHER_AES_CCM_128, EVP_aes_128_ccm, 16, 4, 8, 1 },
	{ "CHACHA20-POLY1305", TLS_CIPHER_CHACHA20_POLY1305,
	  EVP_chacha20_poly1305, 32, 0, 12, 0 },
};

static const char *ulp = "tls";

struct keys {
	unsigned char key[32], salt[4], iv[12], seq[8];
};

/* The UAPI struct is info, iv, key, salt, rec_seq, for every cipher. */
static int set_key(int fd, int opt, const struct cipher *c, int version,
		   const struct keys *k)
{
	unsigned char buf[64] = {};
	struct tls_crypto_info *ci = (void *)buf;
	size_t off = sizeof(*ci);

	ci->version = version;
	ci->cipher_type = c->type;
	memcpy(buf + off, k->iv, c->iv_len);
	off += c->iv_len;
	memcpy(buf + off, k->key, c->key_len);
	off += c->key_len;
	memcpy(buf + off, k->salt, c->salt_len);
	off += c->salt_len;
	memcpy(buf + off, k->seq, 8);
	off += 8;
	return setsockopt(fd, SOL_TLS, opt, buf, off);
}

static int set_tx(int fd, const struct cipher *c, int version,
		  const struct keys *k)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp)))
		return -1;
	return set_key(fd, TLS_TX, c, version, k);
}

static int read_full(int fd, unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Read one record and decrypt it. Returns the plaintext length and sets
 * *type, or -1. @seq is the record's sequence number.
 */
static int open_record(int fd, const struct cipher *c, int tls13,
		       const struct keys *k, uint64_t seq,
		       unsigned char *out, int *type)
{
	static unsigned char rec[16384 + 256];
	unsigned char nonce[12], aad[13];
	int explicit = (!tls13 && c->salt_len) ? 8 : 0;
	int len, ct_len, aad_len, n, i;
	EVP_CIPHER_CTX *ctx;
	unsigned char *ct;
	int ok = 0;

	if (read_full(fd, rec, 5))
		return -1;
	len = rec[3] << 8 | rec[4];
	if (rec[1] != 3 || rec[2] != 3 || len > (int)sizeof(rec) - 5 ||
	    read_full(fd, rec + 5, len))
		return -1;
	ct = rec + 5 + explicit;
	ct_len = len - explicit - 16;

	memcpy(nonce, k->salt, c->salt_len);
	if (explicit) {
		memcpy(nonce + 4, rec + 5, 8);
	} else {
		memcpy(nonce + c->salt_len, k->iv, 12 - c->salt_len);
		for (i = 0; i < 8; i++)
			nonce[4 + i] ^= seq >> (56 - 8 * i);
	}
	if (tls13) {
		memcpy(aad, rec, 5);
		aad_len = 5;
	} else {
		for (i = 0; i < 8; i++)
			aad[i] = seq >> (56 - 8 * i);
		aad[8] = rec[0];
		aad[9] = 3;
		aad[10] = 3;
		aad[11] = ct_len >> 8;
		aad[12] = ct_len;
		aad_len = 13;
	}

	ctx = EVP_CIPHER_CTX_new();
	if (EVP_DecryptInit_ex(ctx, c->evp(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1)
		goto out;
	/* CCM wants the tag (and the lengths) before any data. */
	if (c->ccm && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16,
					  ct + ct_len) != 1)
		goto out;
	if (EVP_DecryptInit_ex(ctx, NULL, NULL, k->key, nonce) != 1)
		goto out;
	if (c->ccm && EVP_DecryptUpdate(ctx, NULL, &n, NULL, ct_len) != 1)
		goto out;
	if (EVP_DecryptUpdate(ctx, NULL, &n, aad, aad_len) != 1)
		goto out;
	if (c->ccm) {
		ok = EVP_DecryptUpdate(ctx, out, &n, ct, ct_len) == 1;
	} else {
		ok = EVP_DecryptUpdate(ctx, out, &n, ct, ct_len) == 1 &&
		     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16,
					 ct + ct_len) == 1 &&
		     EVP_DecryptFinal_ex(ctx, out + n, &i) == 1;
	}
out:
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return -1;
	*type = rec[0];
	if (tls13) {
		while (ct_len > 0 && !out[ct_len - 1])
			ct_len--;
		if (!ct_len)
			return -1;
		*type = out[--ct_len];
	}
	return ct_len;
}

static unsigned char pattern(size_t i)
{
	return (i * 13 + (i >> 9)) & 0xff;
}

/* Send @len bytes in chunks of @chunk with MSG_MORE, then an alert. */
static void run(const struct cipher *c, int version, size_t len, size_t chunk)
{
	int tls13 = version == TLS_1_3_VERSION;
	static unsigned char out[16384 + 256];
	char cbuf[CMSG_SPACE(1)] = {};
	struct iovec iov = { .iov_base = "bye!", .iov_len = 4 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	unsigned char *src = malloc(len + 1);
	size_t off, got = 0;
	uint64_t seq = 0x1122334455667700ULL;
	int tx, rx, n, type, records = 0, bad = 0, i;
	struct keys k;

	for (i = 0; i < 32; i++)
		k.key[i] = 0x40 + i;
	memcpy(k.salt, "\xca\xfe\xba\xbe", 4);
	memcpy(k.iv, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 12);
	for (i = 0; i < 8; i++)
		k.seq[i] = seq >> (56 - 8 * i);
	for (off = 0; off < len; off++)
		src[off] = pattern(off);

	tcp_pair(AF_INET, &tx, &rx);
	if (set_tx(tx, c, version, &k)) {
		tap_check(0, "%s TLS %s: TLS_TX refused (%s)", c->name,
			  tls13 ? "1.3" : "1.2", strerror(errno));
		goto out;
	}
	for (off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;

		send(tx, src + off, n, MSG_MORE);
	}
	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(cm) = 21;
	sendmsg(tx, &msg, 0);
	close(tx);

	while (got < len) {
		n = open_record(rx, c, tls13, &k, seq++, out, &type);
		if (n < 0 || type != 23 || n > 16384)
			break;
		for (i = 0; i < n; i++)
			bad += out[i] != pattern(got + i);
		got += n;
		records++;
	}
	n = open_record(rx, c, tls13, &k, seq, out, &type);
	tap_check(got == len && !bad && n == 4 && type == 21 &&
		  !memcmp(out, "bye!", 4) && records == (int)((len + 16383) / 16384),
		  "%s TLS %s: %zu bytes in %d records decrypted by OpenSSL, then the alert record",
		  c->name, tls13 ? "1.3" : "1.2", got, records);
out:
	close(rx);
	free(src);
}

/* ---- TLS 1.3 KeyUpdate, both ways ------------------------------------ */

/* Keys of generation @gen; the sequence number starts at 0 (RFC 8446 5.3). */
static void gen_keys(struct keys *k, int gen)
{
	int i;

	for (i = 0; i < 32; i++)
		k->key[i] = 0x61 + 7 * gen + i;
	for (i = 0; i < 12; i++)
		k->iv[i] = 0x90 + 3 * gen + i;
	for (i = 0; i < 4; i++)
		k->salt[i] = 0x20 + gen + i;
	memset(k->seq, 0, 8);
}

/*
 * ctls sends GENS generations of data, each closed by a KeyUpdate and a
 * new TLS_TX; OpenSSL follows the KeyUpdates from the raw stream.
 */
#define GENS 4
#define PER_GEN 40000

static void rekey_tx(const struct cipher *c)
{
	static unsigned char out[16384 + 256];
	unsigned char *src = malloc(PER_GEN);
	size_t got = 0, want = (size_t)GENS * PER_GEN;
	int tx, rx, g, n, type, bad = 0, updates = 0;
	uint64_t seq = 0;
	struct keys k;

	for (n = 0; n < PER_GEN; n++)
		src[n] = pattern(n);
	tcp_pair(AF_INET, &tx, &rx);
	gen_keys(&k, 0);
	if (setsockopt(tx, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp)) ||
	    set_key(tx, TLS_TX, c, TLS_1_3_VERSION, &k))
		goto out;
	for (g = 0; g < GENS; g++) {
		gen_keys(&k, g + 1);
		if (send(tx, src, PER_GEN, 0) != PER_GEN ||
		    send_type(tx, REC_HANDSHAKE, key_update, 5) != 5 ||
		    set_key(tx, TLS_TX, c, TLS_1_3_VERSION, &k))
			goto out;
	}
	close(tx);
	tx = -1;
	gen_keys(&k, 0);
	while ((n = open_record(rx, c, 1, &k, seq++, out, &type)) >= 0) {
		if (type == REC_HANDSHAKE && n == 5 && !memcmp(out, key_update, 5)) {
			gen_keys(&k, ++updates);
			seq = 0;
			continue;
		}
		for (g = 0; g < n; g++)
			bad += out[g] != pattern((got + g) % PER_GEN);
		got += n;
	}
out:
	tap_check(got == want && !bad && updates == GENS,
		  "%s TLS 1.3 rekey, ctls TX: OpenSSL decrypted %zu bytes across %d KeyUpdates",
		  c->name, got, updates);
	if (tx >= 0)
		close(tx);
	close(rx);
	free(src);
}

/* Seal one TLS 1.3 record with OpenSSL and write it to @fd. */
static int seal_record(int fd, const struct cipher *c, const struct keys *k,
		       uint64_t seq, int type, const unsigned char *p,
		       int len)
{
	static unsigned char rec[5 + 16384 + 1 + 16];
	unsigned char nonce[12];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, ok, i, ct = len + 1;

	memcpy(nonce, k->salt, c->salt_len);
	memcpy(nonce + c->salt_len, k->iv, 12 - c->salt_len);
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= seq >> (56 - 8 * i);
	rec[0] = 23;
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = (ct + 16) >> 8;
	rec[4] = ct + 16;
	memcpy(rec + 5, p, len);
	rec[5 + len] = type;
	ok = EVP_EncryptInit_ex(ctx, c->evp(), NULL, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1 &&
	     EVP_EncryptInit_ex(ctx, NULL, NULL, k->key, nonce) == 1 &&
	     EVP_EncryptUpdate(ctx, NULL, &n, rec, 5) == 1 &&
	     EVP_EncryptUpdate(ctx, rec + 5, &n, rec + 5, ct) == 1 &&
	     EVP_EncryptFinal_ex(ctx, rec + 5 + n, &n) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16,
				 rec + 5 + ct) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return -1;
	return send(fd, rec, 5 + ct + 16, 0) == 5 + ct + 16 ? 0 : -1;
}

/*
 * OpenSSL seals GENS generations of 1000-byte records, each closed by a
 * KeyUpdate under the old key; ctls reads them, setting TLS_RX at every
 * KeyUpdate it is handed.
 */
static void rekey_rx(const struct cipher *c)
{
	unsigned char src[1000], buf[4096];
	size_t got = 0, want = (size_t)GENS * 10 * sizeof(src);
	int tx, rx, g, r, bad = 0, updates = 0;
	unsigned char type;
	struct keys k;
	ssize_t n;

	for (r = 0; r < (int)sizeof(src); r++)
		src[r] = pattern(r);
	tcp_pair(AF_INET, &tx, &rx);
	gen_keys(&k, 0);
	if (setsockopt(rx, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp)) ||
	    set_key(rx, TLS_RX, c, TLS_1_3_VERSION, &k))
		goto out;
	for (g = 0; g < GENS; g++) {
		gen_keys(&k, g);
		for (r = 0; r < 10; r++)
			seal_record(tx, c, &k, r, 23, src, sizeof(src));
		seal_record(tx, c, &k, r, REC_HANDSHAKE, key_update, 5);
	}
	close(tx);
	while ((n = recv_type(rx, buf, sizeof(buf), 0, &type)) > 0) {
		if (type == REC_HANDSHAKE) {
			gen_keys(&k, ++updates);
			if (set_key(rx, TLS_RX, c, TLS_1_3_VERSION, &k))
				break;
			continue;
		}
		for (r = 0; r < n; r++)
			bad += buf[r] != pattern((got + r) % sizeof(src));
		got += n;
	}
out:
	tap_check(got == want && !bad && updates == GENS,
		  "%s TLS 1.3 rekey, ctls RX: %zu bytes sealed by OpenSSL read across %d KeyUpdates",
		  c->name, got, updates);
	close(rx);
}

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc > 1)
		ulp = argv[1];
	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		run(&ciphers[i], TLS_1_2_VERSION, 100000, 7777);
		run(&ciphers[i], TLS_1_3_VERSION, 100000, 7777);
		run(&ciphers[i], TLS_1_3_VERSION, 16384, 16384);
	}
	/* Stock 6.1 and 6.12 have no rekey: ctls only ("rekey" argument). */
	for (i = 0; argc > 2 && i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		if (ciphers[i].ccm)
			continue;
		rekey_tx(&ciphers[i]);
		rekey_rx(&ciphers[i]);
	}
	return tap_done();
}
