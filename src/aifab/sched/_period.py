"""When a run of units repeats (rules A75 and A76, docs/sched.md; speed only: the same
events, the same state), read beside A69's own test (``_units._confirm``).

A69 gives a unit once the last ``p`` units each repeated the one ``p`` before it (``2 p``
units since the last other call). The engine is deterministic and its decisions do not move
with the clock itself, so it is enough that the state after the last unit is the state after
the unit ``p`` before it, moved on by the time between them: the next unit with the same
calls and requeue then does what the unit ``p`` before it did, and so on. Between those two
states only the ``p`` units ran (no other call), and a unit moves a workload only by its
calls (``Engine.evicted``) and by admitting or evicting it (``Engine._admit``;
``_hold.doom``: units are only under A5d); before the first such move in a unit the engine
notes how it found the workload (A75, ``Unit.pre``). So the state a period back is read,
for each workload the last ``p`` units moved, from the earliest of their notes, and, for
the rest (the set-aside workloads and classes, the nominees, the evictors, the workloads
being evicted, the requeues due, A50's hint), from the unit ``p`` back: ``p + 1`` units
after another call instead of ``2 p``.

A76: A69 also needs every other creation time below the lowest of those the units' calls
set, one period back, so that each compares with every other as it did. A pending
workload's creation time orders its queue and the fair-sharing tournament; an admitted
one's is read only by the "newer" test of its own queue's withinClusterQueue
LowerOrNewerEqualPriority (P1), and is set anew (its eviction time, A1) before it is pending
again. So of the admitted workloads only those of such queues are read.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aifab.sched._engine import Engine

EARLY = True  # A75: a repeat found from p + 1 units (False: from 2 p only, tests)
NEWER = True  # A76: admitted workloads' creation times read where compared (False: all)
PERIOD = 8  # the longest period looked for, in units (A69's)


def moves(eng: Engine, name: str) -> None:
    """A75: before the engine admits or evicts ``name``: note how it was, the first time in
    a unit."""
    u = eng._chain
    if u is not None and name not in u.pre:
        u.pre[name] = raw(eng, name)


def raw(eng: Engine, name: str) -> tuple[Any, ...] | None:
    """What ``_fp`` reads of a workload, its times as they are (None: no such workload)."""
    a = eng.admitted.get(name)
    w = a.wl if a is not None else eng.pending.get(name)
    if w is None:
        return None
    g = (eng.ghosts or {}).get(name)
    return (None if a is None else (
        a.cq, tuple(sorted(a.usage.items())),
        tuple(sorted((k, tuple(v)) for k, v in a.placement.items()))), g, w.created)


def early(eng: Engine, hist: list[Any]) -> tuple[int, float] | None:
    """A75: of A69's kept units (``hist``, ``_units.Unit``: this module does not import
    ``_units``, which imports it), the period and time by which the state after the last
    unit is the state after the unit ``p`` before it, moved on by that time, read from what
    each of the last ``p`` units found of the workloads it moved before it first moved them
    (``Unit.pre``), or None; ``p + 1`` units, where A69's ``_confirm`` needs ``2 p``."""
    if not EARLY:
        return None
    last, clock = hist[-1], hist[-1].clock
    for p in range(1, PERIOD + 1):
        if len(hist) < p + 1:
            break
        then = hist[-1 - p]
        d = clock - then.clock
        if d <= 0.0 or last.state[1:] != then.state[1:]:
            continue
        window = hist[-p:]
        shifted = frozenset().union(*(h.shifted for h in window))
        first: dict[str, Any] = {}
        for h in reversed(window):  # (the earliest unit's note wins)
            first.update(h.pre)
        if all(_moved_on(raw(eng, n), was, clock, then.clock, n in shifted)
               for n, was in first.items()) and below(eng, shifted, d):
            return p, d
    return None


def _moved_on(now: tuple[Any, ...] | None, was: tuple[Any, ...] | None, clock: float,
              then: float, shifted: bool) -> bool:
    """A75: whether a workload is now (at ``clock``) as it was at ``then`` (``_raw``): its
    eviction time as far below the clock, its creation time too if ``shifted``, else the
    same."""
    if now is None or was is None:
        return now is was
    if now[0] != was[0] or (now[1] is None) != (was[1] is None):
        return False
    if now[1] is not None and now[1] - clock != was[1] - then:
        return False
    made, was_made = float(now[2]), float(was[2])
    return made - clock == was_made - then if shifted else made == was_made


def below(eng: Engine, shifted: frozenset[str], d: float) -> bool:
    """Whether every creation time but those of ``shifted`` (set by the window's calls) is
    below the lowest of those one period back (so each compares with every other as it
    did)."""
    if not shifted:
        return True
    adm, pending = eng.admitted, eng.pending
    # (one float step down: the subtraction may round up)
    low = math.nextafter(min((adm[n].wl if n in adm else pending[n]).created
                             for n in shifted) - d, -math.inf)
    if not NEWER:
        return all(w.created < low or n in shifted for n, w in pending.items()) and \
            all(a.wl.created < low or n in shifted for n, a in adm.items())
    # A76: an admitted workload's creation time is read only by the "newer" test of its
    # own queue's withinClusterQueue LowerOrNewerEqualPriority, and set again (its eviction
    # time) before it is pending again
    newer = _newer(eng)
    return all(w.created < low or n in shifted for n, w in pending.items()) and \
        all(a.wl.created < low or n in shifted for n, a in adm.items() if a.cq in newer)


def _newer(eng: Engine) -> frozenset[str]:
    """A76: the ClusterQueues whose withinClusterQueue is LowerOrNewerEqualPriority."""
    m = eng.m
    got = _NEWER.get(id(m))
    if got is None or got[0] is not m:
        if len(_NEWER) > 64:
            _NEWER.clear()
        got = _NEWER[id(m)] = (m, frozenset(
            q for q, c in m.cluster_queues.items()
            if c.preemption.within_cluster_queue == "LowerOrNewerEqualPriority"))
    return got[1]


_NEWER: dict[int, tuple[Any, frozenset[str]]] = {}  # per configuration (its id): _newer's
