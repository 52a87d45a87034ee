/* SPDX-License-Identifier: MIT */
/*
 * Description: a linked read->write chain (read from a pipe, then write to
 * a file) cancelled at either end while the read waits for data.
 * Cancelling the head: it answers 0, the read ends -ECANCELED and the
 * write, never started, -ECANCELED too.  Cancelling the tail: on 6.18 a
 * linked request not yet started is on no cancelable list, so the cancel
 * answers -ENOENT and the write still runs once the read (fed afterwards)
 * completes: the engine must keep its buffer until that CQE.  The first
 * tail answer is printed and every later one must match it.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

int main(int argc, char **argv)
{
	struct rh_scenario s;
	struct rh_outcome oh, ot;
	struct rc_ring *r;
	int p[2], fd;
	int tail_cancel_answer = 1;	/* learnt on the first tail cancel */

	rh_scenario_init(&s, "chain_cancel", argc, argv, 5000);
	rh_scenario_scope(&s, RH_ST_CHAIN_HEAD, RH_DIR_READ);
	rh_scenario_scope(&s, RH_ST_CHAIN_TAIL, RH_DIR_WRITE);
	if (pipe2(p, O_CLOEXEC))
		return 2;
	fd = rh_scenario_file(&s, 0, 0);
	r = rh_scenario_ring(&s, 64);

	while (rh_scenario_more(&s)) {
		bool at_head = rh_scenario_rand(&s, 2) == 0;
		struct rc_op *head = rh_scenario_op(r, 4096);
		struct rc_op *tail = rh_scenario_op(r, 4096);
		char data[4096];

		rh_scenario_watch(head, &oh);
		rh_scenario_watch(tail, &ot);
		rc_op_prep_read(head, p[0], 0, 4096, (uint64_t)-1);
		rc_op_set_flags(head, IOSQE_IO_LINK);
		rc_op_prep_write(tail, fd, 0, 4096,
				 rh_scenario_rand(&s, 256) * 4096);
		rc_op_submit(head);
		rc_op_submit(tail);
		rc_ring_flush(r);
		rh_scenario_random_delay(&s, 10000);
		if (at_head) {
			rc_op_cancel(head);
			s.cancels++;
			rc_op_cancel(tail);	/* the caller drops both */
			rc_ring_drain(r, 2000);
			if (oh.cancel_res == 0 && oh.res == -ECANCELED &&
			    ot.res == -ECANCELED && oh.released && ot.released)
				rh_scenario_hit(&s, RH_ST_CHAIN_HEAD, RH_DIR_READ,
						&oh);
			else
				rh_scenario_unexpected(&s, RH_ST_CHAIN_HEAD,
						       RH_DIR_READ, &oh);
		} else {
			rc_op_cancel(tail);
			s.cancels++;
			rc_ring_wait(r, 0, 0);
			memset(data, 'c', sizeof(data));
			if (write(p[1], data, sizeof(data)) != sizeof(data))
				return 2;
			rc_op_cancel(head);
			rc_ring_drain(r, 2000);
			if (tail_cancel_answer == 1) {
				tail_cancel_answer = ot.cancel_res;
				printf("chain_cancel: this kernel answers %d to "
				       "a cancel of a chain's tail (tail %d)\n",
				       ot.cancel_res, ot.res);
			}
			if (ot.cancel_res == tail_cancel_answer &&
			    ot.released && oh.released && ot.cqe_seen &&
			    (ot.cancel_res != 0 || ot.res == -ECANCELED))
				rh_scenario_hit(&s, RH_ST_CHAIN_TAIL,
						RH_DIR_WRITE, &ot);
			else
				rh_scenario_unexpected(&s, RH_ST_CHAIN_TAIL,
						       RH_DIR_WRITE, &ot);
		}
		s.done++;
	}
	rh_scenario_ring_done(&s, r);
	close(p[0]); close(p[1]); close(fd);
	return rh_scenario_finish(&s);
}
