/* SPDX-License-Identifier: MIT */
/*
 * Description: cancel reads and writes still queued in the engine (no SQE
 * written yet): each is released at once, without a CQE and without asking
 * the kernel, and nothing reaches the file.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "scenario.h"

#define MAX_BATCH 16

int main(int argc, char **argv)
{
	struct rh_scenario s;
	struct rh_outcome out[MAX_BATCH];
	struct rc_op *ops[MAX_BATCH];
	struct rc_ring *r;
	struct stat st;
	int fd;

	rh_scenario_begin(&s, "cancel_before_submit", argc, argv, 20000,
			  RH_ST_BEFORE_SUBMIT);
	fd = rh_scenario_file(&s, 1 << 20, 0);
	r = rh_scenario_ring(&s, 64);

	while (rh_scenario_more(&s)) {
		unsigned n = 1 + (unsigned)rh_scenario_rand(&s, MAX_BATCH), i;
		enum rh_dir dir = (enum rh_dir)rh_scenario_rand(&s, 2);

		for (i = 0; i < n; i++) {
			uint64_t off = rh_scenario_rand(&s, 256) * 4096;

			/* a write goes past the end: visible if it ran */
			ops[i] = rh_scenario_rw(r, &out[i], dir, fd, 4096,
						dir == RH_DIR_READ ? off :
						(2u << 20) + off);
			rc_op_submit(ops[i]);
		}
		/* cancel in a random order, all before any flush */
		for (i = 0; i < n; i++) {
			unsigned j = i + (unsigned)rh_scenario_rand(&s, n - i);
			struct rc_op *t = ops[i];

			ops[i] = ops[j];
			ops[j] = t;
			rc_op_cancel(ops[i]);
			s.cancels++;
		}
		rc_ring_drain(r, 2000);
		for (i = 0; i < n; i++) {
			if (out[i].released && !out[i].cqe_seen &&
			    out[i].cancel_res == RC_CANCEL_NONE)
				rh_scenario_hit(&s, RH_ST_BEFORE_SUBMIT, dir,
						&out[i]);
			else
				rh_scenario_unexpected(&s, RH_ST_BEFORE_SUBMIT,
						       dir, &out[i]);
		}
		s.done += n;
	}
	if (fstat(fd, &st) == 0 && st.st_size != 1 << 20)
		rh_harness_violation(RH_VIOL_CHECKSUM, RH_DET_CHECKSUM, NULL,
				     "a cancelled queued write reached the "
				     "file (size %lld)", (long long)st.st_size);
	rh_scenario_ring_done(&s, r);
	close(fd);
	return rh_scenario_finish(&s);
}
