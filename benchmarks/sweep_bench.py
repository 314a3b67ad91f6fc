"""Sweep benchmarks: 1,000 plan variants with Ray start, 1 -> 2 worker scaling of site and
simulate variants, the FGD table as a sweep, and a 64-core estimate (docs/benchmarks.md).

Usage: python benchmarks/sweep_bench.py [--only plan,simulate,site,fgd] [--json FILE]
Each case starts its own embedded local Ray (2 CPUs) unless it says otherwise, so the
figures include Ray start and shutdown.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import time
from pathlib import Path
from typing import Any

from aifab.sweep import SweepResult, load_spec, spec_from_dict, sweep

HERE = Path(__file__).resolve().parent
CLUSTER_CORES = 64

PLAN = {
    "name": "plan-1000", "scenario": "korea-2025", "stages": ["plan"],
    "parameters": {
        "facility.pue": {"distribution": {"kind": "triangular", "low": 1.1, "mode": 1.3,
                                          "high": 1.56}},
        "facility.load_factor": {"range": [0.7, 1.0]},
        "facility.system_power": {"values": ["low", "mid", "high"]},
        "prices.tariff_krw_per_kwh": {"range": [164, 198]},
    },
    "design": {"kind": "lhs", "samples": 1000, "seed": 0},
    "metrics": {"facility_mw": "plan.totals.facility_power_mw",
                "twh": "plan.totals.annual_energy_twh", "cost": "plan.totals.annual_cost_krw"},
}
SIMULATE = {
    "name": "twin-8", "scenario": "korea-2025",
    "set": ["sim.days=3", "sim.warmup_days=1", "sim.scale=0.25"],
    "stages": ["simulate"],
    "parameters": {"sim.seed": {"values": [1, 2, 3, 4]},
                   "sim.queue_policy": {"values": ["fifo", "fairshare"]}},
    "design": {"kind": "grid"},
    "metrics": {"util": "simulate.utilization", "jobs": "simulate.jobs.completed"},
}
SITE = {
    "name": "site-4", "scenario": "korea-2025", "stages": ["site"],
    "options": {"site": {"hours": 24, "time_limit_s": 120}},
    "parameters": {"facility.pue": {"values": [1.2, 1.3, 1.4, 1.5]}},
    "design": {"kind": "grid"},
    "metrics": {"cost": "site.objective_krw"},
}


def _ray_init(cpus: int) -> None:
    import ray

    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False,
             logging_level=logging.WARNING, object_store_memory=200 * 2**20)


def _row(label: str, res: SweepResult, wall: float, workers: int) -> dict[str, Any]:
    d = res.to_dict()
    n = max(1, len(res.records))
    return {"case": label, "variants": len(res.records), "failed": res.failed,
            "workers": workers, "wall_s": round(wall, 2),
            "per_variant_s": round(d["variant_wall_s"] / n, 4),
            "cpu_per_variant_s": round(d["variant_cpu_s"] / n, 4)}


def bench_plan() -> list[dict[str, Any]]:
    """1,000 plan variants, embedded Ray with 2 CPUs started and stopped inside the timing."""
    spec = spec_from_dict(PLAN)
    t0 = time.perf_counter()
    res = sweep(spec, workers=2)
    wall = time.perf_counter() - t0
    serial = spec_from_dict({**PLAN, "design": {"kind": "lhs", "samples": 100, "seed": 1}})
    t1 = time.perf_counter()
    ser = sweep(serial, workers=0)
    return [_row("plan x 1,000, Ray start included", res, wall, 2),
            _row("plan x 100, serial in-process (no Ray)", ser, time.perf_counter() - t1, 0)]


def _scaling(doc: dict[str, Any], label: str) -> list[dict[str, Any]]:
    """Same variants with 1 then 2 workers on one warm local Ray (2 CPUs)."""
    import ray

    spec = spec_from_dict(doc)
    _ray_init(2)
    try:
        warm = spec_from_dict({**doc, "parameters": {k: {"values": v["values"][:1]}
                                                     for k, v in doc["parameters"].items()}})
        sweep(warm, workers=2)  # workers import the stage once
        rows = []
        for w in (1, 2):
            t0 = time.perf_counter()
            res = sweep(spec, workers=w)
            rows.append(_row(f"{label}, {w} worker(s)", res, time.perf_counter() - t0, w))
    finally:
        ray.shutdown()
    rows[1]["speedup"] = round(rows[0]["wall_s"] / rows[1]["wall_s"], 2)
    return rows


def bench_fgd() -> list[dict[str, Any]]:
    """The 300-run FGD table (6 policies x 5 traces x 10 seeds) with 2 workers."""
    spec = load_spec(HERE / "fgd_sweep.yaml")
    t0 = time.perf_counter()
    res = sweep(spec, workers=2)
    return [_row("FGD table (300 replays), Ray start included", res,
                 time.perf_counter() - t0, 2)]


def estimate(rows: list[dict[str, Any]]) -> list[str]:
    """Wall on a 64-core cluster: per-variant cost x variants / cores + measured overhead."""
    out = []
    for r in rows:
        if r["workers"] != 2 or "Ray start" not in r["case"]:
            continue
        # On dedicated cores a task's wall time is its CPU time; the overhead is what the
        # measured wall time had beyond the tasks' own wall time spread over 2 workers.
        per = r["cpu_per_variant_s"]
        overhead = max(0.0, r["wall_s"] - r["per_variant_s"] * r["variants"] / 2)
        for n in (r["variants"], r["variants"] * 100):
            est = per * n / CLUSTER_CORES + overhead
            name = r["case"].split(" (")[0].split(", Ray")[0]
            out.append(f"- {name}: {n:,} variants on {CLUSTER_CORES} cores "
                       f"~ {per:.3g} s x {n:,} / {CLUSTER_CORES} + "
                       f"{overhead:.1f} s overhead = {est:,.0f} s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", default="plan,simulate,site,fgd")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    cases = a.only.split(",")
    rows: list[dict[str, Any]] = []
    if "plan" in cases:
        rows += bench_plan()
    if "simulate" in cases:
        rows += _scaling(SIMULATE, "simulate x 8 (3 days, scale 0.25)")
    if "site" in cases:
        rows += _scaling(SITE, "site x 4 (24 h/year)")
    if "fgd" in cases:
        rows += bench_fgd()
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
          f"visible, load average {os.getloadavg()[0]:.1f}")
    print("| case | variants | failed | workers | wall | per variant: wall / CPU (in task) "
          "| speedup |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['variants']:,} | {r['failed']} | {r['workers']} | "
              f"{r['wall_s']:.1f} s | {r['per_variant_s'] * 1000:,.1f} / "
              f"{r['cpu_per_variant_s'] * 1000:,.1f} ms | {r.get('speedup', '')} |")
    print()
    print("\n".join(estimate(rows)))
    if a.json is not None:
        a.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
