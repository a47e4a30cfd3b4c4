#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Upstream's newest TLS selftest (fetch7.sh) on ctls: which cases, and what
their results say.

  selftest7.py variants SERIES LIST7 GAPS
      check's shards of the whole file: "-f global -f tls_basic" with a
      "-v VARIANT" for each variant of fewer than SMALL cases (zero_len's),
      then one "-v VARIANT" line per other variant but SM4 and ARIA; each
      line starts with a "-T" for every "norun" gap of SERIES (one guest a
      line: a guest's boot costs more than a few cases).
  selftest7.py against SERIES LIST7 RESULTS BASELINE GAPS TABLE
      check's verdict on the whole file: every case but SM4/ARIA that stock
      tls.ko passes on 7.x (BASELINE) must PASS in RESULTS unless a line of
      GAPS names it; a case stock 7.x fails too is skipped. TAP for the
      rest, a summary row (kernel, cases, stock 7.x pass, ctls pass, ctls
      fails where stock 7.x passes), the per-case table in TABLE and
      "passed failed skipped" in TABLE.counts. Exit status 1 on a failure.
  selftest7.py merge RESULTS AGAIN
      RESULTS with the results of AGAIN in their place.
  selftest7.py kinds SERIES LIST7 OWNLIST RESULTS GAPS [CONSOLE...]
      make selftest7's table: pass and fail counts by kind of case (and how
      many failures were the harness's timeout, from the guest consoles),
      then the failing cases with the known gap that explains them, if any.

GAPS (userspace-tests/selftest/known-gaps-7): one fnmatch pattern over
the case name a line, optionally prefixed
with "SERIES:" (one kernel only) and followed by "norun" (check leaves the
case out: it can only fail, and slowly), then a "#" comment saying why and
which issue fixes it; a line without that comment is an error.
"""
import fnmatch
import re
import sys

SM4_ARIA = re.compile(r"sm4|aria")
# A variant with fewer cases than this shares the first guest.
SMALL = 8


def listing(path):
    """The case names of a kselftest harness "-l" listing (stderr, fixed
    columns: fixture 20, variant 25, test the rest)."""
    fixtures = []
    for line in open(path):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#") or line.startswith("---"):
            continue
        if len(line) > 47 and (line[20] != " " or line[46] != " "):
            sys.exit(f"selftest7.py: cannot parse listing line {line!r}")
        fix, var, test = line[:20].strip(), line[21:46].strip(), line[47:].strip()
        if fix:
            fixtures.append((fix, [], []))
        if not fixtures:
            sys.exit(f"selftest7.py: listing line before a fixture: {line!r}")
        if var:
            fixtures[-1][1].append(var)
        if test:
            fixtures[-1][2].append(test)
    cases = []
    for fix, variants, tests in fixtures:
        for var in variants or [""]:
            for test in tests:
                cases.append(f"{fix}.{var}.{test}" if var else f"{fix}.{test}")
    return cases


def variant(case):
    parts = case.split(".")
    return parts[1] if len(parts) == 3 else ""


def load_results(path):
    res = {}
    for line in open(path):
        parts = line.split()
        if len(parts) == 2:
            res[parts[0]] = parts[1]
    return res


def load_gaps(path, series):
    gaps = []
    for n, line in enumerate(open(path), 1):
        text, _, why = line.partition("#")
        text, why = text.strip(), why.strip()
        if not text:
            continue
        if not why:
            sys.exit(f"{path}:{n}: a known gap must say why and which issue fixes it")
        if re.match(r"^[0-9.]+:", text):
            s, text = text.split(":", 1)
            if s != series:
                continue
        words = text.split()
        if len(words) > 2 or (len(words) == 2 and words[1] != "norun"):
            sys.exit(f"{path}:{n}: expected PATTERN [norun] # why")
        gaps.append((words[0], f"{why} [{path.rsplit('/', 1)[-1]}:{n}]",
                     len(words) == 2))
    return gaps


def gap_of(case, gaps):
    for pat, why, norun in gaps:
        if fnmatch.fnmatchcase(case, pat):
            return why, norun
    return None, False


def cmd_variants(series, list7, gaps_p):
    gaps = load_gaps(gaps_p, series)
    # The harness takes the first filter that matches: exclusions first.
    skip = "".join(f"-T {pat.rsplit('.', 1)[-1]} " for pat, _, norun in gaps
                   if norun)
    cases = {}
    for c in listing(list7):
        v = variant(c)
        if v and not SM4_ARIA.search(v):
            cases[v] = cases.get(v, 0) + 1
    small = sorted(v for v, n in cases.items() if n < SMALL)
    print(f"{skip}-f global -f tls_basic" + "".join(f" -v {v}" for v in small))
    for v in sorted(set(cases) - set(small)):
        print(f"{skip}-v {v}")


def cmd_against(series, list7, res_p, base_p, gaps_p, table_p):
    cases = [c for c in listing(list7) if not SM4_ARIA.search(variant(c))]
    res, base = load_results(res_p), load_results(base_p)
    gaps = load_gaps(gaps_p, series)
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    stock_pass = ctls_pass = n = 0
    with open(table_p, "w") as table:
        table.write("# case stock-7.x ctls verdict\n")
        for case in cases:
            why, norun = gap_of(case, gaps)
            b = base.get(case, "MISSING")
            r = res.get(case, "NOTRUN" if norun else "MISSING")
            stock_pass += b == "PASS"
            ctls_pass += r == "PASS"
            if r == "PASS":
                verdict = "passed"
            elif b != "PASS":
                verdict = "skipped"
            elif why:
                verdict = "skipped"
                print(f"# selftest7 {series} {case}: {r}, known gap ({why})")
            else:
                verdict = "failed"
                n += 1
                print(f"not ok {n} - selftest7 {series} {case}: {r} (stock 7.x passes it)")
            counts[verdict] += 1
            table.write(f"{case} {b} {r} {verdict}\n")
    print(f"# selftest7 {series}: | {series} | {len(cases)} | {stock_pass} | "
          f"{ctls_pass} | {counts['failed']} | (kernel, cases of the 7.x file but "
          f"SM4/ARIA, stock 7.x pass, ctls pass, ctls fails where stock 7.x passes)")
    with open(table_p + ".counts", "w") as f:
        f.write(f"{counts['passed']} {counts['failed']} {counts['skipped']}\n")
    return 1 if counts["failed"] else 0


def cmd_merge(res_p, again_p):
    res = load_results(res_p)
    res.update(load_results(again_p))
    with open(res_p, "w") as f:
        f.writelines(f"{k} {v}\n" for k, v in sorted(res.items()))


def timeouts(consoles):
    """The cases that the harness ended by its timeout, from guest consoles."""
    out, case = set(), None
    for path in consoles:
        for line in open(path, errors="replace"):
            m = re.match(r"^#\s+RUN\s+(\S+) \.\.\.", line)
            if m:
                case = m.group(1)
            elif case and "Test terminated by timeout" in line:
                out.add(case)
    return out


def cmd_kinds(series, list7, own, res_p, gaps_p, *consoles):
    cases = listing(list7)
    have = set(listing(own))
    res = load_results(res_p)
    gaps = load_gaps(gaps_p, series)
    slow = timeouts(consoles)
    kinds = ["also in this kernel's tls.c", "new in the 7.x file",
             "SM4 / ARIA variants", "all"]
    # cases, pass, fail (known gap), fail (other), of which timeouts, skip
    rows = {k: [0, 0, 0, 0, 0, 0] for k in kinds}
    failing = []
    for case in cases:
        if SM4_ARIA.search(variant(case)):
            kind = kinds[2]
        else:
            kind = kinds[0] if case in have else kinds[1]
        r = res.get(case, "MISSING")
        # The gaps explain check's cases; SM4 and ARIA fail for want of crypto.
        why = gap_of(case, gaps)[0] if kind != kinds[2] else None
        cols = [0, {"PASS": 1, "SKIP": 5}.get(r, 2 if why else 3)]
        if cols[1] == 3 and case in slow:
            cols.append(4)
        for k in (kind, "all"):
            for c in cols:
                rows[k][c] += 1
        if r not in ("PASS", "SKIP") and kind != kinds[2]:
            how = " (harness timeout)" if case in slow else ""
            where = why.rsplit("[", 1)[-1].rstrip("]") if why else ""
            failing.append(f"{case} {r}{how}" + (f" (known gap, {where})" if why else ""))
    print(f"## {series}\n")
    print("| kind | cases | pass | fail, known gap | fail, other | of which timeouts | harness skip |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for k in kinds:
        print(f"| {k} | " + " | ".join(str(x) for x in rows[k]) + " |")
    print(f"\nfailing, SM4 / ARIA aside ({len(failing)}):")
    for f in failing:
        print(f"  {f}")
    print()
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "merge":
        cmd_merge(*args)
        return 0
    if cmd == "variants":
        cmd_variants(*args)
        return 0
    if cmd == "against":
        return cmd_against(*args)
    if cmd == "kinds":
        return cmd_kinds(*args)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
