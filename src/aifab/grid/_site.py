"""The siting pipeline: check, build network, add siting model, solve, read results."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from aifab._background import BackgroundLost
from aifab.errors import BadInput, Infeasible
from aifab.grid._budget import add_energy_budgets
from aifab.grid._calbeside import calibration_beside
from aifab.grid._calibration import calibrate_cached
from aifab.grid._cluster import build_clustered_network, read_busmap
from aifab.grid._data import GridData, load_grid_data
from aifab.grid._flex import flex_spec
from aifab.grid._full import build_full_network
from aifab.grid._lpcache import solve_cached
from aifab.grid._model import OwnerPrefs, SitingProblem, add_siting, allowed_sites, precheck
from aifab.grid._modelcache import network_and_model
from aifab.grid._network import add_interfaces, build_network, quiet_pypsa
from aifab.grid._redispatch import with_redispatch
from aifab.grid._results import SitingResult, read_result
from aifab.grid._solver import solve_highs
from aifab.grid._westcoast import with_west_coast_limit
from aifab.scenario import OwnerSiting, SitingOptions

Progress = Callable[[str], None]
OBJ_SCALE = 1e-6  # the model's objective is in million KRW


def _check_demand(demand: pd.DataFrame, owners: tuple[OwnerPrefs, ...]) -> None:
    for col in ("owner", "year", "accelerators", "it_mw"):
        if col not in demand.columns:
            raise BadInput(f"demand table lacks column '{col}'")
    unknown = set(demand["owner"]) - {o.name for o in owners}
    if unknown:
        raise BadInput(f"demand for owners without an owners entry: {sorted(unknown)}")
    if (demand["it_mw"] < 0).any() or (demand["accelerators"] < 0).any():
        raise BadInput("demand table has negative MW or accelerators")


def solve_siting(problem: SitingProblem, data: GridData | None = None, *,
                 progress: Progress | None = None, compare_flex: bool = True,
                 calibrate_base: bool = True, redispatch: bool = True) -> SitingResult:
    """Place every owner's campuses on the grid year by year (MILP, HiGHS).

    Raises BadInput for bad data or preferences, Infeasible when hard constraints cannot
    hold (the message names the binding limit). With flexibility offers, the problem is
    solved again without them (``compare_flex``) to report the GPUs they connect. With
    ``redispatch`` the dispatch figures (corridor loadings, generation, CO2, local surplus,
    curtailment) come from an LP with the siting fixed and tie-break costs (grid._redispatch),
    not from the MIP's incumbent, whose dispatch is one of many.
    """
    say = progress or (lambda _msg: None)
    opt = problem.options
    t0 = time.perf_counter()
    quiet_pypsa()  # also when every network comes from the disk cache (nothing built)
    if data is None:
        say("loading grid data")
        data = load_grid_data(opt.data_dir)
    data = with_west_coast_limit(data, opt.west_coast_limit_mw)
    _check_demand(problem.demand, problem.owners)
    if not problem.years():
        raise BadInput("nothing to site: the demand table is empty")
    allowed = allowed_sites(problem, data)
    precheck(problem, data, allowed)
    expansions = ([str(x) for x in data.corridors.loc[data.corridors["expandable"], "name"]]
                  if opt.allow_expansions else [])
    if opt.hours >= 8760 and opt.full_year == "two_stage":
        # Stage 1: site on representative days; stage 2: every hour of the year with those
        # campuses fixed (dispatch in blocks of whole days, grid._fullyear).
        if flex_spec(problem).active:
            raise BadInput("flexibility offers need representative days (--hours below 8760)",
                           where="siting.flex_share")
        say(f"stage 1: siting on {opt.screening_hours} h of representative days")
        first = solve_siting(replace(problem, options=opt.model_copy(
            update={"hours": opt.screening_hours})), data, progress=progress,
            compare_flex=False, calibrate_base=calibrate_base)
        from aifab.grid._fullyear import full_year

        return full_year(first, problem, data, busmap=user_busmap(opt.data_dir),
                         workers=opt.solver_threads, say=say)
    if opt.network == "full" and opt.full_network == "check":
        # Stage 1: site on the clustered network; stage 2: the full network's LOPF with
        # those campuses fixed, line limits added where lines overload (grid._fullcheck).
        say("stage 1: siting on the clustered network")
        first = solve_siting(replace(problem, options=opt.model_copy(
            update={"network": "clustered"})), data, progress=progress,
            compare_flex=False, calibrate_base=calibrate_base)
        from aifab.grid._fullcheck import full_check

        return full_check(first, problem, data, busmap=user_busmap(opt.data_dir), say=say)
    cal: dict[str, Any] = {"hours": calibration_hours(opt.hours), "network": opt.network,
                           "n_clusters": opt.clusters, "busmap": user_busmap(opt.data_dir)}
    # the no-AI base case behind the calibration rows does not depend on the fleet: on two
    # cores it is solved in a second process while this one sites the fleet
    pending = calibration_beside(opt.solver_threads, data, cal) if calibrate_base else None
    try:
        result = _site_fleet(problem, data, allowed, expansions, say, t0, cal["busmap"],
                             progress=progress, compare_flex=compare_flex,
                             redispatch=redispatch)
    except BaseException:
        if pending is not None:
            pending.cancel()
        raise
    if not calibrate_base:
        return result
    say("calibrating the base case (no AI load)")
    rows = None
    if pending is not None:
        with contextlib.suppress(BackgroundLost):  # lost: solved here instead
            rows = pending.result()
    if rows is None:
        rows = calibrate_cached(data, **cal)
    return replace(result, calibration=tuple(rows))


def _site_fleet(problem: SitingProblem, data: GridData, allowed: Any, expansions: list[str],
                say: Progress, t0: float, busmap: pd.Series | None, *,
                progress: Progress | None, compare_flex: bool,
                redispatch: bool) -> SitingResult:
    """Build the network and the siting model, solve it, read the results (re-dispatched
    with the siting fixed) and, with flexibility offers, the gain over none."""
    opt = problem.options
    say(f"building network ({len(problem.years())} years x {opt.hours} h)")
    if opt.network == "full":
        if data.substations.empty:
            raise BadInput("--network full needs substations (the packaged OSM data)")
        gn = build_full_network(data, problem.years(), hours=opt.hours,
                                demand_growth_per_year=opt.demand_growth_per_year,
                                carbon_price_krw_per_t=opt.carbon_price_krw_per_t,
                                candidate_expansions=opt.allow_expansions,
                                committed_delay_years=opt.committed_delay_years)
    elif opt.network == "clustered" and not data.substations.empty:
        # (data without substations, e.g. a hand-made table, is its own clustering: zonal)
        gn = build_clustered_network(
            data, problem.years(), hours=opt.hours, n_clusters=opt.clusters, busmap=busmap,
            demand_growth_per_year=opt.demand_growth_per_year,
            carbon_price_krw_per_t=opt.carbon_price_krw_per_t,
            candidate_expansions=opt.allow_expansions,
            committed_delay_years=opt.committed_delay_years)
    else:
        gn = build_network(data, problem.years(), hours=opt.hours,
                           demand_growth_per_year=opt.demand_growth_per_year,
                           carbon_price_krw_per_t=opt.carbon_price_krw_per_t,
                           ai_regions=sorted(set(data.sites["region"])),
                           candidate_expansions=opt.allow_expansions,
                           committed_delay_years=opt.committed_delay_years)
    say("building optimisation model")
    n, m = network_and_model(gn.network, include_objective_constant=False)
    gn = replace(gn, network=n)
    sv = add_siting(m, gn, problem, data, allowed, expansions)
    add_interfaces(m, gn, data)
    add_energy_budgets(m, gn, data)
    build_s = time.perf_counter() - t0
    total = m.objective.expression * OBJ_SCALE
    info = _solve_with_offset(m, total, problem, say)
    if info.status == "infeasible":
        hard = [o.name for o in problem.owners
                if o.siting.min_home_share > 0 or not o.siting.allow_shortfall]
        raise Infeasible(
            "no placement meets the hard limits together: "
            + (f"minimum home shares / no-shortfall rules of {', '.join(hard)} "
               if hard else "site ramps and headroom ")
            + "exceed what the sites, headroom and shares allow jointly")
    if not info.has_solution:
        raise Infeasible(f"HiGHS found no feasible solution ({info.termination}) within "
                         f"{opt.time_limit_s:g} s; raise --time-limit or lower --hours")
    say("reading results")
    result = read_result(m, gn, problem, data, sv, info, build_s)
    if redispatch:
        result = with_redispatch(result, m, gn, problem, data, sv, info, build_s, say)
    spec = flex_spec(problem)
    if spec.active and compare_flex:
        say("solving again without flexibility offers (for the gain)")
        plain = solve_siting(replace(problem, options=opt.model_copy(update={
            "flex_share": 0.0 if opt.flex_share is not None else None}),
            owners=tuple(replace(o, siting=o.siting.model_copy(update={
                "flexibility": o.siting.flexibility.model_copy(
                    update={"max_hours_share": 0.0, "storage_mw_per_mw": 0.0})}))
                for o in problem.owners)),
            data, progress=progress, compare_flex=False, calibrate_base=False,
            redispatch=False)
        gain = {y: plain.unpowered_gpus_by_year[y] - result.unpowered_gpus_by_year[y]
                for y in result.years}
        result = replace(result, flexibility={
            "flex_share": opt.flex_share, "connected_gain_by_year": gain,
            "unpowered_without_flex_by_year": dict(plain.unpowered_gpus_by_year),
            **result.flexibility})
    return replace(result, network=gn.level)


def calibration_hours(hours: int) -> int:
    """Hours of the base-case calibration LP: 8 representative days (3 near-peak days kept
    and 5 clusters: the rows are annual energies, and with 4 days one cluster stands for
    362 days; Incheon's self-sufficiency moved from 138 to 125 % on 4 days) unless the run
    itself models fewer than 4 days (tests, quick runs)."""
    return 192 if hours >= 96 else hours


def user_busmap(data_dir: str | None) -> pd.Series | None:
    """The busmap.csv of a user's data directory, if any."""
    if data_dir is None:
        return None
    path = Path(data_dir) / "busmap.csv"
    return read_busmap(path) if path.exists() else None


def _solve_with_offset(m: Any, total: Any, problem: SitingProblem, say: Progress) -> Any:
    """Solve the MIP with its gap measured on the cost the fleet adds: first solve the LP
    relaxation with no AI load, then subtract that cost as a fixed offset."""
    opt = problem.options
    offset = m.add_variables(lower=1, upper=1, name="Objective-offset")
    m.add_objective(total, overwrite=True)
    served = m.variables["Site-served"]
    upper = served.upper.copy()
    served.update(upper=upper * 0)
    say("solving the grid without AI load (LP, reference cost)")
    gp = m.variables["Generator-p"]
    shed = [str(g) for g in gp.coords["name"].values if str(g).startswith("shed ")]
    # the same LP on every run of a scenario: kept on disk, keyed by the LP (grid._lpcache)
    base, figures = solve_cached(
        "reflp", m, lambda: solve_highs(m, time_limit_s=opt.time_limit_s,
                                        threads=opt.solver_threads, relaxation=True,
                                        objective_scale=OBJ_SCALE),
        lambda: {"shed": gp.solution.sel(name=shed)} if shed else {},
        time_limit_s=opt.time_limit_s, threads=opt.solver_threads, relaxation=True,
        objective_scale=OBJ_SCALE)
    served.update(upper=upper)
    shed_base = figures.get("shed") if base.has_solution and shed else None
    # the reference run left every GPU waiting: take that penalty out of its cost
    mean = problem.mean_load()
    if isinstance(mean, float):
        penalty = (float(problem.need()["it_mw"].sum()) * 8760 * mean
                   * opt.unserved_penalty_krw_per_mwh)
    else:
        it = problem.need()["it_mw"].groupby(level="owner").sum()
        penalty = float(sum(float(it[o]) * float(mean.sel(owner=o)) for o in it.index)
                        * 8760 * opt.unserved_penalty_krw_per_mwh)
    base_krw = base.objective_krw - penalty if base.has_solution else 0.0
    fewest_s = (_fewest_waiting(m, problem, say, shed_base) if opt.shortfall == "fewest"
                else 0.0)
    m.add_objective(total - base_krw * OBJ_SCALE * offset, overwrite=True)
    say(f"solving with HiGHS ({int(m.nvars):,} variables, {int(m.ncons):,} constraints)")
    info = solve_highs(m, time_limit_s=opt.time_limit_s, mip_rel_gap=opt.mip_rel_gap,
                       threads=opt.solver_threads, objective_scale=OBJ_SCALE)
    return replace(info, objective_krw=info.objective_krw + base_krw,
                   solve_s=info.solve_s + base.solve_s + fewest_s)


def _fewest_waiting(m: Any, problem: SitingProblem, say: Progress,
                    shed_base: Any = None) -> float:
    """LP: the fewest GPUs waiting in each year that the grid, site ramps and limits allow,
    then cap each year's waiting GPUs there (``Site-fewest-waiting``); returns the LP's
    time. Ordinary load is never shed to power GPUs: in this LP load shedding is held to
    the no-AI reference run's (``shed_base``). Blocks and corridor builds are relaxed,
    but rounding them up keeps the LP's placements feasible (blocks only bound ``cap``
    from above and never bind at their upper bound; a built corridor carries at least a
    part-built one's flow), so the MIP can meet the same counts and the block size cannot
    change them."""
    opt = problem.options
    short = m.variables["Site-short"]
    need = problem.need()
    per_mw = (need["accelerators"] / need["it_mw"].where(need["it_mw"] > 0)).fillna(0.0)
    gpw = xr.DataArray(per_mw.unstack("year").loc[list(short.coords["owner"].values),
                                                  list(short.coords["year"].values)]
                       .to_numpy(float), coords=short.coords, dims=short.dims)
    waiting = (short * gpw).sum("owner")
    m.add_objective(waiting.sum(), overwrite=True)
    gp = m.variables["Generator-p"]
    upper = gp.upper.copy()
    if shed_base is not None:
        held = upper.copy()
        held.loc[{"name": list(shed_base.coords["name"].values)}] = shed_base + 1e-6
        gp.update(upper=held)
    say("solving for the fewest GPUs waiting (LP)")
    info, figures = solve_cached(  # kept on disk like the reference LP
        "fewestlp", m, lambda: solve_highs(m, time_limit_s=opt.time_limit_s,
                                           threads=opt.solver_threads, relaxation=True),
        lambda: {"short": short.solution}, time_limit_s=opt.time_limit_s,
        threads=opt.solver_threads, relaxation=True)
    gp.update(upper=upper)
    if info.has_solution:  # else the MIP reports the infeasibility itself
        least = (figures["short"] * gpw).sum("owner")
        m.add_constraints(waiting <= least + 0.5, name="Site-fewest-waiting")
    return info.solve_s


def problem_from_scenario(scenario: Any, catalog: Any = None, *,
                          hours: int | None = None, time_limit_s: float | None = None,
                          network: str | None = None,
                          flex_share: float | None = None,
                          load_profile: Any = None) -> SitingProblem:
    """Build the siting problem from a Scenario (owners, fleets, facility, siting)."""
    from aifab.power import demand_by_year

    demand = demand_by_year(scenario, catalog)
    owners = tuple(OwnerPrefs(name=o.name, home_region=getattr(o, "home_region", None),
                              siting=getattr(o, "siting", None) or OwnerSiting())
                   for o in scenario.owners)
    opt: SitingOptions = getattr(scenario, "siting", None) or SitingOptions()
    upd: dict[str, Any] = {}
    if hours is not None:
        if not 24 <= hours <= 8760:
            raise BadInput(f"--hours {hours}: must be between 24 and 8760")
        upd["hours"] = hours
    if time_limit_s is not None:
        if time_limit_s <= 0:
            raise BadInput(f"--time-limit {time_limit_s}: must be positive")
        upd["time_limit_s"] = time_limit_s
    if flex_share is not None:
        if not 0 <= flex_share <= 0.2:
            raise BadInput(f"--flex-share {flex_share}: must be between 0 and 0.2")
        upd["flex_share"] = flex_share
    if network is not None:
        if network not in ("clustered", "zonal", "full"):
            raise BadInput(f"--network {network}: must be 'clustered', 'zonal' or 'full'")
        upd["network"] = network
    if upd:
        opt = opt.model_copy(update=upd)
    lf = float(getattr(getattr(scenario, "facility", None), "load_factor", 1.0) or 1.0)
    if load_profile is not None:
        from aifab.grid._loadprofile import check_owners

        check_owners(load_profile, [o.name for o in owners])
    return SitingProblem(demand=demand, owners=owners, options=opt, load_factor=lf,
                         load_profile=load_profile)


def site(scenario: Any, *, catalog: Any = None, data: GridData | None = None,
         hours: int | None = None, time_limit_s: float | None = None,
         network: str | None = None, flex_share: float | None = None,
         load_profile: Any = None, progress: Progress | None = None,
         hosting: bool = False) -> SitingResult:
    """Site a scenario's fleets on the grid (see ``solve_siting``); with a
    ``load_profile`` (:class:`~aifab.grid.LoadProfile`) campuses draw the twin's shape;
    ``hosting`` adds each candidate site's hosting capacity per year (``result.hosting``)."""
    problem = problem_from_scenario(scenario, catalog, hours=hours, time_limit_s=time_limit_s,
                                    network=network, flex_share=flex_share,
                                    load_profile=load_profile)
    opt = problem.options
    data = data if data is not None else load_grid_data(opt.data_dir)
    result = solve_siting(problem, data, progress=progress)
    if not hosting:
        return result
    if progress is not None:
        progress("hosting capacity per site (two LPs per bus and year)")
    from aifab.grid._hosting import hosting_capacity

    hc = hosting_capacity(data, problem.years(), hours=min(opt.hours, 96),
                          network=opt.network, n_clusters=opt.clusters,
                          busmap=user_busmap(opt.data_dir))
    return replace(result, hosting=hc)


def flex_curve(problem: SitingProblem, shares: list[float], data: GridData | None = None, *,
               progress: Progress | None = None) -> pd.DataFrame:
    """Trade-off: for each offered curtailment share, GPUs connected that would otherwise
    wait, curtailed MWh and compute lost, per year (one siting solve per share)."""
    data = data if data is not None else load_grid_data(problem.options.data_dir)
    base = solve_siting(replace(problem, options=problem.options.model_copy(
        update={"flex_share": 0.0})), data, progress=progress, calibrate_base=False)
    rows = []
    for sh in shares:
        r = solve_siting(replace(problem, options=problem.options.model_copy(
            update={"flex_share": float(sh)})), data, progress=progress,
            compare_flex=False, calibrate_base=False)
        f = r.flexibility
        for y in r.years:
            rows.append({"flex_share": float(sh), "year": int(y),
                         "gpus_connected_gain": base.unpowered_gpus_by_year[y]
                         - r.unpowered_gpus_by_year[y],
                         "gpus_waiting": r.unpowered_gpus_by_year[y],
                         "curtailed_mwh": float(f.get("curtailed_mwh", {}).get(y, 0.0)),
                         "compute_lost_gpu_h": float(f.get("compute_lost_gpu_h", {})
                                                     .get(y, 0.0))})
    return pd.DataFrame(rows)
