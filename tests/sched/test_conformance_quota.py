"""Conformance: quota, borrowing, lending, cohorts, queueing order, flavors, topology, gangs.

Each case names the rule of docs/sched.md it checks and the Kueue documentation it comes
from (kueue.sigs.k8s.io/docs/concepts/...); expected admissions are worked out by hand
from the documented rule, in the docstring.
"""

from __future__ import annotations

from _cfg import cohort, cq, engine, flavor, kinds, res

from aifab.sched import gang

CQ_DOC = "kueue.sigs.k8s.io/docs/concepts/cluster_queue/"
COHORT_DOC = "kueue.sigs.k8s.io/docs/concepts/cohort/"
TAS_DOC = "kueue.sigs.k8s.io/docs/concepts/topology_aware_scheduling/"


def test_q1_nominal_quota_caps_a_lone_queue() -> None:
    """Rule Q1 (CQ_DOC, intro: admits iff the sum of requests <= nominalQuota): nominal 9,
    jobs of 4+4+4: two admitted (8), the third would make 12 > 9 and pends on quota."""
    e = engine(cq("a", gpu=9))
    for i in range(3):
        e.submit(gang(f"j{i}", "a", 4))
    assert kinds(e.run(), "admit") == ["j0", "j1"]
    assert e.reasons["j2"][0][0] == "quota"


def test_q2_borrow_unused_nominal_of_the_cohort() -> None:
    """Rule Q2 (CQ_DOC, "Borrowing example"): team-a 9 and team-b 12 in one cohort, team-b
    idle: team-a can admit up to 9+12 = 21, not 22."""
    e = engine(cq("a", "ab", 9), cq("b", "ab", 12))
    e.submit(gang("big", "a", 21))
    e.submit(gang("one", "a", 1))
    assert kinds(e.run(), "admit") == ["big"]


def test_q3_borrowing_limit() -> None:
    """Rule Q3 (CQ_DOC, "BorrowingLimit"): team-a 9 with borrowingLimit 1: at most 10 even
    though team-b's 12 are unused."""
    e = engine(cq("a", "ab", 9, borrow=1), cq("b", "ab", 12))
    e.submit(gang("eleven", "a", 11))
    e.submit(gang("ten", "a", 10))
    assert kinds(e.run(), "admit") == ["ten"]


def test_q3_no_borrowing_limit_borrows_the_whole_cohort() -> None:
    """Rule Q3 (CQ_DOC, "BorrowingLimit": empty limit = sum of the cohort's nominal quotas):
    team-b (12, no limit) can use 12+9 = 21 while team-a is idle."""
    e = engine(cq("a", "ab", 9, borrow=1), cq("b", "ab", 12))
    e.submit(gang("b21", "b", 21))
    assert kinds(e.run(), "admit") == ["b21"]


def test_q4_lending_limit() -> None:
    """Rule Q4 (CQ_DOC, "LendingLimit"): team-b 12 with lendingLimit 1, idle: team-a (9)
    can admit 9+1 = 10, not 11."""
    e = engine(cq("a", "ab", 9), cq("b", "ab", 12, lend=1))
    e.submit(gang("a11", "a", 11))
    e.submit(gang("a10", "a", 10))
    assert kinds(e.run(), "admit") == ["a10"]


def test_q4_lending_limit_keeps_quota_for_the_lender() -> None:
    """Rule Q4 (CQ_DOC, "LendingLimit"): with team-a borrowing the 1 lendable, team-b still
    has its 11 kept back: an 11-GPU job in team-b is admitted without preemption."""
    e = engine(cq("a", "ab", 9), cq("b", "ab", 12, lend=1))
    e.submit(gang("a10", "a", 10))
    e.run()
    e.submit(gang("b11", "b", 11))
    ev = e.run()
    assert kinds(ev, "admit") == ["b11"] and kinds(ev, "preempt") == []


def test_q5_no_cohort_no_borrowing() -> None:
    """Rule Q5 (CQ_DOC, "Cohort": an empty cohort means no borrowing): two queues of 9 and
    12 without a cohort: a 10-GPU job in the first never fits."""
    e = engine(cq("a", None, 9), cq("b", None, 12))
    e.submit(gang("a10", "a", 10))
    assert kinds(e.run(), "admit") == []


def test_q6_cohort_quota_is_a_shared_pool() -> None:
    """Rule Q6 (COHORT_DOC, "Configuring Quotas": a Cohort's nominalQuota is extra, shared
    by its queues; a queue with nominal 0 may use it): 12 in the cohort, queue nominal 0:
    a 12-GPU job is admitted, a 13-GPU one is not."""
    e = engine(cohort("hello", gpu=12), cq("mine", "hello", 0))
    e.submit(gang("j13", "mine", 13))
    e.submit(gang("j12", "mine", 12))
    assert kinds(e.run(), "admit") == ["j12"]


def test_q7_hierarchical_borrowing_across_cohorts() -> None:
    """Rule Q7 (COHORT_DOC, "Hierarchical Cohorts": queues in one CohortTree use its
    resources): org1 {a: 4}, org2 {b: 6} under root: a can borrow b's 6 through the root
    (10 in all)."""
    e = engine(cohort("root"), cohort("org1", "root"), cohort("org2", "root"),
               cq("a", "org1", 4), cq("b", "org2", 6))
    e.submit(gang("a10", "a", 10))
    assert kinds(e.run(), "admit") == ["a10"]


def test_q7_cohort_borrowing_limit_caps_the_subtree() -> None:
    """Rule Q7 (COHORT_DOC: borrowing limits apply to Cohorts too): org1 (nominal 0,
    borrowingLimit 2) holding a: 4: a's subtree can reach 4+2 = 6 of b's idle 6, not 7."""
    e = engine(cohort("root"), cohort("org1", "root", 0, borrow=2), cohort("org2", "root"),
               cq("a", "org1", 4), cq("b", "org2", 6))
    e.submit(gang("a7", "a", 7))
    e.submit(gang("a6", "a", 6))
    assert kinds(e.run(), "admit") == ["a6"]


def test_q8_cohort_lending_limit() -> None:
    """Rule Q8 (COHORT_DOC: lending limits apply to Cohorts): org2 (nominal 0, lendingLimit
    1) over b: 6: the rest of the tree may borrow only 1 of it: a (4) reaches 5, not 6."""
    e = engine(cohort("root"), cohort("org1", "root"), cohort("org2", "root", 0, lend=1),
               cq("a", "org1", 4), cq("b", "org2", 6))
    e.submit(gang("a6", "a", 6))
    e.submit(gang("a5", "a", 5))
    assert kinds(e.run(), "admit") == ["a5"]


def test_a1_priority_then_creation_within_a_queue() -> None:
    """Rule A1 (CQ_DOC, "Queueing strategy": ordered by priority, then creation time):
    quota 4, jobs of 4 created low(p0), high(p5), low2(p0): high first, then low."""
    e = engine(cq("a", gpu=4))
    e.submit(gang("low", "a", 4, priority=0))
    e.submit(gang("high", "a", 4, priority=5))
    e.submit(gang("low2", "a", 4, priority=0))
    assert kinds(e.run(), "admit") == ["high"]
    e.finish("high")
    assert kinds(e.run(), "admit") == ["low"]


def test_a2_strict_fifo_head_of_line_blocking() -> None:
    """Rule A2 (CQ_DOC, "StrictFIFO": older workloads that can't be admitted block newer
    ones): quota 8, 6 in use; head needs 4 (pends), a newer 2 would fit but waits."""
    e = engine(cq("a", gpu=8, queueingStrategy="StrictFIFO"))
    e.submit(gang("run", "a", 6))
    e.run()
    e.submit(gang("head", "a", 4))
    e.submit(gang("small", "a", 2))
    assert kinds(e.run(), "admit") == []
    assert e.reasons["small"][0][0] == "fifo"


def test_a2_best_effort_fifo_lets_newer_fit() -> None:
    """Rule A2 (CQ_DOC, "BestEffortFIFO": older workloads that can't be admitted do not
    block newer ones that fit): same queue as above, BestEffortFIFO: small is admitted."""
    e = engine(cq("a", gpu=8))
    e.submit(gang("run", "a", 6))
    e.run()
    e.submit(gang("head", "a", 4))
    e.submit(gang("small", "a", 2))
    assert kinds(e.run(), "admit") == ["small"]


def test_a3_nominal_before_borrowing_in_a_cycle() -> None:
    """Rule A3 (CQ_DOC, note under "Flavors and borrowing semantics": within a cohort,
    workloads that fit under nominalQuota are scheduled first): a (4) and b (4); a's job of
    6 (borrowing, older, higher priority) and b's job of 4 (within nominal) arrive in one
    cycle: b's is admitted first, a's no longer fits."""
    e = engine(cq("a", "ab", 4), cq("b", "ab", 4))
    e.submit(gang("a6", "a", 6, priority=9))
    e.submit(gang("b4", "b", 4))
    ev = e.run()
    assert kinds(ev, "admit") == ["b4"]


def test_a4_stop_policy_hold() -> None:
    """Rule A4 (CQ_DOC, "StopPolicy": Hold stops new admissions): nothing is admitted."""
    e = engine(cq("a", gpu=8, stopPolicy="Hold"))
    e.submit(gang("j", "a", 1))
    assert kinds(e.run(), "admit") == [] and e.reasons["j"][0][0] == "stopped"


def test_g1_gang_all_or_nothing() -> None:
    """Rule G1 (kueue.sigs.k8s.io/docs/concepts/workload/: a Workload is admitted as a
    whole): 8 pods x 1 GPU with 5 GPUs free: no pod starts; 5 pods x 1 GPU is admitted."""
    e = engine(cq("a", gpu=5))
    e.submit(gang("g8", "a", 1, pods=8))
    e.submit(gang("g5", "a", 1, pods=5))
    assert kinds(e.run(), "admit") == ["g5"]


def _two_flavors(**spec: object) -> tuple:
    fl = {"spot": [res("nvidia.com/gpu", 4)], "ondemand": [res("nvidia.com/gpu", 8)]}
    return (flavor("spot"), flavor("ondemand"), cq("a", "ab", flavors=fl, **spec),
            cq("b", "ab", flavors={"spot": [res("nvidia.com/gpu", 4)],
                                   "ondemand": [res("nvidia.com/gpu", 0)]}))


def test_r1_first_flavor_with_room() -> None:
    """Rule R1 (CQ_DOC, "Flavors and Resources": the first flavor in the list with enough
    unused quota): spot 4 / ondemand 8: a 3-GPU job goes to spot, a 2-GPU one then to
    ondemand (spot has 1 left and no cohort to borrow from)."""
    fl = {"spot": [res("nvidia.com/gpu", 4)], "ondemand": [res("nvidia.com/gpu", 8)]}
    e = engine(flavor("spot"), flavor("ondemand"), cq("a", flavors=fl), flavors=())
    e.submit(gang("x", "a", 3))
    e.submit(gang("y", "a", 2))
    ev = e.run()
    assert [x.flavors["main"]["nvidia.com/gpu"] for x in ev] == ["spot", "ondemand"]


def test_r2_when_can_borrow_may_stop_search() -> None:
    """Rule R2 (CQ_DOC, "FlavorFungibility": whenCanBorrow MayStopSearch (default) stops at
    the first flavor that fits by borrowing): a's job of 6 fits spot by borrowing b's spot
    4 (4+4 >= 6): it is assigned spot."""
    e = engine(*_two_flavors(), flavors=())
    e.submit(gang("x", "a", 6))
    assert e.run()[0].flavors["main"]["nvidia.com/gpu"] == "spot"


def test_r2_when_can_borrow_try_next_flavor() -> None:
    """Rule R2 (CQ_DOC, "FlavorFungibility": TryNextFlavor goes on, and a flavor that fits
    without borrowing wins): same job with whenCanBorrow TryNextFlavor: ondemand (8)."""
    e = engine(*_two_flavors(flavorFungibility={"whenCanBorrow": "TryNextFlavor"}),
               flavors=())
    e.submit(gang("x", "a", 6))
    assert e.run()[0].flavors["main"]["nvidia.com/gpu"] == "ondemand"


def test_r3_node_selector_skips_a_flavor() -> None:
    """Rule R3 (kueue.sigs.k8s.io/docs/concepts/resource_flavor/: a flavor whose nodeLabels
    contradict the pod's nodeSelector is not assigned): spot labelled tier=spot, job selects
    tier=ondemand: it gets ondemand although spot has room."""
    fl = {"spot": [res("nvidia.com/gpu", 4)], "ondemand": [res("nvidia.com/gpu", 8)]}
    e = engine(flavor("spot", nodeLabels={"tier": "spot"}),
               flavor("ondemand", nodeLabels={"tier": "ondemand"}),
               cq("a", flavors=fl), flavors=())
    e.submit(gang("x", "a", 1, node_selector={"tier": "ondemand"}))
    assert e.run()[0].flavors["main"]["nvidia.com/gpu"] == "ondemand"


def test_r4_uncovered_resource_never_fits() -> None:
    """Rule R4 (CQ_DOC, "Flavors and Resources": quotas are per flavor and resource; a
    request for a resource the queue does not cover cannot be admitted): a job asking for
    amd.com/gpu in an nvidia-only queue pends with a flavor reason."""
    e = engine(cq("a", gpu=8))
    e.submit(gang("x", "a", 1, resource="amd.com/gpu"))
    assert kinds(e.run(), "admit") == []
    assert e.reasons["x"][0][0] == "flavor"


def _tas() -> tuple:
    topo = {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "Topology",
            "metadata": {"name": "nvl"},
            "spec": {"levels": [{"nodeLabel": "aifab.io/nvlink-domain"},
                                {"nodeLabel": "kubernetes.io/hostname"}]}}
    fl = flavor("gb200", topologyName="nvl",
                annotations={"aifab.io/domain-size": "72", "aifab.io/domains": "2"})
    return topo, fl, cq("a", flavors={"gb200": [res("nvidia.com/gpu", 144)]})


def test_t1_required_topology_needs_one_domain() -> None:
    """Rule T1 (TAS_DOC, podset-required-topology: all pods within one domain of the
    level): two 72-GPU domains, 40 used in each (80 of 144): a 64-GPU gang that requires
    one domain pends on topology though 64 of quota are free."""
    e = engine(*_tas(), flavors=())
    e.submit(gang("f1", "a", 40, required="aifab.io/nvlink-domain"))
    e.submit(gang("f2", "a", 40, required="aifab.io/nvlink-domain"))
    e.run()
    e.submit(gang("big", "a", 8, pods=8, required="aifab.io/nvlink-domain"))
    assert kinds(e.run(), "admit") == []
    assert e.reasons["big"][0][0] == "topology"


def test_t2_preferred_topology_spreads() -> None:
    """Rule T2 (TAS_DOC, podset-preferred-topology: if no single domain fits, admitted
    distributed over several): the same 64-GPU gang with a preference is admitted over
    both domains."""
    e = engine(*_tas(), flavors=())
    e.submit(gang("f1", "a", 40, required="aifab.io/nvlink-domain"))
    e.submit(gang("f2", "a", 40, required="aifab.io/nvlink-domain"))
    e.run()
    e.submit(gang("big", "a", 8, pods=8, preferred="aifab.io/nvlink-domain"))
    assert kinds(e.run(), "admit") == ["big"]
    assert sorted(i for _, i, _ in e.admitted["big"].placement["main"]) == [0, 1]


def test_t3_best_fit_domain() -> None:
    """Rule T3 (TAS_DOC, BestFit: the domain with the least free capacity that fits): free
    72 and 32 after a 40-GPU job; a 30-GPU required gang goes to the domain with 32."""
    e = engine(*_tas(), flavors=())
    e.submit(gang("f1", "a", 40, required="aifab.io/nvlink-domain"))
    e.run()
    used = e.admitted["f1"].placement["main"][0][1]
    e.submit(gang("g", "a", 30, required="aifab.io/nvlink-domain"))
    e.run()
    assert e.admitted["g"].placement["main"][0][1] == used


def test_t1_pod_sets_of_one_workload_share_the_domains() -> None:
    """Rule T1 (TAS_DOC, podset-required-topology, per pod set): two pod sets of 40 GPUs,
    each required in one 72-GPU domain: they cannot both go to the same domain, so they
    take one domain each; a third workload of 40 then no longer fits."""
    from aifab.sched import PodSet, Workload

    e = engine(*_tas(), flavors=())
    ps = [PodSet(n, 5, {"nvidia.com/gpu": 8.0}, required="aifab.io/nvlink-domain")
          for n in ("x", "y")]
    e.submit(Workload("two", "a", tuple(ps)))
    e.run()
    doms = {p[0][1] for p in e.admitted["two"].placement.values()}
    assert doms == {0, 1}
    e.submit(gang("third", "a", 40, required="aifab.io/nvlink-domain"))
    assert kinds(e.run(), "admit") == []
