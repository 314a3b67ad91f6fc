"""Equal-cost dispatches are ordered (grid._tiebreak): the flows, and with them the
full-network check's allowance, no longer follow the solve path (warm from the day
before's basis or cold from scratch)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aifab.grid import GridData, GridNetwork, TimeSlices
from aifab.grid._fullcheck import check_lines, cluster_groups
from aifab.grid._network import quiet_pypsa
from aifab.grid._stage2 import WarmLP, fix_campuses
from aifab.grid._tiebreak import rank_offsets, tie_break, unit_offsets

from .conftest import toy_data


def _triangle(carriers: list[str]) -> Any:
    """Buses A, B, C joined by three equal lines (x 0.1, 1,000 MW), 48 hourly snapshots."""
    import pypsa

    quiet_pypsa()
    n = pypsa.Network()
    n.set_snapshots(list(range(48)))
    n.snapshot_weightings.loc[:, :] = 1.0
    n.add("Carrier", carriers, co2_emissions=0.0)
    n.add("Bus", list("ABC"), carrier="AC")
    n.add("Line", ["AB", "AC", "BC"], bus0=["A", "A", "B"], bus1=["B", "C", "C"], x=0.1,
          s_nom=1000.0, carrier="AC")
    return n


def _twins(off: str) -> GridNetwork:
    """A, B, C in a triangle (equal reactances). Plants at A and B at the same 100 KRW/MWh,
    200 MW each; 150 MW of load at C and a campus sink at C. On day 1 the plant ``off``
    is unavailable, on day 2 both are: day 2's dispatch (and every flow) is then one of
    many equal-cost answers."""
    n = _triangle(["gas", "shed", "ai", "AC"])
    avail = {g: np.ones(48) for g in ("gas A", "gas B")}
    avail[off][:24] = 0.0
    n.add("Generator", ["gas A", "gas B"], bus=["A", "B"], carrier="gas", p_nom=200.0,
          marginal_cost=100.0, p_max_pu=pd.DataFrame(avail, index=n.snapshots))
    n.add("Generator", [f"shed {b}" for b in "ABC"], bus=list("ABC"), carrier="shed",
          p_nom=1e4, marginal_cost=1e7)
    n.add("Generator", "ai C", bus="C", carrier="ai", p_nom=1e6, p_max_pu=0.0, p_min_pu=-1.0)
    n.add("Load", "load C", bus="C", p_set=pd.Series(150.0, index=n.snapshots))
    ts = TimeSlices(days=(0, 1), weights=(1.0, 1.0), method="toy")
    return GridNetwork(network=n, years=(2030,), slices=ts, snapshot_year=np.full(48, 2030),
                       snapshot_day=np.repeat(np.arange(2), 24),
                       bus_region={b: "Seoul" for b in "ABC"}, level="full",
                       site_sink={"S-C": "ai C"})


def _day2_flows(off: str, warm: bool) -> np.ndarray:
    gn = _twins(off)
    fix_campuses(gn, pd.DataFrame({"ai C": 0.0}, index=gn.network.snapshots), 5e6)
    lp = WarmLP(gn, toy_data(), np.arange(24), threads=1, warm=warm)
    lp.set_block(np.arange(24, 48))
    assert lp.solve()[0] == "optimal"
    s = lp.sol("Line-s")
    assert s is not None
    return s[["AB", "AC", "BC"]].to_numpy()


@pytest.mark.slow  # four WarmLPs: runs in make test and CI, not in make test-fast
def test_equal_cost_flows_do_not_follow_the_solve_path():
    # day 2 solved warm after a day 1 without A, warm after a day 1 without B, and cold:
    # without the tie-break the warm solves ran A (A-C 100 MW), the cold ones B (A-C
    # 50 MW), so the check's allowance depended on the path
    paths = [_day2_flows(off, warm) for off in ("gas A", "gas B") for warm in (True, False)]
    for f in paths[1:]:
        np.testing.assert_allclose(f, paths[0], atol=1e-6)
    # the order is the names': gas A (rank 0) runs all 150 MW, so A-C carries 2/3 of it
    assert paths[0][:, 1] == pytest.approx(np.full(24, 100.0))


@pytest.mark.slow  # four checks: runs in make test and CI, not in make test-fast
def test_check_figures_do_not_follow_the_solve_path():
    # the check with a 100 MW campus at C and line A-C limited to 90 MW: the allowance
    # (A-C's flow without the campus) and so the curtailment are the same warm and cold
    for off in ("gas A", "gas B"):
        out = []
        for warm in (True, False):
            gn = _twins(off)
            gn.network.lines.loc["AC", "s_nom"] = 90.0
            loads = pd.DataFrame({"ai C": 100.0}, index=gn.network.snapshots)
            fix_campuses(gn, loads, 5e6)
            agg = pd.DataFrame({"bus0": ["AB"], "bus1": ["C"], "s_nom": [1000.0],
                                "s_max_pu": [1.0]}, index=["AB - C"])
            coef, lim = cluster_groups(gn, {"A": "AB", "B": "AB", "C": "C"}, agg)
            chk = check_lines(gn, toy_data(), loads, coef, lim, threads=1, warm=warm)
            out.append((chk["final"].curtailed_mwh[2030], chk["final"].gen_krw[2030],
                        chk["base"].max_flow[2030]["AC"]))
        assert out[0] == pytest.approx(out[1], abs=1e-6)


def test_offsets_order_each_cost_level_below_the_gaps():
    cost = pd.Series({"b": 0.0, "a": 0.0, "h": 1000.0, "n1": 8000.0, "n2": 8000.0,
                      "n0": 8000.0})
    off = rank_offsets(cost)
    assert off.to_dict() == pytest.approx({"a": 0.0, "b": 10.0, "h": 0.0, "n0": 0.0,
                                           "n1": 10.0, "n2": 20.0})
    # 200 units at 0 KRW/MWh next to 1,000: the step shrinks to keep them under 100
    many = rank_offsets(pd.Series([0.0] * 200 + [1000.0], index=[f"s{i:03d}" for i in
                                                                  range(200)] + ["h"]))
    assert many.max() < 100.0 and many["s001"] == pytest.approx(0.5)


def _budget_twins(first_day_load_mw: float) -> GridNetwork:
    """The triangle with coal A and coal B (200 MW, 100 KRW/MWh, availability 0.5 under a
    daily energy budget: 2,400 MWh a day each, up to 200 MW an hour) and LNG at C (200
    KRW/MWh); load at C: ``first_day_load_mw`` flat on day 1, 150-350 MW on day 2. Both
    budgets bind, so only the hours in which A and B spend their energy are open."""
    n = _triangle(["coal", "lng", "shed", "AC"])
    n.add("Generator", ["coal A", "coal B"], bus=["A", "B"], carrier="coal", p_nom=200.0,
          marginal_cost=100.0, p_max_pu=0.5)
    n.add("Generator", "lng C", bus="C", carrier="lng", p_nom=1000.0, marginal_cost=200.0)
    n.add("Generator", [f"shed {b}" for b in "ABC"], bus=list("ABC"), carrier="shed",
          p_nom=1e4, marginal_cost=1e7)
    load = np.r_[np.full(24, first_day_load_mw),
                 250.0 + 100.0 * np.sin(np.arange(24) / 24 * 2 * np.pi)]
    n.add("Load", "load C", bus="C", p_set=pd.Series(load, index=n.snapshots))
    ts = TimeSlices(days=(0, 1), weights=(1.0, 1.0), method="toy")
    return GridNetwork(network=n, years=(2030,), slices=ts, snapshot_year=np.full(48, 2030),
                       snapshot_day=np.repeat(np.arange(2), 24),
                       bus_region={b: "Seoul" for b in "ABC"}, level="full", site_sink={})


def _budget_data() -> GridData:
    d = toy_data()
    carriers = d.carriers.copy()
    carriers["budget_max_pu"] = [1.0 if c == "coal" else None for c in carriers.index]
    return replace(d, carriers=carriers)


@pytest.mark.slow  # two WarmLPs: runs in make test and CI, not in make test-fast
def test_budget_bound_plants_do_not_trade_hours_with_the_solve_path():
    # each coal plant's day-2 energy is fixed by its budget; with offsets that are a unit's
    # part plus an hour's part, "A more at one hour and less at another, B the reverse"
    # costs nothing: the warm solve (after day 1) ran A 200 MW off the cold one's in some
    # hour and line A-C 164 MW apart (the Korean full year's coal did the same in GW)
    got = []
    for warm in (True, False):
        lp = WarmLP(_budget_twins(300.0), _budget_data(), np.arange(24), threads=1, warm=warm)
        lp.set_block(np.arange(24, 48))
        assert lp.solve()[0] == "optimal"
        gp, s = lp.sol("Generator-p"), lp.sol("Line-s")
        assert gp is not None and s is not None
        assert gp["coal A"].sum() == pytest.approx(2400.0)  # the budget binds
        got.append(np.r_[gp[["coal A", "coal B", "lng C"]].to_numpy().ravel(),
                         s[["AB", "AC", "BC"]].to_numpy().ravel()])
    np.testing.assert_allclose(got[0], got[1], atol=1e-6)


def _tie_costs(m: object, n: object, snaps: list[int]) -> pd.DataFrame:
    """The tie-break cost (LP units: million KRW per MW) of each generator (rows) and
    snapshot (columns) in LP ``m``, read off ``tie_break``'s expression."""
    from aifab.grid._stage2 import OBJ_SCALE

    expr = tie_break(m, n, snaps)
    lab = m.variables["Generator-p"].labels.transpose("name", "snapshot")  # type: ignore[attr-defined]
    coef = dict(zip(expr.vars.to_numpy().ravel().tolist(),
                    expr.coeffs.to_numpy().ravel().tolist(), strict=True))
    vals = np.vectorize(lambda v: coef.get(int(v), 0.0))(lab.to_numpy()) * OBJ_SCALE
    return pd.DataFrame(vals, index=[str(x) for x in lab.coords["name"].values],
                        columns=snaps)


@pytest.mark.slow  # one WarmLP of 300 units: runs in make test and CI, not in make test-fast
def test_tie_costs_tell_units_and_hours_apart_at_the_solvers_tolerance():
    # 300 solar units at 0 KRW/MWh below hydro at 1,000 (the full network has about 250):
    # a level's offsets stay under 100 KRW/MWh, so a step is 1/3 KRW/MWh (3.3e-7 in LP
    # units): 3 times HiGHS's default dual tolerance (1e-7), too close to tell apart.
    # The LP must resolve a hundredth of the smallest difference between two units of a
    # level in an hour, and every swap "A up at h1 and down at h2, B the reverse" (zero
    # for any unit part + hour part; with the jitter a random share of a step: the
    # smallest of these 276 is 8e-9, the median over 100 times the tolerance)
    import pypsa

    from aifab.grid._stage2 import WarmLP as _LP

    quiet_pypsa()
    n = pypsa.Network()
    n.set_snapshots(list(range(24)))
    n.snapshot_weightings.loc[:, :] = 1.0
    n.add("Carrier", ["solar", "hydro", "coal", "shed", "AC"], co2_emissions=0.0)
    n.add("Bus", ["A", "B"], carrier="AC")
    n.add("Line", "AB", bus0="A", bus1="B", x=0.1, s_nom=1000.0, carrier="AC")
    sol = [f"solar {i:03d}" for i in range(300)]
    n.add("Generator", sol, bus="A", carrier="solar", p_nom=1.0, marginal_cost=0.0)
    n.add("Generator", "hydro", bus="A", carrier="hydro", p_nom=100.0, marginal_cost=1000.0)
    n.add("Generator", ["coal 1", "coal 2"], bus="A", carrier="coal", p_nom=100.0,
          marginal_cost=100000.0)
    n.add("Generator", "shed A", bus="A", carrier="shed", p_nom=1e4, marginal_cost=1e7)
    n.add("Load", "load A", bus="A", p_set=100.0)
    lp = _LP(replace(_budget_twins(300.0), network=n), toy_data(), np.arange(24), threads=1)
    tol = max(_tol(lp.h), _tol(lp.bound.h))
    c = _tie_costs(lp.m, n, list(range(24)))
    level = np.sort(c.loc[sol].to_numpy(), axis=0)
    assert np.diff(level, axis=0).min() > 100 * tol
    a, b = c.loc["coal 1"].to_numpy(), c.loc["coal 2"].to_numpy()
    swap = (a[:, None] - a[None, :]) - (b[:, None] - b[None, :])
    assert np.abs(swap[~np.eye(24, dtype=bool)]).min() > tol
    assert np.median(np.abs(swap[~np.eye(24, dtype=bool)])) > 100 * tol
    # and the offsets keep every level below the next: solar under hydro, hydro under coal
    real = n.generators["marginal_cost"].reindex(c.index).to_numpy()[:, None] * 1e-6
    tot = c.to_numpy() + real
    assert tot[c.index.isin(sol)].max() < tot[list(c.index).index("hydro")].min()
    assert tot[list(c.index).index("hydro")].max() < tot[c.index.str.startswith("coal")].min()


def _tol(h: object) -> float:
    v = h.getOptionValue("dual_feasibility_tolerance")  # type: ignore[attr-defined]
    return float(v[1] if isinstance(v, tuple) else v)


def test_unit_offsets_are_not_a_unit_part_plus_an_hour_part():
    # two coal units and two hours: "coal 1 up at h1 and down at h2, coal 2 the reverse"
    # must cost something (it cost exactly 0 with rank + hour offsets), the order by name
    # must hold in every hour, and the offsets must be the same every day and every call
    cost = pd.Series({"coal 2": 1e5, "coal 1": 1e5, "lng": 1.6e5})
    off = unit_offsets(cost, list(range(48)))
    np.testing.assert_array_equal(off.to_numpy()[:, :24], off.to_numpy()[:, 24:])
    pd.testing.assert_frame_equal(off, unit_offsets(cost, list(range(48))))
    a, b = off.loc["coal 1"].to_numpy()[:24], off.loc["coal 2"].to_numpy()[:24]
    swap = (a[:, None] - a[None, :]) - (b[:, None] - b[None, :])
    assert np.abs(swap[~np.eye(24, dtype=bool)]).min() > 0.001  # KRW/MWh: 1e-9 in the LP
    assert (b - a).min() >= 5.0  # coal 1 first by name: at least half a 10 KRW/MWh step
    assert off.to_numpy().max() < 0.1 * 60000.0  # coal's offsets below 10 % of the gap
