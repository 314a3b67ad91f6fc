"""Synthetic large clusters and workloads (for scaling studies and benchmarks).

A national fleet such as Korea's ~260k GPUs is modelled as many 8-GPU nodes; pods are drawn
from a trace's pod shapes (the openb mix by default). Arrivals only, as in the openb
experiment; the engine takes departures too when the national model adds durations.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from aifab.sim.engine import Simulation, Workload
from aifab.sim.frag import FragIndex, target_workload
from aifab.sim.metrics import FailedByKind
from aifab.sim.openb import pod_shapes
from aifab.sim.placer import Placer, PlacerStats
from aifab.sim.policies import SimContext, get_placement_policy
from aifab.sim.state import NodeCluster
from aifab.workload.openb import OpenbPods


def synthetic_cluster(n_nodes: int, gpus_per_node: int = 8, cpu_milli: int = 128_000,
                      memory_mib: int = 1_048_576, model: str = "B200") -> NodeCluster:
    """``n_nodes`` identical nodes (defaults: a DGX-class 8-GPU server)."""
    return NodeCluster(np.full(n_nodes, cpu_milli), np.full(n_nodes, memory_mib),
                   np.full(n_nodes, gpus_per_node), np.zeros(n_nodes, dtype=np.int64), [model],
                   names=[f"n{i:06d}" for i in range(n_nodes)])


@dataclass
class NationalResult:
    nodes: int
    gpus: int
    pods: int
    placed: int
    alloc_pct: float
    frag_pct: float
    wall_s: float
    stats: PlacerStats
    failed_by_kind: dict[str, int]

    @property
    def pods_per_s(self) -> float:
        return self.pods / self.wall_s


def run_national(trace: OpenbPods, n_nodes: int = 32_500, n_pods: int = 200_000,
                 policy: str = "fgd", seed: int = 42) -> NationalResult:
    """Place ``n_pods`` pods drawn from ``trace``'s shapes on ``n_nodes`` 8-GPU nodes.

    GPU-model constraints of the trace are dropped (the synthetic fleet has one model).
    """
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    cluster = synthetic_cluster(n_nodes)
    idx = rng.integers(0, len(trace), size=n_pods)
    pods = trace.take(idx)
    pods = OpenbPods(pods.source, pods.name, pods.cpu_milli, pods.memory_mib, pods.num_gpu,
                     pods.gpu_milli, tuple("" for _ in idx), pods.creation_time,
                     pods.deletion_time)
    shapes, ids = pod_shapes(pods, cluster.model_names)
    frag = FragIndex(cluster, target_workload([shapes[i] for i in ids]))
    placer = Placer(cluster, get_placement_policy(policy), SimContext(cluster, rng, frag))
    failed = FailedByKind()
    sim = Simulation(cluster, placer, Workload(shapes, ids, np.arange(n_pods, dtype=float)),
                     [failed])
    sim.run()
    wall = time.perf_counter() - t0
    cap = cluster.gpu_capacity_milli
    return NationalResult(n_nodes, int(cluster.gpu_count.sum()), n_pods,
                          n_pods - len(sim.failed), 100.0 * cluster.allocated_milli / cap,
                          100.0 * frag.total / cap, wall, placer.stats, dict(failed.counts))
