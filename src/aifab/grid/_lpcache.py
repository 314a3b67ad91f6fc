"""Disk cache of LP solves keyed by the LP itself (issue 20: the default siting run's no-AI
reference LP, about 6 CPU-s, has the same answer on every run of the same scenario).

The key is a SHA-256 of everything the solver is handed: each variable's labels, bounds
and type, each constraint's labels, coefficients, variables, sign and right-hand side,
the objective's coefficients, variables and sense (as raw arrays, with names, dtypes and
shapes), the solve's options, and the linopy and HiGHS versions. The same key means
HiGHS gets the same LP with the same options, so the stored figures are the ones it
would return again. Only optimal solves are stored (a time-limited one depends on the
machine). An unreadable or foreign entry is ignored and solved again. Entries live
next to the network cache (``grid._netcache.cache_dir``, ``AIFAB_CACHE_DIR=off`` turns
it off) as ``<kind>-<key>.pkl``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import asdict, replace
from importlib.metadata import version
from typing import Any

import numpy as np

from aifab.grid._netcache import cache_dir, prune
from aifab.grid._solver import SolveInfo

LP_CACHE_VERSION = 1


def _arr(h: Any, name: str, a: Any) -> None:
    v = np.ascontiguousarray(np.asarray(a))
    h.update(f"{name}|{v.dtype.str}|{v.shape}|".encode())
    if v.dtype == object:
        h.update(repr(v.tolist()).encode())
    else:
        h.update(v.reshape(-1).view(np.uint8))


def _signed(coeffs: Any, vars_: Any, sign: Any, rhs: Any) -> tuple[Any, Any]:
    """Equality rows scaled by -1 where their first coefficient is negative: PyPSA's
    Kirchhoff-Voltage-Law rows come with a cycle orientation that follows Python's
    string hashing (one process writes a row, the next its negative; the same LP), and
    the key must not depend on it. Coefficients are (..., term), the rest (...)."""
    c = np.asarray(coeffs, dtype=float)
    v = np.asarray(vars_)
    if c.ndim == 0 or c.shape[-1] == 0:
        return coeffs, rhs
    flat = c.reshape(-1, c.shape[-1])
    live = (v.reshape(flat.shape) != -1) & (flat != 0)
    first = flat[np.arange(flat.shape[0]), live.argmax(axis=1)]
    eq = np.broadcast_to(np.asarray(sign) == "=", c.shape[:-1]).reshape(-1)
    if not eq.any():
        return coeffs, rhs
    flip = eq & live.any(axis=1) & (first < 0)
    mult = np.where(flip, -1.0, 1.0)
    r = np.broadcast_to(np.asarray(rhs, dtype=float), c.shape[:-1]).reshape(-1) * mult
    # terms without a variable or with a zero coefficient are no part of the LP: 0.0 (not
    # -0.0, whose bytes differ) in both orientations
    out = np.where(live, flat * mult[:, None], 0.0)
    return out.reshape(c.shape), r.reshape(c.shape[:-1]) + 0.0


def model_key(m: Any, **options: Any) -> str:
    """SHA-256 hex of the LP/MIP a linopy model hands the solver, plus ``options``."""
    h = hashlib.sha256()
    h.update(repr((LP_CACHE_VERSION, version("linopy"), version("highspy"),
                   sorted(options.items()))).encode())
    ints = set(m.variables.integers) | set(m.variables.binaries)
    for name in m.variables:
        v = m.variables[name]
        h.update(f"var {name} {name in ints} {name in set(m.variables.binaries)}".encode())
        for field in ("labels", "lower", "upper"):
            _arr(h, field, v.data[field].values)
    for name in m.constraints:
        c = m.constraints[name]
        h.update(f"con {name}".encode())
        coeffs, rhs = _signed(c.data["coeffs"].values, c.data["vars"].values,
                              c.data["sign"].values, c.data["rhs"].values)
        for field, a in (("labels", c.data["labels"].values), ("coeffs", coeffs),
                         ("vars", c.data["vars"].values), ("sign", c.data["sign"].values),
                         ("rhs", rhs)):
            _arr(h, field, a)
    obj = m.objective
    h.update(f"obj {obj.sense}".encode())
    for field in ("coeffs", "vars", "const"):
        if field in obj.expression.data:
            _arr(h, field, obj.expression.data[field].values)
    return h.hexdigest()


def solve_cached(kind: str, m: Any, solve: Callable[[], SolveInfo],
                 read: Callable[[], dict[str, Any]], **options: Any
                 ) -> tuple[SolveInfo, dict[str, Any]]:
    """``solve()``'s info and ``read()``'s figures (read right after the solve), from the
    cache when the same LP with the same ``options`` was solved to optimality before; a hit
    reports ``solve_s`` 0."""
    root = cache_dir()
    if root is None:
        info = solve()
        return info, (read() if info.has_solution else {})
    # what linopy's solve does first (idempotent): the key then reads the same arrays
    # whether or not an earlier solve of this model already cleaned them
    m.constraints.sanitize_zeros()
    m.constraints.sanitize_infinities()
    path = root / f"{kind}-{model_key(m, **options)}.pkl"
    if path.is_file():
        try:
            with path.open("rb") as fh:
                hit = pickle.load(fh)
            info = SolveInfo(**hit["info"])
            figures = hit["figures"]
            if not isinstance(figures, dict):
                raise TypeError("not a cache entry")
            with contextlib.suppress(OSError):
                os.utime(path)
            return replace(info, solve_s=0.0), figures
        except Exception:  # a broken entry is solved again, not fatal
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
    info = solve()
    figures = read() if info.has_solution else {}
    if info.status != "optimal":
        return info, figures
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=root, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump({"info": asdict(info), "figures": figures}, fh,
                        protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        prune(root, kind)
    except OSError:
        pass  # a read-only or full disk only costs the next run the solve
    return info, figures
