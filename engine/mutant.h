/* SPDX-License-Identifier: MIT */
/*
 * Negative controls.  Each RC_MUTANT_* switch breaks exactly one rule of
 * the operation protocol, so that the harness can show it catches the
 * break.  Mutants are built only as harness libraries under
 * build/<variant>/mutants/<name>/ (see the Makefile); the production
 * ringcp never has one, which the #error below enforces.  The one
 * exception is ringcheck's test (RC_MUTANT_RINGCHECK): a few mutants built
 * as plain production commands under build/<variant>/ringcheck/mutants/,
 * to show a tool that never saw ringcp's code catch them.
 *
 *   RC_MUTANT_BORROWED_BUFFER  the program writes into a buffer while its
 *                              read is in flight (copy/pump.c)
 *   RC_MUTANT_USER_FREE        the program frees a buffer while its read is
 *                              in flight (copy/pump.c)
 *   RC_MUTANT_FREE_ON_CANCEL   the buffer is released when cancel is called
 *                              (core/cancel.c)
 *   RC_MUTANT_CANCEL_TRUSTED   a cancel answering -ENOENT or -EALREADY is
 *                              taken as "done": the op is released then
 *                              (core/cqe.c)
 *   RC_MUTANT_CLOSE_THEN_FREE  teardown exits the ring and frees without
 *                              draining, as compio and monoio did
 *                              (core/teardown.c)
 *   RC_MUTANT_STALE_CQE        a record accepts a CQE meant for its previous
 *                              life: no generation check (core/cqe.c)
 *   RC_MUTANT_HALT_LEAK        the fd of a cancelled openat that succeeded
 *                              anyway is not closed (core/op.c)
 *   RC_MUTANT_POOL_PUT_IN_FLIGHT  a block buffer goes back to the pool as
 *                              soon as its write is submitted ("the write
 *                              has the data now"): the pool hands it out
 *                              again while the kernel reads it
 *                              (copy/pump.c)
 *   RC_MUTANT_FIXED_UNREGISTER teardown unregisters the registered buffers
 *                              and gives them back before draining: the
 *                              pages stay pinned and the kernel still
 *                              writes them (core/buf_fixed.c, called
 *                              through the table by core/teardown.c)
 *   RC_MUTANT_FIXED_UPDATE     a get finding every registered slot busy
 *                              replaces a busy slot's buffer in the table
 *                              (io_uring_register_buffers_update_tag) and
 *                              gives the old one back (core/buf_fixed.c)
 *   RC_MUTANT_RING_HALT_LEAK   a cancelled read that completed anyway took
 *                              a ring buffer; it is not given back to the
 *                              ring (compio #746) (core/op.c)
 *   RC_MUTANT_RING_EARLY_RECYCLE  a selected ring buffer goes back to the
 *                              ring at its read's CQE, before the program
 *                              has written its data out (core/cqe.c)
 *   RC_MUTANT_FD_CLOSE_EARLY   a tree abort closes every job's fds before
 *                              it drains: requests still name them
 *                              (tree/tree.c, tree/job.c)
 *   RC_MUTANT_PATH_FREE_AT_CANCEL  an op's path copies are freed when it is
 *                              cancelled ("the kernel copied them at
 *                              prep") (core/cancel.c)
 *   RC_MUTANT_STATX_FREE_AT_CANCEL  a cancelled statx's buffer is given
 *                              back at cancel (core/cancel.c)
 *   RC_MUTANT_UD_REUSE         a record keeps one user_data for all its
 *                              lives: its life is not bumped per SQE
 *                              (core/sqe.c)
 *   RC_MUTANT_SKIP_BARRIER     a teardown whose drain timed out frees at
 *                              once, without the barrier's proof
 *                              (core/teardown.c)
 *   RC_MUTANT_JOB_FREE_EARLY   a tree job is freed once its CLOSEs are
 *                              sent, before their CQEs (tree/job.c)
 *   RC_MUTANT_SYNC_EARLY_PUT   the fallback engine (sync.c) gives an op's
 *                              buffer back before the op has run and
 *                              answered
 *   RC_MUTANT_BUDGET_WAKE_LIVE a read's CQE hands its block (buffer
 *                              and budget charge) to a pump waiting for
 *                              the data budget while the write of that
 *                              buffer is in flight: the woken pump's
 *                              read fills it (copy/pump.c)
 *   RC_MUTANT_PIPE_CLOSE_EARLY a splice pair given up in flight has its
 *                              pipe closed at once, while its splices
 *                              still name the pipe's fds (copy/pipe.c)
 *   RC_MUTANT_PIPE_REUSE_DIRTY a cancelled pair's pipe is lent again once
 *                              the ring is quiet, with whatever bytes a
 *                              cancelled splice left in it, instead of
 *                              being closed (copy/pipe.c)
 *   RC_MUTANT_CLONE_UNDER_PUMP the clone (--reflink) runs after the pump's
 *                              first reads are sent, and closes the source
 *                              they name at once ("the clone made them
 *                              moot") (tree/job.c)
 *   RC_MUTANT_DIRECT_CANCEL_PUT a direct (O_DIRECT) write given up in
 *                              flight has its block buffer given back at
 *                              cancel ("the kernel pinned the pages"),
 *                              while the device may still DMA from it
 *                              (copy/pump.c)
 */
#ifndef RC_MUTANT_H
#define RC_MUTANT_H

#if (defined(RC_MUTANT_BORROWED_BUFFER) || defined(RC_MUTANT_USER_FREE) || \
     defined(RC_MUTANT_FREE_ON_CANCEL) || defined(RC_MUTANT_CANCEL_TRUSTED) || \
     defined(RC_MUTANT_CLOSE_THEN_FREE) || defined(RC_MUTANT_STALE_CQE) || \
     defined(RC_MUTANT_HALT_LEAK) || defined(RC_MUTANT_POOL_PUT_IN_FLIGHT) || \
     defined(RC_MUTANT_FIXED_UNREGISTER) || defined(RC_MUTANT_FIXED_UPDATE) || \
     defined(RC_MUTANT_RING_HALT_LEAK) || \
     defined(RC_MUTANT_RING_EARLY_RECYCLE) || \
     defined(RC_MUTANT_FD_CLOSE_EARLY) || \
     defined(RC_MUTANT_PATH_FREE_AT_CANCEL) || \
     defined(RC_MUTANT_STATX_FREE_AT_CANCEL) || \
     defined(RC_MUTANT_UD_REUSE) || defined(RC_MUTANT_SKIP_BARRIER) || \
     defined(RC_MUTANT_JOB_FREE_EARLY) || \
     defined(RC_MUTANT_SYNC_EARLY_PUT) || \
     defined(RC_MUTANT_PIPE_CLOSE_EARLY) || \
     defined(RC_MUTANT_BUDGET_WAKE_LIVE) || \
     defined(RC_MUTANT_PIPE_REUSE_DIRTY) || \
     defined(RC_MUTANT_CLONE_UNDER_PUMP) || \
     defined(RC_MUTANT_DIRECT_CANCEL_PUT)) && !defined(RC_TRACE) && \
     !defined(RC_MUTANT_RINGCHECK)
#error "mutants exist only in harness (RC_TRACE) builds"
#endif

#endif
