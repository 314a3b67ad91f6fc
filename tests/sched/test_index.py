"""Rule A7: indexed preemption candidates and the memo of failed searches change no
decision. Random workloads on two cohorts (one with two flavors, nested) and a lone queue,
with and without fair sharing; the engine with the index and memo must give the same events
as one that scans every admitted workload and searches every time."""

from __future__ import annotations

from typing import Any

import pytest
from _cfg import cohort, config, cq, res
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aifab.sched import Engine, _moves, gang

PRE = {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"}
JOBS = st.lists(st.tuples(st.sampled_from("abcdl"), st.integers(1, 10), st.integers(0, 3),
                          st.integers(0, 2)), min_size=1, max_size=30)


def _m(fair: bool) -> Any:
    two = {"f1": [res("nvidia.com/gpu", 4)], "f2": [res("nvidia.com/gpu", 3, borrow=2)]}
    return config(cohort("root"), cohort("x", "root"), cohort("y", "root"),
                  cq("a", "x", flavors=two, preemption=PRE),
                  cq("b", "x", flavors={"f1": [res("nvidia.com/gpu", 2)],
                                        "f2": [res("nvidia.com/gpu", 2, lend=1)]},
                     preemption={**PRE, "borrowWithinCohort": {"policy": "LowerPriority"}}),
                  cq("c", "y", 6, preemption=PRE, fairSharing={"weight": 2}),
                  cq("d", "y", 3, preemption={"withinClusterQueue":
                                              "LowerOrNewerEqualPriority",
                                              "reclaimWithinCohort": "LowerPriority"}),
                  cq("l", None, 5, preemption=PRE),
                  fair=fair, flavors=("default", "f1", "f2"))


def _plain(e: Engine) -> Engine:
    """The engine without A7: every admitted workload a candidate, every search run."""
    e.index.pool = lambda frs: list(e.admitted.values())  # type: ignore[method-assign]
    e.index.failed_before = lambda *a: False  # type: ignore[method-assign]
    e.index.bound = False
    e.index.sorted_pool = False
    return e


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.booleans())
def test_index_and_memo_change_nothing(jobs: list[tuple[str, int, int, int]],
                                       fair: bool) -> None:
    m = _m(fair)
    logs = []
    for e in (Engine(m), _plain(Engine(m))):
        log = []
        for i, (q, g, p, ends) in enumerate(jobs):
            e.submit(gang(f"j{i}", q, g, priority=p))
            log += [(ev.kind, ev.workload, ev.by, str(ev.flavors)) for ev in e.run()]
            for name in sorted(e.admitted)[:ends]:
                if name not in e.admitted:  # preempted by the run after the last finish
                    continue
                e.finish(name)
                log += [(ev.kind, ev.workload, ev.by, str(ev.flavors)) for ev in e.run()]
        logs.append((log, sorted(e.pending), sorted(e.admitted)))
    assert logs[0] == logs[1]


def test_a_failed_search_is_remembered_until_its_flavors_change(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A head that can only preempt and finds nothing is not searched again while only
    another cohort's flavor changes; a change of usage on its own flavor searches again
    (A44 off: the version moved below is not a change of state, and A44 would keep it)."""
    monkeypatch.setattr(_moves, "ON", False)
    m = config(cohort("root"), cohort("x", "root"), cohort("y", "root"),
               cq("a", "x", 4, preemption=PRE), cq("c", "y", flavors={
                   "f1": [res("nvidia.com/gpu", 8)]}, preemption=PRE),
               flavors=("default", "f1"))
    e = Engine(m)
    e.index.bound = False  # A8 would rule these searches out before they start
    calls = []
    search = e.index.pool
    e.index.pool = lambda frs: calls.append(1) or search(frs)  # type: ignore[method-assign]
    e.submit(gang("big", "a", 4, priority=5))
    e.run()
    e.submit(gang("hi", "a", 2, priority=5))  # same priority: nothing it may preempt
    e.run()
    assert "hi" in e.pending and len(calls) == 1
    e.submit(gang("other", "c", 4))
    e.run()
    e.finish("other")  # frees quota: "hi" is tried again, its flavor did not move
    e.run()
    assert "hi" in e.pending and len(calls) == 1
    e.index.touch({("default", "nvidia.com/gpu"): 1.0})  # its flavor's usage moved
    e.submit(gang("other2", "c", 4))
    e.run()
    e.finish("other2")
    e.run()
    assert "hi" in e.pending and len(calls) == 2
    e.submit(gang("lo", "a", 1, priority=0))  # waits: quota of "a" is full
    e.finish("big")  # its own flavor: "hi" and "lo" admitted without any search
    e.run()
    assert "hi" in e.admitted and "lo" in e.admitted and len(calls) == 2
