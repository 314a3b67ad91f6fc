"""Conformance: fair sharing with weights (F1-F7), hierarchical cohorts, the requeue of a
preempted workload (A1) and KAI (K1-K4); the preemption policies P1-P6 are in
test_conformance_preempt.py.

Each case names its rule in docs/sched.md and the documentation it comes from; expected
preemptions are worked out by hand in the docstrings.
"""

from __future__ import annotations

import pytest
from _cfg import cohort, cq, engine, kinds, res

from aifab.sched import KaiQueue, gang, kai_fair_shares

CQ_DOC = "kueue.sigs.k8s.io/docs/concepts/cluster_queue/#preemption"
PRE_DOC = "kueue.sigs.k8s.io/docs/concepts/preemption/"
KAI_DOC = "github.com/NVIDIA/KAI-Scheduler docs/fairness/README.md"


def _fair(weights: tuple[float, float], strategies: list[str] | None = None) -> object:
    pre = {"reclaimWithinCohort": "Any"}
    return engine(cq("a", "ab", 0, preemption=pre, fairSharing={"weight": weights[0]}),
                  cq("b", "ab", 0, preemption=pre, fairSharing={"weight": weights[1]}),
                  cohort("ab", gpu=12), fair=True, strategies=strategies)


def test_f1_dominant_resource_share_value() -> None:
    """Rule F1 (PRE_DOC, "ClusterQueue share value"; DRS = borrowed / lendable x 1000 /
    weight): a (nominal 0, weight 2) runs 3 of the cohort's 12: share 3/12*1000/2 = 125."""
    e = _fair((2.0, 1.0))
    e.submit(gang("a3", "a", 3))
    e.run()
    assert e.tree.share(e.tree.cqs["a"]) == pytest.approx(125.0)


def test_f2_admission_prefers_the_lower_share() -> None:
    """Rule F2 (PRE_DOC: admit from the ClusterQueue with the lowest share first): a runs 4,
    b runs 2; one job of 6 in each with 6 free: b's (share after 8/12) beats a's (10/12)."""
    e = _fair((1.0, 1.0))
    e.submit(gang("a4", "a", 4))
    e.submit(gang("b2", "b", 2))
    e.run()
    e.submit(gang("a6", "a", 6))
    e.submit(gang("b6", "b", 6))
    assert kinds(e.run(), "admit") == ["b6"]


def test_f3_fair_preemption_equal_weights() -> None:
    """Rule F3 (PRE_DOC, "Fair Sharing": preempt until the preemptor has an equal share):
    a holds all 12 in six jobs of 2; b submits six jobs of 2: b preempts until both run 6
    (LessThanOrEqualToFinalShare), then stops."""
    e = _fair((1.0, 1.0))
    for i in range(6):
        e.submit(gang(f"a{i}", "a", 2))
    e.run()
    for i in range(6):
        e.submit(gang(f"b{i}", "b", 2))
    e.run()
    assert len(e.admitted_in("a")) == 3 and len(e.admitted_in("b")) == 3


def test_f3_weights_split_two_to_one() -> None:
    """Rule F3 (CQ_DOC fairSharing.weight: shares are divided by the weight): weights 2:1,
    a holds all 12; b reclaims until b's share 2k/12/1 > a's (12-2k)/12/2 would flip: b ends
    with 4, a with 8."""
    e = _fair((2.0, 1.0))
    for i in range(6):
        e.submit(gang(f"a{i}", "a", 2))
    e.run()
    for i in range(6):
        e.submit(gang(f"b{i}", "b", 2))
    e.run()
    assert len(e.admitted_in("a")) == 4 and len(e.admitted_in("b")) == 2


def test_f4_less_than_initial_share_strategy() -> None:
    """Rule F4 (PRE_DOC, LessThanInitialShare: preemptor's share with the workload strictly
    below the target's before): a holds 12 as one job; b asks for 8. LessThanOrEqualToFinal
    refuses (b 8/12 > a 0 after); LessThanInitialShare allows (8/12 < 12/12)."""
    for strat, expect in ((["LessThanOrEqualToFinalShare"], []),
                          (["LessThanInitialShare"], ["a12"])):
        e = _fair((1.0, 1.0), strat)
        e.submit(gang("a12", "a", 12))
        e.run()
        e.submit(gang("b8", "b", 8))
        assert kinds(e.run(), "preempt") == expect


def test_f5_hierarchical_cohort_weights() -> None:
    """Rule F5 (kueue.sigs.k8s.io/docs/concepts/cohort/ "Hierarchical Cohorts": org weights
    0.75/0.25 trend to 75 %/25 % of the common resources): root 8; org1 (0.75) runs all 8 in
    jobs of 1; org2 (0.25) reclaims until its share would pass org1's: it ends with 2."""
    pre = {"reclaimWithinCohort": "Any"}
    e = engine(cohort("root", gpu=8), cohort("org1", "root", weight=0.75),
               cohort("org2", "root", weight=0.25),
               cq("a", "org1", 0, preemption=pre), cq("b", "org2", 0, preemption=pre),
               fair=True)
    for i in range(8):
        e.submit(gang(f"a{i}", "a", 1))
    e.run()
    for i in range(8):
        e.submit(gang(f"b{i}", "b", 1))
    e.run()
    assert len(e.admitted_in("b")) == 2 and len(e.admitted_in("a")) == 6


def test_f5_admission_order_is_a_tournament_per_cohort() -> None:
    """Rule F5 (kueue.sigs.k8s.io/docs/concepts/cohort/ "Hierarchical Cohorts"; PRE_DOC,
    "ClusterQueue share value"; Kueue's fair-sharing iterator runs a tournament per cohort):
    root 10 GPUs over cohorts g (queues u, s) and o (queue x), all nominal 0; u and x run 2
    each. Heads of 4 GPUs, submitted u_w, x_w, s_w; only one fits. In g, s_w wins (s's
    share with it 400 < u's 600); at the root g with s_w and o with x_w both have 600, so the
    older x_w goes first and is admitted. (Sorting with the pairwise comparison at the
    lowest common cohort is circular here: u_w < x_w < s_w < u_w; it admitted u_w.)"""
    e = engine(cohort("root", gpu=10), cohort("g", "root"), cohort("o", "root"),
               cq("u", "g", 0), cq("x", "o", 0), cq("s", "g", 0), fair=True)
    e.submit(gang("u0", "u", 2))
    e.submit(gang("x0", "x", 2))
    e.run()
    for name, q in (("u_w", "u"), ("x_w", "x"), ("s_w", "s")):
        e.submit(gang(name, q, 4))
    assert kinds(e.run(), "admit") == ["x_w"]


def test_a1_victim_requeued_after_its_preemptor() -> None:
    """Rule A1 (PRE_DOC; kueue.sigs.k8s.io/docs/concepts/cluster_queue/ "Queueing strategy":
    evicted workloads requeue by eviction time): the eviction happens after its preemptor
    was created, also when the caller's clock has not moved (the twin runs an instant's
    cycles at one time). korea-2025 at day 2: a 32-GPU job of startups preempted one of
    universities whose share did not fall (it borrowed on the other flavor), both at the
    same time: the victim, named first, won the tie and was readmitted, 10,000 cycles."""
    e = engine(cq("a", gpu=8, preemption={"withinClusterQueue": "LowerPriority"}))
    e.clock = 100.0
    e.submit(gang("lo", "a", 8, created=100.0))
    e.run()
    e.submit(gang("hi", "a", 8, priority=1, created=100.0))
    assert kinds(e.run(), "preempt") == ["lo"]
    assert "hi" in e.admitted and e.pending["lo"].created > 100.0


def test_f7_fair_sharing_takes_only_from_queues_borrowing_on_the_flavor() -> None:
    """Rule F7 (PRE_DOC, "Reasons for preemption": the target's ClusterQueue uses more than
    its nominal quota of a resource the preemptor needs; Kueue's findCandidates): u and s
    have 4 GPUs of f1 and of f2 each (u tries f2 first). u runs 8 on f2 (borrowing 4) and 4
    on f1 (within nominal); s runs 4 on f1. s_w (4) fits only by preemption on f1. u has a
    share (250, from f2) equal to s's with s_w, but u is not borrowing on f1: nothing is
    preempted (before F7 u_f1 was, and on korea-2025 that let a workload be readmitted and
    preempted again at every cycle)."""
    pre = {"reclaimWithinCohort": "Any"}
    gpu = "nvidia.com/gpu"
    e = engine(cq("u", "c", flavors={"f2": [res(gpu, 4)], "f1": [res(gpu, 4)]},
                  preemption=pre),
               cq("s", "c", flavors={"f1": [res(gpu, 4)], "f2": [res(gpu, 4)]},
                  preemption=pre),
               cohort("c"), fair=True, flavors=("f1", "f2"))
    e.submit(gang("u_f2", "u", 8))
    e.submit(gang("u_f1", "u", 4))
    e.submit(gang("s_1", "s", 4))
    e.run()
    assert e.admitted["u_f1"].usage == {("f1", gpu): 4.0}
    e.submit(gang("s_w", "s", 4))
    assert kinds(e.run(), "preempt") == []


def test_f6_final_targets_pass_the_strategy() -> None:
    """Rule F6 (kueue.sigs.k8s.io/docs/concepts/fair_sharing/ "Proof that two workloads won't
    preempt each other"; PRE_DOC, "Preemption strategies"; kubernetes-sigs/kueue#14543): a, b
    nominal 4 each in one cohort; b1 (5, b borrows 1) and a_lo (3) run; a_hi (4, priority 1)
    needs 4 with 0 free. Taking a_lo lowers a's share to 0, which lets b1 go (0 <= 0); put
    a_lo back and a's share with a_hi is 375 against b's 0 (and not < b's 125 before), so
    a_lo stays a target. Before F6 a_lo was put back: b1 (share 125 after admission, below
    a_hi's 375) was readmitted first into the freed quota every cycle and a_hi preempted it
    again until the cycle limit. Now: a_lo and b1 are preempted once, a_hi and a_lo run,
    b1 waits (it cannot preempt a: a is no longer borrowing)."""
    pre = {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"}
    e = engine(cq("a", "ab", 4, preemption=pre), cq("b", "ab", 4, preemption=pre),
               cohort("ab"), fair=True)
    e.submit(gang("b1", "b", 5))
    e.submit(gang("a_lo", "a", 3))
    e.run()
    e.submit(gang("a_hi", "a", 4, priority=1))
    ev = e.run(max_cycles=50)
    assert e.cycle < 20
    assert sorted(kinds(ev, "preempt")) == ["a_lo", "b1"]
    assert sorted(e.admitted) == ["a_hi", "a_lo"] and "b1" in e.pending


def _kq(name: str, quota: float, weight: float = 1, prio: int = 0, limit: float = -1,
        parent: str | None = None) -> KaiQueue:
    return KaiQueue(name, parent, prio, quota, limit, weight)


def test_k1_kai_deserved_then_weights() -> None:
    """Rule K1 (KAI_DOC, "Fair-Share Algorithm": deserved quota first, the rest by
    over-quota weight): 10 GPUs, A quota 2 weight 1, B quota 2 weight 3, both want 10:
    A 2 + 6/4 = 3.5, B 2 + 18/4 = 6.5."""
    s = kai_fair_shares([_kq("A", 2, 1), _kq("B", 2, 3)], {"A": 10, "B": 10}, 10)
    assert s == pytest.approx({"A": 3.5, "B": 6.5})


def test_k2_kai_over_quota_priority_first() -> None:
    """Rule K2 (KAI_DOC: surplus allocated by priority, then weight): A priority 1 gets the
    whole surplus it asks for (5) before B (priority 0) gets the rest (1)."""
    s = kai_fair_shares([_kq("A", 2, 1, prio=1), _kq("B", 2, 3)], {"A": 7, "B": 10}, 10)
    assert s == pytest.approx({"A": 7.0, "B": 3.0})


def test_k3_kai_hierarchy_divides_the_parent_share() -> None:
    """Rule K3 (KAI_DOC, "Hierarchical division"): parent P quota 6 with children c1 (2,
    w1) and c2 (2, w1), sibling Q quota 4; 10 GPUs, all hungry: P gets 6, split 3/3."""
    qs = [_kq("P", 6), _kq("Q", 4), _kq("c1", 2, parent="P"), _kq("c2", 2, parent="P")]
    s = kai_fair_shares(qs, {"c1": 10, "c2": 10, "Q": 10}, 10)
    assert s["P"] == pytest.approx(6) and s["c1"] == pytest.approx(3)


def test_k4_kai_limit_and_quota_reclaim(tmp_path: object) -> None:
    """Rule K4 (KAI docs/queues/README.md: limit is a hard cap; KAI_DOC "Quota Reclaim":
    a queue under its quota evicts from queues over theirs): A quota 4 limit 6, B quota 4:
    A can run 6 not 7; then B's job of 4 reclaims A's borrowed job."""
    from aifab.sched import Engine, Manifests, load_docs
    from aifab.sched._load import check

    docs = [{"apiVersion": "scheduling.run.ai/v2", "kind": "Queue", "metadata": {"name": n},
             "spec": {"resources": {"gpu": {"quota": 4, "limit": lim}}}}
            for n, lim in (("A", 6), ("B", -1))]
    m = Manifests()
    load_docs(m, "kai.yaml", docs)
    check(m)
    e = Engine(m)
    e.submit(gang("a7", "A", 7))
    e.submit(gang("a6", "A", 6))
    assert kinds(e.run(), "admit") == ["a6"]
    e.submit(gang("b4", "B", 4))
    ev = e.run()
    assert kinds(ev, "preempt") == ["a6"] and "b4" in e.admitted
