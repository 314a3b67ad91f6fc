"""Linear power flow (Kirchhoff's voltage law) on a hand-solvable three-bus network, and the
N-1 line limits of the clustered network."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from aifab.grid import solve_siting
from aifab.grid._cluster import n1_share

from .conftest import toy_data, toy_problem


def _triangle(gs_mw: float):
    """Gangwon (nuclear 1,000 MW), Jeonnam (coal 100 MW), Seoul (1,000 MW load, LNG): three
    lines of equal reactance, G-S limited to ``gs_mw``; no campuses."""
    data = toy_data(gangwon_site_mw=0.0, jeonnam_site_mw=0.0, seoul_site_mw=0.0)
    cor = pd.DataFrame([
        {"name": n, "bus0": a, "bus1": b, "p_nom_mw": mw, "length_km": 100.0,
         "expandable": False, "capital_cost_krw": None, "earliest_year": None, "x_pu": 0.01,
         "source": "toy"}
        for n, a, b, mw in (("G-S", "Gangwon", "Seoul", gs_mw),
                            ("G-J", "Gangwon", "Jeonnam", 1000.0),
                            ("J-S", "Jeonnam", "Seoul", 1000.0))])
    return replace(data, corridors=cor)


def _flows(r):
    return r.corridors.set_index("name")["max_loading_pct"]


@pytest.mark.slow  # a toy siting or check solve (1.5-3 s): make test and CI
def test_three_bus_flows_split_by_reactance():
    # All 1,000 MW from the Gangwon nuclear plant to Seoul: the direct line (x) carries 2/3,
    # the path through Jeonnam (2x) 1/3, although both paths cost the same.
    # (Loadings are reported in % rounded to 0.1: tolerance 0.051.)
    r = solve_siting(toy_problem(0.0), _triangle(1000.0), calibrate_base=False)
    f = _flows(r)
    assert f["G-S"] == pytest.approx(66.667, abs=0.051)
    assert f["G-J"] == pytest.approx(33.333, abs=0.051)
    assert f["J-S"] == pytest.approx(33.333, abs=0.051)


@pytest.mark.slow
def test_three_bus_binding_line_dispatches_by_ptdf():
    # G-S limited to 500 MW. Flow on G-S = 2/3 P_nuclear + 1/3 P_coal: a MW of coal saves
    # 50k KRW for 1/3 MW of G-S, nuclear 90k for 2/3 (150k vs 135k per MW of line), so coal
    # runs flat out (100), nuclear 700, LNG 200. A transport model would run nuclear at
    # 1,000 over both paths. Flows: G-S 500, G-J 200, J-S 300.
    r = solve_siting(toy_problem(0.0), _triangle(500.0), calibrate_base=False)
    f = _flows(r)
    assert f["G-S"] == pytest.approx(100.0, abs=0.01)
    assert f["G-J"] == pytest.approx(20.0, abs=0.01)
    assert f["J-S"] == pytest.approx(30.0, abs=0.01)
    gen = 700 * 10_000 + 100 * 50_000 + 200 * 100_000
    assert r.annual_cost.iloc[0]["generation_krw"] == pytest.approx(gen * 8760, rel=1e-6)


@pytest.mark.parametrize(("circuits", "share"), [(1, 0.5), (2, 0.5), (3, 2 / 3), (4, 0.7),
                                                 (12, 0.7)])
def test_n1_share_from_circuits(circuits, share):
    assert n1_share(circuits) == pytest.approx(share)
