#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""backward-gotos.py FILE...

Count goto statements that jump to a label defined earlier in the same
function (a backward goto). Prints one line per offender and a total line
"backward_gotos=N"; exits 1 when N > 0. Comments and strings are blanked
first; functions are the top-level brace blocks.
"""
import re
import sys

GOTO = re.compile(r"\bgoto\s+([A-Za-z_]\w*)\s*;")
LABEL = re.compile(r"^\s*([A-Za-z_]\w*)\s*:(?!:)")


def strip(text):
    """Blank comments, strings and char literals, keeping line breaks."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def scan(path):
    lines = strip(open(path).read()).split("\n")
    depth, labels, found = 0, {}, []
    for no, line in enumerate(lines, 1):
        if depth > 0:
            m = LABEL.match(line)
            if m and m.group(1) not in ("default", "case"):
                labels[m.group(1)] = no
            for g in GOTO.finditer(line):
                if g.group(1) in labels:
                    found.append((no, g.group(1), labels[g.group(1)]))
        depth += line.count("{") - line.count("}")
        if depth == 0:
            labels = {}
    return found


def main():
    total = 0
    for path in sys.argv[1:]:
        for no, label, at in scan(path):
            print(f"{path}:{no}: goto {label} jumps back to line {at}")
            total += 1
    print(f"backward_gotos={total}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
