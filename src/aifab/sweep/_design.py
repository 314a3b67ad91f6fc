"""Designs: which parameter values each variant gets (grid, random, LHS, Saltelli, OAT).

Sampling designs draw points in the unit hypercube (numpy Generator, SciPy's Latin
hypercube, SALib's Saltelli/Sobol' sequence) and map each coordinate through the
parameter's inverse CDF, so Sobol indices computed on the unit cube are those of the
parameters' own distributions.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aifab.errors import BadInput
from aifab.sweep._spec import MAX_VARIANTS, Parameter, SweepSpec

_EPS = 1e-9


def _scalar(v: Any) -> Any:
    """A plain Python scalar (numpy scalars would not hash or serialise the same way)."""
    return v.item() if hasattr(v, "item") else v


def ppf(par: Parameter, u: float) -> Any:
    """The parameter value at quantile ``u`` in [0, 1] of its distribution."""
    u = min(max(float(u), _EPS), 1.0 - _EPS)
    if par.values is not None:
        return _scalar(par.values[min(int(u * len(par.values)), len(par.values) - 1)])
    if par.range is not None:
        lo, hi = par.range
        if par.integer:
            return int(min(math.floor(lo + u * (math.floor(hi) - math.ceil(lo) + 1)), hi))
        return lo + u * (hi - lo)
    from scipy import stats

    d = par.distribution
    assert d is not None
    if d.kind == "uniform":
        assert d.low is not None and d.high is not None
        x = d.low + u * (d.high - d.low)
    elif d.kind == "normal":
        x = float(stats.norm.ppf(u, loc=d.mean, scale=d.sd))
    elif d.kind == "lognormal":
        assert d.mean is not None
        x = float(stats.lognorm.ppf(u, s=d.sd, scale=math.exp(d.mean)))
    else:
        assert d.low is not None and d.high is not None and d.mode is not None
        c = (d.mode - d.low) / (d.high - d.low)
        x = float(stats.triang.ppf(u, c, loc=d.low, scale=d.high - d.low))
    return round(x) if par.integer else x


def _levels(name: str, par: Parameter) -> list[Any]:
    if par.values is not None:
        return [_scalar(v) for v in par.values]
    if par.range is not None:
        if par.levels is None:
            raise BadInput("a grid design needs levels for a range", where=f"parameters[{name}]")
        xs = np.linspace(par.range[0], par.range[1], par.levels)
        return [round(x) for x in xs] if par.integer else [float(x) for x in xs]
    raise BadInput("a grid design needs values or a range with levels, not a distribution",
                   where=f"parameters[{name}]")


def _oat_points(par: Parameter) -> tuple[Any, Any, Any]:
    """(base, low, high) of a parameter for one-at-a-time designs."""
    if par.values is not None:
        vals = [_scalar(v) for v in par.values]
        base = vals[(len(vals) - 1) // 2]
        low, high = vals[0], vals[-1]
    elif par.range is not None:
        lo, hi = par.range
        base = (lo + hi) / 2
        low, high = (round(lo), round(hi)) if par.integer else (lo, hi)
        base = round(base) if par.integer else base
    else:
        base, low, high = ppf(par, 0.5), ppf(par, 0.05), ppf(par, 0.95)
    if par.base is not None:
        base = par.base
    return base, low, high


@dataclass(frozen=True)
class DesignPoints:
    """The variants of a design: one dict of parameter values each, in design order.

    ``oat`` holds (parameter, low index, high index) for one-at-a-time designs (variant 0
    is the base point); ``unit`` the unit-cube sample behind a sampling design.
    """

    kind: str
    names: list[str]
    variants: list[dict[str, Any]]
    oat: list[tuple[str, int, int]] = field(default_factory=list)
    unit: np.ndarray | None = None
    second_order: bool = False


def _check_count(n: int) -> None:
    if n > MAX_VARIANTS:
        raise BadInput(f"{n:,} variants, more than the {MAX_VARIANTS:,} allowed", where="design")


def build_design(spec: SweepSpec) -> DesignPoints:
    """All variants of ``spec``'s design (deterministic for a given spec and seed)."""
    names = list(spec.parameters)
    pars = [spec.parameters[n] for n in names]
    d = spec.design
    rng = np.random.default_rng(d.seed)
    if d.kind == "grid":
        levels = [_levels(n, p) for n, p in zip(names, pars, strict=True)]
        _check_count(math.prod(len(x) for x in levels))
        rows = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*levels)]
        return DesignPoints("grid", names, rows)
    if d.kind == "oat":
        pts = [_oat_points(p) for p in pars]
        base = {n: pt[0] for n, pt in zip(names, pts, strict=True)}
        rows = [dict(base)]
        oat = []
        for n, (_, low, high) in zip(names, pts, strict=True):
            rows.append({**base, n: low})
            rows.append({**base, n: high})
            oat.append((n, len(rows) - 2, len(rows) - 1))
        return DesignPoints("oat", names, rows, oat=oat)
    assert d.samples is not None
    if d.kind == "random":
        unit = rng.random((d.samples, len(names)))
    elif d.kind == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(names), rng=rng).random(d.samples)
    else:
        from SALib.sample import sobol

        problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
        factor = 2 * len(names) + 2 if d.second_order else len(names) + 2
        _check_count(d.samples * factor)
        unit = sobol.sample(problem, d.samples, calc_second_order=d.second_order,
                            scramble=True, seed=d.seed)
    _check_count(len(unit))
    rows = [{n: ppf(p, u) for n, p, u in zip(names, pars, row, strict=True)} for row in unit]
    return DesignPoints(d.kind, names, rows, unit=np.asarray(unit),
                        second_order=d.kind == "saltelli" and d.second_order)
