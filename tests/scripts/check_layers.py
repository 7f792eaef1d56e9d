#!/usr/bin/python3
"""check_layers.py — the include graph of src/ against ARCHITECTURE.md.

    check_layers.py [SOURCE_DIR]

ARCHITECTURE.md names the layers of src/, lowest first, on one line:

    Layers, lowest first: base, rest, …, server

A file in src/<layer>/ may include headers of its own layer and of the
layers below it, never of a layer above.  Beside that, no file may reach
itself through its includes (an include circle between modules, foo.c and
foo.h counting as one).  And src/ops/ names its REST endpoints
(ARCHITECTURE.md, "Where a REST call is made"): outside comments it holds
no REST path ("/rest/..., "/bulk/...) and sets no request's .method, so
method, path template and retry rule come from src/rest/endpoints.c only.
emulator/ has its own table and check
(emulator/emu.h, tests/emulator/test_emu_layers.py).
Prints every offence and exits 1 if there is one; 0 and a summary if not.
"""
import os
import re
import sys

top = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layers():
    with open(os.path.join(top, "ARCHITECTURE.md"), encoding="utf-8") as f:
        m = re.search(r"^Layers, lowest first: (.+)$", f.read(), re.M)
    if not m:
        sys.exit("ARCHITECTURE.md has no line 'Layers, lowest first: …'")
    return [x.strip(" .`") for x in m.group(1).split(",")]


def sources(root):
    out = {}
    for d, _, files in os.walk(os.path.join(top, root)):
        for name in files:
            if name.endswith((".c", ".h")):
                path = os.path.join(d, name)
                rel = os.path.relpath(path, os.path.join(top, root))
                with open(path, encoding="utf-8", errors="replace") as f:
                    out[rel] = INCLUDE.findall(f.read())
    return out


def resolve(files, rel, inc):
    """The file an include names, relative to root (None: not ours)."""
    for cand in (os.path.normpath(os.path.join(os.path.dirname(rel), inc)), inc):
        if cand in files:
            return cand
    return None


def circles(files):
    """Include circles between modules (foo.c and foo.h are one module: a
    file that includes bar.h depends on the module bar), one per module set."""
    deps = {}
    for f, incs in files.items():
        mod = os.path.splitext(f)[0]
        for inc in incs:
            g = resolve(files, f, inc)
            if g and os.path.splitext(g)[0] != mod:
                deps.setdefault(mod, set()).add(os.path.splitext(g)[0])
    # Tarjan's strongly connected components: every component of more than
    # one module is a circle.
    index, low, on, stack, out, n = {}, {}, set(), [], [], [0]

    def strong(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(deps.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(deps):
        if v not in index:
            strong(v)
    return out


COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)
HAND_WRITTEN = re.compile(r'"/(?:rest|bulk)/|\.method\s*=')


def hand_written_endpoints():
    """Lines of src/ops/ that write a REST path or method themselves."""
    out = []
    for d, _, files in os.walk(os.path.join(top, "src", "ops")):
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(d, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                # Comments become blanks of the same lines, so numbers hold.
                text = COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), f.read())
            for no, line in enumerate(text.split("\n"), 1):
                if HAND_WRITTEN.search(line):
                    out.append("%s:%d: a REST path or method written by hand; name the "
                               "endpoint (.ep = MK_EP_...): %s" %
                               (os.path.relpath(path, top), no, line.strip()))
    return out


def main():
    order = layers()
    rank = {name: i for i, name in enumerate(order)}
    bad = []
    src = sources("src")
    for rel, incs in sorted(src.items()):
        mine = rel.split(os.sep)[0]
        if mine not in rank:
            bad.append("src/%s: folder '%s' is not in ARCHITECTURE.md's layers" % (rel, mine))
            continue
        for inc in incs:
            target = resolve(src, rel, inc)
            if not target:
                continue
            theirs = target.split(os.sep)[0]
            if theirs in rank and rank[theirs] > rank[mine]:
                bad.append("src/%s includes %s: layer '%s' is above '%s'" %
                           (rel, inc, theirs, mine))
    for c in circles(src):
        bad.append("src: include circle between %s" % ", ".join(c))
    bad.extend(hand_written_endpoints())
    for b in bad:
        print(b)
    if bad:
        print("check_layers: %d offence(s)" % len(bad))
        sys.exit(1)
    print("check_layers: %d files in src/, layers %s; no upward include, no circle, "
          "no REST endpoint written by hand in src/ops" %
          (len(src), " < ".join(order)))


if __name__ == "__main__":
    main()
