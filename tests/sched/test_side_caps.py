"""Rule A23: A8's bound for fair-sharing preemption counts, per target side (the child of
the lowest common cohort), only what can leave it before its share falls below the
preemptor side's least share (plus the one take that may overshoot), and only queues whose
every node from the side down borrows on a needed flavor-resource (F9). Figures worked out
by hand; test_bound.py checks on random workloads that the bound never rules out a search
that finds targets."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from _cfg import cohort, config, cq, res
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bound import JOBS, PRE, STRATS, _log, _m

import aifab.sched._engine as engine_mod
from aifab.sched import Engine, _bound, gang
from aifab.sched._bound import _cap, hopeless

GPU = ("default", "nvidia.com/gpu")


def _three() -> Any:
    """a, b, c with 4 GPUs each under one root: 12 GPUs, a child's share is 1000 per 12
    GPUs borrowed."""
    return config(cohort("root"), *(cq(q, "root", 4, preemption=PRE) for q in "abc"),
                  fair=True)


def _searches(e: Engine) -> list[int]:
    calls: list[int] = []
    groups = e.index.per_cq.groups  # a fair-sharing search reads the pool per queue (A19)
    e.index.per_cq.groups = lambda frs: calls.append(1) or groups(frs)  # type: ignore
    return calls


def _fill(e: Engine, jobs: list[tuple[str, str, int]]) -> None:
    for name, q, g in jobs:
        e.submit(gang(name, q, g))
        e.run()
        assert name in e.admitted


def test_the_last_take_may_overshoot_the_cap() -> None:
    """b borrows 3 of 12 (share 250) with one 7-GPU workload; a, at 2 of its 4, asks for 3:
    with it, a borrows 1 (share 83.3). LessThanOrEqualToFinalShare cannot take b1 (b's share
    after: 0), LessThanInitialShare can (83.3 < 250), and a2 fits. Only 3 - 1 = 2 GPUs can
    leave b before its share falls below 83.3 (cap, by hand), but the take that crosses it
    is the whole of b1: the bound counts 2 + 7 and must not rule the search out."""
    e = Engine(_three())
    _fill(e, [("b1", "b", 7), ("c1", "c", 3), ("a1", "a", 2)])
    tree = e.tree
    low = 1 * 1000.0 / 12
    assert tree.share(tree.nodes["cq:b"]) == pytest.approx(250.0)
    assert _cap(tree, tree.nodes["cq:b"], GPU, low) == pytest.approx(2.0)
    assert not hopeless(e.index.sums, tree, e.m.cluster_queues["a"], 0, {GPU: 3.0}, True)
    assert _walks(e.index, e.m) > 0  # both walks find b (A24)
    e.submit(gang("a2", "a", 3))
    evs = e.run() + e.run()
    assert [(ev.kind, ev.workload, ev.by) for ev in evs if ev.kind == "preempt"] == [
        ("preempt", "b1", "a2")]
    assert "a2" in e.admitted


def test_the_cap_spares_a_search_that_cannot_succeed() -> None:
    """b borrows 3 with seven 1-GPU workloads; a, at 2, asks for 4 (share with it: 2 of 12
    borrowed, 166.7). b can give only what keeps its share at least 166.7 (borrowed 2: one
    GPU) and one more take: 2 GPUs at most, while 4 are missing. Without the cap the bound
    counted all 7 of b's GPUs and ran the search, which takes one and fails."""
    e = Engine(_three())
    _fill(e, [(f"b{i}", "b", 1) for i in range(7)] + [("c1", "c", 3), ("a1", "a", 2)])
    tree, a = e.tree, e.m.cluster_queues["a"]
    assert _cap(tree, tree.nodes["cq:b"], GPU, 2000.0 / 12) == pytest.approx(1.0)
    assert hopeless(e.index.sums, tree, a, 0, {GPU: 4.0}, True)
    _spared(e, gang("a2", "a", 4))


def _spared(e: Engine, wl: Any) -> None:
    """``wl`` is submitted and stays pending without a search (the bound rules it out);
    with the bound and the kept failures off, the search runs and finds nothing."""
    calls = _searches(e)
    admitted = len(e.admitted)
    e.submit(wl)
    e.run()
    assert wl.name in e.pending and calls == []
    e.index.bound = False
    e.index.failed_before = lambda *x: False  # type: ignore[method-assign]
    e.parked.clear()
    e.run()
    assert wl.name in e.pending and calls and len(e.admitted) == admitted


def test_without_the_cap_the_search_would_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same case with the cap off (mutation): the bound no longer rules it out."""
    e = Engine(_three())
    _fill(e, [(f"b{i}", "b", 1) for i in range(7)] + [("c1", "c", 3), ("a1", "a", 2)])
    monkeypatch.setattr(_bound, "_cap", lambda *x: None)
    assert not hopeless(e.index.sums, e.tree, e.m.cluster_queues["a"], 0, {GPU: 4.0}, True)


def _two_flavors() -> Any:
    """b and a on flavors f1 and f2 (4 GPUs and 8 CPUs each), under one root: per resource,
    the root lends 16 GPUs and 32 CPUs."""
    fl = {f: [res("nvidia.com/gpu", 4), res("cpu", 8)] for f in ("f1", "f2")}
    return config(cohort("root"), cq("a", "root", flavors=fl, preemption=PRE),
                  cq("b", "root", flavors=fl, preemption=PRE), fair=True,
                  flavors=("f1", "f2"))


@pytest.mark.parametrize(("gpu_f2", "cpu_f1", "low", "want"), [
    (4, 0, 125.0, 2.0),  # f2 not borrowed: of f1's 4 borrowed GPUs, 2 must stay (125 = 2/16)
    (5, 0, 125.0, 3.0),  # f2 borrows 1 GPU: f1 must keep only 2 - 1
    (6, 0, 125.0, None),  # f2 borrows 2: it holds 125 alone
    (4, 0, 0.0, 4.0),  # low 0: f1 must keep above 0 (everything above its quota may go)
    (5, 0, 0.0, None),  # low 0 and f2 borrows: the share stays above 0 without f1
    (4, 12, 125.0, None),  # 4 CPUs borrowed of 32 (125): the CPU holds the share
    (4, 11, 125.0, 2.0),  # 3 of 32 CPUs (93.75) does not
])
def test_cap_by_hand(gpu_f2: float, cpu_f1: float, low: float, want: float | None) -> None:
    """b uses 8 GPUs of f1 (4 borrowed), ``gpu_f2`` of f2 and ``cpu_f1`` CPUs of f1; the
    cap on f1's GPUs for a preemptor side whose share is at least ``low``."""
    m = _two_flavors()
    e = Engine(m)
    b = e.tree.cqs["b"]
    e.tree.add(b, ("f1", "nvidia.com/gpu"), 8)
    e.tree.add(b, ("f2", "nvidia.com/gpu"), gpu_f2)
    e.tree.add(b, ("f1", "cpu"), cpu_f1)
    got = _cap(e.tree, b, ("f1", "nvidia.com/gpu"), low)
    assert got == (pytest.approx(want) if want is not None else None)


def test_a_side_that_does_not_borrow_on_the_flavor_is_not_counted() -> None:
    """Cohorts x (a) and y (c, d) under a root; flavors f1 and f2. c borrows f1 inside y,
    but y as a whole borrows only f2 (share above 0): a search for a's f1 request passes y
    over (F9: every node from the side down must borrow on f1), so the bound counts
    nothing there. Before A23 it counted c's f1 usage and the search ran."""
    fl = {f: [res("nvidia.com/gpu", 4)] for f in ("f1", "f2")}
    m = config(cohort("root"), cohort("x", "root"), cohort("y", "root"),
               cq("a", "x", flavors=fl, preemption=PRE), cq("c", "y", flavors=fl),
               cq("d", "y", flavors=fl), fair=True, flavors=("f1", "f2"))
    e = Engine(m)
    tree, u = e.tree, e.index.sums
    f1, f2 = ("f1", "nvidia.com/gpu"), ("f2", "nvidia.com/gpu")
    for q, fr, v in [("c", f1, 6), ("d", f1, 2), ("c", f2, 4), ("d", f2, 6), ("a", f1, 4),
                     ("a", f2, 0)]:
        if v:
            tree.add(tree.cqs[q], fr, v)
            u.add(q, 0, {fr: v})
    y = tree.nodes["cohort:y"]
    assert tree.borrowing(tree.cqs["c"], [f1]) and not tree.borrowing(y, [f1])
    assert tree.borrowing(y, [f2]) and tree.share(y) > 0
    assert hopeless(u, tree, e.m.cluster_queues["a"], 0, {f1: 2.0}, True)


def _walks(ix: Any, m: Any) -> int:
    """Compare the two walks for every ClusterQueue, priorities 0 and 3, and requests of 1
    and 5 on each of its flavor-resources and on all of them at once; the number of
    non-empty results."""
    found = 0
    for name, cq_ in m.cluster_queues.items():
        frs = sorted(ix.tree.cqs[name].quotas)
        for prio in (0, 3):
            for req in [{fr: g} for fr in frs for g in (1.0, 5.0)] + [dict.fromkeys(frs, 2.0)]:
                got = []
                for walk in (_bound._by_side, _bound._by_queue):
                    low: dict[int, float] = {}
                    sides: dict[int, Any] = {}
                    if cq_.preemption.reclaim_within_cohort != "Never":
                        walk(ix.sums, ix.tree, cq_, prio, req, ix.within, low, sides)
                    got.append({k: (v[0].name, v[1].name, v[3], sorted(v[4]),
                                    {fr: round(x, 6) for fr, x in v[2].items()},
                                    low.get(id(v[1]))) for k, v in sides.items()})
                assert got[0] == got[1], (name, prio, req)
                found += bool(got[0])
    return found


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JOBS, st.sampled_from(STRATS), st.booleans())
def test_the_side_walk_finds_the_queues_the_queue_walk_finds(
        jobs: list[tuple[str, int, int, int, int]], strategies: list[str] | None,
        deep: bool) -> None:
    """A24: at every search, for every ClusterQueue and several requests, ``_by_side``
    (sides first, passing over a side's queues at once) and ``_by_queue`` (A23: every
    queue with usage a search may take) give the same target sides, each with the same
    preemptor side, F8 flag, queues, amounts and least share of the preemptor side."""
    search = engine_mod.targets

    def both(ix: Any, m_: Any, fair_: bool, cq_: Any, wl: Any, asg: Any) -> Any:
        _walks(ix, m_)
        return search(ix, m_, fair_, cq_, wl, asg)

    with mock.patch.object(engine_mod, "targets", both):
        _log(Engine(_m(True, strategies, deep)), jobs)


def test_a_queue_that_does_not_borrow_is_passed_over_inside_a_side() -> None:
    """Cohorts x (a) and y (c, d), 4 GPUs each queue. y borrows 2 (c uses 7, d 3); a, at
    2, asks for 3 (x's share with it: 1 of 12 borrowed, below y's 2). Of side y only c is
    counted: d uses 3 of its 4 and does not borrow (F9, below the side's node). (With y's
    share equal to x's least share, A53 would pass over the whole side.)"""
    m = config(cohort("root"), cohort("x", "root"), cohort("y", "root"),
               cq("a", "x", 4, preemption=PRE), cq("c", "y", 4), cq("d", "y", 4), fair=True)
    e = Engine(m)
    _fill(e, [("c1", "c", 7), ("d1", "d", 3), ("a1", "a", 2)])
    low: dict[int, float] = {}
    sides: dict[int, Any] = {}
    _bound._by_side(e.index.sums, e.tree, e.m.cluster_queues["a"], 0, {GPU: 3.0}, True, low,
                    sides)
    assert [(v[0].name, v[4]) for v in sides.values()] == [("y", ["c"])]
    assert _walks(e.index, e.m) > 0
