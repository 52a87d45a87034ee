#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Trace conformance: replay the engine's real event sequence (an event
log of harness/evlog.c) against the model's transition relation, and
reject the first step the model does not allow.

usage: conform.py --edges EDGES [--json OUT] [--expect reject] [--jobs N]
                  LOG...

EDGES is the relation the model's exhaustive search wrote (model/check.py
extract: spin -DEXTRACT, see model/trace.pml): per op record, the steps
the engine may take from each state of its record, and per buffer and per
ring the steps allowed in each of their states, and per splice pipe the
steps allowed in each of its places.  Each real event becomes
the model's label (model/events.pml) by the rules of label() below; an op
record is followed as the set of model states it may be in (the
relation is nondeterministic: the model's state has more than a trace
shows), a buffer and a ring by the rules the model applies too.

Exit 0 when every log conforms (with --expect reject: when every log is
rejected), 1 otherwise, 2 on bad usage.
"""
import argparse
import json
import multiprocessing
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# model/trace.pml's buffer places and ring phases
W_FREE, W_APP, W_HELD, W_RING = range(4)
PH_LIVE, PH_TEARDOWN, PH_EXITED, PH_PROVEN, PH_FREED, PH_LEAKED = range(6)
PHASES = ["live", "teardown", "exited", "proven", "freed", "leaked"]
WHERE = ["free", "app", "held", "ring"]
# model/trace.pml's splice pipe places
SP_CLOSED, SP_POOL, SP_LENT, SP_RETIRED, SP_DIRTY = range(5)
PLACES = ["closed", "pool", "lent", "retired", "dirty"]
STATES = ["FREE", "IDLE", "QUEUED", "INFLIGHT", "READY"]
KINDS = ["NONE", "RW", "OPENAT", "CLOSE", "OTHER"]
RESULTS = ["ok", "-ECANCELED", "<0"]
ECANCELED, ENOENT, EALREADY = 125, 2, 114


def labels(path=os.path.join(HERE, "events.pml")):
    """The #define NAME NUMBER lines of events.pml."""
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"#define\s+([A-Z_]+)\s+(\d+)", line)
            if m:
                out[m.group(1)] = int(m.group(2))
    return out


L = labels()
NAMES = {v: k for k, v in L.items() if k[:2] in ("L_", "B_", "R_", "S_")}


def decode(obs):
    """An op record's model state (OBS() in trace.pml), readable."""
    st, obs = obs % 5, obs // 5
    own, obs = obs % 4, obs // 4
    kcq, obs = obs % 3, obs // 3
    tpn, obs = obs % 2, obs // 2
    cpn, obs = obs % 3, obs // 3
    kind, obs = obs % 5, obs // 5
    res, fdc = obs % 3, obs // 3
    own_s = "|".join(n for b, n in ((1, "APP"), (2, "KERNEL")) if own & b)
    return (f"{STATES[st]} owner {own_s or '-'} kernel_cqes {kcq} timeout "
            f"{tpn} cancels {cpn} {KINDS[kind]} res {RESULTS[res]} "
            f"fd_closed {fdc}")


def fields(obs):
    st, own = obs % 5, (obs // 5) % 4
    cpn = (obs // (5 * 4 * 3 * 2)) % 3
    return st, own, cpn


def own_request_in_kernel(obs):
    """The record's own request (not only its link timeout) may be in the
    kernel: KERNEL set and more CQEs due than the timeout's."""
    own, kcq, tpn = (obs // 5) % 4, (obs // 20) % 3, (obs // 60) % 2
    return bool(own & 2) and kcq > tpn


def is_close(obs):
    """The record's op is an IORING_OP_CLOSE (KK_CLOSE)."""
    return (obs // (5 * 4 * 3 * 2 * 3)) % 5 == 3


class Relation:
    """The model's relation: op[(from, label, arg)] = {to}, buf[(where,
    label)] = to, ring[(phase, label, arg)] = {to}, pipe[(place, label)]
    = to."""

    def __init__(self, path):
        self.op, self.buf, self.ring, self.pipe = {}, {}, {}, {}
        with open(path) as f:
            for line in f:
                sort, frm, lab, arg, to = map(int, line.split())
                if sort == 0:
                    self.op.setdefault((frm, lab, arg), set()).add(to)
                elif sort == 1:
                    self.buf[(frm, lab)] = to
                elif sort == 3:
                    self.pipe[(frm, lab)] = to
                else:
                    self.ring.setdefault((frm, lab, arg), set()).add(to)
        self.cache = {}

    def op_step(self, states, lab, arg):
        key = (states, lab, arg)
        if key not in self.cache:
            out = set()
            for s in states:
                out |= self.op.get((s, lab, arg), set())
            self.cache[key] = frozenset(out)
        return self.cache[key]


class Reject(Exception):
    pass


def rclass(res):
    return 0 if res >= 0 else (1 if res == -ECANCELED else 2)


def aclass(res):
    return {0: 0, -ENOENT: 1, -EALREADY: 2}.get(res, 3)


KIND = {"READ": 1, "READSEL": 1, "WRITE": 1, "SPLICE": 1, "OPENAT": 2,
        "CLOSE": 3,
        "OTHER": 4}


class Ring:
    def __init__(self):
        self.phase = PH_LIVE
        self.pending = 0      # cancels keyed on an fd, unanswered
        self.recs = set()


class Checker:
    """One log replayed against the relation."""

    def __init__(self, rel):
        self.rel = rel
        self.recs = {}        # (ring, rec) -> frozenset of model states
        self.lives = {}       # (ring, rec) -> life, for messages
        self.rings = {}
        self.where = {}       # buffer -> W_*
        self.holder = {}      # buffer -> (ring, rec) it observably belongs to
        self.events = 0
        self.end = None
        self.pipes = {}       # pipe -> SP_* place
        self.fd_of = {}       # (ring, rec) -> the fd its last SUBMIT named
        self.ud_of = {}       # (ring, rec) -> its last SUBMIT's user_data life

    # -- one entity's step --
    def op(self, key, lab, arg, what):
        states = self.recs.get(key, frozenset([0]))
        to = self.rel.op_step(states, L[lab], arg)
        if not to:
            raise Reject(f"{what}: the model has no step {lab}({arg}) for "
                         f"op {key[1]}.{self.lives.get(key, 0)} in "
                         + " or ".join(decode(s) for s in sorted(states)))
        self.recs[key] = to

    def buffer(self, b, lab, key=None):
        where = self.where.get(b, W_FREE)
        to = self.rel.buf.get((where, L[lab]))
        if to is None:
            raise Reject(f"the model has no step {lab} for buffer {b} "
                         f"({WHERE[where]})")
        if lab == "B_LEND":
            # a buffer the op held before went back to the program
            for other, k in list(self.holder.items()):
                if k == key and other != b:
                    del self.holder[other]
                    self.where[other] = W_APP
            self.holder[b] = key
        elif lab == "B_SELECT":
            self.holder[b] = key
        else:
            self.holder.pop(b, None)
        self.where[b] = to

    def ring_ctx(self, r):
        """The possible ctx values (events.pml) of ring r: for each of
        anyK, anyQ, anyC, the values an OR over its records may take."""
        ring = self.rings[r]
        can_true, can_false = [False] * 3, [True] * 3
        for key in ring.recs:
            vals = [set(), set(), set()]
            for s in self.recs.get(key, ()):
                st, own, cpn = fields(s)
                vals[0].add(bool(own & 2))
                vals[1].add(st == 2)
                vals[2].add(cpn > 0)
            for i in range(3):
                can_true[i] |= True in vals[i]
                can_false[i] &= False in vals[i] or not vals[i]
        if ring.pending:
            can_true[2], can_false[2] = True, False
        bits = [[v for v, ok in ((0, can_false[i]), (1, can_true[i])) if ok]
                for i in range(3)]
        return {k + 2 * q + 4 * c for k in bits[0] for q in bits[1]
                for c in bits[2]}

    def ring_step(self, r, lab, arg, what):
        ring = self.rings.setdefault(r, Ring())
        args = arg if isinstance(arg, set) else {arg}
        for a in sorted(args):
            to = self.rel.ring.get((ring.phase, L[lab], a))
            if to:
                ring.phase = min(to)
                return
        raise Reject(f"{what}: the model has no step {lab}({sorted(args)}) "
                     f"for ring {r} ({PHASES[ring.phase]})")

    # -- one event of the log --
    def event(self, line):
        parts = line.split()
        if parts[0] == "END":
            self.end = parts[1]
            return
        if parts[0] == "CLOSE":
            self.events += 1
            self.fd_close(int(parts[1].split("=", 1)[1]),
                          f"event {self.events} ({line.strip()})")
            return
        ev, kv = parts[0], dict(p.split("=", 1) for p in parts[1:])
        self.events += 1
        if ev.startswith("PIPE_"):
            self.pipe_event(ev, kv, f"event {self.events} ({line.strip()})")
            return
        res = int(kv.get("res", 0))
        r = int(kv["r"]) if "r" in kv else None
        b = int(kv["b"]) if "b" in kv else None
        what = f"event {self.events} ({line.strip()})"
        if "o" in kv:
            rec, life = kv["o"].split(".")
            key = (r, int(rec))
            self.lives[key] = int(life)
            self.rings.setdefault(r, Ring()).recs.add(key)
            self.op_event(ev, key, kv, res, b, what)
        elif ev.startswith("BUF_"):
            self.buf_event(ev, b, r, what)
        else:
            self.ring_event(ev, r, kv, res, what)

    def in_kernel(self, key):
        """Every model state the record may be in has its own request in
        the kernel (the relation cannot put it anywhere else)."""
        states = self.recs.get(key, frozenset([0]))
        return all(own_request_in_kernel(s) for s in states)

    def fd_close(self, fd, what):
        """close(fd) by the program or the engine: P2, on the model states
        of every record whose request names fd."""
        for key, f in self.fd_of.items():
            # an IORING_OP_CLOSE closes the fd it names: the fallback
            # engine runs it with close() (the kernel's is no close())
            if all(is_close(s) for s in self.recs.get(key, ())):
                continue
            if fd in f and self.in_kernel(key):
                raise Reject(
                    f"{what}: P2: fd {fd} closed while op {key[1]}."
                    f"{self.lives.get(key, 0)}'s request names it, in "
                    + " or ".join(decode(s) for s in
                                  sorted(self.recs[key])))

    def pipe_event(self, ev, kv, what):
        """A splice pair's pipe (engine/copy/pipe.c): its place by the
        model's pipe relation (P7: given up in flight, never lent again);
        back to the pool clean only once no request naming it may be in
        the kernel (both CQEs of its pair came)."""
        p, fds = int(kv["p"]), {int(kv["f"]), int(kv["f2"])}
        lab = {"PIPE_MAKE": "S_MAKE", "PIPE_LEND": "S_LEND",
               "PIPE_CLOSE": "S_CLOSE"}.get(ev)
        if ev == "PIPE_PUT":
            lab = ["S_PUT_CLEAN", "S_PUT_DIRTY",
                   "S_PUT_NAMED"][int(kv.get("res", 0))]
        if lab is None:
            raise Reject(f"{what}: no model step for {ev}")
        if lab == "S_PUT_CLEAN":
            for key, f in self.fd_of.items():
                if f & fds and self.in_kernel(key):
                    raise Reject(
                        f"{what}: P7: pipe {p} back to the pool while op "
                        f"{key[1]}.{self.lives.get(key, 0)}'s request "
                        f"names it, in " + " or ".join(
                            decode(s) for s in sorted(self.recs[key])))
        place = self.pipes.get(p, SP_CLOSED)
        to = self.rel.pipe.get((place, L[lab]))
        if to is None:
            raise Reject(f"{what}: P7: the model has no step {lab} for "
                         f"pipe {p} ({PLACES[place]})")
        self.pipes[p] = to

    def op_event(self, ev, key, kv, res, b, what):
        kind = KIND.get(kv.get("k", ""), 0)
        lk, lt = int(kv.get("lk", 0)), int(kv.get("lt", 0))
        simple = {"TIMEOUT_CQE": "L_LTCQE", "CANCEL_SQE": "L_CANCEL_SQE",
                  "FD_CLOSE": "L_FD_CLOSE", "STALE_CQE": "L_STALE"}
        if ev in ("OP_GET", "RELEASE"):
            self.fd_of.pop(key, None)
        if ev == "MEM_PUT":
            # a path copy given back: P1, on the record's model states
            if self.in_kernel(key):
                raise Reject(
                    f"{what}: P1: op {key[1]}.{self.lives.get(key, 0)}'s "
                    f"path copy given back while its request may be in "
                    f"the kernel, in " + " or ".join(
                        decode(s) for s in sorted(self.recs[key])))
            return
        if ev == "OP_GET":
            for other, k in list(self.holder.items()):
                if k == key:
                    del self.holder[other]
                    self.where[other] = W_APP
            self.op(key, "L_GET", 0, what)
        elif ev == "OP_QUEUE":
            self.op(key, "L_QUEUE", kind * 4 + lk * 2 + lt, what)
        elif ev == "SUBMIT":
            if "ud" in kv:
                # P3 rests on it: every SQE of a record begins a new life
                # of its user_data (rc_op_write_sqe: op->gen++)
                if self.ud_of.get(key) == int(kv["ud"]):
                    raise Reject(f"{what}: P3: op {key[1]}'s SQE carries "
                                 f"the user_data of its last one: its "
                                 f"CQEs cannot be told apart")
                self.ud_of[key] = int(kv["ud"])
                # a splice names two fds: fd_out (f) and fd_in (f2)
                self.fd_of[key] = {int(kv["f"])} | \
                    ({int(kv["f2"])} if "f2" in kv else set())
            self.op(key, "L_SUBMIT", kind * 2 + lt, what)
            if b is not None and kv.get("k") != "READSEL":
                self.buffer(b, "B_LEND", key)
        elif ev == "OP_CQE":
            self.op(key, "L_OPCQE", rclass(res) * 2 + int(kv["same"]), what)
        elif ev == "CQE":
            self.op(key, "L_CQE", rclass(res), what)
        elif ev == "DELIVER":
            self.op(key, "L_DELIVER", rclass(res), what)
        elif ev == "CANCEL":
            self.op(key, "L_CANCEL", res, what)
        elif ev == "CANCEL_CQE":
            self.op(key, "L_CANCEL_CQE", aclass(res), what)
        elif ev == "OP_FAIL":
            self.op(key, "L_FAIL", rclass(res), what)
        elif ev == "HALT":
            self.op(key, "L_HALT", rclass(res), what)
        elif ev == "RELEASE":
            held = any(k == key for k in self.holder.values())
            self.op(key, "L_RELEASE", int(held and b is None), what)
        elif ev == "BUF_SELECT":
            self.buffer(b, "B_SELECT", key)
            self.op(key, "L_SELECT", 0, what)
        elif ev in simple:
            self.op(key, simple[ev], 0, what)
        else:
            raise Reject(f"{what}: no model step for {ev} of an op")

    def buf_event(self, ev, b, r, what):
        if ev == "BUF_LOST":
            self.ring_step(r, "R_LOST", 0, what)
            return
        # BUF_SELECT without op: the buffer a CQE the engine does not act
        # on (stale, unknown) names, taken out of the ring to go back
        lab = {"BUF_GET": "B_GET", "BUF_PUT": "B_PUT",
               "BUF_PROVIDE": "B_PROVIDE", "BUF_SELECT": "B_SELECT",
               "BUF_RECLAIM": "B_RECLAIM"}.get(ev)
        if lab is None:
            raise Reject(f"{what}: no model step for {ev}")
        key = self.holder.get(b)
        if key is not None and lab in ("B_PUT", "B_PROVIDE", "B_GET"):
            freed = self.rings[key[0]].phase == PH_FREED
            self.op(key, {"B_PUT": "L_BPUT", "B_PROVIDE": "L_BPROV",
                          "B_GET": "L_BGET"}[lab], int(freed),
                    f"{what} (its buffer)")
        self.buffer(b, lab)

    def ring_event(self, ev, r, kv, res, what):
        ring = self.rings.setdefault(r, Ring())
        if ev == "CANCEL_FD_SQE":
            self.ring_step(r, "R_FD_SQE", 0, what)
            ring.pending += 1
        elif ev == "CANCEL_CQE":
            if int(kv.get("sync", 0)):
                self.ring_step(r, "R_SYNC", 0, what)
            else:
                self.ring_step(r, "R_FD_CQE", 0, what)
                ring.pending -= 1
        elif ev == "UNKNOWN_CQE":
            self.ring_step(r, "R_UNKNOWN", 0, what)
        elif ev == "RING_DRAIN":
            ctx = {int(res == 0) * 8 + c for c in self.ring_ctx(r)}
            self.ring_step(r, "R_DRAIN", ctx, what)
        elif ev == "RING_PROVEN":
            self.ring_step(r, "R_PROVEN", int(res == 0), what)
        elif ev == "RING_FREE":
            self.ring_step(r, "R_FREE", 0, what)
            for key in sorted(ring.recs):
                self.op(key, "L_RFREE", 0, what)
        elif ev.startswith("RING_"):
            self.ring_step(r, "R_" + ev[5:], 0, what)
        else:
            raise Reject(f"{what}: no model step for {ev}")

    def finish(self):
        if self.end is None:
            raise Reject(f"the log ends after event {self.events} without "
                         f"END: the run was cut off")
        if self.end == "died":
            live = [r for r, ring in self.rings.items()
                    if ring.phase not in (PH_FREED, PH_LEAKED)]
            raise Reject(f"the run died after event {self.events} (a "
                         f"sanitizer stopped it) with ring(s) {live} not "
                         f"torn down: the model's program never stops there")


def check(rel, path):
    """The verdict on one log: a dict."""
    c = Checker(rel)
    out = {"log": path, "events": 0, "conforms": True, "rejected_at": None,
           "reason": None}
    try:
        with open(path) as f:
            for line in f:
                if line.strip():
                    c.event(line)
        c.finish()
    except Reject as e:
        out.update(conforms=False, rejected_at=c.events, reason=str(e))
    out["events"] = c.events
    out["rings_not_torn_down"] = sum(
        1 for ring in c.rings.values()
        if ring.phase not in (PH_FREED, PH_LEAKED))
    return out


_REL = [None]


def _check_one(path):
    return check(_REL[0], path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edges", required=True)
    ap.add_argument("--json")
    ap.add_argument("--expect", choices=["conform", "reject"],
                    default="conform")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()
    _REL[0] = Relation(a.edges)
    if a.jobs > 1:
        with multiprocessing.Pool(a.jobs) as pool:
            results = pool.map(_check_one, a.logs, chunksize=1)
    else:
        results = [_check_one(p) for p in a.logs]
    bad = 0
    for r in results:
        ok = r["conforms"] == (a.expect == "conform")
        bad += not ok
        verdict = "conforms" if r["conforms"] else \
            f"REJECTED at event {r['rejected_at']}: {r['reason']}"
        print(f"{'ok ' if ok else 'BAD'} {r['log']}: {r['events']} events, "
              f"{verdict}")
    total = sum(r["events"] for r in results)
    print(f"conform: {len(results)} logs, {total} events, {bad} not as "
          f"expected ({a.expect})")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"expect": a.expect, "edges": a.edges,
                       "events": total, "logs": results}, f, indent=1)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
