/* SPDX-License-Identifier: MIT */
/*
 * The harness: what a scenario links to prove, on every run, that no buffer
 * was freed or reused before its CQE.
 *
 *	rh_harness_start(&opts);		seed, name, detectors on
 *	rh_harness_ring_params(&params);	trace hook + quarantine buffers
 *	... rc_ring_create(&r, &params); drive the engine ...
 *	rh_harness_add_ring(r);			before rc_ring_destroy(r)
 *	return rh_harness_finish() ? 1 : 0;	proof summary, JSON record
 *
 * Detectors: the ledger (rh_ledger.h); the guard-page or poison quarantine
 * (rh_quarantine.h); ASan poisoning of every buffer the kernel owns; a
 * submit-time check of every SQE's addresses; open-fd counts; destination
 * checksums reported by the scenario (rh_harness_violation); LeakSanitizer
 * for records in ASan builds.  Every violation is printed with the op, its
 * opcode, the seed, a backtrace and the command that replays the run.
 */
#ifndef RH_HARNESS_H
#define RH_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ringcp/ring.h"
#include "ledger.h"
#include "quarantine.h"
#include "witness.h"

struct rh_harness_opts {
	const char *scenario;		/* name, for records and messages */
	uint64_t seed;
	const char *replay;		/* the command that replays this run */
	const char *json_path;		/* where the record goes; NULL: none */
	enum rh_quarantine_mode quarantine;
	size_t quarantine_bytes;	/* 0: 64 MiB */
	bool quiet;			/* no human summary line */
	bool no_witness;		/* the run fakes the engine's events
					 * (tests): no kernel to hold them to */
	const char *buffers;		/* strategy: heap|pool|fixed|ring;
					 * NULL: $RC_BUFFERS, else heap */
	/* more top-level keys for the JSON record: write `,\n  "key": ...` */
	void (*extra_json)(FILE *f, void *arg);
	void *extra_arg;
};

enum rh_detector {
	RH_DET_LEDGER,
	RH_DET_QUARANTINE,
	RH_DET_POISON,
	RH_DET_SQE_CHECK,
	RH_DET_CHECKSUM,
	RH_DET_FD_COUNT,
	RH_DET_SEGV,
	RH_DET_RING_COUNT,
	RH_DET_FD_LEDGER,
	RH_DET_WITNESS,
	RH_DET__COUNT,
};

const char *rh_detector_name(enum rh_detector d);

/* What a run proved; all counters. */
struct rh_harness_summary {
	uint64_t buffers, submits, cqes, frees, frees_after_cqe;
	uint64_t frees_never_lent;
	uint64_t cancels, cancel_res_ok, cancel_res_enoent,
		 cancel_res_ealready, cancel_res_other, cancel_sq_full_retries;
	uint64_t cancel_fd_answers;	/* answers of cancels keyed on an fd */
	uint64_t halts, stale_cqes_ignored, unknown_cqes_ignored;
	uint64_t sqes_checked;
	uint64_t violations;
	uint64_t by_detector[RH_DET__COUNT];
	uint64_t by_kind[RH_VIOL__COUNT];
	uint64_t bytes, ops;
	uint64_t elapsed_ns;
	uint64_t latency_count, latency_p50_ns, latency_p99_ns, latency_max_ns;
	uint64_t buffers_kept;		/* lent to rings leaked on purpose */
	unsigned fds_kept;		/* named by their requests: kept */
	uint64_t closes_checked;	/* close() calls the fd ledger saw */
	/* the kernel as witness (RH_WITNESS=0 turns it off) */
	bool witness_on;
	char witness_why[120];		/* why not, when off */
	struct rh_witness_stats witness;
	uint64_t witness_user_events;
	uint64_t witness_read_ns, witness_check_ns;
};

int rh_harness_start(const struct rh_harness_opts *opts);

/*
 * Fill the trace hook, the quarantine allocator and the run's buffer
 * strategy (over the quarantine) into p.
 */
void rh_harness_ring_params(struct rc_ring_params *p);

/* Count a ring's cancel and SQ-full figures; call before destroying it. */
void rh_harness_add_ring(const struct rc_ring *r);

/*
 * n more fds (n < 0: any number) may be open at the end than at the start,
 * on purpose: rings leaked and aborts that kept their jobs keep fds, and
 * the fd ledger and the witness check that none a request names closes.
 */
void rh_harness_fds_kept(int n);

/* Work done, for the throughput record. */
void rh_harness_account(uint64_t bytes, uint64_t ops);

/* A violation found by the scenario itself (checksum, ...). */
void rh_harness_violation(enum rh_violation_kind kind, enum rh_detector det,
			  const struct rc_op *op, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * End the run: buffers still lent to the kernel and leaked fds are
 * violations; prints the proof summary line, writes the JSON record.
 * Returns the number of violations.
 */
uint64_t rh_harness_finish(void);

const struct rh_harness_summary *rh_harness_summary(void);

/* The run's buffer strategy ("heap", "pool", "fixed", "ring"). */
const char *rh_harness_buffers(void);

/* Buffers a strategy keeps per ring in harness runs, and their size. */
#define RH_HARNESS_STRATEGY_BUFS	32
#define RH_HARNESS_STRATEGY_BUF_SIZE	(64 * 1024)

#endif
