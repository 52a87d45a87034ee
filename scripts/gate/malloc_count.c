// SPDX-License-Identifier: MIT
/*
 * Description: an LD_PRELOAD shim for the regression gate (scripts/gate.py):
 * counts the heap allocations a process makes (malloc, calloc, realloc,
 * posix_memalign, aligned_alloc, memalign, valloc, pvalloc) and writes
 * "allocations N" to the file named by RC_GATE_ALLOC_OUT at exit.  It
 * forwards every call to glibc's own allocator (__libc_*), so nothing is
 * allocated differently; the binary under test needs no change, and the
 * baseline's ringcp is counted exactly like the current one.
 *
 * RC_GATE_DEGRADE_SYSCALL=N also makes one extra system call (getppid)
 * every N allocations: the gate's teeth test (tests/gate_teeth.sh) uses it
 * as a deliberately degraded build that the gate must reject (ringcp -a
 * makes about 10 allocations per small file, so N=10 is about one extra
 * system call per file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

static atomic_ulong rc_allocs;
static unsigned long rc_degrade;

static void rc_count(void)
{
	unsigned long n;

	n = atomic_fetch_add_explicit(&rc_allocs, 1, memory_order_relaxed);
	if (rc_degrade && n % rc_degrade == 0)
		syscall(SYS_getppid);
}

void *malloc(size_t size)
{
	rc_count();
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	rc_count();
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	rc_count();
	return __libc_realloc(p, size);
}

void *memalign(size_t align, size_t size)
{
	rc_count();
	return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	rc_count();
	return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	rc_count();
	p = __libc_memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t size)
{
	rc_count();
	return __libc_valloc(size);
}

void *pvalloc(size_t size)
{
	rc_count();
	return __libc_pvalloc(size);
}

__attribute__((constructor)) static void rc_gate_init(void)
{
	const char *d = getenv("RC_GATE_DEGRADE_SYSCALL");

	rc_degrade = d ? strtoul(d, NULL, 10) : 0;
}

/* Written with open/write only: stdio would allocate while we count. */
__attribute__((destructor)) static void rc_gate_report(void)
{
	const char *path = getenv("RC_GATE_ALLOC_OUT");
	char line[64];
	int fd, n;

	if (!path || !*path)
		return;
	n = snprintf(line, sizeof(line), "allocations %lu\n",
		     atomic_load(&rc_allocs));
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, n) != n)
		n = -1;
	close(fd);
}
