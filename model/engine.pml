/* SPDX-License-Identifier: MIT */
/*
 * The engine (engine/core/), one inline per C function, statement by
 * statement where the protocol is concerned.  The engine runs in the
 * program's thread (a ring is never shared), so each API call is one
 * atomic step of the program process; the kernel runs concurrently and
 * only meets the engine through the SQ ring (consumed at io_uring_enter),
 * the CQ ring (filled at any time), the provided buffer ring and fds.
 *
 * Promela has no functions, and inlining everything multiplies the code:
 * the engine functions called from many places (rc_ring_submit,
 * rc_ring_reap, rc_ring_write_sqes, rc_op_cancel) are processes of their
 * own, called by rendezvous (call_*), which hands the caller's atomicity
 * to them and back: a call, not a concurrent thread.  Leaf scratch
 * variables are globals (reset after use); what lives across a call is a
 * local of its process.  Mutants (engine/mutant.h) are the M_* switches,
 * at the same places as in the C.
 */

/* leaf scratch: list_del, release, fail_chain, the CQE being handled */
byte e_j, e_b, e_n;
byte rv;		/* a subroutine process's return value */
bool e_same;
byte f_o, f_pos;
bool f_lk;
byte c_rec, c_tag, c_life, c_res, c_bid;

/* calls of the engine's subroutine processes */
chan call_submit = [0] of { byte };
chan ret_submit = [0] of { byte };
chan call_reap = [0] of { byte };
chan ret_reap = [0] of { byte };
chan call_write_sqes = [0] of { byte };
chan ret_write_sqes = [0] of { byte };
chan call_release = [0] of { byte };
chan ret_release = [0] of { byte };
chan call_cancel = [0] of { byte };
chan ret_cancel = [0] of { byte };

inline rc_ring_submit(ret)	{ call_submit!0; ret_submit?_; ret = rv; rv = 0 }
inline rc_ring_reap(n)		{ call_reap!0; ret_reap?_; n = rv; rv = 0 }
inline rc_ring_write_sqes()	{ call_write_sqes!0; ret_write_sqes?_ }
inline rc_op_cancel(o)		{ call_cancel!o; ret_cancel?_ }

/* ---- struct rc_op_list (core.h): rc_list_push, rc_list_del, rc_list_pop */
inline list_push(ll, lo)
{
	ll.e[ll.n] = lo;
	ll.n++
}

inline list_del(ll, lo)
{
	e_j = 0;
	do
	:: e_j < ll.n && ll.e[e_j] != lo -> e_j++
	:: else -> break
	od;
	assert(e_j < ll.n);
	do
	:: e_j + 1 < ll.n -> ll.e[e_j] = ll.e[e_j + 1]; e_j++
	:: else -> break
	od;
	ll.n--;
	ll.e[ll.n] = 0;
	e_j = 0
}

/* ---- buf.c and the strategies ---- */

/* rc_bring_add (buf_ring.c): the buffer goes into the kernel's ring; the
 * kernel may pick it at once */
inline rc_bring_add(b)
{
	TRACE_BUF(b, B_PROVIDE, NOPS);
	bring_in[b] = 1;
	kring[b] = 1
}

/*
 * rc_buf_put (buf.c): "called only when no SQE can point at the buffer".
 * P1: nothing the kernel may still use is given back.  A ring buffer goes
 * back into the kernel's ring (rc_strat_ring_put), a pool one to the pool.
 */
inline rc_buf_put(b)
{
	TRACE_BUF(b, B_PUT, NOPS);
	CHECK(P_MEM, kuse[b] == 0 && !kring[b]);
	if
	:: b >= NBP ->
		if
		:: bring_in[b] -> TRACE_BUF(b, B_PROVIDE, NOPS)	/* given back twice */
		:: else -> rc_bring_add(b)
		fi;
		bat[b] = NOPS
	:: else -> bfree[b] = 1
	fi
}

/* rc_buf_get (buf.c -> rc_pool_get): a buffer the pool holds; with the
 * fixed_update mutant a busy registered slot is handed out again */
inline rc_buf_get(b)
{
	b = 0;
	do
	:: b < NBP && !bfree[b] -> b++
	:: else -> break	/* the first one free (which one does not matter) */
	od;
#ifdef M_FIXED_UPDATE
	if
	:: b >= NBP ->
		/* MUTANT: every slot busy: "replace" one in the table and
		 * give the old one back, handing it out again */
		b = 0;
		TRACE_BUF(b, B_PUT, NOPS);
		CHECK(P_MEM, kuse[b] == 0);
		bfree[b] = 1
	:: else
	fi;
#endif
	if
	:: b < NBP ->
		CHECK(P_MEM, kuse[b] == 0);	/* reuse while the kernel uses it */
		bfree[b] = 0;
		TRACE_BUF(b, B_GET, NOPS)
	:: else -> b = NB			/* -ENOMEM within the bound */
	fi
}

/* rc_buf_attach_selected (buf.c): the ring buffer a read's CQE names */
inline rc_buf_attach_selected(o, bid)
{
	if
	:: bid != NB && bring_in[bid] ->
		bring_in[bid] = 0;	/* rc_strat_ring_selected */
		buf[o] = bid;
		bat[bid] = o;
		bowed[bid] = 0;
		TRACE_SELECT(o, bid)
	:: else
	fi
}

/* rc_buf_return_selected (buf.c): the ring buffer a CQE the engine does
 * not act on (stale, unknown) names goes back into the ring at once */
inline rc_buf_return_selected(bid)
{
	if
	:: bid != NB && bring_in[bid] ->
		bring_in[bid] = 0;
		bowed[bid] = 0;
		TRACE_BUF(bid, B_SELECT, NOPS);
		rc_buf_put(bid)
	:: else
	fi
}

/* ---- op.c ---- */

/* rc_op_get: a record from the free list, or a new one */
inline rc_op_get(o)
{
	if
	:: freel.n > 0 -> o = freel.e[0]; list_del(freel, o)
	:: freel.n == 0 && nalloc < NOPS -> o = nalloc; nalloc++
	:: else -> o = NOPS		/* -ENOMEM: the model's bound */
	fi;
	if
	:: o < NOPS ->
		/* memset, generations only ever grow */
		st[o] = IDLE; own[o] = APP; kind[o] = KC_NONE; ofd[o] = F_NONE;
		lnk[o] = 0; lt[o] = 0; kcq[o] = 0; cpn[o] = 0; tpn[o] = 0;
		res[o] = RC_OK; buf[o] = NB; fdc[o] = 0; eff[o] = 0;
		TRACE_OP(o, L_GET, 0)
	:: else
	fi
}

/*
 * rc_op_release: buffer back, path copies freed, record recycled (or in
 * limbo while a cancel aimed at it is unanswered).  P1: no request of this
 * record may still use its memory (path copies, timespec, the record).
 * P6: a cancelled op's effects were handled before.
 */
inline rc_op_release(o)		{ call_release!o; ret_release?_ }

/* rc_op_put: give back an idle record */
inline rc_op_put(o)
{
	assert(st[o] == IDLE);
	own[o] = own[o] & ~APP;
	rc_op_release(o)
}

/* rc_op_submit: into the engine's queue */
inline rc_op_submit(o)
{
	assert(st[o] == IDLE && (own[o] & APP));
	st[o] = QUEUED;
	list_push(queued, o);
	TRACE_OP(o, L_QUEUE, KCLASS(kind[o]) * 4 + lnk[o] * 2 + lt[o])
}

/* engine_close: close(2) by the engine of an fd (halt safety) */
inline engine_close(o, f)
{
	fd_close(f, NK);
	fdc[o] = 1;
	eff[o] = eff[o] & ~EFF_FD;
	TRACE_OP(o, L_FD_CLOSE, 0)
}

/*
 * rc_op_halt_and_release: a cancelled op's effects, then release.  Bytes
 * counted, an openat's fd closed, a close cancelled before it ran closes
 * its fd; a selected ring buffer goes back in rc_op_release.
 */
inline rc_op_halt_and_release(o)
{
	if
	:: res[o] == RC_OK ->
		if
		:: kind[o] == KC_WRITE || kind[o] == KC_READ ->
			eff[o] = eff[o] & ~EFF_BYTES	/* halt_*_bytes += res */
		:: kind[o] == KC_READSEL ->
			eff[o] = eff[o] & ~EFF_BYTES;
#ifdef M_RING_HALT_LEAK
			buf[o] = NB;	/* MUTANT: the ring buffer is forgotten */
#endif
			skip
		:: kind[o] == KC_OPENAT ->
#ifndef M_HALT_LEAK
			engine_close(o, F_X);
			eff[o] = eff[o] & ~EFF_FD;
#endif
			skip
		:: else
		fi;
		TRACE_OP(o, L_HALT, res[o])
	:: res[o] == RC_ECANCELED && kind[o] == KC_CLOSE ->
		engine_close(o, ofd[o])	/* cancelled before it ran */
	:: else
	fi;
	rc_op_release(o)
}

/*
 * rc_ring_fail_chain: o leaves the queue without an SQE; the ops linked
 * after it fail with err, the op linked before it ends its chain there.
 */
inline rc_ring_fail_chain(o, err, self_fails)
{
	f_pos = 0;
	do
	:: queued.e[f_pos] != o -> f_pos++
	:: else -> break
	od;
	if
	:: f_pos > 0 && lnk[queued.e[f_pos - 1]] -> lnk[queued.e[f_pos - 1]] = 0
	:: else
	fi;
	f_lk = lnk[o];
	list_del(queued, o);	/* the ops after it move down to f_pos */
	if
	:: self_fails ->
		res[o] = err; st[o] = READY; list_push(ready, o);
		TRACE_OP(o, L_FAIL, err)
	:: else
	fi;
	do
	:: f_lk && f_pos < queued.n ->
		f_o = queued.e[f_pos];
		f_lk = lnk[f_o];
		list_del(queued, f_o);
		res[f_o] = err; st[f_o] = READY; list_push(ready, f_o);
		TRACE_OP(f_o, L_FAIL, err);
		f_o = 0
	:: else -> break
	od;
	f_pos = 0; f_lk = 0
}

/* ---- sqe.c ---- */

/*
 * rc_op_write_sqe: KERNEL set, generation bumped, in flight, before the
 * SQE is written (the kernel sees it only at the next io_uring_enter).
 * The SQ message carries what the SQE names: record, tag, life (the
 * user_data), opcode, fd, buffer, IOSQE_IO_LINK.
 */
inline rc_op_write_sqe(o)
{
	gen[o]++;
	own[o] = own[o] | KERNEL;
	st[o] = INFLIGHT;
	kcq[o] = (lt[o] -> 2 : 1);
	tpn[o] = lt[o];
	ninflight++;
	TRACE_OP(o, L_SUBMIT, KCLASS(kind[o]) * 2 + lt[o]);
	if
	:: buf[o] != NB && kind[o] != KC_READSEL -> CHECK(P_MEM, !bfree[buf[o]]);	/* an SQE on a freed buffer */
		TRACE_BUF(buf[o], B_LEND, o); kuse[buf[o]]++
	:: else
	fi;
	krec[o]++;
	sq!o, T_OP, gen[o], kind[o], ofd[o],
	    (kind[o] != KC_READSEL -> buf[o] : NB), lnk[o] || lt[o];
	if
	:: lt[o] -> krec[o]++; sq!o, T_TIMEOUT, gen[o], KC_NONE, F_NONE, NB, lnk[o]
	:: else
	fi
}

/* ---- submit.c ---- */


/* rc_ring_get_sqe: an SQE, submitting (and reaping on -EBUSY) if full */
inline rc_ring_get_sqe(ret, was_full)
{
	do
	:: len(sq) < SQ_ENTRIES -> ret = OK; break
	:: else ->
		was_full = 1;
		rc_ring_submit(ret);
		if
		:: ret == EBUSY -> rc_ring_reap(e_n)
		:: else
		fi
	od
}


/* rc_ring_flush */
inline rc_ring_flush()
{
	rc_ring_write_sqes();
	if
	:: len(sq) > 0 ->
		rc_ring_submit(e_ret);
		if
		:: e_ret == EBUSY -> rc_ring_reap(e_n)
		:: else
		fi
	:: else
	fi
}

/* rc_ring_wait(min_cqes 0): write, reap what is there, submit the rest */
inline rc_ring_wait0()
{
	rc_ring_write_sqes();
	rc_ring_reap(e_n);
	if
	:: len(sq) > 0 -> rc_ring_flush()
	:: else
	fi;
	e_n = 0
}

/* rc_ring_next: the ready list's head back to the caller */
inline rc_ring_next(o)
{
	if
	:: ready.n > 0 ->
		o = ready.e[0];
		list_del(ready, o);
		st[o] = IDLE;
		eff[o] = 0;		/* the caller has result and effects */
		TRACE_OP(o, L_DELIVER, res[o])
	:: else -> o = NOPS
	fi
}

/* ---- cqe.c ---- */

/* rc_op_complete: all its CQEs have come: hand back or halt and release */
inline rc_op_complete(o)
{
	ninflight--;
	own[o] = own[o] & ~KERNEL;
	TRACE_OP(o, L_CQE, res[o]);
	if
	:: own[o] & APP -> st[o] = READY; list_push(ready, o)
	:: else -> rc_op_halt_and_release(o)
	fi
}

/* rc_ring_cancel_cqe: an ASYNC_CANCEL's answer: counted; ends a limbo */
inline rc_ring_cancel_cqe(o)
{
	CHECK(P_LIFE, c_life == gen[o]);
#ifdef M_LIMBO_FOREVER
	/* MUTANT (model only): the answer for a record already released is
	 * taken for a stale CQE: the record stays in limbo, its cancel
	 * "pending" forever */
	if
	:: st[o] == FREE -> TRACE_OP(o, L_STALE, 0)
	:: else ->
#endif
	cpn[o]--;
	cancels_pending--;
	TRACE_OP(o, L_CANCEL_CQE, c_res);
#ifdef M_CANCEL_TRUSTED
	/* MUTANT: "the cancel says it is over": released on its answer */
	if
	:: (c_res == CA_ENOENT || c_res == CA_EALREADY) && st[o] == INFLIGHT &&
	   !(own[o] & APP) ->
		ninflight--;
		own[o] = own[o] & ~KERNEL;
		rc_op_release(o)
	:: else ->
#endif
	if
	:: st[o] == FREE && cpn[o] == 0 -> limbo--; list_push(freel, o)
	:: else
	fi
#ifdef M_CANCEL_TRUSTED
	fi
#endif
#ifdef M_LIMBO_FOREVER
	fi
#endif
}

/*
 * rc_ring_handle_cqe: act on one CQE (c_rec, c_tag, c_life, c_res, c_bid)
 * only if it names a record of this ring, in its current life, and the
 * record waits for that kind of CQE; anything else is counted as stale.
 * P3: a CQE acted on belongs to the record's current life (the model's
 * lives are exact: c_life is the life the request was submitted in).
 */
inline rc_ring_handle_cqe()
{
	if
	:: c_tag == T_CANCEL_FD && cancels_pending > 0 ->
		cancels_pending--;
		fd_cancels--;
		TRACE_RING(R_FD_CQE, 0)
	:: c_tag == T_CANCEL_FD && cancels_pending == 0 ->
		TRACE_RING(R_UNKNOWN, 0)
	:: c_tag != T_CANCEL_FD ->
		e_same = (gen[c_rec] == c_life);
		if
		:: c_tag == T_CANCEL ->
			if
			:: e_same && cpn[c_rec] > 0 -> rc_ring_cancel_cqe(c_rec)
			:: else -> TRACE_OP(c_rec, L_STALE, 0)
			fi
		:: c_tag == T_TIMEOUT ->
			if
			:: e_same && st[c_rec] == INFLIGHT && tpn[c_rec] ->
				CHECK(P_LIFE, c_life == gen[c_rec]);
				tpn[c_rec] = 0;
				TRACE_OP(c_rec, L_LTCQE, 0);
				kcq[c_rec]--;
				if
				:: kcq[c_rec] == 0 -> rc_op_complete(c_rec)
				:: else
				fi
			:: else -> TRACE_OP(c_rec, L_STALE, 0)
			fi
		:: c_tag == T_OP ->
#ifdef M_STALE_CQE
			e_same = 1;	/* MUTANT: the generation is not checked */
#endif
			if
			:: !e_same || st[c_rec] != INFLIGHT ||
			   !(own[c_rec] & KERNEL) || kcq[c_rec] == (tpn[c_rec] -> 1 : 0) ->
				TRACE_OP(c_rec, L_STALE, 0);
				rc_buf_return_selected(c_bid)
			:: else ->
				CHECK(P_LIFE, c_life == gen[c_rec]);
				res[c_rec] = c_res;
				TRACE_OP(c_rec, L_OPCQE, c_res * 2 + (c_life == gen[c_rec]));
				rc_cqe_effects(c_rec);
				if
				:: kind[c_rec] == KC_READSEL ->
					rc_buf_attach_selected(c_rec, c_bid);
#ifdef M_RING_EARLY_RECYCLE
					/* MUTANT: back into the ring at once */
					if
					:: buf[c_rec] != NB -> rc_buf_put(buf[c_rec])
					:: else
					fi;
#endif
					skip
				:: else
				fi;
				kcq[c_rec]--;
				if
				:: kcq[c_rec] == 0 -> rc_op_complete(c_rec)
				:: else
				fi
			fi
		fi;
		e_same = 0
	fi
}


/* ---- cancel.c ---- */


/*
 * rc_ring_cancel_all: cancel queued and ready ops, then the in-flight ops
 * the caller owns (a snapshot: cancelling may reap), until none is left.
 */
inline rc_ring_cancel_all()
{
	do
	:: queued.n > 0 -> a_o = queued.e[0]; rc_op_cancel(a_o)
	:: queued.n == 0 && ready.n > 0 -> a_o = ready.e[0]; rc_op_cancel(a_o)
	:: queued.n == 0 && ready.n == 0 ->
		a_snap = 0;
		a_o = 0;
		do
		:: a_o < NOPS ->
			if
			:: st[a_o] == INFLIGHT && (own[a_o] & APP) ->
				a_snap = a_snap | (1 << a_o)
			:: else
			fi;
			a_o++
		:: else -> break
		od;
		a_o = 0;
		a_done = 0;	/* done */
		do
		:: a_o < NOPS ->
			if
			:: (a_snap & (1 << a_o)) && st[a_o] == INFLIGHT &&
			   (own[a_o] & APP) -> rc_op_cancel(a_o); a_done++
			:: else
			fi;
			a_o++
		:: else -> break
		od;
		a_o = 0;
		a_snap = 0;
		if
		:: a_done == 0 && queued.n == 0 && ready.n == 0 -> break
		:: else
		fi
	od;
	a_o = 0;
	a_done = 0;
	rc_ring_flush()
}

/*
 * rc_ring_give_up_fd(r, -1): every op the caller owns: queued and ready
 * ones cancelled, in-flight ones lose APP only (one request for all)
 */
inline rc_ring_give_up_all()
{
	do
	:: queued.n > 0 -> a_o = queued.e[0]; rc_op_cancel(a_o)
	:: queued.n == 0 && ready.n > 0 -> a_o = ready.e[0]; rc_op_cancel(a_o)
	:: else -> break
	od;
	a_o = 0;
	do
	:: a_o < NOPS ->
		if
		:: st[a_o] == INFLIGHT && (own[a_o] & APP) ->
			own[a_o] = own[a_o] & ~APP;
			TRACE_OP(a_o, L_CANCEL, INFLIGHT)
		:: else
		fi;
		a_o++
	:: else -> break
	od;
	a_o = 0
}

/* rc_ring_cancel_fd(r, -1): IORING_ASYNC_CANCEL_ANY | ALL */
inline rc_ring_cancel_fd()
{
	rc_ring_give_up_all();
	rc_ring_get_sqe(e_ret, e_full);
	sq!NOPS, T_CANCEL_FD, 0, KC_NONE, F_NONE, NB, 0;
	cancels_pending++;
	fd_cancels++;
	TRACE_RING(R_FD_SQE, 0);
	e_full = 0
}

/*
 * rc_ring_cancel_fd_sync(r, -1): io_uring_register_sync_cancel: the kernel
 * cancels what it can before it returns (running ones are skipped)
 */
inline rc_ring_cancel_fd_sync()
{
	rc_ring_flush();
	rc_ring_give_up_all();
	k_cancel_matching();
	TRACE_RING(R_SYNC, 0)
}

/* ---- teardown.c ---- */

/* rc_ring_drain's loop condition: ops in flight or queued, or a cancel
 * unanswered */
#define DRAIN_BUSY	(ninflight > 0 || queued.n > 0 || cancels_pending > 0)

/*
 * rc_ring_drain: reap until nothing is in flight or queued and every
 * cancel is answered, or the time is up.  Not one atomic step: each
 * rc_ring_wait(1) in its loop waits for a CQE, and the kernel runs
 * meanwhile; the time may run out at any point (not with NO_TIMEOUTS).
 */
inline rc_ring_drain(ret)
{
	do
	:: atomic { !DRAIN_BUSY -> ret = OK; break }
#ifndef NO_TIMEOUTS
	:: atomic { DRAIN_BUSY -> ret = ETIMEDOUT; break }
#endif
	:: atomic { DRAIN_BUSY && (nempty(cq) || queued.n > 0 || len(sq) > 0) ->
		rc_ring_wait0() }
	od;
	atomic { TRACE_RING(R_DRAIN, (ret == OK) * 8 + RING_CTX) }
}

/*
 * rc_ring_exit_proven: register the write end of a pipe as a fixed file,
 * close our copy, rc_ring_exit (act on the CQEs already posted: after a
 * failed drain they are the only news of what those ops did, then
 * io_uring_queue_exit), poll the read end: EOF comes only once the kernel
 * freed the ring context (every request freed).  Without it in time (or
 * without the barrier), -ETIMEDOUT.
 */
inline rc_ring_exit_proven(ret)
{
	atomic {
		rc_ring_reap(e_n);	/* rc_ring_exit */
		e_n = 0;
		uring_live = 0;	/* io_uring_queue_exit: io_ring_exit_work starts */
		TRACE_RING(R_EXIT, 0)
	};
	if
	:: atomic { ctx_freed -> ret = OK }	/* read() returned EOF */
#ifndef NO_TIMEOUTS
	:: atomic { true -> ret = ETIMEDOUT }
#endif
	fi;
	atomic { TRACE_RING(R_PROVEN, ret == OK) }
}

/*
 * rc_ring_free_all: every record's buffer and path copies, then the
 * strategy's memory.  P5: only once the kernel is proven done.
 */
inline rc_ring_free_all()
{
	CHECK(P_TEARDOWN, ctx_freed);
	TRACE_RING(R_FREE, 0);
	a_o = 0;
	do
	:: a_o < nalloc ->
		TRACE_OP(a_o, L_RFREE, 0);
		if
		:: buf[a_o] != NB -> rc_buf_put(buf[a_o]); buf[a_o] = NB
		:: else
		fi;
		CHECK(P_MEM, krec[a_o] == 0);	/* free(op->path), free(op) */
		a_o++
	:: else -> break
	od;
	a_o = 0;
	/* rc_buf_strategy_stop -> rc_strat_ring_destroy: every provided
	 * buffer back; one that is neither in the ring nor given back is
	 * lost (P6), unless its read's CQE was never reaped (the ring went
	 * away with it: a leak, no harm) */
	e_b = NBP;
	do
	:: e_b < NB ->
		if
		:: bring_in[e_b] -> TRACE_BUF(e_b, B_RECLAIM, NOPS); TRACE_BUF(e_b, B_PUT, NOPS)
		:: else -> CHECK(P_HALT, bowed[e_b]); TRACE_RING(R_LOST, 0)
		fi;
		e_b++
	:: else -> break
	od;
	e_b = 0;
	freed = 1
}

/* rc_ring_destroy: cancel all, drain, prove, then free; else leak */
inline rc_ring_destroy()
{
	atomic {
		torn = 1;
		TRACE_RING(R_TEARDOWN, 0);
#ifdef M_FIXED_UNREGISTER
		/* MUTANT: "unregistered, so the kernel is done with them": the
		 * registered buffers given back before anything is drained */
		e_b = 0;
		do
		:: e_b < NBP ->
			if
			:: !bfree[e_b] -> TRACE_BUF(e_b, B_PUT, NOPS); CHECK(P_MEM, kuse[e_b] == 0)
			:: else
			fi;
			e_b++
		:: else -> break
		od;
		e_b = 0;
#endif
#ifdef M_CLOSE_THEN_FREE
		/* MUTANT: exit the ring and free at once, no drain, no proof */
		uring_live = 0;
		TRACE_RING(R_EXIT, 0);
		rc_ring_free_all()
#else
		rc_ring_cancel_all()
#endif
	};
#ifndef M_CLOSE_THEN_FREE
	rc_ring_drain(e_ret);
#ifdef M_SKIP_BARRIER
	/* MUTANT: "the drain timed out: the ring is hopeless, free it" */
	if
	:: atomic { e_ret == ETIMEDOUT ->
		uring_live = 0;
		TRACE_RING(R_EXIT, 0);
		rc_ring_free_all();
		e_ret = 0 }
	:: else ->
#endif
	/* exit and prove even after a failed drain: the proof is enough */
	rc_ring_exit_proven(e_ret);
	atomic {
		if
		:: e_ret == OK -> rc_ring_free_all()
		:: else -> TRACE_RING(R_LEAK, 0); leaked = 1	/* leak, say so */
		fi;
		e_ret = 0
	}
#ifdef M_SKIP_BARRIER
	fi
#endif
#endif
}

/* ---- ghost bookkeeping, not engine code ---- */

/* what a CQE the engine acts on tells it the op did: its effects are the
 * engine's to handle until the caller gets the op (rc_ring_next) */
inline rc_cqe_effects(o)
{
	if
	:: c_res == RC_OK && (kind[o] == KC_READ || kind[o] == KC_WRITE ||
			      kind[o] == KC_READSEL) -> eff[o] = eff[o] | EFF_BYTES
	:: c_res == RC_OK && kind[o] == KC_OPENAT -> eff[o] = eff[o] | EFF_FD
	:: else
	fi
}

/* ---- the engine's subroutine processes ---- */

/*
 * rc_ring_submit -> io_uring_submit -> io_uring_enter: the kernel consumes
 * every SQE of the SQ ring (IORING_SETUP_SUBMIT_ALL), or, with CQ
 * back-pressure, none (-EBUSY): they stay, to be consumed by a later enter.
 */
proctype rc_ring_submit_fn()
{
	byte ret;
end:
	do
	:: atomic {
		call_submit?_ ->
		if
#ifdef HAVE_EBUSY
		:: ebusy_left > 0 && len(sq) > 0 -> ebusy_left--; ret = EBUSY
#endif
		:: true ->
			ret = OK;
			do
			:: nempty(sq) -> sq?s_rec, s_tag, s_life, s_kind, s_fd, s_buf, s_link;
				io_submit_sqe()
			:: empty(sq) -> break
			od;
			s_prev = NK;
			if
			:: s_head != NK -> io_queue_head()	/* the submission ends */
			:: else
			fi;
			s_slot = 0; s_op = 0; s_rec = 0; s_tag = 0; s_life = 0;
			s_kind = 0; s_fd = 0; s_buf = 0; s_link = 0
		fi;
		rv = ret;
		ret = 0;
		ret_submit!0
	   }
	od
}

/* rc_ring_write_sqes: queued ops become SQEs; a chain is never split */
proctype rc_ring_write_sqes_fn()
{
	byte e_op, e_need, e_ret;
end:
	do
	:: atomic {
		call_write_sqes?_ ->
		do
		:: queued.n == 0 -> break
		:: queued.n > 0 ->
			e_op = queued.e[0];
			e_need = 0;
			e_j = 0;
			do
			:: e_j < queued.n ->
				e_need = e_need + (lt[queued.e[e_j]] -> 2 : 1);
				if
				:: lnk[queued.e[e_j]] -> e_j++
				:: else -> break
				fi
			:: else -> break
			od;
			e_j = 0;
			if
			:: e_need > SQ_ENTRIES ->
				rc_ring_fail_chain(e_op, RC_EOTHER, 1)	/* -EINVAL */
			:: e_need <= SQ_ENTRIES && SQ_ENTRIES - len(sq) < e_need ->
				rc_ring_submit(e_ret);
				if
				:: e_ret == EBUSY -> rc_ring_reap(e_n)
				:: else
				fi
			:: else ->
				list_del(queued, e_op);
				rc_op_write_sqe(e_op)
			fi;
			e_op = 0; e_need = 0
		od;
		e_ret = 0;
		ret_write_sqes!0
	   }
	od
}

/* rc_ring_reap: every CQE there is, in the order the kernel posted them */
proctype rc_ring_reap_fn()
{
	byte n;
end:
	do
	:: atomic {
		call_reap?_ ->
		n = 0;
		do
		:: nempty(cq) ->
			cq?c_rec, c_tag, c_life, c_res, c_bid;
			rc_ring_handle_cqe();
			n++;
			c_rec = 0; c_tag = 0; c_life = 0; c_res = 0; c_bid = 0
		:: empty(cq) -> break
		od;
		rv = n;
		n = 0;
		ret_reap!0
	   }
	od
}

/*
 * rc_op_cancel: drop APP.  Idle, queued and ready ops are released now;
 * for an op in flight an ASYNC_CANCEL is queued and nothing is freed.
 */
proctype rc_op_cancel_fn()
{
	byte o, e_ret;
	bool e_full;
end:
	do
	:: atomic {
		call_cancel?o ->
		assert((own[o] & APP) && st[o] != FREE);
		own[o] = own[o] & ~APP;
		TRACE_OP(o, L_CANCEL, st[o]);
		if
		:: st[o] == IDLE -> rc_op_release(o)
		:: st[o] == QUEUED ->
			rc_ring_fail_chain(o, RC_ECANCELED, 0);
			if
			:: kind[o] == KC_CLOSE -> engine_close(o, ofd[o])
			:: else
			fi;
			rc_op_release(o)
		:: st[o] == READY ->
			list_del(ready, o);
			rc_op_halt_and_release(o)
		:: st[o] == INFLIGHT ->
	#ifdef M_PATH_FREE_AT_CANCEL
			/* MUTANT: "the kernel copies a path at prep": the op's path
			 * copies (part of the record's memory) freed at cancel */
			if
			:: kind[o] == KC_OPENAT || kind[o] == KC_OTHER ->
				CHECK(P_MEM, krec[o] == 0)	/* free(op->path) */
			:: else
			fi;
	#endif
	#ifdef M_STATX_FREE_AT_CANCEL
			/* MUTANT: "a statx buffer is only an answer": given back at
			 * cancel */
			if
			:: kind[o] == KC_OTHER && buf[o] != NB ->
				rc_buf_put(buf[o]); buf[o] = NB
			:: else
			fi;
	#endif
	#ifdef M_FREE_ON_CANCEL
			/* MUTANT: the buffer is released when cancel is called */
			if
			:: buf[o] != NB -> rc_buf_put(buf[o]); buf[o] = NB
			:: else
			fi;
	#endif
			rc_ring_get_sqe(e_ret, e_full);
			/* the SQE may have reaped the op's CQE and released it: the
			 * record then waits in limbo for this cancel's answer */
			if
			:: st[o] == FREE -> list_del(freel, o); limbo++
			:: else
			fi;
			sq!o, T_CANCEL, gen[o], KC_NONE, F_NONE, NB, 0;
			cancels_pending++;
			cpn[o]++;
			TRACE_OP(o, L_CANCEL_SQE, 0);
			e_full = 0
		fi
	;
		o = 0; e_ret = 0; e_full = 0;
		ret_cancel!0
	   }
	od
}

/*
 * rc_op_release (the comment above its call wrapper).  The C traces
 * RC_EV_RELEASE first and marks the record FREE last, all in one call;
 * here the record is FREE when the trace point reports it, so that the
 * state it reports is the one the record stays in.
 */
proctype rc_op_release_fn()
{
	byte o;
end:
	do
	:: atomic {
		call_release?o ->
		own[o] = 0;
		st[o] = FREE;
		TRACE_OP(o, L_RELEASE, buf[o] != NB);
		if
		:: buf[o] != NB -> rc_buf_put(buf[o])
		:: else
		fi;
		buf[o] = NB;
		CHECK(P_MEM, krec[o] == 0);		/* free(op->path) */
		CHECK(P_HALT, eff[o] == 0);
		e_b = NBP;
		do
		:: e_b < NB && bat[e_b] == o -> CHECK(P_HALT, 0)  /* ring buffer lost */
		:: e_b < NB && bat[e_b] != o -> e_b++
		:: e_b >= NB -> break
		od;
		e_b = 0;
		if
		:: cpn[o] > 0 -> limbo++
		:: else -> list_push(freel, o)
		fi;
		o = 0;
		ret_release!0
	   }
	od
}
