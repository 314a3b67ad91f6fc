"""Technicians from the repair workload; operators from the staff-per-MW ratio."""

from __future__ import annotations

import pytest

from aifab import load_scenario, plan
from aifab.reliability import FleetBlock, failure_model, staffing
from aifab.reliability._staffing import _poisson_p95


def _block(n: int, kind: str = "server", family: str = "hopper") -> FleetBlock:
    slot, per_rack = (8, 4) if kind == "server" else (4, 18)
    return FleetBlock(n, family, kind, slot, per_rack, n * 1.5e-3)


def test_poisson_p95() -> None:
    assert _poisson_p95(0) == 0
    assert _poisson_p95(1.0) == 3  # P(N<=2)=0.920, P(N<=3)=0.981
    assert _poisson_p95(100.0) == 117


def test_workload_by_hand() -> None:
    fm = failure_model()
    e = staffing("x", [_block(100_000)], fm, load_factor=1.0)
    rates = fm.class_rates("hopper")
    assert e.failures_per_day == pytest.approx(100_000 * sum(rates.values()))
    assert e.hardware_swaps_per_day == pytest.approx(
        100_000 * sum(r for c, r in rates.items() if c != "software"))
    assert e.hands_on_h_per_day == pytest.approx(
        100_000 * sum(rates[c] * fm.hands_on_h["server"][c] for c in rates))
    assert e.technicians_fte == pytest.approx(e.technicians_on_shift * 4.73)
    assert e.operators_fte == pytest.approx(150.0)


def test_scaling_and_minimum_crew() -> None:
    small = staffing("s", [_block(800)])
    assert small.technicians_on_shift == 2  # minimum crew
    big = staffing("b", [_block(400_000)])
    assert big.technicians_on_shift > 4 * staffing("m", [_block(50_000)]).technicians_on_shift
    tray = staffing("t", [_block(100_000, "nvl72")])
    server = staffing("v", [_block(100_000, "server")])
    assert tray.hands_on_h_per_day < server.hands_on_h_per_day  # tray is the FRU
    assert staffing("e", []).technicians_on_shift == 0


def test_plan_people_per_owner() -> None:
    r = plan(load_scenario())
    rows = {s.owner: s for s in r.staffing}
    assert set(rows) == {"Naver", "Samsung", "SK", "Hyundai", "Government", "total"}
    assert rows["total"].technicians_fte == pytest.approx(
        sum(v.technicians_fte for k, v in rows.items() if k != "total"))
    # about a hundred interruptions a day on the fleet (issue 11's order of magnitude)
    assert 80 <= rows["total"].failures_per_day <= 250
    assert "estimate" in rows["total"].basis
    assert "staffing" in r.to_frames()
    # training runs account for ETTR: each owner's ETTR below 1, runs scale with it
    for o in r.output:
        assert 0.8 < o.training_ettr < 1.0
    off = plan(load_scenario(None, ["reliability.enabled=false"]))
    assert off.output[-1].training_ettr == pytest.approx(1.0, abs=0.01)
    assert off.output[-1].training_runs_per_year > r.output[-1].training_runs_per_year
