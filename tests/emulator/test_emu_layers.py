#!/usr/bin/env python3
"""test_emu_layers.py DIR — marketo-emulator's includes follow its layers.

The layer table is the comment block at the top of DIR/emu.h (top,
families, state, base; every file of the emulator named under one of them,
h_*.c standing for the endpoint families).  The check fails when:
  - a .c or .h file of DIR is not named in the table (the table must stay
    the whole truth),
  - a file includes (with quotes) a header of a higher layer,
  - the includes between modules (a module is x.c with x.h) form a cycle,
    within a layer too.
Quoted includes of files that are not in DIR (base/datapath.h, shared
with the library) are listed, not judged.
Standard library only; prints each violation.
"""
import fnmatch
import os
import re
import sys

LAYERS = ["base", "state", "families", "top"]  # bottom first


def layer_table(emu_h):
    """{file name or pattern: layer rank} from emu.h's first comment."""
    text = open(emu_h, encoding="utf-8").read()
    block = text[text.index("/*"):text.index("*/")]
    table, current = {}, None
    for line in block.splitlines():
        body = line.lstrip(" /*").rstrip()
        words = body.split()
        if words and words[0] in LAYERS and line.startswith(" *   "):
            current = LAYERS.index(words[0])
        if current is None:
            continue
        if not body:  # the table ends at the first blank comment line
            break
        for name in re.findall(r"\b[a-z_*]+\.[ch]\b", body):
            table.setdefault(name, current)
    return table


def rank_of(name, table):
    if name in table:
        return table[name]
    for pattern, rank in table.items():
        if "*" in pattern and fnmatch.fnmatch(name, pattern):
            return rank
    return None


def module(name):
    return os.path.splitext(name)[0]


def file_rank(name, table):
    """A file's layer; a header takes the layer of its .c (stats.h with
    stats.c) unless the table names it."""
    rank = rank_of(name, table)
    return rank if rank is not None else rank_of(module(name) + ".c", table)


def find_cycle(graph):
    """One cycle of the directed graph as a list of nodes, or None."""
    state = {}

    def visit(node, path):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, path)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    root = sys.argv[1]
    table = layer_table(os.path.join(root, "emu.h"))
    files = sorted(f for f in os.listdir(root) if f.endswith((".c", ".h")))
    errors = []
    graph = {}
    outside = set()
    for f in files:
        rank = file_rank(f, table)
        if rank is None:
            errors.append(f"{f}: not named in emu.h's layer table")
            continue
        text = open(os.path.join(root, f), encoding="utf-8").read()
        for inc in re.findall(r'^\s*#\s*include\s+"([^"]+)"', text, re.M):
            if not os.path.isfile(os.path.join(root, inc)):
                outside.add(inc)  # not the emulator's (base/datapath.h)
                continue
            inc_rank = file_rank(inc, table)
            if inc_rank is None:
                errors.append(f"{f}: includes {inc}, which the layer table does not name")
                continue
            if inc_rank > rank:
                errors.append(f"{f} ({LAYERS[rank]}) includes {inc} ({LAYERS[inc_rank]}): "
                              "an upward include")
            if module(inc) != module(f):
                graph.setdefault(module(f), set()).add(module(inc))
    cycle = find_cycle(graph)
    if cycle:
        errors.append("include cycle between modules: " + " -> ".join(cycle))
    for e in errors:
        print(e)
    print(f"{len(files)} files, {sum(len(v) for v in graph.values())} module includes, "
          f"{len(errors)} violations; from outside the emulator: "
          + (", ".join(sorted(outside)) or "nothing"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
