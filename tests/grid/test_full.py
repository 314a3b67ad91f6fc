"""The bus-level network (--network full): same demand and plants as the zonal one."""

from __future__ import annotations

import pytest

from aifab.grid import build_network, load_grid_data
from aifab.grid._full import build_full_network


@pytest.mark.slow
def test_full_network_conserves_demand_and_plants():
    d = load_grid_data()
    z = build_network(d, [2026], hours=24).network
    gn = build_full_network(d, [2026], hours=24)
    n = gn.network
    assert gn.level == "full" and len(n.buses) > 400 and len(n.lines) > 700
    assert n.loads_t.p_set.sum().sum() == pytest.approx(z.loads_t.p_set.sum().sum())
    real = ~n.generators["carrier"].isin(["shed", "ai"])
    zreal = ~z.generators["carrier"].isin(["shed", "ai"])
    assert n.generators.loc[real, "p_nom"].sum() == pytest.approx(
        z.generators.loc[zreal, "p_nom"].sum())
    # every bus lies in the province it is labelled with; every campus draws in its region
    for site, sink in gn.site_sink.items():
        bus = sink[3:]
        assert gn.bus_region[bus] == d.sites.at[site, "region"]
    # lines carry x > 0 and a limit of rating x N-1 factor
    assert (n.lines["x"] > 0).all() and (n.lines["s_nom"] > 0).all()
