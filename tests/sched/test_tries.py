"""Rule A12: failed flavor assignments kept while the usage versions of their ClusterQueue's
flavors stand, A8's bound kept per (queue, priority, request), and cycles where no head can
admit or preempt left unordered, change no decision. Every kept assignment handed out must
equal a fresh ``assign()`` (mode, borrow, usage, flavors, placement and reasons), and an
engine with A12 must give the same events, cycles and reasons as one that assigns every
time, computes every bound and always orders the heads."""

from __future__ import annotations

from typing import Any

from _cfg import cohort, config, cq, res
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_index import PRE

from aifab.sched import Engine, gang
from aifab.sched._assign import PREEMPT, assign
from aifab.sched._bound import hopeless
from aifab.sched._cycle import Tries

JOBS = st.lists(st.tuples(st.sampled_from("abcl"), st.integers(1, 10), st.integers(0, 3),
                          st.integers(0, 2)), min_size=1, max_size=30)


def _m(fair: bool) -> Any:
    two = {"f1": [res("nvidia.com/gpu", 4)], "f2": [res("nvidia.com/gpu", 3, borrow=2)]}
    return config(cohort("root"), cohort("x", "root"),
                  cq("a", "x", flavors=two, preemption=PRE),
                  cq("b", "x", flavors={"f1": [res("nvidia.com/gpu", 2)],
                                        "f2": [res("nvidia.com/gpu", 2, lend=1)]},
                     preemption={**PRE, "borrowWithinCohort": {"policy": "LowerPriority"}}),
                  cq("c", "root", 6, preemption=PRE, fairSharing={"weight": 2}),
                  cq("l", None, 5, preemption=PRE),
                  fair=fair, flavors=("default", "f1", "f2"))


class _Checked(Tries):
    hits = 0

    def get(self, eng: Any, cq: Any, wl: Any, key: Any = None) -> Any:
        out = super().get(eng, cq, wl, key)
        new = assign(eng.tree, eng.m, eng.domains, cq, wl, eng.fair)
        assert (out.mode, out.borrow, out.usage, out.flavors, out.placement, out.reasons) == (
            new.mode, new.borrow, new.usage, new.flavors, new.placement, new.reasons)
        _Checked.hits += out is not new
        return out


def _without(e: Engine) -> Engine:
    """The engine without A12: every head assigned afresh, every cycle's heads ordered,
    every bound computed."""
    e.tries.get = lambda eng, cq, wl, key=None: assign(  # type: ignore[method-assign]
        eng.tree, eng.m, eng.domains, cq, wl, eng.fair)
    ix = e.index
    ix.sure_to_fail = lambda *a: False  # type: ignore[method-assign]
    ix.hopeless = lambda cq, wl, asg, fair, peek=False: hopeless(  # type: ignore[method-assign]
        ix.sums, ix.tree, cq, wl.priority, asg.usage, fair)
    return e


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.booleans())
def test_kept_tries_change_nothing(jobs: list[tuple[str, int, int, int]], fair: bool) -> None:
    m = _m(fair)
    checked = Engine(m)
    checked.tries = _Checked(m)
    logs = []
    for e in (Engine(m), checked, _without(Engine(m))):
        log: list[Any] = []
        for i, (q, g, p, ends) in enumerate(jobs):
            e.submit(gang(f"j{i}", q, g, priority=p))
            log += [(ev.kind, ev.workload, ev.cycle, ev.by, str(ev.flavors)) for ev in e.run()]
            for name in sorted(e.admitted)[:ends]:
                if name in e.admitted:
                    e.finish(name)
                    log += [(ev.kind, ev.workload, ev.cycle, ev.by) for ev in e.run()]
        logs.append((log, e.cycle, sorted(e.reasons.items())))
    assert logs[0] == logs[1] == logs[2]


def test_a_kept_try_is_made_again_once_its_flavor_is_freed() -> None:
    m = _m(False)
    e = Engine(m)
    e.submit(gang("big", "l", 5))
    e.submit(gang("w", "l", 3))
    e.submit(gang("w2", "l", 4))
    e.run()
    assert list(e.admitted) == ["big"] and set(e.parked) == {"w", "w2"}
    lq = m.cluster_queues["l"]
    kept = e.tries.get(e, lq, e.pending["w"])
    assert kept.mode == PREEMPT and e.tries.get(e, lq, e.pending["w"]) is kept  # nothing moved
    e.submit(gang("other", "a", 1))  # usage on another flavor: still kept
    e.run()
    assert e.tries.get(e, lq, e.pending["w"]) is kept
    assert e.tries.get(e, lq, gang("w3", "l", 3, priority=2)) is kept  # A13: same request
    assert e.tries.get(e, lq, e.pending["w2"]) is not kept  # another request
    e.finish("big")
    assert [ev.workload for ev in e.run() if ev.kind == "admit"] == ["w"]
    assert e.tries.get(e, lq, e.pending["w2"]).mode == PREEMPT  # made again: w holds 3


def test_heads_that_may_preempt_are_still_ordered() -> None:
    """Two heads that fit only by preemption in one cycle, searches not yet failed: A3
    orders them (the higher priority reclaims), though the queue of the other comes first
    by name. Both were nominated to take v (A5b): the second is skipped in that cycle
    (overlapping targets) and both are admitted in the next."""
    m = config(cohort("x"), cq("a", "x", 2, preemption=PRE), cq("b", "x", 2, preemption=PRE),
               cq("c", "x", 0, preemption=PRE))
    e = Engine(m)
    e.submit(gang("v", "c", 4))
    e.run()
    e.submit(gang("wa", "a", 2))
    e.submit(gang("wb", "b", 2, priority=1))
    ev = e.run()
    assert [(x.kind, x.workload, x.cycle, x.by) for x in ev] == [
        ("preempt", "v", 3, "wb"), ("admit", "wb", 4, None), ("admit", "wa", 4, None)]


def test_a_kept_bound_is_per_priority_and_versions() -> None:
    """A8's bound kept (A12) for one priority and request is not handed to another
    priority, nor kept once the admitted workloads it read have changed."""
    lower = {"reclaimWithinCohort": "LowerPriority", "withinClusterQueue": "Never"}
    m = config(cohort("x"), cq("a", "x", 4, preemption=lower), cq("c", "x", 0))
    e = Engine(m)
    e.submit(gang("v1", "c", 4, priority=2))
    e.run()
    qa = m.cluster_queues["a"]
    wa, wb = gang("wa", "a", 4, priority=1), gang("wb", "a", 4, priority=3)
    asg = assign(e.tree, m, e.domains, qa, wa, False)
    assert asg.mode == PREEMPT and e.index.hopeless(qa, wa, asg, False)
    assert not e.index.hopeless(qa, wb, asg, False)  # v1 has a lower priority than wb
    e.finish("v1")
    e.submit(gang("v0", "c", 4, priority=0))
    e.run()
    assert assign(e.tree, m, e.domains, qa, wa, False).usage == asg.usage
    assert not e.index.hopeless(qa, wa, asg, False)  # v0 may be reclaimed now
