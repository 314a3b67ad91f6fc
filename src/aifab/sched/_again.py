"""A run taken up again by a requeue that repeats the runs before it (rule A67,
docs/sched.md; speed only: the same events with the same cycle numbers, the same state).

A preemption loop that ran to ``run()``'s cycle limit (A27) asks, through its evictions,
for its cohort tree's requeue a second later (A2b), and the twin runs the engine then. When
nothing was submitted or finished in between, that run starts from the state the last one
left, with the tree's set-aside workloads put back in their queues, and most often does
exactly what the last one did: the same admissions and preemptions, cycle for cycle, to
the same cycle limit. Kueue's requeuer does the same every second while such a loop lasts.

The engine is deterministic, and what a run decides does not move with the clock itself:
creation times are only compared with each other and with the clock (A1, A3, P2; a victim
is requeued at the clock, or just after a preemptor created at or after it: A27). So when
two runs ended alike, each a second after the other with no caller's call around them, the
next one is the same again, shifted by the time between them:

- the two runs made the same events (admissions, preemptions, A27's repeats, the same
  number of cycles and of sequence numbers used);
- they ended in the same state: of the workloads they moved (the others are as they were:
  nothing else touched them), whether each is admitted, where and with what usage, and its
  creation time, the same time for those not evicted, and for the evicted ones the same
  number of float steps above the run's own clock; the workloads and classes set aside, each
  queue's nominee, the evictors of classic preemption and A50's period hint;
- every other creation time is below the clock of the first of the two (one above it, a
  workload's created for later or a time creeping above the clock in an earlier run's loop,
  would compare differently with the two runs' evictions): every time the two set is an
  evicted workload's, so it is enough that the latest time set before the first began
  (A51's note keeps it) is below its clock; when it is not, every workload is read;
- the requeue before the next run puts back in their queues the same set-aside workloads
  and classes as the one before the last (which trees it serves, and which still wait, move
  no decision: a run does not read them).

Then the next run's state is the last one's, moved on by the clock, and so are its events
and the state it leaves: the engine gives those (copies of the last run's events with their
cycle numbers moved on, the evicted workloads' creation times as many float steps above the
new clock, the set-aside workloads and classes the requeue put back set aside again, the
counters moved on, the trees its evictions ask a requeue of) instead of running the cycles.
The admitted workloads keep their admission records: the run would admit them again in the
same order, after every other, so they compare with every other alike (A27), and the quota
tree's usage and the candidate indexes hold the same workloads. Only on a compact engine
(the twin's, A29), whose caller reads each run's events once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from aifab.sched._cycle import Tries
from aifab.sched._preempt import Admitted
from aifab.sched._repeat import Above, Loop, _moved, held
from aifab.sched._requeue import Classes
from aifab.sched._workload import Workload

ON = True  # off: every run is run (tests compare both)

Served = tuple[set[str], Classes]  # what the requeue before a run put back in their queues


class Engine(Protocol):
    """What a repeated run reads and moves of :class:`~._engine.Engine`."""

    clock: float | None
    compact: bool
    cycle: int
    _seq: int
    _calls: int
    _last: Last | None
    _fixed: bool
    repeated: int
    _due: dict[str, float] | None
    _root: dict[str, str]
    requeue_s: float
    hint: int
    admitted: dict[str, Admitted]
    pending: dict[str, Workload]
    parked: set[str]
    reasons: dict[str, list[tuple[str, str]]]
    bulk: Classes | None
    prune: bool
    _nominated: dict[str, str]
    ghosts: dict[str, float] | None
    _sorted: dict[str, list[Workload]]
    _skip: dict[str, tuple[set[str], int]]
    tries: Tries
    index: Any
    loops: list[Loop]
    above: Above | None
    elided: list[tuple[int, list[Any], int, int]]
    events: list[Any]


@dataclass
class Last:
    """What a run that ended at its cycle limit did and left (see the module docstring)."""

    calls: int  # the engine's count of callers' calls when it ended
    newest: float  # the latest creation time set before it began (A51's note)
    clock: float
    limit: int
    quiet: bool  # no caller's call since the run before it ended
    back: tuple[frozenset[str], frozenset[Any]]  # what the requeue before it put back
    c0: int  # the cycle it started at
    sig: tuple[Any, ...]  # its events, cycles and sequence numbers, relative to its start
    events: list[Any]
    elided: list[tuple[int, list[Any], int, int]]
    loops: list[Loop]
    steps: dict[str, int]  # evicted workload -> its creation time's float steps above clock
    state: tuple[Any, ...]  # what it left
    roots: frozenset[str]  # the cohort trees its evictions ask a requeue of
    queues: frozenset[str]  # the ClusterQueues of the workloads it moved
    sure: bool = False  # it and the run before it ended alike: the next run repeats it


def _steps(t: float, clock: float) -> int | None:
    """How many float steps ``t`` is above ``clock`` (None: not a whole number of steps of
    ``clock``'s binade)."""
    u = math.ulp(clock)
    k = (t - clock) / u
    if t < clock or k != int(k) or math.ulp(t) != u or clock + int(k) * u != t:
        return None
    return int(k)


def _state(eng: Engine, moved: dict[str, Workload], steps: dict[str, int]
           ) -> tuple[Any, ...]:
    return (held(eng, moved),  # (A27's, and of the creation times:)
            frozenset((n, w.created) for n, w in moved.items() if n not in steps),
            frozenset(steps.items()),
            frozenset((q, c, tuple(r)) for q, cs in (eng.bulk or {}).items()
                      for c, r in cs.items()), eng.hint)


def note(eng: Engine, limit: int, served: Served | None,
         start: tuple[int, float, int, int, int]) -> None:
    """After a run (``start``: the engine's count of callers' calls, the latest creation
    time set, the cycle, sequence number and loops found, when it started): keep what it
    did when it ended at its cycle limit, and whether it repeats the run before it
    (``Last.sure``)."""
    prev, eng._last = eng._last, None
    calls0, newest, c0, q0, l0 = start
    if not ON or not eng.compact or eng._fixed or eng.clock is None or served is None or \
            eng.prune:
        return
    clock, ev = eng.clock, eng.events
    evicted = {e.workload for e in ev if e.kind == "preempt"}
    moved = _moved(eng, 0)
    steps: dict[str, int] = {}
    for n in evicted:
        k = _steps(moved[n].created, clock)
        if k is None:
            return
        steps[n] = k
    sig = (tuple((e.kind, e.workload, e.cluster_queue, e.flavors, e.by, e.cycle - c0)
                 for e in ev),
           tuple((at, tuple((e.kind, e.workload, e.cluster_queue, e.by, e.cycle - c0)
                            for e in period), m, p) for at, period, m, p in eng.elided),
           tuple((lp.cycle - c0, lp.period, lp.workloads) for lp in eng.loops[l0:]),
           eng.cycle - c0, eng._seq - q0)
    root = eng._root
    quiet = prev is not None and prev.calls == calls0
    last = Last(eng._calls, newest, clock, limit, quiet, _back(served), c0,
                sig, list(ev), list(eng.elided), list(eng.loops[l0:]), steps,
                _state(eng, moved, steps),
                frozenset(root[e.cluster_queue] for e in ev if e.kind == "preempt"),
                frozenset(w.queue for w in moved.values()))
    if last.quiet:
        assert prev is not None
        # two runs with no caller's call between them, the clock moving on; every creation
        # time but those the two set below the first one's clock: every time the two set
        # is an evicted workload's, so every other was set before the first began (when
        # that is not known to be below, every workload is read)
        last.sure = (prev.clock < clock and prev.limit == limit and prev.sig == sig
                     and prev.state == last.state
                     and (prev.newest < prev.clock or _below(eng, evicted, prev.clock)))
    eng._last = last


def _below(eng: Engine, evicted: set[str], clock: float) -> bool:
    """Whether every workload but ``evicted`` has a creation time below ``clock``."""
    for w in eng.pending.values():
        if w.created >= clock and w.name not in evicted:
            return False
    return all(a.wl.created < clock or n in evicted for n, a in eng.admitted.items())


def _back(served: Served) -> tuple[frozenset[str], frozenset[Any]]:
    """The workloads and classes a requeue put back in their queues (what a run decides
    from: which trees it served, and which still wait, move no decision)."""
    return frozenset(served[0]), frozenset((q, c, tuple(r)) for q, cs in served[1].items()
                                           for c, r in cs.items())


def repeat(eng: Engine, limit: int, served: Served | None) -> bool:
    """Before a run: when the last two runs ended alike and nothing was called since, give
    the next one's events and state as the last run's moved on (the module docstring);
    whether it did."""
    last = eng._last
    if last is None or not last.sure or not ON:
        return False
    clock = eng.clock
    if served is None:
        return False
    parked, bulk = served
    if eng._calls != last.calls or clock is None or clock <= last.clock or \
            limit != last.limit or _back(served) != last.back or not eng.compact:
        return False  # (the run's note() compares it with the last one)
    u = math.ulp(clock)
    times = {n: clock + k * u for n, k in last.steps.items()}
    if any(math.ulp(t) != u for t in times.values()):  # (a binade crossed)
        return False
    # the set-aside workloads and classes the requeue put back are set aside again
    eng.parked.update(parked)
    if bulk and eng.bulk is not None:
        eng.bulk.update(bulk)
    above = eng.above
    for n, t in times.items():
        a = eng.admitted.get(n)
        w = eng.pending.get(n) if a is None else a.wl
        assert w is not None
        w.created = t
        if above is not None:
            above.note(w, clock)
        if a is None:
            eng._sorted.pop(w.queue, None)
    for q in last.queues:
        eng.tries.moved(q, eng._skip)
    d = eng.cycle - last.c0
    eng.events = _shifted(last.events, d)
    eng.elided = [(at, _shifted(period, d), m, p) for at, period, m, p in last.elided]
    eng.loops.extend(Loop(clock, lp.cycle + d, lp.period, lp.workloads) for lp in last.loops)
    eng.cycle += last.sig[3]
    eng._seq += last.sig[4]
    due = eng._due
    if due is not None:
        for r in last.roots:
            if r not in due:
                due[r] = clock + eng.requeue_s
    eng._fixed = False
    eng.repeated += 1
    last.clock = clock
    return True


def _shifted(events: list[Any], d: int) -> list[Any]:
    """Copies of ``_engine.Event``s with their cycle numbers moved on by ``d`` (as
    ``dataclasses.replace``, which costs a few times more: a given run copies tens)."""
    return [type(e)(e.kind, e.workload, e.cluster_queue, e.cycle + d, e.flavors, e.by)
            for e in events]


def whole(eng: Engine, events: list[Any]) -> tuple[Any, ...]:
    """A run's events (the copies A29 lists included) and the engine's whole state after it,
    the admitted workloads' order of admission included: what an exact speed rule must
    leave as it was (tests, ``benchmarks/sched_replay.py beside``)."""
    adm = eng.admitted
    return ([(x.kind, x.workload, x.cluster_queue, x.flavors, x.by, x.cycle) for x in events],
            [(at, [(x.kind, x.workload, x.by, x.cycle) for x in p], m, c)
             for at, p, m, c in eng.elided],
            eng.cycle, eng._seq, eng._fixed, eng.hint,
            sorted(adm, key=lambda n: adm[n].at),
            sorted((n, a.cq, sorted(a.usage.items()), a.wl.created) for n, a in adm.items()),
            sorted((n, w.created) for n, w in eng.pending.items()), sorted(eng.parked),
            sorted((q, sorted(c.items())) for q, c in (eng.bulk or {}).items()),
            sorted(eng.reasons.items()), sorted(eng._nominated.items()),
            sorted((eng._due or {}).items()), sorted((eng.ghosts or {}).items()),
            [(lp.clock, lp.cycle, lp.period, lp.workloads) for lp in eng.loops])
