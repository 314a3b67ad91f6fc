"""No stale scheduling cache: after every instant of a run, a queue policy rescanning
every partition with its caches dropped starts nothing that the run did not start.

The policies skip scans whose inputs (the fleet's change counter ``gen``, the queues'
versions) did not change; anything that frees capacity (a job ending, a repair, a spare
swapped in, the end of a curtailment window) must move that counter, or a job that fits
waits for an unrelated event. Checked with failures on (repairs, spares) and with
curtailment windows, for every queue policy, and on hand-made repair / curtailment-end
probes where the only event of the instant is the one that frees capacity.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest

from _soak import part
from aifab.scenario import Scenario
from aifab.sim.national import QUEUE_POLICIES, Runner, new_run
from aifab.sim.national._curtail import CURTAIL_END, CurtailWindow, add_curtailment
from aifab.sim.national._events import Repair
from aifab.sim.national._failures import REPAIR, failures_of
from aifab.sim.national._invariants import check
from aifab.sim.national._observers import Bus

OWNERS = [{"name": "Own", "kind": "private"}, {"name": "Gov", "kind": "public"}]
FAST = {"rates_per_accelerator_day": {"gpu": 0.03, "gpu_memory": 0.012, "gpu_other": 0.009,
                                      "network": 0.009, "nic": 0.003, "host": 0.009,
                                      "software": 0.009},
        "repair_median_h": {"gpu": 3, "gpu_memory": 3, "host": 2},
        "spares_share": 0.05}


def _scenario(policy: str, seed: int, failures: bool) -> Scenario:
    return Scenario.model_validate({
        "name": "stale", "owners": OWNERS,
        "fleets": [{"owner": "Own", "accelerator": "gb200", "system": "gb200-nvl72",
                    "count": 144, "delivery_year": 2026},
                   {"owner": "Gov", "accelerator": "b200", "system": "dgx-b200",
                    "count": 64, "delivery_year": 2026}],
        "reliability": {**FAST, "enabled": failures},
        "sim": {"days": 1.0, "queue_policy": policy, "seed": seed, "load": 1.5,
                "warmup_days": 0, "npu_pools": [], "services_per_owner": 1,
                "reference_accelerator": "b200", "preempt_grace_s": 0.0,
                "classes": {"a": {"sizes": [1, 4, 8, 16, 72], "median_h": 2.0,
                                  "sigma": 1.0, "checkpoint_h": 0.5},
                            "b": {"sizes": [1, 8], "duration": "exponential",
                                  "median_h": 0.5, "priority": 3}},
                "tenants": [
                    {"name": "o", "owner": "Own", "kind": "owner", "load": 1.0,
                     "mix": {"a": 0.6, "b": 0.4}},
                    {"name": "u", "owner": "Gov", "kind": "university", "quota": 0.6,
                     "mix": {"a": 0.7, "b": 0.3}},
                    {"name": "s", "owner": "Gov", "kind": "startup", "quota": 0.4,
                     "mix": {"a": 0.5, "b": 0.5}}]},
    })


def _rescan_starts(run: Runner) -> int:
    """Jobs a cache-free rescan of every partition would start now (on a copy). Kueue's
    twin policy has no scan cache to drop: what it skips is the partitions not marked
    dirty, and the rescan marks every one."""
    twin = run.twin
    # What a scan reads and writes: the policy and the run as it sees it (fleet, queues,
    # jobs, events). The observers only hear of starts and evictions (nothing a policy
    # reads): the copy tells a fresh bus, and the run's records, series and meters, which
    # grow with the run, are not copied.
    policy, ops = copy.deepcopy((run.policy, run.ops), memo={id(twin): twin, id(run.bus): Bus()})
    if hasattr(policy, "invalidate"):
        policy.invalidate()
    before = sum(ops.fleet.starts)
    policy.schedule(ops, range(len(twin.partitions)))
    return sum(ops.fleet.starts) - before


def _step_and_check(run: Runner) -> int:
    """Run instant by instant to the horizon; after each, assert nothing stale and the
    run's invariants (per domain free + spares + in repair + allocated = size, no double
    allocation, counters agree: :func:`._invariants.check`). The number of instants
    checked."""
    heap = run.events.heap
    n = 0
    while heap and heap[0][0] < run.twin.horizon_s:
        t = heap[0][0]
        run.run(until=math.nextafter(t, math.inf))
        check(run)
        missed = _rescan_starts(run)
        assert missed == 0, f"t={t:.0f} s: {missed} job(s) fit but were not started"
        n += 1
    return n


@pytest.mark.slow
@pytest.mark.parametrize("policy", sorted(QUEUE_POLICIES))
def test_nothing_fits_unstarted_after_any_event_with_failures(policy: str) -> None:
    scn = _scenario(policy, seed=3, failures=True)  # half a day: about 1,100 instants
    run = new_run(scn.model_copy(update={"sim": scn.sim.model_copy(update={"days": 0.5})}))
    fails = failures_of(run.bus.observers)
    assert fails is not None
    assert _step_and_check(run) > 100
    assert fails.source.cursor > 5  # failures and repairs did happen


@pytest.mark.slow
@pytest.mark.parametrize("policy", sorted(QUEUE_POLICIES))
def test_nothing_fits_unstarted_after_any_event_with_curtailment(policy: str) -> None:
    """A day with three windows; ``make test`` runs the first 13.2 hours, which hold the
    first two windows and their ends (the third in the soak: benchmarks/soak.py)."""
    scn = _scenario(policy, seed=5, failures=False)
    run = new_run(scn.model_copy(update={"sim": scn.sim.model_copy(
        update={"days": part(1.0, 0.55)})}))
    add_curtailment(run, [CurtailWindow(3.0, 2.0, 0.6, "Own"),
                          CurtailWindow(10.0, 1.5, 0.8, "Gov"),
                          CurtailWindow(16.0, 4.0, 0.5, "Own")])
    assert _step_and_check(run) > 100


@pytest.mark.slow
def test_nothing_fits_unstarted_under_kueue_semantics_with_failures(tmp_path: Path) -> None:
    """``simulate --kueue`` semantics (the scenario's own Kueue manifests, as ``plan
    --manifests`` writes them, imported as ``simulate --kueue`` does: the twin admits
    through :class:`aifab.sched.KueuePolicy`): after every instant with failures, nothing
    that fits is left waiting. A 0.3-day run (a day takes Kueue's engine over a minute
    here); curtailment is left out (a 0.2-day run with windows took over 40 s unchecked)."""
    from aifab.catalog import default_catalog
    from aifab.sched import KueuePolicy, export_manifests, twin_policy, with_manifests

    scn = _scenario("fairshare", seed=3, failures=True)
    scn = scn.model_copy(update={"sim": scn.sim.model_copy(update={"days": 0.3})})
    cat = default_catalog()
    export_manifests(scn, cat, kueue=tmp_path / "kueue")
    scn = with_manifests(scn, cat, tmp_path / "kueue", None, lambda _note: None)
    pol = twin_policy(tmp_path / "kueue", scn)
    run = new_run(scn, policy=pol)
    assert isinstance(run.policy, KueuePolicy)
    fails = failures_of(run.bus.observers)
    assert fails is not None
    assert _step_and_check(run) > 300
    assert fails.source.cursor > 2  # failures happened
    assert pol.preempted > 0  # and Kueue's own preemption ran


def _probe(policy: str) -> tuple[Runner, Any]:
    """One owner's 72-GPU domain (an owner's partition: fair share backfills it), no
    events but those a test pushes."""
    scn = Scenario.model_validate({
        "name": "probe", "owners": [{"name": "Own", "kind": "private"}],
        "fleets": [{"owner": "Own", "accelerator": "gb200", "system": "gb200-nvl72",
                    "count": 72, "delivery_year": 2026}],
        "reliability": {"enabled": True, "spares_share": 0.0,
                        "rates_per_accelerator_day": {"gpu": 1e-9}},
        "sim": {"days": 1.0, "queue_policy": policy, "seed": 0, "warmup_days": 0,
                "npu_pools": [], "services_per_owner": 0, "reference_accelerator": "b200",
                "classes": {"a": {"sizes": [1], "duration": "exponential", "median_h": 1}},
                "tenants": [{"name": "t", "owner": "Own", "kind": "owner", "load": 1e-9,
                             "mix": {"a": 1.0}}]}})
    run = new_run(scn)
    run.events.heap.clear()  # no arrivals, samples or autoscaling: only what we push
    return run, run.fleet


def _queued(run: Runner, n: int, work_s: float) -> Any:
    from aifab.sim.national._job import Job

    job = Job(run.next_id, 0, 0, n, work_s, run.now, 0)
    run.next_id += 1
    run.ops.submit(job)
    return job


@pytest.mark.parametrize("policy", ["backfill", "fairshare"])
def test_job_is_backfilled_at_the_instant_of_a_repair(policy: str) -> None:
    run, fleet = _probe(policy)
    fails = failures_of(run.bus.observers)
    assert fails is not None and sum(fails.spares) == 0
    big = _queued(run, 68, 10 * 3600.0)
    run.policy.schedule(run.ops, [0])
    assert big.state == 1  # running on 68 of the 72
    fleet.pools[0].free[0] -= 4  # a tray failed (as the failure source books it)
    fleet.pools[0].free_total -= 4
    fails.broken[0][0] += 4
    head = _queued(run, 72, 3600.0)  # blocked until the big job ends at 10 h
    small = _queued(run, 4, 3600.0)  # ends before the head's reservation
    run.policy.schedule(run.ops, [0])
    assert head.state == 0 and small.state == 0
    run.dirty.clear()
    run.events.push(3600.0, REPAIR, Repair(0, 0, 4))
    run.run(until=3600.5)
    assert int(fails.broken[0][0]) == 0
    assert small.state == 1, "the repaired tray's accelerators stayed idle"
    assert small.start == 3600.0


@pytest.mark.parametrize("policy", ["backfill", "fairshare"])
def test_job_is_backfilled_at_the_end_of_a_curtailment(policy: str) -> None:
    run, fleet = _probe(policy)
    big = _queued(run, 64, 10 * 3600.0)
    run.policy.schedule(run.ops, [0])
    assert big.state == 1
    # A window (beyond the horizon, so it pushes no events) made active by hand: the
    # campus may not draw more than now.
    cur = add_curtailment(run, [CurtailWindow(1000.0, 1.0, 0.5, "Own")])
    fleet.set_curtail(0, fleet.campus_kw[0])
    cur.active[0] = 1
    head = _queued(run, 72, 3600.0)
    small = _queued(run, 4, 3600.0)
    run.policy.schedule(run.ops, [0])
    assert head.state == 0 and small.state == 0
    run.dirty.clear()
    run.events.push(3600.0, CURTAIL_END, 0)
    run.run(until=3600.5)
    assert fleet.curtail_kw[0] == math.inf
    assert small.state == 1, "the lifted cap left a fitting job queued"
    assert small.start == 3600.0


@pytest.mark.parametrize("policy", sorted(QUEUE_POLICIES))
def test_a_queued_job_that_fits_starts_at_the_instant_of_a_repair(policy: str) -> None:
    """Every queue policy (FIFO included): the only queued job waits for a failed tray and
    starts at the instant of its repair."""
    run, fleet = _probe(policy)
    fails = failures_of(run.bus.observers)
    assert fails is not None
    big = _queued(run, 68, 10 * 3600.0)
    run.policy.schedule(run.ops, [0])
    assert big.state == 1
    fleet.pools[0].free[0] -= 4  # a tray failed (as the failure source books it)
    fleet.pools[0].free_total -= 4
    fails.broken[0][0] += 4
    small = _queued(run, 4, 3600.0)
    run.policy.schedule(run.ops, [0])
    assert small.state == 0
    run.dirty.clear()
    run.events.push(3600.0, REPAIR, Repair(0, 0, 4))
    run.run(until=3600.5)
    assert small.state == 1 and small.start == 3600.0


@pytest.mark.parametrize("policy", sorted(QUEUE_POLICIES))
def test_a_queued_job_that_fits_starts_at_the_end_of_a_curtailment(policy: str) -> None:
    """Every queue policy: the only queued job waits for a campus limit and starts at the
    instant it is lifted."""
    run, fleet = _probe(policy)
    big = _queued(run, 64, 10 * 3600.0)
    run.policy.schedule(run.ops, [0])
    assert big.state == 1
    cur = add_curtailment(run, [CurtailWindow(1000.0, 1.0, 0.5, "Own")])
    fleet.set_curtail(0, fleet.campus_kw[0])
    cur.active[0] = 1
    small = _queued(run, 4, 3600.0)
    run.policy.schedule(run.ops, [0])
    assert small.state == 0
    run.dirty.clear()
    run.events.push(3600.0, CURTAIL_END, 0)
    run.run(until=3600.5)
    assert small.state == 1 and small.start == 3600.0
