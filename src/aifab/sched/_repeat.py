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

Creation times are only compared (A1, A3, P2's newer test), except that a victim evicted by
a preemptor created at or after the clock is requeued just after it (``_evicted_at``,
``nextafter``): when victims preempt their preemptors in turn, their creation times creep
up by a float step each period and never repeat. So the state holds, of the workloads moved
in this run (and their preemptors), only how their creation times compare with each other
and with the clock; and the skip replays each skipped period's evictions on those times
(the same rule on the same events), checking after each eviction that they still compare
as in the confirmed period, and that none passes a creation time of another workload above
the clock; it skips only as many periods as hold.

So each cycle's events are hashed; once the last cycles repeat the ones before them (the
shortest such period, or a multiple of it while the creation times' order rotates), the
cycle is a candidate, whose whole state is checked ``p`` cycles later against the events and
state of the window before (A50: a run first tries the period of the engine's last repeat,
as soon as it has run that many cycles and one). Once it holds, the whole periods that fit
in the limit (A49: the last one too; before, all but the last) are added as copies of the
window's events (or, on a compact engine, listed: A29), and the engine runs the rest of its
limit as before (so the limit ends it at the same cycle, in the same state; the workloads
admitted in the last period keep the confirmed period's admission numbers, which compare
with every other alike). Only with a clock (the twin, replays): without one an eviction
time is a fresh sequence number, never the same twice.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from typing import Any, Protocol

from aifab.sched._cycle import Tries
from aifab.sched._index import Index
from aifab.sched._preempt import Admitted
from aifab.sched._workload import Workload

SKIP = True  # off: every cycle is run (tests compare both)
STEPS = 16  # the longest period of the events looked for, in cycles run by ``step()``
LONG = 4  # runs of fewer cycles (most) look for no period
MULT = 8  # the most periods of the events the whole state's period is looked for in
ABOVE = True  # A51: _ceiling reads the workloads noted above the clock (False: all; tests)
HINT = True  # A50: the last repeat's period tried first (False: not; tests)
LAST = True  # A49: the last whole period is skipped too (False: run, as before; tests)
# A63: the last repeat's period (A50) is tried on the run's first cycles run by ``step()``,
# its window starting where the run starts (False: after one more, as before; tests)
EARLY = True


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
    admitted: dict[str, Admitted]
    pending: dict[str, Workload]
    parked: set[str]
    bulk: dict[str, dict[str, list[tuple[str, str]]]] | None
    _nominated: dict[str, str]
    _sorted: dict[str, list[Workload]]
    _skip: dict[str, tuple[set[str], int]]
    tries: Tries
    index: Index
    loops: list[Loop]
    hint: int
    ghosts: dict[str, float] | None
    above: Above | None
    compact: bool
    elided: list[tuple[int, list[Any], int, int]]

    @property
    def events(self) -> list[Any]: ...


def _moved(eng: Engine, start: int) -> dict[str, Workload]:
    """The workloads admitted, preempted or preempting in this run so far."""
    out: dict[str, Workload] = {}
    for e in eng.events[start:]:
        for n in (e.workload, e.by):
            if n is not None and n not in out:
                w = eng.pending.get(n)
                out[n] = w if w is not None else eng.admitted[n].wl
    return out


def _order(times: dict[str, float], clock: float) -> tuple[tuple[str, int, int], ...]:
    """How creation times compare: each one's rank among them and its side of the clock."""
    rank = {v: i for i, v in enumerate(sorted(set(times.values())))}
    return tuple(sorted((n, rank[v], (v > clock) - (v < clock)) for n, v in times.items()))


def held(eng: Engine, moved: dict[str, Workload]) -> tuple[Any, ...]:
    """Of a state (``_state``, A67's), all but the creation times and the classes: the
    moved workloads admitted (where, with what usage) and pending, the set-aside workloads,
    the nominees and P10's evictors."""
    adm = eng.admitted
    return (frozenset((n, a.cq, tuple(sorted(a.usage.items())),
                       tuple(sorted((k, tuple(v)) for k, v in a.placement.items())))
                      for n in moved if (a := adm.get(n)) is not None),
            frozenset(n for n in moved if n in eng.pending),
            frozenset(eng.parked), tuple(sorted(eng._nominated.items())),
            tuple(sorted(eng.index.evictor.items())), frozenset(eng.ghosts or ()))


def _state(eng: Engine, moved: dict[str, Workload]) -> tuple[Any, ...]:
    """What decides the next cycles (see the module docstring); ``moved``: ``_moved()``.
    Of the admitted and pending workloads only those moved in this run: the others are
    where they were when it started, with the usage and placement they had (A29; two
    states with different moved workloads differ)."""
    assert eng.clock is not None
    return (held(eng, moved), _order({n: w.created for n, w in moved.items()}, eng.clock),
            frozenset((q, c) for q, cs in (eng.bulk or {}).items() for c in cs))  # A2c


class Above:
    """A51: the workloads whose creation time was above the engine's clock when it was set
    (at submission, eviction or a skip), the only ones ``_ceiling`` can find while the
    clock stands at or after every clock one was left out at (``upto``): a creation time
    at or below a clock stays so at any later one. So ``_ceiling`` reads those few, not
    every admitted workload, at each skip. It also keeps the latest creation time ever set
    (A67 reads it)."""

    newest = math.inf  # (an Above pickled before A67: unknown)

    def __init__(self) -> None:
        self.names: dict[str, float] = {}
        self.upto = -math.inf  # the latest clock a workload was left out at
        self.newest = -math.inf  # the latest creation time set

    def note(self, w: Workload, clock: float | None) -> None:
        if w.created > self.newest:
            self.newest = w.created
        if clock is None or w.created > clock:
            self.names[w.name] = w.created
        elif clock > self.upto:
            self.upto = clock


def _ceiling(eng: Engine, moved: dict[str, Workload], clock: float) -> float:
    """The earliest creation time above the clock of a workload not moved (inf if none)."""
    out = math.inf
    ab = eng.above
    if ABOVE and ab is None:  # (an engine pickled before A51: every workload read once)
        ab = eng.above = Above()
        for ws in (eng.pending.values(), (a.wl for a in eng.admitted.values())):
            for w in ws:
                ab.note(w, clock)
    if ABOVE and ab is not None and clock >= ab.upto:
        for n, t in list(ab.names.items()):
            a = eng.admitted.get(n)
            x = eng.pending.get(n) if a is None else a.wl
            if x is None or x.created != t or t <= clock:  # gone, moved since, or passed
                del ab.names[n]
                if x is not None and x.created == t:
                    ab.upto = max(ab.upto, clock)
            elif t < out and n not in moved:
                out = t
        return out
    for ws in (eng.pending.values(), (a.wl for a in eng.admitted.values())):
        for w in ws:
            if clock < w.created < out and w.name not in moved:
                out = w.created
    return out


def _requeued(clock: float, by: float) -> float:
    """``_evicted_at`` with a clock: a victim's new creation time, its preemptor's ``by``."""
    return math.nextafter(by, math.inf) if clock <= by else clock


def _replay(times: dict[str, float], evictions: list[tuple[str, str]], clock: float,
            top: float, fixed: list[float]) -> list[tuple[object, ...]] | None:
    """Apply one period's evictions to ``times`` (in place); how they compare after each
    (``_compare``), or None when one passes ``top``."""
    out: list[tuple[object, ...]] = []
    for v, by in evictions:
        t = times[v] = _requeued(clock, times[by])
        if t >= top:
            return None
        out.append(_compare(times, evictions, clock, fixed))
    return out


def _compare(times: dict[str, float], evictions: list[tuple[str, str]], clock: float,
             fixed: list[float]) -> tuple[object, ...]:
    """How the creation times of the workloads a period evicts compare with each other,
    with the clock and with ``fixed`` (the sorted times of the other moved workloads, which
    the period does not move): with those fixed, the same as ``_order`` of them all."""
    mine = {v: times[v] for v, _ in evictions}
    rank = {t: i for i, t in enumerate(sorted(set(mine.values())))}
    return tuple((v, rank[t], bisect_left(fixed, t), bisect_right(fixed, t),
                  (t > clock) - (t < clock)) for v, t in sorted(mine.items()))


def _period(marks: list[tuple[int, int, int]]) -> int:
    """The fewest cycles run by ``step()``, ``k`` (at most ``STEPS``), after which the last
    ``k`` repeat the ``k`` before them (the same events by hash, the same gaps between
    cycle numbers); 0 if none."""
    m = len(marks)
    for k in range(1, min(STEPS, (m - 1) // 2) + 1):
        if all(marks[-i][2] == marks[-i - k][2] and
               marks[-i][0] - marks[-i - 1][0] == marks[-i - k][0] - marks[-i - k - 1][0]
               for i in range(1, k + 1)):
            return k
    return 0


def _same(eng: Engine, a: int, b: int, c: int, p: int) -> bool:
    """Events [a, b) and [b, c) alike, cycle numbers ``p`` apart."""
    ev = eng.events
    if b - a != c - b:
        return False
    return all((x.kind, x.workload, x.cluster_queue, x.flavors, x.by, x.cycle + p) ==
               (y.kind, y.workload, y.cluster_queue, y.flavors, y.by, y.cycle)
               for x, y in zip(ev[a:b], ev[b:c], strict=True))


# a candidate: (its cycle, events so far, state, period, window start, sequence no.,
# creation times of the workloads moved so far)
_Cand = tuple[int, int, tuple[Any, ...], int, int, int, dict[str, float]]


class Repeats:
    """One ``run()``'s cycles and its candidate repeat."""

    def __init__(self, eng: Engine) -> None:
        self.on = SKIP and eng.clock is not None and not eng.prune
        self.start = len(eng.events)
        self.first = eng.cycle  # (the cycle the run starts at: A63's window starts there)
        # per cycle run by ``step()``: (its number, events so far, a hash of its events)
        self.marks: list[tuple[int, int, int]] = []
        self.mult = 1  # the candidate's period in periods of the events
        self.cand: _Cand | None = None
        self.k = 0  # the candidate's period in cycles run by ``step()``
        # A50: the period (in such cycles) of the last repeat the engine found, tried as a
        # candidate as soon as that many cycles and one have run (once per run)
        self.hint = eng.hint if HINT else 0
        self.hinted = False  # the candidate is the hint's
        # A63: the hint's usual candidate, taken while its early one (on the run's first
        # cycles) is still open; it takes over if that one fails
        self.later: _Cand | None = None

    def after(self, eng: Engine, left: int) -> int:
        """After a cycle that changed something, with ``left`` cycles to go: what is left
        once whole repeats are skipped."""
        if not self.on:
            return left
        c, n = eng.cycle, len(eng.events)
        marks = self.marks
        last = marks[-1][1] if marks else self.start
        marks.append((c, n, hash(tuple((e.kind, e.workload, e.by) for e in eng.events[last:n]))))
        if self.cand is not None:
            c1, n1, state, p, n0, seq, times = self.cand
            if c < c1 + p:
                if EARLY and self.hinted and len(marks) == self.hint + 1:
                    self.later = self._taken(eng, self.hint)  # A63 (as A50 would take it)
                return left
            self.cand = None
            same = c == c1 + p and _same(eng, n0, n1, n, p)
            moved = _moved(eng, self.start) if same else {}
            if same and _state(eng, moved) != state:
                # the events repeat but not yet the creation times' order, which may
                # rotate over several periods: look for a multiple of the period next
                # (not after the hint's candidate: the search below goes on as without it)
                if not self.hinted:
                    self.mult = self.mult % MULT + 1
            elif same:
                self.on = False  # what is left runs as before
                assert eng.clock is not None
                eng.loops.append(Loop(eng.clock, c, p, tuple(sorted(
                    {(e.workload, e.cluster_queue) for e in eng.events[n1:n]}))))
                eng.hint = self.k
                return _skip(eng, moved, n1, n, p, eng._seq - seq, left, times)
            self.hinted = False
            if self.later is not None:  # A63: the early window failed, A50's goes on
                self.cand, self.later, self.hinted = self.later, None, True
                return left
        if self.hint and (len(marks) == self.hint + 1 or (EARLY and len(marks) == self.hint)):
            self.hinted = True  # A50: the last repeat's period (A63: from the run's start)
            self._candidate(eng, self.hint)
            return left
        if len(marks) < LONG:
            return left
        k = _period(marks) * self.mult
        if k and k < len(marks):
            self._candidate(eng, k)
        return left

    def _candidate(self, eng: Engine, k: int) -> None:
        """The cycle just run, a candidate with the period of the last ``k`` cycles run by
        ``step()``: its state is compared with the state that many cycles later."""
        self.k = k
        self.cand = self._taken(eng, k)

    def _taken(self, eng: Engine, k: int) -> _Cand:
        """A candidate at the cycle just run, with the period of the last ``k`` cycles run by
        ``step()`` (A63: of the run's first ``k``, its window starting where the run
        starts)."""
        c, n = eng.cycle, len(eng.events)
        c0, n0 = self.marks[-1 - k][:2] if len(self.marks) > k else (self.first, self.start)
        moved = _moved(eng, self.start)
        return (c, n, _state(eng, moved), c - c0, n0, eng._seq,
                {w: x.created for w, x in moved.items()})


def _skip(eng: Engine, moved: dict[str, Workload], a: int, b: int, p: int, ticks: int,
          left: int, before: dict[str, float]) -> int:
    """Add ``m`` copies of the period's events [a, b) (every whole period that fits in
    ``left``, A49, and no more than keep the creation times comparing as in the period;
    ``before``: those at its start), set the creation times the evictions of the skipped
    periods give, and move the cycle and sequence counters on as running them would
    have."""
    m = left // p - (0 if LAST else 1)  # A49: the last whole period too
    if m <= 0:
        return left
    assert eng.clock is not None
    clock, ev = eng.clock, eng.events
    period = ev[a:b]
    evictions = [(x.workload, x.by) for x in period if x.kind == "preempt" and x.by]
    ref = dict(before)
    gone = {v for v, _ in evictions}
    fixed = sorted(t for n, t in ref.items() if n not in gone)  # not moved by the period
    want = _replay(ref, evictions, clock, math.inf, fixed)  # the confirmed period, replayed
    times = {n: w.created for n, w in moved.items()}
    if want is None or ref != times:  # (not reached: the engine's own rule)
        return left
    top = _ceiling(eng, moved, clock)
    done = 0
    while done < m:
        nxt = dict(times)
        if _replay(nxt, evictions, clock, top, fixed) != want:
            break
        if nxt == times:  # the period leaves the times as they are: so does every one
            done = m
            break
        times, done = nxt, done + 1
    if done == 0:
        return left
    m = done
    for n, w in moved.items():
        if w.created != times[n]:
            w.created = times[n]
            if eng.above is not None:
                eng.above.note(w, clock)
            if n in eng.pending:  # re-sorted and walked again (the same order)
                eng._sorted.pop(w.queue, None)
                eng.tries.moved(w.queue, eng._skip)
    if eng.compact:  # A29: the copies are listed, not made
        eng.elided.append((len(ev), period, m, p))
    else:
        for k in range(1, m + 1):
            ev.extend(replace(x, cycle=x.cycle + k * p) for x in period)
    eng.cycle += m * p
    eng._seq += m * ticks
    return left - m * p
