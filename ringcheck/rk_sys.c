/* SPDX-License-Identifier: MIT */
/*
 * Raw io_uring users (C without liburing, Rust's io-uring crate, tokio,
 * compio) reach the kernel through libc's syscall(2) and map the rings
 * with mmap(2): ringcheck stands in front of both.  syscall() numbers it
 * checks: io_uring_setup, io_uring_enter, io_uring_register (a ring fd
 * registered: said; buffers unregistered: checked), close, dup2, dup3,
 * munmap;
 * every other number goes through untouched.
 */
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rk.h"

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6], ret;
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real)
		real = (long (*)(long, ...))rk_real("syscall");
	switch (nr) {
	case __NR_io_uring_enter:
		rk_enter_before(NULL);
		ret = real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		rk_enter_after();
		return ret;
	case __NR_close:
		rk_fd_check("close", (int)a[0], (int)a[0]);
		break;
	case __NR_dup2:
	case __NR_dup3:
		rk_fd_check(nr == __NR_dup2 ? "dup2" : "dup3", (int)a[1],
			    (int)a[1]);
		break;
	case __NR_munmap:
		return munmap((void *)a[0], (size_t)a[1]);
	case __NR_io_uring_register:
		if (a[1] == IORING_UNREGISTER_BUFFERS && rk_enter()) {
			const struct rk_ring *r = rk_ring_by_fd((int)a[0]);

			rk_ring_reap_all();
			if (r)
				rk_check_unregister(r, "IORING_UNREGISTER_BUFFERS");
			rk_leave();
		}
		break;
	default:
		break;
	}
	ret = real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (nr == __NR_io_uring_register && a[1] == IORING_REGISTER_RING_FDS &&
	    ret > 0)
		rk_say("ringcheck: limit: ring fd %ld registered "
		       "(IORING_REGISTER_RING_FDS): its enters name an index; "
		       "ringcheck reads every ring after any enter it sees, "
		       "and a ring whose fd is closed stays checked\n", a[0]);
	if (nr == __NR_io_uring_setup && ret >= 0 && rk_enter()) {
		rk_ring_from_setup((int)ret,
				   (const struct io_uring_params *)a[1]);
		rk_leave();
	}
	return ret;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*real)(void *, size_t, int, int, int, off_t);
	void *p;

	if (!real)
		real = rk_real("mmap");
	p = real(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED && fd >= 0 && rk.nrings && rk_enter()) {
		rk_ring_mmap(fd, off, p, len);
		rk_leave();
	}
	return p;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));
