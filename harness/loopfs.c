/* SPDX-License-Identifier: MIT */
/*
 * Scratch filesystems on loop devices (loopfs.h): mkfs on a sparse image,
 * mount -o loop, and always unmount and remove it again.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "loopfs.h"

/* Big enough for mkfs.xfs (300 MiB at least) and a scenario's trees. */
#define RH_LOOPFS_BYTES "512M"

/* What is made, for rh_loopfs_remove: one at a time. */
static char rh_loopfs_dir[64];		/* holds the image and the mount */
static char rh_loopfs_mnt[96];
static int rh_loopfs_mounted;

/* Run a shell command quietly; true if it exited 0. */
static int rh_loopfs_sh(const char *cmd)
{
	char full[512];

	snprintf(full, sizeof(full), "PATH=\"$PATH:/usr/sbin:/sbin\"; %s "
		 ">/dev/null 2>&1", cmd);
	return system(full) == 0;
}

void rh_loopfs_remove(void)
{
	char cmd[256];

	if (!rh_loopfs_dir[0])
		return;
	if (rh_loopfs_mounted) {
		snprintf(cmd, sizeof(cmd), "umount '%s' || umount -l '%s'",
			 rh_loopfs_mnt, rh_loopfs_mnt);
		rh_loopfs_sh(cmd);
		rh_loopfs_mounted = 0;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf --one-file-system '%s'",
		 rh_loopfs_dir);
	rh_loopfs_sh(cmd);
	rh_loopfs_dir[0] = '\0';
}

static int rh_loopfs_fail(char *why, size_t size, const char *fmt,
			  const char *type)
{
	snprintf(why, size, fmt, type);
	rh_loopfs_remove();
	return -1;
}

int rh_loopfs_make(const char *type, char *mnt, size_t mnt_size, char *why,
		   size_t why_size)
{
	static int registered;
	char cmd[384];

	if (strcmp(type, "xfs") && strcmp(type, "btrfs")) {
		snprintf(why, why_size, "no scratch filesystem of type '%s' "
			 "(xfs or btrfs)", type);
		return -1;
	}
	if (geteuid()) {
		snprintf(why, why_size, "a %s loop image needs root (mount)",
			 type);
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "command -v mkfs.%s", type);
	if (!rh_loopfs_sh(cmd)) {
		snprintf(why, why_size, "no mkfs.%s (Debian %s)", type,
			 strcmp(type, "xfs") ? "btrfs-progs" : "xfsprogs");
		return -1;
	}
	if (!registered++) {
		atexit(rh_loopfs_remove);
		/* a mount namespace of this thread's (and the mount
		 * command's) own: a run killed before its exit handler
		 * (a timeout's SIGTERM, SIGKILL) leaves no mount behind,
		 * and the loop device (autoclear) goes with the namespace.
		 * Where it cannot be made, the exit handler still unmounts */
		if (unshare(CLONE_NEWNS) == 0)
			mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	}
	strcpy(rh_loopfs_dir, "/var/tmp/rh-loopfs-XXXXXX");
	if (!mkdtemp(rh_loopfs_dir)) {
		rh_loopfs_dir[0] = '\0';
		snprintf(why, why_size, "cannot make a directory in /var/tmp");
		return -1;
	}
	snprintf(rh_loopfs_mnt, sizeof(rh_loopfs_mnt), "%s/mnt", rh_loopfs_dir);
	snprintf(cmd, sizeof(cmd), "mkdir '%s' && truncate -s %s '%s/img' && "
		 "mkfs.%s -q -f '%s/img'", rh_loopfs_mnt, RH_LOOPFS_BYTES,
		 rh_loopfs_dir, type, rh_loopfs_dir);
	if (!rh_loopfs_sh(cmd))
		return rh_loopfs_fail(why, why_size, "mkfs.%s of a loop image "
				      "failed", type);
	snprintf(cmd, sizeof(cmd), "mount -t %s -o loop '%s/img' '%s'", type,
		 rh_loopfs_dir, rh_loopfs_mnt);
	if (!rh_loopfs_sh(cmd))
		return rh_loopfs_fail(why, why_size, "cannot mount a %s loop "
				      "image (no loop device, or no such "
				      "filesystem in the kernel?)", type);
	rh_loopfs_mounted = 1;
	/* the loop device holds the image: a killed run leaves no blocks */
	snprintf(cmd, sizeof(cmd), "%s/img", rh_loopfs_dir);
	unlink(cmd);
	snprintf(mnt, mnt_size, "%s", rh_loopfs_mnt);
	return 0;
}
