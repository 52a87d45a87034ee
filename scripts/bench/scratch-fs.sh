#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# scratch-fs.sh IMAGE MOUNTPOINT SIZE_GIB: make sure a journaled ext4
# (mkfs.ext4's defaults) backed by the sparse file IMAGE is mounted at
# MOUNTPOINT, through a loop device with direct I/O (so a sync reaches the
# disk, not the image file's page cache), and print MOUNTPOINT.  Reused if
# already mounted; datasets on it survive between runs.
#
# Why: this machine's root ext4 has no journal, and there ext4 skips inodes
# freed in the last seconds when it allocates new ones: right after an
# `rm -rf` of a copied tree every tool's next copy crawls (cp -a of
# /usr/include measured 2 s and 36 s).  The benchmark removes the
# destination before each run, so on such a filesystem it would measure
# that scan, not the tools.
set -euo pipefail
img=$1 mnt=$2 gib=$3

if mountpoint -q "$mnt"; then
	echo "$mnt"
	exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "scratch-fs: needs root (losetup, mount)" >&2; exit 1; }
mkdir -p "$mnt"
if [ ! -f "$img" ]; then
	truncate -s "${gib}G" "$img"
	mkfs.ext4 -q -F -L ringcp-bench "$img"
fi
dev=$(losetup --find --show --direct-io=on "$img")
mount "$dev" "$mnt" || { losetup -d "$dev"; exit 1; }
echo "$mnt"
