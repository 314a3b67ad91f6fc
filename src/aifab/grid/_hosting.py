"""Hosting capacity per candidate substation: the new load the network can take there.

For each year, on the siting network (clustered by default, representative days with the
peak day), with no campuses and ordinary load served as in the base dispatch (load shed
held to the base case's):

- firm (``firm_mw``): the largest constant load L at the site's bus, every modelled hour
  (one LP: maximise L);
- hourly (``h_t``): the most extra load at the bus in each hour (one LP maximising the
  hours' sum; each hour's value is feasible together with the others);
- curtailable for N hours a year (``flex_mw``): the largest L such that the hours with
  ``h_t < L`` weigh at most N hours in the year: a load that gives way then is connected
  at L. Storage couples the hours of a day, so this is an estimate (the sum LP may trade
  one hour's room for another's).

Grid limits only: a site's own ramp and its substation's connection limit are reported
beside (``connect_mw``), not applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from aifab.errors import BadInput
from aifab.grid._data import GridData, fnum
from aifab.grid._network import GridNetwork, quiet_pypsa
from aifab.grid._solver import solve_dispatch, solve_highs

HC_SINK_MW = 1.0e5  # bound on the test load (MW): far above any bus's hosting capacity


def _network(data: GridData, year: int, hours: int, network: str, n_clusters: int,
             busmap: Any) -> GridNetwork:
    if network == "clustered" and not data.substations.empty:
        from aifab.grid._cluster import build_clustered_network

        return build_clustered_network(data, [year], hours=hours, n_clusters=n_clusters,
                                       busmap=busmap)
    from aifab.grid._network import build_network

    return build_network(data, [year], hours=hours, ai_regions=sorted(set(data.sites["region"])))


def hosting_capacity(data: GridData, years: Sequence[int], *, hours: int = 96,
                     flex_hours: Sequence[float] = (22.0, 44.0, 88.0),
                     network: str = "clustered", n_clusters: int = 40,
                     busmap: Any = None) -> pd.DataFrame:
    """Rows (site, bus, year, firm_mw, flex_mw_<N>h..., connect_mw, then the map columns
    region, lat, lon, substation, substation_lat/lon, bus_lat/lon) for every candidate site.

    ``flex_hours``: curtailment budgets (hours a year; 22/44/88 h are 0.25/0.5/1 %).
    """
    for h in flex_hours:
        if not 0 <= h <= 8760:
            raise BadInput(f"{h} is not between 0 and 8760 hours", where="hosting.flex_hours")
    quiet_pypsa()
    rows = []
    for year in years:
        gn = _network(data, int(year), hours, network, n_clusters, busmap)
        n: Any = gn.network
        sink = gn.site_sink or {str(s): f"ai {data.sites.at[s, 'region']!s}"
                                for s in data.sites.index}
        w = n.snapshot_weightings["objective"].to_numpy(float)
        is_ai = n.generators["carrier"] == "ai"
        n.generators.loc[is_ai, "p_nom"] = HC_SINK_MW
        m, base = solve_dispatch(gn, data)
        if not base.has_solution:
            raise BadInput(f"the base dispatch of {year} has no solution ({base.termination})",
                           where="hosting")
        gp = m.variables["Generator-p"]
        shed = [g for g in n.generators.index if n.generators.at[g, "carrier"] == "shed"]
        gp.upper.loc[{"name": shed}] = gp.solution.sel(name=shed) + 1e-3
        gp.update(upper=gp.upper)
        ai = sorted(set(sink.values()))
        per_bus: dict[str, tuple[float, np.ndarray]] = {}
        for a in ai:
            per_bus[a] = _bus_hosting(m, gp, ai, a)
        for site in data.sites.index:
            firm, h_t = per_bus[sink[str(site)]]
            row: dict[str, Any] = {"site": str(site), "bus": sink[str(site)][3:],
                                   "year": int(year), "firm_mw": round(firm, 1)}
            for hb in flex_hours:
                row[f"flex_mw_{hb:g}h"] = round(max(firm, curtailable_mw(h_t, w, hb)), 1)
            row["connect_mw"] = fnum(data.sites.at[site, "connect_mw"]) \
                if "connect_mw" in data.sites.columns else float("nan")
            row.update(_where(data, n, str(site), row["bus"]))
            rows.append(row)
    out = pd.DataFrame(rows)
    check_hosting(out)
    return out


def _where(data: GridData, n: Any, site: str, bus: str) -> dict[str, Any]:
    """Map columns (appended after ``connect_mw``): the site's region and coordinates, its
    substation (OSM id and coordinates, where the data have substations) and the network
    bus's coordinates."""
    s = data.sites.loc[site]
    out: dict[str, Any] = {"region": str(s["region"]), "lat": fnum(s["lat"]),
                           "lon": fnum(s["lon"])}
    sub = s.get("substation") if "substation" in data.sites.columns else None
    if sub is not None and not pd.isna(sub) and int(sub) in data.substations.index:
        k = data.substations.loc[int(sub)]
        out.update(substation=int(sub), substation_lat=fnum(k["lat"]),
                   substation_lon=fnum(k["lon"]))
    else:
        out.update(substation=None, substation_lat=float("nan"), substation_lon=float("nan"))
    if bus in n.buses.index:
        out.update(bus_lat=fnum(n.buses.at[bus, "y"]), bus_lon=fnum(n.buses.at[bus, "x"]))
    return out


def _bus_hosting(m: Any, gp: Any, ai: list[str], active: str) -> tuple[float, np.ndarray]:
    """Firm and hourly hosting (MW) at one AI sink's bus (others held at zero)."""
    lo = gp.lower.copy()
    up = gp.upper.copy()
    for a in ai:
        lo.loc[{"name": a}] = -HC_SINK_MW if a == active else 0.0
        up.loc[{"name": a}] = 0.0
    gp.update(lower=lo, upper=up)
    draw = -1 * gp.sel(name=active)
    firm_v = m.add_variables(lower=0, upper=HC_SINK_MW, name="HC-firm")
    m.add_constraints(draw - firm_v == 0, name="HC-constant")
    m.add_objective(-1 * firm_v, overwrite=True)
    info = solve_highs(m, objective_scale=1.0)
    firm = float(firm_v.solution) if info.has_solution else 0.0
    m.remove_constraints("HC-constant")
    m.remove_variables("HC-firm")
    m.add_objective(-1e-3 * draw.sum(), overwrite=True)
    info = solve_highs(m, objective_scale=1.0)
    h_t = (np.clip(-gp.solution.sel(name=active).to_numpy(), 0, None) if info.has_solution
           else np.zeros(len(gp.coords["snapshot"])))
    return firm, h_t


def curtailable_mw(h_t: np.ndarray, weights: np.ndarray, budget_h: float) -> float:
    """Largest L with the hours where ``h_t < L`` weighing at most ``budget_h`` (h/year)."""
    order = np.argsort(h_t)
    cum = np.cumsum(weights[order])
    # curtail the k lowest hours (weight cum[k-1] <= budget); L is then the (k+1)-th value
    k = int(np.searchsorted(cum, budget_h + 1e-9, side="right"))
    return float(h_t[order][min(k, len(order) - 1)])


def check_hosting(table: pd.DataFrame, source: str = "hosting") -> None:
    """A hosting table (computed or a user's) has no negative MW; exit 2 naming the field."""
    for col in [c for c in table.columns if c == "firm_mw" or c.startswith("flex_mw")]:
        bad = table[col] < -1e-6
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise BadInput(f"negative hosting capacity {float(table[col].iloc[i]):g} MW "
                           f"for site '{table['site'].iloc[i]}'", source=source,
                           where=f"row {i + 1}, column {col}")
