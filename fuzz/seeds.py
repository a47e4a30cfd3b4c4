#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# seeds.py OUTDIR: the seed corpus of fuzz/record_fuzz.c, written to OUTDIR
# (kept out of git). An input is one byte choosing the version and cipher,
# the receive state (12 bytes of salt || IV, 8 of sequence number), then
# records. Per version and cipher: valid records of several sizes up to the
# largest, the three bad headers, a truncated record, and a stream whose
# sequence number wraps on its second record.
import os
import sys

MAX_PLAIN = 1 << 14
# (explicit nonce, tag, TLS 1.3): the order of protos[] in record_fuzz.c.
PROTOS = [(8, 16, False)] * 3 + [(0, 16, False)] + [(0, 16, True)] * 4

IV = bytes(range(1, 13))
SEQ0 = bytes(8)
SEQ_LAST = b"\xff" * 7 + b"\xfe"


def header(length, version=0x0303, ctype=23):
    return bytes([ctype, version >> 8, version & 0xff,
                  length >> 8, length & 0xff])


def record(proto, size, padding=0, inner_type=23):
    """A record of @size content bytes: the encrypted part stands in."""
    explicit, tag, tls13 = proto
    body = bytes(range(explicit)) + bytes((i % 251) + 1 for i in range(size))
    if tls13:
        body += bytes([inner_type]) + bytes(padding)
    body += b"\xaa" * tag
    return header(len(body)) + body


def raw(proto, payload_len, **kw):
    """A header alone, and as much payload as it claims (at most 64)."""
    return header(payload_len, **kw) + bytes(min(payload_len, 64))


def cases(proto):
    explicit, tag, tls13 = proto
    overhead = explicit + tag
    largest = MAX_PLAIN + overhead + tls13
    for size in (0, 1, 16, 1000, MAX_PLAIN):
        yield "plain%d" % size, SEQ0, record(proto, size)
    yield "toolong", SEQ0, raw(proto, largest + 1)
    yield "tooshort", SEQ0, raw(proto, overhead - 1)
    yield "version", SEQ0, raw(proto, overhead + 4, version=0x0301)
    yield "truncated", SEQ0, record(proto, 100)[:40]
    yield "wrap", SEQ_LAST, b"".join(record(proto, n) for n in (3, 2, 1))
    if tls13:
        yield "padded", SEQ0, record(proto, 4, padding=11)
        yield "nocontent", SEQ0, header(tag) + b"\xaa" * tag
        yield "allzero", SEQ0, header(tag + 8) + bytes(8) + b"\xaa" * tag
    else:
        yield "handshake", SEQ0, raw(proto, overhead + 4, ctype=22)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: seeds.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    n = 0
    for i, proto in enumerate(PROTOS):
        for name, seq, recs in cases(proto):
            with open(os.path.join(out, "seed-%d-%s" % (i, name)), "wb") as f:
                f.write(bytes([i]) + IV + seq + recs)
            n += 1
    print("seeds.py: %d seeds in %s" % (n, out))


if __name__ == "__main__":
    main()
