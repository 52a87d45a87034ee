/* SPDX-License-Identifier: MIT */
/*
 * The lifecycle fuzzer's splice step (docs/fuzz.md): src copied into new
 * files by splice pairs (file -> pipe -> file, engine/copy/splice.c)
 * through a pipe pool (engine/copy/pipe.c), on the input's ring.  Either
 * one copy (rc_copy_fd, its own pool of 1-4 pipes, one op cancelled at an
 * input-chosen turn: a pair cut in flight, its pipe retired), or two
 * pumps sharing a pool of 1-2 pipes (the second waits on the pool's list
 * for the first's pipe), the first aborted at a turn: the second must
 * still be woken and finish.  The decoder's oracle: every copy that went
 * through is exact, no pump waits for a pipe while none is lent (a lost
 * wake-up hangs a tree copy), no op handed back for 10 s, the pool lends
 * nothing once the pumps are done and is closed whole once the ring is
 * quiet.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lifecycle.h"
#include "scenario.h"

/* no op handed back for this long: stuck (a lost wake-up is for ever; a
 * write may wait seconds for writeback on a loaded machine; the "splice
 * out waited over 2 s" once seen under the suite was this step's own
 * misread wait, see fz_splice_reap) */
#define FZ_SPLICE_STUCK_MS	10000

struct fz_splice_chaos {
	unsigned turn, at;
};

/* rc_copy_fd's hook: cancel one op at turn `at` (0: never). */
static int fz_splice_hook(void *arg, unsigned busy)
{
	struct fz_splice_chaos *c = arg;

	return ++c->turn == c->at && busy ? RC_CHAOS_CANCEL_OP : RC_CHAOS_NONE;
}

static int fz_splice_src(void)
{
	return openat(fz_dir_fd, "src", O_RDONLY | O_CLOEXEC);
}

/* One copy by splice pairs, its own pool, an op cancelled at turn at. */
static void fz_splice_one(struct fz_state *s, unsigned pairs, unsigned qd,
			  enum rc_data_path path, unsigned at)
{
	struct fz_splice_chaos chaos = { .at = at };
	struct rc_copy_opts o = {
		.queue_depth = qd,
		.data_path = path,
		.splice_pairs = pairs,
		.no_fallocate = true,
		.chaos = fz_splice_hook,
		.chaos_arg = &chaos,
		.drain_ms = 2000,
	};
	enum rc_copy_side side = RC_SIDE_NONE;
	int src = fz_splice_src(), dst = fz_new_dst(s), drain_err = 0;
	int64_t n = rc_copy_fd(s->r, src, dst, FZ_FILE_LEN, &o, &side,
			       &drain_err);

	fz_log(s, "  copied %lld", (long long)n);
	if (n == FZ_FILE_LEN)
		fz_check_copy(s, dst, FZ_FILE_LEN, "rc_copy_fd by splice");
	else if (n != -ECANCELED || !at)
		fz_fail(s, "rc_copy_fd by splice answered %lld (side %d, "
			"drain %d)", (long long)n, side, drain_err);
	if (drain_err)
		fz_fail(s, "rc_copy_fd by splice could not drain: %s",
			strerror(-drain_err));
	close(src);
	close(dst);
}

/* Hand the ops that came back to their pump (none of the program's is in
 * flight: the step waits for them); false if none came for
 * FZ_SPLICE_STUCK_MS.  Not one rc_ring_wait: it ends as soon as CQEs are
 * reaped, and those of the aborted pump's given-up pairs and of their
 * cancels are the engine's own, handed back to no one (taken for a stall
 * after 0 ms, 2 runs in 3 of the corpus). */
static bool fz_splice_reap(struct fz_state *s, struct rc_pump *p)
{
	struct rc_op *op;
	int ret;

	ret = rh_scenario_wait_op(s->r, FZ_SPLICE_STUCK_MS, &op);
	if (ret == -ETIME)
		return false;
	if (ret < 0)
		fz_fail(s, "rc_ring_wait: %s", strerror(-ret));
	do {
		struct rc_pump *of = rc_pump_of(op);

		if (of != &p[0] && of != &p[1])
			fz_fail(s, "an op of no splice pump came back: %p",
				(void *)op);
		rc_pump_complete(of, op);
	} while ((op = rc_ring_next(s->r)));
	return true;
}

/* Two pumps sharing one pool; the first aborted at turn at (0: never). */
static void fz_splice_two(struct fz_state *s, unsigned pairs, unsigned qd,
			  uint32_t chunk, unsigned at)
{
	struct rc_copy_opts o = {
		.queue_depth = qd,
		.data_path = RC_DATA_SPLICE,
		.no_fallocate = true,
		.drain_ms = 2000,
	};
	struct rc_pipe_pool *pool;
	struct rc_pump p[2];
	int src[2], dst[2], ret, i;
	bool aborted = false;
	unsigned turn = 0;

	ret = rc_pipe_pool_create(s->r, pairs, chunk, &pool);
	if (ret)
		return fz_log(s, "  no pool: %s", strerror(-ret));
	o.pipes = pool;
	for (i = 0; i < 2; i++) {
		src[i] = fz_splice_src();
		dst[i] = fz_new_dst(s);
		ret = rc_pump_start(&p[i], s->r, src[i], dst[i], 0, FZ_FILE_LEN,
				    true, &o);
		if (ret)
			fz_fail(s, "pump %d could not start: %s", i,
				strerror(-ret));
	}
	fz_log(s, "  second pump %s", p[1].waiting ? "waits for a pipe" :
	       "has one");
	while (!rc_pump_done(&p[0]) || !rc_pump_done(&p[1])) {
		if (at && ++turn == at && !rc_pump_done(&p[0])) {
			rc_pump_abort(&p[0]);	/* its pipes retired */
			aborted = true;
			fz_log(s, "  first pump aborted at turn %u", turn);
		}
		for (i = 0; i < 2; i++)
			if (p[i].waiting && !p[i].busy &&
			    !rc_pipe_pool_lent(pool))
				fz_fail(s, "splice pump %d waits for a pipe "
					"with none lent: no wake-up can come", i);
		if (!rc_pump_done(&p[0]) || !rc_pump_done(&p[1]))
			if (!fz_splice_reap(s, p))
				fz_fail(s, "splice pumps stuck: %u and %u in "
					"flight, waiting %d and %d; the ring: "
					"%u in flight, %u queued",
					p[0].busy, p[1].busy, p[0].waiting,
					p[1].waiting, rc_ring_inflight(s->r),
					rc_ring_queued(s->r));
	}
	for (i = 0; i < 2; i++) {
		if (i == 0 && aborted)
			continue;
		if (p[i].err || rc_pump_eof(&p[i]) != FZ_FILE_LEN)
			fz_fail(s, "splice pump %d ended: %s at %llu", i,
				strerror(-p[i].err),
				(unsigned long long)rc_pump_eof(&p[i]));
		fz_check_copy(s, dst[i], FZ_FILE_LEN, "splice pump");
	}
	rc_pump_end(&p[0]);
	rc_pump_end(&p[1]);
	if (rc_pipe_pool_lent(pool))
		fz_fail(s, "%u pipe(s) still lent after both pumps ended",
			rc_pipe_pool_lent(pool));
	ret = rc_ring_drain(s->r, 2000);	/* the aborted pairs' CQEs */
	if (ret)
		fz_fail(s, "the aborted pump's pairs did not drain: %s",
			strerror(-ret));
	if (rc_pipe_pool_destroy(pool))
		fz_fail(s, "the pipe pool kept pipes on a quiet ring");
	for (i = 0; i < 2; i++) {
		close(src[i]);
		close(dst[i]);
	}
}

/* SPLICE shape, chunk+path, at */
void fz_splice(struct fz_state *s)
{
	uint8_t a = fz_byte(s), b = fz_byte(s), at = fz_byte(s) % 8;
	unsigned qd = 1 + a % 4, pairs = 1 + (a >> 2) % 4;
	bool two = a & 0x10;
	uint32_t chunk = b & 1 ? 65536 : 16384;
	enum rc_data_path path = b & 2 ? RC_DATA_AUTO : RC_DATA_SPLICE;

	if (two)
		pairs = 1 + pairs % 2;
	fz_log(s, "splice %s depth %u pairs %u%s%s", two ?
	       "two pumps sharing a pool" : "copy", qd, pairs,
	       two ? (chunk == 65536 ? " chunk 64K" : " chunk 16K") :
	       (path == RC_DATA_AUTO ? " auto" : ""),
	       at ? (two ? " first aborted on a turn" :
		     " cancel one op on a turn") : "");
	fz_ring(s);
	if (fz_engine_has_ops(s))
		return fz_log(s, "  not now: the program's ops are in flight");
	if (two)
		fz_splice_two(s, pairs, qd, chunk, at);
	else
		fz_splice_one(s, pairs, qd, path, at);
}
