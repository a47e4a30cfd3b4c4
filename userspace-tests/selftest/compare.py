#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""compare.py SERIES BASELINE CTLS_RESULTS KNOWN_GAPS TABLE_OUT [CASES]
   compare.py --regressions SERIES BASELINE CTLS_RESULTS KNOWN_GAPS [CASES]

Compare upstream's selftest run on ctls against stock tls.ko's results on the
same kernel. A test that stock passes must pass on ctls, unless a line of
KNOWN_GAPS (fnmatch pattern, optionally prefixed by "SERIES:") names it.
Prints TAP for the regressions and a summary; writes the full per-test table
to TABLE_OUT. Exit status 1 when ctls fails a test that stock passes outside
the known gaps. With CASES (overlap.py's list), only those cases count: the
others are written the same in the 7.x file, whose run (suite selftest7)
stands for them.
"""
import fnmatch
import sys


def load(path):
    res = {}
    for line in open(path):
        parts = line.split()
        if len(parts) == 2:
            res[parts[0]] = parts[1]
    return res


def load_gaps(path, series):
    pats = []
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if ":" in line:
            s, pat = line.split(":", 1)
            if s != series:
                continue
            line = pat
        pats.append(line)
    return pats


def only(stock, cases_p):
    """stock's results of the cases listed in cases_p (all without it)."""
    if not cases_p:
        return stock
    want = set(open(cases_p).read().split())
    return {k: v for k, v in stock.items() if k in want}


def main():
    if sys.argv[1] == "--regressions":
        # The cases stock passes and ctls does not, outside the known gaps.
        series, base_p, ctls_p, gaps_p = sys.argv[2:6]
        stock = only(load(base_p), sys.argv[6] if len(sys.argv) > 6 else None)
        ctls = load(ctls_p)
        gaps = load_gaps(gaps_p, series)
        for name in sorted(stock):
            if (stock[name] == "PASS" and ctls.get(name) != "PASS" and
                    not any(fnmatch.fnmatchcase(name, p) for p in gaps)):
                print(name)
        return 0
    series, base_p, ctls_p, gaps_p, table_p = sys.argv[1:6]
    all_stock = load(base_p)
    stock = only(all_stock, sys.argv[6] if len(sys.argv) > 6 else None)
    ctls = load(ctls_p)
    gaps = load_gaps(gaps_p, series)
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    n = 0
    gap_hits = 0
    with open(table_p, "w") as table:
        table.write("# test stock ctls verdict\n")
        for name in sorted(set(stock) | set(ctls)):
            s, c = stock.get(name, "MISSING"), ctls.get(name, "MISSING")
            if c == "PASS":
                verdict = "passed"
            elif s != "PASS":
                verdict = "skipped"  # stock does not pass it either
            elif any(fnmatch.fnmatchcase(name, p) for p in gaps):
                verdict = "skipped"
                gap_hits += 1
            else:
                verdict = "failed"
                n += 1
                print(f"not ok {n} - selftest {series} {name}: stock {s}, ctls {c}")
            counts[verdict] += 1
            table.write(f"{name} {s} {c} {verdict}\n")
    sp = sum(v == "PASS" for v in stock.values())
    cp = sum(v == "PASS" for v in ctls.values())
    print(f"# selftest {series}: {len(stock)} cases; stock passes {sp}, "
          f"ctls passes {cp}; {gap_hits} stock-passing cases are known gaps")
    if len(stock) < len(all_stock):
        print(f"# selftest {series}: {len(all_stock) - len(stock)} more cases are "
              f"written the same in the 7.x file: suite selftest7 runs them")
    print(f"# selftest {series}: {counts['passed']} passed, "
          f"{counts['failed']} failed, {counts['skipped']} skipped")
    with open(table_p + ".counts", "w") as f:
        f.write(f"{counts['passed']} {counts['failed']} {counts['skipped']}\n")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
