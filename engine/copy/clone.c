/* SPDX-License-Identifier: MIT */
/*
 * Cloning a file's data (FICLONE), cp's --reflink: the destination shares
 * the source's extents, so no byte is read or written.  io_uring has no
 * op for it; callers make the call between requests (copy.h says when).
 */
#include <errno.h>
#include <linux/fs.h>
#include <sys/ioctl.h>

#include "ringcp/copy.h"

int rc_clone_fd(int src_fd, int dst_fd)
{
	return ioctl(dst_fd, FICLONE, src_fd) < 0 ? -errno : 0;
}

bool rc_clone_never_here(int err)
{
	/* ENOTTY, ENOSYS: no remap at all behind this ioctl */
	return err == -EXDEV || err == -EOPNOTSUPP || err == -ENOTTY ||
	       err == -ENOSYS;
}
