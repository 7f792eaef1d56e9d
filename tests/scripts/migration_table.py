#!/usr/bin/env python3
"""Render MIGRATION.md's operation table from mapping/operations.json.

The operation table drives dispatch, this summary and the shim's own
explanations, so they cannot disagree: `--check` fails (exit 1) when the
block between the markers in MIGRATION.md differs from what the table says,
and `--write` rewrites the block.

    migration_table.py --check MIGRATION.md mapping/operations.json
    migration_table.py --write MIGRATION.md mapping/operations.json
"""
import json
import sys

BEGIN = "<!-- BEGIN operation-table: generated from mapping/operations.json by tests/scripts/migration_table.py; do not edit -->"
END = "<!-- END operation-table -->"


def calls(c):
    lo, typ, hi = c["min"], c["typical"], c["max"]
    if hi is None:
        return f"{typ} ({lo}+)" if lo != typ else f"{typ}+"
    if lo == hi:
        return str(typ)
    return f"{typ} ({lo}-{hi})"


def render(ops):
    rows = [
        "| # | SOAP operation | served | REST call(s) | REST calls per SOAP call |",
        "| --- | --- | --- | --- | --- |",
    ]
    for i, o in enumerate(ops, 1):
        rest = "<br>".join(f"`{r['method']} {r['path']}`" for r in o["rest"]) or "none (answered by the shim)"
        served = "yes" if o["status"] == "implemented" else "no: fault 20019"
        rows.append(f"| {i} | [{o['name']}](#{o['name'].lower()}) | {served} | {rest} | {calls(o['calls'])} |")
    return "\n".join([BEGIN, *rows, END])


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("--check", "--write"):
        sys.exit(__doc__)
    mode, doc_path, table_path = sys.argv[1:]
    with open(table_path, encoding="utf-8") as f:
        ops = json.load(f)["operations"]
    with open(doc_path, encoding="utf-8") as f:
        doc = f.read()
    start, end = doc.find(BEGIN), doc.find(END)
    if start < 0 or end < start:
        sys.exit(f"{doc_path}: operation-table markers not found")
    want = render(ops)
    have = doc[start:end + len(END)]
    if mode == "--write":
        with open(doc_path, "w", encoding="utf-8") as f:
            f.write(doc[:start] + want + doc[end + len(END):])
        return 0
    if have != want:
        print(f"{doc_path}: the operation table differs from {table_path}; "
              f"run tests/scripts/migration_table.py --write {doc_path} {table_path}")
        for a, b in zip(have.splitlines(), want.splitlines()):
            if a != b:
                print("  doc:   " + a)
                print("  table: " + b)
                break
        return 1
    # Every operation also needs its own section.
    # Every operation also needs exactly one section of its own, and a
    # served operation must not keep the "not served" text.
    for o in ops:
        head = f"\n### {o['name']}\n"
        n = doc.count(head)
        if n != 1:
            print(f"{doc_path}: {n} sections for {o['name']} (want exactly one)")
            return 1
        body = doc.split(head, 1)[1].split("\n### ", 1)[0]
        if o["status"] == "implemented" and "Not served by this version" in body:
            print(f"{doc_path}: {o['name']} is served but its section says it is not")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
