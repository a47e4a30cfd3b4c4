#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""overlap.py OWN_TLS_C TLS7_C OWNLIST LIST7 CASES_OUT

Which cases of a kernel's own selftest (OWN_TLS_C, its binary's "-l"
listing OWNLIST) check is left to run after suite selftest7 has run the 7.x
file (TLS7_C, listing LIST7) on the same kernel: those the 7.x file does
not list (fixture, variant and test), those of a test whose body differs from
the 7.x file's, or that the 7.x file lacks, or whose fixture's setup
differs (the one difference allowed there is tls_crypto_info_init()'s
fourth argument, the key generation, 0 in every test of the 7.x file,
which build.sh gives the older file too). A test written the same in both,
with the same setup, runs the same code on the same kernel: running it
twice would only double its time, so the 7.x file's run stands for it
(and is held to stock 7.x's results, a higher bar than this kernel's
stock). Prints one line of harness arguments per variant ("-r CASE ..."),
one guest each, and writes the cases to CASES_OUT.
"""
import re
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from selftest7 import listing, variant  # noqa: E402

BLOCK = re.compile(r"^(TEST_F|TEST|FIXTURE_SETUP)\((\w+)(?:, (\w+))?\)", re.M)


def blocks(path):
    """{("test", fixture, name) or ("setup", fixture): source text}"""
    src = open(path).read()
    out = {}
    for m in BLOCK.finditer(src):
        end = src.index("\n}\n", m.end())
        text = src[m.start():end].replace("&tls12, 0);", "&tls12);")
        if m.group(1) == "FIXTURE_SETUP":
            out[("setup", m.group(2))] = text
        elif m.group(1) == "TEST":
            out[("test", "global", m.group(2))] = text
        else:
            out[("test", m.group(2), m.group(3))] = text
    return out


def main():
    own_p, new_p, list_p, list7_p, out_p = sys.argv[1:6]
    own, new = blocks(own_p), blocks(new_p)
    in7 = set(listing(list7_p))
    keep = []
    for case in listing(list_p):
        parts = case.split(".")
        fix, test = parts[0], parts[-1]
        same = (case in in7 and own.get(("test", fix, test)) is not None and
                own.get(("test", fix, test)) == new.get(("test", fix, test)) and
                own.get(("setup", fix)) == new.get(("setup", fix)))
        if not same:
            keep.append(case)
    with open(out_p, "w") as f:
        f.writelines(c + "\n" for c in keep)
    shards = {}
    for c in keep:
        shards.setdefault(variant(c), []).append(c)
    for v in sorted(shards):
        print(" ".join(f"-r {c}" for c in shards[v]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
