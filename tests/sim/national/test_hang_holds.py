"""A hung gang holds its accelerators until its failure is detected (issue 23, item 5):
the whole gang, the failed tray included, stays held (allocated to it, out of the free
capacity, the job out of every queue) for the cause's detection time; then the failed
tray goes to repair (its repair starts at detection, the job Monte Carlo's rule) and the
rest is freed through the fleet's ``bring_up`` and the job is queued again at the front,
so a job that fits starts in that very instant. One NVL72 domain of 72 GPUs, one crafted
failure."""

from __future__ import annotations

import numpy as np
import pytest

from aifab.reliability import FailureEvent
from aifab.scenario import Scenario
from aifab.sim.national import QUEUE_POLICIES, Runner, new_run
from aifab.sim.national._failures import DETECT, FAIL, REPAIR, Failures, failures_of
from aifab.sim.national._invariants import check
from aifab.sim.national._job import HUNG, QUEUED, RUNNING, Job, acc_s_until
from aifab.sim.national._summary import job_frame

T_FAIL, DETECT_S = 1000.0, 600.0


def _probe(policy: str, detect_s: float = DETECT_S, racks: int = 1,
           spares: float = 0.0) -> tuple[Runner, Failures]:
    scn = Scenario.model_validate({
        "name": "hang", "owners": [{"name": "Own", "kind": "private"}],
        "fleets": [{"owner": "Own", "accelerator": "gb200", "system": "gb200-nvl72",
                    "count": 72 * racks, "delivery_year": 2026}],
        "reliability": {"enabled": True, "spares_share": spares,
                        "rates_per_accelerator_day": {"gpu": 1e-9},
                        "detect_s": {"gpu": detect_s}},
        "sim": {"days": 1.0, "queue_policy": policy, "seed": 0, "warmup_days": 0,
                "npu_pools": [], "services_per_owner": 0, "reference_accelerator": "b200",
                "classes": {"a": {"sizes": [1], "duration": "exponential", "median_h": 1}},
                "tenants": [{"name": "t", "owner": "Own", "kind": "owner", "load": 1e-9,
                             "mix": {"a": 1.0}}]}})
    run = new_run(scn)
    run.events.heap.clear()  # no arrivals, samples or autoscaling: only what we push
    fails = failures_of(run.bus.observers)
    assert fails is not None
    # one GPU failure on tray 0 at T_FAIL, hitting the first healthy accelerator (a gang)
    ev = FailureEvent(T_FAIL, "gpu", "0", 0, (0,), 4, 1e6, 1.0, True)
    fails.source.events[:] = [ev]
    fails.source.u, fails.source.v = np.zeros(1), np.ones(1)
    run.events.push(T_FAIL, FAIL, 0)
    return run, fails


def _queued(run: Runner, n: int, work_s: float) -> Job:
    job = Job(run.next_id, 0, 0, n, work_s, run.now, 0)
    run.next_id += 1
    run.ops.submit(job)
    return job


def _start(run: Runner) -> tuple[Job, Job]:
    """A 68-GPU gang running and an 8-GPU job queued behind it (4 GPUs free)."""
    big = _queued(run, 68, 10 * 3600.0)
    run.policy.schedule(run.ops, [0])
    assert big.state == RUNNING
    small = _queued(run, 8, 3600.0)
    run.policy.schedule(run.ops, [0])
    assert small.state == QUEUED
    return big, small


@pytest.mark.parametrize("policy", sorted(QUEUE_POLICIES))
def test_a_hung_gang_holds_its_healthy_accelerators_until_detection(policy: str) -> None:
    """At the failure the gang's 68 GPUs stay held, the failed tray (4 GPUs) included:
    the gang does not restart before detection (before this change it was queued again
    at once and restarted at the failure, paying the hang in its restart time), and the
    8-GPU job behind it does not start on them. At detection they are freed and the
    gang, queued again at the front, restarts in that instant on its 64 healthy GPUs and
    the 4 free; the failed tray went to repair then, for its repair time."""
    run, fails = _probe(policy)
    big, small = _start(run)
    run.run(until=T_FAIL + 1.0)
    assert big.state != RUNNING, "the gang restarted before its failure was detected"
    assert small.state == QUEUED, "the hung gang's accelerators were given away"
    check(run)
    pool = run.fleet.pools[0]
    assert int(fails.broken[0][0]) == 0 and int(fails.hung[0][0]) == 68
    assert int(pool.free[0]) == 4 and big.state == HUNG
    assert fails.hanging == {big.id: [(0, 0, 64, 4)]}
    assert run.events.heap[0][:2] == (T_FAIL + DETECT_S, DETECT)
    run.run(until=T_FAIL + DETECT_S - 1.0)
    assert big.state == HUNG and int(pool.free[0]) == 4  # still hung
    run.dirty.clear()
    run.run(until=T_FAIL + DETECT_S + 0.5)
    check(run)
    assert not fails.hanging and int(fails.hung[0][0]) == 0
    assert int(fails.broken[0][0]) == 4  # the failed tray, in repair from detection
    assert big.state == RUNNING and big.start == T_FAIL + DETECT_S
    assert small.state == QUEUED  # the gang went back to the front of the queue
    # the hang is booked as detect: the gang's 68 GPUs x 600 s, its failed tray included
    assert fails.goodput.hang_acc_s == 68 * DETECT_S
    assert fails.report()["accelerator_hours"]["detect"] == pytest.approx(68 * DETECT_S / 3600)


def test_without_detection_the_gang_is_queued_again_at_once() -> None:
    run, fails = _probe("fifo", detect_s=0.0)
    big, _ = _start(run)
    run.run(until=T_FAIL + 1.0)
    check(run)
    assert not fails.hanging and int(fails.hung[0][0]) == 0
    assert big.state == RUNNING and big.start == T_FAIL
    assert fails.goodput.hang_acc_s == 0.0


def test_the_release_goes_through_the_fleet() -> None:
    """Freeing a hung gang's accelerators moves the partition's change counter and marks
    it (and every public one) for a rescan, through the fleet's own ``bring_up``."""
    run, fails = _probe("backfill")
    _start(run)
    run.run(until=T_FAIL + 1.0)
    gen = run.fleet.gen[0]
    run.dirty.clear()
    fails.health.unhang(0, 0, 64)
    assert run.fleet.gen[0] == gen + 1 and 0 in run.dirty
    assert int(run.fleet.pools[0].free[0]) == 68


@pytest.mark.parametrize("policy", ["backfill", "fairshare"])
def test_a_queued_job_that_fits_starts_at_the_instant_of_detection(policy: str) -> None:
    """Two trays fail under the gang: at detection its 60 healthy GPUs are freed, the gang
    (68) no longer fits the 64 free and the 8-GPU job behind it backfills in that
    instant (4 were free while the gang hung; before this change it started at the
    failure, on the gang's freed GPUs)."""
    run, fails = _probe(policy)
    fails.source.events[0] = FailureEvent(T_FAIL, "gpu", "0", 0, (0, 1), 8, 1e6, 1.0, True)
    big, small = _start(run)
    run.run(until=T_FAIL + 1.0)
    assert small.state == QUEUED  # before this change it took the freed GPUs at once
    assert int(fails.hung[0][0]) == 68  # 60 healthy, 8 failed
    run.dirty.clear()
    run.run(until=T_FAIL + DETECT_S + 0.5)
    check(run)
    assert big.state == QUEUED
    assert small.state == RUNNING and small.start == T_FAIL + DETECT_S


def test_the_spares_replacing_the_failed_tray_are_released_at_detection() -> None:
    """Two racks, one tray (4 GPUs) of hot spares held back in the second, two 68-GPU
    gangs: the spare that replaces the failed tray is released when the failure is
    detected (a spare is swapped in once the failure is known), not at the failure, so
    the 8-GPU job queued behind cannot take it during the hang, and the stopped gang
    restarts at detection."""
    run, fails = _probe("fifo", racks=2, spares=0.03)
    assert sum(fails.spares) == 4 and int(fails.held[0][1]) == 4
    gangs = [_queued(run, 68, 10 * 3600.0) for _ in range(2)]
    run.policy.schedule(run.ops, [0])
    small = _queued(run, 8, 3600.0)
    run.policy.schedule(run.ops, [0])
    assert all(g.state == RUNNING for g in gangs) and small.state == QUEUED
    run.run(until=T_FAIL + 1.0)
    check(run)
    (hit,) = [g for g in gangs if g.state == HUNG]
    assert fails.hangs.swaps == {hit.id: (0, 4)} and sum(fails.spares) == 4
    assert small.state == QUEUED
    run.run(until=T_FAIL + DETECT_S + 0.5)
    check(run)
    assert sum(fails.spares) == 0 and fails.report()["spares_used"] == 4
    assert hit.state == RUNNING and hit.start == T_FAIL + DETECT_S


def test_the_hold_is_booked_to_the_job_and_its_tenant() -> None:
    """The 68 GPUs a hung gang holds are allocated to its job: the job's accelerator-
    seconds (and so its tenant's accelerator-hours) count them while it hangs and after,
    so the jobs' hours are the fleet's allocation integral (before this change the job
    was charged its 68 GPUs up to the failure only, 68 x 600 acc-s short of it)."""
    run, _ = _probe("fifo")
    big, small = _start(run)
    half = T_FAIL + DETECT_S / 2
    run.run(until=half)
    assert big.state == HUNG and big.held == 68
    assert acc_s_until(big, half) == 68 * T_FAIL + 68 * (half - T_FAIL)
    run.run(until=T_FAIL + DETECT_S + 0.5)
    assert big.state == RUNNING and big.held == 0
    assert big.acc_s == 68 * T_FAIL + 68 * DETECT_S  # booked at detection
    jobs = job_frame(run)
    assert float(jobs["acc_s"].sum()) == acc_s_until(big, run.now) + acc_s_until(small, run.now)
    assert float(jobs["acc_s"].sum()) == pytest.approx(run.integrals.alloc_s, rel=1e-12)
    # the tenant's accelerator-hours (the integral of its allocation) count the hold too
    assert float(run.integrals.tenant_s[0]) == pytest.approx(run.integrals.alloc_s, rel=1e-12)


def test_the_failed_tray_is_repaired_from_detection() -> None:
    """The failed tray of a hung gang goes to repair when the failure is detected, for
    the failure's repair time (here 2 h), as in the job Monte Carlo: it comes back at
    T + 600 s + 2 h, not T + 2 h, and its in-repair hours start at detection. Before
    this change it was in repair from the failure."""
    run, fails = _probe("fifo")
    fails.source.events[0] = FailureEvent(T_FAIL, "gpu", "0", 0, (0,), 4, 7200.0, 1.0, True)
    big, _ = _start(run)
    run.run(until=T_FAIL + 1.0)
    assert big.state == HUNG and int(fails.hung[0][0]) == 68
    assert fails.repair_acc_s == 0.0 and not any(k == REPAIR for _, k, *_ in run.events.heap)
    run.run(until=T_FAIL + DETECT_S + 0.5)
    (due,) = [t for t, k, *_ in run.events.heap if k == REPAIR]
    assert due == T_FAIL + DETECT_S + 7200.0
    assert fails.repair_acc_s == 4 * 7200.0
    check(run)
    run.run(until=due - 1.0)
    assert int(fails.broken[0][0]) == 4
    run.run(until=due + 1.0)
    check(run)
    assert int(fails.broken[0][0]) == 0


def test_a_failure_inside_a_hang_fails_the_hung_gang_not_a_bystander() -> None:
    """A hung gang is detected once. 60 s into the 68-GPU gang's hang a second GPU
    failure hits the rack at the middle of its 68 healthy accelerators (a 4-GPU job runs
    on the other 4): it lands on the hung gang, whose tray fails inside the hang (no new
    interruption or hang; repaired from the detection, a spare released for it then), and
    the 4-GPU job runs on. Before this change a hung gang's accelerators could not be hit:
    the failure was drawn among the other 4 and interrupted the 4-GPU job."""
    run, fails = _probe("fifo")
    fails.source.use([FailureEvent(T_FAIL, "gpu", "0", 0, (0,), 4, 7200.0, 1.0, True),
                      FailureEvent(T_FAIL + 60.0, "gpu", "0", 1, (1,), 4, 3600.0, 1.0, True)])
    fails.source.u[1] = 0.5
    big = _queued(run, 68, 10 * 3600.0)
    run.policy.schedule(run.ops, [0])
    small = _queued(run, 4, 10 * 3600.0)
    run.policy.schedule(run.ops, [0])
    assert big.state == small.state == RUNNING
    run.run(until=T_FAIL + 61.0)
    assert big.state == HUNG and small.state == RUNNING
    assert fails.goodput.interrupted == 1 and fails.goodput.meter.failures == 2
    assert int(fails.hung[0][0]) == 68 and int(fails.broken[0][0]) == 0
    check(run)
    doc = fails.state()[0]["hanging"]  # a checkpoint keeps the failure inside the hang
    fails.hangs.late = {}
    fails.hangs.restore(doc)
    assert fails.hangs.late == {big.id: [(0, 0, 4, 3600.0)]}
    run.run(until=T_FAIL + DETECT_S + 0.5)
    assert int(fails.broken[0][0]) == 8  # both trays, from the detection
    due = sorted(t for t, k, *_ in run.events.heap if k == REPAIR)
    assert due == [T_FAIL + DETECT_S + 3600.0, T_FAIL + DETECT_S + 7200.0]
    assert small.state == RUNNING and fails.goodput.interrupted == 1
    check(run)
