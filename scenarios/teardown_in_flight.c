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

#include "rc_scenario.h"
#include "rc_stall.h"

struct releaser {
	struct rc_stall st;
	uint64_t delay_ns;
};

static void *release_later(void *arg)
{
	struct releaser *rl = arg;

	usleep((useconds_t)(rl->delay_ns / 1000));
	rc_stall_release(&rl->st, 0);
	return NULL;
}

#define MAX_OPS 12
#define LEN 65536

int main(int argc, char **argv)
{
	struct rc_scenario s;
	struct rc_outcome out[MAX_OPS];
	enum rc_dir dirs[MAX_OPS];
	bool queued[MAX_OPS];
	bool can_stall = true;
	char chunk[4096] = { 0 };
	int rp[2], wp[2], fd, dfd, d;

	rc_scenario_init(&s, "teardown_in_flight", argc, argv, 3000);
	for (d = 0; d < RC_DIR__COUNT; d++)
		rc_scenario_scope(&s, RC_ST_TEARDOWN, d);
	if (pipe2(rp, O_CLOEXEC) || pipe2(wp, O_CLOEXEC | O_NONBLOCK))
		return 2;
	while (write(wp[1], chunk, sizeof(chunk)) > 0)
		;
	fcntl(wp[1], F_SETFL, 0);
	fd = rc_scenario_file(&s, 4 << 20, 0);
	dfd = rc_scenario_file(&s, 4 << 20, O_DIRECT);

	while (rc_scenario_more(&s)) {
		struct rc_ring *r = rc_scenario_ring(&s, 32);
		bool fixed = !strcmp(rc_ring_buf_strategy(r), "fixed");
		unsigned n = 1 + (unsigned)rc_scenario_rand(&s, MAX_OPS), i;
		struct releaser rl;
		struct rc_op *late[MAX_OPS];
		unsigned n_late = 0;
		bool stalled = false;
		pthread_t th;
		int ret;

		for (i = 0; i < n; i++) {
			struct rc_op *op = rc_scenario_op(r, LEN);
			unsigned kind = (unsigned)rc_scenario_rand(&s, 6);
			uint64_t off = rc_scenario_rand(&s, 64) * LEN;

			dirs[i] = (enum rc_dir)rc_scenario_rand(&s, 2);
			queued[i] = false;
			rc_scenario_watch(op, &out[i]);
			if (kind == 5 && can_stall && !stalled) {
				/* io-wq, stalled until the releaser thread;
				 * recycled memory (pool) must lose its pages,
				 * registered memory (fixed) never faults */
				madvise(op->buf, LEN, MADV_DONTNEED);
				if (fixed ||
				    rc_stall_attach(&rl.st, op->buf, LEN)) {
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
				dirs[i] == RC_DIR_READ ?
				rc_scenario_prep_read(op, rp[0], 0, LEN,
						      (uint64_t)-1) :
				rc_op_prep_write(op, wp[1], 0, LEN, (uint64_t)-1);
			else	/* block layer, or done by teardown time */
				dirs[i] == RC_DIR_READ ?
				/* (a stalled read fills its own buffer) */
				(kind == 6 ? rc_op_prep_read :
					     rc_scenario_prep_read)(op,
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
		rc_scenario_random_delay(&s, 20000);
		if (stalled) {
			rc_stall_wait_fault(&rl.st, 2000);
			rl.delay_ns = rc_scenario_rand(&s, 2000000);
			pthread_create(&th, NULL, release_later, &rl);
		}
		ret = rc_scenario_ring_done(&s, r);	/* cancels them all */
		if (stalled) {
			pthread_join(th, NULL);
			rc_stall_destroy(&rl.st);
		}
		s.cancels += n;
		for (i = 0; i < n; i++) {
			if (!ret && out[i].released &&
			    out[i].cqe_seen != queued[i])
				rc_scenario_hit(&s, RC_ST_TEARDOWN, dirs[i],
						&out[i]);
			else
				rc_scenario_unexpected(&s, RC_ST_TEARDOWN,
						       dirs[i], &out[i]);
		}
		s.done += n;
	}
	close(rp[0]); close(rp[1]); close(wp[0]); close(wp[1]);
	close(fd);
	if (dfd >= 0)
		close(dfd);
	return rc_scenario_finish(&s);
}
