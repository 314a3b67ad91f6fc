"""Hand-computed power, energy, cost and CO2 cases."""

from __future__ import annotations

import pytest

from aifab import load_scenario, plan
from aifab.catalog import default_catalog
from aifab.power import Energy, demand_by_year, fleet_it_mw, h100_equivalents
from aifab.scenario import Facility, Fleet, Prices


def _one_fleet(count: int, system: str, accel: str, **kw: str) -> list[str]:
    sets = [
        "fleets.0.count=" + str(count),
        "fleets.0.system=" + system,
        "fleets.0.accelerator=" + accel,
        "fleets.0.delivery_year=2026",
    ]
    return sets + [f"{k}={v}" for k, v in kw.items()]


def test_dgx_b200_by_hand() -> None:
    # 8,000 B200 = 1,000 DGX B200 at 14.3 kW = 14.3 MW IT; PUE 1.25 -> 17.875 MW;
    # load 0.8 -> 17.875 * 8760 * 0.8 = 125,268 MWh = 0.125268 TWh;
    # 125,268,000 kWh * 150 KRW = 18.7902e9 KRW; / 1500 = 12.5268e6 USD;
    # 125,268,000 kWh * 0.5 kg = 62,634 t = 0.062634 Mt.
    cat = default_catalog()
    fleet = Fleet(owner="x", accelerator="b200", system="dgx-b200", count=8000,
                  delivery_year=2026)
    fac = Facility(pue=1.25, load_factor=0.8)
    it_mw = fleet_it_mw(fleet, cat, fac)
    assert it_mw == pytest.approx(14.3)
    e = Energy.from_it_mw(it_mw, fac, Prices(tariff_krw_per_kwh=150, krw_per_usd=1500,
                                             grid_co2_kg_per_kwh=0.5))
    assert e.facility_power_mw == pytest.approx(17.875)
    assert e.annual_energy_twh == pytest.approx(0.125268)
    assert e.annual_cost_krw == pytest.approx(18.7902e9)
    assert e.annual_cost_usd == pytest.approx(12.5268e6)
    assert e.annual_co2_mt == pytest.approx(0.062634)


def test_rack_power_ends() -> None:
    # GB200 NVL72: 120 kW (low), 132 kW (high), 126 kW (mid) per 72 GPUs; 720 GPUs = 10 racks.
    cat = default_catalog()
    fleet = Fleet(owner="x", accelerator="gb200", system="gb200-nvl72", count=720,
                  delivery_year=2026)
    got = {w: fleet_it_mw(fleet, cat, Facility(system_power=w)) for w in ("low", "mid", "high")}
    assert got == pytest.approx({"low": 1.2, "mid": 1.26, "high": 1.32})


def test_h100_equivalents_by_metric() -> None:
    cat = default_catalog()
    b200 = cat.accelerator("b200")
    h = h100_equivalents(b200, 1000, cat)
    assert h["bf16"] == pytest.approx(1000 * 2250 / 989)
    assert h["fp8"] == pytest.approx(1000 * 4500 / 1979)
    assert h["memory_bandwidth"] == pytest.approx(1000 * 8.0 / 3.35)
    assert h["memory_capacity"] == pytest.approx(1000 * 180 / 80)
    # The H100 itself is exactly one on every metric.
    assert set(h100_equivalents(cat.accelerator("h100-sxm"), 7, cat).values()) == {7.0}
    # No FP8 on A100: the FP8 metric falls back to BF16 speed.
    a = h100_equivalents(cat.accelerator("a100-sxm"), 1, cat)
    assert a["fp8"] == pytest.approx(312 / 1979)


def test_owner_totals_add_up() -> None:
    r = plan(load_scenario())
    for field in ("it_power_mw", "facility_power_mw", "annual_energy_twh", "annual_cost_krw",
                  "annual_co2_mt"):
        assert sum(getattr(o, field) for o in r.owners) == pytest.approx(getattr(r.totals, field))
    assert sum(o.accelerators for o in r.owners) == r.totals.accelerators == 268_000
    assert (r.totals.gpus, r.totals.npus) == (260_000, 8_000)  # 8,000 assumed NPUs
    assert sum(f.it_power_mw for f in r.fleet) == pytest.approx(r.totals.it_power_mw)


def test_demand_by_year_is_cumulative() -> None:
    scn = load_scenario()
    df = demand_by_year(scn)
    for _, g in df.groupby("owner"):
        assert g["accelerators"].is_monotonic_increasing
        assert g["it_mw"].is_monotonic_increasing
    last = df[df["year"] == df["year"].max()]
    assert last["accelerators"].sum() == 268_000  # 260,000 GPUs + 8,000 assumed NPUs
    assert last["it_mw"].sum() == pytest.approx(plan(scn).totals.it_power_mw)
    assert list(df["facility_mw"]) == pytest.approx(list(df["it_mw"] * scn.facility.pue))


def test_factory_output_section() -> None:
    """Per-owner tokens and training runs add up, and scale with the fleet."""
    r = plan(load_scenario())
    rows = {o.owner: o for o in r.output}
    assert set(rows) == {"Naver", "Samsung", "SK", "Hyundai", "Government", "total"}
    for key in ("tokens_per_year", "training_runs_per_year"):
        assert sum(getattr(v, key) for k, v in rows.items() if k != "total") == pytest.approx(
            getattr(rows["total"], key))
        assert all(getattr(v, key) > 0 for v in rows.values())
    per_gw = rows["total"].tokens_per_year_per_gw
    assert per_gw == pytest.approx(rows["total"].tokens_per_year
                                   / (r.totals.facility_power_mw / 1000))
    doubled = plan(load_scenario(None, [f"fleets.{i}.count={2 * f.count}"
                                        for i, f in enumerate(load_scenario().fleets)]))
    assert doubled.output[-1].tokens_per_year == pytest.approx(
        2 * rows["total"].tokens_per_year)
    # per GW is a property of the mix, not of the fleet's size
    assert doubled.output[-1].tokens_per_year_per_gw == pytest.approx(per_gw)
