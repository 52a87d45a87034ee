/* SPDX-License-Identifier: MIT */
/*
 * A scratch filesystem of a given type on a loop device, for scenarios
 * that must run where a data path exists (XFS or btrfs: reflink).  The
 * image is a sparse file under /var/tmp; the mount point a fresh directory
 * there, mounted in a mount namespace of the calling thread's own (so a
 * killed run leaves no mount).  It is unmounted (the loop device goes
 * with it: mount -o loop sets autoclear) and removed by rh_loopfs_remove,
 * or at exit.
 */
#ifndef RH_LOOPFS_H
#define RH_LOOPFS_H

#include <stddef.h>

/*
 * Make a filesystem of type ("xfs", "btrfs") and mount it; its mount
 * point goes to mnt.  Returns 0, or -1 with the reason in why (not root,
 * no mkfs for it, the mount failed): the caller skips, saying why.
 */
int rh_loopfs_make(const char *type, char *mnt, size_t mnt_size, char *why,
		   size_t why_size);

/* Unmount and remove what rh_loopfs_make made (also run at exit). */
void rh_loopfs_remove(void);

#endif
