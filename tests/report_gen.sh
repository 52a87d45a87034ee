#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: scripts/report.py writes REPORT.md from the JSON in a
# results dir and nothing else: on a fixture made here (odd, seeded
# numbers, one ringcp row "not run"), every number in the report is a
# number of some JSON file there (rounded as printed, or scaled by a unit:
# ns to s, bytes or KiB to MiB, bytes to KiB), the row that did not run
# says why, each target has a verdict, and a missing results dir is a clear
# error.  Needs /usr/bin/python3 (with matplotlib for the plots test).
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3

# make_fixture DIR : a results dir in the shape make bench writes
make_fixture()
{
	mkdir -p "$1/bench"
	"$PY" - "$1" "$REPO/scripts/bench/targets.json" <<'EOF'
import json, os, random, sys
out, targets = sys.argv[1:]
rng = random.Random(7)
odd = lambda lo, hi: rng.uniform(lo, hi)
b = os.path.join(out, "bench")
def dump(name, obj):
    json.dump(obj, open(os.path.join(out, name), "w"), indent=1)
env = {"date_utc": "2031-02-03T04:05:06Z", "hostname": "fixture", "kernel": "9.9.9-x",
       "machine": "x86_64", "nproc": 7, "cpu_model": "Test CPU", "mem_total_bytes": 123456789,
       "workdir": "/nowhere", "fs_type_mount": "ext4", "fs_source": "/dev/x",
       "gcc": "gcc 99.1", "liburing_dev": "2.3-3", "coreutils": "cp 9.1", "rsync": "rsync 3.5.0",
       "tar": "tar 1.34", "hyperfine": "hyperfine 1.15.0", "fio": "fio-3.33",
       "strace": "strace 6.1", "ringcp_version": "ringcp 0.1.0", "ringcp_sha256": "ab" * 32,
       "loadavg_start": "0.11 0.22 0.33", "mode": "quick", "seed": 4242, "bench_dir": "/nowhere",
       "ringcp": "/bin/ringcp", "git_commit": "c0ffee", "command": "make bench", "root": True,
       "caps": {"archive": False, "files_in_flight": False, "buffers": False, "json": False},
       "bench_wall_s": 321}
dump("bench/env.json", env)
dump("bench/targets.json", json.load(open(targets)))
ds = [{"name": "big", "label": "one large file", "kind": "file", "seed": 4242, "path": "/d/big",
       "files": 1, "dirs": 1, "bytes": 268435456},
      {"name": "mixed", "label": "mixed small files", "kind": "tree", "seed": 4242, "path": "/d/m",
       "files": 1987, "dirs": 21, "bytes": 26718497},
      {"name": "usr-include", "label": "real", "kind": "real", "not_run": "absent here"}]
dump("bench/datasets.json", {"mode": "quick", "seed": 4242, "datasets": ds})
def group(d, regime, tools):
    rows = []
    for name, kind, run in tools:
        if not run:
            rows.append({"name": name, "kind": kind, "command": None,
                         "status": "not run", "reason": "ringcp lacks --archive (tree copy)"})
            continue
        rm = [odd(0.1, 2.0) for _ in range(3)]
        t = sorted(rm + [odd(0.1, 2.0) for _ in range(3)])
        rows.append({"name": name, "kind": kind, "command": name + " SRC DST", "status": "run",
                     "runs": 6, "median_s": t[2], "mean_s": sum(t) / 6, "min_s": t[0],
                     "max_s": t[-1], "stddev_s": 0.0, "times_s": t, "round_medians_s": rm,
                     "user_mean_s": odd(0, 1), "system_mean_s": odd(0, 1),
                     "mib_per_s": d["bytes"] / 2**20 / t[2], "files_per_s": d["files"] / t[2]})
    peers = [r for r in rows if r["kind"] == "peer"]
    best = min(peers, key=lambda r: r["median_s"])
    for r in rows:
        if r["status"] != "run":
            continue
        ratios = sorted(a / b for a, b in zip(r["round_medians_s"], best["round_medians_s"]))
        r.update(ratio_to_fastest_peer_median=ratios[1], ratio_to_fastest_peer_min=ratios[0],
                 ratio_to_fastest_peer_max=ratios[2], speedup_over_fastest_peer=1 / ratios[1])
    dump(f"bench/time-{d['name']}-{regime}.json",
         {"env": env, "dataset": d["name"], "dataset_label": d["label"], "files": d["files"],
          "bytes": d["bytes"], "regime": regime, "rounds": 3, "runs_per_round": 2,
          "prepare": "rm -rf DST", "status": "run", "fastest_peer": best["name"],
          "commands": rows})
peers = [("cp", "peer", True), ("rsync", "peer", True), ("tar", "peer", True)]
for reg in ("warm", "durable"):
    group(ds[0], reg, peers + [("ringcp", "ringcp", True), ("cp-reflink-never", "limit", True)])
group(ds[1], "warm", peers + [("ringcp", "ringcp", False)])
pts = [{"qd": q, "bs": s, "median_s": odd(0.2, 1), "mib_per_s": odd(100, 900)}
       for q in ("1", "8") for s in ("64K", "1M")]
for p in pts:
    p["ratio_to_best_median"] = p["median_s"] / min(x["median_s"] for x in pts)
dump("bench/sweep-qd-bs.json", {"env": env, "sweep": "qd-bs", "what": "queue depth x block size",
     "dataset": "big", "status": "run", "rounds": 2, "runs_per_round": 2,
     "command": "ringcp -Q {qd} -B {bs} SRC DST", "parameters": {"qd": ["1", "8"], "bs": ["64K", "1M"]},
     "points": pts, "best": {"qd": "8", "bs": "1M"}})
dump("bench/sweep-files-in-flight.json", {"env": env, "sweep": "files-in-flight",
     "what": "files in flight", "dataset": "mixed", "status": "not run",
     "reason": "ringcp lacks --archive (tree copy), --files-in-flight"})
dump("bench/fio.json", {"env": env, "rounds": 1, "size": "1G", "command": "fio ...",
     "write": {"bw_bytes": 463210987, "mib_per_s": 463210987 / 2**20},
     "read": {"bw_bytes": 487654321, "mib_per_s": 487654321 / 2**20}})
def tool(name, cfr):
    calls = {"read": {"calls": rng.randint(10, 999), "errors": 0},
             "copy_file_range": {"calls": cfr, "errors": 0}}
    tot = sum(c["calls"] for c in calls.values())
    return {"name": name, "kind": "peer", "status": "run", "syscalls": calls,
            "syscalls_total": tot, "syscalls_per_file": odd(5, 50), "io_uring_enter_calls": 0,
            "io_uring_enter_per_gib": 0.0, "max_rss_kib": rng.randint(1000, 9000),
            "copy_identical": True}
dump("bench/probes.json", {"env": env, "startup_calls": 83, "startup_command": "sh -c /bin/true",
     "strace": "strace -c -f", "time": "/usr/bin/time", "datasets": [
     {"dataset": "big", "files": 1, "bytes": 268435456,
      "tools": [tool("cp", 3), tool("cp-reflink-never", 0)]},
     {"dataset": "mixed", "files": 1987, "bytes": 26718497,
      "tools": [tool("tar", 0), {"name": "ringcp", "status": "not run",
                                 "reason": "ringcp lacks --archive (tree copy)"}]}]})
pairs = [{"production_ns": 37000000, "harness_ns": 41000000, "mutant_free_on_cancel_ns": 43000000}]
dump("bench/safety-cost.json", {"what": "production vs harness vs mutant", "command": "x",
     "src_bytes": 268435456, "block_size_bytes": {"262144": {
     "pairs": pairs, "production_median_ns": 37000000, "harness_median_ns": 41000000,
     "mutant_free_on_cancel_median_ns": 43000000, "ratio_harness_over_production_median": 1.1081,
     "ratio_min": 1.1081, "ratio_max": 1.1081, "ratio_mutant_over_production_median": 1.1622,
     "ratio_mutant_min": 1.1622, "ratio_mutant_max": 1.1622}}})
dump("safety.json", {"mode": "quick", "seed": 9871, "date_utc": "2031-01-01T00:00:00Z",
     "verdict": "pass", "failures": [], "totals": {"cancellations": 123457, "submits": 271828,
     "cqes": 271828, "violations": 0, "unexpected_answers": 0},
     "coverage": [{"state": "io-wq", "dir": "read", "hits": 2011, "unreachable": None},
                  {"state": "io-wq", "dir": "write", "hits": 0, "unreachable": "needs root"}],
     "mutants": [{"mutant": "free_on_cancel", "caught": True, "detectors": ["ledger"]}],
     "valgrind": [{"run": "mutant-borrowed_buffer", "exit": 99, "errors": 126, "caught": True}]})
EOF
}

# numbers_check RESULTS REPORT : every number in REPORT is one of RESULTS'
# JSON numbers (or a number inside a JSON string or key, or a list's
# length), rounded as printed,
# possibly scaled by a unit; prints the numbers that are not
numbers_check()
{
	"$PY" - "$1" "$2" <<'EOF'
import glob, json, os, re, sys
results, report = sys.argv[1:]
NUM = re.compile(r"(?<![\w.\-/])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?=x\b|[^\w.]|\.(?!\d)|$)")
vals = set()
def walk(x):
    if isinstance(x, bool):
        return
    if isinstance(x, (int, float)):
        vals.add(float(x))
    elif isinstance(x, str):
        for m in NUM.finditer(x):
            vals.add(float((m.group(1) + (m.group(2) or "")).replace(",", "")))
    elif isinstance(x, list):
        vals.add(float(len(x)))
        for y in x:
            walk(y)
    elif isinstance(x, dict):
        for k, y in x.items():
            walk(k)
            walk(y)
for p in glob.glob(os.path.join(results, "**", "*.json"), recursive=True):
    walk(json.load(open(p)))
SCALES = (1, 1e-9, 1 / 1024, 1 / 2**20, 1 / 2**30)
bad = []
text = open(report).read()
for m in NUM.finditer(text):
    tok = m.group(1) + (m.group(2) or "")
    dec = len(m.group(2)) - 1 if m.group(2) else 0
    want = tok.replace(",", "")
    if not any(float("%.*f" % (dec, v * s)) == float(want) for v in vals for s in SCALES):
        bad.append(tok)
print(" ".join(bad))
print("checked", len(NUM.findall(text)), "numbers", file=sys.stderr)
EOF
}

test_numbers_from_json()
{
	local bad

	make_fixture res
	"$PY" "$REPO/scripts/report.py" res REPORT.md 2>err || {
		fail "report.py failed"; show_file stderr err; return
	}
	[ -s REPORT.md ] || { fail "no REPORT.md written"; return; }
	bad=$(numbers_check res REPORT.md 2>/dev/null)
	assert_eq "numbers in REPORT.md not found in the JSON" "" "$bad"
	# the check itself must see a number typed into a report
	echo "ringcp copies 17.25 GiB" >>REPORT.md
	bad=$(numbers_check res REPORT.md 2>/dev/null)
	assert_eq "the check's own control (a typed number)" "17.25" "$bad"
}

test_not_run_and_verdicts()
{
	make_fixture res
	"$PY" "$REPO/scripts/report.py" res REPORT.md 2>/dev/null ||
		t_abort "report.py failed"
	assert_contains "not-run row" REPORT.md "not run: ringcp lacks --archive (tree copy)"
	assert_contains "not-run sweep" REPORT.md "Not run: ringcp lacks --archive (tree copy), --files-in-flight."
	assert_contains "many-files verdict" REPORT.md "| not measured |"
	assert_contains "summary written" res/bench/summary.json '"verdict"'
	assert_contains "safety verdict" REPORT.md "**pass**"
	assert_contains "mutant row" REPORT.md "| free_on_cancel | yes | ledger |"
}

test_plots_drawn()
{
	"$PY" -c 'import matplotlib' 2>/dev/null || t_skip "$PY lacks matplotlib"
	make_fixture res
	"$PY" "$REPO/scripts/plots.py" res 2>err || { fail "plots.py failed"; show_file stderr err; }
	for f in time-big time-mixed sweep-qd-bs syscalls safety-coverage safety-cost; do
		[ -s "res/bench/$f.png" ] || fail "plot $f.png not drawn"
	done
}

test_missing_results()
{
	rc_run_cmd "$PY" "$REPO/scripts/report.py" nothing-here REPORT.md
	assert_status 1
	assert_contains "message" "$RC_ERR" "run make bench first"
	assert_absent REPORT.md
}

# the test needs no ringcp, but lib.sh's runner wants RINGCP set
: "${RINGCP:=/bin/true}"
t_init
t_add "every number in REPORT.md comes from the results' JSON" test_numbers_from_json
t_add "rows not run say why; targets and safety verdict are reported" test_not_run_and_verdicts
t_add "plots.py draws every plot from the fixture" test_plots_drawn
t_add "report.py without results fails with a clear message" test_missing_results
t_run_all
