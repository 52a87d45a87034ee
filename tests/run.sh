#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Run every test program (build/<variant>/tests/*) and every shell test
# (tests/*.sh) for each build directory given, with a per-program timeout.
# Each prints TAP; this counts the lines and ends with
#   N passed, N failed, N skipped
# Exit 0 only if nothing failed and something ran.
#
#   tests/run.sh build/gcc [build/asan ...]
set -u
cd "$(dirname "$0")/.." || exit 1

TIMEOUT=${TEST_TIMEOUT:-600}
# Sanitizer reports must fail loudly and never look like a ringcp exit code
# (LeakSanitizer's default exit code 23 is ringcp's "not copied").
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}
export LSAN_OPTIONS=${LSAN_OPTIONS:-exitcode=87}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:exitcode=88}
pass=0 fail=0 skip=0
failed_names=()

# timeout_of FILE: a test's own bound ("# Timeout: SECONDS" in its
# header: the quick safety check runs ~10 minutes by design), else TIMEOUT
timeout_of() {
	local t
	t=$(sed -n 's/^# Timeout: \([0-9][0-9]*\)$/\1/p;10q' "$1" 2>/dev/null)
	if [ -n "$t" ] && [ "$t" -gt "$TIMEOUT" ]; then echo "$t"; else echo "$TIMEOUT"; fi
}

run_one() {	# variant, name, command...
	local variant=$1 name=$2 out rc line to
	shift 2
	out=$(mktemp)
	local t0=$SECONDS
	to=$(timeout_of "${@: -1}")
	timeout --kill-after=10 "$to" "$@" >"$out" 2>&1
	rc=$?
	local p=0 f=0 s=0
	while IFS= read -r line; do
		case "$line" in
		"ok "*"# SKIP"*) s=$((s + 1)) ;;
		"ok "*) p=$((p + 1)) ;;
		"not ok "*) f=$((f + 1)); failed_names+=("$variant/$name: ${line#not ok }") ;;
		esac
	done <"$out"
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		f=$((f + 1)); failed_names+=("$variant/$name: timed out after ${to}s")
	elif [ $rc -ne 0 ] && [ $f -eq 0 ]; then
		f=$((f + 1)); failed_names+=("$variant/$name: exit $rc with no failing test line")
	elif [ $((p + f + s)) -eq 0 ]; then
		f=$((f + 1)); failed_names+=("$variant/$name: ran no test")
	fi
	printf '%-8s %-28s %3d passed %3d failed %3d skipped  %4ds\n' \
		"$variant" "$name" $p $f $s $((SECONDS - t0))
	if [ $f -gt 0 ] || [ -n "${VERBOSE:-}" ]; then
		sed 's/^/    | /' "$out"
	fi
	rm -f "$out"
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

for build in "$@"; do
	variant=$(basename "$build")
	export RINGCP=$PWD/$build/ringcp
	for t in "$build"/tests/*; do
		[ -x "$t" ] && [ -f "$t" ] || continue
		run_one "$variant" "$(basename "$t")" "$t"
	done
	for t in tests/*.sh; do
		[ -f "$t" ] || continue
		case "$(basename "$t")" in lib.sh|run.sh) continue ;; esac
		run_one "$variant" "$(basename "$t")" bash "$t"
	done
done

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "Failed:"
	printf '  %s\n' "${failed_names[@]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] && [ $((pass + skip)) -gt 0 ]
