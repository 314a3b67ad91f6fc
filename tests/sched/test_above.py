"""Rule A15: a kept flavor assignment whose every quota comparison found the need above what
its ClusterQueue could use unused is handed out again, after the usage versions of its
flavors moved, while every such comparison still finds the need above and the unused
quota its reasons print is the same. The engine must give the same events (with their
cycle numbers), cycle count, reasons and set-aside workloads with and without."""

from __future__ import annotations

from typing import Any

import pytest
from _cfg import cohort, config, cq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_idle import JOBS, _log, _m2
from test_index import PRE
from test_tries import _m

from aifab.sched import Engine, gang
from aifab.sched._assign import NOFIT, PREEMPT, assign
from aifab.sched._cycle import Tries


def _m3(fair: bool) -> Any:
    """Cohort g holds 6 GPUs for its queues a (nominal 0) and b (2); c, under the root
    with nominal 0, borrows them. Whether a head of a or b may reclaim from c (classic
    preemption: R5, P7) reads g's usage, so such a try is not kept under A15."""
    return config(cohort("root"), cohort("g", "root", 6), cq("a", "g", 0, preemption=PRE),
                  cq("b", "g", 2, preemption=PRE), cq("c", "root", 0, preemption=PRE),
                  cq("l", "root", 1), fair=fair)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.booleans(), st.sampled_from([_m, _m2, _m3]))
def test_tries_kept_above_change_nothing(jobs: list[tuple[str, int, int, int]], fair: bool,
                                         make: Any) -> None:
    m = make(fair)
    fast = _log(m, jobs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Tries, "_still_above", lambda self, eng, cq, above: False)
        slow = _log(m, jobs)
    assert fast == slow


def test_a_kept_try_outlives_a_freed_gpu_that_makes_no_room() -> None:
    m = config(cq("l", None, 5, preemption=PRE))
    e = Engine(m)
    for name, n in (("big", 3), ("s1", 1), ("s2", 1)):
        e.submit(gang(name, "l", n))
    e.run()
    e.submit(gang("w", "l", 4))  # fits only by preemption; none of the same priority goes
    e.submit(gang("x", "l", 6))  # above the nominal quota: no fit, its reason prints 0
    e.run()
    lq = m.cluster_queues["l"]
    w, x = e.tries.get(e, lq, e.pending["w"]), e.tries.get(e, lq, e.pending["x"])
    assert (w.mode, x.mode) == (PREEMPT, NOFIT) and "0 unused" in x.reasons[0][1]
    e.finish("s1")  # 1 GPU free: w still needs more than is unused
    e.run()
    assert e.tries.get(e, lq, e.pending["w"]) is w  # taken again (A15), versions moved
    x2 = e.tries.get(e, lq, e.pending["x"])
    assert x2 is not x and "1 unused" in x2.reasons[0][1]  # its reason prints a new number
    e.finish("big")  # 4 free: w fits
    assert [ev.workload for ev in e.run() if ev.kind == "admit"] == ["w"]


def test_a_try_that_reads_a_cohorts_usage_is_not_kept_above() -> None:
    """R5's hierarchical branch reads Cohort g's usage, which can fall while the queue's
    unused quota stays: such a try carries no comparisons for A15 (``above`` None), fitting
    by preemption or not. c (root, nominal 0) borrows 6 of g's quota, b runs 2 in g: a's
    request of 8 does not fit in g (2 + 8 > 8), no fit; of 6 it does (2 + 6 <= 8), and a
    may reclaim from c. Mutation-checked: keeping the comparisons fails it."""
    e = Engine(_m3(False))
    e.submit(gang("c6", "c", 6))
    e.submit(gang("b2", "b", 2))
    e.run()
    assert set(e.admitted) == {"c6", "b2"}
    for n, mode in ((8, NOFIT), (6, PREEMPT)):
        asg = assign(e.tree, e.m, e.domains, e.m.cluster_queues["a"], gang("x", "a", n), False)
        assert asg.mode == mode and asg.above is None
