"""Re-dispatch with the siting fixed: the flows and operating figures a siting run reports.

The siting MIP stops within its gap (1 %), and its incumbent's dispatch is one of many:
plants of one marginal cost trade output at no change in cost, storage shifts energy
between hours of equal cost, and on the zonal (transport) model flows may go round a
loop. Corridor loadings read from the incumbent followed the solve path (single corridors
moved by up to 33 points between near-identical runs, issue 20). So after the MIP the
siting decisions are fixed (each owner's powered IT MW per site and year, ``Site-served``,
and the corridor builds, ``Corridor-build``) and the same model (same network,
representative days, interfaces, energy budgets, flexibility offers) is solved again as an
LP with tie-break costs added to its objective:

- every generator except the campus sinks, and every storage unit: the offsets of
  ``grid._tiebreak`` (rank within the cost level, a per-unit jitter by hour of the day,
  the hour term; as every stage-2 LP, and at its dual feasibility tolerance ``DUAL_TOL``;
  the sinks' draw is fixed by the siting, so they take no rank and do not shrink the
  solar/wind step);
- every link (zonal corridors, HVDC): a cost on its absolute flow, per km of the link
  (``LINK_KRW_PER_MWH_KM``, shrunk so that a path through every link costs under
  ``GAP_SHARE`` of the smallest gap between two plants' marginal costs): among flows of
  equal cost the one with the least MW-km, so a loop carries no circulation and an HVDC link
  runs only where it saves cost. (``_tiebreak.tie_break`` charges a link's signed flow,
  which on a loop rewards a circulation; it is not used for links here.)

The re-dispatch gives ``corridors``, ``annual_cost_krw`` (generation, load shed; total
recomputed), ``co2_mt``, ``regions`` (local surplus) and ``flexibility`` (curtailment, an
hourly decision); placements, GPUs waiting, blocks, site capacity, corridor builds and
the MIP's objective and gap stay the MIP's (``grid._site``).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from aifab.grid._data import GridData
from aifab.grid._model import SitingProblem, SitingVars
from aifab.grid._network import GridNetwork
from aifab.grid._results import SitingResult, read_result
from aifab.grid._solver import SolveInfo, solve_highs
from aifab.grid._tiebreak import (
    DUAL_TOL,
    GAP_SHARE,
    dispatch_term,
    generator_offsets,
    snapshot_weights,
    storage_terms,
)

OBJ_SCALE = 1e-6  # the siting model's objective is in million KRW
FIXED = ("Site-served", "Corridor-build")  # the siting decisions the LP keeps
LINK_KRW_PER_MWH_KM = 0.01  # 1 KRW/MWh per 100 km of link, at most (see above)
SOURCE_LP = "fixed-siting LP with tie-break costs"
SOURCE_MIP = "MIP incumbent"
METHOD = ("siting fixed at the MIP's incumbent (powered IT MW per site and year, corridor "
          "builds); the same network and representative days re-dispatched as an LP with "
          "tie-break costs (plants and storage by rank and jittered hour, links by MW-km)")


def link_weights(n: Any, names: list[str]) -> pd.Series:
    """KRW/MWh per MW of each link's absolute flow: its length (km; a link without one
    takes the median) x a per-km rate, at most ``LINK_KRW_PER_MWH_KM`` and small enough
    that a path through every link stays under ``GAP_SHARE`` of the smallest gap between
    two marginal cost levels (campus sinks left out): no real cost order is overturned."""
    length = n.links["length"].reindex(names).astype(float).fillna(0.0)
    pos = length[length > 0]
    length = length.where(length > 0, float(pos.median()) if len(pos) else 100.0)
    mc = n.generators.loc[n.generators["carrier"] != "ai", "marginal_cost"].to_numpy(float)
    levels = np.unique(mc)
    gap = float(np.diff(levels).min()) if len(levels) > 1 else np.inf
    rate = min(LINK_KRW_PER_MWH_KM, GAP_SHARE * gap / float(length.sum()))
    return pd.Series(length.to_numpy(float) * rate, index=length.index)


def add_tie_break(m: Any, n: Any) -> None:
    """Add the tie-break costs (module doc) to ``m``'s objective (million KRW)."""
    snaps = [s for s in m.variables["Generator-p"].coords["snapshot"].values]
    w_da = snapshot_weights(n, snaps)
    total = m.objective.expression + OBJ_SCALE * dispatch_term(
        m, "Generator-p", generator_offsets(n, snaps, skip_carriers=("ai",)), w_da)
    for t in storage_terms(m, n, snaps, w_da):
        total = total + OBJ_SCALE * t
    if "Link-p" in m.variables and len(n.links):
        lp = m.variables["Link-p"]
        lnames = [str(x) for x in lp.coords["name"].values]
        mag = m.add_variables(lower=xr.zeros_like(lp.lower), name="Link-abs-tiebreak")
        m.add_constraints(mag - lp >= 0, name="Link-abs-tiebreak-up")
        m.add_constraints(mag + lp >= 0, name="Link-abs-tiebreak-down")
        wl = xr.DataArray(link_weights(n, lnames).to_numpy(float), coords={"name": lnames},
                          dims="name")
        total = total + (mag * (wl * w_da * OBJ_SCALE)).sum()
    m.add_objective(total, overwrite=True)


def redispatch(m: Any, n: Any, *, threads: int = 2,
               time_limit_s: float | None = None) -> dict[str, Any]:
    """Fix ``m``'s siting decisions (``FIXED``) at the solved incumbent, add the tie-break
    costs and solve again as an LP; ``m`` then holds the re-dispatch. Returns the LP's
    status, seconds and size (``optimal`` False: ``m``'s solution is not to be read)."""
    t0 = time.perf_counter()
    for name in FIXED:
        if name in m.variables:
            var = m.variables[name]
            sol = var.solution.round() if name == "Corridor-build" else var.solution
            # within its bounds: an incumbent may pass them by the solver's tolerance;
            # linopy's rounding to 9 decimals may then pass a bound with more decimals by
            # < 5e-10 (well inside HiGHS's feasibility tolerance), which it warns about
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Fix values for variable", UserWarning)
                var.fix(sol.clip(var.lower, var.upper), decimals=9)
    add_tie_break(m, n)
    t1 = time.perf_counter()
    info = solve_highs(m, time_limit_s=time_limit_s, threads=threads, relaxation=True,
                       objective_scale=OBJ_SCALE,
                       options={"dual_feasibility_tolerance": DUAL_TOL})  # grid._tiebreak
    return {"optimal": info.status == "optimal", "status": info.termination,
            "solve_s": time.perf_counter() - t0, "lp_variables": int(info.n_variables),
            "setup_s": t1 - t0}


def with_redispatch(first: SitingResult, m: Any, gn: GridNetwork, problem: SitingProblem,
                    data: GridData, sv: SitingVars, info: SolveInfo, build_s: float,
                    say: Any = None) -> SitingResult:
    """``first`` (read from the MIP's incumbent) with its dispatch figures from the
    re-dispatch of ``m`` (module doc) and a ``dispatch`` block naming their source. Should
    the LP fail, the incumbent's figures stay, and the block says so."""
    say = say or (lambda _m: None)
    opt = problem.options
    say("re-dispatching with the siting fixed (LP, tie-break costs)")
    t0 = time.perf_counter()
    run = redispatch(m, gn.network, threads=opt.solver_threads,
                     time_limit_s=opt.time_limit_s)
    block = {"source": SOURCE_LP if run["optimal"] else SOURCE_MIP,
             "method": METHOD, "status": run["status"], "solve_s": round(run["solve_s"], 3),
             "lp_variables": run["lp_variables"]}
    if not run["optimal"]:
        return replace(first, dispatch=block, solve_s=first.solve_s + run["solve_s"])
    lp = read_result(m, gn, problem, data, sv, info, build_s)
    ac = first.annual_cost.copy()
    for col in ("generation_krw", "load_shed_krw", "load_shed_mwh"):
        ac[col] = lp.annual_cost[col].to_numpy()
    ac["total_krw"] = ac[["generation_krw", "site_build_krw", "corridor_expansion_krw",
                          "shortfall_penalty_krw", "load_shed_krw"]].sum(axis=1)
    moved = _largest_move(first.corridors, lp.corridors, first.years)
    say(f"re-dispatch: {run['solve_s']:.1f} s (set-up {run['setup_s']:.1f} s), read "
        f"{time.perf_counter() - t0 - run['solve_s']:.1f} s; corridor loadings moved by up to "
        f"{moved:.1f} points from the MIP incumbent's, generation cost by "
        f"{_pct(lp.annual_cost, first.annual_cost):+.3f} %")
    return replace(first, corridors=lp.corridors, annual_cost=ac,
                   co2_mt_by_year=lp.co2_mt_by_year, regions=lp.regions,
                   flexibility=lp.flexibility, dispatch=block,
                   solve_s=first.solve_s + run["solve_s"])


def _largest_move(a: pd.DataFrame, b: pd.DataFrame, years: tuple[int, ...]) -> float:
    cols = [f"max_loading_pct_{y}" for y in years]
    if a.empty:
        return 0.0
    return float(np.abs(a[cols].to_numpy(float) - b[cols].to_numpy(float)).max(initial=0.0))


def _pct(new: pd.DataFrame, old: pd.DataFrame) -> float:
    o = float(old["generation_krw"].sum())
    return (float(new["generation_krw"].sum()) / o - 1) * 100 if o else 0.0
