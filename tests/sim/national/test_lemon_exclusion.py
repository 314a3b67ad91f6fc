"""Detection and exclusion of repeat offenders in the twin: with lemons, excluding a slot
after repeated hardware failures (and replacing it) lowers the interruptions."""

from __future__ import annotations

from typing import Any

from aifab.reliability import FailureEvent, RepeatOffenders, failure_model
from aifab.scenario import ReliabilitySettings, Scenario
from aifab.sim.national import finish, new_run

FAST = {"gpu": 0.03, "gpu_memory": 0.015, "gpu_other": 0.01, "network": 0.01, "nic": 0.003,
        "host": 0.01, "software": 0.0}


def _rel(kit: Any, seed: int, exclude_after: int) -> dict[str, Any]:
    base = kit.small([kit.b200("Gov", 800)], {
        "days": 6, "seed": seed, "queue_policy": "fifo", "warmup_days": 0,
        "tenants": [{"name": "t", "owner": "Gov", "load": 2.0, "mix": {"g": 1.0}}],
        "classes": {"g": {"sizes": [8, 16], "median_h": 4, "sigma": 0.3}}})
    rel = {"rates_per_accelerator_day": FAST, "spares_share": 0.1,
           "repair_median_h": dict.fromkeys(FAST, 1.0), "lemon_share": 0.05,
           "lemon_multiplier": 40.0, "exclude_after": exclude_after}
    scn = Scenario.model_validate({**base.model_dump(mode="json"), "reliability": rel})
    out: dict[str, Any] = finish(new_run(scn)).to_dict()["reliability"]
    return out


def test_exclusion_lowers_interruptions(kit: Any) -> None:
    """5 % lemons at 40x carry 2 / 2.95 = 68 % of hardware failures; excluding a slot at
    its second failure within a week replaces most lemons within the first days, so the
    same failure streams (same seeds) interrupt markedly fewer gangs. Summed over two
    seeds (several hundred interruptions each way) the cut must exceed 15 %."""
    on = [_rel(kit, s, 2) for s in (1, 2)]
    off = [_rel(kit, s, 0) for s in (1, 2)]
    assert all(r["exclusions"] > 5 for r in on) and all(r["exclusions"] == 0 for r in off)
    n_on = sum(r["interruptions"] for r in on)
    n_off = sum(r["interruptions"] for r in off)
    assert n_off > 200
    assert n_on < 0.85 * n_off, (n_on, n_off)


def test_repeat_offender_rule() -> None:
    fm = failure_model(ReliabilitySettings(exclude_after=2, lemon_multiplier=10.0))
    rule = RepeatOffenders(fm)
    ev = FailureEvent(0.0, "gpu", "0", 7, (7,), 8, 3600.0, 1.0, True, lemon=True)
    assert rule.repair_s(0, ev, 0.0) == (3600.0, False)
    # a second failure after the window is a first one again
    late = rule.window_s + 1.0
    assert rule.repair_s(0, ev, late) == (3600.0, False)
    assert rule.repair_s(0, ev, late + 10.0) == (max(3600.0, rule.replace_s), True)
    # the replaced lemon keeps 1 / 10 of its stream's failures
    assert rule.thinned(0, ev, 0.5) and not rule.thinned(0, ev, 0.05)
    assert not rule.thinned(1, ev, 0.5)  # the same slot of another pool was not replaced
    soft = FailureEvent(0.0, "software", "0", 3, (3,), 8, 60.0, 0.1, False)
    assert rule.repair_s(0, soft, 0.0) == (60.0, False) and (0, 3) not in rule.history
    doc = rule.state()
    other = RepeatOffenders(fm)
    other.restore(doc)
    assert other.replaced == rule.replaced and other.history == rule.history


def test_resume_after_exclusions_is_identical(kit: Any, tmp_path: Any) -> None:
    """Checkpoints taken after slots were excluded (their later lemon-rate failures are
    thinned): each resumed run gives the whole run's JSON and tables, bit for bit."""
    import json

    from aifab._io import to_json
    from aifab.catalog import default_catalog
    from aifab.sim.national import load_checkpoint, save_checkpoint
    from aifab.sim.national._failures import failures_of

    base = kit.small([kit.b200("Gov", 400)], {
        "days": 3, "seed": 1, "queue_policy": "backfill", "warmup_days": 0,
        "checkpoint_every_h": 24,
        "tenants": [{"name": "t", "owner": "Gov", "load": 2.0, "mix": {"g": 1.0}}],
        "classes": {"g": {"sizes": [8, 16], "median_h": 4, "sigma": 0.3}}})
    rel = {"rates_per_accelerator_day": FAST, "spares_share": 0.1,
           "repair_median_h": dict.fromkeys(FAST, 1.0), "lemon_share": 0.05,
           "lemon_multiplier": 40.0, "exclude_after": 2}
    scn = Scenario.model_validate({**base.model_dump(mode="json"), "reliability": rel})
    cat = default_catalog()

    def canon(doc: dict[str, Any]) -> str:
        d = json.loads(to_json(doc))
        d.pop("wall_s")
        d["events"].pop("per_s")
        return json.dumps(d, sort_keys=True)

    whole = finish(new_run(scn))
    replaced: list[int] = []

    def keep(run: Any) -> None:
        fails = failures_of(run.bus.observers)
        assert fails is not None
        replaced.append(len(fails.offenders.replaced))
        save_checkpoint(run, scn, cat, tmp_path / f"c{len(replaced)}")

    finish(new_run(scn), checkpoint=keep)
    assert len(replaced) == 2 and replaced[0] > 0
    for i in range(1, len(replaced) + 1):
        res = finish(load_checkpoint(tmp_path / f"c{i}", cat, expect=scn)[0])
        assert canon(res.to_dict()) == canon(whole.to_dict()), i
        for key, df in whole.frames.items():
            assert res.frames[key].equals(df), (i, key)
