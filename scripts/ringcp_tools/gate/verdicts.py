# SPDX-License-Identifier: MIT
"""The gate's verdict lines: one per figure (name, baseline, current,
threshold, PASS or FAIL, a note), printed as they come and kept for the
record."""


def fmt(v):
    """A figure as printed: floats to 4 significant digits."""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


class Report:
    def __init__(self):
        self.rows = []

    def add(self, name, base, cur, threshold, ok, note=""):
        row = {"figure": name, "baseline": base, "current": cur,
               "threshold": threshold, "verdict": "PASS" if ok else "FAIL"}
        if note:
            row["note"] = note
        self.rows.append(row)
        print(f"{name:34} baseline {fmt(base):>10}  current {fmt(cur):>10}  "
              f"threshold {threshold:>14}  {row['verdict']}"
              + (f"  ({note})" if note else ""), flush=True)

    def failed(self):
        return [r for r in self.rows if r["verdict"] == "FAIL"]
