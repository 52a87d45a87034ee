/* SPDX-License-Identifier: MIT */
/*
 * Description: cancel reads and writes still queued in the engine (no SQE
 * written yet): each is released at once, without a CQE and without asking
 * the kernel, and nothing reaches the file.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "rc_scenario.h"

#define MAX_BATCH 16

int main(int argc, char **argv)
{
	struct rc_scenario s;
	struct rc_outcome out[MAX_BATCH];
	struct rc_op *ops[MAX_BATCH];
	struct rc_ring *r;
	struct stat st;
	int fd, d;

	rc_scenario_init(&s, "cancel_before_submit", argc, argv, 20000);
	for (d = 0; d < RC_DIR__COUNT; d++)
		rc_scenario_scope(&s, RC_ST_BEFORE_SUBMIT, d);
	fd = rc_scenario_file(&s, 1 << 20, 0);
	r = rc_scenario_ring(&s, 64);

	while (rc_scenario_more(&s)) {
		unsigned n = 1 + (unsigned)rc_scenario_rand(&s, MAX_BATCH), i;
		enum rc_dir dir = (enum rc_dir)rc_scenario_rand(&s, 2);

		for (i = 0; i < n; i++) {
			uint64_t off = rc_scenario_rand(&s, 256) * 4096;

			ops[i] = rc_scenario_op(r, 4096);
			rc_scenario_watch(ops[i], &out[i]);
			if (dir == RC_DIR_READ)
				rc_scenario_prep_read(ops[i], fd, 0, 4096, off);
			else	/* past the end: visible if it ever ran */
				rc_op_prep_write(ops[i], fd, 0, 4096,
						 (2u << 20) + off);
			rc_op_submit(ops[i]);
		}
		/* cancel in a random order, all before any flush */
		for (i = 0; i < n; i++) {
			unsigned j = i + (unsigned)rc_scenario_rand(&s, n - i);
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
				rc_scenario_hit(&s, RC_ST_BEFORE_SUBMIT, dir,
						&out[i]);
			else
				rc_scenario_unexpected(&s, RC_ST_BEFORE_SUBMIT,
						       dir, &out[i]);
		}
		s.done += n;
	}
	if (fstat(fd, &st) == 0 && st.st_size != 1 << 20)
		rc_harness_violation(RC_VIOL_CHECKSUM, RC_DET_CHECKSUM, NULL,
				     "a cancelled queued write reached the "
				     "file (size %lld)", (long long)st.st_size);
	rc_scenario_ring_done(&s, r);
	close(fd);
	return rc_scenario_finish(&s);
}
