#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# fio.sh: the device's ceilings on the bench filesystem, the limits the
# copies are compared with: sequential O_DIRECT write then read, io_uring,
# iodepth 32, 1 MiB blocks (lib.sh's fio_ceiling), ROUNDS times; the
# medians and every round's figure go to OUT_JSON with the run's env.
#
#   scripts/bench/fio.sh ENV_JSON BENCH_DIR OUT_JSON ROUNDS SIZE
set -euo pipefail
TAG=fio
. "$(dirname "$0")/lib.sh"

[ $# -eq 5 ] || die "usage: fio.sh ENV_JSON BENCH_DIR OUT_JSON ROUNDS SIZE"
env_json=$1 dir=$2 out=$3 rounds=$4 size=$5
command -v fio >/dev/null || die "fio not found (scripts/deps.sh installs it)"

tmp=$(mktemp -d "$dir/fio.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for r in $(seq 1 "$rounds"); do
	log "fio round $r/$rounds: sequential write then read of $size, O_DIRECT, QD 32, 1M"
	rm -f "$tmp/fio.dat"
	sync
	fio_ceiling "$tmp/fio.dat" write "$tmp/write-$r.json" "$size"
	fio_ceiling "$tmp/fio.dat" read "$tmp/read-$r.json" "$size"
done

/usr/bin/python3 - "$env_json" "$tmp" "$rounds" "$size" "$out" <<'PY'
import json, os, statistics, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[0])))
env_json, tmp, rounds, size, out = sys.argv[1:]
doc = {"env": json.load(open(env_json)), "rounds": int(rounds), "size": size,
       "command": "fio --name=ceiling --filename=BENCH_DIR/fio.dat --size=%s "
                  "--rw={write,read} --bs=1M --iodepth=32 --ioengine=io_uring "
                  "--direct=1 --output-format=json" % size}
for rw in ("write", "read"):
    bws = [json.load(open(os.path.join(tmp, f"{rw}-{r}.json")))["jobs"][0][rw]["bw_bytes"]
           for r in range(1, int(rounds) + 1)]
    doc[rw] = {"bw_bytes": statistics.median(bws), "bw_bytes_rounds": bws,
               "mib_per_s": statistics.median(bws) / 2**20}
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
PY
