"""A hung gang is detected once (issue 23, item 5), in the job Monte Carlo: failures that
hit a hung gang's slots before its failure is detected start no second hang, restart or
interruption. A hardware failure of one of its healthy slots is still a failure (counted,
repaired, its hands-on hours booked): the slot goes to repair at the first failure's
detection, for its own repair time. A software failure of a hung gang does nothing (no
job software runs); nor does a failure of a slot already failed. The twin follows the
same rule (tests/sim/national/test_one_failure_both.py puts the same failures through
both)."""

from __future__ import annotations

import numpy as np
import pytest

from aifab.reliability import (
    FailureEvent,
    GangResult,
    GangSpec,
    JobSimResult,
    Layout,
    PoolSpec,
    failure_model,
    simulate_jobs,
)
from aifab.scenario import ReliabilitySettings

T, DETECT, RESTART = 5000.0, 180.0, 300.0


def _run(events: list[FailureEvent]) -> tuple[JobSimResult, GangResult]:
    fm = failure_model(ReliabilitySettings(restart_s=RESTART, detect_s={
        "gpu": DETECT, "software": 600.0}))
    pool = PoolSpec("p", 32, Layout("server", 8, 4))
    res = simulate_jobs(pool, [GangSpec("g", 16, 1800.0, 20.0)], 20000.0,
                        np.random.default_rng(0), fm, audit=True, events=events)
    return res, res.gangs[0]


def _ev(t: float, cause: str, slot: int, repair_s: float = 7200.0) -> FailureEvent:
    return FailureEvent(t, cause, "p", slot, (slot,), 8, repair_s, 1.5, cause != "software")


def test_a_hardware_failure_of_a_hung_gang_is_repaired_from_its_detection() -> None:
    res, g = _run([_ev(T, "gpu", 0), _ev(T + 60.0, "gpu", 1, repair_s=3600.0)])
    assert res.interruptions == g.interruptions == 1  # detected once
    assert res.failures == 2 and res.reliability["failures_by_cause"]["gpu"] == 2
    assert g.detect_ah == pytest.approx(16 * DETECT / 3600.0)  # one hang
    assert g.restart_ah == pytest.approx(16 * RESTART / 3600.0)  # one restart
    assert sorted(res.audit.repairs) == [(0, T + DETECT, T + DETECT + 7200.0),
                                         (1, T + DETECT, T + DETECT + 3600.0)]
    assert res.audit is not None and res.technician_hours == pytest.approx(3.0)
    # it took both spare servers at detection
    assert res.audit is not None
    starts = sorted((s, t0) for s, t0, _, _ in res.audit.allocations if t0 > 0)
    assert starts == [(2, T + DETECT), (3, T + DETECT)]


def test_software_and_repeat_failures_of_a_hung_gang_do_nothing() -> None:
    one, g1 = _run([_ev(T, "gpu", 0)])
    more, g2 = _run([_ev(T, "gpu", 0), _ev(T + 30.0, "software", 1),
                     _ev(T + 60.0, "gpu", 0)])
    assert more.failures == one.failures == 1
    assert g2 == g1 and more.audit == one.audit
