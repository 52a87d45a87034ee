# SPDX-License-Identifier: MIT
"""The safety part of the gate: the verdict of build/safety.json (the
quick safety check make check ran; run here if it is missing)."""
import os
import subprocess

from ..common import TOP, load, log


def safety_verdict():
    """{"path", "ran_here", ..., "figures": [(name, baseline, current,
    threshold, ok)]}: verdict pass, no violation, every mutant caught,
    every state covered (or said unreachable)."""
    path = os.path.join(TOP, "build", "safety.json")
    ran = False
    if not os.path.exists(path):
        log("safety: build/safety.json missing, running the quick safety check")
        subprocess.run(["scripts/safety-check.sh"], cwd=TOP,
                       env=dict(os.environ, SAFETY_JSON=path),
                       stdout=subprocess.DEVNULL)
        ran = True
    try:
        s = load(path)
    except (OSError, ValueError) as e:
        return {"path": path, "ran_here": ran, "figures": [
            ("safety.verdict", "pass", f"unreadable: {e}", "equal", False)]}
    tot = s.get("totals", {})
    muts = s.get("mutants", [])
    uncovered = [f"{c['state']}/{c['dir']}" for c in s.get("coverage", [])
                 if not c.get("hits") and not c.get("unreachable")]
    missed = [m["mutant"] for m in muts if not m.get("caught")]
    figs = [
        ("safety.verdict", "pass", s.get("verdict"), "equal",
         s.get("verdict") == "pass"),
        ("safety.violations", 0, tot.get("violations"), "equal",
         tot.get("violations") == 0),
        ("safety.mutants_caught", f"{len(muts)}/{len(muts)}",
         f"{len(muts) - len(missed)}/{len(muts)}", "all",
         bool(muts) and not missed),
        ("safety.states_uncovered", 0, len(uncovered), "equal", not uncovered),
    ]
    return {"path": path, "ran_here": ran, "date_utc": s.get("date_utc"),
            "mode": s.get("mode"), "seed": s.get("seed"),
            "cancellations": tot.get("cancellations"),
            "missed_mutants": missed, "uncovered": uncovered, "figures": figs}
