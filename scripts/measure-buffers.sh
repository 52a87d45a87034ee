#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# measure-buffers.sh: the four buffer strategies (heap, pool, fixed, ring)
# side by side in one run, on the same machine, in alternating order.
#
# Datasets (made once in WORKDIR, page-cached before the runs):
#   big   one file of BIG_SIZE bytes [1 GiB] of random data;
#   many  MANY_FILES files [2000], sizes spread over 1 B .. 256 KiB
#         (pseudo-random, seeded, mean about 128 KiB).
# Until tree copy lands, both are copied with single-file copies: the
# driver tools/bufcopy (build/gcc/tools/bufcopy) copies each file exactly
# as `ringcp SRC DST` does (rc_copy_file: temporary name, rename), all on
# one ring in one process, with --buffers=STRATEGY, ringcp's default queue
# depth and block size, and the strategy sized as ringcp sizes it
# (queue-depth buffers of block-size bytes).  No fsync: the copies run
# from and into the page cache, which is where the strategies differ.
# DST_PARENT [WORKDIR] is where the copies go: /dev/shm (tmpfs) takes the
# disk's writeback of the previous runs' dirty pages out of the timings.
# On a machine others use at the same time, look at the per-run times in
# OUT before trusting a ratio: medians of few runs do not outvote load.
#
# Per run: wall time (in-process, ring setup to teardown, and the whole
# process with /usr/bin/time), peak RSS (/usr/bin/time %M), and the
# engine's counters: buffers_allocated (allocator calls: malloc, or one
# region for fixed/ring), records_allocated, ops submitted.  ROUNDS rounds
# [5]; each round runs every strategy once, the order rotated every round
# and reversed every other one, so no strategy always follows another.
# Medians per strategy and dataset, ratios to heap.  Writes OUT
# [<repo>/results/buffers.json] with the machine, kernel and versions.
#
#   scripts/measure-buffers.sh          (root not needed; ~4 GiB free)
#   BIG_SIZE=$((256<<20)) MANY_FILES=500 ROUNDS=3 scripts/measure-buffers.sh
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "$0")/.." && pwd)
WORKDIR=${WORKDIR:-/var/tmp/ringcp-buffers}
OUT=${OUT:-$repo/results/buffers.json}
BIG_SIZE=${BIG_SIZE:-$((1024 * 1024 * 1024))}
MANY_FILES=${MANY_FILES:-2000}
ROUNDS=${ROUNDS:-5}
STRATEGIES=${STRATEGIES:-"heap pool fixed ring"}
BUFCOPY=${BUFCOPY:-$repo/build/gcc/tools/bufcopy}
PY=/usr/bin/python3

die() { echo "measure-buffers: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[ -x /usr/bin/time ] || die "/usr/bin/time not found (scripts/deps.sh installs 'time')"
if [ ! -x "$BUFCOPY" ] || [ "${BUILD:-1}" = 1 ]; then
	make -s -C "$repo" --no-print-directory variant VARIANT=gcc >/dev/null ||
		die "build failed"
fi
mkdir -p "$WORKDIR" "$(dirname "$OUT")"
WORKDIR=$(cd "$WORKDIR" && pwd -P)
exec 9>"$WORKDIR/.lock"
flock -n 9 || die "another measurement is running in $WORKDIR"
TMP=$(mktemp -d "$WORKDIR/run.XXXXXX")
DST_DIR=$(mktemp -d "${DST_PARENT:-$WORKDIR}/dst.XXXXXX")
trap 'rm -rf "$TMP" "$DST_DIR"' EXIT

big=$WORKDIR/big-$BIG_SIZE.bin
if [ ! -f "$big" ] || [ "$(stat -c %s "$big")" != "$BIG_SIZE" ]; then
	log "making the big file ($BIG_SIZE bytes)"
	head -c "$BIG_SIZE" /dev/urandom >"$big.tmp" && mv "$big.tmp" "$big"
fi
many=$WORKDIR/many-$MANY_FILES
if [ ! -f "$many/.done" ]; then
	log "making $MANY_FILES files"
	rm -rf "$many"
	mkdir -p "$many"
	"$PY" - "$many" "$MANY_FILES" <<'PYEOF'
import os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261126)
blob = os.urandom(256 * 1024)
for i in range(n):
    size = rng.randint(1, 256 * 1024)
    with open(os.path.join(d, f"f{i:06d}"), "wb") as f:
        f.write(blob[:size])
open(os.path.join(d, ".done"), "w").close()
PYEOF
fi
# warm the page cache: every run reads from memory
cat "$big" >/dev/null
cat "$many"/f* >/dev/null

read -ra strats <<<"$STRATEGIES"
ns=${#strats[@]}
run() {	# dataset strategy round
	local set=$1 b=$2 r=$3 dst=$DST_DIR/dst
	rm -rf "$dst"
	mkdir "$dst"
	if [ "$set" = big ]; then
		set -- "$big"
	else
		set -- "$many"/f*
	fi
	/usr/bin/time -f '{"wall_s": %e, "max_rss_kib": %M}' \
		-o "$TMP/time-$set-$b-$r.json" \
		"$BUFCOPY" --buffers="$b" "$dst" "$@" \
		>"$TMP/run-$set-$b-$r.json" || die "$set copy with $b failed"
	rm -rf "$dst"
}
for ((r = 0; r < ROUNDS; r++)); do
	order=()
	for ((i = 0; i < ns; i++)); do
		order+=("${strats[$(((i + r) % ns))]}")
	done
	if ((r % 2)); then	# reversed every other round
		for ((i = 0; i < ns / 2; i++)); do
			t=${order[$i]}
			order[$i]=${order[$((ns - 1 - i))]}
			order[$((ns - 1 - i))]=$t
		done
	fi
	log "round $((r + 1))/$ROUNDS: ${order[*]}"
	for set in big many; do
		for b in "${order[@]}"; do
			run "$set" "$b" "$r"
		done
	done
done

DST_DIR=$DST_DIR "$PY" - "$TMP" "$OUT" "$ROUNDS" "$BIG_SIZE" "$MANY_FILES" "$STRATEGIES" \
	"$repo" <<'PYEOF'
import json, os, platform, statistics as st, subprocess, sys, time
tmp, out, rounds, big_size, many_files, strategies, repo = sys.argv[1:8]
rounds = int(rounds)
strategies = strategies.split()

def sh(cmd):
    try:
        r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
        return r.stdout.strip().splitlines()[0] if r.stdout.strip() else ""
    except OSError:
        return ""

doc = {
    "what": "buffer strategies side by side: single-file copies "
            "(rc_copy_file, as ringcp SRC DST) of one big file and of "
            "many files, one ring per process, page cache warm, no fsync",
    "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "env": {
        "host": platform.node(),
        "kernel": platform.release(),
        "cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"),
        "cpus": os.cpu_count(),
        "mem_total_kib": int(sh("grep MemTotal /proc/meminfo | awk '{print $2}'") or 0),
        "filesystem": sh(f"findmnt -n -o FSTYPE,SOURCE --target {tmp}"),
        "gcc": sh("gcc --version"),
        "liburing": sh("dpkg-query -W -f='${Version}' liburing-dev"),
        "git_commit": sh(f"git -C {repo} rev-parse HEAD"),
        "git_dirty": bool(sh(f"git -C {repo} status --porcelain")),
    },
    "params": {"rounds": rounds, "big_size_bytes": int(big_size),
               "dst_filesystem": sh(f"findmnt -n -o FSTYPE --target {os.environ.get('DST_DIR', tmp)}"),
               "loadavg_at_end": open("/proc/loadavg").read().split()[:3],
               "many_files": int(many_files),
               "queue_depth": 8, "block_size_bytes": 256 * 1024,
               "order": "rotated every round, reversed every other round"},
    "datasets": {},
}
for dataset in ("big", "many"):
    res = {}
    for b in strategies:
        runs = []
        for r in range(rounds):
            rec = json.load(open(os.path.join(tmp, f"run-{dataset}-{b}-{r}.json")))
            tm = json.load(open(os.path.join(tmp, f"time-{dataset}-{b}-{r}.json")))
            rec.update(tm)
            runs.append(rec)
        med_ns = st.median(x["elapsed_ns"] for x in runs)
        nbytes = runs[0]["bytes"]
        ops = runs[0]["ops"]
        res[b] = {
            "elapsed_ns_median": int(med_ns),
            "process_wall_s_median": st.median(x["wall_s"] for x in runs),
            "bw_bytes_median": nbytes / (med_ns / 1e9),
            "max_rss_kib_median": st.median(x["max_rss_kib"] for x in runs),
            "bytes": nbytes,
            "files": runs[0]["files"],
            "ops": ops,
            "buffers_allocated": runs[0]["buffers_allocated"],
            "records_allocated": runs[0]["records_allocated"],
            "buffers_allocated_per_op": runs[0]["buffers_allocated"] / ops,
            "records_allocated_per_op": runs[0]["records_allocated"] / ops,
            "buf_gets": runs[0]["buf_gets"],
            "reads_fixed": runs[0]["reads_fixed"],
            "writes_fixed": runs[0]["writes_fixed"],
            "reads_selected": runs[0]["reads_selected"],
            "reads_nobufs": runs[0]["reads_nobufs"],
            "runs": runs,
        }
    base = res.get("heap", next(iter(res.values())))
    for b, v in res.items():
        v["time_ratio_to_heap"] = v["elapsed_ns_median"] / base["elapsed_ns_median"]
        v["rss_ratio_to_heap"] = v["max_rss_kib_median"] / base["max_rss_kib_median"]
    doc["datasets"][dataset] = res
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
for dataset, res in doc["datasets"].items():
    print(f"{dataset}: {next(iter(res.values()))['files']} file(s), "
          f"{next(iter(res.values()))['bytes']} bytes, {rounds} rounds")
    print(f"  {'strategy':8} {'median s':>9} {'MB/s':>8} {'x heap':>7} "
          f"{'allocs/op':>10} {'peak RSS KiB':>13}")
    for b, v in res.items():
        print(f"  {b:8} {v['elapsed_ns_median'] / 1e9:9.3f} "
              f"{v['bw_bytes_median'] / 1e6:8.0f} "
              f"{v['time_ratio_to_heap']:7.2f} "
              f"{v['buffers_allocated_per_op']:10.4f} "
              f"{v['max_rss_kib_median']:13.0f}")
print(f"written to {out}")
PYEOF
