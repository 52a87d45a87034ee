#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: the kernel as witness in a scenario run: as root it records
# io_uring's events of the run's rings and says how many; it fails closed
# (a trace buffer too small to hold the run is a violation, never a pass);
# RH_WITNESS=0 turns it off with the reason in the summary and the record.
#
#   RINGCP=build/<variant>/ringcp bash tests/witness.sh
set -u
. "$(dirname "$0")/lib.sh"

SCEN=

# json_num FILE KEY: the number after "KEY": in FILE (its first)
json_num()
{
	grep -oE "\"$2\": [0-9]+" "$1" | head -n 1 | grep -oE '[0-9]+$'
}

test_witness_records_the_runs_events()
{
	[ "$(id -u)" -eq 0 ] || t_skip "the witness needs root (tracefs)"
	rc_run_cmd "$SCEN" --ops=500 --json="$PWD/rec.json"
	assert_status 0
	assert_contains "summary" "$RC_OUT" ", 0 lost"
	local sub comp reaps lost
	grep -q '"state": "on"' rec.json || fail "the record does not say on"
	sub=$(json_num rec.json io_uring_submit_req)
	comp=$(json_num rec.json io_uring_complete)
	reaps=$(json_num rec.json reaps_matched)
	lost=$(json_num rec.json lost)
	[ "${sub:-0}" -ge 500 ] || fail "only ${sub:-no} submissions recorded"
	[ "$comp" = "$sub" ] || fail "$sub submissions, $comp completions"
	[ "$reaps" = "$comp" ] || fail "$comp completions, $reaps reaped"
	[ "$lost" = 0 ] || fail "$lost events lost"
}

test_lost_events_fail_the_run()
{
	[ "$(id -u)" -eq 0 ] || t_skip "the witness needs root (tracefs)"
	RH_WITNESS_BUF_KB=8 RH_WITNESS_DRAIN_MS=0 rc_run_cmd "$SCEN" --ops=3000
	assert_status 1
	assert_contains "violation" "$RC_ERR" "the kernel dropped trace events"
	assert_contains "summary" "$RC_OUT" "witness: "
	# and only that: an incomplete record's other verdicts would be noise
	local others
	others=$(grep '^VIOLATION \[witness\]' <<<"$RC_ERR" |
		grep -vc 'the kernel dropped trace events')
	assert_eq "other witness verdicts on an incomplete record" 0 "$others"
}

test_reader_thread_keeps_up()
{
	[ "$(id -u)" -eq 0 ] || t_skip "the witness needs root (tracefs)"
	# the same small buffer: read once at the end it overflows (the
	# control), drained every 10 ms during the run it loses nothing
	RH_WITNESS_BUF_KB=1024 RH_WITNESS_DRAIN_MS=0 \
		rc_run_cmd "$SCEN" --ops=20000
	assert_status 1
	assert_contains "control: no reader, events lost" "$RC_ERR" \
		"the kernel dropped trace events"
	RH_WITNESS_BUF_KB=1024 RH_WITNESS_DRAIN_MS=10 \
		rc_run_cmd "$SCEN" --ops=20000
	assert_status 0
	assert_contains "reader: none lost" "$RC_OUT" ", 0 lost"
}

test_turned_off_says_so()
{
	RH_WITNESS=0 rc_run_cmd "$SCEN" --ops=200 --json="$PWD/rec.json"
	assert_status 0
	assert_contains "summary" "$RC_OUT" "witness: skip (turned off (RH_WITNESS=0))"
	grep -q '"state": "skip"' rec.json || fail "the record does not say skip"
}

main()
{
	t_init
	SCEN=$(dirname "$RINGCP")/scenarios/cancel_completed
	t_add "the witness records the run's io_uring events, none lost" \
		test_witness_records_the_runs_events
	t_add "events the kernel dropped fail the run (fail closed)" \
		test_lost_events_fail_the_run
	t_add "a reader thread drains the trace buffers during the run" \
		test_reader_thread_keeps_up
	t_add "RH_WITNESS=0 turns it off and says so" test_turned_off_says_so
	t_run_all
}

main "$@"
