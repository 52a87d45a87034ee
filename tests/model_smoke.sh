#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: the protocol model's smoke test (make model-check is the
# whole proof, in make safety-check): SPIN proves the safety properties of
# the CORE, LIFE, FD and SPLICE configurations exhaustively and writes
# their transition relation; the
# free_on_cancel model mutant breaks P1 with a readable trail; a real run's
# events (cancel_poll_armed) conform to the relation, and the
# free_on_cancel engine mutant's (copy_chaos) are rejected at the buffer
# it gives back while the kernel may still write it; splice pairs cut in
# flight (protocol_tour's splice-cut) conform, and pipe_reuse_dirty's
# trace is rejected at the lend of a retired pipe (P7).  Runs once, for the
# gcc variant.
set -u
. "$(dirname "$0")/lib.sh"

TOP=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3

# model/check.py narrowed to three safety searches and one mutant, in $T
model_run()
{
	(cd "$TOP" && "$PY" model/check.py --configs CORE,LIFE,FD,SPLICE --safety-only \
		--mutants free_on_cancel --build "$T/model" --trails "$T/trails" \
		--json "$T/model.json") >"$T/check.out" 2>&1
}

test_core_proven_and_mutant_trail()
{
	model_run
	local rc=$?
	sed 's/^/# /' "$T/check.out"
	[ $rc -eq 0 ] || { fail "model/check.py exited $rc"; return; }
	"$PY" - "$T/model.json" <<'EOF' || fail "model.json does not say what it should"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verdict"] == "pass", d["failures"]
assert len(d["configs"]) == 4
for c in d["configs"]:
    s = c["runs"]["safety"]
    assert s["errors"] == 0 and s["complete"] and s["states_stored"] > 1000, s
m = d["mutants"][0]
assert m["caught"] and m["violated"] == "P1", m
assert d["relation"]["op_edges"] > 50, d["relation"]
EOF
	assert_contains "the trail" "$T/trails/free_on_cancel.txt" "PROPERTY P1"
	assert_contains "the trail" "$T/trails/free_on_cancel.txt" "rc_op_cancel"
}

test_real_trace_conforms()
{
	[ -s "$T/model/edges.txt" ] || { fail "no relation (the first test)"; return; }
	(cd "$TOP" && RH_EVENTS="$T/poll.ev" \
		build/gcc/scenarios/cancel_poll_armed --seed=7 --ops=300) \
		>"$T/poll.out" 2>&1 || { fail "cancel_poll_armed failed"; return; }
	"$PY" "$TOP/model/conform.py" --edges "$T/model/edges.txt" \
		"$T/poll.ev" >"$T/conform.out" 2>&1
	local rc=$?
	sed 's/^/# /' "$T/conform.out"
	[ $rc -eq 0 ] || fail "cancel_poll_armed's trace does not conform"
	grep -Eq '^ok .*: [0-9]{4,} events, conforms' "$T/conform.out" ||
		fail "fewer than 1000 events checked"
}

test_mutant_trace_rejected()
{
	[ -s "$T/model/edges.txt" ] || { fail "no relation (the first test)"; return; }
	(cd "$TOP" && RH_EVENTS="$T/mutant.ev" \
		build/gcc/mutants/free_on_cancel/copy_chaos --seed=7 --ops=20) \
		>"$T/mutant.out" 2>&1
	"$PY" "$TOP/model/conform.py" --edges "$T/model/edges.txt" \
		--expect reject "$T/mutant.ev" >"$T/reject.out" 2>&1
	local rc=$?
	sed 's/^/# /' "$T/reject.out"
	[ $rc -eq 0 ] || fail "free_on_cancel's trace was not rejected"
	assert_contains "the verdict" "$T/reject.out" "no step L_BPUT"
}

# protocol_tour's splice-cut (pairs cut in flight, a short splice's lone
# out) conforms; the pipe_reuse_dirty mutant's run is rejected by P7
test_splice_traces()
{
	[ -s "$T/model/edges.txt" ] || { fail "no relation (the first test)"; return; }
	(cd "$TOP" && RH_EVENTS="$T/cut.ev" build/gcc/scenarios/protocol_tour \
		--seed=7 --step=splice-cut) >"$T/cut.out" 2>&1 ||
		{ fail "protocol_tour --step=splice-cut failed"; return; }
	(cd "$TOP" && RH_EVENTS="$T/dirty.ev" \
		build/gcc/mutants/pipe_reuse_dirty/protocol_tour --seed=7 \
		--step=splice-cut) >"$T/dirty.out" 2>&1
	"$PY" "$TOP/model/conform.py" --edges "$T/model/edges.txt" \
		"$T/cut.ev" >"$T/cut-conform.out" 2>&1 ||
		{ sed 's/^/# /' "$T/cut-conform.out"; fail "splice-cut's trace does not conform"; return; }
	grep -q "^PIPE_LEND" "$T/cut.ev" || fail "no pipe step in the trace"
	"$PY" "$TOP/model/conform.py" --edges "$T/model/edges.txt" \
		--expect reject "$T/dirty.ev" >"$T/dirty-conform.out" 2>&1
	local rc=$?
	sed 's/^/# /' "$T/dirty-conform.out"
	[ $rc -eq 0 ] || fail "pipe_reuse_dirty's trace was not rejected"
	assert_contains "the verdict" "$T/dirty-conform.out" "P7"
}

main()
{
	t_init
	T=$T_TMP/model-smoke	# shared by the three tests, gone with T_TMP
	mkdir "$T"
	if [ "$(basename "$(dirname "$RINGCP")")" != gcc ]; then
		t_add "CORE, LIFE, FD, SPLICE proven, mutant trail" t_skip "runs once, with the gcc variant"
	elif ! command -v spin >/dev/null; then
		t_add "CORE, LIFE, FD, SPLICE proven, mutant trail" t_skip "spin missing (scripts/deps.sh installs it)"
	else
		t_add "CORE, LIFE, FD, SPLICE proven, mutant trail" test_core_proven_and_mutant_trail
		t_add "a real trace conforms" test_real_trace_conforms
		t_add "a mutant's trace is rejected" test_mutant_trace_rejected
		t_add "splice pairs conform, a reused retired pipe is rejected" \
			test_splice_traces
	fi
	t_run_all
}

main "$@"
