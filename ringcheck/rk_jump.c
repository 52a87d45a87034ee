/* SPDX-License-Identifier: MIT */
/*
 * Stack frames a longjmp pops: the stack between the caller of longjmp
 * and the stack pointer setjmp saved is given back at once, so a buffer
 * in those frames that a request in flight still fills is reported like
 * a free.  glibc keeps the saved stack pointer mangled (PTR_MANGLE: xor
 * with the thread's pointer guard at %fs:0x30, then rotated left by 17
 * on x86_64): ringcheck unmangles it the same way.
 */
#include <setjmp.h>
#include <stdint.h>

#include "rk.h"

#define RK_JB_RSP	6	/* glibc's x86_64 __jmpbuf slot of %rsp */

static uintptr_t rk_jmp_sp(const struct __jmp_buf_tag *env)
{
	uintptr_t v = (uintptr_t)env->__jmpbuf[RK_JB_RSP], guard;

	__asm__("mov %%fs:0x30, %0" : "=r"(guard));
	v = (v >> 17) | (v << (64 - 17));
	return v ^ guard;
}

/* The frames from here up to the one setjmp saved go. */
static void rk_jump_check(const char *call, const struct __jmp_buf_tag *env)
{
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	uintptr_t there = rk_jmp_sp(env);

	if (there > here && there - here < (64u << 20))
		rk_mem_check(call, here, there);
}

#define RK_JUMP(name)							\
void name(struct __jmp_buf_tag env[1], int val)			\
{									\
	static void (*real)(struct __jmp_buf_tag *, int)		\
		__attribute__((noreturn));				\
									\
	if (!real)							\
		real = (__typeof__(real))rk_real(#name);		\
	rk_jump_check(#name, env);					\
	real(env, val);							\
}

RK_JUMP(longjmp)
RK_JUMP(_longjmp)
RK_JUMP(siglongjmp)
RK_JUMP(__longjmp_chk)
