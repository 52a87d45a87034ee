# SPDX-License-Identifier: MIT
"""The device's ceilings on the bench filesystem, the limits the copies are
compared with: sequential O_DIRECT write then read, io_uring, iodepth 32,
1 MiB blocks, ROUNDS times; the medians and every round's figure go to
OUT_JSON with the run's env.

usage: python3 -m ringcp_tools.fio ENV_JSON BENCH_DIR OUT_JSON ROUNDS SIZE
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from .common import die, dump, load, log

TAG = "fio"


def ceiling(path, rw, out, size="2G"):
    """fio sequential RW (write|read) of PATH (SIZE, a fio size), O_DIRECT,
    io_uring, iodepth 32, 1 MiB blocks; its JSON output into OUT."""
    subprocess.run(["fio", "--name=ceiling", f"--filename={path}",
                    f"--size={size}", f"--rw={rw}", "--bs=1M", "--iodepth=32",
                    "--ioengine=io_uring", "--direct=1", "--output-format=json",
                    f"--output={out}"], stdout=subprocess.DEVNULL, check=True)


def rounds(work, n, size, name="fio.dat"):
    """N rounds of a write then a read ceiling of WORK/NAME (removed and
    synced before each round, and at the end); {rw: [fio JSON of each
    round]}."""
    path = os.path.join(work, name)
    runs = {"write": [], "read": []}
    for r in range(1, n + 1):
        log(f"fio round {r}/{n}: sequential write then read of {size}, "
            "O_DIRECT, QD 32, 1M")
        if os.path.exists(path):
            os.unlink(path)
        os.sync()
        for rw in ("write", "read"):
            out = os.path.join(work, f"{rw}-{r}.json")
            ceiling(path, rw, out, size)
            runs[rw].append(load(out))
    if os.path.exists(path):
        os.unlink(path)
    return runs


def main():
    if len(sys.argv) != 6:
        die(TAG, "usage: fio ENV_JSON BENCH_DIR OUT_JSON ROUNDS SIZE")
    env_json, bench_dir, out, n, size = sys.argv[1:]
    if not shutil.which("fio"):
        die(TAG, "fio not found (scripts/deps.sh installs it)")
    tmp = tempfile.mkdtemp(prefix="fio.", dir=bench_dir)
    try:
        runs = rounds(tmp, int(n), size)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    doc = {"env": load(env_json), "rounds": int(n), "size": size,
           "command": "fio --name=ceiling --filename=BENCH_DIR/fio.dat --size=%s "
                      "--rw={write,read} --bs=1M --iodepth=32 --ioengine=io_uring "
                      "--direct=1 --output-format=json" % size}
    for rw in ("write", "read"):
        bws = [d["jobs"][0][rw]["bw_bytes"] for d in runs[rw]]
        doc[rw] = {"bw_bytes": statistics.median(bws), "bw_bytes_rounds": bws,
                   "mib_per_s": statistics.median(bws) / 2**20}
    dump(doc, out)


if __name__ == "__main__":
    main()
