/* SPDX-License-Identifier: MIT */
/*
 * What every scenario program shares: the command line (--seed, --ops,
 * --seconds, --json, --quarantine), a seeded random source, the harness,
 * per-op outcomes (what the cancel answered, what the op's own CQE said, in
 * which order), and the coverage table of cancel states for reads and
 * writes.  A state with zero hits fails the run unless the scenario said
 * why the kernel or the machine cannot reach it.
 */
#ifndef RH_SCENARIO_H
#define RH_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "ringcp/config.h"
#include "ringcp/ring.h"
#include "harness.h"

enum rh_state {
	RH_ST_BEFORE_SUBMIT,	/* queued in the engine, no SQE yet */
	RH_ST_POLL_ARMED,	/* waiting on a pipe: cancel 0, op -ECANCELED */
	RH_ST_IO_WQ,		/* running in an io-wq worker: -EALREADY */
	RH_ST_BLOCK_LAYER,	/* in the block layer: -ENOENT, CQE later */
	RH_ST_COMPLETED,	/* CQE posted, not reaped: -ENOENT */
	RH_ST_REAPED,		/* reaped, not handed to the caller */
	RH_ST_TEARDOWN,		/* in flight when the ring was torn down */
	RH_ST_LINK_TIMEOUT,	/* its linked timeout expired */
	RH_ST_CHAIN_HEAD,	/* head of a read->write chain cancelled */
	RH_ST_CHAIN_TAIL,	/* tail of a read->write chain cancelled */
	RH_ST_CANCEL_FD,	/* cancelled by one request keyed on its fd */
	RH_ST_CANCEL_ANY,	/* cancelled by one request matching any op */
	RH_ST_SYNC_CANCEL,	/* io_uring_register_sync_cancel on its fd */
	RH_ST_DRAIN_TIMEOUT,	/* held in the kernel past a teardown's
				 * drain limit: the ring is leaked */
	RH_ST_ABORT_TIMEOUT,	/* held in the kernel past a tree abort's
				 * drain limit: its jobs and fds are kept */
	RH_ST__COUNT,
};

enum rh_dir {
	RH_DIR_READ,
	RH_DIR_WRITE,
	RH_DIR__COUNT,
};

const char *rh_state_name(enum rh_state st);

/* What happened to one op, filled in by the trace hook. */
struct rh_outcome {
	uint64_t magic;
	int cancel_res;		/* RC_CANCEL_NONE if no answer */
	int res;		/* the op's own CQE; valid if cqe_seen */
	bool cqe_seen;
	bool cancel_before_cqe;	/* the cancel's answer came first */
	bool released;
	uint64_t cancel_ns, release_ns;
};

struct rh_scenario {
	bool fallback;		/* --fallback: rings of rc_ring_create_sync */
	enum rc_data_path data_path; /* --data: the copies' data path
				      * (copy_chaos, tree_chaos); readwrite
				      * unless --data or $RC_DATA says */
	enum rc_direct direct;	/* --direct: the copies' O_DIRECT writes
				 * (copy_chaos, tree_chaos); 0: default */
	uint64_t memory;	/* --memory=BYTES: the copies' data budget
				 * (copy_chaos, tree_chaos); 0: default */
	const char *fs;		/* --fs=TYPE: the scenario's files on a
				 * scratch filesystem of TYPE (loopfs.h),
				 * where it supports it; NULL: /var/tmp */
	const char *name;
	uint64_t seed, rng;
	uint64_t ops;			/* --ops: iterations to run */
	double seconds;			/* --seconds: or this long */
	uint64_t start_ns;
	uint64_t done;			/* iterations so far */
	uint64_t cancels;		/* random cancellations made */
	uint64_t unexpected;		/* answers the kernel should not give */
	uint64_t hits[RH_ST__COUNT][RH_DIR__COUNT];
	const char *unreachable[RH_ST__COUNT][RH_DIR__COUNT];
	bool in_scope[RH_ST__COUNT][RH_DIR__COUNT];
	/* cancel-to-release latencies per state, for percentiles */
	uint64_t *lat[RH_ST__COUNT];
	size_t lat_n[RH_ST__COUNT], lat_cap[RH_ST__COUNT];
	/* the strategy's buffers per ring (0: the harness' defaults); a
	 * buffer ring must hold every read in flight, each as long */
	unsigned strategy_bufs;
	size_t strategy_buf_size;
	char replay[1024];
	struct rh_harness_opts harness;
};

/*
 * Parse the command line (see rh_scenario_usage), start the harness, and
 * print the seed.  Exits 2 on bad usage.
 */
void rh_scenario_init(struct rh_scenario *s, const char *name, int argc,
		      char **argv, uint64_t default_ops);

/*
 * The opening most scenarios share: rh_scenario_init, then state st in
 * scope for reads and for writes.
 */
void rh_scenario_begin(struct rh_scenario *s, const char *name, int argc,
		       char **argv, uint64_t default_ops, enum rh_state st);

/*
 * Two pipes that keep ops in the kernel, poll-armed: rp stays empty (a
 * read of rp[0] waits), wp is full (a write to wp[1] waits).  Exits 2 if
 * the pipes cannot be made.
 */
void rh_scenario_pipes(int rp[2], int wp[2]);

/* Declare a state (and direction) this scenario is meant to cover. */
void rh_scenario_scope(struct rh_scenario *s, enum rh_state st,
		       enum rh_dir dir);

/* The state cannot be reached here (no root, no O_DIRECT, old kernel). */
void rh_scenario_unreachable(struct rh_scenario *s, enum rh_state st,
			     enum rh_dir dir, const char *why);

/* Ring parameters: harness hooks plus the outcome recorder. */
void rh_scenario_ring_params(struct rh_scenario *s, struct rc_ring_params *p);

/* A ring with rh_scenario_ring_params; exits 2 if io_uring is missing. */
struct rc_ring *rh_scenario_ring(struct rh_scenario *s, unsigned entries);

/* Count the ring's figures into the proof, then tear it down. */
int rh_scenario_ring_done(struct rh_scenario *s, struct rc_ring *r);

/* An idle op holding a len-byte buffer of the ring's strategy. */
struct rc_op *rh_scenario_op(struct rc_ring *r, size_t len);

/*
 * Prepare a read as the run's strategy does it: with a buffer ring the op
 * gives its buffer back and the kernel picks one (IOSQE_BUFFER_SELECT);
 * otherwise into the op's own buffer.  Returns rc_op_prep_read's answer.
 */
int rh_scenario_prep_read(struct rc_op *op, int fd, size_t io_off,
			  uint32_t len, uint64_t off);

/*
 * A watched op (its outcome goes to *o) holding a len-byte buffer,
 * prepared to read fd at off (as the run's strategy reads:
 * rh_scenario_prep_read) or to write fd there.
 */
struct rc_op *rh_scenario_rw(struct rc_ring *r, struct rh_outcome *o,
			     enum rh_dir dir, int fd, uint32_t len,
			     uint64_t off);

/* Wait (at most 2 s) until n CQEs are posted that the engine has not
 * reaped.  Returns true if they are. */
bool rh_scenario_wait_posted(struct rc_ring *r, unsigned n);

/*
 * Wait until the ring hands back an op (rc_ring_next) or timeout_ms has
 * passed in all.  rc_ring_wait returns once CQEs are reaped, and some are
 * the engine's own (a given-up op's, a cancel's): none of those is handed
 * back, so a wait that came back with nothing handed back is not yet a
 * stall; nor is -EINTR.  Returns 0 with *opp set, -ETIME with *opp NULL
 * when none came in time, or rc_ring_wait's -errno.
 */
int rh_scenario_wait_op(struct rc_ring *r, int timeout_ms,
			struct rc_op **opp);

/* A file of len bytes in a fresh temporary directory; O_RDWR | extra. */
int rh_scenario_file(struct rh_scenario *s, uint64_t len, int extra_flags);

/* Busy-wait up to max_ns, a random time (0 included). */
void rh_scenario_random_delay(struct rh_scenario *s, uint64_t max_ns);

/* Watch an op: its outcome is written to *o (which must outlive it). */
void rh_scenario_watch(struct rc_op *op, struct rh_outcome *o);

/* More iterations to run?  (--ops reached or --seconds passed: no) */
bool rh_scenario_more(struct rh_scenario *s);

/* A random number below n (n > 0), from the seeded source. */
uint64_t rh_scenario_rand(struct rh_scenario *s, uint64_t n);

/* Count a hit of state st for dir, with its cancel-to-release latency. */
void rh_scenario_hit(struct rh_scenario *s, enum rh_state st,
		     enum rh_dir dir, const struct rh_outcome *o);

/* An answer the kernel should not have given: counted and printed. */
void rh_scenario_unexpected(struct rh_scenario *s, enum rh_state st,
			    enum rh_dir dir, const struct rh_outcome *o);

/*
 * End: harness proof summary, the coverage table, the JSON record (with
 * coverage).  Returns the exit code: 0, or 1 on any violation, any
 * unexpected answer, or a state in scope with zero hits and no reason.
 */
int rh_scenario_finish(struct rh_scenario *s);

#endif
