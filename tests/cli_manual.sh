#!/bin/bash
# SPDX-License-Identifier: MIT
# Description: the documentation tells the truth and fits: --help fits one
# screen (50 lines of at most 80 columns) and points to the man page;
# man/ringcp.1 renders without a warning, documents every long option the
# command accepts (cmd/args.c's table) and every exit code; -h alone is
# the help, as rsync's.
#
# Usage: RINGCP=/abs/path/to/ringcp bash tests/cli_manual.sh

# test functions run through t_add/eval: not unreachable
# shellcheck disable=SC2317
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

MAN=$T_LIBDIR/../man/ringcp.1
ARGS_C=$T_LIBDIR/../cmd/args.c

test_help_fits()
{
	rc_run --help
	assert_status 0
	[ "$(wc -l <"$RC_OUT")" -le 50 ] ||
		fail "--help: $(wc -l <"$RC_OUT") lines, more than a screen"
	[ "$(wc -L <"$RC_OUT")" -le 80 ] ||
		fail "--help: lines of $(wc -L <"$RC_OUT") columns"
	assert_contains "--help" "$RC_OUT" "man ringcp"
	cp "$RC_OUT" help.txt
	rc_run -h
	assert_status 0
	cmp -s help.txt "$RC_OUT" || fail "-h alone is not the help"
}

test_man_renders()
{
	command -v man >/dev/null || t_skip "no man"
	[ -f "$MAN" ] || t_abort "no $MAN"
	MANWIDTH=80 man --warnings -l "$MAN" >man.txt 2>warn.txt ||
		fail "man -l failed"
	assert_empty "man --warnings" warn.txt
	grep -q "SYNOPSIS" man.txt || fail "the man page did not render"
}

# README's help excerpt is the command's --help, word for word
test_readme_help()
{
	local readme=$T_LIBDIR/../README.md

	[ -f "$readme" ] || t_skip "no README.md here"
	rc_run --help
	awk '/^```$/ { if (on) exit; next } /^Usage: ringcp/ { on = 1 } on' \
		"$readme" >readme-help.txt
	cmp -s readme-help.txt "$RC_OUT" ||
		fail "README.md's --help excerpt differs from ringcp --help"
}

# every long option of the command's table is in the man page
test_man_options()
{
	local opt missing=()

	[ -f "$ARGS_C" ] || t_skip "no cmd/args.c here"
	while read -r opt; do
		case $opt in no-?|no-??|no-???) continue ;; esac	# letters
		grep -qF -- "\\-\\-${opt//-/\\-}" "$MAN" || missing+=("--$opt")
	done < <(sed -n 's/^[[:space:]]*{ "\([a-zA-Z-]*\)",.*/\1/p' "$ARGS_C")
	[ ${#missing[@]} -eq 0 ] ||
		fail "long options missing from the man page: ${missing[*]}"
	for code in 0 1 4 20 23 24; do
		grep -qx "\\.B $code" "$MAN" ||
			fail "exit status $code not in the man page"
	done
}

main()
{
	t_init
	t_add "--help fits a screen and names the man page; -h alone is it" \
		test_help_fits
	t_add "man/ringcp.1 renders without a warning" test_man_renders
	t_add "README.md's --help excerpt is ringcp --help" test_readme_help
	t_add "the man page has every long option and every exit code" \
		test_man_options
	t_run_all
}

main "$@"
