"""Stage 2 of the full year (``aifab site --hours 8760``) alone, timed in CPU seconds.

Runs stage 1 (siting on representative days) once, or reads it from ``--first FILE`` (a
pickle this script wrote with ``--save-first FILE``), then the full-year dispatch of its
campuses with each ``--workers`` count given, and prints per run: wall seconds, CPU seconds
(this process and its worker processes, user + system), peak RSS of this process and of
the largest worker, the machine's load average, and the stage-2 figures that must not
depend on how the blocks are solved (generation cost, CO2, load shed, campus curtailment,
corridor loadings). The CPU figure is the one to compare on a shared machine.

    python benchmarks/site_stage2.py [--workers 1 2] [--first FILE | --save-first FILE]
                                     [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import time
from dataclasses import replace
from pathlib import Path
from typing import Any


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[2])
    ap.add_argument("--first", type=Path, help="stage 1 result (pickle) to reuse")
    ap.add_argument("--save-first", type=Path, help="write stage 1's result here")
    ap.add_argument("--json", type=Path, help="write each run's figures here")
    a = ap.parse_args()

    from aifab.grid import load_grid_data, problem_from_scenario, solve_siting
    from aifab.grid._fullyear import full_year
    from aifab.grid._network import quiet_pypsa
    from aifab.scenario import load_scenario

    quiet_pypsa()
    problem = problem_from_scenario(load_scenario(None, ["siting.hours=8760"]))
    data = load_grid_data(problem.options.data_dir)
    opt = problem.options
    if a.first is not None:
        first = pickle.loads(a.first.read_bytes())  # a file this script wrote
    else:
        t0, c0 = time.perf_counter(), _cpu()
        first = solve_siting(replace(problem, options=opt.model_copy(
            update={"hours": opt.screening_hours})), data, compare_flex=False)
        print(f"stage 1: {time.perf_counter() - t0:.1f} s wall, {_cpu() - c0:.1f} CPU-s",
              flush=True)
        if a.save_first is not None:
            a.save_first.write_bytes(pickle.dumps(first))
    runs: list[dict[str, Any]] = []
    for w in a.workers:
        t0, c0 = time.perf_counter(), _cpu()
        r = full_year(first, problem, data, workers=w)
        s2 = r.second_stage
        row = {"workers": w, "wall_s": round(time.perf_counter() - t0, 1),
               "cpu_s": round(_cpu() - c0, 1),
               "rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
               "rss_workers_mib": round(
                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
               "load_average": round(os.getloadavg()[0], 1),
               **{k: s2[k] for k in ("blocks", "lp_s", "model_build_s", "network_build_s",
                                     "dispatch_wall_s")},
               "by_year": s2["by_year"],
               "max_loading_pct": dict(zip(r.corridors["name"],
                                           r.corridors["max_loading_pct"], strict=True))}
        print(json.dumps({k: v for k, v in row.items() if k != "max_loading_pct"}),
              flush=True)
        runs.append(row)
    if a.json is not None:
        a.json.write_text(json.dumps(runs, indent=1, default=str))


if __name__ == "__main__":
    main()
