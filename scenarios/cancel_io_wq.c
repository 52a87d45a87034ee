/* SPDX-License-Identifier: MIT */
/*
 * Description: cancel regular-file reads and writes while an io-wq worker
 * is inside the copy to or from their buffer, held there by a
 * userfaultfd stall.  The cancel must answer -EALREADY; the stall is then
 * released after a random delay and the op must complete with its full
 * length, its buffer still the kernel's until that CQE.  Registered
 * (fixed) buffers are pinned, so the kernel's copy never faults: with
 * them the request is held instead by a FUSE daemon that does not answer
 * (harness/fusehold.h), the wait of a network filesystem, and the same
 * io-wq state.  Needs root (userfaultfd of kernel faults; FUSE).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fusehold.h"
#include "scenario.h"
#include "stall.h"

RH_FUSEHOLD_ASAN_DEFAULTS

#define LEN (16 * 1024)

/* Watch op (to *o), make it a LEN read or write of fd at off, and send
 * it straight to io-wq (IOSQE_ASYNC). */
static void submit_async(struct rc_ring *r, struct rc_op *op,
			 struct rh_outcome *o, enum rh_dir dir, int fd,
			 uint64_t off)
{
	rh_scenario_watch(op, o);
	if (dir == RH_DIR_READ)
		rh_scenario_prep_read(op, fd, 0, LEN, off);
	else
		rc_op_prep_write(op, fd, 0, LEN, off);
	rc_op_set_flags(op, IOSQE_ASYNC);
	rc_op_submit(op);
	rc_ring_flush(r);
}

/* Cancel the held op and wait for the cancel's own answer, then a random
 * delay before the caller lets the op go on. */
static void cancel_held(struct rh_scenario *s, struct rc_ring *r,
			struct rc_op *op, const struct rh_outcome *o)
{
	rc_op_cancel(op);
	s->cancels++;
	while (o->cancel_res == RC_CANCEL_NONE)
		rc_ring_wait(r, 1, 100);
	rh_scenario_random_delay(s, 50000);
}

/* Once released and drained: -EALREADY, then the whole length, the
 * buffer the kernel's until that CQE; else an unexpected answer. */
static void judge(struct rh_scenario *s, enum rh_dir dir,
		  struct rh_outcome *o)
{
	if (o->cancel_res == -EALREADY && o->cancel_before_cqe &&
	    o->res == LEN && o->released)
		rh_scenario_hit(s, RH_ST_IO_WQ, dir, o);
	else
		rh_scenario_unexpected(s, RH_ST_IO_WQ, dir, o);
}

/*
 * Fixed buffers: each iteration holds a read or a write of the FUSE file
 * in io-wq, cancels it (-EALREADY), releases it after a random delay and
 * checks it completed whole.  Returns the scenario's exit code.
 */
static int fuse_main(struct rh_scenario *s, struct rc_ring *r)
{
	char mnt[] = "/var/tmp/rc-iowq-fuse-XXXXXX", path[64];
	struct rh_fusehold *fh = NULL;
	struct rh_outcome out;
	int fd = -1, d, ret;

	if (!mkdtemp(mnt))
		return 2;
	ret = rh_fusehold_mount(&fh, mnt, 1, 64 * LEN, 0,
				 RH_FUSEHOLD_IO_WQ);
	snprintf(path, sizeof(path), "%s/f00", mnt);
	if (!ret)
		fd = open(path, O_RDWR | O_CLOEXEC);
	if (ret || fd < 0) {
		for (d = 0; d < RH_DIR__COUNT; d++)
			rh_scenario_unreachable(s, RH_ST_IO_WQ, d,
				"registered buffers are pinned (no userfaultfd "
				"stall) and no FUSE here to hold the request "
				"(root and /dev/fuse needed)");
		goto out;
	}
	while (rh_scenario_more(s)) {
		enum rh_dir dir = (enum rh_dir)rh_scenario_rand(s, 2);
		uint64_t off = rh_scenario_rand(s, 64) * LEN;
		struct rc_op *op = rh_scenario_op(r, LEN);

		rh_fusehold_rearm(fh);
		submit_async(r, op, &out, dir, fd, off);
		if (!rh_fusehold_wait_held(fh, 2000)) {
			fprintf(stderr, "cancel_io_wq: the daemon never got "
				"the request\n");
			ret = 1;
			break;
		}
		cancel_held(s, r, op, &out);
		rh_fusehold_release(fh);
		rc_ring_drain(r, 5000);
		judge(s, dir, &out);
		s->done++;
	}
out:
	rh_scenario_ring_done(s, r);
	if (fd >= 0)
		close(fd);
	if (fh) {
		rh_fusehold_unmount(fh);
		/* the daemon's /dev/fuse fd: kept with the daemon */
		rh_harness_fds_kept(1);
	}
	rmdir(mnt);
	return ret ? ret : rh_scenario_finish(s);
}

int main(int argc, char **argv)
{
	struct rh_scenario s;
	struct rh_outcome out;
	struct rc_ring *r;
	int fd, d;

	rh_scenario_begin(&s, "cancel_io_wq", argc, argv, 2000, RH_ST_IO_WQ);
	fd = rh_scenario_file(&s, 1 << 20, 0);
	r = rh_scenario_ring(&s, 64);
	if (!strcmp(rc_ring_buf_strategy(r), "fixed")) {
		close(fd);
		return fuse_main(&s, r);
	}

	while (rh_scenario_more(&s)) {
		enum rh_dir dir = (enum rh_dir)rh_scenario_rand(&s, 2);
		uint64_t off = rh_scenario_rand(&s, 64) * LEN;
		struct rc_op *op = rh_scenario_op(r, LEN);
		struct rh_stall st;
		void *area = op->buf;
		size_t area_len = LEN;
		int ret;

		if (dir == RH_DIR_READ && rc_ring_buf_select(r)) {
			/* the kernel will pick the ring's next buffer: stall
			 * on that one */
			rh_scenario_prep_read(op, fd, 0, LEN, off);
			if (rc_ring_buf_peek(r, &area, &area_len)) {
				fprintf(stderr, "cancel_io_wq: empty ring\n");
				return 1;
			}
		}
		/* recycled memory (pool, ring): its pages must be missing */
		madvise(area, area_len, MADV_DONTNEED);
		ret = rh_stall_attach(&st, area, area_len);
		if (ret) {
			for (d = 0; d < RH_DIR__COUNT; d++)
				rh_scenario_unreachable(&s, RH_ST_IO_WQ, d,
					"userfaultfd of kernel faults needs root");
			rc_op_put(op);
			break;
		}
		submit_async(r, op, &out, dir, fd, off);
		if (rh_stall_wait_fault(&st, 2000)) {
			fprintf(stderr, "cancel_io_wq: the worker never faulted\n");
			rh_stall_release(&st, 0);
			return 1;
		}
		cancel_held(&s, r, op, &out);
		rh_stall_release(&st, 'x');
		rc_ring_drain(r, 5000);
		rh_stall_destroy(&st);
		judge(&s, dir, &out);
		s.done++;
	}
	rh_scenario_ring_done(&s, r);
	close(fd);
	return rh_scenario_finish(&s);
}
