"""Detection (hang) time apart from restart: a failed gang is booked ``detect`` for the
seconds its failure went unnoticed (at the failure), then ``restart`` (when it runs
again); both come out of ETTR."""

from __future__ import annotations

from typing import Any

import pytest

from aifab.reliability import CLASSES, failure_model
from aifab.scenario import ReliabilitySettings, Scenario
from aifab.sim.national import finish, new_run
from aifab.sim.national._failures import failures_of

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
    # Llama 3's 7 watchdog hangs (NCCL's default 600 s timeout) and 56 crashes (30 s)
    assert fm.detect_for("software") == pytest.approx((7 * 600.0 + 56 * 30.0) / 63)
    assert all(fm.detect_for(c) == 180.0 for c in fm.hardware)
    assert failure_model(ReliabilitySettings(detect_s={"gpu": 5.0})).detect_for("gpu") == 5.0


def test_detection_is_booked_apart_from_restart(kit: Any) -> None:
    """Every interruption pays detect (at the failure) and restart (when the gang runs
    again): with 300 s of restart and 900 s of detection the booked hours are in the
    ratio 3:1. Tolerance 3 %: a gang stopped near the horizon is booked its detection but
    not (all) its restart (a few of several hundred interruptions)."""
    rel = _run(kit, 900.0)
    ah = rel["accelerator_hours"]
    assert rel["interruptions"] > 100
    assert ah["detect"] / ah["restart"] == pytest.approx(3.0, rel=0.03)
    assert rel["lost_accelerator_hours"] == pytest.approx(
        ah["lost"] + ah["detect"] + ah["restart"])
    off = _run(kit, 0.0)
    assert off["accelerator_hours"]["detect"] == 0.0
    assert off["ettr"]["g"] > rel["ettr"]["g"]


def _recorded(kit: Any, sim: dict[str, Any], rel: dict[str, Any], fleets: list[Any]
              ) -> tuple[Any, Any, list[tuple[int, float, str]]]:
    """A run with every interruption recorded as (size, time, cause) as it happens."""
    base = kit.small(fleets, {"seed": 3, "queue_policy": "fifo", "warmup_days": 0, **sim})
    scn = Scenario.model_validate({**base.model_dump(mode="json"), "reliability": rel})
    run = new_run(scn)
    fails = failures_of(run.bus.observers)
    assert fails is not None
    seen: list[tuple[int, float, str]] = []
    interrupt = fails.goodput.interrupt

    def spy(job: Any, now: float, cause: str, stop: Any) -> None:
        seen.append((job.n, now, cause))
        interrupt(job, now, cause, stop)

    fails.goodput.interrupt = spy  # type: ignore[method-assign]
    return run, fails, seen


def test_a_hang_is_charged_at_the_failure_even_without_a_restart(kit: Any) -> None:
    """One server, gangs on it, no spares and repairs of ~1,000 h: the first hardware
    failure stops the gangs on it for good (the server does not return in the run). Their
    hangs (30 min of detection) are still charged, when they happen: the ``detect`` hours
    are exactly the sum over interruptions of size x detection time (cut at the horizon),
    and every interrupted gang still owes its restart at the end."""
    hw = {"gpu": 0.2, "gpu_memory": 0.0, "gpu_other": 0.0, "network": 0.0, "nic": 0.0,
          "host": 0.0, "software": 0.0}
    rel = {"rates_per_accelerator_day": hw, "spares_share": 0.0,
           "repair_median_h": {"gpu": 1000.0}, "detect_s": dict.fromkeys(CLASSES, 1800.0)}
    run, fails, seen = _recorded(kit, {
        "days": 2, "tenants": [{"name": "t", "owner": "Gov", "load": 2.0, "mix": {"g": 1.0}}],
        "classes": {"g": {"sizes": [8], "median_h": 8, "sigma": 0.3}}}, rel,
        [kit.b200("Gov", 8)])
    res = finish(run)
    h = run.twin.horizon_s
    assert seen and len(fails.goodput.hang) == len(seen)  # stopped, never restarted
    ah = res.to_dict()["reliability"]["accelerator_hours"]
    assert ah["restart"] == 0.0
    want = sum(n * min(1800.0, h - t) for n, t, _ in seen) / 3600.0
    assert ah["detect"] == pytest.approx(want, rel=1e-12) and want > 0


def test_every_hang_is_charged_at_its_failure(kit: Any) -> None:
    """Over about a hundred interruptions (packaged detection: 180 s hardware, 93 s
    software), the ``detect`` hours equal the sum over interruptions of size x the
    cause's detection time, cut at the horizon (exactly, whether or not the gang ran
    again), and they count in the lost hours."""
    rel = {"rates_per_accelerator_day": FAST, "spares_share": 0.1, "restart_s": 300.0,
           "repair_median_h": dict.fromkeys(FAST, 0.05)}
    run, _, seen = _recorded(kit, {
        "days": 3, "tenants": [{"name": "t", "owner": "Gov", "load": 2.0, "mix": {"g": 1.0}}],
        "classes": {"g": {"sizes": [8, 16], "median_h": 4, "sigma": 0.3}}}, rel,
        [kit.b200("Gov", 400)])
    doc = finish(run).to_dict()["reliability"]
    fm, h = failure_model(), run.twin.horizon_s
    assert len(seen) == doc["interruptions"] > 50
    assert {c for _, _, c in seen} >= {"software", "gpu"}
    want = sum(n * min(fm.detect_for(c), h - t) for n, t, c in seen) / 3600.0
    assert doc["accelerator_hours"]["detect"] == pytest.approx(want, rel=1e-12)


def test_resume_between_a_failure_and_its_restart_is_identical(kit: Any, tmp_path: Any) -> None:
    """Checkpoints taken while a stopped gang owes its restart (its hang already charged)
    and while a restarted gang is paying it back: each resumed run gives the whole run's
    JSON and tables, bit for bit."""
    from aifab.catalog import default_catalog
    from aifab.sim.national import load_checkpoint, save_checkpoint

    base = kit.small([kit.b200("Gov", 96)], {
        "days": 1, "seed": 4, "queue_policy": "backfill", "warmup_days": 0,
        "tenants": [{"name": "t", "owner": "Gov", "load": 1.5, "mix": {"g": 1.0}}],
        "classes": {"g": {"sizes": [8, 16, 32], "median_h": 3, "sigma": 0.3}}})
    rel = {"rates_per_accelerator_day": FAST, "spares_share": 0.0, "restart_s": 300.0,
           "repair_median_h": dict.fromkeys(FAST, 0.5)}
    scn = Scenario.model_validate({**base.model_dump(mode="json"), "reliability": rel})
    cat = default_catalog()
    whole = finish(new_run(scn))
    run = new_run(scn)
    fails = failures_of(run.bus.observers)
    assert fails is not None
    want = {"owes": lambda: bool(fails.goodput.hang), "paying": lambda: bool(fails.goodput.hung)}
    saved: dict[str, float] = {}
    t = 0.0
    while len(saved) < len(want) and t < run.twin.horizon_s:
        t += 120.0
        run.run(until=t)
        for name, now in want.items():
            if name not in saved and now():
                save_checkpoint(run, scn, cat, tmp_path / name)
                saved[name] = t
    assert set(saved) == set(want), saved
    for name in saved:
        res = finish(load_checkpoint(tmp_path / name, cat, expect=scn)[0])
        assert _canon(res.to_dict()) == _canon(whole.to_dict()), name
        for key, df in whole.frames.items():
            assert res.frames[key].equals(df), (name, key)


def _canon(doc: dict[str, Any]) -> str:
    import json

    from aifab._io import to_json

    d = json.loads(to_json(doc))
    d.pop("wall_s")
    d["events"].pop("per_s")
    return json.dumps(d, sort_keys=True)
