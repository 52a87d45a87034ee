#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check the layering of the C code; exit 1 on any breach.

usage: python3 -m ringcp_tools.layers [--top DIR] BUILD_DIR
  BUILD_DIR  a built variant (build/gcc): its prod/, cmd/ and harness/
             objects are read
  --top DIR  the source tree whose includes are read (default: this one)

1. Includes: each folder may include only what its layer may see
   (INCLUDES below); nothing outside engine/ sees an engine header.
2. Calls, read from the objects' symbol tables (nm): an engine layer
   uses no symbol defined by a layer above it (tree -> copy -> core),
   and the command and the harness use only symbols that the public
   headers (include/ringcp/) declare.
3. Circles: inside each engine layer, no two files call each other,
   directly or round a loop (strongly connected components of the
   file -> file call graph, from the same symbol tables).
Prints one line per breach, then a summary line.
"""
import glob
import os
import re
import subprocess
import sys

from .common import TOP

# folder -> the quoted includes it may use (besides "ringcp/*.h", which
# every folder but include/ itself may use)
INCLUDES = {
    "include/ringcp": "public",
    "engine": {"mutant.h"},
    "engine/core": {"core.h", "buf_pool.h", "mutant.h"},
    "engine/copy": {"pump_int.h", "mutant.h"},
    "engine/tree": {"tree_int.h", "mutant.h"},
    "cmd": {"cmd.h"},
    "harness": "harness",
    "scenarios": "harness",
    "tests": "harness+tests",
    "tools": set(),
    "ringcheck": "harness+ringcheck",
}
ENGINE_LAYERS = ["core", "copy", "tree"]     # bottom first
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def local_headers(folder):
    return {os.path.basename(p) for p in glob.glob(os.path.join(TOP, folder, "*.h"))}


def allowed_includes(folder):
    rule = INCLUDES[folder]
    if rule == "public":
        return local_headers("include/ringcp")
    if rule == "harness":
        return local_headers("harness")
    if rule == "harness+tests":
        return local_headers("harness") | local_headers("tests")
    if rule == "harness+ringcheck":
        return local_headers("harness") | local_headers("ringcheck")
    return rule


def check_includes():
    """Breaches of the include rules, one string each."""
    bad = []
    for folder in INCLUDES:
        ok = allowed_includes(folder)
        for path in sorted(glob.glob(os.path.join(TOP, folder, "*.[ch]"))):
            rel = os.path.relpath(path, TOP)
            for inc in INCLUDE_RE.findall(open(path).read()):
                public = inc.startswith("ringcp/") and folder != "include/ringcp"
                if not public and inc not in ok:
                    bad.append('include: %s includes "%s"' % (rel, inc))
    return bad


def symbols(obj):
    """(defined, undefined) global symbol names of an object file."""
    out = subprocess.run(["nm", obj], check=True, capture_output=True,
                         text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBR":
            defined.add(parts[2])
    return defined, undefined


def public_names():
    """Every identifier the public headers mention."""
    names = set()
    for h in glob.glob(os.path.join(TOP, "include/ringcp/*.h")):
        names |= set(re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*\b", open(h).read()))
    return names


def sccs(nodes, edges):
    """Strongly connected components (Tarjan) of a small graph."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
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
            out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def check_calls(build):
    """Breaches of the call rules and circles, one string each."""
    bad = []
    layer_of, defs, undefs = {}, {}, {}
    for layer in ENGINE_LAYERS:
        for obj in sorted(glob.glob(os.path.join(build, "prod", layer, "*.o"))):
            name = "engine/%s/%s.c" % (layer, os.path.basename(obj)[:-2])
            layer_of[name] = layer
            defs[name], undefs[name] = symbols(obj)
    if not layer_of:
        return ["calls: no engine objects under %s/prod (build first)" % build]
    definer = {s: f for f, ds in defs.items() for s in ds}
    rank = {l: i for i, l in enumerate(ENGINE_LAYERS)}
    edges = {}
    for f, us in undefs.items():
        for s in sorted(us):
            g = definer.get(s)
            if not g or g == f:
                continue
            if rank[layer_of[g]] > rank[layer_of[f]]:
                bad.append("calls: %s (%s) uses %s of %s (%s), a layer above"
                           % (f, layer_of[f], s, g, layer_of[g]))
            if layer_of[g] == layer_of[f]:
                edges.setdefault(f, set()).add(g)
    for comp in sccs(layer_of, edges):
        if len(comp) > 1:
            bad.append("circle: " + " <-> ".join(comp))
    public = public_names()
    outside = glob.glob(os.path.join(build, "cmd", "*.o")) + \
        glob.glob(os.path.join(build, "harness", "*.o"))
    for obj in sorted(outside):
        rel = os.path.relpath(obj, build)
        for s in sorted(symbols(obj)[1]):
            if s in definer and s not in public:
                bad.append("calls: %s uses %s, which include/ringcp/ does "
                           "not declare" % (rel, s))
    return bad


def main():
    global TOP
    args = sys.argv[1:]
    if len(args) == 3 and args[0] == "--top":
        TOP = os.path.abspath(args[1])
        args = args[2:]
    if len(args) != 1:
        sys.exit(__doc__)
    bad = check_includes() + check_calls(args[0])
    for line in bad:
        print("layers: " + line)
    print("layers: %s, %d breach(es)" % ("PASS" if not bad else "FAIL", len(bad)))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
