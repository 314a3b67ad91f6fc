"""Replications over seeds: mean and 95 % confidence interval of the key results."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}


def t95(df: int) -> float:
    """Two-sided 95 % Student-t quantile (table, 1.96 beyond 30 degrees of freedom)."""
    if df <= 0:
        return math.nan
    if df > 30:
        return 1.96
    return _T95[min(k for k in _T95 if k >= df)]


def interval(values: list[float]) -> dict[str, float]:
    """Mean, half-width of the 95 % interval and n of independent replications."""
    a = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if len(a) == 0:
        return {"mean": math.nan, "ci95": math.nan, "n": 0}
    half = t95(len(a) - 1) * float(a.std(ddof=1)) / math.sqrt(len(a)) if len(a) > 1 else math.nan
    return {"mean": float(a.mean()), "ci95": half, "n": len(a)}


def confidence(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Confidence intervals across runs that differ only in their seed."""
    keys: dict[str, Callable[[dict[str, Any]], float]] = {"utilization": lambda d: d["utilization"],
            "stranded.power": lambda d: d["stranded"]["power"],
            "stranded.fragmentation": lambda d: d["stranded"]["fragmentation"],
            "stranded.idle": lambda d: d["stranded"]["idle"],
            "energy_mwh": lambda d: d["energy_mwh"],
            "tokens_served": lambda d: d["tokens_served"],
            "training_runs_completed": lambda d: float(d["training_runs_completed"]),
            "jain_public": lambda d: d["fairness"]["jain_public"]}
    out: dict[str, Any] = {k: interval([f(d) for d in docs]) for k, f in keys.items()}
    names = [t["tenant"] for t in docs[0]["tenants"]]
    for i, name in enumerate(names):
        for col in ("wait_p95_h", "share_of_entitlement"):
            out[f"tenants.{name}.{col}"] = interval([d["tenants"][i][col] for d in docs])
    out.update(_reliability(docs))
    out["seeds"] = [d["seed"] for d in docs]
    return out


#: Scalar figures of the ``reliability`` block that get an interval across replications.
RELIABILITY_FIGURES = ("goodput", "interruptions_per_day", "lost_accelerator_hours",
                       "in_repair_share", "spares_held_share", "technicians_busy",
                       "replicas_removed", "inference_unmet_tokens", "failures",
                       "hardware_failures", "exclusions")
#: Per-key tables of the block (ETTR per class and tenant, rates and counts by cause).
RELIABILITY_TABLES = ("ettr", "ettr_by_tenant", "by_cause", "failures_by_cause",
                      "accelerator_hours")


def _reliability(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Intervals of every reliability figure (``reliability.<figure>`` and
    ``reliability.<table>.<key>``) when every run had failures on; else none."""
    blocks = [d.get("reliability") or {} for d in docs]
    if not all(b.get("enabled") for b in blocks):
        return {}
    out: dict[str, Any] = {}
    for k in RELIABILITY_FIGURES:
        if all(isinstance(b.get(k), int | float) for b in blocks):
            out[f"reliability.{k}"] = interval([float(b[k]) for b in blocks])
    for t in RELIABILITY_TABLES:
        keys = sorted(set().union(*(set(b.get(t) or {}) for b in blocks)))
        for k in keys:  # a key a run lacks (a class that never ran) counts as absent
            vals = [(b.get(t) or {}).get(k) for b in blocks]
            out[f"reliability.{t}.{k}"] = interval(
                [float(v) for v in vals if isinstance(v, int | float)])
    return out
