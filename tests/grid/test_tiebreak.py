"""Equal-cost dispatches are ordered (grid._tiebreak): the flows, and with them the
full-network check's allowance, no longer follow the solve path (warm from the day
before's basis or cold from scratch)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aifab.grid import GridNetwork, TimeSlices
from aifab.grid._fullcheck import check_lines, cluster_groups
from aifab.grid._network import quiet_pypsa
from aifab.grid._stage2 import WarmLP, fix_campuses
from aifab.grid._tiebreak import rank_offsets

from .conftest import toy_data


def _twins(off: str) -> GridNetwork:
    """A, B, C in a triangle (equal reactances). Plants at A and B at the same 100 KRW/MWh,
    200 MW each; 150 MW of load at C and a campus sink at C. On day 1 the plant ``off``
    is unavailable, on day 2 both are: day 2's dispatch (and every flow) is then one of
    many equal-cost answers."""
    import pypsa

    quiet_pypsa()
    n = pypsa.Network()
    n.set_snapshots(list(range(48)))
    n.snapshot_weightings.loc[:, :] = 1.0
    n.add("Carrier", ["gas", "shed", "ai", "AC"], co2_emissions=0.0)
    n.add("Bus", list("ABC"), carrier="AC")
    n.add("Line", ["AB", "AC", "BC"], bus0=["A", "A", "B"], bus1=["B", "C", "C"], x=0.1,
          s_nom=1000.0, carrier="AC")
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
