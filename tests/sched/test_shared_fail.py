"""Rule A18: a preemption search that found nothing is kept per request (ClusterQueue,
priority, request, classic or fair sharing, and the creation time only under
withinClusterQueue LowerOrNewerEqualPriority) with the versions of its scope (A7), so the
next workload of the same request in the queue does not search again while nothing the
search read has moved. The engine must give the same events (with their cycle numbers),
cycle count, reasons and set-aside workloads with and without (``Index.shared``), and every
search the rule skips, run, must find nothing."""

from __future__ import annotations

from typing import Any

import pytest
from _cfg import cohort, config, cq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_idle import _log, _m2
from test_index import _m as _m5

import aifab.sched._index as index_mod
from aifab.sched import Engine, gang
from aifab.sched._index import Index

# few request shapes, so that workloads of one request meet in a queue (A18's case)
JOBS = st.lists(st.tuples(st.sampled_from("abcdl"), st.sampled_from([1, 3, 4, 6]),
                          st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=40)


def _checked(e: Engine) -> list[str]:
    """Make every ``failed_before`` that only the per-request memo answers run the search
    anyway and check it finds nothing; the names it answered for, in order."""
    ix, hits = e.index, []
    own = ix.failed_before

    def check(cq: Any, wl: Any, asg: Any, fair: bool) -> bool:
        if not own(cq, wl, asg, fair):
            return False
        ix.shared = False
        try:
            if own(cq, wl, asg, fair):
                return True
            hits.append(wl.name)
            assert not index_mod.targets(ix, e.m, fair, cq, wl, asg)  # searches afresh
        finally:
            ix.shared = True
        return True
    ix.failed_before = check  # type: ignore[method-assign]
    return hits


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.booleans(), st.sampled_from([_m5, _m2]))
def test_shared_failed_searches_change_nothing(jobs: list[tuple[str, int, int, int]],
                                               fair: bool, make: Any) -> None:
    m = make(fair)
    if make is _m2:
        jobs = [(q if q != "d" else "c", g, p, n) for q, g, p, n in jobs]
    fast = _log(m, jobs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Index, "shared", False)
        slow = _log(m, jobs)
    assert fast == slow


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.booleans())
def test_every_skipped_search_finds_nothing(jobs: list[tuple[str, int, int, int]],
                                            fair: bool) -> None:
    e = Engine(_m5(fair))
    _checked(e)
    for i, (q, g, p, ends) in enumerate(jobs):
        e.submit(gang(f"j{i}", q, g, priority=p))
        e.run()
        for name in sorted(e.admitted)[:ends]:
            if name in e.admitted:
                e.finish(name)
                e.run(max_cycles=7)


@pytest.mark.parametrize("within", ["LowerPriority", "LowerOrNewerEqualPriority"])
def test_the_second_of_a_request_does_not_search_again(within: str) -> None:
    """Cohort x: q (2 GPUs, borrowWithinCohort LowerPriority) and o (4). o runs b1 (5 GPUs,
    borrowing 1, priority 1), q runs r (1 GPU, priority 0). Three 4-GPU workloads of
    priority 1 wait in q: each would borrow, so classic preemption takes from o only lower
    priorities (P5) and b1 is not: removing r leaves 1 GPU, the search fails, though A8's
    bound (o's workloads counted, o borrows) does not rule it out. The second and third
    share the first's failure under LowerPriority (A18), not under
    LowerOrNewerEqualPriority, where a search reads the creation time. (Without Kueue's
    equivalence hashing: with it, A2c, the second and third are set aside with the first
    and never searched; test_equivalence.py.)"""
    m = config(cohort("x"), cq("q", "x", 2, preemption={"withinClusterQueue": within,
                                                       "reclaimWithinCohort": "Any",
                                                       "borrowWithinCohort": {
                                                           "policy": "LowerPriority"}}),
               cq("o", "x", 4))
    m.gates["SchedulingEquivalenceHashing"] = False
    e = Engine(m)
    hits = _checked(e)
    e.submit(gang("b1", "o", 5, priority=1))
    e.submit(gang("r", "q", 1))
    e.run()
    assert set(e.admitted) == {"b1", "r"}
    for i in range(3):
        e.submit(gang(f"w{i}", "q", 4, priority=1, created=100.0 + i))
    assert not e.run()
    assert set(e.pending) == {"w0", "w1", "w2"}
    assert (hits == ["w1", "w2"]) == (within == "LowerPriority")
    assert hits or within != "LowerPriority"
    e.finish("b1")
    assert [(x.kind, x.workload) for x in e.run()] == [("admit", "w0")]


def test_a_kept_failure_is_per_queue_priority_request_and_versions() -> None:
    """Cohort x: q (2 GPUs), p (4), o (2), q and p as in the test above. o runs b1 (3 GPUs,
    borrowing 1, priority 1), q runs r (1, priority 0), p runs z (4, priority 0). w0 (4 GPUs,
    priority 1) in q fails (only r is taken: 1 GPU free); the same request in p would take z
    and fit, so q's failure is not p's."""
    pre = {"withinClusterQueue": "LowerPriority", "reclaimWithinCohort": "Any",
           "borrowWithinCohort": {"policy": "LowerPriority"}}
    m = config(cohort("x"), cq("q", "x", 2, preemption=pre), cq("p", "x", 4, preemption=pre),
               cq("o", "x", 2))
    e = Engine(m)
    for name, q, n, prio in (("b1", "o", 3, 1), ("r", "q", 1, 0), ("z", "p", 4, 0)):
        e.submit(gang(name, q, n, priority=prio))
    e.run()
    assert len(e.admitted) == 3
    e.submit(gang("w0", "q", 4, priority=1))
    assert not e.run()
    ix, q, p = e.index, m.cluster_queues["q"], m.cluster_queues["p"]

    def kept(cq: Any, prio: int, n: int = 4, fair: bool = False) -> bool:
        w = gang(f"x{prio}{n}", cq.name, n, priority=prio, created=500.0)
        return Index.failed_before(ix, cq, w, e.tries.get(e, cq, w), fair)
    assert kept(q, 1)  # another workload of w0's request: w0's failed search stands
    assert not kept(q, 2) and not kept(q, 1, 3) and not kept(q, 1, fair=True)
    assert not kept(p, 1)  # p's search: z is taken and it fits
    ix.evictor["x14"] = "b1"  # a victim of b1 spares it (P10): its search differs
    assert not kept(q, 1)
    del ix.evictor["x14"]
    assert kept(q, 1)
    w = gang("wp", "p", 4, priority=1)
    assert index_mod.targets(ix, m, False, p, w, e.tries.get(e, p, w))
    ix.touch({("default", "nvidia.com/gpu"): 1.0})  # its scope's usage moved
    assert not kept(q, 1)
