/* SPDX-License-Identifier: MIT */
/*
 * The quarantine allocator: a buffer strategy (struct rc_buf_ops) whose
 * every buffer has its own mmap'd pages followed by a guard page, and whose
 * "free" keeps the pages for a while instead of giving them back:
 *   GUARD:  freed pages become PROT_NONE.  A late kernel copy into or out of
 *           them fails (-EFAULT or a short count in its CQE); a late touch by
 *           the program is a SIGSEGV, which rh_quarantine_owns() identifies.
 *   POISON: freed pages are filled with a pattern and stay mapped; the
 *           pattern is checked when the buffer leaves quarantine, so a late
 *           kernel write is seen as changed bytes.
 * Oldest buffers leave quarantine (munmap) once it holds max_bytes.
 */
#ifndef RH_QUARANTINE_H
#define RH_QUARANTINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringcp/ring.h"

enum rh_quarantine_mode {
	RH_QUARANTINE_GUARD,
	RH_QUARANTINE_POISON,
};

#define RH_POISON_BYTE 0xa5

/* what report() is told */
#define RH_Q_REPORT_POISON	1
#define RH_Q_REPORT_DOUBLE_PUT	2

struct rh_qbuf {
	void *base;		/* mapping start (the buffer) */
	size_t map_len;		/* buffer pages + guard page */
	size_t len;		/* as asked */
	bool quarantined;
};

struct rh_quarantine {
	pthread_mutex_t lock;		/* rings of several threads share it */
	enum rh_quarantine_mode mode;
	size_t max_bytes, held_bytes;
	struct rh_qbuf *live;		/* handed out */
	size_t live_count, live_cap;
	struct rh_qbuf *fifo;		/* quarantined, oldest first */
	size_t fifo_head, fifo_count, fifo_cap;
	/* called when a buffer's poison changed or a buffer is put twice */
	void (*report)(void *arg, int kind, const void *addr, size_t len);
	void *report_arg;
	uint64_t gets, puts, evictions, poison_failures, double_puts;
};

extern const struct rc_buf_ops rh_buf_quarantine;

void rh_quarantine_init(struct rh_quarantine *q, enum rh_quarantine_mode mode,
			size_t max_bytes);

/*
 * Check the poison of (POISON) and unmap every quarantined buffer; with no
 * buffer handed out any more, free the allocator's own tables too.
 */
void rh_quarantine_drain(struct rh_quarantine *q);

/* Is addr inside a quarantined buffer?  Takes the quarantine's lock. */
bool rh_quarantine_owns(struct rh_quarantine *q, const void *addr);

/*
 * The same without the lock, for the SIGSEGV handler (async-signal-safe;
 * exact while no other thread frees buffers at that moment).
 */
bool rh_quarantine_owns_unlocked(const struct rh_quarantine *q,
				 const void *addr);

#endif
