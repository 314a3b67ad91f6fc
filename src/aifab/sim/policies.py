"""Placement policies behind a registry keyed by name.

A policy scores feasible nodes for one pod shape (higher is better; the placer picks the
best with random tie-breaking) and then picks the GPU(s) on the chosen node. Scores depend
only on the node's state and the shape, so the placer may cache them per shape.

The six policies of the FGD paper follow the published simulator's scoring, including its
integer scores (0..100): ties are frequent and are broken uniformly at random.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aifab.errors import BadInput
from aifab.sim.frag import FragIndex
from aifab.sim.state import MILLI_PER_GPU, NodeCluster, PodShape

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MAX_SPEC_CPU_MILLI = 128_000
"""CPU normaliser of BestFit and DotProd (the largest node of the openb trace)."""
MAX_SPEC_GPU_MILLI = 8_000
"""GPU normaliser of BestFit, DotProd and Clustering (8 GPUs)."""
MAX_SCORE = 100


@dataclass
class SimContext:
    """What a policy may look at: the cluster, the fragmentation index and randomness."""

    cluster: NodeCluster
    rng: np.random.Generator
    frag: FragIndex | None = None


def _trunc_div(a: IntArray, b: int) -> IntArray:
    """Integer division rounding toward zero (as Go does)."""
    q = np.abs(a) // b
    return np.where(a < 0, -q, q)


class Policy:
    """Base class: subclasses set ``name`` and override :meth:`score`."""

    name = "base"
    needs_frag = False
    cacheable = True  # scores depend only on (node state, shape)
    integer_scores = True  # whole-number scores (as the paper's simulator): fast tie-breaks
    description = ""

    def __init__(self) -> None:
        self.ctx: SimContext | None = None

    def bind(self, ctx: SimContext) -> None:
        if self.needs_frag and ctx.frag is None:
            raise ValueError(f"policy {self.name!r} needs a fragmentation index")
        self.ctx = ctx

    @property
    def cluster(self) -> NodeCluster:
        assert self.ctx is not None, "policy not bound"
        return self.ctx.cluster

    def score(self, shape: PodShape, nodes: IntArray) -> FloatArray:
        """Scores of the (feasible) ``nodes`` for ``shape``; higher is better."""
        raise NotImplementedError

    def choose_gpus(self, shape: PodShape, node: int) -> tuple[int, ...]:
        """GPU indices on ``node`` for the pod (best-fit GPU for a shared-GPU pod)."""
        return self.cluster.default_gpus(shape, node)


class RandomPolicy(Policy):
    name = "random"
    cacheable = False
    integer_scores = False
    description = "any feasible node, uniformly; a random fitting GPU for shared-GPU pods"

    def score(self, shape: PodShape, nodes: IntArray) -> FloatArray:
        assert self.ctx is not None
        return self.ctx.rng.random(len(nodes))

    def choose_gpus(self, shape: PodShape, node: int) -> tuple[int, ...]:
        if not shape.is_share:
            return super().choose_gpus(shape, node)
        assert self.ctx is not None
        g = self.cluster.gpu_free[node, : self.cluster.gpu_count[node]]
        fit = np.flatnonzero(g >= shape.gpu_milli)
        return (int(fit[self.ctx.rng.integers(len(fit))]),)


class DotProdPolicy(Policy):
    name = "dotprod"
    description = "Tetris-style dot product of free and requested (CPU, GPU), max-normalised"

    def score(self, shape: PodShape, nodes: IntArray) -> FloatArray:
        cl = self.cluster
        a = cl.cpu_free[nodes] / MAX_SPEC_CPU_MILLI
        b = cl.gpu_total_free(nodes) / MAX_SPEC_GPU_MILLI
        x = shape.cpu_milli / MAX_SPEC_CPU_MILLI
        y = shape.gpu_demand_milli / MAX_SPEC_GPU_MILLI
        return np.trunc(MAX_SCORE * (1.0 - (a * x + b * y) / 2.0))


class ClusteringPolicy(Policy):
    name = "clustering"
    description = "same-kind nodes first, then mixed, then idle, then other kinds"

    def score(self, shape: PodShape, nodes: IntArray) -> FloatArray:
        if shape.num_gpu == 0:
            return np.zeros(len(nodes))
        cl = self.cluster
        kinds = cl.kind_count[nodes] > 0
        has = kinds[:, shape.kind]
        nk = kinds.sum(axis=1)
        base = _trunc_div((MAX_SCORE // 4) * (MAX_SPEC_GPU_MILLI - cl.gpu_total_free(nodes)),
                          MAX_SPEC_GPU_MILLI)
        q = MAX_SCORE // 4
        bonus = np.where(has, np.where(nk == 1, 3 * q, 2 * q), np.where(nk == 0, q, 0))
        return (base + bonus).astype(np.float64)


class PackingPolicy(Policy):
    name = "packing"
    description = "shared GPUs already in use first, then used nodes, then idle nodes"

    def score(self, shape: PodShape, nodes: IntArray) -> FloatArray:
        if shape.num_gpu == 0:
            return np.zeros(len(nodes))
        cl = self.cluster
        g = cl.gpu_free[nodes]
        full = (g == MILLI_PER_GPU).sum(axis=1)
        idle_node = full == cl.gpu_count[nodes]
        idle_score = np.maximum(MAX_SCORE // 3 - full, full)
        if shape.is_share:
            fmin = np.where(g >= shape.gpu_milli, g, MILLI_PER_GPU + 1).min(axis=1)
            takes_full = fmin == MILLI_PER_GPU
            used = np.maximum(MAX_SCORE - (fmin * 100 // MILLI_PER_GPU) // 10, MAX_SCORE // 2)
            mid = np.where(takes_full, max(MAX_SCORE // 2 - 1, MAX_SCORE // 3), used)
        else:
            mid = np.full(len(nodes), max(MAX_SCORE // 2 - shape.num_gpu, MAX_SCORE // 3))
        return np.where(idle_node, idle_score, mid).astype(np.float64)


class BestFitPolicy(Policy):
    name = "bestfit"
    description = "least free (CPU, GPU) left after placement, equal weights, max-normalised"

    def score(self, shape: PodShape, nodes: IntArray) -> FloatArray:
        cl = self.cluster
        left = (0.5 * (cl.cpu_free[nodes] - shape.cpu_milli) / MAX_SPEC_CPU_MILLI
                + 0.5 * (cl.gpu_total_free(nodes) - shape.gpu_demand_milli)
                / MAX_SPEC_GPU_MILLI)
        return np.trunc((1.0 - left) * MAX_SCORE)


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


class FGDPolicy(Policy):
    name = "fgd"
    needs_frag = True
    description = "fragmentation gradient descent: least growth of expected fragmentation"

    def _gpu_scores(self, shape: PodShape, nodes: IntArray) -> FloatArray:
        assert self.ctx is not None and self.ctx.frag is not None
        fi = self.ctx.frag
        after = fi.after_placement(shape, nodes)
        before = fi.frag[nodes]
        if after.ndim == 2:
            before = before[:, None]
        with np.errstate(invalid="ignore", over="ignore"):
            s = np.trunc(_sigmoid((before - after) / 1000.0) * MAX_SCORE)
        return np.asarray(s)

    def score(self, shape: PodShape, nodes: IntArray) -> FloatArray:
        s = self._gpu_scores(shape, nodes)
        if s.ndim == 2:
            return np.asarray(np.nanmax(np.where(np.isnan(s), -1.0, s), axis=1))
        return s

    def choose_gpus(self, shape: PodShape, node: int) -> tuple[int, ...]:
        if not shape.is_share:
            return super().choose_gpus(shape, node)
        s = self._gpu_scores(shape, np.array([node], dtype=np.int64))[0]
        s = np.where(np.isnan(s), -1.0, s)
        return (int(np.argmax(s)),)


PolicyFactory = Callable[[], Policy]

PLACEMENT_POLICIES: dict[str, type[Policy]] = {
    cls.name: cls
    for cls in (RandomPolicy, DotProdPolicy, ClusteringPolicy, PackingPolicy, BestFitPolicy,
                FGDPolicy)
}
"""Placement policies (which node a pod goes to) by name. Add one by adding its class
here. Queue policies (what runs next) are :data:`aifab.sim.national.QUEUE_POLICIES`."""


def get_placement_policy(name: str) -> Policy:
    """A fresh placement policy instance by registry name (case-insensitive)."""
    key = name.strip().lower()
    if key not in PLACEMENT_POLICIES:
        raise BadInput(f"unknown policy {name!r} (choose from: {', '.join(PLACEMENT_POLICIES)})",
                       where="--policy")
    return PLACEMENT_POLICIES[key]()

