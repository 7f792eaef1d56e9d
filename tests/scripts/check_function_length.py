#!/usr/bin/python3
"""check_function_length.py — no function in src/ops/ over 120 lines.

    check_function_length.py [SOURCE_DIR]

ARCHITECTURE.md's conventions: a long handler is split into steps named
for what they do (validate, plan, fetch, build), so that each can be read
on one screen.  A function is counted from its first line (a line that
starts in column 0 with a name and an opening parenthesis and does not end
in ';') to the closing brace in column 0, both included — the layout every
file of src/ops/ uses.
Prints every function over the limit and exits 1 if there is one; 0 and a
summary if not.
"""
import os
import re
import sys

LIMIT = 120
top = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
START = re.compile(r"^[A-Za-z_].*\(")


def functions(path):
    """(first line, lines, signature) of every function of a C file."""
    start = None
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if START.match(line) and not line.rstrip().endswith(";"):
                start, sig = no, line
            elif line.startswith("}") and start is not None:
                yield start, no - start + 1, sig
                start = None


def main():
    ops = os.path.join(top, "src", "ops")
    bad, count = [], 0
    for root, _, files in sorted(os.walk(ops)):
        for name in sorted(files):
            if not name.endswith(".c"):
                continue
            path = os.path.join(root, name)
            for first, n, sig in functions(path):
                count += 1
                if n > LIMIT:
                    bad.append(f"{os.path.relpath(path, top)}:{first}: {n} lines: {sig}")
    for b in bad:
        print(b)
    if bad:
        print(f"{len(bad)} of {count} functions in src/ops are over {LIMIT} lines: split them "
              "into validate / plan / fetch / build steps (ARCHITECTURE.md, Conventions)")
        return 1
    if count == 0:
        print("no function found under src/ops: wrong SOURCE_DIR?")
        return 1
    print(f"{count} functions in src/ops, none over {LIMIT} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
