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

#include "rc_scenario.h"
#include "rc_stall.h"

#define LEN (16 * 1024)

int main(int argc, char **argv)
{
	struct rc_scenario s;
	struct rc_outcome out;
	struct rc_ring *r;
	int fd, d;

	rc_scenario_init(&s, "cancel_io_wq", argc, argv, 2000);
	for (d = 0; d < RC_DIR__COUNT; d++)
		rc_scenario_scope(&s, RC_ST_IO_WQ, d);
	fd = rc_scenario_file(&s, 1 << 20, 0);
	r = rc_scenario_ring(&s, 64);

	while (rc_scenario_more(&s)) {
		enum rc_dir dir = (enum rc_dir)rc_scenario_rand(&s, 2);
		uint64_t off = rc_scenario_rand(&s, 64) * LEN;
		struct rc_op *op = rc_scenario_op(r, LEN);
		struct rc_stall st;
		void *area = op->buf;
		size_t area_len = LEN;
		int ret;

		if (!strcmp(rc_ring_buf_strategy(r), "fixed")) {
			for (d = 0; d < RC_DIR__COUNT; d++)
				rc_scenario_unreachable(&s, RC_ST_IO_WQ, d,
					"registered buffers are pinned: the "
					"kernel's copy never faults, so no "
					"userfaultfd stall holds it in io-wq");
			rc_op_put(op);
			break;
		}
		if (dir == RC_DIR_READ && rc_ring_buf_select(r)) {
			/* the kernel will pick the ring's next buffer: stall
			 * on that one */
			rc_scenario_prep_read(op, fd, 0, LEN, off);
			if (rc_ring_buf_peek(r, &area, &area_len)) {
				fprintf(stderr, "cancel_io_wq: empty ring\n");
				return 1;
			}
		}
		/* recycled memory (pool, ring): its pages must be missing */
		madvise(area, area_len, MADV_DONTNEED);
		ret = rc_stall_attach(&st, area, area_len);
		if (ret) {
			for (d = 0; d < RC_DIR__COUNT; d++)
				rc_scenario_unreachable(&s, RC_ST_IO_WQ, d,
					"userfaultfd of kernel faults needs root");
			rc_op_put(op);
			break;
		}
		rc_scenario_watch(op, &out);
		if (dir == RC_DIR_READ)
			rc_scenario_prep_read(op, fd, 0, LEN, off);
		else
			rc_op_prep_write(op, fd, 0, LEN, off);
		rc_op_set_flags(op, IOSQE_ASYNC);
		rc_op_submit(op);
		rc_ring_flush(r);
		if (rc_stall_wait_fault(&st, 2000)) {
			fprintf(stderr, "cancel_io_wq: the worker never faulted\n");
			rc_stall_release(&st, 0);
			return 1;
		}
		rc_op_cancel(op);
		s.cancels++;
		while (out.cancel_res == RC_CANCEL_NONE)	/* its answer */
			rc_ring_wait(r, 1, 100);
		rc_scenario_random_delay(&s, 50000);
		rc_stall_release(&st, 'x');
		rc_ring_drain(r, 5000);
		rc_stall_destroy(&st);
		if (out.cancel_res == -EALREADY && out.cancel_before_cqe &&
		    out.res == LEN && out.released)
			rc_scenario_hit(&s, RC_ST_IO_WQ, dir, &out);
		else
			rc_scenario_unexpected(&s, RC_ST_IO_WQ, dir, &out);
		s.done++;
	}
	rc_scenario_ring_done(&s, r);
	close(fd);
	return rc_scenario_finish(&s);
}
