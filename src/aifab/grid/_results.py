"""Siting results: a frozen record with flat tables, read from a solved model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from aifab.grid._data import GridData, fnum
from aifab.grid._flex import read_flexibility
from aifab.grid._model import SitingProblem, SitingVars, crf
from aifab.grid._network import SHED_COST_KRW_PER_MWH, GridNetwork
from aifab.grid._solver import SolveInfo


@dataclass(frozen=True)
class SitingResult:
    """Where every campus goes, year by year, and what the grid does about it.

    Tables (pandas): ``placements`` (owner, site, region, year, mw, blocks_mw, gpus),
    ``corridors`` (name, bus0, bus1, p_nom_mw, expansion, built_year, max_loading_pct,
    one ``max_loading_pct_YYYY`` per year), ``regions`` (region, year, added_mw,
    local_surplus_mw, local_surplus_min_mw), ``annual_cost`` (year, cost columns, KRW).
    """

    status: str
    termination: str
    objective_krw: float
    mip_gap: float
    solve_s: float
    build_s: float
    model_size: dict[str, int]
    years: tuple[int, ...]
    time_method: str
    hours_per_year: int
    placements: pd.DataFrame
    unpowered_gpus_by_year: dict[int, int]
    unpowered_by_owner: pd.DataFrame
    corridors: pd.DataFrame
    regions: pd.DataFrame
    annual_cost: pd.DataFrame
    co2_mt_by_year: dict[int, float]
    expansions_built: dict[str, int]
    data_files: dict[str, str] = field(default_factory=dict)
    geo: pd.DataFrame = field(default_factory=pd.DataFrame)  # kind, name, region, lat, lon
    calibration: tuple[Any, ...] = ()  # CalibrationRow of the base case (no AI load)
    flexibility: dict[str, Any] = field(default_factory=dict)  # see grid._flex
    network: str = "zonal"
    site_capacity_mw: dict[tuple[str, int], float] = field(default_factory=dict)  # connected
    hosting: pd.DataFrame = field(default_factory=pd.DataFrame)  # see grid._hosting
    second_stage: dict[str, Any] = field(default_factory=dict)  # full year / full network
    dispatch: dict[str, Any] = field(default_factory=dict)  # source of the dispatch figures

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document (without ``schema_version``)."""
        reg: dict[str, Any] = {}
        for r, g in self.regions.groupby("region", sort=False):
            reg[str(r)] = {
                "added_mw": {int(y): round(float(v), 1) for y, v in zip(g["year"], g["added_mw"],
                                                                       strict=True)},
                "local_surplus_mw": {int(y): round(float(v), 1)
                                     for y, v in zip(g["year"], g["local_surplus_mw"],
                                                     strict=True)},
                "local_surplus_min_mw": {int(y): round(float(v), 1)
                                         for y, v in zip(g["year"], g["local_surplus_min_mw"],
                                                         strict=True)},
            }
        cost = {int(r["year"]): {k: float(v) for k, v in r.items() if k != "year"}
                for _, r in self.annual_cost.iterrows()}
        return {
            "status": self.status,
            "termination": self.termination,
            "objective_krw": self.objective_krw,
            "mip_gap": self.mip_gap,
            "solve_s": round(self.solve_s, 3),
            "build_s": round(self.build_s, 3),
            "model_size": self.model_size,
            "years": list(self.years),
            "time_slices": {"hours_per_year": self.hours_per_year, "method": self.time_method},
            "placements": self.placements.to_dict(orient="records"),
            "unpowered_gpus_by_year": {int(k): int(v) for k, v in
                                       self.unpowered_gpus_by_year.items()},
            "unpowered_gpus_by_owner": self.unpowered_by_owner.to_dict(orient="records"),
            "corridors": self.corridors.to_dict(orient="records"),
            "expansions_built": self.expansions_built,
            "regions": reg,
            "annual_cost_krw": cost,
            "co2_mt": {int(k): round(v, 3) for k, v in self.co2_mt_by_year.items()},
            "data_files": self.data_files,
            "network": self.network,
            "calibration": [r.to_dict() for r in self.calibration],
            **({"dispatch": self.dispatch} if self.dispatch else {}),
            **({"flexibility": _flex_json(self.flexibility)} if self.flexibility else {}),
            **({"hosting": self.hosting.to_dict(orient="records")}
               if not self.hosting.empty else {}),
            **({"second_stage": self.second_stage} if self.second_stage else {}),
        }


def _flex_json(f: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in f.items():
        if isinstance(v, pd.DataFrame):
            out[k] = v.to_dict(orient="records")
        elif isinstance(v, dict):
            out[k] = {int(y) if isinstance(y, (int, np.integer)) else y: x for y, x in v.items()}
        else:
            out[k] = v
    return out


def read_result(m: Any, gn: GridNetwork, problem: SitingProblem, data: GridData,
                sv: SitingVars, info: SolveInfo, build_s: float) -> SitingResult:
    """Turn the solved linopy model into a SitingResult."""
    opt = problem.options
    n: Any = gn.network
    years = sv.years
    need = problem.need()
    osy = ("owner", "site", "year")
    blocks = m.variables["Site-blocks"].solution.transpose("site", "year").round().to_numpy()
    served = np.clip(m.variables["Site-served"].solution.transpose(*osy).to_numpy(), 0, None)
    short = np.clip(m.variables["Site-short"].solution.transpose("owner", "year").to_numpy(),
                    0, None)
    sites = data.sites
    # an owner's part of a site's shared blocks: pro rata to the IT MW it has powered there
    tot = served.sum(axis=0)  # site x year
    part = np.divide(served, tot[None], out=np.zeros_like(served), where=tot[None] > 1e-9)
    rows, unpowered, by_owner = [], dict.fromkeys(years, 0), []
    for i, o in enumerate(sv.owners):
        for k, y in enumerate(years):
            it, acc = fnum(need.at[(o, y), "it_mw"]), fnum(need.at[(o, y), "accelerators"])
            per_mw = acc / it if it > 0 else 0.0
            placed = 0
            for j, s in enumerate(sv.sites):
                if served[i, j, k] < 1e-6:
                    continue
                g = round(served[i, j, k] * per_mw)
                placed += g
                rows.append({"owner": o, "site": s, "region": str(sites.at[s, "region"]),
                             "year": y,
                             "mw": round(served[i, j, k] * fnum(sites.at[s, "pue"]), 2),
                             "blocks_mw": round(blocks[j, k] * part[i, j, k] * opt.block_mw, 1),
                             "gpus": int(g)})
            wait = max(0, round(acc) - placed) if short[i, k] > 1e-6 else 0
            unpowered[y] += wait
            by_owner.append({"owner": o, "year": y, "gpus": round(acc), "unpowered_gpus": wait,
                             "unpowered_it_mw": round(float(short[i, k]), 2)})
    placements = pd.DataFrame(rows, columns=["owner", "site", "region", "year", "mw",
                                             "blocks_mw", "gpus"])

    w = n.snapshot_weightings["objective"].to_numpy()
    gp = m.variables["Generator-p"].solution.to_pandas()
    lp = corridor_flows(m)
    gens = n.generators
    carrier = gens.loc[gp.columns, "carrier"]
    mc = gens.loc[gp.columns, "marginal_cost"].to_numpy(float)
    co2c = n.carriers["co2_emissions"].reindex(carrier).fillna(0).to_numpy(float)
    real = ~carrier.isin(["shed", "ai"]).to_numpy()
    shed = carrier.eq("shed").to_numpy()
    built: dict[str, int] = {}
    if sv.expansions:
        b = m.variables["Corridor-build"].solution.to_pandas()  # name x year
        for e in sv.expansions:
            on = [y for y in years if b.at[e, y] > 0.5]
            if on:
                built[e] = int(on[0])
    cost_rows, co2 = [], {}
    site_cost = sites["build_cost_krw_per_mw"].reindex(sv.sites).to_numpy(float)
    cor = data.corridors.set_index("name")
    for k, y in enumerate(years):
        t = gn.snapshot_year == y
        pw = gp.to_numpy()[t] * w[t, None]
        gen_cost = float((pw[:, real] * mc[real]).sum())
        shed_mwh = float(pw[:, shed].sum())
        co2[y] = float((pw * co2c).sum()) / 1e6
        build = float((blocks[:, k] * site_cost).sum() * opt.block_mw
                      * crf(opt.discount_rate, opt.site_lifetime_years))
        exp = sum(fnum(cor.at[e, "capital_cost_krw"]) for e, by in built.items() if by <= y)
        exp *= crf(opt.discount_rate, opt.corridor_lifetime_years)
        mean = problem.mean_load()
        pen = (float(short[:, k].sum()) * 8760 * mean * opt.unserved_penalty_krw_per_mwh
               if isinstance(mean, float) else
               float((short[:, k] * mean.to_numpy()).sum()) * 8760
               * opt.unserved_penalty_krw_per_mwh)
        cost_rows.append({"year": y, "generation_krw": gen_cost, "site_build_krw": build,
                          "corridor_expansion_krw": exp, "shortfall_penalty_krw": pen,
                          "load_shed_krw": shed_mwh * SHED_COST_KRW_PER_MWH,
                          "load_shed_mwh": shed_mwh,
                          "total_krw": gen_cost + build + exp + pen
                          + shed_mwh * SHED_COST_KRW_PER_MWH})
    annual = pd.DataFrame(cost_rows)

    # the flows as solved (by the siting run: the fixed-siting re-dispatch, grid._redispatch):
    # a network with lines obeys KVL, so they are the physical flows
    links = corridor_table(n)
    kinds = (cor["kind"].fillna("ac").to_dict() if "kind" in cor.columns else {})
    nlines = (cor["n_lines"].fillna(0).to_dict() if "n_lines" in cor.columns else {})
    if not n.lines.empty:
        nlines.update(n.lines["num_parallel"].round().astype(int).to_dict())
    crow = []
    for name in lp.columns:
        p_nom = fnum(links.at[name, "p_nom_mw"])
        r = {"name": name, "bus0": links.at[name, "bus0"], "bus1": links.at[name, "bus1"],
             "p_nom_mw": p_nom, "kind": kinds.get(name, "ac"),
             "n_lines": int(nlines.get(name, 0) or 0), "expansion": name in sv.expansions,
             "built_year": built.get(name)}
        vals = []
        for y in years:
            t = gn.snapshot_year == y
            v = float(np.abs(lp[name].to_numpy()[t]).max()) / p_nom * 100 if p_nom > 0 else 0.0
            r[f"max_loading_pct_{y}"] = round(v, 1)
            vals.append(v)
        r["max_loading_pct"] = round(max(vals), 1)
        crow.append(r)
    corridors = pd.DataFrame(crow)

    regions = _region_balance(m, gn, placements, years)
    return SitingResult(
        status=info.status, termination=info.termination, objective_krw=info.objective_krw,
        mip_gap=info.mip_gap, solve_s=info.solve_s, build_s=build_s,
        model_size={"variables": info.n_variables, "constraints": info.n_constraints,
                    "integer_variables": info.n_integer},
        years=tuple(years), time_method=gn.slices.method, hours_per_year=gn.hours_per_year,
        placements=placements, unpowered_gpus_by_year=unpowered,
        unpowered_by_owner=pd.DataFrame(by_owner), corridors=corridors, regions=regions,
        annual_cost=annual, co2_mt_by_year=co2, expansions_built=built,
        data_files=dict(data.files), geo=_geo(data, gn),
        flexibility=read_flexibility(m, gn, problem, data),
        site_capacity_mw=_site_capacity(m))


def _site_capacity(m: Any) -> dict[tuple[str, int], float]:
    """Facility MW connected per (site, year), as solved."""
    c = m.variables["Site-capacity"].solution.to_pandas()  # site x year
    return {(str(s), int(y)): float(c.at[s, y]) for s in c.index for y in c.columns
            if float(c.at[s, y]) > 1e-6}


def _geo(data: GridData, gn: GridNetwork | None = None) -> pd.DataFrame:
    """Coordinates of regions (centroids) and candidate sites, for the map."""
    reg = pd.DataFrame({"kind": "region", "name": data.regions.index,
                        "region": data.regions.index,
                        "lat": data.regions["lat"].to_numpy(float),
                        "lon": data.regions["lon"].to_numpy(float)})
    # campuses are drawn at the substation they connect to (on land, on the network)
    lat = data.sites["sub_lat"] if "sub_lat" in data.sites.columns else data.sites["lat"]
    lon = data.sites["sub_lon"] if "sub_lon" in data.sites.columns else data.sites["lon"]
    sit = pd.DataFrame({"kind": "site", "name": data.sites.index,
                        "region": data.sites["region"].to_numpy(),
                        "lat": lat.to_numpy(float), "lon": lon.to_numpy(float)})
    parts = [reg, sit]
    if gn is not None and gn.level == "full":
        b = gn.network.buses
        parts.append(pd.DataFrame({"kind": "bus", "name": b.index,
                                   "region": [gn.bus_region[x] for x in b.index],
                                   "lat": b["y"].to_numpy(float), "lon": b["x"].to_numpy(float)}))
    return pd.concat(parts, ignore_index=True)


def _region_balance(m: Any, gn: GridNetwork, placements: pd.DataFrame,
                    years: list[int]) -> pd.DataFrame:
    """Added AI MW and local surplus (generation + storage - all load, MW) per region-year."""
    n: Any = gn.network
    w = n.snapshot_weightings["objective"].to_numpy()
    gp = m.variables["Generator-p"].solution.to_pandas()
    bus_of = n.generators["bus"]
    inj = gp.T.groupby(bus_of.reindex(gp.columns).to_numpy()).sum().T  # incl. ai sinks (<0)
    shed_cols = [c for c in gp.columns if n.generators.at[c, "carrier"] == "shed"]
    inj = inj - gp[shed_cols].T.groupby(bus_of.reindex(shed_cols).to_numpy()).sum().T.reindex(
        columns=inj.columns, fill_value=0.0)
    if "StorageUnit-p_dispatch" in m.variables:
        sd = (m.variables["StorageUnit-p_dispatch"].solution.to_pandas()
              - m.variables["StorageUnit-p_store"].solution.to_pandas())
        sb = sd.T.groupby(n.storage_units["bus"].reindex(sd.columns).to_numpy()).sum().T
        inj = inj.add(sb, fill_value=0.0)
    loads = n.loads_t.p_set
    lb = loads.T.groupby(n.loads["bus"].reindex(loads.columns).to_numpy()).sum().T
    net = inj.sub(lb.reindex(index=inj.index, columns=inj.columns, fill_value=0.0),
                  fill_value=0.0)
    net = net.T.groupby(net.columns.map(lambda b: gn.bus_region.get(str(b), str(b)))).sum().T
    rows = []
    for r in list(dict.fromkeys(gn.bus_region.get(str(b), str(b)) for b in n.buses.index)):
        col = net[r].to_numpy() if r in net.columns else np.zeros(len(w))
        for y in years:
            t = gn.snapshot_year == y
            added = float(placements.loc[(placements["region"] == r)
                                         & (placements["year"] == y), "mw"].sum())
            rows.append({"region": r, "year": y, "added_mw": added,
                         "local_surplus_mw": float((col[t] * w[t]).sum() / w[t].sum()),
                         "local_surplus_min_mw": float(col[t].min())})
    return pd.DataFrame(rows)


def corridor_flows(m: Any) -> pd.DataFrame:
    """Hourly flow (MW, bus0 to bus1) of every link and line as solved: snapshot x name."""
    parts = [m.variables[v].solution.to_pandas() for v in ("Link-p", "Line-s")
             if v in m.variables]
    return pd.concat(parts, axis=1) if parts else pd.DataFrame()


def corridor_table(n: Any) -> pd.DataFrame:
    """bus0, bus1, p_nom_mw of every link and line of a network, indexed by name; a line's
    p_nom_mw is its operating (N-1) limit, s_nom x s_max_pu."""
    links = n.links[["bus0", "bus1", "p_nom"]].rename(columns={"p_nom": "p_nom_mw"})
    lines = n.lines[["bus0", "bus1"]].assign(
        p_nom_mw=n.lines["s_nom"].to_numpy(float) * n.lines["s_max_pu"].to_numpy(float))
    out: pd.DataFrame = pd.concat([links, lines])
    return out
