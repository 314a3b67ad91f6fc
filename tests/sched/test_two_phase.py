"""Rule A5b: the cycle in Kueue's two phases (pkg/scheduler/scheduler.go at v0.19.2:
``schedule`` nominates every head on the snapshot taken at the cycle's start, then
``processEntry`` takes them in the iterator's order and skips one that no longer fits or
whose targets another preemptor of the cycle took; kubernetes-sigs/kueue read, not copied).
Expected events worked out by hand; see also test_tries (overlapping targets) and
test_fitkept (a nominated fit keeps its flavor)."""

from __future__ import annotations

from _cfg import cohort, config, cq

from aifab.sched import Engine, gang

PRE = {"reclaimWithinCohort": "Any", "withinClusterQueue": "Never"}


def test_a_head_that_no_longer_fits_is_skipped_and_preempts_in_the_next_cycle() -> None:
    """Fair sharing, cohorts c1-c3 under root, one queue each with 2 GPUs (6 in all). v3
    (q3, 4 GPUs) borrows 2. At the second instant w1 (q1, 2) and w2 (q2, 2) are both
    nominated to fit the 2 free GPUs; their cohorts tie at share 0 (within nominal), w1 is
    older by name and admitted; w2 no longer fits and is skipped, not set aside. In the
    next cycle w2 is nominated to preempt (it stays within its nominal quota, so it takes
    from the borrowing v3 without comparing shares, F8) and in the one after it is
    admitted; v3, requeued, needs 2 more GPUs than are free and is set aside. Searching at
    its turn instead, w2 preempted v3 in w1's cycle."""
    e = Engine(config(cohort("root"), cohort("c1", "root"), cohort("c2", "root"),
                      cohort("c3", "root"), cq("q1", "c1", 2, preemption=PRE),
                      cq("q2", "c2", 2, preemption=PRE), cq("q3", "c3", 2, preemption=PRE),
                      fair=True))
    e.clock = 1.0
    e.submit(gang("v3", "q3", 4, created=1.0))
    assert [(x.kind, x.workload, x.cycle) for x in e.run()] == [("admit", "v3", 1)]
    e.clock = 2.0
    e.submit(gang("w1", "q1", 2, created=2.0))
    e.submit(gang("w2", "q2", 2, created=2.0))
    assert [(x.kind, x.workload, x.cycle, x.by) for x in e.run()] == [
        ("admit", "w1", 3, None), ("preempt", "v3", 4, "w2"), ("admit", "w2", 5, None)]
    assert sorted(e.parked) == ["v3"] and "w2" not in e.reasons
