/* SPDX-License-Identifier: MIT */
/*
 * The properties.  P1, P2, P3, P5, P6 and P7 are assertions (CHECK(P_*, ...)
 * at the places named below), checked in every state of the exhaustive
 * search; P4 is an LTL formula, checked under weak fairness (pan -a -f).
 * model/check.py keeps their one-line statements (PROPERTIES).
 *
 * P1 mem       no memory an SQE points at (data buffer, path copies,
 *              timespec, the record) is released, handed out again or
 *              touched by the program while the kernel may still use it,
 *              i.e. from the SQE's write to the request's completion; a
 *              provided buffer is the kernel's while it is in the ring.
 *              (rc_buf_put, rc_buf_get, rc_op_release, rc_op_write_sqe,
 *              program_touch, rc_ring_free_all)
 * P2 fd        no fd named by an SQE or a request in the kernel is
 *              closed, and every request finds its fd open.
 *              (fd_close, k_issue_op, io_wq)
 * P3 life      a CQE is acted on only by the op life it belongs to.
 *              (rc_ring_handle_cqe, rc_ring_cancel_cqe)
 * P4 leak      once the program tears the ring down, every op record is
 *              eventually released and reusable (no leak, no limbo
 *              forever), under weak fairness, without timeouts.
 * P5 teardown  teardown frees nothing before the kernel is proven done
 *              with the ring (its context freed: the barrier's EOF).
 *              (rc_ring_free_all)
 * P6 halt      a cancelled op that completed anyway has its effects
 *              handled before its record is released: bytes counted, an
 *              opened fd closed, a selected ring buffer given back.
 *              (rc_op_release, rc_ring_free_all)
 * P7 pipe      a splice pair's pipe given up with requests of its pair in
 *              flight is never lent again, and a pipe goes back to the
 *              pool only after both CQEs of its pair (prog_pair, the
 *              program's pipe steps; its fds are P2's)
 */

/* the record is in use: held, queued, in flight, ready, or in limbo */
#define BUSY0	(st[0] != FREE || cpn[0] > 0)
#define BUSY1	(st[1] != FREE || cpn[1] > 0)

ltl p4_leak {
	(<> torn) -> ([] (BUSY0 -> <> (!BUSY0 || freed)) &&
		     [] (BUSY1 -> <> (!BUSY1 || freed)))
}
