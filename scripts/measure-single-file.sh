#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# measure-single-file.sh: how fast ringcp copies one 1 GiB file, durably,
# on this machine, and which queue depth / block size it should default to.
#
# What it measures (all copies are of a warm, page-cached 1 GiB random
# file to a destination on the same filesystem, destination fsync'd):
#   1. the environment (host, kernel, CPU, memory, filesystem, tool and
#      library versions, git commit of this repo);
#   2. the device's ceilings with fio: sequential O_DIRECT write and read,
#      1 MiB blocks, iodepth 32, io_uring engine, 2 GiB file;
#   3. a sweep of ringcp --fsync over queue depth x block size (hyperfine
#      -L), the data the defaults RC_COPY_DEFAULT_QD / RC_COPY_DEFAULT_BS
#      (engine/rc_copy.h) are chosen from.  Hyperfine runs a combination's
#      runs back to back, so a noisy minute on a shared machine lands on a
#      few neighbouring combinations: the sweep is done in SWEEP_ROUNDS
#      rounds, every other one walking the grid backwards, and the runs
#      are pooled.  Then the current defaults against the sweep's fastest
#      combination in strictly alternating pairs;
#   4. ringcp --fsync (defaults) against `cp --reflink=never && sync DST`
#      in strictly alternating pairs (A B, B A, ...), per-pair ratios.
#   Pair ratios are also split by which ran first: on the reference VM a
#   copy's cost depends on the copy before it, and the split shows it.
# Everything goes into one JSON object (sections env, fio, sweep, pairs;
# times in *_ns, sizes in *_bytes, throughput in bw_bytes = bytes/s, like
# fio) and a short summary is printed.
#
# Run, as root (sync and fio need it only for the page cache and O_DIRECT;
# root avoids surprises), from anywhere:
#   scripts/measure-single-file.sh
# Environment knobs (defaults in brackets):
#   WORKDIR      scratch dir, must be on the filesystem to measure
#                [/var/tmp/ringcp-measure]; needs ~4.5 GiB free
#   OUT          JSON output [<repo>/results/engine-core/single-file.json]
#   BUILD_FROM   head: build ringcp from `git archive HEAD` in a temporary
#                dir, immune to edits in progress; worktree: build the
#                working tree (`make variant VARIANT=gcc`) [head]
#   RINGCP       measure this binary instead of building one
#   QDS, BSS     sweep grid [1,2,4,8,16,32] x [64K,128K,256K,512K,1M]
#   SWEEP_ROUNDS passes over the grid [3]
#   SWEEP_RUNS   hyperfine --runs per combination per round [3] (plus 1
#                warmup); medians are over ROUNDS x RUNS pooled runs
#   CONFIRM_PAIRS  defaults-vs-best alternating pairs [10]
#   PAIRS        ringcp-vs-cp alternating pairs [12] (at least 8; kept
#                even so that each order, A B and B A, occurs equally)
#   FIO_ROUNDS   fio write+read rounds, median reported [3]
# The 1 GiB source ($WORKDIR/src-1GiB.bin) is created once and reused;
# it is kept afterwards only when WORKDIR is under /var/tmp.  Everything
# else the script writes in WORKDIR, but an empty .lock, is removed on exit.
# Takes about 9 minutes (sweep about 7) on a 2-core VM with a virtio disk.
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "$0")/.." && pwd)
WORKDIR=${WORKDIR:-/var/tmp/ringcp-measure}
OUT=${OUT:-$repo/results/engine-core/single-file.json}
QDS=${QDS:-1,2,4,8,16,32}
BSS=${BSS:-64K,128K,256K,512K,1M}
SWEEP_ROUNDS=${SWEEP_ROUNDS:-3}
SWEEP_RUNS=${SWEEP_RUNS:-3}
CONFIRM_PAIRS=${CONFIRM_PAIRS:-10}
PAIRS=${PAIRS:-12}
FIO_ROUNDS=${FIO_ROUNDS:-3}
PY=/usr/bin/python3	# the python3 on PATH may be another interpreter
SRC_SIZE=$((1024 * 1024 * 1024))

TAG=measure-single-file
. "$repo/scripts/bench/lib.sh"	# die, log, q, now_ns, env_record, fio_ceiling

for t in hyperfine fio git stat findmnt "$PY"; do
	command -v "$t" >/dev/null || die "'$t' not found (scripts/deps.sh installs it)"
done
[ "$PAIRS" -ge 8 ] && [ $((PAIRS % 2)) -eq 0 ] || die "PAIRS must be even and at least 8"
[ $((CONFIRM_PAIRS % 2)) -eq 0 ] || die "CONFIRM_PAIRS must be even"

mkdir -p "$WORKDIR" "$(dirname "$OUT")"
WORKDIR=$(cd "$WORKDIR" && pwd -P)
exec 9>"$WORKDIR/.lock"
flock -n 9 || die "another measurement is running in $WORKDIR"

SRC=$WORKDIR/src-1GiB.bin
DST=$WORKDIR/dst.bin
FIOFILE=$WORKDIR/fio.tmp
TMP=$(mktemp -d "$WORKDIR/run.XXXXXX")

cleanup() {
	rm -f "$DST" "$FIOFILE" "$WORKDIR"/.dst.bin.* 2>/dev/null || true
	rm -rf "$TMP"
	case "$WORKDIR/" in
	/var/tmp/*) ;;
	*) rm -f "$SRC" ;;
	esac
}
trap cleanup EXIT

# The binary: by default built from a pristine export of HEAD, so the
# result names exactly the code measured even while the working tree is
# being edited; BUILD_FROM=worktree builds the working tree instead (the
# commit is then recorded with "-dirty" if tracked files differ).
git_commit=$(git -C "$repo" rev-parse HEAD)
dirty=$(git -C "$repo" status --porcelain --untracked-files=no)
srcdir=$repo
if [ -n "${RINGCP:-}" ]; then
	built_from="given by RINGCP"
	[ -z "$dirty" ] || git_commit+="-dirty"
elif [ "${BUILD_FROM:-head}" = head ]; then
	built_from="git archive HEAD, make VARIANT=gcc"
	srcdir=$TMP/src
	mkdir "$srcdir"
	git -C "$repo" archive HEAD | tar -x -C "$srcdir"
	log "building ringcp from a clean export of HEAD ($git_commit)"
	make -C "$srcdir" --no-print-directory VARIANT=gcc build/gcc/ringcp >&2
	RINGCP=$srcdir/build/gcc/ringcp
else
	built_from="working tree, make variant VARIANT=gcc"
	[ -z "$dirty" ] || git_commit+="-dirty"
	log "building build/gcc/ringcp from the working tree"
	make -C "$repo" --no-print-directory variant VARIANT=gcc >&2
	RINGCP=$repo/build/gcc/ringcp
fi
[ -x "$RINGCP" ] || die "no ringcp binary at '$RINGCP'"

avail=$(df -B1 --output=avail "$WORKDIR" | tail -1 | tr -d ' ')
need=$((4 * SRC_SIZE + SRC_SIZE / 2))
[ -f "$SRC" ] && need=$((need - SRC_SIZE))
[ "$avail" -ge "$need" ] || die "$WORKDIR has $avail bytes free, needs $need"


# --- 1. environment --------------------------------------------------------
log "recording the environment"
hdr=$srcdir/engine/rc_copy.h
def_qd=$(sed -n 's/^#define[[:space:]]*RC_COPY_DEFAULT_QD[[:space:]]*\(.*\)$/\1/p' "$hdr")
def_bs=$(sed -n 's/^#define[[:space:]]*RC_COPY_DEFAULT_BS[[:space:]]*\(.*\)$/\1/p' "$hdr")
def_qd=$((${def_qd//u/}))
def_bs=$((${def_bs//u/}))
# The binary must agree with the header we read the defaults from.
help=$("$RINGCP" --help)
grep -q "default $def_qd," <<<"$help" && grep -q "default $((def_bs / 1024))K" <<<"$help" ||
	die "$RINGCP --help does not show the defaults in $hdr (stale build?)"

{
	env_record "$WORKDIR" "$RINGCP"
	echo "git_commit=$git_commit"
	echo "ringcp_built_from=$built_from"
	echo "default_qd=$def_qd"
	echo "default_bs_bytes=$def_bs"
} >"$TMP/env.sh"

# --- 2. the source file ------------------------------------------------------
if [ "$(stat -c %s "$SRC" 2>/dev/null || echo 0)" != "$SRC_SIZE" ]; then
	log "creating $SRC (1 GiB from /dev/urandom)"
	rm -f "$SRC"
	head -c "$SRC_SIZE" /dev/urandom >"$SRC.part"
	mv "$SRC.part" "$SRC"
	sync "$SRC"
else
	log "reusing $SRC"
fi
warm() { cat "$SRC" >/dev/null; }
warm

# --- 3. fio ceilings -----------------------------------------------------------
for r in $(seq 1 "$FIO_ROUNDS"); do
	log "fio round $r/$FIO_ROUNDS: sequential write then read, O_DIRECT"
	rm -f "$FIOFILE"
	sync
	fio_ceiling "$FIOFILE" write "$TMP/fio-write-$r.json"
	fio_ceiling "$FIOFILE" read "$TMP/fio-read-$r.json"
	rm -f "$FIOFILE"
done

# --- 4. defaults sweep -----------------------------------------------------------
ncombo=$(($(tr ',' '\n' <<<"$QDS" | wc -l) * $(tr ',' '\n' <<<"$BSS" | wc -l)))
reverse() { tr ',' '\n' <<<"$1" | tac | paste -sd,; }
sweep_t0=$(now_ns)
for r in $(seq 1 "$SWEEP_ROUNDS"); do
	qds=$QDS bss=$BSS
	if [ $((r % 2)) -eq 0 ]; then qds=$(reverse "$QDS") bss=$(reverse "$BSS"); fi
	log "sweep round $r/$SWEEP_ROUNDS: $ncombo combinations x ($SWEEP_RUNS runs + 1 warmup), ringcp --fsync"
	warm
	hyperfine --style basic --warmup 1 --runs "$SWEEP_RUNS" \
		--prepare "rm -f $(q "$DST"); sync" \
		-L qd "$qds" -L bs "$bss" \
		--export-json "$TMP/sweep-$r.json" \
		"$(q "$RINGCP") --fsync -Q {qd} -B {bs} $(q "$SRC") $(q "$DST")" >&2
	cmp "$SRC" "$DST" || die "sweep: the last copy differs from the source"
done
sweep_t1=$(now_ns)
echo "sweep_wall_ns=$((sweep_t1 - sweep_t0))" >>"$TMP/env.sh"

# The sweep's fastest combination (median of the pooled runs), to
# confirm against the defaults.
read -r best_qd best_bs < <("$PY" - "$TMP"/sweep-*.json <<'EOF'
import json, statistics, sys
pool = {}
for f in sys.argv[1:]:
    for r in json.load(open(f))["results"]:
        p = r["parameters"]
        pool.setdefault((p["qd"], p["bs"]), []).extend(r["times"])
print(*min(pool, key=lambda k: statistics.median(pool[k])))
EOF
)

# Strictly alternating pairs of timed runs, each after the same untimed
# `rm -f DST; sync` and each checked with cmp afterwards (untimed too), so
# both positions in a pair start alike.  $1 = output file, $2 = pairs,
# $3, $4 = label=command for A and B.  Odd pairs run A B, even pairs B A.
run_pairs() {
	local out=$1 n=$2 a=$3 b=$4 i first second lbl cmd t0 t1
	: >"$out"
	for i in $(seq 1 "$n"); do
		if [ $((i % 2)) -eq 1 ]; then first=$a second=$b; else first=$b second=$a; fi
		for lbl in "$first" "$second"; do
			cmd=${lbl#*=}
			rm -f "$DST"
			sync
			t0=$(now_ns)
			bash -c "$cmd"
			t1=$(now_ns)
			printf '%s %s %s\n' "$i" "${lbl%%=*}" "$((t1 - t0))" >>"$out"
			cmp "$SRC" "$DST" || die "pair $i: ${lbl%%=*}'s copy differs from the source"
		done
	done
}

if [ "$best_qd" = "$def_qd" ] && [ "$(numfmt --from=iec "$best_bs")" = "$def_bs" ]; then
	log "confirm: the sweep's fastest is the default, nothing to confirm"
	: >"$TMP/confirm.txt"
else
	log "confirm: defaults vs sweep-best (-Q $best_qd -B $best_bs), $CONFIRM_PAIRS alternating pairs"
	warm
	run_pairs "$TMP/confirm.txt" "$CONFIRM_PAIRS" \
		"defaults=$(q "$RINGCP") --fsync $(q "$SRC") $(q "$DST")" \
		"best=$(q "$RINGCP") --fsync -Q $best_qd -B $best_bs $(q "$SRC") $(q "$DST")"
fi

# --- 5. ringcp vs cp ----------------------------------------------------------------
log "ringcp vs cp: $PAIRS alternating pairs, destination fsync'd"
warm
run_pairs "$TMP/pairs.txt" "$PAIRS" \
	"ringcp=$(q "$RINGCP") --fsync $(q "$SRC") $(q "$DST")" \
	"cp=cp --reflink=never $(q "$SRC") $(q "$DST") && sync $(q "$DST")"
{
	echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)"
	# The source must have stayed in the page cache throughout.
	echo "src_cached_bytes_end=$(fincore -b -n -o RES "$SRC")"
} >>"$TMP/env.sh"

# --- 6. assemble the JSON and print the summary ---------------------------------------
cmd_line="cd $(q "$repo") && scripts/measure-single-file.sh"
[ "$WORKDIR" = /var/tmp/ringcp-measure ] || cmd_line="cd $(q "$repo") && WORKDIR=$(q "$WORKDIR") scripts/measure-single-file.sh"
"$PY" - "$TMP" "$OUT" "$FIO_ROUNDS" "$SRC_SIZE" "$SWEEP_ROUNDS" "$SWEEP_RUNS" "$cmd_line" \
	"$(q "$RINGCP") --fsync -Q {qd} -B {bs} SRC DST" "$QDS" "$BSS" <<'EOF'
import json, os, statistics as st, sys

tmp, out, fio_rounds, size, rounds, sweep_runs, cmd_line, sweep_cmd, qds, bss = sys.argv[1:]
fio_rounds, size, rounds, sweep_runs = int(fio_rounds), int(size), int(rounds), int(sweep_runs)
MiB = 1024 * 1024

def bytes_of(s):
    mult = {"K": 1024, "M": MiB, "G": 1024 * MiB}
    return int(s[:-1]) * mult[s[-1].upper()] if s[-1].upper() in mult else int(s)

env = {}
for line in open(os.path.join(tmp, "env.sh")):
    k, _, v = line.rstrip("\n").partition("=")
    env[k] = v
for k in ("nproc", "mem_total_bytes", "default_qd", "default_bs_bytes",
          "sweep_wall_ns", "src_cached_bytes_end"):
    env[k] = int(env[k])
sweep_wall_ns = env.pop("sweep_wall_ns")
env["command"] = cmd_line
env["src_size_bytes"] = size
env["git_dirty_means"] = "binary built from a working tree whose tracked files differ from HEAD"

# fio
fio = {"command": "fio --name=ceiling --filename=$WORKDIR/fio.tmp --size=2G "
       "--rw={write,read} --bs=1M --iodepth=32 --ioengine=io_uring "
       "--direct=1 --output-format=json", "rounds": fio_rounds}
for rw in ("write", "read"):
    jobs, bws = [], []
    for r in range(1, fio_rounds + 1):
        d = json.load(open(os.path.join(tmp, f"fio-{rw}-{r}.json")))
        job = d["jobs"][0]
        jobs.append(job)
        bws.append(job[rw]["bw_bytes"])
    fio[rw] = {"bw_bytes": int(st.median(bws)), "bw_bytes_rounds": bws,
               "fio_version": d.get("fio version"), "jobs": jobs}

# sweep
def ns(x):
    return int(round(x * 1e9))

# Pool each combination's runs over the rounds (hyperfine's user and
# system are means per round, each over the same number of runs).
pool = {}
for rnd in range(1, rounds + 1):
    for r in json.load(open(os.path.join(tmp, f"sweep-{rnd}.json")))["results"]:
        key = (int(r["parameters"]["qd"]), r["parameters"]["bs"])
        e = pool.setdefault(key, {"times": [], "round_medians": [], "user": [], "system": []})
        e["times"] += r["times"]
        e["round_medians"].append(r["median"])
        e["user"].append(r["user"])
        e["system"].append(r["system"])
combos = []
for (qd, bs), e in sorted(pool.items(), key=lambda kv: (kv[0][0], bytes_of(kv[0][1]))):
    t = e["times"]
    combos.append({
        "qd": qd, "bs": bs, "bs_bytes": bytes_of(bs), "runs": len(t),
        "median_ns": ns(st.median(t)), "mean_ns": ns(st.mean(t)),
        "stddev_ns": ns(st.stdev(t) if len(t) > 1 else 0.0),
        "min_ns": ns(min(t)), "max_ns": ns(max(t)),
        "round_medians_ns": [ns(m) for m in e["round_medians"]],
        "user_mean_ns": ns(st.mean(e["user"])),
        "system_mean_ns": ns(st.mean(e["system"])),
        "times_ns": [ns(x) for x in t],
        "bw_bytes": int(size / st.median(t)),
    })
ranked = sorted(combos, key=lambda c: c["median_ns"])
best = ranked[0]
# None when the grid (QDS x BSS) leaves the default out.
dflt = next((c for c in combos if c["qd"] == env["default_qd"]
             and c["bs_bytes"] == env["default_bs_bytes"]), None)
near = [c for c in ranked if c["median_ns"] <= best["median_ns"] * 1.05]
# Among combinations within 5% of the best, the one pinning least memory.
frugal = min(near, key=lambda c: (c["qd"] * c["bs_bytes"], c["median_ns"]))

def pairs_of(path):
    rows = [l.split() for l in open(path) if l.strip()]
    by = {}
    for i, lbl, t in rows:
        by.setdefault(int(i), {})[lbl] = int(t)
    return [dict(pair=i, **v) for i, v in sorted(by.items())]

def summarize(pairs, a, b):
    ratios = [p[a] / p[b] for p in pairs]
    return {
        "count": len(pairs),
        f"{a}_median_ns": int(st.median(p[a] for p in pairs)),
        f"{b}_median_ns": int(st.median(p[b] for p in pairs)),
        f"ratio_{a}_over_{b}_median": round(st.median(ratios), 4),
        f"ratio_{a}_over_{b}_min": round(min(ratios), 4),
        f"ratio_{a}_over_{b}_max": round(max(ratios), 4),
        # The same, split by order: carry-over from the previous copy
        # (where ext4 puts the next file, what the disk does with the
        # blocks just freed) shows up here, and alternation balances it.
        f"ratio_{a}_over_{b}_median_{a}_first": round(st.median(ratios[0::2]), 4),
        f"ratio_{a}_over_{b}_median_{b}_first": round(st.median(ratios[1::2]), 4),
        "order": "odd pairs run %s first, even pairs %s first" % (a, b),
        "runs": [dict(p, ratio=round(p[a] / p[b], 4)) for p in pairs],
    }

confirm_rows = pairs_of(os.path.join(tmp, "confirm.txt"))
confirm = ({"best_qd": best["qd"], "best_bs": best["bs"],
            **summarize(confirm_rows, "defaults", "best")}
           if confirm_rows else {"note": "the sweep's fastest is the default"})

sweep = {
    "command": "hyperfine --warmup 1 --runs %d --prepare 'rm -f DST; sync' "
               "-L qd %s -L bs %s '%s'" % (sweep_runs, qds, bss, sweep_cmd),
    "rounds": rounds,
    "rounds_note": "the command run %d times, even rounds with both lists "
                   "reversed; statistics over the pooled runs" % rounds,
    "runs_per_combo": rounds * sweep_runs, "warmup_per_round": 1,
    "source": "warm (page cache)",
    "destination": "same filesystem, fsync'd (ringcp --fsync)",
    "wall_ns": sweep_wall_ns,
    "default": dflt and {"qd": dflt["qd"], "bs": dflt["bs"],
                         "median_ns": dflt["median_ns"]},
    "best": {"qd": best["qd"], "bs": best["bs"], "median_ns": best["median_ns"]},
    "ratio_default_over_best_median":
        dflt and round(dflt["median_ns"] / best["median_ns"], 4),
    "default_rank": dflt and ranked.index(dflt) + 1,
    "fastest": [{"qd": c["qd"], "bs": c["bs"], "median_ns": c["median_ns"],
                 "ratio_over_best": round(c["median_ns"] / best["median_ns"], 4)}
                for c in ranked[:5]],
    "within_5pct_of_best": [f'{c["qd"]}x{c["bs"]}' for c in near],
    "least_memory_within_5pct": {"qd": frugal["qd"], "bs": frugal["bs"],
                                 "median_ns": frugal["median_ns"]},
    "confirm_defaults_vs_best": confirm,
    "combos": combos,
}

pairs = {
    "ringcp_command": "ringcp --fsync SRC DST",
    "cp_command": "cp --reflink=never SRC DST && sync DST",
    "untimed_before_each_run": "rm -f DST; sync",
    "timer": "bash $EPOCHREALTIME around `bash -c CMD`",
    **summarize(pairs_of(os.path.join(tmp, "pairs.txt")), "ringcp", "cp"),
}

doc = {"env": env, "fio": fio, "sweep": sweep, "pairs": pairs}
with open(out + ".tmp", "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
os.replace(out + ".tmp", out)

# summary
s = lambda n: "%.3f" % (n / 1e9)
print(f"\nringcp single-file measurement, {env['date_utc']}, {env['hostname']}, "
      f"kernel {env['kernel']}, {env['nproc']} CPUs, {env['fs_type_mount']} on "
      f"{env['fs_source']}, commit {env['git_commit'][:12]}")
print("fio ceilings (O_DIRECT, 1M, iodepth 32, median of %d): write %.0f MiB/s, "
      "read %.0f MiB/s" % (fio_rounds, fio["write"]["bw_bytes"] / MiB,
                           fio["read"]["bw_bytes"] / MiB))
qlist = sorted({c["qd"] for c in combos})
blist = sorted({c["bs_bytes"] for c in combos})
bname = {c["bs_bytes"]: c["bs"] for c in combos}
cell = {(c["qd"], c["bs_bytes"]): c for c in combos}
def table(key, title):
    print(f"\nsweep: {title} seconds of {rounds}x{sweep_runs} runs, ringcp --fsync, "
          f"1 GiB warm source ({sweep_wall_ns / 60e9:.1f} min)")
    print("  qd \\ bs " + "".join("%9s" % bname[b] for b in blist))
    for qd in qlist:
        print("  %7d " % qd + "".join(
            "%9s" % (s(cell[(qd, b)][key]) + ("*" if cell[(qd, b)] is dflt else " "))
            if (qd, b) in cell else "%9s" % "-" for b in blist))
    print("  (* = current default)")
table("median_ns", "median")
table("min_ns", "fastest (min)")
print("fastest: " + ", ".join(f'Q{c["qd"]} B{c["bs"]} {s(c["median_ns"])}s' for c in ranked[:5]))
if dflt:
    print(f'default Q{dflt["qd"]} B{dflt["bs"]}: rank {sweep["default_rank"]}/{len(combos)}, '
          f'{sweep["ratio_default_over_best_median"]:.3f}x the best median')
else:
    print("default not in the grid")
print(f'within 5% of best: {", ".join(sweep["within_5pct_of_best"])}; least memory '
      f'among them: Q{frugal["qd"]} B{frugal["bs"]}')
if confirm_rows:
    c = confirm
    print(f'confirm, {c["count"]} alternating pairs: defaults/best(Q{c["best_qd"]} B{c["best_bs"]}) '
          f'median ratio {c["ratio_defaults_over_best_median"]:.3f} '
          f'(min {c["ratio_defaults_over_best_min"]:.3f}, max {c["ratio_defaults_over_best_max"]:.3f}; '
          f'{c["ratio_defaults_over_best_median_defaults_first"]:.3f} when defaults ran first, '
          f'{c["ratio_defaults_over_best_median_best_first"]:.3f} when best did)')
p = pairs
print(f'\nringcp vs cp, {p["count"]} alternating pairs: ringcp median {s(p["ringcp_median_ns"])}s, '
      f'cp median {s(p["cp_median_ns"])}s, ratio ringcp/cp median {p["ratio_ringcp_over_cp_median"]:.3f} '
      f'(min {p["ratio_ringcp_over_cp_min"]:.3f}, max {p["ratio_ringcp_over_cp_max"]:.3f}; '
      f'{p["ratio_ringcp_over_cp_median_ringcp_first"]:.3f} when ringcp ran first, '
      f'{p["ratio_ringcp_over_cp_median_cp_first"]:.3f} when cp did)')
print(f"\nwrote {out}\nreproduce: {cmd_line}")
EOF
