/* SPDX-License-Identifier: MIT */
/*
 * Description: cancel regular-file reads and writes while an io-wq worker
 * is inside the copy to or from their buffer, held there by a
 * userfaultfd stall.  The cancel must answer -EALREADY; the stall is then
 * released after a random delay and the op must complete with its full
 * length, its buffer still the kernel's until that CQE.  Needs root
 * (userfaultfd of kernel faults).
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenario.h"
#include "stall.h"

#define LEN (16 * 1024)

int main(int argc, char **argv)
{
	struct rh_scenario s;
	struct rh_outcome out;
	struct rc_ring *r;
	int fd, d;

	rh_scenario_begin(&s, "cancel_io_wq", argc, argv, 2000, RH_ST_IO_WQ);
	fd = rh_scenario_file(&s, 1 << 20, 0);
	r = rh_scenario_ring(&s, 64);

	while (rh_scenario_more(&s)) {
		enum rh_dir dir = (enum rh_dir)rh_scenario_rand(&s, 2);
		uint64_t off = rh_scenario_rand(&s, 64) * LEN;
		struct rc_op *op = rh_scenario_op(r, LEN);
		struct rh_stall st;
		void *area = op->buf;
		size_t area_len = LEN;
		int ret;

		if (!strcmp(rc_ring_buf_strategy(r), "fixed")) {
			for (d = 0; d < RH_DIR__COUNT; d++)
				rh_scenario_unreachable(&s, RH_ST_IO_WQ, d,
					"registered buffers are pinned: the "
					"kernel's copy never faults, so no "
					"userfaultfd stall holds it in io-wq");
			rc_op_put(op);
			break;
		}
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
		rh_scenario_watch(op, &out);
		if (dir == RH_DIR_READ)
			rh_scenario_prep_read(op, fd, 0, LEN, off);
		else
			rc_op_prep_write(op, fd, 0, LEN, off);
		rc_op_set_flags(op, IOSQE_ASYNC);
		rc_op_submit(op);
		rc_ring_flush(r);
		if (rh_stall_wait_fault(&st, 2000)) {
			fprintf(stderr, "cancel_io_wq: the worker never faulted\n");
			rh_stall_release(&st, 0);
			return 1;
		}
		rc_op_cancel(op);
		s.cancels++;
		while (out.cancel_res == RC_CANCEL_NONE)	/* its answer */
			rc_ring_wait(r, 1, 100);
		rh_scenario_random_delay(&s, 50000);
		rh_stall_release(&st, 'x');
		rc_ring_drain(r, 5000);
		rh_stall_destroy(&st);
		if (out.cancel_res == -EALREADY && out.cancel_before_cqe &&
		    out.res == LEN && out.released)
			rh_scenario_hit(&s, RH_ST_IO_WQ, dir, &out);
		else
			rh_scenario_unexpected(&s, RH_ST_IO_WQ, dir, &out);
		s.done++;
	}
	rh_scenario_ring_done(&s, r);
	close(fd);
	return rh_scenario_finish(&s);
}
