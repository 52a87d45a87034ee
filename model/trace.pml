/* SPDX-License-Identifier: MIT */
/*
 * The model's trace points, where the engine calls rc_trace().
 *
 * In a normal build each prints one line in a replayed trail (spin -t):
 *   @E label record arg     an op record's step (events.pml, L_*)
 *   @B label buffer record  a buffer's step (B_*)
 *   @R label arg            the ring's step (R_*)
 * which model/trail.py turns into the readable numbered sequence.
 *
 * With -DEXTRACT the exhaustive search instead writes the model's
 * observable transition relation, the one the conformance checker
 * (model/conform.py) replays real traces against, to $RC_MODEL_EDGES:
 *   0 from label arg to   an op record: from/to are OBS() codes at its
 *                         previous and at this step
 *   1 from label 0 to     a buffer: W_* where it is, by the rule below
 *   2 from label arg to   the ring: PH_* phase
 *   3 from label 0 to     the splice pool's pipe: SP_* place
 * The buffer and ring states are functions of the events alone (the same
 * rules are in conform.py); an op's is the engine's own record, so the
 * relation says which steps the engine may take in each state.  An op's
 * RELEASE says whether a buffer observably the op's (lent with its
 * SUBMIT or selected for it, not given back since) is not in the record
 * released: lost (a ring buffer a cancelled read took, say).
 */

#define W_FREE		0	/* the strategy's (or never seen) */
#define W_APP		1	/* handed out (rc_buf_get), not lent */
#define W_HELD		2	/* lent with an op's SQE / selected for it */
#define W_RING		3	/* in the kernel's provided ring */

/* the ring's phase after a ring step (the rule conform.py applies too) */
inline ring_phase_step(lab, arg)
{
	if
	:: lab == R_TEARDOWN -> ring_phase = PH_TEARDOWN
	:: lab == R_EXIT -> ring_phase = PH_EXITED
	:: lab == R_PROVEN && arg -> ring_phase = PH_PROVEN
	:: lab == R_FREE -> ring_phase = PH_FREED
	:: lab == R_LEAK -> ring_phase = PH_LEAKED
	:: else
	fi
}

/* anyK + 2*anyQ + 4*anyC of the ring (events.pml) */
#define RING_CTX	((((own[0] & KERNEL) != 0) || ((own[1] & KERNEL) != 0)) + \
			 2 * (queued.n > 0) + 4 * (cancels_pending > 0))

#ifndef EXTRACT

#define TRACE_OP(o, lab, arg)	printf("@E %d %d %d\n", lab, o, arg)
#define TRACE_PIPE(from, lab, to)	printf("@S %d %d %d\n", lab, from, to)
#define TRACE_BUF(b, ev, o)	printf("@B %d %d %d\n", ev, b, o)
#define TRACE_RING(lab, arg)						\
	ring_phase_step(lab, arg);					\
	printf("@R %d %d\n", lab, arg)

#else /* EXTRACT */

c_decl {
	static FILE *x_out;
	static unsigned long long x_seen[1 << 16];

	/* record one edge of the relation, once */
	static void x_edge(int sort, int from, int lab, int arg, int to)
	{
		unsigned long long key = ((unsigned long long)sort << 60) |
			((unsigned long long)(from & 0xfffff) << 40) |
			((unsigned long long)(lab & 0xff) << 32) |
			((unsigned long long)(arg & 0xff) << 24) |
			(unsigned long long)(to & 0xffffff);
		unsigned h = (unsigned)((key * 0x9e3779b97f4a7c15ull) >> 48);

		while (x_seen[h]) {
			if (x_seen[h] == key + 1)
				return;
			h = (h + 1) & ((1 << 16) - 1);
		}
		x_seen[h] = key + 1;
		if (!x_out) {
			const char *p = getenv("RC_MODEL_EDGES");

			x_out = fopen(p ? p : "edges.txt", "w");
			if (!x_out) {
				perror("edges");
				exit(2);
			}
		}
		fprintf(x_out, "%d %d %d %d %d\n", sort, from, lab, arg, to);
		fflush(x_out);
	}
}

/* an op record's observable state: the fields of struct rc_op the
 * protocol reads, and whether the engine closed an fd in this life */
#define OBS(o)	(st[o] + 5 * (own[o] + 4 * (kcq[o] + 3 * (tpn[o] + 2 *	\
		 (cpn[o] + 3 * (KCLASS(kind[o]) + 5 * (res[o] + 3 *	\
		 fdc[o])))))))

int pobs[NOPS];		/* OBS at the record's previous step */
byte bwhere[NB];	/* W_* by the buffer's steps */
byte bhold[NB] = NOPS;	/* the op a buffer observably belongs to */
int x_from, x_to;
byte x_lab, x_arg, x_b, x_ev, x_o, x_h, x_hl, x_bw, x_c, x_rp;

/* a step of op record o (a subroutine process, see engine.pml: the code
 * once, not at every trace point) */
chan call_trace = [0] of { byte, byte, byte };
chan ret_trace = [0] of { byte };

proctype trace_op_fn()
{
	byte o, lab, arg;
end:
	do
	:: atomic {
		call_trace?o, lab, arg ->
		x_lab = lab;
		x_arg = arg;
		if
		:: lab == L_RELEASE ->	/* 1: a buffer observably its is not in it */
			x_c = 0;
			do
			:: x_c < NB && bhold[x_c] != o -> x_c++
			:: x_c < NB && bhold[x_c] == o -> x_arg = !(arg); break
			:: x_c >= NB -> x_arg = 0; break
			od;
			x_c = 0
		:: else
		fi;
		x_from = pobs[o];
		x_to = OBS(o);
		c_code { x_edge(0, now.x_from, now.x_lab, now.x_arg, now.x_to); };
		pobs[o] = x_to;
		if
		:: lab == L_GET ->	/* a new life holds no buffer */
			x_c = 0;
			do
			:: x_c < NB ->
				if
				:: bhold[x_c] == o -> bhold[x_c] = NOPS; bwhere[x_c] = W_APP
				:: else
				fi;
				x_c++
			:: else -> break
			od;
			x_c = 0
		:: else
		fi;
		x_lab = 0; x_arg = 0; x_from = 0; x_to = 0;
		o = 0; lab = 0; arg = 0;
		ret_trace!0
	   }
	od
}

inline trace_op(to, tlab, targ)	{ call_trace!to, tlab, targ; ret_trace?_ }
#define TRACE_OP(o, lab, arg)	trace_op(o, lab, arg)

/* a buffer step, and the same step of the op it belongs to */
inline trace_buf()
{
	x_h = bhold[x_b];
	if
	:: x_h < NOPS && (x_ev == B_PUT || x_ev == B_PROVIDE || x_ev == B_GET) ->
		x_hl = (x_ev == B_PUT -> L_BPUT : (x_ev == B_GET -> L_BGET : L_BPROV));
		trace_op(x_h, x_hl, ring_phase == PH_FREED)
	:: else
	fi;
	x_bw = bwhere[x_b];
	if
	:: x_ev == B_GET -> bwhere[x_b] = W_APP; bhold[x_b] = NOPS
	:: x_ev == B_PUT -> bwhere[x_b] = W_FREE; bhold[x_b] = NOPS
	:: x_ev == B_PROVIDE -> bwhere[x_b] = W_RING; bhold[x_b] = NOPS
	:: x_ev == B_RECLAIM -> bwhere[x_b] = W_APP; bhold[x_b] = NOPS
	:: x_ev == B_SELECT -> bwhere[x_b] = W_HELD; bhold[x_b] = x_o
	:: x_ev == B_LEND ->
		/* a buffer it held before went back to the program */
		x_c = 0;
		do
		:: x_c < NB ->
			if
			:: x_c != x_b && bhold[x_c] == x_o ->
				bhold[x_c] = NOPS; bwhere[x_c] = W_APP
			:: else
			fi;
			x_c++
		:: else -> break
		od;
		x_c = 0;
		bwhere[x_b] = W_HELD; bhold[x_b] = x_o
	fi;
	x_to = bwhere[x_b];
	c_code { x_edge(1, now.x_bw, now.x_ev, 0, now.x_to); };
	x_b = 0; x_ev = 0; x_o = 0; x_h = 0; x_hl = 0; x_bw = 0; x_to = 0
}
#define TRACE_BUF(b, ev, o)	x_b = b; x_ev = ev; x_o = o; trace_buf()

inline trace_ring(lab, arg)
{
	x_rp = ring_phase;
	ring_phase_step(lab, arg);
	x_lab = lab;
	x_arg = arg;
	c_code { x_edge(2, now.x_rp, now.x_lab, now.x_arg, now.ring_phase); };
	x_rp = 0; x_lab = 0; x_arg = 0
}
#define TRACE_RING(lab, arg)	trace_ring(lab, arg)

/* a step of the splice pool's pipe, from place x_from to x_to */
inline trace_pipe(lab)
{
	x_lab = lab;
	c_code { x_edge(3, now.x_from, now.x_lab, 0, now.x_to); };
	x_lab = 0; x_from = 0; x_to = 0
}
#define TRACE_PIPE(from, lab, to)	x_from = from; x_to = to; trace_pipe(lab)

#endif

#define TRACE_SELECT(o, b)	TRACE_BUF(b, B_SELECT, o); TRACE_OP(o, L_SELECT, 0)
