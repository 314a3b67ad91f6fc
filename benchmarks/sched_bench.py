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
   median of 5), and with --admit-cli the `aifab admit` command itself (a fresh process:
   start-up, reading the manifests, deciding; the median of 5 wall times).
4. With --loop-days 0.5,3: the twin's own loop under Kueue semantics
   (`simulate --kueue DIR --days N`, korea-2025 full fleet, exported manifests) against the
   native twin (`simulate --days N`); CPU seconds of each child process.
5. With --fleet-days 1,7: the issue's synthetic case in the twin's loop: the korea-2025
   fleet (260k GPUs) as --queues ClusterQueues in --cohorts cohorts (each cohort on one
   owner's flavors, nominal quota split evenly, reclaimWithinCohort Any, withinClusterQueue
   LowerPriority, fair sharing as exported), `simulate --kueue DIR --days N` against the
   native twin on the same tenants and jobs (`--policy fairshare`: the exact round trip).
   --tiered: each cohort's first queue takes its share of the owner's pre-training (quota
   and jobs), the other 49 the rest (fleet_design); --classic: without fair sharing.
"""

from __future__ import annotations

import argparse
import json
import resource
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
    from aifab.commands.admit import run_state
    from aifab.sched._history import history_from_run
    from aifab.sched._replay import tenant_queues

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "aifab.cli", "simulate", "--days", str(days),
                    "--set", "sim.warmup_days=0", "--out", str(d / "run"), "--json"],
                   check=True, stdout=subprocess.DEVNULL)
    twin = time.perf_counter() - t0
    t0 = time.perf_counter()
    m = read_dir(d / "k")
    h = history_from_run(run_state(d / "run", "--jobs"))
    r = replay(m, h, tenant_queues(m, h, {}))
    eng = time.perf_counter() - t0
    print(f"twin {days:g} days, korea-2025 full fleet: {twin:.1f} s (CLI, incl. start-up and "
          f"writing the run); the same {len(h.jobs):,} jobs through the Kueue engine: "
          f"{eng:.1f} s ({eng / twin:.2f}x); utilisation {r['utilization']:.1%}")


def fleet_design(src: Path, out: Path, queues: int, cohorts: int, tiered: bool = False,
                 fair: bool = True) -> None:
    """``queues`` ClusterQueues in ``cohorts`` cohorts over the flavors of the exported
    manifests in ``src`` (cohort ``c`` on owner ``c mod owners``), written to ``out`` with the
    flavors, priorities and config. Even (the default): each queue an equal share of its
    owner's flavors and its kind's job mix, so a queue of 65-300 GPUs sends gangs of up to
    4,096. ``tiered``: each cohort's first queue is its training queue, with the cohort's
    share of its owner's pre-training (``pretrain`` in the kinds' default mixes: 75 % of an
    owner's GPU-hours, 35 % of the Government's) as nominal quota and every pre-training
    job; the other queues split the rest evenly and send their kind's other classes. The
    same offered GPU-hours per owner and class as the even design. ``fair`` False: classic
    preemption (the exported configuration without its fairSharing section)."""
    import yaml

    from aifab.workload.synthetic import DEFAULT_MIX

    flv: dict[str, dict[str, float]] = {}  # owner -> flavor -> GPUs
    for d in yaml.safe_load_all((src / "cluster-queues.yaml").read_text()):
        per = flv.setdefault(d["metadata"]["labels"]["aifab.io/owner"], {})
        for g in d["spec"]["resourceGroups"]:
            for f in g["flavors"]:
                for r in f["resources"]:
                    if r["name"] == "nvidia.com/gpu":
                        per[f["name"]] = per.get(f["name"], 0) + r["nominalQuota"]
    owners = sorted(flv)
    docs: list[dict[str, object]] = [{"apiVersion": API, "kind": "Cohort",
                                      "metadata": {"name": "fleet"}, "spec": {}}]
    docs += [{"apiVersion": API, "kind": "Cohort", "metadata": {"name": f"c{c:02d}"},
              "spec": {"parentName": "fleet"}} for c in range(cohorts)]
    gov = ("university", "startup", "institute")
    mine = {o: [q for q in range(queues) if owners[q % cohorts % len(owners)] == o]
            for o in owners}
    for q in range(queues):
        o = owners[q % cohorts % len(owners)]
        kind = gov[q % 3] if o == "Government" else "owner"
        ann: dict[str, str] = {}
        if not tiered:
            shares = {f: _split(g, len(mine[o]), mine[o].index(q)) for f, g in flv[o].items()}
        else:
            kinds = gov if o == "Government" else ("owner",)
            pre = sum(DEFAULT_MIX[k]["pretrain"] for k in kinds) / len(kinds)
            ncoh = len([c for c in range(cohorts) if owners[c % len(owners)] == o])
            c, j = q % cohorts, q // cohorts
            mates = len(range(c, queues, cohorts))
            if j == 0:
                kind = "institute" if o == "Government" else "owner"
                ann["aifab.io/mix"] = '{"pretrain": 1.0}'
                shares = {f: int(g * pre / ncoh) for f, g in flv[o].items()}
            else:
                rest = {k: v for k, v in DEFAULT_MIX[kind].items() if k != "pretrain"}
                ann["aifab.io/mix"] = json.dumps({k: v / sum(rest.values())
                                                  for k, v in rest.items()}, sort_keys=True)
                shares = {f: _split(g / ncoh - int(g * pre / ncoh), mates - 1, j - 1)
                          for f, g in flv[o].items()}
        fl = [{"name": f, "resources": [{"name": "nvidia.com/gpu", "nominalQuota": n}]}
              for f, n in shares.items()]
        docs.append({"apiVersion": API, "kind": "ClusterQueue", "metadata": {
            "name": f"q{q:04d}", "labels": {"aifab.io/owner": o, "aifab.io/kind": kind},
            **({"annotations": ann} if ann else {})},
            "spec": {"cohortName": f"c{q % cohorts:02d}", "queueingStrategy": "BestEffortFIFO",
                     "namespaceSelector": {},
                     "resourceGroups": [{"coveredResources": ["nvidia.com/gpu"],
                                         "flavors": fl}],
                     "preemption": {"reclaimWithinCohort": "Any",
                                    "withinClusterQueue": "LowerPriority"}}})
    out.mkdir(parents=True, exist_ok=True)
    for name in ("flavors.yaml", "priorities.yaml", "kueue-config.yaml"):
        (out / name).write_text((src / name).read_text())
    if not fair:
        cfg = yaml.safe_load((src / "kueue-config.yaml").read_text())
        cfg.pop("fairSharing", None)
        (out / "kueue-config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    (out / "queues.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))


def _split(total: float, n: int, i: int) -> int:
    """Queue ``i``'s whole GPUs of ``total`` split evenly over ``n`` (the first get one more)."""
    return int(total // n) + (1 if i < total % n else 0)


def cpu_run(args: list[str]) -> tuple[float, float]:
    """CPU seconds (user + sys) and wall seconds of ``aifab ARGS`` in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "aifab.cli", *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime), wall


def loop_vs_native(label: str, kueue: list[str], native: list[str], days: float) -> None:
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() \
        else "?"
    d = ["--days", f"{days:g}", "--json"]
    nc, nw = cpu_run(native + d)
    kc, kw = cpu_run(kueue + d)
    print(f"{label}, {days:g} days: native {nc:.1f} CPU-s ({nw:.0f} s wall), Kueue semantics "
          f"{kc:.1f} CPU-s ({kw:.0f} s wall): {kc / nc:.2f}x (load {load})", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=20_000)
    ap.add_argument("--queues", type=int, default=1000)
    ap.add_argument("--cohorts", type=int, default=20)
    ap.add_argument("--twin-days", type=float, default=0.0)
    ap.add_argument("--loop-days", default="", help="e.g. 0.5,3 (section 4)")
    ap.add_argument("--fleet-days", default="", help="e.g. 1,7 (section 5)")
    ap.add_argument("--tiered", action="store_true", help="section 5: the tiered design")
    ap.add_argument("--classic", action="store_true",
                    help="section 5: classic preemption (no fair sharing)")
    ap.add_argument("--admit-cli", action="store_true")
    ap.add_argument("--skip-engine", action="store_true", help="skip section 1")
    a = ap.parse_args()
    if not a.skip_engine:
        engine_replay(a.jobs, a.queues, a.cohorts)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        scn, cat = load_scenario("korea-2025"), default_catalog()
        export_manifests(scn, cat, kueue=d / "k")
        for days in [float(x) for x in a.loop_days.split(",") if x]:
            loop_vs_native("korea-2025 full fleet, twin loop", ["simulate", "--kueue",
                                                                str(d / "k")],
                           ["simulate"], days)
        if a.fleet_days:
            fleet_design(d / "k", d / "f", a.queues, a.cohorts, a.tiered, not a.classic)
            f = ["simulate", "--kueue", str(d / "f")]
            for days in [float(x) for x in a.fleet_days.split(",") if x]:
                loop_vs_native(f"{a.queues} ClusterQueues in {a.cohorts} cohorts, 260k GPUs",
                               f, [*f, "--policy", "fairshare"], days)
        if a.twin_days > 0:
            twin_vs_engine(a.twin_days, d)
        admit_latency(d, a.admit_cli)


def engine_replay(n: int, queues: int, cohorts: int) -> None:
    m = design(queues, cohorts)
    h = jobs(n, queues, np.random.default_rng(0))
    t0 = time.perf_counter()
    r = replay(m, h, {f"q{i}": f"q{i}" for i in range(queues)})
    wall = time.perf_counter() - t0
    print(f"engine: {n:,} jobs over {r['span_h'] / 24:.1f} days, {queues} queues in "
          f"{cohorts} cohorts, {GPUS:,} GPUs: {wall:.1f} s ({n / wall:,.0f} jobs/s); "
          f"utilisation {r['utilization']:.1%}, preemptions {r['preemptions']}", flush=True)


def admit_latency(d: Path, cli: bool) -> None:
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
    if cli:
        walls = [cpu_run(["admit", "--kueue", str(d / "k"), str(d / "job.yaml")])[1]
                 for _ in range(5)]
        print(f"`aifab admit` command (fresh process): median "
              f"{statistics.median(walls) * 1e3:.0f} ms wall")


if __name__ == "__main__":
    main()
