"""The clustered network (the default): same demand and plants as the zonal one, lines
with reactance and N-1 limits, plants at their own cluster, committed links by year."""

from __future__ import annotations

import numpy as np
import pytest

from aifab.grid import build_network, load_grid_data
from aifab.grid._cluster import build_clustered_network

pytestmark = pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast


@pytest.fixture(scope="module")
def nets():
    d = load_grid_data()
    z = build_network(d, [2026, 2027], hours=24).network
    gn = build_clustered_network(d, [2026, 2027], hours=24)
    return d, z, gn


def test_clustered_network_conserves_demand_and_plants(nets):
    d, z, gn = nets
    n = gn.network
    assert gn.level == "clustered" and len(n.buses) == 40 and len(n.lines) > 40
    assert n.loads_t.p_set.sum().sum() == pytest.approx(z.loads_t.p_set.sum().sum())
    for c in ("nuclear", "coal", "lng", "solar"):
        assert n.generators.loc[n.generators["carrier"] == c, "p_nom"].sum() == pytest.approx(
            z.generators.loc[z.generators["carrier"] == c, "p_nom"].sum())
    assert (n.lines["x"] > 0).all()
    assert n.lines["s_max_pu"].between(0.5, 0.7).all()
    for site, sink in gn.site_sink.items():
        assert gn.bus_region[sink[3:]] == d.sites.at[site, "region"]
    # only HVDC links (and investment options): AC corridors are lines now
    assert set(n.links.index) == {k for k, kind, exp in zip(
        d.corridors["name"], d.corridors["kind"], d.corridors["expandable"], strict=True)
        if kind == "hvdc" or exp}


def test_plants_sit_in_their_own_cluster(nets):
    _, _, gn = nets
    g = gn.network.generators
    hanul = g.index[g.index.str.startswith("Hanul/Shin-Hanul @")]
    wolsong = g.index[g.index.str.startswith("Wolsong/Shin-Wolsong @")]
    assert len(hanul) == 1 and len(wolsong) == 1
    assert g.at[hanul[0], "bus"] != g.at[wolsong[0], "bus"]
    assert g.at[hanul[0], "bus"] == gn.network.links.at["EastCoast-Singapyeong HVDC", "bus0"]


def test_nuclear_must_run_and_committed_link_by_year(nets):
    _, _, gn = nets
    n = gn.network
    nuc = n.generators.index[n.generators["carrier"] == "nuclear"]
    pmin = n.generators_t.p_min_pu[nuc]
    pmax = n.generators_t.p_max_pu[nuc]
    assert (pmin.to_numpy() == pytest.approx(pmax.to_numpy()))  # runs flat at availability
    on = n.links_t.p_max_pu["EastCoast-Singapyeong HVDC"].to_numpy()
    assert np.all(on[gn.snapshot_year == 2026] == 0) and np.all(on[gn.snapshot_year == 2027] == 1)


def test_committed_delay_knob():
    d = load_grid_data()
    gn = build_network(d, [2027, 2028], hours=24, committed_delay_years=1)
    on = gn.network.links_t.p_max_pu["EastCoast-Singapyeong HVDC"].to_numpy()
    assert np.all(on[gn.snapshot_year == 2027] == 0) and np.all(on[gn.snapshot_year == 2028] == 1)
