"""Job Monte Carlo: hand cases, conservation and the repair invariant over random inputs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _scripts import load_file
from aifab.errors import BadInput
from aifab.reliability import (
    CLASSES,
    GangSpec,
    JobSimResult,
    PoolSpec,
    RepairDist,
    failure_model,
    simulate_jobs,
)


def test_no_failures_exact() -> None:
    """Rate 0: ETTR is tau / (tau + delta) over whole cycles, nothing lost."""
    fm = failure_model().scaled(0.0)
    pool = PoolSpec("p", 64, fm.layout_for("server", 8))
    r = simulate_jobs(pool, [GangSpec("g", 64, interval_s=580.0, write_s=20.0)], 6000.0,
                      np.random.default_rng(0), fm)
    g = r.gangs[0]
    assert r.interruptions == 0 and r.failures == 0
    assert g.useful_ah == pytest.approx(64 * 10 * 580 / 3600)
    assert g.checkpoint_ah == pytest.approx(64 * 10 * 20 / 3600)
    assert g.lost_ah == g.restart_ah == g.idle_ah == 0
    assert g.ettr == pytest.approx(580 / 600)


def test_no_spares_wait_for_repair() -> None:
    """Without spares an interrupted gang holds its healthy slots idle until repair."""
    fm = replace(failure_model().scaled(50.0), repair={c: RepairDist(5.0, 0.0) for c in CLASSES})
    pool = PoolSpec("p", 64, fm.layout_for("server", 8))
    r = simulate_jobs(pool, [GangSpec("g", 64)], 10 * 86400.0, np.random.default_rng(2), fm,
                      audit=True)
    _check_invariants(r)
    g = r.gangs[0]
    assert g.interruptions > 0 and g.idle_ah > 0 and g.spares_used > 0
    assert r.in_repair_share > 0
    spared = simulate_jobs(PoolSpec("p", 128, pool.layout), [GangSpec("g", 64)],
                           10 * 86400.0, np.random.default_rng(2), fm)
    assert spared.gangs[0].ettr > g.ettr


def test_deterministic_and_bad_input() -> None:
    fm = failure_model().scaled(20.0)
    pool = PoolSpec("p", 256, fm.layout_for("rack", 72), "blackwell")
    gangs = [GangSpec("a", 96), GangSpec("b", 64, interval_s=1800.0)]
    one = simulate_jobs(pool, gangs, 30 * 86400.0, np.random.default_rng(9), fm).to_dict()
    two = simulate_jobs(pool, gangs, 30 * 86400.0, np.random.default_rng(9), fm).to_dict()
    assert one == two
    other = simulate_jobs(pool, gangs, 30 * 86400.0, np.random.default_rng(10), fm).to_dict()
    assert other != one
    for k in ("interruptions_per_day", "by_cause", "ettr", "goodput", "lost_accelerator_hours",
              "in_repair_share", "spares_used", "technicians_busy"):
        assert k in one
    # the meter's block agrees with the result's own fields
    r = simulate_jobs(pool, gangs, 30 * 86400.0, np.random.default_rng(9), fm)
    assert one["goodput"] == pytest.approx(r.goodput)
    assert one["lost_accelerator_hours"] == pytest.approx(r.lost_accelerator_hours)
    assert one["in_repair_share"] == pytest.approx(r.in_repair_share)
    assert one["ettr"] == {g.name: pytest.approx(g.ettr) for g in r.gangs}
    assert one["interruptions_per_day"] == pytest.approx(r.interruptions / 30)
    assert one["interruptions_by_class"] == {g.name: g.interruptions for g in r.gangs}
    with pytest.raises(BadInput):
        simulate_jobs(pool, [GangSpec("big", 400)], 10.0, np.random.default_rng(0), fm)
    with pytest.raises(BadInput):
        simulate_jobs(pool, gangs, 0.0, np.random.default_rng(0), fm)


def _check_invariants(r: JobSimResult) -> None:
    assert r.audit is not None
    for g in r.gangs:
        parts = (g.useful_ah + g.checkpoint_ah + g.lost_ah + g.detect_ah + g.restart_ah
                 + g.idle_ah)
        assert parts == pytest.approx(g.allocated_ah, rel=1e-9, abs=1e-9)
        assert min(g.useful_ah, g.checkpoint_ah, g.lost_ah, g.detect_ah, g.restart_ah,
                   g.idle_ah) >= -1e-9
        assert 0 <= g.ettr <= 1
        assert g.interruptions == sum(g.by_cause.values())
    repairs: dict[int, list[tuple[float, float]]] = {}
    for s, t0, t1 in r.audit.repairs:
        assert t0 <= t1
        repairs.setdefault(s, []).append((t0, t1))
    for s, a0, a1, _ in r.audit.allocations:
        for t0, t1 in repairs.get(s, []):
            assert a1 <= t0 or t1 <= a0, (s, (a0, a1), (t0, t1))  # never allocated in repair
    assert 0 <= r.in_repair_share <= 1
    assert 0 <= r.goodput <= 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2 ** 32 - 1), scale=st.floats(1.0, 300.0),
       form=st.sampled_from([("server", 8), ("rack", 72), ("server", 1)]),
       sizes=st.lists(st.integers(1, 40), min_size=1, max_size=3),
       spare=st.integers(0, 12), repair_h=st.floats(0.01, 48.0),
       interval=st.one_of(st.none(), st.floats(60.0, 20000.0)),
       restart=st.floats(0.0, 3600.0), days=st.floats(0.5, 20.0),
       detect=st.sampled_from([None, 0.0, 600.0, 20000.0]))
def test_conservation_and_repair_invariant(seed: int, scale: float, form: tuple[str, int],
                                           sizes: list[int], spare: int, repair_h: float,
                                           interval: float | None, restart: float,
                                           days: float, detect: float | None) -> None:
    """Packaged lemons and exclusion; detection packaged (None) or the same for every
    class (hangs longer than repairs included)."""
    base = failure_model().scaled(scale)
    fm = replace(base, repair={c: RepairDist(repair_h, 0.5) for c in CLASSES},
                 restart_s=restart,
                 detect_s=base.detect_s if detect is None else dict.fromkeys(CLASSES, detect))
    lay = fm.layout_for(*form)
    slots = sum(-(-n // lay.slot_accelerators) for n in sizes) + spare
    pool = PoolSpec("p", slots * lay.slot_accelerators, lay, "blackwell")
    gangs = [GangSpec(f"g{i}", n, interval_s=interval) for i, n in enumerate(sizes)]
    r = simulate_jobs(pool, gangs, days * 86400.0, np.random.default_rng(seed), fm, audit=True)
    _check_invariants(r)
    assert r.audit is not None
    # allocated accelerator-hours from the slot-level record equal the gangs' accounting
    alloc_ah = sum((a1 - a0) * lay.slot_accelerators for _, a0, a1, _ in r.audit.allocations
                   ) / 3600
    assert alloc_ah == pytest.approx(r.allocated_ah, rel=1e-9, abs=1e-9)
    assert r.lost_accelerator_hours == pytest.approx(
        sum(g.lost_ah + g.detect_ah + g.restart_ah for g in r.gangs))
    # each interruption hangs its whole gang for its class's detection time (cut at the end)
    h = days * 86400.0
    for gi, g in enumerate(r.gangs):
        want = sum(g.accelerators * min(fm.detect_for(c), h - t)
                   for o, t, c in r.audit.interruptions if o == gi) / 3600.0
        assert g.detect_ah == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_meter_by_hand() -> None:
    from aifab.reliability import FailureEvent, ReliabilityMeter

    m = ReliabilityMeter(accelerators=100, start_s=0.0)
    ev = FailureEvent(10.0, "gpu", "p", 0, (0,), 8, 3600.0, 4.0, True)
    m.failure(ev)
    m.interruption("gpu", "pretrain")
    m.book("pretrain", useful=7200.0, checkpoint=100.0, lost=500.0, restart=200.0, idle=0.0,
           wall=8000.0)
    m.in_repair(8 * 3600.0)
    m.spares_used += 1
    d = m.to_dict(86400.0)
    assert d["interruptions_per_day"] == 1 and d["by_cause"]["gpu"] == 1
    assert d["ettr"] == {"pretrain": 0.9}
    assert d["goodput"] == pytest.approx(7200 / 8000)
    assert d["lost_accelerator_hours"] == pytest.approx(700 / 3600)
    assert d["in_repair_share"] == pytest.approx(8 * 3600 / (100 * 86400))
    assert d["technicians_busy"] == pytest.approx(4 / 24)


def test_results_unchanged_on_the_shared_event_core() -> None:
    """The job Monte Carlo runs on the event core the twin and the replay use (not a heap
    of its own); its pinned runs (jobsim_golden.json, recorded on the old heap) are
    bit-identical. So are the runs with uniform rates recorded before exclusion and
    detection were added, with both off; and the packaged model's runs."""
    import json
    from pathlib import Path

    from aifab.reliability import _jobsim
    from aifab.sim.core import EventQueue

    assert _jobsim.EventQueue is EventQueue
    assert "heapq" not in Path(_jobsim.__file__).read_text()
    mod = load_file(Path(__file__).with_name("jobsim_cases.py"))
    for variant in ("legacy", "uniform"):
        assert mod.cases(variant, old_keys=True) == json.loads(
            mod.GOLDENS[variant].read_text()), variant
    assert mod.cases("packaged") == json.loads(mod.GOLDENS["packaged"].read_text())
