"""Failures and repairs in the twin: conservation, never allocated in repair, determinism,
resume, the interruption rate against the closed form, and failures off changes nothing."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _soak import part
from aifab._io import to_json
from aifab.catalog import default_catalog
from aifab.reliability import FailureEvent, failure_model
from aifab.scenario import Scenario
from aifab.sim.national import finish, load_checkpoint, new_run, save_checkpoint
from aifab.sim.national._failures import failures_of
from aifab.sim.national._invariants import check

OWNERS = [{"name": "Own", "kind": "private"}, {"name": "Gov", "kind": "public"}]
#: Rates x ~40 the Llama 3 ones, so a few days of a few hundred accelerators see failures.
FAST = {"rates_per_accelerator_day": {"gpu": 0.006, "gpu_memory": 0.003, "gpu_other": 0.002,
                                      "network": 0.002, "nic": 0.0005, "host": 0.002,
                                      "software": 0.003},
        "repair_median_h": {"gpu": 6, "gpu_memory": 6, "host": 3}}


def _with(scn: Scenario, rel: dict[str, Any]) -> Scenario:
    return Scenario.model_validate({**scn.model_dump(mode="json"), "reliability": rel})


def _canon(doc: dict[str, Any]) -> str:
    d = json.loads(to_json(doc))
    d.pop("wall_s")
    d["events"].pop("per_s")
    return json.dumps(d, sort_keys=True)


@st.composite
def workloads(draw):  # type: ignore[no-untyped-def]
    sizes = draw(st.lists(st.sampled_from([1, 2, 4, 8, 16, 40, 72]), min_size=1, max_size=3,
                          unique=True))
    return {
        "fleets": [{"owner": "Own", "accelerator": "gb200", "system": "gb200-nvl72",
                    "count": 72 * draw(st.integers(1, 3)), "delivery_year": 2026},
                   {"owner": "Gov", "accelerator": "b200", "system": "dgx-b200",
                    "count": 8 * draw(st.integers(2, 12)), "delivery_year": 2026}],
        "reliability": {**FAST, "spares_share": draw(st.sampled_from([0.0, 0.05, 0.2])),
                        "checkpoint_interval_h": draw(st.sampled_from([{}, {"a": 0.5}]))},
        "sim": {
            "days": draw(st.sampled_from([1.0, 2.0])),
            "queue_policy": draw(st.sampled_from(["fifo", "backfill", "fairshare"])),
            "seed": draw(st.integers(0, 10_000)),
            "load": draw(st.sampled_from([0.5, 1.0, 2.0])),
            "classes": {"a": {"sizes": sizes, "median_h": draw(st.sampled_from([1.0, 4.0])),
                              "sigma": 1.0, "checkpoint_h": 0.5},
                        "b": {"sizes": [1, 8], "duration": "exponential", "median_h": 0.5,
                              "priority": 3}},
            "services_per_owner": draw(st.integers(0, 2)),
            "npu_pools": [{"owner": "Gov", "count": 16}] if draw(st.booleans()) else [],
            "preempt_grace_s": draw(st.sampled_from([0.0, 300.0])),
            "warmup_days": 0,
            "tenants": [
                {"name": "o", "owner": "Own", "kind": "owner", "load": 1.0,
                 "mix": {"a": 0.5, "b": 0.5}},
                {"name": "u", "owner": "Gov", "kind": "university", "quota": 0.6,
                 "mix": {"a": 0.7, "b": 0.3}},
                {"name": "s", "owner": "Gov", "kind": "startup", "quota": 0.4,
                 "mix": {"a": 0.5, "b": 0.5}}],
        },
    }


@pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast
@settings(max_examples=part(15, 6), deadline=None,  # all 15: benchmarks/soak.py
          suppress_health_check=[HealthCheck.too_slow])
@given(workloads())
def test_conservation_and_never_allocated_in_repair(doc):  # type: ignore[no-untyped-def]
    """Every 15 min: per domain free + held spares + in repair + hung + allocated = size (so no
    accelerator in repair is allocated); at the end the meter's allocated accelerator-hours
    (useful + checkpoint + lost + detect + restart + idle + preemption losses) equal the twin's own
    integral of training allocation (which counts the healthy accelerators hung gangs
    hold until detection, booked as ``detect``)."""
    run = new_run(Scenario.model_validate({"name": "prop", "owners": OWNERS, **doc}))
    fails = failures_of(run.bus.observers)
    assert fails is not None
    t = 0.0
    while t < run.twin.horizon_s:
        t += 900.0
        run.run(until=t)
        check(run)
    run.run()
    check(run)
    rel = fails.report()
    hours = rel["accelerator_hours"]
    parts = sum(hours[k] for k in ("useful", "checkpoint", "lost", "detect", "restart", "idle",
                                   "preemption_loss"))
    train_h = (run.integrals.alloc_s - run.integrals.svc_alloc_s) / 3600.0
    gp = fails.goodput
    assert math.isclose(hours["detect"], gp.hang_acc_s / 3600.0, rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(hours["allocated"], parts, rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(hours["allocated"], train_h, rel_tol=1e-9, abs_tol=1e-3)
    assert "preempt_failure" not in run.counts.c  # interruptions are no preemptions
    if doc["sim"]["queue_policy"] == "fifo":  # FIFO lends nothing, so preempts nothing
        assert run.counts.c["preemptions"] == 0
    assert 0.0 <= rel["goodput"] <= 1.0
    assert all(0.0 <= v <= 1.0 + 1e-12 for v in rel["ettr"].values())


def _scn(kit: Any, seed: int = 5, **sim: Any) -> Scenario:
    base = kit.small([kit.gb200("Own", 216), kit.b200("Gov", 64)], {
        "days": 3, "seed": seed, "warmup_days": 0.5, "services_per_owner": 2,
        "npu_pools": [{"owner": "Gov", "count": 32}], "checkpoint_every_h": 12,
        "tenants": [{"name": "own", "owner": "Own", "kind": "owner", "load": 0.8},
                    {"name": "u", "owner": "Gov", "kind": "university", "quota": 0.5,
                     "load": 1.2},
                    {"name": "s", "owner": "Gov", "kind": "startup", "quota": 0.5}],
        "classes": {"pretrain": {"sizes": [64, 144], "median_h": 10, "sigma": 0.5},
                    "finetune": {"sizes": [8, 16, 32], "median_h": 2},
                    "research": {"sizes": [1, 2, 4, 8], "median_h": 0.2, "sigma": 1.5}},
        **sim}, owners=OWNERS)
    return _with(base, {**FAST, "spares_share": 0.05})


def test_failures_are_deterministic_and_cost_something(kit):
    scn = _scn(kit)
    a = finish(new_run(scn)).to_dict()
    b = finish(new_run(scn)).to_dict()
    assert _canon(a) == _canon(b)
    rel = a["reliability"]
    assert rel["interruptions"] > 0 and rel["spares_used"] > 0
    assert rel["lost_accelerator_hours"] > 0 and rel["goodput"] < 1.0
    assert a["stranded"]["in_repair"] > 0
    assert 0 < a["stranded"]["spares"] <= 0.05 + 1e-12  # spares_share 0.05 of each pool
    off = finish(new_run(_with(scn, {"enabled": False}))).to_dict()
    assert "reliability" not in off and "in_repair" not in off["stranded"]
    assert off["jobs"]["preemptions_by_cause"].get("failure", 0) == 0
    c = finish(new_run(_scn(kit, seed=6))).to_dict()
    assert _canon(a) != _canon(c)


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["fifo", "backfill", "fairshare"])
def test_resume_with_failures_from_every_checkpoint_is_identical(kit, tmp_path, policy):
    """The failure model's state (repairs in progress, spares, meters, the cursor into
    its event stream) is data in the checkpoint; every resumed run equals the whole one,
    under every queue policy."""
    from aifab.sim.national import QUEUE_POLICIES

    assert set(QUEUE_POLICIES) == {"fifo", "backfill", "fairshare"}
    scn = _scn(kit, queue_policy=policy)
    cat = default_catalog()
    whole = finish(new_run(scn))
    assert whole.to_dict()["reliability"]["interruptions"] > 5
    saved: list[float] = []

    def keep(run: Any) -> None:
        save_checkpoint(run, scn, cat, tmp_path / f"c{len(saved)}")
        saved.append(run.sliced_to)

    finish(new_run(scn), checkpoint=keep)
    assert len(saved) == 6
    for i in range(len(saved)):
        run, _ = load_checkpoint(tmp_path / f"c{i}", cat, expect=scn)
        res = finish(run)
        assert _canon(res.to_dict()) == _canon(whole.to_dict()), f"checkpoint {i}"
        for name, df in whole.frames.items():
            assert res.frames[name].equals(df), (i, name)


def test_interruption_rate_matches_closed_form(kit):
    """8-GPU gangs on 8-GPU servers (a failure stops the one gang on its server): the
    interruptions are Poisson with mean (total rate x training accelerator-days), the
    closed form of reliability.expected_interruptions. Tolerance: 4 Poisson standard
    deviations (false alarm about 6e-5); repairs of minutes so almost no failure falls on
    hardware already in repair."""
    rates = {c: r * 10 for c, r in FAST["rates_per_accelerator_day"].items()}
    rel = {"rates_per_accelerator_day": rates, "spares_share": 0.0,
           "repair_median_h": dict.fromkeys(rates, 0.01),
           "lemon_share": 0.0, "exclude_after": 0}  # the closed form: uniform, none excluded
    base = kit.small([kit.b200("Gov", 400)], {
        "days": 4, "seed": 3, "queue_policy": "fifo",
        "tenants": [{"name": "t", "owner": "Gov", "load": 3.0, "mix": {"g": 1.0}}],
        "classes": {"g": {"sizes": [8], "median_h": 4, "sigma": 0.3}}})
    scn = _with(base, rel)
    run = new_run(scn)
    doc = finish(run).to_dict()
    fails = failures_of(run.bus.observers)
    assert fails is not None
    acc_days = doc["reliability"]["accelerator_hours"]["allocated"] / 24.0
    fm = failure_model(scn.reliability)
    expected = fm.total_rate(fails.source.family[0]) * acc_days
    got = doc["reliability"]["interruptions"]
    assert expected > 300
    assert abs(got - expected) < 4 * math.sqrt(expected), (got, expected)


def test_json_table_and_html_say_what_failures_cost(kit):
    from aifab.report._sim import reliability_sections

    res = finish(new_run(_scn(kit)))
    rel = res.to_dict()["reliability"]
    for key in ("interruptions_per_day", "by_cause", "ettr", "ettr_by_tenant", "goodput",
                "lost_accelerator_hours", "in_repair_share", "spares_used",
                "technicians_busy", "technicians_busy_series"):
        assert key in rel, key
    daily = res.frames["reliability"]
    assert daily["day"].tolist() == [1.0, 2.0, 3.0]  # the measured window, after warm-up
    assert daily[list(rel["by_cause"])].to_numpy().sum() == rel["interruptions"]
    (sec,) = reliability_sections(res.summary, res.frames)
    assert sec.title == "Failures and repairs"
    assert "Interruptions per day by cause" in sec.body_html and "ETTR" in sec.body_html
    off = finish(new_run(_with(_scn(kit), {"enabled": False})))
    assert reliability_sections(off.summary, off.frames) == []


def _tray_failure(system: str, accelerator: str, count: int) -> tuple[int, int, int, int]:
    """One hardware failure of the smallest field-replaceable unit under an inference
    replica (an NVL72 tray, an 8-GPU server): (replicas in the hit domain before, removed,
    accelerators taken down, replica size)."""
    scn = Scenario.model_validate({
        "name": "tray", "owners": [{"name": "Gov", "kind": "public"}],
        "fleets": [{"owner": "Gov", "accelerator": accelerator, "system": system,
                    "count": count, "delivery_year": 2026}],
        "reliability": {"rates_per_accelerator_day": {"gpu": 1e-9}, "spares_share": 0.0},
        "sim": {"days": 1.0, "seed": 0, "warmup_days": 0, "npu_pools": [],
                "services_per_owner": 1, "reference_accelerator": "b200",
                "default_inference_share": 0.9,
                "classes": {"a": {"sizes": [1], "duration": "exponential", "median_h": 1}},
                "tenants": [{"name": "t", "owner": "Gov", "load": 1e-9,
                             "mix": {"a": 1.0}}]}})
    run = new_run(scn)
    run.run(until=1.0)  # the autoscaler placed the replicas at t = 0
    fails = failures_of(run.bus.observers)
    assert fails is not None
    svc, ss = run.twin.services[0], run.services.per_service[0]
    size = next(r[1] for r in svc.replica if r[0] == 0)
    doms = ss.reps[0]
    dom = max(set(doms), key=doms.count)
    before = doms.count(dom)
    sa = fails.source.slot_acc[0]
    slot = dom * run.twin.pools[0].domain_size // sa
    fails.source.events = [FailureEvent(0.0, "gpu", "0", slot, (slot,), sa, 3600.0, 1.0, True)]
    fails.source.u = np.zeros(1)  # the first accelerator of the domain: a replica's
    fails.source.v = np.zeros(1)
    fails.on_fail(0)
    check(run)
    return before, fails.blast.removed_replicas, int(fails.broken[0][dom]), size


def test_nvl72_tray_failure_removes_only_the_replicas_on_the_tray() -> None:
    """A 4-GPU tray of a 72-GPU rack takes out the replica it hit (and only as many more
    as its 4 accelerators need), not every replica in the rack (about 57 per failure
    before this was fixed, against about 8 on 8-GPU servers)."""
    before, removed, down, size = _tray_failure("gb200-nvl72", "gb200", 144)
    assert down == 4
    assert before * size > 8  # the rack held more replicas than the tray
    assert 1 <= removed <= max(1, -(-4 // size))  # the tray's, whatever its free share
    assert removed < before


def test_server_failure_removes_every_replica_on_the_server() -> None:
    before, removed, down, _size = _tray_failure("dgx-b200", "b200", 64)
    assert down == 8  # the whole 8-GPU domain
    assert removed == before >= 1


def _busy_small(seed: int = 2, days: float = 1.0) -> Scenario:
    return Scenario.model_validate({
        "name": "rel-ci", "owners": OWNERS,
        "fleets": [{"owner": "Own", "accelerator": "gb200", "system": "gb200-nvl72",
                    "count": 144, "delivery_year": 2026},
                   {"owner": "Gov", "accelerator": "b200", "system": "dgx-b200",
                    "count": 64, "delivery_year": 2026}],
        "reliability": FAST,
        "sim": {"days": days, "seed": seed, "warmup_days": 0, "npu_pools": [],
                "services_per_owner": 1, "reference_accelerator": "b200",
                "classes": {"a": {"sizes": [8, 72], "median_h": 4.0, "sigma": 1.0}},
                "tenants": [{"name": "o", "owner": "Own", "kind": "owner", "load": 1.0,
                             "mix": {"a": 1.0}},
                            {"name": "u", "owner": "Gov", "kind": "university",
                             "load": 1.0, "mix": {"a": 1.0}}]}})


def test_json_counts_hardware_failures_by_cause() -> None:
    rel = finish(new_run(_busy_small(days=4.0))).to_dict()["reliability"]
    by = rel["failures_by_cause"]
    assert rel["failures"] > 5 and sum(by.values()) == rel["failures"]
    assert rel["hardware_failures"] == rel["failures"] - by["software"]
    # failures are counted whether or not they stopped a gang; interruptions only if so
    assert rel["interruptions"] <= rel["failures"]


def test_replications_give_intervals_for_every_reliability_figure() -> None:
    from aifab.sim.national import replications

    res = replications(_busy_small(), 3)
    ci = res.confidence
    assert ci is not None
    rel = res.to_dict()["reliability"]
    for k in ("goodput", "interruptions_per_day", "lost_accelerator_hours",
              "in_repair_share", "failures", "hardware_failures"):
        got = ci[f"reliability.{k}"]
        assert got.n == 3 and math.isfinite(got.mean), k
    for cause in rel["failures_by_cause"]:
        assert ci[f"reliability.failures_by_cause.{cause}"].n == 3
    for cls in rel["ettr"]:
        assert f"reliability.ettr.{cls}" in ci
    g = ci["reliability.goodput"]
    assert g.ci95 > 0 and abs(g.mean - rel["goodput"]) <= 3 * g.ci95 + 1e-12


#: Fields of the reliability block that are no figure of a run, so get no interval: the
#: settings (``enabled``, ``checkpoint_interval_h``, ``spares_target``), the window's
#: length (``days``) and the sampled series (``technicians_busy_series``, its mean is
#: ``technicians_busy``).
NOT_FIGURES = {"enabled", "checkpoint_interval_h", "spares_target", "days",
               "technicians_busy_series"}


def test_every_figure_of_the_reliability_block_has_an_interval() -> None:
    """The set of figures comes from the typed block itself (:class:`Reliability`), so a
    figure added to it without an interval fails here: every number, every key of every
    table, every accelerator-hours category."""
    import dataclasses

    from aifab.sim.national import Reliability, replications

    res = replications(_busy_small(), 3)
    ci = res.confidence
    assert ci is not None
    rel = res.summary.reliability
    assert rel is not None
    names = {f.name for f in dataclasses.fields(Reliability)}
    assert names >= NOT_FIGURES
    want: set[str] = set()
    for name in sorted(names - NOT_FIGURES):
        v = getattr(rel, name)
        if isinstance(v, int | float):
            want.add(f"reliability.{name}")
        else:
            table = v if isinstance(v, dict) else dataclasses.asdict(v)
            assert table, name
            want |= {f"reliability.{name}.{k}" for k in table}
    missing = sorted(k for k in want if k not in ci)
    assert not missing, missing
    for k in want:
        assert ci[k].n == 3 and math.isfinite(ci[k].mean), k
