"""Same seed, same result; a resumed run equals an uninterrupted one; seeds give CIs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aifab._io import to_json
from aifab.sim.national import NationalSim, build_twin, load_checkpoint, run_sim
from aifab.sim.national.replicate import confidence, interval

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
    a, _ = run_sim(NationalSim(build_twin(_scn(kit))))
    b, _ = run_sim(NationalSim(build_twin(_scn(kit))))
    assert _canon(a) == _canon(b)
    c, _ = run_sim(NationalSim(build_twin(_scn(kit, seed=6))))
    assert _canon(a) != _canon(c)


@pytest.mark.parametrize("policy", ["fairshare", "backfill"])
def test_resume_equals_uninterrupted(kit, tmp_path, policy):
    scn = _scn(kit, queue_policy=policy)
    whole, whole_frames = run_sim(NationalSim(build_twin(scn)))
    killed = NationalSim(build_twin(scn))
    killed.ckpt_dir = tmp_path / "checkpoint"
    killed.run(until=41 * 3600.0)  # "killed" at 41 h: last checkpoint at 36 h
    del killed
    resumed = load_checkpoint(tmp_path)
    assert resumed.now <= 36 * 3600.0
    doc, frames = run_sim(resumed, checkpoint_dir=tmp_path / "checkpoint")
    assert _canon(doc) == _canon(whole)
    assert frames["timeseries"].equals(whole_frames["timeseries"])


def test_confidence_intervals_over_seeds(kit):
    docs = [run_sim(NationalSim(build_twin(_scn(kit, seed=s))))[0] for s in (1, 2, 3)]
    ci = confidence(docs)
    u = ci["utilization"]
    assert u["n"] == 3 and u["ci95"] > 0
    assert min(d["utilization"] for d in docs) <= u["mean"] <= max(d["utilization"]
                                                                   for d in docs)
    assert interval([1.0, 1.0])["ci95"] == 0.0
