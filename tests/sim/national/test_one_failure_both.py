"""One failure through both simulators (issue 23, item 5): the same failure (same time,
same 8-GPU server or NVL72 tray, same cause, detection, restart, checkpoint interval and
write time) put into a one-gang job in the job Monte Carlo (``simulate_jobs(events=...)``)
and in the national twin (``FailureSource.use``) costs the same lost work, detection hold
and restart, one interruption each, and the job finishes at the same time: exactly,
except for the final checkpoint write (see ``test_one_failure``). A second failure inside
the hang is detected with the first in both."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from aifab.reliability import (
    FailureEvent,
    FailureModel,
    GangResult,
    GangSpec,
    JobSimResult,
    Layout,
    PoolSpec,
    failure_model,
    simulate_jobs,
)
from aifab.scenario import ReliabilitySettings, Scenario
from aifab.sim.national import Runner, new_run
from aifab.sim.national._failures import FAIL, REPAIR, Failures, failures_of
from aifab.sim.national._job import Job

TAU, WRITE, RESTART, DETECT = 1800.0, 20.0, 300.0, 180.0
T_FAIL = 2 * (TAU + WRITE) + 700.0  # two checkpoints done, 700 s into the third cycle
WORK = 6 * TAU  # compute seconds: a whole number of intervals


@dataclass(frozen=True)
class Setup:
    """A pool and a gang the same in both simulators."""

    accelerator: str
    system: str
    layout: Layout  # the Monte Carlo's (the twin's comes from the catalogue system)
    units: int  # slots (servers or trays) in the pool
    gang: int  # accelerators
    spare_units: int  # of them hot spares (the twin holds them back; free in the MC)

    @property
    def accelerators(self) -> int:
        return self.units * self.layout.slot_accelerators


HGX = Setup("h100-sxm", "hgx-h100", Layout("server", 8, 4), 3, 16, 1)
NVL72 = Setup("gb200", "gb200-nvl72", Layout("nvl72", 4, 18), 36, 68, 18)


def _failure(t: float, slot: int, repair_s: float = 7200.0, cause: str = "gpu",
             size: int = 8) -> FailureEvent:
    return FailureEvent(t, cause, "0", slot, (slot,), size, repair_s, 4.0, cause != "software")


def _model() -> FailureModel:
    return failure_model(ReliabilitySettings(
        checkpoint_write_s=WRITE, restart_s=RESTART, detect_s={"gpu": DETECT}))


def _twin(events: list[FailureEvent], su: Setup = HGX) -> tuple[Runner, Failures, Job]:
    """The twin on ``su``'s pool with one gang started at 0 and only ``events`` as
    failures."""
    scn = Scenario.model_validate({
        "name": "one", "owners": [{"name": "Own", "kind": "private"}],
        "fleets": [{"owner": "Own", "accelerator": su.accelerator, "system": su.system,
                    "count": su.accelerators, "delivery_year": 2026}],
        "reliability": {"enabled": True, "spares_share": su.spare_units / su.units + 1e-6,
                        "rates_per_accelerator_day": {"gpu": 1e-9},
                        "checkpoint_write_s": WRITE, "restart_s": RESTART,
                        "checkpoint_interval_h": {"a": TAU / 3600.0},
                        "detect_s": {"gpu": DETECT}},
        "sim": {"days": 1.0, "queue_policy": "fifo", "seed": 0, "warmup_days": 0,
                "npu_pools": [], "services_per_owner": 0,
                "reference_accelerator": su.accelerator,
                "classes": {"a": {"sizes": [su.gang], "duration": "exponential",
                                  "median_h": 1}},
                "tenants": [{"name": "t", "owner": "Own", "kind": "owner", "load": 1e-9,
                             "mix": {"a": 1.0}}]}})
    run = new_run(scn)
    run.events.heap.clear()  # no arrivals, samples or autoscaling: only what we push
    fails = failures_of(run.bus.observers)
    assert fails is not None
    assert fails.source.target == [su.spare_units * su.layout.slot_accelerators]
    fails.source.use(events)
    run.events.push(events[0].time_s, FAIL, 0)
    assert run.twin.pools[0].speed == 1.0
    job = Job(run.next_id, 0, 0, su.gang, WORK, 0.0, 0)
    run.next_id += 1
    run.ops.submit(job)
    run.policy.schedule(run.ops, [0])
    assert job.start == 0.0 and job.doms is not None
    return run, fails, job


def _mc(events: list[FailureEvent], horizon_s: float, su: Setup = HGX
        ) -> tuple[GangResult, JobSimResult]:
    pool = PoolSpec("0", su.accelerators, su.layout, "hopper")
    res = simulate_jobs(pool, [GangSpec("a", su.gang, TAU, WRITE, RESTART)], horizon_s,
                        np.random.default_rng(0), _model(), events=events, audit=True)
    return res.gangs[0], res


@pytest.mark.parametrize(("su", "cause"), [(HGX, "gpu"), (HGX, "software"), (NVL72, "gpu")],
                         ids=["hgx-gpu", "hgx-software", "nvl72-gpu"])
def test_one_failure(su: Setup, cause: str) -> None:
    """One failure of slot 0 (a server, or an NVL72 tray) at T: both lose the 700 s
    since the last checkpoint (gang x 700 s), hold the gang for the cause's detection
    (180 s for the GPU, the packaged 93 s for software) and pay a 300 s restart, one
    interruption, one failure; the twin's job ends at T + detection + 300 + 4 x (1800 +
    20) s. The Monte Carlo's gang has done the job's compute exactly 20 s (one checkpoint
    write) earlier: its gang writes a checkpoint after each 1800 s of compute, the twin
    stretches run time by (1800 + 20) / 1800, so the twin's run ends with the last
    interval's write. That write is the only difference (docs/reliability.md)."""
    ev = [_failure(T_FAIL, 0, cause=cause, size=su.layout.slot_accelerators)]
    detect = _model().detect_for(cause)
    n = su.gang
    run, fails, job = _twin(ev, su)
    run.run(until=86400.0)
    end = T_FAIL + detect + RESTART + 4 * (TAU + WRITE)
    assert job.end == pytest.approx(end, abs=1e-6)
    doc = fails.report()
    ah = doc["accelerator_hours"]
    g, res = _mc(ev, end - WRITE, su)
    assert doc["interruptions"] == res.interruptions == g.interruptions == 1
    assert doc["failures"] == res.failures == 1
    for key, mine in (("lost", g.lost_ah), ("detect", g.detect_ah),
                      ("restart", g.restart_ah), ("useful", g.useful_ah)):
        assert ah[key] == pytest.approx(mine, rel=1e-12), key
    assert g.lost_ah == pytest.approx(n * 700.0 / 3600.0, rel=1e-12)
    assert g.detect_ah == pytest.approx(n * detect / 3600.0, rel=1e-12)
    assert g.restart_ah == pytest.approx(n * RESTART / 3600.0, rel=1e-12)
    # the Monte Carlo's gang has done the job's compute at the twin's end less one write,
    assert g.useful_ah == pytest.approx(n * WORK / 3600.0, rel=1e-12)
    # and not a second before
    early, _ = _mc(ev, end - WRITE - 1.0, su)
    assert early.useful_ah == pytest.approx(n * (WORK - 1.0) / 3600.0, rel=1e-12)


def test_a_second_failure_during_the_hang_is_detected_with_the_first() -> None:
    """A hung gang is detected once. A second GPU failure hits the gang's other server 60
    s into the hang: in both simulators it is a failure (2 failures, both GPU) but not a
    second interruption, hang or restart; both failed servers go to repair when the first
    failure is detected (at T + 180 s, each for its own repair time), the gang takes the
    two spare servers and finishes as after one failure. Before this change the twin did
    not let a failure hit a hung gang's accelerators: it dropped the second failure (1
    failure, server 1 never repaired), while the Monte Carlo counted it."""
    su = Setup("h100-sxm", "hgx-h100", Layout("server", 8, 4), 4, 16, 2)
    ev = [_failure(T_FAIL, 0), _failure(T_FAIL + 60.0, 1, repair_s=3600.0)]
    run, fails, job = _twin(ev, su)
    run.run(until=T_FAIL + DETECT + 0.5)
    repairs = sorted(t for t, kind, *_ in run.events.heap if kind == REPAIR)
    assert repairs == [T_FAIL + DETECT + 3600.0, T_FAIL + DETECT + 7200.0]
    run.run(until=86400.0)
    end = T_FAIL + DETECT + RESTART + 4 * (TAU + WRITE)
    assert job.end == pytest.approx(end, abs=1e-6)
    doc = fails.report()
    ah = doc["accelerator_hours"]
    g, res = _mc(ev, end - WRITE, su)
    assert doc["interruptions"] == res.interruptions == 1
    assert doc["failures"] == res.failures == 2
    assert res.audit is not None
    assert sorted(res.audit.repairs) == [(0, T_FAIL + DETECT, T_FAIL + DETECT + 7200.0),
                                         (1, T_FAIL + DETECT, T_FAIL + DETECT + 3600.0)]
    for key, mine in (("lost", g.lost_ah), ("detect", g.detect_ah),
                      ("restart", g.restart_ah), ("useful", g.useful_ah)):
        assert ah[key] == pytest.approx(mine, rel=1e-12), key
    assert g.detect_ah == pytest.approx(su.gang * DETECT / 3600.0, rel=1e-12)  # one hang
    assert g.useful_ah == pytest.approx(su.gang * WORK / 3600.0, rel=1e-12)
    # the hours in repair: 8 x 7200 s and 8 x 3600 s, both from detection
    assert fails.repair_acc_s == pytest.approx(8 * (7200.0 + 3600.0))
    assert res.in_repair_share * 8 * 4 * (end - WRITE) == pytest.approx(8 * (7200.0 + 3600.0))
