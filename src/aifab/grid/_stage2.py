"""Second stage: dispatch with the campuses of a siting solution fixed.

The campuses (their powered facility MW per site and year) become fixed hourly loads at
their sinks; a campus the grid cannot carry in some hour is curtailed at the unserved-GPU
penalty (below the value of lost load, so ordinary customers are never shed for GPUs).
With the campuses fixed the hours are independent except through storage, which cycles
within each day, so the dispatch splits exactly into blocks of whole days: the full year is
solved in blocks (``block_days``), each a small LP, with no loss against one 8,760-hour LP.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from aifab.grid._boundlp import BoundLP
from aifab.grid._budget import BudgetRows, add_energy_budgets
from aifab.grid._data import GridData
from aifab.grid._network import GridNetwork, add_interfaces
from aifab.grid._profiles import month_of_day
from aifab.grid._solver import label_positions, run_highs, solve_highs
from aifab.grid._tiebreak import DUAL_TOL, tie_break

OBJ_SCALE = 1e-6  # objectives in million KRW (HiGHS stalls on KRW-sized costs)


def campus_loads(gn: GridNetwork, placements: pd.DataFrame, hourly: Any) -> pd.DataFrame:
    """MW each AI sink draws per snapshot for the placed campuses: facility MW powered at
    nameplate (``placements.mw``) x the owner's share of nameplate that hour (``hourly``:
    a float, or an (owner, snapshot) DataArray for the twin's shape)."""
    n: Any = gn.network
    sinks = sorted(set(gn.site_sink.values())) if gn.site_sink else [
        str(g) for g in n.generators.index[n.generators["carrier"] == "ai"]]
    out = np.zeros((len(n.snapshots), len(sinks)))
    col = {s: i for i, s in enumerate(sinks)}
    for (owner, site, year), g in placements.groupby(["owner", "site", "year"]):
        sink = gn.site_sink.get(str(site), f"ai {g['region'].iloc[0]}")
        t = gn.snapshot_year == int(str(year))
        f = (np.asarray(hourly.sel(owner=owner).to_numpy(), float)[t]
             if isinstance(hourly, xr.DataArray) else float(hourly))
        out[t, col[sink]] += float(g["mw"].sum()) * f
    return pd.DataFrame(out, index=n.snapshots, columns=sinks)


def fix_campuses(gn: GridNetwork, loads: pd.DataFrame, penalty_krw_per_mwh: float) -> None:
    """Make every AI sink draw its campus load, less curtailment paid at the penalty: its
    output lies in [-load, 0] at a marginal cost of +penalty per MWh, so each MWh drawn
    (negative output) earns the penalty and each MWh curtailed forgoes it."""
    n: Any = gn.network
    for sink in loads.columns:
        p_nom = float(n.generators.at[sink, "p_nom"])
        n.generators_t.p_min_pu[sink] = -loads[sink].to_numpy(float) / p_nom
        n.generators.at[sink, "p_min_pu"] = 0.0
        n.generators.at[sink, "p_max_pu"] = 0.0
        n.generators.at[sink, "marginal_cost"] = penalty_krw_per_mwh


def day_blocks(gn: GridNetwork, block_days: int) -> list[np.ndarray]:
    """Snapshot positions per block of ``block_days`` whole days, never across a year (the
    last block of a year takes the remaining days)."""
    out: list[np.ndarray] = []
    H = gn.hours_per_year
    days = H // 24
    for i in range(len(gn.years)):
        starts = list(range(0, days, block_days))
        if len(starts) > 1 and days - starts[-1] < block_days // 2 + 1:
            starts.pop()  # a short tail joins the block before it
        for k, s in enumerate(starts):
            e = starts[k + 1] if k + 1 < len(starts) else days
            out.append(np.arange(i * H + s * 24, i * H + e * 24))
    return out


def block_model(gn: GridNetwork, data: GridData, snaps: Sequence[Any]) -> Any:
    """The dispatch LP of ``snaps`` (whole days): PyPSA's LOPF, the interfaces, storage
    cycling within each day, the tie-break costs (``grid._tiebreak``); objective in million
    KRW."""
    n: Any = gn.network
    m = n.optimize.create_model(snapshots=list(snaps), include_objective_constant=False)
    add_interfaces(m, gn, data)
    add_energy_budgets(m, gn, data)
    if "StorageUnit-p_store" in m.variables:
        su = n.storage_units
        eff_s = xr.DataArray(su["efficiency_store"].to_numpy(float),
                             coords={"name": list(su.index)}, dims="name")
        eff_d = xr.DataArray(su["efficiency_dispatch"].to_numpy(float),
                             coords={"name": list(su.index)}, dims="name")
        net = (m.variables["StorageUnit-p_store"] * eff_s
               - m.variables["StorageUnit-p_dispatch"] / eff_d)
        day = xr.DataArray(np.asarray(list(snaps)) // 24, coords={"snapshot": list(snaps)},
                           dims="snapshot", name="day")
        m.add_constraints(net.groupby(day).sum() == 0, name="StorageUnit-daily-cycle")
    # a fixed order among equal-cost dispatches, so the flows do not follow the solve path
    m.add_objective((m.objective.expression + tie_break(m, n, list(snaps))) * OBJ_SCALE,
                    overwrite=True)
    return m


@dataclass
class Tally:
    """What the blocks' dispatch adds up to, per year and per branch."""

    years: tuple[int, ...]
    gen_krw: dict[int, float] = field(default_factory=dict)
    co2_t: dict[int, float] = field(default_factory=dict)
    shed_mwh: dict[int, float] = field(default_factory=dict)
    curtailed_mwh: dict[int, float] = field(default_factory=dict)
    curtailed_hours: dict[int, float] = field(default_factory=dict)
    curtailed_max_mw: dict[int, float] = field(default_factory=dict)
    max_flow: dict[int, pd.Series] = field(default_factory=dict)  # |MW| per branch
    hours: dict[int, float] = field(default_factory=dict)
    # hours with campus curtailment or load shed, by calendar month (1..12)
    short_hours: dict[int, dict[int, float]] = field(default_factory=dict)

    def add(self, sol: Solution, gn: GridNetwork, snaps: np.ndarray,
            loads: pd.DataFrame) -> None:
        n: Any = gn.network
        w = n.snapshot_weightings["objective"].to_numpy()[snaps]
        gp = sol("Generator-p")
        carrier = n.generators.loc[gp.columns, "carrier"]
        mc = n.generators.loc[gp.columns, "marginal_cost"].to_numpy(float)
        co2c = n.carriers["co2_emissions"].reindex(carrier).fillna(0).to_numpy(float)
        pw = gp.to_numpy() * w[:, None]
        real = ~carrier.isin(["shed", "ai"]).to_numpy()
        shed = carrier.eq("shed").to_numpy()
        ai = list(loads.columns)
        curt = loads.iloc[snaps].to_numpy() + gp[ai].to_numpy()  # load + (negative) draw
        curt = np.clip(curt, 0.0, None)
        tot = curt.sum(axis=1)
        short = (tot > 1e-3) | (gp.to_numpy()[:, shed].sum(axis=1) > 1e-3)
        cal = np.asarray(gn.slices.days)[gn.snapshot_day[snaps]]
        month = month_of_day(cal)
        parts = [f for f in (sol("Link-p"), sol("Line-s")) if f is not None]
        flows = pd.concat(parts, axis=1).abs().max() if parts else pd.Series(dtype=float)
        for y in sorted(set(gn.snapshot_year[snaps].tolist())):
            t = gn.snapshot_year[snaps] == y
            y = int(y)
            for d, v in ((self.gen_krw, float((pw[t][:, real] * mc[real]).sum())),
                         (self.co2_t, float((pw[t] * co2c).sum())),
                         (self.shed_mwh, float(pw[t][:, shed].sum())),
                         (self.curtailed_mwh, float((tot[t] * w[t]).sum())),
                         (self.curtailed_hours, float(w[t][tot[t] > 1e-3].sum())),
                         (self.hours, float(w[t].sum()))):
                d[y] = d.get(y, 0.0) + v
            self.curtailed_max_mw[y] = max(self.curtailed_max_mw.get(y, 0.0),
                                           float(tot[t].max(initial=0.0)))
            prev = self.max_flow.get(y)
            self.max_flow[y] = flows if prev is None else prev.combine(flows, max, 0.0)
            by_m = self.short_hours.setdefault(y, {})
            for mo, wt in zip(month[t & short].tolist(), w[t & short].tolist(), strict=True):
                by_m[int(mo)] = by_m.get(int(mo), 0.0) + float(wt)


Progress = Callable[[str], None]
Solution = Callable[[str], Any]  # variable name -> snapshot x name frame (None if absent)
HOURLY = ("Generator-fix-p-upper", "Generator-fix-p-lower", "Link-fix-p-upper",
          "Link-fix-p-lower", "Bus-nodal_balance")


class WarmLP:
    """One block's LP handed to HiGHS once; a later block of the same length changes only
    the right-hand sides that carry hourly data (plant availability, loads, campus draws,
    links in service): the rolling horizon costs one model build, not one per block. Each
    block is solved from scratch with presolve, or with ``warm`` from the last optimal
    basis of the LP with its one-variable rows as bounds (``BoundLP``, about 4x faster;
    ``restart`` forgets the basis). The optimum is the same either way: the tie-break
    costs (``grid._tiebreak``) order equal-cost plants, which could otherwise trade output.
    ``rows(name, values)`` changes any constraint's right-hand side (the full-network
    check uses it to switch line limits on and off)."""

    def __init__(self, gn: GridNetwork, data: GridData, snaps0: np.ndarray, *,
                 threads: int = 2, time_limit_s: float | None = None,
                 extra: Callable[[Any], None] | None = None, warm: bool = False) -> None:
        n: Any = gn.network
        self.gn, self.n0, self.warm = gn, len(snaps0), warm
        self.m = block_model(gn, data, n.snapshots[snaps0])
        if extra is not None:
            extra(self.m)
        self.threads, self.time_limit_s = threads, time_limit_s
        tol = {"dual_feasibility_tolerance": DUAL_TOL}  # see grid._tiebreak
        self.info = solve_highs(self.m, time_limit_s=time_limit_s, threads=threads,
                                objective_scale=OBJ_SCALE, options=tol)
        self.h: Any = self.m.solver_model
        mat = self.m.matrices
        self.row_of = label_positions(mat.clabels)
        self.col_of = label_positions(mat.vlabels)
        self.x: np.ndarray | None = None
        self.objective = float("nan")
        if self.info.has_solution:
            self.x = np.asarray(self.h.getSolution().col_value)
            self.objective = float(self.h.getInfo().objective_function_value) / OBJ_SCALE
        self._dense = {c: (n.get_switchable_as_dense(c, "p_max_pu").to_numpy(float),
                           n.get_switchable_as_dense(c, "p_min_pu").to_numpy(float),
                           list(getattr(n, c.lower() + "s").index))
                       for c in ("Generator", "Link")}
        self.bound = BoundLP(self.h, threads=threads, options=tol)
        self.budget = BudgetRows(self.m, n, data.carriers)
        self._gen_upper = self.budget.upper(self._dense["Generator"][0])
        lp = n.loads_t.p_set.reindex(columns=n.loads.index).fillna(n.loads["p_set"])
        sign = -n.loads["sign"].to_numpy(float)
        buses = list(self.m.constraints["Bus-nodal_balance"].rhs.coords["name"].values)
        self._bus_load = (lp * sign).T.groupby(n.loads["bus"].to_numpy()).sum().T.reindex(
            columns=buses, fill_value=0.0)
        self._layouts: dict[str, tuple[Any, ...]] = {}  # constraint or variable -> labels
        here = self._hourly(np.asarray(snaps0))["Bus-nodal_balance"]
        had = self.m.constraints["Bus-nodal_balance"].rhs.transpose("snapshot", "name")
        if not np.allclose(here.to_numpy(), had.to_numpy(), atol=1e-6):
            raise RuntimeError("stage 2: the nodal balance's right-hand side is not the "
                               "loads by bus (PyPSA changed?)")

    def _hourly(self, snaps: np.ndarray,
                without: Sequence[str] = ()) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        for c in ("Generator", "Link"):
            pmax, pmin, names = self._dense[c]
            comp = getattr(self.gn.network, c.lower() + "s")
            nom = comp["p_nom"].to_numpy(float)
            up = self._gen_upper if c == "Generator" else pmax
            for kind, pu in (("upper", up), ("lower", pmin)):
                key = f"{c}-fix-p-{kind}"
                if key in self.m.constraints:
                    out[key] = pd.DataFrame(pu[snaps] * nom, columns=names)
                    if without and c == "Generator":
                        out[key].loc[:, list(without)] = 0.0
        out["Bus-nodal_balance"] = self._bus_load.iloc[snaps]
        return out

    def _rows_of(self, name: str) -> tuple[Any, ...]:
        """Constraint ``name``'s column names, label mask, LP rows and which sides its
        right-hand side sets (the same for every block: looked up once)."""
        got = self._layouts.get(name)
        if got is None:
            con = self.m.constraints[name]
            lab = con.labels.transpose("snapshot", "name")
            lab_np = lab.to_numpy()
            ok = lab_np >= 0
            sign = con.sign.transpose("snapshot", "name").to_numpy()[ok] if con.sign.ndim \
                else np.full(int(ok.sum()), str(con.sign.item()))
            got = self._layouts[name] = (pd.Index([str(x) for x in lab.coords["name"].values]),
                                         ok, self.row_of[lab_np[ok]], sign != "<=",
                                         sign != ">=")
        return got

    def rows(self, name: str, values: pd.DataFrame) -> None:
        """Set constraint ``name``'s right-hand side (snapshot x name, positional over the
        block's hours; columns by name)."""
        names, ok, rows, has_lower, has_upper = self._rows_of(name)
        v = (values.to_numpy(float) if values.columns.equals(names)
             else values.reindex(columns=names).to_numpy(float))
        val = v[ok]
        self.bound.change_rows(rows, np.where(has_lower, val, -np.inf),
                               np.where(has_upper, val, np.inf))

    def set_block(self, snaps: np.ndarray, without: Sequence[str] = ()) -> None:
        """Load another block's hourly data (same length as the first); generators named
        in ``without`` (campus sinks) are held at zero."""
        if len(snaps) != self.n0:
            raise ValueError("a warm block must have the first block's length")
        for name, values in self._hourly(np.asarray(snaps), without).items():
            self.rows(name, values)
        if self.budget.on:  # the block's daily energy budgets
            lab = self.budget.labels
            ok = lab >= 0
            val = self.budget.rhs(self._dense["Generator"][0][np.asarray(snaps)])[ok]
            rows = self.row_of[lab[ok]]
            self.bound.change_rows(rows, np.full(len(rows), -np.inf), val)

    def restart(self) -> None:
        """Forget the warm basis: the next ``solve`` starts from scratch."""
        self.bound.h.clearSolver()

    def solve(self) -> tuple[str, float]:
        """Solve the block set last; returns (status, seconds). Should a warm re-solve not
        end optimal, the original LP is solved from scratch with presolve."""
        t0 = time.perf_counter()
        if self.warm:
            st = self.bound.run()
            if "optimal" in st:
                self.x, obj = self.bound.solution()
                self.objective = obj / OBJ_SCALE
                return "optimal", time.perf_counter() - t0
        st = _solve_cold(self.h, self.bound)
        dt = time.perf_counter() - t0
        if "optimal" in st:
            self.x = np.asarray(self.h.getSolution().col_value)
            self.objective = float(self.h.getInfo().objective_function_value) / OBJ_SCALE
            return "optimal", dt
        self.x = None
        return st, dt

    def sol(self, var: str) -> pd.DataFrame | None:
        """The last solution of variable ``var`` (positional snapshots x name)."""
        if self.x is None or var not in self.m.variables:
            return None
        got = self._layouts.get("var " + var)
        if got is None:
            lab = self.m.variables[var].labels.transpose("snapshot", "name")
            lab_np = lab.to_numpy()
            got = self._layouts["var " + var] = (
                lab_np >= 0, self.col_of[np.clip(lab_np, 0, None)],
                [str(x) for x in lab.coords["name"].values])
        ok, cols, names = got
        return pd.DataFrame(np.where(ok, self.x[cols], 0.0), columns=names)


def _solve_cold(h: Any, bound: BoundLP) -> str:
    """Solve the original LP ``h`` from scratch with presolve, its row bounds set from
    ``bound``'s; the model status (with HiGHS's return code unless optimal)."""
    nr = len(bound.rlo)
    h.changeRowsBounds(nr, np.arange(nr, dtype=np.int32), bound.rlo, bound.rhi)
    h.clearSolver()  # presolve again: a warm basis on this LP is slower
    # another LP's thread count (stage 1, another block length) in this thread: run_highs
    ret = run_highs(h)
    st = str(h.modelStatusToString(h.getModelStatus())).lower()
    if "optimal" not in st:  # e.g. presolve trouble: once more, warm
        h.setOptionValue("presolve", "off")
        ret = h.run()
        h.setOptionValue("presolve", "choose")
        st = str(h.modelStatusToString(h.getModelStatus())).lower()
    return st if "optimal" in st else f"{st} ({ret})"


def dispatch_blocks(gn: GridNetwork, data: GridData, loads: pd.DataFrame,
                    blocks: Sequence[np.ndarray], *, threads: int = 2,
                    time_limit_s: float | None = None,
                    progress: Progress | None = None) -> tuple[Tally, dict[str, Any]]:
    """Solve the fixed-campus dispatch block by block (a warm-started LP for blocks of the
    first block's length, a fresh one for the others); returns the tally and solver
    figures (blocks, LP seconds, model-building seconds, LP size)."""
    say = progress or (lambda _m: None)
    tally = Tally(years=gn.years)
    t0 = time.perf_counter()
    warm = WarmLP(gn, data, blocks[0], threads=threads, time_limit_s=time_limit_s)
    build_s = time.perf_counter() - t0 - warm.info.solve_s
    lp_s = warm.info.solve_s
    if warm.x is None:
        raise RuntimeError(f"stage-2 dispatch block 1 has no solution ({warm.info.termination})")
    tally.add(warm.sol, gn, blocks[0], loads)
    for k, snaps in enumerate(blocks[1:], start=2):
        if k % 20 == 0:
            say(f"stage 2: dispatch block {k}/{len(blocks)}")
        if len(snaps) == warm.n0:
            warm.set_block(snaps)
            st, dt = warm.solve()
            lp_s += dt
            if st != "optimal":
                raise RuntimeError(f"stage-2 dispatch block {k} has no solution ({st})")
            tally.add(warm.sol, gn, snaps, loads)
            continue
        t1 = time.perf_counter()
        other = WarmLP(gn, data, snaps, threads=threads, time_limit_s=time_limit_s)
        build_s += time.perf_counter() - t1 - other.info.solve_s
        lp_s += other.info.solve_s
        if other.x is None:
            raise RuntimeError(f"stage-2 dispatch block {k} has no solution "
                               f"({other.info.termination})")
        tally.add(other.sol, gn, snaps, loads)
    return tally, {"blocks": len(blocks), "lp_s": round(lp_s, 2),
                   "model_build_s": round(build_s, 2),
                   "lp_variables": int(warm.m.nvars)}


def cpu_s() -> float:
    """User + system CPU seconds of this process and its finished worker processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def gpus_in_hour(placements: pd.DataFrame, gn: GridNetwork, loads: pd.DataFrame,
                 curtailed_mw: float, year: int) -> int:
    """GPUs a curtailment of ``curtailed_mw`` facility MW stands for in ``year`` (the
    year's mean GPUs per drawn MW)."""
    p = placements[placements["year"] == year]
    t = gn.snapshot_year == year
    drawn = float(loads.to_numpy()[t].sum(axis=1).max(initial=0.0))
    if drawn <= 0:
        return 0
    return round(curtailed_mw / drawn * float(p["gpus"].sum()))
