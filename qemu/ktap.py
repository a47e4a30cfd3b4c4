#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# ktap.py CONSOLE_LOG
#
# Turn the KTAP that KUnit prints on the console into flat TAP: one line per
# test case and per parameter of a parameterised case, named
# suite.case[.param], then the plan and "N passed, N failed, N skipped".
# Exits 1 when a result is "not ok", when a suite did not report all the
# results its plan announced (the guest died in it), or when there is no
# KTAP at all.
import re
import sys

STAMP = re.compile(r"^\[\s*\d+\.\d+\] ")
RESULT = re.compile(r"^( *)(ok|not ok) (\d+)(?: (.*?))?(?: # (SKIP|TODO)\b(.*))?$")
SUBTEST = re.compile(r"^( *)# Subtest: (.*)$")
PLAN = re.compile(r"^( *)1\.\.(\d+)$")


def main(path):
    with open(path, errors="replace") as f:
        lines = [STAMP.sub("", l.rstrip("\n")) for l in f]
    started = False
    names = {}        # depth -> name of the test whose subtests are at depth
    plans = {}        # depth -> announced number of results
    seen = {}         # depth -> results seen since that plan
    out = []          # (ok, skip, name, diagnostics)
    diags = []
    broken = []
    for line in lines:
        if not started:
            started = line.strip() == "KTAP version 1"
            continue
        m = SUBTEST.match(line)
        if m:
            names[len(m.group(1)) // 4] = m.group(2)
            continue
        m = PLAN.match(line)
        if m:
            depth = len(m.group(1)) // 4
            plans[depth] = int(m.group(2))
            seen[depth] = 0
            continue
        m = RESULT.match(line)
        if m:
            depth = len(m.group(1)) // 4
            seen[depth] = seen.get(depth, 0) + 1
            child = depth + 1
            if child in plans and seen.get(child, 0) < plans[child]:
                broken.append("%s: %d of %d results" %
                              (m.group(4), seen.get(child, 0), plans[child]))
            plans.pop(child, None)
            if depth > 0:
                name = ".".join([names.get(d, "?") for d in range(1, depth + 1)] +
                                [m.group(4) or "?"])
                skip = m.group(5) == "SKIP"
                out.append((m.group(2) == "ok", skip, name, diags))
            diags = []
            continue
        if line.startswith((" ", "#")) and "KTAP version" not in line:
            diags.append(line.strip().lstrip("# "))
    if 0 in plans and seen.get(0, 0) < plans[0]:
        broken.append("%d of %d suites reported" % (seen.get(0, 0), plans[0]))

    passed = failed = skipped = 0
    for n, (ok, skip, name, why) in enumerate(out, 1):
        if skip:
            skipped += 1
            print("ok %d %s # SKIP" % (n, name))
        elif ok:
            passed += 1
            print("ok %d %s" % (n, name))
        else:
            failed += 1
            print("not ok %d %s" % (n, name))
            for d in why[-20:]:
                print("# " + d)
    for b in broken:
        n = len(out) + 1 + broken.index(b)
        print("not ok %d incomplete KTAP: %s" % (n, b))
    if not out and not broken:
        print("not ok 1 no KTAP in %s" % path)
        broken.append("none")
    print("1..%d" % (len(out) + len(broken)))
    print("%d passed, %d failed, %d skipped" %
          (passed, failed + len(broken), skipped))
    return 0 if failed == 0 and not broken else 1


sys.exit(main(sys.argv[1]))
