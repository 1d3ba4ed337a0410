#!/usr/bin/python3
"""make check-layers: the file structure docs/architecture.md describes.

From the symbols of the built objects (nm): no two module files call each
other, directly or through others (the call graph between files has no
cycle), and the pure core calls no knotd function (knotd_*), so it can be
unit-tested and fuzzed without knotd.
"""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")


def makefile_list(var):
    text = open(os.path.join(ROOT, "Makefile")).read()
    m = re.search(rf"^{var}\s*:=((?:.*\\\n)*.*)$", text, re.M)
    return re.findall(r"module/(\w+)\.c", m.group(1))


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBR":
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
    return defined, used


def cycles(graph):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
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
    for v in graph:
        if v not in index:
            visit(v)
    return out


def main():
    core, glue = makefile_list("CORE_SRC"), makefile_list("GLUE_SRC")
    syms = {}
    for name in core + glue:
        obj = os.path.join(BUILD, name + ".o")
        if not os.path.exists(obj):
            sys.exit(f"{obj} missing: run make first")
        syms[name] = symbols(obj)
    owner = {s: f for f, (defined, _) in syms.items() for s in defined}
    graph = {f: {owner[s] for s in used if s in owner and owner[s] != f}
             for f, (_, used) in syms.items()}
    errors = [f"call cycle between {', '.join(c)}" for c in cycles(graph)]
    for f in core:
        knotd = sorted(s for s in syms[f][1] if s.startswith("knotd_"))
        if knotd:
            errors.append(f"pure core {f}.c calls knotd: {', '.join(knotd)}")
        glue_calls = sorted(g for g in graph[f] if g in glue)
        if glue_calls:
            errors.append(f"pure core {f}.c calls glue: {', '.join(glue_calls)}")
    for e in errors:
        print("layers:", e)
    edges = sum(len(v) for v in graph.values())
    print(f"layers: {len(core)} core and {len(glue)} glue files, {edges} file-to-file calls, "
          f"{len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
