"""Same seed, same result; a run resumed from any checkpoint equals an uninterrupted one;
seeds give confidence intervals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aifab._io import to_json
from aifab.catalog import default_catalog
from aifab.sim.national import finish, load_checkpoint, new_run, save_checkpoint
from aifab.sim.national._replicate import confidence, interval

OWNERS = [{"name": "Own", "kind": "private"}, {"name": "Gov", "kind": "public"}]


def _scn(kit: Any, seed: int = 5, **sim: Any) -> Any:
    return kit.small([kit.gb200("Own", 216), kit.b200("Gov", 64)], {
        "days": 3, "seed": seed, "warmup_days": 0.5, "services_per_owner": 2,
        "npu_pools": [{"owner": "Gov", "count": 32}], "checkpoint_every_h": 12,
        "tenants": [{"name": "own", "owner": "Own", "kind": "owner", "load": 0.6},
                    {"name": "u", "owner": "Gov", "kind": "university", "quota": 0.5,
                     "load": 1.2},
                    {"name": "s", "owner": "Gov", "kind": "startup", "quota": 0.5}],
        "classes": {"pretrain": {"sizes": [64, 144], "median_h": 10, "sigma": 0.5},
                    "finetune": {"sizes": [8, 16, 32], "median_h": 2},
                    "research": {"sizes": [1, 2, 4, 8], "median_h": 0.2, "sigma": 1.5}},
        **sim}, owners=OWNERS)


def _canon(doc: dict[str, Any]) -> str:
    d = json.loads(to_json(doc))
    d.pop("wall_s")
    d["events"].pop("per_s")
    return json.dumps(d, sort_keys=True)


def test_same_seed_same_result(kit):
    a = finish(new_run(_scn(kit))).to_dict()
    b = finish(new_run(_scn(kit))).to_dict()
    assert _canon(a) == _canon(b)
    c = finish(new_run(_scn(kit, seed=6))).to_dict()
    assert _canon(a) != _canon(c)


CASES = [("fifo", {}), ("backfill", {}), ("fairshare", {}),
         ("fairshare", {"power_cap_mw": {"Own": 0.3, "Gov": 0.1}}),
         ("fifo", {"power_cap_mw": {"Own": 0.3, "Gov": 0.1}, "power_mode": "strand"})]


@pytest.mark.slow
@pytest.mark.parametrize(("policy", "extra"), CASES)
def test_resume_from_every_checkpoint_is_identical(kit, tmp_path, policy, extra):
    """Checkpoints every 12 h of a 3.5-day run; each one resumed to the end gives the
    uninterrupted run's JSON and tables bit for bit."""
    scn = _scn(kit, queue_policy=policy, **extra)
    cat = default_catalog()
    whole = finish(new_run(scn))
    if extra:
        assert whole.stranded_power > 0.05  # the caps bind
    saved: list[float] = []

    def keep(run: Any) -> None:
        save_checkpoint(run, scn, cat, tmp_path / f"c{len(saved)}")
        saved.append(run.sliced_to)

    again = finish(new_run(scn), checkpoint=keep)
    assert _canon(again.to_dict()) == _canon(whole.to_dict())
    assert saved == [12 * 3600.0 * k for k in range(1, 7)]
    for i in range(len(saved)):
        run, _ = load_checkpoint(tmp_path / f"c{i}", cat, expect=scn)
        res = finish(run)
        assert _canon(res.to_dict()) == _canon(whole.to_dict()), f"checkpoint {i}"
        for name, df in whole.frames.items():
            assert res.frames[name].equals(df), (i, name)


def test_confidence_intervals_over_seeds(kit):
    runs = [finish(new_run(_scn(kit, seed=s))).summary for s in (1, 2, 3)]
    ci = confidence(runs)
    u = ci["utilization"]
    assert u.n == 3 and u.ci95 > 0
    assert min(d.utilization for d in runs) <= u.mean <= max(d.utilization for d in runs)
    assert ci.seeds == (1, 2, 3)
    assert interval([1.0, 1.0]).ci95 == 0.0
