"""Conformance: preemption policies (P1-P6; fair sharing, hierarchical cohorts and KAI are in
test_conformance_fair.py).

Each case names its rule in docs/sched.md and the documentation it comes from; expected
preemptions are worked out by hand in the docstrings.
"""

from __future__ import annotations

from _cfg import cq, engine, kinds

from aifab.sched import gang

CQ_DOC = "kueue.sigs.k8s.io/docs/concepts/cluster_queue/#preemption"
PRE_DOC = "kueue.sigs.k8s.io/docs/concepts/preemption/"


def _within(policy: str) -> object:
    return engine(cq("a", gpu=8, preemption={"withinClusterQueue": policy}))


def test_p1_within_cluster_queue_lower_priority() -> None:
    """Rule P1 (CQ_DOC, withinClusterQueue LowerPriority): quota 8 full with low (p1); a
    high (p5) job of 8 preempts it and is admitted next cycle."""
    e = _within("LowerPriority")
    e.submit(gang("low", "a", 8, priority=1))
    e.run()
    e.submit(gang("high", "a", 8, priority=5))
    ev = e.run()
    assert kinds(ev, "preempt") == ["low"] and kinds(ev, "admit") == ["high"]


def test_p1_within_cluster_queue_never() -> None:
    """Rule P1 (CQ_DOC, withinClusterQueue Never, the default): the high job pends."""
    e = _within("Never")
    e.submit(gang("low", "a", 8, priority=1))
    e.run()
    e.submit(gang("high", "a", 8, priority=5))
    assert e.run() == []


def test_p1_lower_priority_spares_equal_priority() -> None:
    """Rule P1 (CQ_DOC: LowerPriority preempts only lower priority): equal priorities: the
    newcomer pends with a priority reason."""
    e = _within("LowerPriority")
    e.submit(gang("old", "a", 8, priority=3))
    e.run()
    e.submit(gang("new", "a", 8, priority=3))
    assert e.run() == [] and e.reasons["new"][-1][0] == "priority"


def test_p1_lower_or_newer_equal_priority() -> None:
    """Rule P1 (CQ_DOC, LowerOrNewerEqualPriority: also equal priority and newer than the
    preemptor): quota 8; hold (p9) runs 4; big (p3, 6) pends; s1, s2 (p3, 2 each, newer)
    are admitted past it (BestEffortFIFO). When hold ends, big needs 6 of the 4 free: it
    preempts s2 (the most recent) and is admitted. With LowerPriority it would pend."""
    for policy, expect in (("LowerOrNewerEqualPriority", ["s2"]), ("LowerPriority", [])):
        e = _within(policy)
        e.submit(gang("hold", "a", 4, priority=9))
        e.run()
        e.submit(gang("big", "a", 6, priority=3))
        e.submit(gang("s1", "a", 2, priority=3))
        e.submit(gang("s2", "a", 2, priority=3))
        assert kinds(e.run(), "admit") == ["s1", "s2"]
        e.finish("hold")
        ev = e.run()
        assert kinds(ev, "preempt") == expect
        assert ("big" in e.admitted) == bool(expect)


def _cohort(reclaim: str, **pre: object) -> object:
    return engine(cq("a", "ab", 4, preemption={"reclaimWithinCohort": reclaim, **pre}),
                  cq("b", "ab", 4))


def test_p2_reclaim_any_ignores_priority() -> None:
    """Rule P2 (CQ_DOC, reclaimWithinCohort Any): b borrows a's 4 with a p9 job of 8; a's
    p0 job of 4 (within a's nominal) reclaims it."""
    e = _cohort("Any")
    e.submit(gang("b8", "b", 8, priority=9))
    e.run()
    e.submit(gang("a4", "a", 4, priority=0))
    ev = e.run()
    assert kinds(ev, "preempt") == ["b8"] and kinds(ev, "admit") == ["a4"]


def test_p2_reclaim_lower_priority_only() -> None:
    """Rule P2 (CQ_DOC, reclaimWithinCohort LowerPriority): the same borrower at p9 is not
    preempted by a p0 job; a p0 borrower would be (checked by the second half)."""
    e = _cohort("LowerPriority")
    e.submit(gang("b8", "b", 8, priority=9))
    e.run()
    e.submit(gang("a4", "a", 4, priority=0))
    assert e.run() == []
    e2 = _cohort("LowerPriority")
    e2.submit(gang("b8", "b", 8, priority=0))
    e2.run()
    e2.submit(gang("a4", "a", 4, priority=1))
    assert kinds(e2.run(), "preempt") == ["b8"]


def test_p2_reclaim_never() -> None:
    """Rule P2 (CQ_DOC, reclaimWithinCohort Never): a waits for b's borrowed job to end."""
    e = _cohort("Never")
    e.submit(gang("b8", "b", 8))
    e.run()
    e.submit(gang("a4", "a", 4, priority=9))
    assert e.run() == []
    e.finish("b8")
    assert kinds(e.run(), "admit") == ["a4"]


def test_p3_only_borrowing_queues_are_reclaimed() -> None:
    """Rule P3 (PRE_DOC, "Reasons for preemption": only ClusterQueues above their nominal
    quota): a 4, b 4, c 4; b runs 4 (its own), c borrows 2 (runs 6); a's job of 4 fits
    a's nominal but only 2 are free: c's job is preempted, b's is not."""
    e = engine(cq("a", "ab", 4, preemption={"reclaimWithinCohort": "Any"}),
               cq("b", "ab", 4), cq("c", "ab", 4))
    e.submit(gang("b4", "b", 4))
    e.submit(gang("c6", "c", 6))
    e.run()
    e.submit(gang("a4", "a", 4))
    ev = e.run()
    assert kinds(ev, "preempt") == ["c6"] and kinds(ev, "admit") == ["a4"]


def test_p4_borrow_within_cohort_lower_priority() -> None:
    """Rule P4 (CQ_DOC, borrowWithinCohort LowerPriority): a (4) needs 6 (borrowing); b
    borrows with a p1 job of 6 (b nominal 4): a's p5 job preempts it while borrowing."""
    e = engine(cq("a", "ab", 4, preemption={"reclaimWithinCohort": "LowerPriority",
                                            "borrowWithinCohort": {"policy": "LowerPriority"}}),
               cq("b", "ab", 4))
    e.submit(gang("b6", "b", 6, priority=1))
    e.run()
    e.submit(gang("a6", "a", 6, priority=5))
    ev = e.run()
    assert kinds(ev, "preempt") == ["b6"] and kinds(ev, "admit") == ["a6"]


def test_p4_max_priority_threshold() -> None:
    """Rule P4 (CQ_DOC, maxPriorityThreshold: only workloads up to the threshold may be
    preempted while borrowing): threshold 0, the borrower is p1: no preemption."""
    e = engine(cq("a", "ab", 4, preemption={
        "reclaimWithinCohort": "LowerPriority",
        "borrowWithinCohort": {"policy": "LowerPriority", "maxPriorityThreshold": 0}}),
        cq("b", "ab", 4))
    e.submit(gang("b6", "b", 6, priority=1))
    e.run()
    e.submit(gang("a6", "a", 6, priority=5))
    assert e.run() == []


def test_p4_no_preemption_while_borrowing_by_default() -> None:
    """Rule P4 (PRE_DOC, "Classic Preemption": a workload that needs borrowing may preempt
    in the cohort only with borrowWithinCohort): same as above without it: a6 pends."""
    e = engine(cq("a", "ab", 4, preemption={"reclaimWithinCohort": "Any"}), cq("b", "ab", 4))
    e.submit(gang("b6", "b", 6, priority=1))
    e.run()
    e.submit(gang("a6", "a", 6, priority=5))
    assert e.run() == []


def test_p5_candidate_order_lowest_priority_newest_first() -> None:
    """Rule P5 (PRE_DOC, "Candidates": lowest priority first, then most recently admitted):
    quota 6 with x (p1), y (p1, newer), z (p2, oldest), 2 each; a p9 job of 2:
    y is preempted (lowest priority p1, newer than x)."""
    e = engine(cq("a", gpu=6, preemption={"withinClusterQueue": "LowerPriority"}))
    for n, p in (("z", 2), ("x", 1), ("y", 1)):
        e.submit(gang(n, "a", 2, priority=p))
        e.run()
    e.submit(gang("hi", "a", 2, priority=9))
    ev = e.run()
    assert kinds(ev, "preempt") == ["y"]


def test_p6_minimal_set_of_targets() -> None:
    """Rule P6 (PRE_DOC, "Targets": the target list is minimised): quota 8 with four p0 jobs
    of 2; a p9 job of 4 preempts exactly two of them (the two most recent)."""
    e = _within("LowerPriority")
    for i in range(4):
        e.submit(gang(f"j{i}", "a", 2))
        e.run()
    e.submit(gang("hi", "a", 4, priority=9))
    ev = e.run()
    assert sorted(kinds(ev, "preempt")) == ["j2", "j3"] and "hi" in e.admitted
