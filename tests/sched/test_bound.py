"""Rule A8: the upper bound checked before a preemption search never rules out a search that
would find targets, and so changes no decision. Random workloads on nested cohorts, two
flavors with borrowing and lending limits, every preemption policy, classic and fair sharing
(the default strategies and each alone), workloads on one flavor-resource and on several
(GPU and CPU, two pod sets)."""

from __future__ import annotations

from typing import Any
from unittest import mock

from _cfg import cohort, config, cq, res
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aifab.sched._engine as engine_mod
from aifab.sched import Engine, gang
from aifab.sched._bound import hopeless
from aifab.sched._workload import PodSet, Workload

PRE = {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"}
JOBS = st.lists(st.tuples(st.sampled_from("abcdelr"), st.integers(1, 10), st.integers(0, 3),
                          st.integers(0, 2), st.integers(0, 3)), min_size=1, max_size=30)
STRATS = [None, ["LessThanInitialShare"], ["LessThanOrEqualToFinalShare"]]


def _m(fair: bool, strategies: list[str] | None, deep: bool = False) -> Any:
    """``deep``: Cohort y holds 4 GPUs of its own, and "r", under the root with nominal 0,
    borrows them: y's queues then reclaim from "r" by hierarchical advantage (P7, R5)."""
    two = {"f1": [res("nvidia.com/gpu", 4), res("cpu", 8)],
           "f2": [res("nvidia.com/gpu", 3, borrow=2), res("cpu", 6)]}
    return config(cohort("root"), cohort("x", "root", weight=0.5),
                  cohort("y", "root", 4 if deep else None),
                  cq("r", "root", 0, preemption=PRE),
                  cq("a", "x", flavors=two, preemption=PRE, fairSharing={"weight": 0.35}),
                  cq("b", "x", flavors={"f1": [res("nvidia.com/gpu", 2), res("cpu", 4)],
                                        "f2": [res("nvidia.com/gpu", 2, lend=1),
                                               res("cpu", 4, lend=2)]},
                     preemption={**PRE, "borrowWithinCohort": {"policy": "LowerPriority",
                                                               "maxPriorityThreshold": 1}}),
                  cq("c", "y", 6, preemption=PRE, fairSharing={"weight": 2}),
                  cq("d", "y", 3, preemption={"withinClusterQueue":
                                              "LowerOrNewerEqualPriority",
                                              "reclaimWithinCohort": "LowerPriority"}),
                  cq("e", "y", 2, borrow=3, preemption={"reclaimWithinCohort": "Any",
                                                        "borrowWithinCohort": {
                                                            "policy": "LowerPriority"}}),
                  cq("l", None, 5, preemption=PRE),
                  fair=fair, strategies=strategies, flavors=("default", "f1", "f2"))


def _wl(i: int, q: str, g: int, p: int, cpu: int) -> Workload:
    """A GPU gang; in "a" and "b" (GPU and CPU quota) with ``cpu`` > 0 it also asks for CPU,
    and with ``cpu`` 3 a second pod set (which may land on the other flavor)."""
    if q not in "ab" or cpu == 0:
        return gang(f"j{i}", q, g, priority=p)
    sets = [PodSet("main", 1, {"nvidia.com/gpu": g, "cpu": cpu})]
    if cpu == 3:
        sets.append(PodSet("aux", 1, {"nvidia.com/gpu": 1}))
    return Workload(f"j{i}", q, tuple(sets), priority=p)


def _log(e: Engine, jobs: list[tuple[str, int, int, int, int]]) -> tuple[Any, ...]:
    log = []
    for i, (q, g, p, ends, cpu) in enumerate(jobs):
        e.submit(_wl(i, q, g, p, cpu))
        log += [(ev.kind, ev.workload, ev.by, str(ev.flavors)) for ev in e.run()]
        for name in sorted(e.admitted)[:ends]:
            if name not in e.admitted:
                continue
            e.finish(name)
            log += [(ev.kind, ev.workload, ev.by, str(ev.flavors)) for ev in e.run()]
    return log, sorted(e.pending), sorted(e.admitted)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.booleans(), st.sampled_from(STRATS), st.booleans())
def test_the_bound_never_rules_out_a_search_that_finds_targets(
        jobs: list[tuple[str, int, int, int, int]], fair: bool, strategies: list[str] | None,
        deep: bool) -> None:
    m = _m(fair, strategies, deep)
    search = engine_mod.targets
    ruled_out_wrongly = []

    def checked(ix: Any, m_: Any, fair_: bool, cq_: Any, wl: Any, asg: Any) -> Any:
        sure = hopeless(ix.sums, ix.tree, cq_, wl.priority, asg.usage, fair_)
        out = search(ix, m_, fair_, cq_, wl, asg)  # the search itself (bound and memo off)
        if sure and out:
            ruled_out_wrongly.append((wl.name, [t.wl.name for t in out]))
        return out

    plain = Engine(m)
    plain.index.bound = False
    plain.index.failed_before = lambda *a: False  # type: ignore[method-assign]
    with mock.patch.object(engine_mod, "targets", checked):
        want = _log(plain, jobs)
    assert ruled_out_wrongly == []
    assert _log(Engine(m), jobs) == want


def test_the_bound_spares_a_search_that_cannot_succeed() -> None:
    """Fair sharing: "a" may reclaim from "b", but "b" borrows nothing (share 0): no search
    is run; once "b" borrows and "a" asks within its quota, it is searched and wins."""
    m = config(cohort("root"), cq("a", "root", 4, preemption=PRE,
                                  fairSharing={"weight": 0.35}),
               cq("b", "root", 4, preemption=PRE), fair=True)
    e = Engine(m)
    e.index.failed_before = lambda *a: False  # type: ignore[method-assign]
    calls = []
    groups = e.index.per_cq.groups  # fair sharing reads the pool per ClusterQueue (A19)
    e.index.per_cq.groups = lambda frs: calls.append(1) or groups(frs)  # type: ignore
    e.submit(gang("a1", "a", 4))
    e.submit(gang("b1", "b", 4))
    e.run()
    e.submit(gang("a2", "a", 1))  # the quota is all used; "b" borrows nothing
    e.run()
    assert "a2" in e.pending and calls == []
    e.finish("a1")
    e.run()
    e.finish("a2")
    e.submit(gang("b2", "b", 4))  # "b" now borrows 4 (share 500)
    e.run()
    assert "b2" in e.admitted and calls == []
    e.submit(gang("a3", "a", 4))
    for _ in range(2):  # preempts, then is admitted
        e.run()
    assert calls and "a3" in e.admitted and "b2" not in e.admitted

