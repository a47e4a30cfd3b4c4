#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# kat-vectors.py: compute the expected records of the non-RFC known-answer
# tests in ctls_kunit.c, independently of ctls and of the kernel. The
# nonce and additional data are built here from the RFCs' text (RFC 5246
# 6.2.3.3, RFC 5288 3, RFC 6655 3, RFC 7905 2, RFC 8446 5.2-5.3, RFC 8998,
# RFC 6209), and sealed with OpenSSL: python3-cryptography for AES-GCM,
# AES-CCM, ChaCha20-Poly1305 and SM4-GCM, libcrypto through ctypes for
# ARIA-GCM, and a CCM written out below (RFC 3610) over SM4's block function
# for SM4-CCM, checked first against AES-CCM. The RFC 8448 records are also
# re-derived, as a check of this script. Prints C rows for ctls_kunit.c.
import ctypes
import ctypes.util
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import (AESCCM, AESGCM,
                                                        ChaCha20Poly1305)


def h(s):
    return bytes.fromhex(s.replace(" ", ""))


def be(v, n):
    return v.to_bytes(n, "big")


# -- AEADs --------------------------------------------------------------
def gcm(blockcipher):
    def seal(key, nonce, aad, plain):
        e = Cipher(blockcipher(key), modes.GCM(nonce)).encryptor()
        e.authenticate_additional_data(aad)
        ct = e.update(plain) + e.finalize()
        return ct + e.tag
    return seal


def aes_gcm(key, nonce, aad, plain):
    return AESGCM(key).encrypt(nonce, plain, aad)


def aes_ccm(key, nonce, aad, plain):
    return AESCCM(key, tag_length=16).encrypt(nonce, plain, aad)


def chacha(key, nonce, aad, plain):
    return ChaCha20Poly1305(key).encrypt(nonce, plain, aad)


def ccm_generic(block, nonce, aad, plain, tag_len=16):
    """RFC 3610 with a 12-byte nonce (L = 3) over any 128-bit block cipher."""
    L = 15 - len(nonce)
    flags = (0x40 if aad else 0) | (((tag_len - 2) // 2) << 3) | (L - 1)
    b0 = bytes([flags]) + nonce + be(len(plain), L)
    mac = block(b0)
    a = be(len(aad), 2) + aad if aad else b""
    a += bytes(-len(a) % 16)
    p = plain + bytes(-len(plain) % 16)
    for i in range(0, len(a), 16):
        mac = block(bytes(x ^ y for x, y in zip(mac, a[i:i + 16])))
    for i in range(0, len(p), 16):
        mac = block(bytes(x ^ y for x, y in zip(mac, p[i:i + 16])))

    def ctr(i):
        return block(bytes([L - 1]) + nonce + be(i, L))
    out = b""
    for i in range(0, len(plain), 16):
        out += bytes(x ^ y for x, y in zip(plain[i:i + 16], ctr(i // 16 + 1)))
    tag = bytes(x ^ y for x, y in zip(mac, ctr(0)))[:tag_len]
    return out + tag


def ecb(blockcipher, key):
    def block(b):
        e = Cipher(blockcipher(key), modes.ECB()).encryptor()
        return e.update(b) + e.finalize()
    return block


def sm4_ccm(key, nonce, aad, plain):
    return ccm_generic(ecb(algorithms.SM4, key), nonce, aad, plain)


def aria_gcm(key, nonce, aad, plain):
    lc = ctypes.CDLL(ctypes.util.find_library("crypto"))
    lc.EVP_get_cipherbyname.restype = ctypes.c_void_p
    lc.EVP_CIPHER_CTX_new.restype = ctypes.c_void_p
    for f in ("EVP_EncryptInit_ex", "EVP_EncryptUpdate", "EVP_EncryptFinal_ex",
              "EVP_CIPHER_CTX_ctrl", "EVP_CIPHER_CTX_free"):
        getattr(lc, f).argtypes = None
    name = b"aria-%d-gcm" % (len(key) * 8)
    cipher = lc.EVP_get_cipherbyname(name)
    assert cipher, name
    ctx = ctypes.c_void_p(lc.EVP_CIPHER_CTX_new())
    n = ctypes.c_int(0)
    out = ctypes.create_string_buffer(len(plain) + 16)
    tag = ctypes.create_string_buffer(16)
    assert lc.EVP_EncryptInit_ex(ctx, ctypes.c_void_p(cipher), None, None, None) == 1
    assert lc.EVP_CIPHER_CTX_ctrl(ctx, 0x9, len(nonce), None) == 1  # SET_IVLEN
    assert lc.EVP_EncryptInit_ex(ctx, None, None, key, nonce) == 1
    assert lc.EVP_EncryptUpdate(ctx, None, ctypes.byref(n), aad, len(aad)) == 1
    assert lc.EVP_EncryptUpdate(ctx, out, ctypes.byref(n), plain, len(plain)) == 1
    done = n.value
    assert lc.EVP_EncryptFinal_ex(ctx, ctypes.byref(out, done), ctypes.byref(n)) == 1
    done += n.value
    assert lc.EVP_CIPHER_CTX_ctrl(ctx, 0x10, 16, tag) == 1  # GET_TAG
    lc.EVP_CIPHER_CTX_free(ctx)
    return out.raw[:done] + tag.raw


# -- the record construction, from the RFCs ------------------------------
def record(v):
    salt, iv, seq = v["salt"], v["iv"], v["seq"]
    plain, rtype, tls13 = v["plain"], v["type"], v["tls13"]
    explicit = b""
    if tls13 or v["cipher"].startswith("chacha"):
        full = salt + iv
        pad = bytes(len(full) - 8) + be(seq, 8)
        nonce = bytes(x ^ y for x, y in zip(full, pad))
    else:
        explicit = iv
        nonce = salt + explicit
    if tls13:
        inner = plain + bytes([rtype])
        length = len(inner) + 16
        aad = bytes([23, 3, 3]) + be(length, 2)
        hdr = aad
        body = v["seal"](v["key"], nonce, aad, inner)
    else:
        aad = be(seq, 8) + bytes([rtype, 3, 3]) + be(len(plain), 2)
        hdr = bytes([rtype, 3, 3]) + be(len(explicit) + len(plain) + 16, 2)
        body = v["seal"](v["key"], nonce, aad, plain)
    return hdr + explicit + body


def kat(name, cipher, seal, tls13, key, salt, iv, seq, rtype, plain):
    return dict(name=name, cipher=cipher, seal=seal, tls13=tls13, key=key,
                salt=salt, iv=iv, seq=seq, type=rtype, plain=plain)


# cipher -> (kernel AEAD, UAPI name, explicit nonce bytes in 1.2, CCM flags)
CIPHERS = {
    "aes-gcm": ("gcm(aes)", "AES_GCM_%d", 8, 0),
    "aes-ccm": ("ccm(aes)", "AES_CCM_%d", 8, 2),
    "chacha": ("rfc7539(chacha20,poly1305)", "CHACHA20_POLY1305", 0, 0),
    "sm4-gcm": ("gcm(sm4)", "SM4_GCM", 8, 0),
    "sm4-ccm": ("ccm(sm4)", "SM4_CCM", 8, 2),
    "aria-gcm": ("gcm(aria)", "ARIA_GCM_%d", 8, 0),
}


def self_check():
    # The CCM above against OpenSSL's AES-CCM.
    key, nonce = bytes(range(16)), bytes(range(40, 52))
    for n in (0, 1, 16, 37):
        for aad in (b"", bytes(13)):
            p = bytes(range(n))
            assert ccm_generic(ecb(algorithms.AES, key), nonce, aad, p) == \
                aes_ccm(key, nonce, aad, p)
    # The record construction against RFC 8448 section 3.
    rfc = [
        ("17422dda596ed5d9acd890e3c63f5051", "5b78923dee08579033e523d9", 0, 23,
         bytes(range(50)),
         "17030300 43a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b"
         "9819a8a5b46b395bd54a9a20441e2b62974e1f5a6292a2977014bd1e3deae63aee"
         "bb21694915e4"),
        ("9f02283b6c9c07efc26bb9f2ac92e356", "cf782b88dd83549aadf1e984", 1, 23,
         bytes(range(50)),
         "1703030043 2e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e3"
         "0efaf97d90e6dffc602dcb501a59a8fcc49c4bf2e5f0a21c0047c2abf332540dd0"
         "32e167c2955d"),
        ("17422dda596ed5d9acd890e3c63f5051", "5b78923dee08579033e523d9", 1, 21,
         h("0100"), "1703030013c987276065566 6b74d7ff1153efd6db6d0b0e3"),
        ("9f02283b6c9c07efc26bb9f2ac92e356", "cf782b88dd83549aadf1e984", 2, 21,
         h("0100"), "1703030013b58fd67166ebf599d24720cfbe7efa7a8864a9"),
    ]
    for key, full, seq, rtype, plain, want in rfc:
        full = h(full)
        v = kat("", "aes-gcm", aes_gcm, True, h(key), full[:4], full[4:], seq,
                rtype, plain)
        assert record(v) == h(want), key


def ascii(s):
    return s.encode()


KATS = [
    kat("tls12_aes128_gcm", "aes-gcm", aes_gcm, False,
        bytes(range(16)), h("cafebabe"), h("facedbaddecaf888"), 0x2a, 23,
        ascii("ctls KUnit: TLS 1.2 AES-128-GCM record\n")),
    kat("tls12_aes256_gcm_alert", "aes-gcm", aes_gcm, False,
        bytes(range(0x20, 0x40)), h("01020304"), h("0000000000000000"), 0, 21,
        h("0100")),
    kat("tls12_aes128_ccm", "aes-ccm", aes_ccm, False,
        bytes(range(0x40, 0x50)), h("d0d1d2d3"), h("0102030405060708"),
        0xffffffff, 23, bytes((3 * i) & 0xff for i in range(64))),
    kat("tls12_chacha20_poly1305", "chacha", chacha, False,
        bytes(range(0x80, 0xa0)), b"", h("070000004041424344454647"),
        0x0102030405060708, 23,
        ascii("ChaCha20-Poly1305 in TLS 1.2 has no explicit nonce (RFC 7905).")),
    kat("tls13_chacha20_poly1305", "chacha", chacha, True,
        bytes(range(0xa0, 0xc0)), b"", h("000102030405060708090a0b"), 3, 22,
        ascii("handshake in 1.3")),
    kat("tls13_aes256_gcm_empty", "aes-gcm", aes_gcm, True,
        bytes(range(0xc0, 0xe0)), h("f0f1f2f3"), h("f4f5f6f7f8f9fafb"),
        0x00000000000000ff, 23, b""),
    kat("tls13_sm4_gcm", "sm4-gcm", gcm(algorithms.SM4), True,
        bytes(range(0x10, 0x20)), h("00112233"), h("4455667788990011"), 1, 23,
        ascii("SM4-GCM, RFC 8998")),
    kat("tls13_sm4_ccm", "sm4-ccm", sm4_ccm, True,
        bytes(range(0x30, 0x40)), h("a5a5a5a5"), h("5a5a5a5a5a5a5a5a"),
        0x0100000000000000, 23, ascii("SM4-CCM, RFC 8998, in 1.3")),
    kat("tls12_aria128_gcm", "aria-gcm", aria_gcm, False,
        bytes(range(0x50, 0x60)), h("0badcafe"), h("1122334455667788"), 9, 23,
        ascii("ARIA-128-GCM, RFC 6209")),
]


def hexlines(b, first=16, per=16):
    """C lines of hex pairs: @first bytes, then 16 a line."""
    out, i, n = [], 0, first
    while i < len(b) or not out:
        out.append(" ".join("%02x" % x for x in b[i:i + n]))
        i, n = i + n, per
    return "{\n" + "".join('\t\t\t"%s",\n' % l for l in out) + "\t\t}"


def entry(v):
    alg, uapi, explicit, ccm = CIPHERS[v["cipher"]]
    if "%d" in uapi:
        uapi = uapi % (len(v["key"]) * 8)
    if v["tls13"]:
        proto = "CTLS_TEST_TLS13(%s, %d)" % (uapi, ccm)
    else:
        proto = "CTLS_TEST_TLS12(%s, %d, %d)" % (uapi, explicit, ccm)
    rows = [
        ("name", '"%s"' % v["name"]),
        ("alg", '"%s"' % alg),
        ("proto", proto),
        ("key", hexlines(v["key"])),
        ("iv", hexlines(v["salt"] + v["iv"])),
        ("seq", "0x%xULL" % v["seq"]),
        ("type", "%d" % v["type"]),
        ("plain", hexlines(v["plain"])),
        ("record", hexlines(record(v), first=5 + (0 if v["tls13"] else explicit))),
    ]
    return "\t{\n" + "".join("\t\t.%s = %s,\n" % r for r in rows) + "\t},"


def main():
    self_check()
    for v in KATS:
        print(entry(v))
    print("self-check passed", file=sys.stderr)


main()
