"""A fixed order among equal-cost dispatches (tie-break costs for the LP objective).

All plants of a carrier have one marginal cost (``carriers.csv``), and a plant spread over
several buses (the full network: a province's 345/765 kV substations) is several
generators at that cost. Which of them runs is then not unique: they trade output at no
change in cost, the flows follow, and HiGHS returns whichever optimum its path reaches
(cold from scratch or warm from the day before's basis). Where a result reads those flows
(the full-network check's allowance, the loadings of uncongested corridors) it would
follow the solve path.

``tie_break`` adds to the objective, per modelled hour and MW, a small fixed cost that
orders them (the "noisy costs" PyPSA users add for the same reason, here deterministic):

- every generator: a step x its rank among the generators of its marginal cost (by name),
  so of two equal-cost units the one earlier by name runs first; the step is
  ``STEP_KRW_PER_MWH``, shrunk so that a cost level's offsets stay below ``GAP_SHARE`` of
  the distance up to the next dearer level (offsets only raise costs, so no unit can pass
  one of a dearer level: the smallest gap on the packaged data is solar and wind at 0
  below hydro at 1,000 KRW/MWh);
- every generator: ``JITTER`` x its level's step x a number in [0, 1) fixed by its name and
  the hour of the day (``jitter``): without it the offsets are a unit's part plus an
  hour's part, and any swap "A more at 3 h and less at 9 h, B the reverse" costs nothing
  (r_A + h3 - r_A - h9 - r_B - h3 + r_B + h9 = 0). Plants whose day's energy is fixed
  (coal's daily energy budgets, ``grid._budget``) traded gigawatts between hours that way
  at no cost, warm against cold (seventh session). With ``JITTER`` < 1 the order by name
  still holds within each hour;
- every generator: ``HOUR_KRW_PER_MWH`` x the hour of the day, so storage moves energy
  between hours of equal cost in one fixed way (earlier hours are cheaper);
- every storage unit: the jittered steps of a level of its own at 0 KRW/MWh on its
  dispatch and on its charging, so parts of one pumped-storage plant on several buses do
  not trade their daily cycle at no cost;
- every link (HVDC): ``STEP_KRW_PER_MWH`` x (its rank by name + the jitter) on its flow
  (bus0 to bus1), so the split between a link and the parallel AC lines is fixed where it
  costs nothing.

The LP's objective is in million KRW (``OBJ_SCALE`` of ``grid._stage2``); a level's step
can be a fraction of 1 KRW/MWh (hundreds of solar and wind units on the full network), and
a jittered swap a fraction of a step, near HiGHS's default dual feasibility tolerance
(1e-7, i.e. 0.1 KRW/MWh). So the LPs that carry these costs run at ``DUAL_TOL`` (1e-9,
0.001 KRW/MWh). The offsets are at most a few hundred KRW/MWh on the levels near others
and a few thousand on coal and LNG (60,000 KRW/MWh apart); the reported costs use the real
marginal costs (the offsets only pick among equally cheap dispatches). Not a forecast of
which plant runs: a fixed, reproducible pick among answers the model cannot tell apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

STEP_KRW_PER_MWH = 10.0
HOUR_KRW_PER_MWH = 1.0
GAP_SHARE = 0.1
JITTER = 0.5  # share of a step; below 1 so the order by name holds within each hour
DUAL_TOL = 1e-9  # HiGHS dual feasibility tolerance of the LPs with these costs
HOURS_PER_DAY = 24


def _steps(cost: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Per unit (index: names): its rank by name among the units of its cost, and its
    level's step (KRW/MWh) such that step x (units of the level) stays below GAP_SHARE of
    the distance up to the next dearer level."""
    cost = cost.astype(float)
    levels = np.unique(cost.to_numpy())
    rank = pd.Series(0.0, index=cost.index)
    step = pd.Series(0.0, index=cost.index)
    for lv in levels:
        names = sorted(str(x) for x in cost.index[cost.to_numpy() == lv])
        above = levels[levels > lv]
        gap = float(above.min() - lv) if len(above) else np.inf
        rank.loc[names] = np.arange(len(names), dtype=float)
        step.loc[names] = min(STEP_KRW_PER_MWH, GAP_SHARE * gap / max(len(names), 1))
    return rank, step


def rank_offsets(cost: pd.Series) -> pd.Series:
    """KRW/MWh added to each unit (index: names) of marginal cost ``cost``: its level's step
    x its rank by name among the units of its cost; a level's offsets (with ``jitter``'s
    share of a step) stay below GAP_SHARE of the gap up to the next dearer level."""
    rank, step = _steps(cost)
    return rank * step


def hour_offsets(snapshots: Sequence[Any], hours_per_day: int = HOURS_PER_DAY) -> np.ndarray:
    """KRW/MWh added to every generator in each snapshot: HOUR x the hour of the day
    (snapshots are flat integers, a day every 24)."""
    return HOUR_KRW_PER_MWH * (np.asarray(list(snapshots), dtype=np.int64) % hours_per_day)


def jitter(names: Sequence[str], hours_per_day: int = HOURS_PER_DAY) -> np.ndarray:
    """A number in [0, 1) per name (rows) and hour of the day (columns), fixed by the name
    and the hour (BLAKE2b of both, so it is the same on every machine, run and block), and
    unrelated between names and hours: the part of the tie-break that no sum of a unit's
    and an hour's cost can cancel."""
    out = np.empty((len(names), hours_per_day))
    for i, nm in enumerate(names):
        for h in range(hours_per_day):
            d = hashlib.blake2b(f"{nm}\x00{h}".encode(), digest_size=8).digest()
            out[i, h] = (int.from_bytes(d, "big") >> 11) / float(1 << 53)
    return out


def unit_offsets(cost: pd.Series, snapshots: Sequence[Any],
                 hours_per_day: int = HOURS_PER_DAY) -> pd.DataFrame:
    """KRW/MWh per unit (rows, ``cost``'s index) and snapshot (columns): rank offsets plus
    JITTER x the level's step x ``jitter`` at the snapshot's hour of the day (without the
    hour term, which ``tie_break`` adds to generators)."""
    rank, step = _steps(cost)
    names = [str(x) for x in cost.index]
    hod = np.asarray(list(snapshots), dtype=np.int64) % hours_per_day
    jit = jitter(names, hours_per_day)[:, hod]
    off = (rank.to_numpy()[:, None] + JITTER * jit) * step.to_numpy()[:, None]
    return pd.DataFrame(off, index=names, columns=list(snapshots))


def dispatch_term(m: Any, var: str, off: pd.DataFrame, w_da: xr.DataArray) -> Any:
    p = m.variables[var]
    names = [str(x) for x in p.coords["name"].values]
    snaps = list(off.columns)
    c = xr.DataArray(off.loc[names].to_numpy(float), coords={"name": names, "snapshot": snaps},
                     dims=("name", "snapshot"))
    return (p * (c * w_da)).sum()


def generator_offsets(n: Any, snapshots: Sequence[Any],
                      skip_carriers: Sequence[str] = ()) -> pd.DataFrame:
    """KRW/MWh per generator (rows, every one of ``n``'s) and snapshot (columns): its
    ``unit_offsets`` among the generators not of ``skip_carriers`` plus the hour term; 0 for
    those of ``skip_carriers`` (they take no rank and do not shrink a level's step)."""
    snaps = list(snapshots)
    gens = n.generators
    keep = ~gens["carrier"].isin(list(skip_carriers))
    names = [str(x) for x in gens.index]
    off = pd.DataFrame(0.0, index=names, columns=snaps)
    if keep.any():
        part = unit_offsets(gens.loc[keep, "marginal_cost"], snaps) + hour_offsets(snaps)[None, :]
        off.loc[part.index] = part.to_numpy()
    return off


def storage_offsets(n: Any, snapshots: Sequence[Any]) -> pd.DataFrame:
    """KRW/MWh per storage unit (rows) and snapshot (columns), on its dispatch and on its
    charging: a level of its own at 0 KRW/MWh, as far below the dearest generator level as
    the cheapest is (its offsets stay below GAP_SHARE of the gap from 0 up to that level)."""
    su = getattr(n, "storage_units", pd.DataFrame())
    lv = n.generators["marginal_cost"].astype(float)
    up = float(lv[lv > 0].min()) if (lv > 0).any() else np.inf
    cost = pd.Series(0.0, index=[str(x) for x in su.index])
    cost = pd.concat([cost, pd.Series(up, index=["\x00above"])])
    return unit_offsets(cost, list(snapshots)).drop(index="\x00above")


def tie_break(m: Any, n: Any, snapshots: Sequence[Any]) -> Any:
    """The tie-break cost (KRW, weighted by the snapshots' objective weights) of ``m``'s
    generator, storage and link dispatch: a linopy expression to add to the objective.
    Solve the LP at a dual feasibility tolerance of ``DUAL_TOL``."""
    snaps = list(snapshots)
    w_da = snapshot_weights(n, snaps)
    terms = []
    if "Generator-p" in m.variables and len(n.generators):
        terms.append(dispatch_term(m, "Generator-p", generator_offsets(n, snaps), w_da))
    terms += storage_terms(m, n, snaps, w_da)
    if "Link-p" in m.variables and len(n.links):
        names = [str(x) for x in n.links.index]
        hod = np.asarray(snaps, dtype=np.int64) % HOURS_PER_DAY
        rank = np.argsort(np.argsort(names)).astype(float)
        lk = STEP_KRW_PER_MWH * (1.0 + rank[:, None] + JITTER * jitter(names)[:, hod])
        terms.append(dispatch_term(m, "Link-p", pd.DataFrame(lk, index=names, columns=snaps), w_da))
    if not terms:
        return 0
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def snapshot_weights(n: Any, snapshots: Sequence[Any]) -> xr.DataArray:
    """The snapshots' objective weights as a DataArray over ``snapshot``."""
    snaps = list(snapshots)
    w = n.snapshot_weightings["objective"].reindex(snaps).to_numpy(float)
    return xr.DataArray(w, coords={"snapshot": snaps}, dims="snapshot")


def storage_terms(m: Any, n: Any, snapshots: Sequence[Any], w_da: xr.DataArray) -> list[Any]:
    """The storage units' tie-break costs (KRW; ``storage_offsets``) on their dispatch and
    charging, as linopy expressions (none without storage)."""
    if not len(getattr(n, "storage_units", pd.DataFrame())):
        return []
    off = storage_offsets(n, snapshots)
    return [dispatch_term(m, var, off, w_da)
            for var in ("StorageUnit-p_dispatch", "StorageUnit-p_store") if var in m.variables]
