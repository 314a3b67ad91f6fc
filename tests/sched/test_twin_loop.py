"""The twin's own event loop under Kueue semantics (rules L1-L7 in docs/sched.md).

Each case runs the real national twin (64 B200 GPUs in 8-GPU servers, one public owner,
no arrivals of its own) with :class:`aifab.sched.KueuePolicy`; jobs are submitted by hand
at given instants, and the expected starts, preemptions and ends are worked out from
Kueue's rules (docs/sched.md: Q1-Q8 quota and borrowing, P1-P6 preemption, A5 the
preemptor waits for the quota it freed, L3 pods start once the victims' grace period is
over).
"""

from __future__ import annotations

from typing import Any

import pytest
from _cfg import config, cq, engine

from aifab.scenario import Scenario
from aifab.sched import KueuePolicy, _twinpolicy
from aifab.sim.national import Runner, finish, new_run
from aifab.sim.national._job import DONE, Job

H = 3600.0
GRACE = 60.0


def _scenario(days: float = 1.0) -> Scenario:
    return Scenario.model_validate({
        "name": "kueue-loop",
        "reliability": {"enabled": False},  # no failures, no checkpoint writes: hand-worked
        "owners": [{"name": "Gov", "kind": "public"}],
        "fleets": [{"owner": "Gov", "accelerator": "b200", "system": "dgx-b200",
                    "count": 64, "delivery_year": 2026}],
        "sim": {"npu_pools": [], "services_per_owner": 0, "warmup_days": 0,
                "reference_accelerator": "b200", "days": days, "seed": 1,
                "preempt_grace_s": GRACE, "restart_cost_s": 0.0,
                "tenants": [{"name": "a", "owner": "Gov", "quota": 0.5, "rates_per_h": {}},
                            {"name": "b", "owner": "Gov", "quota": 0.5, "rates_per_h": {}}],
                "classes": {"j": {"sizes": [8], "duration": "exponential",
                                  "median_h": 1.0}}},
    })


class Loop:
    """A twin run under a Kueue configuration, with jobs submitted at chosen instants."""

    def __init__(self, *docs: Any) -> None:
        self.policy = KueuePolicy(config(*docs), ["a", "b"])
        self.run: Runner = new_run(_scenario(), policy=self.policy)
        self.jobs: dict[str, Job] = {}

    def submit(self, at_h: float, tenant: str, name: str, hours: float, prio: int = 0,
               n: int = 8) -> None:
        """Submit jobs at ``at_h`` hours, as the loop does at an instant (then schedule)."""
        run = self.run
        run.run(until=at_h * H)
        run.integrals.advance(at_h * H)
        run.ops.now = at_h * H
        job = Job(run.next_id, ["a", "b"].index(tenant), 0, n, hours * H, at_h * H, prio)
        run.next_id += 1
        run.ops.submit(job)
        self.jobs[name] = job
        run.policy.schedule(run.ops, run.dirty)
        run.dirty.clear()

    def finish(self) -> dict[str, Any]:
        return finish(self.run).to_dict()


def _two(a: dict[str, Any] | None = None, b: dict[str, Any] | None = None) -> Loop:
    """ClusterQueues a and b, 32 GPUs nominal each, in cohort gov (64 GPUs)."""
    pre = {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"}
    return Loop(cq("a", "gov", 32, **({"preemption": pre} | (a or {}))),
                cq("b", "gov", 32, **({"preemption": pre} | (b or {}))))


@pytest.mark.parametrize("hold", [True, False])
def test_borrowed_quota_is_reclaimed_by_preemption_after_the_grace_period(
        hold: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Q4 borrowing, P2 reclaimWithinCohort Any, A5, L3, L4: a borrows b's idle 16 GPUs;
    b's demand takes them back from a's most recently admitted workloads."""
    monkeypatch.setattr(_twinpolicy, "HOLD", hold)
    lp = _two()
    for k in range(6):  # 48 GPUs: 32 nominal + 16 borrowed from b
        lp.submit(0.0, "a", f"a{k}", 10.0)
    for k in range(4):
        lp.submit(1.0, "b", f"b{k}", 10.0)
    doc = lp.finish()
    j = lp.jobs
    assert [j[f"a{k}"].first for k in range(6)] == [0.0] * 6
    # 16 GPUs were still free: b0 and b1 start at once; b2 and b3 reclaim b's quota from
    # a's newest workloads (a5, then a4) and start when those have left after the grace
    assert (j["b0"].first, j["b1"].first) == (H, H)
    if hold:
        # A5d: a5 keeps its quota until its pods are gone; b2 stays b's head, waiting for
        # it (Kueue's "Pending the preemption"), so b3 preempts a4 only once b2 is
        # admitted, and starts one grace period later
        assert (j["b2"].first, j["b3"].first) == (H + GRACE, H + 2 * GRACE)
    else:
        assert (j["b2"].first, j["b3"].first) == (H + GRACE, H + GRACE)
    assert [j[f"a{k}"].preempt for k in range(6)] == [0, 0, 0, 0, 1, 1]
    assert doc["jobs"]["preemptions_by_cause"] == {"kueue": 2}
    # a4 and a5 wait (a is at its nominal quota and b uses all of its own) until a0-a3
    # end at 10 h and Kueue requeues the set-aside workloads a second later (A2b); they
    # restart from their last checkpoint
    assert [j[f"a{k}"].end for k in range(4)] == [10 * H] * 4
    assert j["a4"].start == j["a5"].start == 10 * H + 1.0
    assert lp.policy.preempted == 2
    assert not lp.policy.engine.ghosts


def test_reclaim_never_waits_for_the_borrower() -> None:
    """P2 reclaimWithinCohort Never: b waits for a's borrowed GPUs to free up (10 h), and is
    requeued a second later (A2b)."""
    lp = _two(b={"preemption": {"reclaimWithinCohort": "Never"}})
    for k in range(6):
        lp.submit(0.0, "a", f"a{k}", 10.0)
    for k in range(4):
        lp.submit(1.0, "b", f"b{k}", 10.0)
    doc = lp.finish()
    j = lp.jobs
    assert (j["b0"].first, j["b1"].first) == (H, H)
    assert (j["b2"].first, j["b3"].first) == (10 * H + 1.0, 10 * H + 1.0)
    assert doc["jobs"]["preemptions"] == 0


def test_borrowing_limit_caps_what_a_queue_takes_from_idle_peers() -> None:
    """Q5 borrowingLimit 8: a runs 5 of its 6 jobs (40 GPUs) though 64 are idle; the
    sixth starts when the first ones end."""
    lp = Loop(cq("a", "gov", 32, borrow=8), cq("b", "gov", 32))
    for k in range(6):
        lp.submit(0.0, "a", f"a{k}", 10.0 + k)
    lp.finish()
    j = lp.jobs
    assert [j[f"a{k}"].first for k in range(5)] == [0.0] * 5
    # a0 (10 h) ended: 8 GPUs of headroom again, and a5 is requeued a second later (A2b)
    assert j["a5"].first == 10 * H + 1.0
    assert j["a4"].end == 14 * H


@pytest.mark.parametrize("hold", [True, False])
def test_quota_not_the_fleet_limits_a_lone_queue_and_priority_preempts_within_it(
        hold: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Q1 nominal quota (no cohort: nothing to borrow), P1 withinClusterQueue
    LowerPriority: a higher-priority job preempts the newest lower-priority one even
    though 32 GPUs of the fleet are idle. With A5d it is admitted once the victim's pods
    are gone (after the grace); with its quota freed at once (``HOLD`` off) the idle GPUs
    let it start at once (L3: the victim's grace period holds only the victim's own
    GPUs)."""
    monkeypatch.setattr(_twinpolicy, "HOLD", hold)
    lp = Loop(cq("a", None, 32, preemption={"withinClusterQueue": "LowerPriority"}),
              cq("b", None, 32))
    for k in range(4):
        lp.submit(0.0, "a", f"lo{k}", 10.0)
    lp.submit(0.5, "a", "lo4", 1.0)  # no quota left: waits
    lp.submit(1.0, "a", "hi", 2.0, prio=5)
    lp.finish()
    j = lp.jobs
    wait = GRACE if hold else 0.0
    assert j["hi"].first == H + wait
    assert [j[f"lo{k}"].preempt for k in range(5)] == [0, 0, 0, 1, 0]
    assert j["hi"].end == 3 * H + wait
    # lo3 went back to its queue at its eviction time (1 h), behind lo4 (0.5 h): lo4
    # takes the quota hi frees, lo3 the quota lo4 frees, each when the set-aside
    # workloads are requeued a second after the quota is freed (A2b)
    assert j["lo4"].first == j["hi"].end + 1.0
    assert j["lo4"].end == 4 * H + wait + 1.0
    assert j["lo3"].start == j["lo4"].end + 1.0
    assert lp.run.fleet.talloc[0] == 0


def test_every_job_ends_and_quota_is_free_at_the_end() -> None:
    lp = _two()
    for k in range(10):
        lp.submit(0.1 * k, "a" if k % 2 else "b", f"x{k}", 1.0 + 0.3 * k)
    lp.finish()
    assert all(j.state == DONE for j in lp.jobs.values())
    eng = lp.policy.engine
    assert not eng.admitted and not eng.pending
    assert all(abs(v) < 1e-9 for n in eng.tree.cqs.values() for v in n.usage.values())


def test_engine_alone_agrees_on_the_first_admissions() -> None:
    """The same configuration in the bare engine admits what the twin started at t=0."""
    pre = {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority"}
    eng = engine(cq("a", "gov", 32, preemption=pre), cq("b", "gov", 32, preemption=pre))
    from aifab.sched import gang

    for k in range(8):
        eng.submit(gang(f"a{k}", "a", 8.0))
    admitted = [e.workload for e in eng.run() if e.kind == "admit"]
    assert admitted == [f"a{k}" for k in range(8)]  # all 64 GPUs, 32 of them borrowed


def test_a_victim_that_ends_within_its_grace_finishes_its_workload() -> None:
    """A5d, L4: lo3 (the newest) is preempted at 1 h with 30 s left to run; its job ends
    within the grace period, so when its pods are gone its workload finishes instead of
    going back to the queue, and hi is admitted then (1 h + the grace)."""
    lp = Loop(cq("a", None, 32, preemption={"withinClusterQueue": "LowerPriority"}),
              cq("b", None, 32))
    for k in range(3):
        lp.submit(0.0, "a", f"lo{k}", 10.0)
    lp.submit(0.0, "a", "lo3", 1.0 + 30.0 / H)
    lp.submit(1.0, "a", "hi", 2.0, prio=5)
    lp.finish()
    j = lp.jobs
    assert j["lo3"].state == DONE and j["lo3"].end == H + 30.0 and j["lo3"].preempt == 0
    assert j["hi"].first == H + GRACE
    assert lp.policy.preempted == 1
    eng = lp.policy.engine
    assert not eng.ghosts and not eng.pending and not eng.admitted
