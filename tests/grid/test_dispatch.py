"""Dispatch-only runs agree with a plain PyPSA ``optimize()`` of the same network."""

from __future__ import annotations

import pandas as pd
import pytest

from aifab.grid import OwnerPrefs, SitingProblem, build_network, load_grid_data, solve_siting
from aifab.scenario._siting import OwnerSiting, SitingOptions

pytestmark = pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast


@pytest.fixture(scope="module")
def korea():
    return load_grid_data()


def test_forced_placement_matches_plain_pypsa(korea):
    # One owner, only Ulsan allowed, 32 MW IT = 40 MW facility at Ulsan Mipo (PUE 1.25):
    # the siting model's dispatch must equal PyPSA's own optimum with a fixed 40 MW load.
    demand = pd.DataFrame([{"owner": "SK", "year": 2027, "accelerators": 20000, "it_mw": 32.0}])
    opts = SitingOptions(hours=24, mip_rel_gap=1e-9, allow_expansions=False, network="zonal")
    prob = SitingProblem(demand=demand, owners=(OwnerPrefs(
        "SK", "Ulsan", OwnerSiting(allowed_regions=["Ulsan"], allow_shortfall=False)),),
        options=opts, load_factor=1.0)
    r = solve_siting(prob, korea)
    assert r.placements[["site", "mw"]].to_dict("records") == [{"site": "Ulsan Mipo",
                                                                "mw": 40.0}]
    gn = build_network(korea, [2027], slices=None, hours=24,
                       ai_loads_mw={("Ulsan", 2027): 40.0})
    n = gn.network
    _, cond = n.optimize(solver_name="highs", include_objective_constant=False,
                              progress=False, log_to_console=False)
    assert cond == "optimal"
    build = float(r.annual_cost.iloc[0]["site_build_krw"])
    assert r.objective_krw - build == pytest.approx(float(n.objective), rel=1e-7)
    assert float(r.annual_cost.iloc[0]["generation_krw"]) == pytest.approx(
        float((n.generators_t.p.mul(n.snapshot_weightings["objective"], axis=0)
               * n.generators["marginal_cost"]).drop(
            columns=[c for c in n.generators.index if c.startswith("shed")]).sum().sum()),
        rel=1e-6)


def test_network_size_and_balance(korea):
    gn = build_network(korea, [2026, 2027], hours=48)
    n = gn.network
    assert len(n.buses) == 17
    assert len(n.snapshots) == 2 * 48
    w = n.snapshot_weightings["objective"]
    assert w.iloc[:48].sum() == pytest.approx(8760)
    _, cond = n.optimize(solver_name="highs", include_objective_constant=False,
                              progress=False, log_to_console=False)
    assert cond == "optimal"
