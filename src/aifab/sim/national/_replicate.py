"""Replications over seeds: mean and 95 % confidence interval of the key results."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from aifab.sim.national._schema import encode
from aifab.sim.national._tree import Confidence, Interval, RunSummary

_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}


def t95(df: int) -> float:
    """Two-sided 95 % Student-t quantile (table, 1.96 beyond 30 degrees of freedom)."""
    if df <= 0:
        return math.nan
    if df > 30:
        return 1.96
    return _T95[min(k for k in _T95 if k >= df)]


def interval(values: list[float]) -> Interval:
    """Mean, half-width of the 95 % interval and n of independent replications."""
    a = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if len(a) == 0:
        return Interval(math.nan, math.nan, 0)
    half = t95(len(a) - 1) * float(a.std(ddof=1)) / math.sqrt(len(a)) if len(a) > 1 else math.nan
    return Interval(float(a.mean()), half, len(a))


def confidence(runs: list[RunSummary]) -> Confidence:
    """Confidence intervals across runs that differ only in their seed."""
    keys: dict[str, Callable[[RunSummary], float]] = {"utilization": lambda d: d.utilization,
            "stranded.power": lambda d: d.stranded.power,
            "stranded.fragmentation": lambda d: d.stranded.fragmentation,
            "stranded.idle": lambda d: d.stranded.idle,
            "energy_mwh": lambda d: d.energy_mwh,
            "tokens_served": lambda d: d.tokens_served,
            "training_runs_completed": lambda d: float(d.training_runs_completed),
            "jain_public": lambda d: d.fairness.jain_public}
    out: dict[str, Interval] = {k: interval([f(d) for d in runs]) for k, f in keys.items()}
    names = [t.tenant for t in runs[0].tenants]
    for i, name in enumerate(names):
        out[f"tenants.{name}.wait_p95_h"] = interval([d.tenants[i].wait_p95_h for d in runs])
        out[f"tenants.{name}.share_of_entitlement"] = interval(
            [d.tenants[i].share_of_entitlement for d in runs])
    out.update(_reliability(runs))
    return Confidence(out, tuple(d.seed for d in runs))


#: Scalar figures of the ``reliability`` block that get an interval across replications.
RELIABILITY_FIGURES = ("goodput", "interruptions_per_day", "lost_accelerator_hours",
                       "in_repair_share", "spares_held_share", "technicians_busy",
                       "replicas_removed", "inference_unmet_tokens", "failures",
                       "hardware_failures", "exclusions", "interruptions", "spares_used",
                       "spares_held", "in_repair_now")
#: Per-key tables of the block (ETTR per class and tenant, rates and counts by cause,
#: interruptions per class, accelerator-hours per category).
RELIABILITY_TABLES = ("ettr", "ettr_by_tenant", "by_cause", "failures_by_cause",
                      "interruptions_by_class", "accelerator_hours")


def _reliability(runs: list[RunSummary]) -> dict[str, Interval]:
    """Intervals of every reliability figure (``reliability.<figure>`` and
    ``reliability.<table>.<key>``) when every run had failures on; else none."""
    blocks = [d.reliability for d in runs]
    on = [b for b in blocks if b is not None and b.enabled]
    if len(on) < len(blocks):
        return {}
    out: dict[str, Interval] = {}
    for k in RELIABILITY_FIGURES:
        out[f"reliability.{k}"] = interval([float(getattr(b, k)) for b in on])
    for t in RELIABILITY_TABLES:
        tables: list[dict[str, Any]] = [encode(getattr(b, t)) for b in on]
        keys = sorted(set().union(*(set(tb) for tb in tables)))
        for k in keys:  # a key a run lacks (a class that never ran) counts as absent
            vals = [tb.get(k) for tb in tables]
            out[f"reliability.{t}.{k}"] = interval(
                [float(v) for v in vals if isinstance(v, int | float)])
    return out
