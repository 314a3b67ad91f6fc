"""Speed of the national twin: one simulated year of korea-2025, and how cost grows.

    python benchmarks/national_bench.py            # the year (target < 10 min, 2 cores)
    python benchmarks/national_bench.py --growth   # 30-day runs: fleet scale x load
    python benchmarks/national_bench.py --failures both   # with and without failures

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
failures = sys.argv[4] if len(sys.argv) > 4 else "on"
t0 = time.perf_counter()
scn = load_scenario(None, [f"sim.days={days}", f"sim.scale={scale}", f"sim.load={load}",
                           f"reliability.enabled={'true' if failures == 'on' else 'false'}"])
sim = new_run(scn)
build = time.perf_counter() - t0
doc = finish(sim).to_dict()
print(json.dumps({"days": days, "scale": scale, "load": load, "build_s": build,
    "run_s": doc["wall_s"], "total_s": time.perf_counter() - t0,
    "accelerators": doc["fleet"]["accelerators"], "jobs": doc["jobs"]["submitted"],
    "jobs_all": sim.next_id, "scaling": doc["events"]["scaling"],
    "events": doc["events"]["total"], "events_per_s": doc["events"]["per_s"],
    "utilization": doc["utilization"], "stranded": doc["stranded"],
    "energy_mwh": doc["energy_mwh"], "failures": failures,
    "interruptions_per_day": doc.get("reliability", {}).get("interruptions_per_day", 0.0),
    "goodput": doc.get("reliability", {}).get("goodput", 1.0), "peak_mib":
    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(days: float, scale: float = 1.0, load: float = 0.85,
        failures: str = "on") -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", ONE, str(days), str(scale), str(load),
                          failures],
                         check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--growth", action="store_true", help="fleet-size and load sweep")
    ap.add_argument("--failures", choices=("on", "off", "both"), default="on",
                    help="failures and repairs (reliability.enabled); both: off then on")
    args = ap.parse_args()
    modes = ("off", "on") if args.failures == "both" else (args.failures,)
    print(f"machine: {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}")
    rows = ([run(30, s, ld, m) for s in (0.25, 0.5, 1.0) for ld in (0.85,) for m in modes]
            + [run(30, 1.0, ld, m) for ld in (0.5, 1.7) for m in modes]) if args.growth \
        else [run(args.days, failures=m) for m in modes]
    print("| failures | days | scale | load | accelerators | jobs | replica changes | events | "
          "wall s | events/s | peak MiB | utilisation | interruptions/day | goodput |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['failures']} | {r['days']:g} | {r['scale']:g} | {r['load']:g} | "
              f"{r['accelerators']:,} | "
              f"{r['jobs_all']:,} | {r['scaling']:,} | {r['events']:,} | "
              f"{r['total_s']:.0f} | {r['events_per_s']:,.0f} | {r['peak_mib']:.0f} | "
              f"{r['utilization']:.3f} | {r['interruptions_per_day']:.1f} | "
              f"{r['goodput']:.4f} |")


if __name__ == "__main__":
    main()
