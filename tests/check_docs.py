#!/usr/bin/python3
"""make check-docs: the reference page documents every option and counter.

Options come from include/soa/conf.h (MOD_* names), counters and gauges from
module/metrics.c and module/lint.c, so adding one without documenting it
fails the check. A counter whose index names are only known at run time
(count 0 and no names in the table: replica-serial) must appear as
``name[...]``.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def options():
    return re.findall(r'#define MOD_\w+\s+"\\x[0-9A-Fa-f]{2}""([a-z-]+)"', read("include/soa/conf.h"))


def counters():
    metrics = read("module/metrics.c")
    names = dict(re.findall(r'NAMES_FN\((\w+),\s*((?:"[^"]*",?\s*)+)\)', metrics))
    lint = re.findall(r'\[SOA_LINT_\w+\]\s*=\s*"([a-z-]+)"', read("module/lint.c"))
    out = []
    rows = r'\[SOA_CTR_\w+\]\s*=\s*\{\s*"([a-z-]+)",\s*([^,]+),\s*(\w+)\s*[,}]'
    for group, count, fn in re.findall(rows, metrics):
        if fn == "NULL" and count.strip() == "0":
            # Indexes named at run time (replica-serial[<address>@<port>]).
            out.append(f"{group}[")
        elif fn == "NULL":
            out.append(group)
        elif fn == "lint_str":
            out += [f"{group}[{n}]" for n in lint]
        else:
            out += [f"{group}[{n}]" for n in re.findall(r'"([^"]+)"', names[fn])]
    return out


def main():
    doc = read("docs/mod-soa.rst")
    errors = []

    opts = options()
    if not opts:
        errors.append("no options found in include/soa/conf.h")
    for opt in opts:
        anchor = f".. _mod-soa_{opt}:"
        if anchor not in doc:
            errors.append(f"option {opt}: no '{anchor}' anchor")
            continue
        section = doc.split(anchor, 1)[1].split("\n.. _", 1)[0]
        if "*Default:*" not in section and "*Required*" not in section:
            errors.append(f"option {opt}: no *Default:* line")
        if f"\n{opt}\n" not in section:
            errors.append(f"option {opt}: no title")

    ctrs = counters()
    if len(ctrs) < 30:
        errors.append(f"only {len(ctrs)} counters parsed from module/metrics.c")
    for name in ctrs:
        if name.endswith("["):
            if f"``{name}" not in doc:
                errors.append(f"counter {name}...]: not documented as ``{name}...]``")
        elif f"``{name}``" not in doc:
            errors.append(f"counter {name}: not documented as ``{name}``")

    # Series pitfalls operators must find on the page (issue: every Knot series).
    for needle in ("Knot DNS versions", "3.5.2", "conf-commit", "3.2.10", "KNOT_PREFIX",
                   "make deb"):
        if needle not in doc:
            errors.append(f"'{needle}' is not on the page (Knot DNS versions section)")

    readme = read("README.md")
    for cmd in ("make demo", "make check"):
        if cmd not in readme:
            errors.append(f"README.md does not give '{cmd}'")

    for e in errors:
        print("docs:", e)
    print(f"docs: {len(opts)} options, {len(ctrs)} counters checked, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
