"""Conformance: fair sharing as Kueue's scheduler runs it (rules F5, F8): the admission
tournament read again after each admission of a cycle, the feature gates
FairSharingPrioritizeNonBorrowing and FairSharingPreemptWithinNominal (beta, on by default
since Kueue v0.17), the preemptor's request in the shares of a preemption search, and the
target ordering passing over queues that do not borrow.

Each case names its rule in docs/sched.md and the Kueue page or source file it comes from
(kubernetes-sigs/kueue at ff69552, read, not copied); the expected admissions and
preemptions are worked out by hand in the docstrings (shares: borrowed / lendable x 1000).
"""

from __future__ import annotations

from typing import Any

from _cfg import API, cohort, config, cq, kinds

from aifab.sched import Engine, gang

ITER_DOC = "kueue.sigs.k8s.io/docs/concepts/fair_sharing/; pkg/scheduler/fair_sharing_iterator.go"
PRE_DOC = "kueue.sigs.k8s.io/docs/concepts/preemption/; pkg/scheduler/preemption/preemption.go"
ORD_DOC = "kueue.sigs.k8s.io/docs/concepts/preemption/; pkg/scheduler/preemption/fairsharing"


def _engine(*docs: dict[str, Any], gates: dict[str, bool] | None = None,
            strategies: list[str] | None = None, **kw: Any) -> Engine:
    conf: dict[str, Any] = {"apiVersion": "config.kueue.x-k8s.io/v1beta2",
                            "kind": "Configuration", "metadata": {"name": "kueue"},
                            "fairSharing": {} if strategies is None else
                            {"preemptionStrategies": strategies}}
    if gates is not None:
        conf["featureGates"] = gates
    return Engine(config(*docs, conf, **kw))


def test_f5_shares_read_again_after_each_admission() -> None:
    """Rule F5 (ITER_DOC: pop() computes the shares again from the snapshot, to which each
    admission of the cycle has added its usage): root 10 GPUs over cohorts g (queues u, s)
    and o (queue x), all nominal 0, empty. Heads u_w 4, s_w 4, x_w 5 (submitted in that
    order). First pick: in g, u 400 ties s 400, older u_w; at the root g 400 < o 500: u_w
    is admitted. Second pick: g with s_w now uses 8: 800 > o with x_w 500: x_w is admitted
    (9 of 10 used) and s_w no longer fits. With the shares of the cycle's start kept, g
    with s_w stayed at 400 and s_w was admitted, then x_w did not fit."""
    e = _engine(cohort("root", gpu=10), cohort("g", "root"), cohort("o", "root"),
                cq("u", "g", 0), cq("s", "g", 0), cq("x", "o", 0))
    for name, q, n in (("u_w", "u", 4), ("s_w", "s", 4), ("x_w", "x", 5)):
        e.submit(gang(name, q, n))
    assert kinds(e.run(), "admit") == ["u_w", "x_w"]


def test_f5_nominee_usage_carried_up_as_usage() -> None:
    """Rule F5 (ITER_DOC: computeDRS adds the nominee's usage at its ClusterQueue, and
    pkg/cache/scheduler/resource_node.go addUsage passes up only what the queue's unused
    lendingLimit-kept quota does not cover): root r (6 GPUs) over g (u nominal 4 with
    lendingLimit 0, s nominal 0) and o (x nominal 0). s runs 1, x runs 2 (3 free). Heads
    u_w 4, s_w 2, x_w 2. In g, u_w (u within its 4) is nominated; at r, g with u_w still
    uses 1 (u_w stays in u's kept quota): 1/6 = 167 < o with x_w 667: u_w goes first, then
    g with s_w 500 < 667: s_w is admitted and x_w no longer fits. With the whole request
    added at g (5/6 = 833), x_w went first, then u_w, and s_w did not fit."""
    e = _engine(cohort("r", gpu=6), cohort("g", "r"), cohort("o", "r"),
                cq("u", "g", 4, lend=0), cq("s", "g", 0), cq("x", "o", 0))
    e.submit(gang("s0", "s", 1))
    e.submit(gang("x0", "x", 2))
    e.run()
    for name, q, n in (("u_w", "u", 4), ("s_w", "s", 2), ("x_w", "x", 2)):
        e.submit(gang(name, q, n))
    assert kinds(e.run(), "admit") == ["u_w", "s_w"]


def _two_resources() -> list[dict[str, Any]]:
    def q(name: str, gpu: float, cpu: float) -> dict[str, Any]:
        return {"apiVersion": API, "kind": "ClusterQueue", "metadata": {"name": name},
                "spec": {"cohortName": "c", "resourceGroups": [
                    {"coveredResources": ["nvidia.com/gpu"], "flavors": [
                        {"name": "default",
                         "resources": [{"name": "nvidia.com/gpu", "nominalQuota": gpu}]}]},
                    {"coveredResources": ["cpu"], "flavors": [
                        {"name": "cpuf", "resources": [{"name": "cpu", "nominalQuota": cpu}]}]}]}}
    return [q("a", 4, 0), q("b", 4, 10), cohort("c")]


def _nonborrowing_case(gates: dict[str, bool] | None) -> list[str]:
    e = _engine(*_two_resources(), gates=gates, flavors=("default", "cpuf"))
    e.submit(gang("a_cpu", "a", 5, resource="cpu"))
    e.submit(gang("b0", "b", 4))
    e.run()
    e.submit(gang("a_w", "a", 3))
    e.submit(gang("b_w", "b", 3))
    return kinds(e.run(), "admit")


def test_f5_non_borrowing_nominee_first() -> None:
    """Rule F5 (ITER_DOC: entryComparer.less, FairSharingPrioritizeNonBorrowing, beta and on by
    default since Kueue v0.17, pkg/features/kube_features.go): a and b (cohort c) have 4
    GPUs each; cpu: a 0, b 10. a runs 5 cpu (borrowed: share 5/10 = 500), b runs its 4
    GPUs. Heads a_w 3 GPUs (within a's nominal GPUs) and b_w 3 GPUs (borrowed from a: share
    3/8 = 375); 4 GPUs are free, only one fits. With the gate a_w goes first (a does not
    borrow on the GPUs a_w requests; its share comes from cpu): a_w is admitted. With the
    gate off (featureGates) the lower share goes first: b_w."""
    assert _nonborrowing_case(None) == ["a_w"]
    assert _nonborrowing_case({"FairSharingPrioritizeNonBorrowing": False}) == ["b_w"]


def test_f8_preemptor_request_counts_in_its_side_share() -> None:
    """Rule F8 (ORD_DOC: fairPreemptions adds the preemptor's usage to the snapshot before the
    target ordering reads the shares): a and b (cohort c, 8 GPUs) have 4 each; a runs
    a_lo (2), b runs b1 (5, borrows 1: share 125); a_hi (priority 1, 4 GPUs) must free 3;
    strategy LessThanOrEqualToFinalShare only. With its request a uses 6: share 250 > b's
    125, so a's own a_lo is taken first; then a (4 with a_hi) has share 0 <= b's 0 after
    b1 goes: b1 is taken and a_hi fits (a_lo stays a target, F6). Without the request in
    a's share, b (125 > 0) was tried first, failed (250 > 0), was passed over for the
    strategy, and taking a_lo alone did not fit: nothing was preempted."""
    pre = {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"}
    e = _engine(cq("a", "c", 4, preemption=pre), cq("b", "c", 4, preemption=pre),
                cohort("c"), strategies=["LessThanOrEqualToFinalShare"])
    e.submit(gang("a_lo", "a", 2))
    e.submit(gang("b1", "b", 5))
    e.run()
    e.submit(gang("a_hi", "a", 4, priority=1))
    ev = e.run(max_cycles=50)
    assert sorted(kinds(ev, "preempt")) == ["a_lo", "b1"]
    assert "a_hi" in e.admitted


def _within_nominal_case(gates: dict[str, bool] | None) -> list[str]:
    pre = {"reclaimWithinCohort": "Any"}
    docs = _two_resources()
    docs[0]["spec"]["preemption"] = pre
    e = _engine(*docs, gates=gates, flavors=("default", "cpuf"))
    e.submit(gang("a_cpu", "a", 5, resource="cpu"))
    e.submit(gang("b1", "b", 6))
    e.run()
    e.submit(gang("a_w", "a", 3))
    out = kinds(e.run(max_cycles=50), "preempt")
    assert e.cycle < 20
    return out


def test_f8_preemptor_within_nominal_skips_the_strategies() -> None:
    """Rule F8 (PRE_DOC: runFirstFsStrategy, FairSharingPreemptWithinNominal, beta and on by
    default since Kueue v0.17; kubernetes-sigs/kueue#9406): a and b (cohort c) have 4 GPUs
    each; cpu: a 0, b 10. a runs 5 cpu (share 5/10 = 500), b runs b1 (6 GPUs, borrows 2:
    share 2/8 = 250). a_w (3 GPUs) needs b1 gone: a's share with a_w is 500 (from cpu),
    above b's 250 and 0 after, so both strategies refuse. With the gate a is within its
    nominal GPUs with a_w (3 <= 4) and takes from the borrowing b without comparing shares:
    b1 is preempted once (a_w, not borrowing on GPUs, goes first in the next tournament,
    F5). With the gate off (featureGates): nothing."""
    assert _within_nominal_case(None) == ["b1"]
    assert _within_nominal_case({"FairSharingPreemptWithinNominal": False}) == []


def test_f8_within_nominal_is_read_at_the_preemptor_side() -> None:
    """Rule F8 (PRE_DOC; kubernetes-sigs/kueue#13307, open: the check at the preemptor's side
    below the lowest common cohort, so that preemption agrees with the admission order):
    root r over g (a nominal 4, a2 nominal 0) and o (b nominal 4); 8 GPUs. a2 runs a2_1
    (3, priority 5), b runs b1 (5, borrows 1: o's share 125); a_w (3, priority 1) needs b1
    gone. a stays within its nominal quota (3 <= 4), but its side g uses 6 of 4 (share
    250, above o's 125 and 0 after): the strategies apply and nothing is preempted. With
    Kueue v0.19.2's check at the ClusterQueue, b1 was preempted, then won the next
    tournament at r (o 125 < g 250, both borrowing) and was readmitted, 50 cycles in a
    loop."""
    pre = {"reclaimWithinCohort": "LowerPriority"}
    e = _engine(cohort("r"), cohort("g", "r"), cohort("o", "r"),
                cq("a", "g", 4, preemption=pre), cq("a2", "g", 0), cq("b", "o", 4))
    e.submit(gang("a2_1", "a2", 3, priority=5))
    e.submit(gang("b1", "b", 5))
    e.run()
    e.submit(gang("a_w", "a", 3, priority=1))
    assert kinds(e.run(max_cycles=50), "preempt") == []
    assert e.cycle < 20


def test_f8_target_queue_that_stops_borrowing_is_passed_over() -> None:
    """Rule F8 (ORD_DOC: TargetClusterQueueOrdering.nextTarget passes over a ClusterQueue that
    does not borrow, also when its cohort does): root r over p (nominal 8) and cohort o
    (y nominal 4, y2 nominal 0); 12 GPUs. p runs 3; y runs y_a (3) then y_b (2): borrows 1;
    y2 runs z1 (4, priority 5, not a candidate). p_w (4, priority 1, reclaim LowerPriority)
    needs 4 with 0 free; p stays within nominal (7 <= 8). y_b is taken (2 free); y now
    uses 3 <= 4 and does not borrow, so it is passed over although o still does (7 of 4):
    no fit, nothing is preempted. Before, y_a was taken as well (o's share 250 > 0)."""
    pre = {"reclaimWithinCohort": "LowerPriority"}
    e = _engine(cohort("r"), cohort("o", "r"), cq("p", "r", 8, preemption=pre),
                cq("y", "o", 4), cq("y2", "o", 0))
    e.submit(gang("p0", "p", 3, priority=5))
    e.submit(gang("y_a", "y", 3))
    e.submit(gang("y_b", "y", 2))
    e.submit(gang("z1", "y2", 4, priority=5))
    e.run()
    assert len(e.admitted) == 4
    e.submit(gang("p_w", "p", 4, priority=1))
    assert kinds(e.run(max_cycles=50), "preempt") == []


def _other_flavor_case(a0: float = 12) -> Engine:
    def q(name: str, co: str, fl: dict[str, float], **spec: Any) -> dict[str, Any]:
        return cq(name, co, flavors={f: [{"name": "nvidia.com/gpu", "nominalQuota": v}]
                                     for f, v in fl.items()}, **spec)

    pre = {"reclaimWithinCohort": "Any"}
    e = _engine(cohort("r"), cohort("ca", "r"), cohort("cb", "r"), cohort("cc", "r"),
                q("qa", "ca", {"f1": 10}, preemption=pre), q("qb", "cb", {"f1": 2, "f2": 10}),
                q("qb2", "cb", {"f1": 8}), q("qc", "cc", {"f2": 10}), flavors=("f1", "f2"))
    e.submit(gang("a0", "qa", a0))  # 12: ca borrows 2 on f1
    e.submit(gang("b1", "qb", 6))  # f1: qb borrows 4 within cb, cb uses 6 of its 10
    e.submit(gang("b2", "qb", 9))  # on f2 (f1 cannot hold it)
    e.submit(gang("b3", "qb", 9))  # f2 again: cb uses 18 of its 10 on f2 (borrows 8)
    e.run()
    return e


def test_f9_target_side_not_borrowing_on_the_needed_flavor_is_passed_over() -> None:
    """Rule F9 (ORD_DOC: nextTarget prunes a Cohort only when it borrows nothing; ITER_DOC:
    FairSharingPrioritizeNonBorrowing reads borrowing per requested flavor,
    kubernetes-sigs/kueue#10149; F9 is aifab's loop guard, not Kueue's): root r over
    cohorts ca (qa: f1 10), cb (qb: f1 2, f2 10; qb2: f1 8) and cc (qc: f2 10); f1 20, f2
    20 GPUs. qa runs a0 (12 on f1: ca borrows 2); qb runs b1 (6 on f1: qb borrows 4 inside
    cb, cb uses 6 of its 10) and b2, b3 (9 each on f2: cb borrows 8 of cc's f2, share
    8/40 x 1000 = 200). a_w (6, qa lists only f1) finds 2 GPUs free on f1. cb does not
    borrow on f1; its share comes from f2. With Kueue's ordering cb is not pruned, ca with
    a_w (f1 18 of 10: share 200) <= cb after b1 (200): b1 is preempted; in the next cycle
    cb with b1 does not borrow on f1, so b1 wins the tournament (F5), is readmitted, and
    a_w preempts it again, every cycle (the 1,000-ClusterQueue fleet design of
    benchmarks/sched_bench.py at day 4.86: 10,000 cycles per instant). With F9 cb is passed
    over on f1: nothing is preempted and a_w waits."""
    e = _other_flavor_case()
    assert sorted(e.admitted) == ["a0", "b1", "b2", "b3"]
    assert e.tree.borrowing(e.tree.nodes["cohort:cb"])  # on f2 only
    e.submit(gang("a_w", "qa", 6))
    ev = e.run(max_cycles=50)
    assert kinds(ev, "preempt") == []
    assert e.cycle < 20
    assert "a_w" in e.pending


def test_f9_target_side_borrowing_on_the_needed_flavor_is_taken() -> None:
    """Rule F9 (ORD_DOC), the other way: as above, but qa runs a0 of 8 (ca within its 10)
    and qb2 runs b4 (5 on f1, within its 8): cb uses 11 of its 10 on f1 and borrows there
    (share (1 + 8)/40 x 1000 = 225); 1 GPU is free on f1. a_w (6) needs 5 more: ca with a_w
    (14 of 10: 100) <= cb after b1 (8/40: 200), so qb's b1 (qb borrows on f1; qb2 does
    not) is preempted once, and a_w is admitted in the next cycle (cb with b1 would borrow
    on f1 again: both borrow, ca's lower share goes first)."""
    e = _other_flavor_case(a0=8)
    e.submit(gang("b4", "qb2", 5))
    e.run()
    assert sorted(e.admitted) == ["a0", "b1", "b2", "b3", "b4"]
    e.submit(gang("a_w", "qa", 6))
    ev = e.run(max_cycles=50)
    assert kinds(ev, "preempt") == ["b1"]
    assert "a_w" in e.admitted
    assert e.cycle < 20
