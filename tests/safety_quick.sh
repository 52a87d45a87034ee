#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: the quick safety check (scripts/safety-check.sh): every
# scenario under ASan/UBSan, every mutant caught, the valgrind set clean,
# every state covered, >= 100,000 random cancellations.  Runs once, for the
# asan variant; its verdict goes to $SAFETY_JSON (build/safety.json in
# make check, so the published results/safety.json stays as committed);
# without the model check and the conformance pass (MODEL=0).
# Timeout: 1800
set -u
. "$(dirname "$0")/lib.sh"

test_quick_safety_check()
{
	local top json
	top=$(cd "$(dirname "$RINGCP")/../.." && pwd)
	json=${SAFETY_JSON:-$top/build/safety.json}
	case $json in /*) ;; *) json=$top/$json ;; esac
	# the model check and the traces' conformance are make model-check's
	# and the full make safety-check's (tests/model_smoke.sh is CI's)
	(cd "$top" && MODEL=0 SAFETY_JSON=$json scripts/safety-check.sh) \
		>out.txt 2>&1
	local rc=$?
	sed -n '/=== safety-check verdict/,$p' out.txt | sed 's/^/# /'
	[ $rc -eq 0 ] || { fail "safety-check exited $rc"; tail -30 out.txt | sed 's/^/# /'; }
	grep -q '"verdict": "pass"' "$json" || fail "$json does not say pass"
}

main()
{
	t_init
	if [ "$(basename "$(dirname "$RINGCP")")" = asan ]; then
		t_add "quick safety check passes" test_quick_safety_check
	else
		t_add "quick safety check passes" t_skip "runs once, with the asan variant"
	fi
	t_run_all
}

main "$@"
