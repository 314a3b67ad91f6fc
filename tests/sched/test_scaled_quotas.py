"""Rule L8: ``simulate --kueue/--kai`` with ``sim.scale`` below 1 runs a sample of the
fleet, so the manifests' whole-fleet accelerator quotas are scaled by the same factor (they
never bound the sampled twin before: 260,000 GPUs of quota over 13,000 of pools)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aifab.catalog import default_catalog
from aifab.scenario import load_scenario
from aifab.sched import export_manifests, read_dir, twin_policy, with_manifests
from aifab.sched._model import is_gpu
from aifab.sim.national import build_twin


def _gpu_quota(cqs: object) -> float:
    return sum(q.nominal for cq in cqs.values()  # type: ignore[attr-defined]
               for (_, r), q in cq.quotas.items() if is_gpu(r))


@pytest.mark.parametrize("which", ["kueue", "kai"])
@pytest.mark.parametrize("scale", [1.0, 0.05])
def test_quotas_follow_the_twins_scale(tmp_path: Path, which: str, scale: float) -> None:
    cat = default_catalog()
    scn = load_scenario("korea-2025", ["sim.days=1", f"sim.scale={scale}"])
    d = tmp_path / which
    export_manifests(scn, cat, **{which: d})  # type: ignore[arg-type]
    run_scn = with_manifests(scn, cat, d if which == "kueue" else None,
                             d if which == "kai" else None, lambda _n: None)
    policy = twin_policy(d, run_scn)
    whole = read_dir(d)
    for name, cq in policy.m.cluster_queues.items():
        for fr, q in cq.quotas.items():
            full = whole.cluster_queues[name].quotas[fr]
            k = scale if is_gpu(fr[1]) else 1.0
            assert q.nominal == pytest.approx(full.nominal * k), (name, fr)
            for got, want in ((q.borrowing_limit, full.borrowing_limit),
                              (q.lending_limit, full.lending_limit)):
                assert (got is None) == (want is None)
                if got is not None and want is not None:
                    assert got == pytest.approx(want * k)
    # the scaled quotas describe the sampled GPU fleet (the NPU pools have no Kueue
    # quota): within the rounding of each pool to whole NVLink domains (half a domain per
    # pool either way)
    pools = [p for p in build_twin(run_scn, cat).pools if p.kind == "gpu"]
    gpus = sum(p.accelerators for p in pools)
    slack = sum(p.domain_size / 2 for p in pools)
    assert abs(_gpu_quota(policy.m.cluster_queues) - gpus) <= slack
