"""Detection (hang) time apart from restart: a failed gang holds its healthy accelerators
for the seconds its failure goes unnoticed, booked as ``detect`` (at the failure), then
pays ``restart`` when it runs again; both come out of ETTR."""

from __future__ import annotations

from typing import Any

import pytest

from aifab.reliability import CLASSES, failure_model
from aifab.scenario import ReliabilitySettings, Scenario
from aifab.sim.national import finish, new_run
from aifab.sim.national._failures import failures_of

FAST = {"gpu": 0.06, "gpu_memory": 0.03, "gpu_other": 0.02, "network": 0.02, "nic": 0.005,
        "host": 0.02, "software": 0.03}


def _recorded(kit: Any, sim: dict[str, Any], rel: dict[str, Any], fleets: list[Any]
              ) -> tuple[Any, Any, list[tuple[int, int, float, float]]]:
    """A run with every hang recorded as (gang size, accelerators held, time, detection
    time) as it happens."""
    base = kit.small(fleets, {"seed": 3, "queue_policy": "fifo", "warmup_days": 0, **sim})
    scn = Scenario.model_validate({**base.model_dump(mode="json"), "reliability": rel})
    run = new_run(scn)
    fails = failures_of(run.bus.observers)
    assert fails is not None
    seen: list[tuple[int, int, float, float]] = []
    hang = fails.goodput.hang

    def spy(job: Any, now: float, held: int, detect_s: float) -> None:
        seen.append((job.n, held, now, detect_s))
        hang(job, now, held, detect_s)

    fails.goodput.hang = spy  # type: ignore[method-assign]
    return run, fails, seen


def _booked(seen: list[tuple[int, int, float, float]], h: float) -> float:
    """Hours a run's hangs hold: held x detection time, cut at the horizon."""
    return sum(k * min(d, h - t) for _, k, t, d in seen) / 3600.0


ONE_T = {"tenants": [{"name": "t", "owner": "Gov", "load": 2.0, "mix": {"g": 1.0}}]}


def test_packaged_detection_times() -> None:
    fm = failure_model()
    # Llama 3's 7 watchdog hangs (NCCL's default 600 s timeout) and 56 crashes (30 s)
    assert fm.detect_for("software") == pytest.approx((7 * 600.0 + 56 * 30.0) / 63)
    assert all(fm.detect_for(c) == 180.0 for c in fm.hardware)
    assert failure_model(ReliabilitySettings(detect_s={"gpu": 5.0})).detect_for("gpu") == 5.0


def test_detection_is_booked_apart_from_restart(kit: Any) -> None:
    """16-GPU gangs on 8-GPU servers, 900 s of detection, 300 s of restart: every
    interruption holds the whole gang, the failed server included (its repair starts at
    detection), for the detection time, booked as ``detect`` (exactly, held x 900 s cut at
    the horizon), then pays its restart when it runs again; both count in the lost hours
    and come out of ETTR."""
    rel = {"rates_per_accelerator_day": FAST, "spares_share": 0.1, "restart_s": 300.0,
           "repair_median_h": dict.fromkeys(FAST, 0.05),
           "detect_s": dict.fromkeys(CLASSES, 900.0)}
    sim = {"days": 3, "seed": 5, **ONE_T,
           "classes": {"g": {"sizes": [16], "median_h": 4, "sigma": 0.3}}}
    run, _, seen = _recorded(kit, sim, rel, [kit.b200("Gov", 400)])
    doc = finish(run).to_dict()["reliability"]
    ah = doc["accelerator_hours"]
    assert len(seen) == doc["interruptions"] > 100
    assert all(n == 16 and k == 16 and d == 900.0 for n, k, _, d in seen)
    assert ah["detect"] == pytest.approx(_booked(seen, run.twin.horizon_s), rel=1e-12)
    assert ah["restart"] > 0
    assert doc["lost_accelerator_hours"] == pytest.approx(
        ah["lost"] + ah["detect"] + ah["restart"])
    run0, _, seen0 = _recorded(kit, sim, {**rel, "detect_s": dict.fromkeys(CLASSES, 0.0)},
                               [kit.b200("Gov", 400)])
    off = finish(run0).to_dict()["reliability"]
    assert off["accelerator_hours"]["detect"] == 0.0 and not seen0
    assert off["ettr"]["g"] > doc["ettr"]["g"]


def test_a_hang_is_charged_at_the_failure_even_without_a_restart(kit: Any) -> None:
    """Four servers, 16-GPU gangs on them, no spares and repairs of ~1,000 h: hardware
    failures break the servers one by one and stopped gangs end the run waiting (a
    server does not return in the run). Each hang (30 min of detection on the gang's two
    servers, the failed one included: 16 GPUs) is still charged, when it happens."""
    hw = {"gpu": 0.2, "gpu_memory": 0.0, "gpu_other": 0.0, "network": 0.0, "nic": 0.0,
          "host": 0.0, "software": 0.0}
    rel = {"rates_per_accelerator_day": hw, "spares_share": 0.0,
           "repair_median_h": {"gpu": 1000.0}, "detect_s": dict.fromkeys(CLASSES, 1800.0)}
    run, fails, seen = _recorded(kit, {
        "days": 2, **ONE_T, "classes": {"g": {"sizes": [16], "median_h": 8, "sigma": 0.3}}},
        rel, [kit.b200("Gov", 32)])
    res = finish(run)
    assert seen and all(n == 16 and k == 16 for n, k, _, _ in seen)  # the whole gang
    assert fails.goodput.stopped  # stopped gangs that never ran again
    ah = res.to_dict()["reliability"]["accelerator_hours"]
    assert ah["detect"] == pytest.approx(_booked(seen, run.twin.horizon_s), rel=1e-12)
    assert ah["detect"] > 0 and not fails.hanging  # detected (and freed) within the run


def test_every_hang_is_charged_at_its_failure(kit: Any) -> None:
    """Over about a hundred interruptions (packaged detection: 180 s hardware, 93 s
    software), the ``detect`` hours equal the sum over hangs of the accelerators held x
    the cause's detection time, cut at the horizon (exactly, whether or not the gang ran
    again), and they count in the lost hours."""
    rel = {"rates_per_accelerator_day": FAST, "spares_share": 0.1, "restart_s": 300.0,
           "repair_median_h": dict.fromkeys(FAST, 0.05)}
    run, _, seen = _recorded(kit, {
        "days": 3, **ONE_T, "classes": {"g": {"sizes": [8, 16], "median_h": 4, "sigma": 0.3}}},
        rel, [kit.b200("Gov", 400)])
    doc = finish(run).to_dict()["reliability"]
    fm = failure_model()
    assert len(seen) == doc["interruptions"] > 50
    assert {d for *_, d in seen} == {fm.detect_for("software"), fm.detect_for("gpu")}
    assert all(k == n for n, k, _, _ in seen)  # the whole gang, its failed server included
    assert doc["accelerator_hours"]["detect"] == pytest.approx(
        _booked(seen, run.twin.horizon_s), rel=1e-12)


def test_resume_between_a_failure_and_its_restart_is_identical(kit: Any, tmp_path: Any) -> None:
    """Checkpoints taken while a stopped gang hangs (its healthy accelerators held, the
    job out of every queue), while a spare waits for a detection to be released, and
    while a detected gang waits to run again: each resumed run gives the whole run's JSON
    and tables, bit for bit."""
    from aifab.catalog import default_catalog
    from aifab.sim.national import load_checkpoint, save_checkpoint

    base = kit.small([kit.b200("Gov", 96)], {
        "days": 1, "seed": 4, "queue_policy": "backfill", "warmup_days": 0,
        "tenants": [{"name": "t", "owner": "Gov", "load": 1.5, "mix": {"g": 1.0}}],
        "classes": {"g": {"sizes": [8, 16, 32], "median_h": 3, "sigma": 0.3}}})
    rel = {"rates_per_accelerator_day": FAST, "spares_share": 0.1, "restart_s": 300.0,
           "repair_median_h": dict.fromkeys(FAST, 0.5),
           "detect_s": dict.fromkeys(CLASSES, 900.0)}
    scn = Scenario.model_validate({**base.model_dump(mode="json"), "reliability": rel})
    cat = default_catalog()
    whole = finish(new_run(scn))
    run = new_run(scn)
    fails = failures_of(run.bus.observers)
    assert fails is not None
    gp = fails.goodput
    want = {"hung": lambda: any(fails.hanging.values()),
            "spare pending": lambda: bool(fails.hangs.swaps),
            "waiting": lambda: any(j not in fails.hanging for j in gp.stopped)}
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
