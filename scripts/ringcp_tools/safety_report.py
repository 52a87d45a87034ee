# SPDX-License-Identifier: MIT
"""Turn the records of one safety-check run (build/safety/) into the
verdict: results/safety.json and a one-screen summary.

usage: python3 -m ringcp_tools.safety_report OUT_DIR MODE SEED SAFETY_JSON WALL_SECONDS
Exit 0 when everything holds, 1 otherwise (each failure is listed).

OUT_DIR holds, per run, NAME.json (a scenario's record, asan-* only),
NAME.log and NAME.rc (its exit status): asan-STRATEGY-SCENARIO.*,
mutant-MUTANT.* (and .buffers) and valgrind-LABEL.*; model.json and
model.rc (model/check.py), conformance.json and conformance-mutants.json
(model/conform.py over the conform-*.ev and mutant-*.ev event logs).  The scenario
records' own "env" blocks are not used: the verdict's env comes from
ringcp_tools.env, like every other result's.
"""
import glob
import os
import re
import sys
import time

from . import env
from .common import TOP, dump, load, load_or_none, out_of

MIN_CANCELS = {"quick": 100_000, "full": 1_000_000}
MIN_HITS = {"quick": 1, "full": 1000}
# states whose every hit waits out a drain limit and leaks a ring (and a
# tree's jobs) on purpose: a full run takes 50 per direction and strategy
# (scripts/safety-check.sh runs their scenario 50 times per strategy)
MIN_HITS_BY_STATE = {"full": {"drain-timeout": 50, "abort-timeout": 50}}


def min_hits(mode, state):
    """The hits a (strategy, state, direction) cell needs in MODE."""
    return MIN_HITS_BY_STATE.get(mode, {}).get(state, MIN_HITS[mode])
MIN_CONFORM_EVENTS = {"quick": 100_000, "full": 1_000_000}
SANITIZER = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:")
STRATEGIES = ["heap", "pool", "fixed", "ring"]


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
    """The detectors a run's log shows firing: ledger kinds, asan, lsan,
    valgrind."""
    found = sorted(set(re.findall(r"VIOLATION \[([a-z-]+)\]", log)))
    if "ERROR: AddressSanitizer" in log:
        found.append("asan")
    if "ERROR: LeakSanitizer" in log:
        found.append("lsan")
    if re.search(r"==\d+== (Invalid (read|write)|Conditional jump)", log):
        found.append("valgrind")
    return found


def version(cmd):
    """The first line CMD prints on stdout, or ""."""
    out = out_of(cmd)
    return out.splitlines()[0] if out else ""


def order(strategy):
    return STRATEGIES.index(strategy) if strategy in STRATEGIES else len(STRATEGIES)


class Scenarios:
    """The ASan scenario runs summed up: per run, per strategy, per
    (strategy, state, direction) coverage cell, latencies by state, and
    the failures they show."""

    def __init__(self):
        self.runs, self.coverage, self.latency, self.strategies = [], {}, {}, {}
        self.failures = []
        self.totals = {"cancellations": 0, "iterations": 0, "violations": 0,
                       "unexpected_answers": 0, "submits": 0, "cqes": 0}
        self.witness = {"runs_on": 0, "runs_skipped": 0, "skip_reasons": [],
                        "events": 0, "requests": 0, "lost": 0,
                        "elapsed_ns": 0, "read_ns": 0, "check_ns": 0,
                        "by_detector": 0}

    def add(self, base, rec):
        """Add the run whose files are BASE.* and whose record is REC."""
        buffers = rec.get("buffers", "heap")
        name = os.path.basename(base)[len("asan-"):]
        if name.startswith(buffers + "-"):
            name = name[len(buffers) + 1:]
        proof = rec["proof"]
        st = self.strategies.setdefault(buffers, {
            "cancellations": 0, "iterations": 0, "violations": 0, "runs": 0})
        st["cancellations"] += rec.get("cancellations", 0)
        st["iterations"] += rec.get("iterations", 0)
        st["violations"] += proof["violations"]
        st["runs"] += 1
        t = self.totals
        t["cancellations"] += rec.get("cancellations", 0)
        t["iterations"] += rec.get("iterations", 0)
        t["violations"] += proof["violations"]
        t["unexpected_answers"] += rec.get("unexpected_answers", 0)
        t["submits"] += proof["submits"]
        t["cqes"] += proof["cqes"]
        self.add_witness(rec)
        rc = rc_of(base)
        sanit = bool(SANITIZER.search(read(base + ".log")))
        self.runs.append({"scenario": name, "buffers": buffers, "exit": rc,
                          "cancellations": rec.get("cancellations", 0),
                          "violations": proof["violations"],
                          "unexpected_answers": rec.get("unexpected_answers", 0),
                          "sanitizer_report": sanit,
                          "replay": rec.get("replay", "")})
        if rc != 0:
            self.failures.append(f"scenario {name} ({buffers}) exited {rc} "
                                 f"(see {base}.log)")
        if sanit:
            self.failures.append(f"scenario {name} ({buffers}): sanitizer "
                                 f"report in {base}.log")
        self.add_coverage(buffers, name, rec)

    def add_witness(self, rec):
        """The kernel's witness in one run: its events and cost, or why
        it did not run."""
        w = rec.get("witness")
        if not w:
            return
        if w["state"] != "on":
            self.witness["runs_skipped"] += 1
            if w.get("why") not in self.witness["skip_reasons"]:
                self.witness["skip_reasons"].append(w.get("why"))
            return
        a = self.witness
        a["runs_on"] += 1
        a["events"] += w["events_all"]
        a["requests"] += w["requests"]
        a["lost"] += w["lost"]
        a["read_ns"] += w["read_ns"]
        a["check_ns"] += w["check_ns"]
        a["elapsed_ns"] += rec["throughput"]["elapsed_ns"]
        a["by_detector"] += rec["proof"]["by_detector"].get("witness", 0)

    def add_coverage(self, buffers, name, rec):
        for c in rec.get("coverage", []):
            key = (buffers, c["state"], c["dir"])
            cell = self.coverage.setdefault(key, {"hits": 0, "unreachable": None})
            cell["hits"] += c["hits"]
            if c.get("unreachable"):
                cell["unreachable"] = c["unreachable"]
        for st, lat in rec.get("cancel_to_release_by_state_ns", {}).items():
            # percentiles of different runs cannot be merged exactly: keep
            # the run with the most samples, and the overall max
            cur = self.latency.setdefault(st, {"count": 0, "max": 0})
            if lat["count"] > cur["count"]:
                cur.update({"count": lat["count"], "p50": lat["p50"],
                            "p99": lat["p99"], "from": name})
            cur["max"] = max(cur["max"], lat["max"])

    def check(self, mode):
        """The failures of too few cancellations or hits for MODE."""
        if self.totals["cancellations"] < MIN_CANCELS[mode]:
            self.failures.append(f"only {self.totals['cancellations']} "
                                 f"cancellations, {mode} mode needs "
                                 f"{MIN_CANCELS[mode]}")
        for (b, st, d), cell in sorted(self.coverage.items()):
            need = min_hits(mode, st)
            if cell["hits"] >= need:
                continue
            if cell["hits"] == 0 and cell["unreachable"]:
                continue   # the kernel or machine cannot; said why
            self.failures.append(f"state {st} ({d}, buffers {b}): "
                                 f"{cell['hits']} hits, {mode} mode needs "
                                 f"{need}")


def scenarios(out_dir):
    s = Scenarios()
    for path in sorted(glob.glob(os.path.join(out_dir, "asan-*.json"))):
        s.add(path[:-5], load(path))
    for path in sorted(glob.glob(os.path.join(out_dir, "asan-*.rc"))):
        if not os.path.exists(path[:-3] + ".json"):
            s.failures.append(f"{os.path.basename(path[:-3])}: no record "
                              f"written (exit {rc_of(path[:-3])})")
    return s


def bases(out_dir, prefix):
    return sorted(p[:-3] for p in glob.glob(os.path.join(out_dir, prefix + "*.rc")))


def mutants(out_dir, failures):
    """Every mutant run (scenarios/mutants.list): caught when it failed and
    a detector said so.  A run that only the kernel's witness can see is
    skipped, not failed, where the witness could not run; so is one that
    needs a scratch loop filesystem that could not be made (it says why)."""
    out = []
    for base in bases(out_dir, "mutant-"):
        name = read(base + ".mutant", "").strip() or \
            os.path.basename(base)[len("mutant-"):]
        rc = rc_of(base)
        log = read(base + ".log")
        dets = detectors(log)
        caught = rc != 0 and bool(dets)
        needs = read(base + ".needs", "-").strip()
        skipped = ((needs == "witness" and "witness: skip" in log) or
                   (needs == "loopfs" and ": skip: " in log))
        out.append({"mutant": name, "run": os.path.basename(base),
                    "build": "asan", "exit": rc,
                    "buffers": read(base + ".buffers", "heap").strip(),
                    "scenario": read(base + ".scenario",
                                     "protocol_tour").strip(),
                    "caught": caught, "skipped": skipped,
                    "needs": read(base + ".needs", "-").strip(),
                    "detectors": dets})
        if not caught and not skipped:
            failures.append(f"mutant {name} survived "
                            f"({out[-1]['scenario']}, exit {rc})")
    return out


def valgrind(out_dir, failures):
    """Every valgrind run: a clean one must report nothing, a mutant one
    must be caught."""
    out = []
    for base in bases(out_dir, "valgrind-"):
        name = os.path.basename(base)[len("valgrind-"):]
        rc = rc_of(base)
        log = read(base + ".log")
        m = re.search(r"ERROR SUMMARY: (\d+) errors", log)
        errors = int(m.group(1)) if m else -1
        entry = {"run": name, "exit": rc, "errors": errors}
        if name.startswith("mutant-"):
            entry["caught"] = rc != 0 and errors != 0
            entry["detectors"] = detectors(log)
            if not entry["caught"]:
                failures.append(f"valgrind did not catch {name}")
        elif rc != 0 or errors != 0:
            failures.append(f"valgrind run {name}: exit {rc}, {errors} "
                            f"errors (see {base}.log)")
        out.append(entry)
    if not out:
        failures.append("no valgrind run")
    return out


def model_check(out_dir, failures):
    """The model check's outcome, summed up (its record is model.json);
    None when safety-check ran without it (MODEL=0)."""
    if os.path.exists(os.path.join(out_dir, "model.skipped")):
        return None
    doc = load_or_none(os.path.join(out_dir, "model.json"))
    rc = rc_of(os.path.join(out_dir, "model"))
    if not doc or rc != 0 or doc.get("verdict") != "pass":
        failures.append(f"the model check did not pass (exit {rc}; see "
                        f"{out_dir}/model.log)")
    if not doc:
        return None
    runs = [r for c in doc["configs"] for r in c["runs"].values()]
    return {"verdict": doc["verdict"], "configs": len(doc["configs"]),
            "states_stored": sum(r.get("states_stored") or 0 for r in runs),
            "mutants_caught": sum(m["caught"] for m in doc["mutants"]),
            "mutants": len(doc["mutants"]),
            "relation_edges": sum(v for k, v in doc["relation"].items()
                                  if k.endswith("_edges"))}


def conformance(out_dir, mode, failures, muts):
    """Every conform-*.ev log must conform, every mutant's be rejected;
    the mutants' entries get where their trace was rejected."""
    if os.path.exists(os.path.join(out_dir, "model.skipped")):
        return None
    doc = load_or_none(os.path.join(out_dir, "conformance.json"))
    mdoc = load_or_none(os.path.join(out_dir, "conformance-mutants.json"))
    if not doc or not mdoc:
        failures.append(f"no conformance record (see {out_dir}/"
                        f"conformance.log)")
        return None
    runs = []
    for r in doc["logs"]:
        name = os.path.basename(r["log"])[len("conform-"):-len(".ev")]
        runs.append({"run": name, "events": r["events"],
                     "conforms": r["conforms"],
                     "rejected_at": r["rejected_at"], "reason": r["reason"]})
        if not r["conforms"]:
            failures.append(f"trace {name} does not conform at event "
                            f"{r['rejected_at']}: {r['reason']}")
    if doc["events"] < MIN_CONFORM_EVENTS[mode]:
        failures.append(f"only {doc['events']} events checked for "
                        f"conformance, {mode} mode needs "
                        f"{MIN_CONFORM_EVENTS[mode]}")
    by_run = {m["run"]: m for m in muts}
    counted = [r for r in mdoc["logs"] if by_run.get(
        os.path.basename(r["log"])[:-len(".ev")], {}).get("needs") != "data"]
    for r in mdoc["logs"]:
        name = os.path.basename(r["log"])[:-len(".ev")]
        # rejected by a step the model does not allow, or only because a
        # sanitizer stopped the run where the model's program never stops
        how = None if r["conforms"] else \
            "died" if "the run died" in (r["reason"] or "") else "step"
        entry = {"rejected": not r["conforms"], "how": how,
                 "at_event": r["rejected_at"], "events": r["events"],
                 "reason": r["reason"]}
        # a data mutant (mutants.list "data") breaks bytes, not steps:
        # the model has nothing to reject; its verdict is not counted
        if by_run.get(name, {}).get("needs") == "data":
            by_run[name]["conformance"] = dict(entry, counted=False)
            continue
        if name in by_run:
            by_run[name]["conformance"] = entry
        if r["conforms"]:
            failures.append(f"{name}'s trace conforms to the model")
    return {"events": doc["events"], "runs": runs,
            "mutant_logs": len(counted),
            "mutant_events": mdoc["events"],
            "mutants_rejected": sum(not r["conforms"] for r in counted),
            "mutants_rejected_by_step": sum(
                1 for m in muts
                if m.get("conformance", {}).get("how") == "step")}


def fuzzer(out_dir, failures):
    """The lifecycle fuzzer's short run (fuzz.rc, written by
    safety-check.sh): {"ran", "exit"}; a crash is a failure of the check,
    recorded as one."""
    rc = read(os.path.join(out_dir, "fuzz.rc")).strip()
    if not rc:
        return {"ran": False}
    if rc != "0":
        failures.append(f"the lifecycle fuzzer crashed (exit {rc}; reproducer"
                        " in build/fuzz/crashes/, log build/fuzz/run.log)")
    return {"ran": True, "exit": int(rc)}


def verdict(out_dir, mode, seed, wall):
    """results/safety.json's document for the run in OUT_DIR."""
    s = scenarios(out_dir)
    s.check(mode)
    failures = s.failures
    muts = mutants(out_dir, failures)
    vg = valgrind(out_dir, failures)
    model = model_check(out_dir, failures)
    conf = conformance(out_dir, mode, failures, muts)
    fz = fuzzer(out_dir, failures)
    ringcp = os.path.join(TOP, "build", "gcc", "ringcp")
    return {
        "mode": mode,
        "seed": int(seed),
        "wall_s": int(wall),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "verdict": "pass" if not failures else "fail",
        "failures": failures,
        "policy": {"min_cancellations": MIN_CANCELS[mode],
                   "min_hits": MIN_HITS[mode],
                   "min_hits_by_state": MIN_HITS_BY_STATE.get(mode, {})},
        "totals": s.totals,
        "witness": dict(s.witness, events_per_s=round(
            s.witness["events"] / (s.witness["elapsed_ns"] / 1e9))
            if s.witness["elapsed_ns"] else 0),
        "strategies": s.strategies,
        "coverage": [{"buffers": b, "state": st, "dir": d,
                      "hits": c["hits"], "needs": min_hits(mode, st),
                      "unreachable": c["unreachable"]}
                     for (b, st, d), c in sorted(
                         s.coverage.items(),
                         key=lambda kv: (order(kv[0][0]), kv[0][1:]))],
        "cancel_to_release_ns_by_state": dict(sorted(s.latency.items())),
        "scenarios": s.runs,
        "mutants": muts,
        "valgrind": vg,
        "model_check": model,
        "conformance": conf,
        "fuzzer": fz,
        "env": env.record(ringcp=ringcp if os.access(ringcp, os.X_OK) else None,
                          tools=()),
        "versions": {
            "clang": version("clang --version"),
            "gcc": version("gcc --version"),
            "valgrind": version("valgrind --version"),
            "git_commit": version("git rev-parse HEAD"),
        },
    }


def coverage_table(result):
    """Hits per state (rows) and strategy (columns), read/write."""
    strategies = result["strategies"]
    cov = {(c["buffers"], c["state"], c["dir"]): c for c in result["coverage"]}
    bufs = sorted(strategies, key=order)
    print(f"{'hits (read/write)':22} " + " ".join(f"{b:>15}" for b in bufs))
    for st in sorted({st for _, st, _ in cov}):
        cells = []
        for b in bufs:
            pair = []
            for d in ("read", "write"):
                c = cov.get((b, st, d))
                pair.append("-" if c is None else
                            ("n/a" if c["hits"] == 0 and c["unreachable"]
                             else str(c["hits"])))
            cells.append("/".join(pair))
        print(f"{st:22} " + " ".join(f"{c:>15}" for c in cells))
    print(f"{'cancellations':22} " + " ".join(
        f"{strategies[b]['cancellations']:>15}" for b in bufs))


def summary(result, safety_json):
    """The one-screen summary of RESULT."""
    tot = result["totals"]
    print(f"\n=== safety-check verdict: {result['verdict'].upper()} "
          f"({result['mode']}, seed {result['seed']}, {result['wall_s']} s) ===")
    print(f"cancellations {tot['cancellations']}, submits "
          f"{tot['submits']}, CQEs {tot['cqes']}, violations "
          f"{tot['violations']}, unexpected answers "
          f"{tot['unexpected_answers']}")
    coverage_table(result)
    print(f"{'cancel -> release (us)':22} {'p50':>10} {'p99':>10} {'max':>10}")
    for st, v in result["cancel_to_release_ns_by_state"].items():
        print(f"{st:22} {v.get('p50', 0) / 1e3:10.1f} "
              f"{v.get('p99', 0) / 1e3:10.1f} {v['max'] / 1e3:10.1f}")
    for m in result["mutants"]:
        verdict = ("caught by " + ",".join(m["detectors"]) if m["caught"]
                   else "skipped (needs the witness)" if m.get("skipped")
                   else "SURVIVED")
        print(f"mutant {m['mutant']:20} {m['buffers']:5} "
              f"{m.get('scenario', 'protocol_tour'):14} {verdict}")
    if result.get("model_check"):
        m = result["model_check"]
        print(f"model check: {m['verdict']}, {m['configs']} configurations, "
              f"{m['states_stored']} states, {m['mutants_caught']}/"
              f"{m['mutants']} model mutants caught")
    if result.get("conformance"):
        c = result["conformance"]
        print(f"conformance: {c['events']} events in {len(c['runs'])} "
              f"traces, {sum(r['conforms'] for r in c['runs'])} conform; "
              f"mutant traces rejected: {c['mutants_rejected']}/"
              f"{c['mutant_logs']} ({c['mutants_rejected_by_step']} by a "
              f"step the model does not allow)")
    for v in result["valgrind"]:
        what = ("caught" if v.get("caught") else "NOT caught") \
            if v["run"].startswith("mutant-") else f"{v['errors']} errors"
        print(f"valgrind {v['run']:24} {what}")
    for f in result["failures"]:
        print(f"FAIL: {f}")
    print(f"written to {safety_json}")


def main():
    if len(sys.argv) != 6:
        print("usage: safety_report OUT_DIR MODE SEED SAFETY_JSON WALL_SECONDS",
              file=sys.stderr)
        return 2
    out_dir, mode, seed, safety_json, wall = sys.argv[1:6]
    result = verdict(out_dir, mode, seed, wall)
    dump(result, safety_json, indent=2)
    summary(result, safety_json)
    return 0 if not result["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
