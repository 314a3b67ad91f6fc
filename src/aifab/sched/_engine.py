"""The admission engine: Kueue's scheduling cycle over a quota tree (rules A1-A6).

Each cycle takes the head of every ClusterQueue (A1: priority, then creation time; A2:
StrictFIFO heads block, BestEffortFIFO heads that cannot be admitted are set aside until
quota is freed), assigns flavors, orders the heads (A3: those fitting without borrowing
first, then priority, then age; with fair sharing, the lowest share first, compared where
their cohort paths meet) and admits or preempts in that order. Preempted workloads go back
to their queue, ordered by eviction time (Kueue's default requeuing timestamp).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

from aifab.errors import BadInput
from aifab.sched import _again, _classes, _hold, _live, _period, _units, _vers
from aifab.sched._assign import FIT, NOFIT, PREEMPT, Assignment, Domains
from aifab.sched._cycle import (
    NO_QUOTA,
    NO_VICTIMS,
    Tries,
    _order_key,
    arrived,
    eq_class,
    failed,
    heads,
    order,
)
from aifab.sched._idle import idle_cycles
from aifab.sched._index import Index, targets
from aifab.sched._model import FR, ClusterQueue, Manifests
from aifab.sched._preempt import Admitted
from aifab.sched._quota import EPS, QuotaTree
from aifab.sched._repeat import Above, Loop, Repeats
from aifab.sched._requeue import batched, equivalence, next_time, requeue_delay, serve
from aifab.sched._requeue import requeue as _requeue
from aifab.sched._workload import Workload


@dataclass(frozen=True)
class Event:
    kind: str  # "admit", "preempt", "finish"
    workload: str
    cluster_queue: str
    cycle: int
    flavors: dict[str, dict[str, str]] = field(default_factory=dict)
    by: str | None = None


def _evicted_at(eng: Engine, by: str, victim: Admitted) -> float:
    """The eviction time (a fresh sequence number without a clock): after its preemptor was
    created, also when the caller's clock has not moved since (the twin runs an instant's
    cycles at one time; a tie would put the victim first and it would be readmitted).
    With classic preemption a victim of another queue also keeps its preemptor's name
    until it is admitted again (P10)."""
    t, p = (float(eng._tick()) if eng.clock is None else eng.clock), eng.pending.get(by)
    if not eng.fair and p is not None and p.queue != victim.cq:
        eng.index.evictor[victim.wl.name] = by
    return math.nextafter(p.created, math.inf) if p is not None and t <= p.created else t


CYCLES = 10_000  # run()'s limit of cycles per call


def _take(domains: Domains, placement: dict[str, list[tuple[str, int, float]]],
          sign: int) -> None:
    """Take (``sign`` 1) or give back (-1) a placement's topology domains."""
    for parts in placement.values():
        for fl, i, v in parts:
            domains.take(fl, [(i, v)], sign)


class Engine:
    """Pending and admitted workloads over a configuration; ``run()`` to a fixed point."""

    above: Above | None = None  # (an engine pickled before A51 has none until a skip)
    hint = 0  # A50: the last repeat's period, in cycles run by step() (a cache, set by it)
    requeue_s = 0.0  # A2b: seconds from a freed quota to its tree's requeue (0: at once)
    _due: dict[str, float] | None = None  # A2b: per root (cohort tree), its requeue time
    hashing = False  # A2c: Kueue's SchedulingEquivalenceHashing (off before A2c); per queue
    bulk: dict[str, dict[str, list[tuple[str, str]]]] | None = None  # classes set aside
    _fixed = True  # whether the last run() ended at a fixed point (not its cycle limit)
    _calls = repeated = 0  # A67: callers' calls that move the state; runs given again
    _last: _again.Last | None = None  # A67: the last run, when it ended at its limit
    hold = False  # A5d: a victim's quota is held until ``evicted()`` (False: freed at once)
    ghosts: dict[str, float] | None = None  # A5d: victims held -> their eviction times
    _doomed: list[Admitted] | None = None  # A5d: those preempted in the cycle running
    _chain: _units.Units | None = None  # A69: the last units of calls and run
    _live: _live.Live | None = None  # A70: the queues that may give a head
    _classes: _classes.Index | None = None  # A71: pending workloads by class (A2c)

    def __init__(self, m: Manifests, *, fair_sharing: bool | None = None,
                 prune: bool = False, topology: bool = True) -> None:
        self.m = m
        self.prune, self.pruned_now = prune, False  # A6 (off by default); set aside now
        self.fair = m.fair_sharing if fair_sharing is None else fair_sharing
        self.tree = QuotaTree(m)
        self.index = Index(self.tree, m)  # candidates by flavor-resource; failed searches
        self.domains = Domains(m if topology else Manifests())  # else: placed by the caller
        self.pending, self.admitted = dict[str, Workload](), dict[str, Admitted]()
        self.parked, self.events = set[str](), list[Event]()
        self.reasons: dict[str, list[tuple[str, str]]] = {}
        self.cycle = self._seq = 0
        self.clock: float | None = None  # caller's seconds (None: a counter), for requeues
        self._members: dict[str, dict[str, Workload]] = {c: {} for c in m.cluster_queues}
        self._sorted: dict[str, list[Workload]] = {}
        self._active: set[str] = set()  # ClusterQueues with pending workloads
        # A6: per queue, a plain gang that did not fit / found nothing to preempt, until freed
        self._nofit: dict[str, dict[str, float]] = {}
        self._nopreempt: dict[str, list[tuple[dict[str, float], int, float]]] = {}
        self.tries = Tries(m)  # A12: flavor assignments that did not fit, while unchanged
        self._nominated: dict[str, str] = {}  # the preemptor waiting for freed quota
        self._skip: dict[str, tuple[set[str], int]] = {}  # A10: where head walks start
        self.loops: list[Loop] = []  # A27: the repeats found, in the order found
        self.above: Above | None = Above()  # A51: creation times set above the clock
        self.compact = False  # A29: keep the last run's events only, a repeat's copies listed
        self.elided: list[tuple[int, list[Event], int, int]] = []  # at, period, copies, cycles
        self.requeue_s, self._due = requeue_delay(m), {}
        self.hashing, self.bulk = equivalence(m), {}
        self.ghosts, self._doomed = {}, []
        # A2b: each ClusterQueue's root (its cohort tree's top Cohort, or itself)
        key = {id(n): k for k, n in self.tree.nodes.items()}
        self._root = {c: key[id(n.path()[0])] for c, n in self.tree.cqs.items()}

    def _tick(self) -> int:
        self._seq += 1
        return self._seq

    def submit(self, wl: Workload) -> None:
        if wl.queue not in self.m.cluster_queues:
            raise BadInput(f"ClusterQueue {wl.queue!r} is not defined", where=wl.name)
        if wl.name in self.pending or wl.name in self.admitted:
            raise BadInput("duplicate workload name", where=wl.name)
        self._calls += 1
        if wl.created == 0.0:
            wl.created = float(self._tick())
        if self.above is not None:
            self.above.note(wl, self.clock)
        self._enqueue(wl)

    def _enqueue(self, wl: Workload) -> None:
        self.pending[wl.name] = wl
        self._members[wl.queue][wl.name] = wl
        self._active.add(wl.queue)
        _live.joined(self, wl.queue)
        self.tries.moved(wl.queue, self._skip)  # A10's start and A14's kept walk go
        arrived(self, wl)  # A2c: set aside while its class is set aside; A71: its class
        if wl.queue in self._sorted:
            bisect.insort(self._sorted[wl.queue], wl, key=_order_key)

    def finish(self, name: str) -> None:
        """A workload ends: its quota (and topology domains) are freed."""
        self._calls += 1
        if self.ghosts:  # (A5d: one that ends while its pods are stopping)
            self.ghosts.pop(name, None)
        self._release(a := self.admitted[name])
        self.events.append(Event("finish", name, a.cq, self.cycle))

    def _release(self, a: Admitted, requeue: bool = True) -> None:
        del self.admitted[a.wl.name]
        self.tree.add_all(a.cq, a.usage, -1)
        self.index.remove(a)
        _take(self.domains, a.placement, -1)
        if requeue:  # quota freed: workloads set aside may fit now
            _requeue(self, a.cq)
            self._nofit.clear()
            self._nopreempt.clear()

    def next_requeue(self) -> float | None:
        """A2b: the caller's time at which a cohort tree's set-aside workloads are requeued
        next (``run()`` then), or None; see ``_requeue.next_time``."""
        return next_time(self) if self._due else None

    def _admit(self, cq: ClusterQueue, wl: Workload, asg: Assignment) -> None:
        _period.moves(self, wl.name)  # A75
        _dequeue(self, wl)
        self._nominated.pop(cq.name, None)
        self._nopreempt.clear()  # a new admission may be a new preemption candidate
        self.tree.add_all(cq.name, asg.usage)
        _take(self.domains, asg.placement, 1)
        a = self.admitted[wl.name] = Admitted(wl, cq.name, dict(asg.usage), self._tick(),
                                              asg.placement)
        self.index.add(a)
        self.reasons.pop(wl.name, None)
        self.events.append(Event("admit", wl.name, cq.name, self.cycle, asg.flavors))

    def evicted(self, name: str) -> None:
        """A5d (``hold``): a preempted workload's pods are gone; see ``_hold.gone``."""
        _units.called(self, name)
        _hold.gone(self, name)

    def _evict(self, a: Admitted, by: str) -> None:
        self.events.append(Event("preempt", a.wl.name, a.cq, self.cycle, by=by))
        if self.hold:
            _hold.doom(self, a, _evicted_at(self, by, a))
            return
        self._release(a, requeue=False)  # what it frees is for its preemptor (A5)
        if batched(self):
            _requeue(self, a.cq)  # A2b: Kueue requeues the tree's set-aside ones after it
        a.wl.created = _evicted_at(self, by, a)  # requeued at its eviction time (A1)
        if self.above is not None:
            self.above.note(a.wl, self.clock)
        self._enqueue(a.wl)

    def step(self) -> bool:
        """One scheduling cycle (A5b); whether anything was admitted, preempted or set
        aside."""
        self._calls += 1
        return _step(self)

    def run(self, max_cycles: int = CYCLES) -> list[Event]:
        """Cycles until nothing changes (A13: all-failing ones at once; A27: repeats
        skipped ahead); their events."""
        if self.compact:
            self.events, self.elided = [], []
        start = len(self.events)
        _run(self, max_cycles)
        return self.events[start:]

    def admitted_in(self, cq: str) -> list[str]:
        return [n for n, a in self.admitted.items() if a.cq == cq]


def _dequeue(eng: Engine, wl: Workload) -> None:
    """A pending workload leaves its queue (admitted)."""
    del eng.pending[wl.name]
    eng.index.forget(wl.name)
    del eng._members[wl.queue][wl.name]
    if eng._classes is not None:
        _classes.left(eng, wl, eq_class(wl))
    eng.tries.moved(wl.queue, eng._skip)
    if not eng._members[wl.queue]:
        eng._active.discard(wl.queue)
        _live.left(eng, wl.queue)
    lst = eng._sorted.get(wl.queue)
    if lst is not None:
        i = bisect.bisect_left(lst, _order_key(wl), key=_order_key)
        if i < len(lst) and lst[i] is wl:
            del lst[i]
        else:
            del eng._sorted[wl.queue]


def _run(eng: Engine, max_cycles: int) -> None:
    """``run()``: the requeues due (A2b), then the last run again (A67) or the cycles."""
    served = serve(eng) if eng._due else None if eng._due is None else (set(), {})
    if _again.repeat(eng, max_cycles, served):
        _units.drop(eng)
        return
    if _units.give(eng, served):  # A69
        return
    begun = (eng._calls, math.inf if eng.above is None else eng.above.newest,
             eng.cycle, eng._seq, len(eng.loops))
    mark = _units.begin(eng)
    eng._fixed = _cycles(eng, max_cycles)
    _again.note(eng, max_cycles, served, begun)
    _units.note(eng, served, mark)


def _cycles(eng: Engine, max_cycles: int) -> bool:
    """``run()``'s cycles (A13, A27); whether they ended at a fixed point."""
    left, seen = max_cycles, Repeats(eng)
    while left > 0:
        n, over = idle_cycles(eng, left)
        left -= n + 1
        if over:
            return True
        if left < 0:
            return False
        if not eng.step():
            return True
        left = seen.after(eng, left)
    return False


def _still_fits(eng: Engine, cq: ClusterQueue, wl: Workload, asg: Assignment
                ) -> Assignment | None:
    """A5b: the assignment a head nominated to fit is admitted with after the cycle's
    earlier admissions and preemptions, or None (skipped): its own while its usage is within
    what its queue can use and its topology domains are free; when only the domains are
    taken, a new one that fits (Kueue's TASRecomputeAssignmentWithinSchedulingCycle, on by
    default)."""
    if not eng.tree.fits(cq.name, asg.usage):
        return None
    if all(eng.domains.free[fl][i] + EPS >= v for parts in asg.placement.values()
           for fl, i, v in parts):
        return asg
    again = eng.tries.get(eng, cq, wl)
    return again if again.mode == FIT else None


def _may_preempt(eng: Engine, cq: ClusterQueue, asg: Assignment, victims: list[Admitted]
                 ) -> bool:
    """A5b: whether a preemptor's nominated targets are all still admitted (none taken by
    an earlier preemptor of the cycle) and it fits with them removed."""
    if any(eng.admitted.get(t.wl.name) is not t for t in victims) or (
            eng._doomed and any(t in eng._doomed for t in victims)):  # (A5d: held)
        return False
    for t in victims:
        eng.tree.add_all(t.cq, t.usage, -1)
    ok = eng.tree.fits(cq.name, asg.usage)
    for t in victims:
        eng.tree.add_all(t.cq, t.usage, 1)
    return ok


def _unreclaimable(eng: Engine, cq: ClusterQueue, wl: Workload, asg: Assignment
                   ) -> dict[FR, float]:
    """A5c, Kueue's reserveCapacityForUnreclaimablePreempt: what a head that needs
    preemption and found no targets holds for the rest of the cycle, so that the heads
    after it cannot take it first, when its queue cannot always reclaim (reclaimWithinCohort
    not Any) or, with PrioritizePreemptorWorkloads, it is its queue's waiting preemptor (A5):
    borrowing, its request up to its queue's nominal quota and borrowing limit less its
    usage (all of it without a limit); otherwise up to the nominal quota less the usage."""
    if cq.preemption.reclaim_within_cohort == "Any" and not (
            eng.m.gates.get("PrioritizePreemptorWorkloads", False)
            and eng._nominated.get(cq.name) == wl.name):
        return {}
    used = eng.tree.cqs[cq.name].usage
    out: dict[FR, float] = {}
    for fr, v in asg.usage.items():
        q = cq.quotas.get(fr)
        nominal = q.nominal if q is not None else 0.0
        if asg.borrow:
            room = v if q is None or q.borrowing_limit is None else min(
                v, nominal + q.borrowing_limit - used.get(fr, 0.0))
        else:
            room = min(v, nominal - used.get(fr, 0.0))
        if room > EPS:
            out[fr] = room
    return out


def _step(eng: Engine) -> bool:
    """``Engine.step``: every head nominated on the cycle's starting state, then taken in
    A3's order (A5b)."""
    eng.cycle += 1
    eng.pruned_now = False  # heads() sets it when A6 sets a head aside
    entries = [(cq, wl, eng.tries.get(eng, cq, wl)) for cq, wl in heads(eng)]
    # A5b: Kueue's nominate(): each head's assignment and, when it needs preemption,
    # its targets, on the state the cycle began with
    plan = {wl.name: targets(eng.index, eng.m, eng.fair, cq, wl, asg)
            for cq, wl, asg in entries if asg.mode == PREEMPT}
    changed, moved = eng.pruned_now, False
    reserved: list[tuple[str, dict[FR, float]]] = []
    for cq, wl, asg in order(eng, entries, plan):
        if asg.mode == FIT:
            if moved:
                again = _still_fits(eng, cq, wl, asg)
                if again is None:
                    continue  # skipped (A5b): a head again in the next cycle
                asg = again
            eng._admit(cq, wl, asg)
            changed = moved = True
            continue
        reasons = list(asg.reasons)
        if asg.mode == PREEMPT:
            victims = plan[wl.name]
            if victims:
                if moved and not _may_preempt(eng, cq, asg, victims):
                    continue  # skipped (A5b): targets taken, or no longer fits
                eng._nominated[cq.name] = wl.name
                issued = _hold.fresh(eng, victims)  # A5d: not those being evicted
                for t in issued:
                    eng._evict(t, wl.name)
                if eng.hold:
                    _hold.waiting(eng, wl, victims)
                eng.index.reserve(cq.name, asg.usage)  # the preemptor's this cycle
                reserved.append((cq.name, asg.usage))
                moved = True
                changed |= bool(issued)
                continue
            reasons.append(NO_VICTIMS)
            held = _unreclaimable(eng, cq, wl, asg)
            if held:  # A5c: for the rest of the cycle
                eng.index.reserve(cq.name, held)
                reserved.append((cq.name, held))
                moved = True
        elif asg.mode == NOFIT and not reasons:
            reasons.append(NO_QUOTA)
        changed |= failed(eng, cq, wl, asg, reasons)
    for name, usage in reserved:
        eng.index.reserve(name, usage, -1)
    if eng._doomed:  # A5d: held until their pods are gone
        _hold.restore(eng)
    _vers.settle(eng.index)  # A77
    if reserved:  # quota reserved in this cycle is free again: no longer "does not fit"
        eng._nofit.clear()
        eng._nopreempt.clear()
    return changed
