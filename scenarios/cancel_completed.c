/* SPDX-License-Identifier: MIT */
/*
 * Description: cancel reads and writes of a regular file whose CQEs the
 * kernel has already posted but the engine has not reaped.  Every cancel
 * must answer -ENOENT after the op's own CQE, which carries the full
 * length: the effects of a cancelled op that completed anyway are real
 * (bytes written are accounted by the engine's halt safety).
 */
#include <unistd.h>

#include "scenario.h"

#define MAX_BATCH 8

int main(int argc, char **argv)
{
	struct rh_scenario s;
	struct rh_outcome out[MAX_BATCH];
	struct rc_op *ops[MAX_BATCH];
	struct rc_ring *r;
	int fd;

	rh_scenario_begin(&s, "cancel_completed", argc, argv, 10000,
			  RH_ST_COMPLETED);
	fd = rh_scenario_file(&s, 1 << 20, 0);
	r = rh_scenario_ring(&s, 64);

	while (rh_scenario_more(&s)) {
		unsigned n = 1 + (unsigned)rh_scenario_rand(&s, MAX_BATCH), i;
		enum rh_dir dir = (enum rh_dir)rh_scenario_rand(&s, 2);

		for (i = 0; i < n; i++) {
			uint64_t off = rh_scenario_rand(&s, 256) * 4096;

			ops[i] = rh_scenario_rw(r, &out[i], dir, fd, 4096, off);
			rc_op_submit(ops[i]);
		}
		rc_ring_flush(r);
		if (!rh_scenario_wait_posted(r, n)) {
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
				rh_scenario_hit(&s, RH_ST_COMPLETED, dir, &out[i]);
			else
				rh_scenario_unexpected(&s, RH_ST_COMPLETED, dir,
						       &out[i]);
		}
		s.done += n;
	}
	rh_scenario_ring_done(&s, r);
	close(fd);
	return rh_scenario_finish(&s);
}
