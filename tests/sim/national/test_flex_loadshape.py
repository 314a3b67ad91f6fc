"""The twin's load shape: campus_power_hourly.csv is the twin's own time series."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from aifab import load_scenario
from aifab.cli import app
from aifab.grid import read_load_profile
from aifab.sim.national import simulate

SMALL = ["--set", "sim.scale=0.01", "--set", "sim.warmup_days=0.5", "--days", "2"]


def _scn():
    scn = load_scenario()
    sim = scn.sim.model_copy(update={"scale": 0.01, "warmup_days": 0.5, "days": 1.0})
    return scn.model_copy(update={"sim": sim})


def test_campus_power_is_the_twins_time_series():
    res = simulate(_scn())
    cp, ts = res.frames["campus_power"], res.frames["timeseries"]
    owners = [o.name for o in load_scenario().owners]
    assert set(cp["owner"]) == set(owners)
    total = cp.groupby("hour", sort=True)["facility_mw"].sum()
    assert np.array_equal(total.index.to_numpy(), ts["t_h"].to_numpy())
    np.testing.assert_allclose(total.to_numpy(), ts["power_mw"].to_numpy(), rtol=1e-12)
    pue = float(load_scenario().facility.pue)
    np.testing.assert_allclose(cp["it_mw"] * pue, cp["facility_mw"], rtol=1e-12)
    # never above the campus nameplate, never below its idle floor (> 0)
    lf = float(load_scenario().facility.load_factor)
    assert (cp["facility_mw"] <= lf * cp["nameplate_mw"] + 1e-9).all()
    assert (cp["facility_mw"] > 0).all()
    # nameplate per owner (simulated fleet) sums to the fleet's nameplate (plan's MW)
    np_mw = float(cp.groupby("owner")["nameplate_mw"].first().sum())
    assert np_mw / 0.01 == pytest.approx(res.nameplate_mw, rel=1e-9)


def test_simulate_out_writes_the_profile_site_reads(tmp_path: Path):
    out = tmp_path / "run"
    r = CliRunner().invoke(app, ["simulate", *SMALL, "--json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out / "campus_power_hourly.csv")
    assert list(df.columns) == ["hour", "owner", "facility_mw", "it_mw", "nameplate_mw"]
    ts = pd.read_parquet(out / "timeseries.parquet")
    np.testing.assert_allclose(df.groupby("hour")["facility_mw"].sum().to_numpy(),
                               ts["power_mw"].to_numpy(), rtol=1e-9)
    assert not (out / "campus_power.parquet").exists()  # goldens glob *.parquet
    prof = read_load_profile(out)
    lf = float(load_scenario().facility.load_factor)
    doc = json.loads(r.stdout)
    assert set(prof.by_owner) == {t["owner"] for t in doc["tenants"]}
    for v in prof.by_owner.values():
        assert len(v) == 24 and all(0 < x <= lf + 1e-9 for x in v)
