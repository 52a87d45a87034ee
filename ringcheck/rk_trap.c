/* SPDX-License-Identifier: MIT */
/*
 * --trap-enters: io_uring_enter made by the program's own system call
 * instructions (fio's, a statically linked liburing's) trapped with a
 * seccomp filter (SECCOMP_RET_TRAP unless the instruction is ringcheck's
 * trampoline) and done again from the trampoline by the SIGSYS handler,
 * with ringcheck's reading of the rings around it.  The trampoline lives
 * at a fixed address, so the filter, which the kernel keeps across
 * execve, still allows the next program's ringcheck.  Costs: a signal per
 * enter; PR_SET_NO_NEW_PRIVS (a setuid program run from the checked one
 * does not gain its privileges); a child that drops LD_PRELOAD and enters
 * io_uring is killed by SIGSYS.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "rk.h"

#define RK_TRAMP_ADDR	0x7ee000000000ul
#define RK_TRAMP_IP	(RK_TRAMP_ADDR + 0x19)	/* after its syscall */

/* long tramp(long nr, long a1, ..., long a6): one system call */
static const unsigned char rk_tramp_code[] = {
	0x48, 0x89, 0xf8,		/* mov %rdi,%rax */
	0x48, 0x89, 0xf7,		/* mov %rsi,%rdi */
	0x48, 0x89, 0xd6,		/* mov %rdx,%rsi */
	0x48, 0x89, 0xca,		/* mov %rcx,%rdx */
	0x4d, 0x89, 0xc2,		/* mov %r8,%r10 */
	0x4d, 0x89, 0xc8,		/* mov %r9,%r8 */
	0x4c, 0x8b, 0x4c, 0x24, 0x08,	/* mov 0x8(%rsp),%r9 */
	0x0f, 0x05,			/* syscall */
	0xc3,				/* ret */
};

typedef long (*rk_tramp_fn)(long, long, long, long, long, long, long);

static void rk_sigsys(int sig, siginfo_t *si, void *ctx)
{
	greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	rk_tramp_fn tramp = (rk_tramp_fn)RK_TRAMP_ADDR;
	int saved = errno;

	(void)sig;
	if (si->si_code != 1 /* SYS_SECCOMP */ ||
	    si->si_syscall != __NR_io_uring_enter) {
		g[REG_RAX] = -ENOSYS;	/* not ours: as a filter would */
		return;
	}
	rk_enter_before(NULL);
	g[REG_RAX] = tramp(__NR_io_uring_enter, g[REG_RDI], g[REG_RSI],
			   g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9]);
	rk_enter_after();
	errno = saved;
}

/* The trampoline at its fixed address. */
static int rk_trap_tramp(void)
{
	void *p = mmap((void *)RK_TRAMP_ADDR, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p != (void *)RK_TRAMP_ADDR)
		return -EEXIST;
	memcpy(p, rk_tramp_code, sizeof(rk_tramp_code));
	return mprotect(p, 4096, PROT_READ | PROT_EXEC) ? -errno : 0;
}

int rk_trap_start(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 7),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			 (uint32_t)RK_TRAMP_IP, 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			 (uint32_t)(RK_TRAMP_IP >> 32), 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]),
				   .filter = f };
	struct sigaction sa = { .sa_sigaction = rk_sigsys,
				.sa_flags = SA_SIGINFO | SA_RESTART };
	int ret = rk_trap_tramp();

	if (ret)
		return ret;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_TSYNC, &prog))
		return -errno;
	return 0;
}
