/* SPDX-License-Identifier: MIT */
/*
 * Stacks that go: a thread's exit (its start routine returning, or
 * pthread_exit) gives its whole stack back (glibc hands it to the next
 * thread), so a buffer on it that a request in flight still fills is
 * reported like a free.  The stack is not kept: glibc owns it.  A
 * function returning, or a longjmp, within a living stack is not seen.
 */
#include <pthread.h>
#include <stdlib.h>

#include "rk.h"

struct rk_start {
	void *(*fn)(void *);
	void *arg;
};

/* The calling thread's stack, checked as released by call. */
static void rk_thread_gone(const char *call)
{
	pthread_attr_t attr;
	void *addr;
	size_t size;

	if (pthread_getattr_np(pthread_self(), &attr))
		return;
	if (!pthread_attr_getstack(&attr, &addr, &size))
		rk_mem_check(call, (uintptr_t)addr, (uintptr_t)addr + size);
	pthread_attr_destroy(&attr);
}

static void *rk_thread_start(void *p)
{
	struct rk_start s = *(struct rk_start *)p;
	void *ret;

	free(p);
	ret = s.fn(s.arg);
	rk_thread_gone("thread exit (return)");
	return ret;
}

int pthread_create(pthread_t *t, const pthread_attr_t *attr,
		   void *(*fn)(void *), void *arg)
{
	static int (*real)(pthread_t *, const pthread_attr_t *,
			   void *(*)(void *), void *);
	struct rk_start *s = malloc(sizeof(*s));
	int ret;

	if (!real)
		real = (__typeof__(real))rk_real("pthread_create");
	if (!s)
		return real(t, attr, fn, arg);
	s->fn = fn;
	s->arg = arg;
	ret = real(t, attr, rk_thread_start, s);
	if (ret)
		free(s);
	return ret;
}

void pthread_exit(void *ret)
{
	static void (*real)(void *) __attribute__((noreturn));

	if (!real)
		real = (__typeof__(real))rk_real("pthread_exit");
	rk_thread_gone("thread exit (pthread_exit)");
	real(ret);
}
