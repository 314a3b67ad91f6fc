"""GPU fragmentation as defined by the FGD paper (Weng et al., ATC'23).

A *target workload* is a list of pod shapes with frequencies. For one node and one shape,
the node's free GPU milli counts as fragmented when the shape cannot run there (no GPU
requested, wrong model, too little CPU, too few GPUs with enough free milli); when it can
run, only the free milli on GPUs with less than the shape's ``gpu_milli`` counts. Node
fragmentation is the frequency-weighted sum over shapes; the cluster's is the sum over nodes.

Writing ``u_s`` for the free milli on GPUs that individually fit shape ``s``, node
fragmentation is ``free_total - sum_s p_s * fits_s * u_s``; :class:`FragIndex` keeps
``u_s`` and the count of fitting GPUs per node so that the effect of a placement can be
evaluated for every node at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aifab.sim.state import NodeCluster, PodShape

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class TargetWorkload:
    """Shapes (CPU, GPUs, milli per GPU, allowed models) and their frequencies (sum 1).

    ``counts`` (pods per shape), when known, make fragmentation sums exact integers.
    """

    shapes: tuple[PodShape, ...]
    freq: tuple[float, ...]
    counts: tuple[int, ...] | None = None

    def __len__(self) -> int:
        return len(self.shapes)

    def integer_weights(self) -> tuple[npt.NDArray[np.int64], int]:
        """Integer weights and their denominator: ``freq[s] == weights[s] / denominator``."""
        if self.counts is not None:
            return np.array(self.counts, dtype=np.int64), int(sum(self.counts))
        scale = 1 << 24
        return np.array([round(f * scale) for f in self.freq], dtype=np.int64), scale


def target_workload(shapes: Sequence[PodShape], coverage: float = 0.95) -> TargetWorkload:
    """The most frequent shapes covering ``coverage`` of the pods, renormalised.

    Memory is not part of a shape (as in the paper's simulator). Ties in frequency are
    ordered by larger CPU, milli, GPU count first, so the choice is deterministic.
    """
    counts = Counter(PodShape(s.cpu_milli, 0, s.num_gpu, s.gpu_milli, s.models) for s in shapes)
    total = sum(counts.values())
    if total == 0:
        raise ValueError("empty workload")
    ordered = sorted(counts.items(), key=lambda kv: (kv[1], kv[0].cpu_milli, kv[0].gpu_milli,
                                                     kv[0].num_gpu, kv[0].models), reverse=True)
    keep: list[tuple[PodShape, int]] = []
    cum = 0
    for shape, cnt in ordered:
        if cum >= coverage * total:
            break
        keep.append((shape, cnt))
        cum += cnt
    return TargetWorkload(tuple(s for s, _ in keep), tuple(c / cum for _, c in keep),
                          tuple(c for _, c in keep))


class FragIndex:
    """Per-node fragmentation of a cluster against a target workload, kept up to date.

    Subscribes to the cluster's change notifications; ``frag[i]`` is node i's expected
    fragmented milli-GPU and ``total`` their sum.
    """

    def __init__(self, cluster: NodeCluster, target: TargetWorkload):
        self.cluster = cluster
        self.target = target
        s = target.shapes
        self.m = np.array([x.gpu_milli for x in s], dtype=np.int64)
        self.n = np.array([x.num_gpu for x in s], dtype=np.int64)
        self.c = np.array([x.cpu_milli for x in s], dtype=np.int64)
        self.weights, self.denominator = target.integer_weights()
        self.gpu_shape = self.m > 0
        n_models = max(int(cluster.model.max()) + 1, 1)
        access = np.ones((n_models, len(s)), dtype=bool)
        for j, x in enumerate(s):
            if x.models:
                access[:, j] = False
                access[[mm for mm in x.models if mm < n_models], j] = True
        self.access = access
        n = len(cluster)
        self.cnt = np.zeros((n, len(s)), dtype=np.int64)
        self.usable = np.zeros((n, len(s)), dtype=np.int64)
        self.frag = np.zeros(n, dtype=np.float64)
        self.refresh(np.arange(n, dtype=np.int64))
        cluster.listeners.append(self.refresh)

    @property
    def total(self) -> float:
        return float(self.frag.sum())

    def refresh(self, nodes: IntArray) -> None:
        """Recompute the rows of ``nodes`` from the cluster state."""
        g = self.cluster.gpu_free[nodes]
        ge = g[:, None, :] >= self.m[None, :, None]
        self.cnt[nodes] = ge.sum(axis=2)
        self.usable[nodes] = (g[:, None, :] * ge).sum(axis=2)
        self.frag[nodes] = self.frag_of(nodes, self.cluster.cpu_free[nodes], g.sum(axis=1),
                                        self.cnt[nodes], self.usable[nodes])

    def frag_of(self, nodes: IntArray, cpu_free: npt.ArrayLike, gpu_total: npt.ArrayLike,
                cnt: IntArray, usable: IntArray) -> FloatArray:
        """Fragmentation of hypothetical states of ``nodes``; extra leading axes broadcast.

        ``cnt``/``usable`` have shape (..., len(nodes), S); ``cpu_free``/``gpu_total``
        broadcast to (..., len(nodes)).
        """
        cpu = np.asarray(cpu_free)[..., None]
        fits = ((cnt >= self.n) & (cpu >= self.c) & self.gpu_shape
                & self.access[self.cluster.model[nodes]])
        total = np.asarray(gpu_total, dtype=np.int64)
        amount = np.where(fits, total[..., None] - usable, total[..., None])
        # Integer weights keep the sum exact: zeros stay zero and the result does not depend
        # on how many nodes are evaluated together (a cached score equals a fresh one).
        return np.asarray((amount @ self.weights) / self.denominator, dtype=np.float64)

    def after_placement(self, shape: PodShape, nodes: IntArray) -> FloatArray:
        """Fragmentation of each node in ``nodes`` after hosting ``shape``.

        For a whole-GPU or CPU-only pod the result has shape (len(nodes),). For a shared-GPU
        pod it has shape (len(nodes), max_gpus): one value per GPU the pod could go on
        (NaN where it does not fit).
        """
        cl = self.cluster
        cpu = cl.cpu_free[nodes] - shape.cpu_milli
        gtot = cl.gpu_free[nodes].sum(axis=1) - shape.gpu_demand_milli
        cnt = self.cnt[nodes]
        usable = self.usable[nodes]
        if not shape.is_share:
            if shape.num_gpu > 0:  # whole GPUs: each taken GPU had 1000 free, fits every shape
                take = shape.num_gpu * (self.m > 0)
                cnt = cnt - take
                usable = usable - take * shape.gpu_milli
            return self.frag_of(nodes, cpu, gtot, cnt, usable)
        f = cl.gpu_free[nodes]                                  # (H, G)
        f2 = f - shape.gpu_milli
        m = self.m[None, None, :]
        before = f[:, :, None] >= m                              # (H, G, S)
        after = f2[:, :, None] >= m
        cnt2 = cnt[:, None, :] - before + after
        usable2 = usable[:, None, :] - f[:, :, None] * before + f2[:, :, None] * after
        fr = self.frag_of(nodes, cpu, gtot, cnt2.transpose(1, 0, 2),
                          usable2.transpose(1, 0, 2)).T       # (H, G)
        ok = f >= shape.gpu_milli
        return np.where(ok, fr, np.nan)


def node_frag(cluster: NodeCluster, target: TargetWorkload, node: int) -> float:
    """Fragmentation of one node, computed directly from the definition (for tests)."""
    g = cluster.gpu_free[node, : cluster.gpu_count[node]]
    total = float(g.sum())
    out = 0.0
    for shape, p in zip(target.shapes, target.freq, strict=True):
        if shape.gpu_milli == 0:
            out += p * total
            continue
        allowed = not shape.models or int(cluster.model[node]) in shape.models
        fits = (allowed and cluster.cpu_free[node] >= shape.cpu_milli
                and int((g >= shape.gpu_milli).sum()) >= shape.num_gpu)
        out += p * (float(g[g < shape.gpu_milli].sum()) if fits else total)
    return out
