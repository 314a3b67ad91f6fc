"""The full year (``--hours 8760``): stage 2 of the two-stage run.

Stage 1 sites the campuses on representative days; here every hour of every modelled year
is dispatched with those campuses fixed (``_stage2``). The hours split into blocks of whole
days, so the year is solved as a rolling horizon of 1-day blocks (every block the same
size, so each worker builds one LP and only changes its hourly right-hand sides), shared
between ``workers`` processes. No overlap is needed: with the campuses fixed nothing but
storage links hours, and storage cycles within each day. One-day blocks leave each day's
midnight storage level its own (in a longer block the days share it); on Korea 5-day and
1-day blocks gave the same objective to 1e-15 (4 samples, 2026-12-03), and the 1-day LPs
take about 0.09 CPU-s a day against 0.14 for 5-day ones (HiGHS dual simplex, presolve).
Each block starts from the day before's optimal basis (``WarmLP(warm=True)``: about 0.02
CPU-s a day instead of 0.09), in chunks of ``CHUNK_BLOCKS`` days that start afresh and go
to the workers whole, so the result does not depend on the number of workers.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from aifab._background import Background
from aifab.grid._cluster import build_clustered_network
from aifab.grid._data import GridData
from aifab.grid._network import GridNetwork, build_network
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

BLOCK_DAYS = 1  # 1-day LPs solve fastest per day (see above)
CHUNK_BLOCKS = 30  # blocks solved warm in a row; chunks are dealt to the workers whole


def full_year_network(data: GridData, years: list[int], opt: Any, built: dict[str, int],
                      busmap: Any = None) -> GridNetwork:
    """The siting network over all 8,760 hours of each year, chosen corridors built."""
    kw: dict[str, Any] = {"demand_growth_per_year": opt.demand_growth_per_year,
                          "carbon_price_krw_per_t": opt.carbon_price_krw_per_t,
                          "committed_delay_years": opt.committed_delay_years,
                          "built_expansions": dict(built)}
    if opt.network == "clustered" and not data.substations.empty:
        return build_clustered_network(data, years, hours=8760, n_clusters=opt.clusters,
                                       busmap=busmap, **kw)
    return build_network(data, years, hours=8760,
                         ai_regions=sorted(set(data.sites["region"])), **kw)


def _worker(args: tuple[Any, ...]) -> tuple[Tally, float, float, int]:
    data, years, opt, built, busmap, loads, penalty, blocks, threads = args
    gn = full_year_network(data, years, opt, built, busmap)
    fix_campuses(gn, loads, penalty)
    return solve_blocks(gn, data, loads, blocks, threads)


def solve_blocks(gn: GridNetwork, data: GridData, loads: pd.DataFrame,
                 blocks: list[np.ndarray], threads: int,
                 chunk: int = CHUNK_BLOCKS) -> tuple[Tally, float, float, int]:
    """Dispatch ``blocks`` in turn (one LP per block length, right-hand sides changed,
    each block warm from the one before; every ``chunk`` blocks the basis is dropped, so
    a run of ``chunk`` blocks solves alike on any worker); returns the tally, LP seconds,
    model-building seconds and the LP's variables."""
    tally = Tally(years=gn.years)
    lps: dict[int, WarmLP] = {}
    lp_s = build_s = 0.0
    for k, snaps in enumerate(blocks):
        lp = lps.get(len(snaps))
        if lp is None:
            t0 = time.perf_counter()
            lp = lps[len(snaps)] = WarmLP(gn, data, snaps, threads=threads, warm=True)
            build_s += time.perf_counter() - t0 - lp.info.solve_s
            lp_s += lp.info.solve_s
            if lp.x is None:
                raise RuntimeError(f"full-year dispatch: block {k + 1} has no solution")
        if k % chunk == 0:
            lp.restart()
        lp.set_block(snaps)
        st, dt = lp.solve()
        lp_s += dt
        if st != "optimal":
            raise RuntimeError(f"full-year dispatch: block {k + 1} has no solution")
        tally.add(lp.sol, gn, snaps, loads)
    nv = max((int(lp.m.nvars) for lp in lps.values()), default=0)
    return tally, lp_s, build_s, nv


def merge(parts: list[Tally]) -> Tally:
    """One tally from the workers' tallies (sums; maxima for peaks and flows)."""
    out = Tally(years=parts[0].years)
    for p in parts:
        for name in ("gen_krw", "co2_t", "shed_mwh", "curtailed_mwh", "curtailed_hours",
                     "hours"):
            d = getattr(out, name)
            for y, v in getattr(p, name).items():
                d[y] = d.get(y, 0.0) + v
        for y, mv in p.short_hours.items():
            d = out.short_hours.setdefault(y, {})
            for mo, h in mv.items():
                d[mo] = d.get(mo, 0.0) + h
        for y, v in p.curtailed_max_mw.items():
            out.curtailed_max_mw[y] = max(out.curtailed_max_mw.get(y, 0.0), v)
        for y, s in p.max_flow.items():
            prev = out.max_flow.get(y)
            out.max_flow[y] = s if prev is None else prev.combine(s, max, 0.0)
    return out


def full_year(first: SitingResult, problem: Any, data: GridData, *, busmap: Any = None,
              workers: int = 2, say: Any = None) -> SitingResult:
    """Stage 2 over every hour: ``first`` with its costs, CO2, corridor loadings and
    ``second_stage`` from the full-year dispatch of its campuses."""
    say = say or (lambda _m: None)
    opt = problem.options
    years = list(first.years)
    t0, cpu0 = time.perf_counter(), cpu_s()
    say(f"stage 2: building the full-year network ({len(years)} years x 8760 h)")
    gn = full_year_network(data, years, opt, first.expansions_built, busmap)
    loads = campus_loads(gn, first.placements, problem.hourly_load(gn.network.snapshots))
    penalty = opt.unserved_penalty_krw_per_mwh
    blocks = day_blocks(gn, BLOCK_DAYS)
    build_s = time.perf_counter() - t0
    say(f"stage 2: dispatching {len(blocks)} blocks of {BLOCK_DAYS} day{'s' * (BLOCK_DAYS > 1)} "
        f"({workers} worker{'s' if workers > 1 else ''})")
    t1 = time.perf_counter()
    if workers <= 1 or len(blocks) < 2 * workers:
        fix_campuses(gn, loads, penalty)
        tally, lp_s, mb_s, nv = solve_blocks(gn, data, loads, blocks, opt.solver_threads)
        parts_s = [lp_s]
    else:
        chunks = [blocks[i:i + CHUNK_BLOCKS] for i in range(0, len(blocks), CHUNK_BLOCKS)]
        share = [[b for c in chunks[i::workers] for b in c] for i in range(workers)]
        args = [(data, years, opt, first.expansions_built, busmap, loads, penalty, b, 1)
                for b in share]
        # one second interpreter per share (aifab._background: a user's script without a
        # main guard is not imported again, as multiprocessing's spawn would)
        jobs = [Background(_worker, a) for a in args]
        try:
            got = [job.result() for job in jobs]
        finally:
            for job in jobs:
                job.cancel()
        tally = merge([g[0] for g in got])
        parts_s = [g[1] for g in got]
        lp_s, mb_s, nv = sum(parts_s), sum(g[2] for g in got), max(g[3] for g in got)
    dispatch_s = time.perf_counter() - t1
    say(f"stage 2: dispatched in {dispatch_s:.1f} s; stage 2 took "
        f"{time.perf_counter() - t0:.1f} s wall, {cpu_s() - cpu0:.1f} CPU-s (this process "
        f"and its workers)")
    return _with_full_year(first, gn, tally, loads, {
        "blocks": len(blocks), "block_days": BLOCK_DAYS, "workers": max(1, workers),
        "lp_s": round(lp_s, 1), "model_build_s": round(mb_s, 1),
        "network_build_s": round(build_s, 1), "dispatch_wall_s": round(dispatch_s, 1),
        "lp_variables": nv})


def _with_full_year(first: SitingResult, gn: GridNetwork, tally: Tally,
                    loads: pd.DataFrame, run: dict[str, Any]) -> SitingResult:
    """Replace stage 1's operating figures by the full year's and say how they moved."""
    from aifab.grid._results import corridor_table

    ac = first.annual_cost.copy()
    by_year, diff = {}, {}
    shed_cost = (ac["load_shed_krw"] / ac["load_shed_mwh"].where(ac["load_shed_mwh"] > 0)
                 ).dropna()
    voll = float(shed_cost.iloc[0]) if len(shed_cost) else 1.0e7
    for i, y in enumerate(first.years):
        rep = ac.iloc[i]
        gen, co2 = tally.gen_krw.get(y, 0.0), tally.co2_t.get(y, 0.0) / 1e6
        shed = tally.shed_mwh.get(y, 0.0)
        cmax = tally.curtailed_max_mw.get(y, 0.0)
        by_year[y] = {
            "generation_krw": gen, "co2_mt": round(co2, 3), "load_shed_mwh": round(shed, 1),
            "campus_curtailed_mwh": round(tally.curtailed_mwh.get(y, 0.0), 1),
            "campus_curtailed_hours": round(tally.curtailed_hours.get(y, 0.0), 1),
            "campus_curtailed_max_mw": round(cmax, 1),
            "gpus_unpowered_worst_hour": gpus_in_hour(first.placements, gn, loads, cmax, y),
            "short_hours_by_month": {mo: round(h, 1) for mo, h in
                                     sorted(tally.short_hours.get(y, {}).items())},
            "hours": round(tally.hours.get(y, 0.0), 1)}
        diff[y] = {
            "generation_pct": round((gen / float(rep["generation_krw"]) - 1) * 100, 2)
            if float(rep["generation_krw"]) else None,
            "co2_pct": round((co2 / first.co2_mt_by_year[y] - 1) * 100, 2)
            if first.co2_mt_by_year.get(y) else None,
            "load_shed_mwh": round(shed - float(rep["load_shed_mwh"]), 1)}
        ac.loc[ac.index[i], "generation_krw"] = gen
        ac.loc[ac.index[i], "load_shed_mwh"] = shed
        ac.loc[ac.index[i], "load_shed_krw"] = shed * voll
    ac["total_krw"] = ac[["generation_krw", "site_build_krw", "corridor_expansion_krw",
                          "shortfall_penalty_krw", "load_shed_krw"]].sum(axis=1)
    cor = first.corridors.copy()
    lim = corridor_table(gn.network)["p_nom_mw"]
    worst = pd.Series(0.0, index=cor.index)
    for y in first.years:
        f = tally.max_flow.get(y)
        if f is None:
            continue
        pct = [round(float(f.get(nm, 0.0)) / float(lim.get(nm, np.nan)) * 100, 1)
               if float(lim.get(nm, 0.0)) > 0 else 0.0 for nm in cor["name"]]
        cor[f"max_loading_pct_{y}"] = pct
        worst = worst.combine(pd.Series(pct, index=cor.index), max, 0.0)
    cor["max_loading_pct"] = worst.round(1)
    second = {"kind": "full_year", "method": (
        f"every hour of each year, campuses of stage 1 fixed; rolling horizon of "
        f"{run['block_days']}-day blocks (storage cycles within each day)"),
        **run, "by_year": by_year, "change_vs_representative_days": diff,
        "representative_days": {
            y: {"generation_krw": float(ac0["generation_krw"]),
                "co2_mt": round(first.co2_mt_by_year[y], 3),
                "load_shed_mwh": round(float(ac0["load_shed_mwh"]), 1)}
            for y, (_, ac0) in zip(first.years, first.annual_cost.iterrows(), strict=True)}}
    return replace(first, annual_cost=ac, objective_krw=float(ac["total_krw"].sum()),
                   co2_mt_by_year={y: tally.co2_t.get(y, 0.0) / 1e6 for y in first.years},
                   corridors=cor, hours_per_year=8760,
                   time_method=f"full year, two stages ({first.time_method} siting)",
                   second_stage=second)
