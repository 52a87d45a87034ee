/* SPDX-License-Identifier: MIT */
/*
 * Description: cancel reads and writes whose CQEs the engine has reaped
 * but not yet handed to the caller.  Each is released at once (the kernel
 * is done with it), without asking the kernel, its effects accounted.
 */
#include <string.h>
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

	rh_scenario_begin(&s, "cancel_reaped", argc, argv, 10000,
			  RH_ST_REAPED);
	fd = rh_scenario_file(&s, 1 << 20, 0);
	r = rh_scenario_ring(&s, 64);

	while (rh_scenario_more(&s)) {
		unsigned n = 1 + (unsigned)rh_scenario_rand(&s, MAX_BATCH), i;
		unsigned reaped = 0;
		enum rh_dir dir = (enum rh_dir)rh_scenario_rand(&s, 2);

		for (i = 0; i < n; i++) {
			uint64_t off = rh_scenario_rand(&s, 256) * 4096;

			ops[i] = rh_scenario_rw(r, &out[i], dir, fd, 4096, off);
			rc_op_submit(ops[i]);
		}
		while (reaped < n) {	/* reap, but never call rc_ring_next */
			int got = rc_ring_wait(r, 1, 2000);

			if (got < 0 && got != -EINTR) {
				fprintf(stderr, "cancel_reaped: wait: %s\n",
					strerror(-got));
				return 1;
			}
			reaped += got > 0 ? (unsigned)got : 0;
		}
		for (i = 0; i < n; i++) {
			rc_op_cancel(ops[i]);
			s.cancels++;
		}
		for (i = 0; i < n; i++) {
			if (out[i].cqe_seen && out[i].res == 4096 &&
			    out[i].released &&
			    out[i].cancel_res == RC_CANCEL_NONE)
				rh_scenario_hit(&s, RH_ST_REAPED, dir, &out[i]);
			else
				rh_scenario_unexpected(&s, RH_ST_REAPED, dir,
						       &out[i]);
		}
		s.done += n;
	}
	rh_scenario_ring_done(&s, r);
	close(fd);
	return rh_scenario_finish(&s);
}
