/* SPDX-License-Identifier: MIT */
/*
 * Fds given back: close, dup2 and dup3 onto an fd, close_range, fclose,
 * closedir.  A request in flight that names the fd (its fd, a directory
 * fd, splice's input) resolves the number when it runs: closed under it,
 * it acts on whatever file next gets that number.  The close still
 * happens after a report (the program's fd table is its own).
 */
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include "rk.h"

void rk_fd_check(const char *call, int fd, int last)
{
	struct rk_release rel = { .call = call, .fd = fd, .fd_last = last };

	if (fd < 0 || !rk_maybe_held() || !rk_enter())
		return;
	rk_ring_reap_all();
	rk_check(&rel);
	rk_leave();
}

int close(int fd)
{
	static int (*real)(int);

	if (!real)
		real = rk_real("close");
	rk_fd_check("close", fd, fd);
	return real(fd);
}

int dup2(int old, int fd)
{
	static int (*real)(int, int);

	if (!real)
		real = rk_real("dup2");
	if (old != fd)
		rk_fd_check("dup2", fd, fd);
	return real(old, fd);
}

int dup3(int old, int fd, int flags)
{
	static int (*real)(int, int, int);

	if (!real)
		real = rk_real("dup3");
	rk_fd_check("dup3", fd, fd);
	return real(old, fd, flags);
}

int close_range(unsigned first, unsigned last, int flags)
{
	static int (*real)(unsigned, unsigned, int);

	if (!real)
		real = rk_real("close_range");
	rk_fd_check("close_range", (int)first,
		    last > 0x7fffffffu ? 0x7fffffff : (int)last);
	return real(first, last, flags);
}

int fclose(FILE *f)
{
	static int (*real)(FILE *);

	if (!real)
		real = rk_real("fclose");
	if (f)
		rk_fd_check("fclose", fileno(f), fileno(f));
	return real(f);
}

int closedir(DIR *d)
{
	static int (*real)(DIR *);

	if (!real)
		real = rk_real("closedir");
	rk_fd_check("closedir", dirfd(d), dirfd(d));
	return real(d);
}
