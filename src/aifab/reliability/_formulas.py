"""Closed forms: job time to interrupt, the Young/Daly checkpoint interval, Daly's expected
wall time per checkpoint segment (hence ETTR), expected interruptions of a training run.
A failure costs its detection (hang) time and then the restart: Daly's restart is their
sum, with the detection averaged over the classes by rate, as the job Monte Carlo and the
twin use it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from aifab.errors import BadInput
from aifab.reliability._model import CLASSES, FailureModel, failure_model

DAY_S = 86400.0


def job_mtti_s(devices: int, rate_per_accelerator_day: float) -> float:
    """Mean time between interruptions of a gang of ``devices`` (s); inf if rate is 0."""
    lam = devices * rate_per_accelerator_day
    return math.inf if lam <= 0 else DAY_S / lam


def young_daly_interval_s(write_s: float, mtti_s: float) -> float:
    """First-order optimal compute time between checkpoints: sqrt(2 x write x MTTI)."""
    if not write_s > 0:
        raise BadInput(f"must be positive, got {write_s}", where="checkpoint_write_s")
    return math.sqrt(2.0 * write_s * mtti_s)


def expected_interruptions(devices: int, days: float, rate_per_accelerator_day: float) -> float:
    """Poisson mean of interruptions for ``devices`` held for ``days``."""
    return devices * days * rate_per_accelerator_day


def ettr(interval_s: float, write_s: float, restart_s: float, mtti_s: float) -> float:
    """Effective training time ratio with exponential failures (Daly 2006).

    Each segment is ``interval_s`` of compute then a ``write_s`` checkpoint; a failure
    loses the segment in progress and costs ``restart_s`` (itself interruptible). Expected
    wall time per segment is M e^(R/M) (e^((tau+delta)/M) - 1); ETTR = tau / that.
    """
    if not math.isfinite(mtti_s):
        return interval_s / (interval_s + write_s)
    m = mtti_s
    return interval_s / (m * math.exp(restart_s / m) * math.expm1((interval_s + write_s) / m))


def mean_detect_s(model: FailureModel, family: str = "hopper") -> float:
    """Detection (hang) time per interruption, averaged over the classes by their rates
    (0 without failures). Daly's ETTR with restart + this is what the job Monte Carlo's
    hung gangs cost (``tests/reliability/test_published.py``), and what
    ``training_reliability`` uses."""
    rates = model.class_rates(family)
    total = sum(rates.values())
    return sum(r * model.detect_for(c) for c, r in rates.items()) / total if total else 0.0


@dataclass(frozen=True)
class TrainingReliability:
    """Expected failures and their cost for one training run (closed form)."""

    devices: int
    family: str
    compute_days: float
    rate_per_accelerator_day: float
    mtti_h: float
    checkpoint_write_s: float
    restart_s: float
    detect_s: float  # mean detection (hang) time per interruption, before the restart
    checkpoint_interval_h: float
    optimal: bool
    ettr: float
    wall_days: float
    interruptions: float
    by_cause: dict[str, float]
    lost_accelerator_hours: float  # lost work + detection + restarts (not checkpoint writes)
    #: ETTR with the hardware classes detected at the ends of the published range of
    #: detection times (``FailureModel.detect_range_s``), lowest first.
    ettr_range: tuple[float, float] = (0.0, 0.0)
    detect_range_s: tuple[float, float] = (0.0, 0.0)  # that range (hardware classes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def training_reliability(devices: int, compute_days: float, family: str = "hopper",
                         model: FailureModel | None = None, *,
                         interval_s: float | None = None) -> TrainingReliability:
    """Interruptions, checkpoint interval and ETTR of a run needing ``compute_days`` of
    failure-free time on ``devices`` accelerators of ``family`` (hot spares assumed, so no
    wait for replacement hardware). Each interruption costs the model's mean detection
    time (:func:`mean_detect_s`) and its restart. The interval defaults to Young/Daly
    (its first-order form does not depend on the restart)."""
    if devices < 1:
        raise BadInput(f"must be at least 1, got {devices}", where="devices")
    fm = model or failure_model()
    rates = fm.class_rates(family)
    total = sum(rates.values())
    m = job_mtti_s(devices, total)
    optimal = interval_s is None
    tau = (young_daly_interval_s(fm.checkpoint_write_s, m) if interval_s is None
           else float(interval_s))
    if not math.isfinite(tau):
        tau = compute_days * DAY_S
    detect = mean_detect_s(fm, family)
    e = ettr(tau, fm.checkpoint_write_s, fm.restart_s + detect, m)
    ends = sorted(ettr(tau, fm.checkpoint_write_s,
                       fm.restart_s + mean_detect_s(fm.with_hardware_detect(x), family), m)
                  for x in fm.detect_range_s)
    wall = compute_days / e if e > 0 else math.inf
    n_int = expected_interruptions(devices, wall, total)
    by_cause = {c: expected_interruptions(devices, wall, rates[c]) for c in CLASSES}
    return TrainingReliability(
        devices=devices, family=family, compute_days=compute_days,
        rate_per_accelerator_day=total, mtti_h=m / 3600.0,
        checkpoint_write_s=fm.checkpoint_write_s, restart_s=fm.restart_s, detect_s=detect,
        checkpoint_interval_h=tau / 3600.0, optimal=optimal, ettr=e, wall_days=wall,
        interruptions=n_int, by_cause=by_cause,
        lost_accelerator_hours=max(0.0, devices * 24.0 * (
            wall - compute_days * (1.0 + fm.checkpoint_write_s / tau))),
        ettr_range=(ends[0], ends[1]), detect_range_s=fm.detect_range_s)
