/* SPDX-License-Identifier: MIT */
/*
 * A filesystem whose reads and writes the test holds (FUSE, served by
 * threads of the test process): a directory of files, and the first read
 * or write of one of them blocks in the daemon until the test releases
 * it (and again after rh_fusehold_rearm()).  Writes are taken and
 * dropped.  Files are opened for direct I/O, so an io_uring request of
 * the held file stays in the kernel like one to a stalled network
 * filesystem: a request of the program's own held as long as the test
 * wants, which a cancel cannot end (the daemon ignores FUSE's
 * interrupts); where it waits, see RH_FUSEHOLD_IO_WQ.  Needs root (a FUSE
 * mount without fusermount).
 */
#ifndef RH_FUSEHOLD_H
#define RH_FUSEHOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "sanitizer.h"

/*
 * Put once in the main file of a program that mounts a held filesystem.
 * On a report, ASan forks its symbolizer, whose child closes every fd
 * before its exec: the close of a FUSE file this process serves waits
 * for a flush, the report waits for the child, and the program never
 * ends (the hooks of death.h run only after the report).  So no
 * symbolizer: the stacks keep module+offset, for llvm-symbolizer later.
 */
#ifdef RH_HAVE_ASAN
#define RH_FUSEHOLD_ASAN_DEFAULTS \
	const char *__asan_default_options(void); \
	const char *__asan_default_options(void) { return "symbolize=0"; }
#else
#define RH_FUSEHOLD_ASAN_DEFAULTS
#endif

struct rh_fusehold;

/*
 * Where a held io_uring request of the filesystem waits.  By default the
 * kernel queues it to the daemon and returns (asynchronous direct I/O):
 * it waits outside io-wq, and even a request not forced async never
 * blocks its submitter.  With RH_FUSEHOLD_IO_WQ the io-wq worker itself
 * waits for the answer, so a cancel finds it there (-EALREADY), but a
 * request issued inline then blocks its submitter: submit with
 * IOSQE_ASYNC.
 */
#define RH_FUSEHOLD_IO_WQ	1u

/*
 * Mount at dir (an empty directory) a filesystem of nfiles regular files
 * "f00".."fNN" of size bytes each; the first read of file number hold
 * blocks until rh_fusehold_release().  flags: RH_FUSEHOLD_*.  Returns 0,
 * or -errno (-EPERM: not root; -ENODEV: no FUSE).
 */
int rh_fusehold_mount(struct rh_fusehold **fp, const char *dir,
		      unsigned nfiles, size_t size, unsigned hold,
		      unsigned flags);

/* Has a read of the held file reached the daemon (and blocked)? */
int rh_fusehold_held(struct rh_fusehold *f);

/* Wait up to ms milliseconds for rh_fusehold_held(): true if it came. */
bool rh_fusehold_wait_held(struct rh_fusehold *f, unsigned ms);

/* Let the held read (and every later one) be answered. */
void rh_fusehold_release(struct rh_fusehold *f);

/*
 * Hold again: the next read or write of the held file blocks until the
 * next rh_fusehold_release().  Call it only when no request of the held
 * file is still being answered (its CQE reaped, or the ring leaked).
 */
void rh_fusehold_rearm(struct rh_fusehold *f);

/* Release, unmount (lazily) and stop the daemon. */
void rh_fusehold_unmount(struct rh_fusehold *f);

#endif
