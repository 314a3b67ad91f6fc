"""Rule A5c: a head that needs preemption and finds no targets holds quota for the rest of
the cycle when its ClusterQueue cannot always reclaim (Kueue's
``reserveCapacityForUnreclaimablePreempt`` and ``quotaResourcesToReserve`` in
pkg/scheduler/scheduler.go, ``CanAlwaysReclaim`` in pkg/scheduler/preemption/policy.go,
kueue v0.19.2; read, not copied). Expected events worked out by hand.

One cohort c of 8 GPUs: qa (4, reclaimWithinCohort LowerPriority), qb (4) and qc (0, it only
borrows), both reclaimWithinCohort Any. B1 (qb, 3 GPUs) and C1 (qc, 3, borrowing) run at
priority 5. Then G (qa, 4, priority 0) and C2 (qc, 1, priority 0) arrive: 2 GPUs are free.
G needs 4 within qa's nominal quota, so only by reclaiming; the only borrower, C1, is not of
lower priority: no targets. C2 fits by borrowing 1. Classic order: G first (it borrows
at no level), then C2."""

from __future__ import annotations

from typing import Any

import pytest
from _cfg import cohort, config, cq

from aifab.sched import Engine, _engine, gang


def _engine_for(strategy: str, reclaim: str = "LowerPriority", gates: dict[str, bool] | None
                = None) -> Engine:
    pre = {"reclaimWithinCohort": "Any", "withinClusterQueue": "Never"}
    docs: list[dict[str, Any]] = [
        cohort("c"),
        cq("qa", "c", 4, queueingStrategy=strategy,
           preemption={"reclaimWithinCohort": reclaim, "withinClusterQueue": "Never"}),
        cq("qb", "c", 4, preemption=pre), cq("qc", "c", 0, preemption=pre)]
    m = config(*docs)
    if gates:
        m.gates.update(gates)
    e = Engine(m)
    e.clock = 1.0
    e.submit(gang("B1", "qb", 3, priority=5, created=1.0))
    e.submit(gang("C1", "qc", 3, priority=5, created=1.0))
    assert sorted(x.workload for x in e.run()) == ["B1", "C1"]
    e.clock = 2.0
    e.submit(gang("G", "qa", 4, priority=0, created=2.0))
    e.submit(gang("C2", "qc", 1, priority=0, created=2.0))
    return e


def _cycles(e: Engine) -> list[tuple[str, str, int]]:
    c0 = e.cycle
    return [(x.kind, x.workload, x.cycle - c0) for x in e.run()]


def test_a_strict_fifo_head_without_targets_keeps_others_from_its_quota() -> None:
    """qa StrictFIFO: G stays qa's head and, in every cycle, holds 4 GPUs (within nominal:
    its request up to qa's nominal quota less its usage, 0); C2, nominated to fit, no longer
    fits after it and is skipped. Nothing changes, the run ends with both pending. When B1
    ends, 5 GPUs are free: G is admitted, then C2 (1 left)."""
    e = _engine_for("StrictFIFO")
    assert _cycles(e) == []
    assert {"G", "C2"} <= set(e.pending)
    e.finish("B1")
    e.clock = 3.0
    assert _cycles(e) == [("admit", "G", 1), ("admit", "C2", 1)]


def test_without_the_hold_the_borrower_goes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same without A5c: C2 takes one of the 2 free GPUs at once; G waits for B1."""
    monkeypatch.setattr(_engine, "_unreclaimable", lambda *a: {})
    e = _engine_for("StrictFIFO")
    assert _cycles(e) == [("admit", "C2", 1)]


def test_a_best_effort_head_holds_only_its_own_cycle() -> None:
    """qa BestEffortFIFO: G holds its 4 GPUs in the first cycle (C2 skipped) and is set
    aside; in the second C2 is the only head and is admitted."""
    e = _engine_for("BestEffortFIFO")
    assert _cycles(e) == [("admit", "C2", 2)]
    assert "G" in e.parked


def test_a_queue_that_can_always_reclaim_holds_nothing() -> None:
    """reclaimWithinCohort Any: G's queue can always reclaim what others borrow of its
    quota, so Kueue holds nothing for it. (Here G then finds C1 to reclaim: the hold is
    read directly.)"""
    e = _engine_for("StrictFIFO", reclaim="Any")
    cq_a, g = e.m.cluster_queues["qa"], e.pending["G"]
    asg = e.tries.get(e, cq_a, g)
    assert _engine._unreclaimable(e, cq_a, g, asg) == {}
    e2 = _engine_for("StrictFIFO")
    asg2 = e2.tries.get(e2, e2.m.cluster_queues["qa"], e2.pending["G"])
    assert _engine._unreclaimable(e2, e2.m.cluster_queues["qa"], e2.pending["G"], asg2) == {
        ("default", "nvidia.com/gpu"): 4.0}
    # PrioritizePreemptorWorkloads: a waiting preemptor (its queue's nominee) holds too
    e3 = _engine_for("StrictFIFO", reclaim="Any", gates={"PrioritizePreemptorWorkloads": True})
    e3._nominated["qa"] = "G"
    assert _engine._unreclaimable(e3, e3.m.cluster_queues["qa"], e3.pending["G"], asg) == {
        ("default", "nvidia.com/gpu"): 4.0}
