#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: the production ringcp carries no harness code, no trace hook
# calls and no mutant: its symbols name none of the harness' modules, and a
# mutant switch cannot even be compiled without the trace build.
set -u
. "$(dirname "$0")/lib.sh"

test_no_harness_symbols()
{
	local syms
	command -v nm >/dev/null || t_skip "no nm"
	syms=$(nm "$RINGCP" 2>/dev/null | grep -E ' rh_' || true)
	[ -z "$syms" ] || fail "harness symbols in ringcp: $syms"
	nm "$RINGCP" | grep -q ' T rc_tree_copy' || fail "ringcp has no rc_tree_copy symbol (nm not telling?)"
}

test_mutant_needs_trace_build()
{
	local src=$T_TOP/engine/core/cancel.c
	[ -f "$src" ] || fail "sources not found: $src"
	if cc -D_GNU_SOURCE -I"$T_TOP/include" -I"$T_TOP/engine" \
		-DRC_MUTANT_FREE_ON_CANCEL \
		-c -o /dev/null "$src" 2>err.txt; then
		fail "a mutant compiled without RC_TRACE"
	fi
	assert_contains "compiler error" err.txt "mutants exist only in harness"
}

main()
{
	T_TOP=$(cd "$(dirname "$0")/.." && pwd)
	t_init
	t_add "ringcp has no harness symbols" test_no_harness_symbols
	t_add "a mutant switch refuses to build without RC_TRACE" test_mutant_needs_trace_build
	t_run_all
}

main "$@"
