#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: the layer check (ringcp_tools.layers, run by make check)
# passes on the tree as it is, and fails on each kind of breach, made on
# purpose in a copy: an engine layer calling the one above it, two files
# of a layer calling each other, the command using an engine function the
# public headers do not declare, and a private header included outside
# the engine.
#
#   RINGCP=build/<variant>/ringcp bash tests/layers.sh
set -u
. "$(dirname "$0")/lib.sh"

TOP=$(cd "$(dirname "$0")/.." && pwd)
CHECK="env PYTHONPATH=$TOP/scripts /usr/bin/python3 -m ringcp_tools.layers"

# a copy of the build's objects to break
copy_build()
{
	mkdir -p b
	cp -r "$BUILD/prod" "$BUILD/cmd" "$BUILD/harness" b/
}

# fake_obj OUT.o SOURCE: an object compiled from a line of C
fake_obj()
{
	printf '%s\n' "$2" >fake.c
	cc -c -o "$1" fake.c || fail "cannot compile the fake object"
}

test_tree_as_it_is_passes()
{
	rc_run_cmd $CHECK "$BUILD"
	assert_status 0
	assert_contains "verdict" "$RC_OUT" "layers: PASS, 0 breach"
}

test_core_calling_tree_fails()
{
	copy_build
	fake_obj b/prod/core/up.o 'int rc_tree_copy(); int up(void) { return rc_tree_copy(); }'
	rc_run_cmd $CHECK b
	assert_status 1
	assert_contains "breach" "$RC_OUT" "uses rc_tree_copy of engine/tree/tree.c (tree), a layer above"
}

test_circle_in_a_layer_fails()
{
	copy_build
	fake_obj b/prod/copy/ping.o 'int pong(int); int ping(int n) { return n ? pong(n - 1) : 0; }'
	fake_obj b/prod/copy/pong.o 'int ping(int); int pong(int n) { return n ? ping(n - 1) : 1; }'
	rc_run_cmd $CHECK b
	assert_status 1
	assert_contains "circle" "$RC_OUT" "circle: engine/copy/ping.c <-> engine/copy/pong.c"
}

test_command_using_engine_internals_fails()
{
	copy_build
	fake_obj b/cmd/sneak.o 'void rc_ring_fail_chain(void *, void *, int, _Bool); void sneak(void) { rc_ring_fail_chain(0, 0, 0, 0); }'
	rc_run_cmd $CHECK b
	assert_status 1
	assert_contains "breach" "$RC_OUT" "cmd/sneak.o uses rc_ring_fail_chain"
}

test_private_include_outside_engine_fails()
{
	mkdir src
	cp -r "$TOP/include" "$TOP/engine" "$TOP/cmd" "$TOP/harness" \
		"$TOP/scenarios" "$TOP/tests" "$TOP/tools" src/
	printf '#include "core.h"\n' >>src/harness/stall.c
	rc_run_cmd $CHECK --top src "$BUILD"
	assert_status 1
	assert_contains "breach" "$RC_OUT" 'harness/stall.c includes "core.h"'
}

main()
{
	t_init
	BUILD=$(dirname "$RINGCP")
	command -v nm >/dev/null || { echo "1..0 # SKIP no nm"; exit 0; }
	t_add "the tree as it is passes the layer check" test_tree_as_it_is_passes
	t_add "a core file calling the tree layer is caught" test_core_calling_tree_fails
	t_add "two files of a layer calling each other are caught" test_circle_in_a_layer_fails
	t_add "the command using an undeclared engine function is caught" test_command_using_engine_internals_fails
	t_add "a private header included outside the engine is caught" test_private_include_outside_engine_fails
	t_run_all
}

main "$@"
