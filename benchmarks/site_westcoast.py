"""The model's yearly cost of the west-coast export limit, against MOTIE's figure.

MOTIE (2 Apr 2025, via Dong-A Ilbo, Chosun Biz and Maeil Business): the 345 kV
Bukdangjin-Shintangjeong line (in service Nov 2024) carries 1.3 GW of the Chungnam west
coast's generation inland and is expected to save "about 350 bn KRW a year" of additional
power purchases (전력 추가구입비). The model did not use that figure. Here the calibration's
base case (the clustered network, 2025, no AI load, 192 h scaled to the calendar's energy)
is solved with the ``West coast export`` limit of ``interfaces.csv`` at its value, at the
ends of its stated range (4,600-5,600 MW) and each plus 1,300 MW; the saving is the fall
in generation cost (real marginal costs) per year.

    python benchmarks/site_westcoast.py [--hours 192] [--check]

``--check``: the calibration row (``west-coast limit: yearly cost saved by 1.3 GW more
export``, which raises the solved base case's interface rows in the HiGHS model and solves
again from the basis) against this cold way at the input limit: they must agree to 0.1 %
(two solves of one LP within HiGHS's optimality tolerance, and the row rounded to 0.001 bn
KRW); exit 1 if not. Until the fortieth session tests/grid/test_calibration.py did this
(36-39 s of CI at 192 hours on a busy machine).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from aifab.grid import load_grid_data, problem_from_scenario
from aifab.grid._calibration import CALIBRATION_YEAR
from aifab.grid._cluster import build_clustered_network
from aifab.grid._network import quiet_pypsa, time_slices
from aifab.grid._solver import solve_dispatch
from aifab.scenario import load_scenario

ROW = "West coast export"
LINE_MW = 1300.0  # Bukdangjin-Shintangjeong (MOTIE, 2 Apr 2025)


def generation_cost(data: Any, limit_mw: float, hours: int, clusters: int) -> dict[str, float]:
    """Generation cost (KRW/year), pocket coal (TWh) and load shed (MWh) of the base case
    with the west-coast limit at ``limit_mw``."""
    itf = data.interfaces.copy()
    itf.loc[itf["name"] == ROW, "limit_mw"] = limit_mw
    d = replace(data, interfaces=itf)
    gn = build_clustered_network(d, [CALIBRATION_YEAR], hours=hours, n_clusters=clusters,
                                 slices=time_slices(d, hours))
    n: Any = gn.network
    m, info = solve_dispatch(gn, d)
    if not info.has_solution:
        raise RuntimeError(f"base case did not solve ({info.termination})")
    w = n.snapshot_weightings["objective"].to_numpy()
    e = m.variables["Generator-p"].solution.to_pandas().mul(w, axis=0).sum()
    g = n.generators.loc[e.index]
    real = ~g["carrier"].isin(["shed", "ai"])
    pocket = real & g.index.str.contains("Dangjin|Taean")
    return {"cost_krw": float((e[real] * g.loc[real, "marginal_cost"]).sum()),
            "pocket_twh": float(e[pocket].sum()) / 1e6, "shed_mwh": float(e[~real].sum())}


def check(data: Any, base: float, hours: int, clusters: int) -> int:
    """0 when the calibration row's saving and the cold solves' agree to 0.1 %, else 1."""
    from aifab.grid import calibrate

    metric = "west-coast limit: yearly cost saved by 1.3 GW more export"
    row = {r.metric: r for r in calibrate(data, hours=hours, n_clusters=clusters)}[metric]
    cold = (generation_cost(data, base, hours, clusters)["cost_krw"]
            - generation_cost(data, base + LINE_MW, hours, clusters)["cost_krw"]) / 1e9
    rel = row.ours / cold - 1.0
    ok = abs(rel) <= 1e-3
    print(f"{hours} h: row {row.ours:,.3f} bn KRW/year (re-solved from the basis), cold "
          f"{cold:,.4f}: {rel:+.2e} ({'within' if ok else 'OUTSIDE'} 0.1 %)", flush=True)
    return 0 if ok else 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=int, default=192)
    ap.add_argument("--check", action="store_true",
                    help="the calibration row against the cold solve at the input limit")
    a = ap.parse_args()
    quiet_pypsa()
    opt = problem_from_scenario(load_scenario(None, [])).options
    data = load_grid_data(opt.data_dir)
    base = float(data.interfaces.set_index("name").at[ROW, "limit_mw"])
    if a.check:
        raise SystemExit(check(data, base, a.hours, opt.clusters))
    for lim in (4600.0, base, 5600.0):
        lo = generation_cost(data, lim, a.hours, opt.clusters)
        hi = generation_cost(data, lim + LINE_MW, a.hours, opt.clusters)
        print(f"limit {lim:,.0f} MW: saving of +{LINE_MW:,.0f} MW "
              f"{(lo['cost_krw'] - hi['cost_krw']) / 1e9:,.1f} bn KRW/year; pocket coal "
              f"{lo['pocket_twh']:.2f} -> {hi['pocket_twh']:.2f} TWh; load shed "
              f"{lo['shed_mwh']:.1f} / {hi['shed_mwh']:.1f} MWh", flush=True)


if __name__ == "__main__":
    main()
