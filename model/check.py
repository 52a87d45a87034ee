#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make model-check: verify the protocol model exhaustively in every
configuration, extract its observable transition relation for the
conformance checker, and show that every model mutant yields a
counterexample (written readable to model/trails/NAME.txt).

usage: check.py [--json OUT] [--jobs N] [--force]
                [--configs C,...] [--mutants M,...] [--safety-only]
                [--build DIR] [--trails DIR]

The options narrow the run (tests/model_smoke.sh: one configuration's
safety search and one mutant, in a build directory of its own, trails
elsewhere); such a run never writes the stamp.

Per configuration (model/config.pml): a safety search checking P1, P2,
P3, P5, P6 and invalid end states, which also writes the model's
observable transition relation (-DEXTRACT: no partial order reduction, so
that every reachable step is taken; merged into build/model/edges.txt for
conform.py); and a liveness search for P4 (pan -a -f, weak fairness,
without the drain's and the proof's timeouts).  Exhaustive only: no -DBITSTATE, -DHC, -DCOLLAPSE;
a search that does not complete is a failure.  Writes OUT
(default results/model.json).  Skips everything when the model's files
and this driver did not change since the last complete run (--force runs
anyway).  Exit 0 when every property holds and every mutant is caught.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "scripts"))
from ringcp_tools import env  # noqa: E402
from ringcp_tools.common import dump, first_line, load_or_none  # noqa: E402

MODEL = os.path.join(HERE, "ringcp.pml")
BUILD = os.path.join(TOP, "build", "model")
TRAILS = os.path.join(HERE, "trails")
CONFIGS = ["CORE", "LATE", "LIFE", "STALE", "CANCEL_FD", "CHAIN", "RING", "FD",
           "SPLICE"]
SAFETY_PROPS = ["P1", "P2", "P3", "P5", "P6", "P7"]
PROPERTIES = [
    ("P1", "mem", "assertion",
     "No memory an SQE points at (data buffer, path copies, timespec, the "
     "record) is released, handed out again or touched by the program "
     "while the kernel may still use it; a provided buffer is the "
     "kernel's while it is in the ring."),
    ("P2", "fd", "assertion",
     "No fd named by a queued SQE or a request in the kernel is closed, "
     "and every request finds its fd open."),
    ("P3", "life", "assertion",
     "A CQE is acted on only by the op life it belongs to."),
    ("P4", "leak", "ltl",
     "Once the program tears the ring down, every op record is eventually "
     "released and reusable (no leak, no limbo forever), under weak "
     "fairness."),
    ("P5", "teardown", "assertion",
     "Teardown frees nothing before the kernel is proven done with the "
     "ring (its context freed: the barrier's EOF)."),
    ("P6", "halt", "assertion",
     "A cancelled op that completed anyway has its effects handled before "
     "its record is released: bytes counted, an opened fd closed, a "
     "selected ring buffer given back."),
    ("P7", "pipe", "assertion",
     "A splice pair's pipe given up with requests of its pair in flight is "
     "never lent again, and a pipe goes back to the pool only after both "
     "CQEs of its pair."),
]
# exhaustive searches only: the pan builds
PAN_SAFETY = ["-DNOCLAIM", "-DSAFETY"]
PAN_LIVE = ["-DNOREDUCE", "-DNFAIR=5"]
PAN_EXTRACT = ["-DNOCLAIM", "-DSAFETY", "-DNOREDUCE"]
PAN_RUN = ["-m400000"]
# the verifiers' compiler: clang -O0 builds a pan in a third of gcc's time
# (and the searches run no slower); gcc where clang is missing
CC = shutil.which("clang") and "clang" or "gcc"


def sources_hash():
    h = hashlib.sha256()
    for name in sorted(os.listdir(HERE)):
        if name.endswith((".pml", ".py", ".txt")):
            with open(os.path.join(HERE, name), "rb") as f:
                h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()


def config_bounds():
    """{config: {"description": ..., "bounds": {NAME: value}}} from
    config.pml."""
    text = open(os.path.join(HERE, "config.pml")).read()
    out = {}
    for m in re.finditer(r"#(?:el)?if defined\(CFG_(\w+)\)\n(/\*.*?\*/)\n(.*?)"
                         r"(?=\n#elif|\n#else)", text, re.S):
        desc = " ".join(re.sub(r"^\s*/?\*+/?", "", l).strip()
                        for l in m.group(2).splitlines()).strip(" /")
        bounds = {}
        for d in re.finditer(r"#define\s+(\w+)\s+(\d+)", m.group(3)):
            bounds[d.group(1)] = int(d.group(2))
        out[m.group(1)] = {"description": desc, "bounds": bounds}
    return out


def mutants():
    out = []
    for line in open(os.path.join(HERE, "mutants.txt")):
        if line.strip() and not line.startswith("#"):
            w = line.split()
            out.append({"name": w[0], "config": w[1], "expect": w[2],
                        "engine": None if w[3] == "-" else
                        {"mutant": w[0], "scenario": w[3], "buffers": w[4]}})
    return out


def parse_pan(out):
    """The figures of a pan run."""
    def num(pat, cast=int):
        m = re.search(pat, out)
        return cast(m.group(1)) if m else None
    return {
        "errors": num(r"errors: (\d+)"),
        "states_stored": num(r"(\d+) states, stored"),
        "states_matched": num(r"(\d+) states, matched"),
        "transitions": num(r"(\d+) transitions"),
        "depth": num(r"depth reached (\d+)"),
        "state_vector_bytes": num(r"State-vector (\d+) byte"),
        "memory_mb": num(r"([\d.]+)\s+total actual memory usage", float),
        "pan_seconds": num(r"pan: elapsed time ([\d.e+]+)", float),
        "complete": "Search not completed" not in out and
                    "max search depth too small" not in out and
                    "out of memory" not in out,
    }


def job(name, defines, pan_cflags, pan_args, extra_env=None):
    """Generate, compile and run one verifier in build/model/NAME/."""
    d = os.path.join(BUILD, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    t0 = time.time()
    spin = subprocess.run(["spin"] + defines + ["-a", MODEL], cwd=d,
                          capture_output=True, text=True)
    if spin.returncode:
        return {"name": name, "failed": "spin -a: " + spin.stdout[-500:] +
                spin.stderr[-500:]}
    cc = subprocess.run([CC, "-O0", "-w", "-o", "pan", "pan.c",
                         "-DMEMLIM=6000"] + pan_cflags, cwd=d,
                        capture_output=True, text=True)
    if cc.returncode:
        return {"name": name, "failed": CC + ": " + cc.stderr[-800:]}
    t1 = time.time()
    run = subprocess.run(["./pan"] + PAN_RUN + pan_args, cwd=d,
                         capture_output=True, text=True,
                         env=dict(os.environ, **(extra_env or {})))
    res = parse_pan(run.stdout)
    res.update(name=name, dir=d, defines=defines, cflags=pan_cflags,
               args=pan_args, compile_seconds=round(t1 - t0, 1),
               seconds=round(time.time() - t1, 2),
               trail=os.path.exists(os.path.join(d, "ringcp.pml.trail")))
    with open(os.path.join(d, "pan.out"), "w") as f:
        f.write(run.stdout + run.stderr)
    return res


def config_jobs(c):
    base = ["-DCFG_" + c]
    return [
        ("safety-" + c, base + ["-DEXTRACT"], PAN_EXTRACT, [],
         {"RC_MODEL_EDGES": os.path.join(BUILD, "edges-" + c + ".txt")}),
        ("liveness-" + c, base + ["-DNO_TIMEOUTS"], PAN_LIVE,
         ["-a", "-f"]),
    ]


def mutant_job(m):
    defines = ["-DCFG_" + m["config"], "-DM_" + m["name"].upper()]
    if m["expect"] == "P4":
        return ("mutant-" + m["name"], defines + ["-DNO_TIMEOUTS"], PAN_LIVE,
                ["-a", "-f"])
    return ("mutant-" + m["name"], defines, PAN_SAFETY, [])


def readable_trail(m, res):
    """Replay a mutant's trail into model/trails/NAME.txt; the property
    broken (P1..P7, or P4 for a cycle)."""
    cmd = [sys.executable, os.path.join(HERE, "trail.py")]
    cmd += ["-D" + d[2:] for d in res["defines"]]
    prop = next(p for p in PROPERTIES if p[0] == m["expect"])
    title = (f"Model mutant {m['name']} (-DM_{m['name'].upper()}), "
             f"configuration {m['config']}: a counterexample to "
             f"{m['expect']} {prop[1]}\n({prop[3]})\n"
             f"Reproduce: make model-check, then model/trail.py "
             f"{' '.join(res['defines'])} --trail "
             f"build/model/mutant-{m['name']}/ringcp.pml.trail "
             f"model/ringcp.pml\n")
    out = subprocess.run(cmd + ["--trail", os.path.join(res["dir"],
                                "ringcp.pml.trail"), "--title", title,
                                MODEL], capture_output=True, text=True)
    text = out.stdout
    os.makedirs(TRAILS, exist_ok=True)
    with open(os.path.join(TRAILS, m["name"] + ".txt"), "w") as f:
        f.write(text)
    m_prop = re.search(r"PROPERTY (P\d)", text)
    if m_prop:
        return m_prop.group(1), text.count("\n")
    if "repeats forever" in text or res.get("args", [])[:1] == ["-a"]:
        return "P4", text.count("\n")
    return None, text.count("\n")


def relation(configs):
    """Merge the configurations' edges into BUILD/edges.txt."""
    edges = set()
    for c in configs:
        p = os.path.join(BUILD, "edges-" + c + ".txt")
        if os.path.exists(p):
            edges |= set(open(p).read().splitlines())
    with open(os.path.join(BUILD, "edges.txt"), "w") as f:
        f.write("\n".join(sorted(edges)) + "\n")
    sorts = [0, 0, 0, 0]
    for e in edges:
        sorts[int(e.split()[0])] += 1
    return {"op_edges": sorts[0], "buffer_edges": sorts[1],
            "ring_edges": sorts[2], "pipe_edges": sorts[3],
            "file": os.path.relpath(os.path.join(BUILD, "edges.txt"), TOP)}


def summarize(results, muts, wall, configs_run, kinds, load):
    failures = []
    bounds = config_bounds()
    configs = []
    for c in configs_run:
        entry = {"name": c, **bounds.get(c, {}), "runs": {}}
        for kind in kinds:
            r = results.get(f"{kind}-{c}", {})
            keep = {k: r.get(k) for k in (
                "states_stored", "states_matched", "transitions", "depth",
                "state_vector_bytes", "memory_mb", "seconds",
                "compile_seconds", "errors", "complete")}
            keep["properties"] = {"safety": SAFETY_PROPS,
                                  "liveness": ["P4"]}[kind]
            keep["pan"] = " ".join(r.get("cflags", []) + r.get("args", []))
            entry["runs"][kind] = keep
            if r.get("failed"):
                failures.append(f"{kind} {c}: {r['failed']}")
            elif r.get("errors") != 0 or not r.get("complete"):
                failures.append(f"{kind} {c}: errors {r.get('errors')}, "
                                f"complete {r.get('complete')} (see "
                                f"build/model/{kind}-{c}/pan.out)")
        configs.append(entry)
    mlist = []
    for m in muts:
        r = results.get("mutant-" + m["name"], {})
        got, steps = (None, 0)
        if r.get("trail"):
            got, steps = readable_trail(m, r)
        ok = bool(r.get("errors")) and got == m["expect"]
        mlist.append({"name": m["name"], "config": m["config"],
                      "expect": m["expect"], "violated": got,
                      "caught": ok, "trail": f"model/trails/{m['name']}.txt",
                      "trail_steps": steps, "depth": r.get("depth"),
                      "states_stored": r.get("states_stored"),
                      "seconds": r.get("seconds"), "engine": m["engine"]})
        if not ok:
            failures.append(f"model mutant {m['name']}: expected "
                            f"{m['expect']}, got {got} (errors "
                            f"{r.get('errors')})")
    return {
        "verdict": "pass" if not failures else "fail",
        "failures": failures,
        "wall_s": round(wall, 1),
        # CPU seconds of every spin, compiler and pan run, and the load
        # average around the run (the machine may be shared: wall_s then
        # says more about the others than about the model)
        "cpu_s": round(sum(getattr(resource.getrusage(
            resource.RUSAGE_CHILDREN), f) for f in ("ru_utime",
                                                    "ru_stime")), 1),
        "loadavg_1min": load,
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "properties": [{"id": p[0], "name": p[1], "kind": p[2],
                        "statement": p[3]} for p in PROPERTIES],
        "configs": configs,
        "mutants": mlist,
        "relation": relation(configs_run),
        "versions": {"spin": first_line(["spin", "-V"]),
                     "cc": first_line([CC, "--version"]),
                     "git_commit": env.git_commit()},
        "sources_sha256": sources_hash(),
        "env": env.record(tools=()),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=os.path.join(TOP, "results",
                                                   "model.json"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--configs", help="comma-separated (default: all)")
    ap.add_argument("--mutants", help="comma-separated names, or none "
                    "(default: all of model/mutants.txt)")
    ap.add_argument("--safety-only", action="store_true",
                    help="no liveness (P4) searches")
    ap.add_argument("--build", help="work directory (build/model)")
    ap.add_argument("--trails", help="readable trails (model/trails)")
    a = ap.parse_args()
    global BUILD, TRAILS
    narrow = bool(a.configs or a.mutants or a.safety_only or a.build or
                  a.trails)
    BUILD = os.path.abspath(a.build) if a.build else BUILD
    TRAILS = os.path.abspath(a.trails) if a.trails else TRAILS
    configs_run = a.configs.split(",") if a.configs else CONFIGS
    kinds = ("safety",) if a.safety_only else ("safety", "liveness")
    stamp = os.path.join(BUILD, "stamp.json")
    prev = load_or_none(stamp)
    if (not a.force and not narrow and prev and
            prev.get("sources_sha256") == sources_hash()
            and prev.get("verdict") == "pass"
            and os.path.exists(os.path.join(BUILD, "edges.txt"))):
        print("model-check: the model did not change since the last run "
              "(build/model/stamp.json): up to date")
        if os.path.abspath(a.json) != os.path.abspath(stamp):
            dump(prev, a.json)
        return 0
    if not shutil.which("spin"):
        print("model-check: spin is missing (scripts/deps.sh installs it)",
              file=sys.stderr)
        return 2
    os.makedirs(BUILD, exist_ok=True)
    t0 = time.time()
    load0 = os.getloadavg()[0]
    muts = mutants()
    if a.mutants:
        muts = [m for m in muts if m["name"] in a.mutants.split(",")]
    jobs = [j for c in configs_run for j in config_jobs(c)
            if j[0].split("-")[0] in kinds]
    jobs += [mutant_job(m) for m in muts]
    results = {}
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        futs = {ex.submit(job, *j): j[0] for j in jobs}
        for f in concurrent.futures.as_completed(futs):
            r = f.result()
            results[r["name"]] = r
            what = r.get("failed") or (
                f"{r.get('states_stored')} states, depth {r.get('depth')}, "
                f"errors {r.get('errors')}, {r.get('seconds')} s")
            print(f"model-check: {r['name']:28} {what}", flush=True)
    load = [round(load0, 2), round(os.getloadavg()[0], 2)]
    doc = summarize(results, muts, time.time() - t0, configs_run, kinds,
                    load)
    dump(doc, a.json)
    if not narrow:
        dump(doc, stamp)
    for f in doc["failures"]:
        print(f"model-check: FAIL: {f}")
    print(f"model-check: {doc['verdict']} in {doc['wall_s']} s ({doc['cpu_s']} "
          f"CPU s, load {doc['loadavg_1min'][0]}), relation "
          f"{doc['relation']['op_edges']}+{doc['relation']['buffer_edges']}"
          f"+{doc['relation']['ring_edges']} edges, written to {a.json}")
    return 0 if doc["verdict"] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
