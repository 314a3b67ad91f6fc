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

- every generator: ``STEP_KRW_PER_MWH`` x its rank among the generators of its marginal
  cost (by name), so of two equal-cost units the one earlier by name runs first; a cost
  level's offsets stay below ``GAP_SHARE`` of the distance to the next level, so no real
  cost order can be overturned (the smallest gap on the packaged data, solar and wind
  0 to hydro 1,000 KRW/MWh);
- every generator: ``HOUR_KRW_PER_MWH`` x the hour of the day, so storage moves energy
  between hours of equal cost in one fixed way (earlier hours are cheaper);
- every link (HVDC): ``STEP_KRW_PER_MWH`` x its rank by name on its flow (bus0 to bus1), so
  the split between a link and the parallel AC lines is fixed where it costs nothing.

The LP's objective is in million KRW (``OBJ_SCALE``), so one step is 1e-5 per MW, 100 times
HiGHS's dual feasibility tolerance (1e-7): the solver tells the orders apart. The offsets
are at most a few hundred KRW/MWh against 8,000-300,000 for plants that burn fuel; the
reported costs use the real marginal costs (the offsets only pick among equally cheap
dispatches). Not a forecast of which plant runs: a fixed, reproducible pick among answers
the model cannot tell apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

STEP_KRW_PER_MWH = 10.0
HOUR_KRW_PER_MWH = 1.0
GAP_SHARE = 0.1


def rank_offsets(cost: pd.Series) -> pd.Series:
    """KRW/MWh added to each unit (index: names) of marginal cost ``cost``: STEP x its rank
    by name among the units of its cost, the step shrunk so that a level's offsets stay
    below GAP_SHARE of the gap to the nearest other level."""
    cost = cost.astype(float)
    levels = np.unique(cost.to_numpy())
    out = pd.Series(0.0, index=cost.index)
    for lv in levels:
        names = sorted(str(x) for x in cost.index[cost.to_numpy() == lv])
        others = levels[levels != lv]
        gap = float(np.abs(others - lv).min()) if len(others) else np.inf
        step = min(STEP_KRW_PER_MWH, GAP_SHARE * gap / max(len(names), 1))
        out.loc[names] = step * np.arange(len(names), dtype=float)
    return out


def hour_offsets(snapshots: Sequence[Any], hours_per_day: int = 24) -> np.ndarray:
    """KRW/MWh added to every generator in each snapshot: HOUR x the hour of the day
    (snapshots are flat integers, a day every 24)."""
    return HOUR_KRW_PER_MWH * (np.asarray(list(snapshots), dtype=np.int64) % hours_per_day)


def tie_break(m: Any, n: Any, snapshots: Sequence[Any]) -> Any:
    """The tie-break cost (KRW, weighted by the snapshots' objective weights) of ``m``'s
    generator and link dispatch: a linopy expression to add to the objective."""
    snaps = list(snapshots)
    w = n.snapshot_weightings["objective"].reindex(snaps).to_numpy(float)
    w_da = xr.DataArray(w, coords={"snapshot": snaps}, dims="snapshot")
    terms = []
    if "Generator-p" in m.variables and len(n.generators):
        p = m.variables["Generator-p"]
        names = [str(x) for x in p.coords["name"].values]
        off = rank_offsets(n.generators["marginal_cost"]).reindex(names).to_numpy(float)
        c = (xr.DataArray(off, coords={"name": names}, dims="name")
             + xr.DataArray(hour_offsets(snaps), coords={"snapshot": snaps},
                            dims="snapshot"))
        terms.append((p * (c * w_da)).sum())
    if "Link-p" in m.variables and len(n.links):
        p = m.variables["Link-p"]
        names = [str(x) for x in p.coords["name"].values]
        off = STEP_KRW_PER_MWH * (1.0 + np.argsort(np.argsort(names))).astype(float)
        terms.append((p * (xr.DataArray(off, coords={"name": names}, dims="name")
                           * w_da)).sum())
    if not terms:
        return 0
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total
