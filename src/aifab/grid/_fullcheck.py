"""``--network full`` (``siting.full_network=check``): check the clustered siting on the
full network, adding line limits where lines overload.

Stage 1 sites the campuses on the clustered network. Stage 2 fixes them (their powered MW
become hourly loads at their substations) and dispatches the full OSM network (one bus per
substation, every line with its own reactance: a linear power flow with KVL), one modelled
day at a time (days are independent once campuses are fixed: storage cycles daily):

- first without the campuses, every single line free: what each line carries anyway. The
  full network's own limits (rating x 0.5 per line, demand spread equally over a
  province's substations, plants over its 345/765 kV ones) cannot carry today's load:
  enforcing them all sheds ordinary load on the peak day even with no campus. So a line
  is allowed, hour by hour, the larger of its limit and its flow without the campuses:
  the check asks what the campuses add;
- round 0 with the campuses enforces only what the clustered model saw: for every pair
  of clusters, the sum of the flows on the lines between them within the aggregated
  line's N-1 limit (and the interfaces);
- each line the round's flows load above its allowance gets it as a limit (a cut) and
  the day is solved again, until no line is over. Cuts are kept for the later days. The
  LP may re-dispatch plants, curtail campuses (at the unserved-GPU penalty) or, last,
  shed ordinary load (value of lost load) to meet them.

Reported (``SitingResult.second_stage``): the overloaded lines found (with the round, day
and loading when found), the rounds, the cost of re-dispatch, campus curtailment and load
shed on the full network, and whether the final check passed (no line above its limit).
"""

from __future__ import annotations

import resource
import time
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from aifab.grid._data import GridData
from aifab.grid._network import GridNetwork
from aifab.grid._results import SitingResult
from aifab.grid._stage2 import (
    Tally,
    WarmLP,
    campus_loads,
    cpu_s,
    day_blocks,
    fix_campuses,
    gpus_in_hour,
)

FREE_MW = 1.0e9  # a line limit switched off
TOL = 1e-4  # relative overload below which a line counts as within its limit
# Re-solve from the last basis (WarmLP(warm=True))? Off: 85.6 against about 153 CPU-s for
# the Korean check (sixth session), but each line's allowance is its flow without the
# campuses, which equal-cost dispatches left open, so the answer followed the solve path
# (2027: ordinary load shed 3,710 -> 1,469 MWh, campus curtailment 20,698 -> 12,208 MWh).
# The block LPs now carry tie-break costs (grid._tiebreak) that fix one dispatch (warm ==
# cold on the toy, tests/grid/test_tiebreak.py); on Korea (144 h) warm and cold give the
# same allowance, curtailment, lines and load shed since the eighth session's jitter and
# 1e-9 dual tolerance (within 1.6 % before), 248 vs 400 CPU-s: warm.
WARM = True


def cluster_groups(gn: GridNetwork, bus_cluster: dict[str, str],
                   limits: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Coefficients (group x line: +1 from bus0's cluster to bus1's, -1 reversed) and limit
    (MW) of every aggregated line of ``limits`` (columns bus0, bus1, s_nom, s_max_pu)."""
    lines = gn.network.lines
    c0 = lines["bus0"].map(bus_cluster).to_numpy()
    c1 = lines["bus1"].map(bus_cluster).to_numpy()
    coef = np.zeros((len(limits), len(lines)))
    for i, (a, b) in enumerate(zip(limits["bus0"], limits["bus1"], strict=True)):
        coef[i] = (c0 == a) & (c1 == b)
        coef[i] -= (c0 == b) & (c1 == a)
    keep = np.abs(coef).sum(axis=1) > 0
    lim = (limits["s_nom"] * limits["s_max_pu"]).astype(float)
    return (pd.DataFrame(coef[keep], index=limits.index[keep], columns=lines.index),
            lim[keep])


def _add_groups(m: Any, coef: pd.DataFrame, lim: pd.Series) -> None:
    """The clustered model's limits on the full network's flows; every line set free."""
    if len(coef):
        c = xr.DataArray(coef.to_numpy(), coords={"group": list(coef.index),
                                                  "name": list(coef.columns)},
                         dims=("group", "name"))
        flow = (m.variables["Line-s"] * c).sum("name")
        lim_da = xr.DataArray(lim.to_numpy(float), coords={"group": list(lim.index)},
                              dims="group")
        m.add_constraints(flow <= lim_da, name="Cluster-limit-upper")
        m.add_constraints(flow >= -lim_da, name="Cluster-limit-lower")
    for side, big in (("upper", FREE_MW), ("lower", -FREE_MW)):
        con = m.constraints[f"Line-fix-s-{side}"]
        con.update(rhs=con.rhs * 0 + big)


def check_lines(gn: GridNetwork, data: GridData, loads: pd.DataFrame, coef: pd.DataFrame,
                lim: pd.Series, *, max_rounds: int = 30, threads: int = 2,
                say: Any = None, warm: bool = False) -> dict[str, Any]:
    """Dispatch ``gn`` (campus sinks already fixed) day by day: round 0 with only the
    cluster limits ``coef``/``lim``, then a line limit for every line found overloaded,
    until none is. Returns the check's figures (see the module doc)."""
    say = say or (lambda _m: None)
    n: Any = gn.network
    limit = (n.lines["s_nom"] * n.lines["s_max_pu"]).astype(float)
    names = [str(x) for x in n.lines.index]
    blocks = day_blocks(gn, 1)
    first, final = Tally(years=gn.years), Tally(years=gn.years)
    enforced: set[str] = set()
    found: list[dict[str, Any]] = []
    rounds, lp_s, worst_final = [], 0.0, 0.0
    t0 = time.perf_counter()
    lp = WarmLP(gn, data, blocks[0], threads=threads, warm=warm,
                extra=lambda m: _add_groups(m, coef, lim))
    build_s = time.perf_counter() - t0 - lp.info.solve_s
    lp_s += lp.info.solve_s
    converged = True
    sinks = list(loads.columns)
    base = Tally(years=gn.years)
    lim_np = limit.to_numpy()
    allow = np.tile(lim_np, (len(blocks[0]), 1))
    for k, snaps in enumerate(blocks):
        y = int(gn.snapshot_year[snaps[0]])
        day = int(gn.snapshot_day[snaps[0]])
        say(f"stage 2: full-network check, {y} day {day + 1}")
        # without the campuses, lines free: what each line carries anyway (the allowance)
        _free(lp, names, len(snaps))
        lp.set_block(snaps, without=sinks)
        lp_s += _solve(lp, k, "without campuses")
        b = lp.sol("Line-s")
        assert b is not None
        base.add(lp.sol, gn, snaps, loads.iloc[:, :0])
        allow = np.maximum(lim_np[None, :], b[names].abs().to_numpy())
        lp.set_block(snaps)
        _enforce(lp, names, enforced, allow)
        lp_s += _solve(lp, k, "with campuses")
        r = 0
        while True:
            flows = lp.sol("Line-s")
            assert flows is not None
            ratio = flows[names].abs().to_numpy() / allow
            load = pd.Series(ratio.max(axis=0), index=names)
            if r == 0:
                first.add(lp.sol, gn, snaps, loads)
            over = [x for x in load.index[load > 1 + TOL] if x not in enforced]
            if not over or r >= max_rounds:
                converged = converged and not over
                worst_final = max(worst_final, float(load.max()))
                break
            for x in over:
                found.append({"line": x, "bus0": str(n.lines.at[x, "bus0"]),
                              "bus1": str(n.lines.at[x, "bus1"]),
                              "region0": gn.bus_region.get(str(n.lines.at[x, "bus0"]), ""),
                              "region1": gn.bus_region.get(str(n.lines.at[x, "bus1"]), ""),
                              "limit_mw": round(float(limit[x]), 1),
                              "allowed_mw": round(float(allow[:, names.index(x)].max()), 1),
                              "loading_pct": round(float(load[x]) * 100, 1),
                              "year": y, "day": day + 1, "round": r})
            enforced.update(over)
            _enforce(lp, names, enforced, allow)
            lp_s += _solve(lp, k, f"round {r + 1}")
            r += 1
        rounds.append(r)
        final.add(lp.sol, gn, snaps, loads)
    return {"first": first, "final": final, "base": base, "found": found, "rounds": rounds,
            "enforced": sorted(enforced), "converged": converged,
            "max_loading_pct": round(worst_final * 100, 1), "lp_s": lp_s,
            "model_build_s": build_s, "lp_variables": int(lp.m.nvars), "days": len(blocks)}


def _free(lp: WarmLP, names: list[str], hours: int) -> None:
    for side, sgn in (("upper", 1.0), ("lower", -1.0)):
        lp.rows(f"Line-fix-s-{side}", pd.DataFrame(np.full((hours, len(names)), sgn * FREE_MW),
                                                   columns=names))


def _enforce(lp: WarmLP, names: list[str], enforced: set[str], allow: np.ndarray) -> None:
    on = np.array([x in enforced for x in names])
    vals = np.where(on[None, :], allow, FREE_MW)
    for side, sgn in (("upper", 1.0), ("lower", -1.0)):
        lp.rows(f"Line-fix-s-{side}", pd.DataFrame(sgn * vals, columns=names))


def _solve(lp: WarmLP, k: int, what: str) -> float:
    st, dt = lp.solve()
    if st != "optimal":
        raise RuntimeError(f"full-network check: day {k + 1} ({what}) has no solution ({st})")
    return dt


def full_check(first: SitingResult, problem: Any, data: GridData, *, busmap: Any = None,
               say: Any = None) -> SitingResult:
    """Check ``first`` (a clustered siting) on the full network; ``first`` comes back with
    ``network='full'`` and the check in ``second_stage``."""
    from aifab.grid._cluster import cluster_lines, make_busmap
    from aifab.grid._full import backbone, build_full_network

    say = say or (lambda _m: None)
    opt = problem.options
    t0, cpu0 = time.perf_counter(), cpu_s()
    say(f"stage 2: building the full network ({len(first.years)} years x {opt.hours} h)")
    gn = build_full_network(data, list(first.years), hours=opt.hours,
                            demand_growth_per_year=opt.demand_growth_per_year,
                            carbon_price_krw_per_t=opt.carbon_price_krw_per_t,
                            committed_delay_years=opt.committed_delay_years,
                            built_expansions=dict(first.expansions_built))
    loads = campus_loads(gn, first.placements, problem.hourly_load(gn.network.snapshots))
    fix_campuses(gn, loads, opt.unserved_penalty_krw_per_mwh)
    kept, al, _ = backbone(data)
    bm = (busmap if busmap is not None else make_busmap(data.substations, kept,
                                                        opt.clusters)).loc[list(kept)]
    agg = cluster_lines(al, bm, data.substations)
    coef, lim = cluster_groups(gn, {f"sub {s}": str(c) for s, c in bm.items()}, agg)
    build_s = time.perf_counter() - t0
    chk = check_lines(gn, data, loads, coef, lim, threads=opt.solver_threads, say=say,
                      warm=WARM)
    say(f"stage 2: full-network check took {time.perf_counter() - t0:.1f} s wall, "
        f"{cpu_s() - cpu0:.1f} CPU-s")
    return replace(first, network="full", second_stage=summary(
        chk, gn, first, loads, wall_s=time.perf_counter() - t0, build_s=build_s))


def summary(chk: dict[str, Any], gn: GridNetwork, first: SitingResult, loads: pd.DataFrame,
            *, wall_s: float, build_s: float) -> dict[str, Any]:
    """The JSON-ready check record."""
    f0, f1, fb = chk["first"], chk["final"], chk["base"]
    by_year = {}
    for y in gn.years:
        cmax = f1.curtailed_max_mw.get(y, 0.0)
        by_year[int(y)] = {
            "redispatch_cost_krw": round(f1.gen_krw.get(y, 0.0) - f0.gen_krw.get(y, 0.0)),
            "generation_krw_round0": round(f0.gen_krw.get(y, 0.0)),
            "generation_krw": round(f1.gen_krw.get(y, 0.0)),
            "load_shed_mwh_without_campuses": round(fb.shed_mwh.get(y, 0.0), 1),
            "load_shed_mwh_round0": round(f0.shed_mwh.get(y, 0.0), 1),
            "load_shed_mwh": round(f1.shed_mwh.get(y, 0.0), 1),
            "campus_curtailed_mwh_round0": round(f0.curtailed_mwh.get(y, 0.0), 1),
            "campus_curtailed_mwh": round(f1.curtailed_mwh.get(y, 0.0), 1),
            "campus_curtailed_max_mw": round(cmax, 1),
            "gpus_unpowered_worst_hour": gpus_in_hour(first.placements, gn, loads, cmax, y)}
    found = sorted(chk["found"], key=lambda d: -float(d["loading_pct"]))
    return {
        "kind": "full_network_check",
        "check": "passed" if chk["converged"] and chk["max_loading_pct"] <= 100 * (1 + TOL)
        else "failed",
        "buses": len(gn.network.buses), "lines": len(gn.network.lines),
        "days": chk["days"], "rounds_total": int(sum(chk["rounds"])),
        "rounds_max_per_day": int(max(chk["rounds"], default=0)),
        "lines_overloaded": len(found), "lines_enforced": len(chk["enforced"]),
        "overloaded_lines": found,
        "max_loading_pct_final": chk["max_loading_pct"],
        "by_year": by_year,
        "wall_s": round(wall_s, 1), "network_build_s": round(build_s, 1),
        "model_build_s": round(chk["model_build_s"], 1), "lp_s": round(chk["lp_s"], 1),
        "lp_variables": chk["lp_variables"],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
