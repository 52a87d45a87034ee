/* SPDX-License-Identifier: MIT */
/*
 * Description: cancel reads waiting on an empty pipe and writes waiting on
 * a full one (poll-armed), one to eight at a time, after a random delay
 * (zero included).  Every cancel must answer 0 and every op end
 * -ECANCELED, its buffer released only after that CQE.
 */
#include <fcntl.h>
#include <unistd.h>

#include "scenario.h"

#define MAX_BATCH 8

int main(int argc, char **argv)
{
	struct rh_scenario s;
	struct rh_outcome out[MAX_BATCH];
	struct rc_op *ops[MAX_BATCH];
	struct rc_ring *r;
	int rp[2], wp[2];

	rh_scenario_begin(&s, "cancel_poll_armed", argc, argv, 20000,
			  RH_ST_POLL_ARMED);
	rh_scenario_pipes(rp, wp);
	r = rh_scenario_ring(&s, 64);

	while (rh_scenario_more(&s)) {
		unsigned n = 1 + (unsigned)rh_scenario_rand(&s, MAX_BATCH), i;
		enum rh_dir dir = (enum rh_dir)rh_scenario_rand(&s, 2);

		for (i = 0; i < n; i++) {
			ops[i] = rh_scenario_rw(r, &out[i], dir,
						dir == RH_DIR_READ ? rp[0] : wp[1],
						4096, (uint64_t)-1);
			rc_op_submit(ops[i]);
		}
		rc_ring_flush(r);
		rh_scenario_random_delay(&s, 20000);
		for (i = 0; i < n; i++) {
			rc_op_cancel(ops[i]);
			s.cancels++;
		}
		rc_ring_drain(r, 2000);
		for (i = 0; i < n; i++) {
			if (out[i].cancel_res == 0 && out[i].cqe_seen &&
			    out[i].res == -ECANCELED && out[i].released)
				rh_scenario_hit(&s, RH_ST_POLL_ARMED, dir, &out[i]);
			else
				rh_scenario_unexpected(&s, RH_ST_POLL_ARMED, dir,
						       &out[i]);
		}
		s.done += n;
	}
	rh_scenario_ring_done(&s, r);
	close(rp[0]); close(rp[1]); close(wp[0]); close(wp[1]);
	return rh_scenario_finish(&s);
}
