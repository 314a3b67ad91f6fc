"""A5d: a preempted workload keeps its quota until its pods are gone (``Engine.hold``).

Hand-worked cases from Kueue's reading (docs/sched.md A5d: jobframework's reconciler clears
the quota reservation only once the job is no longer active; the preemptor waits,
"Pending the preemption"; within the preempting cycle the targets' usage counts as freed,
as scheduler.go's fits() simulates), then properties over random runs: quota never
exceeded with the victims counted, no victim admitted or preempted again while its pods
stop, every run reaching a fixed point, and the speed rules (all off at once) giving the
same events.
"""

from __future__ import annotations

import importlib

import pytest
from _calls import held_calls
from _cfg import config, cq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifab.sched import Engine, gang
from aifab.sched._engine import CYCLES
from aifab.sched._rules import SPEED

PRE = {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"}


def _engine(*docs: dict, fair: bool = False) -> Engine:
    e = Engine(config(*docs, fair=fair))
    e.hold = True
    return e


def _root_use(e: Engine) -> float:
    return sum(e.tree.cqs["a"].path()[0].usage.values())


def test_victim_holds_its_quota_and_its_preemptor_waits_until_its_pods_are_gone() -> None:
    e = _engine(cq("a", "ab", 4, preemption=PRE), cq("b", "ab", 4, preemption=PRE))
    e.submit(gang("a1", "a", 4))
    e.submit(gang("a2", "a", 4))  # borrows b's idle 4
    assert [(v.kind, v.workload) for v in e.run()] == [("admit", "a1"), ("admit", "a2")]
    e.submit(gang("b1", "b", 4))
    # b1 reclaims b's quota from a2; a2 stays admitted (its usage counts) while it stops
    assert [(v.kind, v.workload, v.by) for v in e.run()] == [("preempt", "a2", "b1")]
    assert set(e.admitted) == {"a1", "a2"} and set(e.pending) == {"b1"}
    assert set(e.ghosts or ()) == {"a2"} and _root_use(e) == 8
    assert e.reasons["b1"] == [("preemption", "Pending the preemption of 1 workload(s)")]
    # nothing more happens until the pods are gone: b1 finds a2 again and issues nothing
    assert e.run() == [] and e.run() == []
    at = (e.ghosts or {})["a2"]
    e.evicted("a2")
    assert [(v.kind, v.workload) for v in e.run()] == [("admit", "b1")]
    # a2 is back in a's queue at its eviction time, waiting for quota
    assert set(e.pending) == {"a2"} and e.pending["a2"].created == at
    assert not e.ghosts and _root_use(e) == 8


def test_the_preempting_cycle_counts_the_targets_usage_as_freed() -> None:
    """scheduler.go fits(): a head after the preemptor in the same cycle sees the targets'
    usage removed and the preemptor's added (8 - 4 + 4 of 10), so c1 (2) is admitted in
    that cycle; afterwards a2's 4 count again until its pods are gone."""
    e = _engine(cq("a", "abc", 4, preemption=PRE), cq("b", "abc", 4, preemption=PRE),
                cq("c", "abc", 2, preemption=PRE))
    e.submit(gang("a1", "a", 4))
    e.submit(gang("a2", "a", 4))
    e.run()
    e.submit(gang("b1", "b", 4))  # older than c1: taken first (A3)
    e.submit(gang("c1", "c", 2))
    evs = e.run()
    assert [(v.kind, v.workload) for v in evs] == [("preempt", "a2"), ("admit", "c1")]
    assert evs[0].cycle == evs[1].cycle
    assert _root_use(e) == 10 and "b1" in e.pending


def test_a_preempted_workload_that_ends_while_stopping_frees_its_quota() -> None:
    e = _engine(cq("a", "ab", 4, preemption=PRE), cq("b", "ab", 4, preemption=PRE))
    e.submit(gang("a1", "a", 4))
    e.submit(gang("a2", "a", 4))
    e.run()
    e.submit(gang("b1", "b", 4))
    e.run()
    e.finish("a2")
    assert not e.ghosts and "a2" not in e.pending
    assert [(v.kind, v.workload) for v in e.run()] == [("admit", "b1")]


JOBS = st.lists(st.tuples(st.sampled_from("abc"), st.integers(1, 12), st.integers(0, 3),
                          st.integers(0, 3)), min_size=1, max_size=25)


def _m(fair: bool) -> object:
    return config(cq("a", "ab", 4, preemption=PRE), cq("b", "ab", 6, borrow=2, preemption=PRE),
                  cq("c", "ab", 2, lend=1, preemption=PRE, queueingStrategy="StrictFIFO"),
                  fair=fair)


def _play(m: object, jobs: list[tuple[str, int, int, int]]) -> list[tuple[object, ...]]:
    """Submit each job, then: 0 nothing, 1 the oldest victim's pods gone, 2 every victim's,
    3 the first admitted workload ends; run after each call. Checks the invariants."""
    e = Engine(m)  # type: ignore[arg-type]
    e.hold = True
    log: list[tuple[object, ...]] = []
    for i, job in enumerate(jobs):
        held_calls(e, i, job)
        c0, held = e.cycle, set(e.ghosts or ())
        evs = e.run()
        assert e.cycle - c0 < CYCLES and e._fixed  # no loop can form while victims stop
        for v in evs:
            assert v.workload not in held  # neither admitted nor preempted again
            if v.kind == "preempt":
                held.add(v.workload)
        assert set(e.ghosts or ()) == held
        assert held <= set(e.admitted) and not held & set(e.pending)
        root = e.tree.cqs["a"].path()[0]
        assert all(root.usage.get(fr, 0.0) <= v + 1e-9 for fr, v in root.subtree.items())
        used: dict[tuple[str, object], float] = {}  # each queue's usage: its admitted
        for a in e.admitted.values():
            for fr, v in a.usage.items():
                used[a.cq, fr] = used.get((a.cq, fr), 0.0) + v
        assert all(abs(n.usage.get(fr, 0.0) - used.get((q, fr), 0.0)) < 1e-9
                   for q, n in e.tree.cqs.items() for fr in {*n.usage, *(f for _, f in used)})
        log += [(v.kind, v.workload, v.cycle, v.by) for v in evs]
    return log


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.booleans())
def test_random_runs_hold_victims_and_end_at_a_fixed_point(
        jobs: list[tuple[str, int, int, int]], fair: bool) -> None:
    _play(_m(fair), jobs)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.booleans())
def test_speed_rules_give_the_same_events_while_victims_are_held(
        jobs: list[tuple[str, int, int, int]], fair: bool) -> None:
    flags = [(importlib.import_module(mod), attr) for mod, attr in SPEED.values()]
    on = _play(_m(fair), jobs)
    mp = pytest.MonkeyPatch()
    try:
        for mod, attr in flags:
            mp.setattr(mod, attr, False)
        off = _play(_m(fair), jobs)
    finally:
        mp.undo()
    assert on == off
