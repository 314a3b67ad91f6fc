"""Stage 2 with the campuses fixed: the full-network check (cuts where lines overload) and
the rolling horizon of whole-day blocks, on toys solved by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aifab.grid import GridNetwork, TimeSlices
from aifab.grid._fullcheck import check_lines, cluster_groups
from aifab.grid._fullyear import solve_blocks
from aifab.grid._network import quiet_pypsa
from aifab.grid._stage2 import day_blocks, fix_campuses

from .conftest import toy_data

PENALTY = 5.0e6


def _chain(days: int, dear_mw: float, c_load: np.ndarray | float = 100.0) -> GridNetwork:
    """A - B - C. A: 1,000 MW at 10 KRW/MWh; B: ``dear_mw`` at 100 and a campus sink; C:
    ordinary load. Line A-B 150 MW (inside the cluster {A, B}), B-C 1,000 MW."""
    import pypsa

    quiet_pypsa()
    h = 24 * days
    n = pypsa.Network()
    n.set_snapshots(list(range(h)))
    n.snapshot_weightings.loc[:, :] = 1.0
    n.add("Carrier", ["cheap", "dear", "shed", "ai", "AC"], co2_emissions=0.0)
    n.add("Bus", ["A", "B", "C"], carrier="AC")
    n.add("Line", ["AB", "BC"], bus0=["A", "B"], bus1=["B", "C"], x=0.1, s_nom=[150, 1000],
          carrier="AC")
    n.add("Generator", "cheap", bus="A", carrier="cheap", p_nom=1000, marginal_cost=10)
    n.add("Generator", "dear", bus="B", carrier="dear", p_nom=dear_mw, marginal_cost=100)
    n.add("Generator", [f"shed {b}" for b in "ABC"], bus=list("ABC"), carrier="shed",
          p_nom=1e4, marginal_cost=1e7)
    n.add("Generator", "ai B", bus="B", carrier="ai", p_nom=1e6, p_max_pu=0.0, p_min_pu=-1.0)
    n.add("Load", "load C", bus="C", p_set=pd.Series(np.broadcast_to(c_load, h).astype(float),
                                                    index=n.snapshots))
    ts = TimeSlices(days=tuple(range(days)), weights=(1.0,) * days, method="toy")
    return GridNetwork(network=n, years=(2030,), slices=ts, snapshot_year=np.full(h, 2030),
                       snapshot_day=np.repeat(np.arange(days), 24),
                       bus_region={b: "Seoul" for b in "ABC"}, level="full",
                       site_sink={"S-B": "ai B"})


def _check(gn: GridNetwork, campus_mw: float) -> dict:
    loads = pd.DataFrame({"ai B": campus_mw}, index=gn.network.snapshots)
    fix_campuses(gn, loads, PENALTY)
    agg = pd.DataFrame({"bus0": ["AB"], "bus1": ["C"], "s_nom": [1000.0], "s_max_pu": [1.0]},
                       index=["AB - C"])
    coef, lim = cluster_groups(gn, {"A": "AB", "B": "AB", "C": "C"}, agg)
    assert coef.loc["AB - C"].to_dict() == {"AB": 0.0, "BC": 1.0}  # A-B is inside
    return check_lines(gn, toy_data(), loads, coef, lim)


@pytest.mark.slow  # about 3-13 s: make test and CI run it, make test-fast does not
def test_check_catches_the_line_the_clusters_hide_and_fixes_it():
    # Campus 200 MW at B, 100 MW at C. The clustered view sees only B-C (1,000 MW): round 0
    # runs A at 300 MW, so A-B carries 300 MW against its 150 MW (200 %). The cut A-B <= 150
    # moves 150 MW to B's dear plant: (100 - 10) x 150 = 13,500 KRW an hour, 24 hours.
    chk = _check(_chain(1, 1000.0), 200.0)
    assert [(f["line"], f["loading_pct"], f["round"]) for f in chk["found"]] == \
        [("AB", 200.0, 0)]
    assert chk["rounds"] == [1] and chk["converged"] and chk["enforced"] == ["AB"]
    assert chk["max_loading_pct"] == pytest.approx(100.0)
    assert chk["first"].gen_krw[2030] == pytest.approx(300 * 10 * 24)
    assert chk["final"].gen_krw[2030] - chk["first"].gen_krw[2030] == pytest.approx(13_500 * 24)
    assert chk["final"].curtailed_mwh[2030] == pytest.approx(0.0, abs=1e-6)
    assert chk["base"].shed_mwh[2030] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.slow  # a toy siting or check solve (1.5-3 s): make test and CI
def test_check_curtails_the_campus_when_redispatch_cannot_fix_it():
    # B's plant is 20 MW: with A-B at 150 MW, 170 MW reach B for 300 MW of load. The campus
    # (penalty 5 M KRW/MWh) gives way before C's customers (10 M KRW/MWh): 130 MW curtailed.
    chk = _check(_chain(1, 20.0), 200.0)
    assert [f["line"] for f in chk["found"]] == ["AB"] and chk["converged"]
    assert chk["final"].curtailed_max_mw[2030] == pytest.approx(130.0)
    assert chk["final"].curtailed_mwh[2030] == pytest.approx(130.0 * 24)
    assert chk["final"].shed_mwh[2030] == pytest.approx(0.0, abs=1e-6)
    assert chk["first"].curtailed_mwh[2030] == pytest.approx(0.0, abs=1e-6)  # round 0 hid it
    # every hour of the one day (1 Jan: month 1) is short; round 0 had none
    assert chk["final"].short_hours[2030] == {1: pytest.approx(24.0)}
    assert chk["first"].short_hours.get(2030, {}) == {}


@pytest.mark.slow  # a toy siting or check solve (1.5-3 s): make test and CI
def test_no_campus_no_cut():
    chk = _check(_chain(1, 1000.0), 0.0)
    assert chk["found"] == [] and chk["rounds"] == [0]


@pytest.mark.slow  # about 3-7 s: runs in make test and CI, not in make test-fast
def test_blocks_of_days_equal_one_lp_over_all_hours():
    # Ten days of varying load at C (300-950 MW; A-B binds in every hour), solved
    # in 2-day blocks with one LP re-used: the same cost as one LP over all hours.
    rng = np.random.default_rng(3)
    c = 300 + 650 * rng.random(240)
    gn = _chain(10, 1000.0, c)
    loads = pd.DataFrame({"ai B": 50.0}, index=gn.network.snapshots)
    fix_campuses(gn, loads, PENALTY)
    blocks = day_blocks(gn, 2)
    assert [len(b) for b in blocks] == [48] * 5
    tally, _, _, _ = solve_blocks(gn, toy_data(), loads, blocks, threads=1)
    one, _, _, _ = solve_blocks(gn, toy_data(), loads, [np.arange(240)], threads=1)
    assert tally.gen_krw[2030] == pytest.approx(one.gen_krw[2030], rel=1e-9)
    # by hand: B + C need 350-1,000 MW; A-B carries at most 150 of it, the dear plant the
    # rest
    need = c + 50.0
    assert one.gen_krw[2030] == pytest.approx(float((150 * 10 + (need - 150) * 100).sum()))
    assert one.max_flow[2030]["AB"] == pytest.approx(150.0)


def test_full_year_rejects_flexibility_offers():
    from aifab.errors import BadInput
    from aifab.grid import solve_siting

    from .conftest import toy_problem

    p = toy_problem(100.0)
    p = p.__class__(demand=p.demand, owners=p.owners, load_factor=1.0,
                    options=p.options.model_copy(update={"hours": 8760, "flex_share": 0.01}))
    with pytest.raises(BadInput, match="representative days"):
        solve_siting(p, toy_data())
