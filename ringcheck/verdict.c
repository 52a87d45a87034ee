/* SPDX-License-Identifier: MIT */
/*
 * The launcher's witness (root): io_uring's tracepoints recorded while
 * the program runs (harness/witness.c, the harness's own recorder), then
 * held against each orphan report, a release of memory or an fd that a
 * request of a torn-down ring still held: the kernel's io_uring_complete
 * of that request (matched by ring, user_data, then request pointer) says
 * whether it had completed before the release (the report is withdrawn)
 * or after it, or never (confirmed).  Lost events fail closed: the
 * reports stand.
 */
#include <stdio.h>
#include <stdlib.h>

#include "verdict.h"
#include "witness.h"

int rk_verdict_start(char *why, size_t len)
{
	return rh_witness_start(0, why, len);
}

/* The ring (ctx) of an orphan: its fd's last create before ringcheck
 * learnt it, the process's own preferred. */
static uint64_t rk_verdict_ctx(const struct rh_kev *k, size_t nk,
			       const struct rk_orphan *o)
{
	uint64_t ctx = 0;
	bool own = false;
	size_t i;

	for (i = 0; i < nk && k[i].ts <= o->ring_ns; i++) {
		if (k[i].kind != RH_K_CREATE || k[i].val != o->ring_fd)
			continue;
		if (own && k[i].pid != o->pid)
			continue;
		ctx = k[i].ctx;
		own = k[i].pid == o->pid;
	}
	return ctx;
}

/* One orphan report: 1 if the kernel had completed it before. */
static int rk_verdict_one(FILE *out, const struct rh_kev *k, size_t nk,
			  const struct rk_orphan *o)
{
	uint64_t ctx = rk_verdict_ctx(k, nk, o), req = 0, sub_ts = 0;
	size_t i;

	if (!ctx) {
		fprintf(out, "ringcheck: witness: %s: no io_uring_create of "
			"ring fd %d seen: the report stands\n", o->what,
			o->ring_fd);
		return 0;
	}
	for (i = 0; i < nk && k[i].ts < o->release_ns; i++)
		if (k[i].kind == RH_K_SUBMIT && k[i].ctx == ctx &&
		    k[i].ud == o->ud) {
			req = k[i].req;
			sub_ts = k[i].ts;
		}
	for (i = 0; req && i < nk; i++) {
		double us;

		if (k[i].kind != RH_K_COMPLETE || k[i].ctx != ctx ||
		    k[i].req != req || k[i].ts < sub_ts)
			continue;
		if (k[i].ts < o->release_ns) {
			us = (double)(o->release_ns - k[i].ts) / 1e3;
			fprintf(out, "ringcheck: witness: %s: the kernel had "
				"completed the request %.0f us before the "
				"release (res %d): report withdrawn\n",
				o->what, us, k[i].val);
			return 1;
		}
		us = (double)(k[i].ts - o->release_ns) / 1e3;
		fprintf(out, "ringcheck: witness: %s: the kernel completed the "
			"request %.0f us after the release (res %d): "
			"confirmed\n", o->what, us, k[i].val);
		return 0;
	}
	fprintf(out, "ringcheck: witness: %s: %s: confirmed\n", o->what,
		req ? "the kernel never reported completing the request" :
		      "no submission of it seen");
	return 0;
}

unsigned rk_verdict_end(FILE *out, const struct rk_shared *s)
{
	struct rh_kev *k;
	size_t nk, i, n = s->norphans < RK_ORPHANS ? s->norphans : RK_ORPHANS;
	uint64_t lost, read_ns;
	unsigned withdrawn = 0;

	if (rh_witness_collect(&k, &nk, &lost, &read_ns))
		return 0;
	if (lost && n)
		fprintf(out, "ringcheck: witness: the kernel dropped %llu "
			"events: the %zu orphan reports stand\n",
			(unsigned long long)lost, n);
	for (i = 0; !lost && i < n; i++)
		withdrawn += (unsigned)rk_verdict_one(out, k, nk,
						      &s->orphan[i]);
	if (s->norphans > RK_ORPHANS)
		fprintf(out, "ringcheck: witness: %u orphan reports past the "
			"first %d stand unexamined\n", s->norphans,
			RK_ORPHANS);
	free(k);
	return withdrawn;
}
