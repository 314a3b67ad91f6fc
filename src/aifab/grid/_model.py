"""The siting problem and its linopy variables/constraints, added to PyPSA's dispatch model.

Decision variables (owner o, site s, year y; IT MW unless said otherwise):
  blocks[s,y]    integer campus blocks of ``block_mw`` facility MW at a site, shared by its
                 owners, cumulative (never fall); the cost is paid per whole block
  cap[s,y]       facility MW connected at the site (<= blocks x block_mw, <= ramp, site
                 headroom, substation limit; never falls): the last block may be part-used
  served[o,s,y]  IT MW of the owner's installed fleet powered at the site
  short[o,y]     IT MW waiting for power (penalised, reported)
  build[e,y]     binary: planned corridor e is in service in year y (never removed)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from aifab.errors import BadInput, Infeasible
from aifab.grid._data import REGIONS, GridData, fnum, haversine_km
from aifab.grid._flex import add_curtailment, flex_spec
from aifab.grid._loadprofile import LoadProfile, hourly_factor, mean_factor
from aifab.grid._network import GridNetwork
from aifab.scenario import OwnerSiting, SitingOptions


@dataclass(frozen=True)
class OwnerPrefs:
    """One owner's home region and siting preferences."""

    name: str
    home_region: str | None = None
    siting: OwnerSiting = field(default_factory=OwnerSiting)


@dataclass(frozen=True)
class SitingProblem:
    """What to site: cumulative IT MW per owner and year, with preferences and options."""

    demand: pd.DataFrame  # columns owner, year, accelerators, it_mw
    owners: tuple[OwnerPrefs, ...]
    options: SitingOptions = field(default_factory=SitingOptions)
    load_factor: float = 1.0
    load_profile: LoadProfile | None = None  # the twin's load shape (else flat load_factor)

    def hourly_load(self, snapshots: Any) -> Any:
        """Share of nameplate each owner draws per snapshot (a float when flat)."""
        return hourly_factor(self.load_profile, [o.name for o in self.owners],
                             self.load_factor, snapshots)

    def mean_load(self) -> Any:
        """Yearly mean share of nameplate per owner (a float when flat)."""
        return mean_factor(self.load_profile, [o.name for o in self.owners], self.load_factor)

    def years(self) -> list[int]:
        """Modelled years: the option's list, else every year of the demand table."""
        if self.options.years:
            return sorted(set(self.options.years))
        return sorted({int(y) for y in self.demand["year"]})

    def need(self) -> pd.DataFrame:
        """IT MW (``it_mw``) and accelerators per owner x year, zero-filled."""
        d = self.demand.groupby(["owner", "year"])[["it_mw", "accelerators"]].sum()
        idx = pd.MultiIndex.from_product([[o.name for o in self.owners], self.years()],
                                         names=["owner", "year"])
        return d.reindex(idx, fill_value=0.0).astype(float)


def crf(rate: float, years: float) -> float:
    """Capital recovery factor: annual payment per KRW of capital."""
    if rate == 0:
        return 1.0 / years
    return float(rate / (1 - (1 + rate) ** -years))


def allowed_sites(problem: SitingProblem, data: GridData) -> pd.DataFrame:
    """Owner x site boolean table from allowed regions and max distance to home region."""
    sites = data.sites
    out = pd.DataFrame(True, index=[o.name for o in problem.owners], columns=sites.index)
    for i, o in enumerate(problem.owners):
        where = f"owners[{i}]"
        if o.home_region is not None and o.home_region not in REGIONS:
            raise BadInput(f"unknown region '{o.home_region}'", where=f"{where}.home_region")
        s = o.siting
        if s.allowed_regions is not None:
            for r in s.allowed_regions:
                if r not in REGIONS:
                    raise BadInput(f"unknown region '{r}'", where=f"{where}.siting.allowed_regions")
            out.loc[o.name] &= sites["region"].isin(s.allowed_regions).to_numpy()
        if (s.max_distance_km is not None or s.min_home_share > 0) and o.home_region is None:
            raise BadInput("needs home_region for max_distance_km/min_home_share",
                           where=f"{where}.home_region")
        if s.max_distance_km is not None:
            hr = data.regions.loc[o.home_region]
            dist = np.array([haversine_km(fnum(hr["lat"]), fnum(hr["lon"]), fnum(r["lat"]),
                                          fnum(r["lon"]))
                             for _, r in sites.iterrows()])
            out.loc[o.name] &= dist <= s.max_distance_km
    return out


def site_caps(data: GridData, years: list[int], firm_connection: bool = True) -> pd.DataFrame:
    """Facility MW a site can take per year: min(ramp, site headroom, substation limit).
    Not rounded to blocks: blocks are shared by the site's owners and the last one may be
    part-used, so the block size sets cost, not how many GPUs can be powered. Without
    ``firm_connection`` (flexible connections) the substation limit is left out: it then
    applies to the firm part and, hour by hour, to the load net of curtailment."""
    rows = {}
    for s, r in data.sites.iterrows():
        lim = min(fnum(r["headroom_mw"]),
                  fnum(r.get("connect_mw", math.inf)) if firm_connection else math.inf)
        rows[s] = [min(data.site_mw(str(s), y), lim) for y in years]
    return pd.DataFrame.from_dict(rows, orient="index", columns=years)


def precheck(problem: SitingProblem, data: GridData, allowed: pd.DataFrame) -> None:
    """Raise Infeasible, naming the binding limit in words, for hard constraints that
    cannot hold even before solving (minimum home share, no shortfall allowed)."""
    years = problem.years()
    caps = site_caps(data, years)
    need = problem.need()
    sites = data.sites
    for y in years:
        by_region: dict[str, list[tuple[str, float]]] = {}
        for o in problem.owners:
            share = o.siting.min_home_share
            if share > 0 and o.home_region is not None:
                home = o.home_region
                ok = [s for s in sites.index if allowed.at[o.name, s]
                      and sites.at[s, "region"] == home]
                pue = min([fnum(sites.at[s, "pue"]) for s in ok], default=1.0)
                req = share * fnum(need.at[(o.name, y), "it_mw"]) * pue
                by_region.setdefault(home, []).append((o.name, req))
            if not o.siting.allow_shortfall:
                ok = [s for s in sites.index if allowed.at[o.name, s]]
                cap_it = sum(fnum(caps.at[s, y]) / fnum(sites.at[s, "pue"]) for s in ok)
                cap_it = min(cap_it, len(ok) * o.siting.max_share_per_site
                             * fnum(need.at[(o.name, y), "it_mw"]))
                req_it = fnum(need.at[(o.name, y), "it_mw"])
                if cap_it + 1e-6 < req_it:
                    raise Infeasible(
                        f"sites allowed for {o.name} can power {cap_it:,.0f} MW of IT load < "
                        f"{o.name} needs {req_it:,.0f} MW in {y} (allow_shortfall is false)")
        for region, reqs in by_region.items():
            total = sum(r for _, r in reqs)
            site_cap = sum(fnum(caps.at[s, y]) for s in sites.index
                           if sites.at[s, "region"] == region)
            head = fnum(data.regions.at[region, "new_load_headroom_mw"])
            who = " + ".join(f"{n} {r:,.0f}" for n, r in reqs)
            label = (f"minimum {who} MW" if len(reqs) > 1
                     else f"{reqs[0][0]} minimum {total:,.0f} MW")
            if head + 1e-6 < total:
                raise Infeasible(f"{region} headroom {head:,.0f} MW < {label} in {y}")
            if site_cap + 1e-6 < total:
                raise Infeasible(f"{region} sites offer {site_cap:,.0f} MW (ramp and connection "
                                 f"limits) < {label} in {y}")


@dataclass(frozen=True)
class SitingVars:
    """Names of what ``add_siting`` put into the model, for reading the solution."""

    owners: list[str]
    sites: list[str]
    years: list[int]
    expansions: list[str]
    ai_regions: list[str]


def add_siting(m: Any, gn: GridNetwork, problem: SitingProblem, data: GridData,
               allowed: pd.DataFrame, expansions: list[str]) -> SitingVars:
    """Add siting variables, limits, the AI-load coupling and costs to linopy model ``m``."""
    opt = problem.options
    years = problem.years()
    owners = [o.name for o in problem.owners]
    prefs = {o.name: o for o in problem.owners}
    sites_df = data.sites
    sites = list(sites_df.index)
    bm = opt.block_mw
    need = problem.need()["it_mw"]
    need_da = xr.DataArray(np.array([[need[(o, y)] for y in years] for o in owners]),
                           coords={"owner": owners, "year": years}, dims=("owner", "year"))
    pue = xr.DataArray(sites_df["pue"].to_numpy(float), coords={"site": sites}, dims="site")
    spec = flex_spec(problem)
    caps = site_caps(data, years, firm_connection=not spec.active)
    cap_np = caps.loc[sites, years].to_numpy(float)
    sy = {"site": sites, "year": years}
    # whole blocks per site, shared by every owner there; the last may be part-used
    blocks = m.add_variables(lower=0, upper=xr.DataArray(np.ceil(cap_np / bm - 1e-9),
                                                         coords=sy, dims=("site", "year")),
                             name="Site-blocks", integer=True)
    cap = m.add_variables(lower=0, upper=xr.DataArray(cap_np, coords=sy, dims=("site", "year")),
                          name="Site-capacity")
    mask = allowed.loc[owners, sites].to_numpy()
    served_ub = need_da.broadcast_like(cap.lower) * xr.DataArray(
        mask.astype(float), coords={"owner": owners, "site": sites}, dims=("owner", "site"))
    served = m.add_variables(lower=0, upper=served_ub.transpose("owner", "site", "year"),
                             name="Site-served")
    short_ub = need_da * xr.DataArray([1.0 if prefs[o].siting.allow_shortfall else 0.0
                                       for o in owners], coords={"owner": owners}, dims="owner")
    short = m.add_variables(lower=0, upper=short_ub, name="Site-short")

    m.add_constraints((served * pue).sum("owner") - cap <= 0, name="Site-served-in-capacity")
    m.add_constraints(cap - bm * blocks <= 0, name="Site-capacity-in-blocks")
    m.add_constraints(served.sum("site") + short == need_da, name="Site-owner-need")
    if "substation" in sites_df.columns:
        subs = sorted({int(x) for x in sites_df["substation"]})
        at = xr.DataArray((sites_df["substation"].to_numpy(int)[:, None]
                           == np.array(subs)[None, :]).astype(float),
                          coords={"site": sites, "substation": subs}, dims=("site", "substation"))
        conn = xr.DataArray([fnum(data.substations.at[k, "connect_mw"]) for k in subs],
                            coords={"substation": subs}, dims="substation")
        if spec.active:  # flexible connections: only the firm part needs the firm limit
            firm_o = xr.DataArray([spec.firm_share(o) for o in owners],
                                  coords={"owner": owners}, dims="owner")
            m.add_constraints((served * pue * firm_o * at).sum(["owner", "site"]) <= conn,
                              name="Substation-connection")
        else:
            m.add_constraints((cap * at).sum("site") <= conn, name="Substation-connection")
    for i in range(1, len(years)):
        for var, what in ((blocks, "blocks"), (cap, "capacity")):
            m.add_constraints(var.sel(year=years[i], drop=True)
                              - var.sel(year=years[i - 1], drop=True) >= 0,
                              name=f"Site-no-demolition-{what}-{years[i]}")
    regions_with_sites = sorted(set(sites_df["region"]))
    inc = xr.DataArray((sites_df["region"].to_numpy()[:, None]
                        == np.array(regions_with_sites)[None, :]).astype(float),
                       coords={"site": sites, "region": regions_with_sites},
                       dims=("site", "region"))
    rhead = xr.DataArray(data.regions.loc[regions_with_sites, "new_load_headroom_mw"]
                         .to_numpy(float), coords={"region": regions_with_sites}, dims="region")
    if spec.active:
        if opt.hours >= 8760:
            raise BadInput("flexibility offers need representative days (--hours below 8760)",
                           where="siting.flex_share")
        firm = xr.DataArray([spec.firm_share(o) for o in owners], coords={"owner": owners},
                            dims="owner")
        m.add_constraints((served * pue * firm * inc).sum(["owner", "site"]) <= rhead,
                          name="Region-headroom")
    else:
        m.add_constraints((cap * inc).sum("site") <= rhead, name="Region-headroom")
    share = xr.DataArray([prefs[o].siting.max_share_per_site for o in owners],
                         coords={"owner": owners}, dims="owner")
    if float(share.min()) < 1:
        m.add_constraints(served - share * need_da <= 0, name="Site-max-share")
    home = np.array([[1.0 if sites_df.at[s, "region"] == prefs[o].home_region else 0.0
                      for s in sites] for o in owners])
    hshare = xr.DataArray([prefs[o].siting.min_home_share for o in owners],
                          coords={"owner": owners}, dims="owner")
    if float(hshare.max()) > 0:
        home_da = xr.DataArray(home, coords={"owner": owners, "site": sites},
                               dims=("owner", "site"))
        m.add_constraints((served * home_da).sum("site") - hshare * need_da >= 0,
                          name="Owner-min-home-share")

    # AI load drawn by each region's sink generator, hour by hour.
    lf = problem.hourly_load(gn.network.snapshots)
    sink = gn.site_sink or {s: f"ai {sites_df.at[s, 'region']!s}" for s in sites}
    ai_names = sorted(set(sink.values()))
    at_sink = np.array([[1.0 if sink[s] == a else 0.0 for a in ai_names] for s in sites])
    if isinstance(lf, xr.DataArray):  # the twin's hourly shape per owner
        coef = xr.DataArray(at_sink * sites_df["pue"].to_numpy(float)[:, None],
                            coords={"site": sites, "name": ai_names}, dims=("site", "name"))
    else:
        coef = xr.DataArray(at_sink * lf * sites_df["pue"].to_numpy(float)[:, None],
                            coords={"site": sites, "name": ai_names}, dims=("site", "name"))
    gen_p = m.variables["Generator-p"]
    curt = (add_curtailment(m, gn, problem, data, allowed, served, spec, inc, rhead)
            if spec.active else None)
    for y in years:
        snaps = np.flatnonzero(gn.snapshot_year == y)
        coef_y = coef * lf.isel(snapshot=snaps) if isinstance(lf, xr.DataArray) else coef
        draw = (gen_p.sel(name=ai_names).isel(snapshot=snaps)
                + (served.sel(year=y, drop=True) * coef_y).sum(["owner", "site"]))
        if curt is not None:
            draw = draw - (curt.isel(snapshot=snaps) * xr.DataArray(
                at_sink, coords={"site": sites, "name": ai_names},
                dims=("site", "name"))).sum(["owner", "site"])
        m.add_constraints(draw == 0, name=f"AI-load-{y}")

    # Pumped storage: each modelled day returns to its starting energy.
    if "StorageUnit-p_store" in m.variables:
        n = gn.network
        eff_s = xr.DataArray(n.storage_units["efficiency_store"].to_numpy(float),
                             coords={"name": list(n.storage_units.index)}, dims="name")
        eff_d = xr.DataArray(n.storage_units["efficiency_dispatch"].to_numpy(float),
                             coords={"name": list(n.storage_units.index)}, dims="name")
        net = (m.variables["StorageUnit-p_store"] * eff_s
               - m.variables["StorageUnit-p_dispatch"] / eff_d)
        day = xr.DataArray(np.asarray(n.snapshots) // 24, coords={"snapshot": n.snapshots},
                           dims="snapshot", name="day")
        m.add_constraints(net.groupby(day).sum() == 0, name="StorageUnit-daily-cycle")

    extra = (blocks * (bm * crf(opt.discount_rate, opt.site_lifetime_years)
                       * xr.DataArray(sites_df["build_cost_krw_per_mw"].to_numpy(float),
                                      coords={"site": sites}, dims="site"))).sum()
    extra = extra + (short * (8760 * problem.mean_load()
                              * opt.unserved_penalty_krw_per_mwh)).sum()
    if expansions:
        cor = data.corridors.set_index("name").loc[expansions]
        earliest = cor["earliest_year"].to_numpy(float)
        bub = xr.DataArray((np.array(years)[None, :] >= earliest[:, None]).astype(float),
                           coords={"name": expansions, "year": years}, dims=("name", "year"))
        build = m.add_variables(lower=0, upper=bub, name="Corridor-build", integer=True)
        for i in range(1, len(years)):
            m.add_constraints(build.sel(year=years[i], drop=True)
                              - build.sel(year=years[i - 1], drop=True) >= 0,
                              name=f"Corridor-kept-{years[i]}")
        cap = xr.DataArray(cor["p_nom_mw"].to_numpy(float), coords={"name": expansions},
                           dims="name")
        link_p = m.variables["Link-p"].sel(name=expansions)
        for y in years:
            snaps = np.flatnonzero(gn.snapshot_year == y)
            lp = link_p.isel(snapshot=snaps)
            on = cap * build.sel(year=y, drop=True)
            m.add_constraints(lp - on <= 0, name=f"Corridor-built-up-{y}")
            m.add_constraints(lp + on >= 0, name=f"Corridor-built-down-{y}")
        cost = xr.DataArray(cor["capital_cost_krw"].to_numpy(float)
                            * crf(opt.discount_rate, opt.corridor_lifetime_years),
                            coords={"name": expansions}, dims="name")
        extra = extra + (build * cost).sum()
    m.add_objective(m.objective.expression + extra, overwrite=True)
    return SitingVars(owners=owners, sites=sites, years=years, expansions=expansions,
                      ai_regions=regions_with_sites)
