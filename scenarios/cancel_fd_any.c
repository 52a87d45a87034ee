/* SPDX-License-Identifier: MIT */
/*
 * Description: cancel many in-flight reads (empty pipe) or writes (full
 * pipe) with one request: keyed on their fd (IORING_ASYNC_CANCEL_FD|ALL),
 * matching any request (ANY|ALL), or synchronously through
 * io_uring_register_sync_cancel.  Every op so cancelled must end
 * -ECANCELED by its own CQE, ops on another fd must be untouched by a
 * cancel keyed on the first fd (they are cancelled one by one afterwards),
 * and nothing is freed before its CQE whatever count the cancel answers.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "scenario.h"

#define MAX_OPS 8

struct side {
	int p[2];
	int fd;			/* the end ops use */
	struct rc_op *ops[MAX_OPS];
	struct rh_outcome out[MAX_OPS];
	unsigned n;
};

static void open_side(struct side *sd, enum rh_dir dir)
{
	char chunk[4096] = { 0 };

	if (pipe2(sd->p, O_CLOEXEC | O_NONBLOCK))
		exit(2);
	if (dir == RH_DIR_WRITE)
		while (write(sd->p[1], chunk, sizeof(chunk)) > 0)
			;
	fcntl(sd->p[0], F_SETFL, 0);
	fcntl(sd->p[1], F_SETFL, 0);
	sd->fd = dir == RH_DIR_READ ? sd->p[0] : sd->p[1];
}

static void submit_side(struct rh_scenario *s, struct rc_ring *r,
			struct side *sd, enum rh_dir dir)
{
	unsigned i;

	sd->n = 1 + (unsigned)rh_scenario_rand(s, MAX_OPS);
	for (i = 0; i < sd->n; i++) {
		sd->ops[i] = rh_scenario_op(r, 4096);
		rh_scenario_watch(sd->ops[i], &sd->out[i]);
		if (dir == RH_DIR_READ)
			rh_scenario_prep_read(sd->ops[i], sd->fd, 0, 4096,
					(uint64_t)-1);
		else
			rc_op_prep_write(sd->ops[i], sd->fd, 0, 4096,
					 (uint64_t)-1);
		rc_op_submit(sd->ops[i]);
	}
}

int main(int argc, char **argv)
{
	struct side a[RH_DIR__COUNT], b[RH_DIR__COUNT];
	struct rh_scenario s;
	struct rc_ring *r;
	int d;

	rh_scenario_init(&s, "cancel_fd_any", argc, argv, 6000);
	for (d = 0; d < RH_DIR__COUNT; d++) {
		rh_scenario_scope(&s, RH_ST_CANCEL_FD, d);
		rh_scenario_scope(&s, RH_ST_CANCEL_ANY, d);
		rh_scenario_scope(&s, RH_ST_SYNC_CANCEL, d);
		open_side(&a[d], d);
		open_side(&b[d], d);
	}
	r = rh_scenario_ring(&s, 64);

	while (rh_scenario_more(&s)) {
		enum rh_dir dir = (enum rh_dir)rh_scenario_rand(&s, 2);
		enum rh_state how = RH_ST_CANCEL_FD +
				    (enum rh_state)rh_scenario_rand(&s, 3);
		struct side *sa = &a[dir], *sb = &b[dir];
		unsigned i;
		int n;

		submit_side(&s, r, sa, dir);
		submit_side(&s, r, sb, dir);
		rc_ring_flush(r);
		rh_scenario_random_delay(&s, 10000);
		if (how == RH_ST_CANCEL_ANY)
			n = rc_ring_cancel_fd(r, -1);
		else if (how == RH_ST_CANCEL_FD)
			n = rc_ring_cancel_fd(r, sa->fd);
		else
			n = rc_ring_cancel_fd_sync(r, sa->fd, 1000);
		s.cancels += n > 0 ? (unsigned)n : 0;
		if (how != RH_ST_CANCEL_ANY) {
			/* b's ops are still the caller's, in flight */
			rc_ring_wait(r, 0, 0);
			for (i = 0; i < sb->n; i++) {
				if (sb->out[i].cqe_seen)
					rh_scenario_unexpected(&s, how, dir,
							       &sb->out[i]);
				rc_op_cancel(sb->ops[i]);
			}
		}
		rc_ring_drain(r, 2000);
		for (i = 0; i < sa->n; i++) {
			struct rh_outcome *o = &sa->out[i];

			if (o->res == -ECANCELED && o->cqe_seen && o->released &&
			    o->cancel_res == RC_CANCEL_NONE)
				rh_scenario_hit(&s, how, dir, o);
			else
				rh_scenario_unexpected(&s, how, dir, o);
		}
		for (i = 0; i < sb->n; i++)
			if (!(sb->out[i].res == -ECANCELED &&
			      sb->out[i].released))
				rh_scenario_unexpected(&s, how, dir,
						       &sb->out[i]);
		s.done += sa->n;
	}
	rh_scenario_ring_done(&s, r);
	for (d = 0; d < RH_DIR__COUNT; d++) {
		close(a[d].p[0]); close(a[d].p[1]);
		close(b[d].p[0]); close(b[d].p[1]);
	}
	return rh_scenario_finish(&s);
}
