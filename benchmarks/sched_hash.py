"""Same decisions? A hash of every admission-engine event on synthetic replays.

Usage: python benchmarks/sched_hash.py [--jobs 800] [--fair-jobs 300] [--only classic|fair]

For speed-only changes to aifab.sched (docs/sched.md rules A7-A10 and later): run it before
and after; the hashes must be equal. Three designs (60 queues in 4 cohorts, 12 in 3, 200 in
8; 16,000 GPUs) with the preemption policies mixed across queues (withinClusterQueue Never /
LowerPriority / LowerOrNewerEqualPriority, reclaimWithinCohort Any / LowerPriority / Never,
borrowWithinCohort Never / LowerPriority) and weights 1-2.5, each with classic preemption and
with fair sharing; jobs from sched_bench.jobs (seed 1) at four times the arrival rate, with
priorities 0-2. Prints per case: events, preemptions, the first 16 hex digits of the SHA-256
of (kind, workload, ClusterQueue, cycle, flavors, preemptor) of every event, CPU seconds.
This is the third/fourth sessions' /tmp det.py and detf.py made a file of the repository.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sched_bench as bench

import aifab.sched._replay as rp
from aifab.sched._history import HistJob, History

CASES = ((60, 4), (12, 3), (200, 8))
POLICIES = (("Never", "LowerPriority", "LowerOrNewerEqualPriority"),
            ("Any", "LowerPriority", "Never"), ("Never", "LowerPriority"))
made: list[Any] = []


class _Recording(rp.Engine):
    def __init__(self, *a: Any, **k: Any) -> None:
        super().__init__(*a, **k)
        made.append(self)


def case(fair: bool, queues: int, cohorts: int, n: int) -> str:
    bench.GPUS = 16_000
    m = bench.design(queues, cohorts)
    m.fair_sharing = fair
    for cq in m.cluster_queues.values():
        i = int(cq.name[1:])
        cq.preemption = replace(cq.preemption, within_cluster_queue=POLICIES[0][i % 3],
                                reclaim_within_cohort=POLICIES[1][i % 3 if i % 5 else 0],
                                borrow_within_cohort=POLICIES[2][i % 2])
        cq.weight = 1.0 + (i % 4) * 0.5
    rng = np.random.default_rng(1)
    h = bench.jobs(n, queues, rng)
    pr = rng.integers(0, 3, size=len(h.jobs))
    h = History(tuple(HistJob(j.name, j.tenant, j.submit_s * 0.25, j.run_s, j.gpus,
                              priority=int(p)) for j, p in zip(h.jobs, pr, strict=True)),
                0, "s")
    t = time.process_time()
    r = rp.replay(m, h, {f"q{i}": f"q{i}" for i in range(queues)})
    ev = made[-1].events
    d = hashlib.sha256(repr([(e.kind, e.workload, e.cluster_queue, e.cycle,
                              sorted((k, sorted(v.items())) for k, v in e.flavors.items()),
                              e.by) for e in ev]).encode()).hexdigest()[:16]
    return (f"{'fair' if fair else 'classic'} {queues} {cohorts} {len(ev)} "
            f"{r['preemptions']} {d} {time.process_time() - t:.1f}s"
            + ("" if r["stalled_h"] is None else f" stalled at {r['stalled_h']:.2f} h"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=800, help="classic replays")
    ap.add_argument("--fair-jobs", type=int, default=300, help="fair-sharing replays")
    ap.add_argument("--only", choices=("classic", "fair"))
    a = ap.parse_args()
    rp.Engine = _Recording  # type: ignore[misc]
    for fair in (False, True):
        if a.only and a.only != ("fair" if fair else "classic"):
            continue
        for queues, cohorts in CASES:
            print(case(fair, queues, cohorts, a.fair_jobs if fair else a.jobs), flush=True)


if __name__ == "__main__":
    main()
