"""Cluster state: nodes with free CPU (milli), memory (MiB) and per-GPU free milli-GPU.

State is kept as numpy arrays over nodes so that policies score every node at once. GPUs of
a node are the first ``gpu_count[i]`` columns of ``gpu_free``; the padding columns hold 0,
which never fits a GPU request and adds nothing to free capacity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from aifab.errors import BadInput

MILLI_PER_GPU = 1000
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Kind tags of pods on a node (GPU-sharing "kind" used by the Clustering policy):
#: column 0 = shared-GPU pods, column k = pods with k whole GPUs.
SHARE_KIND = 0


@dataclass(frozen=True)
class PodShape:
    """A pod's request. ``models``: allowed GPU model ids (empty tuple = any model)."""

    cpu_milli: int
    memory_mib: int
    num_gpu: int
    gpu_milli: int
    models: tuple[int, ...] = ()

    @property
    def gpu_demand_milli(self) -> int:
        return self.num_gpu * self.gpu_milli

    @property
    def is_share(self) -> bool:
        """True for a pod that takes part of one GPU."""
        return self.num_gpu == 1 and self.gpu_milli < MILLI_PER_GPU

    @property
    def kind(self) -> int:
        """Kind column (see SHARE_KIND); -1 for a pod without GPU."""
        if self.num_gpu == 0:
            return -1
        return SHARE_KIND if self.is_share else self.num_gpu


@dataclass(frozen=True)
class Placement:
    """Where a pod went: node index and the GPU indices on that node."""

    node: int
    gpus: tuple[int, ...]


Listener = Callable[[IntArray], None]


class NodeCluster:
    """Mutable cluster state. Describe once (capacities), then allocate and release pods.

    ``listeners`` are called with the indices of nodes whose state changed, so caches
    (score caches, fragmentation indexes) can refresh just those nodes.
    """

    def __init__(self, cpu_milli: npt.ArrayLike, memory_mib: npt.ArrayLike,
                 gpu_count: npt.ArrayLike, model: npt.ArrayLike,
                 model_names: Sequence[str] = (), names: Sequence[str] | None = None):
        self.cpu_cap: IntArray = np.asarray(cpu_milli, dtype=np.int64).copy()
        self.mem_cap: IntArray = np.asarray(memory_mib, dtype=np.int64).copy()
        self.gpu_count: IntArray = np.asarray(gpu_count, dtype=np.int64).copy()
        self.model: IntArray = np.asarray(model, dtype=np.int64).copy()
        n = len(self.cpu_cap)
        if not (len(self.mem_cap) == len(self.gpu_count) == len(self.model) == n):
            raise ValueError("node arrays differ in length")
        if n == 0:
            raise BadInput("cluster has no nodes")
        self.model_names = tuple(model_names)
        self.names = tuple(names) if names is not None else tuple(f"node-{i}" for i in range(n))
        self.max_gpus = max(1, int(self.gpu_count.max()))
        self.cpu_free: IntArray = self.cpu_cap.copy()
        self.mem_free: IntArray = self.mem_cap.copy()
        cols = np.arange(self.max_gpus)
        self.gpu_free: IntArray = np.where(cols[None, :] < self.gpu_count[:, None],
                                           MILLI_PER_GPU, 0).astype(np.int64)
        self.kind_count: IntArray = np.zeros((n, self.max_gpus + 1), dtype=np.int64)
        self.gpu_capacity_milli = int(self.gpu_count.sum()) * MILLI_PER_GPU
        self.allocated_milli = 0
        self.listeners: list[Listener] = []

    # ----------------------------------------------------------------- queries
    def __len__(self) -> int:
        return len(self.cpu_cap)

    def model_mask(self, shape: PodShape) -> BoolArray:
        """Nodes whose GPU model the pod accepts (all nodes if it names none)."""
        if not shape.models or shape.num_gpu == 0:
            return np.ones(len(self), dtype=bool)
        return np.isin(self.model, np.asarray(shape.models, dtype=np.int64))

    def feasible(self, shape: PodShape, nodes: IntArray | None = None) -> BoolArray:
        """Which of ``nodes`` (default all) can host the pod right now."""
        idx = slice(None) if nodes is None else nodes
        ok = (self.cpu_free[idx] >= shape.cpu_milli) & (self.mem_free[idx] >= shape.memory_mib)
        if shape.num_gpu > 0:
            fit = (self.gpu_free[idx] >= shape.gpu_milli).sum(axis=1) >= shape.num_gpu
            ok &= fit & self.model_mask(shape)[idx]
        return np.asarray(ok, dtype=bool)

    def gpu_total_free(self, nodes: IntArray | None = None) -> IntArray:
        idx = slice(None) if nodes is None else nodes
        return np.asarray(self.gpu_free[idx].sum(axis=1), dtype=np.int64)

    def default_gpus(self, shape: PodShape, node: int) -> tuple[int, ...]:
        """Lowest-index whole free GPUs for a whole-GPU pod; best-fit GPU for a shared one."""
        if shape.num_gpu == 0:
            return ()
        g = self.gpu_free[node, : self.gpu_count[node]]
        if shape.is_share:
            fit = np.flatnonzero(g >= shape.gpu_milli)
            return (int(fit[np.argmin(g[fit])]),)
        free = np.flatnonzero(g >= shape.gpu_milli)
        return tuple(int(x) for x in free[: shape.num_gpu])

    # ----------------------------------------------------------------- changes
    def _notify(self, node: int) -> None:
        arr = np.array([node], dtype=np.int64)
        for fn in self.listeners:
            fn(arr)

    def allocate(self, shape: PodShape, placement: Placement) -> None:
        """Take the pod's resources on ``placement``; raises ValueError if they are not free."""
        i = placement.node
        if self.cpu_free[i] < shape.cpu_milli or self.mem_free[i] < shape.memory_mib:
            raise ValueError(f"node {i} lacks CPU or memory for {shape}")
        if len(placement.gpus) != shape.num_gpu or len(set(placement.gpus)) != shape.num_gpu:
            raise ValueError(f"placement {placement} does not match {shape.num_gpu} GPUs")
        for g in placement.gpus:
            if not 0 <= g < self.gpu_count[i] or self.gpu_free[i, g] < shape.gpu_milli:
                raise ValueError(f"GPU {g} of node {i} lacks {shape.gpu_milli} milli")
        self.cpu_free[i] -= shape.cpu_milli
        self.mem_free[i] -= shape.memory_mib
        for g in placement.gpus:
            self.gpu_free[i, g] -= shape.gpu_milli
        if shape.kind >= 0:
            self.kind_count[i, shape.kind] += 1
        self.allocated_milli += shape.gpu_demand_milli
        self._notify(i)

    def release(self, shape: PodShape, placement: Placement) -> None:
        """Give back what :meth:`allocate` took."""
        i = placement.node
        self.cpu_free[i] += shape.cpu_milli
        self.mem_free[i] += shape.memory_mib
        for g in placement.gpus:
            self.gpu_free[i, g] += shape.gpu_milli
        if shape.kind >= 0:
            self.kind_count[i, shape.kind] -= 1
        self.allocated_milli -= shape.gpu_demand_milli
        if (self.cpu_free[i] > self.cpu_cap[i] or self.mem_free[i] > self.mem_cap[i]
                or (self.gpu_free[i] > MILLI_PER_GPU).any()):
            raise ValueError(f"release of {shape} on node {i} exceeds capacity")
        self._notify(i)

    def state_rows(self, nodes: IntArray) -> IntArray:
        """One integer row per node with everything a policy may look at (for dedup)."""
        return np.concatenate([
            self.cpu_free[nodes, None], self.mem_free[nodes, None], self.model[nodes, None],
            self.gpu_count[nodes, None], self.gpu_free[nodes], self.kind_count[nodes] > 0,
        ], axis=1).astype(np.int64)
