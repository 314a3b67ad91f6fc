"""Speed of the national twin: one simulated year of korea-2025, and how cost grows.

    python benchmarks/national_bench.py            # the year (target < 10 min, 2 cores)
    python benchmarks/national_bench.py --growth   # 30-day runs: fleet scale x load

Each run is a fresh process (peak memory is per run). Prints a Markdown table for
docs/benchmarks.md ("National simulation").
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time

ONE = r"""
import json, resource, sys, time
from aifab.scenario import load_scenario
from aifab.sim.national import finish, new_run
days, scale, load = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
t0 = time.perf_counter()
scn = load_scenario(None, [f"sim.days={days}", f"sim.scale={scale}", f"sim.load={load}"])
sim = new_run(scn)
build = time.perf_counter() - t0
doc = finish(sim).to_dict()
print(json.dumps({"days": days, "scale": scale, "load": load, "build_s": build,
    "run_s": doc["wall_s"], "total_s": time.perf_counter() - t0,
    "accelerators": doc["fleet"]["accelerators"], "jobs": doc["jobs"]["submitted"],
    "jobs_all": sim.next_id, "scaling": doc["events"]["scaling"],
    "events": doc["events"]["total"], "events_per_s": doc["events"]["per_s"],
    "utilization": doc["utilization"], "stranded": doc["stranded"],
    "energy_mwh": doc["energy_mwh"], "peak_mib":
    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(days: float, scale: float = 1.0, load: float = 0.85) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", ONE, str(days), str(scale), str(load)],
                         check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--growth", action="store_true", help="fleet-size and load sweep")
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}")
    rows = ([run(30, s, ld) for s in (0.25, 0.5, 1.0) for ld in (0.85,)]
            + [run(30, 1.0, ld) for ld in (0.5, 1.7)]) if args.growth else [run(args.days)]
    print("| days | scale | load | accelerators | jobs | replica changes | events | "
          "wall s | events/s | peak MiB | utilisation |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['days']:g} | {r['scale']:g} | {r['load']:g} | {r['accelerators']:,} | "
              f"{r['jobs_all']:,} | {r['scaling']:,} | {r['events']:,} | "
              f"{r['total_s']:.0f} | {r['events_per_s']:,.0f} | {r['peak_mib']:.0f} | "
              f"{r['utilization']:.3f} |")


if __name__ == "__main__":
    main()
