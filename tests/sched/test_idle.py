"""Rule A13: cycles in which every head fails are run a queue at a time (``_idle``), and
kept flavor assignments are shared by the workloads of one request in a ClusterQueue. The
engine must give the same events (with their cycle numbers), the same cycle count and the
same reasons with and without, under classic and fair-sharing preemption, with nominated
preemptors, mixed priorities and freed quota."""

from __future__ import annotations

from typing import Any

import pytest
from _cfg import cohort, config, cq, res
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_index import PRE
from test_tries import _m

import aifab.sched._engine as engine_mod
import aifab.sched._idle as idle_mod
from aifab.sched import Engine, gang

JOBS = st.lists(st.tuples(st.sampled_from("abcl"), st.integers(1, 6), st.integers(0, 3),
                          st.integers(0, 2)), min_size=1, max_size=40)


def _m2(fair: bool) -> Any:
    """Queues with one flavor each in two cohorts: a preemption search of queue a (f1)
    reads cohort x's share, which b's use of f2 moves (a's own flavor versions do not)."""
    def q(name: str, parent: str, fl: str) -> Any:
        return cq(name, parent, flavors={fl: [res("nvidia.com/gpu", 2)]}, preemption=PRE)
    return config(cohort("root"), cohort("x", "root"), cohort("y", "root"),
                  q("a", "x", "f1"), q("b", "x", "f2"), q("c", "y", "f1"), q("l", "y", "f2"),
                  fair=fair, flavors=("f1", "f2"))


def _log(m: Any, jobs: list[tuple[str, int, int, int]]) -> tuple[Any, ...]:
    e = Engine(m)
    log: list[Any] = []
    for i, (q, g, p, ends) in enumerate(jobs):
        e.submit(gang(f"j{i}", q, g, priority=p))
        log += [(ev.kind, ev.workload, ev.cycle, ev.by, str(ev.flavors)) for ev in e.run()]
        for name in sorted(e.admitted)[:ends]:
            if name in e.admitted:
                e.finish(name)
                log += [(ev.kind, ev.workload, ev.cycle, ev.by) for ev in e.run(max_cycles=7)]
    return log, e.cycle, sorted(e.reasons.items()), sorted(e.parked)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.booleans())
def test_idle_cycles_change_nothing(jobs: list[tuple[str, int, int, int]], fair: bool,
                                    ) -> None:
    m = _m(fair)
    fast = _log(m, jobs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine_mod, "idle_cycles", lambda eng, budget: (0, False))
        slow = _log(m, jobs)
    assert fast == slow


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.booleans(), st.sampled_from([_m, _m2]))
@example([("a", 1, 0, 0), ("l", 1, 0, 0), ("c", 1, 0, 0), ("c", 3, 0, 0), ("a", 1, 0, 0),
          ("l", 1, 0, 0), ("l", 2, 0, 2), ("b", 3, 0, 0), ("b", 3, 0, 0), ("c", 1, 0, 2)],
         True, _m2)  # found by random search: b's freed f2 moves the scope of a's search
def test_kept_walks_change_nothing(jobs: list[tuple[str, int, int, int]], fair: bool,
                                   make: Any) -> None:
    """Rule A14: a queue's walk is taken again, not redone, while nothing it read moved
    (same events with cycle numbers, cycle count, reasons and set-aside workloads as
    re-walking every time); and A13 with A14 as ``step()`` alone."""
    m = make(fair)
    fast = _log(m, jobs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(idle_mod, "_still", lambda eng, kept, key: False)
        walked = _log(m, jobs)
    assert fast == walked


def test_a_kept_walk_is_taken_again() -> None:
    """A freed GPU of flavor f1 (queue a) does not move what queue l's set-aside backlog
    read (its own flavor): after the first freed GPU, l's walk (every workload failing) is
    kept and, after the second, taken again, with the same cycles and events."""
    def run(keep: bool) -> tuple[Any, ...]:
        e, used = Engine(_m(False)), []
        e.submit(gang("big", "l", 5))
        for i in range(6):
            e.submit(gang(f"w{i}", "l", 3 + i % 2))
        e.submit(gang("x", "a", 1))
        e.submit(gang("y", "a", 1))
        e.run()
        real = idle_mod._still
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(idle_mod, "_still",
                       lambda eng, k, key: used.append(out := keep and real(eng, k, key))
                       or out)
            ev = []
            for name in ("x", "y"):  # freed quota: l's set-aside workloads tried again
                e.finish(name)
                ev += [(v.kind, v.workload, v.cycle) for v in e.run()]
        return ev, e.cycle, sorted(e.reasons.items()), sorted(e.parked), any(used)

    kept, walked = run(True), run(False)
    assert kept[-1] and not walked[-1]  # l's kept walk was taken again
    assert kept[:-1] == walked[:-1]


@pytest.mark.parametrize("hashing", [True, False])
def test_idle_cycles_run_a_backlog_at_once(hashing: bool) -> None:
    """After quota is freed, a queue re-walks its set-aside backlog one head per cycle; the
    walk of failing heads is done in one call, and the cycle count is still one per head.
    With Kueue's equivalence hashing (A2c, on by default) a failing head sets its class
    aside with it: of w0-w5 (3, 4, 3, 4, 3, 4 GPUs) only w0 and w1 head a cycle."""
    m = _m(False)
    m.gates["SchedulingEquivalenceHashing"] = hashing
    e = Engine(m)
    e.submit(gang("big", "l", 5))
    for i in range(6):
        e.submit(gang(f"w{i}", "l", 3 + i % 2))
    e.run()
    calls: list[tuple[int, bool]] = []
    real = engine_mod.idle_cycles

    def spy(eng: Any, budget: int) -> tuple[int, bool]:
        calls.append(out := real(eng, budget))
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine_mod, "idle_cycles", spy)
        before = e.cycle
        e.submit(gang("x", "a", 1))  # another queue's admission: l's backlog stays aside
        e.run()
        e.finish("x")  # freed quota: every set-aside workload of l is tried again
        e.run()
    # x: one cycle admits it, one finds nothing to do; then l's six heads (two classes with
    # hashing) fail (nothing of its own priority to preempt), one per cycle, and one more
    # cycle changes nothing
    heads = 2 if hashing else 6
    assert calls[-1] == (heads + 1, True) and e.cycle - before == 2 + heads + 1
    assert set(e.parked) == {f"w{i}" for i in range(6)}
