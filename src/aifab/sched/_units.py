"""A unit of calls and run taken up again (rule A69, docs/sched.md; speed only: the same
events with the same cycle numbers, the same state).

Under A5d Kueue's flapping (kubernetes-sigs/kueue#14543, L11) plays out over simulated
time: a victim's pods are gone (``Engine.evicted``), the engine runs, the victim is admitted
again into the quota it freed, and its preemptor preempts it again; a second later its pods
are gone again, and so on until something else moves. Call such a *unit* the ``evicted``
calls since the last run together with the run. When nothing but those calls reaches the
engine, each unit starts from the state the unit ``p`` before it left, moved on by the
clock, and does the same (``p`` is 1 for one flapping preemptor, 2 when two alternate).

The engine is deterministic, and a run's decisions do not move with the clock itself
(creation times are only compared with each other and with the clock, A1, A3, P2; the
requeues due, A2b, are compared with the clock). So once, for ``p`` consecutive units, the
unit ``p`` before each made the same calls (the same workloads, their eviction times as far
below the run's clock), had the same set-aside workloads put back by the requeue, made the
same events (admissions with their flavors, preemptions with their preemptor, cycle for
cycle, the same sequence numbers used) and left the same state -- of the workloads its
calls and events named, whether each is admitted, where and with what usage, its creation
time (as far below the clock for those its calls put back, the same time for the others)
and eviction time (as far below the clock); the set-aside workloads and classes, the
nominees, classic preemption's evictors, the workloads being evicted, the requeues due (as
far ahead of the clock) and A50's hint -- and every other creation time is below the
lowest creation time the calls set, one period back (so every creation time compares with
every other as it did), the state after the last unit is the state after the unit ``p``
before it, moved on by the period. A next unit with the same calls, ``p`` units after the
one it repeats and one period later, then does what that one did. The engine gives it:
after the calls (made as ever) and the requeue (served as ever), it admits and preempts
the same workloads through its own ``_admit`` and ``_evict`` (eviction times, usage,
topology domains and every index moved as a run moves them), writes the reasons the run
wrote and leaves the same set-aside workloads, classes and nominees, instead of running
the cycles. Only on a compact engine (the twin's, A29) holding victims (A5d) with a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from aifab.sched import _hold
from aifab.sched._again import _back
from aifab.sched._assign import Assignment
from aifab.sched._period import PERIOD, below, early, raw

if TYPE_CHECKING:
    from aifab.sched._engine import Engine

ON = True  # off: every unit is run (tests compare both)


class Reasons(dict[str, list[tuple[str, str]]]):
    """``Engine.reasons``, noting the workloads whose reasons are written or dropped while
    ``touched`` is a set (a run's writes, which a given unit writes again)."""

    touched: set[str] | None = None

    def __setitem__(self, key: str, value: list[tuple[str, str]]) -> None:
        if self.touched is not None:
            self.touched.add(key)
        super().__setitem__(key, value)

    def update(self, *args: Any, **kw: Any) -> None:
        if self.touched is None:
            super().update(*args, **kw)
            return
        got = dict(*args, **kw)
        self.touched.update(got)
        super().update(got)

    def pop(self, key: str, *default: Any) -> Any:  # type: ignore[override]
        if self.touched is not None:
            self.touched.add(key)
        return super().pop(key, *default)


@dataclass
class Unit:
    """What a unit (its calls and its run, which reached a fixed point) did and left."""

    clock: float
    calls: tuple[tuple[str, float, float], ...]  # name, call time and eviction time - clock
    back: tuple[frozenset[str], frozenset[Any]]  # what the requeue before the run put back
    sig: tuple[Any, ...]  # its events relative to its first cycle, cycles, sequence numbers
    c0: int
    events: list[Any]
    use: dict[str, tuple[dict[Any, float], dict[str, list[tuple[str, int, float]]]]]
    reasons: dict[str, list[tuple[str, str]] | None]  # written by the run -> at its end
    parked: frozenset[str]
    bulk: dict[str, dict[str, list[tuple[str, str]]]]
    nominated: dict[str, str]
    state: tuple[Any, ...]
    shifted: frozenset[str]  # the workloads its calls put back
    # A75: the workloads its calls put back and its run admitted or evicted, each as it was
    # before the unit first moved it (``_raw``); nothing else moves a workload in a unit
    pre: dict[str, Any] = field(default_factory=dict)


@dataclass
class Units:
    """An engine's units since the last break, the ``evicted`` calls since its last run,
    and the period (units) and time between repeats once confirmed (``sure``)."""

    hist: list[Unit] = field(default_factory=list)
    calls: list[tuple[str, float, float]] = field(default_factory=list)
    calls_end: int = -1  # the engine's count of callers' calls when its last run ended
    sure: tuple[int, float] | None = None
    given: int = 0
    pre: dict[str, Any] = field(default_factory=dict)  # A75: the unit running's (Unit.pre)


def _on(eng: Engine) -> bool:
    return ON and eng.compact and eng.hold and eng.clock is not None and not eng.prune \
        and eng._due is not None


def _of(eng: Engine) -> Units:
    u = eng._chain
    if u is None:
        u = eng._chain = Units()
    return u


def called(eng: Engine, name: str) -> None:
    """Before ``Engine.evicted(name)``: note the call (its time and the victim's eviction
    time, which becomes its creation time)."""
    if _on(eng):
        assert eng.ghosts is not None and eng.clock is not None
        u = _of(eng)
        u.calls.append((name, eng.clock, eng.ghosts[name]))
        if name not in u.pre:
            u.pre[name] = raw(eng, name)


def _relative(calls: list[tuple[str, float, float]], clock: float
              ) -> tuple[tuple[str, float, float], ...]:
    """A unit's calls with their call and eviction times as far below its run's clock."""
    return tuple((n, c - clock, g - clock) for n, c, g in calls)


def _quiet(eng: Engine, u: Units) -> bool:
    """Whether every caller's call since the last run was an ``evicted`` call."""
    return u.calls_end >= 0 and eng._calls - u.calls_end == len(u.calls)


def begin(eng: Engine) -> tuple[bool, int, int, int] | None:
    """Before a run's cycles: note the reasons it writes; what ``note`` compares."""
    if not _on(eng):
        eng._chain = None
        return None
    r = eng.reasons
    if not isinstance(r, Reasons):
        r = eng.reasons = Reasons(r)
    quiet = _quiet(eng, _of(eng))
    r.touched = set() if quiet else None  # (a unit after another call is not kept)
    return quiet, eng.cycle, eng._seq, len(eng.loops)


def drop(eng: Engine) -> None:
    """A run given by A67 (or not noted): the units before it are not followed."""
    eng._chain = None


def note(eng: Engine, served: Any, mark: tuple[bool, int, int, int] | None) -> None:
    """After a run's cycles: keep the unit, and whether the last units repeat."""
    if mark is None:
        return
    u, r = _of(eng), eng.reasons
    assert isinstance(r, Reasons) and eng.clock is not None
    touched, r.touched = r.touched or set(), None
    calls, u.calls = u.calls, []
    pre, u.pre = u.pre, {}
    quiet, c0, s0, l0 = mark
    ev = eng.events
    # (a run with no calls and no events, a requeue that moved nothing, is no unit: it
    # ends the chain without the note of its state, which cost a sixth of such runs)
    if not quiet or served is None or not eng._fixed or len(eng.loops) != l0 or \
            not (calls or ev) or \
            eng.elided or eng._seq - s0 != (admits := sum(e.kind == "admit" for e in ev)):
        u.hist.clear()
        u.sure = None
        u.calls_end = eng._calls
        return
    clock = eng.clock
    unit = Unit(clock, _relative(calls, clock), _back(served),
                (tuple((e.kind, e.workload, e.cluster_queue, e.flavors, e.by, e.cycle - c0)
                       for e in ev), eng.cycle - c0, admits),
                c0, list(ev), {}, {n: r.get(n) for n in touched}, frozenset(eng.parked),
                {q: dict(cs) for q, cs in (eng.bulk or {}).items()},
                dict(eng._nominated), (), frozenset(n for n, _, _ in calls), pre)
    for e in ev:
        if e.kind == "admit":
            a = eng.admitted[e.workload]
            unit.use[e.workload] = (a.usage, a.placement)
    unit.state = _state(eng, unit)
    u.hist.append(unit)
    del u.hist[:-2 * PERIOD]
    u.sure = _confirm(eng, u.hist) or early(eng, u.hist)
    u.calls_end = eng._calls


def _names(unit: Unit) -> set[str]:
    """The workloads a unit's calls and events name."""
    names = {n for n, _, _ in unit.calls}
    for e in unit.events:
        names.add(e.workload)
        if e.by is not None:
            names.add(e.by)
    return names


def _state(eng: Engine, unit: Unit) -> tuple[Any, ...]:
    """What decides the next units (the module docstring)."""
    clock, ghosts = eng.clock, eng.ghosts or {}
    assert clock is not None and eng._due is not None
    out: list[tuple[Any, ...]] = []
    for n in sorted(_names(unit)):
        r = raw(eng, n)  # (what A75's notes read)
        out.append((n,) if r is None else (
            n, r[0], None if r[1] is None else r[1] - clock, r[2], r[2] - clock))
    return (tuple(out), unit.parked,
            frozenset((q, c, tuple(r)) for q, cs in unit.bulk.items() for c, r in cs.items()),
            tuple(sorted(unit.nominated.items())), tuple(sorted(eng.index.evictor.items())),
            frozenset(ghosts), tuple(sorted((r, t - clock) for r, t in eng._due.items())),
            eng.hint)


def _confirm(eng: Engine, hist: list[Unit]) -> tuple[int, float] | None:
    """The period and time by which the last units repeat the ones before, or None."""
    for p in range(1, PERIOD + 1):
        if len(hist) < 2 * p:
            break
        d = hist[-1].clock - hist[-1 - p].clock
        if d <= 0.0:
            continue
        pairs = [(hist[-i], hist[-i - p]) for i in range(1, p + 1)]
        if not all(a.clock - b.clock == d and a.calls == b.calls and a.back == b.back
                   and a.sig == b.sig for a, b in pairs):
            continue
        shifted = frozenset().union(*(a.shifted for a, _ in pairs))
        if all(_same(a.state, b.state, shifted) for a, b in pairs) and \
                below(eng, shifted, d):
            return p, d
    return None


def _same(a: tuple[Any, ...], b: tuple[Any, ...], shifted: frozenset[str]) -> bool:
    """Whether two units left the same state (``_state``): a creation time the window's
    calls set as far below its unit's clock, every other one the same."""
    if a[1:] != b[1:] or len(a[0]) != len(b[0]):
        return False
    for x, y in zip(a[0], b[0], strict=True):
        if x[:3] != y[:3]:
            return False
        if len(x) > 1 and (x[4] != y[4] if x[0] in shifted else x[3] != y[3]):
            return False
    return True


def give(eng: Engine, served: Any) -> bool:
    """Before a run's cycles: when the last units repeat and this one's calls and requeue
    are those of the unit it repeats, do what that unit did (the module docstring);
    whether it did."""
    u = eng._chain
    if u is None or u.sure is None or served is None or not _on(eng) or not _quiet(eng, u):
        return False
    p, d = u.sure
    base, clock = u.hist[-p], eng.clock
    assert clock is not None
    if clock - base.clock != d or \
            _relative(u.calls, clock) != base.calls or \
            _back(served) != base.back or not eng.parked <= base.parked:
        return False
    c0, cur = eng.cycle, None
    cqs = eng.m.cluster_queues
    for e in base.events:
        cycle = c0 + e.cycle - base.c0
        if cycle != cur and eng._doomed:
            _hold.restore(eng)  # (the end of the cycle that preempted)
        eng.cycle = cur = cycle
        if e.kind == "admit":
            use, placement = base.use[e.workload]
            eng._admit(cqs[e.cluster_queue], eng.pending[e.workload],
                       Assignment(usage=dict(use), flavors=e.flavors,
                                  placement={k: list(v) for k, v in placement.items()}))
        else:
            eng._evict(eng.admitted[e.workload], e.by)
    if eng._doomed:
        _hold.restore(eng)
    eng.cycle = c0 + base.sig[1]
    reasons = eng.reasons
    for n, v in base.reasons.items():
        if v is None:
            reasons.pop(n, None)
        else:
            reasons[n] = v
    eng.parked |= base.parked
    if eng.bulk is not None:
        eng.bulk.clear()
        eng.bulk.update({q: dict(cs) for q, cs in base.bulk.items()})
    eng._nominated.clear()
    eng._nominated.update(base.nominated)
    eng._fixed, eng._last = True, None
    # (A75: with what its calls and moves found, as a run's unit)
    u.hist.append(replace(base, clock=clock, pre=u.pre))
    del u.hist[:-2 * PERIOD]
    u.calls, u.calls_end, u.pre = [], eng._calls, {}
    u.given += 1
    return True
