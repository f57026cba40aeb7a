#!/usr/bin/env python3
"""Fails when the modules of a crate import each other in a cycle, or against its layers.

    python3 scripts/check_layers.py trace-core trace-exporters trace-macros ...

A module is a file under src/. Module A depends on module B when A names a path into B:
`crate::b::..`, `super::..`, `self::..`, or an item that the crate root re-exports from B
(`crate::SpanContext`). A parent declaring or re-exporting its children is not a
dependency; test modules (`#[cfg(test)] mod tests`) are left out.

Layers: when a module file (the crate root, or a `mod.rs`) groups its `mod` lines under
numbered comments (`// 0. vocabulary`, `// 1. ...`), each child module belongs to its
group's layer (a module with no layer of its own takes its nearest ancestor's) and may only
depend on modules of the same or a lower layer. Within a layer, as everywhere, no cycle.

Prints each violation and exits 1 if there is any.
"""
import os
import re
import sys

PATH = re.compile(r"\b(crate|super|self)((?:\s*::\s*[A-Za-z_][A-Za-z0-9_]*)+)(\s*::\s*\{[^;]*?\})?")
LAYER = re.compile(r"^\s*//\s*(\d+)\.")
MOD = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([a-z_][a-z0-9_]*)\s*;")
REEXPORT = re.compile(r"pub\s+use\s+(crate::|self::)?([a-z_][a-z0-9_]*)(?:::[a-z_][a-z0-9_]*)*::(\{[^;]*\}|[A-Za-z_][A-Za-z0-9_]*)\s*;", re.S)


def clean(text):
    """Source without comments, string contents and test modules."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return re.split(r"#\[cfg\(test\)\]\s*mod\s+tests\b", text)[0]


def crate_modules(crate):
    src = os.path.join(crate, "src")
    found = {}
    for root, _, files in os.walk(src):
        for name in files:
            if name.endswith(".rs"):
                parts = os.path.relpath(os.path.join(root, name), src)[:-3].split(os.sep)
                if parts[-1] in ("lib", "main", "mod"):
                    parts = parts[:-1]
                found[tuple(parts)] = os.path.join(root, name)
    return found


def root_file(mods):
    return mods.get(())


def layers_of(mods):
    """Module -> layer, from numbered comments above `mod` lines (may be empty)."""
    declared = {}
    for module, path in mods.items():
        layer = None
        for line in open(path, encoding="utf-8").read().splitlines():
            m = LAYER.match(line)
            if m:
                layer = int(m.group(1))
                continue
            m = MOD.match(line)
            if m and layer is not None:
                declared[module + (m.group(1),)] = layer
    out = {}
    for module in mods:
        for n in range(len(module), 0, -1):
            if module[:n] in declared:
                out[module] = declared[module[:n]]
                break
    return out


def reexports(mods):
    """(module, item name) -> the module it comes from, for `pub use` lines of a module file
    that re-export from the crate (`crate::m::..`) or from a child (`child::..`)."""
    out = {}
    for module, path in mods.items():
        for prefix, first, items in REEXPORT.findall(clean(open(path, encoding="utf-8").read())):
            source = (first,) if prefix == "crate::" else module + (first,)
            if source not in mods:
                continue
            for item in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", items):
                if item not in ("self", "as"):
                    out.setdefault((module, item), source)
    return out


def target(mods, names, base, segments):
    """The module a path from `base` names: its longest module prefix, or the module an item
    re-exported there comes from."""
    path = list(base)
    rest = list(segments)
    while rest and tuple(path + [rest[0]]) in mods:
        path.append(rest.pop(0))
    if rest and (tuple(path), rest[0]) in names:
        return names[(tuple(path), rest[0])]
    return tuple(path)


def dependencies(mods, names):
    deps = {m: set() for m in mods}
    for module, path in mods.items():
        text = clean(open(path, encoding="utf-8").read())
        for kw, rest, group in PATH.findall(text):
            segs = [s.strip() for s in rest.split("::") if s.strip()]
            if kw == "crate":
                base = []
            elif kw == "self":
                base = list(module)
            else:
                base = list(module[:-1])
                while segs and segs[0] == "super":
                    base, segs = base[:-1], segs[1:]
            heads = [segs]
            if group:
                inner = group.split("{", 1)[1].rsplit("}", 1)[0]
                heads = [segs + [p for p in part.split(" as ")[0].strip().split("::") if p and p not in ("*", "self")]
                         for part in inner.split(",") if part.strip()]
            for segments in heads:
                dep = target(mods, names, base, segments)
                is_child = dep[: len(module)] == module
                if dep != module and dep in mods and dep != () and not is_child:
                    deps[module].add(dep)
    return deps


def cycles(deps):
    """Strongly connected components of more than one module (iterative Tarjan)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in deps:
        if start in index:
            continue
        work = [(start, iter(sorted(deps[start])))]
        index[start] = low[start] = counter[0]; counter[0] += 1
        stack.append(start); on.add(start)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]; counter[0] += 1
                    stack.append(nxt); on.add(nxt)
                    work.append((nxt, iter(sorted(deps[nxt]))))
                elif nxt in on:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop(); on.discard(m); comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def name(module):
    return "/".join(module) or "(root)"


def check(crate):
    mods = crate_modules(crate)
    deps = dependencies(mods, reexports(mods))
    layer = layers_of(mods)
    problems = []
    for comp in cycles(deps):
        inside = [f"{name(a)} -> {name(b)}" for a in comp for b in sorted(deps[a]) if b in comp]
        problems.append(f"cycle between {', '.join(map(name, comp))}: " + "; ".join(inside))
    for a, targets in sorted(deps.items()):
        for b in sorted(targets):
            la, lb = layer.get(a), layer.get(b)
            if la is not None and lb is not None and lb > la:
                problems.append(f"{name(a)} (layer {la}) depends on {name(b)} (layer {lb}), a higher layer")
    edges = sum(len(t) for t in deps.values())
    for p in problems:
        print(f"{crate}: {p}")
    print(f"{crate}: {len(mods)} modules, {edges} dependencies, "
          f"{'layers checked' if layer else 'no layers declared'}, {len(problems)} problems")
    return not problems


def self_test():
    """The checker on made-up crates: a clean one passes, a cycle and an upward import fail."""
    import tempfile

    def crate(files):
        root = tempfile.mkdtemp()
        for path, text in files.items():
            full = os.path.join(root, "src", path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(text)
        return root

    layered = "// 0. base\nmod a;\n// 1. top\nmod b;\npub use crate::a::Thing;\n"
    clean = crate({"lib.rs": layered, "a.rs": "pub struct Thing;\n",
                   "b.rs": "use crate::Thing;\n#[cfg(test)]\nmod tests { use crate::b; }\n"})
    cycle = crate({"lib.rs": "mod a;\nmod b;\n", "a.rs": "use crate::b::B;\npub struct A;\n",
                   "b.rs": "use super::a::A;\npub struct B;\n"})
    upward = crate({"lib.rs": layered, "a.rs": "pub struct Thing;\nfn f() { crate::b::g() }\n",
                    "b.rs": "pub fn g() {}\n"})
    results = [check(clean), check(cycle), check(upward)]
    assert results == [True, False, False], results
    print("self-test: ok")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        sys.exit(0)
    crates = sys.argv[1:]
    if not crates:
        sys.exit(__doc__)
    ok = all([check(c) for c in crates])
    sys.exit(0 if ok else 1)
