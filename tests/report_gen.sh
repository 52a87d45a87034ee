#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: ringcp_tools.report writes REPORT.md from the JSON in a
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
	"$PY" "$REPO/tests/report_gen.py" fixture "$1" \
		"$REPO/scripts/ringcp_tools/targets.json"
}

# numbers_check RESULTS REPORT : prints the numbers of REPORT that are not
# numbers of RESULTS' JSON (tests/report_gen.py says how they may differ)
numbers_check()
{
	"$PY" "$REPO/tests/report_gen.py" numbers "$1" "$2"
}

# tool MODULE ARGS... : python3 -m ringcp_tools.MODULE ARGS...
tool()
{
	PYTHONPATH=$REPO/scripts "$PY" -m "ringcp_tools.$1" "${@:2}"
}

test_numbers_from_json()
{
	local bad

	make_fixture res
	tool report res REPORT.md 2>err || {
		fail "report failed"; show_file stderr err; return
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
	tool report res REPORT.md 2>/dev/null ||
		t_abort "report failed"
	assert_contains "not-run row" REPORT.md "not run: ringcp lacks --archive (tree copy)"
	assert_contains "not-run sweep" REPORT.md "Not run: ringcp lacks --archive (tree copy), --files-in-flight."
	assert_contains "many-files verdict" REPORT.md "| not measured |"
	assert_contains "summary written" res/bench/summary.json '"verdict"'
	assert_contains "safety verdict" REPORT.md "**pass**"
	assert_contains "mutant row" REPORT.md "| free_on_cancel | protocol_tour | heap | yes | ledger |"
}

test_matrix_sections()
{
	make_fixture res
	tool report res REPORT.md 2>/dev/null ||
		t_abort "report failed"
	# the headline comes first, one column per filesystem, with intervals
	assert_eq "first section" "## Headline: ringcp against the fastest peer, per dataset and filesystem" \
		"$(grep -m1 '^## ' REPORT.md)"
	assert_contains "headline columns" REPORT.md "| dataset | regime | ext4-journal | xfs |"
	grep -Eq '^\| big \| warm \| \*\*[0-9.]+x\*\* \[[0-9.]+-[0-9.]+\] vs ' REPORT.md ||
		fail "no headline cell with its interval"
	# targets per filesystem, the large-file one by whether cp can clone,
	# each miss by how much
	assert_contains "target on xfs" REPORT.md "| xfs | not met"
	grep -Eq 'ringcp/cp [0-9.]+( \[[0-9.]+-[0-9.]+\])? \(short by [0-9.]+x' REPORT.md ||
		fail "a missed target does not say by how much"
	# a missed speed target says how fast the floor was against that peer
	grep -Eq 'x( \[[0-9.]+-[0-9.]+\])? [a-z]+ \(short by [0-9.]+x; the floor: [0-9.]+x' REPORT.md ||
		fail "a missed speed target does not give the floor's speedup"
	"$PY" - res/bench/summary.json <<-'EOF' || fail "summary.json: wrong large-file target per filesystem"
		import json, sys
		t = {(x["id"], x["fs"]): x for x in json.load(open(sys.argv[1]))["targets"]}
		assert t[("big_file", "ext4-journal")]["target"] == 0.9, t[("big_file", "ext4-journal")]
		assert t[("big_file", "xfs")]["target"] == 1.0, t[("big_file", "xfs")]
		assert all("short_by" in c for x in t.values() for c in x["checks"]
		           if c.get("ok") is False)
	EOF
	# the floor, the rotation and rerun rows, the filesystems' options
	assert_contains "floor" REPORT.md "## How far from the floor"
	grep -Eq '^\| mixed \| rotate \| - \| [0-9.]+x \[' REPORT.md ||
		fail "no floor multiple for the rotation row"
	assert_contains "rotation row" REPORT.md "| xfs | mixed | rotate | ringcp |"
	assert_contains "rerun row" REPORT.md "| xfs | mixed | noop | rsync |"
	assert_contains "mkfs recorded" REPORT.md '`mkfs.xfs -q -f IMAGE`'
	# sections from different commits are said to be
	assert_contains "provenance" REPORT.md "**The sections come from 2 different commits**"
	# coverage: one column per buffer strategy
	assert_contains "coverage per strategy" REPORT.md "| cancel state | dir | heap | ring |"
	assert_contains "a strategy's hits" REPORT.md "| io-wq | read | 2,011 | 1,303 |"
	# the data-path studies, each with the commit it ran on (the clone
	# study's own field, the splice study's env), and one that brings
	# its own table
	assert_contains "clone study" REPORT.md "**Clone (\`--reflink\`)**: \`results/datapath/reflink.json\` (commit f1e2d3c4b5a6;"
	assert_contains "splice study" REPORT.md "\`results/datapath/splice.json\` (commit c0ffee"
	assert_contains "a study's own table" REPORT.md "**Another study**: \`results/datapath/other.json\`"
	grep -Eq '^\| ext4/mib \| [0-9.]+ \| 1.00 \| [0-9.]+ \|$' REPORT.md ||
		fail "no splice row: each path's time over read/write's"
	# a run made in pieces lists them, one commit for all
	assert_contains "pieces" REPORT.md "| xfs | 2031-02-03T05:06:07Z | c0ffee | 121 s |"
	assert_contains "one commit" REPORT.md "| git commit (the code measured) | c0ffee |"
	# the sweeps mark the default
	assert_contains "default marked" REPORT.md "| 8 * | 1M * |"
	# every section of results names the commit they ran on (the
	# fixture's bench ran on c0ffee, its safety check on beef5ca1ab)
	local sec want
	for sec in "Headline" "Filesystems" "Targets" "How far from the floor" \
		"Backup rotation" "Results per filesystem" "ringcp sweeps" "Limits" \
		"System calls" "The cost of safety" "Safety verdict"; do
		want="commit c0ffee"
		[ "$sec" = "Safety verdict" ] && want="commit beef5ca1ab"
		awk -v s="## $sec" 'index($0, s) == 1 { on = 1; next }
			/^## / { on = 0 } on' REPORT.md | grep -q "$want" ||
			fail "section '$sec' does not name its commit ($want)"
	done
}

test_pieces_on_several_commits()
{
	# pieces measured on two commits: each commit named, and whether the
	# ringcp binary was the same; a matrix run short of filesystems says so
	make_fixture res
	PYTHONPATH=$REPO/scripts "$PY" - res <<-'EOF' 2>err || { fail "fixture edit"; show_file stderr err; }
	import glob, json, sys
	res = sys.argv[1]
	p = res + "/bench/env.json"
	e = json.load(open(p))
	e["pieces"][1]["git_commit"] = "d00dad"
	json.dump(e, open(p, "w"))
	for f in glob.glob(res + "/bench/time-xfs-*.json"):
	    g = json.load(open(f))
	    g["env"] = dict(g["env"], git_commit="d00dad", ringcp_sha256="cd" * 32)
	    json.dump(g, open(f, "w"))
	EOF
	tool report res REPORT.md 2>err || { fail "report failed"; show_file stderr err; return; }
	assert_contains "both commits" REPORT.md \
		"| git commit (the code measured) | the pieces differ: c0ffee, d00dad |"
	assert_contains "binaries per filesystem" REPORT.md \
		"| ringcp binary in the timings | differs: sha256 abababababab on ext4-journal; sha256 cdcdcdcdcdcd on xfs |"
	assert_contains "sections name both" REPORT.md "(commit c0ffee, d00dad.)"
	# the fixture's quick mode measures tmpfs, which it lacks
	assert_contains "incomplete run" REPORT.md \
		"**This quick run is not complete.** Filesystems of its matrix not measured yet: tmpfs"
}

test_plots_drawn()
{
	"$PY" -c 'import matplotlib' 2>/dev/null || t_skip "$PY lacks matplotlib"
	make_fixture res
	tool plots res 2>err || { fail "plots failed"; show_file stderr err; }
	for f in headline time-big time-mixed sweep-ext4-journal-qd-bs syscalls \
		safety-coverage safety-cost; do
		[ -s "res/bench/$f.png" ] || fail "plot $f.png not drawn"
	done
}

test_missing_results()
{
	rc_run_cmd env PYTHONPATH="$REPO/scripts" "$PY" -m ringcp_tools.report \
		nothing-here REPORT.md
	assert_status 1
	assert_contains "message" "$RC_ERR" "run make bench first"
	assert_absent REPORT.md
}

test_no_machine_paths()
{
	# the committed results name no path of the machine they came from
	rc_run_cmd env PYTHONPATH="$REPO/scripts" "$PY" -m ringcp_tools.scrub \
		--check "$REPO/results"
	assert_status 0
	assert_empty "machine paths in results/" "$RC_OUT"
	# the check's control: paths of a machine are listed, system ones not
	mkdir -p planted
	printf '{"a": "cp /var/tmp/x/f %s/build/y", "b": ["/usr/include/"]}\n' \
		"$PWD" >planted/r.json
	rc_run_cmd env PYTHONPATH="$REPO/scripts" "$PY" -m ringcp_tools.scrub \
		--check planted
	assert_status 1
	assert_contains "scratch path listed" "$RC_OUT" "/var..."
	local first=${PWD#/}
	assert_contains "checkout path listed" "$RC_OUT" "/${first%%/*}..."
	# and scrub makes the file clean: the checkout relative, scratch named
	local top
	top=$(cd "$REPO" && pwd)
	printf '{"ringcp": "%s/build/gcc/ringcp", "w": "/tmp/q"}\n' "$top" >planted/r.json
	tool scrub planted/r.json || fail "scrub failed"
	assert_contains "checkout made relative" planted/r.json '"build/gcc/ringcp"'
	assert_contains "scratch named" planted/r.json '"$SCRATCH/q"'
}

# target_case CASE : runs targets.check_targets on a hand-made group and
# prints what the check says (tests/report_gen.py targets CASE)
target_case()
{
	PYTHONPATH=$REPO/scripts "$PY" "$REPO/tests/report_gen.py" targets "$1"
}

test_target_rules()
{
	# where cp and ringcp clone, the durable copy writes no data: the clone
	# target is checked, not a rate against fio's write ceiling
	assert_eq "durable where both clone" "clone 1.10 not met" "$(target_case clone)"
	assert_eq "durable where nothing clones" "ceiling 0.45 not met" "$(target_case noclone)"
	# a miss whose rounds reach the target is said to be one
	assert_eq "a miss within the spread" "not met, within the rounds' spread" \
		"$(target_case spread)"
	# and a miss every round agrees on is a plain miss (the control)
	assert_eq "a miss outside the spread" "not met" "$(target_case tight)"
}

# the test needs no ringcp, but lib.sh's runner wants RINGCP set
: "${RINGCP:=/bin/true}"
t_init
t_add "every number in REPORT.md comes from the results' JSON" test_numbers_from_json
t_add "rows not run say why; targets and safety verdict are reported" test_not_run_and_verdicts
t_add "the matrix: headline first, targets per filesystem with misses, floor, rotation, provenance, coverage per strategy" test_matrix_sections
t_add "pieces on several commits: each named, with the binary each measured; a missing filesystem said" test_pieces_on_several_commits
t_add "targets: a durable clone is held to the clone target; a miss within the rounds' spread is said" test_target_rules
t_add "plots draws every plot from the fixture" test_plots_drawn
t_add "report without results fails with a clear message" test_missing_results
t_add "results name no path of the machine they came from" test_no_machine_paths
t_run_all
