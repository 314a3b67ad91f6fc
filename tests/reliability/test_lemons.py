"""Heavy-tailed per-slot failure rates ("lemon" nodes) in the failure stream."""

from __future__ import annotations

import numpy as np

from aifab.reliability import PoolSpec, failure_events, failure_model
from aifab.scenario import ReliabilitySettings


def _top_share(share: float, mult: float, seed: int = 1) -> tuple[float, float, int]:
    """Share of hardware failures on the top 5 % of slots, share on lemons, count."""
    fm = failure_model(ReliabilitySettings(lemon_share=share, lemon_multiplier=mult,
                                           failure_scale=5.0))
    pool = PoolSpec("p", 16_000, fm.layout_for("server", 8))
    ev = [e for e in failure_events([pool], 90 * 86400.0, np.random.default_rng(seed), fm)
          if e.hardware]
    c = np.bincount([e.hit_slot for e in ev], minlength=pool.slots)
    top = float(np.sort(c)[::-1][: pool.slots // 20].sum() / c.sum())
    return top, sum(e.lemon for e in ev) / len(ev), len(ev)


def test_lemons_cause_most_failures_and_keep_the_fleet_rate() -> None:
    """About 2,850 hardware failures on 2,000 servers. Uniform rates: the top 5 % of
    servers (the unluckiest 100) see about 16 % of them. With 3 % lemons at 50x the rate
    they see most (lemons carry 1.5 / 2.47 = 61 % in expectation; binomial sd about 1 %)."""
    uni, uni_lemon, n_uni = _top_share(0.0, 1.0)
    top, lemon, n = _top_share(0.03, 50.0)
    assert uni < 0.25 and uni_lemon == 0.0
    assert top > 0.5
    assert abs(lemon - 1.5 / 2.47) < 0.05
    # lemons concentrate failures, they do not add any: the same Poisson total
    assert abs(n - n_uni) < 4 * np.sqrt(n_uni)


def test_packaged_lemons_and_no_lemons_keeps_the_uniform_stream() -> None:
    fm = failure_model()
    assert 0 < fm.lemon_share < 0.1 and fm.lemon_multiplier > 1 and fm.exclude_after >= 2
    assert "lemons" in fm.sources
    off = failure_model(ReliabilitySettings(lemon_share=0.0))
    pool = PoolSpec("p", 800, off.layout_for("server", 8))
    a = list(failure_events([pool], 30 * 86400.0, np.random.default_rng(4), off.scaled(20)))
    b = list(failure_events([pool], 30 * 86400.0, np.random.default_rng(4),
                            failure_model(ReliabilitySettings(lemon_multiplier=1.0)).scaled(20)))
    assert a == b and not any(e.lemon for e in a)
