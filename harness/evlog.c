/* SPDX-License-Identifier: MIT */
/*
 * The event log (evlog.h).  One line per engine trace event:
 *
 *   EVENT [r=RING] [o=REC.LIFE] [b=BUF] [k=KIND lk=0|1 lt=0|1]
 *         [f=FD ud=LIFE [f2=FD]] [same=0|1] [sync=0|1] [own=OWNER st=STATE] res=RES
 *   PIPE_MAKE|PIPE_LEND|PIPE_PUT|PIPE_CLOSE p=PIPE f=RFD f2=WFD res=HOW
 *   CLOSE f=FD
 *
 * RING, REC and BUF are small numbers standing for a ring, a record and a
 * buffer address; a record address seen again in a new ring (records are
 * freed with their ring) is a new record.  LIFE counts the record's
 * RC_EV_OP_GETs.  KIND is the op's opcode as the model names it (READ,
 * READSEL: a buffer-select read, WRITE, OPENAT, CLOSE, OTHER), lk its
 * IOSQE_IO_LINK/HARDLINK, lt its link timeout (on OP_QUEUE and SUBMIT);
 * f the fd its request names and ud the life its user_data carries (on
 * SUBMIT); CLOSE is the program's (or the engine's) close() of an fd,
 * from the harness' close wrapper;
 * `same` says whether an OP_CQE's user_data names the record's current
 * life; `sync` whether a cancel answer without op is
 * io_uring_register_sync_cancel's.  PIPE_* are the steps of a splice
 * pair's pipe (PIPE a small number from its making, its read and write
 * ends; PIPE_PUT's res is enum rc_pipe_state).  BUF_LOST carries the ring being
 * freed (its strategy counts the buffers then).  The log
 * ends with "END exit", or "END died" when a sanitizer stopped the run.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringcp/hmap.h"
#include "evlog.h"
#include "death.h"
#include "sanitizer.h"

#ifdef RH_HAVE_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

struct rh_evlog_rec {
	unsigned id, ring, life;
};

static struct {
	FILE *f;
	bool tried;
	struct rc_hmap rings, recs, bufs, pipes;
	unsigned next_ring, next_rec, next_buf, next_pipe;
	unsigned freeing;	/* the ring of the last RC_EV_RING_FREE */
} rh_ev;

static const char *const rh_ev_names[RC_EV__COUNT] = {
	[RC_EV_BUF_GET] = "BUF_GET",		[RC_EV_BUF_PUT] = "BUF_PUT",
	[RC_EV_SUBMIT] = "SUBMIT",		[RC_EV_SQE] = "SQE",
	[RC_EV_CQE] = "CQE",			[RC_EV_DELIVER] = "DELIVER",
	[RC_EV_CANCEL] = "CANCEL",		[RC_EV_CANCEL_CQE] = "CANCEL_CQE",
	[RC_EV_HALT] = "HALT",			[RC_EV_RELEASE] = "RELEASE",
	[RC_EV_STALE_CQE] = "STALE_CQE",	[RC_EV_UNKNOWN_CQE] = "UNKNOWN_CQE",
	[RC_EV_BUF_PROVIDE] = "BUF_PROVIDE",	[RC_EV_BUF_SELECT] = "BUF_SELECT",
	[RC_EV_BUF_RECLAIM] = "BUF_RECLAIM",	[RC_EV_BUF_LOST] = "BUF_LOST",
	[RC_EV_BUF_POISON] = "BUF_POISON",	[RC_EV_OP_GET] = "OP_GET",
	[RC_EV_OP_QUEUE] = "OP_QUEUE",		[RC_EV_OP_CQE] = "OP_CQE",
	[RC_EV_TIMEOUT_CQE] = "TIMEOUT_CQE",	[RC_EV_CANCEL_SQE] = "CANCEL_SQE",
	[RC_EV_OP_FAIL] = "OP_FAIL",		[RC_EV_FD_CLOSE] = "FD_CLOSE",
	[RC_EV_CANCEL_FD_SQE] = "CANCEL_FD_SQE",
	[RC_EV_RING_TEARDOWN] = "RING_TEARDOWN",
	[RC_EV_RING_DRAIN] = "RING_DRAIN",	[RC_EV_RING_EXIT] = "RING_EXIT",
	[RC_EV_RING_PROVEN] = "RING_PROVEN",	[RC_EV_RING_FREE] = "RING_FREE",
	[RC_EV_RING_LEAK] = "RING_LEAK",	[RC_EV_MEM_PUT] = "MEM_PUT",
	[RC_EV_PIPE_MAKE] = "PIPE_MAKE",	[RC_EV_PIPE_LEND] = "PIPE_LEND",
	[RC_EV_PIPE_PUT] = "PIPE_PUT",		[RC_EV_PIPE_CLOSE] = "PIPE_CLOSE",
};

/* A small number for key in map, a new one the first time. */
static unsigned rh_evlog_id(struct rc_hmap *m, const void *key,
			    unsigned *next)
{
	uintptr_t id = (uintptr_t)rc_hmap_get(m, rc_hkey_ptr(key));

	if (!id) {
		id = ++*next;
		if (rc_hmap_put(m, rc_hkey_ptr(key), (void *)id))
			return 0;
	}
	return (unsigned)id;
}

/* The record op stands for in ring; a new one if its ring changed. */
static struct rh_evlog_rec *rh_evlog_rec(const struct rc_op *op,
					 unsigned ring)
{
	struct rh_evlog_rec *rec = rc_hmap_get(&rh_ev.recs, rc_hkey_ptr(op));

	if (rec && rec->ring == ring)
		return rec;
	if (!rec) {
		rec = calloc(1, sizeof(*rec));
		if (!rec || rc_hmap_put(&rh_ev.recs, rc_hkey_ptr(op), rec)) {
			free(rec);
			return NULL;
		}
	}
	rec->id = ++rh_ev.next_rec;
	rec->ring = ring;
	rec->life = 0;
	return rec;
}

static const char *rh_evlog_kind(const struct rc_op *op)
{
	switch (op->opcode) {
	case IORING_OP_READ:
		return op->buf_select ? "READSEL" : "READ";
	case IORING_OP_WRITE:
		return "WRITE";
	case IORING_OP_SPLICE:	/* a data op like them, without a buffer */
		return "SPLICE";
	case IORING_OP_OPENAT:
		return "OPENAT";
	case IORING_OP_CLOSE:
		return "CLOSE";
	default:
		return "OTHER";
	}
}

static void rh_evlog_end(const char *how)
{
	struct rh_evlog_rec *rec;
	size_t i = 0;

	if (!rh_ev.f)
		return;
	fprintf(rh_ev.f, "END %s\n", how);
	fclose(rh_ev.f);
	rh_ev.f = NULL;
	while ((rec = rc_hmap_next(&rh_ev.recs, &i)))
		free(rec);
	rc_hmap_free(&rh_ev.recs);
	rc_hmap_free(&rh_ev.rings);
	rc_hmap_free(&rh_ev.bufs);
	rc_hmap_free(&rh_ev.pipes);
}

void rh_evlog_close(void)
{
	rh_evlog_end("exit");
}

static void rh_evlog_atexit(void)
{
	rh_evlog_end("exit");
}

#ifdef RH_HAVE_ASAN
/* a sanitizer report ends the run: keep what was logged */
static void rh_evlog_died(void)
{
	if (rh_ev.f) {
		fprintf(rh_ev.f, "END died\n");
		fflush(rh_ev.f);
	}
}
#endif

int rh_evlog_open(const char *path)
{
	bool first = !rh_ev.tried;

	rh_ev.tried = true;
	if (rh_ev.f)
		fclose(rh_ev.f);
	rh_ev.f = fopen(path, "w");
	if (!rh_ev.f) {
		fprintf(stderr, "harness: cannot write the event log '%s': %s\n",
			path, strerror(errno));
		return -errno;
	}
	setvbuf(rh_ev.f, NULL, _IOFBF, 1 << 20);
	if (first) {
		atexit(rh_evlog_atexit);
#ifdef RH_HAVE_ASAN
		rh_on_death(rh_evlog_died);
#endif
	}
	return 0;
}

/* The fields of an event about an op. */
static void rh_evlog_op(enum rc_trace_event ev, const struct rc_op *op,
			const void *buf)
{
	unsigned ring = rh_evlog_id(&rh_ev.rings, op->ring, &rh_ev.next_ring);
	struct rh_evlog_rec *rec = rh_evlog_rec(op, ring);
	struct rc_ud ud;

	if (!rec)
		return;
	if (ev == RC_EV_OP_GET)
		rec->life++;
	fprintf(rh_ev.f, " r=%u o=%u.%u", ring, rec->id, rec->life);
	if ((ev == RC_EV_SUBMIT || ev == RC_EV_RELEASE ||
	     ev == RC_EV_BUF_SELECT) && buf)
		fprintf(rh_ev.f, " b=%u", rh_evlog_id(&rh_ev.bufs, buf,
						      &rh_ev.next_buf));
	if (ev == RC_EV_OP_QUEUE || ev == RC_EV_SUBMIT)
		fprintf(rh_ev.f, " k=%s lk=%d lt=%d", rh_evlog_kind(op),
			!!(op->sqe_flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)),
			op->link_timeout_ns != 0);
	if (ev == RC_EV_SUBMIT)	/* the fd its request names, its user_data */
		fprintf(rh_ev.f, " f=%d ud=%u", op->fd,
			(unsigned)(uint16_t)rc_op_life(op));
	if (ev == RC_EV_SUBMIT && op->opcode == IORING_OP_SPLICE)
		fprintf(rh_ev.f, " f2=%d", op->splice_fd_in);	/* its second */
	if (ev == RC_EV_HALT || ev == RC_EV_FD_CLOSE)
		fprintf(rh_ev.f, " k=%s", rh_evlog_kind(op));
	if (ev == RC_EV_OP_CQE) {
		rc_ud_decode(op->cqe_user_data, &ud);
		fprintf(rh_ev.f, " same=%d",
			ud.life == (uint16_t)rc_op_life(op));
	}
	fprintf(rh_ev.f, " own=%u st=%u", op->owner, op->state);
}

/* An event without op that is a step of the ring in buf. */
static bool rh_evlog_ring_wide(enum rc_trace_event ev)
{
	switch (ev) {
	case RC_EV_CANCEL_CQE:
	case RC_EV_UNKNOWN_CQE:
	case RC_EV_CANCEL_FD_SQE:
	case RC_EV_RING_TEARDOWN:
	case RC_EV_RING_DRAIN:
	case RC_EV_RING_EXIT:
	case RC_EV_RING_PROVEN:
	case RC_EV_RING_FREE:
	case RC_EV_RING_LEAK:
		return true;
	default:
		return false;
	}
}

/* $RH_EVENTS is opened before main(), so that the harness' fd count at
 * its start already includes the log */
__attribute__((constructor)) static void rh_evlog_from_env(void)
{
	const char *path = getenv("RH_EVENTS");

	if (path && *path && !rh_ev.tried)
		rh_evlog_open(path);
}

void rh_evlog_fd_close(int fd)
{
	if (rh_ev.f)
		fprintf(rh_ev.f, "CLOSE f=%d\n", fd);
}

void rh_evlog_event(enum rc_trace_event ev, const struct rc_op *op,
		    const void *buf, size_t len, int64_t res)
{
	if (!rh_ev.f)
		return;
	if (ev >= RC_EV__COUNT || ev == RC_EV_SQE || !rh_ev_names[ev])
		return;		/* the SQE itself: the model's SUBMIT has it */
	fputs(rh_ev_names[ev], rh_ev.f);
	if (op) {
		rh_evlog_op(ev, op, buf);
	} else if (rh_evlog_ring_wide(ev)) {
		/* a step of the ring (in buf) */
		unsigned ring = rh_evlog_id(&rh_ev.rings, buf,
					    &rh_ev.next_ring);

		fprintf(rh_ev.f, " r=%u", ring);
		if (ev == RC_EV_CANCEL_CQE)
			fprintf(rh_ev.f, " sync=%d", len == 1);
		if (ev == RC_EV_RING_FREE)
			rh_ev.freeing = ring;
	} else if (ev >= RC_EV_PIPE_MAKE && ev <= RC_EV_PIPE_CLOSE) {
		/* a splice pipe: a new number from its making (the address
		 * of a pipe freed unclosed may come back) */
		if (ev == RC_EV_PIPE_MAKE)
			rc_hmap_del(&rh_ev.pipes, rc_hkey_ptr(buf));
		fprintf(rh_ev.f, " p=%u f=%d f2=%d",
			rh_evlog_id(&rh_ev.pipes, buf, &rh_ev.next_pipe),
			(int)(len >> 32), (int)(uint32_t)len);
		if (ev == RC_EV_PIPE_CLOSE)
			rc_hmap_del(&rh_ev.pipes, rc_hkey_ptr(buf));
	} else if (ev == RC_EV_BUF_LOST) {
		fprintf(rh_ev.f, " r=%u", rh_ev.freeing);
	} else if (buf) {
		fprintf(rh_ev.f, " b=%u", rh_evlog_id(&rh_ev.bufs, buf,
						      &rh_ev.next_buf));
	}
	fprintf(rh_ev.f, " res=%" PRId64 "\n", res);
	if (ev == RC_EV_RING_FREE)	/* its address may come back */
		rc_hmap_del(&rh_ev.rings, rc_hkey_ptr(buf));
}
