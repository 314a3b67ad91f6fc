"""Rule A19: a fair-sharing preemption search reads its candidates per ClusterQueue, from
lists the index keeps per flavor-resource and ClusterQueue in P2's order, instead of
filtering one merged pool workload by workload. The engine must give the same events (with
their cycle numbers), cycle count, reasons and set-aside workloads with and without
(``Index.grouped``), and the lists must be the merged pool's workloads of each queue, in the
same order. Nested cohorts, two flavors with GPU and CPU (workloads on one flavor-resource
and on several), every preemption policy, each fair-sharing strategy list."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bound import JOBS, STRATS, _m, _wl

from aifab.sched import Engine, gang
from aifab.sched._index import Index
from aifab.sched._preempt import by_queue, candidates


def _log(m: Any, jobs: list[tuple[str, int, int, int, int]],
         check: bool = False) -> tuple[Any, ...]:
    e = Engine(m)
    log: list[Any] = []
    for i, (q, g, p, ends, cpu) in enumerate(jobs):
        e.submit(_wl(i, q, g, p, cpu))
        log += [(ev.kind, ev.workload, ev.cycle, ev.by, str(ev.flavors)) for ev in e.run()]
        for name in sorted(e.admitted)[:ends]:
            if name in e.admitted:
                e.finish(name)
                log += [(ev.kind, ev.workload, ev.cycle, ev.by) for ev in e.run(max_cycles=7)]
        if check:
            _same_lists(e)
    return log, e.cycle, sorted(e.reasons.items()), sorted(e.parked)


def _same_lists(e: Engine) -> None:
    """``groups()`` and ``by_queue()`` against the merged pool and ``candidates()``, for
    every set of flavor-resources in use and every pending workload as preemptor."""
    ix = e.index
    frs_sets = {tuple(sorted(a.usage)) for a in e.admitted.values()}
    frs_sets |= {(fr,) for s in list(frs_sets) for fr in s}
    for frs in frs_sets:
        req = dict.fromkeys(frs, 1.0)
        pool = ix.pool(req)
        per = ix.per_cq.groups(req)
        assert sorted(per) == sorted({a.cq for a in pool})
        for q, lst in per.items():
            assert lst == [a for a in pool if a.cq == q]
        for wl in e.pending.values():
            cq = e.m.cluster_queues[wl.queue]
            asg: Any = type("A", (), {"usage": req})()
            want: dict[str, list[Any]] = {}
            for a in candidates(cq, wl, asg, pool, ix.tree, ordered=True):
                want.setdefault(a.cq, []).append(a)
            assert by_queue(cq, wl, per, ix.tree) == want


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.sampled_from(STRATS), st.booleans())
def test_grouped_candidates_change_nothing(jobs: list[tuple[str, int, int, int, int]],
                                           strategies: list[str] | None, deep: bool) -> None:
    m = _m(True, strategies, deep)
    fast = _log(m, jobs, check=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Index, "grouped", False)
        slow = _log(m, jobs)
    assert fast == slow


def test_lists_follow_admissions_and_releases() -> None:
    """The per-queue lists hold the admitted workloads in P2's order (lowest priority, then
    the most recently admitted) as workloads come and go; a queue left with none is gone."""
    e = Engine(_m(True, None))
    for i, (q, p) in enumerate([("c", 1), ("c", 0), ("d", 1), ("c", 1)]):
        e.submit(_wl(i, q, 1, p, 0))
        e.run()
    (fr,) = e.admitted["j0"].usage
    per = e.index.per_cq.groups({fr: 1.0})
    assert [a.wl.name for a in per["c"]] == ["j1", "j3", "j0"]
    assert [a.wl.name for a in per["d"]] == ["j2"]
    e.finish("j2")
    e.finish("j3")
    per = e.index.per_cq.groups({fr: 1.0})
    assert "d" not in per and [a.wl.name for a in per["c"]] == ["j1", "j0"]


def test_lower_or_newer_equal_priority_takes_the_newer_of_equal_priority() -> None:
    """Queue "d" (withinClusterQueue LowerOrNewerEqualPriority): its own candidates are the
    lower-priority prefix of its list and, of equal priority, those created after the
    preemptor (not a prefix of P2's order: the most recently admitted come first)."""
    e = Engine(_m(True, None))
    for name, p, c in [("hi", 2, 20.0), ("a", 1, 10.0), ("b", 1, 11.0), ("lo", 0, 2.0)]:
        e.submit(gang(name, "d", 1, priority=p, created=c))
        e.run()
    e.submit(old := gang("old", "d", 1, priority=1, created=5.0))
    e.submit(mid := gang("mid", "d", 1, priority=1, created=10.5))
    (fr,) = e.admitted["a"].usage
    per, cq = e.index.per_cq.groups({fr: 1.0}), e.m.cluster_queues["d"]
    assert [a.wl.name for a in per["d"]] == ["lo", "b", "a", "hi"]
    assert [a.wl.name for a in by_queue(cq, old, per, e.index.tree)["d"]] == ["lo", "b", "a"]
    assert [a.wl.name for a in by_queue(cq, mid, per, e.index.tree)["d"]] == ["lo", "b"]
    _same_lists(e)
