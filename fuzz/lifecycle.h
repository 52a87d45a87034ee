/* SPDX-License-Identifier: MIT */
/*
 * The lifecycle fuzzer's program: what an input decodes to, and the state
 * one input runs in (docs/fuzz.md).  Every byte string is a valid
 * program: each step takes its opcode from the low 5 bits of one byte
 * (numbers past the last step: hand back what completed) and its
 * arguments from the bytes after it (0 once the input is used up), and a
 * step that makes no sense in the current state (submit of an empty slot)
 * is a no-op that still prints.
 */
#ifndef FZ_LIFECYCLE_H
#define FZ_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringcp/copy.h"
#include "ringcp/ring.h"
#include "stall.h"

#define FZ_SLOTS	8	/* op records a program holds by number */
#define FZ_STEPS	64	/* steps decoded from one input, at most */
#define FZ_OPENED	(FZ_STEPS + 8)	/* fds openat handed back */
#define FZ_FILE_LEN	(64 * 1024)	/* the data file */
#define FZ_RING_LEAK_BUDGET 8	/* rings a process may leak on purpose
				 * (a stalled read at teardown) */

enum fz_slot_state {
	FZ_EMPTY,	/* no record */
	FZ_IDLE,	/* the program's: got, prepared or delivered */
	FZ_ENGINE,	/* submitted: the engine's until rc_ring_next */
};

struct fz_slot {
	struct rc_op *op;
	enum fz_slot_state st;
	int fd;			/* op->fd as prepared (cancel by fd) */
	uint8_t opcode;		/* as prepared; 0xff: none */
	bool hold_read;		/* reads the hold pipe */
	bool stalled;		/* its buffer is the userfaultfd stall */
	bool has_prev;		/* handed back once: prev_life is known */
	uint32_t prev_life;	/* the op's life when it last came back */
};

/* The fds one input runs with. */
struct fz_fds {
	int data;		/* the data file, O_RDWR */
	int hold_r, hold_w;	/* an empty pipe: reads of hold_r wait */
	int full_w, full_r;	/* a full pipe: writes to full_w wait */
	int opened[FZ_OPENED];	/* openat's answers, the program's */
	unsigned n_opened;
};

enum fz_pump_state {
	FZ_PUMP_NONE,
	FZ_PUMP_ACTIVE,		/* started: its ops come back through reap */
	FZ_PUMP_GONE,		/* ended, aborted or forgotten: only its fds
				 * are left (closed after the ring) */
};

struct fz_state {
	const uint8_t *in;
	size_t size, pos;
	struct rc_ring *r;
	bool sync;		/* a ring of rc_ring_create_sync */
	unsigned entries;
	const char *strategy;
	unsigned strategy_i;	/* fz_strategies[] index (4, 5: fallback) */
	struct fz_slot slot[FZ_SLOTS];
	struct fz_fds fds;
	uint64_t hold_bytes;	/* written to hold_w: reads may get them */
	struct rh_stall stall;
	bool stall_on, stall_released;
	/* a pump of the src file into a new file, sharing the ring */
	struct rc_pump pump;
	struct rc_copy_opts pump_opts;
	enum fz_pump_state pump_st;
	int pump_src, pump_dst;
	unsigned leaked;	/* rings leaked on purpose: their requests
				 * still name the data file (kept open) */
	unsigned leaked_slow;	/* rings leaked with nothing in flight (the
				 * kernel did not free them in time) */
	unsigned made;		/* names new%u / lnk%u handed out */
	char log[16384];	/* the program so far, readable */
	size_t log_len;
};

/* Decode and run one input; returns when the program is done. */
void fz_run(struct fz_state *s);

/* The input's next byte (0 once it is used up). */
uint8_t fz_byte(struct fz_state *s);

/* The program's ring (made on first use: heap, 8 entries). */
struct rc_ring *fz_ring(struct fz_state *s);

/* A ring of strategy (index; 4, 5: the fallback) and entries. */
void fz_ring_make(unsigned strategy, unsigned entries, struct rc_ring **r);

/* Tear down a ring that is not the program's (a step's own). */
void fz_ring_release(struct fz_state *s, struct rc_ring *r);

/* Whether any of the program's ops (or its pump) is in the engine. */
bool fz_engine_has_ops(struct fz_state *s);

/* TREE: rc_tree_copy of the tree made by fz_tree_init (fuzz/tree.c). */
void fz_tree(struct fz_state *s);

/* SPLICE: copies by splice pairs through a pipe pool (fuzz/splice.c). */
void fz_splice(struct fz_state *s);

/* A new file under the work directory to copy into (O_RDWR). */
int fz_new_dst(struct fz_state *s);

/* Make the source tree (once per process, on tmpfs) / remove it all. */
void fz_tree_init(void);
void fz_tree_cleanup(void);
extern char fz_tree_dir[64];

/* Tear the input's ring down (a held stall: leaked on purpose). */
void fz_ring_destroy(struct fz_state *s);

/* End the pump (aborting it if busy) before its ring goes. */
void fz_pump_end(struct fz_state *s);

/* Check a destination fd against the src file's first len bytes. */
void fz_check_copy(struct fz_state *s, int dst, uint64_t len,
		   const char *what);

/* The work directory (made once per process) and its fd; "src", a file of
 * FZ_FILE_LEN bytes nothing writes, is what copies and pumps read. */
extern int fz_dir_fd;
extern char fz_dir[64];

/* Append one line to the program's log (printf style). */
void fz_log(struct fz_state *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A finding of the fuzzer's own oracle: print the program and abort. */
void fz_fail(struct fz_state *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
