/* SPDX-License-Identifier: MIT */
/*
 * ringcheck's preloaded library: what it knows of the program's rings and
 * requests, and the calls between its files.  One lock guards it all;
 * a thread inside the library (rk_enter) passes every call it makes
 * itself (malloc's free, backtrace's loads) straight through.
 *
 *   rk_init.c    start-up, options, limits said, summary, the shared page
 *   rk_ring.c    rings: learnt from liburing's struct or from
 *                io_uring_setup's params and the mmaps; SQ and CQ reading
 *   rk_req.c     requests in flight: ranges, fds, CQE matching, orphans
 *   rk_check.c   a release (memory or fd) held against them
 *   rk_report.c  the ASan-style report
 *   rk_mem.c     free, realloc, munmap, mremap, madvise
 *   rk_fd.c      close, dup2, dup3, close_range, fclose, closedir
 *   rk_uring.c   liburing's exported functions
 *   rk_sys.c     syscall(2) and mmap: raw io_uring users
 *   rk_trap.c    --trap-enters: the program's own enter instructions
 *   rk_thread.c  a thread's end: its stack given back
 *   rk_jump.c    longjmp: the frames it pops
 */
#ifndef RK_H
#define RK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <liburing.h>

#include "ringcp/hmap.h"
#include "rk_shared.h"
#include "sqe_refs.h"

/* Linux 6.5+ setup flags liburing 2.3's header does not name yet */
#ifndef IORING_SETUP_NO_MMAP
#define IORING_SETUP_NO_MMAP		(1U << 14)
#endif
#ifndef IORING_SETUP_REGISTERED_FD_ONLY
#define IORING_SETUP_REGISTERED_FD_ONLY	(1U << 15)
#endif
#ifndef IORING_SETUP_NO_SQARRAY
#define IORING_SETUP_NO_SQARRAY		(1U << 16)
#endif

#define RK_MAX_RINGS	256
#define RK_BT		14	/* frames kept of a submission */

struct rk_ring {
	bool used;
	bool mapped;		/* every pointer below is set */
	bool dead;		/* torn down: no CQ to read any more */
	bool stable;		/* IORING_FEAT_SUBMIT_STABLE */
	bool said_unseen;	/* limit said: enters ringcheck cannot see */
	int fd;
	uint64_t born_ns;	/* when ringcheck learnt it (mono) */
	unsigned flags, features;
	unsigned sq_entries, cq_entries;
	const unsigned *sq_khead, *sq_ktail, *sq_kmask, *sq_array;
	const unsigned *cq_khead, *cq_ktail, *cq_kmask;
	const char *sqes;
	unsigned sqe_size;	/* 64, or 128 (SQE128) */
	const char *cqes;
	unsigned cqe_size;	/* 16, or 32 (CQE32) */
	const struct io_uring *lr;	/* liburing's ring (its sqe_tail) */
	unsigned sq_seen, cq_seen;	/* SQ head and CQ tail read so far */
	uint64_t chain;			/* link chain of the last SQE taken */
	bool linked;			/* ... and it links to the next */
	struct io_uring_params p;	/* io_uring_setup's (raw users) */
	const void *map_sq, *map_cq, *map_sqes;	/* mmaps seen */
	size_t len_sq, len_cq, len_sqes;
};

struct rk_range {
	uintptr_t lo, hi;
	uint8_t kind;		/* enum rh_mem_kind */
};

/* A request the kernel took and has not been seen completing. */
struct rk_req {
	struct rk_req *prev, *next;	/* every request in flight */
	struct rk_req *same;		/* the next with this ring and ud */
	int ring;
	uint64_t ud, seq;
	uint64_t chain;		/* its link chain (IOSQE_IO_LINK) */
	uint8_t opcode, sqe_flags;
	bool orphan;		/* its ring torn down before its CQE */
	unsigned nranges, nfds;
	struct rk_range *range;	/* what it holds until its CQE */
	int fd[RH_SQE_MAX_FDS + 1];
	int nbt;
	void *bt[RK_BT];	/* where it was submitted */
};

/* A release: what the program gives back, by which call. */
struct rk_release {
	const char *call;	/* "free", "close"... */
	uintptr_t lo, hi;	/* memory; lo == hi: none */
	int fd, fd_last;	/* fds fd..fd_last; fd > fd_last: none */
	uint64_t chain;		/* an IORING_OP_CLOSE's chain: requests
				 * before it in its chain run first */
};

static inline bool rk_fd_hit(const struct rk_release *rel, int fd)
{
	return fd >= 0 && fd >= rel->fd && fd <= rel->fd_last;
}

struct rk_state {
	pthread_mutex_t lock;
	int nrings;
	struct rk_ring ring[RK_MAX_RINGS];
	struct rc_hmap byud;		/* (ring, ud) -> oldest rk_req */
	struct rk_req *live;		/* newest first */
	uint64_t nlive;			/* read without the lock: hint */
	uint64_t seq;
	int out;			/* where reports go */
	int exitcode;			/* standalone: exit status on reports */
	bool standalone;		/* no launcher: summary at exit here */
	bool stacks;			/* backtraces of submissions */
	struct rk_shared *sh;
	uint64_t chains;		/* link chains numbered */
	unsigned ncloses;		/* IORING_OP_CLOSEs taken, to check */
	struct {
		int fd;
		uint64_t chain;
	} closes[64];
};

/* the submission being read: its caller's stack (rk_ring_note_submitter) */
extern __thread int rk_sub_nbt;
extern __thread void *rk_sub_bt[RK_BT];

extern struct rk_state rk;

/* ---- rk_init.c ---- */
/* Enter the library: false if this thread is already inside (pass). */
bool rk_enter(void);
void rk_leave(void);
void rk_init(void);
/* The real function name of the next object (libc, liburing), or NULL. */
void *rk_real(const char *name);
void rk_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- rk_ring.c ---- */
struct rk_ring *rk_ring_by_fd(int fd);
int rk_ring_index(const struct rk_ring *r);
/* Learn a ring from liburing's struct (after its init succeeded). */
void rk_ring_from_liburing(const struct io_uring *lr, unsigned features);
/* Learn a ring from io_uring_setup's answer; its mmaps come later. */
void rk_ring_from_setup(int fd, const struct io_uring_params *p);
/* An mmap of a ring fd at off: attach it. */
void rk_ring_mmap(int fd, off_t off, const void *addr, size_t len);
/* After any io_uring_enter: read what each ring's kernel took. */
void rk_ring_took_all(void);
/* Read every ring's new CQEs (completions). */
void rk_ring_reap_all(void);
/* The ring is going away: last reap, its requests become orphans. */
void rk_ring_teardown(struct rk_ring *r, const char *how);
/* Rings whose mmaps [lo, hi) overlaps. */
void rk_ring_unmapped(uintptr_t lo, uintptr_t hi);
/* Does any ring hold SQEs the kernel has not taken yet? */
bool rk_ring_any_queued(void);
/* Walk the SQEs queued in r's SQ, not yet taken by the kernel. */
void rk_ring_each_queued(struct rk_ring *r,
			 void (*fn)(struct rk_ring *, const struct io_uring_sqe *,
				    void *), void *arg);
/* Stack of the submitter, for requests the next take reads. */
void rk_ring_note_submitter(void);

/* ---- rk_req.c ---- */
void rk_req_add(struct rk_ring *r, const struct io_uring_sqe *sqe);
/* Check the IORING_OP_CLOSEs taken, once the CQs are read. */
void rk_req_check_closes(void);
void rk_req_cqe(struct rk_ring *r, uint64_t ud, uint32_t cflags);
void rk_req_orphan_ring(int ring);
/* Forget the ring's requests (their CQEs may have been missed). */
void rk_req_drop_ring(int ring);
const char *rk_opcode_name(unsigned op);

/* ---- rk_check.c ---- */
/* Check a release against requests in flight and SQEs queued: reports. */
unsigned rk_check(const struct rk_release *rel);
/* The registered buffers of r go (call): requests in flight on them. */
unsigned rk_check_unregister(const struct rk_ring *r, const char *call);
/* Fast test without the lock: could anything be held? */
static inline bool rk_maybe_held(void)
{
	return __atomic_load_n(&rk.nlive, __ATOMIC_RELAXED) ||
	       rk_ring_any_queued();
}

/* ---- rk_mem.c, rk_fd.c: a release checked (takes the lock) ---- */
/* Memory [lo, hi) given back by call: the number of reports. */
unsigned rk_mem_check(const char *call, uintptr_t lo, uintptr_t hi);
/* fds fd..last given back by call. */
void rk_fd_check(const char *call, int fd, int last);

/* ---- rk_uring.c, rk_sys.c: around a call that may enter the kernel ---- */
void rk_enter_before(const struct rk_ring *r);
void rk_enter_after(void);

/* ---- rk_trap.c ---- */
/* Trap enters made outside ringcheck (seccomp, SIGSYS): 0 or -errno. */
int rk_trap_start(void);

/* ---- rk_report.c ---- */
uint64_t rk_now_ns(void);
void rk_report(const struct rk_release *rel, const struct rk_req *q,
	       const struct io_uring_sqe *queued, const struct rk_ring *r,
	       const char *what, uintptr_t lo, uintptr_t hi, int kind);

#endif
