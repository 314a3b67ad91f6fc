"""Closed forms against hand computation and the published Llama 3 figures."""

from __future__ import annotations

import math

import pytest

from aifab.errors import BadInput
from aifab.reliability import (
    ettr,
    expected_interruptions,
    failure_model,
    job_mtti_s,
    training_reliability,
    young_daly_interval_s,
)


def test_hand_computed() -> None:
    assert job_mtti_s(16384, 419 / (16384 * 54)) == pytest.approx(54 * 86400 / 419)
    assert job_mtti_s(10, 0.0) == math.inf
    assert young_daly_interval_s(20.0, 11130.0) == pytest.approx(math.sqrt(2 * 20 * 11130))
    assert expected_interruptions(1000, 10, 1e-3) == pytest.approx(10.0)
    assert ettr(600, 60, 0, math.inf) == pytest.approx(600 / 660)
    # Daly: tau / (M e^(R/M) (e^((tau+delta)/M) - 1)), by hand for M=3600, tau=540, d=60, R=0
    assert ettr(540, 60, 0, 3600) == pytest.approx(540 / (3600 * math.expm1(600 / 3600)))
    with pytest.raises(BadInput):
        young_daly_interval_s(0.0, 100.0)


def test_first_order_limit() -> None:
    """For small delta/M and R=0, 1 - ETTR ~ delta/tau + tau/(2M) at the Young/Daly point."""
    m, d = 1e6, 10.0
    tau = young_daly_interval_s(d, m)
    assert 1 - ettr(tau, d, 0, m) == pytest.approx(d / tau + tau / (2 * m), rel=0.02)


def test_llama3_closed_form() -> None:
    """54 wall-clock days on 16,384 H100: 419 expected interruptions and ETTR >= 90 %."""
    fm = failure_model()
    r0 = training_reliability(16384, 54.0, "hopper", fm)
    r = training_reliability(16384, 54.0 * r0.ettr, "hopper", fm)
    assert r.wall_days == pytest.approx(54.0, rel=1e-3)
    assert r.interruptions == pytest.approx(419, rel=1e-3)
    assert r.mtti_h == pytest.approx(3.1, abs=0.05)  # reference: about 3.1 h
    assert r.ettr >= 0.90
    assert sum(r.by_cause.values()) == pytest.approx(r.interruptions)
    assert r.optimal and r.checkpoint_interval_h == pytest.approx(
        math.sqrt(2 * 20 * r.mtti_h * 3600) / 3600)
    fixed = training_reliability(16384, 50.0, "hopper", fm, interval_s=4 * 3600)
    assert not fixed.optimal and fixed.ettr < r.ettr
    assert fixed.lost_accelerator_hours > r.lost_accelerator_hours > 0


def test_more_devices_lower_ettr() -> None:
    small = training_reliability(1024, 10, "blackwell")
    big = training_reliability(65536, 10, "blackwell")
    assert big.ettr < small.ettr < 1
    assert big.checkpoint_interval_h < small.checkpoint_interval_h
    with pytest.raises(BadInput):
        training_reliability(0, 1.0)


def test_the_closed_form_charges_detection_before_each_restart() -> None:
    """Each interruption costs the model's mean detection time (the twin's and the job
    Monte Carlo's per-class ``detect_s``, averaged by rate) on top of the restart: Daly's
    ETTR with restart + detection, and a model without detection gives the old figure."""
    from dataclasses import replace

    from aifab.reliability._formulas import mean_detect_s
    from aifab.scenario import ReliabilitySettings

    fm = failure_model()
    r = training_reliability(16384, 30.0, "blackwell", fm)
    det = mean_detect_s(fm, "blackwell")
    assert r.detect_s == det and 93.0 < det < 180.0  # software 93 s, hardware 180 s
    m = r.mtti_h * 3600.0
    tau = r.checkpoint_interval_h * 3600.0
    assert r.ettr == pytest.approx(ettr(tau, 20.0, 300.0 + det, m), rel=1e-12)
    off = training_reliability(16384, 30.0, "blackwell", replace(fm, detect_s={}))
    assert off.detect_s == 0.0 and off.ettr == pytest.approx(ettr(tau, 20.0, 300.0, m))
    assert r.ettr < off.ettr and r.lost_accelerator_hours > off.lost_accelerator_hours
    # the scenario's per-class override reaches the closed form
    slow = failure_model(ReliabilitySettings(detect_s={"software": 3600.0}))
    assert training_reliability(16384, 30.0, "blackwell", slow).ettr < r.ettr


def test_software_detection_is_the_mean_over_hangs_and_crashes() -> None:
    """The software class's detection time: Llama 3's 7 NCCL watchdog timeouts hang for
    the 600 s watchdog, its 56 bugs and dependency failures crash (30 s)."""
    fm = failure_model()
    assert fm.detect_for("software") == pytest.approx((7 * 600 + 56 * 30) / 63)
    assert fm.detect_for("gpu") == 180.0
