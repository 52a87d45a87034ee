/* SPDX-License-Identifier: MIT */
/*
 * ASan manual poisoning, and nothing at all in builds without ASan.
 * A buffer the kernel owns is poisoned: the program touching it is then
 * an ASan report (use-after-poison), the seed's "borrowed buffer" race.
 * And valgrind's view of kernel-filled memory.
 */
#ifndef RH_SANITIZER_H
#define RH_SANITIZER_H

#include <stdbool.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define RH_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RH_HAVE_ASAN 1
#endif
#endif

#ifdef RH_HAVE_ASAN
#include <sanitizer/asan_interface.h>
static inline void rh_asan_poison(const void *p, size_t n)
{
	ASAN_POISON_MEMORY_REGION(p, n);
}
static inline void rh_asan_unpoison(const void *p, size_t n)
{
	ASAN_UNPOISON_MEMORY_REGION(p, n);
}
/* true if any byte of [p, p+n) is poisoned */
static inline bool rh_asan_is_poisoned(const void *p, size_t n)
{
	return __asan_region_is_poisoned((void *)p, n) != NULL;
}
#else
static inline void rh_asan_poison(const void *p, size_t n)
{
	(void)p; (void)n;
}
static inline void rh_asan_unpoison(const void *p, size_t n)
{
	(void)p; (void)n;
}
static inline bool rh_asan_is_poisoned(const void *p, size_t n)
{
	(void)p; (void)n;
	return false;
}
#endif

/*
 * valgrind's memcheck cannot see the kernel write a read's data into a
 * buffer: mark what a CQE says was filled as defined (a no-op outside
 * valgrind, and when the header is missing).
 */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define RH_HAVE_VALGRIND 1
#endif
#endif

static inline void rh_valgrind_defined(const void *p, size_t n)
{
#ifdef RH_HAVE_VALGRIND
	VALGRIND_MAKE_MEM_DEFINED(p, n);
#else
	(void)p; (void)n;
#endif
}

/* Lent to the kernel: any program access is an "invalid read/write". */
static inline void rh_valgrind_noaccess(const void *p, size_t n)
{
#ifdef RH_HAVE_VALGRIND
	VALGRIND_MAKE_MEM_NOACCESS(p, n);
#else
	(void)p; (void)n;
#endif
}

#endif
