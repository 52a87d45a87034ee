/* SPDX-License-Identifier: MIT */
/*
 * Description: cancel reads and writes whose CQEs the engine has reaped
 * but not yet handed to the caller.  Each is released at once (the kernel
 * is done with it), without asking the kernel, its effects accounted.
 */
#include <string.h>
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

	rc_scenario_init(&s, "cancel_reaped", argc, argv, 10000);
	for (d = 0; d < RC_DIR__COUNT; d++)
		rc_scenario_scope(&s, RC_ST_REAPED, d);
	fd = rc_scenario_file(&s, 1 << 20, 0);
	r = rc_scenario_ring(&s, 64);

	while (rc_scenario_more(&s)) {
		unsigned n = 1 + (unsigned)rc_scenario_rand(&s, MAX_BATCH), i;
		unsigned reaped = 0;
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
				rc_scenario_hit(&s, RC_ST_REAPED, dir, &out[i]);
			else
				rc_scenario_unexpected(&s, RC_ST_REAPED, dir,
						       &out[i]);
		}
		s.done += n;
	}
	rc_scenario_ring_done(&s, r);
	close(fd);
	return rc_scenario_finish(&s);
}
