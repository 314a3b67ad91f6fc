"""Solver adapter: solve a linopy model with HiGHS and return our own result type."""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from aifab.grid._data import GridData

Status = Literal["optimal", "time_limit", "infeasible", "error"]


@dataclass(frozen=True)
class SolveInfo:
    """What the solver reported: status, objective (KRW), relative MIP gap, wall time (s)."""

    status: Status
    termination: str
    objective_krw: float
    mip_gap: float
    solve_s: float
    n_variables: int
    n_constraints: int
    n_integer: int
    has_solution: bool


@contextmanager
def _quiet_stdout(enabled: bool) -> Iterator[None]:
    """Send file descriptor 1 to /dev/null: HiGHS prints its banner from C++ even with
    output_flag off, which would corrupt ``--json`` output."""
    if not enabled:
        yield
        return
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def solve_highs(model: Any, *, time_limit_s: float | None = None, mip_rel_gap: float = 1e-4,
                threads: int = 2, log: bool = False, relaxation: bool = False,
                objective_scale: float = 1.0,
                options: dict[str, Any] | None = None) -> SolveInfo:
    """Solve ``model`` (a linopy.Model) with HiGHS through linopy's direct interface.

    ``objective_scale``: the model's objective is in units of 1/scale KRW; reported
    objectives are converted back to KRW. ``relaxation`` solves the LP relaxation.
    ``options``: further HiGHS options (name -> value).
    """
    opts: dict[str, Any] = {"mip_rel_gap": mip_rel_gap, "threads": threads,
                            "output_flag": log, "log_to_console": log, "random_seed": 0}
    if relaxation:
        opts["solve_relaxation"] = True
    opts.update(options or {})
    if time_limit_s is not None:
        opts["time_limit"] = float(time_limit_s)
    n_int = int(sum(model.variables[v].size for v in model.variables
                    if v in set(model.variables.integers) | set(model.variables.binaries)))
    nv = int(model.nvars)
    nc = int(model.ncons)
    t0 = time.perf_counter()
    with _quiet_stdout(not log):
        _, cond = model.solve(solver_name="highs", io_api="direct", progress=False, **opts)
    dt = time.perf_counter() - t0
    cond = str(cond)
    gap = 0.0
    highs = getattr(model, "solver_model", None)
    has_solution = False
    if highs is not None:
        try:
            info = highs.getInfo()
            if n_int and not relaxation:
                gap = float(info.mip_gap)
            has_solution = int(info.primal_solution_status) == 2
        except (AttributeError, ValueError):
            pass
    if cond == "optimal":
        status: Status = "optimal"
        has_solution = True
    elif cond in ("infeasible", "infeasible_or_unbounded"):
        status = "infeasible"
    elif cond in ("time_limit", "iteration_limit", "terminated_by_limit"):
        status = "time_limit"
    else:
        status = "error"
    obj = (float(model.objective.value) / objective_scale
           if has_solution and model.objective.value is not None else math.nan)
    if not math.isfinite(gap) or gap > 1e20:
        gap = math.nan
    return SolveInfo(status=status, termination=cond, objective_krw=obj, mip_gap=gap,
                     solve_s=dt, n_variables=nv, n_constraints=nc, n_integer=n_int,
                     has_solution=has_solution)


def solve_dispatch(gn: Any, data: GridData) -> tuple[Any, SolveInfo]:
    """The linopy model of ``gn``'s dispatch with the interface limits and the daily
    energy budgets, solved as an LP with HiGHS; returns (model, ``SolveInfo``). The
    objective is in million KRW: in KRW (about 6e13) HiGHS stalls on the network's KVL
    rows."""
    from aifab.grid._budget import add_energy_budgets
    from aifab.grid._network import add_interfaces

    m = gn.network.optimize.create_model(include_objective_constant=False)
    add_interfaces(m, gn, data)
    add_energy_budgets(m, gn, data)
    m.add_objective(m.objective.expression * 1e-6, overwrite=True)
    return m, solve_highs(m, objective_scale=1e-6)


def run_highs(h: Any) -> Any:
    """``h.run()`` in the calling thread with ``h``'s own ``threads`` option; HiGHS's
    return status. HiGHS keeps a thread pool per calling thread, sized by the first run in
    it: a later run in that thread with another thread count fails at once (kError, model
    status "Not Set") unless the pool is reset first. linopy runs each solve in a fresh
    thread; a re-solve of its ``solver_model`` here runs in ours, after whatever ran in it
    before (a one-thread block LP run earlier in the process left the calibration's
    west-coast re-solve without a solution, and its row out)."""
    h.resetGlobalScheduler(True)
    return h.run()


def label_positions(labels: Any) -> Any:
    """Position in the HiGHS model of each linopy label (``model.matrices.clabels`` for
    rows, ``vlabels`` for columns): an array indexed by label, -1 where a label is not
    passed to the solver."""
    import numpy as np

    lab = np.asarray(labels)
    out = np.full(int(lab.max(initial=0)) + 1, -1, dtype=np.int64)
    out[lab] = np.arange(len(lab))
    return out
