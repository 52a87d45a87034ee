/* SPDX-License-Identifier: MIT */
/*
 * Description: cancel reads and writes of a regular file whose CQEs the
 * kernel has already posted but the engine has not reaped.  Every cancel
 * must answer -ENOENT after the op's own CQE, which carries the full
 * length: the effects of a cancelled op that completed anyway are real
 * (bytes written are accounted by the engine's halt safety).
 */
#include <unistd.h>

#include "rc_scenario.h"

#define MAX_BATCH 8

int main(int argc, char **argv)
{
	struct rc_scenario s;
	struct rc_outcome out[MAX_BATCH];
	struct rc_op *ops[MAX_BATCH];
	struct rc_ring *r;
	int fd, d;

	rc_scenario_init(&s, "cancel_completed", argc, argv, 10000);
	for (d = 0; d < RC_DIR__COUNT; d++)
		rc_scenario_scope(&s, RC_ST_COMPLETED, d);
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
			else
				rc_op_prep_write(ops[i], fd, 0, 4096, off);
			rc_op_submit(ops[i]);
		}
		rc_ring_flush(r);
		if (!rc_scenario_wait_posted(r, n)) {
			fprintf(stderr, "cancel_completed: CQEs never posted\n");
			return 1;
		}
		for (i = 0; i < n; i++) {
			rc_op_cancel(ops[i]);
			s.cancels++;
		}
		rc_ring_drain(r, 2000);
		for (i = 0; i < n; i++) {
			if (out[i].cancel_res == -ENOENT && out[i].cqe_seen &&
			    !out[i].cancel_before_cqe && out[i].res == 4096 &&
			    out[i].released)
				rc_scenario_hit(&s, RC_ST_COMPLETED, dir, &out[i]);
			else
				rc_scenario_unexpected(&s, RC_ST_COMPLETED, dir,
						       &out[i]);
		}
		s.done += n;
	}
	rc_scenario_ring_done(&s, r);
	close(fd);
	return rc_scenario_finish(&s);
}
