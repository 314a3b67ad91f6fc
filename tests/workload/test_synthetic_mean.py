"""ClassSampler.mean_gpu_s (vectorised) equals the one-draw-at-a-time Monte Carlo bit for
bit, so the twin's arrival rates did not move when it was vectorised."""

from __future__ import annotations

import numpy as np
import pytest

from aifab.scenario import JobClassSpec
from aifab.workload import DEFAULT_CLASSES, ClassSampler


def _scalar_mean(sampler: ClassSampler, n: int = 20000, seed: int = 12345) -> float:
    rng = np.random.default_rng(seed)
    sz = np.array([sampler.size(rng) for _ in range(min(n, 2000))], dtype=float)
    du = np.array([sampler.duration_s(rng) for _ in range(n)])
    return float(sz.mean() * du.mean())


SPECS = [*DEFAULT_CLASSES.values(),
         JobClassSpec(sizes=[1, 4], duration="exponential", median_h=2.0, min_h=0.1,
                      max_h=10.0),
         JobClassSpec(sizes=[3], median_h=0.5, sigma=0.0)]


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("max_size", [None, 8, 300])
def test_vectorised_mean_is_bit_identical(spec: JobClassSpec, max_size: int | None) -> None:
    s = ClassSampler(spec, max_size)
    assert s.mean_gpu_s(n=5000, seed=7) == _scalar_mean(s, n=5000, seed=7)


def test_kept_means_are_per_class() -> None:
    """One Monte Carlo per distinct class (kept): a sampler of another spec, another gang
    cap, another draw count or seed gets its own mean, equal to a fresh computation."""
    base = ClassSampler(SPECS[1])
    first = base.mean_gpu_s(n=3000, seed=3)
    assert ClassSampler(SPECS[1]).mean_gpu_s(n=3000, seed=3) == first
    alt = [{"sigma": 0.5}, {"median_h": 6.0}, {"max_h": 24.0},
           {"size_probs": [0.5, 0.1, 0.1, 0.1, 0.1, 0.1]}]
    others = [ClassSampler(SPECS[1], 16),
              *(ClassSampler(SPECS[1].model_copy(update=u)) for u in alt)]
    for s in others:
        got = s.mean_gpu_s(n=3000, seed=3)
        assert got != first and got == _scalar_mean(s, n=3000, seed=3)
    assert base.mean_gpu_s(n=3001, seed=3) == _scalar_mean(base, n=3001, seed=3) != first
    assert base.mean_gpu_s(n=3000, seed=4) == _scalar_mean(base, n=3000, seed=4) != first
