"""Speed of the reliability model: the failure stream of a national fleet for a year, the
job Monte Carlo (Llama 3 replication; a year of eight 8,192-GPU gangs on NVL72 racks), the
closed forms, and the checks of docs/reliability.md.

    python benchmarks/reliability_bench.py

Prints a markdown section for docs/benchmarks.md.
"""

from __future__ import annotations

import platform
import resource
import time
from datetime import UTC, datetime

import numpy as np

from aifab import load_scenario
from aifab.reliability import (
    GangSpec,
    PoolSpec,
    failure_events,
    failure_model,
    fleet_pools,
    simulate_jobs,
    training_reliability,
)
from aifab.reliability._checks import llama3, young_daly

YEAR_S = 365 * 86400.0


def main() -> None:
    fm = failure_model()
    rows = []

    pools = fleet_pools(load_scenario())
    t0 = time.perf_counter()
    n = sum(1 for _ in failure_events(pools, YEAR_S, np.random.default_rng(0), fm))
    dt = time.perf_counter() - t0
    rows.append(("failure stream, korea-2025 fleet (260,000 GPUs, 10 pools), 1 year",
                 f"{n:,} failures", f"{dt:.2f} s", f"{n / dt:,.0f} failures/s"))

    lay = fm.layout_for("server", 8)
    pool = PoolSpec("llama3", 2156 * 8, lay)
    t0 = time.perf_counter()
    reps = [simulate_jobs(pool, [GangSpec("j", 16384)], 54 * 86400.0,
                          np.random.default_rng(s), fm) for s in range(20)]
    dt = time.perf_counter() - t0
    ev = sum(r.events for r in reps)
    rows.append(("job MC, Llama 3 (16,384 GPUs, 54 days), 20 replications",
                 f"{ev:,} events", f"{dt:.2f} s", f"{ev / dt:,.0f} events/s"))

    nvl = fm.layout_for("rack", 72)
    big = PoolSpec("nvl72", 1000 * 72, nvl, "blackwell")
    t0 = time.perf_counter()
    r = simulate_jobs(big, [GangSpec(f"g{i}", 8192) for i in range(8)], YEAR_S,
                      np.random.default_rng(1), fm)
    dt = time.perf_counter() - t0
    rows.append(("job MC, 8 gangs x 8,192 GB200 on 1,000 NVL72 racks, 1 year",
                 f"{r.events:,} events", f"{dt:.2f} s", f"{r.events / dt:,.0f} events/s"))
    big_line = (f"That year: {r.interruptions / 365:.1f} interruptions/day, goodput "
                f"{r.goodput:.3f}, in repair "
                f"{r.in_repair_share:.2%}, {r.spares_used:,} spare swaps, "
                f"{r.technician_hours / (365 * 24):.2f} technicians busy on average.")

    t0 = time.perf_counter()
    for k in range(1000):
        training_reliability(1024 + k, 30.0, "blackwell", fm)
    dt = time.perf_counter() - t0
    rows.append(("closed form (training_reliability), 1,000 calls", "-", f"{dt * 1e3:.1f} ms",
                 f"{dt * 1e3:.1f} us/call"))

    t0 = time.perf_counter()
    c = llama3(range(20))
    y = young_daly(tuple(np.geomspace(0.5, 2.0, 9)), seeds=range(2), horizon_h=2000.0)
    dt = time.perf_counter() - t0
    rows.append(("checks: Llama 3 (20 seeds) + Young/Daly curve (9 x 2 runs)", "-",
                 f"{dt:.2f} s", "-"))

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print("## Reliability (failures, repairs, goodput)\n")
    cpu = platform.processor() or platform.machine()
    print(f"Measured {now} by `benchmarks/reliability_bench.py` on {cpu}, "
          f"Python {platform.python_version()} (machine shared with other jobs; one process; "
          f"peak RSS {rss:,.0f} MiB).\n")
    print("| work | size | wall | rate |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n{big_line}\n")
    print(f"Llama 3 check: {c.interruptions_mean:.1f} interruptions (95 % CI "
          f"{c.interruptions_ci95[0]:.1f}-{c.interruptions_ci95[1]:.1f}; published 419), "
          f"ETTR {c.ettr_mean:.3f}. Young/Daly: simulated peak at {y.peak_ratio:.3f} x "
          "sqrt(2 delta M).")


if __name__ == "__main__":
    main()
