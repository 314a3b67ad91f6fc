"""Detection (hang) time apart from restart: a failed gang is booked ``detect`` for the
seconds its failure went unnoticed, then ``restart``; both come out of ETTR."""

from __future__ import annotations

from typing import Any

import pytest

from aifab.reliability import CLASSES, failure_model
from aifab.scenario import ReliabilitySettings, Scenario
from aifab.sim.national import finish, new_run

FAST = {"gpu": 0.06, "gpu_memory": 0.03, "gpu_other": 0.02, "network": 0.02, "nic": 0.005,
        "host": 0.02, "software": 0.03}


def _run(kit: Any, detect_s: float, restart_s: float = 300.0) -> dict[str, Any]:
    base = kit.small([kit.b200("Gov", 400)], {
        "days": 3, "seed": 5, "queue_policy": "fifo", "warmup_days": 0,
        "tenants": [{"name": "t", "owner": "Gov", "load": 2.0, "mix": {"g": 1.0}}],
        "classes": {"g": {"sizes": [8], "median_h": 4, "sigma": 0.3}}})
    rel = {"rates_per_accelerator_day": FAST, "spares_share": 0.1, "restart_s": restart_s,
           "repair_median_h": dict.fromkeys(FAST, 0.05),
           "detect_s": dict.fromkeys(CLASSES, detect_s)}
    scn = Scenario.model_validate({**base.model_dump(mode="json"), "reliability": rel})
    out: dict[str, Any] = finish(new_run(scn)).to_dict()["reliability"]
    return out


def test_packaged_detection_times() -> None:
    fm = failure_model()
    assert fm.detect_for("software") == 600.0  # NCCL's default collective timeout
    assert all(fm.detect_for(c) == 180.0 for c in fm.hardware)
    assert failure_model(ReliabilitySettings(detect_s={"gpu": 5.0})).detect_for("gpu") == 5.0


def test_detection_is_booked_apart_from_restart(kit: Any) -> None:
    """Every interruption's next start pays detect + restart: with 300 s of restart and
    900 s of detection the booked hours are in the ratio 3:1. Tolerance 3 %: a gang cut
    off by the horizon during its detection is booked detect first (a few of several
    hundred interruptions)."""
    rel = _run(kit, 900.0)
    ah = rel["accelerator_hours"]
    assert rel["interruptions"] > 100
    assert ah["detect"] / ah["restart"] == pytest.approx(3.0, rel=0.03)
    assert rel["lost_accelerator_hours"] == pytest.approx(
        ah["lost"] + ah["detect"] + ah["restart"])
    off = _run(kit, 0.0)
    assert off["accelerator_hours"]["detect"] == 0.0
    assert off["ettr"]["g"] > rel["ettr"]["g"]
