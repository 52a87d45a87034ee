/* SPDX-License-Identifier: MIT */
/*
 * Description: tear rings down with reads and writes in every state at
 * once: queued in the engine, poll-armed on pipes, in the block layer
 * (O_DIRECT), completed but not reaped, reaped but not handed back, and
 * (as root) running in io-wq on a userfaultfd stall that another thread
 * releases while the teardown waits.  rc_ring_destroy must cancel them all,
 * reap every submitted op's own CQE before giving its buffer back, prove
 * the ring gone, and only then free.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"
#include "stall.h"

struct releaser {
	struct rh_stall st;
	uint64_t delay_ns;
};

static void *release_later(void *arg)
{
	struct releaser *rl = arg;

	usleep((useconds_t)(rl->delay_ns / 1000));
	rh_stall_release(&rl->st, 0);
	return NULL;
}

#define MAX_OPS 12
#define LEN 65536

int main(int argc, char **argv)
{
	struct rh_scenario s;
	struct rh_outcome out[MAX_OPS];
	enum rh_dir dirs[MAX_OPS];
	bool queued[MAX_OPS];
	bool can_stall = true;
	int rp[2], wp[2], fd, dfd;

	rh_scenario_begin(&s, "teardown_in_flight", argc, argv, 3000,
			  RH_ST_TEARDOWN);
	rh_scenario_pipes(rp, wp);
	fd = rh_scenario_file(&s, 4 << 20, 0);
	dfd = rh_scenario_file(&s, 4 << 20, O_DIRECT);

	while (rh_scenario_more(&s)) {
		struct rc_ring *r = rh_scenario_ring(&s, 32);
		bool fixed = !strcmp(rc_ring_buf_strategy(r), "fixed");
		unsigned n = 1 + (unsigned)rh_scenario_rand(&s, MAX_OPS), i;
		struct releaser rl;
		struct rc_op *late[MAX_OPS];
		unsigned n_late = 0;
		bool stalled = false;
		pthread_t th;
		int ret;

		for (i = 0; i < n; i++) {
			struct rc_op *op = rh_scenario_op(r, LEN);
			unsigned kind = (unsigned)rh_scenario_rand(&s, 6);
			uint64_t off = rh_scenario_rand(&s, 64) * LEN;

			dirs[i] = (enum rh_dir)rh_scenario_rand(&s, 2);
			queued[i] = false;
			rh_scenario_watch(op, &out[i]);
			if (kind == 5 && can_stall && !stalled) {
				/* io-wq, stalled until the releaser thread;
				 * recycled memory (pool) must lose its pages,
				 * registered memory (fixed) never faults */
				madvise(op->buf, LEN, MADV_DONTNEED);
				if (fixed ||
				    rh_stall_attach(&rl.st, op->buf, LEN)) {
					can_stall = false;
					kind = 0;
				} else {
					stalled = true;
					kind = 6;	/* a file op, async */
				}
			} else if (kind == 5) {
				kind = 0;
			}
			if (kind == 0 || (kind == 1 && dfd < 0))	/* pipes */
				dirs[i] == RH_DIR_READ ?
				rh_scenario_prep_read(op, rp[0], 0, LEN,
						      (uint64_t)-1) :
				rc_op_prep_write(op, wp[1], 0, LEN, (uint64_t)-1);
			else	/* block layer, or done by teardown time */
				dirs[i] == RH_DIR_READ ?
				/* (a stalled read fills its own buffer) */
				(kind == 6 ? rc_op_prep_read :
					     rh_scenario_prep_read)(op,
					kind == 1 ? dfd : fd, 0, LEN, off) :
				rc_op_prep_write(op, kind == 1 ? dfd : fd, 0,
						 LEN, off);
			if (kind == 6)
				rc_op_set_flags(op, IOSQE_ASYNC);
			if (kind == 3) {	/* queued after every flush below */
				queued[i] = true;
				late[n_late++] = op;
				continue;
			}
			rc_op_submit(op);
			rc_ring_flush(r);
			if (kind == 4)		/* reaped, never handed back */
				rc_ring_wait(r, 1, 100);
		}
		for (i = 0; i < n_late; i++)	/* stay in the engine's queue */
			rc_op_submit(late[i]);
		rh_scenario_random_delay(&s, 20000);
		if (stalled) {
			rh_stall_wait_fault(&rl.st, 2000);
			rl.delay_ns = rh_scenario_rand(&s, 2000000);
			pthread_create(&th, NULL, release_later, &rl);
		}
		ret = rh_scenario_ring_done(&s, r);	/* cancels them all */
		if (stalled) {
			pthread_join(th, NULL);
			rh_stall_destroy(&rl.st);
		}
		s.cancels += n;
		for (i = 0; i < n; i++) {
			if (!ret && out[i].released &&
			    out[i].cqe_seen != queued[i])
				rh_scenario_hit(&s, RH_ST_TEARDOWN, dirs[i],
						&out[i]);
			else
				rh_scenario_unexpected(&s, RH_ST_TEARDOWN,
						       dirs[i], &out[i]);
		}
		s.done += n;
	}
	close(rp[0]); close(rp[1]); close(wp[0]); close(wp[1]);
	close(fd);
	if (dfd >= 0)
		close(dfd);
	return rh_scenario_finish(&s);
}
