/* SPDX-License-Identifier: MIT */
/*
 * The kernel (Linux 6.18 io_uring, as docs/protocol.md and
 * /work/shared/io_uring-notes.md describe it): requests consumed from the
 * SQ ring at io_uring_enter, issued in submission order, then poll-armed
 * (pipes), punted to io-wq, sent to the block layer, completed inline, or
 * held behind their link head; ASYNC_CANCEL answering 0, -ENOENT or
 * -EALREADY; link timeouts; deferred completions (task work); and the
 * ring's asynchronous exit work, which frees the ring context only once
 * every request is done.
 *
 * A request is a slot ks_*[s] (struct io_kiocb).  Its memory rule is
 * ground truth here: kuse[b] and krec[o] count the SQEs and requests that
 * may still touch buffer b or record o's memory; only the request's own
 * completion (k_complete) ends that.
 */

/* ---- request states (kn[] counts the slots in each) ---- */
#define KS_FREE		0
#define KS_ISSUE	1	/* consumed, not yet issued: a chain being
				 * collected, or the next of a chain whose
				 * head completed (task work issues it) */
#define KS_LINKED	2	/* behind its link head: not started */
#define KS_POLL		3	/* armed on a poll: a pipe not ready */
#define KS_WQ		4	/* queued for an io-wq worker */
#define KS_RUN		5	/* running in an io-wq worker */
#define KS_BLK		6	/* in the block layer */
#define KS_TIMER	7	/* a link timeout, armed */
#define KS_CANCEL	8	/* (unused: cancels run at issue) */
#define KS_DYING	9	/* done, its CQE posted by task work (ks_res) */
#define KS_N		10

byte ks_st[NK];		/* request state */
byte ks_rec[NK];	/* user_data: the record (NOPS: the ring itself) */
byte ks_tag[NK];	/* user_data: T_OP, T_CANCEL, T_TIMEOUT, T_CANCEL_FD */
byte ks_life[NK];	/* user_data: the record's life */
byte ks_kind[NK];	/* opcode (KC_*) */
byte ks_fd[NK];		/* the fd it names (F_NONE: none) */
byte ks_buf[NK];	/* the buffer its SQE points at (NB: none) */
byte ks_prev[NK];	/* op: the link head it waits for; timeout: its op */
byte ks_lt[NK];		/* op: its armed link timeout (NK: none) */
bool ks_sig[NK];	/* a cancel found it running (-EALREADY) */
byte ks_res[NK];	/* DYING: the result its CQE will carry */
byte kn[KS_N];		/* slots per state */
chan call_kcomplete = [0] of { byte, byte };
chan ret_kcomplete = [0] of { byte };
bool pipe_ready;	/* the pipe has data (or room): poll wakes */
bool ctx_freed;		/* io_ring_ctx_free: the pipe barrier's EOF */

/*
 * close(2) of fd f by anyone (the program, the engine, the kernel's
 * IORING_OP_CLOSE in request `except`).  P2: no SQE and no request in the
 * kernel names it.
 */
byte x_k;
/* leaf scratch of the kernel steps (each one atomic) */
byte k_t, k_r, k_bid, k_m, k_c;

inline fd_close(f, except)
{
	CHECK(P_FD, fd_open[f]);
	CHECK(P_FD, !(sq??[_, _, _, _, eval(f), _, _]));
	x_k = 0;
	do
	:: x_k < NK ->
		CHECK(P_FD, x_k == except || ks_st[x_k] == KS_FREE || ks_fd[x_k] != f);
		x_k++
	:: else -> break
	od;
	x_k = 0;
	fd_open[f] = 0
}

inline k_set(s, new)
{
	kn[ks_st[s]]--;
	ks_st[s] = new;
	kn[new]++
}

/* choose, nondeterministically, one slot in state want (kn[want] > 0):
 * the k_m-th of them, k_m chosen first */
inline k_pick(s, want)
{
	k_m = 0;
	do
	:: k_m + 1 < kn[want] -> k_m++
	:: true -> break
	od;
	s = 0;
	do
	:: ks_st[s] == want && k_m == 0 -> break
	:: ks_st[s] == want && k_m > 0 -> k_m--; s++
	:: ks_st[s] != want -> s++
	od;
	k_m = 0
}

/* post a CQE (io_cqring_add): nobody reads the CQ after queue_exit */
inline k_post(kp_rec, kp_tag, kp_life, kp_res, kp_bid)
{
	if
	:: uring_live -> assert(nfull(cq)); cq!kp_rec, kp_tag, kp_life, kp_res, kp_bid
	:: else
	fi
}

/*
 * io_req_complete_post: the request is done with every piece of memory it
 * names; its CQE; its link timeout disarmed (the timeout's CQE follows);
 * its chain's next request started, or failed if this one failed.
 */
inline k_complete(s, r)	{ call_kcomplete!s, r; ret_kcomplete?_ }

/*
 * io_submit_sqe (io_uring/io_uring.c), called in the program's
 * io_uring_enter with the SQE in s_*: a request.  Linked SQEs are
 * collected into a chain; the chain's head is issued once the chain ends
 * (an SQE without IOSQE_IO_LINK, or the end of the submission), its link
 * timeout armed after it; the requests behind the head wait.  A cancel
 * runs at once (io_async_cancel).
 */
inline io_submit_sqe()
{
	s_slot = 0;
	do
	:: s_slot < NK && ks_st[s_slot] != KS_FREE -> s_slot++
	:: else -> break
	od;
	assert(s_slot < NK);	/* within the bound NK */
	ks_rec[s_slot] = s_rec; ks_tag[s_slot] = s_tag; ks_life[s_slot] = s_life;
	ks_kind[s_slot] = s_kind; ks_fd[s_slot] = s_fd; ks_buf[s_slot] = s_buf;
	ks_prev[s_slot] = NK; ks_lt[s_slot] = NK; ks_sig[s_slot] = 0;
	k_set(s_slot, KS_ISSUE);
	printf("@K sqe %d %d %d\n", s_rec, s_tag, s_life);
	if
	:: s_tag == T_OP && s_prev != NK ->
		ks_prev[s_slot] = s_prev;	/* behind its link head */
		k_set(s_slot, KS_LINKED);
		s_op = s_slot;
		s_prev = (s_link -> s_slot : NK)
	:: s_tag == T_OP && s_prev == NK ->
		s_head = s_slot;		/* a chain's head, or alone */
		s_op = s_slot;
		s_prev = (s_link -> s_slot : NK)
	:: s_tag == T_TIMEOUT ->
		/* io_prep_linked_timeout: it times the op just before it */
		ks_prev[s_slot] = s_op;
		ks_lt[s_op] = s_slot;
		if
		:: !s_link -> s_prev = NK
		:: else
		fi
	:: s_tag == T_CANCEL || s_tag == T_CANCEL_FD ->
		s_prev = NK;
		io_async_cancel(s_slot)
	fi;
	if
	:: s_prev == NK && s_head != NK -> io_queue_head()	/* the chain ended */
	:: else
	fi
}

/* io_queue_sqe of a chain's head, then its link timeout armed */
inline io_queue_head()
{
	s_h = s_head;
	s_head = NK;
	k_issue_op(s_h);
	if
	:: ks_st[s_h] != KS_FREE && ks_lt[s_h] != NK -> k_set(ks_lt[s_h], KS_TIMER)
	:: else
	fi;
	s_h = 0
}

/* which requests a cancel keyed on an fd or ANY cancels: those not yet
 * running (poll-armed, queued for io-wq); running ones are skipped */
inline k_cancel_matching()
{
	k_t = 0;
	do
	:: k_t < NK ->
		if
		:: ks_tag[k_t] == T_OP && (ks_st[k_t] == KS_POLL || ks_st[k_t] == KS_WQ) ->
			k_complete(k_t, RC_ECANCELED)
		:: else
		fi;
		k_t++
	:: else -> break
	od;
	k_t = 0
}

/* io_issue_sqe for an op whose link head (if any) is done */
inline k_issue_op(s)
{
	if
	:: ks_fd[s] != F_NONE -> CHECK(P_FD, fd_open[ks_fd[s]])	/* io_file_get */
	:: else
	fi;
	if
	:: ks_sig[s] -> k_complete(s, RC_ECANCELED)	/* its head failed */
	:: !ks_sig[s] && ks_fd[s] == F_PIPE ->
		if
		:: pipe_ready -> k_complete(s, RC_OK)
		:: else -> k_set(s, KS_POLL);		/* io_arm_poll_handler */
			printf("@K poll %d %d\n", ks_rec[s], ks_life[s])
		fi
	:: !ks_sig[s] && ks_kind[s] == KC_CLOSE ->
		fd_close(ks_fd[s], s);		/* io_close */
		k_complete(s, RC_OK)
	:: !ks_sig[s] && ks_fd[s] != F_PIPE && ks_kind[s] != KC_CLOSE ->
		if
		:: k_complete(s, RC_OK)			/* inline */
#ifndef NO_IOWQ
		:: k_set(s, KS_WQ);			/* punted to io-wq */
		   printf("@K wq %d %d\n", ks_rec[s], ks_life[s])
#endif
#ifndef NO_BLK
		:: ks_kind[s] == KC_READ || ks_kind[s] == KC_READSEL ||
		   ks_kind[s] == KC_WRITE ->
			k_set(s, KS_BLK);		/* async read, O_DIRECT */
			printf("@K blk %d %d\n", ks_rec[s], ks_life[s])
#endif
		:: ks_kind[s] == KC_OPENAT || ks_kind[s] == KC_OTHER ->
			k_complete(s, RC_EOTHER)	/* -ENOENT, -EEXIST, ... */
#ifdef HAVE_SPLICE
		:: ks_fd[s] == F_SPL ->
			/* a short splice in (its link fails as an error's
			 * does), an error of either */
			k_complete(s, RC_EOTHER)
#endif
		fi
	fi
}

/* io_req_complete_post, as a subroutine process (see engine.pml) */
proctype io_req_complete_post()
{
	byte s, r;
end:
	do
	:: atomic {
		call_kcomplete?s, r ->
		assert(ks_st[s] != KS_FREE);
		k_r = r;
		k_bid = NB;
		if
		:: ks_tag[s] == T_OP && ks_kind[s] == KC_READSEL && k_r == RC_OK ->
			/* io_buffer_select: the read takes a buffer of the ring now */
			k_bid = NBP;
			do
			:: k_bid < NB && !kring[k_bid] -> k_bid++
			:: k_bid < NB && kring[k_bid] -> break
			:: k_bid < NB && kring[k_bid] -> k_bid++
			:: k_bid >= NB -> break
			od;
			if
			:: k_bid < NB -> kring[k_bid] = 0; bowed[k_bid] = 1
			:: else -> k_bid = NB; k_r = RC_EOTHER	/* -ENOBUFS */
			fi
		:: else
		fi;
		if
		:: ks_tag[s] == T_OP && ks_kind[s] == KC_OPENAT && k_r == RC_OK ->
			fd_open[F_X] = 1	/* the fd it opened */
		:: else
		fi;
		if
		:: ks_buf[s] != NB -> kuse[ks_buf[s]]--
		:: else
		fi;
		if
		:: ks_tag[s] == T_OP || ks_tag[s] == T_TIMEOUT -> krec[ks_rec[s]]--
		:: else
		fi;
		printf("@K done %d %d %d %d %d\n", ks_rec[s], ks_tag[s], ks_life[s], k_r,
	       (k_bid == NB -> 255 : k_bid));
	k_post(ks_rec[s], ks_tag[s], ks_life[s], k_r, k_bid);
		if
		:: ks_tag[s] == T_TIMEOUT && ks_lt[ks_prev[s]] == s ->
			ks_lt[ks_prev[s]] = NK	/* its op is untimed now */
		:: ks_tag[s] == T_OP && ks_lt[s] != NK ->
			/* the op won: its armed timeout ends -ECANCELED */
			ks_res[ks_lt[s]] = RC_ECANCELED;
			k_set(ks_lt[s], KS_DYING);
			ks_lt[s] = NK
		:: else
		fi;
		/* io_queue_next / io_fail_links: the request linked after it */
		if
		:: ks_tag[s] == T_OP ->
			k_t = 0;
			do
			:: k_t < NK ->
				if
				:: ks_st[k_t] != KS_FREE && ks_tag[k_t] == T_OP && ks_prev[k_t] == s ->
					ks_prev[k_t] = NK;
					if
					:: ks_st[k_t] == KS_LINKED && k_r == RC_OK ->
						k_set(k_t, KS_ISSUE)	/* io_queue_next */
					:: ks_st[k_t] == KS_LINKED && k_r != RC_OK ->
						ks_res[k_t] = RC_ECANCELED; k_set(k_t, KS_DYING)
#ifdef CHAIN
					:: ks_st[k_t] == KS_LINKED && k_r != RC_OK ->
						k_set(k_t, KS_ISSUE)	/* IOSQE_IO_HARDLINK */
#endif
					:: ks_st[k_t] != KS_LINKED && k_r != RC_OK ->
						/* not issued yet: it fails when it is */
						ks_sig[k_t] = 1
					:: else
					fi
				:: else
				fi;
				k_t++
			:: else -> break
			od;
			k_t = 0
		:: else
		fi;
		ks_rec[s] = 0; ks_tag[s] = 0; ks_life[s] = 0; ks_kind[s] = 0; ks_fd[s] = 0;
		ks_buf[s] = 0; ks_prev[s] = 0; ks_lt[s] = 0; ks_sig[s] = 0; ks_res[s] = 0;
		k_set(s, KS_FREE);
		k_r = 0; k_bid = 0
	;
		s = 0; r = 0;
		ret_kcomplete!0
	   }
	od
}

/*
 * io_async_cancel (io_uring/cancel.c): find the target by user_data.
 * Not started yet (poll-armed, queued for io-wq): cancelled, answer 0, the
 * target's -ECANCELED CQE before or after the answer.  Running in io-wq:
 * -EALREADY, it goes on.  Anywhere else (block layer, behind its link
 * head, already completed, unknown): -ENOENT.
 */
/* the cancel's own CQE: now, or (DEFER_ANSWER) after a completion
 * running in another thread (an io-wq worker, the block layer) posted its
 * own first */
inline k_answer(c, a)
{
	if
	:: k_complete(c, a)
#ifdef DEFER_ANSWER
	:: ks_res[c] = a; k_set(c, KS_DYING);
	   printf("@K later %d %d %d\n", ks_rec[c], ks_tag[c], ks_life[c])
#endif
	fi
}

inline io_async_cancel(c)
{
	if
	:: ks_tag[c] == T_CANCEL_FD ->
		k_cancel_matching();
		k_complete(c, CA_OK)
	:: ks_tag[c] == T_CANCEL ->
		k_c = 0;
		do
		:: k_c < NK && !(ks_st[k_c] != KS_FREE && ks_tag[k_c] == T_OP &&
			ks_rec[k_c] == ks_rec[c] && ks_life[k_c] == ks_life[c]) -> k_c++
		:: else -> break
		od;
		if
		:: k_c < NK && (ks_st[k_c] == KS_POLL || ks_st[k_c] == KS_WQ) ->
			/* the target's -ECANCELED (task work) before the
			 * answer, or after it, later (DEFER_TARGET) */
			if
#ifdef DEFER_TARGET
			:: ks_res[k_c] = RC_ECANCELED; k_set(k_c, KS_DYING);
			   printf("@K later %d %d %d\n", ks_rec[k_c], T_OP, ks_life[k_c]);
			   k_complete(c, CA_OK)
#else
			:: k_complete(c, CA_OK); k_complete(k_c, RC_ECANCELED)
#endif
			:: k_complete(k_c, RC_ECANCELED); k_complete(c, CA_OK)
			fi
		:: k_c < NK && ks_st[k_c] == KS_RUN ->
			printf("@K running %d %d\n", ks_rec[c], ks_life[c]);
			ks_sig[k_c] = 1;
			k_answer(c, CA_EALREADY)
		:: else -> k_answer(c, CA_ENOENT)
		fi;
		k_c = 0
	fi
}

/* io-wq workers: a punted request starts, then finishes.  Regular-file
 * I/O simply finishes (full length) even after -EALREADY. */
proctype io_wq()
{
	byte s;
end:
	do
	:: atomic {
		kn[KS_WQ] > 0 ->
		k_pick(s, KS_WQ);
		if
		:: ks_fd[s] != F_NONE -> CHECK(P_FD, fd_open[ks_fd[s]])
		:: else
		fi;
		k_set(s, KS_RUN);
		printf("@K run %d %d\n", ks_rec[s], ks_life[s]);
		s = 0
	   }
	:: atomic {
		kn[KS_RUN] > 0 ->
		k_pick(s, KS_RUN);
		if
		:: ks_kind[s] == KC_OPENAT || ks_kind[s] == KC_OTHER ||
		   ks_fd[s] == F_SPL ->
			if
			:: k_complete(s, RC_OK)
			:: k_complete(s, RC_EOTHER)	/* (a short splice) */
			fi
		:: else -> k_complete(s, RC_OK)
		fi;
		s = 0
	   }
	od
}

/* the block layer: a late completion, with its data */
proctype block_layer()
{
	byte s;
end:
	do
	:: atomic { kn[KS_BLK] > 0 -> k_pick(s, KS_BLK); k_complete(s, RC_OK); s = 0 }
	od
}

/* a poll wakes once the pipe is ready: the op runs and completes */
proctype poll_wake()
{
	byte s;
end:
	do
	:: atomic { kn[KS_POLL] > 0 && pipe_ready -> k_pick(s, KS_POLL);
		k_complete(s, RC_OK); s = 0 }
	od
}

/*
 * io_link_timeout_fn: the timer fires while its op is in flight: the op
 * is cancelled if it has not started (-ECANCELED), else it goes on; the
 * timeout's own CQE comes either way.
 */
proctype link_timer()
{
	byte s, t;
end:
	do
	:: atomic {
		kn[KS_TIMER] > 0 ->
		k_pick(s, KS_TIMER);
		t = ks_prev[s];
		printf("@K timer %d %d\n", ks_rec[s], ks_life[s]);
		ks_lt[t] = NK;
		if
		:: ks_st[t] == KS_POLL || ks_st[t] == KS_WQ ->
			ks_res[t] = RC_ECANCELED; k_set(t, KS_DYING)
		:: else
		fi;
		k_complete(s, RC_EOTHER);	/* -ETIME */
		s = 0; t = 0
	   }
	od
}

/* task work: completions deferred to the submitter's next enter */
proctype task_work()
{
	byte s;
end:
	do
	:: atomic { kn[KS_DYING] > 0 -> k_pick(s, KS_DYING);
		k_complete(s, ks_res[s]); s = 0 }
	:: atomic { kn[KS_ISSUE] > 0 -> k_pick(s, KS_ISSUE);
		k_issue_op(s); s = 0 }	/* the next of a chain */
	od
}

/*
 * io_ring_exit_work: after io_uring_queue_exit the kernel cancels what it
 * can, waits for the rest (io-wq, block layer) to finish, and only then
 * frees the ring context, dropping its registered files: the pipe
 * barrier's EOF.  SQEs never consumed are never read.
 */
proctype io_ring_exit_work()
{
	byte s;

	!uring_live;
end:
	do
	:: atomic {
		kn[KS_FREE] == NK ->
		do
		:: nempty(sq) -> sq?s_rec, s_tag, s_life, s_kind, s_fd, s_buf, s_link;
			if
			:: s_buf != NB -> kuse[s_buf]--
			:: else
			fi;
			if
			:: s_tag == T_OP || s_tag == T_TIMEOUT -> krec[s_rec]--
			:: else
			fi
		:: empty(sq) -> break
		od;
		s_rec = 0; s_tag = 0; s_life = 0; s_kind = 0; s_fd = 0; s_buf = 0; s_link = 0;
		/* the provided ring goes with the context */
		k_t = NBP;
		do
		:: k_t < NB -> kring[k_t] = 0; k_t++
		:: else -> break
		od;
		k_t = 0;
		ctx_freed = 1;
		printf("@K freed\n");
		break
	   }
	:: atomic {
		kn[KS_POLL] + kn[KS_WQ] + kn[KS_LINKED] + kn[KS_TIMER] + kn[KS_ISSUE] > 0 ->
		/* io_uring_try_cancel_requests */
		printf("@K exitcancel\n");
		s = 0;
		do
		:: s < NK ->
			if
			:: ks_st[s] == KS_POLL || ks_st[s] == KS_WQ || ks_st[s] == KS_ISSUE ||
			   ks_st[s] == KS_LINKED || ks_st[s] == KS_TIMER ->
				k_complete(s, RC_ECANCELED)
			:: else
			fi;
			s++
		:: else -> break
		od;
		s = 0
	   }
	od;
end_freed:
	skip
}
