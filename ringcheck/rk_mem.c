/* SPDX-License-Identifier: MIT */
/*
 * Memory given back: free, realloc, munmap, mremap, madvise(DONTNEED,
 * FREE, REMOVE).  Each is checked against what the kernel may still use
 * (rk_check).  What a report names is kept: a block is not freed and a
 * mapping not unmapped, so the kernel's late write lands in memory no one
 * else has, and the program goes on to the next report.
 */
#include <malloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rk.h"

static void (*rk_free_real)(void *);
static void *(*rk_realloc_real)(void *, size_t);
static int rk_resolving;

unsigned rk_mem_check(const char *call, uintptr_t lo, uintptr_t hi)
{
	struct rk_release rel = { .call = call, .lo = lo, .hi = hi,
				  .fd = 0, .fd_last = -1 };
	unsigned n;

	if (lo >= hi || !rk_maybe_held() || !rk_enter())
		return 0;
	rk_ring_reap_all();
	n = rk_check(&rel);
	rk_leave();
	return n;
}

static void rk_mem_resolve(void)
{
	if (rk_resolving++)
		return;		/* dlsym itself allocating */
	rk_free_real = rk_real("free");
	rk_realloc_real = rk_real("realloc");
}

void free(void *p)
{
	if (!p)
		return;
	if (!rk_free_real) {
		rk_mem_resolve();
		if (!rk_free_real)
			return;	/* freed while finding free: kept */
	}
	if (rk_mem_check("free", (uintptr_t)p,
			 (uintptr_t)p + malloc_usable_size(p)))
		return;		/* kept: the kernel may still write it */
	rk_free_real(p);
}

void *realloc(void *p, size_t n)
{
	size_t old = p ? malloc_usable_size(p) : 0;
	void *q;

	if (!rk_realloc_real)
		rk_mem_resolve();
	q = rk_realloc_real(p, n);
	/* after the fact: a moved block's old place, a shrunk one's tail */
	if (p && (q != p || !n) && (q || !n))
		rk_mem_check("realloc", (uintptr_t)p, (uintptr_t)p + old);
	else if (p && q == p && n < old)
		rk_mem_check("realloc", (uintptr_t)p + n, (uintptr_t)p + old);
	return q;
}

static uintptr_t rk_page_end(uintptr_t lo, size_t len)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);

	return (lo + len + pg - 1) & ~(pg - 1);
}

int munmap(void *addr, size_t len)
{
	static int (*real)(void *, size_t);
	uintptr_t lo = (uintptr_t)addr, hi = rk_page_end(lo, len);

	if (!real)
		real = rk_real("munmap");
	if (rk.nrings && rk_enter()) {	/* a ring's mmaps: its teardown */
		rk_ring_reap_all();
		rk_ring_unmapped(lo, hi);
		rk_leave();
	}
	if (rk_mem_check("munmap", lo, hi))
		return 0;	/* kept */
	return real(addr, len);
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	static void *(*real)(void *, size_t, size_t, int, ...);
	void *want = NULL, *q;
	va_list ap;

	if (!real)
		real = rk_real("mremap");
	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		want = va_arg(ap, void *);
		va_end(ap);
	}
	q = real(old, old_len, new_len, flags, want);
	if (q != MAP_FAILED && q != old)
		rk_mem_check("mremap", (uintptr_t)old,
			     rk_page_end((uintptr_t)old, old_len));
	return q;
}

int madvise(void *addr, size_t len, int advice)
{
	static int (*real)(void *, size_t, int);
	const char *call = advice == MADV_DONTNEED ? "madvise(DONTNEED)" :
			   advice == MADV_FREE ? "madvise(FREE)" :
			   advice == MADV_REMOVE ? "madvise(REMOVE)" : NULL;

	if (!real)
		real = rk_real("madvise");
	if (call)
		rk_mem_check(call, (uintptr_t)addr,
			     rk_page_end((uintptr_t)addr, len));
	return real(addr, len, advice);
}
