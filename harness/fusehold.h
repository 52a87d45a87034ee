/* SPDX-License-Identifier: MIT */
/*
 * A filesystem whose reads the test holds (FUSE, served by threads of the
 * test process): a directory of files, and the first read of one of them
 * blocks in the daemon until the test releases it.  An io_uring read of
 * that file goes to io-wq (FUSE has no non-blocking buffered read) and
 * stays in the kernel, like a read from a stalled network filesystem: a
 * request of the program's own held as long as the test wants, which a
 * cancel cannot end (the daemon ignores FUSE's interrupts).  Needs root
 * (a FUSE mount without fusermount).
 */
#ifndef RH_FUSEHOLD_H
#define RH_FUSEHOLD_H

#include <stddef.h>

struct rh_fusehold;

/*
 * Mount at dir (an empty directory) a filesystem of nfiles regular files
 * "f00".."fNN" of size bytes each; the first read of file number hold
 * blocks until rh_fusehold_release().  Returns 0, or -errno (-EPERM: not
 * root; -ENODEV: no FUSE).
 */
int rh_fusehold_mount(struct rh_fusehold **fp, const char *dir,
		      unsigned nfiles, size_t size, unsigned hold);

/* Has a read of the held file reached the daemon (and blocked)? */
int rh_fusehold_held(struct rh_fusehold *f);

/* Let the held read (and every later one) be answered. */
void rh_fusehold_release(struct rh_fusehold *f);

/* Release, unmount (lazily) and stop the daemon. */
void rh_fusehold_unmount(struct rh_fusehold *f);

#endif
