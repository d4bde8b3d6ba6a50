#!/usr/bin/env python3
"""No import cycles between the crate's files (run by `make lint`).

A file depends on another when its non-test code names a path into it:
`use crate::hub::store::FileStore`, `super::download::FileRef`, or such a
path written inline. A path is resolved to the longest module prefix that
is a file (`a/b.rs` or `a/b/mod.rs`), so naming an item re-exported by a
parent module depends on the parent. Test modules (`#[cfg(test)] mod
tests`) are left out: tests may reach anywhere. Prints every cycle, as the
set of files in it, and exits 1 if there is one.
"""

import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "src"

PATH = re.compile(r"\b(crate|super|self)((?:::\w+)+)(?:::\{([^}]*)\})?")
# `use child::Item` in a module that declares `mod child;` (a path that starts
# at one of its own submodules, without `self::`).
CHILD_USE = re.compile(r"\buse\s+(\w+)((?:::\w+)*)(?:::\{([^}]*)\})?")
MOD_DECL = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", re.M)
COMMENT = re.compile(r"//[^\n]*")
TESTS = re.compile(r"\n#\[cfg\(test\)\]\s*\n\s*mod tests\s*\{")


def module_of(path):
    parts = os.path.relpath(path, ROOT)[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    return tuple(parts)


def main():
    sources = {}
    for folder, _, names in os.walk(ROOT):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    sources[path] = f.read()
    by_module = {module_of(p): p for p in sources}

    def resolve(current, segments):
        head, rest = segments[0], segments[1:]
        if head == "crate":
            base = []
        elif head == "self":
            base = list(current)
        else:  # super, possibly repeated
            base = list(current)[:-1]
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
        full = base + rest
        for n in range(len(full), 0, -1):
            if tuple(full[:n]) in by_module:
                return by_module[tuple(full[:n])]
        return None

    edges = {}
    for path, text in sources.items():
        code = COMMENT.sub("", TESTS.split(text)[0])
        current = module_of(path)
        # A non-mod file `a/b.rs` is module a::b; `super` is then a.
        targets = set()
        children = set(MOD_DECL.findall(code))
        matches = [(m.group(1), m.group(2), m.group(3)) for m in PATH.finditer(code)]
        matches += [
            ("self", "::" + m.group(1) + m.group(2), m.group(3))
            for m in CHILD_USE.finditer(code)
            if m.group(1) in children
        ]
        for head, tail, group in matches:
            segments = [head] + tail.split("::")[1:]
            found = resolve(current, segments)
            if found:
                targets.add(found)
            for item in (group or "").split(","):
                item = item.strip().split(" ")[0]
                if item and item[0].islower() and item != "self":
                    found = resolve(current, segments + item.split("::"))
                    if found:
                        targets.add(found)
        targets.discard(path)
        edges[path] = targets

    # Tarjan's strongly connected components.
    sys.setrecursionlimit(10000)
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    for cycle in cycles:
        print("import cycle among: " + ", ".join(cycle))
        for v in cycle:
            for w in sorted(edges[v] & set(cycle)):
                print(f"  {v} uses {w}")
    if cycles:
        print(f"{len(cycles)} import cycle(s) between files; break each by moving the shared item into a module both can import.")
        return 1
    print(f"no import cycles among {len(sources)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
