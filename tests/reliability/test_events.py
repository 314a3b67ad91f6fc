"""The failure-event stream the job Monte Carlo and the twin consume."""

from __future__ import annotations

import numpy as np
import pytest

from aifab.errors import BadInput
from aifab.reliability import CLASSES, PoolSpec, failure_events, failure_model


def _pools() -> list[PoolSpec]:
    fm = failure_model()
    return [PoolSpec("hgx", 8000, fm.layout_for("server", 8), "hopper"),
            PoolSpec("nvl", 7200, fm.layout_for("rack", 72), "blackwell")]


def test_ordered_in_horizon_and_blast() -> None:
    fm = failure_model()
    evs = list(failure_events(_pools(), 200 * 86400.0, np.random.default_rng(3), fm))
    times = [e.time_s for e in evs]
    assert times == sorted(times) and times[0] >= 0 and times[-1] < 200 * 86400
    for e in evs:
        lay = _pools()[0 if e.pool == "hgx" else 1].layout
        assert e.slots[0] == e.hit_slot and len(set(e.slots)) == len(e.slots)
        assert {s // lay.slots_per_rack for s in e.slots} == {e.hit_slot // lay.slots_per_rack}
        assert e.accelerators == len(e.slots) * lay.slot_accelerators
        assert len(e.slots) in (1, lay.slots_per_rack)
        assert e.repair_s > 0 and e.cause in CLASSES
        assert e.hardware == (e.cause != "software")
    racks = [e for e in evs if len(e.slots) > 1]
    assert racks and all(e.cause == "network" for e in racks)


def test_rate_matches_model() -> None:
    """Events per pool are Poisson with mean accelerators x rate x days (4-sigma band)."""
    fm = failure_model()
    days = 400.0
    evs = list(failure_events(_pools(), days * 86400, np.random.default_rng(11), fm))
    for p in _pools():
        mean = p.accelerators * fm.total_rate(p.family) * days
        n = sum(e.pool == p.name for e in evs)
        assert abs(n - mean) < 4 * mean ** 0.5, (p.name, n, mean)


def test_pools_independent_and_deterministic() -> None:
    fm = failure_model()
    a = list(failure_events(_pools(), 30 * 86400, np.random.default_rng(5), fm))
    b = list(failure_events(_pools(), 30 * 86400, np.random.default_rng(5), fm))
    assert a == b
    more = [*_pools(), PoolSpec("extra", 800, fm.layout_for("server", 8))]
    c = list(failure_events(more, 30 * 86400, np.random.default_rng(5), fm))
    assert [e for e in c if e.pool != "extra"] == a
    with pytest.raises(BadInput):
        list(failure_events([_pools()[0], _pools()[0]], 10.0, np.random.default_rng(0), fm))
