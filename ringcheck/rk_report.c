/* SPDX-License-Identifier: MIT */
/*
 * The report, in the manner of AddressSanitizer's: what was released and
 * by which call (with its stack), which request still uses it (opcode,
 * user_data, ring, what the kernel holds, where it was submitted) and
 * whether the kernel had completed it.  kind: the range's enum
 * rh_mem_kind, or for an fd the fd number.
 */
#include <dlfcn.h>
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rk.h"

/* Is the code at pc the library's own (a frame not worth showing)? */
static bool rk_own_frame(const void *pc)
{
	static void *base;
	Dl_info di;

	if (!base && dladdr((void *)rk_own_frame, &di))
		base = di.dli_fbase;
	return dladdr(pc, &di) && di.dli_fbase == base;
}

/* A stack, without the library's frames on top (module+offset lines:
 * addr2line -e MODULE OFFSET names them). */
static void rk_stack(void *const *bt, int n)
{
	char **sym;
	int i, k = 0;

	while (k < n - 1 && rk_own_frame(bt[k]))
		k++;
	sym = backtrace_symbols(bt + k, n - k);
	for (i = 0; i < n - k; i++)
		rk_say("    #%d %s\n", i, sym ? sym[i] : "?");
	free(sym);
}

static void rk_report_release(const struct rk_release *rel)
{
	void *bt[24];
	int n = backtrace(bt, 24);

	const char *paren = strchr(rel->call, ' ') ? "" : "()";

	if (rel->lo < rel->hi)
		rk_say("  %s%s of [%#lx, %#lx) (%lu bytes) at:\n", rel->call,
		       paren,
		       (unsigned long)rel->lo, (unsigned long)rel->hi,
		       (unsigned long)(rel->hi - rel->lo));
	else if (rel->fd == rel->fd_last)
		rk_say("  %s(%d) at:\n", rel->call, rel->fd);
	else
		rk_say("  %s(%d..%d) at:\n", rel->call, rel->fd, rel->fd_last);
	rk_stack(bt, n);
}

uint64_t rk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * An orphan's report, for the launcher to hold against the kernel's
 * witness at exit.  Returns its number, or 0 when there is no witness
 * or no room.
 */
static unsigned rk_report_orphan(const struct rk_release *rel,
				 const struct rk_req *q, const struct rk_ring *r)
{
	static unsigned nreports;
	uint32_t i;

	i = __atomic_fetch_add(&rk.sh->norphans, 1, __ATOMIC_RELAXED);
	if (!rk.sh->witness || i >= RK_ORPHANS)
		return 0;
	rk.sh->orphan[i].pid = (int32_t)getpid();
	rk.sh->orphan[i].ring_fd = r->fd;
	rk.sh->orphan[i].ring_ns = r->born_ns;
	rk.sh->orphan[i].release_ns = rk_now_ns();
	rk.sh->orphan[i].ud = q->ud;
	rk.sh->orphan[i].report = ++nreports;
	snprintf(rk.sh->orphan[i].what, sizeof(rk.sh->orphan[i].what),
		 "%s() under IORING_OP_%s user_data %#llx, pid %d", rel->call,
		 rk_opcode_name(q->opcode), (unsigned long long)q->ud,
		 (int)getpid());
	return nreports;
}

void rk_report(const struct rk_release *rel, const struct rk_req *q,
	       const struct io_uring_sqe *queued, const struct rk_ring *r,
	       const char *what, uintptr_t lo, uintptr_t hi, int kind)
{
	bool mem = what[0] == 'm';
	unsigned op = q ? q->opcode : queued->opcode;
	uint64_t ud = q ? q->ud : queued->user_data;

	rk_say("==%d== ringcheck: ERROR: %s of %s %s\n", (int)getpid(),
	       rel->call, mem ? "memory" : "an fd",
	       queued ? "an SQE queued for the kernel refers to" :
	       q->orphan ? "a request of a torn-down ring still used" :
	       mem ? "a request in flight uses" : "a request in flight names");
	rk_report_release(rel);
	rk_say("  request: IORING_OP_%s, user_data %#llx, ring fd %d", 
	       rk_opcode_name(op), (unsigned long long)ud, r->fd);
	if (mem)
		rk_say(", %s [%#lx, %#lx)\n", rh_mem_kind_name(kind),
		       (unsigned long)lo, (unsigned long)hi);
	else
		rk_say(", names fd %d\n", kind);
	if (queued) {
		if (r->flags & IORING_SETUP_SQPOLL)
			rk_say("  state: queued in the SQ, not yet taken by "
			       "the kernel's SQPOLL thread, which takes it "
			       "any moment\n");
		else
			rk_say("  state: queued in the SQ, not yet taken by "
			       "the kernel (a submit that failed or was not "
			       "made yet): the next submission hands it "
			       "over\n");
		rk_say("SUMMARY: ringcheck: %s-while-queued in %s\n",
		       mem ? "release" : "close", rel->call);
		return;
	}
	if (q->nbt) {
		rk_say("  submitted at:\n");
		rk_stack(q->bt, q->nbt);
	}
	if (q->orphan) {
		unsigned n = rk_report_orphan(rel, q, r);

		rk_say("  completed: unknown: its ring was torn down before a "
		       "CQE for it was seen (the kernel cancels such requests "
		       "in its own time)\n");
		if (n)
			rk_say("  (orphan report %u of pid %d: the kernel's "
			       "witness answers at exit)\n", n, (int)getpid());
	}
	else
		rk_say("  completed: no (no CQE for it in the CQ ring at this "
		       "call)\n");
	rk_say("SUMMARY: ringcheck: %s-while-in-flight in %s\n",
	       mem ? "release" : "close", rel->call);
}
