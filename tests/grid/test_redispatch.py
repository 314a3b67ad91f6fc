"""The siting run's dispatch figures come from the fixed-siting re-dispatch
(grid._redispatch), so the corridor loadings no longer follow the MIP's solve path.

The fixture: Seoul (1,000 MW load, the campus sites), Gangwon and Jeonnam each with a
1,000 MW LNG plant at one marginal cost, and three zonal corridors in a triangle (G-S,
J-S, G-J, 800 MW each; a transport model). Which plant runs and how much goes round the
triangle cost the same, so the MIP incumbent's flows are one of many: solved with HiGHS's
defaults, G-S carries 33.8 % in the peak hour; with the primal simplex and no presolve,
100 % (same placements, same cost)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import linopy
import numpy as np
import pandas as pd
import pytest

from aifab.grid import GridData, SiteResult, SitingResult, solve_siting
from aifab.grid._redispatch import GAP_SHARE, SOURCE_LP, link_weights
from aifab.grid._tiebreak import JITTER, generator_offsets, jitter

from .conftest import toy_data, toy_problem

OTHER_PATH = {"simplex_strategy": 4, "presolve": "off"}  # HiGHS: primal simplex, no presolve


def triangle() -> GridData:
    d = toy_data()
    gens = pd.DataFrame([{"region": r, "carrier": "lng", "name": f"lng {r}",
                          "p_nom_mw": 1000.0, "from_year": None, "to_year": None,
                          "source": "toy"} for r in ("Gangwon", "Jeonnam")])
    cor = pd.DataFrame([{"name": n, "bus0": a, "bus1": b, "p_nom_mw": 800.0, "length_km": km,
                         "expandable": False, "capital_cost_krw": None,
                         "earliest_year": None, "source": "toy"}
                        for n, a, b, km in (("G-S", "Gangwon", "Seoul", 150.0),
                                            ("J-S", "Jeonnam", "Seoul", 300.0),
                                            ("G-J", "Gangwon", "Jeonnam", 250.0))])
    return replace(d, generators=gens, corridors=cor)


def _solve(path: dict[str, Any], redispatch: bool,
           monkeypatch: pytest.MonkeyPatch) -> SitingResult:
    """Solve the fixture with every HiGHS run given the options ``path``."""
    solve = linopy.Model.solve

    def with_path(self: Any, *args: Any, **kw: Any) -> Any:
        return solve(self, *args, **{**kw, **path})

    with monkeypatch.context() as mp:
        mp.setattr(linopy.Model, "solve", with_path)
        return solve_siting(toy_problem(150.0), triangle(), calibrate_base=False,
                            redispatch=redispatch)


def _loadings(r: SitingResult) -> pd.DataFrame:
    return r.corridors.set_index("name")[["max_loading_pct_2030", "max_loading_pct"]]


@pytest.mark.slow  # two toy siting solves (~8-10 s)
def test_loadings_are_the_same_on_two_solve_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    a = _solve({}, True, monkeypatch)
    b = _solve(OTHER_PATH, True, monkeypatch)
    pd.testing.assert_frame_equal(a.placements, b.placements)  # the same siting
    pd.testing.assert_frame_equal(_loadings(a), _loadings(b))
    pd.testing.assert_frame_equal(a.regions, b.regions, atol=1e-6)
    assert a.annual_cost["generation_krw"].to_numpy() == pytest.approx(
        b.annual_cost["generation_krw"].to_numpy(), rel=1e-9)
    assert a.dispatch["source"] == b.dispatch["source"] == SOURCE_LP
    # no flow round the loop: the least MW-km among equal costs; the plant first by name
    # (Gangwon) runs first, so G-S is full and Jeonnam's 270 MW go J-S
    s = _loadings(a)["max_loading_pct"]
    assert s["G-S"] == 100.0
    assert s["J-S"] == pytest.approx(270 / 800 * 100, abs=0.05)
    assert s["G-J"] == pytest.approx(120 / 800 * 100, abs=0.05)
    # the document names the source, and reads back
    doc = SiteResult.from_siting("toy", a)
    assert doc.dispatch is not None and doc.dispatch.source == SOURCE_LP
    assert doc.dispatch.status == "optimal"
    assert SiteResult.from_dict(doc.to_dict()).dispatch == doc.dispatch
    assert doc.to_siting().dispatch["source"] == SOURCE_LP


@pytest.mark.slow
def test_the_incumbents_loadings_follow_the_solve_path(monkeypatch: pytest.MonkeyPatch,
                                                       ) -> None:
    """Without the re-dispatch (the MIP incumbent's flows, as before), the same two paths
    give the same siting and cost but different loadings: the fixture tells them apart."""
    a = _solve({}, False, monkeypatch)
    b = _solve(OTHER_PATH, False, monkeypatch)
    pd.testing.assert_frame_equal(a.placements, b.placements)
    assert a.annual_cost["generation_krw"].sum() == pytest.approx(
        b.annual_cost["generation_krw"].sum(), rel=1e-9)
    assert not _loadings(a).equals(_loadings(b))
    assert not a.dispatch and not b.dispatch


def test_link_weights_never_overturn_a_cost_order() -> None:
    import pypsa

    n = pypsa.Network()
    n.add("Bus", list("ABC"))
    n.add("Link", ["AB", "BC", "CA", "X"], bus0=list("ABCA"), bus1=list("BCAB"),
          length=[100.0, 300.0, 0.0, 50.0])
    n.add("Generator", ["g1", "g2", "g3", "ai A"], bus="A", carrier=["a", "b", "c", "ai"],
          marginal_cost=[0.0, 1000.0, 1500.0, 0.0])
    w = link_weights(n, ["AB", "BC", "CA", "X"])
    assert w["CA"] == pytest.approx(w["AB"])  # no length: the median (100 km)
    assert w.sum() < GAP_SHARE * 500.0  # a path through every link < 10 % of 1000 -> 1500
    assert w["BC"] / w["X"] == pytest.approx(6.0)
    off = generator_offsets(n, [0, 5], skip_carriers=("ai",))
    assert np.all(off.loc["ai A"].to_numpy() == 0.0)
    # g1 alone at 0 KRW/MWh once the sink is left out: rank 0, a step of 10 (not shrunk
    # by the sink), so its hour term plus up to half a step of jitter
    jit = JITTER * 10.0 * jitter(["g1"])[0, [0, 5]]
    assert off.loc["g1"].to_numpy() == pytest.approx(np.array([0.0, 5.0]) + jit, abs=1e-12)
    assert off.loc["g1", 5] - off.loc["g1", 0] != pytest.approx(5.0)  # jittered by hour
