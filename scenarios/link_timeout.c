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

#include "rc_scenario.h"

int main(int argc, char **argv)
{
	struct rc_scenario s;
	struct rc_outcome out;
	struct rc_ring *r;
	char chunk[4096] = { 0 };
	int rp[2], wp[2], d;

	rc_scenario_init(&s, "link_timeout", argc, argv, 5000);
	for (d = 0; d < RC_DIR__COUNT; d++)
		rc_scenario_scope(&s, RC_ST_LINK_TIMEOUT, d);
	if (pipe2(rp, O_CLOEXEC) || pipe2(wp, O_CLOEXEC | O_NONBLOCK))
		return 2;
	while (write(wp[1], chunk, sizeof(chunk)) > 0)
		;
	fcntl(wp[1], F_SETFL, 0);
	r = rc_scenario_ring(&s, 64);

	while (rc_scenario_more(&s)) {
		enum rc_dir dir = (enum rc_dir)rc_scenario_rand(&s, 2);
		bool race = rc_scenario_rand(&s, 4) == 0;
		struct rc_op *op = rc_scenario_op(r, 4096), *got = NULL;

		rc_scenario_watch(op, &out);
		if (dir == RC_DIR_READ)
			rc_scenario_prep_read(op, rp[0], 0, 4096, (uint64_t)-1);
		else
			rc_op_prep_write(op, wp[1], 0, 4096, (uint64_t)-1);
		rc_op_set_link_timeout(op, 1000 + rc_scenario_rand(&s, 200000));
		rc_op_submit(op);
		rc_ring_flush(r);
		if (race) {
			rc_scenario_random_delay(&s, 200000);
			rc_op_cancel(op);
			s.cancels++;
			rc_ring_drain(r, 2000);
		} else {
			while (!got && rc_ring_wait(r, 1, 2000) >= 0)
				got = rc_ring_next(r);
			out.released = got == op;
		}
		if (out.res == -ECANCELED && out.cqe_seen && out.released)
			rc_scenario_hit(&s, RC_ST_LINK_TIMEOUT, dir, &out);
		else
			rc_scenario_unexpected(&s, RC_ST_LINK_TIMEOUT, dir, &out);
		if (got)
			rc_op_put(got);
		s.done++;
	}
	rc_scenario_ring_done(&s, r);
	close(rp[0]); close(rp[1]); close(wp[0]); close(wp[1]);
	return rc_scenario_finish(&s);
}
