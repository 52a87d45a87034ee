#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: make bench's protocol and matrix, without measuring: every
# timed run gets a destination no run used; copies are deleted only when
# space runs short or a group ends, and a deletion of many files on a
# filesystem with a freed-inode window (ext4 without a journal) waits it
# out; the rounds' order puts every command first once; the regimes and
# rows a filesystem cannot have are left out with a reason; the bootstrap
# interval holds the median; the quick plan fits 10 minutes; the floor
# copies a tree byte for byte; the matrix's cleanup leaves no mount and
# no loop device.  Needs /usr/bin/python3 with scipy.
. "$(dirname "$0")/lib.sh"

REPO=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3

# py CODE : run CODE with the bench's package importable; its exit status
py()
{
	PYTHONPATH=$REPO/scripts "$PY" -c "$1" 2>err
}

test_fresh_destinations()
{
	py '
import os, sys, time
from ringcp_tools import timing
fs = {"name": "ext4-nojournal", "settle_after_delete_s": 40}
d = timing.Dest(".", fs)
slept = []
time.sleep = slept.append
a = [d.fresh(300) for _ in range(3)]
d.reclaim(None, "end of group", keep=[a[2]])
b = [d.fresh(10) for _ in range(2)]
names = a + b
assert len(set(names)) == 5, names                  # never the same name
assert [os.path.isdir(p) for p in names] == [False, False, True, True, True]
assert slept == [40], slept                          # 600 files: wait it out
d.reclaim({"bytes": 1, "files": 1}, "space")      # room for it: nothing
assert all(os.path.isdir(p) for p in names[2:])
d.reclaim(None, "end of group")                     # 320 files
d.fs = {"name": "xfs", "settle_after_delete_s": 0}
d.fresh(5000); d.reclaim(None, "end")
assert slept == [40, 40], slept                      # no window on xfs
assert [e["settle_s"] for e in d.events] == [40, 40, 0], d.events
huge = {"bytes": 1 << 60, "files": 1}
d.fresh(1); d.reclaim(huge, "space")               # no room: deleted
assert len(d.events) == 4 and d.live == [], d.events
' || { fail "Dest"; show_file stderr err; }
}

test_rounds_and_rows()
{
	py '
from ringcp_tools import timing
from ringcp_tools.commands import tools
items = list("abcde")
firsts = set()
for r in range(5):
    o = timing.rounds_order(items, r)
    assert sorted(o) == items, o
    firsts.add(o[0])
assert firsts == set(items), firsts
cfg = timing.config("quick")
tree = {"name": "mixed", "kind": "tree"}
big = {"name": "big", "kind": "file"}
assert timing.regimes_for(cfg, tree, {"fstype": "tmpfs"}) == ["warm", "rotate", "noop"]
assert timing.regimes_for(cfg, big, {"fstype": "ext4"}) == ["warm", "durable"]
class R: pass
r = R(); r.env = {"mode": "quick"}
r.fs = {"name": "ext4-journal", "clone_possible": False}
assert "cannot clone" in timing.skip_why(r, "cp-reflink-never", "warm")
r.fs = {"name": "xfs", "clone_possible": True}
assert timing.skip_why(r, "cp-reflink-never", "warm") == ""
assert timing.skip_why(r, "fpsync", "warm") == ""
assert timing.skip_why(r, "fpsync", "cold") != ""
caps = {"archive": True, "hax": True}
names = [t[0] for t in tools(tree, "S", "D", "R", caps, "/bin/true")]
assert names == ["cp", "rsync", "tar", "fpsync", "ringcp", "ringcp-aHAX",
                 "cp-reflink-never", "floor", "floor-rw"], names
' || { fail "rounds and rows"; show_file stderr err; }
}

test_bootstrap_interval()
{
	py '
import statistics
from ringcp_tools.timing import ratio_ci
r = [0.91, 1.02, 0.97, 1.10, 0.95, 0.99, 1.05, 0.93]
lo, hi = ratio_ci(r)
assert lo <= statistics.median(r) <= hi and lo < hi, (lo, hi)
assert ratio_ci(r) == [lo, hi]                       # seeded: the same again
assert ratio_ci([1.0, 2.0]) is None                  # too few rounds
' || { fail "ratio_ci"; show_file stderr err; }
}

test_quick_plan_fits()
{
	py '
from ringcp_tools.plan import plan
for mode, limit in (("quick", 600), ("smoke", 180)):
    p = plan(mode)
    assert p["total_s"] <= limit, (mode, p["total_s"])
    assert p["timed_runs"] > 0
q = plan("quick")
assert q["filesystems"] == ["ext4-journal", "tmpfs"], q["filesystems"]
assert sorted({f for f in plan("full")["filesystems"]}) == sorted(
    ["ext4-journal", "ext4-nojournal", "xfs", "btrfs", "tmpfs"])
' || { fail "plan"; show_file stderr err; }
}

test_engine_option_sweeps()
{
	# a ringcp whose --help reads as ringcp's does (cmd/usage.c)
	cat >fake-ringcp <<-'EOF'
	#!/bin/sh
	cat <<'HELP'
	  -a -r -l -p -t -g -o -D -H -X -A   rsync's archive flags
	  -Q, --queue-depth=N   reads and writes in flight per file (default 8)
	  --data=readwrite|splice|auto  how bytes move: read+write (two copies), or
	                        splice through a pipe (one); auto: splice for files
	                        of 64K to 16M (default readwrite)
	  --reflink[=WHEN]      clone file data (FICLONE), cp's meaning: never,
	                        auto (default, both modes: clone where source and
	                        destination filesystem can, else copy), always
	HELP
	EOF
	chmod +x fake-ringcp
	py '
from ringcp_tools.commands import capabilities
from ringcp_tools import timing
caps = capabilities("./fake-ringcp")
assert caps["reflink"] and caps["data_path"], caps
assert caps["reflink_values"] == ["never", "auto", "always"], caps
assert caps["data_path_values"] == ["readwrite", "splice", "auto"], caps
assert caps["defaults"]["reflink"] == "auto", caps
assert caps["defaults"]["data_path"] == "readwrite", caps
caps["archive"] = True
by = {"big": {"name": "big", "kind": "file", "label": "one large file"},
      "mib": {"name": "mib", "kind": "tree", "label": "files of 1 MiB"}}
cfg = timing.config("quick")
sw = {s[0]: s for s in timing.sweeps_for(cfg, by, caps, False, clones=True)}
assert sorted(sw) == ["data-path-big", "data-path-mib", "reflink-big", "reflink-mib"], sw
assert sw["reflink-big"][3] == [("reflink", "never,auto,always")], sw["reflink-big"]
assert "--data={data_path}" in sw["data-path-mib"][2].format(R="R", S="S", D="D")
assert timing.lacks(caps, *sw["data-path-mib"][4]) == ""
# where nothing can clone, --reflink=always fails by design: not swept
sw = {s[0]: s for s in timing.sweeps_for(cfg, by, caps, False, clones=False)}
assert sw["reflink-mib"][3] == [("reflink", "never,auto")], sw["reflink-mib"]
' || { fail "engine option sweeps"; show_file stderr err; }
}

test_run_in_pieces()
{
	# BENCH_APPEND=1: the sweeps and probes stay with the mode's first
	# filesystem, whichever piece measures it; env.json keeps the other
	# pieces and drops the one measured again
	py '
import json, os
from ringcp_tools import plan, env
os.environ["BENCH_APPEND"] = "1"
def rows(fs):
    os.environ["BENCH_FILESYSTEMS"] = fs
    return [r[2] for r in plan.plan("full")["rows"]]
lead, later = rows("ext4-journal"), rows("xfs")
assert "probes (strace, time)" in lead and "sweep qd-bs" in lead, lead
assert "probes (strace, time)" not in later, later
assert not [r for r in later if r in ("sweep qd-bs", "sweep buffers-big")], later
assert "sweep reflink-big" in later, later          # per filesystem: kept
p = lambda fss: {"filesystems": fss, "wall_s": 1}
json.dump({"mode": "full", "seed": 7, "pieces": [p(["ext4-journal"]), p(["xfs"])]},
          open("env.json", "w"))
assert env.earlier_pieces("env.json", "full", "7") == [p(["ext4-journal"])]
# a whole earlier run keeps the filesystems this piece does not measure
json.dump({"mode": "full", "seed": 7, "pieces": [p(["ext4-journal", "xfs"])]},
          open("env.json", "w"))
assert env.earlier_pieces("env.json", "full", "7") == [p(["ext4-journal"])]
os.environ["BENCH_APPEND"] = "0"
assert env.earlier_pieces("env.json", "full", "7") == []     # a whole run
' || { fail "pieces"; show_file stderr err; }
	# a piece of another mode or seed than the results held: refused,
	# with what is there and what to do
	local m
	for m in "quick 7" "full 8"; do
		rc_run_cmd env PYTHONPATH="$REPO/scripts" BENCH_APPEND=1 \
			BENCH_FILESYSTEMS=xfs "$PY" -c "
from ringcp_tools import env
env.earlier_pieces('env.json', '${m% *}', '${m#* }')"
		assert_status 1
		assert_contains "refusal ($m)" "$RC_ERR" "holds a full run (seed 7)"
		assert_contains "what to do ($m)" "$RC_ERR" "without BENCH_APPEND"
	done
}

test_floor_copies()
{
	local floor=${RINGCP%/ringcp}/tools/floor
	[ -x "$floor" ] || t_skip "no $floor (make)"
	mkdir -p src/a/b dst
	head -c 100000 /dev/urandom >src/a/f1
	head -c 20000000 /dev/urandom >src/big
	: >src/a/b/empty
	ln -s a/f1 src/link
	rc_run_cmd "$floor" src dst
	assert_status 0
	diff -r --no-dereference src dst >/dev/null || fail "floor's copy differs"
	mkdir dst2
	rc_run_cmd "$floor" --rw src dst2
	assert_status 0
	diff -r --no-dereference src dst2 >/dev/null || fail "floor --rw's copy differs"
}

test_matrix_cleanup()
{
	need_root "mounts"
	command -v mkfs.ext4 >/dev/null || t_skip "no mkfs.ext4"
	local root=$PWD/matrix dev
	mkdir -p "$root/tmpfs" "$root/ext4"
	mount -t tmpfs -o size=8m t "$root/tmpfs" || t_abort "mount tmpfs"
	truncate -s 64M "$root/ext4.img"
	mkfs.ext4 -q -F "$root/ext4.img" || t_abort "mkfs"
	dev=$(losetup --find --show "$root/ext4.img") || t_abort "losetup"
	mount "$dev" "$root/ext4" || { losetup -d "$dev"; t_abort "mount"; }
	PYTHONPATH=$REPO/scripts "$PY" -m ringcp_tools.fsmatrix cleanup "$root"
	assert_empty "mounts left" "$(findmnt -rn -o TARGET | grep -F "$root")"
	assert_empty "loop devices left" "$(losetup -nO BACK-FILE | grep -F "$root")"
	assert_absent "$root"
}

: "${RINGCP:=$REPO/build/gcc/ringcp}"
t_init
t_add "every run gets a destination no run used; deletions wait out ext4's window" test_fresh_destinations
t_add "rounds put every command first once; rows a filesystem cannot have are left out" test_rounds_and_rows
t_add "the bootstrap interval holds the median, is seeded, needs 3 rounds" test_bootstrap_interval
t_add "the quick plan fits 10 minutes, smoke 3; full takes every filesystem" test_quick_plan_fits
t_add "the reflink and data-path sweeps run once ringcp --help lists the options" test_engine_option_sweeps
t_add "a run in pieces sweeps on the first filesystem once and keeps the other pieces" test_run_in_pieces
t_add "tools/floor copies a tree byte for byte (copy_file_range and --rw)" test_floor_copies
t_add "fsmatrix cleanup leaves no mount, no loop device, no directory" test_matrix_cleanup
t_run_all
