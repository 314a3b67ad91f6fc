"""Checkpoint writes count in a job's run time: a gang that checkpoints every ``tau`` for
``w`` seconds runs ``(tau + w) / tau`` times as long as its compute, not only books that
time as non-useful."""

from __future__ import annotations

from typing import Any

import pytest

from aifab.scenario import Scenario
from aifab.sim.national import finish, new_run


def _run(kit: Any, rel: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    base = kit.small([kit.b200("Gov", 800)], {
        "days": 2, "seed": 4, "queue_policy": "fifo", "warmup_days": 0,
        "tenants": [{"name": "t", "owner": "Gov", "load": 0.3, "mix": {"g": 1.0}}],
        "classes": {"g": {"sizes": [8, 16], "median_h": 3, "sigma": 0.5}}})
    scn = Scenario.model_validate({**base.model_dump(mode="json"), "reliability": rel})
    res = finish(new_run(scn))
    return res.to_dict(), res.frames["jobs"]


def test_checkpoint_writes_lengthen_jobs(kit: Any) -> None:
    """No failures (scale 0), checkpoints every 30 min blocking 180 s: every job runs
    1.1 x its compute time (same arrivals, an uncontended fleet), and the checkpoint
    accelerator-hours are a tenth of the useful ones."""
    on, jobs_on = _run(kit, {"failure_scale": 0.0, "spares_share": 0.0,
                             "checkpoint_interval_h": {"g": 0.5}, "checkpoint_write_s": 180.0})
    off, jobs_off = _run(kit, {"enabled": False})
    a = jobs_on.dropna(subset=["end"]).set_index("submit")  # completed jobs
    b = jobs_off.dropna(subset=["end"]).set_index("submit")
    both = a.index.intersection(b.index)
    assert len(both) > 50
    ran_on = a.loc[both, "end"] - a.loc[both, "first"]
    ran_off = b.loc[both, "end"] - b.loc[both, "first"]
    assert (ran_on / ran_off).to_numpy() == pytest.approx(1.1, rel=1e-9)
    ah = on["reliability"]["accelerator_hours"]
    assert on["reliability"]["failures"] == 0 and ah["lost"] == 0.0
    assert ah["checkpoint"] / ah["useful"] == pytest.approx(0.1, rel=1e-9)
    assert on["jobs"]["completed"] <= off["jobs"]["completed"]
