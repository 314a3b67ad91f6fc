"""The FGD paper's openb experiment (reference/fgd-protocol.md) and a trace-time replay."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from aifab.errors import BadInput
from aifab.sim.engine import Simulation, Workload
from aifab.sim.frag import FragIndex, TargetWorkload, target_workload
from aifab.sim.metrics import ArrivedCurve, FailedByKind, ReplaySeries
from aifab.sim.placer import Placer
from aifab.sim.policies import SimContext, get_placement_policy
from aifab.sim.state import NodeCluster, PodShape
from aifab.workload.openb import OpenbNodes, OpenbPods, inflate_pods

IntArray = npt.NDArray[np.int64]
Progress = Callable[[int], None]


def cluster_from_nodes(nodes: OpenbNodes) -> NodeCluster:
    """A fresh cluster from an openb node list (model ids index ``nodes.models``)."""
    models = [m for m in nodes.models if m]
    mid = {m: i for i, m in enumerate(models)}
    model = np.array([mid.get(m, len(models)) for m in nodes.model], dtype=np.int64)
    return NodeCluster(nodes.cpu_milli, nodes.memory_mib, nodes.gpu, model, models, nodes.name)


def pod_shapes(pods: OpenbPods, model_names: Sequence[str]) -> tuple[list[PodShape], IntArray]:
    """Distinct shapes of the pods and each pod's shape id."""
    mid = {m: i for i, m in enumerate(model_names)}
    index: dict[PodShape, int] = {}
    ids = np.empty(len(pods), dtype=np.int64)
    for i in range(len(pods)):
        spec = pods.gpu_spec[i]
        models = tuple(sorted(mid[m] for m in spec.split("|") if m in mid)) if spec else ()
        if spec and not models:
            models = (-1,)  # names no model of this cluster: fits nowhere
        s = PodShape(int(pods.cpu_milli[i]), int(pods.memory_mib[i]), int(pods.num_gpu[i]),
                     int(pods.gpu_milli[i]), models)
        ids[i] = index.setdefault(s, len(index))
    return list(index), ids


@dataclass
class RunResult:
    """One run of one policy with one seed."""

    policy: str
    seed: int
    pods: int
    placed: int
    failed_by_kind: dict[str, int]
    alloc_pct: list[float]
    frag_pct: list[float]
    frag_ratio_pct: list[float]
    wall_s: float
    timeseries: dict[str, list[float]] = field(default_factory=dict)
    summary: dict[str, float] = field(default_factory=dict)

    @property
    def pods_per_s(self) -> float:
        return self.pods / self.wall_s if self.wall_s > 0 else float("nan")


def _target(pods: OpenbPods, cluster: NodeCluster) -> TargetWorkload:
    shapes, ids = pod_shapes(pods, cluster.model_names)
    return target_workload([shapes[i] for i in ids])


def run_openb(nodes: OpenbNodes, pods: OpenbPods, policy: str = "fgd", seed: int = 42,
              tune: float = 1.3, *, max_pct: int = 130, cache: bool = True,
              tie_break: str = "rank", progress: Progress | None = None) -> RunResult:
    """The paper's experiment: inflate to ``tune`` x capacity, shuffle, place one by one."""
    t0 = time.perf_counter()
    cluster = cluster_from_nodes(nodes)
    rng = np.random.default_rng(seed)
    wl_rng, sched_rng = rng.spawn(2)
    target = _target(pods, cluster)
    stream = inflate_pods(pods, cluster.gpu_capacity_milli, tune, wl_rng)
    shapes, ids = pod_shapes(stream, cluster.model_names)
    frag = FragIndex(cluster, target)
    pol = get_placement_policy(policy)
    placer = Placer(cluster, pol, SimContext(cluster, sched_rng, frag), cache=cache,
                    tie_break=tie_break)
    workload = Workload(shapes, ids, np.arange(len(ids), dtype=np.float64))
    curve = ArrivedCurve(frag, max_pct=max_pct)
    failed = FailedByKind()
    sim = Simulation(cluster, placer, workload, [curve, failed])
    sim.run(progress)
    curve.finish(sim)
    n = len(ids)
    return RunResult(pol.name, seed, n, n - len(sim.failed), dict(failed.counts),
                     curve.alloc_pct, curve.frag_pct, curve.frag_ratio_pct,
                     time.perf_counter() - t0)


def timed_arrivals(pods: OpenbPods, speedup: float = 1.0,
                   ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Arrival and departure times; ``speedup`` compresses the gaps between arrivals.

    Each pod keeps its own lifetime (deletion - creation), so a speedup of K offers about
    K times the trace's load: the what-if "the same jobs, K times as often".
    """
    if not speedup > 0:
        raise BadInput(f"must be > 0, got {speedup}", where="--speedup")
    created = pods.creation_time.astype(np.float64)
    start = float(created.min()) if len(created) else 0.0
    arrival = start + (created - start) / speedup
    life = pods.deletion_time - pods.creation_time
    departure = np.where(life > 0, arrival + life, np.nan)
    return arrival, departure


def run_openb_timed(nodes: OpenbNodes, pods: OpenbPods, policy: str = "fgd", seed: int = 42,
                    *, points: int = 500, progress: Progress | None = None,
                    speedup: float = 1.0) -> RunResult:
    """Replay in trace time: pods arrive at ``creation_time`` and leave at ``deletion_time``
    (arrivals compressed ``speedup`` times, lifetimes kept)."""
    t0 = time.perf_counter()
    cluster = cluster_from_nodes(nodes)
    rng = np.random.default_rng(seed)
    target = _target(pods, cluster)
    shapes, ids = pod_shapes(pods, cluster.model_names)
    frag = FragIndex(cluster, target)
    pol = get_placement_policy(policy)
    placer = Placer(cluster, pol, SimContext(cluster, rng, frag))
    arrival, dep = timed_arrivals(pods, speedup)
    workload = Workload(shapes, ids, arrival, dep)
    series = ReplaySeries(frag)
    failed = FailedByKind()
    sim = Simulation(cluster, placer, workload, [series, failed])
    sim.run(progress)
    n = len(ids)
    return RunResult(pol.name, seed, n, n - len(sim.failed), dict(failed.counts), [], [], [],
                     time.perf_counter() - t0, series.sampled(points), series.summary())


def summarise(runs: Sequence[RunResult], points: Sequence[int] = (100, 130)) -> dict[str, Any]:
    """Mean and sd over seeds of allocation and fragmentation at ``points`` (% arrived)."""
    def stat(attr: str) -> tuple[dict[str, float], dict[str, float]]:
        mean: dict[str, float] = {}
        sd: dict[str, float] = {}
        for p in points:
            vals = np.array([getattr(r, attr)[p] for r in runs if len(getattr(r, attr)) > p])
            if len(vals):
                mean[str(p)] = round(float(vals.mean()), 3)
                sd[str(p)] = round(float(vals.std(ddof=1)) if len(vals) > 1 else 0.0, 3)
        return mean, sd

    alloc, alloc_sd = stat("alloc_pct")
    frag, frag_sd = stat("frag_pct")
    failed: dict[str, float] = {}
    for r in runs:
        for k, v in r.failed_by_kind.items():
            failed[k] = failed.get(k, 0) + v / len(runs)
    return {"alloc_pct": alloc, "alloc_sd": alloc_sd, "frag_pct": frag, "frag_sd": frag_sd,
            "failed_pods": {k: round(v, 1) for k, v in sorted(failed.items())}}


def mean_curve(runs: Sequence[RunResult], attr: str) -> tuple[list[float], list[float]]:
    """Mean and sd over seeds of a per-percent curve."""
    arr = np.array([getattr(r, attr) for r in runs], dtype=np.float64)
    sd = arr.std(axis=0, ddof=1) if len(runs) > 1 else np.zeros(arr.shape[1])
    return [float(x) for x in arr.mean(axis=0)], [float(x) for x in sd]
