/* SPDX-License-Identifier: MIT */
/*
 * A read the test program holds in the kernel (harness/fusehold.h): a
 * FUSE filesystem of one file whose first read waits until released.
 * Root only.  Released and unmounted at exit whatever happens (a mount
 * left behind would hang the exit: the daemon's threads are gone).
 */
#ifndef RKT_HOLD_H
#define RKT_HOLD_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fusehold.h"

static struct rh_fusehold *rkt_fh;
static char rkt_dir[] = "/tmp/rkt-hold-XXXXXX";

static void rkt_unhold(void)
{
	if (rkt_fh) {
		rh_fusehold_release(rkt_fh);
		rh_fusehold_unmount(rkt_fh);
		rmdir(rkt_dir);
	}
}

/* Open the held file: an fd, or -errno (-EPERM: not root). */
static inline int rkt_hold_open(void)
{
	char path[64];
	int ret;

	if (!mkdtemp(rkt_dir))
		return -errno;
	ret = rh_fusehold_mount(&rkt_fh, rkt_dir, 1, 4096, 0, 0);
	if (ret) {
		rmdir(rkt_dir);
		rkt_fh = NULL;
		return ret;
	}
	atexit(rkt_unhold);
	snprintf(path, sizeof(path), "%s/f00", rkt_dir);
	ret = open(path, O_RDONLY);
	return ret < 0 ? -errno : ret;
}

/* Wait (up to 5 s) until a read of it reached the daemon. */
static inline int rkt_hold_wait(void)
{
	int i;

	for (i = 0; rkt_fh && i < 5000 && !rh_fusehold_held(rkt_fh); i++)
		usleep(1000);
	return rkt_fh && rh_fusehold_held(rkt_fh);
}

#endif
