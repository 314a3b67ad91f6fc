"""The packaged failure model: API pinned, every number sourced, overrides applied."""

from __future__ import annotations

import math

import pytest

import aifab.reliability as rel
from aifab.reliability._model import packaged_data
from aifab.scenario import ReliabilitySettings, load_scenario


def test_public_api_pinned() -> None:
    assert sorted(rel.__all__) == sorted([
        "CLASSES", "Audit", "FailureEvent", "FailureModel", "FleetBlock", "GangResult",
        "GangSpec", "JobSimResult", "Layout", "PoolSpec", "ReliabilityMeter", "RepairDist",
        "RepeatOffenders",
        "StaffingEstimate",
        "TrainingReliability", "ettr", "expected_interruptions", "failure_events",
        "failure_model", "family_of", "fleet_pools", "job_mtti_s", "simulate_jobs", "staffing",
        "train_failure_model", "training_reliability", "young_daly_interval_s"])
    for name in rel.__all__:
        assert hasattr(rel, name)


def test_rates_are_the_llama3_counts() -> None:
    fm = rel.failure_model()
    # 419 unexpected interruptions on 16,384 GPUs over 54 days (reference/reliability.md)
    assert fm.total_rate("hopper") == pytest.approx(419 / (16384 * 54))
    assert fm.total_rate("hopper") == pytest.approx(4.7e-4, rel=0.01)
    d = packaged_data()["classes"]
    assert sum(sum(c["causes"].values()) for c in d.values()) == 419
    for c in d.values():  # each class count is the sum of its published causes
        assert sum(c["causes"].values()) == c["count"]
    hw = sum(d[c]["count"] for c in fm.hardware) / 419
    assert 0.78 <= hw <= 0.86  # paper: about 78 % confirmed or suspected hardware


def test_every_number_has_a_source() -> None:
    fm = rel.failure_model()
    d = packaged_data()
    assert set(d["classes"]) == set(rel.CLASSES)
    for key in [*(f"classes.{c}" for c in rel.CLASSES), *(f"repair.{c}" for c in rel.CLASSES),
                *(f"families.{f}" for f in d["families"]), "checkpoint", "spares",
                "hands_on_h", *(f"blast.{k}" for k in d["blast"])]:
        assert fm.sources[key].strip(), key
    for fam in ("blackwell", "furiosa", "rebellions", "npu"):  # no published data
        assert "assumed" in fm.sources[f"families.{fam}"]
    for k, v in d["staffing"]["sources"].items():
        assert v.startswith(("assumed", "estimate")) or "." in v, k


def test_blackwell_multiplier_and_kind_fallback() -> None:
    fm = rel.failure_model()
    assert fm.class_rates("blackwell")["gpu"] == pytest.approx(1.5 * fm.rates["gpu"])
    assert fm.class_rates("blackwell")["software"] == fm.rates["software"]
    assert fm.class_rates("unknown-family") == fm.class_rates("hopper")
    assert rel.family_of("gb300") == "blackwell"
    assert rel.family_of("rngd") == "furiosa"
    assert rel.family_of("my-npu", "npu") == "npu"


def test_layouts_from_catalogue_forms() -> None:
    fm = rel.failure_model()
    assert fm.layout_for("rack", 72) == rel.Layout("nvl72", 4, 18)
    assert fm.layout_for("server", 8) == rel.Layout("server", 8, 4)
    assert fm.layout_for("server", 1).slot_accelerators == 1


def test_scenario_overrides() -> None:
    s = ReliabilitySettings(rates_per_accelerator_day={"gpu": 1e-3}, repair_median_h={"nic": 2},
                            family_multipliers={"hopper": {"host": 2.0}}, spares_share=0.1,
                            checkpoint_write_s=5, restart_s=0)
    fm = rel.failure_model(s)
    assert fm.rates["gpu"] == 1e-3
    assert fm.repair["nic"].median_h == 2
    assert fm.class_rates("hopper")["host"] == pytest.approx(2 * rel.failure_model().rates["host"])
    assert (fm.spares_share, fm.checkpoint_write_s, fm.restart_s) == (0.1, 5, 0)
    assert rel.failure_model(ReliabilitySettings(enabled=False)).total_rate() == 0
    scn = load_scenario(None, ["reliability.restart_s=60"])
    assert rel.failure_model(scn.reliability).restart_s == 60


def test_repair_distribution() -> None:
    import numpy as np

    d = rel.RepairDist(72.0, 0.7)
    xs = [d.draw_s(np.random.default_rng(7)) for _ in range(1)]
    assert xs[0] > 0
    g = np.random.default_rng(1)
    many = np.array([d.draw_s(g) for _ in range(20000)]) / 3600
    assert np.median(many) == pytest.approx(72.0, rel=0.03)
    assert many.mean() == pytest.approx(d.mean_h, rel=0.03)
    assert d.mean_h == pytest.approx(72.0 * math.exp(0.245))


def test_fleet_pools_for_the_twin() -> None:
    scn = load_scenario(None, ["reliability.owner_spares_share.Naver=0.1"])
    pools = rel.fleet_pools(scn)
    assert len(pools) == len(scn.fleets)
    assert sum(p.accelerators for p in pools) == 268_000  # 260,000 GPUs and 8,000 NPUs
    naver = [p for p in pools if p.owner == "Naver"]
    assert all(p.layout.kind == "nvl72" and p.family == "blackwell" for p in naver)
    assert all(p.spare_slots == int(p.slots * 0.1) for p in naver)
    sk = [p for p in pools if p.owner == "SK"]
    assert all(p.spare_slots == int(p.slots * 0.05) for p in sk)
