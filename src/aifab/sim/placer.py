"""Choosing a node for one pod: feasibility, policy scores, tie-breaking.

Ties between equally scored nodes are broken like the FGD paper's simulator does: by a
random order of the nodes drawn once per run (it renames nodes with a random prefix and
takes the lexicographically smallest name), which packs pods onto the same nodes when
scores are equal. ``tie_break="uniform"`` draws uniformly among the best nodes per pod
instead (the stock Kubernetes scheduler).

Scores are a function of (node state, pod shape), so :class:`Placer` caches one score
array per shape and, for each new pod, rescores only nodes changed since that shape was
last seen. Large rescoring batches are deduplicated: nodes in identical states (same free
CPU, memory, GPUs, model and pod kinds) are scored once. That keeps the cost per pod close
to the number of changed nodes rather than the cluster size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from aifab.sim.policies import Policy, SimContext
from aifab.sim.state import NodeCluster, Placement, PodShape

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

TIE_BREAKS = ("rank", "uniform")
DEDUP_MIN = 256
"""Rescoring batches at least this large are deduplicated by node state."""


@dataclass
class _ShapeCache:
    scores: FloatArray
    seen: int = 0


@dataclass
class PlacerStats:
    """Work counters (for benchmarks)."""

    pods: int = 0
    rescored_nodes: int = 0
    scored_states: int = 0
    cache_misses: dict[int, int] = field(default_factory=dict)


class Placer:
    """Places pods on a cluster with one policy. ``cache=False`` rescores every node."""

    def __init__(self, cluster: NodeCluster, policy: Policy, ctx: SimContext, *, cache: bool = True,
                 tie_break: str = "rank"):
        if tie_break not in TIE_BREAKS:
            raise ValueError(f"tie_break must be one of {TIE_BREAKS}")
        self.cluster = cluster
        self.tie_break = tie_break
        self.rank: IntArray = ctx.rng.permutation(len(cluster)).astype(np.int64)
        self.policy = policy
        self.ctx = ctx
        policy.bind(ctx)
        self.cache_enabled = cache and policy.cacheable
        self._use_key = tie_break == "rank" and policy.integer_scores
        self._caches: dict[int, _ShapeCache] = {}
        self._log: list[int] = []
        self._key_scale = float(len(cluster) + 1)
        self._stamp: IntArray = np.zeros(len(cluster), dtype=np.int64)
        mult = np.random.default_rng(0x5EED).integers(1, 2**62, size=cluster.state_rows(
            np.zeros(1, dtype=np.int64)).shape[1], dtype=np.int64)
        self._hash_mult: IntArray = np.asarray(mult | 1, dtype=np.int64)
        self.stats = PlacerStats()
        cluster.listeners.append(self._changed)

    def _changed(self, nodes: IntArray) -> None:
        for x in nodes:
            self._log.append(int(x))
            self._stamp[x] = len(self._log)

    def _groups(self, nodes: IntArray) -> tuple[IntArray, IntArray]:
        """Representatives of identical node states and each node's group."""
        rows = self.cluster.state_rows(nodes)
        with np.errstate(over="ignore"):
            key = rows @ self._hash_mult  # wrapping 64-bit hash of the row
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
        inv = inv.reshape(-1)
        if not (rows == rows[first][inv]).all():  # a hash collision: fall back to exact
            _, first, inv = np.unique(rows, axis=0, return_index=True, return_inverse=True)
            inv = inv.reshape(-1)
        return np.asarray(first, dtype=np.int64), np.asarray(inv, dtype=np.int64)

    def _rescore(self, shape: PodShape, nodes: IntArray, out: FloatArray) -> None:
        if len(nodes) >= DEDUP_MIN and self.policy.cacheable:
            first, inv = self._groups(nodes)
            reps = nodes[first]
            out[nodes] = self._keyed(self._score_nodes(shape, reps)[inv], nodes)
            self.stats.scored_states += len(reps)
        else:
            out[nodes] = self._keyed(self._score_nodes(shape, nodes), nodes)
            self.stats.scored_states += len(nodes)
        self.stats.rescored_nodes += len(nodes)

    def _keyed(self, scores: FloatArray, nodes: IntArray) -> FloatArray:
        """With rank ties and integer scores, fold the node order into the cached value."""
        if not self._use_key:
            return scores
        return np.asarray(scores * self._key_scale - self.rank[nodes])

    def _score_nodes(self, shape: PodShape, nodes: IntArray) -> FloatArray:
        ok = self.cluster.feasible(shape, nodes)
        res = np.full(len(nodes), -np.inf)
        if ok.any():
            res[ok] = self.policy.score(shape, nodes[ok])
        return res

    def scores(self, shape_id: int, shape: PodShape) -> FloatArray:
        """Current values of every node for ``shape`` (-inf where infeasible): the policy's
        scores, or with rank tie-breaking ``score * (nodes + 1) - rank``."""
        n = len(self.cluster)
        if not self.cache_enabled:
            out = np.full(n, -np.inf)
            self._rescore(shape, np.arange(n, dtype=np.int64), out)
            return out
        c = self._caches.get(shape_id)
        if c is None:
            c = _ShapeCache(np.full(n, -np.inf))
            self._rescore(shape, np.arange(n, dtype=np.int64), c.scores)
        elif c.seen < len(self._log):
            pending = len(self._log) - c.seen
            if pending >= n // 8:
                stale = np.flatnonzero(self._stamp > c.seen).astype(np.int64)
            else:
                stale = np.unique(np.asarray(self._log[c.seen:], dtype=np.int64))
            self._rescore(shape, stale, c.scores)
        c.seen = len(self._log)
        self._caches[shape_id] = c
        return c.scores

    def place(self, shape_id: int, shape: PodShape) -> Placement | None:
        """Choose a node and GPUs for the pod and allocate them; None if nothing fits."""
        self.stats.pods += 1
        s = self.scores(shape_id, shape)
        if self._use_key:  # one pass: integer score first, then the run's node order
            node = int(np.argmax(s))
            if s[node] == -np.inf:
                return None
        else:
            best = s.max()
            if best == -np.inf:
                return None
            if self.tie_break == "rank":
                node = int(np.where(s == best, self.rank, len(s)).argmin())
            else:
                ties = np.flatnonzero(s == best)
                node = int(ties[self.ctx.rng.integers(len(ties))])
        placement = Placement(node, self.policy.choose_gpus(shape, node))
        self.cluster.allocate(shape, placement)
        return placement
