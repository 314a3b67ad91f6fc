"""Summaries and sensitivity: P5/P50/P95 per metric; Sobol (SALib), tornado or Spearman."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from aifab.sweep._design import DesignPoints


def percentiles(values: Any) -> dict[str, float]:
    """P5, P50 and P95 of the finite values (NaN when there are none)."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    if not len(arr):
        return {"p5": math.nan, "p50": math.nan, "p95": math.nan}
    p5, p50, p95 = np.percentile(arr, [5, 50, 95])
    return {"p5": float(p5), "p50": float(p50), "p95": float(p95)}


def summarise(metrics: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """{metric: {p5, p50, p95}} over the variants that finished."""
    return {name: percentiles(vals) for name, vals in metrics.items()}


def sobol_indices(design: DesignPoints, y: Any, *, seed: int = 0) -> dict[str, dict[str, float]]:
    """First-order and total Sobol indices of one output over a Saltelli design (SALib),
    with 95 % bootstrap confidence half-widths: {param: {S1, S1_conf, ST, ST_conf}}."""
    from SALib.analyze import sobol

    names = design.names
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    # SALib seeds its bootstrap only for a truthy seed (`if seed:`): 0 would leave the
    # half-widths random run to run, so the seed passed is never 0.
    res = sobol.analyze(problem, np.asarray(y, dtype=np.float64),
                        calc_second_order=design.second_order, seed=seed + 1)
    return {n: {k: float(res[k][i]) for k in ("S1", "S1_conf", "ST", "ST_conf")}
            for i, n in enumerate(names)}


def tornado(design: DesignPoints, y: list[float]) -> dict[str, dict[str, Any]]:
    """One-at-a-time swings around the base variant, largest first:
    {param: {low, high, base_metric, metric_low, metric_high, swing}}."""
    rows = []
    for name, lo, hi in design.oat:
        ylo, yhi = y[lo], y[hi]
        rows.append((name, {"low": design.variants[lo][name], "high": design.variants[hi][name],
                            "base_metric": y[0], "metric_low": ylo, "metric_high": yhi,
                            "swing": abs(yhi - ylo)}))
    rows.sort(key=lambda r: -(r[1]["swing"] if r[1]["swing"] == r[1]["swing"] else -1))
    return dict(rows)


def spearman(design: DesignPoints, y: list[float]) -> dict[str, dict[str, float]]:
    """Spearman rank correlation of each numeric parameter with the metric."""
    import pandas as pd

    out: dict[str, dict[str, float]] = {}
    ys = pd.Series(y, dtype="float64")
    for name in design.names:
        xs = pd.Series([v[name] for v in design.variants])
        if not pd.api.types.is_numeric_dtype(xs) or xs.nunique() < 2 or ys.nunique() < 2:
            out[name] = {"rho": math.nan}
            continue
        out[name] = {"rho": float(xs.astype("float64").corr(ys, method="spearman"))}
    return out


def sensitivity(design: DesignPoints, metrics: dict[str, list[float]],
                statuses: list[str]) -> dict[str, Any]:
    """The design's sensitivity measure for every metric (needs every variant to be ok for
    Sobol and tornado; Spearman uses the variants that finished)."""
    failed = sum(s != "ok" for s in statuses)
    if design.kind == "saltelli":
        if failed:
            return {"method": "sobol", "metrics": {},
                    "note": f"Sobol indices need every variant; {failed} failed"}
        return {"method": "sobol", "metrics": {m: sobol_indices(design, y)
                                               for m, y in metrics.items()},
                "note": "first-order (S1) and total (ST) Sobol indices, SALib, 95 % "
                        "bootstrap half-widths"}
    if design.kind == "oat":
        if statuses and statuses[0] != "ok":
            return {"method": "tornado", "metrics": {}, "note": "the base variant failed"}
        return {"method": "tornado", "metrics": {m: tornado(design, y)
                                                 for m, y in metrics.items()},
                "note": "one at a time around the base variant (NaN where a variant failed)"}
    if design.kind in ("random", "lhs"):
        ok = [i for i, s in enumerate(statuses) if s == "ok"]
        sub = DesignPoints(design.kind, design.names, [design.variants[i] for i in ok])
        return {"method": "spearman",
                "metrics": {m: spearman(sub, [y[i] for i in ok]) for m, y in metrics.items()},
                "note": "Spearman rank correlation of each parameter with the metric"}
    return {"method": "none", "metrics": {},
            "note": "grid designs report the full table; use oat, lhs or saltelli for "
                    "sensitivity"}
