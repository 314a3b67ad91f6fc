"""Conformance: classic preemption (no fair sharing) as Kueue's classical candidate generator
chooses targets, in hierarchical and flat cohorts (rules R5, P7-P9 of docs/sched.md).

Reference: kubernetes-sigs/kueue pkg/scheduler/preemption/classical/
hierarchical_preemption.go (collectCandidatesForHierarchicalReclaim,
collectCandidatesInSubtree, classifyPreemptionVariant, FindHeightOfLowestSubtreeThatFits),
candidate_generator.go (NewCandidateIterator, candidateIsValid), preemption.go
(classicalPreemptions, queueUnderNominalInResourcesNeedingPreemption) and
flavorassigner.go (fitsResourceQuota) at v0.19.2 8eab687 (unchanged at ff69552); the
hierarchical part came with kueue#4806, which fixed kueue#3948 (the first case below).
Expected admissions and preemptions are worked out by hand in each docstring.
"""

from __future__ import annotations

from _cfg import cohort, cq, engine, kinds

from aifab.sched import gang

CLASSIC_DOC = ("github.com/kubernetes-sigs/kueue v0.19.2 "
               "pkg/scheduler/preemption/classical/hierarchical_preemption.go")
ANY = {"reclaimWithinCohort": "Any"}


def test_r5_p7_reclaim_from_outside_the_cohort_that_holds_the_quota() -> None:
    """Rule P7 (CLASSIC_DOC, with R5: FindHeightOfLowestSubtreeThatFits and
    collectCandidatesForHierarchicalReclaim; kueue#3948): root holds ClusterQueue be
    (nominal 0) and Cohort g (nominal 8) with ClusterQueue g (nominal 0, reclaim Any).
    be (p5) runs 8, borrowing all of g's quota. g's job of 8 (p0) needs more than g's
    nominal quota (0) and g has no borrowWithinCohort, but Cohort g, below the root,
    holds its usage (0) plus the request (8) in its subtree quota (8): it may preempt
    (R5). be's workload is a hierarchy candidate (lowest common cohort root; the request
    fits in Cohort g below it), taken whatever its priority; attempts: borrowWithinCohort
    forbidden and g not below its nominal quota (0 < 0 fails): one pass with borrowing,
    be's 8 removed, g's 8 fits. Before: "no fit" (need 8 > nominal 0), g pended."""
    e = engine(cohort("root"), cq("be", "root", 0), cohort("g", "root", 8),
               cq("g", "g", 0, preemption=ANY))
    e.submit(gang("be8", "be", 8, priority=5))
    e.run()
    e.submit(gang("g8", "g", 8, priority=0))
    ev = e.run()
    assert kinds(ev, "preempt") == ["be8"] and kinds(ev, "admit") == ["g8"]


def _threshold(thr: int | None, c_prio: int, b_prio: int) -> list[str]:
    """root (no quota) holds Cohort t (nominal 8) and ClusterQueue c (nominal 0); t holds
    a (nominal 4, reclaim Any, borrowWithinCohort LowerPriority, threshold ``thr``) and b
    (nominal 0). Subtree quota of t 12, of root 12. a runs a4 (p5, its own 4), b runs b4
    (borrowing 4 inside t), c runs c4 (borrowing 4 of t's quota at the root): all 12 used.
    a asks for 4 more at p5 (need 4 within nominal 4: may preempt). Returns the
    preemptions."""
    pre = {"reclaimWithinCohort": "Any",
           "borrowWithinCohort": {"policy": "LowerPriority"}}
    if thr is not None:
        pre["borrowWithinCohort"]["maxPriorityThreshold"] = thr  # type: ignore[index]
    e = engine(cohort("root"), cohort("t", "root", 8), cq("c", "root", 0),
               cq("a", "t", 4, preemption=pre), cq("b", "t", 0))
    e.submit(gang("a4", "a", 4, priority=5))
    e.submit(gang("b4", "b", 4, priority=b_prio))
    e.submit(gang("c4", "c", 4, priority=c_prio))
    e.run()
    assert set(e.admitted) == {"a4", "b4", "c4"}
    e.submit(gang("a4b", "a", 4, priority=5))
    ev = e.run()
    assert "a4b" in e.admitted
    return kinds(ev, "preempt")


def test_p8_threshold_applies_only_to_priority_candidates() -> None:
    """Rule P8 (CLASSIC_DOC, classifyPreemptionVariant; preemption.go classicalPreemptions: "We
    respect the BorrowWithinCohort configuration only for [priority candidates]"):
    threshold 0, b4 and c4 at p3 (above it). a's request does not fit in a (4 used + 4 >
    4); with what a cannot keep (4) it fits in Cohort t (b's 4 + 4 <= 12): so over c
    (lowest common cohort root) a has the hierarchical advantage, over b (lowest common
    cohort t) not. c4 is a hierarchy candidate, b4 a priority candidate above the
    threshold (reclaim without borrowing only). Attempts: with borrowing, then without.
    With borrowing: b4 is passed over, c4 is taken and a4b fits (12 - 8 = 4 free).
    Before: every candidate of another queue was held to the threshold: none, a4b pended."""
    assert _threshold(0, c_prio=3, b_prio=3) == ["c4"]


def test_p9_hierarchy_candidates_before_priority_candidates() -> None:
    """Rule P9 (CLASSIC_DOC, candidate_generator.go NewCandidateIterator: hierarchy candidates,
    then priority candidates, then the queue's own, each by priority then recency): no
    threshold, b4 at p1 and c4 at p4, both lower than a4b (p5) so both may be preempted
    while borrowing. Removing either frees 4, enough. c4 (hierarchy) comes first although
    b4 has the lower priority: c4 is preempted. Before: one list by priority, b4 first."""
    assert _threshold(None, c_prio=4, b_prio=1) == ["c4"]


def test_p7_only_subtrees_that_borrow_are_reclaimed() -> None:
    """Rule P7 (CLASSIC_DOC, collectCandidatesInSubtree and candidateIsValid: a candidate's queue
    and every cohort between it and the lowest common cohort must use more than its quota
    on a needed flavor-resource): root holds ClusterQueue a (nominal 4, reclaim Any,
    borrowWithinCohort LowerPriority) and Cohort u (nominal 4) with ClusterQueue d (nominal
    0). d runs d4 (p0): d borrows (4 > 0), but inside u, which uses its own quota (4 <= 4).
    a asks for 8 (p5; beyond its nominal quota, allowed by borrowWithinCohort). Its lowest
    common cohort with d is the root; u does not borrow: d4 is no candidate, a8 pends.
    Before: only d itself was tested: d4 was preempted for a8."""
    pre = {"reclaimWithinCohort": "Any", "borrowWithinCohort": {"policy": "LowerPriority"}}
    e = engine(cohort("root"), cq("a", "root", 4, preemption=pre), cohort("u", "root", 4),
               cq("d", "u", 0))
    e.submit(gang("d4", "d", 4, priority=0))
    e.run()
    e.submit(gang("a8", "a", 8, priority=5))
    assert e.run() == [] and "a8" not in e.admitted


def _flat(bwc: dict[str, object] | None) -> tuple[list[str], list[str]]:
    """A flat cohort ab: a (nominal 6, reclaim Any, withinClusterQueue LowerPriority,
    borrowWithinCohort ``bwc``), b (nominal 6). a runs a2 (p0); b runs b10 (p3; borrowing
    4 of a's quota). a asks for 6 at p5 (need 6 within nominal 6: may preempt), but a's
    usage with it (8) is above its nominal quota: no hierarchical advantage, b10 is a
    priority candidate. Returns (preemptions, admissions) of that step."""
    pre: dict[str, object] = {"reclaimWithinCohort": "Any",
                              "withinClusterQueue": "LowerPriority"}
    if bwc is not None:
        pre["borrowWithinCohort"] = bwc
    e = engine(cq("a", "ab", 6, preemption=pre), cq("b", "ab", 6))
    e.submit(gang("a2", "a", 2, priority=0))
    e.run()
    e.submit(gang("b10", "b", 10, priority=3))
    e.run()
    e.submit(gang("a6", "a", 6, priority=5))
    ev = e.run()
    return sorted(kinds(ev, "preempt")), kinds(ev, "admit")


def test_p8_flat_below_nominal_tries_without_borrowing_first() -> None:
    """Rule P8 (CLASSIC_DOC, in a flat cohort; preemption.go classicalPreemptions and
    queueUnderNominalInResourcesNeedingPreemption: a's usage now, 2, is below its nominal
    quota 6, so with borrowWithinCohort forbidden the attempts are without borrowing over
    every candidate, then with borrowing over its own only; concepts/preemption.md,
    "Targets" 3: "If the current usage of the target queue is below nominal quota"). Without
    borrowing: b10 is taken (b borrows), a6 does not fit yet (2 + 6 > 6), then a2: a6 fits
    (0 + 6 <= 6, 12 - 0 free). Minimised: a2 back fails (8 > 6), b10 back fails (2 free):
    both preempted, a6 admitted, then a2 again (a's 6 + 2 within the 12 of the cohort,
    b10 waiting). Before: aifab read "current usage" as usage with the request (8 > 6) and
    tried only a's own with borrowing: a2 alone frees 2 of the 6 needed, a6 pended."""
    pre, adm = _flat(None)
    assert pre == ["a2", "b10"] and adm == ["a6", "a2"]


def test_p8_flat_above_threshold_taken_when_not_borrowing() -> None:
    """Rule P8 (CLASSIC_DOC, in a flat cohort; preemption.go classicalPreemptions: "We can only
    preempt a priority candidate with priority > MaxPriorityThreshold if the target CQ is
    not borrowing"): as above with borrowWithinCohort LowerPriority, threshold 0: b10 (p3)
    is above it. Attempts: with borrowing (b10 passed over; a2 alone does not make room),
    then without borrowing over every candidate: b10 and a2 preempted as above. Before:
    the fallback took only a's own with borrowing: a6 pended."""
    pre, adm = _flat({"policy": "LowerPriority", "maxPriorityThreshold": 0})
    assert pre == ["a2", "b10"] and adm == ["a6", "a2"]


def test_p7_flat_within_nominal_unchanged() -> None:
    """Rule P7 (CLASSIC_DOC, with P3, P5, in a flat cohort, the same before and after:
    with a's request within its nominal quota, every borrowing queue's workload is a
    hierarchy candidate, as the former "under nominal quota" heuristic took them): a (4,
    reclaim Any), b (4),
    c (4); b runs b6 (p2), c runs c6 (p1), both borrowing 2. a's job of 4 (p5): c6 (lowest
    priority) is preempted, which frees enough (12 - 6 = 6 >= 4); b6 stays."""
    e = engine(cq("a", "abc", 4, preemption=ANY), cq("b", "abc", 4), cq("c", "abc", 4))
    e.submit(gang("b6", "b", 6, priority=2))
    e.submit(gang("c6", "c", 6, priority=1))
    e.run()
    e.submit(gang("a4", "a", 4, priority=5))
    ev = e.run()
    assert kinds(ev, "preempt") == ["c6"] and kinds(ev, "admit") == ["a4"]


def test_a3_heads_ordered_by_borrowing_level() -> None:
    """Rule A3 (CLASSIC_DOC, with kueue v0.19.2 scheduler.go makeClassicalIterator: heads
    by the borrowing level of their assignment, then priority, then age): the first case's
    tree (root: be, nominal 0; Cohort g, nominal 8: g, nominal 0). be8 (p5) and g8 (p0)
    arrive together; both borrow, but g8's request fits in Cohort g (height 1) and be8's
    only at the root (height 2): g8 goes first and is admitted, be8 pends. Before: both
    were "borrowing", be8 won by priority (and g8 could not reclaim, R5)."""
    e = engine(cohort("root"), cq("be", "root", 0), cohort("g", "root", 8),
               cq("g", "g", 0, preemption=ANY))
    e.submit(gang("be8", "be", 8, priority=5))
    e.submit(gang("g8", "g", 8, priority=0))
    ev = e.run()
    assert kinds(ev, "admit") == ["g8"] and kinds(ev, "preempt") == []


def test_p10_a_victim_spares_its_preemptor() -> None:
    """Rule P10 (CLASSIC_DOC, P7 and P4 together; aifab's loop guard, not Kueue's): root
    holds Cohorts x (a: nominal 4, reclaim Any, borrowWithinCohort LowerPriority) and y (b,
    d: nominal 2 each, reclaim Any); 8 GPUs. a runs a2 (p2); b runs bb2 (p1) and v1 (p0,
    1: b borrows 1); d runs v2 (p0, 3: d borrows 1); y uses 6 of its 4. a4 (p2) needs 4:
    a (2 + 4 > 4) and x (6 > 4) do not hold it: v1, v2 are priority candidates below a4's
    priority, taken while borrowing (P4): v1 frees 1, v2 3: both preempted, a4 admitted
    (a waiting preemptor under a nested cohort goes first, A3). v1 comes back: b (2 + 1 >
    2) no, y (2 + 1 <= 4) holds it: over a's workloads (a and x borrow) v1 has the
    hierarchical advantage, any priority (reclaim Any). Kueue would take a4 (the most
    recent) and a4 would take v1 again, without end; v1 spares a4 and takes a2. v2 (d: 3 >
    2; y: 3 + 3 > 4) cannot reclaim. Before: v1 was no candidate's preemptor (b not within
    its nominal quota with it, no borrowWithinCohort): v1 and v2 pended."""
    pre = {"reclaimWithinCohort": "Any", "borrowWithinCohort": {"policy": "LowerPriority"}}
    e = engine(cohort("root"), cohort("x", "root"), cohort("y", "root"),
               cq("a", "x", 4, preemption=pre), cq("b", "y", 2, preemption=ANY),
               cq("d", "y", 2, preemption=ANY))
    for name, q, n, p in (("a2", "a", 2, 2), ("bb2", "b", 2, 1), ("v2", "d", 3, 0),
                          ("v1", "b", 1, 0)):
        e.submit(gang(name, q, n, priority=p))
        e.run()
    e.submit(gang("a4", "a", 4, priority=2))
    ev = e.run()
    assert [(x.kind, x.workload, x.by) for x in ev] == [
        ("preempt", "v1", "a4"), ("preempt", "v2", "a4"), ("admit", "a4", None),
        ("preempt", "a2", "v1"), ("admit", "v1", None)]
