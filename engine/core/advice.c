/* SPDX-License-Identifier: MIT */
/*
 * Why io_uring could not be set up, and what to do about it.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "core.h"

/* Read /proc/sys/kernel/io_uring_disabled: 0, 1, 2, or -1 if absent. */
static int rc_io_uring_disabled_sysctl(void)
{
	char c = 0;
	int fd = open("/proc/sys/kernel/io_uring_disabled", O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c >= '0' && c <= '2' ? c - '0' : -1;
}

const char *rc_setup_advice(int err)
{
	switch (err) {
	case -ENOSYS:
		return "io_uring is not available: the kernel is older than "
		       "5.1 or built without CONFIG_IO_URING, or a seccomp "
		       "filter (container runtime) hides io_uring_setup; use "
		       "Linux 5.19 or newer with io_uring, or allow "
		       "io_uring_setup in the seccomp profile";
	case -EPERM:
		switch (rc_io_uring_disabled_sysctl()) {
		case 2:
			return "io_uring is disabled on this machine "
			       "(sysctl kernel.io_uring_disabled=2); as root "
			       "run 'sysctl -w kernel.io_uring_disabled=0'";
		case 1:
			return "io_uring is restricted to root and the group "
			       "in kernel.io_uring_group "
			       "(sysctl kernel.io_uring_disabled=1); join that "
			       "group or set kernel.io_uring_disabled=0";
		default:
			return "io_uring_setup was refused (EPERM) by a "
			       "seccomp filter or security module, as container "
			       "runtimes often do; allow io_uring_setup in the "
			       "seccomp profile";
		}
	case -ENOMEM:
		return "the kernel could not allocate or lock the ring's memory "
		       "(RLIMIT_MEMLOCK on kernels before 5.12); raise "
		       "'ulimit -l' or use a smaller --queue-depth";
	case -EINVAL:
		return "the kernel rejected the ring parameters (too old for "
		       "the flags asked for?)";
	case -EOPNOTSUPP:
		return "the kernel's io_uring lacks an operation the engine "
		       "needs (READ, WRITE, ASYNC_CANCEL: Linux 5.6 or newer)";
	case -EMFILE:
	case -ENFILE:
		return "no file descriptor left for the ring; raise 'ulimit -n'";
	default:
		return "io_uring_setup failed";
	}
}

