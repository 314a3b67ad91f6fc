"""Kueue admission engine at scale, and `aifab admit` latency (docs/benchmarks.md).

Usage: python benchmarks/sched_bench.py [--jobs 20000] [--queues 1000] [--cohorts 20]

1. 260,000 GPUs as --queues ClusterQueues in --cohorts cohorts (equal nominal quota,
   borrowing allowed, reclaimWithinCohort Any, BestEffortFIFO), one synthetic job stream
   (Poisson arrivals at 85 % of capacity, gang sizes 8-512, lognormal run times, median
   4 h), replayed through the engine (aifab.sched._replay); prints wall time and jobs/s.
2. With --twin-days N: the native twin on korea-2025 (full fleet, N days, no warm-up) and
   the same jobs (its run folder) replayed through the Kueue engine on the korea-2025
   manifests: the like-for-like time check of issue #22.
3. What-if admission of one 64 x 8-GPU Job on the korea-2025 manifests (in process, the
   median of 5), without and with a twin run as --state.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from aifab.catalog import default_catalog
from aifab.scenario import load_scenario
from aifab.sched import Manifests, export_manifests, load_docs, read_dir
from aifab.sched._admit import admit
from aifab.sched._history import HistJob, History
from aifab.sched._load import check
from aifab.sched._replay import replay

GPUS = 260_000
API = "kueue.x-k8s.io/v1beta2"


def design(queues: int, cohorts: int) -> Manifests:
    each = GPUS // queues
    docs = [{"apiVersion": API, "kind": "ResourceFlavor", "metadata": {"name": "b200"}}]
    for c in range(cohorts):
        docs.append({"apiVersion": API, "kind": "Cohort", "metadata": {"name": f"c{c}"},
                     "spec": {"parentName": "root"}})
    for q in range(queues):
        docs.append({"apiVersion": API, "kind": "ClusterQueue", "metadata": {"name": f"q{q}"},
                     "spec": {"cohortName": f"c{q % cohorts}",
                              "preemption": {"reclaimWithinCohort": "Any"},
                              "resourceGroups": [{"coveredResources": ["nvidia.com/gpu"],
                                                  "flavors": [{"name": "b200", "resources": [
                                                      {"name": "nvidia.com/gpu",
                                                       "nominalQuota": each}]}]}]}})
    m = Manifests()
    load_docs(m, "bench", docs)
    check(m)
    return m


def jobs(n: int, queues: int, rng: np.random.Generator) -> History:
    sizes = rng.choice([8, 16, 32, 64, 128, 256, 512], size=n, p=[.3, .2, .15, .15, .1, .06, .04])
    run_s = np.exp(rng.normal(np.log(4 * 3600), 1.0, size=n))
    rate = 0.85 * GPUS / float((sizes * run_s).mean())  # jobs per second at 85 % load
    t = np.cumsum(rng.exponential(1 / rate, size=n))
    return History(tuple(HistJob(f"j{i}", f"q{rng.integers(queues)}", float(t[i]),
                                 float(run_s[i]), float(sizes[i])) for i in range(n)), 0,
                   "synthetic")


def twin_vs_engine(days: float, d: Path) -> None:
    from aifab.sched._history import read_run
    from aifab.sched._replay import tenant_queues

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "aifab.cli", "simulate", "--days", str(days),
                    "--set", "sim.warmup_days=0", "--out", str(d / "run"), "--json"],
                   check=True, stdout=subprocess.DEVNULL)
    twin = time.perf_counter() - t0
    t0 = time.perf_counter()
    m = read_dir(d / "k")
    h = read_run(d / "run")
    r = replay(m, h, tenant_queues(m, h, {}))
    eng = time.perf_counter() - t0
    print(f"twin {days:g} days, korea-2025 full fleet: {twin:.1f} s (CLI, incl. start-up and "
          f"writing the run); the same {len(h.jobs):,} jobs through the Kueue engine: "
          f"{eng:.1f} s ({eng / twin:.2f}x); utilisation {r['utilization']:.1%}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=20_000)
    ap.add_argument("--queues", type=int, default=1000)
    ap.add_argument("--cohorts", type=int, default=20)
    ap.add_argument("--twin-days", type=float, default=0.0)
    a = ap.parse_args()
    m = design(a.queues, a.cohorts)
    h = jobs(a.jobs, a.queues, np.random.default_rng(0))
    t0 = time.perf_counter()
    r = replay(m, h, {f"q{i}": f"q{i}" for i in range(a.queues)})
    wall = time.perf_counter() - t0
    print(f"engine: {a.jobs:,} jobs over {r['span_h'] / 24:.1f} days, {a.queues} queues in "
          f"{a.cohorts} cohorts, {GPUS:,} GPUs: {wall:.1f} s ({a.jobs / wall:,.0f} jobs/s); "
          f"utilisation {r['utilization']:.1%}, preemptions {r['preemptions']}")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        scn, cat = load_scenario("korea-2025"), default_catalog()
        export_manifests(scn, cat, kueue=d / "k")
        if a.twin_days > 0:
            twin_vs_engine(a.twin_days, d)
        (d / "job.yaml").write_text(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: bench\n  namespace: "
            "universities\n  labels: {kueue.x-k8s.io/queue-name: universities}\nspec:\n"
            "  parallelism: 64\n  template:\n    spec:\n      containers:\n      - name: m\n"
            "        resources: {limits: {nvidia.com/gpu: 8}}\n")
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            admit(read_dir(d / "k"), d / "job.yaml")
            times.append(time.perf_counter() - t0)
        print(f"admit (read manifests + decide): median {statistics.median(times) * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
