#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Upstream's newest TLS selftest (fetch7.sh) on ctls: which cases, and what
their results say.

  selftest7.py select LIST7 OWNLIST new|all [SERIES GAPS]
      The cases of the 7.x file (LIST7, its binary's "-l" listing) to run:
      "new": those the kernel's own tls.c (OWNLIST) does not have, over every
      variant but SM4 and ARIA (no Debian kernel has that crypto), less the
      "norun" gaps of SERIES; "all": every case. One
      "fixture[.variant].test" a line.
  selftest7.py shards N
      The cases on stdin dealt round-robin into N lines of "-r CASE ..."
      (harness arguments, one guest each).
  selftest7.py verdict SERIES LIST7 OWNLIST RESULTS GAPS TABLE
      Every "new" case (see select, "norun" gaps included) must PASS in
      RESULTS (run.sh's output) unless a line of GAPS names it. TAP for the rest, a summary, the per-case
      table in TABLE and "passed failed skipped" in TABLE.counts. Exit
      status 1 on a failure.
  selftest7.py failed SERIES CASES RESULTS GAPS
      The cases of CASES that did not pass, outside GAPS (to run again).
  selftest7.py merge RESULTS AGAIN
      RESULTS with the results of AGAIN in their place.
  selftest7.py kinds SERIES LIST7 OWNLIST RESULTS GAPS [CONSOLE...]
      make selftest7's table: pass and fail counts by kind of case (and how
      many failures were the harness's timeout, from the guest consoles),
      then the failing cases with the known gap that explains them, if any.

GAPS: one fnmatch pattern over the case name a line, optionally prefixed
with "SERIES:" (one kernel only) and followed by "norun" (check leaves the
case out: it can only fail, and slowly), then a "#" comment saying why and
which issue fixes it; a line without that comment is an error.
"""
import fnmatch
import re
import sys

SM4_ARIA = re.compile(r"sm4|aria")


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


def select(list7, own, mode, series=None, gaps_p=None):
    cases = listing(list7)
    if mode == "all":
        return cases
    have = set(listing(own))
    gaps = load_gaps(gaps_p, series) if gaps_p else []
    return [c for c in cases if c not in have and not SM4_ARIA.search(variant(c))
            and not gap_of(c, gaps)[1]]


def new_cases(list7, own):
    have = set(listing(own))
    return [c for c in listing(list7)
            if c not in have and not SM4_ARIA.search(variant(c))]


def cmd_shards(n):
    cases = sys.stdin.read().split()
    n = max(1, min(n, len(cases)))
    for i in range(n):
        print(" ".join(f"-r {c}" for c in cases[i::n]))


def cmd_failed(series, cases_p, res_p, gaps_p):
    res = load_results(res_p)
    gaps = load_gaps(gaps_p, series)
    for case in open(cases_p).read().split():
        if res.get(case) != "PASS" and not gap_of(case, gaps)[0]:
            print(case)


def cmd_merge(res_p, again_p):
    res = load_results(res_p)
    res.update(load_results(again_p))
    with open(res_p, "w") as f:
        f.writelines(f"{k} {v}\n" for k, v in sorted(res.items()))


def cmd_verdict(series, list7, own, res_p, gaps_p, table_p):
    cases = new_cases(list7, own)
    res = load_results(res_p)
    gaps = load_gaps(gaps_p, series)
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    n = 0
    hits = {}
    with open(table_p, "w") as table:
        table.write("# case result verdict\n")
        for case in cases:
            why, norun = gap_of(case, gaps)
            r = res.get(case, "NOTRUN" if norun else "MISSING")
            if r == "PASS":
                verdict = "passed"
                if why:
                    print(f"# selftest7 {series} {case} passes: its known gap ({why}) can go")
            elif why:
                verdict = "skipped"
                hits.setdefault(why, []).append(r)
            else:
                verdict = "failed"
                n += 1
                print(f"not ok {n} - selftest7 {series} {case}: {r}")
            counts[verdict] += 1
            table.write(f"{case} {r} {verdict}\n")
    for why, rs in hits.items():
        got = ", ".join(f"{rs.count(r)} {r}" for r in sorted(set(rs)))
        print(f"# selftest7 {series}: known gap, {len(rs)} cases ({got}): {why}")
    print(f"# selftest7 {series}: {len(cases)} cases of the 7.x file that this "
          f"kernel's own does not have: {counts['passed']} passed, "
          f"{counts['failed']} failed, {counts['skipped']} known gaps")
    with open(table_p + ".counts", "w") as f:
        f.write(f"{counts['passed']} {counts['failed']} {counts['skipped']}\n")
    return 1 if counts["failed"] else 0


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
    if cmd == "select":
        print("\n".join(select(*args)))
        return 0
    if cmd == "shards":
        cmd_shards(int(args[0]))
        return 0
    if cmd == "failed":
        cmd_failed(*args)
        return 0
    if cmd == "merge":
        cmd_merge(*args)
        return 0
    if cmd == "verdict":
        return cmd_verdict(*args)
    if cmd == "kinds":
        return cmd_kinds(*args)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
