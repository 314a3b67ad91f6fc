"""Checks against published results and theory, shared by tests, docs and benchmarks:
the Llama 3 pre-training run, and the Young/Daly optimum on a simulated ETTR curve."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from aifab.reliability._events import PoolSpec
from aifab.reliability._formulas import ettr, job_mtti_s, mean_detect_s, young_daly_interval_s
from aifab.reliability._jobsim import GangSpec, simulate_jobs
from aifab.reliability._model import CLASSES, FailureModel, RepairDist, failure_model, packaged_data

LLAMA3_GPUS, LLAMA3_DAYS, LLAMA3_INTERRUPTIONS = 16384, 54, 419


@dataclass(frozen=True)
class Llama3Check:
    """Simulated Llama 3 run over seeds against the published figures."""

    seeds: int
    interruptions_mean: float
    interruptions_ci95: tuple[float, float]
    published: int
    shares: dict[str, float]
    published_shares: dict[str, float]
    ettr_mean: float
    ettr_min: float
    ettr_closed_form: float
    interval_h: float
    in_repair_share: float
    spares_used_mean: float
    spare_slots: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return dict(vars(self))


def _uniform() -> FailureModel:
    """The packaged model with uniform rates and no exclusion (detection as packaged)."""
    return replace(failure_model(), lemon_share=0.0, exclude_after=0)


def _uniform_no_detect() -> FailureModel:
    """The packaged model with uniform rates, no exclusion and no detection time."""
    return replace(_uniform(), detect_s={})


def llama3(seeds: Sequence[int] = range(20), model: FailureModel | None = None
           ) -> Llama3Check:
    """One 16,384-GPU job on 8-GPU servers for 54 days, Meta-like regime (model defaults:
    async checkpoint blocking 20 s, automated 5-minute restart, Young/Daly interval, 5 %
    hot spares), one replication per seed, with the packaged detection times (180 s for
    hardware, 93 s for software on Llama 3's mix of hangs and crashes; 167 s on average).
    Unless ``model`` says otherwise the per-slot rates are uniform, without exclusion (the
    published count is the fleet's; excluding lemons would lower it). The closed form
    adds the model's mean detection time to the restart."""
    fm = model or _uniform()
    lay = fm.layout_for("server", 8)
    job_slots = LLAMA3_GPUS // lay.slot_accelerators
    slots = math.ceil(job_slots / (1.0 - fm.spares_share))
    pool = PoolSpec("llama3", slots * lay.slot_accelerators, lay, "hopper")
    runs = [simulate_jobs(pool, [GangSpec("llama3-405b", LLAMA3_GPUS)],
                          LLAMA3_DAYS * 86400.0, np.random.default_rng(s), fm) for s in seeds]
    n = np.array([r.interruptions for r in runs], dtype=float)
    half = 1.96 * n.std(ddof=1) / math.sqrt(len(n)) if len(n) > 1 else math.inf
    counts = {c: sum(r.by_cause[c] for r in runs) for c in CLASSES}
    total = sum(counts.values())
    pub = {c: float(packaged_data()["classes"][c]["count"]) for c in CLASSES}
    e = [r.gangs[0].ettr for r in runs]
    m = job_mtti_s(LLAMA3_GPUS, fm.total_rate("hopper"))
    tau = runs[0].gangs[0].interval_s
    return Llama3Check(
        seeds=len(runs), interruptions_mean=float(n.mean()),
        interruptions_ci95=(float(n.mean() - half), float(n.mean() + half)),
        published=LLAMA3_INTERRUPTIONS,
        shares={c: counts[c] / total if total else 0.0 for c in CLASSES},
        published_shares={c: pub[c] / sum(pub.values()) for c in CLASSES},
        ettr_mean=float(np.mean(e)), ettr_min=float(np.min(e)),
        ettr_closed_form=ettr(tau, fm.checkpoint_write_s,
                              fm.restart_s + mean_detect_s(fm, "hopper"), m),
        interval_h=tau / 3600.0,
        in_repair_share=float(np.mean([r.in_repair_share for r in runs])),
        spares_used_mean=float(np.mean([r.spares_used for r in runs])),
        spare_slots=slots - job_slots)


@dataclass(frozen=True)
class DetectionRange:
    """Llama 3's closed-form ETTR over the published range of hardware detection times."""

    range_s: tuple[float, float]  # the published range (hardware classes)
    packaged_s: float  # the packaged hardware detection time
    ettr: tuple[float, float, float]  # at the range's low end, packaged, at its high end
    meta_max_s: float  # the longest hardware detection that keeps Llama 3's ETTR >= 0.90

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return dict(vars(self))


def llama3_detection_range(model: FailureModel | None = None) -> DetectionRange:
    """Daly's ETTR of the Llama 3 run (16,384 GPUs, Young/Daly interval, packaged
    restart; software detection as packaged) with every hardware class detected at the
    ends of the model's published range and at its packaged time, and the longest
    hardware detection Meta's "more than 90 %" allows (bisection; the ETTR falls as
    detection grows)."""
    fm = model or _uniform()
    m = job_mtti_s(LLAMA3_GPUS, fm.total_rate("hopper"))
    tau = young_daly_interval_s(fm.checkpoint_write_s, m)

    def at(x: float) -> float:
        d = mean_detect_s(fm.with_hardware_detect(x), "hopper")
        return ettr(tau, fm.checkpoint_write_s, fm.restart_s + d, m)

    lo, hi = 0.0, 3600.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if at(mid) >= 0.90 else (lo, mid)
    packaged = max(fm.detect_for(c) for c in fm.hardware)
    a, b = fm.detect_range_s
    return DetectionRange(range_s=(a, b), packaged_s=packaged,
                          ettr=(at(a), at(packaged), at(b)), meta_max_s=lo)


@dataclass(frozen=True)
class YoungDalyCheck:
    """Simulated ETTR against checkpoint interval, and where its peak falls."""

    mtti_s: float
    write_s: float
    restart_s: float
    young_daly_s: float
    intervals_s: tuple[float, ...]
    ettr_sim: tuple[float, ...]
    ettr_daly: tuple[float, ...]
    peak_s: float  # argmax of a parabola in log(interval) fitted to the simulated curve

    @property
    def peak_ratio(self) -> float:
        """Simulated peak over the Young/Daly interval."""
        return self.peak_s / self.young_daly_s

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {**vars(self), "peak_ratio": self.peak_ratio}


def young_daly(factors: Sequence[float] = tuple(np.geomspace(0.5, 2.0, 13)),
               seeds: Sequence[int] = range(3), *, mtti_h: float = 1.0, write_s: float = 30.0,
               restart_s: float = 0.0, horizon_h: float = 3000.0, devices: int = 64
               ) -> YoungDalyCheck:
    """One job with exponential failures (rates scaled to ``mtti_h``, near-instant repair,
    ample spares), ETTR simulated at ``factors`` x the Young/Daly interval; the same seeds
    at every interval (common random numbers), so the curve is smooth."""
    base = _uniform_no_detect()  # Daly's curve: exponential, uniform, restart only
    fm = replace(base.scaled(24.0 / (mtti_h * devices * base.total_rate("hopper"))),
                 repair={c: RepairDist(1e-3, 0.0) for c in CLASSES},
                 checkpoint_write_s=write_s, restart_s=restart_s)
    pool = PoolSpec("yd", 2 * devices, fm.layout_for("gpu", 1), "hopper")
    m = mtti_h * 3600.0
    yd = young_daly_interval_s(write_s, m)
    taus = [f * yd for f in factors]
    sim = []
    for tau in taus:
        vals = [simulate_jobs(pool, [GangSpec("job", devices, interval_s=tau)],
                              horizon_h * 3600.0, np.random.default_rng(s), fm).gangs[0].ettr
                for s in seeds]
        sim.append(float(np.mean(vals)))
    a, b, _ = np.polyfit(np.log(taus), sim, 2)
    peak = math.exp(-b / (2 * a)) if a < 0 else math.nan
    return YoungDalyCheck(
        mtti_s=m, write_s=write_s, restart_s=restart_s, young_daly_s=yd,
        intervals_s=tuple(taus), ettr_sim=tuple(sim),
        ettr_daly=tuple(ettr(t, write_s, restart_s, m) for t in taus), peak_s=peak)
