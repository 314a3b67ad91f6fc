"""Flexible campuses in siting: curtailment offers that buy connection before firm headroom.

Model (added only when some owner offers flexibility, so that without offers the siting
model is exactly today's):
- A region's ``new_load_headroom_mw`` is firm headroom at the region's peak demand. A
  flexible owner's blocks count against it only for their firm part (1 - max_shed_share).
- Hour by hour, every campus's load in the region, less curtailment, must fit the firm
  headroom plus the room the region's own demand leaves below its yearly peak (assumption:
  the network that serves the peak can serve the same total in any other hour).
- A site's substation limit (``connect_mw``) likewise applies to the firm part of its
  campuses; hour by hour, their load less curtailment must fit the limit plus the room the
  substation's share of regional demand (demand is spread equally over a province's
  substations, as in the network) leaves below its yearly peak.
- Curtailment c[o,s,t] <= max_shed_share x the campus's load, and its energy over the year
  (each modelled hour weighted by the hours it stands for) <= max_shed_share x
  max_hours_share x 8,760 x the campus's mean load: the offer read as an energy budget of
  that many hours at full depth. An LP: no binary per hour (shallower curtailment may
  spread over more hours; ``curtailed_hours`` reports them). With representative days, only
  hours whose weight fits the hour budget can be curtailed (e.g. the peak day, weight 1).
- Curtailed energy costs the compute it loses: facility MWh / PUE x GPUs per IT MW x the
  value of a GPU-hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from aifab.grid._data import GridData, fnum
from aifab.grid._network import GridNetwork

HOURS_PER_YEAR = 8760


@dataclass(frozen=True)
class FlexSpec:
    """Per owner: shed depth (share) and curtailment-hour budget (h/year)."""

    depth: dict[str, float]
    hours: dict[str, float]
    storage: dict[str, float]  # MW of storage per MW of campus
    storage_hours: dict[str, float]

    @property
    def active(self) -> bool:
        """True if any owner offers curtailment or has on-site storage."""
        return any((self.depth[o] > 0 and self.hours[o] > 0) or self.storage[o] > 0
                   for o in self.depth)

    def firm_share(self, owner: str) -> float:
        """Share of a block that needs firm headroom (what it cannot shed or cover)."""
        shed = self.depth[owner] if self.hours[owner] > 0 else 0.0
        return max(0.0, 1.0 - shed - self.storage[owner])


def flex_spec(problem: Any) -> FlexSpec:
    """Offers of every owner, with the global ``flex_share`` applied if set."""
    share = problem.options.flex_share
    depth, hours, sto, sto_h = {}, {}, {}, {}
    for o in problem.owners:
        f = o.siting.flexibility
        h = f.max_hours_share if share is None else share
        depth[o.name] = f.max_shed_share
        hours[o.name] = h * HOURS_PER_YEAR
        sto[o.name] = f.storage_mw_per_mw
        sto_h[o.name] = f.storage_hours
    return FlexSpec(depth=depth, hours=hours, storage=sto, storage_hours=sto_h)


def demand_margin(gn: GridNetwork, regions: list[str]) -> xr.DataArray:
    """MW by which each region's ordinary demand is below its yearly peak, per snapshot."""
    n: Any = gn.network
    p = n.loads_t.p_set
    bus = n.loads["bus"].reindex(p.columns)
    by_region = p.T.groupby(bus.map(gn.bus_region).to_numpy()).sum().T
    out = np.zeros((len(regions), len(p)))
    for i, r in enumerate(regions):
        if r not in by_region.columns:
            continue
        col = by_region[r].to_numpy(float)
        for y in gn.years:
            t = gn.snapshot_year == y
            out[i, t] = col[t].max() - col[t]
    return xr.DataArray(out, coords={"region": regions, "snapshot": n.snapshots},
                        dims=("region", "snapshot"))


def add_curtailment(m: Any, gn: GridNetwork, problem: Any, data: GridData,
                    allowed: pd.DataFrame, served: Any, spec: FlexSpec,
                    inc: xr.DataArray, rhead: xr.DataArray) -> Any:
    """Add curtailment (and storage) variables, limits and cost; return the relief they give
    the grid, owner x site x snapshot (facility MW: curtailment + discharge - charge)."""
    opt = problem.options
    owners = [o.name for o in problem.owners]
    sites = list(data.sites.index)
    years = problem.years()
    snaps = gn.network.snapshots
    lf = problem.hourly_load(snaps)
    w = gn.network.snapshot_weightings["objective"].to_numpy(float)
    pue = xr.DataArray(data.sites["pue"].to_numpy(float), coords={"site": sites}, dims="site")
    depth = xr.DataArray([spec.depth[o] if spec.hours[o] > 0 else 0.0 for o in owners],
                         coords={"owner": owners}, dims="owner")
    site_max = np.array([max(data.site_mw(s, y) for y in years) for s in sites])
    ok = allowed.loc[owners, sites].to_numpy() & (depth.to_numpy() > 0)[:, None]
    fits = np.array([[w <= spec.hours[o] + 1e-9 for _ in sites] for o in owners])  # o,s,t
    ub = (ok[:, :, None] & fits).astype(float)
    coords = {"owner": owners, "site": sites, "snapshot": snaps}
    dims = ("owner", "site", "snapshot")
    cap = ub * (depth.to_numpy()[:, None, None] * site_max[None, :, None])
    curt = m.add_variables(lower=0, upper=xr.DataArray(cap, coords=coords, dims=dims),
                           name="Flex-curtail")
    margin = demand_margin(gn, list(inc.coords["region"].values))
    wt = xr.DataArray(w, coords={"snapshot": snaps}, dims="snapshot")
    budget = xr.DataArray([spec.hours[o] for o in owners], coords={"owner": owners},
                          dims="owner")
    mean = problem.mean_load()
    hourly: list[tuple[int, np.ndarray, Any]] = []
    for y in years:
        t = np.flatnonzero(gn.snapshot_year == y)
        c_y = curt.isel(snapshot=t)
        load = served.sel(year=y, drop=True) * pue * (
            lf.isel(snapshot=t) if isinstance(lf, xr.DataArray) else lf)
        m.add_constraints(c_y - depth * load <= 0, name=f"Flex-depth-{y}")
        m.add_constraints((c_y * wt.isel(snapshot=t)).sum("snapshot")
                          - depth * budget * served.sel(year=y, drop=True) * pue * mean <= 0,
                          name=f"Flex-energy-{y}")
        hourly.append((y, t, load))
    relief = curt + 0
    if any(spec.storage[o] > 0 for o in owners):
        relief = relief + _add_storage(m, gn, problem, data, allowed, served, spec, pue)
    need = problem.need()
    gpm = np.array([[fnum(need.at[(o, y), "accelerators"]) / fnum(need.at[(o, y), "it_mw"])
                     if fnum(need.at[(o, y), "it_mw"]) > 0 else 0.0 for y in years]
                    for o in owners])
    year_of = pd.Series(gn.snapshot_year)
    per_t = np.stack([gpm[:, years.index(int(y))] for y in year_of], axis=1)  # owner x snap
    value = xr.DataArray(per_t * w[None, :] * opt.flex_value_krw_per_gpu_h,
                         coords={"owner": owners, "snapshot": snaps}, dims=("owner", "snapshot"))
    cost = (curt * (value / pue)).sum()
    m.add_objective(m.objective.expression + cost, overwrite=True)
    for y, t, load in hourly:
        m.add_constraints((load * inc).sum(["owner", "site"])
                          - (relief.isel(snapshot=t) * inc).sum(["owner", "site"])
                          <= rhead + margin.isel(snapshot=t), name=f"Flex-region-hourly-{y}")
    _substation_hourly(m, gn, data, relief, hourly)
    return relief


def _substation_hourly(m: Any, gn: GridNetwork, data: GridData, relief: Any,
                       hourly: list[tuple[int, np.ndarray, Any]]) -> None:
    """Each substation's campuses, net of curtailment and storage, within its limit plus
    its share of the regional demand's room below peak, hour by hour."""
    sites_df = data.sites
    if "substation" not in sites_df.columns or data.substations.empty:
        return
    sites = list(sites_df.index)
    subs = sorted({int(x) for x in sites_df["substation"]})
    at = xr.DataArray((sites_df["substation"].to_numpy(int)[:, None]
                       == np.array(subs)[None, :]).astype(float),
                      coords={"site": sites, "substation": subs}, dims=("site", "substation"))
    conn = xr.DataArray([fnum(data.substations.at[k, "connect_mw"]) for k in subs],
                        coords={"substation": subs}, dims="substation")
    region = [str(data.substations.at[k, "region"]) for k in subs]
    count = data.substations.groupby("region").size()
    rm = demand_margin(gn, sorted(set(region)))
    share = np.array([1.0 / float(count[r]) for r in region])
    sm = xr.DataArray(rm.sel(region=region).to_numpy() * share[:, None],
                      coords={"substation": subs, "snapshot": rm.coords["snapshot"].values},
                      dims=("substation", "snapshot"))
    for y, t, load in hourly:
        net = ((load - relief.isel(snapshot=t)) * at).sum(["owner", "site"])
        m.add_constraints(net <= conn + sm.isel(snapshot=t), name=f"Flex-substation-hourly-{y}")


STORAGE_EFFICIENCY = 0.95
"""One-way efficiency of on-site batteries (about 0.9 round trip; assumed, Li-ion)."""


def _add_storage(m: Any, gn: GridNetwork, problem: Any, data: GridData,
                 allowed: pd.DataFrame, served: Any, spec: FlexSpec, pue: xr.DataArray) -> Any:
    """On-site storage per campus: discharge/charge (MW) that lower/raise its grid draw.

    Power <= storage_mw_per_mw x load; per modelled day, discharge <= storage_hours x power
    (one cycle a day) and discharge / eff <= charge x eff (the day ends where it began).
    The within-day order of charge and discharge is not tracked (an approximation that
    holds for one contiguous discharge block a day, as in peak shaving)."""
    owners = [o.name for o in problem.owners]
    sites = list(data.sites.index)
    snaps = gn.network.snapshots
    lf = problem.mean_load()  # storage is sized on the campus's mean draw
    share = xr.DataArray([spec.storage[o] for o in owners], coords={"owner": owners},
                         dims="owner")
    hours = xr.DataArray([spec.storage_hours[o] for o in owners], coords={"owner": owners},
                         dims="owner")
    site_max = np.array([max(data.site_mw(s, y) for y in problem.years()) for s in sites])
    ok = allowed.loc[owners, sites].to_numpy() & (share.to_numpy() > 0)[:, None]
    ub = (ok * share.to_numpy()[:, None] * site_max[None, :])[:, :, None] * np.ones(len(snaps))
    coords = {"owner": owners, "site": sites, "snapshot": snaps}
    dims = ("owner", "site", "snapshot")
    dis = m.add_variables(lower=0, upper=xr.DataArray(ub, coords=coords, dims=dims),
                          name="Flex-discharge")
    chg = m.add_variables(lower=0, upper=xr.DataArray(ub, coords=coords, dims=dims),
                          name="Flex-charge")
    day = xr.DataArray(np.asarray(snaps) // 24, coords={"snapshot": snaps}, dims="snapshot",
                       name="day")
    eff = STORAGE_EFFICIENCY
    m.add_constraints((dis / eff - chg * eff).groupby(day).sum() <= 0, name="Flex-storage-cycle")
    for y in problem.years():
        t = np.flatnonzero(gn.snapshot_year == y)
        power = share * served.sel(year=y, drop=True) * pue * lf
        m.add_constraints(dis.isel(snapshot=t) - power <= 0, name=f"Flex-storage-out-{y}")
        m.add_constraints(chg.isel(snapshot=t) - power <= 0, name=f"Flex-storage-in-{y}")
        days = day.isel(snapshot=t)
        m.add_constraints(dis.isel(snapshot=t).groupby(days).sum() - hours * power <= 0,
                          name=f"Flex-storage-energy-{y}")
    return dis - chg


def read_flexibility(m: Any, gn: GridNetwork, problem: Any, data: GridData) -> dict[str, Any]:
    """Curtailment per campus and year from the solved model: MWh, hours, GPU-hours lost."""
    if "Flex-curtail" not in m.variables:
        return {}
    dims = ("owner", "site", "snapshot")
    c = np.clip(m.variables["Flex-curtail"].solution.transpose(*dims).to_numpy(), 0, None)
    d = (np.clip(m.variables["Flex-discharge"].solution.transpose(*dims).to_numpy(), 0, None)
         if "Flex-discharge" in m.variables else np.zeros_like(c))
    owners = [o.name for o in problem.owners]
    sites = list(data.sites.index)
    w = gn.network.snapshot_weightings["objective"].to_numpy(float)
    need = problem.need()
    rows = []
    for y in problem.years():
        t = gn.snapshot_year == y
        for i, o in enumerate(owners):
            it = fnum(need.at[(o, y), "it_mw"])
            gpm = fnum(need.at[(o, y), "accelerators"]) / it if it > 0 else 0.0
            for j, s in enumerate(sites):
                mwh = float((c[i, j, t] * w[t]).sum())
                hours = float(((c[i, j, t] > 1e-6) * w[t]).sum())
                dis = float((d[i, j, t] * w[t]).sum())
                if mwh < 1e-6 and dis < 1e-6:
                    continue
                pue = fnum(data.sites.at[s, "pue"])
                rows.append({"owner": o, "site": s, "year": int(y),
                             "curtailed_mwh": round(mwh, 3), "curtailed_hours": hours,
                             "max_curtailed_mw": round(float(c[i, j, t].max()), 3),
                             "compute_lost_gpu_h": round(mwh / pue * gpm, 1),
                             "storage_discharged_mwh": round(dis, 3)})
    by = pd.DataFrame(rows, columns=["owner", "site", "year", "curtailed_mwh",
                                     "curtailed_hours", "max_curtailed_mw",
                                     "compute_lost_gpu_h", "storage_discharged_mwh"])
    years = problem.years()
    return {
        "curtailment_hourly": _hourly(m, gn, problem, data, c),
        "curtailed_mwh": {y: float(by.loc[by["year"] == y, "curtailed_mwh"].sum())
                          for y in years},
        "curtailed_hours": {y: float(by.loc[by["year"] == y, "curtailed_hours"].max())
                            if (by["year"] == y).any() else 0.0 for y in years},
        "compute_lost_gpu_h": {y: float(by.loc[by["year"] == y, "compute_lost_gpu_h"].sum())
                               for y in years},
        "by_campus": by,
    }


def _hourly(m: Any, gn: GridNetwork, problem: Any, data: GridData,
            c: np.ndarray) -> pd.DataFrame:
    """Per owner and curtailed modelled hour: the campus load (facility MW, all its sites),
    the MW curtailed and their ratio (``depth``): the hourly limits the twin takes back
    (``aifab simulate --power-caps``). ``day`` is the representative day's position in
    its year, ``weight`` the days it stands for."""
    owners = [o.name for o in problem.owners]
    snaps = gn.network.snapshots
    served = m.variables["Site-served"].solution.transpose("owner", "site", "year")
    pue = data.sites["pue"].to_numpy(float)
    lf = problem.hourly_load(snaps)
    w = gn.network.snapshot_weightings["objective"].to_numpy(float)
    years = problem.years()
    rows = []
    for i, o in enumerate(owners):
        for t in np.flatnonzero(c[i].sum(axis=0) > 1e-6):
            y = int(gn.snapshot_year[t])
            f = float(lf.sel(owner=o).isel(snapshot=int(t))) if not isinstance(lf, float) else lf
            load = float((served.isel(owner=i, year=years.index(y)).to_numpy() * pue).sum()) * f
            cut = float(c[i, :, t].sum())
            rows.append({"owner": o, "year": y, "day": int(gn.snapshot_day[t]),
                         "hour": int(t) % 24, "weight": float(w[t]),
                         "load_mw": round(load, 3), "curtailed_mw": round(cut, 3),
                         "depth": min(1.0, cut / load) if load > 0 else 0.0})
    return pd.DataFrame(rows, columns=["owner", "year", "day", "hour", "weight", "load_mw",
                                       "curtailed_mw", "depth"])
