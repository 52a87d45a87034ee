/* SPDX-License-Identifier: MIT */
/*
 * The program: any caller of the engine's API that keeps the API's
 * contract (ringcp/ring.h): the scenarios, the file copy's pump
 * (engine/copy/pump.c), the tree copy's jobs.  Each step is one API call,
 * atomic (the engine runs in the caller's thread); which calls are
 * enabled depends on the configuration.  At any time the program may stop
 * and tear the ring down (rc_ring_destroy), and then closes its own fds.
 *
 * The program mutants of engine/mutant.h (borrowed_buffer, user_free,
 * pool_put_in_flight: copy/pump.c) are program steps, and
 * M_FD_CLOSE_EARLY closes an fd before the drain.
 */

/* the program touches a buffer's bytes (fills a write, reads a read) */
inline program_touch(b)
{
	CHECK(P_MEM, kuse[b] == 0 && !kring[b])
}

#define HELD_IDLE(i)	(hold[i] && st[i] == IDLE)
#define CAN_SUBMIT(i)	(HELD_IDLE(i) && subs[i] > 0)

/* rc_op_get, rc_buf_get, rc_op_set_buf */
inline prog_get()
{
	rc_op_get(p_o);
	gets--;
	if
	:: p_o < NOPS ->
		hold[p_o] = 1;
		subs[p_o] = SUBS;
#if NBP > 0 && !defined(HAVE_FD) && !defined(HAVE_SPLICE)
		rc_buf_get(p_b);
		if
		:: p_b < NB -> buf[p_o] = p_b	/* rc_op_set_buf */
		:: else
		fi;
#endif
		skip
	:: else
	fi;
	p_o = 0;
	p_b = 0
}

/* an op that holds no buffer gets one: rc_buf_get, rc_op_set_buf */
inline prog_buf(i)
{
	if
	:: buf[i] == NB -> rc_buf_get(p_b); buf[i] = p_b; p_b = 0
	:: else
	fi
}

/* rc_op_prep_*: a prepared op (rc_op_prep resets flags and result) */
inline prep(i, k, f)
{
	kind[i] = k;
	ofd[i] = f;
	lnk[i] = 0;
	lt[i] = 0;
	res[i] = RC_OK
}

/* prepare one op as the configuration allows, and rc_op_submit it */
inline prog_submit(i)
{
#if defined(OPS_RW) || defined(OPS_FILE) || defined(OPS_READS)
	if
	:: buf[i] != NB -> prep(i, KC_READ, F_FILE)
#if defined(OPS_RW) || defined(OPS_READS)
	:: buf[i] != NB -> prep(i, KC_READ, F_PIPE)
#endif
#if defined(OPS_RW) || defined(OPS_FILE)
	:: buf[i] != NB -> program_touch(buf[i]); prep(i, KC_WRITE, F_FILE)
#endif
	:: buf[i] == NB -> prep(i, KC_OTHER, F_NONE)	/* a nop */
	fi;
#elif defined(CFG_CHAIN)
	if
	:: buf[i] != NB -> prep(i, KC_READ, F_PIPE); lt[i] = 1	/* timed read */
	:: buf[i] != NB -> program_touch(buf[i]); prep(i, KC_WRITE, F_FILE)
	fi;
#elif defined(CFG_RING)
	if
	:: prep(i, KC_READSEL, F_FILE);
	   /* rc_op_prep_rw: the op's last ring buffer goes back first */
	   if
	   :: buf[i] != NB -> rc_buf_put(buf[i]); buf[i] = NB
	   :: else
	   fi
	#ifdef HAVE_PIPE
	:: prep(i, KC_READSEL, F_PIPE);
	   if
	   :: buf[i] != NB -> rc_buf_put(buf[i]); buf[i] = NB
	   :: else
	   fi
#endif
	:: buf[i] != NB -> prep(i, KC_WRITE, F_FILE)	/* write it out */
	fi;
#elif defined(CFG_FD)
	if
	:: !x_made -> prep(i, KC_OPENAT, F_NONE); x_made = 1
	:: x_owned ->
		prog_buf(i);
		prep(i, KC_READ, F_X); names_x[i] = 1
	:: x_owned && !names_x[0] && !names_x[1] ->
		prep(i, KC_CLOSE, F_X); x_owned = 0	/* the op owns it now */
	:: else -> prep(i, KC_OTHER, F_NONE)		/* a nop, a statx */
	fi;
#endif
	subs[i]--;
	rc_op_submit(i)
}

#ifdef CHAIN
/* a linked chain of two: a pipe read, then a file write (chain_cancel.c),
 * the head with a link timeout or not (with one it needs 3 SQEs); or two
 * linkats (the tree copy's hard-linked chains) */
inline prog_chain()
{
	if
	:: prep(0, KC_READ, F_PIPE);
	   lnk[0] = 1;
	   if
	   :: lt[0] = 1
	   :: skip
	   fi;
	   program_touch(buf[1]);
	   prep(1, KC_WRITE, F_FILE)
	:: prep(0, KC_OTHER, F_NONE);
	   lnk[0] = 1;
	   prep(1, KC_OTHER, F_NONE)
	fi;
	subs[0]--;
	subs[1]--;
	rc_op_submit(0);
	rc_op_submit(1)
}
#endif

#ifdef HAVE_SPLICE
/*
 * The splice data path (engine/copy/splice.c, pipe.c): the pool's pipe
 * moves between places (SP_*), each move a trace point; a linked pair
 * file -> pipe -> file on records 0 and 1, both naming the pipe.
 */
inline pipe_step(from, lab, to)
{
	TRACE_PIPE(from, lab, to);
	spl = to
}

/* rc_pipe_close: the pool closes both ends (P2 at the close) */
inline pipe_close(from)
{
	pipe_step(from, S_CLOSE, SP_CLOSED);
	fd_close(F_SPL, NK)
}

/* rc_pipe_get + rc_splice_pair: the pipe lent, the pair submitted.
 * P7: a pipe given up with its pair in flight is never lent again */
inline prog_pair()
{
	CHECK(P_PIPE, !spl_gone);
	pipe_step(SP_POOL, S_LEND, SP_LENT);
	prep(0, KC_READ, F_SPL);	/* file -> pipe */
	lnk[0] = 1;
	prep(1, KC_WRITE, F_SPL);	/* pipe -> file */
	subs[0]--;
	subs[1]--;
	rc_op_submit(0);
	rc_op_submit(1)
}

/* rc_splice_slot_end, rc_pump_release: the pair was given up (an op
 * cancelled, or put) while the pipe is lent; as the pump does, only once
 * it holds no op of the pair that is still the engine's (rc_pump_abort
 * cancels them all first) */
inline prog_pipe_named()
{
	spl_gone = 1;
	pipe_step(SP_LENT, S_PUT_NAMED, SP_RETIRED);
#ifdef M_PIPE_CLOSE_EARLY
	/* MUTANT: "the pair is cancelled, drop its pipe": closed while
	 * the cancelled splices may still name it */
	pipe_close(SP_RETIRED);
#endif
	skip
}

/* rc_pipe_reclaim: retired once nothing is in flight (rc_ring_inflight) */
inline prog_pipe_reclaim()
{
#ifdef M_PIPE_REUSE_DIRTY
	/* MUTANT: "the splices are over, the pipe is free": to the free
	 * list as it is (no trace point: the real mutant moves it so) */
	spl = SP_POOL
#else
	pipe_close(SP_RETIRED)
#endif
}

#define SPLICE_STEPS							\
	:: atomic { spl == SP_CLOSED && !torn -> printf("@A pipe_make\n");	\
		    fd_open[F_SPL] = 1; spl_gone = 0;				\
		    pipe_step(SP_CLOSED, S_MAKE, SP_POOL) }			\
	:: atomic { spl == SP_POOL && CAN_SUBMIT(0) && CAN_SUBMIT(1) ->	\
		    printf("@A pair\n"); prog_pair() }				\
	:: atomic { spl == SP_LENT && HELD_IDLE(0) && CAN_SUBMIT(1) &&	\
		    res[1] == RC_ECANCELED -> printf("@A lone_out\n");	\
		    prep(1, KC_WRITE, F_SPL); subs[1]--; rc_op_submit(1) }	\
	:: atomic { spl == SP_LENT && HELD_IDLE(0) && HELD_IDLE(1) &&	\
		    res[0] == RC_OK && res[1] == RC_OK ->			\
		    printf("@A pipe_clean\n");					\
		    CHECK(P_PIPE, krec[0] == 0 && krec[1] == 0);		\
		    pipe_step(SP_LENT, S_PUT_CLEAN, SP_POOL) }			\
	:: atomic { spl == SP_LENT && HELD_IDLE(0) && HELD_IDLE(1) ->	\
		    printf("@A pipe_dirty\n");					\
		    pipe_step(SP_LENT, S_PUT_DIRTY, SP_DIRTY);			\
		    pipe_close(SP_DIRTY) }					\
	:: atomic { spl == SP_LENT && (!hold[0] || !hold[1]) &&		\
		    (!hold[0] || st[0] == IDLE) && (!hold[1] || st[1] == IDLE) -> \
		    printf("@A pipe_named\n"); prog_pipe_named() }		\
	:: atomic { spl == SP_RETIRED && ninflight == 0 ->			\
		    printf("@A pipe_reclaim\n"); prog_pipe_reclaim() }
#else
#define SPLICE_STEPS
#endif

/* the op came back (rc_ring_next): the program uses its result */
inline prog_delivered(o)
{
	if
	:: (kind[o] == KC_READ || kind[o] == KC_READSEL) && buf[o] != NB ->
		program_touch(buf[o])	/* reads the data */
	:: else
	fi;
#ifdef HAVE_FD
	if
	:: kind[o] == KC_OPENAT && res[o] == RC_OK -> x_owned = 1
	:: kind[o] == KC_CLOSE && res[o] != RC_OK -> x_owned = 1	/* still open */
	:: else
	fi;
	names_x[o] = 0;
#endif
	skip
}

/* a program step on record i (NOPS is 2 in every configuration) */
#ifndef HAVE_SPLICE
#define OP_SUBMIT(i)							\
	:: atomic { CAN_SUBMIT(i) -> printf("@A submit %d\n", i); prog_submit(i) }
#else
#define OP_SUBMIT(i)	/* pairs only: SPLICE_STEPS */
#endif
#define OP_STEPS(i)							\
	OP_SUBMIT(i)							\
	:: atomic { hold[i] && st[i] != FREE -> printf("@A cancel %d\n", i);	\
		    rc_op_cancel(i); hold[i] = 0 }				\
	:: atomic { HELD_IDLE(i) -> printf("@A put %d\n", i); rc_op_put(i);	\
		    hold[i] = 0 }						\
	OP_STEPS_RING(i)						\
	OP_STEPS_MUTANT(i)

#if NRB > 0
/* rc_op_take_buf + rc_buf_put: an idle slot gives its ring buffer back
 * (pump.c, rc_copy_idle) */
#define OP_STEPS_RING(i)						\
	:: atomic { HELD_IDLE(i) && buf[i] != NB -> printf("@A takebuf %d\n", i); \
		    p_b = buf[i]; buf[i] = NB;					\
		    rc_buf_put(p_b); p_b = 0 }
#else
#define OP_STEPS_RING(i)
#endif

#if defined(M_BORROWED_BUFFER)
/* MUTANT: the program writes into a buffer it lent for a read */
#define OP_STEPS_MUTANT(i)						\
	:: atomic { hold[i] && st[i] == INFLIGHT && kind[i] == KC_READ &&	\
		    buf[i] != NB -> printf("@A touch %d\n", i); program_touch(buf[i]) }
#elif defined(M_USER_FREE)
/* MUTANT: the program frees the buffer its read is filling */
#define OP_STEPS_MUTANT(i)						\
	:: atomic { hold[i] && (st[i] == QUEUED || st[i] == INFLIGHT) &&	\
		    kind[i] == KC_READ && buf[i] != NB && !bfree[buf[i]] ->	\
		    printf("@A free %d\n", i); rc_buf_put(buf[i]) }
#elif defined(M_POOL_PUT_IN_FLIGHT)
/* MUTANT: "the write has the data now": its buffer back to the pool */
#define OP_STEPS_MUTANT(i)						\
	:: atomic { hold[i] && (st[i] == QUEUED || st[i] == INFLIGHT) &&	\
		    kind[i] == KC_WRITE && buf[i] != NB && !bfree[buf[i]] ->	\
		    printf("@A free %d\n", i); rc_buf_put(buf[i]) }
#else
#define OP_STEPS_MUTANT(i)
#endif

proctype program()
{
	/* the engine's locals in calls made from here (engine.pml) */
	byte e_ret, a_o, a_snap, a_done;
	bool e_full;
	/* the program's own */
	byte p_o, p_b, p_ret;
	byte gets = GETS;
	byte subs[NOPS];
	bool hold[NOPS];		/* the program holds the op (APP) */
#ifdef HAVE_CANCEL_FD
	bool did_fd, did_sync;
#endif
#ifdef HAVE_FD
	bool x_made, x_owned;		/* it opened F_X; it owns it now */
	bool names_x[NOPS];		/* an op naming F_X may be in flight */
#endif

	do
	:: atomic { gets > 0 -> printf("@A get\n"); prog_get() }
	OP_STEPS(0)
	OP_STEPS(1)
#ifdef CHAIN
	:: atomic { CAN_SUBMIT(0) && CAN_SUBMIT(1) -> printf("@A chain\n"); prog_chain() }
#endif
	SPLICE_STEPS
	:: atomic { printf("@A wait\n"); rc_ring_wait0() }
	:: atomic { ready.n > 0 -> printf("@A next\n"); rc_ring_next(p_o);
		    prog_delivered(p_o); p_o = 0 }
#if defined(HAVE_PIPE) || defined(CHAIN)
	:: atomic { !pipe_ready -> printf("@A pipe\n"); pipe_ready = 1 }	/* data comes */
#endif
#ifdef HAVE_CANCEL_FD
	:: atomic { !did_fd -> printf("@A cancel_fd\n"); did_fd = 1;
		    rc_ring_cancel_fd(); hold[0] = 0; hold[1] = 0 }
	:: atomic { !did_sync -> printf("@A cancel_fd_sync\n"); did_sync = 1;
		    rc_ring_cancel_fd_sync(); hold[0] = 0; hold[1] = 0 }
#endif
#ifdef HAVE_FD
	:: atomic { printf("@A drain\n") };
	   rc_ring_drain(p_ret);
	   atomic {
		if
		:: p_ret == OK -> names_x[0] = 0; names_x[1] = 0
		:: else
		fi;
		p_ret = 0
	   }
	:: atomic { x_owned && !names_x[0] && !names_x[1] -> printf("@A close\n");
		    fd_close(F_X, NK); x_owned = 0 }
#ifdef M_FD_CLOSE_EARLY
	/* MUTANT: the program closes the fd while an op naming it may still
	 * be in flight (cancelled, not drained) */
	:: atomic { x_owned && (names_x[0] || names_x[1]) -> printf("@A close\n");
		    fd_close(F_X, NK); x_owned = 0 }
#endif
#endif
	:: break
	od;

#ifdef HAVE_SPLICE
	/* rc_pipe_pool_destroy, before the ring goes: its pipe closed if
	 * nothing is in flight, else kept open (process exit) */
	atomic {
		if
		:: (spl == SP_POOL || spl == SP_RETIRED) && ninflight == 0 ->
			pipe_close(spl)
		:: else
		fi
	}
#endif
	/* the end: tear the ring down, then close the program's own fds */
	printf("@A destroy\n");
	rc_ring_destroy();
	atomic {
		if
		:: freed ->
			fd_close(F_FILE, NK);
			fd_close(F_PIPE, NK);
#ifdef HAVE_FD
			if
			:: x_owned -> fd_close(F_X, NK)
			:: else
			fi;
#endif
			skip
		:: else
		fi
	}
}

/* protocol_tour's step stale-cqe: a NOP, submitted past the engine, whose
 * user_data names a record's previous life, arrives while the record is
 * in flight in its next life: a late duplicate CQE */
proctype foreign_sqe()
{
	byte r;
end:
	atomic {
		uring_live && ((gen[0] >= 2 && st[0] == INFLIGHT) ||
			       (gen[1] >= 2 && st[1] == INFLIGHT)) ->
		if
		:: gen[0] >= 2 && st[0] == INFLIGHT -> r = 0
		:: gen[1] >= 2 && st[1] == INFLIGHT -> r = 1
		fi;
		printf("@K foreign %d %d\n", r, gen[r] - 1);
		k_post(r, T_OP, gen[r] - 1, RC_OK, NB)
	}
}

init {
	byte b;

	atomic {
		kn[KS_FREE] = NK;
		fd_open[F_FILE] = 1;
		fd_open[F_PIPE] = 1;
		/* rc_ring_create -> rc_strat_ring_create: every ring buffer
		 * provided to the kernel */
		b = 0;
		do
		:: b < NBP -> bfree[b] = 1; b++		/* the pool */
		:: b >= NBP && b < NB -> rc_bring_add(b); b++
		:: else -> break
		od;
		b = 0;
		run rc_ring_submit_fn();
		run rc_ring_reap_fn();
		run rc_ring_write_sqes_fn();
		run rc_op_cancel_fn();
		run rc_op_release_fn();
		run io_req_complete_post();
#ifdef EXTRACT
		run trace_op_fn();
#endif
		run program();
		run io_wq();
		run block_layer();
#if defined(HAVE_PIPE) || defined(CHAIN)
		run poll_wake();
#endif
#ifdef CHAIN
		run link_timer();
#endif
		run task_work();
		run io_ring_exit_work();
#ifdef HAVE_STALE
		run foreign_sqe();
#endif
	}
}
