"""The west-coast export limit as scenario data (``siting.west_coast_limit_mw``).

The limit itself is a row of ``interfaces.csv`` (``West coast export``: the AC export of
the clusters holding Dangjin and Taean, the Bukdangjin-Godeok HVDC outside it; its source
column gives the arithmetic). A scenario may override its MW, e.g. to sweep the published
range (4,600-5,600 MW).
"""

from __future__ import annotations

from dataclasses import replace

from aifab.errors import BadInput
from aifab.grid._data import GridData

#: The name of the west coast's row in ``interfaces.csv``.
WEST_COAST_INTERFACE = "West coast export"
FIELD = "siting.west_coast_limit_mw"


def with_west_coast_limit(data: GridData, limit_mw: float | None) -> GridData:
    """``data`` with the west-coast interface's ``limit_mw`` set to ``limit_mw`` (None: the
    data's own value). A negative or non-finite value, or data without that interface,
    exits 2 naming the scenario field."""
    if limit_mw is None:
        return data
    if not limit_mw >= 0 or limit_mw == float("inf"):
        raise BadInput(f"{limit_mw!r} is not a limit in MW (0 or more)", where=FIELD)
    itf = data.interfaces
    if itf is None or itf.empty or WEST_COAST_INTERFACE not in set(itf["name"].astype(str)):
        raise BadInput(f"the grid data have no interface '{WEST_COAST_INTERFACE}' "
                       "(interfaces.csv) to set", where=FIELD)
    itf = itf.copy()
    itf.loc[itf["name"].astype(str) == WEST_COAST_INTERFACE, "limit_mw"] = float(limit_mw)
    return replace(data, interfaces=itf)
