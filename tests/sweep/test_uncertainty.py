"""``aifab plan --uncertainty``: P5-P95 ranges of the headline figures, no Ray."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import aifab
from aifab.cli import app
from aifab.sweep import plan_uncertainty, uncertainty_ranges

runner = CliRunner()


def _json(*args: str) -> dict[str, Any]:
    r = runner.invoke(app, ["plan", *args, "--json"])
    assert r.exit_code == 0, r.output
    return dict(json.loads(r.stdout))


def test_totals_range_beside_the_point_values() -> None:
    doc = _json("--uncertainty", "--samples", "48")
    rng = doc["totals_range"]
    for m in ("facility_power_mw", "annual_energy_twh", "annual_cost_krw", "annual_cost_usd",
              "annual_co2_mt", "share_of_seoul", "h100e_bf16"):
        assert set(rng[m]) == {"p5", "p50", "p95"}
        assert rng[m]["p5"] <= rng[m]["p50"] <= rng[m]["p95"]
    t = doc["totals"]
    # The point plan (PUE 1.3, 90 % load, low system power) lies inside its ranges.
    for m in ("facility_power_mw", "annual_energy_twh", "annual_co2_mt"):
        assert rng[m]["p5"] < t[m] < rng[m]["p95"], m
    # H100-equivalents depend on none of the sampled assumptions: a zero-width range.
    assert rng["h100e_bf16"]["p5"] == rng["h100e_bf16"]["p95"] == pytest.approx(
        t["h100_equivalents"]["bf16"])
    assert doc["uncertainty"]["samples"] == 48
    assert "totals_range" not in _json()


def test_ranges_are_bounded_by_the_extreme_assumptions() -> None:
    """Facility MW = IT MW x PUE: it cannot leave [IT(low) x 1.1, IT(high) x 1.56]."""
    scn = aifab.load_scenario()
    lo = aifab.plan(aifab.load_scenario(None, ["facility.system_power=low"])).totals
    hi = aifab.plan(aifab.load_scenario(None, ["facility.system_power=high"])).totals
    unc = plan_uncertainty(scn, samples=64, seed=3)
    mw = unc.totals_range["facility_power_mw"]
    assert lo.it_power_mw * 1.1 <= mw["p5"] and mw["p95"] <= hi.it_power_mw * 1.56
    # PUE and load factor are both uncertain, so energy spreads wider than power.
    twh = unc.totals_range["annual_energy_twh"]
    assert (twh["p95"] - twh["p5"]) / twh["p50"] > (mw["p95"] - mw["p5"]) / mw["p50"]
    # Deliveries slip into the year after the scenario's last: all of it online by then.
    years = sorted(unc.by_year_range)
    assert int(years[-1]) == max(f.delivery_year for f in scn.fleets) + 1
    assert unc.by_year_range[years[-1]]["p50"] == pytest.approx(mw["p50"])
    assert unc.by_year_range[years[0]]["p5"] < unc.by_year_range[years[0]]["p95"]


def test_reproducible_and_sourced() -> None:
    scn = aifab.load_scenario()
    a = plan_uncertainty(scn, samples=16, seed=1)
    b = plan_uncertainty(scn, samples=16, seed=1)
    c = plan_uncertainty(scn, samples=16, seed=2)
    assert a.totals_range == b.totals_range
    assert a.totals_range != c.totals_range
    for name, r in uncertainty_ranges().items():
        assert r["source"].strip(), name


def test_out_writes_the_ranges(tmp_path: Path) -> None:
    out = tmp_path / "p"
    r = runner.invoke(app, ["plan", "--uncertainty", "--samples", "16", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Ranges from 16 samples" in r.stdout
    csv = (out / "uncertainty.csv").read_text().splitlines()
    assert csv[0] == "metric,unit,point,p5,p50,p95"
    assert "Uncertainty" in (out / "report.html").read_text()
    assert "totals_range" in json.loads((out / "plan.json").read_text())
    r = runner.invoke(app, ["plan", "--uncertainty", "--samples", "3"])
    assert r.exit_code == 2 and "--samples" in r.stderr
