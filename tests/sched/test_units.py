"""Rule A69 (docs/sched.md; speed, no change in outcome): under A5d, a unit of ``evicted``
calls and the run after them that does what the unit one or two before it did, from the
same state moved on by the clock, is given (the same admissions and preemptions made through
the engine's own ``_admit`` and ``_evict``) instead of running its cycles.

The engines are test_repeats.py's LOOP and DRIFT and its random loop seeds, with victims held
(A5d) from the start and driven as the twin drives them: each victim's pods are gone a second
after its preemption, each requeue (A2b) is run when due, and a random workload ends or
arrives now and then. Every run is compared, events and whole state, with the rule off.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest
from test_repeats import DRIFT, LOOP, LOOP_SEEDS, random_config, spec_engine

from aifab.sched import Engine, _again, _units, gang


def _random(seed: int) -> tuple[Engine, list[str]]:
    """test_repeats' random loop generator's configuration for ``seed`` (its queues)."""
    return random_config(random.Random(seed))


def _twin(e: Engine, arrivals: list[tuple[float, list[tuple[str, str, int, int]], list[str]]],
          queues: list[str], seed: int, until: float, chance: float = 0.08,
          wake: Callable[[], float] | None = None,
          before: Callable[[Engine, float], None] | None = None,
          after: Callable[[Engine], None] | None = None) -> list[Any]:
    """Drive held victims as the twin does (pods gone ``1 s`` after each preemption, runs at
    each gone time, arrival and requeue; now and then a random finish or arrival); every
    run's events and whole state. The caller's own calls (test_units_early): ``wake()``, the
    next time it wants an instant at; ``before(e, t)``, at each instant just before the
    run; ``after(e)``, just after it."""
    r = random.Random(seed)
    e.hold, e.compact = True, True
    gone: dict[str, float] = {}
    out: list[Any] = []
    todo = list(arrivals)
    n, done = 0, list[str]()
    while True:
        for name, at in (e.ghosts or {}).items():
            gone.setdefault(name, at + 1.0)
        due = e.next_requeue()
        t = min([*gone.values(), todo[0][0] if todo else math.inf,
                 math.inf if due is None else due, math.inf if wake is None else wake()])
        if t > until:
            return out
        e.clock = t
        if todo and todo[0][0] <= t:
            _, jobs, done = todo.pop(0)
            for name, q, g, prio in jobs:
                e.submit(gang(name, q, g, priority=prio, created=t))
        for name in sorted(k for k, v in gone.items() if v <= t):
            del gone[name]
            e.evicted(name)
        x = r.random()
        if x < chance / 2 and e.admitted:  # a job ends (a victim's too: it ends while stopping)
            name = r.choice(sorted(e.admitted))
            gone.pop(name, None)
            e.finish(name)
        elif x < chance:
            n += 1
            e.submit(gang(f"x{n}", r.choice(queues), r.choice([1, 2, 4]),
                          priority=r.choice([0, 1, 2]), created=t))
        if before is not None:
            before(e, t)
        out.append(_again.whole(e, e.run()))
        if after is not None:
            after(e)
        for name in done:  # (the spec's finishes, after its instant's run)
            if name in e.admitted:
                gone.pop(name, None)
                e.finish(name)
        done = []


def _on_off(mp: pytest.MonkeyPatch, make: Any, seed: int, until: float,
            chance: float = 0.08, flag: tuple[Any, str] = (_units, "ON")
            ) -> tuple[list[Any], list[Any], int, int]:
    """``_twin`` with the rule ``flag`` (module, attribute; A69 by default) on, then off:
    both runs' events and states, and the units A69 gave in each."""
    out: list[Any] = []
    for on in (True, False):
        mp.setattr(*flag, on)
        e, arrivals, queues = make()
        out.append(_twin(e, arrivals, queues, seed, until, chance))
        out.append(e._chain.given if e._chain is not None else 0)
    if flag == (_units, "ON"):
        assert e._chain is None
    return out[0], out[2], out[1], out[3]


def _random_arrivals(seed: int) -> Any:
    """A maker for ``_on_off``: a random loop configuration (``_random``) with random
    arrivals in its first seven seconds."""
    def make() -> tuple[Engine, list[Any], list[str]]:
        e, queues = _random(seed)
        r = random.Random(seed + 1)
        arrivals = [(float(t), [(f"w{t}_{k}", r.choice(queues), r.choice([1, 2, 4, 8]),
                                 r.choice([0, 1, 1, 2])) for k in range(r.randint(1, 6))],
                     list[str]()) for t in range(1, 8)]
        return e, arrivals, queues
    return make


def _of(spec: Any) -> Any:
    return lambda: (spec_engine(spec), list(spec[2]), [q for q, *_ in spec[1]])


def test_loop_flapping_under_hold_is_given_with_the_same_events_and_state(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """LOOP under A5d: w8's victims win their quota back once their pods are gone and are
    preempted again, w9, w3 and w10 with them, a unit a second in a period of seven units
    for 300 s; A69 gives all but the first ones."""
    on, off, given, _ = _on_off(monkeypatch, _of(LOOP), 0, 300.0, chance=0.0)
    assert on == off
    assert len(on) == 300 and given > 250


def test_drift_flapping_under_hold_is_given_with_the_same_events_and_state(
        monkeypatch: pytest.MonkeyPatch) -> None:
    on, off, given, _ = _on_off(monkeypatch, _of(DRIFT), 0, 300.0, chance=0.0)
    assert on == off
    assert len(on) == 300 and given > 250


@pytest.mark.parametrize("spec", [LOOP, DRIFT])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_flapping_broken_by_other_calls_gives_the_same_events_and_state(
        monkeypatch: pytest.MonkeyPatch, spec: Any, seed: int) -> None:
    """With a random finish or arrival at 3 % of the runs: each breaks the chain, and the
    units are given again only once they repeat again."""
    on, off, _, _ = _on_off(monkeypatch, _of(spec), seed, 300.0, chance=0.03)
    assert on == off


@pytest.mark.parametrize("seed", LOOP_SEEDS[:10])
def test_random_flapping_under_hold_is_given_with_the_same_events_and_state(
        monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    on, off, _, _ = _on_off(monkeypatch, _random_arrivals(seed), seed, 120.0)
    assert on == off


def test_a_unit_is_not_given_after_another_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """A finish or a submission between units breaks the chain: the next units are run
    until two repeat again (the random drivers above interleave such calls)."""
    e, arrivals, queues = _of(LOOP)()
    _twin(e, arrivals, queues, 0, 60.0, chance=0.0)
    assert e._chain is not None and e._chain.sure is not None
    e.submit(gang("late", queues[0], 1, created=e.clock))
    assert not _units.give(e, (set(), {}))
    assert e._chain.given > 0


def test_states_with_a_creation_time_moved_differently_are_not_the_same() -> None:
    """``_same``: a creation time the window's calls set compares as far below its unit's
    clock, every other one as the same time (a workload named in a unit but not put back by
    its calls that moved by the period, or one put back that moved by another time, breaks
    the repeat)."""
    def state(created: float, clock: float) -> tuple[Any, ...]:
        return (((("v", None, None, created, created - clock)),), frozenset(), frozenset(),
                (), (), frozenset(), (), 0)

    a, b = state(99.0, 100.0), state(100.0, 101.0)  # one period (1 s) apart
    assert _units._same(a, b, frozenset({"v"}))  # put back by the calls: 1 s below either
    assert not _units._same(a, b, frozenset())  # else the same time is asked for
    assert _units._same(a, state(99.0, 101.0), frozenset())
    assert not _units._same(a, state(99.5, 101.0), frozenset({"v"}))
