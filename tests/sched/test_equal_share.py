"""Rule A53 (docs/sched.md; speed, no change in outcome): A8's bound passes over a target
side whose share equals the preemptor side's least share when every take from it lowers its
share (one resource, whole amounts, no kept-back quota below it). Then neither fair-sharing
strategy can take from it. Worked out by hand on two identical queues, the case the even
1,000-ClusterQueue design is full of, and checked against the search on random runs of
identical queues."""

from __future__ import annotations

import random
from typing import Any

import pytest
from _cfg import cohort, config, cq, res

from aifab.sched import Engine, _equal, _index, gang
from aifab.sched._assign import PREEMPT
from aifab.sched._bound import hopeless

GPU = ("default", "nvidia.com/gpu")


def _two() -> Engine:
    """Cohorts x (queue a) and y (queue c), 4 GPUs each, 8 under the root. c runs a 6-GPU
    gang (y borrows 2 of x's quota); a asks for the same: with it x would borrow 2, so
    x's share with the request equals y's share now."""
    m = config(cohort("root"), cohort("x", "root"), cohort("y", "root"),
               cq("a", "x", 4, preemption={"reclaimWithinCohort": "Any",
                                           "withinClusterQueue": "LowerPriority"}),
               cq("c", "y", 4), fair=True)
    e = Engine(m)
    e.submit(gang("c1", "c", 6))
    e.run()
    assert "c1" in e.admitted
    return e


def test_an_equal_share_side_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """Taking c1 drops y's share to 0, below x's with the request (LessThanOrEqualToFinal
    Share fails), and x's share is not below y's before it (LessThanInitialShare fails):
    the search finds nothing. Without A53 the bound counts c1 (A23's cap is 0 there, plus
    the last take, 6 GPUs) and the request fits, so the search would run."""
    e = _two()
    a, req = e.m.cluster_queues["a"], {GPU: 6.0}
    assert hopeless(e.index.sums, e.tree, a, 0, req, True)
    monkeypatch.setattr(_equal, "EQUAL", False)
    e = _two()  # (a fresh engine: the bound's walk is kept per request, A30)
    assert not hopeless(e.index.sums, e.tree, a, 0, req, True)
    e.index.bound = False  # the search itself finds nothing
    e.submit(gang("a1", "a", 6))
    e.run()
    assert "a1" in e.pending and list(e.admitted) == ["c1"]


def test_a_side_with_kept_back_quota_below_is_counted() -> None:
    """With a lendingLimit on c, a removal at c may stop there: A53 does not apply."""
    m = config(cohort("root"), cohort("x", "root"), cohort("y", "root"),
               cq("a", "x", 4, preemption={"reclaimWithinCohort": "Any",
                                           "withinClusterQueue": "LowerPriority"}),
               cq("c", "y", flavors={"default": [res("nvidia.com/gpu", 4, lend=2)]}),
               fair=True)
    e = Engine(m)
    e.submit(gang("c1", "c", 4))
    e.submit(gang("c2", "c", 1))
    e.run()
    d = e.tree.cqs["c"].parent
    assert d is not None and not _equal._unkept(d, GPU)


def _finds_nothing(eng: Engine, cq_: Any, prio: int, req: Any, within: bool) -> bool:
    """Run the fair-sharing search for a probe asking ``req`` at ``prio`` in ``cq_`` and
    assert it finds nothing; whether it ran (the probe's assignment is that request)."""
    w = gang("probe", cq_.name, int(sum(req.values())), priority=prio, created=1e12)
    asg = eng.tries.get(eng, cq_, w)
    if asg.mode != PREEMPT or asg.usage != dict(req):
        return False
    assert not _index.fair_targets(eng.tree, cq_, w, asg, eng.index.per_cq.groups(req),
                                   eng.m.fs_strategies, True, within, {})
    return True


def _identical(seed: int) -> tuple[Engine, list[tuple[str, str, int, int]]]:
    """Random runs on identical queues: 2-3 cohorts of 2-3 queues of 4 GPUs each, fair
    sharing (the default strategies or one of them), gangs of 2, 4 or 6 GPUs, some ending."""
    r = random.Random(seed)
    docs: list[dict[str, Any]] = [cohort("root")]
    queues = []
    for c in range(r.choice([2, 3])):
        docs.append(cohort(f"c{c}", "root"))
        for k in range(r.choice([2, 3])):
            queues.append(f"q{c}{k}")
            docs.append(cq(queues[-1], f"c{c}", 4, preemption={
                "reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"}))
    strat = r.choice([None, ["LessThanInitialShare"], ["LessThanOrEqualToFinalShare"]])
    e = Engine(config(*docs, fair=True, strategies=strat))
    jobs = [(f"w{i}", r.choice(queues), r.choice([2, 4, 4, 6]), r.choice([0, 0, 1]))
            for i in range(r.randint(8, 24))]
    return e, jobs


def _play(e: Engine, jobs: list[tuple[str, str, int, int]], seed: int) -> list[Any]:
    r = random.Random(seed + 1)
    log: list[Any] = []
    for name, q, g, p in jobs:
        e.submit(gang(name, q, g, priority=p))
        log += [(ev.kind, ev.workload, ev.by) for ev in e.run()]
        if e.admitted and r.random() < 0.25:
            e.finish(r.choice(sorted(e.admitted)))
            log += [(ev.kind, ev.workload, ev.by) for ev in e.run()]
    return log


def test_random_runs_on_identical_queues(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same events with A53 on and off; the rule passes over sides in these runs; and
    every bound found hopeless with it is checked by running the search (none finds
    targets)."""
    passed, checked, searched = [0], [0], [0]
    level = _equal.level

    def counted(*a: Any) -> bool:
        out = level(*a)
        passed[0] += out
        return out

    monkeypatch.setattr(_equal, "level", counted)
    kept = _index.hopeless

    def verified(u: Any, tree: Any, cq_: Any, prio: int, req: Any, fair: bool,
                 within: bool, why: Any = None, lows: Any = None, leaves: Any = None
                 ) -> bool:
        out = kept(u, tree, cq_, prio, req, fair, within, why, lows, leaves)
        if out and fair:
            checked[0] += 1
            searched[0] += _finds_nothing(current[0], cq_, prio, req, within)
        return out

    current: list[Engine] = []
    for seed in range(40):
        e, jobs = _identical(seed)
        current[:] = [e]
        monkeypatch.setattr(_index, "hopeless", verified)
        on = _play(e, jobs, seed)
        monkeypatch.setattr(_index, "hopeless", kept)
        monkeypatch.setattr(_equal, "EQUAL", False)
        e2, _ = _identical(seed)
        off = _play(e2, jobs, seed)
        monkeypatch.setattr(_equal, "EQUAL", True)
        assert on == off, seed
    assert passed[0] > 0 and checked[0] > 0 and searched[0] > checked[0] // 2


def _pair(exact: bool, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A58 by hand: cohort x holds a and b, 4 GPUs each. a runs a 1-GPU workload of
    priority 0, b a 6-GPU gang of priority 1 (b borrows 2). A 6-GPU gang of priority 1 in
    a may take a's own workload: with it a would borrow 1 + 6 - 1 - 4 = 2, b's share
    exactly; A8's margin on what may leave a (``_grow``) puts a's least share just below
    b's, so A53 alone does not pass b over."""
    monkeypatch.setattr(_equal, "EXACT", exact)
    pre = {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"}
    m = config(cohort("root"), cohort("x", "root"), cq("a", "x", 4, preemption=pre),
               cq("b", "x", 4, preemption=pre), fair=True)
    e = Engine(m)
    e.submit(gang("a0", "a", 1, priority=0))
    e.run()
    e.submit(gang("b1", "b", 6, priority=1))
    e.run()
    assert sorted(e.admitted) == ["a0", "b1"]
    return e


def test_the_own_queue_least_share_is_compared_without_the_margin(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With A58 the bound passes b over (its share, 2 * 1000 / 8 = 250, is at most a's
    exact least share, 250) and only a0 may leave: 2 free < 6, hopeless. Without it the
    bound counts b1 and the request fits. The search finds nothing: taking b1 leaves b at
    share 0, below a's (LessThanOrEqualToFinalShare), and a's least share is not below b's
    before it (LessThanInitialShare)."""
    req = {GPU: 6.0}
    e = _pair(True, monkeypatch)
    a = e.m.cluster_queues["a"]
    assert _equal.own_least(e.index.sums, e.tree, a, 1, req) == e.tree.share(e.tree.cqs["b"])
    assert hopeless(e.index.sums, e.tree, a, 1, req, True)
    e = _pair(False, monkeypatch)
    assert not hopeless(e.index.sums, e.tree, a, 1, req, True)
    e.index.bound = False  # the search itself finds nothing
    e.submit(gang("a1", "a", 6, priority=1))
    e.run()
    assert "a1" in e.pending and sorted(e.admitted) == ["a0", "b1"]


def test_random_runs_with_own_workloads_decide_the_same(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """Random runs on identical queues with A58 on and off: the same events; every bound
    found hopeless where A58 read the exact least share checked by running the search; the
    rule passes over sides."""
    fired, checked = [0], [0]
    own_least, kept = _equal.own_least, _index.hopeless

    def counted(*a: Any) -> Any:
        fired[0] += 1
        return own_least(*a)

    def verified(u: Any, tree: Any, cq_: Any, prio: int, req: Any, fair: bool,
                 within: bool, why: Any = None, lows: Any = None, leaves: Any = None
                 ) -> bool:
        before = fired[0]
        out = kept(u, tree, cq_, prio, req, fair, within, why, lows, leaves)
        if out and fair and fired[0] > before:
            checked[0] += _finds_nothing(current[0], cq_, prio, req, within)
        return out

    monkeypatch.setattr(_equal, "own_least", counted)
    current: list[Engine] = []
    for seed in range(40):
        e, jobs = _identical(seed)
        jobs = [(n, q, 1 if i % 5 == 0 else g, 0 if i % 5 == 0 else p)
                for i, (n, q, g, p) in enumerate(jobs)]  # (small own workloads below)
        current[:] = [e]
        monkeypatch.setattr(_index, "hopeless", verified)
        monkeypatch.setattr(_equal, "EXACT", True)
        on = _play(e, jobs, seed)
        monkeypatch.setattr(_index, "hopeless", kept)
        monkeypatch.setattr(_equal, "EXACT", False)
        e2, _ = _identical(seed)
        assert _play(e2, jobs, seed) == on, seed
    assert fired[0] > 0 and checked[0] > 0
