"""The job Monte Carlo's exclusion of repeat offenders and detection (hang) time, with the
twin's rule and parameters (``FailureModel``: ``exclude_after``, ``exclude_window_h``,
``replace_h``, ``lemon_multiplier``, ``detect_for``). With the heavy tail off and
detection 0 the old figures are reproduced exactly:
``test_jobsim.py::test_results_unchanged_on_the_shared_event_core`` (``uniform``)."""

from __future__ import annotations

import numpy as np
import pytest

from aifab.reliability import (
    CLASSES,
    GangSpec,
    JobSimResult,
    PoolSpec,
    failure_model,
    simulate_jobs,
)
from aifab.scenario import ReliabilitySettings

DAYS = 60


def _run(exclude_after: int, seed: int, share: float, mult: float) -> JobSimResult:
    fm = failure_model(ReliabilitySettings(lemon_share=share, lemon_multiplier=mult,
                                           exclude_after=exclude_after)).scaled(10.0)
    pool = PoolSpec("p", 1024, fm.layout_for("server", 8))  # 16 spare servers
    return simulate_jobs(pool, [GangSpec("a", 512), GangSpec("b", 384)], DAYS * 86400.0,
                         np.random.default_rng(seed), fm)


def test_exclusion_cuts_the_goodput_a_heavy_tailed_fleet_loses() -> None:
    """5 % lemon servers at 40x carry 2 / 2.95 = 68 % of hardware failures. Excluding a
    server at its second failure within a week (the twin's packaged rule) replaces most
    lemons in the first weeks, so over 60 days each of six seeds (same streams each way)
    interrupts fewer gangs and loses less goodput; in all the goodput lost falls by more
    than 5 % (measured 11 %). Control: with uniform rates there are no lemons to find, and
    the week each excluded server spends out of the pool (fewer hot spares) costs goodput."""
    on = [_run(2, s, 0.05, 40.0) for s in range(6)]
    off = [_run(0, s, 0.05, 40.0) for s in range(6)]
    assert all(r.reliability["exclusions"] >= 5 for r in on)
    assert all(r.reliability["exclusions"] == 0 for r in off)
    for a, b in zip(on, off, strict=True):
        assert a.failures > 0 and a.interruptions < b.interruptions
        assert a.goodput > b.goodput
    lost_on = sum(1 - r.goodput for r in on)
    lost_off = sum(1 - r.goodput for r in off)
    assert lost_on < 0.95 * lost_off, (lost_on, lost_off)
    uniform_on = [_run(2, s, 0.0, 1.0) for s in range(2)]
    uniform_off = [_run(0, s, 0.0, 1.0) for s in range(2)]
    assert sum(r.goodput for r in uniform_on) < sum(r.goodput for r in uniform_off)


@pytest.mark.parametrize("detect", [{c: 300.0 for c in CLASSES}, None])
def test_detection_adds_its_time_to_each_interruption(detect: dict[str, float] | None) -> None:
    """Each interruption hangs its gang (all its accelerators) for the detection time of
    the failure's class before it is stopped: the gang's ``detect`` accelerator-hours are
    exactly the sum over its interruptions of size x that time (cut at the horizon), they
    count in the lost hours, and a run without detection books none (and keeps more
    goodput on the same failure stream). ``None``: the packaged times (180 s hardware,
    600 s software)."""
    def run(det: dict[str, float] | None) -> tuple[JobSimResult, float]:
        fm = failure_model(ReliabilitySettings(detect_s=det or {})).scaled(20.0)
        pool = PoolSpec("p", 320, fm.layout_for("server", 8))
        h = 20 * 86400.0
        r = simulate_jobs(pool, [GangSpec("a", 128), GangSpec("b", 96, interval_s=1800.0)],
                          h, np.random.default_rng(5), fm, audit=True)
        assert r.audit is not None
        for gi, g in enumerate(r.gangs):
            want = sum(g.accelerators * min(fm.detect_for(cause), h - t)
                       for o, t, cause in r.audit.interruptions if o == gi) / 3600.0
            assert g.detect_ah == pytest.approx(want, rel=1e-12)
            assert g.interruptions == sum(o == gi for o, _, _ in r.audit.interruptions)
        assert r.lost_accelerator_hours == pytest.approx(
            sum(g.lost_ah + g.detect_ah + g.restart_ah for g in r.gangs))
        assert r.reliability["lost_accelerator_hours"] == pytest.approx(
            r.lost_accelerator_hours)
        return r, fm.detect_for("gpu")

    r, d = run(detect)
    assert d > 0 and r.interruptions > 20
    assert all(g.detect_ah > 0 for g in r.gangs)
    none, _ = run(dict.fromkeys(CLASSES, 0.0))
    assert all(g.detect_ah == 0 for g in none.gangs)
    assert none.goodput > r.goodput
