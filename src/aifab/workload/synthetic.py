"""Synthetic job classes calibrated to public cluster statistics (docs/sim-national.md).

Durations are hours on a reference accelerator (H100 by default); the national twin
scales them by the perf model's speed of the device a job lands on.
"""

from __future__ import annotations

import math

import numpy as np

from aifab.scenario import JobClassSpec

#: Default job classes. Sources: AcmeTrace cluster summary and the Philly job list
#: (median research job 1 GPU, median run 2-15 min, mean 0.4-5 h; a few huge jobs hold
#: most GPU time); public LLM pre-training reports for pretrain sizes and lengths.
DEFAULT_CLASSES: dict[str, JobClassSpec] = {
    "pretrain": JobClassSpec(sizes=[256, 512, 1024, 2048, 4096],
                             size_probs=[0.25, 0.3, 0.25, 0.15, 0.05],
                             median_h=5 * 24.0, sigma=0.6, min_h=24.0, max_h=30 * 24.0,
                             priority=2, checkpoint_h=2.0),
    "finetune": JobClassSpec(sizes=[8, 16, 32, 64, 128, 256],
                             size_probs=[0.15, 0.15, 0.2, 0.2, 0.15, 0.15],
                             median_h=12.0, sigma=1.0, min_h=0.5, max_h=4 * 24.0,
                             priority=1, checkpoint_h=1.0),
    "research": JobClassSpec(sizes=[1, 2, 4, 8], size_probs=[0.6, 0.15, 0.15, 0.1],
                             median_h=0.25, sigma=2.4, min_h=1 / 60, max_h=7 * 24.0,
                             priority=1, checkpoint_h=1.0),
}

#: Share of a tenant's offered accelerator-hours per class, by tenant kind.
DEFAULT_MIX: dict[str, dict[str, float]] = {
    "owner": {"pretrain": 0.75, "finetune": 0.2495, "research": 0.0005},
    "institute": {"pretrain": 0.50, "finetune": 0.497, "research": 0.003},
    "university": {"pretrain": 0.25, "finetune": 0.74, "research": 0.01},
    "startup": {"pretrain": 0.30, "finetune": 0.695, "research": 0.005},
    "other": {"pretrain": 0.40, "finetune": 0.595, "research": 0.005},
}


_MEAN_GPU_S: dict[tuple[object, ...], float] = {}


class ClassSampler:
    """Draws gang sizes and reference durations (seconds) for one job class."""

    def __init__(self, spec: JobClassSpec, max_size: int | None = None) -> None:
        sizes = np.asarray(spec.sizes, dtype=np.int64)
        probs = np.asarray(spec.size_probs if spec.size_probs is not None
                           else [1.0] * len(spec.sizes), dtype=float)
        if max_size is not None:
            sizes = np.minimum(sizes, max(1, max_size))
        self.spec = spec
        self.sizes = sizes
        self.cum = np.cumsum(probs / probs.sum())
        self.cum[-1] = 1.0

    def size(self, rng: np.random.Generator) -> int:
        return int(self.sizes[int(np.searchsorted(self.cum, rng.random(), side="right"))])

    def duration_s(self, rng: np.random.Generator) -> float:
        s = self.spec
        if s.duration == "exponential":
            h = rng.exponential(s.median_h)
        else:
            h = s.median_h * math.exp(s.sigma * rng.standard_normal())
        return 3600.0 * min(max(h, s.min_h), s.max_h)

    def mean_gpu_s(self, n: int = 20000, seed: int = 12345) -> float:
        """Expected accelerator-seconds per job on the reference device (Monte Carlo).

        Vectorised draws in the same order as :meth:`size` and :meth:`duration_s` called
        one by one (all sizes, then all durations), so the result is bit-identical.
        """
        s = self.spec
        # the draws read only these values: one Monte Carlo per distinct class (a fleet of
        # 1,000 tenants builds 3,000 samplers of a few classes)
        key = (s.duration, s.median_h, s.sigma, s.min_h, s.max_h, self.sizes.tobytes(),
               self.cum.tobytes(), n, seed)
        hit = _MEAN_GPU_S.get(key)
        if hit is not None:
            return hit
        _MEAN_GPU_S[key] = out = self._mean_gpu_s(n, seed)
        return out

    def _mean_gpu_s(self, n: int, seed: int) -> float:
        rng = np.random.default_rng(seed)
        s = self.spec
        u = rng.random(min(n, 2000))
        sz = self.sizes[np.searchsorted(self.cum, u, side="right")].astype(float)
        if s.duration == "exponential":
            h = rng.exponential(s.median_h, size=n)
        else:  # math.exp, as duration_s (np.exp may differ in the last bit)
            h = np.array([s.median_h * math.exp(s.sigma * z) for z in rng.standard_normal(n)])
        du = 3600.0 * np.minimum(np.maximum(h, s.min_h), s.max_h)
        return float(sz.mean() * du.mean())
