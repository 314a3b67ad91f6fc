"""The bus-level network (``--network full``): one bus per OSM substation, every AC line
with its own reactance (linearised power flow), HVDC links between regional hubs.

Placement of demand and plants inside a region is an estimate: each region's demand is
split equally over its substations, each plant of the regional table over the region's
345/765 kV substations (the whole region's if it has none). Campuses draw at their
substation. Only the part of the network connected to the 765/345 kV backbone (and Jeju
through its HVDC) is kept; isolated fragments of the OSM data are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from aifab.grid._data import GridData, fnum
from aifab.grid._lines import N1_FACTOR, line_x_pu, load_line_types, load_lines
from aifab.grid._network import (
    STORAGE_MAX_HOURS,
    STORAGE_ROUND_TRIP,
    GridNetwork,
    build_network,
)

AI_SINK_MW = 1.0e6  # an upper bound only: the siting model ties the sink to placed campuses


def _components(nodes: list[int], edges: list[tuple[int, int]]) -> dict[int, int]:
    parent = {v: v for v in nodes}

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {v: find(v) for v in nodes}


def backbone(data: GridData) -> tuple[list[int], pd.DataFrame, dict[str, int]]:
    """Substations connected to the 765/345 kV backbone (or through HVDC), the AC lines in
    service between them, and each province's main (highest-voltage) substation."""
    subs = data.substations
    lines = load_lines()
    ac = lines[~lines["dc"].astype(bool) & ~lines["under_construction"].astype(bool)]
    hubs = {}
    for r, g in subs.groupby("region"):
        g = g.sort_values("voltage_kv", ascending=False, kind="stable")
        hubs[str(r)] = int(g.index[0])
    edges = [(int(a), int(b)) for a, b in zip(ac["substation0"], ac["substation1"],
                                               strict=True)]
    edges += [(hubs[str(k["bus0"])], hubs[str(k["bus1"])])
              for _, k in data.corridors.iterrows() if str(k.get("kind")) == "hvdc"]
    comp = _components([int(s) for s in subs.index], edges)
    size = pd.Series(list(comp.values())).value_counts()
    keep_roots = {comp[h] for h in hubs.values() if size[comp[h]] >= 2}
    kept = [int(s) for s in subs.index if comp[int(s)] in keep_roots]
    kept_set = set(kept)
    ok = ac["substation0"].isin(kept_set) & ac["substation1"].isin(kept_set)
    return kept, ac[ok], hubs


def physical_link(data: GridData, name: str) -> bool:
    """True for an HVDC link or an expandable corridor (an investment option): the links a
    network with AC lines keeps; other zonal corridors are its lines."""
    k = data.corridors.set_index("name").loc[name]
    return str(k.get("kind")) == "hvdc" or bool(k["expandable"])


def build_full_network(data: GridData, years: Sequence[int], *, hours: int | None = None,
                       demand_growth_per_year: float = 0.01,
                       carbon_price_krw_per_t: float = 0.0,
                       candidate_expansions: bool = False,
                       committed_delay_years: int = 0,
                       built_expansions: dict[str, int] | None = None) -> GridNetwork:
    """Return the bus-level network; same time structure and components as the zonal one
    (``built_expansions``: planned corridors in service from the given year)."""
    zonal = build_network(data, years, hours=hours,
                          demand_growth_per_year=demand_growth_per_year,
                          carbon_price_krw_per_t=carbon_price_krw_per_t,
                          candidate_expansions=candidate_expansions,
                          committed_delay_years=committed_delay_years,
                          built_expansions=built_expansions)
    z: Any = zonal.network
    subs = data.substations
    kept, al, hubs = backbone(data)
    kept_set = set(kept)
    types = load_line_types()

    import pypsa

    n = pypsa.Network()
    n.set_snapshots(list(z.snapshots))
    n.snapshot_weightings = z.snapshot_weightings.copy()
    for c in z.carriers.index:
        n.add("Carrier", c, co2_emissions=fnum(z.carriers.at[c, "co2_emissions"]))
    bus_region = {f"sub {s}": str(subs.at[s, "region"]) for s in kept}
    names = list(bus_region)
    n.add("Bus", names, x=[fnum(subs.at[s, "lon"]) for s in kept],
          y=[fnum(subs.at[s, "lat"]) for s in kept], carrier="AC")
    by_region: dict[str, list[str]] = {}
    for b, r in bus_region.items():
        by_region.setdefault(r, []).append(b)
    hv: dict[str, list[str]] = {
        r: [b for b in bs if fnum(subs.at[int(b[4:]), "voltage_kv"]) >= 345] or bs
        for r, bs in by_region.items()}

    x = np.array([line_x_pu(types[str(k)], float(le), int(c)) for k, le, c in
                  zip(al["kind"], al["length_km"], al["circuits"], strict=True)])
    rx = np.array([types[str(k)].r_ohm_per_km / max(types[str(k)].x_ohm_per_km, 1e-9)
                   for k in al["kind"]])
    n.add("Line", al["line_id"].astype(str).tolist(),
          bus0=[f"sub {a}" for a in al["substation0"]],
          bus1=[f"sub {b}" for b in al["substation1"]], carrier="AC", x=x, r=x * rx,
          s_nom=al["rating_mw"].to_numpy(float) * N1_FACTOR,
          length=al["length_km"].to_numpy(float))
    for name, k in z.links.iterrows():
        if not physical_link(data, str(name)):
            continue  # an AC corridor: its lines are in the network
        n.add("Link", name, bus0=f"sub {hubs[k['bus0']]}", bus1=f"sub {hubs[k['bus1']]}",
              carrier=k["carrier"], p_nom=fnum(k["p_nom"]), efficiency=1.0,
              p_max_pu=z.links_t.p_max_pu[name], p_min_pu=z.links_t.p_min_pu[name],
              length=fnum(k["length"]))

    for name, ld in z.loads.iterrows():
        bs = by_region[str(ld["bus"])]
        ps = pd.DataFrame({f"{name} @{b}": z.loads_t.p_set[name] / len(bs) for b in bs})
        n.add("Load", list(ps.columns), bus=bs, p_set=ps)
    for name, g in z.generators.iterrows():
        r = str(g["bus"])
        pmax = z.generators_t.p_max_pu[name] if name in z.generators_t.p_max_pu else \
            pd.Series(fnum(g["p_max_pu"]), index=n.snapshots)
        pmin = z.generators_t.p_min_pu[name] if name in z.generators_t.p_min_pu else \
            pd.Series(fnum(g["p_min_pu"]), index=n.snapshots)
        bs = by_region[r] if g["carrier"] == "shed" else hv[r]
        gn_names = [f"{name} @{b}" for b in bs]
        n.add("Generator", gn_names, bus=bs, carrier=g["carrier"],
              p_nom=fnum(g["p_nom"]) / len(bs), marginal_cost=fnum(g["marginal_cost"]),
              p_max_pu=pd.DataFrame({c: pmax for c in gn_names}),
              p_min_pu=pd.DataFrame({c: pmin for c in gn_names}))
    for name, su in z.storage_units.iterrows():
        b = hv[str(su["bus"])][0]
        ru = float(np.sqrt(STORAGE_ROUND_TRIP))
        n.add("StorageUnit", name, bus=b, carrier=su["carrier"], p_nom=fnum(su["p_nom"]),
              max_hours=STORAGE_MAX_HOURS, efficiency_store=ru, efficiency_dispatch=ru,
              cyclic_state_of_charge=True, marginal_cost=fnum(su["marginal_cost"]))
    sink: dict[str, str] = {}
    for site, srow in data.sites.iterrows():
        sub = int(srow["substation"])
        if sub not in kept_set:
            sub = int(hubs[str(srow["region"])])
        sink[str(site)] = f"ai sub {sub}"
    sinks = sorted(set(sink.values()))
    n.add("Generator", sinks, bus=[x[3:] for x in sinks], carrier="ai", p_nom=AI_SINK_MW,
          p_max_pu=0.0, p_min_pu=-1.0, marginal_cost=0.0)
    return GridNetwork(network=n, years=zonal.years, slices=zonal.slices,
                       snapshot_year=zonal.snapshot_year, snapshot_day=zonal.snapshot_day,
                       bus_region=bus_region, level="full", site_sink=sink)
