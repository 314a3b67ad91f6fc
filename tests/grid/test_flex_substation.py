"""Flexible connections on a binding substation limit (issue 20, item 5): more GPUs connect,
curtailment stays within the offer, and no offer equals the firm case exactly."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from aifab.grid import solve_siting
from aifab.scenario._siting import FlexOffer, OwnerSiting

from .conftest import toy_data, toy_problem


def substation_toy():
    """Only the Seoul site (ramp 1,000 MW) on substation 1 (firm limit 100 MW), Seoul its
    province's only substation; Seoul demand 1,000 MW except 1,400 MW in 2 hours of the
    peak day (day 0). Regional headroom is slack (1,000 MW)."""
    data = toy_data(gangwon_site_mw=0.0, jeonnam_site_mw=0.0, seoul_site_mw=1000.0)
    d = np.ones(8760)
    d[18:20] = 1.4
    subs = pd.DataFrame([{"substation": 1, "region": "Seoul", "lon": 127.0, "lat": 37.5,
                          "voltage_kv": 345, "connection_point": True, "connect_mw": 100.0}]
                        ).set_index("substation", drop=False)
    sites = data.sites.copy()
    sites["substation"] = 1
    sites["connect_mw"] = 100.0
    return replace(data, profiles=pd.DataFrame({"demand": d, "solar": 0.0, "wind": 0.0}),
                   substations=subs, sites=sites)


def problem(depth: float, hours_share: float):
    p = toy_problem(200.0)
    o = p.owners[0]
    siting = OwnerSiting(flexibility=FlexOffer(max_shed_share=depth,
                                               max_hours_share=hours_share))
    return replace(p, owners=(replace(o, siting=siting),),
                   options=p.options.model_copy(update={"hours": 48, "network": "zonal"}))


def _served(r):
    return float(r.placements["mw"].sum())


@pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast
def test_flexible_connection_beyond_a_firm_substation_limit():
    # Firm: the substation takes 100 MW; 100 MW IT (100,000 GPUs) wait. Shedding 25 %, the
    # firm part 0.75 L <= 100 gives L = 133.3 MW; in the 2 peak hours the load must fall to
    # 100 MW (33.3 MW curtailed, 25 % of L), in the other hours the substation's demand is
    # 400 MW below its peak. 2 h x 33.3 = 66.7 MWh <= 22 h x 0.25 x 133.3 (the offer).
    data = substation_toy()
    firm = solve_siting(problem(0.25, 0.0), data, calibrate_base=False)
    assert _served(firm) == pytest.approx(100.0)
    assert firm.unpowered_gpus_by_year == {2030: 100_000}
    r = solve_siting(problem(0.25, 0.0025), data, calibrate_base=False)
    assert _served(r) == pytest.approx(400.0 / 3, abs=0.006)  # placements round to 0.01 MW
    f = r.flexibility
    assert f["connected_gain_by_year"] == {2030: 33_333}
    assert f["curtailed_hours"][2030] == pytest.approx(2.0)
    assert f["curtailed_mwh"][2030] == pytest.approx(2 * 100.0 / 3, abs=0.002)  # 0.001 MWh
    by = f["by_campus"].iloc[0]
    load = r.site_capacity_mw[("S-Seoul", 2030)]  # unrounded MW
    assert by["max_curtailed_mw"] <= 0.25 * load + 1e-3  # depth within the offer (0.001 MW)
    assert by["curtailed_mwh"] <= 0.25 * 0.0025 * 8760 * load + 1e-3  # energy too


@pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast
def test_no_offer_equals_the_firm_case_exactly():
    data = substation_toy()
    p = toy_problem(200.0)
    p = replace(p, options=p.options.model_copy(update={"hours": 48, "network": "zonal"}))
    a = solve_siting(p, data, calibrate_base=False)
    b = solve_siting(problem(0.25, 0.0), data, calibrate_base=False)
    pd.testing.assert_frame_equal(a.placements, b.placements)
    assert a.objective_krw == b.objective_krw
    assert not b.flexibility
