/* SPDX-License-Identifier: MIT */
/*
 * What every scenario program shares: the command line (--seed, --ops,
 * --seconds, --json, --quarantine), a seeded random source, the harness,
 * per-op outcomes (what the cancel answered, what the op's own CQE said, in
 * which order), and the coverage table of cancel states for reads and
 * writes.  A state with zero hits fails the run unless the scenario said
 * why the kernel or the machine cannot reach it.
 */
#ifndef RC_SCENARIO_H
#define RC_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "rc.h"
#include "rc_harness.h"

enum rc_state {
	RC_ST_BEFORE_SUBMIT,	/* queued in the engine, no SQE yet */
	RC_ST_POLL_ARMED,	/* waiting on a pipe: cancel 0, op -ECANCELED */
	RC_ST_IO_WQ,		/* running in an io-wq worker: -EALREADY */
	RC_ST_BLOCK_LAYER,	/* in the block layer: -ENOENT, CQE later */
	RC_ST_COMPLETED,	/* CQE posted, not reaped: -ENOENT */
	RC_ST_REAPED,		/* reaped, not handed to the caller */
	RC_ST_TEARDOWN,		/* in flight when the ring was torn down */
	RC_ST_LINK_TIMEOUT,	/* its linked timeout expired */
	RC_ST_CHAIN_HEAD,	/* head of a read->write chain cancelled */
	RC_ST_CHAIN_TAIL,	/* tail of a read->write chain cancelled */
	RC_ST_CANCEL_FD,	/* cancelled by one request keyed on its fd */
	RC_ST_CANCEL_ANY,	/* cancelled by one request matching any op */
	RC_ST_SYNC_CANCEL,	/* io_uring_register_sync_cancel on its fd */
	RC_ST__COUNT,
};

enum rc_dir {
	RC_DIR_READ,
	RC_DIR_WRITE,
	RC_DIR__COUNT,
};

const char *rc_state_name(enum rc_state st);

/* What happened to one op, filled in by the trace hook. */
struct rc_outcome {
	uint64_t magic;
	int cancel_res;		/* RC_CANCEL_NONE if no answer */
	int res;		/* the op's own CQE; valid if cqe_seen */
	bool cqe_seen;
	bool cancel_before_cqe;	/* the cancel's answer came first */
	bool released;
	uint64_t cancel_ns, release_ns;
};

struct rc_scenario {
	const char *name;
	uint64_t seed, rng;
	uint64_t ops;			/* --ops: iterations to run */
	double seconds;			/* --seconds: or this long */
	uint64_t start_ns;
	uint64_t done;			/* iterations so far */
	uint64_t cancels;		/* random cancellations made */
	uint64_t unexpected;		/* answers the kernel should not give */
	uint64_t hits[RC_ST__COUNT][RC_DIR__COUNT];
	const char *unreachable[RC_ST__COUNT][RC_DIR__COUNT];
	bool in_scope[RC_ST__COUNT][RC_DIR__COUNT];
	/* cancel-to-release latencies per state, for percentiles */
	uint64_t *lat[RC_ST__COUNT];
	size_t lat_n[RC_ST__COUNT], lat_cap[RC_ST__COUNT];
	/* the strategy's buffers per ring (0: the harness' defaults); a
	 * buffer ring must hold every read in flight, each as long */
	unsigned strategy_bufs;
	size_t strategy_buf_size;
	char replay[1024];
	struct rc_harness_opts harness;
};

/*
 * Parse the command line (see rc_scenario_usage), start the harness, and
 * print the seed.  Exits 2 on bad usage.
 */
void rc_scenario_init(struct rc_scenario *s, const char *name, int argc,
		      char **argv, uint64_t default_ops);

/* Declare a state (and direction) this scenario is meant to cover. */
void rc_scenario_scope(struct rc_scenario *s, enum rc_state st,
		       enum rc_dir dir);

/* The state cannot be reached here (no root, no O_DIRECT, old kernel). */
void rc_scenario_unreachable(struct rc_scenario *s, enum rc_state st,
			     enum rc_dir dir, const char *why);

/* Ring parameters: harness hooks plus the outcome recorder. */
void rc_scenario_ring_params(struct rc_scenario *s, struct rc_ring_params *p);

/* A ring with rc_scenario_ring_params; exits 2 if io_uring is missing. */
struct rc_ring *rc_scenario_ring(struct rc_scenario *s, unsigned entries);

/* Count the ring's figures into the proof, then tear it down. */
int rc_scenario_ring_done(struct rc_scenario *s, struct rc_ring *r);

/* An idle op holding a len-byte buffer of the ring's strategy. */
struct rc_op *rc_scenario_op(struct rc_ring *r, size_t len);

/*
 * Prepare a read as the run's strategy does it: with a buffer ring the op
 * gives its buffer back and the kernel picks one (IOSQE_BUFFER_SELECT);
 * otherwise into the op's own buffer.  Returns rc_op_prep_read's answer.
 */
int rc_scenario_prep_read(struct rc_op *op, int fd, size_t io_off,
			  uint32_t len, uint64_t off);

/* Wait (at most 2 s) until n CQEs are posted that the engine has not
 * reaped.  Returns true if they are. */
bool rc_scenario_wait_posted(struct rc_ring *r, unsigned n);

/* A file of len bytes in a fresh temporary directory; O_RDWR | extra. */
int rc_scenario_file(struct rc_scenario *s, uint64_t len, int extra_flags);

/* Busy-wait up to max_ns, a random time (0 included). */
void rc_scenario_random_delay(struct rc_scenario *s, uint64_t max_ns);

/* Watch an op: its outcome is written to *o (which must outlive it). */
void rc_scenario_watch(struct rc_op *op, struct rc_outcome *o);

/* More iterations to run?  (--ops reached or --seconds passed: no) */
bool rc_scenario_more(struct rc_scenario *s);

/* A random number below n (n > 0), from the seeded source. */
uint64_t rc_scenario_rand(struct rc_scenario *s, uint64_t n);

/* Count a hit of state st for dir, with its cancel-to-release latency. */
void rc_scenario_hit(struct rc_scenario *s, enum rc_state st,
		     enum rc_dir dir, const struct rc_outcome *o);

/* An answer the kernel should not have given: counted and printed. */
void rc_scenario_unexpected(struct rc_scenario *s, enum rc_state st,
			    enum rc_dir dir, const struct rc_outcome *o);

/*
 * End: harness proof summary, the coverage table, the JSON record (with
 * coverage).  Returns the exit code: 0, or 1 on any violation, any
 * unexpected answer, or a state in scope with zero hits and no reason.
 */
int rc_scenario_finish(struct rc_scenario *s);

#endif
