/* SPDX-License-Identifier: MIT */
/*
 * Description: reads of an empty pipe and writes to a full one, each with
 * a linked timeout of random length (1 us to 200 us): the timeout cancels
 * the op (-ECANCELED) and the op comes back only after both its own and
 * its timeout's CQE.  Every few rounds the op is also cancelled by the
 * program, racing its timeout: either way it ends -ECANCELED.
 */
#include <fcntl.h>
#include <unistd.h>

#include "scenario.h"

int main(int argc, char **argv)
{
	struct rh_scenario s;
	struct rh_outcome out;
	struct rc_ring *r;
	int rp[2], wp[2];

	rh_scenario_begin(&s, "link_timeout", argc, argv, 5000,
			  RH_ST_LINK_TIMEOUT);
	rh_scenario_pipes(rp, wp);
	r = rh_scenario_ring(&s, 64);

	while (rh_scenario_more(&s)) {
		enum rh_dir dir = (enum rh_dir)rh_scenario_rand(&s, 2);
		bool race = rh_scenario_rand(&s, 4) == 0;
		struct rc_op *op, *got = NULL;

		op = rh_scenario_rw(r, &out, dir,
				    dir == RH_DIR_READ ? rp[0] : wp[1], 4096,
				    (uint64_t)-1);
		rc_op_set_link_timeout(op, 1000 + rh_scenario_rand(&s, 200000));
		rc_op_submit(op);
		rc_ring_flush(r);
		if (race) {
			rh_scenario_random_delay(&s, 200000);
			rc_op_cancel(op);
			s.cancels++;
			rc_ring_drain(r, 2000);
		} else {
			while (!got && rc_ring_wait(r, 1, 2000) >= 0)
				got = rc_ring_next(r);
			out.released = got == op;
		}
		if (out.res == -ECANCELED && out.cqe_seen && out.released)
			rh_scenario_hit(&s, RH_ST_LINK_TIMEOUT, dir, &out);
		else
			rh_scenario_unexpected(&s, RH_ST_LINK_TIMEOUT, dir, &out);
		if (got)
			rc_op_put(got);
		s.done++;
	}
	rh_scenario_ring_done(&s, r);
	close(rp[0]); close(rp[1]); close(wp[0]); close(wp[1]);
	return rh_scenario_finish(&s);
}
