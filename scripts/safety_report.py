#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Turn the records of one safety-check run (build/safety/) into the
verdict: results/safety.json and a one-screen summary.

usage: safety_report.py OUT_DIR MODE SEED SAFETY_JSON WALL_SECONDS
Exit 0 when everything holds, 1 otherwise (each failure is listed).
"""
import glob
import json
import os
import re
import subprocess
import sys
import time

MIN_CANCELS = {"quick": 100_000, "full": 1_000_000}
MIN_HITS = {"quick": 1, "full": 1000}
SANITIZER = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:")


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def rc_of(base):
    text = read(base + ".rc").strip()
    return int(text) if text.lstrip("-").isdigit() else -1


def detectors(log):
    found = sorted(set(re.findall(r"VIOLATION \[([a-z-]+)\]", log)))
    if "ERROR: AddressSanitizer" in log:
        found.append("asan")
    if "ERROR: LeakSanitizer" in log:
        found.append("lsan")
    if re.search(r"==\d+== (Invalid (read|write)|Conditional jump)", log):
        found.append("valgrind")
    return found


def version(cmd):
    try:
        out = subprocess.run(cmd, shell=True, capture_output=True, text=True)
        return out.stdout.strip().splitlines()[0] if out.stdout.strip() else ""
    except OSError:
        return ""


def order(strategy):
    known = ["heap", "pool", "fixed", "ring"]
    return known.index(strategy) if strategy in known else len(known)


def main():
    out_dir, mode, seed, safety_json, wall = sys.argv[1:6]
    failures = []
    runs, coverage, latency, strategies = [], {}, {}, {}
    env = None
    totals = {"cancellations": 0, "iterations": 0, "violations": 0,
              "unexpected_answers": 0, "submits": 0, "cqes": 0}

    for path in sorted(glob.glob(os.path.join(out_dir, "asan-*.json"))):
        base = path[:-5]
        rec = json.load(open(path))
        buffers = rec.get("buffers", "heap")
        name = os.path.basename(base)[len("asan-"):]
        if name.startswith(buffers + "-"):
            name = name[len(buffers) + 1:]
        strategies.setdefault(buffers, {"cancellations": 0, "iterations": 0,
                                        "violations": 0, "runs": 0})
        strategies[buffers]["cancellations"] += rec.get("cancellations", 0)
        strategies[buffers]["iterations"] += rec.get("iterations", 0)
        strategies[buffers]["violations"] += rec["proof"]["violations"]
        strategies[buffers]["runs"] += 1
        env = env or rec.get("env")
        log = read(base + ".log")
        rc = rc_of(base)
        proof = rec["proof"]
        totals["cancellations"] += rec.get("cancellations", 0)
        totals["iterations"] += rec.get("iterations", 0)
        totals["violations"] += proof["violations"]
        totals["unexpected_answers"] += rec.get("unexpected_answers", 0)
        totals["submits"] += proof["submits"]
        totals["cqes"] += proof["cqes"]
        sanit = bool(SANITIZER.search(log))
        runs.append({"scenario": name, "buffers": buffers, "exit": rc,
                     "cancellations": rec.get("cancellations", 0),
                     "violations": proof["violations"],
                     "unexpected_answers": rec.get("unexpected_answers", 0),
                     "sanitizer_report": sanit,
                     "replay": rec.get("replay", "")})
        if rc != 0:
            failures.append(f"scenario {name} ({buffers}) exited {rc} "
                            f"(see {base}.log)")
        if sanit:
            failures.append(f"scenario {name} ({buffers}): sanitizer report "
                            f"in {base}.log")
        for c in rec.get("coverage", []):
            key = (buffers, c["state"], c["dir"])
            cell = coverage.setdefault(key, {"hits": 0, "unreachable": None})
            cell["hits"] += c["hits"]
            if c.get("unreachable"):
                cell["unreachable"] = c["unreachable"]
        for st, lat in rec.get("cancel_to_release_by_state_ns", {}).items():
            # percentiles of different runs cannot be merged exactly: keep
            # the run with the most samples, and the overall max
            cur = latency.setdefault(st, {"count": 0, "max": 0})
            if lat["count"] > cur["count"]:
                cur.update({"count": lat["count"], "p50": lat["p50"],
                            "p99": lat["p99"], "from": name})
            cur["max"] = max(cur["max"], lat["max"])
    for path in sorted(glob.glob(os.path.join(out_dir, "asan-*.rc"))):
        if not os.path.exists(path[:-3] + ".json"):
            failures.append(f"{os.path.basename(path[:-3])}: no record "
                            f"written (exit {rc_of(path[:-3])})")

    if totals["cancellations"] < MIN_CANCELS[mode]:
        failures.append(f"only {totals['cancellations']} cancellations, "
                        f"{mode} mode needs {MIN_CANCELS[mode]}")
    for (b, st, d), cell in sorted(coverage.items()):
        if cell["hits"] >= MIN_HITS[mode]:
            continue
        if cell["hits"] == 0 and cell["unreachable"]:
            continue   # the kernel or machine cannot; said why
        failures.append(f"state {st} ({d}, buffers {b}): {cell['hits']} "
                        f"hits, {mode} mode needs {MIN_HITS[mode]}")

    mutants = []
    for base in sorted(p[:-3] for p in glob.glob(
            os.path.join(out_dir, "mutant-*.rc"))):
        name = os.path.basename(base)[len("mutant-"):]
        rc = rc_of(base)
        dets = detectors(read(base + ".log"))
        caught = rc != 0 and bool(dets)
        mutants.append({"mutant": name, "build": "asan", "exit": rc,
                        "buffers": read(base + ".buffers", "heap").strip(),
                        "caught": caught, "detectors": dets})
        if not caught:
            failures.append(f"mutant {name} survived (exit {rc})")

    valgrind = []
    for base in sorted(p[:-3] for p in glob.glob(
            os.path.join(out_dir, "valgrind-*.rc"))):
        name = os.path.basename(base)[len("valgrind-"):]
        rc = rc_of(base)
        log = read(base + ".log")
        m = re.search(r"ERROR SUMMARY: (\d+) errors", log)
        errors = int(m.group(1)) if m else -1
        is_mutant = name.startswith("mutant-")
        entry = {"run": name, "exit": rc, "errors": errors}
        if is_mutant:
            entry["caught"] = rc != 0 and errors != 0
            entry["detectors"] = detectors(log)
            if not entry["caught"]:
                failures.append(f"valgrind did not catch {name}")
        elif rc != 0 or errors != 0:
            failures.append(f"valgrind run {name}: exit {rc}, {errors} "
                            f"errors (see {base}.log)")
        valgrind.append(entry)
    if not valgrind:
        failures.append("no valgrind run")

    result = {
        "mode": mode,
        "seed": int(seed),
        "wall_s": int(wall),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "verdict": "pass" if not failures else "fail",
        "failures": failures,
        "totals": totals,
        "strategies": strategies,
        "coverage": [{"buffers": b, "state": st, "dir": d,
                      "hits": c["hits"], "unreachable": c["unreachable"]}
                     for (b, st, d), c in sorted(
                         coverage.items(),
                         key=lambda kv: (order(kv[0][0]), kv[0][1:]))],
        "cancel_to_release_ns_by_state": dict(sorted(latency.items())),
        "scenarios": runs,
        "mutants": mutants,
        "valgrind": valgrind,
        "env": env,
        "versions": {
            "clang": version("clang --version"),
            "gcc": version("gcc --version"),
            "valgrind": version("valgrind --version"),
            "git_commit": version("git rev-parse HEAD"),
        },
    }
    os.makedirs(os.path.dirname(safety_json) or ".", exist_ok=True)
    with open(safety_json, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")

    print(f"\n=== safety-check verdict: {result['verdict'].upper()} "
          f"({mode}, seed {seed}, {wall} s) ===")
    print(f"cancellations {totals['cancellations']}, submits "
          f"{totals['submits']}, CQEs {totals['cqes']}, violations "
          f"{totals['violations']}, unexpected answers "
          f"{totals['unexpected_answers']}")
    bufs = sorted(strategies, key=order)
    print(f"{'hits (read/write)':22} " +
          " ".join(f"{b:>15}" for b in bufs))
    states = sorted({st for _, st, _ in coverage})
    for st in states:
        cells = []
        for b in bufs:
            pair = []
            for d in ("read", "write"):
                c = coverage.get((b, st, d))
                pair.append("-" if c is None else
                            ("n/a" if c["hits"] == 0 and c["unreachable"]
                             else str(c["hits"])))
            cells.append("/".join(pair))
        print(f"{st:22} " + " ".join(f"{c:>15}" for c in cells))
    print(f"{'cancellations':22} " + " ".join(
        f"{strategies[b]['cancellations']:>15}" for b in bufs))
    print(f"{'cancel -> release (us)':22} {'p50':>10} {'p99':>10} {'max':>10}")
    for st, v in sorted(latency.items()):
        print(f"{st:22} {v.get('p50', 0) / 1e3:10.1f} "
              f"{v.get('p99', 0) / 1e3:10.1f} {v['max'] / 1e3:10.1f}")
    for m in mutants:
        print(f"mutant {m['mutant']:18} {m['buffers']:5} "
              f"{'caught by ' + ','.join(m['detectors']) if m['caught'] else 'SURVIVED'}")
    for v in valgrind:
        what = ("caught" if v.get("caught") else "NOT caught") \
            if v["run"].startswith("mutant-") else f"{v['errors']} errors"
        print(f"valgrind {v['run']:24} {what}")
    for f in failures:
        print(f"FAIL: {f}")
    print(f"written to {safety_json}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
