/* SPDX-License-Identifier: MIT */
/*
 * Description: cancel reads waiting on an empty pipe and writes waiting on
 * a full one (poll-armed), one to eight at a time, after a random delay
 * (zero included).  Every cancel must answer 0 and every op end
 * -ECANCELED, its buffer released only after that CQE.
 */
#include <fcntl.h>
#include <unistd.h>

#include "rc_scenario.h"

#define MAX_BATCH 8

int main(int argc, char **argv)
{
	struct rc_scenario s;
	struct rc_outcome out[MAX_BATCH];
	struct rc_op *ops[MAX_BATCH];
	struct rc_ring *r;
	char chunk[4096] = { 0 };
	int rp[2], wp[2], d;

	rc_scenario_init(&s, "cancel_poll_armed", argc, argv, 20000);
	for (d = 0; d < RC_DIR__COUNT; d++)
		rc_scenario_scope(&s, RC_ST_POLL_ARMED, d);
	if (pipe2(rp, O_CLOEXEC) || pipe2(wp, O_CLOEXEC | O_NONBLOCK))
		return 2;
	while (write(wp[1], chunk, sizeof(chunk)) > 0)	/* fill it */
		;
	fcntl(wp[1], F_SETFL, 0);
	r = rc_scenario_ring(&s, 64);

	while (rc_scenario_more(&s)) {
		unsigned n = 1 + (unsigned)rc_scenario_rand(&s, MAX_BATCH), i;
		enum rc_dir dir = (enum rc_dir)rc_scenario_rand(&s, 2);

		for (i = 0; i < n; i++) {
			ops[i] = rc_scenario_op(r, 4096);
			rc_scenario_watch(ops[i], &out[i]);
			if (dir == RC_DIR_READ)
				rc_scenario_prep_read(ops[i], rp[0], 0, 4096,
						(uint64_t)-1);
			else
				rc_op_prep_write(ops[i], wp[1], 0, 4096,
						 (uint64_t)-1);
			rc_op_submit(ops[i]);
		}
		rc_ring_flush(r);
		rc_scenario_random_delay(&s, 20000);
		for (i = 0; i < n; i++) {
			rc_op_cancel(ops[i]);
			s.cancels++;
		}
		rc_ring_drain(r, 2000);
		for (i = 0; i < n; i++) {
			if (out[i].cancel_res == 0 && out[i].cqe_seen &&
			    out[i].res == -ECANCELED && out[i].released)
				rc_scenario_hit(&s, RC_ST_POLL_ARMED, dir, &out[i]);
			else
				rc_scenario_unexpected(&s, RC_ST_POLL_ARMED, dir,
						       &out[i]);
		}
		s.done += n;
	}
	rc_scenario_ring_done(&s, r);
	close(rp[0]); close(rp[1]); close(wp[0]); close(wp[1]);
	return rc_scenario_finish(&s);
}
