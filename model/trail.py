#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A SPIN counterexample trail as a readable numbered sequence of events:
which process did what, from the program's calls through the engine's
trace points and the kernel's actions to the property that broke.

usage: trail.py [-D...] --trail FILE [--title TEXT] MODEL.pml

Replays the trail (spin -t -p, with the -D switches the verifier was
built from) and renders the lines the model prints on replay (@A program
call, @E/@B/@R engine trace point, @K kernel action, @P property broken;
see model/trace.pml) with the process that printed each.
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import conform  # noqa: E402  (the label numbers and state names)

L = conform.L
NAME = {v: k for k, v in L.items() if k[:2] in ("L_", "B_", "R_", "S_")}
PLACES = conform.PLACES
STATES = conform.STATES
KK = ["-", "read/write", "openat", "close", "other"]
RES = ["res >= 0", "-ECANCELED", "res < 0"]
ANSWER = ["0", "-ENOENT", "-EALREADY", "other"]
TAGS = ["op", "ASYNC_CANCEL", "link timeout", "cancel keyed on fd/ANY"]
PROPS = {1: "P1 mem", 2: "P2 fd", 3: "P3 life", 5: "P5 teardown",
         6: "P6 halt", 7: "P7 pipe"}
# who the processes are
ACTORS = {"program": "program", "rc_ring_submit_fn": "engine rc_ring_submit",
          "rc_ring_reap_fn": "engine rc_ring_reap",
          "rc_ring_write_sqes_fn": "engine rc_ring_write_sqes",
          "rc_op_cancel_fn": "engine rc_op_cancel",
          "rc_op_release_fn": "engine rc_op_release",
          "io_req_complete_post": "kernel", "io_wq": "kernel io-wq",
          "block_layer": "kernel block layer", "poll_wake": "kernel poll",
          "link_timer": "kernel link timer", "task_work": "kernel task work",
          "io_ring_exit_work": "kernel io_ring_exit_work",
          "foreign_sqe": "someone else", ":init:": "init"}


def op_event(lab, rec, arg):
    """An engine trace point about op record REC."""
    n = NAME.get(lab, str(lab))
    o = f"op{rec}"
    text = {
        "L_GET": lambda: f"rc_op_get: {o}, a new life (IDLE, owner APP)",
        "L_QUEUE": lambda: f"rc_op_submit: {o} queued ({KK[arg // 4]}"
                   f"{', linked' if arg & 2 else ''}"
                   f"{', link timeout' if arg & 1 else ''}), no SQE yet",
        "L_SUBMIT": lambda: f"{o}'s SQE written{' with its link timeout' if arg & 1 else ''}: "
                    f"KERNEL set, in flight (RC_EV_SUBMIT)",
        "L_OPCQE": lambda: f"{o}'s own CQE acted on: {RES[arg // 2]}"
                   f"{'' if arg & 1 else ', of ANOTHER life'} (RC_EV_OP_CQE)",
        "L_LTCQE": lambda: f"{o}'s link timeout CQE acted on",
        "L_CQE": lambda: f"{o} complete: KERNEL cleared, {RES[arg]} (RC_EV_CQE)",
        "L_DELIVER": lambda: f"rc_ring_next hands {o} back to the program ({RES[arg]})",
        "L_CANCEL": lambda: f"{o} cancelled: APP dropped, it was "
                    f"{STATES[arg] if arg < len(STATES) else arg}",
        "L_CANCEL_SQE": lambda: f"ASYNC_CANCEL aimed at {o} queued in the SQ",
        "L_CANCEL_CQE": lambda: f"the cancel of {o} answers {ANSWER[arg]}",
        "L_FAIL": lambda: f"{o} fails in the queue, no SQE ({RES[arg]})",
        "L_HALT": lambda: f"halt safety: {o}'s effects accounted ({RES[arg]})",
        "L_FD_CLOSE": lambda: f"the engine closes the fd of {o}",
        "L_RELEASE": lambda: f"rc_op_release: {o} released, its memory "
                     f"freed{', its buffer given back' if arg else ''}",
        "L_STALE": lambda: f"a CQE not meant for {o}'s life is ignored",
        "L_SELECT": lambda: f"{o} gets the ring buffer its CQE names",
        "L_BPUT": lambda: f"a buffer {o} holds is given back",
        "L_BPROV": lambda: f"a buffer {o} holds goes to the kernel's ring",
        "L_BGET": lambda: f"a buffer {o} holds is handed out again",
        "L_RFREE": lambda: f"{o} freed with the ring",
    }.get(n, lambda: f"{n} {o} {arg}")()
    return text


def buf_event(lab, b, rec):
    n = NAME.get(lab, str(lab))
    return {
        "B_GET": lambda: f"rc_buf_get hands out buffer {b}",
        "B_PUT": lambda: f"rc_buf_put: buffer {b} given back",
        "B_PROVIDE": lambda: f"buffer {b} provided to the kernel's ring",
        "B_SELECT": lambda: f"ring buffer {b} taken for op{rec}",
        "B_RECLAIM": lambda: f"ring buffer {b} taken back from the dead ring",
        "B_LEND": lambda: f"op{rec}'s SQE points at buffer {b}: lent to the kernel",
    }.get(n, lambda: f"{n} buffer {b}")()


def ring_event(lab, arg):
    n = NAME.get(lab, str(lab))
    return {
        "R_TEARDOWN": lambda: "rc_ring_destroy begins: cancel all",
        "R_DRAIN": lambda: "rc_ring_drain " + ("done: nothing in flight" if arg & 8
                                       else "timed out"),
        "R_EXIT": lambda: "io_uring_queue_exit: the ring fd closed, the kernel's "
                  "exit work starts",
        "R_PROVEN": lambda: "the barrier's EOF: the kernel freed the ring" if arg
                    else "no proof in time",
        "R_FREE": lambda: "rc_ring_free_all: records and buffers freed",
        "R_LEAK": lambda: "the ring is leaked, not freed",
        "R_FD_SQE": lambda: "a cancel keyed on ANY request queued",
        "R_FD_CQE": lambda: "the cancel keyed on ANY answers",
        "R_SYNC": lambda: "io_uring_register_sync_cancel returns",
        "R_UNKNOWN": lambda: "a CQE naming no record is ignored",
        "R_LOST": lambda: "ring buffers neither in the ring nor given back",
    }.get(n, lambda: f"{n} {arg}")()


def kernel_event(words):
    w, a = words[0], [int(x) for x in words[1:]]
    if w == "sqe":
        return (f"io_uring_enter consumes op{a[0]}'s {TAGS[a[1]]} SQE "
                f"(life {a[2]})")
    if w == "done":
        rec, tag, life, r, bid = a
        what = ANSWER[r] if tag in (1, 3) else RES[r]
        extra = f", ring buffer {bid} filled" if bid != 255 else ""
        return (f"op{rec}'s {TAGS[tag]} (life {life}) completes: {what}"
                f"{extra}; its CQE posted")
    return {
        "poll": lambda: f"op{a[0] if a else ''} poll-armed (the pipe is not ready)",
        "wq": lambda: f"op{a[0] if a else ''} punted to io-wq",
        "blk": lambda: f"op{a[0] if a else ''} sent to the block layer",
        "run": lambda: f"an io-wq worker runs op{a[0] if a else ''}: it touches its memory",
        "timer": lambda: f"op{a[0] if a else ''}'s link timeout fires",
        "later": lambda: f"op{a[0] if a else ''}'s {TAGS[a[1]] if len(a) > 1 else ''} "
                 f"CQE deferred (task work)",
        "running": lambda: f"the cancel finds op{a[0] if a else ''} running",
        "freed": lambda: "the ring context is freed: every request is done",
        "exitcancel": lambda: "the exit work cancels what has not started",
        "foreign": lambda: f"a NOP submitted past the engine carries op{a[0]}'s "
                   f"life {a[1] if len(a) > 1 else ''} user_data",
    }.get(w, lambda: " ".join(words))()


def program_event(words):
    w, a = words[0], words[1:]
    return {
        "get": lambda: "calls rc_op_get (+ rc_buf_get, rc_op_set_buf)",
        "submit": lambda: f"prepares op{a[0] if a else ''} and calls rc_op_submit",
        "cancel": lambda: f"calls rc_op_cancel(op{a[0] if a else ''})",
        "put": lambda: f"calls rc_op_put(op{a[0] if a else ''})",
        "wait": lambda: "calls rc_ring_wait (write SQEs, reap, submit)",
        "next": lambda: "calls rc_ring_next",
        "pipe": lambda: "writes into the pipe: a poll may wake",
        "cancel_fd": lambda: "calls rc_ring_cancel_fd(ANY)",
        "cancel_fd_sync": lambda: "calls rc_ring_cancel_fd_sync(ANY)",
        "drain": lambda: "calls rc_ring_drain",
        "close": lambda: "closes the fd the openat gave it",
        "destroy": lambda: "calls rc_ring_destroy",
        "takebuf": lambda: f"takes op{a[0] if a else ''}'s buffer back and puts it",
        "touch": lambda: f"writes into op{a[0] if a else ''}'s buffer",
        "free": lambda: f"gives op{a[0] if a else ''}'s buffer back",
        "chain": lambda: "prepares a linked chain (op0 -> op1) and submits it",
        "pipe_make": lambda: "the pipe pool makes a pipe (rc_pipe_make)",
        "pair": lambda: "takes the pool's pipe and submits a splice pair: "
                        "op0 file -> pipe linked to op1 pipe -> file",
        "lone_out": lambda: "op1 came back -ECANCELED (a short splice in "
                            "failed the link): sends it again alone",
        "pipe_clean": lambda: "both CQEs back: the pipe goes back clean",
        "pipe_dirty": lambda: "the pair ended, bytes may be left: the pipe "
                              "goes back dirty (closed)",
        "pipe_named": lambda: "the pair was given up: the pipe goes back "
                              "named (retired)",
        "pipe_reclaim": lambda: "nothing in flight: the retired pipe is "
                                "reclaimed",
    }.get(w, lambda: " ".join(words))()


def replay(defines, trail, model):
    cmd = ["spin"] + defines + ["-t", "-p", "-k", trail, model]
    return subprocess.run(cmd, capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.abspath(trail))).stdout


def render(out):
    """The numbered lines of a replay's output."""
    steps, proc, failed, cycle, last = [], "?", None, False, None
    for line in out.splitlines():
        m = re.match(r"\s*\d+:\s+proc\s+\d+ \(([^:)]+):\d+\) (\S+) \(state "
                     r"\d+\)\s+\[(.*)\]$", line)
        if m:
            proc = m.group(1)
            # the model's file relative to the repository, never the
            # machine's absolute path (the trails are committed)
            where = m.group(2)
            top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            if where.startswith(top + os.sep):
                where = where[len(top) + 1:]
            last = (where, m.group(3))
            continue
        if "Error: assertion violated" in line:
            failed = last
            continue
        if "START OF CYCLE" in line:
            cycle = True
            steps.append("--- from here the run repeats forever: the cycle "
                         "the property forbids ---")
            continue
        m = re.match(r"\s+@([AEBRKPS]) ?(.*)$", line)
        if not m:
            continue
        kind, words = m.group(1), m.group(2).split()
        who = ACTORS.get(proc, proc)
        if kind == "A":
            steps.append(f"program: {program_event(words)}")
        elif kind == "E":
            lab, rec, arg = map(int, words)
            steps.append(f"{who}: {op_event(lab, rec, arg)}")
        elif kind == "B":
            lab, b, rec = map(int, words)
            steps.append(f"{who}: {buf_event(lab, b, rec)}")
        elif kind == "R":
            lab, arg = map(int, words)
            steps.append(f"{who}: {ring_event(lab, arg)}")
        elif kind == "S":
            lab, frm, to = map(int, words)
            steps.append(f"{who}: the splice pipe {NAME.get(lab, lab)}: "
                         f"{PLACES[frm]} -> {PLACES[to]} (RC_EV_PIPE_*)")
        elif kind == "K":
            if not who.startswith("kernel"):	# kernel code in a syscall
                who = "kernel (in " + who + ")"
            steps.append(f"{who}: {kernel_event(words)}")
        elif kind == "P":
            p = int(words[0])
            steps.append(f"PROPERTY {PROPS.get(p, p)} BROKEN here "
                         f"({who})")
    if cycle and steps[-1].startswith("--- from here"):
        steps[-1] = ("--- from here no step follows: the run stays in this "
                     "state forever, which the property forbids ---")
    return steps, failed, cycle


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-D", action="append", default=[], dest="defines")
    ap.add_argument("--trail", required=True)
    ap.add_argument("--title", default="")
    ap.add_argument("model")
    a = ap.parse_args()
    out = replay(["-D" + d for d in a.defines], a.trail, a.model)
    steps, failed, cycle = render(out)
    if a.title:
        print(a.title)
    for i, s in enumerate(steps, 1):
        print(f"{i:4}. {s}")
    if failed:
        print(f"      (spin: assertion violated at {failed[0]}: {failed[1]})")
    return 0 if steps else 1


if __name__ == "__main__":
    sys.exit(main())
