"""A run of cycles that comes back to where it was, skipped ahead (rule A27, docs/sched.md;
speed only: the same events with the same cycle numbers, the same final state).

Under fair sharing a preemptor's victims can win the next cycle's tournament and be admitted
again into the quota freed for it, and it preempts them again (kubernetes-sigs/kueue#14543,
open): at one instant the engine then runs until ``run()``'s cycle limit, each cycle a
preemption search. The engine is deterministic, so once its whole state is the same at two
cycles ``p`` apart, every later cycle repeats the one ``p`` before, with the same events.
Within one ``run()`` nothing is submitted or finishes and the twin's clock stands still, so
the state that decides what a cycle does is: the admitted workloads with their usage and
placement (hence the quota tree and topology domains), the pending workloads (the others)
with their creation times (only those evicted in this run move), the workloads set aside
(A2), each queue's nominee (A5) and the evictors of classic preemption (P10); what else
the engine keeps are caches that move no decision. Admission sequence numbers only order
the admitted workloads (P2): if the two windows of ``p`` cycles before the two cycles have
the same events, the workloads admitted again in each are admitted in the same order, after
every other, so both states order them alike.

So the admitted set carries a signature (an XOR of one hash per admitted workload, kept as
workloads are admitted and released); a cycle whose signature was seen earlier in this run
is a candidate, whose whole state is checked ``p`` cycles later against the events and
state of the window before. Once it holds, whole periods but the last are added as copies
of the window's events, and the engine runs the last period and the rest of its limit as
before (so the limit ends it at the same cycle, in the same state). Only with a clock
(the twin, replays): without one an eviction time is a fresh sequence number, never the
same twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from aifab.sched._index import Index
from aifab.sched._preempt import Admitted
from aifab.sched._workload import Workload

SKIP = True  # off: every cycle is run (tests compare both)


@dataclass(frozen=True)
class Loop:
    """A repeat found at one instant: the clock, the cycle it was confirmed at, its period
    in cycles and the workloads (with their ClusterQueues) admitted or preempted in it."""

    clock: float
    cycle: int
    period: int
    workloads: tuple[tuple[str, str], ...]


class Engine(Protocol):
    """What a repeat reads and moves of :class:`~._engine.Engine` (named here so this
    module does not import the engine that imports it)."""

    clock: float | None
    prune: bool
    cycle: int
    _seq: int
    _sig: int
    admitted: dict[str, Admitted]
    pending: dict[str, Workload]
    parked: set[str]
    _nominated: dict[str, str]
    index: Index
    loops: list[Loop]

    @property
    def events(self) -> list[Any]: ...


def admitted_key(a: Admitted) -> int:
    """One admitted workload's part of the signature."""
    return hash((a.wl.name, a.cq, tuple(sorted(a.usage.items())),
                 tuple(sorted((k, tuple(v)) for k, v in a.placement.items()))))


def _state(eng: Engine, start: int) -> tuple[Any, ...]:
    moved = {e.workload for e in eng.events[start:]}
    return (frozenset((n, a.cq, tuple(sorted(a.usage.items())),
                       tuple(sorted((k, tuple(v)) for k, v in a.placement.items())))
                      for n, a in eng.admitted.items()),
            frozenset(eng.pending),
            tuple(sorted((n, eng.pending[n].created) for n in moved if n in eng.pending)),
            frozenset(eng.parked), tuple(sorted(eng._nominated.items())),
            tuple(sorted(eng.index.evictor.items())))


def _same(eng: Engine, a: int, b: int, c: int, p: int) -> bool:
    """Events [a, b) and [b, c) alike, cycle numbers ``p`` apart."""
    ev = eng.events
    if b - a != c - b:
        return False
    return all((x.kind, x.workload, x.cluster_queue, x.flavors, x.by, x.cycle + p) ==
               (y.kind, y.workload, y.cluster_queue, y.flavors, y.by, y.cycle)
               for x, y in zip(ev[a:b], ev[b:c], strict=True))


class Repeats:
    """One ``run()``'s signatures and its candidate repeat."""

    def __init__(self, eng: Engine) -> None:
        self.on = SKIP and eng.clock is not None and not eng.prune
        self.start = len(eng.events)
        self.seen: dict[int, tuple[int, int]] = {}  # signature -> (cycle, events so far)
        # a candidate: (its cycle, events so far, state, period, window start, sequence no.)
        self.cand: tuple[int, int, tuple[Any, ...], int, int, int] | None = None

    def after(self, eng: Engine, left: int) -> int:
        """After a cycle that changed something, with ``left`` cycles to go: what is left
        once whole repeats are skipped."""
        if not self.on:
            return left
        c, n = eng.cycle, len(eng.events)
        if self.cand is not None:
            c1, n1, state, p, n0, seq = self.cand
            if c < c1 + p:
                return left
            self.cand = None
            if c == c1 + p and _same(eng, n0, n1, n, p) and _state(eng, self.start) == state:
                self.on = False  # what is left runs as before
                assert eng.clock is not None
                eng.loops.append(Loop(eng.clock, c, p, tuple(sorted(
                    {(e.workload, e.cluster_queue) for e in eng.events[n1:n]}))))
                return self._skip(eng, n1, n, p, eng._seq - seq, left)
        prev = self.seen.get(eng._sig)
        self.seen[eng._sig] = (c, n)
        if prev is not None and self.cand is None:
            self.cand = (c, n, _state(eng, self.start), c - prev[0], prev[1], eng._seq)
        return left

    @staticmethod
    def _skip(eng: Engine, a: int, b: int, p: int, ticks: int, left: int) -> int:
        """Add ``m`` copies of the period's events [a, b) (all but the last period that
        fits in ``left``) and move the cycle and sequence counters on as running them
        would have."""
        m = left // p - 1
        if m <= 0:
            return left
        ev = eng.events
        period = ev[a:b]
        cls = type(period[0]) if period else None
        for k in range(1, m + 1):
            ev.extend(cls(x.kind, x.workload, x.cluster_queue, x.cycle + k * p, x.flavors,
                          x.by) for x in period)  # type: ignore[misc]
        eng.cycle += m * p
        eng._seq += m * ticks
        return left - m * p
