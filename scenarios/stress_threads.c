/* SPDX-License-Identifier: MIT */
/*
 * Description: stress.  Several threads, each with its own ring, keep
 * about a thousand operations in flight each (reads waiting on many pipes,
 * reads and writes of many files), cancel them at random, feed random
 * pipes so some reads complete, and finally tear their rings down with
 * everything still in flight.  The harness ledger and detectors watch all
 * threads at once; every op handed back must carry a sane result.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

#define THREADS 3
#define IN_FLIGHT 1000
#define PIPES 64
#define FILES 16
#define LEN 4096

struct worker {
	struct rh_scenario *s;
	pthread_t th;
	uint64_t rng;
	int pipes[PIPES][2];
	int files[FILES];
	uint64_t cancels, completions, bad;
};

static atomic_uint_fast64_t iterations;

static uint64_t wrand(struct worker *w, uint64_t n)
{
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return (w->rng * 0x2545f4914f6cdd1dull) % n;
}

static bool keep_going(struct rh_scenario *s)
{
	uint64_t done = atomic_load(&iterations);

	if (s->ops && done >= s->ops)
		return false;
	return !(s->seconds > 0 &&
		 (double)(rc_now_ns() - s->start_ns) / 1e9 >= s->seconds);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct rc_ring *r = rh_scenario_ring(w->s, 1024);
	struct rc_op *slot[IN_FLIGHT] = { 0 };
	char feed[LEN];
	unsigned i;

	memset(feed, 'f', sizeof(feed));
	while (keep_going(w->s)) {
		struct rc_op *op;

		/* top up: every empty slot gets a new op */
		for (i = 0; i < IN_FLIGHT; i++) {
			unsigned kind = (unsigned)wrand(w, 4);

			if (slot[i])
				continue;
			op = rh_scenario_op(r, LEN);
			op->user = &slot[i];
			if (kind < 2)
				rh_scenario_prep_read(op, w->pipes[wrand(w, PIPES)][0],
						0, LEN, (uint64_t)-1);
			else if (kind == 2)
				rh_scenario_prep_read(op, w->files[wrand(w, FILES)], 0,
						LEN, wrand(w, 64) * LEN);
			else
				rc_op_prep_write(op, w->files[wrand(w, FILES)],
						 0, LEN, wrand(w, 64) * LEN);
			rc_op_submit(op);
			slot[i] = op;
		}
		/* cancel some, at random, in any state */
		for (i = 0; i < 64; i++) {
			unsigned k = (unsigned)wrand(w, IN_FLIGHT);

			if (slot[k] && !rc_op_cancel(slot[k])) {
				slot[k] = NULL;
				w->cancels++;
			}
		}
		/* feed some pipes */
		for (i = 0; i < 8; i++)
			if (write(w->pipes[wrand(w, PIPES)][1], feed,
				  sizeof(feed)) < 0)
				break;
		rc_ring_wait(r, 1, 100);
		while ((op = rc_ring_next(r))) {
			struct rc_op **home = op->user;

			if (op->res <= 0 || op->res > LEN)
				w->bad++;
			w->completions++;
			*home = NULL;
			rc_op_put(op);
		}
		atomic_fetch_add(&iterations, 1);
	}
	/* teardown with about IN_FLIGHT ops in flight */
	rh_scenario_ring_done(w->s, r);
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker w[THREADS];
	struct rh_scenario s;
	uint64_t cancels = 0, completions = 0, bad = 0;
	int t, i;

	rh_scenario_init(&s, "stress_threads", argc, argv, 300);
	s.strategy_bufs = IN_FLIGHT;	/* a ring buffer for every read */
	s.strategy_buf_size = LEN;
	for (t = 0; t < THREADS; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].s = &s;
		w[t].rng = s.seed * 2654435761u + (uint64_t)t + 1;
		for (i = 0; i < PIPES; i++)
			if (pipe2(w[t].pipes[i], O_CLOEXEC | O_NONBLOCK))
				return 2;
		for (i = 0; i < PIPES; i++)	/* reads must wait, not fail */
			fcntl(w[t].pipes[i][0], F_SETFL, 0);
		for (i = 0; i < FILES; i++)
			w[t].files[i] = rh_scenario_file(&s, 64 * LEN, 0);
	}
	for (t = 0; t < THREADS; t++)
		pthread_create(&w[t].th, NULL, worker_main, &w[t]);
	for (t = 0; t < THREADS; t++) {
		pthread_join(w[t].th, NULL);
		cancels += w[t].cancels;
		completions += w[t].completions;
		bad += w[t].bad;
		for (i = 0; i < PIPES; i++) {
			close(w[t].pipes[i][0]);
			close(w[t].pipes[i][1]);
		}
		for (i = 0; i < FILES; i++)
			close(w[t].files[i]);
	}
	s.done = atomic_load(&iterations);
	s.cancels = cancels;
	s.unexpected = bad;
	printf("stress_threads: %d threads x %d ops in flight: %" PRIu64
	       " cancellations, %" PRIu64 " completions, %" PRIu64
	       " bad results\n", THREADS, IN_FLIGHT, cancels, completions, bad);
	return rh_scenario_finish(&s);
}
