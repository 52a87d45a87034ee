#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Install the Debian packages ringcp needs, if any is missing.
#   scripts/deps.sh               everything (build, tests, bench, report)
#   scripts/deps.sh --build-only  only what building needs
#   --quiet                       say nothing when all is there
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -euo pipefail

build_pkgs=(gcc make liburing-dev clang pkg-config libtracefs-dev libtraceevent-dev
	libfuse3-dev fuse3)
all_pkgs=("${build_pkgs[@]}" libclang-rt-14-dev llvm-14 valgrind hyperfine rsync
	python3 python3-matplotlib python3-scipy fio strace acl attr util-linux
	coreutils time fpart xfsprogs btrfs-progs e2fsprogs spin)

pkgs=("${all_pkgs[@]}")
quiet=0
for arg in "$@"; do
	case "$arg" in
	--build-only) pkgs=("${build_pkgs[@]}") ;;
	--quiet) quiet=1 ;;
	*) echo "deps.sh: unknown option '$arg'" >&2; exit 1 ;;
	esac
done

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	[ $quiet -eq 1 ] || echo "deps: all ${#pkgs[@]} packages present"
	exit 0
fi

cmd="apt-get update && apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: run as root:  $cmd" >&2
	exit 1
fi
echo "deps: installing missing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${missing[*]}"
