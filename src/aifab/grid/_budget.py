"""Daily energy budgets: a carrier whose availability is an energy figure, not an hourly
derate.

A carrier with ``budget_max_pu`` in carriers.csv runs, on a modelled day whose
availability is below that figure, up to ``budget_max_pu`` in any hour, and its energy that
day stays within the availability's (availability x 24 h x p_nom). Coal's spring and autumn
availability (0.281) is the annual capacity factor's remainder, mostly units idle for want
of load or stopped by rule, not plant that cannot run; the hourly ceiling is what the
sources say can run (carriers.csv). Days at or above the ceiling keep the hourly bound.

Every LP of the grid package calls ``add_energy_budgets`` after ``add_interfaces``; the
warm rolling horizon of stage 2 updates the budget rows per block (``BudgetRows``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from aifab.grid._data import GridData, fnum

NAME = "Generator-daily-energy"


def budget_caps(n: Any, carriers: pd.DataFrame) -> pd.Series:
    """Generator name -> hourly ceiling (p.u.) for generators whose carrier has
    ``budget_max_pu`` (empty if none)."""
    if "budget_max_pu" not in carriers.columns or n.generators.empty:
        return pd.Series(dtype=float)
    cap = carriers["budget_max_pu"].map(lambda v: np.nan if v is None or pd.isna(v)
                                        else fnum(v))
    per_gen: pd.Series = n.generators["carrier"].map(cap.dropna()).dropna().astype(float)
    return per_gen


def budget_carrier_cap(carriers: pd.DataFrame, c: str) -> float | None:
    """Carrier ``c``'s hourly ceiling, or None."""
    if "budget_max_pu" not in carriers.columns or c not in carriers.index:
        return None
    v: Any = carriers.at[c, "budget_max_pu"]
    return None if v is None or pd.isna(v) else fnum(v)


def widened(pu: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Hourly bound (p.u.): the availability, raised to the ceiling where it is below."""
    out: np.ndarray = np.maximum(pu, caps[None, :])
    return out


def daily_energy(pu: np.ndarray, nom: np.ndarray) -> np.ndarray:
    """Energy budget (MWh) per whole day (rows of 24 hours) and generator."""
    out: np.ndarray = (pu * nom[None, :]).reshape(-1, 24, pu.shape[1]).sum(axis=1)
    return out


def add_energy_budgets(m: Any, gn: Any, data: GridData) -> None:
    """Widen the hourly bound of budget generators to their ceiling and add one row per
    (day, generator): the day's output within its availability's energy. The model's
    snapshots must be whole days of the flat snapshot index (day = snapshot // 24)."""
    n: Any = gn.network
    caps = budget_caps(n, data.carriers)
    key = "Generator-fix-p-upper"
    if caps.empty or "Generator-p" not in m.variables or key not in m.constraints:
        return
    con = m.constraints[key]
    names = [x for x in caps.index if x in set(con.rhs.coords["name"].values)]
    if not names:
        return
    snaps = np.asarray(con.rhs.coords["snapshot"].values)
    if len(snaps) % 24:
        return
    pu = n.get_switchable_as_dense("Generator", "p_max_pu").loc[snaps, names].to_numpy(float)
    nom = n.generators.loc[names, "p_nom"].to_numpy(float)
    c = caps.loc[names].to_numpy(float)
    rhs = con.rhs.copy()
    rhs.loc[{"name": names}] = xr.DataArray(
        widened(pu, c) * nom[None, :], coords={"snapshot": snaps, "name": names},
        dims=("snapshot", "name")).transpose(*rhs.dims)
    con.update(rhs=rhs)
    day = xr.DataArray(snaps // 24, coords={"snapshot": snaps}, dims="snapshot", name="day")
    budget = xr.DataArray(daily_energy(pu, nom), dims=("day", "name"),
                          coords={"day": np.unique(snaps // 24), "name": names})
    p = m.variables["Generator-p"].sel(name=names)
    m.add_constraints(p.groupby(day).sum() <= budget, name=NAME)


class BudgetRows:
    """The budget rows of a warm LP (stage 2): the widened hourly bound and each block's
    daily budgets."""

    def __init__(self, m: Any, n: Any, carriers: pd.DataFrame) -> None:
        self.on = NAME in m.constraints
        caps = budget_caps(n, carriers)
        gens = list(n.generators.index)
        self.cols = [gens.index(x) for x in caps.index]
        self.caps = caps.to_numpy(float)
        self.nom = n.generators["p_nom"].to_numpy(float)[self.cols]
        self.gen_names = [str(x) for x in caps.index]
        self.labels = np.zeros((0, 0), dtype=np.int64)
        if self.on:
            lab = m.constraints[NAME].labels.transpose("day", "name")
            self.labels = lab.to_numpy()
            self.names = [str(x) for x in lab.coords["name"].values]

    def upper(self, pmax: np.ndarray) -> np.ndarray:
        """``pmax`` (hours x all generators) with the budget generators widened."""
        if not self.on:
            return pmax
        out = pmax.copy()
        out[:, self.cols] = widened(pmax[:, self.cols], self.caps)
        return out

    def rhs(self, pmax: np.ndarray) -> np.ndarray:
        """Budget per day (rows) and budget row name (columns) of the block's ``pmax``
        (hours x all generators), in the order of the constraint's labels."""
        e = pd.DataFrame(daily_energy(pmax[:, self.cols], self.nom), columns=self.gen_names)
        return e.reindex(columns=self.names).to_numpy(float)
