"""Least-flow routing of a solved zonal transport model, for reporting corridor loadings.

A transport model moves power around loops at no cost, so the solver may return any of many
routings with the same cost and report corridors as fully loaded that need not be. Given
the solved injections per region (fixed), this LP finds, hour by hour, the routing with the
least total flow (MW x corridors) that still respects every corridor and interface limit.
Costs and placements are unchanged; only the flows shown are tidied.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog


def least_flows(flows: pd.DataFrame, table: pd.DataFrame, cap: pd.DataFrame,
                interfaces: pd.DataFrame | None = None) -> pd.DataFrame:
    """Re-route ``flows`` (snapshot x corridor, MW, bus0 -> bus1) with the least total |flow|.

    ``table`` has bus0/bus1 per corridor; ``cap`` (snapshot x corridor, MW) the limit in
    each hour. ``interfaces`` (from_regions, to_regions, limit_mw) are kept. Returns the
    solved flows unchanged if the LP fails (never worse than the input).
    """
    names = list(flows.columns)
    if not names:
        return flows
    buses = sorted(set(table.loc[names, "bus0"]) | set(table.loc[names, "bus1"]))
    bi = {b: i for i, b in enumerate(buses)}
    L, B = len(names), len(buses)
    inc = np.zeros((B, L))  # +1 where the corridor leaves the bus
    for j, c in enumerate(names):
        inc[bi[table.at[c, "bus0"]], j] += 1.0
        inc[bi[table.at[c, "bus1"]], j] -= 1.0
    itf_rows = []
    for _, itf in (interfaces if interfaces is not None else pd.DataFrame()).iterrows():
        a = {x.strip() for x in str(itf["from_regions"]).split(";")}
        b = {x.strip() for x in str(itf["to_regions"]).split(";")}
        row = np.array([1.0 if (table.at[c, "bus0"] in a and table.at[c, "bus1"] in b)
                        else -1.0 if (table.at[c, "bus0"] in b and table.at[c, "bus1"] in a)
                        else 0.0 for c in names])
        if row.any():
            itf_rows.append((row, float(itf["limit_mw"])))
    out = flows.copy()
    f = flows.to_numpy(float)
    capv = np.abs(cap.reindex(index=flows.index, columns=names).to_numpy(float))
    # x = [f+ (L), f- (L)]; min sum(f+ + f-); inc (f+ - f-) = inc f_solved
    a_eq = sp.csr_matrix(np.hstack([inc, -inc]))
    a_ub = (sp.csr_matrix(np.vstack([np.hstack([r, -r]) for r, _ in itf_rows]))
            if itf_rows else None)
    b_ub = np.array([lim for _, lim in itf_rows]) if itf_rows else None
    cost = np.ones(2 * L)
    for t in range(len(f)):
        b_eq = inc @ f[t]
        bounds = [(0.0, capv[t, j] + 1e-6) for j in range(L)] * 2
        res: Any = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds,
                           method="highs")
        if res.status == 0:
            out.iloc[t] = res.x[:L] - res.x[L:]
    return out
