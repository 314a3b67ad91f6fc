"""The failure model's parts on their own: domain health (free / spares / in repair per
domain), the failure source, the goodput observer and the pure report function."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aifab.catalog import default_catalog
from aifab.reliability import FailureEvent, ReliabilityMeter, failure_model
from aifab.scenario import ReliabilitySettings
from aifab.sim.national._failreport import DailyTable, RunFigures, reliability_block
from aifab.sim.national._failsource import FailureSource
from aifab.sim.national._health import DomainHealth
from aifab.sim.national._model import PoolSpec
from aifab.sim.national._pools import PoolState


class _Fleet:
    """The two capacity moves of the twin's fleet, on real pool states."""

    def __init__(self, pools: list[PoolSpec]) -> None:
        self.pools = [PoolState(p.index, p.domains, p.domain_size) for p in pools]
        self.moves: list[tuple[str, int, int, int]] = []

    def take_down(self, pool: int, d: int, n: int) -> None:
        self.moves.append(("down", pool, d, n))
        self.pools[pool].free[d] -= n
        self.pools[pool].free_total -= n

    def bring_up(self, pool: int, d: int, n: int) -> None:
        self.moves.append(("up", pool, d, n))
        self.pools[pool].free[d] += n
        self.pools[pool].free_total += n


def _pool(index: int = 0, domains: int = 4, size: int = 8, system: str = "dgx-b200",
          accelerator: str = "b200") -> PoolSpec:
    return PoolSpec(index, "Own", accelerator, system, "gpu", size, domains, 0, 1.0, 0.5, 1.0)


def _conserved(h: DomainHealth, fleet: _Fleet, size: int) -> None:
    for i, p in enumerate(fleet.pools):
        assert (p.free + h.held[i] + h.broken[i] == size).all()  # nothing allocated here
        assert h.spares[i] == int(h.held[i].sum())


def test_health_holds_spares_from_the_last_domains_and_conserves_every_domain() -> None:
    pools = [_pool(domains=4, size=8)]
    fleet = _Fleet(pools)
    h = DomainHealth(fleet, pools, target=[12])
    assert h.held[0].tolist() == [0, 0, 4, 8] and h.spares == [12]
    _conserved(h, fleet, 8)
    # a failure of 3 on domain 0 (free) needs 3 replacements: they come from spares
    assert h.break_down(0, 0, 3) == 3
    assert h.swap_in(0, 3) == 3 and h.spares == [9]
    _conserved(h, fleet, 8)
    assert h.held[0].tolist() == [0, 0, 4, 5]  # released from the last domain
    # a failure of 5 on domain 3 (3 free, 5 held) takes the free ones first, then spares
    assert h.break_down(0, 3, 5) == 3 and h.spares == [7]
    _conserved(h, fleet, 8)
    assert h.in_repair() == 8
    # repairs refill the spares up to the target first, then free the rest
    h.repair(0, 3, 5)
    assert h.spares == [12] and h.in_repair() == 3
    h.repair(0, 0, 3)
    assert h.spares == [12] and h.in_repair() == 0
    _conserved(h, fleet, 8)
    assert fleet.pools[0].free_total == 32 - 12


def test_health_integrates_spares_held_over_the_window() -> None:
    pools = [_pool(domains=2, size=8)]
    h = DomainHealth(_Fleet(pools), pools, target=[8])
    h.reset_window(100.0)
    h.advance(200.0)  # 8 held for 100 s
    h.break_down(0, 1, 8)
    h.advance(300.0)  # none held for 100 s
    assert h.spares_acc_s_until(400.0) == pytest.approx(800.0)
    doc, arrays = h.state()
    h2 = DomainHealth(_Fleet(pools), pools, target=[8])
    h2.restore(doc, arrays)
    assert h2.spares == h.spares and (h2.broken[0] == h.broken[0]).all()


def test_source_is_deterministic_and_maps_slots_to_domains() -> None:
    fm = failure_model(ReliabilitySettings(rates_per_accelerator_day={"gpu": 0.05}))
    pools = [_pool(domains=4, size=72, system="gb200-nvl72", accelerator="gb200")]
    a = FailureSource(pools, 10 * 86400.0, 3, fm, default_catalog(), {})
    b = FailureSource(pools, 10 * 86400.0, 3, fm, default_catalog(), {})
    assert len(a.events) > 50 and [e.time_s for e in a.events] == [e.time_s for e in b.events]
    assert (a.u == b.u).all() and a.slot_acc == [4]
    # a rack failure (18 trays of 4) takes out exactly its NVL72 domain
    rack = FailureEvent(0.0, "network", "0", 20, tuple(range(18, 36)), 72, 60.0, 1.0, True)
    assert a.domains(rack) == (1, {1: 72})
    assert a.take(0) is a.events[0] and a.cursor == 1
    assert a.next_time(len(a.events)) is None


def _meter(useful: float, lost: float) -> ReliabilityMeter:
    m = ReliabilityMeter(100, start_s=0.0)
    m.book("a", useful=useful, checkpoint=10.0, lost=lost, restart=5.0, wall=useful + lost + 15)
    return m


def test_report_is_a_pure_function_of_meters_and_figures() -> None:
    m, tm = _meter(800.0, 100.0), _meter(800.0, 100.0)
    fig = RunFigures(now=3600.0, other_acc_s={"a": 85.0}, intervals_h={}, spares_held=4,
                     spares_acc_s=3600.0 * 4, spares_target=5, in_repair_now=2,
                     replicas_removed=1, unmet_tok=7.0)
    out = reliability_block(m, tm, fig)
    assert out == reliability_block(m, tm, fig)  # no hidden state
    assert out["goodput"] == pytest.approx(800.0 / (915.0 + 85.0))
    assert out["accelerator_hours"]["preemption_loss"] == pytest.approx(85.0 / 3600.0)
    assert out["spares_held_share"] == pytest.approx(4 / 100)
    assert out["checkpoint_interval_h"] == "young-daly"
    assert m.acc_s["a"]["useful"] == 800.0  # the meters are not touched


def test_daily_table_counts_the_day_and_starts_a_new_one() -> None:
    t = DailyTable(lambda: 3, lambda: 2)
    t.counts["gpu"] += 2
    t.hands_on_h += 12.0
    row = t.close_day(86400.0, 0.0)
    assert row[0] == 1.0 and row[1] == 2.0 and row[-3:] == (3.0, 2.0, 0.5)
    assert t.counts["gpu"] == 0 and t.hands_on_h == 0.0
    frame = t.frame(1.5 * 86400.0, 0.0)
    assert len(frame) == 2 and math.isclose(frame["day"].iloc[-1], 1.5)
    day, rows = t.state()
    t2 = DailyTable(lambda: 0, lambda: 0)
    t2.restore(day, rows)
    assert t2.rows == t.rows and np.array_equal(rows, t.state()[1])
